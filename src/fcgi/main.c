/* SPDX-License-Identifier: ISC */
/*
 * mta-sts-fcgi: serve a validated MTA-STS policy (RFC 8461) over FastCGI
 * or CGI, and print the DNS records that go with it.
 *
 * Exit status: 0 success, 1 invalid config or failure to serve, 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fcgi/fcgi.h"

enum mode {
	MODE_SERVE,
	MODE_TEST,	/* -t */
	MODE_DUMP,	/* -T */
	MODE_DNS,	/* -d */
	MODE_UPDATE,	/* -U */
};

/*
 * The TTL of the records -U publishes.  Five minutes: a new id reaches
 * senders soon after the policy it names is served (RFC 8461 §8.1), and
 * ids change rarely, so a short TTL costs only cheap TXT lookups.
 */
#define UPDATE_TTL	300

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
	    "usage: %s [-c file] [-s address] [-m mode] [-o owner[:group]]\n"
	    "       [-u user[:group]] [-w workers]\n"
	    "       [-t | -T | -d [domain ...] | -U [domain ...]] [-V] [-h]\n"
	    "  -c file     config file, or a directory of *.ini files "
	    "(default\n"
	    "              $MTA_STS_FCGI_CONFIG, else %s)\n"
	    SERVE_USAGE
	    "  -t          check the config and exit\n"
	    "  -T          check the config and print every policy as served\n"
	    "  -d          print the DNS records of the domains named, or of "
	    "every [domain]\n"
	    "  -U          print them as an nsupdate script: delete, add, "
	    "send per domain\n"
	    "  -V          print the version\n"
	    "  -h          print this help\n"
	    "Without -t, -T or -d: serve FastCGI on the socket given by -s, "
	    "systemd or fd 0,\n"
	    "or answer one CGI request from the environment.\n",
	    PROGNAME, CONF_DEFAULT);
	exit(status);
}

/* The config verdict, like nginx -t; returns the exit status. */
static int
verdict(const char *file, long errors)
{
	if (errors == 0) {
		log_warnx("%s: configuration OK", file);
		return 0;
	}
	conf_summary(file, errors);
	return 1;
}

/* -T: every distinct policy, the domains it serves, its id and bytes. */
static int
dump(const struct table *t)
{
	size_t		*first, *order, i, n, p;
	const char	*body;
	size_t		 len;

	/* Group domains by policy in one pass (counting sort). */
	if ((first = calloc(t->npolicies + 1, sizeof(*first))) == NULL ||
	    (order = calloc(t->ndomains + 1, sizeof(*order))) == NULL) {
		free(first);
		log_warn("dump");
		return 1;
	}
	for (i = 0; i < t->ndomains; i++)
		first[t->domains[i].policy + 1]++;
	for (p = 1; p <= t->npolicies; p++)
		first[p] += first[p - 1];
	for (i = 0; i < t->ndomains; i++)
		order[first[t->domains[i].policy]++] = i;
	for (p = t->npolicies; p > 0; p--)
		first[p] = first[p - 1];
	first[0] = 0;

	for (p = 0; p < t->npolicies; p++) {
		body = policy_body(&t->policies[p], &len);
		printf("%s# policy %zu of %zu: id %s, %zu bytes\n",
		    p > 0 ? "\n" : "", p + 1, t->npolicies,
		    t->policies[p].id, len);
		if (t->default_policy == (long)p)
			printf("# served for every host without a [domain] "
			    "section\n");
		for (n = first[p]; n < first[p + 1]; n++)
			printf("# served for %s\n",
			    t->domains[order[n]].name);
		fwrite(body, 1, len, stdout);
	}
	free(first);
	free(order);
	return fflush(stdout) == 0 ? 0 : 1;
}

/*
 * Prints a zone-file line "NAME IN TXT ..." as -d does, or for -U as the
 * nsupdate commands that replace every TXT record of NAME by it: the
 * very record -d prints, with a TTL.
 */
static void
dns_line(const char *line, int update)
{
	size_t	 n = strcspn(line, " ");

	if (!update) {
		fputs(line, stdout);
		return;
	}
	printf("update delete %.*s TXT\n", (int)n, line);
	printf("update add %.*s %d%s", (int)n, line, UPDATE_TTL, line + n);
}

/*
 * Prints one domain's records, for -U as one update message to its zone
 * (zone NULL: the domain itself); returns 0 or -1 (reported).
 */
static int
dns_domain(const char *name, const char *tlsrpt, const struct policy *p,
    const char *zone, int update)
{
	char	 line[8192];

	if (policy_dns_sts(line, sizeof(line), name, p->id) >=
	    (int)sizeof(line))
		return -1;
	if (update)
		printf("zone %s.\n", zone != NULL ? zone : name);
	dns_line(line, update);
	if (tlsrpt != NULL) {
		if (policy_dns_tlsrpt(line, sizeof(line), name, tlsrpt) < 0 ||
		    strlen(line) >= sizeof(line) - 1) {
			log_warnx("%s: tlsrpt value too long", name);
			return -1;
		}
		dns_line(line, update);
	}
	if (update)
		printf("send\n");
	return 0;
}

