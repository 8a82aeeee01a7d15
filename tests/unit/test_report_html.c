/* SPDX-License-Identifier: ISC */
/*
 * `html` (report_html.c, report_svg.c) from hand-built summaries: the
 * escaping of hostile strings, numbers, dates and page file names row
 * by row; the overview and a domain page byte for byte against golden
 * files (tests/report/html/, UPDATE=1 rewrites them); and the site on
 * disk: made, replaced whole, a directory that holds anything else
 * refused and left as it was, no temporary directory left behind.
 *
 * "test_report_html render DIR" is also tests/report/run-html.sh's
 * tool: it writes the sample summary's site into DIR for Chromium.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "report/report.h"
#include "unit.h"

#define SINCE	1795910400	/* 2026-11-29T00:00:00Z */
#define DAY	86400
#define GOLDEN	"tests/report/html/"

/* What a memstream holds after fn wrote to it. */
static char *
render(int (*fn)(FILE *, const struct tlsrpt_summary *, size_t),
    const struct tlsrpt_summary *s, size_t i, size_t *len)
{
	char	*p = NULL;
	FILE	*f;

	if ((f = open_memstream(&p, len)) == NULL)
		return NULL;
	if (fn(f, s, i) == -1)
		fprintf(f, "[write error]");
	fclose(f);
	return p;
}

static int
overview(FILE *f, const struct tlsrpt_summary *s, size_t i)
{
	(void)i;
	return report_html_overview(f, s);
}

static char *
text_of(void (*fn)(FILE *, const char *), const char *in)
{
	char	*p = NULL;
	size_t	 len;
	FILE	*f;

	if ((f = open_memstream(&p, &len)) == NULL)
		return NULL;
	fn(f, in);
	fclose(f);
	return p;
}

static void
test_text(void)
{
	static const struct {
		const char	*in, *want;
	} rows[] = {
		{ "example.com", "example.com" },
		{ "<script>alert(1)</script>",
		    "&lt;script&gt;alert(1)&lt;/script&gt;" },
		{ "\"><img src=x onerror=alert(1)>",
		    "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" },
		{ "it's & <b>", "it&#39;s &amp; &lt;b&gt;" },
		{ "&amp;", "&amp;amp;" },
		/* RLO: shown, not obeyed; log_escape's form, then HTML. */
		{ "x\xe2\x80\xaegnp.exe", "x\\u202egnp.exe" },
		{ "\xe2\x81\xa6isolate\xe2\x81\xa9", "\\u2066isolate\\u2069" },
		{ "bad \xff\xfe utf-8", "bad \\xff\\xfe utf-8" },
		{ "a\r\nforged: line", "a\\r\\nforged: line" },
		{ "\x1b[2J", "\\x1b[2J" },
		{ "caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x93\xa7",
		    "caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x93\xa7" },
		{ "", "" },
	};
	char	*got;
	size_t	 i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		got = text_of(report_html_text, rows[i].in);
		CHECK_BYTES(got, strlen(got), rows[i].want,
		    strlen(rows[i].want), "report_html_text row %zu", i);
		free(got);
	}
	got = text_of(report_html_text, NULL);
	CHECK(got != NULL && *got == '\0', "report_html_text(NULL) writes "
	    "nothing");
	free(got);
}

