/* SPDX-License-Identifier: ISC */
/*
 * report_dkim: is a report message signed by its reporting domain?
 *
 * RFC 8460 §5.3: reports sent by mail MUST carry a valid DKIM signature
 * of the reporting domain, reports without one MUST be ignored, and the
 * signature MUST NOT use l=.  Which domain reports is what the message
 * says in TLS-Report-Submitter (§5.3: "the domain name of the Sending
 * MTA's organization generating the report", the "submitter" of the
 * subject): a signature counts when its d= is that domain or a parent
 * of it (a report submitted as "mail.example.com" signed by example.com
 * is the same organisation; d= may never be a bare top-level label).
 * The body's organization-name is free text and not compared.
 *
 * Two ways, as operators run mail: verify the signatures here with
 * libopendkim (OpenDKIM's library, in Debian) against DNS, or trust the
 * Authentication-Results header field (RFC 8601) of the verifier the
 * local MTA already runs (OpenDKIM, rspamd), named by its authserv-id.
 *
 * Verifying ourselves, three things are done around libopendkim.  The
 * signatures are screened before any key is fetched: one not aligned
 * with the submitter or with l= is never looked up, and at most
 * DKIM_SIGNATURES_MAX are, so a message with thousands of signatures
 * costs no more DNS than one with four.  Keys are fetched by our own
 * lookup (libresolv, the system resolver, each query within the
 * timeout), so that a key record whose service types (s=) list
 * "tlsrpt", as §5.3 says it SHOULD, is accepted: libopendkim alone takes
 * only "email" and "*" and would reject exactly the keys the RFC asks
 * for.  And a key that could not be fetched for a reason that may pass
 * (a timeout, SERVFAIL) makes the answer "try again later", so a DNS
 * outage here defers mail instead of dropping reports.
 *
 * Trusting a header, only the local verifier's counts, and it is the
 * one prepended last: the topmost Authentication-Results field with the
 * configured authserv-id that holds a dkim result (or says "none")
 * decides alone.  Fields of that authserv-id above it with no dkim
 * result (OpenDMARC's, added after the verifier's) are passed over;
 * nothing below it is read, since a sender can write any field it likes
 * there, even right below the verifier's dkim=fail.  OpenDKIM and rspamd
 * write the results of all signatures into their one field.  The local
 * verifier must still remove incoming fields with its authserv-id in
 * every form (RFC 8601 §5), or a forged one stands on top when it writes
 * none.  What RFC 8601 §2.2 does not allow is not read as a pass: a
 * version other than 1, a quoted method or result, a method version
 * other than 1, header.d or header.b twice in one result.  A header
 * cannot say whether the signature used l=, so the message's own
 * DKIM-Signature of that d= (and header.b) is read for it.
 */
#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/nameser.h>
#include <resolv.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <opendkim/dkim.h>

#include "report/report.h"

/* The aligned signatures whose keys are fetched, at most. */
#define DKIM_SIGNATURES_MAX	4
/* A key record as DNS can carry it (one TXT answer). */
#define DKIM_KEY_MAX		4096
/* The longest word of an Authentication-Results field we compare. */
#define DKIM_WORD_MAX		256

int
report_dkim_aligned(const char *d, const char *submitter)
{
	size_t	 dl = strlen(d), sl = strlen(submitter);

	if (dl == 0 || strchr(d, '.') == NULL || d[0] == '.' ||
	    d[dl - 1] == '.')
		return 0;
	if (dl == sl)
		return strcasecmp(d, submitter) == 0;
	return dl < sl && submitter[sl - dl - 1] == '.' &&
	    strcasecmp(submitter + sl - dl, d) == 0;
}

static void
dkim_why(char *why, size_t size, const char *fmt, const char *a,
    const char *b)
{
	char	 ea[LOG_ESCAPE_SIZE(80)], eb[LOG_ESCAPE_SIZE(80)];

	log_escape(ea, sizeof(ea), a != NULL ? a : "", a != NULL ?
	    strnlen(a, 80) : 0);
	log_escape(eb, sizeof(eb), b != NULL ? b : "", b != NULL ?
	    strnlen(b, 80) : 0);
	snprintf(why, size, fmt, ea, eb);
}

