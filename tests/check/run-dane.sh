#!/bin/bash
# SPDX-License-Identifier: ISC
# mta-sts-check's mx-dane check against real DNSSEC, in a network
# namespace of its own: knot on 127.0.0.53 signing sig.test and
# bogus.test itself and serving plain.test unsigned; a validating
# unbound on 127.0.0.1, the namespace's resolver (resolv.conf with
# "options trust-ad"), trusting knot's keys; bogus.test reached through a
# forwarder that alters one TLSA record after signing; nginx with TLS in
# front of our responder on 443 and aiosmtpd with STARTTLS on 25, one
# per MX host.  Every policy domain is right but for its MX host's DANE,
# and each is checked on its own, asserting the exact lines and exit
# status.
WORLD=dane
. tests/lib/suite.sh
. tests/lib/world.sh
. tests/lib/knot.sh

CHECK=${CHECK:-$TOP/${O:-build}/mta-sts-check}
trap 'cleanup; world_destroy' EXIT

for c in ip knotd dig unbound nginx openssl; do
	command -v $c >/dev/null || { notok "$c is not installed"; exit 1; }
done
"$PY" -c 'import aiosmtpd' 2>/dev/null ||
    { notok "python3-aiosmtpd is not installed"; exit 1; }
need "$BIN" "$CHECK"

# The policy domains, each with one MX host, mx.DOMAIN, at its address:
#   nodane    no TLSA record at all
#   match     3 1 1 of the certificate in use
#   changed   3 1 1 of the certificate before a renewal with a new key
#   ta        2 0 1 of the test CA, which the MX sends after its leaf
#   roll      3 1 1 of the certificate in use, and of the old one
#   selfca    3 1 1 of a certificate from a CA no sender trusts
#   tlsa.plain  3 1 1 of the certificate in use, in an unsigned zone
#   tlsa.bogus  3 1 1 of the certificate in use, its signature broken
declare -A addr=([nodane.sig.test]=127.0.0.2 [match.sig.test]=127.0.0.3
    [changed.sig.test]=127.0.0.4 [ta.sig.test]=127.0.0.5
    [roll.sig.test]=127.0.0.6 [selfca.sig.test]=127.0.0.7
    [tlsa.plain.test]=127.0.0.8 [tlsa.bogus.test]=127.0.0.9)
domains="nodane.sig.test match.sig.test changed.sig.test ta.sig.test
roll.sig.test selfca.sig.test tlsa.plain.test tlsa.bogus.test"

conf=$SCRATCH/check.ini
{
	printf '[policy]\nmode = enforce\nmx = mx.ok.test\nmax_age = 86400\n'
	printf 'tlsrpt = mailto:tlsrpt@ok.test\n'
	for d in $domains; do printf '\n[domain %s]\nmx = mx.%s\n' "$d" "$d"; done
} >"$conf"
# shellcheck disable=SC2086
"$BIN" -d -c "$conf" $domains >"$SCRATCH/records" 2>"$SCRATCH/records.err" ||
    { notok "mta-sts-fcgi -d failed"; sed 's/^/#   /' "$SCRATCH/records.err"; exit 1; }

# --- certificates ---
ca_new good
ca_new other
web_names=
for d in $domains; do web_names="$web_names mta-sts.$d"; done
cert web good "$web_names"
for d in $domains; do
	n=${d%%.*}
	[ "$n" = tlsa ] && n=${d#tlsa.} && n=${n%%.*}
	case $n in selfca) ca=other ;; *) ca=good ;; esac
	cert "mx-$n" "$ca" "mx.$d"
done
# The certificate changed's TLSA record was made for, before a renewal
# with a new key; roll's old one.
cert mx-changed-old good "mx.changed.sig.test"
cert mx-roll-old good "mx.roll.sig.test"
# ta's MX sends the CA's certificate after its own (RFC 7672 §3.1.2).
cat "$SCRATCH/mx-ta.crt" "$SCRATCH/ca-good/ca.crt" >"$SCRATCH/mx-ta-chain.crt"
cp "$SCRATCH/mx-ta.key" "$SCRATCH/mx-ta-chain.key"

# spki256 CERT: the SHA-256 of CERT's SubjectPublicKeyInfo, in hex.
spki256() {
	openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER |
	    openssl dgst -sha256 -r | cut -d' ' -f1
}
# cert256 CERT: the SHA-256 of the whole certificate (DER), in hex.
cert256() {
	openssl x509 -in "$1" -outform DER | openssl dgst -sha256 -r |
	    cut -d' ' -f1
}
match_spki=$(spki256 "$SCRATCH/mx-match.crt")
changed_spki=$(spki256 "$SCRATCH/mx-changed.crt")
changed_old_spki=$(spki256 "$SCRATCH/mx-changed-old.crt")
roll_spki=$(spki256 "$SCRATCH/mx-roll.crt")
roll_old_spki=$(spki256 "$SCRATCH/mx-roll-old.crt")
bogus_spki=$(spki256 "$SCRATCH/mx-bogus.crt")

