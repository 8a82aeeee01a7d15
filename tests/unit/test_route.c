/* SPDX-License-Identifier: ISC */
/*
 * Routing: (role, method, host, path) → exact response bytes from a
 * table's image, as workers serve them; Host normalisation, and the
 * domain table at scale.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fcgi/fcgi.h"
#include "unit.h"

static const char *const mx_default[] = { "mail.example.com" };
static const char *const mx_org[] = { "mx1.example.org", "mx2.example.org" };

#define CT "Content-Type: text/plain; charset=utf-8\r\n"
#define DEFAULT_BODY "version: STSv1\r\nmode: enforce\r\n" \
	"mx: mail.example.com\r\nmax_age: 604800\r\n"
#define DEFAULT_HEAD "Status: 200 OK\r\n" CT "Content-Length: 70\r\n\r\n"
#define ORG_BODY "version: STSv1\r\nmode: testing\r\n" \
	"mx: mx1.example.org\r\nmx: mx2.example.org\r\nmax_age: 86400\r\n"
#define ORG_HEAD "Status: 200 OK\r\n" CT "Content-Length: 89\r\n\r\n"
#define R400 "Status: 400 Bad Request\r\n" CT "Content-Length: 12\r\n\r\n"
#define R403 "Status: 403 Forbidden\r\n" CT "Content-Length: 10\r\n\r\n"
#define R404 "Status: 404 Not Found\r\n" CT "Content-Length: 10\r\n\r\n"
#define R405 "Status: 405 Method Not Allowed\r\nAllow: GET, HEAD\r\n" CT \
	"Content-Length: 19\r\n\r\n"

#define P POLICY_PATH

static void
build(struct table *t, int with_default)
{
	struct policy_spec	 d = { POLICY_ENFORCE, mx_default, 1, 604800 };
	struct policy_spec	 o = { POLICY_TESTING, mx_org, 2, 86400 };
	long			 i;

	table_init(t);
	if (with_default)
		t->default_policy = table_add_policy(t, &d);
	i = table_add_domain(t, "example.org", 11);
	t->domains[i].policy = (uint32_t)table_add_policy(t, &o);
	/* Same policy as the default: shared, not copied. */
	i = table_add_domain(t, "example.net", 11);
	t->domains[i].policy = (uint32_t)table_add_policy(t, &d);
}

