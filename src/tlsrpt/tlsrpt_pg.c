/* SPDX-License-Identifier: ISC */
/*
 * The store in PostgreSQL: one database that the receivers of several
 * hosts, their mail imports and the commands that read reports use at
 * once (issue 21), with the SQLite store's tables, schema versions and
 * answers (tlsrpt_sqlite.c), in the schema mta_sts.
 *
 * What a sender was told must hold here too: a report is ADDED only
 * once the server has answered its COMMIT, with synchronous_commit on
 * (set so for the session if the server has it off), so it survives a
 * crash of the server; a report is one INSERT … ON CONFLICT DO NOTHING
 * statement that also inserts its policies and failures (writable CTEs),
 * so it is stored whole or not at all and costs one round trip; the
 * same report from two receivers at once is stored once, by the UNIQUE
 * constraint (the second insert waits for the first's transaction, then
 * does nothing), never by a look-up both could pass.  A connection lost
 * before the answer is UNAVAILABLE: the sender retries, and if the
 * first attempt did commit the retry is a duplicate.
 *
 * Nothing waits without a deadline.  libpq is used only asynchronously:
 * the connection is made with PQconnectStartParams/PQconnectPoll and
 * every statement sent with PQsendQueryParams, each wait a poll(2) on
 * the socket bounded by TLSRPT_STORE_BUSY_MS (a read, whose rows may
 * take a while to come at scale, by PG_READ_MS between two pieces of
 * its answer).  A connection that timed out or failed is dropped, and
 * the next call makes a new one, so a receiver outlives a restart of
 * the server; lock waits are bounded by the server too (lock_timeout,
 * just under ours, so that its message is the one said).  Host names
 * are resolved by libpq with the system's resolver, which has its own
 * timeouts: hostaddr= avoids them.  Notices reach the log only through
 * log_warnx, escaped.
 *
 * The role the receivers use may only read and insert (least
 * privilege, contrib/postgresql/mta-sts-report.sql): no LOCK TABLE, no
 * DELETE, no DDL; "look again under the lock" (served policies, the
 * migrations) takes a transaction-scoped advisory lock instead.  The
 * schema is created and upgraded by whoever may (the owner's `migrate`,
 * or a receiver that owns it), in one transaction under an advisory
 * lock that makes two processes starting at once migrate once.
 *
 * SQLite's answers, exactly: every text column is COLLATE "C", so that
 * ORDER BY, min() and lower() compare bytes as SQLite's BINARY does and
 * fold ASCII only; NULLs sort first as in SQLite; sums of counts are
 * exact (numeric) and saturated at INT64_MAX here, where SQLite's
 * total() is a double.  The database must be UTF8 (refused otherwise):
 * reports are UTF-8, and the server would have to convert them.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "tlsrpt/tlsrpt_backend.h"

/*
 * A read's rows (a summary over a million reports groups for seconds
 * before its first row): how long it may go without a byte.  Writes
 * and connecting have TLSRPT_STORE_BUSY_MS for all of it.
 */
#define PG_READ_MS	(12 * TLSRPT_STORE_BUSY_MS)
/* The server's own bound on lock waits: its message comes before ours. */
#define PG_LOCK_MS	(TLSRPT_STORE_BUSY_MS - 1000)
/* Advisory lock keys (two int4 keys: apart from the one bigint key). */
#define PG_LOCK_SERVED	"pg_advisory_xact_lock(1297371986, 2)"
#define PG_PARAMS_MAX	10

struct pg_store {
	struct tlsrpt_store base;	/* first: what tlsrpt_store.c sees */
	PGconn		*conn;		/* NULL: the next call connects */
	char		*database;	/* as configured: never a password */
	int		 flags;		/* as tlsrpt_store_open was given */
	int		 version;	/* the schema's, once open */
	int		 in_tx;		/* inside tlsrpt_store_begin */
	int		 tx_failed;	/* that group was rolled back */
	int		 served_locked;	/* the group holds PG_LOCK_SERVED */
	int		 connecting;	/* inside pg_connect: never again */
	const char	*denied;	/* what 42501 means now, if not the usual */
	enum tlsrpt_store_result why;	/* of the last failure */
};

/* The PostgreSQL store behind a tlsrpt_store of this backend. */
#define PG(base)	((struct pg_store *)(void *)(base))

/*
 * The schema, version by version, as tlsrpt_sqlite.c's: migrations[i]
 * takes a store from version i to i + 1, and a released step is never
 * edited.  meta is the one row that says the schema is ours and its
 * version (SQLite's application_id and user_version).
 *
 * reports is UNIQUE (digest) where SQLite has UNIQUE (organization,
 * report_id, digest): the digest is a SHA-256 over every field, the
 * organization and the report-id among them (tlsrpt_report_digest), so
 * two reports have one digest exactly when SQLite's three columns are
 * equal too (a collision aside); and a B-tree entry of PostgreSQL is at
 * most about 2700 bytes, which organization and report-id of 1024 bytes
 * each (report_json's caps) come close to, while a digest is 64.
 */
static const char *const migrations[] = {
	/* 1: the first release. */
	"CREATE TABLE mta_sts.meta ("
	"  application_id integer NOT NULL,"
	"  version integer NOT NULL);"
	"CREATE UNIQUE INDEX meta_one_row ON mta_sts.meta ((true));"
	"CREATE TABLE mta_sts.reports ("
	"  id bigint GENERATED BY DEFAULT AS IDENTITY"
	"    (SEQUENCE NAME mta_sts.reports_id_seq) PRIMARY KEY,"
	"  organization text COLLATE \"C\" NOT NULL,"
	"  report_id text COLLATE \"C\" NOT NULL,"
	"  contact text COLLATE \"C\","
	"  \"begin\" bigint NOT NULL,"
	"  \"end\" bigint NOT NULL,"
	"  received bigint NOT NULL,"
	"  via text COLLATE \"C\" NOT NULL CHECK (via IN ('https', 'mail')),"
	"  raw bytea NOT NULL,"
	"  digest text COLLATE \"C\" NOT NULL,"
	"  CONSTRAINT reports_digest UNIQUE (digest));"
	"CREATE INDEX reports_end ON mta_sts.reports (\"end\", received);"
	"CREATE TABLE mta_sts.policies ("
	"  id bigint GENERATED BY DEFAULT AS IDENTITY"
	"    (SEQUENCE NAME mta_sts.policies_id_seq) PRIMARY KEY,"
	"  report bigint NOT NULL REFERENCES mta_sts.reports (id)"
	"    ON DELETE CASCADE,"
	"  policy_type text COLLATE \"C\" NOT NULL,"
	"  policy_domain text COLLATE \"C\" NOT NULL,"
	"  policy_string text COLLATE \"C\","
	"  policy_id text COLLATE \"C\" NOT NULL,"
	"  mx_host text COLLATE \"C\","
	"  successful bigint NOT NULL,"
	"  failed bigint NOT NULL);"
	"CREATE INDEX policies_report ON mta_sts.policies (report);"
	"CREATE INDEX policies_domain ON mta_sts.policies (policy_domain);"
	"CREATE TABLE mta_sts.failures ("
	"  id bigint GENERATED BY DEFAULT AS IDENTITY"
	"    (SEQUENCE NAME mta_sts.failures_id_seq) PRIMARY KEY,"
	"  policy bigint NOT NULL REFERENCES mta_sts.policies (id)"
	"    ON DELETE CASCADE,"
	"  result_type text COLLATE \"C\" NOT NULL,"
	"  sending_mta_ip text COLLATE \"C\","
	"  receiving_mx_hostname text COLLATE \"C\","
	"  receiving_mx_helo text COLLATE \"C\","
	"  receiving_ip text COLLATE \"C\","
	"  count bigint NOT NULL,"
	"  additional_information text COLLATE \"C\","
	"  failure_reason_code text COLLATE \"C\");"
	"CREATE INDEX failures_policy ON mta_sts.failures (policy);",
	/* 2: what the config served, and since when (tlsrpt_sqlite.c). */
	"CREATE TABLE mta_sts.served ("
	"  id bigint GENERATED BY DEFAULT AS IDENTITY"
	"    (SEQUENCE NAME mta_sts.served_id_seq) PRIMARY KEY,"
	"  domain text COLLATE \"C\" NOT NULL,"
	"  policy_id text COLLATE \"C\" NOT NULL,"
	"  mode text COLLATE \"C\" NOT NULL,"
	"  max_age bigint NOT NULL,"
	"  first_seen bigint NOT NULL);"
	"CREATE INDEX served_domain ON mta_sts.served (domain, id);"
	"CREATE INDEX policies_domain_report ON mta_sts.policies "
	"  (policy_domain, report);"
	"DROP INDEX mta_sts.policies_domain;",
};
#define PG_VERSION	((int)(sizeof(migrations) / sizeof(migrations[0])))

