/* SPDX-License-Identifier: ISC */
/*
 * The policy fetch as a sender makes it (RFC 8461 §3.3): HTTPS GET of
 * /.well-known/mta-sts.txt, TLS 1.2 or later, the certificate verified
 * for the policy host, no redirect followed, a few seconds at most.  The
 * connection is pinned to one address (CURLOPT_RESOLVE) so that every
 * address of the policy host is checked on its own.  One easy handle per
 * thread: its CA store is loaded once and reused.  A verify callback in
 * libcurl's OpenSSL context notes the chain's earliest expiry and whether
 * the leaf names its host in a subjectAltName: libcurl itself would take
 * the subject's CN.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/ssl.h>

#include "check/check.h"

struct check_https {
	CURL		*curl;
	char		*cafile;
};

int
check_https_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void
check_https_cleanup(void)
{
	curl_global_cleanup();
}

struct check_https *
check_https_new(const char *cafile)
{
	struct check_https	*h;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	if ((h->curl = curl_easy_init()) == NULL ||
	    (cafile != NULL && (h->cafile = strdup(cafile)) == NULL)) {
		check_https_free(h);
		return NULL;
	}
	return h;
}

void
check_https_free(struct check_https *h)
{
	if (h == NULL)
		return;
	if (h->curl != NULL)
		curl_easy_cleanup(h->curl);
	free(h->cafile);
	free(h);
}

void
check_https_answer_free(struct check_https_answer *f)
{
	free(f->body);
	f->body = NULL;
}

static size_t
body_write(char *data, size_t size, size_t n, void *arg)
{
	struct check_https_answer	*f = arg;
	size_t			 len = size * n;
	char			*p;

	/* Senders stop reading at 64 KiB: so do we. */
	if (f->body_len + len > CHECK_MAX_BODY) {
		f->too_large = 1;
		return 0;
	}
	if ((p = realloc(f->body, f->body_len + len + 1)) == NULL)
		return 0;
	f->body = p;
	memcpy(f->body + f->body_len, data, len);
	f->body_len += len;
	f->body[f->body_len] = '\0';
	return len;
}

/*
 * Each header line as it arrives: a sender reads the first or the last
 * of a repeated header, where CURLINFO_CONTENT_TYPE keeps only the last.
 */
static size_t
header_note(char *data, size_t size, size_t n, void *arg)
{
	struct check_https_answer	*f = arg;

	check_policy_header(&f->headers, data, size * n);
	return size * n;
}

/* libcurl's OpenSSL context for a connection: our callback added. */
static CURLcode
ssl_ctx_note(CURL *curl, void *ctx, void *arg)
{
	(void)curl;
	(void)arg;
	SSL_CTX_set_verify(ctx, SSL_CTX_get_verify_mode(ctx),
	    check_x509_verify_note);
	return CURLE_OK;
}

static int
is_tls_error(CURLcode c)
{
	switch (c) {
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		return 1;
	default:
		return 0;
	}
}

/*
 * The options of one fetch, on the thread's easy handle: the URL pinned
 * to one address, HTTPS only, TLS 1.2 or later verified for the host,
 * the bounds, and the body into f.
 */
static void
fetch_options(struct check_https *h, const char *url,
    struct curl_slist *resolve, char *errbuf, struct check_https_answer *f)
{
	CURL	*curl = h->curl;

	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_RESOLVE, resolve);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	/*
	 * RFC 8461 §3.3: redirects are not followed.  Nor are HTTP caches
	 * used, which needs nothing here: libcurl keeps none.
	 */
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT,
	    (long)CHECK_TIMEOUT_CONNECT);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)CHECK_TIMEOUT_HTTPS);
	curl_easy_setopt(curl, CURLOPT_SSLVERSION,
	    (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(curl, CURLOPT_SSL_CTX_FUNCTION, ssl_ctx_note);
	/* Senders connect to the policy host, never through a proxy. */
	curl_easy_setopt(curl, CURLOPT_PROXY, "");
	if (h->cafile != NULL) {
		curl_easy_setopt(curl, CURLOPT_CAINFO, h->cafile);
		curl_easy_setopt(curl, CURLOPT_CAPATH, NULL);
	}
	/* Each address its own connection: never one kept from another. */
	curl_easy_setopt(curl, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(curl, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)CHECK_MAX_BODY);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, body_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, header_note);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, f);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, CHECK_PROGNAME "/" VERSION);
}

