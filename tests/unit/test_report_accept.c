/* SPDX-License-Identifier: ISC */
/*
 * report_accept.c: media types (RFC 9110 §8.3.1), the status of a
 * store's answer, and every fixture in tests/report/fixtures through
 * report_accept_body as HTTPS and mail call it: its status and reason,
 * or the report it became, dumped in a stable text form and compared
 * with NAME.out.  UPDATE=1 rewrites the .out files (review the diff).
 * Run from the top of the tree, as tests/run.sh does.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <time.h>

#include "report/report.h"
#include "unit.h"

#define FIXTURES	"tests/report/fixtures/"
/* When the tests receive their reports: 2025-01-01T00:00:00Z. */
#define NOW		1735689600

static void
test_encoding(void)
{
	static const struct {
		const char		*value;
		enum report_encoding	 want;
	} rows[] = {
		{ "application/tlsrpt+gzip", REPORT_ENCODING_GZIP },
		{ "application/tlsrpt+json", REPORT_ENCODING_JSON },
		{ "Application/TLSRPT+GZIP", REPORT_ENCODING_GZIP },
		{ "APPLICATION/TLSRPT+JSON", REPORT_ENCODING_JSON },
		{ "application/tlsrpt+json; charset=utf-8",
		    REPORT_ENCODING_JSON },
		{ "application/tlsrpt+json;charset=\"utf-8\"",
		    REPORT_ENCODING_JSON },
		{ "application/tlsrpt+gzip \t; x=y; ;",
		    REPORT_ENCODING_GZIP },
		{ " \tapplication/tlsrpt+gzip \t", REPORT_ENCODING_GZIP },
		{ "application/tlsrpt+json;", REPORT_ENCODING_JSON },
		{ "application/tlsrpt+gzipx", REPORT_ENCODING_OTHER },
		{ "application/tlsrpt+json2", REPORT_ENCODING_OTHER },
		{ "application/tlsrpt+json x", REPORT_ENCODING_OTHER },
		{ "application/tlsrpt + json", REPORT_ENCODING_OTHER },
		{ "application /tlsrpt+json", REPORT_ENCODING_OTHER },
		{ "application/tlsrpt", REPORT_ENCODING_OTHER },
		{ "application/json", REPORT_ENCODING_OTHER },
		{ "application/gzip", REPORT_ENCODING_OTHER },
		{ "text/plain", REPORT_ENCODING_OTHER },
		{ "application/tlsrpt+json,application/tlsrpt+gzip",
		    REPORT_ENCODING_OTHER },
		{ "\napplication/tlsrpt+json", REPORT_ENCODING_OTHER },
		{ "", REPORT_ENCODING_OTHER },
		{ NULL, REPORT_ENCODING_OTHER },
	};
	char	 shown[256];
	size_t	 i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (rows[i].value != NULL)
			log_escape(shown, sizeof(shown), rows[i].value,
			    strlen(rows[i].value));
		CHECK(report_accept_encoding(rows[i].value) == rows[i].want,
		    "Content-Type \"%s\": %d", rows[i].value ? shown :
		    "(none)", (int)report_accept_encoding(rows[i].value));
	}
}

static void
test_status(void)
{
	CHECK(report_accept_status(TLSRPT_STORE_ADDED) == 201, "added: 201");
	CHECK(report_accept_status(TLSRPT_STORE_DUPLICATE) == 200,
	    "duplicate: 200");
	CHECK(report_accept_status(TLSRPT_STORE_UNAVAILABLE) == 503,
	    "unavailable: 503");
	CHECK(report_accept_status(TLSRPT_STORE_CORRUPT) == 503,
	    "corrupt: 503");
}

/* The config these tests stand for serves example.com and example.net. */
static int
served(const char *domain, void *arg)
{
	(*(int *)arg)++;
	return strcmp(domain, "example.com") == 0 ||
	    strcmp(domain, "example.net") == 0;
}

