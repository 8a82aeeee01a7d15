/* SPDX-License-Identifier: ISC */
/*
 * The summary's rules (tlsrpt_summary.c) at their edges, table-driven:
 * each case is one policy domain, the policies it served and since
 * when, the reports its senders sent (a day each), the thresholds; and
 * the verdicts it must give, in order.  The store is real (a file per
 * case), so the aggregations of tlsrpt_store.c are tested with it; so
 * are schema version 2's migration from a version 1 store, the bounds
 * on what one domain holds, and sums of hostile counts.
 */
#include <sys/stat.h>

#include <stdlib.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "report/report.h"
#include "unit.h"

#define DAY	86400
/* 2024-04-15T00:00:00Z: the end of every case's period. */
#define UNTIL	1713139200LL

static char	 dir[64];

/* A report: one policy, for day (days before UNTIL), of this kind. */
enum applied { CUR, OLD, FOREIGN, NOLINES, NOPOLICY, TLSA };
struct rep {
	const char	*org;
	int		 day;		/* 1: the last day of the period */
	enum applied	 applied;
	int64_t		 ok;
	const char	*ftype;		/* a failure detail, or NULL */
	const char	*fmx;
	int64_t		 fcount;
	int		 next_midnight;	/* end at the next 00:00 (Mail.ru) */
};

struct scase {
	const char	*name;
	enum policy_mode mode;
	int		 published;	/* days before UNTIL; 0: never recorded */
	int		 old_age;	/* >0: an old policy, served from 60 days
					   back, with this max_age (s) */
	unsigned long	 enforce_days, enforce_reporters, silent_days,
			 daily_days;
	int		 period;	/* days; 0: 7 */
	struct rep	 reps[12];
	const char	*want;		/* verdict names, "," between */
};

static const char *const ORG_A = "Google Inc.", *const ORG_B =
    "Microsoft Corporation", *const ORG_C = "Company-X";

