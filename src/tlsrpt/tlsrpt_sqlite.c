/* SPDX-License-Identifier: ISC */
/*
 * The store's SQLite backend: one file that HTTP workers and mail imports write at
 * once, and that `list` and `prune` read.
 *
 * A sender that got 201 (or an MTA that got exit 0) never sends that
 * report again, so an acknowledged report must survive a crash, a full
 * disk and a neighbour writing at the same moment: WAL with synchronous
 * FULL (the commit is on disk before tlsrpt_store_add returns), every
 * report one BEGIN IMMEDIATE transaction (whole or not at all, and the
 * write lock taken before anything is read, so two writers never
 * deadlock on a lock upgrade), and the busy timeout below for the
 * moments another process holds that lock.  RFC 8460 §5.5: senders
 * retry for 24 hours, so a report is stored once per (organization,
 * report-id), by the database's UNIQUE constraint, not by a look-up
 * that two processes could both pass.  The constraint includes the
 * report's digest: anyone may POST a report, and report-ids are often
 * predictable (a date and a domain), so a forger who sends a report
 * under a real sender's name and next id first must not make the real
 * one a "duplicate"; both are kept, and a retry, the same report
 * however it is serialised, is still one.
 *
 * The file says what it is: application_id marks it as ours (a file
 * that is some other database is refused, never "migrated"), and
 * user_version is the schema version, raised by the migrations below in
 * the same transaction as the change they make.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "tlsrpt/tlsrpt_backend.h"

struct sqlite_store {
	struct tlsrpt_store base;	/* first: what tlsrpt_store.c sees */
	sqlite3		*db;		/* NULL after a failed reopen */
	char		*path;
	int		 flags;		/* as tlsrpt_store_open was given */
	dev_t		 dev;		/* the file opened (store_same_file) */
	ino_t		 ino;
	sqlite3_stmt	*add_report;
	sqlite3_stmt	*add_policy;
	sqlite3_stmt	*add_failure;
	int		 version;	/* the schema's, once open */
	int		 in_tx;		/* inside tlsrpt_store_begin */
};

/* The SQLite store behind a tlsrpt_store of this backend. */
#define SQ(base)	((struct sqlite_store *)(void *)(base))

/*
 * The schema, version by version: migrations[i] takes a store from
 * version i to i + 1.  A released step is never edited; a change is a
 * new step.  Policies and failures go with their report (ON DELETE
 * CASCADE, foreign_keys on); policy_string and mx_host are JSON arrays
 * of the strings sent; times are seconds since the epoch, UTC.
 */
static const char *const migrations[] = {
	/* 1: the first release. */
	"CREATE TABLE reports ("
	"  id INTEGER PRIMARY KEY,"
	"  organization TEXT NOT NULL,"
	"  report_id TEXT NOT NULL,"
	"  contact TEXT,"
	"  begin INTEGER NOT NULL,"
	"  end INTEGER NOT NULL,"
	"  received INTEGER NOT NULL,"
	"  via TEXT NOT NULL CHECK (via IN ('https', 'mail')),"
	"  raw BLOB NOT NULL,"
	"  digest TEXT NOT NULL,"
	"  UNIQUE (organization, report_id, digest));"
	"CREATE INDEX reports_end ON reports (end, received);"
	"CREATE TABLE policies ("
	"  id INTEGER PRIMARY KEY,"
	"  report INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,"
	"  policy_type TEXT NOT NULL,"
	"  policy_domain TEXT NOT NULL,"
	"  policy_string TEXT,"
	"  policy_id TEXT NOT NULL,"
	"  mx_host TEXT,"
	"  successful INTEGER NOT NULL,"
	"  failed INTEGER NOT NULL);"
	"CREATE INDEX policies_report ON policies (report);"
	"CREATE INDEX policies_domain ON policies (policy_domain);"
	"CREATE TABLE failures ("
	"  id INTEGER PRIMARY KEY,"
	"  policy INTEGER NOT NULL REFERENCES policies (id) ON DELETE CASCADE,"
	"  result_type TEXT NOT NULL,"
	"  sending_mta_ip TEXT,"
	"  receiving_mx_hostname TEXT,"
	"  receiving_mx_helo TEXT,"
	"  receiving_ip TEXT,"
	"  count INTEGER NOT NULL,"
	"  additional_information TEXT,"
	"  failure_reason_code TEXT);"
	"CREATE INDEX failures_policy ON failures (policy);",
	/*
	 * 2: what the config served, and since when (issue 20's summary):
	 * a row each time a process that may write the store loads a
	 * config in which a [domain] serves a policy id other than the
	 * one last recorded for it, so the newest row of a domain says
	 * since when its current policy is published and the older ones
	 * which policies it replaced.  Rows are ordered by id, not by
	 * first_seen, so that a clock stepped back cannot reorder them.
	 * policies_domain_report lets the summary read one domain's
	 * reports without the reports of every other domain.
	 */
	"CREATE TABLE served ("
	"  id INTEGER PRIMARY KEY,"
	"  domain TEXT NOT NULL,"
	"  policy_id TEXT NOT NULL,"
	"  mode TEXT NOT NULL,"
	"  max_age INTEGER NOT NULL,"
	"  first_seen INTEGER NOT NULL);"
	"CREATE INDEX served_domain ON served (domain, id);"
	"CREATE INDEX policies_domain_report ON policies "
	"  (policy_domain, report);"
	"DROP INDEX policies_domain;",
};
#define STORE_VERSION	((int)(sizeof(migrations) / sizeof(migrations[0])))
_Static_assert(STORE_VERSION == TLSRPT_STORE_VERSION,
    "the SQLite migrations end at TLSRPT_STORE_VERSION");

/*
 * Says what failed (what, then SQLite's reason) for the store and
 * returns what it means for a caller: damaged, or retry later.
 */
static enum tlsrpt_store_result
store_fail(const struct sqlite_store *st, const char *what)
{
	int	 code = sqlite3_extended_errcode(st->db) & 0xff;
	int	 sys = sqlite3_system_errno(st->db);

	if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) {
		log_warnx("%s: %s: the store is damaged or not a database: %s",
		    st->path, what, sqlite3_errmsg(st->db));
		return TLSRPT_STORE_CORRUPT;
	}
	if (sys != 0 && code != SQLITE_BUSY && code != SQLITE_FULL)
		log_warnx("%s: %s: %s (%s)", st->path, what,
		    sqlite3_errmsg(st->db), strerror(sys));
	else
		log_warnx("%s: %s: %s", st->path, what,
		    sqlite3_errmsg(st->db));
	return TLSRPT_STORE_UNAVAILABLE;
}

static int
store_exec(struct sqlite_store *st, const char *sql, const char *what)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		store_fail(st, what);
		return -1;
	}
	return 0;
}

