/* SPDX-License-Identifier: ISC */
/*
 * The supervisor: holds the listening socket and the prepared policies
 * (the table, and the image its workers serve from), runs N workers,
 * replaces any that dies at once, reloads by starting a new generation
 * before stopping the old one, and stops them all.
 *
 * A worker that crashes (libfcgi can be made to abort) costs the
 * connections it held, nothing more: the others keep accepting and the
 * dead one is replaced.  A worker that keeps dying right after it starts
 * is restarted with a growing delay, so a crash loop never spins.
 *
 * All signals are taken synchronously with sigtimedwait, so there are no
 * handlers and no races.  Workers notice the supervisor's death through
 * EOF on a pipe (and PR_SET_PDEATHSIG), so none outlives it, even after
 * a SIGKILL.
 */
#include <sys/prctl.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fcgi/fcgi.h"

#define FAST_DEATH_MS	1000	/* dying this soon after start is a loop */
#define RESTART_MIN_MS	100
#define RESTART_MAX_MS	5000
#define STOP_WAIT_MS	900	/* workers stop within STOP_GRACE_MS */

struct slot {
	pid_t		 pid;		/* 0: not running */
	int64_t		 started;
	unsigned	 fast_deaths;
	int64_t		 restart_at;	/* 0: not waiting */
};

struct supervisor {
	struct listener		*l;
	struct conf		*conf;
	struct image		 image;		/* of conf's table */
	unsigned char		*image_buf;
	const char		*file;
	const struct priv	*priv;
	unsigned		 nworkers;
	struct slot		*slots;
	pid_t			*retiring;	/* the old generation */
	size_t			 nretiring;
	int			 pipe[2];	/* EOF: we are gone */
	int			 empty_dir;	/* workers' chroot, or -1 */
	pid_t			 self;
	int			 stopping;
};

static void __attribute__((noreturn))
child(struct supervisor *s)
{
	/*
	 * Signals stay blocked as the supervisor has them: the worker
	 * takes its own only once its handlers are in (worker_setup).
	 */
	close(s->pipe[1]);
	/* The socket's directory is the supervisor's to clean up. */
	if (s->l->unix_dir != -1)
		close(s->l->unix_dir);
	if (s->empty_dir != -1 && sandbox_chroot(s->empty_dir) == -1)
		_exit(1);
	if (priv_drop(s->priv) == -1)
		_exit(1);
	/* Set after the drop, which would clear it. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != s->self)
		_exit(0);	/* the supervisor died before we got here */
	_exit(worker_run(s->l, &s->image, s->pipe[0], s->nworkers));
}

static void
spawn(struct supervisor *s, struct slot *sl, int64_t now)
{
	pid_t	 pid;

	sl->restart_at = 0;
	if ((pid = fork()) == -1) {
		log_warn("fork");
		sl->restart_at = now + RESTART_MAX_MS;
		return;
	}
	if (pid == 0)
		child(s);
	sl->pid = pid;
	sl->started = now;
}

static const char *
signal_name(int sig)
{
	const char	*d = sigdescr_np(sig);

	return d != NULL ? d : "unknown signal";
}

/* A worker of the current generation ended: say why, replace it. */
static void
died(struct supervisor *s, struct slot *sl, int status, int64_t now)
{
	int64_t	 delay = 0;

	sl->pid = 0;
	if (s->stopping)
		return;
	if (now - sl->started < FAST_DEATH_MS)
		sl->fast_deaths++;
	else
		sl->fast_deaths = 0;
	if (sl->fast_deaths >= 3) {
		delay = RESTART_MIN_MS << (sl->fast_deaths - 3 > 6 ? 6 :
		    sl->fast_deaths - 3);
		if (delay > RESTART_MAX_MS)
			delay = RESTART_MAX_MS;
	}
	if (WIFSIGNALED(status))
		log_warnx("worker killed by signal %d (%s); restarting it%s",
		    WTERMSIG(status), signal_name(WTERMSIG(status)),
		    delay > 0 ? " after a delay: it keeps dying" : "");
	else
		log_warnx("worker exited with status %d; restarting it%s",
		    WEXITSTATUS(status),
		    delay > 0 ? " after a delay: it keeps dying" : "");
	if (delay == 0)
		spawn(s, sl, now);
	else
		sl->restart_at = now + delay;
}

