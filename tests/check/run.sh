#!/bin/bash
# SPDX-License-Identifier: ISC
# mta-sts-check against real servers in a network namespace: dnsmasq on
# 53, nginx with TLS on 443 in front of our responder, aiosmtpd on 25,
# certificates from throwaway CAs.  good.test is the all-good world;
# every other domain of the world is broken in exactly one way, and each
# is checked on its own, asserting the exact output lines and exit status.
. tests/lib/suite.sh
. tests/lib/world.sh

CHECK=${CHECK:-$TOP/${O:-build}/mta-sts-check}
# A second namespace, with no DNS server at all.
NS_NODNS=mta-sts-nodns-$$
nodns_destroy() {
	ip netns del "$NS_NODNS" 2>/dev/null
	rm -rf "/etc/netns/$NS_NODNS"
}
trap 'cleanup; world_destroy; nodns_destroy' EXIT

for c in ip dnsmasq nginx openssl; do
	command -v $c >/dev/null || { notok "$c is not installed"; exit 1; }
done
"$PY" -c 'import aiosmtpd' 2>/dev/null ||
    { notok "python3-aiosmtpd is not installed"; exit 1; }
[ -x "$CHECK" ] || { notok "$CHECK is not built"; exit 1; }

# --- the config: what the responder serves and the checker expects ---
conf=$SCRATCH/check.ini
cat >"$conf" <<'EOC'
[policy]
mode    = enforce
mx      = mx.ok.test
max_age = 86400
tlsrpt  = mailto:tlsrpt@ok.test

[domain good.test]
mx = mx.ok.test, *.good.test

[domain testing.test]
mode = testing

[domain unused.test]
mx = mx.ok.test, mx.unused.test

[domain nostarttls.test]
mx = mx.nostarttls.test

[domain mxname.test]
mx = mx.mxname.test

[domain hangmx.test]
mx = mx.hangmx.test

[domain wildcard.test]
mx = *.wildcard.test

[domain bigehlo.test]
mx = mx.bigehlo.test

[domain mxtls11.test]
mx = mx.mxtls11.test

[domain mxexpired.test]
mx = mx.mxexpired.test

[domain mxuntrusted.test]
mx = mx.mxuntrusted.test

[domain none.test]
mode = none

[domain mxcnonly.test]
mx = mx.mxcnonly.test

[domain manymx.test]
mx = *.manymx.test

[domain slowmany.test]
mx = *.slowmany.test

[domain implicit.test]
mx = implicit.test
EOC

# Domains served the default policy ([policy]) unless they have a section.
broken="notxt twotxt badid staleid noaddr redirect notfound html differs
wrongname expired untrusted expiring tls11 uncovered testing unused
nostarttls mxname mxtls11 mxexpired mxuntrusted slow tlsrpt twoaddr nomx
nullmx big invalid cname wildcard bigehlo split none twoct implicit
blanks padded reorder upper"
domains="good.test"
for b in $broken; do domains="$domains $b.test"; done
# Servers that accept a connection and never answer: checked apart.
hung="hangweb.test hangmx.test"
# What the attacks on the checker found: certificates, caps, time, DNS.
more="cnonly.test mxcnonly.test chain.test manyaddr.test manymx.test mxip.test
slowmany.test tchang.test odd.test"
# shellcheck disable=SC2086
"$BIN" -d -c "$conf" $domains $hung $more >"$SCRATCH/records" 2>"$SCRATCH/records.err"
id_of() { sed -n "s/^_mta-sts\.$1\. IN TXT \"v=STSv1; id=\([0-9a-f]*\)\"$/\1/p" "$SCRATCH/records"; }
rec_of() { grep "^_mta-sts\.$1\. " "$SCRATCH/records"; }
rua_rec_of() { grep "^_smtp\._tls\.$1\. " "$SCRATCH/records"; }

# --- certificates ---
ca_new good
ca_new other
web_names=
for d in good notxt twotxt badid staleid noaddr redirect notfound html \
    differs tls11 uncovered testing unused nostarttls mxname mxtls11 \
    mxexpired mxuntrusted slow tlsrpt \
    twoaddr nomx nullmx big invalid cname wildcard bigehlo split none \
    twoct implicit blanks padded reorder upper \
    hangweb hangmx mxcnonly manyaddr manymx mxip slowmany tchang odd; do
	web_names="$web_names mta-sts.$d.test"
done
cert web good "$web_names"
cert wrongname good "mta-sts.other.test"
cert expired good "mta-sts.expired.test" 200101000000Z 200201000000Z
cert untrusted other "mta-sts.untrusted.test"
cert expiring good "mta-sts.expiring.test" 10
cert mx good "mx.ok.test mx1.good.test mx2.uncovered.test mx2.testing.test
    a.b.wildcard.test *.manymx.test nomx.test implicit.test"
cert mxother good "mx.other.test"
cert mxtls11 good "mx.mxtls11.test"
cert mxexpired good "mx.mxexpired.test" 200101000000Z 200201000000Z
cert mxuntrusted other "mx.mxuntrusted.test"
cert_cn_only cnonly good mta-sts.cnonly.test
cert_cn_only mxcnonly good mx.mxcnonly.test
# A leaf valid for 30 days under an intermediate CA that expires in 2.
ca_sub inter good 2
cert chain inter "mta-sts.chain.test"
cat "$SCRATCH/chain.crt" "$SCRATCH/ca-inter/ca.crt" >"$SCRATCH/chain-full.crt"
cp "$SCRATCH/chain.key" "$SCRATCH/chain-full.key"

# --- DNS: every domain right, then each broken one its way ---
zone=$SCRATCH/zone
: >"$zone"
for d in $domains $hung; do
	case $d in notxt.test|slow.test|cname.test|split.test|blanks.test|\
	    padded.test) ;; *)
		echo "txt-record=_mta-sts.$d,\"v=STSv1; id=$(id_of "$d")\"" ;;
	esac
	case $d in tlsrpt.test|slow.test) ;; *)
		echo "txt-record=_smtp._tls.$d,\"v=TLSRPTv1; rua=mailto:tlsrpt@ok.test\"" ;;
	esac
	case $d in noaddr.test|slow.test|cname.test) ;;
	tls11.test) echo "host-record=mta-sts.$d,127.0.0.3" ;;
	# Every address is fetched: good.test's policy host has two.
	good.test) echo "host-record=mta-sts.$d,127.0.0.1,::1" ;;
	twoaddr.test) echo "host-record=mta-sts.$d,127.0.0.1"
		echo "host-record=mta-sts.$d,127.0.0.8" ;;
	hangweb.test) echo "host-record=mta-sts.$d,127.0.0.7" ;;
	*) echo "host-record=mta-sts.$d,127.0.0.1" ;;
	esac
	case $d in
	good.test) echo "mx-host=$d,mx.ok.test,10"
		echo "mx-host=$d,mx1.good.test,20" ;;
	uncovered.test|testing.test) echo "mx-host=$d,mx.ok.test,10"
		echo "mx-host=$d,mx2.$d,20" ;;
	nostarttls.test|mxname.test|hangmx.test|bigehlo.test|mxtls11.test|\
	mxexpired.test|mxuntrusted.test)
		echo "mx-host=$d,mx.$d,10" ;;
	slow.test) ;;
	# No MX record: senders deliver to the domain itself (RFC 5321 §5.1).
	nomx.test|implicit.test) echo "host-record=$d,127.0.0.2" ;;
	nullmx.test) echo "mx-host=$d,.,0" ;;
	none.test) echo "mx-host=$d,mx.elsewhere.test,10" ;;
	wildcard.test) echo "mx-host=$d,a.b.$d,10" ;;
	*) echo "mx-host=$d,mx.ok.test,10" ;;
	esac
