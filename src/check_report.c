/* SPDX-License-Identifier: ISC */
/*
 * The problems found for one domain, kept as the output lines they
 * become: "domain: check: severity: message".  A domain's lines are
 * printed together once it is done, whatever the threads' order.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mta-sts-check.h"

const char *
check_name_str(enum check_name name)
{
	switch (name) {
	case CHECK_STS_RECORD:
		return "sts-record";
	case CHECK_STS_ID:
		return "sts-id";
	case CHECK_TLSRPT_RECORD:
		return "tlsrpt-record";
	case CHECK_POLICY_HOST:
		return "policy-host";
	case CHECK_POLICY_TLS:
		return "policy-tls";
	case CHECK_POLICY_FETCH:
		return "policy-fetch";
	case CHECK_MX_COVERAGE:
		return "mx-coverage";
	case CHECK_MX_TLS:
		return "mx-tls";
	}
	return "?";
}

const char *
check_severity_str(enum check_severity s)
{
	switch (s) {
	case CHECK_OK:
		return "ok";
	case CHECK_WARNING:
		return "warning";
	case CHECK_CRITICAL:
		return "critical";
	case CHECK_UNKNOWN:
		return "unknown";
	}
	return "?";
}

void
report_add(struct check_report *r, enum check_name name,
    enum check_severity sev, const char *fmt, ...)
{
	char	 msg[2048], *p;
	size_t	 need, ncap;
	va_list	 ap;
	int	 n;

	if (sev > r->worst)
		r->worst = sev;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Whatever a server sent us, one problem stays one line. */
	for (p = msg; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
			*p = ' ';
	need = strlen(r->domain) + strlen(msg) + 64;
	if (r->len + need > r->cap) {
		ncap = r->cap == 0 ? 1024 : r->cap * 2;
		while (ncap < r->len + need)
			ncap *= 2;
		if ((p = realloc(r->text, ncap)) == NULL) {
			r->nomem = 1;
			return;
		}
		r->text = p;
		r->cap = ncap;
	}
	n = snprintf(r->text + r->len, r->cap - r->len, "%s: %s: %s: %s\n",
	    r->domain, check_name_str(name), check_severity_str(sev), msg);
	if (n > 0)
		r->len += (size_t)n;
}

void
report_free(struct check_report *r)
{
	free(r->text);
	r->text = NULL;
	r->len = r->cap = 0;
}