/* Child pid ended with status: a worker's slot, or a retired one. */
static void
reaped(struct supervisor *s, pid_t pid, int status, int64_t now)
{
	size_t	 i;

	for (i = 0; i < s->nworkers; i++)
		if (s->slots[i].pid == pid) {
			died(s, &s->slots[i], status, now);
			return;
		}
	for (i = 0; i < s->nretiring; i++)
		if (s->retiring[i] == pid) {
			s->retiring[i] = s->retiring[--s->nretiring];
			break;
		}
	if (WIFSIGNALED(status))
		log_warnx("retired worker killed by signal %d (%s)",
		    WTERMSIG(status), signal_name(WTERMSIG(status)));
	else if (WEXITSTATUS(status) != 0)
		log_warnx("retired worker exited with status %d",
		    WEXITSTATUS(status));
}

/* Every child that has ended, without waiting. */
static void
reap(struct supervisor *s, int64_t now)
{
	pid_t	 pid;
	int	 status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		reaped(s, pid, status, now);
}

/*
 * SIGHUP: the new config must load without a single error.  Then a new
 * generation of workers starts serving it before the old one is told to
 * finish: every request is answered, entirely from one config.
 */
static void
reload(struct supervisor *s, int64_t now)
{
	struct conf	 fresh;
	struct image	 image;
	unsigned char	*buf;
	pid_t		*r;
	long		 errors;
	size_t		 i;

	if ((errors = conf_load(&fresh, s->file)) != 0) {
		if (errors > 0)
			log_warnx("%s: reload failed with %ld error%s; still "
			    "serving the previous configuration", s->file,
			    errors, errors == 1 ? "" : "s");
		else
			log_warnx("%s: reload failed; still serving the "
			    "previous configuration", s->file);
		return;
	}
	if (image_build(&fresh.table, &image, &buf) == -1) {
		log_warnx("%s: reload failed; still serving the previous "
		    "configuration", s->file);
		conf_free(&fresh);
		return;
	}
	if ((r = reallocarray(s->retiring, s->nretiring + s->nworkers,
	    sizeof(*r))) == NULL) {
		log_warn("reload");
		free(buf);
		conf_free(&fresh);
		return;
	}
	s->retiring = r;
	for (i = 0; i < s->nworkers; i++)
		if (s->slots[i].pid > 0)
			s->retiring[s->nretiring++] = s->slots[i].pid;
	conf_free(s->conf);
	*s->conf = fresh;
	free(s->image_buf);
	s->image = image;
	s->image_buf = buf;
	for (i = 0; i < s->nworkers; i++) {
		memset(&s->slots[i], 0, sizeof(s->slots[i]));
		spawn(s, &s->slots[i], now);
	}
	for (i = 0; i < s->nretiring; i++)
		kill(s->retiring[i], SIGTERM);
	log_warnx("%s: reloaded: %zu polic%s for %zu domain%s%s", s->file,
	    s->conf->table.npolicies,
	    s->conf->table.npolicies == 1 ? "y" : "ies",
	    s->conf->table.ndomains, s->conf->table.ndomains == 1 ? "" : "s",
	    s->conf->table.default_policy >= 0 ? " and a default" : "");
}

static size_t
running(const struct supervisor *s)
{
	size_t	 i, n = s->nretiring;

	for (i = 0; i < s->nworkers; i++)
		if (s->slots[i].pid > 0)
			n++;
	return n;
}

static void
signal_all(const struct supervisor *s, int sig)
{
	size_t	 i;

	for (i = 0; i < s->nworkers; i++)
		if (s->slots[i].pid > 0)
			kill(s->slots[i].pid, sig);
	for (i = 0; i < s->nretiring; i++)
		kill(s->retiring[i], sig);
}

