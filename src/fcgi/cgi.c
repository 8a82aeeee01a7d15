/* SPDX-License-Identifier: ISC */
/*
 * Plain CGI: one request from the environment, the response on stdout,
 * then exit.  Same routing and bytes as FastCGI; a web server that
 * runs CGI programs starts us per request.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "fcgi/fcgi.h"

extern char	**environ;

static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
cgi_serve(const struct image *img)
{
	struct route_request	 req;
	struct route_response	 res;

	route_from_env(environ, &req);
	req.role = NULL;	/* CGI has only responders */
	if (img != NULL)
		route_request(img, &req, &res);
	else
		route_status(&res, 500, req.method != NULL &&
		    strcmp(req.method, "HEAD") == 0);
	if (write_all(STDOUT_FILENO, res.bytes, res.len) == -1) {
		log_warn("stdout");
		return 1;
	}
	return img != NULL ? 0 : 1;
}
