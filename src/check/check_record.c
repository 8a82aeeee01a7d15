/* SPDX-License-Identifier: ISC */
/*
 * The two TXT records senders read, parsed by their ABNF:
 * RFC 8461 §3.1 (_mta-sts) and RFC 8460 §3 (_smtp._tls).  Pure.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "check/check.h"

#define STS_VERSION	"v=STSv1"
#define TLSRPT_VERSION	"v=TLSRPTv1"

static int
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

int
check_record_is_sts(const char *txt)
{
	return strncmp(txt, STS_VERSION, sizeof(STS_VERSION) - 1) == 0;
}

int
check_record_is_tlsrpt(const char *txt)
{
	return strncmp(txt, TLSRPT_VERSION, sizeof(TLSRPT_VERSION) - 1) == 0;
}

/*
 * Moves *p past a field separator (*WSP ";" *WSP); returns 1 if one was
 * there, 0 at the end of the record, -1 if something else follows, -2
 * if blanks end the record: the ABNF allows them only around a ";".
 */
static int
separator(const char **p)
{
	const char	*s = *p;

	while (is_wsp(*s))
		s++;
	if (*s == '\0') {
		if (s != *p)
			return -2;
		*p = s;
		return 0;
	}
	if (*s != ';')
		return -1;
	s++;
	while (is_wsp(*s))
		s++;
	*p = s;
	return 1;
}

/* RFC 8461 §3.1 sts-extension (same as RFC 8460's): name=value. */
static size_t
extension(const char *p)
{
	size_t	 n = 0, v;

	if (!isalnum((unsigned char)p[0]))
		return 0;
	for (n = 1; n < 32 && (isalnum((unsigned char)p[n]) || p[n] == '_' ||
	    p[n] == '-' || p[n] == '.'); n++)
		;
	if (p[n] != '=')
		return 0;
	n++;
	for (v = 0; (unsigned char)p[n + v] >= 0x21 &&
	    (unsigned char)p[n + v] <= 0x7e && p[n + v] != ';' &&
	    p[n + v] != '='; v++)
		;
	return v == 0 ? 0 : n + v;
}

/*
 * The end of a record's fields, after separator() returned s: 0, or -1
 * with err set if the fields did not parse, there were none (empty) or
 * the one the record must have was missing (!have).
 */
static int
fields_end(const char *version, const char *rfc, const char *field, int s,
    int empty, int have, char *err, size_t errsize)
{
	if (s == -1 || empty) {
		snprintf(err, errsize, "want \"%s;\" and fields separated by "
		    "\";\" (%s)", version, rfc);
		return -1;
	}
	if (s == -2) {
		snprintf(err, errsize, "blanks after the last field, which "
		    "%s allows only around \";\"", rfc);
		return -1;
	}
	if (!have) {
		snprintf(err, errsize, "no %s field", field);
		return -1;
	}
	return 0;
}

int
check_record_sts(const char *txt, char *id, size_t idsize, char *err,
    size_t errsize)
{
	const char	*p = txt + sizeof(STS_VERSION) - 1;
	size_t		 n;
	int		 s, have_id = 0;

	if (!check_record_is_sts(txt)) {
		for (n = 0; is_wsp(txt[n]); n++)
			;
		if (n > 0 && check_record_is_sts(txt + n))
			snprintf(err, errsize, "blanks before \"v=STSv1\": "
			    "senders discard a record that does not begin "
			    "with \"v=STSv1;\" (RFC 8461 §3.1), so they see "
			    "no policy");
		else
			snprintf(err, errsize, "does not start with "
			    "\"v=STSv1\"");
		return -1;
	}
	while ((s = separator(&p)) == 1 && *p != '\0') {
		if (strncmp(p, "id=", 3) == 0) {
			for (n = 0; isalnum((unsigned char)p[3 + n]); n++)
				;
			if (n == 0 || n > POLICY_ID_LEN ||
			    (p[3 + n] != '\0' && p[3 + n] != ';' &&
			    !is_wsp(p[3 + n]))) {
				for (n = 0; p[3 + n] != '\0' &&
				    p[3 + n] != ';' && !is_wsp(p[3 + n]); n++)
					;
				snprintf(err, errsize, "id \"%.*s\" is not 1 "
				    "to 32 letters and digits (RFC 8461 "
				    "§3.1)", (int)n, p + 3);
				return -1;
			}
			if (have_id++) {
				snprintf(err, errsize, "more than one id "
				    "field");
				return -1;
			}
			if (n >= idsize)
				n = idsize - 1;
			memcpy(id, p + 3, n);
			id[n] = '\0';
			p += 3 + n;
		} else if ((n = extension(p)) > 0) {
			p += n;
		} else {
			snprintf(err, errsize, "\"%.20s\" is not a field "
			    "(RFC 8461 §3.1: id=... or name=value)", p);
			return -1;
		}
	}
	if (fields_end(STS_VERSION, "RFC 8461 §3.1", "id", s,
	    p == txt + sizeof(STS_VERSION) - 1, have_id, err, errsize) == 0)
		return 0;
	/* What is at stake: senders that split on ";" and trim read it. */
	if (s == -2 && have_id)
		snprintf(err + strlen(err), errsize - strlen(err), ": lenient "
		    "senders (postfix-mta-sts-resolver, mailauth lax) still "
		    "read its id, strict ones (mailauth 7 strict) see no "
		    "policy");
	return -1;
}

