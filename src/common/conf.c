/* SPDX-License-Identifier: ISC */
/*
 * The INI config → a validated, prepared policy table, and the [reports]
 * keys of mta-sts-report (the responder checks them and uses none).
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
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ini.h>

#include "common/common.h"

#define ONE_DAY		86400UL
#define WARN_SHOWN	10	/* of each kind; then only counted */

enum warning_kind {
	WARN_TESTING,
	WARN_NONE,
	WARN_NONE_NO_MX,
	WARN_MAX_AGE,
	WARN_KINDS,
};

static const char *const warning_names[WARN_KINDS] = {
	"mode testing", "mode none", "mode none without mx",
	"max_age below one day",
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

struct mx_pattern {
	char			*name;		/* lower case */
	unsigned long		 line;
};

struct section {
	const char		*file;		/* its file, for messages */
	unsigned long		 line;
	int			 is_policy;	/* [policy], else [domain] */
	int			 is_reports;	/* [reports]: no policy */
	int			 usable;	/* header valid: build it */
	int			 damaged;	/* a line was unreadable */
	char			*domain;	/* lower case */
	struct field		 mode_field;
	enum policy_mode	 mode;
	struct field		 max_age_field;
	unsigned long		 max_age;
	struct field		 mx_field;	/* line of the first mx */
	struct mx_pattern	*mx;
	size_t			 mxlen;
	size_t			 mxcap;
	struct field		 tlsrpt_field;
	char			*tlsrpt;
	struct field		 zone_field;
	char			*zone;		/* lower case */
};

/*
 * The [reports] section's keys as read (mta-sts-report(8)): unlike
 * [policy]'s they are not inherited by anything, so they live once in
 * the loader rather than in every section.
 */
struct reports_keys {
	struct field		 database_field;
	char			*database;
	struct field		 body_max_field;
	size_t			 body_max;
	struct field		 inflated_max_field;
	size_t			 inflated_max;
	struct field		 trust_field;
	char			*trust_authserv_id;
	struct field		 keep_days_field;
	unsigned long		 keep_days;
	struct field		 enforce_days_field;
	unsigned long		 enforce_days;
	struct field		 enforce_reporters_field;
	unsigned long		 enforce_reporters;
	struct field		 silent_days_field;
	unsigned long		 silent_days;
	struct field		 daily_days_field;
	unsigned long		 daily_days;
};

/* What conf_reader makes of a line. */
enum line_kind {
	LINE_PASS,		/* inih parses it */
	LINE_SKIP,		/* handled (a header) or nothing to parse */
	LINE_DAMAGED,		/* reported: unreadable */
};

/*
 * Where the reader is, besides a section's index: before any section
 * (a key there is an error), or under a header that was itself an error
 * (its keys are skipped: the header was reported, they would only add
 * noise).
 */
#define CUR_NONE	(-1)
#define CUR_BROKEN	(-2)

struct loader {
	const char		*file;		/* being read, or reported on */
	const char		*top;		/* -c: a file or directory */
	char			**paths;	/* of a directory's files */
	size_t			 npaths;
	FILE			*fp;
	unsigned long		 line;
	char			*buf;
	size_t			 bufsize;
	struct section		*sections;
	size_t			 nsections;
	size_t			 sections_cap;
	long			 cur;		/* section index, or CUR_* */
	long			 policy;	/* index of [policy], or -1 */
	long			 reports;	/* index of [reports], or -1 */
	struct reports_keys	 rk;
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

	/*
	 * After running out of memory the loader's state is not to be
	 * trusted: what it would report next is not the config's fault.
	 */
	if (ld->nomem)
		return;
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

	if (ld->nomem)
		return;
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
		free(s->mx[i].name);
	free(s->mx);
	free(s->domain);
	free(s->tlsrpt);
	free(s->zone);
}

static const char *
section_label(const struct section *s, char *buf, size_t size)
{
	if (s->is_policy)
		snprintf(buf, size, "[policy]");
	else if (s->is_reports)
		snprintf(buf, size, "[reports]");
	else
		snprintf(buf, size, "[domain %s]", s->domain);
	return buf;
}

static int
is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\f' || c == '\v';
}

/* A new, empty section at the current line; it becomes the current one. */
static struct section *
section_new(struct loader *ld)
{
	struct section	*p;

	if ((p = buf_array_room(ld->sections, ld->nsections,
	    &ld->sections_cap, sizeof(*ld->sections))) == NULL) {
		conf_nomem(ld);
		return NULL;
	}
	ld->sections = p;
	p = &ld->sections[ld->nsections];
	memset(p, 0, sizeof(*p));
	p->file = ld->file;
	p->line = ld->line;
	ld->cur = (long)ld->nsections++;
	return p;
}

static void
policy_register(struct loader *ld, struct section *s)
{
	s->is_policy = 1;
	if (ld->policy >= 0) {
		conf_error(ld, ld->line, "duplicate [policy] section (first at "
		    "%s:%lu)", ld->sections[ld->policy].file,
		    ld->sections[ld->policy].line);
		return;
	}
	ld->policy = ld->cur;
	s->usable = 1;
}

/*
 * [reports]: mta-sts-report's keys, once per config like [policy].  The
 * section serves no policy: it is never built into the table.
 */
static void
reports_register(struct loader *ld, struct section *s)
{
	s->is_reports = 1;
	if (ld->reports >= 0) {
		conf_error(ld, ld->line, "duplicate [reports] section (first "
		    "at %s:%lu)", ld->sections[ld->reports].file,
		    ld->sections[ld->reports].line);
		ld->cur = CUR_BROKEN;	/* its keys would only add noise */
		return;
	}
	ld->reports = ld->cur;
}

/*
 * Adds a lower-case policy domain of section s (the current one) to the
 * table, once in the whole config.
 */
