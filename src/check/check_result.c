/* SPDX-License-Identifier: ISC */
/*
 * The problems found for one domain, kept as the output lines they
 * become: "domain: check: severity: message".  A domain's lines are
 * printed together once it is done, whatever the threads' order.  Beside
 * the lines, what the metrics need (check_metrics.c): which checks were
 * made, each one's worst severity, and the certificate expiries seen.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/check.h"

const char *
check_result_name_str(enum check_result_name name)
{
	switch (name) {
	case CHECK_RESULT_STS_RECORD:
		return "sts-record";
	case CHECK_RESULT_STS_ID:
		return "sts-id";
	case CHECK_RESULT_TLSRPT_RECORD:
		return "tlsrpt-record";
	case CHECK_RESULT_POLICY_HOST:
		return "policy-host";
	case CHECK_RESULT_POLICY_TLS:
		return "policy-tls";
	case CHECK_RESULT_POLICY_FETCH:
		return "policy-fetch";
	case CHECK_RESULT_MX_COVERAGE:
		return "mx-coverage";
	case CHECK_RESULT_MX_TLS:
		return "mx-tls";
	case CHECK_RESULT_MX_DANE:
		return "mx-dane";
	case CHECK_RESULT_TLSRPT:
		return "tlsrpt";
	}
	return "?";
}

const char *
check_result_severity_str(enum check_result_severity s)
{
	switch (s) {
	case CHECK_RESULT_OK:
		return "ok";
	case CHECK_RESULT_WARNING:
		return "warning";
	case CHECK_RESULT_CRITICAL:
		return "critical";
	case CHECK_RESULT_UNKNOWN:
		return "unknown";
	}
	return "?";
}

void
check_result_add(struct check_result *r, enum check_result_name name,
    enum check_result_severity sev, const char *fmt, ...)
{
	char	 raw[2048], msg[LOG_ESCAPE_SIZE(sizeof(raw))], *p;
	size_t	 need;
	va_list	 ap;
	int	 n;

	if (sev > r->worst)
		r->worst = sev;
	if (sev > r->sev[name])
		r->sev[name] = sev;
	r->ran |= 1U << name;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/*
	 * Whatever a server sent us, one problem stays one line, and no
	 * control or bidi character reaches the reader's terminal.
	 */
	log_escape(msg, sizeof(msg), raw, strlen(raw));
	need = strlen(r->domain) + strlen(msg) + 64;
	if ((p = buf_array_room(r->text, r->len + need - 1, &r->cap, 1)) ==
	    NULL) {
		r->nomem = 1;
		return;
	}
	r->text = p;
	n = snprintf(r->text + r->len, r->cap - r->len, "%s: %s: %s: %s\n",
	    r->domain, check_result_name_str(name),
	    check_result_severity_str(sev), msg);
	if (n > 0)
		r->len += (size_t)n;
}

void
check_result_ran(struct check_result *r, enum check_result_name name)
{
	r->ran |= 1U << name;
}

void
check_result_expiry(struct check_result *r, enum check_result_name check,
    const char *host, int64_t not_after)
{
	struct check_result_expiry	*e;
	size_t				 i;

	if (not_after == 0)
		return;
	for (i = 0; i < r->nexpiry; i++) {
		e = &r->expiry[i];
		if (e->check == check && strcmp(e->host, host) == 0) {
			if (not_after < e->not_after)
				e->not_after = not_after;
			return;
		}
	}
	if ((e = buf_array_room(r->expiry, r->nexpiry, &r->expiry_cap,
	    sizeof(*e))) == NULL) {
		r->nomem = 1;
		return;
	}
	r->expiry = e;
	e = &r->expiry[r->nexpiry];
	if ((e->host = strdup(host)) == NULL) {
		r->nomem = 1;
		return;
	}
	e->check = check;
	e->not_after = not_after;
	r->nexpiry++;
}

void
check_result_free(struct check_result *r)
{
	size_t	 i;

	for (i = 0; i < r->nexpiry; i++)
		free(r->expiry[i].host);
	free(r->expiry);
	r->expiry = NULL;
	r->nexpiry = r->expiry_cap = 0;
	free(r->text);
	r->text = NULL;
	r->len = r->cap = 0;
}
