/* SPDX-License-Identifier: ISC */
/*
 * The summary: what the stored reports say about each policy domain over
 * a period, and the verdicts an operator acts on (issue 20;
 * mta-sts-report(8) SUMMARY says what each verdict means and what to do).
 *
 * An operator does not want rows but answers: is it safe to switch this
 * domain to enforce, which MX fails for whom since when, which senders
 * still apply a policy we replaced.  The last is exact here, because a
 * report's policy id is derived from the bytes the sender applied as our
 * responder derives it from the bytes it serves, and the store records
 * since when each id is served (tlsrpt_store_served).
 *
 * Built from four aggregations of the store (tlsrpt_store_applied,
 * _failures, _days, _served_list), so that its cost follows the number
 * of (domain, reporter, policy) groups, not of reports; every list per
 * domain is bounded (TLSRPT_SUMMARY_*_MAX), since anyone may POST a
 * report under any organization-name.  Pure apart from the store: no
 * clock (until is "now"), no output.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tlsrpt/tlsrpt.h"

#define DAY		86400
#define WEEK		7
/* What a verdict shows of one untrusted string, escaped. */
#define SHOWN_MAX	200
#define LINE_MAX_LEN	2048
/* Failure groups named in one MX failing line. */
#define MX_NAMED_MAX	3

/* A policy the store recorded as served for a domain. */
struct history {
	char		 id[POLICY_ID_LEN + 1];
	int64_t		 first_seen;
	unsigned long	 max_age;
};

/* What the build keeps beside each domain of the summary. */
struct extra {
	struct history	*hist;		/* oldest first */
	size_t		 nhist;
	size_t		 hist_cap;
	size_t		 reporters_cap;
	size_t		 failures_cap;
	size_t		 verdicts_cap;
};

struct build {
	struct tlsrpt_summary		*sum;
	const struct conf_reports	*rc;
	struct extra			*extra;
	size_t				 last;	/* the domain found last */
	int				 nomem;
	/* The (domain, organization) group of day rows being read. */
	struct tlsrpt_reporter		*group;
	int64_t				 group_days[WEEK];
	size_t				 group_n;
};

const char *
tlsrpt_verdict_name(enum tlsrpt_verdict_kind kind)
{
	switch (kind) {
	case TLSRPT_VERDICT_STALE_POLICY:
		return "stale policy";
	case TLSRPT_VERDICT_NO_POLICY_SEEN:
		return "no policy seen";
	case TLSRPT_VERDICT_MX_FAILING:
		return "MX failing";
	case TLSRPT_VERDICT_SILENT_REPORTER:
		return "silent reporter";
	case TLSRPT_VERDICT_READY_FOR_ENFORCE:
		return "ready for enforce";
	case TLSRPT_VERDICT_NOT_READY:
		return "not ready for enforce";
	}
	return "unknown";
}

const char *
tlsrpt_severity_name(enum tlsrpt_severity s)
{
	switch (s) {
	case TLSRPT_SEVERITY_INFO:
		return "info";
	case TLSRPT_SEVERITY_WARNING:
		return "warning";
	case TLSRPT_SEVERITY_CRITICAL:
		return "critical";
	}
	return "unknown";
}

int
tlsrpt_summary_worst(const struct tlsrpt_summary *s)
{
	size_t	 i, j;
	int	 worst = 0;

	for (i = 0; i < s->ndomains; i++)
		for (j = 0; j < s->domains[i].nverdicts; j++)
			if ((int)s->domains[i].verdicts[j].severity + 1 > worst)
				worst = (int)s->domains[i].verdicts[j].severity +
				    1;
	return worst;
}

static int64_t
add_sat(int64_t a, int64_t b)
{
	return a > INT64_MAX - b ? INT64_MAX : a + b;
}

static int64_t
day_of(int64_t t)
{
	return t >= 0 ? t / DAY * DAY : -((-t + DAY - 1) / DAY) * DAY;
}

/* A date as "2024-04-01" (UTC), for lines. */
static const char *
ymd(int64_t t, char *buf, size_t size)
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%d", &tm) == 0)
		snprintf(buf, size, "%lld", (long long)t);
	return buf;
}

/*
 * The day a report that ended at t covers, for lines: senders end a
 * day at 23:59:59 or at the next 00:00.
 */
static const char *
ymd_end(int64_t t, char *buf, size_t size)
{
	return ymd(t - 1, buf, size);
}

/*
 * An untrusted string as a verdict line shows it: log_escape'd, at most
 * SHOWN_MAX bytes of it, "..." after a cut.
 */
static const char *
shown(const char *s, char *buf, size_t size)
{
	size_t	 len = strlen(s), n;

	n = log_escape(buf, size - 3, s, len > SHOWN_MAX ? SHOWN_MAX : len);
	if (n < len)
		strcat(buf, "...");
	return buf;
}
#define SHOWN_SIZE	(LOG_ESCAPE_SIZE(SHOWN_MAX) + 3)

