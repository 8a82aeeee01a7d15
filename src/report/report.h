/* SPDX-License-Identifier: ISC */
/*
 * report: mta-sts-report, the TLS-RPT receiver (RFC 8460), one commented
 * section per module.  It includes the shared core (common.h) and the
 * FastCGI server core (serve.h); it never includes fcgi.h or check.h.
 * Its libraries stay here: jansson (report_json.c, report_list.c), zlib
 * (report_gzip.c), SQLite (report_store.c), GMime (report_mail.c) and
 * libopendkim (report_dkim.c), so the responder links none of them.
 */
#ifndef MTA_STS_REPORT_H
#define MTA_STS_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "common/common.h"

#define REPORT_PROGNAME		"mta-sts-report"

/*
 * A report as RFC 8460 §4.4 defines it, after report_json_parse: every
 * string is NUL-terminated, valid UTF-8 (jansson checks), and owned by
 * the report (report_free).  Optional strings absent or empty in the
 * JSON are NULL.  Counts are what the sender wrote (0 .. INT64_MAX).
 */
struct report_failure {
	char		*result_type;		/* verbatim, also unknown ones */
	char		*sending_mta_ip;
	char		*receiving_mx_hostname;
	char		*receiving_mx_helo;
	char		*receiving_ip;
	int64_t		 count;			/* failed-session-count */
	char		*additional_information;
	char		*failure_reason_code;
};

struct report_policy {
	char		*policy_type;		/* sts, tlsa, no-policy-found, … */
	char		*policy_domain;		/* lower case, no trailing dot */
	char		**policy_string;	/* lines; NULL if none sent */
	size_t		 npolicy_string;
	/*
	 * For an sts policy with its lines: policy_id() of the lines joined
	 * as our responder serves them (each line + CRLF), so a report's id
	 * equals the id we publish exactly when the sender applied our
	 * bytes.  "" otherwise.
	 */
	char		 policy_id[POLICY_ID_LEN + 1];
	char		**mx_host;		/* a string or an array (erratum 6241) */
	size_t		 nmx_host;
	int64_t		 successful;		/* total-successful-session-count */
	int64_t		 failed;		/* total-failure-session-count */
	struct report_failure *failures;
	size_t		 nfailures;
};

struct report {
	char		*organization;		/* organization-name */
	char		*contact;		/* contact-info */
	char		*report_id;
	int64_t		 begin;			/* date-range, seconds since the epoch, UTC */
	int64_t		 end;
	struct report_policy *policies;
	size_t		 npolicies;
};

/* Where a report came from, as stored and listed ("via"). */
enum report_via {
	REPORT_VIA_HTTPS,
	REPORT_VIA_MAIL,
};
/* "https" or "mail". */
const char	*report_via_name(enum report_via);

/*
 * report_json.c: RFC 8460 §4.4 JSON → struct report (jansson), with the
 * leniency real senders need and no more.
 */
/*
 * What jansson may build for one report, checked on the bytes before it
 * builds anything: the deepest nesting a report needs is 5; 1,000,000
 * values are 16 MiB of real failure details (about 52,000 of them, far
 * past any sender's report).  Measured peaks for 16 MiB
 * (CONF_REPORTS_INFLATED_MAX): 113 MB for those failure details, 102 MB
 * for a million strings; without the limits, 16 MiB of "{}," costs
 * jansson 1.2 GiB.
 */
#define REPORT_JSON_DEPTH_MAX		16
#define REPORT_JSON_CONTAINERS_MAX	100000	/* objects and arrays */
#define REPORT_JSON_VALUES_MAX		1000000	/* keys and values */
/*
 * Seeds jansson's hash function from /dev/urandom (it opens it on first
 * use otherwise): call it before a sandbox forbids open(2).
 */
void	 report_json_init(void);
/*
 * Parses len bytes of JSON at json (no NUL needed) into r (zeroed
 * first).  Returns 0; -1 with a one-line reason in why ("PATH: what is
 * wrong", e.g. "policies[2].summary.total-failure-session-count: not a
 * non-negative integer"; size bytes; untrusted text in it escaped with
 * log_escape) and r empty; or -2 out of memory (why says so), r empty.
 */
int	 report_json_parse(struct report *, const char *, size_t, char *,
	    size_t);
/* Frees what r holds and zeroes it; an empty r is fine. */
void	 report_free(struct report *);

/*
 * report_gzip.c: gzip in and out (zlib), streaming, bounded.
 */
enum report_gzip_result {
	REPORT_GZIP_OK,
	REPORT_GZIP_INVALID,		/* not gzip, truncated, bad CRC */
	REPORT_GZIP_TOO_LARGE,		/* inflates past the limit */
	REPORT_GZIP_NOMEM,
};
/*
 * Inflates the gzip stream of len bytes at in (one member, nothing
 * after it) into a new buffer *out of *outlen bytes (NUL-terminated,
 * not counted), never holding more than max bytes.  *out is NULL unless
 * REPORT_GZIP_OK.
 */
enum report_gzip_result report_gzip_inflate(const unsigned char *, size_t,
	    size_t, unsigned char **, size_t *);
/* Compresses len bytes into a new gzip buffer; 0, or -1 out of memory. */
int	 report_gzip_deflate(const unsigned char *, size_t, unsigned char **,
	    size_t *);