# --- DNS: knot signs sig.test and bogus.test, not plain.test ---
kd=$SCRATCH/knot
knot_signed_conf "$kd" 127.0.0.53@53 "sig.test bogus.test" "plain.test"
for d in $domains; do
	z=${d#*.}
	{
		grep -F "$d. IN TXT" "$SCRATCH/records"
		echo "mta-sts.$d. A 127.0.0.1"
		echo "$d. MX 10 mx.$d."
		echo "mx.$d. A ${addr[$d]}"
	} >>"$kd/$z.zone"
done
tlsa() { echo "_25._tcp.mx.$1. TLSA $2" >>"$kd/${1#*.}.zone"; }
tlsa match.sig.test "3 1 1 $match_spki"
tlsa changed.sig.test "3 1 1 $changed_old_spki"
tlsa ta.sig.test "2 0 1 $(cert256 "$SCRATCH/ca-good/ca.crt")"
tlsa roll.sig.test "3 1 1 $roll_spki"
tlsa roll.sig.test "3 1 1 $roll_old_spki"
tlsa selfca.sig.test "3 1 1 $(spki256 "$SCRATCH/mx-selfca.crt")"
tlsa tlsa.plain.test "3 1 1 $(spki256 "$SCRATCH/mx-plain.crt")"
tlsa tlsa.bogus.test "3 1 1 $bogus_spki"

world_create || { notok "could not create network namespace $NS"; exit 1; }
printf 'options trust-ad\n' >>"$NETNS_DIR/resolv.conf"
cp "$NETNS_DIR/resolv.conf" "$SCRATCH/resolv.trust-ad"
start knot ip netns exec "$NS" knotd -c "$kd/knot.conf"
DIG=(in_ns dig @127.0.0.53)
# signed ZONE: true once knot serves ZONE's key-signing key.
signed() { [ -n "$(knot_ksk "$1" "${DIG[@]}")" ]; }
for z in sig.test bogus.test; do
	within 100 signed $z ||
	    { notok "knot did not sign $z"; sed 's/^/#   /' "$SCRATCH/knot.err"; exit 1; }
done
for z in sig.test bogus.test; do knot_ksk $z "${DIG[@]}"; done >"$SCRATCH/anchors"
within 100 knot_serves plain.test "${DIG[@]}" ||
    { notok "knot does not serve plain.test"; exit 1; }
check_eq "knot signs sig.test: the TLSA record has its RRSIG" "TLSA" \
    "$("${DIG[@]}" +dnssec +short TLSA _25._tcp.mx.match.sig.test | awk '$1 == "TLSA" { print $1 }')"
world_dns_tamper 127.0.0.54 127.0.0.53 "$bogus_spki"
world_unbound 127.0.0.1 "$SCRATCH/anchors" sig.test@127.0.0.53 \
    bogus.test@127.0.0.54 plain.test@127.0.0.53 ||
    { notok "unbound did not start"; sed 's/^/#   /' "$SCRATCH/unbound.err"; exit 1; }
# The resolver validates: AD for the signed zone, none for the unsigned
# one, SERVFAIL for the altered record.
check_eq "unbound: the signed TLSA record is authenticated (AD)" "ad" \
    "$(in_ns dig @127.0.0.1 +dnssec TLSA _25._tcp.mx.match.sig.test | grep -o ' ad[ ;]' | tr -d ' ;')"
check_eq "unbound: the unsigned one is not" "" \
    "$(in_ns dig @127.0.0.1 +dnssec TLSA _25._tcp.mx.tlsa.plain.test | grep -o ' ad[ ;]')"
check_eq "unbound: the altered one fails validation (SERVFAIL)" "SERVFAIL" \
    "$(in_ns dig @127.0.0.1 +dnssec TLSA _25._tcp.mx.tlsa.bogus.test | grep -o SERVFAIL | head -1)"

world_responder "$conf" || { notok "the responder did not start"; sed 's/^/#   /' "$SCRATCH/fcgi.err"; exit 1; }
world_fcgi_server web 'listen 127.0.0.1:443 ssl default_server;' \
    >"$SCRATCH/servers"
world_nginx "$SCRATCH/servers" || { notok "nginx did not start"; sed 's/^/#   /' "$SCRATCH/nginx.err" "$SCRATCH/nginx/error.log"; exit 1; }
for d in $domains; do
	n=${d%%.*}
	[ "$n" = tlsa ] && n=${d#tlsa.} && n=${n%%.*}
	[ "$n" = ta ] && n=ta-chain
	world_smtp "$n" "${addr[$d]}" "mx-$n" ||
	    { notok "aiosmtpd did not start for $d"; exit 1; }
done

# check_case NAME WANT_STATUS ARGS... <<EXPECTED: the checker in the
# world, its whole stdout and its exit status.
check_case() {
	local name=$1 want=$2 rc
	shift 2
	cat >"$SCRATCH/want"
	in_ns "$CHECK" -c "$conf" -a "$SCRATCH/ca-good/ca.crt" "$@" \
	    >"$SCRATCH/got" 2>"$SCRATCH/got.err"
	rc=$?
	check_eq "$name: exit status" "$want" "$rc"
	check_file "$name: output" "$SCRATCH/want" "$SCRATCH/got"
	if [ -s "$SCRATCH/got.err" ]; then
		sed 's/^/#   stderr: /' "$SCRATCH/got.err"
	fi
}

OK1="MTA-STS OK - 1 domain checked: 0 critical, 0 warning, 1 OK"
check_case "no TLSA record: nothing to say" 0 nodane.sig.test <<EOW
$OK1
EOW
check_case "3 1 1 of the certificate in use: nothing to say" 0 match.sig.test <<EOW
$OK1
EOW
check_case "2 0 1 of the test CA, sent in the chain: nothing to say" 0 ta.sig.test <<EOW
$OK1
EOW
check_case "a certificate renewed with a new key, its TLSA record not" 2 \
    changed.sig.test <<EOW
MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK
changed.sig.test: mx-dane: critical: MX host mx.changed.sig.test at 127.0.0.4 port 25: the certificate chain presented matches none of the 1 usable TLSA record at _25._tcp.mx.changed.sig.test, so DANE senders (Postfix, Exim) will not deliver there (RFC 7672 §3); publish: _25._tcp.mx.changed.sig.test. IN TLSA 3 1 1 $changed_spki
EOW
check_case "-n: no connection to port 25, so no mx-dane either" 0 -n \
    changed.sig.test <<EOW
$OK1
EOW
check_case "the old key's record left beside the new one's" 1 roll.sig.test <<EOW
MTA-STS WARNING - 1 domain checked: 0 critical, 1 warning, 0 OK
roll.sig.test: mx-dane: warning: TLSA record _25._tcp.mx.roll.sig.test 3 1 1 $roll_old_spki matches no certificate mx.roll.sig.test presents, while another record does: a key rollover half done (a retired key's record left behind, or the next key's published before it is in use); DANE senders deliver, but remove it once it names no key in use or to come (RFC 7672 §4)
EOW
# DANE senders deliver here; MTA-STS senders, who want a trusted CA,
# do not: mx-tls alone says so.
check_case "DANE-EE with a certificate no CA vouches for: mx-tls only" 2 \
    selfca.sig.test <<EOW
MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK
selfca.sig.test: mx-tls: critical: MX host mx.selfca.sig.test at 127.0.0.7 port 25: certificate: unable to get local issuer certificate (RFC 8461 §4.2 wants TLS 1.2 or later and a certificate valid for mx.selfca.sig.test)
EOW
check_case "a TLSA record in an unsigned zone" 1 tlsa.plain.test <<EOW
MTA-STS WARNING - 1 domain checked: 0 critical, 1 warning, 0 OK
tlsa.plain.test: mx-dane: warning: _25._tcp.mx.tlsa.plain.test has 1 TLSA record, but the answer is not authenticated by DNSSEC (no AD bit: an unsigned zone, or a resolver that does not validate), so DANE senders ignore it and use MTA-STS for mx.tlsa.plain.test (RFC 7672 §2.2)
EOW
check_case "a TLSA record whose signature does not verify: unknown, not OK" 3 \
    tlsa.bogus.test <<EOW
MTA-STS UNKNOWN - 1 domain checked: 0 critical, 0 warning, 0 OK, 1 not checked
tlsa.bogus.test: mx-dane: unknown: _25._tcp.mx.tlsa.bogus.test TLSA: the DNS server answered SERVFAIL (with a signed zone, a DNSSEC validation failure), so it could not be checked, and DANE senders defer mail to mx.tlsa.bogus.test (RFC 7672 §2.1)
EOW

# glibc's rule: without "options trust-ad" the AD bit is not believed.
grep -v trust-ad "$SCRATCH/resolv.trust-ad" >"$NETNS_DIR/resolv.conf"
check_case "no options trust-ad: the resolver's AD bit is not believed" 1 \
    match.sig.test <<EOW
MTA-STS WARNING - 1 domain checked: 0 critical, 1 warning, 0 OK
match.sig.test: mx-dane: warning: _25._tcp.mx.match.sig.test has 1 TLSA record and the resolver says it is authenticated (AD), but /etc/resolv.conf has no "options trust-ad", so that is not believed, as glibc does not, and it was not checked against mx.match.sig.test's certificate: add the option if that resolver validates and the path to it is trusted (loopback)
EOW
cp "$SCRATCH/resolv.trust-ad" "$NETNS_DIR/resolv.conf"

# All at once: each domain's lines, in order.
# shellcheck disable=SC2086
in_ns "$CHECK" -c "$conf" -a "$SCRATCH/ca-good/ca.crt" $domains \
    >"$SCRATCH/all" 2>&1
check_eq "every domain at once: exit status and summary" \
    "3 MTA-STS UNKNOWN - 8 domains checked: 2 critical, 2 warning, 3 OK, 1 not checked" \
    "$? $(head -1 "$SCRATCH/all")"
check_eq "every domain at once: one mx-dane or mx-tls line per broken domain" \
    "changed.sig.test roll.sig.test selfca.sig.test tlsa.plain.test tlsa.bogus.test" \
    "$(sed 1d "$SCRATCH/all" | cut -d: -f1 | tr '\n' ' ' | sed 's/ $//')"