/* How long a statement may take, and how its rows come. */
enum pg_mode {
	PG_WRITE,	/* the whole answer within TLSRPT_STORE_BUSY_MS */
	PG_SLOW,	/* a migration step: the whole within PG_READ_MS */
	PG_READ,	/* one row at a time, each within PG_READ_MS */
};

/* A statement's parameters: text, NULL, or bytes. */
struct pg_params {
	int		 n;
	const char	*values[PG_PARAMS_MAX];
	int		 lengths[PG_PARAMS_MAX];
	int		 formats[PG_PARAMS_MAX];
	char		 ints[PG_PARAMS_MAX][24];
};

/* A row of a result for a caller: 0 to go on, else stop (said why). */
typedef int	(*pg_row_fn)(struct pg_store *, const PGresult *, int, void *);

static void
param_text(struct pg_params *p, const char *s)
{
	p->values[p->n] = s;
	p->lengths[p->n] = 0;
	p->formats[p->n++] = 0;
}

static void
param_int(struct pg_params *p, int64_t v)
{
	snprintf(p->ints[p->n], sizeof(p->ints[0]), "%lld", (long long)v);
	param_text(p, p->ints[p->n]);
}

static void
param_bytes(struct pg_params *p, const void *b, size_t len)
{
	p->values[p->n] = len > 0 ? b : "";
	p->lengths[p->n] = (int)len;
	p->formats[p->n++] = 1;
}

/*
 * The first line of a message from PostgreSQL or libpq, escaped into
 * buf (untrusted: it may quote what a report sent).
 */
static const char *
pg_line(const char *msg, char *buf, size_t size)
{
	size_t	 n;

	if (msg == NULL)
		msg = "";
	n = strcspn(msg, "\n");
	while (n > 0 && (msg[n - 1] == ' ' || msg[n - 1] == '\r'))
		n--;
	log_escape(buf, size, msg, n);
	return buf;
}

/*
 * An error's text as libpq keeps it (PQerrorMessage): a server's error
 * that came before the connection ended is there without its fields,
 * after its severity, which the message says otherwise.
 */
static const char *
pg_error_text(const char *msg)
{
	if (msg != NULL && (strncmp(msg, "ERROR:  ", 8) == 0 ||
	    strncmp(msg, "FATAL:  ", 8) == 0 || strncmp(msg, "PANIC:  ", 8) ==
	    0))
		return msg + 8;
	return msg;
}

/* Notices and warnings from the server, and libpq's own: one line each. */
static void
pg_notice(void *arg, const char *message)
{
	const struct pg_store	*st = arg;
	char			 line[1024];

	log_warnx("%s: PostgreSQL says: %s", st->database,
	    pg_line(message, line, sizeof(line)));
}

/* Closes the connection: the next call makes a new one. */
static void
pg_drop(struct pg_store *st)
{
	PQfinish(st->conn);
	st->conn = NULL;
	if (st->in_tx) {
		st->in_tx = 0;
		st->tx_failed = 1;
	}
	st->served_locked = 0;
}

/*
 * Waits until the socket is ready for events or the deadline (clock_ms)
 * has passed: the events that came, 0 at the deadline, -1 on an error.
 */
static int
pg_poll(PGconn *conn, short events, int64_t deadline)
{
	struct pollfd	 pfd;
	int64_t		 left;
	int		 n;

	if ((pfd.fd = PQsocket(conn)) < 0) {
		errno = EBADF;
		return -1;
	}
	pfd.events = events;
	for (;;) {
		if ((left = deadline - clock_ms()) <= 0)
			return 0;
		pfd.revents = 0;
		n = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n > 0)
			return pfd.revents != 0 ? pfd.revents : events;
		if (n == -1 && errno != EINTR)
			return -1;
	}
}

/*
 * Says that the server did not answer in time, and drops the connection
 * (its state is unknown: the next call starts afresh).
 */
static enum tlsrpt_store_result
pg_timeout(struct pg_store *st, const char *what, int ms)
{
	log_warnx("%s: %s: PostgreSQL did not answer within %d ms (the "
	    "connection is closed; the next attempt opens a new one)",
	    st->database, what, ms);
	pg_drop(st);
	return st->why = TLSRPT_STORE_UNAVAILABLE;
}

/* The connection failed (libpq's message says how): dropped. */
static enum tlsrpt_store_result
pg_lost(struct pg_store *st, const char *what)
{
	char	 line[1024];

	log_warnx("%s: %s: %s", st->database, what,
	    pg_line(pg_error_text(PQerrorMessage(st->conn)), line,
	    sizeof(line)));
	pg_drop(st);
	return st->why = TLSRPT_STORE_UNAVAILABLE;
}

/*
 * What a failed statement means for the caller, after saying what
 * failed and PostgreSQL's reason.  A store that is not (or no longer)
 * ours is CORRUPT: a table or column of ours missing, or data the
 * server finds damaged.  Everything else is UNAVAILABLE (retry later):
 * the connection (08, 57P01-57P03, which also drop it), resources (53:
 * disk full, out of memory, too many connections), conflicts (40001,
 * 40P01, 55P03: a lock not granted in time), a hot standby (25006), a
 * privilege missing (42501: the receivers' role may not prune or
 * migrate), and what we cannot foresee.
 */
static enum tlsrpt_store_result
pg_fail(struct pg_store *st, const char *what, const PGresult *res)
{
	const char	*state, *msg, *hint = "";
	char		 line[1024];
	int		 dead;

	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if ((msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)) == NULL)
		msg = pg_error_text(PQresultErrorMessage(res));
	if (state == NULL)
		state = "";
	dead = PQstatus(st->conn) != CONNECTION_OK || *state == '\0' ||
	    strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0 ||
	    strcmp(state, "57P02") == 0 || strcmp(state, "57P03") == 0;
	st->why = TLSRPT_STORE_UNAVAILABLE;
	if (strcmp(state, "42P01") == 0 || strcmp(state, "42703") == 0 ||
	    strcmp(state, "3F000") == 0 || strcmp(state, "XX001") == 0 ||
	    strcmp(state, "XX002") == 0) {
		hint = " (the store is damaged, or not a mta-sts-report store)";
		st->why = TLSRPT_STORE_CORRUPT;
	} else if (strcmp(state, "42501") == 0 && st->denied != NULL)
		hint = st->denied;
	else if (strcmp(state, "42501") == 0)
		hint = " (a privilege the role lacks: "
		    "contrib/postgresql/mta-sts-report.sql)";
	else if (strcmp(state, "25006") == 0)
		hint = " (the server accepts only reads: a hot standby?)";
	log_warnx("%s: %s: %s%s", st->database, what,
	    pg_line(msg, line, sizeof(line)), hint);
	if (dead)
		pg_drop(st);
	return st->why;
}

/*
 * Sends what libpq holds for the server; a non-blocking connection may
 * not take a long statement (a report's raw bytes) at once.  Each wait
 * for the socket to take more is bounded by ms: a slow link that keeps
 * taking bytes is not a server that stopped.  0, or -1 after saying why
 * (the connection dropped).
 */
static int
pg_flush(struct pg_store *st, const char *what, int ms)
{
	int64_t	 deadline = clock_ms() + ms;
	int	 f, ev;

	while ((f = PQflush(st->conn)) == 1) {
		if ((ev = pg_poll(st->conn, POLLIN | POLLOUT, deadline)) == 0) {
			pg_timeout(st, what, ms);
			return -1;
		}
		if (ev == -1) {
			log_warn("%s: %s: poll", st->database, what);
			pg_drop(st);
			st->why = TLSRPT_STORE_UNAVAILABLE;
			return -1;
		}
		if ((ev & (POLLIN | POLLHUP | POLLERR)) &&
		    !PQconsumeInput(st->conn)) {
			pg_lost(st, what);
			return -1;
		}
		if (ev & POLLOUT)
			deadline = clock_ms() + ms;
	}
	if (f == -1) {
		pg_lost(st, what);
		return -1;
	}
	return 0;
}

/*
 * The next result of the statement sent, NULL at its end (or after a
 * failure: *failed set, said why, the connection dropped).
 */
static PGresult *
pg_result(struct pg_store *st, const char *what, enum pg_mode mode,
    int64_t *deadline, int *failed)
{
	int	 ms = mode == PG_WRITE ? TLSRPT_STORE_BUSY_MS : PG_READ_MS;
	int	 ev;

	while (PQisBusy(st->conn)) {
		if ((ev = pg_poll(st->conn, POLLIN, *deadline)) == 0) {
			pg_timeout(st, what, ms);
			*failed = 1;
			return NULL;
		}
		if (ev == -1 || !PQconsumeInput(st->conn)) {
			if (ev == -1)
				log_warn("%s: %s: poll", st->database, what);
			else
				pg_lost(st, what);
			if (st->conn != NULL)
				pg_drop(st);
			st->why = TLSRPT_STORE_UNAVAILABLE;
			*failed = 1;
			return NULL;
		}
		if (mode == PG_READ)
			*deadline = clock_ms() + ms;
	}
	return PQgetResult(st->conn);
}

