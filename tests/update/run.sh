#!/bin/bash
# SPDX-License-Identifier: ISC
# -U for real: its script piped into nsupdate (bind9-dnsutils) and
# knsupdate (knot-dnsutils), sent to a knot of our own on a loopback high
# port that accepts RFC 2136 updates signed with a TSIG key.  dig must
# then show exactly the records -d prints, once each; a second -U after a
# config change replaces them; a wrong key is refused, and the pipeline's
# exit status says so.
. tests/lib/suite.sh
. tests/lib/knot.sh
need "$BIN"
for p in knotd knotc nsupdate knsupdate dig; do
	if ! command -v "$p" >/dev/null; then
		notok "$p is not installed (scripts/deps.sh check)"
		exit 1
	fi
done

D=$SCRATCH/knot
PORT=$(free_port)
knot_keys
knot_conf "$D" "127.0.0.1@$PORT" example.com example.net
start knot knotd -c "$D/knot.conf"
KNOT=$LAST_PID
if ! within 100 knot_serves example.com dig @127.0.0.1 -p "$PORT" ||
    ! within 100 knot_serves example.net dig @127.0.0.1 -p "$PORT"; then
	notok "knot answers on 127.0.0.1:$PORT"
	sed 's/^/#   /' "$SCRATCH/knot.err" | tail -20
	exit 1
fi
ok "knot answers on 127.0.0.1:$PORT"

# config MODE TLSRPT_USER: two zones, a domain inside a larger zone, a
# section with two domains, and a rua list of two URIs.
long=$(printf 'r%.0s' $(seq 1 60))
config() {
	cat >"$SCRATCH/conf.ini" <<EOC
[policy]
mode = $1
mx = mail.example.com
max_age = 604800

[domain example.com]
tlsrpt = mailto:$2@example.com

[domain shop.example.com eu.shop.example.com]
zone = example.com

[domain example.net]
tlsrpt = mailto:$long@example.net, https://reports.example.net/$long
EOC
	"$BIN" -c "$SCRATCH/conf.ini" -d >"$SCRATCH/want" 2>/dev/null
	[ -s "$SCRATCH/want" ] || notok "config $1 $2: -d prints records"
}

# update CLIENT KEYFILE: -U's script, behind a server line, into CLIENT.
update() {
	set -o pipefail
	{ echo "server 127.0.0.1 $PORT"; "$BIN" -c "$SCRATCH/conf.ini" -U \
	    2>"$SCRATCH/U.err"; } |
	    timeout $((30 * SCALE)) "$1" -k "$2" >"$SCRATCH/update.out" 2>&1
	local rc=$?
	set +o pipefail
	return $rc
}

# check_published NAME: dig shows exactly -d's records, each with TTL 300.
check_published() {
	published "$SCRATCH/want" dig @127.0.0.1 -p "$PORT"
	check_file "$1: dig shows exactly the records -d prints" \
	    "$SCRATCH/want" "$SCRATCH/got"
	check_eq "$1: each with TTL 300" "$(wc -l <"$SCRATCH/want") 300" \
	    "$(wc -l <"$SCRATCH/ttls") $(sort -u "$SCRATCH/ttls" | tr '\n' ' ' | sed 's/ $//')"
}

config enforce tlsrpt
check_eq "the config has 6 records" 6 "$(wc -l <"$SCRATCH/want")"
update nsupdate "$SCRATCH/nsupdate.key"
check_eq "nsupdate takes -U's script" 0 $?
check_published "after nsupdate"

first=$(cat "$SCRATCH/want")
config testing reports
[ "$first" != "$(cat "$SCRATCH/want")" ]
check_eq "a new mode and rua change the records" 0 $?
update knsupdate "$SCRATCH/knsupdate.key"
check_eq "knsupdate takes -U's script" 0 $?
check_published "after a change, through knsupdate (replaced, not added)"

config enforce tls
update nsupdate "$SCRATCH/nsupdate.key"
check_eq "nsupdate replaces knsupdate's records" 0 $?
check_published "after another change, through nsupdate"
cp "$SCRATCH/want" "$SCRATCH/live"

# A wrong key: refused, the pipeline fails, and nothing changes.
config none wrong
update nsupdate "$SCRATCH/wrong-nsupdate.key"
rc=$?
check_eq "nsupdate with a wrong key: the pipeline fails" 1 $((rc != 0))
check_eq "nsupdate with a wrong key: the server says BADSIG" 1 \
    "$(grep -c -m1 'BADSIG' "$SCRATCH/update.out")"
update knsupdate "$SCRATCH/wrong-knsupdate.key"
rc=$?
check_eq "knsupdate with a wrong key: the pipeline fails" 1 $((rc != 0))
check_eq "knsupdate with a wrong key: the server says BADSIG" 1 \
    "$(grep -c -m1 'BADSIG' "$SCRATCH/update.out")"
cp "$SCRATCH/live" "$SCRATCH/want"
check_published "after the wrong keys: still the last records"

# A broken config: -U prints nothing, and with pipefail the pipeline
# fails even though nsupdate, given an empty script, succeeds.
echo "mode = enforce" >"$SCRATCH/conf.ini"
update nsupdate "$SCRATCH/nsupdate.key"
check_eq "a broken config fails the pipeline (pipefail)" 1 $?
check_published "after the broken config: still the last records"

stop "$KNOT"
check_eq "knot stops on SIGTERM" 0 $?
