/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer: bytes as what anyone may POST to the receiver.  The first
 * byte chooses the way in: the JSON parser alone, gzip inflate under a
 * small limit (and deflate read back), the whole body check as JSON or
 * as gzip, or a Content-Type value.  Any input must give a verdict that
 * keeps the contracts of report.h: a refusal says why in one line and
 * leaves nothing behind; an accepted report holds valid, normalised
 * policy domains, counts that are not negative and served domains only.
 */
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
served(const char *domain, void *arg)
{
	(void)arg;
	return strcmp(domain, "example.com") == 0 ||
	    strcmp(domain, "example.net") == 0;
}

/* What every accepted report must look like. */
static void
check_report(const struct tlsrpt_report *r, int only_served)
{
	const struct tlsrpt_policy	*p;
	size_t				 i, k;

	if (r->organization == NULL || r->organization[0] == '\0' ||
	    r->report_id == NULL || r->end < r->begin || r->npolicies == 0)
		abort();
	for (i = 0; i < r->npolicies; i++) {
		p = &r->policies[i];
		if (p->policy_type == NULL || p->successful < 0 ||
		    p->failed < 0 || dname_check(p->policy_domain,
		    strlen(p->policy_domain), 0) != DNAME_OK ||
		    (only_served && !served(p->policy_domain, NULL)) ||
		    (p->policy_id[0] != '\0' && strlen(p->policy_id) !=
		    POLICY_ID_LEN) || (p->npolicy_string > 0) !=
		    (p->policy_string != NULL) || (p->nmx_host > 0) !=
		    (p->mx_host != NULL))
			abort();
		for (k = 0; k < p->npolicy_string; k++)
			if (p->policy_string[k] == NULL)
				abort();
		for (k = 0; k < p->nmx_host; k++)
			if (p->mx_host[k] == NULL || p->mx_host[k][0] == '\0')
				abort();
		for (k = 0; k < p->nfailures; k++)
			if (p->failures[k].result_type == NULL ||
			    p->failures[k].count < 0)
				abort();
	}
}

static void
check_why(const char *why)
{
	if (why[0] == '\0' || strchr(why, '\n') != NULL ||
	    strchr(why, '\r') != NULL)
		abort();
}

static void
one_json(const uint8_t *data, size_t size)
{
	struct tlsrpt_report	 r;
	char		 why[256];

	if (report_json_parse(&r, (const char *)data, size, why,
	    sizeof(why)) == 0) {
		check_report(&r, 0);
		tlsrpt_report_free(&r);
	} else
		check_why(why);
}

static void
one_gzip(const uint8_t *data, size_t size)
{
	unsigned char	*out, *gz, *back;
	size_t		 outlen, gzlen, backlen;

	if (report_gzip_inflate(data, size, 1 << 16, &out, &outlen) !=
	    REPORT_GZIP_OK) {
		if (out != NULL || outlen != 0)
			abort();
		return;
	}
	if (outlen > 1 << 16 || out[outlen] != '\0')
		abort();
	if (report_gzip_deflate(out, outlen, &gz, &gzlen) == 0) {
		if (report_gzip_inflate(gz, gzlen, outlen, &back, &backlen) !=
		    REPORT_GZIP_OK || backlen != outlen ||
		    memcmp(back, out, outlen) != 0)
			abort();
		free(back);
		free(gz);
	}
	free(out);
}

static void
one_body(const uint8_t *data, size_t size, enum report_encoding enc)
{
	struct report_limits	 lim = { 1 << 16, 1 << 18 };
	struct tlsrpt_report		 r;
	unsigned char		*raw;
	size_t			 rawlen;
	char			 why[256];
	int			 st;

	/* 2025-01-01T00:00:00Z: a fixed now, so that a run is repeatable. */
	st = report_accept_body(&lim, enc, data, size, 1735689600, served,
	    NULL, &r, &raw, &rawlen, why, sizeof(why));
	if (st == 0) {
		check_report(&r, 1);
		if (raw == NULL || rawlen == 0)
			abort();
		free(raw);
		tlsrpt_report_free(&r);
		return;
	}
	if ((st != 400 && st != 403 && st != 413 && st != 500) ||
	    raw != NULL || r.policies != NULL)
		abort();
	check_why(why);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*text;

	if (size < 1)
		return 0;
	switch (data[0] % 5) {
	case 0:
		one_json(data + 1, size - 1);
		break;
	case 1:
		one_gzip(data + 1, size - 1);
		break;
	case 2:
		one_body(data + 1, size - 1, REPORT_ENCODING_JSON);
		break;
	case 3:
		one_body(data + 1, size - 1, REPORT_ENCODING_GZIP);
		break;
	case 4:
		if ((text = malloc(size)) == NULL)
			return 0;
		memcpy(text, data + 1, size - 1);
		text[size - 1] = '\0';
		(void)report_accept_encoding(text);
		free(text);
		break;
	}
	return 0;
}
