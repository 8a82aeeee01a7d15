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
		/*
		 * The rest of Bidi_Control: U+061C ARABIC LETTER MARK (audit
		 * 19), between two characters that are shown.
		 */
		{ "a\xd8\x9c" "b", 0, "a\\u061cb" },
		{ "\xd8\x9b\xd8\x9c\xd8\x9d", 0,
		    "\xd8\x9b\\u061c\xd8\x9d" },
		/*
		 * Default_Ignorable_Code_Point: soft hyphen, combining
		 * grapheme joiner, Hangul fillers, Khmer inherent vowels,
		 * Mongolian variation selectors and vowel separator,
		 * variation selectors (VS1, VS16 after an emoji).
		 */
		{ "\xc2\xad\xcd\x8f", 0, "\\u00ad\\u034f" },
		{ "\xe1\x85\x9f\xe1\x85\xa0\xe3\x85\xa4\xef\xbe\xa0", 0,
		    "\\u115f\\u1160\\u3164\\uffa0" },
		{ "\xe1\x9e\xb4\xe1\x9e\xb5", 0, "\\u17b4\\u17b5" },
		{ "\xe1\xa0\x8b\xe1\xa0\x8e\xe1\xa0\x8f", 0,
		    "\\u180b\\u180e\\u180f" },
		{ "\xef\xb8\x80\xe2\x9d\xa4\xef\xb8\x8f", 0,
		    "\\ufe00\xe2\x9d\xa4\\ufe0f" },
		/* Unassigned ignorables, interlinear annotation anchors. */
		{ "\xef\xbf\xb0\xef\xbf\xb8\xef\xbf\xb9\xef\xbf\xbb", 0,
		    "\\ufff0\\ufff8\\ufff9\\ufffb" },
		/* Beyond U+FFFF, as \UHHHHHHHH: shorthand format controls. */
		{ "\xf0\x9b\xb2\xa0\xf0\x9b\xb2\xa3", 0,
		    "\\U0001bca0\\U0001bca3" },
		/* Musical symbol begin/end beam, tie, slur, phrase. */
		{ "\xf0\x9d\x85\xb3\xf0\x9d\x85\xba", 0,
		    "\\U0001d173\\U0001d17a" },
		/* Tags (hidden text) and variation selectors supplement. */
		{ "\xf3\xa0\x80\x80\xf3\xa0\x80\x81\xf3\xa0\x81\x81"
		    "\xf3\xa0\x81\xbf\xf3\xa0\x84\x80\xf3\xa0\x87\xaf"
		    "\xf3\xa0\xbf\xbf", 0,
		    "\\U000e0000\\U000e0001\\U000e0041\\U000e007f"
		    "\\U000e0100\\U000e01ef\\U000e0fff" },
		/*
		 * Their neighbours are shown: U+061B, U+061D, U+00AC,
		 * U+034E, U+1161, U+180A, U+1810, U+3165, U+FE10, U+FFFC,
		 * U+1D172, U+1D17B, U+1BC9F, U+1BCA4, U+E1000.
		 */
		{ "\xd8\x9b\xd8\x9d\xc2\xac\xcd\x8e\xe1\x85\xa1\xe1\xa0\x8a"
		    "\xe1\xa0\x90\xe3\x85\xa5\xef\xb8\x90\xef\xbf\xbc"
		    "\xf0\x9d\x85\xb2\xf0\x9d\x85\xbb\xf0\x9b\xb2\x9f"
		    "\xf0\x9b\xb2\xa4\xf3\xa1\x80\x80", 0,
		    "\xd8\x9b\xd8\x9d\xc2\xac\xcd\x8e\xe1\x85\xa1\xe1\xa0\x8a"
		    "\xe1\xa0\x90\xe3\x85\xa5\xef\xb8\x90\xef\xbf\xbc"
		    "\xf0\x9d\x85\xb2\xf0\x9d\x85\xbb\xf0\x9b\xb2\x9f"
		    "\xf0\x9b\xb2\xa4\xf3\xa1\x80\x80" },
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
		/* U+E0001 needs 10, \U000e0001. */
		{ "a\xf3\xa0\x80\x81", 11, "a", 1 },
		{ "a\xf3\xa0\x80\x81", 12, "a\\U000e0001", 5 },
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
