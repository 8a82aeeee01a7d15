# SPDX-License-Identifier: ISC
# shellcheck shell=bash
# A throwaway PostgreSQL cluster for the suites that test the store on
# PostgreSQL (tests/report/run-pg-store.sh) and for the benchmarks:
# Debian's postgresql-15 binaries, run as user postgres from a directory
# of the caller's, its Unix socket in that directory, TCP on a loopback
# port; never the system's cluster.  Sourced after tests/lib/suite.sh.
#
# pg_start DIR PORT [tls]: initdb into DIR/data (UTF8, C locale), start
# it and wait until it answers (bounded).  Unix socket connections are
# trusted; TCP ones (127.0.0.1) need a password (scram-sha-256), and with
# "tls" only TLS ones are accepted, with a certificate for "localhost"
# from a CA of the test's own (DIR/ca.crt).  Sets PG_DIR, PG_PORT,
# PG_CTL and PG_CONNINFO (a URI of the database "postgres" as user
# postgres over the socket) and prints PG_CONNINFO.  0, or 1 after
# saying why (the log is in DIR/log).
# pg_stop DIR: stops the cluster (immediate: it is thrown away) and
# removes DIR.  Safe to call twice, and from a trap.
# pg_sql [psql options...]: psql as postgres over the socket, quiet,
# stopping at the first error.

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

pg_start() {
	local dir=$1 port=$2 tls=${3:-}
	PG_DIR=$dir
	PG_PORT=$port
	PG_CTL="$PG_BIN/pg_ctl -D $dir/data"
	mkdir -p "$dir" && chown postgres: "$dir" && chmod 0700 "$dir" ||
	    return 1
	# User postgres must reach it: a parent made by mktemp -d (0700,
	# $SCRATCH) is opened to traversal only (o+x), its files unlisted.
	if ! runuser -u postgres -- test -x "$dir"; then
		chmod o+x "$(dirname "$dir")" || return 1
	fi
	if ! runuser -u postgres -- test -x "$dir"; then
		echo "# user postgres cannot reach $dir"
		return 1
	fi
	if ! runuser -u postgres -- "$PG_BIN/initdb" -D "$dir/data" -E UTF8 \
	    --no-locale -A trust -U postgres >"$dir/initdb.log" 2>&1; then
		echo "# initdb failed:"
		sed 's/^/#   /' "$dir/initdb.log" | tail -20
		return 1
	fi
	{
		echo "listen_addresses = '127.0.0.1'"
		echo "port = $port"
		echo "unix_socket_directories = '$dir'"
		echo "max_connections = 60"
		echo "log_min_messages = warning"
	} >>"$dir/data/postgresql.conf"
	{
		echo "local all all trust"
		if [ "$tls" = tls ]; then
			echo "hostssl all all 127.0.0.1/32 scram-sha-256"
		else
			echo "host all all 127.0.0.1/32 scram-sha-256"
		fi
	} >"$dir/data/pg_hba.conf"
	if [ "$tls" = tls ] && ! pg_tls "$dir"; then
		echo "# cannot make the test's certificates"
		return 1
	fi
	# shellcheck disable=SC2086 # PG_CTL: the program and its -D DIR
	if ! runuser -u postgres -- $PG_CTL -l "$dir/log" -w -t $((30 * SCALE)) \
	    start >/dev/null 2>&1; then
		echo "# the cluster in $dir did not start:"
		sed 's/^/#   /' "$dir/log" | tail -20
		return 1
	fi
	PG_CONNINFO="postgresql:///postgres?host=$dir&port=$port&user=postgres"
	echo "$PG_CONNINFO"
}

# pg_tls DIR: a CA and a certificate for localhost it signed, for the
# server (DIR/server.*) and for clients (DIR/ca.crt).
pg_tls() {
	local d=$1
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca \
	    -keyout "$d/ca.key" -out "$d/ca.crt" >/dev/null 2>&1 &&
	openssl req -newkey rsa:2048 -nodes -subj /CN=localhost \
	    -keyout "$d/server.key" -out "$d/server.csr" >/dev/null 2>&1 &&
	printf 'subjectAltName=DNS:localhost\n' >"$d/ext" &&
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" \
	    -CAkey "$d/ca.key" -CAcreateserial -days 2 -extfile "$d/ext" \
	    -out "$d/server.crt" >/dev/null 2>&1 &&
	chown postgres: "$d/server.key" "$d/server.crt" &&
	chmod 0600 "$d/server.key" && chmod 0644 "$d/ca.crt" &&
	{
		echo "ssl = on"
		echo "ssl_cert_file = '$d/server.crt'"
		echo "ssl_key_file = '$d/server.key'"
	} >>"$d/data/postgresql.conf"
}

pg_stop() {
	local dir=$1
	if [ -f "$dir/data/postmaster.pid" ]; then
		runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$dir/data" \
		    -m immediate -w -t $((30 * SCALE)) stop >/dev/null 2>&1
	fi
	rm -rf "$dir"
}

pg_sql() {
	psql -X -q -v ON_ERROR_STOP=1 -h "$PG_DIR" -p "$PG_PORT" -U postgres \
	    "$@"
}