static void
domain_register(struct loader *ld, struct section *s, const char *dom,
    size_t dlen)
{
	const struct table_domain	*d;
	const struct section		*first;
	size_t				*p;
	long				 idx;

	if ((d = table_find(ld->table, dom, dlen)) != NULL) {
		first = &ld->sections[ld->domain_section[d -
		    ld->table->domains]];
		conf_error(ld, ld->line, "domain %s: named twice (first at "
		    "%s:%lu)", dom, first->file, first->line);
		return;
	}
	if ((idx = table_add_domain(ld->table, dom, dlen)) == -1 ||
	    (p = buf_array_room(ld->domain_section, (size_t)idx,
	    &ld->domain_section_cap, sizeof(*p))) == NULL) {
		conf_nomem(ld);
		return;
	}
	ld->domain_section = p;
	ld->domain_section[idx] = (size_t)ld->cur;
	s->usable = 1;
}

/*
 * One name of a [domain ...] header (len bytes at name): lower-cased,
 * checked and added to the table.  Reports what is wrong.
 */
static void
domain_one(struct loader *ld, struct section *s, const char *name,
    size_t len)
{
	enum dname_error	 e;
	char			*dom;
	size_t			 i;

	if ((dom = strndup(name, len)) == NULL) {
		conf_nomem(ld);
		return;
	}
	for (i = 0; i < len; i++)
		dom[i] = (char)tolower((unsigned char)dom[i]);
	if ((e = dname_check_domain(dom, len)) == DNAME_POLICY_HOST)
		conf_error(ld, ld->line, "[domain %s]: name the policy "
		    "domain, not its policy host: [domain %s]", dom, dom + 8);
	else if (e != DNAME_OK)
		conf_error(ld, ld->line, "[domain %s]: %s", dom,
		    dname_strerror(e));
	else
		domain_register(ld, s, dom, len);
	free(dom);
}

/*
 * The names in "domain <name> [<name> ...]" (len bytes at header),
 * separated by blanks: several policy domains may share one section (an
 * alias domain and its main domain).  s->domain keeps them lower case,
 * one blank apart, for messages.
 */
static void
domain_names(struct loader *ld, struct section *s, const char *header,
    size_t len)
{
	const char	*p = header + 6, *end = header + len, *start;
	size_t		 n = 0, i;

	if ((s->domain = malloc(len)) == NULL) {
		conf_nomem(ld);
		return;
	}
	while (p < end) {
		if (is_blank((unsigned char)*p)) {
			p++;
			continue;
		}
		for (start = p; p < end && !is_blank((unsigned char)*p); p++)
			;
		if (n > 0)
			s->domain[n++] = ' ';
		for (i = 0; start + i < p; i++)
			s->domain[n++] = (char)tolower((unsigned char)start[i]);
		domain_one(ld, s, start, (size_t)(p - start));
	}
	s->domain[n] = '\0';
	if (n == 0)
		conf_error(ld, ld->line, "[domain] needs the policy domain "
		    "it serves: [domain example.com]");
}

/*
 * [policy] or [domain <name>], len bytes at name.  A bad header still
 * opens a section, so that the keys under it are checked, but it is
 * never built.
 */
static void
section_open(struct loader *ld, const char *name, size_t len)
{
	struct section	*s;

	if ((s = section_new(ld)) == NULL)
		return;
	if (len == 6 && strncmp(name, "policy", 6) == 0) {
		policy_register(ld, s);
		return;
	}
	if (len == 7 && strncmp(name, "reports", 7) == 0) {
		reports_register(ld, s);
		return;
	}
	if (len < 6 || strncmp(name, "domain", 6) != 0 ||
	    (len > 6 && !is_blank((unsigned char)name[6]))) {
		conf_error(ld, ld->line, "unknown section [%.*s]; allowed: "
		    "[policy], [domain <policy domain>] and [reports]",
		    (int)len, name);
		return;
	}
	domain_names(ld, s, name, len);
}

/* A line starting with "[": checks the header's form, then opens it. */
static enum line_kind
header_parse(struct loader *ld, char *p)
{
	char	*end;
	size_t	 n;

	if ((end = strchr(p, ']')) == NULL) {
		conf_error(ld, ld->line, "section header without closing "
		    "\"]\"");
		ld->cur = CUR_BROKEN;
		return LINE_SKIP;
	}
	for (n = 1; end[n] != '\0' && is_blank((unsigned char)end[n]); n++)
		;
	if (end[n] != '\0' && end[n] != ';' && end[n] != '#') {
		conf_error(ld, ld->line, "text after the section header's "
		    "\"]\"");
		ld->cur = CUR_BROKEN;
		return LINE_SKIP;
	}
	for (p++; p < end && is_blank((unsigned char)*p); p++)
		;
	while (end > p && is_blank((unsigned char)end[-1]))
		end--;
	section_open(ld, p, (size_t)(end - p));
	return LINE_SKIP;
}

/*
 * Trims the line in ld->buf (n bytes read): a first line's byte-order
 * mark, the line end, blanks at both ends.  Returns where it starts now
 * and sets *len.
 */
static char *
line_trim(struct loader *ld, size_t n, size_t *len)
{
	char	*p = ld->buf;

	if (ld->line == 1 && n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
		p += 3;
		n -= 3;
	}
	while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == '\r'))
		n--;
	while (n > 0 && is_blank((unsigned char)*p)) {
		p++;
		n--;
	}
	while (n > 0 && is_blank((unsigned char)p[n - 1]))
		n--;
	p[n] = '\0';
	*len = n;
	return p;
}

