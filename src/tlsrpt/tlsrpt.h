/* SPDX-License-Identifier: ISC */
/*
 * tlsrpt: TLS reports (RFC 8460) as the receiver stores them and as the
 * programs that read them see them, shared by mta-sts-report and
 * mta-sts-check, one commented section per module.  It includes only
 * common.h; its libraries are SQLite, libpq and jansson (the store's
 * arrays).
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
 * tlsrpt_store.c: the store, one interface over two backends chosen at
 * run time by the database string (conf_database_kind): a file path is
 * SQLite (tlsrpt_sqlite.c: WAL, busy timeout), a postgresql:// URI or
 * service=NAME is PostgreSQL (tlsrpt_pg.c: libpq, one database that
 * several hosts write).  Both have the same tables, the same schema
 * versions and migrations, and the same answers.  Safe for many
 * processes (and hosts) at once: a report is stored whole or not at
 * all, and once, by (organization, report_id, digest).  One struct
 * tlsrpt_store per process (open it after fork), used by one thread.
 */
/*
 * How long a writer waits for another process's transaction (or for
 * PostgreSQL to connect and answer) before the store counts as
 * unavailable (503, exit 75): far above the few milliseconds one report
 * takes, far below a sender's HTTP timeout.
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
/* "SQLite" or "PostgreSQL", for messages. */
const char *tlsrpt_store_backend(const struct tlsrpt_store *);
/* The schema version of the open store (TLSRPT_STORE_VERSION once open
 * for writing). */
int	 tlsrpt_store_version(const struct tlsrpt_store *);
#define TLSRPT_STORE_VERSION	2
/*
 * Groups the tlsrpt_store_add and tlsrpt_store_served_add calls between
 * them into one transaction (copy: a thousand reports per commit, not
 * one).  Inside, tlsrpt_store_add returns TLSRPT_STORE_ADDED before the
 * commit; only tlsrpt_store_commit's 0 says they are durable.  A
 * failure inside rolls the whole group back.  0, or -1 after saying why.
 */
int	 tlsrpt_store_begin(struct tlsrpt_store *);
int	 tlsrpt_store_commit(struct tlsrpt_store *);
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
/*
 * The mode and max_age of a prepared policy, read back from its body
 * (our own bytes); 0, or -1 if the body lacks one.
 */
int	 tlsrpt_store_policy_spec(const struct policy *, enum policy_mode *,
	    unsigned long *);
/*
 * Records what the config in t serves, as of now (seconds since the
 * epoch): a row (domain, policy id, mode, max_age, first seen = now)
 * for each [domain] section whose policy id is not the one last
 * recorded for that domain, so that the summary knows when each policy
 * was published and which ones it replaced (schema version 2).  Every
 * mta-sts-report process that may write the store calls it when it
 * loads a config: summary, import, and the receiver at start and on
 * reload.  Takes the write lock only when something changed; records
 * nothing in a store opened read-only.  The number of rows added, or
 * -1 after saying why.
 */
long	 tlsrpt_store_served(struct tlsrpt_store *, const struct table *,
	    int64_t);
/*
 * The policies recorded as served (tlsrpt_store_served) for the given
 * domains (all if n is 0), by domain, oldest first: fn as for
 * tlsrpt_store_list.  0, or -1 after saying why.
 */
struct tlsrpt_served_row {
	const char	*domain;
	const char	*policy_id;
	enum policy_mode mode;
	unsigned long	 max_age;
	int64_t		 first_seen;
};
int	 tlsrpt_store_served_list(struct tlsrpt_store *, const char *const *,
	    size_t, int (*)(const struct tlsrpt_served_row *, void *), void *);
/*
 * For copy: every stored report whole, in the order it was stored
 * (oldest first), with its digest as stored, how and when it was
 * received, and the raw report; fn as for tlsrpt_store_list.
 */
struct tlsrpt_stored {
	const struct tlsrpt_report *report;
	enum tlsrpt_via		 via;
	int64_t			 received;
	const unsigned char	*raw;
	size_t			 rawlen;
};
int	 tlsrpt_store_each(struct tlsrpt_store *,
	    int (*)(const struct tlsrpt_stored *, void *), void *);
/*
 * For copy: adds a served row as another store recorded it, unless the
 * same (domain, policy_id, first_seen) is there already; 1 added, 0
 * there already, -1 after saying why.
 */
