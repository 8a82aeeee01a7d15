/* SPDX-License-Identifier: ISC */
/*
 * Where the listening socket comes from, decided explicitly in this
 * order (FCGX_IsCGI() gets systemd and -s wrong):
 *   1. -s address: our own socket;
 *   2. LISTEN_PID/LISTEN_FDS for this process: systemd, socket on fd 3;
 *   3. fd 0 is a listening socket: spawn-fcgi, mod_fcgid, lighttpd;
 *   4. otherwise: one plain CGI request.
 */
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "serve/serve.h"

#define SYSTEMD_FD	3	/* SD_LISTEN_FDS_START */
#define BACKLOG		SOMAXCONN

static int
is_listening(int fd)
{
	int		 v = 0;
	socklen_t	 len = sizeof(v);

	return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == 0 &&
	    v != 0;
}

/* Parses a decimal environment value; -1 if absent or not a number. */
static long
env_number(const char *name)
{
	const char	*s = getenv(name);
	long long	 n;

	if (s == NULL || num_parse(s, 10, 0, INT_MAX, &n) == -1)
		return -1;
	return (long)n;
}

/*
 * Removes name in dir only if it is a socket nobody listens on any more:
 * never a file someone else put there, never a live server's socket.
 */
static int
unix_remove_stale(int dir, const char *name, const char *path,
    const struct sockaddr_un *sun)
{
	struct stat	 st;
	int		 fd, r;

	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return errno == ENOENT ? 0 : (log_warn("%s", path), -1);
	if (!S_ISSOCK(st.st_mode)) {
		log_warnx("%s: exists and is not a socket; not removing it",
		    path);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("socket");
		return -1;
	}
	r = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	close(fd);
	if (r == 0) {
		log_warnx("%s: another process is listening on this socket",
		    path);
		return -1;
	}
	if (errno != ECONNREFUSED) {
		log_warn("%s", path);
		return -1;
	}
	if (unlinkat(dir, name, 0) == -1) {
		log_warn("unlink %s", path);
		return -1;
	}
	return 0;
}

/*
 * A directory of our own beside the socket's: mode 0700, owned by us,
 * held open.  Whoever else may write to the socket's directory cannot
 * enter it, so nothing in it can be swapped for a link.  Returns its fd
 * and fills name, or -1.
 */
static int
private_dir(int dir, char name[32])
{
	struct stat	 st;
	unsigned	 r;
	int		 fd, tries, saved;

	for (tries = 0; tries < 100; tries++) {
		if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
			r = (unsigned)getpid() ^ (unsigned)clock_ms() ^
			    (unsigned)tries << 20;
		snprintf(name, 32, ".mta-sts-fcgi.%08x", r);
		if (mkdirat(dir, name, 0700) == 0)
			break;
		if (errno != EEXIST)
			return -1;
	}
	fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1) {
		/* Out of descriptors, say: leave no directory behind. */
		saved = errno;
		unlinkat(dir, name, AT_REMOVEDIR);
		errno = saved;
		return -1;
	}
	/* Still the one we made, not one put in its place? */
	if (fstat(fd, &st) == -1 || st.st_uid != geteuid() ||
	    (st.st_mode & 07777) != 0700) {
		close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}

/*
 * Binds, owns and opens up the socket inside the private directory,
 * reached through its descriptor, then renames it into place: root never
 * changes a file by a path someone else can redirect.
 */
static int
unix_bind(struct listener *l, int fd, int pdir, const char *base,
    const char *path, const struct listen_opts *o)
{
	struct sockaddr_un	 sun;
	char			 tmp[32];
	mode_t			 old;
	int			 dir, rc = -1;

	if ((dir = private_dir(pdir, tmp)) == -1) {
		log_warn("%s: a private directory beside the socket", path);
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "/proc/self/fd/%d/s",
	    dir);
	old = umask(0777 & ~o->mode);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		log_warn("bind %s", path);
		goto out;
	}
	umask(old);
	if ((o->chown && fchownat(dir, "s", o->uid, o->gid,
	    AT_SYMLINK_NOFOLLOW) == -1) ||
	    fchmodat(dir, "s", o->mode, 0) == -1 ||
	    listen(fd, BACKLOG) == -1 || renameat(dir, "s", pdir, base) == -1) {
		log_warn("%s", path);
		unlinkat(dir, "s", 0);
		goto out;
	}
	l->unix_dir = pdir;
	rc = 0;