/* Decides what becomes of a trimmed line of len bytes (max for inih). */
static enum line_kind
line_classify(struct loader *ld, char *p, size_t len, size_t max)
{
	if (len > max) {
		conf_error(ld, ld->line, "line is %zu bytes long; the limit "
		    "is %zu (split a long mx list over several mx lines)",
		    len, max);
		return LINE_DAMAGED;
	}
	if (len == 0 || *p == ';' || *p == '#')
		return LINE_PASS;
	if (*p == '[')
		return header_parse(ld, p);
	if (strpbrk(p, "=:") == NULL) {
		conf_error(ld, ld->line, "expected \"key = value\", a "
		    "[section] or a comment");
		return LINE_DAMAGED;
	}
	if (*p == '=' || *p == ':') {
		conf_error(ld, ld->line, "missing key before \"%c\"", *p);
		return LINE_DAMAGED;
	}
	return LINE_PASS;
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
	enum line_kind	 kind;
	ssize_t		 n;
	size_t		 len = 0;
	char		*p = NULL;

	if (ld->nomem)
		return NULL;	/* stop reading: the load has failed */
	if ((n = getline(&ld->buf, &ld->bufsize, ld->fp)) == -1) {
		if (ferror(ld->fp))
			conf_error(ld, ld->line, "read error: %s",
			    strerror(errno));
		return NULL;
	}
	ld->line++;
	if (memchr(ld->buf, '\0', (size_t)n) != NULL) {
		conf_error(ld, ld->line, "NUL byte in line");
		kind = LINE_DAMAGED;
	} else {
		p = line_trim(ld, (size_t)n, &len);
		/* inih reads num - 1 bytes, and wants room for the newline. */
		kind = line_classify(ld, p, len, num > 2 ? (size_t)num - 2 : 0);
	}
	if (kind == LINE_PASS) {
		memcpy(str, p, len);
		str[len] = '\n';
		str[len + 1] = '\0';
		return str;
	}
	/* What a damaged line said is unknown: do not report it as missing. */
	if (kind == LINE_DAMAGED && ld->cur >= 0)
		ld->sections[ld->cur].damaged = 1;
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
		conf_warning(ld, WARN_TESTING, ld->line,
		    "mode testing: senders report "
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
		conf_warning(ld, WARN_MAX_AGE, ld->line,
		    "max_age %llu is less than one "
		    "day; RFC 8461 §3.2 expects weeks (604800 is one week)",
		    n);
}

static int
mx_add(struct loader *ld, struct section *s, const char *pat, size_t len)
{
	struct mx_pattern	*p;
	size_t			 i;

	for (i = 0; i < s->mxlen; i++)
		if (strlen(s->mx[i].name) == len &&
		    strncasecmp(s->mx[i].name, pat, len) == 0) {
			conf_error(ld, ld->line, "mx: \"%.*s\" is already "
			    "listed (line %lu)", (int)len, pat, s->mx[i].line);
			return -1;
		}
	if ((p = buf_array_room(s->mx, s->mxlen, &s->mxcap,
	    sizeof(*p))) == NULL) {
		conf_nomem(ld);
		return -1;
	}
	s->mx = p;
	p = &s->mx[s->mxlen];
	if ((p->name = strndup(pat, len)) == NULL) {
		conf_nomem(ld);
		return -1;
	}
	/* Matching is case-insensitive (§4.1): serve one canonical form. */
	for (i = 0; i < len; i++)
		p->name[i] = (char)tolower((unsigned char)pat[i]);
	p->line = ld->line;
	s->mxlen++;
	return 0;
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

/*
 * Moves the https: URIs of a checked rua value (URIs separated by
 * single commas, len bytes at rua) before the mailto: ones, each kind in
 * the order given.  RFC 8460 §3 lets a sender use any of them; one large
 * sender is reported to use only the first, and an https report arrives
 * without the DKIM and mail path a mailto: report needs.
 */
static int
tlsrpt_https_first(struct loader *ld, char *rua, size_t len)
{
	char		*copy, *w = rua;
	const char	*p, *end;
	int		 pass, n = 0;

	if ((copy = strndup(rua, len)) == NULL) {
		conf_nomem(ld);
		return -1;
	}
	for (pass = 0; pass < 2; pass++)
		for (p = copy; p < copy + len; p = end + 1) {
			if ((end = memchr(p, ',', (size_t)(copy + len - p))) ==
			    NULL)
				end = copy + len;
			if ((strncmp(p, "https:", 6) == 0) != (pass == 0))
				continue;
			if (n++ > 0)
				*w++ = ',';
			memcpy(w, p, (size_t)(end - p));
			w += end - p;
		}
	free(copy);
	return 0;
}

static void
key_tlsrpt(struct loader *ld, struct section *s, const char *value)
{
	const char	*p = value, *start;
	char		*out, *w;
	size_t		 len;
	int		 ok = 1, n = 0;

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
	if (!ok || tlsrpt_https_first(ld, out, (size_t)(w - out)) == -1) {
		free(out);
		return;
	}
	s->tlsrpt = out;
	s->tlsrpt_field.state = FIELD_SET;
}

/*
 * The DNS zone that holds a [domain] section's records, for -U's update
 * messages (RFC 2136 §2.3: an update names its zone).  Only a [domain]
 * section has one: zones differ per domain, and one inherited from
 * [policy] would send the records of unrelated domains into it.
 */
static void
key_zone(struct loader *ld, struct section *s, const char *value)
{
	enum dname_error	 e;
	size_t			 i, len = strlen(value);

	if (s->is_policy) {
		conf_error(ld, ld->line, "zone: only in a [domain] section "
		    "(domains [policy] serves are their own zone)");
		return;
	}
	if ((e = dname_check(value, len, 0)) != DNAME_OK) {
		conf_error(ld, ld->line, "zone: \"%s\": %s", value,
		    dname_strerror(e));
		return;
	}
	if ((s->zone = strdup(value)) == NULL) {
		conf_nomem(ld);
		return;
	}
	for (i = 0; i < len; i++)
		s->zone[i] = (char)tolower((unsigned char)s->zone[i]);
	s->zone_field.state = FIELD_SET;
}

/*
 * The keys a section may hold: a new key is a field of struct section,
 * one row here and its parser.  A key given once sets its field's line
 * and state before the parser runs (which marks it set if the value is
 * valid); the others (mx) track their field themselves.
 */
static const struct key {
	const char	*name;
	size_t		 field;		/* offset of its struct field */
	int		 once;
	void		(*parse)(struct loader *, struct section *,
			    const char *);
} keys[] = {
	{ "mode", offsetof(struct section, mode_field), 1, key_mode },
	{ "mx", offsetof(struct section, mx_field), 0, key_mx },
	{ "max_age", offsetof(struct section, max_age_field), 1, key_max_age },
	{ "tlsrpt", offsetof(struct section, tlsrpt_field), 1, key_tlsrpt },
	{ "zone", offsetof(struct section, zone_field), 1, key_zone },
};
#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

static struct field *
key_field(const struct key *k, struct section *s)
{
	return (struct field *)(void *)((char *)s + k->field);
}

/* "mode, mx, max_age, tlsrpt, zone": the keys, for messages. */
static const char *
keys_allowed(char *buf, size_t size)
{
	size_t	 i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < NKEYS && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s",
		    i > 0 ? ", " : "", keys[i].name);
	return buf;
}

/*
 * [reports] sizes: digits, optionally followed by K or M (binary, either
 * case: 1024 or 1048576 bytes), from 1K to max.
 */
static int
reports_size(const char *value, size_t max, size_t *out)
{
	char		 digits[24];
	size_t		 len = strlen(value), unit = 1;
	long long	 n;

	if (len > 0 && (value[len - 1] == 'k' || value[len - 1] == 'K'))
		unit = 1024;
	else if (len > 0 && (value[len - 1] == 'm' || value[len - 1] == 'M'))
		unit = 1024 * 1024;
	if (unit > 1)
		len--;
	if (len == 0 || len >= sizeof(digits))
		return -1;
	memcpy(digits, value, len);
	digits[len] = '\0';
	if (num_parse(digits, 10, 1, (long long)(max / unit), &n) == -1 ||
	    (size_t)n * unit < CONF_REPORTS_SIZE_MIN)
		return -1;
	*out = (size_t)n * unit;
	return 0;
}

/* A size as a person writes it: "16M", "512K" or bytes. */
static const char *
reports_size_name(size_t n, char *buf, size_t size)
{
	if (n % (1024 * 1024) == 0)
		snprintf(buf, size, "%zuM", n / (1024 * 1024));
	else if (n % 1024 == 0)
		snprintf(buf, size, "%zuK", n / 1024);
	else
		snprintf(buf, size, "%zu", n);
	return buf;
}

/*
 * The store: an absolute path (the receiver opens it from whatever
 * directory a web server or an MTA starts it in), or PostgreSQL.
 */
static void
key_database(struct loader *ld, const char *value)
{
	char	 why[CONF_REPORTS_PATH_MAX + 160];

	if (database_kind(value, why, sizeof(why)) == DATABASE_NONE) {
		conf_error(ld, ld->line, "database: %s", why);
		return;
	}
	if ((ld->rk.database = strdup(value)) == NULL) {
		conf_nomem(ld);
		return;
	}
	ld->rk.database_field.state = FIELD_SET;
}

static void
key_body_max(struct loader *ld, const char *value)
{
	char	 max[32];

	if (reports_size(value, CONF_REPORTS_BODY_MAX_MAX,
	    &ld->rk.body_max) == -1) {
		conf_error(ld, ld->line, "body_max: \"%s\" is not a size from "
		    "1K to %s (bytes, or a number followed by K or M)", value,
		    reports_size_name(CONF_REPORTS_BODY_MAX_MAX, max,
		    sizeof(max)));
		return;
	}
	ld->rk.body_max_field.state = FIELD_SET;
}

static void
key_inflated_max(struct loader *ld, const char *value)
{
	char	 max[32];

	if (reports_size(value, CONF_REPORTS_INFLATED_MAX_MAX,
	    &ld->rk.inflated_max) == -1) {
		conf_error(ld, ld->line, "inflated_max: \"%s\" is not a size "
		    "from 1K to %s (bytes, or a number followed by K or M)",
		    value, reports_size_name(CONF_REPORTS_INFLATED_MAX_MAX, max,
		    sizeof(max)));
		return;
	}
	ld->rk.inflated_max_field.state = FIELD_SET;
}

/*
 * RFC 8601 §2.2: an authserv-id is a "value" of RFC 2045 §5.1, a token
 * (printable ASCII but tspecials) or a quoted-string; config values are
 * written without quotes, so a token.  In practice a host name.
 */
static void
key_trust_authserv_id(struct loader *ld, const char *value)
{
	size_t	 i, len = strlen(value);

	for (i = 0; i < len; i++)
		if ((unsigned char)value[i] <= 0x20 ||
		    (unsigned char)value[i] >= 0x7f ||
		    strchr("()<>@,;:\\\"/[]?=", value[i]) != NULL)
			break;
	if (len == 0 || i < len || len > CONF_REPORTS_AUTHSERV_MAX) {
		conf_error(ld, ld->line, "trust_authserv_id: \"%s\" is not an "
		    "authserv-id: want the token (at most %d bytes of "
		    "printable ASCII, no blanks or ()<>@,;:\\\"/[]?=) that "
		    "the local verifier writes first in its "
		    "Authentication-Results header (RFC 8601 §2.2)", value,
		    CONF_REPORTS_AUTHSERV_MAX);
		return;
	}
	if ((ld->rk.trust_authserv_id = strdup(value)) == NULL) {
		conf_nomem(ld);
		return;
	}
	ld->rk.trust_field.state = FIELD_SET;
}

static void
key_keep_days(struct loader *ld, const char *value)
{
	long long	 n;

	if (num_parse(value, 10, 1, CONF_REPORTS_KEEP_DAYS_MAX, &n) == -1) {
		conf_error(ld, ld->line, "keep_days: \"%s\" is not a number of "
		    "days from 1 to %d", value, CONF_REPORTS_KEEP_DAYS_MAX);
		return;
	}
	ld->rk.keep_days = (unsigned long)n;
	ld->rk.keep_days_field.state = FIELD_SET;
}

/*
 * The summary's thresholds: whole numbers in a range, said in the
 * message so that the fix is in it.
 */
static int
reports_count(struct loader *ld, const char *key, const char *value,
    long long min, long long max, const char *what, unsigned long *out)
{
	long long	 n;

	if (num_parse(value, 10, min, max, &n) == -1) {
		conf_error(ld, ld->line, "%s: \"%s\" is not a number of %s "
		    "from %lld to %lld", key, value, what, min, max);
		return -1;
	}
	*out = (unsigned long)n;
	return 0;
}

static void
key_enforce_days(struct loader *ld, const char *value)
{
	if (reports_count(ld, "enforce_days", value, 1,
	    CONF_REPORTS_ENFORCE_DAYS_MAX, "days", &ld->rk.enforce_days) == 0)
		ld->rk.enforce_days_field.state = FIELD_SET;
}

static void
key_enforce_reporters(struct loader *ld, const char *value)
{
	if (reports_count(ld, "enforce_reporters", value, 1,
	    CONF_REPORTS_ENFORCE_REPORTERS_MAX, "reporters",
	    &ld->rk.enforce_reporters) == 0)
		ld->rk.enforce_reporters_field.state = FIELD_SET;
}

static void
key_silent_days(struct loader *ld, const char *value)
{
	if (reports_count(ld, "silent_days", value, 1,
	    CONF_REPORTS_SILENT_DAYS_MAX, "days", &ld->rk.silent_days) == 0)
		ld->rk.silent_days_field.state = FIELD_SET;
}

static void
key_daily_days(struct loader *ld, const char *value)
{
	if (reports_count(ld, "daily_days", value, 1,
	    CONF_REPORTS_DAILY_DAYS_MAX, "days of a week",
	    &ld->rk.daily_days) == 0)
		ld->rk.daily_days_field.state = FIELD_SET;
}

/* The keys of [reports]: a row, a field of struct reports_keys, a parser. */
static const struct reports_key {
	const char	*name;
	size_t		 field;
	void		(*parse)(struct loader *, const char *);
} reports_keys_table[] = {
	{ "database", offsetof(struct reports_keys, database_field),
	    key_database },
	{ "body_max", offsetof(struct reports_keys, body_max_field),
	    key_body_max },
	{ "inflated_max", offsetof(struct reports_keys, inflated_max_field),
	    key_inflated_max },
	{ "trust_authserv_id", offsetof(struct reports_keys, trust_field),
	    key_trust_authserv_id },
	{ "keep_days", offsetof(struct reports_keys, keep_days_field),
	    key_keep_days },
	{ "enforce_days", offsetof(struct reports_keys, enforce_days_field),
	    key_enforce_days },
	{ "enforce_reporters", offsetof(struct reports_keys,
	    enforce_reporters_field), key_enforce_reporters },
	{ "silent_days", offsetof(struct reports_keys, silent_days_field),
	    key_silent_days },
	{ "daily_days", offsetof(struct reports_keys, daily_days_field),
	    key_daily_days },
};
#define NREPORTS_KEYS	(sizeof(reports_keys_table) / \
			    sizeof(reports_keys_table[0]))

