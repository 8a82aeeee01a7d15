/* SPDX-License-Identifier: ISC */
/*
 * What a sender's MTA does at an MX host under an MTA-STS policy
 * (RFC 8461 §4.2, RFC 3207): connect to port 25, read the greeting,
 * EHLO, STARTTLS if offered, then TLS 1.2 or later with the certificate
 * verified for the MX host's name (SSL_set1_host) and a valid chain.
 * The whole conversation has one deadline; every read and write polls
 * for what is left of it.  QUIT, and no mail is ever sent.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "check/check.h"

static SSL_CTX	*tls_ctx;

int
check_smtp_init(const char *cafile)
{
	if ((tls_ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return -1;
	SSL_CTX_set_min_proto_version(tls_ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(tls_ctx, SSL_VERIFY_NONE, NULL);
	if ((cafile != NULL ?
	    SSL_CTX_load_verify_locations(tls_ctx, cafile, NULL) :
	    SSL_CTX_set_default_verify_paths(tls_ctx)) != 1) {
		SSL_CTX_free(tls_ctx);
		tls_ctx = NULL;
		return -1;
	}
	return 0;
}

void
check_smtp_cleanup(void)
{
	SSL_CTX_free(tls_ctx);
	tls_ctx = NULL;
}

struct conn {
	int		 fd;
	SSL		*ssl;
	struct timespec	 deadline;
	char		 buf[4096];	/* bytes read, not yet used */
	size_t		 len;
	int		 starttls;	/* a reply line offered STARTTLS */
};

/* Milliseconds left before the deadline, 0 if none. */
static int
left(const struct conn *c)
{
	struct timespec	 now;
	long long	 ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(c->deadline.tv_sec - now.tv_sec) * 1000 +
	    (c->deadline.tv_nsec - now.tv_nsec) / 1000000;
	return ms <= 0 ? 0 : (int)ms;
}

static int
wait_fd(struct conn *c, short events)
{
	struct pollfd	 p = { c->fd, events, 0 };
	int		 ms;

	if ((ms = left(c)) == 0)
		return -1;
	return poll(&p, 1, ms) == 1 ? 0 : -1;
}

static int
dial(struct conn *c, const char *address, unsigned port, char *err,
    size_t errsize)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 sslen, elen = sizeof(int);
	int			 e = 0;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, address, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		sslen = sizeof(*sin);
	} else if (inet_pton(AF_INET6, address, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		sslen = sizeof(*sin6);
	} else {
		snprintf(err, errsize, "not an address");
		return -1;
	}
	if ((c->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errsize, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(c->fd, (struct sockaddr *)&ss, sslen) == -1) {
		if (errno != EINPROGRESS) {
			snprintf(err, errsize, "connect: %s", strerror(errno));
			return -1;
		}
		if (wait_fd(c, POLLOUT) == -1) {
			snprintf(err, errsize, "connect: no answer within "
			    "%d s", CHECK_TIMEOUT_CONNECT);
			return -1;
		}
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &elen) == -1 ||
		    e != 0) {
			snprintf(err, errsize, "connect: %s", strerror(e));
			return -1;
		}
	}
	return 0;
}

/*
 * Reads one SMTP reply (RFC 5321 §4.2: "ddd-" lines, then "ddd "),
 * appending its lines to text; returns the code, or -1.
 */
