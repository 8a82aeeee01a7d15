/* SPDX-License-Identifier: ISC */
/*
 * mta-sts-check's pure parts: the TXT records (RFC 8461 §3.1, RFC 8460
 * §3), a fetched policy (§3.2) and how it differs, mx patterns (§4.1),
 * and the report lines that carry what servers sent.
 */
#include <stdlib.h>

#include "check/check.h"
#include "unit.h"

/* A TXT record and what parsing it gives. */
struct record_row {
	const char	*txt;
	int		 want;		/* 0 or -1 */
	const char	*value_or_err;	/* the id or rua, or words of err */
};

/*
 * Parses each row's record with parse (check_record_sts or check_record_tlsrpt): the
 * status, and the value exactly or the words somewhere in err.
 */
static void
record_rows(const char *kind, int (*parse)(const char *, char *, size_t,
    char *, size_t), const struct record_row *rows, size_t nrows)
{
	char	 value[256], err[256];
	size_t	 i;
	int	 got;

	for (i = 0; i < nrows; i++) {
		value[0] = err[0] = '\0';
		got = parse(rows[i].txt, value, sizeof(value), err,
		    sizeof(err));
		CHECK(got == rows[i].want && (got == 0 ?
		    strcmp(value, rows[i].value_or_err) == 0 :
		    strstr(err, rows[i].value_or_err) != NULL),
		    "%s record \"%s\": %d \"%s\"", kind, rows[i].txt, got,
		    got == 0 ? value : err);
	}
}

static void
test_sts(void)
{
	static const struct record_row rows[] = {
		{ "v=STSv1; id=20240101", 0, "20240101" },
		{ "v=STSv1;id=abc", 0, "abc" },
		{ "v=STSv1; id=abc;", 0, "abc" },
		{ "v=STSv1 ;\tid=abc ; ", 0, "abc" },
		{ "v=STSv1; id=abc; ext=1", 0, "abc" },
		{ "v=STSv1; x-y.z=q; id=Z9", 0, "Z9" },
		{ "v=STSv1; id=0123456789abcdef0123456789ABCDEF", 0,
		    "0123456789abcdef0123456789ABCDEF" },
		{ "v=STSv1; id=0123456789abcdef0123456789ABCDEF0", -1,
		    "is not 1 to 32" },
		{ "v=STSv1; id=abc+def", -1, "id \"abc+def\" is not" },
		{ "v=STSv1; id=", -1, "id \"\" is not" },
		{ "v=STSv1; id=a; id=b", -1, "more than one id" },
		{ "v=STSv1", -1, "want \"v=STSv1;\"" },
		{ "v=STSv1;", -1, "no id field" },
		{ "v=STSv1 id=abc", -1, "want \"v=STSv1;\"" },
		{ "v=STSv1; ext", -1, "is not a field" },
		{ "v=STSv1; =x", -1, "is not a field" },
		{ "v=STSv2; id=abc", -1, "does not start" },
		{ "v=STSv10; id=abc", -1, "want \"v=STSv1;\"" },
		{ "v=TLSRPTv1; rua=mailto:a@b.c", -1, "does not start" },
	};

	record_rows("sts", check_record_sts, rows, sizeof(rows) / sizeof(rows[0]));
	CHECK(check_record_is_sts("v=STSv1; id=1") && !check_record_is_sts("v=spf1") &&
	    !check_record_is_sts(" v=STSv1"), "check_record_is_sts");
}

