/* SPDX-License-Identifier: ISC */
/*
 * image.c: an image serves exactly what its table serves, for every
 * name, and has a [domain] section exactly where its table has one
 * (image_domain, the receiver's question); and image_open refuses every truncated or out-of-bounds image
 * (the layout is restated here from image.c's comment, not taken from
 * its code, so that a wrong offset there cannot hide itself).
 */
#include <stdio.h>
#include <stdlib.h>

#include "serve/serve.h"
#include "unit.h"

#define HEADER_LEN	28
#define POLICY_LEN	12
#define SLOT_LEN	4
#define DOMAIN_LEN	16

static const char *const mx_a[] = { "mail.example.com" };
static const char *const mx_b[] = { "mx1.example.org", "mx2.example.org" };
static const char *const mx_c[] = { "*.example.net" };

/* A table: ndomains customers (every third with policy b), or two. */
static void
build(struct table *t, int dflt, size_t ndomains)
{
	struct policy_spec	 a = { POLICY_ENFORCE, mx_a, 1, 604800 };
	struct policy_spec	 b = { POLICY_TESTING, mx_b, 2, 86400 };
	struct policy_spec	 c = { POLICY_NONE, mx_c, 1, 3600 };
	char			 name[64];
	long			 pa, pb, d;
	size_t			 i;

	table_init(t);
	pa = table_add_policy(t, &a);
	pb = table_add_policy(t, &b);
	if (dflt)
		t->default_policy = table_add_policy(t, &c);
	for (i = 0; i < ndomains; i++) {
		snprintf(name, sizeof(name), "customer%zu.example", i);
		d = table_add_domain(t, name, strlen(name));
		t->domains[d].policy = (uint32_t)(i % 3 == 0 ? pb : pa);
	}
	if (ndomains == 2) {
		d = table_add_domain(t, "example.org", 11);
		t->domains[d].policy = (uint32_t)pb;
	}
}

/* t's image in malloc'd memory, opened into img; NULL if that failed. */
static unsigned char *
image_of(const struct table *t, struct image *img, size_t *size)
{
	unsigned char	*buf;

	if ((*size = image_size(t)) == 0 || (buf = malloc(*size)) == NULL)
		return NULL;
	image_write(t, buf, *size);
	if (image_open(img, buf, *size) == -1) {
		free(buf);
		return NULL;
	}
	return buf;
}

/*
 * Does the image answer name as the table does, byte for byte, and know
 * its [domain] section exactly when the table does?
 */
static int
same(const struct table *t, const struct image *img, const char *name,
    size_t len)
{
	const struct policy	*want = table_lookup(t, name, len);
	struct image_policy	 got;

	if (image_domain(img, name, len) != (table_find(t, name, len) != NULL))
		return 0;
	if (image_lookup(img, name, len, &got) == -1)
		return want == NULL;
	return want != NULL && got.response_len == want->response_len &&
	    got.header_len == want->header_len &&
	    memcmp(got.response, want->response, want->response_len) == 0;
}

static void
test_lookups(void)
{
	static const struct {
		int		 dflt;
		size_t		 ndomains;
	} rows[] = {
		{ 0, 0 }, { 1, 0 }, { 0, 2 }, { 1, 2 }, { 0, 5000 },
		{ 1, 5000 },
	};
	static const char *const unknown[] = {
		"", "example", "example.orgx", "xexample.org", "example.or",
		"EXAMPLE.ORG", "mta-sts.example.org", "customer1.exampl",
		"customer1.examplex", "customer5000.example", "a",
	};
	struct table	 t;
	struct image	 img;
	unsigned char	*buf;
	char		 name[64];
	size_t		 i, j, size, bad;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		build(&t, rows[i].dflt, rows[i].ndomains);
		buf = image_of(&t, &img, &size);
		CHECK(buf != NULL, "row %zu: %zu domains, %s default: image "
		    "of %zu bytes opens", i, t.ndomains, rows[i].dflt ?
		    "a" : "no", size);
		if (buf == NULL) {
			table_free(&t);
			continue;
		}
		for (j = 0, bad = 0; j < t.ndomains; j++)
			bad += !same(&t, &img, t.domains[j].name,
			    strlen(t.domains[j].name));
		for (j = 0; j < sizeof(unknown) / sizeof(unknown[0]); j++)
			bad += !same(&t, &img, unknown[j], strlen(unknown[j]));
		for (j = rows[i].ndomains; j < rows[i].ndomains + 1000; j++) {
			snprintf(name, sizeof(name), "customer%zu.example", j);
			bad += !same(&t, &img, name, strlen(name));
		}
		CHECK(bad == 0, "row %zu: %zu of %zu names answered other "
		    "than table_lookup does", i, bad, t.ndomains + 1000 +
		    sizeof(unknown) / sizeof(unknown[0]));
		free(buf);
		table_free(&t);
	}
}

