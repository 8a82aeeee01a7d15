/* SPDX-License-Identifier: ISC */
/*
 * serve: the FastCGI server core mta-sts-fcgi and mta-sts-report share,
 * one commented section per module: where the socket comes from, who
 * serves, the sandbox, the wire parser, descriptor passing, the loader,
 * the worker's event loop and the supervisor.  What differs between the
 * two programs is one struct of hooks each passes in (struct serve_app,
 * below): how a whole request is answered, how large a body may be and
 * whether it is kept, what the image holds besides the table, a
 * worker's own setup, the system calls its sandbox must allow, and
 * what it records of each config it serves.  It includes only
 * common.h: no libfcgi, no program's header.
 */
#ifndef MTA_STS_SERVE_H
#define MTA_STS_SERVE_H

#include <sys/types.h>

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
/* Does img have a [domain] section of exactly this lower-case name? */
int	 image_domain(const struct image *, const char *, size_t);
/*
 * The policy a normalised host (route_host) is served, as table_lookup
 * decides it: its domain's, else the default; 0 and fills p, or -1 if
 * none is (404).
 */
int	 image_lookup(const struct image *, const char *, size_t,
	    struct image_policy *);

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
#define WIRE_BODY_MAX	65536	/* content of FCGI_STDIN, unless wire_limit */
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
	WIRE_NEED_BODY,		/* a kept body's room first: wire_reserve */
	WIRE_BAD_HEAD,		/* head over the limits, or a NUL: answer 400 */
	WIRE_BODY_TOO_LARGE,	/* body over the limit: answer 413 */
	WIRE_INVALID,		/* not a request we serve: close */
};

/* Why a head was refused (WIRE_BAD_HEAD): a program's 400 says so. */
enum wire_bad {
	WIRE_BAD_NONE,
	WIRE_BAD_TOO_LARGE,	/* over WIRE_HEAD_MAX, or the stream over
				   WIRE_HEAD_MAX + WIRE_DISCARD_MAX */
	WIRE_BAD_TOO_MANY,	/* over WIRE_PARAMS_MAX pairs */
	WIRE_BAD_NUL,		/* a NUL in a name or value */
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
	size_t		 body_max;	/* wire_limit; 0: WIRE_BODY_MAX */
	int		 keep_body;	/* our STDIN's content is kept */
	size_t		 body_need;	/* with WIRE_NEED_BODY: its room */
	int		 reserved;	/* wire_reserve made that room */
	int		 over;		/* head over WIRE_HEAD_MAX */
	enum wire_bad	 bad;		/* with WIRE_BAD_HEAD: why */
	struct wire_pairs pairs;
	unsigned char	*buf;		/* our PARAMS, or a management record */
	size_t		 len, cap;
	unsigned char	*kept;		/* our STDIN's content (keep_body) */
	size_t		 kept_len, kept_cap;
};

/* A fresh parser (all zero). */
void	 wire_init(struct wire_parser *);
/* Frees what the parser kept and makes it fresh again. */
void	 wire_free(struct wire_parser *);
/*
 * Sets the most content of FCGI_STDIN a request may have (0:
 * WIRE_BODY_MAX), and whether it is kept (wire_body), for the request
 * being read and the next ones.
 */
void	 wire_limit(struct wire_parser *, size_t, int);
/*
 * Consumes up to n bytes, stopping after the first event; *used says how
 * many.  After WIRE_BAD_HEAD, WIRE_BODY_TOO_LARGE or WIRE_INVALID the
 * parser takes nothing more.  An event's data stays valid until the
 * next call.  A body that is kept needs its room first: once the head is
 * whole, WIRE_NEED_BODY says how much (body_need: the CONTENT_LENGTH
 * declared, else the limit), and is said again, taking nothing, until
 * wire_reserve has made it; more body than CONTENT_LENGTH declared is
 * WIRE_INVALID.
 */
enum wire_event wire_feed(struct wire_parser *, const unsigned char *,
	    size_t, size_t *);
/*
 * Allocates the room WIRE_NEED_BODY asked for, all at once, so that the
 * body never grows past what the worker granted; 0, or -1 if out of
 * memory.
 */
int	 wire_reserve(struct wire_parser *);
/*
 * Frees the kept body and its room, at once: after the request is
 * answered, or when it is given up; the parser is then fed no more
 * body for that request.
 */
void	 wire_release(struct wire_parser *);
/*
 * The value of the first parameter called name in the request just
 * parsed (WIRE_GOT_REQUEST): its bytes (no NUL in them, none after
 * them) and *len, or NULL if the request has none.
 */
const char *wire_param(const struct wire_parser *, const char *, size_t *);
/*
 * The body of the request just parsed, if kept (wire_limit): its bytes
 * and *len; NULL and 0 if it was empty or not kept.
 */
