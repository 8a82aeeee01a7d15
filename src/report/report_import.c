/* SPDX-License-Identifier: ISC */
/*
 * report_import: `import`, reports that arrive by mail (RFC 8460 §5.3),
 * one message on stdin as an MTA delivers it, or a Maildir.
 *
 * What an MTA makes of our exit status decides everything here.  The
 * sysexits(3) codes are what Postfix's pipe(8), local(8) aliases, Exim's
 * pipe transport, Sieve's pipe and procmail all read: 0 is delivered,
 * EX_TEMPFAIL (75) is "keep it and try again later", anything else is a
 * bounce.  So a message that is not a valid, signed report for a domain
 * served here is logged and acknowledged with 0, never bounced: the
 * bounce would go to an address we have no reason to trust (backscatter),
 * and the sender could do nothing with it.  75 is kept for what may pass:
 * the store busy or unavailable, a DKIM key that DNS did not give us now,
 * no memory; the MTA then keeps the message and delivers it again, and the
 * store's (organization, report-id) key makes a second delivery of a
 * stored report a harmless duplicate.  0 for a stored report is said
 * only once tlsrpt_store_add has made it durable.
 *
 * A message is read whole but bounded (report_mail_max of body_max):
 * a larger one is drained from stdin (an MTA may take an unread pipe as
 * a failure) and dropped.  Every outcome is one line on stderr and in
 * syslog (facility mail), since an MTA discards what a command that
 * exits 0 writes.
 *
 * A Maildir (fetchmail, mbsync, getmail) is read from new/ and cur/;
 * each message taken care of is renamed into the Maildir++ folder
 * .Processed (stored or duplicate) or .Invalid (dropped), under cur/ and
 * marked seen, so a second run finds nothing to import and an IMAP client
 * shows both folders.  Only a regular file is a message: anything else
 * in new/ or cur/ (a symbolic link, a FIFO, a socket, a device, a
 * directory) is never opened, since a FIFO blocks a reader and a link
 * points anywhere, but moved to .Invalid as it is; otherwise it would
 * hang the run or come back on every run.  A message that could not be
 * taken now stays where it is for the next run.  The rename follows the durable store; a
 * crash between them only means a duplicate next time.
 */
#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "report/report.h"

/* Each DNS query for a DKIM key, at most (report_dkim_verify). */
#define IMPORT_DNS_TIMEOUT	10
#define IMPORT_CHUNK		65536

enum import_result {
	IMPORT_STORED,
	IMPORT_DUPLICATE,
	IMPORT_DROPPED,		/* not a report we take: logged, 0 */
	IMPORT_TEMPFAIL,	/* retry later: 75 */
	IMPORT_GONE,		/* a Maildir entry another import took */
};

struct import {
	const struct conf	*conf;
	struct tlsrpt_store	*store;		/* opened when first needed */
	size_t			 max;		/* bytes of one message */
	int			 served;	/* tlsrpt_store_served done */
};

int	 report_import_stdin_closed;

