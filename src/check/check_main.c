/* SPDX-License-Identifier: ISC */
/*
 * mta-sts-check: compare what senders see (DNS, the policy host, the MX
 * hosts) with what this config serves, for every policy domain.
 *
 * Exit status, as monitoring plugins use it: 0 all OK, 1 a warning,
 * 2 a critical problem, 3 could not check (usage, config, or -m's
 * metrics file not written).  The tlsrpt check and the metrics come
 * after the threads, in this one: they read and write local files.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check/check.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR	"/usr/local/etc"
#endif
#define JOBS_DEFAULT	32
#define JOBS_MAX	512

struct run {
	const struct check_domain_options	*opts;
	const struct conf		*conf;
	const char			*cafile;
	const char			*metrics;	/* -m file */
	struct check_domain_target		*domains;
	struct check_result		*results;
	size_t				 ndomains;
	atomic_size_t			 next;
};

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
	    "usage: %s [-c config] [-a cafile] [-n] [-p | -r] [-j jobs] "
	    "[-m file] [domain ...]\n"
	    "  -c config  the responder's config (default "
	    "$MTA_STS_FCGI_CONFIG, else %s)\n"
	    "  -a cafile  trust the CA certificates in this PEM file, not the "
	    "system's\n"
	    "  -n         do not connect to MX hosts on port 25 (no mx-tls "
	    "or mx-dane check)\n"
	    "  -p         only the policy host: policy-host, policy-tls, "
	    "policy-fetch\n"
	    "  -r         only what senders report: the tlsrpt check, no "
	    "network\n"
	    "  -j jobs    domains checked at once (default %d)\n"
	    "  -m file    also write the results as Prometheus metrics to "
	    "file\n"
	    "  -V         print the version\n"
	    "  -h         print this help\n"
	    "Without domains, every [domain] section of the config is "
	    "checked.\n"
	    "Exit status: 0 OK, 1 warning, 2 critical, 3 could not check.\n",
	    CHECK_PROGNAME, CONF_DEFAULT, JOBS_DEFAULT);
	exit(status);
}

static void *
thread_main(void *arg)
{
	struct run		*run = arg;
	struct check_domain_thread	 th;
	size_t			 i;

	th.dns = check_dns_new();
	th.https = check_https_new(run->cafile);
	/* The other threads take this one's domains. */
	if (th.dns == NULL || th.https == NULL)
		goto out;
	while ((i = atomic_fetch_add(&run->next, 1)) < run->ndomains)
		check_domain_run(&th, run->opts, &run->domains[i],
		    &run->results[i]);
out:
	check_dns_free(th.dns);
	check_https_free(th.https);
	return NULL;
}

/* The domains to check; 0, or -1 after saying why. */
static int
choose_domains(const struct table *t, char **argv, int argc,
    struct check_domain_target **out, size_t *n)
{
	struct check_domain_target	*d;
	struct table_named		 named;
	char				 why[512];
	size_t				 i;
	int				 k, bad = 0;

	*n = argc > 0 ? (size_t)argc : t->ndomains;
	if (*n == 0) {
		log_warnx("the config has no [domain] sections: name the "
		    "policy domains to check, as in: %s example.com",
		    CHECK_PROGNAME);
		return -1;
	}
	if ((d = calloc(*n, sizeof(*d))) == NULL) {
		log_warn("domains");
		return -1;
	}
	if (argc == 0)
		for (i = 0; i < t->ndomains; i++) {
			d[i].name = t->domains[i].name;
			d[i].tlsrpt = t->domains[i].tlsrpt;
			d[i].policy = &t->policies[t->domains[i].policy];
		}
	/* The responder's -d and -U take the same names: one rule. */
	for (k = 0; k < argc; k++) {
		if (table_named(t, argv[k], CHECK_PROGNAME, &named, why,
		    sizeof(why)) == -1) {
			log_warnx("%s", why);
			bad = 1;
			continue;
		}
		/* Normalised, a name is never longer than typed. */
		strcpy(argv[k], named.name);
		d[k].name = argv[k];
		d[k].tlsrpt = named.tlsrpt;
		d[k].policy = named.policy;
	}
	if (bad) {
		free(d);
		return -1;
	}
	*out = d;
	return 0;
}