int	 tlsrpt_store_served_add(struct tlsrpt_store *,
	    const struct tlsrpt_served_row *);
/*
 * The summary's aggregations over a period: the reports whose
 * date-range's midpoint is in [since, until), so that a day's report
 * counts on its day whichever way its sender writes the end (23:59:59
 * or the next 00:00), of the given policy domains (all if ndomains is
 * 0).  Each calls fn per row, rows ordered by domain first, as for
 * tlsrpt_store_list (a row's strings live until fn returns); sums of
 * counts saturate at INT64_MAX (reports are untrusted).  0, or -1 after
 * saying why.
 */
struct tlsrpt_store_period {
	int64_t			 since, until;
	const char *const	*domains;
	size_t			 ndomains;
};
/* Per (domain, organization, policy type, policy id), by organization. */
struct tlsrpt_applied_row {
	const char	*domain, *organization, *policy_type;
	const char	*policy_id;	/* "" if no policy-string was sent */
	int64_t		 max_age;	/* its policy-string's, or -1 */
	int64_t		 reports, successful, failed;
	int64_t		 first, last;	/* report ends */
	int64_t		 last_begin;	/* the latest report's begin */
};
int	 tlsrpt_store_applied(struct tlsrpt_store *,
	    const struct tlsrpt_store_period *,
	    int (*)(const struct tlsrpt_applied_row *, void *), void *);
/*
 * Per (domain, policy type, result type, receiving MX lower case without
 * a final dot, organization, failure-reason-code), most sessions first.
 */
struct tlsrpt_failure_row {
	const char	*domain, *policy_type, *result_type;
	const char	*receiving_mx;	/* NULL if none was named */
	const char	*organization;
	const char	*reason;	/* NULL if none */
	int64_t		 count, first, last;	/* first, last: report ends */
};
int	 tlsrpt_store_failures(struct tlsrpt_store *,
	    const struct tlsrpt_store_period *,
	    int (*)(const struct tlsrpt_failure_row *, void *), void *);
/* Per (domain, organization, UTC day of the midpoint), oldest first. */
struct tlsrpt_day_row {
	const char	*domain, *organization;
	int64_t		 day;		/* 00:00:00Z */
	int64_t		 reports, successful, failed;
	int64_t		 last;		/* the latest report end */
};
int	 tlsrpt_store_days(struct tlsrpt_store *,
	    const struct tlsrpt_store_period *,
	    int (*)(const struct tlsrpt_day_row *, void *), void *);

/*
 * tlsrpt_summary.c: what the stored reports say about each policy
 * domain over a period, and the verdicts an operator acts on (issue 20;
 * mta-sts-report(8) SUMMARY).  One model feeds `summary` (text, -j),
 * `html`, the metrics and mta-sts-check's tlsrpt check, so they never
 * disagree.  Every string is owned by the summary.  Strings that came
 * from reports (organization, MX, reason, result type) are as stored:
 * untrusted, escape them for the medium (log_escape, JSON, HTML,
 * Prometheus label values); a verdict's line is already log_escape'd.
 * The period is [since, until): a report counts when the midpoint of
 * its date-range is in it (tlsrpt_store_period).
 */
