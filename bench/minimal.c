/* SPDX-License-Identifier: ISC */
/*
 * The floor for the benchmarks: the smallest libfcgi program that answers
 * every request with one constant response, the example policy.  It
 * checks nothing, routes nothing and has no supervisor: what it costs is
 * the cost of FastCGI through libfcgi itself.
 *
 * usage: minimal /path/to.sock
 */
#include <stdio.h>
#include <string.h>

#include <fcgiapp.h>

#include "../tests/expected/etc-default.h"

static const char response[] = ETC_DEFAULT_RESPONSE;

int
main(int argc, char *argv[])
{
	FCGX_Request	 req;
	int		 fd;

	if (argc != 2) {
		fprintf(stderr, "usage: minimal /path/to.sock\n");
		return 2;
	}
	FCGX_Init();
	if ((fd = FCGX_OpenSocket(argv[1], 128)) < 0)
		return 1;
	FCGX_InitRequest(&req, fd, 0);
	while (FCGX_Accept_r(&req) >= 0) {
		FCGX_PutStr(response, (int)sizeof(response) - 1, req.out);
		FCGX_Finish_r(&req);
	}
	return 0;
}