/*
 * Verifying with libopendkim.
 */
struct dkim_ctx {
	const char	*submitter;
	unsigned	 timeout;
	int		 tempfail;	/* a key lookup may pass later */
	char		 why[256];	/* the first reason a signature was set aside */
};

/*
 * Before any key is fetched: sets aside the signatures that could not
 * count (not aligned, l=), and all but the first DKIM_SIGNATURES_MAX
 * that could.
 */
static DKIM_CBSTAT
dkim_prescreen(DKIM *dkim, DKIM_SIGINFO **sigs, int nsigs)
{
	struct dkim_ctx	*ctx = dkim_get_user_context(dkim);
	const char	*d;
	int		 i, kept = 0;

	for (i = 0; i < nsigs; i++) {
		d = (const char *)dkim_sig_getdomain(sigs[i]);
		if (d == NULL || !report_dkim_aligned(d, ctx->submitter)) {
			if (ctx->why[0] == '\0')
				dkim_why(ctx->why, sizeof(ctx->why),
				    "signed by d=%s, not by the reporting "
				    "domain %s", d, ctx->submitter);
			dkim_sig_ignore(sigs[i]);
		} else if (dkim_sig_gettagvalue(sigs[i], 0,
		    (u_char *)"l") != NULL) {
			/* RFC 8460 §5.3: MUST NOT use l= */
			if (ctx->why[0] == '\0')
				dkim_why(ctx->why, sizeof(ctx->why),
				    "the signature of d=%s has l= (RFC 8460 "
				    "§5.3 forbids it)%s", d, NULL);
			dkim_sig_ignore(sigs[i]);
		} else if (kept++ >= DKIM_SIGNATURES_MAX)
			dkim_sig_ignore(sigs[i]);
	}
	return DKIM_CBSTAT_CONTINUE;
}

/*
 * The key record's service types (RFC 6376 §3.6.1 s=) rewritten for
 * libopendkim: a list naming "tlsrpt" (RFC 8460 §5.3) is dropped, which
 * means "*"; other tags are copied as they are.  key is NUL-terminated
 * in a buffer of size bytes.
 */
static void
dkim_key_services(char *key, size_t size)
{
	char	 out[DKIM_KEY_MAX];
	char	*tag, *next, *eq, *p;
	size_t	 o = 0, n;
	int	 tlsrpt;

	(void)size;
	for (tag = key; tag != NULL && *tag != '\0'; tag = next) {
		next = strchr(tag, ';');
		if (next != NULL)
			*next++ = '\0';
		p = tag + strspn(tag, " \t\r\n");
		eq = strchr(p, '=');
		tlsrpt = 0;
		if (eq != NULL && strcspn(p, " \t\r\n=") == 1 && p[0] == 's') {
			for (p = eq + 1; *p != '\0'; p += n) {
				p += strspn(p, " \t\r\n:");
				n = strcspn(p, " \t\r\n:");
				if (n == 6 && strncasecmp(p, "tlsrpt", 6) == 0)
					tlsrpt = 1;
			}
		}
		if (tlsrpt)
			continue;
		n = strlen(tag);
		if (o + n + 2 > sizeof(out))
			break;
		if (o > 0)
			out[o++] = ';';
		memcpy(out + o, tag, n);
		o += n;
	}
	out[o] = '\0';
	memcpy(key, out, o + 1);
}

/*
 * The TXT record at selector._domainkey.d (RFC 6376 §3.6.2), fetched
 * with the system resolver within the timeout, its strings joined.
 */
