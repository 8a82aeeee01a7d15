/* SPDX-License-Identifier: ISC */
/*
 * A worker: one unprivileged process serving many connections.
 *
 * The worker alone reads and writes its peers' sockets.  It accepts
 * connections itself, watches them with epoll (edge-triggered), and
 * consumes whatever a peer sends into the connection's parser (wire.c),
 * so the kernel's buffers never decide whether a request fits, and a
 * pipelined request is simply the next one.  A whole, checked request is
 * then answered by the program (struct serve_app's serve: the
 * responder's goes through libfcgi over a private socketpair, channel.c;
 * the receiver's reads the parser's request itself), and the worker
 * writes the records it returns to the peer without blocking, buffering
 * for a slow reader.  So nothing but the parser ever reads a byte a peer
 * chose off its socket, and nothing but the worker reads, writes or
 * closes a peer's socket.
 *
 * Every connection is in one state, each with its deadline: reading a
 * request (READ_MS from its first byte), writing (WRITE_MS in all from
 * when output first waits, however many pipelined answers follow: what
 * a peer sends is not read while output waits for it), idle between
 * requests (KEEP_IDLE_MS), or lingering after a refusal (LINGER_MS).  A
 * kept connection is only closed after looking for a request that has
 * already arrived: one found is served instead.  When every slot is
 * taken, a connection in any state makes room, in evict()'s order.
 *
 * Signals: the stop signals (TERM, INT, QUIT, USR1, USR2, XCPU, PWR)
 * stop the worker gracefully (no new connections, idle ones closed as
 * above, requests in progress finished within STOP_GRACE_MS); HUP is
 * the supervisor's and ignored here.  They stay blocked outside
 * epoll_pwait, so none is lost between a check and a wait.
 *
 * Kept bodies (the receiver's: serve_app keep_body) share one budget
 * per worker, WORKER_BODY_BUDGET times body_max, so that peers sending
 * bodies slowly on many connections cannot make a worker hold a body_max
 * per connection.  A request's body is read only once its room (its
 * CONTENT_LENGTH, else body_max: wire.c) is granted from the budget;
 * until then the connection is not read, and what its peer sends waits
 * in the kernel (a front-end such as nginx waits to send).  Room freed
 * goes to the smallest waiting request first, so a report of a few KB
 * does not wait behind a peer's body_max.  A request that has had its
 * room for BODY_GRACE_MS while another waits is answered 503 (the
 * sender retries, RFC 8460 §5.5) and gives it up: a body relayed by a
 * front-end arrives in milliseconds, so only a slow peer, or a worker
 * far behind, loses it, and no peer holds room for long while others
 * wait.
 *
 * Requests are answered from an image (loader.c) mapped read-only from a
 * sealed memfd.  At a reload the supervisor sends a new one over this
 * worker's socket; it is checked, mapped and switched to between two
 * events, so never in the middle of a request, and the old one is
 * unmapped at once: an answer's bytes are copied out of the image (into
 * the response buffer, then the connection's) before serve() returns,
 * so nothing refers to it any more.  The new generation is then acked.
 * Only EOF on that socket means the supervisor is gone; anything else
 * unexpected there is logged and ignored.
 */
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "serve/serve.h"

#define READ_MS		5000	/* a whole request, from its first byte */
#define WRITE_MS	5000	/* output waiting, until none is left */
#define KEEP_IDLE_MS	75000	/* longer than nginx's 60 s keepalive */
#define LINGER_MS	2000	/* reading what follows our error reply */
#define BODY_GRACE_MS	1000	/* a kept body's room, while others wait */
#define STOP_GRACE_MS	500	/* for requests in progress at SIGTERM */
#define BACKOFF_MS	100	/* accept paused after EMFILE and the like */
#define SPARE_FDS	2	/* accept before eviction; one passed to us */
#define FDS_PROBE	4096	/* descriptors looked at for the slots */
#define EVENTS		64
#define ACCEPT_BATCH	64
#define TAG_PARENT	((uint64_t)1)
#define TAG_LISTEN	((uint64_t)16)	/* + index of the socket */

enum conn_state {
	CONN_READ,	/* waiting for a whole request */
	CONN_IDLE,	/* kept between requests */
	CONN_WRITE,	/* a response not yet all taken by the peer */
	CONN_LINGER,	/* our last reply sent: discard input until EOF */
	CONN_STATES,
};

static const int	 state_ms[CONN_STATES] = {
	READ_MS, KEEP_IDLE_MS, WRITE_MS, LINGER_MS,
};

enum conn_end {
	END_NONE,	/* another request may follow */
	END_CLOSE,	/* close once the output is written */
	END_LINGER,	/* then half-close and discard input until EOF */
};

