#!/bin/bash
# SPDX-License-Identifier: ISC
# mta-sts-report's command line: options, commands and exit statuses
# (sysexits: 64 usage, 74 store, 75 import's config, 78 config), -t on
# the golden configs of tests/conf with the responder's exact messages,
# list and list -j on a store filled by test_tlsrpt_store (hostile
# strings among the reports: escaped as text, exact as JSON), prune, and
# the responder serving a config with [reports] exactly as without.
. tests/lib/suite.sh
REPORT=${REPORT:-$TOP/${O:-build}/mta-sts-report}
FILL=${FILL:-$TOP/${O:-build}/tests/unit/test_tlsrpt_store}
need "$BIN" "$REPORT" "$FILL"

db=$SCRATCH/reports.db
conf=$SCRATCH/r.ini
printf '[policy]\nmode = enforce\nmx = mail.example.com\nmax_age = 604800\n\n[reports]\ndatabase = %s\n' \
    "$db" >"$conf"
printf '[policy]\nmode = enforce\nmx = mail.example.com\nmax_age = 604800\n\n[reports]\ndatabase = %s\n' \
    "$SCRATCH/none.db" >"$SCRATCH/nodb.ini"
printf '[policy]\nmode = enforce\n\n[reports]\nkeep_days = 0\n' >"$SCRATCH/bad.ini"
usage="usage: mta-sts-report [-c config] [-s address] [-m mode] [-o owner[:group]]"

# name ^ exit ^ first line of stderr, or of stdout if stderr is empty ^
# arguments...
while IFS='^' read -r name want_rc want_line args; do
	[ -z "$name" ] && continue
	# shellcheck disable=SC2086
	eval "set -- $args"
	timeout -s KILL $((10 * SCALE)) "$REPORT" "$@" \
	    >"$SCRATCH/out" 2>"$SCRATCH/err" </dev/null
	rc=$?
	line=$(cat "$SCRATCH/err" "$SCRATCH/out" | head -1)
	check_eq "$name: exit status" "$want_rc" "$rc"
	check_eq "$name: message" "$want_line" "$line"
done <<EOT
version^0^mta-sts-report 0.1.0^-V
help^0^$usage^-h
list -h^0^$usage^-c $conf list -h
unknown option^64^mta-sts-report: unknown option -x^-x
missing -c argument^64^mta-sts-report: option -c needs an argument^-c
unknown command^64^mta-sts-report: unknown command "serve"^-c $conf serve
command escaped^64^mta-sts-report: unknown command "\x1b[2Jx\nforged"^-c $conf $'\e[2Jx\nforged'
-t with a command^64^mta-sts-report: -t checks the config: no command with it^-t -c $conf list
-s with a command^64^mta-sts-report: -s, -m, -o, -u and -w are for serving; -t and the commands do not serve^-s :9 -c $conf list
-w with -t^64^mta-sts-report: -s, -m, -o, -u and -w are for serving; -t and the commands do not serve^-w 2 -t -c $conf
list unknown option^64^mta-sts-report: list: unknown option -x^-c $conf list -x
list bad domain^64^mta-sts-report: exa_mple.com: "_" is not allowed in a host name (letters, digits, "-" and ".")^-c $conf list example.com exa_mple.com
list policy host^64^mta-sts-report: mta-sts.example.com: name the policy domain, not its policy host: list example.com^-c $conf list MTA-STS.Example.COM.
list two trailing dots^64^mta-sts-report: example.com..: empty label: two dots in a row, or a leading dot^-c $conf list example.com..
list domain escaped^64^mta-sts-report: exa\rmple.com: invalid character (letters, digits, "-" and "." only)^-c $conf list $'exa\rmple.com'
prune -d 0^64^mta-sts-report: prune: -d 0: want a number of days from 1 to 36500^-c $conf prune -d 0
prune -d 36501^64^mta-sts-report: prune: -d 36501: want a number of days from 1 to 36500^-c $conf prune -d 36501
prune -d 1x^64^mta-sts-report: prune: -d 1x: want a number of days from 1 to 36500^-c $conf prune -d 1x
prune -d without days^64^mta-sts-report: prune: option -d needs an argument^-c $conf prune -d
prune with an argument^64^mta-sts-report: prune: unexpected argument "example.com"^-c $conf prune example.com
-t^0^mta-sts-report: $conf: configuration OK^-t -c $conf
-t bad config^78^mta-sts-report: $SCRATCH/bad.ini:5: keep_days: "0" is not a number of days from 1 to 36500^-t -c $SCRATCH/bad.ini
-t missing config^78^mta-sts-report: $SCRATCH/none.ini: No such file or directory^-t -c $SCRATCH/none.ini
list with a bad config^78^mta-sts-report: $SCRATCH/bad.ini:5: keep_days: "0" is not a number of days from 1 to 36500^-c $SCRATCH/bad.ini list
prune with a bad config^78^mta-sts-report: $SCRATCH/bad.ini:5: keep_days: "0" is not a number of days from 1 to 36500^-c $SCRATCH/bad.ini prune
import with a bad config: the MTA retries^75^mta-sts-report: $SCRATCH/bad.ini:5: keep_days: "0" is not a number of days from 1 to 36500^-c $SCRATCH/bad.ini import
list without a store^74^mta-sts-report: $SCRATCH/none.db: cannot open the store: unable to open database file (No such file or directory)^-c $SCRATCH/nodb.ini list
prune without a store^74^mta-sts-report: $SCRATCH/none.db: cannot open the store: unable to open database file (No such file or directory)^-c $SCRATCH/nodb.ini prune
EOT
check_eq "list and prune create no store" "" "$(ls "$SCRATCH" | grep none.db)"

