/*
 * A worker: one unprivileged process serving many connections.
 *
 * The worker accepts connections itself and holds each one until the
 * peer has sent a whole request, watching with epoll (edge-triggered)
 * and MSG_PEEK.  Only then, with every byte libfcgi will read already in
 * the socket and checked by wire_scan, does it give the connection to
 * libfcgi through its kept-connection path.  So a silent, trickling or
 * kept-idle peer costs a few bytes of memory, never a blocked process,
 * and libfcgi never sees the records that crash it.
 *
 * Every libfcgi call runs under a deadline: SIGALRM (no SA_RESTART)
 * interrupts it and shuts the connection down, so no peer can hold a
 * worker longer than PHASE_MS.
 *
 * Signals: TERM, INT and USR1 stop the worker gracefully (no new
 * connections, idle ones closed, requests in progress finished within
 * STOP_GRACE_MS); HUP is the supervisor's and ignored here.  They stay
 * blocked outside epoll_pwait, so none is lost between a check and a
 * wait.  EOF on the supervisor's pipe means the supervisor is gone.
 */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <fcgios.h>

#include "mta-sts-fcgi.h"

#define READ_MS		5000	/* a whole request, from its first byte */
#define KEEP_IDLE_MS	75000	/* longer than nginx's 60 s keepalive */
#define LINGER_MS	2000	/* reading what follows our error reply */
#define PHASE_MS	500	/* one libfcgi call, all input in hand */
#define STOP_GRACE_MS	500	/* for requests in progress at SIGTERM */
#define BACKOFF_MS	100	/* accept paused after EMFILE and the like */
#define DRAIN_MAX	65536
#define EVENTS		64
#define ACCEPT_BATCH	64
#define TAG_LISTEN	((uint64_t)1)
#define TAG_PARENT	((uint64_t)2)

enum conn_state {
	CONN_READ,	/* waiting for a whole request */
	CONN_IDLE,	/* kept between requests */
	CONN_LINGER,	/* our error reply sent: discard input until EOF */
	CONN_STATES,
};

static const int	 state_ms[CONN_STATES] = {
	READ_MS, KEEP_IDLE_MS, LINGER_MS,
};

struct conn {
	int			 fd;
	enum conn_state		 state;
	int64_t			 deadline;
	struct conn		*prev, *next;	/* in its state's list */
};

/* Connections by state, oldest deadline first: expiry is O(1). */
struct conn_list {
	struct conn	*head, *tail;
};

struct worker {
	const struct table	*table;
	const struct listener	*l;
	int			 epfd;
	int			 parent_fd;
	struct conn		*conns;
	struct conn		*free;
	size_t			 nconns;
	size_t			 max_conns;
	struct conn_list	 lists[CONN_STATES];
	int			 listening;	/* listen fd in epoll */
	int64_t			 accept_at;	/* resume after backoff */
	int			 stopping;
	int64_t			 stop_at;
	int64_t			 accept_logged;	/* rate-limits the message */
	FCGX_Request		 req;
	timer_t			 timer;
	unsigned		 total_conns;	/* FCGI_MAX_CONNS */
	unsigned char		 peek[WIRE_PEEK_MAX];
};

static volatile sig_atomic_t	 got_stop;
static volatile sig_atomic_t	 phase_fd = -1;

static void
on_stop(int sig)
{
	(void)sig;
	got_stop = 1;
}

/* The deadline of a libfcgi call: end the connection it is stuck on. */
static void
on_alarm(int sig)
{
	int	 saved = errno;

	(void)sig;
	if (phase_fd >= 0)
		shutdown(phase_fd, SHUT_RDWR);
	errno = saved;
}

static int64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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

/* Forgets c; closes its fd unless libfcgi already did. */
static void
conn_drop(struct worker *w, struct conn *c, int close_fd)
{
	list_remove(&w->lists[c->state], c);
	if (close_fd)
		close(c->fd);	/* also removes it from epoll */
	c->fd = -1;
	c->next = w->free;
	w->free = c;
	w->nconns--;
}

