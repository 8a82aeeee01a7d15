#!/bin/bash
# SPDX-License-Identifier: ISC
# The command line: options, exit statuses and first lines of messages.
. tests/lib/suite.sh
need "$BIN" "$CLIENT"

good=tests/conf/good/minimal.ini
mkdir -p "$SCRATCH/dir"

# name ^ expected exit ^ expected first line of stderr, warnings aside (or
# of stdout for -V/-h) ^ arguments...
while IFS='^' read -r name want_rc want_line args; do
	[ -z "$name" ] && continue
	# shellcheck disable=SC2086
	eval "set -- $args"
	env=
	case $name in *FCGI_WEB_SERVER_ADDRS*)
		env="FCGI_WEB_SERVER_ADDRS=127.0.0.1,nonsense" ;; esac
	# Bounded: a case that should be refused but starts serving would
	# otherwise hang the suite.
	timeout -s KILL $((10 * SCALE)) env $env "$BIN" "$@" \
	    >"$SCRATCH/out" 2>"$SCRATCH/err" </dev/null
	rc=$?
	line=$(cat "$SCRATCH/err" "$SCRATCH/out" | grep -v ': warning: ' |
	    head -1)
	check_eq "$name: exit status" "$want_rc" "$rc"
	check_eq "$name: message" "$want_line" "$line"
