#!/bin/bash
# SPDX-License-Identifier: ISC
# make bench-ingest: how many reports a second mta-sts-report stores.
#   HTTPS: nginx with TLS (contrib/nginx/mta-sts-report.conf, addresses
#   and paths substituted) in front of mta-sts-report -w WORKERS (default
#   2, one per CPU here), started as root (workers as www-data, chrooted
#   into the store's directory), the store in TMPDIR; wrk POSTs a
#   different gzip report (bench/report-bodies.py: about 10 KB of JSON,
#   0.9 KB gzipped) each time, over kept TLS connections, for DURATION s
#   at each of CONNS connections; every answer must be 201, and the store
#   must hold exactly the reports that got it.
#   Mail: IMPORTS messages (the same reports, DKIM-signed, with a local
#   verifier's Authentication-Results) piped one by one to `import` as an
#   MTA runs it, in trust_authserv_id mode, then the same count as one
#   Maildir.  DKIM-verify mode needs a DNS server with the keys and is
#   not measured here (tests/report/run-mail.sh tests it).
# Writes the section "mta-sts-report ingest" of BENCHMARKS.md.  Needs
# root, nginx, wrk, openssl, sqlite3 and python3-dkim.
set -u
cd "$(dirname "$0")/.." || exit 1
DURATION=${DURATION:-10}
CONNS=${CONNS:-1 4 16 64}
WORKERS=${WORKERS:-2}
IMPORTS=${IMPORTS:-500}
OUT=${OUT:-BENCHMARKS.md}
. tests/lib/suite.sh
. tests/lib/world.sh	# ca_new, cert; nginx_main_conf
. bench/lib.sh
REPORT=${REPORT:-$TOP/${O:-build}/mta-sts-report}
BODIES=$TOP/bench/report-bodies.py
die() { echo "bench/report-ingest: $*" >&2; exit 1; }
[ -x "$REPORT" ] || die "build first (make all)"
[ "$(id -u)" = 0 ] || die "run as root (the receiver drops to www-data)"
for c in nginx wrk openssl sqlite3; do
	command -v $c >/dev/null || die "$c is not installed"
done
/usr/bin/python3 -c 'import dkim' 2>/dev/null || die "python3-dkim is needed"

port=$(free_port)
store=$SCRATCH/store
conf=$SCRATCH/bench.ini
chmod 0711 "$SCRATCH"
mkdir -p "$store" "$SCRATCH/nginx/tmp"
chown www-data "$store"
cat >"$conf" <<EOC
[domain example.com]
mode = testing
mx = *.example.com
max_age = 86400
tlsrpt = https://mta-sts.example.com/tlsrpt

[reports]
database = $store/reports.db
trust_authserv_id = mx.rcv.test
EOC
ca_new b && cert web b "mta-sts.example.com" || die "certificates"
sed -e "s|listen 443 ssl;|listen 127.0.0.1:$port ssl;|" \
    -e "/listen \[::\]:443 ssl;/d" \
    -e "s|/etc/letsencrypt/live/mta-sts.example.com/fullchain.pem|$SCRATCH/web.crt|" \
    -e "s|/etc/letsencrypt/live/mta-sts.example.com/privkey.pem|$SCRATCH/web.key|" \
    -e "s|unix:/run/mta-sts-fcgi/mta-sts-fcgi.sock|unix:$SCRATCH/fcgi.sock|" \
    -e "s|unix:/run/mta-sts-report/mta-sts-report.sock|unix:$SCRATCH/report.sock|" \
    -e "s|include fastcgi_params;|include /etc/nginx/fastcgi_params;|" \
    contrib/nginx/mta-sts-report.conf >"$SCRATCH/nginx/servers.conf"
nginx_main_conf "$SCRATCH/nginx" 1024 "$SCRATCH/nginx/servers.conf"
sed -i 's|access_log .*;|access_log off;|' "$SCRATCH/nginx/nginx.conf"
start report "$REPORT" -c "$conf" -s "unix:$SCRATCH/report.sock" \
    -w "$WORKERS"
sup=$LAST_PID
start nginx nginx -c "$SCRATCH/nginx/nginx.conf"
wait_for test -S "$SCRATCH/report.sock" &&
    wait_for curl -sk "https://127.0.0.1:$port/" || die "nginx or the receiver did not start"

