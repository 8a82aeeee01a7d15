/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer: bytes as what a DNS server or a web server sends the
 * checker.  The first byte chooses the parser: the _mta-sts TXT record,
 * the _smtp._tls TXT record (and URI list comparison), or a policy body
 * (and its difference from a fixed policy, and mx patterns against an MX
 * host), or response header lines as they arrive.  Any input must give a
 * verdict and a message, never a crash.
 */
#include <stdlib.h>
#include <string.h>

#include "check/check.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define WANT	"version: STSv1\r\nmode: enforce\r\nmx: mx.example.com\r\n" \
		"mx: *.example.net\r\nmax_age: 604800\r\n"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct check_policy	 got, want;
	struct check_policy_headers hs;
	char			*text, out[256], err[256], diff[1024];
	const char		*line, *nl;
	size_t			 i;
	int			 h;

	if (size < 1)
		return 0;
	if ((text = malloc(size)) == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	err[0] = '\0';
	switch (data[0] % 4) {
	case 0:
		if (check_record_is_sts(text) &&
		    check_record_sts(text, out, sizeof(out), err,
		    sizeof(err)) == 0 &&
		    (strlen(out) < 1 || strlen(out) > POLICY_ID_LEN))
			abort();
		break;
	case 1:
		if (check_record_tlsrpt(text, out, sizeof(out), err,
		    sizeof(err)) == 0 && !check_record_same_uris(out, out))
			abort();
		break;
	case 2:
		if (check_policy_parse(&want, WANT, sizeof(WANT) - 1, err,
		    sizeof(err)) == -1)
			abort();
		if (check_policy_parse(&got, (const char *)data + 1, size - 1,
		    err, sizeof(err)) == 0) {
			check_policy_diff(&got, &want, diff, sizeof(diff));
			for (i = 0; i < got.nmx; i++)
				(void)check_mx_match(got.mx[i], text);
			check_policy_free(&got);
		} else if (err[0] == '\0')
			abort();	/* a refusal says why */
		check_policy_free(&want);
		break;
	case 3:
		memset(&hs, 0, sizeof(hs));
		for (line = (const char *)data + 1; line < (const char *)data +
		    size; line = nl + 1) {
			nl = memchr(line, '\n', (size_t)((const char *)data +
			    size - line));
			if (nl == NULL)
				nl = (const char *)data + size - 1;
			check_policy_header(&hs, line, (size_t)(nl - line + 1));
		}
		for (h = 0; h < CHECK_POLICY_HEADERS; h++)
			if (strlen(hs.first[h]) >= sizeof(hs.first[h]) ||
			    (hs.n[h] == 0 && hs.last[h][0] != '\0'))
				abort();
		break;
	}
	free(text);
	return 0;
}
