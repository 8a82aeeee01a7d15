/* SPDX-License-Identifier: ISC */
/*
 * serve.c: the options both FastCGI servers take, as getopt hands them
 * over, and what serve_check makes of them together: the usage error
 * word for word, or the socket mode and the number of workers.
 */
#include <unistd.h>

#include "serve/serve.h"
#include "unit.h"

static void
test_check(void)
{
	static const struct {
		const char	*what;
		const char	*opts;	/* letters, each with its value */
		const char	*values[5];
		const char	*why;	/* NULL: accepted */
		unsigned	 mode;
		unsigned	 workers; /* 0: the default */
	} rows[] = {
		{ "nothing given", "", { NULL }, NULL, 0660, 0 },
		{ "-s TCP, -w 3", "sw", { ":9000", "3" }, NULL, 0660, 3 },
		{ "-w 1", "w", { "1" }, NULL, 0660, 1 },
		{ "-w 256", "w", { "256" }, NULL, 0660, 256 },
		{ "-w 0", "w", { "0" }, "-w 0: want a number of workers from "
		    "1 to 256", 0, 0 },
		{ "-w 257", "w", { "257" }, "-w 257: want a number of "
		    "workers from 1 to 256", 0, 0 },
		{ "-w 2x", "w", { "2x" }, "-w 2x: want a number of workers "
		    "from 1 to 256", 0, 0 },
		{ "-w +2", "w", { "+2" }, "-w +2: want a number of workers "
		    "from 1 to 256", 0, 0 },
		{ "-m 0600 on a unix socket", "sm", { "unix:/run/x.sock",
		    "0600" }, NULL, 0600, 0 },
		{ "-m 0777 on a /path", "sm", { "/run/x.sock", "0777" }, NULL,
		    0777, 0 },
		{ "-m 888", "sm", { "/run/x.sock", "888" }, "-m 888: want an "
		    "octal mode such as 0660", 0, 0 },
		{ "-m 1000", "sm", { "/run/x.sock", "1000" }, "-m 1000: want "
		    "an octal mode such as 0660", 0, 0 },
		{ "-m with TCP", "sm", { ":9", "0600" }, "-m and -o apply to "
		    "a unix socket of our own (-s unix:/path)", 0, 0 },
		{ "-o without -s", "o", { "www-data" }, "-m and -o apply to "
		    "a unix socket of our own (-s unix:/path)", 0, 0 },
		{ "-o with -s unix:", "so", { "unix:/run/x.sock",
		    "www-data" }, NULL, 0660, 0 },
		{ "-u alone", "u", { "nobody" }, NULL, 0660, 0 },
	};
	struct serve_opts	 o;
	char			 why[256];
	long			 cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned		 dflt;
	size_t			 i, k;
	int			 rc, taken, ok;

	dflt = cpus < 2 ? 2 : cpus > 16 ? 16 : (unsigned)cpus;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&o, 0, sizeof(o));
		why[0] = '\0';
		for (k = 0, taken = 1; rows[i].opts[k] != '\0'; k++)
			taken &= serve_option(&o, rows[i].opts[k],
			    rows[i].values[k]);
		rc = serve_check(&o, why, sizeof(why));
		if (rows[i].why != NULL)
			ok = rc == -1 && strcmp(why, rows[i].why) == 0;
		else
			ok = rc == 0 && o.lo.mode == rows[i].mode &&
			    o.workers == (rows[i].workers != 0 ?
			    rows[i].workers : dflt);
		CHECK(taken && ok && serve_given(&o) == (rows[i].opts[0] !=
		    '\0'), "%s: %s (mode %#o, %u workers)", rows[i].what,
		    rc == 0 ? "accepted" : why, (unsigned)o.lo.mode,
		    o.workers);
	}
	memset(&o, 0, sizeof(o));
	CHECK(!serve_option(&o, 'c', "x") && !serve_option(&o, 't', NULL) &&
	    !serve_given(&o), "-c and -t are not serve's");
}

int
main(void)
{
	test_check();
	return unit_done();
}
