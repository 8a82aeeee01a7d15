#!/bin/bash
# SPDX-License-Identifier: ISC
# contrib/systemd: the units pass systemd-analyze verify, and the
# service's ExecStartPre/ExecStart, run as systemd would with the
# socket's ListenStream (systemd-socket-activate stands in for systemd,
# which tests cannot run), serve through nginx and stop on SIGTERM.
. tests/lib.sh
. tests/e2e/frontend.sh
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
