/*
 * mta-sts-fcgi: every module's interface, one commented section each.
 * Only worker.c and supervisor.c include fcgiapp.h and only conf.c
 * includes ini.h, so the rest links into unit tests and fuzzers without
 * either library.
 */
#ifndef MTA_STS_FCGI_H
#define MTA_STS_FCGI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PROGNAME	"mta-sts-fcgi"
#ifndef VERSION
#define VERSION		"0.1.0"
#endif

/*
 * log.c: the one place diagnostics are written (stderr, never the
 * FastCGI error stream).
 */
extern int	 log_quiet;	/* fuzzers: say nothing */
extern const char *log_progname; /* the prefix: PROGNAME unless set */
void	 log_warnx(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
void	 log_warn(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
/* Reports "file:line: [warning: ]message"; line 0 omits the line. */
void	 log_conf(const char *, unsigned long, int, const char *, ...)
	    __attribute__((format(printf, 4, 5)));

/*
 * sha256.c: FIPS 180-4 SHA-256, for policy ids.
 */
#define SHA256_LEN	32
struct sha256 {
	uint32_t	 state[8];
	uint64_t	 bytes;
	unsigned char	 block[64];
	size_t		 fill;
};
void	 sha256_init(struct sha256 *);
void	 sha256_update(struct sha256 *, const void *, size_t);
void	 sha256_final(struct sha256 *, unsigned char [SHA256_LEN]);

/*
 * dname.c: syntax of domain names and mx patterns (RFC 8461 §3.2,
 * RFC 5321 §4.1.2, RFC 1035 §2.3.4).
 */
enum dname_error {
	DNAME_OK = 0,
	DNAME_EMPTY,
	DNAME_TOO_LONG,
	DNAME_TRAILING_DOT,
	DNAME_EMPTY_LABEL,
	DNAME_LABEL_TOO_LONG,
	DNAME_HYPHEN_EDGE,
	DNAME_UNDERSCORE,
	DNAME_NON_ASCII,
	DNAME_BAD_CHAR,
	DNAME_WILDCARD_PLACE,
	DNAME_WILDCARD_DENIED,
	DNAME_IP_ADDRESS,
	DNAME_ONE_LABEL,
};
#define DNAME_MAX	253
#define DNAME_LABEL_MAX	63
/* Checks len bytes of name; wildcard allows a leading "*." label. */
enum dname_error dname_check(const char *, size_t, int);
/* Returns a sentence saying what is wrong and what is allowed. */
const char	*dname_strerror(enum dname_error);

/*
 * policy.c: a policy's exact response bytes, its id and its DNS
 * records; no I/O.
 */
enum policy_mode {
	POLICY_ENFORCE,
	POLICY_TESTING,
	POLICY_NONE,
};
#define POLICY_MAX_AGE_MAX	31557600UL	/* RFC 8461 §3.2 */
#define POLICY_BODY_MAX		64000		/* what senders accept */
#define POLICY_ID_LEN		32		/* RFC 8461 §3.1 */
#define POLICY_CONTENT_TYPE	"text/plain; charset=utf-8"

struct policy_spec {
	enum policy_mode	  mode;
	const char *const	 *mx;
	size_t			  mxlen;
	unsigned long		  max_age;
};

/* A prepared policy: what a request for it writes, byte for byte. */
struct policy {
	char		*response;	/* status, headers, blank line, body */
	size_t		 response_len;
	size_t		 header_len;	/* a HEAD response is this prefix */
	char		 id[POLICY_ID_LEN + 1];
};

const char	*policy_mode_name(enum policy_mode);
/* Returns the body's length, or 0 if it would exceed POLICY_BODY_MAX. */
size_t		 policy_body_len(const struct policy_spec *);
/* Prepares p from spec; returns 0, or -1 if out of memory or too big. */
int		 policy_prepare(struct policy *, const struct policy_spec *);
void		 policy_free(struct policy *);
/* The body of a prepared policy and its length. */
const char	*policy_body(const struct policy *, size_t *);
/* Writes the id of a body: its SHA-256 as 32 lower-case hex digits. */
void		 policy_id(const char *, size_t, char [POLICY_ID_LEN + 1]);
/*
 * Writes one zone-file line (with newline) for the _mta-sts or
 * _smtp._tls record of domain; returns the length snprintf would.
 */
int		 policy_dns_sts(char *, size_t, const char *, const char *);
int		 policy_dns_tlsrpt(char *, size_t, const char *, const char *);

/*
 * table.c: the prepared policies, deduplicated, and the domain → policy
 * map that requests look up; built once per load, read-only after.
 */
struct table_domain {
	const char	*name;		/* lower case, policy domain */
	const char	*tlsrpt;	/* rua value, or NULL */
	uint32_t	 policy;	/* index into policies */
	uint32_t	 hash;
};

struct table {
	struct policy		*policies;
	size_t			 npolicies;
	size_t			 policies_cap;
	struct table_domain	*domains;
	size_t			 ndomains;
	size_t			 domains_cap;
	uint32_t		*slots;		/* domain index + 1, 0 empty */
	size_t			 nslots;	/* a power of two */
	uint32_t		*policy_slots;	/* dedup index, policy + 1 */
	size_t			 npolicy_slots;
	long			 default_policy; /* -1: none */
	const char		*default_tlsrpt;
	struct table_chunk	*strings;
};

void	 table_init(struct table *);
void	 table_free(struct table *);
/* Copies a string into the table's storage; NULL if out of memory. */
const char *table_strdup(struct table *, const char *);
/* Prepares spec or finds an identical policy; returns its index or -1. */
long	 table_add_policy(struct table *, const struct policy_spec *);
/*
 * Adds a policy domain (lower case, not yet in the table) with no policy
 * yet; returns its index, or -1 if out of memory.
 */
long	 table_add_domain(struct table *, const char *, size_t);
/* Returns the domain entry for exactly this lower-case name, or NULL. */
const struct table_domain *table_find(const struct table *, const char *,
	    size_t);
/* Returns the policy a normalised host is served, or NULL (404). */
const struct policy *table_lookup(const struct table *, const char *,
	    size_t);

/*
 * conf.c: the INI config (inih) → validated, prepared table.
 */
struct conf {
	char		*file;
	struct table	 table;
	size_t		 warnings;
};
/*
 * Loads and validates file, reporting every problem through log_conf.
 * Returns 0 and fills conf, or the number of errors found (conf is
 * then empty); -1 if the file could not be read at all.
 */
long	 conf_load(struct conf *, const char *);
/* The same from an open stream; file names it in messages. */
long	 conf_load_stream(struct conf *, FILE *, const char *);
void	 conf_free(struct conf *);

/*
 * route.c: (role, method, host, path) → the bytes to write; pure.
 */
#define ROUTE_PATH	"/.well-known/mta-sts.txt"
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

struct wire_scan;
/* Fills req from a NULL-terminated "NAME=value" array in one pass. */
void	 route_from_env(char *const *, struct route_request *);
/*
 * Fills req from the values wire_scan found in buf, NUL-terminating each
 * in place (buf is a copy libfcgi has already read past); role is the
 * BEGIN_REQUEST's.  Returns -1 if they must come from the environment.
 */
int	 route_from_wire(unsigned char *, const struct wire_scan *,
	    struct route_request *);
/*
 * Normalises a Host value into out (lower case; port, trailing dot and
 * "mta-sts." removed); returns its length, 0 for no host, -1 if it is
 * not a valid host.
 */
long	 route_host(const char *, char *, size_t);
/* Fills res with the canned response for an error status. */
void	 route_status(struct route_response *, int, int);
/* Decides the response to req; never fails. */
void	 route(const struct table *, const struct route_request *,
	    struct route_response *);

/*
 * wire.c: FastCGI records as bytes, checked before libfcgi sees them;
 * replies we frame ourselves.  Pure.
 */
#define WIRE_HEAD_MAX	65536	/* BEGIN_REQUEST to the end of PARAMS */
#define WIRE_BODY_MAX	65536	/* FCGI_STDIN records */
#define WIRE_PARAMS_MAX	1024	/* name-value pairs */
#define WIRE_PEEK_MAX	(WIRE_HEAD_MAX + WIRE_BODY_MAX + 8)
/* Room for any management reply: 3 names and values, 2 headers. */
#define WIRE_MANAGEMENT_MAX	128

enum wire_status {
	WIRE_INCOMPLETE,	/* wait for more bytes */
	WIRE_REQUEST,		/* a whole, valid request: give it to libfcgi */
	WIRE_MANAGEMENT,	/* a management record: wire_management */
	WIRE_TOO_LARGE,		/* head over the limits: answer 400 */
	WIRE_BODY_TOO_LARGE,	/* body over the limit: answer 413 */
	WIRE_INVALID,		/* not a request we serve: close */
};

/* The request parameters routing needs, as found by wire_scan. */
enum wire_param {
	WIRE_METHOD,		/* REQUEST_METHOD */
	WIRE_HOST,		/* HTTP_HOST */
	WIRE_SERVER_NAME,	/* SERVER_NAME */
	WIRE_URI,		/* REQUEST_URI */
	WIRE_SCRIPT_NAME,	/* SCRIPT_NAME */
	WIRE_PATH_INFO,		/* PATH_INFO */
	WIRE_PARAMS,
};

struct wire_scan {
	enum wire_status	 status;
	size_t			 len;		/* bytes of the request/record */
	unsigned		 id;		/* request id */
	unsigned		 role;
	int			 keep_conn;	/* FCGI_KEEP_CONN */
	int			 trailing;	/* more bytes follow the request */
	size_t			 params;	/* name-value pairs */
	/*
	 * Where each value we route by lies in the buffer (offset, length;
	 * length -1: absent), valid unless split: a pair lay across
	 * records, and the caller must ask libfcgi's environment instead.
	 */
	size_t			 value_at[WIRE_PARAMS];
	long			 value_len[WIRE_PARAMS];
	int			 split;
};

/* Classifies the bytes a connection has sent so far (from its start). */
void	 wire_scan(const unsigned char *, size_t, struct wire_scan *);
/*
 * Frames an application response for request id: STDOUT records, the
 * empty STDOUT, END_REQUEST.  Returns its length, 0 if size is too small.
 */
size_t	 wire_response(unsigned, const char *, size_t, unsigned char *,
	    size_t);
#define WIRE_UNKNOWN_ROLE	3	/* FCGI_END_REQUEST protocol status */
/* An END_REQUEST alone with protocol_status; its length, 0 if no room. */
size_t	 wire_end_request(unsigned, int, unsigned char *, size_t);
/* The reply to a whole management record; its length, 0 if no room. */
size_t	 wire_management(const unsigned char *, unsigned, unsigned char *,
	    size_t);

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

struct listener {
	enum listen_kind	 kind;
	int			 fd;
	char			*unix_path;	/* own unix socket, removed at exit */
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
/* May this TCP peer connect (FCGI_WEB_SERVER_ADDRS)?  Unix: always. */
int	 listen_peer_allowed(const struct listener *, const struct sockaddr *,
	    socklen_t);
int	 listen_nonblock(const struct listener *);
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
 * worker.c: one worker process's event loop.
 */
#define WORKER_CONNS_MAX	1000
/* Serves until told to stop; returns the exit status. */
int	 worker_run(const struct listener *, const struct table *, int,
	    unsigned);

/*
 * supervisor.c: the workers, their replacement, reload and stop.
 */
/* Runs nworkers workers until SIGTERM; returns the exit status. */
int	 supervisor_run(struct listener *, struct conf *, const char *,
	    const struct priv *, unsigned);

/*
 * cgi.c: one plain CGI request from the environment.
 */
/* Answers the request in environ on stdout; returns the exit status. */
int	 cgi_serve(const struct table *);

#endif /* MTA_STS_FCGI_H */