static DKIM_CBSTAT
dkim_key_lookup(DKIM *dkim, DKIM_SIGINFO *sig, u_char *buf, size_t buflen)
{
	struct dkim_ctx	*ctx = dkim_get_user_context(dkim);
	struct __res_state res;
	unsigned char	 answer[NS_MAXMSG > 65536 ? 65536 : NS_MAXMSG];
	char		 name[NS_MAXDNAME];
	const char	*d = (const char *)dkim_sig_getdomain(sig);
	const char	*s = (const char *)dkim_sig_getselector(sig);
	const unsigned char *rd;
	ns_msg		 msg;
	ns_rr		 rr;
	size_t		 o = 0, n, limit;
	int		 len, i, count, rc = DKIM_CBSTAT_NOTFOUND;

	if (d == NULL || s == NULL || buflen < 2 || snprintf(name,
	    sizeof(name), "%s._domainkey.%s", s, d) >= (int)sizeof(name))
		return DKIM_CBSTAT_NOTFOUND;
	memset(&res, 0, sizeof(res));
	if (res_ninit(&res) != 0) {
		ctx->tempfail = 1;
		return DKIM_CBSTAT_NOTFOUND;
	}
	/* Bounded: each server asked at most twice, ctx->timeout each. */
	if (res.retrans <= 0 || (unsigned)res.retrans > ctx->timeout)
		res.retrans = (int)ctx->timeout;
	if (res.retry <= 0 || res.retry > 2)
		res.retry = 2;
	len = res_nquery(&res, name, ns_c_in, ns_t_txt, answer,
	    sizeof(answer));
	/*
	 * Every failure is "no key" to libopendkim (an error or "try
	 * again" from here would end its work on all the signatures); the
	 * ones that may pass later are kept in ctx.
	 */
	if (len < 0) {
		if (res.res_h_errno == TRY_AGAIN)
			ctx->tempfail = 1;
		goto out;
	}
	if (len > (int)sizeof(answer) ||
	    ns_initparse(answer, len, &msg) < 0)
		goto out;
	count = ns_msg_count(msg, ns_s_an);
	limit = buflen - 1 < DKIM_KEY_MAX - 1 ? buflen - 1 : DKIM_KEY_MAX - 1;
	for (i = 0; i < count; i++) {
		if (ns_parserr(&msg, ns_s_an, i, &rr) < 0)
			goto out;
		if (ns_rr_type(rr) != ns_t_txt || ns_rr_class(rr) != ns_c_in)
			continue;
		rd = ns_rr_rdata(rr);
		for (n = 0; n < ns_rr_rdlen(rr); n += 1 + rd[n]) {
			if (n + 1 + rd[n] > ns_rr_rdlen(rr) ||
			    o + rd[n] > limit)
				goto out;
			memcpy(buf + o, rd + n + 1, rd[n]);
			o += rd[n];
		}
		buf[o] = '\0';
		/* One record: RFC 6376 §3.6.2.2 leaves more to us. */
		if (memchr(buf, '\0', o) != NULL)
			goto out;
		dkim_key_services((char *)buf, buflen);
		rc = DKIM_CBSTAT_CONTINUE;
		goto out;
	}
out:
	res_nclose(&res);
	return rc;
}

/* What one signature that was looked at says, into why. */
static void
dkim_sig_why(DKIM_SIGINFO *sig, char *why, size_t size)
{
	const char	*d = (const char *)dkim_sig_getdomain(sig);
	int		 err = dkim_sig_geterror(sig);

	if ((dkim_sig_getflags(sig) & DKIM_SIGFLAG_PASSED) != 0 &&
	    dkim_sig_getbh(sig) != DKIM_SIGBH_MATCH)
		dkim_why(why, size, "the signature of d=%s does not match: "
		    "the body changed after signing%s", d, NULL);
	else if (err == DKIM_SIGERROR_OK || err == DKIM_SIGERROR_UNKNOWN)
		dkim_why(why, size, "the signature of d=%s does not "
		    "verify%s", d, NULL);
	else
		dkim_why(why, size, "the signature of d=%s does not verify: "
		    "%s", d, dkim_sig_geterrorstr(err));
}

/* libopendkim set up for one message: our screen, our key lookup. */
static DKIM_LIB *
dkim_lib(unsigned timeout)
{
	DKIM_LIB	*lib;
	unsigned int	 flags = DKIM_LIBFLAGS_FIXCRLF;
	unsigned int	 t = timeout;

	if ((lib = dkim_init(NULL, NULL)) == NULL)
		return NULL;
	if (dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags,
	    sizeof(flags)) != DKIM_STAT_OK ||
	    dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_TIMEOUT, &t,
	    sizeof(t)) != DKIM_STAT_OK ||
	    dkim_set_prescreen(lib, dkim_prescreen) != DKIM_STAT_OK ||
	    dkim_set_key_lookup(lib, dkim_key_lookup) != DKIM_STAT_OK) {
		dkim_close(lib);
		return NULL;
	}
	return lib;
}

