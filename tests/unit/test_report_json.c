/* SPDX-License-Identifier: ISC */
/*
 * report_json.c: RFC 8460 §4.4 reports, their dates (RFC 3339), the
 * exact reason for each refusal, the policy id a report's lines give
 * against the one our responder serves, and what jansson 2.14 (Debian
 * 12) does for us: duplicate keys, UTF-8, \u0000, overflow, and reading
 * no byte past the length.  The fixtures (tests/report/fixtures) are
 * test_report_accept's.
 */
#include <stdarg.h>
#include <stdlib.h>

#include "report/report.h"
#include "unit.h"

/* A minimal valid report with one date and one policy domain. */
#define REPORT(start, end, domain) \
	"{\"organization-name\":\"o\",\"date-range\":{\"start-datetime\":" \
	"\"" start "\",\"end-datetime\":\"" end "\"},\"report-id\":\"r\"," \
	"\"policies\":[{\"policy\":{\"policy-type\":\"sts\"," \
	"\"policy-domain\":\"" domain "\"},\"summary\":{" \
	"\"total-successful-session-count\":1," \
	"\"total-failure-session-count\":0}}]}"

/* Checks that r is all zeros, as a refusal leaves it. */
static int
is_empty(const struct tlsrpt_report *r)
{
	static const struct tlsrpt_report zero;

	return memcmp(r, &zero, sizeof(zero)) == 0;
}

/* RFC 3339 dates, with a zone, without one (UTC), and out of range. */
static void
test_dates(void)
{
	static const struct {
		const char	*date;
		int64_t		 want;
		const char	*why;		/* NULL: valid */
	} rows[] = {
		/* Numbers from GNU date -u -d DATE +%s. */
		{ "2024-03-26T00:00:00Z", 1711411200, NULL },
		{ "2024-03-26T00:00:00", 1711411200, NULL },	/* UTC */
		{ "2024-03-26t00:00:00z", 1711411200, NULL },	/* §5.6 */
		{ "2024-03-26T00:00:00.000Z", 1711411200, NULL },
		{ "2024-03-26T00:00:00.9999999", 1711411200, NULL },
		{ "2024-03-26T01:30:00+01:30", 1711411200, NULL },
		{ "2024-03-25T23:00:00-01:00", 1711411200, NULL },
		{ "2024-03-26T00:00:00-00:00", 1711411200, NULL },
		{ "2024-03-26T00:00:00+00:00", 1711411200, NULL },
		{ "1970-01-01T00:00:00Z", 0, NULL },
		{ "1970-01-01T01:00:00+01:00", 0, NULL },
		{ "9999-12-31T23:59:59Z", 253402300799LL, NULL },
		{ "9999-12-31T23:59:59+23:59", 253402214459LL, NULL },
		/*
		 * Before the epoch: no sender reports on 1969, and list and
		 * prune would have to handle negative times for it.
		 */
		{ "1969-12-31T23:59:59Z", 0, "before 1970-01-01T00:00:00Z" },
		{ "1970-01-01T00:59:59+01:00", 0,
		    "before 1970-01-01T00:00:00Z" },
		{ "0001-01-01T00:00:00Z", 0, "before 1970-01-01T00:00:00Z" },
		/* Only years 0001 to 9999 are RFC 3339 once in UTC. */
		{ "0000-01-01T00:00:00Z", 0,
		    "not between years 0001 and 9999 once in UTC" },
		{ "0000-01-01T00:00:00+23:59", 0,
		    "not between years 0001 and 9999 once in UTC" },
		{ "0001-01-01T00:00:00+00:01", 0,
		    "not between years 0001 and 9999 once in UTC" },
		{ "9999-12-31T23:59:59-00:01", 0,
		    "not between years 0001 and 9999 once in UTC" },
		{ "9999-12-31T23:59:59-23:59", 0,
		    "not between years 0001 and 9999 once in UTC" },
		{ "2000-02-29T12:00:00Z", 951825600, NULL },
		{ "2400-02-29T00:00:00Z", 13574563200LL, NULL },
		{ "2024-12-31T23:59:59Z", 1735689599, NULL },
		/* A leap second. */
		{ "2016-12-31T23:59:60Z", 1483228800, NULL },
		{ "2023-02-29T00:00:00Z", 0, "day out of range for its month" },
		{ "1900-02-29T00:00:00Z", 0, "day out of range for its month" },
		{ "2100-02-29T00:00:00Z", 0, "day out of range for its month" },
		{ "2024-04-31T00:00:00Z", 0, "day out of range for its month" },
		{ "2024-01-00T00:00:00Z", 0, "day out of range for its month" },
		{ "2024-00-10T00:00:00Z", 0, "month out of range" },
		{ "2024-13-10T00:00:00Z", 0, "month out of range" },
		{ "2024-01-10T24:00:00Z", 0, "time of day out of range" },
		{ "2024-01-10T23:60:00Z", 0, "time of day out of range" },
		{ "2024-01-10T23:59:61Z", 0, "time of day out of range" },
		{ "2024-01-10T23:59:59+24:00", 0, "zone offset out of range" },
		{ "2024-01-10T23:59:59+01:60", 0, "zone offset out of range" },
		{ "2024-01-10 00:00:00Z", 0, "not an RFC 3339 date-time" },
		{ "2024-01-10", 0, "not an RFC 3339 date-time" },
		{ "2024-1-10T00:00:00Z", 0, "not an RFC 3339 date-time" },
		{ "2024-01-10T00:00Z", 0, "not an RFC 3339 date-time" },
		{ "2024-01-10T00:00:00.Z", 0, "not an RFC 3339 date-time" },
		{ "2024-01-10T00:00:00+0100", 0, "not an RFC 3339 date-time" },
		{ "2024-01-10T00:00:00+01", 0, "not an RFC 3339 date-time" },
		{ "2024-01-10T00:00:00ZZ", 0, "not an RFC 3339 date-time" },
		{ "2024-01-10T00:00:00 ", 0, "not an RFC 3339 date-time" },
		{ " 2024-01-10T00:00:00Z", 0, "not an RFC 3339 date-time" },
		{ "+2024-01-10T00:00:00Z", 0, "not an RFC 3339 date-time" },
		{ "", 0, "not an RFC 3339 date-time" },
	};
	struct tlsrpt_report	 r;
	char		 json[1024], why[256], want[256];
	size_t		 i;
	int		 got;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		snprintf(json, sizeof(json), REPORT("%s",
		    "9999-12-31T23:59:59Z", "example.com"), rows[i].date);
		got = report_json_parse(&r, json, strlen(json), why,
		    sizeof(why));
		if (rows[i].why == NULL) {
			CHECK(got == 0 && r.begin == rows[i].want,
			    "date \"%s\": %lld (want %lld) %s", rows[i].date,
			    got == 0 ? (long long)r.begin : 0LL,
			    (long long)rows[i].want, got == 0 ? "" : why);
			tlsrpt_report_free(&r);
			continue;
		}
		snprintf(want, sizeof(want), "date-range.start-datetime: "
		    "\"%s\": %s", rows[i].date, rows[i].why);
		CHECK(got == -1 && strcmp(why, want) == 0 && is_empty(&r),
		    "date \"%s\": \"%s\" (want \"%s\")", rows[i].date, why,
		    want);
	}
}

