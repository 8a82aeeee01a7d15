/* SPDX-License-Identifier: ISC */
/* num_parse: the one checked number parser (-w, -m, environment). */
#include <limits.h>

#include "common/common.h"
#include "unit.h"

int
main(void)
{
	static const struct {
		const char	*in;
		int		 base;
		long long	 min, max;
		int		 rc;
		long long	 want;
	} t[] = {
		{ "2", 10, 1, 256, 0, 2 },
		{ "256", 10, 1, 256, 0, 256 },
		{ "1", 10, 1, 256, 0, 1 },
		{ "0", 10, 1, 256, -1, 0 },
		{ "257", 10, 1, 256, -1, 0 },
		{ "2x", 10, 1, 256, -1, 0 },
		{ "", 10, 1, 256, -1, 0 },
		{ " 2", 10, 1, 256, -1, 0 },
		{ "2 ", 10, 1, 256, -1, 0 },
		{ "+2", 10, 1, 256, -1, 0 },
		{ "-2", 10, 1, 256, -1, 0 },
		{ "-2", 10, -5, 5, 0, -2 },
		{ "-", 10, -5, 5, -1, 0 },
		{ "99999999999999999999", 10, 0, LLONG_MAX, -1, 0 },
		{ "9223372036854775807", 10, 0, LLONG_MAX, 0, LLONG_MAX },
		{ "0660", 8, 0, 0777, 0, 0660 },
		{ "777", 8, 0, 0777, 0, 0777 },
		{ "1000", 8, 0, 0777, -1, 0 },
		{ "888", 8, 0, 0777, -1, 0 },
		{ "65535", 10, 1, 65535, 0, 65535 },
		{ "65536", 10, 1, 65535, -1, 0 },
		{ "0", 10, 0, INT_MAX, 0, 0 },
	};
	size_t		 i;
	long long	 got;
	int		 rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		got = 0;
		rc = num_parse(t[i].in, t[i].base, t[i].min, t[i].max, &got);
		CHECK(rc == t[i].rc && got == t[i].want,
		    "num_parse(\"%s\", %d, %lld, %lld): want %d/%lld got "
		    "%d/%lld", t[i].in, t[i].base, t[i].min, t[i].max,
		    t[i].rc, t[i].want, rc, got);
	}
	CHECK(num_parse(NULL, 10, 0, 1, &got) == -1, "num_parse(NULL) fails");
	return unit_done();
}