static void
listen_watch(struct worker *w, int on)
{
	struct epoll_event	 ev;

	if (on == w->listening)
		return;
	if (on) {
		/* Level-triggered and exclusive: one worker wakes per burst. */
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN | EPOLLEXCLUSIVE;
		ev.data.u64 = TAG_LISTEN;
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->l->fd, &ev) == -1) {
			log_warn("epoll_ctl");
			return;
		}
	} else
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->l->fd, NULL);
	w->listening = on;
}

static void	 conn_readable(struct worker *, struct conn *, int64_t);

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

static void
accept_all(struct worker *w, int64_t now)
{
	struct sockaddr_storage	 ss;
	struct epoll_event	 ev;
	struct conn		*c;
	socklen_t		 len;
	int			 fd, i, on = 1;

	for (i = 0; i < ACCEPT_BATCH; i++) {
		if (w->free == NULL) {
			/* Full: the other workers take new connections. */
			listen_watch(w, 0);
			w->accept_at = 0;
			return;
		}
		len = sizeof(ss);
		fd = accept4(w->l->fd, (struct sockaddr *)&ss, &len,
		    SOCK_CLOEXEC);
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
		if (!listen_peer_allowed(w->l, (struct sockaddr *)&ss, len)) {
			close(fd);
			continue;
		}
		if (ss.ss_family == AF_INET || ss.ss_family == AF_INET6)
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on,
			    sizeof(on));
		c = w->free;
		w->free = c->next;
		c->fd = fd;
		list_append(w, c, CONN_READ, now);
		w->nconns++;
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
		ev.data.ptr = c;
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
			log_warn("epoll_ctl");
			conn_drop(w, c, 1);
			continue;
		}
		/*
		 * Front-ends write the request right after connecting: it is
		 * usually here already, and reading it now saves a wait.
		 */
		conn_readable(w, c, now);
	}
}

static void
send_all_nowait(int fd, const unsigned char *p, size_t len)
{
	ssize_t	 n;

	/* Our replies are small; a peer that does not read loses them. */
	while (len > 0 && (n = send(fd, p, len, MSG_DONTWAIT |
	    MSG_NOSIGNAL)) > 0) {
		p += n;
		len -= (size_t)n;
	}
}

static void
phase_begin(struct worker *w, int fd)
{
	struct itimerspec	 it;

	memset(&it, 0, sizeof(it));
	it.it_value.tv_sec = PHASE_MS / 1000;
	it.it_value.tv_nsec = (long)(PHASE_MS % 1000) * 1000000L;
	phase_fd = fd;
	timer_settime(w->timer, 0, &it, NULL);
}

static void
phase_end(struct worker *w)
{
	struct itimerspec	 it;

	memset(&it, 0, sizeof(it));
	timer_settime(w->timer, 0, &it, NULL);
	phase_fd = -1;
}

/* Reads what is left of the request's input: all of it is buffered. */
static int
drain_input(FCGX_Request *req)
{
	char	 buf[4096];
	size_t	 total = 0;
	int	 n;

	while ((n = FCGX_GetStr(buf, sizeof(buf), req->in)) > 0)
		if ((total += (size_t)n) > DRAIN_MAX)
			return -1;
	return FCGX_GetError(req->in) == 0 ? 0 : -1;
}

/*
 * Serves the whole request at the front of c through libfcgi.  Returns
 * 1 if the connection stays open for another request, 0 if it was
 * closed.
 */
static int
serve_one(struct worker *w, struct conn *c, const struct wire_scan *ws)
{
	struct route_request	 rr;
	struct route_response	 res;
	int			 keep, ok, rc;

	phase_begin(w, c->fd);
	/*
	 * libfcgi's kept-connection path reads the next request from
	 * ipcFd instead of accepting; keepConnection = 1 also stops
	 * FCGX_Finish_r from closing the connection, which is ours.
	 */
	w->req.ipcFd = c->fd;
	w->req.keepConnection = 1;
	rc = FCGX_Accept_r(&w->req);
	if (rc < 0 || w->req.ipcFd != c->fd) {
		/* Cannot happen after wire_scan; libfcgi closed the fd. */
		phase_end(w);
		w->req.ipcFd = -1;
		conn_drop(w, c, 0);
		return 0;
	}
	keep = w->req.keepConnection && !ws->trailing && !w->stopping;
	/* The values wire_scan found, or else libfcgi's environment. */
	if (route_from_wire(w->peek, ws, &rr) == -1)
		route_from_env(w->req.envp, &rr);
	route(w->table, &rr, &res);
	ok = FCGX_PutStr(res.bytes, (int)res.len, w->req.out) ==
	    (int)res.len && drain_input(&w->req) == 0;
	w->req.keepConnection = 1;
	FCGX_Finish_r(&w->req);
	phase_end(w);
	if (w->req.ipcFd < 0) {
		conn_drop(w, c, 0);	/* a write failed: libfcgi closed it */
		return 0;
	}
	w->req.ipcFd = -1;
	if (!keep || !ok) {
		conn_drop(w, c, 1);
		return 0;
	}
	return 1;
}

