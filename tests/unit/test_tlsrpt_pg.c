/* SPDX-License-Identifier: ISC */
/*
 * The PostgreSQL store (tlsrpt_pg.c), for real.  Without a server: a
 * peer that accepts the connection and never answers, a port nobody
 * listens on.  With one (MTA_STS_TEST_DATABASE names a database this
 * test may use as a superuser; tests/report/run-pg-store.sh starts a
 * cluster of its own and sets it, with libpq's PGHOST, PGPORT and
 * PGUSER): the schema as created and as migrated from version 1, by
 * several processes at once; what is refused (a newer schema, another
 * program's tables, a LATIN1 database, a server that takes only
 * reads); the same answers as the SQLite store for the same reports,
 * row for row and byte for byte; the same reports added by several
 * processes at once, stored once; writers killed mid-report; the
 * connection lost at COMMIT, the server restarted, a backend that stops
 * answering; every SQLSTATE class the store maps; notices; groups;
 * prune; and the roles of contrib/postgresql/mta-sts-report.sql
 * (MTA_STS_TEST_OWNER, MTA_STS_TEST_RECEIVER).  Everything it makes in
 * the server it removes.
 *
 * "test_tlsrpt_pg bench N" adds N reports and says how long each took.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "report/report.h"
#include "unit.h"

static const char	*db;		/* MTA_STS_TEST_DATABASE */
static PGconn		*admin;		/* a superuser's, to set things up */
static char		 dir[64];	/* for the SQLite store compared */

/* SQL as the superuser; 0, or -1 after printing why. */
static int
sql_exec(const char *sql)
{
	PGresult	*res = PQexec(admin, sql);
	int		 ok = PQresultStatus(res) == PGRES_COMMAND_OK ||
			    PQresultStatus(res) == PGRES_TUPLES_OK;

	if (!ok)
		printf("#   %s: %s", sql, PQerrorMessage(admin));
	PQclear(res);
	return ok ? 0 : -1;
}

/* The first column of the first row as a number; -1 if none. */
static long long
sql_int(const char *sql)
{
	PGresult	*res = PQexec(admin, sql);
	long long	 n = -1;

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0 &&
	    !PQgetisnull(res, 0, 0))
		n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	else if (PQresultStatus(res) != PGRES_TUPLES_OK)
		printf("#   %s: %s", sql, PQerrorMessage(admin));
	PQclear(res);
	return n;
}

/* The first column of every row, "," between, into buf. */
static const char *
sql_text(const char *sql, char *buf, size_t size)
{
	PGresult	*res = PQexec(admin, sql);
	int		 i;

	buf[0] = '\0';
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		snprintf(buf, size, "error: %s", PQerrorMessage(admin));
	for (i = 0; PQresultStatus(res) == PGRES_TUPLES_OK &&
	    i < PQntuples(res); i++)
		snprintf(buf + strlen(buf), size - strlen(buf), "%s%s",
		    i > 0 ? "," : "", PQgetvalue(res, i, 0));
	PQclear(res);
	return buf;
}

/* The test's database empty of anything of ours. */
static void
reset(void)
{
	sql_exec("DROP SCHEMA IF EXISTS mta_sts CASCADE; DROP TABLE IF "
	    "EXISTS public.seen, public.fail; DROP FUNCTION IF EXISTS "
	    "public.seen(), public.fail(), public.die(), public.no()");
}

/* stderr into a buffer around a call, for the exact messages. */
static int	 saved_stderr = -1;
static FILE	*captured;

static void
capture_begin(void)
{
	fflush(stderr);
	captured = tmpfile();
	saved_stderr = dup(2);
	dup2(fileno(captured), 2);
}

static void
capture_end(char *buf, size_t size)
{
	size_t	 n;

	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	rewind(captured);
	n = fread(buf, 1, size - 1, captured);
	buf[n] = '\0';
	fclose(captured);
}

/* want is a format with one %s, the database string. */
static void
check_message(const char *name, const char *got, const char *fmt,
    const char *database)
{
	char	 want[2048];

	snprintf(want, sizeof(want), fmt, database);
	CHECK_BYTES(got, strlen(got), want, strlen(want), "%s: message",
	    name);
}

/* A child's status: its exit code, or 200 + the signal. */
static int
child_wait(pid_t pid)
{
	int	 status;

	if (waitpid(pid, &status, 0) == -1)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) :
	    200 + WTERMSIG(status);
}

/*
 * A report with two policies (domain and "b." domain) of three failures
 * each, pointing into the struct: build it in place.
 */
struct fixture {
	struct tlsrpt_report	 r;
	struct tlsrpt_policy	 p[2];
	struct tlsrpt_failure	 f[2][3];
	char			 org[128], id[128], dom[2][64];
	char			*lines[4], *mx[2];
	unsigned char		 raw[32];
};

static void
fixture(struct fixture *x, const char *org, const char *id, int64_t end,
    const char *domain)
{
	static char	 l0[] = "version: STSv1", l1[] = "mode: enforce",
			 l2[] = "mx: mail.example.com", l3[] = "max_age: 86400",
			 mx0[] = "mail.example.com", mx1[] = "*.example.net",
			 t0[] = "certificate-expired",
			 t1[] = "starttls-not-supported", t2[] = "x-unknown",
			 ip[] = "192.0.2.1", mxn[] = "Mail.Example.COM.";
	char		*types[3] = { t0, t1, t2 };
	int		 i, j;

	memset(x, 0, sizeof(*x));
	snprintf(x->org, sizeof(x->org), "%s", org);
	snprintf(x->id, sizeof(x->id), "%s", id);
	snprintf(x->dom[0], sizeof(x->dom[0]), "%s", domain);
	snprintf(x->dom[1], sizeof(x->dom[1]), "b.%s", domain);
	x->lines[0] = l0;
	x->lines[1] = l1;
	x->lines[2] = l2;
	x->lines[3] = l3;
	x->mx[0] = mx0;
	x->mx[1] = mx1;
	x->r.organization = x->org;
	x->r.report_id = x->id;
	x->r.begin = end - 86399;
	x->r.end = end;
	x->r.policies = x->p;
	x->r.npolicies = 2;
	for (i = 0; i < 2; i++) {
		static char sts[] = "sts";

		x->p[i].policy_type = sts;
		x->p[i].policy_domain = x->dom[i];
		x->p[i].policy_string = x->lines;
		x->p[i].npolicy_string = 4;
		x->p[i].mx_host = x->mx;
		x->p[i].nmx_host = 2;
		x->p[i].successful = 100 + i;
		x->p[i].failed = 6;
		x->p[i].failures = x->f[i];
		x->p[i].nfailures = 3;
		for (j = 0; j < 3; j++) {
			x->f[i][j].result_type = types[j];
			x->f[i][j].sending_mta_ip = ip;
			x->f[i][j].receiving_mx_hostname = mxn;
			x->f[i][j].count = j + 1;
		}
	}
	memcpy(x->raw, "\x1f\x8b\x08\x00raw\x00\xff", 9);
	tlsrpt_report_digest(&x->r);
}

static enum tlsrpt_store_result
add(struct tlsrpt_store *st, const char *org, const char *id, int64_t end,
    const char *domain)
{
	struct fixture	 x;

	fixture(&x, org, id, end, domain);
	return tlsrpt_store_add(st, &x.r, TLSRPT_VIA_HTTPS, x.raw, 9, end + 60);
}

/*
 * Reports stored without exactly their two policies of three failures
 * each: a half-stored report.  -1 if the query fails.
 */
static long long
sql_broken(void)
{
	return sql_int("SELECT count(*) FROM mta_sts.reports r WHERE "
	    "(SELECT count(*) FROM mta_sts.policies p WHERE p.report = r.id) "
	    "!= 2 OR (SELECT count(*) FROM mta_sts.failures f JOIN "
	    "mta_sts.policies p ON f.policy = p.id WHERE p.report = r.id) != 6");
}

/*
 * Without a server: a peer that completes the TCP handshake (the
 * kernel does, from the listen backlog) and then never says a word
 * costs the deadline, not more; a port nobody listens on fails at once.
 */
static void
test_no_server(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	struct tlsrpt_store	*st;
	char			 uri[128], msg[1024];
	int64_t			 t0, ms;
	int			 s;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(s, 8) == -1 ||
	    getsockname(s, (struct sockaddr *)&sin, &len) == -1) {
		CHECK(0, "silent peer: a listening socket");
		return;
	}
	snprintf(uri, sizeof(uri), "postgresql://127.0.0.1:%d/x?user=u&"
	    "sslmode=disable", ntohs(sin.sin_port));
	capture_begin();
	t0 = clock_ms();
	CHECK(tlsrpt_store_open(&st, uri, TLSRPT_STORE_OPEN_CREATE) == -1 &&
	    st == NULL, "silent peer: open fails");
	ms = clock_ms() - t0;
	capture_end(msg, sizeof(msg));
	CHECK(ms >= TLSRPT_STORE_BUSY_MS && ms < TLSRPT_STORE_BUSY_MS + 1500,
	    "silent peer: within the deadline (%lld ms)", (long long)ms);
	check_message("silent peer", msg, "test: %s: cannot open the store: "
	    "PostgreSQL did not answer within 5000 ms (the connection is "
	    "closed; the next attempt opens a new one)\n", uri);
	close(s);

	/* The same port, closed now: refused at once. */
	capture_begin();
	t0 = clock_ms();
	CHECK(tlsrpt_store_open(&st, uri, TLSRPT_STORE_OPEN_CREATE) == -1,
	    "refused: open fails");
	ms = clock_ms() - t0;
	capture_end(msg, sizeof(msg));
	CHECK(ms < 1000, "refused: at once (%lld ms)", (long long)ms);
	snprintf(uri + strlen(uri), sizeof(uri) - strlen(uri), "%s", "");
	CHECK(strstr(msg, ": cannot open the store: connection to server at "
	    "\"127.0.0.1\", port ") != NULL && strstr(msg, "Connection "
	    "refused\n") != NULL && strchr(msg, '\n') == msg + strlen(msg) - 1,
	    "refused: one line with libpq's reason");
	if (strchr(msg, '\n') != msg + strlen(msg) - 1)
		printf("#   got: %s", msg);
}

