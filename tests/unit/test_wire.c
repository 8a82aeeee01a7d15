/* SPDX-License-Identifier: ISC */
/*
 * The FastCGI stream parser that stands between the network and libfcgi:
 * what each byte sequence becomes (events, in order), that framing never
 * changes it (every input also fed one byte at a time and in every chunk
 * size), the canonical request libfcgi reads, and the replies we frame
 * ourselves.  The audit's findings are rows of the table.  Then what the
 * receiver reads from the parser itself: a kept body within its own
 * limit, and the parameters.
 */
#include <stdlib.h>
#include <string.h>

#include "serve/serve.h"
#include "unit.h"

#define V	WIRE_VERSION

static unsigned char	 buf[4 * 65536 + 2 * WIRE_DISCARD_MAX];
static size_t		 blen;

static void
rec(int version, int type, int id, const void *content, size_t clen,
    int padding)
{
	unsigned char	*p = buf + blen;

	p[0] = (unsigned char)version;
	p[1] = (unsigned char)type;
	p[2] = (unsigned char)(id >> 8);
	p[3] = (unsigned char)id;
	p[4] = (unsigned char)(clen >> 8);
	p[5] = (unsigned char)clen;
	p[6] = (unsigned char)padding;
	p[7] = 0;
	if (clen > 0)
		memcpy(p + 8, content, clen);
	memset(p + 8 + clen, 0, (size_t)padding);
	blen += 8 + clen + (size_t)padding;
}

static void
begin(int id, int role, int keep)
{
	unsigned char	 b[8] = { 0 };

	b[0] = (unsigned char)(role >> 8);
	b[1] = (unsigned char)role;
	b[2] = (unsigned char)keep;
	rec(V, WIRE_BEGIN_REQUEST, id, b, 8, 0);
}

/* Empties the stream, then begins request 1 as a responder. */
static void
begin_fresh(int keep)
{
	blen = 0;
	begin(1, WIRE_RESPONDER, keep);
}

/* "REQUEST_METHOD=GET" and "HTTP_HOST=mta-sts.example.com" as pairs. */
static const unsigned char pairs[] =
    "\x0e\x03" "REQUEST_METHOD" "GET"
    "\x09\x13" "HTTP_HOST" "mta-sts.example.com";
#define PAIRS_LEN (sizeof(pairs) - 1)

static void
request(int id, int keep)
{
	begin(id, WIRE_RESPONDER, keep);
	rec(V, WIRE_PARAMS, id, pairs, PAIRS_LEN, 3);
	rec(V, WIRE_PARAMS, id, NULL, 0, 0);
	rec(V, WIRE_STDIN, id, NULL, 0, 0);
}

/* Appends one record to out at *n. */
static void
put(unsigned char *out, size_t *n, int type, int id, const void *content,
    size_t clen)
{
	unsigned char	 h[8] = { V, (unsigned char)type, (unsigned char)(id >> 8),
	    (unsigned char)id, (unsigned char)(clen >> 8), (unsigned char)clen,
	    0, 0 };

	memcpy(out + *n, h, 8);
	if (clen > 0)
		memcpy(out + *n + 8, content, clen);
	*n += 8 + clen;
}

/* The canonical request for our pairs under id: always kept, no padding. */
static size_t
canonical(int id, int role, const unsigned char *p, size_t len,
    unsigned char *out)
{
	unsigned char	 b[8] = { 0, (unsigned char)role, WIRE_KEEP_CONN };
	size_t		 n = 0;

	put(out, &n, WIRE_BEGIN_REQUEST, id, b, 8);
	put(out, &n, WIRE_PARAMS, id, p, len);
	put(out, &n, WIRE_PARAMS, id, NULL, 0);
	put(out, &n, WIRE_STDIN, id, NULL, 0);
	return n;
}

/*
 * Feeds buf in chunks of chunk bytes (0: all at once) and writes the
 * events as letters: R request, M management, F foreign BEGIN, A abort,
 * L a bad head (400), B body too large, X invalid.  The last request's canonical form
 * goes to canon.
 */
static void
run(size_t chunk, char *events, size_t size, struct wire_parser *wp,
    unsigned char *canon, size_t *canon_len)
{
	static const char	 letter[] = "-RMFANLBX";
	enum wire_event		 ev;
	size_t			 at = 0, end, used, ne = 0;

	wire_init(wp);
	*canon_len = 0;
	while (at < blen) {
		end = chunk == 0 || at + chunk > blen ? blen : at + chunk;
		while (at < end) {
			ev = wire_feed(wp, buf + at, end - at, &used);
			at += used;
			if (ev == WIRE_MORE)
				continue;
			if (ne + 1 < size)
				events[ne++] = letter[ev];
			if (ev == WIRE_GOT_REQUEST && canon != NULL)
				*canon_len = wire_canonical(wp, canon,
				    WIRE_CANONICAL_MAX);
			if (ev >= WIRE_BAD_HEAD)
				goto out;
		}
	}
out:
	events[ne] = '\0';
}