done >>"$zone"
cat >>"$zone" <<EOZ
txt-record=_mta-sts.twotxt.test,"v=STSv1; id=20240101"
txt-record=_mta-sts.badid.test,"v=STSv1; id=abc+def"
txt-record=_mta-sts.staleid.test,"v=STSv1; id=20240101"
txt-record=_smtp._tls.tlsrpt.test,"v=TLSRPTv1; rua=mailto:old@ok.test"
host-record=mx.ok.test,127.0.0.2
host-record=mx1.good.test,127.0.0.2
host-record=mx2.uncovered.test,127.0.0.2
host-record=mx2.testing.test,127.0.0.2
host-record=a.b.wildcard.test,127.0.0.2
host-record=mx.nostarttls.test,127.0.0.4
host-record=mx.mxname.test,127.0.0.5
host-record=mx.hangmx.test,127.0.0.7
host-record=mx.bigehlo.test,127.0.0.9
host-record=mx.mxtls11.test,127.0.0.10
host-record=mx.mxexpired.test,127.0.0.11
host-record=mx.mxuntrusted.test,127.0.0.12
server=/slow.test/127.0.0.6
txt-record=_mta-sts.shared.test,"v=STSv1; id=$(id_of cname.test)"
cname=_mta-sts.cname.test,_mta-sts.shared.test
host-record=mta-sts.shared.test,127.0.0.1
cname=mta-sts.cname.test,mta-sts.shared.test
txt-record=_mta-sts.split.test,"v=STSv1; ","id=$(id_of split.test)"
txt-record=_mta-sts.blanks.test,"v=STSv1; id=$(id_of blanks.test)  "
txt-record=_mta-sts.padded.test," v=STSv1; id=$(id_of padded.test)"
EOZ
# tchang.test's and odd.test's records are all asked of their own
# servers.
for d in ${more% tchang.test odd.test}; do
	echo "txt-record=_mta-sts.$d,\"v=STSv1; id=$(id_of "$d")\""
	echo "txt-record=_smtp._tls.$d,\"v=TLSRPTv1; rua=mailto:tlsrpt@ok.test\""
	case $d in
	manyaddr.test) for i in 1 2 3 4 5 6 7 8 9; do
		echo "host-record=mta-sts.$d,127.0.1.$i"; done ;;
	slowmany.test) echo "host-record=mta-sts.$d,127.0.0.7" ;;
	*) echo "host-record=mta-sts.$d,127.0.0.1" ;;
	esac
	case $d in
	mxcnonly.test) echo "mx-host=$d,mx.$d,10"
		echo "host-record=mx.$d,127.0.0.13" ;;
	manymx.test) for i in $(seq -w 1 17); do
		echo "mx-host=$d,mx$i.$d,$i"
		echo "host-record=mx$i.$d,127.0.0.2"; done ;;
	mxip.test) echo "mx-host=$d,192.0.2.25,10" ;;
	# Listed last first: checked in the order of preference.
	slowmany.test) for i in 5 4 3 2 1; do
		echo "mx-host=$d,mx$i.$d,$i"
		echo "host-record=mx$i.$d,127.0.0.7"; done ;;
	*) echo "mx-host=$d,mx.ok.test,10" ;;
	esac
done >>"$zone"
echo "server=/tchang.test/127.0.0.14" >>"$zone"
echo "server=/odd.test/127.0.0.15" >>"$zone"
# badid and staleid must not carry the right record too.
sed -i "/^txt-record=_mta-sts\.\(badid\|staleid\)\.test,\"v=STSv1; id=[0-9a-f]\{32\}\"$/d" "$zone"

# --- the policy host: nginx in front of our responder ---
mkdir -p "$SCRATCH/html/.well-known" "$SCRATCH/differs/.well-known" \
    "$SCRATCH/big/.well-known" "$SCRATCH/invalid/.well-known" \
    "$SCRATCH/reorder/.well-known" "$SCRATCH/upper/.well-known"
# Over 64 KiB: a valid start, then 70,000 bytes of extension lines.
{
	printf 'version: STSv1\r\nmode: enforce\r\nmx: mx.ok.test\r\nmax_age: 86400\r\n'
	for i in $(seq 1 1000); do printf 'x%04d: %062d\r\n' "$i" 0; done
} >"$SCRATCH/big/.well-known/mta-sts.txt"
printf 'version: STSv1\r\nmode: enforcing\r\nmx: mx.ok.test\r\nmax_age: 86400\r\n' \
    >"$SCRATCH/invalid/.well-known/mta-sts.txt"
printf 'version: STSv1\r\nmode: enforce\r\nmx: mx.ok.test\r\nmax_age: 86400\r\n' \
    >"$SCRATCH/html/.well-known/mta-sts.txt"
printf 'version: STSv1\r\nmode: testing\r\nmx: mx.ok.test\r\nmax_age: 604800\r\n' \
    >"$SCRATCH/differs/.well-known/mta-sts.txt"
# The config's fields, in another order; then with the mx in upper case.
printf 'mode: enforce\r\nmx: mx.ok.test\r\nmax_age: 86400\r\nversion: STSv1\r\n' \
    >"$SCRATCH/reorder/.well-known/mta-sts.txt"
printf 'version: STSv1\r\nmode: enforce\r\nmx: MX.OK.TEST\r\nmax_age: 86400\r\n' \
    >"$SCRATCH/upper/.well-known/mta-sts.txt"
world_fcgi_server web 'listen 127.0.0.1:443 ssl default_server;' \
    'listen [::1]:443 ssl default_server;' \
    'location / { return 404; }' >"$SCRATCH/servers"
cat >>"$SCRATCH/servers" <<'EON'
server {
    listen 127.0.0.1:443 ssl;
    server_name mta-sts.redirect.test;
    ssl_certificate @DIR@/web.crt;
    ssl_certificate_key @DIR@/web.key;
    return 301 https://www.redirect.test/.well-known/mta-sts.txt;
}
server {
    listen 127.0.0.1:443 ssl;
    server_name mta-sts.notfound.test;
    ssl_certificate @DIR@/web.crt;
    ssl_certificate_key @DIR@/web.key;
    return 404;
}
# The pasted snippet: return's text goes out as default_type, then
# add_header adds a second Content-Type.
server {
    listen 127.0.0.1:443 ssl;
    server_name mta-sts.twoct.test;
    ssl_certificate @DIR@/web.crt;
    ssl_certificate_key @DIR@/web.key;
    location = /.well-known/mta-sts.txt {
        types { }
        default_type application/octet-stream;
        add_header Content-Type text/plain;
        return 200 "version: STSv1\r\nmode: enforce\r\nmx: mx.ok.test\r\nmax_age: 86400\r\n";
    }
}
EON
# Static policy files, each site with the type its .txt is served as.
for c in html:text/html differs:text/plain big:text/plain \
    invalid:text/plain reorder:text/plain upper:text/plain; do
	cat >>"$SCRATCH/servers" <<EON
