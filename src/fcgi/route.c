/* SPDX-License-Identifier: ISC */
/*
 * (role, method, host, path) → the bytes to write.  Pure: no I/O, no
 * allocation, so a request costs a few comparisons, one normalisation
 * and one hash lookup whatever the size of the config.
 */
#include <string.h>
#include <strings.h>

#include "fcgi/fcgi.h"

#define CT	"Content-Type: " POLICY_CONTENT_TYPE "\r\n"

#define HEAD_400 "Status: 400 Bad Request\r\n" CT "Content-Length: 12\r\n\r\n"
#define BODY_400 "Bad Request\n"
#define HEAD_403 "Status: 403 Forbidden\r\n" CT "Content-Length: 10\r\n\r\n"
#define BODY_403 "Forbidden\n"
#define HEAD_404 "Status: 404 Not Found\r\n" CT "Content-Length: 10\r\n\r\n"
#define BODY_404 "Not Found\n"
#define HEAD_405 "Status: 405 Method Not Allowed\r\n" \
	"Allow: GET, HEAD\r\n" CT "Content-Length: 19\r\n\r\n"
#define BODY_405 "Method Not Allowed\n"
#define HEAD_413 "Status: 413 Payload Too Large\r\n" CT \
	"Content-Length: 18\r\n\r\n"
#define BODY_413 "Payload Too Large\n"
#define HEAD_500 "Status: 500 Internal Server Error\r\n" CT \
	"Content-Length: 22\r\n\r\n"
#define BODY_500 "Internal Server Error\n"

/* Error responses; tests/unit checks every Content-Length. */
static const struct {
	int		 status;
	const char	*bytes;
	size_t		 header_len;
	size_t		 len;
} errors[] = {
#define ERROR(n) { n, HEAD_##n BODY_##n, sizeof(HEAD_##n) - 1, \
	sizeof(HEAD_##n BODY_##n) - 1 }
	ERROR(400), ERROR(403), ERROR(404), ERROR(405), ERROR(413),
	ERROR(500),
#undef ERROR
};

void
route_status(struct route_response *res, int status, int head)
{
	size_t	 i;

	/* An unknown status is a programming error: answer 500. */
	for (i = 0; i < sizeof(errors) / sizeof(errors[0]) - 1; i++)
		if (errors[i].status == status)
			break;
	res->status = errors[i].status;
	res->bytes = errors[i].bytes;
	res->len = head ? errors[i].header_len : errors[i].len;
}

/*
 * Is e "NAME=value"?  Then its value.  Stops at the first character that
 * differs, so a shorter e is never read past its end (no name holds a
 * NUL).  Cheaper than strncmp for the twenty-odd parameters a request
 * has, most of which differ from ours within a few characters.
 */
static inline const char *
env_match(const char *e, const char *name, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if (e[i] != name[i])
			return NULL;
	return e[len] == '=' ? e + len + 1 : NULL;
}

#define ENV(e, field, name) do {					\
	const char *v_;							\
	if (req->field == NULL &&					\
	    (v_ = env_match((e), name, sizeof(name) - 1)) != NULL)	\
		req->field = v_;					\
} while (0)

void
route_from_env(char *const *env, struct route_request *req)
{
	const char	*e;

	memset(req, 0, sizeof(*req));
	for (; *env != NULL; env++) {
		e = *env;
		/* e[1] exists: every entry holds at least "X=". */
		switch (e[0]) {
		case 'F':
			ENV(e, role, "FCGI_ROLE");
			break;
		case 'H':
			ENV(e, host, "HTTP_HOST");
			break;
		case 'P':
			ENV(e, path_info, "PATH_INFO");
			break;
		case 'R':
			if (e[1] != 'E' || e[2] != 'Q')
				break;	/* REMOTE_*, REDIRECT_STATUS */
			ENV(e, method, "REQUEST_METHOD");
			ENV(e, request_uri, "REQUEST_URI");
			break;
		case 'S':
			if (e[1] == 'C')
				ENV(e, script_name, "SCRIPT_NAME");
			else
				ENV(e, server_name, "SERVER_NAME");
			break;
		default:
			break;
		}
	}
}

