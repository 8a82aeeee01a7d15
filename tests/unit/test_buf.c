/* SPDX-License-Identifier: ISC */
/*
 * buf.c: buf_append and buf_array_room, the growth both programs use.
 */
#include <stdint.h>
#include <stdlib.h>

#include "fcgi/fcgi.h"
#include "unit.h"

static void
test_array_room(void)
{
	static const struct {
		size_t	 n, cap, size;
		int	 ok;
		size_t	 want_cap;
	} rows[] = {
		{ 0, 0, 4, 1, 16 },		/* the first allocation */
		{ 15, 16, 4, 1, 16 },		/* room already */
		{ 16, 16, 4, 1, 32 },		/* full: doubles */
		{ 100, 16, 4, 1, 128 },		/* as often as needed */
		{ 0, 0, SIZE_MAX / 8, 0, 0 },	/* 16 elements overflow */
		{ SIZE_MAX - 1, 16, 1, 0, 16 },	/* the count overflows */
	};
	size_t	 i, cap;
	int	*a, *p;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		cap = rows[i].cap;
		a = rows[i].cap > 0 ? calloc(rows[i].cap, rows[i].size) : NULL;
		p = buf_array_room(a, rows[i].n, &cap, rows[i].size);
		CHECK((p != NULL) == rows[i].ok && cap == rows[i].want_cap,
		    "buf_array_room row %zu: n %zu cap %zu -> %s, cap %zu "
		    "(want %s, %zu)", i, rows[i].n, rows[i].cap,
		    p != NULL ? "array" : "NULL", cap,
		    rows[i].ok ? "array" : "NULL", rows[i].want_cap);
		if (p != NULL && rows[i].ok)
			p[rows[i].n * rows[i].size / sizeof(int)] = 1;
		free(p != NULL ? p : a);
	}
}

static void
test_append(void)
{
	unsigned char	*b = NULL;
	size_t		 len = 0, cap = 0, i;

	for (i = 0; i < 100; i++)
		CHECK(buf_append(&b, &len, &cap, 8, "ab", 2) == 0,
		    "buf_append %zu", i);
	CHECK(len == 200 && cap == 256 && memcmp(b + 198, "ab", 2) == 0,
	    "buf_append: len %zu cap %zu (want 200, 256)", len, cap);
	free(b);
}

int
main(void)
{
	test_array_room();
	test_append();
	return unit_done();
}