server {
    listen 127.0.0.1:443 ssl;
    server_name mta-sts.${c%%:*}.test;
    ssl_certificate @DIR@/web.crt;
    ssl_certificate_key @DIR@/web.key;
    root @DIR@/${c%%:*};
    types { ${c#*:} txt; }
}
EON
done
for c in wrongname expired untrusted expiring; do
	world_fcgi_server "$c" 'listen 127.0.0.1:443 ssl;' \
	    "server_name mta-sts.$c.test;"
done >>"$SCRATCH/servers"
world_fcgi_server web 'listen 127.0.0.3:443 ssl;' 'ssl_protocols TLSv1.1;' \
    'ssl_ciphers DEFAULT:@SECLEVEL=0;' >>"$SCRATCH/servers"
world_fcgi_server cnonly 'listen 127.0.0.1:443 ssl;' \
    'server_name mta-sts.cnonly.test;' >>"$SCRATCH/servers"
world_fcgi_server chain-full 'listen 127.0.0.1:443 ssl;' \
    'server_name mta-sts.chain.test;' >>"$SCRATCH/servers"
# Eight addresses of mta-sts.manyaddr.test serve the policy, the ninth
# another: every address is fetched, however many there are.
listens=()
for i in 1 2 3 4 5 6 7 8; do listens+=("listen 127.0.1.$i:443 ssl;"); done
world_fcgi_server web "${listens[@]}" >>"$SCRATCH/servers"
cat >>"$SCRATCH/servers" <<'EON'
server {
    listen 127.0.1.9:443 ssl;
    ssl_certificate @DIR@/web.crt;
    ssl_certificate_key @DIR@/web.key;
    root @DIR@/differs;
    types { text/plain txt; }
}
EON

world_create || { notok "could not create network namespace $NS"; exit 1; }
world_dns_start "$zone" || { notok "dnsmasq did not start"; sed 's/^/#   /' "$SCRATCH/dnsmasq.err"; exit 1; }
world_blackhole 127.0.0.6
world_responder "$conf" || { notok "the responder did not start"; sed 's/^/#   /' "$SCRATCH/fcgi.err"; exit 1; }
world_nginx "$SCRATCH/servers" || { notok "nginx did not start"; sed 's/^/#   /' "$SCRATCH/nginx.err" "$SCRATCH/nginx/error.log"; exit 1; }
world_smtp ok 127.0.0.2 mx || { notok "aiosmtpd did not start"; exit 1; }
world_smtp nostarttls 127.0.0.4 || { notok "aiosmtpd did not start"; exit 1; }
world_smtp mxname 127.0.0.5 mxother || { notok "aiosmtpd did not start"; exit 1; }
world_silent 127.0.0.7 443 25
world_smtp_odd bigehlo 127.0.0.9 || { notok "the hostile SMTP server did not start"; exit 1; }
world_smtp_odd tls11 127.0.0.10 mxtls11 || { notok "the TLS 1.1 SMTP server did not start"; exit 1; }
world_smtp mxexpired 127.0.0.11 mxexpired || { notok "aiosmtpd did not start"; exit 1; }
world_smtp mxuntrusted 127.0.0.12 mxuntrusted || { notok "aiosmtpd did not start"; exit 1; }
world_smtp mxcnonly 127.0.0.13 mxcnonly || { notok "aiosmtpd did not start"; exit 1; }
world_blackhole 127.0.0.14 tc
world_odd_dns 127.0.0.15 "v=STSv1; id=$(id_of odd.test)"

# check_case NAME WANT_STATUS ARGS... <<EXPECTED: runs the checker in
# the world and compares its whole stdout and its exit status.
check_case() {
	local name=$1 want=$2 rc
	shift 2
	cat >"$SCRATCH/want"
	# Kept for the run of every domain at once (all checks).
	case $1 in -n|-p) ;; *) sed 1d "$SCRATCH/want" >"$SCRATCH/lines.${*: -1}" ;; esac
	in_ns "$CHECK" -c "$conf" -a "$SCRATCH/ca-good/ca.crt" "$@" \
	    >"$SCRATCH/got" 2>"$SCRATCH/got.err"
	rc=$?
	check_eq "$name: exit status" "$want" "$rc"
	check_file "$name: output" "$SCRATCH/want" "$SCRATCH/got"
	if [ -s "$SCRATCH/got.err" ]; then
		sed 's/^/#   stderr: /' "$SCRATCH/got.err"
	fi
}

U=/.well-known/mta-sts.txt
# A domain whose policy host and five MX hosts accept and never speak:
# 3 s for the TLS handshake, then 10 s for each MX, so the 40 s a domain
# gets run out before the fifth; it runs in the background while the
# other cases go on.
t_slow0=$(date +%s%N)
in_ns "$CHECK" -c "$conf" -a "$SCRATCH/ca-good/ca.crt" slowmany.test \
    >"$SCRATCH/slowmany.out" 2>&1 &
slowmany_pid=$!

check_case "all good" 0 good.test <<EOW
MTA-STS OK - 1 domain checked: 0 critical, 0 warning, 1 OK
EOW
check_eq "all good: the policy was fetched from both addresses, ::1 too" \
    "1 1" "$(grep -c '^127\.0\.0\.1 .*"GET /.well-known/mta-sts.txt HTTP/1.1" 200 ' "$SCRATCH/nginx/access.log") \
$(grep -c '^::1 .*"GET /.well-known/mta-sts.txt HTTP/1.1" 200 ' "$SCRATCH/nginx/access.log")"

# A provider's customer: both names are CNAMEs into the provider's zone.
check_case "all good through CNAMEs" 0 cname.test <<EOW
MTA-STS OK - 1 domain checked: 0 critical, 0 warning, 1 OK
EOW

# A record in two character-strings is one record, its strings joined
# (as RFC 7208 §3.3 has it for SPF); dnsmasq sends each quoted text as a
# string of its own.
check_case "all good, the TXT record in two strings" 0 split.test <<EOW
MTA-STS OK - 1 domain checked: 0 critical, 0 warning, 1 OK
EOW

# Mode none: senders enforce and report nothing, so mx-coverage and
# mx-tls are not checked (this one's MX is covered by no pattern and has
# no address); mx-dane is (DANE senders ignore the mode), but with no
# address there is no TLSA record to look up (RFC 7672 §2.2.2), and this
# world's resolver does not validate anyway (tests/check/run-dane.sh).
check_case "all good in mode none, whatever the MX" 0 none.test <<EOW
MTA-STS OK - 1 domain checked: 0 critical, 0 warning, 1 OK
EOW

