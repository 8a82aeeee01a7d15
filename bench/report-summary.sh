#!/bin/bash
# SPDX-License-Identifier: ISC
# make bench-summary: mta-sts-report summary over a large store.  Fills a
# store with REPORTS reports (default 1,000,000) over DOMAINS policy
# domains (default 10,000), each domain a [domain] section in testing
# and reported daily by 5 organizations (REPORTS / DOMAINS / 5 days of
# them), a failure detail on every fifth policy, a 600-byte raw report
# each; then times `summary` over the last 7 days (best of ROUNDS, and
# the first run, which also records the 10,000 served policies): one
# domain as text and JSON, every domain as lines, digest and JSON.
# Then the same store copied into PostgreSQL (`mta-sts-report copy`, timed,
# into a throwaway cluster of Debian's postgresql-15 with its default
# settings, tests/lib/pg.sh; PG=0 skips it, and it needs root), and the
# same summaries read from there, side by side.
# Writes the section "mta-sts-report summary at scale" of BENCHMARKS.md,
# with SQLite's plans of the summary's queries.  The store goes to
# TMPDIR (about 1 GB at the default size, and as much for PostgreSQL).
set -u
cd "$(dirname "$0")/.." || exit 1
REPORTS=${REPORTS:-1000000}
DOMAINS=${DOMAINS:-10000}
ROUNDS=${ROUNDS:-5}
PG=${PG:-1}
OUT=${OUT:-BENCHMARKS.md}
. tests/lib/suite.sh
. bench/lib.sh
. tests/lib/pg.sh
REPORT=${REPORT:-$TOP/${O:-build}/mta-sts-report}
FILL=${FILL:-$TOP/${O:-build}/tests/tools/report-fill}
die() { echo "bench/report-summary: $*" >&2; exit 1; }
[ -x "$REPORT" ] && [ -x "$FILL" ] ||
    die "build first (make all build/tests/tools/report-fill)"
command -v sqlite3 >/dev/null || die "sqlite3 is needed to fill the store"

db=$SCRATCH/reports.db
conf=$SCRATCH/bench.ini
days=$((REPORTS / DOMAINS / 5))
base=1700006400		# 2023-11-15T00:00:00Z
until=$((base + days * 86400))
until_s=$(date -u -d "@$until" +%Y-%m-%dT%H:%M:%SZ)
{
	printf '[policy]\nmode = testing\nmx = mail.example.com\nmax_age = 604800\n\n'
	for ((i = 0; i < DOMAINS; i++)); do
		printf '[domain customer%d.example]\n\n' "$i"
	done
	printf '[reports]\ndatabase = %s\n' "$db"
} >"$conf"
# The schema as mta-sts-report creates it and the served policies as of
# the first day; then the reports in one transaction, with the served id.
"$FILL" -c "$conf" -p "$base" "$db" 2>/dev/null ||
    die "cannot create the store"
id=$(sqlite3 "$db" "SELECT policy_id FROM served LIMIT 1")
t0=$(date +%s)
sqlite3 "$db" <<EOF || die "cannot fill the store"
PRAGMA foreign_keys = ON;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n
    WHERE i < $REPORTS - 1)
INSERT INTO reports (organization, report_id, contact, begin, end,
    received, via, raw, digest)
SELECT 'Org ' || (i / $DOMAINS % 5), 'bench-' || i, 'tlsrpt@org.example',
    $base + (i / $DOMAINS / 5) * 86400,
    $base + (i / $DOMAINS / 5) * 86400 + 86399,
    $base + (i / $DOMAINS / 5) * 86400 + 90000,
    CASE WHEN i % 2 THEN 'mail' ELSE 'https' END, randomblob(600),
    hex(randomblob(32))
FROM n;
INSERT INTO policies (report, policy_type, policy_domain, policy_string,
    policy_id, mx_host, successful, failed)