/* Answers a request we refuse before libfcgi, then lingers. */
static void
refuse(struct worker *w, struct conn *c, unsigned id, int status,
    int64_t now)
{
	struct route_response	 res;
	unsigned char		 out[512];
	size_t			 n;

	route_status(&res, status, 0);
	n = wire_response(id, res.bytes, res.len, out, sizeof(out));
	send_all_nowait(c->fd, out, n);
	/* Closing now with unread input could reset the reply away. */
	shutdown(c->fd, SHUT_WR);
	conn_set(w, c, CONN_LINGER, now);
}

static void
conn_readable(struct worker *w, struct conn *c, int64_t now)
{
	struct wire_scan	 ws;
	unsigned char		 reply[WIRE_MANAGEMENT_MAX];
	ssize_t			 n;
	size_t			 r;

	for (;;) {
		if (c->state == CONN_LINGER) {
			while ((n = recv(c->fd, w->peek, sizeof(w->peek),
			    MSG_DONTWAIT)) > 0)
				;
			if (n == 0 || errno != EAGAIN)
				conn_drop(w, c, 1);
			return;
		}
		n = recv(c->fd, w->peek, sizeof(w->peek), MSG_PEEK |
		    MSG_DONTWAIT);
		if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
			conn_drop(w, c, 1);
			return;
		}
		if (n == -1)
			return;
		if (c->state == CONN_IDLE)
			conn_set(w, c, CONN_READ, now);
		wire_scan(w->peek, (size_t)n, &ws);
		switch (ws.status) {
		case WIRE_INCOMPLETE:
			return;		/* the next edge brings more */
		case WIRE_INVALID:
			conn_drop(w, c, 1);
			return;
		case WIRE_MANAGEMENT:
			/* Consume the record, answer it, look again. */
			if (recv(c->fd, w->peek, ws.len, MSG_DONTWAIT) !=
			    (ssize_t)ws.len) {
				conn_drop(w, c, 1);
				return;
			}
			r = wire_management(w->peek, w->total_conns, reply,
			    sizeof(reply));
			send_all_nowait(c->fd, reply, r);
			continue;
		case WIRE_TOO_LARGE:
		case WIRE_BODY_TOO_LARGE:
			if (ws.id == 0) {
				conn_drop(w, c, 1);
				return;
			}
			refuse(w, c, ws.id, ws.status == WIRE_TOO_LARGE ?
			    400 : 413, now);
			continue;	/* discard what is there already */
		case WIRE_REQUEST:
			if (ws.role < 1 || ws.role > 3) {
				/* libfcgi would just close: say why. */
				r = wire_end_request(ws.id, WIRE_UNKNOWN_ROLE,
				    reply, sizeof(reply));
				send_all_nowait(c->fd, reply, r);
				conn_drop(w, c, 1);
				return;
			}
			if (serve_one(w, c, &ws))
				conn_set(w, c, CONN_IDLE, now);
			return;
		}
	}
}

static void
expire(struct worker *w, int64_t now)
{
	struct conn	*c;
	int		 s;

	for (s = 0; s < CONN_STATES; s++)
		while ((c = w->lists[s].head) != NULL && c->deadline <= now)
			conn_drop(w, c, 1);
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
		conn_drop(w, w->lists[CONN_IDLE].head, 1);
}

