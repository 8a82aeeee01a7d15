#!/bin/bash
# SPDX-License-Identifier: ISC
# contrib/publish/mta-sts-publish end to end, in a network namespace of
# its own: knot on 127.0.0.1:53 serves the zones (the resolver the checker
# reads) and accepts RFC 2136 updates with a TSIG key; nginx with TLS on
# 443, configured by contrib/nginx/mta-sts-provider.conf (one server
# block, a certificate per customer), in front of our responder, which
# reads a directory config (one file per customer).  Each case asserts
# the script's exact output and exit status, what DNS shows afterwards,
# and what the policy host serves: the id is published only once the
# policy is served.
WORLD=publish
. tests/lib/suite.sh
. tests/lib/world.sh
. tests/lib/knot.sh

CHECK=${CHECK:-$TOP/${O:-build}/mta-sts-check}
SCRIPT=$TOP/contrib/publish/mta-sts-publish
trap 'cleanup; world_destroy' EXIT
need "$BIN" "$CHECK"
for c in ip knotd nsupdate knsupdate dig nginx openssl curl; do
	command -v $c >/dev/null || { notok "$c is not installed (scripts/deps.sh check)"; exit 1; }
done

# The script runs the programs from PATH: these builds.
mkdir -p "$SCRATCH/bin" "$SCRATCH/tmp"
ln -s "$BIN" "$SCRATCH/bin/mta-sts-fcgi"
ln -s "$CHECK" "$SCRATCH/bin/mta-sts-check"

# --- the config: a directory, one file per customer ---
confd=$SCRATCH/mta-sts-fcgi.d
mkdir -p "$confd"
# config MODE MAX_AGE: the policy every customer inherits.
config() {
	printf '[policy]\nmode = %s\nmx = mx.c.test\nmax_age = %s\n' "$1" "$2" \
	    >"$confd/00-policy.ini"
}
config testing 86400
printf '[domain a.test]\nmx = mx.a.test\ntlsrpt = mailto:tlsrpt@a.test\n' \
    >"$confd/customer-a.ini"
printf '[domain b.test]\nmx = mx.b.test\n' >"$confd/customer-b.ini"

# --- DNS: knot in the namespace, on the resolver's address ---
knot_keys
D=$SCRATCH/knot
knot_conf "$D" 127.0.0.1@53 a.test b.test c.test
for z in a.test b.test c.test; do
	printf 'mta-sts A 127.0.0.1\n@ MX 10 mx\nmx A 127.0.0.2\n' >>"$D/$z.zone"
done
# c.test's _mta-sts is a CNAME (as when a customer delegates it): an
# update adding a TXT there is ignored (RFC 2136 §3.4.2.2).
printf '_mta-sts CNAME _old-mta-sts\n_old-mta-sts TXT "v=STSv1; id=20240101"\n' \
    >>"$D/c.test.zone"

# --- certificates: one per customer's policy host ---
ca_new pub
for z in a.test b.test c.test; do
	cert "mta-sts.$z" pub "mta-sts.$z"
done
mkdir -p "$SCRATCH/acme/.well-known/acme-challenge"
echo token-a >"$SCRATCH/acme/.well-known/acme-challenge/token-a"

# --- nginx: the provider's file as shipped, paths and addresses ours ---
sed -e 's|listen 80;|listen 127.0.0.1:80;|' \
    -e 's|listen \[::\]:80;|listen [::1]:80;|' \
    -e 's|listen 443 ssl;|listen 127.0.0.1:443 ssl;|' \
    -e 's|listen \[::\]:443 ssl;|listen [::1]:443 ssl;|' \
    -e 's|/etc/nginx/mta-sts-certs/|@DIR@/|g' \
    -e 's|/var/www/acme|@DIR@/acme|' \
    -e 's|unix:/run/mta-sts-fcgi/mta-sts-fcgi.sock|@FCGI@|' \
    contrib/nginx/mta-sts-provider.conf >"$SCRATCH/servers"