static char *
dup_or_null(struct build *b, const char *s)
{
	char	*d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		b->nomem = 1;
	return d;
}

static int
domain_cmp(const void *a, const void *b)
{
	return strcmp(((const struct tlsrpt_domain *)a)->domain,
	    ((const struct tlsrpt_domain *)b)->domain);
}

/*
 * The summary's domain named name, or NULL if it is not one of them.
 * Rows come ordered by domain: the last one found is tried first.
 */
static struct tlsrpt_domain *
find_domain(struct build *b, const char *name)
{
	struct tlsrpt_summary	*s = b->sum;
	struct tlsrpt_domain	 key, *d;

	if (b->last < s->ndomains &&
	    strcmp(s->domains[b->last].domain, name) == 0)
		return &s->domains[b->last];
	key.domain = (char *)(uintptr_t)name;
	if (s->ndomains == 0)
		return NULL;
	if ((d = bsearch(&key, s->domains, s->ndomains, sizeof(*d),
	    domain_cmp)) != NULL)
		b->last = (size_t)(d - s->domains);
	return d;
}

static int
reporter_cmp(const void *a, const void *b)
{
	return strcmp(((const struct tlsrpt_reporter *)a)->organization,
	    ((const struct tlsrpt_reporter *)b)->organization);
}

static struct tlsrpt_reporter *
find_reporter(struct tlsrpt_domain *d, const char *org)
{
	struct tlsrpt_reporter	 key;

	key.organization = (char *)(uintptr_t)org;
	if (d->nreporters == 0)
		return NULL;
	return bsearch(&key, d->reporters, d->nreporters, sizeof(key),
	    reporter_cmp);
}

/*
 * The domains to summarise, with what the config serves them now.
 * 0, or -1 after saying why.
 */
static int
build_domains(struct build *b, const struct table *t,
    const char *const *names, size_t n)
{
	struct tlsrpt_summary		*s = b->sum;
	const struct table_domain	*td;
	struct tlsrpt_domain		*d;
	size_t				 i, count = n > 0 ? n : t->ndomains;
	int64_t				 ndays;

	ndays = (day_of(s->until - 1) - day_of(s->since)) / DAY + 1;
	if (s->until <= s->since || ndays > TLSRPT_SUMMARY_DAYS_MAX) {
		log_warnx("summary: the period must end after it begins and "
		    "span at most %d days", TLSRPT_SUMMARY_DAYS_MAX);
		return -1;
	}
	if ((s->domains = calloc(count + 1, sizeof(*s->domains))) == NULL ||
	    (b->extra = calloc(count + 1, sizeof(*b->extra))) == NULL)
		goto nomem;
	for (i = 0; i < count; i++) {
		td = n > 0 ? table_find(t, names[i], strlen(names[i])) :
		    &t->domains[i];
		if (td == NULL) {
			log_warnx("%s: no [domain %s] section: the receiver "
			    "stores no report for it", names[i], names[i]);
			return -1;
		}
		if (td->policy >= t->npolicies)
			continue;
		d = &s->domains[s->ndomains];
		if ((d->domain = strdup(td->name)) == NULL ||
		    (d->days = calloc((size_t)ndays, sizeof(*d->days))) ==
		    NULL)
			goto nomem;
		s->ndomains++;
		d->ndays = (size_t)ndays;
		memcpy(d->policy_id, t->policies[td->policy].id,
		    sizeof(d->policy_id));
		if (tlsrpt_store_policy_spec(&t->policies[td->policy],
		    &d->mode, &d->max_age) == -1)
			d->mode = POLICY_NONE;
	}
	if (s->ndomains > 1)
		qsort(s->domains, s->ndomains, sizeof(*s->domains),
		    domain_cmp);
	/* A domain named twice is summarised once. */
	for (i = 1; i < s->ndomains; i++)
		if (strcmp(s->domains[i - 1].domain, s->domains[i].domain) ==
		    0) {
			free(s->domains[i].domain);
			free(s->domains[i].days);
			memmove(&s->domains[i], &s->domains[i + 1],
			    (s->ndomains - i - 1) * sizeof(*s->domains));
			s->ndomains--;
			i--;
		}
	for (i = 0; i < s->ndomains; i++)
		for (ndays = 0; (size_t)ndays < s->domains[i].ndays; ndays++)
			s->domains[i].days[ndays].day = day_of(s->since) +
			    ndays * DAY;
	return 0;
nomem:
	log_warnx("summary: out of memory");
	return -1;
}

