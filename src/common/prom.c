/* SPDX-License-Identifier: ISC */
/*
 * Metrics in the Prometheus text exposition format (version 0.0.4), for
 * node_exporter's textfile collector: no daemon of ours to run, watch
 * and secure, just a file that the collector reads at each scrape.  The
 * collector may read at any moment, so the file is never written in
 * place: samples go to a temporary file in the target's directory (the
 * same file system, so rename(2) is atomic), which is synced, renamed
 * over the target and its directory synced, so a scrape sees the whole
 * old file or the whole new one, and a crash leaves one of the two.
 * The temporary name does not end in ".prom", so the collector never
 * reads it.
 *
 * Label values come from reports anyone may send and from servers we
 * connect to: each is escaped as the terminal lines are (log_escape: no
 * control, bidi or invalid UTF-8 byte survives), cut to PROM_LABEL_MAX
 * bytes, then escaped as the format wants (backslash, double quote).
 * Each family has a cap on its series, so that what a caller forgot to
 * bound costs a warning, not a scrape that times out.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"

size_t
prom_label_escape(char *out, size_t size, const char *in)
{
	char	 shown[PROM_LABEL_MAX + 1];
	size_t	 i, o = 0;

	if (size == 0)
		return 0;
	/* Stops before a character that would not fit: never half of one. */
	log_escape(shown, sizeof(shown), in, strlen(in));
	for (i = 0; shown[i] != '\0'; i++) {
		int	 quote = shown[i] == '\\' || shown[i] == '"';

		if (o + 1 + (size_t)quote >= size)
			break;
		if (quote)
			out[o++] = '\\';
		out[o++] = shown[i];
	}
	out[o] = '\0';
	return o;
}

/* Records the first write error; later writes are skipped. */
static void
prom_check(struct prom *p, int n)
{
	if (n < 0 && p->error == 0)
		p->error = errno != 0 ? errno : EIO;
}

/* Says how many series of the family just ended were left out. */
static void
prom_end_family(struct prom *p)
{
	if (p->family != NULL && p->dropped > 0)
		log_warnx("%s: %zu series over the cap of %zu were not "
		    "written", p->family, p->dropped, p->series_max);
	p->family = NULL;
	p->series = p->dropped = 0;
}

void
prom_stream(struct prom *p, FILE *fp)
{
	memset(p, 0, sizeof(*p));
	p->fp = fp;
}

int
prom_create(struct prom *p, const char *path)
{
	int	 fd = -1;

	memset(p, 0, sizeof(*p));
	if ((p->path = strdup(path)) == NULL ||
	    asprintf(&p->tmp, "%s.tmp.XXXXXX", path) == -1) {
		p->tmp = NULL;
		log_warn("%s", path);
		goto fail;
	}
	if ((fd = mkostemp(p->tmp, O_CLOEXEC)) == -1) {
		log_warn("%s: cannot create a temporary file beside it", path);
		goto fail;
	}
	/* Read by node_exporter's user; nothing in it is secret. */
	if (fchmod(fd, 0644) == -1 || (p->fp = fdopen(fd, "w")) == NULL) {
		log_warn("%s", p->tmp);
		unlink(p->tmp);
		goto fail;
	}
	return 0;
fail:
	if (fd != -1)
		close(fd);
	free(p->path);
	free(p->tmp);
	memset(p, 0, sizeof(*p));
	return -1;
}

void
prom_family(struct prom *p, const char *name, const char *type,
    const char *help, size_t series_max)
{
	prom_end_family(p);
	p->family = name;
	p->series_max = series_max;
	if (p->error == 0)
		prom_check(p, fprintf(p->fp, "# HELP %s %s\n# TYPE %s %s\n",
		    name, help, name, type));
}

void
prom_sample(struct prom *p, const struct prom_label *labels, size_t n,
    int64_t value)
{
	char	 v[2 * PROM_LABEL_MAX + 1];
	size_t	 i;

	if (p->series >= p->series_max) {
		p->dropped++;
		return;
	}
	p->series++;
	if (p->error != 0)
		return;
	prom_check(p, fputs(p->family, p->fp) == EOF ? -1 : 0);
	for (i = 0; i < n && p->error == 0; i++) {
		prom_label_escape(v, sizeof(v), labels[i].value);
		prom_check(p, fprintf(p->fp, "%c%s=\"%s\"", i == 0 ? '{' : ',',
		    labels[i].name, v));
	}
	if (p->error == 0)
		prom_check(p, fprintf(p->fp, "%s %" PRId64 "\n",
		    n > 0 ? "}" : "", value));
}

/* Syncs the directory that holds path, so that a rename survives. */
static int
sync_dir(const char *path)
{
	char	*copy;
	int	 fd, rc = -1;

	if ((copy = strdup(path)) == NULL)
		return -1;
	if ((fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) !=
	    -1) {
		rc = fsync(fd);
		close(fd);
	}
	free(copy);
	return rc;
}

int
prom_finish(struct prom *p)
{
	int	 rc = -1;

	prom_end_family(p);
	if (p->path == NULL) {
		if (p->error == 0 && fflush(p->fp) == EOF)
			p->error = errno;
		if (p->error != 0) {
			errno = p->error;
			log_warn("cannot write the metrics");
		}
		return p->error == 0 ? 0 : -1;
	}
	if (p->error == 0 && (fflush(p->fp) == EOF || fsync(fileno(p->fp)) ==
	    -1))
		p->error = errno;
	if (fclose(p->fp) == EOF && p->error == 0)
		p->error = errno;
	p->fp = NULL;
	if (p->error != 0) {
		errno = p->error;
		log_warn("%s: cannot write the metrics (%s left as it was)",
		    p->tmp, p->path);
	} else if (rename(p->tmp, p->path) == -1)
		log_warn("%s: cannot rename it to %s", p->tmp, p->path);
	else if (sync_dir(p->path) == -1)
		log_warn("%s: the directory could not be synced", p->path);
	else
		rc = 0;
	if (rc == -1)
		unlink(p->tmp);
	free(p->path);
	free(p->tmp);
	memset(p, 0, sizeof(*p));
	return rc;
}

void
prom_abort(struct prom *p)
{
	if (p->path != NULL) {
		if (p->fp != NULL)
			fclose(p->fp);
		unlink(p->tmp);
		free(p->path);
		free(p->tmp);
	}
	memset(p, 0, sizeof(*p));
}
