/* SPDX-License-Identifier: ISC */
/*
 * mta-sts-fcgi, the responder: every module's interface, one commented
 * section each.  Only channel.c includes fcgiapp.h, so the rest links
 * into unit tests and fuzzers without libfcgi.
 */
#ifndef MTA_STS_FCGI_H
#define MTA_STS_FCGI_H

#include "common/common.h"

/*
 * image.c: the served part of a table (every prepared response, the
 * domain → policy map, the default policy) as one flat block of bytes
 * that holds no pointer: a loader writes it into a sealed memfd once per
 * load, and every worker maps that read-only and serves from it, so a
 * reload changes what running workers serve without a new process, and
 * the workers share one copy.  Pure: no I/O.
 */
#define IMAGE_MAX	((size_t)1 << 31)	/* bytes of one image */
#define IMAGE_NONE	UINT32_MAX		/* no default policy */

/*
 * A checked image (image_open), valid while its bytes are mapped and
 * unchanged (a sealed memfd): lookups trust what image_open checked.
 */
struct image {
	const unsigned char	*base;
	size_t			 len;
	uint32_t		 npolicies;
	uint32_t		 ndomains;
	uint32_t		 nslots;	/* of the domain hash */
	uint32_t		 default_policy; /* IMAGE_NONE: none */
	size_t			 policies;	/* where each part starts */
	size_t			 slots;
	size_t			 domains;
	size_t			 data;
};

/* One policy as route_request writes it, pointing into the image. */
struct image_policy {
	const char	*response;	/* status, headers, blank line, body */
	size_t		 response_len;
	size_t		 header_len;	/* a HEAD response is this prefix */
};

/* The bytes t's image takes; 0 if it would exceed IMAGE_MAX. */
size_t	 image_size(const struct table *);
/* Writes t's image into buf, which has image_size(t) bytes. */
void	 image_write(const struct table *, unsigned char *, size_t);
/*
 * Checks that len bytes at base are a whole image of this build (its
 * magic, version and every offset and length in bounds) and fills img;
 * 0, or -1 if they are not.
 */
int	 image_open(struct image *, const void *, size_t);
/*
 * The policy a normalised host (route_host) is served, as table_lookup
 * decides it: its domain's, else the default; 0 and fills p, or -1 if
 * none is (404).
 */
int	 image_lookup(const struct image *, const char *, size_t,
	    struct image_policy *);

/*
 * route.c: (role, method, host, path) → the bytes to write; pure.
 */
#define ROUTE_HOST_MAX	1024

struct route_request {
	const char	*role;		/* FCGI_ROLE, NULL for plain CGI */
	const char	*method;	/* REQUEST_METHOD */
	const char	*host;		/* HTTP_HOST */
	const char	*server_name;	/* SERVER_NAME */
	const char	*request_uri;	/* REQUEST_URI */
	const char	*script_name;	/* SCRIPT_NAME */
	const char	*path_info;	/* PATH_INFO */
};

struct route_response {
	const char	*bytes;
	size_t		 len;
	int		 status;
};

/* Fills req from a NULL-terminated "NAME=value" array in one pass. */
void	 route_from_env(char *const *, struct route_request *);
/*
 * Normalises a Host value into out (lower case; port, trailing dot and
 * "mta-sts." removed; size DNAME_MAX + 1 holds any valid name); returns
 * its length, 0 for no host or an IP literal, -1 if it is not a valid
 * host or does not fit.
 */
long	 route_host(const char *, char *, size_t);
/* Fills res with the canned response for an error status. */
void	 route_status(struct route_response *, int, int);
/* Decides the response to req from img; never fails. */
void	 route_request(const struct image *, const struct route_request *,
	    struct route_response *);

/*
 * wire.c: the FastCGI stream a peer sends, parsed as it arrives; the
 * canonical request libfcgi reads instead; replies we frame ourselves.
 * No I/O.
 */
#define WIRE_VERSION		1
#define WIRE_HEADER_LEN		8
enum wire_type {			/* FastCGI 1.0 §8 record types */
	WIRE_BEGIN_REQUEST = 1,
	WIRE_ABORT_REQUEST = 2,
	WIRE_END_REQUEST = 3,
	WIRE_PARAMS = 4,
	WIRE_STDIN = 5,
	WIRE_STDOUT = 6,
	WIRE_STDERR = 7,
	WIRE_DATA = 8,
	WIRE_GET_VALUES = 9,
	WIRE_GET_VALUES_RESULT = 10,
	WIRE_UNKNOWN_TYPE = 11,
};
#define WIRE_RESPONDER		1	/* roles */
#define WIRE_AUTHORIZER		2
#define WIRE_FILTER		3
#define WIRE_KEEP_CONN		1	/* BEGIN_REQUEST flags */
#define WIRE_REQUEST_COMPLETE	0	/* END_REQUEST protocol status */
#define WIRE_CANT_MPX_CONN	1
#define WIRE_UNKNOWN_ROLE	3

