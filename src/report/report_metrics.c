/* SPDX-License-Identifier: ISC */
/*
 * report_metrics: `metrics [-o file] [-s since] [-u until]`, what
 * senders report as
 * Prometheus metrics for node_exporter's textfile collector, from the
 * same summary model (tlsrpt_summary_build) as `summary`, `html` and
 * mta-sts-check's tlsrpt check, so that a graph, a page and an alert
 * never disagree about a domain.
 *
 * Anyone may POST a report (RFC 8460 §5.4: not authenticated), so no
 * label value may be one a sender can multiply at will: the domain is
 * one this config serves, a result type outside RFC 8460 §4.3's list is
 * counted as "other", verdicts are the model's six kinds, and reporters
 * (organization names) are capped at REPORT_METRICS_REPORTERS_MAX, the
 * most prolific, the rest aggregated.  No sending address, MX host or
 * report-id is ever a label.  The values are gauges over summary's
 * period (-s and -u as summary takes them; by default the 7 UTC days
 * before today), not counters: a sliding window and a pruned store go
 * down as well as up, and a counter that does makes rate() invent
 * traffic.  mta-sts-report(8) METRICS lists them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "report/report.h"

/* RFC 8460 §4.3's result types; any other is "other". */
static const char *const result_types[] = {
	"starttls-not-supported", "certificate-host-mismatch",
	"certificate-expired", "certificate-not-trusted",
	"validation-failure", "tlsa-invalid", "dnssec-invalid",
	"dane-required", "sts-policy-fetch-error", "sts-policy-invalid",
	"sts-webpki-invalid",
};
#define NTYPES	(sizeof(result_types) / sizeof(result_types[0]))

/* A verdict kind as a label value: words joined by "_". */
static const char *
verdict_label(enum tlsrpt_verdict_kind k)
{
	switch (k) {
	case TLSRPT_VERDICT_STALE_POLICY:
		return "stale_policy";
	case TLSRPT_VERDICT_NO_POLICY_SEEN:
		return "no_policy_seen";
	case TLSRPT_VERDICT_MX_FAILING:
		return "mx_failing";
	case TLSRPT_VERDICT_SILENT_REPORTER:
		return "silent_reporter";
	case TLSRPT_VERDICT_READY_FOR_ENFORCE:
		return "ready_for_enforce";
	case TLSRPT_VERDICT_NOT_READY:
		return "not_ready_for_enforce";
	}
	return "other";
}
#define NKINDS		(TLSRPT_VERDICT_NOT_READY + 1)
#define NSEVERITIES	(TLSRPT_SEVERITY_CRITICAL + 1)

/* A reporter over every domain, for its last report time. */
struct reporter {
	const char	*organization;
	int64_t		 reports, last;
};

static void
period(struct prom *p, const struct tlsrpt_summary *s)
{
	prom_family(p, "mta_sts_report_period_start_timestamp_seconds",
	    "gauge", "The start of the period the report metrics are of, in "
	    "seconds since the epoch.", 1);
	prom_sample(p, NULL, 0, s->since);
	prom_family(p, "mta_sts_report_period_end_timestamp_seconds",
	    "gauge", "The end of the period the report metrics are of (when "
	    "they were written), in seconds since the epoch.", 1);
	prom_sample(p, NULL, 0, s->until);
}

static void
sessions(struct prom *p, const struct tlsrpt_summary *s)
{
	size_t	 i;

	prom_family(p, "mta_sts_report_sessions", "gauge", "TLS sessions "
	    "to a policy domain that reporters counted over the period, by "
	    "result: successful or failed.", 2 * s->ndomains);
	for (i = 0; i < s->ndomains; i++) {
		prom_sample(p, (struct prom_label[]){
		    { "domain", s->domains[i].domain },
		    { "result", "successful" } }, 2,
		    s->domains[i].successful);
		prom_sample(p, (struct prom_label[]){
		    { "domain", s->domains[i].domain },
		    { "result", "failed" } }, 2, s->domains[i].failed);
	}
}

