/* SPDX-License-Identifier: ISC */
/*
 * A TLS-RPT report's JSON (RFC 8460 §4.4) → struct tlsrpt_report.  Anyone can
 * POST a report, so the bytes are hostile until proved otherwise: they
 * are scanned for nesting and size before jansson builds anything (a
 * 16 MiB body of "{}," would otherwise cost 1.2 GiB of jansson objects),
 * then parsed by jansson, which refuses invalid UTF-8, \u0000, integers
 * that overflow and duplicate keys, reading exactly len bytes.  The
 * checks after that are the RFC's, with only the leniency real senders
 * need (tlsrpt.md): dates without a zone are UTC, mx-host is a string or
 * an array, optional members may be missing, empty or null, an sts
 * policy may come without its policy-string, and unknown result types,
 * policy types and members are kept or ignored, not refused.  Every
 * refusal names the JSON path of what is wrong, in one line.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "report/report.h"

/*
 * A JSON path in a message, "policies[N].failure-details[N].KEY": the
 * longest is under 100 bytes.
 */
#define PATH_SIZE	160

/* Writes a path (cut short if ever too long: a message, not a key). */
static void
pathf(char at[PATH_SIZE], const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
pathf(char at[PATH_SIZE], const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(at, PATH_SIZE, fmt, ap);
	va_end(ap);
}

/*
 * One parse: where the reason goes, whether memory ran out, and what
 * the report keeps so far: bytes of strings, failure details.
 */
struct parse {
	char	*why;
	size_t	 size;
	int	 nomem;
	size_t	 strings;
	size_t	 failures;
};

/* Says "path: reason" in why; returns -1 so callers can return it. */
static int
fail(struct parse *p, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct parse *p, const char *path, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (p->size == 0)
		return -1;
	n = snprintf(p->why, p->size, "%s%s", path, *path ? ": " : "");
	if (n < 0 || (size_t)n >= p->size)
		return -1;
	va_start(ap, fmt);
	vsnprintf(p->why + n, p->size - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static int
nomem(struct parse *p)
{
	p->nomem = 1;
	return fail(p, "", "out of memory");
}

/* A value for a message (size > 3): escaped, and cut short if long. */
static const char *
shown(const char *s, char *out, size_t size)
{
	size_t	 len = strlen(s);

	if (log_escape(out, size - 3, s, len) < len)
		strcat(out, "...");
	return out;
}

/*
 * Bounds what jansson may build, before it builds it: nesting, and how
 * many containers and values (every key or value follows a "[", "{",
 * "," or ":" outside strings, so counting those bounds them).  A JSON
 * value costs jansson 40-90 bytes and a container 130-230, so the
 * limits in report.h keep a parse under ~115 MB whatever the input.
 */
static int
scan(struct parse *p, const char *json, size_t len)
{
	size_t	 i, depth = 0, containers = 0, values = 0, start = 0;
	int	 in_string = 0;

	for (i = 0; i < len; i++) {
		if (in_string) {
			/*
			 * No member is longer (jansson would hold the token
			 * twice, then refuse it after report() did).
			 */
			if (i - start > REPORT_JSON_STRING_MAX)
				return fail(p, "", "a JSON string longer than "
				    "%d bytes", REPORT_JSON_STRING_MAX);
			if (json[i] == '\\')
				i++;
			else if (json[i] == '"')
				in_string = 0;
			continue;
		}
		switch (json[i]) {
		case '"':
			in_string = 1;
			start = i + 1;
			break;
		case '[':
		case '{':
			if (++depth > REPORT_JSON_DEPTH_MAX)
				return fail(p, "", "JSON nested deeper than "
				    "%d levels (byte %zu)",
				    REPORT_JSON_DEPTH_MAX, i);
			if (++containers > REPORT_JSON_CONTAINERS_MAX)
				return fail(p, "", "more than %d JSON objects "
				    "and arrays", REPORT_JSON_CONTAINERS_MAX);
			/* FALLTHROUGH */
		case ',':
		case ':':
			if (++values > REPORT_JSON_VALUES_MAX)
				return fail(p, "", "more than %d JSON values",
				    REPORT_JSON_VALUES_MAX);
			break;
		case ']':
		case '}':
			if (depth > 0)
				depth--;
			break;
		}
	}
	return 0;
}

/*
 * Keeps a copy of string v, member at, in *out: at most max bytes, and
 * within REPORT_STRINGS_MAX for the whole report.
 */
static int
keep(struct parse *p, const char *at, json_t *v, size_t max, char **out)
{
	size_t	 len = json_string_length(v);

	if (len > max)
		return fail(p, at, "longer than %zu bytes", max);
	if (len > REPORT_STRINGS_MAX - p->strings)
		return fail(p, at, "the report's strings add up to more than "
		    "%d bytes", REPORT_STRINGS_MAX);
	p->strings += len;
	if ((*out = strdup(json_string_value(v))) == NULL)
		return nomem(p);
	return 0;
}

/*
 * A member that must be a non-empty string of at most max bytes: a
 * copy in *out, or -1.
 */
static int
required_string(struct parse *p, json_t *obj, const char *key,
    const char *path, size_t max, char **out)
{
	char	 at[PATH_SIZE];
	json_t	*v = json_object_get(obj, key);

	pathf(at, "%s%s%s", path, *path ? "." : "", key);
	if (v == NULL)
		return fail(p, at, "missing");
	if (!json_is_string(v))
		return fail(p, at, "not a string");
	if (json_string_length(v) == 0)
		return fail(p, at, "empty");
	return keep(p, at, v, max, out);
}

/*
 * A member that may be missing, null or "" (then *out stays NULL), or a
 * string of at most max bytes.  Real senders leave sending-mta-ip and
 * friends out or empty.
 */
static int
optional_string(struct parse *p, json_t *obj, const char *key,
    const char *path, size_t max, char **out)
{
	char	 at[PATH_SIZE];
	json_t	*v = json_object_get(obj, key);

	if (v == NULL || json_is_null(v))
		return 0;
	pathf(at, "%s%s%s", path, *path ? "." : "", key);
	if (!json_is_string(v))
		return fail(p, at, "not a string");
	if (json_string_length(v) == 0)
		return 0;
	return keep(p, at, v, max, out);
}

/* RFC 8460 §4.4: counts are JSON numbers, integers, never negative. */
static int
count(struct parse *p, json_t *obj, const char *key, const char *path,
    int64_t *out)
{
	char	 at[PATH_SIZE];
	json_t	*v = json_object_get(obj, key);

	pathf(at, "%s.%s", path, key);
	if (v == NULL)
		return fail(p, at, "missing");
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return fail(p, at, "not a non-negative integer");
	*out = (int64_t)json_integer_value(v);
	return 0;
}

/*
 * An array of strings (mx-host, policy-string) and what it may hold:
 * how many, how long each, and how long as a policy (each line and
 * CRLF; 0 for no such bound).
 */
struct strings_rule {
	int	 one_ok;	/* a string alone is an array of one */
	int	 skip_empty;	/* "" elements are dropped, not kept */
	size_t	 count_max;	/* 0: no bound but the scan's */
	size_t	 len_max;
	size_t	 policy_max;
	int	 text;		/* policy lines: TAB, CR and LF too */
};

/*
 * The store keeps these arrays as JSON, where a control character is 6
 * bytes ("\u0001") for the 1 the caps count: so none is allowed in a
 * name, and in a policy line only those JSON writes in 2 (TAB: WSP is
 * SP or HTAB, RFC 8461 §3.2; CR and LF: a sender that split our CRLF
 * body on LF leaves a CR, one that sent it whole keeps its LFs).  No
 * DEL either: a name or a policy line never holds one.
 */
static int
controls_ok(const char *s, size_t len, int text)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] >= 0x20 && s[i] != 0x7f)
			continue;
		if (text && (s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
			continue;
		return 0;
	}
	return 1;
}

/*
 * An array of strings into *lines (n of them), as rule says.  A string
 * alone is taken as an array of one where one_ok (mx-host, erratum
 * 6241).  Missing or null gives none; skip_empty drops "" elements
 * (mx-host), else they are kept (policy lines are content).
 */
static int
string_array(struct parse *p, json_t *obj, const char *key,
    const char *path, const struct strings_rule *rule, char ***lines,
    size_t *n)
{
	char	 at[PATH_SIZE];
	json_t	*v = json_object_get(obj, key), *e;
	size_t	 i, cap, total = 0;

	pathf(at, "%s.%s", path, key);
	if (v == NULL || json_is_null(v))
		return 0;
	if (rule->one_ok && json_is_string(v)) {
		if (json_string_length(v) == 0)
			return 0;
		if (!controls_ok(json_string_value(v), json_string_length(v),
		    rule->text))
			return fail(p, at, "a control character");
		if ((*lines = calloc(1, sizeof(**lines))) == NULL)
			return nomem(p);
		if (keep(p, at, v, rule->len_max, &(*lines)[0]) == -1)
			return -1;
		*n = 1;
		return 0;
	}
	if (!json_is_array(v))
		return fail(p, at, rule->one_ok ? "not a string or an array "
		    "of strings" : "not an array of strings");
	if ((cap = json_array_size(v)) == 0)
		return 0;
	if (rule->count_max > 0 && cap > rule->count_max)
		return fail(p, at, "more than %zu entries", rule->count_max);
	if ((*lines = calloc(cap, sizeof(**lines))) == NULL)
		return nomem(p);
	json_array_foreach(v, i, e) {
		pathf(at, "%s.%s[%zu]", path, key, i);
		if (!json_is_string(e))
			return fail(p, at, "not a string");
		if (rule->skip_empty && json_string_length(e) == 0)
			continue;
		if (!controls_ok(json_string_value(e), json_string_length(e),
		    rule->text))
			return fail(p, at, "a control character");
		total += json_string_length(e) + 2;
		if (rule->policy_max > 0 && total > rule->policy_max) {
			pathf(at, "%s.%s", path, key);
			return fail(p, at, "more than %zu bytes as a policy "
			    "(each line and CRLF)", rule->policy_max);
		}
		if (keep(p, at, e, rule->len_max, &(*lines)[*n]) == -1)
			return -1;
		(*n)++;
	}
	return 0;
}

/* The member key of obj, which must be there and be an object. */
static int
member_object(struct parse *p, json_t *obj, const char *key,
    const char *path, json_t **out)
{
	char	 at[PATH_SIZE];

	pathf(at, "%s%s%s", path, *path ? "." : "", key);
	*out = json_object_get(obj, key);
	if (*out == NULL)
		return fail(p, at, "missing");
	if (!json_is_object(*out))
		return fail(p, at, "not an object");
	return 0;
}

static int
is_leap(long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/*
 * Days from 1970-01-01 to y-m-d (proleptic Gregorian), for years 0 to
 * 9999.  Both years are shifted by 400 (a whole Gregorian cycle, so the
 * difference is the same) so that the count of years before y is never
 * negative.
 */
static int64_t
days_from_epoch(long y, int m, int d)
{
	static const int before[] = { 0, 31, 59, 90, 120, 151, 181, 212,
	    243, 273, 304, 334 };
	int64_t	 yy = y + 400 - 1, days;

	days = 365 * yy + yy / 4 - yy / 100 + yy / 400;
	days += before[m - 1] + (m > 2 && is_leap(y)) + d - 1;
	/* 1970 shifted likewise: 2369 years before it. */
	return days - (365 * 2369L + 2369 / 4 - 2369 / 100 + 2369 / 400);
}

/* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, seconds since the epoch. */
#define DATE_MIN	(-62135596800LL)
#define DATE_MAX	253402300799LL

/* n digits at *s as a number, advancing *s; -1 if not all digits. */
static long
digits(const char **s, int n)
{
	long	 v = 0;

	for (; n > 0; n--, (*s)++) {
		if (**s < '0' || **s > '9')
			return -1;
		v = v * 10 + (**s - '0');
	}
	return v;
}

/*
 * RFC 3339 §5.6 date-time, seconds since the epoch in *t; NULL, or what
 * is wrong.  Leniency (tlsrpt.md): no zone at all means UTC, as one
 * large sender writes its dates.  §5.6's note allows "t" and "z".
 */
static const char *
rfc3339(const char *s, int64_t *t)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	long	 y, mo, d, h, mi, sec, oh = 0, om = 0;
	int	 sign = 0;

	if ((y = digits(&s, 4)) < 0 || *s++ != '-' ||
	    (mo = digits(&s, 2)) < 0 || *s++ != '-' ||
	    (d = digits(&s, 2)) < 0 || (*s != 'T' && *s != 't'))
		return "not an RFC 3339 date-time";
	s++;
	if ((h = digits(&s, 2)) < 0 || *s++ != ':' ||
	    (mi = digits(&s, 2)) < 0 || *s++ != ':' ||
	    (sec = digits(&s, 2)) < 0)
		return "not an RFC 3339 date-time";
	if (*s == '.') {
		if (s[1] < '0' || s[1] > '9')
			return "not an RFC 3339 date-time";
		for (s++; *s >= '0' && *s <= '9'; s++)
			;	/* a fraction: the second it is in */
	}
	if (*s == 'Z' || *s == 'z')
		s++;
	else if (*s == '+' || *s == '-') {
		sign = *s++ == '-' ? -1 : 1;
		if ((oh = digits(&s, 2)) < 0 || *s++ != ':' ||
		    (om = digits(&s, 2)) < 0)
			return "not an RFC 3339 date-time";
	}
	if (*s != '\0')
		return "not an RFC 3339 date-time";
	if (mo < 1 || mo > 12)
		return "month out of range";
	if (d < 1 || d > mdays[mo - 1] + (mo == 2 && is_leap(y)))
		return "day out of range for its month";
	/* RFC 3339 §5.7: second 60 is a leap second. */
	if (h > 23 || mi > 59 || sec > 60)
		return "time of day out of range";
	if (oh > 23 || om > 59)
		return "zone offset out of range";
	*t = days_from_epoch(y, (int)mo, (int)d) * 86400 + h * 3600 +
	    mi * 60 + sec - sign * (oh * 3600 + om * 60);
	/*
	 * RFC 3339 §5.6: four digits of year, and §5.8's "0000" aside, a
	 * year 0 is no year of ours: what the offset moves out of 0001 to
	 * 9999 has no UTC form to store and list.
	 */
	if (*t < DATE_MIN || *t > DATE_MAX)
		return "not between years 0001 and 9999 once in UTC";
	return NULL;
}

static int
datetime(struct parse *p, json_t *range, const char *key, int64_t *t)
{
	char		 at[PATH_SIZE], v[96];
	const char	*err;
	json_t		*j = json_object_get(range, key);

	pathf(at, "date-range.%s", key);
	if (j == NULL)
		return fail(p, at, "missing");
	if (!json_is_string(j))
		return fail(p, at, "not a string");
	if ((err = rfc3339(json_string_value(j), t)) == NULL && *t < 0)
		err = "before 1970-01-01T00:00:00Z";
	/*
	 * No sender reported before the epoch (RFC 8460 is of 2018): a
	 * time before it is an error or an attack, and would reach list,
	 * prune and summary as a negative number.
	 */
	if (err != NULL)
		return fail(p, at, "\"%s\": %s", shown(json_string_value(j), v,
		    sizeof(v)), err);
	return 0;
}

/*
 * The policy domain as stored and compared: lower case, without one
 * trailing dot (a sender may write the absolute form), a valid name.
 */
static int
policy_domain(struct parse *p, json_t *policy, const char *path,
    char **out)
{
	char		 at[PATH_SIZE], v[96];
	enum dname_error e;
	size_t		 len, i;
	char		*d;

	pathf(at, "%s.policy-domain", path);
	if (required_string(p, policy, "policy-domain", path,
	    REPORT_HOST_MAX, out) == -1)
		return -1;
	d = *out;
	len = strlen(d);
	if (len > 1 && d[len - 1] == '.')
		d[--len] = '\0';
	for (i = 0; i < len; i++)
		if (d[i] >= 'A' && d[i] <= 'Z')
			d[i] = (char)(d[i] - 'A' + 'a');
	if ((e = dname_check(d, len, 0)) != DNAME_OK)
		return fail(p, at, "\"%s\": %s", shown(d, v, sizeof(v)),
		    dname_strerror(e));
	return 0;
}

/*
 * The id our responder publishes for the policy whose lines these are
 * (policy.c: each line and CRLF, hashed).  A line that still ends in CR
 * (a sender split our body at LF) is taken without it, and an empty last
 * element (split at the final CRLF) is no line, so that a sender that
 * applied our bytes reports our id however it cut them into lines.
 */
static int
lines_id(struct parse *p, char **lines, size_t n,
    char id[POLICY_ID_LEN + 1])
{
	size_t	 i, len, total = 0;
	char	*body, *w;

	while (n > 0 && lines[n - 1][0] == '\0')
		n--;
	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		total += strlen(lines[i]) + 2;
	if ((body = malloc(total)) == NULL)
		return nomem(p);
	for (w = body, i = 0; i < n; i++) {
		len = strlen(lines[i]);
		if (len > 0 && lines[i][len - 1] == '\r')
			len--;
		memcpy(w, lines[i], len);
		w += len;
		*w++ = '\r';
		*w++ = '\n';
	}
	policy_id(body, (size_t)(w - body), id);
	free(body);
	return 0;
}

static int
failure(struct parse *p, json_t *j, const char *path,
    struct tlsrpt_failure *f)
{
	if (!json_is_object(j))
		return fail(p, path, "not an object");
	if (required_string(p, j, "result-type", path, REPORT_TOKEN_MAX,
	    &f->result_type) == -1 ||
	    optional_string(p, j, "sending-mta-ip", path, REPORT_TOKEN_MAX,
	    &f->sending_mta_ip) == -1 ||
	    optional_string(p, j, "receiving-mx-hostname", path,
	    REPORT_HOST_MAX, &f->receiving_mx_hostname) == -1 ||
	    optional_string(p, j, "receiving-mx-helo", path, REPORT_HOST_MAX,
	    &f->receiving_mx_helo) == -1 ||
	    optional_string(p, j, "receiving-ip", path, REPORT_TOKEN_MAX,
	    &f->receiving_ip) == -1 ||
	    count(p, j, "failed-session-count", path, &f->count) == -1 ||
	    optional_string(p, j, "additional-information", path,
	    REPORT_DETAIL_TEXT_MAX, &f->additional_information) == -1 ||
	    optional_string(p, j, "failure-reason-code", path,
	    REPORT_DETAIL_TEXT_MAX, &f->failure_reason_code) == -1)
		return -1;
	return 0;
}

/* failure-details: optional (a policy with no failures), else an array. */
static int
failures(struct parse *p, json_t *j, const char *path,
    struct tlsrpt_policy *rp)
{
	char	 at[PATH_SIZE];
	json_t	*v = json_object_get(j, "failure-details"), *e;
	size_t	 i;

	pathf(at, "%s.failure-details", path);
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return fail(p, at, "not an array");
	if (json_array_size(v) == 0)
		return 0;
	if (json_array_size(v) > REPORT_FAILURES_MAX - p->failures) {
		pathf(at, "%s.failure-details[%zu]", path,
		    REPORT_FAILURES_MAX - p->failures);
		return fail(p, at, "more than %d failure details in a report",
		    REPORT_FAILURES_MAX);
	}
	p->failures += json_array_size(v);
	if ((rp->failures = calloc(json_array_size(v),
	    sizeof(*rp->failures))) == NULL)
		return nomem(p);
	json_array_foreach(v, i, e) {
		pathf(at, "%s.failure-details[%zu]", path, i);
		rp->nfailures = i + 1;
		if (failure(p, e, at, &rp->failures[i]) == -1)
			return -1;
	}
	return 0;
}

/* RFC 8460 §4.4: one element of "policies". */
static int
policy(struct parse *p, json_t *j, const char *path,
    struct tlsrpt_policy *rp)
{
	/*
	 * An sts policy-string is our policy's lines: no longer than a
	 * policy line mta-sts-check accepts, no more than a policy
	 * (POLICY_BODY_MAX).  Other types' lines (TLSA records, which may
	 * hold a whole certificate in hex) are bounded as a policy only.
	 * mx-host entries are mx patterns (a name, "*." and a final dot).
	 */
	static const struct strings_rule sts_lines = { 0, 0, 0,
	    REPORT_POLICY_LINE_MAX, POLICY_BODY_MAX, 1 };
	static const struct strings_rule other_lines = { 0, 0, 0,
	    POLICY_BODY_MAX, POLICY_BODY_MAX, 1 };
	static const struct strings_rule mx_hosts = { 1, 1,
	    REPORT_MX_HOSTS_MAX, REPORT_HOST_MAX, 0, 0 };
	char	 at[PATH_SIZE];
	json_t	*pol, *sum;

	if (!json_is_object(j))
		return fail(p, path, "not an object");
	if (member_object(p, j, "policy", path, &pol) == -1)
		return -1;
	pathf(at, "%s.policy", path);
	/* Types past sts, tlsa and no-policy-found are kept verbatim. */
	if (required_string(p, pol, "policy-type", at, REPORT_TOKEN_MAX,
	    &rp->policy_type) == -1 ||
	    string_array(p, pol, "policy-string", at,
	    strcmp(rp->policy_type, "sts") == 0 ? &sts_lines : &other_lines,
	    &rp->policy_string, &rp->npolicy_string) == -1 ||
	    policy_domain(p, pol, at, &rp->policy_domain) == -1 ||
	    string_array(p, pol, "mx-host", at, &mx_hosts, &rp->mx_host,
	    &rp->nmx_host) == -1)
		return -1;
	if (rp->npolicy_string == 0) {
		free(rp->policy_string);
		rp->policy_string = NULL;
	}
	if (strcmp(rp->policy_type, "sts") == 0 &&
	    lines_id(p, rp->policy_string, rp->npolicy_string,
	    rp->policy_id) == -1)
		return -1;
	if (rp->nmx_host == 0) {
		free(rp->mx_host);
		rp->mx_host = NULL;
	}
	if (member_object(p, j, "summary", path, &sum) == -1)
		return -1;
	pathf(at, "%s.summary", path);
	if (count(p, sum, "total-successful-session-count", at,
	    &rp->successful) == -1 ||
	    count(p, sum, "total-failure-session-count", at, &rp->failed) ==
	    -1)
		return -1;
	/*
	 * Not checked: that the failure details add up to the total.  The
	 * RFC lets failure types overlap (§4.3), and senders' totals differ.
	 */
	return failures(p, j, path, rp);
}

static int
policies(struct parse *p, json_t *root, struct tlsrpt_report *r)
{
	char	 at[PATH_SIZE];
	json_t	*v = json_object_get(root, "policies"), *e;
	size_t	 i;

	if (v == NULL)
		return fail(p, "policies", "missing");
	if (!json_is_array(v))
		return fail(p, "policies", "not an array");
	if (json_array_size(v) == 0)
		return fail(p, "policies", "empty: a report is about at least "
		    "one policy");
	if (json_array_size(v) > REPORT_POLICIES_MAX)
		return fail(p, "policies", "more than %d policies",
		    REPORT_POLICIES_MAX);
	if ((r->policies = calloc(json_array_size(v),
	    sizeof(*r->policies))) == NULL)
		return nomem(p);
	json_array_foreach(v, i, e) {
		pathf(at, "policies[%zu]", i);
		r->npolicies = i + 1;
		if (policy(p, e, at, &r->policies[i]) == -1)
			return -1;
	}
	return 0;
}

/*
 * RFC 8460 §4.4's top level.  contact-info is optional here: §4.1 lists
 * it among the metadata, but nothing depends on it (reports are told
 * apart by organization-name and report-id, §5.5), so refusing a
 * report without it would lose what it says for nothing.
 */
static int
report(struct parse *p, json_t *root, struct tlsrpt_report *r)
{
	json_t	*range;

	if (required_string(p, root, "organization-name", "",
	    REPORT_TEXT_MAX, &r->organization) == -1 ||
	    member_object(p, root, "date-range", "", &range) == -1 ||
	    datetime(p, range, "start-datetime", &r->begin) == -1 ||
	    datetime(p, range, "end-datetime", &r->end) == -1)
		return -1;
	if (r->end < r->begin)
		return fail(p, "date-range", "end-datetime is before "
		    "start-datetime");
	if (optional_string(p, root, "contact-info", "", REPORT_TEXT_MAX,
	    &r->contact) == -1 ||
	    required_string(p, root, "report-id", "", REPORT_TEXT_MAX,
	    &r->report_id) == -1)
		return -1;
	return policies(p, root, r);
}

void
report_json_init(void)
{
	json_object_seed(0);
}

int
report_json_parse(struct tlsrpt_report *r, const char *json, size_t len, char *why,
    size_t size)
{
	struct parse	 p = { why, size, 0, 0, 0 };
	json_error_t	 err;
	json_t		*root = NULL;
	char		 text[LOG_ESCAPE_SIZE(JSON_ERROR_TEXT_LENGTH)];
	int		 rc = -1;

	memset(r, 0, sizeof(*r));
	if (size > 0)
		why[0] = '\0';
	if (scan(&p, json, len) == -1)
		goto out;
	/*
	 * RFC 8460 §5.3 and §5.4 make the report I-JSON (RFC 7493): UTF-8,
	 * unique member names.  Nothing but the one object may follow.
	 */
	if ((root = json_loadb(json, len, JSON_REJECT_DUPLICATES,
	    &err)) == NULL) {
		if (json_error_code(&err) == json_error_out_of_memory) {
			nomem(&p);
			goto out;
		}
		log_escape(text, sizeof(text), err.text, strlen(err.text));
		fail(&p, "", "invalid JSON at line %d, column %d: %s",
		    err.line, err.column, text);
		goto out;
	}
	if (!json_is_object(root)) {
		fail(&p, "", "not a JSON object");
		goto out;
	}
	if ((rc = report(&p, root, r)) == 0)
		tlsrpt_report_digest(r);
out:
	json_decref(root);
	if (rc == -1) {
		tlsrpt_report_free(r);
		if (p.nomem)
			rc = -2;
	}
	return rc;
}

