/* SPDX-License-Identifier: ISC */
/*
 * report: mta-sts-report, the TLS-RPT receiver (RFC 8460), one commented
 * section per module.  It includes the shared core (common.h), the
 * stored reports it shares with mta-sts-check (tlsrpt.h) and the FastCGI
 * server core (serve.h); it never includes fcgi.h or check.h.  Its
 * libraries stay here and in src/tlsrpt/: jansson (report_json.c,
 * report_list.c), zlib (report_gzip.c), SQLite (tlsrpt_store.c), GMime
 * (report_mail.c) and libopendkim (report_dkim.c), so the responder
 * links none of them.
 */
#ifndef MTA_STS_REPORT_H
#define MTA_STS_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/common.h"
#include "tlsrpt/tlsrpt.h"

#define REPORT_PROGNAME		"mta-sts-report"


/*
 * report_json.c: RFC 8460 §4.4 JSON → struct tlsrpt_report (jansson), with the
 * leniency real senders need and no more.
 */
/*
 * What jansson may build for one report, checked on the bytes before it
 * builds anything: the deepest nesting a report needs is 5; a report at
 * REPORT_FAILURES_MAX below, each detail with all eight members, is
 * about 170,000 values and 10,000 objects.  Without these limits,
 * 16 MiB of "{}," costs jansson 1.2 GiB, and one string of 16 MiB
 * 64 MB (jansson keeps the token and its copy); mta-sts-report(8)
 * LIMITS has the peaks measured with them.
 */
#define REPORT_JSON_DEPTH_MAX		16
#define REPORT_JSON_CONTAINERS_MAX	25000	/* objects and arrays */
#define REPORT_JSON_VALUES_MAX		250000	/* keys and values */
#define REPORT_JSON_STRING_MAX		65536	/* bytes of one string as written */
/*
 * What one report may hold, so that what it stores is bounded whatever
 * it inflates from (a gzip body of a few KiB must not write megabytes:
 * mta-sts-report(8) LIMITS).  Each is far above what a real sender
 * writes; past one, the report is refused (400) with the JSON path.
 * Lengths are bytes of the decoded string.
 */
#define REPORT_TEXT_MAX		1024	/* organization-name, contact-info, report-id */
#define REPORT_TOKEN_MAX	64	/* policy-type, result-type, the IP addresses */
#define REPORT_HOST_MAX		255	/* policy-domain, mx-host, receiving-mx-* */
#define REPORT_MX_HOSTS_MAX	1000	/* mx-host entries of a policy */
#define REPORT_POLICY_LINE_MAX	1024	/* a line of an sts policy-string */
#define REPORT_DETAIL_TEXT_MAX	2048	/* additional-information, failure-reason-code */
#define REPORT_POLICIES_MAX	1000	/* policies of a report */
#define REPORT_FAILURES_MAX	10000	/* failure details of a report */
#define REPORT_STRINGS_MAX	(2 * 1024 * 1024) /* every string kept, in all */
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
int	 report_json_parse(struct tlsrpt_report *, const char *, size_t, char *,
	    size_t);

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
 * report_list.c: `list` output: one line per report and policy domain,
 * readable or JSON (one object per line, jansson).
 */
int	 report_list_text(const struct tlsrpt_row *, void *);	/* FILE * */
int	 report_list_json(const struct tlsrpt_row *, void *);	/* FILE * */

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
 * Takes a report body of len bytes received at now (seconds since the
 * epoch): checks its size against limits, inflates it (gzip), parses
 * and checks the JSON (its date-range may end at most a day after now),
 * and keeps in r
 * only the policies whose domain (lower case, no trailing dot, valid)
 * served(domain, arg) accepts (1).  The media type is checked first
 * (415), then len (413): body is not read for either, and may be NULL
 * (a caller can refuse on Content-Length before reading).  The
 * rule for which domains are served is the caller's (mta-sts-report(8):
 * those with a [domain] section).  Returns 0 with r filled and the raw
 * report as gzip in a new buffer *raw of *rawlen bytes (the body itself
 * if it came gzipped); else the HTTP status of the refusal (400 bad
 * gzip or JSON, 403 no policy domain served, 413 too large as sent,
 * inflated or stored (REPORT_STORED_RATIO below), 415 not a
 * report media type, 500 out of memory) with a one-line reason in why
 * (size bytes, untrusted text escaped), r empty and *raw NULL.
 */