/* -d, -U without domains: the records of every [domain] section. */
static int
dns_all(const struct table *t, int update)
{
	const struct table_domain	*d;
	size_t				 i;

	if (t->ndomains == 0) {
		log_warnx("no [domain] sections: name the policy domains "
		    "[policy] serves, as in %s example.com", update ? "-U" :
		    "-d");
		return 1;
	}
	for (i = 0; i < t->ndomains; i++) {
		d = &t->domains[i];
		if (dns_domain(d->name, d->tlsrpt, &t->policies[d->policy],
		    d->zone, update) == -1)
			return 1;
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

/*
 * -d, -U with domains: each domain named, once, in the order named, as
 * table_named decides (so that mta-sts-check checks the same); nothing
 * is printed unless every name is served.
 */
static int
dns(const struct table *t, char **named, int nnamed, int update)
{
	struct table_named	*want;
	char			 why[1024];
	int			 k, j, bad = 0, status = 1;

	if (nnamed == 0)
		return dns_all(t, update);
	if ((want = calloc((size_t)nnamed, sizeof(*want))) == NULL) {
		log_warn("dns");
		return 1;
	}
	for (k = 0; k < nnamed; k++)
		if (table_named(t, named[k], update ? "-U" : "-d", &want[k],
		    why, sizeof(why)) == -1) {
			log_warnx("%s", why);
			bad = 1;
		}
	if (bad)
		goto out;
	for (k = 0; k < nnamed; k++) {
		for (j = 0; j < k && strcmp(want[j].name, want[k].name); j++)
			;
		if (j == k && dns_domain(want[k].name, want[k].tlsrpt,
		    want[k].policy, want[k].zone, update) == -1)
			goto out;
	}
	status = fflush(stdout) == 0 ? 0 : 1;
out:
	free(want);
	return status;
}

/* The command line and the environment, read once. */
struct options {
	enum mode		 mode;
	const char		*file;
	struct serve_opts	 serve;		/* -s, -m, -o, -u, -w */
	char			**domains;	/* after -d or -U */
	int			 ndomains;
	int			 cgi_request;	/* the environment holds one */
};

/* Says what is wrong with the command line, then the usage; exits 2. */
static void __attribute__((noreturn, format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "%s: ", PROGNAME);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	usage(2);
}

/* Sets o->mode from -t, -T, -d or -U, which exclude each other. */
static void
options_mode(struct options *o, enum mode m)
{
	if (o->mode != MODE_SERVE && o->mode != m)
		usage_error("-t, -T, -d and -U exclude each other");
	o->mode = m;
}

/* getopt: fills o from argv; exits 2 on a usage error. */
static void
options_parse(struct options *o, int argc, char *argv[])
{
	int	 ch;

	opterr = 0;	/* getopt would name argv[0], a path */
	while ((ch = getopt(argc, argv, ":c:dhtTUV" SERVE_GETOPT)) != -1) {
		if (serve_option(&o->serve, ch, optarg))
			continue;
		switch (ch) {
		case 'c':
			o->file = optarg;
			break;
		case 'd':
			options_mode(o, MODE_DNS);
			break;
		case 'h':
			usage(0);
		case 't':
			options_mode(o, MODE_TEST);
			break;
		case 'T':
			options_mode(o, MODE_DUMP);
			break;
		case 'U':
			options_mode(o, MODE_UPDATE);
			break;
		case 'V':
			printf("%s %s\n", PROGNAME, VERSION);
			exit(0);
		case ':':
			usage_error("option -%c needs an argument", optopt);
		default:
			usage_error("unknown option -%c", optopt);
		}
	}
	o->domains = argv + optind;
	o->ndomains = argc - optind;
}

/*
 * The options that only make sense together, and the numbers: -m, -w.
 * Exits 2 on a usage error.
 */
static void
options_check(struct options *o)
{
	char	 why[256];

	if (o->ndomains > 0 && o->mode != MODE_DNS && o->mode != MODE_UPDATE)
		usage_error("unexpected argument \"%s\" (domains go after -d "
		    "or -U)",
		    o->domains[0]);
	if (serve_given(&o->serve) && o->mode != MODE_SERVE)
		usage_error("-s, -m, -o, -u and -w are for serving; -t, -T, -d "
		    "and -U only read the config");
	if (serve_check(&o->serve, why, sizeof(why)) == -1)
		usage_error("%s", why);
}

/*
 * -t, -T, -d, -U: read the config and report on it (nothing is served);
 * returns the exit status.
 */
static int
report_config(const struct options *o)
{
	struct conf	 conf;
	long		 errors;
	int		 status = 0;

	errors = conf_load(&conf, o->file);
	if (o->mode == MODE_TEST || o->mode == MODE_DUMP || errors != 0)
		status = verdict(o->file, errors);
	if (errors != 0)
		return status;
	if (o->mode == MODE_DUMP)
		status = dump(&conf.table);
	else if (o->mode == MODE_DNS || o->mode == MODE_UPDATE)
		status = dns(&conf.table, o->domains, o->ndomains,
		    o->mode == MODE_UPDATE);
	conf_free(&conf);
	return status;
}

/*
 * Requests are served from an image, never from the table: here in
 * malloc'd memory, for one CGI request (the supervisor's workers map
 * one from a memfd, loader.c).  Writes t's image into *buf (the caller
 * frees it) and opens it into img; 0, or -1 after saying why (*buf is
 * NULL).
 */
static int
cgi_image(const struct table *t, struct image *img, unsigned char **buf)
{
	size_t	 size;

	*buf = NULL;
	if ((size = image_size(t)) == 0) {
		log_warnx("the configuration is too large to serve: its "
		    "image would exceed %zu bytes", IMAGE_MAX);
		return -1;
	}
	if ((*buf = malloc(size)) == NULL) {
		log_warn("image");
		return -1;
	}
	image_write(t, *buf, size);
	if (image_open(img, *buf, size) == -1) {
		/* image_write and image_open disagree: a bug, not a config. */
		log_warnx("image: written but refused");
		free(*buf);
		*buf = NULL;
		return -1;
	}
	return 0;
}

/*
 * One plain CGI request for file.  Config warnings would go to the web
 * server's error log once per policy fetch: only errors are reported
 * here (-t shows the warnings).
 */
static int
serve_cgi(const char *file)
{
	struct conf	 conf;
	struct image	 img;
	unsigned char	*buf;
	long		 errors;
	int		 status;

	log_errors_only = 1;
	if ((errors = conf_load(&conf, file)) != 0) {
		verdict(file, errors);
		/* The client gets a proper 500, not a broken response. */
		return cgi_serve(NULL);
	}
	status = cgi_serve(cgi_image(&conf.table, &img, &buf) == 0 ?
	    &img : NULL);
	free(buf);
	conf_free(&conf);
	return status;
}

/* A worker's channel to libfcgi (channel.c) is its state. */
static int
app_start(void **ctx)
{
	return (*ctx = channel_new()) != NULL ? 0 : -1;
}

static void
app_end(void *ctx)
{
	channel_free(ctx);
}

static long
app_serve(void *ctx, const struct serve_image *img,
    const struct wire_parser *wp, unsigned char *out, size_t size)
{
	return channel_serve(ctx, &img->table, wp, out, size);
}

static const char *
app_status(int status, const struct wire_parser *wp, size_t *len)
{
	struct route_response	 res;

	route_status(&res, status, wp->pairs.head);
	*len = res.len;
	return res.bytes;
}

/* The responder: policies from the table's image, no body, libfcgi. */
static const struct serve_app	 responder = {
	.name = PROGNAME,
	.cgi = serve_cgi,
	.init = channel_init,
	.shutdown = channel_shutdown,
	.worker_start = app_start,
	.worker_end = app_end,
	.serve = app_serve,
	.status = app_status,
};

/*
 * Opens /dev/null on whichever of fds 0, 1 and 2 is closed, before
 * anything else takes a descriptor: started with stdout or stderr closed
 * (spawn-fcgi -n ... >&- 2>&-), the supervisor's pipe or a socket's
 * directory would otherwise become fd 1 or 2 and receive log lines.  An
 * open one is never replaced: fd 0 may be the listening socket.  Returns
 * 0, or -1 if /dev/null cannot be opened (nothing can be said then).
 */
static int
stdio_open(void)
{
	int	 fd, want;

	for (want = 0; want <= 2; want++) {
		if (fcntl(want, F_GETFD) != -1 || errno != EBADF)
			continue;
		/* The lowest free descriptor: want, as 0..want-1 are open. */
		if ((fd = open("/dev/null", O_RDWR)) == -1)
			return -1;
		if (fd != want) {
			close(fd);
			return -1;
		}
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	struct options	 o;
	const char	*env;

	if (stdio_open() == -1)
		return 1;
	memset(&o, 0, sizeof(o));
	o.mode = MODE_SERVE;
	options_parse(&o, argc, argv);
	/* CGI programs get no arguments: the web server can set this. */
	if (o.file == NULL)
		o.file = (env = getenv("MTA_STS_FCGI_CONFIG")) != NULL &&
		    *env != '\0' ? env : CONF_DEFAULT;
	o.cgi_request = getenv("GATEWAY_INTERFACE") != NULL ||
	    getenv("REQUEST_METHOD") != NULL;
	options_check(&o);
	return o.mode == MODE_SERVE ? serve_run(&responder, &o.serve, o.file,
	    o.cgi_request) : report_config(&o);
}
