#!/bin/bash
# SPDX-License-Identifier: ISC
# Several receivers, one PostgreSQL store (issue 21), end to end with
# real servers, in network namespaces of the suite's own
# (tests/lib/pgworld.sh): a throwaway PostgreSQL 15 cluster in DB (TLS,
# hostssl and SCRAM only, roles and GRANTs from
# contrib/postgresql/mta-sts-report.sql run as they are); receivers A
# and B, each mta-sts-report behind its own nginx with TLS, A's database
# a postgresql:// URI with sslmode=verify-full, B's service=NAME from a
# pg_service.conf; C, where import (as an MTA's pipe runs it) and the
# readers run; S, the senders (tests/report/pg/post.py).  Passwords are
# only in libpq password files.  Every case asserts exact statuses and
# bodies, and what the store holds through `list -j`:
#   TLS or nothing (a client without it refused, every receiver's
#   connection TLS); a receiver started from a root shell (HOME=/root);
#   the same report to A and B at the same instant, 50 times (one 201,
#   one 200, stored once); 500 different reports over both (each stored
#   once); import from C (exit 0, listed by A's config); summary and
#   html over the union (golden files, times fixed; the same bytes from
#   a SQLite copy); the receivers' role cannot delete, update, truncate,
#   lock, drop or prune, the owner prunes; the database restarted under
#   a stream of reports, and stopped (503 from both, then 201 from the
#   same receivers; nothing acknowledged lost, everything stored after
#   the senders' retries); the database's certificate for another name
#   (503 and one line per answer, import exits 75, list 74) and a wrong
#   password; `copy` PostgreSQL -> SQLite -> PostgreSQL (the same list
#   -j, twice adds nothing), and the summary's worlds copied in give the
#   SQLite suite's goldens; no worker died (SIGSYS is the filter's).
# UPDATE=1 rewrites the golden files in tests/report/pg/expected/.
. tests/lib/suite.sh
. tests/lib/world.sh	# ca_new, cert, nginx_main_conf
. tests/lib/pgworld.sh
REPORT=${REPORT:-$TOP/${O:-build}/mta-sts-report}
FILL=${FILL:-$TOP/${O:-build}/tests/tools/report-fill}
PY=/usr/bin/python3
EXP=$TOP/tests/report/pg/expected
MAKE_MESSAGE="$PY $TOP/tests/report/mail/make-message.py"
trap 'cleanup_pg' EXIT
cleanup_pg() { pgw_cluster_kill; cleanup; pgw_destroy; }

for c in ip nginx curl openssl jq sqlite3 runuser setpriv \
    "$PG_BIN/initdb" "$PG_BIN/pg_ctl" "$PG_BIN/psql"; do
	command -v "$c" >/dev/null ||
	    { notok "$c is not installed (scripts/deps.sh check)"; exit 1; }
done
$PY -c 'import dkim' 2>/dev/null ||
    { notok "python3-dkim is not installed (scripts/deps.sh check)"; exit 1; }
need "$REPORT" "$FILL" "$CLIENT"
chmod 0711 "$SCRATCH"

# --- the world ---
if ! pgw_create; then
	notok "the namespaces and their links"
	exit 1
fi
pgw_certs || { notok "certificates"; exit 1; }
pgw_cluster_init || { notok "initdb"; exit 1; }
pgw_cluster_start || { notok "the cluster started in DB"; exit 1; }
ok "PostgreSQL 15 runs in DB"

OWNER=mta_sts_owner
RECEIVER=mta_sts_report
DB=mta_sts
SQL=$TOP/contrib/postgresql/mta-sts-report.sql
# The roles' passwords: random, set through psql's standard input.
PW_RECEIVER=$(openssl rand -hex 16)
PW_OWNER=$(openssl rand -hex 16)
if pgw_admin <"$SQL" >"$SCRATCH/setup.out" 2>&1 && pgw_admin <<EOS
ALTER ROLE $RECEIVER PASSWORD '$PW_RECEIVER';
ALTER ROLE $OWNER PASSWORD '$PW_OWNER';
EOS
then
	ok "roles and GRANTs: ${SQL#"$TOP"/} run as it is"
else
	notok "roles and GRANTs: ${SQL#"$TOP"/} run as it is"
	sed 's/^/#   /' "$SCRATCH/setup.out" | tail -10
	exit 1
fi

# Each namespace's files: the CA's certificate, the password file of
# the user that connects (www-data for the receivers' workers, nobody
# for import; root, who runs the suite's own commands, reads them too),
# the configs.
for n in a b c; do
	mkdir -p "$SCRATCH/$n"
	cp "$SCRATCH/ca-pg/ca.crt" "$SCRATCH/$n/ca.crt"
	chmod 0644 "$SCRATCH/$n/ca.crt"
done
pgw_passfile "$SCRATCH/a/pgpass" www-data "$RECEIVER" "$PW_RECEIVER"
pgw_passfile "$SCRATCH/b/pgpass" www-data "$RECEIVER" "$PW_RECEIVER"
pgw_passfile "$SCRATCH/c/pgpass" nobody "$RECEIVER" "$PW_RECEIVER"
pgw_passfile "$SCRATCH/c/owner.pgpass" root "$OWNER" "$PW_OWNER"
URI_A=$(pgw_uri "$RECEIVER" "$DB" "$SCRATCH/a/ca.crt")
# C names its password file in the URI (passfile=): an MTA's pipe
# passes no environment of the operator's.
URI_C=$(pgw_uri "$RECEIVER" "$DB" "$SCRATCH/c/ca.crt" "$SCRATCH/c/pgpass")
SERVICE=mta_sts_$PGW_TAG
pgw_service "$SCRATCH/b/pg_service.conf" "$SERVICE" "$RECEIVER" "$DB" \
    "$SCRATCH/b/ca.crt" "$SCRATCH/b/pgpass"
