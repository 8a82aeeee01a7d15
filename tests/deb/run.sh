#!/bin/bash
# SPDX-License-Identifier: ISC
# The Debian packages for real, on this machine: make deb builds them
# (lintian and blhc clean, the tree left as it was); dpkg -i installs
# them quietly (the conffile registered, no unit enabled, nothing
# listening); the installed programs run, and the autopkgtest passes
# against them; the installed units pass systemd-analyze verify and, run
# as systemd would under systemd-socket-activate, serve the admin's
# config through the installed nginx example; a reinstall and two
# upgrades keep the admin's config; remove keeps it, purge removes every
# file the packages installed, the config and dpkg's records of them.
#
# It installs packages, so it refuses to run where either package (or a
# file they ship) is already present: it never purges someone's install.
# Whatever happens, it purges what it installed before it exits.
BIN=/usr/sbin/mta-sts-fcgi	# frontend_setup copies the installed responder
. tests/lib/suite.sh
. tests/lib/frontend.sh

PKGS=(mta-sts-fcgi mta-sts-check mta-sts-report)
OUT=build/deb
CONF=/etc/mta-sts-fcgi.ini
UNITS=/lib/systemd/system
EXAMPLES=/usr/share/doc/mta-sts-fcgi/examples
ARCH=$(dpkg --print-architecture)
VERSION=$(sed -n 's/^VERSION[[:space:]]*=[[:space:]]*//p' Makefile)
INSTALLED=
STORE_MADE=
USER_BEFORE=$(getent passwd mta-sts-report)

# status PKG: dpkg's status of PKG, "not-installed" also when dpkg has
# no record of it at all.
status() {
	local st
	st=$(dpkg-query -W -f '${Status}' "$1" 2>/dev/null)
	case $st in "" | *" not-installed") echo not-installed ;; *) echo "$st" ;; esac
}

# dpkg_run ARGS...: dpkg with no terminal (a conffile prompt fails rather
# than waits), retried for up to 2 min while another apt-get or dpkg
# holds the lock.  Its output goes to $SCRATCH/dpkg.out.
dpkg_run() {
	local i=0 rc
	while :; do
		dpkg "$@" </dev/null >"$SCRATCH/dpkg.out" 2>&1
		rc=$?
		if [ $rc -eq 0 ] || [ $i -ge 120 ] ||
		    ! grep -q 'lock' "$SCRATCH/dpkg.out"; then
			break
		fi
		sleep 1
		i=$((i + 1))
	done
	cat "$SCRATCH/dpkg.out" >>"$SCRATCH/dpkg.log"
	return $rc
}

# The trap: purge what we installed, whatever state the test left it in
# (a service still running the installed binary is stopped by PID just
# after, by suite.sh's cleanup, which also removes the scratch directory
# that dpkg_run needs, so it comes last).
deb_cleanup() {
	if [ -n "$INSTALLED" ]; then
		dpkg_run --purge "${PKGS[@]}" ||
		    echo "not ok - cleanup: dpkg --purge failed: $(cat "$SCRATCH/dpkg.out")"
	fi
	# The receiver's user and store stay after a purge, by design: the
	# suite removes them itself when it made them.
	if [ -n "$STORE_MADE" ]; then
		rm -rf /var/lib/mta-sts-report
	fi
	if [ -n "$STORE_MADE" ] && [ -z "$USER_BEFORE" ] &&
	    getent passwd mta-sts-report >/dev/null; then
		userdel mta-sts-report 2>/dev/null
		getent group mta-sts-report >/dev/null &&
		    groupdel mta-sts-report 2>/dev/null
	fi
	cleanup
}
trap deb_cleanup EXIT

# Refuse, before anything else, to touch an existing install.
for p in "${PKGS[@]}"; do
	st=$(status "$p")
	case $st in
	not-installed) ;;
	*)	notok "refusing to run: package $p is on this machine ($st);" \
		    "this suite installs and purges it"
		exit 1 ;;
	esac
done

# Build.
git_state() {
	git status --porcelain --ignored=no 2>&1
}
before=$(git_state)
make -s --no-print-directory deb >"$SCRATCH/make-deb.out" 2>&1
rc=$?
check_eq "make deb: builds the packages, lintian passes" 0 $rc
[ $rc -eq 0 ] || sed 's/^/#   /' "$SCRATCH/make-deb.out" | tail -30
check_eq "make deb leaves the tree as it was (no debian/.debhelper, debian/files ...)" \
    "$before" "$(git_state)"
