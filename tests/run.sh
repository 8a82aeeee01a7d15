#!/bin/bash
# SPDX-License-Identifier: ISC
# Runs the test suites, shows failures, and ends with the totals.  The
# one list of suites is here: make check runs "all", make check-fast
# "plain"; tests/run.sh -l prints them.
#
# A suite is a name (unit, fuzz, or NAME-VARIANT for tests/NAME/run-
# VARIANT.sh, NAME for tests/NAME/run.sh), optionally prefixed by a
# variant:
#   asan:NAME      against the AddressSanitizer+UBSan build (build/asan);
#                  any sanitizer report fails the suite
#   valgrind:NAME  the responder under valgrind memcheck; any error or
#                  definite leak fails the suite
# Each suite prints "ok - ..." / "not ok - ..." lines; its whole output is
# kept in tests/out/<suite>.log.
# usage: tests/run.sh [-l] [all | plain | suite ...]   (default: all)
set -u
cd "$(dirname "$0")/.." || exit 1
TOP=$(pwd)

# The plain build's suites, then what only make check adds.
plain="unit conf cli e2e-modes e2e-nginx e2e-cgi e2e-apache e2e-lighttpd
e2e-spawn e2e-systemd e2e-makerun e2e-reload faults check check-dane update
publish install deb report-cli report-mail report-https report-budget
report-summary report-html report-metrics report-pg-store report-pg"
all="$plain fuzz
asan:unit asan:conf asan:e2e-modes asan:e2e-nginx asan:e2e-cgi asan:faults
asan:e2e-reload asan:check asan:check-dane asan:report-cli asan:report-https
asan:report-summary asan:report-html asan:report-metrics asan:report-pg-store
asan:report-pg
valgrind:e2e-modes valgrind:e2e-nginx valgrind:e2e-cgi"
listonly=
if [ "${1:-}" = -l ]; then
	listonly=1
	shift
fi
suites=
for a in "${@:-all}"; do
	case $a in
	all)	suites="$suites $all" ;;
	plain)	suites="$suites $plain" ;;
	*)	suites="$suites $a" ;;
	esac
done
if [ -n "$listonly" ]; then
	echo $suites
	exit 0
fi
mkdir -p tests/out

# run_suite NAME LOG: runs one suite with the environment already set.
run_suite() {
	case $1 in
	unit)
		# One binary per tests/unit/test_*.c: a missing one fails.
		for c in tests/unit/test_*.c; do
			t=$TOP/${O:-build}/${c%.c}
			if [ ! -x "$t" ]; then
				echo "not ok - $t is not built" >>"$2"
				continue
			fi
			"$t" >>"$2" 2>&1 ||
			    echo "not ok - $t exited with status $?" >>"$2"
		done ;;
	fuzz)
		flog=$2
		for t in conf route wire check image report; do
			f=build/fuzz/fuzz_$t
			if [ ! -x "$f" ]; then
				echo "not ok - $f is not built" >>"$flog"
				continue
			fi
			set -- tests/fuzz/corpus/$t/*
			[ $t = conf ] && set -- "$@" tests/conf/good/*.ini \
			    tests/conf/bad/*.ini
			if "$f" "$@" >"$flog.$t" 2>&1; then
				echo "ok - fuzz_$t replays its $# corpus inputs" \
				    >>"$flog"
			else
				echo "not ok - fuzz_$t failed on its corpus" \
				    >>"$flog"
				tail -30 "$flog.$t" | sed 's/^/#   /' >>"$flog"
			fi
		done ;;
	*)
		bash "tests/${1%%-*}/run${1#"${1%%-*}"}.sh" >>"$2" 2>&1 ||
		    grep -q '^not ok' "$2" ||
		    echo "not ok - suite $1 failed: see $2" >>"$2" ;;
	esac
}

total_pass=0
total_fail=0
for s in $suites; do
	name=${s#*:}
	variant=
	case $s in *:*) variant=${s%%:*} ;; esac
	log=tests/out/${s/:/-}.log
	: >"$log"
	(
		case $variant in
		asan)
			export O=build/asan
			reports=$TOP/tests/out/asan-reports
			rm -rf "$reports"
			mkdir -p "$reports"
			chmod 0777 "$reports"	# workers run as www-data
			export ASAN_OPTIONS="log_path=$reports/asan:detect_leaks=1:abort_on_error=0"
			export UBSAN_OPTIONS="log_path=$reports/ubsan:print_stacktrace=1"
			run_suite "$name" "$log"
			for r in "$reports"/*; do
				[ -e "$r" ] || continue
				echo "not ok - sanitizer report $(basename "$r")"
				sed 's/^/#   /' "$r" | head -30
			done >>"$log"
			[ -z "$(ls -A "$reports")" ] &&
			    echo "ok - no sanitizer reports" >>"$log" ;;
		valgrind)
			vg=$TOP/tests/out/valgrind
			rm -rf "$vg"
			mkdir -p "$vg"
			chmod 0777 "$vg"
			# A wrapper with the paths baked in: CGI tests clear
			# the environment.
			cat >"$vg/mta-sts-fcgi" <<EOW
#!/bin/sh
exec valgrind -q --error-exitcode=99 --leak-check=full \
    --errors-for-leak-kinds=definite --show-leak-kinds=definite \
    --log-file=$vg/vg.%p "$TOP/build/mta-sts-fcgi" "\$@"
EOW
			chmod 0755 "$vg/mta-sts-fcgi"
			export BIN=$vg/mta-sts-fcgi TIME_SCALE=10 VALGRIND=1
			run_suite "$name" "$log"
			for r in "$vg"/vg.*; do
				# valgrind 3.19 does not know seccomp(2) (317);
				# libseccomp then loads the worker's filter
				# with prctl(2), which it does know.
				sed -i '/unhandled amd64-linux syscall: 317$/,+4d' "$r"
				[ -s "$r" ] || continue
				echo "not ok - valgrind: $(basename "$r")"
				sed 's/^/#   /' "$r" | head -30
			done >>"$log"
			echo "ok - valgrind logs checked" >>"$log" ;;
		*)
			run_suite "$name" "$log" ;;
		esac
	)
	pass=$(grep -c '^ok' "$log")
	fail=$(grep -c '^not ok' "$log")
	if [ "$pass" -eq 0 ] && [ "$fail" -eq 0 ]; then
		echo "not ok - suite $s ran no test: see $log" >>"$log"
		fail=1
	fi
	printf '%-20s %4d passed, %d failed\n' "$s:" "$pass" "$fail"
	# Show what failed, with the lines that explain it.
	awk '/^not ok/ { show = 1; print "    " $0; next }
	    /^#/ && show { print "    " $0; next } { show = 0 }' "$log"
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
done
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
