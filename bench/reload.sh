#!/bin/bash
# SPDX-License-Identifier: ISC
# make bench (a step) or make bench-reload: what a reload costs at
# scale.  For each of SCALES policy domains (default 100,000 and
# 1,000,000; every tenth with a policy of its own, as bench/dir-scale.sh
# writes them), the responder runs with -w WORKERS on a unix socket:
#   - start-up: exec to the first answer;
#   - reload: SIGHUP to the first answer with the new policy (best of
#     ROUNDS);
#   - memory: the PSS of all its processes after start-up and after the
#     reloads (the workers' shared pages counted once);
#   - stop during a load: SIGHUP, then SIGTERM 0.1 s later, to the exit.
# Writes the section "Reload at scale" of BENCHMARKS.md, under the label
# LABEL (e.g. "before", "after"), keeping the other label's rows; BIN
# picks the binary (default build/mta-sts-fcgi).
set -u
cd "$(dirname "$0")/.." || exit 1
SCALES=${SCALES:-100000 1000000}
WORKERS=${WORKERS:-4}
ROUNDS=${ROUNDS:-3}
LABEL=${LABEL:-this tree}
OUT=${OUT:-BENCHMARKS.md}
. tests/lib/suite.sh
. bench/lib.sh
die() { echo "bench/reload: $*" >&2; exit 1; }
[ -x "$BIN" ] && [ -x "$CLIENT" ] ||
    die "build first (make all build/tests/tools/fcgi-client)"
P=/.well-known/mta-sts.txt
now_ms() { date +%s%3N; }

# write_conf N MX FILE: N domains, the default policy naming MX.
write_conf() {
	awk -v n="$1" -v mx="$2" 'BEGIN {
		printf "[policy]\nmode = enforce\nmx = %s\nmx = *.example.net\nmax_age = 604800\n", mx
		for (i = 0; i < n; i++) {
			printf "\n[domain customer%d.example]\n", i
			if (i % 10 == 1)
				printf "mx = mx.customer%d.example\n", i
		}
	}' >"$3"
}

# body_has SOCK TEXT: does customer0's policy now contain TEXT?
body_has() {
	"$CLIENT" "unix:$1" REQUEST_METHOD=GET "REQUEST_URI=$P" \
	    HTTP_HOST=mta-sts.customer0.example 2>/dev/null | grep -q "$2"
}

# wait_for SOCK TEXT PID: polls until the policy has TEXT.
wait_for() {
	until body_has "$1" "$2"; do
		gone "$3" && die "the server exited"
		sleep 0.002
	done
}

rows=
for n in $SCALES; do
	write_conf "$n" mail-a.example.com "$SCRATCH/a.ini"
	write_conf "$n" mail-b.example.com "$SCRATCH/b.ini"
	cp "$SCRATCH/a.ini" "$SCRATCH/conf.ini"
	sock=$SCRATCH/s.sock
	rm -f "$sock"
	t0=$(now_ms)
	start "server-$n" "$BIN" -c "$SCRATCH/conf.ini" -w "$WORKERS" \
	    -s "unix:$sock"
	pid=$LAST_PID
	wait_for "$sock" mail-a "$pid"
	startup=$(( $(now_ms) - t0 ))
	sleep 1
	pss0=$(bench_pss "$pid")
	best=
	want=mail-a
	for i in $(seq "$ROUNDS"); do
		if [ $want = mail-a ]; then want=mail-b; else want=mail-a; fi
		cp "$SCRATCH/$( [ $want = mail-a ] && echo a || echo b).ini" \
		    "$SCRATCH/conf.ini"
		t0=$(now_ms)
		kill -HUP "$pid"
		wait_for "$sock" "$want" "$pid"
		t=$(( $(now_ms) - t0 ))
		[ -z "$best" ] || [ "$t" -lt "$best" ] && best=$t
		sleep 1
	done
	pss1=$(bench_pss "$pid")
	kill -HUP "$pid"
	sleep 0.1
	t0=$(now_ms)
	kill -TERM "$pid"
	while ! gone "$pid"; do sleep 0.005; done
	stop=$(( $(now_ms) - t0 ))
	rows="$rows| $LABEL | $n | $startup | $best | $((pss0 / 1024)) | $((pss1 / 1024)) | $stop |
"
	echo "$LABEL $n: start-up $startup ms, reload $best ms," \
	    "PSS $((pss0 / 1024)) -> $((pss1 / 1024)) MiB, stop during" \
	    "a load $stop ms"
done

# Keep the rows of other labels, replace this label's.
old=$(awk '/^## Reload at scale$/ { s = 1; next } s && /^## / { s = 0 }
    s && /^\| [^-]/ && !/^\| label/' "$OUT" 2>/dev/null |
    grep -vF "| $LABEL |")
sec=$SCRATCH/section
{
	echo "## Reload at scale"
	echo
	echo "\`bench/reload.sh\` ($(date -u +%Y-%m-%d), $(nproc) cores):"
	echo "the responder with \`-w $WORKERS\` on a unix socket, a single"
	echo "config file, every tenth domain with a policy of its own."
	echo "Reload: SIGHUP to the first answer with the new policy, best of"
	echo "$ROUNDS. PSS: all its processes, after start-up and after the"
	echo "reloads. Stop: SIGTERM 0.1 s into a load, to the exit."
	echo
	echo "| label | domains | start-up ms | reload ms | PSS MiB | PSS after reloads MiB | stop during a load ms |"
	echo "|---|---|---|---|---|---|---|"
	[ -n "$old" ] && echo "$old"
	printf '%s' "$rows"
} >"$sec"
bench_section "Reload at scale" "$sec" "$OUT"
