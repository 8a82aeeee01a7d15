/* SPDX-License-Identifier: ISC */
/*
 * A fetched policy, read the way senders read it (RFC 8461 §3.2): the
 * response headers they look at, each of which must come once, then
 * "key: value" lines ending in CRLF or LF, in any order (the ABNF sets
 * none, and senders read them into a table), version, mode, max_age
 * and at least one mx unless the mode is none; unknown keys ignored.
 * How it was written is kept too, so that a policy with this config's
 * fields but other bytes is told apart from one with other fields.
 * Pure.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* Notes that a field of kind k came next; 0. */
static int
note_order(struct check_policy *p, char k)
{
	size_t	 n = strlen(p->order);

	/* mx lines are capped, so the four kinds always fit. */
	if (n + 1 < sizeof(p->order))
		p->order[n] = k;
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
	if (v != colon + 2 || colon[1] != ' ' || v + vlen != line + len)
		p->spaced = 1;
#define KEY(k)	(klen == sizeof(k) - 1 && memcmp(line, k, klen) == 0)
	if (KEY("version")) {
		if (seen[0]++ || vlen != 5 || memcmp(v, "STSv1", 5) != 0) {
			snprintf(err, errsize, "want one \"version: STSv1\"");
			return -1;
		}
		return note_order(p, 'v');
	} else if (KEY("mode"))
		return mode_field(p, v, vlen, &seen[1], err, errsize) == -1 ?
		    -1 : note_order(p, 'm');
	else if (KEY("max_age"))
		return max_age_field(p, v, vlen, &seen[2], err, errsize) ==
		    -1 ? -1 : note_order(p, 'a');
	else if (KEY("mx"))
		return mx_field(p, v, vlen, err, errsize) == -1 ? -1 :
		    note_order(p, 'x');
#undef KEY
	/* Any other key is ignored, as senders ignore it. */
	if (p->next++ == 0)
		snprintf(p->ext, sizeof(p->ext), "%.*s",
		    (int)(klen < sizeof(p->ext) ? klen : sizeof(p->ext) - 1),
		    line);
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
		else if (nl != NULL)
			p->lf++;
		else
			p->unended = 1;
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
static void __attribute__((format(printf, 3, 4)))
part(char *buf, size_t size, const char *fmt, ...)
{
	va_list	 ap;
	size_t	 len = strlen(buf);

	if (len + 1 >= size)
		return;
	if (len > 0 && len + 2 < size) {
		memcpy(buf + len, "; ", 3);
		len += 2;
	}
	va_start(ap, fmt);
	vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
}

/* Host names compare without case (RFC 4343), as senders compare them. */
static int
has_mx(const struct check_policy *p, const char *mx)
{
	size_t	 i;

	for (i = 0; i < p->nmx; i++)
		if (strcasecmp(p->mx[i], mx) == 0)
			return 1;
	return 0;
}

/* The fields that differ, as parts of buf; how many. */
static int
field_diff(const struct check_policy *served,
    const struct check_policy *want, char *buf, size_t size)
{
	size_t	 i;
	int	 n = 0;

	if (strcmp(served->mode, want->mode) != 0 && ++n)
		part(buf, size, "mode: served %s, this config %s",
		    served->mode, want->mode);
	for (i = 0; i < served->nmx; i++)
		if (!has_mx(want, served->mx[i]) && ++n)
			part(buf, size, "mx: %s served, not in this config",
			    served->mx[i]);
	for (i = 0; i < want->nmx; i++)
		if (!has_mx(served, want->mx[i]) && ++n)
			part(buf, size, "mx: %s missing from the served "
			    "policy", want->mx[i]);
	if (served->max_age != want->max_age && ++n)
		part(buf, size, "max_age: served %lu, this config %lu",
		    served->max_age, want->max_age);
	return n;
}

/*
 * The index of an mx of served that is one of want's in another case,
 * that one's in *wi; or served->nmx.
 */
static size_t
mx_case(const struct check_policy *served, const struct check_policy *want,
    size_t *wi)
{
	size_t	 i, j;

	for (i = 0; i < served->nmx; i++)
		for (j = 0; j < want->nmx; j++)
			if (strcasecmp(served->mx[i], want->mx[j]) == 0 &&
			    strcmp(served->mx[i], want->mx[j]) != 0) {
				*wi = j;
				return i;
			}
	return served->nmx;
}

/* 1 if the fields came in another order than want's, mx lines too. */
static int
other_order(const struct check_policy *served,
    const struct check_policy *want)
{
	size_t	 i;

	if (strcmp(served->order, want->order) != 0)
		return 1;
	for (i = 0; i < served->nmx && i < want->nmx; i++)
		if (strcasecmp(served->mx[i], want->mx[i]) != 0)
			return 1;
	return 0;
}

/*
 * With the same fields: how the bytes differ, as parts of buf, each
 * saying what senders make of it.
 */
static void
bytes_diff(const struct check_policy *served,
    const struct check_policy *want, char *buf, size_t size)
{
	size_t	 i, j;

	if (other_order(served, want))
		part(buf, size, "in another order, which senders accept "
		    "(RFC 8461 §3.2 sets none)");
	if ((i = mx_case(served, want, &j)) < served->nmx)
		part(buf, size, "mx %s where this config has %s, which "
		    "senders accept (host names compare without case, RFC "
		    "4343)", served->mx[i], want->mx[j]);
	if (served->lf > 0 && want->lf == 0)
		part(buf, size, "LF line ends where this config has CRLF, "
		    "which senders accept (RFC 8461 §3.2, erratum 6253)");
	if (served->unended && !want->unended)
		part(buf, size, "no line end after the last line");
	if (served->spaced && !want->spaced)
		part(buf, size, "other blanks around a value");
	if (served->next > 0 && (want->next == 0 ||
	    strcmp(served->ext, want->ext) != 0))
		part(buf, size, "an extension field %s, which senders ignore",
		    served->ext);
	else if (served->next != want->next)
		part(buf, size, "other extension fields");
	if (buf[0] == '\0')
		snprintf(buf, size, "other bytes");
}

int
check_policy_diff(const struct check_policy *served,
    const struct check_policy *want, char *buf, size_t size)
{
	int	 n;

	buf[0] = '\0';
	if ((n = field_diff(served, want, buf, size)) == 0)
		bytes_diff(served, want, buf, size);
	return n;
}

static const char *const header_names[CHECK_POLICY_HEADERS] = {
	"Content-Type", "Content-Length", "Transfer-Encoding", "Location",
};

const char *
check_policy_header_str(enum check_policy_header_name h)
{
	return header_names[h];
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void
check_policy_header(struct check_policy_headers *hs, const char *line,
    size_t len)
{
	const char	*colon, *v;
	size_t		 klen, vlen;
	int		 h;

	/* A response's status line: its headers follow (after a 1xx). */
	if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) {
		memset(hs, 0, sizeof(*hs));
		return;
	}
	if ((colon = memchr(line, ':', len)) == NULL)
		return;
	klen = (size_t)(colon - line);
	for (h = 0; h < CHECK_POLICY_HEADERS; h++)
		if (strlen(header_names[h]) == klen &&
		    strncasecmp(line, header_names[h], klen) == 0)
			break;
	if (h == CHECK_POLICY_HEADERS)
		return;
	for (v = colon + 1; v < line + len && is_blank(*v); v++)
		;
	for (vlen = (size_t)(line + len - v); vlen > 0 &&
	    is_blank(v[vlen - 1]); vlen--)
		;
	if (vlen >= sizeof(hs->last[h]))
		vlen = sizeof(hs->last[h]) - 1;
	memcpy(hs->last[h], v, vlen);
	hs->last[h][vlen] = '\0';
	if (hs->n[h]++ == 0)
		memcpy(hs->first[h], hs->last[h], vlen + 1);
}