/* One integer a pragma or query returns; 0, or -1 after saying why. */
static int
store_int(struct sqlite_store *st, const char *sql, long long *out)
{
	sqlite3_stmt	*stmt;
	int		 rc = -1;

	if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
		store_fail(st, "cannot open the store");
		return -1;
	}
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		*out = sqlite3_column_int64(stmt, 0);
		rc = 0;
	} else
		store_fail(st, "cannot open the store");
	sqlite3_finalize(stmt);
	return rc;
}

/*
 * What the file is: *version is its schema version, 0 for an empty
 * file that is ours to create.  0, or -1 after saying why it is not a
 * store of ours (or cannot be read).
 */
static int
store_version(struct sqlite_store *st, long long *version)
{
	long long	 app, objects;
	int		 own, rc;

	/*
	 * The three in one read transaction: another process creating the
	 * store commits all of them at once, and separate reads could see
	 * its schema without its application_id.
	 */
	own = sqlite3_get_autocommit(st->db) &&
	    store_exec(st, "BEGIN", "cannot read the store") == 0;
	rc = store_int(st, "PRAGMA application_id", &app) == -1 ||
	    store_int(st, "PRAGMA user_version", version) == -1 ||
	    store_int(st, "SELECT count(*) FROM sqlite_schema", &objects) ==
	    -1 ? -1 : 0;
	if (own)
		sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
	if (rc == -1)
		return -1;
	if (app == 0 && *version == 0 && objects == 0)
		return 0;
	if (app != TLSRPT_APPLICATION_ID) {
		log_warnx("%s: not a mta-sts-report store (an SQLite database "
		    "with application_id %lld and %lld schema objects): name "
		    "another file in [reports] database", st->path, app,
		    objects);
		return -1;
	}
	if (*version > STORE_VERSION) {
		log_warnx("%s: the store's schema version %lld is newer than "
		    "this program's (%d): a newer mta-sts-report wrote it",
		    st->path, *version, STORE_VERSION);
		return -1;
	}
	if (*version < 1) {
		log_warnx("%s: a mta-sts-report store without a schema version",
		    st->path);
		return -1;
	}
	return 0;
}

/*
 * Brings the schema to STORE_VERSION, in one transaction that holds
 * the write lock, so that processes opening a new store at once create
 * it once.  0, or -1 after saying why.
 */
static int
store_migrate(struct sqlite_store *st)
{
	long long	 version;
	char		 sql[128];
	int		 v;

	if (store_exec(st, "BEGIN IMMEDIATE", "cannot create or upgrade "
	    "the store") == -1)
		return -1;
	/* Again under the lock: another process may have done it. */
	if (store_version(st, &version) == -1)
		goto fail;
	for (v = (int)version; v < STORE_VERSION; v++)
		if (store_exec(st, migrations[v], "cannot create or upgrade "
		    "the store") == -1)
			goto fail;
	snprintf(sql, sizeof(sql), "PRAGMA application_id = %d; "
	    "PRAGMA user_version = %d", TLSRPT_APPLICATION_ID, STORE_VERSION);
	if (store_exec(st, sql, "cannot create or upgrade the store") == -1 ||
	    store_exec(st, "COMMIT", "cannot create or upgrade the store") ==
	    -1)
		goto fail;
	return 0;
fail:
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/*
 * The connection's settings.  Synchronous FULL makes a commit durable
 * (with WAL, store_wal, which lets readers run beside the one writer);
 * foreign_keys makes prune's delete cascade; the rest hardens SQLite
 * against a file crafted to attack it.
 */
static int
store_settings(struct sqlite_store *st)
{

	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, TLSRPT_STORE_BUSY_MS);
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	if (store_exec(st, "PRAGMA foreign_keys = ON; "
	    "PRAGMA synchronous = FULL; PRAGMA temp_store = MEMORY",
	    "cannot open the store") == -1)
		return -1;
	return 0;
}

/*
 * WAL, once the file is known to be ours (or empty): the mode is kept
 * in the file, so another program's database is never switched.
 */
static int
store_wal(struct sqlite_store *st)
{
	sqlite3_stmt	*stmt;
	const char	*mode;
	int		 rc = -1, step, waited;

	if (sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1,
	    &stmt, NULL) != SQLITE_OK) {
		store_fail(st, "cannot open the store");
		return -1;
	}
	/*
	 * Switching takes the lock without the busy handler: processes
	 * opening a new store at once wait for each other here, within the
	 * same bound as a writer does.
	 */
	for (waited = 0; (step = sqlite3_step(stmt)) != SQLITE_ROW &&
	    (step & 0xff) == SQLITE_BUSY && waited < TLSRPT_STORE_BUSY_MS;
	    waited += 10) {
		sqlite3_reset(stmt);
		sqlite3_sleep(10);
	}
	if (step != SQLITE_ROW)
		store_fail(st, "cannot switch the store to WAL");
	else if ((mode = (const char *)sqlite3_column_text(stmt, 0)) ==
	    NULL || strcmp(mode, "wal") != 0)
		log_warnx("%s: cannot switch the store to WAL (journal mode "
		    "stays %s)", st->path, mode != NULL ? mode : "unknown");
	else
		rc = 0;
	sqlite3_finalize(stmt);
	return rc;
}

/*
 * Does the store's path still name the file this connection opened?
 * An operator may move or remove the store while workers hold it open.
 */
static int
store_same_file(const struct sqlite_store *st)
{
	struct stat	 sb;

	return stat(st->path, &sb) == 0 && sb.st_dev == st->dev &&
	    sb.st_ino == st->ino;
}

/*
 * Closes the connection.  SQLite's last connection to a file removes
 * its -wal and -shm by name: if the path now names another store (the
 * file was moved and a new one made there), those names are the new
 * store's, so the WAL is kept (PERSIST_WAL, which also keeps the
 * -shm); the files beside a moved store went with it.
 */
static void
store_disconnect(struct sqlite_store *st)
{
	int	 persist = 1;

	sqlite3_finalize(st->add_report);
	sqlite3_finalize(st->add_policy);
	sqlite3_finalize(st->add_failure);
	st->add_report = st->add_policy = st->add_failure = NULL;
	if (st->db != NULL && st->ino != 0 && !store_same_file(st))
		sqlite3_file_control(st->db, "main", SQLITE_FCNTL_PERSIST_WAL,
		    &persist);
	sqlite3_close(st->db);
	st->db = NULL;
	st->ino = 0;
}