/* Characters of a host name, lower-cased; 0 for any other byte. */
static const unsigned char host_chars[256] = {
	['-'] = '-', ['.'] = '.', ['_'] = '_',
	['0'] = '0', ['1'] = '1', ['2'] = '2', ['3'] = '3', ['4'] = '4',
	['5'] = '5', ['6'] = '6', ['7'] = '7', ['8'] = '8', ['9'] = '9',
#define L(c) [c] = c, [c - 'a' + 'A'] = c
	L('a'), L('b'), L('c'), L('d'), L('e'), L('f'), L('g'), L('h'),
	L('i'), L('j'), L('k'), L('l'), L('m'), L('n'), L('o'), L('p'),
	L('q'), L('r'), L('s'), L('t'), L('u'), L('v'), L('w'), L('x'),
	L('y'), L('z'),
#undef L
};

static int
is_digits(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

long
route_host(const char *host, char *out, size_t size)
{
	const char	*end;
	size_t		 len, i, label;
	unsigned char	 c, lc, prev;

	if (host == NULL)
		return 0;
	if (host[0] == '[') {
		/* An IP literal is valid but never a policy domain. */
		len = strnlen(host, ROUTE_HOST_MAX + 1);
		if (len > ROUTE_HOST_MAX ||
		    (end = memchr(host, ']', len)) == NULL)
			return -1;
		for (i = 1; host + i < end; i++)
			if (!((host[i] >= '0' && host[i] <= '9') ||
			    (host[i] >= 'a' && host[i] <= 'f') ||
			    (host[i] >= 'A' && host[i] <= 'F') ||
			    host[i] == ':' || host[i] == '.'))
				return -1;
		end++;
		if (*end == '\0' || (*end == ':' && is_digits(end + 1,
		    len - (size_t)(end + 1 - host))))
			return 0;
		return -1;
	}
	/*
	 * One pass: check, lower-case and copy up to the end or a port.
	 * Labels of 1 to 63 characters, no hyphen at either end (RFC 1123
	 * §2.1); one trailing dot may end the name, and is not copied: a
	 * name of DNAME_MAX characters and its dot fit size DNAME_MAX + 1.
	 */
	for (len = 0, label = 0, prev = 0; (c = (unsigned char)host[len]) !=
	    '\0' && c != ':'; len++) {
		if ((lc = host_chars[c]) == '\0')
			return -1;
		if (c == '.') {
			if (label == 0 || prev == '-')
				return -1;
			label = 0;
		} else if (++label > DNAME_LABEL_MAX || (label == 1 &&
		    c == '-'))
			return -1;
		if (len < size - 1)
			out[len] = (char)lc;
		else if (c != '.' || (host[len + 1] != '\0' &&
		    host[len + 1] != ':'))
			return -1;	/* only the trailing dot may not fit */
		prev = lc;
	}
	if ((label > 0 && prev == '-') || (len == 0 && c == ':'))
		return -1;
	if (c == ':') {
		i = strnlen(host + len + 1, ROUTE_HOST_MAX);
		if (len + 1 + i > ROUTE_HOST_MAX ||
		    !is_digits(host + len + 1, i))
			return -1;
	}
	if (prev == '.')
		len--;
	if (len > DNAME_MAX)
		return -1;
	out[len] = '\0';
	/* The policy host is mta-sts.<policy domain> (RFC 8461 §3.3). */
	if (len > 8 && memcmp(out, "mta-sts.", 8) == 0) {
		memmove(out, out + 8, len - 8 + 1);
		len -= 8;
	}
	return (long)len;
}

/* RFC 3986 §2.3: the characters an escape may stand for here. */
static int
is_unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~';
}

static int
hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * The path segment at *p, up to a '/' or the path's end (NUL, '?',
 * '#'), with escapes of unreserved characters decoded (RFC 3986
 * §6.2.2.2) into out, of which size bytes are kept; moves *p past it.
 * Returns its decoded length, or -1 if it holds any other escape (%2F,
 * %00, %3F: decoding those would change the path) or a broken one.
 */
static long
path_segment(const char **p, char *out, size_t size)
{
	const char	*s = *p;
	size_t		 n = 0;
	int		 hi, lo;
	unsigned char	 c;

	for (; *s != '\0' && *s != '/' && *s != '?' && *s != '#'; n++) {
		c = (unsigned char)*s++;
		if (c == '%') {
			if ((hi = hex_value((unsigned char)s[0])) == -1 ||
			    (lo = hex_value((unsigned char)s[1])) == -1 ||
			    !is_unreserved((unsigned char)(hi << 4 | lo)))
				return -1;
			c = (unsigned char)(hi << 4 | lo);
			s += 2;
		}
		if (n < size)
			out[n] = (char)c;
	}
	*p = s;
	return (long)n;
}

