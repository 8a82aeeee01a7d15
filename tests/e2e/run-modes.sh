#!/bin/bash
# SPDX-License-Identifier: ISC
# Where the socket comes from, decided explicitly: fd 0 from spawn-fcgi,
# LISTEN_FDS from systemd (systemd-socket-activate stands in for it), our
# own -s socket over IPv4, IPv6 and unix, and the cases that are none of
# these.  Each mode must answer the exact bytes and stop on SIGTERM.
. tests/lib/suite.sh
need "$BIN" "$CLIENT"

conf=tests/conf/good/minimal.ini
P=/.well-known/mta-sts.txt
response "$EXPECTED/minimal.txt" >"$SCRATCH/want"

# serves NAME ADDRESS PID: one request answered exactly, then SIGTERM
# stops PID with status 0 within a second.
serves() {
	name=$1 addr=$2 pid=$3
	wait_for "$CLIENT" "$addr" REQUEST_METHOD=GET REQUEST_URI=$P
	"$CLIENT" "$addr" REQUEST_METHOD=GET REQUEST_URI=$P \
	    HTTP_HOST=mta-sts.example.com >"$SCRATCH/out" 2>"$SCRATCH/err"
	check_file "$name: exact response" "$SCRATCH/want" "$SCRATCH/out"
	kill -TERM "$pid"
	wait_gone "$pid" 10
	check_eq "$name: SIGTERM stops it within a second" 0 $?
	wait "$pid"
	check_eq "$name: exit status 0" 0 $?
}

# spawn-fcgi -n: the socket on fd 0, spawn-fcgi exec()s us in place.
start sf-unix spawn-fcgi -n -s "$SCRATCH/sf.sock" -- "$BIN" -c "$conf"
serves "spawn-fcgi unix socket on fd 0" "unix:$SCRATCH/sf.sock" "$LAST_PID"
check_eq "an inherited socket is not ours to remove" yes \
    "$([ -S "$SCRATCH/sf.sock" ] && echo yes || echo no)"
port=$(free_port)
start sf-tcp spawn-fcgi -n -a 127.0.0.1 -p "$port" -- "$BIN" -c "$conf"
serves "spawn-fcgi TCP socket on fd 0" "127.0.0.1:$port" "$LAST_PID"

# systemd socket activation: LISTEN_PID/LISTEN_FDS, the socket on fd 3.
start sd-unix systemd-socket-activate -l "$SCRATCH/sd.sock" -- \
    "$BIN" -c "$conf"
serves "systemd unix socket on fd 3" "unix:$SCRATCH/sd.sock" "$LAST_PID"
port=$(free_port)
start sd-tcp systemd-socket-activate -l "127.0.0.1:$port" -- \
    "$BIN" -c "$conf"
serves "systemd TCP socket on fd 3" "127.0.0.1:$port" "$LAST_PID"

# Our own sockets.
port=$(free_port)
start own-tcp "$BIN" -c "$conf" -s ":$port"
serves "-s :port binds loopback" "127.0.0.1:$port" "$LAST_PID"
if grep -q '^0\{31\}1 ' /proc/net/if_inet6 2>/dev/null; then
	port=$(free_port)
	start own-v6 "$BIN" -c "$conf" -s "[::1]:$port"
	serves "-s [::1]:port" "[::1]:$port" "$LAST_PID"
fi
start own-unix "$BIN" -c "$conf" -s "$SCRATCH/own.sock"
serves "-s /path" "unix:$SCRATCH/own.sock" "$LAST_PID"

# LISTEN_FDS for another process is not ours: with nothing on fd 0 and no
# CGI request, that is an error, not a guess.
env LISTEN_PID=1 LISTEN_FDS=1 "$BIN" -c "$conf" </dev/null \
    >/dev/null 2>"$SCRATCH/err"
check_eq "LISTEN_PID of another process is ignored" \
    "1 mta-sts-fcgi: no FastCGI socket on fd 0 and no CGI request in the environment: use -s address, or run under a web server or process manager (-h for help)" \
    "$? $(cat "$SCRATCH/err")"
# A connected socket on fd 0 is not a listening socket (FCGX_IsCGI would
# say FastCGI for any socket): with a CGI request, answer it as CGI.
port=$(free_port)
start listener "$BIN" -c "$conf" -s "127.0.0.1:$port"
lpid=$LAST_PID
wait_for bash -c "exec 3<>/dev/tcp/127.0.0.1/$port"
bash -c "exec 0<>/dev/tcp/127.0.0.1/$port; env -i REQUEST_METHOD=GET \
    REQUEST_URI=$P HTTP_HOST=mta-sts.example.com GATEWAY_INTERFACE=CGI/1.1 \
    $BIN -c $conf" >"$SCRATCH/out" 2>"$SCRATCH/err"
check_file "a connected socket on fd 0 means CGI, not FastCGI" \
    "$SCRATCH/want" "$SCRATCH/out"
stop "$lpid"