DEB_FCGI=$OUT/mta-sts-fcgi_${VERSION}_$ARCH.deb
DEB_CHECK=$OUT/mta-sts-check_${VERSION}_$ARCH.deb
DEB_REPORT=$OUT/mta-sts-report_${VERSION}_$ARCH.deb
CHANGES=$OUT/mta-sts-fcgi_${VERSION}_$ARCH.changes
for f in "$DEB_FCGI" "$DEB_CHECK" "$DEB_REPORT" "$CHANGES" "$OUT/mta-sts-fcgi_$VERSION.dsc" \
    "$OUT/mta-sts-fcgi_$VERSION.tar.xz"; do
	check_eq "make deb wrote $f" yes "$([ -s "$f" ] && echo yes)"
done
[ -s "$DEB_FCGI" ] && [ -s "$DEB_CHECK" ] && [ -s "$DEB_REPORT" ] || exit 1
# The source package is the tree (dpkg-source leaves out .gitignore; a
# clean before the build must not delete test data, as dh_clean did with
# tests/conf/'s *.bak before debian/rules said otherwise).
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -c -o --exclude-standard |
	    while read -r f; do [ -e "$f" ] && echo "$f"; done |
	    grep -vx .gitignore | sort >"$SCRATCH/tree.list"
	tar -tJf "$OUT/mta-sts-fcgi_$VERSION.tar.xz" | sed 's|^[^/]*/||' |
	    grep -v -e '/$' -e '^$' | sort >"$SCRATCH/source.list"
	check_file "the source package holds the tree as git sees it" \
	    "$SCRATCH/tree.list" "$SCRATCH/source.list"
fi

# The one version: the Makefile's, debian/changelog's, the packages'.
check_eq "debian/changelog's version is the Makefile's VERSION" "$VERSION" \
    "$(dpkg-parsechangelog -S Version)"
check_eq "the three packages carry it" "$VERSION $VERSION $VERSION" \
    "$(dpkg-deb -f "$DEB_FCGI" Version) $(dpkg-deb -f "$DEB_CHECK" Version) $(dpkg-deb -f "$DEB_REPORT" Version)"

# lintian (Debian 12's default profile), as make deb ran it: any error or
# warning failed make deb; its log must show none, and info tags are shown.
grep -v '^running with root privileges is not recommended!$' \
    "$OUT/lintian.log" >"$SCRATCH/lintian.tags"
check_eq "lintian $CHANGES: ran, no error, no warning" "yes 0" \
    "$([ -f "$OUT/lintian.log" ] && echo yes) $(grep -c '^[EW]: ' "$SCRATCH/lintian.tags")"
sed 's/^/#   lintian: /' "$SCRATCH/lintian.tags"
# Every compiler and linker line got dpkg-buildflags' hardening flags.
out=$(blhc --all --debian "$OUT/build.log" 2>&1)
check_eq "blhc: no flag missing in the build log" "0 " "$? $out"

# Where things go.
dpkg-deb -c "$DEB_FCGI" | awk '{ print $6 }' >"$SCRATCH/fcgi.contents"
dpkg-deb -c "$DEB_CHECK" | awk '{ print $6 }' >"$SCRATCH/check.contents"
dpkg-deb -c "$DEB_REPORT" | awk '{ print $6 }' >"$SCRATCH/report.contents"
for f in ./usr/sbin/mta-sts-fcgi ./etc/mta-sts-fcgi.ini \
    ./lib/systemd/system/mta-sts-fcgi.socket \
    ./lib/systemd/system/mta-sts-fcgi.service \
    ./usr/share/man/man8/mta-sts-fcgi.8.gz \
    ./usr/share/man/man5/mta-sts-fcgi.ini.5.gz \
    ./usr/share/man/man8/mta-sts-publish.8.gz \
    ./usr/share/doc/mta-sts-fcgi/README.Debian.gz \
    ./usr/share/doc/mta-sts-fcgi/examples/nginx/mta-sts.conf \
    ./usr/share/doc/mta-sts-fcgi/examples/apache/mta-sts-fcgid.conf \
    ./usr/share/doc/mta-sts-fcgi/examples/lighttpd/mta-sts-socket.conf \
    ./usr/share/doc/mta-sts-fcgi/examples/spawn-fcgi/mta-sts-fcgi.sh \
    ./usr/share/doc/mta-sts-fcgi/examples/publish/mta-sts-publish; do
	check_eq "mta-sts-fcgi ships $f" 1 "$(grep -cxF "$f" "$SCRATCH/fcgi.contents")"
done
for f in ./usr/bin/mta-sts-check ./usr/share/man/man1/mta-sts-check.1.gz \
    ./usr/share/doc/mta-sts-check/README.Debian; do
	check_eq "mta-sts-check ships $f" 1 "$(grep -cxF "$f" "$SCRATCH/check.contents")"
