/* SPDX-License-Identifier: ISC */
/*
 * Growing byte buffers: the kept PARAMS of the wire parser and the output
 * a peer has not taken yet.  The capacity doubles from a first size, so
 * appending costs amortised constant time per byte.
 */
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
