/* SPDX-License-Identifier: ISC */
/*
 * mta-sts-check, the checker: every module's interface, one commented
 * section each.  It links the common modules (common.h) that the
 * responder links, so what it compares against is what the responder
 * serves; it sees nothing of the responder's own.  Only check_https.c
 * includes curl.h; only check_smtp.c, check_https.c (libcurl's OpenSSL
 * context) and check_x509.c include OpenSSL's headers; only check_dns.c
 * includes resolv.h.  check_dane.c is pure: the TLSA records and the
 * certificates it compares come to it as bytes.  Only check_tlsrpt.c
 * includes tlsrpt.h, the stored reports (SQLite, jansson) that
 * mta-sts-report keeps, so that both programs judge them alike.
 *
 * Names: every external function, struct tag, enum and enum value of a
 * module carries its file's name as prefix (check_dns_txt, struct
 * check_dns_answer, CHECK_DNS_OK), and the program-wide constants below
 * carry CHECK_ and what they bound (CHECK_TIMEOUT_*, CHECK_MAX_*).
 */
#ifndef MTA_STS_CHECK_H
#define MTA_STS_CHECK_H

#include "common/common.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define CHECK_PROGNAME	"mta-sts-check"

/* Every network step's bound, in seconds (senders give a fetch ~4 s). */
#define CHECK_TIMEOUT_DNS	2	/* per try, at most: resolv.conf's */
#define CHECK_TIMEOUT_DNS_TRIES	2	/* tries per server, at most */
#define CHECK_TIMEOUT_CONNECT	3	/* TCP, and for HTTPS TLS too */
#define CHECK_TIMEOUT_HTTPS	5	/* the whole fetch */
#define CHECK_TIMEOUT_SMTP	10	/* the whole SMTP conversation */
/*
 * A domain's checks start no new step after this many seconds, so that
 * a domain whose many hosts all answer slowly or not at all costs this
 * plus one step's bound (the longest a DNS question: check_dns_wait(),
 * 12 s with three silent servers), not hosts times addresses times that
 * bound.
 */
#define CHECK_TIMEOUT_DOMAIN	40
#define CHECK_EXPIRY_WARN	14	/* days */
#define CHECK_EXPIRY_CRIT	3	/* days */
#define CHECK_MAX_BODY		65536	/* what senders read at most */
/* Addresses checked per MX host; the policy host's are all checked. */
#define CHECK_MAX_ADDRS		8
#define CHECK_MAX_MX_TLS	16	/* MX hosts whose TLS is checked */

/*
 * check_result.c: the problems found for one domain, as output lines.
 */
enum check_result_severity {
	CHECK_RESULT_OK,
	CHECK_RESULT_WARNING,
	CHECK_RESULT_CRITICAL,
	CHECK_RESULT_UNKNOWN,		/* could not check */
};

/* The checks, named as monitoring users grep for them. */
enum check_result_name {
	CHECK_RESULT_STS_RECORD,
	CHECK_RESULT_STS_ID,
	CHECK_RESULT_TLSRPT_RECORD,
	CHECK_RESULT_POLICY_HOST,
	CHECK_RESULT_POLICY_TLS,
	CHECK_RESULT_POLICY_FETCH,
	CHECK_RESULT_MX_COVERAGE,
	CHECK_RESULT_MX_TLS,
	CHECK_RESULT_MX_DANE,
	CHECK_RESULT_TLSRPT,		/* what senders report (check_tlsrpt.c) */
};
#define CHECK_RESULT_NAMES	(CHECK_RESULT_TLSRPT + 1)

/*
 * The earliest expiry of a verified chain a host presented (at any of
 * its addresses), for the metrics: check says which kind of host
 * (CHECK_RESULT_POLICY_TLS or CHECK_RESULT_MX_TLS).
 */
struct check_result_expiry {
	enum check_result_name	 check;
	char			*host;
	int64_t			 not_after;	/* seconds since the epoch */
};

struct check_result {
	const char			*domain;
	char				*text;	/* lines, each ending in \n */
	size_t				 len;
	size_t				 cap;
	enum check_result_severity	 worst;
	int				 nomem;	/* a line was lost */
	/* Per check: whether it was made, and its worst line. */
	unsigned			 ran;	/* 1 << enum check_result_name */
	enum check_result_severity	 sev[CHECK_RESULT_NAMES];
	struct check_result_expiry	*expiry;
	size_t				 nexpiry, expiry_cap;
};