#define T(...)	{ __VA_ARGS__ }
static const struct scase cases[] = {
	{ "all good in enforce: nothing", POLICY_ENFORCE, 30, 0, 14, 2, 3, 5,
	    0, T({ ORG_A, 1, CUR, 100, NULL, NULL, 0, 0 },
	    { ORG_B, 1, CUR, 50, NULL, NULL, 0, 0 }), "" },
	{ "testing 14 days, 2 reporters, clean: ready", POLICY_TESTING, 14, 0,
	    14, 2, 3, 5, 0, T({ ORG_A, 1, CUR, 100, NULL, NULL, 0, 0 },
	    { ORG_B, 2, CUR, 50, NULL, NULL, 0, 0 }), "ready for enforce" },
	{ "testing 13 days: not yet", POLICY_TESTING, 13, 0, 14, 2, 3, 5, 0,
	    T({ ORG_A, 1, CUR, 100, NULL, NULL, 0, 0 },
	    { ORG_B, 1, CUR, 50, NULL, NULL, 0, 0 }), "" },
	{ "one reporter of two: not yet", POLICY_TESTING, 30, 0, 14, 2, 3, 5,
	    0, T({ ORG_A, 1, CUR, 100, NULL, NULL, 0, 0 }), "" },
	{ "a reporter without policy lines does not count", POLICY_TESTING,
	    30, 0, 14, 2, 3, 5, 0, T({ ORG_A, 1, CUR, 100, NULL, NULL, 0, 0 },
	    { ORG_B, 1, NOLINES, 50, NULL, NULL, 0, 0 }), "" },
	{ "enforce_reporters 1", POLICY_TESTING, 30, 0, 14, 1, 3, 5, 0,
	    T({ ORG_A, 1, CUR, 100, NULL, NULL, 0, 0 }), "ready for enforce" },
	{ "publication never recorded: never ready", POLICY_TESTING, 0, 0,
	    14, 1, 3, 5, 0, T({ ORG_A, 1, CUR, 100, NULL, NULL, 0, 0 }), "" },
	{ "testing with an unknown certificate-* failure: MX failing",
	    POLICY_TESTING, 30, 0, 14, 1, 3, 5, 0,
	    T({ ORG_A, 1, CUR, 100, "certificate-revoked", "MX.T.example.", 2,
	    0 }), "MX failing" },
	{ "sts-policy-fetch-error: no policy seen, never a bounce",
	    POLICY_TESTING, 30, 0, 14, 1, 3, 5, 0,
	    T({ ORG_A, 1, CUR, 100, "sts-policy-fetch-error", NULL, 2, 0 }),
	    "no policy seen,ready for enforce" },
	{ "sts-webpki-invalid and no-policy-found: one line per reporter",
	    POLICY_ENFORCE, 30, 0, 14, 1, 3, 5, 0,
	    T({ ORG_A, 1, CUR, 100, "sts-webpki-invalid", NULL, 2, 0 },
	    { ORG_C, 1, NOPOLICY, 10, NULL, NULL, 0, 0 }),
	    "no policy seen,no policy seen" },
	{ "no-policy-found before the policy was published: nothing",
	    POLICY_ENFORCE, 2, 0, 14, 1, 3, 5, 0,
	    T({ ORG_C, 3, NOPOLICY, 10, NULL, NULL, 0, 0 }), "" },
	{ "a DANE (tlsa) failure is not MTA-STS's", POLICY_ENFORCE, 30, 0, 14,
	    1, 3, 5, 0, T({ ORG_A, 1, TLSA, 100, "certificate-expired",
	    "mx.t.example", 2, 0 }), "" },
	{ "enforce with starttls-not-supported: critical twice",
	    POLICY_ENFORCE, 30, 0, 14, 1, 3, 5, 0,
	    T({ ORG_A, 1, CUR, 100, "starttls-not-supported", "mx.t.example",
	    2, 0 }, { ORG_B, 1, CUR, 100, "validation-failure", NULL, 1, 0 }),
	    "MX failing,MX failing,not ready for enforce" },
	{ "mode none: no verdict on failures", POLICY_NONE, 30, 0, 14, 1, 3,
	    5, 0, T({ ORG_A, 1, CUR, 100, "certificate-expired",
	    "mx.t.example", 2, 0 }, { ORG_C, 1, NOPOLICY, 10, NULL, NULL, 0,
	    0 }), "" },
	{ "old policy inside its max_age: nothing", POLICY_ENFORCE, 5, 5 * DAY,
	    14, 1, 3, 5, 0, T({ ORG_B, 1, OLD, 100, NULL, NULL, 0, 0 }), "" },
	{ "old policy, report beginning the second its max_age ends: stale",
	    POLICY_ENFORCE, 5, 4 * DAY, 14, 1, 3, 5, 0,
	    T({ ORG_B, 1, OLD, 100, NULL, NULL, 0, 0 }), "stale policy" },
	{ "a policy never served, past its max_age: stale", POLICY_ENFORCE,
	    5, 0, 14, 1, 3, 5, 0, T({ ORG_C, 1, FOREIGN, 100, NULL, NULL, 0,
	    0 }), "stale policy" },
	{ "daily on 5 of 7 days, then 3 days without: silent", POLICY_ENFORCE,
	    30, 0, 14, 1, 3, 5, 0, T({ ORG_A, 1, CUR, 9, NULL, NULL, 0, 0 },
	    { ORG_B, 4, CUR, 1, NULL, NULL, 0, 0 },
	    { ORG_B, 6, CUR, 1, NULL, NULL, 0, 0 },
	    { ORG_B, 7, CUR, 1, NULL, NULL, 0, 0 },
	    { ORG_B, 8, CUR, 1, NULL, NULL, 0, 0 },
	    { ORG_B, 10, CUR, 1, NULL, NULL, 0, 0 }), "silent reporter" },
	{ "4 of 7 days is not daily", POLICY_ENFORCE, 30, 0, 14, 1, 3, 5, 0,
	    T({ ORG_B, 4, CUR, 1, NULL, NULL, 0, 0 },
	    { ORG_B, 6, CUR, 1, NULL, NULL, 0, 0 },
	    { ORG_B, 8, CUR, 1, NULL, NULL, 0, 0 },
	    { ORG_B, 10, CUR, 1, NULL, NULL, 0, 0 }), "" },
	{ "2 days without: not yet silent", POLICY_ENFORCE, 30, 0, 14, 1, 3,
	    5, 0, T({ ORG_B, 3, CUR, 1, NULL, NULL, 0, 0 },
	    { ORG_B, 4, CUR, 1, NULL, NULL, 0, 0 },
	    { ORG_B, 5, CUR, 1, NULL, NULL, 0, 0 },
	    { ORG_B, 6, CUR, 1, NULL, NULL, 0, 0 },
	    { ORG_B, 7, CUR, 1, NULL, NULL, 0, 0 }), "" },
	{ "ending at the next midnight counts on its own day",
	    POLICY_ENFORCE, 30, 0, 14, 1, 3, 5, 0,
	    T({ ORG_B, 4, CUR, 1, NULL, NULL, 0, 1 },
	    { ORG_B, 5, CUR, 1, NULL, NULL, 0, 1 },
	    { ORG_B, 6, CUR, 1, NULL, NULL, 0, 1 },
	    { ORG_B, 7, CUR, 1, NULL, NULL, 0, 1 },
	    { ORG_B, 8, CUR, 1, NULL, NULL, 0, 1 }), "silent reporter" },
	{ "failures before the period do not count", POLICY_TESTING, 30, 0,
	    14, 1, 3, 5, 3, T({ ORG_A, 1, CUR, 100, NULL, NULL, 0, 0 },
	    { ORG_A, 4, CUR, 100, "certificate-expired", "mx.t.example", 2,
	    0 }), "ready for enforce" },
};