out:
	close(dir);
	unlinkat(pdir, tmp, AT_REMOVEDIR);
	return rc;
}

static int
listen_unix(struct listener *l, const char *path,
    const struct listen_opts *o)
{
	struct sockaddr_un	 sun;
	const char		*base;
	char			 dir[sizeof(sun.sun_path)];
	int			 fd = -1, pdir = -1;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (*path != '/') {
		log_warnx("%s: a unix socket path must be absolute", path);
		return -1;
	}
	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_warnx("%s: socket path longer than %zu bytes", path,
		    sizeof(sun.sun_path) - 1);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	base = strrchr(path, '/') + 1;
	if (*base == '\0') {
		log_warnx("%s: names a directory, not a socket", path);
		return -1;
	}
	memcpy(dir, path, (size_t)(base - path));
	dir[base - path] = '\0';
	/* O_PATH: a handle for the *at() calls, no right to list it. */
	if ((pdir = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1) {
		log_warn("%s", dir);
		return -1;
	}
	if (unix_remove_stale(pdir, base, path, &sun) == -1)
		goto fail;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("socket");
		goto fail;
	}
	if ((l->unix_path = strdup(path)) == NULL) {
		log_warn("strdup");
		goto fail;
	}
	if (unix_bind(l, fd, pdir, base, path, o) == -1)
		goto fail;
	l->fds[l->nfds++] = fd;
	snprintf(l->name, sizeof(l->name), "unix:%s", path);
	return 0;
fail:
	free(l->unix_path);
	l->unix_path = NULL;
	if (fd != -1)
		close(fd);
	close(pdir);
	return -1;
}

/* One bound, listening TCP socket for ai; its fd, or -1 (said why). */
static int
listen_inet_one(const struct addrinfo *ai, const char *address)
{
	char	 name[INET6_ADDRSTRLEN];
	int	 fd, on = 1;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
	    ai->ai_protocol);
	if (fd == -1) {
		log_warn("socket for %s", address);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (ai->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
	    listen(fd, BACKLOG) == 0)
		return fd;
	if (getnameinfo(ai->ai_addr, ai->ai_addrlen, name, sizeof(name),
	    NULL, 0, NI_NUMERICHOST) != 0)
		snprintf(name, sizeof(name), "?");
	log_warn("bind %s (%s)", address, name);
	close(fd);
	return -1;
}

/* host:port, [v6]:port, :port or port; no host means loopback. */
static int
listen_inet(struct listener *l, const char *address)
{
	struct addrinfo	 hints, *res = NULL, *ai;
	char		 host[256], port[16];
	const char	*colon, *h = address, *end;
	size_t		 hlen;
	long long	 n;
	int		 fd, r;

	if (address[0] == '[') {
		if ((end = strchr(address, ']')) == NULL || end[1] != ':')
			goto bad;
		h = address + 1;
		hlen = (size_t)(end - h);
		colon = end + 1;
	} else if ((colon = strrchr(address, ':')) != NULL) {
		if (memchr(address, ':', (size_t)(colon - address)) != NULL)
			goto bad;	/* a bare IPv6 address needs [ ] */
		hlen = (size_t)(colon - address);
	} else {
		hlen = 0;
		colon = address - 1;
	}
	if (hlen >= sizeof(host) || strlen(colon + 1) >= sizeof(port) ||
	    num_parse(colon + 1, 10, 1, 65535, &n) == -1)
		goto bad;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	memcpy(port, colon + 1, strlen(colon + 1) + 1);
	if (hlen == 0)
		snprintf(host, sizeof(host), "127.0.0.1");

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
	if ((r = getaddrinfo(host, port, &hints, &res)) != 0) {
		log_warnx("%s: %s", address, gai_strerror(r));
		return -1;
	}
	/* Every address the name has, as nginx does: all or nothing. */
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (l->nfds == LISTEN_FDS_MAX) {
			log_warnx("%s: more than %d addresses", address,
			    LISTEN_FDS_MAX);
			goto fail;
		}
		if ((fd = listen_inet_one(ai, address)) == -1)
			goto fail;
		l->fds[l->nfds++] = fd;
	}
	freeaddrinfo(res);
	snprintf(l->name, sizeof(l->name), "%s", address);
	return 0;
