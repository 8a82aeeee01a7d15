/* SPDX-License-Identifier: ISC */
/*
 * log.c: log_escape, the one escaper of untrusted text.
 */
#include <string.h>

#include "fcgi/fcgi.h"
#include "unit.h"

static void
test_escape(void)
{
	static const struct {
		const char	*in;
		size_t		 len;	/* 0: strlen(in) */
		const char	*want;
	} rows[] = {
		{ "example.com", 0, "example.com" },
		{ "a\\b \"c\"", 0, "a\\b \"c\"" },	/* kept as is */
		{ "a\r\n\tb", 0, "a\\r\\n\\tb" },
		{ "\x1b[2Jx", 0, "\\x1b[2Jx" },		/* ESC */
		{ "\x01\x1f", 0, "\\x01\\x1f" },
		{ "a\0b", 3, "a\\x00b" },
		{ "del\x7f", 0, "del\\x7f" },
		/* C1 as raw bytes: not UTF-8 at all. */
		{ "\x80\x9b\x9f", 0, "\\x80\\x9b\\x9f" },
		/* C1 in UTF-8: U+0080, U+009B (CSI), U+0085 (NEL), U+009F. */
		{ "\xc2\x80\xc2\x9b\xc2\x85\xc2\x9f", 0,
		    "\\u0080\\u009b\\u0085\\u009f" },
		/* Bidi: LRM, RLM, LRE..RLO, LRI..PDI. */
		{ "\xe2\x80\x8e\xe2\x80\x8f", 0, "\\u200e\\u200f" },
		{ "a\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad"
		    "\xe2\x80\xae" "b", 0,
		    "a\\u202a\\u202b\\u202c\\u202d\\u202eb" },
		{ "\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9", 0,
		    "\\u2066\\u2067\\u2068\\u2069" },
		/* Line and paragraph separators, zero-width space, BOM. */
		{ "\xe2\x80\xa8\xe2\x80\xa9\xe2\x80\x8b\xef\xbb\xbf", 0,
		    "\\u2028\\u2029\\u200b\\ufeff" },
		/* Valid UTF-8 that must pass: é, →, §, U+00A0, an emoji. */
		{ "caf\xc3\xa9 \xe2\x86\x92 \xc2\xa7" "3.2", 0,
		    "caf\xc3\xa9 \xe2\x86\x92 \xc2\xa7" "3.2" },
		{ "\xc2\xa0\xf0\x9f\x93\xa7", 0, "\xc2\xa0\xf0\x9f\x93\xa7" },
		/* Invalid UTF-8: overlong, surrogate, beyond U+10FFFF, cut. */
		{ "\xc0\xaf", 0, "\\xc0\\xaf" },
		{ "\xe0\x80\xaf", 0, "\\xe0\\x80\\xaf" },
		{ "\xed\xa0\x80", 0, "\\xed\\xa0\\x80" },
		{ "\xf4\x90\x80\x80", 0, "\\xf4\\x90\\x80\\x80" },
		{ "\xff\xfe", 0, "\\xff\\xfe" },
		{ "a\xc3", 0, "a\\xc3" },		/* cut at the end */
		{ "\xe2\x80", 0, "\\xe2\\x80" },
		{ "\xc3(", 0, "\\xc3(" },		/* bad continuation */
	};
	char	 out[256];
	size_t	 i, len, took;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		len = rows[i].len > 0 ? rows[i].len : strlen(rows[i].in);
		took = log_escape(out, sizeof(out), rows[i].in, len);
		CHECK(took == len, "log_escape row %zu took %zu of %zu", i,
		    took, len);
		CHECK_BYTES(out, strlen(out), rows[i].want,
		    strlen(rows[i].want), "log_escape row %zu", i);
	}
}

/* Output stops before what does not fit, never inside it. */
static void
test_truncation(void)
{
	static const struct {
		const char	*in;
		size_t		 size;
		const char	*want;
		size_t		 took;
	} rows[] = {
		{ "abcdef", 4, "abc", 3 },
		{ "abc", 4, "abc", 3 },
		{ "ab\n", 4, "ab", 2 },			/* \n needs 2 */
		{ "ab\n", 5, "ab\\n", 3 },
		{ "a\x01", 5, "a", 1 },			/* \x01 needs 4 */
		{ "a\x01", 6, "a\\x01", 2 },
		{ "a\xc3\xa9", 3, "a", 1 },		/* é needs 2 */
		{ "a\xc3\xa9", 4, "a\xc3\xa9", 3 },
		{ "a\xe2\x80\xae", 7, "a", 1 },		/* \u202e needs 6 */
		{ "a\xe2\x80\xae", 8, "a\\u202e", 4 },
		{ "abc", 1, "", 0 },
	};
	char	 out[16];
	size_t	 i, took;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(out, 'X', sizeof(out));
		took = log_escape(out, rows[i].size, rows[i].in,
		    strlen(rows[i].in));
		CHECK(took == rows[i].took && out[strlen(out) + 1] == 'X' &&
		    strlen(out) < rows[i].size,
		    "log_escape truncation row %zu: took %zu (want %zu)", i,
		    took, rows[i].took);
		CHECK_BYTES(out, strlen(out), rows[i].want,
		    strlen(rows[i].want), "log_escape truncation row %zu", i);
	}
	memset(out, 'X', sizeof(out));
	CHECK(log_escape(out, 0, "abc", 3) == 0 && out[0] == 'X',
	    "log_escape with size 0 writes nothing");
}

/* The worst case, every byte an \xHH, fits LOG_ESCAPE_SIZE. */
static void
test_size(void)
{
	char	 in[64], out[LOG_ESCAPE_SIZE(sizeof(in))];

	memset(in, 0x80, sizeof(in));
	CHECK(log_escape(out, sizeof(out), in, sizeof(in)) == sizeof(in) &&
	    strlen(out) == 4 * sizeof(in),
	    "LOG_ESCAPE_SIZE holds 64 raw C1 bytes");
}

int
main(void)
{
	test_escape();
	test_truncation();
	test_size();
	return unit_done();
}