static void
test_create(void)
{
	struct tlsrpt_store	*st;
	char			 buf[1024];
	long long		 objects;

	reset();
	CHECK(tlsrpt_store_open(&st, db, TLSRPT_STORE_OPEN_CREATE) == 0,
	    "create: a new store");
	if (st == NULL)
		return;
	CHECK(tlsrpt_store_version(st) == 2 &&
	    strcmp(tlsrpt_store_backend(st), "PostgreSQL") == 0,
	    "create: PostgreSQL, schema version 2");
	CHECK(add(st, "o", "1", 1000, "m.example") == TLSRPT_STORE_ADDED,
	    "create: usable");
	tlsrpt_store_close(st);
	CHECK(sql_int("SELECT count(*) FROM mta_sts.meta WHERE application_id "
	    "= 1297371986 AND version = 2") == 1 &&
	    sql_int("SELECT count(*) FROM mta_sts.meta") == 1,
	    "create: one meta row: application_id MTSR, version 2");
	sql_text("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON "
	    "n.oid = c.relnamespace WHERE n.nspname = 'mta_sts' AND "
	    "c.relkind = 'r' ORDER BY 1", buf, sizeof(buf));
	CHECK(strcmp(buf, "failures,meta,policies,reports,served") == 0,
	    "create: the tables (%s)", buf);
	sql_text("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON "
	    "n.oid = c.relnamespace WHERE n.nspname = 'mta_sts' AND "
	    "c.relkind = 'i' ORDER BY 1", buf, sizeof(buf));
	CHECK(strcmp(buf, "failures_pkey,failures_policy,meta_one_row,"
	    "policies_domain_report,policies_pkey,policies_report,"
	    "reports_digest,reports_end,reports_pkey,served_domain,"
	    "served_pkey") == 0, "create: the indexes (%s)", buf);
	CHECK(sql_int("SELECT count(*) FROM information_schema.columns WHERE "
	    "table_schema = 'mta_sts' AND data_type = 'text' AND "
	    "collation_name = 'C'") == 20 && sql_int("SELECT count(*) FROM "
	    "information_schema.columns WHERE table_schema = 'mta_sts' AND "
	    "data_type = 'text' AND collation_name IS DISTINCT FROM 'C'") == 0,
	    "create: all 20 text columns COLLATE \"C\"");
	sql_text("SELECT data_type FROM information_schema.columns WHERE "
	    "table_schema = 'mta_sts' AND table_name = 'reports' AND "
	    "column_name IN ('raw', 'id', 'begin') ORDER BY column_name", buf,
	    sizeof(buf));
	CHECK(strcmp(buf, "bigint,bigint,bytea") == 0, "create: begin and id "
	    "bigint, raw bytea (%s)", buf);
	objects = sql_int("SELECT count(*) FROM pg_class c JOIN pg_namespace "
	    "n ON n.oid = c.relnamespace WHERE n.nspname = 'mta_sts'");
	CHECK(tlsrpt_store_open(&st, db, TLSRPT_STORE_OPEN_CREATE) == 0,
	    "create: opens again");
	tlsrpt_store_close(st);
	CHECK(objects == 20 && sql_int("SELECT count(*) FROM pg_class c JOIN "
	    "pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = "
	    "'mta_sts'") == objects && sql_int("SELECT count(*) FROM "
	    "mta_sts.reports") == 1, "create: opening again changed nothing "
	    "(%lld objects: 5 tables, 11 indexes, 4 sequences)", objects);
	sql_text("SELECT organization || '|' || report_id || '|' || via || '|' "
	    "|| encode(raw, 'hex') || '|' || \"end\" || '|' || received FROM "
	    "mta_sts.reports", buf, sizeof(buf));
	CHECK(strcmp(buf, "o|1|https|1f8b0800726177" "00ff|1000|1060") == 0,
	    "create: the raw report's bytes exactly, NUL and 0xff too (%s)",
	    buf);
}

/* Schema version 1 as migrations[0] creates it, a report in it. */
static const char	 V1[] =
	"CREATE TABLE mta_sts.meta (application_id integer NOT NULL, version "
	"integer NOT NULL); CREATE UNIQUE INDEX meta_one_row ON mta_sts.meta "
	"((true)); CREATE TABLE mta_sts.reports (id bigint GENERATED BY "
	"DEFAULT AS IDENTITY (SEQUENCE NAME mta_sts.reports_id_seq) PRIMARY "
	"KEY, organization text COLLATE \"C\" NOT NULL, report_id text "
	"COLLATE \"C\" NOT NULL, contact text COLLATE \"C\", \"begin\" bigint "
	"NOT NULL, \"end\" bigint NOT NULL, received bigint NOT NULL, via "
	"text COLLATE \"C\" NOT NULL CHECK (via IN ('https', 'mail')), raw "
	"bytea NOT NULL, digest text COLLATE \"C\" NOT NULL, CONSTRAINT "
	"reports_digest UNIQUE (digest)); CREATE INDEX reports_end ON "
	"mta_sts.reports (\"end\", received); CREATE TABLE mta_sts.policies "
	"(id bigint GENERATED BY DEFAULT AS IDENTITY (SEQUENCE NAME "
	"mta_sts.policies_id_seq) PRIMARY KEY, report bigint NOT NULL "
	"REFERENCES mta_sts.reports (id) ON DELETE CASCADE, policy_type text "
	"COLLATE \"C\" NOT NULL, policy_domain text COLLATE \"C\" NOT NULL, "
	"policy_string text COLLATE \"C\", policy_id text COLLATE \"C\" NOT "
	"NULL, mx_host text COLLATE \"C\", successful bigint NOT NULL, failed "
	"bigint NOT NULL); CREATE INDEX policies_report ON mta_sts.policies "
	"(report); CREATE INDEX policies_domain ON mta_sts.policies "
	"(policy_domain); CREATE TABLE mta_sts.failures (id bigint GENERATED "
	"BY DEFAULT AS IDENTITY (SEQUENCE NAME mta_sts.failures_id_seq) "
	"PRIMARY KEY, policy bigint NOT NULL REFERENCES mta_sts.policies (id) "
	"ON DELETE CASCADE, result_type text COLLATE \"C\" NOT NULL, "
	"sending_mta_ip text COLLATE \"C\", receiving_mx_hostname text COLLATE "
	"\"C\", receiving_mx_helo text COLLATE \"C\", receiving_ip text "
	"COLLATE \"C\", count bigint NOT NULL, additional_information text "
	"COLLATE \"C\", failure_reason_code text COLLATE \"C\"); CREATE INDEX "
	"failures_policy ON mta_sts.failures (policy);"
	"INSERT INTO mta_sts.meta VALUES (1297371986, 1);"
	"INSERT INTO mta_sts.reports (organization, report_id, \"begin\", "
	"\"end\", received, via, raw, digest) VALUES ('o', 'v1', 0, 86399, "
	"90000, 'https', '\\x00', 'd');"
	"INSERT INTO mta_sts.policies (report, policy_type, policy_domain, "
	"policy_id, successful, failed) SELECT id, 'sts', 't.example', '', 1, "
	"0 FROM mta_sts.reports";

/* A table of one domain, t.example, with this mode and max_age. */
static void
one_table(struct table *t, enum policy_mode mode, unsigned long max_age)
{
	const char		*mxs[1] = { "mx.t.example" };
	struct policy_spec	 spec = { mode, mxs, 1, max_age };
	long			 p, d;

	table_init(t);
	p = table_add_policy(t, &spec);
	d = table_add_domain(t, "t.example", 9);
	if (p >= 0 && d >= 0)
		t->domains[d].policy = (uint32_t)p;
}

static void
test_migrate(void)
{
	struct tlsrpt_store	*st;
	struct table		 t;
	char			 buf[512];

	reset();
	CHECK(sql_exec("CREATE SCHEMA mta_sts") == 0 && sql_exec(V1) == 0,
	    "v1: a store of schema version 1");
	CHECK(tlsrpt_store_open(&st, db, 0) == 0 && st != NULL &&
	    tlsrpt_store_version(st) == 2, "v1: opened for writing, migrated");
	if (st == NULL)
		return;
	one_table(&t, POLICY_TESTING, 604800);
	CHECK(tlsrpt_store_served(st, &t, 1000) == 1 &&
	    tlsrpt_store_served(st, &t, 2000) == 0, "v1: served recorded once");
	CHECK(add(st, "o", "2", 1000, "m.example") == TLSRPT_STORE_ADDED,
	    "v1: a report added after the migration");
	tlsrpt_store_close(st);
	table_free(&t);
	sql_text("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON "
	    "n.oid = c.relnamespace WHERE n.nspname = 'mta_sts' AND "
	    "c.relname LIKE 'policies_domain%' OR c.relname = 'served' ORDER "
	    "BY 1", buf, sizeof(buf));
	CHECK(strcmp(buf, "policies_domain_report,served") == 0 &&
	    sql_int("SELECT version FROM mta_sts.meta") == 2 &&
	    sql_int("SELECT count(*) FROM mta_sts.reports WHERE report_id = "
	    "'v1'") == 1, "v1: version 2, served and policies_domain_report "
	    "made, policies_domain dropped, the report kept (%s)", buf);
}

/*
 * Processes opening one store at once, from nothing or from version 1:
 * each opens (one migrates, the others wait for its lock and find it
 * done) and adds a report, and none has anything to say.
 */
