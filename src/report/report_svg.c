/* SPDX-License-Identifier: ISC */
/*
 * The charts of `html`, drawn as inline SVG by hand: three shapes (a
 * strip of days, a timeline of days, horizontal bars) do not justify a
 * plotting library, and inline SVG needs no script, no file and no
 * font of its own.  Each chart is an image to assistive technology
 * (role="img", a title and a description that say what it shows in
 * words); the numbers it draws are always in a table next to it, and
 * colour never carries meaning alone: failed sessions are drawn below
 * the axis, successful ones above.  Sizes are a viewBox, so a chart
 * scales to a phone's width; the style sheet (report_html.c) colours
 * the classes s (successful), f (failed) and bar.
 *
 * Failures are usually a tiny share of the sessions: on one scale they
 * would not show.  So successful and failed sessions each get their own
 * scale, and any non-zero count is at least one unit tall.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "report/report.h"

/* Bars a sparkline draws at most: longer periods are summed by groups. */
#define SPARK_BARS	31
#define SPARK_W		93
#define SPARK_UP	18	/* successful, above the axis */
#define SPARK_DOWN	8	/* failed, below it */

#define TL_W		720
#define TL_LEFT		100	/* the scale's labels */
#define TL_RIGHT	8
#define TL_TOP		20
#define TL_UP		110	/* successful */
#define TL_DOWN		70	/* failed */
#define TL_GAP		4	/* between the halves, around the axis */

#define BAR_ROW		24
#define BAR_LABEL	236	/* label column, right-aligned */
#define BAR_MAX_W	380
#define BAR_LABEL_MAX	40	/* bytes of a label drawn; the title has all */

/* A height in [0, max] for v of vmax, at least 1 if v > 0. */
static double
scaled(int64_t v, int64_t vmax, double max)
{
	double	 h;

	if (v <= 0 || vmax <= 0)
		return 0;
	h = (double)v / (double)vmax * max;
	return h < 1 ? 1 : h;
}

static int64_t
add(int64_t a, int64_t b)
{
	return a > INT64_MAX - b ? INT64_MAX : a + b;
}

/* The chart's opening tag, its title and its description's start. */
static void
svg_open(FILE *f, const char *id, const char *cls, int w, int h,
    const char *title)
{
	fprintf(f, "<svg class=\"%s\" role=\"img\" aria-labelledby=\"%st %sd\" "
	    "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\">"
	    "<title id=\"%st\">%s</title>"
	    "<desc id=\"%sd\">", cls, id, id, w, h, w, h, id, title, id);
}

/* Totals of days, and the day with the most failed sessions. */
static void
days_desc(FILE *f, const struct tlsrpt_day *days, size_t n)
{
	int64_t	 succ = 0, failed = 0;
	size_t	 i, worst = 0;
	char	 day[11];

	for (i = 0; i < n; i++) {
		succ = add(succ, days[i].successful);
		failed = add(failed, days[i].failed);
		if (days[i].failed > days[worst].failed)
			worst = i;
	}
	fprintf(f, "%zu day%s: ", n, n == 1 ? "" : "s");
	report_html_count(f, succ);
	fputs(" successful and ", f);
	report_html_count(f, failed);
	fputs(" failed sessions", f);
	if (failed > 0) {
		report_html_date(day, days[worst].day);
		fprintf(f, "; most failed on %s (", day);
		report_html_count(f, days[worst].failed);
		fputs(")", f);
	}
	fputs(".</desc>", f);
}

void
report_svg_sparkline(FILE *f, const struct tlsrpt_day *days, size_t n,
    const char *id)
{
	int64_t	 s[SPARK_BARS], x[SPARK_BARS], smax = 0, xmax = 0;
	size_t	 per = (n + SPARK_BARS - 1) / SPARK_BARS, bars, i;
	double	 w, h;

	if (per == 0)
		per = 1;
	bars = (n + per - 1) / per;
	memset(s, 0, sizeof(s));
	memset(x, 0, sizeof(x));
	for (i = 0; i < n; i++) {
		s[i / per] = add(s[i / per], days[i].successful);
		x[i / per] = add(x[i / per], days[i].failed);
	}
	for (i = 0; i < bars; i++) {
		smax = s[i] > smax ? s[i] : smax;
		xmax = x[i] > xmax ? x[i] : xmax;
	}
	svg_open(f, id, "spark", SPARK_W, SPARK_UP + SPARK_DOWN + 2,
	    "Sessions per day: successful up, failed down");
	days_desc(f, days, n);
	fprintf(f, "<path class=\"axis\" d=\"M0 %d.5H%d\"/>", SPARK_UP,
	    SPARK_W);
	w = bars > 0 ? (double)SPARK_W / (double)bars : 0;
	for (i = 0; i < bars; i++) {
		if ((h = scaled(s[i], smax, SPARK_UP - 1)) > 0)
			fprintf(f, "<rect class=\"s\" x=\"%.1f\" y=\"%.1f\" "
			    "width=\"%.1f\" height=\"%.1f\"/>", (double)i * w,
			    SPARK_UP - h, w * 0.8, h);
		if ((h = scaled(x[i], xmax, SPARK_DOWN)) > 0)
			fprintf(f, "<rect class=\"f\" x=\"%.1f\" y=\"%d\" "
			    "width=\"%.1f\" height=\"%.1f\"/>", (double)i * w,
			    SPARK_UP + 1, w * 0.8, h);
	}
	fputs("</svg>", f);
}