done
for f in ./usr/sbin/mta-sts-report ./usr/share/man/man8/mta-sts-report.8.gz \
    ./lib/systemd/system/mta-sts-report.socket \
    ./lib/systemd/system/mta-sts-report.service \
    ./usr/share/doc/mta-sts-report/README.Debian \
    ./usr/share/doc/mta-sts-report/examples/mta-sts-report.conf \
    ./usr/share/doc/mta-sts-report/examples/postfix/master.cf \
    ./usr/share/doc/mta-sts-report/examples/postgresql/mta-sts-report.sql; do
	check_eq "mta-sts-report ships $f" 1 "$(grep -cxF "$f" "$SCRATCH/report.contents")"
done
check_eq "the receiver and its examples are in mta-sts-report only" "0" \
    "$(grep -c -e 'mta-sts-report' -e 'postfix' "$SCRATCH/fcgi.contents" "$SCRATCH/check.contents" |
        awk -F: '{ n += $2 } END { print n }')"
# A policy-only server pulls in none of the receiver's libraries.
check_eq "mta-sts-fcgi depends on none of SQLite, libpq, jansson, zlib, GMime, libopendkim" "" \
    "$(dpkg-deb -f "$DEB_FCGI" Depends | tr ',' '\n' | grep -E 'sqlite|libpq|jansson|zlib|gmime|opendkim')"
check_eq "mta-sts-report depends on them, and on adduser for its user" \
    "adduser libgmime-3.0-0 libjansson4 libopendkim11 libpq5 libsqlite3-0 zlib1g" \
    "$(dpkg-deb -f "$DEB_REPORT" Depends | tr ',' '\n' |
        grep -oE '^ ?(adduser|libgmime-3.0-0|libjansson4|libopendkim11|libpq5|libsqlite3-0|zlib1g)' |
        tr -d ' ' | sort | xargs)"
# The checker's tlsrpt check reads the store, SQLite or PostgreSQL; the
# mail libraries are the receiver's alone.
check_eq "mta-sts-check depends on SQLite and libpq (its tlsrpt check), not on zlib, GMime or libopendkim" \
    "libpq5 libsqlite3-0" \
    "$(dpkg-deb -f "$DEB_CHECK" Depends | tr ',' '\n' |
        grep -oE '^ ?(libgmime-3.0-0|libopendkim11|libpq5|libsqlite3-0|zlib1g)' |
        tr -d ' ' | sort | xargs)"
check_eq "every contrib/ directory but systemd, postfix and postgresql is a responder example" \
    "$(for d in contrib/*/; do d=${d%/}; d=${d#contrib/}; case $d in systemd|postfix|postgresql) ;; *) echo "$d" ;; esac; done | xargs)" \
    "$(sed -n 's|^\./usr/share/doc/mta-sts-fcgi/examples/\([^/]*\)/$|\1|p' \
        "$SCRATCH/fcgi.contents" | sort | xargs)"
check_eq "the checker is in mta-sts-check only" "0" \
    "$(grep -c 'mta-sts-check' "$SCRATCH/fcgi.contents")"
check_eq "mta-sts-fcgi does not depend on libcurl or OpenSSL" "" \
    "$(dpkg-deb -f "$DEB_FCGI" Depends | tr ',' '\n' | grep -E 'curl|ssl')"
check_eq "mta-sts-check depends on libcurl and OpenSSL" "libcurl4 libssl3" \
    "$(dpkg-deb -f "$DEB_CHECK" Depends | tr ',' '\n' |
        grep -oE '^ ?(libcurl4|libssl3)' | tr -d ' ' | sort | xargs)"

