/* SPDX-License-Identifier: ISC */
/*
 * report_list.c: the lines `list` writes for a row, text and JSON, with
 * every time RFC 3339 in UTC with a four-digit year: the range a report
 * may have (1970 to a day after it arrived), and what a store written
 * before that rule may still hold (years 0001 to 9999; anything else is
 * "?" and null, never a malformed date).
 */
#include <stdio.h>
#include <stdlib.h>

#include "report/report.h"
#include "unit.h"

/* What fn wrote for row, as a NUL-terminated string (free). */
static char *
listed(int (*fn)(const struct tlsrpt_row *, void *),
    const struct tlsrpt_row *row, int *rc)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*f;

	if ((f = open_memstream(&buf, &len)) == NULL)
		abort();
	*rc = fn(row, f);
	if (fclose(f) != 0)
		abort();
	return buf;
}

static void
test_times(void)
{
	static const struct {
		int64_t		 begin, end;
		const char	*text;	/* the line's first field: end */
		const char	*json;	/* "begin" and "end" */
	} rows[] = {
		{ 0, 86399, "1970-01-01T23:59:59Z",
		    "\"begin\":\"1970-01-01T00:00:00Z\","
		    "\"end\":\"1970-01-01T23:59:59Z\"" },
		{ 1711324800, 1711411199, "2024-03-25T23:59:59Z",
		    "\"begin\":\"2024-03-25T00:00:00Z\","
		    "\"end\":\"2024-03-25T23:59:59Z\"" },
		{ 253402214400LL, 253402300799LL, "9999-12-31T23:59:59Z",
		    "\"begin\":\"9999-12-31T00:00:00Z\","
		    "\"end\":\"9999-12-31T23:59:59Z\"" },
		/* Stored before dates were bounded: four digits all the same. */
		{ -30641760000LL, -62135596800LL + 59, "0001-01-01T00:00:59Z",
		    "\"begin\":\"0999-01-01T00:00:00Z\","
		    "\"end\":\"0001-01-01T00:00:59Z\"" },
		/* Year 0 and year 10000 have no RFC 3339 form. */
		{ -62135596801LL, 253402300800LL, "?",
		    "\"begin\":null,\"end\":null" },
	};
	struct tlsrpt_policy	 p;
	struct tlsrpt_row	 row;
	char			*got, want[512];
	size_t			 i;
	int			 rc;

	memset(&p, 0, sizeof(p));
	p.policy_type = (char *)"sts";
	p.policy_domain = (char *)"example.com";
	p.successful = 3;
	p.failed = 1;
	memset(&row, 0, sizeof(row));
	row.organization = "Org";
	row.report_id = "id-1";
	row.received = 1711411200;
	row.via = TLSRPT_VIA_HTTPS;
	row.policy = &p;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		row.begin = rows[i].begin;
		row.end = rows[i].end;
		got = listed(report_list_text, &row, &rc);
		snprintf(want, sizeof(want), "%s example.com sts 3/1 https Org "
		    "[id-1]\n", rows[i].text);
		CHECK_BYTES(got, rc == 0 ? strlen(got) : 0, want, strlen(want),
		    "text, end %lld", (long long)rows[i].end);
		free(got);
		got = listed(report_list_json, &row, &rc);
		snprintf(want, sizeof(want), "{\"organization\":\"Org\","
		    "\"report_id\":\"id-1\",\"policy_domain\":\"example.com\","
		    "\"policy_type\":\"sts\",%s,\"successful\":3,\"failed\":1,"
		    "\"via\":\"https\",\"failures\":[],\"policy_id\":null,"
		    "\"policy_string\":null,\"mx_host\":null,\"contact\":null,"
		    "\"received\":\"2024-03-26T00:00:00Z\"}\n", rows[i].json);
		CHECK_BYTES(got, rc == 0 ? strlen(got) : 0, want, strlen(want),
		    "JSON, begin %lld", (long long)rows[i].begin);
		free(got);
	}
}

int
main(void)
{
	test_times();
	return unit_done();
}
