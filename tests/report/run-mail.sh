#!/bin/bash
# SPDX-License-Identifier: ISC
# Reports by mail (RFC 8460 §5.3) end to end, in a network namespace of
# its own: knot on 127.0.0.1:53 (the resolver's server) publishes the
# senders' DKIM keys (one with s=tlsrpt, in two strings); a real Postfix
# (its own config directory and queue, master in the foreground, no
# system service touched) accepts mail for tlsrpt@rcv.test and
# tlsrpt-trust@rcv.test and delivers each through the pipe(8) transport
# of contrib/postfix/master.cf to "mta-sts-report import": the first
# verifies DKIM itself, the second trusts the Authentication-Results of
# OpenDKIM, run as Postfix's milter.  Messages are signed by dkimpy.
# Each case asserts what Postfix did (sent or deferred: the exit status
# it read), the exact lines of "list -j", and for the refusals the exact
# line import logs when run on the same message.  Then a Maildir.
WORLD=mail
. tests/lib/suite.sh
. tests/lib/world.sh
. tests/lib/knot.sh

REPORT=${REPORT:-$TOP/${O:-build}/mta-sts-report}
PY=/usr/bin/python3
MAKE_MESSAGE="$PY $TOP/tests/report/mail/make-message.py"
PF_MASTER=/usr/lib/postfix/sbin/master
PF_PID=
trap 'cleanup; pf_stop; world_destroy' EXIT
need "$REPORT"
for c in ip knotd dig postfix "$PF_MASTER" opendkim setpriv openssl; do
	command -v "$c" >/dev/null ||
	    { notok "$c is not installed (scripts/deps.sh check)"; exit 1; }
done
$PY -c 'import dkim' 2>/dev/null ||
    { notok "python3-dkim is not installed (scripts/deps.sh check)"; exit 1; }

# Postfix's pipe runs the command as nobody: it must reach the program,
# the configs and the databases.
chmod 0711 "$SCRATCH"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
mkdir -p "$SCRATCH/db"
chown 65534:65534 "$SCRATCH/db"

# --- the configs: verify DKIM here, or trust OpenDKIM's header ---
for mode in verify trust; do
	{
		printf '[domain rcv.test]\nmx = mx.rcv.test\nmode = testing\n'
		printf 'max_age = 86400\ntlsrpt = mailto:tlsrpt@rcv.test\n\n'
		printf '[reports]\ndatabase = %s/db/%s.db\n' "$SCRATCH" "$mode"
		[ $mode = trust ] && printf 'trust_authserv_id = mx.rcv.test\n'
	} >"$SCRATCH/$mode.ini"
	chmod 0644 "$SCRATCH/$mode.ini"
done

# --- keys: sender.test (s=tlsrpt, 2048 bits; and a plain one), other.test
for k in sender-tlsrpt:2048 sender-plain:1024 other:1024; do
	openssl genrsa -traditional -out "$SCRATCH/${k%%:*}.key" "${k#*:}" \
	    2>/dev/null
	openssl rsa -in "$SCRATCH/${k%%:*}.key" -pubout -outform DER \
	    2>/dev/null | base64 -w0 >"$SCRATCH/${k%%:*}.pub"
done
# txt P: a DKIM key record's data, in strings of at most 200 bytes
txt() { fold -w200 | sed 's/.*/"&"/' | tr '\n' ' '; }

knot_keys
D=$SCRATCH/knot
knot_conf "$D" 127.0.0.1@53 sender.test other.test rcv.test
{
	printf 'tlsrpt._domainkey TXT "v=DKIM1; k=rsa; s=tlsrpt; p=" %s\n' \
	    "$(txt <"$SCRATCH/sender-tlsrpt.pub")"
	printf 'plain._domainkey TXT "v=DKIM1; k=rsa; p=%s"\n' \
	    "$(cat "$SCRATCH/sender-plain.pub")"
} >>"$D/sender.test.zone"
printf 'sel._domainkey TXT "v=DKIM1; k=rsa; p=%s"\n' \
    "$(cat "$SCRATCH/other.pub")" >>"$D/other.test.zone"
