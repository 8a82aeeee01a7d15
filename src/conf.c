/*
 * The INI config → a validated, prepared policy table.
 *
 * inih 55 as Debian builds it cuts lines at 200 bytes and parses the rest
 * as a new line, gives the handler no line numbers, and does not report
 * sections without keys.  So inih reads through our own reader, which
 * counts lines, rejects over-long lines and lines that are not INI, and
 * tracks sections; inih then splits keys from values and strips comments.
 * Every problem is reported as "file:line: ..." and loading goes on, so
 * one run shows them all.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "mta-sts-fcgi.h"

#define ONE_DAY		86400UL
#define WARN_SHOWN	10	/* of each kind; then only counted */

enum warning_kind {
	WARN_TESTING,
	WARN_NONE,
	WARN_MAX_AGE,
	WARN_KINDS,
};

static const char *const warning_names[WARN_KINDS] = {
	"mode testing", "mode none", "max_age below one day",
};

enum field_state {
	FIELD_UNSET,
	FIELD_SET,
	FIELD_INVALID,		/* reported already: do not cascade */
};

struct field {
	enum field_state	 state;
	unsigned long		 line;
};

struct section {
	unsigned long		 line;
	int			 is_policy;	/* [policy], else [domain] */
	int			 usable;	/* header valid: build it */
	int			 damaged;	/* a line of it was unreadable */
	char			*domain;	/* lower case */
	struct field		 mode_field;
	enum policy_mode	 mode;
	struct field		 max_age_field;
	unsigned long		 max_age;
	struct field		 mx_field;	/* line of the first mx */
	char			**mx;
	unsigned long		*mx_lines;
	size_t			 mxlen;
	size_t			 mxcap;
	struct field		 tlsrpt_field;
	char			*tlsrpt;
};

struct loader {
	const char		*file;
	FILE			*fp;
	unsigned long		 line;
	char			*buf;
	size_t			 bufsize;
	struct section		*sections;
	size_t			 nsections;
	size_t			 sections_cap;
	long			 cur;		/* -1: before any section */
	long			 policy;	/* index of [policy], or -1 */
	size_t			*domain_section; /* table domain → section */
	size_t			 domain_section_cap;
	struct table		*table;
	size_t			 errors;
	size_t			 warnings;
	unsigned long		 warned[WARN_KINDS];
	int			 nomem;
};