/* Checks the events, the same in every framing, and the canonical form. */
static void
expect(const char *what, const char *want, const unsigned char *want_canon,
    size_t want_canon_len)
{
	static unsigned char	 canon[WIRE_CANONICAL_MAX];
	struct wire_parser	 wp;
	char			 got[64], again[64];
	size_t			 canon_len, chunk, bad = 0, n;

	run(0, got, sizeof(got), &wp, canon, &canon_len);
	CHECK(strcmp(got, want) == 0, "%s: events \"%s\", want \"%s\"", what,
	    got, want);
	if (want_canon != NULL)
		CHECK_BYTES((char *)canon, canon_len, (const char *)want_canon,
		    want_canon_len, "%s: the canonical request", what);
	wire_free(&wp);
	/* Byte by byte, then every chunk size up to 300. */
	for (chunk = 1; chunk <= 300 && chunk < blen; chunk++) {
		run(chunk, again, sizeof(again), &wp, canon, &n);
		if (strcmp(again, got) != 0 || (want_canon != NULL &&
		    (n != canon_len || memcmp(canon, want_canon, n) != 0)))
			bad = chunk;
		wire_free(&wp);
	}
	CHECK(bad == 0, "%s: the same in every framing (differs in chunks "
	    "of %zu)", what, bad);
}

static void
test_requests(void)
{
	unsigned char		 want[1024];
	struct wire_parser	 wp;
	size_t			 n, used;

	blen = 0;
	request(1, 1);
	n = canonical(1, WIRE_RESPONDER, pairs, PAIRS_LEN, want);
	expect("a whole request", "R", want, n);

	/* Its fields, and the parser between requests after it. */
	wire_init(&wp);
	CHECK(wire_feed(&wp, buf, blen - 1, &used) == WIRE_MORE &&
	    used == blen - 1 && !wire_between_requests(&wp),
	    "all but its last byte: more wanted, a request under way");
	CHECK(wire_feed(&wp, buf + blen - 1, 1, &used) == WIRE_GOT_REQUEST &&
	    wp.request_id == 1 && wp.role == WIRE_RESPONDER &&
	    wp.keep_conn == 1 && wp.pairs.count == 2 && wp.pairs.head == 0 &&
	    wire_between_requests(&wp), "the last byte: the request, id 1, "
	    "responder, kept, 2 pairs, GET");
	wire_free(&wp);

	/* Pipelined: two requests, each whole, in one write. */
	request(2, 1);
	expect("two requests in one write", "RR", NULL, 0);

	/* A pair split across padded records, and a body. */
	blen = 0;
	begin(7, WIRE_RESPONDER, 0);
	rec(V, WIRE_PARAMS, 7, pairs, 5, 7);
	rec(V, WIRE_PARAMS, 7, pairs + 5, PAIRS_LEN - 5, 1);
	rec(V, WIRE_PARAMS, 7, NULL, 0, 0);
	rec(V, WIRE_STDIN, 7, "x=1", 3, 5);
	rec(V, WIRE_STDIN, 7, NULL, 0, 0);
	n = canonical(7, WIRE_RESPONDER, pairs, PAIRS_LEN, want);

	expect("pairs split across padded records, with a body", "R", want,
	    n);

	/*
	 * A 65,536-byte body in two records: content is what counts.  The
	 * last record ends the body (STDIN's end) or is one byte too many.
	 */
	{
		static unsigned char	 body[32768];
		static const struct {
			const char	*what;
			int		 pad;
			const char	*last;
			size_t		 last_len;
			const char	*want;
		} rows[] = {
			{ "a 65,536-byte body as two padded records", 7, NULL,
			    0, "R" },
			{ "a 65,537-byte body", 0, "x", 1, "B" },
		};
		size_t			 i;

		for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
			begin_fresh(0);
			rec(V, WIRE_PARAMS, 1, pairs, PAIRS_LEN, 0);
			rec(V, WIRE_PARAMS, 1, NULL, 0, 0);
			rec(V, WIRE_STDIN, 1, body, sizeof(body), rows[i].pad);
			rec(V, WIRE_STDIN, 1, body, sizeof(body), rows[i].pad);
			rec(V, WIRE_STDIN, 1, rows[i].last, rows[i].last_len,
			    0);
			expect(rows[i].what, rows[i].want, NULL, 0);
		}
	}
}

static void
test_invalid(void)
{
	blen = 0;
	rec(2, WIRE_BEGIN_REQUEST, 1, "\0\1\0\0\0\0\0\0", 8, 0);
	expect("version 2", "X", NULL, 0);
	blen = 0;
	rec(V, WIRE_PARAMS, 1, pairs, PAIRS_LEN, 0);
	expect("PARAMS before BEGIN_REQUEST", "X", NULL, 0);
	blen = 0;
	rec(V, WIRE_BEGIN_REQUEST, 1, "\0\1\0\0\0\0\0", 7, 0);
	expect("BEGIN_REQUEST of 7 bytes", "X", NULL, 0);
	begin_fresh(0);
	rec(V, WIRE_STDIN, 1, NULL, 0, 0);
	expect("STDIN before the end of PARAMS", "X", NULL, 0);
	begin_fresh(0);
	rec(V, WIRE_GET_VALUES, 0, "\x0e\x00" "FCGI_MAX_CONNS", 16, 0);
	expect("a management record inside a request", "X", NULL, 0);
	begin_fresh(1);
	rec(V, WIRE_PARAMS, 1, pairs, PAIRS_LEN, 0);
	rec(V, WIRE_ABORT_REQUEST, 1, NULL, 0, 0);
	request(3, 0);
	expect("ABORT_REQUEST, then another request", "AR", NULL, 0);
	blen = 0;
	rec(V, WIRE_ABORT_REQUEST, 1, NULL, 0, 0);
	expect("ABORT_REQUEST with no request", "X", NULL, 0);
	begin_fresh(0);
	rec(V, 42, 1, "x", 1, 0);
	expect("an unknown record type of our id", "X", NULL, 0);

}