static int
on_served(const struct tlsrpt_served_row *row, void *arg)
{
	struct build		*b = arg;
	struct tlsrpt_domain	*d;
	struct extra		*x;
	struct history		*h;

	if ((d = find_domain(b, row->domain)) == NULL)
		return 0;
	x = &b->extra[d - b->sum->domains];
	if ((h = buf_array_room(x->hist, x->nhist, &x->hist_cap,
	    sizeof(*h))) == NULL) {
		log_warnx("summary: out of memory");
		return -1;
	}
	x->hist = h;
	h = &x->hist[x->nhist++];
	snprintf(h->id, sizeof(h->id), "%s", row->policy_id);
	h->first_seen = row->first_seen;
	h->max_age = row->max_age;
	return 0;
}

/*
 * A reporter's entry for org, added if new (rows come by organization);
 * NULL past the bound (counted) or out of memory (b->nomem).
 */
static struct tlsrpt_reporter *
reporter_get(struct build *b, struct tlsrpt_domain *d, const char *org)
{
	struct extra		*x = &b->extra[d - b->sum->domains];
	struct tlsrpt_reporter	*r;

	if (d->nreporters > 0 &&
	    strcmp(d->reporters[d->nreporters - 1].organization, org) == 0)
		return &d->reporters[d->nreporters - 1];
	if (d->nreporters == TLSRPT_SUMMARY_REPORTERS_MAX) {
		d->more_reporters++;
		return NULL;
	}
	if ((r = buf_array_room(d->reporters, d->nreporters,
	    &x->reporters_cap, sizeof(*r))) == NULL) {
		b->nomem = 1;
		return NULL;
	}
	d->reporters = r;
	r = &d->reporters[d->nreporters];
	memset(r, 0, sizeof(*r));
	if ((r->organization = strdup(org)) == NULL) {
		b->nomem = 1;
		return NULL;
	}
	r->first = INT64_MAX;
	r->last = INT64_MIN;
	d->nreporters++;
	return r;
}

static int
on_applied(const struct tlsrpt_applied_row *row, void *arg)
{
	struct build		*b = arg;
	struct tlsrpt_domain	*d;
	struct tlsrpt_reporter	*r;
	struct tlsrpt_applied	*a;

	if ((d = find_domain(b, row->domain)) == NULL)
		return 0;
	d->successful = add_sat(d->successful, row->successful);
	d->failed = add_sat(d->failed, row->failed);
	if ((r = reporter_get(b, d, row->organization)) == NULL)
		goto out;
	r->reports = add_sat(r->reports, row->reports);
	r->successful = add_sat(r->successful, row->successful);
	r->failed = add_sat(r->failed, row->failed);
	if (row->first < r->first)
		r->first = row->first;
	if (row->last > r->last)
		r->last = row->last;
	if (r->napplied == TLSRPT_SUMMARY_APPLIED_MAX)
		goto out;
	if ((a = realloc(r->applied, (r->napplied + 1) * sizeof(*a))) ==
	    NULL) {
		b->nomem = 1;
		goto out;
	}
	r->applied = a;
	a = &r->applied[r->napplied];
	memset(a, 0, sizeof(*a));
	if ((a->policy_type = strdup(row->policy_type)) == NULL) {
		b->nomem = 1;
		goto out;
	}
	r->napplied++;
	snprintf(a->policy_id, sizeof(a->policy_id), "%s", row->policy_id);
	a->first = row->first;
	a->last = row->last;
	a->last_begin = row->last_begin;
	a->max_age = row->max_age;
	a->reports = row->reports;
out:
	if (b->nomem)
		log_warnx("summary: out of memory");
	return b->nomem ? -1 : 0;
}

static int
on_failure(const struct tlsrpt_failure_row *row, void *arg)
{
	struct build			*b = arg;
	struct tlsrpt_domain		*d;
	struct extra			*x;
	struct tlsrpt_failure_sum	*f;

	if ((d = find_domain(b, row->domain)) == NULL)
		return 0;
	x = &b->extra[d - b->sum->domains];
	if (d->nfailures == TLSRPT_SUMMARY_FAILURES_MAX) {
		d->more_failures++;
		return 0;
	}
	if ((f = buf_array_room(d->failures, d->nfailures, &x->failures_cap,
	    sizeof(*f))) == NULL) {
		log_warnx("summary: out of memory");
		return -1;
	}
	d->failures = f;
	f = &d->failures[d->nfailures++];
	memset(f, 0, sizeof(*f));
	f->policy_type = dup_or_null(b, row->policy_type);
	f->result_type = dup_or_null(b, row->result_type);
	f->receiving_mx = dup_or_null(b, row->receiving_mx);
	f->reporter = dup_or_null(b, row->organization);
	f->reason = dup_or_null(b, row->reason);
	f->count = row->count;
	f->first = row->first;
	f->last = row->last;
	if (b->nomem) {
		log_warnx("summary: out of memory");
		return -1;
	}
	return 0;
}

/*
 * The end of a (domain, organization) group of day rows: of the 7 days
 * ending with its newest, those it reported on.
 */