static void
conf_error(struct loader *ld, unsigned long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void
conf_warning(struct loader *ld, enum warning_kind, unsigned long line,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
conf_error(struct loader *ld, unsigned long line, const char *fmt, ...)
{
	char	 msg[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_conf(ld->file, line, 0, "%s", msg);
	ld->errors++;
}

/*
 * A provider with 30,000 domains in mode testing wants to hear it once,
 * not 30,000 times: each kind of warning is shown WARN_SHOWN times, the
 * rest are counted (conf_warning_summary).
 */
static void
conf_warning(struct loader *ld, enum warning_kind kind, unsigned long line,
    const char *fmt, ...)
{
	char	 msg[1024];
	va_list	 ap;

	ld->warnings++;
	if (ld->warned[kind]++ >= WARN_SHOWN)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_conf(ld->file, line, 1, "%s", msg);
}

static void
conf_warning_summary(struct loader *ld)
{
	int	 k;

	for (k = 0; k < WARN_KINDS; k++)
		if (ld->warned[k] > WARN_SHOWN)
			log_conf(ld->file, 0, 1, "%lu more like \"%s\" not "
			    "shown", ld->warned[k] - WARN_SHOWN,
			    warning_names[k]);
}

static void
conf_nomem(struct loader *ld)
{
	if (!ld->nomem)
		conf_error(ld, ld->line, "out of memory");
	ld->nomem = 1;
}

static void
section_free(struct section *s)
{
	size_t	 i;

	for (i = 0; i < s->mxlen; i++)
		free(s->mx[i]);
	free(s->mx);
	free(s->mx_lines);
	free(s->domain);
	free(s->tlsrpt);
}

static const char *
section_label(const struct section *s, char *buf, size_t size)
{
	if (s->is_policy)
		snprintf(buf, size, "[policy]");
	else
		snprintf(buf, size, "[domain %s]", s->domain);
	return buf;
}

static int
is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\f' || c == '\v';
}

/*
 * [policy] or [domain <name>].  A bad header still opens a section, so
 * that the keys under it are checked, but it is never built.
 */
static void
section_open(struct loader *ld, const char *name, size_t len)
{
	struct section		*s;
	const struct table_domain *d;
	enum dname_error	 e;
	const char		*dom;
	size_t			 dlen, i;
	long			 idx;

	if (ld->nsections == ld->sections_cap) {
		size_t	 ncap = ld->sections_cap ? ld->sections_cap * 2 : 16;
		void	*p;

		if ((p = reallocarray(ld->sections, ncap,
		    sizeof(*ld->sections))) == NULL) {
			conf_nomem(ld);
			return;
		}
		ld->sections = p;
		ld->sections_cap = ncap;
	}
	s = &ld->sections[ld->nsections];
	memset(s, 0, sizeof(*s));
	s->line = ld->line;
	ld->cur = (long)ld->nsections++;

	if (len == 6 && strncmp(name, "policy", 6) == 0) {
		s->is_policy = 1;
		if (ld->policy >= 0) {
			conf_error(ld, ld->line, "duplicate [policy] section "
			    "(first at line %lu)",
			    ld->sections[ld->policy].line);
			return;
		}
		ld->policy = ld->cur;
		s->usable = 1;
		return;
	}
	if (len < 6 || strncmp(name, "domain", 6) != 0 ||
	    (len > 6 && !is_blank((unsigned char)name[6]))) {
		conf_error(ld, ld->line, "unknown section [%.*s]; allowed: "
		    "[policy] and [domain <policy domain>]", (int)len, name);
		return;
	}
	for (dom = name + 6, dlen = len - 6; dlen > 0 && is_blank(*dom);
	    dom++, dlen--)
		;
	if (dlen == 0) {
		conf_error(ld, ld->line, "[domain] needs the policy domain "
		    "it serves: [domain example.com]");
		return;
	}
	for (i = 0; i < dlen; i++)
		if (is_blank((unsigned char)dom[i])) {
			conf_error(ld, ld->line, "[%.*s]: one policy domain "
			    "per section", (int)len, name);
			return;
		}
	if ((s->domain = strndup(dom, dlen)) == NULL) {
		conf_nomem(ld);
		return;
	}
	for (i = 0; i < dlen; i++)
		s->domain[i] = (char)tolower((unsigned char)s->domain[i]);
	if ((e = dname_check(s->domain, dlen, 0)) != DNAME_OK) {
		conf_error(ld, ld->line, "[domain %s]: %s", s->domain,
		    dname_strerror(e));
		return;
	}
	/*
	 * Requests for mta-sts.example.com are looked up as example.com,
	 * so a section named after the policy host would never match.
	 */
	if (dlen > 8 && strncmp(s->domain, "mta-sts.", 8) == 0) {
		conf_error(ld, ld->line, "[domain %s]: name the policy "
		    "domain, not its policy host: [domain %s]", s->domain,
		    s->domain + 8);
		return;
	}
	if ((d = table_find(ld->table, s->domain, dlen)) != NULL) {
		conf_error(ld, ld->line, "duplicate [domain %s] (first at "
		    "line %lu)", s->domain, ld->sections[ld->domain_section[
		    d - ld->table->domains]].line);
		return;
	}
	if ((idx = table_add_domain(ld->table, s->domain, dlen)) == -1) {
		conf_nomem(ld);
		return;
	}
	if ((size_t)idx >= ld->domain_section_cap) {
		size_t	 ncap = ld->domain_section_cap ?
		    ld->domain_section_cap * 2 : 16;
		void	*p;

		if ((p = reallocarray(ld->domain_section, ncap,
		    sizeof(*ld->domain_section))) == NULL) {
			conf_nomem(ld);
			return;
		}
		ld->domain_section = p;
		ld->domain_section_cap = ncap;
	}
	ld->domain_section[idx] = (size_t)ld->cur;
	s->usable = 1;
}

/*
 * Gives inih one line at a time.  Lines inih must not see (too long, not
 * INI, with a NUL byte) are reported here and replaced by an empty line,
 * so that inih's line count stays ours.  Leading blanks are removed:
 * inih would take an indented line as the continuation of the previous
 * value.
 */
static char *
conf_reader(char *str, int num, void *stream)
{
	struct loader	*ld = stream;
	ssize_t		 n;
	size_t		 len, max;
	char		*p, *end;

	if ((n = getline(&ld->buf, &ld->bufsize, ld->fp)) == -1) {
		if (ferror(ld->fp))
			conf_error(ld, ld->line, "read error: %s",
			    strerror(errno));
		return NULL;
	}
	ld->line++;
	len = (size_t)n;
	p = ld->buf;
	if (memchr(p, '\0', len) != NULL) {
		conf_error(ld, ld->line, "NUL byte in line");
		goto damaged;
	}
	if (ld->line == 1 && len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
		p += 3;
		len -= 3;
	}
	while (len > 0 && (p[len - 1] == '\n' || p[len - 1] == '\r'))
		len--;
	while (len > 0 && is_blank((unsigned char)*p)) {
		p++;
		len--;
	}
	while (len > 0 && is_blank((unsigned char)p[len - 1]))
		len--;
	p[len] = '\0';

	/* inih reads num - 1 bytes, and wants room for the newline. */
	max = num > 2 ? (size_t)num - 2 : 0;
	if (len > max) {
		conf_error(ld, ld->line, "line is %zu bytes long; the limit "
		    "is %zu (split a long mx list over several mx lines)",
		    len, max);
		goto damaged;
	}
	if (len == 0 || *p == ';' || *p == '#')
		goto pass;
	if (*p == '[') {
		if ((end = strchr(p, ']')) == NULL) {
			conf_error(ld, ld->line, "section header without "
			    "closing \"]\"");
			ld->cur = -2;
			goto skip;
		}
		for (n = 1; end[n] != '\0' && is_blank((unsigned char)end[n]);
		    n++)
			;
		if (end[n] != '\0' && end[n] != ';' && end[n] != '#') {
			conf_error(ld, ld->line, "text after the section "
			    "header's \"]\"");
			ld->cur = -2;
			goto skip;
		}
		for (p++; p < end && is_blank((unsigned char)*p); p++)
			;
		while (end > p && is_blank((unsigned char)end[-1]))
			end--;
		section_open(ld, p, (size_t)(end - p));
		goto skip;
	}
	if (strpbrk(p, "=:") == NULL) {
		conf_error(ld, ld->line, "expected \"key = value\", a "
		    "[section] or a comment");
		goto damaged;
	}
	if (*p == '=' || *p == ':') {
		conf_error(ld, ld->line, "missing key before \"%c\"", *p);
		goto damaged;
	}
pass:
	memcpy(str, p, len);
	str[len] = '\n';
	str[len + 1] = '\0';
	return str;
damaged:
	/* What the line said is unknown: do not report it as missing. */
	if (ld->cur >= 0)
		ld->sections[ld->cur].damaged = 1;
skip:
	str[0] = '\n';
	str[1] = '\0';
	return str;
}

static int
field_once(struct loader *ld, struct field *f, const char *key)
{
	if (f->state != FIELD_UNSET) {
		conf_error(ld, ld->line, "%s: given twice in this section "
		    "(first at line %lu)", key, f->line);
		return 0;
	}
	f->line = ld->line;
	f->state = FIELD_INVALID;
	return 1;
}

/* RFC 8461 §3.2: "enforce" / "testing" / "none". */
static void
key_mode(struct loader *ld, struct section *s, const char *value)
{
	static const enum policy_mode modes[] = {
		POLICY_ENFORCE, POLICY_TESTING, POLICY_NONE,
	};
	size_t	 i;

	if (!field_once(ld, &s->mode_field, "mode"))
		return;
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(value, policy_mode_name(modes[i])) == 0) {
			s->mode = modes[i];
			s->mode_field.state = FIELD_SET;
			break;
		}
	if (s->mode_field.state != FIELD_SET) {
		conf_error(ld, ld->line, "mode: \"%s\" is not one of "
		    "enforce, testing, none", value);
		return;
	}
	if (s->mode == POLICY_TESTING)
		conf_warning(ld, WARN_TESTING, ld->line, "mode testing: senders report "
		    "TLS failures but still deliver without TLS");
	else if (s->mode == POLICY_NONE)
		conf_warning(ld, WARN_NONE, ld->line, "mode none: senders stop "
		    "applying MTA-STS to this domain (RFC 8461 §8.3)");
}

/* RFC 8461 §3.2: max_age is 1-10 digits, at most 31557600. */
static void
key_max_age(struct loader *ld, struct section *s, const char *value)
{
	unsigned long long	 n;
	size_t			 len = strlen(value), i;
	char			*end;

	if (!field_once(ld, &s->max_age_field, "max_age"))
		return;
	for (i = 0; i < len; i++)
		if (!isdigit((unsigned char)value[i]))
			break;
	errno = 0;
	n = len > 0 && len <= 10 && i == len ?
	    strtoull(value, &end, 10) : POLICY_MAX_AGE_MAX + 1ULL;
	if (errno != 0 || n > POLICY_MAX_AGE_MAX) {
		conf_error(ld, ld->line, "max_age: \"%s\" is not a number of "
		    "seconds from 0 to %lu (digits only; inline comments "
		    "start with \";\")", value, POLICY_MAX_AGE_MAX);
		return;
	}
	s->max_age = (unsigned long)n;
	s->max_age_field.state = FIELD_SET;
	if (n < ONE_DAY)
		conf_warning(ld, WARN_MAX_AGE, ld->line, "max_age %llu is less than one "
		    "day; RFC 8461 §3.2 expects weeks (604800 is one week)",
		    n);
}

static int
mx_add(struct loader *ld, struct section *s, const char *pat, size_t len)
{
	size_t	 i;

	for (i = 0; i < s->mxlen; i++)
		if (strlen(s->mx[i]) == len &&
		    strncasecmp(s->mx[i], pat, len) == 0) {
			conf_error(ld, ld->line, "mx: \"%.*s\" is already "
			    "listed (line %lu)", (int)len, pat,
			    s->mx_lines[i]);
			return -1;
		}
	if (s->mxlen == s->mxcap) {
		size_t	 ncap = s->mxcap ? s->mxcap * 2 : 4;
		void	*p, *q;

		if ((p = reallocarray(s->mx, ncap, sizeof(*s->mx))) == NULL)
			goto nomem;
		s->mx = p;
		if ((q = reallocarray(s->mx_lines, ncap,
		    sizeof(*s->mx_lines))) == NULL)
			goto nomem;
		s->mx_lines = q;
		s->mxcap = ncap;
	}
	if ((s->mx[s->mxlen] = strndup(pat, len)) == NULL)
		goto nomem;
	/* Matching is case-insensitive (§4.1): serve one canonical form. */
	for (i = 0; i < len; i++)
		s->mx[s->mxlen][i] = (char)tolower((unsigned char)pat[i]);
	s->mx_lines[s->mxlen++] = ld->line;
	return 0;
nomem:
	conf_nomem(ld);
	return -1;
}

/*
 * mx may repeat and each value may hold several patterns separated by
 * commas and/or blanks.  RFC 8461 §3.2 / §4.1: a domain, optionally
 * "*." followed by a domain.
 */
static void
key_mx(struct loader *ld, struct section *s, const char *value)
{
	const char		*p = value, *start;
	enum dname_error	 e;
	int			 ok = 1, want_pattern = 1;
	size_t			 len;

	if (s->mx_field.state == FIELD_UNSET)
		s->mx_field.line = ld->line;
	if (*value == '\0') {
		conf_error(ld, ld->line, "mx: empty value");
		s->mx_field.state = FIELD_INVALID;
		return;
	}
	while (*p != '\0') {
		if (*p == ',') {
			if (want_pattern) {
				conf_error(ld, ld->line, "mx: empty pattern "
				    "before \",\"");
				ok = 0;
			}
			want_pattern = 1;
			p++;
			continue;
		}
		if (is_blank((unsigned char)*p)) {
			p++;
			continue;
		}
		for (start = p; *p != '\0' && *p != ',' &&
		    !is_blank((unsigned char)*p); p++)
			;
		len = (size_t)(p - start);
		want_pattern = 0;
		if ((e = dname_check(start, len, 1)) != DNAME_OK) {
			conf_error(ld, ld->line, "mx: \"%.*s\": %s",
			    (int)len, start, dname_strerror(e));
			ok = 0;
		} else if (mx_add(ld, s, start, len) == -1)
			ok = 0;
	}
	if (want_pattern) {
		conf_error(ld, ld->line, "mx: empty pattern after \",\"");
		ok = 0;
	}
	if (!ok)
		s->mx_field.state = FIELD_INVALID;
	else if (s->mx_field.state == FIELD_UNSET)
		s->mx_field.state = FIELD_SET;
}

/*
 * RFC 8460 §3: rua is a comma-separated list of mailto: or https: URIs;
 * a comma, "!" or ";" inside one must be percent-encoded.
 */
static int
tlsrpt_uri_ok(struct loader *ld, const char *uri, size_t len)
{
	const char		*at, *host;
	enum dname_error	 e;
	size_t			 i, hlen;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)uri[i];

		if (c <= 0x20 || c >= 0x7f || c == '!' || c == ';' ||
		    c == '"' || c == '\\') {
			conf_error(ld, ld->line, "tlsrpt: \"%.*s\": "
			    "character %s must be percent-encoded", (int)len,
			    uri, c == ' ' ? "\" \"" : c == '!' ? "\"!\"" :
			    c == ';' ? "\";\"" : "at this place");
			return 0;
		}
	}
	if (len > 7 && strncmp(uri, "mailto:", 7) == 0) {
		at = memchr(uri + 7, '@', len - 7);
		if (at == NULL || at == uri + 7) {
			conf_error(ld, ld->line, "tlsrpt: \"%.*s\": want "
			    "mailto:local@domain", (int)len, uri);
			return 0;
		}
		host = at + 1;
		hlen = (size_t)(uri + len - host);
		if (memchr(host, '?', hlen) != NULL)
			hlen = (size_t)((const char *)memchr(host, '?', hlen) -
			    host);
	} else if (len > 8 && strncmp(uri, "https://", 8) == 0) {
		host = uri + 8;
		for (hlen = 0; host + hlen < uri + len && host[hlen] != '/' &&
		    host[hlen] != ':' && host[hlen] != '?'; hlen++)
			;
	} else {
		conf_error(ld, ld->line, "tlsrpt: \"%.*s\": want a mailto: "
		    "or https:// URI (RFC 8460 §3)", (int)len, uri);
		return 0;
	}
	if ((e = dname_check(host, hlen, 0)) != DNAME_OK) {
		conf_error(ld, ld->line, "tlsrpt: \"%.*s\": host \"%.*s\": "
		    "%s", (int)len, uri, (int)hlen, host, dname_strerror(e));
		return 0;
	}
	return 1;
}

