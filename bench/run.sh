#!/bin/bash
# SPDX-License-Identifier: ISC
# make bench: mta-sts-fcgi side by side with what users would run instead,
# all on loopback, measured in one run on this machine.
#
#   1 nginx "return 200" with the policy inline (what we replace; the ceiling)
#   2 nginx serving the policy as a static file
#   3 nginx -> mta-sts-fcgi, unix socket      (contrib/nginx/mta-sts.conf)
#   4 nginx -> mta-sts-fcgi, keepalive        (contrib/nginx/mta-sts-keepalive.conf)
#   5 nginx -> minimal libfcgi program        (bench/minimal.c: the floor)
#   6 nginx -> php-fpm, a three-line script   (bench/policy.php)
#   7 nginx -> fcgiwrap, a shell CGI script   (bench/policy.cgi)
#   8 Apache mod_fcgid -> mta-sts-fcgi        (contrib/apache/mta-sts-fcgid.conf)
#   9 Apache serving the static file
#
# Every setup runs DURATION seconds with CONNS connections, once per round,
# ROUNDS rounds in turn (so drift hits all alike); medians are reported.
# Each FastCGI backend gets one process (our -w 1, pm.max_children = 1,
# fcgiwrap -c 1).  Then: connection counts 1..256 on setup 4, user-space
# instructions per request under callgrind (ours against the minimal
# program), and the scale from 1 to 1,000,000 domains.
# Writes BENCHMARKS.md and bench/results.png, bench/scale.png.
set -u
cd "$(dirname "$0")/.." || exit 1
TOP=$(pwd)
DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-5}
CONNS=${CONNS:-32}
SCALES=${SCALES:-"1 1000 10000 100000 1000000"}
OUT=${OUT:-BENCHMARKS.md}
P=/.well-known/mta-sts.txt
HOST=mta-sts.example.com

D=$(mktemp -d /tmp/mta-sts-bench.XXXXXX)
chmod 0711 "$D"
PIDS=
cleanup() {
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
	sleep 1
	for p in $PIDS; do kill -KILL "$p" 2>/dev/null; done
	pkill -f "^$D/" 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT
[ -n "${KEEP:-}" ] && trap - EXIT
trap 'exit 1' INT TERM
die() { echo "bench: $*" >&2; exit 1; }
start() {	# start NAME CMD...
	local name=$1
	shift
	setsid "$@" >"$D/$name.out" 2>"$D/$name.err" &
	LAST=$!
	PIDS="$PIDS $LAST"
}
wait_http() {	# wait_http URL: up to 10 s
	local i=0
	until curl -s -o /dev/null -H "Host: $HOST" "$1"; do
		i=$((i + 1))
		[ $i -ge 200 ] && return 1
		sleep 0.05
	done
}
port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

for c in wrk nginx apache2 php-fpm8.2 fcgiwrap gnuplot valgrind; do
	command -v "$c" >/dev/null || die "$c is not installed (make bench installs it)"
done
make -s --no-print-directory all build/tests/tools/fcgi-client || exit 1
cc -O2 -o "$D/minimal" bench/minimal.c -lfcgi || die "bench/minimal.c"

# --- the setups ------------------------------------------------------
mkdir -p "$D/www/.well-known" "$D/run" "$D/nginx/tmp" "$D/fcgid"
chmod 0755 "$D/www" "$D/www/.well-known"
chmod 0777 "$D/run"
chown www-data "$D/fcgid"
install -m 0755 build/mta-sts-fcgi "$D/mta-sts-fcgi"
install -m 0644 etc/mta-sts-fcgi.ini "$D/mta-sts-fcgi.ini"
install -m 0644 bench/policy.php "$D/www/policy.php"
install -m 0755 bench/policy.cgi "$D/www/policy.cgi"
printf 'version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n' >"$D/body"
install -m 0644 "$D/body" "$D/www/.well-known/mta-sts.txt"
INLINE='version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n'

for s in 1 2 3 4 5 6 7 8 9; do eval "PORT$s=$(port)"; done
# shellcheck disable=SC2154
{
	echo "worker_processes 1;"
	echo "daemon off;"
	echo "pid $D/nginx/nginx.pid;"
	echo "error_log $D/nginx/error.log warn;"
	echo "events { worker_connections 4096; }"
	echo "http {"
	echo "    access_log off;"
	for t in client_body fastcgi proxy uwsgi scgi; do
		echo "    ${t}_temp_path $D/nginx/tmp/$t;"
	done
	echo "    server { listen 127.0.0.1:$PORT1; location = $P {"
	echo "        default_type text/plain; charset utf-8;"
	echo "        return 200 \"$INLINE\"; } }"
	echo "    server { listen 127.0.0.1:$PORT2; location = $P {"
	echo "        root $D/www; default_type text/plain; charset utf-8; } }"
	sed -e "s|listen 80;|listen 127.0.0.1:$PORT3;|" -e '/listen \[::\]:80;/d' \
	    -e "s|unix:/run/mta-sts-fcgi/mta-sts-fcgi.sock|unix:$D/run/ours.sock|" \
	    contrib/nginx/mta-sts.conf
	sed -e "s|listen 80;|listen 127.0.0.1:$PORT4;|" -e '/listen \[::\]:80;/d' \
	    -e "s|unix:/run/mta-sts-fcgi/mta-sts-fcgi.sock|unix:$D/run/ours-ka.sock|" \
	    contrib/nginx/mta-sts-keepalive.conf
	for n in 5:minimal 6:php 7:fcgiwrap; do
		echo "    server { listen 127.0.0.1:$(eval echo \$PORT${n%%:*});"
		echo "        location = $P {"
		echo "            include /etc/nginx/fastcgi_params;"
		case ${n#*:} in
		php) echo "            fastcgi_param SCRIPT_FILENAME $D/www/policy.php;" ;;
		fcgiwrap) echo "            fastcgi_param SCRIPT_FILENAME $D/www/policy.cgi;" ;;
		esac
		echo "            fastcgi_pass unix:$D/run/${n#*:}.sock; } }"
	done
	echo "}"
} >"$D/nginx/nginx.conf"
sed -i "s|include fastcgi_params;|include /etc/nginx/fastcgi_params;|" \
    "$D/nginx/nginx.conf"