static int	pg_ready(struct pg_store *);

/*
 * Runs sql (several statements, without parameters, if p is NULL) on
 * the store's connection, made again first if it was lost, and calls
 * row for each row of its answer.  0; or -1 after saying why, with
 * st->why set (and the connection dropped if the failure was its, or if
 * row stopped before the end).
 */
static int
pg_run(struct pg_store *st, const char *what, const char *sql,
    const struct pg_params *p, enum pg_mode mode, pg_row_fn row, void *ctx)
{
	PGresult	*res, *err = NULL;
	int64_t		 deadline;
	int		 failed = 0, i, ms;

	if (pg_ready(st) == -1)
		return -1;
	ms = mode == PG_WRITE ? TLSRPT_STORE_BUSY_MS : PG_READ_MS;
	if ((p != NULL ? PQsendQueryParams(st->conn, sql, p->n, NULL,
	    p->values, p->lengths, p->formats, 0) : PQsendQuery(st->conn,
	    sql)) == 0) {
		pg_lost(st, what);
		return -1;
	}
	if (mode == PG_READ && !PQsetSingleRowMode(st->conn)) {
		log_warnx("%s: %s: libpq refused single-row mode", st->database,
		    what);
		pg_drop(st);
		st->why = TLSRPT_STORE_UNAVAILABLE;
		return -1;
	}
	if (pg_flush(st, what, ms) == -1)
		return -1;
	deadline = clock_ms() + ms;
	while ((res = pg_result(st, what, mode, &deadline, &failed)) != NULL) {
		switch (PQresultStatus(res)) {
		case PGRES_TUPLES_OK:
		case PGRES_SINGLE_TUPLE:
			for (i = 0; err == NULL && row != NULL &&
			    i < PQntuples(res); i++)
				if (row(st, res, i, ctx) != 0) {
					/* The rest is not read: start afresh. */
					PQclear(res);
					pg_drop(st);
					st->why = TLSRPT_STORE_UNAVAILABLE;
					return -1;
				}
			/* FALLTHROUGH */
		case PGRES_COMMAND_OK:
			PQclear(res);
			break;
		default:
			if (err == NULL)
				err = res;
			else
				PQclear(res);
		}
	}
	if (err != NULL) {
		if (!failed)
			pg_fail(st, what, err);
		PQclear(err);
		return -1;
	}
	return failed ? -1 : 0;
}

/* Runs a statement that returns nothing the caller needs. */
static int
pg_exec(struct pg_store *st, const char *what, const char *sql,
    const struct pg_params *p)
{
	return pg_run(st, what, sql, p, PG_WRITE, NULL, NULL);
}

/* A row's column as a number (count(*), ids, times); 0 if NULL. */
static int64_t
pg_int(const PGresult *res, int row, int col)
{
	long long	 v;

	if (PQgetisnull(res, row, col) ||
	    num_parse(PQgetvalue(res, row, col), 10, INT64_MIN, INT64_MAX,
	    &v) == -1)
		return 0;
	return v;
}

/*
 * A sum of counts (numeric, exact: reports are untrusted and their
 * counts may add up past 64 bits) as SQLite's total() is read back:
 * saturated at INT64_MAX, 0 for none or below.
 */
static int64_t
pg_total(const PGresult *res, int row, int col)
{
	const char	*s = PQgetvalue(res, row, col);
	long long	 v;

	if (PQgetisnull(res, row, col) || *s == '-')
		return 0;
	if (num_parse(s, 10, 0, INT64_MAX, &v) == 0)
		return v;
	return strspn(s, "0123456789") == strlen(s) && *s != '\0' ?
	    INT64_MAX : 0;
}