static void
key_tlsrpt(struct loader *ld, struct section *s, const char *value)
{
	const char	*p = value, *start;
	char		*out, *w;
	size_t		 len;
	int		 ok = 1, n = 0;

	if (!field_once(ld, &s->tlsrpt_field, "tlsrpt"))
		return;
	if ((out = malloc(strlen(value) + 1)) == NULL) {
		conf_nomem(ld);
		return;
	}
	w = out;
	while (*p != '\0') {
		while (is_blank((unsigned char)*p))
			p++;
		for (start = p; *p != '\0' && *p != ','; p++)
			;
		len = (size_t)(p - start);
		while (len > 0 && is_blank((unsigned char)start[len - 1]))
			len--;
		if (len == 0) {
			conf_error(ld, ld->line, "tlsrpt: empty URI");
			ok = 0;
		} else if (tlsrpt_uri_ok(ld, start, len)) {
			if (n++ > 0)
				*w++ = ',';
			memcpy(w, start, len);
			w += len;
		} else
			ok = 0;
		if (*p == ',')
			p++;
		else
			break;
	}
	*w = '\0';
	if (n == 0 && ok) {
		conf_error(ld, ld->line, "tlsrpt: empty value");
		ok = 0;
	}
	if (!ok) {
		free(out);
		return;
	}
	s->tlsrpt = out;
	s->tlsrpt_field.state = FIELD_SET;
}