/*
 * Replaces the stream with one request: len bytes of params as PARAMS
 * (none if len is 0; in two records split at cut if cut is not 0), the
 * end of PARAMS and an empty STDIN.
 */
static void
request_pairs(const char *params, size_t len, size_t cut)
{
	begin_fresh(0);
	if (cut > 0)
		rec(V, WIRE_PARAMS, 1, params, cut, 0);
	if (len > cut)
		rec(V, WIRE_PARAMS, 1, params + cut, len - cut, 0);
	rec(V, WIRE_PARAMS, 1, NULL, 0, 0);
	rec(V, WIRE_STDIN, 1, NULL, 0, 0);
}

/* One PARAMS record, the end of PARAMS and STDIN: what the pairs make. */
static void
test_pairs(void)
{
	static const struct {
		const char	*what;
		const char	*pairs;
		size_t		 len;
		const char	*want;
	} rows[] = {
		/* The record that aborts libfcgi: lengths 0x40000000 each. */
		{ "huge declared lengths", "\xc0\x00\x00\x00\xc0\x00\x00\x00"
		    "AB", 10, "X" },
		{ "a pair cut short by the end of PARAMS",
		    "\x0e\x03" "REQUEST_METHOD" "GE", 18, "X" },
		{ "a 4-byte length cut short", "\x8e", 1, "X" },
		/* A NUL would end the string in libfcgi's environment. */
		{ "a NUL inside a value", "\x09\x05" "HTTP_HOST" "a\0b.c", 16,
		    "L" },
		{ "a NUL inside a name", "\x03\x01" "A\0B" "x", 6, "L" },
		{ "no pairs at all", "", 0, "R" },
		{ "an empty name and value", "\0\0", 2, "R" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		request_pairs(rows[i].pairs, rows[i].len, 0);
		expect(rows[i].what, rows[i].want, NULL, 0);
	}
}

/* The hostile audit's first finding and its relatives: foreign records. */
static void
test_foreign(void)
{
	static const unsigned char cut[] =
	    "\x0e\x0b" "REQUEST_METHOD" "GET";	/* value: 3 + 8 bytes */
	static const unsigned char rest[] =
	    "\xc0\x7f\x7f\x7f\xc0\x7f\x7f\x7f"
	    "\x09\x13" "HTTP_HOST" "mta-sts.example.com";
	unsigned char	 want[1024], joined[256];
	size_t		 n;

	/* The request that killed a worker, and what libfcgi now reads. */
	begin_fresh(0);
	rec(V, WIRE_PARAMS, 9, NULL, 0, 0);
	rec(V, WIRE_PARAMS, 1, cut, sizeof(cut) - 1, 0);
	rec(V, WIRE_PARAMS, 1, rest, sizeof(rest) - 1, 0);
	rec(V, WIRE_PARAMS, 1, NULL, 0, 0);
	rec(V, WIRE_STDIN, 1, NULL, 0, 0);
	memcpy(joined, cut, sizeof(cut) - 1);
	memcpy(joined + sizeof(cut) - 1, rest, sizeof(rest) - 1);
	n = canonical(1, WIRE_RESPONDER, joined, sizeof(cut) + sizeof(rest) - 2, want);

	expect("the audit's request: a foreign empty PARAMS, then a value "
	    "running on into the next record", "R", want, n);

	/* Every other kind of foreign record is skipped, never passed on. */
	n = canonical(1, WIRE_RESPONDER, pairs, PAIRS_LEN, want);

#define FOREIGN(what, type, id, content, clen, pad) do {		\
	begin_fresh(0);							\
	rec(V, WIRE_PARAMS, 1, pairs, 5, 0);				\
	rec(V, type, id, content, clen, pad);				\
	rec(V, WIRE_PARAMS, 1, pairs + 5, PAIRS_LEN - 5, 0);		\
	rec(V, WIRE_PARAMS, 1, NULL, 0, 0);				\
	rec(V, type, id, content, clen, pad);				\
	rec(V, WIRE_STDIN, 1, NULL, 0, 0);				\
	expect(what, "R", want, n);					\
} while (0)
	FOREIGN("a foreign empty STDIN", WIRE_STDIN, 9, NULL, 0, 0);
	FOREIGN("a foreign empty DATA", WIRE_DATA, 9, NULL, 0, 0);
	FOREIGN("a foreign padding-only record", WIRE_PARAMS, 9, NULL, 0, 200);
	FOREIGN("a foreign unknown type", 77, 9, "abc", 3, 5);
	FOREIGN("a foreign ABORT_REQUEST", WIRE_ABORT_REQUEST, 9, NULL, 0, 0);
	FOREIGN("a foreign STDIN with content", WIRE_STDIN, 9, "xyz", 3, 1);
#undef FOREIGN

	/* A second request id: refused, ours answered. */
	begin_fresh(1);
	begin(2, WIRE_RESPONDER, 1);
	rec(V, WIRE_PARAMS, 1, pairs, PAIRS_LEN, 0);
	rec(V, WIRE_PARAMS, 2, pairs, PAIRS_LEN, 0);
	rec(V, WIRE_PARAMS, 1, NULL, 0, 0);
	begin(3, WIRE_RESPONDER, 1);
	rec(V, WIRE_STDIN, 1, NULL, 0, 0);
	n = canonical(1, WIRE_RESPONDER, pairs, PAIRS_LEN, want);
	expect("two other request ids begun inside ours", "FFR", want, n);

	begin_fresh(0);
	rec(V, WIRE_BEGIN_REQUEST, 2, NULL, 0, 0);
	expect("a foreign empty BEGIN_REQUEST", "X", NULL, 0);

	/* Our DATA (a FILTER's second stream) is counted, not passed on. */
	blen = 0;
	begin(1, WIRE_FILTER, 0);
	rec(V, WIRE_PARAMS, 1, pairs, PAIRS_LEN, 0);
	rec(V, WIRE_PARAMS, 1, NULL, 0, 0);
	rec(V, WIRE_DATA, 1, "abc", 3, 0);
	rec(V, WIRE_DATA, 1, NULL, 0, 0);
	rec(V, WIRE_STDIN, 1, NULL, 0, 0);
	expect("DATA records of our id before the end of STDIN", "R", NULL, 0);
}