int	 report_accept_body(const struct report_limits *, enum report_encoding,
	    const unsigned char *, size_t, int64_t,
	    int (*)(const char *, void *),
	    void *, struct tlsrpt_report *, unsigned char **, size_t *, char *,
	    size_t);
/*
 * What a report may store against what was sent (413 past it): its
 * strings and REPORT_ROW_WEIGHT for each of its rows (the report, each
 * policy and failure detail, with their index entries), at most
 * REPORT_STORED_RATIO times its bytes as sent plus REPORT_STORED_SLACK.
 * Reports of real sessions store about 20 times their gzip (distinct
 * addresses and counts); deflate packs alike strings 1,000 to 1, which
 * without this bound a flood of small bodies would write to the disk.
 */
#define REPORT_ROW_WEIGHT	100
#define REPORT_STORED_RATIO	64
#define REPORT_STORED_SLACK	16384
/* The HTTP status for a store's answer: 201, 200 (duplicate) or 503. */
int	 report_accept_status(enum tlsrpt_store_result);

/*
 * report_mail.c: a mail message (RFC 5322, MIME) → the report it carries
 * (RFC 8460 §5.3), parsed by GMime; pure apart from GMime.
 */
/*
 * The largest message import reads: the report part may be base64
 * (4/3) or quoted-printable (up to 3 times), plus headers and a text
 * part: 4 × body_max + 1 MiB, at most SIZE_MAX.
 */
size_t	 report_mail_max(size_t);
/* The deepest MIME nesting searched for the report part. */
#define REPORT_MAIL_DEPTH_MAX	8
struct report_mail {
	enum report_encoding encoding;	/* of the report part */
	unsigned char	*report;	/* the part's bytes, decoded */
	size_t		 len;
	/* TLS-Report-Submitter, lower case, no trailing dot */
	char		 submitter[DNAME_MAX + 1];
};
enum report_mail_result {
	REPORT_MAIL_OK,
	REPORT_MAIL_INVALID,		/* not a TLS-RPT message: why says */
	REPORT_MAIL_NOMEM,
};
/*
 * Finds in the message of len bytes at msg the multipart/report part
 * with report-type=tlsrpt (parameters without case), at the top or
 * inside other multiparts, and its first application/tlsrpt+gzip or
 * application/tlsrpt+json child, decoded from any Content-Transfer-
 * Encoding; and the one TLS-Report-Submitter header field, a domain
 * name.  Returns REPORT_MAIL_OK with m filled (report_mail_free), or
 * else with m empty and, for REPORT_MAIL_INVALID, a one-line reason in
 * why (size bytes, untrusted text escaped).
 */
enum report_mail_result report_mail_parse(const unsigned char *, size_t,
	    struct report_mail *, char *, size_t);
/* Frees what m holds and zeroes it; an empty m is fine. */
void	 report_mail_free(struct report_mail *);

/*
 * report_dkim.c: is the message signed by the reporting domain (RFC
 * 8460 §5.3)?  Verified with libopendkim against DNS, or read from the
 * local verifier's Authentication-Results header (RFC 8601).
 */
enum report_dkim_result {
	REPORT_DKIM_PASS,		/* a valid signature by the reporting domain */
	REPORT_DKIM_FAIL,		/* none: why says */
	REPORT_DKIM_TEMPFAIL,		/* a key could not be fetched now, or no memory */
};
/*
 * Whether a signature of signing domain d (d=) is one "by the reporting
 * domain" submitter (a TLS-Report-Submitter value): d is submitter or
 * a parent domain of it with at least two labels, case ignored.  1 or 0.
 */
