/* SPDX-License-Identifier: ISC */
/*
 * check_policy.c: a fetched policy body (RFC 8461 §3.2) and how it
 * differs from this config's.
 */
#include "check/check.h"
#include "unit.h"

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

int
main(void)
{
	test_policy();
	test_diff();
	return unit_done();
}
