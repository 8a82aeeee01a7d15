/* SPDX-License-Identifier: ISC */
/*
 * DNS questions to the servers of /etc/resolv.conf, read by glibc's
 * res_ninit with its timeout and attempts options (capped so that a
 * silent server costs a few seconds, not minutes), one res_state per
 * thread so that threads never wait for each other.  The question is
 * made by res_nmkquery, but sent by us: res_nsend retries a truncated
 * answer over TCP with blocking reads and no timeout, so a server that
 * sets TC and then never answers on TCP would hold a job for ever.  Here
 * UDP and the TCP retry share one deadline per question.  Answers are
 * parsed with ns_parserr; CNAMEs in an answer are followed, and only
 * records owned by the name asked or a name of its CNAME chain count.
 * TLSA is asked with EDNS0's DO bit, and its answer's AD bit believed
 * only under resolv.conf's "options trust-ad", as glibc (2.31 and later)
 * believes it: without it glibc clears AD in every answer (RFC 4033
 * §7: a stub that does not validate must trust both its resolver and
 * the path to it).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "check/check.h"

struct check_dns {
	struct __res_state	 res;
	unsigned char		 answer[65536];
	unsigned char		 spare[65536];	/* a SERVFAIL kept meanwhile */
};

struct check_dns *
check_dns_new(void)
{
	struct check_dns	*d;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	if (res_ninit(&d->res) == -1) {
		free(d);
		return NULL;
	}
	if (d->res.retrans > CHECK_TIMEOUT_DNS || d->res.retrans < 1)
		d->res.retrans = CHECK_TIMEOUT_DNS;
	if (d->res.retry > CHECK_TIMEOUT_DNS_TRIES || d->res.retry < 1)
		d->res.retry = CHECK_TIMEOUT_DNS_TRIES;
	/* Names are asked exactly as given: no search list. */
	d->res.options &= ~(RES_DNSRCH | RES_DEFNAMES);
	return d;
}

unsigned
check_dns_wait(const struct check_dns *d)
{
	/* Each server in turn, retry times, retrans each: one deadline. */
	return (unsigned)(d->res.retrans * d->res.retry *
	    (d->res.nscount > 0 ? d->res.nscount : 1));
}

void
check_dns_free(struct check_dns *d)
{
	if (d == NULL)
		return;
	res_nclose(&d->res);
	free(d);
}

void
check_dns_answer_free(struct check_dns_answer *a)
{
	size_t	 i;

	for (i = 0; i < a->nstrings; i++)
		free(a->strings[i]);
	free(a->strings);
	for (i = 0; i < a->nmx; i++)
		free(a->mx[i].host);
	free(a->mx);
	for (i = 0; i < a->nrdata; i++)
		free(a->rdata[i].data);
	free(a->rdata);
	memset(a, 0, sizeof(*a));
}

const char *
check_dns_strerror(const struct check_dns_answer *a)
{
	switch (a->status) {
	case CHECK_DNS_OK:
		return "no error";
	case CHECK_DNS_NXDOMAIN:
		return "no such name (NXDOMAIN)";
	case CHECK_DNS_TIMEOUT:
		return "no answer from DNS";
	case CHECK_DNS_NOSERVER:
	case CHECK_DNS_ERROR:
		break;
	}
	return a->error;
}

static int
add_string(struct check_dns_answer *a, char *s)
{
	char	**n;

	if (s == NULL || (n = reallocarray(a->strings, a->nstrings + 1,
	    sizeof(*n))) == NULL) {
		free(s);
		return -1;
	}
	a->strings = n;
	a->strings[a->nstrings++] = s;
	return 0;
}

static const char *
rcode_name(int rcode)
{
	switch (rcode) {
	case ns_r_formerr:
		return "FORMERR";
	case ns_r_servfail:
		return "SERVFAIL";
	case ns_r_notimpl:
		return "NOTIMP";
	case ns_r_refused:
		return "REFUSED";
	default:
		return "an error";
	}
}

static void
fail(struct check_dns_answer *a, const char *fmt, const char *what)
{
	a->status = CHECK_DNS_ERROR;
	snprintf(a->error, sizeof(a->error), fmt, what);
}