/* The words of the output line: "mx-tls", "warning". */
const char	*check_result_name_str(enum check_result_name);
const char	*check_result_severity_str(enum check_result_severity);
/* Adds "domain: check: severity: message\n"; never fails (nomem). */
void		 check_result_add(struct check_result *, enum check_result_name,
		    enum check_result_severity, const char *, ...)
		    __attribute__((format(printf, 4, 5)));
/*
 * Notes that a check was made, found something or not: the metrics
 * give a state only for the checks made.
 */
void		 check_result_ran(struct check_result *, enum check_result_name);
/*
 * Notes host's chain expiry (0: unknown, ignored), keeping the earliest
 * per check and host; never fails (nomem).
 */
void		 check_result_expiry(struct check_result *,
		    enum check_result_name, const char *, int64_t);
void		 check_result_free(struct check_result *);

/*
 * check_dns.c: DNS questions to the servers of /etc/resolv.conf (read by
 * glibc's res_ninit, sent by check_dns.c), one resolver state per
 * thread.
 */
enum check_dns_status {
	CHECK_DNS_OK,		/* answered, records in the list (maybe 0) */
	CHECK_DNS_NXDOMAIN,
	CHECK_DNS_TIMEOUT,	/* no answer within the bound */
	CHECK_DNS_NOSERVER,	/* no server of resolv.conf reachable */
	CHECK_DNS_ERROR,	/* SERVFAIL, REFUSED, malformed... */
};

struct check_dns_mx {
	unsigned	 preference;
	char		*host;		/* lower case, no trailing dot */
};

/* One record's data as it came, for types read as bytes (TLSA). */
struct check_dns_rdata {
	unsigned char	*data;
	size_t		 len;
};

struct check_dns_answer {
	enum check_dns_status	 status;
	char			 error[128];	/* for CHECK_DNS_ERROR */
	char			**strings;	/* TXT (joined) or addresses */
	size_t			 nstrings;
	struct check_dns_mx	*mx;
	size_t			 nmx;
	struct check_dns_rdata	*rdata;		/* TLSA */
	size_t			 nrdata;
	int			 late;	/* AAAA not asked: past the deadline */
	/* DNSSEC, for check_dns_tlsa only. */
	int			 authenticated;	/* AD set, and trusted */
	int			 ad_ignored;	/* AD set, no trust-ad */
};

struct check_dns;
/* A resolver for this thread, from /etc/resolv.conf; NULL on failure. */
struct check_dns *check_dns_new(void);
void		 check_dns_free(struct check_dns *);
/* The longest a question can wait for no answer, in seconds. */
unsigned	 check_dns_wait(const struct check_dns *);
/* Each fills a (free with check_dns_answer_free); never fails. */
void		 check_dns_txt(struct check_dns *, const char *,
		    struct check_dns_answer *);
/*
 * A and AAAA as text, IPv4 and IPv6 in turn.  OK (or NXDOMAIN) only if
 * both questions are; else the status of the one that failed, its
 * error naming the type, with the other's addresses kept.  AAAA is not
 * asked once deadline (clock_ms) has passed: late is set.
 */
void		 check_dns_addrs(struct check_dns *, const char *,
		    struct check_dns_answer *, int64_t);
void		 check_dns_mx(struct check_dns *, const char *,
		    struct check_dns_answer *);
/*
 * TLSA, asked with the DO bit (and AD, under trust-ad); authenticated
 * only if the answer has the AD bit and resolv.conf says "options
 * trust-ad", which is when glibc keeps that bit too.
 */
void		 check_dns_tlsa(struct check_dns *, const char *,
		    struct check_dns_answer *);
void		 check_dns_answer_free(struct check_dns_answer *);
/* What went wrong, as words for a message. */
const char	*check_dns_strerror(const struct check_dns_answer *);

/*
 * check_record.c: the TXT records' syntax (RFC 8461 §3.1, RFC 8460 §3);
 * pure.
 */
/* 1 if txt is an STS record candidate (starts with "v=STSv1"). */
int		 check_record_is_sts(const char *);
/*
 * Parses an STS record; returns 0 and copies the id, or -1 with a
 * sentence in err.
 */
int		 check_record_sts(const char *, char *, size_t, char *,
		    size_t);
/* 1 if txt is a TLSRPT record candidate (starts with "v=TLSRPTv1"). */
int		 check_record_is_tlsrpt(const char *);
/*
 * Parses a TLSRPT record; returns 0 and writes the rua URIs joined by
 * "," (no blanks) into rua, or -1 with a sentence in err.
 */
