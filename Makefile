# SPDX-License-Identifier: ISC
# mta-sts-fcgi: GNU make.  Quick start (Debian 12, as root):
#   make run     install what is missing, build, serve etc/ behind nginx
#   make check   the whole test suite
#   make deb     the Debian packages, into build/deb/ (README.md)
# Objects and programs go to build/; O=dir builds into dir instead (make
# check also builds build/asan and build/fuzz).

PROG		= mta-sts-fcgi
CHECK_PROG	= mta-sts-check
REPORT_PROG	= mta-sts-report
VERSION		= 0.1.0

PREFIX		?= /usr/local
# The responder is a daemon (sbin); the checker is an unprivileged
# monitoring tool that cron jobs and Nagios run as any user (bin).
SBINDIR		?= $(PREFIX)/sbin
BINDIR		?= $(PREFIX)/bin
SYSCONFDIR	?= $(PREFIX)/etc
# mta-sts-report's store: $(LOCALSTATEDIR)/lib/mta-sts-report/.
LOCALSTATEDIR	?= /var
MANDIR		?= $(PREFIX)/share/man
SERVE_USER	?= www-data
DESTDIR		?=
O		?= build

CC		?= cc
CFLAGS		?= -O2 -g
WARNINGS	= -Wall -Wextra -Wshadow -Wstrict-prototypes \
		  -Wmissing-prototypes -Wpointer-arith -Wwrite-strings \
		  -Wformat=2 -Wno-format-nonliteral
# _FORTIFY_SOURCE only if CPPFLAGS does not set it (dpkg-buildflags does,
# to 3 from Debian 13 on): a second -D would lower it, with a warning.
FORTIFY		= $(if $(findstring _FORTIFY_SOURCE,$(CPPFLAGS)),,-D_FORTIFY_SOURCE=2)
HARDENING	= $(FORTIFY) -fstack-protector-strong -fPIE
LDHARDENING	= -pie -Wl,-z,relro,-z,now
ifeq ($(WERROR),1)
WARNINGS	+= -Werror
endif

PKG_CFLAGS	:= $(shell pkg-config --cflags fcgi inih libmd libseccomp 2>/dev/null)
PKG_LIBS	:= $(shell pkg-config --libs fcgi inih libseccomp 2>/dev/null || \
		     echo -lfcgi -linih -lseccomp)
INIH_LIBS	:= $(shell pkg-config --libs inih 2>/dev/null || echo -linih)
SECCOMP_LIBS	:= $(shell pkg-config --libs libseccomp 2>/dev/null || \
		     echo -lseccomp)
# libmd: SHA-256 for policy ids (policy.c), so also the unit tests'.
# Linked statically where its archive is installed (libmd-dev has it):
# plain CGI execs us once per request, and a shared library fewer to map
# keeps that exec as cheap as before libmd (BENCHMARKS.md).  MD_STATIC=0
# links it as a shared library.
MD_LIBS		:= $(shell pkg-config --libs libmd 2>/dev/null || echo -lmd)
MD_STATIC	?= $(if $(filter /%,$(shell $(CC) -print-file-name=libmd.a \
		     2>/dev/null)),1,0)
ifeq ($(MD_STATIC),1)
MD_LINK		= -Wl,-Bstatic $(MD_LIBS) -Wl,-Bdynamic
else
MD_LINK		= $(MD_LIBS)
endif

# The checker alone links libcurl, OpenSSL and glibc's resolver: the
# responder's ldd stays as it is.
CHECK_PKG_CFLAGS := $(shell pkg-config --cflags libcurl openssl 2>/dev/null)
CHECK_LIBS	:= $(shell pkg-config --libs libcurl openssl 2>/dev/null || \
		     echo -lcurl -lssl -lcrypto) -lresolv -pthread

# The stored reports (src/tlsrpt/) link SQLite and jansson, and so do
# the receiver and (for its tlsrpt check) the checker.
TLSRPT_PKGS	= sqlite3 jansson libpq
TLSRPT_LIBS	:= $(shell pkg-config --libs $(TLSRPT_PKGS) 2>/dev/null || \
		     echo -lsqlite3 -ljansson -lpq)
TLSRPT_PKG_CFLAGS := $(shell pkg-config --cflags $(TLSRPT_PKGS) 2>/dev/null)

