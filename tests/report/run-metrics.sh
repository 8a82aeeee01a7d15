#!/bin/bash
# SPDX-License-Identifier: ISC
# Monitoring on the summary's worlds (tests/lib/summary.sh): mta-sts-report
# metrics and mta-sts-check's tlsrpt check (-r, and -m's tlsrpt states).
# The exact metrics and lines (golden files in tests/report/metrics/
# expected/), read by real parsers (promtool check metrics, the Python
# prometheus_client), hostile names escaped; the verdicts counted by the
# metrics and said by the checker are summary's, one for one; the file
# replaced whole (0644, no temporary left) or not at all; a store that
# cannot be read; the command lines' errors.  The checker has no -u: it
# runs at the worlds' end under faketime.
# UPDATE=1 rewrites the golden files; review the diff before committing.
. tests/lib/suite.sh
. tests/lib/summary.sh
REPORT=${REPORT:-$TOP/${O:-build}/mta-sts-report}
CHECK=${CHECK:-$TOP/${O:-build}/mta-sts-check}
FILL=${FILL:-$TOP/${O:-build}/tests/tools/report-fill}
need "$REPORT" "$CHECK" "$FILL"
PY=/usr/bin/python3	# Debian's, with python3-prometheus-client
for c in promtool faketime jq; do
	command -v $c >/dev/null || { notok "$c is not installed"; exit 1; }
done
"$PY" -c 'import prometheus_client' 2>/dev/null ||
    { notok "python3-prometheus-client is not installed"; exit 1; }
# libfaketime is preloaded before the sanitizers' runtime.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
EXP=$TOP/tests/report/metrics/expected

w=$SCRATCH/w
mkdir -p "$w"
if summary_world "$w" "$FILL"; then
	ok "the worlds are stored ($(ls "$w/reports" | wc -l) reports)"
else
	notok "the worlds could not be stored"
	exit 1
fi
conf=$w/now.ini
m=$SCRATCH/m
mkdir -p "$m"

# golden NAME GOT: a golden file (UPDATE=1 rewrites it).
golden() {
	[ "${UPDATE:-0}" = 1 ] && cp "$2" "$EXP/$1"
	check_file "$3" "$EXP/$1" "$2"
}

# valid NAME FILE: promtool's lint and prometheus_client's parser.
valid() {
	promtool check metrics <"$2" >"$SCRATCH/promtool" 2>&1
	check_eq "$1: promtool check metrics finds no problem" "0 " \
	    "$? $(cat "$SCRATCH/promtool")"
	"$PY" - "$2" >"$SCRATCH/parsed" 2>&1 <<'EOP'
import sys
from prometheus_client.parser import text_string_to_metric_families
n = 0
for f in text_string_to_metric_families(open(sys.argv[1]).read()):
    n += len(f.samples)
print(n)
EOP
	check_eq "$1: prometheus_client reads every sample" \
	    "$(grep -vc '^#' "$2")" "$(cat "$SCRATCH/parsed")"
}

# --- mta-sts-report metrics ---
echo old >"$m/tlsrpt.prom"
"$REPORT" -c "$conf" metrics -u "$SUMMARY_UNTIL" -o "$m/tlsrpt.prom" \
    >"$SCRATCH/out" 2>"$SCRATCH/err"
check_eq "metrics -o: exit 0, nothing said" "0 " \
    "$? $(cat "$SCRATCH/out" "$SCRATCH/err")"
golden report.prom "$m/tlsrpt.prom" "metrics: the exact metrics of the worlds"
valid metrics "$m/tlsrpt.prom"
check_eq "metrics -o: the file replaced whole, 0644, no temporary left" \
    "644 tlsrpt.prom" "$(stat -c %a "$m/tlsrpt.prom") $(ls "$m")"
"$REPORT" -c "$conf" metrics -u "$SUMMARY_UNTIL" >"$SCRATCH/stdout" \
    2>"$SCRATCH/err"
check_eq "metrics to stdout: exit 0" "0 " "$? $(cat "$SCRATCH/err")"
check_file "metrics to stdout: the same bytes" "$m/tlsrpt.prom" \
    "$SCRATCH/stdout"

# The hostile organization-name, as a parser reads it back: the
# terminal form (no control byte), whole, one label value.
"$PY" - "$m/tlsrpt.prom" >"$SCRATCH/hostile" 2>&1 <<'EOP'
import sys
from prometheus_client.parser import text_string_to_metric_families
for f in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in f.samples:
        r = s.labels.get("reporter", "")
        if r.startswith("Evil"):
            print(repr(r))
