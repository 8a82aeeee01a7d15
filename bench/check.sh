#!/bin/bash
# SPDX-License-Identifier: ISC
# make bench (last step) or make bench-check: mta-sts-check at a
# provider's scale.  A namespace world (tests/lib/world.sh) with
# DOMAINS policy domains, all answering: dnsmasq on 53, nginx with TLS on
# 443 (one certificate naming every mta-sts host) in front of our
# responder.  Times "mta-sts-check -n" over all of them, ROUNDS times,
# then again with one more domain whose DNS never answers.  Writes the
# section "mta-sts-check at scale" of BENCHMARKS.md (replacing it, or
# appending it) without touching the rest.
# The issue's target: 1,000 domains in <= 10 s; the silent domain adds
# no more than its own timeouts.
set -u
cd "$(dirname "$0")/.." || exit 1
DOMAINS=${DOMAINS:-1000}
ROUNDS=${ROUNDS:-3}
JOBS=${JOBS:-32}
OUT=${OUT:-BENCHMARKS.md}
. tests/lib/suite.sh
. tests/lib/world.sh
. bench/lib.sh
CHECK=$TOP/build/mta-sts-check
trap 'cleanup; world_destroy' EXIT
die() { echo "bench/check: $*" >&2; exit 1; }
if [ ! -x "$CHECK" ] || [ ! -x "$BIN" ]; then die "build first (make)"; fi

conf=$SCRATCH/bench.ini
names=
{
	printf '[policy]\nmode = enforce\nmx = mx.ok.test\nmax_age = 604800\n'
	printf 'tlsrpt = mailto:tlsrpt@ok.test\n'
	for i in $(seq -w 1 "$DOMAINS"); do printf '\n[domain d%s.test]\n' "$i"; done
} >"$conf"
slowconf=$SCRATCH/bench-slow.ini
{ cat "$conf"; printf '\n[domain slow.test]\n'; } >"$slowconf"
"$BIN" -d -c "$conf" >"$SCRATCH/records" || die "bad config"
zone=$SCRATCH/zone
sed -n 's/^\(_[^ ]*\)\. IN TXT "\(.*\)"$/txt-record=\1,"\2"/p' \
    "$SCRATCH/records" >"$zone"
for i in $(seq -w 1 "$DOMAINS"); do
	echo "host-record=mta-sts.d$i.test,127.0.0.1"
	echo "mx-host=d$i.test,mx.ok.test,10"
	names="$names mta-sts.d$i.test"
done >>"$zone"
echo "server=/slow.test/127.0.0.6" >>"$zone"
ca_new bench
cert web bench "$names" || die "certificate"
world_fcgi_server web 'listen 127.0.0.1:443 ssl default_server;' \
    >"$SCRATCH/servers"
world_create || die "namespace"
world_dns_start "$zone" || die "dnsmasq"
world_blackhole 127.0.0.6
world_responder "$conf" || die "responder"
world_nginx "$SCRATCH/servers" || die "nginx"

# run CONF [DOMAIN]: seconds for one run; its summary line in
# $SCRATCH/summary.
run() {
	local t0 t1
	t0=$(date +%s%N)
	# shellcheck disable=SC2086
	in_ns "$CHECK" -n -j "$JOBS" -c "$1" -a "$SCRATCH/ca-bench/ca.crt" \
	    ${2:-} >"$SCRATCH/out" 2>&1
	echo "$?" >"$SCRATCH/status"
	t1=$(date +%s%N)
	head -1 "$SCRATCH/out" >"$SCRATCH/summary"
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", (b - a) / 1e9 }'
}
median() { tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

all='' slow='' added='' alone=''
for r in $(seq 1 "$ROUNDS"); do
	t=$(run "$conf")
	all="$all $t"
	[ "$(cat "$SCRATCH/status")" = 0 ] ||
	    die "all-good run exited $(cat "$SCRATCH/status"): $(head -3 "$SCRATCH/out")"
	sum_all=$(cat "$SCRATCH/summary")
	t=$(run "$slowconf")
	slow="$slow $t"
	sum_slow=$(cat "$SCRATCH/summary")
	slow_line=$(grep '^slow.test: ' "$SCRATCH/out")
	# Back to back, so a busy moment hits both runs of a round alike.
	added="$added $(awk -v a="${all##* }" -v b="$t" 'BEGIN { printf "%.2f", b - a }')"
	alone="$alone $(run "$slowconf" slow.test)"
	echo "bench/check: round $r: $DOMAINS domains ${all##* } s, with the silent one ${slow##* } s, the silent one alone ${alone##* } s"
done
m_all=$(echo "$all" | median)
m_slow=$(echo "$slow" | median)
m_added=$(echo "$added" | median)
m_alone=$(echo "$alone" | median)
wait=$(echo "$slow_line" | sed -n 's/.*within \([0-9]*\) s.*/\1/p')

section=$SCRATCH/section
cat >"$section" <<EOS
## mta-sts-check at scale

\`bench/check.sh\` ($(date -u +%Y-%m-%d), $(nproc) cores, shared): $DOMAINS policy
domains in a network namespace, each with its TXT records, its policy host
and an MX in dnsmasq, every policy fetched over TLS from nginx in front of
mta-sts-fcgi (\`-w 2\`); \`mta-sts-check -n -j $JOBS\`, median of $ROUNDS runs.

| run | seconds (runs) | target |
|---|---|---|
| $DOMAINS domains, all answering | $m_all ($all ) | ≤ 10 |
| the same plus one domain whose DNS never answers | $m_slow ($slow ) | |
| what that domain added, round by round | $m_added ($added ) | ≤ its timeouts |
| that domain checked alone: its timeouts ($wait s by the resolver's settings) | $m_alone ($alone ) | |

Summaries: \`$sum_all\`; \`$sum_slow\`, with
\`$slow_line\`.

The silent domain's questions wait in one job while the other jobs go
on; it is the last domain of the config, so it starts when the others are
nearly done and adds its own timeouts, once, not once per domain.
EOS
bench_section "mta-sts-check at scale" "$section" "$OUT"
echo "bench/check: $DOMAINS domains: $m_all s; with a silent DNS zone: $m_slow s (+$m_added s; alone $m_alone s); wrote $OUT"
