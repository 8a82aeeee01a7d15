/* SPDX-License-Identifier: ISC */
/*
 * FastCGI records as bytes: the stream a peer sends, parsed as it comes,
 * and the only request libfcgi ever reads.
 *
 * A worker reads the peer's socket itself and feeds every byte to
 * wire_feed, which consumes it: record headers, our request's PARAMS
 * (kept, and their name-value pairs walked across records), the body and
 * any other request id's records (counted, never kept).  Only a whole,
 * well-formed request within our limits becomes WIRE_GOT_REQUEST, and
 * libfcgi then parses wire_canonical's rendering of it: one request id,
 * BEGIN_REQUEST, our checked pairs re-framed as PARAMS, an empty STDIN.
 * So no byte a peer chose reaches libfcgi's record reader, whose
 * resynchronisation after foreign records and whose Malloc assertion
 * on huge pair lengths are what a hostile peer aims at.
 *
 * A program that wants the body (mta-sts-report) has it kept too, up to
 * its own limit (wire_limit), and reads the request from here
 * (wire_param, wire_body) instead of through libfcgi.  Such a body is
 * kept in room the worker grants first (WIRE_NEED_BODY, wire_reserve):
 * the CONTENT_LENGTH the head declares (RFC 3875 §4.1.2; nginx always
 * sends it), else the limit, allocated once, so that the worker can
 * bound what all its connections keep (worker.c) and a body never grows
 * past its grant.
 *
 * Management records are answered here (libfcgi smashes its stack on a
 * GET_VALUES naming four variables).  No I/O; the only allocations are
 * the parser's buffers for our PARAMS and a kept body.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/serve.h"

#define HEADER_LEN	WIRE_HEADER_LEN
#define RECORD_MAX	65535		/* content bytes in one record */
#define BUF_KEEP	8192	/* kept between requests; more is freed */

enum phase {
	PHASE_BEGIN,		/* between requests */
	PHASE_PARAMS,		/* BEGIN_REQUEST read, PARAMS not ended */
	PHASE_STDIN,		/* PARAMS ended, STDIN not ended */
	PHASE_DEAD,		/* an error was returned: nothing more */
};

/* What the record being read is, decided from its header. */
enum role_of {
	REC_BEGIN,		/* our BEGIN_REQUEST: 8 bytes to keep */
	REC_ABORT,		/* our ABORT_REQUEST: ends the request */
	REC_FOREIGN_BEGIN,	/* another id's: 8 bytes, then refused */
	REC_MANAGEMENT,		/* id 0 between requests: kept whole */
	REC_PARAMS,		/* ours: kept and walked */
	REC_PARAMS_END,		/* ours, empty */
	REC_STDIN,		/* ours: counted */
	REC_STDIN_END,		/* ours, empty: the request is whole */
	REC_SKIP,		/* another id's, or our DATA: skipped */
};

static unsigned
get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* A 1- or 4-byte pair length at *p, all 4 bytes readable; advances. */
static unsigned long
pair_length(const unsigned char **p)
{
	const unsigned char	*q = *p;

	if ((*q & 0x80) == 0) {
		*p = q + 1;
		return *q;
	}
	*p = q + 4;
	return (unsigned long)(q[0] & 0x7f) << 24 | (unsigned long)q[1] << 16 |
	    (unsigned long)q[2] << 8 | q[3];
}

/*
 * Reads the lengths of the whole pair at *p, before end, and moves *p to
 * its name; 0, or -1 if they are cut short or name bytes past end.
 */
static int
pair_next(const unsigned char **p, const unsigned char *end,
    unsigned long *nlen, unsigned long *vlen)
{
	const unsigned char	*q = *p;
	size_t			 n;

	if (end - q < 2 || ((*q & 0x80) && end - q < 5))
		return -1;
	n = (*q & 0x80) ? 4 : 1;
	if ((q[n] & 0x80) && (size_t)(end - q) < n + 4)
		return -1;
	*nlen = pair_length(&q);
	*vlen = pair_length(&q);
	if (*nlen > (unsigned long)(end - q) ||
	    *vlen > (unsigned long)(end - q) - *nlen)
		return -1;
	*p = q;
	return 0;
}