enum report_dkim_result
report_dkim_verify(const unsigned char *msg, size_t len,
    const char *submitter, unsigned timeout, char *why, size_t size)
{
	struct dkim_ctx	 ctx;
	DKIM_LIB	*lib;
	DKIM		*dkim = NULL;
	DKIM_SIGINFO	**sigs = NULL;
	DKIM_STAT	 st;
	enum report_dkim_result rc = REPORT_DKIM_TEMPFAIL;
	int		 nsigs = 0, i, looked = 0;

	memset(&ctx, 0, sizeof(ctx));
	ctx.submitter = submitter;
	ctx.timeout = timeout > 0 ? timeout : 1;
	snprintf(why, size, "out of memory");
	if ((lib = dkim_lib(ctx.timeout)) == NULL)
		return REPORT_DKIM_TEMPFAIL;
	dkim = dkim_verify(lib, (const u_char *)"import", NULL, &st);
	if (dkim == NULL)
		goto out;
	dkim_set_user_context(dkim, &ctx);
	st = dkim_chunk(dkim, (u_char *)msg, len);
	if (st == DKIM_STAT_OK)
		st = dkim_chunk(dkim, NULL, 0);
	if (st == DKIM_STAT_OK)
		st = dkim_eom(dkim, NULL);
	if (st == DKIM_STAT_NORESOURCE || st == DKIM_STAT_INTERNAL ||
	    st == DKIM_STAT_CBTRYAGAIN) {
		snprintf(why, size, "%s", dkim_getresultstr(st));
		goto out;
	}
	rc = REPORT_DKIM_FAIL;
	if (dkim_getsiglist(dkim, &sigs, &nsigs) != DKIM_STAT_OK ||
	    nsigs == 0) {
		snprintf(why, size, "no DKIM signature");
		goto out;
	}
	snprintf(why, size, "%s", ctx.why);
	for (i = 0; i < nsigs; i++) {
		if ((dkim_sig_getflags(sigs[i]) & DKIM_SIGFLAG_IGNORE) != 0)
			continue;
		if (DKIM_SIG_CHECK(sigs[i])) {
			rc = REPORT_DKIM_PASS;
			why[0] = '\0';
			goto out;
		}
		if (!looked++)
			dkim_sig_why(sigs[i], why, size);
	}
	if (ctx.tempfail) {
		rc = REPORT_DKIM_TEMPFAIL;
		snprintf(why, size, "DNS did not answer the key query now");
	}
	else if (why[0] == '\0')
		snprintf(why, size, "no valid DKIM signature");
out:
	if (dkim != NULL)
		dkim_free(dkim);
	dkim_close(lib);
	return rc;
}

/*
 * Reading the message's header fields as they are (RFC 5322 §2.2).
 */
struct dkim_field {
	const char	*name, *value;
	size_t		 namelen, valuelen;
};

/*
 * The header field at *pos, continuation lines included; 0 at the end
 * of the header block (an empty line, the end, or a line that is not a
 * field), else 1 with *pos past it.
 */
static int
dkim_next_field(const unsigned char *msg, size_t len, size_t *pos,
    struct dkim_field *f)
{
	size_t	 p = *pos, start = p, colon;

	while (p < len && msg[p] != ':' && msg[p] > ' ' && msg[p] < 0x7f)
		p++;
	if (p == start || p >= len || msg[p] != ':')
		return 0;
	colon = p;
	for (;;) {
		const unsigned char *lf = memchr(msg + p, '\n', len - p);

		p = lf == NULL ? len : (size_t)(lf - msg) + 1;
		if (p >= len || (msg[p] != ' ' && msg[p] != '\t'))
			break;
	}
	f->name = (const char *)msg + start;
	f->namelen = colon - start;
	f->value = (const char *)msg + colon + 1;
	f->valuelen = p - colon - 1;
	*pos = p;
	return 1;
}

