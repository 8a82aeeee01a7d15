/* SPDX-License-Identifier: ISC */
/*
 * report_mail and report_dkim: which part of a message is the report,
 * what TLS-Report-Submitter says, which signing domains count, and
 * what an Authentication-Results header may prove, each case with its
 * exact answer.  The DKIM checks that need DNS (a signature that
 * verifies, a tampered body, a key with s=tlsrpt) run against real DNS
 * in tests/report/mail.sh; here are those settled before any query.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include "report/report.h"
#include "unit.h"

#define GZ_B64	"H4sIAAAAAAAAA6uuBQBDv6ajAgAAAA=="
static const char gz[] = "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xab\xae"
    "\x05\x00\x43\xbf\xa6\xa3\x02\x00\x00\x00";
#define JSON	"{\"organization-name\":\"Example\"}"
#define QP_JSON	"{\"organization-name\":\"Caf=C3=A9 =3D ok\",\"x\":\"aaaaaaaaaa" \
		"aaaaaaaaaaaaaaaaaaaa=\naaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
		"aaaaaaaa\"}"
#define QP_DEC	"{\"organization-name\":\"Caf\xc3\xa9 = ok\",\"x\":\"" \
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
		"aaaaaaaaaaaaaaaaaaa\"}"

/* The headers every report message here starts with. */
#define HEAD(submitter) \
	"From: tlsrpt@sender.test\n" \
	"To: tlsrpt@rcv.test\n" \
	"Subject: Report Domain: rcv.test Submitter: sender.test Report-ID: <1@s>\n" \
	"TLS-Report-Domain: rcv.test\n" \
	submitter \
	"MIME-Version: 1.0\n"
#define SUB	"TLS-Report-Submitter: sender.test\n"
#define TEXT_PART(b) \
	"--" b "\n" \
	"Content-Type: text/plain; charset=us-ascii\n\n" \
	"This is an aggregate TLS report from sender.test\n\n"

