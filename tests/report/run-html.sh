#!/bin/bash
# SPDX-License-Identifier: ISC
# mta-sts-report html, rendered for real.  First the summary's world
# (tests/lib/summary.sh: nine domains, four weeks, two policy versions,
# every verdict) through the command itself: its pages valid, what
# Chromium shows of them exactly the world/*.says files, its verdict
# lines exactly summary's, screenshots of the overview and a domain
# page (SHOTS=1 copies them to docs/img/ for the README).  Then the
# sample site (test_report_html
# render: four domains, one whose reports carry every hostile string) is
# checked as written (a strict WHATWG parse and the pages' own rules,
# tests/report/html/check.py), then opened in headless Chromium: its DOM
# (--dump-dom) must hold nothing hostile and say exactly what
# tests/report/html/*.says expect (headings, verdict lines, every table
# row), a phone-width screenshot is taken, and a page printed to PDF must
# say the same without its navigation.  Then the command line: options,
# exit statuses, a directory that holds anything else refused.
# Chromium runs under timeout(1) with a profile in $SCRATCH.
. tests/lib/suite.sh
. tests/lib/summary.sh
REPORT=${REPORT:-$TOP/${O:-build}/mta-sts-report}
RENDER=${RENDER:-$TOP/${O:-build}/tests/unit/test_report_html}
FILL=${FILL:-$TOP/${O:-build}/tests/unit/test_tlsrpt_store}
CHECK="/usr/bin/python3 $TOP/tests/report/html/check.py"
GOLDEN=$TOP/tests/report/html
need "$REPORT" "$RENDER" "$FILL" "$TOP/${O:-build}/tests/tools/report-fill"
for p in chromium pdftotext; do
	command -v $p >/dev/null ||
	    { notok "$p is not installed (scripts/deps.sh check)"; exit 1; }
done

# browser ARGS... URL: one headless Chromium run, bounded, its own
# profile, stderr (D-Bus complaints: no session bus here) kept aside.
browser() {
	timeout -k 5 $((60 * SCALE)) chromium --headless --no-sandbox \
	    --disable-gpu --no-first-run --user-data-dir="$SCRATCH/profile" \
	    --hide-scrollbars "$@" 2>>"$SCRATCH/chromium.err"
}

# png_size FILE: "WIDTHxHEIGHT" from the PNG header.
png_size() {
	od -An -tu1 -j16 -N8 "$1" |
	    awk '{ print $1*16777216 + $2*65536 + $3*256 + $4 "x" $5*16777216 + $6*65536 + $7*256 + $8 }'
}

# says DIR PAGE GOLDEN: Chromium's DOM of DIR/PAGE.html checked and said.
says() {
	browser --dump-dom "file://$1/$2.html" >"$SCRATCH/$2.dom"
	check_eq "$2: Chromium renders it (exit status)" 0 $?
	check_eq "$2: Chromium's DOM holds nothing hostile" "" \
	    "$($CHECK dom "$1" "$2.html" "$SCRATCH/$2.dom" 2>&1)"
	$CHECK text "$SCRATCH/$2.dom" >"$SCRATCH/$2.says"
	[ -n "${UPDATE:-}" ] && cp "$SCRATCH/$2.says" "$3"
	check_file "$2: Chromium shows exactly what it should" "$3" \
	    "$SCRATCH/$2.says"
}

world=$SCRATCH/world
mkdir "$world" && summary_world "$world" >"$SCRATCH/world.out" 2>&1
check_eq "the summary's world is stored" 0 $?
wsite=$SCRATCH/wsite
"$REPORT" -c "$world/now.ini" html -o "$wsite" -s 14d -u "$SUMMARY_UNTIL" \
    2>"$SCRATCH/err"
check_eq "html over the world: exit status and messages" "0 " \
    "$? $(cat "$SCRATCH/err")"
check_eq "a page per [domain] and the overview" \
    "good hostile index mxfail nopolicy notready ready silent stale young" \
    "$(ls "$wsite" | sed 's/\.example//; s/\.html$//' | tr '\n' ' ' | sed 's/ $//')"
