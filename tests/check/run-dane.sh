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
# and those whose TLS DANE senders refuse (RFC 7672 §2.2, §3.1.2, §3.2.2)
# or whose policy is mode none (only mx-dane is checked there):
#   nostarttls  (mode testing) 3 1 1, and the MX offers no STARTTLS
#   tlsfail     3 1 1, and the MX speaks only TLS 1.1
#   wrongca     2 0 1 of a CA the MX sends that did not issue its leaf
#   taname      2 0 1 of the test CA, its leaf for another name
#   taexpired   2 0 1 of the test CA, its leaf expired
#   eeexpired   3 1 1 of an expired leaf (DANE-EE ignores expiry)
#   none        (mode none, MX not covered) 3 1 1 of an old key, a
#               certificate no CA vouches for
#   nonematch   (mode none, MX not covered) 3 1 1 of that certificate
#   nonetls     (mode none) 3 1 1, and the MX offers no STARTTLS
#   nonedead    (mode none) 3 1 1, and nothing listens on port 25
#   nonenodane  (mode none) no TLSA record, and nothing on port 25
#   nonebogus.bogus  (mode none) its MX record's signature broken
declare -A addr=([nodane.sig.test]=127.0.0.2 [match.sig.test]=127.0.0.3
    [changed.sig.test]=127.0.0.4 [ta.sig.test]=127.0.0.5
    [roll.sig.test]=127.0.0.6 [selfca.sig.test]=127.0.0.7
    [tlsa.plain.test]=127.0.0.8 [tlsa.bogus.test]=127.0.0.9
    [nostarttls.sig.test]=127.0.0.10 [tlsfail.sig.test]=127.0.0.11
    [wrongca.sig.test]=127.0.0.12 [taname.sig.test]=127.0.0.13
    [taexpired.sig.test]=127.0.0.14 [eeexpired.sig.test]=127.0.0.15
    [none.sig.test]=127.0.0.16 [nonematch.sig.test]=127.0.0.17
    [nonetls.sig.test]=127.0.0.18 [nonedead.sig.test]=127.0.0.19
    [nonebogus.bogus.test]=127.0.0.20 [nonenodane.sig.test]=127.0.0.21)
domains="nodane.sig.test match.sig.test changed.sig.test ta.sig.test
roll.sig.test selfca.sig.test tlsa.plain.test tlsa.bogus.test"
more="nostarttls.sig.test tlsfail.sig.test wrongca.sig.test taname.sig.test
taexpired.sig.test eeexpired.sig.test none.sig.test nonematch.sig.test
nonetls.sig.test nonedead.sig.test nonebogus.bogus.test nonenodane.sig.test"
# The policy's mode and mx pattern where not enforce and the MX host.
declare -A mode=([nostarttls.sig.test]=testing [none.sig.test]=none
    [nonematch.sig.test]=none [nonetls.sig.test]=none
    [nonedead.sig.test]=none [nonebogus.bogus.test]=none
    [nonenodane.sig.test]=none)
declare -A pattern=([none.sig.test]=mx.ok.test [nonematch.sig.test]=mx.ok.test)

conf=$SCRATCH/check.ini
{
	printf '[policy]\nmode = enforce\nmx = mx.ok.test\nmax_age = 86400\n'
	printf 'tlsrpt = mailto:tlsrpt@ok.test\n'
	for d in $domains $more; do
		printf '\n[domain %s]\nmx = %s\n' "$d" "${pattern[$d]:-mx.$d}"
		[ -z "${mode[$d]:-}" ] || printf 'mode = %s\n' "${mode[$d]}"
	done
} >"$conf"
# shellcheck disable=SC2086
"$BIN" -d -c "$conf" $domains $more >"$SCRATCH/records" 2>"$SCRATCH/records.err" ||
    { notok "mta-sts-fcgi -d failed"; sed 's/^/#   /' "$SCRATCH/records.err"; exit 1; }

# --- certificates ---
ca_new good
ca_new other
web_names=
for d in $domains $more; do web_names="$web_names mta-sts.$d"; done
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
# chained NAME CA: $SCRATCH/NAME-chain.crt, NAME's certificate then the
# certificate of the CA CA, and its key.
chained() {
	cat "$SCRATCH/$1.crt" "$SCRATCH/ca-$2/ca.crt" >"$SCRATCH/$1-chain.crt"
	cp "$SCRATCH/$1.key" "$SCRATCH/$1-chain.key"
}
for n in nostarttls tlsfail nonetls nonedead; do
	cert "mx-$n" good "mx.$n.sig.test"
