/* SPDX-License-Identifier: ISC */
/*
 * check_tlsrpt.c: a domain's verdicts (hand-built, as the summary model
 * gives them) as tlsrpt lines, with what reporters wrote escaped; and a
 * store that cannot be read said as unknown on every domain's line.
 */
#include <stdlib.h>
#include <unistd.h>

#include "check/check.h"
#include "tlsrpt/tlsrpt.h"
#include "unit.h"

static void
test_verdicts(void)
{
	char	 mx[] = "mx.a.test", domain[] = "a.test";
	char	 mx_line[] = "mx.a.test: 12 certificate-expired from Google "
	    "LLC; renew it";
	char	 evil[] = "Evil\r\na.test: tlsrpt: ok: forged";
	char	 evil_line[] = "Evil\r\na.test: tlsrpt: ok: forged "
	    "\xe2\x80\xae applies id 1";
	char	 ready_line[] = "set mode = enforce";
	struct tlsrpt_verdict v[] = {
		{ TLSRPT_VERDICT_MX_FAILING, TLSRPT_SEVERITY_CRITICAL, mx,
		  1700000000, mx_line },
		{ TLSRPT_VERDICT_STALE_POLICY, TLSRPT_SEVERITY_WARNING, evil, 0,
		  evil_line },
		{ TLSRPT_VERDICT_READY_FOR_ENFORCE, TLSRPT_SEVERITY_INFO, NULL,
		  0, ready_line },
	};
	struct tlsrpt_domain	 d;
	struct check_result	 r;
	char			 want[1024];

	memset(&d, 0, sizeof(d));
	d.domain = domain;
	d.verdicts = v;
	d.nverdicts = 3;
	memset(&r, 0, sizeof(r));
	r.domain = "a.test";
	check_tlsrpt_verdicts(&d, &r);
	snprintf(want, sizeof(want),
	    "a.test: tlsrpt: critical: %s: mx.a.test: 12 certificate-expired "
	    "from Google LLC; renew it\n"
	    "a.test: tlsrpt: warning: %s: Evil\\r\\na.test: tlsrpt: ok: "
	    "forged \\u202e applies id 1\n",
	    tlsrpt_verdict_name(TLSRPT_VERDICT_MX_FAILING),
	    tlsrpt_verdict_name(TLSRPT_VERDICT_STALE_POLICY));
	CHECK_BYTES(r.text, r.len, want, strlen(want),
	    "warning and critical verdicts are lines, escaped; ready for "
	    "enforce is none");
	CHECK(r.worst == CHECK_RESULT_CRITICAL &&
	    r.sev[CHECK_RESULT_TLSRPT] == CHECK_RESULT_CRITICAL,
	    "the domain's and the check's worst is critical");
	check_result_free(&r);

	/* Only good news: the check was made, no line, OK. */
	d.verdicts = &v[2];
	d.nverdicts = 1;
	memset(&r, 0, sizeof(r));
	r.domain = "a.test";
	check_tlsrpt_verdicts(&d, &r);
	CHECK(r.len == 0 && r.worst == CHECK_RESULT_OK &&
	    (r.ran & (1U << CHECK_RESULT_TLSRPT)),
	    "a domain ready for enforce is OK, and the check counts as made");
	check_result_free(&r);
}

/* A store that is missing, and one that is not a store. */
static void
test_unreadable(void)
{
	struct conf_reports	 reports;
	struct table		 t;
	struct check_result	 r[2];
	char			 path[] = "/tmp/test_check_tlsrpt.XXXXXX";
	char			 missing[] = "/nonexistent/reports.db";
	char			 want[2048];
	int			 fd;

	table_init(&t);
	if (table_add_domain(&t, "a.test", 6) == -1 ||
	    table_add_domain(&t, "b.test", 6) == -1) {
		CHECK(0, "table");
		return;
	}
	memset(&reports, 0, sizeof(reports));
	memset(r, 0, sizeof(r));
	r[0].domain = "a.test";
	r[1].domain = "b.test";
	reports.present = 0;
	reports.database = missing;
	check_tlsrpt_run(&reports, &t, r, 2, 1765000000);
	CHECK(r[0].len == 0 && r[0].ran == 0,
	    "no [reports] section: no tlsrpt check");

	reports.present = 1;
	check_tlsrpt_run(&reports, &t, r, 2, 1765000000);
	snprintf(want, sizeof(want), "b.test: tlsrpt: unknown: the reports "
	    "could not be read, so what senders report was not checked: "
	    "/nonexistent/reports.db: cannot open the store: unable to open "
	    "database file (No such file or directory)\n");
	CHECK_BYTES(r[1].text, r[1].len, want, strlen(want),
	    "a missing store: an unknown line with the store's reason");
	CHECK(r[0].worst == CHECK_RESULT_UNKNOWN, "on every domain");
	check_result_free(&r[0]);
	check_result_free(&r[1]);

	/* No [domain] section: no report is stored, no check is made. */
	memset(r, 0, sizeof(r));
	r[0].domain = "c.test";
	r[1].domain = "a.test";
	check_tlsrpt_run(&reports, &t, r, 2, 1765000000);
	CHECK(r[0].len == 0 && r[0].ran == 0 && r[0].worst == CHECK_RESULT_OK,
	    "a domain served by [policy] alone: no tlsrpt check, even when "
	    "the store cannot be read");
	CHECK(r[1].worst == CHECK_RESULT_UNKNOWN, "but its neighbour's is");
	check_result_free(&r[0]);
	check_result_free(&r[1]);
	memset(r, 0, sizeof(r));
	r[0].domain = "a.test";

	if ((fd = mkstemp(path)) == -1 ||
	    write(fd, "not a database, not at all: text\n", 33) != 33) {
		CHECK(0, "mkstemp");
		return;
	}
	close(fd);
	reports.database = path;
	check_tlsrpt_run(&reports, &t, r, 1, 1765000000);
	snprintf(want, sizeof(want), "a.test: tlsrpt: unknown: the reports "
	    "could not be read, so what senders report was not checked: "
	    "%s: ", path);
	CHECK(r[0].len > strlen(want) && strncmp(r[0].text, want,
	    strlen(want)) == 0 && strstr(r[0].text, "not a database") != NULL,
	    "a file that is not a store: unknown, with the store's reason");
	check_result_free(&r[0]);
	unlink(path);
	table_free(&t);
}

int
main(void)
{
	test_verdicts();
	test_unreadable();
	return unit_done();
}
