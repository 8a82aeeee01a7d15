# SPDX-License-Identifier: ISC
# shellcheck shell=bash
# Shared by the benchmark scripts that write one section of
# BENCHMARKS.md each (bench/check.sh, bench/dir-scale.sh).

# bench_section TITLE FILE OUT: replaces the section "## TITLE" of OUT
# with FILE (which starts with that heading), or appends it; the rest
# of OUT is left as it was.
bench_section() {
	local title=$1 sec=$2 out=$3 tmp
	tmp=$(mktemp "${TMPDIR:-/tmp}/bench-section.XXXXXX") || return 1
	touch "$out"
	awk -v sec="$sec" -v head="## $title" '
		$0 == head { skip = 1; while ((getline l < sec) > 0) print l; next }
		skip && /^## / { skip = 0 }
		!skip { print }
	' "$out" >"$tmp"
	grep -qxF "## $title" "$tmp" || { echo; cat "$sec"; } >>"$tmp"
	cp "$tmp" "$out"
	rm -f "$tmp"
}

# bench_pss PID: the proportional set size in kB of PID and all its
# descendants (from the kernel's children lists).
bench_pss() {
	local p=$1 c sum
	sum=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null)
	sum=${sum:-0}
	for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do
		sum=$((sum + $(bench_pss "$c")))
	done
	echo "$sum"
}
