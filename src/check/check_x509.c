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
 * records are made from, and the chain a DANE-TA(2) record's CA must
 * anchor, verified here with that CA as the only trust anchor.
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
	if (!ok && seen.error == 0)
		seen.error = X509_STORE_CTX_get_error(x);
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

/* DER into a new X509, or NULL. */
static X509 *
x509_of(const struct check_dane_cert *c)
{
	const unsigned char	*p = c->der;

	return c->der == NULL ? NULL : d2i_X509(NULL, &p, (long)c->der_len);
}

/* Sets up ctx for the leaf, its chain, the anchor and host; 0 or -1. */
static int
dane_ta_ctx(X509_STORE_CTX *ctx, X509_STORE *store, X509 *leaf,
    STACK_OF(X509) *rest, const char *host)
{
	X509_VERIFY_PARAM	*p;

	if (X509_STORE_CTX_init(ctx, store, leaf, rest) != 1 ||
	    X509_STORE_CTX_set_default(ctx, "ssl_server") != 1)
		return -1;
	p = X509_STORE_CTX_get0_param(ctx);
	/*
	 * The anchor may be an intermediate CA (RFC 7672 §3.1.2), so the
	 * chain may end at it; RFC 7672 §3.2.3: the subject's CN only when
	 * no subjectAltName DNS name, a wildcard for one whole label.
	 */
	X509_VERIFY_PARAM_set_flags(p, X509_V_FLAG_PARTIAL_CHAIN);
	X509_VERIFY_PARAM_set_hostflags(p,
	    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	return X509_VERIFY_PARAM_set1_host(p, host, 0) == 1 ? 0 : -1;
}

/* Why ctx's verification failed, as a clause. */
static void
dane_ta_why(X509_STORE_CTX *ctx, const char *host, char *why,
    size_t whysize)
{
	int	 e = X509_STORE_CTX_get_error(ctx);

	if (e == X509_V_ERR_HOSTNAME_MISMATCH)
		snprintf(why, whysize, "the MX host's certificate is not valid "
		    "for %s (RFC 7672 §3.2.2)", host);
	else
		snprintf(why, whysize, "the MX host's certificate does not "
		    "verify with that CA as the only trust anchor: %s at depth "
		    "%d (RFC 7672 §3.1.2)", X509_verify_cert_error_string(e),
		    X509_STORE_CTX_get_error_depth(ctx));
}

int
check_x509_dane_ta(const struct check_dane_cert *certs, size_t n, size_t ta,
    const char *host, char *why, size_t whysize)
{
	X509_STORE	*store = NULL;
	X509_STORE_CTX	*ctx = NULL;
	STACK_OF(X509)	*rest = NULL;
	X509		*leaf = NULL, *anchor = NULL, *x;
	size_t		 i;
	int		 ok = 0;

	snprintf(why, whysize, "its chain could not be verified (out of "
	    "memory, or a certificate that does not parse)");
	if (ta == 0 || ta >= n || (leaf = x509_of(&certs[0])) == NULL ||
	    (anchor = x509_of(&certs[ta])) == NULL ||
	    (store = X509_STORE_new()) == NULL ||
	    X509_STORE_add_cert(store, anchor) != 1 ||
	    (rest = sk_X509_new_null()) == NULL ||
	    (ctx = X509_STORE_CTX_new()) == NULL)
		goto out;
	/* The others presented, as untrusted intermediates. */
	for (i = 1; i < n; i++) {
		if ((x = x509_of(&certs[i])) == NULL)
			goto out;
		if (sk_X509_push(rest, x) <= 0) {
			X509_free(x);
			goto out;
		}
	}
	if (dane_ta_ctx(ctx, store, leaf, rest, host) == -1)
		goto out;
	if ((ok = X509_verify_cert(ctx) == 1) == 0)
		dane_ta_why(ctx, host, why, whysize);
out:
	X509_STORE_CTX_free(ctx);
	sk_X509_pop_free(rest, X509_free);
	X509_STORE_free(store);
	X509_free(anchor);
	X509_free(leaf);
	return ok;
}
