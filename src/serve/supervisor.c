/* SPDX-License-Identifier: ISC */
/*
 * The supervisor: holds the listening socket and the image every worker
 * serves from (a sealed memfd, loader.c), runs N workers, replaces any
 * that dies at once, reloads by handing a new image to the running
 * workers, and stops them all.
 *
 * A worker that crashes (the responder's libfcgi can be made to abort)
 * costs the connections it held, nothing more: the others keep accepting
 * and the dead one is replaced.  A worker that keeps dying right after it starts
 * is restarted with a growing delay, so a crash loop never spins.
 *
 * A reload never blocks this loop: SIGHUP forks a loader (loader.c),
 * which reads the config and sends back the image's descriptor or
 * nothing; meanwhile signals, deaths and acks are taken as usual, and
 * SIGHUPs that come during a load make one more load after it.  A new
 * image goes to every worker over its own socket, with a generation
 * number; each switches to it between requests and acks, and only when
 * every worker has acked is the reload logged as done.  A load that
 * fails, or a loader that cannot be forked, changes nothing.
 *
 * A program that keeps something of each config served (serve_app
 * record) has it done by the loader once the image is sent, and at
 * start by a recorder let go once the workers run (loader.c), as the
 * serving user.  Neither delays serving: the image is installed as it
 * arrives.  Until it exits it counts as the running loader, so that a
 * SIGHUP meanwhile makes its load after it (records are made in the
 * order configs were served); one still running after SERVE_RECORD_MS
 * (a hung file system) is killed, so that reloads never wait longer.
 * Its failures are said at most once per SERVE_RECORD_QUIET_MS: a
 * reload every few seconds says the same thing once.
 *
 * A worker has at most one image in flight: one it has not taken off
 * its socket yet.  A worker busy for seconds (the receiver's SQLite
 * waiting for a lock or an fsync, or a worker stopped by SIGSTOP) takes
 * nothing meanwhile, and a storm of SIGHUPs would fill its socket; so a
 * newer image waits, and only the newest (the current one, whose
 * descriptor we hold anyway), to be sent when the worker acks what it
 * has, or, if it took an image without acking it (it refused it, said
 * in its log), at the next reload.  No worker is ever killed for being
 * slow: it serves the image it has until it takes the newest, and the
 * reload is not logged as done before that.
 *
 * All signals arrive through a signalfd polled with the sockets, so
 * there are no handlers and no races.  Workers notice the supervisor's
 * death through EOF on their socket (and PR_SET_PDEATHSIG), so none
 * outlives it, even after a SIGKILL.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <linux/sockios.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "serve/serve.h"

#define FAST_DEATH_MS	1000	/* dying this soon after start is a loop */
#define RESTART_MIN_MS	100
#define RESTART_MAX_MS	5000
#define STOP_WAIT_MS	900	/* workers stop within STOP_GRACE_MS */

struct slot {
	pid_t		 pid;		/* 0: not running */
	int		 sock;		/* ours of its socketpair, or -1 */
	uint64_t	 acked;		/* the generation it serves */
	uint64_t	 sent;		/* the newest sent, acked or not */
	int64_t		 started;
	unsigned	 fast_deaths;
	int64_t		 restart_at;	/* 0: not waiting */
	int		 clean_exit;	/* it stopped with status 0 */
};

struct supervisor {
	const struct serve_app	*app;
	struct listener		*l;
	const char		*file;
	const struct priv	*priv;
	unsigned		 nworkers;
	struct slot		*slots;
	struct pollfd		*pfd;		/* signalfd, loader, slots */
	int			 image;		/* the current image's memfd */
	size_t			 image_size;
	uint64_t		 generation;	/* of the current image */
	struct loader_done	 announce;	/* "reloaded" once all ack */
	int			 announcing;
	struct loader		 loader;
	int			 hup_pending;	/* SIGHUP during a load */
	int			 sigfd;
	int			 root_dir;	/* workers' chroot, or -1 */
	int			 recorder_go;	/* the start's recorder's, or -1 */
	int64_t			 record_said;	/* when a record last failed */
	pid_t			 self;
	int			 stopping;
};

