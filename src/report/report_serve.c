/* SPDX-License-Identifier: ISC */
/*
 * mta-sts-report with no command: reports POSTed over HTTPS (RFC 8460
 * §5.4), received through the same FastCGI core as the responder's
 * (src/serve/): the same options, socket sources, supervisor, reload,
 * workers, wire parser and sandbox.  What is the receiver's own is the
 * struct serve_app below:
 *   - the body is kept by the wire parser, up to [reports] body_max,
 *     and refused with 413 as soon as more arrives, so a large body is
 *     never held whole;
 *   - the image holds the table (its [domain] sections are the domains
 *     served: a report about any other is refused with 403) and, after
 *     it, the [reports] limits, so SIGHUP changes both at once;
 *   - each worker opens the store before its seccomp filter, and, if
 *     the store fails later (full, read-only, gone), answers 503 so the
 *     sender retries (§5.5), closes it and opens it again for a later
 *     request;
 *   - started as root, a worker of an SQLite store chroots into the
 *     database's directory instead of an empty one: SQLite touches only
 *     the database and its -wal, -shm and -journal files, all in that
 *     directory, so the worker sees nothing else of the file system;
 *     its filter allows what SQLite needs for those files, and nothing
 *     of the network beyond the sockets the core already has;
 *   - a worker of a PostgreSQL store is not chrooted (libpq reads its
 *     files when it connects again) and its filter allows what libpq
 *     needs to connect (pg_calls), and still no exec or new process;
 *   - what each config serves is recorded in the store
 *     (tlsrpt_store_served: since when each policy is served, for the
 *     summary), at start and at every reload, by the core's recorder
 *     (serve_app record): a child that runs as the workers' user, so
 *     that the store's files are never root's, and that serving never
 *     waits for; a failure is said (once a minute at most) and changes
 *     nothing else.
 * A request is then: POST only (405), a report media type (415), then
 * report_accept_body (400, 403, 413), then tlsrpt_store_add: 201 only
 * once the report is durably stored, 200 if it was already, 503 only
 * when the store cannot take it.  Bad input never gets a 5xx.
 */
#include <fcntl.h>
#include <limits.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "report/report.h"
#include "serve/serve.h"

#define PART_MAGIC	0x52505453u	/* "STPR" as a little-endian word */
#define PART_VERSION	1
#define PART_LEN	24		/* magic, version, two sizes */
#define TYPE_MAX	256		/* bytes of a Content-Type we read */
#define WHY_MAX		512		/* a refusal's reason */
#define LOG_EVERY_MS	60000		/* one store message a minute */
#define CT		"Content-Type: text/plain; charset=utf-8\r\n"

/* What the supervisor learnt from the first config; workers inherit it. */
static struct {
	enum database_kind kind;
	char	 database[PATH_MAX];	/* as configured */
	char	 path[PATH_MAX];	/* as a worker opens it */
} served;

static struct serve_app	 receiver;

/*
 * What libpq does in a serving worker when it connects again (the
 * first connection is made before the filter), seen with strace through
 * a database restart, over a Unix socket and over TCP with TLS
 * (sslmode=verify-full) and a host name: read the service, password
 * and CA files and resolv.conf and hosts (openat, fstat, lseek), look
 * up the user's home directory in /etc/passwd, resolve the host (a UDP
 * socket, connect, sendmmsg, recvfrom, poll, ioctl FIONREAD), open the
 * connection (socket, connect, getsockopt for its result, getsockname,
 * getpeername, setsockopt TCP_NODELAY and keepalives), send and receive
 * (sendto, recvfrom, the core's), keep SIGPIPE from a broken TLS
 * connection from killing the worker (rt_sigprocmask, rt_sigpending,
 * rt_sigtimedwait), random numbers for TLS and SCRAM (getrandom), and
 * the ids libpq asks (getuid, geteuid, getpid), and the directory
 * Kerberos lists if a database string asks for GSSAPI encryption
 * (getdents64; the backend turns it off by default, and a Kerberos
 * that loads a mechanism would need executable mappings, which no
 * worker gets).  No exec, no new process, no listening socket.
 */
