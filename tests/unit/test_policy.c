/* SPDX-License-Identifier: ISC */
/* Rendering, ids and DNS lines (RFC 8461 §3.1, §3.2; RFC 8460 §3). */
#include <sha2.h>
#include <stdlib.h>

#include "common/common.h"
#include "unit.h"
#include "../expected/etc-default.h"

static const char *const mx_two[] = { "mail.example.com", "*.example.net" };
static const char *const mx_one[] = { "mx.example.org" };

static void
hex(const uint8_t *d, char *out)
{
	static const char	 x[] = "0123456789abcdef";
	int			 i;

	for (i = 0; i < SHA256_DIGEST_LENGTH; i++) {
		out[2 * i] = x[d[i] >> 4];
		out[2 * i + 1] = x[d[i] & 15];
	}
	out[64] = '\0';
}

/*
 * SHA-256 against the FIPS 180-4 / NIST CAVP example vectors, through
 * the code path ids take: libmd's SHA256Init/Update/Final (fed in pieces,
 * as a stream), and policy_id, which must give the digest's first 32 hex
 * digits.
 */
static void
id_vectors(void)
{
	static const struct {
		const char	*input;
		size_t		 repeat;	/* input is fed this often */
		const char	*digest;
	} vectors[] = {
		{ "", 1, "e3b0c44298fc1c149afbf4c8996fb924"
		    "27ae41e4649b934ca495991b7852b855" },
		{ "abc", 1, "ba7816bf8f01cfea414140de5dae2223"
		    "b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
		    "248d6a61d20638b8e5c026930c3e6039"
		    "a33ce45964ff2167f6ecedd419db06c1" },
		{ "a", 1000000, "cdc76e5c9914fb9281a1c7e284d73e67"
		    "f1809a48a497200e046d39ccc7112cd0" },
		/* 55, 56 and 64 bytes: the padding edge cases. */
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1,
		    "9f4390f8d30c2dd92ec9f095b65e2b9a"
		    "e9b0a925a5258e241c9f1e910f734318" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1,
		    "b35439a4ac6f0948b6d6f9e3c6af0f5f"
		    "590ce20f1bde7090ef7970686ec6738a" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaaaaaa", 1,
		    "ffe054fe7ae0cb6dc65c3af9b61d5209"
		    "f439851db43d0ba5997337df154668eb" },
	};
	uint8_t		 d[SHA256_DIGEST_LENGTH];
	char		 got[65], id[POLICY_ID_LEN + 1];
	SHA2_CTX	 ctx;
	size_t		 i, r;

	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		SHA256Init(&ctx);
		for (r = 0; r < vectors[i].repeat; r++)
			SHA256Update(&ctx, (const uint8_t *)vectors[i].input,
			    strlen(vectors[i].input));
		SHA256Final(d, &ctx);
		hex(d, got);
		CHECK(strcmp(got, vectors[i].digest) == 0,
		    "sha256 vector %zu: want %s got %s", i,
		    vectors[i].digest, got);
		if (vectors[i].repeat != 1)
			continue;
		policy_id(vectors[i].input, strlen(vectors[i].input), id);
		CHECK(strncmp(id, vectors[i].digest, POLICY_ID_LEN) == 0 &&
		    strlen(id) == POLICY_ID_LEN,
		    "policy_id of vector %zu: want %.32s got %s", i,
		    vectors[i].digest, id);
	}
}

