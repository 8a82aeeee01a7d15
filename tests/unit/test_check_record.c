/* SPDX-License-Identifier: ISC */
/*
 * check_record.c: the _mta-sts and _smtp._tls TXT records (RFC 8461
 * §3.1, RFC 8460 §3) and the comparison of rua URI lists.
 */
#include "check/check.h"
#include "unit.h"

/* A TXT record and what parsing it gives. */
struct record_row {
	const char	*txt;
	int		 want;		/* 0 or -1 */
	const char	*value_or_err;	/* the id or rua, or words of err */
};

/*
 * Parses each row's record with parse (check_record_sts or
 * check_record_tlsrpt): the status, and the value exactly or the words
 * somewhere in err.
 */
static void
record_rows(const char *kind, int (*parse)(const char *, char *, size_t,
    char *, size_t), const struct record_row *rows, size_t nrows)
{
	char	 value[256], err[256];
	size_t	 i;
	int	 got;

	for (i = 0; i < nrows; i++) {
		value[0] = err[0] = '\0';
		got = parse(rows[i].txt, value, sizeof(value), err,
		    sizeof(err));
		CHECK(got == rows[i].want && (got == 0 ?
		    strcmp(value, rows[i].value_or_err) == 0 :
		    strstr(err, rows[i].value_or_err) != NULL),
		    "%s record \"%s\": %d \"%s\"", kind, rows[i].txt, got,
		    got == 0 ? value : err);
	}
}

static void
test_sts(void)
{
	static const struct record_row rows[] = {
		{ "v=STSv1; id=20240101", 0, "20240101" },
		{ "v=STSv1;id=abc", 0, "abc" },
		{ "v=STSv1; id=abc;", 0, "abc" },
		{ "v=STSv1 ;\tid=abc ; ", 0, "abc" },
		{ "v=STSv1; id=abc; ext=1", 0, "abc" },
		{ "v=STSv1; x-y.z=q; id=Z9", 0, "Z9" },
		{ "v=STSv1; id=0123456789abcdef0123456789ABCDEF", 0,
		    "0123456789abcdef0123456789ABCDEF" },
		{ "v=STSv1; id=0123456789abcdef0123456789ABCDEF0", -1,
		    "is not 1 to 32" },
		{ "v=STSv1; id=abc+def", -1, "id \"abc+def\" is not" },
		{ "v=STSv1; id=", -1, "id \"\" is not" },
		{ "v=STSv1; id=a; id=b", -1, "more than one id" },
		{ "v=STSv1", -1, "want \"v=STSv1;\"" },
		{ "v=STSv1;", -1, "no id field" },
		{ "v=STSv1 id=abc", -1, "want \"v=STSv1;\"" },
		{ "v=STSv1; ext", -1, "is not a field" },
		{ "v=STSv1; =x", -1, "is not a field" },
		{ "v=STSv2; id=abc", -1, "does not start" },
		{ "v=STSv10; id=abc", -1, "want \"v=STSv1;\"" },
		{ "v=TLSRPTv1; rua=mailto:a@b.c", -1, "does not start" },
		/* RFC 8461 §3.1: blanks only around a ";". */
		{ "v=STSv1; id=abc  ", -1, "blanks after the last field, "
		    "which RFC 8461 §3.1 allows only around \";\": lenient "
		    "senders (postfix-mta-sts-resolver, mailauth lax) still "
		    "read its id, strict ones (mailauth 7 strict) see no "
		    "policy" },
		{ "v=STSv1; id=abc\t", -1, "blanks after the last field" },
		{ "v=STSv1; id=abc; ext=1 ", -1, "blanks after the last" },
		{ "v=STSv1; ext=1 ", -1, "allows only around \";\"" },
		{ "v=STSv1 ", -1, "want \"v=STSv1;\"" },
		{ "v=STSv1\t;\tid=abc\t;\t", 0, "abc" },
		{ "v=STSv1; id=abc ;", 0, "abc" },
		{ " v=STSv1; id=abc", -1, "blanks before \"v=STSv1\": senders "
		    "discard a record that does not begin with \"v=STSv1;\" "
		    "(RFC 8461 §3.1), so they see no policy" },
		{ "\tv=STSv1; id=abc", -1, "blanks before" },
		{ " v=spf1", -1, "does not start with" },
	};

	record_rows("sts", check_record_sts, rows,
	    sizeof(rows) / sizeof(rows[0]));
	CHECK(check_record_is_sts("v=STSv1; id=1") &&
	    !check_record_is_sts("v=spf1") &&
	    !check_record_is_sts(" v=STSv1"), "check_record_is_sts");
}

static void
test_tlsrpt(void)
{
	static const struct record_row rows[] = {
		{ "v=TLSRPTv1; rua=mailto:r@example.com", 0,
		    "mailto:r@example.com" },
		{ "v=TLSRPTv1;rua=mailto:a@x.example, https://r.example/t", 0,
		    "mailto:a@x.example,https://r.example/t" },
		{ "v=TLSRPTv1; rua=mailto:a@x.example;", 0,
		    "mailto:a@x.example" },
		{ "v=TLSRPTv1; rua=mailto:a@x.example; ext=1", 0,
		    "mailto:a@x.example" },
		{ "v=TLSRPTv1; rua=ftp://x.example", -1, "is not a mailto:" },
		{ "v=TLSRPTv1; rua=mailto:nobody", -1, "is not a mailto:" },
		{ "v=TLSRPTv1; rua=", -1, "is not a mailto:" },
		{ "v=TLSRPTv1;", -1, "no rua field" },
		{ "v=TLSRPTv1; rua=mailto:a@b.c; rua=mailto:d@e.f", -1,
		    "more than one rua" },
		{ "v=TLSRPTv1 rua=mailto:a@b.c", -1, "want \"v=TLSRPTv1;\"" },
		/* RFC 8460 §3: blanks only around a ";" or a ",". */
		{ "v=TLSRPTv1; rua=mailto:a@b.c ", -1, "blanks after the last "
		    "field, which RFC 8460 §3 allows only around \";\"" },
		{ "v=TLSRPTv1; rua=mailto:a@b.c ,\thttps://x.y/ ;", 0,
		    "mailto:a@b.c,https://x.y/" },
		{ "v=TLSRPTv1; rua=mailto:a@b.c; x=1\t", -1,
		    "blanks after the last field" },
	};

	record_rows("tlsrpt", check_record_tlsrpt, rows,
	    sizeof(rows) / sizeof(rows[0]));
	CHECK(check_record_same_uris("mailto:a@b.c,https://x.y/",
	    "https://x.y/,mailto:a@b.c"), "same URIs in another order");
	CHECK(!check_record_same_uris("mailto:a@b.c",
	    "mailto:a@b.c,mailto:d@e.f"), "one URI fewer is not the same");
	CHECK(!check_record_same_uris("mailto:a@b.c", "mailto:a@b.cc"),
	    "a URI that only starts the same is not the same");
}

int
main(void)
{
	test_sts();
	test_tlsrpt();
	return unit_done();
}