/* Reads a whole file; NULL if it cannot. */
static char *
slurp(const char *path, size_t *len)
{
	FILE	*f;
	char	*buf = NULL;
	long	 n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) !=
	    NULL && fread(buf, 1, (size_t)n, f) == (size_t)n) {
		*len = (size_t)n;
		buf[n] = '\0';
	} else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* Appends to a growing text. */
static void
add(char **out, size_t *len, size_t *cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
add(char **out, size_t *len, size_t *cap, const char *fmt, ...)
{
	va_list	 ap;
	char	 line[4096];
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || buf_append((unsigned char **)out, len, cap, 4096, line,
	    (size_t)n) == -1)
		abort();
}

/* A string as the dump shows it: quoted, escaped, or (none). */
static const char *
q(const char *s, char *buf, size_t size)
{
	char	 e[1024];

	if (s == NULL)
		return "(none)";
	log_escape(e, sizeof(e), s, strlen(s));
	snprintf(buf, size, "\"%s\"", e);
	return buf;
}

static const char *
utc(int64_t t, char *buf, size_t size)
{
	time_t		 tt = (time_t)t;
	struct tm	 tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "?");
	return buf;
}

static void
dump_failure(char **o, size_t *l, size_t *c, const struct tlsrpt_failure *f)
{
	char	 b[1100];

	add(o, l, c, "    failure %s count %lld\n", q(f->result_type, b,
	    sizeof(b)), (long long)f->count);
	add(o, l, c, "      sending-mta-ip %s\n", q(f->sending_mta_ip, b,
	    sizeof(b)));
	add(o, l, c, "      receiving-mx-hostname %s\n",
	    q(f->receiving_mx_hostname, b, sizeof(b)));
	add(o, l, c, "      receiving-mx-helo %s\n", q(f->receiving_mx_helo,
	    b, sizeof(b)));
	add(o, l, c, "      receiving-ip %s\n", q(f->receiving_ip, b,
	    sizeof(b)));
	add(o, l, c, "      additional-information %s\n",
	    q(f->additional_information, b, sizeof(b)));
	add(o, l, c, "      failure-reason-code %s\n",
	    q(f->failure_reason_code, b, sizeof(b)));
}

/* A parsed report, every field, in a stable text form. */
static void
dump(char **o, size_t *l, size_t *c, const struct tlsrpt_report *r)
{
	const struct tlsrpt_policy	*p;
	char				 b[1100];
	size_t				 i, k;

	add(o, l, c, "organization %s\n", q(r->organization, b, sizeof(b)));
	add(o, l, c, "contact %s\n", q(r->contact, b, sizeof(b)));
	add(o, l, c, "report-id %s\n", q(r->report_id, b, sizeof(b)));
	add(o, l, c, "begin %lld %s\n", (long long)r->begin, utc(r->begin, b,
	    sizeof(b)));
	add(o, l, c, "end %lld %s\n", (long long)r->end, utc(r->end, b,
	    sizeof(b)));
	for (i = 0; i < r->npolicies; i++) {
		p = &r->policies[i];
		add(o, l, c, "policy %s %s\n", p->policy_domain,
		    q(p->policy_type, b, sizeof(b)));
		add(o, l, c, "  id %s\n", p->policy_id[0] ? p->policy_id :
		    "(none)");
		if (p->policy_string == NULL)
			add(o, l, c, "  policy-string (none)\n");
		for (k = 0; k < p->npolicy_string; k++)
			add(o, l, c, "  policy-string %s\n",
			    q(p->policy_string[k], b, sizeof(b)));
		if (p->mx_host == NULL)
			add(o, l, c, "  mx-host (none)\n");
		for (k = 0; k < p->nmx_host; k++)
			add(o, l, c, "  mx-host %s\n", q(p->mx_host[k], b,
			    sizeof(b)));
		add(o, l, c, "  successful %lld failed %lld\n",
		    (long long)p->successful, (long long)p->failed);
		for (k = 0; k < p->nfailures; k++)
			dump_failure(o, l, c, &p->failures[k]);
	}
}