# Nothing the packages ship may exist yet: dpkg would take it over, and
# the purge below would remove it.
present=
while read -r f; do
	f=${f#.}
	[ -e "$f" ] && [ ! -d "$f" ] && present="$present $f"
done < <(cat "$SCRATCH/fcgi.contents" "$SCRATCH/check.contents" \
    "$SCRATCH/report.contents")
# Nor the receiver's store: purge would be checked against it.
if [ -e /var/lib/mta-sts-report ]; then
	notok "refusing to install: /var/lib/mta-sts-report exists already"
	exit 1
fi
if [ -n "$present" ]; then
	notok "refusing to install: these files exist already:$present"
	exit 1
fi

# Install.
INSTALLED=1
STORE_MADE=1
dpkg_run -i "$DEB_FCGI" "$DEB_CHECK" "$DEB_REPORT"
rc=$?
check_eq "dpkg -i the three packages" 0 $rc
[ $rc -eq 0 ] || sed 's/^/#   /' "$SCRATCH/dpkg.out"
for p in "${PKGS[@]}"; do
	check_eq "$p: installed, version $VERSION" \
	    "install ok installed $VERSION" \
	    "$(status "$p") $(dpkg-query -W -f '${Version}' "$p" 2>&1)"
done
check_eq "the conffile is registered (dpkg's conffiles list)" "$CONF" \
    "$(cat /var/lib/dpkg/info/mta-sts-fcgi.conffiles 2>&1)"
check_eq "the conffile is registered with the shipped file's md5sum" \
    "$CONF $(md5sum <etc/mta-sts-fcgi.ini | cut -d' ' -f1)" \
    "$(dpkg-query -W -f '${Conffiles}' mta-sts-fcgi | sed 's/^ //')"
check_file "the installed config is etc/mta-sts-fcgi.ini" etc/mta-sts-fcgi.ini "$CONF"
dpkg -L "${PKGS[@]}" | sort -u >"$SCRATCH/files"
check_eq "mta-sts-report's postinst made its system user and group (or kept one)" \
    "mta-sts-report /var/lib/mta-sts-report /usr/sbin/nologin mta-sts-report" \
    "$(getent passwd mta-sts-report | awk -F: '{ print $1, $6, $7 }') $(id -gn mta-sts-report 2>&1)"
check_eq "and the store's directory, its own, 0750" "mta-sts-report:mta-sts-report 750" \
    "$(stat -c '%U:%G %a' /var/lib/mta-sts-report 2>&1)"

# The quiet install: no unit enabled, nothing listening.
if [ -d /run/systemd/system ]; then
	check_eq "systemctl: neither unit is enabled" "disabled disabled" \
	    "$(systemctl is-enabled mta-sts-fcgi.socket mta-sts-fcgi.service | xargs)"
	check_eq "systemctl: neither unit is active" "inactive inactive" \
	    "$(systemctl is-active mta-sts-fcgi.socket mta-sts-fcgi.service | xargs)"
else
	echo "# systemd is not PID 1 here ($(ps -p 1 -o comm=)): postinst skips" \
	    "systemctl; checked the links and deb-systemd-helper's state instead"
fi
check_eq "no link to any unit under /etc/systemd/system" "" \
    "$(find /etc/systemd/system -name 'mta-sts-fcgi.*' -o -name 'mta-sts-report.*' 2>&1)"
# deb-systemd-helper answers only "from dpkg", as maintainer scripts call
# it; first, that it does say "enabled" for a unit enabled here.
dsh() {
	DPKG_MAINTSCRIPT_PACKAGE=${DSH_PACKAGE:-mta-sts-fcgi} \
	    deb-systemd-helper --quiet "$@"
}
for l in /etc/systemd/system/multi-user.target.wants/*.service; do
	[ -L "$l" ] || continue
	u=${l##*/}
	DSH_PACKAGE=$(dpkg-query -S "$l" 2>/dev/null | cut -d: -f1)
	[ -n "$DSH_PACKAGE" ] || DSH_PACKAGE=${u%.service}
	dsh is-enabled "$u"
	check_eq "deb-systemd-helper is-enabled: 0 for $u, enabled here" 0 $?
	DSH_PACKAGE=
	break
done
for u in mta-sts-fcgi.socket mta-sts-fcgi.service; do
	dsh is-enabled "$u"
	check_eq "deb-systemd-helper is-enabled $u: no" 1 $?
	dsh was-enabled "$u"
	check_eq "deb-systemd-helper was-enabled $u: no" 1 $?
done
check_eq "nothing listens on the unit's socket" no \
    "$([ -e /run/mta-sts-fcgi/mta-sts-fcgi.sock ] && echo yes || echo no)"
running() {	# running: PIDs whose program is the installed responder
	local p
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/exe" 2>/dev/null)" = /usr/sbin/mta-sts-fcgi ] &&
		    echo "${p#/proc/}"
	done | xargs
}
check_eq "no process runs /usr/sbin/mta-sts-fcgi" "" "$(running)"

# The maintainer scripts as they would run on a systemd host.  systemd
# cannot run here, so a private mount namespace gets a /run with
# /run/systemd/system (the scripts' "systemd is PID 1" test) and no
# policy-rc.d (this container's says 101, "never start anything"), and a
# stand-in systemctl first in PATH answers is-enabled/is-active from a
# table and logs every call.  deb-systemd-invoke and deb-systemd-helper
# are the real ones: what is checked is what they decide.
fake=$SCRATCH/fake-systemd
mkdir -p "$fake/bin"
cat >"$fake/bin/systemctl" <<'EOS'
#!/bin/sh
# systemctl stand-in: logs "VERB UNIT..." to $FAKE_LOG; is-enabled and
# is-active answer from $FAKE_STATE lines "UNIT enabled|disabled active|inactive".
verb= units=
for a; do
	case $a in -*) ;; *) if [ -z "$verb" ]; then verb=$a; else units="$units $a"; fi ;; esac