/* t's image, opened into img: malloc'd, NULL if that failed. */
static unsigned char *
build_image(const struct table *t, struct image *img)
{
	unsigned char	*buf;
	size_t		 size = image_size(t);

	if (size == 0 || (buf = malloc(size)) == NULL)
		return NULL;
	image_write(t, buf, size);
	if (image_open(img, buf, size) == -1) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void
test_routes(void)
{
	static const struct {
		int		 with_default;
		const char	*role, *method, *host, *server_name, *uri;
		const char	*script_name, *path_info;
		const char	*want;
	} rows[] = {
		/* The policy, chosen by Host. */
		{ 1, "RESPONDER", "GET", "mta-sts.example.org", NULL, P, NULL,
		    NULL, ORG_HEAD ORG_BODY },
		{ 1, "RESPONDER", "GET", "MTA-STS.Example.ORG.:443", NULL, P,
		    NULL, NULL, ORG_HEAD ORG_BODY },
		{ 1, "RESPONDER", "GET", "example.org", NULL, P, NULL, NULL,
		    ORG_HEAD ORG_BODY },
		{ 1, "RESPONDER", "GET", "mta-sts.example.net", NULL, P, NULL,
		    NULL, DEFAULT_HEAD DEFAULT_BODY },
		{ 1, "RESPONDER", "GET", "mta-sts.other.example", NULL, P,
		    NULL, NULL, DEFAULT_HEAD DEFAULT_BODY },
		{ 1, "RESPONDER", "GET", "mta-sts.example.org", NULL,
		    P "?x=1", NULL, NULL, ORG_HEAD ORG_BODY },
		{ 1, "RESPONDER", "GET", "mta-sts.example.org", NULL,
		    "http://mta-sts.example.org" P, NULL, NULL,
		    ORG_HEAD ORG_BODY },
		/* SERVER_NAME only when there is no Host. */
		{ 1, "RESPONDER", "GET", NULL, "mta-sts.example.org", P, NULL,
		    NULL, ORG_HEAD ORG_BODY },
		{ 1, "RESPONDER", "GET", "", "mta-sts.example.org", P, NULL,
		    NULL, ORG_HEAD ORG_BODY },
		{ 1, "RESPONDER", "GET", "mta-sts.example.net",
		    "mta-sts.example.org", P, NULL, NULL,
		    DEFAULT_HEAD DEFAULT_BODY },
		{ 1, "RESPONDER", "GET", NULL, NULL, P, NULL, NULL,
		    DEFAULT_HEAD DEFAULT_BODY },
		{ 1, "RESPONDER", "GET", "[::1]:8080", NULL, P, NULL, NULL,
		    DEFAULT_HEAD DEFAULT_BODY },
		/* No default policy: unknown hosts are not found. */
		{ 0, "RESPONDER", "GET", "mta-sts.other.example", NULL, P,
		    NULL, NULL, R404 "Not Found\n" },
		{ 0, "RESPONDER", "GET", "mta-sts.example.org", NULL, P, NULL,
		    NULL, ORG_HEAD ORG_BODY },
		{ 0, "RESPONDER", "HEAD", "mta-sts.other.example", NULL, P,
		    NULL, NULL, R404 },
		/* HEAD: the same headers, no body. */
		{ 1, "RESPONDER", "HEAD", "mta-sts.example.org", NULL, P, NULL,
		    NULL, ORG_HEAD },
		/* Other methods. */
		{ 1, "RESPONDER", "POST", "mta-sts.example.org", NULL, P, NULL,
		    NULL, R405 "Method Not Allowed\n" },
		{ 1, "RESPONDER", "get", "mta-sts.example.org", NULL, P, NULL,
		    NULL, R405 "Method Not Allowed\n" },
		{ 1, "RESPONDER", NULL, "mta-sts.example.org", NULL, P, NULL,
		    NULL, R405 "Method Not Allowed\n" },
		/* Other paths. */
		{ 1, "RESPONDER", "GET", "mta-sts.example.org", NULL, "/", NULL,
		    NULL, R404 "Not Found\n" },
		{ 1, "RESPONDER", "GET", "mta-sts.example.org", NULL,
		    P "/x", NULL, NULL, R404 "Not Found\n" },
		{ 1, "RESPONDER", "GET", "mta-sts.example.org", NULL,
		    "/.well-known/mta-sts.TXT", NULL, NULL,
		    R404 "Not Found\n" },
		{ 1, "RESPONDER", "POST", "mta-sts.example.org", NULL, "/x",
		    NULL, NULL, R404 "Not Found\n" },
		{ 1, "RESPONDER", "HEAD", "mta-sts.example.org", NULL, "/x",
		    NULL, NULL, R404 },
		{ 1, "RESPONDER", "GET", "mta-sts.example.org", NULL, NULL,
		    NULL, NULL, R404 "Not Found\n" },
		/* No REQUEST_URI: SCRIPT_NAME + PATH_INFO. */
		{ 1, "RESPONDER", "GET", "mta-sts.example.org", NULL, NULL, P,
		    NULL, ORG_HEAD ORG_BODY },
		{ 1, "RESPONDER", "GET", "mta-sts.example.org", NULL, NULL,
		    "/.well-known", "/mta-sts.txt", ORG_HEAD ORG_BODY },
		{ 1, "RESPONDER", "GET", "mta-sts.example.org", NULL, NULL,
		    "/cgi-bin/x", P, R404 "Not Found\n" },
		/* Bad hosts. */
		{ 1, "RESPONDER", "GET", "mta-sts.exa mple.org", NULL, P, NULL,
		    NULL, R400 "Bad Request\n" },
		{ 1, "RESPONDER", "GET", "mta-sts.example.org:x", NULL, P,
		    NULL, NULL, R400 "Bad Request\n" },
		{ 1, "RESPONDER", "GET", "[::1", NULL, P, NULL, NULL,
		    R400 "Bad Request\n" },
		{ 1, "RESPONDER", "HEAD", "a/b", NULL, P, NULL, NULL, R400 },
		/* Roles: only a responder ever gets the policy. */
		{ 1, "AUTHORIZER", "GET", "mta-sts.example.org", NULL, P, NULL,
		    NULL, R403 "Forbidden\n" },
		{ 1, "FILTER", "GET", "mta-sts.example.org", NULL, P, NULL,
		    NULL, R403 "Forbidden\n" },
		{ 1, NULL, "GET", "mta-sts.example.org", NULL, P, NULL, NULL,
		    ORG_HEAD ORG_BODY },
	};
	struct table		 with, without;
	struct image		 with_img, without_img;
	unsigned char		*with_buf, *without_buf;
	struct route_request	 req;
	struct route_response	 res;
	size_t			 i;

	build(&with, 1);
	build(&without, 0);
	CHECK(with.npolicies == 2, "identical policies are shared: %zu "
	    "prepared for 3 uses", with.npolicies);
	with_buf = build_image(&with, &with_img);
	without_buf = build_image(&without, &without_img);
	CHECK(with_buf != NULL && without_buf != NULL, "both images open");
	for (i = 0; with_buf != NULL && without_buf != NULL &&
	    i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&req, 0, sizeof(req));
		req.role = rows[i].role;
		req.method = rows[i].method;
		req.host = rows[i].host;
		req.server_name = rows[i].server_name;
		req.request_uri = rows[i].uri;
		req.script_name = rows[i].script_name;
		req.path_info = rows[i].path_info;
		route_request(rows[i].with_default ? &with_img : &without_img,
		    &req, &res);
		CHECK_BYTES(res.bytes, res.len, rows[i].want,
		    strlen(rows[i].want), "route row %zu: %s %s %s %s", i,
		    rows[i].role ? rows[i].role : "(cgi)",
		    rows[i].method ? rows[i].method : "(none)",
		    rows[i].host ? rows[i].host : "(none)",
		    rows[i].uri ? rows[i].uri : "(none)");
	}
	free(with_buf);
	free(without_buf);
	table_free(&with);
	table_free(&without);
}