static const int	 stop_signals[] = { SUPERVISOR_STOP_SIGNALS };

static void __attribute__((noreturn))
child(struct supervisor *s, int sock)
{
	size_t	 i;

	/*
	 * Signals stay blocked as the supervisor has them: the worker
	 * takes its own only once its handlers are in (worker_setup).
	 * It keeps only its own socket to us, and the image.
	 */
	for (i = 0; i < s->nworkers; i++)
		if (s->slots[i].sock != -1)
			close(s->slots[i].sock);
	if (s->loader.fd != -1)
		close(s->loader.fd);
	if (s->recorder_go != -1)
		close(s->recorder_go);
	close(s->sigfd);
	/* The socket's directory is the supervisor's to clean up. */
	if (s->l->unix_dir != -1)
		close(s->l->unix_dir);
	if (s->root_dir != -1 && sandbox_chroot(s->root_dir) == -1)
		_exit(1);
	if (priv_drop(s->priv) == -1)
		_exit(1);
	/* Set after the drop, which would clear it. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != s->self)
		_exit(0);	/* the supervisor died before we got here */
	_exit(worker_run(s->app, s->l, s->image, s->image_size, sock,
	    s->nworkers));
}

static void
spawn(struct supervisor *s, struct slot *sl, int64_t now)
{
	int	 sv[2];
	pid_t	 pid;

	sl->restart_at = 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("socketpair");
		sl->restart_at = now + RESTART_MAX_MS;
		return;
	}
	if ((pid = fork()) == -1) {
		log_warn("fork");
		close(sv[0]);
		close(sv[1]);
		sl->restart_at = now + RESTART_MAX_MS;
		return;
	}
	if (pid == 0) {
		close(sv[0]);
		child(s, sv[1]);
	}
	close(sv[1]);
	/* Nothing it sends may ever block us. */
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	sl->sock = sv[0];
	sl->pid = pid;
	/* It starts with the current image. */
	sl->acked = sl->sent = s->generation;
	sl->started = now;
}

static const char *
signal_name(int sig)
{
	const char	*d = sigdescr_np(sig);

	return d != NULL ? d : "unknown signal";
}

/* "reloaded" once every running worker serves the current image. */
static void
announce(struct supervisor *s)
{
	const struct loader_done	*d = &s->announce;
	size_t				 i;

	/* Stopping, the workers are going away: nothing was reloaded. */
	if (!s->announcing || s->stopping)
		return;
	for (i = 0; i < s->nworkers; i++)
		if (s->slots[i].pid > 0 && s->slots[i].acked != s->generation)
			return;
	s->announcing = 0;
	log_warnx("%s: reloaded: %llu polic%s for %llu domain%s%s", s->file,
	    (unsigned long long)d->npolicies, d->npolicies == 1 ? "y" : "ies",
	    (unsigned long long)d->ndomains, d->ndomains == 1 ? "" : "s",
	    d->has_default ? " and a default" : "");
}

/*
 * Is a stop signal waiting?  One sent to the whole process group (a
 * terminal's Ctrl-C, kill -- -PGID) can reach the workers, and their
 * exits us, before we have read it.
 */
static int
stop_pending(void)
{
	sigset_t	 p;
	size_t		 i;

	if (sigpending(&p) == -1)
		return 0;
	for (i = 0; i < sizeof(stop_signals) / sizeof(*stop_signals); i++)
		if (sigismember(&p, stop_signals[i]) == 1)
			return 1;
	return 0;
}

/*
 * A worker ended: say why, replace it.  One that stopped cleanly (status
 * 0: a stop signal) is replaced, and said so, after RESTART_MIN_MS: time
 * for a stop sent to the whole group to reach us too, which cancels it.
 */