done
echo "$verb$units" >>"$FAKE_LOG"
u=${units# }
case $verb in
is-enabled)
	st=$(awk -v u="$u" '$1 == u { print $2 }' "$FAKE_STATE")
	echo "${st:-disabled}"
	[ "$st" = enabled ] ;;
is-active)
	[ "$(awk -v u="$u" '$1 == u { print $3 }' "$FAKE_STATE")" = active ] ;;
*)	exit 0 ;;
esac
EOS
chmod 0755 "$fake/bin/systemctl"
# maintscript SCRIPT ARGS...: runs mta-sts-fcgi's installed SCRIPT in
# that world; prints the stand-in's log as one line, "VERB UNITS; ...".
maintscript() {
	local script=$1
	shift
	: >"$fake/log"
	# shellcheck disable=SC2016 # the script's $0 and $@ are that sh's
	FAKE_LOG=$fake/log FAKE_STATE=$fake/state PATH=$fake/bin:$PATH \
	    DPKG_MAINTSCRIPT_PACKAGE=mta-sts-fcgi DPKG_MAINTSCRIPT_NAME=$script \
	    unshare -m sh -c '
		mount -t tmpfs tmpfs /run || exit 90
		mkdir -p /run/systemd/system
		if [ -e /usr/sbin/policy-rc.d ]; then
			mount --bind /dev/null /usr/sbin/policy-rc.d || exit 91
		fi
		exec sh "/var/lib/dpkg/info/mta-sts-fcgi.$0" "$@"' \
	    "$script" "$@" >"$fake/out" 2>&1 ||
	    echo "maintscript $script failed: $(cat "$fake/out")"
	paste -sd';' "$fake/log" | sed 's/;/; /g'
}
printf '%s\n' "mta-sts-fcgi.socket disabled inactive" \
    "mta-sts-fcgi.service disabled inactive" >"$fake/state"
check_eq "systemd host, fresh install: postinst starts nothing (both disabled)" \
    "daemon-reload; is-enabled mta-sts-fcgi.service; is-active mta-sts-fcgi.service; is-enabled mta-sts-fcgi.socket; is-active mta-sts-fcgi.socket" \
    "$(maintscript postinst configure '')"
printf '%s\n' "mta-sts-fcgi.socket enabled active" \
    "mta-sts-fcgi.service disabled active" >"$fake/state"
check_eq "systemd host, upgrade, socket enabled, service running: both restarted" \
    "daemon-reload; is-enabled mta-sts-fcgi.service; is-active mta-sts-fcgi.service; is-enabled mta-sts-fcgi.socket; is-active mta-sts-fcgi.socket; restart mta-sts-fcgi.service mta-sts-fcgi.socket" \
    "$(maintscript postinst configure 0.0.9)"
printf '%s\n' "mta-sts-fcgi.socket enabled active" \
    "mta-sts-fcgi.service disabled inactive" >"$fake/state"
check_eq "systemd host, upgrade, service idle: only the socket restarted" \
    "daemon-reload; is-enabled mta-sts-fcgi.service; is-active mta-sts-fcgi.service; is-enabled mta-sts-fcgi.socket; is-active mta-sts-fcgi.socket; restart mta-sts-fcgi.socket" \
    "$(maintscript postinst configure 0.0.9)"
check_eq "systemd host, upgrade: prerm stops nothing (restarted after)" "" \
    "$(maintscript prerm upgrade 0.1.0)"
check_eq "systemd host, remove: prerm stops both units" \
    "stop mta-sts-fcgi.service mta-sts-fcgi.socket" \
    "$(maintscript prerm remove)"
check_eq "after the stand-in runs: still no link to either unit" "" \
    "$(find /etc/systemd/system -name 'mta-sts-fcgi.*' 2>&1)"

# The installed programs and pages.
out=$(/usr/sbin/mta-sts-fcgi -V 2>&1)
check_eq "/usr/sbin/mta-sts-fcgi -V: the version" "0 mta-sts-fcgi $VERSION" "$? $out"
/usr/sbin/mta-sts-fcgi -t -c "$CONF" >/dev/null 2>"$SCRATCH/t.err"
check_eq "mta-sts-fcgi -t -c $CONF (the shipped example)" \
    "0 mta-sts-fcgi: $CONF: configuration OK" "$? $(tail -1 "$SCRATCH/t.err")"