static int
worker_setup(struct worker *w, sigset_t *wait)
{
	static const int	 stops[] = { SIGTERM, SIGINT, SIGUSR1 };
	struct sigaction	 sa;
	struct sigevent		 sev;
	struct epoll_event	 ev;
	struct rlimit		 rl;
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
	sa.sa_handler = on_alarm;		/* no SA_RESTART: interrupts */
	if (sigaction(SIGALRM, &sa, NULL) == -1)
		return -1;
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGHUP, &sa, NULL) == -1 ||
	    sigaction(SIGPIPE, &sa, NULL) == -1)
		return -1;
	if (sigprocmask(SIG_BLOCK, &block, wait) == -1)
		return -1;
	for (i = 0; i < sizeof(stops) / sizeof(stops[0]); i++)
		sigdelset(wait, stops[i]);
	sigdelset(wait, SIGALRM);

	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGALRM;
	if (timer_create(CLOCK_MONOTONIC, &sev, &w->timer) == -1)
		return -1;

	/* A connection costs one descriptor; keep a few for ourselves. */
	w->max_conns = WORKER_CONNS_MAX;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < w->max_conns + 16)
		w->max_conns = rl.rlim_cur > 24 ? rl.rlim_cur - 16 : 8;
	if ((w->conns = calloc(w->max_conns, sizeof(*w->conns))) == NULL)
		return -1;
	for (i = w->max_conns; i > 0; i--) {
		w->conns[i - 1].fd = -1;
		w->conns[i - 1].next = w->free;
		w->free = &w->conns[i - 1];
	}
	if ((w->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		return -1;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = TAG_PARENT;
	if (w->parent_fd >= 0 &&
	    epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->parent_fd, &ev) == -1)
		return -1;
	/* A bogus listening socket: libfcgi must never accept on its own. */
	if (FCGX_InitRequest(&w->req, -1, 0) != 0)
		return -1;
	listen_watch(w, 1);
	return 0;
}

int
worker_run(const struct listener *l, const struct table *t, int parent_fd,
    unsigned total_conns)
{
	struct epoll_event	 events[EVENTS];
	struct worker		*w;
	sigset_t		 wait;
	int64_t			 now, next;
	int			 i, n, timeout, rc = 0;

	if (geteuid() == 0 || getuid() == 0) {
		log_warnx("refusing to serve requests as root");
		return 1;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		log_warn("worker");
		return 1;
	}
	w->l = l;
	w->table = t;
	w->parent_fd = parent_fd;
	w->total_conns = total_conns;
	w->epfd = -1;
	w->timer = NULL;
	if (worker_setup(w, &wait) == -1) {
		log_warn("worker setup");
		rc = 1;
		goto out;
	}

	now = now_ms();
	for (;;) {
		if (got_stop && !w->stopping)
			stop_begin(w, now);
		if (w->stopping && (w->nconns == 0 || now >= w->stop_at))
			break;
		if (w->accept_at > 0 && now >= w->accept_at &&
		    !w->stopping) {
			w->accept_at = 0;
			listen_watch(w, 1);
		}
		expire(w, now);
		if (!w->listening && w->accept_at == 0 && !w->stopping &&
		    w->free != NULL)
			listen_watch(w, 1);
		next = next_deadline(w);
		timeout = next == INT64_MAX ? -1 :
		    next - now > 60000 ? 60000 : (int)(next - now);
		n = epoll_pwait(w->epfd, events, EVENTS, timeout, &wait);
		now = now_ms();
		if (n == -1) {
			if (errno == EINTR)
				continue;
			log_warn("epoll_wait");
			rc = 1;
			break;
		}
		for (i = 0; i < n; i++) {
			if (events[i].data.u64 == TAG_LISTEN) {
				if (!w->stopping)
					accept_all(w, now);
			} else if (events[i].data.u64 == TAG_PARENT)
				got_stop = 1;	/* the supervisor is gone */
			else
				conn_readable(w, events[i].data.ptr, now);
		}
	}
	/* Whatever is left at the end of the grace period is cut. */
	for (i = 0; i < CONN_STATES; i++)
		while (w->lists[i].head != NULL)
			conn_drop(w, w->lists[i].head, 1);
out:
	FCGX_Free(&w->req, 0);
	if (w->timer != NULL)
		timer_delete(w->timer);
	if (w->epfd != -1)
		close(w->epfd);
	free(w->conns);
	free(w);
	OS_LibShutdown();	/* what FCGX_Init allocated, in our copy */
	return rc;
}
