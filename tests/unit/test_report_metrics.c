/* SPDX-License-Identifier: ISC */
/*
 * report_metrics.c: the exact metrics of a hand-built summary (as
 * tlsrpt_summary_build gives it): sessions, failures by result type
 * with unknown types as "other", verdicts by kind and severity, and
 * reporters merged over domains, capped, hostile names escaped.
 */
#include <stdlib.h>

#include "report/report.h"
#include "unit.h"

static const char want_head[] =
    "# HELP mta_sts_report_store_readable 1 if the report store could be "
    "read for these metrics, else 0 (and no other report metric is "
    "written).\n"
    "# TYPE mta_sts_report_store_readable gauge\n";

static const char want[] =
    "mta_sts_report_store_readable 1\n"
    "# HELP mta_sts_report_period_start_timestamp_seconds The start of the "
    "period the report metrics are of, in seconds since the epoch.\n"
    "# TYPE mta_sts_report_period_start_timestamp_seconds gauge\n"
    "mta_sts_report_period_start_timestamp_seconds 1764400000\n"
    "# HELP mta_sts_report_period_end_timestamp_seconds The end of the "
    "period the report metrics are of (when they were written), in seconds "
    "since the epoch.\n"
    "# TYPE mta_sts_report_period_end_timestamp_seconds gauge\n"
    "mta_sts_report_period_end_timestamp_seconds 1765004800\n"
    "# HELP mta_sts_report_sessions TLS sessions to a policy domain that "
    "reporters counted over the period, by result: successful or failed.\n"
    "# TYPE mta_sts_report_sessions gauge\n"
    "mta_sts_report_sessions{domain=\"a.test\",result=\"successful\"} 1000\n"
    "mta_sts_report_sessions{domain=\"a.test\",result=\"failed\"} 31\n"
    "mta_sts_report_sessions{domain=\"b.test\",result=\"successful\"} 0\n"
    "mta_sts_report_sessions{domain=\"b.test\",result=\"failed\"} 0\n"
    "# HELP mta_sts_report_failed_sessions Failed TLS sessions to a policy "
    "domain that reporters detailed over the period, by result type (RFC "
    "8460 section 4.3; other: one the RFC does not list).\n"
    "# TYPE mta_sts_report_failed_sessions gauge\n"
    "mta_sts_report_failed_sessions{domain=\"a.test\","
    "result_type=\"certificate-expired\"} 20\n"
    "mta_sts_report_failed_sessions{domain=\"a.test\","
    "result_type=\"sts-policy-fetch-error\"} 3\n"
    "mta_sts_report_failed_sessions{domain=\"a.test\","
    "result_type=\"other\"} 8\n"
    "# HELP mta_sts_report_reporters Organizations that sent reports about "
    "a policy domain over the period.\n"
    "# TYPE mta_sts_report_reporters gauge\n"
    "mta_sts_report_reporters{domain=\"a.test\"} 3\n"
    "mta_sts_report_reporters{domain=\"b.test\"} 0\n"
    "# HELP mta_sts_report_domain_last_report_timestamp_seconds The end of "
    "the newest report's period about a policy domain, in seconds since the "
    "epoch; absent if none came over the period.\n"
    "# TYPE mta_sts_report_domain_last_report_timestamp_seconds gauge\n"
    "mta_sts_report_domain_last_report_timestamp_seconds{domain=\"a.test\"} "
    "1764979200\n"
    "# HELP mta_sts_report_verdicts Verdicts about a policy domain over the "
    "period (mta-sts-report(8) SUMMARY), by kind and severity; absent when "
    "there is none of a kind.\n"
    "# TYPE mta_sts_report_verdicts gauge\n"
    "mta_sts_report_verdicts{domain=\"a.test\",verdict=\"stale_policy\","
    "severity=\"warning\"} 2\n"
    "mta_sts_report_verdicts{domain=\"a.test\",verdict=\"mx_failing\","
    "severity=\"critical\"} 1\n"
    "mta_sts_report_verdicts{domain=\"a.test\",verdict=\"mx_failing\","
    "severity=\"warning\"} 1\n"
    "mta_sts_report_verdicts{domain=\"b.test\",verdict=\"ready_for_enforce\","
    "severity=\"info\"} 1\n"
    "# HELP mta_sts_report_reporter_last_report_timestamp_seconds The end of "
    "the newest report's period from an organization (organization-name), "
    "over every policy domain, for the ones that sent the most reports over "
    "the period.\n"
    "# TYPE mta_sts_report_reporter_last_report_timestamp_seconds gauge\n"
    "mta_sts_report_reporter_last_report_timestamp_seconds{reporter=\"Evil\\\\n"
    "mta_sts_x 1 \\\\u202e\\\"}\"} 1764900000\n"
    "mta_sts_report_reporter_last_report_timestamp_seconds{reporter=\"Google "
    "LLC\"} 1764979200\n"
    "mta_sts_report_reporter_last_report_timestamp_seconds{reporter=\""
    "Microsoft Corporation\"} 1764800000\n"
    "# HELP mta_sts_report_other_reporters Organizations that sent reports "
    "over the period beyond the ones with a series of their own.\n"
    "# TYPE mta_sts_report_other_reporters gauge\n"
    "mta_sts_report_other_reporters 0\n"
    "# HELP mta_sts_report_other_reporters_last_report_timestamp_seconds The "
    "end of the newest report's period from those other organizations that "
    "the summary names; absent if there are none.\n"
    "# TYPE mta_sts_report_other_reporters_last_report_timestamp_seconds "
    "gauge\n";