cat >"$D/php-fpm.conf" <<EOF
[global]
pid = $D/run/php-fpm.pid
error_log = $D/php-fpm.log
[bench]
user = www-data
group = www-data
listen = $D/run/php.sock
listen.owner = www-data
listen.group = www-data
listen.mode = 0666
pm = static
pm.max_children = 1
EOF

MODS=/usr/lib/apache2/modules
sed -e "s|<VirtualHost \*:80>|<VirtualHost *:$PORT8>|" \
    -e "s|/usr/local/sbin/mta-sts-fcgi|$D/mta-sts-fcgi|" \
    -e "s|/usr/local/etc/mta-sts-fcgi.ini|$D/mta-sts-fcgi.ini|" \
    contrib/apache/mta-sts-fcgid.conf >"$D/apache-site.conf"
mkdir -p "$D/apache"
cat >"$D/apache/apache2.conf" <<EOF
ServerRoot $D/apache
DefaultRuntimeDir $D/apache
PidFile $D/apache/apache2.pid
Listen 127.0.0.1:$PORT8
Listen 127.0.0.1:$PORT9
ServerName localhost
User www-data
Group www-data
ErrorLog $D/apache/error.log
LogLevel warn
LoadModule mpm_event_module $MODS/mod_mpm_event.so
LoadModule authz_core_module $MODS/mod_authz_core.so
LoadModule fcgid_module $MODS/mod_fcgid.so
LoadModule mime_module $MODS/mod_mime.so
TypesConfig /dev/null
FcgidIPCDir $D/fcgid
FcgidProcessTableFile $D/fcgid/shm
FcgidMaxProcesses 1
FcgidMaxProcessesPerClass 1
FcgidMaxRequestsPerProcess 0
Include $D/apache-site.conf
<VirtualHost *:$PORT9>
    DocumentRoot $D/www
    <Directory $D/www>
        Require all granted
    </Directory>
    <Files "mta-sts.txt">
        ForceType "text/plain; charset=utf-8"
    </Files>
</VirtualHost>
EOF