# The config's default and environment variable are mta-sts-fcgi's.
check_eq "-h: the default config is mta-sts-fcgi's" \
    "$("$BIN" -h | grep -A1 -e '^  -c file' | sed 1d)" \
    "$("$REPORT" -h | grep -A1 -e '^  -c config' | sed 1d)"
MTA_STS_FCGI_CONFIG=$conf "$REPORT" -t >/dev/null 2>"$SCRATCH/err"
check_eq "-t reads \$MTA_STS_FCGI_CONFIG" \
    "0 mta-sts-report: $conf: configuration OK" "$? $(cat "$SCRATCH/err")"
MTA_STS_FCGI_CONFIG=$SCRATCH/bad.ini "$REPORT" -t -c "$conf" >/dev/null 2>&1
check_eq "-c wins over \$MTA_STS_FCGI_CONFIG" 0 $?

# -t on every golden config: the responder's verdict, word for word.
cd tests/conf || exit 1
for ini in good/*.ini good/*.d; do
	n=${ini%.ini}
	n=${n%.d}
	"$REPORT" -t -c "$ini" >"$SCRATCH/out" 2>"$SCRATCH/err"
	check_eq "-t $ini: exit 0, nothing on stdout" "0 0" \
	    "$? $(wc -c <"$SCRATCH/out")"
	sed 's/^mta-sts-fcgi:/mta-sts-report:/' "$n.check" >"$SCRATCH/want"
	check_file "-t $ini: diagnostics" "$SCRATCH/want" "$SCRATCH/err"
done
for ini in bad/*.ini bad/*.d; do
	n=${ini%.ini}
	n=${n%.d}
	"$REPORT" -t -c "$ini" >"$SCRATCH/out" 2>"$SCRATCH/err"
	check_eq "-t $ini: exit 78, nothing on stdout" "78 0" \
	    "$? $(wc -c <"$SCRATCH/out")"
	sed 's/^mta-sts-fcgi:/mta-sts-report:/' "$n.check" >"$SCRATCH/want"
	check_file "-t $ini: diagnostics" "$SCRATCH/want" "$SCRATCH/err"
done
cd "$TOP" || exit 1

# The example's [reports] section, uncommented, is valid for both.
sed 's/^;\(\[reports\]\|[a-z_]* *=\)/\1/' etc/mta-sts-fcgi.ini >"$SCRATCH/example.ini"
check_eq "etc/mta-sts-fcgi.ini has a commented [reports] example" 1 \
    "$(grep -c '^\[reports\]' "$SCRATCH/example.ini")"
"$REPORT" -t -c "$SCRATCH/example.ini" >/dev/null 2>"$SCRATCH/err"
check_eq "the example's [reports], uncommented: mta-sts-report -t" \
    "0 mta-sts-report: $SCRATCH/example.ini: configuration OK" \
    "$? $(tail -1 "$SCRATCH/err")"
"$BIN" -t -c "$SCRATCH/example.ini" >/dev/null 2>"$SCRATCH/err"
check_eq "the example's [reports], uncommented: mta-sts-fcgi -t" \
    "0 mta-sts-fcgi: $SCRATCH/example.ini: configuration OK" \
    "$? $(tail -1 "$SCRATCH/err")"

# The responder serves a config with [reports] exactly as without.
P=/.well-known/mta-sts.txt
for c in tests/conf/good/minimal.ini tests/conf/good/reports.ini; do
	env -i REQUEST_METHOD=GET REQUEST_URI=$P \
	    HTTP_HOST=mta-sts.example.com MTA_STS_FCGI_CONFIG="$TOP/$c" \
	    "$BIN" >"$SCRATCH/cgi-${c##*/}" 2>/dev/null
