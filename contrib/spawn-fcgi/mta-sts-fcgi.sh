#!/bin/sh
# SPDX-License-Identifier: ISC
# Start mta-sts-fcgi with spawn-fcgi (shared hosts without systemd).
# spawn-fcgi binds the socket, hands it over on fd 0, drops to the user,
# and exits; nobody restarts what it started, but mta-sts-fcgi's own
# supervisor replaces any worker that dies.  -F N starts N supervisors
# sharing the socket (usually 1 is right: -w sets the workers).
#
# Stop:   kill $(cat /run/mta-sts-fcgi/mta-sts-fcgi.pid)
# Reload: kill -HUP $(cat /run/mta-sts-fcgi/mta-sts-fcgi.pid)
#
# Point the web server at the socket (see contrib/nginx, contrib/apache
# mod_proxy_fcgi, contrib/lighttpd/mta-sts-socket.conf).

SOCKET=/run/mta-sts-fcgi/mta-sts-fcgi.sock
PIDFILE=/run/mta-sts-fcgi/mta-sts-fcgi.pid
CONFIG=/usr/local/etc/mta-sts-fcgi.ini
PROGRAM=/usr/local/sbin/mta-sts-fcgi
USER=www-data
COPIES=${COPIES:-1}

mkdir -p "$(dirname "$SOCKET")" || exit 1
"$PROGRAM" -t -c "$CONFIG" || exit 1
exec spawn-fcgi -s "$SOCKET" -M 0660 -U "$USER" -G "$USER" \
    -u "$USER" -g "$USER" -P "$PIDFILE" -F "$COPIES" -- \
    "$PROGRAM" -c "$CONFIG"
