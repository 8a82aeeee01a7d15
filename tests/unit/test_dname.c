/* SPDX-License-Identifier: ISC */
/* Domain name and mx pattern syntax (RFC 8461 §3.2, RFC 5321). */
#include "common/common.h"
#include "unit.h"

#define L63 "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabc"

int
main(void)
{
	static const struct {
		const char		*name;
		int			 wildcard;
		enum dname_error	 want;
	} rows[] = {
		{ "mail.example.com", 0, DNAME_OK },
		{ "MAIL.Example.COM", 0, DNAME_OK },
		{ "mx-1.example.com", 0, DNAME_OK },
		{ "1mx.example.com", 0, DNAME_OK },
		{ "xn--bcher-kva.example", 0, DNAME_OK },
		{ "*.example.com", 1, DNAME_OK },
		{ "*.example.com", 0, DNAME_WILDCARD_DENIED },
		{ "*", 1, DNAME_WILDCARD_PLACE },
		{ "*.", 1, DNAME_EMPTY_LABEL },
		{ "*.*.example.com", 1, DNAME_WILDCARD_PLACE },
		{ "mx.*.example.com", 1, DNAME_WILDCARD_PLACE },
		{ "*mx.example.com", 1, DNAME_WILDCARD_PLACE },
		{ "mx*.example.com", 1, DNAME_WILDCARD_PLACE },
		{ "*.com", 1, DNAME_ONE_LABEL },
		{ "", 0, DNAME_EMPTY },
		{ "example.com.", 0, DNAME_TRAILING_DOT },
		{ ".example.com", 0, DNAME_EMPTY_LABEL },
		{ "mail..example.com", 0, DNAME_EMPTY_LABEL },
		{ "-mail.example.com", 0, DNAME_HYPHEN_EDGE },
		{ "mail-.example.com", 0, DNAME_HYPHEN_EDGE },
		{ "mail.example-.com", 0, DNAME_HYPHEN_EDGE },
		{ "mail_1.example.com", 0, DNAME_UNDERSCORE },
		{ "mail example.com", 0, DNAME_BAD_CHAR },
		{ "mail@example.com", 0, DNAME_BAD_CHAR },
		{ "[192.0.2.1]", 0, DNAME_BAD_CHAR },
		{ "2001:db8::1", 0, DNAME_BAD_CHAR },
		{ "b\xc3\xbc" "cher.example", 0, DNAME_NON_ASCII },
		{ "192.0.2.1", 0, DNAME_IP_ADDRESS },
		{ "mail.123", 0, DNAME_IP_ADDRESS },
		{ "123.example", 0, DNAME_OK },
		{ "localhost", 0, DNAME_ONE_LABEL },
		{ L63 ".example", 0, DNAME_OK },
		{ L63 "x.example", 0, DNAME_LABEL_TOO_LONG },
		/* 4 × 63 + 3 dots = 255 > 253. */
		{ L63 "." L63 "." L63 "." L63, 0, DNAME_TOO_LONG },
		/* 3 × 63 + 61 + 3 dots = 253: the longest allowed. */
		{ L63 "." L63 "." L63 "."
		  "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij"
		  "a", 0, DNAME_OK },
	};
	size_t			 i;
	enum dname_error	 got;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		got = dname_check(rows[i].name, strlen(rows[i].name),
		    rows[i].wildcard);
		CHECK(got == rows[i].want, "dname \"%.40s\" wildcard=%d: want "
		    "%d (%s), got %d (%s)", rows[i].name, rows[i].wildcard,
		    rows[i].want, dname_strerror(rows[i].want), got,
		    dname_strerror(got));
	}
	return unit_done();
}