static const int	 pg_calls[] = {
	SCMP_SYS(socket), SCMP_SYS(connect), SCMP_SYS(getsockopt),
	SCMP_SYS(getsockname), SCMP_SYS(getpeername), SCMP_SYS(sendmsg),
	SCMP_SYS(sendmmsg), SCMP_SYS(ioctl),
	SCMP_SYS(openat), SCMP_SYS(newfstatat), SCMP_SYS(fstat),
	SCMP_SYS(lseek), SCMP_SYS(access), SCMP_SYS(faccessat),
	SCMP_SYS(faccessat2), SCMP_SYS(readlink), SCMP_SYS(getdents64),
	SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigpending),
	SCMP_SYS(rt_sigtimedwait), SCMP_SYS(getrandom), SCMP_SYS(futex),
	SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid),
	SCMP_SYS(getegid), SCMP_SYS(getpid), SCMP_SYS(uname),
	SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep),
};

/* A worker's state: its store, NULL until it opens. */
struct worker_store {
	struct tlsrpt_store	*st;
	int64_t			 logged;	/* rate-limits the message */
};

/* The receiver's part of an image: its limits. */
static size_t
part_size(const struct conf *conf)
{
	(void)conf;
	return PART_LEN;
}

static void
part_write(const struct conf *conf, unsigned char *p, size_t len)
{
	uint32_t	 v[2] = { PART_MAGIC, PART_VERSION };
	uint64_t	 limits[2] = { conf->reports.body_max,
	    conf->reports.inflated_max };

	if (len != PART_LEN) {
		memset(p, 0, len);	/* refused by part_check */
		return;
	}
	memcpy(p, v, sizeof(v));
	memcpy(p + sizeof(v), limits, sizeof(limits));
}

/* The limits in a part that part_check accepted. */
static void
part_limits(const struct serve_image *img, struct report_limits *lim)
{
	uint64_t	 limits[2];

	memcpy(limits, img->part + 8, sizeof(limits));
	lim->body_max = (size_t)limits[0];
	lim->inflated_max = (size_t)limits[1];
}

static int
part_check(const unsigned char *p, size_t len)
{
	uint32_t	 v[2];
	uint64_t	 limits[2];

	if (len != PART_LEN)
		return -1;
	memcpy(v, p, sizeof(v));
	memcpy(limits, p + sizeof(v), sizeof(limits));
	/* A body is held whole in memory: bounded as conf.c bounds it. */
	return v[0] == PART_MAGIC && v[1] == PART_VERSION &&
	    limits[0] > 0 && limits[0] <= SIZE_MAX / 2 &&
	    limits[1] >= limits[0] && limits[1] <= SIZE_MAX / 2 ? 0 : -1;
}

static size_t
app_body_max(const struct serve_image *img)
{
	struct report_limits	 lim;

	part_limits(img, &lim);
	return lim.body_max;
}

/*
 * The first config: where the store is.  A worker that chroots into its
 * directory opens it by its name there (app_root_dir).
 */
static int
app_loaded(const struct conf *conf)
{
	const char	*db = conf->reports.database;
	char		 why[CONF_REPORTS_PATH_MAX + 160];

	if (db == NULL || strlen(db) >= sizeof(served.path) ||
	    (served.kind = database_kind(db, why, sizeof(why))) ==
	    DATABASE_NONE) {
		log_warnx("database: want an absolute path, a postgresql:// "
		    "URI or service=NAME of fewer than %zu bytes",
		    sizeof(served.path));
		return -1;
	}
	memcpy(served.database, db, strlen(db) + 1);
	memcpy(served.path, db, strlen(db) + 1);
	if (served.kind == DATABASE_POSTGRESQL) {
		receiver.syscalls = pg_calls;
		receiver.nsyscalls = sizeof(pg_calls) / sizeof(pg_calls[0]);
	}
	return 0;
}

/*
 * Started as root: the database's directory, for every worker's chroot
 * (sandbox.c); a worker then opens the database as "/name".
 */
