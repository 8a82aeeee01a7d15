/* SPDX-License-Identifier: ISC */
/*
 * Checked numbers from the command line and the environment: the whole
 * string, digits only, in range.  Never atoi: "2x", "", " 2", "+2" and
 * 99999999999999999999 are all refused, not read as something else.
 */
#include <errno.h>
#include <stdlib.h>

#include "common/common.h"

int
num_parse(const char *s, int base, long long min, long long max,
    long long *out)
{
	const char	*digits = s;
	char		*end;
	long long	 n;

	if (s == NULL)
		return -1;
	if (*digits == '-' && min < 0)
		digits++;
	/* strtoll would skip blanks and take a sign: we do not. */
	if (*digits < '0' || *digits > '9')
		return -1;
	errno = 0;
	n = strtoll(s, &end, base);
	if (errno != 0 || *end != '\0' || n < min || n > max)
		return -1;
	*out = n;
	return 0;
}
