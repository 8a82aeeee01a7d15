/* SPDX-License-Identifier: ISC */
/*
 * Every check for one policy domain D, in the order a sender meets them:
 * the _mta-sts TXT record and its id, the _smtp._tls record, the policy
 * host's addresses, TLS and policy from each address, then the MX hosts
 * against the mx patterns, their STARTTLS, and their TLSA records against
 * the certificates that STARTTLS showed (DANE senders use those instead
 * of the policy, RFC 8461 §2, and whatever the policy's mode: in mode
 * none only mx-dane is checked).  The bytes compared are
 * the config's prepared response (policy.c), the responder's own.  A
 * DNS question nobody answers ends the domain's checks, so that a dead
 * zone costs its timeouts once, not once per check; after
 * CHECK_TIMEOUT_DOMAIN seconds no new network step is started, and what
 * was not checked is said.  Hosts beyond the caps (CHECK_MAX_ADDRS,
 * CHECK_MAX_MX_TLS) are not checked either, and that is said too.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check/check.h"

#define TXT_SHOW	80	/* bytes of a bad record shown */

/* The zone-file line to publish, without its newline. */
static void
publish_line(char *buf, size_t size, int sts,
    const struct check_domain_target *d)
{
	int	 n;

	if (sts)
		n = policy_dns_sts(buf, size, d->name, d->policy->id);
	else
		n = policy_dns_tlsrpt(buf, size, d->name, d->tlsrpt);
	if (n <= 0 || (size_t)n >= size)
		snprintf(buf, size, "(record too long to show)");
	else if (buf[n - 1] == '\n')
		buf[n - 1] = '\0';
}

/*
 * Whether a DNS answer ends the domain's checks: no answer in time (the
 * zone's servers are dead, and asking on would only wait again), or no
 * server of our own resolv.conf to ask (then nothing can be checked).
 */
static int
dns_stops(const struct check_dns_answer *a)
{
	return a->status == CHECK_DNS_TIMEOUT ||
	    a->status == CHECK_DNS_NOSERVER;
}

/* Reports a DNS question that dns_stops. */
static void
dns_dead(struct check_domain_thread *th, struct check_result *r,
    enum check_result_name check, const char *name, const char *type,
    const struct check_dns_answer *a)
{
	if (a->status == CHECK_DNS_NOSERVER)
		check_result_add(r, check,
		    CHECK_RESULT_UNKNOWN, "%s %s: %s, so nothing "
		    "could be checked: fix this machine's resolver", name,
		    type, check_dns_strerror(a));
	else
		check_result_add(r, check,
		    CHECK_RESULT_CRITICAL, "%s %s: no answer from "
		    "DNS within %u s%s (the other checks were skipped)", name,
		    type, check_dns_wait(th->dns),
		    check == CHECK_RESULT_STS_RECORD ?
		    "; senders see no policy" : "");
}

/*
 * Whether the domain's time is up before a step (what it would check):
 * says so once (a warning, unknown under -p) and returns 1; else 0.
 */
static int
late(struct check_domain_thread *th, struct check_result *r,
    enum check_result_name check, const char *what)
{
	if (clock_ms() < th->deadline)
		return 0;
	if (!th->late)
		check_result_add(r, check,
		    th->late_sev, "the checks of %s ran over "
		    "%d s, so %s and what follows it were not checked: look "
		    "at the slow hosts above", r->domain, CHECK_TIMEOUT_DOMAIN,
		    what);
	th->late = 1;
	return 1;
}

/* The TXT records at one name that are of the kind a check looks for. */
struct txt_found {
	char			 name[DNAME_MAX + 16];
	struct check_dns_answer	 a;
	const char		*txt;	/* the last of them */
	size_t			 n;	/* how many */
};

/*
 * Asks for the TXT records at prefix.domain and counts those ours()
 * accepts; 0, or -1 (nothing to free) if DNS did not answer.
 */
static int
txt_records(struct check_domain_thread *th, struct check_result *r,
    enum check_result_name check, const char *prefix, const char *domain,
    int (*ours)(const char *), struct txt_found *t)
{
	size_t	 i;

	snprintf(t->name, sizeof(t->name), "%s.%s", prefix, domain);
	check_dns_txt(th->dns, t->name, &t->a);
	if (dns_stops(&t->a)) {
		dns_dead(th, r, check, t->name, "TXT", &t->a);
		check_dns_answer_free(&t->a);
		return -1;
	}
	t->txt = NULL;
	t->n = 0;
	for (i = 0; i < t->a.nstrings; i++)
		if (ours(t->a.strings[i])) {
			t->txt = t->a.strings[i];
			t->n++;
		}
	return 0;
}

/*
 * A TXT record that would be an STS record but for blanks before its
 * "v=STSv1", or NULL: to say why senders see none.
 */
