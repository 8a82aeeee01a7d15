/* SPDX-License-Identifier: ISC */
/*
 * What a received report body becomes, the same whether it came by
 * HTTPS or by mail: its media type, its size as sent and inflated, its
 * gzip, its JSON, and whether it is about a policy domain served here.
 * One place decides these so that both ways in refuse the same reports
 * for the same reasons, and the HTTP status of each refusal is chosen
 * once: 4xx for anything the sender sent, 500 only when we ran out of
 * memory, 503 only when the store cannot take the report now (RFC 8460
 * §5.4: the sender retries on failure, and must not be told a bad
 * report is worth retrying).  No I/O here.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "report/report.h"

/* RFC 9110 §5.6.3: optional whitespace is spaces and tabs. */
static int
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * RFC 9110 §8.3.1: media-type = type "/" subtype parameters, and
 * parameters = *( OWS ";" OWS [ parameter ] ); type and subtype are
 * case-insensitive.  RFC 8460 §5.3 names the two report types; a
 * charset or any other parameter changes nothing.  The value may carry
 * the blanks a header field's value is trimmed of (§5.5).
 */
enum report_encoding
report_accept_encoding(const char *value)
{
	static const struct {
		const char		*type;
		enum report_encoding	 encoding;
	} types[] = {
		{ "application/tlsrpt+gzip", REPORT_ENCODING_GZIP },
		{ "application/tlsrpt+json", REPORT_ENCODING_JSON },
	};
	size_t	 i, n;

	if (value == NULL)
		return REPORT_ENCODING_OTHER;
	while (is_ows(*value))
		value++;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		n = strlen(types[i].type);
		if (strncasecmp(value, types[i].type, n) != 0)
			continue;
		value += n;
		while (is_ows(*value))
			value++;
		if (*value == '\0' || *value == ';')
			return types[i].encoding;
		return REPORT_ENCODING_OTHER;
	}
	return REPORT_ENCODING_OTHER;
}