static const struct mail_case {
	const char	*name;
	const char	*msg;
	enum report_mail_result rc;
	enum report_encoding enc;
	const char	*bytes;
	size_t		 len;
	const char	*submitter;
	const char	*why;
} mail_cases[] = {
	{ "RFC 8460 §5.3.1's shape: +json part, 7bit",
	  HEAD(SUB) "Content-Type: multipart/report; report-type=\"tlsrpt\";\n"
	  "\tboundary=\"b1\"\n\n" TEXT_PART("b1")
	  "--b1\nContent-Type: application/tlsrpt+json\n"
	  "Content-Transfer-Encoding: 7bit\n"
	  "Content-Disposition: attachment;\n"
	  "\tfilename=\"sender.test!rcv.test!1!2.json\"\n\n"
	  JSON "\n--b1--\n",
	  REPORT_MAIL_OK, REPORT_ENCODING_JSON, JSON, sizeof(JSON) - 1,
	  "sender.test", "" },
	{ "Microsoft's shape: report-type unquoted after the boundary, "
	  "+gzip in base64, CRLF",
	  "From: tlsrpt-noreply@sender.test\r\nTLS-Report-Domain: rcv.test\r\n"
	  "TLS-Report-Submitter: sender.test\r\nMIME-Version: 1.0\r\n"
	  "Content-Type: multipart/report;\r\n"
	  "\tboundary=\"_a737a3b9_\"; report-type=tlsrpt\r\n\r\n"
	  "--_a737a3b9_\r\nContent-Type: text/plain\r\n\r\nreport\r\n"
	  "--_a737a3b9_\r\nContent-Type: application/tlsrpt+gzip;\r\n"
	  "\tname=\"sender.test!rcv.test!1!2!3.json.gz\"\r\n"
	  "Content-Transfer-Encoding: base64\r\n\r\n" GZ_B64 "\r\n"
	  "--_a737a3b9_--\r\n",
	  REPORT_MAIL_OK, REPORT_ENCODING_GZIP, gz, sizeof(gz) - 1,
	  "sender.test", "" },
	{ "media types and parameters without case",
	  HEAD("tls-report-submitter: Sender.TEST.\n")
	  "Content-Type: Multipart/Report; Report-Type=TLSRPT; "
	  "BOUNDARY=b\n\n--b\nContent-Type: Application/TLSRPT+GZIP\n"
	  "Content-Transfer-Encoding: BASE64\n\n" GZ_B64 "\n--b--\n",
	  REPORT_MAIL_OK, REPORT_ENCODING_GZIP, gz, sizeof(gz) - 1,
	  "sender.test", "" },
	{ "quoted-printable JSON decoded (soft breaks, =3D, UTF-8)",
	  HEAD(SUB) "Content-Type: multipart/report; report-type=tlsrpt; "
	  "boundary=q\n\n--q\nContent-Type: application/tlsrpt+json\n"
	  "Content-Transfer-Encoding: quoted-printable\n\n" QP_JSON
	  "\n--q--\n",
	  REPORT_MAIL_OK, REPORT_ENCODING_JSON, QP_DEC, sizeof(QP_DEC) - 1,
	  "sender.test", "" },
	{ "8bit JSON as it is",
	  HEAD(SUB) "Content-Type: multipart/report; report-type=tlsrpt; "
	  "boundary=e\n\n--e\nContent-Type: application/tlsrpt+json\n"
	  "Content-Transfer-Encoding: 8bit\n\n{\"o\":\"\xc3\xa9\"}\n--e--\n",
	  REPORT_MAIL_OK, REPORT_ENCODING_JSON, "{\"o\":\"\xc3\xa9\"}", 10,
	  "sender.test", "" },
	{ "the report inside multipart/mixed (a list footer, a signed "
	  "wrapper)",
	  HEAD(SUB) "Content-Type: multipart/mixed; boundary=outer\n\n"
	  "--outer\nContent-Type: text/plain\n\nhi\n"
	  "--outer\nContent-Type: multipart/report; report-type=tlsrpt; "
	  "boundary=inner\n\n--inner\nContent-Type: application/tlsrpt+json"
	  "\n\n" JSON "\n--inner--\n\n--outer--\n",
	  REPORT_MAIL_OK, REPORT_ENCODING_JSON, JSON, sizeof(JSON) - 1,
	  "sender.test", "" },
	{ "the first report part of two",
	  HEAD(SUB) "Content-Type: multipart/report; report-type=tlsrpt; "
	  "boundary=t\n\n--t\nContent-Type: application/tlsrpt+json\n\n"
	  "{\"first\":1}\n--t\nContent-Type: application/tlsrpt+json\n\n"
	  "{\"second\":2}\n--t--\n",
	  REPORT_MAIL_OK, REPORT_ENCODING_JSON, "{\"first\":1}", 11,
	  "sender.test", "" },
	{ "no closing boundary: the part runs to the end",
	  HEAD(SUB) "Content-Type: multipart/report; report-type=tlsrpt; "
	  "boundary=open\n\n--open\nContent-Type: application/tlsrpt+json\n\n"
	  JSON "\n",
	  REPORT_MAIL_OK, REPORT_ENCODING_JSON, JSON "\n", sizeof(JSON),
	  "sender.test", "" },
	{ "an attached message is not searched (message/rfc822)",
	  HEAD(SUB) "Content-Type: multipart/mixed; boundary=m\n\n"
	  "--m\nContent-Type: message/rfc822\n\n" HEAD(SUB)
	  "Content-Type: multipart/report; report-type=tlsrpt; boundary=i\n\n"
	  "--i\nContent-Type: application/tlsrpt+json\n\n" JSON "\n--i--\n"
	  "\n--m--\n",
	  REPORT_MAIL_INVALID, 0, NULL, 0, "",
	  "no multipart/report part with report-type=tlsrpt" },
	{ "a DSN is not a TLS report (report-type=delivery-status)",
	  HEAD(SUB) "Content-Type: multipart/report; "
	  "report-type=delivery-status; boundary=d\n\n--d\n"
	  "Content-Type: application/tlsrpt+json\n\n" JSON "\n--d--\n",
	  REPORT_MAIL_INVALID, 0, NULL, 0, "",
	  "no multipart/report part with report-type=tlsrpt" },
	{ "application/gzip is not a report part (no sender sends it)",
	  HEAD(SUB) "Content-Type: multipart/report; report-type=tlsrpt; "
	  "boundary=g\n\n--g\nContent-Type: application/gzip; "
	  "name=\"a.json.gz\"\nContent-Transfer-Encoding: base64\n\n" GZ_B64
	  "\n--g--\n",
	  REPORT_MAIL_INVALID, 0, NULL, 0, "",
	  "a multipart/report with no application/tlsrpt+gzip or "
	  "application/tlsrpt+json part" },
	{ "a report part not under a multipart/report",
	  HEAD(SUB) "Content-Type: application/tlsrpt+json\n\n" JSON "\n",
	  REPORT_MAIL_INVALID, 0, NULL, 0, "",
	  "no multipart/report part with report-type=tlsrpt" },
	{ "no TLS-Report-Submitter",
	  HEAD("") "Content-Type: multipart/report; report-type=tlsrpt; "
	  "boundary=n\n\n--n\nContent-Type: application/tlsrpt+json\n\n"
	  JSON "\n--n--\n",
	  REPORT_MAIL_INVALID, 0, NULL, 0, "",
	  "no TLS-Report-Submitter header field" },
	{ "two TLS-Report-Submitter fields",
	  HEAD(SUB "TLS-Report-Submitter: other.test\n")
	  "Content-Type: multipart/report; report-type=tlsrpt; "
	  "boundary=n\n\n--n\nContent-Type: application/tlsrpt+json\n\n"
	  JSON "\n--n--\n",
	  REPORT_MAIL_INVALID, 0, NULL, 0, "",
	  "more than one TLS-Report-Submitter header field" },
	{ "a submitter that is not a domain name, escaped",
	  HEAD("TLS-Report-Submitter: Google Inc.\x1b[31m\n")
	  "Content-Type: multipart/report; report-type=tlsrpt; "
	  "boundary=n\n\n--n\nContent-Type: application/tlsrpt+json\n\n"
	  JSON "\n--n--\n",
	  REPORT_MAIL_INVALID, 0, NULL, 0, "",
	  "TLS-Report-Submitter is not a domain name: \"Google "
	  "Inc.\\x1b[31m\"" },
	{ "a one-label submitter",
	  HEAD("TLS-Report-Submitter: localhost\n")
	  "Content-Type: multipart/report; report-type=tlsrpt; "
	  "boundary=n\n\n--n\nContent-Type: application/tlsrpt+json\n\n"
	  JSON "\n--n--\n",
	  REPORT_MAIL_INVALID, 0, NULL, 0, "",
	  "TLS-Report-Submitter is not a domain name: \"localhost\"" },
	{ "plain text", "Subject: hello\n\nhello\n",
	  REPORT_MAIL_INVALID, 0, NULL, 0, "",
	  "no multipart/report part with report-type=tlsrpt" },
	{ "nothing at all", "",
	  REPORT_MAIL_INVALID, 0, NULL, 0, "", "an empty message" },
	{ "binary junk", "\x00\xff\xfe--\n\n\x00",
	  REPORT_MAIL_INVALID, 0, NULL, 0, "", "not a mail message" },
};

