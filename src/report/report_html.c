/* SPDX-License-Identifier: ISC */
/*
 * `html`: the summary of the stored reports as a static site an
 * operator serves behind their own web server's authentication: an
 * overview of every policy domain, and a page per domain with its
 * sessions per day, its failures by type and MX host, its reporters and
 * the policy each applied, and the verdicts.
 *
 * Static files, because the receiver should not grow a web application
 * (and an attack surface) to be looked at: any web server serves them,
 * and a cron job writes them.  Self-contained (CSS and SVG inline, no
 * script, font or image fetched), so that the site works offline, on a
 * phone and on paper, and leaks nothing to third parties; a Content-
 * Security-Policy forbids everything but the page's own style sheet, in
 * case an escape is ever missed.  Everything a reporter wrote (names,
 * MX hosts, reasons, policy types) is hostile and reaches a page only
 * through report_html_text.  A site is replaced whole (report_html_
 * write): a web server serves the old one or the new one, never half.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <sha2.h>

#include "report/report.h"

#define ONE_DAY		86400
/* Bars of a failure chart; the rest are summed into "others". */
#define BARS_MAX	12

/*
 * The one style sheet, inline in every page.  Colours meet WCAG 2.1 AA
 * on their background (text 4.5:1, chart marks 3:1), in light and dark
 * schemes; meaning is never colour alone (a severity is a word, a
 * failed day is below the axis).  Narrow screens get the tables as
 * cards, paper gets black on white without navigation.
 */
static const char css[] =
":root{color-scheme:light dark;--fg:#1a1a1a;--bg:#fff;--muted:#4d4d4d;"
"--line:#c8c8c8;--row:#f3f3f3;--link:#0b57a4;--ok:#1b5e20;--info:#0d47a1;"
"--warn:#7a4a00;--crit:#b71c1c;--succ:#2e7d32;--fail:#c62828}\n"
"@media (prefers-color-scheme:dark){:root{--fg:#ececec;--bg:#151515;"
"--muted:#b4b4b4;--line:#454545;--row:#202020;--link:#8cc4ff;--ok:#8fd694;"
"--info:#9cc9ff;--warn:#ffcc80;--crit:#ff9e9e;--succ:#66bb6a;"
"--fail:#ff6b6b}}\n"
"body{margin:0 auto;max-width:75em;padding:1em;color:var(--fg);"
"background:var(--bg);font:1rem/1.45 system-ui,-apple-system,\"Segoe UI\","
"Roboto,\"DejaVu Sans\",sans-serif}\n"
"a{color:var(--link)}h1{font-size:1.6em;margin:.2em 0;overflow-wrap:anywhere}"
"h2{font-size:1.25em;margin:1.4em 0 .4em;border-bottom:1px solid var(--line)}"
"h3{font-size:1.05em;margin:1em 0 .3em}\n"
".meta,.note,figcaption,footer{color:var(--muted)}footer{margin-top:2em;"
"font-size:.9em}\n"
"code{font-size:.9em;overflow-wrap:anywhere}\n"
".wrap{overflow-x:auto}table{border-collapse:collapse;width:100%;"
"margin:.4em 0}th,td{padding:.3em .6em;border-bottom:1px solid var(--line);"
"text-align:left;vertical-align:top}thead th{border-bottom-width:2px}"
"tbody tr:nth-child(even){background:var(--row)}"
"td,th{overflow-wrap:break-word}th[scope=row]{white-space:nowrap}"
".n{text-align:right;"
"font-variant-numeric:tabular-nums;white-space:nowrap}\n"
".sev{display:inline-block;min-width:4.6em;padding:0 .3em;border:1px solid;"
"border-radius:.25em;font-size:.85em;font-weight:600;text-align:center}"
".crit{color:var(--crit)}.warn{color:var(--warn)}.info{color:var(--info)}"
".ok{color:var(--ok)}\n"
"ul.verdicts{list-style:none;padding:0}ul.verdicts li{margin:.45em 0}"
"ul.plain{margin:0;padding-left:1.1em}\n"
"figure{margin:.6em 0}svg{display:block;max-width:100%;height:auto}"
"svg text{fill:var(--fg);font-size:12px;font-family:inherit}"
"svg .axis{stroke:var(--fg);stroke-width:1}svg .grid{stroke:var(--line)}"
".s{fill:var(--succ)}.f{fill:var(--fail)}.bar{fill:var(--info)}"
"td svg{display:inline-block;vertical-align:middle}\n"
".totals{display:flex;flex-wrap:wrap;gap:.5em 2em;padding:0;list-style:none}"
".totals b{font-size:1.3em;display:block}\n"
"@media (max-width:40em){body{padding:.5em}th,td{padding:.25em .3em}"
"table.cards thead{display:none}table.cards caption{display:block;"
"text-align:left}"
"table.cards,table.cards tbody,table.cards tr,table.cards td{display:block;"
"width:auto}table.cards tr{border:1px solid var(--line);margin:.5em 0;"
"padding:.3em}table.cards td{border:0;padding:.15em .3em;text-align:left}"
"table.cards td::before{content:attr(data-label) \": \";font-weight:600}"
"table.cards td[colspan]::before{content:none}}\n"
"@media print{:root{--fg:#000;--bg:#fff;--muted:#333;--row:#fff;--link:#000}"
"body{max-width:none;padding:0;font-size:10pt}nav{display:none}"
"a{text-decoration:none}tr,li,figure{break-inside:avoid}"
"h2{break-after:avoid}*{-webkit-print-color-adjust:exact;"
"print-color-adjust:exact}}\n";