/*
 * The name-value pair stream (FastCGI 1.0 §3.4), fed as it arrives: it
 * may be cut anywhere by record boundaries.  Counts pairs and notes
 * whether REQUEST_METHOD (its first occurrence, as in libfcgi's
 * environment) is HEAD, so that a refusal to a HEAD request has no body
 * even when the request is too large to keep.
 */
static void
pair_end(struct wire_pairs *pp)
{
	if (pp->name_match) {
		pp->method_seen = 1;
		pp->head = pp->value_match;
	}
}

static void
pair_start(struct wire_pairs *pp)
{
	pp->count++;
	/* Both ≤ 2^31 - 1: the sum cannot wrap. */
	pp->left = pp->lens[0] + pp->lens[1];
	pp->at = 0;
	pp->name_match = pp->lens[0] == 14 && !pp->method_seen;
	pp->value_match = pp->lens[1] == 4;
	if (pp->left == 0)
		pair_end(pp);
}

/* Compares the bytes of a pair that may be the method's. */
static void
pair_match(struct wire_pairs *pp, const unsigned char *p, size_t n)
{
	static const char	 method[] = "REQUEST_METHOD", head[] = "HEAD";
	size_t			 i;

	for (i = 0; i < n && pp->name_match; i++, pp->at++) {
		if (pp->at < 14)
			pp->name_match = method[pp->at] == p[i];
		else if (pp->value_match)
			pp->value_match = head[pp->at - 14] == p[i];
	}
}

static void
pairs_feed(struct wire_pairs *pp, const unsigned char *p, size_t n)
{
	size_t	 k;

	while (n > 0) {
		if (pp->left > 0) {
			k = pp->left < n ? (size_t)pp->left : n;
			if (pp->name_match)
				pair_match(pp, p, k);
			/* libfcgi's environment would end the string there. */
			if (memchr(p, '\0', k) != NULL)
				pp->nul = 1;
			pp->left -= k;
			p += k;
			n -= k;
			if (pp->left == 0)
				pair_end(pp);
			continue;
		}
		/* A length: 1 byte, or 4 with the top bit set. */
		pp->len[pp->got++] = *p++;
		n--;
		if ((pp->len[0] & 0x80) != 0 && pp->got < 4)
			continue;
		pp->lens[pp->which] = pp->got == 1 ? pp->len[0] :
		    (unsigned long)(pp->len[0] & 0x7f) << 24 |
		    (unsigned long)pp->len[1] << 16 |
		    (unsigned long)pp->len[2] << 8 | pp->len[3];
		pp->got = 0;
		if (pp->which == 0) {
			pp->which = 1;
			continue;
		}
		pp->which = 0;
		pair_start(pp);
	}
}

/* A pair stream ends well only between pairs. */
static int
pairs_done(const struct wire_pairs *pp)
{
	return pp->left == 0 && pp->got == 0 && pp->which == 0;
}

void
wire_init(struct wire_parser *wp)
{
	memset(wp, 0, sizeof(*wp));
}

void
wire_free(struct wire_parser *wp)
{
	free(wp->buf);
	free(wp->kept);
	wire_init(wp);
}

void
wire_limit(struct wire_parser *wp, size_t max, int keep_body)
{
	wp->body_max = max;
	wp->keep_body = keep_body;
}

/* Forgets the last request, keeping a small buffer for the next. */
static void
next_request(struct wire_parser *wp)
{
	if (wp->cap > BUF_KEEP) {
		free(wp->buf);
		wp->buf = NULL;
		wp->cap = 0;
	}
	wire_release(wp);
	wp->len = 0;
	wp->phase = PHASE_BEGIN;
	wp->head = wp->stream = wp->body = 0;
	wp->over = 0;
	memset(&wp->pairs, 0, sizeof(wp->pairs));
}

/* Appends to the kept bytes; -1 if out of memory. */
static int
keep(struct wire_parser *wp, const unsigned char *p, size_t n)
{
	return buf_append(&wp->buf, &wp->len, &wp->cap, 1024, p, n);
}

static enum wire_event
fail(struct wire_parser *wp, enum wire_event ev)
{
	wp->phase = PHASE_DEAD;
	return ev;
}

