#!/bin/bash
# SPDX-License-Identifier: ISC
# mta-sts-report over HTTPS for real: nginx with TLS, configured from
# contrib/nginx/mta-sts-report.conf with only addresses and paths
# substituted, in front of the receiver (and of the responder, for the
# policy in the same server), started as root so that its workers drop
# to www-data and chroot into the store's directory.  Reports POSTed
# with curl, plain and gzip: the exact status and body of 201, 200 for a
# duplicate, 405, 415, 413 (over body_max, and a gzip bomb), 400
# (truncated gzip, bad JSON, wrong types), 403 (a domain not served, and
# one served only by [policy] without a [domain] section), 503 while the
# store cannot take a report (a directory the workers may not write,
# another process's lock held past the busy timeout, a full disk) and
# 201 once it can; a reload that serves a new
# domain; the store read back with `list` and `list -j`.  What the
# receiver records as served (the summary's "published"): at start and
# at each reload, as the workers' user (every file of the store theirs,
# never root's), and one line when it cannot.  Then under
# load, with a parallel client (tests/tools/report-post.py): SIGHUPs
# during a stream lose nothing, a worker SIGKILLed in a burst loses no
# report that got 201, and 10,000 reports posted at once are each stored
# exactly once; a store read-only when the workers open it is answered
# 503 and taken once writable, and a store moved away mid-stream is
# noticed (every 201 is stored, the later ones at the path).  The
# store is a tmpfs in a mount namespace of the
# suite's own, so that it can be filled and vanishes with it.
[ -n "${REPORT_HTTPS_NS:-}" ] ||
    exec env REPORT_HTTPS_NS=1 unshare --mount --propagation private \
    bash "$0" "$@"
. tests/lib/suite.sh
. tests/lib/world.sh	# ca_new, cert; nginx_main_conf
REPORT=${REPORT:-$TOP/${O:-build}/mta-sts-report}
POST=$TOP/tests/tools/report-post.py
FIX=$TOP/tests/report/fixtures

for c in nginx curl openssl jq unshare sqlite3 runuser; do
	command -v $c >/dev/null || { notok "$c is not installed"; exit 1; }
done
need "$BIN" "$REPORT"

port=$(free_port)
host=mta-sts.example.com
url=https://$host:$port/tlsrpt
store=$SCRATCH/store
db=$store/reports.db
conf=$SCRATCH/mta-sts.ini
chmod 0711 "$SCRATCH"

# --- the world: a CA, nginx, the responder and the receiver ---
ca_new t && cert web t "mta-sts.example.com mta-sts.example.org" ||
    { notok "certificates"; exit 1; }
mkdir -p "$store" "$SCRATCH/nginx/tmp"
# Detached before suite.sh's cleanup removes $SCRATCH.
trap 'umount -l "$store" 2>/dev/null; cleanup' EXIT
mount -t tmpfs -o size=128m,mode=0555 tmpfs "$store" ||
    { notok "a tmpfs for the store"; exit 1; }
chown www-data "$store"

# example.com has its own policy; example.net is served by [policy]
# through an empty [domain] section; example.org by [policy] alone.
write_conf() {	# write_conf [EXTRA_SECTION]
	cat >"$conf.tmp" <<EOC
[policy]
mode = testing
mx = *.example.com
max_age = 86400

[domain example.com]
mode = testing
mx = *.example.com
max_age = 86400
tlsrpt = https://mta-sts.example.com/tlsrpt

[domain example.net]

${1:-}
[reports]
database = $db
EOC
	mv "$conf.tmp" "$conf"
}
write_conf

v6="s|listen \[::\]:443 ssl;|listen [::1]:$port ssl;|"
grep -q '^0\{31\}1 ' /proc/net/if_inet6 2>/dev/null ||
    v6="/listen \[::\]:443 ssl;/d"
sed -e "s|listen 443 ssl;|listen 127.0.0.1:$port ssl;|" -e "$v6" \
    -e "s|/etc/letsencrypt/live/mta-sts.example.com/fullchain.pem|$SCRATCH/web.crt|" \
    -e "s|/etc/letsencrypt/live/mta-sts.example.com/privkey.pem|$SCRATCH/web.key|" \
    -e "s|unix:/run/mta-sts-fcgi/mta-sts-fcgi.sock|unix:$SCRATCH/fcgi.sock|" \
    -e "s|unix:/run/mta-sts-report/mta-sts-report.sock|unix:$SCRATCH/report.sock|" \
    -e "s|include fastcgi_params;|include /etc/nginx/fastcgi_params;|" \
    contrib/nginx/mta-sts-report.conf >"$SCRATCH/nginx/servers.conf"
