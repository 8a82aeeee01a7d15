/*
 * FastCGI records as bytes, checked before libfcgi sees them.
 *
 * Debian 12's libfcgi aborts the whole process on a PARAMS pair whose
 * declared lengths add up past 2^31, and smashes its stack on a
 * FCGI_GET_VALUES record naming four or more variables; it also blocks
 * on a peer that sends a request slowly.  So a worker peeks at what a
 * connection has sent and calls libfcgi only once a whole request is
 * there and every record and name-value pair in it is well formed and
 * within our limits.  Management records are answered here and never
 * reach libfcgi.  Pure: no I/O, no allocation.
 */
#include <stdio.h>
#include <string.h>

#include "mta-sts-fcgi.h"

#define HEADER_LEN		8
#define VERSION_1		1
#define BEGIN_REQUEST		1
#define ABORT_REQUEST		2
#define END_REQUEST		3
#define PARAMS			4
#define STDIN			5
#define STDOUT			6
#define DATA			8
#define GET_VALUES		9
#define GET_VALUES_RESULT	10
#define UNKNOWN_TYPE		11
#define KEEP_CONN		1
#define REQUEST_COMPLETE	0

struct record {
	unsigned	 version;
	unsigned	 type;
	unsigned	 id;
	size_t		 content;	/* content length */
	size_t		 total;		/* header + content + padding */
};

static void
record_header(const unsigned char *p, struct record *r)
{
	r->version = p[0];
	r->type = p[1];
	r->id = (unsigned)p[2] << 8 | p[3];
	r->content = (size_t)p[4] << 8 | p[5];
	r->total = HEADER_LEN + r->content + p[6];
}

/*
 * Name-value pairs (FastCGI 1.0 §3.4) as a byte stream that may be split
 * anywhere across records.  Lengths are 1 byte, or 4 with the top bit
 * set; a pair is then name and value bytes, which are only skipped here.
 */
struct pairs {
	int		 state;		/* 0: first length byte ... */
	unsigned char	 len[4];
	int		 got;		/* bytes of the current length */
	unsigned long	 lens[2];	/* name and value length */
	int		 which;		/* 0 name length, 1 value length */
	unsigned long	 skip;		/* bytes of name and value left */
	size_t		 count;
};

/* A 1- or 4-byte length at p (4 readable bytes there); advances p. */
static inline unsigned long
pairs_length(const unsigned char **p)
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

static void
pairs_feed(struct pairs *pp, const unsigned char *p, size_t n)
{
	const unsigned char	*q;
	size_t			 k;

	while (n > 0) {
		if (pp->skip > 0) {
			k = pp->skip < n ? (size_t)pp->skip : n;
			pp->skip -= k;
			p += k;
			n -= k;
			continue;
		}
		/* Both lengths within this record: no state to keep. */
		if (pp->got == 0 && pp->which == 0 && n >= 8) {
			q = p;
			pp->lens[0] = pairs_length(&q);
			pp->lens[1] = pairs_length(&q);
			n -= (size_t)(q - p);
			p = q;
			/* Both ≤ 2^31 - 1: the sum cannot wrap. */
			pp->skip = pp->lens[0] + pp->lens[1];
			pp->count++;
			continue;
		}
		/* A length split across records: one byte at a time. */
		pp->len[pp->got++] = *p++;
		n--;
		if (pp->got == 1 && (pp->len[0] & 0x80) == 0)
			pp->lens[pp->which] = pp->len[0];
		else if (pp->got == 4)
			pp->lens[pp->which] = (unsigned long)(pp->len[0] &
			    0x7f) << 24 | (unsigned long)pp->len[1] << 16 |
			    (unsigned long)pp->len[2] << 8 | pp->len[3];
		else
			continue;
		pp->got = 0;
		if (pp->which == 0) {
			pp->which = 1;
			continue;
		}
		pp->which = 0;
		pp->skip = pp->lens[0] + pp->lens[1];
		pp->count++;
	}
}

/* A pair stream ends well only between pairs. */
static int
pairs_done(const struct pairs *pp)
{
	return pp->skip == 0 && pp->got == 0 && pp->which == 0;
}

/* Notes where a value we route by is, if name is one of them. */
static void
params_capture(struct wire_scan *ws, const unsigned char *buf,
    const unsigned char *name, unsigned long nlen, unsigned long vlen)
{
	enum wire_param	 which;

	/* Most names have none of these lengths: one compare rejects them. */
	switch (nlen) {
	case 9:
		if (memcmp(name, "HTTP_HOST", 9) == 0)
			which = WIRE_HOST;
		else if (memcmp(name, "PATH_INFO", 9) == 0)
			which = WIRE_PATH_INFO;
		else
			return;
		break;
	case 11:
		if (memcmp(name, "REQUEST_URI", 11) == 0)
			which = WIRE_URI;
		else if (memcmp(name, "SERVER_NAME", 11) == 0)
			which = WIRE_SERVER_NAME;
		else if (memcmp(name, "SCRIPT_NAME", 11) == 0)
			which = WIRE_SCRIPT_NAME;
		else
			return;
		break;
	case 14:
		if (memcmp(name, "REQUEST_METHOD", 14) != 0)
			return;
		which = WIRE_METHOD;
		break;
	default:
		return;
	}
	if (ws->value_len[which] >= 0)
		return;			/* the first one wins, as in libfcgi */
	ws->value_at[which] = (size_t)(name + nlen - buf);
	ws->value_len[which] = (long)vlen;
}