printf 'mx A 127.0.0.1\n@ MX 10 mx\n' >>"$D/rcv.test.zone"

world_create || { notok "could not create network namespace $NS"; exit 1; }
start knot ip netns exec "$NS" knotd -c "$D/knot.conf"
KNOT=$LAST_PID
for z in sender.test other.test rcv.test; do
	if ! within 100 knot_serves $z in_ns dig @127.0.0.1; then
		notok "knot serves $z in the namespace"
		sed 's/^/#   /' "$SCRATCH/knot.err" | tail -20
		exit 1
	fi
done

# --- OpenDKIM, the local verifier of the trust mode ---
cat >"$SCRATCH/opendkim.conf" <<EOC
Mode v
Socket inet:8891@127.0.0.1
AuthservID mx.rcv.test
RemoveARFrom mx.rcv.test
Syslog no
UserID nobody
On-DNSError accept
ResolverConfiguration $SCRATCH/unbound.conf
EOC
# Debian's OpenDKIM resolves with libunbound: forward to knot, which
# listens on the loopback that unbound does not query unless told, for
# .test, which unbound answers itself (RFC 6761) unless told.
cat >"$SCRATCH/unbound.conf" <<EOC
server:
    do-not-query-localhost: no
    local-zone: "test." nodefault
forward-zone:
    name: "."
    forward-addr: 127.0.0.1
EOC
start opendkim ip netns exec "$NS" opendkim -f -x "$SCRATCH/opendkim.conf"

# --- Postfix: its own directory and queue, master in the foreground ---
PF=$SCRATCH/postfix
mkdir -p "$PF/conf" "$PF/queue" "$PF/data"
chown postfix "$PF/data"
cat >"$PF/conf/main.cf" <<EOC
compatibility_level = 3.6
queue_directory = $PF/queue
data_directory = $PF/data
maillog_file = $PF/maillog
maillog_file_prefixes = $PF
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.rcv.test
mydestination = rcv.test
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
alias_maps =
alias_database =
local_recipient_maps =
smtputf8_enable = no
biff = no
transport_maps = inline:{ tlsrpt@rcv.test=mta-sts-report:,
    tlsrpt-trust@rcv.test=mta-sts-report-trust: }
mta-sts-report_destination_recipient_limit = 1
mta-sts-report-trust_destination_recipient_limit = 1
smtpd_milters = inet:127.0.0.1:8891
milter_default_action = tempfail
# a deferred message is tried again within seconds here
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
EOC
cat >"$PF/conf/master.cf" <<EOC
smtp      inet  n       -       n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       1       1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
flush     unix  n       -       n       1000    0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOC
# contrib/postfix/master.cf as shipped: our user, program and configs
for mode in verify trust; do
	sed -e '/^#/d' -e 's/user=mta-sts-report/user=nobody/' \
	    -e "s|/usr/local/sbin/mta-sts-report|$REPORT|" \
	    -e "s|/usr/local/etc/mta-sts-fcgi.ini|$SCRATCH/$mode.ini|" \
	    contrib/postfix/master.cf
done | sed '3s/^mta-sts-report /mta-sts-report-trust /' >>"$PF/conf/master.cf"
if ! postfix -c "$PF/conf" check >"$SCRATCH/pf-check" 2>&1; then
	notok "postfix check accepts the test's config"
	sed 's/^/#   /' "$SCRATCH/pf-check" "$PF/maillog" | tail -20
	exit 1
fi
start postfix ip netns exec "$NS" "$PF_MASTER" -c "$PF/conf" -d
PF_PID=$LAST_PID
pf_stop() { [ -n "$PF_PID" ] && stop "$PF_PID"; PF_PID=; }

smtp_up() { in_ns $PY -c 'import socket; socket.create_connection(("127.0.0.1", 25), 1)' 2>/dev/null; }
milter_up() { in_ns $PY -c 'import socket; socket.create_connection(("127.0.0.1", 8891), 1)' 2>/dev/null; }
if ! within 100 smtp_up || ! within 100 milter_up; then
	notok "postfix and opendkim listen in the namespace"
	sed 's/^/#   /' "$PF/maillog" "$SCRATCH/opendkim.err" | tail -20
	exit 1