# The receiver alone links zlib, GMime and libopendkim: neither the
# responder nor the checker does.
REPORT_PKGS	= jansson zlib sqlite3 libpq gmime-3.0 opendkim
REPORT_PKG_CFLAGS := $(shell pkg-config --cflags $(REPORT_PKGS) 2>/dev/null)
REPORT_LIBS	:= $(shell pkg-config --libs $(REPORT_PKGS) 2>/dev/null || \
		     echo -ljansson -lz -lsqlite3 -lpq -lgmime-3.0 \
		     -lgobject-2.0 -lglib-2.0 -lopendkim)
# report_dkim.c fetches DKIM keys itself with glibc's resolver.
REPORT_LIBS	+= -lresolv

ALL_CPPFLAGS	= -D_GNU_SOURCE -DVERSION=\"$(VERSION)\" \
		  -DSERVE_USER=\"$(SERVE_USER)\" \
		  -DSYSCONFDIR=\"$(SYSCONFDIR)\" \
		  -DLOCALSTATEDIR=\"$(LOCALSTATEDIR)\" $(CPPFLAGS)
ALL_CFLAGS	= -std=c11 $(WARNINGS) $(HARDENING) $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS	= $(LDHARDENING) $(LDFLAGS)

# One folder per program over shared ones (HACKING.md): src/common/
# is what every program links, src/serve/ the FastCGI server core the
# responder and the receiver link, src/fcgi/ the responder, src/check/
# the checker, src/report/ the receiver.  A program's sources are its
# folders', by wildcard.
COMMON_SRCS	= $(wildcard src/common/*.c)
SERVE_SRCS	= $(wildcard src/serve/*.c)
FCGI_SRCS	= $(wildcard src/fcgi/*.c)
CHECK_SRCS	= $(wildcard src/check/*.c)
REPORT_SRCS	= $(wildcard src/report/*.c)
TLSRPT_SRCS	= $(wildcard src/tlsrpt/*.c)
COMMON_HEADERS	= src/common/common.h
SERVE_HEADERS	= $(COMMON_HEADERS) src/serve/serve.h
FCGI_HEADERS	= $(SERVE_HEADERS) src/fcgi/fcgi.h
CHECK_HEADERS	= $(COMMON_HEADERS) src/check/check.h
TLSRPT_HEADERS	= $(COMMON_HEADERS) src/tlsrpt/tlsrpt.h src/tlsrpt/tlsrpt_backend.h
REPORT_HEADERS	= $(SERVE_HEADERS) $(TLSRPT_HEADERS) src/report/report.h
OBJS		= $(patsubst src/%.c,$(O)/%.o,$(COMMON_SRCS) $(SERVE_SRCS) \
		  $(FCGI_SRCS))
CHECK_OBJS	= $(patsubst src/%.c,$(O)/%.o,$(COMMON_SRCS) $(TLSRPT_SRCS) \
		  $(CHECK_SRCS))
REPORT_OBJS	= $(patsubst src/%.c,$(O)/%.o,$(COMMON_SRCS) $(SERVE_SRCS) \
		  $(TLSRPT_SRCS) \
		  $(REPORT_SRCS))

# The pure subsets (no libfcgi, inih, libcurl or OpenSSL; libmd for
# policy ids), linked into the unit tests and fuzzers as they are.
COMMON_PURE_SRCS = $(filter-out src/common/conf.c,$(COMMON_SRCS))
SERVE_PURE_SRCS	= src/serve/wire.c src/serve/image.c
FCGI_PURE_SRCS	= src/fcgi/route.c $(SERVE_PURE_SRCS)
CHECK_PURE_SRCS	= src/check/check_record.c src/check/check_policy.c \
		  src/check/check_dane.c src/check/check_metrics.c \
		  src/check/check_mx.c src/check/check_result.c
CORE_SRCS	= $(COMMON_PURE_SRCS) $(FCGI_PURE_SRCS)
CORE_OBJS	= $(patsubst src/%.c,$(O)/%.o,$(CORE_SRCS))
COMMON_PURE_OBJS = $(patsubst src/%.c,$(O)/%.o,$(COMMON_PURE_SRCS))
COMMON_OBJS	= $(patsubst src/%.c,$(O)/%.o,$(COMMON_SRCS))
CHECK_PURE_OBJS	= $(patsubst src/%.c,$(O)/%.o,$(CHECK_PURE_SRCS))

UNIT_BINS	= $(patsubst %.c,$(O)/%,$(wildcard tests/unit/test_*.c))
TOOLS		= $(O)/tests/tools/fcgi-client $(O)/tests/tools/systemd-filter \
		  $(O)/tests/tools/report-fill
FUZZ_TARGETS	= conf route wire check image report
FUZZ_BINS	= $(FUZZ_TARGETS:%=build/fuzz/fuzz_%)
FUZZ_SECONDS	?= 300

# The sanitizer build that make check runs the tests against too.
ASAN_FLAGS	= -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
		  -fno-sanitize-recover=all
FUZZ_FLAGS	= -O1 -g -fsanitize=fuzzer,address,undefined \
		  -fno-sanitize-recover=all

.PHONY: all deps run check check-fast bench bench-check bench-dir \
	bench-reload bench-report bench-summary bench-html bench-ingest \
	bench-ingest-pg fuzz fuzz-build deb clean install uninstall FORCE

all: $(O)/$(PROG) $(O)/$(CHECK_PROG) $(O)/$(REPORT_PROG)

# Objects depend on the flags they were built with: "make install
# SYSCONFDIR=/etc" after a plain "make" must rebuild, not install a binary
# that looks for /usr/local/etc.
BUILD_FLAGS	= $(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS) $(MD_LINK)
$(O)/.build-flags: FORCE
	@mkdir -p $(O)
	@echo '$(BUILD_FLAGS)' | cmp -s - $@ || echo '$(BUILD_FLAGS)' >$@

$(O)/$(PROG): $(OBJS) $(O)/.build-flags
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(OBJS) $(PKG_LIBS) \
	    $(MD_LINK) $(LDLIBS)

$(O)/$(CHECK_PROG): $(CHECK_OBJS)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(CHECK_OBJS) $(INIH_LIBS) \
	    $(MD_LINK) $(CHECK_LIBS) $(TLSRPT_LIBS) $(LDLIBS)

$(O)/$(REPORT_PROG): $(REPORT_OBJS)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(REPORT_OBJS) $(INIH_LIBS) \
	    $(MD_LINK) $(SECCOMP_LIBS) $(REPORT_LIBS) $(LDLIBS)

ALL_INCLUDES	= -Isrc
$(O)/common/%.o: src/common/%.c $(COMMON_HEADERS) $(O)/.build-flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(ALL_INCLUDES) $(ALL_CFLAGS) -c -o $@ $<

$(O)/serve/%.o: src/serve/%.c $(SERVE_HEADERS) $(O)/.build-flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(ALL_INCLUDES) $(ALL_CFLAGS) -c -o $@ $<

$(O)/fcgi/%.o: src/fcgi/%.c $(FCGI_HEADERS) $(O)/.build-flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(ALL_INCLUDES) $(ALL_CFLAGS) -c -o $@ $<

$(O)/check/%.o: src/check/%.c $(CHECK_HEADERS) $(O)/.build-flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(ALL_INCLUDES) $(ALL_CFLAGS) \
	    $(CHECK_PKG_CFLAGS) -c -o $@ $<

# The one checker module that reads the stored reports.
$(O)/check/check_tlsrpt.o: $(TLSRPT_HEADERS)

$(O)/tlsrpt/%.o: src/tlsrpt/%.c $(TLSRPT_HEADERS) $(O)/.build-flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(ALL_INCLUDES) $(ALL_CFLAGS) \
	    $(REPORT_PKG_CFLAGS) -c -o $@ $<

$(O)/report/%.o: src/report/%.c $(REPORT_HEADERS) $(O)/.build-flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(ALL_INCLUDES) $(ALL_CFLAGS) \
	    $(REPORT_PKG_CFLAGS) -c -o $@ $<

# A unit test links the pure modules of what it tests: the common and
# the responder's, or the common and the checker's.
UNIT_LINK	= $(CC) $(ALL_CPPFLAGS) $(ALL_INCLUDES) $(ALL_CFLAGS) \
		  $(ALL_LDFLAGS) -o $@ $<
$(O)/tests/unit/test_%: tests/unit/test_%.c tests/unit/unit.h \
    $(FCGI_HEADERS) $(CORE_OBJS)
	@mkdir -p $(dir $@)
	$(UNIT_LINK) $(CORE_OBJS) $(MD_LINK)

# Who may connect: listen.c's peer list, with no socket opened.
$(O)/tests/unit/test_listen: tests/unit/test_listen.c tests/unit/unit.h \
    $(FCGI_HEADERS) $(CORE_OBJS) $(O)/serve/listen.o
	@mkdir -p $(dir $@)
	$(UNIT_LINK) $(CORE_OBJS) $(O)/serve/listen.o $(MD_LINK)

# The options both servers take, and the loader's memfds: serve.c and
# loader.c link the whole core.
SERVE_OBJS	= $(patsubst src/%.c,$(O)/%.o,$(SERVE_SRCS))
$(O)/tests/unit/test_serve $(O)/tests/unit/test_loader: \
    $(O)/tests/unit/%: tests/unit/%.c tests/unit/unit.h \
    $(SERVE_HEADERS) $(COMMON_OBJS) $(SERVE_OBJS)
	@mkdir -p $(dir $@)
	$(UNIT_LINK) $(COMMON_OBJS) $(SERVE_OBJS) $(INIH_LIBS) $(MD_LINK) \
	    $(SECCOMP_LIBS)

# The seccomp filter, applied for real in forked children.
$(O)/tests/unit/test_sandbox: tests/unit/test_sandbox.c tests/unit/unit.h \
    $(FCGI_HEADERS) $(CORE_OBJS) $(O)/serve/sandbox.o $(O)/serve/fdpass.o
	@mkdir -p $(dir $@)
	$(UNIT_LINK) $(CORE_OBJS) $(O)/serve/sandbox.o $(O)/serve/fdpass.o \
	    $(MD_LINK) $(SECCOMP_LIBS)

CHECK_UNIT_BINS	= $(filter-out $(O)/tests/unit/test_check_tlsrpt, \
		  $(filter $(O)/tests/unit/test_check%,$(UNIT_BINS)))
$(CHECK_UNIT_BINS): $(O)/tests/unit/%: tests/unit/%.c tests/unit/unit.h \
    $(CHECK_HEADERS) $(COMMON_PURE_OBJS) $(CHECK_PURE_OBJS)
	@mkdir -p $(dir $@)
	$(UNIT_LINK) $(COMMON_PURE_OBJS) $(CHECK_PURE_OBJS) $(MD_LINK)

# The tlsrpt check: the checker's pure modules and the stored reports.
TLSRPT_OBJS	= $(patsubst src/%.c,$(O)/%.o,$(TLSRPT_SRCS))
$(O)/tests/unit/test_check_tlsrpt: tests/unit/test_check_tlsrpt.c \
    tests/unit/unit.h $(CHECK_HEADERS) $(TLSRPT_HEADERS) \
    $(COMMON_PURE_OBJS) $(CHECK_PURE_OBJS) $(O)/check/check_tlsrpt.o \
    $(TLSRPT_OBJS)
	@mkdir -p $(dir $@)
	$(UNIT_LINK) $(TLSRPT_PKG_CFLAGS) $(COMMON_PURE_OBJS) \
	    $(CHECK_PURE_OBJS) $(O)/check/check_tlsrpt.o $(TLSRPT_OBJS) \
	    $(MD_LINK) $(TLSRPT_LIBS)

# The receiver's modules that neither serve nor import: a unit test links
# them with the common pure ones and the receiver's libraries.
REPORT_UNIT_SRCS = $(TLSRPT_SRCS) \
		  $(filter $(REPORT_SRCS),src/report/report_json.c \
		  src/report/report_gzip.c src/report/report_accept.c \
		  src/report/report_list.c src/report/report_html.c \
		  src/report/report_summary.c src/report/report_metrics.c \
		  src/report/report_svg.c)
REPORT_UNIT_OBJS = $(patsubst src/%.c,$(O)/%.o,$(REPORT_UNIT_SRCS))
REPORT_UNIT_BINS = $(filter-out $(O)/tests/unit/test_report_mail, \
		  $(filter $(O)/tests/unit/test_report% \
		  $(O)/tests/unit/test_tlsrpt%,$(UNIT_BINS)))
$(REPORT_UNIT_BINS): $(O)/tests/unit/%: tests/unit/%.c tests/unit/unit.h \
    $(REPORT_HEADERS) $(COMMON_PURE_OBJS) $(REPORT_UNIT_OBJS)
	@mkdir -p $(dir $@)
	$(UNIT_LINK) $(REPORT_PKG_CFLAGS) $(COMMON_PURE_OBJS) \
	    $(REPORT_UNIT_OBJS) $(MD_LINK) $(REPORT_LIBS)

# Mail: MIME (GMime) and DKIM (libopendkim, libresolv), no store.
REPORT_MAIL_OBJS = $(O)/report/report_mail.o $(O)/report/report_dkim.o
$(O)/tests/unit/test_report_mail: tests/unit/test_report_mail.c \
    tests/unit/unit.h $(REPORT_HEADERS) $(COMMON_PURE_OBJS) \
    $(REPORT_MAIL_OBJS)
	@mkdir -p $(dir $@)
	$(UNIT_LINK) $(REPORT_PKG_CFLAGS) $(COMMON_PURE_OBJS) \
	    $(REPORT_MAIL_OBJS) $(MD_LINK) $(REPORT_LIBS)

# A unit's SystemCallFilter=, as systemd applies it (run-systemd.sh).
$(O)/tests/tools/systemd-filter: tests/tools/systemd-filter.c $(O)/.build-flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< \
	    $(SECCOMP_LIBS)

# Report files into a store at a chosen time (tests, benchmarks): the
# receiver's parser and store, and the config loader.
$(O)/tests/tools/report-fill: tests/tools/report-fill.c $(REPORT_HEADERS) \
    $(COMMON_PURE_OBJS) $(O)/common/conf.o $(REPORT_UNIT_OBJS)
	@mkdir -p $(dir $@)
	$(UNIT_LINK) $(REPORT_PKG_CFLAGS) $(COMMON_PURE_OBJS) \
	    $(O)/common/conf.o $(REPORT_UNIT_OBJS) $(INIH_LIBS) $(MD_LINK) \
	    $(REPORT_LIBS)

$(O)/tests/tools/%: tests/tools/%.c $(O)/.build-flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $<

# Fuzz targets (clang, libFuzzer): the config loader, routing, the
# FastCGI record checks, and the checks of an image a worker maps.  Their
# seed corpora live in tests/fuzz/corpus/.
FUZZ_LINK	= clang -std=c11 -D_GNU_SOURCE $(ALL_INCLUDES) $(PKG_CFLAGS) \
		  $(FUZZ_FLAGS) -o $@ $<
build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(CORE_SRCS) $(FCGI_HEADERS)
	@mkdir -p build/fuzz
	$(FUZZ_LINK) $(CORE_SRCS) $(MD_LINK)

build/fuzz/fuzz_conf: tests/fuzz/fuzz_conf.c $(COMMON_SRCS) $(COMMON_HEADERS)
	@mkdir -p build/fuzz
	$(FUZZ_LINK) $(COMMON_SRCS) $(INIH_LIBS) $(MD_LINK)

build/fuzz/fuzz_check: tests/fuzz/fuzz_check.c $(COMMON_PURE_SRCS) \
    $(CHECK_PURE_SRCS) $(CHECK_HEADERS)
	@mkdir -p build/fuzz
	$(FUZZ_LINK) $(COMMON_PURE_SRCS) $(CHECK_PURE_SRCS) $(MD_LINK)

# The receiver's body checks: JSON (jansson) and gzip (zlib) only.
REPORT_FUZZ_SRCS = src/report/report_json.c src/report/report_gzip.c \
		  src/report/report_accept.c src/tlsrpt/tlsrpt_report.c
REPORT_FUZZ_LIBS := $(shell pkg-config --libs jansson zlib 2>/dev/null || \
		     echo -ljansson -lz)
build/fuzz/fuzz_report: tests/fuzz/fuzz_report.c $(COMMON_PURE_SRCS) \
    $(REPORT_FUZZ_SRCS) $(REPORT_HEADERS)
	@mkdir -p build/fuzz
	$(FUZZ_LINK) $(REPORT_PKG_CFLAGS) $(COMMON_PURE_SRCS) \
	    $(REPORT_FUZZ_SRCS) $(MD_LINK) $(REPORT_FUZZ_LIBS)

fuzz-build: $(FUZZ_BINS)

# A longer campaign: new inputs are added to the corpora (commit the
# interesting ones).  FUZZ_SECONDS per target.
fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	    echo "fuzz_$$t: $(FUZZ_SECONDS) s"; \
	    build/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
	        -max_len=131072 -print_final_stats=1 tests/fuzz/corpus/$$t \
	        $$(test $$t = conf && echo tests/conf/good tests/conf/bad) \
	        || exit 1; \
	done

# Installs the Debian packages a target needs (root), or says how.
deps:
	@sh scripts/deps.sh build

run:
	@sh scripts/deps.sh run
	@$(MAKE) --no-print-directory all
	@bash scripts/run.sh

# Everything: the plain build, the same tests against an ASan+UBSan
# build, the end-to-end tests under valgrind, and the fuzz corpora.
check:
	@sh scripts/deps.sh check
	@$(MAKE) --no-print-directory all $(UNIT_BINS) $(TOOLS)
	@$(MAKE) --no-print-directory O=build/asan CC=clang \
	    CFLAGS="$(ASAN_FLAGS)" LDFLAGS="-fsanitize=address,undefined" \
	    build/asan/$(PROG) build/asan/$(CHECK_PROG) \
	    build/asan/$(REPORT_PROG) \
	    $(UNIT_BINS:$(O)/%=build/asan/%) \
	    build/asan/tests/tools/fcgi-client \
	    build/asan/tests/tools/report-fill
	@$(MAKE) --no-print-directory fuzz-build
	@bash tests/run.sh

# Benchmarks (not part of check): writes BENCHMARKS.md and bench/*.png.
# DURATION, ROUNDS, CONNS, SCALES tune it; see bench/run.sh.
# bench/dir-scale.sh times 100,000 domains in 1,000 files (-c DIR);
# bench/report-list.sh times mta-sts-report list over 1,000,000 reports,
# bench/report-summary.sh mta-sts-report summary over as many;
# bench/report-html.sh mta-sts-report html over the same for 10,000 domains;
# bench/report-ingest.sh its HTTPS (through nginx) and import rates;
# the last step, bench/check.sh, times mta-sts-check over 1,000 domains
# in a namespace world and writes its own section of BENCHMARKS.md.
bench:
	@sh scripts/deps.sh bench
	@$(MAKE) --no-print-directory all
	@bash bench/run.sh
	@bash bench/dir-scale.sh
	@bash bench/reload.sh
	@$(MAKE) --no-print-directory $(O)/tests/unit/test_tlsrpt_store
	@bash bench/report-list.sh
	@$(MAKE) --no-print-directory $(O)/tests/tools/report-fill
	@bash bench/report-summary.sh
	@bash bench/report-html.sh
	@bash bench/report-ingest.sh
	@bash bench/check.sh

# Only the config directory's section: DOMAINS in FILES files (-c DIR).
bench-dir:
	@sh scripts/deps.sh bench
	@$(MAKE) --no-print-directory all $(O)/tests/tools/fcgi-client
	@bash bench/dir-scale.sh

# Only the reload section: SCALES domains, LABEL names the rows.
bench-reload:
	@sh scripts/deps.sh bench
	@$(MAKE) --no-print-directory all $(O)/tests/tools/fcgi-client
	@bash bench/reload.sh

# Only mta-sts-report list over a large store (REPORTS, DOMAINS, ROUNDS).
bench-report:
	@sh scripts/deps.sh bench
	@$(MAKE) --no-print-directory all $(O)/tests/unit/test_tlsrpt_store
	@bash bench/report-list.sh

# Only mta-sts-report summary over a large store (REPORTS, DOMAINS, ROUNDS).
bench-summary:
	@sh scripts/deps.sh bench
	@$(MAKE) --no-print-directory all $(O)/tests/tools/report-fill
	@bash bench/report-summary.sh
# Only mta-sts-report html over a large store (REPORTS, DOMAINS, ROUNDS).
bench-html:
	@sh scripts/deps.sh bench
	@$(MAKE) --no-print-directory all $(O)/tests/unit/test_tlsrpt_store
	@bash bench/report-html.sh

# Only mta-sts-report's ingest rates: reports POSTed over HTTPS through
# nginx (DURATION s at each of CONNS connections, -w WORKERS) and
# IMPORTS messages piped to import (trust_authserv_id mode).
bench-ingest:
	@sh scripts/deps.sh bench
	@$(MAKE) --no-print-directory all
	@bash bench/report-ingest.sh

# Two receivers into one store: SQLite beside PostgreSQL (issue 21).
bench-ingest-pg:
	@sh scripts/deps.sh bench
	@$(MAKE) --no-print-directory all
	@OUT=BENCHMARKS.md bash bench/report-ingest-pg.sh

# Only the checker's section of BENCHMARKS.md (DOMAINS, ROUNDS, JOBS).
bench-check:
	@sh scripts/deps.sh bench
	@$(MAKE) --no-print-directory all
	@bash bench/check.sh

# The Debian packages (debian/), built from a copy of the tree into
# build/deb/ and checked by lintian; tests/deb installs them for real.
deb:
	@sh scripts/deps.sh deb
	@sh scripts/deb.sh

# The plain build's suites only, for a quick look while working.
check-fast:
	@$(MAKE) --no-print-directory all $(UNIT_BINS) $(TOOLS)
	@bash tests/run.sh plain

MANS		= man/$(PROG).8 man/$(PROG).ini.5 man/$(CHECK_PROG).1 \
		  man/mta-sts-publish.8 man/$(REPORT_PROG).8
# The man pages are written for the default PREFIX; installed, they name
# the paths of this build.
MAN_PATHS	= -e 's|/usr/local/etc|$(SYSCONFDIR)|g' \
		  -e 's|/usr/local/sbin|$(SBINDIR)|g' \
		  -e 's|/usr/local/bin|$(BINDIR)|g'

install: $(O)/$(PROG) $(O)/$(CHECK_PROG) $(O)/$(REPORT_PROG)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR)
	install -m 0755 $(O)/$(PROG) $(DESTDIR)$(SBINDIR)/$(PROG)
	install -m 0755 $(O)/$(REPORT_PROG) $(DESTDIR)$(SBINDIR)/$(REPORT_PROG)
	install -m 0755 $(O)/$(CHECK_PROG) $(DESTDIR)$(BINDIR)/$(CHECK_PROG)
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8
	@for m in $(MANS); do \
	    d=$(DESTDIR)$(MANDIR)/man$${m##*.}/$${m#man/}; \
	    echo "sed $(MAN_PATHS) $$m >$$d"; \
	    sed $(MAN_PATHS) $$m >$$d.tmp && chmod 0644 $$d.tmp && \
	    mv $$d.tmp $$d || exit 1; \
	done
	install -d $(DESTDIR)$(SYSCONFDIR)
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/$(PROG).ini ]; then \
	    echo "keeping existing $(DESTDIR)$(SYSCONFDIR)/$(PROG).ini"; \
	else \
	    echo install -m 0644 etc/$(PROG).ini \
	        $(DESTDIR)$(SYSCONFDIR)/$(PROG).ini; \
	    install -m 0644 etc/$(PROG).ini \
	        $(DESTDIR)$(SYSCONFDIR)/$(PROG).ini; \
	fi

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/$(PROG) $(DESTDIR)$(BINDIR)/$(CHECK_PROG) \
	    $(DESTDIR)$(SBINDIR)/$(REPORT_PROG)
	rm -f $(DESTDIR)$(MANDIR)/man8/$(PROG).8 \
	    $(DESTDIR)$(MANDIR)/man8/$(REPORT_PROG).8 \
	    $(DESTDIR)$(MANDIR)/man8/mta-sts-publish.8 \
	    $(DESTDIR)$(MANDIR)/man1/$(CHECK_PROG).1
	rm -f $(DESTDIR)$(MANDIR)/man5/$(PROG).ini.5
	@echo "left in place: $(DESTDIR)$(SYSCONFDIR)/$(PROG).ini"

clean:
	rm -rf build tests/out
