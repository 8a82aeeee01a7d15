#!/bin/bash
# SPDX-License-Identifier: ISC
# How many reports a second two receivers store together into one store
# (issue 21): SQLite (one file that both write, as two receivers on one
# host would) beside PostgreSQL (one database, as receivers on two hosts
# do), on the same machine.  The world is tests/lib/pgworld.sh's: two
# namespaces A and B, each nginx with TLS (contrib/nginx/
# mta-sts-report.conf) in front of `mta-sts-report -w WORKERS` started as
# root; PostgreSQL 15 in namespace DB over TLS (sslmode=verify-full,
# SCRAM), its roles from contrib/postgresql/mta-sts-report.sql.  From
# namespace S, one wrk per receiver (bench/report-ingest.lua,
# bench/report-bodies.py: a different gzip report each time, about
# 10 KB of JSON, 0.9 KB sent), both at once, for DURATION s at each of
# CONNS connections per receiver; every answer must be 201, and the
# store must hold exactly the reports that got it (and those in flight
# when wrk stopped, at most one per connection).
# Prints the section "mta-sts-report ingest, two receivers" for
# BENCHMARKS.md; OUT=FILE writes it into FILE (bench/lib.sh's
# bench_section).  Needs root, nginx, wrk, openssl, sqlite3, postgresql-15.
set -u
cd "$(dirname "$0")/.." || exit 1
DURATION=${DURATION:-10}
CONNS=${CONNS:-4 16 64}
WORKERS=${WORKERS:-1}
PGW_WORKERS=$WORKERS
OUT=${OUT:-}
. tests/lib/suite.sh
. tests/lib/world.sh	# ca_new, cert, nginx_main_conf
. tests/lib/pgworld.sh
. bench/lib.sh
REPORT=${REPORT:-$TOP/${O:-build}/mta-sts-report}
BODIES=$TOP/bench/report-bodies.py
die() { echo "bench/report-ingest-pg: $*" >&2; exit 1; }
trap 'pgw_cluster_kill; cleanup; pgw_destroy' EXIT
[ -x "$REPORT" ] || die "build first (make all)"
[ "$(id -u)" = 0 ] || die "run as root (namespaces; the receivers drop to www-data)"
for c in nginx wrk openssl sqlite3 "$PG_BIN/initdb" "$PG_BIN/psql"; do
	command -v "$c" >/dev/null || die "$c is not installed"
done
chmod 0711 "$SCRATCH"

pgw_create || die "the namespaces"
pgw_certs || die "certificates"
pgw_cluster_init || die "initdb"
pgw_cluster_start || die "the cluster did not start"
SQL=$TOP/contrib/postgresql/mta-sts-report.sql
PW=$(openssl rand -hex 16)
pgw_admin <"$SQL" >/dev/null || die "$SQL failed"
pgw_admin <<EOS || die "passwords"
ALTER ROLE mta_sts_report PASSWORD '$PW';
ALTER ROLE mta_sts_owner PASSWORD '$PW';
EOS
for n in a b; do
	mkdir -p "$SCRATCH/$n"
	install -m 0644 "$SCRATCH/ca-pg/ca.crt" "$SCRATCH/$n/ca.crt"
	pgw_passfile "$SCRATCH/$n/pgpass" www-data mta_sts_report "$PW"
done
pgw_passfile "$SCRATCH/owner.pgpass" root mta_sts_owner "$PW"
mkdir -p "$SCRATCH/store"
chown www-data "$SCRATCH/store"

# conf FILE DATABASE
conf() {
	cat >"$1" <<EOC
[domain example.com]
mode = testing
mx = *.example.com
max_age = 86400

[reports]
database = $2
EOC
}
conf "$SCRATCH/owner.ini" "$(pgw_uri mta_sts_owner mta_sts "$SCRATCH/a/ca.crt" \
    "$SCRATCH/owner.pgpass")"
in_a "$REPORT" -c "$SCRATCH/owner.ini" migrate >/dev/null 2>&1 ||
    die "migrate: $(in_a "$REPORT" -c "$SCRATCH/owner.ini" migrate 2>&1 | tail -1)"