/usr/sbin/mta-sts-fcgi -t >/dev/null 2>"$SCRATCH/t.err"
check_eq "mta-sts-fcgi -t: the default config is $CONF" \
    "0 mta-sts-fcgi: $CONF: configuration OK" "$? $(tail -1 "$SCRATCH/t.err")"
out=$(/usr/bin/mta-sts-check -V 2>&1)
check_eq "/usr/bin/mta-sts-check -V: the version" "0 mta-sts-check $VERSION" "$? $out"
/usr/bin/mta-sts-check -j 0 >/dev/null 2>&1
check_eq "mta-sts-check -j 0: a usage error, exit 3" 3 $?
out=$(/usr/sbin/mta-sts-report -V 2>&1)
check_eq "/usr/sbin/mta-sts-report -V: the version" "0 mta-sts-report $VERSION" "$? $out"
/usr/sbin/mta-sts-report -t >/dev/null 2>"$SCRATCH/t.err"
check_eq "mta-sts-report -t: the default config is $CONF" \
    "0 mta-sts-report: $CONF: configuration OK" "$? $(tail -1 "$SCRATCH/t.err")"
check_eq "each installed page's .Dt names the section it is installed in" \
    ".Dt MTA-STS-CHECK 1|.Dt MTA-STS-FCGI.INI 5|.Dt MTA-STS-FCGI 8|.Dt MTA-STS-PUBLISH 8|.Dt MTA-STS-REPORT 8" \
    "$(zcat /usr/share/man/man1/mta-sts-check.1.gz \
        /usr/share/man/man5/mta-sts-fcgi.ini.5.gz \
        /usr/share/man/man8/mta-sts-fcgi.8.gz \
        /usr/share/man/man8/mta-sts-publish.8.gz \
        /usr/share/man/man8/mta-sts-report.8.gz 2>&1 | grep '^\.Dt ' | paste -sd'|')"
check_eq "no installed page, unit or example names /usr/local" "" \
    "$(grep -E '/man/.*\.gz$|/examples/.+\.|\.socket$|\.service$' "$SCRATCH/files" |
        while read -r f; do
            [ -f "$f" ] && zcat -f "$f" | grep -l --label="$f" /usr/local
        done)"

# The autopkgtest, against the installed packages, as root and (the way
# autopkgtest runs tests without needs-root) as an unprivileged user.
mkdir -p "$SCRATCH/autopkgtest-root" "$SCRATCH/autopkgtest-nobody"
chown nobody: "$SCRATCH/autopkgtest-nobody"
chmod 0711 "$SCRATCH"
install -m 0755 debian/tests/smoke "$SCRATCH/smoke"	# readable by nobody
check_eq "debian/tests/control runs the smoke test with libfcgi-bin" \
    "Tests: smoke|Depends: @, libfcgi-bin" \
    "$(grep -E '^(Tests|Depends):' debian/tests/control | paste -sd'|')"
AUTOPKGTEST_TMP=$SCRATCH/autopkgtest-root "$SCRATCH/smoke" \
    >"$SCRATCH/smoke-root" 2>&1
rc=$?
sed 's/^\(not \)\{0,1\}ok - /&autopkgtest (root): /' "$SCRATCH/smoke-root"
check_eq "autopkgtest smoke as root: exit 0" 0 $rc
setpriv --reuid=nobody --regid=nogroup --clear-groups env \
    AUTOPKGTEST_TMP="$SCRATCH/autopkgtest-nobody" HOME=/ \
    "$SCRATCH/smoke" >"$SCRATCH/smoke-nobody" 2>&1
rc=$?
sed 's/^\(not \)\{0,1\}ok - /&autopkgtest (nobody): /' "$SCRATCH/smoke-nobody"
check_eq "autopkgtest smoke as nobody: exit 0" 0 $rc

# The installed units: paths of the package, verified, and run as
# systemd would, behind the installed nginx example.
check_eq "the service runs the installed binary on the installed config" \
    "/usr/sbin/mta-sts-fcgi -t -c $CONF|/usr/sbin/mta-sts-fcgi -c $CONF" \
    "$(unit_value $UNITS/mta-sts-fcgi.service ExecStartPre)|$(unit_value $UNITS/mta-sts-fcgi.service ExecStart)"
listen=$(unit_value $UNITS/mta-sts-fcgi.socket ListenStream)
check_eq "the socket unit listens where the nginx example passes" \
    "fastcgi_pass unix:$listen;" \
    "$(grep -o 'fastcgi_pass [^ ]*;' $EXAMPLES/nginx/mta-sts.conf)"
out=$(systemd-analyze verify --man=no $UNITS/mta-sts-fcgi.socket \
    $UNITS/mta-sts-fcgi.service $UNITS/mta-sts-report.socket \
    $UNITS/mta-sts-report.service 2>&1)
