# SPDX-License-Identifier: ISC
# shellcheck shell=bash
# Shared by the shell test suites and the benchmarks: assertions that
# print "ok - ..." or "not ok - ..." with the difference, a scratch
# directory removed on exit, and helpers to start and stop servers by PID
# with bounded waits.  Sourced from the project root, before the other
# helpers of tests/lib/.

TOP=$(pwd)
# O=build/asan (tests/run.sh) tests another build; BIN may be a wrapper.
BIN=${BIN:-$TOP/${O:-build}/mta-sts-fcgi}
CLIENT=${CLIENT:-$TOP/${O:-build}/tests/tools/fcgi-client}
# The policy bodies the suites expect (see tests/expected/README).
# shellcheck disable=SC2034 # read by the suites that source this
EXPECTED=$TOP/tests/expected
# Waits are hang detectors, not timings: valgrind runs them slower.
SCALE=${TIME_SCALE:-1}
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/mta-sts-fcgi-test.XXXXXX")
PIDS=

cleanup() {
	for pid in $PIDS; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in $PIDS; do
		wait_gone "$pid" 50 || kill -KILL "$pid" 2>/dev/null
	done
	rm -rf "$SCRATCH"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; }

# need FILE...: each program a suite runs must have been built; a missing
# one fails the suite loudly instead of skipping tests in silence.
need() {
	local f missing=0
	for f in "$@"; do
		if [ ! -x "$f" ]; then
			notok "$f is not built (make check builds every test" \
			    "binary; make check-fast the plain ones)"
			missing=1
		fi
	done
	[ "$missing" = 0 ] || exit 1
}

# response BODY_FILE [head]: what the program writes for a policy: the
# CGI headers, then the body (not for "head").
response() {
	printf 'Status: 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\n\r\n' \
	    "$(wc -c <"$1")"
	[ "${2:-}" = head ] || cat "$1"
}

# check_eq NAME WANT GOT
check_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		notok "$1"
		echo "#   want: $2"
		echo "#   got:  $3"
	fi
}

# check_file NAME WANT_FILE GOT_FILE: byte-exact, with a readable diff.
check_file() {
	if cmp -s "$2" "$3"; then
		ok "$1"
	else
		notok "$1"
		diff -u "$2" "$3" 2>&1 | sed 's/\r/\\r/g; s/^/#   /' | head -40
	fi
}

# within TENTHS CMD...: true once CMD succeeds, tried every 50 ms for
# TENTHS/10 s (times TIME_SCALE); the one bounded wait of the suites.
within() {
	local i=0 n=$(($1 * 2 * SCALE))
	shift
	until "$@"; do
		i=$((i + 1))
		[ $i -ge $n ] && return 1
		sleep 0.05
	done
	return 0
}

# wait_for CMD...: retries a command, quietly, for up to 5 s.
wait_for() {
	within 50 "$@" >/dev/null 2>&1
}

# gone PID: true if PID has exited (a zombie child counts as gone).
gone() {
	kill -0 "$1" 2>/dev/null || return 0
	case $(ps -o stat= -p "$1" 2>/dev/null) in Z*) return 0 ;; esac
	return 1
}

# wait_gone PID TENTHS: true once PID has exited, within TENTHS/10 s.
wait_gone() {
	within "$2" gone "$1"
}

# start NAME CMD...: runs CMD in the background, in a session of its own
# (Apache signals its whole process group when it stops), and remembers
# its PID in $LAST_PID and in the cleanup list.
start() {
	local name=$1
	shift
	setsid "$@" >"$SCRATCH/$name.out" 2>"$SCRATCH/$name.err" &
	LAST_PID=$!
	PIDS="$PIDS $LAST_PID"
}

# stop PID: SIGTERM, then up to 2 s; SIGKILL only as a last resort (and
# then it fails the check, since nothing of ours should need it).
stop() {
	kill -TERM "$1" 2>/dev/null
	if wait_gone "$1" 20; then
		return 0
	fi
	kill -KILL "$1" 2>/dev/null
	return 1
}

# free_port: a loopback TCP port nobody listens on, below the kernel's
# ephemeral range (a client connection may hold any port in that range,
# and a server could not bind it).
free_port() {
	local p low
	low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
	[ "${low:-0}" -gt 11000 ] || low=32768
	while :; do
		p=$(( $(od -An -N2 -tu2 /dev/urandom) % (low - 10000) + 10000 ))
		if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then
			echo "$p"
			return
		fi
	done
}
