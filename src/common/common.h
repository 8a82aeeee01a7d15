/* SPDX-License-Identifier: ISC */
/*
 * common: what every program links, one commented section per module.
 * Only conf.c includes ini.h; the rest is pure or plain libc (and libmd
 * for policy ids), so it links into unit tests and fuzzers as it is.
 * A program's own header includes this one; no program includes
 * another program's header.
 */
#ifndef MTA_STS_COMMON_H
#define MTA_STS_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PROGNAME	"mta-sts-fcgi"
#ifndef VERSION
#define VERSION		"0.1.0"
#endif
#ifndef SYSCONFDIR
#define SYSCONFDIR	"/usr/local/etc"	/* the Makefile sets it */
#endif
/* The config both programs read when given none (-c, the environment). */
#define CONF_DEFAULT	SYSCONFDIR "/" PROGNAME ".ini"

/*
 * log.c: the one place diagnostics are written (stderr, never the
 * FastCGI error stream), untrusted text escaped.
 */
extern int	 log_quiet;	/* fuzzers: say nothing */
extern int	 log_errors_only; /* CGI: no config warnings per request */
extern const char *log_progname; /* the prefix: PROGNAME unless set */
void	 log_warnx(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
void	 log_warn(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
/*
 * Copies len bytes of untrusted text at in to out (size bytes, always
 * NUL-terminated if size > 0) so that a terminal or log reader shows it
 * as one harmless line.  Printable ASCII and valid UTF-8 characters are
 * copied as they are (the backslash too: the form is for people, not
 * reversible).  CR, LF and TAB become \r, \n and \t; any other C0
 * control, DEL, NUL, and every byte that is not part of valid UTF-8
 * (0x80-0x9f alone, overlong forms, surrogates) becomes \xHH, one per
 * byte; a valid character that is a C1 control (U+0080-U+009F), or
 * one that is not shown as itself becomes \uHHHH (\UHHHHHHHH above
 * U+FFFF): every Bidi_Control (U+061C, U+200E, U+200F, U+202A-U+202E,
 * U+2066-U+2069), which reorder text; every Default_Ignorable_Code_Point
 * (U+00AD, U+034F, U+115F, U+1160, U+17B4, U+17B5, U+180B-U+180F,
 * U+200B-U+200F, U+2060-U+206F, U+3164, U+FE00-U+FE0F, U+FEFF, U+FFA0,
 * U+FFF0-U+FFF8, U+1BCA0-U+1BCA3, U+1D173-U+1D17A, U+E0000-U+E0FFF:
 * variation selectors and tags included), which render as nothing and
 * can hide text or make two names look alike; the line and paragraph
 * separators U+2028, U+2029; and the interlinear annotation characters
 * U+FFF9-U+FFFB.  Other format characters that are drawn (U+0600-U+0605,
 * U+06DD, U+110BD) and unassigned code points are copied.  Output stops
 * before a character or escape that would not fit.  Returns the bytes
 * of in escaped: len if all fit, as they always do in
 * LOG_ESCAPE_SIZE(len) bytes (no escape is more than 4 per byte).
 */
/*
 * While buf is set (NULL ends it), log_warnx and log_warn write their
 * message, escaped and without the program's name, into buf (size
 * bytes; the last one wins) instead of stderr: for a caller that shows
 * a module's reason in its own output (mta-sts-check's lines).  One
 * thread only.
 */
void	 log_capture(char *, size_t);
#define LOG_ESCAPE_SIZE(len)	(4 * (len) + 1)
size_t	 log_escape(char *, size_t, const char *, size_t);
/* Reports "file:line: [warning: ]message"; line 0 omits the line. */
void	 log_conf(const char *, unsigned long, int, const char *, ...)
	    __attribute__((format(printf, 4, 5)));

/*
 * clock.c: monotonic milliseconds, for deadlines.
 */
#include <time.h>
int64_t		 clock_ms(void);
/* A non-negative duration in milliseconds as a timespec. */
struct timespec	 clock_timespec(int64_t);

/*
 * buf.c: growing byte buffers and arrays.
 */
/*
 * Appends n bytes at p to *buf, which holds *len of *cap bytes, growing it
 * by doubling from first bytes; 0, or -1 if out of memory (then *buf is
 * as it was).
 */
int	 buf_append(unsigned char **, size_t *, size_t *, size_t,
	    const void *, size_t);
/*
 * Makes room for element n of array, which has room for *cap elements of
 * size bytes, doubling the capacity as often as needed (from 16).
 * Returns the array, moved or not, with *cap updated; NULL if out of
 * memory or if the size would overflow (then array and *cap are as they
 * were, and still the caller's).
 */
void	*buf_array_room(void *, size_t, size_t *, size_t);

/*
 * prom.c: metrics in the Prometheus text exposition format for
 * node_exporter's textfile collector, written atomically (a temporary
 * file beside the target, synced, renamed over it).  Integer values
 * only: every metric of ours is a count, a state or a timestamp.
 */
#define PROM_LABEL_MAX	256	/* bytes of a label value, before quoting */
struct prom_label {
	const char	*name;		/* ours: [a-z_]+ */
	const char	*value;		/* any bytes; escaped when written */
};
struct prom {
	FILE		*fp;
	char		*path;		/* the target; NULL for a stream */
	char		*tmp;		/* the temporary file beside it */
	int		 error;		/* errno of the first failed write */
	const char	*family;	/* the metric being written */
	size_t		 series, series_max, dropped;
};
/*
 * Starts a metrics file that replaces path when prom_finish succeeds;
 * 0, or -1 after saying why.
 */
int	 prom_create(struct prom *, const char *);
/* Starts metrics written to fp as they come (no atomicity: stdout). */
void	 prom_stream(struct prom *, FILE *);
/*
 * Starts a metric family: its HELP and TYPE lines.  At most series_max
 * samples of it are written; prom_finish or the next family says how
 * many more were left out.
 */
void	 prom_family(struct prom *, const char *, const char *, const char *,
	    size_t);
/* Writes one sample of the current family with n labels. */
void	 prom_sample(struct prom *, const struct prom_label *, size_t,
	    int64_t);
/*
 * Ends the metrics: for a file, flushed, synced and renamed over its
 * target (the target untouched on any failure, the temporary removed);
 * 0, or -1 after saying why (a write error included).
 */
int	 prom_finish(struct prom *);
/* Ends the metrics without writing them: the temporary is removed. */
void	 prom_abort(struct prom *);
/*
 * Writes in as a label value into out (size bytes, NUL-terminated):
 * log_escape's form of it, cut before a character that would pass
 * PROM_LABEL_MAX bytes, with each backslash and double quote preceded
 * by a backslash as the format wants; returns its length.  2 *
 * PROM_LABEL_MAX + 1 bytes always hold it.
 */
size_t	 prom_label_escape(char *, size_t, const char *);

/*
 * num.c: checked numbers for options and environment values.
 */
/*
 * Parses all of s as a number in base (8, 10 or 16) from min to max:
 * digits only (a leading "-" if min < 0), no blanks, no "+".  Returns 0
 * and sets *out, or -1 and leaves it alone.
 */
int	 num_parse(const char *, int, long long, long long, long long *);

/*
 * dname.c: syntax of domain names and mx patterns (RFC 8461 §3.2,
 * RFC 5321 §4.1.2, RFC 1035 §2.3.4).
 */
enum dname_error {
	DNAME_OK = 0,
	DNAME_EMPTY,
	DNAME_TOO_LONG,
	DNAME_TRAILING_DOT,
	DNAME_EMPTY_LABEL,
	DNAME_LABEL_TOO_LONG,
	DNAME_HYPHEN_EDGE,
	DNAME_UNDERSCORE,
	DNAME_NON_ASCII,
	DNAME_BAD_CHAR,
	DNAME_WILDCARD_PLACE,
	DNAME_WILDCARD_DENIED,
	DNAME_IP_ADDRESS,
	DNAME_ONE_LABEL,
	DNAME_POLICY_HOST,
};
#define DNAME_MAX	253
#define DNAME_LABEL_MAX	63
/* Checks len bytes of name; wildcard allows a leading "*." label. */
enum dname_error dname_check(const char *, size_t, int);
/*
 * Checks a lower-case policy domain (a [domain] section, -d): a name
 * without wildcard that is not a policy host "mta-sts.<domain>".
 */
enum dname_error dname_check_domain(const char *, size_t);
/* Returns a sentence saying what is wrong and what is allowed. */
const char	*dname_strerror(enum dname_error);

/*
 * policy.c: a policy's exact response bytes, its id and its DNS
 * records; no I/O.
 */
enum policy_mode {
	POLICY_ENFORCE,
	POLICY_TESTING,
	POLICY_NONE,
};
#define POLICY_MAX_AGE_MAX	31557600UL	/* RFC 8461 §3.2 */
#define POLICY_BODY_MAX		64000		/* what senders accept */
#define POLICY_ID_LEN		32		/* RFC 8461 §3.1 */
#define POLICY_CONTENT_TYPE	"text/plain; charset=utf-8"
#define POLICY_PATH		"/.well-known/mta-sts.txt" /* RFC 8461 §3.3 */

struct policy_spec {
	enum policy_mode	  mode;
	const char *const	 *mx;
	size_t			  mxlen;
	unsigned long		  max_age;
};

/* A prepared policy: what a request for it writes, byte for byte. */
struct policy {
	char		*response;	/* status, headers, blank line, body */
	size_t		 response_len;
	size_t		 header_len;	/* a HEAD response is this prefix */
	char		 id[POLICY_ID_LEN + 1];
};

const char	*policy_mode_name(enum policy_mode);
/* Returns the body's length, or 0 if it would exceed POLICY_BODY_MAX. */
size_t		 policy_body_len(const struct policy_spec *);
/* Prepares p from spec; returns 0, or -1 if out of memory or too big. */
int		 policy_prepare(struct policy *, const struct policy_spec *);
void		 policy_free(struct policy *);
/* The body of a prepared policy and its length. */
const char	*policy_body(const struct policy *, size_t *);
/* Writes the id of a body: its SHA-256 as 32 lower-case hex digits. */
void		 policy_id(const char *, size_t, char [POLICY_ID_LEN + 1]);
/*
 * Writes one zone-file line (with newline) for the _mta-sts or
 * _smtp._tls record of domain; returns the length snprintf would.
 */
int		 policy_dns_sts(char *, size_t, const char *, const char *);
int		 policy_dns_tlsrpt(char *, size_t, const char *, const char *);

/*
 * table.c: the prepared policies, deduplicated, and the domain → policy
 * map that requests look up; built once per load, read-only after.
 */
struct table_domain {
	const char	*name;		/* lower case, policy domain */
	const char	*tlsrpt;	/* rua value, or NULL */
	const char	*zone;		/* its DNS zone for -U; NULL: name */
	uint32_t	 policy;	/* index into policies */
	uint32_t	 hash;
};

struct table {
	struct policy		*policies;
	size_t			 npolicies;
	size_t			 policies_cap;
	struct table_domain	*domains;
	size_t			 ndomains;
	size_t			 domains_cap;
	uint32_t		*slots;		/* domain index + 1, 0 empty */
	size_t			 nslots;	/* a power of two */
	uint32_t		*policy_slots;	/* dedup index, policy + 1 */
	size_t			 npolicy_slots;
	long			 default_policy; /* -1: none */
	const char		*default_tlsrpt;
	struct table_chunk	*strings;
};

void	 table_init(struct table *);
void	 table_free(struct table *);
/*
 * Returns the hash (FNV-1a) of len bytes at s that places a domain in
 * the map: a flat copy of the map must find its domains by this one
 * function to probe as the table does.
 */
uint32_t table_hash(const char *, size_t);
/* Copies a string into the table's storage; NULL if out of memory. */
const char *table_strdup(struct table *, const char *);
/* Prepares spec or finds an identical policy; returns its index or -1. */
long	 table_add_policy(struct table *, const struct policy_spec *);
/*
 * Adds a policy domain (lower case, not yet in the table) with no policy
 * yet; returns its index, or -1 if out of memory.
 */
long	 table_add_domain(struct table *, const char *, size_t);
/* Returns the domain entry for exactly this lower-case name, or NULL. */
const struct table_domain *table_find(const struct table *, const char *,
	    size_t);
/* Returns the policy a normalised host is served, or NULL (404). */
const struct policy *table_lookup(const struct table *, const char *,
	    size_t);

/* What a domain named on a command line gets (table_named). */
struct table_named {
	char				 name[DNAME_MAX + 1]; /* normalised */
	const struct table_domain	*domain; /* NULL: [policy] serves */
	const struct policy		*policy;
	const char			*tlsrpt; /* rua value, or NULL */
	const char			*zone;	/* for -U; NULL: name */
};
/*
 * A policy domain named on a command line (arg, as typed) as every
 * program takes it: lower-cased without one trailing dot into name
 * (DNAME_MAX + 1 bytes), checked as a [domain] section's name
 * (dname_check_domain; a second trailing dot is DNAME_EMPTY_LABEL).
 * Returns DNAME_OK, or the error with why (size bytes) holding the
 * message to report, one of:
 *   "ARG: <dname_strerror>"  (ARG as typed; too long: its start...)
 *   "NAME: name the policy domain, not its policy host: USAGE DOMAIN"
 * where NAME is the normalised name and usage says how to name DOMAIN
 * instead ("-d", "mta-sts-check", "list").
 */
enum dname_error table_name(const char *, const char *, char *, char *,
	    size_t);
/*
 * Decides what a policy domain named on a command line (arg, as typed)
 * is served: its name as table_name takes it; then its [domain]
 * section, else [policy].  Returns 0 and fills out, or -1 with why
 * (size bytes) holding table_name's message or
 *   "NAME: no [domain NAME] section and no [policy] to serve it"
 */
int	 table_named(const struct table *, const char *, const char *,
	    struct table_named *, char *, size_t);

/*
 * database.c: what a [reports] database string names.  An absolute file
 * path is an SQLite store; a libpq connection URI (postgresql://,
 * postgres://) or service=NAME (pg_service.conf) is PostgreSQL.  A
 * password is never accepted in the string: the config is readable,
 * the string is logged and may be given on a command line (copy);
 * libpq's password file and environment are the way (mta-sts-report(8)
 * POSTGRESQL).  NONE, with why filled in, for anything else.
 */
enum database_kind {
	DATABASE_NONE,
	DATABASE_SQLITE,
	DATABASE_POSTGRESQL,
};
enum database_kind database_kind(const char *, char *, size_t);

/*
 * conf.c: the INI config (inih) → validated, prepared table.
 */
/*
 * The [reports] section: mta-sts-report's keys (mta-sts-report(8)); the
 * responder loads and checks them like every key, and uses none.
 */
#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR	"/var"		/* the Makefile sets it */
#endif
#define CONF_REPORTS_DATABASE	LOCALSTATEDIR "/lib/mta-sts-report/reports.db"
#define CONF_REPORTS_BODY_MAX	(1024 * 1024)		/* as sent */
#define CONF_REPORTS_INFLATED_MAX (16 * 1024 * 1024)	/* JSON bytes */
#define CONF_REPORTS_KEEP_DAYS	400
/* The ranges the keys accept (mta-sts-fcgi.ini(5)). */
#define CONF_REPORTS_SIZE_MIN	1024
#define CONF_REPORTS_BODY_MAX_MAX (64 * 1024 * 1024)
/*
 * A worker holds a report inflated and jansson's copy of its strings:
 * about twice this, and twice body_max, at the most (mta-sts-report(8)
 * LIMITS).  No report of real sessions comes near 16M.
 */
#define CONF_REPORTS_INFLATED_MAX_MAX (64 * 1024 * 1024)
#define CONF_REPORTS_KEEP_DAYS_MAX 36500
#define CONF_REPORTS_PATH_MAX	1024
#define CONF_REPORTS_AUTHSERV_MAX 255
/*
 * The summary's thresholds (mta-sts-report(8) SUMMARY): "ready for
 * enforce" after enforce_days in testing with enforce_reporters
 * reporters; a reporter that reported on daily_days of 7 days is
 * "silent" once silent_days pass without a report.
 */
#define CONF_REPORTS_ENFORCE_DAYS	14
#define CONF_REPORTS_ENFORCE_DAYS_MAX	365
#define CONF_REPORTS_ENFORCE_REPORTERS	2
#define CONF_REPORTS_ENFORCE_REPORTERS_MAX 1000
#define CONF_REPORTS_SILENT_DAYS	3
#define CONF_REPORTS_SILENT_DAYS_MAX	30
#define CONF_REPORTS_DAILY_DAYS		5
#define CONF_REPORTS_DAILY_DAYS_MAX	7
struct conf_reports {
	int		 present;	/* a [reports] section was given */
	char		*database;	/* database_kind; never NULL after a load */
	size_t		 body_max;
	size_t		 inflated_max;
	char		*trust_authserv_id;	/* NULL: verify DKIM ourselves */
	unsigned long	 keep_days;	/* prune's default age */
	unsigned long	 enforce_days;
	unsigned long	 enforce_reporters;
	unsigned long	 silent_days;
	unsigned long	 daily_days;
};

struct conf {
	char		*file;
	struct table	 table;
	struct conf_reports reports;
	size_t		 warnings;
};
/*
 * Loads and validates file, reporting every problem through log_conf.
 * Returns 0 and fills conf, or the number of errors found (conf is
 * then empty); -1 if the file could not be read at all.
 */
#define CONF_SIZE_MAX	(256 << 20)	/* bytes of one config file */
long	 conf_load(struct conf *, const char *);
/* The same from an open stream; file names it in messages. */
long	 conf_load_stream(struct conf *, FILE *, const char *);
/* Says what conf_load's result means for file, unless it is 0. */
void	 conf_summary(const char *, long);
void	 conf_free(struct conf *);

#endif /* MTA_STS_COMMON_H */