SELECT id, 'sts', 'customer' || ((id - 1) % $DOMAINS) || '.example',
    '["version: STSv1","mode: testing","mx: mail.example.com","max_age: 604800"]',
    '$id', '["mail.example.com"]',
    id % 1000, CASE WHEN id % 5 = 0 THEN 3 ELSE 0 END
FROM reports;
INSERT INTO failures (policy, result_type, sending_mta_ip,
    receiving_mx_hostname, count)
SELECT id, 'certificate-expired', '192.0.2.1', 'mail.example.com', 3
FROM policies WHERE failed = 3;
COMMIT;
EOF
fill_s=$(( $(date +%s) - t0 ))
size=$(du -m "$db" | cut -f1)

# ms ARGS...: wall milliseconds of one summary, its output discarded.
ms() {
	local a b
	a=$(date +%s%N)
	"$REPORT" -c "$cur" summary -u "$until_s" "$@" >/dev/null
	[ $? -le 2 ] || die "summary $* failed"
	b=$(date +%s%N)
	echo $(( (b - a) / 1000000 ))
}

# row NAME ARGS...: first run and best of ROUNDS, and the lines written.
row() {
	local name=$1 first best t i lines
	shift
	first=$(ms "$@")
	best=$first
	for ((i = 1; i < ROUNDS; i++)); do
		t=$(ms "$@")
		[ "$t" -lt "$best" ] && best=$t
	done
	lines=$("$REPORT" -c "$cur" summary -u "$until_s" "$@" | wc -l)
	printf '%d %d %d\n' "$lines" "$first" "$best"
}

# rows CONF OUT: the five summaries, a line "lines first best" each.
rows() {
	cur=$1
	{
		row "one domain" "$d"
		row "one domain, -j" -j "$d"
		row "every domain (verdict lines)"
		row "every domain, -a (digest)" -a
		row "every domain, -j" -j
	} >"$2"
}

d=customer$((4242 % DOMAINS)).example
rows "$conf" "$SCRATCH/sqlite.rows"
pg_note=
if [ "$PG" = 1 ]; then
	trap 'pg_stop "$SCRATCH/pg"' EXIT
	pg_start "$SCRATCH/pg" "$(free_port)" >/dev/null ||
	    die "cannot start PostgreSQL"
	pg_sql -c "CREATE DATABASE mta_sts" || die "cannot create the database"
	pgdb="postgresql:///mta_sts?host=$SCRATCH/pg&port=$PG_PORT&user=postgres"
	awk -v db="$pgdb" '/^database = / { $0 = "database = " db } { print }' \
	    "$conf" >"$SCRATCH/pg.ini"
	t0=$(date +%s)
	"$REPORT" copy "$db" "$pgdb" >"$SCRATCH/copy.out" ||
	    die "copy into PostgreSQL failed"
	copy_s=$(( $(date +%s) - t0 ))
	pg_size=$(pg_sql -d mta_sts -Atc \
	    "SELECT pg_database_size('mta_sts') / 1048576")
	rows "$SCRATCH/pg.ini" "$SCRATCH/pg.rows"
	# The same answers from both stores, or the timing means nothing.
	for a in "$d" "-a"; do
		"$REPORT" -c "$conf" summary -u "$until_s" $a >"$SCRATCH/s.sqlite"
		"$REPORT" -c "$SCRATCH/pg.ini" summary -u "$until_s" $a \
		    >"$SCRATCH/s.pg"
		cmp -s "$SCRATCH/s.sqlite" "$SCRATCH/s.pg" ||
		    die "summary $a differs between SQLite and PostgreSQL"
	done
	pg_note="The same store copied into PostgreSQL $(pg_sql -Atc 'SHOW server_version' | cut -d' ' -f1) (a cluster on this machine with Debian's default settings, reached over its Unix socket) by \`mta-sts-report copy\` in ${copy_s} s ($(sed 's/^copied //; s/,.*//' "$SCRATCH/copy.out")), $pg_size MB; \`summary\` and \`summary -a\` print the same bytes from both."
	pg_stop "$SCRATCH/pg"
	trap - EXIT