/*
 * REQUEST_URI is compared as front-ends match it: unreserved escapes
 * decoded, "//" merged, "." and ".." resolved; any other escape, a climb
 * above the root or a trailing non-name is never the policy.
 */
static void
test_paths(void)
{
	static const struct {
		const char	*uri;
		int		 policy;
	} rows[] = {
		{ P, 1 },
		{ P "?x=1", 1 },
		{ P "#frag", 1 },
		{ P "?a/../b", 1 },
		{ "http://mta-sts.example.org" P, 1 },
		{ "HTTPS://mta-sts.example.org//.well-known/./mta-sts.txt", 1 },
		/* Escaped unreserved characters, either case of hex. */
		{ "/.well-known/%6dta-sts.txt", 1 },
		{ "/.well-known/%6Dta-sts.txt", 1 },
		{ "/%2Ewell-known/mta-sts%2etxt", 1 },
		{ "/%2e%77%65%6c%6c%2d%6b%6e%6f%77%6e/%6d%74%61%2d%73%74%73"
		    "%2e%74%78%74", 1 },
		{ "/.well-known/%4dta-sts.txt", 0 },	/* M: case matters */
		/* Empty segments merged, dot segments resolved. */
		{ "//.well-known/mta-sts.txt", 1 },
		{ "/.well-known//mta-sts.txt", 1 },
		{ "///.well-known///mta-sts.txt", 1 },
		{ "/.well-known/./mta-sts.txt", 1 },
		{ "/./.well-known/mta-sts.txt", 1 },
		{ "/.well-known/x/../mta-sts.txt", 1 },
		{ "/x/y/../../.well-known/mta-sts.txt", 1 },
		{ "/.well-known/%2e%2E/.well-known/mta-sts.txt", 1 },
		{ "/.well-known/mta-sts.txt/../mta-sts.txt", 1 },
		{ "/x/../" P, 1 },
		/* A trailing "/", "." or "..": a directory, not the file. */
		{ P "/", 0 },
		{ P "//", 0 },
		{ P "/.", 0 },
		{ P "/%2e", 0 },
		{ P "/x/..", 0 },
		{ P "/..", 0 },
		{ "/.well-known/", 0 },
		{ "/", 0 },
		{ "", 0 },
		/* Climbing above the root is never resolved away. */
		{ "/.." P, 0 },
		{ "/x/../.." P, 0 },
		{ "/%2e%2e" P, 0 },
		/* Other escapes stay escaped: never a "/", NUL, "?" or "#". */
		{ P "%00", 0 },
		{ "/.well-known%2Fmta-sts.txt", 0 },
		{ "/.well-known%2fmta-sts.txt", 0 },
		{ "/.well-known/x%2F..%2Fmta-sts.txt", 0 },
		{ "/.well-known/x%2F/../mta-sts.txt", 0 },
		{ P "%3Fx", 0 },
		{ P "%23", 0 },
		{ "/.well-known/mta-sts%2Etxt%20", 0 },
		{ "/.well-known/mta-sts.tx%74%", 0 },
		{ "/.well-known/mta-sts.tx%7", 0 },
		{ "/.well-known/mta-sts.tx%zz", 0 },
		{ "/.well-known/mta-sts.txt%", 0 },
		/* Not a path at all, or a longer or shorter one. */
		{ "*", 0 },
		{ ".well-known/mta-sts.txt", 0 },
		{ "http://mta-sts.example.org", 0 },
		{ "/.well-known/mta-sts.txtx", 0 },
		{ "/.well-known/mta-sts.tx", 0 },
		{ "/.well-knownx/mta-sts.txt", 0 },
		{ "/.well-known/mta-sts.txt/x", 0 },
		{ "/x/.well-known/mta-sts.txt", 0 },
		{ "/.well-known/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/../"
		    "mta-sts.txt", 1 },
		{ "/.well-known/mta-sts.txt\xff", 0 },
	};
	struct table		 t;
	struct image		 img;
	struct route_request	 req;
	struct route_response	 res;
	unsigned char		*buf;
	size_t			 i;

	build(&t, 1);
	buf = build_image(&t, &img);
	CHECK(buf != NULL, "the paths' image opens");
	for (i = 0; buf != NULL && i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&req, 0, sizeof(req));
		req.method = "GET";
		req.host = "mta-sts.example.org";
		req.request_uri = rows[i].uri;
		route_request(&img, &req, &res);
		CHECK(res.status == (rows[i].policy ? 200 : 404),
		    "REQUEST_URI \"%s\": want %s, got %d", rows[i].uri,
		    rows[i].policy ? "the policy" : "404", res.status);
	}
	free(buf);
	table_free(&t);
}

