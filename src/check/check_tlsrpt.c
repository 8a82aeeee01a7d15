/* SPDX-License-Identifier: ISC */
/*
 * The tlsrpt check: what senders report about a policy domain (RFC 8460
 * §4), beside what the other checks see of it, so that one Nagios or
 * Icinga service covers both.  The other checks ask the network what a
 * sender would see now; this one reads what senders said they saw, from
 * the store mta-sts-report keeps ([reports] database), through the same
 * summary model (tlsrpt_summary_build) as mta-sts-report summary, so
 * the two programs never disagree about a domain.
 *
 * The store is local, so the check runs under -n too; under -p (is the
 * policy served?) it does not.  It runs once for every domain checked,
 * after the threads: one reader, one summary.  A store that cannot be
 * read is not a finding about the domain: each domain gets an unknown
 * line with the store's reason, as a resolver that cannot be reached
 * gets one.
 */
#include <stdlib.h>
#include <string.h>

#include "check/check.h"
#include "tlsrpt/tlsrpt.h"

#define ONE_DAY		86400

void
check_tlsrpt_verdicts(const struct tlsrpt_domain *d, struct check_result *r)
{
	const struct tlsrpt_verdict	*v;
	enum check_result_severity	 sev;
	size_t				 i;

	check_result_ran(r, CHECK_RESULT_TLSRPT);
	for (i = 0; i < d->nverdicts; i++) {
		v = &d->verdicts[i];
		switch (v->severity) {
		case TLSRPT_SEVERITY_WARNING:
			sev = CHECK_RESULT_WARNING;
			break;
		case TLSRPT_SEVERITY_CRITICAL:
			sev = CHECK_RESULT_CRITICAL;
			break;
		default:
			/* Ready for enforce is good news, not a problem. */
			continue;
		}
		/* What reporters wrote is escaped by check_result_add. */
		check_result_add(r, CHECK_RESULT_TLSRPT, sev, "%s: %s",
		    tlsrpt_verdict_name(v->kind), v->line != NULL ? v->line :
		    "");
	}
}

static int
domain_cmp(const void *key, const void *elem)
{
	const struct tlsrpt_domain	*d = elem;

	return strcmp(key, d->domain);
}

/* The summary's domain named name (its domains are by name), or NULL. */
static const struct tlsrpt_domain *
summary_domain(const struct tlsrpt_summary *s, const char *name)
{
	if (s->ndomains == 0)
		return NULL;
	return bsearch(name, s->domains, s->ndomains, sizeof(*s->domains),
	    domain_cmp);
}

/*
 * Says why the store could not be read, on the tlsrpt line of every
 * domain with a [domain] section (t NULL: every domain).
 */
static void
unreadable(const struct table *t, struct check_result *results, size_t n,
    const char *why)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (t == NULL || table_find(t, results[i].domain,
		    strlen(results[i].domain)) != NULL)
			check_result_add(&results[i], CHECK_RESULT_TLSRPT,
			    CHECK_RESULT_UNKNOWN, "the reports could not be "
			    "read, so what senders report was not checked: %s",
			    why);
}

void
check_tlsrpt_run(const struct conf_reports *reports, const struct table *t,
    struct check_result *results, size_t n, int64_t now)
{
	struct tlsrpt_store		*st = NULL;
	struct tlsrpt_summary		 sum;
	const struct tlsrpt_domain	*d;
	const char			**names;
	char				 why[1024];
	int64_t				 since;
	size_t				 i, nnames = 0;
	int				 built = 0;

	if (!reports->present || n == 0)
		return;
	memset(&sum, 0, sizeof(sum));
	if ((names = calloc(n, sizeof(*names))) == NULL) {
		unreadable(NULL, results, n, "out of memory");
		return;
	}
	/*
	 * Reports are stored only for [domain] sections (mta-sts-report(8)
	 * HTTPS): a domain served by [policy] alone has none to judge.
	 */
	for (i = 0; i < n; i++)
		if (table_find(t, results[i].domain,
		    strlen(results[i].domain)) != NULL)
			names[nnames++] = results[i].domain;
	if (nnames == 0)
		goto out;
	/* The store's reason, for the lines rather than stderr. */
	log_capture(why, sizeof(why));
	/*
	 * mta-sts-report summary's default period: the CHECK_TLSRPT_DAYS
	 * whole UTC days before today, and today so far.  Read-only: the
	 * checker may check a config not yet served, so it never records
	 * one as served (tlsrpt_store_served).
	 */
	since = now - now % ONE_DAY - CHECK_TLSRPT_DAYS * ONE_DAY;
	if (tlsrpt_store_open(&st, reports->database,
	    TLSRPT_STORE_OPEN_READONLY) == 0 && tlsrpt_summary_build(st, t,
	    reports, since, now, names, nnames, &sum) == 0)
		built = 1;
	log_capture(NULL, 0);
	if (!built) {
		unreadable(t, results, n, why[0] != '\0' ? why :
		    "no reason given");
		goto out;
	}
	for (i = 0; i < n; i++)
		if ((d = summary_domain(&sum, results[i].domain)) != NULL)
			check_tlsrpt_verdicts(d, &results[i]);
	tlsrpt_summary_free(&sum);
out:
	tlsrpt_store_close(st);
	free(names);
}