int		 check_record_tlsrpt(const char *, char *, size_t, char *,
		    size_t);
/* 1 if two comma-separated URI lists hold the same URIs, in any order. */
int		 check_record_same_uris(const char *, const char *);

/*
 * check_policy.c: a fetched policy as a sender reads it: the response
 * headers it looks at, the body's syntax (RFC 8461 §3.2); pure.
 */
#define CHECK_POLICY_MX_MAX	64
struct check_policy {
	char		 mode[16];
	unsigned long	 max_age;
	char		*mx[CHECK_POLICY_MX_MAX];
	size_t		 nmx;
	/* How it was written, to say how two with the same fields differ. */
	char		 order[CHECK_POLICY_MX_MAX + 4]; /* "vmxa": fields */
	size_t		 lf;		/* lines ending in LF without CR */
	int		 unended;	/* the last line has no line end */
	int		 spaced;	/* a line not written "key: value" */
	size_t		 next;		/* extension lines */
	char		 ext[40];	/* the first extension's key */
};
/* Parses body; 0, or -1 with a sentence in err.  Free with _free. */
int		 check_policy_parse(struct check_policy *, const char *,
		    size_t, char *, size_t);
void		 check_policy_free(struct check_policy *);
/*
 * Says how served differs from want, into buf: the fields that differ
 * ("mode: served testing, this config enforce; ...") and returns how
 * many; or, with the same fields, how the bytes differ ("in another
 * order, which senders accept ...") and returns 0.
 */
int		 check_policy_diff(const struct check_policy *,
		    const struct check_policy *, char *, size_t);

/* The response headers a sender reads, each of which must come once. */
enum check_policy_header_name {
	CHECK_POLICY_CONTENT_TYPE,
	CHECK_POLICY_CONTENT_LENGTH,
	CHECK_POLICY_TRANSFER_ENCODING,
	CHECK_POLICY_LOCATION,
	CHECK_POLICY_HEADERS
};
struct check_policy_headers {
	unsigned	 n[CHECK_POLICY_HEADERS];	/* how many came */
	char		 first[CHECK_POLICY_HEADERS][128];	/* values */
	char		 last[CHECK_POLICY_HEADERS][128];
};
/*
 * Notes one header line as it arrived (line ends and blanks around the
 * value dropped); a status line starts a response's headers anew.
 */
void		 check_policy_header(struct check_policy_headers *,
		    const char *, size_t);
/* The header's name as sent: "Content-Type". */
const char	*check_policy_header_str(enum check_policy_header_name);

/*
 * check_mx.c: mx patterns against MX hosts (RFC 8461 §4.1); pure.
 */
/* 1 if the lower-case host matches the pattern. */
int		 check_mx_match(const char *, const char *);

/*
 * check_dane.c: TLSA records (RFC 6698 §2.1) against the certificates an
 * MX host presents, as DANE senders compare them (RFC 7672 §3); pure.
 */
/* A certificate as presented: its DER, and its SubjectPublicKeyInfo's. */
struct check_dane_cert {
	unsigned char	*der;
	size_t		 der_len;
	unsigned char	*spki;
	size_t		 spki_len;
};
enum check_dane_parse {
	CHECK_DANE_USABLE,	/* DANE-TA(2) or DANE-EE(3), known fields */
	CHECK_DANE_UNUSABLE,	/* well formed, but senders skip it */
	CHECK_DANE_MALFORMED,	/* not a TLSA record's data */
};
struct check_dane_tlsa {
	unsigned		 usage, selector, mtype;
	const unsigned char	*data;		/* into the rdata parsed */
	size_t			 len;
	enum check_dane_parse	 kind;
	int			 matched;	/* at some address */
};
/*
 * Whether the n certificates presented (leaf first) verify with the
 * one at index ta as the only trust anchor, the leaf valid for host: 1,
 * or 0 with a clause in why (check_x509_dane_ta; unit tests stand in).
 */
struct check_dane_verifier {
	int	(*ta)(const struct check_dane_cert *, size_t, size_t,
		    const char *, char *, size_t);
};
/* One MX host's TLSA records, as they are compared address by address. */
struct check_dane_set {
	char			 name[DNAME_MAX + 16];	/* _25._tcp.host */
	const char		*host;
	struct check_dane_tlsa	*tlsa;
	size_t			 ntlsa;
	size_t			 usable;
	int			 compared;	/* an address presented certs */
	const struct check_dane_verifier *verify;
};
/*
 * Parses one record's data into t (pointing into rdata); its kind, with
 * a sentence in why unless USABLE.
 */
