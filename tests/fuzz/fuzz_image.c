/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer: bytes → image_open → if it accepts them, image_lookup of a
 * few fixed names and of the names the image itself holds, every byte
 * of each answer read.  A worker maps bytes it did not write: whatever
 * they are, nothing may read outside them, loop or crash.
 */
#include <stdlib.h>
#include <string.h>

#include "fcgi/fcgi.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static volatile unsigned char	 sink;

static void
lookup(const struct image *img, const char *name, size_t len)
{
	struct image_policy	 p;
	unsigned char		 x = 0;
	size_t			 i;

	if (image_lookup(img, name, len, &p) == -1)
		return;
	if (p.header_len > p.response_len)
		abort();
	for (i = 0; i < p.response_len; i++)
		x ^= (unsigned char)p.response[i];
	sink = x;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {
		"", "example.org", "example.com", "customer1.example", "a",
	};
	struct image	 img;
	unsigned char	*copy;
	uint32_t	 off, len, i;

	/* Exactly size bytes of their own: ASan sees a read past them. */
	if ((copy = malloc(size > 0 ? size : 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	if (image_open(&img, copy, size) == 0) {
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			lookup(&img, names[i], strlen(names[i]));
		/* The image's own names (image_open checked where they are). */
		for (i = 0; i < img.ndomains && i < 16; i++) {
			memcpy(&off, copy + img.domains + i * 16 + 4, 4);
			memcpy(&len, copy + img.domains + i * 16 + 8, 4);
			lookup(&img, (const char *)copy + off, len);
		}
	}
	free(copy);
	return 0;
}
