/*
 * Diagnostics.  Everything goes to stderr: a terminal for -t, the web
 * server's error log under mod_fcgid and lighttpd, the journal under
 * systemd.  Nothing is ever written to a request's FastCGI error stream,
 * which nginx would log as an error for every request.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mta-sts-fcgi.h"

int	 log_quiet;
const char	*log_progname = PROGNAME;

static void
log_vwrite(const char *prefix, const char *fmt, va_list ap, const char *tail)
{
	char	 msg[1024];

	if (log_quiet)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* One fprintf so lines from several processes do not interleave. */
	if (tail != NULL)
		fprintf(stderr, "%s: %s%s: %s\n", log_progname, prefix, msg, tail);
	else
		fprintf(stderr, "%s: %s%s\n", log_progname, prefix, msg);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite("", fmt, ap, NULL);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	log_vwrite("", fmt, ap, strerror(saved));
	va_end(ap);
	errno = saved;
}

void
log_conf(const char *file, unsigned long line, int warning,
    const char *fmt, ...)
{
	char	 prefix[512];
	va_list	 ap;

	if (line > 0)
		snprintf(prefix, sizeof(prefix), "%s:%lu: %s", file, line,
		    warning ? "warning: " : "");
	else
		snprintf(prefix, sizeof(prefix), "%s: %s", file,
		    warning ? "warning: " : "");
	va_start(ap, fmt);
	log_vwrite(prefix, fmt, ap, NULL);
	va_end(ap);
}
