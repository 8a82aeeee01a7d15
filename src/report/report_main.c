/* SPDX-License-Identifier: ISC */
/*
 * mta-sts-report: receive SMTP TLS reports (RFC 8460) into a store, and
 * say what is stored.  The command line, the config, and the commands
 * that only read or tidy the store (list, prune); serving, importing and
 * copying live in their own files.
 *
 * It reads the responder's config (same -c, same default, same
 * environment variable, same file:line errors), so that one file says
 * which domains are served and which reports are accepted.  Exit
 * statuses are sysexits(3), because an MTA running `import` acts on
 * them: 75 makes it retry, anything else may bounce.  A config that
 * does not load is therefore 75 for `import` (the operator fixes it and
 * the mail is still queued) and 78 (EX_CONFIG) elsewhere.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "report/report.h"

/*
 * The options with which no command means serving: report_serve gets
 * them as "-s", "address", ... after argv[0], in the order given.
 */
#define SERVE_OPTIONS	"m:o:s:u:w:"
#define SERVE_OPTIONS_LETTERS "mosuw"
static char serve_flags[][3] = { "-m", "-o", "-s", "-u", "-w" };
#define ONE_DAY		86400

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
	    "usage: %s [-c config] [-s address] [-m mode] [-o owner[:group]]\n"
	    "           [-u user[:group]] [-w workers]\n"
	    "       %s [-c config] -t\n"
	    "       %s [-c config] import [maildir]\n"
	    "       %s [-c config] list [-j] [domain ...]\n"
	    "       %s [-c config] prune [-d days]\n"
	    "       %s [-c config] summary [-aj] [-s since] [-u until] "
	    "[domain ...]\n"
	    "       %s [-c config] html -o dir [-s since] [-u until] "
	    "[domain ...]\n"
	    "       %s [-c config] metrics [-o file] [-s since] [-u until]\n"
	    "       %s [-c config] migrate\n"
	    "       %s copy from to\n"
	    "       %s -V | -h\n"
	    "  -c config   config file, or a directory of *.ini files "
	    "(default\n"
	    "              $MTA_STS_FCGI_CONFIG, else %s)\n"
	    "  -t          check the config and exit\n"
	    "  -V          print the version\n"
	    "  -h          print this help\n"
	    "Without a command: receive reports over FastCGI (-s, -m, -o, -u "
	    "and -w as\n"
	    "for mta-sts-fcgi).  import: one mail message on stdin, or a "
	    "Maildir.\n"
	    "list: the stored reports, newest first (-j: JSON lines).  "
	    "prune: delete\n"
	    "reports older than [reports] keep_days, or -d days.\n"
	    "summary: verdicts per domain over the last 7 days or -s "
	    "(-a: a digest\nof every domain, -j: JSON lines).  "
	    "html: the same as a static site in dir.\nmetrics: the same as "
	    "Prometheus metrics, to stdout or -o file.\nmigrate: create the "
	    "store or bring its schema to this version.\ncopy: every report "
	    "of one store (a file, a postgresql:// URI or service=NAME)\n"
	    "into another.\n",
	    REPORT_PROGNAME, REPORT_PROGNAME, REPORT_PROGNAME,
	    REPORT_PROGNAME, REPORT_PROGNAME, REPORT_PROGNAME,
	    REPORT_PROGNAME, REPORT_PROGNAME, REPORT_PROGNAME,
	    REPORT_PROGNAME, REPORT_PROGNAME, CONF_DEFAULT);
	exit(status);
}

/*
 * Says what is wrong with the command line (escaped: arguments may come
 * from a script's input), then the usage; exits 64.
 */