/* A key = value line under [reports]; each key at most once. */
static void
reports_handler(struct loader *ld, const char *key, const char *value)
{
	const struct reports_key	*k;
	struct field			*f;

	for (k = reports_keys_table; k < reports_keys_table + NREPORTS_KEYS &&
	    strcmp(key, k->name) != 0; k++)
		;
	if (k == reports_keys_table + NREPORTS_KEYS) {
		conf_error(ld, ld->line, "unknown key \"%s\" in [reports]; "
		    "allowed: database, body_max, inflated_max, "
		    "trust_authserv_id, keep_days, enforce_days, "
		    "enforce_reporters, silent_days, daily_days", key);
		return;
	}
	f = (struct field *)(void *)((char *)&ld->rk + k->field);
	if (!field_once(ld, f, key))
		return;
	if (value[0] == '"' || value[0] == '\'') {
		conf_error(ld, ld->line, "%s: write the value without quotes",
		    key);
		return;
	}
	k->parse(ld, value);
}

/*
 * The [reports] keys into conf, defaults for those not given; checks
 * what only the keys together say.  0, or -1 after reporting.
 */
static int
reports_finish(struct loader *ld, struct conf_reports *r)
{
	struct reports_keys	*rk = &ld->rk;
	char			 a[32], b[32];

	memset(r, 0, sizeof(*r));
	r->present = ld->reports >= 0;
	r->body_max = rk->body_max_field.state == FIELD_SET ? rk->body_max :
	    CONF_REPORTS_BODY_MAX;
	r->inflated_max = rk->inflated_max_field.state == FIELD_SET ?
	    rk->inflated_max : CONF_REPORTS_INFLATED_MAX;
	r->keep_days = rk->keep_days_field.state == FIELD_SET ?
	    rk->keep_days : CONF_REPORTS_KEEP_DAYS;
	r->enforce_days = rk->enforce_days_field.state == FIELD_SET ?
	    rk->enforce_days : CONF_REPORTS_ENFORCE_DAYS;
	r->enforce_reporters = rk->enforce_reporters_field.state ==
	    FIELD_SET ? rk->enforce_reporters : CONF_REPORTS_ENFORCE_REPORTERS;
	r->silent_days = rk->silent_days_field.state == FIELD_SET ?
	    rk->silent_days : CONF_REPORTS_SILENT_DAYS;
	r->daily_days = rk->daily_days_field.state == FIELD_SET ?
	    rk->daily_days : CONF_REPORTS_DAILY_DAYS;
	/* A report sent as plain JSON is as large inflated as sent. */
	if (rk->body_max_field.state != FIELD_INVALID &&
	    rk->inflated_max_field.state != FIELD_INVALID &&
	    r->inflated_max < r->body_max) {
		ld->file = ld->sections[ld->reports].file;
		reports_size_name(r->inflated_max, a, sizeof(a));
		reports_size_name(r->body_max, b, sizeof(b));
		if (rk->inflated_max_field.state == FIELD_SET)
			conf_error(ld, rk->inflated_max_field.line,
			    "inflated_max: %s is less than body_max %s: a "
			    "report sent as plain JSON is as large inflated "
			    "as sent", a, b);
		else
			conf_error(ld, rk->body_max_field.line, "body_max: %s "
			    "is more than inflated_max %s (the default): a "
			    "report sent as plain JSON is as large inflated "
			    "as sent", b, a);
		ld->file = ld->top;
		return -1;
	}
	if ((r->database = rk->database != NULL ? rk->database :
	    strdup(CONF_REPORTS_DATABASE)) == NULL) {
		conf_nomem(ld);
		return -1;
	}
	rk->database = NULL;
	r->trust_authserv_id = rk->trust_authserv_id;
	rk->trust_authserv_id = NULL;
	return 0;
}