done <<EOT
version^0^mta-sts-fcgi 0.1.0^-V
help^0^usage: mta-sts-fcgi [-c file] [-s address] [-m mode] [-o owner[:group]]^-h
unknown option^2^mta-sts-fcgi: unknown option -x^-x
missing -c argument^2^mta-sts-fcgi: option -c needs an argument^-c
-t and -T^2^mta-sts-fcgi: -t, -T, -d and -U exclude each other^-t -T -c $good
-t and -d^2^mta-sts-fcgi: -t, -T, -d and -U exclude each other^-t -d -c $good
-d and -U^2^mta-sts-fcgi: -t, -T, -d and -U exclude each other^-d -U -c $good
stray argument^2^mta-sts-fcgi: unexpected argument "example.com" (domains go after -d or -U)^-t -c $good example.com
-s with -t^2^mta-sts-fcgi: -s, -m, -o, -u and -w are for serving; -t, -T, -d and -U only read the config^-t -s /tmp/x -c $good
-w with -d^2^mta-sts-fcgi: -s, -m, -o, -u and -w are for serving; -t, -T, -d and -U only read the config^-d -w 2 -c $good
-w with -U^2^mta-sts-fcgi: -s, -m, -o, -u and -w are for serving; -t, -T, -d and -U only read the config^-U -w 2 -c $good
-w 0^2^mta-sts-fcgi: -w 0: want a number of workers from 1 to 256^-w 0 -c $good -s :9
-w 257^2^mta-sts-fcgi: -w 257: want a number of workers from 1 to 256^-w 257 -c $good -s :9
-w x^2^mta-sts-fcgi: -w 2x: want a number of workers from 1 to 256^-w 2x -c $good -s :9
-m 888^2^mta-sts-fcgi: -m 888: want an octal mode such as 0660^-m 888 -c $good -s unix:$SCRATCH/m.sock
-m with TCP^2^mta-sts-fcgi: -m and -o apply to a unix socket of our own (-s unix:/path)^-m 0600 -c $good -s :9
-o without -s^2^mta-sts-fcgi: -m and -o apply to a unix socket of our own (-s unix:/path)^-o www-data -c $good
-u unknown user^1^mta-sts-fcgi: -u: no user "no-such-user"^-u no-such-user -c $good -s unix:$SCRATCH/u.sock
-u unknown group^1^mta-sts-fcgi: -u: no group "no-such-group"^-u www-data:no-such-group -c $good -s unix:$SCRATCH/u.sock
-u root^1^mta-sts-fcgi: -u: refusing to serve requests as root^-u root -c $good -s unix:$SCRATCH/u.sock
-u group root^1^mta-sts-fcgi: -u: refusing to serve requests as group root^-u www-data:root -c $good -s unix:$SCRATCH/u.sock
-o unknown^1^mta-sts-fcgi: -o: no user "no-such-user"^-o no-such-user -c $good -s unix:$SCRATCH/u.sock
bad FCGI_WEB_SERVER_ADDRS^1^mta-sts-fcgi: FCGI_WEB_SERVER_ADDRS="127.0.0.1,nonsense": want up to 16 IPv4 or IPv6 addresses separated by commas^-c $good -s :9
missing config^1^mta-sts-fcgi: $SCRATCH/none.ini: No such file or directory^-t -c $SCRATCH/none.ini
config is an empty directory^1^mta-sts-fcgi: $SCRATCH/dir: no *.ini file in this directory^-t -c $SCRATCH/dir
missing config when serving^1^mta-sts-fcgi: $SCRATCH/none.ini: No such file or directory^-c $SCRATCH/none.ini -s unix:$SCRATCH/s.sock
-d bad domain^1^mta-sts-fcgi: exa_mple.com: "_" is not allowed in a host name (letters, digits, "-" and ".")^-c $good -d exa_mple.com
-d policy host^1^mta-sts-fcgi: mta-sts.example.net: name the policy domain, not its policy host: -d example.net^-c $good -d mta-sts.example.net
-d policy host, upper case^1^mta-sts-fcgi: mta-sts.example.net: name the policy domain, not its policy host: -d example.net^-c $good -d MTA-STS.example.net
-d a domain named mta-sts.<tld>^0^_mta-sts.mta-sts.io. IN TXT "v=STSv1; id=a5963b31a082635c6ec668171482b14f"^-c $good -d mta-sts.io
-d control characters escaped^1^mta-sts-fcgi: exa\rmple.com: invalid character (letters, digits, "-" and "." only)^-c $good -d $'exa\rmple.com'
-d escape sequence escaped^1^mta-sts-fcgi: \x1b[2Kx.com: invalid character (letters, digits, "-" and "." only)^-c $good -d $'\e[2Kx.com'
-c with a control character^1^mta-sts-fcgi: $SCRATCH/\x01.ini: No such file or directory^-t -c $SCRATCH/$'\001'.ini
-d domain nothing serves^1^mta-sts-fcgi: other.example: no [domain other.example] section and no [policy] to serve it^-c tests/conf/good/domains-only.ini -d other.example
-d without domains^1^mta-sts-fcgi: no [domain] sections: name the policy domains [policy] serves, as in -d example.com^-c $good -d
-U policy host^1^mta-sts-fcgi: mta-sts.example.net: name the policy domain, not its policy host: -U example.net^-c $good -U mta-sts.example.net
-U bad domain^1^mta-sts-fcgi: exa_mple.com: "_" is not allowed in a host name (letters, digits, "-" and ".")^-c $good -U exa_mple.com
-U domain nothing serves^1^mta-sts-fcgi: other.example: no [domain other.example] section and no [policy] to serve it^-c tests/conf/good/domains-only.ini -U other.example
-U without domains^1^mta-sts-fcgi: no [domain] sections: name the policy domains [policy] serves, as in -U example.com^-c $good -U
-U upper case^0^zone example.com.^-c $good -U EXAMPLE.com
-d upper case^0^_mta-sts.example.com. IN TXT "v=STSv1; id=a5963b31a082635c6ec668171482b14f"^-c $good -d EXAMPLE.com
-d trailing dot^0^_mta-sts.example.com. IN TXT "v=STSv1; id=a5963b31a082635c6ec668171482b14f"^-c $good -d example.com.
-U trailing dot^0^zone example.com.^-c $good -U EXAMPLE.com.
-d two trailing dots^1^mta-sts-fcgi: example.com..: empty label: two dots in a row, or a leading dot^-c $good -d example.com..
-d policy host, trailing dot^1^mta-sts-fcgi: mta-sts.example.net: name the policy domain, not its policy host: -d example.net^-c $good -d mta-sts.example.net.
-d a bidi mark in a name^1^mta-sts-fcgi: exa\u202emple.com: non-ASCII name: write internationalised names as A-labels (xn--...)^-c $good -d $'exa\u202emple.com'
no socket, no CGI^1^mta-sts-fcgi: no FastCGI socket on fd 0 and no CGI request in the environment: use -s address, or run under a web server or process manager (-h for help)^-c $good
bad address^1^mta-sts-fcgi: 1.2.3.4: not a socket address: want unix:/path, /path, host:port, [ipv6]:port or :port^-c $good -s 1.2.3.4
bad port^1^mta-sts-fcgi: :99999: not a socket address: want unix:/path, /path, host:port, [ipv6]:port or :port^-c $good -s :99999
bare ipv6^1^mta-sts-fcgi: ::1:9000: not a socket address: want unix:/path, /path, host:port, [ipv6]:port or :port^-c $good -s ::1:9000
relative unix path^1^mta-sts-fcgi: rel.sock: a unix socket path must be absolute^-c $good -s unix:rel.sock
EOT

# Out of memory part way through a config (RLIMIT_AS): one error, the
# line it happened at, and nothing after it that the loader's torn state
# would make up (it once reported 133,468 false errors).  The limits
# sweep the load's whole course.
awk 'BEGIN {
	print "[policy]\nmode = enforce\nmx = mail.example.com\nmax_age = 604800"
	for (i = 0; i < 200000; i++)
		printf "[domain d%d.example.com]\nmx = mx%d.example.net\n", i, i % 1000
}' >"$SCRATCH/big.ini"
bad=
for as in 30 34 38 42 46 50 54 58 62; do
	prlimit --as=$((as * 1000000)) "$BIN" -t -c "$SCRATCH/big.ini" \
	    >/dev/null 2>"$SCRATCH/oom.err"
	st=$?
	n=$(grep -c ': ' "$SCRATCH/oom.err")
	if [ $st -eq 1 ]; then
		[ "$n" -eq 2 ] && grep -q ': out of memory$' "$SCRATCH/oom.err" &&
		    grep -q ': configuration has 1 error$' "$SCRATCH/oom.err" ||
		    bad="$bad ${as}M:$n"
	elif [ $st -ne 0 ]; then
		bad="$bad ${as}M:status$st"
	fi