/* Long strings: cut at REPORT_HTML_TEXT_MAX, never inside a character. */
static void
test_text_long(void)
{
	char	 in[REPORT_HTML_TEXT_MAX + 64], want[REPORT_HTML_TEXT_MAX + 64];
	char	*got;
	FILE	*f;
	size_t	 len;

	memset(in, 'a', sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	memcpy(want, in, REPORT_HTML_TEXT_MAX);
	strcpy(want + REPORT_HTML_TEXT_MAX, "\xe2\x80\xa6");
	got = text_of(report_html_text, in);
	CHECK(strcmp(got, want) == 0, "a long string is cut at %d bytes and "
	    "ends in an ellipsis", REPORT_HTML_TEXT_MAX);
	free(got);
	/* é across the limit: the whole é goes, not half of it */
	in[REPORT_HTML_TEXT_MAX - 1] = '\xc3';
	in[REPORT_HTML_TEXT_MAX] = '\xa9';
	memcpy(want, in, REPORT_HTML_TEXT_MAX - 1);
	strcpy(want + REPORT_HTML_TEXT_MAX - 1, "\xe2\x80\xa6");
	got = text_of(report_html_text, in);
	CHECK(strcmp(got, want) == 0, "a cut never splits a UTF-8 character");
	free(got);
	got = NULL;
	f = open_memstream(&got, &len);
	report_html_textn(f, "mx1.very-long-name.example.net", 10);
	fclose(f);
	CHECK(strcmp(got, "mx1.very-l\xe2\x80\xa6") == 0,
	    "report_html_textn cuts at max: \"%s\"", got);
	free(got);
}

static void
test_numbers(void)
{
	static const struct {
		int64_t		 n;
		const char	*want;
	} counts[] = {
		{ 0, "0" }, { 999, "999" }, { 1000, "1,000" },
		{ 1234567, "1,234,567" }, { -1234, "-1,234" },
		{ INT64_MAX, "9,223,372,036,854,775,807" },
		{ INT64_MIN, "-9,223,372,036,854,775,808" },
	};
	static const struct {
		int64_t		 t;
		const char	*want;
	} dates[] = {
		{ 0, "1970-01-01" }, { SINCE, "2026-11-29" },
		{ SINCE + 7 * DAY - 1, "2026-12-05" },
		{ INT64_MAX, "0000-00-00" },	/* a sender's nonsense */
		{ -62198755200LL, "0000-00-00" },
	};
	char	*got = NULL, day[11];
	size_t	 i, len;
	FILE	*f;

	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		f = open_memstream(&got, &len);
		report_html_count(f, counts[i].n);
		fclose(f);
		CHECK(strcmp(got, counts[i].want) == 0, "count %lld: want %s, "
		    "got %s", (long long)counts[i].n, counts[i].want, got);
		free(got);
		got = NULL;
	}
	for (i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
		report_html_date(day, dates[i].t);
		CHECK(strcmp(day, dates[i].want) == 0, "date %lld: want %s, "
		    "got %s", (long long)dates[i].t, dates[i].want, day);
	}
}

static void
test_file_name(void)
{
	static const struct {
		const char	*in, *want;
	} rows[] = {
		{ "example.com", "example.com.html" },
		{ "xn--bcher-kva.example", "xn--bcher-kva.example.html" },
		{ "Example.COM", "_45xample._43_4F_4D.html" },
		{ "../etc/passwd", "_2E._2Fetc_2Fpasswd.html" },
		{ ".hidden", "_2Ehidden.html" },
		{ "trailing.", "trailing_2E.html" },
		{ "a/b", "a_2Fb.html" },
		{ "index", "index_.html" },
		{ "", "_.html" },
		{ "a_b", "a_5Fb.html" },	/* "_" is the escape: escaped */
		{ "\xff<x>", "_FF_3Cx_3E.html" },
	};
	char	 out[REPORT_HTML_NAME_SIZE];
	size_t	 i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		report_html_file_name(rows[i].in, out, sizeof(out));
		CHECK(strcmp(out, rows[i].want) == 0, "file name row %zu: want "
		    "%s, got %s", i, rows[i].want, out);
	}
	memset(out, 0, sizeof(out));
	{
		char	 longest[DNAME_MAX + 1];

		memset(longest, 'A', DNAME_MAX);
		longest[DNAME_MAX] = '\0';
		report_html_file_name(longest, out, sizeof(out));
		CHECK(strlen(out) == REPORT_HTML_NAME_SIZE - 1,
		    "253 escaped bytes fit REPORT_HTML_NAME_SIZE: %zu",
		    strlen(out));
	}
}

/*
 * The sample: four policy domains over 7 days, the reporters shaped
 * like Google's, Microsoft's and Mail.ru's, and one domain whose
 * reports carry every hostile string a page must neutralise.
 */
