/* SPDX-License-Identifier: ISC */
/*
 * The store's backends, as tlsrpt_store.c sees them: each one is a
 * struct tlsrpt_store_ops, and each store it opens begins with a struct
 * tlsrpt_store (the first member of the backend's own struct), so that
 * tlsrpt_store.c dispatches every public call to st->ops.  Private to
 * src/tlsrpt/; nothing outside includes it.
 *
 * Every op has the contract of the public function of the same name in
 * tlsrpt.h; open is given the database string as configured.  What both
 * backends need and that is not SQL is here too (tlsrpt_store.c).
 */
#ifndef MTA_STS_TLSRPT_BACKEND_H
#define MTA_STS_TLSRPT_BACKEND_H

#include "tlsrpt/tlsrpt.h"

/* "MTSR": what marks a store as ours (application_id). */
#define TLSRPT_APPLICATION_ID	0x4d545352
/* Rows prune deletes per transaction: writers wait at most one batch. */
#define TLSRPT_PRUNE_BATCH	1000

struct tlsrpt_store_ops;

struct tlsrpt_store {
	const struct tlsrpt_store_ops *ops;
};

struct tlsrpt_store_ops {
	const char	*name;		/* "SQLite", "PostgreSQL" */
	int	(*open)(struct tlsrpt_store **, const char *, int);
	void	(*close)(struct tlsrpt_store *);
	int	(*version)(const struct tlsrpt_store *);
	int	(*begin)(struct tlsrpt_store *);
	int	(*commit)(struct tlsrpt_store *);
	enum tlsrpt_store_result (*add)(struct tlsrpt_store *,
		    const struct tlsrpt_report *, enum tlsrpt_via,
		    const unsigned char *, size_t, int64_t);
	int	(*list)(struct tlsrpt_store *, const char *const *, size_t,
		    int (*)(const struct tlsrpt_row *, void *), void *);
	int	(*each)(struct tlsrpt_store *,
		    int (*)(const struct tlsrpt_stored *, void *), void *);
	long	(*prune)(struct tlsrpt_store *, int64_t);
	long	(*served)(struct tlsrpt_store *, const struct table *,
		    int64_t);
	int	(*served_add)(struct tlsrpt_store *,
		    const struct tlsrpt_served_row *);
	int	(*served_list)(struct tlsrpt_store *, const char *const *,
		    size_t, int (*)(const struct tlsrpt_served_row *, void *),
		    void *);
	int	(*applied)(struct tlsrpt_store *,
		    const struct tlsrpt_store_period *,
		    int (*)(const struct tlsrpt_applied_row *, void *), void *);
	int	(*failures)(struct tlsrpt_store *,
		    const struct tlsrpt_store_period *,
		    int (*)(const struct tlsrpt_failure_row *, void *), void *);
	int	(*days)(struct tlsrpt_store *,
		    const struct tlsrpt_store_period *,
		    int (*)(const struct tlsrpt_day_row *, void *), void *);
};

extern const struct tlsrpt_store_ops tlsrpt_sqlite_ops;
extern const struct tlsrpt_store_ops tlsrpt_pg_ops;

/*
 * n strings as a JSON array in a new string (free), for policy_string
 * and mx_host; *out NULL for none sent.  0, or -1 (out of memory, or a
 * string that is not UTF-8, which report_json never gives).
 */
int	 tlsrpt_strings_encode(char *const *, size_t, char **);
/* Such an array back into a vector (NULL for NULL); 0, or -1. */
int	 tlsrpt_strings_decode(const char *, char ***, size_t *);
/* Domains as one JSON array (a single bound parameter), or NULL. */
char	*tlsrpt_domains_json(const char *const *, size_t);
/*
 * The max_age line of a stored policy-string (a JSON array of lines),
 * or -1: what a reporter that applied those lines may cache them for.
 */
int64_t	 tlsrpt_policy_string_max_age(const char *);
/*
 * ids holds, per table domain, the policy id last recorded for it ("" for
 * none); on return it marks ("x") the [domain] sections whose policy id
 * is not that one, and the number marked.
 */
size_t	 tlsrpt_served_changed(const struct table *,
	    char (*)[POLICY_ID_LEN + 1]);
/* Frees what a policy read back from a store holds, and zeroes it. */
void	 tlsrpt_policy_clear(struct tlsrpt_policy *);

#endif