/* The field a known key sets, or NULL for an unknown key. */
static struct field *
key_field(struct section *s, const char *key)
{
	if (strcmp(key, "mode") == 0)
		return &s->mode_field;
	if (strcmp(key, "max_age") == 0)
		return &s->max_age_field;
	if (strcmp(key, "mx") == 0)
		return &s->mx_field;
	if (strcmp(key, "tlsrpt") == 0)
		return &s->tlsrpt_field;
	return NULL;
}

static int
conf_handler(void *user, const char *section, const char *key,
    const char *value)
{
	struct loader	*ld = user;
	struct section	*s;
	struct field	*f;

	(void)section;		/* the reader tracks sections */
	if (ld->cur == -2)
		return 1;	/* under a broken header: reported already */
	if (ld->cur < 0) {
		conf_error(ld, ld->line, "\"%s\" outside a section: put it "
		    "under [policy] or [domain <policy domain>]", key);
		return 1;
	}
	s = &ld->sections[ld->cur];
	if ((value[0] == '"' || value[0] == '\'') && (f = key_field(s, key))) {
		conf_error(ld, ld->line, "%s: write the value without quotes",
		    key);
		if (f->state == FIELD_UNSET)
			f->line = ld->line;
		f->state = FIELD_INVALID;
		return 1;
	}
	if (strcmp(key, "mode") == 0)
		key_mode(ld, s, value);
	else if (strcmp(key, "max_age") == 0)
		key_max_age(ld, s, value);
	else if (strcmp(key, "mx") == 0)
		key_mx(ld, s, value);
	else if (strcmp(key, "tlsrpt") == 0)
		key_tlsrpt(ld, s, value);
	else
		conf_error(ld, ld->line, "unknown key \"%s\"; allowed: mode, "
		    "mx, max_age, tlsrpt", key);
	return 1;
}