struct conn {
	int			 fd;
	enum conn_state		 state;
	int64_t			 deadline;
	struct conn		*prev, *next;	/* in its state's list */
	struct wire_parser	 wp;
	enum conn_end		 end;
	unsigned		 requests;	/* answered on this one */
	int			 watch_out;	/* EPOLLOUT requested */
	unsigned char		*out;		/* not yet taken by the peer */
	size_t			 out_off, out_len, out_cap;
	unsigned char		*in;		/* input read but not parsed */
	size_t			 in_len;
	size_t			 held;		/* of the body budget */
	int64_t			 held_at;	/* since when */
	int			 waiting;	/* for room, in the waiters */
	struct conn		*wait_prev, *wait_next;
};

/* Connections by state, oldest deadline first: expiry is O(1). */
struct conn_list {
	struct conn	*head, *tail;
};

struct worker {
	const struct serve_app	*app;
	const struct listener	*l;
	struct serve_image	 current;	/* mapped */
	int			 epfd;
	int			 parent_fd;	/* the supervisor's socket */
	struct conn		*conns;
	size_t			 max_conns;
	size_t			 used;		/* slots ever taken */
	struct conn		*free;
	size_t			 nconns;
	struct conn_list	 lists[CONN_STATES];
	int			 listening;	/* listen fds in epoll */
	int64_t			 accept_at;	/* resume after backoff */
	int			 stopping;
	int64_t			 stop_at;
	int64_t			 accept_logged;	/* rate-limits the message */
	unsigned		 nworkers;
	unsigned		 total_conns;	/* FCGI_MAX_CONNS */
	size_t			 body_max;	/* under the current image */
	size_t			 body_budget;	/* for kept bodies; 0: none */
	size_t			 body_held;	/* granted of it */
	struct conn		*wait_head, *wait_tail;	/* for room */
	int64_t			 budget_at;	/* a holder's grace ends */
	int64_t			 budget_logged;	/* rate-limits the message */
	void			*ctx;		/* the app's (worker_start) */
	unsigned char		 input[65536];
	unsigned char		 response[2 * 65536];
};

static volatile sig_atomic_t	 got_stop;

static void
on_stop(int sig)
{
	(void)sig;
	got_stop = 1;
}

static void
list_remove(struct conn_list *list, struct conn *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		list->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		list->tail = c->prev;
	c->prev = c->next = NULL;
}

/* Links c, in no list yet, as the newest of state, deadline from now. */
static void
list_append(struct worker *w, struct conn *c, enum conn_state state,
    int64_t now)
{
	struct conn_list	*list = &w->lists[state];

	c->state = state;
	c->deadline = now + state_ms[state];
	c->prev = list->tail;
	c->next = NULL;
	if (list->tail != NULL)
		list->tail->next = c;
	else
		list->head = c;
	list->tail = c;
}

/* Moves c to state, with that state's deadline from now. */
static void
conn_set(struct worker *w, struct conn *c, enum conn_state state,
    int64_t now)
{
	list_remove(&w->lists[c->state], c);
	list_append(w, c, state, now);
}

static void
wait_remove(struct worker *w, struct conn *c)
{
	if (c->wait_prev != NULL)
		c->wait_prev->wait_next = c->wait_next;
	else
		w->wait_head = c->wait_next;
	if (c->wait_next != NULL)
		c->wait_next->wait_prev = c->wait_prev;
	else
		w->wait_tail = c->wait_prev;
	c->wait_prev = c->wait_next = NULL;
	c->waiting = 0;
}

static void
wait_add(struct worker *w, struct conn *c)
{
	c->waiting = 1;
	c->wait_prev = w->wait_tail;
	c->wait_next = NULL;
	if (w->wait_tail != NULL)
		w->wait_tail->wait_next = c;
	else
		w->wait_head = c;
	w->wait_tail = c;
}

/* Does the room c's body needs fit in what the budget has left? */
static int
body_fits(const struct worker *w, const struct conn *c)
{
	return w->body_held <= w->body_budget &&
	    c->wp.body_need <= w->body_budget - w->body_held;
}

/*
 * Grants c the room its body needs (WIRE_NEED_BODY), or has it wait for
 * it: 1 if granted, 0 if waiting, -1 if out of memory.
 */
static int
body_grant(struct worker *w, struct conn *c, int64_t now)
{
	if (!body_fits(w, c)) {
		if (!c->waiting)
			wait_add(w, c);
		return 0;
	}
	if (c->waiting)
		wait_remove(w, c);
	if (wire_reserve(&c->wp) == -1)
		return -1;
	c->held = c->wp.body_need;
	c->held_at = now;
	w->body_held += c->held;
	return 1;
}

/* c's body and its room are done with: freed, and back in the budget. */
static void
body_free(struct worker *w, struct conn *c)
{
	if (c->waiting)
		wait_remove(w, c);
	w->body_held -= c->held;
	c->held = 0;
	wire_release(&c->wp);
}