#define WIRE_HEAD_MAX	65536	/* bytes of our PARAMS' content */
#define WIRE_DISCARD_MAX (1024 * 1024) /* more of a head walked, not kept */
#define WIRE_BODY_MAX	65536	/* content of FCGI_STDIN */
#define WIRE_PARAMS_MAX	1024	/* name-value pairs */
/* wire_canonical's longest output: our PARAMS, 5 headers, BEGIN's body. */
#define WIRE_CANONICAL_MAX	(WIRE_HEAD_MAX + 6 * WIRE_HEADER_LEN)
/* Room for any management reply: 3 names and values, 2 headers. */
#define WIRE_MANAGEMENT_MAX	128

enum wire_event {
	WIRE_MORE,		/* all input taken: wait for more */
	WIRE_GOT_REQUEST,	/* a whole, valid request: wire_canonical */
	WIRE_GOT_MANAGEMENT,	/* a management record: wire_management */
	WIRE_GOT_FOREIGN_BEGIN,	/* another request id: refuse foreign_id */
	WIRE_GOT_ABORT,		/* our request aborted: END_REQUEST */
	WIRE_BAD_HEAD,		/* head over the limits, or a NUL: answer 400 */
	WIRE_BODY_TOO_LARGE,	/* body over the limit: answer 413 */
	WIRE_INVALID,		/* not a request we serve: close */
};

/* The name-value pair walk across records. */
struct wire_pairs {
	unsigned char	 len[4];	/* a length being read */
	int		 got;
	int		 which;		/* 0 name length, 1 value length */
	unsigned long	 lens[2];
	unsigned long	 left;		/* bytes of this pair still to come */
	unsigned long	 at;		/* bytes of this pair seen */
	int		 name_match;	/* may still be REQUEST_METHOD */
	int		 value_match;	/* may still be HEAD */
	int		 method_seen;
	int		 head;		/* the method is HEAD */
	int		 nul;		/* a NUL in a name or value */
	size_t		 count;
};

/* One connection's parser; all zero is a fresh one (wire_init). */
struct wire_parser {
	unsigned char	 header[WIRE_HEADER_LEN];
	size_t		 header_got;
	size_t		 content_left;
	size_t		 padding_left;
	unsigned	 id;		/* of the record being read */
	int		 rec;		/* what it is to us */
	int		 phase;
	int		 done;		/* an event's data is still valid */
	/* The request, valid with WIRE_GOT_REQUEST. */
	unsigned	 request_id;
	unsigned	 role;
	int		 keep_conn;	/* FCGI_KEEP_CONN */
	unsigned	 foreign_id;	/* with WIRE_GOT_FOREIGN_BEGIN */
	unsigned	 mtype;		/* with WIRE_GOT_MANAGEMENT */
	size_t		 head;		/* our PARAMS' content */
	size_t		 stream;	/* all of the head, framing included */
	size_t		 body;		/* our STDIN's content, others whole */
	int		 over;		/* head over WIRE_HEAD_MAX */
	struct wire_pairs pairs;
	unsigned char	*buf;		/* our PARAMS, or a management record */
	size_t		 len, cap;
};

/* A fresh parser (all zero). */
void	 wire_init(struct wire_parser *);
/* Frees what the parser kept and makes it fresh again. */
void	 wire_free(struct wire_parser *);
/*
 * Consumes up to n bytes, stopping after the first event; *used says how
 * many.  After WIRE_BAD_HEAD, WIRE_BODY_TOO_LARGE or WIRE_INVALID the
 * parser takes nothing more.  An event's data stays valid until the
 * next call.
 */
enum wire_event wire_feed(struct wire_parser *, const unsigned char *,
	    size_t, size_t *);
/* Is the parser between requests (nothing of one read yet)? */
int	 wire_between_requests(const struct wire_parser *);
/*
 * Writes the request just parsed as libfcgi is to read it; returns its
 * length, 0 if size is under WIRE_CANONICAL_MAX.
 */
size_t	 wire_canonical(const struct wire_parser *, unsigned char *, size_t);
/*
 * Frames an application response for request id: STDOUT records, the
 * empty STDOUT, END_REQUEST.  Returns its length, 0 if size is too small.
 */
