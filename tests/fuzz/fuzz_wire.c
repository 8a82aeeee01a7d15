/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer: bytes as what a peer sent → the stream parser, fed whole and
 * again in chunks whose sizes the input's first byte chooses.  Oracles:
 * framing never changes the events or the canonical requests; every
 * canonical request parses again as exactly itself (one request, the
 * same pairs, kept); what the parser keeps stays within the limits; the
 * replies we frame are what wire_response_len reads back.
 */
#include <stdlib.h>
#include <string.h>

#include "fcgi/fcgi.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define EVENTS_MAX	64

struct trace {
	enum wire_event	 ev[EVENTS_MAX];
	size_t		 nev;
	unsigned long	 sum;		/* of canonical requests and replies */
};

static unsigned long
mix(unsigned long h, const unsigned char *p, size_t n)
{
	while (n-- > 0)
		h = h * 1099511628211UL ^ *p++;
	return h;
}

/* A canonical request must parse as itself. */
static void
reparse(const struct wire_parser *wp, const unsigned char *canon, size_t n)
{
	struct wire_parser	 again;
	size_t			 used;

	wire_init(&again);
	if (wire_feed(&again, canon, n, &used) != WIRE_GOT_REQUEST ||
	    used != n || again.request_id != wp->request_id ||
	    again.role != wp->role || !again.keep_conn ||
	    again.len != wp->len || memcmp(again.buf, wp->buf, wp->len) != 0 ||
	    again.pairs.count != wp->pairs.count ||
	    again.pairs.head != wp->pairs.head)
		abort();
	wire_free(&again);
}

static void
on_event(struct wire_parser *wp, enum wire_event ev, struct trace *t)
{
	static unsigned char	 out[WIRE_CANONICAL_MAX];
	size_t			 n;

	if (t->nev < EVENTS_MAX)
		t->ev[t->nev++] = ev;
	switch (ev) {
	case WIRE_GOT_REQUEST:
		if (wp->len > WIRE_HEAD_MAX ||
		    wp->pairs.count > WIRE_PARAMS_MAX || wp->request_id == 0)
			abort();
		if ((n = wire_canonical(wp, out, sizeof(out))) == 0)
			abort();
		reparse(wp, out, n);
		t->sum = mix(t->sum, out, n);
		break;
	case WIRE_GOT_MANAGEMENT:
		n = wire_management(wp, 1000, out, sizeof(out));
		if (n < 8 || n > WIRE_MANAGEMENT_MAX)
			abort();
		t->sum = mix(t->sum, out, n);
		break;
	case WIRE_GOT_FOREIGN_BEGIN:
		if (wp->foreign_id == wp->request_id || wp->foreign_id == 0)
			abort();
		t->sum = mix(t->sum ^ wp->foreign_id, NULL, 0);
		break;
	default:
		break;
	}
}

/* Feeds data in chunks of chunk bytes (0: whole) until done or an error. */
static void
feed(const uint8_t *data, size_t size, size_t chunk, struct trace *t)
{
	struct wire_parser	 wp;
	enum wire_event		 ev;
	size_t			 at = 0, end, used;

	memset(t, 0, sizeof(*t));
	wire_init(&wp);
	while (at < size) {
		end = chunk == 0 || size - at < chunk ? size : at + chunk;
		while (at < end) {
			ev = wire_feed(&wp, data + at, end - at, &used);
			if (used > end - at)
				abort();
			at += used;
			if (ev == WIRE_MORE)
				continue;
			on_event(&wp, ev, t);
			if (ev >= WIRE_BAD_HEAD)
				goto out;
		}
	}
out:
	wire_free(&wp);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char	 out[3 * 65536];
	struct trace		 whole, chunked;
	size_t			 n;

	if (size == 0)
		return 0;
	feed(data + 1, size - 1, 0, &whole);
	feed(data + 1, size - 1, (size_t)data[0] % 17 + 1, &chunked);
	if (whole.nev != chunked.nev || whole.sum != chunked.sum ||
	    memcmp(whole.ev, chunked.ev, whole.nev * sizeof(whole.ev[0])) != 0)
		abort();
	/* One header per STDOUT record, the empty one, END_REQUEST. */
	if (size > 2 * 65535)
		return 0;
	n = wire_response(7, (const char *)data, size, out, sizeof(out));
	if (n != size + (size + 65534) / 65535 * 8 + 8 + 16 ||
	    wire_response_len(out, n, 7) != (long)n)
		abort();
	return 0;
}