/* The raw report inflates back to the JSON that was parsed. */
static int
raw_ok(enum report_encoding enc, const char *body, size_t len,
    const unsigned char *raw, size_t rawlen)
{
	unsigned char	*json, *back;
	size_t		 jsonlen, backlen;
	int		 same;

	if (enc == REPORT_ENCODING_GZIP)
		return rawlen == len && memcmp(raw, body, len) == 0;
	if (report_gzip_inflate(raw, rawlen, len, &back, &backlen) !=
	    REPORT_GZIP_OK)
		return 0;
	json = (unsigned char *)(uintptr_t)body;
	jsonlen = len;
	same = backlen == jsonlen && memcmp(back, json, jsonlen) == 0;
	free(back);
	return same;
}

/* Runs one fixture and compares the outcome with its .out file. */
static void
fixture(const char *name)
{
	struct report_limits	 lim = { CONF_REPORTS_BODY_MAX,
	    CONF_REPORTS_INFLATED_MAX };
	enum report_encoding	 enc;
	struct tlsrpt_report		 r;
	unsigned char		*raw;
	char			 path[256], why[1024], *body, *want;
	char			*got = NULL;
	size_t			 len, rawlen, wantlen;
	size_t			 gotlen = 0, gotcap = 0;
	int			 status, calls = 0;
	FILE			*f;

	snprintf(path, sizeof(path), FIXTURES "%s", name);
	if ((body = slurp(path, &len)) == NULL) {
		CHECK(0, "%s: cannot read", path);
		return;
	}
	enc = strstr(name, ".gz") != NULL ? REPORT_ENCODING_GZIP :
	    REPORT_ENCODING_JSON;
	status = report_accept_body(&lim, enc, (unsigned char *)body, len,
	    NOW, served, &calls, &r, &raw, &rawlen, why, sizeof(why));
	add(&got, &gotlen, &gotcap, "status %d\n", status);
	if (status != 0) {
		add(&got, &gotlen, &gotcap, "why %s\n", why);
		CHECK(raw == NULL && rawlen == 0 && r.policies == NULL &&
		    r.organization == NULL && strchr(why, '\n') == NULL &&
		    why[0] != '\0', "%s: refused with one line, nothing "
		    "kept", name);
	} else {
		dump(&got, &gotlen, &gotcap, &r);
		CHECK(raw_ok(enc, body, len, raw, rawlen), "%s: the raw "
		    "report is the body as gzip", name);
		CHECK(calls > 0, "%s: served() was asked", name);
		free(raw);
		tlsrpt_report_free(&r);
	}
	snprintf(path, sizeof(path), FIXTURES "%s.out", name);
	if (getenv("UPDATE") != NULL && (f = fopen(path, "w")) != NULL) {
		fwrite(got, 1, gotlen, f);
		fclose(f);
	}
	if ((want = slurp(path, &wantlen)) == NULL)
		CHECK(0, "%s: cannot read", path);
	else
		CHECK_BYTES(got, gotlen, want, wantlen, "%s as %s.out", name,
		    name);
	free(want);
	free(got);
	free(body);
}

/*
 * What senders send, then what attackers send.  Gzip ones are sent as
 * application/tlsrpt+gzip, the rest as +json.
 */