done
check_eq "out of memory at any point of a load: one error, nothing made up" \
    "" "$bad"

# Too few descriptors to start (the second issue 17 attack left the
# socket's private directory behind at 6): status 1, nothing left in the
# socket's directory, at every limit too low to serve.
mkdir "$SCRATCH/lowfd"
bad=
for n in 5 6 7 8 9; do
	timeout 10 prlimit --nofile=$n "$BIN" -c "$TOP/etc/mta-sts-fcgi.ini" -w 2 \
	    -s "unix:$SCRATCH/lowfd/s.sock" >/dev/null 2>&1 </dev/null
	st=$?
	left=$(ls -A "$SCRATCH/lowfd")
	[ $st -eq 1 ] && [ -z "$left" ] || bad="$bad $n:$st:$left"
	rm -rf "${SCRATCH:?}/lowfd/"* "$SCRATCH"/lowfd/.[!.]*
done
check_eq "descriptor limits 5 to 9: status 1, the socket's directory empty" \
    "" "$bad"

# A FIFO as the config is refused at once, never waited on: by -t, by a
# CGI request (which gets its 500) and by a server about to start.
mkfifo "$SCRATCH/fifo"
timeout 5 "$BIN" -t -c "$SCRATCH/fifo" >/dev/null 2>"$SCRATCH/err" </dev/null
check_eq "config is a FIFO: -t refuses it without blocking" \
    "1 mta-sts-fcgi: $SCRATCH/fifo: not a regular file" \
    "$? $(head -1 "$SCRATCH/err")"
timeout 5 env -i GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET \
    REQUEST_URI=/.well-known/mta-sts.txt "$BIN" -c "$SCRATCH/fifo" \
    </dev/null >"$SCRATCH/out" 2>"$SCRATCH/err"
check_eq "config is a FIFO: CGI answers 500 without blocking" \
    "1 Status: 500 Internal Server Error" \
    "$? $(head -1 "$SCRATCH/out" | tr -d '\r')"
check_eq "config is a FIFO: CGI logs why" \
    "mta-sts-fcgi: $SCRATCH/fifo: not a regular file" \
    "$(head -1 "$SCRATCH/err")"
timeout 5 "$BIN" -c "$SCRATCH/fifo" -s "unix:$SCRATCH/fifo.sock" \
    >/dev/null 2>"$SCRATCH/err" </dev/null
check_eq "config is a FIFO: serving refuses it without blocking" \
    "1 mta-sts-fcgi: $SCRATCH/fifo: not a regular file" \
    "$? $(head -1 "$SCRATCH/err")"

# A bad config never leaves a socket behind.
"$BIN" -c tests/conf/bad/mode-typo.ini -s "unix:$SCRATCH/bad.sock" \
    >/dev/null 2>&1
check_eq "bad config: exit 1, no socket created" "1 no" \
    "$? $([ -e "$SCRATCH/bad.sock" ] && echo yes || echo no)"

# -s never removes what is not a stale socket.
echo precious >"$SCRATCH/file"
"$BIN" -c "$good" -s "unix:$SCRATCH/file" >/dev/null 2>"$SCRATCH/err"
check_eq "-s on a regular file: refused, file kept" \
    "1 precious mta-sts-fcgi: $SCRATCH/file: exists and is not a socket; not removing it" \
    "$? $(cat "$SCRATCH/file") $(cat "$SCRATCH/err")"

# ... nor a live server's socket.
start live "$BIN" -c "$good" -s "unix:$SCRATCH/live.sock"
live=$LAST_PID
wait_for test -S "$SCRATCH/live.sock"
"$BIN" -c "$good" -s "unix:$SCRATCH/live.sock" >/dev/null 2>"$SCRATCH/err"
check_eq "-s on a live socket: refused" \
    "1 mta-sts-fcgi: $SCRATCH/live.sock: another process is listening on this socket" \
    "$? $(cat "$SCRATCH/err")"
