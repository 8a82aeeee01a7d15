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
		/* RFC 8461 §3.2's ABNF sets no order. */
		{ "mode: enforce\r\nversion: STSv1\r\nmx: a.example\r\n"
		    "max_age: 1\r\n", 0, NULL },
		{ "mx: A.Example\r\nmax_age: 1\r\nmode: testing\r\n"
		    "version: STSv1", 0, NULL },
		{ "\xef\xbb\xbf" P("mode: none\r\nmax_age: 1\r\n"), -1,
		    "byte-order mark" },
		{ P("mode: none\rmax_age: 1\r\n"), -1, "bare CR" },
		{ "<html><body>Not here</body></html>", -1,
		    "is not \"key: value\"" },
		{ "mode: none\r\nmax_age: 1\r\n", -1, "no version line" },
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
		int		 fields;	/* how many differ */
	} rows[] = {
		{ P("mode: testing\r\nmx: a.example\r\nmax_age: 1\r\n"),
		  P("mode: enforce\r\nmx: a.example\r\nmax_age: 1\r\n"),
		  "mode: served testing, this config enforce", 1 },
		{ P("mode: enforce\r\nmx: a.example\r\nmx: b.example\r\n"
		    "max_age: 1\r\n"),
		  P("mode: enforce\r\nmx: a.example\r\nmx: c.example\r\n"
		    "max_age: 7\r\n"),
		  "mx: b.example served, not in this config; mx: c.example "
		  "missing from the served policy; max_age: served 1, this "
		  "config 7", 3 },
		/* The same fields: how the bytes differ. */
		{ "version: STSv1\nmode: none\nmax_age: 1\n",
		  P("mode: none\r\nmax_age: 1\r\n"),
		  "LF line ends where this config has CRLF, which senders "
		  "accept (RFC 8461 §3.2, erratum 6253)", 0 },
		{ "mode: enforce\r\nmx: a.example\r\nmax_age: 1\r\n"
		    "version: STSv1\r\n",
		  P("mode: enforce\r\nmx: a.example\r\nmax_age: 1\r\n"),
		  "in another order, which senders accept (RFC 8461 §3.2 sets "
		  "none)", 0 },
		{ P("mode: enforce\r\nmx: b.example\r\nmx: a.example\r\n"
		    "max_age: 1\r\n"),
		  P("mode: enforce\r\nmx: a.example\r\nmx: b.example\r\n"
		    "max_age: 1\r\n"),
		  "in another order, which senders accept (RFC 8461 §3.2 sets "
		  "none)", 0 },
		{ P("mode: enforce\r\nmx: MX1.Example.NET\r\n"
		    "max_age: 1\r\n"),
		  P("mode: enforce\r\nmx: mx1.example.net\r\n"
		    "max_age: 1\r\n"),
		  "mx MX1.Example.NET where this config has mx1.example.net, "
		  "which senders accept (host names compare without case, RFC "
		  "4343)", 0 },
		{ P("mode: none\r\nmax_age:1 \r\nx-note: hi\r\n"),
		  P("mode: none\r\nmax_age: 1\r\n"),
		  "other blanks around a value; an extension field x-note, "
		  "which senders ignore", 0 },
		{ P("mode: none\r\nmax_age: 1"),
		  P("mode: none\r\nmax_age: 1\r\n"),
		  "no line end after the last line", 0 },
		{ P("mode: none\r\nmax_age: 1\r\n"),
		  P("mode: none\r\nmax_age: 1\r\nx: 1\r\n"),
		  "other extension fields", 0 },
	};
	struct check_policy	 a, b;
	char			 err[256], diff[512];
	size_t			 i;
	int			 n;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (check_policy_parse(&a, rows[i].served,
		    strlen(rows[i].served), err, sizeof(err)) == -1 ||
		    check_policy_parse(&b, rows[i].want, strlen(rows[i].want),
		    err, sizeof(err)) == -1) {
			CHECK(0, "diff %zu: %s", i, err);
			continue;
		}
		n = check_policy_diff(&a, &b, diff, sizeof(diff));
		CHECK(n == rows[i].fields && strcmp(diff, rows[i].diff) == 0,
		    "diff %zu: %d \"%s\"", i, n, diff);
		check_policy_free(&a);
		check_policy_free(&b);
	}
}

/* Header lines as libcurl hands them over, and what is noted. */
static void
test_header(void)
{
	static const struct {
		const char	*lines[4];
		int		 h;
		unsigned	 n;
		const char	*first, *last;
	} rows[] = {
		{ { "Content-Type: text/plain\r\n" },
		  CHECK_POLICY_CONTENT_TYPE, 1, "text/plain", "text/plain" },
		{ { "Content-Type: application/octet-stream\r\n",
		    "content-type:\ttext/plain \r\n" },
		  CHECK_POLICY_CONTENT_TYPE, 2, "application/octet-stream",
		  "text/plain" },
		{ { "HTTP/1.1 100 Continue\r\n", "Location: /a\r\n",
		    "HTTP/1.1 200 OK\r\n", "Location: /b\r\n" },
		  CHECK_POLICY_LOCATION, 1, "/b", "/b" },
		{ { "Content-Length: 10\r\n", "CONTENT-LENGTH: 10\r\n" },
		  CHECK_POLICY_CONTENT_LENGTH, 2, "10", "10" },
		{ { "Transfer-Encoding: chunked\r\n", "\r\n" },
		  CHECK_POLICY_TRANSFER_ENCODING, 1, "chunked", "chunked" },
		{ { "Content-Typo: text/plain\r\n", "X: Content-Type\r\n" },
		  CHECK_POLICY_CONTENT_TYPE, 0, "", "" },
		{ { "Content-Type:\r\n" },
		  CHECK_POLICY_CONTENT_TYPE, 1, "", "" },
	};
	struct check_policy_headers	 hs;
	size_t				 i, j;
	int				 h;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&hs, 0, sizeof(hs));
		for (j = 0; j < 4 && rows[i].lines[j] != NULL; j++)
			check_policy_header(&hs, rows[i].lines[j],
			    strlen(rows[i].lines[j]));
		h = rows[i].h;
		CHECK(hs.n[h] == rows[i].n &&
		    strcmp(hs.first[h], rows[i].first) == 0 &&
		    strcmp(hs.last[h], rows[i].last) == 0,
		    "header %zu: %s %u \"%s\" \"%s\"", i,
		    check_policy_header_str(h), hs.n[h], hs.first[h],
		    hs.last[h]);
	}
}

int
main(void)
{
	test_policy();
	test_diff();
	test_header();
	return unit_done();
}