static void
test_limits(void)
{
	static unsigned char	 big[65535];
	struct wire_parser	 wp;
	char			 ev[8];
	size_t			 i, n;


	/* The limit is on content: 64 KiB in one-byte records is fine. */
	begin_fresh(0);
	big[0] = 0x80, big[1] = 0, big[2] = 0x1f, big[3] = 0xf8;
	big[4] = 0x80, big[5] = 0, big[6] = 0xe0, big[7] = 0x00;
	for (i = 0; i < 8; i++)
		rec(V, WIRE_PARAMS, 1, big + i, 1, 0);
	memset(big, 'x', sizeof(big));
	for (i = 0; i < 65528; i += 512)
		rec(V, WIRE_PARAMS, 1, big, 65528 - i < 512 ? 65528 - i : 512,
		    255);
	rec(V, WIRE_PARAMS, 1, NULL, 0, 0);
	rec(V, WIRE_STDIN, 1, NULL, 0, 0);
	expect("65,536 bytes of PARAMS in small padded records", "R", NULL, 0);
	begin_fresh(0);
	memcpy(big, "\x80\x00\x00\x01\x80\x00\xff\xf8", 8);
	rec(V, WIRE_PARAMS, 1, big, 65535, 0);
	rec(V, WIRE_PARAMS, 1, big + 8, 2, 0);
	rec(V, WIRE_PARAMS, 1, NULL, 0, 0);
	expect("65,537 bytes of PARAMS", "L", NULL, 0);
	memset(big, 0, sizeof(big));

	begin_fresh(0);
	rec(V, WIRE_PARAMS, 1, big, 2 * 1100, 0);	/* empty pairs */
	rec(V, WIRE_PARAMS, 1, NULL, 0, 0);
	rec(V, WIRE_STDIN, 1, NULL, 0, 0);
	expect("1100 name-value pairs", "L", NULL, 0);

	/* Too large, but the method is still learnt: HEAD gets no body. */
	begin_fresh(0);
	rec(V, WIRE_PARAMS, 1, "\x0e\x04" "REQUEST_METHOD" "HEAD", 20, 0);
	rec(V, WIRE_PARAMS, 1, big, 40000, 0);
	rec(V, WIRE_PARAMS, 1, big, 40000, 0);
	rec(V, WIRE_PARAMS, 1, NULL, 0, 0);
	expect("80 KB of PARAMS", "L", NULL, 0);
	run(0, ev, sizeof(ev), &wp, NULL, &n);
	CHECK(wp.pairs.head == 1, "80 KB of PARAMS: the method HEAD is known");
	wire_free(&wp);

	/* No end of PARAMS at all: refused after a bounded walk. */
	begin_fresh(0);
	for (i = 0; i < WIRE_DISCARD_MAX / 65535 + 3; i++)
		rec(V, WIRE_PARAMS, 1, big, sizeof(big), 0);
	expect("PARAMS that never end", "L", NULL, 0);

	begin_fresh(0);
	rec(V, WIRE_PARAMS, 1, NULL, 0, 0);
	rec(V, WIRE_STDIN, 1, big, 40000, 0);
	rec(V, WIRE_STDIN, 1, big, 40000, 0);
	expect("an 80 KB body", "B", NULL, 0);

	/* Foreign records after PARAMS count whole against the body. */
	begin_fresh(0);
	rec(V, WIRE_PARAMS, 1, NULL, 0, 0);
	for (i = 0; i < 300; i++)
		rec(V, WIRE_DATA, 2, NULL, 0, 255);
	expect("300 empty padded foreign records after PARAMS", "B", NULL, 0);
}