pgw_nginx a "$PGW_A"
pgw_nginx b "$PGW_B"
sed -i 's|access_log .*;|access_log off;|' "$SCRATCH"/[ab]/nginx/nginx.conf
wait_for pgw_https_up a "$PGW_A" && wait_for pgw_https_up b "$PGW_B" ||
    die "nginx did not start"

# ticks FIELD PID...: user (14) or system (15) clock ticks of those
# processes and their children (PostgreSQL's backends).
ticks() {
	local f=$1 p c sum=0
	shift
	for p in "$@"; do
		[ -r "/proc/$p/stat" ] || continue
		sum=$((sum + $(awk -v f="$f" '{ print $f }' "/proc/$p/stat")))
		for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do
			sum=$((sum + $(ticks "$f" "$c")))
		done
	done
	echo "$sum"
}
tick=$(getconf CLK_TCK)
pg_pid=$(head -1 "$PGW_DATA/postmaster.pid")

# count ORG: the reports of ORG in the current store.
count() {
	if [ "$backend" = SQLite ]; then
		sqlite3 "$SCRATCH/store/reports.db" \
		    "SELECT count(*) FROM reports WHERE organization = '$1'"
	else
		echo "SELECT count(*) FROM mta_sts.reports WHERE organization = '$1'" |
		    pgw_admin -At -d mta_sts
	fi
}

: >"$SCRATCH/rows"
for backend in SQLite PostgreSQL; do
	if [ $backend = SQLite ]; then
		conf "$SCRATCH/a/a.ini" "$SCRATCH/store/reports.db"
		conf "$SCRATCH/b/b.ini" "$SCRATCH/store/reports.db"
	else
		conf "$SCRATCH/a/a.ini" "$(pgw_uri mta_sts_report mta_sts \
		    "$SCRATCH/a/ca.crt")"
		conf "$SCRATCH/b/b.ini" "$(pgw_uri mta_sts_report mta_sts \
		    "$SCRATCH/b/ca.crt")"
	fi
	rm -f "$SCRATCH"/[ab]/report.sock
	pgw_receiver a "$SCRATCH/a/a.ini" "PGPASSFILE=$SCRATCH/a/pgpass"
	sup_a=$LAST_PID
	pgw_receiver b "$SCRATCH/b/b.ini" "PGPASSFILE=$SCRATCH/b/pgpass"
	sup_b=$LAST_PID
	wait_for test -S "$SCRATCH/a/report.sock" &&
	    wait_for test -S "$SCRATCH/b/report.sock" ||
	    die "$backend: the receivers did not start"
	sleep 1		# the recorders' first write, out of the way
	workers="$(cat /proc/"$sup_a"/task/*/children) $(cat /proc/"$sup_b"/task/*/children)"
	for c in $CONNS; do
		n=$((DURATION * 2000))
		for r in a b; do
			/usr/bin/python3 "$BODIES" https "$backend-$r-$c" "$n" \
			    "$SCRATCH/bodies.$r" || die "report-bodies.py failed"
		done
		# shellcheck disable=SC2086 # $workers: one PID per word
		u0=$(ticks 14 $workers)
		# shellcheck disable=SC2086
		s0=$(ticks 15 $workers)
		d0=$(($(ticks 14 "$pg_pid") + $(ticks 15 "$pg_pid")))
		in_s wrk -t1 -c"$c" -d"${DURATION}s" --latency \
		    -s bench/report-ingest.lua "https://$PGW_A/tlsrpt" -- \
		    "$SCRATCH/bodies.a" >"$SCRATCH/wrk.a" 2>&1 &
		wa=$!
		in_s wrk -t1 -c"$c" -d"${DURATION}s" --latency \
		    -s bench/report-ingest.lua "https://$PGW_B/tlsrpt" -- \
		    "$SCRATCH/bodies.b" >"$SCRATCH/wrk.b" 2>&1 &
		wb=$!
		wait "$wa" "$wb"
		# shellcheck disable=SC2086
		u1=$(ticks 14 $workers)
		# shellcheck disable=SC2086
		s1=$(ticks 15 $workers)
		d1=$(($(ticks 14 "$pg_pid") + $(ticks 15 "$pg_pid")))
		created=0 others=0 stored=0 p99=
		for r in a b; do
			x=$(sed -n 's/^answers: \([0-9]*\) created.*/\1/p' "$SCRATCH/wrk.$r")
			o=$(sed -n 's/^answers: [0-9]* created, \([0-9]*\) other/\1/p' "$SCRATCH/wrk.$r")
			created=$((created + ${x:-0}))
			others=$((others + ${o:-0}))
			stored=$((stored + $(count "$backend-$r-$c")))
			p99="$p99${p99:+ / }$(awk '$1 == "99%" { print $2 }' "$SCRATCH/wrk.$r")"
			grep -q 'Socket errors' "$SCRATCH/wrk.$r" &&
			    echo "bench/report-ingest-pg: $backend $r $c: $(grep 'Socket errors' "$SCRATCH/wrk.$r")" >&2
		done
		[ "$stored" -ge "$created" ] && [ "$stored" -le $((created + 2 * c)) ] ||
		    echo "bench/report-ingest-pg: $backend, $c connections each: $created answered 201, $stored stored" >&2
		dbcpu=–
		[ $backend = PostgreSQL ] && dbcpu=$(awk -v t=$((d1 - d0)) \
		    -v k="$tick" -v n="$created" 'BEGIN { if (n == 0) n = 1
		    printf "%.0f", t / k * 1e6 / n }')
		printf '| %s | 2 × %d | %s | %s | %d | %d | %d | %s | %s |\n' \
		    "$backend" "$c" \
		    "$(awk -v n="$created" -v d="$DURATION" 'BEGIN { printf "%.0f", n / d }')" \
		    "$p99" "$created" "$stored" "$others" \
		    "$(awk -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v k="$tick" \
		    -v n="$created" 'BEGIN { if (n == 0) n = 1
		    printf "%.0f + %.0f", u / k * 1e6 / n, s / k * 1e6 / n }')" \
		    "$dbcpu" >>"$SCRATCH/rows"
		tail -1 "$SCRATCH/rows"
	done
	stop "$sup_a"
	stop "$sup_b"
