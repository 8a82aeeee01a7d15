/* SPDX-License-Identifier: ISC */
/*
 * A raw FastCGI client for tests: sends requests and prints what comes
 * back, with nothing hidden.
 *
 * usage: fcgi-client [-k] [-n count] [-r role] [-b body] address
 *            [NAME=VALUE ...]
 *   address   unix:/path, /path or host:port
 *   -r role   RESPONDER (default), AUTHORIZER, FILTER, or a number
 *   -k        set FCGI_KEEP_CONN
 *   -n count  send the request count times on one connection (implies -k
 *             for all but the last)
 *   -N count  send the request count times, each on a new connection
 *   -b body   send body as FCGI_STDIN
 * Writes each response's FCGI_STDOUT bytes to stdout, its FCGI_STDERR
 * bytes to stderr, and exits 0 if every request got FCGI_END_REQUEST
 * with protocol status REQUEST_COMPLETE; 1 otherwise; 2 on usage.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FCGI_BEGIN_REQUEST	1
#define FCGI_END_REQUEST	3
#define FCGI_PARAMS		4
#define FCGI_STDIN		5
#define FCGI_STDOUT		6
#define FCGI_STDERR		7
#define FCGI_KEEP_CONN		1

static int
connect_to(const char *address)
{
	struct sockaddr_un	 sun;
	struct addrinfo		 hints, *res, *ai;
	char			 host[256];
	const char		*colon;
	int			 fd = -1;

	if (strncmp(address, "unix:", 5) == 0)
		address += 5;
	if (address[0] == '/') {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", address);
		if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
		    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
			perror(address);
			exit(1);
		}
		return fd;
	}
	if ((colon = strrchr(address, ':')) == NULL ||
	    (size_t)(colon - address) >= sizeof(host)) {
		fprintf(stderr, "bad address %s\n", address);
		exit(2);
	}
	if (address[0] == '[') {
		snprintf(host, sizeof(host), "%.*s",
		    (int)(colon - address - 2), address + 1);
	} else
		snprintf(host, sizeof(host), "%.*s", (int)(colon - address),
		    address);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, colon + 1, &hints, &res) != 0) {
		fprintf(stderr, "cannot resolve %s\n", address);
		exit(1);
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype, 0)) == -1)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1) {
		perror(address);
		exit(1);
	}
	return fd;
}

static void
write_all(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) <= 0) {
			perror("write");
			exit(1);
		}
		p += n;
		len -= (size_t)n;
	}
}

/*
 * A whole request is assembled here and written at once, as nginx and
 * Apache write it.
 */
static unsigned char	 out[1 << 20];
static size_t		 outlen;

static void
flush_out(int fd)
{
	write_all(fd, out, outlen);
	outlen = 0;
}

static void
record(int fd, int type, const void *content, size_t len)
{
	unsigned char	 h[8];

	h[0] = 1;
	h[1] = (unsigned char)type;
	h[2] = 0;
	h[3] = 1;
	h[4] = (unsigned char)(len >> 8);
	h[5] = (unsigned char)len;
	h[6] = 0;
	h[7] = 0;
	if (outlen + sizeof(h) + len > sizeof(out))
		flush_out(fd);
	memcpy(out + outlen, h, sizeof(h));
	outlen += sizeof(h);
	if (len > 0) {
		memcpy(out + outlen, content, len);
		outlen += len;
	}
}

static size_t
put_length(unsigned char *p, size_t n)
{
	if (n < 128) {
		p[0] = (unsigned char)n;
		return 1;
	}
	p[0] = (unsigned char)((n >> 24) | 0x80);
	p[1] = (unsigned char)(n >> 16);
	p[2] = (unsigned char)(n >> 8);
	p[3] = (unsigned char)n;
	return 4;
}

static int
read_full(int fd, unsigned char *buf, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		if ((n = read(fd, buf, len)) <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads records until END_REQUEST; returns 0 if the request completed. */
static int
response(int fd)
{
	unsigned char	 h[8], buf[65536 + 256];
	size_t		 len;

	for (;;) {
		if (read_full(fd, h, sizeof(h)) == -1) {
			fprintf(stderr, "fcgi-client: connection closed "
			    "before FCGI_END_REQUEST\n");
			return 1;
		}
		len = (size_t)h[4] << 8 | h[5];
		if (read_full(fd, buf, len + h[6]) == -1) {
			fprintf(stderr, "fcgi-client: short record\n");
			return 1;
		}
		switch (h[1]) {
		case FCGI_STDOUT:
			fwrite(buf, 1, len, stdout);
			break;
		case FCGI_STDERR:
			fwrite(buf, 1, len, stderr);
			break;
		case FCGI_END_REQUEST:
			fflush(stdout);
			return len >= 5 && buf[4] == 0 ? 0 : 1;
		default:
			fprintf(stderr, "fcgi-client: record type %d\n", h[1]);
			return 1;
		}
	}
}

int
main(int argc, char *argv[])
{
	unsigned char	 begin[8], params[65535];
	const char	*role = "RESPONDER", *body = NULL, *eq;
	size_t		 plen, nlen, vlen;
	int		 ch, fd, keep = 0, count = 1, conns = 1, i, k, r, rc = 0;
	int		 c;

	while ((ch = getopt(argc, argv, "b:kn:N:r:")) != -1) {
		switch (ch) {
		case 'b':
			body = optarg;
			break;
		case 'k':
			keep = 1;
			break;
		case 'n':
			count = atoi(optarg);
			break;
		case 'N':
			conns = atoi(optarg);
			break;
		case 'r':
			role = optarg;
			break;
		default:
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || count < 1 || conns < 1)
		return 2;
	if (strcmp(role, "RESPONDER") == 0)
		r = 1;
	else if (strcmp(role, "AUTHORIZER") == 0)
		r = 2;
	else if (strcmp(role, "FILTER") == 0)
		r = 3;
	else
		r = atoi(role);

	for (c = 0; c < conns; c++) {
	fd = connect_to(argv[0]);
	for (k = 0; k < count; k++) {
		memset(begin, 0, sizeof(begin));
		begin[0] = (unsigned char)(r >> 8);
		begin[1] = (unsigned char)r;
		begin[2] = keep || k + 1 < count ? FCGI_KEEP_CONN : 0;
		record(fd, FCGI_BEGIN_REQUEST, begin, sizeof(begin));
		for (plen = 0, i = 1; i < argc; i++) {
			if ((eq = strchr(argv[i], '=')) == NULL)
				return 2;
			nlen = (size_t)(eq - argv[i]);
			vlen = strlen(eq + 1);
			if (plen + nlen + vlen + 8 > sizeof(params)) {
				record(fd, FCGI_PARAMS, params, plen);
				plen = 0;
			}
			plen += put_length(params + plen, nlen);
			plen += put_length(params + plen, vlen);
			memcpy(params + plen, argv[i], nlen);
			memcpy(params + plen + nlen, eq + 1, vlen);
			plen += nlen + vlen;
		}
		if (plen > 0)
			record(fd, FCGI_PARAMS, params, plen);
		record(fd, FCGI_PARAMS, NULL, 0);
		if (body != NULL && *body != '\0')
			record(fd, FCGI_STDIN, body, strlen(body));
		record(fd, FCGI_STDIN, NULL, 0);
		flush_out(fd);
		if (response(fd) != 0)
			rc = 1;
	}
	close(fd);
	}
	return rc;
}