# One broken world per failure: the check, its severity, the status.
check_case "no TXT record" 2 notxt.test <<EOW
MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK
notxt.test: sts-record: critical: no TXT record "v=STSv1; id=..." at _mta-sts.notxt.test, so senders ignore the policy; publish: $(rec_of notxt.test)
EOW
check_case "two TXT records" 2 twotxt.test <<EOW
MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK
twotxt.test: sts-record: critical: 2 TXT records at _mta-sts.twotxt.test start with "v=STSv1", so senders ignore them all (RFC 8461 §3.1); keep only: $(rec_of twotxt.test)
EOW
check_case "bad id syntax" 2 badid.test <<EOW
MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK
badid.test: sts-record: critical: "v=STSv1; id=abc+def" at _mta-sts.badid.test: id "abc+def" is not 1 to 32 letters and digits (RFC 8461 §3.1); publish: $(rec_of badid.test)
EOW
check_case "stale id" 2 staleid.test <<EOW
MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK
staleid.test: sts-id: critical: _mta-sts.staleid.test has id 20240101, but this config's policy has id $(id_of staleid.test): senders keep the policy they cached; once the policy host serves this config, publish: $(rec_of staleid.test)
EOW
check_case "TLSRPT addresses other than the config's" 1 tlsrpt.test <<EOW
MTA-STS WARNING - 1 domain checked: 0 critical, 1 warning, 0 OK
tlsrpt.test: tlsrpt-record: warning: _smtp._tls.tlsrpt.test has rua mailto:old@ok.test, but this config's tlsrpt is mailto:tlsrpt@ok.test; publish: $(rua_rec_of tlsrpt.test)
EOW
check_case "no policy-host address" 2 noaddr.test <<EOW
MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK
noaddr.test: policy-host: critical: mta-sts.noaddr.test has no A or AAAA record, so senders cannot fetch the policy: point it at the web server in front of mta-sts-fcgi
EOW
check_case "one address of two refuses" 2 twoaddr.test <<EOW
MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK
twoaddr.test: policy-fetch: critical: https://mta-sts.twoaddr.test$U from 127.0.0.8: cannot connect to port 443: Connection refused
EOW
# The six of issue 18, each a world where the checker and real senders
# (postfix-mta-sts-resolver with Postfix, mailauth, mx-connect) once
# disagreed.  1: nginx's pasted "return 200" under default_type sends two
# Content-Type headers; libcurl's summary keeps the last, a sender may
# read the first.
check_case "two Content-Type headers, the first not text/plain" 2 twoct.test <<EOW
MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK
twoct.test: policy-fetch: critical: https://mta-sts.twoct.test$U from 127.0.0.1: 2 Content-Type headers, "application/octet-stream" first, "text/plain" last: senders that read the first (postfix-mta-sts-resolver) or refuse both (mailauth 7 strict) see no policy; send one, text/plain (RFC 9110 §5.3, RFC 8461 §3.2)
EOW
# 2 and 3: with no MX record, senders deliver to the domain itself, the
# implicit MX (RFC 5321 §5.1), and match it against the mx patterns;
# its TLS is checked as any MX host's (nomx.test's certificate names it).
check_case "no MX record under enforce: the implicit MX not covered" 2 nomx.test <<EOW
MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK
nomx.test: mx-coverage: critical: nomx.test has no MX record, so senders deliver to nomx.test itself (the implicit MX, RFC 5321 §5.1), which matches no mx pattern of the enforce policy, so senders refuse to deliver there: publish MX records or add "mx = nomx.test" to this config
nomx.test: mx-coverage: warning: mx pattern mx.ok.test matches no MX host of nomx.test: remove it or check the MX records
EOW
check_case "no MX record, the implicit MX covered" 0 implicit.test <<EOW
MTA-STS OK - 1 domain checked: 0 critical, 0 warning, 1 OK
EOW
# 4: RFC 8461 §3.1 allows blanks only around ";".
check_case "blanks after the last field of the TXT record" 2 blanks.test <<EOW
MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK
blanks.test: sts-record: critical: "v=STSv1; id=$(id_of blanks.test)  " at _mta-sts.blanks.test: blanks after the last field, which RFC 8461 §3.1 allows only around ";": lenient senders (postfix-mta-sts-resolver, mailauth lax) still read its id, strict ones (mailauth 7 strict) see no policy; publish: $(rec_of blanks.test)
EOW
check_case "a blank before v=STSv1" 2 padded.test <<EOW
MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK
padded.test: sts-record: critical: " v=STSv1; id=$(id_of padded.test)" at _mta-sts.padded.test: blanks before "v=STSv1": senders discard a record that does not begin with "v=STSv1;" (RFC 8461 §3.1), so they see no policy; publish: $(rec_of padded.test)
EOW
# 5 and 6: senders accept both; the bytes are not this config's.
check_case "the config's fields in another order" 2 reorder.test <<EOW
MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK
reorder.test: policy-fetch: critical: https://mta-sts.reorder.test$U from 127.0.0.1: the policy served has this config's fields but not its bytes: in another order, which senders accept (RFC 8461 §3.2 sets none); serve this config's bytes there, then publish its id $(id_of reorder.test)
EOW
check_case "an mx in upper case" 2 upper.test <<EOW
MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK
upper.test: policy-fetch: critical: https://mta-sts.upper.test$U from 127.0.0.1: the policy served has this config's fields but not its bytes: mx MX.OK.TEST where this config has mx.ok.test, which senders accept (host names compare without case, RFC 4343); serve this config's bytes there, then publish its id $(id_of upper.test)
EOW
check_case "a null MX" 1 nullmx.test <<EOW
MTA-STS WARNING - 1 domain checked: 0 critical, 1 warning, 0 OK
nullmx.test: mx-coverage: warning: nullmx.test has a null MX (RFC 7505): it accepts no mail, so its policy protects nothing
EOW
check_case "a body over 64 KiB" 2 big.test <<EOW
MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK
big.test: policy-fetch: critical: https://mta-sts.big.test$U from 127.0.0.1: the body is over 64 KiB, more than senders read
EOW
check_case "an invalid policy" 2 invalid.test <<EOW
MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK
invalid.test: policy-fetch: critical: https://mta-sts.invalid.test$U from 127.0.0.1: not a valid policy: mode "enforcing" is not enforce, testing or none
EOW
check_case "a redirect" 2 redirect.test <<EOW
MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK
redirect.test: policy-fetch: critical: https://mta-sts.redirect.test$U from 127.0.0.1: status 301 redirecting to https://www.redirect.test$U: senders do not follow redirects (RFC 8461 §3.3); serve the policy itself
EOW
check_case "404" 2 notfound.test <<EOW
MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK
notfound.test: policy-fetch: critical: https://mta-sts.notfound.test$U from 127.0.0.1: status 404, want 200 and the policy
EOW
check_case "text/html" 2 html.test <<EOW
MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK
html.test: policy-fetch: critical: https://mta-sts.html.test$U from 127.0.0.1: Content-Type "text/html", senders want text/plain (RFC 8461 §3.2)
EOW
check_case "a body other than the config's" 2 differs.test <<EOW
MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK
differs.test: policy-fetch: critical: https://mta-sts.differs.test$U from 127.0.0.1: the policy served is not this config's (mode: served testing, this config enforce; max_age: served 604800, this config 86400): serve this config there, then publish its id $(id_of differs.test)
EOW
check_case "certificate for the wrong name" 2 wrongname.test <<EOW
MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK
wrongname.test: policy-tls: critical: https://mta-sts.wrongname.test$U from 127.0.0.1: SSL: no alternative certificate subject name matches target host name 'mta-sts.wrongname.test'
EOW
check_case "expired certificate" 2 expired.test <<EOW
MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK
expired.test: policy-tls: critical: https://mta-sts.expired.test$U from 127.0.0.1: SSL certificate problem: certificate has expired
EOW
end=$(openssl x509 -enddate -noout -in "$SCRATCH/expiring.crt" | cut -d= -f2)
check_case "certificate expiring in under 14 days" 1 expiring.test <<EOW
MTA-STS WARNING - 1 domain checked: 0 critical, 1 warning, 0 OK
expiring.test: policy-tls: warning: https://mta-sts.expiring.test$U from 127.0.0.1: the certificate expires $(date -u -d "$end" '+%Y-%m-%d %H:%M UTC') (in 9 days): renew it
EOW
check_case "untrusted CA" 2 untrusted.test <<EOW
MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK
untrusted.test: policy-tls: critical: https://mta-sts.untrusted.test$U from 127.0.0.1: SSL certificate problem: unable to get local issuer certificate
EOW
# The TLS 1.1 server really speaks TLS 1.1 (and nothing later).
in_ns openssl s_client -connect 127.0.0.3:443 -servername mta-sts.tls11.test \
    -tls1_1 -cipher DEFAULT:@SECLEVEL=0 </dev/null >"$SCRATCH/s_client" 2>&1
check_eq "the TLS-1.1-only server answers TLS 1.1" "Protocol  : TLSv1.1" \
    "$(grep -o 'Protocol  : TLSv1.1' "$SCRATCH/s_client")"