const unsigned char *wire_body(const struct wire_parser *, size_t *);
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
	char		 home[256];	/* the user's, "" if none or too long */
};
/* Parses "user[:group]"; 0, or -1 after saying why (what names it). */
int	 priv_parse(const char *, uid_t *, gid_t *, const char *);
/* Decides who serves: -u spec, else the default when root.  0 or -1. */
int	 priv_init(struct priv *, const char *);
/*
 * Becomes that user for good (in a worker), with HOME that user's home
 * directory (unset if it has none), as login(1) would give it: the
 * libraries a worker uses find their per-user files there (libpq's
 * ~/.pgpass and ~/.postgresql/), not in root's.  0 or -1.
 */
int	 priv_drop(const struct priv *);

/*
 * sandbox.c: what a worker may still do once it serves.
 */
/* An empty directory held by a descriptor only (as root); fd or -1. */
int	 sandbox_prepare(void);
/* Makes that directory this process's root and closes it.  0 or -1. */
int	 sandbox_chroot(int);
/*
 * no_new_privs and the seccomp filter of a serving worker: the core's
 * system calls and the n more at extra (a serve_app's).  0 or -1.
 */
int	 sandbox_filter(const int *, size_t);

/*
 * What a program serves: the hooks the core calls, each NULL where a
 * default is said.  A program passes one, alive for the whole run, to
 * serve_run.
 */
struct serve_image;
struct serve_app {
	const char	*name;		/* in messages and the memfd's name */
	/*
	 * No socket from -s, systemd or fd 0, and cgi_request set: one
	 * plain CGI request for the config file; the exit status.  NULL:
	 * refused, with a message naming the sources of a socket.
	 */
	int		 (*cgi)(const char *);
	/*
	 * The config as first loaded, before anything is bound or served,
	 * as root if started so: 0, or -1 after saying why (not served).
	 */
	int		 (*loaded)(const struct conf *);
	/*
	 * Once in the supervisor before any worker is forked (0, or -1
	 * after saying why), and what undoes it in every process at its
	 * end.
	 */
	int		 (*init)(void);
	void		 (*shutdown)(void);
	/*
	 * Started as root, each worker chroots into a directory before it
	 * drops privileges: a descriptor of this one, opened once in the
	 * supervisor, which closes it (-1 after saying why).  NULL: an
	 * empty directory (sandbox_prepare).
	 */
	int		 (*root_dir)(void);
	/*
	 * The loader's: the program's own part of a loaded config's image,
	 * after the table's: its size (0: none) and its bytes.
	 */
	size_t		 (*image_size)(const struct conf *);
	void		 (*image_write)(const struct conf *, unsigned char *,
			    size_t);
	/*
	 * A worker's: is the part of len bytes one image_write wrote?  0 or
	 * -1.  NULL: the part must be empty.
	 */
	int		 (*image_check)(const unsigned char *, size_t);
	/*
	 * The most content of FCGI_STDIN a request may have under an image
	 * (more is refused with 413 as it arrives).  NULL: WIRE_BODY_MAX.
	 * keep_body: the body is kept for serve (wire_body), else counted.
	 */
	size_t		 (*body_max)(const struct serve_image *);
	int		 keep_body;
	/*
	 * A worker's own state, made before its seccomp filter (*ctx; 0, or
	 * -1 after saying why), and freed at its end (ctx NULL if
	 * worker_start failed or never ran).
	 */
	int		 (*worker_start)(void **);
	void		 (*worker_end)(void *);
	/*
	 * Answers the request wp has just parsed (WIRE_GOT_REQUEST, a
	 * role from WIRE_RESPONDER to WIRE_FILTER) from an image: writes
	 * its records (STDOUT ..., END_REQUEST) into out (size bytes) and
	 * returns their length, or -1 if it cannot (then the core answers
	 * 500).
	 */
	long		 (*serve)(void *, const struct serve_image *,
			    const struct wire_parser *, unsigned char *,
			    size_t);
	/*
	 * The core's own refusals (400: a head over the limits, 413: a body
	 * over them, 500: serve failed, 503: a kept body's room taken back
	 * while others waited, worker.c) as FastCGI's STDOUT carries them:
	 * status, headers and body, or the headers alone for HEAD
	 * (wp->pairs.head), for the request wp is parsing (a 400's reason:
	 * wp->bad); *len bytes at the returned pointer, valid until the
	 * next call.
	 */
	const char	*(*status)(int, const struct wire_parser *, size_t *);
	/* What a serving worker may call beyond the core's (sandbox.c). */
	const int	*syscalls;
	size_t		 nsyscalls;
	/*
	 * What a program keeps of each config it serves, outside the image
	 * (mta-sts-report: since when each policy is served): called with
	 * the config once at start (when the workers run) and after each
	 * reload (once its image is sent), in a child of the supervisor
	 * that runs as the serving user (-u if started as root, so never
	 * root) without a worker's chroot or filter, and is killed after
	 * SERVE_RECORD_MS.  Nothing waits for it but the next reload.  0,
	 * or -1 after saying why (the core then keeps the next ones quiet
	 * for SERVE_RECORD_QUIET_MS).  NULL: nothing is kept.
	 */
	int		 (*record)(const struct conf *);
};
#define SERVE_RECORD_MS		20000
#define SERVE_RECORD_QUIET_MS	60000

