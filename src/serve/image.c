/* SPDX-License-Identifier: ISC */
/*
 * The served part of a table as one flat block that holds no pointer,
 * only offsets from its start, so that the same bytes mean the same
 * thing wherever a process maps them.  A worker serves from bytes it
 * did not write: image_open checks every count, offset, length and
 * index once, and image_lookup then reads only what was checked, so no
 * content of the block can make a lookup read outside it or loop.
 *
 * Layout (IMAGE_VERSION 1), every integer a uint32_t in this host's
 * byte order (a block never leaves the machine that wrote it), read
 * with memcpy so that no alignment is assumed:
 *
 *	header		magic "MSTI", version, length of the whole block,
 *			npolicies, ndomains, nslots, default policy
 *			(IMAGE_NONE: none)			28 bytes
 *	policies	per policy: offset, length and header length
 *			of its response				12 each
 *	slots		the table's open-addressing hash as it is:
 *			domain index + 1, 0 empty		 4 each
 *	domains		per domain: table_hash of its name, the
 *			name's offset and length, its policy	16 each
 *	data		the domain names (no NUL), then the responses
 *
 * Pure: no I/O, no allocation.
 */
#include <string.h>

#include "serve/serve.h"

#define IMAGE_VERSION	1
#define HEADER_LEN	28
#define POLICY_LEN	12
#define SLOT_LEN	4
#define DOMAIN_LEN	16

static const unsigned char magic[4] = { 'M', 'S', 'T', 'I' };

/* Where each part of an image starts, and its whole length. */
struct layout {
	uint64_t	 policies;
	uint64_t	 slots;
	uint64_t	 domains;
	uint64_t	 data;
	uint64_t	 total;
};