/* Failed sessions by result type: RFC 8460 §4.3's, then "other". */
static void
failures(struct prom *p, const struct tlsrpt_summary *s)
{
	const struct tlsrpt_domain	*d;
	int64_t				 count[NTYPES + 1];
	size_t				 i, j, t;

	prom_family(p, "mta_sts_report_failed_sessions", "gauge", "Failed "
	    "TLS sessions to a policy domain that reporters detailed over "
	    "the period, by result type (RFC 8460 section 4.3; other: one "
	    "the RFC does not list).", (NTYPES + 1) * s->ndomains);
	for (i = 0; i < s->ndomains; i++) {
		d = &s->domains[i];
		memset(count, 0, sizeof(count));
		for (j = 0; j < d->nfailures; j++) {
			for (t = 0; t < NTYPES; t++)
				if (d->failures[j].result_type != NULL &&
				    strcmp(d->failures[j].result_type,
				    result_types[t]) == 0)
					break;
			/* Counts are at most INT64_MAX each: saturate. */
			if (count[t] > INT64_MAX - d->failures[j].count)
				count[t] = INT64_MAX;
			else
				count[t] += d->failures[j].count;
		}
		for (t = 0; t <= NTYPES; t++)
			if (count[t] > 0)
				prom_sample(p, (struct prom_label[]){
				    { "domain", d->domain },
				    { "result_type", t < NTYPES ?
				    result_types[t] : "other" } }, 2,
				    count[t]);
	}
}

/* Distinct reporters and the newest report, per domain. */
static void
domain_reporters(struct prom *p, const struct tlsrpt_summary *s)
{
	const struct tlsrpt_domain	*d;
	int64_t				 last;
	size_t				 i, j;

	prom_family(p, "mta_sts_report_reporters", "gauge", "Organizations "
	    "that sent reports about a policy domain over the period.",
	    s->ndomains);
	for (i = 0; i < s->ndomains; i++)
		prom_sample(p, (struct prom_label[]){
		    { "domain", s->domains[i].domain } }, 1,
		    (int64_t)s->domains[i].nreporters);
	prom_family(p, "mta_sts_report_domain_last_report_timestamp_seconds",
	    "gauge", "The end of the newest report's period about a policy "
	    "domain, in seconds since the epoch; absent if none came over "
	    "the period.", s->ndomains);
	for (i = 0; i < s->ndomains; i++) {
		d = &s->domains[i];
		for (last = 0, j = 0; j < d->nreporters; j++)
			if (d->reporters[j].last > last)
				last = d->reporters[j].last;
		if (last > 0)
			prom_sample(p, (struct prom_label[]){
			    { "domain", d->domain } }, 1, last);
	}
}

/* Verdicts by kind and severity, per domain; absent when none. */
static void
verdicts(struct prom *p, const struct tlsrpt_summary *s)
{
	const struct tlsrpt_domain	*d;
	int64_t				 count[NKINDS][NSEVERITIES];
	size_t				 i, j;
	int				 k, v;

	prom_family(p, "mta_sts_report_verdicts", "gauge", "Verdicts about "
	    "a policy domain over the period (mta-sts-report(8) SUMMARY), by "
	    "kind and severity; absent when there is none of a kind.",
	    (size_t)NKINDS * NSEVERITIES * s->ndomains);
	for (i = 0; i < s->ndomains; i++) {
		d = &s->domains[i];
		memset(count, 0, sizeof(count));
		for (j = 0; j < d->nverdicts; j++)
			if ((unsigned)d->verdicts[j].kind < NKINDS &&
			    (unsigned)d->verdicts[j].severity < NSEVERITIES)
				count[d->verdicts[j].kind]
				    [d->verdicts[j].severity]++;
		for (k = 0; k < NKINDS; k++)
			for (v = NSEVERITIES - 1; v >= 0; v--)
				if (count[k][v] > 0)
					prom_sample(p, (struct prom_label[]){
					    { "domain", d->domain },
					    { "verdict", verdict_label(k) },
					    { "severity",
					    tlsrpt_severity_name(v) } }, 3,
					    count[k][v]);
	}
}

