#!/bin/bash
# SPDX-License-Identifier: ISC
# End to end through a real nginx using contrib/nginx/mta-sts.conf, over a
# unix socket and over TCP, plus what only a raw FastCGI client can see
# (roles, the stderr stream, kept connections) and the signals.
. tests/lib/suite.sh
. tests/lib/frontend.sh		# http, header, nginx_start

command -v nginx >/dev/null || { notok "nginx is not installed"; exit 1; }
need "$BIN" "$CLIENT"
conf=$SCRATCH/mta-sts-fcgi.ini
cp etc/mta-sts-fcgi.ini "$conf"
cp "$EXPECTED/etc-default.txt" "$SCRATCH/default.body"
cp "$EXPECTED/etc-example.org.txt" "$SCRATCH/org.body"
: >"$SCRATCH/empty"

# http_body NAME WANT_STATUS WANT_BODY_FILE [curl args...]: the status
# line, then, given a body file, exactly one Content-Type and the bytes.
http_body() {
	local name=$1 status=$2 body=$3
	shift 3
	http "$name" "$status" "$@"
	if [ -n "$body" ]; then
		check_eq "$name: one Content-Type, ours" "Content-Type: $CT" \
		    "$(grep -i '^content-type:' "$SCRATCH/headers")"
		check_file "$name: body bytes" "$body" "$SCRATCH/b"
	fi
}

nginx_pass() {	# nginx_pass TRANSPORT BASE_URL
	t=$1 url=$2
	http_body "$t GET default policy" "200 OK" "$SCRATCH/default.body" \
	    -H "Host: mta-sts.example.com" "$url$P"
	check_eq "$t GET default policy: Content-Length" 89 \
	    "$(header Content-Length)"
	http_body "$t GET chosen by Host" "200 OK" "$SCRATCH/org.body" \
	    -H "Host: mta-sts.example.org" "$url$P"
	http_body "$t GET Host with port and upper case" "200 OK" \
	    "$SCRATCH/org.body" -H "Host: MTA-STS.Example.ORG:8443" "$url$P"
	http_body "$t GET with a query string" "200 OK" "$SCRATCH/org.body" \
	    -H "Host: mta-sts.example.org" "$url$P?x=1"
	# curl -I writes the headers where the body would go: nothing else
	# may follow them.
	http_body "$t HEAD" "200 OK" "$SCRATCH/h" -I \
	    -H "Host: mta-sts.example.org" "$url$P"
	check_eq "$t HEAD: Content-Length of the GET" 90 \
	    "$(header Content-Length)"
	http_body "$t POST" "405 Method Not Allowed" "" -X POST -d x=1 \
	    -H "Host: mta-sts.example.org" "$url$P"
	check_eq "$t POST: Allow" "GET, HEAD" "$(header Allow)"
	printf 'Method Not Allowed\n' >"$SCRATCH/405"
	check_file "$t POST: body" "$SCRATCH/405" "$SCRATCH/b"
	http_body "$t DELETE" "405 Method Not Allowed" "" -X DELETE \
	    -H "Host: mta-sts.example.org" "$url$P"
	http_body "$t other path" "404 Not Found" "" \
	    -H "Host: mta-sts.example.org" "$url/.well-known/other.txt"
	# Several requests on one client connection, back to back.
	curl -sS --http1.1 --max-time 5 -H "Host: mta-sts.example.org" \
	    "$url$P" "$url$P" "$url$P" >"$SCRATCH/three" 2>/dev/null
	cat "$SCRATCH/org.body" "$SCRATCH/org.body" "$SCRATCH/org.body" \
	    >"$SCRATCH/three.want"
	check_file "$t three GETs in a row" "$SCRATCH/three.want" \
	    "$SCRATCH/three"
}

