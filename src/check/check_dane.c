/* SPDX-License-Identifier: ISC */
/*
 * DANE beside MTA-STS.  Senders that support DANE for SMTP (RFC 7672:
 * Postfix, Exim, many providers) use an MX host's DNSSEC-signed TLSA
 * records instead of MTA-STS for that host (RFC 8461 §2), so a
 * certificate renewed without its TLSA record stops their mail while
 * every MTA-STS check stays green.  Here a TLSA record's data is parsed
 * (RFC 6698 §2.1), compared with the certificates the MX host presented
 * over STARTTLS as those senders compare them, and what they would do is
 * said.  Pure: the records come as bytes from check_dns.c, the
 * certificates as DER from check_x509.c, SHA-2 from libmd.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sha2.h>

#include "check/check.h"

#define SHOW_BYTES	32	/* of a record's data shown, in hex */

/* "3 1 1 0a1b..." for messages: the fields, then the data (cut short). */
static void
show(char *buf, size_t size, const unsigned char *rd, size_t len)
{
	size_t	 i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < len && i < 3 + SHOW_BYTES && n + 8 < size; i++)
		n += (size_t)snprintf(buf + n, size - n, i < 3 ? "%u " : "%02x",
		    rd[i]);
	if (i < len && n + 4 < size)
		snprintf(buf + n, size - n, "...");
	else if (n > 0 && buf[n - 1] == ' ')
		buf[n - 1] = '\0';
}

enum check_dane_parse
check_dane_parse(const unsigned char *rd, size_t len,
    struct check_dane_tlsa *t, char *why, size_t whysize)
{
	static const char *const	 pkix[] = { "PKIX-TA", "PKIX-EE" };
	static const size_t		 digest[] = { 0, SHA256_DIGEST_LENGTH,
	    SHA512_DIGEST_LENGTH };

	memset(t, 0, sizeof(*t));
	why[0] = '\0';
	t->kind = CHECK_DANE_MALFORMED;
	/*
	 * RFC 6698 §2.1: a usage, a selector and a matching type, one byte
	 * each, then the certificate association data.
	 */
	if (len < 4) {
		snprintf(why, whysize, "%zu byte%s of data, too short for a "
		    "usage, a selector, a matching type and data to match "
		    "(RFC 6698 §2.1), so senders cannot use it", len,
		    len == 1 ? "" : "s");
		return t->kind;
	}
	t->usage = rd[0];
	t->selector = rd[1];
	t->mtype = rd[2];
	t->data = rd + 3;
	t->len = len - 3;
	/* RFC 6698 §2.1.3: a digest is exactly its algorithm's length. */
	if (t->mtype >= 1 && t->mtype <= 2 && t->len != digest[t->mtype]) {
		snprintf(why, whysize, "matching type %u (%s) with %zu bytes "
		    "of data, not %zu (RFC 6698 §2.1.3), so senders cannot use "
		    "it", t->mtype, t->mtype == 1 ? "SHA-256" : "SHA-512",
		    t->len, digest[t->mtype]);
		return t->kind;
	}
	t->kind = CHECK_DANE_UNUSABLE;
	if (t->usage <= 1)
		/* RFC 7672 §3.1.3: no PKIX usages for SMTP. */
		snprintf(why, whysize, "usage %u (%s) is not for SMTP: DANE "
		    "senders treat it as unusable (RFC 7672 §3.1.3); publish "
		    "usage 3 (DANE-EE) or 2 (DANE-TA)", t->usage,
		    pkix[t->usage]);
	else if (t->usage > 3)
		snprintf(why, whysize, "usage %u is none of those RFC 6698 "
		    "§2.1.1 defines: senders treat it as unusable", t->usage);
	else if (t->selector > 1)
		snprintf(why, whysize, "selector %u is neither 0 (the whole "
		    "certificate) nor 1 (its public key) (RFC 6698 §2.1.2): "
		    "senders treat it as unusable", t->selector);
	else if (t->mtype > 2)
		snprintf(why, whysize, "matching type %u is none of 0 (exact), "
		    "1 (SHA-256) and 2 (SHA-512) (RFC 6698 §2.1.3): senders "
		    "treat it as unusable", t->mtype);
	else
		t->kind = CHECK_DANE_USABLE;
	return t->kind;
}

