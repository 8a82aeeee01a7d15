#!/bin/bash
# SPDX-License-Identifier: ISC
# Apache 2.4 with each contrib/apache file, used as shipped (paths and the
# port substituted): mod_fcgid (Apache runs us), mod_proxy_fcgi with
# SetHandler and with ProxyPass enablereuse=on (we run on our own), and
# plain CGI (mod_cgi).
. tests/lib/suite.sh
. tests/lib/frontend.sh
need "$BIN" "$CLIENT"

command -v apache2 >/dev/null || { notok "apache2 is not installed"; exit 1; }
MODS=/usr/lib/apache2/modules
frontend_setup

# apache_start NAME CONTRIB [modules...]: sets APACHE_PID, APACHE_URL.
apache_start() {
	name=$1 contrib=$2
	shift 2
	dir=$SCRATCH/apache-$name
	mkdir -p "$dir/fcgid" "$dir/run"
	chown www-data "$dir/fcgid"
	port=$(free_port)
	substitute "contrib/apache/$contrib" "$dir/site.conf" \
	    -e "s|<VirtualHost \*:80>|<VirtualHost *:$port>|"
	{
		echo "ServerRoot $dir"
		echo "DefaultRuntimeDir $dir/run"
		echo "PidFile $dir/apache2.pid"
		echo "Listen 127.0.0.1:$port"
		echo "ServerName localhost"
		echo "User www-data"
		echo "Group www-data"
		echo "ErrorLog $dir/error.log"
		echo "LogLevel warn"
		echo "DocumentRoot $WWW/htdocs"
		echo "LoadModule mpm_prefork_module $MODS/mod_mpm_prefork.so"
		echo "LoadModule authz_core_module $MODS/mod_authz_core.so"
		for m in "$@"; do
			echo "LoadModule ${m}_module $MODS/mod_$m.so"
		done
		case " $* " in *" fcgid "*)
			echo "FcgidIPCDir $dir/fcgid"
			echo "FcgidProcessTableFile $dir/fcgid/shm" ;;
		esac
		echo "Include $dir/site.conf"
	} >"$dir/apache2.conf"
	start "apache-$name" apache2 -f "$dir/apache2.conf" -DFOREGROUND
	APACHE_PID=$LAST_PID
	APACHE_URL=http://127.0.0.1:$port
	frontend_up "apache $name" "$APACHE_URL" \
	    "$SCRATCH/apache-$name.err" "$dir/error.log"
}

apache_stop() {	# apache_stop NAME: TERM, then no process of ours left
	stop "$APACHE_PID"
	check_eq "$1: apache stopped" 0 $?
	gone_within 50
	check_eq "$1: no process of ours left after apache stopped" "" "$(ours)"
	check_eq "$1: nothing from us in apache's error log" "" \
	    "$(grep 'mta-sts-fcgi: ' "$SCRATCH/apache-$1/error.log" |
	    grep -v ': warning: ')"
}

# apache_paths NAME BASE_URL: Apache matches <Location>, ProxyPass and
# ScriptAlias against its normalised path and passes the raw REQUEST_URI
# (it refuses an escaped "/" or NUL itself).  Its matches are prefixes:
# a trailing "/" reaches us, and is not the policy.
apache_paths() {
	path_checks "$1 path" "$2" <<EOT
/.well-known/mta-sts.txt/^404 Not Found^ours
/.well-known%2Fmta-sts.txt^404 Not Found^frontend
/.well-known/mta-sts.txt%00^404 Not Found^frontend
/../.well-known/mta-sts.txt^400 Bad Request^frontend
EOT
}

# mod_fcgid: Apache starts us with the socket on fd 0.
if apache_start fcgid mta-sts-fcgid.conf fcgid; then
	frontend_checks "mod_fcgid" "$APACHE_URL"
	apache_paths "mod_fcgid" "$APACHE_URL"
	check_eq "mod_fcgid: Apache started us, as www-data" "www-data" \
	    "$(ps -o user= -p "$(ours | cut -d' ' -f1)" 2>/dev/null)"
	# Graceful restart: the old processes go, new ones serve.
	old=$(ours)
	kill -USR1 "$APACHE_PID"
	sleep $((2 * SCALE))
	wait_for curl -s -o /dev/null "$APACHE_URL/"
	http "mod_fcgid after a graceful restart" "200 OK" \
	    -H "Host: mta-sts.example.com" "$APACHE_URL$P"
	check_file "mod_fcgid after a graceful restart: bytes" \
	    "$SCRATCH/com.body" "$SCRATCH/b"
	left=
	for p in $old; do
		# Retired processes are stopped by mod_fcgid within seconds.
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt $((80 * SCALE)) ]; do
			i=$((i + 1))
			sleep 0.1
		done
		kill -0 "$p" 2>/dev/null && left="$left $p"
	done
	check_eq "mod_fcgid: graceful restart leaves no orphan" "" "$left"
	apache_stop fcgid
fi

# mod_proxy_fcgi to a responder of our own, plain and with reuse.
start own "$WWW_BIN" -c "$FE_CONF" -s "unix:$WWW/run/fcgi.sock"
own=$LAST_PID
wait_for "$CLIENT" "unix:$WWW/run/fcgi.sock" REQUEST_METHOD=GET
for variant in proxy-fcgi proxy-fcgi-reuse; do
	if apache_start "$variant" "mta-sts-$variant.conf" proxy proxy_fcgi
	then
		frontend_checks "mod_proxy_fcgi ($variant)" "$APACHE_URL"
		apache_paths "$variant" "$APACHE_URL"
		# Many requests: reused connections must not lose any.
		fails=0
		for i in $(seq 1 50); do
			curl -s --max-time 5 -H "Host: mta-sts.example.org" \
			    "$APACHE_URL$P" | cmp -s - "$SCRATCH/org.body" ||
			    fails=$((fails + 1))
		done
		check_eq "$variant: 50 more requests, all exact" 0 "$fails"
		stop "$APACHE_PID"
		check_eq "$variant: apache stopped" 0 $?
	fi
done
stop "$own"
check_eq "mod_proxy_fcgi: our responder stopped by SIGTERM" 0 $?
gone_within 20
check_eq "mod_proxy_fcgi: no process of ours left" "" "$(ours)"

# Plain CGI through mod_cgi.
if apache_start cgi mta-sts-cgi.conf cgi alias env; then
	frontend_checks "mod_cgi" "$APACHE_URL"
	apache_paths "mod_cgi" "$APACHE_URL"
	apache_stop cgi
fi
