/* SPDX-License-Identifier: ISC */
/*
 * A parsed report's storage: report_json.c fills one, the store writes
 * and reads one, and this frees it.
 */
#include <stdlib.h>
#include <string.h>

#include <sha2.h>

#include "tlsrpt/tlsrpt.h"

const char *
tlsrpt_via_name(enum tlsrpt_via via)
{
	return via == TLSRPT_VIA_MAIL ? "mail" : "https";
}

static void
free_lines(char **lines, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
}

void
tlsrpt_report_free(struct tlsrpt_report *r)
{
	struct tlsrpt_policy	*rp;
	struct tlsrpt_failure	*f;
	size_t			 i, k;

	for (i = 0; i < r->npolicies; i++) {
		rp = &r->policies[i];
		free(rp->policy_type);
		free(rp->policy_domain);
		free_lines(rp->policy_string, rp->npolicy_string);
		free_lines(rp->mx_host, rp->nmx_host);
		for (k = 0; k < rp->nfailures; k++) {
			f = &rp->failures[k];
			free(f->result_type);
			free(f->sending_mta_ip);
			free(f->receiving_mx_hostname);
			free(f->receiving_mx_helo);
			free(f->receiving_ip);
			free(f->additional_information);
			free(f->failure_reason_code);
		}
		free(rp->failures);
	}
	free(r->policies);
	free(r->organization);
	free(r->contact);
	free(r->report_id);
	memset(r, 0, sizeof(*r));
}

static void
digest_int(SHA2_CTX *ctx, uint64_t v)
{
	uint8_t	 b[8];
	int	 i;

	for (i = 7; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)(v & 0xff);
	SHA256Update(ctx, b, sizeof(b));
}

/* A string as its length and bytes; NULL as a length no string has. */
static void
digest_str(SHA2_CTX *ctx, const char *s)
{
	size_t	 n;

	if (s == NULL) {
		digest_int(ctx, UINT64_MAX);
		return;
	}
	n = strlen(s);
	digest_int(ctx, n);
	SHA256Update(ctx, (const uint8_t *)s, n);
}

static void
digest_strs(SHA2_CTX *ctx, char *const *v, size_t n)
{
	size_t	 i;

	digest_int(ctx, v == NULL ? UINT64_MAX : n);
	for (i = 0; v != NULL && i < n; i++)
		digest_str(ctx, v[i]);
}

static void
digest_policy(SHA2_CTX *ctx, const struct tlsrpt_policy *p)
{
	const struct tlsrpt_failure	*f;
	size_t				 i;

	digest_str(ctx, p->policy_type);
	digest_str(ctx, p->policy_domain);
	digest_strs(ctx, p->policy_string, p->npolicy_string);
	digest_strs(ctx, p->mx_host, p->nmx_host);
	digest_int(ctx, (uint64_t)p->successful);
	digest_int(ctx, (uint64_t)p->failed);
	digest_int(ctx, p->nfailures);
	for (i = 0; i < p->nfailures; i++) {
		f = &p->failures[i];
		digest_str(ctx, f->result_type);
		digest_str(ctx, f->sending_mta_ip);
		digest_str(ctx, f->receiving_mx_hostname);
		digest_str(ctx, f->receiving_mx_helo);
		digest_str(ctx, f->receiving_ip);
		digest_int(ctx, (uint64_t)f->count);
		digest_str(ctx, f->additional_information);
		digest_str(ctx, f->failure_reason_code);
	}
}

void
tlsrpt_report_digest(struct tlsrpt_report *r)
{
	static const char	 hex[] = "0123456789abcdef";
	SHA2_CTX		 ctx;
	uint8_t			 d[SHA256_DIGEST_LENGTH];
	size_t			 i;

	SHA256Init(&ctx);
	digest_str(&ctx, r->organization);
	digest_str(&ctx, r->contact);
	digest_str(&ctx, r->report_id);
	digest_int(&ctx, (uint64_t)r->begin);
	digest_int(&ctx, (uint64_t)r->end);
	digest_int(&ctx, r->npolicies);
	for (i = 0; i < r->npolicies; i++)
		digest_policy(&ctx, &r->policies[i]);
	SHA256Final(d, &ctx);
	for (i = 0; i < sizeof(d); i++) {
		r->digest[2 * i] = hex[d[i] >> 4];
		r->digest[2 * i + 1] = hex[d[i] & 0xf];
	}
	r->digest[2 * sizeof(d)] = '\0';
}