world_create || { notok "could not create network namespace $NS"; exit 1; }
start knot ip netns exec "$NS" knotd -c "$D/knot.conf"
for z in a.test b.test c.test; do
	if ! within 100 knot_serves $z in_ns dig @127.0.0.1; then
		notok "knot serves $z in the namespace"
		sed 's/^/#   /' "$SCRATCH/knot.err" | tail -20
		exit 1
	fi
done
world_responder "$confd" || { notok "the responder did not start"; sed 's/^/#   /' "$SCRATCH/fcgi.err"; exit 1; }
FCGI=$LAST_PID
world_nginx "$SCRATCH/servers" || { notok "nginx did not start"; sed 's/^/#   /' "$SCRATCH/nginx.err" "$SCRATCH/nginx/error.log"; exit 1; }
in_ns nginx -t -q -p "$SCRATCH/nginx" -c "$SCRATCH/nginx/nginx.conf" \
    >"$SCRATCH/nginx-t" 2>&1
check_eq "nginx -t accepts contrib/nginx/mta-sts-provider.conf" "0 " \
    "$? $(cat "$SCRATCH/nginx-t")"
check_eq "port 80 serves a customer's ACME challenge from the webroot" \
    token-a "$(in_ns curl -s --max-time 5 \
    http://mta-sts.b.test/.well-known/acme-challenge/token-a)"

# served_id DOMAIN: the id of what the policy host serves now, as
# README says to compute it (the host's own certificate verified).
served_id() {
	in_ns curl -s --max-time 5 --cacert "$SCRATCH/ca-pub/ca.crt" \
	    "https://mta-sts.$1/.well-known/mta-sts.txt" | sha256sum | cut -c1-32
}
# config_id DOMAIN: the id the config in $confd derives.
config_id() {
	"$BIN" -c "$confd" -d "$1" 2>/dev/null |
	    sed -n "s/^_mta-sts\.$1\. IN TXT \"v=STSv1; id=\([0-9a-f]*\)\"$/\1/p"
}

# records: what -d prints for the config now, to $SCRATCH/want.
records() {
	"$BIN" -c "$confd" -d >"$SCRATCH/want" 2>/dev/null
}
# check_dns NAME: dig shows exactly the records of $SCRATCH/want, once
# each, with TTL 300.
check_dns() {
	published "$SCRATCH/want" in_ns dig @127.0.0.1
	check_file "$1: dig shows exactly the records -d prints" \
	    "$SCRATCH/want" "$SCRATCH/got"
	check_eq "$1: each with TTL 300" "$(wc -l <"$SCRATCH/want") 300" \
	    "$(wc -l <"$SCRATCH/ttls") $(sort -u "$SCRATCH/ttls" | tr '\n' ' ' | sed 's/ $//')"
}

# publish NAME WANT_STATUS ARGS...: runs the script in the namespace with
# ARGS, comparing its exit status, and keeping its output in
# $SCRATCH/out and $SCRATCH/err; its temporary directory must be gone.
publish() {
	local name=$1 want=$2 rc
	shift 2
	in_ns env PATH="$SCRATCH/bin:$PATH" TMPDIR="$SCRATCH/tmp" sh "$SCRIPT" \
	    -c "$confd" -a "$SCRATCH/ca-pub/ca.crt" "$@" \
	    >"$SCRATCH/out" 2>"$SCRATCH/err"
	rc=$?
	check_eq "$name: exit status" "$want" "$rc"
	check_eq "$name: its temporary files are removed" "" \
	    "$(ls -A "$SCRATCH/tmp")"
}

# The starting point: the testing policy's records, published by hand.
records
{ echo "server 127.0.0.1"; "$BIN" -c "$confd" -U 2>/dev/null; } >"$SCRATCH/first"
in_ns nsupdate -k "$SCRATCH/nsupdate.key" <"$SCRATCH/first"
check_eq "the first records, sent with nsupdate" 0 $?
check_dns "the first records"

ok_lines() {
	printf 'mta-sts-publish: check: configuration OK, %s\n' "$1"
	printf 'mta-sts-publish: reload: kill -HUP %s\n' "$FCGI"
	printf 'mta-sts-publish: serve: every policy host serves this config\n'
	printf 'mta-sts-publish: publish: sent with %s\n' "$2"
	printf 'mta-sts-publish: confirm: DNS shows the new ids\n'
}