static char	 d_com[] = "example.com", d_net[] = "example.net",
		 d_hostile[] = "hostile.example", d_quiet[] = "quiet.example",
		 google[] = "Google Inc.", microsoft[] = "Microsoft Corporation",
		 mailru[] = "Mail.Ru", sts[] = "sts", npf[] = "no-policy-found",
		 t_expired[] = "certificate-expired",
		 t_starttls[] = "starttls-not-supported",
		 t_fetch[] = "sts-policy-fetch-error",
		 mx2[] = "mx2.example.net",
		 reason[] = "X509_V_ERR_CERT_HAS_EXPIRED",
		 evil_org[] = "<script>alert(\"org\")</script>",
		 evil_mx[] = "\"><img src=x onerror=alert(1)>.example",
		 evil_type[] = "x-<b>bold</b>&amp;",
		 evil_reason[] = "\xe2\x80\xaeslc.exe\r\nInjected: \xff\xfe",
		 evil_line[] = "<script>alert(\"org\")</script>: applies policy "
		     "' onmouseover='alert(1)",
		 evil_ptype[] = "sts\" onclick=\"x",
		 l_ready[] = "in testing since 2026-11-01 with 2 reporters and no "
		     "failure enforce would bounce: set mode = enforce in "
		     "[domain example.com]",
		 l_mx[] = "mx2.example.net: 12 sessions failed from 2026-11-30 "
		     "(certificate-expired 12 by Google Inc.): renew its "
		     "certificate",
		 l_stale[] = "Mail.Ru: still applies policy "
		     "00112233445566778899aabbccddeeff, replaced on 2026-11-20",
		 l_silent[] = "Microsoft Corporation: sent daily until 2026-12-02";

#define ID_NOW	"0123456789abcdef0123456789abcdef"
#define ID_OLD	"00112233445566778899aabbccddeeff"

static struct tlsrpt_day	 days[4][7];
#define FAILURE(type, mx, org, why, n, t0, t1) { .policy_type = sts, \
	.result_type = (type), .receiving_mx = (mx), .reporter = (org), \
	.reason = (why), .count = (n), .first = (t0), .last = (t1) }
static struct tlsrpt_failure_sum failures_net[] = {
	FAILURE(t_expired, mx2, google, reason, 12, SINCE + 2 * DAY - 1,
	    SINCE + 5 * DAY - 1),
	FAILURE(t_starttls, mx2, microsoft, NULL, 3, SINCE + DAY - 1,
	    SINCE + DAY - 1),
	FAILURE(t_fetch, NULL, mailru, NULL, 1, SINCE + 6 * DAY - 1,
	    SINCE + 6 * DAY - 1),
};
static struct tlsrpt_failure_sum failures_hostile[] = {
	FAILURE(evil_type, evil_mx, evil_org, evil_reason, 5, SINCE + DAY - 1,
	    SINCE + 3 * DAY - 1),
};
#define APPLIED(type, pid, t0, t1, n) { .policy_type = (type), \
	.policy_id = pid, .first = (t0), .last = (t1), \
	.last_begin = (t1) - DAY + 1, .max_age = 604800, .reports = (n) }
static struct tlsrpt_applied applied[] = {
	APPLIED(sts, ID_NOW, SINCE + DAY - 1, SINCE + 7 * DAY - 1, 7),
	APPLIED(sts, ID_NOW, SINCE + DAY - 1, SINCE + 4 * DAY - 1, 4),
	APPLIED(sts, ID_OLD, SINCE + DAY - 1, SINCE + 7 * DAY - 1, 6),
	APPLIED(npf, "", SINCE + 6 * DAY - 1, SINCE + 6 * DAY - 1, 1),
	APPLIED(evil_ptype, ID_OLD, SINCE + DAY - 1, SINCE + 3 * DAY - 1, 3),
};
#define REPORTER(org, n, ok, bad, t0, t1, a, na) { \
	.organization = (org), .reports = (n), .successful = (ok), \
	.failed = (bad), .first = (t0), .last = (t1), .applied = (a), \
	.napplied = (na), .days_of_week = 7 }