done
# wrongca's leaf is the test CA's, and the other CA's certificate is sent.
cert mx-wrongca good "mx.wrongca.sig.test" && chained mx-wrongca other
cert mx-taname good "mail.elsewhere.test" && chained mx-taname good
cert mx-taexpired good "mx.taexpired.sig.test" 240101000000Z 240201000000Z &&
    chained mx-taexpired good
cert mx-eeexpired good "mx.eeexpired.sig.test" 240101000000Z 240201000000Z
cert mx-none other "mx.none.sig.test"
cert mx-none-old other "mx.none.sig.test"
cert mx-nonematch other "mx.nonematch.sig.test"

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
wrongca_spki=$(spki256 "$SCRATCH/mx-wrongca.crt")
other_ca256=$(cert256 "$SCRATCH/ca-other/ca.crt")
good_ca256=$(cert256 "$SCRATCH/ca-good/ca.crt")
none_spki=$(spki256 "$SCRATCH/mx-none.crt")
taname_spki=$(spki256 "$SCRATCH/mx-taname.crt")
taexpired_spki=$(spki256 "$SCRATCH/mx-taexpired.crt")

# --- DNS: knot signs sig.test and bogus.test, not plain.test ---
kd=$SCRATCH/knot
knot_signed_conf "$kd" 127.0.0.53@53 "sig.test bogus.test" "plain.test"
for d in $domains $more; do
	z=${d#*.}
	{
		grep -F "$d. IN TXT" "$SCRATCH/records"
		echo "mta-sts.$d. A 127.0.0.1"
		# Preference 7 marks the one MX record the forwarder alters.
		if [ "$d" = nonebogus.bogus.test ]; then
			echo "$d. MX 7 mx.$d."
		else
			echo "$d. MX 10 mx.$d."
		fi
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
for n in nostarttls tlsfail nonetls nonedead; do
	tlsa $n.sig.test "3 1 1 $(spki256 "$SCRATCH/mx-$n.crt")"
done
tlsa wrongca.sig.test "2 0 1 $other_ca256"
tlsa taname.sig.test "2 0 1 $good_ca256"
tlsa taexpired.sig.test "2 0 1 $good_ca256"
tlsa eeexpired.sig.test "3 1 1 $(spki256 "$SCRATCH/mx-eeexpired.crt")"
tlsa none.sig.test "3 1 1 $(spki256 "$SCRATCH/mx-none-old.crt")"
tlsa nonematch.sig.test "3 1 1 $(spki256 "$SCRATCH/mx-nonematch.crt")"
tlsa nonebogus.bogus.test "3 1 1 $(spki256 "$SCRATCH/mx-nonematch.crt")"

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
# Its MX record too: preference 7, then the label "mx" (RFC 1035 §3.3.9).
world_dns_tamper 127.0.0.54 127.0.0.53 "$bogus_spki" 0007026d78
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
check_eq "unbound: the altered MX record fails validation (SERVFAIL)" "SERVFAIL" \
    "$(in_ns dig @127.0.0.1 +dnssec MX nonebogus.bogus.test | grep -o SERVFAIL | head -1)"

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
# The MX hosts of $more, nonedead's and nonebogus's excepted: no server.
for n in wrongca-chain taname-chain taexpired-chain eeexpired none \
    nonematch; do
	d=${n%-chain}.sig.test
	world_smtp "$n" "${addr[$d]}" "mx-$n" ||
	    { notok "aiosmtpd did not start for $d"; exit 1; }
done
for n in nostarttls nonetls; do
	world_smtp "$n" "${addr[$n.sig.test]}" ||
	    { notok "aiosmtpd did not start for $n.sig.test"; exit 1; }
done
world_smtp_odd tls11 "${addr[tlsfail.sig.test]}" mx-tlsfail ||
    { notok "the TLS 1.1 SMTP server did not start"; exit 1; }

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
changed.sig.test: mx-dane: critical: MX host mx.changed.sig.test at 127.0.0.4 port 25: the certificate chain presented matches none of the 1 usable TLSA record at _25._tcp.mx.changed.sig.test, so DANE senders (Postfix, Exim) will not deliver there (RFC 7672 §3.2); publish: _25._tcp.mx.changed.sig.test. IN TLSA 3 1 1 $changed_spki
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
tlsa.bogus.test: mx-dane: unknown: _25._tcp.mx.tlsa.bogus.test TLSA: the DNS server answered SERVFAIL (with a signed zone, a DNSSEC validation failure), so it could not be checked, and DANE senders treat mx.tlsa.bogus.test as unreachable (RFC 7672 §2.1.2)
EOW

# glibc's rule: without "options trust-ad" the AD bit is not believed.
grep -v trust-ad "$SCRATCH/resolv.trust-ad" >"$NETNS_DIR/resolv.conf"
check_case "no options trust-ad: the resolver's AD bit is not believed" 1 \
    match.sig.test <<EOW
MTA-STS WARNING - 1 domain checked: 0 critical, 1 warning, 0 OK
match.sig.test: mx-dane: warning: _25._tcp.mx.match.sig.test has 1 TLSA record and the resolver says it is authenticated (AD), but /etc/resolv.conf has no "options trust-ad", so that is not believed, as glibc does not, and it was not checked against mx.match.sig.test's certificate: add the option if that resolver validates and the path to it is trusted (loopback)
EOW
cp "$SCRATCH/resolv.trust-ad" "$NETNS_DIR/resolv.conf"

# RFC 7672 §2.2: authenticated TLSA records make TLS mandatory, whatever
# the policy's mode; mx-tls says what MTA-STS senders do, mx-dane what
# DANE senders do.
mandatory() { # DOMAIN ADDRESS REASON: mx-dane's line for no TLS there
	echo "$1: mx-dane: critical: MX host mx.$1 at $2 port 25: $3, but _25._tcp.mx.$1 has 1 authenticated TLSA record, which makes TLS mandatory, so DANE senders (Postfix, Exim) will not deliver there (RFC 7672 §2.2): offer STARTTLS with a certificate it matches"
}
C1="MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK"
WANTS="RFC 8461 §4.2 wants TLS 1.2 or later and a certificate valid for"
check_case "TLSA records and no STARTTLS, mode testing: mx-dane critical" 2 \
    nostarttls.sig.test <<EOW
$C1
nostarttls.sig.test: mx-tls: warning: MX host mx.nostarttls.sig.test at 127.0.0.10 port 25: STARTTLS not offered, so senders report a failure (RFC 8461 §4.2)
$(mandatory nostarttls.sig.test 127.0.0.10 "STARTTLS not offered")
EOW
v11="TLS handshake failed: error:0A00042E:SSL routines::tlsv1 alert protocol version"
check_case "TLSA records and a TLS handshake that fails: mx-dane critical" 2 \
    tlsfail.sig.test <<EOW
$C1
tlsfail.sig.test: mx-tls: critical: MX host mx.tlsfail.sig.test at 127.0.0.11 port 25: $v11 ($WANTS mx.tlsfail.sig.test)
$(mandatory tlsfail.sig.test 127.0.0.11 "$v11")
EOW

# RFC 7672 §3.1.2, §3.2.2: a DANE-TA(2) record's CA must anchor the
# leaf's chain, the leaf carry the MX host's name, and (not being
# DANE-EE, §3.1.1) be within its dates.
ta_none() { # DOMAIN ADDRESS CA256 WHY LEAF_SPKI: mx-dane's line
	echo "$1: mx-dane: critical: MX host mx.$1 at $2 port 25: the certificate chain presented matches none of the 1 usable TLSA record at _25._tcp.mx.$1 (2 0 1 $3 names a CA certificate presented, but the MX host's certificate $4), so DANE senders (Postfix, Exim) will not deliver there (RFC 7672 §3.2); publish: _25._tcp.mx.$1. IN TLSA 3 1 1 $5"
}
check_case "2 0 1 of a CA sent that did not issue the leaf: critical" 2 \
    wrongca.sig.test <<EOW
$C1
$(ta_none wrongca.sig.test 127.0.0.12 "$other_ca256" "does not verify with that CA as the only trust anchor: unable to get local issuer certificate at depth 0 (RFC 7672 §3.1.2)" "$wrongca_spki")
EOW
check_case "2 0 1 of the issuing CA, the leaf for another name: critical" 2 \
    taname.sig.test <<EOW
$C1
taname.sig.test: mx-tls: critical: MX host mx.taname.sig.test at 127.0.0.13 port 25: certificate: hostname mismatch ($WANTS mx.taname.sig.test)
$(ta_none taname.sig.test 127.0.0.13 "$good_ca256" "is not valid for mx.taname.sig.test (RFC 7672 §3.2.2)" "$taname_spki")
EOW
check_case "2 0 1 of the issuing CA, the leaf expired: critical" 2 \
    taexpired.sig.test <<EOW
$C1
taexpired.sig.test: mx-tls: critical: MX host mx.taexpired.sig.test at 127.0.0.14 port 25: certificate: certificate has expired ($WANTS mx.taexpired.sig.test)
$(ta_none taexpired.sig.test 127.0.0.14 "$good_ca256" "does not verify with that CA as the only trust anchor: certificate has expired at depth 0 (RFC 7672 §3.1.2)" "$taexpired_spki")
EOW
check_case "3 1 1 of an expired leaf: DANE senders deliver, mx-tls only" 2 \
    eeexpired.sig.test <<EOW
$C1
eeexpired.sig.test: mx-tls: critical: MX host mx.eeexpired.sig.test at 127.0.0.15 port 25: certificate: certificate has expired ($WANTS mx.eeexpired.sig.test)
EOW

# Mode none: nothing of MTA-STS is checked at the MX hosts (this one is
# covered by no mx pattern, its certificate by no CA), but DANE senders
# use TLSA records whatever the policy.
check_case "mode none, a TLSA record of an old key: mx-dane only" 2 \
    none.sig.test <<EOW
$C1
none.sig.test: mx-dane: critical: MX host mx.none.sig.test at 127.0.0.16 port 25: the certificate chain presented matches none of the 1 usable TLSA record at _25._tcp.mx.none.sig.test, so DANE senders (Postfix, Exim) will not deliver there (RFC 7672 §3.2); publish: _25._tcp.mx.none.sig.test. IN TLSA 3 1 1 $none_spki
EOW
check_case "mode none, the TLSA record matching: nothing to say" 0 \
    nonematch.sig.test <<EOW
$OK1
EOW
check_case "mode none, TLSA records and no STARTTLS: mx-dane only" 2 \
    nonetls.sig.test <<EOW
$C1
$(mandatory nonetls.sig.test 127.0.0.18 "STARTTLS not offered")
EOW
check_case "-n: mode none, no connection, no mx-dane" 0 -n \
    nonetls.sig.test <<EOW
$OK1
EOW
check_case "mode none, nothing on port 25: the TLSA records not checked" 1 \
    nonedead.sig.test <<EOW
MTA-STS WARNING - 1 domain checked: 0 critical, 1 warning, 0 OK
nonedead.sig.test: mx-dane: warning: MX host mx.nonedead.sig.test at 127.0.0.19 port 25: connect: Connection refused, so the TLSA records at _25._tcp.mx.nonedead.sig.test were not checked there
EOW
# No TLSA record: no DANE, and in mode none nothing else to connect for.
check_case "mode none, no TLSA record: nothing to say, no connection" 0 \
    nonenodane.sig.test <<EOW
$OK1
EOW
check_case "mode none, an MX record whose signature does not verify: unknown" 3 \
    nonebogus.bogus.test <<EOW
MTA-STS UNKNOWN - 1 domain checked: 0 critical, 0 warning, 0 OK, 1 not checked
nonebogus.bogus.test: mx-dane: unknown: nonebogus.bogus.test MX: the DNS server answered SERVFAIL, so no MX host's TLSA records could be checked, and DANE senders defer mail (RFC 7672 §2.1.2)
EOW

# All at once: each domain's lines, in order.
# shellcheck disable=SC2086
in_ns "$CHECK" -c "$conf" -a "$SCRATCH/ca-good/ca.crt" $domains $more \
    >"$SCRATCH/all" 2>&1
check_eq "every domain at once: exit status and summary" \
    "3 MTA-STS UNKNOWN - 20 domains checked: 10 critical, 3 warning, 5 OK, 2 not checked" \
    "$? $(head -1 "$SCRATCH/all")"
check_eq "every domain at once: the broken domains' lines, in order" \
    "changed.sig.test roll.sig.test selfca.sig.test tlsa.plain.test tlsa.bogus.test nostarttls.sig.test tlsfail.sig.test wrongca.sig.test taname.sig.test taexpired.sig.test eeexpired.sig.test none.sig.test nonetls.sig.test nonedead.sig.test nonebogus.bogus.test" \
    "$(sed 1d "$SCRATCH/all" | cut -d: -f1 | uniq | tr '\n' ' ' | sed 's/ $//')"
