/* SPDX-License-Identifier: ISC */
/*
 * The loader: a reload's config is read, checked and prepared in a child
 * of the supervisor, never in the supervisor itself, so that the
 * supervisor's loop never waits for a load: SIGTERM, a worker's death or
 * another SIGHUP are taken at once, and a loader still reading is simply
 * killed.  The loader writes the prepared policies as an image (image.c)
 * into a memfd, seals it so that nobody can change it any more, hands
 * the descriptor to the supervisor over a socketpair and exits.  The
 * supervisor passes that descriptor on to every worker, which maps it
 * read-only: the workers share its pages, and a reload needs no new
 * worker process and closes no connection.
 *
 * The memfd holds two parts behind a header of their two lengths: the
 * table's image, then the program's own part (struct serve_app), such
 * as mta-sts-report's limits; each is checked by its owner's code.
 *
 * A load that fails says why (file:line, as at start) and sends nothing:
 * the supervisor then changes nothing.
 *
 * A program may keep something of each config it serves outside the
 * image (serve_app record: mta-sts-report dates each policy in its
 * store).  The loader has the config, so once its image is sent it
 * becomes the serving user for good (priv_drop, as a worker does) and
 * records it before it exits: files it creates belong to the workers'
 * user, never to root, and the supervisor, which installs the image as
 * soon as it arrives, never waits for it.  The config loaded at start is
 * recorded by a child forked while the supervisor still holds it, which
 * waits until the workers run (loader_go), so that a config never served
 * is never recorded.  The supervisor treats either as a running loader:
 * a reload waits for it, so records are made in the order the configs
 * were served, and it is killed past SERVE_RECORD_MS.
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "serve/serve.h"

#define SEALS	(F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL)

/* The header: the table image's length, then the program part's. */
#define PARTS_LEN	16