stop "$live"
check_eq "the live server stopped and removed its socket" "no" \
    "$([ -e "$SCRATCH/live.sock" ] && echo yes || echo no)"

# A stale socket (its server was killed) is replaced.
start stale "$BIN" -c "$good" -s "unix:$SCRATCH/stale.sock"
stale=$LAST_PID
wait_for test -S "$SCRATCH/stale.sock"
kill -KILL "$stale"
wait_gone "$stale" 20
start fresh "$BIN" -c "$good" -s "unix:$SCRATCH/stale.sock"
fresh=$LAST_PID
wait_for "$CLIENT" "unix:$SCRATCH/stale.sock" REQUEST_METHOD=GET \
    REQUEST_URI=/.well-known/mta-sts.txt HTTP_HOST=mta-sts.example.com
check_eq "a stale socket is replaced and served" 0 $?
check_eq "the unix socket's mode is 0660" "660" \
    "$(stat -c %a "$SCRATCH/stale.sock")"
if [ "$(id -u)" = 0 ]; then
	check_eq "started as root, the socket belongs to the serving user" \
	    "www-data:www-data" "$(stat -c %U:%G "$SCRATCH/stale.sock")"
fi
stop "$fresh"

# An unreadable config (root reads anything, so ask as nobody).
if [ "$(id -u)" = 0 ] && command -v runuser >/dev/null &&
    runuser -u nobody -- "$BIN" -V >/dev/null 2>&1; then
	chmod 0711 "$SCRATCH"
	cp "$good" "$SCRATCH/secret.ini"
	chmod 0600 "$SCRATCH/secret.ini"
	runuser -u nobody -- "$BIN" -t -c "$SCRATCH/secret.ini" \
	    >/dev/null 2>"$SCRATCH/err"
	check_eq "unreadable config: exit 1 and the reason" \
	    "1 mta-sts-fcgi: $SCRATCH/secret.ini: Permission denied" \
	    "$? $(head -1 "$SCRATCH/err")"
	chmod 0700 "$SCRATCH"
fi

# -m and -o set the socket's mode and owner.
if [ "$(id -u)" = 0 ]; then
	start mo "$BIN" -c "$good" -s "unix:$SCRATCH/mo.sock" -m 0600 \
	    -o nobody:nogroup
	mo=$LAST_PID
	wait_for test -S "$SCRATCH/mo.sock"
	check_eq "-m 0600 -o nobody:nogroup" "600 nobody:nogroup" \
	    "$(stat -c '%a %U:%G' "$SCRATCH/mo.sock")"
	stop "$mo"
fi

# -c DIR: SIGHUP re-reads the directory, with files added, changed and
# removed since the last load.
cfg=$SCRATCH/conf.d
mkdir -p "$cfg"
cp tests/conf/good/provider.d/*.ini "$cfg/"
start dir "$BIN" -c "$cfg" -s "unix:$SCRATCH/dir.sock"
dirpid=$LAST_PID
dreq() { "$CLIENT" "unix:$SCRATCH/dir.sock" REQUEST_METHOD=GET \
    REQUEST_URI=/.well-known/mta-sts.txt "HTTP_HOST=mta-sts.$1" 2>/dev/null |
    tr -d '\r' | sed -n 's/^\(Status\|mode\): //p' | tr '\n' ' '; }
reloaded() { [ "$(grep -c 'reloaded: ' "$SCRATCH/dir.err")" = "$1" ]; }
if wait_for test -S "$SCRATCH/dir.sock"; then
	check_eq "-c DIR: a customer file's policy is served" "200 OK testing " \
	    "$(dreq b.example)"
	printf '[domain c.example]\nmode = none\n' >"$cfg/customer-c.ini"
	sed -i 's/^mode = testing/mode = enforce/' "$cfg/customer-b.ini"
	rm "$cfg/customer-a.ini"
	kill -HUP "$dirpid"
	within $((30 * SCALE)) reloaded 1
	check_eq "-c DIR, SIGHUP: an added file is served" "200 OK none " \
	    "$(dreq c.example)"
	check_eq "-c DIR, SIGHUP: a changed file is served" "200 OK enforce " \
	    "$(dreq b.example)"
	check_eq "-c DIR, SIGHUP: a removed file's domain gets [policy]" \
	    "200 OK enforce " "$(dreq www.a.example)"
	check_eq "-c DIR, SIGHUP: the reload is logged" \
	    "mta-sts-fcgi: $cfg: reloaded: 2 policies for 2 domains and a default" \
	    "$(grep 'reloaded: ' "$SCRATCH/dir.err")"
else
	notok "-c DIR: the responder did not start"
	sed 's/^/#   /' "$SCRATCH/dir.err"
fi
stop "$dirpid"
check_eq "-c DIR: the responder stops on SIGTERM" 0 $?