nginx_main_conf "$SCRATCH/nginx" 1024 "$SCRATCH/nginx/servers.conf"

start fcgi "$BIN" -c "$conf" -s "unix:$SCRATCH/fcgi.sock" -w 1
start report "$REPORT" -c "$conf" -s "unix:$SCRATCH/report.sock" -w 2
sup=$LAST_PID
start nginx nginx -c "$SCRATCH/nginx/nginx.conf"
if ! wait_for test -S "$SCRATCH/report.sock" ||
    ! wait_for test -S "$SCRATCH/fcgi.sock" ||
    ! wait_for curl -s --cacert "$SCRATCH/ca-t/ca.crt" \
    --resolve "$host:$port:127.0.0.1" "https://$host:$port/"; then
	notok "the world started"
	tail -5 "$SCRATCH"/*.err | sed 's/^/#   /'
	exit 1
fi
ok "nginx with TLS, the responder and the receiver started"

# The systemd units as shipped, with only the paths of this build.
if command -v systemd-analyze >/dev/null; then
	mkdir -p "$SCRATCH/units"
	sed -e "s|/usr/local/sbin/mta-sts-report|$REPORT|g" \
	    -e "s|/usr/local/etc/mta-sts-fcgi.ini|$conf|g" \
	    contrib/systemd/mta-sts-report.service \
	    >"$SCRATCH/units/mta-sts-report.service"
	cp contrib/systemd/mta-sts-report.socket "$SCRATCH/units/"
	check_eq "systemd-analyze verify: the units" "" \
	    "$(systemd-analyze verify --man=no \
	    "$SCRATCH/units/mta-sts-report.service" \
	    "$SCRATCH/units/mta-sts-report.socket" 2>&1)"
fi

# --- one request at a time ---

# send NAME WANT_STATUS WANT_BODY [curl args...]: one request to the
# receiver through nginx; the exact status line and body.
send() {
	local name=$1 status=$2 body=$3
	shift 3
	curl -sS --http1.1 --max-time 30 --cacert "$SCRATCH/ca-t/ca.crt" \
	    --resolve "$host:$port:127.0.0.1" -H "Expect:" -D "$SCRATCH/h" \
	    -o "$SCRATCH/b" "$@" "$url" 2>"$SCRATCH/curl.err"
	tr -d '\r' <"$SCRATCH/h" >"$SCRATCH/headers"
	check_eq "$name: status" "HTTP/1.1 $status" \
	    "$(head -1 "$SCRATCH/headers" | sed 's/ *$//')"
	printf '%s\n' "$body" >"$SCRATCH/want"
	check_file "$name: body" "$SCRATCH/want" "$SCRATCH/b"
}

# post NAME WANT_STATUS WANT_BODY CONTENT_TYPE FILE: a POST of FILE.
post() {
	send "$1" "$2" "$3" -X POST -H "Content-Type: $4" \
	    --data-binary "@$5"
}

# why FIXTURE: the reason report_accept gives for it (its .out file).
why() {
	sed -n 's/^why //p' "$FIX/$1.out"
}

JSON=application/tlsrpt+json
GZ=application/tlsrpt+gzip
STORED=stored
AGAIN="already stored"
DOWN="the store is unavailable; try again later"

# The workers cannot write the store's directory: 503, and no crash.
post "store not writable: RFC example" "503 Service Unavailable" "$DOWN" \
    $JSON "$FIX/rfc-example.json"
# Nor can the receiver record what it serves (as www-data, not as root,
# who could): one line, and nothing created in the directory.
NOT_RECORDED="mta-sts-report: the served policies are not recorded"
within 50 grep -q "^$NOT_RECORDED" "$SCRATCH/report.err"
check_eq "store not writable: one line says the served policies are not recorded" \
    "$NOT_RECORDED: $db: cannot open the store: unable to open database file (No such file or directory)" \
    "$(grep "^$NOT_RECORDED" "$SCRATCH/report.err")"
check_eq "store not writable: nothing created in it" "" "$(ls -A "$store")"
chmod 0700 "$store"
post "store writable again: RFC example" "201 Created" "$STORED" \
    $JSON "$FIX/rfc-example.json"
post "RFC example again" "200 OK" "$AGAIN" $JSON "$FIX/rfc-example.json"
post "gzip (Google's shape)" "201 Created" "$STORED" $GZ \
    "$FIX/google.json.gz"
post "gzip again" "200 OK" "$AGAIN" $GZ "$FIX/google.json.gz"
post "dates without a zone (Microsoft's shape)" "201 Created" "$STORED" \
    $JSON "$FIX/microsoft.json"
post "no policy-string (Mail.ru's shape)" "201 Created" "$STORED" \
    $JSON "$FIX/mailru.json"
post "a media type with a parameter, in capitals" "201 Created" \
    "$STORED" "Application/TLSRPT+JSON; charset=utf-8" \
    "$FIX/no-policy-found.json"

# The rule for domains served by [policy]: only with a [domain] section.
sed -e 's/"example.com"/"example.net"/' -e 's/5065427c/net-5065427c/' \
    "$FIX/rfc-example.json" >"$SCRATCH/net.json"
sed -e 's/"example.com"/"example.org"/' -e 's/5065427c/org-5065427c/' \
    "$FIX/rfc-example.json" >"$SCRATCH/org.json"
post "[policy] with an empty [domain example.net]" "201 Created" \
    "$STORED" $JSON "$SCRATCH/net.json"
post "[policy] alone (example.org)" "403 Forbidden" \
    "no policy domain of the report is served here: example.org" \
    $JSON "$SCRATCH/org.json"
post "a domain not served" "403 Forbidden" "$(why unserved.json)" \
    $JSON "$FIX/unserved.json"

only_post="only POST is served here: TLS reports (RFC 8460)"
send "GET" "405 Method Not Allowed" "$only_post"
check_eq "GET: Allow" "Allow: POST" "$(grep -i '^allow:' "$SCRATCH/headers")"
send "PUT" "405 Method Not Allowed" "$only_post" -X PUT -H \
    "Content-Type: $JSON" --data-binary "@$FIX/rfc-example.json"
media="want Content-Type application/tlsrpt+gzip or application/tlsrpt+json"
post "text/plain" "415 Unsupported Media Type" "$media" text/plain \
    "$FIX/rfc-example.json"
send "no Content-Type" "415 Unsupported Media Type" "$media" -X POST \
    -H "Content-Type:" --data-binary "@$FIX/rfc-example.json"
post "application/json" "415 Unsupported Media Type" "$media" \
    application/json "$FIX/rfc-example.json"

# body_max (1 MiB by default): exactly that is taken, one byte more not.
head -c -2 "$FIX/rfc-example.json" | sed 's/5065427c/max-5065427c/' \
    >"$SCRATCH/max.json"
printf '%*s}\n' $((1048576 - $(wc -c <"$SCRATCH/max.json") - 2)) '' \
    >>"$SCRATCH/max.json"
check_eq "the padded report is 1 MiB" 1048576 "$(wc -c <"$SCRATCH/max.json")"
post "a report of exactly body_max" "201 Created" "$STORED" $JSON \
    "$SCRATCH/max.json"
printf ' ' | cat "$SCRATCH/max.json" - >"$SCRATCH/over.json"
post "a report of body_max + 1" "413 Payload Too Large" \
    "report larger than this receiver's body_max" $JSON "$SCRATCH/over.json"
post "a gzip bomb (64 MiB of blanks)" "413 Payload Too Large" \
    "$(why bomb.json.gz)" $GZ "$FIX/bomb.json.gz"
post "truncated gzip" "400 Bad Request" "$(why truncated-data.json.gz)" \
    $GZ "$FIX/truncated-data.json.gz"
post "JSON sent as gzip" "400 Bad Request" "$(why not-gzip.json.gz)" $GZ \
    "$FIX/not-gzip.json.gz"
post "truncated JSON" "400 Bad Request" "$(why bad-truncated.json)" $JSON \
    "$FIX/bad-truncated.json"
post "a wrong type" "400 Bad Request" "$(why bad-wrong-type-org.json)" \
    $JSON "$FIX/bad-wrong-type-org.json"
post "invalid UTF-8" "400 Bad Request" "$(why bad-invalid-utf8.json)" \
    $JSON "$FIX/bad-invalid-utf8.json"
post "a count that overflows" "400 Bad Request" \
    "$(why bad-overflow-count.json)" $JSON "$FIX/bad-overflow-count.json"

# A reload serves a new domain: the report refused before is stored.
write_conf "[domain other.example]"
kill -HUP "$sup"
if within 50 grep -q "reloaded" "$SCRATCH/report.err"; then
	ok "SIGHUP: reloaded"
else
	notok "SIGHUP: reloaded"
fi
post "after the reload: other.example" "201 Created" "$STORED" $JSON \
    "$FIX/unserved.json"

# served_ids CONF: the "domain|id" each [domain] of CONF is served, as the
# responder's -d publishes them.
served_ids() {
	"$BIN" -c "$1" -d 2>/dev/null | sed -n \
	    's/^_mta-sts\.\(.*\)\. IN TXT "v=STSv1; id=\([0-9a-f]*\)"$/\1|\2/p'
}
# served DB [COLUMNS]: its served table, oldest first, read as www-data
# (sqlite3 as root would create the -wal and -shm files as root).
served() {
	runuser -u www-data -- sqlite3 "$1" \
	    "SELECT ${2:-domain, policy_id} FROM served ORDER BY id" 2>&1
}
# Not recorded at start (the store was not writable then), so by the
# reload, quietly (the start's failure was said less than a minute ago).
within 50 test "$(served "$db" | wc -l)" = 3
check_eq "after the reload: every [domain] recorded as served" \
    "$(served_ids "$conf" | sort)" "$(served "$db" | sort)"
check_eq "after the reload: the recording said nothing more" 1 \
    "$(grep -c "^$NOT_RECORDED" "$SCRATCH/report.err")"

# --- what a receiver started as root records as served ---
sdir=$SCRATCH/served
sconf=$SCRATCH/served.ini
mkdir "$sdir" && chown www-data "$sdir"
served_conf() {	# served_conf MODE_OF_B
	cat >"$sconf.tmp" <<EOC
[domain a.example]
mode = testing
mx = mx.a.example
max_age = 86400

[domain b.example]
mode = $1
mx = mx.b.example
max_age = 604800

[reports]
database = $sdir/reports.db
EOC
	mv "$sconf.tmp" "$sconf"
}
served_conf enforce
served_ids "$sconf" >"$SCRATCH/ids.1"
# first_seen is time(2), which is the second the last clock tick set:
# up to a tick behind CLOCK_REALTIME (date +%s), so a recorder that
# runs within a tick of a second that began after date read it records
# the second before.  Lower bounds are read as time(2) is (bash's
# EPOCHSECONDS), upper ones from CLOCK_REALTIME (EPOCHREALTIME): both
# hold whichever of the two the recorder reads.
now_low() { echo "$EPOCHSECONDS"; }
now_high() { echo "${EPOCHREALTIME%[.,]*}"; }
t0=$(now_low)
start served "$REPORT" -c "$sconf" -s "unix:$SCRATCH/served.sock" -w 2 \
    -u www-data
ssup=$LAST_PID
within 100 test "$(served "$sdir/reports.db" | wc -l)" = 2
t1=$(now_high)
{ sed -n 1p "$SCRATCH/ids.1"; echo "testing|86400"
  sed -n 2p "$SCRATCH/ids.1"; echo "enforce|604800"; } |
    paste -d '|' - - >"$SCRATCH/served.want"
served "$sdir/reports.db" "domain, policy_id, mode, max_age" \
    >"$SCRATCH/served.got"
check_file "start: each [domain] recorded with its id, mode and max_age" \
    "$SCRATCH/served.want" "$SCRATCH/served.got"
check_eq "start: first seen when it started" 2 \
    "$(served "$sdir/reports.db" "first_seen BETWEEN $t0 AND $t1" |
    grep -c '^1$')"
# b.example to testing: a new id, recorded at the reload after the others.
served_conf testing
served_ids "$sconf" >"$SCRATCH/ids.2"
check_eq "the change gives b.example a new id" 1 \
    "$(comm -13 "$SCRATCH/ids.1" "$SCRATCH/ids.2" | grep -c '^b\.example|')"
# first_seen is in seconds: the reload's is later than the start's.
within 30 test "$(now_low)" -gt "$t1"
t2=$(now_low)
kill -HUP "$ssup"
within 100 test "$(served "$sdir/reports.db" | wc -l)" = 3
t3=$(now_high)
{ cat "$SCRATCH/served.want"; sed -n 2p "$SCRATCH/ids.2" |
    sed 's/$/|testing|604800/'; } >"$SCRATCH/served.want2"
served "$sdir/reports.db" "domain, policy_id, mode, max_age" \
    >"$SCRATCH/served.got2"
check_file "SIGHUP: the new policy of b.example recorded, the old ones kept" \
    "$SCRATCH/served.want2" "$SCRATCH/served.got2"
check_eq "SIGHUP: first seen at the reload" 1 \
    "$(served "$sdir/reports.db" "first_seen BETWEEN $t2 AND $t3" |
    sed -n 3p)"
within 50 grep -q "reloaded" "$SCRATCH/served.err"
kill -HUP "$ssup"
within 50 test "$(grep -c reloaded "$SCRATCH/served.err")" = 2
sleep 0.5
check_eq "SIGHUP with nothing changed: nothing recorded" 3 \
    "$(served "$sdir/reports.db" | wc -l)"
check_eq "the store's files are all www-data's" \
    "www-data reports.db
www-data reports.db-shm
www-data reports.db-wal" \
    "$(find "$sdir" -mindepth 1 -printf '%u %f\n' | sort)"
check_eq "the recording said nothing" "" \
    "$(grep -v 'warning: mode testing' "$SCRATCH/served.err" |
    grep -v 'reloaded: 2 policies for 2 domains$')"
rc="not stopped in 2 s"
stop "$ssup" && { wait "$ssup"; rc=$?; }
check_eq "the receiver stopped: exit status 0" 0 "$rc"

# Another process holds the store's write lock longer than the busy
# timeout (5 s): 503, then 201 once it lets go.
sed 's/5065427c/busy-5065427c/' "$FIX/rfc-example.json" >"$SCRATCH/busy.json"
printf 'BEGIN IMMEDIATE;\n.shell sleep 7\nROLLBACK;\n' |
    sqlite3 "$db" >/dev/null 2>&1 &
locker=$!
sleep 0.5
post "the store locked by another process" "503 Service Unavailable" \
    "$DOWN" $JSON "$SCRATCH/busy.json"
wait "$locker"
post "the lock let go" "201 Created" "$STORED" $JSON "$SCRATCH/busy.json"

# The store's file system full: 503 until there is room again.  The
# report has 4,000 failure details, more than the write-ahead log has
# room for already.
python3 - "$FIX/rfc-example.json" >"$SCRATCH/full.json" <<'EOP'
import json, sys
r = json.load(open(sys.argv[1]))
r["report-id"] = "full-" + r["report-id"]
r["policies"][0]["failure-details"] = [{
    "result-type": "certificate-host-mismatch",
    "sending-mta-ip": "192.0.2.%d" % (i % 250),
    "receiving-mx-hostname": "mx%d.example.com" % i,
    "failed-session-count": i + 1} for i in range(4000)]
r["policies"][0]["summary"]["total-failure-session-count"] = \
    sum(range(1, 4001))
print(json.dumps(r))
EOP
dd if=/dev/zero of="$store/fill" bs=64k >/dev/null 2>&1
post "a full disk" "503 Service Unavailable" "$DOWN" $JSON \
    "$SCRATCH/full.json"
rm -f "$store/fill"
post "room again" "201 Created" "$STORED" $JSON "$SCRATCH/full.json"

# --- what the store holds ---
"$REPORT" -c "$conf" list >"$SCRATCH/list" 2>"$SCRATCH/list.err"
cat >"$SCRATCH/list.want" <<'EOL'
2024-08-01T23:59:59Z other.example sts 1/1 https Hostile Org [h-1]
2024-05-01T23:59:59Z example.net no-policy-found 58/0 https mail.sender.example [npf-1]
2024-04-02T00:00:00Z example.com sts 17/1 https Mail.Ru [20240401.example.com.0b1c]
2024-03-26T23:59:59Z example.com sts 312/7 https Microsoft Corporation [133560864000000000+example.com]
2024-03-25T23:59:59Z example.com sts 1843/0 https Google Inc. [2024-03-25T00:00:00Z_example.com]
2016-04-01T23:59:59Z example.com sts 5326/8002000 https Company-X [full-5065427c-23d3-47ca-b6e0-946ea0e8c4be]
2016-04-01T23:59:59Z example.com sts 5326/303 https Company-X [busy-5065427c-23d3-47ca-b6e0-946ea0e8c4be]
2016-04-01T23:59:59Z example.com sts 5326/303 https Company-X [max-5065427c-23d3-47ca-b6e0-946ea0e8c4be]
2016-04-01T23:59:59Z example.net sts 5326/303 https Company-X [net-5065427c-23d3-47ca-b6e0-946ea0e8c4be]
2016-04-01T23:59:59Z example.com sts 5326/303 https Company-X [5065427c-23d3-47ca-b6e0-946ea0e8c4be]
EOL
check_file "list: exactly the reports that got 201, once each" \
    "$SCRATCH/list.want" "$SCRATCH/list"
"$REPORT" -c "$conf" list -j example.com | jq -c 'del(.received)' \
    >"$SCRATCH/json" 2>>"$SCRATCH/list.err"
jq -c 'select(.report_id == "5065427c-23d3-47ca-b6e0-946ea0e8c4be")' \
    "$SCRATCH/json" >"$SCRATCH/json.rfc"
cat >"$SCRATCH/json.want" <<'EOJ'
{"organization":"Company-X","report_id":"5065427c-23d3-47ca-b6e0-946ea0e8c4be","policy_domain":"example.com","policy_type":"sts","begin":"2016-04-01T00:00:00Z","end":"2016-04-01T23:59:59Z","successful":5326,"failed":303,"via":"https","failures":[{"result_type":"starttls-not-supported","receiving_mx":"mx1.example.com","count":200,"sending_mta_ip":"2001:db8:abcd:0012::1","receiving_ip":null,"receiving_mx_helo":null,"additional_information":null,"failure_reason_code":null},{"result_type":"certificate-expired","receiving_mx":"mx2.example.com","count":100,"sending_mta_ip":"2001:db8:abcd:0013::1","receiving_ip":null,"receiving_mx_helo":null,"additional_information":null,"failure_reason_code":null},{"result_type":"validation-failure","receiving_mx":"mx2.example.com","count":3,"sending_mta_ip":"2001:db8:abcd:0013::1","receiving_ip":"203.0.113.56","receiving_mx_helo":"mx2.example.com","additional_information":"https://reports.company-x.example/report_info?id=5065427c-23d3#StarttlsNotSupported","failure_reason_code":"X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED"}],"policy_id":"fe93889f4c4ce5866e147b74664a5f59","policy_string":["version: STSv1","mode: testing","mx: *.example.com","max_age: 86400"],"mx_host":["*.example.com"],"contact":"sts-reporting@company-x.example"}
EOJ
check_file "list -j: the RFC's example as stored" "$SCRATCH/json.want" \
    "$SCRATCH/json.rfc"
check_eq "list: nothing said" "" "$(cat "$SCRATCH/list.err")"

# --- under load ---

# burst NAME COUNT THREADS [gzip]: COUNT reports (organization NAME) at
# once; the client's "STATUS ID" lines in $SCRATCH/NAME.sent.
burst() {
	timeout -s KILL $((300 * SCALE)) python3 "$POST" "$url" \
	    "$SCRATCH/ca-t/ca.crt" "127.0.0.1:$port" "$2" "$3" "$1" \
	    "$SCRATCH/$1.sent" ${4:-}
}

# stored NAME: the report ids of organization NAME in the store, sorted.
stored() {
	"$REPORT" -c "$conf" list -j example.com |
	    jq -r --arg o "$1" 'select(.organization == $o) | .report_id' |
	    sort
}

# SIGHUP after SIGHUP while 2,000 reports stream in: every one is stored.
burst hup 2000 8 gzip &
client=$!
for i in $(seq 1 20); do
	kill -HUP "$sup"
	sleep 0.1
done
wait "$client"
check_eq "SIGHUP storm: 2000 reports answered 201" 2000 \
    "$(grep -c '^201 ' "$SCRATCH/hup.sent")"
stored hup >"$SCRATCH/hup.ids"
check_eq "SIGHUP storm: 2000 stored, none twice" "2000 2000" \
    "$(wc -l <"$SCRATCH/hup.ids") $(uniq <"$SCRATCH/hup.ids" | wc -l)"

# A worker SIGKILLed twice in a burst: no report that got 201 is lost.
burst kill 3000 16 &
client=$!
sleep 1
kill -KILL "$(pgrep -P "$sup" | head -1)"
sleep 1
kill -KILL "$(pgrep -P "$sup" | tail -1)"
wait "$client"
sed -n 's/^201 //p' "$SCRATCH/kill.sent" | sort >"$SCRATCH/kill.acked"
stored kill >"$SCRATCH/kill.ids"
check_eq "SIGKILL: every report that got 201 is stored" "" \
    "$(comm -23 "$SCRATCH/kill.acked" "$SCRATCH/kill.ids" | head -3)"
check_eq "SIGKILL: none stored twice" "" \
    "$(uniq -d <"$SCRATCH/kill.ids" | head -3)"
check_eq "SIGKILL: only 201, 200 or a lost connection (502)" "" \
    "$(grep -v '^\(201\|200\|502\) ' "$SCRATCH/kill.sent" | head -3)"
if [ "$(wc -l <"$SCRATCH/kill.acked")" -gt 2000 ]; then
	ok "SIGKILL: most reports got 201 ($(wc -l <"$SCRATCH/kill.acked"))"
else
	notok "SIGKILL: most reports got 201 ($(wc -l <"$SCRATCH/kill.acked"))"
fi
check_eq "SIGKILL: both deaths logged, workers replaced" 2 \
    "$(grep -c 'worker killed by signal 9 (Killed); restarting it' \
    "$SCRATCH/report.err")"

# 10,000 reports from 64 connections at once: each stored exactly once.
burst many 10000 64
check_eq "10,000 at once: every one answered 201" 10000 \
    "$(grep -c '^201 ' "$SCRATCH/many.sent")"
stored many >"$SCRATCH/many.ids"
check_eq "10,000 at once: 10,000 stored, none twice" "10000 10000" \
    "$(wc -l <"$SCRATCH/many.ids") $(uniq <"$SCRATCH/many.ids" | wc -l)"

# side FILE: which of FILE's -wal and -shm exist ("no no": neither).
side() {
	echo "$(test -e "$1-wal" && echo yes || echo no)" \
	    "$(test -e "$1-shm" && echo yes || echo no)"
}

# A store its workers may not write when they open it (audit 19,
# finding 4): 503, nothing made beside it (SQLite would make a 0444
# -shm that kept the store read-only after the file was writable
# again), and 201 once it is writable, without a restart.  Restarted
# first, so that the workers open it anew.
stop "$sup" && wait "$sup"
# A process stopped while it held the store (a worker, or the recorder a
# SIGHUP started, which a stop kills) may leave -wal and -shm behind,
# as SQLite allows: the last connection to close checkpoints them away.
sqlite3 "$db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
check_eq "stopped and checkpointed: no -wal or -shm left" "no no" \
    "$(side "$db")"
chmod 0444 "$db"
start report2 "$REPORT" -c "$conf" -s "unix:$SCRATCH/report.sock" -w 2
sup=$LAST_PID
wait_for test -S "$SCRATCH/report.sock" || notok "the receiver restarted"
sed 's/5065427c/ro-5065427c/' "$FIX/rfc-example.json" >"$SCRATCH/ro.json"
post "a read-only store" "503 Service Unavailable" "$DOWN" $JSON \
    "$SCRATCH/ro.json"
check_eq "a read-only store: no -wal or -shm made" "no no" "$(side "$db")"
check_eq "a read-only store: said so" "/reports.db: the store is read-only" \
    "$(grep -o '/reports.db: the store is read-only' \
    "$SCRATCH/report2.err" | head -1)"
chmod 0644 "$db"
post "the store writable again, no restart" "201 Created" "$STORED" \
    $JSON "$SCRATCH/ro.json"

# The store moved away while reports stream in (finding 8): the workers
# notice and store at the configured path, so every report that got 201
# is in one of the two stores, those after the move in the one at the
# path; the moved one is left whole.  Its -wal and -shm go with it, in
# one mv (the workers run chrooted in the store's directory, under
# their system-call filter).
mkdir "$store/away" && chown www-data "$store/away"
burst moved 2000 8 &
client=$!
sleep 1
mv "$db" "$db-wal" "$db-shm" "$store/away/" 2>/dev/null
wait "$client"
sed -n 's/^201 //p' "$SCRATCH/moved.sent" | sort >"$SCRATCH/moved.acked"
stored moved >"$SCRATCH/moved.here"
sed "s|^database = .*|database = $store/away/reports.db|" "$conf" \
    >"$SCRATCH/away.ini"
"$REPORT" -c "$SCRATCH/away.ini" list -j example.com 2>/dev/null |
    jq -r 'select(.organization == "moved") | .report_id' | sort \
    >"$SCRATCH/moved.away"
check_eq "moved: 2000 reports answered 201" 2000 \
    "$(wc -l <"$SCRATCH/moved.acked")"
check_eq "moved: every report that got 201 is stored" "" \
    "$(sort -m "$SCRATCH/moved.here" "$SCRATCH/moved.away" |
    comm -23 "$SCRATCH/moved.acked" - | head -3)"
if [ "$(wc -l <"$SCRATCH/moved.here")" -gt 0 ]; then
	ok "moved: the reports after the move are in the store at the path" \
	    "($(wc -l <"$SCRATCH/moved.here") here," \
	    "$(wc -l <"$SCRATCH/moved.away") moved)"
else
	notok "moved: the reports after the move are in the store at the path"
fi
sed 's/5065427c/after-5065427c/' "$FIX/rfc-example.json" \
    >"$SCRATCH/after.json"
post "after the move" "201 Created" "$STORED" $JSON "$SCRATCH/after.json"
check_eq "after the move: in the store at the path, not the moved one" \
    "1 0" "$("$REPORT" -c "$conf" list | grep -c '\[after-5065427c') \
$("$REPORT" -c "$SCRATCH/away.ini" list | grep -c '\[after-5065427c')"
check_eq "moved: both stores intact" "ok ok" \
    "$(sqlite3 "$db" 'PRAGMA integrity_check') \
$(sqlite3 "$store/away/reports.db" 'PRAGMA integrity_check')"

# --- the end ---
check_eq "no worker broke its sandbox or crashed" "" \
    "$(grep -E 'signal (31|11|6)|AddressSanitizer|runtime error' \
    "$SCRATCH/report.err" "$SCRATCH/report2.err" | head -3)"
rc="not stopped in 2 s"
stop "$sup" && { wait "$sup"; rc=$?; }
check_eq "SIGTERM: exit status 0, its socket removed" "0 no" \
    "$rc $(test -e "$SCRATCH/report.sock" && echo yes || echo no)"

# --- audit finding 7: a SIGHUP storm while the workers wait on the store ---
# A worker waiting for the store's write lock (up to the busy timeout,
# 5 s) reads nothing from the supervisor; thousands of SIGHUPs then must
# not fill its socket, nor get it killed with the requests it holds.  A
# receiver of its own, on the socket nginx forwards to, two workers; a
# sqlite3 holds the write lock 3 s, twice, while 600 reports are POSTed
# and 1,500 SIGHUPs are sent.
start report7 "$REPORT" -c "$conf" -s "unix:$SCRATCH/report.sock" -w 2
sup7=$LAST_PID
wait_for test -S "$SCRATCH/report.sock" || notok "finding 7: receiver started"
workers7=$(pgrep -P "$sup7" | sort | xargs)
(
	for i in 1 2; do
		printf '.timeout 5000\nBEGIN IMMEDIATE;\n.shell sleep 3\nROLLBACK;\n' |
		    sqlite3 "$db"
		sleep 0.5
	done
) >"$SCRATCH/locker7.out" 2>&1 &
locker=$!
sleep 0.3
burst storm7 600 8 &
client=$!
for i in $(seq 1 1500); do
	kill -HUP "$sup7"
	sleep 0.002
done
wait "$client"
wait "$locker"
check_eq "finding 7: the store was locked twice, as meant" "" \
    "$(cat "$SCRATCH/locker7.out")"
check_eq "finding 7: 600 reports, each answered 201" 600 \
    "$(grep -c '^201 ' "$SCRATCH/storm7.sent")"
stored storm7 >"$SCRATCH/storm7.ids"
check_eq "finding 7: 600 stored, none twice" "600 600" \
    "$(wc -l <"$SCRATCH/storm7.ids") $(uniq <"$SCRATCH/storm7.ids" | wc -l)"
reloaded7() { grep -q 'reloaded' "$SCRATCH/report7.err"; }
loaderless7() { [ "$(pgrep -P "$sup7" | wc -l)" = 2 ]; }
within 10 reloaded7 && within 10 loaderless7
check_eq "finding 7: no worker killed or replaced, the same two serve" \
    "$workers7" "$(pgrep -P "$sup7" | sort | xargs)"
check_eq "finding 7: nothing logged but reloads and the config's warnings" \
    "" "$(grep -v -e ': reloaded: ' -e 'warning: mode testing' \
    "$SCRATCH/report7.err" | head -3)"
rc="not stopped in 2 s"
stop "$sup7" && { wait "$sup7"; rc=$?; }
check_eq "finding 7: SIGTERM, exit status 0" 0 "$rc"
