/* SPDX-License-Identifier: ISC */
/*
 * systemd-filter LIST COMMAND [ARG...]: runs COMMAND under a seccomp filter
 * built as systemd builds a unit's SystemCallFilter= allow-list: the
 * system calls named in LIST (one per line, as tests/e2e/run-systemd.sh
 * expands them with systemd-analyze) are allowed, any other kills the
 * process (systemd's default action), with no_new_privs set as
 * NoNewPrivileges= does.  Tests cannot run systemd itself; this is the
 * part of a unit's sandbox our own seccomp filter must live inside.
 */
#include <sys/prctl.h>
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	scmp_filter_ctx	 ctx;
	char		 line[256];
	FILE		*f;
	size_t		 n;
	int		 nr;

	if (argc < 3) {
		fprintf(stderr, "usage: systemd-filter list command [arg ...]\n");
		return 2;
	}
	if ((f = fopen(argv[1], "r")) == NULL) {
		perror(argv[1]);
		return 2;
	}
	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL) {
		fprintf(stderr, "systemd-filter: seccomp_init failed\n");
		return 2;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		n = strcspn(line, " \t\r\n");
		line[n] = '\0';
		if (n == 0)
			continue;
		/* Names this architecture lacks are skipped, as by systemd. */
		if ((nr = seccomp_syscall_resolve_name(line)) == __NR_SCMP_ERROR)
			continue;
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) != 0) {
			fprintf(stderr, "systemd-filter: %s: cannot allow\n", line);
			return 2;
		}
	}
	fclose(f);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    seccomp_load(ctx) != 0) {
		fprintf(stderr, "systemd-filter: cannot load the filter: %s\n",
		    strerror(errno));
		return 2;
	}
	seccomp_release(ctx);
	execvp(argv[2], argv + 2);
	fprintf(stderr, "systemd-filter: %s: %s\n", argv[2], strerror(errno));
	return 127;
}