# Started with stdout and stderr closed, as "spawn-fcgi -n ... >&- 2>&-"
# leaves them: fds 1 and 2 become /dev/null before anything else takes a
# descriptor, so no pipe or socket directory ends up receiving log lines.
# A reload (which logs) must leave the workers serving.
# stdio_after_reload NAME PID ADDRESS FD...: each FD of PID and of its
# workers is /dev/null; then SIGHUP, and for 3 s every sample is answered
# exactly and finds both workers (-w 2) running.
stdio_after_reload() {
	local name=$1 pid=$2 addr=$3 i bad=0 p fd want= got=
	shift 3
	wait_for "$CLIENT" "$addr" REQUEST_METHOD=GET REQUEST_URI=$P
	for p in "$pid" $(pgrep -P "$pid"); do
		for fd in "$@"; do
			want="$want/dev/null "
			got="$got$(readlink "/proc/$p/fd/$fd") "
		done
	done
	check_eq "$name: fds $* of the supervisor and workers are /dev/null" \
	    "$want" "$got"
	kill -HUP "$pid"
	sleep 0.5
	for i in $(seq 1 12); do
		"$CLIENT" "$addr" REQUEST_METHOD=GET REQUEST_URI=$P \
		    HTTP_HOST=mta-sts.example.com >"$SCRATCH/out" 2>/dev/null
		cmp -s "$SCRATCH/want" "$SCRATCH/out" || bad=$((bad + 1))
		[ "$(pgrep -P "$pid" | wc -l)" -ge 2 ] || bad=$((bad + 1))
		sleep 0.25
	done
	check_eq "$name: SIGHUP, then 12 samples in 3 s: all answered, \
both workers running" 0 "$bad"
	kill -TERM "$pid"
	wait_gone "$pid" 10
	check_eq "$name: SIGTERM stops it within a second" 0 $?
}
# Not under valgrind, whose own log takes the lowest closed descriptor.
if [ -z "${VALGRIND:-}" ]; then
	start closed-stdio bash -c "exec spawn-fcgi -n -s '$SCRATCH/cs.sock' \
	    -- '$BIN' -c '$conf' -w 2 >&- 2>&-"
	stdio_after_reload "spawn-fcgi, stdout and stderr closed" \
	    "$LAST_PID" "unix:$SCRATCH/cs.sock" 1 2
	start closed-stderr bash -c "exec '$BIN' -c '$conf' -w 2 \
	    -s 'unix:$SCRATCH/ce.sock' 2>&-"
	stdio_after_reload "-s unix:, stderr closed" "$LAST_PID" \
	    "unix:$SCRATCH/ce.sock" 2
fi

# An invalid FCGI_WEB_SERVER_ADDRS is refused on an inherited socket
# (it is ignored only for a plain CGI request, where it means nothing).
env FCGI_WEB_SERVER_ADDRS=nonsense spawn-fcgi -n -s "$SCRATCH/bad.sock" -- \
    "$BIN" -c "$conf" </dev/null >/dev/null 2>"$SCRATCH/err"
check_eq "invalid FCGI_WEB_SERVER_ADDRS on fd 0's socket: exit 1, why" \
    "1 mta-sts-fcgi: FCGI_WEB_SERVER_ADDRS=\"nonsense\": want up to 16 \
IPv4 or IPv6 addresses separated by commas" "$? $(cat "$SCRATCH/err")"

# FCGI_WEB_SERVER_ADDRS on real sockets: a v4-mapped entry names the IPv4
# host, on an IPv4 socket and on a dual-stack one (systemd's [::]:port,
# where an IPv4 peer is ::ffff:a.b.c.d), and an IPv4 entry admits its
# mapped peer.  The client always connects from 127.0.0.1.
# name ^ listener (v4: -s 127.0.0.1:port, dual: [::]:port) ^ value ^ want
while IFS='^' read -r name kind addrs want; do
	[ -z "$name" ] && continue
	if [ "$kind" = dual ] &&
	    ! grep -q '^0\{31\}1 ' /proc/net/if_inet6 2>/dev/null; then
		continue
	fi
	port=$(free_port)
	if [ "$kind" = v4 ]; then
		start peers env "FCGI_WEB_SERVER_ADDRS=$addrs" "$BIN" \
		    -c "$conf" -w 1 -s "127.0.0.1:$port"
	else
		start peers systemd-socket-activate \
		    -E "FCGI_WEB_SERVER_ADDRS=$addrs" -l "[::]:$port" -- \
		    "$BIN" -c "$conf" -w 1
	fi
	ppid=$LAST_PID
	wait_for bash -c "exec 3<>/dev/tcp/127.0.0.1/$port"
	"$CLIENT" "127.0.0.1:$port" REQUEST_METHOD=GET REQUEST_URI=$P \
	    HTTP_HOST=mta-sts.example.com >"$SCRATCH/out" 2>/dev/null
	rc=$?
	if [ "$want" = admitted ]; then
		check_file "FCGI_WEB_SERVER_ADDRS=$addrs, $name: admitted" \
		    "$SCRATCH/want" "$SCRATCH/out"
	else
		check_eq "FCGI_WEB_SERVER_ADDRS=$addrs, $name: refused" \
		    "1 0" "$rc $(wc -c <"$SCRATCH/out")"
	fi
	stop "$ppid"
	check_eq "FCGI_WEB_SERVER_ADDRS=$addrs, $name: stopped by SIGTERM" \
	    0 $?
done <<EOT
IPv4 socket^v4^::ffff:127.0.0.1^admitted
IPv4 socket^v4^::FFFF:7f00:1^admitted
IPv4 socket^v4^::ffff:127.0.0.2^refused
IPv4 socket^v4^127.0.0.1^admitted
dual-stack socket^dual^127.0.0.1^admitted
dual-stack socket^dual^::ffff:127.0.0.1^admitted
dual-stack socket^dual^127.0.0.2^refused
dual-stack socket^dual^::ffff:127.0.0.2^refused
dual-stack socket^dual^::1^refused
EOT
