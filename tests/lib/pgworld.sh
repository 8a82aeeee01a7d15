# SPDX-License-Identifier: ISC
# shellcheck shell=bash
# The world of issue 21 (several receivers, one PostgreSQL store), in
# network namespaces of its own, for tests/report/run-pg.sh and
# bench/report-ingest-pg.sh:
#
#   DB  a throwaway PostgreSQL 15 cluster (initdb as postgres into
#       $SCRATCH/pg, pg_ctl), on TCP 5432 of its three veth addresses
#       only, TLS on (a server certificate for db.$PGW_DOMAIN from a test
#       CA), pg_hba: hostssl with scram-sha-256, nothing else over TCP;
#       the unix socket (peer, postgres only) in $SCRATCH/pg/run for the
#       suite's own administration;
#   A, B  a receiver each (mta-sts-report behind nginx with TLS on 443),
#       with a veth to DB and one to S, /etc/netns/NS/hosts naming DB;
#   C   a veth to DB: import, psql and the command-line readers;
#   S   the senders: a veth to A and one to B.
#
# The veth between two namespaces is made inside the first, with its
# peer moved at once into the second, so that no interface ever exists
# in the host's namespace.  Everything is removed by pgw_destroy (the
# cluster stopped with -m immediate first); servers are started with
# suite.sh's start and stopped by PID.  Sourced after tests/lib/suite.sh
# and tests/lib/world.sh (ca_new, cert, nginx_main_conf).
# usage: pgw_create; pgw_certs; pgw_cluster_init; pgw_cluster_start;
#        pgw_receiver NAME CONF ENV=VALUE...; ...; pgw_destroy

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
# Names carry the branch that made them and the suite's PID.
PGW_TAG=${PGW_TAG:-pge2e}
PGW_DOMAIN=$PGW_TAG.test
PGW_DBHOST=db.$PGW_DOMAIN
PGW_PORT=5432
PGW_NAMES="db a b c s"
PGW_UP=
PGW_PG_UP=

# pgw_ns NAME: the namespace of NAME (db, a, b, c, s).
pgw_ns() { echo "mta-sts-$PGW_TAG-$1-$$"; }
# in_NAME CMD...: CMD inside that namespace.
in_db() { ip netns exec "$(pgw_ns db)" "$@"; }
in_a() { ip netns exec "$(pgw_ns a)" "$@"; }
in_b() { ip netns exec "$(pgw_ns b)" "$@"; }
in_c() { ip netns exec "$(pgw_ns c)" "$@"; }
in_s() { ip netns exec "$(pgw_ns s)" "$@"; }

# The addresses: 10.21.N.1 on the first end of link N, .2 on the second.
# db-a 1, db-b 2, db-c 3, s-a 4, s-b 5.
PGW_DB_FOR_A=10.21.1.1
PGW_DB_FOR_B=10.21.2.1
PGW_DB_FOR_C=10.21.3.1
# shellcheck disable=SC2034 # read by the scripts that source this
PGW_A=10.21.4.2		# A's nginx, as S reaches it
# shellcheck disable=SC2034
PGW_B=10.21.5.2

# pgw_link N NS1 IF1 NS2 IF2: veth IF1 in NS1 (10.21.N.1/30) and IF2 in
# NS2 (10.21.N.2/30), both up.
pgw_link() {
	local n=$1 ns1 ns2
	ns1=$(pgw_ns "$2")
	ns2=$(pgw_ns "$4")
	ip -n "$ns1" link add "$3" type veth peer name "$5" netns "$ns2" &&
	ip -n "$ns1" addr add "10.21.$n.1/30" dev "$3" &&
	ip -n "$ns2" addr add "10.21.$n.2/30" dev "$5" &&
	ip -n "$ns1" link set "$3" up &&
	ip -n "$ns2" link set "$5" up
}

# pgw_create: the five namespaces, their links, and the hosts files that
# name the database where each namespace reaches it.  0, or 1.
pgw_create() {
	local n ns
	for n in $PGW_NAMES; do
		ns=$(pgw_ns "$n")
		ip netns add "$ns" || return 1
		PGW_UP="$PGW_UP $n"
		ip -n "$ns" link set lo up || return 1
		mkdir -p "/etc/netns/$ns"
		# No DNS server in the world: nothing waits on one.
		printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' \
		    >"/etc/netns/$ns/resolv.conf"
		printf '127.0.0.1 localhost\n::1 localhost\n' \
		    >"/etc/netns/$ns/hosts"
	done
	pgw_link 1 db va a vdb && pgw_link 2 db vb b vdb &&
	    pgw_link 3 db vc c vdb && pgw_link 4 s va a vs &&
	    pgw_link 5 s vb b vs || return 1
	echo "$PGW_DB_FOR_A $PGW_DBHOST" >>"/etc/netns/$(pgw_ns a)/hosts"
	echo "$PGW_DB_FOR_B $PGW_DBHOST" >>"/etc/netns/$(pgw_ns b)/hosts"
	echo "$PGW_DB_FOR_C $PGW_DBHOST" >>"/etc/netns/$(pgw_ns c)/hosts"
}