start ours "$D/mta-sts-fcgi" -c "$D/mta-sts-fcgi.ini" -s "unix:$D/run/ours.sock" -w 1
OURS=$LAST
start ours-ka "$D/mta-sts-fcgi" -c "$D/mta-sts-fcgi.ini" -s "unix:$D/run/ours-ka.sock" -w 1
OURS_KA=$LAST
start minimal "$D/minimal" "$D/run/minimal.sock"
MINIMAL=$LAST
start php php-fpm8.2 -F -y "$D/php-fpm.conf"
PHP=$LAST
start fcgiwrap runuser -u www-data -- fcgiwrap -c 1 -s "unix:$D/run/fcgiwrap.sock"
sleep 0.5
FCGIWRAP=$(pgrep -f "fcgiwrap -c 1 -s unix:$D/run/fcgiwrap.sock" | tail -1)
sleep 0.5
chmod 0666 "$D"/run/*.sock
start nginx nginx -e "$D/nginx/error.log" -p "$D/nginx" -c "$D/nginx/nginx.conf"
start apache apache2 -f "$D/apache/apache2.conf" -DFOREGROUND

NAMES=(x "nginx return 200 (inline)" "nginx static file" \
    "nginx → mta-sts-fcgi (unix socket)" "nginx → mta-sts-fcgi (keepalive)" \
    "nginx → minimal libfcgi program" "nginx → php-fpm (3-line script)" \
    "nginx → fcgiwrap (shell CGI)" "Apache mod_fcgid → mta-sts-fcgi" \
    "Apache static file")
# Every response byte-checked once before anything is timed.
for s in 1 2 3 4 5 6 7 8 9; do
	url=http://127.0.0.1:$(eval echo \$PORT$s)$P
	wait_http "$url" || die "setup $s (${NAMES[$s]}) did not start"
	curl -s -D "$D/h" -o "$D/b" -H "Host: $HOST" "$url"
	cmp -s "$D/b" "$D/body" || die "setup $s (${NAMES[$s]}): wrong body"
	grep -qi '^content-type: text/plain; charset=utf-8' "$D/h" ||
	    die "setup $s (${NAMES[$s]}): wrong Content-Type: $(grep -i content-type "$D/h")"
	head -1 "$D/h" | grep -q ' 200' || die "setup $s: not 200"
done
echo "bench: all 9 setups answer the exact policy bytes"

# The processes of a FastCGI setup: a PID and its descendants.
tree() {
	local p=$1 c
	echo "$p"
	for c in $(pgrep -P "$p"); do tree "$c"; done
}
backend_pids() {
	case $1 in
	3) tree "$OURS" ;;
	4) tree "$OURS_KA" ;;
	5) echo "$MINIMAL" ;;
	6) tree "$PHP" ;;
	7) tree "$FCGIWRAP" ;;
	8) pgrep -f "^$D/mta-sts-fcgi -c $D/mta-sts-fcgi.ini -w 1\$" ;;
	esac
}
cpu_ticks() {	# utime+stime+cutime+cstime of the given PIDs
	local t=0 p f
	for p in "$@"; do
		f=$(cut -d' ' -f14-17 "/proc/$p/stat" 2>/dev/null) || continue
		set -- $f
		t=$((t + $1 + $2 + $3 + $4))
	done
	echo "$t"
}
to_ms() {	# wrk latency (12.3us, 1.2ms, 1.1s) in ms
	awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000;
	    else if (v ~ /[0-9]s$/ && v !~ /ms$/) n *= 1000; printf "%.3f", n }'
}

# run_wrk SETUP CONNS SECONDS [extra wrk args]: one line of results.
run_wrk() {
	local s=$1 c=$2 secs=$3
	shift 3
	local url=http://127.0.0.1:$(eval echo \$PORT$s)$P pids before after
	pids=$(backend_pids "$s" | tr '\n' ' ')
	before=$(cpu_ticks $pids)
	wrk -t1 -c"$c" -d"${secs}s" --latency -H "Host: $HOST" "$@" "$url" \
	    >"$D/wrk.out" 2>&1
	pids=$(backend_pids "$s" | tr '\n' ' ')
	after=$(cpu_ticks $pids)
	local rps req p50 p99 non2xx sockerr
	rps=$(awk '/^Requests\/sec/ { print $2 }' "$D/wrk.out")
	req=$(awk '/requests in/ { print $1 }' "$D/wrk.out")
	p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$D/wrk.out")")
	p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$D/wrk.out")")
	non2xx=$(awk '/Non-2xx/ { print $NF }' "$D/wrk.out")
	sockerr=$(awk -F'[ ,]+' '/Socket errors/ { print $4 + $6 + $8 + $10 }' "$D/wrk.out")
	# CPU time of the backend per request, in microseconds.
	local cpu=-
	[ -n "$pids" ] && [ "${req:-0}" -gt 0 ] &&
	    cpu=$(awk -v t=$((after - before)) -v n="$req" -v hz="$(getconf CLK_TCK)" \
	        'BEGIN { printf "%.1f", t * 1e6 / hz / n }')
	echo "$s $c ${rps:-0} ${p50:-0} ${p99:-0} $((${non2xx:-0} + ${sockerr:-0})) $cpu"
}

median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

: >"$D/runs"
for r in $(seq 1 "$ROUNDS"); do
	for s in 1 2 3 4 5 6 7 8 9; do
		run_wrk "$s" "$CONNS" "$DURATION" >>"$D/runs"
		echo "bench: round $r/$ROUNDS: $(tail -1 "$D/runs")"
	done
done

# Medians per setup: rps p50 p99 errors cpu.
declare -A RPS P50 P99 ERR CPU
for s in 1 2 3 4 5 6 7 8 9; do
	RPS[$s]=$(awk -v s=$s '$1 == s { print $3 }' "$D/runs" | median)
	P50[$s]=$(awk -v s=$s '$1 == s { print $4 }' "$D/runs" | median)
	P99[$s]=$(awk -v s=$s '$1 == s { print $5 }' "$D/runs" | median)
	ERR[$s]=$(awk -v s=$s '$1 == s { e += $6 } END { print e + 0 }' "$D/runs")
	CPU[$s]=$(awk -v s=$s '$1 == s && $7 != "-" { print $7 }' "$D/runs" | median)
done

# Memory of every process of each FastCGI setup, after the load.
mem_line() {	# PID: "pid role rss uss pss" in kB
	awk -v p="$1" '/^Rss:/ { r = $2 } /^Pss:/ { s = $2 }
	    /^Private_(Clean|Dirty):/ { u += $2 }
	    END { printf "%s %d %d %d", p, r, u, s }' "/proc/$1/smaps_rollup"
}
: >"$D/mem"
for s in 3 4 5 6 7 8; do
	pids=" $(backend_pids "$s" | tr '\n' ' ') "
	for p in $pids; do
		role=process
		case $s in 3|4|8)
			# A worker's parent is a process of the same setup.
			case $pids in *" $(awk '{ print $4 }' "/proc/$p/stat") "*)
				role=worker ;;
			*)	role=supervisor ;;
			esac ;;
		esac
		echo "$s $(mem_line "$p") $role $(tr '\0' ' ' <"/proc/$p/cmdline" | sed "s|$D/||g" | cut -c1-50)" >>"$D/mem"
	done
done

# --- no starvation: setup 4 from 1 to 256 connections ----------------
: >"$D/sweep"
for c in 1 2 4 8 16 32 64 128 256; do
	run_wrk 4 "$c" 3 >>"$D/sweep"
	echo "bench: keepalive sweep: $(tail -1 "$D/sweep")"
done

# --- user-space instructions per request (callgrind) ------------------
# Ours (supervisor and worker) against the minimal program, each under
# callgrind, driven directly with N requests on N new connections (as
# nginx without keepalive sends them, with nginx's parameters).
PARAMS="QUERY_STRING= REQUEST_METHOD=GET CONTENT_TYPE= CONTENT_LENGTH=
SCRIPT_NAME=$P REQUEST_URI=$P DOCUMENT_URI=$P DOCUMENT_ROOT=/usr/share/nginx/html
SERVER_PROTOCOL=HTTP/1.1 REQUEST_SCHEME=http GATEWAY_INTERFACE=CGI/1.1
SERVER_SOFTWARE=nginx/1.22.1 REMOTE_ADDR=127.0.0.1 REMOTE_PORT=51234
SERVER_ADDR=127.0.0.1 SERVER_PORT=8080 SERVER_NAME=$HOST REDIRECT_STATUS=200
HTTP_HOST=$HOST HTTP_USER_AGENT=curl/7.88.1 HTTP_ACCEPT=*/*"
mkdir -p "$D/cg"
chmod 0777 "$D/cg"	# workers (www-data) write their own profiles
instructions() {	# instructions NAME N CMD...: total Ir of all processes
	local name=$1 n=$2 sock=$D/run/cg-$1.sock pid
	shift 2
	rm -f "$D"/cg/"$name".*
	# shellcheck disable=SC2086
	# As www-data: a worker started by root chroots into an empty
	# directory, where callgrind could not write its profile.
	setsid setpriv --reuid=www-data --regid=www-data --init-groups \
	    valgrind --tool=callgrind --callgrind-out-file="$D/cg/$name.%p" \
	    "$@" >/dev/null 2>"$D/cg-$name.err" &
	pid=$!
	local i=0
	until build/tests/tools/fcgi-client "unix:$sock" REQUEST_METHOD=GET \
	    >/dev/null 2>&1; do
		i=$((i + 1)); [ $i -ge 400 ] && die "callgrind $name did not start"
		sleep 0.05
	done
	# shellcheck disable=SC2086
	build/tests/tools/fcgi-client -N "$n" "unix:$sock" $PARAMS >/dev/null ||
	    die "callgrind $name: requests failed"
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null
	pkill -f "^$D/minimal $sock" 2>/dev/null
	sleep 0.5
	cat "$D"/cg/"$name".[0-9]* | awk '/^summary:/ { t += $2 } END { print t }'
}
cg_per_request() {	# cg_per_request NAME CMD...: Ir per request
	local a b
	a=$(instructions "$1" 500 "${@:2}")
	b=$(instructions "$1" 2500 "${@:2}")
	awk -v a="$a" -v b="$b" 'BEGIN { printf "%.0f", (b - a) / 2000 }'
}
echo "bench: callgrind (slow)"
IR_OURS=$(cg_per_request ours "$D/mta-sts-fcgi" -c "$D/mta-sts-fcgi.ini" \
    -s "unix:$D/run/cg-ours.sock" -w 1)
