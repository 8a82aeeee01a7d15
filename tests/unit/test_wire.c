/*
 * The FastCGI record checks that stand between the network and libfcgi:
 * complete / incomplete / invalid / too large, the two records that crash
 * Debian's libfcgi, and the replies we frame ourselves.
 */
#include <stdlib.h>
#include <string.h>

#include "mta-sts-fcgi.h"
#include "unit.h"

static unsigned char	 buf[4 * 65536];
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
	rec(1, 1, id, b, 8, 0);
}

/* "REQUEST_METHOD=GET" and "HTTP_HOST=mta-sts.example.com" as pairs. */
static const unsigned char pairs[] =
    "\x0e\x03" "REQUEST_METHOD" "GET"
    "\x09\x13" "HTTP_HOST" "mta-sts.example.com";
#define PAIRS_LEN (sizeof(pairs) - 1)

static void
request(int id, int keep)
{
	begin(id, 1, keep);
	rec(1, 4, id, pairs, PAIRS_LEN, 3);
	rec(1, 4, id, NULL, 0, 0);
	rec(1, 5, id, NULL, 0, 0);
}

static void
scan(const char *what, enum wire_status want, size_t want_len)
{
	struct wire_scan	 ws;

	wire_scan(buf, blen, &ws);
	CHECK(ws.status == want && (want_len == 0 || ws.len == want_len),
	    "%s: want status %d len %zu, got %d len %zu", what, want,
	    want_len, ws.status, ws.len);
}

