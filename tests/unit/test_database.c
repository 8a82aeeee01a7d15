/* SPDX-License-Identifier: ISC */
/*
 * database_kind: which store a [reports] database string names, and why
 * not, by the one rule the config and the store share (never a password
 * in the string).
 */
#include <string.h>

#include "common/common.h"
#include "unit.h"

#define NOPW	"a password is not taken here: put it in the password file " \
	"of the user that connects (~/.pgpass, or PGPASSFILE)"
#define NEITHER	" is neither the absolute path of a file (SQLite) nor a " \
	"postgresql:// URI or service=NAME (PostgreSQL)"

int
main(void)
{
	static const struct {
		const char		*in;
		enum database_kind	 want;
		const char		*why;	/* NULL: not checked (valid) */
	} t[] = {
		{ "/var/lib/mta-sts-report/reports.db", DATABASE_SQLITE, NULL },
		{ "/r", DATABASE_SQLITE, NULL },
		{ "/var/lib/mta-sts-report/", DATABASE_NONE,
		    "\"/var/lib/mta-sts-report/\"" NEITHER },
		{ "/", DATABASE_NONE, "\"/\"" NEITHER },
		{ "reports.db", DATABASE_NONE, "\"reports.db\"" NEITHER },
		{ "", DATABASE_NONE, "\"\"" NEITHER },
		{ "postgresql://db.example.net/mta_sts", DATABASE_POSTGRESQL,
		    NULL },
		{ "postgres://db/mta_sts", DATABASE_POSTGRESQL, NULL },
		{ "postgresql://", DATABASE_POSTGRESQL, NULL },
		{ "postgresql:///mta_sts?host=/run/postgresql",
		    DATABASE_POSTGRESQL, NULL },
		{ "postgresql://u@db/mta_sts?sslmode=verify-full&"
		    "sslrootcert=/etc/ssl/ca.pem", DATABASE_POSTGRESQL, NULL },
		/* ':' after the '@' is a port, before it a password. */
		{ "postgresql://u@db:5432/mta_sts", DATABASE_POSTGRESQL, NULL },
		{ "postgresql://u:pw@db/mta_sts", DATABASE_NONE, NOPW },
		{ "postgresql://u:@db/mta_sts", DATABASE_NONE, NOPW },
		{ "postgres://:pw@db", DATABASE_NONE, NOPW },
		{ "postgresql://db/mta_sts?password=pw", DATABASE_NONE, NOPW },
		{ "postgresql://db/x?sslmode=require&password=pw",
		    DATABASE_NONE, NOPW },
		/* libpq decodes the parameter's name (audit 21, finding 3). */
		{ "postgresql://db/x?%70assword=pw", DATABASE_NONE, NOPW },
		{ "postgresql://db/x?pass%77ord=pw", DATABASE_NONE, NOPW },
		{ "postgresql://db/x?sslmode=require&%70%61%73%73%77%6F%72%64=pw",
		    DATABASE_NONE, NOPW },
		{ "postgresql://db/x?%50assword=pw", DATABASE_POSTGRESQL,
		    NULL },	/* "Password": not a keyword, libpq refuses it */
		{ "postgresql://db/x?password", DATABASE_NONE, NOPW },
		{ "postgresql://db/x?passwordx=pw", DATABASE_POSTGRESQL, NULL },
		{ "postgresql://db/x?%7=pw", DATABASE_POSTGRESQL, NULL },
		/* %3A in the user info is the user name's, not a password. */
		{ "postgresql://u%3Ax@db/x", DATABASE_POSTGRESQL, NULL },
		/* Only the parameter is a password, not a name ending so. */
		{ "postgresql://db/x?application_name=nopassword=",
		    DATABASE_POSTGRESQL, NULL },
		/* An '@' in the path or query is not user info. */
		{ "postgresql://db/x?options=a:b@c", DATABASE_POSTGRESQL,
		    NULL },
		{ "postgresql://db/mta sts", DATABASE_NONE,
		    "a URI holds no blank (write %20)" },
		{ "postgresql://db/\tx", DATABASE_NONE,
		    "holds a control character" },
		{ "/var/lib/x\n.db", DATABASE_NONE,
		    "holds a control character" },
		{ "service=mta-sts", DATABASE_POSTGRESQL, NULL },
		{ "service=mta_sts.reports-1", DATABASE_POSTGRESQL, NULL },
		{ "service=", DATABASE_NONE, "\"service=\"" NEITHER },
		{ "service=mta sts", DATABASE_NONE,
		    "\"service=mta sts\"" NEITHER },
		{ "service=x password=y", DATABASE_NONE,
		    "\"service=x password=y\"" NEITHER },
		{ "host=db dbname=mta_sts", DATABASE_NONE,
		    "\"host=db dbname=mta_sts\"" NEITHER },
		{ "POSTGRESQL://db/x", DATABASE_NONE,
		    "\"POSTGRESQL://db/x\"" NEITHER },
		{ "mysql://db/x", DATABASE_NONE, "\"mysql://db/x\"" NEITHER },
	};
	char		 why[2048], big[CONF_REPORTS_PATH_MAX + 2];
	size_t		 i;
	enum database_kind got;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		why[0] = '\0';
		got = database_kind(t[i].in, why, sizeof(why));
		CHECK(got == t[i].want && (t[i].why == NULL ||
		    strcmp(why, t[i].why) == 0),
		    "database_kind(\"%s\"): want %d \"%s\", got %d \"%s\"",
		    t[i].in, t[i].want, t[i].why != NULL ? t[i].why : "",
		    got, why);
	}
	/* The longest path taken, and one byte more. */
	memset(big, 'a', sizeof(big) - 1);
	big[0] = '/';
	big[CONF_REPORTS_PATH_MAX] = '\0';
	CHECK(database_kind(big, why, sizeof(why)) == DATABASE_SQLITE,
	    "a path of %d bytes is taken", CONF_REPORTS_PATH_MAX);
	big[CONF_REPORTS_PATH_MAX] = 'a';
	big[CONF_REPORTS_PATH_MAX + 1] = '\0';
	CHECK(database_kind(big, why, sizeof(why)) == DATABASE_NONE &&
	    strcmp(why, "longer than 1024 bytes") == 0,
	    "a path of %d bytes is refused: \"%s\"",
	    CONF_REPORTS_PATH_MAX + 1, why);
	return unit_done();
}