static void
test_mail_cases(void)
{
	const struct mail_case *c;
	struct report_mail m;
	enum report_mail_result rc;
	char	 why[256];
	size_t	 i, len;

	for (i = 0; i < sizeof(mail_cases) / sizeof(mail_cases[0]); i++) {
		c = &mail_cases[i];
		/* "binary junk" has NULs: its length is the literal's. */
		len = strcmp(c->name, "binary junk") == 0 ? 8 : strlen(c->msg);
		rc = report_mail_parse((const unsigned char *)c->msg, len, &m,
		    why, sizeof(why));
		CHECK(rc == c->rc, "mail: %s: result %d (want %d)", c->name,
		    rc, c->rc);
		CHECK(strcmp(why, c->why) == 0, "mail: %s: why", c->name);
		if (strcmp(why, c->why) != 0) {
			unit_show("want", c->why, strlen(c->why));
			unit_show("got ", why, strlen(why));
		}
		CHECK(strcmp(m.submitter, c->submitter) == 0,
		    "mail: %s: submitter \"%s\"", c->name, m.submitter);
		if (c->bytes != NULL) {
			CHECK(m.encoding == c->enc, "mail: %s: encoding",
			    c->name);
			CHECK_BYTES((const char *)m.report, m.len, c->bytes,
			    c->len, "mail: %s: the decoded part", c->name);
		} else
			CHECK(m.report == NULL && m.len == 0,
			    "mail: %s: nothing kept", c->name);
		report_mail_free(&m);
	}
}