static void
test_fixtures(void)
{
	static const char *const names[] = {
		"rfc-example.json",
		"google.json.gz",
		"microsoft.json",
		"mailru.json",
		"no-policy-found.json",
		"unknown-result.json",
		"counts-not-summing.json",
		"dates-offsets.json",
		"ok-nesting-16.json",
		"unserved.json",
		"bad-invalid-utf8.json",
		"bad-overlong-utf8.json",
		"bad-surrogate-escape.json",
		"bad-nul-escape.json",
		"bad-control-char.json",
		"bad-overflow-count.json",
		"bad-negative-count.json",
		"bad-real-count.json",
		"bad-string-count.json",
		"bad-duplicate-key.json",
		"bad-duplicate-nested.json",
		"bad-wrong-type-org.json",
		"bad-wrong-type-mx.json",
		"bad-wrong-type-mx-element.json",
		"bad-wrong-type-policies.json",
		"bad-wrong-type-ip.json",
		"bad-wrong-type-policy-string.json",
		"bad-missing-report-id.json",
		"bad-missing-summary-count.json",
		"bad-missing-failed-count.json",
		"bad-missing-result-type.json",
		"bad-empty-org.json",
		"bad-empty-policies.json",
		"bad-date-month.json",
		"bad-date-feb29.json",
		"bad-date-hour.json",
		"bad-date-format.json",
		"bad-date-epoch.json",
		"bad-date-end-before-start.json",
		"bad-domain-underscore.json",
		"bad-domain-escape.json",
		"bad-policy-not-object.json",
		"bad-top-level-array.json",
		"bad-trailing-json.json",
		"bad-truncated.json",
		"bad-empty.json",
		"bad-deep-nesting.json",
		"deep-3000.json.gz",
		"huge-array.json.gz",
		"huge-array-under.json.gz",
		"many-objects.json.gz",
		"limit-exact.json.gz",
		"limit-plus-one.json.gz",
		"bomb.json.gz",
		"truncated-trailer.json.gz",
		"truncated-data.json.gz",
		"trailing-byte.json.gz",
		"two-members.json.gz",
		"not-gzip.json.gz",
		"bad-crc.json.gz",
		"zlib-not-gzip.json.gz",
		"amplify-policy-string.json.gz",
		"long-string.json.gz",
	};
	size_t	 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		fixture(names[i]);
}

