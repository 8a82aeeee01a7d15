/* SPDX-License-Identifier: ISC */
/*
 * check_dane.c: TLSA records' data (RFC 6698 §2.1) and what they match
 * among the certificates an MX host presents (RFC 7672 §3), then the
 * verdicts a set of records gives.  The "certificates" are stand-in
 * bytes: matching is over bytes, and the digests below were computed
 * apart (Python's hashlib), not by the code under test.
 */
#include <stdlib.h>

#include "check/check.h"
#include "unit.h"

#define LEAF_DER	"leaf certificate DER"
#define LEAF_SPKI	"leaf SPKI DER"
#define CA_DER		"CA certificate DER"
#define CA_SPKI		"CA SPKI DER"
/* SHA-256 and SHA-512 of the strings above. */
#define LEAF_DER_256	"5908f84ad44474a4e344a6e376786ee8cf041ef7acc3ca9e3242f7d8c041b579"
#define LEAF_SPKI_256	"c8d55a4d033891706014d9bb32c5d352fe77aaf6b05ae796d5fa8754186b7cf0"
#define LEAF_SPKI_512	"a95ffa49f0b1def89a6b3e0be2e07b4dde76426ba781739a1f666ae369d7c199" \
			"0d92406d6f97fd39ccad0a286dcc434c31a558300ebc018b15f51c335efc62dc"
#define CA_DER_256	"4a8767fd78100b2ddefef40d70e64f4a5fe66c8e5ad637dc762be3bad2c88301"
#define CA_SPKI_256	"9baddcfe2166b91ed016d24642213c06a1c438e7a1a9b99a3524d42f6162f382"
#define CA_DER_512	"0fcfafb32ece1ab044810d3c539103820a795f2927a7cc9f4f6a037e7d85b24f" \
			"fc8ef07e93795fdb6afc672901b5b190c2ae02efc4249abcd9d87eedce15e5e1"
/* Of "next leaf SPKI DER": a key not presented. */
#define NEXT_SPKI_256	"79a68e9d97fcb3e15aca0c0e0189594da731c2a7fd41fcc8bbc3e35b34df405d"

/* "03 01 01 ab..." as bytes; the length. */
static size_t
unhex(const char *hex, unsigned char *out, size_t size)
{
	size_t	 n = 0;
	unsigned v;

	while (*hex != '\0' && n < size) {
		if (*hex == ' ') {
			hex++;
			continue;
		}
		if (sscanf(hex, "%2x", &v) != 1)
			break;
		out[n++] = (unsigned char)v;
		hex += 2;
	}
	return n;
}

static struct check_dane_cert chain[2] = {
	{ (unsigned char *)LEAF_DER, sizeof(LEAF_DER) - 1,
	  (unsigned char *)LEAF_SPKI, sizeof(LEAF_SPKI) - 1 },
	{ (unsigned char *)CA_DER, sizeof(CA_DER) - 1,
	  (unsigned char *)CA_SPKI, sizeof(CA_SPKI) - 1 },
};

