/* SPDX-License-Identifier: ISC */
/*
 * `summary`: the stored reports as answers, per policy domain over a
 * period: sessions, failures by type, MX and reporter, and the verdicts
 * (tlsrpt_summary.c builds them; mta-sts-report(8) SUMMARY says what
 * each means and what to do).
 *
 * It is made for cron and for monitoring, as mta-sts-check is: quiet and
 * exit 0 when there is nothing to say, one line per verdict
 * ("DOMAIN: VERDICT: what, and what to do") otherwise, and the checker's
 * exit statuses (1 a warning, 2 a critical verdict, 3 could not say), so
 * that "alert on failure, digest otherwise" is two cron lines: the plain
 * command daily (cron mails what it prints), -a weekly.  -j writes one
 * JSON object per domain per line, the whole model, for jq and scripts.
 *
 * Everything a report said (organization names, MX names, reasons,
 * result types) is untrusted: anyone may POST a report.  The text forms
 * pass each through log_escape (the verdict lines already are), JSON
 * lets jansson escape it.  The config is loaded here, so the store
 * first records what it serves (tlsrpt_store_served) when we may write
 * it: that is how the summary knows since when each policy is published.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "report/report.h"

#define DAY			86400
#define SUMMARY_DEFAULT_DAYS	7
/* The checker's statuses (mta-sts-check(1) EXIT STATUS). */
#define SUMMARY_OK		0
#define SUMMARY_WARNING		1
#define SUMMARY_CRITICAL	2
#define SUMMARY_UNKNOWN		3

static const char usage_line[] = "usage: " REPORT_PROGNAME " [-c config] "
    "summary [-aj] [-s since] [-u until] [domain ...]\n";

/* Says what is wrong with the command line; returns SUMMARY_UNKNOWN. */
static int __attribute__((format(printf, 1, 2)))
summary_usage(const char *fmt, ...)
{
	char	 msg[512];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("summary: %s", msg);
	fputs(usage_line, stderr);
	return SUMMARY_UNKNOWN;
}

/*
 * An RFC 3339 full-date ("2024-04-01", midnight UTC) or date-time in UTC
 * ("2024-04-01T06:00:00Z") into *t.  0, or -1.
 */
static int
summary_date(const char *s, int64_t *t)
{
	struct tm	 tm, back;
	const char	*end;
	time_t		 tt;
	int		 mday, mon;

	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, "%Y-%m-%d", &tm)) == NULL ||
	    strlen(s) < 10 || s[4] != '-' || s[7] != '-')
		return -1;
	if (*end == 'T' || *end == 't') {
		if ((end = strptime(end + 1, "%H:%M:%S", &tm)) == NULL ||
		    (*end != 'Z' && *end != 'z') || end[1] != '\0')
			return -1;
	} else if (*end != '\0')
		return -1;
	if (tm.tm_year < 70 || tm.tm_year > 8099)
		return -1;
	/* strptime takes 2024-02-30: a date must come back unchanged. */
	mday = tm.tm_mday;
	mon = tm.tm_mon;
	tt = timegm(&tm);
	if (gmtime_r(&tt, &back) == NULL || back.tm_mday != mday ||
	    back.tm_mon != mon)
		return -1;
	*t = (int64_t)tt;
	return 0;
}

/*
 * -s: a duration back from until ("7d", "36h": at most a year) or a
 * date as summary_date takes it.  0, or -1.  Days count whole UTC days
 * back from the start of until's day: a day's reports (their midpoint
 * at noon) are in "-s 1d" whenever that runs the next day.
 */
static int
summary_since(const char *s, int64_t until, int64_t *since)
{
	char		 num[16];
	size_t		 len = strlen(s);
	long long	 n;
	int64_t		 unit;

	if (len >= 2 && len < sizeof(num) &&
	    (s[len - 1] == 'd' || s[len - 1] == 'h')) {
		unit = s[len - 1] == 'd' ? DAY : 3600;
		memcpy(num, s, len - 1);
		num[len - 1] = '\0';
		if (num_parse(num, 10, 1, unit == DAY ? 365 : 366 * 24, &n) ==
		    -1)
			return -1;
		*since = unit == DAY ? until - until % DAY - n * DAY :
		    until - n * unit;
		return 0;
	}
	return summary_date(s, since);
}

/* A policy domain named on the command line, as list takes it. */
static int
summary_domain(const char *arg, char *out)
{
	size_t	 i, len = strlen(arg);

	if (len > 0 && arg[len - 1] == '.')
		len--;
	if (len == 0 || len > DNAME_MAX)
		return -1;
	for (i = 0; i < len; i++)
		out[i] = (char)(arg[i] >= 'A' && arg[i] <= 'Z' ?
		    arg[i] - 'A' + 'a' : arg[i]);
	out[len] = '\0';
	return dname_check_domain(out, len) == DNAME_OK ? 0 : -1;
}