static void __attribute__((noreturn, format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	char	 msg[512];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("%s", msg);
	usage(EX_USAGE);
}

/*
 * A command's own options; exits 64 on a usage error.  Returns the
 * option, or -1 at the first operand.
 */
static int
command_option(int argc, char **argv, const char *optstring)
{
	int	 ch;

	if ((ch = getopt(argc, argv, optstring)) == -1)
		return -1;
	if (ch == ':')
		usage_error("%s: option -%c needs an argument", argv[0],
		    optopt);
	if (ch == '?')
		usage_error("%s: unknown option -%c", argv[0], optopt);
	return ch;
}

/*
 * A policy domain named on the command line, as every program takes it
 * (table_name), into out (DNAME_MAX + 1 bytes); exits 64 if it is not
 * one.  The domain need not be served: its reports stay listed after it
 * leaves the config.
 */
static void
list_domain(const char *arg, char *out)
{
	char	 why[512];

	if (table_name(arg, "list", out, why, sizeof(why)) != DNAME_OK)
		usage_error("%s", why);
}

/* list [-j] [domain ...]: the exit status. */
static int
cmd_list(const struct conf *conf, int argc, char **argv)
{
	struct tlsrpt_store	*st = NULL;
	char			(*names)[DNAME_MAX + 1] = NULL;
	const char		**domains = NULL;
	int			 ch, json = 0, i, n, status = EX_IOERR;

	while ((ch = command_option(argc, argv, "+:hj")) != -1)
		if (ch == 'j')
			json = 1;
		else
			usage(EX_OK);
	n = argc - optind;
	if (n > 0 && ((names = calloc((size_t)n, sizeof(*names))) == NULL ||
	    (domains = calloc((size_t)n, sizeof(*domains))) == NULL)) {
		log_warn("list");
		goto out;
	}
	for (i = 0; i < n; i++) {
		list_domain(argv[optind + i], names[i]);
		domains[i] = names[i];
	}
	if (tlsrpt_store_open(&st, conf->reports.database,
	    TLSRPT_STORE_OPEN_READONLY) == -1)
		goto out;
	if (tlsrpt_store_list(st, domains, (size_t)n, json ?
	    report_list_json : report_list_text, stdout) == -1)
		goto out;
	if (fflush(stdout) == EOF) {
		log_warn("list: cannot write the listing");
		goto out;
	}
	status = EX_OK;
out:
	tlsrpt_store_close(st);
	free(names);
	free(domains);
	return status;
}

/* prune [-d days]: the exit status. */
static int
cmd_prune(const struct conf *conf, int argc, char **argv)
{
	struct tlsrpt_store	*st;
	long long		 days = (long long)conf->reports.keep_days;
	int64_t			 before;
	long			 n;
	char			 when[32];
	struct tm		 tm;
	time_t			 t;
	int			 ch;

	while ((ch = command_option(argc, argv, "+:d:h")) != -1) {
		if (ch == 'h')
			usage(EX_OK);
		if (num_parse(optarg, 10, 1, CONF_REPORTS_KEEP_DAYS_MAX,
		    &days) == -1)
			usage_error("prune: -d %s: want a number of days from "
			    "1 to %d", optarg, CONF_REPORTS_KEEP_DAYS_MAX);
	}
	if (optind < argc)
		usage_error("prune: unexpected argument \"%s\"", argv[optind]);
	t = time(NULL) - (time_t)days * ONE_DAY;
	before = (int64_t)t;
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(when, sizeof(when), "%lld", (long long)t);
	if (tlsrpt_store_open(&st, conf->reports.database, 0) == -1)
		return EX_IOERR;
	n = tlsrpt_store_prune(st, before);
	tlsrpt_store_close(st);
	if (n == -1)
		return EX_IOERR;
	if (printf("deleted %ld report%s that ended before %s\n", n,
	    n == 1 ? "" : "s", when) < 0 || fflush(stdout) == EOF) {
		log_warn("prune");
		return EX_IOERR;
	}
	return EX_OK;
}

/*
 * Loads the config for a command.  Its warnings are -t's business: a
 * cron job or an MTA calling us stays quiet when all is well, and only
 * a config that fails is loaded again, aloud, for its file:line
 * messages.  0, or -1 after saying why.
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

/* -t: the config verdict, like nginx -t and mta-sts-fcgi -t. */
static int
test_config(const char *file)
{
	struct conf	 conf;
	long		 errors;

	if ((errors = conf_load(&conf, file)) != 0) {
		conf_summary(file, errors);
		return EX_CONFIG;
	}
	conf_free(&conf);
	log_warnx("%s: configuration OK", file);
	return EX_OK;
}

/* A command with the config loaded; the exit status. */
static int
run_command(const char *file, int argc, char **argv)
{
	struct conf	 conf;
	int		 status, import = strcmp(argv[0], "import") == 0;
	int		 summary = strcmp(argv[0], "summary") == 0;

	if (!import && !summary && strcmp(argv[0], "list") != 0 &&
	    strcmp(argv[0], "prune") != 0 && strcmp(argv[0], "html") != 0 &&
	    strcmp(argv[0], "metrics") != 0 && strcmp(argv[0], "migrate") != 0)
		usage_error("unknown command \"%s\"", argv[0]);
	/* summary answers monitoring as mta-sts-check does: 3, unknown. */
	if (load_quietly(&conf, file) == -1)
		return import ? EX_TEMPFAIL : summary ? 3 : EX_CONFIG;
	optind = 0;	/* glibc: the command's getopt starts afresh */
	if (import)
		status = report_import(&conf, argc, argv);
	else if (summary)
		status = report_summary(&conf, argc, argv);
	else if (strcmp(argv[0], "list") == 0)
		status = cmd_list(&conf, argc, argv);
	else if (strcmp(argv[0], "html") == 0)
		status = report_html(&conf, argc, argv);
	else if (strcmp(argv[0], "metrics") == 0)
		status = report_metrics(&conf, argc, argv);
	else if (strcmp(argv[0], "migrate") == 0)
		status = report_migrate(&conf, argc, argv);
	else
		status = cmd_prune(&conf, argc, argv);
	conf_free(&conf);
	return status;
}

/*
 * Descriptors 0-2 open, on /dev/null if they were closed: an MTA or a
 * web server may start us without them, and a store opened on fd 2
 * would receive our messages.  0, or -1.
 */
static int
stdio_open(void)
{
	int	 fd;

	while ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) != -1 && fd <= 2)
		if (fcntl(fd, F_SETFD, 0) == -1)
			return -1;
	if (fd == -1)
		return -1;
	close(fd);
	return 0;
}

