/*
 * mta-sts-fcgi: serve a validated MTA-STS policy (RFC 8461) over FastCGI
 * or CGI, and print the DNS records that go with it.
 *
 * Exit status: 0 success, 1 invalid config or failure to serve, 2 usage.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mta-sts-fcgi.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR	"/usr/local/etc"
#endif
#define DEFAULT_CONF	SYSCONFDIR "/" PROGNAME ".ini"
#ifndef SERVE_USER
#define SERVE_USER	"www-data"
#endif
#define WORKERS_MAX	256

enum mode {
	MODE_SERVE,
	MODE_TEST,	/* -t */
	MODE_DUMP,	/* -T */
	MODE_DNS,	/* -d */
};

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
	    "usage: %s [-c file] [-s address] [-m mode] [-o owner[:group]]\n"
	    "       [-u user[:group]] [-w workers] [-t | -T | -d [domain ...]] "
	    "[-V] [-h]\n"
	    "  -c file     config file (default $MTA_STS_FCGI_CONFIG, else %s)\n"
	    "  -s address  listen on unix:/path, /path, host:port, "
	    "[ipv6]:port or :port\n"
	    "  -m mode     mode of the -s unix socket (default 0660)\n"
	    "  -o owner    owner[:group] of the -s unix socket (default: the -u "
	    "user)\n"
	    "  -u user     serve as user[:group] when started as root "
	    "(default %s)\n"
	    "  -w workers  worker processes (default: one per CPU, at least 2)\n"
	    "  -t          check the config and exit\n"
	    "  -T          check the config and print every policy as served\n"
	    "  -d          print the DNS records for every policy domain and "
	    "each domain named\n"
	    "  -V          print the version\n"
	    "  -h          print this help\n"
	    "Without -t, -T or -d: serve FastCGI on the socket given by -s, "
	    "systemd or fd 0,\n"
	    "or answer one CGI request from the environment.\n",
	    PROGNAME, DEFAULT_CONF, SERVE_USER);
	exit(status);
}

