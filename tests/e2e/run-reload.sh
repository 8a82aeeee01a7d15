#!/bin/bash
# SPDX-License-Identifier: ISC
# Reload (issue 17): the raw FastCGI cases of tests/faults/reload.py (kept
# connections under a reload storm, the same workers, old until the new
# is wholly ready, a failed or unforkable load, SIGTERM during a load, the
# signals), then a reload storm through nginx's keepalive config
# (contrib/nginx/mta-sts-keepalive.conf): every request 200, and nginx
# never has to retry on a kept connection, since a reload closes none.
. tests/lib/suite.sh
. tests/lib/frontend.sh		# nginx_start, P

command -v nginx >/dev/null || { notok "nginx is not installed"; exit 1; }
need "$BIN"
export BIN SCRATCH
chmod 0711 "$SCRATCH"	# cases that run as nobody
mkdir -p "$SCRATCH/raw"
SCRATCH=$SCRATCH/raw /usr/bin/python3 tests/faults/reload.py

# The config switches between two versions whose policies for
# example.org differ in length, so each answer's size says which it is.
conf=$SCRATCH/storm.ini
cp etc/mta-sts-fcgi.ini "$conf"
sed 's/^mode = testing/mode = testing\nmax_age = 86400/' "$conf" \
    >"$conf.other"
cp "$conf" "$conf.one"
start fcgi "$BIN" -c "$conf" -s "unix:$SCRATCH/fcgi.sock" -w 2
fcgi=$LAST_PID
nginx_start storm "unix:$SCRATCH/fcgi.sock" \
    contrib/nginx/mta-sts-keepalive.conf || exit 1
url=$NGINX_URL$P
one=$(curl -s -H "Host: mta-sts.example.org" "$url" | wc -c)
workers=$(cat /proc/"$fcgi"/task/*/children | tr ' ' '\n' | sort | xargs)

# 6 clients, each 12 rounds of 20 requests on one kept client connection
# (-o per URL), while 40 SIGHUPs switch the config.
args=
for i in $(seq 1 20); do args="$args -o /dev/null $url"; done
loaders=
for c in 1 2 3 4 5 6; do
	(
		for i in $(seq 1 12); do
			# shellcheck disable=SC2086
			curl -s --max-time 5 -H "Host: mta-sts.example.org" \
			    -w '%{http_code} %{size_download}\n' $args
		done
	) >"$SCRATCH/storm$c" &
	loaders="$loaders $!"
done
for i in $(seq 1 40); do
	if [ $((i % 2)) = 1 ]; then
		cp "$conf.other" "$conf.new"
	else
		cp "$conf.one" "$conf.new"
	fi
	mv "$conf.new" "$conf"
	kill -HUP "$fcgi"
	sleep 0.05
done
# shellcheck disable=SC2086
wait $loaders
cat "$SCRATCH"/storm? >"$SCRATCH/storm"
check_eq "nginx keepalive: 40 reloads, 1440 requests answered" 1440 \
    "$(wc -l <"$SCRATCH/storm")"
check_eq "nginx keepalive: every answer 200, the old or the new policy" "" \
    "$(grep -v "^200 \($one\|$((one - 1))\)\$" "$SCRATCH/storm" | sort |
    uniq -c)"
check_eq "nginx keepalive: both policies were served" 2 \
    "$(cut -d' ' -f2 "$SCRATCH/storm" | sort -u | wc -l)"
check_eq "nginx keepalive: nginx never retried (no kept connection closed)" \
    "" "$(grep -E 'prematurely closed|reset by peer|Broken pipe|upstream' \
    "$SCRATCH/nginx-storm/error.log" | head -3)"
nchildren() { [ "$(cat /proc/"$fcgi"/task/*/children | wc -w)" = 2 ]; }
within 30 nchildren
check_eq "nginx keepalive: the same worker processes" "$workers" \
    "$(cat /proc/"$fcgi"/task/*/children | tr ' ' '\n' | sort | xargs)"
stop "$NGINX_PID"
stop "$fcgi"
check_eq "responder stopped by SIGTERM" 0 $?
wait "$fcgi"
check_eq "responder exit status" 0 $?
check_eq "the responder logged only reloads and the config's warning" "" \
    "$(grep -v 'reloaded: \|warning: mode testing' "$SCRATCH/fcgi.err")"