static int
dkim_field_is(const struct dkim_field *f, const char *name)
{
	return f->namelen == strlen(name) &&
	    strncasecmp(f->name, name, f->namelen) == 0;
}

/*
 * An Authentication-Results value as words (RFC 8601 §2.2): quoted
 * strings unquoted, comments and folding skipped; ';' and '=' alone.
 */
enum dkim_tok { TOK_END, TOK_WORD, TOK_SEMI, TOK_EQ };
struct dkim_lex {
	const char	*p, *end;
	char		 word[DKIM_WORD_MAX];
	size_t		 len;
	int		 truncated;
	int		 quoted;	/* the word was a quoted-string */
};

static void
dkim_lex_skip(struct dkim_lex *lx)
{
	int	 depth;

	while (lx->p < lx->end) {
		if (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\r' ||
		    *lx->p == '\n') {
			lx->p++;
			continue;
		}
		if (*lx->p != '(')
			return;
		/* RFC 5322 §3.2.2: comments nest; a backslash quotes. */
		for (depth = 0; lx->p < lx->end; lx->p++) {
			if (*lx->p == '\\' && lx->p + 1 < lx->end)
				lx->p++;
			else if (*lx->p == '(')
				depth++;
			else if (*lx->p == ')' && --depth == 0) {
				lx->p++;
				break;
			}
		}
	}
}

static void
dkim_lex_put(struct dkim_lex *lx, char c)
{
	if (lx->len + 1 < sizeof(lx->word))
		lx->word[lx->len++] = c;
	else
		lx->truncated = 1;
}

static enum dkim_tok
dkim_lex_next(struct dkim_lex *lx)
{
	lx->len = 0;
	lx->truncated = 0;
	lx->quoted = 0;
	dkim_lex_skip(lx);
	if (lx->p >= lx->end)
		return TOK_END;
	if (*lx->p == ';' || *lx->p == '=')
		return *lx->p++ == ';' ? TOK_SEMI : TOK_EQ;
	if (*lx->p == '"') {
		lx->quoted = 1;
		for (lx->p++; lx->p < lx->end && *lx->p != '"'; lx->p++) {
			if (*lx->p == '\\' && lx->p + 1 < lx->end)
				lx->p++;
			if (*lx->p != '\r' && *lx->p != '\n')
				dkim_lex_put(lx, *lx->p);
		}
		if (lx->p < lx->end)
			lx->p++;
	} else {
		while (lx->p < lx->end && strchr(" \t\r\n;=(\"", *lx->p) ==
		    NULL)
			dkim_lex_put(lx, *lx->p++);
	}
	lx->word[lx->len] = '\0';
	return TOK_WORD;
}

/* A word equal to s, case ignored (a truncated word equals nothing). */
static int
dkim_lex_is(const struct dkim_lex *lx, const char *s)
{
	return !lx->truncated && strcasecmp(lx->word, s) == 0;
}

/*
 * A keyword equal to s, case ignored: RFC 8601 §2.2 writes methods,
 * results, ptypes and properties as Keyword, never quoted.
 */
static int
dkim_lex_keyword(const struct dkim_lex *lx, const char *s)
{
	return !lx->quoted && dkim_lex_is(lx, s);
}

/* RFC 8601 §2.2: a version, 1*DIGIT, that is 1 ("01" too). */
static int
dkim_version_1(const struct dkim_lex *lx)
{
	size_t	 i;

	if (lx->quoted || lx->truncated || lx->len == 0 ||
	    strspn(lx->word, "0123456789") != lx->len)
		return 0;
	for (i = 0; i + 1 < lx->len && lx->word[i] == '0'; i++)
		continue;
	return strcmp(lx->word + i, "1") == 0;
}

/*
 * One DKIM-Signature value's tags (RFC 6376 §3.2): whether it is of
 * domain d, whose b= starts with b (if b is not empty), with no l=.
 */