fail:
	freeaddrinfo(res);
	while (l->nfds > 0)
		close(l->fds[--l->nfds]);
	return -1;
bad:
	log_warnx("%s: not a socket address: want unix:/path, /path, "
	    "host:port, [ipv6]:port or :port", address);
	return -1;
}

/*
 * FCGI_WEB_SERVER_ADDRS: the comma-separated addresses of the web servers
 * allowed to connect over TCP.  libfcgi checks it for IPv4 only and only
 * in its own accept; workers accept themselves and check both.
 */
int
listen_peers(struct listener *l, const char *env)
{
	const char	*p;
	char		 addr[INET6_ADDRSTRLEN + 1];
	size_t		 len;
	struct in6_addr	 v6;

	if (env == NULL || *env == '\0')
		return 0;
	for (p = env; *p != '\0'; p += len + (p[len] == ',')) {
		while (*p == ' ')
			p++;
		len = strcspn(p, ", ");
		if (len == 0 || len >= sizeof(addr) ||
		    l->npeers == LISTEN_PEERS_MAX)
			goto bad;
		memcpy(addr, p, len);
		addr[len] = '\0';
		if (inet_pton(AF_INET, addr, &l->peers[l->npeers].v4) == 1)
			l->peers[l->npeers++].family = AF_INET;
		else if (inet_pton(AF_INET6, addr, &v6) != 1)
			goto bad;
		else if (IN6_IS_ADDR_V4MAPPED(&v6)) {
			/*
			 * ::ffff:a.b.c.d names the IPv4 host a.b.c.d: kept as
			 * that, it matches the peer on an IPv4 socket and as
			 * a mapped address on a dual-stack one.
			 */
			memcpy(&l->peers[l->npeers].v4, v6.s6_addr + 12, 4);
			l->peers[l->npeers++].family = AF_INET;
		} else {
			l->peers[l->npeers].v6 = v6;
			l->peers[l->npeers++].family = AF_INET6;
		}
		while (p[len] == ' ')
			len++;
	}
	return 0;
bad:
	log_warnx("FCGI_WEB_SERVER_ADDRS=\"%s\": want up to %d IPv4 or IPv6 "
	    "addresses separated by commas", env, LISTEN_PEERS_MAX);
	return -1;
}

int
listen_peer_allowed(const struct listener *l, const struct sockaddr *sa,
    socklen_t len)
{
	const struct sockaddr_in	*sin = (const void *)sa;
	const struct sockaddr_in6	*sin6 = (const void *)sa;
	size_t				 i;

	if (l->npeers == 0 || (sa->sa_family != AF_INET &&
	    sa->sa_family != AF_INET6))
		return 1;	/* no list, or a unix socket */
	for (i = 0; i < l->npeers; i++) {
		if (sa->sa_family == AF_INET && l->peers[i].family == AF_INET &&
		    len >= sizeof(*sin) &&
		    memcmp(&sin->sin_addr, &l->peers[i].v4, 4) == 0)
			return 1;
		if (sa->sa_family == AF_INET6 && len >= sizeof(*sin6)) {
			if (l->peers[i].family == AF_INET6 &&
			    memcmp(&sin6->sin6_addr, &l->peers[i].v6, 16) == 0)
				return 1;
			/* An IPv4 client of a dual-stack socket. */
			if (l->peers[i].family == AF_INET &&
			    IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr) &&
			    memcmp(sin6->sin6_addr.s6_addr + 12,
			    &l->peers[i].v4, 4) == 0)
				return 1;
		}
	}
	return 0;
}