/*
 * The style sheet's CSP source, 'sha256-BASE64', so that the policy
 * allows it and nothing else (no injected style, no script at all).
 */
static const char *
css_source(void)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static char	 source[64];
	uint8_t		 d[SHA256_DIGEST_LENGTH + 1];
	SHA2_CTX	 ctx;
	char		*p;
	size_t		 i;
	unsigned long	 v;

	if (source[0] != '\0')
		return source;
	SHA256Init(&ctx);
	SHA256Update(&ctx, (const uint8_t *)css, sizeof(css) - 1);
	SHA256Final(d, &ctx);
	d[SHA256_DIGEST_LENGTH] = 0;
	p = source + sprintf(source, "'sha256-");
	/* 32 bytes: ten groups of 3, then 2 bytes and one "=". */
	for (i = 0; i < SHA256_DIGEST_LENGTH; i += 3) {
		v = (unsigned long)d[i] << 16 | (unsigned long)d[i + 1] << 8 |
		    (i + 2 < SHA256_DIGEST_LENGTH ? d[i + 2] : 0);
		*p++ = b64[v >> 18 & 63];
		*p++ = b64[v >> 12 & 63];
		*p++ = b64[v >> 6 & 63];
		*p++ = i + 2 < SHA256_DIGEST_LENGTH ? b64[v & 63] : '=';
	}
	strcpy(p, "'");
	return source;
}

/* HTML-escapes len bytes of already log_escape'd text. */
static void
html_escaped(FILE *f, const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		switch (s[i]) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			putc(s[i], f);
		}
	}
}

/* len bytes of s, or fewer cut at a UTF-8 character's first byte. */
static size_t
cut_len(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	len = max;
	while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80 &&
	    max - len < 3)
		len--;
	return len;
}

void
report_html_textn(FILE *f, const char *s, size_t max)
{
	char	 out[LOG_ESCAPE_SIZE(256)];
	size_t	 len, shown, at = 0;

	if (s == NULL)
		return;
	len = strlen(s);
	shown = cut_len(s, len, max);
	/* log_escape stops before what does not fit: no character split. */
	while (at < shown) {
		at += log_escape(out, sizeof(out), s + at, shown - at);
		html_escaped(f, out, strlen(out));
	}
	if (shown < len)
		fputs("\xe2\x80\xa6", f);	/* … */
}

void
report_html_text(FILE *f, const char *s)
{
	report_html_textn(f, s, REPORT_HTML_TEXT_MAX);
}

/* n with thousands separators into out (32 bytes). */
static const char *
count_text(char out[32], int64_t n)
{
	char		 digits[24];
	size_t		 len, i, o = 0;
	uint64_t	 u = n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;

	len = (size_t)snprintf(digits, sizeof(digits), "%llu",
	    (unsigned long long)u);
	if (n < 0)
		out[o++] = '-';
	for (i = 0; i < len; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	out[o] = '\0';
	return out;
}

void
report_html_count(FILE *f, int64_t n)
{
	char	 out[32];

	fputs(count_text(out, n), f);
}

void
report_html_date(char out[11], int64_t t)
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;
	char		 day[32];

	/* A sender's date-range may say anything: 4-digit years only. */
	if (gmtime_r(&tt, &tm) == NULL || tm.tm_year + 1900 > 9999 ||
	    tm.tm_year + 1900 < 0)
		strcpy(out, "0000-00-00");
	else {
		snprintf(day, sizeof(day), "%04d-%02d-%02d", tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday);
		memcpy(out, day, 10);
		out[10] = '\0';
	}
}

/* a + b for session counts, which senders write up to INT64_MAX. */
static int64_t
sessions(int64_t a, int64_t b)
{
	return a > INT64_MAX - b ? INT64_MAX : a + b;
}

/*
 * The share of failed sessions, "0.25%", never rounded to a false 0
 * ("<0.01%") or 100 ("99.99%"); "no sessions" without any.
 */
static const char *
rate_text(char out[16], int64_t successful, int64_t failed)
{
	int64_t	 total = sessions(successful, failed);
	double	 pct;

	if (total == 0)
		return strcpy(out, "no sessions");
	pct = 100.0 * (double)failed / (double)total;
	if (failed == 0)
		strcpy(out, "0%");
	else if (pct < 0.01)
		strcpy(out, "<0.01%");
	else if (failed < total && pct > 99.99)
		strcpy(out, "99.99%");
	else if (failed == total)
		strcpy(out, "100%");
	else
		snprintf(out, 16, "%.2f%%", pct);
	return out;
}

void
report_html_file_name(const char *d, char *out, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t		 i, o = 0;
	unsigned char	 c;

	for (i = 0; d[i] != '\0' && o + 3 + sizeof(".html") <= size; i++) {
		c = (unsigned char)d[i];
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || (c == '.' && i > 0 && d[i + 1] != '\0'))
			out[o++] = (char)c;
		else {
			out[o++] = '_';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	if (o == 0 || (o == 5 && memcmp(out, "index", 5) == 0))
		out[o++] = '_';	/* never ".html" or "index.html" */
	memcpy(out + o, ".html", sizeof(".html"));
}

/* The verdict's class and words: severity, never colour alone. */
static const char *
severity_class(enum tlsrpt_severity s)
{
	switch (s) {
	case TLSRPT_SEVERITY_CRITICAL:
		return "crit";
	case TLSRPT_SEVERITY_WARNING:
		return "warn";
	case TLSRPT_SEVERITY_INFO:
		break;
	}
	return "info";
}

static void
page_head(FILE *f, const char *title_trusted, const char *title_untrusted)
{
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta name=\"generator\" content=\"" REPORT_HTML_GENERATOR
	    "\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">\n"
	    "<meta http-equiv=\"Content-Security-Policy\" content=\""
	    "default-src 'none'; style-src %s; base-uri 'none'; "
	    "form-action 'none'\">\n"
	    "<meta name=\"referrer\" content=\"no-referrer\">\n"
	    "<meta name=\"robots\" content=\"noindex, nofollow\">\n<title>",
	    css_source());
	report_html_text(f, title_untrusted);
	fprintf(f, "%s</title>\n<style>%s</style>\n</head>\n<body>\n",
	    title_trusted, css);
}

