/* SPDX-License-Identifier: ISC */
/*
 * A policy's exact bytes.  RFC 8461 §3.2 fields in the order version,
 * mode, mx..., max_age, each line ending in CRLF (the last one too: every
 * parser accepts that, erratum 6253), wrapped in the CGI response that a
 * request writes unchanged.  No I/O here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sha2.h>

#include "common/common.h"

#define CRLF	"\r\n"

const char *
policy_mode_name(enum policy_mode mode)
{
	switch (mode) {
	case POLICY_ENFORCE:
		return "enforce";
	case POLICY_TESTING:
		return "testing";
	case POLICY_NONE:
		return "none";
	}
	return "none";
}

size_t
policy_body_len(const struct policy_spec *spec)
{
	char	 num[32];
	size_t	 len, i;

	len = sizeof("version: STSv1" CRLF) - 1;
	len += sizeof("mode: " CRLF) - 1 + strlen(policy_mode_name(spec->mode));
	for (i = 0; i < spec->mxlen; i++) {
		len += sizeof("mx: " CRLF) - 1 + strlen(spec->mx[i]);
		if (len > POLICY_BODY_MAX)
			return 0;
	}
	len += (size_t)snprintf(num, sizeof(num), "max_age: %lu" CRLF,
	    spec->max_age);
	return len > POLICY_BODY_MAX ? 0 : len;
}

static char *
append(char *p, const char *s)
{
	size_t	 n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

int
policy_prepare(struct policy *p, const struct policy_spec *spec)
{
	char	 header[160], num[32];
	size_t	 body_len, i;
	int	 header_len;
	char	*w;

	memset(p, 0, sizeof(*p));
	if ((body_len = policy_body_len(spec)) == 0)
		return -1;
	header_len = snprintf(header, sizeof(header),
	    "Status: 200 OK" CRLF
	    "Content-Type: " POLICY_CONTENT_TYPE CRLF
	    "Content-Length: %zu" CRLF CRLF, body_len);
	if ((p->response = malloc((size_t)header_len + body_len)) == NULL)
		return -1;

	w = append(p->response, header);
	w = append(w, "version: STSv1" CRLF "mode: ");
	w = append(w, policy_mode_name(spec->mode));
	w = append(w, CRLF);
	for (i = 0; i < spec->mxlen; i++) {
		w = append(w, "mx: ");
		w = append(w, spec->mx[i]);
		w = append(w, CRLF);
	}
	snprintf(num, sizeof(num), "max_age: %lu" CRLF, spec->max_age);
	w = append(w, num);

	p->header_len = (size_t)header_len;
	p->response_len = (size_t)(w - p->response);
	policy_id(p->response + p->header_len, body_len, p->id);
	return 0;
}

void
policy_free(struct policy *p)
{
	free(p->response);
	p->response = NULL;
}

const char *
policy_body(const struct policy *p, size_t *len)
{
	*len = p->response_len - p->header_len;
	return p->response + p->header_len;
}

/*
 * RFC 8461 §3.1 wants 1-32 letters and digits that change whenever the
 * policy does.  Hashing the served bytes gives that on every host without
 * any state, and an operator can check it with
 * "curl -s https://mta-sts.example.com/.well-known/mta-sts.txt | sha256sum".
 * SHA-256 is libmd's (the BSD API OpenBSD code uses): a maintained
 * implementation rather than one of our own.
 */
void
policy_id(const char *body, size_t len, char id[POLICY_ID_LEN + 1])
{
	static const char	 hex[] = "0123456789abcdef";
	SHA2_CTX		 ctx;
	uint8_t			 digest[SHA256_DIGEST_LENGTH];
	size_t			 i;

	SHA256Init(&ctx);
	SHA256Update(&ctx, (const uint8_t *)body, len);
	SHA256Final(digest, &ctx);
	for (i = 0; i < POLICY_ID_LEN / 2; i++) {
		id[2 * i] = hex[digest[i] >> 4];
		id[2 * i + 1] = hex[digest[i] & 0xf];
	}
	id[POLICY_ID_LEN] = '\0';
}

int
policy_dns_sts(char *buf, size_t size, const char *domain, const char *id)
{
	return snprintf(buf, size, "_mta-sts.%s. IN TXT \"v=STSv1; id=%s\"\n",
	    domain, id);
}

/*
 * RFC 8460 §3.  A TXT character-string holds 255 bytes at most (RFC 1035
 * §3.3), so a long rua list is split into several strings, which
 * resolvers join back together.
 */
int
policy_dns_tlsrpt(char *buf, size_t size, const char *domain,
    const char *rua)
{
	char	 text[4096];
	size_t	 len, done = 0, n;
	int	 total, r;

	r = snprintf(text, sizeof(text), "v=TLSRPTv1; rua=%s", rua);
	if (r < 0 || (size_t)r >= sizeof(text))
		return -1;
	len = (size_t)r;
	total = snprintf(buf, size, "_smtp._tls.%s. IN TXT", domain);
	if (total < 0)
		return -1;
	while (done < len) {
		n = len - done > 255 ? 255 : len - done;
		r = snprintf((size_t)total < size ? buf + total : NULL,
		    (size_t)total < size ? size - (size_t)total : 0,
		    " \"%.*s\"", (int)n, text + done);
		if (r < 0)
			return -1;
		total += r;
		done += n;
	}
	r = snprintf((size_t)total < size ? buf + total : NULL,
	    (size_t)total < size ? size - (size_t)total : 0, "\n");
	return r < 0 ? -1 : total + r;
}
