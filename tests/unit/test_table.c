/* SPDX-License-Identifier: ISC */
/*
 * table.c: table_named, the one rule for a domain named on a command
 * line (mta-sts-fcgi -d/-U, mta-sts-check).
 */
#include <string.h>

#include "fcgi/fcgi.h"
#include "unit.h"

static const char *const mx_a[] = { "mail.example.com" };
static const char *const mx_b[] = { "mx.example.org" };

/* example.com and mta-sts.io have sections; [policy] only if dflt. */
static void
build(struct table *t, int dflt)
{
	struct policy_spec	 a = { POLICY_ENFORCE, mx_a, 1, 604800 };
	struct policy_spec	 b = { POLICY_TESTING, mx_b, 1, 86400 };
	long			 pa, pb, d;

	table_init(t);
	pa = table_add_policy(t, &a);
	pb = table_add_policy(t, &b);
	d = table_add_domain(t, "example.com", 11);
	t->domains[d].policy = (uint32_t)pa;
	t->domains[d].tlsrpt = "mailto:tls@example.com";
	t->domains[d].zone = "com";
	d = table_add_domain(t, "mta-sts.io", 10);
	t->domains[d].policy = (uint32_t)pa;
	if (dflt) {
		t->default_policy = pb;
		t->default_tlsrpt = "mailto:d@example.org";
	}
}

static void
test_named(void)
{
	static const struct {
		const char	*arg;
		int		 dflt;
		const char	*want;	/* name, section or default; or why */
	} rows[] = {
		{ "example.com", 0, "example.com section" },
		{ "EXAMPLE.Com", 0, "example.com section" },
		{ "example.com.", 0, "example.com section" },
		{ "Example.COM.", 1, "example.com section" },
		{ "mta-sts.io", 0, "mta-sts.io section" },
		{ "other.example", 1, "other.example default" },
		{ "other.example.", 1, "other.example default" },
		{ "other.example", 0, "other.example: no [domain "
		    "other.example] section and no [policy] to serve it" },
		{ "mta-sts.example.com", 1, "mta-sts.example.com: name the "
		    "policy domain, not its policy host: -d example.com" },
		{ "MTA-STS.example.com.", 0, "mta-sts.example.com: name the "
		    "policy domain, not its policy host: -d example.com" },
		/* A name refused for its syntax is quoted as typed. */
		{ "example.com..", 1, "example.com..: empty label: two dots "
		    "in a row, or a leading dot" },
		{ "Example.COM..", 0, "Example.COM..: empty label: two dots "
		    "in a row, or a leading dot" },
		{ "A_B.Example.", 1, "A_B.Example.: \"_\" is not allowed in a "
		    "host name (letters, digits, \"-\" and \".\")" },
		{ ".", 1, ".: empty name" },
		{ "", 1, ": empty name" },
		{ "a_b.example", 1, "a_b.example: \"_\" is not allowed in a "
		    "host name (letters, digits, \"-\" and \".\")" },
		{ "*.example.com", 1, "*.example.com: a wildcard is not "
		    "allowed here" },
	};
	struct table		 with, without, *t;
	struct table_named	 n;
	char			 why[512], got[512];
	size_t			 i;

	build(&with, 1);
	build(&without, 0);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		t = rows[i].dflt ? &with : &without;
		if (table_named(t, rows[i].arg, "-d", &n, why,
		    sizeof(why)) == 0)
			snprintf(got, sizeof(got), "%s %s", n.name,
			    n.domain != NULL ? "section" : "default");
		else
			snprintf(got, sizeof(got), "%s", why);
		CHECK_BYTES(got, strlen(got), rows[i].want,
		    strlen(rows[i].want), "table_named row %zu \"%s\"", i,
		    rows[i].arg);
	}
	/* What is served: the section's policy, rua and zone, or [policy]'s. */
	table_named(&with, "EXAMPLE.COM.", "-d", &n, why, sizeof(why));
	CHECK(n.policy == &with.policies[0] && n.zone != NULL &&
	    strcmp(n.zone, "com") == 0 && strcmp(n.tlsrpt,
	    "mailto:tls@example.com") == 0, "a section's policy, rua, zone");
	table_named(&with, "other.example", "-d", &n, why, sizeof(why));
	CHECK(n.policy == &with.policies[1] && n.zone == NULL &&
	    strcmp(n.tlsrpt, "mailto:d@example.org") == 0,
	    "[policy]'s policy and rua, no zone");
	table_free(&with);
	table_free(&without);
}

/* table_name alone: the normal form, or the message with its usage. */
static void
test_name(void)
{
	static const struct {
		const char		*arg;
		enum dname_error	 e;
		const char		*want;	/* name, or why */
	} rows[] = {
		{ "Example.COM.", DNAME_OK, "example.com" },
		{ "example.com..", DNAME_EMPTY_LABEL, "example.com..: empty "
		    "label: two dots in a row, or a leading dot" },
		{ "MTA-STS.Example.COM.", DNAME_POLICY_HOST, "mta-sts.example"
		    ".com: name the policy domain, not its policy host: list "
		    "example.com" },
		{ "exa\rmple.com", DNAME_BAD_CHAR, "exa\rmple.com: invalid "
		    "character (letters, digits, \"-\" and \".\" only)" },
	};
	char	 name[DNAME_MAX + 1], why[512];
	size_t	 i;
	enum dname_error e;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		why[0] = '\0';
		e = table_name(rows[i].arg, "list", name, why, sizeof(why));
		CHECK(e == rows[i].e, "table_name row %zu: error %d, want %d",
		    i, (int)e, (int)rows[i].e);
		if (e == DNAME_OK)
			CHECK_BYTES(name, strlen(name), rows[i].want,
			    strlen(rows[i].want), "table_name row %zu", i);
		else
			CHECK_BYTES(why, strlen(why), rows[i].want,
			    strlen(rows[i].want), "table_name row %zu", i);
	}
}

/* An over-long name is refused, its start quoted. */
static void
test_long(void)
{
	struct table		 t;
	struct table_named	 n;
	char			 arg[400], why[512];

	build(&t, 1);
	memset(arg, 'a', sizeof(arg) - 1);
	arg[sizeof(arg) - 1] = '\0';
	CHECK(table_named(&t, arg, "-d", &n, why, sizeof(why)) == -1 &&
	    strstr(why, "...: name longer than 253 bytes") != NULL &&
	    strlen(why) < 100, "a 399-byte name: \"%s\"", why);
	table_free(&t);
}

int
main(void)
{
	test_named();
	test_name();
	test_long();
	return unit_done();
}