/* The period as "2026-11-29 to 2026-12-05 (UTC, 7 days)". */
static void
period(FILE *f, const struct tlsrpt_summary *s)
{
	char	 from[11], to[11];
	int64_t	 days;

	report_html_date(from, s->since);
	/* until is excluded: the last day shown is the one before it */
	report_html_date(to, s->until > s->since ? s->until - 1 : s->until);
	days = s->until > s->since ? (s->until - s->since + ONE_DAY - 1) /
	    ONE_DAY : 0;
	fprintf(f, "<time datetime=\"%s\">%s</time> to <time "
	    "datetime=\"%s\">%s</time> (UTC, %lld day%s)", from, from, to,
	    to, (long long)days, days == 1 ? "" : "s");
}

static int
page_foot(FILE *f, const struct tlsrpt_summary *s)
{
	fputs("<footer><p>Written by mta-sts-report html ", f);
	fputs(VERSION, f);
	fputs(": reports from ", f);
	period(f, s);
	fputs(".  Counts are what the senders reported (RFC 8460).</p>"
	    "</footer>\n</body>\n</html>\n", f);
	return ferror(f) ? -1 : 0;
}

/* Rank of a domain's worst verdict: 3 critical .. 1 info, 0 none. */
static int
worst(const struct tlsrpt_domain *d)
{
	size_t	 i;
	int	 w = 0, r;

	for (i = 0; i < d->nverdicts; i++)
		if ((r = (int)d->verdicts[i].severity + 1) > w)
			w = r;
	return w;
}

static const struct tlsrpt_summary *sorting;

/* Worst verdict first, then by name (the summary's order). */
static int
overview_order(const void *a, const void *b)
{
	size_t	 i = *(const size_t *)a, j = *(const size_t *)b;
	int	 wi = worst(&sorting->domains[i]), wj = worst(&sorting->domains[j]);

	if (wi != wj)
		return wj - wi;
	return i < j ? -1 : i > j;
}

/* The most severe verdict of d, and how many more, for its row. */
static void
overview_verdict(FILE *f, const struct tlsrpt_domain *d)
{
	const struct tlsrpt_verdict	*v = NULL;
	size_t				 i;

	for (i = 0; i < d->nverdicts; i++)
		if (v == NULL || d->verdicts[i].severity > v->severity)
			v = &d->verdicts[i];
	if (v == NULL) {
		fputs(sessions(d->successful, d->failed) == 0 ?
		    "<span class=\"note\">no reports</span>" :
		    "<span class=\"sev ok\">ok</span> nothing to do", f);
		return;
	}
	fprintf(f, "<span class=\"sev %s\">%s</span> %s",
	    severity_class(v->severity), tlsrpt_severity_name(v->severity),
	    tlsrpt_verdict_name(v->kind));
	if (d->nverdicts > 1)
		fprintf(f, " <span class=\"note\">and %zu more</span>",
		    d->nverdicts - 1);
}

static void
overview_row(FILE *f, const struct tlsrpt_domain *d, size_t i)
{
	char	 name[REPORT_HTML_NAME_SIZE], id[32], rate[16];

	report_html_file_name(d->domain, name, sizeof(name));
	fputs("<tr><td data-label=\"Domain\"><a href=\"", f);
	report_html_text(f, name);
	fputs("\">", f);
	report_html_text(f, d->domain);
	fprintf(f, "</a></td><td data-label=\"Mode\">%s</td>"
	    "<td data-label=\"Verdict\">", policy_mode_name(d->mode));
	overview_verdict(f, d);
	fputs("</td><td data-label=\"Sessions\" class=\"n\">", f);
	report_html_count(f, sessions(d->successful, d->failed));
	fputs("</td><td data-label=\"Failed\" class=\"n\">", f);
	report_html_count(f, d->failed);
	fprintf(f, "</td><td data-label=\"Failure rate\" class=\"n\">%s</td>"
	    "<td data-label=\"Per day\">", rate_text(rate, d->successful,
	    d->failed));
	snprintf(id, sizeof(id), "sp%zu", i);
	report_svg_sparkline(f, d->days, d->ndays, id);
	fputs("</td></tr>\n", f);
}

/* The totals above the overview's table. */
static void
overview_totals(FILE *f, const struct tlsrpt_summary *s)
{
	size_t	 i, n[4] = { 0, 0, 0, 0 };
	int64_t	 succ = 0, failed = 0;
	char	 rate[16];

	for (i = 0; i < s->ndomains; i++) {
		n[worst(&s->domains[i])]++;
		succ = sessions(succ, s->domains[i].successful);
		failed = sessions(failed, s->domains[i].failed);
	}
	fprintf(f, "<ul class=\"totals\"><li><b>%zu</b> policy domain%s</li>"
	    "<li><b class=\"crit\">%zu</b> critical</li>"
	    "<li><b class=\"warn\">%zu</b> warning</li>"
	    "<li><b class=\"info\">%zu</b> info only</li>"
	    "<li><b class=\"ok\">%zu</b> without findings</li><li><b>",
	    s->ndomains, s->ndomains == 1 ? "" : "s", n[3], n[2], n[1], n[0]);
	report_html_count(f, sessions(succ, failed));
	fputs("</b> sessions</li><li><b>", f);
	report_html_count(f, failed);
	fprintf(f, "</b> failed (%s)</li></ul>\n", rate_text(rate, succ,
	    failed));
}