# cpu_ticks FIELD PID...: user (14) or system (15) clock ticks of those
# processes.
cpu_ticks() {
	local f=$1 p sum=0
	shift
	for p in "$@"; do
		sum=$((sum + $(awk -v f="$f" '{ print $f }' "/proc/$p/stat")))
	done
	echo "$sum"
}
workers=$(cat /proc/"$sup"/task/*/children)
tick=$(getconf CLK_TCK)

# --- HTTPS ---
: >"$SCRATCH/https.rows"
for c in $CONNS; do
	# Twice what the receiver could take at 1,000 a second: none twice.
	n=$((DURATION * 2000))
	/usr/bin/python3 "$BODIES" https "wrk-$c" "$n" "$SCRATCH/bodies" ||
	    die "report-bodies.py failed"
	user0=$(cpu_ticks 14 $workers)
	sys0=$(cpu_ticks 15 $workers)
	wrk -t1 -c"$c" -d"${DURATION}s" --latency -s bench/report-ingest.lua \
	    "https://127.0.0.1:$port/tlsrpt" -- "$SCRATCH/bodies" \
	    >"$SCRATCH/wrk.$c" 2>&1 || die "wrk failed: $(tail -3 "$SCRATCH/wrk.$c")"
	user1=$(cpu_ticks 14 $workers)
	sys1=$(cpu_ticks 15 $workers)
	created=$(sed -n 's/^answers: \([0-9]*\) created.*/\1/p' "$SCRATCH/wrk.$c")
	others=$(sed -n 's/^answers: [0-9]* created, \([0-9]*\) other/\1/p' "$SCRATCH/wrk.$c")
	stored=$(sqlite3 "$store/reports.db" \
	    "SELECT count(*) FROM reports WHERE organization = 'wrk-$c'")
	rate=$(awk -v n="$created" -v d="$DURATION" 'BEGIN { printf "%.0f", n / d }')
	p50=$(awk '$1 == "50%" { print $2 }' "$SCRATCH/wrk.$c")
	p99=$(awk '$1 == "99%" { print $2 }' "$SCRATCH/wrk.$c")
	errs=$(grep -o 'Socket errors:.*' "$SCRATCH/wrk.$c" || echo none)
	cpu=$(awk -v u=$((user1 - user0)) -v s=$((sys1 - sys0)) -v k="$tick" \
	    -v n="$created" 'BEGIN { if (n == 0) n = 1
	    printf "%.0f + %.0f", u / k * 1e6 / n, s / k * 1e6 / n }')
	printf '| %d | %s | %s | %s | %d | %d | %s | %s |\n' "$c" "$rate" \
	    "$p50" "$p99" "$created" "$stored" "$others" "$cpu" \
	    >>"$SCRATCH/https.rows"
	# Those in flight when wrk stops are stored, not counted: at most c.
	[ "$stored" -ge "$created" ] && [ "$stored" -le $((created + c)) ] ||
	    echo "bench/report-ingest: $c connections: $created answered 201, $stored stored" >&2
	[ "$errs" = none ] || echo "bench/report-ingest: $c connections: $errs" >&2
	tail -1 "$SCRATCH/https.rows"
done
stop "$(cat "$SCRATCH/nginx/nginx.pid")"
stop "$sup"

# --- mail: import, trust_authserv_id mode ---
openssl genrsa -out "$SCRATCH/dkim.key" 2048 2>/dev/null || die "a DKIM key"
/usr/bin/python3 "$BODIES" mail pipe "$IMPORTS" "$SCRATCH/pipe" \
    "$SCRATCH/dkim.key" || die "report-bodies.py mail failed"
/usr/bin/python3 "$BODIES" mail maildir "$IMPORTS" "$SCRATCH/maildir" \
    "$SCRATCH/dkim.key" || die "report-bodies.py mail failed"
chown -R www-data "$SCRATCH/maildir"
msg_kb=$(du -k "$SCRATCH/pipe/new" | awk -v n="$IMPORTS" '{ printf "%.1f", $1 / n }')
# As an MTA's pipe runs it: one process per message, as www-data.
a=$(date +%s%N)
bad=0
for m in "$SCRATCH"/pipe/new/*; do
	setpriv --reuid=www-data --regid=www-data --clear-groups \
	    "$REPORT" -c "$conf" import <"$m" 2>>"$SCRATCH/import.err" ||
	    bad=$((bad + 1))
done
b=$(date +%s%N)
pipe_ms=$(( (b - a) / 1000000 ))
a=$(date +%s%N)
setpriv --reuid=www-data --regid=www-data --clear-groups \
    "$REPORT" -c "$conf" import "$SCRATCH/maildir" 2>>"$SCRATCH/import.err" ||
    bad=$((bad + 1))
b=$(date +%s%N)
dir_ms=$(( (b - a) / 1000000 ))
pipe_stored=$(sqlite3 "$store/reports.db" "SELECT count(*) FROM reports WHERE organization = 'pipe'")
dir_stored=$(sqlite3 "$store/reports.db" "SELECT count(*) FROM reports WHERE organization = 'maildir'")
[ "$bad" = 0 ] && [ "$pipe_stored" = "$IMPORTS" ] && [ "$dir_stored" = "$IMPORTS" ] ||
    echo "bench/report-ingest: import: $bad failed, stored $pipe_stored and $dir_stored of $IMPORTS: $(tail -2 "$SCRATCH/import.err")" >&2
pipe_rate=$(awk -v n="$IMPORTS" -v ms="$pipe_ms" 'BEGIN { printf "%.0f", n * 1000 / ms }')
dir_rate=$(awk -v n="$IMPORTS" -v ms="$dir_ms" 'BEGIN { printf "%.0f", n * 1000 / ms }')

{
	echo "## mta-sts-report ingest"
	echo
	echo "\`bench/report-ingest.sh\` ($(date -u +%Y-%m-%d), $(nproc) cores,"
	echo "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), the store on"
	echo "$(df --output=fstype "$SCRATCH" | tail -1)): reports POSTed over HTTPS to nginx"
	echo "$(nginx -v 2>&1 | sed 's/.*nginx\///') (TLS, contrib/nginx/mta-sts-report.conf) in front of"
	echo "\`mta-sts-report -w $WORKERS\`, by \`wrk -t1 -cN -d${DURATION}s\` with"
	echo "bench/report-ingest.lua: a different report each time, about 10 KB of"
	echo "JSON (24 failure details) sent as 0.9 KB of gzip, over kept"
	echo "connections. Every report is one SQLite transaction, acknowledged"
	echo "(201) once on disk (WAL, synchronous=FULL). Target (issue 19):"
	echo "200 reports/s or more."
	echo
	echo "| connections | reports/s | p50 | p99 | 201 | stored | other answers | receiver CPU µs/report, user + system |"
	echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
	cat "$SCRATCH/https.rows"
	echo
	echo "Stored counts the reports of that run in the store: those that got"
	echo "201, and those still in flight when wrk stopped (at most one per"
	echo "connection), which wrk does not count. Receiver CPU is the workers'"
	echo "user and system time (from /proc) over the reports that got 201."
	echo
	echo "What a report costs is the receiver's CPU: in user time, gunzip, the"
	echo "JSON parsed and checked and one transaction of the report, its"
	echo "policy and its 24 failure rows with their indexes; in system time,"
	echo "the sockets and the WAL's write and fsync (synchronous=FULL). Two"
	echo "workers share the two CPUs with nginx's TLS and wrk. The p99 at"
	echo "several connections is SQLite's busy handler: when the two workers'"
	echo "transactions (BEGIN IMMEDIATE) meet, the one that waits sleeps in"
	echo "steps of up to 100 ms, within the 5 s busy timeout; and the worker"
	echo "that sleeps answers nothing else meanwhile (mta-sts-report(8), The"
	echo "store)."
	echo
	echo "\`import\` in trust_authserv_id mode (the local verifier's"
	echo "Authentication-Results; DKIM-verify mode needs DNS and is not"
	echo "measured here): $IMPORTS messages of $msg_kb KB (the same reports,"
	echo "DKIM-signed, base64), as www-data, into the same store."
	echo
	echo "| import | messages | ms | messages/s |"
	echo "|---|---:|---:|---:|"
	echo "| one process per message (an MTA's pipe) | $IMPORTS | $pipe_ms | $pipe_rate |"
	echo "| one Maildir | $IMPORTS | $dir_ms | $dir_rate |"
	echo
	echo "One process per message pays, each time, the exec, GMime's set-up"
	echo "and opening the store; a Maildir pays them once, then a transaction"
	echo "(with its fsync) and a rename per message."
} >"$SCRATCH/section"
bench_section "mta-sts-report ingest" "$SCRATCH/section" "$OUT"
cat "$SCRATCH/section"