static void
path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

/*
 * The cases run again on PostgreSQL when MTA_STS_TEST_DATABASE names a
 * database this test may use (tests/report/run-pg-store.sh): a store
 * per case is then that database with its schema mta_sts made anew.
 */
static const char	*pg_db;
static PGconn		*pg_admin;

/* Where a case keeps its store: a new file, or PostgreSQL emptied. */
static void
store_at(char *buf, size_t size, const char *name)
{
	PGresult	*res;

	if (pg_db == NULL) {
		path(buf, size, name);
		return;
	}
	res = PQexec(pg_admin, "SET client_min_messages = warning; "
	    "DROP SCHEMA IF EXISTS mta_sts CASCADE");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		printf("#   cannot empty %s: %s", pg_db,
		    PQerrorMessage(pg_admin));
	PQclear(res);
	snprintf(buf, size, "%s", pg_db);
}

/* A table of one domain, t.example, with this policy. */
static void
one_table(struct table *t, enum policy_mode mode, unsigned long max_age,
    const char *mx)
{
	const char	*mxs[1] = { mx };
	struct policy_spec spec = { mode, mxs, 1, max_age };
	long		 p, d;

	table_init(t);
	p = table_add_policy(t, &spec);
	d = table_add_domain(t, "t.example", 9);
	if (p >= 0 && d >= 0)
		t->domains[d].policy = (uint32_t)p;
}

/* The lines of a prepared policy, for a report's policy-string. */
static size_t
lines_of(const struct policy *p, char lines[8][64], char **v)
{
	const char	*b, *e, *end;
	size_t		 len, n = 0;

	b = policy_body(p, &len);
	for (end = b + len; b < end && n < 8; b = e + 2, n++) {
		e = memmem(b, (size_t)(end - b), "\r\n", 2);
		snprintf(lines[n], 64, "%.*s", (int)(e - b), b);
		v[n] = lines[n];
	}
	return n;
}

