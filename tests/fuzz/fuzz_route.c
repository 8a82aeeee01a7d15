/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer: bytes as request parameters (role, method, Host,
 * SERVER_NAME, REQUEST_URI, SCRIPT_NAME, PATH_INFO, separated by NUL)
 * → route, from the table's image as workers serve.  The answer must
 * always be one of the prepared responses, from within the image.
 */
#include <stdlib.h>
#include <string.h>

#include "fcgi/fcgi.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct table	 table;
static struct image	 image;
static unsigned char	*image_buf;
static int		 ready;

static void
setup(void)
{
	static const char *const mx[] = { "mail.example.com" };
	struct policy_spec	 a = { POLICY_ENFORCE, mx, 1, 604800 };
	struct policy_spec	 b = { POLICY_NONE, NULL, 0, 86400 };
	size_t			 size;
	long			 d;

	table_init(&table);
	table.default_policy = table_add_policy(&table, &a);
	d = table_add_domain(&table, "example.org", 11);
	table.domains[d].policy = (uint32_t)table_add_policy(&table, &b);
	size = image_size(&table);
	if ((image_buf = malloc(size)) == NULL)
		abort();
	image_write(&table, image_buf, size);
	if (image_open(&image, image_buf, size) == -1)
		abort();
	ready = 1;
}

/* Is [p, p + len) one of the image's responses, or a HEAD's prefix? */
static int
is_policy(const char *p, size_t len)
{
	struct image_policy	 ip;
	const char		*name[] = { "example.org", "other.example" };
	size_t			 i;

	for (i = 0; i < 2; i++)
		if (image_lookup(&image, name[i], strlen(name[i]), &ip) == 0 &&
		    p == ip.response && (len == ip.response_len ||
		    len == ip.header_len) &&
		    memcmp(p, table_lookup(&table, name[i],
		    strlen(name[i]))->response, len) == 0)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct route_request	 req;
	struct route_response	 res;
	const char		*field[7];
	char			*copy, *p, host[DNAME_MAX + 1];
	size_t			 n = 0;

	if (!ready)
		setup();
	if ((copy = malloc(size + 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	memset(field, 0, sizeof(field));
	for (p = copy; n < 7 && p <= copy + size; p += strlen(p) + 1)
		field[n++] = p;
	memset(&req, 0, sizeof(req));
	req.role = field[0];
	req.method = field[1];
	req.host = field[2];
	req.server_name = field[3];
	req.request_uri = field[4];
	req.script_name = field[5];
	req.path_info = field[6];
	route_request(&image, &req, &res);
	if (res.len == 0 || res.bytes == NULL)
		abort();
	if (res.status == 200 && !is_policy(res.bytes, res.len))
		abort();
	if (route_host(copy, host, sizeof(host)) > DNAME_MAX)
		abort();
	free(copy);
	return 0;
}