/* Closes c and frees its slot. */
static void
conn_drop(struct worker *w, struct conn *c)
{
	body_free(w, c);
	list_remove(&w->lists[c->state], c);
	close(c->fd);		/* also removes it from epoll */
	wire_free(&c->wp);
	free(c->out);
	free(c->in);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->next = w->free;
	w->free = c;
	w->nconns--;
}

static void
listen_watch(struct worker *w, int on)
{
	struct epoll_event	 ev;
	size_t			 i;

	if (on == w->listening)
		return;
	for (i = 0; i < w->l->nfds; i++) {
		if (!on) {
			epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->l->fds[i], NULL);
			continue;
		}
		/* Level-triggered and exclusive: one worker wakes per burst. */
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN | EPOLLEXCLUSIVE;
		ev.data.u64 = TAG_LISTEN + i;
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->l->fds[i], &ev) == -1)
			log_warn("epoll_ctl");
	}
	w->listening = on;
}

/* Asks epoll for writability only while output waits. */
static int
watch_out(struct worker *w, struct conn *c, int on)
{
	struct epoll_event	 ev;

	if (c->watch_out == on)
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET | (on ? EPOLLOUT : 0);
	ev.data.ptr = c;
	if (epoll_ctl(w->epfd, EPOLL_CTL_MOD, c->fd, &ev) == -1)
		return -1;
	c->watch_out = on;
	return 0;
}

static int
out_pending(const struct conn *c)
{
	return c->out_off < c->out_len;
}

/* Sends what fits without blocking; returns the bytes sent, or -1. */
static ssize_t
send_some(int fd, const unsigned char *p, size_t len)
{
	ssize_t	 n;
	size_t	 sent = 0;

	while (sent < len) {
		n = send(fd, p + sent, len - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0)
			sent += (size_t)n;
		else if (n == -1 && errno == EINTR)
			continue;
		else if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		else
			return -1;
	}
	return (ssize_t)sent;
}

/*
 * Writes bytes to the peer after what is already waiting, keeping what
 * it does not take now.  0, or -1 if the connection is dead.
 */
static int
out_queue(struct worker *w, struct conn *c, const unsigned char *p,
    size_t len)
{
	ssize_t		 n = 0;

	if (!out_pending(c)) {
		c->out_off = c->out_len = 0;
		if ((n = send_some(c->fd, p, len)) == -1)
			return -1;
		if ((size_t)n == len)
			return 0;
	}
	p += n;
	len -= (size_t)n;
	if (buf_append(&c->out, &c->out_len, &c->out_cap, 4096, p, len) == -1)
		return -1;
	return watch_out(w, c, 1);
}

/* Sends waiting output; 0, or -1 if the connection is dead. */
static int
out_flush(struct worker *w, struct conn *c)
{
	ssize_t	 n;

	n = send_some(c->fd, c->out + c->out_off, c->out_len - c->out_off);
	if (n == -1)
		return -1;
	c->out_off += (size_t)n;
	if (out_pending(c))
		return 0;
	c->out_off = c->out_len = 0;
	if (c->out_cap > 65536) {
		free(c->out);
		c->out = NULL;
		c->out_cap = 0;
	}
	return watch_out(w, c, 0);
}

/* Our own reply: the app's canned status for the request being read. */
static int
reply_status(struct worker *w, struct conn *c, unsigned id, int status)
{
	const char	*bytes;
	size_t		 len, n;

	bytes = w->app->status(status, &c->wp, &len);
	n = wire_response(id, bytes, len, w->response, sizeof(w->response));
	return out_queue(w, c, w->response, n);
}

/* Answers the request the parser has just completed. */
static int
serve(struct worker *w, struct conn *c)
{
	const struct wire_parser	*wp = &c->wp;
	size_t				 n;
	long				 r;

	c->requests++;
	if (wp->role < WIRE_RESPONDER || wp->role > WIRE_FILTER) {
		/* As libfcgi would, but saying why. */
		n = wire_end_request(wp->request_id, WIRE_UNKNOWN_ROLE,
		    w->response, sizeof(w->response));
		c->end = END_CLOSE;
		return out_queue(w, c, w->response, n);
	}
	if (!wp->keep_conn)
		c->end = END_CLOSE;
	if ((r = w->app->serve(w->ctx, &w->current, wp, w->response,
	    sizeof(w->response))) <= 0)
		return reply_status(w, c, wp->request_id, 500);
	return out_queue(w, c, w->response, (size_t)r);
}

/* FastCGI 1.0 §5.4: an aborted request ends with its END_REQUEST. */
static int
aborted(struct worker *w, struct conn *c)
{
	size_t	 n;

	c->requests++;
	if (!c->wp.keep_conn)
		c->end = END_CLOSE;
	n = wire_end_request(c->wp.request_id, WIRE_REQUEST_COMPLETE,
	    w->response, sizeof(w->response));
	return out_queue(w, c, w->response, n);
}