check_eq "systemd-analyze verify the installed units: no complaint" "0 " "$? $out"
check_eq "the receiver's service runs the installed binary on the installed config, as its user" \
    "/usr/sbin/mta-sts-report -c $CONF -t|/usr/sbin/mta-sts-report -c $CONF|mta-sts-report" \
    "$(unit_value $UNITS/mta-sts-report.service ExecStartPre)|$(unit_value $UNITS/mta-sts-report.service ExecStart)|$(unit_value $UNITS/mta-sts-report.service User)"

# The admin writes a real config (frontend.sh's two domains): it is now a
# changed conffile, which the reinstall and upgrades below must keep.
frontend_setup
cp "$FE_CONF" "$CONF"
cp "$CONF" "$SCRATCH/admin.ini"
pre=$(unit_value $UNITS/mta-sts-fcgi.service ExecStartPre)
exe=$(unit_value $UNITS/mta-sts-fcgi.service ExecStart)
# shellcheck disable=SC2086
$pre >/dev/null 2>&1
check_eq "ExecStartPre (the config check) passes on the admin's config" 0 $?
sock=$WWW/run/mta-sts-fcgi.sock	# not the real path: this is a test
# shellcheck disable=SC2086
start sd systemd-socket-activate -l "$sock" -- $exe
sd=$LAST_PID
wait_for test -S "$sock"
if nginx_start deb "unix:$sock" $EXAMPLES/nginx/mta-sts.conf; then
	frontend_checks "installed units + nginx example" "$NGINX_URL"
	check_eq "socket activation: the service is systemd-socket-activate's PID" \
	    /usr/sbin/mta-sts-fcgi "$(readlink /proc/"$sd"/exe)"
	stop "$NGINX_PID"
fi
workers=$(ps -o pid= --ppid "$sd" | xargs)
check_eq "the service runs its workers" yes "$([ -n "$workers" ] && echo yes)"
kill -TERM "$sd"
wait_gone "$sd" 10
check_eq "SIGTERM (as systemctl stop): the service stops within a second" 0 $?
for w in $workers; do
	wait_gone "$w" 10 || notok "worker $w outlived its supervisor"
done
check_eq "no process runs /usr/sbin/mta-sts-fcgi after the stop" "" "$(running)"

# Reinstall, then upgrade to a higher version with the same conffile:
# dpkg keeps the admin's config without asking (stdin is /dev/null, so a
# prompt would fail the install).
dpkg_run -i "$DEB_FCGI" "$DEB_CHECK" "$DEB_REPORT"
check_eq "dpkg -i the same version again" 0 $?
check_file "reinstall: the admin's config is kept" "$SCRATCH/admin.ini" "$CONF"

# repack DEB VERSION OUT [CONF]: DEB with another version (and, with
# CONF, another shipped config), as a later build would be.
repack() {
	local d=$SCRATCH/repack
	rm -rf "$d"
	dpkg-deb -R "$1" "$d" || return 1
	sed -i "s/^Version: .*/Version: $2/" "$d/DEBIAN/control"
	if [ -n "${4:-}" ]; then
		cp "$4" "$d/etc/mta-sts-fcgi.ini"
		(cd "$d" && find . -path ./DEBIAN -prune -o -path ./etc -prune -o \
		    -type f -printf '%P\0' | xargs -0 md5sum >DEBIAN/md5sums)
	fi
	dpkg-deb --root-owner-group -b "$d" "$3" >/dev/null
}
V1=$VERSION+test1
V2=$VERSION+test2
repack "$DEB_FCGI" "$V1" "$SCRATCH/fcgi-1.deb" &&
    repack "$DEB_CHECK" "$V1" "$SCRATCH/check-1.deb" &&
    repack "$DEB_REPORT" "$V1" "$SCRATCH/report-1.deb"
check_eq "repacked the three packages as $V1" 0 $?
echo stored >/var/lib/mta-sts-report/admin-data
dpkg_run -i "$SCRATCH/fcgi-1.deb" "$SCRATCH/check-1.deb" "$SCRATCH/report-1.deb"
check_eq "upgrade to $V1 (same conffile): no prompt, exit 0" 0 $?
check_eq "upgrade to $V1: the three packages at $V1" "$V1 $V1 $V1" \
    "$(dpkg-query -W -f '${Version} ' "${PKGS[@]}" | xargs)"
check_file "upgrade to $V1: the admin's config is kept" "$SCRATCH/admin.ini" "$CONF"
check_eq "upgrade to $V1: no .dpkg-* copy beside it" "" \
    "$(ls $CONF.* 2>/dev/null)"