/*
 * serve.c: the options every FastCGI server takes (-s, -m, -o, -u, -w)
 * and its start: the socket, the first load, who serves, the supervisor.
 */
/* Their getopt letters, and their lines of a usage message. */
#define SERVE_GETOPT	"m:o:s:u:w:"
#define SERVE_USAGE \
	"  -s address  listen on unix:/path, /path, host:port, " \
	"[ipv6]:port or :port\n" \
	"  -m mode     mode of the -s unix socket (default 0660)\n" \
	"  -o owner    owner[:group] of the -s unix socket " \
	"(default: the -u user)\n" \
	"  -u user     serve as user[:group] when started as root " \
	"(default " SERVE_USER ")\n" \
	"  -w workers  worker processes " \
	"(default: one per CPU, at least 2)\n"
#ifndef SERVE_USER
#define SERVE_USER	"www-data"	/* the Makefile sets it */
#endif
#define SERVE_WORKERS_MAX	256

struct serve_opts {
	const char		*address;	/* -s */
	const char		*sockmode;	/* -m */
	const char		*owner;		/* -o */
	const char		*user;		/* -u */
	const char		*nworkers;	/* -w */
	struct listen_opts	 lo;		/* from -m, -o */
	unsigned		 workers;	/* from -w */
};
/* Takes getopt's ch and optarg if ch is one of SERVE_GETOPT: 1, else 0. */
int	 serve_option(struct serve_opts *, int, const char *);
/* Was any of them given? */
int	 serve_given(const struct serve_opts *);
/*
 * Checks what they say together and their numbers, and fills lo and
 * workers: 0, or -1 with the usage error (size bytes) in why.
 */
int	 serve_check(struct serve_opts *, char *, size_t);
/*
 * Serves FastCGI as app says on the socket of -s, systemd or fd 0 (or
 * one CGI request, cgi_request: the environment holds one) for the
 * config file until a stop signal; returns the exit status.
 */
int	 serve_run(const struct serve_app *, struct serve_opts *,
	    const char *, int);

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
 * loader.c: a config loaded in a child of the supervisor and handed over
 * as a sealed memfd holding its image: the table's (image.c), then the
 * program's own part (serve_app image_write).
 */
struct loader {
	pid_t		 pid;		/* 0: none running */
	int		 fd;		/* the supervisor's end, or -1 */
	int64_t		 record_by;	/* recording until; 0 loading, -1 given up */
	int		 quiet;		/* its record says nothing */
};
/* A loader's exit status when its record (serve_app record) failed. */
#define LOADER_RECORD_FAILED	2
/* What a loader sends along with the image's descriptor. */
struct loader_done {
	uint64_t	 size;		/* of the image */
	uint64_t	 npolicies;	/* for the "reloaded" line */
	uint64_t	 ndomains;
	uint64_t	 has_default;
};
/* A checked image, mapped read-only (loader_check). */
struct serve_image {
	struct image		 table;
	const unsigned char	*part;		/* the program's own */
	size_t			 part_len;
	void			*map;		/* all of it, to munmap */
	size_t			 map_len;
};
/*
 * conf's image in a new sealed memfd (shrink, grow, write and seal
 * sealed), its size in *size; its descriptor, or -1 after saying why.
 */
int	 loader_image(const struct serve_app *, const struct conf *,
	    size_t *);
/*
 * Checks that fd is a sealed memfd of size bytes, maps it read-only and
 * opens it into si (the table's part with image_open, the program's
 * with its image_check); 0, or -1 after saying why.
 */
int	 loader_check(const struct serve_app *, int, size_t,
	    struct serve_image *);
/* Unmaps what loader_check mapped; an si all zero is fine. */
void	 loader_unmap(struct serve_image *);
/*
 * Forks a loader for file into ld; 0, or -1 after saying why (nothing
 * else changed).  Once it has sent the image, it records it as priv's
 * user (serve_app record), quiet if ld->quiet says so, and exits.
 */
int	 loader_start(struct loader *, const struct serve_app *,
	    const char *, const struct priv *);
/*
 * The record of the config loaded at start: forks a child into ld that
 * keeps conf and waits on ld->fd for loader_go (ld->pid 0 and ld->fd -1
 * if app has no record hook).  0, or -1 after saying why (then none).
 */
int	 loader_recorder(struct loader *, const struct serve_app *,
	    const struct conf *);
/*
 * Lets that child record as priv's user, or with NULL ends it with
 * nothing recorded (the config is not served); closes ld->fd.
 */
void	 loader_go(struct loader *, const struct priv *);
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
 * The request bodies a worker keeps (serve_app keep_body), all its
 * connections together, are at most this many body_max.
 */
#define WORKER_BODY_BUDGET	16
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
int	 worker_run(const struct serve_app *, const struct listener *, int,
	    size_t, int, unsigned);

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
 * status.  recorder (loader_recorder) is let go once the workers run,
 * or ended if none can.
 */
int	 supervisor_run(const struct serve_app *, struct listener *, int,
	    size_t, const char *, const struct priv *, unsigned,
	    struct loader *);

#endif /* MTA_STS_SERVE_H */
