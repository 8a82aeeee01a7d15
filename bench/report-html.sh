#!/bin/bash
# SPDX-License-Identifier: ISC
# make bench-html: mta-sts-report html over a large store.  Fills a store
# as bench/report-list.sh does (REPORTS reports, default 1,000,000, over
# DOMAINS policy domains, default 10,000: a report a day per domain, a
# failure detail on every fifth, a 600-byte raw report each; seven
# reporters), with a config of DOMAINS [domain] sections, then times
# `html` for every domain over the last 7 and 30 days of the data, and
# for one domain (best of ROUNDS, and the first run), with the site's
# size and the peak memory (GNU time).  Writes the section
# "mta-sts-report html at scale" of BENCHMARKS.md.  The store goes to
# TMPDIR (about 1 GB at the default size).
set -u
cd "$(dirname "$0")/.." || exit 1
REPORTS=${REPORTS:-1000000}
DOMAINS=${DOMAINS:-10000}
ROUNDS=${ROUNDS:-3}
OUT=${OUT:-BENCHMARKS.md}
. tests/lib/suite.sh
. bench/lib.sh
REPORT=${REPORT:-$TOP/${O:-build}/mta-sts-report}
FILL=${FILL:-$TOP/${O:-build}/tests/unit/test_tlsrpt_store}
die() { echo "bench/report-html: $*" >&2; exit 1; }
[ -x "$REPORT" ] && [ -x "$FILL" ] ||
    die "build first (make all build/tests/unit/test_tlsrpt_store)"
command -v sqlite3 >/dev/null || die "sqlite3 is needed to fill the store"
[ -x /usr/bin/time ] || die "GNU time is needed (Debian's time)"

db=$SCRATCH/reports.db
conf=$SCRATCH/bench.ini
{
	printf '[policy]\nmode = testing\nmx = mail.example.com\nmax_age = 604800\n\n'
	for ((i = 0; i < DOMAINS; i++)); do
		printf '[domain customer%d.example]\n' "$i"
	done
	printf '\n[reports]\ndatabase = %s\n' "$db"
} >"$conf"
"$FILL" fill "$db" >/dev/null || die "cannot create the store"
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
    '["version: STSv1","mode: testing","mx: mail.example.com","max_age: 604800"]',
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
# The data's last day ends at this until; the first html run also
# records the 10,000 served policies (as summary does).
until=$(date -u -d @$((1700000000 + (REPORTS / DOMAINS - 1) * 86400)) +%Y-%m-%dT%H:%M:%SZ)

# run NAME ARGS...: first run and best of ROUNDS (wall ms), peak RSS (MB)
# and the site's pages and size.
run() {
	local name=$1 first best t i a b rss
	shift
	for ((i = 0; i < ROUNDS; i++)); do
		a=$(date +%s%N)
		/usr/bin/time -f %M -o "$SCRATCH/rss" "$REPORT" -c "$conf" html \
		    -o "$SCRATCH/site" -u "$until" "$@" ||
		    die "html $* failed"
		b=$(date +%s%N)
		t=$(( (b - a) / 1000000 ))
		[ "$i" = 0 ] && first=$t best=$t rss=$(cat "$SCRATCH/rss")
		[ "$t" -lt "$best" ] && best=$t
	done
	printf '| %s | %d | %d MB | %d | %d | %d |\n' "$name" \
	    "$(ls "$SCRATCH/site" | wc -l)" \
	    "$(du -sm "$SCRATCH/site" | cut -f1)" "$first" "$best" \
	    "$((rss / 1024))"
}

{
	run "every domain, 7 days" -s 7d
	run "every domain, 30 days" -s 30d
	run "one domain, 30 days" -s 30d customer4242.example
} >"$SCRATCH/rows"

{
	echo "## mta-sts-report html at scale"
	echo
	echo "\`bench/report-html.sh\` ($(date -u +%Y-%m-%d), $(nproc) cores):"
	echo "the store of \`bench/report-list.sh\` ($REPORTS reports over"
	echo "$DOMAINS policy domains, one a day each, $size MB, filled by SQL"
	echo "in ${fill_s} s) and a config with a [domain] section for each."
	echo "Wall time of \`mta-sts-report html -o DIR -u $until\`: the first"
	echo "run (which also records the served policies) and the best of"
	echo "$ROUNDS; peak RSS of the first (GNU time). Target: every domain in"
	echo "60 s or less."
	echo
	echo "| html | pages | site | first ms | best ms | peak RSS MB |"
	echo "|---|---|---|---|---|---|"
	cat "$SCRATCH/rows"
	echo
	echo "The summary (tlsrpt_summary_build) takes most of it; writing the"
	echo "pages is one pass over it, with one syncfs for the whole site."
} >"$SCRATCH/section"
bench_section "mta-sts-report html at scale" "$SCRATCH/section" "$OUT"
cat "$SCRATCH/section"