done
response "$EXPECTED/minimal.txt" >"$SCRATCH/want"
check_file "the responder without [reports]: the policy" "$SCRATCH/want" \
    "$SCRATCH/cgi-minimal.ini"
check_file "the responder with [reports]: the same bytes" "$SCRATCH/want" \
    "$SCRATCH/cgi-reports.ini"

# A store with the reports of test_tlsrpt_store's fill_fixed.
"$FILL" fill "$db"
check_eq "a store filled" 0 $?
"$REPORT" -c "$conf" list >"$SCRATCH/out" 2>"$SCRATCH/err"
check_eq "list: exit 0, nothing on stderr" "0 0" "$? $(wc -c <"$SCRATCH/err")"
cat >"$SCRATCH/want" <<'EOF'
2024-05-01T23:59:59Z example.com sts\x1b[2J 100/6 https Evil\x1b]0;owned\x07 Org\r\nforged 2024-01-01 line [id "quoted" \ \u202e\xff]
2024-05-01T23:59:59Z b.example.com sts 101/6 https Evil\x1b]0;owned\x07 Org\r\nforged 2024-01-01 line [id "quoted" \ \u202e\xff]
2024-04-01T23:59:59Z example.org sts 100/6 mail Microsoft Corporation [133555555555555555+example.org]
2024-04-01T23:59:59Z b.example.org no-policy-found 101/0 mail Microsoft Corporation [133555555555555555+example.org]
2024-03-01T23:59:59Z example.com sts 100/6 https Google Inc. [2024-03-01T00:00:00Z_example.com]
2024-03-01T23:59:59Z b.example.com sts 101/6 https Google Inc. [2024-03-01T00:00:00Z_example.com]
EOF
check_file "list: newest first; what senders wrote escaped, one line each" \
    "$SCRATCH/want" "$SCRATCH/out"
"$REPORT" -c "$conf" list -j >"$SCRATCH/out" 2>"$SCRATCH/err"
check_eq "list -j: exit 0, nothing on stderr" "0 0" \
    "$? $(wc -c <"$SCRATCH/err")"
