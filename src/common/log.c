/* SPDX-License-Identifier: ISC */
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

#include "common/common.h"

int	 log_quiet;
int	 log_errors_only;

/*
 * Copies s into out with every control character made visible (\r, \t,
 * \x01, ...): messages quote config text and file names, and a CR or an
 * escape sequence in them must not rewrite the operator's terminal.
 * Bytes from 0x80 up are left alone: they are UTF-8 (RFC section signs,
 * names the config got wrong).
 */
static void
log_escape(char *out, size_t size, const char *s)
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 c;
	size_t			 n = 0;

	for (; (c = (unsigned char)*s) != '\0' && n + 5 < size; s++) {
		if (c >= 0x20 && c != 0x7f) {
			out[n++] = (char)c;
			continue;
		}
		out[n++] = '\\';
		if (c == '\r' || c == '\n' || c == '\t') {
			out[n++] = c == '\r' ? 'r' : c == '\n' ? 'n' : 't';
			continue;
		}
		out[n++] = 'x';
		out[n++] = hex[c >> 4];
		out[n++] = hex[c & 0xf];
	}
	out[n] = '\0';
}
const char	*log_progname = PROGNAME;

static void
log_vwrite(const char *prefix, const char *fmt, va_list ap, const char *tail)
{
	char	 msg[1024], line[2048], out[4 * sizeof(line)];

	if (log_quiet)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	snprintf(line, sizeof(line), "%s%s%s%s", prefix, msg,
	    tail != NULL ? ": " : "", tail != NULL ? tail : "");
	log_escape(out, sizeof(out), line);
	/* One fprintf so lines from several processes do not interleave. */
	fprintf(stderr, "%s: %s\n", log_progname, out);
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

	if (warning && log_errors_only)
		return;
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