size_t	 wire_response(unsigned, const char *, size_t, unsigned char *,
	    size_t);
/*
 * The length of the response for id at the start of p, up to and with
 * its END_REQUEST; 0 if it is not all there, -1 if it is not one.
 */
long	 wire_response_len(const unsigned char *, size_t, unsigned);
/* An END_REQUEST alone with protocol_status; its length, 0 if no room. */
size_t	 wire_end_request(unsigned, int, unsigned char *, size_t);
/* The reply to the management record just parsed; 0 if no room. */
size_t	 wire_management(const struct wire_parser *, unsigned,
	    unsigned char *, size_t);

/*
 * listen.c: where the listening socket comes from, and who may connect.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>

enum listen_kind {
	LISTEN_CGI,		/* no socket: one CGI request */
	LISTEN_INHERITED,	/* fd 0 from spawn-fcgi, mod_fcgid, lighttpd */
	LISTEN_SYSTEMD,		/* LISTEN_FDS / LISTEN_PID */
	LISTEN_OWN,		/* -s address */
};
#define LISTEN_PEERS_MAX	16

struct listen_opts {
	mode_t		 mode;		/* of our own unix socket */
	int		 chown;		/* set its owner to uid:gid */
	uid_t		 uid;
	gid_t		 gid;
};

#define LISTEN_FDS_MAX	8	/* addresses a -s host name may have */

struct listener {
	enum listen_kind	 kind;
	int			 fds[LISTEN_FDS_MAX];
	size_t			 nfds;
	char			*unix_path;	/* ours, removed at exit */
	int			 unix_dir;	/* its directory, held open */
	char			 name[128];	/* for messages */
	struct {
		int		 family;
		struct in_addr	 v4;
		struct in6_addr	 v6;
	}			 peers[LISTEN_PEERS_MAX];
	size_t			 npeers;	/* FCGI_WEB_SERVER_ADDRS */
};
/* Decides the mode and fills l; address is -s or NULL.  0 or -1. */
int	 listen_open(struct listener *, const char *,
	    const struct listen_opts *);
/*
 * Parses env, FCGI_WEB_SERVER_ADDRS (NULL or empty: anyone), into l's
 * peers; a v4-mapped IPv6 address is kept as the IPv4 one it names.
 * 0, or -1 after saying why.
 */
int	 listen_peers(struct listener *, const char *);
/*
 * May this TCP peer connect (FCGI_WEB_SERVER_ADDRS)?  An IPv4 entry also
 * admits its v4-mapped form (a dual-stack socket's IPv4 peer).  Unix:
 * always.
 */
int	 listen_peer_allowed(const struct listener *, const struct sockaddr *,
	    socklen_t);
/* Makes every listening socket non-blocking; 0, or -1 after saying why. */
int	 listen_nonblock(const struct listener *);
/* Closes our own sockets and removes our unix socket; frees l's path. */
void	 listen_close(struct listener *);

/*
 * priv.c: the user that serves requests.
 */
struct priv {
	int		 drop;		/* started as root: workers drop */
	uid_t		 uid;
	gid_t		 gid;
};
/* Parses "user[:group]"; 0, or -1 after saying why (what names it). */
int	 priv_parse(const char *, uid_t *, gid_t *, const char *);
/* Decides who serves: -u spec, else the default when root.  0 or -1. */
int	 priv_init(struct priv *, const char *);
/* Becomes that user for good (in a worker).  0 or -1. */
int	 priv_drop(const struct priv *);

/*
 * sandbox.c: what a worker may still do once it serves.
 */
/* An empty directory held by a descriptor only (as root); fd or -1. */
int	 sandbox_prepare(void);
/* Makes that directory this process's root and closes it.  0 or -1. */
int	 sandbox_chroot(int);
/* no_new_privs and the seccomp filter of a serving worker.  0 or -1. */
int	 sandbox_filter(void);

/*
 * channel.c: libfcgi behind a private socketpair, one per worker; the
 * only user of fcgiapp.h.  A request reaches it only after wire.c has
 * checked it, and only in wire_canonical's form.
 */
struct channel;
/*
 * FCGX_Init, once in the supervisor before any worker is forked.
 * 0, or -1 after saying why.
 */
int	 channel_init(void);
/* Frees what FCGX_Init allocated, in this process's copy. */
void	 channel_shutdown(void);
/*
 * A worker's channel with its socketpair open (before sandbox_filter);
 * NULL if out of memory or descriptors.
 */