/* Opens st->path as st->flags say; 0, or -1 after saying why. */
static int
store_connect(struct sqlite_store *st)
{
	struct stat	 sb;
	long long	 version;
	int		 oflags, readonly;

	readonly = (st->flags & TLSRPT_STORE_OPEN_READONLY) != 0;
	oflags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE |
	    ((st->flags & TLSRPT_STORE_OPEN_CREATE) ? SQLITE_OPEN_CREATE : 0);
	if (sqlite3_open_v2(st->path, &st->db, oflags | SQLITE_OPEN_NOMUTEX,
	    NULL) != SQLITE_OK) {
		if (st->db == NULL)
			log_warnx("%s: out of memory", st->path);
		else
			store_fail(st, "cannot open the store");
		goto fail;
	}
	/*
	 * SQLite opens a file it may not write read-only without a word,
	 * and its first read then makes the -shm (and -wal) files with the
	 * file's mode: a 0444 -shm would keep the store read-only after
	 * the file is made writable again.  Refused before any read, so
	 * that a later open finds nothing in its way.
	 */
	if (!readonly && sqlite3_db_readonly(st->db, "main") == 1) {
		log_warnx("%s: the store is read-only to this process (the "
		    "file's mode or owner, or a read-only file system): "
		    "reports cannot be stored", st->path);
		goto fail;
	}
	if (store_settings(st) == -1 || store_version(st, &version) == -1 ||
	    (!readonly && store_wal(st) == -1))
		goto fail;
	if (version == 0 && readonly) {
		log_warnx("%s: the store is empty: nothing has been stored yet",
		    st->path);
		goto fail;
	}
	if (version < STORE_VERSION && store_migrate(st) == -1)
		goto fail;
	st->version = STORE_VERSION;
	/* The file now open, for store_same_file (SQLite has it open). */
	if (stat(st->path, &sb) == -1) {
		log_warn("%s", st->path);
		goto fail;
	}
	st->dev = sb.st_dev;
	st->ino = sb.st_ino;
	return 0;
fail:
	store_disconnect(st);
	return -1;
}

static void sqlite_close(struct tlsrpt_store *);

static int
sqlite_open(struct tlsrpt_store **out, const char *path, int flags)
{
	struct sqlite_store	*st;

	*out = NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->path = strdup(path)) == NULL) {
		log_warn("%s", path);
		free(st);
		return -1;
	}
	st->base.ops = &tlsrpt_sqlite_ops;
	st->flags = flags;
	if (store_connect(st) == -1) {
		sqlite_close(&st->base);
		return -1;
	}
	*out = &st->base;
	return 0;
}

static void
sqlite_close(struct tlsrpt_store *base)
{
	struct sqlite_store	*st = SQ(base);

	if (st == NULL)
		return;
	store_disconnect(st);
	free(st->path);
	free(st);
}

/*
 * Before a report is stored, and after: the store at the path, opened
 * again if the file this connection has is no longer there (moved,
 * replaced or removed), so that an acknowledged report is in the file
 * the config names, not in one an operator moved away or deleted.
 * 0, or -1 after saying why (the store is then closed until the next
 * call).
 */
static int
store_here(struct sqlite_store *st)
{
	if (st->db != NULL && store_same_file(st))
		return 0;
	if (st->db != NULL)
		log_warnx("%s: the store was moved, replaced or removed since "
		    "it was opened: opening it again at its path", st->path);
	store_disconnect(st);
	return store_connect(st);
}

/* Binds s, "" for NULL (a NOT NULL column). */
static int
bind_text(sqlite3_stmt *stmt, int i, const char *s)
{
	return sqlite3_bind_text(stmt, i, s != NULL ? s : "", -1,
	    SQLITE_STATIC);
}

/* Binds s, SQL NULL for NULL. */
static int
bind_opt(sqlite3_stmt *stmt, int i, const char *s)
{
	return s != NULL ? sqlite3_bind_text(stmt, i, s, -1, SQLITE_STATIC) :
	    sqlite3_bind_null(stmt, i);
}

static int
store_prepare(struct sqlite_store *st, sqlite3_stmt **stmt, const char *sql)
{
	if (*stmt != NULL) {
		sqlite3_reset(*stmt);
		sqlite3_clear_bindings(*stmt);
		return 0;
	}
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    stmt, NULL) != SQLITE_OK)
		return -1;
	return 0;
}

/* Steps an INSERT to its end; SQLITE_DONE or the error. */
static int
store_step(sqlite3_stmt *stmt)
{
	int	 rc = sqlite3_step(stmt);

	sqlite3_reset(stmt);
	return rc;
}

static int
add_failure(struct sqlite_store *st, sqlite3_int64 policy,
    const struct tlsrpt_failure *f)
{
	sqlite3_stmt	*s;

	if (store_prepare(st, &st->add_failure, "INSERT INTO failures "
	    "(policy, result_type, sending_mta_ip, receiving_mx_hostname, "
	    "receiving_mx_helo, receiving_ip, count, additional_information, "
	    "failure_reason_code) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)") == -1)
		return -1;
	s = st->add_failure;
	sqlite3_bind_int64(s, 1, policy);
	bind_text(s, 2, f->result_type);
	bind_opt(s, 3, f->sending_mta_ip);
	bind_opt(s, 4, f->receiving_mx_hostname);
	bind_opt(s, 5, f->receiving_mx_helo);
	bind_opt(s, 6, f->receiving_ip);
	sqlite3_bind_int64(s, 7, f->count);
	bind_opt(s, 8, f->additional_information);
	bind_opt(s, 9, f->failure_reason_code);
	return store_step(s) == SQLITE_DONE ? 0 : -1;
}

/* One policy of report rid and its failures; 0, or -1 (see errmsg). */
static int
add_policy(struct sqlite_store *st, sqlite3_int64 rid,
    const struct tlsrpt_policy *p)
{
	sqlite3_stmt	*s;
	sqlite3_int64	 pid;
	char		*lines = NULL, *mx = NULL;
	size_t		 i;
	int		 rc = -1;

	if (tlsrpt_strings_encode(p->policy_string, p->npolicy_string, &lines) ==
	    -1 || tlsrpt_strings_encode(p->mx_host, p->nmx_host, &mx) == -1) {
		log_warnx("%s: a policy-string or mx-host that is not UTF-8 "
		    "(or out of memory)", st->path);
		goto out;
	}
	if (store_prepare(st, &st->add_policy, "INSERT INTO policies "
	    "(report, policy_type, policy_domain, policy_string, policy_id, "
	    "mx_host, successful, failed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)") ==
	    -1)
		goto out;
	s = st->add_policy;
	sqlite3_bind_int64(s, 1, rid);
	bind_text(s, 2, p->policy_type);
	bind_text(s, 3, p->policy_domain);
	bind_opt(s, 4, lines);
	bind_text(s, 5, p->policy_id);
	bind_opt(s, 6, mx);
	sqlite3_bind_int64(s, 7, p->successful);
	sqlite3_bind_int64(s, 8, p->failed);
	if (store_step(s) != SQLITE_DONE)
		goto out;
	pid = sqlite3_last_insert_rowid(st->db);
	for (i = 0; i < p->nfailures; i++)
		if (add_failure(st, pid, &p->failures[i]) == -1)
			goto out;
	rc = 0;
out:
	free(lines);
	free(mx);
	return rc;
}