/* One line to stderr and to syslog (mail). */
static void
import_log(int prio, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
import_log(int prio, const char *fmt, ...)
{
	char	 line[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_warnx("import: %s", line);
	syslog(prio, "import: %s", line);
}

/* The rule for served domains (mta-sts-report(8)): a [domain] section. */
static int
import_served(const char *domain, void *arg)
{
	const struct conf *conf = arg;

	return table_find(&conf->table, domain, strlen(domain)) != NULL;
}

/* Stores r; says what happened to the message called what. */
static enum import_result
import_store(struct import *im, const struct tlsrpt_report *r,
    const unsigned char *raw, size_t rawlen, const char *what)
{
	char	 org[LOG_ESCAPE_SIZE(128)], id[LOG_ESCAPE_SIZE(128)];

	log_escape(org, sizeof(org), r->organization,
	    strnlen(r->organization, 128));
	log_escape(id, sizeof(id), r->report_id, strnlen(r->report_id, 128));
	if (im->store == NULL && tlsrpt_store_open(&im->store,
	    im->conf->reports.database, TLSRPT_STORE_OPEN_CREATE) == -1) {
		im->store = NULL;
		import_log(LOG_WARNING, "%s: deferred: the store is "
		    "unavailable", what);
		return IMPORT_TEMPFAIL;
	}
	/*
	 * What this config serves, once per import (the summary's "since
	 * when is this policy published"); the report is stored anyway.
	 */
	if (!im->served && tlsrpt_store_served(im->store, &im->conf->table,
	    (int64_t)time(NULL)) == -1)
		import_log(LOG_WARNING, "%s: the served policies were not "
		    "recorded", what);
	im->served = 1;
	switch (tlsrpt_store_add(im->store, r, TLSRPT_VIA_MAIL, raw, rawlen,
	    (int64_t)time(NULL))) {
	case TLSRPT_STORE_ADDED:
		import_log(LOG_INFO, "%s: stored report \"%s\" of \"%s\"",
		    what, id, org);
		return IMPORT_STORED;
	case TLSRPT_STORE_DUPLICATE:
		import_log(LOG_INFO, "%s: report \"%s\" of \"%s\" was already "
		    "stored", what, id, org);
		return IMPORT_DUPLICATE;
	case TLSRPT_STORE_UNAVAILABLE:
	case TLSRPT_STORE_CORRUPT:
		break;
	}
	import_log(LOG_WARNING, "%s: deferred: the store cannot take report "
	    "\"%s\" of \"%s\" now", what, id, org);
	return IMPORT_TEMPFAIL;
}

/* One message: its report part, its signature, its report, the store. */
static enum import_result
import_message(struct import *im, const unsigned char *msg, size_t len,
    const char *what)
{
	const struct conf_reports *cr = &im->conf->reports;
	struct report_limits lim = { cr->body_max, cr->inflated_max };
	struct report_mail m;
	struct tlsrpt_report	 r;
	unsigned char	*raw = NULL;
	size_t		 rawlen = 0;
	enum import_result rc;
	char		 why[512];
	int		 status;

	memset(&r, 0, sizeof(r));
	switch (report_mail_parse(msg, len, &m, why, sizeof(why))) {
	case REPORT_MAIL_OK:
		break;
	case REPORT_MAIL_INVALID:
		import_log(LOG_NOTICE, "%s: dropped: %s", what, why);
		return IMPORT_DROPPED;
	case REPORT_MAIL_NOMEM:
		import_log(LOG_WARNING, "%s: deferred: out of memory", what);
		return IMPORT_TEMPFAIL;
	}
	/* RFC 8460 §5.3: without a valid signature it MUST be ignored. */
	switch (cr->trust_authserv_id != NULL ?
	    report_dkim_trust(msg, len, cr->trust_authserv_id, m.submitter,
	    why, sizeof(why)) :
	    report_dkim_verify(msg, len, m.submitter, IMPORT_DNS_TIMEOUT, why,
	    sizeof(why))) {
	case REPORT_DKIM_PASS:
		break;
	case REPORT_DKIM_FAIL:
		import_log(LOG_NOTICE, "%s: dropped: not signed by the "
		    "reporting domain %s: %s", what, m.submitter, why);
		rc = IMPORT_DROPPED;
		goto out;
	case REPORT_DKIM_TEMPFAIL:
		import_log(LOG_WARNING, "%s: deferred: the DKIM signature "
		    "could not be checked now: %s", what, why);
		rc = IMPORT_TEMPFAIL;
		goto out;
	}
	status = report_accept_body(&lim, m.encoding, m.report, m.len,
	    (int64_t)time(NULL), import_served, (void *)im->conf, &r, &raw,
	    &rawlen, why, sizeof(why));
	if (status == 500) {
		import_log(LOG_WARNING, "%s: deferred: %s", what, why);
		rc = IMPORT_TEMPFAIL;
		goto out;
	}
	if (status != 0) {
		import_log(LOG_NOTICE, "%s: dropped: %s", what, why);
		rc = IMPORT_DROPPED;
		goto out;
	}
	rc = import_store(im, &r, raw, rawlen, what);
out:
	free(raw);
	tlsrpt_report_free(&r);
	report_mail_free(&m);
	return rc;
}

/*
 * Reads fd to its end into a new *buf of *len bytes, keeping at most
 * max: 0, 1 if there was more (read and thrown away), -1 on an error
 * (errno) or out of memory (ENOMEM).
 */
static int
import_read(int fd, size_t max, unsigned char **buf, size_t *len)
{
	unsigned char	 chunk[IMPORT_CHUNK];
	size_t		 cap = 0;
	ssize_t		 n;
	int		 over = 0;

	*buf = NULL;
	*len = 0;
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto fail;
		if (n == 0)
			return over;
		if (over || (size_t)n > max - *len) {
			over = 1;
			continue;
		}
		if (buf_append(buf, len, &cap, IMPORT_CHUNK, chunk,
		    (size_t)n) == -1) {
			errno = ENOMEM;
			goto fail;
		}
	}
fail:
	free(*buf);
	*buf = NULL;
	*len = 0;
	return -1;
}

/* `import`: one message on stdin. */
static int
import_stdin(struct import *im)
{
	unsigned char	*msg;
	size_t		 len;
	int		 rc;

	/* Only by hand: an MTA always gives us the message on a pipe. */
	if (report_import_stdin_closed) {
		import_log(LOG_ERR, "stdin: not open: the message is read from "
		    "standard input");
		return EX_NOINPUT;
	}
	switch (import_read(STDIN_FILENO, im->max, &msg, &len)) {
	case -1:
		import_log(LOG_WARNING, "stdin: deferred: %s",
		    strerror(errno));
		return EX_TEMPFAIL;
	case 1:
		import_log(LOG_NOTICE, "stdin: dropped: a message larger than "
		    "%zu bytes", im->max);
		return EX_OK;
	}
	switch (import_message(im, msg, len, "stdin")) {
	case IMPORT_TEMPFAIL:
		rc = EX_TEMPFAIL;
		break;
	default:
		rc = EX_OK;
	}
	free(msg);
	return rc;
}

/*
 * The Maildir++ folder dir/.NAME (cur, new, tmp and maildirfolder);
 * 0, or -1 after saying why.
 */
static int
import_folder(const char *dir, const char *name)
{
	static const char *const subs[] = { "", "/cur", "/new", "/tmp" };
	char	 path[4096];
	size_t	 i;
	int	 fd;

	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/.%s%s", dir, name,
		    subs[i]) >= sizeof(path) ||
		    (mkdir(path, 0700) == -1 && errno != EEXIST)) {
			log_warn("import: %s", path);
			return -1;
		}
	}
	snprintf(path, sizeof(path), "%s/.%s/maildirfolder", dir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		log_warn("import: %s", path);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * The name a message gets in a folder's cur/: its info ":2,FLAGS" with
 * S (seen) added, the flags kept in ASCII order (the Maildir spec).
 */
static void
import_seen_name(const char *name, char *out, size_t size)
{
	const char	*info = strstr(name, ":2,");
	char		 flags[64];
	size_t		 base, n = 0;
	int		 c;

	base = info != NULL ? (size_t)(info - name) : strlen(name);
	for (c = 'A'; c <= 'z'; c++)
		if ((c <= 'Z' || c >= 'a') && (c == 'S' ||
		    (info != NULL && strchr(info + 3, c) != NULL)))
			flags[n++] = (char)c;
	flags[n] = '\0';
	snprintf(out, size, "%.*s:2,%s", (int)base, name, flags);
}

/* What a directory entry is, when it is not a message file. */
static const char *
import_kind(mode_t mode)
{
	if (S_ISLNK(mode))
		return "a symbolic link";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISDIR(mode))
		return "a directory";
	return "not a regular file";
}