# --- the happy path: testing -> enforce, with nsupdate ---
config enforce 86400
records
publish "testing -> enforce, nsupdate" 0 -k "$SCRATCH/nsupdate.key" \
    -s 127.0.0.1 -r "kill -HUP $FCGI" -t 10 -T 10
ok_lines "2 domains" nsupdate >"$SCRATCH/want-out"
check_file "testing -> enforce, nsupdate: every step said, in order" \
    "$SCRATCH/want-out" "$SCRATCH/out"
check_file "testing -> enforce, nsupdate: nothing on stderr" /dev/null \
    "$SCRATCH/err"
check_eq "testing -> enforce: the policy hosts serve the new policy" \
    "$(config_id a.test) $(config_id b.test)" \
    "$(served_id a.test) $(served_id b.test)"
check_dns "testing -> enforce, nsupdate"
cp "$SCRATCH/want" "$SCRATCH/live"
live_a=$(config_id a.test)

# --- the safe order: a reload that does nothing; the id stays ---
config enforce 172800
t0=$(date +%s%N)
publish "a reload that does nothing" 3 -k "$SCRATCH/nsupdate.key" \
    -s 127.0.0.1 -r true -t 3 -T 10
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
U=/.well-known/mta-sts.txt
{
	printf 'mta-sts-publish: check: configuration OK, 2 domains\n'
	printf 'mta-sts-publish: reload: true\n'
} >"$SCRATCH/want-out"
for d in a.test b.test; do
	echo "$d: policy-fetch: critical: https://mta-sts.$d$U from 127.0.0.1: the policy served is not this config's (max_age: served 86400, this config 172800): serve this config there, then publish its id $(config_id $d)"
done >"$SCRATCH/want-err"
echo "mta-sts-publish: step 3 (serve) failed: after 3 s the policy hosts still do not serve this config (mta-sts-check -p); the ids were not published" \
    >>"$SCRATCH/want-err"
check_file "a reload that does nothing: steps 1 and 2 said" \
    "$SCRATCH/want-out" "$SCRATCH/out"
check_file "a reload that does nothing: why step 3 failed" \
    "$SCRATCH/want-err" "$SCRATCH/err"
check_eq "a reload that does nothing: gives up after its 3 s (${ms} ms)" 1 \
    "$([ "$ms" -ge 3000 ] && [ "$ms" -lt $((3000 + 5000 * SCALE)) ] && echo 1 || echo 0)"
check_eq "a reload that does nothing: the host still serves the old policy" \
    "$live_a" "$(served_id a.test)"
cp "$SCRATCH/live" "$SCRATCH/want"
check_dns "a reload that does nothing: DNS unchanged"

# --- a signal while waiting at step 3: it stops there, says so, and
# leaves no file and no record behind (started without in_ns, a
# function, so that $! is the script itself); the signals that would
# end a shell script, not only TERM (INT and QUIT cannot be tested so:
# a background command starts with them ignored, and a shell cannot
# trap a signal ignored on entry) ---
reached3() { grep -q '^mta-sts-publish: reload: ' "$SCRATCH/out"; }
for sig in TERM:143 HUP:129 USR1:138 USR2:140 PIPE:141 ALRM:142; do
	ip netns exec "$NS" env PATH="$SCRATCH/bin:$PATH" TMPDIR="$SCRATCH/tmp" \
	    sh "$SCRIPT" -c "$confd" -a "$SCRATCH/ca-pub/ca.crt" \
	    -k "$SCRATCH/nsupdate.key" -s 127.0.0.1 -r true -t 60 -T 10 \
	    >"$SCRATCH/out" 2>"$SCRATCH/err" &
	pub=$!
	PIDS="$PIDS $pub"
	within 100 reached3
	check_eq "SIG${sig%:*} at step 3: the wait has begun" 0 $?
	sleep 1
	kill -"${sig%:*}" "$pub"
	wait_gone "$pub" 50
	check_eq "SIG${sig%:*} at step 3: it stops within 5 s" 0 $?
	wait "$pub"
	check_eq "SIG${sig%:*} at step 3: exit status ${sig#*:}" "${sig#*:}" $?
	check_eq "SIG${sig%:*} at step 3: says where it stopped" \
	    "mta-sts-publish: step 3 (serve) stopped by SIG${sig%:*}" \
	    "$(cat "$SCRATCH/err")"
	check_eq "SIG${sig%:*} at step 3: its temporary files are removed" "" \
	    "$(ls -A "$SCRATCH/tmp")"