/* Each malformed report and its exact one-line reason. */
static void
test_reasons(void)
{
	static const struct {
		const char	*json;
		const char	*why;
	} rows[] = {
		{ "", "invalid JSON at line 1, column 0: '[' or '{' expected "
		    "near end of file" },
		{ "[]", "not a JSON object" },
		{ "{}", "organization-name: missing" },
		{ "{\"organization-name\":null}",
		    "organization-name: not a string" },
		{ "{\"organization-name\":\"o\"}", "date-range: missing" },
		{ "{\"organization-name\":\"o\",\"date-range\":[]}",
		    "date-range: not an object" },
		{ "{\"organization-name\":\"o\",\"date-range\":{}}",
		    "date-range.start-datetime: missing" },
		{ REPORT("2024-01-02T00:00:00Z", "2024-01-01T23:59:59Z",
		    "example.com"),
		    "date-range: end-datetime is before start-datetime" },
		{ REPORT("2024-01-01T00:00:00Z", "9999-12-31T23:59:59-23:59",
		    "example.com"), "date-range.end-datetime: "
		    "\"9999-12-31T23:59:59-23:59\": not between years 0001 and "
		    "9999 once in UTC" },
		{ REPORT("2024-01-01T00:00:00Z", "2024-01-01T23:59:59Z",
		    "-example.com"), "policies[0].policy.policy-domain: "
		    "\"-example.com\": a label starts or ends with \"-\"" },
		{ REPORT("2024-01-01T00:00:00Z", "2024-01-01T23:59:59Z",
		    "example.com.."), "policies[0].policy.policy-domain: "
		    "\"example.com.\": trailing dot: write the name without "
		    "the final \".\"" },
		{ REPORT("2024-01-01T00:00:00Z", "2024-01-01T23:59:59Z",
		    "."), "policies[0].policy.policy-domain: \".\": "
		    "trailing dot: write the name without the final \".\"" },
		{ REPORT("2024-01-01T00:00:00Z", "2024-01-01T23:59:59Z",
		    "com"), "policies[0].policy.policy-domain: \"com\": "
		    "a single label is not a mail host name (want at least "
		    "\"name.tld\")" },
		{ REPORT("2024-01-01T00:00:00Z", "2024-01-01T23:59:59Z",
		    "192.0.2.1"), "policies[0].policy.policy-domain: "
		    "\"192.0.2.1\": an IP address is not allowed: name the "
		    "host" },
		{ REPORT("2024-01-01T00:00:00Z", "2024-01-01T23:59:59Z",
		    "\\u00e9xample.com"), "policies[0].policy.policy-domain: "
		    "\"\xc3\xa9xample.com\": non-ASCII name: write "
		    "internationalised names as A-labels (xn--...)" },
		/* A long value is cut short in the message. */
		{ REPORT("2024-01-01T00:00:00Z", "2024-01-01T23:59:59Z",
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com"),
		    "policies[0].policy.policy-domain: \""
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\": "
		    "a label is longer than 63 bytes" },
		{ REPORT("2024-01-01T00:00:00Z", "2024-01-01T23:59:59Z",
		    "*.example.com"), "policies[0].policy.policy-domain: "
		    "\"*.example.com\": a wildcard is not allowed here" },
		{ REPORT("2024-01-01T00:00:00Z", "2024-01-01T23:59:59Z",
		    "a\\u001b]0;x\\u0007.com"),
		    "policies[0].policy.policy-domain: "
		    "\"a\\x1b]0;x\\x07.com\": invalid character (letters, "
		    "digits, \"-\" and \".\" only)" },
		{ "{\"organization-name\":\"o\",\"date-range\":{"
		    "\"start-datetime\":\"2024-01-01T00:00:00Z\","
		    "\"end-datetime\":\"2024-01-01T00:00:00Z\"},"
		    "\"report-id\":\"r\",\"policies\":[{\"policy\":{"
		    "\"policy-type\":\"sts\",\"policy-domain\":\"example.com\""
		    "},\"summary\":{\"total-successful-session-count\":0,"
		    "\"total-failure-session-count\":1},\"failure-details\":"
		    "[{\"result-type\":\"x\",\"failed-session-count\":1},"
		    "{\"result-type\":\"y\",\"failed-session-count\":-5}]}]}",
		    "policies[0].failure-details[1].failed-session-count: "
		    "not a non-negative integer" },
		{ "{\"organization-name\":\"o\",\"date-range\":{"
		    "\"start-datetime\":\"2024-01-01T00:00:00Z\","
		    "\"end-datetime\":\"2024-01-01T00:00:00Z\"},"
		    "\"report-id\":\"r\",\"policies\":[{\"policy\":{"
		    "\"policy-type\":\"sts\",\"policy-domain\":\"example.com\""
		    "},\"summary\":{\"total-successful-session-count\":0,"
		    "\"total-failure-session-count\":1}},{\"policy\":{"
		    "\"policy-type\":\"sts\",\"policy-domain\":\"example.net\""
		    "},\"summary\":{\"total-successful-session-count\":0,"
		    "\"total-failure-session-count\":1},\"failure-details\":"
		    "[{\"result-type\":\"\",\"failed-session-count\":1}]}]}",
		    "policies[1].failure-details[0].result-type: empty" },
		{ "{\"organization-name\":\"o\",\"date-range\":{"
		    "\"start-datetime\":\"2024-01-01T00:00:00Z\","
		    "\"end-datetime\":\"2024-01-01T00:00:00Z\"},"
		    "\"report-id\":\"r\",\"policies\":[{\"policy\":{"
		    "\"policy-type\":\"sts\",\"policy-domain\":\"example.com\","
		    "\"policy-string\":[\"version: STSv1\",false]},"
		    "\"summary\":{}}]}",
		    "policies[0].policy.policy-string[1]: not a string" },
		{ "{\"organization-name\":\"o\",\"date-range\":{"
		    "\"start-datetime\":\"2024-01-01T00:00:00Z\","
		    "\"end-datetime\":\"2024-01-01T00:00:00Z\"},"
		    "\"report-id\":\"r\",\"policies\":[{\"policy\":{"
		    "\"policy-type\":\"sts\",\"policy-domain\":\"example.com\""
		    "},\"summary\":{\"total-successful-session-count\":0,"
		    "\"total-failure-session-count\":1},\"failure-details\":"
		    "{}}]}", "policies[0].failure-details: not an array" },
		{ "{\"a\":1,\"a\":2}", "invalid JSON at line 1, column 10: "
		    "duplicate object key near '\"a\"'" },
		{ "{\"a\":\"\xff\"}", "invalid JSON at line 1, column 6: "
		    "unable to decode byte 0xff near '\"'" },
		{ "{\"a\":\"\\u0000\"}", "invalid JSON at line 1, column 13: "
		    "\\u0000 is not allowed without JSON_ALLOW_NUL near "
		    "'\"\\u0000\"'" },
		{ "{\"a\":9223372036854775808}", "invalid JSON at line 1, "
		    "column 24: too big integer near '9223372036854775808'" },
		{ "{\"a\":-9223372036854775809}", "invalid JSON at line 1, "
		    "column 25: too big negative integer near "
		    "'-9223372036854775809'" },
		{ "{\"a\":1e999}", "invalid JSON at line 1, column 10: "
		    "real number overflow near '1e999'" },
		{ "{\"a\":1}\n{\"b\":2}", "invalid JSON at line 2, column 1: "
		    "end of file expected near '{'" },
		/* jansson's message quotes the token: escaped. */
		{ "{\"a\":tru\x1b[31m}", "invalid JSON at line 1, column 8: "
		    "invalid token near 'tru'" },
		{ "{\"a\":\"x\x1b[2J\"}", "invalid JSON at line 1, column 7: "
		    "control character 0x1b near '\"x'" },
		{ "{\"a\":\"x\xe2\x80\xae\x01\"}", "invalid JSON at line 1, "
		    "column 8: control character 0x1 near '\"x\\u202e'" },
		{ "{\"a\":[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]}",
		    "JSON nested deeper than 16 levels (byte 20)" },
		/* Brackets inside strings are not nesting. */
		{ "{\"a\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"[[[[[[\"}",
		    "organization-name: missing" },
	};
	struct tlsrpt_report	 r;
	char		 why[512];
	size_t		 i;
	int		 got;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&r, 0xa5, sizeof(r));
		got = report_json_parse(&r, rows[i].json, strlen(rows[i].json),
		    why, sizeof(why));
		CHECK(got == -1 && strcmp(why, rows[i].why) == 0 &&
		    is_empty(&r), "row %zu: %d \"%s\"", i, got, why);
		if (got != -1 || strcmp(why, rows[i].why) != 0)
			printf("#   want \"%s\"\n", rows[i].why);
	}
}

/* The reason is cut to the caller's size, and a size of 0 is fine. */
static void
test_why_size(void)
{
	static const char json[] = "{\"organization-name\":5}";
	struct tlsrpt_report	 r;
	char		 why[8];

	memset(why, 'x', sizeof(why));
	CHECK(report_json_parse(&r, json, sizeof(json) - 1, why, 8) == -1 &&
	    strcmp(why, "organiz") == 0, "why cut to 8 bytes: \"%s\"", why);
	CHECK(report_json_parse(&r, json, sizeof(json) - 1, NULL, 0) == -1,
	    "why NULL, size 0");
}

/*
 * json_loadb reads exactly len bytes: the report is taken from the
 * front of a buffer with more after it (not NUL-terminated), and a
 * buffer of exactly len bytes on the heap is read with no overrun
 * (AddressSanitizer and valgrind watch this one).
 */
static void
test_length_bounded(void)
{
	static const char json[] = REPORT("2024-01-01T00:00:00Z",
	    "2024-01-01T23:59:59Z", "example.com");
	struct tlsrpt_report	 r;
	char		 why[256], *heap, *more;
	size_t		 n = sizeof(json) - 1;

	if ((heap = malloc(n)) == NULL || (more = malloc(n + 10)) == NULL)
		abort();
	memcpy(heap, json, n);
	CHECK(report_json_parse(&r, heap, n, why, sizeof(why)) == 0,
	    "exactly len bytes on the heap: %s", why);
	tlsrpt_report_free(&r);
	memcpy(more, json, n);
	memcpy(more + n, ", garbage", 10);
	CHECK(report_json_parse(&r, more, n, why, sizeof(why)) == 0,
	    "bytes after len are not read: %s", why);
	tlsrpt_report_free(&r);
	CHECK(report_json_parse(&r, more, n + 9, why, sizeof(why)) == -1 &&
	    strcmp(why, "invalid JSON at line 1, column 290: end of file "
	    "expected near ','") == 0, "with them: %s", why);
	free(heap);
	free(more);
}

/* Limits on the bytes, checked before jansson builds anything. */
static void
test_limits(void)
{
	struct tlsrpt_report	 r;
	char		 why[256], *json;
	size_t		 n, i;

	/* {"x":[0,...]}: 3 + commas values. */
	n = 7 + 2 * (size_t)REPORT_JSON_VALUES_MAX;
	if ((json = malloc(n + 16)) == NULL)
		abort();
	memcpy(json, "{\"x\":[", 6);
	for (i = 0; i < (size_t)REPORT_JSON_VALUES_MAX - 3; i++)
		memcpy(json + 6 + 2 * i, "0,", 2);
	memcpy(json + 6 + 2 * i, "0]}", 3);
	n = 6 + 2 * i + 3;
	CHECK(report_json_parse(&r, json, n, why, sizeof(why)) == -1 &&
	    strcmp(why, "organization-name: missing") == 0,
	    "%d values: parsed (%s)", REPORT_JSON_VALUES_MAX, why);
	memcpy(json + 6 + 2 * i, "0,0]}", 5);
	CHECK(report_json_parse(&r, json, n + 2, why, sizeof(why)) == -1 &&
	    strcmp(why, "more than 250000 JSON values") == 0,
	    "%d values: refused (%s)", REPORT_JSON_VALUES_MAX + 1, why);
	free(json);

	/* {"x":[{},...]}: 2 + n containers. */
	n = 8 + 3 * (size_t)REPORT_JSON_CONTAINERS_MAX;
	if ((json = malloc(n + 16)) == NULL)
		abort();
	memcpy(json, "{\"x\":[", 6);
	for (i = 0; i < (size_t)REPORT_JSON_CONTAINERS_MAX - 3; i++)
		memcpy(json + 6 + 3 * i, "{},", 3);
	memcpy(json + 6 + 3 * i, "{}]}", 4);
	n = 6 + 3 * i + 4;
	CHECK(report_json_parse(&r, json, n, why, sizeof(why)) == -1 &&
	    strcmp(why, "organization-name: missing") == 0,
	    "%d containers: parsed (%s)", REPORT_JSON_CONTAINERS_MAX, why);
	memcpy(json + 6 + 3 * i, "{},{}]}", 7);
	CHECK(report_json_parse(&r, json, n + 3, why, sizeof(why)) == -1 &&
	    strcmp(why, "more than 25000 JSON objects and arrays") == 0,
	    "%d containers: refused (%s)", REPORT_JSON_CONTAINERS_MAX + 1,
	    why);
	free(json);
}

/* n copies of c in a new string (free). */
static char *
repeat(int c, size_t n)
{
	char	*s;

	if ((s = malloc(n + 1)) == NULL)
		abort();
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* Appends the formatted text to the growing string *s (free). */
static void
cat(char **s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
cat(char **s, const char *fmt, ...)
{
	va_list	 ap;
	size_t	 old = *s != NULL ? strlen(*s) : 0;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (*s = realloc(*s, old + (size_t)n + 1)) == NULL)
		abort();
	va_start(ap, fmt);
	vsnprintf(*s + old, (size_t)n + 1, fmt, ap);
	va_end(ap);
}

/*
 * One report for test_caps: the top-level members given (or the
 * defaults), npol policies of example.com with the policy members given
 * and nfail failure details each, all the detail given.
 */
struct caps_report {
	const char	*top;		/* members after report-id, or "" */
	const char	*policy;	/* members of "policy", or "" */
	const char	*detail;	/* one failure detail's members */
	size_t		 npol, nfail;
	const char	*ptype, *rtype;	/* NULL: "sts", "x" */
};

static char *
caps_json(const struct caps_report *c)
{
	char	*json = NULL;
	size_t	 i, k;

	cat(&json, "{\"organization-name\":\"o\",\"date-range\":{"
	    "\"start-datetime\":\"2024-01-01T00:00:00Z\",\"end-datetime\":"
	    "\"2024-01-01T23:59:59Z\"},\"report-id\":\"r\"%s%s,"
	    "\"policies\":[", *c->top ? "," : "", c->top);
	for (i = 0; i < c->npol; i++) {
		cat(&json, "%s{\"policy\":{\"policy-type\":\"%s\","
		    "\"policy-domain\":\"example.com\"%s%s},\"summary\":{"
		    "\"total-successful-session-count\":1,"
		    "\"total-failure-session-count\":0},\"failure-details\":[",
		    i ? "," : "", c->ptype != NULL ? c->ptype : "sts",
		    *c->policy ? "," : "", c->policy);
		for (k = 0; k < c->nfail; k++)
			cat(&json, "%s{\"result-type\":\"%s\","
			    "\"failed-session-count\":1%s%s}", k ? "," : "",
			    c->rtype != NULL ? c->rtype : "x",
			    c->detail != NULL ? "," : "",
			    c->detail != NULL ? c->detail : "");
		cat(&json, "]}");
	}
	cat(&json, "]}");
	return json;
}

/*
 * What a report may store (report.h): each member at its limit is
 * taken, one byte or one entry more is refused with the JSON path, so
 * that a small gzip body cannot fill the disk with inflated strings
 * (audit 19, finding 1).
 */
static void
test_caps(void)
{
	char	*s1024 = repeat('a', 1024), *s1025 = repeat('a', 1025);
	char	*s64 = repeat('a', 64), *s65 = repeat('a', 65);
	char	*s255 = repeat('a', 255), *s256 = repeat('a', 256);
	char	*s2048 = repeat('a', 2048), *s2049 = repeat('a', 2049);
	char	*s1000 = repeat('a', 1000), *s872 = repeat('a', 872);
	char	*s873 = repeat('a', 873), *big = repeat('a', 65537);
	char	*s65536 = repeat('a', 65536);
	char	*mx1000 = NULL, *mx1001 = NULL, *lines = NULL, *lines1 = NULL;
	char	*t[48];
	struct {
		struct caps_report	 c;
		const char		*why;	/* NULL: taken */
	} rows[48];
	struct tlsrpt_report	 r;
	char			 why[256], *json;
	size_t			 i, n = 0, k;
	int			 got;

	for (k = 0; k < 1001; k++)
		cat(k < 1000 ? &mx1000 : &mx1001, "%s\"m%zu.example\"",
		    k % 1000 ? "," : "", k);
	cat(&mx1001, "%s", "");
	{
		char	*both = NULL;

		cat(&both, "%s,%s", mx1000, mx1001);
		free(mx1001);
		mx1001 = both;
	}
	/* 63 lines of 1000 bytes and one of 872: 64000 with CRLFs. */
	for (k = 0; k < 63; k++)
		cat(&lines, "%s\"%s\"", k ? "," : "", s1000);
	cat(&lines1, "%s,\"%s\"", lines, s873);
	cat(&lines, ",\"%s\"", s872);

#define ROW(top_, pol_, det_, np_, nf_, why_) do {			\
	rows[n].c.top = (top_);						\
	rows[n].c.policy = (pol_);					\
	rows[n].c.detail = (det_);					\
	rows[n].c.npol = (np_);						\
	rows[n].c.nfail = (nf_);					\
	rows[n].why = (why_);						\
	rows[n].c.ptype = rows[n].c.rtype = NULL;			\
	n++;								\
} while (0)
#define F(fmt, v) (cat(&t[n], fmt, v), t[n])
	memset(t, 0, sizeof(t));
	ROW(F("\"contact-info\":\"%s\"", s1024), "", NULL, 1, 0, NULL);
	ROW(F("\"contact-info\":\"%s\"", s1025), "", NULL, 1, 0,
	    "contact-info: longer than 1024 bytes");
	ROW(F("\"x-unknown\":\"%s\"", s65536), "", NULL, 1, 0, NULL);
	ROW(F("\"x-unknown\":\"%s\"", big), "", NULL, 1, 0,
	    "a JSON string longer than 65536 bytes");
	ROW("", F("\"mx-host\":[%s]", mx1000), NULL, 1, 0, NULL);
	ROW("", F("\"mx-host\":[%s]", mx1001), NULL, 1, 0,
	    "policies[0].policy.mx-host: more than 1000 entries");
	ROW("", F("\"mx-host\":[\"%s\"]", s255), NULL, 1, 0, NULL);
	ROW("", F("\"mx-host\":[\"%s\"]", s256), NULL, 1, 0,
	    "policies[0].policy.mx-host[0]: longer than 255 bytes");
	ROW("", F("\"mx-host\":\"%s\"", s256), NULL, 1, 0,
	    "policies[0].policy.mx-host: longer than 255 bytes");
	ROW("", F("\"policy-string\":[\"%s\"]", s1024), NULL, 1, 0, NULL);
	ROW("", F("\"policy-string\":[\"x\",\"%s\"]", s1025), NULL, 1, 0,
	    "policies[0].policy.policy-string[1]: longer than 1024 bytes");
	ROW("", F("\"policy-string\":[%s]", lines), NULL, 1, 0, NULL);
	ROW("", F("\"policy-string\":[%s]", lines1), NULL, 1, 0,
	    "policies[0].policy.policy-string: more than 64000 bytes as a "
	    "policy (each line and CRLF)");
	ROW("", "", F("\"sending-mta-ip\":\"%s\"", s64), 1, 1, NULL);
	ROW("", "", F("\"sending-mta-ip\":\"%s\"", s65), 1, 1,
	    "policies[0].failure-details[0].sending-mta-ip: longer than 64 "
	    "bytes");
	ROW("", "", F("\"receiving-ip\":\"%s\"", s65), 1, 1,
	    "policies[0].failure-details[0].receiving-ip: longer than 64 "
	    "bytes");
	ROW("", "", F("\"receiving-mx-hostname\":\"%s\"", s255), 1, 1, NULL);
	ROW("", "", F("\"receiving-mx-hostname\":\"%s\"", s256), 1, 1,
	    "policies[0].failure-details[0].receiving-mx-hostname: longer "
	    "than 255 bytes");
	ROW("", "", F("\"receiving-mx-helo\":\"%s\"", s256), 1, 1,
	    "policies[0].failure-details[0].receiving-mx-helo: longer than "
	    "255 bytes");
	ROW("", "", F("\"additional-information\":\"%s\"", s2048), 1, 1,
	    NULL);
	ROW("", "", F("\"additional-information\":\"%s\"", s2049), 1, 1,
	    "policies[0].failure-details[0].additional-information: longer "
	    "than 2048 bytes");
	ROW("", "", F("\"failure-reason-code\":\"%s\"", s2048), 1, 1, NULL);
	ROW("", "", F("\"failure-reason-code\":\"%s\"", s2049), 1, 1,
	    "policies[0].failure-details[0].failure-reason-code: longer "
	    "than 2048 bytes");
	/* Counts: failure details over the report, policies. */
	ROW("", "", NULL, 2, 5000, NULL);
	ROW("", "", NULL, 2, 5001, "policies[1].failure-details[4999]: "
	    "more than 10000 failure details in a report");
	ROW("", "", NULL, 1000, 0, NULL);
	ROW("", "", NULL, 1001, 0, "policies: more than 1000 policies");
	/* 1,000 details of 2,048 + 1 bytes: past 2 MiB in all. */
	ROW("", "", F("\"failure-reason-code\":\"%s\"", s2048), 1, 1024,
	    "policies[0].failure-details[1023].failure-reason-code: the "
	    "report's strings add up to more than 2097152 bytes");
	ROW("", "", F("\"failure-reason-code\":\"%s\"", s2048), 1, 1023,
	    NULL);
	/* Types: policy-type and result-type. */
	ROW("", "", NULL, 1, 1, NULL);
	rows[n - 1].c.ptype = s64;
	rows[n - 1].c.rtype = s64;
	ROW("", "", NULL, 1, 0, "policies[0].policy.policy-type: longer "
	    "than 64 bytes");
	rows[n - 1].c.ptype = s65;
	ROW("", "", NULL, 1, 1, "policies[0].failure-details[0].result-type: "
	    "longer than 64 bytes");
	rows[n - 1].c.rtype = s65;
	/* A tlsa policy's lines are records, not policy lines. */
	ROW("", F("\"policy-string\":[\"%s\"]", s2048), NULL, 1, 0, NULL);
	rows[n - 1].c.ptype = "tlsa";
	/*
	 * Control characters, which the store writes as 6 bytes each in
	 * its JSON arrays (audit 19 round 2): only TAB, CR and LF in a
	 * policy line, none in an mx-host.
	 */
	ROW("", "\"policy-string\":[\"version: STSv1\\r\\n\",\"mx:\\tm\"]",
	    NULL, 1, 0, NULL);
	ROW("", "\"policy-string\":[\"version: STSv1\",\"mx: \\u0001m\"]",
	    NULL, 1, 0, "policies[0].policy.policy-string[1]: a control "
	    "character");
	ROW("", "\"policy-string\":[\"version: STSv1\\u007f\"]", NULL, 1, 0,
	    "policies[0].policy.policy-string[0]: a control character");
	ROW("", "\"mx-host\":[\"m\\u001f.example\"]", NULL, 1, 0,
	    "policies[0].policy.mx-host[0]: a control character");
	ROW("", "\"mx-host\":\"m\\t.example\"", NULL, 1, 0,
	    "policies[0].policy.mx-host: a control character");
#undef F
#undef ROW

	for (i = 0; i < n; i++) {
		json = caps_json(&rows[i].c);
		got = report_json_parse(&r, json, strlen(json), why,
		    sizeof(why));
		if (rows[i].why == NULL)
			CHECK(got == 0, "caps row %zu: taken (%s)", i, why);
		else
			CHECK(got == -1 && strcmp(why, rows[i].why) == 0 &&
			    is_empty(&r), "caps row %zu: \"%s\" (want \"%s\")",
			    i, why, rows[i].why);
		tlsrpt_report_free(&r);
		free(json);
		free(t[i]);
	}
	/* The two members caps_json writes itself. */
	for (i = 0; i < 4; i++) {
		json = NULL;
		cat(&json, "{\"organization-name\":\"%s\",\"date-range\":{"
		    "\"start-datetime\":\"2024-01-01T00:00:00Z\","
		    "\"end-datetime\":\"2024-01-01T23:59:59Z\"},"
		    "\"report-id\":\"%s\",\"policies\":[{\"policy\":{"
		    "\"policy-type\":\"sts\",\"policy-domain\":\"a.example\"},"
		    "\"summary\":{\"total-successful-session-count\":1,"
		    "\"total-failure-session-count\":0}}]}",
		    i == 0 ? s1024 : i == 1 ? s1025 : "o",
		    i == 2 ? s1024 : i == 3 ? s1025 : "r");
		got = report_json_parse(&r, json, strlen(json), why,
		    sizeof(why));
		CHECK(i % 2 == 0 ? got == 0 : got == -1 && strcmp(why, i == 1 ?
		    "organization-name: longer than 1024 bytes" :
		    "report-id: longer than 1024 bytes") == 0,
		    "%s of %d bytes: %d \"%s\"", i < 2 ? "organization-name" :
		    "report-id", i % 2 ? 1025 : 1024, got, why);
		tlsrpt_report_free(&r);
		free(json);
	}
	free(s1024); free(s1025); free(s64); free(s65); free(s255);
	free(s256); free(s2048); free(s2049); free(s1000); free(s872);
	free(s873); free(big); free(s65536); free(mx1000); free(mx1001); free(lines);
	free(lines1);
}

/* What a report holds after parsing: lenient forms normalised. */
static void
test_values(void)
{
	static const char json[] = "{\"organization-name\":\"Org\","
	    "\"date-range\":{\"start-datetime\":\"2024-01-01T00:00:00Z\","
	    "\"end-datetime\":\"2024-01-01T23:59:59Z\"},"
	    "\"contact-info\":\"\",\"report-id\":\"id-1\",\"x-new\":{},"
	    "\"policies\":[{\"policy\":{\"policy-type\":\"tlsa\","
	    "\"policy-domain\":\"MX.Example.ORG.\",\"mx-host\":"
	    "[\"\",\"a.example.org\",\"*.b.example.org\"],"
	    "\"policy-string\":[]},\"summary\":{"
	    "\"total-successful-session-count\":9223372036854775807,"
	    "\"total-failure-session-count\":0},\"failure-details\":[]},"
	    "{\"policy\":{\"policy-type\":\"sts\",\"policy-domain\":"
	    "\"example.com\",\"mx-host\":\"mx.example.com\"},"
	    "\"summary\":{\"total-successful-session-count\":0,"
	    "\"total-failure-session-count\":2},\"failure-details\":[{"
	    "\"result-type\":\"brand-new-type\",\"sending-mta-ip\":\"\","
	    "\"receiving-ip\":null,\"receiving-mx-hostname\":"
	    "\"mx.example.com\",\"failed-session-count\":2}]}]}";
	struct tlsrpt_report		 r;
	struct tlsrpt_policy	*p;
	char			 why[256];

	if (report_json_parse(&r, json, sizeof(json) - 1, why,
	    sizeof(why)) != 0) {
		CHECK(0, "lenient report parsed: %s", why);
		return;
	}
	p = r.policies;
	CHECK(strcmp(r.organization, "Org") == 0 && r.contact == NULL &&
	    strcmp(r.report_id, "id-1") == 0 && r.begin == 1704067200 &&
	    r.end == 1704153599 && r.npolicies == 2,
	    "report fields; contact-info \"\" is NULL");
	CHECK(strcmp(p[0].policy_type, "tlsa") == 0 &&
	    strcmp(p[0].policy_domain, "mx.example.org") == 0 &&
	    p[0].nmx_host == 2 && strcmp(p[0].mx_host[0], "a.example.org") ==
	    0 && strcmp(p[0].mx_host[1], "*.b.example.org") == 0 &&
	    p[0].policy_string == NULL && p[0].npolicy_string == 0 &&
	    p[0].policy_id[0] == '\0' && p[0].successful == INT64_MAX &&
	    p[0].failures == NULL && p[0].nfailures == 0,
	    "tlsa policy: domain lower-cased without its dot, empty mx-host "
	    "dropped, [] is no policy-string, INT64_MAX kept");
	CHECK(strcmp(p[1].policy_type, "sts") == 0 && p[1].nmx_host == 1 &&
	    strcmp(p[1].mx_host[0], "mx.example.com") == 0 &&
	    p[1].policy_string == NULL && p[1].policy_id[0] == '\0' &&
	    p[1].failed == 2 && p[1].nfailures == 1 &&
	    strcmp(p[1].failures[0].result_type, "brand-new-type") == 0 &&
	    p[1].failures[0].sending_mta_ip == NULL &&
	    p[1].failures[0].receiving_ip == NULL &&
	    p[1].failures[0].receiving_mx_helo == NULL &&
	    strcmp(p[1].failures[0].receiving_mx_hostname,
	    "mx.example.com") == 0 && p[1].failures[0].count == 2,
	    "sts policy without policy-string: no id; mx-host a string; "
	    "unknown result type kept; empty and null strings NULL");
	tlsrpt_report_free(&r);
	CHECK(is_empty(&r), "tlsrpt_report_free zeroes");
	tlsrpt_report_free(&r);
}

/*
 * A sender that applied the policy we serve reports the id we publish:
 * policy_prepare renders it, report_json_parse hashes the lines.
 */
static void
test_policy_id(void)
{
	static const char *const mx[] = { "mx1.example.com", "*.example.net" };
	static const struct {
		const char	*lines;	/* JSON array elements */
		int		 same;
	} rows[] = {
		{ "\"version: STSv1\",\"mode: testing\",\"mx: mx1.example.com\","
		    "\"mx: *.example.net\",\"max_age: 604800\"", 1 },
		/* Split at LF only, or with the empty string after the end. */
		{ "\"version: STSv1\\r\",\"mode: testing\\r\","
		    "\"mx: mx1.example.com\\r\",\"mx: *.example.net\\r\","
		    "\"max_age: 604800\\r\"", 1 },
		{ "\"version: STSv1\",\"mode: testing\",\"mx: mx1.example.com\","
		    "\"mx: *.example.net\",\"max_age: 604800\",\"\"", 1 },
		/* Any other bytes are another policy. */
		{ "\"version: STSv1\",\"mode: enforce\",\"mx: mx1.example.com\","
		    "\"mx: *.example.net\",\"max_age: 604800\"", 0 },
		{ "\"version: STSv1\",\"mode: testing\",\"mx: *.example.net\","
		    "\"mx: mx1.example.com\",\"max_age: 604800\"", 0 },
		{ "\"version: STSv1\",\"mode: testing\",\"mx: mx1.example.com\","
		    "\"mx: *.example.net\",\"max_age: 604800 \"", 0 },
		{ "\"version: STSv1\",\"mode: testing\",\"mx: mx1.example.com\","
		    "\"mx: *.example.net\",\"max_age: 604800\",\"\",\"x\"", 0 },
		{ "\"version: STSv1\\nmode: testing\\nmx: mx1.example.com\\n"
		    "mx: *.example.net\\nmax_age: 604800\"", 0 },
	};
	struct policy_spec	 spec = { POLICY_TESTING, mx, 2, 604800 };
	struct policy		 pol;
	struct tlsrpt_report		 r;
	char			 json[1024], why[256];
	size_t			 i;

	if (policy_prepare(&pol, &spec) == -1)
		abort();
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		snprintf(json, sizeof(json), "{\"organization-name\":\"o\","
		    "\"date-range\":{\"start-datetime\":\"2024-01-01T00:00:00Z"
		    "\",\"end-datetime\":\"2024-01-01T23:59:59Z\"},"
		    "\"report-id\":\"r\",\"policies\":[{\"policy\":{"
		    "\"policy-type\":\"sts\",\"policy-domain\":\"example.com\","
		    "\"policy-string\":[%s]},\"summary\":{"
		    "\"total-successful-session-count\":1,"
		    "\"total-failure-session-count\":0}}]}", rows[i].lines);
		if (report_json_parse(&r, json, strlen(json), why,
		    sizeof(why)) != 0) {
			CHECK(0, "policy id row %zu: %s", i, why);
			continue;
		}
		CHECK((strcmp(r.policies[0].policy_id, pol.id) == 0) ==
		    rows[i].same && strlen(r.policies[0].policy_id) ==
		    POLICY_ID_LEN, "policy id row %zu: %s %s %s", i,
		    r.policies[0].policy_id, rows[i].same ? "==" : "!=",
		    pol.id);
		tlsrpt_report_free(&r);
	}
	/* The id is for sts only: tlsa lines are not our policy. */
	snprintf(json, sizeof(json), "{\"organization-name\":\"o\","
	    "\"date-range\":{\"start-datetime\":\"2024-01-01T00:00:00Z\","
	    "\"end-datetime\":\"2024-01-01T23:59:59Z\"},\"report-id\":\"r\","
	    "\"policies\":[{\"policy\":{\"policy-type\":\"tlsa\","
	    "\"policy-domain\":\"example.com\",\"policy-string\":[%s]},"
	    "\"summary\":{\"total-successful-session-count\":1,"
	    "\"total-failure-session-count\":0}}]}", rows[0].lines);
	CHECK(report_json_parse(&r, json, strlen(json), why, sizeof(why)) ==
	    0 && r.policies[0].policy_id[0] == '\0' &&
	    r.policies[0].npolicy_string == 5, "tlsa: lines kept, no id");
	tlsrpt_report_free(&r);
	policy_free(&pol);
}

int
main(void)
{
	report_json_init();
	test_dates();
	test_reasons();
	test_why_size();
	test_length_bounded();
	test_limits();
	test_caps();
	test_values();
	test_policy_id();
	return unit_done();
}
