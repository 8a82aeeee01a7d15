/* SPDX-License-Identifier: ISC */
/*
 * DNS questions through glibc's stub resolver: the servers, and the
 * timeout and attempts options, of /etc/resolv.conf (capped so that a
 * silent server costs a few seconds, not minutes), one res_state per
 * thread so that threads never wait for each other.  Answers are parsed
 * with ns_parserr; CNAMEs in an answer are followed by taking the
 * records of the type asked for, whatever their owner.
 */
#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mta-sts-check.h"

struct check_dns {
	struct __res_state	 res;
	unsigned char		 answer[65536];
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
	if (d->res.retrans > TIMEOUT_DNS || d->res.retrans < 1)
		d->res.retrans = TIMEOUT_DNS;
	if (d->res.retry > TIMEOUT_DNS_TRIES || d->res.retry < 1)
		d->res.retry = TIMEOUT_DNS_TRIES;
	/* Names are asked exactly as given: no search list. */
	d->res.options &= ~(RES_DNSRCH | RES_DEFNAMES);
	return d;
}

unsigned
check_dns_wait(const struct check_dns *d)
{
	/* glibc asks each server in turn, retry times, retrans each. */
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
	struct check_mx		*mx;
	char			*s;

	switch (type) {
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

static void
query(struct check_dns *d, const char *name, int type,
    struct check_dns_answer *a)
{
	unsigned char	 q[NS_PACKETSZ];
	ns_msg		 msg;
	ns_rr		 rr;
	int		 qlen, len, i, rcode;

	a->status = CHECK_DNS_OK;
	if ((qlen = res_nmkquery(&d->res, ns_o_query, name, ns_c_in, type,
	    NULL, 0, NULL, q, sizeof(q))) == -1) {
		fail(a, "%s", "a name the resolver cannot ask for");
		return;
	}
	errno = 0;
	if ((len = res_nsend(&d->res, q, qlen, d->answer,
	    sizeof(d->answer))) == -1) {
		if (errno == ETIMEDOUT || errno == 0)
			a->status = CHECK_DNS_TIMEOUT;
		else
			fail(a, "no DNS server reachable (%s)",
			    strerror(errno));
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
	for (i = 0; i < ns_msg_count(msg, ns_s_an); i++) {
		if (ns_parserr(&msg, ns_s_an, i, &rr) == -1) {
			fail(a, "%s", "a malformed DNS answer");
			return;
		}
		if (ns_rr_class(rr) != ns_c_in || (int)ns_rr_type(rr) != type)
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
check_dns_addrs(struct check_dns *d, const char *name,
    struct check_dns_answer *a)
{
	struct check_dns_answer	 six;
	size_t			 i;

	memset(a, 0, sizeof(*a));
	query(d, name, ns_t_a, a);
	/* A silent server would be as silent for AAAA: do not wait twice. */
	if (a->status == CHECK_DNS_TIMEOUT)
		return;
	memset(&six, 0, sizeof(six));
	query(d, name, ns_t_aaaa, &six);
	if (a->status != CHECK_DNS_OK && six.status == CHECK_DNS_OK)
		a->status = CHECK_DNS_OK;
	else if (a->status == CHECK_DNS_OK && six.status == CHECK_DNS_TIMEOUT)
		a->status = CHECK_DNS_TIMEOUT;
	for (i = 0; i < six.nstrings; i++) {
		if (add_string(a, six.strings[i]) == -1)
			fail(a, "%s", "out of memory");
		six.strings[i] = NULL;
	}
	six.nstrings = 0;
	check_dns_answer_free(&six);
}
