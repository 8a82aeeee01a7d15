/* SPDX-License-Identifier: ISC */
/*
 * The checker's results as Prometheus metrics (mta-sts-check -m), for
 * node_exporter's textfile collector: the state of every check made per
 * domain, the expiry of each certificate chain seen, and the policy this
 * config serves.  The label values are bounded by what the operator
 * configures: the domains checked, the checks (ten), and per domain its
 * policy host and at most CHECK_MAX_MX_TLS MX hosts; never an address,
 * a message or anything else a server chose.  mta-sts-check(1) METRICS
 * lists them; every name carries the mta_sts_ namespace.
 */
#include <stdio.h>
#include <string.h>

#include "check/check.h"

/* State of every check made. */
static void
status(struct prom *p, const struct check_domain_target *d,
    const struct check_result *r, size_t n)
{
	size_t	 i;
	int	 c;

	prom_family(p, "mta_sts_check_status", "gauge", "The worst result "
	    "of each check made of a policy domain: 0 ok, 1 warning, "
	    "2 critical, 3 unknown (could not check).",
	    n * CHECK_RESULT_NAMES);
	for (i = 0; i < n; i++)
		for (c = 0; c < CHECK_RESULT_NAMES; c++) {
			if (!(r[i].ran & (1U << c)))
				continue;
			prom_sample(p, (struct prom_label[]){
			    { "domain", d[i].name },
			    { "check", check_result_name_str(c) } }, 2,
			    (int64_t)r[i].sev[c]);
		}
}

/* The earliest expiry of each verified chain seen. */
static void
expiries(struct prom *p, const struct check_domain_target *d,
    const struct check_result *r, size_t n)
{
	const struct check_result_expiry	*e;
	size_t					 i, j;

	prom_family(p, "mta_sts_certificate_expiry_timestamp_seconds",
	    "gauge", "When the first certificate of the verified chain a "
	    "policy host or MX host presented expires (the leaf's or a "
	    "CA's; the earliest over its addresses), in seconds since the "
	    "epoch.", n * (1 + CHECK_MAX_MX_TLS));
	for (i = 0; i < n; i++)
		for (j = 0; j < r[i].nexpiry; j++) {
			e = &r[i].expiry[j];
			prom_sample(p, (struct prom_label[]){
			    { "domain", d[i].name },
			    { "role", e->check == CHECK_RESULT_POLICY_TLS ?
			    "policy-host" : "mx" },
			    { "host", e->host } }, 3, e->not_after);
		}
}

/* The policy this config serves d, parsed; 0, or -1 (cannot happen). */
static int
served(const struct check_domain_target *d, struct check_policy *want)
{
	const char	*body;
	char		 err[256];
	size_t		 len;

	/* conf.c validated what policy.c rendered. */
	body = policy_body(d->policy, &len);
	return check_policy_parse(want, body, len, err, sizeof(err));
}

/* The policy this config serves each domain: its mode and id. */
static void
policy_info(struct prom *p, const struct check_domain_target *d, size_t n)
{
	struct check_policy	 want;
	size_t			 i;

	prom_family(p, "mta_sts_policy_info", "gauge", "The policy this "
	    "config serves: its mode and its id (the _mta-sts record's); "
	    "always 1.", n);
	for (i = 0; i < n; i++) {
		if (served(&d[i], &want) == -1)
			continue;
		prom_sample(p, (struct prom_label[]){
		    { "domain", d[i].name }, { "mode", want.mode },
		    { "id", d[i].policy->id } }, 3, 1);
		check_policy_free(&want);
	}
}

/* The max_age of the policy this config serves each domain. */
static void
policy_max_age(struct prom *p, const struct check_domain_target *d,
    size_t n)
{
	struct check_policy	 want;
	size_t			 i;

	prom_family(p, "mta_sts_policy_max_age_seconds", "gauge", "The "
	    "max_age of the policy this config serves.", n);
	for (i = 0; i < n; i++) {
		if (served(&d[i], &want) == -1)
			continue;
		prom_sample(p, (struct prom_label[]){
		    { "domain", d[i].name } }, 1, (int64_t)want.max_age);
		check_policy_free(&want);
	}
}

void
check_metrics_write(struct prom *p, const struct check_domain_target *d,
    const struct check_result *r, size_t n, int64_t now)
{
	status(p, d, r, n);
	expiries(p, d, r, n);
	policy_info(p, d, n);
	policy_max_age(p, d, n);
	prom_family(p, "mta_sts_check_last_run_timestamp_seconds", "gauge",
	    "When mta-sts-check finished the checks these metrics are of, "
	    "in seconds since the epoch.", 1);
	prom_sample(p, NULL, 0, now);
}