static struct tlsrpt_reporter reporters_com[] = {
	REPORTER(google, 7, 70000, 0, SINCE + DAY - 1, SINCE + 7 * DAY - 1,
	    &applied[0], 1),
	REPORTER(microsoft, 4, 1234, 0, SINCE + DAY - 1, SINCE + 4 * DAY - 1,
	    &applied[1], 1),
};
static struct tlsrpt_reporter reporters_net[] = {
	REPORTER(google, 7, 5000, 12, SINCE + DAY - 1, SINCE + 7 * DAY - 1,
	    &applied[0], 1),
	REPORTER(mailru, 7, 700, 1, SINCE + DAY - 1, SINCE + 7 * DAY - 1,
	    &applied[2], 2),
	REPORTER(microsoft, 4, 40, 3, SINCE + DAY - 1, SINCE + 4 * DAY - 1,
	    &applied[1], 1),
};
static struct tlsrpt_reporter reporters_hostile[] = {
	REPORTER(evil_org, 3, 9, 5, SINCE + DAY - 1, SINCE + 3 * DAY - 1,
	    &applied[4], 1),
};
static struct tlsrpt_verdict verdicts_com[] = {
	{ TLSRPT_VERDICT_READY_FOR_ENFORCE, TLSRPT_SEVERITY_INFO, NULL,
	    SINCE - 28 * DAY, l_ready },
};
static struct tlsrpt_verdict verdicts_net[] = {
	{ TLSRPT_VERDICT_MX_FAILING, TLSRPT_SEVERITY_CRITICAL, mx2,
	    SINCE + 2 * DAY - 1, l_mx },
	{ TLSRPT_VERDICT_STALE_POLICY, TLSRPT_SEVERITY_WARNING, mailru,
	    SINCE - 9 * DAY, l_stale },
	{ TLSRPT_VERDICT_SILENT_REPORTER, TLSRPT_SEVERITY_WARNING, microsoft,
	    SINCE + 4 * DAY - 1, l_silent },
};
static struct tlsrpt_verdict verdicts_hostile[] = {
	{ TLSRPT_VERDICT_STALE_POLICY, TLSRPT_SEVERITY_WARNING, evil_org,
	    SINCE, evil_line },
};

static void
sample(struct tlsrpt_summary *s)
{
	static struct tlsrpt_domain d[4];
	static const int64_t ok[4][7] = {
		{ 10000, 10034, 9800, 10200, 9900, 10100, 11200 },
		{ 800, 760, 820, 790, 800, 830, 900 },
		{ 3, 3, 3, 0, 0, 0, 0 },
		{ 0, 0, 0, 0, 0, 0, 0 },
	}, bad[4][7] = {
		{ 0, 0, 0, 0, 0, 0, 0 },
		{ 3, 2, 4, 3, 2, 1, 1 },
		{ 1, 2, 2, 0, 0, 0, 0 },
		{ 0, 0, 0, 0, 0, 0, 0 },
	};
	int	 i, j;

	for (i = 0; i < 4; i++)
		for (j = 0; j < 7; j++) {
			days[i][j].day = SINCE + j * DAY;
			days[i][j].successful = ok[i][j];
			days[i][j].failed = bad[i][j];
		}
	memset(d, 0, sizeof(d));
	d[0] = (struct tlsrpt_domain){ .domain = d_com, .mode = POLICY_TESTING,
	    .policy_id = ID_NOW, .max_age = 604800, .published = SINCE -
	    28 * DAY, .successful = 71234, .days = days[0], .ndays = 7,
	    .reporters = reporters_com, .nreporters = 2,
	    .verdicts = verdicts_com, .nverdicts = 1 };
	d[1] = (struct tlsrpt_domain){ .domain = d_net, .mode = POLICY_ENFORCE,
	    .policy_id = ID_NOW, .max_age = 86400, .published = SINCE -
	    9 * DAY, .successful = 5700, .failed = 16, .days = days[1],
	    .ndays = 7, .failures = failures_net, .nfailures = 3,
	    .reporters = reporters_net, .nreporters = 3,
	    .verdicts = verdicts_net, .nverdicts = 3 };
	/* hostile: the summary's caps passed too */
	d[2] = (struct tlsrpt_domain){ .domain = d_hostile,
	    .mode = POLICY_TESTING, .policy_id = ID_NOW, .max_age = 604800,
	    .successful = 9, .failed = 5, .days = days[2], .ndays = 7,
	    .failures = failures_hostile, .nfailures = 1, .more_failures = 4,
	    .reporters = reporters_hostile, .nreporters = 1,
	    .more_reporters = 2, .verdicts = verdicts_hostile, .nverdicts = 1 };
	d[3] = (struct tlsrpt_domain){ .domain = d_quiet, .mode = POLICY_NONE,
	    .policy_id = ID_NOW, .max_age = 86400, .days = days[3],
	    .ndays = 7 };
	s->since = SINCE;
	s->until = SINCE + 7 * DAY;
	s->domains = d;
	s->ndomains = 4;
}