/*
 * Feeds input to c's parser and acts on what it finds.  Returns the
 * bytes taken (fewer than len when output waits or the connection is to
 * end), or -1 if the connection must be closed now.
 */
static long
conn_input(struct worker *w, struct conn *c, const unsigned char *p,
    size_t len, int64_t now)
{
	unsigned char	 reply[WIRE_MANAGEMENT_MAX];
	size_t		 at = 0, used, n;
	int		 rc = 0;

	wire_limit(&c->wp, w->body_max, w->app->keep_body);
	while (at < len && rc == 0 && !out_pending(c) && c->end == END_NONE &&
	    !c->waiting) {
		switch (wire_feed(&c->wp, p + at, len - at, &used)) {
		case WIRE_MORE:
			break;
		case WIRE_NEED_BODY:
			/* Waiting: the rest is kept, and not read on. */
			if (body_grant(w, c, now) == -1)
				return -1;
			break;
		case WIRE_GOT_MANAGEMENT:
			n = wire_management(&c->wp, w->total_conns, reply,
			    sizeof(reply));
			rc = out_queue(w, c, reply, n);
			break;
		case WIRE_GOT_FOREIGN_BEGIN:
			n = wire_end_request(c->wp.foreign_id,
			    WIRE_CANT_MPX_CONN, reply, sizeof(reply));
			rc = out_queue(w, c, reply, n);
			break;
		case WIRE_GOT_REQUEST:
			rc = serve(w, c);
			body_free(w, c);
			break;
		case WIRE_GOT_ABORT:
			rc = aborted(w, c);
			body_free(w, c);
			break;
		case WIRE_BAD_HEAD:
			/* The rest of the request is discarded unread. */
			c->end = END_LINGER;
			rc = reply_status(w, c, c->wp.request_id, 400);
			break;
		case WIRE_BODY_TOO_LARGE:
			c->end = END_LINGER;
			rc = reply_status(w, c, c->wp.request_id, 413);
			body_free(w, c);
			break;
		case WIRE_INVALID:
			return -1;
		}
		at += used;
	}
	if (rc == -1)
		return -1;
	/* Input after the last request: close without resetting it away. */
	if (c->end == END_CLOSE && at < len)
		c->end = END_LINGER;
	return (long)at;
}

/* Keeps input that could not be parsed yet (output is waiting). */
static int
conn_keep_input(struct conn *c, const unsigned char *p, size_t len)
{
	unsigned char	*b;

	if (len == 0)
		return 0;
	if ((b = malloc(len)) == NULL)
		return -1;
	memcpy(b, p, len);
	free(c->in);
	c->in = b;
	c->in_len = len;
	return 0;
}

/* After output and input are done with: the state the connection is in. */
static void
conn_settle(struct worker *w, struct conn *c, int answered, int64_t now)
{
	enum conn_state	 want;

	if (out_pending(c))
		want = CONN_WRITE;
	else if (!wire_between_requests(&c->wp))
		want = CONN_READ;
	else
		want = c->requests > 0 ? CONN_IDLE : CONN_READ;
	/*
	 * An answer restarts the clock of reading or idling (the next
	 * request's time, or idle time); a management record alone does
	 * not.  Nothing restarts the write budget: a peer that takes a
	 * little now and then, while answers to its pipelined requests
	 * follow, has WRITE_MS in all to take them, not WRITE_MS each.
	 */
	if (want != c->state || (answered && want != CONN_WRITE))
		conn_set(w, c, want, now);
}

/* The last output is written: close, or half-close and linger. */
static void
conn_end(struct worker *w, struct conn *c, int64_t now)
{
	if (c->end == END_CLOSE) {
		conn_drop(w, c);
		return;
	}
	shutdown(c->fd, SHUT_WR);
	free(c->in);
	c->in = NULL;
	c->in_len = 0;
	conn_set(w, c, CONN_LINGER, now);
}

/* Discards input until EOF (the deadline ends it otherwise). */
static void
conn_linger(struct worker *w, struct conn *c)
{
	ssize_t	 n;

	while ((n = recv(c->fd, w->input, sizeof(w->input),
	    MSG_DONTWAIT)) > 0)
		;
	if (n == 0 || (errno != EAGAIN && errno != EINTR))
		conn_drop(w, c);
}

/*
 * Reads what the peer sent into the parser, until the kernel has no
 * more, an answer waits to be written, the connection is ending, or a
 * body waits for room.  0, or -1 if the connection is to be dropped.
 */