/*
 * The options before the command: -c, -t, -V, -h here, the serving
 * ones collected into serve_argv (argv[0], then each option and its
 * argument) for report_serve.  Exits on a usage error, -V and -h.
 */
static void
options_parse(int argc, char *argv[], const char **file, int *test,
    char **serve_argv, int *serve_argc)
{
	int	 ch;

	opterr = 0;	/* getopt would name argv[0], a path */
	while ((ch = getopt(argc, argv, "+:c:htV" SERVE_OPTIONS)) != -1) {
		switch (ch) {
		case 'c':
			*file = optarg;
			break;
		case 'h':
			usage(EX_OK);
		case 't':
			*test = 1;
			break;
		case 'V':
			printf("%s %s\n", REPORT_PROGNAME, VERSION);
			exit(EX_OK);
		case ':':
			usage_error("option -%c needs an argument", optopt);
		case '?':
			usage_error("unknown option -%c", optopt);
		default:
			serve_argv[(*serve_argc)++] = serve_flags[strchr(
			    SERVE_OPTIONS_LETTERS, ch) - SERVE_OPTIONS_LETTERS];
			serve_argv[(*serve_argc)++] = optarg;
			break;
		}
	}
}

int
main(int argc, char *argv[])
{
	const char	*file = NULL, *env;
	static char	**serve_argv;	/* static: reachable at any exit */
	int		 serve_argc = 1, test = 0, status;

	report_import_stdin_closed = fcntl(STDIN_FILENO, F_GETFD) == -1;
	if (stdio_open() == -1)
		return EX_OSERR;
	log_progname = REPORT_PROGNAME;
	if ((serve_argv = calloc((size_t)argc + 1, sizeof(*serve_argv))) ==
	    NULL) {
		log_warn("main");
		return EX_OSERR;
	}
	serve_argv[0] = argv[0];
	options_parse(argc, argv, &file, &test, serve_argv, &serve_argc);
	if (file == NULL)
		file = (env = getenv("MTA_STS_FCGI_CONFIG")) != NULL &&
		    *env != '\0' ? env : CONF_DEFAULT;
	if (serve_argc > 1 && (test || optind < argc))
		usage_error("-s, -m, -o, -u and -w are for serving; -t and "
		    "the commands do not serve");
	if (test && optind < argc)
		usage_error("-t checks the config: no command with it");
	if (test)
		status = test_config(file);
	else if (optind == argc)
		status = report_serve(file, serve_argc, serve_argv);
	else if (strcmp(argv[optind], "copy") == 0)	/* two databases */
		status = report_copy(argc - optind, argv + optind);
	else
		status = run_command(file, argc - optind, argv + optind);
	free(serve_argv);
	return status;
}