/*
 * The message in the regular file path (lstat'ed as *st) read into
 * *msg: IMPORT_STORED for "read", or IMPORT_DROPPED after saying why
 * (it is too large, or was replaced by something else meanwhile), or
 * IMPORT_TEMPFAIL, or IMPORT_GONE.
 */
static enum import_result
import_file_read(struct import *im, const char *path, const char *what,
    const struct stat *st, unsigned char **msg, size_t *len)
{
	struct stat	 now;
	int		 fd, over;

	*msg = NULL;
	*len = 0;
	if ((uintmax_t)st->st_size > (uintmax_t)im->max) {
		import_log(LOG_NOTICE, "%s: dropped: a message larger than "
		    "%zu bytes", what, im->max);
		return IMPORT_DROPPED;
	}
	/*
	 * Swapped for a FIFO after the lstat, O_NONBLOCK keeps the open
	 * from waiting for a writer; for a symbolic link, O_NOFOLLOW fails.
	 */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT)
		return IMPORT_GONE;
	if (fd == -1) {
		import_log(LOG_WARNING, "%s: deferred: %s", what,
		    strerror(errno));
		return IMPORT_TEMPFAIL;
	}
	if (fstat(fd, &now) == -1 || fcntl(fd, F_SETFL, 0) == -1) {
		import_log(LOG_WARNING, "%s: deferred: %s", what,
		    strerror(errno));
		close(fd);
		return IMPORT_TEMPFAIL;
	}
	if (!S_ISREG(now.st_mode) || now.st_dev != st->st_dev ||
	    now.st_ino != st->st_ino) {
		close(fd);
		import_log(LOG_NOTICE, "%s: dropped: replaced while read", what);
		return IMPORT_DROPPED;
	}
	over = import_read(fd, im->max, msg, len);
	close(fd);
	if (over == -1) {
		import_log(LOG_WARNING, "%s: deferred: %s", what,
		    strerror(errno));
		return IMPORT_TEMPFAIL;
	}
	if (over) {
		free(*msg);
		*msg = NULL;
		import_log(LOG_NOTICE, "%s: dropped: a message larger than "
		    "%zu bytes", what, im->max);
		return IMPORT_DROPPED;
	}
	return IMPORT_STORED;
}

