/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer: bytes as a config file → load, validate, prepare; then, if
 * it loaded, every policy's bytes must be what policy_body_len promised
 * and every domain must find its own policy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf	 conf;
	FILE		*fp;
	size_t		 i, len;

	log_quiet = 1;
	if ((fp = fmemopen((void *)(uintptr_t)data, size, "r")) == NULL)
		return 0;
	if (conf_load_stream(&conf, fp, "fuzz.ini") == 0) {
		for (i = 0; i < conf.table.npolicies; i++) {
			policy_body(&conf.table.policies[i], &len);
			if (len == 0 || len > POLICY_BODY_MAX)
				abort();
		}
		for (i = 0; i < conf.table.ndomains; i++)
			if (table_lookup(&conf.table, conf.table.domains[i].name,
			    strlen(conf.table.domains[i].name)) !=
			    &conf.table.policies[conf.table.domains[i].policy])
				abort();
		conf_free(&conf);
	}
	fclose(fp);
	return 0;
}