done
check_dns "signals at step 3: DNS unchanged"

# --- an invalid config: nothing reloaded, nothing published ---
printf '[domain x.test]\nmode = enforcing\n' >"$confd/customer-x.ini"
publish "an invalid config" 1 -k "$SCRATCH/nsupdate.key" -s 127.0.0.1 \
    -r "touch $SCRATCH/reloaded; kill -HUP $FCGI" -t 3 -T 3
"$BIN" -t -c "$confd" >"$SCRATCH/want-err" 2>&1
echo "mta-sts-publish: step 1 (check) failed: the config has errors; nothing was reloaded or published" \
    >>"$SCRATCH/want-err"
check_file "an invalid config: nothing on stdout" /dev/null "$SCRATCH/out"
check_file "an invalid config: -t's diagnostics, then why step 1 failed" \
    "$SCRATCH/want-err" "$SCRATCH/err"
check_eq "an invalid config: the reload command did not run" no \
    "$([ -e "$SCRATCH/reloaded" ] && echo yes || echo no)"
check_eq "an invalid config: the host still serves the old policy" \
    "$live_a" "$(served_id a.test)"
check_dns "an invalid config: DNS unchanged"
rm "$confd/customer-x.ini"

# --- a wrong TSIG key: served, but the update is refused ---
publish "a wrong key" 4 -k "$SCRATCH/wrong-nsupdate.key" -s 127.0.0.1 \
    -r "kill -HUP $FCGI" -t 10 -T 3
ok_lines "2 domains" nsupdate | head -3 >"$SCRATCH/want-out"
check_file "a wrong key: steps 1 to 3 said" "$SCRATCH/want-out" \
    "$SCRATCH/out"
check_eq "a wrong key: nsupdate's BADSIG, then why step 4 failed" \
    "1 mta-sts-publish: step 4 (publish) failed: nsupdate exited with status 2; other domains' update messages may have been accepted (safe: every policy is served): run again once the cause is fixed" \
    "$(grep -c -m1 BADSIG "$SCRATCH/err") $(tail -1 "$SCRATCH/err")"
check_eq "a wrong key: the host serves the new policy" \
    "$(config_id a.test)" "$(served_id a.test)"
check_dns "a wrong key: DNS unchanged"

# --- knsupdate, with the right key: the same change goes live ---
records
publish "max_age 172800, knsupdate" 0 -k "$SCRATCH/knsupdate.key" \
    -u knsupdate -s 127.0.0.1 -r "kill -HUP $FCGI" -t 10 -T 10
ok_lines "2 domains" knsupdate >"$SCRATCH/want-out"
check_file "max_age 172800, knsupdate: every step said, in order" \
    "$SCRATCH/want-out" "$SCRATCH/out"
check_file "max_age 172800, knsupdate: nothing on stderr" /dev/null \
    "$SCRATCH/err"
check_dns "max_age 172800, knsupdate"
cp "$SCRATCH/want" "$SCRATCH/live"

# --- an update the server ignores: step 5 times out ---
publish "a CNAME at _mta-sts.c.test" 5 -k "$SCRATCH/nsupdate.key" \
    -s 127.0.0.1 -r "kill -HUP $FCGI" -t 10 -T 3 c.test
ok_lines "1 domain" nsupdate | head -4 >"$SCRATCH/want-out"
rec_c=$("$BIN" -c "$confd" -d c.test 2>/dev/null | grep '^_mta-sts\.c\.test\. ')
{
	echo "c.test: sts-id: critical: _mta-sts.c.test has id 20240101, but this config's policy has id $(config_id c.test): senders keep the policy they cached; once the policy host serves this config, publish: $rec_c"
	echo "mta-sts-publish: step 5 (confirm) failed: after 3 s DNS does not show every new id (a resolver may cache an old record for its TTL; mta-sts-check tells when it does)"
} >"$SCRATCH/want-err"
check_file "a CNAME at _mta-sts.c.test: steps 1 to 4 said" \
    "$SCRATCH/want-out" "$SCRATCH/out"
