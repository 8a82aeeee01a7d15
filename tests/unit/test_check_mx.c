/* SPDX-License-Identifier: ISC */
/*
 * check_mx.c: mx patterns against MX host names (RFC 8461 §4.1).
 */
#include "check/check.h"
#include "unit.h"

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
		CHECK(check_mx_match(rows[i].pattern, rows[i].host) ==
		    rows[i].want,
		    "mx pattern %s %s %s", rows[i].pattern,
		    rows[i].want ? "matches" : "does not match", rows[i].host);
}

int
main(void)
{
	test_mx();
	return unit_done();
}
