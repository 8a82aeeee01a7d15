/* SPDX-License-Identifier: ISC */
/*
 * report_gzip.c: one gzip member inflated under a limit, whatever the
 * input (bombs, truncation at every byte, trailing bytes, other
 * formats), and deflate's output read back by inflate.
 */
#include <stdlib.h>
#include <sys/resource.h>

#include <zlib.h>

#include "report/report.h"
#include "unit.h"

static const char *const result_names[] = { "OK", "INVALID", "TOO_LARGE",
    "NOMEM" };

/* A gzip member of len bytes at in, made by zlib itself, not by us. */
static unsigned char *
zlib_gzip(const unsigned char *in, size_t len, size_t *outlen, int level)
{
	z_stream	 z;
	unsigned char	*out;
	size_t		 cap = len + len / 100 + 64;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK || (out = malloc(cap)) == NULL)
		abort();
	z.next_in = (unsigned char *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		abort();
	*outlen = cap - z.avail_out;
	deflateEnd(&z);
	return out;
}

/* Inflates and checks the result and, if OK, the exact bytes. */
static void
expect(const char *what, const unsigned char *gz, size_t gzlen, size_t max,
    enum report_gzip_result want, const void *bytes, size_t len)
{
	enum report_gzip_result	 got;
	unsigned char		*out = (unsigned char *)"x";
	size_t			 outlen = 7;

	got = report_gzip_inflate(gz, gzlen, max, &out, &outlen);
	CHECK(got == want, "%s: %s (want %s)", what, result_names[got],
	    result_names[want]);
	if (got != REPORT_GZIP_OK) {
		CHECK(out == NULL && outlen == 0, "%s: nothing out", what);
		return;
	}
	CHECK_BYTES((const char *)out, outlen, (const char *)bytes, len,
	    "%s: bytes", what);
	CHECK(out[outlen] == '\0', "%s: NUL-terminated", what);
	free(out);
}

static void
test_limits(void)
{
	static const char	 text[] = "{\"organization-name\": \"x\"}";
	unsigned char		*gz;
	size_t			 gzlen, n = sizeof(text) - 1;

	gz = zlib_gzip((const unsigned char *)text, n, &gzlen, 9);
	expect("limit far", gz, gzlen, 1 << 20, REPORT_GZIP_OK, text, n);
	expect("limit == size", gz, gzlen, n, REPORT_GZIP_OK, text, n);
	expect("limit == size - 1", gz, gzlen, n - 1, REPORT_GZIP_TOO_LARGE,
	    NULL, 0);
	expect("limit 0", gz, gzlen, 0, REPORT_GZIP_TOO_LARGE, NULL, 0);
	expect("limit SIZE_MAX", gz, gzlen, SIZE_MAX, REPORT_GZIP_OK, text, n);
	free(gz);

	gz = zlib_gzip((const unsigned char *)"", 0, &gzlen, 9);
	expect("empty member, limit 0", gz, gzlen, 0, REPORT_GZIP_OK, "", 0);
	free(gz);
}

/* Buffers around 64 KiB, where the output buffer first grows. */
static void
test_sizes(void)
{
	static const size_t	 sizes[] = { 1, 65535, 65536, 65537, 131072,
	    1000003 };
	unsigned char		*in, *gz, *mine;
	size_t			 i, k, gzlen, minelen;
	char			 what[64];

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if ((in = malloc(sizes[i])) == NULL)
			abort();
		/* Not very compressible. */
		for (k = 0; k < sizes[i]; k++)
			in[k] = (unsigned char)((k * 2654435761u) >> 13);
		gz = zlib_gzip(in, sizes[i], &gzlen, 6);
		snprintf(what, sizeof(what), "%zu bytes", sizes[i]);
		expect(what, gz, gzlen, sizes[i], REPORT_GZIP_OK, in,
		    sizes[i]);
		snprintf(what, sizeof(what), "%zu bytes, limit one less",
		    sizes[i]);
		expect(what, gz, gzlen, sizes[i] - 1, REPORT_GZIP_TOO_LARGE,
		    NULL, 0);
		CHECK(report_gzip_deflate(in, sizes[i], &mine, &minelen) == 0,
		    "deflate %zu bytes", sizes[i]);
		snprintf(what, sizeof(what), "%zu bytes, our deflate",
		    sizes[i]);
		expect(what, mine, minelen, sizes[i], REPORT_GZIP_OK, in,
		    sizes[i]);
		free(mine);
		free(gz);
		free(in);
	}
	CHECK(report_gzip_deflate((const unsigned char *)"", 0, &mine,
	    &minelen) == 0, "deflate 0 bytes");
	expect("deflate 0 bytes read back", mine, minelen, 10, REPORT_GZIP_OK,
	    "", 0);
	free(mine);
}

/* Every prefix of a member is truncated, and so invalid. */
static void
test_truncated(void)
{
	static const char	 text[] = "{\"report-id\": \"truncated\", "
	    "\"policies\": []}";
	unsigned char		*gz;
	size_t			 gzlen, cut, bad = 0;
	unsigned char		*out;
	size_t			 outlen;

	gz = zlib_gzip((const unsigned char *)text, sizeof(text) - 1, &gzlen,
	    9);
	for (cut = 0; cut < gzlen; cut++) {
		if (report_gzip_inflate(gz, cut, 1 << 20, &out, &outlen) !=
		    REPORT_GZIP_INVALID || out != NULL)
			bad++;
	}
	CHECK(bad == 0, "every one of %zu prefixes is invalid (%zu not)",
	    gzlen, bad);
	free(gz);
}