check_file "a CNAME at _mta-sts.c.test: why step 5 failed" \
    "$SCRATCH/want-err" "$SCRATCH/err"
check_dns "a CNAME at _mta-sts.c.test: the sections' records as they were"

# --- one customer's change: the domains named are published, and only
# they (customers who run their own DNS are simply not named) ---
printf '[domain b.test]\nmx = mx.b.test\nmode = testing\n' \
    >"$confd/customer-b.ini"
publish "a.test named: a.test only" 0 \
    -k "$SCRATCH/nsupdate.key" -s 127.0.0.1 -r "kill -HUP $FCGI" -t 10 -T 10 \
    a.test
ok_lines "1 domain" nsupdate >"$SCRATCH/want-out"
check_file "a.test named: every step said, in order" \
    "$SCRATCH/want-out" "$SCRATCH/out"
check_eq "a.test named: the reload read the whole directory" \
    "$(config_id b.test)" "$(served_id b.test)"
{
	"$BIN" -c "$confd" -d a.test 2>/dev/null
	grep '\.b\.test\. ' "$SCRATCH/live"
} >"$SCRATCH/want"
check_dns "a.test named: a.test's records, b.test's untouched"

# --- an update client that is not there: found before the reload ---
publish "a missing update client" 1 -k "$SCRATCH/nsupdate.key" \
    -u "$SCRATCH/none/knsupdate" -r "touch $SCRATCH/reloaded" -t 3 -T 3
check_file "a missing update client: nothing on stdout" /dev/null \
    "$SCRATCH/out"
check_eq "a missing update client: says so" \
    "mta-sts-publish: step 1 (check) failed: $SCRATCH/none/knsupdate: not found (PATH=$SCRATCH/bin:$PATH:/usr/local/sbin:/usr/local/bin:/usr/sbin:/sbin); nothing was reloaded or published" \
    "$(cat "$SCRATCH/err")"
check_eq "a missing update client: the reload command did not run" no \
    "$([ -e "$SCRATCH/reloaded" ] && echo yes || echo no)"

# --- a named domain that is not one: -d refuses it, before the reload ---
rm -f "$SCRATCH/reloaded"
publish "a named domain that is not one" 1 -k "$SCRATCH/nsupdate.key" \
    -r "touch $SCRATCH/reloaded" -t 3 -T 3 bad_name.test
{
	# -t's warnings, then -d's (the same) and its reason.
	"$BIN" -t -c "$confd" 2>&1 | grep -v ': configuration OK$'
	{ "$BIN" -c "$confd" -d bad_name.test >/dev/null; } 2>&1
	echo "mta-sts-publish: step 1 (check) failed: mta-sts-fcgi -d: no records to publish; nothing was reloaded or published"
} >"$SCRATCH/want-err"
check_eq "a named domain that is not one: -d says why" \
    'mta-sts-fcgi: bad_name.test: "_" is not allowed in a host name (letters, digits, "-" and ".")' \
    "$(grep bad_name "$SCRATCH/err")"
check_file "a named domain that is not one: -d's output, then step 1's" \
    "$SCRATCH/want-err" "$SCRATCH/err"
check_eq "a named domain that is not one: the reload command did not run" \
    no "$([ -e "$SCRATCH/reloaded" ] && echo yes || echo no)"

# --- usage ---
publish "no -k" 64 -r true
check_eq "no -k: says so" "mta-sts-publish: -k keyfile is required" \
    "$(head -1 "$SCRATCH/err")"
publish "-u dig" 64 -k "$SCRATCH/nsupdate.key" -u dig
check_eq "-u dig: says so" "mta-sts-publish: -u dig: want nsupdate or knsupdate" \
    "$(head -1 "$SCRATCH/err")"

stop "$FCGI"
check_eq "the responder stops on SIGTERM" 0 $?
