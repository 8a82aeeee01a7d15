/* SPDX-License-Identifier: ISC */
/*
 * A fetched policy body, read the way senders read it (RFC 8461 §3.2):
 * "key: value" lines ending in CRLF or LF, version first, mode, max_age
 * and at least one mx unless the mode is none; unknown keys ignored.
 * Pure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/check.h"

#define LINE_MAX_LEN	1024

void
check_policy_free(struct check_policy *p)
{
	size_t	 i;

	for (i = 0; i < p->nmx; i++)
		free(p->mx[i]);
	memset(p, 0, sizeof(*p));
}

/* The mode line: one of enforce, testing, none; 0 or -1 with err. */
static int
mode_field(struct check_policy *p, const char *v, size_t vlen, int *seen,
    char *err, size_t errsize)
{
	if ((*seen)++) {
		snprintf(err, errsize, "mode given twice");
		return -1;
	}
	if (!((vlen == 7 && memcmp(v, "enforce", 7) == 0) ||
	    (vlen == 7 && memcmp(v, "testing", 7) == 0) ||
	    (vlen == 4 && memcmp(v, "none", 4) == 0))) {
		snprintf(err, errsize, "mode \"%.*s\" is not enforce, "
		    "testing or none", (int)(vlen > 20 ? 20 : vlen), v);
		return -1;
	}
	memcpy(p->mode, v, vlen);
	p->mode[vlen] = '\0';
	return 0;
}

/* The max_age line: 1 to 10 digits, at most 31557600; 0 or -1. */
static int
max_age_field(struct check_policy *p, const char *v, size_t vlen, int *seen,
    char *err, size_t errsize)
{
	char		 num[16], *end;
	unsigned long	 n;

	if ((*seen)++) {
		snprintf(err, errsize, "max_age given twice");
		return -1;
	}
	for (n = 0; n < vlen && v[n] >= '0' && v[n] <= '9'; n++)
		;
	/* The body is not NUL-terminated: never scan past vlen. */
	if (vlen < 1 || vlen > 10 || n < vlen) {
		snprintf(err, errsize, "max_age \"%.*s\" is not 1 to 10 "
		    "digits", (int)(vlen > 20 ? 20 : vlen), v);
		return -1;
	}
	memcpy(num, v, vlen);
	num[vlen] = '\0';
	errno = 0;
	n = strtoul(num, &end, 10);
	/* RFC 8461 §3.2: max_age ≤ 31557600 */
	if (errno != 0 || *end != '\0' || n > POLICY_MAX_AGE_MAX) {
		snprintf(err, errsize, "max_age %s is over 31557600", num);
		return -1;
	}
	p->max_age = n;
	return 0;
}