static void
test_parse_match(void)
{
	static const struct {
		const char		*rdata;		/* hex */
		enum check_dane_parse	 kind;
		int			 leaf_only, with_ca;	/* matches */
		const char		*why;	/* the start of it */
	} rows[] = {
		/* DANE-EE(3): the leaf, by SPKI or whole, each digest. */
		{ "030101" LEAF_SPKI_256, CHECK_DANE_USABLE, 1, 1, "" },
		{ "030001" LEAF_DER_256, CHECK_DANE_USABLE, 1, 1, "" },
		{ "030102" LEAF_SPKI_512, CHECK_DANE_USABLE, 1, 1, "" },
		{ "030100" "6c656166205350 4b49 20444558", CHECK_DANE_USABLE, 0, 0,
		  "" },
		{ "030100" "6c656166205350 4b49 20444552", CHECK_DANE_USABLE,
		  1, 1, "" },
		{ "030101" NEXT_SPKI_256, CHECK_DANE_USABLE, 0, 0, "" },
		/* A CA's key under usage 3 is not the leaf's. */
		{ "030101" CA_SPKI_256, CHECK_DANE_USABLE, 0, 0, "" },
		/* DANE-TA(2): a CA of the chain, never the leaf. */
		{ "020101" CA_SPKI_256, CHECK_DANE_USABLE, 0, 1, "" },
		{ "020001" CA_DER_256, CHECK_DANE_USABLE, 0, 1, "" },
		{ "020002" CA_DER_512, CHECK_DANE_USABLE, 0, 1, "" },
		{ "020101" LEAF_SPKI_256, CHECK_DANE_USABLE, 0, 0, "" },
		/* RFC 7672 §3.1.3: PKIX usages are not for SMTP. */
		{ "010101" LEAF_SPKI_256, CHECK_DANE_UNUSABLE, 0, 0,
		  "usage 1 (PKIX-EE) is not for SMTP" },
		{ "000101" CA_SPKI_256, CHECK_DANE_UNUSABLE, 0, 0,
		  "usage 0 (PKIX-TA) is not for SMTP" },
		{ "040101" LEAF_SPKI_256, CHECK_DANE_UNUSABLE, 0, 0,
		  "usage 4 is none of" },
		{ "030201" LEAF_SPKI_256, CHECK_DANE_UNUSABLE, 0, 0,
		  "selector 2 is neither" },
		{ "030103" LEAF_SPKI_256, CHECK_DANE_UNUSABLE, 0, 0,
		  "matching type 3 is none of" },
		/* Malformed: too short, or a digest of the wrong length. */
		{ "", CHECK_DANE_MALFORMED, 0, 0, "0 bytes of data" },
		{ "03", CHECK_DANE_MALFORMED, 0, 0, "1 byte of data" },
		{ "030101", CHECK_DANE_MALFORMED, 0, 0, "3 bytes of data" },
		{ "030101c8d55a4d", CHECK_DANE_MALFORMED, 0, 0,
		  "matching type 1 (SHA-256) with 4 bytes of data, not 32" },
		{ "030102" LEAF_SPKI_256, CHECK_DANE_MALFORMED, 0, 0,
		  "matching type 2 (SHA-512) with 32 bytes of data, not 64" },
		{ "010101" LEAF_SPKI_256 "00", CHECK_DANE_MALFORMED, 0, 0,
		  "matching type 1 (SHA-256) with 33 bytes" },
	};
	struct check_dane_tlsa	 t;
	unsigned char		 rd[512];
	char			 why[256];
	size_t			 i, n;
	enum check_dane_parse	 kind;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		n = unhex(rows[i].rdata, rd, sizeof(rd));
		kind = check_dane_parse(rd, n, &t, why, sizeof(why));
		CHECK(kind == rows[i].kind, "row %zu: %s parses as kind %d "
		    "(got %d: %s)", i, rows[i].rdata, rows[i].kind, kind, why);
		CHECK(strncmp(why, rows[i].why, strlen(rows[i].why)) == 0 &&
		    (rows[i].why[0] != '\0') == (why[0] != '\0'),
		    "row %zu: says \"%s...\" (got \"%s\")", i, rows[i].why, why);
		CHECK(check_dane_match(&t, chain, 1) == rows[i].leaf_only,
		    "row %zu: %s %s the leaf alone", i, rows[i].rdata,
		    rows[i].leaf_only ? "matches" : "does not match");
		CHECK(check_dane_match(&t, chain, 2) == rows[i].with_ca,
		    "row %zu: %s %s the leaf and its CA", i, rows[i].rdata,
		    rows[i].with_ca ? "matches" : "does not match");
	}
}

static void
test_record(void)
{
	char	 buf[256];
	int	 n;

	n = check_dane_record(buf, sizeof(buf), "_25._tcp.mx.example",
	    &chain[0]);
	CHECK(n > 0 && strcmp(buf, "_25._tcp.mx.example. IN TLSA 3 1 1 "
	    LEAF_SPKI_256) == 0, "the record for the leaf: %s", buf);
	CHECK(check_dane_record(buf, 40, "_25._tcp.mx.example",
	    &chain[0]) == -1, "a record too long for the buffer: -1");
}

/* A set of records (hex, one per string) against what two addresses present. */
static void
verdict(const char *name, const char *const *hex, size_t n,
    size_t ncerts1, size_t ncerts2, const char *want)
{
	struct check_dns_rdata	 rd[8];
	struct check_dane_set	 s;
	struct check_result	 r;
	unsigned char		 buf[8][256];
	size_t			 i;

	memset(&r, 0, sizeof(r));
	r.domain = "d.test";
	for (i = 0; i < n; i++) {
		rd[i].data = buf[i];
		rd[i].len = unhex(hex[i], buf[i], sizeof(buf[i]));
	}
	if (check_dane_load(&s, "mx.d.test", 25, rd, n, &r) > 0) {
		check_dane_address(&s, "MX host mx.d.test at 192.0.2.1 port 25",
		    chain, ncerts1, &r);
		check_dane_address(&s, "MX host mx.d.test at 192.0.2.2 port 25",
		    chain, ncerts2, &r);
		check_dane_done(&s, &r);
	}
	free(s.tlsa);
	CHECK_BYTES(r.text != NULL ? r.text : "", r.len, want, strlen(want),
	    "%s", name);
	check_result_free(&r);
}