check_case "a TLS-1.1-only policy host" 2 tls11.test <<EOW
MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK
tls11.test: policy-tls: critical: https://mta-sts.tls11.test$U from 127.0.0.3: TLS handshake failed (TLS 1.2 or later wanted): error:0A00042E:SSL routines::tlsv1 alert protocol version
EOW
check_case "MX not covered, enforce" 2 uncovered.test <<EOW
MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK
uncovered.test: mx-coverage: critical: MX host mx2.uncovered.test matches no mx pattern of the enforce policy, so senders refuse to deliver there: add "mx = mx2.uncovered.test" to this config or fix the MX record
EOW
check_case "MX not covered, testing" 1 testing.test <<EOW
MTA-STS WARNING - 1 domain checked: 0 critical, 1 warning, 0 OK
testing.test: mx-coverage: warning: MX host mx2.testing.test matches no mx pattern of the testing policy, so senders report failures: add "mx = mx2.testing.test" to this config or fix the MX record
EOW
check_case "*. matches one label only (RFC 8461 §4.1)" 2 wildcard.test <<EOW
MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK
wildcard.test: mx-coverage: critical: MX host a.b.wildcard.test matches no mx pattern of the enforce policy, so senders refuse to deliver there: add "mx = a.b.wildcard.test" to this config or fix the MX record
wildcard.test: mx-coverage: warning: mx pattern *.wildcard.test matches no MX host of wildcard.test: remove it or check the MX records
EOW
check_case "a pattern that matches no MX" 1 unused.test <<EOW
MTA-STS WARNING - 1 domain checked: 0 critical, 1 warning, 0 OK
unused.test: mx-coverage: warning: mx pattern mx.unused.test matches no MX host of unused.test: remove it or check the MX records
EOW
check_case "an MX without STARTTLS" 2 nostarttls.test <<EOW
MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK
nostarttls.test: mx-tls: critical: MX host mx.nostarttls.test at 127.0.0.4 port 25: STARTTLS not offered, so senders will not deliver (RFC 8461 §4.2)
EOW
check_case "an MX whose EHLO reply is 360 kB, then refuses STARTTLS" 2 bigehlo.test <<EOW
MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK
bigehlo.test: mx-tls: critical: MX host mx.bigehlo.test at 127.0.0.9 port 25: STARTTLS answered 454 4.7.0 TLS not available, so senders will not deliver (RFC 8461 §4.2)
EOW
check_case "-n skips port 25" 0 -n nostarttls.test <<EOW
MTA-STS OK - 1 domain checked: 0 critical, 0 warning, 1 OK
EOW
# -p: the policy host alone, whatever the DNS records and MX hosts say.
check_case "-p: a stale id and an MX not covered are not its business" 0 \
    -p staleid.test uncovered.test <<EOW
MTA-STS OK - 2 domains checked: 0 critical, 0 warning, 2 OK
EOW
check_case "-p: the policy served is not this config's" 2 -p notxt.test \
    differs.test <<EOW
MTA-STS CRITICAL - 2 domains checked: 1 critical, 0 warning, 1 OK
differs.test: policy-fetch: critical: https://mta-sts.differs.test$U from 127.0.0.1: the policy served is not this config's (mode: served testing, this config enforce; max_age: served 604800, this config 86400): serve this config there, then publish its id $(id_of differs.test)
EOW
check_case "-p: a certificate expiring soon only warns" 1 -p expiring.test <<EOW
MTA-STS WARNING - 1 domain checked: 0 critical, 1 warning, 0 OK
expiring.test: policy-tls: warning: https://mta-sts.expiring.test$U from 127.0.0.1: the certificate expires $(date -u -d "$end" '+%Y-%m-%d %H:%M UTC') (in 9 days): renew it
EOW
check_case "-p: no policy-host address" 2 -p noaddr.test <<EOW
MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK
noaddr.test: policy-host: critical: mta-sts.noaddr.test has no A or AAAA record, so senders cannot fetch the policy: point it at the web server in front of mta-sts-fcgi
EOW
check_case "an MX certificate for the wrong name" 2 mxname.test <<EOW
MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK
mxname.test: mx-tls: critical: MX host mx.mxname.test at 127.0.0.5 port 25: certificate: hostname mismatch (RFC 8461 §4.2 wants TLS 1.2 or later and a certificate valid for mx.mxname.test)
EOW
# The TLS 1.1 mail server really speaks TLS 1.1 after STARTTLS.
in_ns openssl s_client -connect 127.0.0.10:25 -starttls smtp \
    -tls1_1 -cipher DEFAULT:@SECLEVEL=0 </dev/null >"$SCRATCH/s_client" 2>&1
check_eq "the TLS-1.1-only MX answers TLS 1.1" "Protocol  : TLSv1.1" \
    "$(grep -o 'Protocol  : TLSv1.1' "$SCRATCH/s_client")"