static void
died(struct supervisor *s, struct slot *sl, int status, int64_t now)
{
	int64_t	 delay = 0;

	sl->pid = 0;
	if (sl->sock != -1)
		close(sl->sock);
	sl->sock = -1;
	if (s->stopping || stop_pending())
		return;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		/* Said when it is restarted: a stop may cancel it. */
		sl->clean_exit = 1;
		sl->restart_at = now + RESTART_MIN_MS;
		return;
	}
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
		    sl->fast_deaths >= 3 ? " after a delay: it keeps dying" :
		    "");
	else
		log_warnx("worker exited with status %d; restarting it%s",
		    WEXITSTATUS(status), sl->fast_deaths >= 3 ?
		    " after a delay: it keeps dying" : "");
	if (delay == 0)
		spawn(s, sl, now);
	else
		sl->restart_at = now + delay;
}

/*
 * The loader ended with status: while it loaded, a signal fails the
 * reload; while it recorded (its image installed), any failure has
 * been said by it, or is said here, unless it was to be quiet.
 */
static void
loader_ended(struct supervisor *s, int status, int64_t now)
{
	struct loader	*ld = &s->loader;
	int64_t		 by = ld->record_by;

	ld->pid = 0;
	ld->record_by = 0;
	if (s->stopping || by == -1)
		return;
	if (by == 0) {
		if (WIFSIGNALED(status))
			log_warnx("%s: reload failed: the loader was killed by "
			    "signal %d (%s); still serving the previous "
			    "configuration", s->file, WTERMSIG(status),
			    signal_name(WTERMSIG(status)));
		return;
	}
	if ((WIFEXITED(status) && WEXITSTATUS(status) == 0) || ld->quiet)
		return;
	if (WIFSIGNALED(status))
		log_warnx("%s: what is served was not recorded: killed by "
		    "signal %d (%s)", s->file, WTERMSIG(status),
		    signal_name(WTERMSIG(status)));
	s->record_said = now;
}