# An upgrade whose own conffile changed too: with --force-confold (what
# apt's -o Dpkg::Options::=--force-confold does), the admin's file stays
# and the package's new one is put beside it as .dpkg-dist.
{ cat etc/mta-sts-fcgi.ini; echo "; changed in $V2"; } >"$SCRATCH/new.ini"
repack "$DEB_FCGI" "$V2" "$SCRATCH/fcgi-2.deb" "$SCRATCH/new.ini"
check_eq "repacked mta-sts-fcgi as $V2 with a changed config" 0 $?
dpkg_run -i --force-confold "$SCRATCH/fcgi-2.deb"
check_eq "upgrade to $V2 (changed conffile) with --force-confold" 0 $?
check_file "upgrade to $V2: the admin's config is kept" "$SCRATCH/admin.ini" "$CONF"
check_file "upgrade to $V2: the package's new config is $CONF.dpkg-dist" \
    "$SCRATCH/new.ini" "$CONF.dpkg-dist"
check_eq "upgrade to $V2: dpkg records the new config's md5sum" \
    "$CONF $(md5sum <"$SCRATCH/new.ini" | cut -d' ' -f1)" \
    "$(dpkg-query -W -f '${Conffiles}' mta-sts-fcgi | sed 's/^ //')"
check_eq "upgrades: the store's directory and what is in it are kept" \
    "mta-sts-report:mta-sts-report 750 stored" \
    "$(stat -c '%U:%G %a' /var/lib/mta-sts-report 2>&1) $(cat /var/lib/mta-sts-report/admin-data 2>&1)"
dpkg -L "${PKGS[@]}" | sort -u >"$SCRATCH/files2"
check_file "upgrades: the packages' file lists are unchanged" \
    "$SCRATCH/files" "$SCRATCH/files2"

# Remove keeps the config; purge removes everything.
dpkg_run --remove "${PKGS[@]}"
check_eq "dpkg --remove the three" 0 $?
check_eq "remove: the programs are gone" "no no no" \
    "$([ -e /usr/sbin/mta-sts-fcgi ] && echo yes || echo no) $([ -e /usr/bin/mta-sts-check ] && echo yes || echo no) $([ -e /usr/sbin/mta-sts-report ] && echo yes || echo no)"
check_file "remove: the admin's config stays" "$SCRATCH/admin.ini" "$CONF"
check_eq "remove: mta-sts-fcgi is left as config-files" \
    "deinstall ok config-files" "$(status mta-sts-fcgi)"
dpkg_run --purge "${PKGS[@]}"
rc=$?
check_eq "dpkg --purge the three" 0 $rc
check_eq "purge: the store's directory with the admin's data in it is kept" \
    "stored" "$(cat /var/lib/mta-sts-report/admin-data 2>&1)"
rm -f /var/lib/mta-sts-report/admin-data
# Again on an empty directory: purge removes it.
dpkg_run -i "$DEB_REPORT" && dpkg_run --purge mta-sts-report
check_eq "install and purge mta-sts-report again: the empty store directory is removed" \
    "0 no" "$? $([ -e /var/lib/mta-sts-report ] && echo yes || echo no)"
[ $rc -eq 0 ] && INSTALLED=
left=
while read -r f; do
	[ "$f" = /. ] && continue
	if [ -d "$f" ]; then
		# A directory may stay if another package owns it (/usr/sbin).
		dpkg-query -S "$f" >/dev/null 2>&1 || left="$left $f"
	elif [ -e "$f" ] || [ -L "$f" ]; then
		left="$left $f"
	fi
done <"$SCRATCH/files"
check_eq "purge: nothing of the $(wc -l <"$SCRATCH/files") paths dpkg -L listed is left" \
    "" "$left"
check_eq "purge: $CONF and its .dpkg-* copies are gone" "" \
    "$(ls -d $CONF $CONF.* 2>/dev/null)"
check_eq "purge: dpkg has no record of any package" "not-installed not-installed not-installed " \
    "$(status mta-sts-fcgi) $(status mta-sts-check) $(status mta-sts-report) $(for f in /var/lib/dpkg/info/mta-sts-fcgi[.:]* /var/lib/dpkg/info/mta-sts-check[.:]* /var/lib/dpkg/info/mta-sts-report[.:]*; do
        [ -e "$f" ] && echo "$f"; done)"
check_eq "purge: deb-systemd-helper keeps no state for the units" "" \
    "$(find /var/lib/systemd/deb-systemd-helper-enabled \
        /var/lib/systemd/deb-systemd-helper-masked -name '*mta-sts-fcgi*' 2>/dev/null)"