check_case "a TLS-1.1-only MX" 2 mxtls11.test <<EOW
MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK
mxtls11.test: mx-tls: critical: MX host mx.mxtls11.test at 127.0.0.10 port 25: TLS handshake failed: error:0A00042E:SSL routines::tlsv1 alert protocol version (RFC 8461 §4.2 wants TLS 1.2 or later and a certificate valid for mx.mxtls11.test)
EOW
check_case "an expired MX certificate" 2 mxexpired.test <<EOW
MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK
mxexpired.test: mx-tls: critical: MX host mx.mxexpired.test at 127.0.0.11 port 25: certificate: certificate has expired (RFC 8461 §4.2 wants TLS 1.2 or later and a certificate valid for mx.mxexpired.test)
EOW
check_case "an MX certificate from an untrusted CA" 2 mxuntrusted.test <<EOW
MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK
mxuntrusted.test: mx-tls: critical: MX host mx.mxuntrusted.test at 127.0.0.12 port 25: certificate: unable to get local issuer certificate (RFC 8461 §4.2 wants TLS 1.2 or later and a certificate valid for mx.mxuntrusted.test)
EOW
# What an outside attack on the checker found, each now its own world.
check_case "a policy host certificate with its name only in the CN" 2 cnonly.test <<EOW
MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK
cnonly.test: policy-tls: critical: https://mta-sts.cnonly.test$U from 127.0.0.1: the certificate has no subjectAltName DNS name (a name only in the subject's CN does not count, RFC 9525; many senders reject it)
EOW
check_case "an MX certificate with its name only in the CN (RFC 8461 §4.2)" 2 mxcnonly.test <<EOW
MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK
mxcnonly.test: mx-tls: critical: MX host mx.mxcnonly.test at 127.0.0.13 port 25: certificate: no subjectAltName DNS name (a name only in the subject's CN does not count) (RFC 8461 §4.2 wants TLS 1.2 or later and a certificate valid for mx.mxcnonly.test)
EOW
end=$(openssl x509 -enddate -noout -in "$SCRATCH/ca-inter/ca.crt" | cut -d= -f2)
check_case "an intermediate CA that expires before the leaf" 2 chain.test <<EOW
MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK
chain.test: policy-tls: critical: https://mta-sts.chain.test$U from 127.0.0.1: a CA certificate of the chain expires $(date -u -d "$end" '+%Y-%m-%d %H:%M UTC') (in 1 day): serve a chain through a CA certificate that stays valid
EOW
manyaddr_line="manyaddr.test: policy-fetch: critical: https://mta-sts.manyaddr.test$U from 127.0.1.9: the policy served is not this config's (mode: served testing, this config enforce; max_age: served 604800, this config 86400): serve this config there, then publish its id $(id_of manyaddr.test)"
check_case "a policy host with 9 addresses, the ninth wrong" 2 manyaddr.test <<EOW
MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK
$manyaddr_line
EOW
check_case "-p on 9 addresses, the ninth wrong: not served" 2 -p manyaddr.test <<EOW
MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK
$manyaddr_line
EOW
check_case "17 MX hosts: the cap is said" 1 manymx.test <<EOW
MTA-STS WARNING - 1 domain checked: 0 critical, 1 warning, 0 OK
manymx.test: mx-tls: warning: manymx.test has 17 MX hosts; the TLS of only the first 16 (by preference) was checked
EOW
check_case "an MX that is an IP address: no config can name it" 2 -n mxip.test <<EOW
MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK
mxip.test: mx-coverage: critical: MX host 192.0.2.25 matches no mx pattern of the enforce policy, so senders refuse to deliver there, and no policy can name it (an IP address is not allowed: name the host): fix the MX record
mxip.test: mx-coverage: warning: mx pattern mx.ok.test matches no MX host of mxip.test: remove it or check the MX records
EOW
t0=$(date +%s%N)
check_case "a DNS server that truncates, then never answers over TCP" 2 tchang.test <<EOW
MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK
tchang.test: sts-record: critical: _mta-sts.tchang.test TXT: no answer from DNS within 4 s; senders see no policy (the other checks were skipped)
EOW
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check_eq "the TCP retry shares the question's 4 s: ${ms} ms" 1 \
    "$([ "$ms" -lt $((4000 + 3000 * SCALE)) ] && echo 1 || echo 0)"
check_case "-p with an AAAA question that fails: not known to be served" 2 -p odd.test <<EOW
MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK
odd.test: policy-host: critical: mta-sts.odd.test A/AAAA: AAAA: the DNS server answered SERVFAIL; senders may not find every address of it
EOW
check_case "a TXT record owned by another name is no answer" 2 odd.test <<EOW
MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK
odd.test: sts-record: critical: no TXT record "v=STSv1; id=..." at _mta-sts.odd.test, so senders ignore the policy; publish: $(rec_of odd.test)
odd.test: tlsrpt-record: warning: no TXT record "v=TLSRPTv1; rua=..." at _smtp._tls.odd.test, so no sender reports TLS failures; publish: $(rua_rec_of odd.test)
odd.test: policy-host: critical: mta-sts.odd.test A/AAAA: AAAA: the DNS server answered SERVFAIL; senders may not find every address of it
odd.test: mx-coverage: critical: odd.test has no MX record, so senders deliver to odd.test itself (the implicit MX, RFC 5321 §5.1), which matches no mx pattern of the enforce policy, so senders refuse to deliver there: publish MX records or add "mx = odd.test" to this config
odd.test: mx-coverage: warning: mx pattern mx.ok.test matches no MX host of odd.test: remove it or check the MX records
odd.test: mx-tls: critical: implicit MX host odd.test A/AAAA: AAAA: the DNS server answered SERVFAIL
odd.test: mx-tls: critical: implicit MX host odd.test at 127.0.0.1 port 25: connect: Connection refused
EOW
in_ns env https_proxy=http://127.0.0.99:3128 HTTPS_PROXY=http://127.0.0.99:3128 \
    ALL_PROXY=http://127.0.0.99:3128 "$CHECK" -c "$conf" \
    -a "$SCRATCH/ca-good/ca.crt" -n good.test >"$SCRATCH/got" 2>&1
check_eq "a proxy in the environment is not used: senders connect directly" \
    "0 MTA-STS OK - 1 domain checked: 0 critical, 0 warning, 1 OK" \
    "$? $(cat "$SCRATCH/got")"
# This machine's own resolver is down: nothing could be checked, which
# is not the domain's fault (exit 3, as monitoring plugins say UNKNOWN).
ip netns add "$NS_NODNS" && ip netns exec "$NS_NODNS" ip link set lo up &&
mkdir -p "/etc/netns/$NS_NODNS" &&
printf 'nameserver 127.0.0.1\n' >"/etc/netns/$NS_NODNS/resolv.conf" ||
    notok "could not create network namespace $NS_NODNS"
ip netns exec "$NS_NODNS" "$CHECK" -c "$conf" good.test >"$SCRATCH/got" 2>&1
check_eq "no DNS server reachable from here: exit 3" 3 $?
cat >"$SCRATCH/want" <<EOW
MTA-STS UNKNOWN - 1 domain checked: 0 critical, 0 warning, 0 OK, 1 not checked
good.test: sts-record: unknown: _mta-sts.good.test TXT: no DNS server of /etc/resolv.conf reachable (Connection refused), so nothing could be checked: fix this machine's resolver
EOW
check_file "no DNS server reachable from here: said once, as unknown" \
    "$SCRATCH/want" "$SCRATCH/got"
nodns_destroy

# A DNS server that never answers: bounded by resolv.conf's timeout
# (capped at 2 s) times its attempts (capped at 2).
slow_line="slow.test: sts-record: critical: _mta-sts.slow.test TXT: no answer from DNS within 4 s; senders see no policy (the other checks were skipped)"
t0=$(date +%s%N)
check_case "a DNS server that never answers" 2 slow.test <<EOW
MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK
$slow_line
EOW
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
# Bounds are hang detectors: SLACK allows for a busy machine.
SLACK=$((3000 * SCALE))
check_eq "the silent DNS costs its timeouts (4 s), no more: ${ms} ms" 1 \
    "$([ "$ms" -ge 3900 ] && [ "$ms" -lt $((4000 + SLACK)) ] && echo 1 || echo 0)"

# Every domain at once, -j 32: one summary, each domain's lines in the
# order named, and the silent zone delays no one.
{
	echo "MTA-STS CRITICAL - 41 domains checked: 31 critical, 5 warning, 5 OK"
	for d in $domains; do cat "$SCRATCH/lines.$d"; done
} >"$SCRATCH/want-all"
t0=$(date +%s%N)
# shellcheck disable=SC2086
in_ns "$CHECK" -c "$conf" -a "$SCRATCH/ca-good/ca.crt" -j 32 $domains \
    >"$SCRATCH/all" 2>"$SCRATCH/all.err"
rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check_eq "all domains: exit status" 2 $rc
check_file "all domains: the summary, then each domain's lines in order" \
    "$SCRATCH/want-all" "$SCRATCH/all"
check_eq "all domains in ${ms} ms: the silent zone adds only its 4 s" 1 \
    "$([ "$ms" -lt $((4000 + SLACK)) ] && echo 1 || echo 0)"
check_eq "all domains: -j 1 gives the same output" "" \
    "$(in_ns "$CHECK" -c "$conf" -a "$SCRATCH/ca-good/ca.crt" -j 1 -n \
    good.test notxt.test uncovered.test 2>&1 | cmp - <(in_ns "$CHECK" \
    -c "$conf" -a "$SCRATCH/ca-good/ca.crt" -j 8 -n good.test notxt.test \
    uncovered.test 2>&1))"

# A web server and a mail server that accept and never answer, and the
# silent DNS zone: each costs its bound (5 s for the fetch, 10 s for
# SMTP, 4 s for DNS), all at once: 10 s, where one after the other
# would take 19 s.
t0=$(date +%s%N)
check_case "servers that never answer" 2 hangweb.test hangmx.test slow.test <<EOW
MTA-STS CRITICAL - 3 domains checked: 3 critical, 0 warning, 0 OK
hangweb.test: policy-fetch: critical: https://mta-sts.hangweb.test$U from 127.0.0.7: no TLS handshake within 3 s (senders wait a few seconds)
hangmx.test: mx-tls: critical: MX host mx.hangmx.test at 127.0.0.7 port 25: no reply within 10 s
$slow_line
EOW
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check_eq "silent servers cost their bounds at once, not in turn: ${ms} ms" 1 \
    "$([ "$ms" -ge 9900 ] && [ "$ms" -lt $((10000 + SLACK)) ] && echo 1 || echo 0)"

# The background run: the policy host's 3 s, four MX hosts' 10 s each,
# then no fifth, since the domain's 40 s are over.
wait "$slowmany_pid"
rc=$?
ms=$(( ($(date +%s%N) - t_slow0) / 1000000 ))
{
	echo "MTA-STS CRITICAL - 1 domain checked: 1 critical, 0 warning, 0 OK"
	echo "slowmany.test: policy-fetch: critical: https://mta-sts.slowmany.test$U from 127.0.0.7: no TLS handshake within 3 s (senders wait a few seconds)"
	for i in 1 2 3 4; do
		echo "slowmany.test: mx-tls: critical: MX host mx$i.slowmany.test at 127.0.0.7 port 25: no reply within 10 s"
	done
	echo "slowmany.test: mx-tls: warning: the checks of slowmany.test ran over 40 s, so MX host mx5.slowmany.test and what follows it were not checked: look at the slow hosts above"
} >"$SCRATCH/want"
check_eq "a domain of silent hosts: exit status" 2 "$rc"
check_file "a domain of silent hosts: four MX tried in order of preference, the fifth not" \
    "$SCRATCH/want" "$SCRATCH/slowmany.out"
check_eq "a domain of silent hosts costs 40 s and one step, no more: ${ms} ms" 1 \
    "$([ "$ms" -ge 43000 ] && [ "$ms" -lt $((50000 + SLACK)) ] && echo 1 || echo 0)"

# -m: the results as Prometheus metrics for node_exporter's textfile
# collector (mta-sts-check(1) METRICS): a state per check made (none for
# a check not made: sts-id without a record, the MX checks in mode
# none), the earliest expiry of each chain seen, the policy served.
epoch_of() {
	date -u -d "$(openssl x509 -enddate -noout -in "$1" | cut -d= -f2)" +%s
}
chain_end() {	# LEAF CA: the chain's first expiry
	local l c
	l=$(epoch_of "$1")
	c=$(epoch_of "$2")
	echo $((l < c ? l : c))
}
ca=$SCRATCH/ca-good/ca.crt
web_end=$(chain_end "$SCRATCH/web.crt" "$ca")
mx_end=$(chain_end "$SCRATCH/mx.crt" "$ca")
expiring_end=$(chain_end "$SCRATCH/expiring.crt" "$ca")
mkdir -p "$SCRATCH/metrics"
echo stale >"$SCRATCH/metrics/check.prom"
in_ns "$CHECK" -c "$conf" -a "$ca" -m "$SCRATCH/metrics/check.prom" \
    good.test expiring.test notxt.test none.test >"$SCRATCH/got" \
    2>"$SCRATCH/got.err"
check_eq "-m: the exit status is the checks'" 2 $?
check_eq "-m: the lines are the checks'" \
    "MTA-STS CRITICAL - 4 domains checked: 1 critical, 1 warning, 2 OK" \
    "$(head -1 "$SCRATCH/got")$(cat "$SCRATCH/got.err")"
{
	echo "# HELP mta_sts_check_status The worst result of each check made of a policy domain: 0 ok, 1 warning, 2 critical, 3 unknown (could not check)."
	echo "# TYPE mta_sts_check_status gauge"
	for c in sts-record sts-id tlsrpt-record policy-host policy-tls \
	    policy-fetch mx-coverage mx-tls mx-dane; do
		echo "mta_sts_check_status{domain=\"good.test\",check=\"$c\"} 0"
	done
	for c in sts-record sts-id tlsrpt-record policy-host policy-tls \
	    policy-fetch mx-coverage mx-tls mx-dane; do
		echo "mta_sts_check_status{domain=\"expiring.test\",check=\"$c\"} $([ $c = policy-tls ] && echo 1 || echo 0)"
	done
	for c in sts-record tlsrpt-record policy-host policy-tls \
	    policy-fetch mx-coverage mx-tls mx-dane; do
		echo "mta_sts_check_status{domain=\"notxt.test\",check=\"$c\"} $([ $c = sts-record ] && echo 2 || echo 0)"
	done
	# Mode none: no mx-coverage or mx-tls, but mx-dane (DANE senders
	# use TLSA records whatever the policy says).
	for c in sts-record sts-id tlsrpt-record policy-host policy-tls \
	    policy-fetch mx-dane; do
		echo "mta_sts_check_status{domain=\"none.test\",check=\"$c\"} 0"
	done
	echo "# HELP mta_sts_certificate_expiry_timestamp_seconds When the first certificate of the verified chain a policy host or MX host presented expires (the leaf's or a CA's; the earliest over its addresses), in seconds since the epoch."
	echo "# TYPE mta_sts_certificate_expiry_timestamp_seconds gauge"
	echo "mta_sts_certificate_expiry_timestamp_seconds{domain=\"good.test\",role=\"policy-host\",host=\"mta-sts.good.test\"} $web_end"
	echo "mta_sts_certificate_expiry_timestamp_seconds{domain=\"good.test\",role=\"mx\",host=\"mx.ok.test\"} $mx_end"
	echo "mta_sts_certificate_expiry_timestamp_seconds{domain=\"good.test\",role=\"mx\",host=\"mx1.good.test\"} $mx_end"
	echo "mta_sts_certificate_expiry_timestamp_seconds{domain=\"expiring.test\",role=\"policy-host\",host=\"mta-sts.expiring.test\"} $expiring_end"
	echo "mta_sts_certificate_expiry_timestamp_seconds{domain=\"expiring.test\",role=\"mx\",host=\"mx.ok.test\"} $mx_end"
	echo "mta_sts_certificate_expiry_timestamp_seconds{domain=\"notxt.test\",role=\"policy-host\",host=\"mta-sts.notxt.test\"} $web_end"
	echo "mta_sts_certificate_expiry_timestamp_seconds{domain=\"notxt.test\",role=\"mx\",host=\"mx.ok.test\"} $mx_end"
	echo "mta_sts_certificate_expiry_timestamp_seconds{domain=\"none.test\",role=\"policy-host\",host=\"mta-sts.none.test\"} $web_end"
	echo "# HELP mta_sts_policy_info The policy this config serves: its mode and its id (the _mta-sts record's); always 1."
	echo "# TYPE mta_sts_policy_info gauge"
	echo "mta_sts_policy_info{domain=\"good.test\",mode=\"enforce\",id=\"$(id_of good.test)\"} 1"
	echo "mta_sts_policy_info{domain=\"expiring.test\",mode=\"enforce\",id=\"$(id_of expiring.test)\"} 1"
	echo "mta_sts_policy_info{domain=\"notxt.test\",mode=\"enforce\",id=\"$(id_of notxt.test)\"} 1"
	echo "mta_sts_policy_info{domain=\"none.test\",mode=\"none\",id=\"$(id_of none.test)\"} 1"
	echo "# HELP mta_sts_policy_max_age_seconds The max_age of the policy this config serves."
	echo "# TYPE mta_sts_policy_max_age_seconds gauge"
	for d in good expiring notxt none; do
		echo "mta_sts_policy_max_age_seconds{domain=\"$d.test\"} 86400"
	done
	echo "# HELP mta_sts_check_last_run_timestamp_seconds When mta-sts-check finished the checks these metrics are of, in seconds since the epoch."
	echo "# TYPE mta_sts_check_last_run_timestamp_seconds gauge"
	echo "mta_sts_check_last_run_timestamp_seconds NOW"
} >"$SCRATCH/metrics/want"
now=$(date +%s)
last=$(sed -n 's/^mta_sts_check_last_run_timestamp_seconds \([0-9]*\)$/\1/p' \
    "$SCRATCH/metrics/check.prom")
sed 's/^\(mta_sts_check_last_run_timestamp_seconds\) [0-9]*$/\1 NOW/' \
    "$SCRATCH/metrics/check.prom" >"$SCRATCH/metrics/got"
check_file "-m: the exact metrics" "$SCRATCH/metrics/want" \
    "$SCRATCH/metrics/got"
check_eq "-m: the last run is now" 1 \
    "$([ "${last:-0}" -le "$now" ] && [ "${last:-0}" -ge $((now - 60 * SCALE)) ] && echo 1 || echo 0)"
check_eq "-m: the file replaced whole, 0644, no temporary file left" \
    "644 check.prom got want" \
    "$(stat -c %a "$SCRATCH/metrics/check.prom") $(ls "$SCRATCH/metrics" | tr '\n' ' ' | sed 's/ $//')"
promtool check metrics <"$SCRATCH/metrics/check.prom" >"$SCRATCH/promtool.out" 2>&1
check_eq "-m: promtool check metrics finds no problem" "0 " \
    "$? $(cat "$SCRATCH/promtool.out")"
"$PY" - "$SCRATCH/metrics/check.prom" >"$SCRATCH/parsed" 2>&1 <<'EOP'
import sys
from prometheus_client.parser import text_string_to_metric_families
n = 0
for f in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in f.samples:
        n += 1
print(n)
EOP
check_eq "-m: prometheus_client's parser reads every sample" \
    "$(grep -vc '^#' "$SCRATCH/metrics/check.prom")" "$(cat "$SCRATCH/parsed")"
# A metrics file that cannot be written: said, the exit status 3.
in_ns "$CHECK" -c "$conf" -a "$ca" -n -m "$SCRATCH/nodir/check.prom" \
    good.test >"$SCRATCH/got" 2>"$SCRATCH/got.err"
check_eq "-m in a directory that does not exist: exit 3, said why" \
    "3 mta-sts-check: $SCRATCH/nodir/check.prom: cannot create a temporary file beside it: No such file or directory" \
    "$? $(cat "$SCRATCH/got.err")"

# The tlsrpt check with a [reports] store that cannot be read: said as
# unknown, after the network's checks (the store's own world is the
# report-metrics suite's).
{ cat "$conf"; printf '\n[reports]\ndatabase = %s/none.db\n' "$SCRATCH"; } \
    >"$SCRATCH/reports.ini"
conf_saved=$conf
conf=$SCRATCH/reports.ini
# notxt.test has no [domain] section, so no report is stored for it
# and it gets no tlsrpt check.
check_case "tlsrpt: a store that is missing" 3 -n good.test none.test \
    notxt.test <<EOW
MTA-STS UNKNOWN - 3 domains checked: 1 critical, 0 warning, 0 OK, 2 not checked
good.test: tlsrpt: unknown: the reports could not be read, so what senders report was not checked: $SCRATCH/none.db: cannot open the store: unable to open database file (No such file or directory)
none.test: tlsrpt: unknown: the reports could not be read, so what senders report was not checked: $SCRATCH/none.db: cannot open the store: unable to open database file (No such file or directory)
notxt.test: sts-record: critical: no TXT record "v=STSv1; id=..." at _mta-sts.notxt.test, so senders ignore the policy; publish: $(rec_of notxt.test)
EOW
check_case "tlsrpt: not under -p" 0 -p good.test <<EOW
MTA-STS OK - 1 domain checked: 0 critical, 0 warning, 1 OK
EOW
conf=$conf_saved

# Without a domain: every [domain] section.
in_ns "$CHECK" -c "$conf" -a "$SCRATCH/ca-good/ca.crt" >"$SCRATCH/sections" 2>&1
check_eq "no domain named: the config's [domain] sections" \
    "2 MTA-STS CRITICAL - 16 domains checked: 10 critical, 3 warning, 3 OK" \
    "$? $(head -1 "$SCRATCH/sections")"

# Could not check: exit 3, with the responder's file:line messages.
printf '[policy]\nmode = enforcing\nmx = mx.ok.test\nmax_age = 86400\n' \
    >"$SCRATCH/bad.ini"
"$CHECK" -c "$SCRATCH/bad.ini" good.test >"$SCRATCH/bad.out" 2>"$SCRATCH/bad.err"
check_eq "an invalid config: exit 3 and nothing on stdout" "3 0" \
    "$? $(wc -c <"$SCRATCH/bad.out")"
printf 'mta-sts-check: %s:2: mode: "enforcing" is not one of enforce, testing, none\nmta-sts-check: %s: configuration has 1 error\n' \
    "$SCRATCH/bad.ini" "$SCRATCH/bad.ini" >"$SCRATCH/bad.want"
check_file "an invalid config: the same file:line messages" \
    "$SCRATCH/bad.want" "$SCRATCH/bad.err"
check_eq "-V: the version, exit 0" "mta-sts-check 0.1.0 0" \
    "$("$CHECK" -V) $?"
"$CHECK" -h >"$SCRATCH/help"
check_eq "-h: the synopsis, exit 0" \
    "0 usage: mta-sts-check [-c config] [-a cafile] [-n] [-p | -r] [-j jobs] [-m file] [domain ...]" \
    "$? $(head -1 "$SCRATCH/help")"
for args in "-j 0" "-j x" "-j +4" "-j 4x" "-q" "-c" "-p -r" \
    "-a /nonexistent/ca.pem"; do
	# shellcheck disable=SC2086
	"$CHECK" -c "$conf" $args good.test >/dev/null 2>&1
	check_eq "usage error $args: exit 3" 3 $?
done
"$CHECK" -c "$conf" -m >/dev/null 2>&1
check_eq "usage error -m without a file: exit 3" 3 $?
"$CHECK" -c "$conf" 'bad_name.test' >/dev/null 2>"$SCRATCH/name.err"
check_eq "a domain that is not a host name: exit 3" \
    "3 mta-sts-check: bad_name.test: \"_\" is not allowed in a host name (letters, digits, \"-\" and \".\")" \
    "$? $(cat "$SCRATCH/name.err")"
# A name as mta-sts-fcgi -d takes it (table_named): a policy host is
# refused with the name to give; case and one trailing dot are ignored.
"$CHECK" -c "$conf" mta-sts.good.test >/dev/null 2>"$SCRATCH/host.err"
check_eq "a policy host named: exit 3, the policy domain to name instead" \
    "3 mta-sts-check: mta-sts.good.test: name the policy domain, not its policy host: mta-sts-check good.test" \
    "$? $(cat "$SCRATCH/host.err")"
in_ns "$CHECK" -c "$conf" -a "$SCRATCH/ca-good/ca.crt" -n good.test \
    notxt.test >"$SCRATCH/plain.out" 2>&1
in_ns "$CHECK" -c "$conf" -a "$SCRATCH/ca-good/ca.crt" -n GOOD.Test. \
    notxt.TEST. >"$SCRATCH/dotted.out" 2>&1
check_file "upper case and a trailing dot: the same lines as the name" \
    "$SCRATCH/plain.out" "$SCRATCH/dotted.out"
check_eq "upper case and a trailing dot: reported under the name" 1 \
    "$(grep -c '^notxt.test: sts-record: critical: ' "$SCRATCH/dotted.out")"
