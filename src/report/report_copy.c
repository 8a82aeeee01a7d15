/* SPDX-License-Identifier: ISC */
/*
 * `copy FROM TO`: a provider that grows from one host to several moves
 * its SQLite store into PostgreSQL (and back, to leave it), so every
 * report is copied whole (its fields, its digest, how and when it was
 * received, the raw report as it arrived) with the served policies that
 * date each policy's publication, and `list -j`, `summary` and `html`
 * read the same from either store.  Reports are added as a receiver
 * adds them, so one already in TO (same organization, report-id and
 * digest) stays once: a copy that was interrupted, or run again after
 * the receivers wrote more, is simply run again.  A thousand reports go
 * in per transaction, not one, so that a million take minutes; a
 * failure loses at most the group it was in, which the next run adds.
 *
 * `migrate`: a store created, or its schema brought to this program's
 * version, and nothing else, for the role that owns a PostgreSQL
 * schema while the receivers' role may only read and insert
 * (mta-sts-report(8) POSTGRESQL).
 */
#include <sys/stat.h>

#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "report/report.h"

#define COPY_GROUP	1000	/* reports per transaction */

struct copy {
	struct tlsrpt_store	*to;
	long			 added, present, group, served;
};

/* One report into TO, a group committed every COPY_GROUP. */
static int
copy_report(const struct tlsrpt_stored *one, void *arg)
{
	struct copy	*c = arg;

	if (c->group == 0 && tlsrpt_store_begin(c->to) == -1)
		return -1;
	switch (tlsrpt_store_add(c->to, one->report, one->via, one->raw,
	    one->rawlen, one->received)) {
	case TLSRPT_STORE_ADDED:
		c->added++;
		break;
	case TLSRPT_STORE_DUPLICATE:
		c->present++;
		break;
	default:
		return -1;
	}
	if (++c->group == COPY_GROUP) {
		c->group = 0;
		return tlsrpt_store_commit(c->to);
	}
	return 0;
}

static int
copy_served(const struct tlsrpt_served_row *row, void *arg)
{
	struct copy	*c = arg;
	int		 n;

	if ((n = tlsrpt_store_served_add(c->to, row)) == -1)
		return -1;
	c->served += n;
	return 0;
}

/*
 * A store named on the command line: a file relative to the current
 * directory made absolute, as the config must name it; anything else as
 * given.  0, or -1 (too long).
 */
static int
copy_absolute(const char *arg, char *out, size_t size)
{
	char	 cwd[CONF_REPORTS_PATH_MAX + 1];
	int	 n;

	if (arg[0] == '/' || arg[0] == '\0' || strncmp(arg, "postgres", 8) ==
	    0 || strncmp(arg, "service=", 8) == 0 ||
	    getcwd(cwd, sizeof(cwd)) == NULL)
		n = snprintf(out, size, "%s", arg);
	else
		n = snprintf(out, size, "%s/%s", strcmp(cwd, "/") == 0 ? "" :
		    cwd, arg);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

int
report_copy(int argc, char **argv)
{
	struct tlsrpt_store	*from = NULL;
	struct copy		 c;
	struct stat		 a, b;
	char			 why[CONF_REPORTS_PATH_MAX + 160];
	static char		 db[2][CONF_REPORTS_PATH_MAX + 1];
	int			 i, status = EX_IOERR;

	memset(&c, 0, sizeof(c));
	if (argc == 2 && strcmp(argv[1], "-h") == 0) {
		printf("usage: %s copy FROM TO\n", REPORT_PROGNAME);
		return EX_OK;
	}
	if (argc != 3) {
		log_warnx("copy: want two databases, FROM and TO (usage: %s "
		    "copy FROM TO)", REPORT_PROGNAME);
		return EX_USAGE;
	}
	for (i = 1; i < 3; i++) {
		snprintf(why, sizeof(why), "longer than %d bytes",
		    CONF_REPORTS_PATH_MAX);
		if (copy_absolute(argv[i], db[i - 1], sizeof(db[0])) == -1 ||
		    database_kind(db[i - 1], why, sizeof(why)) ==
		    DATABASE_NONE) {
			log_warnx("copy: %s: %s", i == 1 ? "FROM" : "TO", why);
			return EX_USAGE;
		}
		argv[i] = db[i - 1];
	}
	if (strcmp(argv[1], argv[2]) == 0 || (stat(argv[1], &a) == 0 &&
	    stat(argv[2], &b) == 0 && a.st_dev == b.st_dev &&
	    a.st_ino == b.st_ino)) {
		log_warnx("copy: FROM and TO are the same database");
		return EX_USAGE;
	}
	if (tlsrpt_store_open(&from, argv[1], TLSRPT_STORE_OPEN_READONLY) ==
	    -1 || tlsrpt_store_open(&c.to, argv[2], TLSRPT_STORE_OPEN_CREATE) ==
	    -1)
		goto out;
	if (tlsrpt_store_each(from, copy_report, &c) == -1 ||
	    (c.group > 0 && tlsrpt_store_commit(c.to) == -1)) {
		log_warnx("copy: stopped after %ld reports; those committed "
		    "stay, and copying again once the cause is fixed adds the "
		    "rest", c.added);
		goto out;
	}
	c.group = 0;
	if (tlsrpt_store_begin(c.to) == -1 ||
	    tlsrpt_store_served_list(from, NULL, 0, copy_served, &c) == -1 ||
	    tlsrpt_store_commit(c.to) == -1) {
		log_warnx("copy: the reports are copied, the served policies "
		    "are not: copying again adds them");
		goto out;
	}
	if (printf("copied %ld report%s (%ld already there) and %ld served "
	    "polic%s, %s to %s\n", c.added, c.added == 1 ? "" : "s",
	    c.present, c.served, c.served == 1 ? "y" : "ies",
	    tlsrpt_store_backend(from), tlsrpt_store_backend(c.to)) < 0 ||
	    fflush(stdout) == EOF) {
		log_warn("copy");
		goto out;
	}
	status = EX_OK;
out:
	tlsrpt_store_close(from);
	tlsrpt_store_close(c.to);
	return status;
}

int
report_migrate(const struct conf *conf, int argc, char **argv)
{
	struct tlsrpt_store	*st;

	if (argc == 2 && strcmp(argv[1], "-h") == 0) {
		printf("usage: %s [-c config] migrate\n", REPORT_PROGNAME);
		return EX_OK;
	}
	if (argc != 1) {
		log_warnx("migrate: unexpected argument \"%s\"", argv[1]);
		return EX_USAGE;
	}
	if (tlsrpt_store_open(&st, conf->reports.database,
	    TLSRPT_STORE_OPEN_CREATE) == -1)
		return EX_IOERR;
	if (printf("%s store at schema version %d\n",
	    tlsrpt_store_backend(st), tlsrpt_store_version(st)) < 0 ||
	    fflush(stdout) == EOF) {
		log_warn("migrate");
		tlsrpt_store_close(st);
		return EX_IOERR;
	}
	tlsrpt_store_close(st);
	return EX_OK;
}