/* appends s to a growing message; exits if out of memory */
static void
put(char **buf, size_t *len, size_t *cap, const char *s)
{
	size_t	 n = strlen(s);

	if (*len + n + 1 > *cap) {
		*cap = (*len + n + 1) * 2;
		if ((*buf = realloc(*buf, *cap)) == NULL)
			abort();
	}
	memcpy(*buf + *len, s, n + 1);
	*len += n;
}

/*
 * Hostile shapes: nesting past our depth and far past GMime's, a
 * megabyte-long header line, a million parts' worth of boundaries.
 */
static void
test_mail_hostile(void)
{
	struct report_mail m;
	char	*buf = NULL, line[64], why[256];
	size_t	 len = 0, cap = 0;
	int	 i, depth;
	enum report_mail_result rc;

	for (depth = REPORT_MAIL_DEPTH_MAX; depth <= REPORT_MAIL_DEPTH_MAX + 1;
	    depth++) {
		len = 0;
		put(&buf, &len, &cap, HEAD(SUB));
		for (i = 0; i < depth; i++) {
			snprintf(line, sizeof(line), "Content-Type: multipart/"
			    "mixed; boundary=n%d\n\n--n%d\n", i, i);
			put(&buf, &len, &cap, line);
		}
		put(&buf, &len, &cap, "Content-Type: multipart/report; "
		    "report-type=tlsrpt; boundary=r\n\n--r\nContent-Type: "
		    "application/tlsrpt+json\n\n{}\n--r--\n");
		rc = report_mail_parse((unsigned char *)buf, len, &m, why,
		    sizeof(why));
		CHECK(rc == (depth <= REPORT_MAIL_DEPTH_MAX ? REPORT_MAIL_OK :
		    REPORT_MAIL_INVALID), "mail: report part under %d "
		    "multiparts: result %d", depth, rc);
		report_mail_free(&m);
	}

	len = 0;
	put(&buf, &len, &cap, HEAD(SUB));
	for (i = 0; i < 200000; i++) {
		snprintf(line, sizeof(line), "Content-Type: multipart/mixed; "
		    "boundary=%d\n\n--%d\n", i, i);
		put(&buf, &len, &cap, line);
	}
	rc = report_mail_parse((unsigned char *)buf, len, &m, why,
	    sizeof(why));
	CHECK(rc == REPORT_MAIL_INVALID && strcmp(why, "no multipart/report "
	    "part with report-type=tlsrpt") == 0,
	    "mail: 200,000 nested multiparts (%zu bytes): refused, no crash",
	    len);
	report_mail_free(&m);

	len = 0;
	put(&buf, &len, &cap, "X-Long: ");
	for (i = 0; i < 1024 * 1024 / 32; i++)
		put(&buf, &len, &cap, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	put(&buf, &len, &cap, "\n" SUB "Content-Type: multipart/report; "
	    "report-type=tlsrpt; boundary=r\n\n--r\nContent-Type: "
	    "application/tlsrpt+json\n\n{}\n--r--\n");
	rc = report_mail_parse((unsigned char *)buf, len, &m, why,
	    sizeof(why));
	CHECK(rc == REPORT_MAIL_OK && m.len == 2 && memcmp(m.report, "{}",
	    2) == 0, "mail: a 1 MiB header line before the report");
	report_mail_free(&m);

	len = 0;
	put(&buf, &len, &cap, HEAD(SUB) "Content-Type: multipart/report; "
	    "report-type=tlsrpt; boundary=r\n\n");
	for (i = 0; i < 100000; i++)
		put(&buf, &len, &cap, "--r\nContent-Type: text/plain\n\nx\n");
	put(&buf, &len, &cap, "--r\nContent-Type: application/tlsrpt+json"
	    "\n\n{}\n--r--\n");
	rc = report_mail_parse((unsigned char *)buf, len, &m, why,
	    sizeof(why));
	CHECK(rc == REPORT_MAIL_OK && m.len == 2 && memcmp(m.report, "{}",
	    2) == 0, "mail: the report after 100,000 text parts");
	report_mail_free(&m);
	free(buf);
}

/*
 * An empty message is refused before GMime sees it, and nothing GLib or
 * GMime would print (their assertion messages) reaches stderr: import
 * says one line per message.
 */
static void
test_mail_quiet(void)
{
	struct report_mail m;
	enum report_mail_result rc;
	GMimeStream *stream;
	FILE	*err;
	char	 why[256], got[512];
	size_t	 n;
	int	 saved;

	if ((err = tmpfile()) == NULL || (saved = dup(STDERR_FILENO)) == -1) {
		CHECK(0, "mail: quiet: a temporary file for stderr");
		return;
	}
	fflush(stderr);
	dup2(fileno(err), STDERR_FILENO);
	rc = report_mail_parse((const unsigned char *)"Subject: x\n\nx\n",
	    14, &m, why, sizeof(why));
	CHECK(rc == REPORT_MAIL_INVALID, "mail: quiet: GMime set up");
	rc = report_mail_parse(NULL, 0, &m, why, sizeof(why));
	/* GMime's own assertion, and GLib's two ways of logging */
	if ((stream = g_mime_stream_mem_new_with_buffer(NULL, 0)) != NULL)
		g_object_unref(stream);
	g_log("GMime", G_LOG_LEVEL_CRITICAL, "a critical");
	g_log(NULL, G_LOG_LEVEL_WARNING, "a warning");
	g_log_structured("GMime", G_LOG_LEVEL_CRITICAL, "MESSAGE",
	    "a structured critical");
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(err);
	n = fread(got, 1, sizeof(got) - 1, err);
	got[n] = '\0';
	fclose(err);
	CHECK(rc == REPORT_MAIL_INVALID && strcmp(why, "an empty message") ==
	    0, "mail: no message at all (NULL, 0): \"%s\"", why);
	CHECK(n == 0, "mail: GLib and GMime print nothing on stderr");
	if (n != 0)
		unit_show("got ", got, n);
	report_mail_free(&m);
}

static void
test_mail_max(void)
{
	CHECK(report_mail_max(1024 * 1024) == 5 * 1024 * 1024,
	    "mail: the message limit for the default body_max is 5 MiB");
	CHECK(report_mail_max(0) == 1024 * 1024, "mail: body_max 0: 1 MiB");
	CHECK(report_mail_max(SIZE_MAX / 4) == SIZE_MAX,
	    "mail: the limit saturates instead of wrapping");
}

static const struct aligned_case {
	const char	*d, *submitter;
	int		 want;
} aligned_cases[] = {
	{ "google.com", "google.com", 1 },
	{ "Google.COM", "google.com", 1 },
	{ "example.com", "mail.example.com", 1 },
	{ "example.com", "a.b.example.com", 1 },
	{ "mail.example.com", "example.com", 0 },	/* a child */
	{ "xample.com", "example.com", 0 },		/* not on a dot */
	{ "com", "example.com", 0 },			/* a bare TLD */
	{ "example.com.", "example.com", 0 },
	{ ".example.com", "a.example.com", 0 },
	{ "", "example.com", 0 },
	{ "attacker.test", "example.com", 0 },
	{ "example.com.attacker.test", "example.com", 0 },
};

static void
test_aligned(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(aligned_cases) / sizeof(aligned_cases[0]);
	    i++)
		CHECK(report_dkim_aligned(aligned_cases[i].d,
		    aligned_cases[i].submitter) == aligned_cases[i].want,
		    "aligned: d=%s for submitter %s: %d",
		    aligned_cases[i].d, aligned_cases[i].submitter,
		    aligned_cases[i].want);
}

