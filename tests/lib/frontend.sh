# SPDX-License-Identifier: ISC
# shellcheck shell=bash
# Shared by the front-end tests (tests/e2e) and the package's
# (tests/deb); sourced after tests/lib/suite.sh.
#
# Every front-end is checked the same way through HTTP: the exact 200 for
# GET with its headers, HEAD without a body, 405 for POST, 404 for another
# path, and the policy chosen by Host between two configured domains.
# Web servers run their children as www-data, so the program and config
# are copied where that user can read them; processes "of ours" are those
# running that copy.

. tests/lib/nginx.sh

WWW=$SCRATCH/www
WWW_BIN=$WWW/mta-sts-fcgi
FE_CONF=$WWW/policies.ini
P=/.well-known/mta-sts.txt
CT="text/plain; charset=utf-8"

frontend_setup() {
	chmod 0711 "$SCRATCH"
	mkdir -p "$WWW/run" "$WWW/htdocs"
	chmod 0755 "$WWW" "$WWW/htdocs"
	chmod 0777 "$WWW/run"
	install -m 0755 "$BIN" "$WWW_BIN"
	cat >"$FE_CONF" <<EOC
[domain example.com]
mode = enforce
mx = mail.example.com
max_age = 604800

[domain example.org]
mode = enforce
mx = mx1.example.org, mx2.example.org
max_age = 86400
EOC
	chmod 0644 "$FE_CONF"
	cp "$EXPECTED/minimal.txt" "$SCRATCH/com.body"
	cp "$EXPECTED/frontend-example.org.txt" "$SCRATCH/org.body"
}

# substitute FILE OUT [sed expressions...]: the contrib file with only its
# paths (and listen address) replaced.
substitute() {
	in=$1 out=$2
	shift 2
	sed -e "s|/usr/local/sbin/mta-sts-fcgi|$WWW_BIN|g" \
	    -e "s|/usr/local/sbin|$WWW|g" \
	    -e "s|/usr/local/etc/mta-sts-fcgi.ini|$FE_CONF|g" \
	    -e "s|/run/mta-sts-fcgi/mta-sts-fcgi.sock|$WWW/run/fcgi.sock|g" \
	    -e "s|/run/mta-sts-fcgi/mta-sts-fcgi.pid|$WWW/run/fcgi.pid|g" \
	    -e "s|/run/lighttpd/mta-sts-fcgi.sock|$WWW/run/lighttpd.sock|g" \
	    "$@" "$in" >"$out"
}

# unit_value FILE KEY: the value of KEY= in a systemd unit (the first).
unit_value() {
	sed -n "s/^$2=//p" "$1" | head -1
}

# ours: the PIDs of processes running our copy of the program.
ours() {
	pgrep -f "^$WWW_BIN( |\$)" | tr '\n' ' '
}

# http NAME WANT_STATUS [curl args...]: fetches into $SCRATCH/h, /b.
http() {
	name=$1 status=$2
	shift 2
	curl -sS --http1.1 --max-time 10 -D "$SCRATCH/h" -o "$SCRATCH/b" \
	    "$@" 2>"$SCRATCH/curl.err"
	tr -d '\r' <"$SCRATCH/h" >"$SCRATCH/headers"
	check_eq "$name: status" "HTTP/1.1 $status" \
	    "$(head -1 "$SCRATCH/headers" | sed 's/ *$//')"
}

header() {	# header NAME: that response header's value(s)
	grep -i "^$1:" "$SCRATCH/headers" | sed 's/^[^:]*: //'
}

# check_length NAME BODY_FILE: the response's framing.  Our
# Content-Length is exact; Apache re-frames streamed FastCGI and CGI
# responses as chunked and drops it, which is valid HTTP/1.1 and fine for
# every sender.  So: exact if present, else chunked.
check_length() {
	if [ -n "$(header Content-Length)" ]; then
		check_eq "$1: Content-Length" \
		    "$(wc -c <"$2" | tr -d ' ')" "$(header Content-Length)"
	else
		check_eq "$1: no Content-Length, so chunked" "chunked" \
		    "$(header Transfer-Encoding)"
	fi
}

