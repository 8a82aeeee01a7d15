#!/bin/bash
# SPDX-License-Identifier: ISC
# Plain CGI: the binary run the way a web server runs a CGI program (no
# socket on fd 0, the request in the environment, the response on stdout).
. tests/lib/suite.sh
need "$BIN"

P=/.well-known/mta-sts.txt
conf=etc/mta-sts-fcgi.ini
CTL="Content-Type: text/plain; charset=utf-8"

cgi() {	# cgi CONF NAME=VALUE...: runs one CGI request, stdin closed
	c=$1
	shift
	env -i GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 "$@" \
	    "$BIN" -c "$c" </dev/null >"$SCRATCH/out" 2>"$SCRATCH/err"
}

response "$EXPECTED/etc-example.org.txt" >"$SCRATCH/org"
response "$EXPECTED/etc-default.txt" >"$SCRATCH/default"
response "$EXPECTED/etc-example.org.txt" head >"$SCRATCH/head"
printf 'Status: 405 Method Not Allowed\r\nAllow: GET, HEAD\r\n%s\r\nContent-Length: 19\r\n\r\nMethod Not Allowed\n' "$CTL" >"$SCRATCH/405"
printf 'Status: 404 Not Found\r\n%s\r\nContent-Length: 10\r\n\r\nNot Found\n' "$CTL" >"$SCRATCH/404"
printf 'Status: 500 Internal Server Error\r\n%s\r\nContent-Length: 22\r\n\r\nInternal Server Error\n' "$CTL" >"$SCRATCH/500"
printf 'Status: 500 Internal Server Error\r\n%s\r\nContent-Length: 22\r\n\r\n' "$CTL" >"$SCRATCH/500head"

# name ^ expected response file ^ expected exit ^ config ^ environment
while IFS='^' read -r name want rc c envs; do
	[ -z "$name" ] && continue
	# shellcheck disable=SC2086
	eval "cgi $c $envs"
	got_rc=$?
	check_file "cgi $name: response" "$SCRATCH/$want" "$SCRATCH/out"
	check_eq "cgi $name: exit status" "$rc" "$got_rc"
done <<EOT
GET by Host^org^0^$conf^REQUEST_METHOD=GET REQUEST_URI=$P HTTP_HOST=mta-sts.example.org
GET default^default^0^$conf^REQUEST_METHOD=GET REQUEST_URI=$P HTTP_HOST=mta-sts.example.com
GET by SERVER_NAME^org^0^$conf^REQUEST_METHOD=GET REQUEST_URI=$P SERVER_NAME=mta-sts.example.org
GET without REQUEST_URI^org^0^$conf^REQUEST_METHOD=GET SCRIPT_NAME=$P HTTP_HOST=mta-sts.example.org
HEAD^head^0^$conf^REQUEST_METHOD=HEAD REQUEST_URI=$P HTTP_HOST=mta-sts.example.org
POST^405^0^$conf^REQUEST_METHOD=POST REQUEST_URI=$P HTTP_HOST=mta-sts.example.org CONTENT_LENGTH=3
other path^404^0^$conf^REQUEST_METHOD=GET REQUEST_URI=/ HTTP_HOST=mta-sts.example.org
FCGI_ROLE ignored^org^0^$conf^REQUEST_METHOD=GET REQUEST_URI=$P HTTP_HOST=mta-sts.example.org FCGI_ROLE=AUTHORIZER
FCGI_WEB_SERVER_ADDRS, invalid, ignored^org^0^$conf^REQUEST_METHOD=GET REQUEST_URI=$P HTTP_HOST=mta-sts.example.org FCGI_WEB_SERVER_ADDRS=nonsense
FCGI_WEB_SERVER_ADDRS, valid, ignored^org^0^$conf^REQUEST_METHOD=GET REQUEST_URI=$P HTTP_HOST=mta-sts.example.org FCGI_WEB_SERVER_ADDRS=192.0.2.1
FCGI_WEB_SERVER_ADDRS, invalid, HEAD^head^0^$conf^REQUEST_METHOD=HEAD REQUEST_URI=$P HTTP_HOST=mta-sts.example.org FCGI_WEB_SERVER_ADDRS=nonsense
broken config^500^1^tests/conf/bad/mode-typo.ini^REQUEST_METHOD=GET REQUEST_URI=$P HTTP_HOST=mta-sts.example.org
broken config, HEAD^500head^1^tests/conf/bad/mode-typo.ini^REQUEST_METHOD=HEAD REQUEST_URI=$P HTTP_HOST=mta-sts.example.org
missing config^500^1^$SCRATCH/none.ini^REQUEST_METHOD=GET REQUEST_URI=$P HTTP_HOST=mta-sts.example.org
EOT

# FCGI_WEB_SERVER_ADDRS means nothing to a CGI request (no socket, no
# peer of ours): even an invalid value is ignored, without a word.
cgi tests/conf/good/minimal.ini REQUEST_METHOD=GET REQUEST_URI=$P \
    FCGI_WEB_SERVER_ADDRS=nonsense
check_eq "cgi: an invalid FCGI_WEB_SERVER_ADDRS: exit 0, stderr empty" \
    "0 0" "$? $(wc -c <"$SCRATCH/err")"

# The reason for a 500 goes to stderr (the web server's error log).
cgi tests/conf/bad/mode-typo.ini REQUEST_METHOD=GET REQUEST_URI=$P
check_eq "cgi broken config: diagnostics on stderr" \
    "mta-sts-fcgi: tests/conf/bad/mode-typo.ini:2: mode: \"enforcing\" is not one of enforce, testing, none" \
    "$(head -1 "$SCRATCH/err")"
# A good request writes nothing to stderr but the config's warnings.
cgi tests/conf/good/minimal.ini REQUEST_METHOD=GET REQUEST_URI=$P
check_eq "cgi: nothing on stderr" 0 "$(wc -c <"$SCRATCH/err")"
# Config warnings are not written once per request (into the web
# server's error log): -t shows them; errors still go out (above).
cgi etc/mta-sts-fcgi.ini REQUEST_METHOD=GET REQUEST_URI=$P \
    HTTP_HOST=mta-sts.example.org
check_eq "cgi: a config with warnings (mode testing): exit 0, stderr empty" \
    "0 0" "$? $(wc -c <"$SCRATCH/err")"
check_file "cgi: a config with warnings: the policy" "$SCRATCH/org" \
    "$SCRATCH/out"

# [domain mta-sts.io] is a domain of its own: its policy host is
# mta-sts.mta-sts.io, whose "mta-sts." the responder strips once.
response "$EXPECTED/domain-mta-sts-tld.txt" >"$SCRATCH/io"
cgi tests/conf/good/domain-mta-sts-tld.ini REQUEST_METHOD=GET \
    REQUEST_URI=$P HTTP_HOST=mta-sts.mta-sts.io
check_file "cgi: [domain mta-sts.io] served for Host mta-sts.mta-sts.io" \
    "$SCRATCH/io" "$SCRATCH/out"