static void
group_end(struct build *b)
{
	size_t	 i;
	int64_t	 newest;

	if (b->group == NULL || b->group_n == 0)
		return;
	newest = b->group_days[(b->group_n - 1) % WEEK];
	b->group->days_of_week = 0;
	for (i = 0; i < WEEK && i < b->group_n; i++)
		if (b->group_days[i] > newest - WEEK * DAY)
			b->group->days_of_week++;
	b->group = NULL;
	b->group_n = 0;
}

static int
on_day(const struct tlsrpt_day_row *row, void *arg)
{
	struct build		*b = arg;
	struct tlsrpt_domain	*d;
	struct tlsrpt_reporter	*r;
	int64_t			 i;

	if ((d = find_domain(b, row->domain)) == NULL)
		return 0;
	i = (row->day - d->days[0].day) / DAY;
	if (row->day >= d->days[0].day && (size_t)i < d->ndays) {
		d->days[i].successful = add_sat(d->days[i].successful,
		    row->successful);
		d->days[i].failed = add_sat(d->days[i].failed, row->failed);
	}
	r = find_reporter(d, row->organization);
	if (r != b->group) {
		group_end(b);
		b->group = r;
	}
	if (r != NULL)
		b->group_days[b->group_n++ % WEEK] = row->day;
	return 0;
}

/*
 * Adds a verdict to d: subject (copied, NULL for the domain), and the
 * line from fmt (callers escape what came from reports).  0, or -1 out
 * of memory.
 */
static int __attribute__((format(printf, 6, 7)))
verdict(struct build *b, struct tlsrpt_domain *d,
    enum tlsrpt_verdict_kind kind, enum tlsrpt_severity severity,
    const char *subject, const char *fmt, ...)
{
	struct extra		*x = &b->extra[d - b->sum->domains];
	struct tlsrpt_verdict	*v;
	char			 line[LINE_MAX_LEN];
	va_list			 ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if ((v = buf_array_room(d->verdicts, d->nverdicts, &x->verdicts_cap,
	    sizeof(*v))) == NULL)
		return -1;
	d->verdicts = v;
	v = &d->verdicts[d->nverdicts];
	memset(v, 0, sizeof(*v));
	v->kind = kind;
	v->severity = severity;
	if ((v->line = strdup(line)) == NULL ||
	    (subject != NULL && (v->subject = strdup(subject)) == NULL)) {
		free(v->line);
		return -1;
	}
	d->nverdicts++;
	return 0;
}

/*
 * RFC 8461 §5, §4.2: what a sender that applies an enforce policy does
 * not deliver: no STARTTLS, a certificate it cannot validate for the
 * MX, an MX the policy does not list.  RFC 8460 §4.3 names them; any
 * certificate-* a sender invents is the same kind.
 */
static int
bounces(const struct tlsrpt_failure_sum *f)
{
	return strcmp(f->policy_type, "sts") == 0 &&
	    (strncmp(f->result_type, "certificate-", 12) == 0 ||
	    strcmp(f->result_type, "starttls-not-supported") == 0 ||
	    strcmp(f->result_type, "validation-failure") == 0);
}

/* What to do about an MX's most frequent failure. */
static const char *
mx_advice(const char *type)
{
	if (strcmp(type, "starttls-not-supported") == 0)
		return "offer STARTTLS on it";
	if (strcmp(type, "certificate-expired") == 0)
		return "renew its certificate";
	if (strcmp(type, "certificate-host-mismatch") == 0)
		return "give it a certificate that names it";
	if (strcmp(type, "certificate-not-trusted") == 0)
		return "serve a certificate chain from a public CA, "
		    "intermediates included";
	return "check its certificate, its chain and that the policy's mx "
	    "patterns match it";
}