/* Writes s (or the store unreadable) into a new string. */
static char *
written(const struct tlsrpt_summary *s, size_t *len)
{
	struct prom	 p;
	char		*buf = NULL;
	FILE		*fp;

	*len = 0;
	if ((fp = open_memstream(&buf, len)) == NULL)
		return NULL;
	prom_stream(&p, fp);
	CHECK(report_metrics_write(&p, s) == 0, "written");
	CHECK(prom_finish(&p) == 0, "finished");
	fclose(fp);
	return buf;
}

static void
test_metrics(void)
{
	char	 a[] = "a.test", b[] = "b.test";
	char	 google[] = "Google LLC", ms[] = "Microsoft Corporation";
	char	 evil[] = "Evil\nmta_sts_x 1 \xe2\x80\xae\"}";
	char	 expired[] = "certificate-expired", fetch[] =
	    "sts-policy-fetch-error", odd[] = "made-up-type\n{x}";
	char	 mx[] = "mx.a.test", line[] = "a line";
	struct tlsrpt_failure_sum f[] = {
		{ .result_type = expired, .receiving_mx = mx,
		  .reporter = google, .count = 12 },
		{ .result_type = odd, .receiving_mx = mx, .reporter = evil,
		  .count = 5 },
		{ .result_type = expired, .receiving_mx = mx, .reporter = ms,
		  .count = 8 },
		{ .result_type = fetch, .reporter = google, .count = 3 },
		{ .reporter = google, .count = 3 },
	};
	struct tlsrpt_reporter ra[] = {
		{ .organization = evil, .reports = 9, .failed = 5,
		  .last = 1764900000 },
		{ .organization = google, .reports = 7, .successful = 900,
		  .failed = 20, .last = 1764979200 },
		{ .organization = ms, .reports = 2, .successful = 100,
		  .failed = 6, .last = 1764800000 },
	};
	struct tlsrpt_verdict v[] = {
		{ TLSRPT_VERDICT_MX_FAILING, TLSRPT_SEVERITY_CRITICAL, mx, 0,
		  line },
		{ TLSRPT_VERDICT_STALE_POLICY, TLSRPT_SEVERITY_WARNING, google,
		  0, line },
		{ TLSRPT_VERDICT_MX_FAILING, TLSRPT_SEVERITY_WARNING, mx, 0,
		  line },
		{ TLSRPT_VERDICT_STALE_POLICY, TLSRPT_SEVERITY_WARNING, ms, 0,
		  line },
	};
	struct tlsrpt_verdict vb[] = {
		{ TLSRPT_VERDICT_READY_FOR_ENFORCE, TLSRPT_SEVERITY_INFO, NULL,
		  0, line },
	};
	struct tlsrpt_domain	 d[2];
	struct tlsrpt_summary	 s;
	char			*got, full[8192];
	size_t			 len;

	memset(d, 0, sizeof(d));
	d[0].domain = a;
	d[0].successful = 1000;
	d[0].failed = 31;
	d[0].failures = f;
	d[0].nfailures = 5;
	d[0].reporters = ra;
	d[0].nreporters = 3;
	d[0].verdicts = v;
	d[0].nverdicts = 4;
	d[1].domain = b;
	d[1].verdicts = vb;
	d[1].nverdicts = 1;
	s.since = 1764400000;
	s.until = 1765004800;
	s.domains = d;
	s.ndomains = 2;
	got = written(&s, &len);
	snprintf(full, sizeof(full), "%s%s", want_head, want);
	if (got != NULL)
		CHECK_BYTES(got, len, full, strlen(full), "the exact metrics, "
		    "hostile names escaped, unknown result types as other");
	free(got);

	got = written(NULL, &len);
	snprintf(full, sizeof(full), "%smta_sts_report_store_readable 0\n",
	    want_head);
	if (got != NULL)
		CHECK_BYTES(got, len, full, strlen(full),
		    "an unreadable store: that alone");
	free(got);
}

