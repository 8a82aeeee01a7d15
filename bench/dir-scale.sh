#!/bin/bash
# SPDX-License-Identifier: ISC
# make bench (a step) or make bench-dir: a provider's config directory.
# DOMAINS policy domains (default 100,000) in FILES files (default
# 1,000) read with -c DIR, against the same domains in one file: -t and
# start-up (exec to the first answer over the socket, -w 1), best of
# ROUNDS, and the PSS of all the server's processes after start-up; the
# peak RSS of -t.  Every tenth domain has a policy of its own, as in
# bench/run.sh's scale rows.  Both configs must print the same DNS
# records (-d) and serve the same bytes.  Writes the section "Scale:
# a config directory" of BENCHMARKS.md without touching the rest.
# The issue's target: -t and start-up <= 1.5 s with the directory, memory
# as the single file's.
set -u
cd "$(dirname "$0")/.." || exit 1
DOMAINS=${DOMAINS:-100000}
FILES=${FILES:-1000}
ROUNDS=${ROUNDS:-3}
OUT=${OUT:-BENCHMARKS.md}
. tests/lib/suite.sh
. bench/lib.sh
die() { echo "bench/dir-scale: $*" >&2; exit 1; }
[ -x "$BIN" ] && [ -x "$CLIENT" ] || die "build first (make all build/tests/tools/fcgi-client)"
[ -x /usr/bin/time ] || die "GNU time is not installed (make bench installs it)"
P=/.well-known/mta-sts.txt

# The same domains and policies, one file and a directory of FILES.
mkdir -p "$SCRATCH/conf.d"
awk -v n="$DOMAINS" -v files="$FILES" -v dir="$SCRATCH/conf.d" \
    -v one="$SCRATCH/one.ini" 'BEGIN {
	head = "[policy]\nmode = enforce\nmx = mail.example.com\nmx = *.example.net\nmax_age = 604800\n"
	printf "%s", head > one
	per = int((n + files - 1) / files)
	for (i = 0; i < n; i++) {
		f = sprintf("%s/customers-%04d.ini", dir, int(i / per))
		if (i == 0) printf "%s", head > f
		s = sprintf("\n[domain customer%d.example]\n", i)
		if (i % 10 == 1) s = s sprintf("mx = mx.customer%d.example\n", i)
		printf "%s", s > one
		printf "%s", s > f
		if (i % per == per - 1) close(f)
	}
}' || die "could not write the configs"
nfiles=$(find "$SCRATCH/conf.d" -name '*.ini' | wc -l)
[ "$nfiles" -eq "$FILES" ] || die "wrote $nfiles files, not $FILES"

"$BIN" -d -c "$SCRATCH/one.ini" >"$SCRATCH/one.d" || die "one file: -d failed"
"$BIN" -d -c "$SCRATCH/conf.d" >"$SCRATCH/dir.d" || die "directory: -d failed"
cmp -s "$SCRATCH/one.d" "$SCRATCH/dir.d" ||
    die "the directory's records differ from the single file's"
records=$(grep -c '^_mta-sts\.' "$SCRATCH/dir.d")
[ "$records" -eq "$DOMAINS" ] || die "$records records for $DOMAINS domains"

now_ms() { date +%s%3N; }
# peak_rss_kb CMD...: the peak RSS of CMD (GNU time's %M), run to its end.
peak_rss_kb() {
	/usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1
}
# measure NAME CONF: one row of the table, in $ROW.
measure() {
	local name=$1 conf=$2 best_t= best_s= t i t0 pid pss body
	for i in $(seq "$ROUNDS"); do
		t0=$(now_ms)
		"$BIN" -t -c "$conf" >/dev/null 2>&1 || die "$name: -t failed"
		t=$(( $(now_ms) - t0 ))
		[ -z "$best_t" ] || [ "$t" -lt "$best_t" ] && best_t=$t
	done
	for i in $(seq "$ROUNDS"); do
		rm -f "$SCRATCH/s.sock"
		t0=$(now_ms)
		start "server-$name-$i" "$BIN" -c "$conf" -w 1 -s "unix:$SCRATCH/s.sock"
		pid=$LAST_PID
		until "$CLIENT" "unix:$SCRATCH/s.sock" REQUEST_METHOD=GET \
		    "REQUEST_URI=$P" HTTP_HOST=mta-sts.customer0.example \
		    >/dev/null 2>&1; do
			gone "$pid" && die "$name: the server exited"
			sleep 0.005
		done
		t=$(( $(now_ms) - t0 ))
		[ -z "$best_s" ] || [ "$t" -lt "$best_s" ] && best_s=$t
		body=$("$CLIENT" "unix:$SCRATCH/s.sock" REQUEST_METHOD=GET \
		    "REQUEST_URI=$P" HTTP_HOST="mta-sts.customer$((DOMAINS - 9)).example")
		echo "$body" | grep -q "^mx: mx.customer$((DOMAINS - 9)).example" ||
		    die "$name: the last file's policy is not served"
		pss=$(bench_pss "$pid")
		stop "$pid" || die "$name: SIGTERM did not stop the server"
	done
	ROW="| $name | $best_t | $best_s | $(awk -v k="$pss" 'BEGIN { printf "%.1f", k / 1024 }') | $(awk -v k="$(peak_rss_kb "$BIN" -t -c "$conf")" 'BEGIN { printf "%.1f", k / 1024 }') |"
	echo "bench/dir-scale: $ROW"
}

measure "one file" "$SCRATCH/one.ini"
row_one=$ROW
measure "$FILES files (-c DIR)" "$SCRATCH/conf.d"
row_dir=$ROW
t_dir=$(echo "$row_dir" | awk -F' [|] ' '{ print $2 }')
s_dir=$(echo "$row_dir" | awk -F' [|] ' '{ print $3 }')
verdict() { [ "$1" -le 1500 ] && echo met || echo MISSED; }

section=$SCRATCH/section
load=$(cut -d' ' -f1 /proc/loadavg)
cat >"$section" <<EOS
## Scale: a config directory

\`bench/dir-scale.sh\` ($(date -u +%Y-%m-%d), $(nproc) cores, load $load at the end): $DOMAINS policy
domains, every tenth with a policy of its own, once in one file and once
spread over $FILES files read with \`-c DIR\` (\`[policy]\` in the first);
both print the same $records DNS records (\`-d\`, compared byte for byte).
Best of $ROUNDS; start-up is from exec to the first answer over the socket
(\`-w 1\`); PSS is the supervisor and its worker after start-up; the peak
RSS is that of \`-t\`.

| config | \`-t\` ms | start-up ms | PSS MiB | \`-t\` peak RSS MiB |
|---|---:|---:|---:|---:|
$row_one
$row_dir

Targets (issue 11): \`-t\` ≤ 1,500 ms: $t_dir ms, $(verdict "$t_dir");
start-up ≤ 1,500 ms: $s_dir ms, $(verdict "$s_dir"); memory as the single
file's (the table's last two columns).
EOS
bench_section "Scale: a config directory" "$section" "$OUT"
echo "bench/dir-scale: wrote $OUT"