/* -j: a checked number, never atoi.  0 or -1 (said why). */
static int
parse_jobs(const char *s, unsigned *jobs)
{
	long long	 n;

	if (num_parse(s, 10, 1, JOBS_MAX, &n) == -1) {
		log_warnx("-j %s: want a number of jobs from 1 to %d", s,
		    JOBS_MAX);
		return -1;
	}
	*jobs = (unsigned)n;
	return 0;
}

/* Runs the checks on jobs threads; 0, or -1 if none could start. */
static int
run_checks(struct run *run, unsigned jobs)
{
	pthread_t	*threads;
	unsigned	 i, started = 0;

	if (jobs > run->ndomains)
		jobs = (unsigned)run->ndomains;
	if ((threads = calloc(jobs, sizeof(*threads))) == NULL)
		return -1;
	for (i = 0; i < jobs; i++) {
		if (pthread_create(&threads[i], NULL, thread_main, run) != 0)
			break;
		started++;
	}
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	/* Threads that could not start, or none at all: domains left. */
	return atomic_load(&run->next) < run->ndomains ? -1 : 0;
}

/*
 * The summary first (a monitoring system shows the first line), then
 * each domain's problems; returns the exit status.
 */
static int
print_results(const struct run *run)
{
	static const char *const	 status_word[] = { "OK", "WARNING",
	    "CRITICAL", "UNKNOWN" };
	size_t				 i, count[4] = { 0, 0, 0, 0 };
	enum check_result_severity		 worst = CHECK_RESULT_OK;

	for (i = 0; i < run->ndomains; i++) {
		if (run->results[i].nomem)
			run->results[i].worst = CHECK_RESULT_UNKNOWN;
		count[run->results[i].worst]++;
		if (run->results[i].worst > worst)
			worst = run->results[i].worst;
	}
	printf("MTA-STS %s - %zu domain%s checked: %zu critical, %zu "
	    "warning, %zu OK", status_word[worst], run->ndomains,
	    run->ndomains == 1 ? "" : "s", count[CHECK_RESULT_CRITICAL],
	    count[CHECK_RESULT_WARNING], count[CHECK_RESULT_OK]);
	if (count[CHECK_RESULT_UNKNOWN] > 0)
		printf(", %zu not checked", count[CHECK_RESULT_UNKNOWN]);
	printf("\n");
	for (i = 0; i < run->ndomains; i++) {
		if (run->results[i].len > 0)
			fwrite(run->results[i].text, 1, run->results[i].len,
			    stdout);
		if (run->results[i].nomem)
			printf("%s: out of memory while checking\n",
			    run->domains[i].name);
	}
	if (fflush(stdout) != 0)
		return CHECK_RESULT_UNKNOWN;
	return (int)worst;
}

/*
 * -m: the results as Prometheus metrics, written atomically; 0, or -1
 * after saying why (the file is then as it was).
 */
static int
write_metrics(const struct run *run)
{
	struct prom	 p;

	if (prom_create(&p, run->metrics) == -1)
		return -1;
	check_metrics_write(&p, run->domains, run->results, run->ndomains,
	    (int64_t)time(NULL));
	return prom_finish(&p);
}

/* The command line; returns -1 to exit with *status. */
static int
parse_args(int argc, char *argv[], struct check_domain_options *opts,
    struct run *run, const char **file, unsigned *jobs, int *status)
{
	int	 ch;

	opterr = 0;
	while ((ch = getopt(argc, argv, ":a:c:hj:m:nprV")) != -1) {
		switch (ch) {
		case 'a':
			run->cafile = optarg;
			break;
		case 'c':
			*file = optarg;
			break;
		case 'j':
			if (parse_jobs(optarg, jobs) == -1)
				usage(3);
			break;
		case 'm':
			run->metrics = optarg;
			break;
		case 'n':
			opts->no_smtp = 1;
			break;
		case 'p':
			opts->policy_only = 1;
			break;
		case 'r':
			opts->reports_only = 1;
			break;
		case 'V':
			printf("%s %s\n", CHECK_PROGNAME, VERSION);
			*status = 0;
			return -1;
		case 'h':
			usage(0);
		case ':':
			log_warnx("option -%c needs an argument", optopt);
			usage(3);
		default:
			log_warnx("unknown option -%c", optopt);
			usage(3);
		}
	}
	if (opts->policy_only && opts->reports_only) {
		log_warnx("-p checks only the policy host, -r only the "
		    "reports: give one of them");
		usage(3);
	}
	if (run->cafile != NULL && access(run->cafile, R_OK) == -1) {
		log_warn("-a %s", run->cafile);
		*status = 3;
		return -1;
	}
	return 0;
}