static void
test_invalid(void)
{
	static const char	 text[] = "{\"a\": 1}";
	unsigned char		 buf[512], *gz;
	size_t			 gzlen, n = sizeof(text) - 1;
	uLongf			 zlen = sizeof(buf);

	gz = zlib_gzip((const unsigned char *)text, n, &gzlen, 9);
	memcpy(buf, gz, gzlen);
	buf[gzlen] = '\n';
	expect("a byte after the member", buf, gzlen + 1, 100,
	    REPORT_GZIP_INVALID, NULL, 0);
	buf[gzlen] = 0;
	expect("a NUL after the member", buf, gzlen + 1, 100,
	    REPORT_GZIP_INVALID, NULL, 0);
	memcpy(buf + gzlen, gz, gzlen);
	expect("two members", buf, 2 * gzlen, 100, REPORT_GZIP_INVALID, NULL,
	    0);
	memcpy(buf, gz, gzlen);
	buf[gzlen - 8] ^= 0x01;
	expect("CRC-32 wrong", buf, gzlen, 100, REPORT_GZIP_INVALID, NULL, 0);
	memcpy(buf, gz, gzlen);
	buf[gzlen - 4] ^= 0x01;
	expect("ISIZE wrong", buf, gzlen, 100, REPORT_GZIP_INVALID, NULL, 0);
	memcpy(buf, gz, gzlen);
	buf[0] = 0x1e;
	expect("magic wrong", buf, gzlen, 100, REPORT_GZIP_INVALID, NULL, 0);
	memcpy(buf, gz, gzlen);
	buf[2] = 7;
	expect("method not deflate", buf, gzlen, 100, REPORT_GZIP_INVALID,
	    NULL, 0);
	expect("plain JSON", (const unsigned char *)text, n, 100,
	    REPORT_GZIP_INVALID, NULL, 0);
	expect("empty input", (const unsigned char *)"", 0, 100,
	    REPORT_GZIP_INVALID, NULL, 0);
	if (compress(buf, &zlen, (const Bytef *)text, n) != Z_OK)
		abort();
	expect("zlib format, not gzip", buf, zlen, 100, REPORT_GZIP_INVALID,
	    NULL, 0);
	free(gz);
}

/* RFC 1952 §2.3: a header with FEXTRA, FNAME and FCOMMENT is still one. */
static void
test_header_fields(void)
{
	static const unsigned char head[] = { 0x1f, 0x8b, 8, 0x04 | 0x08 | 0x10,
	    0, 0, 0, 0, 0, 3, 4, 0, 'a', 'b', 0, 0, 'r', '.', 'j', 's', 'o',
	    'n', 0, 'h', 'i', 0 };
	static const char text[] = "{\"x\": \"with header fields\"}";
	unsigned char		 buf[256], *gz;
	size_t			 gzlen;

	gz = zlib_gzip((const unsigned char *)text, sizeof(text) - 1, &gzlen,
	    9);
	memcpy(buf, head, sizeof(head));
	memcpy(buf + sizeof(head), gz + 10, gzlen - 10);
	expect("FEXTRA, FNAME, FCOMMENT", buf, sizeof(head) + gzlen - 10, 100,
	    REPORT_GZIP_OK, text, sizeof(text) - 1);
	free(gz);
}

/*
 * A 1 GiB bomb (about 1 MiB of gzip) under a 16 MiB limit: too large,
 * and this process never grew by anything near a gigabyte.
 */
static void
test_bomb(void)
{
	static unsigned char	 zeros[1 << 20];
	z_stream		 z;
	unsigned char		*gz, *out;
	size_t			 cap = 2 << 20, outlen, i;
	struct rusage		 before, after;
	enum report_gzip_result	 got;

	memset(&z, 0, sizeof(z));
	if ((gz = malloc(cap)) == NULL || deflateInit2(&z, 9, Z_DEFLATED,
	    15 + 16, 9, Z_RLE) != Z_OK)		/* fast on zeros */
		abort();
	z.next_out = gz;
	z.avail_out = (uInt)cap;
	for (i = 0; i < 1024; i++) {
		z.next_in = zeros;
		z.avail_in = sizeof(zeros);
		if (deflate(&z, i == 1023 ? Z_FINISH : Z_NO_FLUSH) ==
		    Z_STREAM_ERROR)
			abort();
	}
	CHECK(z.total_in == 1UL << 30 && z.avail_out > 0,
	    "bomb: 1 GiB in %lu bytes of gzip", z.total_out);
	deflateEnd(&z);
	getrusage(RUSAGE_SELF, &before);
	got = report_gzip_inflate(gz, cap - z.avail_out, 16 << 20, &out,
	    &outlen);
	getrusage(RUSAGE_SELF, &after);
	CHECK(got == REPORT_GZIP_TOO_LARGE && out == NULL,
	    "bomb: too large (%s)", result_names[got]);
	CHECK(after.ru_maxrss - before.ru_maxrss < 64 * 1024,
	    "bomb: peak RSS grew by %ld KiB, under 64 MiB",
	    after.ru_maxrss - before.ru_maxrss);
	free(gz);
}

int
main(void)
{
	test_limits();
	test_sizes();
	test_truncated();
	test_invalid();
	test_header_fields();
	test_bomb();
	return unit_done();
}