IR_MIN=$(cg_per_request minimal "$D/minimal" "$D/run/cg-minimal.sock")
# Where the instructions go (from the 2500-request runs, startup included):
# per object, and our own functions.
breakdown() {	# breakdown NAME: "object Ir/request" lines
	for f in "$D"/cg/"$1".[0-9]*; do
		callgrind_annotate --auto=no --inclusive=no --show-percs=no "$f" 2>/dev/null
	done | awk '/^ *[0-9,]+ +[^ ]+:[^ ]+/ {
	    v = $1; gsub(",", "", v); o = $NF
	    if (o !~ /^\[/) o = "[inlined]"; n = split(o, a, "/"); o = a[n]
	    sub(/\]$/, "", o); sub(/^\[/, "", o); s[o] += v }
	    END { for (o in s) if (s[o] / 2500 >= 1) printf "%s %.0f\n", o, s[o] / 2500 }' |
	    sort -k2 -rn
}
breakdown ours >"$D/cg-ours.objects"
breakdown minimal >"$D/cg-minimal.objects"
for f in "$D"/cg/ours.[0-9]*; do
	callgrind_annotate --auto=no --inclusive=no --show-percs=no "$f" 2>/dev/null
done | awk '!/=>/ && /^ *[0-9,]+ +(.*\/)?src\/[a-z]+\.c:/ { v = $1; gsub(",", "", v);
    f = $2; sub(/.*\/src\//, "src/", f); s[f] += v }
    END { for (f in s) if (s[f] / 2500 >= 10) printf "%s %.0f\n", f, s[f] / 2500 }' |
    sort -k2 -rn >"$D/cg-ours.functions"
echo "bench: instructions per request: ours $IR_OURS, minimal $IR_MIN"

# --- scale: 1 to 1,000,000 domains ------------------------------------
# A hosting provider: every tenth domain has a policy of its own, the
# rest share the default.  Random Hosts through nginx and the contrib
# config; -t and start-up timed; PSS of all processes after the load.
gen_conf() {	# gen_conf N FILE
	awk -v n="$1" 'BEGIN {
	    print "[policy]\nmode = enforce\nmx = mail.example.com\nmx = *.example.net\nmax_age = 604800\n"
	    for (i = 0; i < n; i++) {
	        printf "[domain customer%d.example]\n", i
	        if (i % 10 == 1) printf "mx = mx.customer%d.example\n", i
	    } }' >"$2"
}
now_ms() { date +%s%3N; }
SPORT=$(port)
sed -e "s|listen 80;|listen 127.0.0.1:$SPORT;|" -e '/listen \[::\]:80;/d' \
    -e "s|unix:/run/mta-sts-fcgi/mta-sts-fcgi.sock|unix:$D/run/scale.sock|" \
    -e "s|include fastcgi_params;|include /etc/nginx/fastcgi_params;|" \
    contrib/nginx/mta-sts.conf >"$D/scale-site.conf"