/* One certificate against one record's selector and matching type. */
static int
matches(const struct check_dane_tlsa *t, const struct check_dane_cert *c)
{
	/* RFC 6698 §2.1.2: the whole certificate, or its SPKI. */
	const unsigned char	*b = t->selector == 0 ? c->der : c->spki;
	size_t			 n = t->selector == 0 ? c->der_len : c->spki_len;
	uint8_t			 d[SHA512_DIGEST_LENGTH];
	SHA2_CTX		 ctx;

	if (b == NULL)
		return 0;
	/* RFC 6698 §2.1.3: the bytes themselves, or their digest. */
	switch (t->mtype) {
	case 0:
		return n == t->len && memcmp(b, t->data, n) == 0;
	case 1:
		SHA256Init(&ctx);
		SHA256Update(&ctx, b, n);
		SHA256Final(d, &ctx);
		return t->len == SHA256_DIGEST_LENGTH &&
		    memcmp(d, t->data, SHA256_DIGEST_LENGTH) == 0;
	case 2:
		SHA512Init(&ctx);
		SHA512Update(&ctx, b, n);
		SHA512Final(d, &ctx);
		return t->len == SHA512_DIGEST_LENGTH &&
		    memcmp(d, t->data, SHA512_DIGEST_LENGTH) == 0;
	}
	return 0;
}

int
check_dane_match(const struct check_dane_tlsa *t,
    const struct check_dane_cert *certs, size_t n)
{
	size_t	 i;

	if (t->kind != CHECK_DANE_USABLE || n == 0)
		return 0;
	/* RFC 7672 §3.1.1: DANE-EE(3) is the leaf's, and only the leaf's. */
	if (t->usage == 3)
		return matches(t, &certs[0]);
	/*
	 * RFC 7672 §3.1.2: DANE-TA(2) names a CA of the chain the server
	 * presents (it must send that certificate, even a root's).
	 */
	for (i = 1; i < n; i++)
		if (matches(t, &certs[i]))
			return 1;
	return 0;
}

int
check_dane_record(char *buf, size_t size, const char *name,
    const struct check_dane_cert *leaf)
{
	uint8_t		 d[SHA256_DIGEST_LENGTH];
	char		 hex[2 * SHA256_DIGEST_LENGTH + 1];
	SHA2_CTX	 ctx;
	size_t		 i;
	int		 n;

	if (leaf->spki == NULL)
		return -1;
	SHA256Init(&ctx);
	SHA256Update(&ctx, leaf->spki, leaf->spki_len);
	SHA256Final(d, &ctx);
	for (i = 0; i < sizeof(d); i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	/* RFC 7672 §3.1.1: DANE-EE(3) SPKI(1) SHA2-256(1), as recommended. */
	n = snprintf(buf, size, "%s. IN TLSA 3 1 1 %s", name, hex);
	return n < 0 || (size_t)n >= size ? -1 : n;
}

size_t
check_dane_load(struct check_dane_set *s, const char *host, unsigned port,
    const struct check_dns_rdata *rd, size_t n, struct check_result *r)
{
	char	 why[256], shown[3 * 4 + 2 * SHOW_BYTES + 8];
	size_t	 i;

	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "_%u._tcp.%s", port, host);
	s->host = host;
	if (n == 0)
		return 0;
	if ((s->tlsa = calloc(n, sizeof(*s->tlsa))) == NULL) {
		r->nomem = 1;
		return 0;
	}
	s->ntlsa = n;
	for (i = 0; i < n; i++) {
		if (check_dane_parse(rd[i].data, rd[i].len, &s->tlsa[i], why,
		    sizeof(why)) == CHECK_DANE_USABLE) {
			s->usable++;
			continue;
		}
		show(shown, sizeof(shown), rd[i].data, rd[i].len);
		check_result_add(r, CHECK_RESULT_MX_DANE, CHECK_RESULT_WARNING,
		    "TLSA record %s %s: %s", s->name, shown, why);
	}
	/*
	 * RFC 7672 §2.2: a signed TLSA RRset with no usable record still
	 * makes TLS mandatory, but nothing is authenticated.
	 */
	if (s->usable == 0)
		check_result_add(r, CHECK_RESULT_MX_DANE, CHECK_RESULT_WARNING,
		    "none of the %zu TLSA record%s at %s is usable, so DANE "
		    "senders insist on TLS with %s but authenticate no "
		    "certificate (RFC 7672 §2.2)", n, n == 1 ? "" : "s",
		    s->name, host);
	return s->usable;
}