/*
 * The report's row; 1 if it was new, 0 if (organization, report_id)
 * was stored already, -1 on error.
 */
static int
add_report(struct sqlite_store *st, const struct tlsrpt_report *r,
    enum tlsrpt_via via, const unsigned char *raw, size_t rawlen,
    int64_t received)
{
	sqlite3_stmt	*s;

	if (store_prepare(st, &st->add_report, "INSERT INTO reports "
	    "(organization, report_id, contact, begin, end, received, via, "
	    "raw, digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
	    "ON CONFLICT (organization, report_id, digest) DO NOTHING") == -1)
		return -1;
	s = st->add_report;
	bind_text(s, 1, r->organization);
	bind_text(s, 2, r->report_id);
	bind_opt(s, 3, r->contact);
	sqlite3_bind_int64(s, 4, r->begin);
	sqlite3_bind_int64(s, 5, r->end);
	sqlite3_bind_int64(s, 6, received);
	bind_text(s, 7, tlsrpt_via_name(via));
	sqlite3_bind_blob64(s, 8, raw != NULL ? (const void *)raw : "",
	    rawlen, SQLITE_STATIC);
	bind_text(s, 9, r->digest);
	if (store_step(s) != SQLITE_DONE)
		return -1;
	return sqlite3_changes(st->db) > 0 ? 1 : 0;
}

/*
 * Stores r in the file this connection has open: one transaction,
 * durable when it returns TLSRPT_STORE_ADDED.
 */
static enum tlsrpt_store_result
store_add_once(struct sqlite_store *st, const struct tlsrpt_report *r,
    enum tlsrpt_via via, const unsigned char *raw, size_t rawlen,
    int64_t received)
{
	enum tlsrpt_store_result	 res;
	sqlite3_int64			 rid;
	size_t				 i;
	int				 isnew;

	if (!st->in_tx && sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL,
	    NULL) != SQLITE_OK)
		return store_fail(st, "cannot store a report");
	if ((isnew = add_report(st, r, via, raw, rawlen, received)) == -1)
		goto fail;
	if (isnew) {
		rid = sqlite3_last_insert_rowid(st->db);
		for (i = 0; i < r->npolicies; i++)
			if (add_policy(st, rid, &r->policies[i]) == -1)
				goto fail;
	}
	/* A duplicate wrote nothing: COMMIT only ends the transaction. */
	if (!st->in_tx && sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) !=
	    SQLITE_OK)
		goto fail;
	return isnew ? TLSRPT_STORE_ADDED : TLSRPT_STORE_DUPLICATE;
fail:
	res = store_fail(st, "cannot store a report");
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	st->in_tx = 0;
	return res;
}

/*
 * The path is checked before the transaction and again after it: a
 * store moved while the report was being stored gets it again at the
 * path (a second time in the moved file, which is the operator's now).
 * Twice at most: a store moved on every request is answered as the
 * last attempt went.
 */
static enum tlsrpt_store_result
sqlite_add(struct tlsrpt_store *base, const struct tlsrpt_report *r,
    enum tlsrpt_via via, const unsigned char *raw, size_t rawlen,
    int64_t received)
{
	struct sqlite_store		*st = SQ(base);
	enum tlsrpt_store_result	 res = TLSRPT_STORE_UNAVAILABLE;
	int				 attempt;

	/* Inside a group the connection is the group's: never reopened. */
	if (st->in_tx)
		return store_add_once(st, r, via, raw, rawlen, received);

	for (attempt = 0; attempt < 2; attempt++) {
		if (store_here(st) == -1)
			return TLSRPT_STORE_UNAVAILABLE;
		res = store_add_once(st, r, via, raw, rawlen, received);
		if ((res != TLSRPT_STORE_ADDED &&
		    res != TLSRPT_STORE_DUPLICATE) || store_same_file(st))
			break;
	}
	return res;
}

static char *
column_dup(sqlite3_stmt *s, int i, int *nomem)
{
	const char	*t = (const char *)sqlite3_column_text(s, i);
	char		*d;

	if (t == NULL)
		return NULL;
	if ((d = strdup(t)) == NULL)
		*nomem = 1;
	return d;
}

/* The failures of policy pid into p; 0, or -1 after saying why. */
static int
list_failures(struct sqlite_store *st, sqlite3_stmt *s, sqlite3_int64 pid,
    struct tlsrpt_policy *p)
{
	struct tlsrpt_failure	*f;
	size_t			 cap = 0;
	int			 rc, nomem = 0;

	sqlite3_reset(s);
	sqlite3_bind_int64(s, 1, pid);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((f = buf_array_room(p->failures, p->nfailures, &cap,
		    sizeof(*f))) == NULL) {
			log_warnx("%s: out of memory", st->path);
			return -1;
		}
		p->failures = f;
		f = &p->failures[p->nfailures++];
		memset(f, 0, sizeof(*f));
		f->result_type = column_dup(s, 0, &nomem);
		f->sending_mta_ip = column_dup(s, 1, &nomem);
		f->receiving_mx_hostname = column_dup(s, 2, &nomem);
		f->receiving_mx_helo = column_dup(s, 3, &nomem);
		f->receiving_ip = column_dup(s, 4, &nomem);
		f->count = sqlite3_column_int64(s, 5);
		f->additional_information = column_dup(s, 6, &nomem);
		f->failure_reason_code = column_dup(s, 7, &nomem);
		if (nomem) {
			log_warnx("%s: out of memory", st->path);
			return -1;
		}
	}
	if (rc != SQLITE_DONE) {
		store_fail(st, "cannot list reports");
		return -1;
	}
	return 0;
}

/*
 * A row of the listing query as a report_row for fn; its strings are
 * SQLite's until the next step.  fn's result, or -1 after saying why.
 */
