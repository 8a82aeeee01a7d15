#!/bin/bash
# Runs every test suite, shows failures, and ends with the totals.
# Each suite prints "ok - ..." / "not ok - ..." lines; its full output is
# kept in tests/out/<suite>.log.
# usage: tests/run.sh [suite ...]   (default: all; names as listed below)
set -u
cd "$(dirname "$0")/.."
mkdir -p tests/out

suites="unit conf cli e2e-modes e2e-nginx e2e-cgi faults"
[ $# -gt 0 ] && suites="$*"

total_pass=0
total_fail=0
for s in $suites; do
	log=tests/out/$s.log
	case $s in
	unit)
		: >"$log"
		for t in tests/unit/test_*; do
			case $t in *.c|*.h) continue ;; esac
			"$t" >>"$log" 2>&1 ||
			    grep -q '^not ok' "$log" ||
			    echo "not ok - $t exited with status $?" >>"$log"
		done ;;
	*)
		bash "tests/${s%%-*}/run${s#"${s%%-*}"}.sh" >"$log" 2>&1 ||
		    grep -q '^not ok' "$log" ||
		    echo "not ok - suite $s failed: see $log" >>"$log" ;;
	esac
	pass=$(grep -c '^ok' "$log")
	fail=$(grep -c '^not ok' "$log")
	if [ "$pass" -eq 0 ] && [ "$fail" -eq 0 ]; then
		echo "not ok - suite $s ran no test: see $log" >>"$log"
		fail=1
	fi
	printf '%-10s %4d passed, %d failed\n' "$s:" "$pass" "$fail"
	# Show what failed, with the lines that explain it.
	awk '/^not ok/ { show = 1; print "    " $0; next }
	    /^#/ && show { print "    " $0; next } { show = 0 }' "$log"
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
done
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