EOP
check_eq "metrics: a hostile reporter's name reads back escaped, one value" \
    "'Evil\\\\x1b[31m Org\\\\nfake.example: MX failing: x'" \
    "$(cat "$SCRATCH/hostile")"
check_eq "metrics: no control byte in the file" 0 \
    "$(LC_ALL=C grep -c '[[:cntrl:]]' "$m/tlsrpt.prom")"

# The verdicts counted are summary's, kind by kind (never disagree).
"$REPORT" -c "$conf" summary -j -u "$SUMMARY_UNTIL" >"$SCRATCH/json"
jq -r '.domain as $d | .verdicts[] |
    "\($d) \(.verdict | ascii_downcase | gsub(" "; "_")) \(.severity)"' \
    "$SCRATCH/json" | sort | uniq -c | awk '{ print $2, $3, $4, $1 }' \
    >"$SCRATCH/summary.verdicts"
sed -n 's/^mta_sts_report_verdicts{domain="\([^"]*\)",verdict="\([^"]*\)",severity="\([^"]*\)"} \([0-9]*\)$/\1 \2 \3 \4/p' \
    "$m/tlsrpt.prom" | sort >"$SCRATCH/metrics.verdicts"
check_file "metrics: the verdicts are summary's, kind by kind" \
    "$SCRATCH/summary.verdicts" "$SCRATCH/metrics.verdicts"
check_eq "metrics: every kind of verdict is in the worlds" 6 \
    "$(cut -d' ' -f2 "$SCRATCH/metrics.verdicts" | sort -u | wc -l)"

# -s and -u as summary takes them: one day, the period's bounds.
"$REPORT" -c "$conf" metrics -s 1d -u "$SUMMARY_UNTIL" >"$SCRATCH/day"
check_eq "metrics -s 1d: yesterday's reports, the period's bounds" \
    "1713052800 1713139200" \
    "$(sed -n 's/^mta_sts_report_period_\(start\|end\)_timestamp_seconds //p' "$SCRATCH/day" | tr '\n' ' ' | sed 's/ $//')"
check_eq "metrics -s 1d: good.example's sessions of that day" \
    "$(jq -r 'select(.domain == "good.example") | .days[] | select(.day == "2024-04-14") | .successful' "$SCRATCH/json")" \
    "$(sed -n 's/^mta_sts_report_sessions{domain="good.example",result="successful"} //p' "$SCRATCH/day")"

# A store that cannot be read: said, exit 74, and the file says only
# that, so that a stale file never hides it.
sed "s|^database = .*|database = $SCRATCH/none.db|" "$conf" >"$SCRATCH/none.ini"
"$REPORT" -c "$SCRATCH/none.ini" metrics -o "$m/tlsrpt.prom" \
    >"$SCRATCH/out" 2>"$SCRATCH/err"
check_eq "metrics, no store: exit 74, the store's reason" \
    "74 mta-sts-report: $SCRATCH/none.db: cannot open the store: unable to open database file (No such file or directory)" \
    "$? $(cat "$SCRATCH/out" "$SCRATCH/err")"
printf '%s\n' "# HELP mta_sts_report_store_readable 1 if the report store could be read for these metrics, else 0 (and no other report metric is written)." \
    "# TYPE mta_sts_report_store_readable gauge" \
    "mta_sts_report_store_readable 0" >"$SCRATCH/want"
check_file "metrics, no store: the file says the store is unreadable" \
    "$SCRATCH/want" "$m/tlsrpt.prom"
valid "metrics, no store" "$m/tlsrpt.prom"
# A file that cannot be made: the old one stays.
"$REPORT" -c "$conf" metrics -o "$SCRATCH/nodir/tlsrpt.prom" \
    >"$SCRATCH/out" 2>"$SCRATCH/err"
check_eq "metrics -o in a missing directory: exit 73, said why" \
    "73 mta-sts-report: $SCRATCH/nodir/tlsrpt.prom: cannot create a temporary file beside it: No such file or directory" \
    "$? $(cat "$SCRATCH/out" "$SCRATCH/err")"
for args in "-x" "-o" "-s" "-s 0d" "-s 2025-01-01 -u 2024-01-01" \
    "-u 2024-02-30" "extra"; do
	# shellcheck disable=SC2086
	"$REPORT" -c "$conf" metrics $args >"$SCRATCH/out" 2>"$SCRATCH/err"
	check_eq "metrics $args: exit 64, a usage line, nothing written" \
	    "64 usage: mta-sts-report [-c config] metrics [-o file] [-s since] [-u until] 0" \
	    "$? $(tail -1 "$SCRATCH/err") $(wc -c <"$SCRATCH/out")"
