/* SPDX-License-Identifier: ISC */
/*
 * What a [reports] database string names, for the config (conf.c) and
 * for the store that opens it (src/tlsrpt/tlsrpt_store.c), so that both
 * read it by one rule: a file path is SQLite, a libpq URI or a service
 * name is PostgreSQL.  No password is taken in the string (common.h).
 * Only the syntax: libpq itself reads the URI when it connects.
 */
#include <stdio.h>
#include <string.h>

#include "common/common.h"

/*
 * Is the query parameter name at q (up to '=', '&' or the end) the word
 * "password" once percent-decoded, as libpq decodes it ("%70assword")?
 */
static int
param_is_password(const char *q)
{
	static const char	 hex[] = "0123456789abcdef";
	const char		*h, *l;
	char			 name[16];
	size_t			 n = 0;

	for (; *q != '\0' && *q != '=' && *q != '&'; q++) {
		if (n == sizeof(name) - 1)
			return 0;	/* longer than "password" */
		if (*q == '%' && q[1] != '\0' && q[2] != '\0' &&
		    (h = strchr(hex, q[1] | 0x20)) != NULL &&
		    (l = strchr(hex, q[2] | 0x20)) != NULL) {
			name[n++] = (char)((h - hex) << 4 | (l - hex));
			q += 2;
		} else
			name[n++] = *q;
	}
	name[n] = '\0';
	return strcmp(name, "password") == 0;
}

/*
 * A postgresql:// URI's password, if it has one: in the user info
 * (user:password@; libpq splits it at the first ':' before it decodes,
 * so a %3A is part of the user name) or a password= parameter, however
 * its name is percent-encoded.
 */
static int
uri_has_password(const char *uri)
{
	const char	*auth = strstr(uri, "://") + 3, *at, *end, *q;

	end = auth + strcspn(auth, "/?");
	if ((at = memchr(auth, '@', (size_t)(end - auth))) != NULL &&
	    memchr(auth, ':', (size_t)(at - auth)) != NULL)
		return 1;
	for (q = strchr(auth, '?'); q != NULL; q = strchr(q, '&'))
		if (param_is_password(++q))
			return 1;
	return 0;
}

enum database_kind
database_kind(const char *value, char *why, size_t size)
{
	size_t	 len = strlen(value), i;

	if (len > CONF_REPORTS_PATH_MAX) {
		snprintf(why, size, "longer than %d bytes",
		    CONF_REPORTS_PATH_MAX);
		return DATABASE_NONE;
	}
	for (i = 0; i < len; i++)
		if ((unsigned char)value[i] < 0x20 || value[i] == 0x7f) {
			snprintf(why, size, "holds a control character");
			return DATABASE_NONE;
		}
	if (value[0] == '/' && value[len - 1] != '/')
		return DATABASE_SQLITE;
	if (strncmp(value, "postgresql://", 13) == 0 ||
	    strncmp(value, "postgres://", 11) == 0) {
		if (strchr(value, ' ') != NULL) {
			snprintf(why, size, "a URI holds no blank (write %%20)");
			return DATABASE_NONE;
		}
		if (uri_has_password(value)) {
			snprintf(why, size, "a password is not taken here: "
			    "put it in the password file of the user that "
			    "connects (~/.pgpass, or PGPASSFILE)");
			return DATABASE_NONE;
		}
		return DATABASE_POSTGRESQL;
	}
	if (strncmp(value, "service=", 8) == 0 && len > 8 &&
	    strspn(value + 8, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == len - 8)
		return DATABASE_POSTGRESQL;
	snprintf(why, size, "\"%s\" is neither the absolute path of a file "
	    "(SQLite) nor a postgresql:// URI or service=NAME (PostgreSQL)",
	    value);
	return DATABASE_NONE;
}