int	 report_dkim_aligned(const char *, const char *);
/*
 * Verifies the DKIM signatures (RFC 6376) of the raw message of len
 * bytes at msg (LF or CRLF line ends) with libopendkim, fetching keys
 * from DNS within timeout seconds per query: REPORT_DKIM_PASS if one
 * signature passes, is aligned with submitter (report_dkim_aligned)
 * and has no l= tag (RFC 8460 §5.3); REPORT_DKIM_TEMPFAIL if none
 * passed and the key of an aligned signature could not be fetched for
 * a reason that may pass (a DNS timeout or SERVFAIL); else
 * REPORT_DKIM_FAIL.  why (size bytes) says why it did not pass.
 */
enum report_dkim_result report_dkim_verify(const unsigned char *, size_t,
	    const char *, unsigned, char *, size_t);
/*
 * Reads the verdict of the local verifier named authserv_id from the
 * raw message of len bytes at msg: the topmost Authentication-Results
 * header field with that authserv-id (any case, token or quoted) that
 * holds a dkim result or "none", in the run of Authentication-Results
 * fields that starts with the first of that authserv-id, decides alone
 * (RFC 8601 §5: only the local MTA's are to be trusted, and it removes
 * forged ones): it must hold a dkim=pass (version 1, unquoted keywords,
 * no property twice) with a header.d aligned with submitter, and the
 * message a DKIM-Signature of that d= (and header.b's prefix, if given)
 * with no l= tag.  REPORT_DKIM_PASS, or REPORT_DKIM_FAIL with why.
 */
enum report_dkim_result report_dkim_trust(const unsigned char *, size_t,
	    const char *, const char *, char *, size_t);

/*
 * report_html.c: `html`: the summary (tlsrpt_summary_build) as a static
 * site, an overview and a page per policy domain, with inline CSS and
 * SVG and nothing fetched (mta-sts-report(8) HTML).  Every string from
 * a report is untrusted: it reaches a page only through
 * report_html_text.  report_svg.c draws the charts.
 */
/* The marker that says a file was written by `html` (its 512 first bytes). */
#define REPORT_HTML_GENERATOR	"mta-sts-report html"
/* Bytes of one untrusted string shown; longer ones end in "…". */
#define REPORT_HTML_TEXT_MAX	1000
/* Rows of a failure table shown; the rest are counted in a last line. */
#define REPORT_HTML_ROWS_MAX	500
/* A page's file name: at most 3 bytes per byte of the name, ".html". */
#define REPORT_HTML_NAME_SIZE	(3 * DNAME_MAX + sizeof(".html"))
/*
 * Writes untrusted text s to f as HTML text or a quoted attribute value:
 * shown as log_escape shows it (controls, invalid UTF-8, bidirectional
 * and invisible characters as visible escapes), then &, <, >, " and '
 * as character references; at most REPORT_HTML_TEXT_MAX bytes of s
 * (cut at a character), then "…".  NULL writes nothing.
 */
void	 report_html_text(FILE *, const char *);
/* The same, at most max bytes of s (then "…"), for labels in charts. */
void	 report_html_textn(FILE *, const char *, size_t);
/* Writes n with thousands separators ("1,234,567"). */
void	 report_html_count(FILE *, int64_t);
/* t (seconds since the epoch) as its UTC date "YYYY-MM-DD" into out. */
void	 report_html_date(char [11], int64_t);
/*
 * The file name of policy domain d's page into out (size bytes, at
 * least REPORT_HTML_NAME_SIZE): d, whose lower-case letters, digits,
 * "-" and inner "." are kept and every other byte written "_HH", then
 * ".html".  Never "index.html", never a path, never hidden.
 */
void	 report_html_file_name(const char *, char *, size_t);
/* Writes the overview page of s to f; 0, or -1 if f has an error. */
int	 report_html_overview(FILE *, const struct tlsrpt_summary *);
/* Writes the page of s->domains[i] to f; 0, or -1 if f has an error. */
int	 report_html_domain(FILE *, const struct tlsrpt_summary *, size_t);
/*
 * Writes the site of s as directory dir, whole or not at all: into a
 * new directory beside it (".NAME.XXXXXX"), synced, then swapped with
 * dir in one rename (renameat2 RENAME_EXCHANGE; where the file system
 * has no exchange, two renames, with dir missing in between, never
 * half written), and the previous site removed.  An existing dir must
 * hold only pages this function wrote (REPORT_HTML_GENERATOR), so that
 * a mistaken -o never deletes anything else.  0, or -1 after saying
 * why (dir then unchanged, unless only the previous site's removal
 * failed, which is said).
 */
