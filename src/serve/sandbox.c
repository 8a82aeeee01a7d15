/* SPDX-License-Identifier: ISC */
/*
 * What a worker may still do once it serves.  Workers parse network input
 * in C next to a library that has had memory-corruption bugs, so after
 * their one-time setup they are confined, as OpenBSD's slowcgi pledges
 * itself down:
 *   - started as root, a worker chroots to an empty directory before it
 *     drops privileges: it reads no file after start.  The directory is
 *     made by the supervisor and removed at once, held only by a
 *     descriptor, so it stays empty and nothing is left behind.  A
 *     program with files of its own (mta-sts-report's database) names
 *     their directory instead (serve_app root_dir), and sees no other;
 *   - then, with no_new_privs, a seccomp filter allows only the system
 *     calls serving needs (sandbox_filter), and those the program adds
 *     (serve_app syscalls); any other kills the worker with SIGSYS, and
 *     the supervisor logs that like any other death.
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "serve/serve.h"

/*
 * Serving: epoll, accept, socket I/O, closing; the channel to libfcgi is
 * reopened with socketpair, fcntl and setsockopt if it ever breaks, and
 * libfcgi's own close polls.  Memory: malloc's calls (never executable:
 * mmap is checked below).  Signals: returning from a handler.  Logging
 * writes to stderr.  A reload's image arrives with recvmsg (SCM_RIGHTS),
 * is checked with fstat (below) and fcntl (its seals), mapped read-only
 * with mmap, the old one munmapped, and acked with send.
 */
static const int	 allowed[] = {
	SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_wait), SCMP_SYS(epoll_ctl),
	SCMP_SYS(accept4), SCMP_SYS(accept),
	SCMP_SYS(recvfrom), SCMP_SYS(sendto), SCMP_SYS(read), SCMP_SYS(write),
	SCMP_SYS(recvmsg),
	SCMP_SYS(close), SCMP_SYS(shutdown), SCMP_SYS(setsockopt),
	SCMP_SYS(fcntl), SCMP_SYS(poll), SCMP_SYS(ppoll),
	SCMP_SYS(clock_gettime),
	SCMP_SYS(brk), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(madvise),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(restart_syscall),
	SCMP_SYS(exit), SCMP_SYS(exit_group),
};

/*
 * What the sanitizers' runtimes call on their own, only in those builds
 * and runs: AddressSanitizer's allocator and error path (signal state,
 * thread ids, mprotect for its shadow) and valgrind's core, which maps
 * the code it translates and reads its own files (not in the chroot,
 * where workers started as root have nothing to read).
 */
static const int	 sanitizer_extra[] = {
	SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(tgkill),
	SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigaction),
	SCMP_SYS(rt_sigtimedwait), SCMP_SYS(sigaltstack),
	SCMP_SYS(mprotect), SCMP_SYS(futex), SCMP_SYS(sched_yield),
	SCMP_SYS(prctl), SCMP_SYS(getrlimit), SCMP_SYS(prlimit64),
	SCMP_SYS(getppid), SCMP_SYS(writev),
};
static const int	 valgrind_extra[] = {
	SCMP_SYS(mmap),			/* its translations are code */
	SCMP_SYS(open), SCMP_SYS(openat), SCMP_SYS(readlink),
	SCMP_SYS(newfstatat), SCMP_SYS(fstat), SCMP_SYS(lseek),
	SCMP_SYS(pread64),
	SCMP_SYS(statx),		/* its fstat of a new image's mapping */
};

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || \
    __has_feature(undefined_behavior_sanitizer)
#define SANITIZED	1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED	0
#endif

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define UNDER_VALGRIND	(RUNNING_ON_VALGRIND != 0)
#else
#define UNDER_VALGRIND	0
#endif

int
sandbox_prepare(void)
{
	char	 dir[] = "/tmp/mta-sts-fcgi.empty.XXXXXX";
	int	 fd;

	if (mkdtemp(dir) == NULL) {
		log_warn("mkdtemp %s", dir);
		return -1;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		log_warn("%s", dir);
	/* Held by its descriptor only: empty for good, and never left over. */
	if (rmdir(dir) == -1) {
		log_warn("rmdir %s", dir);
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

int
sandbox_chroot(int dir)
{
	if (fchdir(dir) == -1 || chroot(".") == -1 || chdir("/") == -1) {
		log_warn("chroot to an empty directory");
		return -1;
	}
	close(dir);
	return 0;
}

static int
allow_all(scmp_filter_ctx ctx, const int *calls, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, calls[i], 0) != 0)
			return -1;
	return 0;
}

int
sandbox_filter(const int *extra, size_t nextra)
{
	struct scmp_arg_cmp	 no_exec = {
		2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0
	};
	struct scmp_arg_cmp	 unix_only = { 0, SCMP_CMP_EQ, AF_UNIX, 0 };
	/*
	 * glibc's fstat(fd): newfstatat(fd, "", st, AT_EMPTY_PATH), with
	 * fd not negative (not AT_FDCWD).
	 */
	struct scmp_arg_cmp	 fstat_only[] = {
		{ 0, SCMP_CMP_MASKED_EQ, 0x80000000, 0 },
		{ 3, SCMP_CMP_EQ, AT_EMPTY_PATH, 0 },
	};
	scmp_filter_ctx		 ctx;
	int			 rc = -1;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		log_warn("no_new_privs");
		return -1;
	}
	/*
	 * valgrind 3.19 does not know seccomp(2), by which libseccomp asks
	 * whether KILL_PROCESS exists and loads a filter: there, KILL (of
	 * the thread: a worker has one) and prctl(2), which it passes on.
	 */
	if ((ctx = seccomp_init(UNDER_VALGRIND ? SCMP_ACT_KILL :
	    SCMP_ACT_KILL_PROCESS)) == NULL) {
		log_warnx("seccomp_init failed");
		return -1;
	}
	if (allow_all(ctx, allowed, sizeof(allowed) / sizeof(allowed[0])) ||
	    allow_all(ctx, extra, nextra) ||
	    /* Memory, never code: nothing executable is ever mapped. */
	    seccomp_rule_add_exact_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap),
	    1, &no_exec) != 0 ||
	    /* The channel to libfcgi, and nothing else, is a new socket. */
	    seccomp_rule_add_exact_array(ctx, SCMP_ACT_ALLOW,
	    SCMP_SYS(socketpair), 1, &unix_only) != 0 ||
	    /*
	     * A descriptor's own status, no path: the worker holds no
	     * directory, so a path relative to one it holds is ENOTDIR.
	     */
	    seccomp_rule_add_exact_array(ctx, SCMP_ACT_ALLOW,
	    SCMP_SYS(newfstatat), 2, fstat_only) != 0)
		goto out;
	if ((SANITIZED || UNDER_VALGRIND) && allow_all(ctx, sanitizer_extra,
	    sizeof(sanitizer_extra) / sizeof(sanitizer_extra[0])) != 0)
		goto out;
	if (UNDER_VALGRIND && allow_all(ctx, valgrind_extra,
	    sizeof(valgrind_extra) / sizeof(valgrind_extra[0])) != 0)
		goto out;
	if (seccomp_load(ctx) != 0)
		goto out;
	rc = 0;
out:
	if (rc == -1)
		log_warnx("seccomp filter could not be installed");
	seccomp_release(ctx);
	return rc;
}