static int
store_rep(struct tlsrpt_store *st, const struct rep *r, int serial,
    const struct policy *cur, const struct policy *old)
{
	static char		 sts[] = "sts", none[] = "no-policy-found",
				 tlsa[] = "tlsa", dom[] = "t.example";
	static const char	 foreign_lines[] = "version: STSv1\r\nmode: "
	    "testing\r\nmx: *.t.example\r\nmax_age: 86400\r\n";
	struct tlsrpt_report	 rep;
	struct tlsrpt_policy	 p;
	struct tlsrpt_failure	 f;
	char			 lines[8][64], *v[8], id[32], org[64];
	char			 type[64], mx[64];
	const struct policy	*src = r->applied == OLD ? old : cur;

	memset(&rep, 0, sizeof(rep));
	memset(&p, 0, sizeof(p));
	memset(&f, 0, sizeof(f));
	snprintf(org, sizeof(org), "%s", r->org);
	snprintf(id, sizeof(id), "r%d", serial);
	rep.organization = org;
	rep.report_id = id;
	rep.begin = UNTIL - (int64_t)r->day * DAY;
	rep.end = rep.begin + (r->next_midnight ? DAY : DAY - 1);
	rep.policies = &p;
	rep.npolicies = 1;
	p.policy_domain = dom;
	p.policy_type = r->applied == NOPOLICY ? none : r->applied == TLSA ?
	    tlsa : sts;
	if (r->applied == CUR || r->applied == OLD) {
		p.npolicy_string = lines_of(src, lines, v);
		p.policy_string = v;
		memcpy(p.policy_id, src->id, sizeof(p.policy_id));
	} else if (r->applied == FOREIGN) {
		v[0] = lines[0];
		snprintf(lines[0], 64, "version: STSv1");
		v[1] = lines[1];
		snprintf(lines[1], 64, "mode: testing");
		v[2] = lines[2];
		snprintf(lines[2], 64, "mx: *.t.example");
		v[3] = lines[3];
		snprintf(lines[3], 64, "max_age: 86400");
		p.policy_string = v;
		p.npolicy_string = 4;
		policy_id(foreign_lines, sizeof(foreign_lines) - 1,
		    p.policy_id);
	}
	p.successful = r->ok;
	if (r->ftype != NULL) {
		snprintf(type, sizeof(type), "%s", r->ftype);
		f.result_type = type;
		if (r->fmx != NULL) {
			snprintf(mx, sizeof(mx), "%s", r->fmx);
			f.receiving_mx_hostname = mx;
		}
		f.count = r->fcount;
		p.failed = r->fcount;
		p.failures = &f;
		p.nfailures = 1;
	}
	tlsrpt_report_digest(&rep);
	return tlsrpt_store_add(st, &rep, TLSRPT_VIA_HTTPS,
	    (const unsigned char *)"x", 1, rep.end + 3600) ==
	    TLSRPT_STORE_ADDED ? 0 : -1;
}

/* The verdict names of the one domain, "," between. */
static void
verdict_names(const struct tlsrpt_summary *s, char *buf, size_t size)
{
	size_t	 i;

	buf[0] = '\0';
	if (s->ndomains != 1)
		return;
	for (i = 0; i < s->domains[0].nverdicts; i++)
		snprintf(buf + strlen(buf), size - strlen(buf), "%s%s",
		    i > 0 ? "," : "",
		    tlsrpt_verdict_name(s->domains[0].verdicts[i].kind));
}

static void
run_case(const struct scase *c, int n)
{
	struct tlsrpt_store	*st = NULL;
	struct table		 cur, old;
	struct conf_reports	 rc;
	struct tlsrpt_summary	 sum;
	char			 file[128], name[32], got[256];
	const struct rep	*r;
	int			 i, ok = 1, period = c->period ? c->period : 7;

	snprintf(name, sizeof(name), "case%d.db", n);
	store_at(file, sizeof(file), name);
	one_table(&cur, c->mode, 604800, "mx.t.example");
	one_table(&old, POLICY_ENFORCE, c->old_age > 0 ?
	    (unsigned long)c->old_age : 86400, "old.t.example");
	memset(&rc, 0, sizeof(rc));
	rc.enforce_days = c->enforce_days;
	rc.enforce_reporters = c->enforce_reporters;
	rc.silent_days = c->silent_days;
	rc.daily_days = c->daily_days;
	if (tlsrpt_store_open(&st, file, TLSRPT_STORE_OPEN_CREATE) == -1) {
		CHECK(0, "%s: store", c->name);
		goto out;
	}
	if (c->old_age > 0 && tlsrpt_store_served(st, &old, UNTIL - 60 *
	    DAY) != 1)
		ok = 0;
	if (c->published > 0 && tlsrpt_store_served(st, &cur, UNTIL -
	    (int64_t)c->published * DAY) != 1)
		ok = 0;
	for (i = 0, r = c->reps; r->org != NULL; r++, i++)
		if (store_rep(st, r, i, &cur.policies[0], &old.policies[0]) ==
		    -1)
			ok = 0;
	CHECK(ok, "%s: stored", c->name);
	if (tlsrpt_summary_build(st, &cur, &rc, UNTIL - (int64_t)period * DAY,
	    UNTIL, NULL, 0, &sum) == -1) {
		CHECK(0, "%s: built", c->name);
		goto out;
	}
	verdict_names(&sum, got, sizeof(got));
	CHECK(strcmp(got, c->want) == 0, "%s: verdicts \"%s\" (got \"%s\")",
	    c->name, c->want, got);
	tlsrpt_summary_free(&sum);
out:
	tlsrpt_store_close(st);
	table_free(&cur);
	table_free(&old);
}