/*
 * 105 reporters over two domains, one of them in both: merged, the
 * 100 with the most reports shown, the other 5 counted together with
 * those the summary counted but did not name.
 */
static void
test_cap(void)
{
	struct tlsrpt_reporter	 r0[100], r1[6];
	struct tlsrpt_domain	 d[2];
	struct tlsrpt_summary	 s;
	char			 names[106][16], *got, *p, want_other[256];
	char			 a[] = "a.test", b[] = "b.test";
	size_t			 len, i, shown = 0;

	memset(r0, 0, sizeof(r0));
	memset(r1, 0, sizeof(r1));
	/* r000..r099 in a.test with 10 reports each, r099 with 1. */
	for (i = 0; i < 100; i++) {
		snprintf(names[i], sizeof(names[i]), "r%03zu", i);
		r0[i].organization = names[i];
		r0[i].reports = i == 99 ? 1 : 10;
		r0[i].last = 1764000000 + (int64_t)i;
	}
	/* b.test: r099 again (1 + 1 = 2 reports), and five with 1 each. */
	r1[0].organization = names[99];
	r1[0].reports = 1;
	r1[0].last = 1764999999;
	for (i = 1; i < 6; i++) {
		snprintf(names[99 + i], sizeof(names[99 + i]), "s%03zu", i);
		r1[i].organization = names[99 + i];
		r1[i].reports = 1;
		r1[i].last = 1764500000 + (int64_t)i;
	}
	memset(d, 0, sizeof(d));
	d[0].domain = a;
	d[0].reporters = r0;
	d[0].nreporters = 100;
	d[1].domain = b;
	d[1].reporters = r1;
	d[1].nreporters = 6;
	d[1].more_reporters = 3;	/* past the summary's own cap */
	memset(&s, 0, sizeof(s));
	s.domains = d;
	s.ndomains = 2;
	if ((got = written(&s, &len)) == NULL)
		return;
	for (p = got; (p = strstr(p, "\nmta_sts_report_reporter_last_report_"
	    "timestamp_seconds{")) != NULL; p++)
		shown++;
	CHECK(shown == REPORT_METRICS_REPORTERS_MAX,
	    "%d reporters with a series (got %zu)",
	    REPORT_METRICS_REPORTERS_MAX, shown);
	CHECK(strstr(got, "{reporter=\"r099\"} 1764999999\n") != NULL,
	    "a reporter of two domains is merged: its reports add up, its "
	    "newest report wins");
	CHECK(strstr(got, "{reporter=\"s001\"}") == NULL,
	    "one with fewer reports has no series");
	snprintf(want_other, sizeof(want_other), "\nmta_sts_report_other_"
	    "reporters 8\n");
	CHECK(strstr(got, want_other) != NULL, "the other 5 are counted, "
	    "and the 3 the summary left unnamed");
	CHECK(strstr(got, "\nmta_sts_report_other_reporters_last_report_"
	    "timestamp_seconds 1764500005\n") != NULL,
	    "with the newest report of theirs");
	free(got);
}

int
main(void)
{
	test_metrics();
	test_cap();
	return unit_done();
}
