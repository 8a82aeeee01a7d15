/* SPDX-License-Identifier: ISC */
/*
 * mta-sts-fcgi, the responder: its own modules' interfaces, one
 * commented section each, over the FastCGI server core it shares with
 * mta-sts-report (serve.h).  Only channel.c includes fcgiapp.h, so the
 * rest links into unit tests and fuzzers without libfcgi.
 */
#ifndef MTA_STS_FCGI_H
#define MTA_STS_FCGI_H

#include "common/common.h"
#include "serve/serve.h"

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
 * cgi.c: one plain CGI request from the environment.
 */
/*
 * Answers the request in environ on stdout from img (NULL: the config
 * did not load, 500); returns the exit status.
 */
int	 cgi_serve(const struct image *);

#endif /* MTA_STS_FCGI_H */