fi

# send FILE [RCPT]: the message through Postfix's SMTP server.
SENT=0
send() {
	in_ns $PY -c '
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", 25)
s.sendmail("tlsrpt-noreply@sender.test", [sys.argv[2]], open(sys.argv[1], "rb").read())
s.quit()' "$1" "${2:-tlsrpt@rcv.test}"
	SENT=$((SENT + 1))
}
# outcomes: what the pipe transport did, one word per delivery attempt.
outcomes() {
	sed -n 's/.*postfix\/pipe\[.*relay=mta-sts-report.*status=\([a-z]*\).*/\1/p' \
	    "$PF/maillog" 2>/dev/null
}
attempts() { [ "$(outcomes | wc -l)" -ge "$1" ]; }
# delivered NAME WANT: the last attempt, once there is one more.
N_ATTEMPTS=0
delivered() {
	N_ATTEMPTS=$((N_ATTEMPTS + 1))
	within 300 attempts $N_ATTEMPTS
	check_eq "$1: Postfix's pipe reports" "$2" "$(outcomes | sed -n "${N_ATTEMPTS}p")"
}

# retried NAME: the deferred message is delivered on a retry (qmgr tries
# it again every second or two: the deferrals before it are not counted).
retried() {
	local sent
	sent=$(outcomes | grep -c sent)
	postfix -c "$PF/conf" flush 2>/dev/null
	within 300 eval '[ "$(outcomes | grep -c sent)" -gt '"$sent"' ]'
	check_eq "$1: Postfix's pipe reports" sent "$(outcomes | tail -1)"
	N_ATTEMPTS=$(outcomes | wc -l)
}

# listed MODE: list -j of MODE's store, the fields compared, sorted (the
# order is the store's, tested in its suite: here reports of one day
# received in one second).
listed() {
	as_nobody "$REPORT" -c "$SCRATCH/$1.ini" list -j 2>"$SCRATCH/list.err" |
	    $PY -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    print(r["organization"], r["report_id"], r["policy_domain"],
          r["policy_type"], r["begin"], r["end"], r["successful"],
          r["failed"], r["via"],
          ";".join("%s %s %d" % (f["result_type"], f["receiving_mx"],
                                  f["count"]) for f in r["failures"]),
          sep="|")' | LC_ALL=C sort
}
# lines LINE...: the lines, sorted as listed sorts them.
lines() { printf '%s\n' "$@" | LC_ALL=C sort; }
G='Google Inc.|2024-03-25T00:00:00Z_rcv.test|rcv.test|sts|2024-03-25T00:00:00Z|2024-03-25T23:59:59Z|24|0|mail|'
g() { echo "${G/2024-03-25T00:00:00Z_rcv.test/$1}"; }
M='Microsoft Corporation|133557215999999999+rcv.test|rcv.test|sts|2024-03-26T00:00:00Z|2024-03-26T23:59:59Z|7|2|mail|certificate-expired mx.rcv.test 2'

# imported NAME MODE FILE WANT_STATUS WANT_LINE: import run by hand on
# the same message, its exit status and its one line.
imported() {
	in_ns setpriv --reuid=65534 --regid=65534 --clear-groups "$REPORT" \
	    -c "$SCRATCH/$2.ini" import <"$3" >"$SCRATCH/out" 2>"$SCRATCH/err"
	check_eq "$1: import exits $4" "$4" "$?"
	check_eq "$1: import says why" "$5" "$(grep -v 'warning: mode testing' "$SCRATCH/err")"
}

