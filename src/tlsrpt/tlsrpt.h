/* SPDX-License-Identifier: ISC */
/*
 * tlsrpt: TLS reports (RFC 8460) as the receiver stores them and as the
 * programs that read them see them, shared by mta-sts-report and
 * mta-sts-check, one commented section per module.  It includes only
 * common.h; its libraries are SQLite and jansson (the store's arrays).
 */
#ifndef MTA_STS_TLSRPT_H
#define MTA_STS_TLSRPT_H

#include <stddef.h>
#include <stdint.h>

#include "common/common.h"

#define TLSRPT_DIGEST_LEN	64	/* hex SHA-256 */

/*
 * tlsrpt_report.c: a report, and what frees it.
 */
/*
 * A report as RFC 8460 §4.4 defines it, after report_json_parse: every
 * string is NUL-terminated, valid UTF-8 (jansson checks), and owned by
 * the report (tlsrpt_report_free).  Optional strings absent or empty in the
 * JSON are NULL.  Counts are what the sender wrote (0 .. INT64_MAX).
 */
struct tlsrpt_failure {
	char		*result_type;		/* verbatim, also unknown ones */
	char		*sending_mta_ip;
	char		*receiving_mx_hostname;
	char		*receiving_mx_helo;
	char		*receiving_ip;
	int64_t		 count;			/* failed-session-count */
	char		*additional_information;
	char		*failure_reason_code;
};

struct tlsrpt_policy {
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
	struct tlsrpt_failure *failures;
	size_t		 nfailures;
};

struct tlsrpt_report {
	char		*organization;		/* organization-name */
	char		*contact;		/* contact-info */
	char		*report_id;
	int64_t		 begin;			/* date-range, seconds since the epoch, UTC */
	int64_t		 end;
	struct tlsrpt_policy *policies;
	size_t		 npolicies;
	/*
	 * tlsrpt_report_digest of all of the above: with organization and
	 * report_id, what tells a sender's retry (the same report again,
	 * however it was serialised) from a different report that claims
	 * the same id.
	 */
	char		 digest[TLSRPT_DIGEST_LEN + 1];
};

/* Where a report came from, as stored and listed ("via"). */
enum tlsrpt_via {
	TLSRPT_VIA_HTTPS,
	TLSRPT_VIA_MAIL,
};
/* "https" or "mail". */
const char	*tlsrpt_via_name(enum tlsrpt_via);
/* Frees what r holds and zeroes it; an empty r is fine. */
void	 tlsrpt_report_free(struct tlsrpt_report *);
/*
 * Sets r->digest: SHA-256 (hex) of every field of r in a fixed,
 * unambiguous encoding (lengths before strings, absent apart from
 * empty), so that two serialisations of one report get one digest.
 */
void	 tlsrpt_report_digest(struct tlsrpt_report *);

/*
 * tlsrpt_store.c: the SQLite store (WAL, busy timeout, schema version
 * and migrations).  Safe for many processes at once: a report is stored
 * whole or not at all, and once, by (organization, report_id).  One
 * struct tlsrpt_store per process (open it after fork), used by one
 * thread.
 */
/*
 * How long a writer waits for another process's transaction before the
 * store counts as unavailable (503, exit 75): far above the few
 * milliseconds one report takes, far below a sender's HTTP timeout.
 */
#define TLSRPT_STORE_BUSY_MS	5000
struct tlsrpt_store;
enum tlsrpt_store_result {
	TLSRPT_STORE_ADDED,
	TLSRPT_STORE_DUPLICATE,		/* same organization and report-id */
	TLSRPT_STORE_UNAVAILABLE,	/* busy, locked, read-only, full, I/O: retry later */
	TLSRPT_STORE_CORRUPT,		/* not our database, or damaged */
};
#define TLSRPT_STORE_OPEN_CREATE	1	/* create it and its schema */
#define TLSRPT_STORE_OPEN_READONLY	2
/*
 * Opens the store at path; 0 and *st, or -1 after saying why (with the
 * path): missing, unreadable, busy, damaged, not a store of ours, or of
 * a newer schema.  CREATE makes a missing or empty file a new store;
 * an older schema is migrated in one transaction (not READONLY).  Both
 * kinds of failure mean the same to a caller (503, exit 75): the
 * message tells the operator which ("damaged or not a database" for
 * TLSRPT_STORE_CORRUPT's case).
 */
int	 tlsrpt_store_open(struct tlsrpt_store **, const char *, int);
void	 tlsrpt_store_close(struct tlsrpt_store *);
/*
 * Stores r whole with the raw report (gzip, as it arrived or
 * compressed) and when it was received; durable (synchronous) before it
 * returns TLSRPT_STORE_ADDED.  The caller has removed the policies of
 * domains this config does not serve (report_accept).
 */
enum tlsrpt_store_result tlsrpt_store_add(struct tlsrpt_store *,
	    const struct tlsrpt_report *, enum tlsrpt_via, const unsigned char *,
	    size_t, int64_t);
/*
 * Calls fn for each stored (report, policy), newest first (by the
 * report's end, then received), only for the given policy domains
 * (lower case) if n > 0.  fn returns 0 to go on; anything else stops
 * the listing, which then returns -1 (fn has said why).  0, or -1 after
 * saying why.  A row and what it points to live until fn returns.
 */
struct tlsrpt_row {
	const char	*organization;
	const char	*report_id;
	const char	*contact;
	int64_t		 begin, end, received;
	enum tlsrpt_via	 via;
	const struct tlsrpt_policy *policy;	/* with its failures */
};
int	 tlsrpt_store_list(struct tlsrpt_store *, const char *const *,
	    size_t, int (*)(const struct tlsrpt_row *, void *), void *);
/*
 * Deletes the reports that ended before t (seconds since the epoch),
 * with their policies and failures, in transactions of a thousand so
 * that writers never wait long; the number deleted, or -1 after saying
 * why (those deleted before stay deleted).
 */
long	 tlsrpt_store_prune(struct tlsrpt_store *, int64_t);

#endif /* MTA_STS_TLSRPT_H */