# frontend_checks NAME BASE_URL: the standard assertions.
frontend_checks() {
	fe=$1 url=$2
	for d in com org; do
		http "$fe: GET mta-sts.example.$d" "200 OK" \
		    -H "Host: mta-sts.example.$d" "$url$P"
		check_eq "$fe: GET mta-sts.example.$d: Content-Type, once" \
		    "$CT" "$(header Content-Type)"
		check_length "$fe: GET mta-sts.example.$d" "$SCRATCH/$d.body"
		check_file "$fe: GET mta-sts.example.$d: the policy's bytes" \
		    "$SCRATCH/$d.body" "$SCRATCH/b"
	done
	http "$fe: HEAD" "200 OK" -I -H "Host: mta-sts.example.org" "$url$P"
	# A HEAD answer has no body to frame: Content-Length may be left
	# out (Apache does), but if it is there it must be the GET's.
	if [ -n "$(header Content-Length)" ]; then
		check_length "$fe: HEAD" "$SCRATCH/org.body"
	fi
	check_eq "$fe: HEAD: no body" "$(wc -c <"$SCRATCH/h")" \
	    "$(wc -c <"$SCRATCH/b")"
	http "$fe: POST" "405 Method Not Allowed" -X POST -d a=1 \
	    -H "Host: mta-sts.example.org" "$url$P"
	check_eq "$fe: POST: Allow" "GET, HEAD" "$(header Allow)"
	http "$fe: another path" "404 Not Found" \
	    -H "Host: mta-sts.example.org" "$url/.well-known/other.txt"
	http "$fe: an unconfigured domain" "404 Not Found" \
	    -H "Host: mta-sts.other.example" "$url$P"
}

# gone_within TENTHS: true once no process of ours is left.
none_of_ours() {
	[ -z "$(ours)" ]
}
gone_within() {
	within "$1" none_of_ours
}

# nginx_start NAME UPSTREAM [CONTRIB]: a throwaway nginx (nginx.sh) on a
# free port in front of the FastCGI address UPSTREAM, waited for.  Sets
# NGINX_PID, NGINX_PORT and NGINX_URL; false, after showing its logs, if
# it did not start.  Its directory is $SCRATCH/nginx-NAME.
nginx_start() {
	local name=$1 upstream=$2 contrib=${3:-contrib/nginx/mta-sts.conf}
	local dir=$SCRATCH/nginx-$1
	NGINX_PORT=$(free_port)
	NGINX_URL=http://127.0.0.1:$NGINX_PORT
	nginx_conf "$dir" "$NGINX_PORT" "$upstream" "$contrib"
	start "nginx-$name" nginx -e "$dir/error.log" -p "$dir" \
	    -c "$dir/nginx.conf"
	# shellcheck disable=SC2034 # the caller's to stop
	NGINX_PID=$LAST_PID
	frontend_up "nginx $name" "$NGINX_URL" "$SCRATCH/nginx-$name.err" \
	    "$dir/error.log"
}

# frontend_up NAME URL LOG...: waits for the front-end to answer, else
# says so with its logs; true if it is up.
frontend_up() {
	local name=$1 url=$2
	shift 2
	wait_for curl -s -o /dev/null "$url/" && return 0
	notok "$name: the front-end did not start"
	sed 's/^/#   /' "$@" 2>/dev/null
	return 1
}

# path_checks NAME BASE_URL: one request for mta-sts.example.org per row
# "path ^ status ^ who", the rows every front-end shares and then those
# on stdin, the path sent as it is (--path-as-is):
# who is "policy" ($SCRATCH/org.body, exactly), "ours" (our 404, exactly)
# or "frontend" (the front-end's own text/html page: never reached us).
path_checks() {
	local fe=$1 url=$2 path status who name own
	printf 'Not Found\n' >"$SCRATCH/ours.404"
	own=$(cat)
	# What every front-end passes on and we normalise to the policy,
	# then the front-end's own rows.
	while IFS='^' read -r path status who; do
		[ -z "$path" ] && continue
		name="$fe: GET $path"
		http "$name" "$status" --path-as-is \
		    -H "Host: mta-sts.example.org" "$url$path"
		case $who in
		policy)
			check_file "$name: the policy" "$SCRATCH/org.body" \
			    "$SCRATCH/b" ;;
		ours)
			check_eq "$name: our Content-Type" "$CT" \
			    "$(header Content-Type)"
			check_file "$name: our body" "$SCRATCH/ours.404" \
			    "$SCRATCH/b" ;;
		frontend)
			check_eq "$name: the front-end's own page" text/html \
			    "$(header Content-Type | cut -d';' -f1)" ;;
		esac
	done <<EOT
/.well-known/%6dta-sts.txt^200 OK^policy
//.well-known/mta-sts.txt^200 OK^policy
/.well-known/./mta-sts.txt^200 OK^policy
/.well-known/%2e/mta-sts.txt^200 OK^policy
/.well-known/x/../mta-sts.txt^200 OK^policy
/.well-known/mta-sts.txt?a=%2F..^200 OK^policy
$own
EOT
}
