#!/bin/bash
# SPDX-License-Identifier: ISC
# bench/reload-pss.sh BIN CONF [CLIENT]: the PSS (kB, smaps_rollup) of the
# supervisor and each of 4 workers after 200 requests with random Hosts,
# then (RELOAD=1) the time from SIGHUP to "reloaded" and the PSS again.
# CONF as bench/run.sh's gen_conf writes it (customerN.example).
# Written for the issue 17 section of BENCHMARKS.md.
bin=$1 conf=$2 client=${3:-build/tests/tools/fcgi-client}
dir=$(mktemp -d "${TMPDIR:-/tmp}/reload-pss.XXXXXX")
sock=$dir/s
"$bin" -c "$conf" -s "unix:$sock" -w 4 2>"$dir/err" & pid=$!
for i in $(seq 1 100); do [ -S $sock ] && [ "$(cat /proc/$pid/task/*/children | wc -w)" = 4 ] && break; sleep 0.1; done
sleep 0.5
for i in $(seq 1 200); do "$client" "unix:$sock" REQUEST_METHOD=GET REQUEST_URI=/.well-known/mta-sts.txt HTTP_HOST=mta-sts.customer$((RANDOM*3 % 100000)).example >/dev/null; done
sup=$(awk '/^Pss:/{print $2}' /proc/$pid/smaps_rollup)
ws=""; tot=$sup
for c in $(cat /proc/$pid/task/*/children); do p=$(awk '/^Pss:/{print $2}' /proc/$c/smaps_rollup); ws="$ws $p"; tot=$((tot+p)); done
echo "supervisor $sup kB; workers$ws kB; total $tot kB"
if [ -n "$RELOAD" ]; then
  t0=$(date +%s%N); n=$(grep -c reloaded "$dir/err"); kill -HUP $pid
  until [ "$(grep -c 'reloaded' "$dir/err")" -gt "$n" ]; do sleep 0.01; done
  t1=$(date +%s%N); echo "reload to \"reloaded\": $(( (t1-t0)/1000000 )) ms"
  sleep 0.3
  sup=$(awk '/^Pss:/{print $2}' /proc/$pid/smaps_rollup); ws=""; tot=$sup
  for c in $(cat /proc/$pid/task/*/children); do p=$(awk '/^Pss:/{print $2}' /proc/$c/smaps_rollup); ws="$ws $p"; tot=$((tot+p)); done
  echo "after reload: supervisor $sup kB; workers$ws kB; total $tot kB"
fi
kill "$pid"; wait "$pid"; rm -rf "$dir"