/* One MX's bounce-class failures as a verdict; 0, or -1 out of memory. */
static int
verdict_mx(struct build *b, struct tlsrpt_domain *d, const char *mx)
{
	const struct tlsrpt_failure_sum	*f;
	const char			*top = NULL;
	char				 list[1024], part[SHOWN_SIZE * 3 + 64];
	char				 e1[SHOWN_SIZE], e2[SHOWN_SIZE];
	char				 e3[SHOWN_SIZE], from[16], to[16];
	int64_t				 total = 0, first = INT64_MAX, last = 0;
	size_t				 i, named = 0, more = 0;
	int				 enforce = d->mode == POLICY_ENFORCE;

	list[0] = '\0';
	for (i = 0; i < d->nfailures; i++) {
		f = &d->failures[i];
		if (!bounces(f) || (mx == NULL) != (f->receiving_mx == NULL) ||
		    (mx != NULL && strcmp(mx, f->receiving_mx) != 0))
			continue;
		total = add_sat(total, f->count);
		first = f->first < first ? f->first : first;
		last = f->last > last ? f->last : last;
		if (top == NULL)
			top = f->result_type;
		if (named == MX_NAMED_MAX) {
			more++;
			continue;
		}
		snprintf(part, sizeof(part), "%s%s %lld by %s%s%s",
		    named > 0 ? "; " : "", shown(f->result_type, e1,
		    sizeof(e1)), (long long)f->count, shown(f->reporter, e2,
		    sizeof(e2)), f->reason != NULL ? ", reason " : "",
		    f->reason != NULL ? shown(f->reason, e3, sizeof(e3)) : "");
		if (strlen(list) + strlen(part) < sizeof(list))
			strcat(list, part);
		named++;
	}
	if (more > 0) {
		snprintf(part, sizeof(part), "; and %zu more", more);
		if (strlen(list) + strlen(part) < sizeof(list))
			strcat(list, part);
	}
	if (verdict(b, d, TLSRPT_VERDICT_MX_FAILING, enforce ?
	    TLSRPT_SEVERITY_CRITICAL : TLSRPT_SEVERITY_WARNING, mx,
	    "%s: %lld sessions failed from %s to %s (%s): %s; %s "
	    "(mta-sts-check %s)", mx != NULL ? shown(mx, e1, sizeof(e1)) :
	    "an MX the reports do not name", (long long)total,
	    ymd_end(first, from, sizeof(from)), ymd_end(last, to, sizeof(to)), list,
	    enforce ? "senders that apply the policy did not deliver them" :
	    "in enforce, senders would not deliver them", mx_advice(top),
	    d->domain) == -1)
		return -1;
	d->verdicts[d->nverdicts - 1].since = first;
	return 0;
}

/* MX failing, one verdict per MX; 0, or -1 out of memory. */
static int
verdicts_mx(struct build *b, struct tlsrpt_domain *d, int64_t *failed,
    int64_t *since)
{
	const struct tlsrpt_failure_sum	*f;
	size_t				 i, j;

	*failed = 0;
	*since = 0;
	for (i = 0; i < d->nfailures; i++) {
		f = &d->failures[i];
		if (!bounces(f))
			continue;
		*failed = add_sat(*failed, f->count);
		if (*since == 0 || f->first < *since)
			*since = f->first;
		/* The first of its MX in this order: the verdict's place. */
		for (j = 0; j < i; j++)
			if (bounces(&d->failures[j]) &&
			    (f->receiving_mx == NULL) ==
			    (d->failures[j].receiving_mx == NULL) &&
			    (f->receiving_mx == NULL ||
			    strcmp(f->receiving_mx,
			    d->failures[j].receiving_mx) == 0))
				break;
		if (j == i && d->mode != POLICY_NONE &&
		    verdict_mx(b, d, f->receiving_mx) == -1)
			return -1;
	}
	return 0;
}

/* Whether the store recorded id as served for d before. */
static int
was_served(const struct extra *x, const char *id)
{
	size_t	 i;

	for (i = 0; i < x->nhist; i++)
		if (strcmp(x->hist[i].id, id) == 0)
			return 1;
	return 0;
}

/* The max_age recorded for id, or -1. */
static int64_t
served_max_age(const struct extra *x, const char *id)
{
	size_t	 i;

	for (i = x->nhist; i-- > 0; )
		if (strcmp(x->hist[i].id, id) == 0)
			return (int64_t)x->hist[i].max_age;
	return -1;
}

/*
 * Stale policy: r applied an sts policy id other than the one served,
 * in a report that began after the current policy was published plus
 * the old policy's max_age (its policy-string's, else the recorded
 * one): until then a sender may rightly apply the policy it cached
 * (RFC 8461 §3.2, §5.1).
 */