/* Limits, media type and the served rule, on one small report. */
static void
test_body(void)
{
	static const char json[] = "{\"organization-name\":\"o\","
	    "\"date-range\":{\"start-datetime\":\"2024-01-01T00:00:00Z\","
	    "\"end-datetime\":\"2024-01-01T23:59:59Z\"},\"report-id\":\"r\","
	    "\"policies\":[{\"policy\":{\"policy-type\":\"sts\","
	    "\"policy-domain\":\"a.example\"},\"summary\":{"
	    "\"total-successful-session-count\":1,"
	    "\"total-failure-session-count\":0}},{\"policy\":{"
	    "\"policy-type\":\"sts\",\"policy-domain\":\"example.com\"},"
	    "\"summary\":{\"total-successful-session-count\":2,"
	    "\"total-failure-session-count\":0}},{\"policy\":{"
	    "\"policy-type\":\"sts\",\"policy-domain\":\"b.example\"},"
	    "\"summary\":{\"total-successful-session-count\":3,"
	    "\"total-failure-session-count\":0}}]}";
	const unsigned char	*body = (const unsigned char *)json;
	struct report_limits	 lim = { sizeof(json) - 1,
	    sizeof(json) - 1 };
	struct tlsrpt_report		 r;
	unsigned char		*raw, *gz;
	size_t			 rawlen, gzlen, n = sizeof(json) - 1;
	char			 why[256], want[256], small[48];
	int			 calls = 0, st;

	st = report_accept_body(&lim, REPORT_ENCODING_JSON, body, n, NOW,
	    served, &calls, &r, &raw, &rawlen, why, sizeof(why));
	CHECK(st == 0 && r.npolicies == 1 &&
	    strcmp(r.policies[0].policy_domain, "example.com") == 0 &&
	    r.policies[0].successful == 2 && calls == 3,
	    "unserved policies dropped, the served one kept: %d", st);
	if (st == 0) {
		free(raw);
		tlsrpt_report_free(&r);
	}
	lim.body_max = n - 1;
	st = report_accept_body(&lim, REPORT_ENCODING_JSON, body, n, NOW,
	    served, &calls, &r, &raw, &rawlen, why, sizeof(why));
	snprintf(want, sizeof(want), "report body of %zu bytes is larger "
	    "than the limit of %zu", n, n - 1);
	CHECK(st == 413 && strcmp(why, want) == 0, "body one over: %d %s",
	    st, why);
	lim.body_max = n;
	lim.inflated_max = n - 1;
	st = report_accept_body(&lim, REPORT_ENCODING_JSON, body, n, NOW,
	    served, &calls, &r, &raw, &rawlen, why, sizeof(why));
	snprintf(want, sizeof(want), "report of %zu bytes is larger than "
	    "the limit of %zu", n, n - 1);
	CHECK(st == 413 && strcmp(why, want) == 0, "JSON one over: %d %s",
	    st, why);
	if (report_gzip_deflate(body, n, &gz, &gzlen) == -1)
		abort();
	lim.body_max = gzlen;
	st = report_accept_body(&lim, REPORT_ENCODING_GZIP, gz, gzlen,
	    NOW, served, &calls, &r, &raw, &rawlen, why, sizeof(why));
	snprintf(want, sizeof(want), "report inflates to more than the "
	    "limit of %zu bytes", n - 1);
	CHECK(st == 413 && strcmp(why, want) == 0, "inflated one over: %d %s",
	    st, why);
	lim.inflated_max = n;
	st = report_accept_body(&lim, REPORT_ENCODING_GZIP, gz, gzlen,
	    NOW, served, &calls, &r, &raw, &rawlen, why, sizeof(why));
	CHECK(st == 0 && rawlen == gzlen && memcmp(raw, gz, gzlen) == 0,
	    "gzip at both limits: %d, raw is the body", st);
	if (st == 0) {
		free(raw);
		tlsrpt_report_free(&r);
	}
	st = report_accept_body(&lim, REPORT_ENCODING_OTHER, gz, gzlen,
	    NOW, served, &calls, &r, &raw, &rawlen, why, sizeof(why));
	CHECK(st == 415 && raw == NULL, "other media type: %d %s", st, why);
	/* 415 before 413: the type is known before the body is read. */
	st = report_accept_body(&lim, REPORT_ENCODING_OTHER, gz, SIZE_MAX, NOW,
	    served, &calls, &r, &raw, &rawlen, why, sizeof(why));
	CHECK(st == 415, "other media type, too large: %d", st);
	/* Neither refusal reads the body: a caller may pass none. */
	st = report_accept_body(&lim, REPORT_ENCODING_OTHER, NULL, 10, NOW,
	    served, &calls, &r, &raw, &rawlen, why, sizeof(why));
	CHECK(st == 415 && raw == NULL, "415 with no body: %d", st);
	st = report_accept_body(&lim, REPORT_ENCODING_GZIP, NULL,
	    gzlen + 1, NOW, served, &calls, &r, &raw, &rawlen, why,
	    sizeof(why));
	CHECK(st == 413 && raw == NULL, "413 with no body: %d", st);
	lim.body_max = lim.inflated_max = 1 << 20;
	st = report_accept_body(&lim, REPORT_ENCODING_JSON,
	    (const unsigned char *)"{}", 2, NOW, served, &calls, &r, &raw,
	    &rawlen, small, sizeof(small));
	CHECK(st == 400 && strcmp(small, "organization-name: missing") == 0,
	    "400 with the JSON reason: %s", small);
	free(gz);
}