int	 report_html_write(const char *, const struct tlsrpt_summary *);

/*
 * report_svg.c: the charts, as inline SVG (role="img", a title and a
 * description); the same numbers are always in a table beside them.
 * id makes the title's and description's ids unique in a page.
 */
/* Sessions per day as a small bar strip: successful up, failed down. */
void	 report_svg_sparkline(FILE *, const struct tlsrpt_day *, size_t,
	    const char *);
/*
 * Sessions per day: successful bars above the axis, failed below, each
 * half on its own scale, labelled with its largest day.
 */
void	 report_svg_timeline(FILE *, const struct tlsrpt_day *, size_t,
	    const char *);
/* One bar of report_svg_bars: label untrusted, value at least 0. */
struct report_svg_bar {
	const char	*label;
	int64_t		 value;
};
/* Horizontal bars, largest first as given, titled title (trusted). */
void	 report_svg_bars(FILE *, const struct report_svg_bar *, size_t,
	    const char *, const char *);

/*
 * The commands, each called by report_main.c with the loaded config and
 * the arguments after the command's name; each returns the exit status.
 */
struct conf;
/*
 * report_metrics.c: `metrics [-o file] [-s since] [-u until]`, the
 * summary of every served domain over summary's period as Prometheus
 * metrics (prom.c), to file atomically or to stdout; sysexits(3)
 * statuses.
 */
/* Reporters with a series of their own: the most reports first. */
#define REPORT_METRICS_REPORTERS_MAX	100
int	 report_metrics(const struct conf *, int, char **);
/*
 * Writes the metrics of s to p, or, if s is NULL, only that the store
 * could not be read; 0, or -1 out of memory (said).  The caller
 * finishes p.
 */
int	 report_metrics_write(struct prom *, const struct tlsrpt_summary *);
/* report_serve.c: no command: FastCGI, as mta-sts-fcgi serves. */
int	 report_serve(const char *, int, char **);
/*
 * report_import.c: `import [maildir]`, argv[0] being "import":
 * sysexits(3) statuses.
 */
int	 report_import(const struct conf *, int, char **);
/*
 * Set by main when descriptor 0 was not open at start (it is /dev/null
 * since): `import` then says so and exits 66 instead of reading an
 * empty message.
 */
extern int report_import_stdin_closed;
/*
 * report_summary.c: `summary [-aj] [-s since] [-u until] [domain ...]`,
 * argv[0] being "summary": mta-sts-check's statuses (0 nothing to say
 * or only "ready for enforce", 1 a warning, 2 a critical verdict, 3
 * could not summarise).
 */
int	 report_summary(const struct conf *, int, char **);
/*
 * The period of summary's -s and -u (each NULL if not given: until now,
 * since the start of the 7th UTC day before until's), for the commands
 * that take them as summary does (html, metrics): 0 with *since and
 * *until set, or -1 with why (size bytes).
 */
int	 report_summary_period(const char *, const char *, int64_t, int64_t *,
	    int64_t *, char *, size_t);
/*
 * Opens the store as summary does: for writing when it may, recording
 * what this config serves first (tlsrpt_store_served), else read-only;
 * 0, or -1 after saying why.
 */
int	 report_summary_open(const struct conf *, struct tlsrpt_store **);
/*
 * report_html.c: `html -o dir [-s since] [-u until] [domain ...]`,
 * argv[0] being "html": sysexits(3) statuses.
 */
int	 report_html(const struct conf *, int, char **);
/*
 * report_copy.c: `copy FROM TO` (argv[0] being "copy"), every report
 * and served policy of one store into another, SQLite or PostgreSQL
 * either way; and `migrate`, the schema brought to this program's
 * version: sysexits(3) statuses.
 */
int	 report_copy(int, char **);
int	 report_migrate(const struct conf *, int, char **);

#endif /* MTA_STS_REPORT_H */
