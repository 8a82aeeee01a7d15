/* SPDX-License-Identifier: ISC */
/*
 * report_mail: the report a TLS-RPT mail message carries (RFC 8460 §5.3).
 *
 * Why GMime and not a hand-written walk: MIME in the wild has folded
 * and encoded parameters, odd quoting, missing final boundaries and
 * every Content-Transfer-Encoding; a maintained parser (the one
 * Evolution and notmuch use) gets those right, and its own limits
 * (nesting, header sizes) were written against attacks.  What is ours
 * is the choice of part and the limits around it: the caller has already
 * bounded the message (report_mail_max), we search at most
 * REPORT_MAIL_DEPTH_MAX multiparts deep and never inside an attached
 * message (message/rfc822: a forwarded report is the forwarder's, and
 * its signature is not the reporter's), and decoding never makes a part
 * larger than it was sent.
 *
 * What real senders send, as public trackers show it (parsedmarc #561,
 * dmarc-report-viewer #88, jgosmann/dmarc-metrics-exporter #52):
 * Microsoft writes "multipart/report; boundary=...; report-type=tlsrpt"
 * (unquoted, after the boundary), Google an application/tlsrpt+gzip
 * part in base64 named "....json.gz" after a text/plain part; both send
 * TLS-Report-Domain and TLS-Report-Submitter.  No sender was found
 * sending the report as application/gzip or octet-stream, so no such
 * part is taken: the media type is what says a part is a report.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

#include "report/report.h"

size_t
report_mail_max(size_t body_max)
{
	if (body_max > (SIZE_MAX - 1024 * 1024) / 4)
		return SIZE_MAX;
	return 4 * body_max + 1024 * 1024;
}

/*
 * What GLib and GMime would print: nothing.  Their messages are
 * assertion failures ("gmime-CRITICAL **: ...") that say nothing to an
 * operator and would break import's one line per message; every
 * outcome GMime has is read from its return values instead.
 */
static void
mail_glib_log(const gchar *domain, GLogLevelFlags level, const gchar *text,
    gpointer arg)
{
	(void)domain;
	(void)level;
	(void)text;
	(void)arg;
}

static GLogWriterOutput
mail_glib_write(GLogLevelFlags level, const GLogField *fields, gsize n,
    gpointer arg)
{
	(void)level;
	(void)fields;
	(void)n;
	(void)arg;
	return G_LOG_WRITER_HANDLED;
}

/*
 * GMime's global state, set up once per process (g_mime_init), and
 * GLib's log handlers, for both ways GLib logs (g_log's handlers and
 * the structured writer, which a program sets once: GMime is the only
 * GLib user here).
 */
static void
mail_init(void)
{
	static int	 done;

	if (!done) {
		g_log_set_default_handler(mail_glib_log, NULL);
		g_log_set_writer_func(mail_glib_write, NULL, NULL);
		g_mime_init();
		done = 1;
	}
}

static void
mail_why(char *why, size_t size, const char *what, const char *text)
{
	char	 esc[LOG_ESCAPE_SIZE(80)];

	if (text == NULL) {
		snprintf(why, size, "%s", what);
		return;
	}
	log_escape(esc, sizeof(esc), text, strnlen(text, 80));
	snprintf(why, size, "%s: \"%s\"", what, esc);
}

/* The report media types RFC 8460 §5.3 (and §6.3, §6.4) names. */
static enum report_encoding
mail_part_encoding(GMimeObject *o)
{
	GMimeContentType *ct = g_mime_object_get_content_type(o);

	if (ct == NULL || !GMIME_IS_PART(o))
		return REPORT_ENCODING_OTHER;
	if (g_mime_content_type_is_type(ct, "application", "tlsrpt+gzip"))
		return REPORT_ENCODING_GZIP;
	if (g_mime_content_type_is_type(ct, "application", "tlsrpt+json"))
		return REPORT_ENCODING_JSON;
	return REPORT_ENCODING_OTHER;
}

/* RFC 8460 §5.3: multipart/report with report-type "tlsrpt". */
static int
mail_is_report(GMimeObject *o)
{
	GMimeContentType *ct = g_mime_object_get_content_type(o);
	const char	*type;

	if (ct == NULL || !g_mime_content_type_is_type(ct, "multipart",
	    "report"))
		return 0;
	type = g_mime_content_type_get_parameter(ct, "report-type");
	return type != NULL && g_ascii_strcasecmp(type, "tlsrpt") == 0;
}

/*
 * The first report part of the first tlsrpt multipart/report at or
 * under o, depth multiparts deep; *found says a multipart/report was
 * seen (with no report part in it).
 */
static GMimeObject *
mail_find(GMimeObject *o, int depth, int *found)
{
	GMimeMultipart	*mp;
	GMimeObject	*child, *part;
	int		 i, n;

	if (!GMIME_IS_MULTIPART(o) || depth > REPORT_MAIL_DEPTH_MAX)
		return NULL;
	mp = GMIME_MULTIPART(o);
	n = g_mime_multipart_get_count(mp);
	if (mail_is_report(o)) {
		*found = 1;
		for (i = 0; i < n; i++) {
			child = g_mime_multipart_get_part(mp, i);
			if (mail_part_encoding(child) != REPORT_ENCODING_OTHER)
				return child;
		}
		return NULL;
	}
	for (i = 0; i < n; i++) {
		part = mail_find(g_mime_multipart_get_part(mp, i), depth + 1,
		    found);
		if (part != NULL)
			return part;
	}
	return NULL;
}