static int
verdicts_stale(struct build *b, struct tlsrpt_domain *d,
    const struct tlsrpt_reporter *r)
{
	const struct extra		*x = &b->extra[d - b->sum->domains];
	const struct tlsrpt_applied	*a;
	int64_t				 age, deadline;
	char				 org[SHOWN_SIZE], last[16], pub[16];
	char				 end[16];
	size_t				 i;
	int				 rc;

	if (d->published == 0)
		return 0;
	for (i = 0; i < r->napplied; i++) {
		a = &r->applied[i];
		if (strcmp(a->policy_type, "sts") != 0 ||
		    a->policy_id[0] == '\0' ||
		    strcmp(a->policy_id, d->policy_id) == 0)
			continue;
		if ((age = a->max_age) < 0 &&
		    (age = served_max_age(x, a->policy_id)) < 0)
			continue;	/* no max_age known: no deadline */
		deadline = d->published + age;
		if (a->last_begin < deadline)
			continue;
		shown(r->organization, org, sizeof(org));
		ymd_end(a->last, last, sizeof(last));
		ymd(d->published, pub, sizeof(pub));
		ymd(deadline, end, sizeof(end));
		if (was_served(x, a->policy_id))
			rc = verdict(b, d, TLSRPT_VERDICT_STALE_POLICY,
			    TLSRPT_SEVERITY_WARNING, r->organization, "%s: "
			    "applied policy id %s until %s, after id %s "
			    "replaced it on %s and its max_age of %lld s ran "
			    "out on %s: the sender does not refresh its "
			    "policy; check that the id in the TXT record "
			    "_mta-sts.%s changed with the policy (mta-sts-fcgi "
			    "-d %s, mta-sts-check %s)", org, a->policy_id, last,
			    d->policy_id, pub, (long long)age, end, d->domain,
			    d->domain, d->domain);
		else
			rc = verdict(b, d, TLSRPT_VERDICT_STALE_POLICY,
			    TLSRPT_SEVERITY_WARNING, r->organization, "%s: "
			    "applied policy id %s until %s, a policy this "
			    "config is not known to have served, while id %s "
			    "is served since %s; its max_age of %lld s ran out "
			    "on %s: the sender applies a policy that is not "
			    "this config's; check that the TXT record "
			    "_mta-sts.%s and its policy host are served from "
			    "this config alone (mta-sts-check %s)", org,
			    a->policy_id, last, d->policy_id, pub,
			    (long long)age, end, d->domain, d->domain);
		if (rc == -1)
			return -1;
		d->verdicts[d->nverdicts - 1].since = deadline;
	}
	return 0;
}

/*
 * RFC 8460 §4.3.2: the policy did not reach the sender, or it refused
 * it: it then delivers as if there were none (RFC 8461 §5.1), so these
 * never bounce, whatever the mode; in the order lines name them.
 */
static const char *const unfetched_types[] = {
	"sts-policy-fetch-error", "sts-policy-invalid", "sts-webpki-invalid",
};
#define NUNFETCHED	(sizeof(unfetched_types) / sizeof(unfetched_types[0]))

/*
 * No policy seen: r reported, after the policy was published, that it
 * found none (policy-type no-policy-found) or could not fetch or accept
 * it (unfetched_types) while this config serves one in testing or
 * enforce.
 */
static int
verdicts_unseen(struct build *b, struct tlsrpt_domain *d,
    const struct tlsrpt_reporter *r)
{
	const struct tlsrpt_applied	*a;
	const struct tlsrpt_failure_sum	*f;
	char				 org[SHOWN_SIZE], what[512];
	char				 from[16], to[16];
	int64_t				 reports = 0, sessions[NUNFETCHED];
	int64_t				 first = INT64_MAX, last = 0;
	size_t				 i, k, len;

	if (d->mode == POLICY_NONE)
		return 0;
	memset(sessions, 0, sizeof(sessions));
	for (i = 0; i < r->napplied; i++) {
		a = &r->applied[i];
		if (strcmp(a->policy_type, "no-policy-found") != 0 ||
		    a->last_begin < d->published)
			continue;
		reports = add_sat(reports, a->reports);
		first = a->first < first ? a->first : first;
		last = a->last > last ? a->last : last;
	}
	for (i = 0; i < d->nfailures; i++) {
		f = &d->failures[i];
		if (strcmp(f->reporter, r->organization) != 0 ||
		    f->last < d->published)
			continue;
		for (k = 0; k < NUNFETCHED; k++)
			if (strcmp(f->result_type, unfetched_types[k]) == 0)
				break;
		if (k == NUNFETCHED)
			continue;
		sessions[k] = add_sat(sessions[k], f->count);
		first = f->first < first ? f->first : first;
		last = f->last > last ? f->last : last;
	}
	what[0] = '\0';
	if (reports > 0)
		snprintf(what, sizeof(what), "no-policy-found in %lld "
		    "report%s", (long long)reports, reports == 1 ? "" : "s");
	for (k = 0; k < NUNFETCHED; k++) {
		len = strlen(what);
		if (sessions[k] > 0)
			snprintf(what + len, sizeof(what) - len, "%s%s in %lld "
			    "session%s", len > 0 ? ", " : "",
			    unfetched_types[k], (long long)sessions[k],
			    sessions[k] == 1 ? "" : "s");
	}
	if (what[0] == '\0')
		return 0;
	if (verdict(b, d, TLSRPT_VERDICT_NO_POLICY_SEEN,
	    TLSRPT_SEVERITY_WARNING, r->organization, "%s: %s from %s to %s "
	    "while policy id %s is served in %s: the sender does not get the "
	    "policy and delivers as if there were none; check the TXT record "
	    "_mta-sts.%s and https://mta-sts.%s%s (mta-sts-check %s)",
	    shown(r->organization, org, sizeof(org)), what,
	    ymd_end(first, from, sizeof(from)), ymd_end(last, to, sizeof(to)),
	    d->policy_id, policy_mode_name(d->mode), d->domain, d->domain,
	    POLICY_PATH, d->domain) == -1)
		return -1;
	d->verdicts[d->nverdicts - 1].since = first;
	return 0;
}

