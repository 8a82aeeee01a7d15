/* SPDX-License-Identifier: ISC */
/*
 * prom.c: label values as the exposition format and a terminal both
 * want them, the samples' exact lines, the series cap, and the file
 * replaced whole or not at all.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"
#include "unit.h"

/* Hostile label values: one line, valid UTF-8, quoted as the format says. */
static void
test_escape(void)
{
	static const struct {
		const char	*in, *out;
	} rows[] = {
		{ "example.com", "example.com" },
		{ "Google LLC", "Google LLC" },
		{ "a\"b", "a\\\"b" },
		{ "back\\slash", "back\\\\slash" },
		/* A line break would end the sample: shown, then quoted. */
		{ "evil\n# TYPE x counter\nx 1", "evil\\\\n# TYPE x counter\\\\nx 1" },
		{ "cr\rtab\t", "cr\\\\rtab\\\\t" },
		{ "nul-free \x1b[31m red", "nul-free \\\\x1b[31m red" },
		{ "bad \xff\xfe utf-8", "bad \\\\xff\\\\xfe utf-8" },
		{ "RLO \xe2\x80\xae", "RLO \\\\u202e" },
		{ "caf\xc3\xa9 \xe2\x82\xac", "caf\xc3\xa9 \xe2\x82\xac" },
		{ "}, injected=\"1", "}, injected=\\\"1" },
		{ "", "" },
	};
	char	 out[2 * PROM_LABEL_MAX + 1];
	size_t	 i, n;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		n = prom_label_escape(out, sizeof(out), rows[i].in);
		CHECK_BYTES(out, n, rows[i].out, strlen(rows[i].out),
		    "label value %zu escaped as \"%s\"", i, rows[i].out);
	}
}