/* got against the golden file name; UPDATE=1 rewrites it. */
static void
golden(const char *name, const char *got, size_t len)
{
	char	 path[256], *want = NULL;
	size_t	 wlen = 0;
	FILE	*f;

	snprintf(path, sizeof(path), GOLDEN "%s", name);
	if (getenv("UPDATE") != NULL && (f = fopen(path, "w")) != NULL) {
		fwrite(got, 1, len, f);
		fclose(f);
	}
	if ((f = fopen(path, "r")) != NULL) {
		want = malloc(1 << 20);
		wlen = want != NULL ? fread(want, 1, 1 << 20, f) : 0;
		fclose(f);
	}
	CHECK_BYTES(got, len, want != NULL ? want : "", wlen,
	    "%s is the golden page %s", name, path);
	free(want);
}

/* Counts the occurrences of needle in hay. */
static size_t
count(const char *hay, const char *needle)
{
	size_t	 n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

/*
 * Whether every tag in the page is one the pages mean to write, with
 * attributes they mean to write: what an escape that failed would
 * show.  Attribute values are in double quotes, which escaping keeps
 * out of them.  0 if so, else the offset of the first stranger + 1.
 */
static size_t
strangers(const char *p)
{
	static const char elements[] = " html head meta title style body "
	    "header h1 h2 p main nav a ul li b span code table caption thead "
	    "tbody tr th td div section figure figcaption svg desc g rect path "
	    "text time footer ";
	static const char attrs[] = " lang charset name content http-equiv "
	    "href class data-label scope colspan role aria-labelledby viewBox "
	    "width height id x y d text-anchor datetime ";
	const char	*at = p, *q;
	char		 word[64];
	size_t		 n;

	while ((at = strchr(at, '<')) != NULL) {
		q = ++at;
		if (*q == '/')
			q++;
		if (strncmp(at, "!DOCTYPE html>", 14) == 0)
			continue;
		for (n = 0; q[n] != '\0' && strchr(" >/", q[n]) == NULL; n++)
			;
		if (n == 0 || n >= sizeof(word) - 2)
			return (size_t)(at - p);
		snprintf(word, sizeof(word), " %.*s ", (int)n, q);
		if (strstr(elements, word) == NULL)
			return (size_t)(at - p);
		for (q += n; *q == ' '; ) {
			q++;
			for (n = 0; q[n] != '\0' && q[n] != '='; n++)
				;
			snprintf(word, sizeof(word), " %.*s ", (int)n, q);
			if (n >= sizeof(word) - 2 || strstr(attrs, word) == NULL ||
			    q[n + 1] != '"' || (q = strchr(q + n + 2, '"')) ==
			    NULL)
				return (size_t)(at - p);
			q++;
		}
		if (*q == '/')
			q++;
		if (*q != '>')
			return (size_t)(at - p);
	}
	return 0;
}

/* strangers() itself: it must see what an escape that failed lets in. */
static void
test_strangers(void)
{
	static const struct {
		const char	*page;
		size_t		 want;
	} rows[] = {
		{ "<p>ok &lt;script&gt;</p>", 0 },
		{ "<a href=\"x.html\" class=\"n\">x</a>", 0 },
		{ "<p>ok</p><script>x</script>", 10 },
		{ "<p>ok</p><img src=x>", 10 },
		{ "<a href=\"x\" onclick=\"y\">", 1 },
		{ "<a href=\"x\"onclick=\"y\">", 1 },
		{ "<a href=x>", 1 },
		{ "<td data-label=\"a\">\"><svg/onload=x></td>", 22 },
	};
	size_t	 i, got;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		got = strangers(rows[i].page);
		CHECK(got == rows[i].want, "strangers row %zu: want %zu, got %zu",
		    i, rows[i].want, got);
	}
}

