# mta-sts-fcgi: GNU make.  Quick start (Debian 12, as root):
#   make run     install what is missing, build, serve etc/ behind nginx
#   make check   the whole test suite

PROG		= mta-sts-fcgi
VERSION		= 0.1.0

PREFIX		?= /usr/local
SBINDIR		?= $(PREFIX)/sbin
SYSCONFDIR	?= $(PREFIX)/etc
MANDIR		?= $(PREFIX)/share/man
SERVE_USER	?= www-data
DESTDIR		?=

CC		?= cc
CFLAGS		?= -O2 -g
WARNINGS	= -Wall -Wextra -Wshadow -Wstrict-prototypes \
		  -Wmissing-prototypes -Wpointer-arith -Wwrite-strings \
		  -Wformat=2 -Wno-format-nonliteral
HARDENING	= -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
LDHARDENING	= -pie -Wl,-z,relro,-z,now
ifeq ($(WERROR),1)
WARNINGS	+= -Werror
endif

PKG_CFLAGS	:= $(shell pkg-config --cflags fcgi inih 2>/dev/null)
PKG_LIBS	:= $(shell pkg-config --libs fcgi inih 2>/dev/null || \
		     echo -lfcgi -linih)

ALL_CPPFLAGS	= -D_GNU_SOURCE -DVERSION=\"$(VERSION)\" -DSERVE_USER=\"$(SERVE_USER)\" \
		  -DSYSCONFDIR=\"$(SYSCONFDIR)\" $(CPPFLAGS)
ALL_CFLAGS	= -std=c11 $(WARNINGS) $(HARDENING) $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS	= $(LDHARDENING) $(LDFLAGS)

# Modules without libfcgi or inih: they link into unit tests as they are.
CORE_SRCS	= src/log.c src/sha256.c src/dname.c src/policy.c \
		  src/table.c src/route.c src/wire.c
SRCS		= $(CORE_SRCS) src/conf.c src/listen.c src/priv.c \
		  src/worker.c src/supervisor.c src/cgi.c src/main.c
OBJS		= $(SRCS:.c=.o)
CORE_OBJS	= $(CORE_SRCS:.c=.o)
HEADERS		= src/mta-sts-fcgi.h

UNIT_SRCS	= $(wildcard tests/unit/test_*.c)
UNIT_BINS	= $(UNIT_SRCS:.c=)
TOOLS		= tests/tools/fcgi-client

.PHONY: all deps run check clean install uninstall FORCE

all: $(PROG)

# Objects depend on the flags they were built with: "make install
# SYSCONFDIR=/etc" after a plain "make" must rebuild, not install a binary
# that looks for /usr/local/etc.
BUILD_FLAGS	= $(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS)
.build-flags: FORCE
	@echo '$(BUILD_FLAGS)' | cmp -s - $@ || echo '$(BUILD_FLAGS)' >$@

$(PROG): $(OBJS)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(OBJS) $(PKG_LIBS) $(LDLIBS)

src/%.o: src/%.c $(HEADERS) .build-flags
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

tests/unit/test_%: tests/unit/test_%.c tests/unit/unit.h $(CORE_OBJS) $(HEADERS)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -Isrc $(ALL_LDFLAGS) -o $@ $< \
	    $(CORE_OBJS)

tests/tools/%: tests/tools/%.c .build-flags
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $<

# Installs the Debian packages a target needs (root), or says how.
deps:
	@sh scripts/deps.sh build

run:
	@sh scripts/deps.sh run
	@$(MAKE) --no-print-directory all
	@bash scripts/run.sh

check:
	@sh scripts/deps.sh check
	@$(MAKE) --no-print-directory all $(UNIT_BINS) $(TOOLS)
	@bash tests/run.sh

install: $(PROG)
	install -d $(DESTDIR)$(SBINDIR)
	install -m 0755 $(PROG) $(DESTDIR)$(SBINDIR)/$(PROG)
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
	rm -f $(DESTDIR)$(SBINDIR)/$(PROG)
	@echo "left in place: $(DESTDIR)$(SYSCONFDIR)/$(PROG).ini"

clean:
	rm -f $(PROG) $(OBJS) $(UNIT_BINS) $(TOOLS) .build-flags
	rm -rf tests/out