/*
 * The pairs of one record when none crosses its end (nginx and Apache
 * send all parameters in one record): a tight loop that also notes the
 * values we route by.  Returns 0, or -1 if a pair crosses the end, for
 * pairs_feed to do it the general way.
 */
static int
params_record(struct wire_scan *ws, const unsigned char *buf,
    const unsigned char *p, size_t n, size_t *count)
{
	const unsigned char	*end = p + n;
	unsigned long		 nlen, vlen;
	size_t			 pairs = 0;

	/* While 8 bytes are left, both lengths are surely there. */
	while (end - p >= 8) {
		nlen = pairs_length(&p);
		vlen = pairs_length(&p);
		/* Both ≤ 2^31 - 1: the sum cannot wrap. */
		if (nlen + vlen > (unsigned long)(end - p))
			return -1;
		if (nlen - 9 <= 14 - 9)		/* the lengths of our names */
			params_capture(ws, buf, p, nlen, vlen);
		p += nlen + vlen;
		pairs++;
	}
	/* The last few bytes, every length checked. */
	while (p < end) {
		if (end - p < 2 || ((*p & 0x80) && end - p < 5) ||
		    ((p[(*p & 0x80) ? 4 : 1] & 0x80) &&
		    end - p < ((*p & 0x80) ? 8 : 5)))
			return -1;
		nlen = pairs_length(&p);
		vlen = pairs_length(&p);
		if (nlen + vlen > (unsigned long)(end - p))
			return -1;
		if (nlen - 9 <= 14 - 9)
			params_capture(ws, buf, p, nlen, vlen);
		p += nlen + vlen;
		pairs++;
	}
	*count += pairs;
	return 0;
}

/*
 * Checks every pair of the PARAMS records of id in buf[from..to): each
 * declared length must lie within the stream.
 */
static int
params_walk(struct wire_scan *ws, const unsigned char *buf, size_t from,
    size_t to, unsigned id, size_t *count)
{
	struct record	 r;
	struct pairs	 pp;
	size_t		 at = from;
	int		 i;

	*count = 0;
	for (i = 0; i < WIRE_PARAMS; i++)
		ws->value_len[i] = -1;
	while (at < to) {
		record_header(buf + at, &r);
		if (r.type == PARAMS && r.id == id && r.content > 0 &&
		    params_record(ws, buf, buf + at + HEADER_LEN, r.content,
		    count) == -1)
			break;
		at += r.total;
	}
	if (at >= to)
		return 0;
	/* A pair across records: all of it again, byte by byte. */
	ws->split = 1;
	memset(&pp, 0, sizeof(pp));
	for (at = from; at < to; at += r.total) {
		record_header(buf + at, &r);
		if (r.type == PARAMS && r.id == id)
			pairs_feed(&pp, buf + at + HEADER_LEN, r.content);
	}
	*count = pp.count;
	return pairs_done(&pp) ? 0 : -1;
}

void
wire_scan(const unsigned char *buf, size_t len, struct wire_scan *ws)
{
	struct record	 r;
	size_t		 pos, params_from = 0, head = 0, body = 0, count;
	int		 in_params = 1;

	memset(ws, 0, sizeof(*ws));
	ws->status = WIRE_INCOMPLETE;
	if (len < HEADER_LEN)
		return;
	record_header(buf, &r);
	if (r.version != VERSION_1) {
		ws->status = WIRE_INVALID;
		return;
	}
	if (r.id == 0) {
		/* A management record: answered by wire_management. */
		if (len >= r.total) {
			ws->status = WIRE_MANAGEMENT;
			ws->len = r.total;
		}
		return;
	}
	if (r.type != BEGIN_REQUEST || r.content != 8) {
		ws->status = WIRE_INVALID;
		return;
	}
	if (len < r.total)
		return;
	ws->id = (uint16_t)r.id;
	ws->role = (uint16_t)(buf[HEADER_LEN] << 8 | buf[HEADER_LEN + 1]);
	ws->keep_conn = (buf[HEADER_LEN + 2] & KEEP_CONN) != 0;
	head = r.total;
	pos = params_from = r.total;

	for (;;) {
		if (len - pos < HEADER_LEN) {
			head += in_params ? len - pos : 0;
			break;
		}
		record_header(buf + pos, &r);
		if (r.version != VERSION_1 || r.id == 0 ||
		    (r.id == ws->id && r.type != (in_params ? PARAMS : STDIN) &&
		    !(r.type == DATA && !in_params))) {
			/*
			 * A management record between a request's records
			 * would reach libfcgi's GET_VALUES code; anything
			 * else out of order is not a request we serve.
			 */
			ws->status = WIRE_INVALID;
			return;
		}
		/*
		 * Records of another request id are left to libfcgi, which
		 * refuses a second request on the connection
		 * (FCGI_CANT_MPX_CONN) and skips its other records.
		 */
		if (in_params)
			head += r.total;
		else
			body += r.total;
		if (head > WIRE_HEAD_MAX) {
			ws->status = WIRE_TOO_LARGE;
			return;
		}
		if (body > WIRE_BODY_MAX) {
			ws->status = WIRE_BODY_TOO_LARGE;
			return;
		}
		if (len - pos < r.total)
			break;	/* this record is not all there yet */
		pos += r.total;
		if (r.id != ws->id || r.content != 0)
			continue;
		if (in_params) {
			if (params_walk(ws, buf, params_from, pos, ws->id,
			    &count) == -1) {
				ws->status = WIRE_INVALID;
				return;
			}
			if (count > WIRE_PARAMS_MAX) {
				ws->status = WIRE_TOO_LARGE;
				return;
			}
			ws->params = count;
			in_params = 0;
			continue;
		}
		ws->status = WIRE_REQUEST;
		ws->len = pos;
		ws->trailing = pos < len;
		return;
	}
	if (head > WIRE_HEAD_MAX)
		ws->status = WIRE_TOO_LARGE;
}