enum check_dane_parse check_dane_parse(const unsigned char *, size_t,
		    struct check_dane_tlsa *, char *, size_t);
/*
 * 1 if the record matches the n certificates (leaf first) presented by
 * host, as DANE senders match: DANE-EE(3) the leaf alone; DANE-TA(2) a
 * CA certificate presented that the leaf's chain verifies to (v).  0
 * if not, with a clause in why when a DANE-TA(2) record named a CA
 * certificate presented but the chain or the name failed (else "").
 */
int		 check_dane_match(const struct check_dane_tlsa *,
		    const struct check_dane_cert *, size_t, const char *,
		    const struct check_dane_verifier *, char *, size_t);
/*
 * The zone-file line "NAME. IN TLSA 3 1 1 HEX" for cert, the record a
 * DANE-EE key is best published with (RFC 7672 §3.1.1); its length, or
 * -1.
 */
int		 check_dane_record(char *, size_t, const char *,
		    const struct check_dane_cert *);
/*
 * Loads host's authenticated TLSA records (port's) into s, DANE-TA(2)
 * chains to be verified by v, reporting the unusable and malformed ones
 * to r; how many are usable.
 */
size_t		 check_dane_load(struct check_dane_set *, const char *,
		    unsigned, const struct check_dns_rdata *, size_t,
		    const struct check_dane_verifier *, struct check_result *);
/*
 * At one address (what names it): with notls (why STARTTLS or its
 * handshake failed) says that s's records make TLS mandatory; else
 * compares the n certificates presented with s's usable records, and
 * reports to r if none matches.
 */
void		 check_dane_address(struct check_dane_set *, const char *,
		    const char *, const struct check_dane_cert *, size_t,
		    struct check_result *);
/* After every address: the records that matched nothing; frees s. */
void		 check_dane_done(struct check_dane_set *, struct check_result *);
void		 check_dane_certs_free(struct check_dane_cert *, size_t);

/*
 * check_x509.c: what OpenSSL's verification of this thread's last
 * connection saw of the chain (OpenSSL's types by struct tag only).
 */
struct x509_store_ctx_st;
struct check_x509_expiry {
	time_t		 not_after;	/* earliest in the chain, 0 unknown */
	int		 ca;		/* that one is a CA's, not the leaf's */
};
struct check_x509_chain {
	struct check_x509_expiry expiry;
	int		 leaf_seen;
	int		 leaf_san;	/* a DNS name in subjectAltName */
	int		 error;		/* the first verification error */
};
/* Before a connection: forget the last chain. */
void		 check_x509_chain_reset(void);
/* What this thread's verification noted since the last reset. */
const struct check_x509_chain *check_x509_chain_seen(void);
/* The verify callback (SSL_set_verify) that notes each certificate. */
int		 check_x509_verify_note(int, struct x509_store_ctx_st *);
struct stack_st_X509;
/*
 * The certificates a server presented (SSL_get_peer_cert_chain: leaf
 * first), as DER with their SPKI, into a new array; 0, or -1.
 */
int		 check_x509_presented(struct stack_st_X509 *,
		    struct check_dane_cert **, size_t *);
/*
 * For DANE-TA(2) (RFC 7672 §3.1.2, §3.2.2, §3.2.3): 1 if the presented
 * leaf (certs[0]) verifies, through the others, to certs[ta] as the only
 * trust anchor (no system CA), validity dates checked, and names host
 * (a subjectAltName DNS name, or with none the subject's CN); else 0,
 * with a clause in why.
 */
int		 check_x509_dane_ta(const struct check_dane_cert *, size_t,
		    size_t, const char *, char *, size_t);

/*
 * check_https.c: fetching the policy from one address of the policy
 * host (libcurl).
 */
struct check_https_answer {
	int		 tls_failed;	/* handshake or certificate */
	int		 failed;	/* no usable response (error says) */
	char		 error[256];
	struct check_x509_expiry expiry; /* of the verified chain */
	long		 status;
	struct check_policy_headers headers;	/* of the last response */
	char		 location[256];	/* of a redirect */
	char		*body;
	size_t		 body_len;
	int		 too_large;
};
/* Once, before any thread: 0 or -1. */
int		 check_https_init(void);
void		 check_https_cleanup(void);
struct check_https;
/* A fetcher for this thread; cafile NULL: the system's CAs. */
struct check_https *check_https_new(const char *);
void		 check_https_free(struct check_https *);
/* GET https://host/.well-known/mta-sts.txt from address; fills f. */
void		 check_https_fetch(struct check_https *, const char *,
		    const char *, struct check_https_answer *);