/* A stale verdict's line says which id, and since when, exactly. */
static void
test_stale_line(void)
{
	static const struct scase c = { "line", POLICY_ENFORCE, 5, 4 * DAY,
	    14, 1, 3, 5, 0, T({ "Evil\x1b[2J\nOrg", 1, OLD, 1, NULL, NULL, 0,
	    0 }), "stale policy" };
	struct tlsrpt_store	*st;
	struct table		 cur, old;
	struct conf_reports	 rc = { .enforce_days = 14,
				    .enforce_reporters = 1, .silent_days = 3,
				    .daily_days = 5 };
	struct tlsrpt_summary	 sum;
	char			 file[128], want[1024];
	const struct tlsrpt_verdict *v;

	store_at(file, sizeof(file), "line.db");
	one_table(&cur, POLICY_ENFORCE, 604800, "mx.t.example");
	one_table(&old, POLICY_ENFORCE, 4 * DAY, "old.t.example");
	if (tlsrpt_store_open(&st, file, TLSRPT_STORE_OPEN_CREATE) == -1)
		return;
	tlsrpt_store_served(st, &old, UNTIL - 60 * DAY);
	tlsrpt_store_served(st, &cur, UNTIL - 5 * DAY);
	store_rep(st, &c.reps[0], 0, &cur.policies[0], &old.policies[0]);
	CHECK(tlsrpt_summary_build(st, &cur, &rc, UNTIL - 7 * DAY, UNTIL,
	    NULL, 0, &sum) == 0 && sum.ndomains == 1 &&
	    sum.domains[0].nverdicts == 1, "line: one verdict");
	if (sum.ndomains == 1 && sum.domains[0].nverdicts == 1) {
		v = &sum.domains[0].verdicts[0];
		snprintf(want, sizeof(want), "Evil\\x1b[2J\\nOrg: applied "
		    "policy id %s until 2024-04-14, after id %s replaced it on "
		    "2024-04-10 and its max_age of 345600 s ran out on "
		    "2024-04-14: the sender does not refresh its policy; check "
		    "that the id in the TXT record _mta-sts.t.example changed "
		    "with the policy (mta-sts-fcgi -d t.example, mta-sts-check "
		    "t.example)", old.policies[0].id, cur.policies[0].id);
		CHECK_BYTES(v->line, strlen(v->line), want, strlen(want),
		    "line: the stale policy line, escaped");
		CHECK(v->since == UNTIL - DAY && v->severity ==
		    TLSRPT_SEVERITY_WARNING && v->subject != NULL &&
		    strcmp(v->subject, "Evil\x1b[2J\nOrg") == 0,
		    "line: since the deadline, a warning, the raw subject");
		CHECK(sum.domains[0].published == UNTIL - 5 * DAY,
		    "line: published when first served");
	}
	tlsrpt_summary_free(&sum);
	tlsrpt_store_close(st);
	table_free(&cur);
	table_free(&old);
}

