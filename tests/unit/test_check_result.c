/* SPDX-License-Identifier: ISC */
/*
 * check_result.c: the output lines, and what a server sent inside them.
 */
#include "check/check.h"
#include "unit.h"

/*
 * What a server sent, inside an output line: each problem stays one line
 * and shows no character a terminal obeys or a reader breaks lines at;
 * those are escaped as log_escape does (\r, \xHH, \uHHHH).
 */
static void
test_result(void)
{
	static const struct {
		const char	*sent, *shown;
	} rows[] = {
		{ "plain ASCII", "plain ASCII" },
		{ "RFC 8461 \xc2\xa7" "4.2, caf\xc3\xa9, \xe2\x82\xac, \xf0\x9f\x94\x92",
		  "RFC 8461 \xc2\xa7" "4.2, caf\xc3\xa9, \xe2\x82\xac, \xf0\x9f\x94\x92" },
		{ "a\r\nb.test: mx-tls: ok", "a\\r\\nb.test: mx-tls: ok" },
		{ "tab\there, del\x7f", "tab\\there, del\\x7f" },
		{ "NEL \xc2\x85 CSI \xc2\x9b OSC \xc2\x9d", "NEL \\u0085 CSI \\u009b OSC \\u009d" },
		{ "LS \xe2\x80\xa8 PS \xe2\x80\xa9", "LS \\u2028 PS \\u2029" },
		{ "RLO \xe2\x80\xae LRI \xe2\x81\xa6 ZWSP \xe2\x80\x8b BOM \xef\xbb\xbf",
		  "RLO \\u202e LRI \\u2066 ZWSP \\u200b BOM \\ufeff" },
		{ "lone \x9b, cut \xe2\x80, overlong \xc0\xaf \xe0\x80\xaf",
		  "lone \\x9b, cut \\xe2\\x80, overlong \\xc0\\xaf \\xe0\\x80\\xaf" },
		{ "surrogate \xed\xa0\x80, beyond \xf4\x90\x80\x80",
		  "surrogate \\xed\\xa0\\x80, beyond \\xf4\\x90\\x80\\x80" },
	};
	struct check_result	 r;
	char			 want[512];
	size_t			 i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&r, 0, sizeof(r));
		r.domain = "d.test";
		check_result_add(&r, CHECK_RESULT_MX_TLS, CHECK_RESULT_WARNING,
		    "sent %s", rows[i].sent);
		snprintf(want, sizeof(want),
		    "d.test: mx-tls: warning: sent %s\n", rows[i].shown);
		CHECK_BYTES(r.text, r.len, want, strlen(want),
		    "output line %zu shows \"%s\"", i, rows[i].shown);
		check_result_free(&r);
	}
}

int
main(void)
{
	test_result();
	return unit_done();
}