cat >"$SCRATCH/want" <<'EOF'
{"organization":"Evil\u001B]0;owned\u0007 Org\r\nforged 2024-01-01 line","report_id":"id \"quoted\" \\ \\u202e\\xff","policy_domain":"example.com","policy_type":"sts\u001B[2J","begin":"2024-05-01T00:00:00Z","end":"2024-05-01T23:59:59Z","successful":100,"failed":6,"via":"https","failures":[{"result_type":"certificate-expired","receiving_mx":"mail.example.com","count":1,"sending_mta_ip":"192.0.2.1","receiving_ip":null,"receiving_mx_helo":"mx\r\n250 OK","additional_information":"https://example.com/why?a=1&b=é","failure_reason_code":"x\"y\\z\t"},{"result_type":"starttls-not-supported","receiving_mx":"mail.example.com","count":2,"sending_mta_ip":"192.0.2.1","receiving_ip":null,"receiving_mx_helo":null,"additional_information":null,"failure_reason_code":null},{"result_type":"x-unknown","receiving_mx":"mail.example.com","count":3,"sending_mta_ip":"192.0.2.1","receiving_ip":null,"receiving_mx_helo":null,"additional_information":null,"failure_reason_code":null}],"policy_id":null,"policy_string":["version: STSv1","mode: enforce","mx: mail.example.com"],"mx_host":["mail.example.com","*.example.net"],"contact":null,"received":"2024-05-02T00:33:20Z"}
{"organization":"Evil\u001B]0;owned\u0007 Org\r\nforged 2024-01-01 line","report_id":"id \"quoted\" \\ \\u202e\\xff","policy_domain":"b.example.com","policy_type":"sts","begin":"2024-05-01T00:00:00Z","end":"2024-05-01T23:59:59Z","successful":101,"failed":6,"via":"https","failures":[{"result_type":"certificate-expired","receiving_mx":"mail.example.com","count":1,"sending_mta_ip":"192.0.2.1","receiving_ip":null,"receiving_mx_helo":null,"additional_information":null,"failure_reason_code":null},{"result_type":"starttls-not-supported","receiving_mx":"mail.example.com","count":2,"sending_mta_ip":"192.0.2.1","receiving_ip":null,"receiving_mx_helo":null,"additional_information":null,"failure_reason_code":null},{"result_type":"x-unknown","receiving_mx":"mail.example.com","count":3,"sending_mta_ip":"192.0.2.1","receiving_ip":null,"receiving_mx_helo":null,"additional_information":null,"failure_reason_code":null}],"policy_id":null,"policy_string":["version: STSv1","mode: enforce","mx: mail.example.com"],"mx_host":["mail.example.com","*.example.net"],"contact":null,"received":"2024-05-02T00:33:20Z"}
{"organization":"Microsoft Corporation","report_id":"133555555555555555+example.org","policy_domain":"example.org","policy_type":"sts","begin":"2024-04-01T00:00:00Z","end":"2024-04-01T23:59:59Z","successful":100,"failed":6,"via":"mail","failures":[{"result_type":"certificate-expired","receiving_mx":"mail.example.com","count":1,"sending_mta_ip":"192.0.2.1","receiving_ip":null,"receiving_mx_helo":null,"additional_information":null,"failure_reason_code":null},{"result_type":"starttls-not-supported","receiving_mx":"mail.example.com","count":2,"sending_mta_ip":"192.0.2.1","receiving_ip":null,"receiving_mx_helo":null,"additional_information":null,"failure_reason_code":null},{"result_type":"x-unknown","receiving_mx":"mail.example.com","count":3,"sending_mta_ip":"192.0.2.1","receiving_ip":null,"receiving_mx_helo":null,"additional_information":null,"failure_reason_code":null}],"policy_id":"a5963b31a082635c6ec668171482b14f","policy_string":["version: STSv1","mode: enforce","mx: mail.example.com"],"mx_host":["mail.example.com","*.example.net"],"contact":null,"received":"2024-04-02T01:06:40Z"}
{"organization":"Microsoft Corporation","report_id":"133555555555555555+example.org","policy_domain":"b.example.org","policy_type":"no-policy-found","begin":"2024-04-01T00:00:00Z","end":"2024-04-01T23:59:59Z","successful":101,"failed":0,"via":"mail","failures":[],"policy_id":null,"policy_string":null,"mx_host":null,"contact":null,"received":"2024-04-02T01:06:40Z"}
{"organization":"Google Inc.","report_id":"2024-03-01T00:00:00Z_example.com","policy_domain":"example.com","policy_type":"sts","begin":"2024-03-01T00:00:00Z","end":"2024-03-01T23:59:59Z","successful":100,"failed":6,"via":"https","failures":[{"result_type":"certificate-expired","receiving_mx":"mail.example.com","count":1,"sending_mta_ip":"192.0.2.1","receiving_ip":null,"receiving_mx_helo":null,"additional_information":null,"failure_reason_code":null},{"result_type":"starttls-not-supported","receiving_mx":"mail.example.com","count":2,"sending_mta_ip":"192.0.2.1","receiving_ip":null,"receiving_mx_helo":null,"additional_information":null,"failure_reason_code":null},{"result_type":"x-unknown","receiving_mx":"mail.example.com","count":3,"sending_mta_ip":"192.0.2.1","receiving_ip":null,"receiving_mx_helo":null,"additional_information":null,"failure_reason_code":null}],"policy_id":null,"policy_string":["version: STSv1","mode: enforce","mx: mail.example.com"],"mx_host":["mail.example.com","*.example.net"],"contact":"smtp-tls-reporting@google.com","received":"2024-03-02T00:40:00Z"}
{"organization":"Google Inc.","report_id":"2024-03-01T00:00:00Z_example.com","policy_domain":"b.example.com","policy_type":"sts","begin":"2024-03-01T00:00:00Z","end":"2024-03-01T23:59:59Z","successful":101,"failed":6,"via":"https","failures":[{"result_type":"certificate-expired","receiving_mx":"mail.example.com","count":1,"sending_mta_ip":"192.0.2.1","receiving_ip":null,"receiving_mx_helo":null,"additional_information":null,"failure_reason_code":null},{"result_type":"starttls-not-supported","receiving_mx":"mail.example.com","count":2,"sending_mta_ip":"192.0.2.1","receiving_ip":null,"receiving_mx_helo":null,"additional_information":null,"failure_reason_code":null},{"result_type":"x-unknown","receiving_mx":"mail.example.com","count":3,"sending_mta_ip":"192.0.2.1","receiving_ip":null,"receiving_mx_helo":null,"additional_information":null,"failure_reason_code":null}],"policy_id":null,"policy_string":["version: STSv1","mode: enforce","mx: mail.example.com"],"mx_host":["mail.example.com","*.example.net"],"contact":"smtp-tls-reporting@google.com","received":"2024-03-02T00:40:00Z"}
EOF
check_file "list -j: one JSON object per line" "$SCRATCH/want" "$SCRATCH/out"
check_eq "list -j: every line is JSON to jq" "6" \
    "$(jq -c . "$SCRATCH/out" | wc -l)"