# reload_storm NAME PORT RESPONDER_PID: 40 reloads in 2 s while clients
# fetch through nginx's kept upstream connections.  A retiring worker
# closes idle kept connections (serving any request already there); a
# request nginx sends in the instant of that close fails on the cached
# connection, and nginx retries it on a new one: no client may notice.
reload_storm() {
	local t=$1 port=$2 fcgi=$3 loaders= c i urls=
	for i in $(seq 1 20); do urls="$urls http://127.0.0.1:$port$P"; done
	for i in $(seq 1 20); do cat "$SCRATCH/org.body"; done >"$SCRATCH/storm.want"
	for c in 1 2 3 4 5 6; do
		(
			for i in $(seq 1 12); do
				# shellcheck disable=SC2086
				curl -s --max-time 5 -H "Host: mta-sts.example.org" \
				    $urls | cmp -s - "$SCRATCH/storm.want" ||
				    echo fail
			done
		) >"$SCRATCH/storm$c" &
		loaders="$loaders $!"
	done
	for i in $(seq 1 40); do
		kill -HUP "$fcgi"
		sleep 0.05
	done
	# shellcheck disable=SC2086
	wait $loaders
	check_eq "$t: 1440 requests during 40 reloads, all exact" 0 \
	    "$(cat "$SCRATCH"/storm? | grep -c fail)"
	retry='prematurely closed|reset by peer|Broken pipe'
	echo "# $t: nginx retried on a closed kept connection" \
	    "$(grep -cE "$retry" "$SCRATCH/nginx-$t/error.log") times"
	sed -i -E "/$retry/d" "$SCRATCH/nginx-$t/error.log"
	check_eq "$t: the responder logged only reloads and the config's warning" \
	    "" "$(sed 1d "$SCRATCH/fcgi-$t.err" | grep -v 'reloaded: \|warning: mode testing')"
	sed -i 1q "$SCRATCH/fcgi-$t.err"
}

# nginx_paths NAME BASE_URL: nginx's "location =" matches the normalised
# path (escapes decoded, "//" merged, dot segments resolved) but passes
# the raw $request_uri; we normalise it the same way, except that an
# escaped "/" (which nginx decodes) stays a character: our 404.
nginx_paths() {
	path_checks "$1 path" "$2" <<EOT
/.well-known%2Fmta-sts.txt^404 Not Found^ours
/.well-known/mta-sts.txt/^404 Not Found^frontend
/.well-known/mta-sts.txt%00^400 Bad Request^frontend
/../.well-known/mta-sts.txt^400 Bad Request^frontend
EOT
}

run_transport() {	# run_transport NAME -s-ADDRESS NGINX-UPSTREAM [CONTRIB [-w N]]
	t=$1 addr=$2 upstream=$3 contrib=${4:-contrib/nginx/mta-sts.conf}
	shift 4 2>/dev/null || shift $#
	start "fcgi-$t" "$BIN" -c "$conf" -s "$addr" "$@"
	fcgi=$LAST_PID
	if ! wait_for "$CLIENT" "$addr" REQUEST_METHOD=GET; then
		notok "$t: the responder did not start"
		sed 's/^/#   /' "$SCRATCH/fcgi-$t.err"
		return
	fi
	nginx_start "$t" "$upstream" "$contrib" || return
	ngx=$NGINX_PID port=$NGINX_PORT
	nginx_pass "$t" "http://127.0.0.1:$port"
	# 8 clients x 25 requests at once: every answer exact, none starved
	# (with keepalive, nginx holds idle connections to our workers).
	loaders=
	for c in 1 2 3 4 5 6 7 8; do
		(
			for i in $(seq 1 25); do
				curl -s --max-time 5 -H "Host: mta-sts.example.org" \
				    "http://127.0.0.1:$port$P" |
				    cmp -s - "$SCRATCH/org.body" || echo fail
			done
		) >"$SCRATCH/load$c" &
		loaders="$loaders $!"
	done
	# shellcheck disable=SC2086
	wait $loaders
	check_eq "$t: 200 concurrent requests, all exact" 0 \
	    "$(cat "$SCRATCH"/load? | grep -c fail)"
	[ "$t" = keepalive ] && reload_storm "$t" "$port" "$fcgi"
	[ "$t" = unix ] && nginx_paths "$t" "http://127.0.0.1:$port"
	if grep -q '^0\{31\}1 ' /proc/net/if_inet6 2>/dev/null; then
		http_body "$t over IPv6 to nginx" "200 OK" "$SCRATCH/default.body" \
		    -H "Host: mta-sts.example.com" "http://[::1]:$port$P"
	fi
	stop "$ngx"
	check_eq "$t: nginx stopped" 0 $?
	check_eq "$t: nothing on the FastCGI stderr stream" "" \
	    "$(grep 'FastCGI sent in stderr' "$SCRATCH/nginx-$t/error.log")"
	check_eq "$t: no upstream errors in nginx's log" "" \
	    "$(grep -E 'upstream|\[(error|crit|alert)\]' "$SCRATCH/nginx-$t/error.log")"
	stop "$fcgi"
	check_eq "$t: responder stopped by SIGTERM" 0 $?
	wait "$fcgi"
	check_eq "$t: responder exit status" 0 $?
	check_eq "$t: no messages from the responder" \
	    "mta-sts-fcgi: $conf:25: warning: mode testing: senders report TLS failures but still deliver without TLS" \
	    "$(cat "$SCRATCH/fcgi-$t.err")"
}

