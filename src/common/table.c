/* SPDX-License-Identifier: ISC */
/*
 * The prepared policies and the domain → policy map.  Identical policies
 * (a hosting provider's thousands of customer domains mostly share a
 * few) are prepared once and shared.  Lookups are one hash and a short
 * probe, whatever the number of domains.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"

#define CHUNK_SIZE	65536

struct table_chunk {
	struct table_chunk	*next;
	size_t			 used;
	size_t			 size;
	char			 data[];
};

/* FNV-1a: short keys, good spread, no state. */
uint32_t
table_hash(const char *s, size_t len)
{
	uint32_t	 h = 2166136261u;
	size_t		 i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

void
table_init(struct table *t)
{
	memset(t, 0, sizeof(*t));
	t->default_policy = -1;
}

void
table_free(struct table *t)
{
	struct table_chunk	*c, *next;
	size_t			 i;

	for (i = 0; i < t->npolicies; i++)
		policy_free(&t->policies[i]);
	free(t->policies);
	free(t->domains);
	free(t->slots);
	free(t->policy_slots);
	for (c = t->strings; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	table_init(t);
}

static char *
table_alloc(struct table *t, size_t len)
{
	struct table_chunk	*c = t->strings;
	size_t			 size;

	if (c == NULL || c->size - c->used < len) {
		size = len > CHUNK_SIZE ? len : CHUNK_SIZE;
		if ((c = malloc(sizeof(*c) + size)) == NULL)
			return NULL;
		c->size = size;
		c->used = 0;
		c->next = t->strings;
		t->strings = c;
	}
	c->used += len;
	return c->data + c->used - len;
}

static const char *
table_strndup(struct table *t, const char *s, size_t len)
{
	char	*p;

	if ((p = table_alloc(t, len + 1)) == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

const char *
table_strdup(struct table *t, const char *s)
{
	return table_strndup(t, s, strlen(s));
}

/*
 * Open addressing, linear probing, kept at most half full.  slots hold
 * an index + 1; hashes come from each element so a rehash needs no keys.
 */
static int
rehash(uint32_t **slots, size_t *nslots, size_t count,
    uint32_t (*hash_of)(const struct table *, uint32_t),
    const struct table *t)
{
	uint32_t	*ns;
	size_t		 n, i, j;

	if ((count + 1) * 2 <= *nslots)
		return 0;
	n = *nslots == 0 ? 64 : *nslots * 2;
	if ((ns = calloc(n, sizeof(*ns))) == NULL)
		return -1;
	for (i = 0; i < *nslots; i++) {
		if ((*slots)[i] == 0)
			continue;
		j = hash_of(t, (*slots)[i] - 1) & (n - 1);
		while (ns[j] != 0)
			j = (j + 1) & (n - 1);
		ns[j] = (*slots)[i];
	}
	free(*slots);
	*slots = ns;
	*nslots = n;
	return 0;
}

static uint32_t
domain_hash(const struct table *t, uint32_t i)
{
	return t->domains[i].hash;
}

static uint32_t
policy_hash(const struct table *t, uint32_t i)
{
	return table_hash(t->policies[i].id, POLICY_ID_LEN);
}

long
table_add_policy(struct table *t, const struct policy_spec *spec)
{
	struct policy	 p, *pp;
	const char	*body, *obody;
	size_t		 len, olen, j;
	uint32_t	 h, k;

	if (policy_prepare(&p, spec) == -1)
		return -1;
	body = policy_body(&p, &len);
	h = table_hash(p.id, POLICY_ID_LEN);
	for (j = h & (t->npolicy_slots - 1); t->npolicy_slots > 0 &&
	    (k = t->policy_slots[j]) != 0;
	    j = (j + 1) & (t->npolicy_slots - 1)) {
		obody = policy_body(&t->policies[k - 1], &olen);
		if (olen == len && memcmp(obody, body, len) == 0) {
			policy_free(&p);
			return (long)k - 1;
		}
	}
	if ((pp = buf_array_room(t->policies, t->npolicies,
	    &t->policies_cap, sizeof(*t->policies))) != NULL)
		t->policies = pp;
	if (pp == NULL || rehash(&t->policy_slots, &t->npolicy_slots,
	    t->npolicies, policy_hash, t) == -1) {
		policy_free(&p);
		return -1;
	}
	t->policies[t->npolicies] = p;
	for (j = h & (t->npolicy_slots - 1); t->policy_slots[j] != 0;
	    j = (j + 1) & (t->npolicy_slots - 1))
		;
	t->policy_slots[j] = (uint32_t)++t->npolicies;
	return (long)t->npolicies - 1;
}

long
table_add_domain(struct table *t, const char *name, size_t len)
{
	struct table_domain	*d;
	const char		*copy;
	size_t			 j;

	if (t->ndomains >= UINT32_MAX - 1 ||
	    (d = buf_array_room(t->domains, t->ndomains, &t->domains_cap,
	    sizeof(*t->domains))) == NULL)
		return -1;
	t->domains = d;
	if (rehash(&t->slots, &t->nslots, t->ndomains, domain_hash, t) == -1 ||
	    (copy = table_strndup(t, name, len)) == NULL)
		return -1;
	d = &t->domains[t->ndomains];
	d->name = copy;
	d->tlsrpt = NULL;
	d->zone = NULL;
	d->policy = 0;
	d->hash = table_hash(name, len);
	for (j = d->hash & (t->nslots - 1); t->slots[j] != 0;
	    j = (j + 1) & (t->nslots - 1))
		;
	t->slots[j] = (uint32_t)++t->ndomains;
	return (long)t->ndomains - 1;
}

const struct table_domain *
table_find(const struct table *t, const char *name, size_t len)
{
	const struct table_domain	*d;
	uint32_t			 h, k;
	size_t				 j;

	if (t->nslots == 0)
		return NULL;
	h = table_hash(name, len);
	for (j = h & (t->nslots - 1); (k = t->slots[j]) != 0;
	    j = (j + 1) & (t->nslots - 1)) {
		d = &t->domains[k - 1];
		if (d->hash == h && strncmp(d->name, name, len) == 0 &&
		    d->name[len] == '\0')
			return d;
	}
	return NULL;
}

const struct policy *
table_lookup(const struct table *t, const char *host, size_t len)
{
	const struct table_domain	*d;

	if (len > 0 && (d = table_find(t, host, len)) != NULL)
		return &t->policies[d->policy];
	if (t->default_policy >= 0)
		return &t->policies[t->default_policy];
	return NULL;
}

/*
 * One rule for a domain named on a command line (-d, -U, mta-sts-check,
 * mta-sts-report's commands): case and one trailing dot do not matter,
 * as in DNS; the name must be one a [domain] section may have, so a
 * policy host "mta-sts.<domain>" is refused with the name to use instead
 * (serving it as <domain> would print or check records under a name the
 * administrator did not type).  A name refused for its syntax is quoted
 * as typed: its normal form ("example.com." for "example.com..") would
 * hide the fault.
 */
enum dname_error
table_name(const char *arg, const char *usage, char *name, char *why,
    size_t size)
{
	enum dname_error	 e;
	size_t			 len = strlen(arg), i;

	name[0] = '\0';
	if (len > 0 && arg[len - 1] == '.')
		len--;
	if (len > DNAME_MAX) {
		snprintf(why, size, "%.*s...: %s", 64, arg,
		    dname_strerror(DNAME_TOO_LONG));
		return DNAME_TOO_LONG;
	}
	for (i = 0; i < len; i++)
		name[i] = (char)(arg[i] >= 'A' && arg[i] <= 'Z' ?
		    arg[i] - 'A' + 'a' : arg[i]);
	name[len] = '\0';
	/* A second trailing dot is an empty label, not a "trailing dot". */
	e = len > 0 && name[len - 1] == '.' ? DNAME_EMPTY_LABEL :
	    dname_check_domain(name, len);
	if (e == DNAME_POLICY_HOST)
		snprintf(why, size, "%s: name the policy domain, not its "
		    "policy host: %s %s", name, usage, name + 8);
	else if (e != DNAME_OK)
		snprintf(why, size, "%s: %s", arg, dname_strerror(e));
	return e;
}

int
table_named(const struct table *t, const char *arg, const char *usage,
    struct table_named *out, char *why, size_t size)
{
	size_t	 len;

	memset(out, 0, sizeof(*out));
	if (table_name(arg, usage, out->name, why, size) != DNAME_OK)
		return -1;
	len = strlen(out->name);
	if ((out->domain = table_find(t, out->name, len)) != NULL) {
		out->policy = &t->policies[out->domain->policy];
		out->tlsrpt = out->domain->tlsrpt;
		out->zone = out->domain->zone;
	} else if (t->default_policy >= 0) {
		out->policy = &t->policies[t->default_policy];
		out->tlsrpt = t->default_tlsrpt;
	} else {
		snprintf(why, size, "%s: no [domain %s] section and no "
		    "[policy] to serve it", out->name, out->name);
		return -1;
	}
	return 0;
}