/* Bounds on what one domain's summary holds, however many senders POST. */
#define TLSRPT_SUMMARY_REPORTERS_MAX	1000	/* then more_reporters */
#define TLSRPT_SUMMARY_FAILURES_MAX	1000	/* then more_failures */
#define TLSRPT_SUMMARY_APPLIED_MAX	100	/* policies per reporter */
#define TLSRPT_SUMMARY_DAYS_MAX		367	/* days of a period */
enum tlsrpt_verdict_kind {
	TLSRPT_VERDICT_STALE_POLICY,	/* a reporter applies a replaced id */
	TLSRPT_VERDICT_NO_POLICY_SEEN,	/* no-policy-found, sts-policy-* */
	TLSRPT_VERDICT_MX_FAILING,	/* failures enforce turns into bounces */
	TLSRPT_VERDICT_SILENT_REPORTER,	/* sent daily, then stopped */
	TLSRPT_VERDICT_READY_FOR_ENFORCE, /* testing, long and clean enough */
	TLSRPT_VERDICT_NOT_READY,	/* enforce, with such failures */
};
enum tlsrpt_severity {
	TLSRPT_SEVERITY_INFO,		/* e.g. ready for enforce */
	TLSRPT_SEVERITY_WARNING,
	TLSRPT_SEVERITY_CRITICAL,
};
struct tlsrpt_verdict {
	enum tlsrpt_verdict_kind kind;
	enum tlsrpt_severity	 severity;
	char		*subject;	/* reporter, MX host or policy id; NULL: the domain */
	int64_t		 since;		/* when it began, or 0 */
	char		*line;		/* one line: what is wrong, what to do */
};
/* Sessions of one UTC day (reports attributed by their date-range). */
struct tlsrpt_day {
	int64_t		 day;		/* 00:00:00Z, seconds since the epoch */
	int64_t		 successful, failed;
};
/* Failures of one result type at one MX host from one reporter. */
struct tlsrpt_failure_sum {
	char		*policy_type;	/* of the policy the reporter applied */
	char		*result_type;
	char		*receiving_mx;	/* lower case, no final dot; NULL: none named */
	char		*reporter;	/* organization-name */
	char		*reason;	/* a failure-reason-code, or NULL */
	int64_t		 count;
	int64_t		 first, last;	/* report ends */
};
/* A policy as a reporter applied it. */
struct tlsrpt_applied {
	char		*policy_type;
	char		 policy_id[POLICY_ID_LEN + 1];	/* "" if no lines */
	int64_t		 first, last;	/* report ends */
	int64_t		 last_begin;	/* the latest report's begin */
	int64_t		 max_age;	/* its policy-string's, or -1 */
	int64_t		 reports;
};
struct tlsrpt_reporter {
	char		*organization;
	int64_t		 reports;
	int64_t		 successful, failed;
	int64_t		 first, last;	/* report ends */
	struct tlsrpt_applied *applied;	/* newest last first */
	size_t		 napplied;
	/*
	 * Of the 7 UTC days that end with the day of its last report, those
	 * on which it reported (reports before the period count): what
	 * "daily" is measured by (daily_days).
	 */
	int		 days_of_week;
};
struct tlsrpt_domain {
	char		*domain;
	enum policy_mode mode;		/* served now */
	char		 policy_id[POLICY_ID_LEN + 1];	/* served now */
	unsigned long	 max_age;	/* served now */
	int64_t		 published;	/* first seen served, or 0: unknown */
	int64_t		 successful, failed;
	struct tlsrpt_day *days;	/* every day of the period, oldest first */
	size_t		 ndays;
	struct tlsrpt_failure_sum *failures;	/* most first */
	size_t		 nfailures;
	size_t		 more_failures;	/* past TLSRPT_SUMMARY_FAILURES_MAX */
	struct tlsrpt_reporter *reporters;	/* by organization (bytes) */
	size_t		 nreporters;
	size_t		 more_reporters; /* past TLSRPT_SUMMARY_REPORTERS_MAX */
	struct tlsrpt_verdict *verdicts;	/* most severe first */
	size_t		 nverdicts;
};
struct tlsrpt_summary {
	int64_t		 since, until;	/* the period, [since, until) */
	struct tlsrpt_domain *domains;	/* by name */
	size_t		 ndomains;
};
/*
 * Builds *out for the policy domains the table serves ([domain]
 * sections), or only those named (lower case) if n > 0, from the store,
 * over [since, until) (since < until, at most TLSRPT_SUMMARY_DAYS_MAX
 * UTC days), with the thresholds of reports; 0, or -1 after saying why
 * (a named domain without a [domain] section: "NAME: no [domain NAME]
 * section: ..."; out is then empty).  The verdicts, as mta-sts-report(8)
 * SUMMARY defines them: until is "now" for every rule.
 */
int	 tlsrpt_summary_build(struct tlsrpt_store *, const struct table *,
	    const struct conf_reports *, int64_t, int64_t, const char *const *,
	    size_t, struct tlsrpt_summary *);
void	 tlsrpt_summary_free(struct tlsrpt_summary *);
/* "stale policy", "no policy seen", "MX failing", … for lines and labels. */
const char *tlsrpt_verdict_name(enum tlsrpt_verdict_kind);
/* "info", "warning", "critical". */
const char *tlsrpt_severity_name(enum tlsrpt_severity);
/*
 * The most severe verdict of s: 0 none, 1 only info, 2 a warning, 3 a
 * critical one; the exit status of summary and of the checker's tlsrpt
 * check follow from it.
 */
int	 tlsrpt_summary_worst(const struct tlsrpt_summary *);

#endif /* MTA_STS_TLSRPT_H */