int
main(void)
{
	static const struct {
		const char		*what;
		struct policy_spec	 spec;
		const char		*response;
	} rows[] = {
		{ "enforce with two mx", { POLICY_ENFORCE, mx_two, 2, 604800 },
		    ETC_DEFAULT_RESPONSE },
		{ "testing, max_age 0", { POLICY_TESTING, mx_one, 1, 0 },
		    "Status: 200 OK\r\n"
		    "Content-Type: text/plain; charset=utf-8\r\n"
		    "Content-Length: 63\r\n"
		    "\r\n"
		    "version: STSv1\r\n"
		    "mode: testing\r\n"
		    "mx: mx.example.org\r\n"
		    "max_age: 0\r\n" },
		{ "none without mx", { POLICY_NONE, NULL, 0, 31557600 },
		    "Status: 200 OK\r\n"
		    "Content-Type: text/plain; charset=utf-8\r\n"
		    "Content-Length: 47\r\n"
		    "\r\n"
		    "version: STSv1\r\n"
		    "mode: none\r\n"
		    "max_age: 31557600\r\n" },
	};
	struct policy		 p;
	struct policy_spec	 big;
	const char		*body, **many;
	char			 id[POLICY_ID_LEN + 1], line[2048], rua[600];
	size_t			 i, len, n;
	int			 r;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		r = policy_prepare(&p, &rows[i].spec);
		CHECK(r == 0, "policy_prepare %s", rows[i].what);
		if (r != 0)
			continue;
		CHECK_BYTES(p.response, p.response_len, rows[i].response,
		    strlen(rows[i].response), "response bytes: %s",
		    rows[i].what);
		CHECK(p.header_len == (size_t)(strstr(rows[i].response,
		    "\r\n\r\n") + 4 - rows[i].response),
		    "HEAD prefix ends after the blank line: %s", rows[i].what);
		body = policy_body(&p, &len);
		CHECK(len == policy_body_len(&rows[i].spec),
		    "policy_body_len agrees: %s", rows[i].what);
		policy_id(body, len, id);
		CHECK(strcmp(id, p.id) == 0 && strlen(id) == POLICY_ID_LEN &&
		    strspn(id, "0123456789abcdef") == POLICY_ID_LEN,
		    "id is 32 hex digits of the body: %s", rows[i].what);
		policy_free(&p);
	}

	/* The id is SHA-256 of the body: same bytes as "| sha256sum". */
	policy_id("version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\n"
	    "mx: *.example.net\r\nmax_age: 604800\r\n", 89, id);
	CHECK(strcmp(id, "edcb11fc0ad1171d90ed6e11df575425") == 0,
	    "id of the example policy: got %s", id);
	policy_id("version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\n"
	    "mx: *.example.net\r\nmax_age: 604801\r\n", 89, line);
	CHECK(strcmp(id, line) != 0, "a one-byte change changes the id");
	id_vectors();

	/* The 64,000-byte limit on the body. */
	n = 64000 / 10;
	many = calloc(n, sizeof(*many));
	for (i = 0; i < n; i++)
		many[i] = "mx.example";	/* 16 bytes a line */
	big.mode = POLICY_ENFORCE;
	big.mx = many;
	big.max_age = 604800;
	big.mxlen = (64000 - 50) / 16;
	len = policy_body_len(&big);
	CHECK(len > 63000 && len <= POLICY_BODY_MAX,
	    "a %zu-byte body is allowed", len);
	big.mxlen = n;
	CHECK(policy_body_len(&big) == 0, "a body over 64000 bytes is refused");
	CHECK(policy_prepare(&p, &big) == -1, "policy_prepare refuses it");
	free(many);

	r = policy_dns_sts(line, sizeof(line), "example.org",
	    "08e7c8d1ccf8ce8ae6de44f90293ff35");
	CHECK(strcmp(line, "_mta-sts.example.org. IN TXT \"v=STSv1; "
	    "id=08e7c8d1ccf8ce8ae6de44f90293ff35\"\n") == 0 &&
	    r == (int)strlen(line), "_mta-sts record");
	r = policy_dns_tlsrpt(line, sizeof(line), "example.org",
	    "mailto:tls@example.org,https://r.example.org/tlsrpt");
	CHECK(strcmp(line, "_smtp._tls.example.org. IN TXT \"v=TLSRPTv1; "
	    "rua=mailto:tls@example.org,https://r.example.org/tlsrpt\"\n") == 0 &&
	    r == (int)strlen(line), "_smtp._tls record");
	/* Over 255 bytes: split into character-strings (RFC 1035 §3.3). */
	memset(rua, 'a', sizeof(rua));
	memcpy(rua, "mailto:", 7);
	strcpy(rua + 280, "@example.org");
	policy_dns_tlsrpt(line, sizeof(line), "example.org", rua);
	CHECK(strncmp(line, "_smtp._tls.example.org. IN TXT \"v=TLSRPTv1; "
	    "rua=mailto:", 45) == 0 && strstr(line, "\" \"") != NULL &&
	    strstr(line, "\" \"") - strchr(line, '"') - 1 == 255,
	    "a long rua is split after 255 bytes");
	r = policy_dns_tlsrpt(line, 10, "example.org", "mailto:a@example.org");
	CHECK(r > 10 && strlen(line) == 9, "a short buffer is not overrun "
	    "and the needed length is returned (%d)", r);
	return unit_done();
}