static int
list_row(struct sqlite_store *st, sqlite3_stmt *q, sqlite3_stmt *fq,
    int (*fn)(const struct tlsrpt_row *, void *), void *arg)
{
	struct tlsrpt_row	 row;
	struct tlsrpt_policy	 p;
	const char		*via, *id;
	int			 rc = -1;

	memset(&p, 0, sizeof(p));
	memset(&row, 0, sizeof(row));
	row.organization = (const char *)sqlite3_column_text(q, 0);
	row.report_id = (const char *)sqlite3_column_text(q, 1);
	row.contact = (const char *)sqlite3_column_text(q, 2);
	row.begin = sqlite3_column_int64(q, 3);
	row.end = sqlite3_column_int64(q, 4);
	row.received = sqlite3_column_int64(q, 5);
	via = (const char *)sqlite3_column_text(q, 6);
	row.via = via != NULL && strcmp(via, "mail") == 0 ? TLSRPT_VIA_MAIL :
	    TLSRPT_VIA_HTTPS;
	p.policy_type = (char *)sqlite3_column_text(q, 8);
	p.policy_domain = (char *)sqlite3_column_text(q, 9);
	if ((id = (const char *)sqlite3_column_text(q, 11)) != NULL)
		snprintf(p.policy_id, sizeof(p.policy_id), "%s", id);
	p.successful = sqlite3_column_int64(q, 13);
	p.failed = sqlite3_column_int64(q, 14);
	if (row.organization == NULL || row.report_id == NULL ||
	    p.policy_type == NULL || p.policy_domain == NULL) {
		log_warnx("%s: out of memory", st->path);
		return -1;
	}
	if (tlsrpt_strings_decode((const char *)sqlite3_column_text(q, 10),
	    &p.policy_string, &p.npolicy_string) == -1 ||
	    tlsrpt_strings_decode((const char *)sqlite3_column_text(q, 12),
	    &p.mx_host, &p.nmx_host) == -1) {
		log_warnx("%s: a stored policy-string or mx-host is not a "
		    "JSON array of strings (or out of memory)", st->path);
		goto out;
	}
	if (list_failures(st, fq, sqlite3_column_int64(q, 7), &p) == -1)
		goto out;
	row.policy = &p;
	rc = fn(&row, arg);
out:
	/* Not ours: SQLite's column text. */
	p.policy_type = p.policy_domain = NULL;
	tlsrpt_policy_clear(&p);
	return rc;
}

static int
sqlite_list(struct tlsrpt_store *base, const char *const *domains,
    size_t n, int (*fn)(const struct tlsrpt_row *, void *), void *arg)
{
	struct sqlite_store	*st = SQ(base);
	static const char	 select[] = "SELECT r.organization, "
	    "r.report_id, r.contact, r.begin, r.end, r.received, r.via, p.id, "
	    "p.policy_type, p.policy_domain, p.policy_string, p.policy_id, "
	    "p.mx_host, p.successful, p.failed "
	    "FROM policies p JOIN reports r ON r.id = p.report ";
	static const char	 order[] = " ORDER BY r.end DESC, "
	    "r.received DESC, r.id DESC, p.id";
	sqlite3_stmt		*q = NULL, *fq = NULL;
	char			 sql[1024], *want = NULL;
	int			 rc = -1, step;

	snprintf(sql, sizeof(sql), "%s%s%s", select, n > 0 ?
	    "WHERE p.policy_domain IN (SELECT value FROM json_each(?))" : "",
	    order);
	if (n > 0 && (want = tlsrpt_domains_json(domains, n)) == NULL) {
		log_warnx("%s: out of memory, or a domain that is not UTF-8",
		    st->path);
		return -1;
	}
	if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, "SELECT result_type, sending_mta_ip, "
	    "receiving_mx_hostname, receiving_mx_helo, receiving_ip, count, "
	    "additional_information, failure_reason_code FROM failures "
	    "WHERE policy = ? ORDER BY id", -1, &fq, NULL) != SQLITE_OK) {
		store_fail(st, "cannot list reports");
		goto out;
	}
	if (want != NULL)
		sqlite3_bind_text(q, 1, want, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(q)) == SQLITE_ROW)
		if (list_row(st, q, fq, fn, arg) != 0)
			goto out;
	if (step != SQLITE_DONE) {
		store_fail(st, "cannot list reports");
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(q);
	sqlite3_finalize(fq);
	free(want);
	return rc;
}

/*
 * The policies of report rid, with their failures, into r (copy); 0, or
 * -1 after saying why.
 */
static int
each_policies(struct sqlite_store *st, sqlite3_stmt *pq, sqlite3_stmt *fq,
    sqlite3_int64 rid, struct tlsrpt_report *r)
{
	struct tlsrpt_policy	*p;
	const char		*id;
	size_t			 cap = 0;
	int			 step, nomem = 0;

	sqlite3_reset(pq);
	sqlite3_bind_int64(pq, 1, rid);
	while ((step = sqlite3_step(pq)) == SQLITE_ROW) {
		if ((p = buf_array_room(r->policies, r->npolicies, &cap,
		    sizeof(*p))) == NULL) {
			log_warnx("%s: out of memory", st->path);
			return -1;
		}
		r->policies = p;
		p = &r->policies[r->npolicies++];
		memset(p, 0, sizeof(*p));
		p->policy_type = column_dup(pq, 1, &nomem);
		p->policy_domain = column_dup(pq, 2, &nomem);
		if ((id = (const char *)sqlite3_column_text(pq, 4)) != NULL)
			snprintf(p->policy_id, sizeof(p->policy_id), "%s", id);
		p->successful = sqlite3_column_int64(pq, 6);
		p->failed = sqlite3_column_int64(pq, 7);
		if (nomem || p->policy_type == NULL ||
		    p->policy_domain == NULL) {
			log_warnx("%s: out of memory", st->path);
			return -1;
		}
		if (tlsrpt_strings_decode(
		    (const char *)sqlite3_column_text(pq, 3),
		    &p->policy_string, &p->npolicy_string) == -1 ||
		    tlsrpt_strings_decode(
		    (const char *)sqlite3_column_text(pq, 5),
		    &p->mx_host, &p->nmx_host) == -1) {
			log_warnx("%s: a stored policy-string or mx-host is "
			    "not a JSON array of strings (or out of memory)",
			    st->path);
			return -1;
		}
		if (list_failures(st, fq, sqlite3_column_int64(pq, 0), p) == -1)
			return -1;
	}
	if (step != SQLITE_DONE) {
		store_fail(st, "cannot read reports");
		return -1;
	}
	return 0;
}