static void
test_pages(void)
{
	static const char *const never[] = {
		"<script", "<img", "\" onclick", "' onmouseover",
		"\xe2\x80\xae", "\xff", "\r", "<b>bold", "http://", "https://",
		"src=\"", "url(", "@import",
	};
	static const char *const names[] = { "index.html", "example.com.html",
	    "example.net.html", "hostile.example.html", "quiet.example.html" };
	struct tlsrpt_summary	 s;
	char			*p;
	size_t			 len, i, k;

	sample(&s);
	for (i = 0; i < 5; i++) {
		p = i == 0 ? render(overview, &s, 0, &len) :
		    render(report_html_domain, &s, i - 1, &len);
		golden(names[i], p, len);
		for (k = 0; k < sizeof(never) / sizeof(never[0]); k++)
			CHECK(strstr(p, never[k]) == NULL, "%s holds no %s",
			    names[i], k == 5 ? "RLO" : k == 6 ? "\\xff" :
			    k == 7 ? "CR" : never[k]);
		k = strangers(p);
		CHECK(k == 0, "%s: every tag and attribute is one the pages "
		    "write (first stranger at byte %zu: %.40s)", names[i], k,
		    k > 0 ? p + k - 1 : "");
		CHECK(count(p, "<svg") == count(p, "role=\"img\""),
		    "%s: every chart is an image with a title", names[i]);
		CHECK(strncmp(p, "<!DOCTYPE html>\n", 16) == 0 &&
		    strstr(p, "</html>\n") == p + len - 8,
		    "%s is one whole document", names[i]);
		free(p);
	}
	p = render(report_html_domain, &s, 2, &len);
	CHECK(strstr(p, "&lt;script&gt;alert(&quot;org&quot;)&lt;/script&gt;")
	    != NULL, "the hostile organization is shown, escaped");
	CHECK(strstr(p, "\\u202eslc.exe\\r\\nInjected: \\xff\\xfe") != NULL,
	    "the hostile reason is shown as log_escape renders it");
	CHECK(strstr(p, "sts&quot; onclick=&quot;x") != NULL,
	    "a hostile policy type is text");
	free(p);
}

/* Names in dir, sorted, joined by spaces ("" if none, "-" if no dir). */
static char *
listing(const char *dir)
{
	struct dirent	**list;
	static char	 out[4096];
	int		 n, i;

	out[0] = '\0';
	if ((n = scandir(dir, &list, NULL, alphasort)) == -1)
		return strcpy(out, "-");
	for (i = 0; i < n; i++) {
		if (list[i]->d_name[0] != '.' || (strcmp(list[i]->d_name,
		    ".") != 0 && strcmp(list[i]->d_name, "..") != 0)) {
			if (out[0] != '\0')
				strcat(out, " ");
			if (strlen(out) + strlen(list[i]->d_name) + 2 <
			    sizeof(out))
				strcat(out, list[i]->d_name);
		}
		free(list[i]);
	}
	free(list);
	return out;
}

