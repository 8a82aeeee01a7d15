/* SPDX-License-Identifier: ISC */
/*
 * The start of a FastCGI server, the same for every program that serves:
 * the options (-s, -m, -o, -u, -w), read and checked once here so that
 * mta-sts-fcgi and mta-sts-report take them alike, and the order of
 * things at start.  The config is read before our own socket is bound,
 * so a bad config never leaves a socket behind; its image is made and
 * the table freed before the first worker is forked, so that no worker
 * shares the table's pages; then who serves is decided, the socket
 * opened and the supervisor run.  Without -s, finding where the socket
 * comes from has no side effects, so a plain CGI request (the
 * responder's) is decided first.  A program that records what it
 * serves (serve_app record) gets a recorder forked while the config is
 * still here, which records it only once the workers run.
 */
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "serve/serve.h"

int
serve_option(struct serve_opts *o, int ch, const char *arg)
{
	switch (ch) {
	case 'm':
		o->sockmode = arg;
		return 1;
	case 'o':
		o->owner = arg;
		return 1;
	case 's':
		o->address = arg;
		return 1;
	case 'u':
		o->user = arg;
		return 1;
	case 'w':
		o->nworkers = arg;
		return 1;
	default:
		return 0;
	}
}

int
serve_given(const struct serve_opts *o)
{
	return o->address != NULL || o->user != NULL || o->owner != NULL ||
	    o->sockmode != NULL || o->nworkers != NULL;
}

int
serve_check(struct serve_opts *o, char *why, size_t size)
{
	long long	 n;

	if ((o->owner != NULL || o->sockmode != NULL) && (o->address == NULL ||
	    (strncmp(o->address, "unix:", 5) != 0 && o->address[0] != '/'))) {
		snprintf(why, size, "-m and -o apply to a unix socket of our "
		    "own (-s unix:/path)");
		return -1;
	}
	o->lo.mode = 0660;
	if (o->sockmode != NULL) {
		if (num_parse(o->sockmode, 8, 0, 0777, &n) == -1) {
			snprintf(why, size, "-m %s: want an octal mode such "
			    "as 0660", o->sockmode);
			return -1;
		}
		o->lo.mode = (mode_t)n;
	}
	n = sysconf(_SC_NPROCESSORS_ONLN);
	o->workers = n < 2 ? 2 : n > 16 ? 16 : (unsigned)n;
	if (o->nworkers != NULL) {
		if (num_parse(o->nworkers, 10, 1, SERVE_WORKERS_MAX, &n) ==
		    -1) {
			snprintf(why, size, "-w %s: want a number of workers "
			    "from 1 to %d", o->nworkers, SERVE_WORKERS_MAX);
			return -1;
		}
		o->workers = (unsigned)n;
	}
	return 0;
}

/*
 * The first load: file's image in a sealed memfd (*fd, *size), after
 * app's look at the config, and its recorder (rec; none if it cannot be
 * forked, which changes nothing else); 0, or -1 after saying why.
 */
static int
first_load(const struct serve_app *app, const char *file, int *fd,
    size_t *size, struct loader *rec)
{
	struct conf	 conf;
	long		 errors;
	int		 rc = -1;

	memset(rec, 0, sizeof(*rec));
	rec->fd = -1;
	if ((errors = conf_load(&conf, file)) != 0) {
		conf_summary(file, errors);
		return -1;
	}
	if (app->loaded == NULL || app->loaded(&conf) == 0)
		rc = (*fd = loader_image(app, &conf, size)) == -1 ? -1 : 0;
	if (rc == 0)
		loader_recorder(rec, app, &conf);
	conf_free(&conf);
	/* The table's pages go back now, or every worker would share them. */
	malloc_trim(0);
	return rc;
}

int
serve_run(const struct serve_app *app, struct serve_opts *o,
    const char *file, int cgi_request)
{
	struct listener	 l;
	struct loader	 rec;
	struct priv	 priv;
	sigset_t	 set, old;
	size_t		 size;
	int		 image, status = 1;

	if (o->address == NULL && listen_open(&l, NULL, &o->lo) == -1)
		return 1;
	if (o->address == NULL && l.kind == LISTEN_CGI) {
		if (cgi_request && app->cgi != NULL)
			return app->cgi(file);
		fprintf(stderr, "%s: no FastCGI socket on fd 0%s: use -s "
		    "address, or run under a web server or process manager "
		    "(-h for help)\n", app->name, app->cgi != NULL ?
		    " and no CGI request in the environment" : "");
		return 1;
	}
	/*
	 * A reload or a stop signal during the first load waits for its
	 * end, then takes effect; none kills us in the middle of it.
	 */
	supervisor_signals(&set, &old);
	if (first_load(app, file, &image, &size, &rec) == -1)
		return 1;
	/* Who serves, and who owns our socket (the server's user). */
	if (priv_init(&priv, o->user) == -1 || (o->owner != NULL &&
	    priv_parse(o->owner, &o->lo.uid, &o->lo.gid, "-o") == -1))
		goto out;
	o->lo.chown = o->owner != NULL || priv.drop;
	if (o->owner == NULL) {
		o->lo.uid = priv.uid;
		o->lo.gid = priv.gid;
	}
	if (o->address != NULL && listen_open(&l, o->address, &o->lo) == -1)
		goto out;
	/* It closes the image. */
	status = supervisor_run(app, &l, image, size, file, &priv,
	    o->workers, &rec);
	listen_close(&l);
	return status;
out:
	loader_go(&rec, NULL);
	close(image);
	return status;
}