/*
 * Silent reporter: one that reported on at least daily_days of the 7
 * days up to its last report ("daily"), and whose reports cover none
 * of the last silent_days days of the period ("stopped").
 */
static int
verdicts_silent(struct build *b, struct tlsrpt_domain *d,
    const struct tlsrpt_reporter *r)
{
	char	 org[SHOWN_SIZE], last[16];

	/* A report ending at the next 00:00 covers the day before it. */
	if (r->days_of_week < (int)b->rc->daily_days ||
	    r->last > b->sum->until - (int64_t)b->rc->silent_days * DAY)
		return 0;
	if (verdict(b, d, TLSRPT_VERDICT_SILENT_REPORTER,
	    TLSRPT_SEVERITY_WARNING, r->organization, "%s: reported on %d of "
	    "the 7 days up to %s and on none of the %lu days since: its "
	    "reports stop on the way or it no longer sees the _smtp._tls.%s "
	    "record; check the record and that its rua takes reports",
	    shown(r->organization, org, sizeof(org)), r->days_of_week,
	    ymd_end(r->last, last, sizeof(last)), b->rc->silent_days,
	    d->domain) == -1)
		return -1;
	d->verdicts[d->nverdicts - 1].since = r->last;
	return 0;
}

/*
 * Ready for enforce: in testing for enforce_days since its current
 * policy was first served, applied by at least enforce_reporters
 * reporters (the exact id: they saw these bytes), and no failure that
 * enforce turns into undelivered mail.  Not ready: in enforce with such
 * failures.
 */
static int
verdicts_enforce(struct build *b, struct tlsrpt_domain *d, int64_t failed,
    int64_t since)
{
	const struct conf_reports	*rc = b->rc;
	size_t				 i, j, applied = 0;
	char				 pub[16], from[16];
	int64_t				 days;

	if (d->mode == POLICY_ENFORCE && failed > 0) {
		if (verdict(b, d, TLSRPT_VERDICT_NOT_READY,
		    TLSRPT_SEVERITY_CRITICAL, NULL, "%lld sessions failed "
		    "since %s that senders applying the policy did not "
		    "deliver (the MX failing lines): fix those MX hosts, or "
		    "set \"mode = testing\" in [domain %s], reload "
		    "mta-sts-fcgi and publish the new id (mta-sts-fcgi -U "
		    "%s | nsupdate) until they are fixed", (long long)failed,
		    ymd_end(since, from, sizeof(from)), d->domain,
		    d->domain) == -1)
			return -1;
		d->verdicts[d->nverdicts - 1].since = since;
		return 0;
	}
	if (d->mode != POLICY_TESTING || failed > 0 || d->published == 0 ||
	    b->sum->until - d->published < (int64_t)rc->enforce_days * DAY)
		return 0;
	for (i = 0; i < d->nreporters; i++)
		for (j = 0; j < d->reporters[i].napplied; j++)
			if (strcmp(d->reporters[i].applied[j].policy_id,
			    d->policy_id) == 0) {
				applied++;
				break;
			}
	if (applied < rc->enforce_reporters)
		return 0;
	days = (b->sum->until - d->published) / DAY;
	if (verdict(b, d, TLSRPT_VERDICT_READY_FOR_ENFORCE,
	    TLSRPT_SEVERITY_INFO, NULL, "in testing since %s (%lld days), "
	    "policy id %s applied by %zu reporters, no failure that enforce "
	    "would turn into undelivered mail: set \"mode = enforce\" in "
	    "[domain %s], reload mta-sts-fcgi and publish the new id "
	    "(mta-sts-fcgi -U %s | nsupdate)", ymd(d->published, pub,
	    sizeof(pub)), (long long)days, d->policy_id, applied, d->domain,
	    d->domain) == -1)
		return -1;
	d->verdicts[d->nverdicts - 1].since = d->published;
	return 0;
}

static int
verdict_cmp(const void *a, const void *b)
{
	const struct tlsrpt_verdict	*x = a, *y = b;

	if (x->severity != y->severity)
		return x->severity > y->severity ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if ((x->subject == NULL) != (y->subject == NULL))
		return x->subject == NULL ? -1 : 1;
	return x->subject == NULL ? 0 : strcmp(x->subject, y->subject);
}

static int
applied_cmp(const void *a, const void *b)
{
	const struct tlsrpt_applied	*x = a, *y = b;

	if (x->last != y->last)
		return x->last > y->last ? -1 : 1;
	return strcmp(x->policy_id, y->policy_id);
}