#define OPENERS	6
static void
test_migrate_race(int from)
{
	struct tlsrpt_store	*st;
	pid_t			 pids[OPENERS];
	char			 id[16], msg[2048];
	int			 k, fds[2], bad = 0;

	reset();
	if (from == 1 && sql_exec("CREATE SCHEMA mta_sts") == 0)
		sql_exec(V1);
	if (pipe(fds) == -1)
		return;
	capture_begin();
	for (k = 0; k < OPENERS; k++)
		if ((pids[k] = fork()) == 0) {
			close(fds[1]);
			/* All start when the parent closes the pipe. */
			if (read(fds[0], id, 1) != 0)
				_exit(3);
			snprintf(id, sizeof(id), "race-%d", k);
			if (tlsrpt_store_open(&st, db,
			    TLSRPT_STORE_OPEN_CREATE) == -1)
				_exit(1);
			if (add(st, "o", id, 1000, "r.example") !=
			    TLSRPT_STORE_ADDED)
				_exit(2);
			tlsrpt_store_close(st);
			_exit(0);
		}
	close(fds[0]);
	close(fds[1]);
	for (k = 0; k < OPENERS; k++)
		if (child_wait(pids[k]) != 0)
			bad++;
	capture_end(msg, sizeof(msg));
	CHECK(bad == 0, "race from %d: %d processes opened and added at once "
	    "(%d failed)", from, OPENERS, bad);
	CHECK_BYTES(msg, strlen(msg), "", (size_t)0, "race from %d: nothing "
	    "said", from);
	CHECK(sql_int("SELECT count(*) FROM mta_sts.meta WHERE version = 2") ==
	    1 && sql_int("SELECT count(*) FROM pg_class c JOIN pg_namespace n "
	    "ON n.oid = c.relnamespace WHERE n.nspname = 'mta_sts'") == 20 &&
	    sql_int("SELECT count(*) FROM mta_sts.reports") == OPENERS + from,
	    "race from %d: one schema of version 2, every report", from);
}

/* What is not a store this program may use: refused, left alone. */
static void
test_refused(void)
{
	struct tlsrpt_store	*st;
	char			 msg[1024];

	/* A newer schema: refused, left alone. */
	reset();
	if (tlsrpt_store_open(&st, db, TLSRPT_STORE_OPEN_CREATE) == 0)
		tlsrpt_store_close(st);
	sql_exec("UPDATE mta_sts.meta SET version = 3");
	capture_begin();
	CHECK(tlsrpt_store_open(&st, db, 0) == -1 && tlsrpt_store_open(&st, db,
	    TLSRPT_STORE_OPEN_READONLY) == -1, "newer: refused");
	capture_end(msg, sizeof(msg));
	check_message("newer", msg, "test: %1$s: the store's schema version 3 "
	    "is newer than this program's (2): a newer mta-sts-report wrote "
	    "it\ntest: %1$s: the store's schema version 3 is newer than this "
	    "program's (2): a newer mta-sts-report wrote it\n", db);
	CHECK(sql_int("SELECT version FROM mta_sts.meta") == 3, "newer: left "
	    "alone");

	/* Another application_id, no meta row. */
	sql_exec("UPDATE mta_sts.meta SET version = 2, application_id = 7");
	capture_begin();
	CHECK(tlsrpt_store_open(&st, db, TLSRPT_STORE_OPEN_CREATE) == -1,
	    "application_id 7: refused");
	capture_end(msg, sizeof(msg));
	check_message("application_id", msg, "test: %s: not a mta-sts-report "
	    "store (schema mta_sts has 5 tables and application_id 7 in "
	    "mta_sts.meta): name another database in [reports] database\n", db);
	sql_exec("DELETE FROM mta_sts.meta");
	capture_begin();
	CHECK(tlsrpt_store_open(&st, db, TLSRPT_STORE_OPEN_CREATE) == -1,
	    "no meta row: refused");
	capture_end(msg, sizeof(msg));
	check_message("no meta row", msg, "test: %s: not a mta-sts-report "
	    "store (schema mta_sts has 5 tables and 0 rows in mta_sts.meta): "
	    "name another database in [reports] database\n", db);
	CHECK(sql_int("SELECT count(*) FROM mta_sts.meta") == 0, "no meta "
	    "row: left alone");

	/* Another program's mta_sts.reports. */
	reset();
	sql_exec("CREATE SCHEMA mta_sts; CREATE TABLE mta_sts.reports "
	    "(x integer)");
	capture_begin();
	CHECK(tlsrpt_store_open(&st, db, TLSRPT_STORE_OPEN_CREATE) == -1,
	    "a foreign mta_sts.reports: refused, not migrated");
	capture_end(msg, sizeof(msg));
	check_message("foreign", msg, "test: %s: not a mta-sts-report store "
	    "(schema mta_sts has 1 table and no mta_sts.meta): name another "
	    "database in [reports] database\n", db);
	CHECK(sql_int("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON "
	    "n.oid = c.relnamespace WHERE n.nspname = 'mta_sts'") == 1,
	    "foreign: left alone");

}

/* Nothing there, an older schema read-only, a schema made by an admin. */
static void
test_refused_empty(void)
{
	struct tlsrpt_store	*st;
	char			 msg[1024];

	/* Nothing there: only CREATE creates. */
	reset();
	capture_begin();
	CHECK(tlsrpt_store_open(&st, db, TLSRPT_STORE_OPEN_READONLY) == -1 &&
	    tlsrpt_store_open(&st, db, 0) == -1, "empty: not created by a "
	    "reader nor by prune");
	capture_end(msg, sizeof(msg));
	check_message("empty", msg, "test: %1$s: the store is empty: nothing "
	    "has been stored yet\ntest: %1$s: no store in this database yet: a "
	    "receiver, an import or mta-sts-report migrate creates it\n", db);
	CHECK(sql_int("SELECT count(*) FROM pg_namespace WHERE nspname = "
	    "'mta_sts'") == 0, "empty: nothing created");

	/* Version 1, read-only: refused, not migrated. */
	sql_exec("CREATE SCHEMA mta_sts");
	sql_exec(V1);
	capture_begin();
	CHECK(tlsrpt_store_open(&st, db, TLSRPT_STORE_OPEN_READONLY) == -1,
	    "older, read-only: refused");
	capture_end(msg, sizeof(msg));
	check_message("older", msg, "test: %s: the store's schema version 1 "
	    "is older than this program's (2): the role that owns schema "
	    "mta_sts must run `mta-sts-report migrate` once\n", db);
	CHECK(sql_int("SELECT version FROM mta_sts.meta") == 1, "older: left "
	    "alone");

	/* A schema an administrator made (AUTHORIZATION): used as it is. */
	reset();
	sql_exec("CREATE SCHEMA mta_sts");
	CHECK(tlsrpt_store_open(&st, db, TLSRPT_STORE_OPEN_CREATE) == 0,
	    "an empty schema: the store made in it");
	tlsrpt_store_close(st);
}

/* A database in LATIN1: refused whatever it holds. */
static void
test_latin1(void)
{
	struct tlsrpt_store	*st;
	char			 msg[1024];
	static const char	 uri[] = "postgresql:///mta_sts_test_latin1";

	sql_exec("DROP DATABASE IF EXISTS mta_sts_test_latin1");
	if (sql_exec("CREATE DATABASE mta_sts_test_latin1 ENCODING 'LATIN1' "
	    "LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0") == -1) {
		CHECK(0, "latin1: create the database");
		return;
	}
	capture_begin();
	CHECK(tlsrpt_store_open(&st, uri, TLSRPT_STORE_OPEN_CREATE) == -1,
	    "latin1: refused");
	capture_end(msg, sizeof(msg));
	check_message("latin1", msg, "test: %s: the database's encoding is "
	    "LATIN1, not UTF8: reports are UTF-8 (create the database with "
	    "ENCODING 'UTF8')\n", uri);
	sql_exec("DROP DATABASE mta_sts_test_latin1");
}

/*
 * A server that takes only reads (a hot standby; here the database's
 * default_transaction_read_only): refused for writing at open, read as
 * usual; a store opened read-only may not write either.
 */
static void
test_read_only_server(void)
{
	struct tlsrpt_store	*st;
	char			 msg[1024], name[128], sql[256];
	int			 rc;

	reset();
	if (tlsrpt_store_open(&st, db, TLSRPT_STORE_OPEN_CREATE) == -1)
		return;
	add(st, "o", "1", 1000, "m.example");
	tlsrpt_store_close(st);
	sql_text("SELECT current_database()", name, sizeof(name));
	snprintf(sql, sizeof(sql), "ALTER DATABASE \"%s\" SET "
	    "default_transaction_read_only = on", name);
	sql_exec(sql);
	capture_begin();
	CHECK(tlsrpt_store_open(&st, db, TLSRPT_STORE_OPEN_CREATE) == -1,
	    "read-only server: refused for writing");
	capture_end(msg, sizeof(msg));
	check_message("read-only server", msg, "test: %s: the server accepts "
	    "only reads (a hot standby, or default_transaction_read_only): "
	    "reports cannot be stored\n", db);
	snprintf(sql, sizeof(sql), "ALTER DATABASE \"%s\" RESET "
	    "default_transaction_read_only", name);
	sql_exec(sql);
	CHECK(tlsrpt_store_open(&st, db, TLSRPT_STORE_OPEN_READONLY) == 0,
	    "read-only store: opened");
	if (st == NULL)
		return;
	capture_begin();
	rc = add(st, "o", "2", 1000, "m.example");
	capture_end(msg, sizeof(msg));
	CHECK(rc == TLSRPT_STORE_UNAVAILABLE, "read-only store: no add");
	check_message("read-only store", msg, "test: %s: cannot store a "
	    "report: cannot execute SELECT in a read-only transaction (the "
	    "server accepts only reads: a hot standby?)\n", db);
	tlsrpt_store_close(st);
}

/*
 * The reports test_same gives both stores: a generator over the edges
 * the queries meet (organizations that differ in case and bytes, MX
 * names in any case with final dots, empty and absent strings, hostile
 * bytes, counts of INT64_MAX, reports that end at the next midnight,
 * policy types and ids of every kind), the same every run.
 */