# The suite's own work in C as root (the owner's migrate, copy, the
# second database) names services, from C's pg_service.conf.
C_SERVICES=$SCRATCH/c/pg_service.conf
pgw_service "$C_SERVICES" owner "$OWNER" "$DB" "$SCRATCH/c/ca.crt" \
    "$SCRATCH/c/owner.pgpass"
pgw_service "$C_SERVICES" world "$RECEIVER" mta_sts_world \
    "$SCRATCH/c/ca.crt" "$SCRATCH/c/pgpass"
pgw_service "$C_SERVICES" world_owner "$OWNER" mta_sts_world \
    "$SCRATCH/c/ca.crt" "$SCRATCH/c/owner.pgpass"

# conf FILE DATABASE: the receivers' config (both domains; the mail
# reports are trusted on the local verifier's word, mx.rcv.test).
conf() {
	cat >"$1" <<EOC
[domain example.com]
mode = testing
mx = *.example.com
max_age = 86400
tlsrpt = https://mta-sts.example.com/tlsrpt

[domain rcv.test]
mode = testing
mx = mx.rcv.test
max_age = 86400
tlsrpt = mailto:tlsrpt@rcv.test

[reports]
database = $2
trust_authserv_id = mx.rcv.test
EOC
	chmod 0644 "$1"
}
conf "$SCRATCH/a/a.ini" "$URI_A"
conf "$SCRATCH/b/b.ini" "service=$SERVICE"
conf "$SCRATCH/c/c.ini" "$URI_C"
conf "$SCRATCH/c/owner.ini" service=owner
ENV_A="PGPASSFILE=$SCRATCH/a/pgpass"
ENV_B="PGSERVICEFILE=$SCRATCH/b/pg_service.conf"

# quiet CMD...: CMD, with the config's warnings for mode testing
# dropped from its stderr (and its exit status).
quiet() {
	local e=$SCRATCH/quiet.$BASHPID rc
	"$@" 2>"$e"
	rc=$?
	grep -v 'warning: mode testing' "$e" >&2
	rm -f "$e"
	return $rc
}
# rep_a, rep_b, rep_c, rep_owner ARGS...: mta-sts-report with a
# namespace's config and environment: A's and B's as root (the receivers
# are started as root), C's as nobody with an empty environment (as an
# MTA's pipe runs import); the owner's in C, as root.
rep_a() { quiet in_a env "$ENV_A" "$REPORT" -c "$SCRATCH/a/a.ini" "$@"; }
rep_b() { quiet in_b env "$ENV_B" "$REPORT" -c "$SCRATCH/b/b.ini" "$@"; }
rep_c() {
	quiet in_c setpriv --reuid=65534 --regid=65534 --clear-groups \
	    env -i PATH=/usr/bin:/bin "$REPORT" -c "$SCRATCH/c/c.ini" "$@"
}
rep_owner() {
	quiet in_c env "PGSERVICEFILE=$C_SERVICES" "$REPORT" \
	    -c "$SCRATCH/c/owner.ini" "$@"
}

# The schema, by its owner; then what the configs serve, recorded as
# served since 2024-03-01 (so that summary's "served since" is fixed;
# the receivers then record nothing new).
rep_owner migrate >"$SCRATCH/migrate.out" 2>"$SCRATCH/migrate.err"
check_eq "migrate, as the schema's owner: exit 0" 0 "$?"
in_c env "PGSERVICEFILE=$C_SERVICES" "$FILL" -c "$SCRATCH/c/owner.ini" \
    -p 1709251200 service=owner \
    >"$SCRATCH/fill.out" 2>&1
check_eq "report-fill records what is served since 2024-03-01" \
    "0 " "$? $(grep -v 'warning: mode testing' "$SCRATCH/fill.out")"