static void
test_write(void)
{
	struct tlsrpt_summary	 s, one;
	char			 top[] = "/tmp/test_report_html.XXXXXX";
	char			 site[128], path[256];
	struct stat		 sb;
	FILE			*f;
	mode_t			 mask;

	sample(&s);
	if (mkdtemp(top) == NULL) {
		CHECK(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	snprintf(site, sizeof(site), "%s/site", top);
	CHECK(report_html_write(site, &s) == 0, "a new site is written");
	CHECK(strcmp(listing(site), "example.com.html example.net.html "
	    "hostile.example.html index.html quiet.example.html") == 0,
	    "it has the overview and a page per domain: %s", listing(site));
	CHECK(strcmp(listing(top), "site") == 0, "nothing else is left "
	    "beside it: %s", listing(top));
	mask = umask(0);
	umask(mask);
	CHECK(stat(site, &sb) == 0 && (sb.st_mode & 07777) == (0777 & ~mask),
	    "the new directory's mode is 0777 less the umask: %o",
	    (unsigned)sb.st_mode & 07777);

	/* replaced whole, mode kept: one domain left, its old pages gone */
	chmod(site, 0750);
	one = s;
	one.domains = &s.domains[1];
	one.ndomains = 1;
	CHECK(report_html_write(site, &one) == 0, "a site is replaced");
	CHECK(strcmp(listing(site), "example.net.html index.html") == 0,
	    "only the new site's pages are there: %s", listing(site));
	CHECK(stat(site, &sb) == 0 && (sb.st_mode & 07777) == 0750,
	    "the replaced directory keeps its mode: %o",
	    (unsigned)sb.st_mode & 07777);
	CHECK(strcmp(listing(top), "site") == 0, "the previous site is "
	    "removed: %s", listing(top));
	snprintf(path, sizeof(path), "%s/", site);
	CHECK(report_html_write(path, &s) == 0, "dir/ is dir");

	/* a file not ours: refused, nothing changed */
	snprintf(path, sizeof(path), "%s/.htpasswd", site);
	if ((f = fopen(path, "w")) != NULL)
		fclose(f);
	log_quiet = 1;
	CHECK(report_html_write(site, &one) == -1, "a directory holding a "
	    "file html did not write is refused");
	CHECK(strcmp(listing(site), ".htpasswd example.com.html "
	    "example.net.html hostile.example.html index.html "
	    "quiet.example.html") == 0, "and left as it was: %s",
	    listing(site));
	CHECK(strcmp(listing(top), "site") == 0, "with nothing beside it: %s",
	    listing(top));
	unlink(path);
	snprintf(path, sizeof(path), "%s/notes.html", site);
	if ((f = fopen(path, "w")) != NULL) {
		fputs("<!DOCTYPE html>\n<p>mine</p>\n", f);
		fclose(f);
	}
	CHECK(report_html_write(site, &one) == -1, "an HTML page html did "
	    "not write is refused too");
	unlink(path);

	/* a symbolic link, a file, a missing parent */
	snprintf(path, sizeof(path), "%s/link", top);
	CHECK(symlink("site", path) == 0 && report_html_write(path, &s) == -1,
	    "a symbolic link is refused");
	unlink(path);
	snprintf(path, sizeof(path), "%s/site/index.html", top);
	CHECK(report_html_write(path, &s) == -1, "a file is refused");
	snprintf(path, sizeof(path), "%s/missing/site", top);
	CHECK(report_html_write(path, &s) == -1 &&
	    strcmp(listing(top), "site") == 0, "a missing parent fails, "
	    "making nothing");
	CHECK(report_html_write(".", &s) == -1 &&
	    report_html_write("..", &s) == -1 &&
	    report_html_write("/", &s) == -1,
	    "., .. and / are refused");
	log_quiet = 0;
	snprintf(path, sizeof(path), "rm -rf '%s'", top);
	CHECK(system(path) == 0, "cleaned up");
}

int
main(int argc, char *argv[])
{
	struct tlsrpt_summary	 s;

	if (argc == 3 && strcmp(argv[1], "render") == 0) {
		sample(&s);
		return report_html_write(argv[2], &s) == 0 ? 0 : 1;
	}
	test_text();
	test_text_long();
	test_numbers();
	test_file_name();
	test_strangers();
	test_pages();
	test_write();
	return unit_done();
}