static int
dkim_sig_matches(const char *v, size_t vlen, const char *d, const char *b)
{
	char		 tag[DKIM_WORD_MAX], val[DKIM_WORD_MAX];
	const char	*p = v, *end = v + vlen, *semi, *eq, *q;
	size_t		 tl, vl, blen = strlen(b);
	unsigned	 seen = 0;
	int		 dok = 0, bok = blen == 0, has_l = 0;

	while (p < end) {
		semi = memchr(p, ';', (size_t)(end - p));
		if (semi == NULL)
			semi = end;
		eq = memchr(p, '=', (size_t)(semi - p));
		tl = vl = 0;
		for (q = p; eq != NULL && q < eq; q++)
			if (!strchr(" \t\r\n", *q) && tl + 1 < sizeof(tag))
				tag[tl++] = *q;
		/* Folding and blanks are not part of a value we compare. */
		for (q = eq != NULL ? eq + 1 : semi; q < semi; q++)
			if (!strchr(" \t\r\n", *q) && vl + 1 < sizeof(val))
				val[vl++] = *q;
		tag[tl] = val[vl] = '\0';
		p = semi < end ? semi + 1 : end;
		if (eq == NULL || tl == 0)
			continue;
		if (tl == 1 && strchr("dlb", tag[0]) != NULL) {
			unsigned bit = 1u << (tag[0] - 'a');

			if (seen & bit)
				return 0;	/* §3.2: no tag twice */
			seen |= bit;
		}
		if (strcmp(tag, "d") == 0)
			dok = strcasecmp(val, d) == 0;
		else if (strcmp(tag, "l") == 0)
			has_l = 1;
		else if (strcmp(tag, "b") == 0 && blen > 0)
			bok = vl >= blen && strncmp(val, b, blen) == 0;
	}
	return dok && bok && !has_l;
}

/* Whether the message has a DKIM-Signature that dkim_sig_matches. */
static int
dkim_has_signature(const unsigned char *msg, size_t len, const char *d,
    const char *b)
{
	struct dkim_field f;
	size_t		 pos = 0;

	while (dkim_next_field(msg, len, &pos, &f))
		if (dkim_field_is(&f, "DKIM-Signature") &&
		    dkim_sig_matches(f.value, f.valuelen, d, b))
			return 1;
	return 0;
}

/* What one Authentication-Results field says (dkim_authres). */
enum dkim_ar {
	DKIM_AR_OTHER,		/* another authserv-id's */
	DKIM_AR_SILENT,		/* ours, with no dkim result (OpenDMARC's) */
	DKIM_AR_FAIL,		/* ours, with dkim results and no pass */
	DKIM_AR_PASS,		/* ours, with a dkim=pass that counts */
};

/* One resinfo (RFC 8601 §2.2) as far as a DKIM verdict reads it. */
struct dkim_resinfo {
	char		 d[DKIM_WORD_MAX], b[DKIM_WORD_MAX];
	int		 dkim;		/* the method is dkim, in any form */
	int		 pass;		/* "dkim" or "dkim/1", "pass", unquoted */
	int		 twice;		/* header.d or header.b given twice */
	int		 none;		/* no-result: "none" alone */
};

/*
 * The resinfo after a ';' into ri: methodspec, then reasonspec and
 * propspecs, each word=value; the token that ended it is returned.
 */
static enum dkim_tok
dkim_resinfo(struct dkim_lex *lx, struct dkim_resinfo *ri)
{
	char		 key[DKIM_WORD_MAX], method[DKIM_WORD_MAX];
	enum dkim_tok	 t;
	int		 first = 1, key_kw;
	size_t		 n;

	memset(ri, 0, sizeof(*ri));
	for (;; first = 0) {
		if ((t = dkim_lex_next(lx)) != TOK_WORD)
			return t;
		snprintf(key, sizeof(key), "%s", lx->truncated ? "" :
		    lx->word);
		key_kw = !lx->quoted;
		ri->none = first && dkim_lex_keyword(lx, "none");
		if ((t = dkim_lex_next(lx)) != TOK_EQ) {
			ri->none = ri->none && t == TOK_END;
			return t;
		}
		ri->none = 0;
		if ((t = dkim_lex_next(lx)) != TOK_WORD)
			return t;
		if (first) {
			/* method [ "/" method-version ] "=" result */
			snprintf(method, sizeof(method), "%s", key);
			n = strcspn(method, "/");
			ri->dkim = n == 4 && strncasecmp(method, "dkim", 4) == 0;
			ri->pass = ri->dkim && key_kw && (method[n] == '\0' ||
			    strcmp(method + n, "/1") == 0) &&
			    dkim_lex_keyword(lx, "pass");
		} else if (key_kw && (strcasecmp(key, "header.d") == 0 ||
		    strcasecmp(key, "header.b") == 0)) {
			char *v = key[7] == 'd' || key[7] == 'D' ? ri->d :
			    ri->b;

			if (v[0] != '\0')
				ri->twice = 1;
			snprintf(v, DKIM_WORD_MAX, "%s", lx->truncated ? "?" :
			    lx->word);
		}
	}
}