/*
 * A name of n characters in labels of 63 and dots (no dot at its end),
 * then suffix: the length limit alone decides.
 */
static void
long_name(char *buf, size_t n, const char *suffix)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		buf[i] = i % 64 == 63 ? '.' : 'a';
	strcpy(buf + n, suffix);
}

/* RFC 1035 §2.3.4: 253 characters, a trailing dot and a port aside. */
static void
test_host_lengths(void)
{
	static const struct {
		size_t		 n;
		const char	*suffix;
		long		 want;
	} rows[] = {
		{ 253, "", 253 },
		{ 253, ".", 253 },
		{ 253, ":443", 253 },
		{ 253, ".:443", 253 },
		{ 254, "", -1 },
		{ 254, ".", -1 },
		{ 254, ":443", -1 },
		{ 254, ".:443", -1 },
		{ 253, "..", -1 },
	};
	char	 name[300], out[DNAME_MAX + 1];
	size_t	 i;
	long	 got;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		long_name(name, rows[i].n, rows[i].suffix);
		got = route_host(name, out, sizeof(out));
		CHECK(got == rows[i].want && (got == -1 ||
		    (strlen(out) == 253 && strncmp(out, name, 253) == 0)),
		    "a %zu-character name then \"%s\": want %ld, got %ld",
		    rows[i].n, rows[i].suffix, rows[i].want, got);
	}
}

