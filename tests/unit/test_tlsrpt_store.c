/* SPDX-License-Identifier: ISC */
/*
 * The store (tlsrpt_store.c) and the listing (report_list.c), for real:
 * processes forked to write at once, writers killed mid-write, a full
 * tmpfs and a read-only one mounted in a mount namespace of the test's
 * own (root), files that are not our store.  The store is checked with
 * SQLite itself: integrity_check, and row counts that show a report is
 * stored whole or not at all.
 *
 * "test_tlsrpt_store fill PATH" is also tests/report/run-cli.sh's tool:
 * it fills a store with the fixed reports of fill_fixed (hostile strings
 * among them) for the golden output of `list`.
 */
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "report/report.h"
#include "unit.h"

static char	 dir[64];

/*
 * A report with two policies (policy_domain and "b." policy_domain) of
 * three failures each, pointing into the struct: build it in place.
 */
struct fixture {
	struct tlsrpt_report		 r;
	struct tlsrpt_policy	 p[2];
	struct tlsrpt_failure	 f[2][3];
	char			 org[128], id[128], dom[2][64];
	char			*lines[3], *mx[2];
	unsigned char		 raw[32];
};

static void
fixture(struct fixture *x, const char *org, const char *id, int64_t end,
    const char *domain)
{
	static char	 l0[] = "version: STSv1", l1[] = "mode: enforce",
			 l2[] = "mx: mail.example.com", mx0[] = "mail.example.com",
			 mx1[] = "*.example.net", t0[] = "certificate-expired",
			 t1[] = "starttls-not-supported", t2[] = "x-unknown",
			 ip[] = "192.0.2.1", mxn[] = "mail.example.com";
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
		x->p[i].npolicy_string = 3;
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
	memcpy(x->raw, "\x1f\x8b\x08\x00raw", 7);
	tlsrpt_report_digest(&x->r);
}

static enum tlsrpt_store_result
add(struct tlsrpt_store *st, const char *org, const char *id, int64_t end,
    const char *domain, int64_t received)
{
	struct fixture	 x;

	fixture(&x, org, id, end, domain);
	return tlsrpt_store_add(st, &x.r, TLSRPT_VIA_HTTPS, x.raw, 7,
	    received);
}

static void
path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

/* One integer from SQL run on the file (not through the store): -1 if
 * it fails. */