/* A 403's reason names the refused domains, cut to the caller's size. */
static void
test_403_reason(void)
{
	static const char head[] = "{\"organization-name\":\"o\","
	    "\"date-range\":{\"start-datetime\":\"2024-01-01T00:00:00Z\","
	    "\"end-datetime\":\"2024-01-01T23:59:59Z\"},\"report-id\":\"r\","
	    "\"policies\":[";
	static const char pol[] = "{\"policy\":{\"policy-type\":\"sts\","
	    "\"policy-domain\":\"d%03d.example.org\"},\"summary\":{"
	    "\"total-successful-session-count\":1,"
	    "\"total-failure-session-count\":0}}";
	struct report_limits	 lim = { 1 << 20, 1 << 20 };
	struct tlsrpt_report		 r;
	unsigned char		*raw;
	char			*json = NULL, why[100], one[256];
	size_t			 len = 0, cap = 0, rawlen;
	int			 i, calls = 0, st;

	add(&json, &len, &cap, "%s", head);
	for (i = 0; i < 100; i++) {
		snprintf(one, sizeof(one), pol, i);
		add(&json, &len, &cap, "%s%s", i ? "," : "", one);
	}
	add(&json, &len, &cap, "]}");
	st = report_accept_body(&lim, REPORT_ENCODING_JSON,
	    (unsigned char *)json, len, NOW, served, &calls, &r, &raw,
	    &rawlen, why, sizeof(why));
	CHECK(st == 403 && strcmp(why, "no policy domain of the report is "
	    "served here: d000.example.org, d001.example.org ...") == 0 &&
	    calls == 100, "403 names what fits: %d \"%s\"", st, why);
	free(json);
}

/*
 * A report's end may lie at most a day after it is received: a report
 * from the future would sort first and outlive every prune.
 */
static void
test_now(void)
{
	static const struct {
		const char	*end;
		int		 status;
		const char	*why;
	} rows[] = {
		{ "2025-01-01T23:59:59Z", 0, "" },
		{ "2025-01-02T00:00:00Z", 0, "" },
		{ "2025-01-02T01:00:00+01:00", 0, "" },
		{ "2025-01-02T00:00:01Z", 400, "date-range.end-datetime: "
		    "2025-01-02T00:00:01Z is more than a day after the report "
		    "was received (2025-01-01T00:00:00Z)" },
		{ "9999-12-31T23:59:59Z", 400, "date-range.end-datetime: "
		    "9999-12-31T23:59:59Z is more than a day after the report "
		    "was received (2025-01-01T00:00:00Z)" },
	};
	struct report_limits	 lim = { 1 << 20, 1 << 20 };
	struct tlsrpt_report	 r;
	unsigned char		*raw;
	char			 json[1024], why[256];
	size_t			 i, rawlen;
	int			 calls = 0, st;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		snprintf(json, sizeof(json), "{\"organization-name\":\"o\","
		    "\"date-range\":{\"start-datetime\":"
		    "\"2024-12-31T00:00:00Z\",\"end-datetime\":\"%s\"},"
		    "\"report-id\":\"r\",\"policies\":[{\"policy\":{"
		    "\"policy-type\":\"sts\",\"policy-domain\":"
		    "\"example.com\"},\"summary\":{"
		    "\"total-successful-session-count\":1,"
		    "\"total-failure-session-count\":0}}]}", rows[i].end);
		st = report_accept_body(&lim, REPORT_ENCODING_JSON,
		    (unsigned char *)json, strlen(json), NOW, served, &calls,
		    &r, &raw, &rawlen, why, sizeof(why));
		CHECK(st == rows[i].status && strcmp(why, rows[i].why) == 0 &&
		    (st == 0) == (raw != NULL), "end %s: %d \"%s\"",
		    rows[i].end, st, why);
		if (st == 0) {
			free(raw);
			tlsrpt_report_free(&r);
		}
	}
}

/*
 * A report as sent, gzip, of nd failure details: each distinct (an
 * address per detail, as real senders group them) with a reason of
 * reason bytes, or all alike.  In a new buffer (free) of *len bytes.
 */