static int
conn_read(struct worker *w, struct conn *c, int64_t now)
{
	ssize_t		 n;
	long		 took;

	while (!out_pending(c) && c->end == END_NONE && c->in_len == 0 &&
	    !c->waiting) {
		n = recv(c->fd, w->input, sizeof(w->input), MSG_DONTWAIT |
		    (w->app->keep_body ? MSG_PEEK : 0));
		if (n == 0)
			return -1;	/* EOF: nothing more to answer */
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n == -1)
			return -1;
		if ((took = conn_input(w, c, w->input, (size_t)n, now)) == -1)
			return -1;
		/*
		 * A program that keeps bodies only peeked: what the parser
		 * took is read now, and the rest stays in the kernel, not
		 * here, whatever waits (room, the peer reading, the end).
		 */
		if (w->app->keep_body) {
			if (took > 0 && recv(c->fd, w->input, (size_t)took,
			    MSG_DONTWAIT) != took)
				return -1;
		} else if (c->end == END_NONE && conn_keep_input(c,
		    w->input + took, (size_t)(n - took)) == -1)
			return -1;
		if (took < n)
			break;
		/*
		 * A short read took all there was: whatever arrives next
		 * raises a new edge, so asking again would only be told
		 * EAGAIN (a system call per request saved, as nginx does).
		 * Not where bodies are kept: a connection that waited for
		 * room was not read, and the edges that came meanwhile (its
		 * EOF among them) are gone.
		 */
		if ((size_t)n < sizeof(w->input) && !w->app->keep_body)
			break;
	}
	return 0;
}

/*
 * Everything a connection needs after an event: send waiting output,
 * parse what was kept and what has arrived, settle its state.
 */
static void
conn_run(struct worker *w, struct conn *c, int64_t now)
{
	unsigned	 before = c->requests;
	long		 took;

	if (c->state == CONN_LINGER) {
		conn_linger(w, c);
		return;
	}
	if (out_pending(c) && out_flush(w, c) == -1)
		goto drop;
	if (!out_pending(c) && c->end != END_NONE) {
		conn_end(w, c, now);
		return;
	}
	/* Waiting for room: given it if it fits now, else not read. */
	if (c->waiting && body_grant(w, c, now) == -1)
		goto drop;
	if (!out_pending(c) && c->in_len > 0) {
		if ((took = conn_input(w, c, c->in, c->in_len, now)) == -1)
			goto drop;
		c->in_len -= (size_t)took;
		memmove(c->in, c->in + took, c->in_len);
		if (c->in_len == 0) {
			free(c->in);
			c->in = NULL;
		}
	}
	if (conn_read(w, c, now) == -1)
		goto drop;
	if (!out_pending(c) && c->end != END_NONE) {
		conn_end(w, c, now);
		return;
	}
	/*
	 * Stopping: a kept connection is closed once everything that had
	 * arrived on it is answered (it was all read, up to EAGAIN).
	 */
	if (w->stopping && !out_pending(c) && c->in_len == 0 &&
	    c->requests > 0 && wire_between_requests(&c->wp))
		goto drop;
	conn_settle(w, c, c->requests != before, now);
	return;
drop:
	conn_drop(w, c);
}

/*
 * Closes an idle kept connection unless a request has already arrived
 * on it: that one is served instead.  Returns 1 if c was closed.
 */
static int
conn_quiesce(struct worker *w, struct conn *c, int64_t now)
{
	conn_run(w, c, now);
	if (c->fd == -1)
		return 1;
	if (c->state != CONN_IDLE)
		return 0;
	conn_drop(w, c);
	return 1;
}

/*
 * Frees a slot for a new connection; 1 if done.  First a connection that
 * only lingers, then the longest-idle kept one, then the one that has
 * waited longest for a whole request, then the one that has waited
 * longest for its peer to read: silent or slow peers cannot hold every
 * slot, and a front-end's request, sent as it connects, is read at once.
 * A writing one goes last: its peer had a whole request answered.
 */
static int
evict(struct worker *w, int64_t now)
{
	struct conn	*c;

	if ((c = w->lists[CONN_LINGER].head) != NULL) {
		conn_drop(w, c);
		return 1;
	}
	while ((c = w->lists[CONN_IDLE].head) != NULL)
		if (conn_quiesce(w, c, now))
			return 1;
	if ((c = w->lists[CONN_READ].head) != NULL ||
	    (c = w->lists[CONN_WRITE].head) != NULL) {
		conn_drop(w, c);
		return 1;
	}
	return 0;
}

/* Whether evict() has a connection to close: any, in any state. */
static int
evictable(const struct worker *w)
{
	return w->nconns > 0;
}

static int
slots_full(const struct worker *w)
{
	return w->free == NULL && w->used == w->max_conns;
}

static struct conn *
conn_slot(struct worker *w)
{
	struct conn	*c;

	if ((c = w->free) != NULL) {
		w->free = c->next;
		c->next = NULL;
	} else if (w->used < w->max_conns)
		c = &w->conns[w->used++];
	return c;
}

static void
accept_pause(struct worker *w, int64_t now, int err)
{
	/* Descriptors run out in bursts: say so once a minute at most. */
	if (w->accept_logged == 0 || now - w->accept_logged >= 60000) {
		log_warnx("accept on %s: %s; pausing new connections for "
		    "%d ms", w->l->name, strerror(err), BACKOFF_MS);
		w->accept_logged = now;
	}
	listen_watch(w, 0);
	w->accept_at = now + BACKOFF_MS;
}

