/* SPDX-License-Identifier: ISC */
/*
 * The channel: libfcgi behind a private socketpair, and the only file
 * that includes fcgiapp.h.
 *
 * Why libfcgi at all, when the worker parses every record itself
 * (wire.c)?  Because building a request's environment and framing its
 * response is what front-ends have been tested against for decades, and
 * libfcgi is that reference.  But one PARAMS record with huge lengths
 * or one GET_VALUES naming four variables aborts it, it has no timeouts,
 * and it loses the second of two pipelined requests, so it never sees a
 * peer: the worker checks
 * a whole request, renders it canonically (wire_canonical), and writes
 * it to its end of the socketpair; libfcgi reads it from the other end,
 * we route by the environment it built, it frames our bytes, and the
 * worker reads those records back and checks them (wire_response_len)
 * before a peer gets them.  libfcgi's end blocks at most CHANNEL_MS,
 * and never has to: a request is written whole before libfcgi reads,
 * and a response fits the socket buffers.  Nothing outside this process
 * can fill or starve the channel.
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <fcgios.h>

#include "fcgi/fcgi.h"

#define CHANNEL_MS	1000	/* one read or write of libfcgi's */
#define CHANNEL_BUF	(256 * 1024)
#define DRAIN_MAX	65536	/* request body libfcgi may hand us */
#define LOG_EVERY_MS	60000	/* one failure message per minute at most */

struct channel {
	FCGX_Request	 req;
	int		 fd[2];		/* ours, libfcgi's */
	int64_t		 logged;	/* rate-limits the failure message */
	unsigned char	 canonical[WIRE_CANONICAL_MAX];
};

int
channel_init(void)
{
	if (FCGX_Init() != 0) {
		log_warnx("FCGX_Init failed");
		return -1;
	}
	return 0;
}

void
channel_shutdown(void)
{
	OS_LibShutdown();	/* what FCGX_Init allocated, in our copy */
}

static void
channel_close(struct channel *ch)
{
	if (ch->fd[0] != -1)
		close(ch->fd[0]);
	if (ch->fd[1] != -1 && ch->req.ipcFd == ch->fd[1])
		close(ch->fd[1]);
	ch->fd[0] = ch->fd[1] = ch->req.ipcFd = -1;
}

/* Our end never blocks; libfcgi's at most CHANNEL_MS.  0 or -1. */
static int
channel_open(struct channel *ch)
{
	struct timeval	 tv = { CHANNEL_MS / 1000, CHANNEL_MS % 1000 * 1000 };
	int		 size = CHANNEL_BUF, i;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ch->fd) == -1) {
		ch->fd[0] = ch->fd[1] = -1;
		return -1;
	}
	for (i = 0; i < 2; i++)
		setsockopt(ch->fd[i], SOL_SOCKET, SO_SNDBUF, &size,
		    sizeof(size));
	ch->req.ipcFd = ch->fd[1];
	if (fcntl(ch->fd[0], F_SETFL, O_NONBLOCK) == -1 ||
	    setsockopt(ch->fd[1], SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv)) == -1 ||
	    setsockopt(ch->fd[1], SOL_SOCKET, SO_SNDTIMEO, &tv,
	    sizeof(tv)) == -1) {
		channel_close(ch);
		return -1;
	}
	return 0;
}

struct channel *
channel_new(void)
{
	struct channel	*ch;

	if ((ch = calloc(1, sizeof(*ch))) == NULL)
		return NULL;
	ch->fd[0] = ch->fd[1] = -1;
	/* No listening socket: libfcgi must never accept on its own. */
	if (FCGX_InitRequest(&ch->req, -1, 0) != 0 || channel_open(ch) == -1) {
		channel_free(ch);
		return NULL;
	}
	return ch;
}

void
channel_free(struct channel *ch)
{
	if (ch == NULL)
		return;
	channel_close(ch);
	FCGX_Free(&ch->req, 0);
	free(ch);
}

/* Writes all of p to our end, which has room for it; 0 or -1. */
static int
channel_send(struct channel *ch, const unsigned char *p, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		n = send(ch->fd[0], p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads what is left of the request's input: an empty STDIN. */
static int
channel_drain(FCGX_Request *req)
{
	char	 buf[512];
	size_t	 total = 0;
	int	 n;

	while ((n = FCGX_GetStr(buf, sizeof(buf), req->in)) > 0)
		if ((total += (size_t)n) > DRAIN_MAX)
			return -1;
	return FCGX_GetError(req->in) == 0 ? 0 : -1;
}

/*
 * libfcgi's part: it reads the canonical request from its end of the
 * channel, we route by the environment it built, it frames our bytes.
 * Returns 0 when the records are all written, -1 if the channel broke.
 */
static int
channel_request(struct channel *ch, const struct image *img, size_t len)
{
	struct route_request	 rr;
	struct route_response	 res;
	int			 ok;

	if (channel_send(ch, ch->canonical, len) == -1)
		return -1;
	/*
	 * libfcgi's kept-connection path reads the next request from
	 * ipcFd instead of accepting; keepConnection = 1 also stops
	 * FCGX_Finish_r from closing the channel, which is ours.
	 */
	ch->req.keepConnection = 1;
	if (FCGX_Accept_r(&ch->req) < 0 || ch->req.ipcFd != ch->fd[1])
		return -1;
	route_from_env(ch->req.envp, &rr);
	route_request(img, &rr, &res);
	ok = FCGX_PutStr(res.bytes, (int)res.len, ch->req.out) ==
	    (int)res.len && channel_drain(&ch->req) == 0;
	ch->req.keepConnection = 1;
	FCGX_Finish_r(&ch->req);
	return ok && ch->req.ipcFd == ch->fd[1] ? 0 : -1;
}

/* Reads libfcgi's response for id back into out; its length, or -1. */
static long
channel_response(struct channel *ch, unsigned id, unsigned char *out,
    size_t size)
{
	ssize_t	 n;
	size_t	 len = 0;
	long	 r;

	/* FCGX_Finish_r has written it all: it is here or never. */
	while ((r = wire_response_len(out, len, id)) == 0) {
		n = recv(ch->fd[0], out + len, size - len, MSG_DONTWAIT);
		if (n <= 0)
			return -1;
		len += (size_t)n;
	}
	return r == (long)len ? r : -1;
}

long
channel_serve(struct channel *ch, const struct image *img,
    const struct wire_parser *wp, unsigned char *out, size_t size)
{
	size_t	 len;
	long	 r;
	int64_t	 now;

	if (ch->fd[0] == -1 && channel_open(ch) == -1)
		goto broken;
	len = wire_canonical(wp, ch->canonical, sizeof(ch->canonical));
	if (len > 0 && channel_request(ch, img, len) == 0 &&
	    (r = channel_response(ch, wp->request_id, out, size)) > 0)
		return r;
broken:
	now = clock_ms();
	if (ch->logged == 0 || now - ch->logged >= LOG_EVERY_MS) {
		log_warnx("channel to libfcgi failed; answering 500 and "
		    "opening a new one");
		ch->logged = now;
	}
	channel_close(ch);
	return -1;
}