static int
reporter_by_name(const void *a, const void *b)
{
	const struct reporter	*x = a, *y = b;

	return strcmp(x->organization, y->organization);
}

/* Most reports first, then the newest, then by name. */
static int
reporter_by_reports(const void *a, const void *b)
{
	const struct reporter	*x = a, *y = b;

	if (x->reports != y->reports)
		return x->reports > y->reports ? -1 : 1;
	if (x->last != y->last)
		return x->last > y->last ? -1 : 1;
	return strcmp(x->organization, y->organization);
}

/*
 * Every domain's reporters merged by organization into a new array *out
 * of *n (NULL if none); 0, or -1 out of memory (said).
 */
static int
reporters_merged(const struct tlsrpt_summary *s, struct reporter **out,
    size_t *n)
{
	const struct tlsrpt_reporter	*from;
	struct reporter			*r;
	size_t				 i, j, total = 0, m = 0;

	*out = NULL;
	*n = 0;
	for (i = 0; i < s->ndomains; i++)
		total += s->domains[i].nreporters;
	if (total == 0)
		return 0;
	if ((r = calloc(total, sizeof(*r))) == NULL) {
		log_warn("metrics: reporters");
		return -1;
	}
	for (i = 0; i < s->ndomains; i++)
		for (j = 0; j < s->domains[i].nreporters; j++) {
			from = &s->domains[i].reporters[j];
			r[m].organization = from->organization;
			r[m].reports = from->reports;
			r[m++].last = from->last;
		}
	qsort(r, total, sizeof(*r), reporter_by_name);
	for (m = 0, i = 0; i < total; i++) {
		if (m > 0 && strcmp(r[m - 1].organization,
		    r[i].organization) == 0) {
			r[m - 1].reports += r[i].reports;
			if (r[i].last > r[m - 1].last)
				r[m - 1].last = r[i].last;
		} else
			r[m++] = r[i];
	}
	*out = r;
	*n = m;
	return 0;
}

/*
 * The newest report of each reporter (over every domain), for the
 * REPORT_METRICS_REPORTERS_MAX that sent the most; the others counted
 * together.  0, or -1 out of memory (said).
 */
static int
reporters(struct prom *p, const struct tlsrpt_summary *s)
{
	struct reporter	*r;
	size_t		 i, n, shown, more = 0;
	int64_t		 last = 0;

	if (reporters_merged(s, &r, &n) == -1)
		return -1;
	if (n > 0)
		qsort(r, n, sizeof(*r), reporter_by_reports);
	shown = n < REPORT_METRICS_REPORTERS_MAX ? n :
	    REPORT_METRICS_REPORTERS_MAX;
	/* Shown by name, so that the file reads (and diffs) well. */
	if (shown > 0)
		qsort(r, shown, sizeof(*r), reporter_by_name);
	prom_family(p,
	    "mta_sts_report_reporter_last_report_timestamp_seconds", "gauge",
	    "The end of the newest report's period from an organization "
	    "(organization-name), over every policy domain, for the ones "
	    "that sent the most reports over the period.",
	    REPORT_METRICS_REPORTERS_MAX);
	for (i = 0; i < shown; i++)
		prom_sample(p, (struct prom_label[]){
		    { "reporter", r[i].organization } }, 1, r[i].last);
	for (i = shown; i < n; i++)
		if (r[i].last > last)
			last = r[i].last;
	/* Past the summary's own cap per domain: not even named there. */
	for (i = 0; i < s->ndomains; i++)
		more += s->domains[i].more_reporters;
	prom_family(p, "mta_sts_report_other_reporters", "gauge",
	    "Organizations that sent reports over the period beyond the "
	    "ones with a series of their own.", 1);
	prom_sample(p, NULL, 0, (int64_t)(n - shown + more));
	prom_family(p,
	    "mta_sts_report_other_reporters_last_report_timestamp_seconds",
	    "gauge", "The end of the newest report's period from those "
	    "other organizations that the summary names; absent if there "
	    "are none.", 1);
	if (n > shown)
		prom_sample(p, NULL, 0, last);
	free(r);
	return 0;
}