# jq gives back the bytes the sender sent: the escaping is exact.
printf 'Evil\033]0;owned\a Org\r\nforged 2024-01-01 line' | od -An -c \
    >"$SCRATCH/want"
jq -j 'select(.policy_domain == "example.com" and .via == "https" and
    .successful == 100 and .end == "2024-05-01T23:59:59Z") |
    .organization' "$SCRATCH/out" | od -An -c >"$SCRATCH/got"
check_file "list -j: a hostile organization-name decodes to its bytes" \
    "$SCRATCH/want" "$SCRATCH/got"
printf 'mx\r\n250 OK|x"y\\z\t|https://example.com/why?a=1&b=\303\251' |
    od -An -c >"$SCRATCH/want"
jq -j 'select(.policy_type != "sts" and .policy_type != "no-policy-found")
    | .failures[0] | .receiving_mx_helo + "|" + .failure_reason_code +
    "|" + .additional_information' "$SCRATCH/out" | od -An -c \
    >"$SCRATCH/got"
check_file "list -j: hostile failure details decode to their bytes" \
    "$SCRATCH/want" "$SCRATCH/got"

# Domains as table_named normalises them; any order, listed newest first.
"$REPORT" -c "$conf" list B.EXAMPLE.ORG. example.com >"$SCRATCH/out" 2>&1
check_eq "list DOMAIN...: exit 0" 0 $?
cat >"$SCRATCH/want" <<'EOF'
2024-05-01T23:59:59Z example.com sts\x1b[2J 100/6 https Evil\x1b]0;owned\x07 Org\r\nforged 2024-01-01 line [id "quoted" \ \u202e\xff]
2024-04-01T23:59:59Z b.example.org no-policy-found 101/0 mail Microsoft Corporation [133555555555555555+example.org]
2024-03-01T23:59:59Z example.com sts 100/6 https Google Inc. [2024-03-01T00:00:00Z_example.com]
EOF
check_file "list DOMAIN...: only those domains, normalised" "$SCRATCH/want" \
    "$SCRATCH/out"