/*
 * report_store.c: the SQLite store (WAL, busy timeout, schema version
 * and migrations).  Safe for many processes at once: a report is stored
 * whole or not at all, and once, by (organization, report_id).  One
 * struct report_store per process (open it after fork), used by one
 * thread.
 */
/*
 * How long a writer waits for another process's transaction before the
 * store counts as unavailable (503, exit 75): far above the few
 * milliseconds one report takes, far below a sender's HTTP timeout.
 */
#define REPORT_STORE_BUSY_MS	5000
struct report_store;
enum report_store_result {
	REPORT_STORE_ADDED,
	REPORT_STORE_DUPLICATE,		/* same organization and report-id */
	REPORT_STORE_UNAVAILABLE,	/* busy, locked, read-only, full, I/O: retry later */
	REPORT_STORE_CORRUPT,		/* not our database, or damaged */
};
#define REPORT_STORE_OPEN_CREATE	1	/* create it and its schema */
#define REPORT_STORE_OPEN_READONLY	2
/*
 * Opens the store at path; 0 and *st, or -1 after saying why (with the
 * path): missing, unreadable, busy, damaged, not a store of ours, or of
 * a newer schema.  CREATE makes a missing or empty file a new store;
 * an older schema is migrated in one transaction (not READONLY).  Both
 * kinds of failure mean the same to a caller (503, exit 75): the
 * message tells the operator which ("damaged or not a database" for
 * REPORT_STORE_CORRUPT's case).
 */
int	 report_store_open(struct report_store **, const char *, int);
void	 report_store_close(struct report_store *);
/*
 * Stores r whole with the raw report (gzip, as it arrived or
 * compressed) and when it was received; durable (synchronous) before it
 * returns REPORT_STORE_ADDED.  The caller has removed the policies of
 * domains this config does not serve (report_accept).
 */
enum report_store_result report_store_add(struct report_store *,
	    const struct report *, enum report_via, const unsigned char *,
	    size_t, int64_t);
/*
 * Calls fn for each stored (report, policy), newest first (by the
 * report's end, then received), only for the given policy domains
 * (lower case) if n > 0.  fn returns 0 to go on; anything else stops
 * the listing, which then returns -1 (fn has said why).  0, or -1 after
 * saying why.  A row and what it points to live until fn returns.
 */
struct report_row {
	const char	*organization;
	const char	*report_id;
	const char	*contact;
	int64_t		 begin, end, received;
	enum report_via	 via;
	const struct report_policy *policy;	/* with its failures */
};
int	 report_store_list(struct report_store *, const char *const *,
	    size_t, int (*)(const struct report_row *, void *), void *);
/*
 * Deletes the reports that ended before t (seconds since the epoch),
 * with their policies and failures, in transactions of a thousand so
 * that writers never wait long; the number deleted, or -1 after saying
 * why (those deleted before stay deleted).
 */
long	 report_store_prune(struct report_store *, int64_t);

/*
 * report_list.c: `list` output: one line per report and policy domain,
 * readable or JSON (one object per line, jansson).
 */
int	 report_list_text(const struct report_row *, void *);	/* FILE * */
int	 report_list_json(const struct report_row *, void *);	/* FILE * */

/*
 * report_accept.c: what a received report body becomes: the checks
 * shared by HTTPS and mail (size, gzip, JSON, served domains), and the
 * HTTP status for it.
 */
struct report_limits {
	size_t		 body_max;	/* bytes as sent */
	size_t		 inflated_max;	/* bytes of JSON */
};
enum report_encoding {
	REPORT_ENCODING_GZIP,		/* application/tlsrpt+gzip */
	REPORT_ENCODING_JSON,		/* application/tlsrpt+json */
	REPORT_ENCODING_OTHER,
};
/*
 * The media type of a Content-Type value (parameters ignored, case
 * ignored as RFC 9110 §8.3.1 says).
 */
enum report_encoding report_accept_encoding(const char *);
/*
 * Takes a received report body of len bytes: checks its size against
 * limits, inflates it (gzip), parses and checks the JSON, and keeps in r
 * only the policies whose domain served(domain, arg) accepts (1).  The
 * rule for which domains are served is the caller's (mta-sts-report(8):
 * those with a [domain] section).  Returns 0 with r filled and the raw
 * report as gzip in a new buffer *raw of *rawlen bytes (the body itself
 * if it came gzipped); else the HTTP status of the refusal (400 bad
 * gzip or JSON, 403 no policy domain served, 413 too large, 415 not a
 * report media type, 500 out of memory) with a one-line reason in why
 * (size bytes, untrusted text escaped), r empty and *raw NULL.
 */
int	 report_accept_body(const struct report_limits *, enum report_encoding,
	    const unsigned char *, size_t, int (*)(const char *, void *),
	    void *, struct report *, unsigned char **, size_t *, char *,
	    size_t);
/* The HTTP status for a store's answer: 201, 200 (duplicate) or 503. */
int	 report_accept_status(enum report_store_result);

/*
 * The commands, each called by report_main.c with the loaded config and
 * the arguments after the command's name; each returns the exit status.
 */
struct conf;
/* report_serve.c: no command: FastCGI, as mta-sts-fcgi serves. */
int	 report_serve(const char *, int, char **);
/* report_import.c: `import [maildir]`: sysexits(3) statuses. */
int	 report_import(const struct conf *, int, char **);

#endif /* MTA_STS_REPORT_H */