done

{
	echo "## mta-sts-report ingest, two receivers"
	echo
	echo "\`bench/report-ingest-pg.sh\` ($(date -u +%Y-%m-%d), $(nproc) cores,"
	echo "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(df --output=fstype "$SCRATCH" | tail -1)):"
	echo "two receivers (\`mta-sts-report -w $WORKERS\` each, behind its own nginx"
	echo "with TLS, in network namespaces of their own) storing into one store,"
	echo "SQLite (one file both write, as on one host) or PostgreSQL"
	echo "$("$PG_BIN/postgres" -V | sed 's/^[^0-9]*\([0-9.]*\).*/\1/') (one database over TLS with SCRAM, as from"
	echo "two hosts; fsync and synchronous_commit on, its defaults), all on"
	echo "this machine.  One \`wrk -t1 -cN -d${DURATION}s\` per receiver at once,"
	echo "bench/report-ingest.lua: a different report each time (about 10 KB of"
	echo "JSON, 24 failure details, sent as 0.9 KB of gzip)."
	echo
	echo "| store | connections | reports/s | p99 (A / B) | 201 | stored | other answers | receivers' CPU µs/report, user + system | PostgreSQL CPU µs/report |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
	cat "$SCRATCH/rows"
	echo
	echo "Stored counts the reports of that run in the store: those that got"
	echo "201 and those in flight when wrk stopped. CPU is per report that got"
	echo "201: the receivers' workers' (from /proc), and the PostgreSQL"
	echo "server's with its backends."
	echo
	echo "Here the database shares the receivers' two cores, so its CPU per"
	echo "report (one INSERT statement of the report, its policy and 24"
	echo "failures, then a commit with its WAL flush) comes out of the same"
	echo "budget as theirs: the rate is lower than SQLite's on one host, and"
	echo "on hosts of their own the receivers would not pay it. What"
	echo "PostgreSQL changes is the waiting: a commit waits for the WAL flush"
	echo "only, never for the other receiver's transaction as SQLite's writer"
	echo "lock makes it, so p99 falls by four to seven times."
} >"$SCRATCH/section"
if [ -n "$OUT" ]; then
	bench_section "mta-sts-report ingest, two receivers" "$SCRATCH/section" "$OUT"
fi
cat "$SCRATCH/section"
