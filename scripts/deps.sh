#!/bin/sh
# SPDX-License-Identifier: ISC
# Installs the Debian packages that a make target needs and are missing.
# As root it runs apt-get; otherwise it prints the exact command and fails.
# usage: deps.sh build|run|check|bench|deb
set -eu

# libcurl, OpenSSL and glibc's resolver (libc6-dev) are for mta-sts-check;
# knot, knsupdate, nsupdate and dig for the -U tests (tests/update);
# for mta-sts-report: jansson and zlib (report bodies, fuzz_report), SQLite
# and libpq (the store's two backends), GMime and libopendkim (mail), and the sqlite3 and jq
# programs its tests read stores with (tests/report); html's suite renders
# pages in chromium, parses them with python3-html5lib and reads the
# printed PDF with pdftotext (poppler-utils).  report-pg's suite and the
# benchmarks run a throwaway cluster of postgresql-15 (initdb and pg_ctl,
# never the system's cluster).
build="gcc make pkg-config libc6-dev libfcgi-dev libinih-dev libmd-dev
	libseccomp-dev libcurl4-openssl-dev libssl-dev
	libjansson-dev zlib1g-dev libsqlite3-dev libgmime-3.0-dev
	libopendkim-dev libpq-dev"
# make deb: the build dependencies above (debian/control's) and the tools
# that build and check the packages (dpkg-buildpackage needs no fakeroot:
# Rules-Requires-Root: no).  tests/deb adds blhc (the build log's flags)
# and libfcgi-bin (the autopkgtest's cgi-fcgi).
deb="$build debhelper dpkg-dev lintian"
case "${1:-build}" in
build)	want="$build" ;;
run)	want="$build nginx curl" ;;
check)	want="$build nginx curl spawn-fcgi systemd python3 clang libclang-rt-14-dev valgrind
	    apache2 libapache2-mod-fcgid lighttpd mandoc
	    iproute2 dnsmasq-base openssl python3-aiosmtpd
	    knot knot-dnsutils bind9-dnsutils unbound sqlite3 jq
	    postfix opendkim python3-dkim
	    chromium python3-html5lib poppler-utils
	    prometheus python3-prometheus-client faketime postgresql-15
	    $deb blhc libfcgi-bin" ;;
bench)	want="$build nginx curl apache2 libapache2-mod-fcgid wrk php8.2-fpm
	    fcgiwrap gnuplot-nox valgrind python3 time sqlite3
	    iproute2 dnsmasq-base openssl python3-dkim postgresql-15" ;;
deb)	want="$deb" ;;
*)	echo "usage: $0 build|run|check|bench|deb" >&2; exit 2 ;;
esac

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "deps: not a Debian system; make sure these are installed: $want" >&2
	exit 0
fi

missing=
for p in $want; do
	case " $missing " in *" $p "*) continue ;; esac
	if ! dpkg-query -W -f '${Status}\n' "$p" 2>/dev/null |
	    grep -q ' installed$'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

cmd="apt-get update && apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing Debian packages:$missing" >&2
	echo "deps: run as root: $cmd" >&2
	exit 1
fi
echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# tests/report (HACKING.md): Postfix with debconf's "No configuration"
# writes no /etc/postfix/main.cf, so neither its init script nor its
# systemd unit starts a system Postfix; the suite runs its own.
case " $missing " in *" postfix "*)
	echo "postfix postfix/main_mailer_type select No configuration" |
	    debconf-set-selections ;;
esac
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
# opendkim's package enables and starts its service; the suite runs its
# own as a milter, so a system one is stopped and disabled.  prometheus
# is installed for promtool alone (tests/report/run-metrics.sh checks
# the metrics with it): no Prometheus server is left running either.
# postgresql-15 makes and starts a "main" cluster; tests/report/run-pg.sh
# runs a throwaway cluster of its own, so a main cluster installed here
# is not left running (one that was there before is not touched).
for s in opendkim prometheus postgresql-15; do
	case " $missing " in *" $s "*)
		unit=$s
		[ $s = postgresql-15 ] && unit=postgresql
		if [ -d /run/systemd/system ]; then
			systemctl disable --now $unit.service >/dev/null 2>&1 || :
		elif [ $s = postgresql-15 ]; then
			# Without systemd, invoke-rc.d may have started it.
			pg_ctlcluster 15 main stop >/dev/null 2>&1 || :
		fi ;;
	esac
done