#define SAME_BASE	1711929600LL	/* 2024-04-01T00:00:00Z */
#define SAME_REPORTS	60

static int
same_add(struct tlsrpt_store *a, struct tlsrpt_store *b, int k)
{
	static const char *const orgs[] = { "Google Inc.", "google inc.",
	    "\xc3\x89vil \x1b[2J\nOrg", "Z corp", "a corp", "B corp",
	    "\xe2\x80\xae rtl" };
	static const char *const doms[] = { "a.example", "b.example",
	    "c.example", "a.example" };
	static const char *const types[] = { "sts", "sts", "no-policy-found",
	    "tlsa", "sts" };
	static const char *const mxs[] = { "MX1.A.example.", "mx1.a.example",
	    "", NULL, "mx2.a.example..", "Mx2.A.Example" };
	static const char *const results[] = { "certificate-expired",
	    "starttls-not-supported", "x-\x1b[31mevil" };
	static const char *const reasons[] = { NULL, "reason \"q\" \\", "" };
	struct tlsrpt_report	 r;
	struct tlsrpt_policy	 p[3];
	struct tlsrpt_failure	 f[3][3];
	char			 org[64], id[32], age[3][32], body[256];
	char			*lines[3][4], l0[] = "version: STSv1",
				 l1[] = "mode: testing", l2[] = "mx: *.a.example";
	int			 i, j, day = k % 9;

	memset(&r, 0, sizeof(r));
	memset(p, 0, sizeof(p));
	memset(f, 0, sizeof(f));
	snprintf(org, sizeof(org), "%s", orgs[k % 7]);
	snprintf(id, sizeof(id), "id-%d", k);
	r.organization = org;
	r.report_id = id;
	r.contact = k % 5 == 0 ? NULL : org;
	r.begin = SAME_BASE + (int64_t)day * 86400;
	r.end = r.begin + (k % 4 == 0 ? 86400 : 86399);
	r.policies = p;
	r.npolicies = (size_t)(1 + k % 3);
	for (i = 0; i < (int)r.npolicies; i++) {
		p[i].policy_type = (char *)types[(k + i) % 5];
		p[i].policy_domain = (char *)doms[(k + i) % 4];
		if (strcmp(p[i].policy_type, "sts") == 0 && k % 3 != 0) {
			snprintf(age[i], sizeof(age[i]), "max_age: %d",
			    86400 * (1 + (k + i) % 3));
			lines[i][0] = l0;
			lines[i][1] = l1;
			lines[i][2] = l2;
			lines[i][3] = age[i];
			p[i].policy_string = lines[i];
			p[i].npolicy_string = 4;
			snprintf(body, sizeof(body), "%s\r\n%s\r\n%s\r\n%s\r\n",
			    l0, l1, l2, age[i]);
			policy_id(body, strlen(body), p[i].policy_id);
		}
		p[i].successful = k % 11 == 0 ? INT64_MAX : k * 7 + i;
		for (j = 0; j < (k + i) % 4 && j < 3; j++) {
			f[i][j].result_type = (char *)results[(k + j) % 3];
			f[i][j].receiving_mx_hostname =
			    (char *)mxs[(k + i + j) % 6];
			f[i][j].failure_reason_code =
			    (char *)reasons[(k + j) % 3];
			f[i][j].sending_mta_ip = j == 1 ? NULL : org;
			f[i][j].count = k % 13 == 0 ? INT64_MAX : 1 + j;
			p[i].failed += 1 + j;
		}
		p[i].failures = f[i];
		p[i].nfailures = (size_t)j;
	}
	tlsrpt_report_digest(&r);
	return tlsrpt_store_add(a, &r, k % 2 ? TLSRPT_VIA_MAIL :
	    TLSRPT_VIA_HTTPS, (const unsigned char *)org, strlen(org), r.end +
	    k) == TLSRPT_STORE_ADDED && tlsrpt_store_add(b, &r, k % 2 ?
	    TLSRPT_VIA_MAIL : TLSRPT_VIA_HTTPS, (const unsigned char *)org,
	    strlen(org), r.end + k) == TLSRPT_STORE_ADDED ? 0 : -1;
}

static void
dump_str(FILE *fp, const char *s)
{
	if (s == NULL)
		fputs("(null)|", fp);
	else
		fprintf(fp, "\"%s\"|", s);
}

static int
dump_applied(const struct tlsrpt_applied_row *a, void *arg)
{
	FILE	*fp = arg;

	dump_str(fp, a->domain);
	dump_str(fp, a->organization);
	dump_str(fp, a->policy_type);
	dump_str(fp, a->policy_id);
	fprintf(fp, "%" PRId64 "|%" PRId64 "|%" PRId64 "|%" PRId64 "|%" PRId64
	    "|%" PRId64 "|%" PRId64 "\n", a->max_age, a->reports, a->successful,
	    a->failed, a->first, a->last, a->last_begin);
	return 0;
}

static int
dump_failure(const struct tlsrpt_failure_row *f, void *arg)
{
	FILE	*fp = arg;

	dump_str(fp, f->domain);
	dump_str(fp, f->policy_type);
	dump_str(fp, f->result_type);
	dump_str(fp, f->receiving_mx);
	dump_str(fp, f->organization);
	dump_str(fp, f->reason);
	fprintf(fp, "%" PRId64 "|%" PRId64 "|%" PRId64 "\n", f->count, f->first,
	    f->last);
	return 0;
}

static int
dump_day(const struct tlsrpt_day_row *d, void *arg)
{
	FILE	*fp = arg;

	dump_str(fp, d->domain);
	dump_str(fp, d->organization);
	fprintf(fp, "%" PRId64 "|%" PRId64 "|%" PRId64 "|%" PRId64 "|%" PRId64
	    "\n", d->day, d->reports, d->successful, d->failed, d->last);
	return 0;
}

static int
dump_served(const struct tlsrpt_served_row *s, void *arg)
{
	FILE	*fp = arg;

	dump_str(fp, s->domain);
	dump_str(fp, s->policy_id);
	fprintf(fp, "%d|%lu|%" PRId64 "\n", (int)s->mode, s->max_age,
	    s->first_seen);
	return 0;
}

static void
dump_policy(FILE *fp, const struct tlsrpt_policy *p)
{
	size_t	 i;

	dump_str(fp, p->policy_type);
	dump_str(fp, p->policy_domain);
	dump_str(fp, p->policy_id);
	fprintf(fp, "%zu:", p->npolicy_string);
	for (i = 0; i < p->npolicy_string; i++)
		dump_str(fp, p->policy_string[i]);
	fprintf(fp, "%zu:", p->nmx_host);
	for (i = 0; i < p->nmx_host; i++)
		dump_str(fp, p->mx_host[i]);
	fprintf(fp, "%" PRId64 "|%" PRId64 "|%zu\n", p->successful, p->failed,
	    p->nfailures);
	for (i = 0; i < p->nfailures; i++) {
		dump_str(fp, p->failures[i].result_type);
		dump_str(fp, p->failures[i].sending_mta_ip);
		dump_str(fp, p->failures[i].receiving_mx_hostname);
		dump_str(fp, p->failures[i].receiving_mx_helo);
		dump_str(fp, p->failures[i].receiving_ip);
		dump_str(fp, p->failures[i].additional_information);
		dump_str(fp, p->failures[i].failure_reason_code);
		fprintf(fp, "%" PRId64 "\n", p->failures[i].count);
	}
}

static int
dump_each(const struct tlsrpt_stored *one, void *arg)
{
	FILE			*fp = arg;
	struct tlsrpt_report	 copy;
	size_t			 i;

	copy = *one->report;
	tlsrpt_report_digest(&copy);
	fprintf(fp, "%s|%s|", one->report->digest, strcmp(copy.digest,
	    one->report->digest) == 0 ? "digest ok" : "digest differs");
	dump_str(fp, one->report->organization);
	dump_str(fp, one->report->report_id);
	dump_str(fp, one->report->contact);
	fprintf(fp, "%" PRId64 "|%" PRId64 "|%s|%" PRId64 "|", one->report->begin,
	    one->report->end, tlsrpt_via_name(one->via), one->received);
	for (i = 0; i < one->rawlen; i++)
		fprintf(fp, "%02x", one->raw[i]);
	fprintf(fp, "|%zu\n", one->report->npolicies);
	for (i = 0; i < one->report->npolicies; i++)
		dump_policy(fp, &one->report->policies[i]);
	return 0;
}