/* Long values are cut at PROM_LABEL_MAX bytes, never inside a character. */
static void
test_escape_long(void)
{
	char	 in[1000], out[2 * PROM_LABEL_MAX + 1], small[8];
	size_t	 i, n;

	memset(in, 'a', sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	n = prom_label_escape(out, sizeof(out), in);
	CHECK(n == PROM_LABEL_MAX, "1000 bytes cut to %d (got %zu)",
	    PROM_LABEL_MAX, n);
	/* 255 "a" then a 2-byte character: it does not fit, so it goes. */
	memset(in, 'a', PROM_LABEL_MAX - 1);
	memcpy(in + PROM_LABEL_MAX - 1, "\xc3\xa9z", 4);
	n = prom_label_escape(out, sizeof(out), in);
	CHECK(n == PROM_LABEL_MAX - 1 && out[n - 1] == 'a',
	    "a character that would pass the cap is dropped whole (got %zu)",
	    n);
	/* Every byte a quote: doubled, and the buffer's size holds it. */
	for (i = 0; i < sizeof(in) - 1; i++)
		in[i] = '"';
	n = prom_label_escape(out, sizeof(out), in);
	CHECK(n == 2 * PROM_LABEL_MAX, "256 quotes become 512 bytes (got %zu)",
	    n);
	n = prom_label_escape(small, sizeof(small), "ab\"cd\"ef");
	CHECK_BYTES(small, n, "ab\\\"cd", 6,
	    "a small buffer ends before a quote it cannot hold whole");
}

/* The exact lines of a family, labels and the series cap. */
static void
test_samples(void)
{
	static const char want[] =
	    "# HELP mta_sts_x_seconds What x is.\n"
	    "# TYPE mta_sts_x_seconds gauge\n"
	    "mta_sts_x_seconds{domain=\"a.test\",check=\"mx-tls\"} 2\n"
	    "mta_sts_x_seconds{domain=\"b\\\"c\",check=\"x\"} -1\n"
	    "# HELP mta_sts_y Y.\n"
	    "# TYPE mta_sts_y gauge\n"
	    "mta_sts_y 9223372036854775807\n";
	struct prom	 p;
	char		*buf = NULL;
	size_t		 len = 0;
	FILE		*fp;

	if ((fp = open_memstream(&buf, &len)) == NULL) {
		CHECK(0, "open_memstream");
		return;
	}
	prom_stream(&p, fp);
	prom_family(&p, "mta_sts_x_seconds", "gauge", "What x is.", 2);
	prom_sample(&p, (struct prom_label[]){ { "domain", "a.test" },
	    { "check", "mx-tls" } }, 2, 2);
	prom_sample(&p, (struct prom_label[]){ { "domain", "b\"c" },
	    { "check", "x" } }, 2, -1);
	log_quiet = 1;	/* the cap's warning */
	prom_sample(&p, (struct prom_label[]){ { "domain", "over.test" },
	    { "check", "x" } }, 2, 3);
	CHECK(p.dropped == 1, "a sample over the family's cap is counted");
	prom_family(&p, "mta_sts_y", "gauge", "Y.", 1);
	log_quiet = 0;
	prom_sample(&p, NULL, 0, INT64_MAX);
	CHECK(prom_finish(&p) == 0, "a stream finishes");
	fclose(fp);
	CHECK_BYTES(buf, len, want, strlen(want),
	    "the exact lines, the third sample left out");
	free(buf);
}

/* Entries of dir other than "." and ".."; -1 if unreadable. */
static int
entries(const char *dir)
{
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* The whole of a small file, or "" if it cannot be read. */
static const char *
slurp(const char *path)
{
	static char	 buf[4096];
	FILE		*fp;
	size_t		 n = 0;

	buf[0] = '\0';
	if ((fp = fopen(path, "r")) != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, fp);
		fclose(fp);
	}
	buf[n] = '\0';
	return buf;
}

/* A file is replaced whole on finish, and untouched on abort or failure. */
static void
test_file(void)
{
	char		 dir[] = "/tmp/test_prom.XXXXXX", path[256], bad[300];
	struct prom	 p;
	struct stat	 sb;
	FILE		*fp;

	if (mkdtemp(dir) == NULL) {
		CHECK(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "%s/mta-sts.prom", dir);
	if ((fp = fopen(path, "w")) != NULL) {
		fputs("old\n", fp);
		fclose(fp);
	}
	CHECK(prom_create(&p, path) == 0, "a file is started");
	prom_family(&p, "mta_sts_z", "gauge", "Z.", 1);
	prom_sample(&p, NULL, 0, 7);
	CHECK(strcmp(slurp(path), "old\n") == 0 && entries(dir) == 2,
	    "while it is written, the old file is whole, the new one beside it");
	CHECK(prom_finish(&p) == 0, "finished");
	CHECK(strcmp(slurp(path), "# HELP mta_sts_z Z.\n# TYPE mta_sts_z "
	    "gauge\nmta_sts_z 7\n") == 0, "then the new file is there, whole");
	CHECK(entries(dir) == 1, "and no temporary file is left");
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0644,
	    "readable by node_exporter's user: 0644 (got %o)",
	    (unsigned)(sb.st_mode & 0777));

	CHECK(prom_create(&p, path) == 0, "a second file is started");
	prom_family(&p, "mta_sts_z", "gauge", "Z.", 1);
	prom_sample(&p, NULL, 0, 8);
	prom_abort(&p);
	CHECK(strcmp(slurp(path), "# HELP mta_sts_z Z.\n# TYPE mta_sts_z "
	    "gauge\nmta_sts_z 7\n") == 0 && entries(dir) == 1,
	    "an aborted file leaves the last one as it was, and no temporary");

	snprintf(bad, sizeof(bad), "%s/missing/mta-sts.prom", dir);
	log_quiet = 1;
	CHECK(prom_create(&p, bad) == -1,
	    "a file in a directory that does not exist cannot be started");
	log_quiet = 0;
	unlink(path);
	rmdir(dir);
}

/* A write that fails (a full disk) fails the metrics, and says so. */
static void
test_full(void)
{
	struct prom	 p;
	FILE		*fp;
	int		 i;

	if ((fp = fopen("/dev/full", "w")) == NULL) {
		CHECK(0, "/dev/full: %s", strerror(errno));
		return;
	}
	prom_stream(&p, fp);
	prom_family(&p, "mta_sts_z", "gauge", "Z.", 100000);
	for (i = 0; i < 10000; i++)
		prom_sample(&p, NULL, 0, i);
	log_quiet = 1;
	CHECK(prom_finish(&p) == -1, "a full disk fails the metrics");
	log_quiet = 0;
	fclose(fp);
}

int
main(void)
{
	test_escape();
	test_escape_long();
	test_samples();
	test_file();
	test_full();
	return unit_done();
}
