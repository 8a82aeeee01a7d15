/* SPDX-License-Identifier: ISC */
/*
 * A minimal table-driven test harness: every CHECK is one test; a failure
 * prints where, what was expected and what came instead.  Output lines
 * "ok - ..." / "not ok - ..." are counted by tests/run.sh.
 */
#ifndef UNIT_H
#define UNIT_H

#include <stdio.h>
#include <string.h>

static int	 unit_passed, unit_failed;

#define CHECK(cond, ...) do {						\
	if (cond) {							\
		unit_passed++;						\
		printf("ok - ");					\
		printf(__VA_ARGS__);					\
		printf("\n");						\
	} else {							\
		unit_failed++;						\
		printf("not ok - %s:%d: ", __FILE__, __LINE__);		\
		printf(__VA_ARGS__);					\
		printf("\n");						\
	}								\
} while (0)

/* Prints bytes with CR, LF and other controls visible. */
static inline void
unit_show(const char *what, const char *p, size_t len)
{
	size_t	 i;

	printf("#   %s (%zu bytes): \"", what, len);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\r')
			printf("\\r");
		else if (c == '\n')
			printf("\\n");
		else if (c < 0x20 || c >= 0x7f)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	printf("\"\n");
}

/* Checks that got equals want byte for byte, showing both if not. */
#define CHECK_BYTES(got, glen, want, wlen, ...) do {			\
	int same_ = (glen) == (wlen) &&					\
	    memcmp((got), (want), (wlen)) == 0;				\
	CHECK(same_, __VA_ARGS__);					\
	if (!same_) {							\
		unit_show("want", (want), (wlen));			\
		unit_show("got ", (got), (glen));			\
	}								\
} while (0)

static inline int
unit_done(void)
{
	return unit_failed == 0 ? 0 : 1;
}

#endif
