/* SPDX-License-Identifier: ISC */
/*
 * The store's one interface (tlsrpt.h) over its two backends: the
 * database string says which (database_kind: a file path is SQLite,
 * tlsrpt_sqlite.c; a postgresql:// URI or service=NAME is PostgreSQL,
 * tlsrpt_pg.c), and every call goes to the ops of the store it is given,
 * so that the receiver, import, the commands and mta-sts-check never
 * know which one they write or read.  Both backends keep a policy's
 * policy-string and mx-host as JSON arrays of the strings sent, and
 * share the code below that is not SQL: those arrays, what a stored
 * policy-string says its max_age is, and which served policies changed.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tlsrpt/tlsrpt_backend.h"

int
tlsrpt_store_open(struct tlsrpt_store **out, const char *database,
    int flags)
{
	char	 why[CONF_REPORTS_PATH_MAX + 160];

	*out = NULL;
	switch (database_kind(database, why, sizeof(why))) {
	case DATABASE_SQLITE:
		return tlsrpt_sqlite_ops.open(out, database, flags);
	case DATABASE_POSTGRESQL:
		return tlsrpt_pg_ops.open(out, database, flags);
	case DATABASE_NONE:
		break;
	}
	log_warnx("database: %s", why);
	return -1;
}

void
tlsrpt_store_close(struct tlsrpt_store *st)
{
	if (st != NULL)
		st->ops->close(st);
}

const char *
tlsrpt_store_backend(const struct tlsrpt_store *st)
{
	return st->ops->name;
}

int
tlsrpt_store_version(const struct tlsrpt_store *st)
{
	return st->ops->version(st);
}

int
tlsrpt_store_begin(struct tlsrpt_store *st)
{
	return st->ops->begin(st);
}

int
tlsrpt_store_commit(struct tlsrpt_store *st)
{
	return st->ops->commit(st);
}

enum tlsrpt_store_result
tlsrpt_store_add(struct tlsrpt_store *st, const struct tlsrpt_report *r,
    enum tlsrpt_via via, const unsigned char *raw, size_t rawlen,
    int64_t received)
{
	return st->ops->add(st, r, via, raw, rawlen, received);
}

int
tlsrpt_store_list(struct tlsrpt_store *st, const char *const *domains,
    size_t n, int (*fn)(const struct tlsrpt_row *, void *), void *arg)
{
	return st->ops->list(st, domains, n, fn, arg);
}

int
tlsrpt_store_each(struct tlsrpt_store *st,
    int (*fn)(const struct tlsrpt_stored *, void *), void *arg)
{
	return st->ops->each(st, fn, arg);
}

long
tlsrpt_store_prune(struct tlsrpt_store *st, int64_t before)
{
	return st->ops->prune(st, before);
}

long
tlsrpt_store_served(struct tlsrpt_store *st, const struct table *t,
    int64_t now)
{
	return st->ops->served(st, t, now);
}

int
tlsrpt_store_served_add(struct tlsrpt_store *st,
    const struct tlsrpt_served_row *row)
{
	return st->ops->served_add(st, row);
}

int
tlsrpt_store_served_list(struct tlsrpt_store *st,
    const char *const *domains, size_t n,
    int (*fn)(const struct tlsrpt_served_row *, void *), void *arg)
{
	return st->ops->served_list(st, domains, n, fn, arg);
}

int
tlsrpt_store_applied(struct tlsrpt_store *st,
    const struct tlsrpt_store_period *pd,
    int (*fn)(const struct tlsrpt_applied_row *, void *), void *arg)
{
	return st->ops->applied(st, pd, fn, arg);
}

int
tlsrpt_store_failures(struct tlsrpt_store *st,
    const struct tlsrpt_store_period *pd,
    int (*fn)(const struct tlsrpt_failure_row *, void *), void *arg)
{
	return st->ops->failures(st, pd, fn, arg);
}

int
tlsrpt_store_days(struct tlsrpt_store *st,
    const struct tlsrpt_store_period *pd,
    int (*fn)(const struct tlsrpt_day_row *, void *), void *arg)
{
	return st->ops->days(st, pd, fn, arg);
}

/*
 * What both backends share and is not SQL.
 */