/* SIGTERM: every worker finishes what it has and exits; then we do. */
static void
stop(struct supervisor *s, const sigset_t *set)
{
	struct timespec	 ts;
	siginfo_t	 info;
	int64_t		 deadline, left;
	pid_t		 pid;
	int		 status;

	s->stopping = 1;
	signal_all(s, SIGTERM);
	deadline = clock_ms() + STOP_WAIT_MS;
	while (running(s) > 0 && (left = deadline - clock_ms()) > 0) {
		ts = clock_timespec(left);
		if (sigtimedwait(set, &info, &ts) == SIGCHLD)
			reap(s, clock_ms());
	}
	if (running(s) > 0) {
		log_warnx("%zu worker%s did not stop in time; killing them",
		    running(s), running(s) == 1 ? "" : "s");
		signal_all(s, SIGKILL);
		/* Every pid waited for is accounted: running() counts down. */
		while (running(s) > 0 &&
		    (pid = waitpid(-1, &status, 0)) > 0)
			reaped(s, pid, status, clock_ms());
	}
}

/* Waits for one signal or restart time; 0 to go on, 1 to stop. */
static int
wait_once(struct supervisor *s, const sigset_t *set)
{
	struct timespec	 ts;
	siginfo_t	 info;
	int64_t		 now, next = INT64_MAX;
	size_t		 i;
	int		 sig;

	for (i = 0; i < s->nworkers; i++)
		if (s->slots[i].restart_at > 0 && s->slots[i].restart_at < next)
			next = s->slots[i].restart_at;
	now = clock_ms();
	if (next != INT64_MAX)
		ts = clock_timespec(next > now ? next - now : 0);
	sig = sigtimedwait(set, &info, next != INT64_MAX ? &ts : NULL);
	now = clock_ms();
	if (sig == SIGCHLD)
		reap(s, now);
	else if (sig == SIGHUP)
		reload(s, now);
	else if (sig == SIGTERM || sig == SIGINT || sig == SIGUSR1)
		return 1;
	for (i = 0; i < s->nworkers; i++)
		if (s->slots[i].restart_at > 0 && s->slots[i].restart_at <= now)
			spawn(s, &s->slots[i], now);
	return 0;
}

/* Everything before the first worker: 0, or -1 (said why). */
static int
prepare(struct supervisor *s, sigset_t *set, sigset_t *old)
{
	if (channel_init() == -1)
		return -1;
	sigemptyset(set);
	sigaddset(set, SIGCHLD);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGHUP);
	signal(SIGPIPE, SIG_IGN);
	sigprocmask(SIG_BLOCK, set, old);
	/* Started as root, workers read no file after start. */
	if (s->priv->drop && (s->empty_dir = sandbox_prepare()) == -1)
		return -1;
	/* Workers accept on a non-blocking socket (see worker.c). */
	return listen_nonblock(s->l);
}

int
supervisor_run(struct listener *l, struct conf *conf, const char *file,
    const struct priv *priv, unsigned nworkers)
{
	struct supervisor	 s;
	sigset_t		 set, old;
	int64_t			 now;
	size_t			 i;
	int			 rc = 0;

	memset(&s, 0, sizeof(s));
	s.l = l;
	s.conf = conf;
	s.file = file;
	s.priv = priv;
	s.nworkers = nworkers;
	s.self = getpid();
	s.empty_dir = -1;
	if ((s.slots = calloc(nworkers, sizeof(*s.slots))) == NULL ||
	    pipe2(s.pipe, O_CLOEXEC) == -1) {
		log_warn("supervisor");
		free(s.slots);
		return 1;
	}
	if (image_build(&conf->table, &s.image, &s.image_buf) == -1 ||
	    prepare(&s, &set, &old) == -1) {
		rc = 1;
		goto out;
	}
	now = clock_ms();
	for (i = 0; i < nworkers; i++)
		spawn(&s, &s.slots[i], now);
	while (wait_once(&s, &set) == 0)
		;
	stop(&s, &set);
	sigprocmask(SIG_SETMASK, &old, NULL);
out:
	if (s.empty_dir != -1)
		close(s.empty_dir);
	close(s.pipe[0]);
	close(s.pipe[1]);
	channel_shutdown();
	free(s.slots);
	free(s.retiring);
	free(s.image_buf);
	return rc;
}
