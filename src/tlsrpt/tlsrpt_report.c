/* SPDX-License-Identifier: ISC */
/*
 * A parsed report's storage: report_json.c fills one, the store writes
 * and reads one, and this frees it.
 */
#include <stdlib.h>
#include <string.h>

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
