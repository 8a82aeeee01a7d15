#!/bin/bash
# SPDX-License-Identifier: ISC
# lighttpd + mod_fastcgi with each contrib/lighttpd file, used as shipped
# (paths substituted): bin-path (lighttpd runs and stops us) and socket
# (we run on our own).
. tests/lib/suite.sh
. tests/lib/frontend.sh
need "$BIN" "$CLIENT"

command -v lighttpd >/dev/null || { notok "lighttpd is not installed"; exit 1; }
frontend_setup

lighttpd_start() {	# lighttpd_start NAME CONTRIB: sets LIGHTY_PID/_URL
	name=$1 contrib=$2
	dir=$SCRATCH/lighttpd-$name
	mkdir -p "$dir"
	chown www-data "$dir"	# lighttpd opens its log as www-data
	port=$(free_port)
	substitute "contrib/lighttpd/$contrib" "$dir/site.conf"
	cat >"$dir/lighttpd.conf" <<EOC
server.document-root = "$WWW/htdocs"
server.bind = "127.0.0.1"
server.port = $port
server.username = "www-data"
server.groupname = "www-data"
server.errorlog = "$dir/error.log"
include "$dir/site.conf"
EOC
	start "lighttpd-$name" lighttpd -D -f "$dir/lighttpd.conf"
	LIGHTY_PID=$LAST_PID
	LIGHTY_URL=http://127.0.0.1:$port
	frontend_up "lighttpd $name" "$LIGHTY_URL" \
	    "$SCRATCH/lighttpd-$name.err" "$dir/error.log"
}

# bin-path: lighttpd starts us (socket on fd 0) and stops us.
if lighttpd_start spawn mta-sts-spawn.conf; then
	wait_for test -n "$(ours)"
	frontend_checks "lighttpd bin-path" "$LIGHTY_URL"
	check_eq "lighttpd bin-path: lighttpd started us, as www-data" \
	    "www-data" "$(ps -o user= -p "$(ours | cut -d' ' -f1)")"
	stop "$LIGHTY_PID"
	check_eq "lighttpd bin-path: lighttpd stopped" 0 $?
	gone_within 30
	check_eq "lighttpd bin-path: no process of ours left" "" "$(ours)"
fi

# socket: we run on our own.
start own "$WWW_BIN" -c "$FE_CONF" -s "unix:$WWW/run/fcgi.sock"
own=$LAST_PID
wait_for "$CLIENT" "unix:$WWW/run/fcgi.sock" REQUEST_METHOD=GET
if lighttpd_start socket mta-sts-socket.conf; then
	frontend_checks "lighttpd socket" "$LIGHTY_URL"
	stop "$LIGHTY_PID"
	check_eq "lighttpd socket: lighttpd stopped" 0 $?
fi
stop "$own"
check_eq "lighttpd socket: our responder stopped by SIGTERM" 0 $?
gone_within 20
check_eq "lighttpd socket: no process of ours left" "" "$(ours)"
