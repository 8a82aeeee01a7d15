/*
 * The FastCGI loop.
 *
 * TERM, INT, HUP and USR1 stay blocked except inside ppoll(), and the
 * listening socket is non-blocking, so a signal can never fall between
 * "check the flags" and "block in accept()": an idle process stops or
 * reloads at once, and a request in progress always finishes first.
 * libfcgi's accept() then only ever runs when a connection is waiting,
 * and returns -EAGAIN when another process took it.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <fcgiapp.h>
#include <fcgios.h>

#include "mta-sts-fcgi.h"

#define BACKOFF_MIN_MS	10
#define BACKOFF_MAX_MS	1000
#define DRAIN_MAX	65536

static volatile sig_atomic_t	 got_stop;
static volatile sig_atomic_t	 got_reload;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		got_reload = 1;
	else
		got_stop = 1;
}

/*
 * Installs the handlers without SA_RESTART (libfcgi's own, from
 * FCGX_Init, are replaced) and blocks the signals; *wait gets the mask
 * to wait with.
 */
static int
serve_signals(sigset_t *wait)
{
	static const int	 sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };
	struct sigaction	 sa;
	sigset_t		 block;
	size_t			 i;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	sa.sa_handler = on_signal;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigaddset(&block, sigs[i]);
		sigaddset(&sa.sa_mask, sigs[i]);
	}
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) == -1) {
			log_warn("sigaction");
			return -1;
		}
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGPIPE, &sa, NULL) == -1 ||
	    sigprocmask(SIG_BLOCK, &block, wait) == -1) {
		log_warn("signals");
		return -1;
	}
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigdelset(wait, sigs[i]);
	return 0;
}

/*
 * SIGHUP: the new config replaces the old one only if it loads without
 * a single error; otherwise every diagnostic is logged and the old
 * policies keep being served.
 */
static void
serve_reload(struct conf *conf, const char *file)
{
	struct conf	 fresh;
	long		 errors;

	if ((errors = conf_load(&fresh, file)) != 0) {
		if (errors > 0)
			log_warnx("%s: reload failed with %ld error%s; still "
			    "serving the previous configuration", file,
			    errors, errors == 1 ? "" : "s");
		else
			log_warnx("%s: reload failed; still serving the "
			    "previous configuration", file);
		return;
	}
	conf_free(conf);
	*conf = fresh;
	log_warnx("%s: reloaded: %zu polic%s for %zu domain%s%s", file,
	    conf->table.npolicies, conf->table.npolicies == 1 ? "y" : "ies",
	    conf->table.ndomains, conf->table.ndomains == 1 ? "" : "s",
	    conf->table.default_policy >= 0 ? " and a default" : "");
}

/*
 * libfcgi's FCGX_Finish_r leaves unread FCGI_STDIN records (at least the
 * empty one that ends every request) in the connection, where they would
 * swallow the next request on a kept connection.  So a kept connection
 * is read to the end of the request's input, up to DRAIN_MAX bytes; a
 * larger body ends the connection instead.
 */
static void
serve_drain(FCGX_Request *req)
{
	char	 buf[4096];
	size_t	 total = 0;
	int	 n;

	while ((n = FCGX_GetStr(buf, sizeof(buf), req->in)) > 0)
		if ((total += (size_t)n) > DRAIN_MAX) {
			req->keepConnection = 0;
			return;
		}
	if (FCGX_GetError(req->in) != 0)
		req->keepConnection = 0;
}

static void
serve_request(FCGX_Request *req, const struct table *t)
{
	struct route_request	 rr;
	struct route_response	 res;

	route_from_env(req->envp, &rr);
	route(t, &rr, &res);
	if (FCGX_PutStr(res.bytes, (int)res.len, req->out) != (int)res.len) {
		req->keepConnection = 0;	/* the client went away */
		return;
	}
	if (req->keepConnection)
		serve_drain(req);
}

int
serve_fastcgi(struct listener *l, struct conf *conf, const char *file)
{
	FCGX_Request	 req;
	struct pollfd	 pfd;
	struct timespec	 ts;
	sigset_t	 wait;
	int		 backoff = 0, rc, flags, logged = 0;

	if (FCGX_Init() != 0) {
		log_warnx("FCGX_Init failed");
		return 1;
	}
	if (serve_signals(&wait) == -1)
		return 1;
	if ((flags = fcntl(l->fd, F_GETFL)) == -1 ||
	    fcntl(l->fd, F_SETFL, flags | O_NONBLOCK) == -1) {
		log_warn("%s", l->name);
		return 1;
	}
	if (FCGX_InitRequest(&req, l->fd, 0) != 0) {
		log_warnx("FCGX_InitRequest failed");
		return 1;
	}

	while (!got_stop) {
		if (got_reload) {
			got_reload = 0;
			serve_reload(conf, file);
		}
		/* A kept connection's next request, or a new connection. */
		pfd.fd = req.ipcFd >= 0 ? req.ipcFd : l->fd;
		pfd.events = POLLIN;
		ts.tv_sec = backoff / 1000;
		ts.tv_nsec = (long)(backoff % 1000) * 1000000L;
		rc = ppoll(&pfd, 1, backoff > 0 ? &ts : NULL, &wait);
		if (rc == -1) {
			if (errno != EINTR) {
				log_warn("poll");
				break;
			}
			continue;
		}
		if (rc == 0) {
			backoff = 0;	/* waited: try accept again */
			continue;
		}
		if (pfd.fd == l->fd && (pfd.revents & POLLNVAL)) {
			log_warnx("%s: no longer a socket", l->name);
			break;
		}

		if ((rc = FCGX_Accept_r(&req)) < 0) {
			if (rc == -EAGAIN || rc == -EWOULDBLOCK || rc == -EINTR)
				continue;
			/*
			 * Out of descriptors or memory, or another error
			 * libfcgi gives up on: retry later, never die of it.
			 */
			if (!logged)
				log_warnx("accept on %s: %s; retrying", l->name,
				    rc > -9000 ? strerror(-rc) :
				    "libfcgi error");
			logged = 1;
			backoff = backoff == 0 ? BACKOFF_MIN_MS :
			    backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
			    backoff * 2;
			continue;
		}
		backoff = 0;
		logged = 0;
		serve_request(&req, &conf->table);
		FCGX_Finish_r(&req);
	}
	FCGX_Free(&req, 1);
	OS_LibShutdown();	/* frees what FCGX_Init allocated */
	return 0;
}