static int
app_root_dir(void)
{
	const char	*base;
	char		 dir[PATH_MAX];
	size_t		 n;
	int		 fd;

	/*
	 * PostgreSQL: libpq reads what it (re)connects with wherever the
	 * operator keeps it (the service and password files, the CA,
	 * resolv.conf and hosts), so the workers keep the file system as
	 * their user sees it; their filter (pg_calls) still allows no
	 * exec, no new process and no writable executable memory.
	 */
	if (served.kind == DATABASE_POSTGRESQL) {
		if ((fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
			log_warn("/");
		return fd;
	}
	base = strrchr(served.database, '/') + 1;
	n = (size_t)(base - served.database);
	if (*base == '\0') {
		log_warnx("database %s: names a directory, not a file",
		    served.database);
		return -1;
	}
	memcpy(dir, served.database, n);
	dir[n] = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		log_warn("database directory %s", dir);
		return -1;
	}
	snprintf(served.path, sizeof(served.path), "/%s", base);
	return fd;
}

/* Opens the worker's store if it is not open; 0, or -1 (said so). */
static int
store_open(struct worker_store *ws)
{
	int64_t	 now = clock_ms();
	int	 saved = log_quiet, quiet;

	if (ws->st != NULL)
		return 0;
	/* Said once a minute at most: a sender may retry every second. */
	quiet = ws->logged != 0 && now - ws->logged < LOG_EVERY_MS;
	log_quiet = saved || quiet;
	if (tlsrpt_store_open(&ws->st, served.path,
	    TLSRPT_STORE_OPEN_CREATE) == -1) {
		ws->st = NULL;
		if (served.kind == DATABASE_SQLITE &&
		    strcmp(served.path, served.database) != 0)
			log_warnx("%s: a worker, chrooted into its directory, "
			    "names it %s; reports are answered 503 until it "
			    "can open it", served.database, served.path);
		if (!quiet)
			ws->logged = now;
	}
	log_quiet = saved;
	return ws->st != NULL ? 0 : -1;
}

static void
store_close(struct worker_store *ws)
{
	if (ws->st != NULL)
		tlsrpt_store_close(ws->st);
	ws->st = NULL;
}

/* Before the filter: the store, or none yet (503 until it opens). */
static int
app_worker_start(void **ctx)
{
	struct worker_store	*ws;

	if ((ws = calloc(1, sizeof(*ws))) == NULL)
		return -1;
	store_open(ws);
	*ctx = ws;
	return 0;
}

static void
app_worker_end(void *ctx)
{
	if (ctx != NULL)
		store_close(ctx);
	free(ctx);
}

/*
 * A response: status, headers (Allow if given), and a one-line body,
 * text/plain, or no body for HEAD; into buf, its length, or 0 if it
 * does not fit.
 */
static size_t
response(char *buf, size_t size, int status, const char *allow,
    const char *line, int head)
{
	static const struct {
		int		 status;
		const char	*reason;
	} reasons[] = {
		{ 200, "OK" }, { 201, "Created" }, { 400, "Bad Request" },
		{ 403, "Forbidden" }, { 405, "Method Not Allowed" },
		{ 413, "Payload Too Large" },
		{ 415, "Unsupported Media Type" },
		{ 503, "Service Unavailable" },
		{ 500, "Internal Server Error" },	/* any other */
	};
	size_t	 i;
	int	 n;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]) - 1; i++)
		if (reasons[i].status == status)
			break;
	n = snprintf(buf, size, "Status: %d %s\r\n%s%s%s" CT
	    "Content-Length: %zu\r\n\r\n", reasons[i].status,
	    reasons[i].reason, allow != NULL ? "Allow: " : "",
	    allow != NULL ? allow : "", allow != NULL ? "\r\n" : "",
	    strlen(line) + 1);
	/* HEAD: the same headers, no body. */
	if (n > 0 && (size_t)n < size && !head)
		n += snprintf(buf + n, size - (size_t)n, "%s\n", line);
	return n < 0 || (size_t)n >= size ? 0 : (size_t)n;
}

/* Why the core refused a head (wire.c), in our words. */
static const char *
bad_head(enum wire_bad why)
{
	_Static_assert(WIRE_PARAMS_MAX == 1024 && WIRE_HEAD_MAX == 65536,
	    "the reasons below name the core's limits");
	switch (why) {
	case WIRE_BAD_NUL:
		return "a NUL byte in a request parameter";
	case WIRE_BAD_TOO_MANY:
		return "more than 1024 request parameters";
	default:
		return "request parameters larger than 64 KiB";
	}
}