/*
 * The config's warnings are mta-sts-fcgi -t's business: a check run from
 * cron stays silent when all is well.  Only a config that fails is
 * loaded again, aloud, for its file:line messages.  0 or -1.
 */
static int
load_quietly(struct conf *conf, const char *file)
{
	long	 errors;

	log_quiet = 1;
	errors = conf_load(conf, file);
	log_quiet = 0;
	if (errors != 0)
		errors = conf_load(conf, file);
	if (errors == 0)
		return 0;
	conf_summary(file, errors);
	return -1;
}

/*
 * After the network's checks (none under -r): the tlsrpt check, the
 * lines, the metrics; the exit status.
 */
static int
finish(struct run *run)
{
	int	 status;

	if (!run->opts->policy_only)
		check_tlsrpt_run(&run->conf->reports, &run->conf->table,
		    run->results, run->ndomains, (int64_t)time(NULL));
	status = print_results(run);
	if (run->metrics != NULL && write_metrics(run) == -1)
		status = CHECK_RESULT_UNKNOWN;
	return status;
}

/* Checks every chosen domain and prints the results; the exit status. */
static int
check_all(struct run *run, unsigned jobs)
{
	int	 status = 3;

	if (run->opts->reports_only) {
		if (!run->conf->reports.present) {
			log_warnx("-r: the config has no [reports] section, so "
			    "there are no reports to check");
			return 3;
		}
		return finish(run);
	}

	if (check_https_init() == -1) {
		log_warnx("libcurl could not start");
		return 3;
	}
	if (check_smtp_init(run->cafile) == -1) {
		log_warnx("%s: no CA certificates could be loaded",
		    run->cafile != NULL ? run->cafile :
		    "the system's CA store");
		check_https_cleanup();
		return 3;
	}
	atomic_init(&run->next, 0);
	if (run_checks(run, jobs) == -1)
		log_warnx("could not start the checks (out of memory or "
		    "threads)");
	else
		status = finish(run);
	check_smtp_cleanup();
	check_https_cleanup();
	return status;
}

int
main(int argc, char *argv[])
{
	struct check_domain_options	 opts = { 0, 25, 0, 0 };
	struct conf		 conf;
	struct run		 run;
	const char		*default_file = CONF_DEFAULT;
	const char		*file = default_file;
	unsigned		 jobs = JOBS_DEFAULT;
	size_t			 i;
	int			 status = 3;

	log_progname = CHECK_PROGNAME;
	/* A peer that closes early is a finding, not a reason to die. */
	signal(SIGPIPE, SIG_IGN);
	memset(&run, 0, sizeof(run));
	if (parse_args(argc, argv, &opts, &run, &file, &jobs, &status) == -1)
		return status;
	argc -= optind;
	argv += optind;
	if (file == default_file && getenv("MTA_STS_FCGI_CONFIG") != NULL &&
	    *getenv("MTA_STS_FCGI_CONFIG") != '\0')
		file = getenv("MTA_STS_FCGI_CONFIG");
	if (load_quietly(&conf, file) == -1)
		return 3;
	run.opts = &opts;
	run.conf = &conf;
	if (choose_domains(&conf.table, argv, argc, &run.domains,
	    &run.ndomains) == -1)
		goto out;
	if ((run.results = calloc(run.ndomains, sizeof(*run.results))) ==
	    NULL) {
		log_warn("reports");
		goto out;
	}
	for (i = 0; i < run.ndomains; i++)
		run.results[i].domain = run.domains[i].name;
	status = check_all(&run, jobs);
out:
	if (run.results != NULL)
		for (i = 0; i < run.ndomains; i++)
			check_result_free(&run.results[i]);
	free(run.results);
	free(run.domains);
	conf_free(&conf);
	return status;
}