static void
test_hosts(void)
{
	static const struct {
		const char	*host;
		long		 want;
		const char	*normalised;
	} rows[] = {
		{ "mta-sts.example.com", 11, "example.com" },
		{ "MTA-STS.EXAMPLE.COM", 11, "example.com" },
		{ "mta-sts.example.com.", 11, "example.com" },
		{ "mta-sts.example.com:443", 11, "example.com" },
		{ "mta-sts.example.com.:8443", 11, "example.com" },
		{ "example.com", 11, "example.com" },
		{ "mta-sts.", 7, "mta-sts" },
		{ "mta-sts.mta-sts.example", 15, "mta-sts.example" },
		{ "", 0, "" },
		{ ".", -1, NULL },
		{ ":80", -1, NULL },
		{ "a..b", -1, NULL },
		{ ".example.org", -1, NULL },
		{ "example.org..", -1, NULL },
		{ "-mta-sts.example.org", -1, NULL },
		{ "mta-sts.example-.org", -1, NULL },
		{ "mta-sts.example.org-", -1, NULL },
		{ "a-b.example.org", 15, "a-b.example.org" },
		{ "mta-sts.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example", -1, NULL },	/* a 64-byte label */
		{ "mta-sts.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example", 71, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example" },		/* 63 */
		{ "[2001:db8::1]", 0, "" },
		{ "[2001:db8::1]:443", 0, "" },
		{ "192.0.2.1:80", 9, "192.0.2.1" },
		{ "mta-sts.example.com:", 11, "example.com" },
		{ "mta-sts.example.com:4x", -1, NULL },
		{ "mta-sts.example.com:1:2", -1, NULL },
		{ "[2001:db8::1]x", -1, NULL },
		{ "[2001:db8::g]", -1, NULL },
		{ "exa\"mple.com", -1, NULL },
		{ "example.com/x", -1, NULL },
		{ "b\xc3\xbc" "cher.example", -1, NULL },
	};
	char		 out[DNAME_MAX + 1], *huge;
	size_t		 i;
	long		 got;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		got = route_host(rows[i].host, out, sizeof(out));
		CHECK(got == rows[i].want && (got == -1 ||
		    strcmp(out, rows[i].normalised) == 0 || got == 0),
		    "host \"%s\": want %ld \"%s\", got %ld \"%s\"",
		    rows[i].host, rows[i].want,
		    rows[i].normalised ? rows[i].normalised : "",
		    got, got > 0 ? out : "");
	}
	CHECK(route_host(NULL, out, sizeof(out)) == 0, "no host");
	/* Over-long: bounded scan, then refused. */
	huge = malloc(1 << 20);
	memset(huge, 'a', (1 << 20) - 1);
	huge[(1 << 20) - 1] = '\0';
	CHECK(route_host(huge, out, sizeof(out)) == -1, "a 1 MB host is "
	    "refused");
	free(huge);
	test_host_lengths();
}