"$REPORT" -c "$conf" list -j nothing.example >"$SCRATCH/out" 2>&1
check_eq "list a domain without reports: exit 0, no output" "0 0" \
    "$? $(wc -c <"$SCRATCH/out")"

# prune: the days given, or keep_days.  The reports end on 2024-03-01,
# -04-01 and -05-01; days counted to cut between them.
now=$(date +%s)
days=$(( (now - $(date -u -d 2024-03-15 +%s)) / 86400 ))
"$REPORT" -c "$conf" prune -d "$days" >"$SCRATCH/out" 2>"$SCRATCH/err"
check_eq "prune -d: exit 0, nothing on stderr" "0 0" \
    "$? $(wc -c <"$SCRATCH/err")"
check_eq "prune -d: says what it deleted" 1 \
    "$(grep -cE '^deleted 1 report that ended before 2024-03-1[56]T[0-9:]{8}Z$' "$SCRATCH/out")"
"$REPORT" -c "$conf" list >"$SCRATCH/out"
cat >"$SCRATCH/want" <<'EOF'
2024-05-01T23:59:59Z example.com sts\x1b[2J 100/6 https Evil\x1b]0;owned\x07 Org\r\nforged 2024-01-01 line [id "quoted" \ \u202e\xff]
2024-05-01T23:59:59Z b.example.com sts 101/6 https Evil\x1b]0;owned\x07 Org\r\nforged 2024-01-01 line [id "quoted" \ \u202e\xff]
2024-04-01T23:59:59Z example.org sts 100/6 mail Microsoft Corporation [133555555555555555+example.org]
2024-04-01T23:59:59Z b.example.org no-policy-found 101/0 mail Microsoft Corporation [133555555555555555+example.org]
EOF
check_file "prune -d: the report of 2024-03-01 is gone, the others left" \
    "$SCRATCH/want" "$SCRATCH/out"
"$REPORT" -c "$conf" prune -d "$days" >"$SCRATCH/out" 2>&1
check_eq "prune again: nothing more" 1 \
    "$(grep -cE '^deleted 0 reports that ended before ' "$SCRATCH/out")"
days=$(( (now - $(date -u -d 2024-04-15 +%s)) / 86400 ))
printf 'keep_days = %d\n' "$days" >>"$conf"
"$REPORT" -c "$conf" prune >"$SCRATCH/out" 2>&1
check_eq "prune: keep_days from [reports]" 1 \
    "$(grep -cE '^deleted 1 report that ended before 2024-04-1[56]T' "$SCRATCH/out")"
"$REPORT" -c "$conf" list -j >"$SCRATCH/out"
check_eq "prune: the report of 2024-05-01 is left, both its policies" \
    "2 2024-05-01T23:59:59Z" \
    "$(wc -l <"$SCRATCH/out") $(jq -r .end "$SCRATCH/out" | sort -u)"
check_eq "prune: their policies and failures went with them (sqlite3)" \
    "2 6" "$(sqlite3 "$db" 'SELECT count(*) FROM policies') $(sqlite3 "$db" \
    'SELECT count(*) FROM failures')"