void		 check_https_answer_free(struct check_https_answer *);

/*
 * check_smtp.c: STARTTLS to an MX host's address on port 25 (OpenSSL).
 */
enum check_smtp_status {
	CHECK_SMTP_OK,
	CHECK_SMTP_CONNECT,	/* no connection, or no greeting */
	CHECK_SMTP_NO_STARTTLS,	/* EHLO did not offer it, or refused it */
	CHECK_SMTP_TLS,		/* handshake or certificate failed */
};
struct check_smtp_answer {
	enum check_smtp_status	 status;
	char			 error[256];
	/*
	 * The TLS handshake completed, whatever the PKIX verification of
	 * the certificate said (a DANE sender then matches TLSA records).
	 */
	int			 tls_done;
	struct check_x509_expiry expiry;	/* of the verified chain */
	/*
	 * What the server presented in the handshake, verified or not
	 * (a DANE-EE host's own certificate fails PKIX): for mx-dane.
	 */
	struct check_dane_cert	*presented;
	size_t			 npresented;
};
/* Once, before any thread: loads the CAs; 0 or -1. */
int		 check_smtp_init(const char *);
void		 check_smtp_cleanup(void);
/* Connects to address:port, EHLO, STARTTLS, verifies host's cert. */
void		 check_smtp_starttls(const char *, const char *, unsigned,
		    struct check_smtp_answer *);
void		 check_smtp_answer_free(struct check_smtp_answer *);

/*
 * check_domain.c: every check for one policy domain.
 */
struct policy;
struct check_domain_options {
	int		 no_smtp;	/* -n */
	unsigned	 smtp_port;	/* 25 */
	int		 policy_only;	/* -p: policy-host, -tls, -fetch */
	int		 reports_only;	/* -r: tlsrpt, no network */
};
/* A policy domain to check, and what this config serves it. */
struct check_domain_target {
	const char		*name;
	const struct policy	*policy;	/* what this config serves */
	const char		*tlsrpt;	/* config's rua, or NULL */
};
/* A checking thread's own: its resolver, its fetcher, its domain's time. */
struct check_domain_thread {
	struct check_dns		*dns;
	struct check_https		*https;
	int64_t				 deadline;	/* clock_ms() */
	int				 late;	/* said it ran out of time */
	enum check_result_severity	 late_sev; /* of what was not checked */
};
/*
 * Runs d's checks (under -p only the policy host's), adding its
 * problems to r.
 */
void		 check_domain_run(struct check_domain_thread *,
		    const struct check_domain_options *,
		    const struct check_domain_target *, struct check_result *);

/*
 * check_tlsrpt.c: the tlsrpt check, what senders report about a policy
 * domain (RFC 8460): the verdicts of the summary model (tlsrpt.h, the
 * store of [reports]), read once for every domain checked.
 */
/* The period judged, as mta-sts-report summary judges by default. */
#define CHECK_TLSRPT_DAYS	7
struct tlsrpt_domain;
struct conf_reports;
struct table;
/*
 * Adds the verdicts of one domain's summary to r as tlsrpt lines: a
 * warning or critical verdict as that severity; an informational one
 * (ready for enforce) is no problem and adds no line.  Pure.
 */
void		 check_tlsrpt_verdicts(const struct tlsrpt_domain *,
		    struct check_result *);
/*
 * The tlsrpt check for the n domains of results (their domain names,
 * lower case) from the store reports names, read-only, over
 * mta-sts-report summary's default period (the CHECK_TLSRPT_DAYS whole
 * UTC days before now's, and now's so far): each domain's verdicts, or
 * an unknown line saying why the store could not be read.
 */
void		 check_tlsrpt_run(const struct conf_reports *,
		    const struct table *, struct check_result *, size_t,
		    int64_t);

/*
 * check_metrics.c: the results as Prometheus metrics (prom.c).
 */
/*
 * Writes the metrics of n domains checked (targets and their results)
 * to p, finished at now (seconds since the epoch); the caller finishes
 * p.  Pure apart from p.
 */
void		 check_metrics_write(struct prom *,
		    const struct check_domain_target *,
		    const struct check_result *, size_t, int64_t);

#endif /* MTA_STS_CHECK_H */