/* Takes a new connection into c; 0, or -1 with c returned. */
static int
conn_open(struct worker *w, struct conn *c, int fd, int64_t now)
{
	struct epoll_event	 ev;

	memset(c, 0, sizeof(*c));
	c->fd = fd;
	wire_init(&c->wp);
	list_append(w, c, CONN_READ, now);
	w->nconns++;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
	ev.data.ptr = c;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
		log_warn("epoll_ctl");
		conn_drop(w, c);
		return -1;
	}
	return 0;
}

/* Takes a connection accept4 returned into a slot; 0, or -1 if closed. */
static int
accept_one(struct worker *w, int fd, const struct sockaddr_storage *ss,
    socklen_t len, int64_t now)
{
	struct conn	*c;
	int		 on = 1;

	if (!listen_peer_allowed(w->l, (const struct sockaddr *)ss, len)) {
		close(fd);
		return -1;
	}
	/* Only now that a peer is here does anyone make room for it. */
	if ((c = conn_slot(w)) == NULL &&
	    (!evict(w, now) || (c = conn_slot(w)) == NULL)) {
		close(fd);
		return -1;
	}
	if (ss->ss_family == AF_INET || ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	if (conn_open(w, c, fd, now) == -1)
		return -1;
	/*
	 * Front-ends write the request right after connecting: it is
	 * usually here already, and reading it now saves a wait.
	 */
	conn_run(w, c, now);
	return 0;
}

/*
 * Accepts what is waiting.  The descriptor comes before the slot: the
 * slots leave a spare descriptor for it (worker_slots()), so a full
 * worker evicts only for a peer that is really there.
 */
static void
accept_all(struct worker *w, int lfd, int64_t now)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	int			 fd, i;

	for (i = 0; i < ACCEPT_BATCH; i++) {
		if (slots_full(w) && !evictable(w)) {
			/* Full: the other workers take new connections. */
			listen_watch(w, 0);
			w->accept_at = 0;
			return;
		}
		len = sizeof(ss);
		fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
		if (fd == -1) {
			switch (errno) {
			case EAGAIN:
			case EINTR:
			case ECONNABORTED:
			case EPROTO:
			case EPERM:
				return;
			default:
				/* EMFILE, ENFILE, ENOBUFS, ENOMEM, ... */
				accept_pause(w, now, errno);
				return;
			}
		}
		accept_one(w, fd, &ss, len, now);
	}
}

/*
 * A holder of room gives it up while another waits: 503, the rest of
 * its body discarded unread, as after a 413.
 */
static void
body_evict(struct worker *w, struct conn *c, int64_t now)
{
	/* Said once a minute at most: a flood would say it every second. */
	if (w->budget_logged == 0 || now - w->budget_logged >= 60000) {
		log_warnx("%zu bytes of request bodies kept (%d x body_max): "
		    "a request that held room for %d ms while others waited "
		    "is answered 503", w->body_held, WORKER_BODY_BUDGET,
		    BODY_GRACE_MS);
		w->budget_logged = now;
	}
	body_free(w, c);
	c->end = END_LINGER;
	if (reply_status(w, c, c->wp.request_id, 503) == -1) {
		conn_drop(w, c);
		return;
	}
	if (!out_pending(c))
		conn_end(w, c, now);
	else
		conn_settle(w, c, 0, now);
}

/* The connection that has held room for a body the longest, or NULL. */
static struct conn *
body_oldest(const struct worker *w)
{
	static const enum conn_state	 states[] = { CONN_READ, CONN_WRITE };
	struct conn			*c, *old = NULL;
	size_t				 i;

	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		for (c = w->lists[states[i]].head; c != NULL; c = c->next)
			if (c->held > 0 && (old == NULL ||
			    c->held_at < old->held_at))
				old = c;
	return old;
}

/* The waiting connection that needs the least room, or NULL. */
static struct conn *
body_smallest(const struct worker *w)
{
	struct conn	*c, *least = NULL;

	for (c = w->wait_head; c != NULL; c = c->wait_next)
		if (least == NULL || c->wp.body_need < least->wp.body_need)
			least = c;
	return least;
}

/*
 * Room for those waiting: each that fits is read on, the smallest
 * first; while none fits, a holder whose grace is over gives its room
 * up.  Sets when to look again (budget_at).
 */
static void
budget_run(struct worker *w, int64_t now)
{
	struct conn	*c;

	w->budget_at = 0;
	while ((c = body_smallest(w)) != NULL) {
		if (body_fits(w, c)) {
			conn_run(w, c, now);
			/* Granted, or dropped; else stop: it cannot be. */
			if (c->fd != -1 && c->waiting)
				return;
			continue;
		}
		if ((c = body_oldest(w)) == NULL)
			return;
		if (now - c->held_at < BODY_GRACE_MS) {
			w->budget_at = c->held_at + BODY_GRACE_MS;
			return;
		}
		body_evict(w, c, now);
	}
}