/* A row's text column, NULL for SQL NULL (owned by res). */
static const char *
pg_text(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

/*
 * What a database holds of ours: the schema mta_sts, its tables, and
 * the one row of mta_sts.meta; and whether it takes writes at all.
 */
struct pg_found {
	long long	 schema, tables, meta;	/* found in the catalog */
	long long	 rows, app, version;	/* of mta_sts.meta */
	int		 read_only;		/* a hot standby, or set so */
};

/* The catalog's part of what a database holds (no privilege needed). */
#define PG_CATALOG	"(SELECT count(*) FROM pg_catalog.pg_namespace " \
	"WHERE nspname = 'mta_sts'), (SELECT count(*) FROM " \
	"pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = " \
	"c.relnamespace WHERE n.nspname = 'mta_sts' AND c.relkind IN ('r', " \
	"'p', 'v', 'm', 'f')), (SELECT count(*) FROM pg_catalog.pg_class c " \
	"JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE " \
	"n.nspname = 'mta_sts' AND c.relname = 'meta' AND c.relkind = 'r'), " \
	"current_setting('transaction_read_only') = 'on'"

/*
 * The session's settings, with the catalog's part: only qualified
 * names are ours (search_path), lock waits end before our deadline,
 * warnings and worse only, a read-only session for a reader, and a
 * durable commit whatever the server's default.
 */
#define PG_SETTINGS	"SELECT " PG_CATALOG ", " \
	"set_config('search_path', 'pg_catalog', false), " \
	"set_config('lock_timeout', $1, false), " \
	"set_config('client_min_messages', 'warning', false), " \
	"CASE WHEN $2::boolean THEN " \
	"set_config('default_transaction_read_only', 'on', false) END, " \
	"CASE WHEN current_setting('synchronous_commit') = 'off' THEN " \
	"set_config('synchronous_commit', 'on', false) END"

static int
found_row(struct pg_store *st, const PGresult *res, int i, void *ctx)
{
	struct pg_found	*f = ctx;

	(void)st;
	f->schema = pg_int(res, i, 0);
	f->tables = pg_int(res, i, 1);
	f->meta = pg_int(res, i, 2);
	f->read_only = strcmp(PQgetvalue(res, i, 3), "t") == 0;
	return 0;
}

static int
meta_row(struct pg_store *st, const PGresult *res, int i, void *ctx)
{
	struct pg_found	*f = ctx;

	(void)st;
	f->app = pg_int(res, i, 0);
	f->version = pg_int(res, i, 1);
	f->rows = pg_int(res, i, 2);
	return 0;
}

/*
 * Reads what the database holds into *f (with the session's settings
 * at connect).  0, or -1 after saying why.
 */
static int
pg_found_read(struct pg_store *st, const char *what, struct pg_found *f,
    int settings)
{
	struct pg_params	 p;
	char			 lock_ms[16];

	memset(f, 0, sizeof(*f));
	memset(&p, 0, sizeof(p));
	snprintf(lock_ms, sizeof(lock_ms), "%d", PG_LOCK_MS);
	param_text(&p, lock_ms);
	param_text(&p, (st->flags & TLSRPT_STORE_OPEN_READONLY) ? "on" :
	    "off");
	if (pg_run(st, what, settings ? PG_SETTINGS : "SELECT " PG_CATALOG,
	    settings ? &p : NULL, PG_WRITE, found_row, f) == -1)
		return -1;
	if (f->meta == 0)
		return 0;
	return pg_run(st, what, "SELECT application_id, version, count(*) "
	    "OVER () FROM mta_sts.meta", NULL, PG_WRITE, meta_row, f);
}

/*
 * Whether what the database holds is a store of ours this program may
 * use: 0 (f->version 0 for none yet), or -1 after saying why.
 */
static int
pg_judge(struct pg_store *st, const struct pg_found *f)
{
	char	 held[96];

	if (f->tables == 0)
		return 0;
	if (f->meta == 0 || f->rows != 1 || f->app != TLSRPT_APPLICATION_ID) {
		if (f->meta == 0)
			snprintf(held, sizeof(held), "no mta_sts.meta");
		else if (f->rows != 1)
			snprintf(held, sizeof(held), "%lld rows in mta_sts.meta",
			    f->rows);
		else
			snprintf(held, sizeof(held), "application_id %lld in "
			    "mta_sts.meta", f->app);
		log_warnx("%s: not a mta-sts-report store (schema mta_sts has "
		    "%lld table%s and %s): name another database in [reports] "
		    "database", st->database, f->tables, f->tables == 1 ? "" :
		    "s", held);
		st->why = TLSRPT_STORE_CORRUPT;
		return -1;
	}
	if (f->version > PG_VERSION) {
		log_warnx("%s: the store's schema version %lld is newer than "
		    "this program's (%d): a newer mta-sts-report wrote it",
		    st->database, f->version, PG_VERSION);
		return -1;
	}
	if (f->version < 1) {
		log_warnx("%s: a mta-sts-report store without a schema version",
		    st->database);
		st->why = TLSRPT_STORE_CORRUPT;
		return -1;
	}
	return 0;
}

/* Ends a transaction that failed, if the connection still has one. */
static void
pg_rollback(struct pg_store *st)
{
	if (st->conn != NULL &&
	    PQtransactionStatus(st->conn) != PQTRANS_IDLE &&
	    pg_exec(st, "cannot roll back", "ROLLBACK", NULL) == -1 &&
	    st->conn != NULL)
		pg_drop(st);
}

/*
 * Brings the schema from version `from` to PG_VERSION in one
 * transaction under the migrations' advisory lock, having read the
 * version again under it: of processes that start at once, one
 * migrates and the others find it done.  0, or -1 after saying why (a
 * role that may not: who may).
 */
static int
pg_migrate(struct pg_store *st, int from)
{
	struct pg_params	 p;
	struct pg_found		 f;
	char			 what[96];
	int			 v;

	if (from == 0)
		snprintf(what, sizeof(what), "cannot create the store");
	else
		snprintf(what, sizeof(what), "cannot upgrade the store from "
		    "schema version %d to %d", from, PG_VERSION);
	st->denied = " (this role may not: the role that owns schema "
	    "mta_sts must run `mta-sts-report migrate` once)";
	if (pg_exec(st, what, "BEGIN; SELECT pg_advisory_xact_lock(1297371986)",
	    NULL) == -1 || pg_found_read(st, what, &f, 0) == -1 ||
	    pg_judge(st, &f) == -1)
		goto fail;
	if (f.schema == 0 && pg_exec(st, what, "CREATE SCHEMA IF NOT EXISTS "
	    "mta_sts", NULL) == -1)
		goto fail;
	for (v = (int)f.version; v < PG_VERSION; v++)
		if (pg_run(st, what, migrations[v], NULL, PG_SLOW, NULL,
		    NULL) == -1)
			goto fail;
	memset(&p, 0, sizeof(p));
	param_int(&p, PG_VERSION);
	param_int(&p, TLSRPT_APPLICATION_ID);
	if (pg_exec(st, what, f.version == 0 ? "INSERT INTO mta_sts.meta "
	    "(version, application_id) VALUES ($1, $2)" : "UPDATE mta_sts.meta "
	    "SET version = $1 WHERE application_id = $2", &p) == -1 ||
	    pg_exec(st, what, "COMMIT", NULL) == -1)
		goto fail;
	st->denied = NULL;
	return 0;
fail:
	st->denied = NULL;
	pg_rollback(st);
	return -1;
}

/*
 * Starts the connection and waits for it (TLS and authentication
 * included) within TLSRPT_STORE_BUSY_MS.  libpq reads the string as a
 * connection string (a URI, or service=NAME with pg_service.conf), with
 * its own environment and password file; we add only an application
 * name it may override and the client encoding it may not.  0, or -1
 * after saying why.
 */
static int
pg_start(struct pg_store *st)
{
	static const char *const keys[] = { "fallback_application_name",
	    "dbname", "client_encoding", NULL };
	const char			*values[4];
	const char			*what = "cannot open the store", *enc;
	PostgresPollingStatusType	 ps;
	int64_t				 deadline;
	int				 ev;

	values[0] = "mta-sts-report";
	values[1] = st->database;
	values[2] = "UTF8";
	values[3] = NULL;
	deadline = clock_ms() + TLSRPT_STORE_BUSY_MS;
	if ((st->conn = PQconnectStartParams(keys, values, 1)) == NULL) {
		log_warnx("%s: %s: out of memory", st->database, what);
		return -1;
	}
	PQsetNoticeProcessor(st->conn, pg_notice, st);
	for (ps = PGRES_POLLING_WRITING; ps != PGRES_POLLING_OK;
	    ps = PQconnectPoll(st->conn)) {
		if (ps == PGRES_POLLING_FAILED ||
		    PQstatus(st->conn) == CONNECTION_BAD) {
			pg_lost(st, what);
			return -1;
		}
		ev = pg_poll(st->conn, ps == PGRES_POLLING_READING ? POLLIN :
		    POLLOUT, deadline);
		if (ev == 0) {
			pg_timeout(st, what, TLSRPT_STORE_BUSY_MS);
			return -1;
		}
		if (ev == -1) {
			log_warn("%s: %s: poll", st->database, what);
			pg_drop(st);
			return -1;
		}
	}
	if (PQsetnonblocking(st->conn, 1) == -1) {
		pg_lost(st, what);
		return -1;
	}
	if ((enc = PQparameterStatus(st->conn, "server_encoding")) == NULL ||
	    strcmp(enc, "UTF8") != 0) {
		log_warnx("%s: the database's encoding is %s, not UTF8: "
		    "reports are UTF-8 (create the database with ENCODING "
		    "'UTF8')", st->database, enc != NULL ? enc : "unknown");
		pg_drop(st);
		return -1;
	}
	return 0;
}

/*
 * Connects, sets the session up and checks what the database holds:
 * refused if it is not our store or not one this program may use,
 * migrated if it is older (unless read-only), created if there is none
 * and CREATE says so.  0, or -1 after saying why (no connection kept).
 */
static int
pg_connect(struct pg_store *st)
{
	struct pg_found	 f;
	int		 readonly, rc = -1;

	readonly = (st->flags & TLSRPT_STORE_OPEN_READONLY) != 0;
	st->why = TLSRPT_STORE_UNAVAILABLE;
	st->connecting = 1;
	if (pg_start(st) == -1 ||
	    pg_found_read(st, "cannot open the store", &f, 1) == -1 ||
	    pg_judge(st, &f) == -1)
		goto out;
	if (!readonly && f.read_only)
		log_warnx("%s: the server accepts only reads (a hot standby, "
		    "or default_transaction_read_only): reports cannot be "
		    "stored", st->database);
	else if (f.version == 0 && readonly)
		log_warnx("%s: the store is empty: nothing has been stored yet",
		    st->database);
	else if (f.version == 0 && !(st->flags & TLSRPT_STORE_OPEN_CREATE))
		log_warnx("%s: no store in this database yet: a receiver, "
		    "an import or mta-sts-report migrate creates it",
		    st->database);
	else if (f.version < PG_VERSION && readonly)
		log_warnx("%s: the store's schema version %lld is older than "
		    "this program's (%d): the role that owns schema mta_sts "
		    "must run `mta-sts-report migrate` once", st->database,
		    f.version, PG_VERSION);
	else if (f.version == PG_VERSION || pg_migrate(st, (int)f.version) ==
	    0) {
		st->version = PG_VERSION;
		rc = 0;
	}
out:
	st->connecting = 0;
	if (rc == -1 && st->conn != NULL)
		pg_drop(st);
	return rc;
}

/*
 * The connection for the next statement: made again if the last one
 * was lost, or if the server closed it while it was idle (a restart
 * says goodbye on the socket, which a poll finds without a round trip:
 * a statement is never sent on a connection known to be gone).  Inside
 * a group the group's connection or nothing.  0, or -1 after saying why.
 */
static int
pg_ready(struct pg_store *st)
{
	struct pollfd	 pfd;
	int		 i;

	if (st->conn != NULL && PQstatus(st->conn) != CONNECTION_OK)
		pg_drop(st);
	/*
	 * What came while idle: the server's goodbye (parsed by PQisBusy,
	 * said as a notice), then the end of the stream, which a second
	 * read finds; a few reads at most, none of them waits.
	 */
	for (i = 0; i < 4 && st->conn != NULL && !st->connecting &&
	    PQtransactionStatus(st->conn) == PQTRANS_IDLE; i++) {
		pfd.fd = PQsocket(st->conn);
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, 0) <= 0)
			break;
		if (!PQconsumeInput(st->conn)) {
			pg_drop(st);
			break;
		}
		(void)PQisBusy(st->conn);	/* parses what came */
		if (PQstatus(st->conn) != CONNECTION_OK)
			pg_drop(st);
	}
	if (st->conn != NULL)
		return 0;
	st->why = TLSRPT_STORE_UNAVAILABLE;
	if (st->connecting)
		return -1;
	return pg_connect(st);
}

static void	pg_close(struct tlsrpt_store *);

static int
pg_open(struct tlsrpt_store **out, const char *database, int flags)
{
	struct pg_store	*st;

	*out = NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->database = strdup(database)) == NULL) {
		log_warn("%s", database);
		free(st);
		return -1;
	}
	st->base.ops = &tlsrpt_pg_ops;
	st->flags = flags;
	if (pg_connect(st) == -1) {
		pg_close(&st->base);
		return -1;
	}
	*out = &st->base;
	return 0;
}

static void
pg_close(struct tlsrpt_store *base)
{
	struct pg_store	*st = PG(base);

	if (st == NULL)
		return;
	PQfinish(st->conn);
	free(st->database);
	free(st);
}

static int
pg_version(const struct tlsrpt_store *base)
{
	return ((const struct pg_store *)(const void *)base)->version;
}

/*
 * Inside a group a failure rolls the whole group back: its statements
 * and the ones after it until tlsrpt_store_commit, which says so.
 */
static void
pg_group_failed(struct pg_store *st)
{
	if (!st->in_tx)
		return;
	pg_rollback(st);
	st->in_tx = 0;
	st->tx_failed = 1;
	st->served_locked = 0;
}

