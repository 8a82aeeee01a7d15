/* SPDX-License-Identifier: ISC */
/*
 * gzip in and out, with zlib.  A report arrives gzip-compressed (RFC
 * 8460 §5.1 wants it so) from anyone, and a few hundred bytes of gzip
 * can inflate to gigabytes: inflating is streamed into a buffer that
 * never grows past the caller's limit, and stops at the first byte
 * beyond it.  Only what RFC 1952 calls a gzip file with one member is a
 * report: zlib's automatic zlib/gzip detection is not used (windowBits
 * 15 + 16), and bytes after the member make the whole input invalid
 * rather than a second report glued to the first.  Deflate keeps raw
 * JSON reports compressed in the store.  No I/O here.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "report/report.h"

#define GZIP_WINDOW	(15 + 16)	/* 32 KiB window, gzip only */
#define GZIP_FIRST	(64 * 1024)	/* first output buffer */

/*
 * Grows *out (holding *cap bytes) toward max + 1 (the NUL): doubling,
 * never past it.  0, or -1 out of memory.
 */
static int
grow(unsigned char **out, size_t *cap, size_t max)
{
	size_t		 want;
	unsigned char	*p;

	want = *cap == 0 ? GZIP_FIRST : *cap * 2;
	if (want < *cap || want > max + 1)
		want = max + 1;
	if ((p = realloc(*out, want)) == NULL)
		return -1;
	*out = p;
	*cap = want;
	return 0;
}

/* Feeds zlib at most UINT_MAX bytes at a time (avail_in is a uInt). */
static void
feed(z_stream *z, const unsigned char **in, size_t *left)
{
	size_t	 n;

	if (z->avail_in > 0 || *left == 0)
		return;
	n = *left > UINT_MAX ? UINT_MAX : *left;
	z->next_in = (unsigned char *)(uintptr_t)*in;
	z->avail_in = (uInt)n;
	*in += n;
	*left -= n;
}

/*
 * Inflates into *out until the member ends.  Once max bytes are out,
 * zlib gets one byte of room elsewhere: the stream either ends there
 * (it was exactly max bytes) or gives that byte, and is too large.
 */
static enum report_gzip_result
run(z_stream *z, const unsigned char *in, size_t len, size_t max,
    unsigned char **out, size_t *outlen)
{
	unsigned char	 one;
	size_t		 cap = 0, room;
	int		 rc;

	for (;;) {
		feed(z, &in, &len);
		if (*outlen < max) {
			if (*outlen == cap && grow(out, &cap, max) == -1)
				return REPORT_GZIP_NOMEM;
			room = (cap < max ? cap : max) - *outlen;
			if (room > UINT_MAX)
				room = UINT_MAX;
			z->next_out = *out + *outlen;
		} else {
			room = 1;
			z->next_out = &one;
		}
		z->avail_out = (uInt)room;
		rc = inflate(z, Z_NO_FLUSH);
		if (*outlen == max && z->avail_out == 0)
			return REPORT_GZIP_TOO_LARGE;
		if (*outlen < max)
			*outlen += room - z->avail_out;
		switch (rc) {
		case Z_OK:
			continue;
		case Z_STREAM_END:
			/* RFC 1952 §2.2: one member, nothing after it. */
			return z->avail_in == 0 && len == 0 ? REPORT_GZIP_OK :
			    REPORT_GZIP_INVALID;
		case Z_MEM_ERROR:
			return REPORT_GZIP_NOMEM;
		default:
			/*
			 * Z_BUF_ERROR: no input left before the end
			 * (truncated); or a bad header, data or CRC.
			 */
			return REPORT_GZIP_INVALID;
		}
	}
}

enum report_gzip_result
report_gzip_inflate(const unsigned char *in, size_t len, size_t max,
    unsigned char **out, size_t *outlen)
{
	enum report_gzip_result	 res;
	z_stream		 z;
	unsigned char		*p;

	*out = NULL;
	*outlen = 0;
	if (len == 0)
		return REPORT_GZIP_INVALID;
	if (max == SIZE_MAX)
		max--;		/* room for the NUL */
	memset(&z, 0, sizeof(z));
	switch (inflateInit2(&z, GZIP_WINDOW)) {
	case Z_OK:
		break;
	case Z_MEM_ERROR:
		return REPORT_GZIP_NOMEM;
	default:
		return REPORT_GZIP_INVALID;
	}
	res = run(&z, in, len, max, out, outlen);
	inflateEnd(&z);
	if (res != REPORT_GZIP_OK) {
		free(*out);
		*out = NULL;
		*outlen = 0;
		return res;
	}
	/* The NUL, and no more room than the report takes. */
	if ((p = realloc(*out, *outlen + 1)) == NULL) {
		free(*out);
		*out = NULL;
		*outlen = 0;
		return REPORT_GZIP_NOMEM;
	}
	*out = p;
	(*out)[*outlen] = '\0';
	return REPORT_GZIP_OK;
}

int
report_gzip_deflate(const unsigned char *in, size_t len, unsigned char **out,
    size_t *outlen)
{
	unsigned char	*buf = NULL, *p;
	size_t		 cap = 0, done = 0, left = len, room;
	z_stream	 z;
	int		 rc = -1, zr;

	*out = NULL;
	*outlen = 0;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, GZIP_WINDOW,
	    8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	do {
		if (done == cap) {
			cap = cap == 0 ? len / 4 + 1024 : cap * 2;
			if ((p = realloc(buf, cap)) == NULL)
				goto out;
			buf = p;
		}
		feed(&z, &in, &left);
		room = cap - done > UINT_MAX ? UINT_MAX : cap - done;
		z.next_out = buf + done;
		z.avail_out = (uInt)room;
		zr = deflate(&z, left == 0 ? Z_FINISH : Z_NO_FLUSH);
		done += room - z.avail_out;
		if (zr == Z_STREAM_ERROR)
			goto out;
	} while (zr != Z_STREAM_END);
	*out = buf;
	*outlen = done;
	buf = NULL;
	rc = 0;
out:
	deflateEnd(&z);
	free(buf);
	return rc;
}