int
listen_nonblock(const struct listener *l)
{
	size_t	 i;
	int	 flags;

	for (i = 0; i < l->nfds; i++)
		if ((flags = fcntl(l->fds[i], F_GETFL)) == -1 ||
		    fcntl(l->fds[i], F_SETFL, flags | O_NONBLOCK) == -1) {
			log_warn("%s", l->name);
			return -1;
		}
	return 0;
}

/* A socket someone else made: systemd's, fd 0, or none (plain CGI). */
static int
listen_inherited(struct listener *l)
{
	long	 pid, fds;

	pid = env_number("LISTEN_PID");
	fds = env_number("LISTEN_FDS");
	if (pid == (long)getpid() && fds >= 1) {
		/* Children must not take the sockets for their own. */
		unsetenv("LISTEN_PID");
		unsetenv("LISTEN_FDS");
		unsetenv("LISTEN_FDNAMES");
		if (fds != 1) {
			log_warnx("systemd passed %ld sockets; want exactly "
			    "one", fds);
			return -1;
		}
		if (!is_listening(SYSTEMD_FD)) {
			log_warnx("systemd's fd %d is not a listening socket",
			    SYSTEMD_FD);
			return -1;
		}
		l->kind = LISTEN_SYSTEMD;
		l->fds[l->nfds++] = SYSTEMD_FD;
		fcntl(SYSTEMD_FD, F_SETFD, FD_CLOEXEC);
		snprintf(l->name, sizeof(l->name), "systemd socket (fd %d)",
		    SYSTEMD_FD);
		return 0;
	}

	if (is_listening(0)) {
		l->kind = LISTEN_INHERITED;
		l->fds[l->nfds++] = 0;
		snprintf(l->name, sizeof(l->name), "inherited socket (fd 0)");
		return 0;
	}
	l->kind = LISTEN_CGI;
	snprintf(l->name, sizeof(l->name), "CGI");
	return 0;
}

int
listen_open(struct listener *l, const char *address,
    const struct listen_opts *o)
{
	const char	*peers = getenv("FCGI_WEB_SERVER_ADDRS");

	memset(l, 0, sizeof(*l));
	l->unix_dir = -1;
	if (address != NULL) {
		/* Checked before anything is bound. */
		if (listen_peers(l, peers) == -1)
			return -1;
		l->kind = LISTEN_OWN;
		if (strncmp(address, "unix:", 5) == 0)
			return listen_unix(l, address + 5, o);
		if (address[0] == '/')
			return listen_unix(l, address, o);
		return listen_inet(l, address);
	}
	if (listen_inherited(l) == -1)
		return -1;
	/*
	 * Who may connect is a question for sockets only: a plain CGI
	 * request has no peer of ours, so there the variable is ignored,
	 * as libfcgi does, and a value meant for FastCGI cannot take a CGI
	 * site down.
	 */
	if (l->kind != LISTEN_CGI && listen_peers(l, peers) == -1)
		return -1;
	return 0;
}

void
listen_close(struct listener *l)
{
	if (l->kind == LISTEN_OWN) {
		while (l->nfds > 0)
			close(l->fds[--l->nfds]);
		/* By the directory we bound in, not a path resolved anew. */
		if (l->unix_dir != -1) {
			unlinkat(l->unix_dir, strrchr(l->unix_path, '/') + 1,
			    0);
			close(l->unix_dir);
		}
	}
	free(l->unix_path);
	l->unix_path = NULL;
	l->unix_dir = -1;
	l->nfds = 0;
}