/*
 * One Authentication-Results value (RFC 8601 §2.2): whose it is, and if
 * it is authserv_id's and has dkim results, whether one is a dkim=pass
 * of an aligned header.d backed by such a signature in the message;
 * why says why not.
 */
static enum dkim_ar
dkim_authres(const unsigned char *msg, size_t len, const char *v,
    size_t vlen, const char *authserv_id, const char *submitter, char *why,
    size_t size)
{
	struct dkim_lex	 lx;
	struct dkim_resinfo ri;
	enum dkim_tok	 t;
	enum dkim_ar	 rc = DKIM_AR_SILENT;

	memset(&lx, 0, sizeof(lx));
	lx.p = v;
	lx.end = v + vlen;
	/* authserv-id = value: a token or a quoted-string, without case */
	if (dkim_lex_next(&lx) != TOK_WORD || !dkim_lex_is(&lx, authserv_id))
		return DKIM_AR_OTHER;
	if ((t = dkim_lex_next(&lx)) == TOK_WORD) {
		if (!dkim_version_1(&lx)) {
			dkim_why(why, size, "the Authentication-Results of %s "
			    "is not of version 1%s", authserv_id, NULL);
			return DKIM_AR_FAIL;
		}
		t = dkim_lex_next(&lx);
	}
	while (t == TOK_SEMI) {
		t = dkim_resinfo(&lx, &ri);
		if (ri.none) {
			/* no-result: nothing was authenticated here */
			rc = DKIM_AR_FAIL;
			break;
		}
		if (!ri.dkim)
			continue;
		rc = DKIM_AR_FAIL;
		if (!ri.pass)
			continue;
		if (ri.twice) {
			dkim_why(why, size, "%s says dkim=pass with a property "
			    "twice%s", authserv_id, NULL);
			continue;
		}
		if (ri.d[0] == '\0' || !report_dkim_aligned(ri.d, submitter)) {
			dkim_why(why, size, "%s says dkim=pass for d=%s, not "
			    "for the reporting domain", authserv_id, ri.d);
			continue;
		}
		if (dkim_has_signature(msg, len, ri.d, ri.b))
			return DKIM_AR_PASS;
		dkim_why(why, size, "%s says dkim=pass for d=%s, but the "
		    "message has no such DKIM-Signature without l=",
		    authserv_id, ri.d);
	}
	return rc;
}

enum report_dkim_result
report_dkim_trust(const unsigned char *msg, size_t len,
    const char *authserv_id, const char *submitter, char *why, size_t size)
{
	struct dkim_field f;
	size_t		 pos = 0;
	int		 block = 0;

	why[0] = '\0';
	while (dkim_next_field(msg, len, &pos, &f)) {
		if (!dkim_field_is(&f, "Authentication-Results")) {
			if (block)
				break;	/* the local run of fields ended */
			continue;
		}
		switch (dkim_authres(msg, len, f.value, f.valuelen,
		    authserv_id, submitter, why, size)) {
		case DKIM_AR_OTHER:
			continue;
		case DKIM_AR_SILENT:
			block = 1;
			continue;
		case DKIM_AR_PASS:
			return REPORT_DKIM_PASS;
		case DKIM_AR_FAIL:
			break;
		}
		/* The verifier's own field decides alone: none below. */
		block = 1;
		break;
	}
	if (why[0] == '\0')
		dkim_why(why, size, block ? "the Authentication-Results of %s "
		    "has no dkim=pass%s" : "no Authentication-Results header "
		    "field of %s%s", authserv_id, NULL);
	return REPORT_DKIM_FAIL;
}