check_eq "the world's pages are valid HTML and keep the pages' rules" "" \
    "$($CHECK valid "$wsite" 2>&1)"
for page in index mxfail.example stale.example hostile.example; do
	says "$wsite" "$page" "$GOLDEN/world/$page.says"
done
# The verdicts of every page are summary's, word for word.
"$REPORT" -c "$world/now.ini" summary -s 14d -u "$SUMMARY_UNTIL" \
    >"$SCRATCH/summary.txt"
for f in "$wsite"/*.example.html; do
	$CHECK text "$f" | sed -n 's/^verdict: [a-z]* /'"$(basename "$f" .html)"': /p'
done | sed 's/^\([^:]*\): \(stale policy\|no policy seen\|MX failing\|silent reporter\|ready for enforce\|not ready for enforce\) /\1: \2: /' \
    >"$SCRATCH/html-verdicts.txt"
check_file "every verdict line is summary's" "$SCRATCH/summary.txt" \
    "$SCRATCH/html-verdicts.txt"
browser --screenshot="$SCRATCH/overview.png" --window-size=1280,760 \
    "file://$wsite/index.html" >/dev/null
check_eq "overview screenshot" 1280x760 "$(png_size "$SCRATCH/overview.png")"
browser --screenshot="$SCRATCH/domain.png" --window-size=1280,1500 \
    "file://$wsite/mxfail.example.html" >/dev/null
check_eq "domain page screenshot" 1280x1500 "$(png_size "$SCRATCH/domain.png")"
if [ -n "${SHOTS:-}" ]; then
	mkdir -p "$TOP/docs/img"
	cp "$SCRATCH/overview.png" "$TOP/docs/img/html-overview.png"
	cp "$SCRATCH/domain.png" "$TOP/docs/img/html-domain.png"
fi
# Run again: the site is replaced whole, nothing left beside it.
"$REPORT" -c "$world/now.ini" html -o "$wsite" -s 7d -u "$SUMMARY_UNTIL"
check_eq "html again replaces the site" "0 (UTC, 7 days)" \
    "$? $(grep -o '(UTC, 7 days)' "$wsite/index.html" | head -1)"
check_eq "and leaves nothing beside it" "" "$(ls -A "$SCRATCH" | grep '^\.wsite')"
"$REPORT" -c "$world/now.ini" html -o "$SCRATCH/one" -u "$SUMMARY_UNTIL" \
    stale.example
check_eq "html for one domain" "0 index.html stale.example.html" \
    "$? $(ls "$SCRATCH/one" | tr '\n' ' ' | sed 's/ $//')"

site=$SCRATCH/sample
"$RENDER" render "$site"
check_eq "the sample site is written" \
    "example.com.html example.net.html hostile.example.html index.html quiet.example.html" \
    "$(ls "$site" | tr '\n' ' ' | sed 's/ $//')"
check_eq "every page is valid HTML and keeps the pages' rules" "" \
    "$($CHECK valid "$site" 2>&1)"
check_eq "no page names anything outside the site" "" \
    "$(grep -Eio '(src|href|action)="[^"]*:[^"]*|url\(' "$site"/*.html "$wsite"/*.html)"

for page in index example.net hostile.example quiet.example; do
	says "$site" "$page" "$GOLDEN/$page.says"
done
# The hostile strings as text, in the DOM: what a reader sees.
check_eq "the hostile organization is text in the browser" 2 \
    "$(grep -c 'row: .*<script>alert("org")</script> |' "$SCRATCH/hostile.example.says")"

# A phone's width: the tables as cards (looked at by eye; the size here).
browser --screenshot="$SCRATCH/phone.png" --window-size=412,900 \
    "file://$site/hostile.example.html" >/dev/null
check_eq "phone screenshot" 412x900 "$(png_size "$SCRATCH/phone.png")"

# Paper: the print style sheet drops the navigation, keeps the words.
browser --no-pdf-header-footer --print-to-pdf="$SCRATCH/net.pdf" \
    "file://$site/example.net.html" >/dev/null
pdftotext "$SCRATCH/net.pdf" "$SCRATCH/net.txt"
check_eq "printed: the verdict line" 1 "$(tr -s '\n ' '  ' <"$SCRATCH/net.txt" |
    grep -c 'Mail.Ru: still applies policy 00112233445566778899aabbccddeeff, replaced on')"
check_eq "printed: no navigation" 0 "$(grep -c 'All domains' "$SCRATCH/net.txt")"

# The command line.
db=$SCRATCH/reports.db
conf=$SCRATCH/r.ini
printf '[policy]\nmode = enforce\nmx = mail.example.com\nmax_age = 604800\n\n[domain example.com]\n\n[reports]\ndatabase = %s\n' \
    "$db" >"$conf"
sed "s|$db|$SCRATCH/none.db|" "$conf" >"$SCRATCH/nodb.ini"
"$FILL" fill "$db" >"$SCRATCH/fill.out" 2>&1
check_eq "a store to read" 0 $?
mkdir "$SCRATCH/notours" && : >"$SCRATCH/notours/x.txt"
usage="mta-sts-report: usage: mta-sts-report [-c config] html -o dir [-s since] [-u until] [domain ...]"
while IFS='^' read -r name want_rc want_err args; do
	[ -z "$name" ] && continue
	eval "set -- $args"
	timeout -s KILL $((10 * SCALE)) "$REPORT" "$@" \
	    >"$SCRATCH/out" 2>"$SCRATCH/err" </dev/null
	rc=$?
	check_eq "$name: exit status" "$want_rc" "$rc"
	check_eq "$name: message" "$want_err" "$(head -1 "$SCRATCH/err")"
done <<EOT
no -o^64^mta-sts-report: html: -o dir: say where to write the site^-c $conf html
-o without dir^64^mta-sts-report: html: option -o needs an argument^-c $conf html -o
unknown option^64^mta-sts-report: html: unknown option -x^-c $conf html -x
-s 0d^64^mta-sts-report: html: -s 0d: want a duration (7d, 36h; at most 365d) or a date before the end of the period (2024-04-01, 2024-04-01T06:00:00Z)^-c $conf html -o $SCRATCH/x -s 0d
-s 367d^64^mta-sts-report: html: -s 367d: want a duration (7d, 36h; at most 365d) or a date before the end of the period (2024-04-01, 2024-04-01T06:00:00Z)^-c $conf html -o $SCRATCH/x -s 367d
-u bad^64^mta-sts-report: html: -u 2024-13-01: want a date (2024-04-01) or a time in UTC (2024-04-01T06:00:00Z)^-c $conf html -o $SCRATCH/x -u 2024-13-01
bad domain^64^mta-sts-report: exa_mple.com: "_" is not allowed in a host name (letters, digits, "-" and ".")^-c $conf html -o $SCRATCH/x exa_mple.com
policy host^64^mta-sts-report: mta-sts.example.com: name the policy domain, not its policy host: html example.com^-c $conf html -o $SCRATCH/x mta-sts.example.com
no store^74^mta-sts-report: $SCRATCH/none.db: cannot open the store: unable to open database file (No such file or directory)^-c $SCRATCH/nodb.ini html -o $SCRATCH/x
not our directory^73^mta-sts-report: $SCRATCH/notours/x.txt: not a page mta-sts-report html wrote: -o wants a directory of its own, which it replaces whole^-c $conf html -o $SCRATCH/notours
EOT
check_eq "-h: html's usage on stdout" "${usage#mta-sts-report: }" \
    "$("$REPORT" -c "$conf" html -h 2>&1)"
check_eq "the refused directory is left as it was" "x.txt" \
    "$(ls -A "$SCRATCH/notours")"
check_eq "nothing is left beside it" "" \
    "$(ls -A "$SCRATCH" | grep '^\.notours')"
check_eq "no site where a usage error stopped html" "" \
    "$(ls -A "$SCRATCH" | grep -x x)"