/* Every verdict of d, most severe first; 0, or -1 out of memory. */
static int
domain_verdicts(struct build *b, struct tlsrpt_domain *d)
{
	const struct extra	*x = &b->extra[d - b->sum->domains];
	int64_t			 failed, since;
	size_t			 i;

	if (x->nhist > 0 && strcmp(x->hist[x->nhist - 1].id, d->policy_id) ==
	    0) {
		/* Since the first of the rows that end the history with it. */
		for (i = x->nhist; i > 0 &&
		    strcmp(x->hist[i - 1].id, d->policy_id) == 0; i--)
			d->published = x->hist[i - 1].first_seen;
	}
	for (i = 0; i < d->nreporters; i++)
		if (d->reporters[i].napplied > 1)
			qsort(d->reporters[i].applied,
			    d->reporters[i].napplied,
			    sizeof(*d->reporters[i].applied), applied_cmp);
	if (verdicts_mx(b, d, &failed, &since) == -1)
		return -1;
	for (i = 0; i < d->nreporters; i++)
		if (verdicts_stale(b, d, &d->reporters[i]) == -1 ||
		    verdicts_unseen(b, d, &d->reporters[i]) == -1 ||
		    verdicts_silent(b, d, &d->reporters[i]) == -1)
			return -1;
	if (verdicts_enforce(b, d, failed, since) == -1)
		return -1;
	/* Stable enough: equal keys are equal verdict lines' owners. */
	if (d->nverdicts > 1)
		qsort(d->verdicts, d->nverdicts, sizeof(*d->verdicts),
		    verdict_cmp);
	return 0;
}

static void
extra_free(struct extra *x, size_t n)
{
	size_t	 i;

	if (x == NULL)
		return;
	for (i = 0; i < n; i++)
		free(x[i].hist);
	free(x);
}

int
tlsrpt_summary_build(struct tlsrpt_store *st, const struct table *t,
    const struct conf_reports *rc, int64_t since, int64_t until,
    const char *const *names, size_t n, struct tlsrpt_summary *out)
{
	struct build			 b;
	struct tlsrpt_store_period	 pd;
	const char			**doms = NULL;
	size_t				 i;
	int				 rc_ = -1;

	memset(out, 0, sizeof(*out));
	memset(&b, 0, sizeof(b));
	out->since = since;
	out->until = until;
	b.sum = out;
	b.rc = rc;
	if (build_domains(&b, t, names, n) == -1)
		goto out;
	/* Name them to the store unless every served domain is wanted. */
	if (n > 0) {
		if ((doms = calloc(out->ndomains + 1, sizeof(*doms))) == NULL) {
			log_warnx("summary: out of memory");
			goto out;
		}
		for (i = 0; i < out->ndomains; i++)
			doms[i] = out->domains[i].domain;
	}
	pd.since = since;
	pd.until = until;
	pd.domains = doms;
	pd.ndomains = n > 0 ? out->ndomains : 0;
	if (out->ndomains == 0) {
		rc_ = 0;
		goto out;
	}
	if (tlsrpt_store_served_list(st, doms, pd.ndomains, on_served, &b) ==
	    -1 || tlsrpt_store_applied(st, &pd, on_applied, &b) == -1 ||
	    tlsrpt_store_failures(st, &pd, on_failure, &b) == -1)
		goto out;
	/* A week before the period too: what "daily" is measured over. */
	pd.since = since - WEEK * DAY;
	if (tlsrpt_store_days(st, &pd, on_day, &b) == -1)
		goto out;
	group_end(&b);
	for (i = 0; i < out->ndomains; i++)
		if (domain_verdicts(&b, &out->domains[i]) == -1) {
			log_warnx("summary: out of memory");
			goto out;
		}
	rc_ = 0;
out:
	extra_free(b.extra, out->ndomains);
	free(doms);
	if (rc_ == -1)
		tlsrpt_summary_free(out);
	return rc_;
}

void
tlsrpt_summary_free(struct tlsrpt_summary *s)
{
	struct tlsrpt_domain	*d;
	size_t			 i, j, k;

	for (i = 0; i < s->ndomains; i++) {
		d = &s->domains[i];
		free(d->domain);
		free(d->days);
		for (j = 0; j < d->nfailures; j++) {
			free(d->failures[j].policy_type);
			free(d->failures[j].result_type);
			free(d->failures[j].receiving_mx);
			free(d->failures[j].reporter);
			free(d->failures[j].reason);
		}
		free(d->failures);
		for (j = 0; j < d->nreporters; j++) {
			for (k = 0; k < d->reporters[j].napplied; k++)
				free(d->reporters[j].applied[k].policy_type);
			free(d->reporters[j].applied);
			free(d->reporters[j].organization);
		}
		free(d->reporters);
		for (j = 0; j < d->nverdicts; j++) {
			free(d->verdicts[j].subject);
			free(d->verdicts[j].line);
		}
		free(d->verdicts);
	}
	free(s->domains);
	memset(s, 0, sizeof(*s));
}