void
check_dane_address(struct check_dane_set *s, const char *what,
    const struct check_dane_cert *certs, size_t n, struct check_result *r)
{
	char	 rec[DNAME_MAX + 128];
	size_t	 i;
	int	 any = 0;

	if (s->usable == 0 || n == 0)
		return;
	s->compared = 1;
	for (i = 0; i < s->ntlsa; i++)
		if (check_dane_match(&s->tlsa[i], certs, n)) {
			s->tlsa[i].matched = 1;
			any = 1;
		}
	if (any)
		return;
	if (check_dane_record(rec, sizeof(rec), s->name, &certs[0]) == -1)
		snprintf(rec, sizeof(rec), "(a record for its key: the "
		    "certificate could not be read)");
	/*
	 * RFC 7672 §3: with usable records, a DANE sender authenticates
	 * the server by them or not at all, and does not deliver.
	 */
	check_result_add(r, CHECK_RESULT_MX_DANE, CHECK_RESULT_CRITICAL,
	    "%s: the certificate chain presented matches none of the %zu "
	    "usable TLSA record%s at %s, so DANE senders (Postfix, Exim) will "
	    "not deliver there (RFC 7672 §3); publish: %s", what, s->usable,
	    s->usable == 1 ? "" : "s", s->name, rec);
}

void
check_dane_done(struct check_dane_set *s, struct check_result *r)
{
	char	 shown[3 * 4 + 2 * SHOW_BYTES + 8];
	size_t	 i;
	int	 any = 0;

	for (i = 0; i < s->ntlsa; i++)
		any |= s->tlsa[i].matched;
	/*
	 * RFC 7672 §4: a key is rolled over by publishing the next key's
	 * record beside the current one, then switching, then retiring the
	 * old record.  A usable record that matches nothing presented,
	 * while another record does, is that rollover half done: harmless
	 * today, and the next mistake's cause if forgotten.
	 */
	for (i = 0; any && s->compared && i < s->ntlsa; i++) {
		if (s->tlsa[i].kind != CHECK_DANE_USABLE ||
		    s->tlsa[i].matched)
			continue;
		show(shown, sizeof(shown), s->tlsa[i].data - 3,
		    s->tlsa[i].len + 3);
		check_result_add(r, CHECK_RESULT_MX_DANE, CHECK_RESULT_WARNING,
		    "TLSA record %s %s matches no certificate %s presents, "
		    "while another record does: a key rollover half done (a "
		    "retired key's record left behind, or the next key's "
		    "published before it is in use); DANE senders deliver, but "
		    "remove it once it names no key in use or to come (RFC "
		    "7672 §4)", s->name, shown, s->host);
	}
	free(s->tlsa);
	s->tlsa = NULL;
	s->ntlsa = s->usable = 0;
}

void
check_dane_certs_free(struct check_dane_cert *c, size_t n)
{
	size_t	 i;

	for (i = 0; c != NULL && i < n; i++) {
		free(c[i].der);
		free(c[i].spki);
	}
	free(c);
}