static int
sqlite_each(struct tlsrpt_store *base,
    int (*fn)(const struct tlsrpt_stored *, void *), void *arg)
{
	struct sqlite_store	*st = SQ(base);
	sqlite3_stmt		*q = NULL, *pq = NULL, *fq = NULL;
	struct tlsrpt_report	 r;
	struct tlsrpt_stored	 one;
	const char		*via, *digest;
	int			 rc = -1, step, nomem, c;

	memset(&r, 0, sizeof(r));
	if (sqlite3_prepare_v2(st->db, "SELECT id, organization, report_id, "
	    "contact, begin, end, received, via, raw, digest FROM reports "
	    "ORDER BY id", -1, &q, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, "SELECT id, policy_type, "
	    "policy_domain, policy_string, policy_id, mx_host, successful, "
	    "failed FROM policies WHERE report = ? ORDER BY id", -1, &pq,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, "SELECT result_type, sending_mta_ip, "
	    "receiving_mx_hostname, receiving_mx_helo, receiving_ip, count, "
	    "additional_information, failure_reason_code FROM failures "
	    "WHERE policy = ? ORDER BY id", -1, &fq, NULL) != SQLITE_OK) {
		store_fail(st, "cannot read reports");
		goto out;
	}
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		nomem = 0;
		r.organization = column_dup(q, 1, &nomem);
		r.report_id = column_dup(q, 2, &nomem);
		r.contact = column_dup(q, 3, &nomem);
		r.begin = sqlite3_column_int64(q, 4);
		r.end = sqlite3_column_int64(q, 5);
		if ((digest = (const char *)sqlite3_column_text(q, 9)) != NULL)
			snprintf(r.digest, sizeof(r.digest), "%s", digest);
		one.report = &r;
		one.received = sqlite3_column_int64(q, 6);
		via = (const char *)sqlite3_column_text(q, 7);
		one.via = via != NULL && strcmp(via, "mail") == 0 ?
		    TLSRPT_VIA_MAIL : TLSRPT_VIA_HTTPS;
		one.raw = sqlite3_column_blob(q, 8);
		one.rawlen = (size_t)sqlite3_column_bytes(q, 8);
		if (nomem || r.organization == NULL || r.report_id == NULL) {
			log_warnx("%s: out of memory", st->path);
			goto out;
		}
		if (each_policies(st, pq, fq, sqlite3_column_int64(q, 0), &r) ==
		    -1)
			goto out;
		c = fn(&one, arg);
		tlsrpt_report_free(&r);
		if (c != 0)
			goto out;
	}
	if (step != SQLITE_DONE) {
		store_fail(st, "cannot read reports");
		goto out;
	}
	rc = 0;
out:
	tlsrpt_report_free(&r);
	sqlite3_finalize(q);
	sqlite3_finalize(pq);
	sqlite3_finalize(fq);
	return rc;
}

static long
sqlite_prune(struct tlsrpt_store *base, int64_t before)
{
	struct sqlite_store	*st = SQ(base);
	sqlite3_stmt	*s;
	long		 total = 0;
	int		 n;

	if (sqlite3_prepare_v2(st->db, "DELETE FROM reports WHERE id IN "
	    "(SELECT id FROM reports WHERE end < ? LIMIT ?)", -1, &s, NULL) !=
	    SQLITE_OK) {
		store_fail(st, "cannot prune the store");
		return -1;
	}
	do {
		if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
		    SQLITE_OK)
			goto fail;
		sqlite3_bind_int64(s, 1, before);
		sqlite3_bind_int(s, 2, TLSRPT_PRUNE_BATCH);
		if (store_step(s) != SQLITE_DONE)
			goto fail;
		n = sqlite3_changes(st->db);
		if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) !=
		    SQLITE_OK)
			goto fail;
		total += n;
	} while (n == TLSRPT_PRUNE_BATCH);
	sqlite3_finalize(s);
	return total;
fail:
	store_fail(st, "cannot prune the store");
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_finalize(s);
	return -1;
}

/*
 * The policies a config serves, as the summary needs them (issue 20):
 * when each was first served, and what the reports of a period add up
 * to.  Everything below only reads, except tlsrpt_store_served.
 */

/*
 * The policy id last recorded for each domain, into ids (one per
 * table domain, "" for none).  0, or -1 after saying why.
 */
static int
served_latest(struct sqlite_store *st, const struct table *t,
    char (*ids)[POLICY_ID_LEN + 1])
{
	sqlite3_stmt		*q;
	const struct table_domain *d;
	const char		*dom, *id;
	int			 step;

	if (sqlite3_prepare_v2(st->db, "SELECT domain, policy_id FROM served "
	    "WHERE id IN (SELECT max(id) FROM served GROUP BY domain)", -1, &q,
	    NULL) != SQLITE_OK) {
		store_fail(st, "cannot read the served policies");
		return -1;
	}
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		dom = (const char *)sqlite3_column_text(q, 0);
		id = (const char *)sqlite3_column_text(q, 1);
		if (dom == NULL || id == NULL ||
		    (d = table_find(t, dom, strlen(dom))) == NULL)
			continue;
		snprintf(ids[d - t->domains], POLICY_ID_LEN + 1, "%s", id);
	}
	sqlite3_finalize(q);
	if (step != SQLITE_DONE) {
		store_fail(st, "cannot read the served policies");
		return -1;
	}
	return 0;
}

/* The rows for the domains marked in ids; 0, or -1 (see errmsg). */
static int
served_insert(struct sqlite_store *st, const struct table *t,
    char (*ids)[POLICY_ID_LEN + 1], int64_t now)
{
	sqlite3_stmt		*s;
	const struct policy	*p;
	enum policy_mode	 mode;
	unsigned long		 max_age;
	size_t			 i;
	int			 rc = -1;

	if (sqlite3_prepare_v2(st->db, "INSERT INTO served (domain, "
	    "policy_id, mode, max_age, first_seen) VALUES (?, ?, ?, ?, ?)", -1,
	    &s, NULL) != SQLITE_OK)
		return -1;
	for (i = 0; i < t->ndomains; i++) {
		if (ids[i][0] == '\0')
			continue;
		p = &t->policies[t->domains[i].policy];
		if (tlsrpt_store_policy_spec(p, &mode, &max_age) == -1)
			continue;	/* not a policy of ours: never */
		sqlite3_reset(s);
		bind_text(s, 1, t->domains[i].name);
		bind_text(s, 2, p->id);
		bind_text(s, 3, policy_mode_name(mode));
		sqlite3_bind_int64(s, 4, (sqlite3_int64)max_age);
		sqlite3_bind_int64(s, 5, now);
		if (sqlite3_step(s) != SQLITE_DONE)
			goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(s);
	return rc;
}

static long
sqlite_served(struct tlsrpt_store *base, const struct table *t,
    int64_t now)
{
	struct sqlite_store	*st = SQ(base);
	char	(*ids)[POLICY_ID_LEN + 1];
	long	 n = -1;

	if (t->ndomains == 0 || sqlite3_db_readonly(st->db, "main") == 1)
		return 0;
	if ((ids = calloc(t->ndomains, sizeof(*ids))) == NULL) {
		log_warnx("%s: out of memory", st->path);
		return -1;
	}
	/*
	 * Looked at without the write lock first: most loads change
	 * nothing, and then take no lock at all.  Again under the lock,
	 * since another process may record the same change meanwhile.
	 */
	if (served_latest(st, t, ids) == -1)
		goto out;
	if (tlsrpt_served_changed(t, ids) == 0) {
		n = 0;
		goto out;
	}
	memset(ids, 0, t->ndomains * sizeof(*ids));
	if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		store_fail(st, "cannot record the served policies");
		goto out;
	}
	if (served_latest(st, t, ids) == -1)
		goto fail;
	n = (long)tlsrpt_served_changed(t, ids);
	if (served_insert(st, t, ids, now) == -1 ||
	    sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		store_fail(st, "cannot record the served policies");
		goto fail;
	}
	goto out;
fail:
	n = -1;
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
out:
	free(ids);
	return n;
}