done
"$REPORT" -c "$conf" metrics -s 2025-01-01 -u 2024-01-01 2>&1 | head -1 \
    >"$SCRATCH/err"
check_eq "metrics: a period that ends before it starts, said" \
    "mta-sts-report: metrics: -s 2025-01-01: want a duration (7d, 36h; at most 365d) or a date before the end of the period (2024-04-01, 2024-04-01T06:00:00Z)" \
    "$(cat "$SCRATCH/err")"

# --- mta-sts-check's tlsrpt check, at the worlds' end ---
at_end() { faketime -f '2024-04-15 00:00:00' "$@"; }
at_end "$CHECK" -r -c "$conf" -m "$m/check.prom" >"$SCRATCH/check" \
    2>"$SCRATCH/check.err"
check_eq "check -r: exit 2 (a critical verdict), nothing on stderr" "2 " \
    "$? $(cat "$SCRATCH/check.err")"
golden check.txt "$SCRATCH/check" "check -r: the exact lines of the worlds"
# Each warning or critical verdict is one tlsrpt line, summary's words.
"$REPORT" -c "$conf" summary -u "$SUMMARY_UNTIL" |
    grep -v '^[^:]*: ready for enforce: ' | sort >"$SCRATCH/summary.lines"
sed 1d "$SCRATCH/check" | sed 's/^\([^:]*\): tlsrpt: [a-z]*: /\1: /' |
    sort >"$SCRATCH/check.lines"
check_file "check -r: summary's verdict lines, but ready for enforce" \
    "$SCRATCH/summary.lines" "$SCRATCH/check.lines"
grep '^mta_sts_check_status' "$m/check.prom" >"$SCRATCH/states"
golden check-states.prom "$SCRATCH/states" \
    "check -r -m: a tlsrpt state per domain, no other check made"
valid "check -r -m" "$m/check.prom"
at_end "$CHECK" -r -c "$conf" ready.example young.example >"$SCRATCH/check"
check_eq "check -r: ready for enforce is no problem" \
    "0 MTA-STS OK - 2 domains checked: 0 critical, 0 warning, 2 OK" \
    "$? $(cat "$SCRATCH/check")"
at_end "$CHECK" -r -c "$conf" other.example notready.example \
    >"$SCRATCH/check"
check_eq "check -r: a domain of [policy] alone has no tlsrpt check" \
    "2 MTA-STS CRITICAL - 2 domains checked: 1 critical, 0 warning, 1 OK 2" \
    "$? $(head -1 "$SCRATCH/check") $(grep -c '^notready.example: tlsrpt: critical: ' "$SCRATCH/check")"
at_end "$CHECK" -r -c "$SCRATCH/none.ini" good.example >"$SCRATCH/check" \
    2>&1
check_eq "check -r, no store: exit 3, unknown with the store's reason" \
    "3 MTA-STS UNKNOWN - 1 domain checked: 0 critical, 0 warning, 0 OK, 1 not checked
good.example: tlsrpt: unknown: the reports could not be read, so what senders report was not checked: $SCRATCH/none.db: cannot open the store: unable to open database file (No such file or directory)" \
    "$? $(cat "$SCRATCH/check")"
# Read-only: the checker records nothing in the store.
before=$(sqlite3 "$w/reports.db" 'select count(*) from served' 2>&1)
at_end "$CHECK" -r -c "$conf" >/dev/null 2>&1
check_eq "check -r: the store is only read" "$before" \
    "$(sqlite3 "$w/reports.db" 'select count(*) from served' 2>&1)"
grep -v '^\[reports\]\|^database' "$conf" >"$SCRATCH/noreports.ini"
"$CHECK" -r -c "$SCRATCH/noreports.ini" >"$SCRATCH/out" 2>"$SCRATCH/err"
check_eq "check -r with no [reports]: exit 3, said" \
    "3 mta-sts-check: -r: the config has no [reports] section, so there are no reports to check" \
    "$? $(cat "$SCRATCH/out" "$SCRATCH/err")"

# The example alert rules of docs/monitoring.md are rules promtool takes.
sed -n '/^<!-- rules begin -->$/,/^<!-- rules end -->$/p' \
    "$TOP/docs/monitoring.md" | sed '1,2d;$d' | sed '$d' >"$SCRATCH/rules.yml"
promtool check rules "$SCRATCH/rules.yml" >"$SCRATCH/rules.out" 2>&1
check_eq "docs/monitoring.md: promtool check rules takes the example rules" \
    "0 SUCCESS: 11 rules found" \
    "$? $(grep -o 'SUCCESS: [0-9]* rules found' "$SCRATCH/rules.out")"