static int
conf_handler(void *user, const char *section, const char *key,
    const char *value)
{
	struct loader	*ld = user;
	struct section	*s;
	struct field	*f;
	const struct key *k;
	char		 allowed[128];

	(void)section;		/* the reader tracks sections */
	if (ld->cur == CUR_BROKEN)
		return 1;	/* under a broken header: reported already */
	if (ld->cur < 0) {
		conf_error(ld, ld->line, "\"%s\" outside a section: put it "
		    "under [policy] or [domain <policy domain>]", key);
		return 1;
	}
	s = &ld->sections[ld->cur];
	if (s->is_reports) {
		reports_handler(ld, key, value);
		return 1;
	}
	for (k = keys; k < keys + NKEYS && strcmp(key, k->name) != 0; k++)
		;
	if (k == keys + NKEYS) {
		conf_error(ld, ld->line, "unknown key \"%s\"; allowed: %s", key,
		    keys_allowed(allowed, sizeof(allowed)));
		return 1;
	}
	f = key_field(k, s);
	if (value[0] == '"' || value[0] == '\'') {
		conf_error(ld, ld->line, "%s: write the value without quotes",
		    key);
		if (f->state == FIELD_UNSET)
			f->line = ld->line;
		f->state = FIELD_INVALID;
		return 1;
	}
	if (!k->once || field_once(ld, f, key))
		k->parse(ld, s, value);
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

/* The sections a section takes each of its fields from. */
struct sources {
	const struct section	*mode;
	const struct section	*max_age;
	const struct section	*mx;
	const struct section	*tlsrpt;
};

/*
 * Finds where each field of s comes from: s, or else [policy] p.
 * Returns 0, or -1 if s cannot be built (reported, here or before).
 */
static int
section_sources(struct loader *ld, const struct section *s,
    const struct section *p, struct sources *src)
{
	int	 quiet = 0;

	src->mode = resolve(ld, s, p, offsetof(struct section, mode_field),
	    "mode (enforce, testing or none)", &quiet);
	src->max_age = resolve(ld, s, p, offsetof(struct section,
	    max_age_field), "max_age (seconds; 604800 is one week)", &quiet);
	/* An mx list given here replaces the inherited one. */
	src->mx = s;
	if (s->mx_field.state == FIELD_INVALID)
		quiet = 1;
	else if (s->mx_field.state == FIELD_UNSET && p != NULL) {
		if (p->mx_field.state == FIELD_INVALID)
			quiet = 1;
		src->mx = p;
	}
	src->tlsrpt = s->tlsrpt_field.state == FIELD_UNSET && p != NULL ?
	    p : s;
	return src->mode == NULL || src->max_age == NULL || quiet ? -1 : 0;
}

/* Checks the policy of section s as senders will see it; 0 or -1. */
static int
spec_check(struct loader *ld, const struct section *s,
    const struct policy_spec *spec)
{
	char	 label[300];

	section_label(s, label, sizeof(label));
	/* RFC 8461 §3.2: "mx" is required unless mode is "none". */
	if (spec->mxlen == 0 && spec->mode != POLICY_NONE) {
		conf_error(ld, s->line, "%s: mode %s needs at least one mx",
		    label, policy_mode_name(spec->mode));
		return -1;
	}
	/*
	 * Seen with real senders: Stalwart refuses a policy without an mx
	 * line, even in mode none.
	 */
	if (spec->mxlen == 0)
		conf_warning(ld, WARN_NONE_NO_MX, s->line, "%s: mode none "
		    "without any mx is valid, but some senders (Stalwart) "
		    "refuse a policy without an mx line: keep the mx lines "
		    "while winding down", label);
	if (policy_body_len(spec) == 0) {
		conf_error(ld, s->line, "%s: the policy is longer than the "
		    "%d bytes senders accept: list fewer mx patterns (one "
		    "\"*.example.com\" covers every mx1.example.com, "
		    "mx2.example.com ...)", label, POLICY_BODY_MAX);
		return -1;
	}
	return 0;
}

/*
 * Resolves section s against [policy] p and adds its prepared policy.
 * Returns its index and sets *tlsrpt, or -1.
 */
static long
section_build(struct loader *ld, const struct section *s,
    const struct section *p, const char **tlsrpt)
{
	struct sources		 src;
	struct policy_spec	 spec;
	const char		**names;
	size_t			 i;
	long			 idx = -1;

	if (s->damaged || (p != NULL && p->damaged))
		return -1;	/* the unreadable line was reported */
	if (section_sources(ld, s, p, &src) == -1)
		return -1;
	if ((names = reallocarray(NULL, src.mx->mxlen + 1,
	    sizeof(*names))) == NULL) {
		conf_nomem(ld);
		return -1;
	}
	for (i = 0; i < src.mx->mxlen; i++)
		names[i] = src.mx->mx[i].name;
	spec.mode = src.mode->mode;
	spec.max_age = src.max_age->max_age;
	spec.mx = names;
	spec.mxlen = src.mx->mxlen;
	if (spec_check(ld, s, &spec) == -1)
		goto out;
	if ((idx = table_add_policy(ld->table, &spec)) == -1) {
		conf_nomem(ld);
		goto out;
	}
	*tlsrpt = NULL;
	if (src.tlsrpt->tlsrpt_field.state == FIELD_SET &&
	    (*tlsrpt = table_strdup(ld->table, src.tlsrpt->tlsrpt)) == NULL) {
		conf_nomem(ld);
		idx = -1;
	}
out:
	free(names);
	return idx;
}

/*
 * Gives domain d the zone of its section s, which must hold it (the
 * name itself or a name below it).  Returns 0, or -1 after reporting.
 */
static int
zone_assign(struct loader *ld, const struct section *s,
    struct table_domain *d)
{
	size_t	 n, z;

	if (s->zone_field.state != FIELD_SET)
		return 0;
	n = strlen(d->name);
	z = strlen(s->zone);
	if (n < z || strcmp(d->name + n - z, s->zone) != 0 ||
	    (n > z && d->name[n - z - 1] != '.')) {
		conf_error(ld, s->zone_field.line, "zone: %s is not inside "
		    "zone %s", d->name, s->zone);
		return -1;
	}
	if ((d->zone = table_strdup(ld->table, s->zone)) == NULL) {
		conf_nomem(ld);
		return -1;
	}
	return 0;
}

static void
conf_build(struct loader *ld)
{
	const struct section	*p = NULL;
	struct table		*t = ld->table;
	const char		*tlsrpt;
	size_t			 i;
	long			 idx;

	ld->file = ld->top;
	if (ld->policy < 0 && t->ndomains == 0) {
		/* After a broken header, that error says it all. */
		if (ld->errors == 0)
			conf_error(ld, 0, "no [policy] or [domain <policy "
			    "domain>] section: nothing to serve");
		return;
	}
	if (ld->policy >= 0) {
		p = &ld->sections[ld->policy];
		ld->file = p->file;
		if ((idx = section_build(ld, p, NULL, &tlsrpt)) >= 0) {
			t->default_policy = idx;
			t->default_tlsrpt = tlsrpt;
		}
	}
	/*
	 * The domains of one section are consecutive in the table: build
	 * the section once (one report of its problems), serve it to all.
	 */
	for (i = 0, idx = -1; i < t->ndomains; i++) {
		const struct section *s = &ld->sections[ld->domain_section[i]];

		ld->file = s->file;	/* messages name the section's file */
		if (i == 0 ||
		    ld->domain_section[i] != ld->domain_section[i - 1])
			idx = section_build(ld, s, p, &tlsrpt);
		if (zone_assign(ld, s, &t->domains[i]) == -1)
			idx = -1;
		if (idx >= 0) {
			t->domains[i].policy = (uint32_t)idx;
			t->domains[i].tlsrpt = tlsrpt;
		}
	}
	ld->file = ld->top;
}

static void
loader_init(struct loader *ld, struct conf *conf, const char *top)
{
	memset(conf, 0, sizeof(*conf));
	table_init(&conf->table);
	memset(ld, 0, sizeof(*ld));
	ld->file = ld->top = top;
	ld->policy = -1;
	ld->reports = -1;
	ld->table = &conf->table;
}

/* Reads one file of the config into ld: its lines, keys and sections. */
static void
loader_read(struct loader *ld, FILE *fp, const char *file)
{
	size_t	 before = ld->errors;
	int	 r;

	ld->file = file;
	ld->fp = fp;
	ld->line = 0;
	ld->cur = CUR_NONE;	/* each file starts outside any section */
	r = ini_parse_stream(conf_reader, ld, conf_handler, ld);
	if (r != 0 && ld->errors == before)
		conf_error(ld, r > 0 ? (unsigned long)r : 0, "syntax error");
	ld->file = ld->top;
}

/*
 * Builds what ld read into conf and frees ld.  Returns 0, or the number
 * of errors (conf is then empty).
 */
static long
loader_finish(struct loader *ld, struct conf *conf)
{
	size_t	 i;
	long	 rc;

	/* Built even after errors, to report problems of every section. */
	if (!ld->nomem)
		conf_build(ld);
	if (!ld->nomem)
		reports_finish(ld, &conf->reports);
	conf_warning_summary(ld);
	rc = (long)ld->errors;
	free(ld->rk.database);
	free(ld->rk.trust_authserv_id);
	free(ld->buf);
	for (i = 0; i < ld->nsections; i++)
		section_free(&ld->sections[i]);
	free(ld->sections);
	free(ld->domain_section);
	for (i = 0; i < ld->npaths; i++)
		free(ld->paths[i]);
	free(ld->paths);
	conf->warnings = ld->warnings;
	if (rc == 0 && (conf->file = strdup(ld->top)) == NULL) {
		log_conf(ld->top, 0, 0, "out of memory");
		rc = 1;
	}
	if (rc != 0)
		conf_free(conf);
	return rc;
}

long
conf_load_stream(struct conf *conf, FILE *fp, const char *file)
{
	struct loader	 ld;

	loader_init(&ld, conf, file);
	loader_read(&ld, fp, file);
	return loader_finish(&ld, conf);
}

/*
 * Opens file (at dirfd, or as a path with AT_FDCWD) for reading, name
 * naming it in messages.  Opening never blocks: a FIFO (or a device)
 * named as the config would otherwise hold -t, a CGI request or the
 * supervisor's reload in open() until some writer came.  Only a regular
 * file is then read.  Returns the stream, or NULL after reporting.
 */
static FILE *
conf_open(int dirfd, const char *file, const char *name)
{
	struct stat	 st;
	FILE		*fp = NULL;
	int		 fd, flags;

	if ((fd = openat(dirfd, file, O_RDONLY | O_NONBLOCK | O_CLOEXEC |
	    O_NOCTTY)) == -1 || fstat(fd, &st) == -1) {
		log_conf(name, 0, 0, "%s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		log_conf(name, 0, 0, "not a regular file");
		goto out;
	}
	/* Read whole into memory: a bound, far above 1,000,000 domains. */
	if (st.st_size > CONF_SIZE_MAX) {
		log_conf(name, 0, 0, "%lld bytes; a config may have at most "
		    "%d MiB", (long long)st.st_size, CONF_SIZE_MAX >> 20);
		goto out;
	}
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1 ||
	    (fp = fdopen(fd, "r")) == NULL) {
		log_conf(name, 0, 0, "%s", strerror(errno));
		goto out;
	}
	fd = -1;	/* fp owns it */
out:
	if (fd != -1)
		close(fd);
	return fp;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Is name one of a config directory's files: "*.ini", not hidden? */
static int
conf_dir_member(const char *name)
{
	size_t	 len = strlen(name);

	return name[0] != '.' && len > 4 && strcmp(name + len - 4, ".ini") == 0;
}

/*
 * The names of dir's "*.ini" files, sorted (strcmp: the same order in
 * every locale), into ld->paths as "dir/name".  0, or -1 after
 * reporting.  dirfd passes to the DIR stream.
 */
static int
conf_dir_list(struct loader *ld, int dirfd, const char *dir)
{
	DIR		*d;
	struct dirent	*e;
	size_t		 cap = 0;
	char		**p;
	int		 rc = -1;

	if ((d = fdopendir(dirfd)) == NULL) {
		log_conf(dir, 0, 0, "%s", strerror(errno));
		close(dirfd);
		return -1;
	}
	errno = 0;
	while ((e = readdir(d)) != NULL) {
		if (!conf_dir_member(e->d_name))
			continue;
		if ((p = buf_array_room(ld->paths, ld->npaths, &cap,
		    sizeof(*p))) == NULL)
			goto out;
		ld->paths = p;
		if (asprintf(&ld->paths[ld->npaths], "%s%s%s", dir,
		    dir[strlen(dir) - 1] == '/' ? "" : "/", e->d_name) == -1)
			goto out;
		ld->npaths++;
		errno = 0;
	}
	if (errno == 0)
		rc = 0;
out:
	if (rc == -1)
		log_conf(dir, 0, 0, "%s", strerror(errno ? errno : ENOMEM));
	else if (ld->npaths > 0)
		qsort(ld->paths, ld->npaths, sizeof(*ld->paths), name_cmp);
	closedir(d);
	return rc;
}

/*
 * A directory as one config: every "*.ini" file in it, in name order (a
 * provider's config management writes one file per customer).  A file
 * that cannot be read is an error; the others are still checked.
 */
static long
conf_load_dir(struct conf *conf, int dirfd, const char *dir)
{
	struct loader	 ld;
	FILE		*fp;
	size_t		 i;
	int		 fd;

	loader_init(&ld, conf, dir);
	if ((fd = dup(dirfd)) == -1 || conf_dir_list(&ld, fd, dir) == -1) {
		if (fd == -1)
			log_conf(dir, 0, 0, "%s", strerror(errno));
		ld.errors++;
		ld.nomem = 1;	/* nothing to build */
	} else if (ld.npaths == 0) {
		log_conf(dir, 0, 0, "no *.ini file in this directory");
		ld.errors++;
		ld.nomem = 1;
	}
	for (i = 0; i < ld.npaths; i++) {
		/* Open by name under the directory already open. */
		if ((fp = conf_open(dirfd, strrchr(ld.paths[i], '/') + 1,
		    ld.paths[i])) == NULL) {
			ld.errors++;
			continue;
		}
		loader_read(&ld, fp, ld.paths[i]);
		fclose(fp);
	}
	return loader_finish(&ld, conf);
}

/* A file, or a directory of "*.ini" files read as one config. */
long
conf_load(struct conf *conf, const char *file)
{
	struct stat	 st;
	FILE		*fp;
	long		 rc;
	int		 fd;

	memset(conf, 0, sizeof(*conf));
	table_init(&conf->table);
	if ((fd = open(file, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY |
	    O_DIRECTORY)) != -1) {
		rc = fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) ?
		    conf_load_dir(conf, fd, file) : -1;
		close(fd);
		return rc;
	}
	if ((fp = conf_open(AT_FDCWD, file, file)) == NULL)
		return -1;
	rc = conf_load_stream(conf, fp, file);
	fclose(fp);
	return rc;
}

void
conf_summary(const char *file, long errors)
{
	if (errors > 0)
		log_warnx("%s: configuration has %ld error%s", file, errors,
		    errors == 1 ? "" : "s");
	else if (errors < 0)
		log_warnx("%s: configuration could not be read", file);
}

void
conf_free(struct conf *conf)
{
	table_free(&conf->table);
	free(conf->file);
	conf->file = NULL;
	free(conf->reports.database);
	free(conf->reports.trust_authserv_id);
	memset(&conf->reports, 0, sizeof(conf->reports));
}