static void
test_method(void)
{
	static const struct {
		const char	*what;
		const char	*pairs;
		size_t		 len;
		size_t		 cut;		/* split into two records */
		int		 head;
	} rows[] = {
		{ "GET", "\x0e\x03" "REQUEST_METHOD" "GET", 19, 0, 0 },
		{ "HEAD", "\x0e\x04" "REQUEST_METHOD" "HEAD", 20, 0, 1 },
		{ "HEAD split in the name", "\x0e\x04" "REQUEST_METHOD" "HEAD",
		    20, 7, 1 },
		{ "HEAD split in the value", "\x0e\x04" "REQUEST_METHOD" "HEAD",
		    20, 18, 1 },
		{ "HEADX", "\x0e\x05" "REQUEST_METHOD" "HEADX", 21, 0, 0 },
		{ "head", "\x0e\x04" "REQUEST_METHOD" "head", 20, 0, 0 },
		{ "REQUEST_METHODX=HEAD", "\x0f\x04" "REQUEST_METHODX" "HEAD",
		    21, 0, 0 },
		{ "GET, then HEAD: the first wins",
		    "\x0e\x03" "REQUEST_METHOD" "GET"
		    "\x0e\x04" "REQUEST_METHOD" "HEAD", 39, 0, 0 },
		{ "HEAD, then GET: the first wins",
		    "\x0e\x04" "REQUEST_METHOD" "HEAD"
		    "\x0e\x03" "REQUEST_METHOD" "GET", 39, 0, 1 },
		{ "a 4-byte name length", "\x80\x00\x00\x0e\x04"
		    "REQUEST_METHOD" "HEAD", 23, 2, 1 },
	};
	struct wire_parser	 wp;
	char			 ev[8];
	size_t			 i, n;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		request_pairs(rows[i].pairs, rows[i].len, rows[i].cut);
		run(0, ev, sizeof(ev), &wp, NULL, &n);
		CHECK(strcmp(ev, "R") == 0 && wp.pairs.head == rows[i].head,
		    "method %s: events \"%s\", HEAD %d", rows[i].what, ev,
		    wp.pairs.head);
		wire_free(&wp);
	}
}

/* The reply to a stream of one management record; its length. */
static size_t
management_reply(int type, const void *content, size_t clen,
    unsigned char *out, size_t size)
{
	struct wire_parser	 wp;
	size_t			 n, used;

	blen = 0;
	rec(V, type, 0, content, clen, 0);
	wire_init(&wp);
	wire_feed(&wp, buf, blen, &used);
	n = wire_management(&wp, 1, out, size);
	wire_free(&wp);
	return n;
}

static void
test_management(void)
{
	static const unsigned char values[] =
	    "\x0e\x00" "FCGI_MAX_CONNS" "\x0d\x00" "FCGI_MAX_REQS"
	    "\x0f\x00" "FCGI_MPXS_CONNS" "\x0e\x00" "FCGI_MAX_CONNS"
	    "\x07\x00" "UNKNOWN" "\x0e\x00" "FCGI_MAX_CONNS"
	    "\x0d\x00" "FCGI_MAX_REQS";
	static const unsigned char want_values[] =
	    "\x01\x0a\x00\x00\x00\x37\x00\x00"
	    "\x0e\x03" "FCGI_MAX_CONNS" "512"
	    "\x0d\x03" "FCGI_MAX_REQS" "512"
	    "\x0f\x01" "FCGI_MPXS_CONNS" "0";
	struct wire_parser	 wp;
	unsigned char		 out[256];
	size_t			 n, used;

	blen = 0;
	rec(V, WIRE_GET_VALUES, 0, values, sizeof(values) - 1, 3);
	request(1, 1);
	expect("GET_VALUES, then a request", "MR", NULL, 0);

	/* Seven names, three known, repeats: each answered once. */
	wire_init(&wp);
	CHECK(wire_feed(&wp, buf, blen, &used) == WIRE_GOT_MANAGEMENT &&
	    wire_between_requests(&wp), "GET_VALUES: a management record, "
	    "between requests");
	n = wire_management(&wp, 512, out, sizeof(out));
	CHECK_BYTES((char *)out, n, (const char *)want_values,
	    sizeof(want_values) - 1, "GET_VALUES with 7 names (libfcgi "
	    "smashes its stack on 4)");
	wire_free(&wp);

	n = management_reply(WIRE_GET_VALUES, "\x0e\x05" "FCGI_MAX_CONNS", 16,
	    out, sizeof(out));
	CHECK(n == 8 && out[1] == WIRE_GET_VALUES_RESULT && out[5] == 0,
	    "GET_VALUES with a pair running past the record: empty result");

	n = management_reply(12, NULL, 0, out, sizeof(out));
	CHECK(n == 16 && out[1] == WIRE_UNKNOWN_TYPE && out[8] == 12,
	    "an unknown management type gets FCGI_UNKNOWN_TYPE");
}