static const char *
summary_time(int64_t t, char *buf, size_t size, const char *fmt)
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, size, fmt, &tm) == 0)
		snprintf(buf, size, "%lld", (long long)t);
	return buf;
}
#define YMD(t, b)	summary_time((t), (b), sizeof(b), "%Y-%m-%d")
/* The day a report ending at t covers (23:59:59 or the next 00:00). */
#define YMD_END(t, b)	YMD((t) - 1, b)
#define RFC3339(t, b)	summary_time((t), (b), sizeof(b), \
			    "%Y-%m-%dT%H:%M:%SZ")

/* An untrusted string, log_escape'd into a new string (free); NULL: no memory. */
static char *
summary_escape(const char *s)
{
	size_t	 len = strlen(s);
	char	*e;

	if ((e = malloc(LOG_ESCAPE_SIZE(len))) != NULL)
		log_escape(e, LOG_ESCAPE_SIZE(len), s, len);
	return e;
}

/* The verdict lines of d; 0, or -1 (a write error). */
static int
text_verdicts(FILE *fp, const struct tlsrpt_domain *d)
{
	size_t	 i;

	for (i = 0; i < d->nverdicts; i++)
		if (fprintf(fp, "%s: %s: %s\n", d->domain,
		    tlsrpt_verdict_name(d->verdicts[i].kind),
		    d->verdicts[i].line) < 0)
			return -1;
	return 0;
}

static int64_t
add_sessions(int64_t a, int64_t b)
{
	return a > INT64_MAX - b ? INT64_MAX : a + b;
}

/* "1.25%" of failed sessions, or "-" with none. */
static const char *
rate(int64_t ok, int64_t failed, char *buf, size_t size)
{
	double	 all = (double)ok + (double)failed;

	if (all <= 0)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%.2f%%", 100.0 * (double)failed / all);
	return buf;
}

static int
digest_reporters(FILE *fp, const struct tlsrpt_domain *d)
{
	const struct tlsrpt_reporter	*r;
	const char			*id;
	char				 last[16], *org;
	size_t				 i;
	int				 rc = 0;

	if (d->nreporters == 0)
		return fprintf(fp, "  no reports\n") < 0 ? -1 : 0;
	fprintf(fp, "  %8s %12s %8s  %-10s  %-32s  %s\n", "reports",
	    "successful", "failed", "last", "policy id applied last",
	    "reporter");
	for (i = 0; i < d->nreporters && rc == 0; i++) {
		r = &d->reporters[i];
		id = r->napplied == 0 ? "-" :
		    r->applied[0].policy_id[0] != '\0' ?
		    r->applied[0].policy_id :
		    strcmp(r->applied[0].policy_type, "sts") == 0 ?
		    "(no policy-string)" : r->applied[0].policy_type;
		if ((org = summary_escape(r->organization)) == NULL)
			return -1;
		if (fprintf(fp, "  %8lld %12lld %8lld  %-10s  %-32s  %s\n",
		    (long long)r->reports, (long long)r->successful,
		    (long long)r->failed, YMD_END(r->last, last), id, org) < 0)
			rc = -1;
		free(org);
	}
	if (d->more_reporters > 0)
		fprintf(fp, "  and %zu more reporters\n", d->more_reporters);
	return rc;
}

static int
digest_failures(FILE *fp, const struct tlsrpt_domain *d)
{
	const struct tlsrpt_failure_sum	*f;
	char				 first[16], last[16];
	char				*type, *mx, *org, *why;
	size_t				 i;
	int				 rc = 0;

	if (d->nfailures == 0)
		return 0;
	fprintf(fp, "  %8s  %-10s  %-10s  %s\n", "failed", "first", "last",
	    "result type, MX, reporter, reason");
	for (i = 0; i < d->nfailures && rc == 0; i++) {
		f = &d->failures[i];
		type = summary_escape(f->result_type);
		mx = summary_escape(f->receiving_mx != NULL ?
		    f->receiving_mx : "(no MX named)");
		org = summary_escape(f->reporter);
		why = summary_escape(f->reason != NULL ? f->reason : "");
		if (type == NULL || mx == NULL || org == NULL || why == NULL ||
		    fprintf(fp, "  %8lld  %-10s  %-10s  %s at %s by %s%s%s\n",
		    (long long)f->count, YMD_END(f->first, first),
		    YMD_END(f->last, last), type, mx, org, f->reason != NULL ?
		    ": " : "", why) < 0)
			rc = -1;
		free(type);
		free(mx);
		free(org);
		free(why);
	}
	if (d->more_failures > 0)
		fprintf(fp, "  and %zu more failure groups\n",
		    d->more_failures);
	return rc;
}