/*
 * The one TLS-Report-Submitter field (RFC 8460 §5.3) into m, checked as
 * a domain name; 0, or -1 with why.
 */
static int
mail_submitter(GMimeMessage *msg, struct report_mail *m, char *why,
    size_t size)
{
	GMimeHeaderList	*list = g_mime_object_get_header_list(
	    GMIME_OBJECT(msg));
	GMimeHeader	*h;
	const char	*v = NULL, *value;
	size_t		 len, i;
	int		 n, k;

	n = list != NULL ? g_mime_header_list_get_count(list) : 0;
	for (k = 0; k < n; k++) {
		h = g_mime_header_list_get_header_at(list, k);
		if (g_ascii_strcasecmp(g_mime_header_get_name(h),
		    "TLS-Report-Submitter") != 0)
			continue;
		if (v != NULL) {
			mail_why(why, size, "more than one TLS-Report-Submitter "
			    "header field", NULL);
			return -1;
		}
		v = g_mime_header_get_value(h);
		if (v == NULL)
			v = "";
	}
	if (v == NULL) {
		mail_why(why, size, "no TLS-Report-Submitter header field",
		    NULL);
		return -1;
	}
	value = v;
	while (*v == ' ' || *v == '\t')
		v++;
	len = strlen(v);
	while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	if (len > 0 && v[len - 1] == '.')
		len--;
	if (len == 0 || len > DNAME_MAX || dname_check(v, len, 0) != DNAME_OK) {
		mail_why(why, size, "TLS-Report-Submitter is not a domain name",
		    value);
		return -1;
	}
	for (i = 0; i < len; i++)
		m->submitter[i] = (char)g_ascii_tolower(v[i]);
	m->submitter[len] = '\0';
	return 0;
}

/* The part's content, decoded, into m; 0, or -1 out of memory. */
static int
mail_decode(GMimeObject *part, struct report_mail *m)
{
	GMimeDataWrapper *content = g_mime_part_get_content(GMIME_PART(part));
	GMimeStream	*out;
	GByteArray	*bytes;
	int		 rc = -1;

	out = g_mime_stream_mem_new();
	if (out == NULL)
		return -1;
	if (content != NULL &&
	    g_mime_data_wrapper_write_to_stream(content, out) < 0)
		goto out;
	bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
	m->len = bytes->len;
	m->report = malloc(m->len + 1);
	if (m->report == NULL)
		goto out;
	if (m->len > 0)
		memcpy(m->report, bytes->data, m->len);
	m->report[m->len] = '\0';
	rc = 0;
out:
	g_object_unref(out);
	return rc;
}

enum report_mail_result
report_mail_parse(const unsigned char *msg, size_t len, struct report_mail *m,
    char *why, size_t size)
{
	GMimeStream	*stream = NULL;
	GMimeParser	*parser = NULL;
	GMimeMessage	*message = NULL;
	GMimeObject	*top, *part;
	enum report_mail_result rc = REPORT_MAIL_INVALID;
	int		 found = 0;

	memset(m, 0, sizeof(*m));
	if (size > 0)
		why[0] = '\0';
	/* GMime takes no empty buffer (an assertion, then no stream). */
	if (len == 0 || msg == NULL) {
		mail_why(why, size, "an empty message", NULL);
		return REPORT_MAIL_INVALID;
	}
	mail_init();
	if ((stream = g_mime_stream_mem_new_with_buffer((const char *)msg,
	    len)) == NULL || (parser = g_mime_parser_new_with_stream(
	    stream)) == NULL) {
		rc = REPORT_MAIL_NOMEM;
		mail_why(why, size, "out of memory", NULL);
		goto out;
	}
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	message = g_mime_parser_construct_message(parser, NULL);
	if (message == NULL) {
		mail_why(why, size, "not a mail message", NULL);
		goto out;
	}
	top = g_mime_message_get_mime_part(message);
	if (top != NULL)
		part = mail_find(top, 0, &found);
	else
		part = NULL;
	if (part == NULL) {
		mail_why(why, size, found ? "a multipart/report with no "
		    "application/tlsrpt+gzip or application/tlsrpt+json part" :
		    "no multipart/report part with report-type=tlsrpt", NULL);
		goto out;
	}
	if (mail_submitter(message, m, why, size) == -1)
		goto out;
	m->encoding = mail_part_encoding(part);
	if (mail_decode(part, m) == -1) {
		rc = REPORT_MAIL_NOMEM;
		mail_why(why, size, "out of memory", NULL);
		goto out;
	}
	rc = REPORT_MAIL_OK;
out:
	if (rc != REPORT_MAIL_OK)
		report_mail_free(m);
	if (message != NULL)
		g_object_unref(message);
	if (parser != NULL)
		g_object_unref(parser);
	if (stream != NULL)
		g_object_unref(stream);
	return rc;
}

void
report_mail_free(struct report_mail *m)
{
	free(m->report);
	memset(m, 0, sizeof(*m));
}