static void
test_tlsrpt(void)
{
	static const struct record_row rows[] = {
		{ "v=TLSRPTv1; rua=mailto:r@example.com", 0,
		    "mailto:r@example.com" },
		{ "v=TLSRPTv1;rua=mailto:a@x.example, https://r.example/t", 0,
		    "mailto:a@x.example,https://r.example/t" },
		{ "v=TLSRPTv1; rua=mailto:a@x.example;", 0,
		    "mailto:a@x.example" },
		{ "v=TLSRPTv1; rua=mailto:a@x.example; ext=1", 0,
		    "mailto:a@x.example" },
		{ "v=TLSRPTv1; rua=ftp://x.example", -1, "is not a mailto:" },
		{ "v=TLSRPTv1; rua=mailto:nobody", -1, "is not a mailto:" },
		{ "v=TLSRPTv1; rua=", -1, "is not a mailto:" },
		{ "v=TLSRPTv1;", -1, "no rua field" },
		{ "v=TLSRPTv1; rua=mailto:a@b.c; rua=mailto:d@e.f", -1,
		    "more than one rua" },
		{ "v=TLSRPTv1 rua=mailto:a@b.c", -1, "want \"v=TLSRPTv1;\"" },
	};

	record_rows("tlsrpt", check_record_tlsrpt, rows,
	    sizeof(rows) / sizeof(rows[0]));
	CHECK(check_record_same_uris("mailto:a@b.c,https://x.y/", "https://x.y/,"
	    "mailto:a@b.c"), "same URIs in another order");
	CHECK(!check_record_same_uris("mailto:a@b.c", "mailto:a@b.c,mailto:d@e.f"),
	    "one URI fewer is not the same");
	CHECK(!check_record_same_uris("mailto:a@b.c", "mailto:a@b.cc"),
	    "a URI that only starts the same is not the same");
}

#define P(s)	"version: STSv1\r\n" s
static void
test_policy(void)
{
	static const struct {
		const char	*body;
		int		 want;
		const char	*err;
	} rows[] = {
		{ P("mode: enforce\r\nmx: mx.example.com\r\nmax_age: 86400\r\n"),
		    0, NULL },
		{ "version: STSv1\nmode: testing\nmx: *.example.com\n"
		    "max_age: 0", 0, NULL },
		{ P("mode: none\r\nmax_age: 86400\r\n"), 0, NULL },
		{ P("mode: enforce\r\nmx: a.example\r\nmax_age: 1\r\n"
		    "ext_1: anything\r\n"), 0, NULL },
		{ P("mode: enforce\r\nmax_age: 86400\r\n"), -1,
		    "no mx line in mode enforce" },
		{ P("mode: enforcing\r\nmx: a.example\r\nmax_age: 1\r\n"), -1,
		    "is not enforce, testing or none" },
		{ P("mode: enforce\r\nmode: testing\r\nmx: a.example\r\n"
		    "max_age: 1\r\n"), -1, "mode given twice" },
		{ P("mode: enforce\r\nmx: a.example\r\nmax_age: 31557601\r\n"),
		    -1, "over 31557600" },
		{ P("mode: enforce\r\nmx: a.example\r\nmax_age: 1w\r\n"), -1,
		    "is not 1 to 10 digits" },
		{ P("mode: enforce\r\nmx: a.example\r\n"), -1, "no max_age" },
		{ P("mode: enforce\r\nmx: a_b.example\r\nmax_age: 1\r\n"), -1,
		    "mx \"a_b.example\"" },
		{ P("mode: enforce\r\n\r\nmx: a.example\r\nmax_age: 1\r\n"), -1,
		    "is not \"key: value\"" },
		{ "mode: enforce\r\nversion: STSv1\r\nmx: a.example\r\n"
		    "max_age: 1\r\n", -1, "first line" },
		{ "\xef\xbb\xbf" P("mode: none\r\nmax_age: 1\r\n"), -1,
		    "byte-order mark" },
		{ P("mode: none\rmax_age: 1\r\n"), -1, "bare CR" },
		{ "<html><body>Not here</body></html>", -1, "first line" },
	};
	struct check_policy	 p;
	char			 err[256];
	size_t			 i;
	int			 got;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		err[0] = '\0';
		got = check_policy_parse(&p, rows[i].body,
		    strlen(rows[i].body), err, sizeof(err));
		CHECK(got == rows[i].want && (got == 0 ||
		    strstr(err, rows[i].err) != NULL),
		    "policy %zu: %d \"%s\"", i, got, err);
		if (got == 0)
			check_policy_free(&p);
	}
}