int
report_html_overview(FILE *f, const struct tlsrpt_summary *s)
{
	size_t	*order = NULL, i;
	int	 rc = -1;

	if (s->ndomains > 0 &&
	    (order = calloc(s->ndomains, sizeof(*order))) == NULL)
		return -1;
	for (i = 0; i < s->ndomains; i++)
		order[i] = i;
	sorting = s;
	if (s->ndomains > 1)
		qsort(order, s->ndomains, sizeof(*order), overview_order);
	page_head(f, "MTA-STS reports", NULL);
	fputs("<header><h1>MTA-STS reports</h1><p class=\"meta\">What "
	    "sending mail servers reported (SMTP TLS Reporting, RFC 8460) "
	    "from ", f);
	period(f, s);
	fputs(".</p></header>\n<main>\n", f);
	overview_totals(f, s);
	if (s->ndomains == 0)
		fputs("<p>No policy domain to show: the configuration serves "
		    "none with a [domain] section, or none was named.</p>\n",
		    f);
	else
		fputs("<div class=\"wrap\"><table class=\"cards\">"
		    "<caption class=\"note\">Most severe verdict first, then "
		    "by name.</caption>\n<thead><tr><th scope=\"col\">Domain"
		    "</th><th scope=\"col\">Mode</th><th scope=\"col\">Verdict"
		    "</th><th scope=\"col\" class=\"n\">Sessions</th>"
		    "<th scope=\"col\" class=\"n\">Failed</th><th scope=\"col\""
		    " class=\"n\">Failure rate</th><th scope=\"col\">Per day"
		    "</th></tr></thead>\n<tbody>\n", f);
	for (i = 0; i < s->ndomains; i++)
		overview_row(f, &s->domains[order[i]], order[i]);
	if (s->ndomains > 0)
		fputs("</tbody></table></div>\n", f);
	fputs("</main>\n", f);
	rc = page_foot(f, s);
	free(order);
	return rc;
}

static void
domain_header(FILE *f, const struct tlsrpt_summary *s,
    const struct tlsrpt_domain *d)
{
	char	 day[11];

	fputs("<nav><a href=\"index.html\">\xe2\x86\x90 All domains</a></nav>\n"
	    "<header><h1>", f);
	report_html_text(f, d->domain);
	fprintf(f, "</h1>\n<p class=\"meta\">Mode <b>%s</b>",
	    policy_mode_name(d->mode));
	if (d->policy_id[0] != '\0') {
		fputs(", policy id <code>", f);
		report_html_text(f, d->policy_id);
		fputs("</code>", f);
	}
	fprintf(f, ", max_age %lu s", d->max_age);
	if (d->published != 0) {
		report_html_date(day, d->published);
		fprintf(f, ", served since <time datetime=\"%s\">%s</time>",
		    day, day);
	}
	fputs(".  Reports from ", f);
	period(f, s);
	fputs(".</p></header>\n", f);
}

static void
domain_verdicts(FILE *f, const struct tlsrpt_domain *d)
{
	const struct tlsrpt_verdict	*v;
	size_t				 i;

	fputs("<section id=\"verdicts\"><h2>Verdicts</h2>\n", f);
	if (d->nverdicts == 0)
		fputs("<p><span class=\"sev ok\">ok</span> Nothing to do: no "
		    "verdict for this period.</p>\n", f);
	else
		fputs("<ul class=\"verdicts\">\n", f);
	for (i = 0; i < d->nverdicts; i++) {
		v = &d->verdicts[i];
		fprintf(f, "<li><span class=\"sev %s\">%s</span> <b>%s</b>",
		    severity_class(v->severity),
		    tlsrpt_severity_name(v->severity),
		    tlsrpt_verdict_name(v->kind));
		fputs(": ", f);
		report_html_text(f, v->line);
		fputs("</li>\n", f);
	}
	if (d->nverdicts > 0)
		fputs("</ul>\n", f);
	fputs("</section>\n", f);
}

static void
day_row(FILE *f, const struct tlsrpt_day *day)
{
	char	 date[11], rate[16];

	report_html_date(date, day->day);
	fprintf(f, "<tr><th scope=\"row\"><time datetime=\"%s\">%s</time>"
	    "</th><td class=\"n\">", date, date);
	report_html_count(f, day->successful);
	fputs("</td><td class=\"n\">", f);
	report_html_count(f, day->failed);
	fprintf(f, "</td><td class=\"n\">%s</td></tr>\n",
	    rate_text(rate, day->successful, day->failed));
}

static void
domain_sessions(FILE *f, const struct tlsrpt_domain *d)
{
	char	 rate[16];
	size_t	 i;

	fputs("<section id=\"sessions\"><h2>Sessions per day</h2>\n<p>", f);
	report_html_count(f, d->successful);
	fputs(" successful, ", f);
	report_html_count(f, d->failed);
	fprintf(f, " failed: %s of sessions failed.</p>\n<figure>",
	    rate_text(rate, d->successful, d->failed));
	report_svg_timeline(f, d->days, d->ndays, "tl");
	fputs("<figcaption>Successful sessions above the axis, failed ones "
	    "below it, each on its own scale; the table below has the "
	    "numbers.</figcaption></figure>\n<div class=\"wrap\"><table>"
	    "<caption class=\"note\">Sessions per day (UTC), as reported"
	    "</caption>\n<thead><tr><th scope=\"col\">Day</th>"
	    "<th scope=\"col\" class=\"n\">Successful</th>"
	    "<th scope=\"col\" class=\"n\">Failed</th>"
	    "<th scope=\"col\" class=\"n\">Failure rate</th></tr></thead>\n"
	    "<tbody>\n", f);
	for (i = 0; i < d->ndays; i++)
		day_row(f, &d->days[i]);
	fputs("</tbody></table></div></section>\n", f);
}