/* A head refused (400), and why, for the program's answer. */
static enum wire_event
bad_head(struct wire_parser *wp, enum wire_bad why)
{
	wp->bad = why;
	return fail(wp, WIRE_BAD_HEAD);
}

/* Decides what the record whose header is complete is. */
static enum wire_event
record_begin(struct wire_parser *wp)
{
	const unsigned char	*h = wp->header;
	unsigned		 type = h[1], id = get16(h + 2);
	size_t			 content = get16(h + 4);

	wp->content_left = content;
	wp->padding_left = h[6];
	wp->id = id;
	if (h[0] != WIRE_VERSION)
		return fail(wp, WIRE_INVALID);
	if (wp->phase == PHASE_BEGIN) {
		if (id == 0) {
			wp->rec = REC_MANAGEMENT;
			wp->mtype = type;
			wp->len = 0;
			return WIRE_MORE;
		}
		if (type != WIRE_BEGIN_REQUEST || content != 8)
			return fail(wp, WIRE_INVALID);
		wp->rec = REC_BEGIN;
		wp->request_id = id;
		wp->len = 0;
		wp->stream = HEADER_LEN + content + h[6];
		return WIRE_MORE;
	}
	/* A management record inside a request: not a request we serve. */
	if (id == 0)
		return fail(wp, WIRE_INVALID);
	if (wp->phase == PHASE_PARAMS)
		wp->stream += HEADER_LEN + content + h[6];
	if (id != wp->request_id) {
		/* Multiplexing is refused; a broken BEGIN_REQUEST is not ok. */
		if (type == WIRE_BEGIN_REQUEST && content != 8)
			return fail(wp, WIRE_INVALID);
		wp->rec = type == WIRE_BEGIN_REQUEST ? REC_FOREIGN_BEGIN :
		    REC_SKIP;
	} else if (type == WIRE_ABORT_REQUEST)
		wp->rec = REC_ABORT;
	else if (wp->phase == PHASE_PARAMS && type == WIRE_PARAMS) {
		wp->rec = content > 0 ? REC_PARAMS : REC_PARAMS_END;
		wp->head += content;
	}
	else if (wp->phase == PHASE_STDIN && type == WIRE_STDIN)
		wp->rec = content > 0 ? REC_STDIN : REC_STDIN_END;
	else if (wp->phase == PHASE_STDIN && type == WIRE_DATA)
		wp->rec = REC_SKIP;	/* a FILTER's second stream */
	else
		return fail(wp, WIRE_INVALID);
	/*
	 * After PARAMS, the body limit counts the content of our STDIN (the
	 * body README promises) and every other record whole.
	 */
	if (wp->phase == PHASE_STDIN) {
		if (wp->rec == REC_STDIN || wp->rec == REC_STDIN_END)
			wp->body += content;
		else
			wp->body += HEADER_LEN + content + h[6];
		if (wp->body > (wp->body_max > 0 ? wp->body_max :
		    WIRE_BODY_MAX))
			return fail(wp, WIRE_BODY_TOO_LARGE);
	}
	/*
	 * The limit is on our parameters' bytes, however they are framed.
	 * Over it, PARAMS are still walked, to learn whether the method is
	 * HEAD, but no longer kept; past this much of a stream, framing and
	 * other ids' records included, not even that.
	 */
	if (wp->head > WIRE_HEAD_MAX)
		wp->over = 1;
	if (wp->stream > WIRE_HEAD_MAX + WIRE_DISCARD_MAX)
		return bad_head(wp, WIRE_BAD_TOO_LARGE);
	return WIRE_MORE;
}