/* One RR of the type asked for into a; 0 or -1 (said in a). */
static int
take(struct check_dns_answer *a, ns_msg *msg, ns_rr *rr, int type)
{
	const unsigned char	*rd = ns_rr_rdata(*rr);
	size_t			 rdlen = ns_rr_rdlen(*rr), i, n, len;
	char			 text[INET6_ADDRSTRLEN], name[NS_MAXDNAME];
	struct check_dns_mx		*mx;
	struct check_dns_rdata	*d;
	char			*s;

	switch (type) {
	case ns_t_tlsa:
		/* As bytes: check_dane.c says what is wrong with them. */
		if ((d = reallocarray(a->rdata, a->nrdata + 1,
		    sizeof(*d))) == NULL)
			return -1;
		a->rdata = d;
		if ((d[a->nrdata].data = malloc(rdlen + 1)) == NULL)
			return -1;
		memcpy(d[a->nrdata].data, rd, rdlen);
		d[a->nrdata++].len = rdlen;
		return 0;
	case ns_t_txt:
		/* RFC 1035 §3.3.14: character-strings, joined. */
		if ((s = malloc(rdlen + 1)) == NULL)
			return -1;
		for (i = 0, len = 0; i < rdlen; i += n) {
			n = rd[i++];
			if (n > rdlen - i) {
				free(s);
				fail(a, "%s", "a malformed TXT record");
				return -1;
			}
			memcpy(s + len, rd + i, n);
			len += n;
		}
		s[len] = '\0';
		/* A NUL inside would cut the text short: show it. */
		for (i = 0; i < len; i++)
			if (s[i] == '\0')
				s[i] = '?';
		return add_string(a, s);
	case ns_t_a:
	case ns_t_aaaa:
		if (rdlen != (type == ns_t_a ? 4u : 16u)) {
			fail(a, "a malformed %s record",
			    type == ns_t_a ? "A" : "AAAA");
			return -1;
		}
		inet_ntop(type == ns_t_a ? AF_INET : AF_INET6, rd, text,
		    sizeof(text));
		return add_string(a, strdup(text));
	case ns_t_mx:
		if (rdlen < 3 || ns_name_uncompress(ns_msg_base(*msg),
		    ns_msg_end(*msg), rd + 2, name, sizeof(name)) == -1) {
			fail(a, "%s", "a malformed MX record");
			return -1;
		}
		len = strlen(name);
		if (len > 0 && name[len - 1] == '.')
			name[--len] = '\0';
		for (i = 0; i < len; i++)
			name[i] = (char)tolower((unsigned char)name[i]);
		if ((mx = reallocarray(a->mx, a->nmx + 1, sizeof(*mx))) == NULL)
			return -1;
		a->mx = mx;
		if ((mx[a->nmx].host = strdup(name)) == NULL)
			return -1;
		mx[a->nmx++].preference = (unsigned)(rd[0] << 8 | rd[1]);
		return 0;
	}
	return 0;
}

/* Server i of resolv.conf: glibc keeps IPv6 ones apart. 0 or -1. */
static int
server(const struct check_dns *d, int i, struct sockaddr_storage *ss,
    socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (d->res._u._ext.nsaddrs[i] != NULL) {
		memcpy(ss, d->res._u._ext.nsaddrs[i],
		    sizeof(struct sockaddr_in6));
		*len = sizeof(struct sockaddr_in6);
		return 0;
	}
	if (d->res.nsaddr_list[i].sin_family != AF_INET)
		return -1;
	memcpy(ss, &d->res.nsaddr_list[i], sizeof(struct sockaddr_in));
	*len = sizeof(struct sockaddr_in);
	return 0;
}

/* Waits for EVENTS on fd until deadline: 1 ready, 0 timed out, -1. */
static int
wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd	 p = { .fd = fd, .events = events };
	int64_t		 left;
	int		 n;

	for (;;) {
		if ((left = deadline - clock_ms()) <= 0)
			return 0;
		n = poll(&p, 1, (int)(left > 60000 ? 60000 : left));
		if (n > 0)
			return 1;
		if (n == -1 && errno != EINTR)
			return -1;
	}
}

/*
 * An answer to q: same id, a response, the same question (what follows
 * it in q, an EDNS0 OPT record, is not echoed).
 */
static int
answers(const unsigned char *q, int qlen, const unsigned char *r, int rlen)
{
	int	 i, end;

	for (end = 12; end < qlen && q[end] != 0; end += q[end] + 1)
		;
	if ((end += 5) > qlen)
		end = qlen;
	if (rlen < end || r[0] != q[0] || r[1] != q[1] || !(r[2] & 0x80) ||
	    r[4] != q[4] || r[5] != q[5])
		return 0;
	for (i = 12; i < end; i++)
		if (tolower(r[i]) != tolower(q[i]))
			return 0;
	return 1;
}