/* Refuses a write after the group it was in failed; 0, or -1. */
static int
pg_group_ok(struct pg_store *st, const char *what)
{
	if (!st->tx_failed)
		return 0;
	log_warnx("%s: %s: the transaction it belongs to was rolled back "
	    "after an error", st->database, what);
	st->why = TLSRPT_STORE_UNAVAILABLE;
	return -1;
}

/* A group of adds: one transaction, one commit (copy). */
static int
pg_begin(struct tlsrpt_store *base)
{
	struct pg_store	*st = PG(base);

	if (st->in_tx) {
		log_warnx("%s: cannot begin a transaction: one is open",
		    st->database);
		return -1;
	}
	st->tx_failed = 0;
	if (pg_exec(st, "cannot begin a transaction", "BEGIN", NULL) == -1)
		return -1;
	st->in_tx = 1;
	st->served_locked = 0;
	return 0;
}

static int
pg_commit(struct tlsrpt_store *base)
{
	struct pg_store	*st = PG(base);

	if (!st->in_tx) {
		log_warnx("%s: cannot commit the transaction: %s", st->database,
		    st->tx_failed ? "it was rolled back after an error" :
		    "none was begun");
		st->tx_failed = 0;
		return -1;
	}
	st->in_tx = 0;
	st->served_locked = 0;
	/* COMMIT of a failed transaction answers ROLLBACK, not an error. */
	if (PQtransactionStatus(st->conn) != PQTRANS_INTRANS) {
		log_warnx("%s: cannot commit the transaction: it failed",
		    st->database);
		pg_rollback(st);
		return -1;
	}
	if (pg_exec(st, "cannot commit the transaction", "COMMIT", NULL) ==
	    -1) {
		pg_rollback(st);
		return -1;
	}
	return 0;
}

/*
 * A report, its policies and their failures in one statement: the
 * report's row unless its digest is there already (then nothing else:
 * the policies are selected from the report inserted, none), each
 * policy with an id taken in the report's order (nextval after ORDER
 * BY), each failure with its policy's id, in order.  $10 is the
 * policies as JSON (add_policies_json).  The one row, the report's id,
 * says it was new.
 */
static const char	 PG_ADD[] =
	"WITH r AS (INSERT INTO mta_sts.reports (organization, report_id, "
	"contact, \"begin\", \"end\", received, via, raw, digest) VALUES ($1, "
	"$2, $3, $4::bigint, $5::bigint, $6::bigint, $7, $8::bytea, $9) "
	"ON CONFLICT (digest) DO NOTHING RETURNING id), "
	"p AS (SELECT nextval('mta_sts.policies_id_seq') AS id, r.id AS "
	"report, x.j, x.n FROM r, jsonb_array_elements($10::jsonb) WITH "
	"ORDINALITY AS x(j, n) ORDER BY x.n), "
	"ip AS (INSERT INTO mta_sts.policies (id, report, policy_type, "
	"policy_domain, policy_string, policy_id, mx_host, successful, "
	"failed) SELECT id, report, j->>0, j->>1, j->>2, j->>3, j->>4, "
	"(j->>5)::bigint, (j->>6)::bigint FROM p ORDER BY n), "
	"xf AS (INSERT INTO mta_sts.failures (policy, result_type, "
	"sending_mta_ip, receiving_mx_hostname, receiving_mx_helo, "
	"receiving_ip, count, additional_information, failure_reason_code) "
	"SELECT p.id, f->>0, f->>1, f->>2, f->>3, f->>4, (f->>5)::bigint, "
	"f->>6, f->>7 FROM p, jsonb_array_elements(p.j->7) WITH ORDINALITY "
	"AS y(f, m) ORDER BY p.n, y.m) "
	"SELECT id FROM r";

/* "" for NULL, as SQLite's bind_text: a NOT NULL column. */
static const char *
text_or_empty(const char *s)
{
	return s != NULL ? s : "";
}

/* A failure as the JSON array PG_ADD reads; NULL if not UTF-8. */
static json_t *
failure_json(const struct tlsrpt_failure *f)
{
	return json_pack("[ss?s?s?s?Is?s?]", text_or_empty(f->result_type),
	    f->sending_mta_ip, f->receiving_mx_hostname, f->receiving_mx_helo,
	    f->receiving_ip, (json_int_t)f->count, f->additional_information,
	    f->failure_reason_code);
}

/* A policy and its failures as PG_ADD reads it; NULL on failure. */
static json_t *
policy_json(const struct tlsrpt_policy *p)
{
	json_t	*failures, *out = NULL;
	char	*lines = NULL, *mx = NULL;
	size_t	 i;

	if ((failures = json_array()) == NULL)
		return NULL;
	for (i = 0; i < p->nfailures; i++)
		if (json_array_append_new(failures,
		    failure_json(&p->failures[i])) == -1)
			goto out;
	if (tlsrpt_strings_encode(p->policy_string, p->npolicy_string,
	    &lines) == -1 || tlsrpt_strings_encode(p->mx_host, p->nmx_host,
	    &mx) == -1)
		goto out;
	out = json_pack("[sss?ss?IIO]", text_or_empty(p->policy_type),
	    text_or_empty(p->policy_domain), lines, p->policy_id, mx,
	    (json_int_t)p->successful, (json_int_t)p->failed, failures);
out:
	json_decref(failures);
	free(lines);
	free(mx);
	return out;
}

/* r's policies as one JSON text (free), or NULL: not UTF-8, no memory. */
static char *
add_policies_json(const struct tlsrpt_report *r)
{
	json_t	*a;
	char	*s = NULL;
	size_t	 i;

	if ((a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < r->npolicies; i++)
		if (json_array_append_new(a, policy_json(&r->policies[i])) ==
		    -1)
			goto out;
	s = json_dumps(a, JSON_COMPACT);
out:
	json_decref(a);
	return s;
}

static int
add_row(struct pg_store *st, const PGresult *res, int i, void *ctx)
{
	(void)st;
	(void)res;
	(void)i;
	*(int *)ctx = 1;
	return 0;
}

/*
 * One statement, so one round trip and one transaction (or a part of
 * the group's); outside a group it has committed when the server's
 * answer ends, which is when it is ADDED.
 */
static enum tlsrpt_store_result
pg_add(struct tlsrpt_store *base, const struct tlsrpt_report *r,
    enum tlsrpt_via via, const unsigned char *raw, size_t rawlen,
    int64_t received)
{
	struct pg_store		*st = PG(base);
	const char		*what = "cannot store a report";
	struct pg_params	 p;
	char			*policies;
	int			 added = 0, rc;

	if (pg_group_ok(st, what) == -1)
		return st->why;
	if (rawlen > INT_MAX ||
	    (policies = add_policies_json(r)) == NULL) {
		log_warnx("%s: %s: a string that is not UTF-8, a raw report "
		    "over 2 GB, or out of memory", st->database, what);
		pg_group_failed(st);
		return TLSRPT_STORE_UNAVAILABLE;
	}
	memset(&p, 0, sizeof(p));
	param_text(&p, text_or_empty(r->organization));
	param_text(&p, text_or_empty(r->report_id));
	param_text(&p, r->contact);
	param_int(&p, r->begin);
	param_int(&p, r->end);
	param_int(&p, received);
	param_text(&p, tlsrpt_via_name(via));
	param_bytes(&p, raw, rawlen);
	param_text(&p, r->digest);
	param_text(&p, policies);
	rc = pg_run(st, what, PG_ADD, &p, PG_WRITE, add_row, &added);
	free(policies);
	if (rc == -1) {
		pg_group_failed(st);
		return st->why;
	}
	return added ? TLSRPT_STORE_ADDED : TLSRPT_STORE_DUPLICATE;
}

/* A JSON value's string, copied (NULL for null); *bad if neither. */
static char *
json_dup(const json_t *v, int *bad)
{
	char	*s;

	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_string(v) || (s = strdup(json_string_value(v))) == NULL) {
		*bad = 1;
		return NULL;
	}
	return s;
}

/* A JSON integer (count), or *bad. */
static int64_t
json_count(const json_t *v, int *bad)
{
	if (!json_is_integer(v)) {
		*bad = 1;
		return 0;
	}
	return (int64_t)json_integer_value(v);
}