/* The core's own refusals (serve_app status), said as ours are. */
static const char *
app_status(int status, const struct wire_parser *wp, size_t *len)
{
	static char	 buf[256];

	*len = response(buf, sizeof(buf), status, NULL, status == 400 ?
	    bad_head(wp->bad) : status == 413 ?
	    "report larger than this receiver's body_max" : status == 503 ?
	    "too many reports arriving at once; try again later" :
	    "Internal Server Error", wp->pairs.head);
	return buf;
}

/* Our answer to the request wp has parsed, framed into out. */
static long
answer(const struct wire_parser *wp, int status, const char *allow,
    const char *line, unsigned char *out, size_t size)
{
	char	 buf[WHY_MAX + 512];
	size_t	 n;

	if ((n = response(buf, sizeof(buf), status, allow, line,
	    wp->pairs.head)) == 0)
		return -1;
	return (long)wire_response(wp->request_id, buf, n, out, size);
}

/* Is the parameter name exactly want? */
static int
param_is(const struct wire_parser *wp, const char *name, const char *want)
{
	const char	*v;
	size_t		 len;

	v = wire_param(wp, name, &len);
	return v != NULL && len == strlen(want) && memcmp(v, want, len) == 0;
}

/* The media type of the request's Content-Type. */
static enum report_encoding
encoding(const struct wire_parser *wp)
{
	const char	*v;
	char		 type[TYPE_MAX];
	size_t		 len;

	if ((v = wire_param(wp, "CONTENT_TYPE", &len)) == NULL ||
	    len >= sizeof(type))
		return REPORT_ENCODING_OTHER;
	memcpy(type, v, len);
	type[len] = '\0';
	return report_accept_encoding(type);
}

/* A policy domain is served if it has a [domain] section. */
static int
served_domain(const char *domain, void *arg)
{
	return image_domain(arg, domain, strlen(domain));
}

/*
 * The store's answer for r: 201, 200 or 503.  A store that failed is
 * closed, to be opened again for a later request.
 */
static int
store(struct worker_store *ws, const struct tlsrpt_report *r,
    const unsigned char *raw, size_t rawlen)
{
	enum tlsrpt_store_result	 res;

	if (store_open(ws) == -1)
		return 503;
	res = tlsrpt_store_add(ws->st, r, TLSRPT_VIA_HTTPS, raw, rawlen,
	    (int64_t)time(NULL));
	if (res == TLSRPT_STORE_UNAVAILABLE || res == TLSRPT_STORE_CORRUPT)
		store_close(ws);
	return report_accept_status(res);
}

static long
app_serve(void *ctx, const struct serve_image *img,
    const struct wire_parser *wp, unsigned char *out, size_t size)
{
	struct report_limits	 lim;
	struct tlsrpt_report	 r;
	enum report_encoding	 enc;
	const unsigned char	*body;
	unsigned char		*raw = NULL;
	char			 why[WHY_MAX];
	size_t			 len, rawlen;
	long			 n;
	int			 status;

	/*
	 * As the responder: a 201 to an AUTHORIZER would mean "allow", and
	 * a FILTER's data is not a report (FastCGI 1.0 §6.3, §6.4).
	 */
	if (wp->role != WIRE_RESPONDER)
		return answer(wp, 403, NULL, "only the FastCGI RESPONDER role "
		    "is served here", out, size);
	/* RFC 8460 §5.4: reports are POSTed; nothing else is served. */
	if (!param_is(wp, "REQUEST_METHOD", "POST"))
		return answer(wp, 405, "POST", "only POST is served here: "
		    "TLS reports (RFC 8460)", out, size);
	if ((enc = encoding(wp)) == REPORT_ENCODING_OTHER)
		return answer(wp, 415, NULL, "want Content-Type "
		    "application/tlsrpt+gzip or application/tlsrpt+json",
		    out, size);
	part_limits(img, &lim);
	if ((body = wire_body(wp, &len)) == NULL)
		body = (const unsigned char *)"";
	memset(&r, 0, sizeof(r));
	status = report_accept_body(&lim, enc, body, len, (int64_t)time(NULL),
	    served_domain, (void *)&img->table, &r, &raw, &rawlen, why,
	    sizeof(why));
	if (status != 0)
		return answer(wp, status, NULL, why, out, size);
	status = store(ctx, &r, raw, rawlen);
	tlsrpt_report_free(&r);
	free(raw);
	n = answer(wp, status, NULL, status == 201 ? "stored" :
	    status == 200 ? "already stored" : "the store is unavailable; "
	    "try again later", out, size);
	return n;
}