/* The timeline's scale labels, axis and day labels. */
static void
timeline_frame(FILE *f, const struct tlsrpt_day *days, size_t n,
    int64_t smax, int64_t xmax, double w)
{
	const int	 axis = TL_TOP + TL_UP + TL_GAP;
	size_t		 i, step = n <= 14 ? 1 : (n + 7) / 8;
	char		 day[11];

	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">",
	    TL_LEFT - 6, TL_TOP + 4);
	report_html_count(f, smax);
	fprintf(f, "</text><text x=\"%d\" y=\"%d\" text-anchor=\"end\">"
	    "successful \xe2\x86\x91</text>", TL_LEFT - 6, TL_TOP + 20);
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>",
	    TL_LEFT - 6, axis + 4);
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">"
	    "failed \xe2\x86\x93</text>", TL_LEFT - 6, axis + 22);
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">",
	    TL_LEFT - 6, axis + TL_GAP + TL_DOWN);
	report_html_count(f, xmax);
	fprintf(f, "</text><path class=\"grid\" d=\"M%d %d.5H%d\"/>"
	    "<path class=\"axis\" d=\"M%d %d.5H%d\"/>", TL_LEFT, TL_TOP,
	    TL_W - TL_RIGHT, TL_LEFT, axis, TL_W - TL_RIGHT);
	for (i = 0; i < n; i += step) {
		report_html_date(day, days[i].day);
		fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">"
		    "%s</text>", TL_LEFT + ((double)i + 0.5) * w,
		    axis + TL_GAP + TL_DOWN + 18, day + 5);
	}
}

/* One day's two bars, with a tooltip that says the day and counts. */
static void
timeline_day(FILE *f, const struct tlsrpt_day *d, double x, double w,
    int64_t smax, int64_t xmax)
{
	const int	 axis = TL_TOP + TL_UP + TL_GAP;
	char		 day[11];
	double		 h;

	report_html_date(day, d->day);
	fputs("<g><title>", f);
	fputs(day, f);
	fputs(": ", f);
	report_html_count(f, d->successful);
	fputs(" successful, ", f);
	report_html_count(f, d->failed);
	fputs(" failed</title>", f);
	if ((h = scaled(d->successful, smax, TL_UP)) > 0)
		fprintf(f, "<rect class=\"s\" x=\"%.1f\" y=\"%.1f\" "
		    "width=\"%.1f\" height=\"%.1f\"/>", x, axis - TL_GAP / 2 - h,
		    w, h);
	if ((h = scaled(d->failed, xmax, TL_DOWN)) > 0)
		fprintf(f, "<rect class=\"f\" x=\"%.1f\" y=\"%d\" "
		    "width=\"%.1f\" height=\"%.1f\"/>", x, axis + TL_GAP / 2 + 1,
		    w, h);
	fputs("</g>", f);
}

void
report_svg_timeline(FILE *f, const struct tlsrpt_day *days, size_t n,
    const char *id)
{
	const int	 height = TL_TOP + TL_UP + 2 * TL_GAP + TL_DOWN + 28;
	int64_t		 smax = 0, xmax = 0;
	double		 w, bar;
	size_t		 i;

	for (i = 0; i < n; i++) {
		smax = days[i].successful > smax ? days[i].successful : smax;
		xmax = days[i].failed > xmax ? days[i].failed : xmax;
	}
	svg_open(f, id, "timeline", TL_W, height, "Sessions per day: "
	    "successful above the axis, failed below it");
	days_desc(f, days, n);
	w = n > 0 ? (double)(TL_W - TL_LEFT - TL_RIGHT) / (double)n : 0;
	bar = w >= 4 ? w * 0.75 : w;
	timeline_frame(f, days, n, smax, xmax, w);
	for (i = 0; i < n; i++)
		timeline_day(f, &days[i], TL_LEFT + (double)i * w + (w - bar) /
		    2, bar, smax, xmax);
	fputs("</svg>", f);
}

void
report_svg_bars(FILE *f, const struct report_svg_bar *bars, size_t n,
    const char *id, const char *title)
{
	int64_t	 max = 0;
	size_t	 i;
	double	 w;
	int	 y;

	for (i = 0; i < n; i++)
		max = bars[i].value > max ? bars[i].value : max;
	svg_open(f, id, "bars", TL_W, (int)n * BAR_ROW + 8, title);
	for (i = 0; i < n; i++) {
		fputs(i > 0 ? "; " : "", f);
		report_html_text(f, bars[i].label);
		fputs(": ", f);
		report_html_count(f, bars[i].value);
	}
	fputs(".</desc>", f);
	for (i = 0; i < n; i++) {
		y = (int)i * BAR_ROW + 4;
		w = scaled(bars[i].value, max, BAR_MAX_W);
		fputs("<g><title>", f);
		report_html_text(f, bars[i].label);
		fputs(": ", f);
		report_html_count(f, bars[i].value);
		fprintf(f, "</title><text x=\"%d\" y=\"%d\" "
		    "text-anchor=\"end\">", BAR_LABEL - 8, y + 15);
		report_html_textn(f, bars[i].label, BAR_LABEL_MAX);
		fprintf(f, "</text><rect class=\"bar\" x=\"%d\" y=\"%d\" "
		    "width=\"%.1f\" height=\"%d\"/><text x=\"%.1f\" y=\"%d\">",
		    BAR_LABEL, y + 2, w, BAR_ROW - 6, BAR_LABEL + w + 6,
		    y + 15);
		report_html_count(f, bars[i].value);
		fputs("</text></g>", f);
	}
	fputs("</svg>", f);
}