/* An image need not be aligned: opened and read one byte off. */
static void
test_unaligned(void)
{
	struct table	 t;
	struct image	 img;
	unsigned char	*buf, *odd;
	size_t		 size;

	build(&t, 1, 2);
	buf = image_of(&t, &img, &size);
	odd = malloc(size + 1);
	if (buf != NULL && odd != NULL)
		memcpy(odd + 1, buf, size);
	CHECK(buf != NULL && odd != NULL &&
	    image_open(&img, odd + 1, size) == 0 &&
	    same(&t, &img, "example.org", 11) &&
	    same(&t, &img, "nowhere.example", 15),
	    "an image at an odd address opens and answers as its table");
	free(odd);
	free(buf);
	table_free(&t);
}

/* Every prefix is refused, also with its length field made to match. */
static void
test_truncated(void)
{
	struct table	 t;
	struct image	 img;
	unsigned char	*buf, *copy;
	size_t		 size, n, accepted = 0;
	uint32_t	 v;

	build(&t, 1, 2);
	buf = image_of(&t, &img, &size);
	copy = malloc(size);
	for (n = 0; buf != NULL && copy != NULL && n < size; n++) {
		memcpy(copy, buf, n);
		accepted += image_open(&img, copy, n) == 0;
		if (n < HEADER_LEN)
			continue;
		v = (uint32_t)n;
		memcpy(copy + 8, &v, sizeof(v));
		accepted += image_open(&img, copy, n) == 0;
	}
	CHECK(buf != NULL && copy != NULL && accepted == 0,
	    "%zu of the %zu truncated prefixes of an image accepted",
	    accepted, size);
	CHECK(buf != NULL && image_open(&img, buf, size) == 0,
	    "the untouched image is accepted");
	free(copy);
	free(buf);
	table_free(&t);
}

/* What a mutation writes into a field. */
enum value {
	V_ZERO,
	V_PLUS1,	/* the field's value + 1 */
	V_MINUS1,
	V_LEN,		/* the image's length */
	V_LEN_LESS,	/* the length minus the field before it + 1 */
	V_PREV_PLUS1,	/* the field before it + 1 */
	V_BEFORE_DATA,	/* the byte before the data part */
	V_DOMAINS,	/* ndomains + 1: one past the last index + 1 */
	V_NPOLICIES,
	V_MAX,		/* UINT32_MAX */
	V_MAX_LESS1,
	V_HALF,
	V_TWICE,
};

/* The parts of an image, and their entries' sizes. */
enum part { HEADER, POLICY, SLOT, DOMAIN };

static size_t
field_at(enum part part, size_t i, size_t field, uint32_t np, uint32_t ns)
{
	switch (part) {
	case POLICY:
		return HEADER_LEN + i * POLICY_LEN + 4 * field;
	case SLOT:
		return HEADER_LEN + (size_t)np * POLICY_LEN + i * SLOT_LEN;
	case DOMAIN:
		return HEADER_LEN + (size_t)np * POLICY_LEN +
		    (size_t)ns * SLOT_LEN + i * DOMAIN_LEN + 4 * field;
	default:
		return 4 * field;
	}
}

static uint32_t
value_of(enum value v, const unsigned char *buf, size_t at, size_t size,
    uint32_t np, uint32_t ns, uint32_t nd)
{
	uint32_t	 old, prev;

	memcpy(&old, buf + at, 4);
	prev = 0;
	if (at >= 4)
		memcpy(&prev, buf + at - 4, 4);
	switch (v) {
	case V_ZERO:		return 0;
	case V_PLUS1:		return old + 1;
	case V_MINUS1:		return old - 1;
	case V_LEN:		return (uint32_t)size;
	case V_LEN_LESS:	return (uint32_t)size - prev + 1;
	case V_PREV_PLUS1:	return prev + 1;
	case V_BEFORE_DATA:	return HEADER_LEN + np * POLICY_LEN +
				    ns * SLOT_LEN + nd * DOMAIN_LEN - 1;
	case V_DOMAINS:		return nd + 1;
	case V_NPOLICIES:	return np;
	case V_MAX:		return UINT32_MAX;
	case V_MAX_LESS1:	return UINT32_MAX - 1;
	case V_HALF:		return old / 2;
	case V_TWICE:		return old * 2;
	}
	return old;
}

