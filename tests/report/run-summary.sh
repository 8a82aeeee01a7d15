#!/bin/bash
# SPDX-License-Identifier: ISC
# mta-sts-report summary on the summary's worlds (tests/lib/summary.sh,
# tests/report/summary/generate.py): one domain per verdict and an
# all-good one, over four weeks and two policy versions.  Exact lines and
# exit statuses per world (golden files in tests/report/summary/expected/),
# the digest (-a) and JSON (-j) of every domain, hostile strings escaped
# (no control byte, no forged line) and exact in JSON, each threshold key
# moving its verdict, the period's options, the errors (exit 3, one
# line), and what summary records in the store: what the config serves,
# once, and nothing in a store it may only read.
# UPDATE=1 rewrites the golden files; review the diff before committing.
. tests/lib/suite.sh
. tests/lib/summary.sh
REPORT=${REPORT:-$TOP/${O:-build}/mta-sts-report}
FILL=${FILL:-$TOP/${O:-build}/tests/tools/report-fill}
need "$REPORT" "$FILL"
EXP=$TOP/tests/report/summary/expected

w=$SCRATCH/w
mkdir -p "$w"
if summary_world "$w" "$FILL"; then
	ok "the worlds are stored ($(ls "$w/reports" | wc -l) reports)"
else
	notok "the worlds could not be stored"
	exit 1
fi
conf=$w/now.ini

# golden NAME WANT_STATUS ARGS...: summary's stdout against
# $EXP/NAME, its exit status, and nothing on stderr.
golden() {
	local name=$1 want=$2 rc
	shift 2
	timeout -s KILL $((20 * SCALE)) "$REPORT" -c "$conf" summary \
	    -u "$SUMMARY_UNTIL" "$@" >"$SCRATCH/out" 2>"$SCRATCH/err"
	rc=$?
	[ "${UPDATE:-0}" = 1 ] && cp "$SCRATCH/out" "$EXP/$name"
	check_file "summary $*: the lines of $name" "$EXP/$name" \
	    "$SCRATCH/out"
	check_eq "summary $*: exit status" "$want" "$rc"
	check_eq "summary $*: nothing on stderr" "" "$(cat "$SCRATCH/err")"
}

# One world per verdict, and the ones with nothing to say.
golden good.txt 0 good.example
golden stale.txt 1 stale.example
golden nopolicy.txt 1 nopolicy.example
golden mxfail.txt 1 mxfail.example
golden silent.txt 1 silent.example
golden ready.txt 0 ready.example
golden young.txt 0 young.example
golden notready.txt 2 notready.example
golden hostile.txt 1 hostile.example
golden all.txt 2
golden digest.txt 2 -a
golden json.txt 2 -j
golden weekly.txt 1 -a -s 2024-04-01 stale.example Silent.Example.

check_eq "good and young say nothing" "0 0" \
    "$(wc -c <"$EXP/good.txt") $(wc -c <"$EXP/young.txt")"
for v in "stale policy" "no policy seen" "MX failing" "silent reporter" \
    "ready for enforce" "not ready for enforce"; do
	check_eq "a world gives \"$v\"" 1 \
	    "$(grep -c "^[a-z]*\.example: $v: " "$EXP/all.txt" | sed 's/^[2-9]$/1/')"
done

# Hostile strings: escaped as text, one line per verdict, never a forged
# one; exact in JSON.
"$REPORT" -c "$conf" summary -u "$SUMMARY_UNTIL" -a >"$SCRATCH/all" 2>&1
check_eq "text: no control byte but newlines" 0 \
    "$(LC_ALL=C tr -d '\n' <"$SCRATCH/all" | LC_ALL=C tr -d '\040-\176\200-\377' | wc -c)"
check_eq "text: no U+202E (escaped as \\u202e)" "0 1" \
    "$(grep -c $'\u202e' "$SCRATCH/all") $(grep -c 'mx1.hostile.example\\u202e\\x1b\[2j' "$EXP/hostile.txt")"
check_eq "text: every verdict line starts with the domain it is about" "" \
    "$(grep -v '^  \|^[a-z]*\.example: \|^TLS reports from ' "$SCRATCH/all")"
check_eq "text: no forged verdict line" 0 \
    "$(grep -c '^fake\.example\|^hostile\.example: ready for enforce' "$SCRATCH/all")"
"$REPORT" -c "$conf" summary -u "$SUMMARY_UNTIL" -j >"$SCRATCH/json"
check_eq "json: one object per served domain" 9 \
    "$(jq -c . "$SCRATCH/json" | wc -l)"