/* -a: one domain's digest, always; 0, or -1. */
static int
text_digest(FILE *fp, const struct tlsrpt_domain *d)
{
	char	 pub[16], r[32], day[16];
	size_t	 i;

	fprintf(fp, "%s: %s, policy id %s, served since %s\n", d->domain,
	    policy_mode_name(d->mode), d->policy_id, d->published != 0 ?
	    YMD(d->published, pub) : "an unknown date");
	fprintf(fp, "  %lld sessions, %lld failed (%s), %zu reporters\n",
	    (long long)add_sessions(d->successful, d->failed),
	    (long long)d->failed, rate(d->successful, d->failed, r,
	    sizeof(r)), d->nreporters + d->more_reporters);
	fprintf(fp, "  %-10s %12s %8s\n", "day", "successful", "failed");
	for (i = 0; i < d->ndays; i++)
		fprintf(fp, "  %-10s %12lld %8lld\n", YMD(d->days[i].day, day),
		    (long long)d->days[i].successful,
		    (long long)d->days[i].failed);
	if (digest_reporters(fp, d) == -1 || digest_failures(fp, d) == -1)
		return -1;
	if (d->nverdicts == 0)
		return fprintf(fp, "%s: no verdict\n", d->domain) < 0 ? -1 : 0;
	return text_verdicts(fp, d);
}

/* A string from a report for JSON: null for NULL, escaped if not UTF-8. */
static json_t *
jstr(const char *s)
{
	json_t	*j;
	char	*e;

	if (s == NULL)
		return json_null();
	if ((j = json_string(s)) != NULL || (e = summary_escape(s)) == NULL)
		return j;
	j = json_string(e);
	free(e);
	return j;
}

static json_t *
jtime(int64_t t)
{
	char	 buf[32];

	return t == 0 ? json_null() : json_string(RFC3339(t, buf));
}

/* Sets key to v (taking it); 0, or -1 if v is NULL (out of memory). */
static int
jset(json_t *o, const char *key, json_t *v)
{
	return v == NULL ? -1 : json_object_set_new(o, key, v);
}

static int
jappend(json_t *a, json_t *v)
{
	return v == NULL ? -1 : json_array_append_new(a, v);
}