static void
test_scan(void)
{
	struct wire_scan	 ws;
	unsigned char		*big;
	size_t			 full, i;

	blen = 0;
	scan("nothing yet", WIRE_INCOMPLETE, 0);
	request(1, 1);
	full = blen;
	wire_scan(buf, blen, &ws);
	CHECK(ws.status == WIRE_REQUEST && ws.len == full && ws.id == 1 &&
	    ws.role == 1 && ws.keep_conn == 1 && ws.trailing == 0 &&
	    ws.params == 2, "a whole request: status %d len %zu/%zu id %u "
	    "role %u keep %d trailing %d params %zu", ws.status, ws.len, full,
	    ws.id, ws.role, ws.keep_conn, ws.trailing, ws.params);
	for (i = 0; i < full; i++) {
		wire_scan(buf, i, &ws);
		if (ws.status != WIRE_INCOMPLETE)
			break;
	}
	CHECK(i == full, "every proper prefix is incomplete (first "
	    "exception at %zu of %zu)", i, full);

	/* Two requests in one write: the first, and a note of the rest. */
	request(2, 1);
	wire_scan(buf, blen, &ws);
	CHECK(ws.status == WIRE_REQUEST && ws.len == full && ws.trailing,
	    "pipelined: the first request, trailing bytes noted");

	blen = 0;
	rec(2, 1, 1, "\0\1\0\0\0\0\0\0", 8, 0);
	scan("version 2", WIRE_INVALID, 0);
	blen = 0;
	rec(1, 4, 1, pairs, PAIRS_LEN, 0);
	scan("PARAMS before BEGIN_REQUEST", WIRE_INVALID, 0);
	blen = 0;
	rec(1, 1, 1, "\0\1\0\0\0\0\0", 7, 0);
	scan("BEGIN_REQUEST of 7 bytes", WIRE_INVALID, 0);
	blen = 0;
	begin(1, 1, 0);
	rec(1, 5, 1, NULL, 0, 0);
	scan("STDIN before the end of PARAMS", WIRE_INVALID, 0);
	blen = 0;
	begin(1, 1, 0);
	rec(1, 9, 0, "\x0e\x00" "FCGI_MAX_CONNS", 16, 0);
	scan("a management record inside a request", WIRE_INVALID, 0);
	blen = 0;
	begin(1, 1, 0);
	rec(1, 2, 1, NULL, 0, 0);
	scan("ABORT_REQUEST", WIRE_INVALID, 0);

	/* The values routing needs, found where they lie. */
	blen = 0;
	request(3, 0);
	wire_scan(buf, blen, &ws);
	{
		struct route_request	 rr;
		unsigned char		 copy[sizeof(buf)];

		memcpy(copy, buf, blen);
		CHECK(ws.split == 0 && ws.value_len[WIRE_METHOD] == 3 &&
		    ws.value_len[WIRE_HOST] == 19 &&
		    ws.value_len[WIRE_URI] == -1 &&
		    memcmp(buf + ws.value_at[WIRE_HOST],
		    "mta-sts.example.com", 19) == 0,
		    "REQUEST_METHOD and HTTP_HOST found, REQUEST_URI absent");
		CHECK(route_from_wire(copy, &ws, &rr) == 0 &&
		    strcmp(rr.method, "GET") == 0 &&
		    strcmp(rr.host, "mta-sts.example.com") == 0 &&
		    rr.request_uri == NULL && strcmp(rr.role, "RESPONDER") == 0,
		    "route_from_wire: NUL-terminated values and the role");
	}
	/* A repeated name: the first one wins, as in libfcgi. */
	blen = 0;
	begin(4, 1, 0);
	rec(1, 4, 4, "\x09\x01HTTP_HOSTa\x09\x01HTTP_HOSTb", 24, 0);
	rec(1, 4, 4, NULL, 0, 0);
	rec(1, 5, 4, NULL, 0, 0);
	wire_scan(buf, blen, &ws);
	CHECK(ws.status == WIRE_REQUEST && ws.value_len[WIRE_HOST] == 1 &&
	    buf[ws.value_at[WIRE_HOST]] == 'a', "a repeated name: the first wins");

	/* A name-value pair split across records, with padding. */
	blen = 0;
	begin(7, 1, 0);
	rec(1, 4, 7, pairs, 5, 7);
	rec(1, 4, 7, pairs + 5, PAIRS_LEN - 5, 1);
	rec(1, 4, 7, NULL, 0, 0);
	rec(1, 5, 7, "x=1", 3, 5);
	rec(1, 5, 7, NULL, 0, 0);
	wire_scan(buf, blen, &ws);
	CHECK(ws.status == WIRE_REQUEST && ws.len == blen && ws.params == 2 &&
	    ws.split == 1, "pairs split across padded records, with a body: "
	    "routing must ask libfcgi's environment");

	/* Another request id interleaved: libfcgi refuses it properly. */
	blen = 0;
	begin(1, 1, 1);
	begin(2, 1, 1);
	rec(1, 4, 1, pairs, PAIRS_LEN, 0);
	rec(1, 4, 2, pairs, PAIRS_LEN, 0);
	rec(1, 4, 1, NULL, 0, 0);
	rec(1, 5, 1, NULL, 0, 0);
	scan("a second request id (multiplexing)", WIRE_REQUEST, blen);

	/* The crash record: lengths 0x40000000 each, then the end. */
	blen = 0;
	begin(1, 1, 0);
	rec(1, 4, 1, "\xc0\x00\x00\x00\xc0\x00\x00\x00" "AB", 10, 0);
	scan("huge declared lengths, PARAMS not ended", WIRE_INCOMPLETE, 0);
	rec(1, 4, 1, NULL, 0, 0);
	rec(1, 5, 1, NULL, 0, 0);
	scan("huge declared lengths: refused, never given to libfcgi",
	    WIRE_INVALID, 0);
	blen = 0;
	begin(1, 1, 0);
	rec(1, 4, 1, "\x0e\x03" "REQUEST_METHOD" "GE", 18, 0);
	rec(1, 4, 1, NULL, 0, 0);
	scan("a pair cut short by the end of PARAMS", WIRE_INVALID, 0);
	blen = 0;
	begin(1, 1, 0);
	rec(1, 4, 1, "\x8e", 1, 0);
	rec(1, 4, 1, NULL, 0, 0);
	scan("a 4-byte length cut short", WIRE_INVALID, 0);

	/* Limits. */
	blen = 0;
	begin(1, 1, 0);
	big = calloc(1, 65535);
	for (i = 0; i < 1100; i++)
		big[2 * i] = 0, big[2 * i + 1] = 0;	/* empty pairs */
	rec(1, 4, 1, big, 2200, 0);
	rec(1, 4, 1, NULL, 0, 0);
	rec(1, 5, 1, NULL, 0, 0);
	scan("1100 name-value pairs", WIRE_TOO_LARGE, 0);
	blen = 0;
	begin(1, 1, 0);
	rec(1, 4, 1, big, 40000, 0);
	rec(1, 4, 1, big, 40000, 0);
	scan("80 KB of PARAMS, not even ended", WIRE_TOO_LARGE, 0);
	blen = 0;
	begin(1, 1, 0);
	rec(1, 4, 1, big, 40000, 0);
	blen -= 39000;		/* the rest has not arrived */
	buf[blen - 1] = 0;
	scan("a big record still arriving", WIRE_INCOMPLETE, 0);
	blen = 0;
	begin(1, 1, 0);
	memset(big, 0, 65535);
	rec(1, 4, 1, big, 0, 0);
	rec(1, 5, 1, big, 40000, 0);
	rec(1, 5, 1, big, 40000, 0);
	scan("an 80 KB body", WIRE_BODY_TOO_LARGE, 0);
	free(big);

	/* Management records are whole, then answered by us. */
	blen = 0;
	rec(1, 9, 0, "\x0e\x00" "FCGI_MAX_CONNS", 16, 0);
	scan("GET_VALUES", WIRE_MANAGEMENT, 24);
	blen -= 3;
	scan("GET_VALUES cut short", WIRE_INCOMPLETE, 0);
}

