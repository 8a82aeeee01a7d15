/* SPDX-License-Identifier: ISC */
/*
 * Who serves.  Started as root, the supervisor keeps root (to reload a
 * config only root may read and to remove its socket) and every worker
 * becomes the serving user before it touches a request; no request is
 * ever answered as root.  Started as anyone else, nothing changes.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "serve/serve.h"

/* Parses "user[:group]" into uid and gid; 0 or -1 (reported). */
int
priv_parse(const char *spec, uid_t *uid, gid_t *gid, const char *what)
{
	struct passwd	*pw;
	struct group	*gr;
	char		 user[256];
	const char	*colon, *group = NULL;
	size_t		 len;

	colon = strchr(spec, ':');
	len = colon != NULL ? (size_t)(colon - spec) : strlen(spec);
	if (len == 0 || len >= sizeof(user)) {
		log_warnx("%s \"%s\": want user[:group]", what, spec);
		return -1;
	}
	memcpy(user, spec, len);
	user[len] = '\0';
	if (colon != NULL)
		group = colon + 1;
	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		log_warnx("%s: no user \"%s\"", what, user);
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (group != NULL) {
		if ((gr = getgrnam(group)) == NULL) {
			log_warnx("%s: no group \"%s\"", what, group);
			return -1;
		}
		*gid = gr->gr_gid;
	}
	return 0;
}

int
priv_init(struct priv *p, const char *spec)
{
	struct passwd	*pw;

	memset(p, 0, sizeof(*p));
	if (geteuid() != 0) {
		if (spec != NULL)
			log_warnx("-u %s ignored: not started as root", spec);
		return 0;
	}
	p->drop = 1;
	if (priv_parse(spec != NULL ? spec : SERVE_USER, &p->uid, &p->gid,
	    spec != NULL ? "-u" : "default user (-u)") == -1)
		return -1;
	if (p->uid == 0) {
		log_warnx("-u: refusing to serve requests as root");
		return -1;
	}
	/* Group root reads and writes what root's group may: just as bad. */
	if (p->gid == 0) {
		log_warnx("-u: refusing to serve requests as group root");
		return -1;
	}
	if ((pw = getpwuid(p->uid)) != NULL && pw->pw_dir != NULL &&
	    strlen(pw->pw_dir) < sizeof(p->home))
		memcpy(p->home, pw->pw_dir, strlen(pw->pw_dir) + 1);
	return 0;
}

int
priv_drop(const struct priv *p)
{
	if (!p->drop)
		return 0;
	if (setgroups(1, &p->gid) == -1 || setresgid(p->gid, p->gid,
	    p->gid) == -1 || setresuid(p->uid, p->uid, p->uid) == -1) {
		log_warn("dropping privileges");
		return -1;
	}
	/* Make sure there is no way back. */
	if (setuid(0) != -1 || geteuid() == 0) {
		log_warnx("dropping privileges: still root");
		return -1;
	}
	/* Root's HOME names files this user cannot read, or should not. */
	if ((p->home[0] != '\0' ? setenv("HOME", p->home, 1) :
	    unsetenv("HOME")) == -1) {
		log_warn("HOME");
		return -1;
	}
	return 0;
}