/* For sorting failure sums by label: NULL (no MX named) first. */
static int
bar_label_order(const void *a, const void *b)
{
	const struct report_svg_bar *x = a, *y = b;

	if (x->label == NULL || y->label == NULL)
		return (x->label != NULL) - (y->label != NULL);
	return strcmp(x->label, y->label);
}

static int
bar_value_order(const void *a, const void *b)
{
	const struct report_svg_bar *x = a, *y = b;

	if (x->value != y->value)
		return x->value < y->value ? 1 : -1;
	return bar_label_order(a, b);
}

/*
 * The failures of d summed by result type (by_mx 0) or MX host (1)
 * into bars (d->nfailures of them), largest first, at most BARS_MAX
 * with the rest summed as the last; their number.
 */
static size_t
failure_bars(const struct tlsrpt_domain *d, int by_mx,
    struct report_svg_bar *bars)
{
	size_t	 i, n = 0;

	for (i = 0; i < d->nfailures; i++) {
		bars[i].label = by_mx ? d->failures[i].receiving_mx :
		    d->failures[i].result_type;
		bars[i].value = d->failures[i].count;
	}
	qsort(bars, d->nfailures, sizeof(*bars), bar_label_order);
	for (i = 0; i < d->nfailures; i++) {
		if (n > 0 && bar_label_order(&bars[n - 1], &bars[i]) == 0)
			bars[n - 1].value = sessions(bars[n - 1].value,
			    bars[i].value);
		else
			bars[n++] = bars[i];
	}
	qsort(bars, n, sizeof(*bars), bar_value_order);
	for (i = 0; i < n; i++)
		if (bars[i].label == NULL)
			bars[i].label = "(no MX named)";
	if (n > BARS_MAX) {
		for (i = BARS_MAX; i < n; i++)
			bars[BARS_MAX - 1].value = sessions(
			    bars[BARS_MAX - 1].value, bars[i].value);
		bars[BARS_MAX - 1].label = "(all others)";
		n = BARS_MAX;
	}
	return n;
}

static void
failure_row(FILE *f, const struct tlsrpt_failure_sum *x)
{
	char	 first[11], last[11];

	fputs("<tr><td data-label=\"Result type\">", f);
	report_html_text(f, x->result_type);
	fputs("</td><td data-label=\"MX host\">", f);
	if (x->receiving_mx != NULL)
		report_html_text(f, x->receiving_mx);
	else
		fputs("<span class=\"note\">none named</span>", f);
	fputs("</td><td data-label=\"Reporter\">", f);
	report_html_text(f, x->reporter);
	fputs("</td><td data-label=\"Reason\">", f);
	report_html_text(f, x->reason);
	fputs("</td><td data-label=\"Sessions\" class=\"n\">", f);
	report_html_count(f, x->count);
	report_html_date(first, x->first);
	report_html_date(last, x->last);
	fprintf(f, "</td><td data-label=\"First\" class=\"n\">%s</td>"
	    "<td data-label=\"Last\" class=\"n\">%s</td></tr>\n", first,
	    last);
}

static void
failure_table(FILE *f, const struct tlsrpt_domain *d)
{
	size_t	 i, shown = d->nfailures < REPORT_HTML_ROWS_MAX ?
		    d->nfailures : REPORT_HTML_ROWS_MAX;

	fputs("<div class=\"wrap\"><table class=\"cards\"><caption "
	    "class=\"note\">Failures "
	    "by result type, MX host and reporter, most first; first and "
	    "last are the ends of the reports that told</caption>\n<thead>"
	    "<tr><th scope=\"col\">Result type</th><th scope=\"col\">MX host"
	    "</th><th scope=\"col\">Reporter</th><th scope=\"col\">Reason"
	    "</th><th scope=\"col\" class=\"n\">Sessions</th>"
	    "<th scope=\"col\" class=\"n\">First</th><th scope=\"col\" "
	    "class=\"n\">Last</th></tr></thead>\n<tbody>\n", f);
	for (i = 0; i < shown; i++)
		failure_row(f, &d->failures[i]);
	if (shown < d->nfailures || d->more_failures > 0)
		fprintf(f, "<tr><td colspan=\"7\">and %zu smaller rows not "
		    "shown</td></tr>\n", d->nfailures - shown +
		    d->more_failures);
	fputs("</tbody></table></div>\n", f);
}

static int
domain_failures(FILE *f, const struct tlsrpt_domain *d)
{
	struct report_svg_bar	*bars;
	size_t			 n;

	fputs("<section id=\"failures\"><h2>Failures by type and MX host"
	    "</h2>\n", f);
	if (d->nfailures == 0) {
		fputs("<p>No failure reported.</p></section>\n", f);
		return 0;
	}
	if ((bars = calloc(d->nfailures, sizeof(*bars))) == NULL)
		return -1;
	n = failure_bars(d, 0, bars);
	fputs("<figure>", f);
	report_svg_bars(f, bars, n, "fa", "Failed sessions by result type");
	fputs("<figcaption>Failed sessions by result type.</figcaption>"
	    "</figure>\n<figure>", f);
	n = failure_bars(d, 1, bars);
	report_svg_bars(f, bars, n, "fb", "Failed sessions by MX host");
	fputs("<figcaption>Failed sessions by MX host.</figcaption>"
	    "</figure>\n", f);
	free(bars);
	failure_table(f, d);
	fputs("</section>\n", f);
	return 0;
}