/* A TLSRPT URI: mailto:local@domain or https://host... (RFC 8460 §3). */
static int
uri_ok(const char *u, size_t len)
{
	if (len > 7 && strncmp(u, "mailto:", 7) == 0)
		return memchr(u + 7, '@', len - 7) != NULL && u[7] != '@' &&
		    u[len - 1] != '@';
	return len > 8 && strncmp(u, "https://", 8) == 0;
}

int
check_record_tlsrpt(const char *txt, char *rua, size_t ruasize, char *err,
    size_t errsize)
{
	const char	*p = txt + sizeof(TLSRPT_VERSION) - 1, *u;
	size_t		 n, used = 0;
	int		 s, have_rua = 0;

	rua[0] = '\0';
	if (!check_record_is_tlsrpt(txt)) {
		snprintf(err, errsize, "does not start with \"v=TLSRPTv1\"");
		return -1;
	}
	while ((s = separator(&p)) == 1 && *p != '\0') {
		if (strncmp(p, "rua=", 4) != 0) {
			if ((n = extension(p)) == 0) {
				snprintf(err, errsize, "\"%.20s\" is not a "
				    "field (RFC 8460 §3: rua=... or "
				    "name=value)", p);
				return -1;
			}
			p += n;
			continue;
		}
		if (have_rua++) {
			snprintf(err, errsize, "more than one rua field");
			return -1;
		}
		p += 4;
		for (;;) {
			for (u = p; *p != '\0' && *p != ',' && *p != ';' &&
			    !is_wsp(*p); p++)
				;
			if (!uri_ok(u, (size_t)(p - u))) {
				snprintf(err, errsize, "rua \"%.*s\" is not a "
				    "mailto: or https:// URI (RFC 8460 §3)",
				    (int)(p - u), u);
				return -1;
			}
			if (used + (size_t)(p - u) + 2 < ruasize) {
				if (used > 0)
					rua[used++] = ',';
				memcpy(rua + used, u, (size_t)(p - u));
				used += (size_t)(p - u);
				rua[used] = '\0';
			}
			/* RFC 8460 §3: blanks only around a "," or ";". */
			for (u = p; is_wsp(*p); p++)
				;
			if (*p != ',') {
				p = u;
				break;
			}
			p++;
			while (is_wsp(*p))
				p++;
		}
	}
	return fields_end(TLSRPT_VERSION, "RFC 8460 §3", "rua", s,
	    p == txt + sizeof(TLSRPT_VERSION) - 1, have_rua, err, errsize);
}

/* 1 if the URI u (len bytes) is one of list's. */
static int
in_list(const char *u, size_t len, const char *list)
{
	const char	*e;

	for (;;) {
		e = strchr(list, ',');
		if ((e != NULL ? (size_t)(e - list) : strlen(list)) == len &&
		    strncmp(list, u, len) == 0)
			return 1;
		if (e == NULL)
			return 0;
		list = e + 1;
	}
}

static int
subset(const char *a, const char *b)
{
	const char	*e;

	for (;;) {
		e = strchr(a, ',');
		if (!in_list(a, e != NULL ? (size_t)(e - a) : strlen(a), b))
			return 0;
		if (e == NULL)
			return 1;
		a = e + 1;
	}
}

int
check_record_same_uris(const char *a, const char *b)
{
	return subset(a, b) && subset(b, a);
}