# pgw_destroy: the cluster stopped at once, the namespaces and their
# /etc/netns entries removed.  Safe to call twice, and after a failure
# anywhere in pgw_create.
pgw_destroy() {
	local n
	pgw_cluster_kill
	for n in $PGW_UP; do
		ip netns del "$(pgw_ns "$n")" 2>/dev/null
		rm -rf "/etc/netns/$(pgw_ns "$n")"
	done
	PGW_UP=
}

# pgw_certs: CA "pg" with the server certificate $SCRATCH/db.crt for
# db.$PGW_DOMAIN and $SCRATCH/wrongdb.crt for another name; CA "web" with
# nginx's certificate $SCRATCH/web.crt for mta-sts.example.com.
pgw_certs() {
	ca_new pg && cert db pg "$PGW_DBHOST" &&
	    cert wrongdb pg "other.$PGW_DOMAIN" &&
	    ca_new web && cert web web "mta-sts.example.com"
}

# pg_as CMD...: a PostgreSQL program as user postgres inside DB.
pg_as() { in_db runuser -u postgres -- "$@"; }

PGW_DATA=
# pgw_cluster_init: initdb into $SCRATCH/pg/data with the world's
# settings, TLS with $SCRATCH/db.crt.  0, or 1 after saying why.
pgw_cluster_init() {
	local d=$SCRATCH/pg
	PGW_DATA=$d/data
	mkdir -p "$d/run" && chown -R postgres:postgres "$d" &&
	    chmod 0700 "$d" || return 1
	runuser -u postgres -- "$PG_BIN/initdb" -D "$PGW_DATA" \
	    --auth-local=peer --auth-host=scram-sha-256 \
	    -U postgres -E UTF8 --locale=C.UTF-8 >"$d/initdb.log" 2>&1 || {
		sed 's/^/#   /' "$d/initdb.log" | tail -5
		return 1
	}
	pgw_server_cert db || return 1
	cat >>"$PGW_DATA/postgresql.conf" <<EOC
listen_addresses = '$PGW_DB_FOR_A,$PGW_DB_FOR_B,$PGW_DB_FOR_C'
port = $PGW_PORT
unix_socket_directories = '$d/run'
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
password_encryption = scram-sha-256
max_connections = 60
logging_collector = off
log_min_messages = warning
log_line_prefix = '%m [%p] %q%u@%d '
EOC
	cat >"$PGW_DATA/pg_hba.conf" <<EOC
# The suite's administration: postgres over the unix socket only.
local   all   postgres                peer
# Everyone else: TLS over TCP with a password (SCRAM), nothing else.
hostssl all   all        10.21.0.0/16 scram-sha-256
EOC
}

# pgw_server_cert NAME: $SCRATCH/NAME.crt and .key as the server's
# certificate (read at the next start or reload).
pgw_server_cert() {
	install -o postgres -g postgres -m 0644 "$SCRATCH/$1.crt" \
	    "$PGW_DATA/server.crt" &&
	install -o postgres -g postgres -m 0600 "$SCRATCH/$1.key" \
	    "$PGW_DATA/server.key"
}

# pgw_ctl ARGS...: pg_ctl on the world's cluster, inside DB, bounded.
pgw_ctl() {
	pg_as timeout -s KILL 30 "$PG_BIN/pg_ctl" -D "$PGW_DATA" -t 20 \
	    -l "$SCRATCH/pg/server.log" "$@" >>"$SCRATCH/pg/ctl.log" 2>&1
}

# pgw_cluster_start: start, and wait until it accepts connections.
pgw_cluster_start() {
	pgw_ctl -w start || { tail -5 "$SCRATCH/pg/server.log" |
	    sed 's/^/#   /'; return 1; }
	PGW_PG_UP=1
}

# pgw_cluster_restart MODE: pg_ctl restart -m MODE, waiting for it.
pgw_cluster_restart() {
	pgw_ctl -w -m "$1" restart
}