static void
applied_item(FILE *f, const struct tlsrpt_domain *d,
    const struct tlsrpt_applied *a)
{
	char	 first[11], last[11];

	fputs("<li>", f);
	report_html_text(f, a->policy_type);
	if (a->policy_id[0] == '\0')
		fputs(", no policy-string", f);
	else {
		fputs(" <code>", f);
		report_html_text(f, a->policy_id);
		fprintf(f, "</code> (%s)", strcmp(a->policy_id,
		    d->policy_id) == 0 ? "<b>served now</b>" : "not served now");
	}
	report_html_date(first, a->first);
	report_html_date(last, a->last);
	fprintf(f, ", %s to %s, ", first, last);
	report_html_count(f, a->reports);
	fprintf(f, " report%s</li>", a->reports == 1 ? "" : "s");
}

static void
reporter_row(FILE *f, const struct tlsrpt_domain *d,
    const struct tlsrpt_reporter *r)
{
	char	 first[11], last[11];
	size_t	 i;

	fputs("<tr><td data-label=\"Reporter\">", f);
	report_html_text(f, r->organization);
	fputs("</td><td data-label=\"Reports\" class=\"n\">", f);
	report_html_count(f, r->reports);
	fputs("</td><td data-label=\"Successful\" class=\"n\">", f);
	report_html_count(f, r->successful);
	fputs("</td><td data-label=\"Failed\" class=\"n\">", f);
	report_html_count(f, r->failed);
	report_html_date(first, r->first);
	report_html_date(last, r->last);
	fprintf(f, "</td><td data-label=\"First\" class=\"n\">%s</td>"
	    "<td data-label=\"Last\" class=\"n\">%s</td><td data-label=\""
	    "Policy applied\"><ul class=\"plain\">", first, last);
	for (i = 0; i < r->napplied; i++)
		applied_item(f, d, &r->applied[i]);
	fputs("</ul></td></tr>\n", f);
}

static void
domain_reporters(FILE *f, const struct tlsrpt_domain *d)
{
	size_t	 i;

	fputs("<section id=\"reporters\"><h2>Reporters and the policy they "
	    "applied</h2>\n", f);
	if (d->nreporters == 0) {
		fputs("<p>No reporter sent a report in this period.</p>"
		    "</section>\n", f);
		return;
	}
	fputs("<p class=\"note\">A policy id is derived from the policy's "
	    "bytes, so \"served now\" means the sender applied exactly the "
	    "policy served today.</p>\n<div class=\"wrap\"><table "
	    "class=\"cards\">\n<thead><tr><th scope=\"col\">Reporter</th>"
	    "<th scope=\"col\" class=\"n\">Reports</th><th scope=\"col\" "
	    "class=\"n\">Successful</th><th scope=\"col\" class=\"n\">Failed"
	    "</th><th scope=\"col\" class=\"n\">First</th><th scope=\"col\" "
	    "class=\"n\">Last</th><th scope=\"col\">Policy applied</th></tr>"
	    "</thead>\n<tbody>\n", f);
	for (i = 0; i < d->nreporters; i++)
		reporter_row(f, d, &d->reporters[i]);
	if (d->more_reporters > 0)
		fprintf(f, "<tr><td colspan=\"7\">and %zu more reporters not "
		    "shown</td></tr>\n", d->more_reporters);
	fputs("</tbody></table></div></section>\n", f);
}

int
report_html_domain(FILE *f, const struct tlsrpt_summary *s, size_t i)
{
	const struct tlsrpt_domain	*d = &s->domains[i];

	page_head(f, " \xe2\x80\x94 MTA-STS reports", d->domain);
	domain_header(f, s, d);
	fputs("<main>\n", f);
	domain_verdicts(f, d);
	domain_sessions(f, d);
	if (domain_failures(f, d) == -1)
		return -1;
	domain_reporters(f, d);
	fputs("</main>\n", f);
	return page_foot(f, s);
}

/*
 * The site on disk.
 */

/* Whether the file name in dirfd is a page `html` wrote: 1 or 0. */
static int
site_page(int dirfd, const char *name)
{
	char		 head[512];
	struct stat	 sb;
	ssize_t		 n;
	size_t		 len = strlen(name);
	int		 fd, ours;

	if (len < 6 || strcmp(name + len - 5, ".html") != 0)
		return 0;
	if ((fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK)) == -1)
		return 0;
	n = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) ?
	    read(fd, head, sizeof(head) - 1) : -1;
	close(fd);
	if (n <= 0)
		return 0;
	head[n] = '\0';
	ours = strstr(head, "<meta name=\"generator\" content=\""
	    REPORT_HTML_GENERATOR "\">") != NULL;
	return ours;
}

/*
 * Checks that an existing site directory holds only pages of ours:
 * 0 (*exists and *mode set), or -1 after saying why.
 */