/* An mx line: a pattern a policy may hold, kept; 0 or -1 with err. */
static int
mx_field(struct check_policy *p, const char *v, size_t vlen, char *err,
    size_t errsize)
{
	enum dname_error	 e;

	if ((e = dname_check(v, vlen, 1)) != DNAME_OK) {
		snprintf(err, errsize, "mx \"%.*s\": %s",
		    (int)(vlen > 60 ? 60 : vlen), v, dname_strerror(e));
		return -1;
	}
	if (p->nmx == CHECK_POLICY_MX_MAX) {
		snprintf(err, errsize, "more than %d mx lines",
		    CHECK_POLICY_MX_MAX);
		return -1;
	}
	if ((p->mx[p->nmx] = strndup(v, vlen)) == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	p->nmx++;
	return 0;
}

/*
 * One "key: value" line, blanks around the value dropped; seen counts
 * the version, mode and max_age lines.  0 or -1 with err.
 */
static int
field(struct check_policy *p, const char *line, size_t len, int *seen,
    char *err, size_t errsize)
{
	const char	*colon, *v;
	size_t		 klen, vlen;

	if ((colon = memchr(line, ':', len)) == NULL) {
		snprintf(err, errsize, "line \"%.*s\" is not \"key: value\"",
		    (int)(len > 40 ? 40 : len), line);
		return -1;
	}
	klen = (size_t)(colon - line);
	v = colon + 1;
	while (v < line + len && (*v == ' ' || *v == '\t'))
		v++;
	vlen = (size_t)(line + len - v);
	while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
#define KEY(k)	(klen == sizeof(k) - 1 && memcmp(line, k, klen) == 0)
	if (KEY("version")) {
		if (seen[0]++ || vlen != 5 || memcmp(v, "STSv1", 5) != 0) {
			snprintf(err, errsize, "want one \"version: STSv1\"");
			return -1;
		}
	} else if (KEY("mode"))
		return mode_field(p, v, vlen, &seen[1], err, errsize);
	else if (KEY("max_age"))
		return max_age_field(p, v, vlen, &seen[2], err, errsize);
	else if (KEY("mx"))
		return mx_field(p, v, vlen, err, errsize);
#undef KEY
	/* Any other key is ignored, as senders ignore it. */
	return 0;
}

int
check_policy_parse(struct check_policy *p, const char *body, size_t len,
    char *err, size_t errsize)
{
	const char	*line = body, *nl, *end = body + len;
	size_t		 llen, n = 0;
	int		 seen[3] = { 0, 0, 0 };

	memset(p, 0, sizeof(*p));
	if (len >= 3 && memcmp(body, "\xef\xbb\xbf", 3) == 0) {
		snprintf(err, errsize, "starts with a byte-order mark");
		return -1;
	}
	if (memchr(body, '\0', len) != NULL) {
		snprintf(err, errsize, "contains a NUL byte");
		goto bad;
	}
	while (line < end) {
		nl = memchr(line, '\n', (size_t)(end - line));
		llen = nl != NULL ? (size_t)(nl - line) :
		    (size_t)(end - line);
		if (llen > 0 && line[llen - 1] == '\r')
			llen--;
		if (memchr(line, '\r', llen) != NULL) {
			snprintf(err, errsize, "line %zu has a bare CR", n + 1);
			goto bad;
		}
		if (llen > LINE_MAX_LEN) {
			snprintf(err, errsize, "line %zu is over %d bytes",
			    n + 1, LINE_MAX_LEN);
			goto bad;
		}
		n++;
		if (n == 1 && (llen < 8 || memcmp(line, "version:", 8) != 0)) {
			snprintf(err, errsize, "the first line is not "
			    "\"version: STSv1\"");
			goto bad;
		}
		if (field(p, line, llen, seen, err, errsize) == -1)
			goto bad;
		if (nl == NULL)
			break;
		line = nl + 1;
	}
	if (!seen[0] || !seen[1] || !seen[2]) {
		snprintf(err, errsize, "no %s line", !seen[0] ? "version" :
		    !seen[1] ? "mode" : "max_age");
		goto bad;
	}
	if (p->nmx == 0 && strcmp(p->mode, "none") != 0) {
		snprintf(err, errsize, "no mx line in mode %s", p->mode);
		goto bad;
	}
	return 0;
bad:
	check_policy_free(p);
	return -1;
}

/* Appends "; " and a formatted part to buf. */
static void
part(char *buf, size_t size, const char *fmt, const char *a, const char *b)
{
	size_t	 len = strlen(buf);

	if (len >= size)
		return;
	if (len > 0 && len + 2 < size) {
		memcpy(buf + len, "; ", 3);
		len += 2;
	}
	snprintf(buf + len, size - len, fmt, a, b);
}

static int
has_mx(const struct check_policy *p, const char *mx)
{
	size_t	 i;

	for (i = 0; i < p->nmx; i++)
		if (strcmp(p->mx[i], mx) == 0)
			return 1;
	return 0;
}

void
check_policy_diff(const struct check_policy *served,
    const struct check_policy *want, char *buf, size_t size)
{
	char	 a[32], b[32];
	size_t	 i;

	buf[0] = '\0';
	if (strcmp(served->mode, want->mode) != 0)
		part(buf, size, "mode: served %s, this config %s",
		    served->mode, want->mode);
	for (i = 0; i < served->nmx; i++)
		if (!has_mx(want, served->mx[i]))
			part(buf, size, "mx: %s%s served, not in this config",
			    served->mx[i], "");
	for (i = 0; i < want->nmx; i++)
		if (!has_mx(served, want->mx[i]))
			part(buf, size, "mx: %s%s missing from the served "
			    "policy", want->mx[i], "");
	if (served->max_age != want->max_age) {
		snprintf(a, sizeof(a), "%lu", served->max_age);
		snprintf(b, sizeof(b), "%lu", want->max_age);
		part(buf, size, "max_age: served %s, this config %s", a, b);
	}
	if (buf[0] == '\0')
		snprintf(buf, size, "the same fields but other bytes (order, "
		    "spacing, line ends or extensions), so another id");
}