static const char *
blank_led_sts(const struct check_dns_answer *a)
{
	size_t	 i, n;

	for (i = 0; i < a->nstrings; i++) {
		for (n = 0; a->strings[i][n] == ' ' ||
		    a->strings[i][n] == '\t'; n++)
			;
		if (n > 0 && check_record_is_sts(a->strings[i] + n))
			return a->strings[i];
	}
	return NULL;
}

/* sts-record and sts-id; -1 if DNS did not answer. */
static int
sts_record(struct check_domain_thread *th, const struct check_domain_target *d,
    struct check_result *r)
{
	struct txt_found	 t;
	const char		*led;
	char			 rec[512], id[64], err[256];

	publish_line(rec, sizeof(rec), 1, d);
	if (txt_records(th, r, CHECK_RESULT_STS_RECORD, "_mta-sts", d->name,
	    check_record_is_sts, &t) == -1)
		return -1;
	check_result_ran(r, CHECK_RESULT_STS_RECORD);
	if (t.a.status == CHECK_DNS_ERROR)
		check_result_add(r, CHECK_RESULT_STS_RECORD,
		    CHECK_RESULT_CRITICAL, "%s TXT: %s; "
		    "senders see no policy", t.name, check_dns_strerror(&t.a));
	else if (t.n == 0 && (led = blank_led_sts(&t.a)) != NULL) {
		(void)check_record_sts(led, id, sizeof(id), err, sizeof(err));
		check_result_add(r, CHECK_RESULT_STS_RECORD,
		    CHECK_RESULT_CRITICAL, "\"%.*s\" at %s: %s; publish: %s",
		    TXT_SHOW, led, t.name, err, rec);
	} else if (t.n == 0)
		check_result_add(r, CHECK_RESULT_STS_RECORD,
		    CHECK_RESULT_CRITICAL, "no TXT record "
		    "\"v=STSv1; id=...\" at %s, so senders ignore the policy; "
		    "publish: %s", t.name, rec);
	else if (t.n > 1)
		check_result_add(r, CHECK_RESULT_STS_RECORD,
		    CHECK_RESULT_CRITICAL, "%zu TXT "
		    "records at %s start with \"v=STSv1\", so senders ignore "
		    "them all (RFC 8461 §3.1); keep only: %s", t.n, t.name,
		    rec);
	else if (check_record_sts(t.txt, id, sizeof(id), err,
	    sizeof(err)) == -1)
		check_result_add(r, CHECK_RESULT_STS_RECORD,
		    CHECK_RESULT_CRITICAL, "\"%.*s\" at "
		    "%s: %s; publish: %s", TXT_SHOW, t.txt, t.name, err, rec);
	else {
		check_result_ran(r, CHECK_RESULT_STS_ID);
		if (strcmp(id, d->policy->id) != 0)
			check_result_add(r, CHECK_RESULT_STS_ID,
			    CHECK_RESULT_CRITICAL, "%s has id %s, but this "
			    "config's policy has id %s: senders keep the "
			    "policy they cached; once the policy host serves "
			    "this config, publish: %s", t.name, id,
			    d->policy->id, rec);
	}
	check_dns_answer_free(&t.a);
	return 0;
}

/* tlsrpt-record; -1 if DNS did not answer. */
static int
tlsrpt_record(struct check_domain_thread *th,
    const struct check_domain_target *d, struct check_result *r)
{
	struct txt_found	 t;
	char			 rec[4096], rua[2048], err[256];

	if (d->tlsrpt != NULL)
		publish_line(rec, sizeof(rec), 0, d);
	if (txt_records(th, r, CHECK_RESULT_TLSRPT_RECORD, "_smtp._tls",
	    d->name, check_record_is_tlsrpt, &t) == -1)
		return -1;
	check_result_ran(r, CHECK_RESULT_TLSRPT_RECORD);
	if (t.a.status == CHECK_DNS_ERROR)
		check_result_add(r, CHECK_RESULT_TLSRPT_RECORD,
		    CHECK_RESULT_WARNING, "%s TXT: %s",
		    t.name, check_dns_strerror(&t.a));
	else if (t.n == 0 && d->tlsrpt != NULL)
		check_result_add(r, CHECK_RESULT_TLSRPT_RECORD,
		    CHECK_RESULT_WARNING, "no TXT "
		    "record \"v=TLSRPTv1; rua=...\" at %s, so no sender "
		    "reports TLS failures; publish: %s", t.name, rec);
	else if (t.n > 1)
		check_result_add(r, CHECK_RESULT_TLSRPT_RECORD,
		    CHECK_RESULT_WARNING, "%zu TXT "
		    "records at %s start with \"v=TLSRPTv1\", so senders "
		    "ignore them all (RFC 8460 §3); keep one%s%s", t.n, t.name,
		    d->tlsrpt != NULL ? ": " : "",
		    d->tlsrpt != NULL ? rec : "");
	else if (t.n == 1 && check_record_tlsrpt(t.txt, rua, sizeof(rua), err,
	    sizeof(err)) == -1)
		check_result_add(r, CHECK_RESULT_TLSRPT_RECORD,
		    CHECK_RESULT_WARNING, "\"%.*s\" at "
		    "%s: %s%s%s", TXT_SHOW, t.txt, t.name, err,
		    d->tlsrpt != NULL ? "; publish: " : "",
		    d->tlsrpt != NULL ? rec : "");
	else if (t.n == 1 && d->tlsrpt != NULL &&
	    !check_record_same_uris(rua, d->tlsrpt))
		check_result_add(r, CHECK_RESULT_TLSRPT_RECORD,
		    CHECK_RESULT_WARNING, "%s has rua "
		    "%s, but this config's tlsrpt is %s; publish: %s", t.name,
		    rua, d->tlsrpt, rec);
	check_dns_answer_free(&t.a);
	return 0;
}