static uint32_t
get32(const unsigned char *p)
{
	uint32_t	 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void
put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* The parts' starts for these counts; total is where data starts. */
static void
layout_tables(struct layout *l, uint64_t npolicies, uint64_t nslots,
    uint64_t ndomains)
{
	l->policies = HEADER_LEN;
	l->slots = l->policies + npolicies * POLICY_LEN;
	l->domains = l->slots + nslots * SLOT_LEN;
	l->data = l->domains + ndomains * DOMAIN_LEN;
	l->total = l->data;
}

/* t's layout; 0, or -1 if its image would exceed IMAGE_MAX. */
static int
layout_table(const struct table *t, struct layout *l)
{
	size_t	 i;

	/* Every count must fit a uint32_t, and leave IMAGE_NONE free. */
	if (t->npolicies >= IMAGE_NONE || t->ndomains >= IMAGE_NONE ||
	    t->nslots >= IMAGE_NONE)
		return -1;
	layout_tables(l, t->npolicies, t->nslots, t->ndomains);
	for (i = 0; i < t->ndomains && l->total <= IMAGE_MAX; i++)
		l->total += strlen(t->domains[i].name);
	for (i = 0; i < t->npolicies && l->total <= IMAGE_MAX; i++)
		l->total += t->policies[i].response_len;
	return l->total <= IMAGE_MAX ? 0 : -1;
}

size_t
image_size(const struct table *t)
{
	struct layout	 l;

	return layout_table(t, &l) == 0 ? (size_t)l.total : 0;
}

/* The domains, their names, then the responses from data on. */
static void
write_entries(const struct table *t, const struct layout *l,
    unsigned char *buf)
{
	const struct policy	*p;
	unsigned char		*e;
	size_t			 i, len;
	uint32_t		 at = (uint32_t)l->data;

	for (i = 0; i < t->ndomains; i++) {
		e = buf + l->domains + i * DOMAIN_LEN;
		len = strlen(t->domains[i].name);
		put32(e, t->domains[i].hash);
		put32(e + 4, at);
		put32(e + 8, (uint32_t)len);
		put32(e + 12, t->domains[i].policy);
		memcpy(buf + at, t->domains[i].name, len);
		at += (uint32_t)len;
	}
	for (i = 0; i < t->npolicies; i++) {
		p = &t->policies[i];
		e = buf + l->policies + i * POLICY_LEN;
		put32(e, at);
		put32(e + 4, (uint32_t)p->response_len);
		put32(e + 8, (uint32_t)p->header_len);
		memcpy(buf + at, p->response, p->response_len);
		at += (uint32_t)p->response_len;
	}
}

void
image_write(const struct table *t, unsigned char *buf, size_t size)
{
	struct layout	 l;
	size_t		 i;

	/* Not t's size: write what image_open refuses, never past size. */
	if (layout_table(t, &l) == -1 || l.total != size) {
		memset(buf, 0, size);
		return;
	}
	memcpy(buf, magic, sizeof(magic));
	put32(buf + 4, IMAGE_VERSION);
	put32(buf + 8, (uint32_t)size);
	put32(buf + 12, (uint32_t)t->npolicies);
	put32(buf + 16, (uint32_t)t->ndomains);
	put32(buf + 20, (uint32_t)t->nslots);
	put32(buf + 24, t->default_policy >= 0 ?
	    (uint32_t)t->default_policy : IMAGE_NONE);
	for (i = 0; i < t->nslots; i++)
		put32(buf + l.slots + i * SLOT_LEN, t->slots[i]);
	write_entries(t, &l, buf);
}

/* Is [off, off + len) inside the data part of img? */
static int
in_data(const struct image *img, uint32_t off, uint32_t len)
{
	return off >= img->data && off <= img->len && len <= img->len - off;
}

/* Every policy, slot and domain entry points inside img; 0 or -1. */
static int
check_entries(const struct image *img)
{
	const unsigned char	*e;
	uint32_t		 i;

	for (i = 0; i < img->npolicies; i++) {
		e = img->base + img->policies + (size_t)i * POLICY_LEN;
		/* A response is never empty: a status line at least. */
		if (!in_data(img, get32(e), get32(e + 4)) ||
		    get32(e + 8) == 0 || get32(e + 8) > get32(e + 4))
			return -1;
	}
	for (i = 0; i < img->nslots; i++)
		if (get32(img->base + img->slots + (size_t)i * SLOT_LEN) >
		    img->ndomains)
			return -1;
	for (i = 0; i < img->ndomains; i++) {
		e = img->base + img->domains + (size_t)i * DOMAIN_LEN;
		if (!in_data(img, get32(e + 4), get32(e + 8)) ||
		    get32(e + 12) >= img->npolicies)
			return -1;
	}
	return 0;
}

int
image_open(struct image *img, const void *base, size_t len)
{
	const unsigned char	*b = base;
	struct layout		 l;
	struct image		 o;

	if (len < HEADER_LEN || len > IMAGE_MAX ||
	    memcmp(b, magic, sizeof(magic)) != 0 ||
	    get32(b + 4) != IMAGE_VERSION || get32(b + 8) != len)
		return -1;
	memset(&o, 0, sizeof(o));
	o.base = b;
	o.len = len;
	o.npolicies = get32(b + 12);
	o.ndomains = get32(b + 16);
	o.nslots = get32(b + 20);
	o.default_policy = get32(b + 24);
	/* Lookups mask with nslots - 1: a power of two, one slot free. */
	if (o.nslots == 0 ? o.ndomains != 0 :
	    (o.nslots & (o.nslots - 1)) != 0 || o.ndomains >= o.nslots)
		return -1;
	if (o.default_policy != IMAGE_NONE &&
	    o.default_policy >= o.npolicies)
		return -1;
	layout_tables(&l, o.npolicies, o.nslots, o.ndomains);
	if (l.data > len)
		return -1;
	o.policies = (size_t)l.policies;
	o.slots = (size_t)l.slots;
	o.domains = (size_t)l.domains;
	o.data = (size_t)l.data;
	if (check_entries(&o) == -1)
		return -1;
	*img = o;
	return 0;
}

/* Fills p with policy i of img (checked by image_open). */
static void
policy_at(const struct image *img, uint32_t i, struct image_policy *p)
{
	const unsigned char	*e = img->base + img->policies +
	    (size_t)i * POLICY_LEN;

	p->response = (const char *)img->base + get32(e);
	p->response_len = get32(e + 4);
	p->header_len = get32(e + 8);
}

/*
 * As table_find: the probe starts at the name's hash and ends at an
 * empty slot.  At most nslots probes, so that slots a writer did not
 * fill as the table does (none empty) cannot make it loop.
 */
static int
find(const struct image *img, const char *name, size_t len, uint32_t *policy)
{
	const unsigned char	*e;
	uint32_t		 h, k, j, n, mask = img->nslots - 1;

	h = table_hash(name, len);
	for (j = h & mask, n = 0; n < img->nslots; j = (j + 1) & mask, n++) {
		if ((k = get32(img->base + img->slots +
		    (size_t)j * SLOT_LEN)) == 0)
			break;
		e = img->base + img->domains + (size_t)(k - 1) * DOMAIN_LEN;
		if (get32(e) == h && get32(e + 8) == len &&
		    memcmp(img->base + get32(e + 4), name, len) == 0) {
			*policy = get32(e + 12);
			return 0;
		}
	}
	return -1;
}

int
image_domain(const struct image *img, const char *name, size_t len)
{
	uint32_t	 i;

	return len > 0 && img->nslots > 0 && find(img, name, len, &i) == 0;
}

int
image_lookup(const struct image *img, const char *name, size_t len,
    struct image_policy *p)
{
	uint32_t	 i;

	if (len > 0 && img->nslots > 0 && find(img, name, len, &i) == 0)
		policy_at(img, i, p);
	else if (img->default_policy != IMAGE_NONE)
		policy_at(img, img->default_policy, p);
	else
		return -1;
	return 0;
}