static int
site_check(const char *dir, int *exists, mode_t *mode)
{
	struct stat	 sb;
	struct dirent	*e;
	DIR		*d;
	int		 rc = 0;

	*exists = 0;
	if (lstat(dir, &sb) == -1) {
		if (errno == ENOENT)
			return 0;
		log_warn("%s", dir);
		return -1;
	}
	if (S_ISLNK(sb.st_mode) || !S_ISDIR(sb.st_mode)) {
		log_warnx("%s: %s", dir, S_ISLNK(sb.st_mode) ? "a symbolic "
		    "link: name the directory itself" : "not a directory");
		return -1;
	}
	*exists = 1;
	*mode = sb.st_mode & 07777;
	if ((d = opendir(dir)) == NULL) {
		log_warn("%s", dir);
		return -1;
	}
	while (rc == 0 && (errno = 0, e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (!site_page(dirfd(d), e->d_name)) {
			log_warnx("%s/%s: not a page mta-sts-report html wrote: "
			    "-o wants a directory of its own, which it replaces "
			    "whole", dir, e->d_name);
			rc = -1;
		}
	}
	if (rc == 0 && errno != 0) {
		log_warn("%s", dir);
		rc = -1;
	}
	closedir(d);
	return rc;
}

/*
 * Removes a site directory's pages (*.html) and the directory: 0, or
 * -1 after saying why.  quiet: a temporary one, already failed.
 */
static int
site_remove(const char *dir, int quiet)
{
	struct dirent	*e;
	DIR		*d;
	size_t		 len;
	int		 rc = 0;

	if ((d = opendir(dir)) == NULL) {
		if (!quiet)
			log_warn("%s", dir);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		len = strlen(e->d_name);
		if (len > 5 && strcmp(e->d_name + len - 5, ".html") == 0 &&
		    unlinkat(dirfd(d), e->d_name, 0) == -1 && errno != ENOENT) {
			if (!quiet)
				log_warn("%s/%s", dir, e->d_name);
			rc = -1;
		}
	}
	closedir(d);
	if (rmdir(dir) == -1) {
		if (!quiet)
			log_warn("cannot remove %s", dir);
		rc = -1;
	}
	return rc;
}

/* Writes one page into dirfd; 0, or -1 after saying why. */
static int
site_page_write(int dirfd, const char *tmp, const char *name,
    const struct tlsrpt_summary *s, size_t i, int overview)
{
	FILE	*f;
	int	 fd, rc;

	if ((fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0666)) == -1) {
		log_warn("%s/%s", tmp, name);
		return -1;
	}
	if ((f = fdopen(fd, "w")) == NULL) {
		log_warn("%s/%s", tmp, name);
		close(fd);
		return -1;
	}
	errno = 0;
	rc = overview ? report_html_overview(f, s) :
	    report_html_domain(f, s, i);
	if (rc == -1 && errno == 0)
		errno = EIO;
	if (fclose(f) == EOF)
		rc = -1;
	if (rc == -1)
		log_warn("%s/%s: cannot write the page", tmp, name);
	return rc;
}

/* Every page into the directory tmp, then synced; 0, or -1. */
static int
site_fill(const char *tmp, const struct tlsrpt_summary *s)
{
	char	 name[REPORT_HTML_NAME_SIZE];
	size_t	 i;
	int	 fd, rc = -1;

	if ((fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		log_warn("%s", tmp);
		return -1;
	}
	if (site_page_write(fd, tmp, "index.html", s, 0, 1) == -1)
		goto out;
	for (i = 0; i < s->ndomains; i++) {
		report_html_file_name(s->domains[i].domain, name, sizeof(name));
		if (site_page_write(fd, tmp, name, s, i, 0) == -1)
			goto out;
	}
	/* One sync for the whole file system, not one per page. */
	if (syncfs(fd) == -1) {
		log_warn("%s: cannot sync", tmp);
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

/*
 * Puts the directory tmp in the place of dir; the previous site, if
 * any, is then at *old (a path of PATH_MAX bytes).  0, or -1 after
 * saying why, dir untouched.
 */
static int
site_swap(const char *tmp, const char *dir, int exists, const char *parent,
    const char *base, char *old)
{
	old[0] = '\0';
	if (!exists) {
		if (rename(tmp, dir) == 0)
			return 0;
		log_warn("%s: cannot rename %s to it", dir, tmp);
		return -1;
	}
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_EXCHANGE) == 0) {
		strcpy(old, tmp);
		return 0;
	}
	if (errno != EINVAL && errno != ENOSYS) {
		log_warn("%s: cannot exchange it with %s", dir, tmp);
		return -1;
	}
	/* No exchange here (some file systems): dir is missing a moment. */
	if (snprintf(old, PATH_MAX, "%s/.%s.old.XXXXXX", parent, base) >=
	    PATH_MAX) {
		log_warnx("%s: too long a name", dir);
		old[0] = '\0';
		return -1;
	}
	if (mkdtemp(old) == NULL || rename(dir, old) == -1) {
		log_warn("%s: cannot move it aside", dir);
		if (old[0] != '\0')
			rmdir(old);
		return -1;
	}
	if (rename(tmp, dir) == 0)
		return 0;
	log_warn("%s: cannot rename %s to it", dir, tmp);
	if (rename(old, dir) == -1)
		log_warn("%s: cannot move the previous site back from %s",
		    dir, old);
	return -1;
}

/* Syncs directory path (a rename in it); 0, or -1 after saying why. */
static int
dir_sync(const char *path)
{
	int	 fd, rc;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		log_warn("%s", path);
		return -1;
	}
	if ((rc = fsync(fd)) == -1)
		log_warn("%s: cannot sync", path);
	close(fd);
	return rc;
}