/*
 * Reports the remaining days of a verified chain, whose first expiry is
 * the leaf's or a CA's; sev for under 3 days.
 */
static void
expiry(struct check_result *r, enum check_result_name check,
    enum check_result_severity sev, const char *what,
    const struct check_x509_expiry *e)
{
	char		 date[32];
	struct tm	 tm;
	long		 days;

	if (e->not_after == 0)
		return;
	days = (long)((e->not_after - time(NULL)) / 86400);
	if (days >= CHECK_EXPIRY_WARN)
		return;
	gmtime_r(&e->not_after, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", &tm);
	check_result_add(r, check,
	    days < CHECK_EXPIRY_CRIT ? sev : CHECK_RESULT_WARNING,
	    "%s: %s expires %s (in %ld day%s): %s", what, e->ca ?
	    "a CA certificate of the chain" : "the certificate", date, days,
	    days == 1 ? "" : "s", e->ca ? "serve a chain through a CA "
	    "certificate that stays valid" : "renew it");
}

/* The media type of a Content-Type value, without parameters. */
static int
is_text_plain(const char *ct)
{
	size_t	 n = strcspn(ct, ";");

	while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
		n--;
	return n == 10 && strncasecmp(ct, "text/plain", 10) == 0;
}

/*
 * policy-fetch for a header a sender reads that came more than once
 * (RFC 9110 §5.3: none of them is a list): senders take the first, the
 * last, or refuse the response.  1 if one did.
 */
static int
repeated_header(const struct check_https_answer *f, const char *what,
    struct check_result *r)
{
	const struct check_policy_headers	*hs = &f->headers;
	int					 h;

	for (h = 0; h < CHECK_POLICY_HEADERS; h++)
		if (hs->n[h] > 1)
			break;
	if (h == CHECK_POLICY_HEADERS)
		return 0;
	if (h == CHECK_POLICY_CONTENT_TYPE)
		check_result_add(r, CHECK_RESULT_POLICY_FETCH,
		    CHECK_RESULT_CRITICAL, "%s: %u Content-Type headers, "
		    "\"%s\" first, \"%s\" last: senders that read the first "
		    "(postfix-mta-sts-resolver) or refuse both (mailauth 7 "
		    "strict) see no policy; send one, text/plain (RFC 9110 "
		    "§5.3, RFC 8461 §3.2)", what, hs->n[h], hs->first[h],
		    hs->last[h]);
	else
		check_result_add(r, CHECK_RESULT_POLICY_FETCH,
		    CHECK_RESULT_CRITICAL, "%s: %u %s headers, \"%s\" first, "
		    "\"%s\" last: senders read one or the other, or refuse the "
		    "response; send one (RFC 9110 §5.3)", what, hs->n[h],
		    check_policy_header_str(h), hs->first[h], hs->last[h]);
	return 1;
}

/* policy-fetch when the policy served is valid but not this config's. */
static void
other_policy(const struct check_domain_target *d,
    const struct check_policy *want, const struct check_policy *got,
    const char *what, struct check_result *r)
{
	char	 diff[1024];

	if (check_policy_diff(got, want, diff, sizeof(diff)) > 0)
		check_result_add(r, CHECK_RESULT_POLICY_FETCH,
		    CHECK_RESULT_CRITICAL, "%s: the policy served is not "
		    "this config's (%s): serve this config there, then "
		    "publish its id %s", what, diff, d->policy->id);
	else
		check_result_add(r, CHECK_RESULT_POLICY_FETCH,
		    CHECK_RESULT_CRITICAL, "%s: the policy served has this "
		    "config's fields but not its bytes: %s; serve this "
		    "config's bytes there, then publish its id %s", what,
		    diff, d->policy->id);
}

/*
 * policy-fetch for a response from one address (what): status 200, a
 * text/plain body senders read whole, a valid policy, this config's.
 */
static void
served_policy(const struct check_domain_target *d,
    const struct check_policy *want, const struct check_https_answer *f,
    const char *what, struct check_result *r)
{
	struct check_policy	 got;
	const char		*body, *ct;
	char			 err[256];
	size_t			 len;

	body = policy_body(d->policy, &len);
	ct = f->headers.n[CHECK_POLICY_CONTENT_TYPE] > 0 ?
	    f->headers.first[CHECK_POLICY_CONTENT_TYPE] : "(none)";
	if (f->status >= 300 && f->status < 400)
		check_result_add(r, CHECK_RESULT_POLICY_FETCH,
		    CHECK_RESULT_CRITICAL, "%s: status %ld redirecting to %s: "
		    "senders do not follow redirects (RFC 8461 §3.3); serve "
		    "the policy itself", what, f->status,
		    f->location[0] != '\0' ? f->location : "nowhere");
	else if (f->status != 200)
		check_result_add(r, CHECK_RESULT_POLICY_FETCH,
		    CHECK_RESULT_CRITICAL, "%s: status %ld, want 200 and the "
		    "policy", what, f->status);
	else if (repeated_header(f, what, r))
		;
	else if (f->too_large)
		check_result_add(r, CHECK_RESULT_POLICY_FETCH,
		    CHECK_RESULT_CRITICAL, "%s: the body is over 64 KiB, more "
		    "than senders read", what);
	else if (!is_text_plain(ct))
		check_result_add(r, CHECK_RESULT_POLICY_FETCH,
		    CHECK_RESULT_CRITICAL, "%s: Content-Type \"%s\", senders "
		    "want text/plain (RFC 8461 §3.2)", what, ct);
	else if (check_policy_parse(&got, f->body != NULL ? f->body : "",
	    f->body_len, err, sizeof(err)) == -1)
		check_result_add(r, CHECK_RESULT_POLICY_FETCH,
		    CHECK_RESULT_CRITICAL, "%s: not a valid policy: %s", what,
		    err);
	else {
		if (f->body_len != len || memcmp(f->body, body, len) != 0)
			other_policy(d, want, &got, what, r);
		check_policy_free(&got);
	}
}

/* policy-tls and policy-fetch from one address. */
static void
fetch_from(struct check_domain_thread *th,
    const struct check_domain_target *d, const struct check_policy *want,
    const char *host, const char *addr, const char *what,
    struct check_result *r)
{
	struct check_https_answer	 f;

	check_https_fetch(th->https, host, addr, &f);
	check_result_ran(r, CHECK_RESULT_POLICY_TLS);
	check_result_ran(r, CHECK_RESULT_POLICY_FETCH);
	if (f.tls_failed)
		check_result_add(r, CHECK_RESULT_POLICY_TLS,
		    CHECK_RESULT_CRITICAL, "%s: %s", what, f.error);
	else if (f.failed)
		check_result_add(r, CHECK_RESULT_POLICY_FETCH,
		    CHECK_RESULT_CRITICAL, "%s: %s", what, f.error);
	else {
		expiry(r, CHECK_RESULT_POLICY_TLS, CHECK_RESULT_CRITICAL, what,
		    &f.expiry);
		check_result_expiry(r, CHECK_RESULT_POLICY_TLS, host,
		    (int64_t)f.expiry.not_after);
		served_policy(d, want, &f, what, r);
	}
	check_https_answer_free(&f);
}

/* policy-host, policy-tls, policy-fetch; -1 if DNS did not answer. */
static int
fetch_policy(struct check_domain_thread *th,
    const struct check_domain_target *d, const struct check_policy *want,
    struct check_result *r)
{
	struct check_dns_answer	 a;
	char			 host[DNAME_MAX + 16];
	size_t			 i;

	snprintf(host, sizeof(host), "mta-sts.%s", d->name);
	check_dns_addrs(th->dns, host, &a, th->deadline);
	if (dns_stops(&a)) {
		dns_dead(th, r, CHECK_RESULT_POLICY_HOST, host, "A/AAAA", &a);
		check_dns_answer_free(&a);
		return -1;
	}
	check_result_ran(r, CHECK_RESULT_POLICY_HOST);
	if (a.late) {
		char	 what[DNAME_MAX + 64];

		snprintf(what, sizeof(what), "the AAAA records of %s", host);
		(void)late(th, r, CHECK_RESULT_POLICY_HOST, what);
	}
	if (a.status == CHECK_DNS_ERROR)
		check_result_add(r, CHECK_RESULT_POLICY_HOST,
		    CHECK_RESULT_CRITICAL, "%s A/AAAA: %s; "
		    "senders %s", host, check_dns_strerror(&a), a.nstrings > 0 ?
		    "may not find every address of it" : "cannot fetch the "
		    "policy");
	else if (a.nstrings == 0 && !a.late)
		check_result_add(r, CHECK_RESULT_POLICY_HOST,
		    CHECK_RESULT_CRITICAL, "%s has no A "
		    "or AAAA record, so senders cannot fetch the policy: point "
		    "it at the web server in front of mta-sts-fcgi", host);
	/*
	 * Every address, since a sender may reach any: the domain's time
	 * bounds how long a host with dozens of them takes.
	 */
	for (i = 0; i < a.nstrings; i++) {
		char	 what[DNAME_MAX + 128];

		snprintf(what, sizeof(what), "https://%s" POLICY_PATH
		    " from %s", host, a.strings[i]);
		if (late(th, r, CHECK_RESULT_POLICY_FETCH, what))
			break;
		fetch_from(th, d, want, host, a.strings[i], what, r);
	}
	check_dns_answer_free(&a);
	return 0;
}

/*
 * How an MX host is checked: its kind in messages ("MX host", or
 * "implicit MX host" for the domain itself when it has no MX record),
 * the severity of its mx-tls problems, and whether mx-dane alone is
 * checked (mode none: MTA-STS senders enforce and report nothing, but
 * DANE senders use TLSA records whatever the policy, RFC 8461 §2), then
 * check names the host's own lines (mx-tls, or mx-dane).
 */
struct mx_how {
	const char			*kind;
	enum check_result_severity	 sev;
	int				 dane_only;
	enum check_result_name		 check;
};

/* DANE-TA(2) chains are verified by OpenSSL, in check_x509.c. */
static const struct check_dane_verifier	 x509_verifier = {
	check_x509_dane_ta
};

/*
 * mx-dane's first step for an MX host: its TLSA records (RFC 7672
 * §2.2.3), loaded into s if authenticated.  1 if they are, so that each
 * address's STARTTLS is to be compared with them; else 0 after saying
 * what a DANE sender makes of the answer.
 */
static int
mx_dane_lookup(struct check_domain_thread *th,
    const struct check_domain_options *o, const char *mx,
    struct check_dns_answer *t, struct check_dane_set *s,
    struct check_result *r)
{
	char	 name[DNAME_MAX + 16];

	snprintf(name, sizeof(name), "_%u._tcp.%s", o->smtp_port, mx);
	check_dns_tlsa(th->dns, name, t);
	check_result_ran(r, CHECK_RESULT_MX_DANE);
	if (t->status == CHECK_DNS_NXDOMAIN ||
	    (t->status == CHECK_DNS_OK && t->nrdata == 0))
		return 0;	/* no DANE: MTA-STS is what senders use */
	if (t->status != CHECK_DNS_OK) {
		/*
		 * RFC 7672 §2.1.2: a TLSA lookup that fails, a validation
		 * failure (bogus, §2.1.1) included, makes DANE senders
		 * treat the host as unreachable, not drop to MTA-STS.
		 */
		check_result_add(r, CHECK_RESULT_MX_DANE, CHECK_RESULT_UNKNOWN,
		    "%s TLSA: %s (with a signed zone, a DNSSEC validation "
		    "failure), so it could not be checked, and DANE senders "
		    "treat %s as unreachable (RFC 7672 §2.1.2)", name,
		    check_dns_strerror(t), mx);
		return 0;
	}
	/* glibc's rule: no trust-ad, no AD (RFC 4033 §7). */
	if (t->ad_ignored) {
		check_result_add(r, CHECK_RESULT_MX_DANE, CHECK_RESULT_WARNING,
		    "%s has %zu TLSA record%s and the resolver says %s "
		    "authenticated (AD), but /etc/resolv.conf has no \"options "
		    "trust-ad\", so that is not believed, as glibc does not, "
		    "and %s not checked against %s's certificate: add the "
		    "option if that resolver validates and the path to it is "
		    "trusted (loopback)", name, t->nrdata,
		    t->nrdata == 1 ? "" : "s", t->nrdata == 1 ? "it is" :
		    "they are", t->nrdata == 1 ? "it was" : "they were", mx);
		return 0;
	}
	if (!t->authenticated) {
		/* RFC 7672 §2.2: insecure TLSA records are not used. */
		check_result_add(r, CHECK_RESULT_MX_DANE, CHECK_RESULT_WARNING,
		    "%s has %zu TLSA record%s, but the answer is not "
		    "authenticated by DNSSEC (no AD bit: an unsigned zone, or a "
		    "resolver that does not validate), so DANE senders ignore "
		    "%s and use MTA-STS for %s (RFC 7672 §2.2)", name,
		    t->nrdata, t->nrdata == 1 ? "" : "s",
		    t->nrdata == 1 ? "it" : "them", mx);
		return 0;
	}
	/* RFC 7672 §2.2: usable or not, they make TLS mandatory. */
	(void)check_dane_load(s, mx, o->smtp_port, t->rdata, t->nrdata,
	    &x509_verifier, r);
	return s->ntlsa > 0;
}

/* mx-tls for what STARTTLS at one address (what) gave. */
static void
mx_tls_said(const struct mx_how *how, const char *mx, const char *what,
    const struct check_smtp_answer *s, struct check_result *r)
{
	switch (s->status) {
	case CHECK_SMTP_OK:
		expiry(r, CHECK_RESULT_MX_TLS, how->sev, what, &s->expiry);
		check_result_expiry(r, CHECK_RESULT_MX_TLS, mx,
		    (int64_t)s->expiry.not_after);
		break;
	case CHECK_SMTP_CONNECT:
		check_result_add(r, CHECK_RESULT_MX_TLS, how->sev, "%s: %s",
		    what, s->error);
		break;
	case CHECK_SMTP_NO_STARTTLS:
		check_result_add(r, CHECK_RESULT_MX_TLS, how->sev, "%s: %s, "
		    "so senders %s (RFC 8461 §4.2)", what, s->error,
		    how->sev == CHECK_RESULT_CRITICAL ? "will not deliver" :
		    "report a failure");
		break;
	case CHECK_SMTP_TLS:
		check_result_add(r, CHECK_RESULT_MX_TLS, how->sev, "%s: %s "
		    "(RFC 8461 §4.2 wants TLS 1.2 or later and a certificate "
		    "valid for %s)", what, s->error, mx);
		break;
	}
}

/*
 * mx-dane for what STARTTLS at one address (what) gave, against the
 * host's authenticated TLSA records.
 */
static void
mx_dane_said(const struct mx_how *how, const char *what,
    struct check_dane_set *dane, const struct check_smtp_answer *s,
    struct check_result *r)
{
	switch (s->status) {
	case CHECK_SMTP_CONNECT:
		/* Not DANE's to judge; mx-tls says so, but in mode none. */
		if (how->dane_only)
			check_result_add(r, CHECK_RESULT_MX_DANE,
			    CHECK_RESULT_WARNING, "%s: %s, so the TLSA records "
			    "at %s were not checked there", what, s->error,
			    dane->name);
		break;
	case CHECK_SMTP_NO_STARTTLS:
		check_dane_address(dane, what, s->error, NULL, 0, r);
		break;
	case CHECK_SMTP_TLS:
	case CHECK_SMTP_OK:
		/*
		 * A certificate MTA-STS refuses may still be one a TLSA
		 * record vouches for; a handshake that failed is no TLS.
		 */
		check_dane_address(dane, what, s->tls_done ? NULL : s->error,
		    s->presented, s->npresented, r);
		break;
	}
}

/* mx-tls, if checked, for the answer for an MX host's addresses. */
static void
mx_addrs_said(struct check_domain_thread *th, const struct mx_how *how,
    const char *mx, const struct check_dns_answer *a,
    struct check_result *r)
{
	char	 what[DNAME_MAX + 64];

	if (a->late) {
		snprintf(what, sizeof(what), "the AAAA records of %s %s",
		    how->kind, mx);
		(void)late(th, r, how->check, what);
	}
	if (how->dane_only)
		return;	/* no address, no TLSA lookup (RFC 7672 §2.2.2) */
	if (a->status == CHECK_DNS_NOSERVER)
		check_result_add(r, CHECK_RESULT_MX_TLS, CHECK_RESULT_UNKNOWN,
		    "%s %s A/AAAA: %s, so it could not be checked", how->kind,
		    mx, check_dns_strerror(a));
	else if (a->status == CHECK_DNS_TIMEOUT ||
	    a->status == CHECK_DNS_ERROR)
		check_result_add(r, CHECK_RESULT_MX_TLS, how->sev,
		    "%s %s A/AAAA: %s", how->kind, mx, check_dns_strerror(a));
	else if (a->nstrings == 0 && !a->late)
		check_result_add(r, CHECK_RESULT_MX_TLS, how->sev, "%s %s has "
		    "no A or AAAA record", how->kind, mx);
}

/*
 * mx-tls for one MX host (unless mode none), and its mx-dane: STARTTLS
 * at each address, the one connection both checks judge.
 */
static void
mx_host(struct check_domain_thread *th, const struct check_domain_options *o,
    const struct mx_how *how, const char *mx, struct check_result *r)
{
	struct check_dns_answer		 a, t;
	struct check_smtp_answer	 s;
	struct check_dane_set		 dane;
	char				 what[DNAME_MAX + 64];
	size_t				 i, n;
	int				 tlsa = 0;

	snprintf(what, sizeof(what), "%s %s", how->kind, mx);
	if (late(th, r, how->check, what))
		return;
	memset(&t, 0, sizeof(t));
	memset(&dane, 0, sizeof(dane));
	/* In mode none, only mx-dane is made at the MX hosts. */
	if (!how->dane_only)
		check_result_ran(r, CHECK_RESULT_MX_TLS);
	check_dns_addrs(th->dns, mx, &a, th->deadline);
	mx_addrs_said(th, how, mx, &a, r);
	if (a.nstrings > 0 && clock_ms() < th->deadline)
		tlsa = mx_dane_lookup(th, o, mx, &t, &dane, r);
	/* In mode none, nothing to connect for without TLSA records. */
	n = how->dane_only && !tlsa ? 0 : a.nstrings;
	if (n > CHECK_MAX_ADDRS)
		check_result_add(r, how->check, CHECK_RESULT_WARNING, "%s has "
		    "%zu addresses; only the first %d were checked", what, n,
		    CHECK_MAX_ADDRS);
	for (i = 0; i < n && i < CHECK_MAX_ADDRS; i++) {
		snprintf(what, sizeof(what), "%s %s at %s port %u", how->kind,
		    mx, a.strings[i], o->smtp_port);
		if (late(th, r, how->check, what))
			break;
		check_smtp_starttls(mx, a.strings[i], o->smtp_port, &s);
		if (!how->dane_only)
			mx_tls_said(how, mx, what, &s, r);
		if (tlsa)
			mx_dane_said(how, what, &dane, &s, r);
		check_smtp_answer_free(&s);
	}
	if (tlsa)
		check_dane_done(&dane, r);
	free(dane.tlsa);
	check_dns_answer_free(&t);
	check_dns_answer_free(&a);
}

/* MX hosts in the order senders try them: preference, then name. */
static int
mx_order(const void *a, const void *b)
{
	const struct check_dns_mx	*x = a, *y = b;

	if (x->preference != y->preference)
		return x->preference < y->preference ? -1 : 1;
	return strcmp(x->host, y->host);
}

/*
 * mx-coverage for the MX hosts, sorted: each host an mx pattern must
 * match, each pattern a host must match.
 */
static void
mx_coverage(const struct check_domain_target *d,
    const struct check_policy *want, const struct check_dns_answer *a,
    enum check_result_severity sev, struct check_result *r)
{
	const char		*host, *senders;
	enum dname_error	 e;
	size_t			 i, j;
	int			 hit;

	senders = sev == CHECK_RESULT_CRITICAL ? "refuse to deliver there" :
	    "report failures";
	for (i = 0; i < a->nmx; i++) {
		host = a->mx[i].host;
		for (hit = 0, j = 0; j < want->nmx && !hit; j++)
			hit = check_mx_match(want->mx[j], host);
		if (hit)
			continue;
		/* A name no policy can hold (an IP address, a "_"). */
		e = dname_check(host, strlen(host), 0);
		if (e != DNAME_OK)
			check_result_add(r, CHECK_RESULT_MX_COVERAGE, sev,
			    "MX host %s matches no mx pattern of the %s "
			    "policy, so senders %s, and no policy can name it "
			    "(%s): fix the MX record", host, want->mode,
			    senders, dname_strerror(e));
		else
			check_result_add(r, CHECK_RESULT_MX_COVERAGE, sev,
			    "MX host %s matches no mx pattern of the %s "
			    "policy, so senders %s: add \"mx = %s\" to this "
			    "config or fix the MX record", host, want->mode,
			    senders, host);
	}
	for (j = 0; j < want->nmx; j++) {
		for (hit = 0, i = 0; i < a->nmx && !hit; i++)
			hit = check_mx_match(want->mx[j], a->mx[i].host);
		if (!hit)
			check_result_add(r, CHECK_RESULT_MX_COVERAGE,
			    CHECK_RESULT_WARNING, "mx pattern %s matches no MX "
			    "host of %s: remove it or check the MX records",
			    want->mx[j], d->name);
	}
}

/* mx-tls (or mx-dane alone) for the first CHECK_MAX_MX_TLS MX hosts, sorted. */
static void
mx_tls_hosts(struct check_domain_thread *th,
    const struct check_domain_options *o, const struct check_domain_target *d,
    const struct check_dns_answer *a, const struct mx_how *how,
    struct check_result *r)
{
	size_t	 i;

	if (a->nmx > CHECK_MAX_MX_TLS)
		check_result_add(r, how->check, CHECK_RESULT_WARNING,
		    "%s has %zu MX hosts; the TLS of only the first %d (by "
		    "preference) was checked", d->name, a->nmx,
		    CHECK_MAX_MX_TLS);
	for (i = 0; i < a->nmx && i < CHECK_MAX_MX_TLS && !th->late; i++)
		if (a->mx[i].host[0] != '\0')
			mx_host(th, o, how, a->mx[i].host, r);
}

/*
 * mx-coverage and mx-tls for a domain with no MX record: senders deliver
 * to the domain itself, the implicit MX (RFC 5321 §5.1), and match it
 * against the mx patterns like any MX host (RFC 8461 §4.1); DANE
 * senders look up its TLSA records like any MX host's (RFC 7672 §2.2.2).
 */
static void
implicit_mx(struct check_domain_thread *th,
    const struct check_domain_options *o, const struct check_domain_target *d,
    const struct check_policy *want, const struct mx_how *how,
    struct check_result *r)
{
	struct mx_how	 implicit = *how;
	size_t		 j;
	int		 hit;

	implicit.kind = "implicit MX host";
	for (hit = 0, j = 0; j < want->nmx && !hit && !how->dane_only; j++)
		hit = check_mx_match(want->mx[j], d->name);
	if (!hit && !how->dane_only)
		check_result_add(r, CHECK_RESULT_MX_COVERAGE, how->sev, "%s "
		    "has no MX record, so senders deliver to %s itself (the "
		    "implicit MX, RFC 5321 §5.1), which matches no mx pattern "
		    "of the %s policy, so senders %s: publish MX records or "
		    "add \"mx = %s\" to this config", d->name, d->name,
		    want->mode, how->sev == CHECK_RESULT_CRITICAL ? "refuse "
		    "to deliver there" : "report failures", d->name);
	for (j = 0; j < want->nmx && !how->dane_only; j++)
		if (!check_mx_match(want->mx[j], d->name))
			check_result_add(r, CHECK_RESULT_MX_COVERAGE,
			    CHECK_RESULT_WARNING, "mx pattern %s matches no "
			    "MX host of %s: remove it or check the MX records",
			    want->mx[j], d->name);
	if (!o->no_smtp)
		mx_host(th, o, &implicit, d->name, r);
}

/*
 * mx-coverage and mx-tls, or in mode none mx-dane alone; -1 if DNS did
 * not answer.
 */
static int
mx_hosts(struct check_domain_thread *th, const struct check_domain_options *o,
    const struct check_domain_target *d, const struct check_policy *want,
    struct check_result *r)
{
	struct check_dns_answer	 a;
	struct mx_how		 how;

	how.kind = "MX host";
	how.dane_only = strcmp(want->mode, "none") == 0;
	how.check = how.dane_only ? CHECK_RESULT_MX_DANE : CHECK_RESULT_MX_TLS;
	how.sev = strcmp(want->mode, "enforce") == 0 ? CHECK_RESULT_CRITICAL :
	    CHECK_RESULT_WARNING;
	if (how.dane_only && o->no_smtp)
		return 0;	/* mx-dane needs STARTTLS */
	check_result_ran(r, how.dane_only ? CHECK_RESULT_MX_DANE :
	    CHECK_RESULT_MX_COVERAGE);
	check_dns_mx(th->dns, d->name, &a);
	if (dns_stops(&a)) {
		dns_dead(th, r, how.dane_only ? CHECK_RESULT_MX_DANE :
		    CHECK_RESULT_MX_COVERAGE, d->name, "MX", &a);
		check_dns_answer_free(&a);
		return -1;
	}
	if (a.status == CHECK_DNS_ERROR && how.dane_only)
		/* RFC 7672 §2.1.2: no MX host known, mail waits. */
		check_result_add(r, CHECK_RESULT_MX_DANE, CHECK_RESULT_UNKNOWN,
		    "%s MX: %s, so no MX host's TLSA records could be "
		    "checked, and DANE senders defer mail (RFC 7672 §2.1.2)",
		    d->name, check_dns_strerror(&a));
	else if (a.status == CHECK_DNS_ERROR)
		check_result_add(r, CHECK_RESULT_MX_COVERAGE, how.sev,
		    "%s MX: %s", d->name, check_dns_strerror(&a));
	else if (a.nmx == 0)
		implicit_mx(th, o, d, want, &how, r);
	else if (a.nmx == 1 && a.mx[0].host[0] == '\0') {
		if (!how.dane_only)
			check_result_add(r, CHECK_RESULT_MX_COVERAGE,
			    CHECK_RESULT_WARNING, "%s has a null MX (RFC "
			    "7505): it accepts no mail, so its policy "
			    "protects nothing", d->name);
	} else {
		qsort(a.mx, a.nmx, sizeof(*a.mx), mx_order);
		if (!how.dane_only)
			mx_coverage(d, want, &a, how.sev, r);
		if (!o->no_smtp)
			mx_tls_hosts(th, o, d, &a, &how, r);
	}
	check_dns_answer_free(&a);
	return 0;
}

void
check_domain_run(struct check_domain_thread *th,
    const struct check_domain_options *o,
    const struct check_domain_target *d, struct check_result *r)
{
	struct check_policy	 want;
	const char		*body;
	char			 err[256];
	size_t			 len;

	r->domain = d->name;
	th->deadline = clock_ms() + 1000 * (int64_t)CHECK_TIMEOUT_DOMAIN;
	th->late = 0;
	/* -p answers "is the policy served?": not checked is not yes. */
	th->late_sev = o->policy_only ? CHECK_RESULT_UNKNOWN :
	    CHECK_RESULT_WARNING;
	body = policy_body(d->policy, &len);
	if (check_policy_parse(&want, body, len, err, sizeof(err)) == -1) {
		/* Cannot happen: conf.c validated what policy.c rendered. */
		check_result_add(r, CHECK_RESULT_POLICY_FETCH,
		    CHECK_RESULT_UNKNOWN, "this config's "
		    "own policy does not parse: %s", err);
		return;
	}
	/*
	 * -p: whether the policy host serves this config, and nothing
	 * else, so that the exit status alone answers it (the publishing
	 * workflow waits on that before it publishes the id, RFC 8461 §8.1).
	 */
	if (o->policy_only)
		(void)fetch_policy(th, d, &want, r);
	else if (sts_record(th, d, r) == 0 && tlsrpt_record(th, d, r) == 0 &&
	    fetch_policy(th, d, &want, r) == 0)
		mx_hosts(th, o, d, &want, r);
	check_policy_free(&want);
}
