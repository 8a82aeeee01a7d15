/* SPDX-License-Identifier: ISC */
/*
 * check_metrics.c and what check_result.c keeps for it: the exact
 * metrics of hand-built results (checks made or not, severities,
 * expiries kept earliest per host, the policy served), with hostile
 * host names escaped.
 */
#include <stdlib.h>

#include "check/check.h"
#include "unit.h"

static const char want[] =
    "# HELP mta_sts_check_status The worst result of each check made of a "
    "policy domain: 0 ok, 1 warning, 2 critical, 3 unknown (could not "
    "check).\n"
    "# TYPE mta_sts_check_status gauge\n"
    "mta_sts_check_status{domain=\"a.test\",check=\"sts-record\"} 0\n"
    "mta_sts_check_status{domain=\"a.test\",check=\"sts-id\"} 2\n"
    "mta_sts_check_status{domain=\"a.test\",check=\"policy-tls\"} 1\n"
    "mta_sts_check_status{domain=\"a.test\",check=\"mx-tls\"} 2\n"
    "mta_sts_check_status{domain=\"a.test\",check=\"tlsrpt\"} 3\n"
    "mta_sts_check_status{domain=\"b.test\",check=\"policy-host\"} 0\n"
    "# HELP mta_sts_certificate_expiry_timestamp_seconds When the first "
    "certificate of the verified chain a policy host or MX host presented "
    "expires (the leaf's or a CA's; the earliest over its addresses), in "
    "seconds since the epoch.\n"
    "# TYPE mta_sts_certificate_expiry_timestamp_seconds gauge\n"
    "mta_sts_certificate_expiry_timestamp_seconds{domain=\"a.test\","
    "role=\"policy-host\",host=\"mta-sts.a.test\"} 1700000000\n"
    "mta_sts_certificate_expiry_timestamp_seconds{domain=\"a.test\","
    "role=\"mx\",host=\"mx1.a.test\"} 1600000000\n"
    "mta_sts_certificate_expiry_timestamp_seconds{domain=\"a.test\","
    "role=\"mx\",host=\"mx\\\\n\\\"2\"} 1800000000\n"
    "# HELP mta_sts_policy_info The policy this config serves: its mode "
    "and its id (the _mta-sts record's); always 1.\n"
    "# TYPE mta_sts_policy_info gauge\n"
    "mta_sts_policy_info{domain=\"a.test\",mode=\"enforce\",id=\"@A@\"} 1\n"
    "mta_sts_policy_info{domain=\"b.test\",mode=\"testing\",id=\"@B@\"} 1\n"
    "# HELP mta_sts_policy_max_age_seconds The max_age of the policy this "
    "config serves.\n"
    "# TYPE mta_sts_policy_max_age_seconds gauge\n"
    "mta_sts_policy_max_age_seconds{domain=\"a.test\"} 86400\n"
    "mta_sts_policy_max_age_seconds{domain=\"b.test\"} 604800\n"
    "# HELP mta_sts_check_last_run_timestamp_seconds When mta-sts-check "
    "finished the checks these metrics are of, in seconds since the "
    "epoch.\n"
    "# TYPE mta_sts_check_last_run_timestamp_seconds gauge\n"
    "mta_sts_check_last_run_timestamp_seconds 1765000000\n";

/* want with @A@ and @B@ replaced by the policies' ids, into out. */
static void
expected(char *out, size_t size, const char *a, const char *b)
{
	const char	*w = want;
	size_t		 o = 0;

	while (*w != '\0' && o + POLICY_ID_LEN + 1 < size) {
		if (strncmp(w, "@A@", 3) == 0 || strncmp(w, "@B@", 3) == 0) {
			memcpy(out + o, w[1] == 'A' ? a : b, POLICY_ID_LEN);
			o += POLICY_ID_LEN;
			w += 3;
		} else
			out[o++] = *w++;
	}
	out[o] = '\0';
}

static void
test_metrics(void)
{
	static const char *const mx[] = { "mx1.a.test" };
	struct policy_spec	 sa = { POLICY_ENFORCE, mx, 1, 86400 };
	struct policy_spec	 sb = { POLICY_TESTING, mx, 1, 604800 };
	struct policy		 pa, pb;
	struct check_domain_target d[2];
	struct check_result	 r[2];
	struct prom		 p;
	char			*buf = NULL, exp[8192];
	size_t			 len = 0;
	FILE			*fp;

	if (policy_prepare(&pa, &sa) == -1 || policy_prepare(&pb, &sb) == -1 ||
	    (fp = open_memstream(&buf, &len)) == NULL) {
		CHECK(0, "setup");
		return;
	}
	memset(d, 0, sizeof(d));
	memset(r, 0, sizeof(r));
	d[0].name = r[0].domain = "a.test";
	d[0].policy = &pa;
	d[1].name = r[1].domain = "b.test";
	d[1].policy = &pb;
	/* a.test: sts-record made and fine, the rest found something. */
	check_result_ran(&r[0], CHECK_RESULT_STS_RECORD);
	check_result_add(&r[0], CHECK_RESULT_STS_ID, CHECK_RESULT_CRITICAL,
	    "stale");
	check_result_add(&r[0], CHECK_RESULT_POLICY_TLS, CHECK_RESULT_WARNING,
	    "expires");
	check_result_add(&r[0], CHECK_RESULT_MX_TLS, CHECK_RESULT_WARNING,
	    "one");
	check_result_add(&r[0], CHECK_RESULT_MX_TLS, CHECK_RESULT_CRITICAL,
	    "two");
	check_result_add(&r[0], CHECK_RESULT_MX_TLS, CHECK_RESULT_WARNING,
	    "three: the worst stays");
	check_result_add(&r[0], CHECK_RESULT_TLSRPT, CHECK_RESULT_UNKNOWN,
	    "store");
	check_result_expiry(&r[0], CHECK_RESULT_POLICY_TLS, "mta-sts.a.test",
	    1700000000);
	check_result_expiry(&r[0], CHECK_RESULT_MX_TLS, "mx1.a.test",
	    1650000000);
	check_result_expiry(&r[0], CHECK_RESULT_MX_TLS, "mx1.a.test",
	    1600000000);
	check_result_expiry(&r[0], CHECK_RESULT_MX_TLS, "mx1.a.test",
	    1690000000);
	check_result_expiry(&r[0], CHECK_RESULT_MX_TLS, "mx\n\"2", 1800000000);
	check_result_expiry(&r[0], CHECK_RESULT_MX_TLS, "unknown.a.test", 0);
	/* b.test: only the policy host was made, and passed. */
	check_result_ran(&r[1], CHECK_RESULT_POLICY_HOST);
	CHECK(r[0].nexpiry == 3, "one expiry per host, the earliest; none "
	    "unknown (got %zu)", r[0].nexpiry);

	prom_stream(&p, fp);
	check_metrics_write(&p, d, r, 2, 1765000000);
	CHECK(prom_finish(&p) == 0, "written");
	fclose(fp);
	expected(exp, sizeof(exp), pa.id, pb.id);
	CHECK_BYTES(buf, len, exp, strlen(exp), "the exact metrics");
	free(buf);
	check_result_free(&r[0]);
	check_result_free(&r[1]);
	CHECK(r[0].expiry == NULL && r[0].nexpiry == 0, "freed");
	policy_free(&pa);
	policy_free(&pb);
}

int
main(void)
{
	test_metrics();
	return unit_done();
}