/* Takes n content bytes of the current record. */
static enum wire_event
record_content(struct wire_parser *wp, const unsigned char *p, size_t n)
{
	switch (wp->rec) {
	case REC_BEGIN:
	case REC_MANAGEMENT:
		if (keep(wp, p, n) == -1)
			return fail(wp, WIRE_INVALID);
		break;
	case REC_PARAMS:
		pairs_feed(&wp->pairs, p, n);
		if (!wp->over && keep(wp, p, n) == -1)
			return fail(wp, WIRE_INVALID);
		break;
	case REC_STDIN:
		/*
		 * Within the limit (record_begin counted it), so within a
		 * room of the limit; past a smaller CONTENT_LENGTH, the peer
		 * said one thing and sent another.
		 */
		if (!wp->keep_body)
			break;
		if (n > wp->kept_cap - wp->kept_len)
			return fail(wp, WIRE_INVALID);
		memcpy(wp->kept + wp->kept_len, p, n);
		wp->kept_len += n;
		break;
	default:
		break;		/* skipped records: counted only */
	}
	return WIRE_MORE;
}

/*
 * The room a kept body needs: the CONTENT_LENGTH the head declares
 * (RFC 3875 §4.1.2: the body's size), at most the limit; the limit if
 * it declares none or no number (a body past the limit is 413 anyway).
 */
static size_t
body_need(const struct wire_parser *wp)
{
	size_t		 max = wp->body_max > 0 ? wp->body_max : WIRE_BODY_MAX;
	const char	*v;
	char		 s[24];
	size_t		 len;
	long long	 n;

	if ((v = wire_param(wp, "CONTENT_LENGTH", &len)) == NULL ||
	    len == 0 || len >= sizeof(s))
		return max;
	memcpy(s, v, len);
	s[len] = '\0';
	if (num_parse(s, 10, 0, LLONG_MAX, &n) == -1 ||
	    (unsigned long long)n > max)
		return max;
	return (size_t)n;
}

/* The current record is complete, padding and all. */
static enum wire_event
record_end(struct wire_parser *wp)
{
	switch (wp->rec) {
	case REC_BEGIN:
		wp->role = get16(wp->buf);
		wp->keep_conn = (wp->buf[2] & WIRE_KEEP_CONN) != 0;
		wp->len = 0;
		wp->phase = PHASE_PARAMS;
		return WIRE_MORE;
	case REC_MANAGEMENT:
		return WIRE_GOT_MANAGEMENT;
	case REC_FOREIGN_BEGIN:
		wp->foreign_id = wp->id;
		return WIRE_GOT_FOREIGN_BEGIN;
	case REC_ABORT:
		/* FastCGI 1.0 §5.4: answered with END_REQUEST. */
		wp->phase = PHASE_BEGIN;
		return WIRE_GOT_ABORT;
	case REC_PARAMS_END:
		if (!pairs_done(&wp->pairs))
			return fail(wp, WIRE_INVALID);
		if (wp->over)
			return bad_head(wp, WIRE_BAD_TOO_LARGE);
		if (wp->pairs.count > WIRE_PARAMS_MAX)
			return bad_head(wp, WIRE_BAD_TOO_MANY);
		if (wp->pairs.nul)
			return bad_head(wp, WIRE_BAD_NUL);
		wp->phase = PHASE_STDIN;
		if (!wp->keep_body || (wp->body_need = body_need(wp)) == 0)
			return WIRE_MORE;
		return WIRE_NEED_BODY;
	case REC_STDIN_END:
		wp->phase = PHASE_BEGIN;
		return WIRE_GOT_REQUEST;
	default:
		return WIRE_MORE;
	}
}

enum wire_event
wire_feed(struct wire_parser *wp, const unsigned char *p, size_t n,
    size_t *used)
{
	enum wire_event	 ev = WIRE_MORE;
	size_t		 k, start = n;

	if (wp->phase == PHASE_DEAD) {
		*used = 0;
		return WIRE_INVALID;
	}
	/* The last event's request or record is done with now. */
	if (wp->done) {
		wp->done = 0;
		if (wp->phase == PHASE_BEGIN)
			next_request(wp);
	}
	/* No body byte before its room. */
	if (wp->phase == PHASE_STDIN && wp->keep_body && wp->body_need > 0 &&
	    !wp->reserved) {
		*used = 0;
		return WIRE_NEED_BODY;
	}
	while (n > 0 && ev == WIRE_MORE) {
		if (wp->header_got < HEADER_LEN) {
			k = HEADER_LEN - wp->header_got;
			k = k < n ? k : n;
			memcpy(wp->header + wp->header_got, p, k);
			wp->header_got += k;
			p += k;
			n -= k;
			if (wp->header_got < HEADER_LEN)
				break;
			if ((ev = record_begin(wp)) != WIRE_MORE)
				break;
		} else if (wp->content_left > 0) {
			k = wp->content_left < n ? wp->content_left : n;
			ev = record_content(wp, p, k);
			wp->content_left -= k;
			p += k;
			n -= k;
			if (ev != WIRE_MORE)
				break;
		} else {
			k = wp->padding_left < n ? wp->padding_left : n;
			wp->padding_left -= k;
			p += k;
			n -= k;
		}
		if (wp->header_got == HEADER_LEN && wp->content_left == 0 &&
		    wp->padding_left == 0) {
			wp->header_got = 0;
			ev = record_end(wp);
		}
	}
	*used = start - n;
	if (ev == WIRE_GOT_REQUEST || ev == WIRE_GOT_MANAGEMENT ||
	    ev == WIRE_GOT_FOREIGN_BEGIN || ev == WIRE_GOT_ABORT)
		wp->done = 1;
	return ev;
}