/* The failures of a policy from the JSON array the queries build. */
static int
failures_decode(const json_t *a, struct tlsrpt_policy *p)
{
	struct tlsrpt_failure	*f;
	const json_t		*e;
	size_t			 i;
	int			 bad = 0;

	if (a == NULL || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return -1;
	if (json_array_size(a) > 0 && (p->failures =
	    calloc(json_array_size(a), sizeof(*p->failures))) == NULL)
		return -1;
	for (i = 0; i < json_array_size(a) && !bad; i++) {
		e = json_array_get(a, i);
		if (!json_is_array(e) || json_array_size(e) != 8)
			return -1;
		f = &p->failures[p->nfailures++];
		f->result_type = json_dup(json_array_get(e, 0), &bad);
		f->sending_mta_ip = json_dup(json_array_get(e, 1), &bad);
		f->receiving_mx_hostname = json_dup(json_array_get(e, 2), &bad);
		f->receiving_mx_helo = json_dup(json_array_get(e, 3), &bad);
		f->receiving_ip = json_dup(json_array_get(e, 4), &bad);
		f->count = json_count(json_array_get(e, 5), &bad);
		f->additional_information = json_dup(json_array_get(e, 6),
		    &bad);
		f->failure_reason_code = json_dup(json_array_get(e, 7), &bad);
	}
	return bad ? -1 : 0;
}

/* The failures of a policy, as one column of JSON text. */
#define PG_FAILURES	"(SELECT json_agg(json_build_array(f.result_type, " \
	"f.sending_mta_ip, f.receiving_mx_hostname, f.receiving_mx_helo, " \
	"f.receiving_ip, f.count, f.additional_information, " \
	"f.failure_reason_code) ORDER BY f.id) FROM mta_sts.failures f " \
	"WHERE f.policy = p.id)"

/*
 * The policy domains named: a JSON array in parameter $n, made an array
 * first (an InitPlan), so that the planner searches the index on
 * policy_domain for each rather than scanning every policy.
 */
#define PG_IN(n)	" = ANY (ARRAY(SELECT " \
	"jsonb_array_elements_text($" #n "::jsonb)))"
#define PG_DOMAINS(n)	"p.policy_domain" PG_IN(n)

struct list_ctx {
	int	(*fn)(const struct tlsrpt_row *, void *);
	void	*arg;
};

/*
 * A row of the listing as a tlsrpt_row for fn, its strings libpq's
 * until the row is done.  fn's result, or -1 after saying why.
 */
static int
list_row(struct pg_store *st, const PGresult *res, int i, void *ctx)
{
	struct list_ctx		*c = ctx;
	struct tlsrpt_row	 row;
	struct tlsrpt_policy	 p;
	json_t			*fj = NULL;
	const char		*via, *fs;
	int			 rc = -1;

	memset(&p, 0, sizeof(p));
	memset(&row, 0, sizeof(row));
	row.organization = pg_text(res, i, 0);
	row.report_id = pg_text(res, i, 1);
	row.contact = pg_text(res, i, 2);
	row.begin = pg_int(res, i, 3);
	row.end = pg_int(res, i, 4);
	row.received = pg_int(res, i, 5);
	via = PQgetvalue(res, i, 6);
	row.via = strcmp(via, "mail") == 0 ? TLSRPT_VIA_MAIL :
	    TLSRPT_VIA_HTTPS;
	p.policy_type = PQgetvalue(res, i, 7);
	p.policy_domain = PQgetvalue(res, i, 8);
	snprintf(p.policy_id, sizeof(p.policy_id), "%s",
	    PQgetvalue(res, i, 10));
	p.successful = pg_int(res, i, 12);
	p.failed = pg_int(res, i, 13);
	if ((fs = pg_text(res, i, 14)) != NULL &&
	    (fj = json_loads(fs, 0, NULL)) == NULL)
		goto bad;
	if (tlsrpt_strings_decode(pg_text(res, i, 9), &p.policy_string,
	    &p.npolicy_string) == -1 || tlsrpt_strings_decode(pg_text(res, i,
	    11), &p.mx_host, &p.nmx_host) == -1 || failures_decode(fj, &p) ==
	    -1)
		goto bad;
	row.policy = &p;
	rc = c->fn(&row, c->arg);
	goto out;
bad:
	log_warnx("%s: a stored policy-string, mx-host or failure is not "
	    "what this program writes (or out of memory)", st->database);
out:
	json_decref(fj);
	/* Not ours: libpq's values. */
	p.policy_type = p.policy_domain = NULL;
	tlsrpt_policy_clear(&p);
	return rc;
}

static int
pg_list(struct tlsrpt_store *base, const char *const *domains, size_t n,
    int (*fn)(const struct tlsrpt_row *, void *), void *arg)
{
	struct pg_store		*st = PG(base);
	struct list_ctx		 c = { fn, arg };
	struct pg_params	 p;
	char			 sql[1024], *want = NULL;
	int			 rc;

	snprintf(sql, sizeof(sql), "SELECT r.organization, r.report_id, "
	    "r.contact, r.\"begin\", r.\"end\", r.received, r.via, "
	    "p.policy_type, p.policy_domain, p.policy_string, p.policy_id, "
	    "p.mx_host, p.successful, p.failed, " PG_FAILURES " FROM "
	    "mta_sts.policies p JOIN mta_sts.reports r ON r.id = p.report %s "
	    "ORDER BY r.\"end\" DESC, r.received DESC, r.id DESC, p.id",
	    n > 0 ? "WHERE " PG_DOMAINS(1) : "");
	memset(&p, 0, sizeof(p));
	if (n > 0) {
		if ((want = tlsrpt_domains_json(domains, n)) == NULL) {
			log_warnx("%s: out of memory, or a domain that is not "
			    "UTF-8", st->database);
			return -1;
		}
		param_text(&p, want);
	}
	rc = pg_run(st, "cannot list reports", sql, &p, PG_READ, list_row, &c);
	free(want);
	return rc;
}

/* A report's policies from the JSON array pg_each's query builds. */
static int
policies_decode(const char *text, struct tlsrpt_report *r)
{
	struct tlsrpt_policy	*p;
	json_t			*a, *e;
	size_t			 i;
	int			 bad = 0;

	if (text == NULL)
		return 0;
	if ((a = json_loads(text, 0, NULL)) == NULL || !json_is_array(a) ||
	    (json_array_size(a) > 0 && (r->policies =
	    calloc(json_array_size(a), sizeof(*r->policies))) == NULL)) {
		json_decref(a);
		return -1;
	}
	json_array_foreach(a, i, e) {
		if (bad || !json_is_array(e) || json_array_size(e) != 8) {
			bad = 1;
			break;
		}
		p = &r->policies[r->npolicies++];
		p->policy_type = json_dup(json_array_get(e, 0), &bad);
		p->policy_domain = json_dup(json_array_get(e, 1), &bad);
		if (json_is_string(json_array_get(e, 3)))
			snprintf(p->policy_id, sizeof(p->policy_id), "%s",
			    json_string_value(json_array_get(e, 3)));
		p->successful = json_count(json_array_get(e, 5), &bad);
		p->failed = json_count(json_array_get(e, 6), &bad);
		if (bad || tlsrpt_strings_decode(json_string_value(
		    json_array_get(e, 2)), &p->policy_string,
		    &p->npolicy_string) == -1 || tlsrpt_strings_decode(
		    json_string_value(json_array_get(e, 4)), &p->mx_host,
		    &p->nmx_host) == -1 || failures_decode(json_array_get(e, 7),
		    p) == -1)
			bad = 1;
	}
	json_decref(a);
	return bad ? -1 : 0;
}

struct each_ctx {
	int	(*fn)(const struct tlsrpt_stored *, void *);
	void	*arg;
};

static int
each_row(struct pg_store *st, const PGresult *res, int i, void *ctx)
{
	struct each_ctx		*c = ctx;
	struct tlsrpt_report	 r;
	struct tlsrpt_stored	 one;
	unsigned char		*raw;
	size_t			 rawlen;
	int			 nomem = 0, rc = -1;

	memset(&r, 0, sizeof(r));
	raw = PQunescapeBytea((const unsigned char *)PQgetvalue(res, i, 7),
	    &rawlen);
	if ((r.organization = strdup(PQgetvalue(res, i, 0))) == NULL ||
	    (r.report_id = strdup(PQgetvalue(res, i, 1))) == NULL ||
	    (pg_text(res, i, 2) != NULL &&
	    (r.contact = strdup(PQgetvalue(res, i, 2))) == NULL) ||
	    raw == NULL)
		nomem = 1;
	r.begin = pg_int(res, i, 3);
	r.end = pg_int(res, i, 4);
	snprintf(r.digest, sizeof(r.digest), "%s", PQgetvalue(res, i, 8));
	one.report = &r;
	one.received = pg_int(res, i, 5);
	one.via = strcmp(PQgetvalue(res, i, 6), "mail") == 0 ?
	    TLSRPT_VIA_MAIL : TLSRPT_VIA_HTTPS;
	one.raw = raw;
	one.rawlen = rawlen;
	if (nomem || policies_decode(pg_text(res, i, 9), &r) == -1)
		log_warnx("%s: cannot read reports: a stored policy is not "
		    "what this program writes (or out of memory)",
		    st->database);
	else
		rc = c->fn(&one, c->arg);
	tlsrpt_report_free(&r);
	PQfreemem(raw);
	return rc;
}

/* Every report whole, oldest first, a row at a time (copy). */
static int
pg_each(struct tlsrpt_store *base,
    int (*fn)(const struct tlsrpt_stored *, void *), void *arg)
{
	struct each_ctx	 c = { fn, arg };

	return pg_run(PG(base), "cannot read reports", "SELECT "
	    "r.organization, r.report_id, r.contact, r.\"begin\", r.\"end\", "
	    "r.received, r.via, r.raw, r.digest, (SELECT "
	    "json_agg(json_build_array(p.policy_type, p.policy_domain, "
	    "p.policy_string, p.policy_id, p.mx_host, p.successful, p.failed, "
	    PG_FAILURES ") ORDER BY p.id) FROM mta_sts.policies p WHERE "
	    "p.report = r.id) FROM mta_sts.reports r ORDER BY r.id", NULL,
	    PG_READ, each_row, &c);
}

static int
count_row(struct pg_store *st, const PGresult *res, int i, void *ctx)
{
	(void)st;
	*(long *)ctx = (long)pg_int(res, i, 0);
	return 0;
}

/*
 * TLSRPT_PRUNE_BATCH reports per statement, each its own transaction,
 * so that writers wait for one batch at most; the cascades take their
 * policies and failures.  A role without DELETE (the receivers') is
 * refused by the server.
 */
static long
pg_prune(struct tlsrpt_store *base, int64_t before)
{
	struct pg_store		*st = PG(base);
	struct pg_params	 p;
	long			 total = 0, n;

	do {
		memset(&p, 0, sizeof(p));
		param_int(&p, before);
		param_int(&p, TLSRPT_PRUNE_BATCH);
		n = 0;
		if (pg_run(st, "cannot prune the store", "WITH d AS (DELETE "
		    "FROM mta_sts.reports WHERE id IN (SELECT id FROM "
		    "mta_sts.reports WHERE \"end\" < $1::bigint LIMIT "
		    "$2::bigint) RETURNING 1) SELECT count(*) FROM d", &p,
		    PG_WRITE, count_row, &n) == -1)
			return -1;
		total += n;
	} while (n == TLSRPT_PRUNE_BATCH);
	return total;
}

struct latest_ctx {
	const struct table	 *t;
	char			(*ids)[POLICY_ID_LEN + 1];
};

static int
latest_row(struct pg_store *st, const PGresult *res, int i, void *ctx)
{
	struct latest_ctx		*c = ctx;
	const struct table_domain	*d;
	const char			*dom = PQgetvalue(res, i, 0);

	(void)st;
	if ((d = table_find(c->t, dom, strlen(dom))) != NULL)
		snprintf(c->ids[d - c->t->domains], POLICY_ID_LEN + 1, "%s",
		    PQgetvalue(res, i, 1));
	return 0;
}

/*
 * The domains marked in ids as JSON [[domain, policy id, mode,
 * max_age], …] in the table's order; NULL if out of memory.
 */
static char *
served_json(const struct table *t, char (*ids)[POLICY_ID_LEN + 1])
{
	const struct policy	*p;
	enum policy_mode	 mode;
	unsigned long		 max_age;
	json_t			*a;
	char			*s = NULL;
	size_t			 i;

	if ((a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < t->ndomains; i++) {
		if (ids[i][0] == '\0')
			continue;
		p = &t->policies[t->domains[i].policy];
		if (tlsrpt_store_policy_spec(p, &mode, &max_age) == -1)
			continue;	/* not a policy of ours: never */
		if (json_array_append_new(a, json_pack("[sssI]",
		    t->domains[i].name, p->id, policy_mode_name(mode),
		    (json_int_t)max_age)) == -1)
			goto out;
	}
	s = json_dumps(a, JSON_COMPACT);
out:
	json_decref(a);
	return s;
}

/*
 * Under the served policies' advisory lock, taken once per group:
 * BEGIN and the lock in one round trip outside one.  0, or -1.
 */
static int
served_lock(struct pg_store *st, const char *what)
{
	if (st->in_tx) {
		if (!st->served_locked && pg_exec(st, what,
		    "SELECT " PG_LOCK_SERVED, NULL) == -1)
			return -1;
		st->served_locked = 1;
		return 0;
	}
	return pg_exec(st, what, "BEGIN; SELECT " PG_LOCK_SERVED, NULL);
}

/* Ends what served_lock began: the group's commit does it in one. */
static int
served_unlock(struct pg_store *st, const char *what, int ok)
{
	if (st->in_tx) {
		if (!ok)
			pg_group_failed(st);
		return ok ? 0 : -1;
	}
	if (ok && pg_exec(st, what, "COMMIT", NULL) == 0)
		return 0;
	pg_rollback(st);
	return -1;
}

/*
 * Looked at without the lock first: most loads change nothing, and
 * then take no lock at all.  Under the lock the insert itself compares
 * each domain's last recorded id again (its statement's snapshot is
 * taken after the lock), since another process may have recorded the
 * same change meanwhile.
 */
static long
pg_served(struct tlsrpt_store *base, const struct table *t, int64_t now)
{
	struct pg_store		*st = PG(base);
	const char		*what = "cannot record the served policies";
	struct latest_ctx	 c;
	struct pg_params	 p;
	char			*want = NULL;
	long			 n = -1;
	int			 ok;

	if (t->ndomains == 0 || (st->flags & TLSRPT_STORE_OPEN_READONLY))
		return 0;
	if ((c.ids = calloc(t->ndomains, sizeof(*c.ids))) == NULL) {
		log_warnx("%s: out of memory", st->database);
		return -1;
	}
	c.t = t;
	if (pg_run(st, "cannot read the served policies", "SELECT DISTINCT "
	    "ON (domain) domain, policy_id FROM mta_sts.served ORDER BY "
	    "domain, id DESC", NULL, PG_READ, latest_row, &c) == -1)
		goto out;
	if (tlsrpt_served_changed(t, c.ids) == 0) {
		n = 0;
		goto out;
	}
	if ((want = served_json(t, c.ids)) == NULL) {
		log_warnx("%s: out of memory", st->database);
		goto out;
	}
	memset(&p, 0, sizeof(p));
	param_text(&p, want);
	param_int(&p, now);
	if (served_lock(st, what) == -1)
		goto out;
	ok = pg_run(st, what, "WITH i AS (INSERT INTO mta_sts.served "
	    "(domain, policy_id, mode, max_age, first_seen) SELECT c->>0, "
	    "c->>1, c->>2, (c->>3)::bigint, $2::bigint FROM "
	    "jsonb_array_elements($1::jsonb) WITH ORDINALITY AS x(c, n) "
	    "WHERE (SELECT s.policy_id FROM mta_sts.served s WHERE s.domain = "
	    "(c->>0) COLLATE \"C\" ORDER BY s.id DESC LIMIT 1) IS DISTINCT "
	    "FROM c->>1 ORDER BY x.n RETURNING 1) SELECT count(*) FROM i", &p,
	    PG_WRITE, count_row, &n) == 0;
	if (served_unlock(st, what, ok) == -1)
		n = -1;
out:
	free(c.ids);
	free(want);
	return n;
}

/* Unless the same (domain, policy id, first seen) is there (copy). */
static int
pg_served_add(struct tlsrpt_store *base, const struct tlsrpt_served_row *row)
{
	struct pg_store		*st = PG(base);
	const char		*what = "cannot record a served policy";
	struct pg_params	 p;
	long			 n = 0;
	int			 ok;

	if (pg_group_ok(st, what) == -1)
		return -1;
	memset(&p, 0, sizeof(p));
	param_text(&p, row->domain);
	param_text(&p, row->policy_id);
	param_text(&p, policy_mode_name(row->mode));
	param_int(&p, (int64_t)row->max_age);
	param_int(&p, row->first_seen);
	if (served_lock(st, what) == -1) {
		pg_group_failed(st);
		return -1;
	}
	ok = pg_run(st, what, "WITH i AS (INSERT INTO mta_sts.served (domain, "
	    "policy_id, mode, max_age, first_seen) SELECT $1::text, $2::text, "
	    "$3::text, $4::bigint, $5::bigint WHERE NOT EXISTS (SELECT 1 FROM "
	    "mta_sts.served WHERE domain = $1::text COLLATE \"C\" AND "
	    "policy_id = $2::text AND first_seen = $5::bigint) RETURNING 1) "
	    "SELECT count(*) FROM i", &p, PG_WRITE, count_row, &n) == 0;
	if (served_unlock(st, what, ok) == -1)
		return -1;
	return n > 0;
}

struct served_ctx {
	int	(*fn)(const struct tlsrpt_served_row *, void *);
	void	*arg;
};

static int
served_row(struct pg_store *st, const PGresult *res, int i, void *ctx)
{
	struct served_ctx		*c = ctx;
	struct tlsrpt_served_row	 s;
	const char			*mode = PQgetvalue(res, i, 2);

	(void)st;
	s.domain = PQgetvalue(res, i, 0);
	s.policy_id = PQgetvalue(res, i, 1);
	s.mode = strcmp(mode, "enforce") == 0 ? POLICY_ENFORCE :
	    strcmp(mode, "testing") == 0 ? POLICY_TESTING : POLICY_NONE;
	s.max_age = (unsigned long)pg_int(res, i, 3);
	s.first_seen = pg_int(res, i, 4);
	return c->fn(&s, c->arg);
}

static int
pg_served_list(struct tlsrpt_store *base, const char *const *domains,
    size_t n, int (*fn)(const struct tlsrpt_served_row *, void *), void *arg)
{
	struct pg_store		*st = PG(base);
	struct served_ctx	 c = { fn, arg };
	struct pg_params	 p;
	char			*want = NULL;
	int			 rc;

	memset(&p, 0, sizeof(p));
	if (n > 0) {
		if ((want = tlsrpt_domains_json(domains, n)) == NULL) {
			log_warnx("%s: out of memory", st->database);
			return -1;
		}
		param_text(&p, want);
	}
	rc = pg_run(st, "cannot read the served policies", n > 0 ? "SELECT "
	    "domain, policy_id, mode, max_age, first_seen FROM mta_sts.served "
	    "WHERE domain" PG_IN(1) " ORDER BY domain, id" :
	    "SELECT domain, policy_id, mode, max_age, first_seen FROM "
	    "mta_sts.served ORDER BY domain, id", &p, PG_READ, served_row, &c);
	free(want);
	return rc;
}

/*
 * Runs an aggregation over the period: sql holds "%s" where the domain
 * filter goes; $1 and $2 are since and until, $3 the domains.  0, or -1
 * after saying why.
 */
static int
period_query(struct pg_store *st, const struct tlsrpt_store_period *pd,
    const char *sql, pg_row_fn row, void *ctx)
{
	struct pg_params	 p;
	char			 text[2048], *want = NULL;
	int			 rc;

	snprintf(text, sizeof(text), sql, pd->ndomains > 0 ?
	    PG_DOMAINS(3) " AND" : "");
	memset(&p, 0, sizeof(p));
	param_int(&p, pd->since);
	param_int(&p, pd->until);
	if (pd->ndomains > 0) {
		if ((want = tlsrpt_domains_json(pd->domains, pd->ndomains)) ==
		    NULL) {
			log_warnx("%s: out of memory", st->database);
			return -1;
		}
		param_text(&p, want);
	}
	rc = pg_run(st, "cannot summarise reports", text, &p, PG_READ, row,
	    ctx);
	free(want);
	return rc;
}

/* The reports of the period, as tlsrpt_sqlite.c's PERIOD_WHERE. */
#define PERIOD_FROM	" FROM mta_sts.policies p JOIN mta_sts.reports r " \
	"ON r.id = p.report"
#define PERIOD_WHERE	" WHERE %s r.\"end\" >= $1::bigint AND " \
	"r.\"begin\" < $2::bigint AND (r.\"begin\" + r.\"end\") / 2 >= " \
	"$1::bigint AND (r.\"begin\" + r.\"end\") / 2 < $2::bigint "

struct applied_ctx {
	int	(*fn)(const struct tlsrpt_applied_row *, void *);
	void	*arg;
};

static int
applied_row(struct pg_store *st, const PGresult *res, int i, void *ctx)
{
	struct applied_ctx		*c = ctx;
	struct tlsrpt_applied_row	 a;

	(void)st;
	a.domain = PQgetvalue(res, i, 0);
	a.organization = PQgetvalue(res, i, 1);
	a.policy_type = PQgetvalue(res, i, 2);
	a.policy_id = PQgetvalue(res, i, 3);
	a.reports = pg_int(res, i, 4);
	a.successful = pg_total(res, i, 5);
	a.failed = pg_total(res, i, 6);
	a.first = pg_int(res, i, 7);
	a.last = pg_int(res, i, 8);
	a.last_begin = pg_int(res, i, 9);
	a.max_age = tlsrpt_policy_string_max_age(pg_text(res, i, 10));
	return c->fn(&a, c->arg);
}

static int
pg_applied(struct tlsrpt_store *base, const struct tlsrpt_store_period *pd,
    int (*fn)(const struct tlsrpt_applied_row *, void *), void *arg)
{
	struct applied_ctx	 c = { fn, arg };

	return period_query(PG(base), pd, "SELECT p.policy_domain, "
	    "r.organization, p.policy_type, p.policy_id, count(*), "
	    "sum(p.successful::numeric), sum(p.failed::numeric), "
	    "min(r.\"end\"), max(r.\"end\"), max(r.\"begin\"), "
	    "min(p.policy_string)" PERIOD_FROM PERIOD_WHERE
	    "GROUP BY p.policy_domain, r.organization, p.policy_type, "
	    "p.policy_id ORDER BY p.policy_domain, r.organization, "
	    "p.policy_type, p.policy_id", applied_row, &c);
}

struct failure_ctx {
	int	(*fn)(const struct tlsrpt_failure_row *, void *);
	void	*arg;
};

static int
failure_row(struct pg_store *st, const PGresult *res, int i, void *ctx)
{
	struct failure_ctx		*c = ctx;
	struct tlsrpt_failure_row	 f;

	(void)st;
	f.domain = PQgetvalue(res, i, 0);
	f.policy_type = PQgetvalue(res, i, 1);
	f.result_type = PQgetvalue(res, i, 2);
	f.receiving_mx = pg_text(res, i, 3);
	f.organization = PQgetvalue(res, i, 4);
	f.reason = pg_text(res, i, 5);
	f.count = pg_total(res, i, 6);
	f.first = pg_int(res, i, 7);
	f.last = pg_int(res, i, 8);
	return c->fn(&f, c->arg);
}

/*
 * MX host names as DNS compares them: case (ASCII, as SQLite's lower())
 * and a final dot aside.  Most sessions first as SQLite orders its
 * total(), by the double: sums past 2^53 (hostile counts) that differ
 * by less than a double tells apart are a tie, broken by what follows.
 * NULLS FIRST: SQLite's order of NULLs.
 */
static int
pg_failures(struct tlsrpt_store *base, const struct tlsrpt_store_period *pd,
    int (*fn)(const struct tlsrpt_failure_row *, void *), void *arg)
{
	struct failure_ctx	 c = { fn, arg };

	return period_query(PG(base), pd, "SELECT p.policy_domain, "
	    "p.policy_type, f.result_type, nullif(lower(rtrim("
	    "f.receiving_mx_hostname, '.')), '') AS mx, r.organization, "
	    "f.failure_reason_code, sum(f.count::numeric), min(r.\"end\"), "
	    "max(r.\"end\")" PERIOD_FROM " JOIN mta_sts.failures f ON "
	    "f.policy = p.id" PERIOD_WHERE
	    "GROUP BY p.policy_domain, p.policy_type, f.result_type, mx, "
	    "r.organization, f.failure_reason_code "
	    "ORDER BY p.policy_domain, sum(f.count::float8) DESC, "
	    "f.result_type, mx NULLS FIRST, "
	    "r.organization, f.failure_reason_code NULLS FIRST, p.policy_type",
	    failure_row, &c);
}

struct day_ctx {
	int	(*fn)(const struct tlsrpt_day_row *, void *);
	void	*arg;
};

static int
day_row(struct pg_store *st, const PGresult *res, int i, void *ctx)
{
	struct day_ctx		*c = ctx;
	struct tlsrpt_day_row	 d;

	(void)st;
	d.domain = PQgetvalue(res, i, 0);
	d.organization = PQgetvalue(res, i, 1);
	d.day = pg_int(res, i, 2);
	d.reports = pg_int(res, i, 3);
	d.successful = pg_total(res, i, 4);
	d.failed = pg_total(res, i, 5);
	d.last = pg_int(res, i, 6);
	return c->fn(&d, c->arg);
}

static int
pg_days(struct tlsrpt_store *base, const struct tlsrpt_store_period *pd,
    int (*fn)(const struct tlsrpt_day_row *, void *), void *arg)
{
	struct day_ctx	 c = { fn, arg };

	return period_query(PG(base), pd, "SELECT p.policy_domain, "
	    "r.organization, (r.\"begin\" + r.\"end\") / 2 / 86400 * 86400 "
	    "AS day, count(*), sum(p.successful::numeric), "
	    "sum(p.failed::numeric), max(r.\"end\")" PERIOD_FROM PERIOD_WHERE
	    "GROUP BY p.policy_domain, r.organization, day "
	    "ORDER BY p.policy_domain, r.organization, day", day_row, &c);
}

const struct tlsrpt_store_ops tlsrpt_pg_ops = {
	.name = "PostgreSQL",
	.open = pg_open,
	.close = pg_close,
	.version = pg_version,
	.begin = pg_begin,
	.commit = pg_commit,
	.add = pg_add,
	.list = pg_list,
	.each = pg_each,
	.prune = pg_prune,
	.served = pg_served,
	.served_add = pg_served_add,
	.served_list = pg_served_list,
	.applied = pg_applied,
	.failures = pg_failures,
	.days = pg_days,
};