/*
 * What SQLite does with the database and its -wal, -shm and -journal
 * files in a serving worker (seen with strace, from a first open that
 * fails through creation, WAL, a duplicate and a reopen): open them
 * (again, after a failure) and create them, open the directory to sync
 * it, read and write at offsets, sync, lock (fcntl, allowed already),
 * size (ftruncate), look for them by path (stat, access) and remove a
 * journal or a last connection's -wal and -shm (unlink), resolve a
 * symbolic link in the path (readlink), give a new file the database's
 * mode (fchmod), map the -shm file shared (mmap without PROT_EXEC, as
 * the core allows), sleep while another process holds the lock (the
 * busy timeout: clock_nanosleep, seen only under load), and check that
 * the process was not forked (getpid) and whether it is root (geteuid,
 * before a chown it then skips).  No socket, no exec, no new process:
 * the network is what the core has.
 */
static const int	 store_calls[] = {
	SCMP_SYS(openat), SCMP_SYS(pread64), SCMP_SYS(pwrite64),
	SCMP_SYS(fsync), SCMP_SYS(fdatasync), SCMP_SYS(ftruncate),
	SCMP_SYS(newfstatat), SCMP_SYS(access), SCMP_SYS(faccessat),
	SCMP_SYS(faccessat2), SCMP_SYS(unlink), SCMP_SYS(readlink),
	SCMP_SYS(fchmod), SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep),
	SCMP_SYS(getpid), SCMP_SYS(geteuid),
};

/*
 * What conf serves, recorded in the workers' store (the first config's
 * database, as a reload's does not change it): in the core's recorder,
 * as the workers' user, unconfined.  Whatever the store says goes on
 * one line that says what it cost.
 */
static int
app_record(const struct conf *conf)
{
	struct tlsrpt_store	*st;
	long			 n = -1;

	log_progname = REPORT_PROGNAME ": the served policies are not "
	    "recorded";
	if (tlsrpt_store_open(&st, served.database,
	    TLSRPT_STORE_OPEN_CREATE) == 0) {
		n = tlsrpt_store_served(st, &conf->table, (int64_t)time(NULL));
		tlsrpt_store_close(st);
	}
	return n == -1 ? -1 : 0;
}

/*
 * Once in the supervisor: jansson's hash seed from /dev/urandom, which
 * no worker can open (chrooted, or filtered); the workers inherit it.
 */
static int
app_init(void)
{
	report_json_init();
	return 0;
}

static struct serve_app	 receiver = {
	.name = REPORT_PROGNAME,
	.loaded = app_loaded,
	.init = app_init,
	.root_dir = app_root_dir,
	.image_size = part_size,
	.image_write = part_write,
	.image_check = part_check,
	.body_max = app_body_max,
	.keep_body = 1,
	.worker_start = app_worker_start,
	.worker_end = app_worker_end,
	.serve = app_serve,
	.status = app_status,
	.syscalls = store_calls,
	.nsyscalls = sizeof(store_calls) / sizeof(store_calls[0]),
	.record = app_record,
};

int
report_serve(const char *file, int argc, char **argv)
{
	struct serve_opts	 o;
	char			 why[256];
	int			 ch;

	memset(&o, 0, sizeof(o));
	optind = 0;		/* report_main's getopt has run */
	opterr = 0;
	while ((ch = getopt(argc, argv, ":" SERVE_GETOPT)) != -1)
		if (!serve_option(&o, ch, optarg)) {
			log_warnx("%s -%c", ch == ':' ? "a value is missing "
			    "after" : "unknown option", optopt);
			return EX_USAGE;
		}
	if (optind < argc) {
		log_warnx("unexpected argument \"%s\"", argv[optind]);
		return EX_USAGE;
	}
	if (serve_check(&o, why, sizeof(why)) == -1) {
		log_warnx("%s", why);
		return EX_USAGE;
	}
	return serve_run(&receiver, &o, file, 0);
}
