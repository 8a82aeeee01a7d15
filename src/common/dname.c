/* SPDX-License-Identifier: ISC */
/*
 * Syntax of policy domains and mx patterns.  RFC 8461 §3.2 makes an mx
 * pattern an RFC 5321 Domain, optionally prefixed by "*." (§4.1): LDH
 * labels of 1-63 bytes with no hyphen at either end, 253 bytes at most.
 * We are stricter where a value can only be a mistake: a trailing dot,
 * an IP address, a single label, a non-ASCII (U-label) name.
 */
#include <string.h>

#include "common/common.h"

static int
is_ldh(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-';
}

enum dname_error
dname_check(const char *name, size_t len, int wildcard)
{
	size_t		 i, start, labels = 0;
	int		 label_digits = 1, last_digits = 0;
	unsigned char	 c;

	if (len == 0)
		return DNAME_EMPTY;
	if (len >= 2 && name[0] == '*' && name[1] == '.') {
		if (!wildcard)
			return DNAME_WILDCARD_DENIED;
		name += 2;
		len -= 2;
		if (len == 0)
			return DNAME_EMPTY_LABEL;
	}
	if (len > DNAME_MAX)
		return DNAME_TOO_LONG;
	if (name[len - 1] == '.')
		return DNAME_TRAILING_DOT;

	for (start = 0, i = 0; i <= len; i++) {
		c = i < len ? (unsigned char)name[i] : '.';
		if (c == '.') {
			if (i == start)
				return DNAME_EMPTY_LABEL;
			if (i - start > DNAME_LABEL_MAX)
				return DNAME_LABEL_TOO_LONG;
			if (name[start] == '-' || name[i - 1] == '-')
				return DNAME_HYPHEN_EDGE;
			labels++;
			last_digits = label_digits;
			label_digits = 1;
			start = i + 1;
			continue;
		}
		if (c == '*')
			return wildcard ? DNAME_WILDCARD_PLACE :
			    DNAME_WILDCARD_DENIED;
		if (c == '_')
			return DNAME_UNDERSCORE;
		if (c >= 0x80)
			return DNAME_NON_ASCII;
		if (!is_ldh(c))
			return DNAME_BAD_CHAR;
		if (c < '0' || c > '9')
			label_digits = 0;
	}
	/* RFC 3696 §2: a top-level label is never all digits. */
	if (last_digits)
		return DNAME_IP_ADDRESS;
	if (labels < 2)
		return DNAME_ONE_LABEL;
	return DNAME_OK;
}

/*
 * Requests for mta-sts.example.com are looked up as example.com (the
 * policy host is "mta-sts." and the policy domain, RFC 8461 §3.3), so
 * a domain named after a policy host would never match: it is a mistake
 * for the domain itself.  Only when what follows "mta-sts." is a single
 * label (mta-sts.io) can it be nobody's policy host: that is a domain of
 * its own, served for the Host mta-sts.mta-sts.io.
 */
enum dname_error
dname_check_domain(const char *name, size_t len)
{
	enum dname_error	 e;

	if ((e = dname_check(name, len, 0)) != DNAME_OK)
		return e;
	if (len > 8 && strncmp(name, "mta-sts.", 8) == 0 &&
	    memchr(name + 8, '.', len - 8) != NULL)
		return DNAME_POLICY_HOST;
	return DNAME_OK;
}

const char *
dname_strerror(enum dname_error e)
{
	switch (e) {
	case DNAME_OK:
		return "valid";
	case DNAME_EMPTY:
		return "empty name";
	case DNAME_TOO_LONG:
		return "name longer than 253 bytes";
	case DNAME_TRAILING_DOT:
		return "trailing dot: write the name without the final \".\"";
	case DNAME_EMPTY_LABEL:
		return "empty label: two dots in a row, or a leading dot";
	case DNAME_LABEL_TOO_LONG:
		return "a label is longer than 63 bytes";
	case DNAME_HYPHEN_EDGE:
		return "a label starts or ends with \"-\"";
	case DNAME_UNDERSCORE:
		return "\"_\" is not allowed in a host name "
		    "(letters, digits, \"-\" and \".\")";
	case DNAME_NON_ASCII:
		return "non-ASCII name: write internationalised names as "
		    "A-labels (xn--...)";
	case DNAME_BAD_CHAR:
		return "invalid character (letters, digits, \"-\" and \".\" "
		    "only)";
	case DNAME_WILDCARD_PLACE:
		return "\"*\" is allowed only as the whole left-most label "
		    "(\"*.example.com\")";
	case DNAME_WILDCARD_DENIED:
		return "a wildcard is not allowed here";
	case DNAME_IP_ADDRESS:
		return "an IP address is not allowed: name the host";
	case DNAME_ONE_LABEL:
		return "a single label is not a mail host name "
		    "(want at least \"name.tld\")";
	case DNAME_POLICY_HOST:
		return "a policy host: name the policy domain, without "
		    "\"mta-sts.\"";
	}
	return "invalid name";
}