static void
test_diff(void)
{
	static const struct {
		const char	*served, *want, *diff;
	} rows[] = {
		{ P("mode: testing\r\nmx: a.example\r\nmax_age: 1\r\n"),
		  P("mode: enforce\r\nmx: a.example\r\nmax_age: 1\r\n"),
		  "mode: served testing, this config enforce" },
		{ P("mode: enforce\r\nmx: a.example\r\nmx: b.example\r\n"
		    "max_age: 1\r\n"),
		  P("mode: enforce\r\nmx: a.example\r\nmx: c.example\r\n"
		    "max_age: 7\r\n"),
		  "mx: b.example served, not in this config; mx: c.example "
		  "missing from the served policy; max_age: served 1, this "
		  "config 7" },
		{ "version: STSv1\nmode: none\nmax_age: 1\n",
		  P("mode: none\r\nmax_age: 1\r\n"),
		  "the same fields but other bytes (order, spacing, line ends "
		  "or extensions), so another id" },
	};
	struct check_policy	 a, b;
	char			 err[256], diff[512];
	size_t			 i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (check_policy_parse(&a, rows[i].served,
		    strlen(rows[i].served), err, sizeof(err)) == -1 ||
		    check_policy_parse(&b, rows[i].want, strlen(rows[i].want),
		    err, sizeof(err)) == -1) {
			CHECK(0, "diff %zu: %s", i, err);
			continue;
		}
		check_policy_diff(&a, &b, diff, sizeof(diff));
		CHECK(strcmp(diff, rows[i].diff) == 0, "diff %zu: \"%s\"", i,
		    diff);
		check_policy_free(&a);
		check_policy_free(&b);
	}
}

static void
test_mx(void)
{
	static const struct {
		const char	*pattern, *host;
		int		 want;
	} rows[] = {
		{ "mx.example.com", "mx.example.com", 1 },
		{ "MX.Example.com", "mx.example.com", 1 },
		{ "mx.example.com", "mx2.example.com", 0 },
		{ "*.example.com", "mx1.example.com", 1 },
		{ "*.example.com", "example.com", 0 },
		{ "*.example.com", "a.b.example.com", 0 },
		{ "*.example.com", "mx1.example.org", 0 },
		{ "*.example.com", "mx1.xexample.com", 0 },
		{ "*.example.com", ".example.com", 0 },
		{ "mx.example.com", "", 0 },
	};
	size_t	 i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		CHECK(check_mx_match(rows[i].pattern, rows[i].host) == rows[i].want,
		    "mx pattern %s %s %s", rows[i].pattern,
		    rows[i].want ? "matches" : "does not match", rows[i].host);
}

/*
 * What a server sent, inside a report line: each problem stays one line
 * and shows no character a terminal obeys or a reader breaks lines at.
 */
static void
test_report(void)
{
	static const struct {
		const char	*sent, *shown;
	} rows[] = {
		{ "plain ASCII", "plain ASCII" },
		{ "RFC 8461 \xc2\xa7" "4.2, caf\xc3\xa9, \xe2\x82\xac, \xf0\x9f\x94\x92",
		  "RFC 8461 \xc2\xa7" "4.2, caf\xc3\xa9, \xe2\x82\xac, \xf0\x9f\x94\x92" },
		{ "a\r\nb.test: mx-tls: ok", "a??b.test: mx-tls: ok" },
		{ "tab\there, del\x7f", "tab?here, del?" },
		{ "NEL \xc2\x85 CSI \xc2\x9b OSC \xc2\x9d", "NEL ? CSI ? OSC ?" },
		{ "LS \xe2\x80\xa8 PS \xe2\x80\xa9", "LS ? PS ?" },
		{ "RLO \xe2\x80\xae LRI \xe2\x81\xa6 ZWSP \xe2\x80\x8b BOM \xef\xbb\xbf",
		  "RLO ? LRI ? ZWSP ? BOM ?" },
		{ "lone \x9b, cut \xe2\x80, overlong \xc0\xaf \xe0\x80\xaf",
		  "lone ?, cut ??, overlong ?? ???" },
		{ "surrogate \xed\xa0\x80, beyond \xf4\x90\x80\x80",
		  "surrogate ???, beyond ????" },
	};
	struct check_result	 r;
	char			 want[512];
	size_t			 i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&r, 0, sizeof(r));
		r.domain = "d.test";
		check_result_add(&r, CHECK_RESULT_MX_TLS, CHECK_RESULT_WARNING, "sent %s", rows[i].sent);
		snprintf(want, sizeof(want), "d.test: mx-tls: warning: sent %s\n",
		    rows[i].shown);
		CHECK_BYTES(r.text, r.len, want, strlen(want),
		    "report line %zu shows \"%s\"", i, rows[i].shown);
		check_result_free(&r);
	}
}

int
main(void)
{
	test_sts();
	test_tlsrpt();
	test_policy();
	test_diff();
	test_mx();
	test_report();
	return unit_done();
}