/* Child pid ended with status: a worker, or the loader. */
static void
reaped(struct supervisor *s, pid_t pid, int status, int64_t now)
{
	size_t	 i;

	if (pid == s->loader.pid) {
		loader_ended(s, status, now);
		return;
	}
	for (i = 0; i < s->nworkers; i++)
		if (s->slots[i].pid == pid) {
			died(s, &s->slots[i], status, now);
			announce(s);
			return;
		}
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
 * Is an image we sent still on the worker's socket, not taken?  What
 * we sent and it has not read is charged to our end (SIOCOUTQ); if we
 * cannot tell, it is.
 */
static int
in_flight(const struct slot *sl)
{
	int	 queued;

	if (sl->sent == sl->acked)
		return 0;
	return ioctl(sl->sock, SIOCOUTQ, &queued) == -1 || queued > 0;
}

/*
 * Sends the current image to one worker unless it has it, or has one in
 * flight (then this is called again when it acks).  A full socket
 * (EAGAIN) is tried again the same way, never a reason to kill.  Any
 * other failure kills the worker: its replacement starts with the new
 * image, so none serves the old one after the reload is logged.
 */
static void
offer(struct supervisor *s, struct slot *sl)
{
	struct worker_image	 wi = { s->generation, s->image_size };

	if (sl->pid <= 0 || sl->sock == -1 || sl->sent == s->generation ||
	    in_flight(sl))
		return;
	if (fdpass_send(sl->sock, &wi, sizeof(wi), s->image, MSG_DONTWAIT) ==
	    (ssize_t)sizeof(wi)) {
		sl->sent = s->generation;
		return;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return;
	log_warn("worker %ld: sending the new image", (long)sl->pid);
	kill(sl->pid, SIGKILL);
}

/*
 * The loader's image is checked, becomes the current one and is offered
 * to every worker; the previous one's descriptor is closed (one in
 * flight holds its own).  The loader goes on to record it, if the
 * program records (or is killed, if its image is refused).
 */
static void
install(struct supervisor *s, int fd, const struct loader_done *done,
    int64_t now)
{
	struct serve_image	 img;
	size_t			 i;

	if (loader_check(s->app, fd, done->size, &img) == -1) {
		log_warnx("%s: reload failed; still serving the previous "
		    "configuration", s->file);
		close(fd);
		if (s->loader.pid != 0) {
			kill(s->loader.pid, SIGKILL);
			s->loader.record_by = -1;
		}
		return;
	}
	if (s->app->record != NULL && s->loader.pid != 0)
		s->loader.record_by = now + SERVE_RECORD_MS;
	loader_unmap(&img);
	close(s->image);
	s->image = fd;
	s->image_size = done->size;
	s->generation++;
	s->announce = *done;
	s->announcing = 1;
	for (i = 0; i < s->nworkers; i++)
		offer(s, &s->slots[i]);
	announce(s);
}

/* SIGHUP: a loader, unless one runs already (then one more after it). */
static void
reload(struct supervisor *s)
{
	if (s->loader.pid != 0 || s->loader.fd != -1) {
		s->hup_pending = 1;
		return;
	}
	s->hup_pending = 0;
	s->loader.record_by = 0;
	/* A record that failed said so: the next ones keep quiet a while. */
	s->loader.quiet = s->record_said != 0 &&
	    clock_ms() - s->record_said < SERVE_RECORD_QUIET_MS;
	if (loader_start(&s->loader, s->app, s->file, s->priv) == -1)
		log_warnx("%s: reload failed; still serving the previous "
		    "configuration", s->file);
}

/* The loader's socket is readable: its image, or its failure. */
static void
loader_input(struct supervisor *s, int64_t now)
{
	struct loader_done	 done;
	int			 fd;

	if ((fd = loader_receive(&s->loader, &done)) == -2)
		return;
	if (fd >= 0)
		install(s, fd, &done, now);
}

/*
 * A record past SERVE_RECORD_MS is given up (killed), so that the next
 * reload does not wait for a hung file system.
 */
static void
record_late(struct supervisor *s, int64_t now)
{
	struct loader	*ld = &s->loader;

	if (ld->pid == 0 || ld->record_by <= 0 || now < ld->record_by)
		return;
	kill(ld->pid, SIGKILL);
	ld->record_by = -1;
	if (ld->quiet)
		return;
	log_warnx("%s: what is served was not recorded: still at it after "
	    "%d s; stopped", s->file, SERVE_RECORD_MS / 1000);
	s->record_said = now;
}

/* The start's recorder: it may record now (priv), or never (NULL). */
static void
recorder_go(struct supervisor *s, struct loader *first,
    const struct priv *priv, int64_t now)
{
	loader_go(first, priv);
	s->recorder_go = -1;
	if (priv == NULL || first->pid == 0)
		return;
	s->loader = *first;
	s->loader.record_by = now + SERVE_RECORD_MS;
}

/*
 * A worker's acks, then the newest image if it waited for them; EOF: it
 * is ending (reaped as it does).
 */
static void
worker_input(struct supervisor *s, struct slot *sl)
{
	uint64_t	 gen;
	ssize_t		 n;

	while ((n = recv(sl->sock, &gen, sizeof(gen), MSG_DONTWAIT)) > 0)
		if (n == (ssize_t)sizeof(gen) && gen <= sl->sent &&
		    gen > sl->acked)
			sl->acked = gen;
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
		close(sl->sock);
		sl->sock = -1;
	}
	offer(s, sl);
	announce(s);
}

static size_t
running(const struct supervisor *s)
{
	size_t	 i, n = s->loader.pid != 0;

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
}

/*
 * A stop signal: every worker finishes what it has and exits; a loader
 * is killed at once (what it loads is of no use any more); then we exit.
 */
static void
stop(struct supervisor *s, const sigset_t *set)
{
	struct timespec	 ts;
	siginfo_t	 info;
	int64_t		 deadline, left;
	pid_t		 pid;
	int		 status;

	s->stopping = 1;
	if (s->loader.pid != 0)
		kill(s->loader.pid, SIGKILL);
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

/* One signal from the signalfd; 1 if it says stop. */
static int
on_signal(struct supervisor *s, int sig, int64_t now)
{
	size_t	 i;

	if (sig == SIGCHLD)
		reap(s, now);
	else if (sig == SIGHUP)
		reload(s);
	else
		for (i = 0; i < sizeof(stop_signals) / sizeof(*stop_signals);
		    i++)
			if (sig == stop_signals[i])
				return 1;
	return 0;
}

/* Takes every pending signal; 1 to stop. */
static int
signals(struct supervisor *s, int64_t now)
{
	struct signalfd_siginfo	 si;
	int			 stop_now = 0;

	while (read(s->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		stop_now |= on_signal(s, (int)si.ssi_signo, now);
	return stop_now;
}

/*
 * The poll timeout: until the next delayed restart or a record's
 * deadline, or none (-1).
 */
static int
restart_timeout(const struct supervisor *s, int64_t now)
{
	int64_t	 next = INT64_MAX;
	size_t	 i;

	for (i = 0; i < s->nworkers; i++)
		if (s->slots[i].restart_at > 0 && s->slots[i].restart_at < next)
			next = s->slots[i].restart_at;
	if (s->loader.pid != 0 && s->loader.record_by > 0 &&
	    s->loader.record_by < next)
		next = s->loader.record_by;
	if (next == INT64_MAX)
		return -1;
	return next <= now ? 0 : next - now > 60000 ? 60000 : (int)(next - now);
}

/* Waits for a signal, a socket or a restart time; 0 to go on, 1 to stop. */
static int
wait_once(struct supervisor *s)
{
	struct pollfd	*pfd = s->pfd;
	int64_t		 now;
	size_t		 i, n = s->nworkers;
	int		 stop_now = 0;

	pfd[0].fd = s->sigfd;
	pfd[1].fd = s->loader.fd;
	for (i = 0; i < n; i++)
		pfd[2 + i].fd = s->slots[i].sock;
	for (i = 0; i < n + 2; i++)
		pfd[i].events = POLLIN;
	if (poll(pfd, n + 2, restart_timeout(s, clock_ms())) == -1 &&
	    errno != EINTR) {
		log_warn("poll");
		return 1;
	}
	now = clock_ms();
	if (pfd[1].revents != 0 && s->loader.fd != -1)
		loader_input(s, now);
	for (i = 0; i < n; i++)
		if (pfd[2 + i].revents != 0 && s->slots[i].sock != -1)
			worker_input(s, &s->slots[i]);
	if (pfd[0].revents != 0)
		stop_now = signals(s, now);
	if (stop_now)
		return 1;
	record_late(s, now);
	if (s->hup_pending && s->loader.pid == 0 && s->loader.fd == -1)
		reload(s);
	for (i = 0; i < n; i++)
		if (s->slots[i].restart_at > 0 &&
		    s->slots[i].restart_at <= now) {
			if (s->slots[i].clean_exit)
				log_warnx("worker exited with status 0; "
				    "restarting it");
			s->slots[i].clean_exit = 0;
			spawn(s, &s->slots[i], now);
		}
	return 0;
}

/*
 * Every signal whose default would kill us and that means nothing to us:
 * ignored, so that a stray one cannot take the service down.
 */
static void
ignore_signals(void)
{
	static const int	 ignored[] = {
		SIGPIPE, SIGALRM, SIGVTALRM, SIGPROF, SIGIO, SIGXFSZ,
		SIGSTKFLT,
	};
	size_t			 i;
	int			 sig;

	for (i = 0; i < sizeof(ignored) / sizeof(*ignored); i++)
		signal(ignored[i], SIG_IGN);
	for (sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		signal(sig, SIG_IGN);
}

void
supervisor_signals(sigset_t *set, sigset_t *old)
{
	size_t	 i;

	sigemptyset(set);
	sigaddset(set, SIGCHLD);
	sigaddset(set, SIGHUP);
	for (i = 0; i < sizeof(stop_signals) / sizeof(*stop_signals); i++)
		sigaddset(set, stop_signals[i]);
	ignore_signals();
	sigprocmask(SIG_BLOCK, set, old);
}

/* Everything before the first worker: 0, or -1 (said why). */
static int
prepare(struct supervisor *s, sigset_t *set, sigset_t *old)
{
	if (s->app->init != NULL && s->app->init() == -1)
		return -1;
	supervisor_signals(set, old);
	if ((s->sigfd = signalfd(-1, set, SFD_NONBLOCK | SFD_CLOEXEC)) == -1) {
		log_warn("signalfd");
		return -1;
	}
	/*
	 * Started as root, workers read no file after start but what the
	 * program's own directory holds, if it has one.
	 */
	if (s->priv->drop && (s->root_dir = s->app->root_dir != NULL ?
	    s->app->root_dir() : sandbox_prepare()) == -1)
		return -1;
	/* Workers accept on a non-blocking socket (see worker.c). */
	return listen_nonblock(s->l);
}

int
supervisor_run(const struct serve_app *app, struct listener *l, int image,
    size_t image_size, const char *file, const struct priv *priv,
    unsigned nworkers, struct loader *recorder)
{
	struct supervisor	 s;
	sigset_t		 set, old;
	int64_t			 now;
	size_t			 i;
	int			 rc = 0;

	memset(&s, 0, sizeof(s));
	s.app = app;
	s.l = l;
	s.image = image;
	s.image_size = image_size;
	s.file = file;
	s.priv = priv;
	s.nworkers = nworkers;
	s.self = getpid();
	s.root_dir = -1;
	s.sigfd = -1;
	s.loader.fd = -1;
	s.recorder_go = recorder->fd;	/* no worker keeps it */
	s.slots = calloc(nworkers, sizeof(*s.slots));
	s.pfd = calloc(nworkers + 2, sizeof(*s.pfd));
	if (s.slots == NULL || s.pfd == NULL) {
		log_warn("supervisor");
		rc = 1;
		goto out;
	}
	for (i = 0; i < nworkers; i++)
		s.slots[i].sock = -1;
	if (prepare(&s, &set, &old) == -1) {
		rc = 1;
		goto out;
	}
	now = clock_ms();
	for (i = 0; i < nworkers; i++)
		spawn(&s, &s.slots[i], now);
	/*
	 * Not one worker could start (descriptors or processes exhausted):
	 * refuse to start rather than listen and never answer.
	 */
	if (running(&s) == 0) {
		log_warnx("no worker could be started; not serving");
		rc = 1;
	} else {
		recorder_go(&s, recorder, priv, now);
		while (wait_once(&s) == 0)
			;
	}
	stop(&s, &set);
	sigprocmask(SIG_SETMASK, &old, NULL);
out:
	/* Not served: the config loaded at start is not recorded. */
	loader_go(recorder, NULL);
	for (i = 0; s.slots != NULL && i < nworkers; i++)
		if (s.slots[i].sock != -1)
			close(s.slots[i].sock);
	if (s.loader.fd != -1)
		close(s.loader.fd);
	if (s.sigfd != -1)
		close(s.sigfd);
	if (s.root_dir != -1)
		close(s.root_dir);
	close(s.image);
	if (app->shutdown != NULL)
		app->shutdown();
	free(s.slots);
	free(s.pfd);
	return rc;
}