/* A DKIM-Signature of d that libopendkim parses (the hashes are made up). */
#define SIG(d, extra) \
	"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/simple; d=" d ";\n" \
	"\ts=sel; t=1700000000; " extra "h=from:to:subject;\n" \
	"\tbh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\n" \
	"\tb=QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9w\n" \
	"\t cXJzdHV2d3h5ejAxMjM0NTY3ODk=\n"
#define BODY	"From: a@sender.test\nTo: b@rcv.test\nSubject: r\n" SUB "\nbody\n"
#define AR(v)	"Authentication-Results: " v "\n"
#define PASS	"mx.rcv.test; dkim=pass (2048-bit key) header.d=sender.test " \
		"header.i=@sender.test header.b=QUJDREVG"

static const struct trust_case {
	const char	*name, *msg;
	enum report_dkim_result want;
	const char	*why;
} trust_cases[] = {
	{ "OpenDKIM's field at the top",
	  AR(PASS) "Received: from x\n" SIG("sender.test", "") BODY,
	  REPORT_DKIM_PASS, "" },
	{ "below Return-Path and Delivered-To (pipe flags R, D)",
	  "Return-Path: <a@sender.test>\nDelivered-To: b@rcv.test\n"
	  "Received: by mx.rcv.test\n" AR(PASS) SIG("sender.test", "") BODY,
	  REPORT_DKIM_PASS, "" },
	{ "rspamd's form, folded, a comment with ';' and a version",
	  "Authentication-Results: mx.rcv.test 1;\n\tdkim=pass (good;\n"
	  "\t (nested) signature) header.d=sender.test header.s=sel\n"
	  "\theader.b=\"QUJDREVG\";\n\tspf=pass smtp.mailfrom=sender.test\n"
	  SIG("sender.test", "") BODY,
	  REPORT_DKIM_PASS, "" },
	{ "authserv-id and method without case; the second resinfo passes",
	  AR("MX.RCV.TEST; dkim=fail header.d=sender.test; DKIM=PASS "
	  "header.d=sender.test") SIG("sender.test", "") BODY,
	  REPORT_DKIM_PASS, "" },
	{ "OpenDMARC's field on top of OpenDKIM's, same authserv-id",
	  AR("mx.rcv.test; dmarc=pass header.from=sender.test") AR(PASS)
	  SIG("sender.test", "") BODY,
	  REPORT_DKIM_PASS, "" },
	{ "a parent domain signs for the submitter's child domain",
	  AR("mx.rcv.test; dkim=pass header.d=test.example")
	  SIG("test.example", "")
	  "From: a@x\nTLS-Report-Submitter: mx.test.example\n\nb\n",
	  REPORT_DKIM_PASS, "" },
	{ "no field of ours",
	  AR("other.test; dkim=pass header.d=sender.test")
	  SIG("sender.test", "") BODY,
	  REPORT_DKIM_FAIL,
	  "no Authentication-Results header field of mx.rcv.test" },
	{ "ours says fail",
	  AR("mx.rcv.test; dkim=fail (bad signature) header.d=sender.test")
	  SIG("sender.test", "") BODY,
	  REPORT_DKIM_FAIL,
	  "the Authentication-Results of mx.rcv.test has no dkim=pass" },
	{ "a forged field of ours below the local run",
	  AR("mx.rcv.test; dkim=none") "Received: from evil\n" AR(PASS)
	  SIG("sender.test", "") BODY,
	  REPORT_DKIM_FAIL,
	  "the Authentication-Results of mx.rcv.test has no dkim=pass" },
	{ "a pass for another domain",
	  AR("mx.rcv.test; dkim=pass header.d=attacker.test")
	  SIG("attacker.test", "") BODY,
	  REPORT_DKIM_FAIL,
	  "mx.rcv.test says dkim=pass for d=attacker.test, not for the "
	  "reporting domain" },
	{ "a pass of a signature with l=",
	  AR(PASS) SIG("sender.test", "l=5; ") BODY,
	  REPORT_DKIM_FAIL,
	  "mx.rcv.test says dkim=pass for d=sender.test, but the message has "
	  "no such DKIM-Signature without l=" },
	{ "a pass whose header.b names no signature here",
	  AR("mx.rcv.test; dkim=pass header.d=sender.test header.b=ZZZZZZZZ")
	  SIG("sender.test", "") BODY,
	  REPORT_DKIM_FAIL,
	  "mx.rcv.test says dkim=pass for d=sender.test, but the message has "
	  "no such DKIM-Signature without l=" },
	{ "a pass with no signature in the message at all",
	  AR(PASS) BODY,
	  REPORT_DKIM_FAIL,
	  "mx.rcv.test says dkim=pass for d=sender.test, but the message has "
	  "no such DKIM-Signature without l=" },
	{ "a pass with header.i only (no header.d)",
	  AR("mx.rcv.test; dkim=pass header.i=@sender.test")
	  SIG("sender.test", "") BODY,
	  REPORT_DKIM_FAIL,
	  "mx.rcv.test says dkim=pass for d=, not for the reporting domain" },
	{ "authserv-id as a prefix is not ours",
	  AR("mx.rcv.test.evil; dkim=pass header.d=sender.test")
	  SIG("sender.test", "") BODY,
	  REPORT_DKIM_FAIL,
	  "no Authentication-Results header field of mx.rcv.test" },
	{ "an unclosed comment swallows the rest",
	  AR("mx.rcv.test; (dkim=pass header.d=sender.test")
	  SIG("sender.test", "") BODY,
	  REPORT_DKIM_FAIL,
	  "the Authentication-Results of mx.rcv.test has no dkim=pass" },
	{ "a field in the body is not a header",
	  "From: a@x\n" SUB "\n" AR(PASS) SIG("sender.test", ""),
	  REPORT_DKIM_FAIL,
	  "no Authentication-Results header field of mx.rcv.test" },
	{ "a signature with d= twice is no signature",
	  AR(PASS) SIG("sender.test", "d=sender.test; ") BODY,
	  REPORT_DKIM_FAIL,
	  "mx.rcv.test says dkim=pass for d=sender.test, but the message has "
	  "no such DKIM-Signature without l=" },
	/* The forms of authserv-id RFC 8601 §2.2 allows, all ours. */
	{ "authserv-id quoted",
	  AR("\"mx.rcv.test\"; dkim=pass header.d=sender.test")
	  SIG("sender.test", "") BODY,
	  REPORT_DKIM_PASS, "" },
	{ "authserv-id quoted with a quoted-pair",
	  AR("\"mx.rcv\\.test\"; dkim=pass header.d=sender.test")
	  SIG("sender.test", "") BODY,
	  REPORT_DKIM_PASS, "" },
	{ "authserv-id after a comment, before a version and a comment",
	  AR("(by the milter) mx.rcv.test (v) 1 (one); dkim=pass "
	  "header.d=sender.test") SIG("sender.test", "") BODY,
	  REPORT_DKIM_PASS, "" },
	{ "method version 1: dkim/1",
	  AR("mx.rcv.test; dkim/1=pass header.d=sender.test")
	  SIG("sender.test", "") BODY,
	  REPORT_DKIM_PASS, "" },
	/* Only the topmost field of ours with a dkim result decides. */
	{ "a forged pass right below ours saying fail",
	  AR("mx.rcv.test; dkim=fail (bad signature) header.d=sender.test")
	  AR(PASS) SIG("sender.test", "") BODY,
	  REPORT_DKIM_FAIL,
	  "the Authentication-Results of mx.rcv.test has no dkim=pass" },
	{ "a forged pass below ours saying none, under OpenDMARC's",
	  AR("mx.rcv.test; dmarc=fail header.from=sender.test")
	  AR("mx.rcv.test; dkim=none") AR(PASS) SIG("sender.test", "") BODY,
	  REPORT_DKIM_FAIL,
	  "the Authentication-Results of mx.rcv.test has no dkim=pass" },
	{ "a forged pass below ours saying none (no-result)",
	  AR("mx.rcv.test; none") AR(PASS) SIG("sender.test", "") BODY,
	  REPORT_DKIM_FAIL,
	  "the Authentication-Results of mx.rcv.test has no dkim=pass" },
	{ "a forged pass below ours saying pass for another domain",
	  AR("mx.rcv.test; dkim=pass header.d=attacker.test")
	  AR(PASS) SIG("sender.test", "") SIG("attacker.test", "") BODY,
	  REPORT_DKIM_FAIL,
	  "mx.rcv.test says dkim=pass for d=attacker.test, not for the "
	  "reporting domain" },
	/* What RFC 8601 §2.2 does not allow is not read as a pass. */
	{ "header.d twice in one result",
	  AR("mx.rcv.test; dkim=pass header.d=attacker.test "
	  "header.d=sender.test") SIG("sender.test", "") BODY,
	  REPORT_DKIM_FAIL,
	  "mx.rcv.test says dkim=pass with a property twice" },
	{ "header.b twice in one result",
	  AR("mx.rcv.test; dkim=pass header.d=sender.test header.b=ZZZZ "
	  "header.b=QUJDREVG") SIG("sender.test", "") BODY,
	  REPORT_DKIM_FAIL,
	  "mx.rcv.test says dkim=pass with a property twice" },
	{ "a version that is not a number",
	  AR("mx.rcv.test x; dkim=pass header.d=sender.test")
	  SIG("sender.test", "") BODY,
	  REPORT_DKIM_FAIL,
	  "the Authentication-Results of mx.rcv.test is not of version 1" },
	{ "version 2",
	  AR("mx.rcv.test 2; dkim=pass header.d=sender.test")
	  SIG("sender.test", "") BODY,
	  REPORT_DKIM_FAIL,
	  "the Authentication-Results of mx.rcv.test is not of version 1" },
	{ "a result quoted (a result is a keyword)",
	  AR("mx.rcv.test; dkim=\"pass\" header.d=sender.test")
	  SIG("sender.test", "") BODY,
	  REPORT_DKIM_FAIL,
	  "the Authentication-Results of mx.rcv.test has no dkim=pass" },
	{ "a method quoted",
	  AR("mx.rcv.test; \"dkim\"=pass header.d=sender.test")
	  SIG("sender.test", "") BODY,
	  REPORT_DKIM_FAIL,
	  "the Authentication-Results of mx.rcv.test has no dkim=pass" },
	{ "method version 2: dkim/2",
	  AR("mx.rcv.test; dkim/2=pass header.d=sender.test")
	  SIG("sender.test", "") BODY,
	  REPORT_DKIM_FAIL,
	  "the Authentication-Results of mx.rcv.test has no dkim=pass" },
};