/* What one store answers, as text: every listing and aggregation. */
static char *
same_dump(struct tlsrpt_store *st, size_t *lines)
{
	static const char *const named[] = { "c.example", "a.example" };
	struct tlsrpt_store_period pd[3] = {
		{ SAME_BASE, SAME_BASE + 10 * 86400, NULL, 0 },
		{ SAME_BASE, SAME_BASE + 10 * 86400, named, 2 },
		{ SAME_BASE + 2 * 86400, SAME_BASE + 5 * 86400, NULL, 0 },
	};
	char	*out = NULL;
	size_t	 len = 0, i;
	FILE	*fp;
	int	 rc = 0;

	if ((fp = open_memstream(&out, &len)) == NULL)
		return NULL;
	rc |= tlsrpt_store_list(st, NULL, 0, report_list_text, fp);
	rc |= tlsrpt_store_list(st, NULL, 0, report_list_json, fp);
	rc |= tlsrpt_store_list(st, named, 2, report_list_json, fp);
	rc |= tlsrpt_store_each(st, dump_each, fp);
	rc |= tlsrpt_store_served_list(st, NULL, 0, dump_served, fp);
	rc |= tlsrpt_store_served_list(st, named + 1, 1, dump_served, fp);
	for (i = 0; i < 3; i++) {
		fprintf(fp, "period %zu\n", i);
		rc |= tlsrpt_store_applied(st, &pd[i], dump_applied, fp);
		rc |= tlsrpt_store_failures(st, &pd[i], dump_failure, fp);
		rc |= tlsrpt_store_days(st, &pd[i], dump_day, fp);
	}
	fclose(fp);
	for (*lines = 0, i = 0; i < len; i++)
		*lines += out[i] == '\n';
	if (rc != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* Two tables of a.example and b.example: the second changes a. */
static void
two_tables(struct table *t, int changed)
{
	const char		*mxs[1] = { "mx.a.example" };
	struct policy_spec	 spec = { POLICY_TESTING, mxs, 1, 86400 };
	struct policy_spec	 other = { POLICY_ENFORCE, mxs, 1, 604800 };
	long			 p, q, d;

	table_init(t);
	p = table_add_policy(t, &spec);
	q = changed ? table_add_policy(t, &other) : p;
	if ((d = table_add_domain(t, "a.example", 9)) >= 0)
		t->domains[d].policy = (uint32_t)q;
	if ((d = table_add_domain(t, "b.example", 9)) >= 0)
		t->domains[d].policy = (uint32_t)p;
}

/* The first line where want and got differ, both shown. */
static void
show_difference(const char *want, const char *got)
{
	size_t	 line = 1, wl, gl;

	while (*want != '\0' || *got != '\0') {
		wl = strcspn(want, "\n");
		gl = strcspn(got, "\n");
		if (wl != gl || memcmp(want, got, wl) != 0) {
			printf("#   line %zu:\n", line);
			unit_show("want", want, wl);
			unit_show("got ", got, gl);
			return;
		}
		want += wl + (want[wl] != '\0');
		got += gl + (got[gl] != '\0');
		line++;
	}
}

/*
 * The same reports and served policies in an SQLite store and in
 * PostgreSQL: every listing and aggregation the same, byte for byte.
 */
static void
test_same(void)
{
	struct tlsrpt_store	*sq = NULL, *pg = NULL;
	struct table		 t[2];
	char			 file[128], *a, *b;
	size_t			 la = 0, lb = 0;
	int			 k, ok = 1;

	reset();
	snprintf(file, sizeof(file), "%s/same.db", dir);
	if (tlsrpt_store_open(&sq, file, TLSRPT_STORE_OPEN_CREATE) == -1 ||
	    tlsrpt_store_open(&pg, db, TLSRPT_STORE_OPEN_CREATE) == -1) {
		CHECK(0, "same: open both");
		goto out;
	}
	for (k = 0; k < SAME_REPORTS && ok; k++)
		ok = same_add(sq, pg, k) == 0;
	two_tables(&t[0], 0);
	two_tables(&t[1], 1);
	ok = ok && tlsrpt_store_served(sq, &t[0], SAME_BASE) == 2 &&
	    tlsrpt_store_served(pg, &t[0], SAME_BASE) == 2 &&
	    tlsrpt_store_served(sq, &t[1], SAME_BASE + 86400) == 1 &&
	    tlsrpt_store_served(pg, &t[1], SAME_BASE + 86400) == 1 &&
	    tlsrpt_store_served(pg, &t[1], SAME_BASE + 86400 * 2) == 0;
	table_free(&t[0]);
	table_free(&t[1]);
	CHECK(ok, "same: %d reports and 3 served policies in both",
	    SAME_REPORTS);
	a = same_dump(sq, &la);
	b = same_dump(pg, &lb);
	CHECK(a != NULL && b != NULL && la > 900, "same: both answer "
	    "(%zu lines, %zu lines)", la, lb);
	if (a != NULL && b != NULL) {
		CHECK(strcmp(a, b) == 0, "same: list, list -j, each, served, "
		    "applied, failures and days of 3 periods as SQLite's");
		show_difference(a, b);
	}
	CHECK(b != NULL && strstr(b, "digest differs") == NULL &&
	    strstr(b, "digest ok") != NULL, "same: each gives every report "
	    "as digested");
	free(a);
	free(b);
out:
	tlsrpt_store_close(sq);
	tlsrpt_store_close(pg);
}

/*
 * Processes that load the same config at once record what it serves
 * once: the look under the served policies' advisory lock.
 */
static void
test_served_race(void)
{
	struct tlsrpt_store	*st;
	struct table		 t;
	pid_t			 pids[OPENERS];
	char			 c;
	long			 n;
	int			 k, fds[2], sums[2], total = 0, bad = 0;

	reset();
	if (tlsrpt_store_open(&st, db, TLSRPT_STORE_OPEN_CREATE) == -1)
		return;
	tlsrpt_store_close(st);
	if (pipe(fds) == -1 || pipe(sums) == -1)
		return;
	two_tables(&t, 1);
	for (k = 0; k < OPENERS; k++)
		if ((pids[k] = fork()) == 0) {
			close(fds[1]);
			if (read(fds[0], &c, 1) != 0 ||
			    tlsrpt_store_open(&st, db, 0) == -1)
				_exit(1);
			n = tlsrpt_store_served(st, &t, 1000 + k);
			tlsrpt_store_close(st);
			if (n < 0 || write(sums[1], &n, sizeof(n)) != sizeof(n))
				_exit(2);
			_exit(0);
		}
	close(fds[0]);
	close(fds[1]);
	close(sums[1]);
	for (k = 0; k < OPENERS; k++)
		if (child_wait(pids[k]) != 0)
			bad++;
	while (read(sums[0], &n, sizeof(n)) == sizeof(n))
		total += (int)n;
	close(sums[0]);
	table_free(&t);
	CHECK(bad == 0 && total == 2 && sql_int("SELECT count(*) FROM "
	    "mta_sts.served") == 2, "served: %d processes loading one config "
	    "at once record its 2 domains once (%d failed, %d recorded)",
	    OPENERS, bad, total);
}

/*
 * 8 processes at once, each adding 100 report-ids of 0-274 (the sets
 * overlap, half in each direction): each report is ADDED by exactly
 * one of them, and stored once, whole.
 */
#define WRITERS		8
#define PER_WRITER	100
#define STRIDE		25
static void
test_concurrent(void)
{
	struct tlsrpt_store	*st;
	char			 id[32];
	pid_t			 pids[WRITERS];
	int			 k, i, fds[2], added = 0, n, total, bad = 0;

	reset();
	if (pipe(fds) == -1)
		return;
	for (k = 0; k < WRITERS; k++)
		if ((pids[k] = fork()) == 0) {
			int mine = 0, fail = 0;

			close(fds[0]);
			if (tlsrpt_store_open(&st, db,
			    TLSRPT_STORE_OPEN_CREATE) == -1)
				_exit(1);
			for (i = 0; i < PER_WRITER; i++) {
				n = k * STRIDE + (k % 2 ? PER_WRITER - 1 - i : i);
				snprintf(id, sizeof(id), "c-%d", n);
				switch (add(st, "Org", id, 1000 + n,
				    "c.example")) {
				case TLSRPT_STORE_ADDED:
					mine++;
					break;
				case TLSRPT_STORE_DUPLICATE:
					break;
				default:
					fail++;
				}
			}
			tlsrpt_store_close(st);
			if (write(fds[1], &mine, sizeof(mine)) != sizeof(mine))
				fail++;
			_exit(fail ? 2 : 0);
		}
	close(fds[1]);
	for (k = 0; k < WRITERS; k++)
		if (child_wait(pids[k]) != 0)
			bad++;
	while (read(fds[0], &n, sizeof(n)) == sizeof(n))
		added += n;
	close(fds[0]);
	total = (WRITERS - 1) * STRIDE + PER_WRITER;
	CHECK(bad == 0, "concurrent: every answer ADDED or DUPLICATE (%d "
	    "writers failed)", bad);
	CHECK(added == total, "concurrent: %d ADDED in all, want %d", added,
	    total);
	CHECK(sql_int("SELECT count(*) FROM mta_sts.reports") == total &&
	    sql_int("SELECT count(DISTINCT report_id) FROM mta_sts.reports") ==
	    total && sql_broken() == 0, "concurrent: %d reports stored, each "
	    "once and whole", total);
}

/*
 * A writer killed at random points, many times: every report it
 * acknowledged (wrote to the pipe after ADDED) is stored whole; and a
 * process killed while it creates the store leaves one the next opens.
 */
#define KILLS	30
static void
test_kill(void)
{
	struct tlsrpt_store	*st;
	struct timespec		 ts;
	char			 id[32], sql[160];
	unsigned		 seed = (unsigned)getpid();
	int			 round, fds[2], n, acked = 0, missing = 0;
	pid_t			 pid;

	reset();
	if (tlsrpt_store_open(&st, db, TLSRPT_STORE_OPEN_CREATE) == -1) {
		CHECK(0, "kill: create");
		return;
	}
	tlsrpt_store_close(st);
	for (round = 0; round < KILLS; round++) {
		if (pipe(fds) == -1)
			break;
		if ((pid = fork()) == 0) {
			close(fds[0]);
			log_quiet = 1;
			if (tlsrpt_store_open(&st, db, 0) == -1)
				_exit(1);
			for (n = 0;; n++) {
				snprintf(id, sizeof(id), "k-%d-%d", round, n);
				if (add(st, "Org", id, 1000, "k.example") ==
				    TLSRPT_STORE_ADDED &&
				    write(fds[1], &n, sizeof(n)) != sizeof(n))
					_exit(2);
			}
		}
		close(fds[1]);
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(20000 + rand_r(&seed) % 60000) * 1000;
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		child_wait(pid);
		while (read(fds[0], &n, sizeof(n)) == sizeof(n)) {
			acked++;
			snprintf(sql, sizeof(sql), "SELECT count(*) FROM "
			    "mta_sts.reports WHERE report_id = 'k-%d-%d'",
			    round, n);
			if (sql_int(sql) != 1)
				missing++;
		}
		close(fds[0]);
	}
	CHECK(round == KILLS && acked > 0, "kill: %d writers killed, %d "
	    "reports acknowledged", round, acked);
	CHECK(missing == 0, "kill: every acknowledged report is stored "
	    "(%d missing)", missing);
	CHECK(sql_broken() == 0, "kill: no report stored in part");

	for (round = 0, missing = 0; round < 10; round++) {
		reset();
		if ((pid = fork()) == 0) {
			log_quiet = 1;
			tlsrpt_store_open(&st, db, TLSRPT_STORE_OPEN_CREATE);
			_exit(0);
		}
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(rand_r(&seed) % 30000) * 1000;
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		child_wait(pid);
		if (tlsrpt_store_open(&st, db, TLSRPT_STORE_OPEN_CREATE) == -1 ||
		    add(st, "o", "1", 1, "n.example") != TLSRPT_STORE_ADDED)
			missing++;
		tlsrpt_store_close(st);
	}
	CHECK(missing == 0, "kill: a store killed while being created opens "
	    "and works (%d did not)", missing);
}

/* The backend of the store's connection (its application name). */
static long long
store_backend(void)
{
	return sql_int("SELECT pid FROM pg_stat_activity WHERE "
	    "application_name = 'mta-sts-report' AND datname = "
	    "current_database() ORDER BY backend_start DESC LIMIT 1");
}

/*
 * The connection lost while the server commits (a deferred trigger
 * ends the backend at COMMIT): UNAVAILABLE, nothing stored, and the
 * next report goes in over a new connection.  In a group, the commit
 * fails and takes the group with it.
 */
static void
test_commit_lost(void)
{
	struct tlsrpt_store	*st;
	char			 msg[1024];
	int			 rc;

	reset();
	if (tlsrpt_store_open(&st, db, TLSRPT_STORE_OPEN_CREATE) == -1)
		return;
	sql_exec("CREATE OR REPLACE FUNCTION public.die() RETURNS trigger "
	    "LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_terminate_backend("
	    "pg_backend_pid()); PERFORM pg_sleep(1); RETURN NULL; END $$; "
	    "CREATE CONSTRAINT TRIGGER die AFTER INSERT ON mta_sts.reports "
	    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "
	    "public.die()");
	capture_begin();
	rc = add(st, "o", "lost", 1000, "m.example");
	capture_end(msg, sizeof(msg));
	CHECK(rc == TLSRPT_STORE_UNAVAILABLE, "commit lost: UNAVAILABLE");
	check_message("commit lost", msg, "test: %s: cannot store a report: "
	    "terminating connection due to administrator command\n", db);
	CHECK(sql_int("SELECT count(*) FROM mta_sts.reports") == 0,
	    "commit lost: nothing stored");
	CHECK(tlsrpt_store_begin(st) == 0 && add(st, "o", "g1", 1000,
	    "m.example") == TLSRPT_STORE_ADDED, "commit lost: a group, its "
	    "report ADDED before the commit");
	log_quiet = 1;
	CHECK(tlsrpt_store_commit(st) == -1, "commit lost: the group's commit "
	    "fails");
	log_quiet = 0;
	sql_exec("DROP TRIGGER die ON mta_sts.reports; DROP FUNCTION "
	    "public.die()");
	CHECK(sql_int("SELECT count(*) FROM mta_sts.reports") == 0,
	    "commit lost: the group's report not stored");
	CHECK(add(st, "o", "lost", 1000, "m.example") == TLSRPT_STORE_ADDED &&
	    add(st, "o", "g1", 1000, "m.example") == TLSRPT_STORE_ADDED,
	    "commit lost: the sender's retries ADDED over a new connection");
	tlsrpt_store_close(st);
}

/*
 * The server restarted while the store is idle: the next report is
 * stored over a new connection (the old one's goodbye is read first);
 * the server down: UNAVAILABLE at once, then stored once it is back.
 * Needs the commands that stop and start the test's cluster.
 */
static void
test_restart(void)
{
	const char		*stop = getenv("MTA_STS_TEST_PG_STOP");
	const char		*start = getenv("MTA_STS_TEST_PG_START");
	struct tlsrpt_store	*st;
	char			 msg[2048], cmd[1024];
	int			 rc;

	if (stop == NULL || start == NULL) {
		CHECK(0, "restart: MTA_STS_TEST_PG_STOP and _START are set");
		return;
	}
	reset();
	if (tlsrpt_store_open(&st, db, TLSRPT_STORE_OPEN_CREATE) == -1)
		return;
	CHECK(add(st, "o", "1", 1000, "m.example") == TLSRPT_STORE_ADDED,
	    "restart: a report before");
	snprintf(cmd, sizeof(cmd), "%s fast && %s", stop, start);
	CHECK(system(cmd) == 0, "restart: the server restarted");
	capture_begin();
	rc = add(st, "o", "2", 1000, "m.example");
	capture_end(msg, sizeof(msg));
	CHECK(rc == TLSRPT_STORE_ADDED, "restart: the next report ADDED");
	check_message("restart", msg, "test: %s: PostgreSQL says: FATAL:  "
	    "terminating connection due to administrator command\n", db);

	snprintf(cmd, sizeof(cmd), "%s immediate", stop);
	CHECK(system(cmd) == 0, "down: the server stopped");
	capture_begin();
	rc = add(st, "o", "3", 1000, "m.example");
	capture_end(msg, sizeof(msg));
	CHECK(rc == TLSRPT_STORE_UNAVAILABLE, "down: UNAVAILABLE");
	CHECK(strstr(msg, ": cannot open the store: connection to server on "
	    "socket \"") != NULL && strstr(msg, "failed: No such file or "
	    "directory\n") != NULL, "down: libpq's reason, one line");
	if (strstr(msg, "No such file") == NULL)
		printf("#   got: %s", msg);
	CHECK(system(start) == 0, "down: the server started again");
	/* The admin's connection went with the server. */
	PQreset(admin);
	sql_exec("SET client_min_messages = warning");
	CHECK(add(st, "o", "3", 1000, "m.example") == TLSRPT_STORE_ADDED,
	    "down: the retry ADDED once the server is back");
	tlsrpt_store_close(st);
	CHECK(sql_int("SELECT count(*) FROM mta_sts.reports") == 3,
	    "restart: 3 reports");
}

/*
 * A backend that stops answering in the middle of the connection's
 * life (SIGSTOP): the report is UNAVAILABLE within the deadline, the
 * connection dropped; the same report again is stored once (the
 * stopped backend may still commit the first attempt when it goes on:
 * the retry is then its duplicate).
 */
static void
test_stall(void)
{
	struct tlsrpt_store	*st;
	struct timespec		 ts = { 0, 200000000 };
	char			 msg[1024];
	long long		 pid;
	int64_t			 t0, ms;
	int			 rc, i;

	reset();
	if (tlsrpt_store_open(&st, db, TLSRPT_STORE_OPEN_CREATE) == -1)
		return;
	if ((pid = store_backend()) <= 0) {
		CHECK(0, "stall: the store's backend");
		tlsrpt_store_close(st);
		return;
	}
	kill((pid_t)pid, SIGSTOP);
	capture_begin();
	t0 = clock_ms();
	rc = add(st, "o", "stall", 1000, "m.example");
	ms = clock_ms() - t0;
	capture_end(msg, sizeof(msg));
	kill((pid_t)pid, SIGCONT);
	CHECK(rc == TLSRPT_STORE_UNAVAILABLE && ms >= TLSRPT_STORE_BUSY_MS &&
	    ms < TLSRPT_STORE_BUSY_MS + 1500, "stall: UNAVAILABLE within the "
	    "deadline (%lld ms)", (long long)ms);
	check_message("stall", msg, "test: %s: cannot store a report: "
	    "PostgreSQL did not answer within 5000 ms (the connection is "
	    "closed; the next attempt opens a new one)\n", db);
	rc = add(st, "o", "stall", 1000, "m.example");
	CHECK(rc == TLSRPT_STORE_ADDED || rc == TLSRPT_STORE_DUPLICATE,
	    "stall: the retry ADDED or DUPLICATE (%d)", rc);
	/* The stopped backend gone: whatever it did is done. */
	snprintf(msg, sizeof(msg), "SELECT count(*) FROM pg_stat_activity "
	    "WHERE pid = %lld", pid);
	for (i = 0; i < 25 && sql_int(msg) != 0; i++)
		nanosleep(&ts, NULL);
	CHECK(sql_int("SELECT count(*) FROM mta_sts.reports WHERE report_id = "
	    "'stall'") == 1 && sql_broken() == 0, "stall: stored once, whole");
	tlsrpt_store_close(st);
}

/*
 * Every SQLSTATE class the store maps, raised by a trigger as a report
 * is stored: the answer, the one line (PostgreSQL's message escaped,
 * the store's hint), and whether the connection is given up.
 */
static const struct {
	const char			*state;
	enum tlsrpt_store_result	 want;
	const char			*hint;
	int				 drops;
} errors[] = {
	{ "40001", TLSRPT_STORE_UNAVAILABLE, "", 0 },
	{ "40P01", TLSRPT_STORE_UNAVAILABLE, "", 0 },
	{ "55P03", TLSRPT_STORE_UNAVAILABLE, "", 0 },
	{ "53100", TLSRPT_STORE_UNAVAILABLE, "", 0 },
	{ "53200", TLSRPT_STORE_UNAVAILABLE, "", 0 },
	{ "22021", TLSRPT_STORE_UNAVAILABLE, "", 0 },
	{ "25006", TLSRPT_STORE_UNAVAILABLE, " (the server accepts only "
	    "reads: a hot standby?)", 0 },
	{ "42501", TLSRPT_STORE_UNAVAILABLE, " (a privilege the role lacks: "
	    "contrib/postgresql/mta-sts-report.sql)", 0 },
	{ "08006", TLSRPT_STORE_UNAVAILABLE, "", 1 },
	{ "57P01", TLSRPT_STORE_UNAVAILABLE, "", 1 },
	{ "57P03", TLSRPT_STORE_UNAVAILABLE, "", 1 },
	{ "XX001", TLSRPT_STORE_CORRUPT, " (the store is damaged, or not a "
	    "mta-sts-report store)", 0 },
	{ "42P01", TLSRPT_STORE_CORRUPT, " (the store is damaged, or not a "
	    "mta-sts-report store)", 0 },
};

static void
test_errors(void)
{
	struct tlsrpt_store	*st;
	char			 msg[1024], want[1024], sql[256], id[16];
	long long		 before;
	size_t			 i;
	int			 rc;

	reset();
	if (tlsrpt_store_open(&st, db, TLSRPT_STORE_OPEN_CREATE) == -1)
		return;
	sql_exec("CREATE TABLE public.fail (state text); "
	    "CREATE OR REPLACE FUNCTION public.fail() RETURNS trigger "
	    "LANGUAGE plpgsql AS $$ DECLARE s text; BEGIN SELECT state INTO s "
	    "FROM public.fail; IF s IS NOT NULL THEN RAISE EXCEPTION USING "
	    "ERRCODE = s, MESSAGE = 'forced ' || s || E' \\x1b[2J\\nline 2'; "
	    "END IF; RETURN NEW; END $$; CREATE TRIGGER fail BEFORE INSERT ON "
	    "mta_sts.reports FOR EACH ROW EXECUTE FUNCTION public.fail()");
	for (i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
		snprintf(sql, sizeof(sql), "DELETE FROM public.fail; INSERT "
		    "INTO public.fail VALUES ('%s')", errors[i].state);
		sql_exec(sql);
		before = store_backend();
		snprintf(id, sizeof(id), "e%zu", i);
		capture_begin();
		rc = add(st, "o", id, 1000, "m.example");
		capture_end(msg, sizeof(msg));
		CHECK(rc == (int)errors[i].want, "SQLSTATE %s: %s",
		    errors[i].state, errors[i].want == TLSRPT_STORE_CORRUPT ?
		    "CORRUPT" : "UNAVAILABLE");
		snprintf(want, sizeof(want), "test: %%s: cannot store a report: "
		    "forced %s \\x1b[2J%s\n", errors[i].state, errors[i].hint);
		check_message(errors[i].state, msg, want, db);
		sql_exec("DELETE FROM public.fail");
		CHECK(add(st, "o", id, 1000, "m.example") ==
		    TLSRPT_STORE_ADDED && (store_backend() != before) ==
		    errors[i].drops, "SQLSTATE %s: the next report ADDED, %s",
		    errors[i].state, errors[i].drops ? "over a new connection" :
		    "over the same connection");
	}
	tlsrpt_store_close(st);
	sql_exec("DROP TABLE public.fail; DROP FUNCTION public.fail() CASCADE");
}

/*
 * What the session runs with, as a trigger sees it: a durable commit
 * although the database says synchronous_commit off, only qualified
 * names, the lock bound, the application name; and the server's
 * warnings in the log as one escaped line each, its notices not at all.
 */
static void
test_session(void)
{
	struct tlsrpt_store	*st;
	char			 name[128], sql[256], msg[1024], buf[512];

	reset();
	sql_text("SELECT current_database()", name, sizeof(name));
	snprintf(sql, sizeof(sql), "ALTER DATABASE \"%s\" SET "
	    "synchronous_commit = off", name);
	sql_exec(sql);
	if (tlsrpt_store_open(&st, db, TLSRPT_STORE_OPEN_CREATE) == -1)
		goto out;
	sql_exec("CREATE TABLE public.seen (what text); "
	    "CREATE OR REPLACE FUNCTION public.seen() RETURNS trigger "
	    "LANGUAGE plpgsql AS $$ BEGIN INSERT INTO public.seen VALUES "
	    "(concat_ws('|', current_setting('synchronous_commit'), "
	    "current_setting('search_path'), current_setting('lock_timeout'), "
	    "current_setting('application_name'), "
	    "current_setting('client_encoding'))); RAISE NOTICE 'not shown'; "
	    "RAISE WARNING E'hostile \\x1b]0;x\\x07 \\u202e\\nsecond line'; "
	    "RETURN NULL; END $$; CREATE TRIGGER seen AFTER INSERT ON "
	    "mta_sts.reports FOR EACH ROW EXECUTE FUNCTION public.seen()");
	capture_begin();
	CHECK(add(st, "o", "1", 1000, "m.example") == TLSRPT_STORE_ADDED,
	    "session: a report ADDED");
	capture_end(msg, sizeof(msg));
	tlsrpt_store_close(st);
	check_message("session: a warning", msg, "test: %s: PostgreSQL says: "
	    "WARNING:  hostile \\x1b]0;x\\x07 \\u202e\n", db);
	sql_text("SELECT what FROM public.seen", buf, sizeof(buf));
	CHECK(strcmp(buf, "on|pg_catalog|4s|mta-sts-report|UTF8") == 0,
	    "session: synchronous_commit on, search_path, lock_timeout, "
	    "application_name, client_encoding (%s)", buf);
	sql_exec("DROP FUNCTION public.seen() CASCADE");
out:
	snprintf(sql, sizeof(sql), "ALTER DATABASE \"%s\" RESET "
	    "synchronous_commit", name);
	sql_exec(sql);
}

/* Groups (copy): one commit; a failure takes the group with it. */
static void
test_group(void)
{
	struct tlsrpt_store		*st;
	struct tlsrpt_served_row	 row = { "g.example",
					    "0123456789abcdef0123456789abcdef",
					    POLICY_TESTING, 86400, 1000 };
	char				 msg[2048];
	int				 rc;

	reset();
	if (tlsrpt_store_open(&st, db, TLSRPT_STORE_OPEN_CREATE) == -1)
		return;
	CHECK(tlsrpt_store_begin(st) == 0 && add(st, "o", "1", 1000,
	    "m.example") == TLSRPT_STORE_ADDED && add(st, "o", "2", 1000,
	    "m.example") == TLSRPT_STORE_ADDED && add(st, "o", "1", 1000,
	    "m.example") == TLSRPT_STORE_DUPLICATE, "group: two ADDED, one "
	    "DUPLICATE inside");
	CHECK(sql_int("SELECT count(*) FROM mta_sts.reports") == 0,
	    "group: nothing seen before the commit");
	CHECK(tlsrpt_store_served_add(st, &row) == 1 &&
	    tlsrpt_store_served_add(st, &row) == 0, "group: a served row "
	    "added once");
	CHECK(tlsrpt_store_commit(st) == 0 && sql_int("SELECT count(*) FROM "
	    "mta_sts.reports") == 2 && sql_int("SELECT count(*) FROM "
	    "mta_sts.served") == 1, "group: committed");
	CHECK(tlsrpt_store_served_add(st, &row) == 0, "group: the served row "
	    "again, outside a group: there already");
	row.first_seen = 2000;
	CHECK(tlsrpt_store_served_add(st, &row) == 1, "group: a later "
	    "first_seen added");

	sql_exec("CREATE OR REPLACE FUNCTION public.no() RETURNS trigger "
	    "LANGUAGE plpgsql AS $$ BEGIN IF NEW.report_id = 'bad' THEN RAISE "
	    "EXCEPTION 'no'; END IF; RETURN NEW; END $$; CREATE TRIGGER no "
	    "BEFORE INSERT ON mta_sts.reports FOR EACH ROW EXECUTE FUNCTION "
	    "public.no()");
	capture_begin();
	CHECK(tlsrpt_store_begin(st) == 0 && add(st, "o", "3", 1000,
	    "m.example") == TLSRPT_STORE_ADDED && add(st, "o", "bad", 1000,
	    "m.example") == TLSRPT_STORE_UNAVAILABLE, "group: a failure inside");
	rc = add(st, "o", "4", 1000, "m.example");
	CHECK(rc == TLSRPT_STORE_UNAVAILABLE && tlsrpt_store_commit(st) == -1,
	    "group: what follows it fails, and so does the commit");
	capture_end(msg, sizeof(msg));
	check_message("group", msg, "test: %1$s: cannot store a report: no\n"
	    "test: %1$s: cannot store a report: the transaction it belongs to "
	    "was rolled back after an error\ntest: %1$s: cannot commit the "
	    "transaction: it was rolled back after an error\n", db);
	CHECK(sql_int("SELECT count(*) FROM mta_sts.reports") == 2,
	    "group: nothing of it stored");
	CHECK(add(st, "o", "3", 1000, "m.example") == TLSRPT_STORE_ADDED,
	    "group: after the commit, reports are stored again");
	sql_exec("DROP FUNCTION public.no() CASCADE");
	tlsrpt_store_close(st);
}

static void
test_prune(void)
{
	struct tlsrpt_store	*st;

	reset();
	if (tlsrpt_store_open(&st, db, TLSRPT_STORE_OPEN_CREATE) == -1) {
		CHECK(0, "prune: create");
		return;
	}
	add(st, "Org", "old", 1000, "p.example");
	add(st, "Org", "edge", 2000, "p.example");
	add(st, "Org", "new", 3000, "p.example");
	CHECK(tlsrpt_store_prune(st, 2000) == 1, "prune: ended before 2000: "
	    "one");
	CHECK(tlsrpt_store_prune(st, 2000) == 0, "prune: again: none");
	CHECK(sql_int("SELECT count(*) FROM mta_sts.policies") == 4 &&
	    sql_int("SELECT count(*) FROM mta_sts.failures") == 12,
	    "prune: its policies and failures went with it");
	CHECK(sql_exec("INSERT INTO mta_sts.reports (organization, report_id, "
	    "\"begin\", \"end\", received, via, raw, digest) SELECT 'Bulk', "
	    "'b' || i, 0, 1500, 0, 'mail', '\\x', 'bulk' || i FROM "
	    "generate_series(1, 2500) AS i; INSERT INTO mta_sts.policies "
	    "(report, policy_type, policy_domain, policy_id, successful, "
	    "failed) SELECT id, 'sts', 'p.example', '', 1, 0 FROM "
	    "mta_sts.reports WHERE organization = 'Bulk'") == 0,
	    "prune: 2500 more reports");
	CHECK(tlsrpt_store_prune(st, 2500) == 2501, "prune: 2501 in three "
	    "batches");
	tlsrpt_store_close(st);
	CHECK(sql_int("SELECT count(*) FROM mta_sts.reports") == 1 &&
	    sql_int("SELECT count(*) FROM mta_sts.policies") == 2,
	    "prune: only the newest report is left, with its policies");
}

static int
count_row(const struct tlsrpt_row *row, void *arg)
{
	(void)row;
	(*(int *)arg)++;
	return 0;
}

static int
count_applied(const struct tlsrpt_applied_row *a, void *arg)
{
	(void)a;
	(*(int *)arg)++;
	return 0;
}

static int
count_stored(const struct tlsrpt_stored *one, void *arg)
{
	(void)one;
	(*(int *)arg)++;
	return 0;
}

static int
count_served(const struct tlsrpt_served_row *s, void *arg)
{
	(void)s;
	(*(int *)arg)++;
	return 0;
}

/*
 * What the receivers' role may do, everything a receiver, an import
 * and the reading commands need, and no more: not prune, not migrate.
 */
static void
roles_receiver(const char *receiver)
{
	struct tlsrpt_store_period pd = { -100000, 100000, NULL, 0 };
	struct tlsrpt_served_row sr = { "t.example",
				    "0123456789abcdef0123456789abcdef",
				    POLICY_ENFORCE, 86400, 5 };
	struct tlsrpt_store	*st;
	struct table		 t;
	char			 msg[1024];
	int			 n = 0, m = 0, e = 0, s = 0;

	CHECK(tlsrpt_store_open(&st, receiver, TLSRPT_STORE_OPEN_CREATE) == 0,
	    "roles: the receiver opens the owner's store");
	if (st == NULL)
		return;
	one_table(&t, POLICY_TESTING, 604800);
	CHECK(add(st, "o", "1", 1000, "t.example") == TLSRPT_STORE_ADDED &&
	    add(st, "o", "1", 1000, "t.example") == TLSRPT_STORE_DUPLICATE,
	    "roles: the receiver adds, a duplicate is one");
	CHECK(tlsrpt_store_served(st, &t, 1000) == 1 &&
	    tlsrpt_store_served_add(st, &sr) == 1, "roles: the receiver "
	    "records served policies");
	CHECK(tlsrpt_store_list(st, NULL, 0, count_row, &n) == 0 && n == 2 &&
	    tlsrpt_store_applied(st, &pd, count_applied, &m) == 0 && m == 2 &&
	    tlsrpt_store_each(st, count_stored, &e) == 0 && e == 1 &&
	    tlsrpt_store_served_list(st, NULL, 0, count_served, &s) == 0 &&
	    s == 2, "roles: the receiver lists, summarises, reads for copy "
	    "(%d %d %d %d)", n, m, e, s);
	CHECK(tlsrpt_store_begin(st) == 0 && add(st, "o", "2", 1000,
	    "t.example") == TLSRPT_STORE_ADDED && tlsrpt_store_commit(st) == 0,
	    "roles: the receiver adds in a group");
	capture_begin();
	CHECK(tlsrpt_store_prune(st, 5000) == -1, "roles: the receiver may "
	    "not prune");
	capture_end(msg, sizeof(msg));
	check_message("roles: prune", msg, "test: %s: cannot prune the "
	    "store: permission denied for table reports (a privilege the role "
	    "lacks: contrib/postgresql/mta-sts-report.sql)\n", receiver);
	tlsrpt_store_close(st);
	table_free(&t);
}

/*
 * The owner's schema emptied by the owner, and kept: its default
 * privileges are the schema's, and go with it if it is dropped.
 */
static void
roles_empty(void)
{
	sql_exec("SET ROLE mta_sts_owner; DROP TABLE IF EXISTS mta_sts.meta, "
	    "mta_sts.reports, mta_sts.policies, mta_sts.failures, "
	    "mta_sts.served; RESET ROLE");
}

/*
 * The roles and grants of contrib/postgresql/mta-sts-report.sql, as
 * the suite ran it: the owner creates and migrates, the receiver may
 * not; default privileges cover a table a migration creates.
 */
static void
test_roles(void)
{
	const char		*owner = getenv("MTA_STS_TEST_OWNER");
	const char		*receiver = getenv("MTA_STS_TEST_RECEIVER");
	const char		*where = getenv("MTA_STS_TEST_ROLES_DATABASE");
	struct tlsrpt_store	*st;
	PGconn			*mine = admin;
	char			 msg[1024], buf[512];

	if (owner == NULL || receiver == NULL || where == NULL) {
		CHECK(0, "roles: MTA_STS_TEST_OWNER, _RECEIVER and "
		    "_ROLES_DATABASE are set");
		return;
	}
	if (PQstatus(admin = PQconnectdb(where)) != CONNECTION_OK) {
		CHECK(0, "roles: connect to %s", where);
		goto out;
	}
	sql_exec("SET client_min_messages = warning");
	roles_empty();
	capture_begin();
	CHECK(tlsrpt_store_open(&st, receiver, TLSRPT_STORE_OPEN_CREATE) == -1,
	    "roles: the receiver may not create the store");
	capture_end(msg, sizeof(msg));
	check_message("roles: create", msg, "test: %s: cannot create the "
	    "store: permission denied for schema mta_sts (this role may not: "
	    "the role that owns schema mta_sts must run `mta-sts-report "
	    "migrate` once)\n", receiver);
	CHECK(tlsrpt_store_open(&st, owner, TLSRPT_STORE_OPEN_CREATE) == 0,
	    "roles: the owner creates it");
	tlsrpt_store_close(st);
	roles_receiver(receiver);
	sql_text("SELECT DISTINCT privilege_type FROM "
	    "information_schema.role_table_grants WHERE table_schema = "
	    "'mta_sts' AND grantee = 'mta_sts_report' ORDER BY 1", buf,
	    sizeof(buf));
	CHECK(strcmp(buf, "INSERT,SELECT") == 0 && sql_int("SELECT count(*) "
	    "FROM information_schema.role_table_grants WHERE table_schema = "
	    "'mta_sts' AND grantee = 'mta_sts_report'") == 10,
	    "roles: the receiver may SELECT and INSERT each of 5 tables, "
	    "nothing else (%s)", buf);

	/* Version 1, made by the owner: the receiver may not upgrade it. */
	roles_empty();
	sql_exec("SET ROLE mta_sts_owner");
	sql_exec(V1);
	sql_exec("RESET ROLE");
	capture_begin();
	CHECK(tlsrpt_store_open(&st, receiver, TLSRPT_STORE_OPEN_CREATE) == -1,
	    "roles: the receiver may not upgrade version 1");
	capture_end(msg, sizeof(msg));
	check_message("roles: upgrade", msg, "test: %s: cannot upgrade the "
	    "store from schema version 1 to 2: permission denied for schema "
	    "mta_sts (this role may not: the role that owns schema mta_sts "
	    "must run `mta-sts-report migrate` once)\n", receiver);
	CHECK(sql_int("SELECT version FROM mta_sts.meta") == 1, "roles: left "
	    "at version 1");
	CHECK(tlsrpt_store_open(&st, owner, 0) == 0, "roles: the owner "
	    "upgrades it");
	tlsrpt_store_close(st);
	CHECK(sql_int("SELECT count(*) FROM information_schema."
	    "role_table_grants WHERE table_schema = 'mta_sts' AND table_name = "
	    "'served' AND grantee = 'mta_sts_report'") == 2, "roles: the "
	    "table the migration made is the receiver's to read and insert");
	sql_exec("DELETE FROM mta_sts.reports");
	roles_receiver(receiver);
	roles_empty();
out:
	PQfinish(admin);
	admin = mine;
}

/* Adds n reports, one at a time, and says how long they took. */
static int
bench(int n)
{
	struct tlsrpt_store	*st;
	char			 id[32];
	int64_t			 t0, ms;
	int			 i, bad = 0;

	reset();
	if (tlsrpt_store_open(&st, db, TLSRPT_STORE_OPEN_CREATE) == -1)
		return 1;
	t0 = clock_ms();
	for (i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "bench-%d", i);
		bad += add(st, "Org", id, 1000 + i, "b.example") !=
		    TLSRPT_STORE_ADDED;
	}
	ms = clock_ms() - t0;
	tlsrpt_store_close(st);
	printf("%d reports (2 policies, 6 failures each) in %lld ms: %.2f ms "
	    "each, %d failed\n", n, (long long)ms, (double)ms / n, bad);
	reset();
	return bad != 0;
}

int
main(int argc, char *argv[])
{
	char		 cmd[128];
	long long	 n;

	log_progname = "test";
	test_no_server();
	if ((db = getenv("MTA_STS_TEST_DATABASE")) == NULL) {
		printf("# MTA_STS_TEST_DATABASE unset: the cases that need a "
		    "server run in the report-pg-store suite\n");
		return unit_done();
	}
	if (PQstatus(admin = PQconnectdb(db)) != CONNECTION_OK) {
		CHECK(0, "connect to %s: %s", db, PQerrorMessage(admin));
		return unit_done();
	}
	sql_exec("SET client_min_messages = warning");
	if (argc == 3 && strcmp(argv[1], "bench") == 0)
		return num_parse(argv[2], 10, 1, 1000000, &n) == -1 ? 64 :
		    bench((int)n);
	snprintf(dir, sizeof(dir), "/tmp/test-tlsrpt-pg.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		CHECK(0, "mkdtemp");
		return unit_done();
	}
	test_create();
	test_migrate();
	test_migrate_race(0);
	test_migrate_race(1);
	test_refused();
	test_refused_empty();
	test_latin1();
	test_read_only_server();
	test_same();
	test_concurrent();
	test_served_race();
	test_kill();
	test_commit_lost();
	test_errors();
	test_session();
	test_group();
	test_prune();
	test_stall();
	test_restart();
	test_roles();
	reset();
	PQfinish(admin);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK(system(cmd) == 0, "scratch directory removed");
	return unit_done();
}
