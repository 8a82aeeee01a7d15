#!/bin/bash
# SPDX-License-Identifier: ISC
# spawn-fcgi with contrib/spawn-fcgi/mta-sts-fcgi.sh, used as shipped
# (paths substituted), with one copy and with -F 2, behind nginx.
. tests/lib/suite.sh
. tests/lib/frontend.sh
need "$BIN" "$CLIENT"

command -v spawn-fcgi >/dev/null || { notok "spawn-fcgi is not installed"; exit 1; }
frontend_setup
substitute contrib/spawn-fcgi/mta-sts-fcgi.sh "$SCRATCH/spawn.sh"

for copies in 1 2; do
	t="spawn-fcgi -F $copies"
	COPIES=$copies sh "$SCRATCH/spawn.sh" >"$SCRATCH/spawn.out" 2>&1
	check_eq "$t: the script succeeds (spawn-fcgi exits)" 0 $?
	wait_for "$CLIENT" "unix:$WWW/run/fcgi.sock" REQUEST_METHOD=GET
	pids=$(tr '\n' ' ' <"$WWW/run/fcgi.pid")
	check_eq "$t: $copies supervisor(s) in the pid file" "$copies" \
	    "$(echo $pids | wc -w)"
	check_eq "$t: they run as www-data" "www-data" \
	    "$(ps -o user= -p "$(echo $pids | cut -d' ' -f1)")"
	if nginx_start "spawn$copies" "unix:$WWW/run/fcgi.sock"; then
		frontend_checks "$t" "$NGINX_URL"
	fi
	stop "$NGINX_PID"
	# Stopping what spawn-fcgi started: the PIDs it wrote.
	# shellcheck disable=SC2086
	kill -TERM $pids
	gone_within 20
	check_eq "$t: SIGTERM to the pid file's PIDs leaves nothing of ours" \
	    "" "$(ours)"
	rm -f "$WWW/run/fcgi.sock"
done