/*
 * Takes field f from s or else from the [policy] section p.  Returns the
 * section it came from, or NULL after reporting what is missing.
 */
static const struct section *
resolve(struct loader *ld, const struct section *s, const struct section *p,
    size_t offset, const char *what, int *quiet)
{
	const struct field	*f = (const void *)((const char *)s + offset);
	const struct field	*pf;
	char			 label[300];

	if (f->state == FIELD_SET)
		return s;
	if (f->state == FIELD_INVALID) {
		*quiet = 1;
		return NULL;
	}
	if (p != NULL && p != s) {
		pf = (const void *)((const char *)p + offset);
		if (pf->state == FIELD_SET)
			return p;
		if (pf->state == FIELD_INVALID || !p->usable) {
			*quiet = 1;
			return NULL;
		}
	}
	conf_error(ld, s->line, "%s: no %s%s", section_label(s, label,
	    sizeof(label)), what, s->is_policy || p == NULL ? "" :
	    ", here or in [policy]");
	return NULL;
}

/* Resolves section s against [policy] and adds its prepared policy. */
static long
section_build(struct loader *ld, const struct section *s,
    const struct section *p, const char **tlsrpt)
{
	const struct section	*mode_s, *age_s, *mx_s = s, *rpt_s = s;
	struct policy_spec	 spec;
	char			 label[300];
	int			 quiet = 0;
	long			 idx;

	if (s->damaged || (p != NULL && p->damaged))
		return -1;	/* the unreadable line was reported */
	mode_s = resolve(ld, s, p, offsetof(struct section, mode_field),
	    "mode (enforce, testing or none)", &quiet);
	age_s = resolve(ld, s, p, offsetof(struct section, max_age_field),
	    "max_age (seconds; 604800 is one week)", &quiet);
	/* An mx list given here replaces the inherited one. */
	if (s->mx_field.state == FIELD_INVALID)
		quiet = 1;
	else if (s->mx_field.state == FIELD_UNSET && p != NULL) {
		if (p->mx_field.state == FIELD_INVALID)
			quiet = 1;
		mx_s = p;
	}
	if (s->tlsrpt_field.state == FIELD_UNSET && p != NULL)
		rpt_s = p;
	if (mode_s == NULL || age_s == NULL || quiet)
		return -1;

	section_label(s, label, sizeof(label));
	spec.mode = mode_s->mode;
	spec.max_age = age_s->max_age;
	spec.mx = (const char *const *)mx_s->mx;
	spec.mxlen = mx_s->mxlen;
	/* RFC 8461 §3.2: "mx" is required unless mode is "none". */
	if (spec.mxlen == 0 && spec.mode != POLICY_NONE) {
		conf_error(ld, s->line, "%s: mode %s needs at least one mx",
		    label, policy_mode_name(spec.mode));
		return -1;
	}
	if (policy_body_len(&spec) == 0) {
		conf_error(ld, s->line, "%s: the policy is longer than the "
		    "%d bytes senders accept: list fewer mx patterns (one "
		    "\"*.example.com\" covers every mx1.example.com, "
		    "mx2.example.com ...)", label, POLICY_BODY_MAX);
		return -1;
	}
	if ((idx = table_add_policy(ld->table, &spec)) == -1) {
		conf_nomem(ld);
		return -1;
	}
	*tlsrpt = NULL;
	if (rpt_s->tlsrpt_field.state == FIELD_SET &&
	    (*tlsrpt = table_strdup(ld->table, rpt_s->tlsrpt)) == NULL) {
		conf_nomem(ld);
		return -1;
	}
	return idx;
}

