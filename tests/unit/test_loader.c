/* SPDX-License-Identifier: ISC */
/*
 * loader.c: a config's image in a sealed memfd, as the loader makes it
 * and a worker checks it: the table's part answers as the table does,
 * the program's own part arrives byte for byte and is checked by the
 * program, and a descriptor that is not exactly such a memfd (unsealed,
 * another size, parts whose lengths do not add up, a part the program
 * refuses) is refused.
 */
#include <sys/mman.h>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "serve/serve.h"
#include "unit.h"

static const char	 part[] = "the program's own part";

static size_t
part_size(const struct conf *conf)
{
	(void)conf;
	return sizeof(part);
}

static void
part_write(const struct conf *conf, unsigned char *p, size_t len)
{
	(void)conf;
	memcpy(p, part, len);
}

static int
part_check(const unsigned char *p, size_t len)
{
	return len == sizeof(part) && memcmp(p, part, len) == 0 ? 0 : -1;
}

static const struct serve_app	 with_part = {
	.name = "test", .image_size = part_size, .image_write = part_write,
	.image_check = part_check,
};
static const struct serve_app	 without_part = { .name = "test" };

/* A config of one policy for example.org. */
static void
build(struct conf *conf)
{
	static const char *const mx[] = { "mail.example.org" };
	struct policy_spec	 a = { POLICY_ENFORCE, mx, 1, 604800 };
	long			 d;

	memset(conf, 0, sizeof(*conf));
	table_init(&conf->table);
	d = table_add_domain(&conf->table, "example.org", 11);
	conf->table.domains[d].policy = (uint32_t)table_add_policy(
	    &conf->table, &a);
}

/* A sealed memfd holding len bytes at p. */
static int
sealed(const void *p, size_t len, int seal)
{
	int	 fd;

	if ((fd = memfd_create("t", MFD_ALLOW_SEALING)) == -1 ||
	    write(fd, p, len) != (ssize_t)len || (seal && fcntl(fd,
	    F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE |
	    F_SEAL_SEAL) == -1))
		return -1;
	return fd;
}

static void
test_parts(void)
{
	struct conf		 conf;
	struct serve_image	 si;
	struct image_policy	 p;
	size_t			 size;
	int			 fd;

	build(&conf);
	fd = loader_image(&with_part, &conf, &size);
	CHECK(fd != -1 && size == 16 + image_size(&conf.table) +
	    sizeof(part), "an image with a part: %zu bytes", size);
	CHECK(loader_check(&with_part, fd, size, &si) == 0 &&
	    si.part_len == sizeof(part) &&
	    memcmp(si.part, part, sizeof(part)) == 0 &&
	    image_domain(&si.table, "example.org", 11) &&
	    image_lookup(&si.table, "example.org", 11, &p) == 0 &&
	    p.response_len == conf.table.policies[0].response_len,
	    "checked: the table's part answers, the part is whole");
	loader_unmap(&si);
	CHECK(si.map == NULL, "unmapped");
	CHECK(loader_check(&without_part, fd, size, &si) == -1,
	    "a program that wants no part refuses one");
	CHECK(loader_check(&with_part, fd, size - 1, &si) == -1 &&
	    loader_check(&with_part, fd, size + 1, &si) == -1,
	    "another size is refused");
	close(fd);
	fd = loader_image(&without_part, &conf, &size);
	CHECK(fd != -1 && size == 16 + image_size(&conf.table) &&
	    loader_check(&without_part, fd, size, &si) == 0 &&
	    si.part_len == 0, "an image without a part");
	loader_unmap(&si);
	close(fd);
	table_free(&conf.table);
}

/* Hand-made memfds: every one of them refused. */
static void
test_refused(void)
{
	static const struct {
		const char	*what;
		uint64_t	 table_len, part_len;	/* as the header says */
		int		 seal;
		int		 part_ok;
	} rows[] = {
		{ "the header right (the control)", 0, 0, 1, 1 },
		{ "not sealed", 0, 0, 0, 1 },
		{ "the table's length one more", 1, 0, 1, 1 },
		{ "the part's length one more", 0, 1, 1, 1 },
		{ "the part's length one less", 0, (uint64_t)-1, 1, 1 },
		{ "the table's length huge", (uint64_t)1 << 62, 0, 1, 1 },
		{ "the part's length huge", 0, (uint64_t)1 << 63, 1, 1 },
		{ "a part the program refuses", 0, 0, 1, 0 },
	};
	struct conf		 conf;
	struct serve_image	 si;
	unsigned char		*buf;
	uint64_t		 lens[2];
	size_t			 i, tlen, size;
	int			 fd, rc;

	build(&conf);
	tlen = image_size(&conf.table);
	size = 16 + tlen + sizeof(part);
	if ((buf = malloc(size)) == NULL)
		return;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		lens[0] = tlen + rows[i].table_len;
		lens[1] = sizeof(part) + rows[i].part_len;
		memcpy(buf, lens, sizeof(lens));
		image_write(&conf.table, buf + 16, tlen);
		memcpy(buf + 16 + tlen, part, sizeof(part));
		if (!rows[i].part_ok)
			buf[size - 2] ^= 1;
		fd = sealed(buf, size, rows[i].seal);
		rc = loader_check(&with_part, fd, size, &si);
		CHECK(fd != -1 && rc == (i == 0 ? 0 : -1), "%s: %s",
		    rows[i].what, rc == 0 ? "accepted" : "refused");
		loader_unmap(&si);
		close(fd);
	}
	free(buf);
	table_free(&conf.table);
}

int
main(void)
{
	log_quiet = 1;
	test_parts();
	test_refused();
	return unit_done();
}