int
loader_image(const struct serve_app *app, const struct conf *conf,
    size_t *sizep)
{
	char		 name[64];
	unsigned char	*p;
	uint64_t	 lens[2];
	size_t		 size;
	int		 fd;

	lens[0] = image_size(&conf->table);
	lens[1] = app->image_size != NULL ? app->image_size(conf) : 0;
	if (lens[0] == 0 || lens[1] > IMAGE_MAX) {
		log_warnx("the configuration is too large to serve: its "
		    "image would exceed %zu bytes", IMAGE_MAX);
		return -1;
	}
	size = PARTS_LEN + (size_t)lens[0] + (size_t)lens[1];
	snprintf(name, sizeof(name), "%s image", app->name);
	if ((fd = memfd_create(name, MFD_ALLOW_SEALING | MFD_CLOEXEC)) ==
	    -1) {
		log_warn("memfd_create");
		return -1;
	}
	if (ftruncate(fd, (off_t)size) == -1 || (p = mmap(NULL, size,
	    PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED) {
		log_warn("image");
		close(fd);
		return -1;
	}
	memcpy(p, lens, sizeof(lens));
	image_write(&conf->table, p + PARTS_LEN, (size_t)lens[0]);
	if (lens[1] > 0)
		app->image_write(conf, p + PARTS_LEN + lens[0],
		    (size_t)lens[1]);
	/* F_SEAL_WRITE needs every writable mapping gone. */
	munmap(p, size);
	if (fcntl(fd, F_ADD_SEALS, SEALS) == -1) {
		log_warn("image seals");
		close(fd);
		return -1;
	}
	*sizep = size;
	return fd;
}

/* Opens the two parts of size bytes at p into si; 0 or -1. */
static int
open_parts(const struct serve_app *app, const unsigned char *p, size_t size,
    struct serve_image *si)
{
	uint64_t	 lens[2];

	memcpy(lens, p, sizeof(lens));
	if (lens[0] > size - PARTS_LEN ||
	    lens[1] != size - PARTS_LEN - lens[0] ||
	    image_open(&si->table, p + PARTS_LEN, (size_t)lens[0]) == -1)
		return -1;
	si->part = p + PARTS_LEN + lens[0];
	si->part_len = (size_t)lens[1];
	if (app->image_check != NULL)
		return app->image_check(si->part, si->part_len);
	return si->part_len == 0 ? 0 : -1;
}

int
loader_check(const struct serve_app *app, int fd, size_t size,
    struct serve_image *si)
{
	struct stat	 st;
	void		*p;

	if (fstat(fd, &st) == -1 || st.st_size < 0 ||
	    (size_t)st.st_size != size || size < PARTS_LEN ||
	    size > PARTS_LEN + 2 * (size_t)IMAGE_MAX ||
	    (fcntl(fd, F_GET_SEALS) & SEALS) != SEALS) {
		log_warnx("image: not a sealed image of %zu bytes", size);
		return -1;
	}
	if ((p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0)) ==
	    MAP_FAILED) {
		log_warn("image: mmap");
		return -1;
	}
	memset(si, 0, sizeof(*si));
	if (open_parts(app, p, size, si) == -1) {
		log_warnx("image: refused by image_open");
		munmap(p, size);
		memset(si, 0, sizeof(*si));
		return -1;
	}
	si->map = p;
	si->map_len = size;
	return 0;
}

void
loader_unmap(struct serve_image *si)
{
	if (si->map != NULL)
		munmap(si->map, si->map_len);
	memset(si, 0, sizeof(*si));
}

/* Sends what the loader made: the counts, and the image's descriptor. */
static int
send_image(int sock, const struct loader_done *done, int fd)
{
	if (fdpass_send(sock, done, sizeof(*done), fd, 0) !=
	    (ssize_t)sizeof(*done)) {
		log_warn("loader: sendmsg");
		return -1;
	}
	return 0;
}

/*
 * What every child of ours that loads or records does first: killed
 * with the supervisor (parent), keeping only fd as 3 and stdio; 0, or
 * -1 if it should exit at once.
 */
static int
child_setup(pid_t parent, int fd)
{
	sigset_t		 none;
	static const int	 stops[] = { SUPERVISOR_STOP_SIGNALS };
	size_t			 i;

	/*
	 * Killed with the supervisor, and by a stop signal (their default:
	 * the supervisor takes them through its signalfd, with no handler).
	 * What the supervisor ignores stays ignored here, and so does
	 * SIGHUP: a reload sent to the whole group (systemctl kill) must
	 * not end the load it asks for.
	 */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		return -1;
	signal(SIGHUP, SIG_IGN);
	/*
	 * Every stop signal ends a load alike (libfcgi's FCGX_Init left
	 * handlers for SIGTERM and SIGUSR1 that would swallow two of them),
	 * and SIGQUIT or SIGXCPU dump no core of a root process's heap.
	 */
	for (i = 0; i < sizeof(stops) / sizeof(*stops); i++)
		signal(stops[i], SIG_DFL);
	prctl(PR_SET_DUMPABLE, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Only the socket to the supervisor and stdio: no worker's socket. */
	if (dup2(fd, 3) == -1)
		return -1;
	close_range(4, ~0U, 0);
	return 0;
}

/*
 * Records conf (serve_app record) as priv's user, saying nothing if
 * quiet, and exits: 0, or LOADER_RECORD_FAILED after saying why.
 */
static void __attribute__((noreturn))
record(const struct serve_app *app, const struct conf *conf,
    const struct priv *priv, pid_t parent, int quiet)
{
	log_quiet = quiet;
	/* Never as root: what it creates is the workers' to write. */
	if (priv_drop(priv) == -1)
		_exit(LOADER_RECORD_FAILED);
	/* The drop cleared both. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	prctl(PR_SET_DUMPABLE, 0);
	if (getppid() != parent)
		_exit(0);
	_exit(app->record(conf) == 0 ? 0 : LOADER_RECORD_FAILED);
}

/* The loader child: loads file, sends the image on sock, records, exits. */
static void __attribute__((noreturn))
loader_child(int sock, const struct serve_app *app, const char *file,
    const struct priv *priv, pid_t parent, int quiet)
{
	struct loader_done	 done;
	struct conf		 conf;
	long			 errors;
	size_t			 size;
	int			 fd;

	if (child_setup(parent, sock) == -1)
		_exit(1);
	if ((errors = conf_load(&conf, file)) != 0) {
		if (errors > 0)
			log_warnx("%s: reload failed with %ld error%s; still "
			    "serving the previous configuration", file,
			    errors, errors == 1 ? "" : "s");
		else
			log_warnx("%s: reload failed; still serving the "
			    "previous configuration", file);
		_exit(1);
	}
	memset(&done, 0, sizeof(done));
	done.npolicies = conf.table.npolicies;
	done.ndomains = conf.table.ndomains;
	done.has_default = conf.table.default_policy >= 0;
	if ((fd = loader_image(app, &conf, &size)) == -1) {
		log_warnx("%s: reload failed; still serving the previous "
		    "configuration", file);
		_exit(1);
	}
	done.size = size;
	if (send_image(3, &done, fd) == -1)
		_exit(1);
	if (app->record == NULL)
		_exit(0);
	close(fd);
	close(3);
	record(app, &conf, priv, parent, quiet);
}

/* The start's recorder: waits for the serving user on go, records. */
static void __attribute__((noreturn))
recorder_child(int go, const struct serve_app *app, const struct conf *conf,
    pid_t parent)
{
	struct priv	 priv;
	ssize_t		 n;

	if (child_setup(parent, go) == -1)
		_exit(1);
	do
		n = read(3, &priv, sizeof(priv));
	while (n == -1 && errno == EINTR);
	/* EOF: the config is not served after all. */
	if (n != (ssize_t)sizeof(priv))
		_exit(0);
	close(3);
	record(app, conf, &priv, parent, 0);
}

int
loader_start(struct loader *ld, const struct serve_app *app, const char *file,
    const struct priv *priv)
{
	pid_t	 parent = getpid();
	int	 sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("loader: socketpair");
		return -1;
	}
	if ((ld->pid = fork()) == -1) {
		log_warn("loader: fork");
		close(sv[0]);
		close(sv[1]);
		ld->pid = 0;
		return -1;
	}
	if (ld->pid == 0) {
		close(sv[0]);
		loader_child(sv[1], app, file, priv, parent, ld->quiet);
	}
	close(sv[1]);
	ld->fd = sv[0];
	return 0;
}

int
loader_receive(struct loader *ld, struct loader_done *done)
{
	ssize_t	 n;
	int	 fd;

	n = fdpass_recv(ld->fd, done, sizeof(*done), &fd, MSG_DONTWAIT);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return -2;
	close(ld->fd);
	ld->fd = -1;
	if (n != (ssize_t)sizeof(*done) && fd != -1) {
		close(fd);
		fd = -1;
	}
	return fd;
}

int
loader_recorder(struct loader *ld, const struct serve_app *app,
    const struct conf *conf)
{
	pid_t	 parent = getpid();
	int	 p[2];

	memset(ld, 0, sizeof(*ld));
	ld->fd = -1;
	if (app->record == NULL)
		return 0;
	if (pipe2(p, O_CLOEXEC) == -1) {
		log_warn("recording the configuration served: pipe");
		return -1;
	}
	if ((ld->pid = fork()) == -1) {
		log_warn("recording the configuration served: fork");
		close(p[0]);
		close(p[1]);
		ld->pid = 0;
		return -1;
	}
	if (ld->pid == 0) {
		close(p[1]);
		recorder_child(p[0], app, conf, parent);
	}
	close(p[0]);
	ld->fd = p[1];
	return 0;
}

void
loader_go(struct loader *ld, const struct priv *priv)
{
	if (ld->fd == -1)
		return;
	/* A pipe takes this much at once; a short write ends it unrecorded. */
	if (priv != NULL && write(ld->fd, priv, sizeof(*priv)) !=
	    (ssize_t)sizeof(*priv))
		log_warn("recording the configuration served");
	close(ld->fd);
	ld->fd = -1;
}