msg() { $MAKE_MESSAGE "$@"; }
TL="$SCRATCH/sender-tlsrpt.key tlsrpt sender.test"
PL="$SCRATCH/sender-plain.key plain sender.test"
OT="$SCRATCH/other.key sel other.test"
cp tests/report/mail/google.json tests/report/mail/microsoft.json "$SCRATCH/"
chmod 0644 "$SCRATCH"/*.json

# --- verify mode ---
msg "$SCRATCH/google.json" --sign $TL >"$SCRATCH/google.eml"
send "$SCRATCH/google.eml"
delivered "gzip, base64, signed with the s=tlsrpt key" sent
check_eq "the report is stored, via mail" "$(lines "$G")" "$(listed verify)"

msg "$SCRATCH/microsoft.json" --json --cte quoted-printable --sign $PL \
    >"$SCRATCH/ms.eml"
send "$SCRATCH/ms.eml"
delivered "json, quoted-printable, signed with a key without s=" sent
check_eq "both reports are stored" "$(lines "$M" "$G")" "$(listed verify)"

send "$SCRATCH/google.eml"
delivered "the same report again (a sender's retry)" sent
check_eq "a duplicate is stored once" "$(lines "$M" "$G")" "$(listed verify)"
imported "a duplicate" verify "$SCRATCH/google.eml" 0 \
    'mta-sts-report: import: stdin: report "2024-03-25T00:00:00Z_rcv.test" of "Google Inc." was already stored'

msg "$SCRATCH/google.json" --report-id unsigned >"$SCRATCH/unsigned.eml"
msg "$SCRATCH/google.json" --report-id tampered --sign $TL --tamper \
    >"$SCRATCH/tampered.eml"
msg "$SCRATCH/google.json" --report-id length --sign $PL --length \
    >"$SCRATCH/length.eml"
msg "$SCRATCH/google.json" --report-id other --sign $OT >"$SCRATCH/other.eml"
msg "$SCRATCH/google.json" --report-id child --submitter mx.other.test \
    --sign $PL >"$SCRATCH/child.eml"
for m in unsigned tampered length other child; do
	send "$SCRATCH/$m.eml"
	delivered "$m: dropped, not bounced" sent
done
check_eq "no refused report is stored" "$(lines "$M" "$G")" "$(listed verify)"
imported "unsigned" verify "$SCRATCH/unsigned.eml" 0 \
    'mta-sts-report: import: stdin: dropped: not signed by the reporting domain sender.test: no DKIM signature'
imported "tampered" verify "$SCRATCH/tampered.eml" 0 \
    'mta-sts-report: import: stdin: dropped: not signed by the reporting domain sender.test: the signature of d=sender.test does not match: the body changed after signing'
imported "l=" verify "$SCRATCH/length.eml" 0 \
    'mta-sts-report: import: stdin: dropped: not signed by the reporting domain sender.test: the signature of d=sender.test has l= (RFC 8460 §5.3 forbids it)'
imported "another domain's signature" verify "$SCRATCH/other.eml" 0 \
    'mta-sts-report: import: stdin: dropped: not signed by the reporting domain sender.test: signed by d=other.test, not by the reporting domain sender.test'
imported "signed by sender.test, submitted as mx.other.test" verify \
    "$SCRATCH/child.eml" 0 \
    'mta-sts-report: import: stdin: dropped: not signed by the reporting domain mx.other.test: signed by d=sender.test, not by the reporting domain mx.other.test'

# A report about a domain not served here, validly signed.
$PY -c 'import json,sys; r=json.load(open(sys.argv[1])); r["policies"][0]["policy"]["policy-domain"]="elsewhere.test"; r["report-id"]="elsewhere"; json.dump(r, open(sys.argv[2], "w"))' \
    "$SCRATCH/google.json" "$SCRATCH/elsewhere.json"
msg "$SCRATCH/elsewhere.json" --sign $TL >"$SCRATCH/elsewhere.eml"
imported "a policy domain not served" verify "$SCRATCH/elsewhere.eml" 0 \
    'mta-sts-report: import: stdin: dropped: no policy domain of the report is served here: elsewhere.test'

# --- the store unavailable: Postfix defers (75), then delivers ---
msg "$SCRATCH/google.json" --report-id later --sign $TL >"$SCRATCH/later.eml"
chmod 0555 "$SCRATCH/db"
chmod 0444 "$SCRATCH/db"/verify.db*
send "$SCRATCH/later.eml"
delivered "the store read-only: deferred (exit 75)" deferred
imported "the store read-only" verify "$SCRATCH/later.eml" 75 \
    "mta-sts-report: $SCRATCH/db/verify.db: the store is read-only to this process (the file's mode or owner, or a read-only file system): reports cannot be stored
mta-sts-report: import: stdin: deferred: the store is unavailable"
chmod 0755 "$SCRATCH/db"
chmod 0644 "$SCRATCH/db"/verify.db*
retried "the store back"

check_eq "the deferred report is stored" \
    "$(lines "$(g later)" "$M" "$G")" "$(listed verify)"

# --- DNS down: the key cannot be fetched, deferred; back: delivered ---
msg "$SCRATCH/google.json" --report-id dns --sign $TL >"$SCRATCH/dns.eml"
stop "$KNOT"
send "$SCRATCH/dns.eml"
delivered "no DNS server: deferred (exit 75)" deferred
imported "no DNS server" verify "$SCRATCH/dns.eml" 75 \
    'mta-sts-report: import: stdin: deferred: the DKIM signature could not be checked now: DNS did not answer the key query now'
start knot ip netns exec "$NS" knotd -c "$D/knot.conf"
KNOT=$LAST_PID
within 100 knot_serves sender.test in_ns dig @127.0.0.1
retried "DNS back"

check_eq "the report is stored once DNS answers" \
    "$(lines "$(g dns)" "$(g later)" "$M" "$G")" "$(listed verify)"

# --- trust mode: OpenDKIM's Authentication-Results ---
msg "$SCRATCH/google.json" --report-id trust-ok --sign $PL >"$SCRATCH/t-ok.eml"
send "$SCRATCH/t-ok.eml" tlsrpt-trust@rcv.test
delivered "trust: signed, OpenDKIM says pass" sent
msg "$SCRATCH/google.json" --report-id trust-forged \
    --prepend 'Authentication-Results: mx.rcv.test; dkim=pass header.d=sender.test' \
    >"$SCRATCH/t-forged.eml"
send "$SCRATCH/t-forged.eml" tlsrpt-trust@rcv.test
delivered "trust: unsigned with a forged header of ours" sent
msg "$SCRATCH/google.json" --report-id trust-foreign \
    --prepend 'Authentication-Results: evil.test; dkim=pass header.d=sender.test' \
    >"$SCRATCH/t-foreign.eml"
send "$SCRATCH/t-foreign.eml" tlsrpt-trust@rcv.test
delivered "trust: unsigned with another verifier's pass" sent
msg "$SCRATCH/google.json" --report-id trust-other --sign $OT \
    >"$SCRATCH/t-other.eml"
send "$SCRATCH/t-other.eml" tlsrpt-trust@rcv.test
delivered "trust: signed by another domain" sent
msg "$SCRATCH/google.json" --report-id trust-length --sign $PL --length \
    >"$SCRATCH/t-length.eml"
send "$SCRATCH/t-length.eml" tlsrpt-trust@rcv.test
delivered "trust: signed with l=" sent
check_eq "trust: only the report OpenDKIM passed is stored" \
    "$(lines "$(g trust-ok)")" "$(listed trust)"
# Without OpenDKIM in the way, a forged pass of ours is still not enough:
# no DKIM-Signature of that domain backs it.
imported "trust: a forged pass of ours, as sent" trust \
    "$SCRATCH/t-forged.eml" 0 \
    'mta-sts-report: import: stdin: dropped: not signed by the reporting domain sender.test: mx.rcv.test says dkim=pass for d=sender.test, but the message has no such DKIM-Signature without l='
# The verifier's own dkim=fail on top decides: a forged pass right below
# it (one the verifier did not remove) is not read.
msg "$SCRATCH/google.json" --report-id trust-below --sign $PL \
    --prepend 'Authentication-Results: mx.rcv.test; dkim=fail (bad signature) header.d=sender.test' \
    --prepend 'Authentication-Results: mx.rcv.test; dkim=pass header.d=sender.test' \
    >"$SCRATCH/t-below.eml"
imported "trust: a forged pass right below the verifier's fail" trust \
    "$SCRATCH/t-below.eml" 0 \
    'mta-sts-report: import: stdin: dropped: not signed by the reporting domain sender.test: the Authentication-Results of mx.rcv.test has no dkim=pass'
imported "trust: another verifier's pass, as sent" trust \
    "$SCRATCH/t-foreign.eml" 0 \
    'mta-sts-report: import: stdin: dropped: not signed by the reporting domain sender.test: no Authentication-Results header field of mx.rcv.test'

# --- Maildir: new/ and cur/, moved out of the way, nothing twice ---
MD=$SCRATCH/Maildir
mkdir -p "$MD/new" "$MD/cur" "$MD/tmp"
msg "$SCRATCH/google.json" --report-id maildir --sign $TL \
    >"$MD/new/1700000000.1.host"
cp "$SCRATCH/unsigned.eml" "$MD/new/1700000000.2.host"
cp "$SCRATCH/google.eml" "$MD/cur/1700000000.3.host:2,F"
chown -R 65534:65534 "$MD"
in_ns setpriv --reuid=65534 --regid=65534 --clear-groups "$REPORT" \
    -c "$SCRATCH/verify.ini" import "$MD" >"$SCRATCH/out" 2>"$SCRATCH/err"
check_eq "maildir: import exits 0" 0 "$?"
check_eq "maildir: one line per message" \
    'mta-sts-report: import: cur/1700000000.3.host:2,F: report "2024-03-25T00:00:00Z_rcv.test" of "Google Inc." was already stored
mta-sts-report: import: new/1700000000.1.host: stored report "maildir" of "Google Inc."
mta-sts-report: import: new/1700000000.2.host: dropped: not signed by the reporting domain sender.test: no DKIM signature' \
    "$(grep -v 'warning: mode testing' "$SCRATCH/err" | sort)"
check_eq "maildir: the new report is stored" \
    "$(lines "$(g maildir)" "$(g dns)" "$(g later)" "$M" "$G")" \
    "$(listed verify)"
check_eq "maildir: stored and duplicate in .Processed, dropped in .Invalid, marked seen" \
    "./.Invalid/cur/1700000000.2.host:2,S
./.Invalid/maildirfolder
./.Processed/cur/1700000000.1.host:2,S
./.Processed/cur/1700000000.3.host:2,FS
./.Processed/maildirfolder" "$(cd "$MD" && find . -type f | LC_ALL=C sort)"
in_ns setpriv --reuid=65534 --regid=65534 --clear-groups "$REPORT" \
    -c "$SCRATCH/verify.ini" import "$MD" >"$SCRATCH/out" 2>"$SCRATCH/err"
check_eq "maildir: a second run exits 0 and imports nothing" "0 " \
    "$? $(grep -v 'warning: mode testing' "$SCRATCH/err")"

# --- Maildir entries that are no message files: moved, never read ---
# A FIFO would block a reader forever, a device or a socket is no
# message, a symbolic link may point anywhere: each is moved, as it is,
# to .Invalid with one line, and the run exits 0 (it is not retried).
MD2=$SCRATCH/Maildir2
mkdir -p "$MD2/new" "$MD2/cur" "$MD2/tmp"
mkfifo "$MD2/new/1700000001.fifo.host"
$PY -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' \
    "$MD2/new/1700000002.socket.host"
mknod "$MD2/new/1700000003.null.host" c 1 3
mkdir "$MD2/new/1700000004.dir.host"
ln -s "$SCRATCH/google.eml" "$MD2/new/1700000005.link.host"
ln -s /nonexistent "$MD2/cur/1700000006.dangling.host:2,F"
cp "$SCRATCH/unsigned.eml" "$MD2/cur/1700000007.2.host"
chown -R -h 65534:65534 "$MD2"
timeout 20 ip netns exec "$NS" setpriv --reuid=65534 --regid=65534 \
    --clear-groups "$REPORT" -c "$SCRATCH/verify.ini" import "$MD2" \
    >"$SCRATCH/out" 2>"$SCRATCH/err"
check_eq "maildir of odd files: exits 0 within 20 s (no FIFO is read)" 0 "$?"
check_eq "maildir of odd files: one line each" \
    'mta-sts-report: import: cur/1700000006.dangling.host:2,F: dropped: a symbolic link, not a message file
mta-sts-report: import: cur/1700000007.2.host: dropped: not signed by the reporting domain sender.test: no DKIM signature
mta-sts-report: import: new/1700000001.fifo.host: dropped: a FIFO, not a message file
mta-sts-report: import: new/1700000002.socket.host: dropped: a socket, not a message file
mta-sts-report: import: new/1700000003.null.host: dropped: a character device, not a message file
mta-sts-report: import: new/1700000004.dir.host: dropped: a directory, not a message file
mta-sts-report: import: new/1700000005.link.host: dropped: a symbolic link, not a message file' \
    "$(grep -v 'warning: mode testing' "$SCRATCH/err" | LC_ALL=C sort)"
check_eq "maildir of odd files: each moved as it is to .Invalid, marked seen" \
    "d .
d ./.Invalid
d ./.Invalid/cur
p ./.Invalid/cur/1700000001.fifo.host:2,S
s ./.Invalid/cur/1700000002.socket.host:2,S
c ./.Invalid/cur/1700000003.null.host:2,S
d ./.Invalid/cur/1700000004.dir.host:2,S
l ./.Invalid/cur/1700000005.link.host:2,S
l ./.Invalid/cur/1700000006.dangling.host:2,FS
f ./.Invalid/cur/1700000007.2.host:2,S
f ./.Invalid/maildirfolder
d ./.Invalid/new
d ./.Invalid/tmp
d ./cur
d ./new
d ./tmp" \
    "$(cd "$MD2" && find . -printf '%y %p\n' | LC_ALL=C sort -k2)"
check_eq "the linked report was not imported" \
    "$(lines "$(g maildir)" "$(g dns)" "$(g later)" "$M" "$G")" \
    "$(listed verify)"
timeout 20 ip netns exec "$NS" setpriv --reuid=65534 --regid=65534 \
    --clear-groups "$REPORT" -c "$SCRATCH/verify.ini" import "$MD2" \
    >"$SCRATCH/out" 2>"$SCRATCH/err"
check_eq "maildir of odd files: a second run exits 0 and says nothing" "0 " \
    "$? $(grep -v 'warning: mode testing' "$SCRATCH/err")"

# --- the command line and the limits ---
as_nobody "$REPORT" -c "$SCRATCH/verify.ini" import a b </dev/null \
    >/dev/null 2>"$SCRATCH/err"
check_eq "import with two arguments: usage, 64" "64 mta-sts-report: usage: mta-sts-report [-c config] import [maildir]" \
    "$? $(grep -v 'warning: mode testing' "$SCRATCH/err")"
as_nobody "$REPORT" -c "$SCRATCH/verify.ini" import "$SCRATCH/db" \
    </dev/null >/dev/null 2>"$SCRATCH/err"
check_eq "import of a directory that is no Maildir: 66" "66 mta-sts-report: import: $SCRATCH/db: not a Maildir (no new/ and cur/ directories)" \
    "$? $(grep -v 'warning: mode testing' "$SCRATCH/err")"
as_nobody "$REPORT" -c "$SCRATCH/verify.ini" import </dev/null \
    >/dev/null 2>"$SCRATCH/err"
check_eq "an empty message: one line, 0" \
    "0 mta-sts-report: import: stdin: dropped: an empty message" \
    "$? $(grep -v 'warning: mode testing' "$SCRATCH/err")"
as_nobody "$REPORT" -c "$SCRATCH/verify.ini" import <&- \
    >/dev/null 2>"$SCRATCH/err"
check_eq "standard input closed: one line, 66" \
    "66 mta-sts-report: import: stdin: not open: the message is read from standard input" \
    "$? $(grep -v 'warning: mode testing' "$SCRATCH/err")"
{ cat "$SCRATCH/google.eml"; head -c $((5 * 1024 * 1024)) /dev/zero; } |
    as_nobody "$REPORT" -c "$SCRATCH/verify.ini" import >/dev/null \
    2>"$SCRATCH/err"
check_eq "a message over 5 MiB (4 × body_max + 1 MiB): read, dropped, 0" \
    "0 mta-sts-report: import: stdin: dropped: a message larger than 5242880 bytes" \
    "$? $(grep -v 'warning: mode testing' "$SCRATCH/err")"
check_eq "Postfix bounced nothing" 0 "$(outcomes | grep -c bounced)"
