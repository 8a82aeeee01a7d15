/* SPDX-License-Identifier: ISC */
/*
 * The problems found for one domain, kept as the output lines they
 * become: "domain: check: severity: message".  A domain's lines are
 * printed together once it is done, whatever the threads' order.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/check.h"

const char *
check_result_name_str(enum check_result_name name)
{
	switch (name) {
	case CHECK_RESULT_STS_RECORD:
		return "sts-record";
	case CHECK_RESULT_STS_ID:
		return "sts-id";
	case CHECK_RESULT_TLSRPT_RECORD:
		return "tlsrpt-record";
	case CHECK_RESULT_POLICY_HOST:
		return "policy-host";
	case CHECK_RESULT_POLICY_TLS:
		return "policy-tls";
	case CHECK_RESULT_POLICY_FETCH:
		return "policy-fetch";
	case CHECK_RESULT_MX_COVERAGE:
		return "mx-coverage";
	case CHECK_RESULT_MX_TLS:
		return "mx-tls";
	}
	return "?";
}

const char *
check_result_severity_str(enum check_result_severity s)
{
	switch (s) {
	case CHECK_RESULT_OK:
		return "ok";
	case CHECK_RESULT_WARNING:
		return "warning";
	case CHECK_RESULT_CRITICAL:
		return "critical";
	case CHECK_RESULT_UNKNOWN:
		return "unknown";
	}
	return "?";
}

/*
 * The length of the character at s: a valid UTF-8 sequence, else 1 byte.
 * *shown says whether a terminal or a log reader shows it as itself: not
 * an invalid or overlong byte, a C0 or C1 control (U+0080 to U+009F,
 * which terminals obey, and U+0085, a line break to Unicode readers), a
 * U+2028/U+2029 line or paragraph separator, nor a bidirectional or
 * invisible format character, any of which a server could use to forge
 * or hide a line.
 */
static size_t
utf8_char(const unsigned char *s, int *shown)
{
	unsigned long	 c;
	size_t		 n, i;

	*shown = 0;
	if (s[0] < 0x80) {
		*shown = s[0] >= 0x20 && s[0] != 0x7f;
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, c = s[0] & 0x07;
	else
		return 1;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 1;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 ||
	    c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff))
		return 1;	/* overlong, beyond Unicode, a surrogate */
	*shown = !(c <= 0x9f || (c >= 0x200b && c <= 0x200f) ||
	    (c >= 0x2028 && c <= 0x202e) || (c >= 0x2060 && c <= 0x206f) ||
	    c == 0xfeff);
	return n;
}

/* Copies in to out (size > 0), each character not shown as one "?". */
static void
clean(char *out, size_t size, const char *in)
{
	const unsigned char	*s = (const unsigned char *)in;
	size_t			 o = 0, n;
	int			 shown;

	while (*s != '\0' && o + 1 < size) {
		n = utf8_char(s, &shown);
		if (!shown) {
			out[o++] = '?';
		} else {
			if (o + n >= size)
				break;
			memcpy(out + o, s, n);
			o += n;
		}
		s += n;
	}
	out[o] = '\0';
}

void
check_result_add(struct check_result *r, enum check_result_name name,
    enum check_result_severity sev, const char *fmt, ...)
{
	char	 raw[2048], msg[2048], *p;
	size_t	 need, ncap;
	va_list	 ap;
	int	 n;

	if (sev > r->worst)
		r->worst = sev;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/* Whatever a server sent us, one problem stays one line. */
	clean(msg, sizeof(msg), raw);
	need = strlen(r->domain) + strlen(msg) + 64;
	if (r->len + need > r->cap) {
		ncap = r->cap == 0 ? 1024 : r->cap * 2;
		while (ncap < r->len + need)
			ncap *= 2;
		if ((p = realloc(r->text, ncap)) == NULL) {
			r->nomem = 1;
			return;
		}
		r->text = p;
		r->cap = ncap;
	}
	n = snprintf(r->text + r->len, r->cap - r->len, "%s: %s: %s: %s\n",
	    r->domain, check_result_name_str(name),
	    check_result_severity_str(sev), msg);
	if (n > 0)
		r->len += (size_t)n;
}

void
check_result_free(struct check_result *r)
{
	free(r->text);
	r->text = NULL;
	r->len = r->cap = 0;
}
