/* SPDX-License-Identifier: ISC */
/*
 * Who may connect: FCGI_WEB_SERVER_ADDRS parsed, then peers checked as
 * accept() reports them, IPv4, IPv6 and v4-mapped (a dual-stack socket's
 * IPv4 peer), either way round.
 */
#include <arpa/inet.h>

#include "serve/serve.h"
#include "unit.h"

/* Fills ss with addr (IPv4 or IPv6 text); its length. */
static socklen_t
peer(struct sockaddr_storage *ss, const char *addr)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		return sizeof(*sin);
	}
	if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		return sizeof(*sin6);
	}
	return 0;
}

static void
test_peers(void)
{
	static const struct {
		const char	*env, *peer;
		int		 want;
	} rows[] = {
		{ NULL, "192.0.2.1", 1 },
		{ "", "2001:db8::1", 1 },
		{ "127.0.0.1", "127.0.0.1", 1 },
		{ "127.0.0.1", "127.0.0.2", 0 },
		{ "127.0.0.1", "::1", 0 },
		{ "::1", "::1", 1 },
		{ "::1", "127.0.0.1", 0 },
		{ "192.0.2.1, 2001:db8::1", "2001:db8::1", 1 },
		{ "192.0.2.1,2001:db8::1", "192.0.2.1", 1 },
		{ "192.0.2.1,2001:db8::1", "2001:db8::2", 0 },
		/* An IPv4 entry, a dual-stack socket's IPv4 peer. */
		{ "127.0.0.1", "::ffff:127.0.0.1", 1 },
		{ "127.0.0.1", "::ffff:127.0.0.2", 0 },
		/* A v4-mapped entry names the IPv4 host, either way round. */
		{ "::ffff:127.0.0.1", "127.0.0.1", 1 },
		{ "::ffff:127.0.0.1", "::ffff:127.0.0.1", 1 },
		{ "::FFFF:7f00:1", "127.0.0.1", 1 },
		{ "::ffff:127.0.0.1", "127.0.0.2", 0 },
		{ "::ffff:127.0.0.1", "::ffff:127.0.0.2", 0 },
		/* Not the same as v4-mapped: IPv4-compatible, NAT64. */
		{ "::127.0.0.1", "127.0.0.1", 0 },
		{ "64:ff9b::127.0.0.1", "127.0.0.1", 0 },
		{ "127.0.0.1", "::127.0.0.1", 0 },
	};
	struct listener			 l;
	struct sockaddr_storage		 ss;
	socklen_t			 len;
	size_t				 i;
	int				 got;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&l, 0, sizeof(l));
		len = peer(&ss, rows[i].peer);
		got = listen_peers(&l, rows[i].env) == 0 && len > 0 ?
		    listen_peer_allowed(&l, (struct sockaddr *)&ss, len) : -1;
		CHECK(got == rows[i].want, "FCGI_WEB_SERVER_ADDRS=\"%s\", "
		    "peer %s: want %s, got %s",
		    rows[i].env ? rows[i].env : "(unset)", rows[i].peer,
		    rows[i].want ? "admitted" : "refused",
		    got == 1 ? "admitted" : got == 0 ? "refused" : "error");
	}
}

static void
test_bad(void)
{
	static const char *const bad[] = {
		"nonsense", ",127.0.0.1", "127.0.0.1,,::1",
		"127.0.0.256", "::ffff:127.0.0.256", "[::1]", "127.0.0.1/8",
	};
	struct listener	 l;
	char		 many[LISTEN_PEERS_MAX * 11 + 11] = "";
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&l, 0, sizeof(l));
		CHECK(listen_peers(&l, bad[i]) == -1,
		    "FCGI_WEB_SERVER_ADDRS=\"%s\" is refused", bad[i]);
	}
	/* LISTEN_PEERS_MAX addresses are taken, one more is refused. */
	for (i = 0; i < LISTEN_PEERS_MAX; i++)
		strcat(many, i > 0 ? ",127.0.0.1" : "127.0.0.1");
	memset(&l, 0, sizeof(l));
	CHECK(listen_peers(&l, many) == 0 && l.npeers == LISTEN_PEERS_MAX,
	    "%d addresses are taken", LISTEN_PEERS_MAX);
	strcat(many, ",127.0.0.1");
	memset(&l, 0, sizeof(l));
	CHECK(listen_peers(&l, many) == -1, "%d addresses are refused",
	    LISTEN_PEERS_MAX + 1);
}

int
main(void)
{
	log_quiet = 1;
	test_peers();
	test_bad();
	return unit_done();
}