check_eq "json: the organization-name exactly as sent" \
    '"Evil\u001b[31m Org\nfake.example: MX failing: x"' \
    "$(jq -c 'select(.domain == "hostile.example") | .reporters[0].organization' "$SCRATCH/json")"
check_eq "json: the reason exactly as sent" \
    '"ok\r\nhostile.example: ready for enforce: \u001b]0;owned\u0007"' \
    "$(jq -c 'select(.domain == "hostile.example") | .failures[0].reason' "$SCRATCH/json")"
check_eq "json: verdicts and severities per domain" \
    "hostile.example MX failing warning
mxfail.example MX failing warning
mxfail.example MX failing warning
nopolicy.example no policy seen warning
nopolicy.example no policy seen warning
notready.example MX failing critical
notready.example not ready for enforce critical
ready.example ready for enforce info
silent.example silent reporter warning
stale.example stale policy warning
stale.example stale policy warning" \
    "$(jq -r '.domain as $d | .verdicts[] | "\($d) \(.verdict) \(.severity)"' "$SCRATCH/json")"
check_eq "json: stale policy says which id and since when" \
    "Microsoft Corporation 2024-04-08T00:00:00Z" \
    "$(jq -r 'select(.domain == "stale.example") | .verdicts[] | select(.line | contains("5b682cf15f51cdfc5d3fa0f706b97178")) | "\(.subject) \(.since)"' "$SCRATCH/json")"
check_eq "json: the published date of the current policy" \
    "2024-04-05T00:00:00Z 2024-03-01T00:00:00Z" \
    "$(jq -r 'select(.domain == "stale.example" or .domain == "ready.example") | .published' "$SCRATCH/json" | sort -r | tr '\n' ' ' | sed 's/ $//')"

# Each threshold key moves its verdict.  thresholds KEYS...: a config
# with these [reports] keys.
thresholds() {
	{ cat "$TOP/tests/report/summary/now.ini"
	  printf '\n[reports]\ndatabase = %s\n' "$w/reports.db"
	  printf '%s\n' "$@"; } >"$SCRATCH/t.ini"
}
# quick NAME WANT_STATUS WANT_VERDICTS ARGS...: the verdict names only.
quick() {
	local name=$1 want=$2 verdicts=$3 rc
	shift 3
	"$REPORT" -c "$SCRATCH/t.ini" summary -u "$SUMMARY_UNTIL" "$@" \
	    >"$SCRATCH/out" 2>&1
	rc=$?
	check_eq "$name: exit status" "$want" "$rc"
	check_eq "$name: verdicts" "$verdicts" \
	    "$(cut -d: -f1,2 "$SCRATCH/out" | tr '\n' ',' | sed 's/,$//')"
}
thresholds "enforce_days = 46"
quick "enforce_days 46: ready.example is 45 days in testing" 0 "" \
    ready.example
thresholds "enforce_days = 45"
quick "enforce_days 45: ready" 0 "ready.example: ready for enforce" \
    ready.example
thresholds "enforce_days = 10"
quick "enforce_days 10: young.example (since 2024-04-05) is ready" 0 \
    "young.example: ready for enforce" young.example
thresholds "enforce_reporters = 3"
quick "enforce_reporters 3: two reporters are not enough" 0 "" \
    ready.example
thresholds "silent_days = 4"
quick "silent_days 4: Microsoft (last 2024-04-10) is silent" 1 \
    "silent.example: silent reporter" silent.example
thresholds "silent_days = 5"
quick "silent_days 5: not yet" 0 "" silent.example
thresholds "daily_days = 7"
quick "daily_days 7: 7 of 7 days is daily" 1 \
    "silent.example: silent reporter" silent.example
thresholds "silent_days = 1" "daily_days = 2"
quick "daily_days 2: a weekly reporter is still not daily" 1 \
    "silent.example: silent reporter" silent.example

# The period.
thresholds
quick "-s 2024-04-12: the last three days" 2 \
    "notready.example: MX failing,notready.example: not ready for enforce" \
    -s 2024-04-12 notready.example
quick "-s 3d: the same" 2 \
    "notready.example: MX failing,notready.example: not ready for enforce" \
    -s 3d notready.example
quick "-s 72h: the same" 2 \
    "notready.example: MX failing,notready.example: not ready for enforce" \
    -s 72h notready.example
quick "-s 1d in the afternoon: yesterday's reports (noon) are in" 2 \
    "notready.example: MX failing,notready.example: not ready for enforce" \
    -s 1d -u 2024-04-15T13:00:00Z notready.example