static void
expire(struct worker *w, int64_t now)
{
	struct conn	*c;
	int		 s;

	/* An idle one may hold a request that has just arrived. */
	while ((c = w->lists[CONN_IDLE].head) != NULL && c->deadline <= now)
		conn_quiesce(w, c, now);
	for (s = 0; s < CONN_STATES; s++)
		while ((c = w->lists[s].head) != NULL && c->deadline <= now)
			conn_drop(w, c);
}

static int64_t
next_deadline(const struct worker *w)
{
	int64_t	 t = INT64_MAX;
	int	 s;

	for (s = 0; s < CONN_STATES; s++)
		if (w->lists[s].head != NULL && w->lists[s].head->deadline < t)
			t = w->lists[s].head->deadline;
	if (w->accept_at > 0 && w->accept_at < t)
		t = w->accept_at;
	if (w->budget_at > 0 && w->budget_at < t)
		t = w->budget_at;
	if (w->stopping && w->stop_at < t)
		t = w->stop_at;
	return t;
}

static void
stop_begin(struct worker *w, int64_t now)
{
	w->stopping = 1;
	w->stop_at = now + STOP_GRACE_MS;
	listen_watch(w, 0);
	w->accept_at = 0;
	while (w->lists[CONN_IDLE].head != NULL)
		conn_quiesce(w, w->lists[CONN_IDLE].head, now);
}

/*
 * Descriptors still free: the numbers below the limit that nothing
 * holds, whatever the worker inherited.  Only the first FDS_PROBE are
 * looked at, more than a worker can use.
 */
static size_t
fds_free(void)
{
	struct rlimit	 rl;
	size_t		 lim = FDS_PROBE, fd, n = 0;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < lim)
		lim = (size_t)rl.rlim_cur;
	for (fd = 0; fd < lim; fd++)
		if (fcntl((int)fd, F_GETFD) == -1 && errno == EBADF)
			n++;
	return n;
}

/*
 * A connection costs one descriptor: the slots are what is free once the
 * worker's own are open, less SPARE_FDS, at most WORKER_CONNS_MAX, and
 * at least 1 (then accept may fail with EMFILE, and pauses).
 */
static size_t
worker_slots(void)
{
	size_t	 n = fds_free();

	if (n <= SPARE_FDS) {
		log_warnx("only %zu descriptors free; serving one connection "
		    "at a time", n);
		return 1;
	}
	n -= SPARE_FDS;
	return n < WORKER_CONNS_MAX ? n : WORKER_CONNS_MAX;
}

/*
 * The largest body a request may have under the current image, and the
 * budget of kept bodies (none if the program keeps none).
 */
static void
body_limits(struct worker *w)
{
	w->body_max = w->app->body_max != NULL ?
	    w->app->body_max(&w->current) : WIRE_BODY_MAX;
	w->body_budget = !w->app->keep_body ? 0 :
	    w->body_max > SIZE_MAX / WORKER_BODY_BUDGET ? SIZE_MAX :
	    w->body_max * WORKER_BODY_BUDGET;
}

/* Serves from the image in fd from now on, and acks its generation. */
static void
image_switch(struct worker *w, int fd, const struct worker_image *wi)
{
	struct serve_image	 img;

	if (loader_check(w->app, fd, (size_t)wi->size, &img) == -1) {
		log_warnx("generation %llu refused; still serving the "
		    "previous one", (unsigned long long)wi->generation);
		close(fd);
		return;
	}
	close(fd);
	loader_unmap(&w->current);
	w->current = img;
	body_limits(w);
	if (send(w->parent_fd, &wi->generation, sizeof(wi->generation),
	    MSG_DONTWAIT | MSG_NOSIGNAL) == -1)
		log_warn("ack to the supervisor");
}

/* The supervisor's socket is readable: new images, or its EOF. */
static void
parent_input(struct worker *w)
{
	struct worker_image	 wi;
	ssize_t			 n;
	int			 fd;

	for (;;) {
		n = fdpass_recv(w->parent_fd, &wi, sizeof(wi), &fd,
		    MSG_DONTWAIT);
		if (n == 0) {
			/* The supervisor is gone: EOF stays readable. */
			epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->parent_fd, NULL);
			got_stop = 1;
			return;
		}
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n == (ssize_t)sizeof(wi) && fd != -1) {
			image_switch(w, fd, &wi);
			continue;
		}
		log_warnx("an unexpected message from the supervisor; "
		    "ignored");
		if (fd != -1)
			close(fd);
		if (n == -1)
			return;
	}
}