#define REC	"_25._tcp.mx.d.test. IN TLSA 3 1 1 " LEAF_SPKI_256

static void
test_verdicts(void)
{
	static const char *const match[] = { "030101" LEAF_SPKI_256 };
	static const char *const ta[] = { "020101" CA_SPKI_256 };
	static const char *const stale[] = { "030101" NEXT_SPKI_256 };
	static const char *const half[] = { "030101" NEXT_SPKI_256,
	    "030101" LEAF_SPKI_256 };
	static const char *const pkix[] = { "010101" LEAF_SPKI_256 };
	static const char *const mixed[] = { "030101" LEAF_SPKI_256,
	    "0301" };

	verdict("3 1 1 of the leaf: no line", match, 1, 1, 2, "");
	verdict("2 1 1 of the CA presented at both addresses: no line", ta,
	    1, 2, 2, "");
	verdict("2 1 1 of a CA one address does not present: critical", ta,
	    1, 2, 1, "d.test: mx-dane: critical: MX host mx.d.test at "
	    "192.0.2.2 port 25: the certificate chain presented matches none "
	    "of the 1 usable TLSA record at _25._tcp.mx.d.test, so DANE "
	    "senders (Postfix, Exim) will not deliver there (RFC 7672 §3); "
	    "publish: " REC "\n");
	verdict("a record for another key only: critical at each address, "
	    "no rollover warning", stale, 1, 1, 1,
	    "d.test: mx-dane: critical: MX host mx.d.test at 192.0.2.1 port "
	    "25: the certificate chain presented matches none of the 1 usable "
	    "TLSA record at _25._tcp.mx.d.test, so DANE senders (Postfix, "
	    "Exim) will not deliver there (RFC 7672 §3); publish: " REC "\n"
	    "d.test: mx-dane: critical: MX host mx.d.test at 192.0.2.2 port "
	    "25: the certificate chain presented matches none of the 1 usable "
	    "TLSA record at _25._tcp.mx.d.test, so DANE senders (Postfix, "
	    "Exim) will not deliver there (RFC 7672 §3); publish: " REC "\n");
	verdict("the current key's record and another: the rollover warning",
	    half, 2, 1, 1, "d.test: mx-dane: warning: TLSA record "
	    "_25._tcp.mx.d.test 3 1 1 " NEXT_SPKI_256 " matches no "
	    "certificate mx.d.test presents, while another record does: a "
	    "key rollover half done (a retired key's record left behind, or "
	    "the next key's published before it is in use); DANE senders "
	    "deliver, but remove it once it names no key in use or to come "
	    "(RFC 7672 §4)\n");
	verdict("no certificate presented (no TLS): nothing to compare", half,
	    2, 0, 0, "");
	verdict("only a PKIX-EE record: unusable, said twice", pkix, 1, 1, 1,
	    "d.test: mx-dane: warning: TLSA record _25._tcp.mx.d.test 1 1 1 "
	    LEAF_SPKI_256 ": usage 1 (PKIX-EE) is not for SMTP: DANE senders "
	    "treat it as unusable (RFC 7672 §3.1.3); publish usage 3 "
	    "(DANE-EE) or 2 (DANE-TA)\n"
	    "d.test: mx-dane: warning: none of the 1 TLSA record at "
	    "_25._tcp.mx.d.test is usable, so DANE senders insist on TLS "
	    "with mx.d.test but authenticate no certificate (RFC 7672 "
	    "§2.2)\n");
	verdict("a malformed record beside a matching one: said, no crash",
	    mixed, 2, 1, 1, "d.test: mx-dane: warning: TLSA record "
	    "_25._tcp.mx.d.test 3 1: 2 bytes of data, too short for a usage, "
	    "a selector, a matching type and data to match (RFC 6698 §2.1), "
	    "so senders cannot use it\n");
}

int
main(void)
{
	test_parse_match();
	test_record();
	test_verdicts();
	return unit_done();
}