const char *
wire_param(const struct wire_parser *wp, const char *name, size_t *len)
{
	const unsigned char	*p = wp->buf, *end;
	unsigned long		 nlen, vlen;
	size_t			 want = strlen(name);

	*len = 0;
	if (p == NULL)
		return NULL;
	for (end = p + wp->len; pair_next(&p, end, &nlen, &vlen) == 0;
	    p += nlen + vlen)
		if (nlen == want && memcmp(p, name, want) == 0) {
			*len = vlen;
			return (const char *)p + nlen;
		}
	return NULL;
}

int
wire_reserve(struct wire_parser *wp)
{
	if (wp->reserved || wp->body_need == 0)
		return 0;
	if ((wp->kept = malloc(wp->body_need)) == NULL)
		return -1;
	wp->kept_cap = wp->body_need;
	wp->kept_len = 0;
	wp->reserved = 1;
	return 0;
}

void
wire_release(struct wire_parser *wp)
{
	free(wp->kept);
	wp->kept = NULL;
	wp->kept_len = wp->kept_cap = 0;
	wp->body_need = 0;
	wp->reserved = 0;
}

const unsigned char *
wire_body(const struct wire_parser *wp, size_t *len)
{
	*len = wp->kept_len;
	return wp->kept_len > 0 ? wp->kept : NULL;
}

int
wire_between_requests(const struct wire_parser *wp)
{
	return wp->phase == PHASE_BEGIN && wp->header_got == 0;
}

static unsigned char *
put_header(unsigned char *p, unsigned type, unsigned id, size_t content)
{
	p[0] = WIRE_VERSION;
	p[1] = (unsigned char)type;
	p[2] = (unsigned char)(id >> 8);
	p[3] = (unsigned char)id;
	p[4] = (unsigned char)(content >> 8);
	p[5] = (unsigned char)content;
	p[6] = 0;
	p[7] = 0;
	return p + HEADER_LEN;
}

size_t
wire_canonical(const struct wire_parser *wp, unsigned char *out, size_t size)
{
	unsigned char	*p = out;
	size_t		 n, left = wp->len;
	const unsigned char *from = wp->buf;

	if (size < WIRE_CANONICAL_MAX || wp->len > WIRE_HEAD_MAX)
		return 0;
	p = put_header(p, WIRE_BEGIN_REQUEST, wp->request_id, 8);
	memset(p, 0, 8);
	p[0] = (unsigned char)(wp->role >> 8);
	p[1] = (unsigned char)wp->role;
	/* Always kept: libfcgi must never close its end of our channel. */
	p[2] = WIRE_KEEP_CONN;
	p += 8;
	while (left > 0) {
		n = left > RECORD_MAX ? RECORD_MAX : left;
		p = put_header(p, WIRE_PARAMS, wp->request_id, n);
		memcpy(p, from, n);
		p += n;
		from += n;
		left -= n;
	}
	p = put_header(p, WIRE_PARAMS, wp->request_id, 0);
	p = put_header(p, WIRE_STDIN, wp->request_id, 0);
	return (size_t)(p - out);
}