# pgw_cluster_kill: stops the cluster at once, if it runs (the trap's).
pgw_cluster_kill() {
	[ -n "$PGW_PG_UP" ] || return 0
	pgw_ctl -m immediate stop
	PGW_PG_UP=
}

# pgw_admin [PSQL_ARGS...]: SQL on stdin run as the superuser through
# the unix socket (database postgres unless -d says), stopping at the
# first error; quiet unless it fails.
pgw_admin() {
	pg_as "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SCRATCH/pg/run" \
	    -p "$PGW_PORT" -d postgres "$@"
}

# pgw_uri ROLE DB [CA [PASSFILE]]: a libpq URI for ROLE on DB at
# db.$PGW_DOMAIN (port 5432, libpq's default), TLS verified against the
# CA's certificate (default the world's), the password from PASSFILE if
# given (else PGPASSFILE's).  A config line holds at most 198 bytes:
# with a long TMPDIR, name the database by a service instead.
pgw_uri() {
	echo "postgresql://$1@$PGW_DBHOST/$2?sslmode=verify-full&sslrootcert=${3:-$SCRATCH/ca-pg/ca.crt}${4:+&passfile=$4}"
}

# pgw_passfile FILE OWNER ROLE PASSWORD: a libpq password file (0600,
# OWNER's) for ROLE on the world's database host, any database.  The
# password goes through printf, a shell builtin: never on a command line.
pgw_passfile() {
	(umask 077 && printf '%s:%s:*:%s:%s\n' "$PGW_DBHOST" "$PGW_PORT" \
	    "$3" "$4" >"$1") && chown "$2" "$1"
}

# pgw_service FILE NAME ROLE DB CA PASSFILE: appends service NAME (ROLE
# on DB, TLS verified against CA, the password from PASSFILE) to the
# pg_service.conf FILE.
pgw_service() {
	cat >>"$1" <<EOS
[$2]
host=$PGW_DBHOST
port=$PGW_PORT
dbname=$4
user=$3
sslmode=verify-full
sslrootcert=$5
passfile=$6

EOS
}

# pgw_nginx NAME ADDRESS: nginx with TLS in namespace NAME on
# ADDRESS:443 from contrib/nginx/mta-sts-report.conf (addresses and
# paths substituted), in front of $SCRATCH/NAME/report.sock.
pgw_nginx() {
	local d=$SCRATCH/$1/nginx
	mkdir -p "$d/tmp"
	sed -e "s|listen 443 ssl;|listen $2:443 ssl;|" \
	    -e "/listen \[::\]:443 ssl;/d" \
	    -e "s|/etc/letsencrypt/live/mta-sts.example.com/fullchain.pem|$SCRATCH/web.crt|" \
	    -e "s|/etc/letsencrypt/live/mta-sts.example.com/privkey.pem|$SCRATCH/web.key|" \
	    -e "s|unix:/run/mta-sts-fcgi/mta-sts-fcgi.sock|unix:$SCRATCH/$1/fcgi.sock|" \
	    -e "s|unix:/run/mta-sts-report/mta-sts-report.sock|unix:$SCRATCH/$1/report.sock|" \
	    -e "s|include fastcgi_params;|include /etc/nginx/fastcgi_params;|" \
	    "$TOP/contrib/nginx/mta-sts-report.conf" >"$d/servers.conf"
	nginx_main_conf "$d" 1024 "$d/servers.conf"
	start "nginx-$1" ip netns exec "$(pgw_ns "$1")" nginx -c "$d/nginx.conf"
}

# pgw_receiver NAME CONF [VAR=VALUE...]: mta-sts-report -w PGW_WORKERS
# (default 2) in namespace
# NAME, as root (its workers drop to www-data), on $SCRATCH/NAME/
# report.sock, with the environment given (PGPASSFILE, PGSERVICEFILE)
# and no HOME, as an init system starts it; its PID in $LAST_PID, its
# stderr in $SCRATCH/receiver-NAME.err.
pgw_receiver() {
	local name=$1 conf=$2
	shift 2
	start "receiver-$name" ip netns exec "$(pgw_ns "$name")" \
	    env -u HOME "$@" "$REPORT" -c "$conf" \
	    -s "unix:$SCRATCH/$name/report.sock" -w "${PGW_WORKERS:-2}"
}

# pgw_https_up NAME ADDRESS: nginx of NAME answers over TLS, from S.
pgw_https_up() {
	in_s curl -s -o /dev/null --max-time 2 \
	    --cacert "$SCRATCH/ca-web/ca.crt" \
	    --resolve "mta-sts.example.com:443:$2" https://mta-sts.example.com/
}
