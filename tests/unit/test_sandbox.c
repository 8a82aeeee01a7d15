/* SPDX-License-Identifier: ISC */
/*
 * The worker's seccomp filter, for real: each row forks a child that
 * applies the very filter a worker installs (sandbox_filter) and then
 * makes one system call.  What serving needs must work; anything else
 * must kill the child with SIGSYS, unless the program added it.
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "serve/serve.h"
#include "unit.h"

static void
call_open(void)
{
	open("/etc/passwd", O_RDONLY);
}

static void
call_execve(void)
{
	char *const	 argv[] = { (char *)"true", NULL };

	execve("/bin/true", argv, NULL);
}

static void
call_socket(void)
{
	socket(AF_INET, SOCK_STREAM, 0);
}

static void
call_socketpair_inet(void)
{
	int	 fd[2];

	socketpair(AF_INET, SOCK_STREAM, 0, fd);
}

static void
call_mmap_exec(void)
{
	mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
}

static void
call_fork(void)
{
	fork();
}

static void
call_kill(void)
{
	kill(1, 0);
}

/* What a worker does while it serves: none of it may be refused. */
static void
call_serving(void)
{
	int	 fd[2];
	char	 c = 'x';
	void	*p;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fd) != 0 ||
	    send(fd[0], &c, 1, MSG_DONTWAIT) != 1 ||
	    recv(fd[1], &c, 1, MSG_DONTWAIT) != 1 ||
	    write(fd[0], &c, 1) != 1 || read(fd[1], &c, 1) != 1 ||
	    fcntl(fd[0], F_SETFL, O_NONBLOCK) != 0 ||
	    shutdown(fd[0], SHUT_WR) != 0)
		_exit(2);
	if ((p = malloc(1 << 20)) == NULL)
		_exit(3);
	free(p);
	if ((p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0)) == MAP_FAILED || munmap(p, 4096) != 0)
		_exit(4);
	close(fd[0]);
	close(fd[1]);
	(void)clock_ms();
}

/* A sealed image's descriptor, already on its way in reload_sock[1]. */
static int	 reload_sock[2] = { -1, -1 };

/* Sends a new sealed memfd of 4096 bytes to reload_sock[1]. */
static int
reload_prepare(void)
{
	char	 c = 'i';
	int	 fd;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, reload_sock) == -1 ||
	    (fd = memfd_create("test", MFD_ALLOW_SEALING)) == -1 ||
	    ftruncate(fd, 4096) == -1 || fcntl(fd, F_ADD_SEALS,
	    F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) == -1)
		return -1;
	if (fdpass_send(reload_sock[0], &c, 1, fd, 0) != 1)
		return -1;
	close(fd);
	return 0;
}

/* What a worker does at a reload (worker.c image_switch): none refused. */
static void
call_reload(void)
{
	char		 c;
	struct stat	 st;
	void		*p;
	int		 fd;

	if (fdpass_recv(reload_sock[1], &c, 1, &fd, MSG_DONTWAIT) != 1 ||
	    fd == -1)
		_exit(2);
	if (fstat(fd, &st) != 0 || st.st_size != 4096 ||
	    fcntl(fd, F_GET_SEALS) == -1)
		_exit(3);
	if ((p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0)) ==
	    MAP_FAILED || munmap(p, 4096) != 0)
		_exit(4);
	close(fd);
	if (send(reload_sock[1], &c, 1, MSG_DONTWAIT) != 1)
		_exit(5);
}

static void
call_stat_path(void)
{
	struct stat	 st;

	stat("/etc/passwd", &st);
}

static void
call_fstatat_empty_cwd(void)
{
	struct stat	 st;

	/* AT_EMPTY_PATH with a path and AT_FDCWD is stat(2) again. */
	fstatat(AT_FDCWD, "/etc/passwd", &st, AT_EMPTY_PATH);
}

static void
call_memfd(void)
{
	memfd_create("x", 0);
}

static void
call_unlink(void)
{
	unlink("/nonexistent/mta-sts-test");
}

/* A program's own calls (serve_app syscalls), as the receiver adds. */
static const int	 extra[] = { SCMP_SYS(unlink) };
static int		 with_extra;

/*
 * Returns the child's status after the filter (with extra if with_extra)
 * and one call.
 */
static int
run(void (*call)(void))
{
	pid_t	 pid;
	int	 status;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		if (sandbox_filter(with_extra ? extra : NULL, with_extra ?
		    sizeof(extra) / sizeof(extra[0]) : 0) != 0)
			_exit(10);
		call();
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

int
main(void)
{
	static const struct {
		const char	*what;
		void		 (*call)(void);
		int		 allowed;
	} rows[] = {
		{ "serving: socketpair, send, recv, read, write, fcntl, "
		    "shutdown, malloc, mmap, close", call_serving, 1 },
		{ "open a file", call_open, 0 },
		{ "execve", call_execve, 0 },
		{ "socket(AF_INET)", call_socket, 0 },
		{ "socketpair(AF_INET)", call_socketpair_inet, 0 },
		{ "mmap with PROT_EXEC", call_mmap_exec, 0 },
		{ "fork", call_fork, 0 },
		{ "kill", call_kill, 0 },
		{ "a reload: recvmsg with a descriptor, fstat, F_GET_SEALS, "
		    "mmap shared read-only, munmap, send", call_reload, 1 },
		{ "stat of a path", call_stat_path, 0 },
		{ "fstatat(AT_FDCWD, path, AT_EMPTY_PATH)",
		    call_fstatat_empty_cwd, 0 },
		{ "memfd_create", call_memfd, 0 },
		{ "unlink", call_unlink, 0 },
		{ "unlink, added by the program", call_unlink, 1 },
		{ "open, not added by the program", call_open, 0 },
	};
	size_t	 i;
	int	 st;

	CHECK(reload_prepare() == 0, "a sealed memfd on its way to a worker");
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		/* The last two rows: with the program's extra calls. */
		with_extra = i + 2 >= sizeof(rows) / sizeof(rows[0]);
		st = run(rows[i].call);
		if (rows[i].allowed)
			CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
			    "seccomp allows %s (status %#x)", rows[i].what, st);
		else
			CHECK(st != -1 && WIFSIGNALED(st) &&
			    WTERMSIG(st) == SIGSYS, "seccomp kills %s with "
			    "SIGSYS (status %#x)", rows[i].what, st);
	}
	return unit_done();
}
