/* SPDX-License-Identifier: ISC */
/*
 * What a verified certificate chain says, for the policy host (through
 * libcurl's OpenSSL) and the MX hosts alike: when the first certificate
 * of the chain expires, the leaf or a CA's (a sender's verification
 * fails from that day, whichever it is), and whether the leaf names its
 * host in a subjectAltName, which RFC 8461 §4.2 requires and RFC 9525
 * clients insist on: a name only in the subject's CN is not enough.
 * OpenSSL calls check_x509_verify_note for every certificate of the chain it
 * builds, in the thread that makes the connection; what it saw is kept
 * per thread until the next check_x509_chain_reset.  For DANE, the
 * certificates a server presented, verified or not, as the bytes TLSA
 * records are made from.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "check/check.h"

static _Thread_local struct check_x509_chain	 seen;

static void
expiry_note(X509 *cert, int depth, struct check_x509_expiry *e)
{
	struct tm	 tm;
	time_t		 t;

	if (cert == NULL ||
	    ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1)
		return;
	t = timegm(&tm);
	if (e->not_after == 0 || t < e->not_after) {
		e->not_after = t;
		e->ca = depth > 0;
	}
}

static int
names_in_san(X509 *cert)
{
	GENERAL_NAMES	*names;
	int		 i, dns = 0;

	if (cert == NULL)
		return 0;
	names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	for (i = 0; names != NULL && i < sk_GENERAL_NAME_num(names); i++)
		if (sk_GENERAL_NAME_value(names, i)->type == GEN_DNS)
			dns = 1;
	GENERAL_NAMES_free(names);
	return dns;
}

void
check_x509_chain_reset(void)
{
	memset(&seen, 0, sizeof(seen));
}

const struct check_x509_chain *
check_x509_chain_seen(void)
{
	return &seen;
}

int
check_x509_verify_note(int ok, struct x509_store_ctx_st *x)
{
	X509	*cert = X509_STORE_CTX_get_current_cert(x);
	int	 depth = X509_STORE_CTX_get_error_depth(x);

	expiry_note(cert, depth, &seen.expiry);
	if (depth == 0 && cert != NULL) {
		seen.leaf_seen = 1;
		seen.leaf_san = names_in_san(cert);
	}
	return ok;	/* OpenSSL (and libcurl) decide, as without us */
}

/* x's DER (i2d) into a new buffer; 0 or -1. */
static int
der(const void *x, int (*i2d)(const void *, unsigned char **),
    unsigned char **out, size_t *len)
{
	unsigned char	*p;
	int		 n;

	if ((n = i2d(x, NULL)) <= 0 || (*out = malloc((size_t)n)) == NULL)
		return -1;
	p = *out;
	if (i2d(x, &p) != n)
		return -1;
	*len = (size_t)n;
	return 0;
}

static int
i2d_cert(const void *x, unsigned char **p)
{
	return i2d_X509((X509 *)x, p);
}

static int
i2d_spki(const void *x, unsigned char **p)
{
	return i2d_X509_PUBKEY((X509_PUBKEY *)x, p);
}

int
check_x509_presented(struct stack_st_X509 *chain,
    struct check_dane_cert **out, size_t *nout)
{
	struct check_dane_cert	*c;
	X509			*x;
	int			 i, n;

	*out = NULL;
	*nout = 0;
	if (chain == NULL || (n = sk_X509_num(chain)) <= 0)
		return 0;
	if ((c = calloc((size_t)n, sizeof(*c))) == NULL)
		return -1;
	/* RFC 6698 §2.1.2: the whole certificate, and its SPKI. */
	for (i = 0; i < n; i++) {
		x = sk_X509_value(chain, i);
		if (der(x, i2d_cert, &c[i].der, &c[i].der_len) == -1 ||
		    der(X509_get_X509_PUBKEY(x), i2d_spki, &c[i].spki,
		    &c[i].spki_len) == -1) {
			check_dane_certs_free(c, (size_t)n);
			return -1;
		}
	}
	*out = c;
	*nout = (size_t)n;
	return 0;
}