/* Reads exactly n bytes from a TCP socket by deadline: 0, or -1. */
static int
read_all(int fd, unsigned char *buf, size_t n, int64_t deadline)
{
	ssize_t	 r;
	size_t	 got = 0;

	while (got < n) {
		if (wait_fd(fd, POLLIN, deadline) != 1) {
			errno = ETIMEDOUT;
			return -1;
		}
		r = recv(fd, buf + got, n - got, 0);
		if (r == 0)
			errno = ECONNRESET;	/* closed before the end */
		if (r == 0 || (r == -1 && errno != EINTR && errno != EAGAIN))
			return -1;
		if (r > 0)
			got += (size_t)r;
	}
	return 0;
}

/*
 * The TCP retry of a truncated answer (RFC 7766), by deadline: the
 * answer's length, or -1 (errno set; ETIMEDOUT for the deadline).
 */
static int
over_tcp(struct check_dns *d, const struct sockaddr_storage *ss,
    socklen_t sslen, const unsigned char *q, int qlen, int64_t deadline)
{
	unsigned char	 msg[2 + NS_PACKETSZ], len[2];
	socklen_t	 elen = sizeof(int);
	int		 fd, e = 0, n = -1;
	size_t		 sent = 0, total = (size_t)qlen + 2;
	ssize_t		 w;

	if ((fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return -1;
	msg[0] = (unsigned char)(qlen >> 8);
	msg[1] = (unsigned char)qlen;
	memcpy(msg + 2, q, (size_t)qlen);
	if (connect(fd, (const struct sockaddr *)ss, sslen) == -1 &&
	    errno != EINPROGRESS)
		goto out;
	if (wait_fd(fd, POLLOUT, deadline) != 1) {
		errno = ETIMEDOUT;
		goto out;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) == -1 || e != 0) {
		errno = e != 0 ? e : errno;
		goto out;
	}
	while (sent < total) {
		if (wait_fd(fd, POLLOUT, deadline) != 1) {
			errno = ETIMEDOUT;
			goto out;
		}
		w = send(fd, msg + sent, total - sent, MSG_NOSIGNAL);
		if (w == -1 && errno != EINTR && errno != EAGAIN)
			goto out;
		if (w > 0)
			sent += (size_t)w;
	}
	/* Messages that are not the answer (another id) are skipped. */
	for (;;) {
		if (read_all(fd, len, 2, deadline) == -1 ||
		    read_all(fd, d->answer, (size_t)(len[0] << 8 | len[1]),
		    deadline) == -1)
			goto out;
		if (answers(q, qlen, d->answer, len[0] << 8 | len[1])) {
			n = len[0] << 8 | len[1];
			break;
		}
	}
out:
	e = errno;
	close(fd);
	errno = e;
	return n;
}

/*
 * One try with one server, over UDP, then TCP if the answer is
 * truncated: the answer's length, or -1 (errno: ETIMEDOUT when the
 * server said nothing by deadline).
 */
static int
ask(struct check_dns *d, int i, const unsigned char *q, int qlen,
    int64_t deadline)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	ssize_t			 r;
	int			 fd, e;

	if (server(d, i, &ss, &sslen) == -1) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	/* options use-vc: TCP only, as glibc does. */
	if (d->res.options & RES_USEVC)
		return over_tcp(d, &ss, sslen, q, qlen, deadline);
	if ((fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, sslen) == -1 ||
	    send(fd, q, (size_t)qlen, 0) != qlen)
		goto bad;
	for (;;) {
		if ((e = wait_fd(fd, POLLIN, deadline)) != 1) {
			if (e == 0)
				errno = ETIMEDOUT;
			goto bad;
		}
		r = recv(fd, d->answer, sizeof(d->answer), 0);
		if (r == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r == -1)
			goto bad;
		/* Others' answers and forgeries are not ours: wait on. */
		if (answers(q, qlen, d->answer, (int)r))
			break;
	}
	close(fd);
	if (d->answer[2] & 0x02)	/* TC */
		return over_tcp(d, &ss, sslen, q, qlen, deadline);
	return (int)r;
bad:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

/*
 * Asks each server in turn, retry rounds, each try bounded by retrans
 * seconds and all by check_dns_wait(): the answer's length, or -1 with
 * errno ETIMEDOUT when no server answered, else the last error.
 */
static int
exchange(struct check_dns *d, const unsigned char *q, int qlen)
{
	int64_t	 end = clock_ms() + 1000 * (int64_t)check_dns_wait(d), t;
	int	 round, i, n, rcode, spare = -1, nscount = d->res.nscount;
	int	 err = ETIMEDOUT;

	if (nscount < 1) {
		errno = ENOENT;
		return -1;
	}
	for (round = 0; round < d->res.retry; round++)
		for (i = 0; i < nscount; i++) {
			t = clock_ms() + 1000 * (int64_t)d->res.retrans;
			if ((n = ask(d, i, q, qlen, t < end ? t : end)) >= 0) {
				/*
				 * SERVFAIL, NOTIMP, REFUSED: that server's
				 * trouble; ask the next, as glibc does, and
				 * keep this answer in case none does better.
				 */
				rcode = d->answer[3] & 0x0f;
				if (rcode != ns_r_servfail &&
				    rcode != ns_r_notimpl &&
				    rcode != ns_r_refused)
					return n;
				memcpy(d->spare, d->answer, (size_t)n);
				spare = n;
			} else if (errno != ETIMEDOUT)
				err = errno;
			if (clock_ms() >= end)
				goto out;
		}
out:
	if (spare >= 0) {
		memcpy(d->answer, d->spare, (size_t)spare);
		return spare;
	}
	errno = err;
	return -1;
}

#define CHAIN_MAX	16	/* CNAMEs followed in one answer */

/* Two names alike, but for case and a trailing dot. */
static int
same_name(const char *x, const char *y)
{
	size_t	 nx = strlen(x), ny = strlen(y);

	if (nx > 0 && x[nx - 1] == '.')
		nx--;
	if (ny > 0 && y[ny - 1] == '.')
		ny--;
	return nx == ny && strncasecmp(x, y, nx) == 0;
}

/*
 * The names whose records answer name: name, then each CNAME target in
 * turn as the answer section gives them; how many.
 */
static int
cname_chain(ns_msg *msg, const char *name, char chain[][NS_MAXDNAME])
{
	ns_rr	 rr;
	int	 n = 1, i, found;

	snprintf(chain[0], NS_MAXDNAME, "%s", name);
	do {
		found = 0;
		for (i = 0; i < ns_msg_count(*msg, ns_s_an) && !found; i++) {
			if (ns_parserr(msg, ns_s_an, i, &rr) == -1)
				return n;
			if (ns_rr_type(rr) != ns_t_cname ||
			    ns_rr_class(rr) != ns_c_in ||
			    !same_name(ns_rr_name(rr), chain[n - 1]) ||
			    ns_name_uncompress(ns_msg_base(*msg),
			    ns_msg_end(*msg), ns_rr_rdata(rr), chain[n],
			    NS_MAXDNAME) == -1)
				continue;
			found = 1;
			n++;
		}
	} while (found && n < CHAIN_MAX);
	return n;
}

/*
 * Appends an EDNS0 OPT record with the DO bit to the question q of qlen
 * bytes (RFC 6891 §6.1.2, RFC 3225 §3), and asks for AD when the
 * resolver is trusted to set it (RFC 6840 §5.7); the new length, or -1.
 */
static int
dnssec_ok(const struct check_dns *d, unsigned char *q, int qlen,
    size_t qsize)
{
	static const unsigned char	 opt[11] = {
		0,			/* the root */
		0, ns_t_opt,
		0x04, 0xd0,		/* 1232 bytes over UDP */
		0, 0,			/* extended RCODE, version 0 */
		0x80, 0,		/* DO */
		0, 0			/* no options */
	};

	if ((size_t)qlen + sizeof(opt) > qsize || q[10] != 0 || q[11] != 0)
		return -1;
	memcpy(q + qlen, opt, sizeof(opt));
	q[11] = 1;			/* ARCOUNT */
	if (d->res.options & RES_TRUSTAD)
		q[3] |= 0x20;		/* AD */
	return qlen + (int)sizeof(opt);
}

static void
query(struct check_dns *d, const char *name, int type,
    struct check_dns_answer *a)
{
	char		 chain[CHAIN_MAX][NS_MAXDNAME];
	int		 nchain, k, ours;
	unsigned char	 q[NS_PACKETSZ];
	ns_msg		 msg;
	ns_rr		 rr;
	int		 qlen, len, i, rcode;

	a->status = CHECK_DNS_OK;
	if ((qlen = res_nmkquery(&d->res, ns_o_query, name, ns_c_in, type,
	    NULL, 0, NULL, q, sizeof(q))) == -1 ||
	    (type == ns_t_tlsa &&
	    (qlen = dnssec_ok(d, q, qlen, sizeof(q))) == -1)) {
		fail(a, "%s", "a name the resolver cannot ask for");
		return;
	}
	if ((len = exchange(d, q, qlen)) == -1) {
		if (errno == ETIMEDOUT)
			a->status = CHECK_DNS_TIMEOUT;
		else if (errno == ECONNRESET || errno == EPIPE)
			fail(a, "%s", "the DNS server closed the TCP "
			    "connection before its answer");
		else {
			fail(a, "no DNS server of /etc/resolv.conf reachable "
			    "(%s)", errno == ENOENT ? "none named" :
			    strerror(errno));
			a->status = CHECK_DNS_NOSERVER;
		}
		return;
	}
	if (ns_initparse(d->answer, len, &msg) == -1) {
		fail(a, "%s", "a malformed DNS answer");
		return;
	}
	rcode = ns_msg_getflag(msg, ns_f_rcode);
	if (rcode == ns_r_nxdomain) {
		a->status = CHECK_DNS_NXDOMAIN;
		return;
	}
	if (rcode != ns_r_noerror) {
		fail(a, "the DNS server answered %s", rcode_name(rcode));
		return;
	}
	if (type == ns_t_tlsa && ns_msg_getflag(msg, ns_f_ad)) {
		if (d->res.options & RES_TRUSTAD)
			a->authenticated = 1;
		else
			a->ad_ignored = 1;
	}
	nchain = cname_chain(&msg, name, chain);
	for (i = 0; i < ns_msg_count(msg, ns_s_an); i++) {
		if (ns_parserr(&msg, ns_s_an, i, &rr) == -1) {
			fail(a, "%s", "a malformed DNS answer");
			return;
		}
		if (ns_rr_class(rr) != ns_c_in || (int)ns_rr_type(rr) != type)
			continue;
		/* Records of another name are not an answer to ours. */
		for (ours = 0, k = 0; k < nchain && !ours; k++)
			ours = same_name(ns_rr_name(rr), chain[k]);
		if (!ours)
			continue;
		if (take(a, &msg, &rr, type) == -1) {
			if (a->status == CHECK_DNS_OK)
				fail(a, "%s", "out of memory");
			return;
		}
	}
}

void
check_dns_txt(struct check_dns *d, const char *name,
    struct check_dns_answer *a)
{
	memset(a, 0, sizeof(*a));
	query(d, name, ns_t_txt, a);
}

void
check_dns_mx(struct check_dns *d, const char *name,
    struct check_dns_answer *a)
{
	memset(a, 0, sizeof(*a));
	query(d, name, ns_t_mx, a);
}

void
check_dns_tlsa(struct check_dns *d, const char *name,
    struct check_dns_answer *a)
{
	memset(a, 0, sizeof(*a));
	query(d, name, ns_t_tlsa, a);
}

/* Merges six's strings into a's, one of each in turn; 0 or -1. */
static int
interleave(struct check_dns_answer *a, struct check_dns_answer *six)
{
	char	**all;
	size_t	 n = a->nstrings + six->nstrings, i, j, k;

	if (six->nstrings == 0)
		return 0;
	if ((all = calloc(n, sizeof(*all))) == NULL)
		return -1;
	for (i = j = k = 0; k < n; ) {
		if (i < a->nstrings)
			all[k++] = a->strings[i++];
		if (j < six->nstrings)
			all[k++] = six->strings[j++];
	}
	free(a->strings);
	a->strings = all;
	a->nstrings = n;
	six->nstrings = 0;
	return 0;
}

/* An answer for addresses: no failure (no records is not one). */
static int
addrs_fine(const struct check_dns_answer *a)
{
	return a->status == CHECK_DNS_OK || a->status == CHECK_DNS_NXDOMAIN;
}

void
check_dns_addrs(struct check_dns *d, const char *name,
    struct check_dns_answer *a, int64_t deadline)
{
	struct check_dns_answer	 six;
	char			 err[sizeof(a->error)];

	memset(a, 0, sizeof(*a));
	query(d, name, ns_t_a, a);
	/* A silent server would be as silent for AAAA: do not wait twice. */
	if (a->status == CHECK_DNS_TIMEOUT || a->status == CHECK_DNS_NOSERVER)
		return;
	if (clock_ms() >= deadline) {
		a->late = 1;
		return;
	}
	memset(&six, 0, sizeof(six));
	query(d, name, ns_t_aaaa, &six);
	if (!addrs_fine(a)) {
		snprintf(err, sizeof(err), "A: %.110s", check_dns_strerror(a));
		memcpy(a->error, err, sizeof(err));
	} else if (!addrs_fine(&six)) {
		a->status = six.status;
		snprintf(a->error, sizeof(a->error), "AAAA: %.110s",
		    check_dns_strerror(&six));
	} else if (six.status == CHECK_DNS_OK)
		a->status = CHECK_DNS_OK;
	/*
	 * IPv4 and IPv6 in turn, so that a cap on the addresses checked
	 * leaves neither family out.
	 */
	if (interleave(a, &six) == -1)
		fail(a, "%s", "out of memory");
	check_dns_answer_free(&six);
}
