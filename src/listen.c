/*
 * Where the listening socket comes from, decided explicitly in this
 * order (FCGX_IsCGI() gets systemd and -s wrong):
 *   1. -s address: our own socket;
 *   2. LISTEN_PID/LISTEN_FDS for this process: systemd, socket on fd 3;
 *   3. fd 0 is a listening socket: spawn-fcgi, mod_fcgid, lighttpd;
 *   4. otherwise: one plain CGI request.
 */
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

#include "mta-sts-fcgi.h"

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
	char		*end;
	long		 n;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || n < 0)
		return -1;
	return n;
}

/*
 * Removes path only if it is a socket nobody listens on any more: never
 * a file someone else put there, never a live server's socket.
 */
static int
unix_remove_stale(const char *path, const struct sockaddr_un *sun)
{
	struct stat	 st;
	int		 fd, r;

	if (lstat(path, &st) == -1)
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
	if (unlink(path) == -1) {
		log_warn("unlink %s", path);
		return -1;
	}
	return 0;
}

static int
listen_unix(struct listener *l, const char *path,
    const struct listen_opts *o)
{
	struct sockaddr_un	 sun;
	mode_t			 old;
	int			 fd;

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
	if (unix_remove_stale(path, &sun) == -1)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("socket");
		return -1;
	}
	/* Created owner-only, then opened up: never briefly too wide. */
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		log_warn("bind %s", path);
		close(fd);
		return -1;
	}
	umask(old);
	if ((l->unix_path = strdup(path)) == NULL) {
		log_warn("strdup");
		unlink(path);
		close(fd);
		return -1;
	}
	if ((o->chown && chown(path, o->uid, o->gid) == -1) ||
	    chmod(path, o->mode) == -1 || listen(fd, BACKLOG) == -1) {
		log_warn("%s", path);
		unlink(path);
		free(l->unix_path);
		l->unix_path = NULL;
		close(fd);
		return -1;
	}
	l->fd = fd;
	snprintf(l->name, sizeof(l->name), "unix:%s", path);
	return 0;
}

/* host:port, [v6]:port, :port or port; no host means loopback. */
static int
listen_inet(struct listener *l, const char *address)
{
	struct addrinfo	 hints, *res = NULL, *ai;
	char		 host[256], port[16];
	const char	*colon, *h = address, *end;
	size_t		 hlen;
	int		 fd = -1, on = 1, r;

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
	if (hlen >= sizeof(host) || strlen(colon + 1) == 0 ||
	    strlen(colon + 1) >= sizeof(port) ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1))
		goto bad;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	memcpy(port, colon + 1, strlen(colon + 1) + 1);
	if (strtol(port, NULL, 10) < 1 || strtol(port, NULL, 10) > 65535)
		goto bad;
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
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		if (ai->ai_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
			    sizeof(on));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, BACKLOG) == 0)
			break;
		log_warn("bind %s", address);
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		return -1;
	l->fd = fd;
	snprintf(l->name, sizeof(l->name), "%s", address);
	return 0;
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
static int
listen_peers(struct listener *l)
{
	const char	*env = getenv("FCGI_WEB_SERVER_ADDRS"), *p;
	char		 addr[INET6_ADDRSTRLEN + 1];
	size_t		 len;

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
		else if (inet_pton(AF_INET6, addr,
		    &l->peers[l->npeers].v6) == 1)
			l->peers[l->npeers++].family = AF_INET6;
		else
			goto bad;
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
	int	 flags;

	if ((flags = fcntl(l->fd, F_GETFL)) == -1 ||
	    fcntl(l->fd, F_SETFL, flags | O_NONBLOCK) == -1) {
		log_warn("%s", l->name);
		return -1;
	}
	return 0;
}

int
listen_open(struct listener *l, const char *address,
    const struct listen_opts *o)
{
	long	 pid, fds;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	if (listen_peers(l) == -1)
		return -1;
	if (address != NULL) {
		l->kind = LISTEN_OWN;
		if (strncmp(address, "unix:", 5) == 0)
			return listen_unix(l, address + 5, o);
		if (address[0] == '/')
			return listen_unix(l, address, o);
		return listen_inet(l, address);
	}

	pid = env_number("LISTEN_PID");
	fds = env_number("LISTEN_FDS");
	if (pid == (long)getpid() && fds >= 1) {
		/* Children must not take the sockets for their own. */
		unsetenv("LISTEN_PID");
		unsetenv("LISTEN_FDS");
		unsetenv("LISTEN_FDNAMES");
		if (fds != 1) {
			log_warnx("systemd passed %ld sockets; want exactly one",
			    fds);
			return -1;
		}
		if (!is_listening(SYSTEMD_FD)) {
			log_warnx("systemd's fd %d is not a listening socket",
			    SYSTEMD_FD);
			return -1;
		}
		l->kind = LISTEN_SYSTEMD;
		l->fd = SYSTEMD_FD;
		fcntl(l->fd, F_SETFD, FD_CLOEXEC);
		snprintf(l->name, sizeof(l->name), "systemd socket (fd %d)",
		    SYSTEMD_FD);
		return 0;
	}

	if (is_listening(0)) {
		l->kind = LISTEN_INHERITED;
		l->fd = 0;
		snprintf(l->name, sizeof(l->name), "inherited socket (fd 0)");
		return 0;
	}
	l->kind = LISTEN_CGI;
	snprintf(l->name, sizeof(l->name), "CGI");
	return 0;
}

void
listen_close(struct listener *l)
{
	if (l->kind == LISTEN_OWN && l->fd != -1) {
		close(l->fd);
		if (l->unix_path != NULL)
			unlink(l->unix_path);
	}
	free(l->unix_path);
	l->unix_path = NULL;
	l->fd = -1;
}
