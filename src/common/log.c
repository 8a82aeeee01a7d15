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

const char	*log_progname = PROGNAME;

/*
 * The length of the UTF-8 character at s (n > 0 bytes there): a valid
 * sequence, else 1.  *c gets its code point, or the byte with *valid 0:
 * an invalid, overlong or surrogate sequence, or one beyond Unicode.
 */
static size_t
utf8_char(const unsigned char *s, size_t n, unsigned long *c, int *valid)
{
	size_t	 len, i;

	*c = s[0];
	*valid = s[0] < 0x80;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 1;
	if (len > n)
		return 1;
	*c = s[0] & (0x7f >> len);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*c = s[0];
			return 1;
		}
		*c = *c << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && *c < 0x800) || (len == 4 && (*c < 0x10000 ||
	    *c > 0x10ffff)) || (*c >= 0xd800 && *c <= 0xdfff)) {
		*c = s[0];
		return 1;
	}
	*valid = 1;
	return len;
}

/*
 * Code points a terminal or a log reader does not show as themselves,
 * beyond the C0 and C1 controls and DEL, as inclusive ranges: every
 * Bidi_Control (U+061C, U+200E-U+200F, U+202A-U+202E, U+2066-U+2069),
 * which reorder what follows; every Default_Ignorable_Code_Point of
 * Unicode 15.1 (DerivedCoreProperties.txt), which render as nothing and
 * so can hide text or make two names look alike: U+00AD, U+034F,
 * U+061C, U+115F-U+1160, U+17B4-U+17B5, U+180B-U+180F, U+200B-U+200F,
 * U+202A-U+202E, U+2060-U+206F, U+3164, U+FE00-U+FE0F, U+FEFF, U+FFA0,
 * U+FFF0-U+FFF8, U+1BCA0-U+1BCA3, U+1D173-U+1D17A, U+E0000-U+E0FFF;
 * the line and paragraph separators (U+2028, U+2029), which break a
 * line for Unicode readers; and the interlinear annotation characters
 * (U+FFF9-U+FFFB), which hide the text between them.  Sorted.
 */
static const struct {
	unsigned long	 lo, hi;
} hidden[] = {
	{ 0x00ad, 0x00ad }, { 0x034f, 0x034f }, { 0x061c, 0x061c },
	{ 0x115f, 0x1160 }, { 0x17b4, 0x17b5 }, { 0x180b, 0x180f },
	{ 0x200b, 0x200f }, { 0x2028, 0x202e }, { 0x2060, 0x206f },
	{ 0x3164, 0x3164 }, { 0xfe00, 0xfe0f }, { 0xfeff, 0xfeff },
	{ 0xffa0, 0xffa0 }, { 0xfff0, 0xfffb }, { 0x1bca0, 0x1bca3 },
	{ 0x1d173, 0x1d17a }, { 0xe0000, 0xe0fff },
};

/* Would a terminal or a log reader show code point c as itself? */
static int
shown(unsigned long c)
{
	size_t	 i;

	if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
		return 0;
	for (i = 0; i < sizeof(hidden) / sizeof(hidden[0]) &&
	    hidden[i].lo <= c; i++)
		if (c <= hidden[i].hi)
			return 0;
	return 1;
}

/* Writes the escape of one character into e (11 bytes); its length. */
static size_t
escape_one(char *e, unsigned long c, int valid)
{
	static const char	 hex[] = "0123456789abcdef";

	if (valid && (c == '\r' || c == '\n' || c == '\t')) {
		e[0] = '\\';
		e[1] = c == '\r' ? 'r' : c == '\n' ? 'n' : 't';
		return 2;
	}
	if (valid && c > 0xffff)
		return (size_t)snprintf(e, 11, "\\U%08lx", c);
	if (valid && c >= 0x80)
		return (size_t)snprintf(e, 11, "\\u%04lx", c);
	e[0] = '\\';
	e[1] = 'x';
	e[2] = hex[c >> 4 & 0xf];
	e[3] = hex[c & 0xf];
	return 4;
}

size_t
log_escape(char *out, size_t size, const char *in, size_t len)
{
	const unsigned char	*s = (const unsigned char *)in;
	char			 e[11];
	const char		*p;
	unsigned long		 c;
	size_t			 at = 0, o = 0, n, k;
	int			 valid;

	if (size == 0)
		return 0;
	while (at < len) {
		n = utf8_char(s + at, len - at, &c, &valid);
		if (valid && shown(c)) {
			p = in + at;
			k = n;
		} else {
			p = e;
			k = escape_one(e, c, valid);
		}
		if (o + k >= size)
			break;		/* never half a character or escape */
		memcpy(out + o, p, k);
		o += k;
		at += n;
	}
	out[o] = '\0';
	return at;
}

static char	*capture;
static size_t	 capture_size;

void
log_capture(char *buf, size_t size)
{
	capture = buf;
	capture_size = size;
	if (buf != NULL && size > 0)
		buf[0] = '\0';
}

static void
log_vwrite(const char *prefix, const char *fmt, va_list ap, const char *tail)
{
	char	 msg[1024], line[2048], out[LOG_ESCAPE_SIZE(sizeof(line))];

	if (log_quiet && capture == NULL)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	snprintf(line, sizeof(line), "%s%s%s%s", prefix, msg,
	    tail != NULL ? ": " : "", tail != NULL ? tail : "");
	log_escape(out, sizeof(out), line, strlen(line));
	if (capture != NULL) {
		snprintf(capture, capture_size, "%s", out);
		return;
	}
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