run_transport unix "unix:$SCRATCH/fcgi.sock" "unix:$SCRATCH/fcgi.sock"
# An upstream with keepalive and fastcgi_keep_conn on, to one worker.
run_transport keepalive "unix:$SCRATCH/fcgi-ka.sock" \
    "unix:$SCRATCH/fcgi-ka.sock" contrib/nginx/mta-sts-keepalive.conf -w 1
tcp_port=$(free_port)
run_transport tcp "127.0.0.1:$tcp_port" "127.0.0.1:$tcp_port"
check_eq "the unix socket is removed at exit" no \
    "$([ -e "$SCRATCH/fcgi.sock" ] && echo yes || echo no)"

# What only a raw FastCGI client sees.
sock=$SCRATCH/raw.sock
start raw "$BIN" -c "$conf" -s "unix:$sock"
raw=$LAST_PID
wait_for "$CLIENT" "unix:$sock" REQUEST_METHOD=GET
req() { "$CLIENT" "$@" "unix:$sock" REQUEST_METHOD=GET REQUEST_URI=$P \
    HTTP_HOST=mta-sts.example.org; }
response "$SCRATCH/org.body" >"$SCRATCH/org.response"
req >"$SCRATCH/out" 2>"$SCRATCH/err"
check_eq "raw: request completes" 0 $?
check_file "raw: exact response bytes" "$SCRATCH/org.response" "$SCRATCH/out"
check_eq "raw: FastCGI stderr stream is empty" 0 "$(wc -c <"$SCRATCH/err")"
for role in AUTHORIZER FILTER; do
	req -r $role >"$SCRATCH/out" 2>"$SCRATCH/err"
	printf 'Status: 403 Forbidden\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 10\r\n\r\nForbidden\n' >"$SCRATCH/want"
	check_file "raw: role $role gets 403, never the policy" \
	    "$SCRATCH/want" "$SCRATCH/out"
done
"$CLIENT" "unix:$sock" REQUEST_METHOD=HEAD REQUEST_URI=$P \
    HTTP_HOST=mta-sts.example.org >"$SCRATCH/out" 2>/dev/null
response "$SCRATCH/org.body" head >"$SCRATCH/want"
check_file "raw: HEAD is the headers only" "$SCRATCH/want" "$SCRATCH/out"
"$CLIENT" "unix:$sock" REQUEST_METHOD=GET REQUEST_URI=/x \
    HTTP_HOST=mta-sts.example.org >"$SCRATCH/out" 2>/dev/null
printf 'Status: 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 10\r\n\r\nNot Found\n' >"$SCRATCH/want"
check_file "raw: other path is 404" "$SCRATCH/want" "$SCRATCH/out"
"$CLIENT" "unix:$sock" REQUEST_METHOD=GET REQUEST_URI=$P \
    "HTTP_HOST=bad host" >"$SCRATCH/out" 2>/dev/null