/*
 * A sum of counts as SQLite's total() gives it (a double, so that no
 * sum of hostile counts overflows and fails the query), back to an
 * integer, saturated.
 */
static int64_t
column_total(sqlite3_stmt *s, int i)
{
	double	 d = sqlite3_column_double(s, i);

	if (!(d > 0))
		return 0;
	if (d >= 9223372036854775807.0)
		return INT64_MAX;
	return (int64_t)d;
}

/*
 * Runs an aggregation over the period: sql holds "%s" where the join
 * of policies and reports goes, then "%s" where the domain filter goes;
 * ?1 and ?2 are since and until, ?3 the domains.  row(q,
 * ctx) turns a result row into the caller's call and returns its
 * result.  0, or -1 after saying why.
 */
static int
period_query(struct sqlite_store *st, const struct tlsrpt_store_period *pd,
    const char *sql, int (*row)(sqlite3_stmt *, void *), void *ctx)
{
	sqlite3_stmt	*q = NULL;
	char		 text[2048], *want = NULL;
	int		 rc = -1, step;

	/*
	 * Named domains: their policies first (policies_domain_report).
	 * Every domain: the period's reports first (reports_end), then
	 * their policies, so that the work follows the period and not the
	 * store (CROSS JOIN keeps SQLite to that order).
	 */
	if (pd->ndomains > 0)
		snprintf(text, sizeof(text), sql,
		    "policies p JOIN reports r ON r.id = p.report",
		    "p.policy_domain IN (SELECT value FROM json_each(?3)) AND");
	else
		snprintf(text, sizeof(text), sql,
		    "reports r CROSS JOIN policies p ON p.report = r.id", "");
	if (pd->ndomains > 0 &&
	    (want = tlsrpt_domains_json(pd->domains, pd->ndomains)) == NULL) {
		log_warnx("%s: out of memory", st->path);
		return -1;
	}
	if (sqlite3_prepare_v2(st->db, text, -1, &q, NULL) != SQLITE_OK) {
		store_fail(st, "cannot summarise reports");
		goto out;
	}
	sqlite3_bind_int64(q, 1, pd->since);
	sqlite3_bind_int64(q, 2, pd->until);
	if (want != NULL)
		sqlite3_bind_text(q, 3, want, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(q)) == SQLITE_ROW)
		if (row(q, ctx) != 0)
			goto out;
	if (step != SQLITE_DONE) {
		store_fail(st, "cannot summarise reports");
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(q);
	free(want);
	return rc;
}

/*
 * The reports of the period: those whose date-range's midpoint is in
 * [since, until), so that a day's report (00:00 to 23:59:59, or to the
 * next 00:00 as some senders write) counts on its day.  r.end >= since
 * lets the planner use reports_end when no domain is named.
 */
#define PERIOD_WHERE	" WHERE %s r.end >= ?1 AND r.begin < ?2 AND " \
	"(r.begin + r.end) / 2 >= ?1 AND (r.begin + r.end) / 2 < ?2 "

struct applied_ctx {
	int	(*fn)(const struct tlsrpt_applied_row *, void *);
	void	*arg;
};

static int
applied_row(sqlite3_stmt *q, void *ctx)
{
	struct applied_ctx		*c = ctx;
	struct tlsrpt_applied_row	 a;

	a.domain = (const char *)sqlite3_column_text(q, 0);
	a.organization = (const char *)sqlite3_column_text(q, 1);
	a.policy_type = (const char *)sqlite3_column_text(q, 2);
	a.policy_id = (const char *)sqlite3_column_text(q, 3);
	a.reports = sqlite3_column_int64(q, 4);
	a.successful = column_total(q, 5);
	a.failed = column_total(q, 6);
	a.first = sqlite3_column_int64(q, 7);
	a.last = sqlite3_column_int64(q, 8);
	a.last_begin = sqlite3_column_int64(q, 9);
	a.max_age = tlsrpt_policy_string_max_age(
	    (const char *)sqlite3_column_text(q, 10));
	if (a.domain == NULL || a.organization == NULL ||
	    a.policy_type == NULL || a.policy_id == NULL) {
		log_warnx("cannot summarise reports: out of memory");
		return -1;
	}
	return c->fn(&a, c->arg);
}

static int
sqlite_applied(struct tlsrpt_store *base,
    const struct tlsrpt_store_period *pd,
    int (*fn)(const struct tlsrpt_applied_row *, void *), void *arg)
{
	struct sqlite_store	*st = SQ(base);
	struct applied_ctx	 c = { fn, arg };

	return period_query(st, pd, "SELECT p.policy_domain, r.organization, "
	    "p.policy_type, p.policy_id, count(*), total(p.successful), "
	    "total(p.failed), min(r.end), max(r.end), max(r.begin), "
	    "min(p.policy_string) "
	    "FROM %s" PERIOD_WHERE
	    "GROUP BY p.policy_domain, r.organization, p.policy_type, "
	    "p.policy_id ORDER BY p.policy_domain, r.organization, "
	    "p.policy_type, p.policy_id", applied_row, &c);
}

struct failure_ctx {
	int	(*fn)(const struct tlsrpt_failure_row *, void *);
	void	*arg;
};

static int
failure_row(sqlite3_stmt *q, void *ctx)
{
	struct failure_ctx		*c = ctx;
	struct tlsrpt_failure_row	 f;

	f.domain = (const char *)sqlite3_column_text(q, 0);
	f.policy_type = (const char *)sqlite3_column_text(q, 1);
	f.result_type = (const char *)sqlite3_column_text(q, 2);
	f.receiving_mx = (const char *)sqlite3_column_text(q, 3);
	f.organization = (const char *)sqlite3_column_text(q, 4);
	f.reason = (const char *)sqlite3_column_text(q, 5);
	f.count = column_total(q, 6);
	f.first = sqlite3_column_int64(q, 7);
	f.last = sqlite3_column_int64(q, 8);
	if (f.domain == NULL || f.policy_type == NULL ||
	    f.result_type == NULL || f.organization == NULL) {
		log_warnx("cannot summarise reports: out of memory");
		return -1;
	}
	return c->fn(&f, c->arg);
}