static long long
sql_int(const char *file, const char *sql)
{
	sqlite3		*db;
	sqlite3_stmt	*s;
	long long	 n = -1;

	if (sqlite3_open_v2(file, &db, SQLITE_OPEN_READWRITE, NULL) ==
	    SQLITE_OK && sqlite3_prepare_v2(db, sql, -1, &s, NULL) ==
	    SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			n = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	return n;
}

static int
sql_exec(const char *file, const char *sql)
{
	sqlite3	*db;
	int	 rc;

	if (sqlite3_open(file, &db) != SQLITE_OK) {
		sqlite3_close(db);
		return -1;
	}
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
	sqlite3_close(db);
	return rc;
}

/* PRAGMA integrity_check says "ok". */
static int
sql_intact(const char *file)
{
	sqlite3		*db;
	sqlite3_stmt	*s;
	int		 ok = 0;

	if (sqlite3_open(file, &db) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL) ==
	    SQLITE_OK) {
		ok = sqlite3_step(s) == SQLITE_ROW &&
		    strcmp((const char *)sqlite3_column_text(s, 0), "ok") == 0 &&
		    sqlite3_step(s) == SQLITE_DONE;
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	return ok;
}

/*
 * Reports stored without exactly their two policies of three failures
 * each: a half-stored report.  -1 if the query fails.
 */
static long long
sql_broken(const char *file)
{
	return sql_int(file, "SELECT count(*) FROM reports r WHERE "
	    "(SELECT count(*) FROM policies p WHERE p.report = r.id) != 2 OR "
	    "(SELECT count(*) FROM failures f JOIN policies p ON "
	    "f.policy = p.id WHERE p.report = r.id) != 6");
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

static void
check_message(const char *name, const char *got, const char *fmt,
    const char *file)
{
	char	 want[1024];

	snprintf(want, sizeof(want), fmt, file);
	CHECK_BYTES(got, strlen(got), want, strlen(want), "%s: message",
	    name);
}

/* What the listing prints, through report_list_json or _text. */
static char *
listing(struct tlsrpt_store *st, const char *const *domains, size_t n,
    int json, int *rc)
{
	char	*out = NULL;
	size_t	 len = 0;
	FILE	*fp;

	if ((fp = open_memstream(&out, &len)) == NULL)
		return NULL;
	*rc = tlsrpt_store_list(st, domains, n, json ? report_list_json :
	    report_list_text, fp);
	fclose(fp);
	return out;
}

static void
test_add_list(void)
{
	static const char want_text[] =
	    "2024-04-02T23:59:59Z a.example sts 100/6 https Org B [r2]\n"
	    "2024-04-02T23:59:59Z b.a.example sts 101/6 https Org B [r2]\n"
	    "2024-04-01T23:59:59Z a.example sts 100/6 https Org A [r1]\n"
	    "2024-04-01T23:59:59Z b.a.example sts 101/6 https Org A [r1]\n"
	    "2024-03-31T23:59:59Z c.example sts 100/6 https Org A [r0]\n"
	    "2024-03-31T23:59:59Z b.c.example sts 101/6 https Org A [r0]\n";
	static const char want_b[] =
	    "2024-04-02T23:59:59Z b.a.example sts 101/6 https Org B [r2]\n"
	    "2024-04-01T23:59:59Z b.a.example sts 101/6 https Org A [r1]\n"
	    "2024-03-31T23:59:59Z c.example sts 100/6 https Org A [r0]\n";
	static const char want_json[] = "{\"organization\":\"Org A\","
	    "\"report_id\":\"r0\",\"policy_domain\":\"c.example\","
	    "\"policy_type\":\"sts\",\"begin\":\"2024-03-31T00:00:00Z\","
	    "\"end\":\"2024-03-31T23:59:59Z\",\"successful\":100,"
	    "\"failed\":6,\"via\":\"https\",\"failures\":["
	    "{\"result_type\":\"certificate-expired\",\"receiving_mx\":"
	    "\"mail.example.com\",\"count\":1,\"sending_mta_ip\":\"192.0.2.1\","
	    "\"receiving_ip\":null,\"receiving_mx_helo\":null,"
	    "\"additional_information\":null,\"failure_reason_code\":null},"
	    "{\"result_type\":\"starttls-not-supported\",\"receiving_mx\":"
	    "\"mail.example.com\",\"count\":2,\"sending_mta_ip\":\"192.0.2.1\","
	    "\"receiving_ip\":null,\"receiving_mx_helo\":null,"
	    "\"additional_information\":null,\"failure_reason_code\":null},"
	    "{\"result_type\":\"x-unknown\",\"receiving_mx\":"
	    "\"mail.example.com\",\"count\":3,\"sending_mta_ip\":\"192.0.2.1\","
	    "\"receiving_ip\":null,\"receiving_mx_helo\":null,"
	    "\"additional_information\":null,\"failure_reason_code\":null}],"
	    "\"policy_id\":null,\"policy_string\":[\"version: STSv1\","
	    "\"mode: enforce\",\"mx: mail.example.com\"],\"mx_host\":"
	    "[\"mail.example.com\",\"*.example.net\"],\"contact\":null,"
	    "\"received\":\"2024-04-01T00:00:10Z\"}\n";
	static const char *const only_b[] = { "b.a.example", "c.example" };
	static const char *const only_c[] = { "c.example" };
	const int64_t		 day = 1711929599;	/* 2024-03-31T23:59:59Z */
	struct tlsrpt_store	*st;
	char			 file[128], *out;
	int			 rc;

	path(file, sizeof(file), "list.db");
	CHECK(tlsrpt_store_open(&st, file, TLSRPT_STORE_OPEN_CREATE) == 0,
	    "a new store is created");
	if (st == NULL)
		return;
	CHECK(add(st, "Org A", "r0", day, "c.example", day + 11) ==
	    TLSRPT_STORE_ADDED, "r0 added");
	CHECK(add(st, "Org A", "r1", day + 86400, "a.example", day + 12) ==
	    TLSRPT_STORE_ADDED, "r1 added");
	CHECK(add(st, "Org B", "r2", day + 2 * 86400, "a.example", day + 13) ==
	    TLSRPT_STORE_ADDED, "r2 added");
	CHECK(add(st, "Org A", "r1", day + 86400, "a.example", day + 14) ==
	    TLSRPT_STORE_DUPLICATE, "the same report again, received later: "
	    "a duplicate (RFC 8460 §5.5)");
	CHECK(add(st, "Org B", "r1", day, "x.example", day + 15) ==
	    TLSRPT_STORE_ADDED, "the same report-id from another "
	    "organization is another report");
	tlsrpt_store_close(st);
	CHECK(sql_int(file, "SELECT count(*) FROM reports") == 4 &&
	    sql_int(file, "SELECT count(*) FROM policies") == 8 &&
	    sql_int(file, "SELECT count(*) FROM failures") == 24,
	    "4 reports, 8 policies, 24 failures stored");
	CHECK(sql_exec(file, "PRAGMA foreign_keys = ON; "
	    "DELETE FROM reports WHERE organization = "
	    "'Org B' AND report_id = 'r1'") == 0, "one removed by hand");
	CHECK(sql_int(file, "SELECT count(*) FROM policies") == 6,
	    "its policies went with it (foreign key cascade)");

	CHECK(tlsrpt_store_open(&st, file, TLSRPT_STORE_OPEN_READONLY) == 0,
	    "opened read-only");
	if (st == NULL)
		return;
	out = listing(st, NULL, 0, 0, &rc);
	CHECK(rc == 0, "list: every domain");
	CHECK_BYTES(out, strlen(out), want_text, strlen(want_text),
	    "list: newest first, a line per report and policy domain");
	free(out);
	out = listing(st, only_b, 2, 0, &rc);
	CHECK(rc == 0, "list: two domains");
	CHECK_BYTES(out, strlen(out), want_b, strlen(want_b),
	    "list: only the domains named");
	free(out);
	out = listing(st, only_c, 1, 1, &rc);
	CHECK(rc == 0, "list -j");
	CHECK_BYTES(out, strlen(out), want_json, strlen(want_json),
	    "list -j: the keys issue 19 names, then the extras");
	free(out);
	tlsrpt_store_close(st);
}

/*
 * Strings a sender controls, printed as one harmless line of text and
 * as exact JSON.
 */
static void
test_hostile(void)
{
	static const char want_text[] = "2024-03-31T23:59:59Z evil.example "
	    "sts\\x1b[31m 100/6 https Evil\\x1b]0;owned\\x07\\r\\nInc "
	    "\\u2028\\u202e [id\\nforged line \"q\" \\ \\xff]\n";
	/* jansson: \u001B; the report-id, not UTF-8, as log_escape has it. */
	static const char want_json[] = "{\"organization\":\"Evil\\u001B]0;"
	    "owned\\u0007\\r\\nInc \u2028\u202e\",\"report_id\":\"id\\\\n"
	    "forged line \\\"q\\\" \\\\ \\\\xff\",";
	static const char *const only[] = { "evil.example" };
	struct tlsrpt_store	*st;
	struct fixture		 x;
	char			 file[128], *out, type[] = "sts\x1b[31m";
	int			 rc;

	path(file, sizeof(file), "hostile.db");
	if (tlsrpt_store_open(&st, file, TLSRPT_STORE_OPEN_CREATE) == -1) {
		CHECK(0, "hostile: open");
		return;
	}
	fixture(&x, "Evil\x1b]0;owned\a\r\nInc \xe2\x80\xa8\xe2\x80\xae",
	    "id\nforged line \"q\" \\ \xff", 1711929599, "evil.example");
	x.p[0].policy_type = type;
	CHECK(tlsrpt_store_add(st, &x.r, TLSRPT_VIA_HTTPS, x.raw, 7,
	    1711929600) == TLSRPT_STORE_ADDED, "hostile: stored as sent");
	out = listing(st, only, 1, 0, &rc);
	CHECK(rc == 0 && out != NULL, "hostile: listed");
	if (out != NULL)
		CHECK_BYTES(out, strlen(out), want_text, strlen(want_text),
		    "hostile: text escaped by log_escape, one line");
	free(out);
	out = listing(st, only, 1, 1, &rc);
	CHECK(rc == 0 && out != NULL && strchr(out, '\n') ==
	    out + strlen(out) - 1, "hostile: JSON on one line");
	if (out != NULL)
		CHECK_BYTES(out, strlen(want_json) < strlen(out) ?
		    strlen(want_json) : strlen(out), want_json,
		    strlen(want_json), "hostile: JSON escaped; a string "
		    "that is not UTF-8 as log_escape writes it");
	free(out);
	tlsrpt_store_close(st);
}

static void
test_files(void)
{
	struct tlsrpt_store	*st;
	char			 file[128], msg[1024];
	int			 fd;

	/* An empty file (touch) is a new store: the current version. */
	path(file, sizeof(file), "empty.db");
	close(open(file, O_CREAT | O_WRONLY, 0644));
	CHECK(tlsrpt_store_open(&st, file, TLSRPT_STORE_OPEN_CREATE) == 0,
	    "an empty file: migrated from version 0");
	CHECK(st != NULL && add(st, "o", "1", 1000, "m.example", 1) ==
	    TLSRPT_STORE_ADDED, "an empty file: usable");
	tlsrpt_store_close(st);
	CHECK(sql_int(file, "PRAGMA user_version") == 2 &&
	    sql_int(file, "PRAGMA application_id") == 0x4d545352,
	    "schema version 2, application_id MTSR");
	CHECK(sql_int(file, "SELECT count(*) FROM pragma_journal_mode "
	    "WHERE journal_mode = 'wal'") == 1, "journal mode WAL");
	CHECK(tlsrpt_store_open(&st, file, TLSRPT_STORE_OPEN_CREATE) == 0,
	    "the current version opens again (nothing to migrate)");
	tlsrpt_store_close(st);
	CHECK(sql_int(file, "SELECT count(*) FROM sqlite_schema") == 10 &&
	    sql_int(file, "SELECT count(*) FROM reports") == 1,
	    "opening again changed nothing: 4 tables, 6 indexes, 1 report");

	/* A newer schema: refused, left alone. */
	CHECK(sql_exec(file, "PRAGMA user_version = 3") == 0, "version 3");
	capture_begin();
	CHECK(tlsrpt_store_open(&st, file, 0) == -1, "a newer schema is "
	    "refused");
	capture_end(msg, sizeof(msg));
	check_message("newer", msg, "test: %s: the store's schema version 3 "
	    "is newer than this program's (2): a newer mta-sts-report wrote "
	    "it\n", file);
	CHECK(sql_int(file, "PRAGMA user_version") == 3, "and left alone");

	/* Another program's database. */
	path(file, sizeof(file), "other.db");
	CHECK(sql_exec(file, "CREATE TABLE t (x)") == 0, "another database");
	capture_begin();
	CHECK(tlsrpt_store_open(&st, file, TLSRPT_STORE_OPEN_CREATE) == -1,
	    "another program's database is refused, not migrated");
	capture_end(msg, sizeof(msg));
	check_message("other", msg, "test: %s: not a mta-sts-report store "
	    "(an SQLite database with application_id 0 and 1 schema "
	    "objects): name another file in [reports] database\n", file);
	CHECK(sql_int(file, "SELECT count(*) FROM sqlite_schema") == 1,
	    "and left alone");

	/* Not a database at all. */
	path(file, sizeof(file), "text.db");
	fd = open(file, O_CREAT | O_WRONLY, 0644);
	CHECK(write(fd, "[policy]\nmode = enforce\n", 24) == 24, "a text file");
	close(fd);
	capture_begin();
	CHECK(tlsrpt_store_open(&st, file, TLSRPT_STORE_OPEN_CREATE) == -1,
	    "a text file is refused");
	capture_end(msg, sizeof(msg));
	check_message("text", msg, "test: %s: cannot open the store: the "
	    "store is damaged or not a database: file is not a database\n",
	    file);

	/* A store whose first page (the schema) is damaged. */
	path(file, sizeof(file), "damaged.db");
	CHECK(tlsrpt_store_open(&st, file, TLSRPT_STORE_OPEN_CREATE) == 0 &&
	    add(st, "o", "1", 1000, "m.example", 1) == TLSRPT_STORE_ADDED,
	    "a store to damage");
	tlsrpt_store_close(st);
	fd = open(file, O_WRONLY);
	CHECK(pwrite(fd, "\xff\xff\xff\xff\xff\xff\xff\xff", 8, 100) == 8,
	    "its schema page's header overwritten");
	close(fd);
	capture_begin();
	CHECK(tlsrpt_store_open(&st, file, 0) == -1, "a damaged store is "
	    "refused");
	capture_end(msg, sizeof(msg));
	check_message("damaged", msg, "test: %s: cannot open the store: the "
	    "store is damaged or not a database: database disk image is "
	    "malformed\n", file);

	/* Nothing there: read-only never creates. */
	path(file, sizeof(file), "missing.db");
	capture_begin();
	CHECK(tlsrpt_store_open(&st, file, TLSRPT_STORE_OPEN_READONLY) == -1,
	    "a missing store is not created by list");
	capture_end(msg, sizeof(msg));
	check_message("missing", msg, "test: %s: cannot open the store: "
	    "unable to open database file (No such file or directory)\n",
	    file);
	CHECK(access(file, F_OK) == -1, "and not created");
	capture_begin();
	CHECK(tlsrpt_store_open(&st, file, 0) == -1 && access(file, F_OK) ==
	    -1, "nor by prune");
	capture_end(msg, sizeof(msg));
	check_message("missing", msg, "test: %s: cannot open the store: "
	    "unable to open database file (No such file or directory)\n",
	    file);
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

/* Does path exist (any type)? */
static int
exists(const char *path)
{
	struct stat	 sb;

	return lstat(path, &sb) == 0;
}

/*
 * What readonly_child found, bit by bit: the read-only store refused at
 * open, no -wal or -shm left behind (SQLite gives them the file's mode:
 * a 0444 -shm would keep the store read-only after the file is made
 * writable again, audit 19, finding 4), and the store taken again,
 * without a restart, once the file is writable.
 */
#define RO_REFUSED	1
#define RO_NO_SIDE	2
#define RO_BACK		4

static int
readonly_child(const char *file)
{
	struct tlsrpt_store	*st;
	char			 side[160];
	int			 found = 0;

	if (setgid(65534) == -1 || setuid(65534) == -1 ||
	    tlsrpt_store_open(&st, file, TLSRPT_STORE_OPEN_CREATE) == -1)
		return 99;
	add(st, "o", "1", 1000, "m.example", 1);
	tlsrpt_store_close(st);
	if (chmod(file, 0444) == -1)
		return 98;
	if (tlsrpt_store_open(&st, file, TLSRPT_STORE_OPEN_CREATE) == -1)
		found |= RO_REFUSED;
	else
		tlsrpt_store_close(st);
	snprintf(side, sizeof(side), "%s-shm", file);
	if (!exists(side)) {
		snprintf(side, sizeof(side), "%s-wal", file);
		if (!exists(side))
			found |= RO_NO_SIDE;
	}
	if (chmod(file, 0644) == 0 &&
	    tlsrpt_store_open(&st, file, TLSRPT_STORE_OPEN_CREATE) == 0) {
		if (add(st, "o", "2", 1000, "m.example", 1) ==
		    TLSRPT_STORE_ADDED)
			found |= RO_BACK;
		tlsrpt_store_close(st);
	}
	return found;
}

/*
 * A store file its writer may not write (0444), as a worker finds it:
 * refused at open with a message that says so, nothing created beside
 * it, and used again once it is writable.
 */
static void
test_readonly_file(void)
{
	struct tlsrpt_store	*st;
	char			 file[128], msg[1024];
	pid_t			 pid;
	int			 rc;

	path(file, sizeof(file), "ro.db");
	CHECK(chmod(dir, 0777) == 0, "read-only: the directory open to all");
	capture_begin();
	if ((pid = fork()) == 0)
		_exit(readonly_child(file));
	rc = child_wait(pid);
	capture_end(msg, sizeof(msg));
	CHECK(rc == (RO_REFUSED | RO_NO_SIDE | RO_BACK), "read-only: refused "
	    "at open (%d), no -wal or -shm made (%d), taken again when "
	    "writable (%d)", rc & RO_REFUSED, rc & RO_NO_SIDE, rc & RO_BACK);
	check_message("read-only", msg, "test: %s: the store is read-only "
	    "to this process (the file's mode or owner, or a read-only file "
	    "system): reports cannot be stored\n", file);
	CHECK(sql_int(file, "SELECT count(*) FROM reports") == 2,
	    "read-only: the store holds both reports");
	/* Root's store, opened by a user who may not write it. */
	path(file, sizeof(file), "ro-root.db");
	if (tlsrpt_store_open(&st, file, TLSRPT_STORE_OPEN_CREATE) == -1) {
		CHECK(0, "read-only: create");
		return;
	}
	add(st, "o", "1", 1000, "m.example", 1);
	tlsrpt_store_close(st);
	if ((pid = fork()) == 0) {
		log_quiet = 1;
		_exit(setgid(65534) == 0 && setuid(65534) == 0 &&
		    tlsrpt_store_open(&st, file, 0) == -1 ? 0 : 1);
	}
	CHECK(child_wait(pid) == 0, "read-only: root's store refused at "
	    "open to a user who may not write it");
	snprintf(msg, sizeof(msg), "%s-shm", file);
	CHECK(!exists(msg) && sql_int(file, "SELECT count(*) FROM reports") ==
	    1, "read-only: no -shm made, nothing stored");
	chmod(dir, 0700);
}

/* Renames from and its -wal and -shm to to; 0, or -1. */
static int
move_store(const char *from, const char *to)
{
	static const char *const sfx[] = { "", "-wal", "-shm" };
	char	 a[160], b[160];
	size_t	 i;

	for (i = 0; i < 3; i++) {
		snprintf(a, sizeof(a), "%s%s", from, sfx[i]);
		snprintf(b, sizeof(b), "%s%s", to, sfx[i]);
		if (rename(a, b) == -1 && (i == 0 || errno != ENOENT))
			return -1;
	}
	return 0;
}

/*
 * The store moved or removed under open connections (audit 19, finding
 * 8): the next add notices, opens the store at its path again (created,
 * as asked) and stores there, so that an acknowledged report is in the
 * file the config names; a connection that never noticed closes without
 * removing, by name, the -wal and -shm of the store now at the path.
 */
static void
test_moved(void)
{
	struct tlsrpt_store	*st1, *st2, *st;
	char			 a[128], b[128], side[160], msg[1024];

	path(a, sizeof(a), "moved.db");
	path(b, sizeof(b), "moved-away.db");
	if (tlsrpt_store_open(&st1, a, TLSRPT_STORE_OPEN_CREATE) == -1 ||
	    tlsrpt_store_open(&st2, a, TLSRPT_STORE_OPEN_CREATE) == -1) {
		CHECK(0, "moved: open");
		return;
	}
	CHECK(add(st1, "o", "1", 1000, "m.example", 1) == TLSRPT_STORE_ADDED &&
	    move_store(a, b) == 0, "moved: a report stored, the store moved "
	    "away with its -wal and -shm");
	capture_begin();
	CHECK(add(st1, "o", "2", 1000, "m.example", 1) == TLSRPT_STORE_ADDED,
	    "moved: the next report ADDED");
	capture_end(msg, sizeof(msg));
	check_message("moved", msg, "test: %s: the store was moved, replaced "
	    "or removed since it was opened: opening it again at its path\n",
	    a);
	tlsrpt_store_close(st2);
	snprintf(side, sizeof(side), "%s-wal", a);
	CHECK(exists(side), "moved: a stale connection's close left the new "
	    "store's -wal alone");
	CHECK(add(st1, "o", "3", 1000, "m.example", 1) == TLSRPT_STORE_ADDED,
	    "moved: and the one after");
	tlsrpt_store_close(st1);
	CHECK(sql_int(a, "SELECT count(*) FROM reports") == 2 &&
	    sql_int(a, "SELECT count(*) FROM reports WHERE report_id = '1'") ==
	    0, "moved: the store at the path holds the two reports after the "
	    "move");
	CHECK(sql_int(b, "SELECT count(*) FROM reports") == 1 &&
	    sql_intact(b), "moved: the moved store holds the one before, "
	    "intact");
	/* Removed: stored again in a new store at the path. */
	path(a, sizeof(a), "removed.db");
	if (tlsrpt_store_open(&st, a, TLSRPT_STORE_OPEN_CREATE) == -1) {
		CHECK(0, "removed: open");
		return;
	}
	add(st, "o", "1", 1000, "m.example", 1);
	snprintf(side, sizeof(side), "%s-wal", a);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", a);
	unlink(side);
	log_quiet = 1;
	CHECK(unlink(a) == 0 && add(st, "o", "2", 1000, "m.example", 1) ==
	    TLSRPT_STORE_ADDED, "removed: the next report ADDED");
	log_quiet = 0;
	tlsrpt_store_close(st);
	CHECK(sql_int(a, "SELECT count(*) FROM reports WHERE report_id = '2'")
	    == 1, "removed: it is in the store at the path");
}

/*
 * In a child with a mount namespace of its own: a tmpfs of size bytes
 * on dir/name, made private so that it goes when the child exits.
 * 0, or -1.
 */
static int
private_tmpfs(const char *mnt, const char *size)
{
	char	 opts[64];

	snprintf(opts, sizeof(opts), "size=%s,mode=0755", size);
	if (unshare(CLONE_NEWNS) == -1 ||
	    mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1 ||
	    mkdir(mnt, 0755) == -1 ||
	    mount("tmpfs", mnt, "tmpfs", 0, opts) == -1)
		return -1;
	return 0;
}

/* Random bytes that gzip would not shrink: a report's raw blob. */
static void
noise(unsigned char *p, size_t n, unsigned *seed)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(rand_r(seed) >> 7);
}

/*
 * The child of test_full: fills a 1 MiB tmpfs, then checks what is
 * stored with the ballast file removed.  Exit codes say what failed.
 */
static int
full_child(const char *mnt)
{
	static unsigned char	 raw[20000];
	struct tlsrpt_store	*st;
	struct fixture		 x;
	char			 file[160], ballast[160], id[32];
	enum tlsrpt_store_result r = TLSRPT_STORE_ADDED;
	unsigned		 seed = 1;
	int			 added = 0, fd;

	if (private_tmpfs(mnt, "1m") == -1)
		return 90;
	snprintf(file, sizeof(file), "%s/full.db", mnt);
	snprintf(ballast, sizeof(ballast), "%s/ballast", mnt);
	if ((fd = open(ballast, O_CREAT | O_WRONLY, 0600)) == -1 ||
	    write(fd, raw, sizeof(raw)) != sizeof(raw) ||
	    write(fd, raw, sizeof(raw)) != sizeof(raw) ||
	    write(fd, raw, sizeof(raw)) != sizeof(raw) ||
	    write(fd, raw, sizeof(raw)) != sizeof(raw) ||
	    write(fd, raw, sizeof(raw)) != sizeof(raw) || close(fd) == -1)
		return 91;
	if (tlsrpt_store_open(&st, file, TLSRPT_STORE_OPEN_CREATE) == -1)
		return 92;
	while (added < 1000) {
		snprintf(id, sizeof(id), "full-%d", added);
		fixture(&x, "Org", id, 1000, "full.example");
		noise(raw, sizeof(raw), &seed);
		if ((r = tlsrpt_store_add(st, &x.r, TLSRPT_VIA_MAIL, raw,
		    sizeof(raw), 1)) != TLSRPT_STORE_ADDED)
			break;
		added++;
	}
	tlsrpt_store_close(st);
	if (r != TLSRPT_STORE_UNAVAILABLE)
		return 93;	/* never full, or another answer */
	if (added < 10)
		return 94;	/* full too soon: the test shows nothing */
	unlink(ballast);
	if (!sql_intact(file))
		return 95;
	if (sql_int(file, "SELECT count(*) FROM reports") != added)
		return 96;
	if (sql_broken(file) != 0)
		return 97;
	if (tlsrpt_store_open(&st, file, 0) == -1)
		return 98;
	r = add(st, "Org", "after", 1000, "full.example", 1);
	tlsrpt_store_close(st);
	return r == TLSRPT_STORE_ADDED ? 0 : 99;
}

static void
test_full(void)
{
	char	 mnt[128];
	pid_t	 pid;
	int	 rc;

	path(mnt, sizeof(mnt), "full");
	if ((pid = fork()) == 0) {
		log_quiet = 1;
		_exit(full_child(mnt));
	}
	rc = child_wait(pid);
	CHECK(rc == 0, "full disk (1 MiB tmpfs): UNAVAILABLE when full, every "
	    "report acknowledged is there whole, integrity_check ok, and the "
	    "store works again once there is room (child status %d: 9x "
	    "names the failed step)", rc);
}

/* A read-only file system: the store cannot be opened for writing. */
static int
rofs_child(const char *mnt)
{
	struct tlsrpt_store	*st;
	struct stat		 before, after;
	char			 file[160];

	if (private_tmpfs(mnt, "1m") == -1)
		return 90;
	snprintf(file, sizeof(file), "%s/ro.db", mnt);
	if (tlsrpt_store_open(&st, file, TLSRPT_STORE_OPEN_CREATE) == -1)
		return 91;
	add(st, "o", "1", 1000, "m.example", 1);
	tlsrpt_store_close(st);
	if (mount(NULL, mnt, NULL, MS_REMOUNT | MS_RDONLY, NULL) == -1 ||
	    stat(file, &before) == -1)
		return 92;
	/* WAL: even a reader needs the -shm file, which cannot be made. */
	if (tlsrpt_store_open(&st, file, 0) == 0) {
		tlsrpt_store_close(st);
		return 93;
	}
	if (stat(file, &after) == -1 || after.st_size != before.st_size ||
	    after.st_mtim.tv_nsec != before.st_mtim.tv_nsec)
		return 94;
	return 0;
}

static void
test_rofs(void)
{
	char	 mnt[128];
	pid_t	 pid;
	int	 rc;

	path(mnt, sizeof(mnt), "rofs");
	if ((pid = fork()) == 0) {
		log_quiet = 1;
		_exit(rofs_child(mnt));
	}
	rc = child_wait(pid);
	CHECK(rc == 0, "read-only file system: the store does not open, "
	    "the file is unchanged (child status %d)", rc);
}

/*
 * 8 processes at once, each adding 100 report-ids of 0-274 (the sets
 * overlap): each report is ADDED by exactly one of them.
 */
#define WRITERS		8
#define PER_WRITER	100
#define STRIDE		25
static void
test_concurrent(void)
{
	struct tlsrpt_store	*st;
	char			 file[128], id[32];
	pid_t			 pids[WRITERS];
	int			 k, i, fds[2], added = 0, n, total;

	path(file, sizeof(file), "concurrent.db");
	CHECK(pipe(fds) == 0, "concurrent: a pipe for the counts");
	for (k = 0; k < WRITERS; k++)
		if ((pids[k] = fork()) == 0) {
			int mine = 0, bad = 0;

			close(fds[0]);
			/* Each opens (and may create) the store itself. */
			if (tlsrpt_store_open(&st, file,
			    TLSRPT_STORE_OPEN_CREATE) == -1)
				_exit(1);
			for (i = 0; i < PER_WRITER; i++) {
				/* Half go up, half down: they collide. */
				n = k * STRIDE + (k % 2 ? PER_WRITER - 1 - i : i);
				snprintf(id, sizeof(id), "c-%d", n);
				switch (add(st, "Org", id, 1000 + n, "c.example",
				    1)) {
				case TLSRPT_STORE_ADDED:
					mine++;
					break;
				case TLSRPT_STORE_DUPLICATE:
					break;
				default:
					bad++;
				}
			}
			tlsrpt_store_close(st);
			if (write(fds[1], &mine, sizeof(mine)) != sizeof(mine))
				bad++;
			_exit(bad ? 2 : 0);
		}
	close(fds[1]);
	for (k = 0; k < WRITERS; k++) {
		int rc = child_wait(pids[k]);

		CHECK(rc == 0, "concurrent: writer %d: every answer ADDED or "
		    "DUPLICATE (status %d)", k, rc);
	}
	while (read(fds[0], &n, sizeof(n)) == sizeof(n))
		added += n;
	close(fds[0]);
	total = (WRITERS - 1) * STRIDE + PER_WRITER;
	CHECK(added == total, "concurrent: %d ADDED in all, want %d", added,
	    total);
	CHECK(sql_int(file, "SELECT count(*) FROM reports") == total &&
	    sql_int(file, "SELECT count(DISTINCT report_id) FROM reports") ==
	    total, "concurrent: %d reports stored, each once", total);
	CHECK(sql_broken(file) == 0 && sql_intact(file),
	    "concurrent: each whole, integrity_check ok");
}

/*
 * A writer killed at random points, many times: every report it
 * acknowledged (wrote to the pipe after ADDED) is stored whole.
 */
#define KILLS	40
static void
test_kill(void)
{
	struct tlsrpt_store	*st;
	struct timespec		 ts;
	char			 file[128], id[32], sql[128];
	unsigned		 seed = (unsigned)getpid();
	int			 round, fds[2], n, acked = 0, missing = 0;
	pid_t			 pid;

	path(file, sizeof(file), "kill.db");
	if (tlsrpt_store_open(&st, file, TLSRPT_STORE_OPEN_CREATE) == -1) {
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
			if (tlsrpt_store_open(&st, file, 0) == -1)
				_exit(1);
			for (n = 0;; n++) {
				snprintf(id, sizeof(id), "k-%d-%d", round, n);
				if (add(st, "Org", id, 1000, "k.example", 1) ==
				    TLSRPT_STORE_ADDED &&
				    write(fds[1], &n, sizeof(n)) != sizeof(n))
					_exit(2);
			}
		}
		close(fds[1]);
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(rand_r(&seed) % 40000) * 1000;
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		child_wait(pid);
		while (read(fds[0], &n, sizeof(n)) == sizeof(n)) {
			acked++;
			snprintf(sql, sizeof(sql), "SELECT count(*) FROM "
			    "reports WHERE report_id = 'k-%d-%d'", round, n);
			if (sql_int(file, sql) != 1)
				missing++;
		}
		close(fds[0]);
	}
	CHECK(round == KILLS, "kill: %d writers killed", round);
	CHECK(acked > 0, "kill: %d reports acknowledged before the kills",
	    acked);
	CHECK(missing == 0, "kill: every acknowledged report is stored "
	    "(%d missing)", missing);
	CHECK(sql_intact(file), "kill: integrity_check ok");
	CHECK(sql_broken(file) == 0, "kill: no report stored in part");
	CHECK(sql_int(file, "SELECT count(*) FROM reports") - acked <= KILLS,
	    "kill: at most one unacknowledged report per kill");

	/* Killed while creating a new store: the next open creates it. */
	for (round = 0, missing = 0; round < 10; round++) {
		snprintf(file, sizeof(file), "%s/kill-new-%d.db", dir, round);
		if ((pid = fork()) == 0) {
			log_quiet = 1;
			tlsrpt_store_open(&st, file, TLSRPT_STORE_OPEN_CREATE);
			_exit(0);
		}
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(rand_r(&seed) % 3000) * 1000;
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		child_wait(pid);
		if (tlsrpt_store_open(&st, file, TLSRPT_STORE_OPEN_CREATE) ==
		    -1 || add(st, "o", "1", 1, "n.example", 1) !=
		    TLSRPT_STORE_ADDED)
			missing++;
		tlsrpt_store_close(st);
	}
	CHECK(missing == 0, "kill: a store killed while being created opens "
	    "and works (%d did not)", missing);
}

static void
test_prune(void)
{
	struct tlsrpt_store	*st;
	char			 file[128];

	path(file, sizeof(file), "prune.db");
	if (tlsrpt_store_open(&st, file, TLSRPT_STORE_OPEN_CREATE) == -1) {
		CHECK(0, "prune: create");
		return;
	}
	add(st, "Org", "old", 1000, "p.example", 1);
	add(st, "Org", "edge", 2000, "p.example", 1);
	add(st, "Org", "new", 3000, "p.example", 1);
	CHECK(tlsrpt_store_prune(st, 2000) == 1, "prune: ended before 2000: "
	    "one");
	CHECK(tlsrpt_store_prune(st, 2000) == 0, "prune: again: none");
	tlsrpt_store_close(st);
	CHECK(sql_int(file, "SELECT count(*) FROM policies") == 4 &&
	    sql_int(file, "SELECT count(*) FROM failures") == 12,
	    "prune: its policies and failures went with it");
	/* More than one batch of a thousand, added by SQL at once. */
	CHECK(sql_exec(file, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
	    "SELECT i + 1 FROM n WHERE i < 2500) INSERT INTO reports "
	    "(organization, report_id, begin, end, received, via, raw, "
	    "digest) SELECT 'Bulk', 'b' || i, 0, 1500, 0, 'mail', x'', '' "
	    "FROM n; "
	    "INSERT INTO policies (report, policy_type, policy_domain, "
	    "policy_id, successful, failed) SELECT id, 'sts', 'p.example', "
	    "'', 1, 0 FROM reports WHERE organization = 'Bulk'") == 0,
	    "prune: 2500 more reports");
	if (tlsrpt_store_open(&st, file, 0) == -1)
		return;
	CHECK(tlsrpt_store_prune(st, 2500) == 2501, "prune: 2501 in three "
	    "batches");
	tlsrpt_store_close(st);
	CHECK(sql_int(file, "SELECT count(*) FROM reports") == 1 &&
	    sql_int(file, "SELECT count(*) FROM policies") == 2,
	    "prune: only the newest report is left, with its policies");
}

/*
 * The reports tests/report/run-cli.sh lists: fixed times, hostile
 * strings, both ways in, a no-policy-found policy.  0, or 1.
 */
static int
fill_fixed(const char *file)
{
	struct tlsrpt_store	*st;
	struct fixture		 x;
	char			 none[] = "no-policy-found", evil_type[] =
				    "sts\x1b[2J", helo[] = "mx\r\n250 OK",
				    reason[] = "x\"y\\z\t", info[] =
				    "https://example.com/why?a=1&b=\xc3\xa9",
				 contact[] = "smtp-tls-reporting@google.com";
	int			 ok = 1;

	if (tlsrpt_store_open(&st, file, TLSRPT_STORE_OPEN_CREATE) == -1)
		return 1;
	/* 2024-03-01, 2024-04-01 and 2024-05-01, 23:59:59Z. */
	fixture(&x, "Google Inc.", "2024-03-01T00:00:00Z_example.com",
	    1709337599, "example.com");
	x.r.contact = contact;
	ok &= tlsrpt_store_add(st, &x.r, TLSRPT_VIA_HTTPS, x.raw, 7,
	    1709340000) == TLSRPT_STORE_ADDED;
	fixture(&x, "Microsoft Corporation", "133555555555555555+example.org",
	    1712015999, "example.org");
	x.p[1].policy_type = none;
	x.p[1].policy_string = NULL;
	x.p[1].mx_host = NULL;
	x.p[1].nfailures = 0;
	x.p[1].failed = 0;
	snprintf(x.p[0].policy_id, sizeof(x.p[0].policy_id), "%s",
	    "a5963b31a082635c6ec668171482b14f");
	ok &= tlsrpt_store_add(st, &x.r, TLSRPT_VIA_MAIL, x.raw, 7,
	    1712020000) == TLSRPT_STORE_ADDED;
	fixture(&x, "Evil\x1b]0;owned\a Org\r\nforged 2024-01-01 line",
	    "id \"quoted\" \\ \xe2\x80\xae\xff", 1714607999, "example.com");
	x.p[0].policy_type = evil_type;
	x.f[0][0].receiving_mx_helo = helo;
	x.f[0][0].failure_reason_code = reason;
	x.f[0][0].additional_information = info;
	ok &= tlsrpt_store_add(st, &x.r, TLSRPT_VIA_HTTPS, x.raw, 7,
	    1714610000) == TLSRPT_STORE_ADDED;
	tlsrpt_store_close(st);
	return ok ? 0 : 1;
}

/*
 * A report claiming a real sender's organization and next report-id,
 * sent first by anyone (HTTPS is not authenticated), must not turn the
 * real report into a duplicate.
 */
static void
test_forged_id(void)
{
	struct tlsrpt_store	*st;
	struct fixture		 x;
	char			 file[128];

	path(file, sizeof(file), "forged.db");
	if (tlsrpt_store_open(&st, file, TLSRPT_STORE_OPEN_CREATE) == -1) {
		CHECK(0, "forged: open");
		return;
	}
	fixture(&x, "Google Inc.", "2024-04-01T00:00:00Z_a.example",
	    1712015999, "a.example");
	x.p[0].successful = 0;
	tlsrpt_report_digest(&x.r);
	CHECK(tlsrpt_store_add(st, &x.r, TLSRPT_VIA_HTTPS, x.raw, 7, 1) ==
	    TLSRPT_STORE_ADDED, "forged: a forger's report stored first");
	fixture(&x, "Google Inc.", "2024-04-01T00:00:00Z_a.example",
	    1712015999, "a.example");
	CHECK(tlsrpt_store_add(st, &x.r, TLSRPT_VIA_HTTPS, x.raw, 7, 2) ==
	    TLSRPT_STORE_ADDED, "forged: the real report with the same "
	    "organization and report-id is stored too, not a duplicate");
	CHECK(tlsrpt_store_add(st, &x.r, TLSRPT_VIA_MAIL, x.raw, 7, 3) ==
	    TLSRPT_STORE_DUPLICATE, "forged: the real report's retry is a "
	    "duplicate");
	CHECK(sql_int(file, "SELECT count(*) FROM reports") == 2,
	    "forged: two reports stored");
	tlsrpt_store_close(st);
}

int
main(int argc, char *argv[])
{
	char	 cmd[128];

	log_progname = "test";
	if (argc == 3 && strcmp(argv[1], "fill") == 0)
		return fill_fixed(argv[2]);
	snprintf(dir, sizeof(dir), "/tmp/test-report-store.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		CHECK(0, "mkdtemp");
		return unit_done();
	}
	test_add_list();
	test_forged_id();
	test_hostile();
	test_files();
	test_readonly_file();
	test_moved();
	test_full();
	test_rofs();
	test_concurrent();
	test_kill();
	test_prune();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK(system(cmd) == 0, "scratch directory removed");
	return unit_done();
}