static void
test_replies(void)
{
	static const unsigned char want_small[] =
	    "\x01\x06\x00\x05\x00\x03\x00\x00" "abc"
	    "\x01\x06\x00\x05\x00\x00\x00\x00"
	    "\x01\x03\x00\x05\x00\x08\x00\x00" "\0\0\0\0\0\0\0\0";
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
	unsigned char	 out[3 * 65536], *big;
	size_t		 n;

	n = wire_response(5, "abc", 3, out, sizeof(out));
	CHECK_BYTES((char *)out, n, (const char *)want_small,
	    sizeof(want_small) - 1, "framed response: STDOUT, end, "
	    "END_REQUEST");
	big = calloc(1, 70000);
	n = wire_response(1, (char *)big, 70000, out, sizeof(out));
	CHECK(n == 70000 + 4 * 8 + 8 && out[4] == 0xff && out[5] == 0xff &&
	    out[8 + 65535 + 4] == (70000 - 65535) >> 8,
	    "a 70000-byte response is split at 65535 (%zu bytes framed)", n);
	CHECK(wire_response(1, (char *)big, 70000, out, 1000) == 0,
	    "no room: nothing written");
	free(big);

	/* Seven names, three known, repeats: each answered once. */
	blen = 0;
	rec(1, 9, 0, values, sizeof(values) - 1, 0);
	n = wire_management(buf, 512, out, sizeof(out));
	CHECK_BYTES((char *)out, n, (const char *)want_values,
	    sizeof(want_values) - 1, "GET_VALUES with 7 names (libfcgi "
	    "smashes its stack on 4)");
	blen = 0;
	rec(1, 9, 0, "\x0e\x05" "FCGI_MAX_CONNS", 16, 0);
	n = wire_management(buf, 1, out, sizeof(out));
	CHECK(n == 8 && out[1] == 10 && out[5] == 0,
	    "GET_VALUES with a pair running past the record: empty result");
	n = wire_end_request(9, WIRE_UNKNOWN_ROLE, out, sizeof(out));
	CHECK_BYTES((char *)out, n, "\x01\x03\x00\x09\x00\x08\x00\x00"
	    "\0\0\0\0\x03\0\0\0", 16, "END_REQUEST with FCGI_UNKNOWN_ROLE");
	blen = 0;
	rec(1, 12, 0, NULL, 0, 0);
	n = wire_management(buf, 1, out, sizeof(out));
	CHECK(n == 16 && out[1] == 11 && out[8] == 12,
	    "an unknown management type gets FCGI_UNKNOWN_TYPE");
}

int
main(void)
{
	test_scan();
	test_replies();
	return unit_done();
}