static int
reply(struct conn *c, char *text, size_t textsize, char *err,
    size_t errsize)
{
	char	*nl;
	size_t	 n, tl = 0;
	ssize_t	 r;
	int	 lines = 0, code, more;

	text[0] = '\0';
	for (;;) {
		while ((nl = memchr(c->buf, '\n', c->len)) != NULL) {
			n = (size_t)(nl - c->buf) + 1;
			if (n < 4 || c->buf[0] < '2' || c->buf[0] > '5' ||
			    c->buf[1] < '0' || c->buf[1] > '9' ||
			    c->buf[2] < '0' || c->buf[2] > '9' ||
			    (c->buf[3] != ' ' && c->buf[3] != '-' &&
			    c->buf[3] != '\r')) {
				snprintf(err, errsize, "not an SMTP reply: "
				    "\"%.40s\"", c->buf);
				return -1;
			}
			code = (c->buf[0] - '0') * 100 +
			    (c->buf[1] - '0') * 10 + (c->buf[2] - '0');
			more = c->buf[3] == '-';
			/*
			 * RFC 3207 §4: an EHLO keyword line, however long
			 * the reply.
			 */
			if (n >= 12 &&
			    strncasecmp(c->buf + 4, "STARTTLS", 8) == 0 &&
			    (c->buf[12] == '\r' || c->buf[12] == '\n' ||
			    c->buf[12] == ' '))
				c->starttls = 1;
			/* Lines past textsize are read, not kept. */
			if (tl + n < textsize) {
				memcpy(text + tl, c->buf, n);
				text[tl += n] = '\0';
			}
			memmove(c->buf, c->buf + n, c->len - n);
			c->len -= n;
			if (!more) {
				/* Messages quote the reply without its CRLF. */
				while (tl > 0 && (text[tl - 1] == '\n' ||
				    text[tl - 1] == '\r'))
					text[--tl] = '\0';
				return code;
			}
			if (++lines > 100) {
				snprintf(err, errsize, "a reply of over 100 "
				    "lines");
				return -1;
			}
		}
		if (c->len == sizeof(c->buf)) {
			snprintf(err, errsize, "a reply line over %zu bytes",
			    sizeof(c->buf));
			return -1;
		}
		if (wait_fd(c, POLLIN) == -1) {
			snprintf(err, errsize, "no reply within %d s",
			    CHECK_TIMEOUT_SMTP);
			return -1;
		}
		r = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		if (r == -1 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r <= 0) {
			snprintf(err, errsize, "connection closed%s%s",
			    r < 0 ? ": " : "", r < 0 ? strerror(errno) : "");
			return -1;
		}
		c->len += (size_t)r;
	}
}

static int
say(struct conn *c, const char *line, char *err, size_t errsize)
{
	size_t	 done = 0, len = strlen(line);
	ssize_t	 w;

	while (done < len) {
		if (wait_fd(c, POLLOUT) == -1) {
			snprintf(err, errsize, "write timed out");
			return -1;
		}
		if ((w = send(c->fd, line + done, len - done,
		    MSG_NOSIGNAL)) == -1) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			snprintf(err, errsize, "write: %s", strerror(errno));
			return -1;
		}
		done += (size_t)w;
	}
	return 0;
}

static void
tls_error(struct conn *c, struct check_smtp_answer *s)
{
	unsigned long	 e;
	long		 v;
	char		 msg[200];

	s->status = CHECK_SMTP_TLS;
	v = SSL_get_verify_result(c->ssl);
	if (v == X509_V_ERR_HOSTNAME_MISMATCH &&
	    check_x509_chain_seen()->leaf_seen &&
	    !check_x509_chain_seen()->leaf_san) {
		snprintf(s->error, sizeof(s->error), "certificate: no "
		    "subjectAltName DNS name (a name only in the subject's CN "
		    "does not count)");
		return;
	}
	if (v != X509_V_OK) {
		snprintf(s->error, sizeof(s->error), "certificate: %s",
		    X509_verify_cert_error_string(v));
		return;
	}
	if ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, msg, sizeof(msg));
		snprintf(s->error, sizeof(s->error), "TLS handshake failed: %s",
		    msg);
	} else
		snprintf(s->error, sizeof(s->error), "TLS handshake failed "
		    "(timed out or connection closed)");
}

/*
 * The chain the server sent, kept even when verification refused it:
 * a DANE-EE host needs no CA, and DANE senders match its own key.
 */
static void
presented(struct conn *c, struct check_smtp_answer *s)
{
	if (check_x509_presented(SSL_get_peer_cert_chain(c->ssl),
	    &s->presented, &s->npresented) == -1)
		s->npresented = 0;
}