int
report_html_write(const char *dir, const struct tlsrpt_summary *s)
{
	char		 path[PATH_MAX], parent[PATH_MAX], tmp[PATH_MAX];
	char		 old[PATH_MAX];
	const char	*base, *slash;
	mode_t		 mode = 0, mask;
	size_t		 len = strlen(dir);
	int		 exists, made = 0, rc = -1;

	while (len > 1 && dir[len - 1] == '/')
		len--;
	if (len >= sizeof(path) - 16 || len == 0) {
		log_warnx("%s: not a usable directory name", dir);
		return -1;
	}
	memcpy(path, dir, len);
	path[len] = '\0';
	if ((slash = strrchr(path, '/')) == NULL) {
		strcpy(parent, ".");
		base = path;
	} else {
		snprintf(parent, sizeof(parent), "%.*s", slash == path ? 1 :
		    (int)(slash - path), path);
		base = slash + 1;
	}
	if (strcmp(base, "") == 0 || strcmp(base, ".") == 0 ||
	    strcmp(base, "..") == 0) {
		log_warnx("%s: name the site's directory itself", dir);
		return -1;
	}
	if (site_check(path, &exists, &mode) == -1)
		return -1;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", parent,
	    base) >= sizeof(tmp)) {
		log_warnx("%s: too long a name", dir);
		return -1;
	}
	if (mkdtemp(tmp) == NULL) {
		log_warn("%s: cannot create a directory in %s", dir, parent);
		return -1;
	}
	made = 1;
	mask = umask(0);
	umask(mask);
	if (chmod(tmp, exists ? mode : 0777 & ~mask) == -1) {
		log_warn("%s", tmp);
		goto out;
	}
	if (site_fill(tmp, s) == -1 ||
	    site_swap(tmp, path, exists, parent, base, old) == -1)
		goto out;
	made = 0;
	if (dir_sync(parent) == -1)
		goto out;
	rc = 0;
	if (old[0] != '\0' && site_remove(old, 0) == -1) {
		log_warnx("%s: written; the previous site is left in %s", dir,
		    old);
		rc = -1;
	}
out:
	if (made)
		site_remove(tmp, 1);
	return rc;
}

/*
 * The command.
 */

#define HTML_USAGE	"usage: " REPORT_PROGNAME " [-c config] html -o dir " \
			"[-s since] [-u until] [domain ...]"

/* Says what is wrong with html's arguments, then its usage: 64. */
static int
html_usage(const char *why)
{
	log_warnx("html: %s", why);
	log_warnx("%s", HTML_USAGE);
	return EX_USAGE;
}

/*
 * The named domains (argv, n of them), normalised as table_named does,
 * into names; 0, or -1 after saying why.
 */
static int
html_domains(const struct conf *conf, char **argv, int n,
    char (*names)[DNAME_MAX + 1], const char **domains)
{
	struct table_named	 named;
	char			 why[512];
	int			 i;

	for (i = 0; i < n; i++) {
		if (table_named(&conf->table, argv[i], "html", &named, why,
		    sizeof(why)) == -1) {
			log_warnx("%s", why);
			return -1;
		}
		memcpy(names[i], named.name, sizeof(names[i]));
		domains[i] = names[i];
	}
	return 0;
}

/* site_check for dir as given (trailing slashes too); 0, or -1. */
static int
site_check_path(const char *dir)
{
	mode_t	 mode;
	int	 exists;

	return site_check(dir, &exists, &mode);
}

/* Builds the summary and writes the site: the exit status. */
static int
html_run(const struct conf *conf, const char *dir, int64_t since,
    int64_t until, const char *const *domains, size_t n)
{
	struct tlsrpt_summary	 s;
	struct tlsrpt_store	*st;
	int			 rc;

	memset(&s, 0, sizeof(s));
	/* Refuse a directory that is not ours before the summary's work. */
	if (site_check_path(dir) == -1)
		return EX_CANTCREAT;
	if (report_summary_open(conf, &st) == -1)
		return EX_IOERR;
	rc = tlsrpt_summary_build(st, &conf->table, &conf->reports, since,
	    until, domains, n, &s);
	tlsrpt_store_close(st);
	if (rc == -1)
		return EX_IOERR;
	rc = report_html_write(dir, &s) == 0 ? EX_OK : EX_CANTCREAT;
	tlsrpt_summary_free(&s);
	return rc;
}

int
report_html(const struct conf *conf, int argc, char **argv)
{
	char		(*names)[DNAME_MAX + 1] = NULL;
	const char	**domains = NULL;
	const char	*dir = NULL, *since_arg = NULL, *until_arg = NULL;
	char		 why[256];
	int64_t		 since, until;
	int		 ch, n, rc = EX_USAGE;

	/* argv[0] is "html" (report_main.c), optind reset to 0 */
	opterr = 0;
	while ((ch = getopt(argc, argv, "+:ho:s:u:")) != -1) {
		switch (ch) {
		case 'o':
			dir = optarg;
			break;
		case 's':
			since_arg = optarg;
			break;
		case 'u':
			until_arg = optarg;
			break;
		case 'h':
			printf("%s\n", HTML_USAGE);
			return EX_OK;
		case ':':
			snprintf(why, sizeof(why), "option -%c needs an "
			    "argument", optopt);
			return html_usage(why);
		default:
			snprintf(why, sizeof(why), "unknown option -%c",
			    optopt);
			return html_usage(why);
		}
	}
	if (dir == NULL || *dir == '\0')
		return html_usage("-o dir: say where to write the site");
	if (report_summary_period(since_arg, until_arg, (int64_t)time(NULL),
	    &since, &until, why, sizeof(why)) == -1)
		return html_usage(why);
	n = argc - optind;
	if (n > 0 && ((names = calloc((size_t)n, sizeof(*names))) == NULL ||
	    (domains = calloc((size_t)n, sizeof(*domains))) == NULL)) {
		log_warn("html");
		rc = EX_OSERR;
		goto out;
	}
	if (html_domains(conf, argv + optind, n, names, domains) == -1)
		goto out;
	rc = html_run(conf, dir, since, until, domains, (size_t)n);
out:
	free(names);
	free(domains);
	return rc;
}
