#!/bin/bash
# SPDX-License-Identifier: ISC
# contrib/systemd: the units pass systemd-analyze verify, and the
# service's ExecStartPre/ExecStart, run as systemd would with the
# socket's ListenStream (systemd-socket-activate stands in for systemd,
# which tests cannot run), serve through nginx and stop on SIGTERM.
. tests/lib/suite.sh
. tests/lib/frontend.sh
need "$BIN" "$CLIENT"

frontend_setup
units=$SCRATCH/units
mkdir -p "$units"
substitute contrib/systemd/mta-sts-fcgi.service "$units/mta-sts-fcgi.service"
substitute contrib/systemd/mta-sts-fcgi.socket "$units/mta-sts-fcgi.socket"

if command -v systemd-analyze >/dev/null; then
	out=$(systemd-analyze verify --man=no "$units/mta-sts-fcgi.socket" \
	    "$units/mta-sts-fcgi.service" 2>&1)
	check_eq "systemd-analyze verify: no complaint" "0 " "$? $out"
fi

listen=$(unit_value "$units/mta-sts-fcgi.socket" ListenStream)
pre=$(unit_value "$units/mta-sts-fcgi.service" ExecStartPre)
exe=$(unit_value "$units/mta-sts-fcgi.service" ExecStart)
check_eq "the socket unit listens where the service expects" \
    "$WWW/run/fcgi.sock" "$listen"

# shellcheck disable=SC2086
$pre >/dev/null 2>&1
check_eq "ExecStartPre (the config check) succeeds" 0 $?
# shellcheck disable=SC2086
start sd systemd-socket-activate -l "$listen" -- $exe
sd=$LAST_PID
wait_for "$CLIENT" "unix:$listen" REQUEST_METHOD=GET
check_eq "socket activation: the service runs, fd 3 from LISTEN_FDS" \
    "$sd" "$(ours | cut -d' ' -f1)"
nginx_start sd "unix:$listen" && frontend_checks "systemd" "$NGINX_URL"
ngx=$NGINX_PID port=$NGINX_PORT
# ExecReload: SIGHUP to the main PID.
sed -i 's/^max_age = 86400/max_age = 172800/' "$FE_CONF"
kill -HUP "$sd"
sleep $((SCALE > 1 ? 3 : 1))
curl -s -H "Host: mta-sts.example.org" "http://127.0.0.1:$port$P" |
    grep -a '^max_age' | tr -d '\r' >"$SCRATCH/age"
check_eq "ExecReload (SIGHUP): the new config is served" "max_age: 172800" \
    "$(cat "$SCRATCH/age")"
stop "$ngx"
# systemd stops with SIGTERM (KillMode=mixed: the main process first).
kill -TERM "$sd"
wait_gone "$sd" 10
check_eq "SIGTERM: the service stops within a second" 0 $?
gone_within 10
check_eq "SIGTERM: no process of ours left" "" "$(ours)"

# The unit's own sandbox, as systemd applies it: an unprivileged user
# (DynamicUser=), no new privileges, and the allow-list of its
# SystemCallFilter= lines, expanded by systemd-analyze, where any other
# system call kills the process.  Our workers install a seccomp filter of
# their own inside it, so the unit must allow what that needs.
UNIT_FILTER=$TOP/${O:-build}/tests/tools/systemd-filter
need "$UNIT_FILTER"
sed -i 's/^max_age = 172800/max_age = 86400/' "$FE_CONF"	# as before the reload
# syscalls NAME...: system call names, groups expanded recursively.
syscalls() {
	local t
	for t in "$@"; do
		case $t in
		@*)	# shellcheck disable=SC2046
			syscalls $(systemd-analyze syscall-filter --no-pager "$t" |
			    sed -e 1d -e 's/#.*//') ;;
		*)	echo "$t" ;;
		esac
	done
}
# allow_list UNIT OUT: the unit's SystemCallFilter= lines in order, "~"
# ones taking names away, others adding them.
allow_list() {
	local v
	: >"$2"
	while IFS= read -r v; do
		v=${v#SystemCallFilter=}
		# shellcheck disable=SC2086
		case $v in
		\~*)	syscalls ${v#\~} | sort -u >"$2.deny"
			grep -vxFf "$2.deny" "$2" >"$2.new"
			mv "$2.new" "$2" ;;
		*)	syscalls $v >>"$2"
			sort -u -o "$2" "$2" ;;
		esac
	done < <(grep '^SystemCallFilter=' "$1")
}
# sandboxed NAME LIST: the unit's ExecStart under LIST, as nobody, on a
# socket of its own, started (as systemd does) by a first connection,
# which gets no answer if the workers die; its stderr in
# $SCRATCH/sdf-NAME.err.
sandboxed() {
	# shellcheck disable=SC2086
	start "sdf-$1" systemd-socket-activate -l "$WWW/run/$1.sock" -- \
	    setpriv --reuid=65534 --regid=65534 --clear-groups -- \
	    "$UNIT_FILTER" "$2" $exe
	SDF=$LAST_PID
	wait_for test -S "$WWW/run/$1.sock"
	timeout 3 "$CLIENT" "unix:$WWW/run/$1.sock" REQUEST_METHOD=GET \
	    "REQUEST_URI=$P" HTTP_HOST=mta-sts.example.org >/dev/null 2>&1
}
allow_list "$units/mta-sts-fcgi.service" "$SCRATCH/allow"
check_eq "the unit's filter allows the calls our own sandbox makes" \
    "prctl seccomp" "$(grep -xE 'prctl|seccomp' "$SCRATCH/allow" | tr '\n' ' ' | sed 's/ $//')"
sandboxed unit "$SCRATCH/allow"
sdf=$SDF
timeout 10 "$CLIENT" "unix:$WWW/run/unit.sock" REQUEST_METHOD=GET "REQUEST_URI=$P" \
    HTTP_HOST=mta-sts.example.org >"$SCRATCH/sdf.out" 2>&1
response "$SCRATCH/org.body" >"$SCRATCH/sdf.want"
check_file "under the unit's SystemCallFilter, as an unprivileged user: the policy" \
    "$SCRATCH/sdf.want" "$SCRATCH/sdf.out"
sleep $((SCALE > 1 ? 3 : 1))
check_eq "under the unit's SystemCallFilter: no worker killed" "" \
    "$(grep 'killed by signal' "$SCRATCH/sdf-unit.err")"
stop "$sdf"
check_eq "under the unit's SystemCallFilter: SIGTERM stops it" 0 $?
# The control: without seccomp(2) in the list, the workers die, and the
# test above would see it.
grep -vx seccomp "$SCRATCH/allow" >"$SCRATCH/allow-no-seccomp"
sandboxed control "$SCRATCH/allow-no-seccomp"
within $((30 * SCALE)) grep -q 'killed by signal 31' "$SCRATCH/sdf-control.err"
check_eq "control: a filter without seccomp(2) kills the workers (SIGSYS)" 0 $?
stop "$SDF"