static int
handshake(struct conn *c, const char *host, struct check_smtp_answer *s)
{
	int	 r, e;

	if ((c->ssl = SSL_new(tls_ctx)) == NULL ||
	    SSL_set_fd(c->ssl, c->fd) != 1 ||
	    SSL_set_tlsext_host_name(c->ssl, host) != 1 ||
	    SSL_set1_host(c->ssl, host) != 1) {
		tls_error(c, s);
		return -1;
	}
	/*
	 * RFC 8461 §4.2: the name in a subjectAltName, never the subject's
	 * CN, and a wildcard for one whole label only.
	 */
	SSL_set_hostflags(c->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS |
	    X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
	SSL_set_verify(c->ssl, SSL_VERIFY_PEER, check_x509_verify_note);
	check_x509_chain_reset();
	while ((r = SSL_connect(c->ssl)) != 1) {
		e = SSL_get_error(c->ssl, r);
		if ((e == SSL_ERROR_WANT_READ && wait_fd(c, POLLIN) == 0) ||
		    (e == SSL_ERROR_WANT_WRITE && wait_fd(c, POLLOUT) == 0))
			continue;
		tls_error(c, s);
		presented(c, s);
		return -1;
	}
	s->expiry = check_x509_chain_seen()->expiry;
	presented(c, s);
	return 0;
}

void
check_smtp_starttls(const char *host, const char *address, unsigned port,
    struct check_smtp_answer *s)
{
	struct conn	 c;
	char		 text[8192], helo[300], me[256];
	int		 code;

	memset(s, 0, sizeof(*s));
	memset(&c, 0, sizeof(c));
	c.fd = -1;
	clock_gettime(CLOCK_MONOTONIC, &c.deadline);
	c.deadline.tv_sec += CHECK_TIMEOUT_CONNECT;
	s->status = CHECK_SMTP_CONNECT;
	if (dial(&c, address, port, s->error, sizeof(s->error)) == -1)
		goto out;
	c.deadline.tv_sec += CHECK_TIMEOUT_SMTP - CHECK_TIMEOUT_CONNECT;
	if ((code = reply(&c, text, sizeof(text), s->error,
	    sizeof(s->error))) == -1)
		goto out;
	if (code != 220) {
		snprintf(s->error, sizeof(s->error), "greeting %.60s", text);
		goto out;
	}
	if (gethostname(me, sizeof(me)) == -1 || strchr(me, '.') == NULL)
		snprintf(me, sizeof(me), "mta-sts-check.invalid");
	snprintf(helo, sizeof(helo), "EHLO %s\r\n", me);
	c.starttls = 0;
	if (say(&c, helo, s->error, sizeof(s->error)) == -1 ||
	    (code = reply(&c, text, sizeof(text), s->error,
	    sizeof(s->error))) == -1)
		goto out;
	if (code != 250) {
		snprintf(s->error, sizeof(s->error), "EHLO answered %.60s",
		    text);
		goto out;
	}
	if (!c.starttls) {
		s->status = CHECK_SMTP_NO_STARTTLS;
		snprintf(s->error, sizeof(s->error), "STARTTLS not offered");
		say(&c, "QUIT\r\n", me, sizeof(me));
		goto out;
	}
	if (say(&c, "STARTTLS\r\n", s->error, sizeof(s->error)) == -1 ||
	    (code = reply(&c, text, sizeof(text), s->error,
	    sizeof(s->error))) == -1)
		goto out;
	if (code != 220) {
		s->status = CHECK_SMTP_NO_STARTTLS;
		snprintf(s->error, sizeof(s->error), "STARTTLS answered %.60s",
		    text);
		goto out;
	}
	if (c.len > 0) {
		/* RFC 3207 §5: nothing may follow 220 before the handshake. */
		s->status = CHECK_SMTP_TLS;
		snprintf(s->error, sizeof(s->error), "bytes after the "
		    "STARTTLS reply (a STARTTLS injection risk)");
		goto out;
	}
	if (handshake(&c, host, s) == -1)
		goto out;
	s->status = CHECK_SMTP_OK;
	SSL_write(c.ssl, "QUIT\r\n", 6);
out:
	if (c.ssl != NULL) {
		SSL_shutdown(c.ssl);
		SSL_free(c.ssl);
	}
	if (c.fd != -1)
		close(c.fd);
	ERR_clear_error();
}

void
check_smtp_answer_free(struct check_smtp_answer *s)
{
	check_dane_certs_free(s->presented, s->npresented);
	s->presented = NULL;
	s->npresented = 0;
}
