/* SPDX-License-Identifier: ISC */
/*
 * One message and one descriptor over a unix socket (SCM_RIGHTS): how
 * the loader hands its image to the supervisor, and the supervisor
 * hands it on to each worker.  The control-message arithmetic, easy to
 * get subtly wrong, lives here once.
 */
#include <sys/socket.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "serve/serve.h"

union fdpass_cmsg {
	struct cmsghdr	 h;
	char		 buf[CMSG_SPACE(sizeof(int))];
};

ssize_t
fdpass_send(int sock, const void *data, size_t len, int fd, int flags)
{
	union fdpass_cmsg	 cmsg;
	struct iovec		 iov = { (void *)data, len };
	struct msghdr		 msg;
	ssize_t			 n;

	memset(&msg, 0, sizeof(msg));
	memset(&cmsg, 0, sizeof(cmsg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsg.buf;
	msg.msg_controllen = sizeof(cmsg.buf);
	cmsg.h.cmsg_level = SOL_SOCKET;
	cmsg.h.cmsg_type = SCM_RIGHTS;
	cmsg.h.cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(&cmsg.h), &fd, sizeof(int));
	while ((n = sendmsg(sock, &msg, flags | MSG_NOSIGNAL)) == -1 &&
	    errno == EINTR)
		;
	return n;
}

ssize_t
fdpass_recv(int sock, void *data, size_t len, int *fd, int flags)
{
	union fdpass_cmsg	 cmsg;
	struct iovec		 iov = { data, len };
	struct msghdr		 msg;
	struct cmsghdr		*c;
	ssize_t			 n;

	*fd = -1;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsg.buf;
	msg.msg_controllen = sizeof(cmsg.buf);
	while ((n = recvmsg(sock, &msg, flags | MSG_CMSG_CLOEXEC)) == -1 &&
	    errno == EINTR)
		;
	if (n <= 0)
		return n;
	for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		if (*fd != -1)
			close(*fd);
		*fd = -1;
		return -2;
	}
	return n;
}