/* Bounds and sums: what anyone who may POST could make of a domain. */
static void
test_bounds(void)
{
	struct tlsrpt_store	*st;
	struct table		 t;
	struct conf_reports	 rc = { .enforce_days = 14,
				    .enforce_reporters = 1, .silent_days = 3,
				    .daily_days = 5 };
	struct tlsrpt_summary	 sum;
	struct rep		 r = { NULL, 1, NOLINES, INT64_MAX,
				    "certificate-expired", NULL, INT64_MAX,
				    0 };
	char			 file[128], org[32], mx[32];
	int			 i, ok = 1;

	store_at(file, sizeof(file), "bounds.db");
	one_table(&t, POLICY_TESTING, 604800, "mx.t.example");
	if (tlsrpt_store_open(&st, file, TLSRPT_STORE_OPEN_CREATE) == -1)
		return;
	for (i = 0; i < TLSRPT_SUMMARY_REPORTERS_MAX + 5 && ok; i++) {
		snprintf(org, sizeof(org), "org%05d", i);
		snprintf(mx, sizeof(mx), "mx%d.t.example", i);
		r.org = org;
		r.fmx = mx;
		ok = store_rep(st, &r, i, &t.policies[0], &t.policies[0]) == 0;
	}
	CHECK(ok, "bounds: stored %d reports", i);
	CHECK(tlsrpt_summary_build(st, &t, &rc, UNTIL - 7 * DAY, UNTIL, NULL,
	    0, &sum) == 0 && sum.ndomains == 1, "bounds: built");
	if (sum.ndomains == 1) {
		CHECK(sum.domains[0].nreporters == TLSRPT_SUMMARY_REPORTERS_MAX &&
		    sum.domains[0].more_reporters == 5, "bounds: %d reporters "
		    "kept, 5 counted", TLSRPT_SUMMARY_REPORTERS_MAX);
		CHECK(sum.domains[0].nfailures == TLSRPT_SUMMARY_FAILURES_MAX &&
		    sum.domains[0].more_failures == 5, "bounds: %d failure "
		    "groups kept, 5 counted", TLSRPT_SUMMARY_FAILURES_MAX);
		CHECK(sum.domains[0].successful == INT64_MAX &&
		    sum.domains[0].failed == INT64_MAX &&
		    sum.domains[0].days[6].successful == INT64_MAX,
		    "bounds: sums of INT64_MAX saturate");
	}
	tlsrpt_summary_free(&sum);
	tlsrpt_store_close(st);
	table_free(&t);
}

