# SPDX-License-Identifier: ISC
# shellcheck shell=bash
# A test-private knot that accepts RFC 2136 updates signed with a TSIG
# key: its own config, storage, control socket and PID, never the
# system's service.  Shared by tests/update (knot on a loopback high port)
# and tests/publish (knot on port 53 of a network namespace).  Sourced
# after tests/lib/suite.sh.
# usage: knot_keys; knot_conf DIR LISTEN ZONE...; append records to
#        DIR/ZONE.zone; start knot [ip netns exec NS] knotd -c DIR/knot.conf;
#        within 100 knot_serves ZONE DIG...; published WANT DIG...

# knot_keys: the key "mta-sts-update" ($SECRET) and a wrong one with the
# same name, as nsupdate reads them ($SCRATCH/nsupdate.key,
# wrong-nsupdate.key) and as knsupdate does (knsupdate.key,
# wrong-knsupdate.key).
knot_keys() {
	SECRET=$(head -c 32 /dev/urandom | base64)
	local wrong
	wrong=$(head -c 32 /dev/urandom | base64)
	printf 'key "mta-sts-update" {\n\talgorithm hmac-sha256;\n\tsecret "%s";\n};\n' \
	    "$SECRET" >"$SCRATCH/nsupdate.key"
	printf 'key "mta-sts-update" {\n\talgorithm hmac-sha256;\n\tsecret "%s";\n};\n' \
	    "$wrong" >"$SCRATCH/wrong-nsupdate.key"
	echo "hmac-sha256:mta-sts-update:$SECRET" >"$SCRATCH/knsupdate.key"
	echo "hmac-sha256:mta-sts-update:$wrong" >"$SCRATCH/wrong-knsupdate.key"
}

# knot_conf DIR LISTEN ZONE...: DIR/knot.conf for a knot listening on
# LISTEN (ADDRESS@PORT) that serves each ZONE from DIR/ZONE.zone (an SOA,
# NS ns and ns A 127.0.0.1 to start with) and accepts updates signed
# with $SECRET's key (knot_keys first).
knot_conf() {
	local d=$1 listen=$2 z
	shift 2
	mkdir -p "$d/db"
	cat >"$d/knot.conf" <<EOC
server:
    rundir: "$d"
    pidfile: "$d/knot.pid"
    listen: $listen
control:
    listen: "$d/knot.sock"
log:
  - target: stderr
    any: info
database:
    storage: "$d/db"
key:
  - id: mta-sts-update
    algorithm: hmac-sha256
    secret: $SECRET
acl:
  - id: update
    key: mta-sts-update
    action: update
template:
  - id: default
    storage: "$d"
    file: "%s.zone"
    acl: update
zone:
EOC
	for z in "$@"; do
		echo "  - domain: $z" >>"$d/knot.conf"
		# shellcheck disable=SC2016
		printf '$ORIGIN %s.\n$TTL 3600\n@ SOA ns hostmaster 1 3600 600 604800 300\n@ NS ns\nns A 127.0.0.1\n' \
		    "$z" >"$d/$z.zone"
	done
}

# knot_serves ZONE DIG...: true once DIG (a dig command line with its
# server) gets ZONE's SOA.
knot_serves() {
	local z=$1
	shift
	[ -n "$("$@" +short +time=1 +tries=1 SOA "$z")" ]
}

# published WANT DIG...: every TXT record of every name in WANT (lines
# as -d prints them), as DIG (a dig command line with its server) sees
# it, in -d's form "NAME IN TXT DATA", to $SCRATCH/got; their TTLs to
# $SCRATCH/ttls.
published() {
	local want=$1 name
	shift
	: >"$SCRATCH/ttls"
	for name in $(cut -d' ' -f1 "$want" | uniq); do
		"$@" +noall +answer +time=2 +tries=1 TXT "$name"
	done | sed -E 's/^([^[:space:]]+)[[:space:]]+([0-9]+)[[:space:]]+IN[[:space:]]+TXT[[:space:]]+/\2 \1 IN TXT /' |
	    while read -r ttl rest; do
		echo "$ttl" >>"$SCRATCH/ttls"
		echo "$rest"
	done >"$SCRATCH/got"
}

# knot_signed_conf DIR LISTEN "SIGNED..." "UNSIGNED...": DIR/knot.conf for
# a knot on LISTEN (ADDRESS@PORT) that serves each zone from DIR/ZONE.zone
# (an SOA, NS ns and ns A 127.0.0.1 to start with), signing each SIGNED
# zone itself (automatic DNSSEC signing: keys made at the first start,
# ECDSA P-256, NSEC) and the UNSIGNED ones as they are; no updates.
# knot_ksk then says which key to trust.
knot_signed_conf() {
	local d=$1 listen=$2 signed=$3 unsigned=$4 z
	mkdir -p "$d/db"
	cat >"$d/knot.conf" <<EOC
server:
    rundir: "$d"
    pidfile: "$d/knot.pid"
    listen: $listen
control:
    listen: "$d/knot.sock"
log:
  - target: stderr
    any: info
database:
    storage: "$d/db"
policy:
  - id: test
    algorithm: ecdsap256sha256
template:
  - id: default
    storage: "$d"
    file: "%s.zone"
  - id: signed
    storage: "$d"
    file: "%s.zone"
    dnssec-signing: on
    dnssec-policy: test
zone:
EOC
	for z in $signed $unsigned; do
		echo "  - domain: $z" >>"$d/knot.conf"
		case " $signed " in *" $z "*)
			echo "    template: signed" >>"$d/knot.conf" ;;
		esac
		# shellcheck disable=SC2016
		printf '$ORIGIN %s.\n$TTL 3600\n@ SOA ns hostmaster 1 3600 600 604800 300\n@ NS ns\nns A 127.0.0.1\n' \
		    "$z" >"$d/$z.zone"
	done
}

# knot_ksk ZONE DIG...: ZONE's key-signing key as DIG (a dig or kdig
# command line with its server) gets it, as a trust anchor line
# "ZONE. DNSKEY 257 3 13 ..."; nothing until the zone is signed.
knot_ksk() {
	local z=$1
	shift
	"$@" +short +time=1 +retry=0 DNSKEY "$z" | sed -n "s/^257 /$z. DNSKEY 257 /p"
}
