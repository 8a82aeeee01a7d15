/* SPDX-License-Identifier: ISC */
/*
 * report-fill: puts report files into a store as if they had been
 * received at a given time, and records a config's policies as served
 * since a given time, so that a test or a benchmark builds the store of
 * "a sender that has reported daily for three weeks, through two policy
 * versions" in a moment and exactly.  The receiver cannot: it stamps
 * reports and served policies with the clock.
 *
 *   report-fill [-c config -p time] [-r time] database [file ...]
 *
 * Each file is a report as a sender sends it, JSON or gzip (told by its
 * first bytes), parsed and checked by report_json_parse as the receiver
 * does, and stored by tlsrpt_store_add with "via" https, its raw bytes
 * gzipped.  No policy domain is refused: the test chooses its files.
 * -r: the received time of every file (seconds since the epoch);
 * without it, a report counts as received an hour after its end.
 * -c and -p: before the files, record the config's [domain] policies as
 * served since time (tlsrpt_store_served).  Quiet when all went well;
 * "FILE: duplicate" for a report stored already; exit 1 after the first
 * failure, saying why.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/report.h"

#define FILL_FILE_MAX	(64 * 1024 * 1024)

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: report-fill [-c config -p time] [-r time] "
	    "database [file ...]\n");
	exit(2);
}

/* The whole file into a new buffer; 0, or -1 after saying why. */
static int
fill_read(const char *path, unsigned char **out, size_t *outlen)
{
	FILE		*fp;
	unsigned char	*buf = NULL;
	size_t		 len = 0, cap = 0, n;
	unsigned char	 chunk[65536];
	int		 rc = -1;

	*out = NULL;
	if ((fp = fopen(path, "rb")) == NULL) {
		log_warn("%s", path);
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (len + n > FILL_FILE_MAX ||
		    buf_append(&buf, &len, &cap, 65536, chunk, n) == -1) {
			log_warnx("%s: too large, or out of memory", path);
			goto out;
		}
	if (ferror(fp)) {
		log_warn("%s", path);
		goto out;
	}
	*out = buf;
	*outlen = len;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	fclose(fp);
	return rc;
}

/* One file into the store; 0, or -1 after saying why. */
static int
fill_file(struct tlsrpt_store *st, const char *path, int64_t received)
{
	struct tlsrpt_report	 r;
	unsigned char		*bytes = NULL, *json = NULL, *raw = NULL;
	size_t			 len, jsonlen, rawlen;
	char			 why[512];
	int			 rc = -1;

	memset(&r, 0, sizeof(r));
	if (fill_read(path, &bytes, &len) == -1)
		return -1;
	if (len >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b) {
		if (report_gzip_inflate(bytes, len, FILL_FILE_MAX, &json,
		    &jsonlen) != REPORT_GZIP_OK) {
			log_warnx("%s: not a gzip report", path);
			goto out;
		}
		raw = bytes;
		rawlen = len;
		bytes = NULL;
	} else {
		json = bytes;
		jsonlen = len;
		bytes = NULL;
		if (report_gzip_deflate(json, jsonlen, &raw, &rawlen) == -1) {
			log_warnx("%s: out of memory", path);
			goto out;
		}
	}
	if (report_json_parse(&r, (const char *)json, jsonlen, why,
	    sizeof(why)) != 0) {
		log_warnx("%s: %s", path, why);
		goto out;
	}
	switch (tlsrpt_store_add(st, &r, TLSRPT_VIA_HTTPS, raw, rawlen,
	    received != -1 ? received : r.end + 3600)) {
	case TLSRPT_STORE_ADDED:
		break;
	case TLSRPT_STORE_DUPLICATE:
		printf("%s: duplicate\n", path);
		break;
	default:
		goto out;	/* the store said why */
	}
	rc = 0;
out:
	tlsrpt_report_free(&r);
	free(bytes);
	free(json);
	free(raw);
	return rc;
}

/* Records the config's policies as served since t; 0, or -1. */
static int
fill_served(struct tlsrpt_store *st, const char *file, int64_t t)
{
	struct conf	 conf;
	long		 errors;
	int		 rc;

	log_quiet = 1;	/* its warnings are -t's business */
	errors = conf_load(&conf, file);
	log_quiet = 0;
	if (errors != 0) {
		/* Again, aloud, for the file:line messages. */
		if ((errors = conf_load(&conf, file)) == 0)
			conf_free(&conf);
		conf_summary(file, errors != 0 ? errors : 1);
		return -1;
	}
	rc = tlsrpt_store_served(st, &conf.table, t) == -1 ? -1 : 0;
	conf_free(&conf);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct tlsrpt_store	*st = NULL;
	const char		*config = NULL;
	long long		 received = -1, served = -1;
	int			 ch, i, status = 1;

	log_progname = "report-fill";
	while ((ch = getopt(argc, argv, "c:p:r:")) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 'p':
			if (num_parse(optarg, 10, 0, INT64_MAX, &served) == -1)
				usage();
			break;
		case 'r':
			if (num_parse(optarg, 10, 0, INT64_MAX, &received) ==
			    -1)
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind >= argc || (config == NULL) != (served == -1))
		usage();
	if (tlsrpt_store_open(&st, argv[optind], TLSRPT_STORE_OPEN_CREATE) ==
	    -1)
		return 1;
	if (config != NULL && fill_served(st, config, served) == -1)
		goto out;
	for (i = optind + 1; i < argc; i++)
		if (fill_file(st, argv[i], received) == -1)
			goto out;
	status = fflush(stdout) == EOF ? 1 : 0;
out:
	tlsrpt_store_close(st);
	return status;
}