int
tlsrpt_store_policy_spec(const struct policy *p, enum policy_mode *mode,
    unsigned long *max_age)
{
	const char	*body, *line, *end, *eol;
	size_t		 len;
	long long	 n;
	char		 num[16];
	int		 found = 0;

	body = policy_body(p, &len);
	for (line = body, end = body + len; line < end; line = eol + 2) {
		if ((eol = memmem(line, (size_t)(end - line), "\r\n", 2)) ==
		    NULL)
			break;
		len = (size_t)(eol - line);
		if (len > 6 && memcmp(line, "mode: ", 6) == 0) {
			*mode = len == 13 && memcmp(line + 6, "enforce", 7) ==
			    0 ? POLICY_ENFORCE : len == 13 &&
			    memcmp(line + 6, "testing", 7) == 0 ?
			    POLICY_TESTING : POLICY_NONE;
			found |= 1;
		} else if (len > 9 && len - 9 < sizeof(num) &&
		    memcmp(line, "max_age: ", 9) == 0) {
			memcpy(num, line + 9, len - 9);
			num[len - 9] = '\0';
			if (num_parse(num, 10, 0, POLICY_MAX_AGE_MAX, &n) == 0) {
				*max_age = (unsigned long)n;
				found |= 2;
			}
		}
	}
	return found == 3 ? 0 : -1;
}

int
tlsrpt_strings_encode(char *const *v, size_t n, char **out)
{
	json_t	*a;
	size_t	 i;

	*out = NULL;
	if (v == NULL)
		return 0;
	if ((a = json_array()) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (json_array_append_new(a, json_string(v[i])) == -1) {
			json_decref(a);
			return -1;
		}
	*out = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return *out == NULL ? -1 : 0;
}

int
tlsrpt_strings_decode(const char *text, char ***v, size_t *n)
{
	json_t	*a, *e;
	size_t	 i;

	*v = NULL;
	*n = 0;
	if (text == NULL)
		return 0;
	if ((a = json_loads(text, JSON_REJECT_DUPLICATES, NULL)) == NULL ||
	    !json_is_array(a))
		goto fail;
	if ((*v = calloc(json_array_size(a) + 1, sizeof(**v))) == NULL)
		goto fail;
	json_array_foreach(a, i, e) {
		if (!json_is_string(e) ||
		    ((*v)[i] = strdup(json_string_value(e))) == NULL)
			goto fail;
		*n = i + 1;
	}
	json_decref(a);
	return 0;
fail:
	json_decref(a);
	for (i = 0; i < *n; i++)
		free((*v)[i]);
	free(*v);
	*v = NULL;
	*n = 0;
	return -1;
}

char *
tlsrpt_domains_json(const char *const *domains, size_t n)
{
	json_t	*a;
	char	*s = NULL;
	size_t	 i;

	if ((a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (json_array_append_new(a, json_string(domains[i])) == -1)
			goto out;
	s = json_dumps(a, JSON_COMPACT);
out:
	json_decref(a);
	return s;
}

void
tlsrpt_policy_clear(struct tlsrpt_policy *p)
{
	size_t	 i;

	for (i = 0; i < p->npolicy_string; i++)
		free(p->policy_string[i]);
	free(p->policy_string);
	for (i = 0; i < p->nmx_host; i++)
		free(p->mx_host[i]);
	free(p->mx_host);
	for (i = 0; i < p->nfailures; i++) {
		struct tlsrpt_failure *f = &p->failures[i];

		free(f->result_type);
		free(f->sending_mta_ip);
		free(f->receiving_mx_hostname);
		free(f->receiving_mx_helo);
		free(f->receiving_ip);
		free(f->additional_information);
		free(f->failure_reason_code);
	}
	free(p->failures);
	memset(p, 0, sizeof(*p));
}

int64_t
tlsrpt_policy_string_max_age(const char *text)
{
	char		**v;
	size_t		 n, i;
	long long	 age = -1;

	if (tlsrpt_strings_decode(text, &v, &n) == -1 || v == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (age == -1 && strncmp(v[i], "max_age:", 8) == 0 &&
		    num_parse(v[i] + 8 + strspn(v[i] + 8, " \t"), 10, 0,
		    POLICY_MAX_AGE_MAX, &age) == -1)
			age = -1;
		free(v[i]);
	}
	free(v);
	return age;
}

size_t
tlsrpt_served_changed(const struct table *t, char (*ids)[POLICY_ID_LEN + 1])
{
	size_t	 i, n = 0;

	for (i = 0; i < t->ndomains; i++) {
		if (t->domains[i].policy >= t->npolicies ||
		    strcmp(ids[i], t->policies[t->domains[i].policy].id) == 0)
			ids[i][0] = '\0';
		else {
			ids[i][0] = 'x';	/* to record */
			n++;
		}
	}
	return n;
}