/* The config verdict, like nginx -t; returns the exit status. */
static int
verdict(const char *file, long errors)
{
	if (errors == 0) {
		fprintf(stderr, "%s: %s: configuration OK\n", PROGNAME, file);
		return 0;
	}
	if (errors > 0)
		fprintf(stderr, "%s: %s: configuration has %ld error%s\n",
		    PROGNAME, file, errors, errors == 1 ? "" : "s");
	else
		fprintf(stderr, "%s: %s: configuration could not be read\n",
		    PROGNAME, file);
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

/* Prints one domain's records; returns 0 or -1 (reported). */
static int
dns_domain(const char *name, const char *tlsrpt, const struct policy *p)
{
	char	 line[8192];

	if (policy_dns_sts(line, sizeof(line), name, p->id) >=
	    (int)sizeof(line))
		return -1;
	fputs(line, stdout);
	if (tlsrpt == NULL)
		return 0;
	if (policy_dns_tlsrpt(line, sizeof(line), name, tlsrpt) < 0 ||
	    strlen(line) >= sizeof(line) - 1) {
		log_warnx("%s: tlsrpt value too long", name);
		return -1;
	}
	fputs(line, stdout);
	return 0;
}

/* -d: records for every [domain] section, then for each domain named. */
static int
dns(const struct table *t, char **extra, int nextra)
{
	enum dname_error	 e;
	size_t			 i, len;
	int			 k, bad = 0;

	for (k = 0; k < nextra; k++) {
		len = strlen(extra[k]);
		for (i = 0; i < len; i++)
			extra[k][i] = (char)tolower((unsigned char)extra[k][i]);
		if ((e = dname_check(extra[k], len, 0)) != DNAME_OK) {
			log_warnx("%s: %s", extra[k], dname_strerror(e));
			bad = 1;
		} else if (t->default_policy < 0 &&
		    table_find(t, extra[k], len) == NULL) {
			log_warnx("%s: no [domain %s] section and no [policy] "
			    "to serve it", extra[k], extra[k]);
			bad = 1;
		}
	}
	if (bad)
		return 1;
	if (t->ndomains == 0 && nextra == 0) {
		log_warnx("no [domain] sections: name the policy domains "
		    "[policy] serves, as in -d example.com");
		return 1;
	}
	for (i = 0; i < t->ndomains; i++)
		if (dns_domain(t->domains[i].name, t->domains[i].tlsrpt,
		    &t->policies[t->domains[i].policy]) == -1)
			return 1;
	for (k = 0; k < nextra; k++) {
		if (table_find(t, extra[k], strlen(extra[k])) != NULL)
			continue;	/* printed above */
		if (dns_domain(extra[k], t->default_tlsrpt,
		    &t->policies[t->default_policy]) == -1)
			return 1;
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

/* -m and -w: checked numbers, never atoi.  0 or -1 (said why). */
static int
serve_options(struct listen_opts *lo, unsigned *workers, const char *mode,
    const char *nworkers)
{
	char	*end;
	long	 n;

	memset(lo, 0, sizeof(*lo));
	lo->mode = 0660;
	if (mode != NULL) {
		errno = 0;
		n = strtol(mode, &end, 8);
		if (errno != 0 || *mode == '\0' || *end != '\0' || n < 0 ||
		    n > 0777) {
			fprintf(stderr, "%s: -m %s: want an octal mode such "
			    "as 0660\n", PROGNAME, mode);
			return -1;
		}
		lo->mode = (mode_t)n;
	}
	n = sysconf(_SC_NPROCESSORS_ONLN);
	*workers = n < 2 ? 2 : n > 16 ? 16 : (unsigned)n;
	if (nworkers != NULL) {
		errno = 0;
		n = strtol(nworkers, &end, 10);
		if (errno != 0 || *nworkers == '\0' || *end != '\0' || n < 1 ||
		    n > WORKERS_MAX) {
			fprintf(stderr, "%s: -w %s: want a number of workers "
			    "from 1 to %d\n", PROGNAME, nworkers, WORKERS_MAX);
			return -1;
		}
		*workers = (unsigned)n;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	struct conf		 conf;
	struct listener		 l;
	struct listen_opts	 lo;
	struct priv		 priv;
	const char		*default_file = DEFAULT_CONF;
	const char		*file = default_file, *address = NULL;
	const char		*user = NULL, *owner = NULL, *sockmode = NULL;
	const char		*nworkers = NULL;
	enum mode		 mode = MODE_SERVE;
	unsigned		 workers;
	long			 errors;
	int			 ch, status;

	opterr = 0;	/* getopt would name argv[0], a path */
	while ((ch = getopt(argc, argv, ":c:dhm:o:s:tTu:Vw:")) != -1) {
		enum mode	 m = MODE_SERVE;

		switch (ch) {
		case 'c':
			file = optarg;
			continue;
		case 's':
			address = optarg;
			continue;
		case 'm':
			sockmode = optarg;
			continue;
		case 'o':
			owner = optarg;
			continue;
		case 'u':
			user = optarg;
			continue;
		case 'w':
			nworkers = optarg;
			continue;
		case 'd':
			m = MODE_DNS;
			break;
		case 't':
			m = MODE_TEST;
			break;
		case 'T':
			m = MODE_DUMP;
			break;
		case 'V':
			printf("%s %s\n", PROGNAME, VERSION);
			return 0;
		case 'h':
			usage(0);
		case ':':
			fprintf(stderr, "%s: option -%c needs an argument\n",
			    PROGNAME, optopt);
			usage(2);
		default:
			fprintf(stderr, "%s: unknown option -%c\n", PROGNAME,
			    optopt);
			usage(2);
		}
		if (mode != MODE_SERVE && mode != m) {
			fprintf(stderr, "%s: -t, -T and -d exclude each "
			    "other\n", PROGNAME);
			usage(2);
		}
		mode = m;
	}
	argc -= optind;
	argv += optind;
	/* CGI programs get no arguments: the web server can set this. */
	if (file == default_file && getenv("MTA_STS_FCGI_CONFIG") != NULL &&
	    *getenv("MTA_STS_FCGI_CONFIG") != '\0')
		file = getenv("MTA_STS_FCGI_CONFIG");
	if (argc > 0 && mode != MODE_DNS) {
		fprintf(stderr, "%s: unexpected argument \"%s\" (domains "
		    "go after -d)\n", PROGNAME, argv[0]);
		usage(2);
	}
	if ((address != NULL || user != NULL || owner != NULL ||
	    sockmode != NULL || nworkers != NULL) && mode != MODE_SERVE) {
		fprintf(stderr, "%s: -s, -m, -o, -u and -w are for serving; "
		    "-t, -T and -d only read the config\n", PROGNAME);
		usage(2);
	}
	if ((owner != NULL || sockmode != NULL) && (address == NULL ||
	    (strncmp(address, "unix:", 5) != 0 && address[0] != '/'))) {
		fprintf(stderr, "%s: -m and -o apply to a unix socket of our "
		    "own (-s unix:/path)\n", PROGNAME);
		usage(2);
	}
	if (serve_options(&lo, &workers, sockmode, nworkers) == -1)
		usage(2);

	if (mode != MODE_SERVE) {
		errors = conf_load(&conf, file);
		if (mode == MODE_TEST || mode == MODE_DUMP || errors != 0)
			status = verdict(file, errors);
		else
			status = 0;
		if (errors != 0)
			return status;
		if (mode == MODE_DUMP)
			status = dump(&conf.table);
		else if (mode == MODE_DNS)
			status = dns(&conf.table, argv, argc);
		conf_free(&conf);
		return status;
	}

	/*
	 * The config is read before our own socket is bound, so a bad
	 * config never leaves a socket behind.  Without -s, finding the
	 * mode has no side effects.
	 */
	if (address == NULL && listen_open(&l, NULL, &lo) == -1)
		return 1;
	if (address == NULL && l.kind == LISTEN_CGI &&
	    getenv("GATEWAY_INTERFACE") == NULL &&
	    getenv("REQUEST_METHOD") == NULL) {
		fprintf(stderr, "%s: no FastCGI socket on fd 0 and no CGI "
		    "request in the environment: use -s address, or run "
		    "under a web server or process manager (-h for help)\n",
		    PROGNAME);
		return 1;
	}
	if ((errors = conf_load(&conf, file)) != 0) {
		verdict(file, errors);
		/* A CGI client gets a proper 500, not a broken response. */
		if (address == NULL && l.kind == LISTEN_CGI)
			return cgi_serve(NULL);
		return 1;
	}
	if (address == NULL && l.kind == LISTEN_CGI) {
		status = cgi_serve(&conf.table);
		conf_free(&conf);
		return status;
	}
	/* Who serves, and who owns our socket (the server's user). */
	if (priv_init(&priv, user) == -1 ||
	    (owner != NULL && priv_parse(owner, &lo.uid, &lo.gid, "-o") == -1)) {
		conf_free(&conf);
		return 1;
	}
	lo.chown = owner != NULL || priv.drop;
	if (owner == NULL) {
		lo.uid = priv.uid;
		lo.gid = priv.gid;
	}
	if (address != NULL && listen_open(&l, address, &lo) == -1) {
		conf_free(&conf);
		return 1;
	}
	status = supervisor_run(&l, &conf, file, &priv, workers);
	listen_close(&l);
	conf_free(&conf);
	return status;
}