int
report_metrics_write(struct prom *p, const struct tlsrpt_summary *s)
{
	prom_family(p, "mta_sts_report_store_readable", "gauge", "1 if the "
	    "report store could be read for these metrics, else 0 (and no "
	    "other report metric is written).", 1);
	prom_sample(p, NULL, 0, s != NULL);
	if (s == NULL)
		return 0;
	period(p, s);
	sessions(p, s);
	failures(p, s);
	domain_reporters(p, s);
	verdicts(p, s);
	return reporters(p, s);
}

/* The summary of every served domain over [since, until). */
static int
build(const struct conf *conf, int64_t since, int64_t until,
    struct tlsrpt_summary *s)
{
	struct tlsrpt_store	*st;
	int			 rc;

	/* As summary opens it, so that both know what is published. */
	if (report_summary_open(conf, &st) == -1)
		return -1;
	rc = tlsrpt_summary_build(st, &conf->table, &conf->reports, since,
	    until, NULL, 0, s);
	tlsrpt_store_close(st);
	return rc;
}

static void
metrics_usage(FILE *fp)
{
	fprintf(fp, "usage: %s [-c config] metrics [-o file] [-s since] "
	    "[-u until]\n", REPORT_PROGNAME);
}

/*
 * The options, the period as summary takes it; -1, or the exit status
 * (a usage error said, or -h).
 */
static int
metrics_options(int argc, char **argv, const char **out, int64_t *since,
    int64_t *until)
{
	const char	*since_arg = NULL, *until_arg = NULL;
	char		 why[256];
	int		 ch;

	opterr = 0;
	while ((ch = getopt(argc, argv, "+:ho:s:u:")) != -1) {
		switch (ch) {
		case 'h':
			metrics_usage(stdout);
			return EX_OK;
		case 'o':
			*out = optarg;
			break;
		case 's':
			since_arg = optarg;
			break;
		case 'u':
			until_arg = optarg;
			break;
		case ':':
			log_warnx("metrics: option -%c needs an argument",
			    optopt);
			metrics_usage(stderr);
			return EX_USAGE;
		default:
			log_warnx("metrics: unknown option -%c", optopt);
			metrics_usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind < argc) {
		log_warnx("metrics: unexpected argument \"%s\"", argv[optind]);
		metrics_usage(stderr);
		return EX_USAGE;
	}
	if (report_summary_period(since_arg, until_arg, (int64_t)time(NULL),
	    since, until, why, sizeof(why)) == 0)
		return -1;
	log_warnx("metrics: %s", why);
	metrics_usage(stderr);
	return EX_USAGE;
}

int
report_metrics(const struct conf *conf, int argc, char **argv)
{
	struct tlsrpt_summary	 sum;
	struct prom		 p;
	const char		*out = NULL;
	int64_t			 since, until;
	int			 built, status;

	if ((status = metrics_options(argc, argv, &out, &since, &until)) !=
	    -1)
		return status;
	status = EX_OK;
	memset(&sum, 0, sizeof(sum));
	built = build(conf, since, until, &sum) == 0;
	if (out != NULL) {
		if (prom_create(&p, out) == -1) {
			status = EX_CANTCREAT;
			goto out;
		}
	} else
		prom_stream(&p, stdout);
	if (report_metrics_write(&p, built ? &sum : NULL) == -1) {
		prom_abort(&p);
		status = EX_OSERR;
	} else if (prom_finish(&p) == -1)
		status = EX_IOERR;
	else if (!built)
		status = EX_IOERR;	/* said, and written as store_readable 0 */
out:
	tlsrpt_summary_free(&sum);
	return status;
}