/* Says why (size bytes) and returns status, the refusal's. */
static int
refuse(int status, char *why, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
refuse(int status, char *why, size_t size, const char *fmt, ...)
{
	va_list	 ap;

	if (size > 0) {
		va_start(ap, fmt);
		vsnprintf(why, size, fmt, ap);
		va_end(ap);
	}
	return status;
}

/*
 * The body as JSON: inflated if gzip (never past inflated_max), else
 * itself, checked against inflated_max.  *json is the body itself when
 * it is JSON (then *owned is NULL), else the inflated copy in *owned.
 */
static int
body_json(const struct report_limits *lim, enum report_encoding enc,
    const unsigned char *body, size_t len, const unsigned char **json,
    size_t *jsonlen, unsigned char **owned, char *why, size_t size)
{
	*owned = NULL;
	if (enc == REPORT_ENCODING_JSON) {
		if (len > lim->inflated_max)
			return refuse(413, why, size, "report of %zu bytes is "
			    "larger than the limit of %zu", len,
			    lim->inflated_max);
		*json = body;
		*jsonlen = len;
		return 0;
	}
	switch (report_gzip_inflate(body, len, lim->inflated_max, owned,
	    jsonlen)) {
	case REPORT_GZIP_OK:
		*json = *owned;
		return 0;
	case REPORT_GZIP_INVALID:
		return refuse(400, why, size, "not a gzip file of one member "
		    "(RFC 1952): invalid, truncated, or followed by other "
		    "bytes");
	case REPORT_GZIP_TOO_LARGE:
		return refuse(413, why, size, "report inflates to more than "
		    "the limit of %zu bytes", lim->inflated_max);
	case REPORT_GZIP_NOMEM:
		break;
	}
	return refuse(500, why, size, "out of memory");
}

/*
 * Keeps in r the policies of served domains, in their order, and says
 * which domains were refused if none is left.
 */
static int
keep_served(struct tlsrpt_report *r, int (*served)(const char *, void *),
    void *arg, char *why, size_t size)
{
	struct tlsrpt_report	 dropped;
	size_t		 i, kept = 0, n, used;

	memset(&dropped, 0, sizeof(dropped));
	if ((dropped.policies = calloc(r->npolicies + 1,
	    sizeof(*dropped.policies))) == NULL)
		return refuse(500, why, size, "out of memory");
	for (i = 0; i < r->npolicies; i++) {
		if (served(r->policies[i].policy_domain, arg) == 1)
			r->policies[kept++] = r->policies[i];
		else
			dropped.policies[dropped.npolicies++] =
			    r->policies[i];
	}
	r->npolicies = kept;
	if (kept == 0 && size > 0) {
		/* Names passed dname_check: letters, digits, "-", ".". */
		refuse(0, why, size, "no policy domain of the report is "
		    "served here:");
		for (i = 0; i < dropped.npolicies; i++) {
			used = strlen(why);
			n = (size_t)snprintf(why + used, size - used, "%s %s",
			    i > 0 ? "," : "",
			    dropped.policies[i].policy_domain);
			if (used + n + (i + 1 < dropped.npolicies ? 4 : 0) >=
			    size) {
				/* Whole names only, and say there are more. */
				why[used] = '\0';
				if (used + 4 < size)
					memcpy(why + used, " ...", 5);
				break;
			}
		}
	}
	tlsrpt_report_free(&dropped);
	return kept == 0 ? 403 : 0;
}

/*
 * A report is about a day that has begun (RFC 8460 §4.1: the sender
 * reports after its period): an end more than a day after now, which
 * allows for a sender's clock and for a period that ends at the next
 * midnight, is a mistake or an attack, and would sort first in list and
 * outlive every prune.  0, or 400 with why.
 */
static int
not_future(const struct tlsrpt_report *r, int64_t now, char *why,
    size_t size)
{
	struct tm	 tm;
	time_t		 t;
	char		 end[32], at[32];

	if (r->end <= now || r->end - now <= 86400)
		return 0;
	t = (time_t)r->end;
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(end, sizeof(end), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(end, sizeof(end), "%lld", (long long)r->end);
	t = (time_t)now;
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(at, sizeof(at), "%lld", (long long)now);
	return refuse(400, why, size, "date-range.end-datetime: %s is more "
	    "than a day after the report was received (%s)", end, at);
}

static size_t
weight_of(const char *s)
{
	return s != NULL ? strlen(s) : 0;
}

/*
 * What r would store, against len bytes as sent (report.h): 0, or 413
 * with why.  Measured on the whole report, as the raw copy keeps it.
 */
static int
stored_bound(const struct tlsrpt_report *r, size_t len, char *why,
    size_t size)
{
	const struct tlsrpt_policy	*p;
	const struct tlsrpt_failure	*f;
	size_t				 w, i, k;

	w = REPORT_ROW_WEIGHT + weight_of(r->organization) +
	    weight_of(r->contact) + weight_of(r->report_id);
	for (i = 0; i < r->npolicies; i++) {
		p = &r->policies[i];
		w += REPORT_ROW_WEIGHT + weight_of(p->policy_type) +
		    weight_of(p->policy_domain);
		for (k = 0; k < p->npolicy_string; k++)
			w += weight_of(p->policy_string[k]);
		for (k = 0; k < p->nmx_host; k++)
			w += weight_of(p->mx_host[k]);
		for (k = 0; k < p->nfailures; k++) {
			f = &p->failures[k];
			w += REPORT_ROW_WEIGHT + weight_of(f->result_type) +
			    weight_of(f->sending_mta_ip) +
			    weight_of(f->receiving_mx_hostname) +
			    weight_of(f->receiving_mx_helo) +
			    weight_of(f->receiving_ip) +
			    weight_of(f->additional_information) +
			    weight_of(f->failure_reason_code);
		}
	}
	/* w is at most REPORT_STRINGS_MAX and 11,001 rows: no overflow. */
	if (len <= (SIZE_MAX - REPORT_STORED_SLACK) / REPORT_STORED_RATIO &&
	    w > len * REPORT_STORED_RATIO + REPORT_STORED_SLACK)
		return refuse(413, why, size, "the report would store more "
		    "than %d times its %zu bytes as sent, and %d more",
		    REPORT_STORED_RATIO, len, REPORT_STORED_SLACK);
	return 0;
}

int
report_accept_body(const struct report_limits *lim, enum report_encoding enc,
    const unsigned char *body, size_t len, int64_t now,
    int (*served)(const char *, void *), void *arg, struct tlsrpt_report *r,
    unsigned char **raw, size_t *rawlen, char *why, size_t size)
{
	const unsigned char	*json = NULL;
	unsigned char		*inflated = NULL;
	size_t			 jsonlen = 0;
	int			 status;

	memset(r, 0, sizeof(*r));
	*raw = NULL;
	*rawlen = 0;
	if (size > 0)
		why[0] = '\0';
	if (enc != REPORT_ENCODING_GZIP && enc != REPORT_ENCODING_JSON) {
		status = refuse(415, why, size, "not a report: the media type "
		    "is neither application/tlsrpt+gzip nor "
		    "application/tlsrpt+json (RFC 8460 §5.3)");
		goto out;
	}
	if (len > lim->body_max) {
		status = refuse(413, why, size, "report body of %zu bytes is "
		    "larger than the limit of %zu", len, lim->body_max);
		goto out;
	}
	if ((status = body_json(lim, enc, body, len, &json, &jsonlen,
	    &inflated, why, size)) != 0)
		goto out;
	switch (report_json_parse(r, (const char *)json, jsonlen, why, size)) {
	case 0:
		break;
	case -2:
		status = 500;
		goto out;
	default:
		status = 400;
		goto out;
	}
	if ((status = not_future(r, now, why, size)) != 0 ||
	    (status = stored_bound(r, len, why, size)) != 0 ||
	    (status = keep_served(r, served, arg, why, size)) != 0)
		goto out;
	/* Kept as it came if gzip; else compressed for the store. */
	if (enc == REPORT_ENCODING_GZIP) {
		if ((*raw = malloc(len)) == NULL) {
			status = refuse(500, why, size, "out of memory");
			goto out;
		}
		memcpy(*raw, body, len);
		*rawlen = len;
	} else if (report_gzip_deflate(body, len, raw, rawlen) == -1) {
		status = refuse(500, why, size, "out of memory");
		goto out;
	}
out:
	free(inflated);
	if (status != 0)
		tlsrpt_report_free(r);
	return status;
}

/* RFC 8460 §5.4: success is 2xx; 503 tells the sender to try later. */
int
report_accept_status(enum tlsrpt_store_result res)
{
	switch (res) {
	case TLSRPT_STORE_ADDED:
		return 201;
	case TLSRPT_STORE_DUPLICATE:
		return 200;
	case TLSRPT_STORE_UNAVAILABLE:
	case TLSRPT_STORE_CORRUPT:
		break;
	}
	return 503;
}