static int
worker_setup(struct worker *w, sigset_t *wait)
{
	static const int	 stops[] = { SUPERVISOR_STOP_SIGNALS };
	struct sigaction	 sa;
	struct epoll_event	 ev;
	sigset_t		 block;
	size_t			 i;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	sa.sa_handler = on_stop;
	for (i = 0; i < sizeof(stops) / sizeof(stops[0]); i++) {
		sigaddset(&block, stops[i]);
		if (sigaction(stops[i], &sa, NULL) == -1)
			return -1;
	}
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGHUP, &sa, NULL) == -1 ||
	    sigaction(SIGPIPE, &sa, NULL) == -1)
		return -1;
	/* The stop signals are blocked already (supervisor.c child()). */
	if (sigprocmask(SIG_BLOCK, &block, wait) == -1)
		return -1;
	for (i = 0; i < sizeof(stops) / sizeof(stops[0]); i++)
		sigdelset(wait, stops[i]);

	if ((w->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		return -1;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = TAG_PARENT;
	if (w->parent_fd >= 0 &&
	    epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->parent_fd, &ev) == -1)
		return -1;
	if (w->app->worker_start != NULL && w->app->worker_start(&w->ctx) ==
	    -1)
		return -1;
	/* Our own descriptors are open: the rest are the slots'. */
	w->max_conns = worker_slots();
	if ((w->conns = calloc(w->max_conns, sizeof(*w->conns))) == NULL)
		return -1;
	w->total_conns = w->nworkers * (unsigned)w->max_conns;
	listen_watch(w, 1);
	/* Everything from here on is serving (sandbox.c). */
	return sandbox_filter(w->app->syscalls, w->app->nsyscalls);
}

/* Takes the events epoll_pwait returned. */
static void
dispatch(struct worker *w, const struct epoll_event *ev, int n, int64_t now)
{
	int	 i;

	for (i = 0; i < n; i++) {
		if (ev[i].data.u64 == TAG_PARENT)
			parent_input(w);
		else if (ev[i].data.u64 >= TAG_LISTEN &&
		    ev[i].data.u64 < TAG_LISTEN + w->l->nfds) {
			if (!w->stopping)
				accept_all(w, w->l->fds[ev[i].data.u64 -
				    TAG_LISTEN], now);
		} else if (((struct conn *)ev[i].data.ptr)->fd != -1)
			conn_run(w, ev[i].data.ptr, now);
	}
}

/* One round of the loop; 0 to go on, 1 when done, -1 on failure. */
static int
loop_once(struct worker *w, const sigset_t *wait)
{
	struct epoll_event	 events[EVENTS];
	int64_t			 now = clock_ms(), next;
	int			 n, timeout;

	if (got_stop && !w->stopping)
		stop_begin(w, now);
	if (w->stopping && (w->nconns == 0 || now >= w->stop_at))
		return 1;
	if (w->accept_at > 0 && now >= w->accept_at && !w->stopping) {
		w->accept_at = 0;
		listen_watch(w, 1);
	}
	expire(w, now);
	budget_run(w, now);
	if (!w->listening && w->accept_at == 0 && !w->stopping &&
	    (!slots_full(w) || evictable(w)))
		listen_watch(w, 1);
	next = next_deadline(w);
	timeout = next == INT64_MAX ? -1 :
	    next - now > 60000 ? 60000 : (int)(next - now);
	n = epoll_pwait(w->epfd, events, EVENTS, timeout, wait);
	if (n == -1 && errno != EINTR) {
		log_warn("epoll_wait");
		return -1;
	}
	if (n > 0)
		dispatch(w, events, n, clock_ms());
	return 0;
}

int
worker_run(const struct serve_app *app, const struct listener *l, int image,
    size_t size, int parent_fd, unsigned nworkers)
{
	struct worker	*w;
	sigset_t	 wait;
	size_t		 i;
	int		 rc = 0, r;

	if (geteuid() == 0 || getuid() == 0) {
		log_warnx("refusing to serve requests as root");
		return 1;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		log_warn("worker");
		return 1;
	}
	w->app = app;
	if (loader_check(app, image, size, &w->current) == -1) {
		free(w);
		return 1;
	}
	close(image);
	body_limits(w);
	w->l = l;
	w->parent_fd = parent_fd;
	w->nworkers = nworkers;
	w->epfd = -1;
	if (worker_setup(w, &wait) == -1) {
		log_warn("worker setup");
		rc = 1;
		goto out;
	}
	while ((r = loop_once(w, &wait)) == 0)
		;
	rc = r == -1;
	/* Whatever is left at the end of the grace period is cut. */
	for (i = 0; i < CONN_STATES; i++)
		while (w->lists[i].head != NULL)
			conn_drop(w, w->lists[i].head);
out:
	if (app->worker_end != NULL)
		app->worker_end(w->ctx);
	if (w->epfd != -1)
		close(w->epfd);
	loader_unmap(&w->current);
	free(w->conns);
	free(w);
	if (app->shutdown != NULL)
		app->shutdown();
	return rc;
}