static void
conf_build(struct loader *ld)
{
	const struct section	*p = NULL;
	struct table		*t = ld->table;
	const char		*tlsrpt;
	size_t			 i;
	long			 idx;

	if (ld->nsections == 0) {
		/* After a broken header, that error says it all. */
		if (ld->errors == 0)
			conf_error(ld, 0, "no [policy] or [domain <policy "
			    "domain>] section: nothing to serve");
		return;
	}
	if (ld->policy >= 0) {
		p = &ld->sections[ld->policy];
		if ((idx = section_build(ld, p, NULL, &tlsrpt)) >= 0) {
			t->default_policy = idx;
			t->default_tlsrpt = tlsrpt;
		}
	}
	for (i = 0; i < t->ndomains; i++) {
		const struct section *s = &ld->sections[ld->domain_section[i]];

		if ((idx = section_build(ld, s, p, &tlsrpt)) >= 0) {
			t->domains[i].policy = (uint32_t)idx;
			t->domains[i].tlsrpt = tlsrpt;
		}
	}
}

long
conf_load_stream(struct conf *conf, FILE *fp, const char *file)
{
	struct loader	 ld;
	size_t		 i;
	long		 rc;
	int		 r;

	memset(conf, 0, sizeof(*conf));
	table_init(&conf->table);
	memset(&ld, 0, sizeof(ld));
	ld.file = file;
	ld.fp = fp;
	ld.cur = -1;
	ld.policy = -1;
	ld.table = &conf->table;

	r = ini_parse_stream(conf_reader, &ld, conf_handler, &ld);
	if (r != 0 && ld.errors == 0)
		conf_error(&ld, r > 0 ? (unsigned long)r : 0, "syntax error");
	/* Built even after errors, to report problems of every section. */
	if (!ld.nomem)
		conf_build(&ld);
	conf_warning_summary(&ld);
	rc = (long)ld.errors;
	free(ld.buf);
	for (i = 0; i < ld.nsections; i++)
		section_free(&ld.sections[i]);
	free(ld.sections);
	free(ld.domain_section);
	conf->warnings = ld.warnings;
	if (rc != 0)
		table_free(&conf->table);
	else if ((conf->file = strdup(file)) == NULL) {
		log_conf(file, 0, 0, "out of memory");
		table_free(&conf->table);
		rc = 1;
	}
	return rc;
}

long
conf_load(struct conf *conf, const char *file)
{
	struct stat	 st;
	FILE		*fp;
	long		 rc;

	memset(conf, 0, sizeof(*conf));
	table_init(&conf->table);
	if ((fp = fopen(file, "re")) == NULL) {
		log_conf(file, 0, 0, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fileno(fp), &st) == -1) {
		log_conf(file, 0, 0, "%s", strerror(errno));
		fclose(fp);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		log_conf(file, 0, 0, "not a regular file");
		fclose(fp);
		return -1;
	}
	rc = conf_load_stream(conf, fp, file);
	fclose(fp);
	return rc;
}

void
conf_free(struct conf *conf)
{
	table_free(&conf->table);
	free(conf->file);
	conf->file = NULL;
}