struct channel *channel_new(void);
/* Closes both ends and frees ch; NULL is allowed. */
void	 channel_free(struct channel *);
/*
 * Serves the request wp has just parsed (WIRE_GOT_REQUEST) through
 * libfcgi and route_request: writes its records (STDOUT ..., END_REQUEST)
 * into out and returns their length.  -1 if the channel broke (said so
 * once a minute at most; the next call opens a new one): the caller
 * answers 500 itself.  Nothing a peer sends can make it fail.
 */
long	 channel_serve(struct channel *, const struct image *,
	    const struct wire_parser *, unsigned char *, size_t);

/*
 * fdpass.c: one message and one descriptor over a unix socket
 * (SCM_RIGHTS), as the loader and the supervisor pass an image on.
 */
#include <sys/types.h>
/*
 * Sends len bytes at data with fd attached (flags: MSG_DONTWAIT or 0;
 * never SIGPIPE); returns what sendmsg does, EINTR retried.
 */
ssize_t	 fdpass_send(int, const void *, size_t, int, int);
/*
 * Receives one message of at most len bytes into data and the one
 * descriptor it may carry into *fd (close-on-exec; else -1); returns
 * what recvmsg does (0 at EOF), EINTR retried, or -2 if the message or
 * its descriptors did not fit (then none is kept).
 */
ssize_t	 fdpass_recv(int, void *, size_t, int *, int);

/*
 * loader.c: a reload's config loaded in a child of the supervisor and
 * handed over as a sealed memfd holding its image.
 */
struct loader {
	pid_t		 pid;		/* 0: none running */
	int		 fd;		/* the supervisor's end, or -1 */
};
/* What a loader sends along with the image's descriptor. */
struct loader_done {
	uint64_t	 size;		/* of the image */
	uint64_t	 npolicies;	/* for the "reloaded" line */
	uint64_t	 ndomains;
	uint64_t	 has_default;
};
/*
 * t's image in a new sealed memfd (shrink, grow, write and seal sealed);
 * its descriptor, or -1 after saying why.
 */
int	 loader_image(const struct table *);
/*
 * Checks that fd is a sealed memfd of size bytes, maps it read-only and
 * opens it into img (img->base is the mapping, to munmap); 0, or -1
 * after saying why.
 */
int	 loader_check(int, size_t, struct image *);
/*
 * Forks a loader for file into ld; 0, or -1 after saying why (nothing
 * else changed).
 */
int	 loader_start(struct loader *, const char *);
/*
 * Takes the loader's answer from ld->fd (then closed and set to -1): the
 * image's descriptor and *done, or -1 if the load failed (the loader has
 * said why); -2 if nothing has arrived yet.
 */
int	 loader_receive(struct loader *, struct loader_done *);

/*
 * worker.c: one worker process's event loop.
 */
#define WORKER_CONNS_MAX	1000
/*
 * From the supervisor to a worker over its socket, with the descriptor
 * of a new image; the worker answers with the generation alone once it
 * serves from that image.
 */
struct worker_image {
	uint64_t	 generation;
	uint64_t	 size;
};
/*
 * Serves the image of size bytes in fd (which it closes), and each new
 * one sent over sock, until told to stop or sock's EOF; returns the exit
 * status.  The number of workers sizes FCGI_MAX_CONNS.
 */
int	 worker_run(const struct listener *, int, size_t, int, unsigned);

/*
 * supervisor.c: the workers, their replacement, reload and stop.
 */
/*
 * The signals that stop us cleanly (mta-sts-fcgi(8) SIGNALS), in the
 * supervisor and in every worker; the others whose default would kill
 * us are ignored, and the workers inherit that.
 */
#define SUPERVISOR_STOP_SIGNALS \
	SIGTERM, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGXCPU, SIGPWR
#include <signal.h>
/*
 * Blocks the signals the supervisor takes (SIGCHLD, SIGHUP, the stop
 * signals) into set, the previous mask into old, and ignores the rest
 * whose default would kill us; main calls it before the first load, so
 * that no signal during that load kills us (supervisor_run takes the
 * pending ones).
 */
void	 supervisor_signals(sigset_t *, sigset_t *);
/*
 * Runs nworkers workers serving the image of size bytes in fd until a
 * stop signal (SIGHUP reloads file through a loader); returns the exit
 * status.
 */
int	 supervisor_run(struct listener *, int, size_t, const char *,
	    const struct priv *, unsigned);

/*
 * cgi.c: one plain CGI request from the environment.
 */
/*
 * Answers the request in environ on stdout from img (NULL: the config
 * did not load, 500); returns the exit status.
 */
int	 cgi_serve(const struct image *);

#endif /* MTA_STS_FCGI_H */