static json_t *
json_days(const struct tlsrpt_domain *d)
{
	json_t	*a, *o;
	char	 day[16];
	size_t	 i;

	if ((a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < d->ndays; i++)
		if ((o = json_object()) == NULL ||
		    jappend(a, o) == -1 ||
		    jset(o, "day", json_string(YMD(d->days[i].day, day))) ==
		    -1 || jset(o, "successful",
		    json_integer(d->days[i].successful)) == -1 ||
		    jset(o, "failed", json_integer(d->days[i].failed)) == -1) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *
json_applied(const struct tlsrpt_reporter *r)
{
	const struct tlsrpt_applied	*p;
	json_t				*a, *o;
	size_t				 i;

	if ((a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < r->napplied; i++) {
		p = &r->applied[i];
		if ((o = json_object()) == NULL || jappend(a, o) == -1 ||
		    jset(o, "policy_type", jstr(p->policy_type)) == -1 ||
		    jset(o, "policy_id", p->policy_id[0] != '\0' ?
		    json_string(p->policy_id) : json_null()) == -1 ||
		    jset(o, "max_age", p->max_age >= 0 ?
		    json_integer(p->max_age) : json_null()) == -1 ||
		    jset(o, "reports", json_integer(p->reports)) == -1 ||
		    jset(o, "first", jtime(p->first)) == -1 ||
		    jset(o, "last", jtime(p->last)) == -1) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *
json_reporters(const struct tlsrpt_domain *d)
{
	const struct tlsrpt_reporter	*r;
	json_t				*a, *o;
	size_t				 i;

	if ((a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < d->nreporters; i++) {
		r = &d->reporters[i];
		if ((o = json_object()) == NULL || jappend(a, o) == -1 ||
		    jset(o, "organization", jstr(r->organization)) == -1 ||
		    jset(o, "reports", json_integer(r->reports)) == -1 ||
		    jset(o, "successful", json_integer(r->successful)) == -1 ||
		    jset(o, "failed", json_integer(r->failed)) == -1 ||
		    jset(o, "first", jtime(r->first)) == -1 ||
		    jset(o, "last", jtime(r->last)) == -1 ||
		    jset(o, "days_of_week", json_integer(r->days_of_week)) ==
		    -1 || jset(o, "applied", json_applied(r)) == -1) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *
json_failures(const struct tlsrpt_domain *d)
{
	const struct tlsrpt_failure_sum	*f;
	json_t				*a, *o;
	size_t				 i;

	if ((a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < d->nfailures; i++) {
		f = &d->failures[i];
		if ((o = json_object()) == NULL || jappend(a, o) == -1 ||
		    jset(o, "result_type", jstr(f->result_type)) == -1 ||
		    jset(o, "receiving_mx", jstr(f->receiving_mx)) == -1 ||
		    jset(o, "reporter", jstr(f->reporter)) == -1 ||
		    jset(o, "reason", jstr(f->reason)) == -1 ||
		    jset(o, "policy_type", jstr(f->policy_type)) == -1 ||
		    jset(o, "count", json_integer(f->count)) == -1 ||
		    jset(o, "first", jtime(f->first)) == -1 ||
		    jset(o, "last", jtime(f->last)) == -1) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *
json_verdicts(const struct tlsrpt_domain *d)
{
	const struct tlsrpt_verdict	*v;
	json_t				*a, *o;
	size_t				 i;

	if ((a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < d->nverdicts; i++) {
		v = &d->verdicts[i];
		if ((o = json_object()) == NULL || jappend(a, o) == -1 ||
		    jset(o, "verdict", json_string(tlsrpt_verdict_name(
		    v->kind))) == -1 ||
		    jset(o, "severity", json_string(tlsrpt_severity_name(
		    v->severity))) == -1 ||
		    jset(o, "subject", jstr(v->subject)) == -1 ||
		    jset(o, "since", jtime(v->since)) == -1 ||
		    jset(o, "line", jstr(v->line)) == -1) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* -j: one domain as one JSON object on one line; 0, or -1. */
static int
json_domain(FILE *fp, const struct tlsrpt_summary *s,
    const struct tlsrpt_domain *d)
{
	json_t	*o;
	int64_t	 all = add_sessions(d->successful, d->failed);
	int	 rc = -1;

	if ((o = json_object()) == NULL)
		return -1;
	if (jset(o, "domain", json_string(d->domain)) == -1 ||
	    jset(o, "mode", json_string(policy_mode_name(d->mode))) == -1 ||
	    jset(o, "policy_id", json_string(d->policy_id)) == -1 ||
	    jset(o, "max_age", json_integer((json_int_t)d->max_age)) == -1 ||
	    jset(o, "published", jtime(d->published)) == -1 ||
	    jset(o, "since", jtime(s->since)) == -1 ||
	    jset(o, "until", jtime(s->until)) == -1 ||
	    jset(o, "successful", json_integer(d->successful)) == -1 ||
	    jset(o, "failed", json_integer(d->failed)) == -1 ||
	    jset(o, "failure_rate", all > 0 ? json_real((double)d->failed /
	    (double)all) : json_null()) == -1 ||
	    jset(o, "days", json_days(d)) == -1 ||
	    jset(o, "reporters", json_reporters(d)) == -1 ||
	    jset(o, "more_reporters", json_integer((json_int_t)
	    d->more_reporters)) == -1 ||
	    jset(o, "failures", json_failures(d)) == -1 ||
	    jset(o, "more_failures", json_integer((json_int_t)
	    d->more_failures)) == -1 ||
	    jset(o, "verdicts", json_verdicts(d)) == -1)
		goto out;
	if (json_dumpf(o, fp, JSON_COMPACT | JSON_REAL_PRECISION(6)) == -1 ||
	    fputc('\n', fp) == EOF)
		goto out;
	rc = 0;
out:
	json_decref(o);
	return rc;
}

/* The summary as asked: 0, or -1 after saying why. */
static int
summary_write(FILE *fp, const struct tlsrpt_summary *s, int json,
    int digest)
{
	char	 a[32], b[32];
	size_t	 i;
	int	 rc = 0;

	if (digest && !json)
		fprintf(fp, "TLS reports from %s to %s, %zu domain%s\n",
		    RFC3339(s->since, a), RFC3339(s->until, b), s->ndomains,
		    s->ndomains == 1 ? "" : "s");
	for (i = 0; i < s->ndomains && rc == 0; i++)
		rc = json ? json_domain(fp, s, &s->domains[i]) : digest ?
		    text_digest(fp, &s->domains[i]) :
		    text_verdicts(fp, &s->domains[i]);
	if (rc == -1 || fflush(fp) == EOF || ferror(fp)) {
		log_warn("summary: cannot write the summary");
		return -1;
	}
	return 0;
}

/*
 * Opens the store: for writing when we may (to record what this config
 * serves, tlsrpt_store_served), else read-only (a monitoring user).  A
 * PostgreSQL store is always opened so: a role that may not insert
 * records nothing there, as a read-only SQLite store.
 */
static int
summary_open(const struct conf *conf, struct tlsrpt_store **st)
{
	const char	*db = conf->reports.database;
	char		 why[CONF_REPORTS_PATH_MAX + 160];

	if (database_kind(db, why, sizeof(why)) == DATABASE_SQLITE &&
	    access(db, W_OK) == -1)
		return tlsrpt_store_open(st, db, TLSRPT_STORE_OPEN_READONLY);
	if (tlsrpt_store_open(st, db, 0) == -1)
		return -1;
	if (tlsrpt_store_served(*st, &conf->table, (int64_t)time(NULL)) ==
	    -1)
		log_warnx("summary: going on without recording what this "
		    "config serves");
	return 0;
}

int
report_summary(const struct conf *conf, int argc, char **argv)
{
	struct tlsrpt_store	*st = NULL;
	struct tlsrpt_summary	 sum;
	char			(*names)[DNAME_MAX + 1] = NULL;
	const char		**domains = NULL, *since_arg = NULL;
	const char		*until_arg = NULL;
	char			 why[256];
	int64_t			 until, since;
	int			 ch, json = 0, digest = 0, i, n, worst;
	int			 status = SUMMARY_UNKNOWN;

	memset(&sum, 0, sizeof(sum));
	opterr = 0;
	while ((ch = getopt(argc, argv, "+:ahjs:u:")) != -1) {
		switch (ch) {
		case 'a':
			digest = 1;
			break;
		case 'h':
			fputs(usage_line, stdout);
			return SUMMARY_OK;
		case 'j':
			json = 1;
			break;
		case 's':
			since_arg = optarg;
			break;
		case 'u':
			until_arg = optarg;
			break;
		case ':':
			return summary_usage("option -%c needs an argument",
			    optopt);
		default:
			return summary_usage("unknown option -%c", optopt);
		}
	}
	if (report_summary_period(since_arg, until_arg, (int64_t)time(NULL),
	    &since, &until, why, sizeof(why)) == -1)
		return summary_usage("%s", why);
	n = argc - optind;
	if (n > 0 && ((names = calloc((size_t)n, sizeof(*names))) == NULL ||
	    (domains = calloc((size_t)n, sizeof(*domains))) == NULL)) {
		log_warn("summary");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (summary_domain(argv[optind + i], names[i]) == -1) {
			status = summary_usage("\"%s\" is not a policy domain",
			    argv[optind + i]);
			goto out;
		}
		domains[i] = names[i];
	}
	if (summary_open(conf, &st) == -1 ||
	    tlsrpt_summary_build(st, &conf->table, &conf->reports, since,
	    until, domains, (size_t)n, &sum) == -1 ||
	    summary_write(stdout, &sum, json, digest) == -1)
		goto out;
	worst = tlsrpt_summary_worst(&sum);
	status = worst == 3 ? SUMMARY_CRITICAL : worst == 2 ?
	    SUMMARY_WARNING : SUMMARY_OK;
out:
	tlsrpt_summary_free(&sum);
	tlsrpt_store_close(st);
	free(names);
	free(domains);
	return status;
}

/*
 * The period of -s since and -u until (each NULL if not given), as
 * summary, html and metrics all take it: until now, since the start of
 * the 7th UTC day before until's.  0, or -1 with why (size bytes).
 */
int
report_summary_period(const char *since_arg, const char *until_arg,
    int64_t now, int64_t *since, int64_t *until, char *why, size_t size)
{
	*until = now;
	if (until_arg != NULL && summary_date(until_arg, until) == -1) {
		snprintf(why, size, "-u %s: want a date (2024-04-01) or a "
		    "time in UTC (2024-04-01T06:00:00Z)", until_arg);
		return -1;
	}
	*since = *until - *until % DAY - SUMMARY_DEFAULT_DAYS * DAY;
	if (since_arg != NULL && (summary_since(since_arg, *until, since) ==
	    -1 || *since >= *until || *until - *since > 366 * DAY)) {
		snprintf(why, size, "-s %s: want a duration (7d, 36h; at most "
		    "365d) or a date before the end of the period (2024-04-01, "
		    "2024-04-01T06:00:00Z)", since_arg);
		return -1;
	}
	return 0;
}

int
report_summary_open(const struct conf *conf, struct tlsrpt_store **st)
{
	return summary_open(conf, st);
}