static void
test_replies(void)
{
	static const unsigned char want_small[] =
	    "\x01\x06\x00\x05\x00\x03\x00\x00" "abc"
	    "\x01\x06\x00\x05\x00\x00\x00\x00"
	    "\x01\x03\x00\x05\x00\x08\x00\x00" "\0\0\0\0\0\0\0\0";
	unsigned char	 out[3 * 65536], *big;
	size_t		 n;

	n = wire_response(5, "abc", 3, out, sizeof(out));
	CHECK_BYTES((char *)out, n, (const char *)want_small,
	    sizeof(want_small) - 1, "framed response: STDOUT, end, "
	    "END_REQUEST");
	CHECK(wire_response_len(out, n, 5) == (long)n &&
	    wire_response_len(out, n - 1, 5) == 0 &&
	    wire_response_len(out, n, 6) == -1,
	    "wire_response_len: whole, short by a byte, another id");
	out[8 + 3 + 1] = WIRE_PARAMS;
	CHECK(wire_response_len(out, n, 5) == -1,
	    "wire_response_len: a record that is no response's");
	big = calloc(1, 70000);
	n = wire_response(1, (char *)big, 70000, out, sizeof(out));
	CHECK(n == 70000 + 4 * 8 + 8 && out[4] == 0xff && out[5] == 0xff &&
	    out[8 + 65535 + 4] == (70000 - 65535) >> 8,
	    "a 70000-byte response is split at 65535 (%zu bytes framed)", n);
	CHECK(wire_response(1, (char *)big, 70000, out, 1000) == 0,
	    "no room: nothing written");
	free(big);
	n = wire_end_request(9, WIRE_UNKNOWN_ROLE, out, sizeof(out));
	CHECK_BYTES((char *)out, n, "\x01\x03\x00\x09\x00\x08\x00\x00"
	    "\0\0\0\0\x03\0\0\0", 16, "END_REQUEST with FCGI_UNKNOWN_ROLE");
}

/*
 * Feeds the stream in chunks of chunk bytes with a limit of max body
 * bytes, kept if keep; the events as run() writes them, and for each
 * request the body it kept, as "[body]", into got.
 */
static void
run_kept(size_t chunk, size_t max, int keep, char *got, size_t size)
{
	static const char	 letter[] = "-RMFANLBX";
	struct wire_parser	 wp;
	enum wire_event		 ev;
	const unsigned char	*body;
	size_t			 at = 0, end, used, n = 0, len;

	wire_init(&wp);
	wire_limit(&wp, max, keep);
	got[0] = '\0';
	while (at < blen) {
		end = chunk == 0 || at + chunk > blen ? blen : at + chunk;
		while (at < end) {
			ev = wire_feed(&wp, buf + at, end - at, &used);
			at += used;
			if (ev == WIRE_MORE)
				continue;
			/* The room a worker would grant. */
			if (ev == WIRE_NEED_BODY) {
				if (wire_reserve(&wp) == -1)
					goto out;
				continue;
			}
			n += (size_t)snprintf(got + n, size - n, "%c",
			    letter[ev]);
			if (ev == WIRE_GOT_REQUEST) {
				body = wire_body(&wp, &len);
				n += (size_t)snprintf(got + n, size - n,
				    "[%.*s]", (int)len, body != NULL ?
				    (const char *)body : "");
			}
			if (ev >= WIRE_BAD_HEAD || n >= size)
				goto out;
		}
	}
out:
	wire_free(&wp);
}

/* A request whose body is the records given, then STDIN's end. */
static void
body_request(int id, const char *const *parts, size_t nparts, int pad)
{
	size_t	 i;

	begin(id, WIRE_RESPONDER, 1);
	rec(V, WIRE_PARAMS, id, pairs, PAIRS_LEN, 0);
	rec(V, WIRE_PARAMS, id, NULL, 0, 0);
	for (i = 0; i < nparts; i++)
		rec(V, WIRE_STDIN, id, parts[i], strlen(parts[i]), pad);
	rec(V, WIRE_STDIN, id, NULL, 0, 0);
}

/* The receiver's bodies: kept whole within its limit, 413 past it. */
static void
test_body(void)
{
	static const char *const one[] = { "{\"a\":1}" };
	static const char *const three[] = { "abc", "de", "fg" };
	static const char *const ten[] = { "0123456789" };
	static const char *const eleven[] = { "01234", "567890" };
	static const char *const foreign_after[] = { "xy" };
	static const struct {
		const char		*what;
		const char *const	*parts;
		size_t			 nparts;
		int			 pad;
		size_t			 max;
		int			 keep;
		int			 twice;	/* the request pipelined again */
		const char		*want;
	} rows[] = {
		{ "a body kept", one, 1, 0, 10, 1, 0, "R[{\"a\":1}]" },
		{ "a body in padded records, kept joined", three, 3, 5, 10,
		    1, 0, "R[abcdefg]" },
		{ "exactly the limit", ten, 1, 0, 10, 1, 0,
		    "R[0123456789]" },
		{ "one byte over the limit: 413, nothing served", eleven, 2,
		    0, 10, 1, 0, "B" },
		{ "over the limit, not kept: 413 as well", eleven, 2, 0, 10,
		    0, 0, "B" },
		{ "not kept: counted only", ten, 1, 0, 10, 0, 0, "R[]" },
		{ "no body", NULL, 0, 0, 10, 1, 0, "R[]" },
		{ "pipelined: each request has its own body", three, 3, 0,
		    10, 1, 1, "R[abcdefg]R[abcdefg]" },
		{ "limit 0 is WIRE_BODY_MAX", ten, 1, 0, 0, 1, 0,
		    "R[0123456789]" },
		{ "a foreign STDIN is not kept (but counted whole)",
		    foreign_after, 1, 0, 12, 1, 0, "R[xy]" },
		{ "a foreign STDIN counts whole against the limit",
		    foreign_after, 1, 0, 11, 1, 0, "B" },
	};
	char	 got[256], again[256];
	size_t	 i, chunk, bad;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		blen = 0;
		body_request(1, rows[i].parts, rows[i].nparts, rows[i].pad);
		if (rows[i].twice)
			body_request(2, rows[i].parts, rows[i].nparts,
			    rows[i].pad);
		if (rows[i].parts == foreign_after) {
			/* Request 1 again, with request 9's STDIN inside. */
			blen = 0;
			begin(1, WIRE_RESPONDER, 1);
			rec(V, WIRE_PARAMS, 1, NULL, 0, 0);
			rec(V, WIRE_STDIN, 9, "zz", 2, 0);
			rec(V, WIRE_STDIN, 1, "xy", 2, 0);
			rec(V, WIRE_STDIN, 1, NULL, 0, 0);
		}
		run_kept(0, rows[i].max, rows[i].keep, got, sizeof(got));
		CHECK(strcmp(got, rows[i].want) == 0, "%s: \"%s\", want "
		    "\"%s\"", rows[i].what, got, rows[i].want);
		for (bad = 0, chunk = 1; chunk < blen && chunk <= 64;
		    chunk++) {
			run_kept(chunk, rows[i].max, rows[i].keep, again,
			    sizeof(again));
			if (strcmp(again, got) != 0)
				bad = chunk;
		}
		CHECK(bad == 0, "%s: the same in every framing (differs in "
		    "chunks of %zu)", rows[i].what, bad);
	}
}