/* A store of schema version 1 (the first release) migrates to 2. */
static void
test_migration(void)
{
	sqlite3			*db;
	struct tlsrpt_store	*st;
	struct table		 t;
	char			 file[128];
	long long		 v = -1, reports = -1;
	sqlite3_stmt		*s;

	path(file, sizeof(file), "v1.db");
	/* Version 1 as tlsrpt_store.c's migrations[0] creates it. */
	if (sqlite3_open(file, &db) != SQLITE_OK)
		return;
	sqlite3_exec(db, "CREATE TABLE reports (id INTEGER PRIMARY KEY, "
	    "organization TEXT NOT NULL, report_id TEXT NOT NULL, contact "
	    "TEXT, begin INTEGER NOT NULL, end INTEGER NOT NULL, received "
	    "INTEGER NOT NULL, via TEXT NOT NULL, raw BLOB NOT NULL, digest "
	    "TEXT NOT NULL, UNIQUE (organization, report_id, digest));"
	    "CREATE INDEX reports_end ON reports (end, received);"
	    "CREATE TABLE policies (id INTEGER PRIMARY KEY, report INTEGER "
	    "NOT NULL REFERENCES reports (id) ON DELETE CASCADE, policy_type "
	    "TEXT NOT NULL, policy_domain TEXT NOT NULL, policy_string TEXT, "
	    "policy_id TEXT NOT NULL, mx_host TEXT, successful INTEGER NOT "
	    "NULL, failed INTEGER NOT NULL);"
	    "CREATE INDEX policies_report ON policies (report);"
	    "CREATE INDEX policies_domain ON policies (policy_domain);"
	    "CREATE TABLE failures (id INTEGER PRIMARY KEY, policy INTEGER NOT "
	    "NULL REFERENCES policies (id) ON DELETE CASCADE, result_type TEXT "
	    "NOT NULL, sending_mta_ip TEXT, receiving_mx_hostname TEXT, "
	    "receiving_mx_helo TEXT, receiving_ip TEXT, count INTEGER NOT "
	    "NULL, additional_information TEXT, failure_reason_code TEXT);"
	    "CREATE INDEX failures_policy ON failures (policy);"
	    "INSERT INTO reports VALUES (1, 'o', 'r', NULL, 0, 86399, 90000, "
	    "'https', x'00', 'd');"
	    "PRAGMA application_id = 1297371986; PRAGMA user_version = 1;",
	    NULL, NULL, NULL);
	sqlite3_close(db);
	CHECK(tlsrpt_store_open(&st, file, 0) == 0, "migration: a version 1 "
	    "store opens");
	one_table(&t, POLICY_TESTING, 604800, "mx.t.example");
	CHECK(st != NULL && tlsrpt_store_served(st, &t, 1000) == 1 &&
	    tlsrpt_store_served(st, &t, 2000) == 0, "migration: served "
	    "recorded once");
	tlsrpt_store_close(st);
	table_free(&t);
	if (sqlite3_open(file, &db) == SQLITE_OK && sqlite3_prepare_v2(db,
	    "SELECT (SELECT user_version FROM pragma_user_version), "
	    "(SELECT count(*) FROM reports)", -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW) {
			v = sqlite3_column_int64(s, 0);
			reports = sqlite3_column_int64(s, 1);
		}
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	CHECK(v == 2 && reports == 1, "migration: version 2, the report kept "
	    "(version %lld, %lld reports)", v, reports);
}

/* A domain named without a [domain] section, and the policy's fields. */
static void
test_named(void)
{
	struct tlsrpt_store	*st;
	struct table		 t;
	struct conf_reports	 rc = { .enforce_days = 14 };
	struct tlsrpt_summary	 sum;
	const char		*names[] = { "t.example", "T.example",
				    "u.example" };
	char			 file[128];
	enum policy_mode	 mode;
	unsigned long		 age;

	store_at(file, sizeof(file), "named.db");
	one_table(&t, POLICY_TESTING, 86400, "mx.t.example");
	CHECK(tlsrpt_store_policy_spec(&t.policies[0], &mode, &age) == 0 &&
	    mode == POLICY_TESTING && age == 86400, "policy_spec: testing, "
	    "86400");
	if (tlsrpt_store_open(&st, file, TLSRPT_STORE_OPEN_CREATE) == -1)
		return;
	log_quiet = 1;
	CHECK(tlsrpt_summary_build(st, &t, &rc, UNTIL - DAY, UNTIL, names, 3,
	    &sum) == -1 && sum.ndomains == 0, "named: u.example is not served");
	CHECK(tlsrpt_summary_build(st, &t, &rc, UNTIL, UNTIL, names, 1,
	    &sum) == -1, "named: an empty period is refused");
	log_quiet = 0;
	CHECK(tlsrpt_summary_build(st, &t, &rc, UNTIL - DAY, UNTIL, names, 1,
	    &sum) == 0 && sum.ndomains == 1 && sum.domains[0].ndays == 1 &&
	    sum.domains[0].nverdicts == 0, "named: one day, nothing to say");
	tlsrpt_summary_free(&sum);
	tlsrpt_store_close(st);
	table_free(&t);
}

int
main(void)
{
	size_t	 i;
	char	 cmd[128];

	snprintf(dir, sizeof(dir), "/tmp/test-summary.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	log_progname = "test";
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i], (int)i);
	test_stale_line();
	test_bounds();
	test_migration();
	test_named();
	if ((pg_db = getenv("MTA_STS_TEST_DATABASE")) != NULL) {
		printf("# the same cases on PostgreSQL, %s\n", pg_db);
		if (PQstatus(pg_admin = PQconnectdb(pg_db)) != CONNECTION_OK)
			CHECK(0, "connect to %s: %s", pg_db,
			    PQerrorMessage(pg_admin));
		else {
			for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
				run_case(&cases[i], (int)i);
			test_stale_line();
			test_bounds();
			test_named();
			store_at(cmd, sizeof(cmd), "");
		}
		PQfinish(pg_admin);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	printf("# %d passed, %d failed\n", unit_passed, unit_failed);
	return unit_failed != 0;
}