/*
 * One Maildir entry: a message file imported, then moved to .Processed
 * or .Invalid; anything else (a symbolic link, a FIFO, a socket, a
 * device, a directory) moved to .Invalid as it is, never opened: a FIFO
 * would block the read, a device has no end, a link points anywhere.
 * Returns its result.
 */
static enum import_result
import_file(struct import *im, const char *dir, const char *sub,
    const char *name)
{
	char		 from[4096], to[4096], seen[1024], what[1200];
	unsigned char	*msg = NULL;
	size_t		 len = 0;
	enum import_result rc;
	const char	*folder;
	struct stat	 st;

	snprintf(what, sizeof(what), "%s/%s", sub, name);
	if ((size_t)snprintf(from, sizeof(from), "%s/%s/%s", dir, sub, name) >=
	    sizeof(from))
		return IMPORT_TEMPFAIL;
	if (lstat(from, &st) == -1) {
		if (errno == ENOENT)
			return IMPORT_GONE;
		import_log(LOG_WARNING, "%s: deferred: %s", what,
		    strerror(errno));
		return IMPORT_TEMPFAIL;
	}
	if (!S_ISREG(st.st_mode)) {
		import_log(LOG_NOTICE, "%s: dropped: %s, not a message file",
		    what, import_kind(st.st_mode));
		rc = IMPORT_DROPPED;
	} else if ((rc = import_file_read(im, from, what, &st, &msg, &len)) ==
	    IMPORT_STORED) {
		rc = import_message(im, msg, len, what);
		free(msg);
	}
	if (rc == IMPORT_TEMPFAIL || rc == IMPORT_GONE)
		return rc;
	folder = rc == IMPORT_DROPPED ? "Invalid" : "Processed";
	import_seen_name(name, seen, sizeof(seen));
	if (import_folder(dir, folder) == -1 ||
	    (size_t)snprintf(to, sizeof(to), "%s/.%s/cur/%s", dir, folder,
	    seen) >= sizeof(to)) {
		import_log(LOG_WARNING, "%s: not moved to .%s", what, folder);
		return IMPORT_TEMPFAIL;
	}
	/* The entry itself: rename(2) never follows a symbolic link. */
	if (rename(from, to) == -1 && errno != ENOENT) {
		import_log(LOG_WARNING, "%s: not moved to .%s: %s", what,
		    folder, strerror(errno));
		return IMPORT_TEMPFAIL;
	}
	return rc;
}

/* `import DIR`: every message in DIR/new and DIR/cur. */
static int
import_maildir(struct import *im, const char *dir)
{
	static const char *const subs[] = { "new", "cur" };
	char		 path[4096];
	struct dirent	*e;
	struct stat	 st;
	DIR		*d;
	size_t		 i;
	int		 rc = EX_OK;

	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, subs[i]);
		if (stat(path, &st) == -1 || !S_ISDIR(st.st_mode)) {
			log_warnx("import: %s: not a Maildir (no new/ and "
			    "cur/ directories)", dir);
			return EX_NOINPUT;
		}
	}
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, subs[i]);
		if ((d = opendir(path)) == NULL) {
			log_warn("import: %s", path);
			rc = EX_TEMPFAIL;
			continue;
		}
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			if (import_file(im, dir, subs[i], e->d_name) ==
			    IMPORT_TEMPFAIL)
				rc = EX_TEMPFAIL;
		}
		closedir(d);
	}
	return rc;
}

int
report_import(const struct conf *conf, int argc, char **argv)
{
	struct import	 im;
	int		 rc;

	/* argv[0] is "import" (report_main.c) */
	if (argc < 1 || argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		log_warnx("usage: %s [-c config] import [maildir]",
		    REPORT_PROGNAME);
		return EX_USAGE;
	}
	memset(&im, 0, sizeof(im));
	im.conf = conf;
	im.max = report_mail_max(conf->reports.body_max);
	openlog(REPORT_PROGNAME, LOG_PID, LOG_MAIL);
	if (argc == 2)
		rc = import_maildir(&im, argv[1]);
	else
		rc = import_stdin(&im);
	if (im.store != NULL)
		tlsrpt_store_close(im.store);
	closelog();
	return rc;
}