quick "-s 12h in the afternoon: they are not" 0 "" \
    -s 12h -u 2024-04-15T13:00:00Z notready.example
quick "up to 2024-04-11: before the failures began, nothing" 0 "" \
    -s 2024-04-05 -u 2024-04-11 notready.example
quick "a period without reports: nothing to say" 0 "" -u 2024-01-01
quick "stale.example before the old max_age ran out: nothing" 0 "" \
    -s 2024-04-05 -u 2024-04-08 stale.example

# Errors: one line, exit 3 (what mta-sts-check answers when it cannot
# check).  name ^ exit ^ first line of stderr ^ arguments...
usage="usage: mta-sts-report [-c config] summary [-aj] [-s since] [-u until] [domain ...]"
printf '[policy]\nmode = enforce\n\n[reports]\nsilent_days = 0\n' >"$SCRATCH/bad.ini"
printf '[domain a.example]\nmode = enforce\nmx = mx.a.example\nmax_age = 86400\n\n[reports]\ndatabase = %s\n' \
    "$SCRATCH/none.db" >"$SCRATCH/nodb.ini"
while IFS='^' read -r name want_rc want_line args; do
	[ -z "$name" ] && continue
	# shellcheck disable=SC2086
	eval "set -- $args"
	timeout -s KILL $((10 * SCALE)) "$REPORT" "$@" \
	    >"$SCRATCH/out" 2>"$SCRATCH/err" </dev/null
	rc=$?
	check_eq "$name: exit status" "$want_rc" "$rc"
	check_eq "$name: message" "$want_line" \
	    "$(cat "$SCRATCH/err" "$SCRATCH/out" | head -1)"