pgw_nginx a "$PGW_A"
pgw_nginx b "$PGW_B"
pgw_receiver a "$SCRATCH/a/a.ini" "$ENV_A"
SUP_A=$LAST_PID
pgw_receiver b "$SCRATCH/b/b.ini" "$ENV_B"
SUP_B=$LAST_PID
if ! wait_for test -S "$SCRATCH/a/report.sock" ||
    ! wait_for test -S "$SCRATCH/b/report.sock" ||
    ! wait_for pgw_https_up a "$PGW_A" || ! wait_for pgw_https_up b "$PGW_B"; then
	notok "nginx and the receivers started in A and B"
	tail -5 "$SCRATCH"/*.err | sed 's/^/#   /'
	exit 1
fi
ok "nginx with TLS and a receiver in A and in B"
# Their workers, once the recorders that record what is served at start
# are gone.
two_children() { [ "$(pgrep -P "$1" | wc -l)" = 2 ]; }
within 100 two_children "$SUP_A" && within 100 two_children "$SUP_B"
WORKERS_A=$(pgrep -P "$SUP_A" | sort | xargs)
WORKERS_B=$(pgrep -P "$SUP_B" | sort | xargs)

# Over TCP, TLS or nothing: a client that does not ask for TLS is
# refused by pg_hba.conf whatever its password.
check_eq "without TLS (sslmode=disable): refused" \
    "psql: error: connection to server at \"$PGW_DBHOST\" ($PGW_DB_FOR_A), port $PGW_PORT failed: FATAL:  no pg_hba.conf entry for host \"10.21.1.2\", user \"$RECEIVER\", database \"$DB\", no encryption" \
    "$(in_a env "$ENV_A" "$PG_BIN/psql" -X -At \
    "postgresql://$RECEIVER@$PGW_DBHOST/$DB?sslmode=disable" -c 'SELECT 1' 2>&1)"

# --- one request at a time, from S ---
STORED=stored
AGAIN="already stored"
DOWN="the store is unavailable; try again later"
# send NAME ADDRESS WANT_STATUS WANT_BODY FILE: one POST of the JSON
# report FILE to the receiver at ADDRESS; the exact status and body.
send() {
	in_s curl -sS --http1.1 --max-time 30 \
	    --cacert "$SCRATCH/ca-web/ca.crt" \
	    --resolve "mta-sts.example.com:443:$2" -H "Expect:" \
	    -H "Content-Type: application/tlsrpt+json" --data-binary "@$5" \
	    -D "$SCRATCH/head" -o "$SCRATCH/body" \
	    https://mta-sts.example.com/tlsrpt 2>"$SCRATCH/curl.err"
	check_eq "$1: status" "HTTP/1.1 $3" \
	    "$(head -1 "$SCRATCH/head" | tr -d '\r' | sed 's/ *$//')"
	printf '%s\n' "$4" >"$SCRATCH/want"
	check_file "$1: body" "$SCRATCH/want" "$SCRATCH/body"
}
FIX=$TOP/tests/report/fixtures
send "A: the RFC's example" "$PGW_A" "201 Created" "$STORED" \
    "$FIX/rfc-example.json"
send "B: the same report" "$PGW_B" "200 OK" "$AGAIN" "$FIX/rfc-example.json"
send "A: the same report again" "$PGW_A" "200 OK" "$AGAIN" \
    "$FIX/rfc-example.json"

# listed CMD...: list -j as CMD runs it, one line per (report, policy):
# organization|report id|domain|successful|failed|via, sorted.
listed() {
	"$@" list -j | jq -r '[.organization, .report_id, .policy_domain,
	    .successful, .failed, .via] | join("|")' | LC_ALL=C sort
}
# ids ORG CMD...: the report ids of ORG that list -j gives, sorted.
ids() {
	local org=$1
	shift
	"$@" list -j | jq -r --arg o "$org" \
	    'select(.organization == $o) | .report_id' | LC_ALL=C sort
}
# senders ARGS...: tests/report/pg/post.py in S, the senders' namespace.
senders() { in_s "$PY" "$TOP/tests/report/pg/post.py" "$@"; }
# check_lines NAME WANT GOT: check_eq for lists, with a diff if not.
check_lines() {
	printf '%s\n' "$2" >"$SCRATCH/lines.want"
	printf '%s\n' "$3" >"$SCRATCH/lines.got"
	check_file "$1" "$SCRATCH/lines.want" "$SCRATCH/lines.got"
}
# answered FILE: how many answers a stream has had so far.
answered() { { wc -l <"$1"; } 2>/dev/null || echo 0; }
# answered_ge FILE N: the stream has had N answers (for within).
answered_ge() { [ "$(answered "$1")" -ge "$2" ]; }
# seq_ids PREFIX N: PREFIX-0 .. PREFIX-(N-1), sorted as ids sorts.
seq_ids() { seq 0 $(($2 - 1)) | sed "s/^/$1-/" | LC_ALL=C sort; }
check_eq "list -j from A, from B (service=) and from C: the one report" \
    "Company-X|5065427c-23d3-47ca-b6e0-946ea0e8c4be|example.com|5326|303|https
Company-X|5065427c-23d3-47ca-b6e0-946ea0e8c4be|example.com|5326|303|https
Company-X|5065427c-23d3-47ca-b6e0-946ea0e8c4be|example.com|5326|303|https" \
    "$(listed rep_a; listed rep_b; listed rep_c)"

# A receiver started by hand from a root shell, as mta-sts-report(8)
# and contrib/nginx show it: HOME=/root (mode 0700) in its environment,
# which its workers (www-data) inherit; libpq looks for a client
# certificate under $HOME/.postgresql.  Straight on its FastCGI socket.
mkdir -p "$SCRATCH/h"
start receiver-h ip netns exec "$(pgw_ns a)" env HOME=/root "$ENV_A" \
    "$REPORT" -c "$SCRATCH/a/a.ini" -s "unix:$SCRATCH/h/report.sock" -w 1
SUP_H=$LAST_PID
wait_for test -S "$SCRATCH/h/report.sock"
sed 's/5065427c/home-5065427c/' "$FIX/rfc-example.json" >"$SCRATCH/home.json"
"$CLIENT" -b "$(cat "$SCRATCH/home.json")" "unix:$SCRATCH/h/report.sock" \
    REQUEST_METHOD=POST CONTENT_TYPE=application/tlsrpt+json \
    CONTENT_LENGTH="$(wc -c <"$SCRATCH/home.json")" SCRIPT_NAME=/tlsrpt \
    >"$SCRATCH/home.out" 2>&1
check_eq "started from a root shell (HOME=/root): 201" "Status: 201 Created" \
    "$(head -1 "$SCRATCH/home.out" | tr -d '\r')"
check_eq "started from a root shell: nothing said but the config's warnings" "" \
    "$(grep -v 'mode testing' "$SCRATCH/receiver-h.err" | head -3)"
stop "$SUP_H"

# --- 1. the same report to A and B at the same instant, 50 times ---
# The store keeps a report once by (organization, report id, digest):
# of two receivers storing it at once, one inserts (201) and the other
# finds it (200).  Nothing else may happen: no 503, no 201 twice.
senders same "$SCRATCH/ca-web/ca.crt" "$SCRATCH/same.sent" 50 8 same \
    "$PGW_A:443" "$PGW_B:443"
check_eq "same instant: 100 answers, each report one 201 and one 200" \
    "50 200 201" "$(awk '{ print $3, $1 }' "$SCRATCH/same.sent" | sort |
    awk '$1 != id { if (id != "") print s; id = $1; s = "" }
	{ s = s " " $2 } END { print s }' | sort | uniq -c |
    awk '{ $1 = $1; print }')"
check_lines "same instant: 50 stored, each once" "$(seq_ids same 50)" \
    "$(ids same rep_a)"
check_eq "same instant: both receivers gave some of the 201s" "2" \
    "$(awk '$1 == 201 { print $2 }' "$SCRATCH/same.sent" | sort -u | wc -l)"

# --- 2. 500 different reports over both at once ---
senders split "$SCRATCH/ca-web/ca.crt" "$SCRATCH/diff.sent" 500 8 diff \
    "$PGW_A:443" "$PGW_B:443"
check_eq "500 different reports over A and B: each answered 201" \
    "500 201" "$(cut -d' ' -f1 "$SCRATCH/diff.sent" | sort | uniq -c |
    awk '{ $1 = $1; print }')"
check_lines "500 different reports: each stored once" "$(seq_ids diff 500)" \
    "$(ids diff rep_b)"
check_lines "500 different reports: the same rows from A and from C" \
    "$(listed rep_a)" "$(listed rep_c)"

# Every connection of the receivers' role comes from A or B, over TLS.
check_eq "the receivers' connections: from A and from B, all TLS 1.3" \
    "10.21.1.2|t|TLSv1.3
10.21.2.2|t|TLSv1.3" \
    "$(echo "SELECT DISTINCT a.client_addr, s.ssl, s.version FROM
    pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE
    a.usename = '$RECEIVER' ORDER BY 1" | pgw_admin -At 2>&1)"

# --- 3. import from C, as an MTA's pipe runs it ---
openssl genrsa -traditional -out "$SCRATCH/dkim.key" 1024 2>/dev/null
AR='Authentication-Results: mx.rcv.test; dkim=pass header.d=sender.test'
$MAKE_MESSAGE "$TOP/tests/report/mail/google.json" \
    --sign "$SCRATCH/dkim.key" sel sender.test --prepend "$AR" \
    >"$SCRATCH/google.eml"
$MAKE_MESSAGE "$TOP/tests/report/mail/microsoft.json" --json \
    --sign "$SCRATCH/dkim.key" sel sender.test --prepend "$AR" \
    >"$SCRATCH/microsoft.eml"
chmod 0644 "$SCRATCH"/*.eml
# imported NAME FILE WANT_STATUS WANT_LINES: import of FILE in C.
imported() {
	rep_c import <"$2" >"$SCRATCH/import.out" 2>"$SCRATCH/import.err"
	check_eq "$1: exit $3, and what it says" "$3 $4" \
	    "$? $(cat "$SCRATCH/import.out" "$SCRATCH/import.err")"
}
imported "import (gzip, trusted)" "$SCRATCH/google.eml" 0 \
    'mta-sts-report: import: stdin: stored report "2024-03-25T00:00:00Z_rcv.test" of "Google Inc."'
imported "import (json, trusted)" "$SCRATCH/microsoft.eml" 0 \
    'mta-sts-report: import: stdin: stored report "133557215999999999+rcv.test" of "Microsoft Corporation"'
imported "import of the same message" "$SCRATCH/google.eml" 0 \
    'mta-sts-report: import: stdin: report "2024-03-25T00:00:00Z_rcv.test" of "Google Inc." was already stored'
check_eq "import: listed by A's config, via mail" \
    "Google Inc.|2024-03-25T00:00:00Z_rcv.test|rcv.test|24|0|mail
Microsoft Corporation|133557215999999999+rcv.test|rcv.test|7|2|mail" \
    "$(listed rep_a | grep '|mail$')"

# --- 4. summary and html over the union, read from any config ---
PERIOD="-s 2024-03-20 -u 2024-04-05"
# golden NAME WANT_STATUS CMD...: CMD's stdout against $EXP/NAME, its
# exit status, nothing on stderr.
golden() {
	local name=$1 want=$2 rc
	shift 2
	"$@" >"$SCRATCH/out" 2>"$SCRATCH/err"
	rc=$?
	[ "${UPDATE:-0}" = 1 ] && cp "$SCRATCH/out" "$EXP/$name"
	check_file "$name: as expected" "$EXP/$name" "$SCRATCH/out"
	check_eq "$name: exit $want, nothing on stderr" "$want " \
	    "$rc $(cat "$SCRATCH/err")"
}
mkdir -p "$EXP/html"
# Both domains have an MX failing (exit 1): the reports said so.
# shellcheck disable=SC2086
{
golden summary.txt 1 rep_a summary $PERIOD
golden summary-digest.txt 1 rep_b summary -a $PERIOD
golden summary.json 1 rep_c summary -j $PERIOD
rep_b summary $PERIOD >"$SCRATCH/summary.b" 2>&1
check_file "summary from B's config (service=) is A's" "$EXP/summary.txt" \
    "$SCRATCH/summary.b"
rep_b html -o "$SCRATCH/html" $PERIOD >"$SCRATCH/html.out" 2>&1
check_eq "html from B's config: exit 0, nothing said" "0 " \
    "$? $(cat "$SCRATCH/html.out")"
}
[ "${UPDATE:-0}" = 1 ] && cp "$SCRATCH"/html/* "$EXP/html/"
check_eq "html: the pages expected" "$(cd "$EXP/html" && ls)" \
    "$(cd "$SCRATCH/html" && ls)"
for f in "$EXP"/html/*; do
	check_file "html: ${f##*/}" "$f" "$SCRATCH/html/${f##*/}"
done
# The same reports copied into SQLite: its summary and html are the
# same bytes (the backends aggregate alike).
mkdir -p "$SCRATCH/snap"
conf "$SCRATCH/snap/snap.ini" "$SCRATCH/snap/reports.db"
in_c "$REPORT" copy "$URI_C" "$SCRATCH/snap/reports.db" >/dev/null 2>&1
snap() { quiet "$REPORT" -c "$SCRATCH/snap/snap.ini" "$@"; }
# shellcheck disable=SC2086
{
snap summary $PERIOD >"$SCRATCH/snap/summary.txt"
snap summary -j $PERIOD >"$SCRATCH/snap/summary.json"
snap html -o "$SCRATCH/snap/html" $PERIOD
}
check_file "a SQLite copy: the same summary" "$EXP/summary.txt" \
    "$SCRATCH/snap/summary.txt"
check_file "a SQLite copy: the same summary -j" "$EXP/summary.json" \
    "$SCRATCH/snap/summary.json"
check_eq "a SQLite copy: the same html" "" \
    "$(diff -r "$SCRATCH/html" "$SCRATCH/snap/html" 2>&1 | head -3)"

# --- 7. the receivers' role: insert and read, nothing else ---
# psql as that role from A, over the receivers' own TLS connection.
psql_a() {
	in_a env "$ENV_A" "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -At \
	    "$URI_A" "$@"
}
# Every table of the schema, as its owner made them (migrate): the
# receivers' role may read and append, nothing else.
TABLES=$(psql_a -c "SELECT schemaname || '.' || tablename FROM pg_tables
    WHERE tableowner = '$OWNER' ORDER BY 1" 2>&1)
conf "$SCRATCH/tables.ini" "$SCRATCH/tables.db"
quiet "$REPORT" -c "$SCRATCH/tables.ini" migrate >/dev/null
check_eq "the owner's tables: a new SQLite store's and meta, in schema mta_sts" \
    "$(sqlite3 "$SCRATCH/tables.db" "SELECT 'mta_sts.' || name FROM
    sqlite_master WHERE type = 'table' UNION SELECT 'mta_sts.meta'
    ORDER BY 1")" "$TABLES"
for t in $TABLES; do
	b=${t#*.}
	check_eq "receivers' role: DELETE FROM $t refused" \
	    "ERROR:  permission denied for table $b" \
	    "$(psql_a -c "DELETE FROM $t" 2>&1)"
	check_eq "receivers' role: UPDATE $t refused" \
	    "ERROR:  permission denied for table $b" \
	    "$(psql_a -c "UPDATE $t SET $(psql_a -c "SELECT attname FROM
	    pg_attribute WHERE attrelid = '$t'::regclass AND attnum = 1") =
	    NULL" 2>&1)"
	check_eq "receivers' role: TRUNCATE $t refused" \
	    "ERROR:  permission denied for table $b" \
	    "$(psql_a -c "TRUNCATE $t" 2>&1)"
	check_eq "receivers' role: DROP TABLE $t refused" \
	    "ERROR:  must be owner of table $b" \
	    "$(psql_a -c "DROP TABLE $t" 2>&1)"
	check_eq "receivers' role: LOCK TABLE $t refused" \
	    "ERROR:  permission denied for table $b" \
	    "$(psql_a -c "BEGIN; LOCK TABLE $t; COMMIT" 2>&1)"
done
for s in mta_sts public; do
	check_eq "receivers' role: CREATE TABLE in schema $s refused" \
	    "ERROR:  permission denied for schema $s" \
	    "$(psql_a -c "CREATE TABLE $s.mine (i int)" 2>&1 | head -1)"
done
check_eq "receivers' role: DROP SCHEMA refused" \
    "ERROR:  must be owner of schema mta_sts" \
    "$(psql_a -c "DROP SCHEMA mta_sts CASCADE" 2>&1)"
rep_a prune -d 1 >"$SCRATCH/prune.out" 2>"$SCRATCH/prune.err"
check_eq "prune with the receivers' role: exit 74, one line saying why" \
    "74 mta-sts-report: $URI_A: cannot prune the store: permission denied for table reports (a privilege the role lacks: contrib/postgresql/mta-sts-report.sql)" \
    "$? $(cat "$SCRATCH/prune.out" "$SCRATCH/prune.err")"
check_lines "prune with the receivers' role: nothing deleted" \
    "$(listed rep_c)" "$(listed rep_a)"
check_lines "the union: every report of the cases so far, once" \
    "$(printf '%s\n' "$(seq_ids same 50)" "$(seq_ids diff 500)" \
    5065427c-23d3-47ca-b6e0-946ea0e8c4be 2024-03-25T00:00:00Z_rcv.test \
    home-5065427c-23d3-47ca-b6e0-946ea0e8c4be \
    133557215999999999+rcv.test | LC_ALL=C sort)" \
    "$(rep_c list -j | jq -r .report_id | LC_ALL=C sort)"
# The owner prunes: the reports of 2016 (the RFC's example and the root
# shell's) are more than 3,650 days old, those of 2024 are not.
rep_owner prune -d 3650 >"$SCRATCH/prune.out" 2>"$SCRATCH/prune.err"
check_eq "prune as the owner: exit 0, the two reports of 2016 deleted" \
    "0 deleted 2 reports that ended before DATE" \
    "$? $(sed 's/ [0-9]\{4\}-[0-9T:-]*Z$/ DATE/' "$SCRATCH/prune.out" \
    "$SCRATCH/prune.err")"
check_eq "prune as the owner: none of 2016 left, all of 2024 kept" \
    "0 $((50 + 500 + 2))" \
    "$(rep_c list -j | jq -r .end | grep -c '^2016-') $(rep_c list -j | grep -c '"end":"2024-')"

# --- 5. the database restarted while reports stream in ---
# verdicts NAME FILE COUNT: what the senders of a retrying stream saw.
# Every report ends with 201 or 200 (a 200 after a 503: its commit
# reached the database, its answer did not); none gets 201 twice;
# nothing but 201, 200 and 503 is answered (no 502: no worker died);
# every report is stored once.
verdicts() {
	local name=$1 f=$2 n=$3
	check_eq "$name: only 201, 200 and 503 answered" "" \
	    "$(cut -d' ' -f1 "$f" | grep -v '^\(201\|200\|503\)$' | sort |
	    uniq -c | head -3)"
	# per report: its answers in order
	awk '{ a[$3] = a[$3] " " $1 } END { for (i in a) print i a[i] }' \
	    "$f" >"$f.by"
	check_eq "$name: every report ends 201 or 200" "$n" \
	    "$(grep -c ' \(201\|200\)$' "$f.by")"
	check_eq "$name: no report answered 201 twice" "" \
	    "$(grep ' 201 .*201' "$f.by" | head -3)"
	check_eq "$name: a 200 only after a 503 (an answer lost, not a report)" \
	    "" "$(grep ' 200' "$f.by" | grep -v ' 503 .*200' | head -3)"
	echo "#   $name: $(grep -c ' 503' "$f.by") reports answered 503" \
	    "at least once, $(grep -c ' 200$' "$f.by") of them then 200"
}
# A fast restart in the middle of a stream of 800 reports.
senders retry "$SCRATCH/ca-web/ca.crt" "$SCRATCH/restart.sent" 800 4 \
    restart "$PGW_A:443" "$PGW_B:443" &
client=$!
within 100 answered_ge "$SCRATCH/restart.sent" 100
before=$(answered "$SCRATCH/restart.sent")
pgw_cluster_restart fast
check_eq "pg_ctl restart -m fast during the stream" 0 "$?"
after=$(answered "$SCRATCH/restart.sent")
wait "$client"
if [ "$before" -lt 800 ] && [ "$(answered "$SCRATCH/restart.sent")" -gt "$after" ]; then
	ok "restart: in the middle of the stream ($before answers before, $(($(answered "$SCRATCH/restart.sent") - after)) after)"
else
	notok "restart: in the middle of the stream ($before answers before, $(($(answered "$SCRATCH/restart.sent") - after)) after)"
fi
verdicts "restart" "$SCRATCH/restart.sent" 800
check_lines "restart: every report stored once" "$(seq_ids restart 800)" \
    "$(ids restart rep_c)"

# Stopped while reports stream in: 503 from both until it is back, then
# 201 from the same receivers (their workers connect again).
senders retry "$SCRATCH/ca-web/ca.crt" "$SCRATCH/down.sent" 800 4 \
    down "$PGW_A:443" "$PGW_B:443" &
client=$!
within 100 answered_ge "$SCRATCH/down.sent" 50
pgw_ctl -w -m fast stop
check_eq "pg_ctl stop -m fast during the stream" 0 "$?"
mark=$(($(answered "$SCRATCH/down.sent") + 1))
# since_mark STATUS ADDRESS: an answer STATUS from ADDRESS since the mark.
since_mark() { tail -n +"$mark" "$SCRATCH/down.sent" | grep -q "^$1 $2:"; }
if within 100 since_mark 503 "$PGW_A" && within 100 since_mark 503 "$PGW_B"
then
	ok "the database down: A and B answer 503"
else
	notok "the database down: A and B answer 503"
fi
sleep 1
check_eq "the database down: nothing but 503 answered" "" \
    "$(tail -n +"$mark" "$SCRATCH/down.sent" | grep -v '^503 ' | head -3)"
mark=$(($(answered "$SCRATCH/down.sent") + 1))
pgw_cluster_start
check_eq "the database started again" 0 "$?"
if within 100 since_mark 201 "$PGW_A" && within 100 since_mark 201 "$PGW_B"
then
	ok "the database back: A and B answer 201 again"
else
	notok "the database back: A and B answer 201 again"
fi
wait "$client"
verdicts "down" "$SCRATCH/down.sent" 800
check_lines "down: every report stored once" "$(seq_ids down 800)" \
    "$(ids down rep_c)"
check_eq "down: the same receivers serve (not restarted)" "ok ok" \
    "$(kill -0 "$SUP_A" && echo ok) $(kill -0 "$SUP_B" && echo ok)"

# --- 6. the database's certificate for another name ---
# stubborn NAME ADDRESS LOG PATTERN: the report $SCRATCH/wrong.json
# POSTed to ADDRESS until a line of LOG (its new lines) has PATTERN, at
# most 10 times (a worker's first answer after the restart may be about
# the connection the restart closed); each answer must be 503 with its
# body, said in one line; besides, a worker may say once that the
# restart closed its connection.
stubborn() {
	local name=$1 address=$2 log=$3 pattern=$4 lines i answers=
	lines=$(wc -l <"$log")
	for i in 1 2 3 4 5 6 7 8 9 10; do
		in_s curl -s --max-time 30 --cacert "$SCRATCH/ca-web/ca.crt" \
		    --resolve "mta-sts.example.com:443:$address" \
		    -H "Content-Type: application/tlsrpt+json" \
		    --data-binary "@$SCRATCH/wrong.json" -o "$SCRATCH/body" \
		    -w '%{http_code}' https://mta-sts.example.com/tlsrpt \
		    >"$SCRATCH/code"
		answers="$answers$(cat "$SCRATCH/code") $(cat "$SCRATCH/body")
"
		tail -n +$((lines + 1)) "$log" | grep -q -F "$pattern" && break
	done
	check_eq "$name: 503 each time ($i POSTs), until it says why" \
	    "$(yes "503 $DOWN" | head -"$i")" "$(printf '%s' "$answers")"
	tail -n +$((lines + 1)) "$log" >"$log.new"
	check_eq "$name: one line per answer" "$i" \
	    "$(grep -v -c 'PostgreSQL says: FATAL:  terminating connection due to administrator command$' "$log.new")"
	check_eq "$name: at most one line per worker about the restart" \
	    "yes" "$([ "$(grep -c 'terminating connection' "$log.new")" -le 2 ] &&
	    echo yes)"
	check_eq "$name: the last line says it" 1 \
	    "$(tail -1 "$log.new" | grep -c -F "$pattern")"
	sed 's/^/#   said: /' "$log.new"
}
MISMATCH="server certificate for \"other.$PGW_DOMAIN\" does not match host name \"$PGW_DBHOST\""
sed 's/5065427c/wrong-5065427c/' "$FIX/rfc-example.json" >"$SCRATCH/wrong.json"
pgw_server_cert wrongdb
pgw_cluster_restart fast
stubborn "a certificate for other.$PGW_DOMAIN: A" "$PGW_A" \
    "$SCRATCH/receiver-a.err" "$MISMATCH"
stubborn "a certificate for other.$PGW_DOMAIN: B" "$PGW_B" \
    "$SCRATCH/receiver-b.err" "$MISMATCH"
rep_c import <"$SCRATCH/google.eml" >"$SCRATCH/import.out" \
    2>"$SCRATCH/import.err"
check_eq "a certificate for another name: import exits 75 (the MTA retries)" \
    75 "$?"
check_eq "a certificate for another name: import says why, and defers" \
    "1 mta-sts-report: import: stdin: deferred: the store is unavailable" \
    "$(grep -c -F "$MISMATCH" "$SCRATCH/import.err") $(tail -1 "$SCRATCH/import.err")"
rep_a list >"$SCRATCH/list.out" 2>"$SCRATCH/list.err"
check_eq "a certificate for another name: list exits 74, one line saying why" \
    "74 mta-sts-report: $URI_A: cannot open the store: connection to server at \"$PGW_DBHOST\" ($PGW_DB_FOR_A), port $PGW_PORT failed: $MISMATCH" \
    "$? $(cat "$SCRATCH/list.out" "$SCRATCH/list.err")"
# A password file with a wrong password: refused, said, deferred.
pgw_passfile "$SCRATCH/c/bad.pgpass" nobody "$RECEIVER" wrong
sed "s|$SCRATCH/c/pgpass|$SCRATCH/c/bad.pgpass|" "$SCRATCH/c/c.ini" \
    >"$SCRATCH/c/bad.ini"
pgw_server_cert db
pgw_cluster_restart fast
quiet in_c setpriv --reuid=65534 --regid=65534 --clear-groups \
    env -i PATH=/usr/bin:/bin "$REPORT" -c "$SCRATCH/c/bad.ini" import \
    <"$SCRATCH/google.eml" >"$SCRATCH/import.out" 2>"$SCRATCH/import.err"
check_eq "a wrong password: import exits 75, says so, defers" \
    "75 1 mta-sts-report: import: stdin: deferred: the store is unavailable" \
    "$? $(grep -c "FATAL:  password authentication failed for user \"$RECEIVER\"" \
    "$SCRATCH/import.err") $(tail -1 "$SCRATCH/import.err")"
# again NAME ADDRESS WANT_STATUS WANT_BODY: POSTs $SCRATCH/wrong.json as
# a sender retries (503 only, at most 5 times); the last answer.
again() {
	local i
	for i in 1 2 3 4 5; do
		in_s curl -s --max-time 30 --cacert "$SCRATCH/ca-web/ca.crt" \
		    --resolve "mta-sts.example.com:443:$2" \
		    -H "Content-Type: application/tlsrpt+json" \
		    --data-binary "@$SCRATCH/wrong.json" -o "$SCRATCH/body" \
		    -w '%{http_code}' https://mta-sts.example.com/tlsrpt \
		    >"$SCRATCH/code"
		[ "$(cat "$SCRATCH/code")" = 503 ] || break
	done
	check_eq "$1" "$3 $4" "$(cat "$SCRATCH/code") $(cat "$SCRATCH/body")"
}
again "the right certificate again: A stores the report" "$PGW_A" 201 \
    "$STORED"
again "the right certificate again: B has it" "$PGW_B" 200 "$AGAIN"

# --- 8. copy: PostgreSQL -> SQLite and SQLite -> PostgreSQL ---
mkdir -p "$SCRATCH/copy"
conf "$SCRATCH/copy/sqlite.ini" "$SCRATCH/copy/reports.db"
sq() { quiet "$REPORT" -c "$SCRATCH/copy/sqlite.ini" "$@"; }
# whole CMD...: list -j whole (received too), sorted: the order of
# reports with the same end and received second is not defined.
whole() { "$@" list -j | LC_ALL=C sort; }
# copied NAME FROM TO WANT: copy in C with the receivers' role, its exit
# status and its one line.
copied() {
	in_c env "PGSERVICEFILE=$C_SERVICES" "$REPORT" copy "$2" "$3" \
	    >"$SCRATCH/copy/out" 2>&1
	check_eq "$1: exit 0, one line" "0 $4" "$? $(cat "$SCRATCH/copy/out")"
}
whole rep_c >"$SCRATCH/copy/pg.list"
n=$(wc -l <"$SCRATCH/copy/pg.list")
copied "copy PostgreSQL -> SQLite" "$URI_C" "$SCRATCH/copy/reports.db" \
    "copied $n reports (0 already there) and 2 served policies, PostgreSQL to SQLite"
whole sq >"$SCRATCH/copy/sqlite.list"
check_file "copy PostgreSQL -> SQLite: list -j the same" \
    "$SCRATCH/copy/pg.list" "$SCRATCH/copy/sqlite.list"
copied "copy PostgreSQL -> SQLite again" "$URI_C" "$SCRATCH/copy/reports.db" \
    "copied 0 reports ($n already there) and 0 served policies, PostgreSQL to SQLite"
whole sq >"$SCRATCH/copy/sqlite.list"
check_file "copy PostgreSQL -> SQLite again: nothing added" \
    "$SCRATCH/copy/pg.list" "$SCRATCH/copy/sqlite.list"
copied "copy SQLite -> PostgreSQL, where they came from" \
    "$SCRATCH/copy/reports.db" "$URI_C" \
    "copied 0 reports ($n already there) and 0 served policies, SQLite to PostgreSQL"
whole rep_c >"$SCRATCH/copy/pg2.list"
check_file "copy SQLite -> PostgreSQL, where they came from: nothing added" \
    "$SCRATCH/copy/pg.list" "$SCRATCH/copy/pg2.list"

# The summary's worlds (tests/lib/summary.sh: nine domains, four weeks,
# SQLite) copied into a new database: the same list -j, and summary
# gives the goldens of tests/report/summary/expected/ from PostgreSQL.
. tests/lib/summary.sh
w=$SCRATCH/world
mkdir -p "$w"
summary_world "$w" "$FILL" || notok "the summary's worlds are stored"
# A second database, made as the first was (the roles exist already).
grep -v '^CREATE ROLE' "$SQL" | pgw_admin -v database=mta_sts_world \
    >"$SCRATCH/world.out" 2>&1
check_eq "a second database, mta_sts_world, made as the first" 0 "$?"
sed "s|^database = .*|database = service=world_owner|" "$w/now.ini" \
    >"$w/owner.ini"
sed "s|^database = .*|database = service=world|" "$w/now.ini" >"$w/pg.ini"
in_c env "PGSERVICEFILE=$C_SERVICES" "$REPORT" -c "$w/owner.ini" migrate \
    >"$SCRATCH/world.migrate" 2>&1
check_eq "migrate mta_sts_world" "0 PostgreSQL store at schema version 2" \
    "$? $(cat "$SCRATCH/world.migrate")"
n=$(find "$w/reports" -type f | wc -l)
nserved=$(sqlite3 "$w/reports.db" 'SELECT count(*) FROM served')
copied "the summary's worlds: copy SQLite -> PostgreSQL" "$w/reports.db" \
    service=world "copied $n reports (0 already there) and $nserved served policies, SQLite to PostgreSQL"
copied "the summary's worlds: copy again" "$w/reports.db" service=world \
    "copied 0 reports ($n already there) and 0 served policies, SQLite to PostgreSQL"
wq() {
	quiet in_c env "PGSERVICEFILE=$C_SERVICES" "$REPORT" -c "$w/pg.ini" "$@"
}
quiet "$REPORT" -c "$w/now.ini" list -j | LC_ALL=C sort >"$w/sqlite.list"
wq list -j | LC_ALL=C sort >"$w/pg.list"
check_file "the summary's worlds: list -j the same from PostgreSQL" \
    "$w/sqlite.list" "$w/pg.list"
# world_golden NAME WANT_STATUS ARGS...: summary -u SUMMARY_UNTIL ARGS
# from the copy, against the SQLite suite's golden file NAME and exit
# status (tests/report/run-summary.sh).
world_golden() {
	wq summary -u "$SUMMARY_UNTIL" "${@:3}" >"$w/out" 2>"$w/err"
	check_eq "the summary's worlds from PostgreSQL: $1: exit $2, nothing said" \
	    "$2 " "$? $(cat "$w/err")"
	check_file "the summary's worlds from PostgreSQL: $1" \
	    "$TOP/tests/report/summary/expected/$1" "$w/out"
}
world_golden all.txt 2
world_golden digest.txt 2 -a
world_golden json.txt 2 -j
world_golden weekly.txt 1 -a -s 2024-04-01 stale.example Silent.Example.
world_golden hostile.txt 1 hostile.example

# --- 9. no worker died, nothing said but what was meant ---
check_eq "no worker died (no SIGSYS, no kill) in A or B" "" \
    "$(grep -h -i -E 'signal|killed|restarting' "$SCRATCH/receiver-a.err" \
    "$SCRATCH/receiver-b.err" | head -5)"
check_eq "A's workers are the ones it started" "$WORKERS_A" \
    "$(pgrep -P "$SUP_A" | sort | xargs)"
check_eq "B's workers are the ones it started" "$WORKERS_B" \
    "$(pgrep -P "$SUP_B" | sort | xargs)"
check_eq "the receivers' password is on no command line" "" \
    "$(grep -l -a -F "$PW_RECEIVER" /proc/[0-9]*/cmdline 2>/dev/null)"
for r in a b; do
	rc="not stopped in 2 s"
	sup=$SUP_A
	[ $r = b ] && sup=$SUP_B
	stop "$sup" && { wait "$sup"; rc=$?; }
	check_eq "receiver $r: SIGTERM, exit status 0" 0 "$rc"
done
sed 's/^/#   A: /' "$SCRATCH/receiver-a.err" | grep -v 'mode testing' |
    sort | uniq -c | sort -rn | head -10