static int
sqlite_failures(struct tlsrpt_store *base,
    const struct tlsrpt_store_period *pd,
    int (*fn)(const struct tlsrpt_failure_row *, void *), void *arg)
{
	struct sqlite_store	*st = SQ(base);
	struct failure_ctx	 c = { fn, arg };

	/* MX host names as DNS compares them: case and a final dot aside. */
	return period_query(st, pd, "SELECT p.policy_domain, p.policy_type, "
	    "f.result_type, nullif(lower(rtrim(f.receiving_mx_hostname, "
	    "'.')), '') AS mx, r.organization, f.failure_reason_code, "
	    "total(f.count), min(r.end), max(r.end) "
	    "FROM %s CROSS JOIN failures f ON f.policy = p.id" PERIOD_WHERE
	    "GROUP BY p.policy_domain, p.policy_type, f.result_type, mx, "
	    "r.organization, f.failure_reason_code "
	    "ORDER BY p.policy_domain, 7 DESC, f.result_type, mx, "
	    "r.organization, f.failure_reason_code, p.policy_type",
	    failure_row, &c);
}

struct day_ctx {
	int	(*fn)(const struct tlsrpt_day_row *, void *);
	void	*arg;
};

static int
day_row(sqlite3_stmt *q, void *ctx)
{
	struct day_ctx		*c = ctx;
	struct tlsrpt_day_row	 d;

	d.domain = (const char *)sqlite3_column_text(q, 0);
	d.organization = (const char *)sqlite3_column_text(q, 1);
	d.day = sqlite3_column_int64(q, 2);
	d.reports = sqlite3_column_int64(q, 3);
	d.successful = column_total(q, 4);
	d.failed = column_total(q, 5);
	d.last = sqlite3_column_int64(q, 6);
	if (d.domain == NULL || d.organization == NULL) {
		log_warnx("cannot summarise reports: out of memory");
		return -1;
	}
	return c->fn(&d, c->arg);
}

static int
sqlite_days(struct tlsrpt_store *base,
    const struct tlsrpt_store_period *pd,
    int (*fn)(const struct tlsrpt_day_row *, void *), void *arg)
{
	struct sqlite_store	*st = SQ(base);
	struct day_ctx	 c = { fn, arg };

	return period_query(st, pd, "SELECT p.policy_domain, r.organization, "
	    "(r.begin + r.end) / 2 / 86400 * 86400 AS day, count(*), "
	    "total(p.successful), total(p.failed), max(r.end) "
	    "FROM %s" PERIOD_WHERE
	    "GROUP BY p.policy_domain, r.organization, day "
	    "ORDER BY p.policy_domain, r.organization, day", day_row, &c);
}

static int
sqlite_served_list(struct tlsrpt_store *base,
    const char *const *domains, size_t n,
    int (*fn)(const struct tlsrpt_served_row *, void *), void *arg)
{
	struct sqlite_store	*st = SQ(base);
	struct tlsrpt_served_row	 s;
	sqlite3_stmt			*q = NULL;
	const char			*mode;
	char				*want = NULL, sql[256];
	int				 rc = -1, step;

	snprintf(sql, sizeof(sql), "SELECT domain, policy_id, mode, max_age, "
	    "first_seen FROM served %s ORDER BY domain, id", n > 0 ?
	    "WHERE domain IN (SELECT value FROM json_each(?1))" : "");
	if (n > 0 && (want = tlsrpt_domains_json(domains, n)) == NULL) {
		log_warnx("%s: out of memory", st->path);
		return -1;
	}
	if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK) {
		store_fail(st, "cannot read the served policies");
		goto out;
	}
	if (want != NULL)
		sqlite3_bind_text(q, 1, want, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		s.domain = (const char *)sqlite3_column_text(q, 0);
		s.policy_id = (const char *)sqlite3_column_text(q, 1);
		mode = (const char *)sqlite3_column_text(q, 2);
		s.mode = mode == NULL ? POLICY_NONE :
		    strcmp(mode, "enforce") == 0 ? POLICY_ENFORCE :
		    strcmp(mode, "testing") == 0 ? POLICY_TESTING : POLICY_NONE;
		s.max_age = (unsigned long)sqlite3_column_int64(q, 3);
		s.first_seen = sqlite3_column_int64(q, 4);
		if (s.domain == NULL || s.policy_id == NULL) {
			log_warnx("%s: out of memory", st->path);
			goto out;
		}
		if (fn(&s, arg) != 0)
			goto out;
	}
	if (step != SQLITE_DONE) {
		store_fail(st, "cannot read the served policies");
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(q);
	free(want);
	return rc;
}

static int
sqlite_served_add(struct tlsrpt_store *base,
    const struct tlsrpt_served_row *row)
{
	struct sqlite_store	*st = SQ(base);
	sqlite3_stmt		*s;
	int			 rc = -1;

	if (sqlite3_prepare_v2(st->db, "INSERT INTO served (domain, "
	    "policy_id, mode, max_age, first_seen) SELECT ?1, ?2, ?3, ?4, ?5 "
	    "WHERE NOT EXISTS (SELECT 1 FROM served WHERE domain = ?1 AND "
	    "policy_id = ?2 AND first_seen = ?5)", -1, &s, NULL) !=
	    SQLITE_OK) {
		store_fail(st, "cannot record a served policy");
		return -1;
	}
	bind_text(s, 1, row->domain);
	bind_text(s, 2, row->policy_id);
	bind_text(s, 3, policy_mode_name(row->mode));
	sqlite3_bind_int64(s, 4, (sqlite3_int64)row->max_age);
	sqlite3_bind_int64(s, 5, row->first_seen);
	if (sqlite3_step(s) != SQLITE_DONE)
		store_fail(st, "cannot record a served policy");
	else
		rc = sqlite3_changes(st->db) > 0;
	sqlite3_finalize(s);
	return rc;
}

static int
sqlite_version(const struct tlsrpt_store *base)
{
	return ((const struct sqlite_store *)(const void *)base)->version;
}

/* A group of adds: the write lock for all of them, one commit. */
static int
sqlite_begin(struct tlsrpt_store *base)
{
	struct sqlite_store	*st = SQ(base);

	if (store_here(st) == -1 || store_exec(st, "BEGIN IMMEDIATE",
	    "cannot begin a transaction") == -1)
		return -1;
	st->in_tx = 1;
	return 0;
}

static int
sqlite_commit(struct tlsrpt_store *base)
{
	struct sqlite_store	*st = SQ(base);

	st->in_tx = 0;
	if (store_exec(st, "COMMIT", "cannot commit the transaction") == -1) {
		if (!sqlite3_get_autocommit(st->db))
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

const struct tlsrpt_store_ops tlsrpt_sqlite_ops = {
	.name = "SQLite",
	.open = sqlite_open,
	.close = sqlite_close,
	.version = sqlite_version,
	.begin = sqlite_begin,
	.commit = sqlite_commit,
	.add = sqlite_add,
	.list = sqlite_list,
	.each = sqlite_each,
	.prune = sqlite_prune,
	.served = sqlite_served,
	.served_add = sqlite_served_add,
	.served_list = sqlite_served_list,
	.applied = sqlite_applied,
	.failures = sqlite_failures,
	.days = sqlite_days,
};
