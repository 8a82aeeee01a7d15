#!/bin/bash
# SPDX-License-Identifier: ISC
# make run: serves etc/mta-sts-fcgi.ini through a throwaway nginx on
# 127.0.0.1:$PORT (default 8080), using contrib/nginx/mta-sts.conf, until
# Ctrl-C (exit status 0), then stops both by PID and removes the scratch
# directory.
set -u
cd "$(dirname "$0")/.." || exit 1

# Ctrl-C is how a user stops this, and it must end quietly with status 0.
# The terminal sends SIGINT to its whole foreground process group: make
# would report an error and die by the signal, and the servers would exit
# before we stop them.  So, given a terminal, the rest runs as a job of
# its own (set -m), which bash makes the terminal's foreground group:
# Ctrl-C then reaches that job alone, and the servers run in sessions of
# their own (setsid) and are stopped by PID.
if [ -t 0 ] && [ -z "${RUN_JOB:-}" ]; then
	set -m
	RUN_JOB=1 bash "$0" "$@"
	exit $?
fi
TOP=$(pwd)
PORT=${PORT:-8080}
CONF=${CONF:-etc/mta-sts-fcgi.ini}
. tests/lib/nginx.sh

if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
	echo "run: 127.0.0.1:$PORT is in use; try: make run PORT=8081" >&2
	exit 1
fi
build/mta-sts-fcgi -t -c "$CONF" || exit 1

dir=$(mktemp -d "${TMPDIR:-/tmp}/mta-sts-fcgi-run.XXXXXX")
fcgi= ngx=
stop_all() {
	trap - INT TERM EXIT
	[ -n "$ngx" ] && kill -TERM "$ngx" 2>/dev/null
	[ -n "$fcgi" ] && kill -TERM "$fcgi" 2>/dev/null
	[ -n "$ngx" ] && wait "$ngx" 2>/dev/null
	[ -n "$fcgi" ] && wait "$fcgi" 2>/dev/null
	rm -rf "$dir"
	echo
	echo "run: stopped nginx and mta-sts-fcgi"
}
trap stop_all EXIT
trap 'exit 0' INT TERM

setsid build/mta-sts-fcgi -c "$CONF" -s "unix:$dir/fcgi.sock" &
fcgi=$!
nginx_conf "$dir/nginx" "$PORT" "unix:$dir/fcgi.sock"
setsid nginx -e "$dir/nginx/error.log" -p "$dir/nginx" \
    -c "$dir/nginx/nginx.conf" &
ngx=$!
i=0
until curl -s -o /dev/null "http://127.0.0.1:$PORT/"; do
	i=$((i + 1))
	if [ $i -ge 100 ] || ! kill -0 "$ngx" 2>/dev/null ||
	    ! kill -0 "$fcgi" 2>/dev/null; then
		echo "run: nginx or mta-sts-fcgi did not start:" >&2
		cat "$dir/nginx/error.log" >&2 2>/dev/null
		exit 1
	fi
	sleep 0.05
done

cat <<EOM

mta-sts-fcgi (pid $fcgi) serves $CONF behind nginx (pid $ngx).
Try:
  curl -i -H 'Host: mta-sts.example.com' http://127.0.0.1:$PORT/.well-known/mta-sts.txt
  curl -i -H 'Host: mta-sts.example.org' http://127.0.0.1:$PORT/.well-known/mta-sts.txt
DNS records to publish for these policies:
EOM
build/mta-sts-fcgi -c "$CONF" -d example.org example.com 2>/dev/null | sed 's/^/  /'
echo "Edit $CONF and reload with: kill -HUP $fcgi"
echo "Press Ctrl-C to stop."
wait -n "$fcgi" "$ngx"
echo "run: a server exited unexpectedly" >&2
exit 1