/*
 * A kept body's room: CONTENT_LENGTH if it is a number within the limit,
 * else the limit; nothing of the body is taken before wire_reserve, and
 * more than was declared is refused.
 */
static void
test_body_room(void)
{
	static const struct {
		const char	*what;
		const char	*length;	/* NULL: not sent */
		const char	*body;
		size_t		 max;
		size_t		 need;		/* 0: no WIRE_NEED_BODY */
		const char	*want;		/* the events after it */
	} rows[] = {
		{ "declared: exactly that room", "5", "hello", 100, 5,
		    "R[hello]" },
		{ "declared, sent less: kept", "9", "hello", 100, 9,
		    "R[hello]" },
		{ "declared, sent more: invalid", "4", "hello", 100, 4, "X" },
		{ "declared 0, no body: no room asked", "0", "", 100, 0,
		    "R[]" },
		{ "declared 0, a body: invalid", "0", "x", 100, 0, "X" },
		{ "not declared: the limit", NULL, "hello", 100, 100,
		    "R[hello]" },
		{ "empty (nginx without a body): the limit", "", "", 100,
		    100, "R[]" },
		{ "not a number: the limit", "5x", "hello", 100, 100,
		    "R[hello]" },
		{ "negative: the limit", "-5", "hello", 100, 100,
		    "R[hello]" },
		{ "over the limit: the limit, then 413", "101", "hello", 4,
		    4, "B" },
		{ "huge: the limit", "99999999999999999999999", "hi", 100,
		    100, "R[hi]" },
		{ "limit 0 is WIRE_BODY_MAX", NULL, "hi", 0, WIRE_BODY_MAX,
		    "R[hi]" },
	};
	unsigned char		 p[128];
	char			 got[64];
	struct wire_parser	 wp;
	enum wire_event		 ev;
	const unsigned char	*body;
	size_t			 i, at, used, n, len, need;
	int			 again;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		blen = n = 0;
		if (rows[i].length != NULL) {
			p[n++] = 14;
			p[n++] = (unsigned char)strlen(rows[i].length);
			memcpy(p + n, "CONTENT_LENGTH", 14);
			n += 14;
			memcpy(p + n, rows[i].length, strlen(rows[i].length));
			n += strlen(rows[i].length);
		} else {
			memcpy(p, "\x01\x01" "A" "1", 4);	/* some pair */
			n = 4;
		}
		begin(1, WIRE_RESPONDER, 1);
		rec(V, WIRE_PARAMS, 1, p, n, 0);
		rec(V, WIRE_PARAMS, 1, NULL, 0, 0);
		if (rows[i].body[0] != '\0')
			rec(V, WIRE_STDIN, 1, rows[i].body,
			    strlen(rows[i].body), 0);
		rec(V, WIRE_STDIN, 1, NULL, 0, 0);
		wire_init(&wp);
		wire_limit(&wp, rows[i].max, 1);
		got[0] = '\0';
		need = 0;
		again = 1;
		for (at = 0, n = 0; at < blen;) {
			ev = wire_feed(&wp, buf + at, blen - at, &used);
			at += used;
			if (ev == WIRE_NEED_BODY) {
				need = wp.body_need;
				/* Asked again, taking nothing, until granted. */
				again = wire_feed(&wp, buf + at, blen - at,
				    &used) == WIRE_NEED_BODY && used == 0;
				if (wire_reserve(&wp) == -1)
					break;
				continue;
			}
			if (ev == WIRE_MORE)
				continue;
			n += (size_t)snprintf(got + n, sizeof(got) - n, "%c",
			    "-RMFANLBX"[ev]);
			if (ev == WIRE_GOT_REQUEST) {
				body = wire_body(&wp, &len);
				n += (size_t)snprintf(got + n, sizeof(got) - n,
				    "[%.*s]", (int)len, body != NULL ?
				    (const char *)body : "");
			}
			if (ev >= WIRE_BAD_HEAD)
				break;
		}
		wire_free(&wp);
		CHECK(strcmp(got, rows[i].want) == 0 && need == rows[i].need &&
		    again, "%s: \"%s\", room %zu%s; want \"%s\", room %zu",
		    rows[i].what, got, need, again ? "" : ", not asked again",
		    rows[i].want, rows[i].need);
	}
}

