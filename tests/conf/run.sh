#!/bin/bash
# SPDX-License-Identifier: ISC
# Golden-file tests of the config loader.
#   good/NAME.ini: -t must succeed; stderr == NAME.check, -T stdout ==
#     NAME.policies, -d [NAME.args] stdout == NAME.dns, -U [NAME.args]
#     stdout == NAME.update
#   good/NAME.d, bad/NAME.d: a directory read as one config (-c DIR),
#     with the same files beside it
#   bad/NAME.ini: -t must fail with exit 1 and stderr == NAME.check; -T,
#     -d and -U must fail too and print nothing on stdout (no half output)
# UPDATE=1 rewrites the expected files from the current output; review the
# diff before committing it.
. tests/lib/suite.sh
need "$BIN"
cd tests/conf || exit 1

expect() {	# expect NAME WANT_FILE GOT_FILE
	if [ "${UPDATE:-0}" = 1 ]; then
		cp "$3" "$2"
	fi
	check_file "$1" "$2" "$3"
}

for ini in good/*.ini good/*.d; do
	n=${ini%.ini}
	n=${n%.d}
	args=$(cat "$n.args" 2>/dev/null)
	"$BIN" -t -c "$ini" >"$SCRATCH/out" 2>"$SCRATCH/err"
	check_eq "$ini: -t exits 0" 0 $?
	expect "$ini: -t diagnostics" "$n.check" "$SCRATCH/err"
	"$BIN" -T -c "$ini" >"$SCRATCH/out" 2>/dev/null
	check_eq "$ini: -T exits 0" 0 $?
	expect "$ini: -T policies" "$n.policies" "$SCRATCH/out"
	# shellcheck disable=SC2086
	"$BIN" -c "$ini" -d $args >"$SCRATCH/out" 2>/dev/null
	check_eq "$ini: -d exits 0" 0 $?
	expect "$ini: -d records" "$n.dns" "$SCRATCH/out"
	# shellcheck disable=SC2086
	"$BIN" -c "$ini" -U $args >"$SCRATCH/out" 2>/dev/null
	check_eq "$ini: -U exits 0" 0 $?
	expect "$ini: -U update script" "$n.update" "$SCRATCH/out"
done

for ini in bad/*.ini bad/*.d; do
	n=${ini%.ini}
	n=${n%.d}
	"$BIN" -t -c "$ini" >"$SCRATCH/out" 2>"$SCRATCH/err"
	check_eq "$ini: -t exits 1" 1 $?
	expect "$ini: -t diagnostics" "$n.check" "$SCRATCH/err"
	"$BIN" -T -c "$ini" >"$SCRATCH/out" 2>/dev/null
	rc=$?
	check_eq "$ini: -T exits 1 and prints no policy" "1 0" \
	    "$rc $(wc -c <"$SCRATCH/out")"
	"$BIN" -d -c "$ini" example.com >"$SCRATCH/out" 2>/dev/null
	rc=$?
	check_eq "$ini: -d exits 1 and prints no record" "1 0" \
	    "$rc $(wc -c <"$SCRATCH/out")"
	"$BIN" -U -c "$ini" example.com >"$SCRATCH/out" 2>/dev/null
	rc=$?
	check_eq "$ini: -U exits 1 and prints no update" "1 0" \
	    "$rc $(wc -c <"$SCRATCH/out")"
done

# mta-sts-check reads a directory the same way (conf_load): a broken one
# gives the same diagnostics and exit status 3, before any network use.
CHECK=${CHECK:-$TOP/${O:-build}/mta-sts-check}
need "$CHECK"
"$CHECK" -c bad/provider.d >"$SCRATCH/out" 2>"$SCRATCH/err"
check_eq "mta-sts-check -c DIR: a broken directory exits 3, prints nothing" \
    "3 0" "$? $(wc -c <"$SCRATCH/out")"
sed 's/^mta-sts-fcgi:/mta-sts-check:/' bad/provider.check >"$SCRATCH/want"
check_file "mta-sts-check -c DIR: the same file:line diagnostics" \
    "$SCRATCH/want" "$SCRATCH/err"

# The policy id is the SHA-256 of the served bytes: what an operator
# gets from "curl ... | sha256sum".
sha256sum <"$EXPECTED/minimal.txt" | cut -c1-32 >"$SCRATCH/want"
"$BIN" -c good/minimal.ini -d example.com 2>/dev/null |
    sed 's/.*id=\([0-9a-f]*\)".*/\1/' >"$SCRATCH/got"
check_file "id == sha256sum of the body" "$SCRATCH/want" "$SCRATCH/got"

# A policy over the 64,000 bytes senders accept is refused (generated:
# 4,000 mx lines are too big to keep as a golden file).
{
	printf '[policy]\nmode = enforce\nmax_age = 604800\n'
	i=0
	while [ $i -lt 4000 ]; do
		echo "mx = mx$i.example.com"
		i=$((i + 1))
	done
} >"$SCRATCH/big.ini"
"$BIN" -t -c "$SCRATCH/big.ini" >/dev/null 2>"$SCRATCH/err"
check_eq "a policy over 64000 bytes: exit 1" 1 $?
check_eq "a policy over 64000 bytes: diagnostic" \
    "mta-sts-fcgi: $SCRATCH/big.ini:1: [policy]: the policy is longer than the 64000 bytes senders accept: list fewer mx patterns (one \"*.example.com\" covers every mx1.example.com, mx2.example.com ...)" \
    "$(head -1 "$SCRATCH/err")"

# The example users copy is valid.
cd "$TOP" || exit 1
"$BIN" -t -c etc/mta-sts-fcgi.ini >/dev/null 2>"$SCRATCH/err"
check_eq "etc/mta-sts-fcgi.ini passes -t" 0 $?