done <<EOT
-h^0^$usage^-c $conf summary -h
unknown option^3^mta-sts-report: summary: unknown option -x^-c $conf summary -x
-s without argument^3^mta-sts-report: summary: option -s needs an argument^-c $conf summary -s
-s 0d^3^mta-sts-report: summary: -s 0d: want a duration (7d, 36h; at most 365d) or a date before the end of the period (2024-04-01, 2024-04-01T06:00:00Z)^-c $conf summary -s 0d
-s 367d^3^mta-sts-report: summary: -s 367d: want a duration (7d, 36h; at most 365d) or a date before the end of the period (2024-04-01, 2024-04-01T06:00:00Z)^-c $conf summary -s 367d
-s 366d^3^mta-sts-report: summary: -s 366d: want a duration (7d, 36h; at most 365d) or a date before the end of the period (2024-04-01, 2024-04-01T06:00:00Z)^-c $conf summary -s 366d
-s 7w^3^mta-sts-report: summary: -s 7w: want a duration (7d, 36h; at most 365d) or a date before the end of the period (2024-04-01, 2024-04-01T06:00:00Z)^-c $conf summary -s 7w
-s after -u^3^mta-sts-report: summary: -s 2024-04-16: want a duration (7d, 36h; at most 365d) or a date before the end of the period (2024-04-01, 2024-04-01T06:00:00Z)^-c $conf summary -u 2024-04-15 -s 2024-04-16
-s a year and a day^3^mta-sts-report: summary: -s 2023-04-14: want a duration (7d, 36h; at most 365d) or a date before the end of the period (2024-04-01, 2024-04-01T06:00:00Z)^-c $conf summary -u 2024-04-15 -s 2023-04-14
-u 2024-02-30^3^mta-sts-report: summary: -u 2024-02-30: want a date (2024-04-01) or a time in UTC (2024-04-01T06:00:00Z)^-c $conf summary -u 2024-02-30
-u with an offset^3^mta-sts-report: summary: -u 2024-04-01T06:00:00+02:00: want a date (2024-04-01) or a time in UTC (2024-04-01T06:00:00Z)^-c $conf summary -u 2024-04-01T06:00:00+02:00
-u escaped^3^mta-sts-report: summary: -u \x1b[2J: want a date (2024-04-01) or a time in UTC (2024-04-01T06:00:00Z)^-c $conf summary -u $'\e[2J'
bad domain^3^mta-sts-report: summary: "exa_mple.example" is not a policy domain^-c $conf summary exa_mple.example
unserved domain^3^mta-sts-report: other.example: no [domain other.example] section: the receiver stores no report for it^-c $conf summary other.example
bad config^3^mta-sts-report: $SCRATCH/bad.ini:5: silent_days: "0" is not a number of days from 1 to 30^-c $SCRATCH/bad.ini summary
no store^3^mta-sts-report: $SCRATCH/none.db: cannot open the store: unable to open database file (No such file or directory)^-c $SCRATCH/nodb.ini summary
EOT

# What summary records: the config's policies once, as first served now.
rows() { sqlite3 "$w/reports.db" "SELECT count(*) FROM served"; }
before=$(rows)
"$REPORT" -c "$conf" summary -u "$SUMMARY_UNTIL" >/dev/null
check_eq "summary with the config recorded already adds no row" "$before" \
    "$(rows)"
sed 's/^\[domain young.example\]$/&\nmx = mx2.young.example/' "$conf" \
    >"$SCRATCH/changed.ini"
t0=$(date +%s)
"$REPORT" -c "$SCRATCH/changed.ini" summary >/dev/null
check_eq "a changed policy: one row, for young.example, first seen now" \
    "$((before + 1)) young.example testing 1" \
    "$(rows) $(sqlite3 "$w/reports.db" "SELECT domain, mode, first_seen BETWEEN $t0 AND $(($(date +%s) + 1)) FROM served ORDER BY id DESC LIMIT 1" | tr '|' ' ')"
"$REPORT" -c "$SCRATCH/changed.ini" summary >/dev/null
check_eq "and once" "$((before + 1))" "$(rows)"
check_eq "young.example's new policy is 0 days old: not ready" "" \
    "$("$REPORT" -c "$SCRATCH/changed.ini" summary young.example)"

# A store this user may only read: summarised, nothing recorded.  (A
# reader of a WAL store needs its directory, for the -shm file.)
ro=$SCRATCH/ro
mkdir -p "$ro"
sqlite3 "$w/reports.db" ".backup '$ro/reports.db'"
sed "s|^database = .*|database = $ro/reports.db|" "$conf" >"$ro/now.ini"
chmod 0755 "$SCRATCH"
chown nobody "$ro"
chmod 0644 "$ro/reports.db" "$ro/now.ini"
n=$(sqlite3 "$ro/reports.db" "SELECT count(*) FROM served")
setpriv --reuid=nobody --regid=nogroup --clear-groups "$REPORT" \
    -c "$ro/now.ini" summary -u "$SUMMARY_UNTIL" >"$SCRATCH/out" 2>&1
check_eq "read-only store: the same verdicts" "2" "$?"
check_file "read-only store: the same lines" "$EXP/all.txt" "$SCRATCH/out"
sed "s|^database = .*|database = $ro/reports.db|" "$SCRATCH/changed.ini" \
    >"$ro/changed.ini"
chmod 0644 "$ro/changed.ini"
setpriv --reuid=nobody --regid=nogroup --clear-groups "$REPORT" \
    -c "$ro/changed.ini" summary >/dev/null 2>&1
check_eq "read-only store: nothing recorded" "$n" \
    "$(sqlite3 "$ro/reports.db" "SELECT count(*) FROM served")"

# import records what its config serves too, once per message stored.
imp=$SCRATCH/imp
mkdir -p "$imp"
sed "s|^database = .*|database = $imp/reports.db\ntrust_authserv_id = mx.test|" \
    "$conf" >"$imp/now.ini"
report=$(ls "$w"/reports/microsoft.com\!young.example\!* | head -1)
{
	printf 'Authentication-Results: mx.test; dkim=pass header.d=microsoft.com\n'
	printf 'DKIM-Signature: v=1; a=rsa-sha256; d=microsoft.com; s=s; h=from; bh=x; b=x\n'
	printf 'From: tlsrpt-noreply@microsoft.com\nTo: tlsrpt@young.example\n'
	printf 'Subject: Report Domain: young.example Submitter: microsoft.com\n'
	printf 'TLS-Report-Domain: young.example\nTLS-Report-Submitter: microsoft.com\n'
	printf 'MIME-Version: 1.0\n'
	printf 'Content-Type: multipart/report; report-type="tlsrpt"; boundary="b"\n\n'
	printf -- '--b\nContent-Type: text/plain\n\nA report.\n'
	printf -- '--b\nContent-Type: application/tlsrpt+json\n\n'
	cat "$report"
	printf -- '\n--b--\n'
} >"$imp/message"
"$REPORT" -c "$imp/now.ini" import <"$imp/message" >/dev/null 2>&1
check_eq "import: stored (exit 0), and the 9 served policies recorded" \
    "0 1 9" "$? $(sqlite3 "$imp/reports.db" "SELECT count(*) FROM reports; SELECT count(*) FROM served" | tr '\n' ' ' | sed 's/ $//')"
