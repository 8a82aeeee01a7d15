/* SPDX-License-Identifier: ISC */
/*
 * Growing buffers: the kept PARAMS of the wire parser and the output a
 * peer has not taken yet (bytes), the config's sections and the table's
 * policies and domains (arrays).  The capacity doubles from a first
 * size, so appending costs amortised constant time per element.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"

int
buf_append(unsigned char **buf, size_t *len, size_t *cap, size_t first,
    const void *p, size_t n)
{
	unsigned char	*b;
	size_t		 c;

	if (*len + n > *cap) {
		for (c = *cap > 0 ? *cap : first; c < *len + n;)
			c *= 2;
		if ((b = realloc(*buf, c)) == NULL)
			return -1;
		*buf = b;
		*cap = c;
	}
	memcpy(*buf + *len, p, n);
	*len += n;
	return 0;
}

#define ARRAY_FIRST	16	/* elements of an array's first allocation */

void *
buf_array_room(void *array, size_t n, size_t *cap, size_t size)
{
	size_t	 ncap;
	void	*p;

	if (n < *cap)
		return array;
	for (ncap = *cap > 0 ? *cap : ARRAY_FIRST; ncap <= n; ncap *= 2)
		if (ncap > SIZE_MAX / 2)
			return NULL;
	/*
	 * Checked here, not left to reallocarray: a sanitizer's allocator
	 * aborts on the overflow it would report.
	 */
	if (size != 0 && ncap > SIZE_MAX / size)
		return NULL;
	if ((p = realloc(array, ncap * size)) == NULL)
		return NULL;
	*cap = ncap;
	return p;
}