fi
names=("one domain" "one domain, -j" "every domain (verdict lines)" \
    "every domain, -a (digest)" "every domain, -j")
for i in 0 1 2 3 4; do
	read -r l f b < <(sed -n "$((i + 1))p" "$SCRATCH/sqlite.rows")
	if [ "$PG" = 1 ]; then
		read -r pl pf pb < <(sed -n "$((i + 1))p" "$SCRATCH/pg.rows")
		[ "$pl" = "$l" ] || die "${names[$i]}: $l lines from SQLite, $pl from PostgreSQL"
		printf '| %s | %d | %d | %d | %d | %d |\n' "${names[$i]}" "$l" \
		    "$f" "$b" "$pf" "$pb"
	else
		printf '| %s | %d | %d | %d | | |\n' "${names[$i]}" "$l" "$f" "$b"
	fi
done >"$SCRATCH/rows"
since=$((until - 7 * 86400))
where="r.end >= $since AND r.begin < $until AND (r.begin + r.end) / 2 >= $since AND (r.begin + r.end) / 2 < $until"
plan() {
	sqlite3 "$db" "EXPLAIN QUERY PLAN $1" | sed 's/^/    /'
}
plan_one=$(plan "SELECT p.policy_domain, r.organization, p.policy_type,
    p.policy_id, count(*), total(p.successful) FROM policies p JOIN reports r
    ON r.id = p.report WHERE p.policy_domain IN (SELECT value FROM
    json_each('[\"$d\"]')) AND $where GROUP BY p.policy_domain,
    r.organization, p.policy_type, p.policy_id ORDER BY p.policy_domain,
    r.organization, p.policy_type, p.policy_id")
plan_all=$(plan "SELECT p.policy_domain, r.organization, p.policy_type,
    p.policy_id, count(*), total(p.successful) FROM reports r CROSS JOIN
    policies p ON p.report = r.id WHERE $where GROUP BY p.policy_domain,
    r.organization, p.policy_type, p.policy_id ORDER BY p.policy_domain,
    r.organization, p.policy_type, p.policy_id")

{
	echo "## mta-sts-report summary at scale"
	echo
	echo "\`bench/report-summary.sh\` ($(date -u +%Y-%m-%d), $(nproc) cores):"
	echo "a store of $REPORTS reports over $DOMAINS policy domains, each a"
	echo "\`[domain]\` section in testing reported daily by 5 organizations"
	echo "for $days days, a failure detail on every fifth policy, a 600-byte"
	echo "raw report each: $size MB, filled by SQL in ${fill_s} s. Wall time"
	echo "of \`mta-sts-report summary\` over the last 7 days (-u $until_s),"
	echo "output to /dev/null: the first run (which also records what the"
	echo "config serves) and the best of $ROUNDS. Targets: one domain in"
	echo "200 ms or less, every domain in 30 s or less."
	echo
	echo "| summary | lines | SQLite first ms | SQLite best ms | PostgreSQL first ms | PostgreSQL best ms |"
	echo "|---|---|---|---|---|---|"
	cat "$SCRATCH/rows"
	echo
	echo "$pg_note" | fold -s -w 72 | sed 's/ *$//'
	echo
	echo "Four aggregations (reporters and policies applied, failures,"
	echo "days, served policies), each grouped in SQLite, so the work"
	echo "follows the period's reports and the output its groups. One"
	echo "domain searches the index policies_domain_report (schema"
	echo "version 2) and reads its reports by key:"
	echo
	echo "$plan_one"
	echo
	echo "Every domain walks reports_end from the start of the period and"
	echo "each report's policies by policies_report (a CROSS JOIN keeps"
	echo "SQLite from scanning every policy of the store instead: 4.8 s"
	echo "for every domain's lines before, with this store of 20 days):"
	echo
	echo "$plan_all"
} >"$SCRATCH/section"
bench_section "mta-sts-report summary at scale" "$SCRATCH/section" "$OUT"
cat "$SCRATCH/section"