static void
test_trust(void)
{
	const struct trust_case *c;
	enum report_dkim_result rc;
	char	 why[256];
	size_t	 i;

	for (i = 0; i < sizeof(trust_cases) / sizeof(trust_cases[0]); i++) {
		c = &trust_cases[i];
		rc = report_dkim_trust((const unsigned char *)c->msg,
		    strlen(c->msg), "mx.rcv.test", "sender.test", why,
		    sizeof(why));
		if (strstr(c->name, "parent domain") != NULL)
			rc = report_dkim_trust((const unsigned char *)c->msg,
			    strlen(c->msg), "mx.rcv.test", "mx.test.example",
			    why, sizeof(why));
		CHECK(rc == c->want, "trust: %s: result %d (want %d)",
		    c->name, rc, c->want);
		CHECK(strcmp(why, c->why) == 0, "trust: %s: why", c->name);
		if (strcmp(why, c->why) != 0) {
			unit_show("want", c->why, strlen(c->why));
			unit_show("got ", why, strlen(why));
		}
	}
}

/* Verification settled before any DNS query: no key is ever fetched. */
static const struct verify_case {
	const char	*name, *msg, *why;
} verify_cases[] = {
	{ "unsigned", BODY, "no DKIM signature" },
	{ "signed by another domain", SIG("attacker.test", "") BODY,
	  "signed by d=attacker.test, not by the reporting domain "
	  "sender.test" },
	{ "signed by a child of the submitter",
	  SIG("mail.sender.test", "") BODY,
	  "signed by d=mail.sender.test, not by the reporting domain "
	  "sender.test" },
	{ "a signature with l=", SIG("sender.test", "l=5; ") BODY,
	  "the signature of d=sender.test has l= (RFC 8460 §5.3 forbids "
	  "it)" },
	{ "l= even when another domain's signature comes first",
	  SIG("other.test", "") SIG("sender.test", "l=5; ") BODY,
	  "signed by d=other.test, not by the reporting domain "
	  "sender.test" },
};

static void
test_verify_offline(void)
{
	const struct verify_case *c;
	enum report_dkim_result rc;
	char	 why[256];
	size_t	 i;

	for (i = 0; i < sizeof(verify_cases) / sizeof(verify_cases[0]);
	    i++) {
		c = &verify_cases[i];
		rc = report_dkim_verify((const unsigned char *)c->msg,
		    strlen(c->msg), "sender.test", 1, why, sizeof(why));
		CHECK(rc == REPORT_DKIM_FAIL, "verify: %s: result %d",
		    c->name, rc);
		CHECK(strcmp(why, c->why) == 0, "verify: %s: why", c->name);
		if (strcmp(why, c->why) != 0) {
			unit_show("want", c->why, strlen(c->why));
			unit_show("got ", why, strlen(why));
		}
	}
}

int
main(void)
{
	test_mail_cases();
	test_mail_hostile();
	test_mail_quiet();
	test_mail_max();
	test_aligned();
	test_trust();
	test_verify_offline();
	return unit_done();
}