/*
 * Is this absolute path (its query string and fragment ignored) the
 * policy's, once normalised as front-ends do before they match it: an
 * escaped unreserved character is that character, empty segments ("//")
 * are merged, "." and ".." are resolved (RFC 3986 §5.2.4)?  Not if
 * another escape is left, a ".." climbs above the root, or the path
 * ends in a segment that is not a name (a trailing "/", "." or "..").
 * Only the depth and the first two segments matter, so nothing is
 * copied but one segment's first bytes.
 */
static int
path_is_policy(const char *p)
{
	/* POLICY_PATH's two segments. */
	static const char	 want[2][12] = { ".well-known", "mta-sts.txt" };
	char			 seg[12];
	size_t			 depth = 0;
	long			 n;
	int			 same[3] = { 1, 0, 0 }, name = 0;

	if (*p != '/')
		return 0;
	while (*p == '/') {
		p++;
		if ((n = path_segment(&p, seg, sizeof(seg))) == -1)
			return 0;
		name = 0;
		if (n == 0 || (n == 1 && seg[0] == '.'))
			continue;
		if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			if (depth == 0)
				return 0;	/* above the root */
			depth--;
			continue;
		}
		name = 1;
		if (++depth <= 2)
			same[depth] = n == 11 &&
			    memcmp(seg, want[depth - 1], 11) == 0;
	}
	return name && depth == 2 && same[1] && same[2];
}

_Static_assert(sizeof(POLICY_PATH) == sizeof("/.well-known/mta-sts.txt"),
    "path_is_policy knows POLICY_PATH's segments");

/* Is the request's path the policy's (path_is_policy)? */
static int
route_is_policy_path(const struct route_request *req)
{
	const char	*uri = req->request_uri, *slash;
	size_t		 slen;

	if (uri != NULL) {
		/* An absolute-form target: skip scheme and authority. */
		if (uri[0] != '/' && (strncasecmp(uri, "http://", 7) == 0 ||
		    strncasecmp(uri, "https://", 8) == 0)) {
			slash = strchr(uri + 7 + (uri[4] == 's' ||
			    uri[4] == 'S'), '/');
			if (slash == NULL)
				return 0;
			uri = slash;
		}
		return path_is_policy(uri);
	}
	/*
	 * No REQUEST_URI (plain CGI, some servers): SCRIPT_NAME+PATH_INFO,
	 * which the server has already decoded and normalised (RFC 3875
	 * §4.1.5, §4.1.13): compared as they are.
	 */
	if (req->script_name == NULL)
		return 0;
	slen = strlen(req->script_name);
	if (slen > sizeof(POLICY_PATH) - 1 ||
	    memcmp(req->script_name, POLICY_PATH, slen) != 0)
		return 0;
	return strcmp(req->path_info != NULL ? req->path_info : "",
	    &POLICY_PATH[slen]) == 0;
}

void
route_request(const struct image *img, const struct route_request *req,
    struct route_response *res)
{
	struct image_policy	 p;
	char			 host[DNAME_MAX + 1];
	long			 len;
	int			 head;

	head = req->method != NULL && req->method[0] == 'H' &&
	    strcmp(req->method, "HEAD") == 0;
	/* A 200 to an AUTHORIZER means "allow": answer responders only. */
	if (req->role != NULL && (req->role[0] != 'R' ||
	    strcmp(req->role, "RESPONDER") != 0)) {
		route_status(res, 403, head);
		return;
	}
	if (!route_is_policy_path(req)) {
		route_status(res, 404, head);
		return;
	}
	if ((len = route_host(req->host != NULL && req->host[0] != '\0' ?
	    req->host : req->server_name, host, sizeof(host))) == -1) {
		route_status(res, 400, head);
		return;
	}
	if (!head && (req->method == NULL || req->method[0] != 'G' ||
	    req->method[1] != 'E' || req->method[2] != 'T' ||
	    req->method[3] != '\0')) {
		route_status(res, 405, 0);
		return;
	}
	if (image_lookup(img, host, (size_t)len, &p) == -1) {
		route_status(res, 404, head);
		return;
	}
	res->status = 200;
	res->bytes = p.response;
	res->len = head ? p.header_len : p.response_len;
}