mkdir -p "$D/nginx-scale/tmp"
{
	echo "worker_processes 1; daemon off; pid $D/nginx-scale/nginx.pid;"
	echo "error_log $D/nginx-scale/error.log warn;"
	echo "events { worker_connections 4096; }"
	echo "http { access_log off;"
	for t in client_body fastcgi proxy uwsgi scgi; do
		echo "    ${t}_temp_path $D/nginx-scale/tmp/$t;"
	done
	echo "    include $D/scale-site.conf; }"
} >"$D/nginx-scale/nginx.conf"
start nginx-scale nginx -e "$D/nginx-scale/error.log" -p "$D/nginx-scale" \
    -c "$D/nginx-scale/nginx.conf"
: >"$D/scale"
for n in $SCALES; do
	gen_conf "$n" "$D/scale.ini"
	chmod 0644 "$D/scale.ini"
	best=
	for i in 1 2 3; do
		t0=$(now_ms)
		"$D/mta-sts-fcgi" -t -c "$D/scale.ini" >/dev/null 2>&1 ||
		    die "scale $n: -t failed"
		t=$(( $(now_ms) - t0 ))
		[ -z "$best" ] || [ "$t" -lt "$best" ] && best=$t
	done
	t0=$(now_ms)
	start scale "$D/mta-sts-fcgi" -c "$D/scale.ini" -s "unix:$D/run/scale.sock" -w 1
	spid=$LAST
	until build/tests/tools/fcgi-client "unix:$D/run/scale.sock" REQUEST_METHOD=GET \
	    "REQUEST_URI=$P" HTTP_HOST=mta-sts.customer0.example >/dev/null 2>&1; do
		sleep 0.01
	done
	startup=$(( $(now_ms) - t0 ))
	chmod 0666 "$D/run/scale.sock"
	hosts=$(( n < 100000 ? n : 100000 ))
	awk -v n="$n" -v h="$hosts" 'BEGIN { srand(1); for (i = 0; i < h; i++)
	    printf "mta-sts.customer%d.example\n", int(rand() * n) }' >"$D/hosts"
	cat >"$D/random.lua" <<EOF