static unsigned char *
put_header(unsigned char *p, unsigned type, unsigned id, size_t content)
{
	p[0] = VERSION_1;
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
wire_response(unsigned id, const char *bytes, size_t len, unsigned char *out,
    size_t size)
{
	unsigned char	*p = out;
	size_t		 n, need;

	/* STDOUT records of at most 65535 bytes, an empty one, END_REQUEST. */
	need = len + (len / 65535 + 1) * HEADER_LEN + HEADER_LEN +
	    HEADER_LEN + 8;
	if (need > size)
		return 0;
	while (len > 0) {
		n = len > 65535 ? 65535 : len;
		p = put_header(p, STDOUT, id, n);
		memcpy(p, bytes, n);
		p += n;
		bytes += n;
		len -= n;
	}
	p = put_header(p, STDOUT, id, 0);
	p = put_header(p, END_REQUEST, id, 8);
	memset(p, 0, 8);		/* appStatus 0 */
	p[4] = REQUEST_COMPLETE;
	return (size_t)(p + 8 - out);
}

size_t
wire_end_request(unsigned id, int protocol_status, unsigned char *out,
    size_t size)
{
	unsigned char	*p;

	if (size < 2 * HEADER_LEN)
		return 0;
	p = put_header(out, END_REQUEST, id, 8);
	memset(p, 0, 8);
	p[4] = (unsigned char)protocol_status;
	return 2 * HEADER_LEN;
}

/* Reads a 1- or 4-byte pair length; -1 if it runs past end. */
static int
read_length(const unsigned char **p, const unsigned char *end,
    unsigned long *len)
{
	const unsigned char	*q = *p;

	if (q >= end)
		return -1;
	if ((*q & 0x80) == 0) {
		*len = *q;
		*p = q + 1;
		return 0;
	}
	if (end - q < 4)
		return -1;
	*len = (unsigned long)(q[0] & 0x7f) << 24 | (unsigned long)q[1] << 16 |
	    (unsigned long)q[2] << 8 | q[3];
	*p = q + 4;
	return 0;
}

/*
 * FCGI_GET_VALUES (FastCGI 1.0 §4.1): the value of each variable we know,
 * once, unknown ones ignored.  Any other management record type gets
 * FCGI_UNKNOWN_TYPE.  rec holds the whole record (wire_scan said so).
 */
size_t
wire_management(const unsigned char *rec, unsigned max_conns,
    unsigned char *out, size_t size)
{
	static const char *const names[] = {
		"FCGI_MAX_CONNS", "FCGI_MAX_REQS", "FCGI_MPXS_CONNS",
	};
	struct record		 r;
	const unsigned char	*p, *end;
	unsigned char		*w;
	unsigned long		 nlen, vlen;
	char			 value[16];
	size_t			 i, vl, content;
	int			 seen[3] = { 0, 0, 0 };

	if (size < WIRE_MANAGEMENT_MAX)
		return 0;
	record_header(rec, &r);
	if (r.type != GET_VALUES) {
		w = put_header(out, UNKNOWN_TYPE, 0, 8);
		memset(w, 0, 8);
		w[0] = (unsigned char)r.type;
		return 2 * HEADER_LEN;
	}
	w = out + HEADER_LEN;
	p = rec + HEADER_LEN;
	end = p + r.content;
	/* A malformed pair ends the list: we answer what came before. */
	while (read_length(&p, end, &nlen) == 0 &&
	    read_length(&p, end, &vlen) == 0 &&
	    nlen <= (unsigned long)(end - p) &&
	    vlen <= (unsigned long)(end - p) - nlen) {
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
	put_header(out, GET_VALUES_RESULT, 0, content);
	return HEADER_LEN + content;
}