/* wire_param: the first pair of that name, in the request just parsed. */
static void
test_param(void)
{
	static const struct {
		const char	*what;
		const char	*pairs;
		size_t		 len;
		const char	*name;
		const char	*want;		/* NULL: none */
	} rows[] = {
		{ "a parameter", "\x0c\x10" "CONTENT_TYPE"
		    "application/json", 30, "CONTENT_TYPE",
		    "application/json" },
		{ "the first of two", "\x01\x01" "A" "1" "\x01\x01" "A" "2",
		    8, "A", "1" },
		{ "an empty value", "\x01\x00" "A", 3, "A", "" },
		{ "absent", "\x01\x01" "A" "1", 4, "B", NULL },
		{ "a longer name is not it", "\x02\x01" "AB" "1", 5, "A",
		    NULL },
		{ "a shorter name is not it", "\x01\x01" "A" "1", 4, "AB",
		    NULL },
		{ "4-byte lengths", "\x80\x00\x00\x01\x80\x00\x00\x02"
		    "A" "xy", 11, "A", "xy" },
		{ "no pairs", "", 0, "A", NULL },
		{ "after an empty pair", "\0\0" "\x01\x01" "A" "1", 6, "A",
		    "1" },
	};
	struct wire_parser	 wp;
	const char		*v;
	char			 ev[8];
	size_t			 i, n, len;
	int			 ok;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		request_pairs(rows[i].pairs, rows[i].len, rows[i].len / 2);
		run(0, ev, sizeof(ev), &wp, NULL, &n);
		v = wire_param(&wp, rows[i].name, &len);
		ok = strcmp(ev, "R") == 0 && (rows[i].want == NULL ?
		    v == NULL && len == 0 : v != NULL &&
		    len == strlen(rows[i].want) &&
		    memcmp(v, rows[i].want, len) == 0);
		CHECK(ok, "wire_param %s: %s=\"%.*s\" (%s)", rows[i].what,
		    rows[i].name, v != NULL ? (int)len : 6,
		    v != NULL ? v : "(none)", ev);
		wire_free(&wp);
	}
	wire_init(&wp);
	CHECK(wire_param(&wp, "A", &len) == NULL && len == 0,
	    "wire_param of a fresh parser: none");
}

/*
 * Why a head was refused (WIRE_BAD_HEAD), for the program's 400: too
 * large, too many pairs, or a NUL (audit 19: a NUL in CONTENT_TYPE was
 * answered "request parameters too large").
 */
static void
test_bad_head(void)
{
	static unsigned char	 p[70000];
	static const struct {
		const char	*what;
		int		 kind;	/* 0 NUL, 1 many, 2 large, 3 good */
		enum wire_bad	 want;
	} rows[] = {
		{ "a NUL in CONTENT_TYPE", 0, WIRE_BAD_NUL },
		{ "1,025 pairs", 1, WIRE_BAD_TOO_MANY },
		{ "65,600 bytes of PARAMS", 2, WIRE_BAD_TOO_LARGE },
		{ "a good request", 3, WIRE_BAD_NONE },
	};
	static const char	 nul[] = "\x0c\x19" "CONTENT_TYPE"
	    "application/tlsrpt+json\0x";
	struct wire_parser	 wp;
	char			 ev[8];
	size_t			 i, len = 0, n;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		switch (rows[i].kind) {
		case 0:
			len = sizeof(nul) - 1;
			memcpy(p, nul, len);
			break;
		case 1:
			len = 2 * (WIRE_PARAMS_MAX + 1);
			memset(p, 0, len);
			break;
		case 2:
			/* One pair: a 1-byte name, a 65,594-byte value. */
			memcpy(p, "\x01\x80\x01\x00\x3a" "A", 6);
			memset(p + 6, 'v', 65594);
			len = 65600;
			break;
		default:
			len = PAIRS_LEN;
			memcpy(p, pairs, len);
			break;
		}
		request_pairs((const char *)p, len, len > 65535 ? 65535 : 0);
		run(0, ev, sizeof(ev), &wp, NULL, &n);
		CHECK(strcmp(ev, rows[i].want == WIRE_BAD_NONE ? "R" : "L") ==
		    0 && wp.bad == rows[i].want, "%s: events \"%s\", why %d, "
		    "want %d", rows[i].what, ev, (int)wp.bad,
		    (int)rows[i].want);
		wire_free(&wp);
	}
	/* Past the stream's discard limit, in other ids' records: too large. */
	begin_fresh(0);
	memset(p, 0, 65535);
	for (n = 0; n <= (WIRE_HEAD_MAX + WIRE_DISCARD_MAX) / 65535; n++)
		rec(V, WIRE_PARAMS, 9, p, 65535, 0);
	run(0, ev, sizeof(ev), &wp, NULL, &len);
	CHECK(strcmp(ev, "L") == 0 && wp.bad == WIRE_BAD_TOO_LARGE,
	    "foreign records past the discard limit: events \"%s\", why %d",
	    ev, (int)wp.bad);
	wire_free(&wp);
}

int
main(void)
{
	test_requests();
	test_invalid();
	test_pairs();
	test_foreign();
	test_limits();
	test_method();
	test_management();
	test_replies();
	test_body();
	test_body_room();
	test_param();
	test_bad_head();
	return unit_done();
}
