#!/bin/bash
# SPDX-License-Identifier: ISC
# make bench-report: mta-sts-report list over a large store.  Fills a
# store with REPORTS reports (default 1,000,000) spread over DOMAINS
# policy domains (default 10,000: a provider's year of daily reports),
# one policy each, a failure detail on every fifth, a 600-byte raw
# report each, then times `list` (best of ROUNDS, and the first run):
# one domain as text and as JSON, three domains, and every report.
# Writes the section "mta-sts-report list at scale" of BENCHMARKS.md.
# The store goes to TMPDIR (about 1 GB at the default size).
set -u
cd "$(dirname "$0")/.." || exit 1
REPORTS=${REPORTS:-1000000}
DOMAINS=${DOMAINS:-10000}
ROUNDS=${ROUNDS:-5}
OUT=${OUT:-BENCHMARKS.md}
. tests/lib/suite.sh
. bench/lib.sh
REPORT=${REPORT:-$TOP/${O:-build}/mta-sts-report}
FILL=${FILL:-$TOP/${O:-build}/tests/unit/test_tlsrpt_store}
die() { echo "bench/report-list: $*" >&2; exit 1; }
[ -x "$REPORT" ] && [ -x "$FILL" ] ||
    die "build first (make all build/tests/unit/test_tlsrpt_store)"
command -v sqlite3 >/dev/null || die "sqlite3 is needed to fill the store"

db=$SCRATCH/reports.db
conf=$SCRATCH/bench.ini
printf '[policy]\nmode = enforce\nmx = mail.example.com\nmax_age = 604800\n\n[reports]\ndatabase = %s\n' \
    "$db" >"$conf"
# The schema as mta-sts-report creates it (and three reports), then the
# rest in one transaction: a report a day per domain, ending at midnight.
"$FILL" fill "$db" || die "cannot create the store"
t0=$(date +%s)
sqlite3 "$db" <<EOF || die "cannot fill the store"
PRAGMA foreign_keys = ON;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n
    WHERE i < $REPORTS - 1)
INSERT INTO reports (organization, report_id, contact, begin, end,
    received, via, raw, digest)
SELECT 'Org ' || (i % 7), 'bench-' || i, 'tlsrpt@org.example',
    1700000000 + (i / $DOMAINS) * 86400 - 86400,
    1700000000 + (i / $DOMAINS) * 86400 - 1,
    1700000000 + (i / $DOMAINS) * 86400 + (i % 3600),
    CASE WHEN i % 2 THEN 'mail' ELSE 'https' END, randomblob(600),
    hex(randomblob(32))
FROM n;
INSERT INTO policies (report, policy_type, policy_domain, policy_string,
    policy_id, mx_host, successful, failed)
SELECT id, 'sts', 'customer' || ((id - 4) % $DOMAINS) || '.example',
    '["version: STSv1","mode: enforce","mx: mail.example.com","max_age: 604800"]',
    '0123456789abcdef0123456789abcdef', '["mail.example.com"]',
    id % 1000, CASE WHEN id % 5 = 0 THEN 3 ELSE 0 END
FROM reports WHERE report_id LIKE 'bench-%';
INSERT INTO failures (policy, result_type, sending_mta_ip,
    receiving_mx_hostname, count)
SELECT id, 'certificate-expired', '192.0.2.1', 'mail.example.com', 3
FROM policies WHERE failed = 3;
COMMIT;
EOF
fill_s=$(( $(date +%s) - t0 ))
size=$(du -m "$db" | cut -f1)
per=$(( REPORTS / DOMAINS ))

# ms ARGS...: wall milliseconds of one list, its output discarded.
ms() {
	local a b
	a=$(date +%s%N)
	"$REPORT" -c "$conf" list "$@" >/dev/null || die "list $* failed"
	b=$(date +%s%N)
	echo $(( (b - a) / 1000000 ))
}

# row NAME ARGS...: first run and best of ROUNDS.
row() {
	local name=$1 first best t i
	shift
	first=$(ms "$@")
	best=$first
	for ((i = 1; i < ROUNDS; i++)); do
		t=$(ms "$@")
		[ "$t" -lt "$best" ] && best=$t
	done
	lines=$("$REPORT" -c "$conf" list "$@" | wc -l)
	printf '| %s | %d | %d | %d |\n' "$name" "$lines" "$first" "$best"
}

d=customer$((4242 % DOMAINS)).example
{
	row "one domain" "$d"
	row "one domain, -j" -j "$d"
	row "three domains" "$d" customer17.example customer$((DOMAINS - 1)).example
	row "every report (text)"
} >"$SCRATCH/rows"
plan=$(sqlite3 "$db" "EXPLAIN QUERY PLAN SELECT r.organization FROM policies p
    JOIN reports r ON r.id = p.report WHERE p.policy_domain IN
    (SELECT value FROM json_each('[\"$d\"]'))
    ORDER BY r.end DESC, r.received DESC, r.id DESC, p.id" |
    sed 's/^/    /')

{
	echo "## mta-sts-report list at scale"
	echo
	echo "\`bench/report-list.sh\` ($(date -u +%Y-%m-%d), $(nproc) cores):"
	echo "a store of $REPORTS reports over $DOMAINS policy domains ($per"
	echo "each), one policy per report, a failure detail on every fifth, a"
	echo "600-byte raw report each: $size MB, filled by SQL in ${fill_s} s."
	echo "Wall time of \`mta-sts-report list\`, output to /dev/null: the"
	echo "first run (the page cache still warm from the fill) and the best of"
	echo "$ROUNDS. Target: one domain in 100 ms or less."
	echo
	echo "| list | lines | first ms | best ms |"
	echo "|---|---|---|---|"
	cat "$SCRATCH/rows"
	echo
	echo "One domain is an index search (policies_domain), then a sort of"
	echo "its rows; SQLite's plan:"
	echo
	echo "$plan"
	echo
	echo "Every report scans the index reports_end; its time grows with the"
	echo "store (a failure look-up and a line per policy), not the one-domain case."
} >"$SCRATCH/section"
bench_section "mta-sts-report list at scale" "$SCRATCH/section" "$OUT"
cat "$SCRATCH/section"