local hosts = {}
for line in io.lines("$D/hosts") do hosts[#hosts + 1] = line end
local i = 0
request = function()
    i = i % #hosts + 1
    return wrk.format("GET", "$P", { Host = hosts[i] })
end
EOF
	# customer1 has a policy of its own, customer0 the default.
	if [ "$n" -gt 1 ]; then
		curl -s -H "Host: mta-sts.customer1.example" "http://127.0.0.1:$SPORT$P" |
		    grep -q "mx.customer1.example" || die "scale $n: wrong policy"
	fi
	curl -s -H "Host: mta-sts.customer0.example" "http://127.0.0.1:$SPORT$P" |
	    cmp -s - "$D/body" || die "scale $n: wrong default policy"
	wrk -t1 -c"$CONNS" -d"${DURATION}s" -s "$D/random.lua" \
	    "http://127.0.0.1:$SPORT$P" >"$D/wrk.out" 2>&1
	rps=$(awk '/^Requests\/sec/ { print $2 }' "$D/wrk.out")
	errs=$(awk '/Non-2xx/ { print $NF }' "$D/wrk.out")
	pss=0
	for p in $(tree "$spid"); do
		pss=$((pss + $(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup")))
	done
	policies=$("$D/mta-sts-fcgi" -T -c "$D/scale.ini" 2>/dev/null | grep -c '^# policy')
	echo "$n $best $startup $pss $rps ${errs:-0} $policies" >>"$D/scale"
	echo "bench: scale: $(tail -1 "$D/scale")"
	kill -TERM "$spid"
	wait "$spid" 2>/dev/null
done

# --- the report ------------------------------------------------------
r() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
R35=$(r "${RPS[3]}" "${RPS[5]}")
R43=$(r "${RPS[4]}" "${RPS[3]}")
R36=$(r "${RPS[3]}" "${RPS[6]}")
R37=$(r "${RPS[3]}" "${RPS[7]}")
RIR=$(r "$IR_OURS" "$IR_MIN")
verdict() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN {
    ok = (op == ">=") ? v >= t : v <= t; print ok ? "met" : "**missed**" }'; }
ONE=$(awk '$1 == 1 { print $5 }' "$D/scale")
S100K=$(awk '$1 == 100000' "$D/scale")

for s in 1 2 3 4 5 6 7 8 9; do
	echo "$s \"${NAMES[$s]}\" ${RPS[$s]}"
done >"$D/plot.dat"
gnuplot <<EOF
set terminal pngcairo size 960,560 font ",10" noenhanced
set output "bench/results.png"
set bmargin 9
set rmargin 8
set title "MTA-STS policy on loopback: requests/s (median of $ROUNDS, $CONNS connections, wrk)"
set style fill solid 0.8
set boxwidth 0.7
set yrange [0:*]
set grid ytics
set xtics rotate by -30 nomirror
unset key
plot "$D/plot.dat" using 1:3:xtic(2) with boxes lc rgb "#4477aa", \
     "" using 1:3:(sprintf("%.0f", \$3)) with labels offset 0,0.7
EOF
gnuplot <<EOF
set terminal pngcairo size 900,420 font ",10" noenhanced
set output "bench/scale.png"
set title "From 1 to 1,000,000 domains (log-log: a slope of 1 is linear growth)"
set logscale xy
set xlabel "domains"
set ylabel "start-up ms / PSS MiB"
set y2label "requests/s"
set y2range [0:*]
set y2tics
set ytics nomirror
set key top left
set grid
plot "$D/scale" using 1:3 with linespoints title "start-up (ms)", \
     "" using 1:(\$4 / 1024) with linespoints title "PSS of all processes (MiB)", \
     "" using 1:5 axes x1y2 with linespoints title "requests/s, random hosts"
EOF

# Sections measured by other scripts (bench/cgi-startup.sh) are kept.
kept=$(sed -n '/^## Plain-CGI start-up/,$p' "$OUT" 2>/dev/null)
{
	echo "# Benchmarks"
	echo
	echo "Generated by \`make bench\` (bench/run.sh) on $(date -u '+%Y-%m-%d %H:%M UTC')."
	echo "Machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')),"
	echo "$(free -g | awk '/^Mem:/ { print $2 }') GiB, $(. /etc/os-release; echo "$PRETTY_NAME"), $(uname -r);"
	echo "nginx $(nginx -v 2>&1 | sed 's|.*/||'), $(apache2 -v | sed -n 's/Server version: //p'),"
	echo "libfcgi $(dpkg-query -W -f '${Version}' libfcgi0ldbl), PHP $(php-fpm8.2 -v | head -1 | cut -d' ' -f2), wrk $(wrk -v 2>&1 | head -1 | cut -d' ' -f2)."
	echo
	echo "Every setup serves the same policy bytes (checked once before timing) on"
	echo "loopback, for $DURATION s with $CONNS connections (\`wrk -t1 -c$CONNS -d${DURATION}s --latency\`),"
	echo "once per round, $ROUNDS rounds in turn; the table shows medians. nginx runs"
	echo "one worker; each FastCGI backend one process (\`mta-sts-fcgi -w 1\`,"
	echo "\`pm.max_children = 1\`, \`fcgiwrap -c 1\`). CPU is the backend's user+system"
	echo "time per request, from /proc."
	echo
	echo "![requests per second](bench/results.png)"
	echo
	echo "| # | setup | requests/s | p50 ms | p99 ms | errors | backend CPU µs/request |"
	echo "|---|---|---:|---:|---:|---:|---:|"
	for s in 1 2 3 4 5 6 7 8 9; do
		cpu=${CPU[$s]}
		case $s in 1|2|9) cpu="–" ;; esac
		printf '| %d | %s | %.0f | %s | %s | %s | %s |\n' "$s" "${NAMES[$s]}" \
		    "${RPS[$s]}" "${P50[$s]}" "${P99[$s]}" "${ERR[$s]}" "${cpu:-–}"
	done
	echo
	echo "## Targets"
	echo
	echo "| target | measured | |"
	echo "|---|---|---|"
	echo "| 3 ≥ 1.2 × 5 (checking, re-framing and routing cost less than libfcgi's own loop; issue 8) | $R35 | $(verdict "$R35" 1.2 ">=") |"
	echo "| user-space instructions per request ≤ 1.10 × minimal (callgrind) | $IR_OURS vs $IR_MIN = $RIR | $(verdict "$RIR" 1.10 "<=") |"
	echo "| 4 ≥ 1.5 × 3 (keepalive pays off; issue 8) | $R43 | $(verdict "$R43" 1.5 ">=") |"
	echo "| 3 ≥ 1.4 × 6 (php-fpm) | $R36 | $(verdict "$R36" 1.4 ">=") |"
	echo "| 3 ≥ 10 × 7 (fcgiwrap) | $R37 | $(verdict "$R37" 10 ">=") |"
	sup_uss=$(awk '$1 == 3 && $6 == "supervisor" { print $4 }' "$D/mem")
	wrk_uss=$(awk '$1 == 3 && $6 == "worker" { print $4 }' "$D/mem")
	echo "| worker USS ≤ 1 MiB (example config) | ${wrk_uss} kB | $(verdict "${wrk_uss:-99999}" 1024 "<=") |"
	echo "| supervisor USS ≤ 1 MiB | ${sup_uss} kB | $(verdict "${sup_uss:-99999}" 1024 "<=") |"
	if [ -n "$S100K" ]; then
		set -- $S100K
		echo "| 100,000 domains: \`-t\` ≤ 1 s | $2 ms | $(verdict "$2" 1000 "<=") |"
		echo "| 100,000 domains: start-up ≤ 1 s | $3 ms | $(verdict "$3" 1000 "<=") |"
		echo "| 100,000 domains: all processes ≤ 48 MiB PSS | $(($4 / 1024)) MiB | $(verdict "$4" 49152 "<=") |"
		echo "| 100,000 domains, random hosts ≥ 0.95 × one domain | $(r "$5" "$ONE") | $(verdict "$(r "$5" "$ONE")" 0.95 ">=") |"
		echo "| identical policies prepared once | $7 distinct policies for 100,000 domains | $( [ "$7" -le 10001 ] && echo met || echo '**missed**') |"
	fi
	echo
	if [ "$(verdict "$RIR" 1.10 "<=")" != met ]; then
		echo "### Why the instruction target is missed"
		echo
		echo "Per request, by object (callgrind, 2500 requests; inlined code counts"
		echo "with the function it is in):"
		echo
		echo "| object | ours | minimal |"
		echo "|---|---:|---:|"
		join -a1 -a2 -e 0 -o 0,1.2,2.2 <(sort "$D/cg-ours.objects") \
		    <(sort "$D/cg-minimal.objects") | sort -k2 -rn |
		    awk '{ printf "| %s | %d | %d |\n", $1, $2, $3 }'
		echo
		echo "libfcgi parses every parameter with a malloc each in both programs."
		echo "The difference is ours, by design (issue 8): the worker reads the"
		echo "socket itself and parses every record and name-value pair as it"
		echo "arrives, re-frames the checked request for libfcgi on a private"
		echo "socketpair (so libfcgi parses it once more, and its response is read"
		echo "back and written on), routes (Host normalised, a hash lookup, method"
		echo "and path checked) and keeps deadlines. Our functions per request:"
		echo
		echo "| function | instructions |"
		echo "|---|---:|"
		awk '{ printf "| `%s` | %d |\n", $1, $2 }' "$D/cg-ours.functions"
		echo
		echo "This is the price of libfcgi never reading a peer's bytes; in"
		echo "wall-clock terms it is repaid, since the minimal program's lingering"
		echo "close makes it slower than ours (row 3 against row 5)."
		echo
	fi
	echo "## Memory of every process (kB, after the load)"
	echo
	echo "| # | role | command | RSS | USS | PSS |"
	echo "|---|---|---|---:|---:|---:|"
	awk '{ cmd = ""; for (i = 7; i <= NF; i++) cmd = cmd " " $i;
	    printf "| %s | %s | `%s` | %s | %s | %s |\n", $1, $6, substr(cmd, 2),
	    $3, $4, $5 }' "$D/mem"
	echo
	echo "## Kept connections: 1 to 256 (setup 4)"
	echo
	echo "| connections | requests/s | p50 ms | p99 ms | errors |"
	echo "|---:|---:|---:|---:|---:|"
	awk '{ printf "| %d | %.0f | %s | %s | %s |\n", $2, $3, $4, $5, $6 }' "$D/sweep"
	echo
	echo "## Scale: 1 to 1,000,000 domains"
	echo
	echo "Every tenth domain has a policy of its own, the rest share the default;"
	echo "requests go through nginx (contrib config) to \`mta-sts-fcgi -w 1\` with a"
	echo "random Host per request. \`-t\` is the best of three; start-up is from exec to"
	echo "the first answer; PSS is all processes after the load."
	echo
	echo "![scale](bench/scale.png)"
	echo
	echo "| domains | distinct policies | \`-t\` ms | start-up ms | PSS MiB | requests/s | errors |"
	echo "|---:|---:|---:|---:|---:|---:|---:|"
	awk '{ printf "| %d | %d | %d | %d | %.1f | %.0f | %s |\n", $1, $7, $2, $3, $4 / 1024, $5, $6 }' "$D/scale"
	echo
	echo "## Commands"
	echo
	echo "    make bench                       # DURATION=$DURATION ROUNDS=$ROUNDS CONNS=$CONNS"
	echo "    wrk -t1 -c$CONNS -d${DURATION}s --latency -H 'Host: $HOST' http://127.0.0.1:PORT$P"
	echo "    valgrind --tool=callgrind mta-sts-fcgi ... ; fcgi-client -N 500|2500 (Ir difference / 2000)"
	echo
	echo "Raw runs (setup, connections, requests/s, p50, p99, errors, CPU µs/request):"
	echo
	sed 's/^/    /' "$D/runs"
	[ -z "$kept" ] || printf '\n%s\n' "$kept"
} >"$OUT"
echo "bench: wrote $OUT, bench/results.png, bench/scale.png"