size_t
wire_response(unsigned id, const char *bytes, size_t len, unsigned char *out,
    size_t size)
{
	unsigned char	*p = out;
	size_t		 n, need;

	/* STDOUT records of at most 65535 bytes, an empty one, END_REQUEST. */
	need = len + (len / RECORD_MAX + 1) * HEADER_LEN + HEADER_LEN +
	    HEADER_LEN + 8;
	if (need > size)
		return 0;
	while (len > 0) {
		n = len > RECORD_MAX ? RECORD_MAX : len;
		p = put_header(p, WIRE_STDOUT, id, n);
		memcpy(p, bytes, n);
		p += n;
		bytes += n;
		len -= n;
	}
	p = put_header(p, WIRE_STDOUT, id, 0);
	p = put_header(p, WIRE_END_REQUEST, id, 8);
	memset(p, 0, 8);		/* appStatus 0 */
	p[4] = WIRE_REQUEST_COMPLETE;
	return (size_t)(p + 8 - out);
}

size_t
wire_end_request(unsigned id, int protocol_status, unsigned char *out,
    size_t size)
{
	unsigned char	*p;

	if (size < 2 * HEADER_LEN)
		return 0;
	p = put_header(out, WIRE_END_REQUEST, id, 8);
	memset(p, 0, 8);
	p[4] = (unsigned char)protocol_status;
	return 2 * HEADER_LEN;
}

long
wire_response_len(const unsigned char *p, size_t len, unsigned id)
{
	size_t	 at = 0, total;

	while (len - at >= HEADER_LEN) {
		if (p[at] != WIRE_VERSION || get16(p + at + 2) != id ||
		    (p[at + 1] != WIRE_STDOUT && p[at + 1] != WIRE_STDERR &&
		    p[at + 1] != WIRE_END_REQUEST))
			return -1;
		total = HEADER_LEN + get16(p + at + 4) + p[at + 6];
		if (len - at < total)
			return 0;
		at += total;
		if (p[at - total + 1] == WIRE_END_REQUEST)
			return (long)at;
	}
	return 0;
}

/*
 * FCGI_GET_VALUES (FastCGI 1.0 §4.1): the value of each variable we know,
 * once, unknown ones ignored.  Any other management record type gets
 * FCGI_UNKNOWN_TYPE.  The content is the parser's kept record.
 */
size_t
wire_management(const struct wire_parser *wp, unsigned max_conns,
    unsigned char *out, size_t size)
{
	static const char *const names[] = {
		"FCGI_MAX_CONNS", "FCGI_MAX_REQS", "FCGI_MPXS_CONNS",
	};
	const unsigned char	*p, *end;
	unsigned char		*w;
	unsigned long		 nlen, vlen;
	char			 value[16];
	size_t			 i, vl, content;
	int			 seen[3] = { 0, 0, 0 };

	if (size < WIRE_MANAGEMENT_MAX)
		return 0;
	if (wp->mtype != WIRE_GET_VALUES) {
		w = put_header(out, WIRE_UNKNOWN_TYPE, 0, 8);
		memset(w, 0, 8);
		w[0] = (unsigned char)wp->mtype;
		return 2 * HEADER_LEN;
	}
	w = out + HEADER_LEN;
	p = wp->len > 0 ? wp->buf : out;	/* an empty record: no pairs */
	end = p + wp->len;
	/* A malformed pair ends the list: we answer what came before. */
	while (pair_next(&p, end, &nlen, &vlen) == 0) {
		for (i = 0; i < 3; i++) {
			if (seen[i] || nlen != strlen(names[i]) ||
			    memcmp(p, names[i], nlen) != 0)
				continue;
			seen[i] = 1;
			vl = (size_t)snprintf(value, sizeof(value), "%u",
			    i == 2 ? 0 : max_conns);
			*w++ = (unsigned char)nlen;
			*w++ = (unsigned char)vl;
			memcpy(w, names[i], nlen);
			w += nlen;
			memcpy(w, value, vl);
			w += vl;
		}
		p += nlen + vlen;
	}
	content = (size_t)(w - out - HEADER_LEN);
	put_header(out, WIRE_GET_VALUES_RESULT, 0, content);
	return HEADER_LEN + content;
}