/*
 * A fetch the server answered (c is CURLE_OK, or the body was cut
 * short): the certificate's subjectAltName, then the response into f.
 */
static void
fetch_answered(CURL *curl, CURLcode c, struct check_https_answer *f)
{
	const char	*loc = NULL;

	if (check_x509_chain_seen()->leaf_seen &&
	    !check_x509_chain_seen()->leaf_san) {
		f->tls_failed = f->failed = 1;
		snprintf(f->error, sizeof(f->error), "the certificate has no "
		    "subjectAltName DNS name (a name only in the subject's CN "
		    "does not count, RFC 9525; many senders reject it)");
		return;
	}
	f->expiry = check_x509_chain_seen()->expiry;
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &f->status);
	if (curl_easy_getinfo(curl, CURLINFO_REDIRECT_URL, &loc) ==
	    CURLE_OK && loc != NULL)
		snprintf(f->location, sizeof(f->location), "%s", loc);
	if (c == CURLE_FILESIZE_EXCEEDED)
		f->too_large = 1;
	if (c == CURLE_WRITE_ERROR && !f->too_large) {
		f->failed = 1;
		snprintf(f->error, sizeof(f->error), "out of memory");
	}
}

/* A fetch with no answer: why, in the words a sender's admin needs. */
static void
fetch_failed(CURL *curl, CURLcode c, const char *errbuf,
    struct check_https_answer *f)
{
	const char	*msg, *p;
	long		 oserr = 0;
	curl_off_t	 tls_done = 0;

	f->tls_failed = is_tls_error(c);
	f->failed = 1;
	msg = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(c);
	/* "OpenSSL/3.0.19: error:..." says nothing about the peer. */
	if (strncmp(msg, "OpenSSL/", 8) == 0 &&
	    (p = strstr(msg, ": ")) != NULL)
		msg = p + 2;
	/* libcurl's connect timeout covers the TLS handshake. */
	if (c == CURLE_OPERATION_TIMEDOUT &&
	    curl_easy_getinfo(curl, CURLINFO_APPCONNECT_TIME_T,
	    &tls_done) == CURLE_OK && tls_done == 0)
		snprintf(f->error, sizeof(f->error), "no TLS handshake "
		    "within %d s (senders wait a few seconds)",
		    CHECK_TIMEOUT_CONNECT);
	else if (c == CURLE_OPERATION_TIMEDOUT)
		snprintf(f->error, sizeof(f->error), "no complete "
		    "answer within %d s (senders wait a few seconds)",
		    CHECK_TIMEOUT_HTTPS);
	else if (c == CURLE_COULDNT_CONNECT &&
	    curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &oserr) ==
	    CURLE_OK && oserr != 0)
		snprintf(f->error, sizeof(f->error), "cannot connect "
		    "to port 443: %s", strerror((int)oserr));
	else
		snprintf(f->error, sizeof(f->error), "%s%s",
		    c == CURLE_SSL_CONNECT_ERROR ? "TLS handshake "
		    "failed (TLS 1.2 or later wanted): " : "", msg);
}

void
check_https_fetch(struct check_https *h, const char *host,
    const char *address, struct check_https_answer *f)
{
	struct curl_slist	*resolve = NULL;
	char			 url[DNAME_MAX + 64], pin[DNAME_MAX + 80];
	char			 errbuf[CURL_ERROR_SIZE];
	CURLcode		 c;

	memset(f, 0, sizeof(*f));
	snprintf(url, sizeof(url), "https://%s" POLICY_PATH, host);
	snprintf(pin, sizeof(pin), strchr(address, ':') != NULL ?
	    "%s:443:[%s]" : "%s:443:%s", host, address);
	if ((resolve = curl_slist_append(NULL, pin)) == NULL) {
		f->failed = 1;
		snprintf(f->error, sizeof(f->error), "out of memory");
		return;
	}
	errbuf[0] = '\0';
	fetch_options(h, url, resolve, errbuf, f);
	/* The verify callback notes this connection's chain only. */
	check_x509_chain_reset();
	c = curl_easy_perform(h->curl);
	if (c == CURLE_OK || c == CURLE_WRITE_ERROR ||
	    c == CURLE_FILESIZE_EXCEEDED)
		fetch_answered(h->curl, c, f);
	else
		fetch_failed(h->curl, c, errbuf, f);
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_setopt(h->curl, CURLOPT_RESOLVE, NULL);
	curl_slist_free_all(resolve);
}