static unsigned char *
details_gz(size_t nd, size_t reason, int alike, size_t *len)
{
	char		*json = NULL, *r;
	size_t		 jlen = 0, cap = 0, i;
	unsigned char	*gz;

	if ((r = malloc(reason + 1)) == NULL)
		abort();
	memset(r, 'x', reason);
	r[reason] = '\0';
	add(&json, &jlen, &cap, "{\"organization-name\":\"o\",\"date-range\":{"
	    "\"start-datetime\":\"2024-01-01T00:00:00Z\",\"end-datetime\":"
	    "\"2024-01-01T23:59:59Z\"},\"report-id\":\"r\",\"policies\":[{"
	    "\"policy\":{\"policy-type\":\"sts\",\"policy-domain\":"
	    "\"example.com\"},\"summary\":{\"total-successful-session-count\":"
	    "1,\"total-failure-session-count\":1},\"failure-details\":[");
	for (i = 0; i < nd; i++)
		add(&json, &jlen, &cap, "%s{\"result-type\":"
		    "\"certificate-host-mismatch\",\"sending-mta-ip\":"
		    "\"40.107.%zu.%zu\",\"receiving-mx-hostname\":"
		    "\"mx%zu.example.com\",\"failed-session-count\":%zu,"
		    "\"failure-reason-code\":\"%s\"}", i ? "," : "",
		    alike ? 0 : (i * 7919) % 256, alike ? 0 : i % 256,
		    alike ? 1 : i % 3, alike ? 1 : i % 50 + 1, r);
	add(&json, &jlen, &cap, "]}]}");
	if (report_gzip_deflate((unsigned char *)json, jlen, &gz, len) == -1)
		abort();
	free(json);
	free(r);
	return gz;
}

/*
 * What a report stores is bounded by what was sent: REPORT_STORED_RATIO
 * times its bytes as sent, plus REPORT_STORED_SLACK, so that a gzip
 * body of alike strings (deflate's 1,000 to 1) cannot write a thousand
 * times its size (audit 19, finding 1).  Real reports, distinct details
 * as senders group them, store about twenty times their gzip.
 */
static void
test_stored_ratio(void)
{
	static const struct {
		size_t		 nd, reason;
		int		 alike, status;
	} rows[] = {
		{ 1, 0, 0, 0 },
		{ 1000, 0, 0, 0 },
		{ 5000, 0, 0, 0 },
		{ 5000, 60, 0, 0 },
		{ 100, 2048, 1, 413 },
		{ 900, 2048, 1, 413 },
		{ 5000, 0, 1, 413 },
	};
	struct report_limits	 lim = { 16 << 20, 16 << 20 };
	struct tlsrpt_report	 r;
	unsigned char		*gz, *raw;
	char			 why[256], want[256];
	size_t			 i, len, rawlen;
	int			 calls = 0, st;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		gz = details_gz(rows[i].nd, rows[i].reason, rows[i].alike, &len);
		st = report_accept_body(&lim, REPORT_ENCODING_GZIP, gz, len,
		    NOW, served, &calls, &r, &raw, &rawlen, why, sizeof(why));
		if (rows[i].status == 0)
			CHECK(st == 0, "%zu %s details, %zu-byte reasons, %zu "
			    "bytes of gzip: stored (%s)", rows[i].nd,
			    rows[i].alike ? "alike" : "distinct",
			    rows[i].reason, len, why);
		else {
			snprintf(want, sizeof(want), "the report would store "
			    "more than %d times its %zu bytes as sent, and "
			    "%d more", REPORT_STORED_RATIO, len,
			    REPORT_STORED_SLACK);
			CHECK(st == 413 && strcmp(why, want) == 0, "%zu alike "
			    "details, %zu-byte reasons, %zu bytes of gzip: %d "
			    "\"%s\"", rows[i].nd, rows[i].reason, len, st, why);
		}
		if (st == 0) {
			free(raw);
			tlsrpt_report_free(&r);
		}
		free(gz);
	}
}

int
main(void)
{
	report_json_init();
	test_encoding();
	test_status();
	test_fixtures();
	test_body();
	test_403_reason();
	test_now();
	test_stored_ratio();
	return unit_done();
}
