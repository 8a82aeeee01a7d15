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
 * per thread until the next check_x509_chain_reset.
 */
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