/* Each row's mutation, applied to every entry of its part in turn. */
static void
test_mutations(void)
{
	static const struct {
		enum part	 part;
		size_t		 field;
		enum value	 value;
		const char	*what;
	} rows[] = {
		{ HEADER, 0, V_PLUS1, "magic" },
		{ HEADER, 1, V_PLUS1, "version + 1" },
		{ HEADER, 1, V_ZERO, "version 0" },
		{ HEADER, 2, V_PLUS1, "length + 1" },
		{ HEADER, 2, V_MINUS1, "length - 1" },
		{ HEADER, 3, V_PLUS1, "npolicies + 1" },
		{ HEADER, 3, V_ZERO, "no policies" },
		{ HEADER, 3, V_MAX, "npolicies UINT32_MAX" },
		{ HEADER, 4, V_PLUS1, "ndomains + 1" },
		{ HEADER, 4, V_MAX, "ndomains UINT32_MAX" },
		{ HEADER, 5, V_ZERO, "no slots" },
		{ HEADER, 5, V_PLUS1, "nslots not a power of two" },
		{ HEADER, 5, V_HALF, "nslots halved" },
		{ HEADER, 5, V_TWICE, "nslots doubled" },
		{ HEADER, 5, V_MAX, "nslots UINT32_MAX" },
		{ HEADER, 6, V_NPOLICIES, "default policy = npolicies" },
		{ HEADER, 6, V_MAX_LESS1, "default policy UINT32_MAX - 1" },
		{ POLICY, 0, V_LEN, "response offset at the end" },
		{ POLICY, 0, V_BEFORE_DATA, "response offset before data" },
		{ POLICY, 0, V_MAX, "response offset UINT32_MAX" },
		{ POLICY, 1, V_LEN_LESS, "response one byte past the end" },
		{ POLICY, 1, V_MAX, "response length UINT32_MAX" },
		{ POLICY, 2, V_ZERO, "header length 0" },
		{ POLICY, 2, V_PREV_PLUS1, "header longer than its response" },
		{ SLOT, 0, V_DOMAINS, "slot past the last domain" },
		{ SLOT, 0, V_MAX, "slot UINT32_MAX" },
		{ DOMAIN, 1, V_LEN, "name offset at the end" },
		{ DOMAIN, 1, V_BEFORE_DATA, "name offset before data" },
		{ DOMAIN, 1, V_MAX, "name offset UINT32_MAX" },
		{ DOMAIN, 2, V_LEN_LESS, "name one byte past the end" },
		{ DOMAIN, 2, V_MAX, "name length UINT32_MAX" },
		{ DOMAIN, 3, V_NPOLICIES, "policy index = npolicies" },
		{ DOMAIN, 3, V_MAX, "policy index UINT32_MAX" },
	};
	struct table	 t;
	struct image	 img;
	unsigned char	*buf, *copy;
	size_t		 size, i, e, n, at, tried, accepted;
	uint32_t	 v;

	build(&t, 1, 2);
	buf = image_of(&t, &img, &size);
	copy = malloc(size);
	for (i = 0; buf != NULL && copy != NULL &&
	    i < sizeof(rows) / sizeof(rows[0]); i++) {
		n = rows[i].part == HEADER ? 1 : rows[i].part == POLICY ?
		    t.npolicies : rows[i].part == SLOT ? t.nslots : t.ndomains;
		for (e = 0, tried = 0, accepted = 0; e < n; e++) {
			at = field_at(rows[i].part, e, rows[i].field,
			    (uint32_t)t.npolicies, (uint32_t)t.nslots);
			/* A slot is mutated only where it holds a domain. */
			if (rows[i].part == SLOT && t.slots[e] == 0)
				continue;
			memcpy(copy, buf, size);
			v = value_of(rows[i].value, buf, at, size,
			    (uint32_t)t.npolicies, (uint32_t)t.nslots,
			    (uint32_t)t.ndomains);
			memcpy(copy + at, &v, sizeof(v));
			tried++;
			accepted += image_open(&img, copy, size) == 0;
		}
		CHECK(tried > 0 && accepted == 0, "%s: %zu of %zu images "
		    "accepted", rows[i].what, accepted, tried);
	}
	free(copy);
	free(buf);
	table_free(&t);
}

/* Too big for an image: image_size says 0, image_write a refused one. */
static void
test_limits(void)
{
	struct table	 t, big;
	struct policy	 p;
	struct image	 img;
	unsigned char	 buf[256];

	table_init(&big);
	big.npolicies = IMAGE_NONE;
	CHECK(image_size(&big) == 0, "UINT32_MAX policies: no image");
	memset(&p, 0, sizeof(p));
	p.response_len = IMAGE_MAX;
	big.policies = &p;
	big.npolicies = 1;
	CHECK(image_size(&big) == 0, "a response of IMAGE_MAX: no image");
	build(&t, 0, 0);
	image_write(&t, buf, sizeof(buf));
	CHECK(image_size(&t) != sizeof(buf) &&
	    image_open(&img, buf, sizeof(buf)) == -1,
	    "written with the wrong size: refused");
	table_free(&t);
}

int
main(void)
{
	test_lookups();
	test_unaligned();
	test_truncated();
	test_mutations();
	test_limits();
	return unit_done();
}
