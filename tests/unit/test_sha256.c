/* SPDX-License-Identifier: ISC */
/*
 * SHA-256 against the FIPS 180-4 / NIST CAVP example vectors, through
 * the code path ids take: libmd's SHA256Init/Update/Final (fed in pieces,
 * as a stream), and policy_id, which must give the digest's first 32 hex
 * digits.
 */
#include <sha2.h>

#include "common/common.h"
#include "unit.h"

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

int
main(void)
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
	return unit_done();
}
