/* SPDX-License-Identifier: ISC */
/*
 * `list`: what the store holds, one line per report and policy domain,
 * for a person (text) or a script (one JSON object per line, for jq).
 *
 * Every string in a row came from a sender: anyone can POST a report,
 * so an organization-name or report-id may hold a terminal escape, a
 * newline that would forge a second line, or bidirectional controls.
 * The text form passes each through log_escape (one harmless line); the
 * JSON form lets jansson escape it as JSON, and falls back to the
 * log_escape form for a string that is not UTF-8 (report_json never
 * stores one, but the file is not ours alone).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "report/report.h"

/*
 * RFC 3339 in UTC, "2024-04-01T23:59:59Z", the year in four digits
 * (strftime's %Y writes year 999 as "999"); NULL outside years 0001 to
 * 9999, which report_json accepts no more of but an older store may
 * hold.
 */
static const char *
list_time(int64_t t, char *buf, size_t size)
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;
	int		 n;

	/* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z. */
	if (t < -62135596800LL || t > 253402300799LL ||
	    gmtime_r(&tt, &tm) == NULL)
		return NULL;
	n = snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
	return n < 0 || (size_t)n >= size ? NULL : buf;
}

/* s escaped by log_escape in a new string (free); NULL if out of memory. */
static char *
list_escape(const char *s)
{
	size_t	 len = strlen(s);
	char	*e;

	if ((e = malloc(LOG_ESCAPE_SIZE(len))) != NULL)
		log_escape(e, LOG_ESCAPE_SIZE(len), s, len);
	return e;
}

static int
list_write_error(void)
{
	log_warn("list: cannot write the listing");
	return -1;
}

int
report_list_text(const struct tlsrpt_row *row, void *arg)
{
	FILE				*fp = arg;
	const struct tlsrpt_policy	*p = row->policy;
	char				 end[32];
	char				*dom, *type, *org, *id;
	int				 rc = -1;

	dom = list_escape(p->policy_domain);
	type = list_escape(p->policy_type);
	org = list_escape(row->organization);
	id = list_escape(row->report_id);
	if (dom == NULL || type == NULL || org == NULL || id == NULL)
		log_warnx("list: out of memory");
	else if (fprintf(fp, "%s %s %s %lld/%lld %s %s [%s]\n",
	    list_time(row->end, end, sizeof(end)) != NULL ? end : "?", dom,
	    type, (long long)p->successful, (long long)p->failed,
	    tlsrpt_via_name(row->via), org, id) < 0)
		list_write_error();
	else
		rc = 0;
	free(dom);
	free(type);
	free(org);
	free(id);
	return rc;
}

/* A string for JSON: null for NULL, escaped if it is not UTF-8. */
static json_t *
list_jstr(const char *s)
{
	json_t	*j;
	char	*e;

	if (s == NULL)
		return json_null();
	if ((j = json_string(s)) != NULL || (e = list_escape(s)) == NULL)
		return j;
	j = json_string(e);
	free(e);
	return j;
}

static json_t *
list_jtime(int64_t t)
{
	char	 buf[32];

	return list_time(t, buf, sizeof(buf)) != NULL ? json_string(buf) :
	    json_null();
}

/* An array of strings, null if none was sent. */
static json_t *
list_jstrings(char *const *v, size_t n)
{
	json_t	*a;
	size_t	 i;

	if (v == NULL)
		return json_null();
	if ((a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (json_array_append_new(a, list_jstr(v[i])) == -1) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* Sets key to v (taking it); 0, or -1 if v is NULL (out of memory). */
static int
list_set(json_t *o, const char *key, json_t *v)
{
	return v == NULL ? -1 : json_object_set_new(o, key, v);
}

static json_t *
list_jfailure(const struct tlsrpt_failure *f)
{
	json_t	*o;

	if ((o = json_object()) == NULL)
		return NULL;
	if (list_set(o, "result_type", list_jstr(f->result_type)) == -1 ||
	    list_set(o, "receiving_mx",
	    list_jstr(f->receiving_mx_hostname)) == -1 ||
	    list_set(o, "count", json_integer(f->count)) == -1 ||
	    list_set(o, "sending_mta_ip", list_jstr(f->sending_mta_ip)) ==
	    -1 ||
	    list_set(o, "receiving_ip", list_jstr(f->receiving_ip)) == -1 ||
	    list_set(o, "receiving_mx_helo",
	    list_jstr(f->receiving_mx_helo)) == -1 ||
	    list_set(o, "additional_information",
	    list_jstr(f->additional_information)) == -1 ||
	    list_set(o, "failure_reason_code",
	    list_jstr(f->failure_reason_code)) == -1) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
list_jfailures(const struct tlsrpt_policy *p)
{
	json_t	*a;
	size_t	 i;

	if ((a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < p->nfailures; i++)
		if (json_array_append_new(a, list_jfailure(&p->failures[i])) ==
		    -1) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/*
 * The keys issue 19 promises scripts come first, in its order; then the
 * policy's id and strings, the contact and when it was received.
 */
static json_t *
list_jrow(const struct tlsrpt_row *row)
{
	const struct tlsrpt_policy	*p = row->policy;
	json_t				*o;

	if ((o = json_object()) == NULL)
		return NULL;
	if (list_set(o, "organization", list_jstr(row->organization)) == -1 ||
	    list_set(o, "report_id", list_jstr(row->report_id)) == -1 ||
	    list_set(o, "policy_domain", list_jstr(p->policy_domain)) == -1 ||
	    list_set(o, "policy_type", list_jstr(p->policy_type)) == -1 ||
	    list_set(o, "begin", list_jtime(row->begin)) == -1 ||
	    list_set(o, "end", list_jtime(row->end)) == -1 ||
	    list_set(o, "successful", json_integer(p->successful)) == -1 ||
	    list_set(o, "failed", json_integer(p->failed)) == -1 ||
	    list_set(o, "via", json_string(tlsrpt_via_name(row->via))) ==
	    -1 ||
	    list_set(o, "failures", list_jfailures(p)) == -1 ||
	    list_set(o, "policy_id", p->policy_id[0] != '\0' ?
	    json_string(p->policy_id) : json_null()) == -1 ||
	    list_set(o, "policy_string", list_jstrings(p->policy_string,
	    p->npolicy_string)) == -1 ||
	    list_set(o, "mx_host", list_jstrings(p->mx_host, p->nmx_host)) ==
	    -1 ||
	    list_set(o, "contact", list_jstr(row->contact)) == -1 ||
	    list_set(o, "received", list_jtime(row->received)) == -1) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int
report_list_json(const struct tlsrpt_row *row, void *arg)
{
	FILE	*fp = arg;
	json_t	*o;
	int	 rc = -1;

	if ((o = list_jrow(row)) == NULL) {
		log_warnx("list: out of memory");
		return -1;
	}
	if (json_dumpf(o, fp, JSON_COMPACT) == -1 || fputc('\n', fp) == EOF)
		list_write_error();
	else
		rc = 0;
	json_decref(o);
	return rc;
}