printf 'Status: 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 12\r\n\r\nBad Request\n' >"$SCRATCH/want"
check_file "raw: invalid Host is 400" "$SCRATCH/want" "$SCRATCH/out"
req -n 3 >"$SCRATCH/out" 2>/dev/null
check_eq "raw: three requests on one kept connection" 0 $?
cat "$SCRATCH/org.response" "$SCRATCH/org.response" "$SCRATCH/org.response" \
    >"$SCRATCH/want"
check_file "raw: kept connection answers every request" "$SCRATCH/want" \
    "$SCRATCH/out"
"$CLIENT" -n 2 -b "a=1&b=2" "unix:$sock" REQUEST_METHOD=POST REQUEST_URI=$P \
    HTTP_HOST=mta-sts.example.org CONTENT_LENGTH=7 >"$SCRATCH/out" 2>/dev/null
check_eq "raw: request bodies on a kept connection are drained" 0 $?
printf 'Status: 405 Method Not Allowed\r\nAllow: GET, HEAD\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 19\r\n\r\nMethod Not Allowed\n' >"$SCRATCH/want"
cat "$SCRATCH/want" "$SCRATCH/want" >"$SCRATCH/want2"
check_file "raw: both requests after a body answered" "$SCRATCH/want2" \
    "$SCRATCH/out"

# SIGHUP: a valid new config is served; an invalid one is reported and
# the old policies stay.
sed -i 's/^mode = testing/mode = enforce/' "$conf"
kill -HUP "$raw"
sleep $((SCALE > 1 ? 3 : 1))
req >"$SCRATCH/out" 2>/dev/null
check_eq "SIGHUP: the new policy is served" "mode: enforce" \
    "$(tr -d '\r' <"$SCRATCH/out" | grep '^mode:')"
check_eq "SIGHUP: reload logged" \
    "mta-sts-fcgi: $conf: reloaded: 2 policies for 1 domain and a default" \
    "$(tail -1 "$SCRATCH/raw.err")"
cp "$SCRATCH/out" "$SCRATCH/enforce.response"
sed -i 's/^mode = enforce/mode = enforcing/' "$conf"
kill -HUP "$raw"
sleep $((SCALE > 1 ? 3 : 1))
req >"$SCRATCH/out" 2>/dev/null
check_file "SIGHUP with a broken config: the old policy stays" \
    "$SCRATCH/enforce.response" "$SCRATCH/out"
tail -2 "$SCRATCH/raw.err" >"$SCRATCH/got"
printf '%s\n' "mta-sts-fcgi: $conf:25: mode: \"enforcing\" is not one of enforce, testing, none" \
    "mta-sts-fcgi: $conf: reload failed with 1 error; still serving the previous configuration" >"$SCRATCH/want"
check_file "SIGHUP with a broken config: every diagnostic logged" \
    "$SCRATCH/want" "$SCRATCH/got"
mv "$conf" "$conf.gone"
kill -HUP "$raw"
sleep $((SCALE > 1 ? 3 : 1))
req >"$SCRATCH/out" 2>/dev/null
check_file "SIGHUP with a missing config: the old policy stays" \
    "$SCRATCH/enforce.response" "$SCRATCH/out"
check_eq "SIGHUP with a missing config: logged" \
    "mta-sts-fcgi: $conf: reload failed; still serving the previous configuration" \
    "$(tail -1 "$SCRATCH/raw.err")"
mv "$conf.gone" "$conf"
sed -i 's/^mode = enforcing/mode = enforce/' "$conf"

# SIGTERM and SIGINT stop an idle responder promptly with status 0.
for sig in TERM INT; do
	kill -"$sig" "$raw"
	wait_gone "$raw" 10
	check_eq "SIG$sig: an idle responder exits within a second" 0 $?
	wait "$raw"
	check_eq "SIG$sig: exit status 0" 0 $?
	[ "$sig" = TERM ] || break
	start raw2 "$BIN" -c "$conf" -s "unix:$sock"
	raw=$LAST_PID
	wait_for "$CLIENT" "unix:$sock" REQUEST_METHOD=GET ||
	    notok "restart for SIGINT failed"
done