static void
test_env(void)
{
	static const char *const env[] = {
		"FCGI_ROLE=RESPONDER", "HTTP_HOST=a.example",
		"HTTP_HOST=second.example", "REQUEST_METHOD=GET",
		"REQUEST_URI=/x?y", "SERVER_NAME=s.example",
		"SCRIPT_NAME=/x", "PATH_INFO=/p", "HTTP_HOSTX=no",
		"REQUEST_METHODS=no", "QUERY_STRING=y", NULL,
	};
	struct route_request	 r;

	route_from_env((char *const *)env, &r);
	CHECK(r.role && strcmp(r.role, "RESPONDER") == 0, "env FCGI_ROLE");
	CHECK(r.host && strcmp(r.host, "a.example") == 0,
	    "env HTTP_HOST: the first one wins");
	CHECK(r.method && strcmp(r.method, "GET") == 0, "env REQUEST_METHOD");
	CHECK(r.request_uri && strcmp(r.request_uri, "/x?y") == 0,
	    "env REQUEST_URI");
	CHECK(r.server_name && strcmp(r.server_name, "s.example") == 0,
	    "env SERVER_NAME");
	CHECK(r.script_name && strcmp(r.script_name, "/x") == 0 &&
	    r.path_info && strcmp(r.path_info, "/p") == 0,
	    "env SCRIPT_NAME and PATH_INFO");
}

/* Every canned error response's Content-Length matches its body. */
static void
test_error_lengths(void)
{
	static const int	 statuses[] = { 400, 403, 404, 405, 413, 500 };
	struct route_response	 res, head;
	const char		*cl, *blank;
	size_t			 i;

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		route_status(&res, statuses[i], 0);
		route_status(&head, statuses[i], 1);
		cl = strstr(res.bytes, "Content-Length: ");
		blank = strstr(res.bytes, "\r\n\r\n");
		CHECK(res.status == statuses[i] && cl != NULL &&
		    blank != NULL && (size_t)strtoul(cl + 16, NULL, 10) ==
		    res.len - (size_t)(blank + 4 - res.bytes) &&
		    head.len == (size_t)(blank + 4 - res.bytes),
		    "status %d: Content-Length matches the body and HEAD "
		    "stops at the blank line", statuses[i]);
	}
}

/* 100,000 domains, two policies: every one found, none invented. */
static void
test_scale(void)
{
	struct policy_spec	 a = { POLICY_ENFORCE, mx_default, 1, 604800 };
	struct policy_spec	 b = { POLICY_TESTING, mx_org, 2, 86400 };
	struct table		 t;
	const struct policy	*p;
	char			 name[64];
	size_t			 i, bad = 0;
	long			 d, pa, pb;

	table_init(&t);
	pa = table_add_policy(&t, &a);
	pb = table_add_policy(&t, &b);
	for (i = 0; i < 100000; i++) {
		snprintf(name, sizeof(name), "customer%zu.example", i);
		d = table_add_domain(&t, name, strlen(name));
		t.domains[d].policy = (uint32_t)(i % 7 == 0 ? pb : pa);
	}
	for (i = 0; i < 100000; i++) {
		snprintf(name, sizeof(name), "customer%zu.example", i);
		p = table_lookup(&t, name, strlen(name));
		if (p != &t.policies[i % 7 == 0 ? pb : pa])
			bad++;
	}
	CHECK(bad == 0 && t.npolicies == 2, "100000 domains: %zu wrong "
	    "lookups, %zu policies", bad, t.npolicies);
	CHECK(table_lookup(&t, "customer100000.example", 22) == NULL &&
	    table_lookup(&t, "customer1.exampl", 16) == NULL &&
	    table_find(&t, "customer1.examplex", 18) == NULL,
	    "unknown names are not found");
	table_free(&t);
}

int
main(void)
{
	test_routes();
	test_paths();
	test_hosts();
	test_env();
	test_error_lengths();
	test_scale();
	return unit_done();
}
