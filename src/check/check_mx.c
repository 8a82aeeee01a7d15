/* SPDX-License-Identifier: ISC */
/*
 * mx patterns against MX host names, RFC 8461 §4.1: a pattern is a
 * name, matched case-insensitively, or "*." and a name, which matches
 * exactly one more label on the left ("*.example.com" matches
 * "mx1.example.com", not "example.com" nor "a.b.example.com").
 */
#include <string.h>
#include <strings.h>

#include "check/check.h"

int
check_mx_match(const char *pattern, const char *host)
{
	const char	*dot;

	if (strncmp(pattern, "*.", 2) != 0)
		return strcasecmp(pattern, host) == 0;
	if ((dot = strchr(host, '.')) == NULL || dot == host)
		return 0;
	return strcasecmp(pattern + 1, dot) == 0;
}
