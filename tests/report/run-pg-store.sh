#!/bin/bash
# SPDX-License-Identifier: ISC
# The store on PostgreSQL (src/tlsrpt/tlsrpt_pg.c), against a cluster of
# the suite's own (tests/lib/pg.sh: Unix socket trusted, TCP only with
# TLS and a password): the unit cases that need a server
# (test_tlsrpt_pg: the same answers as SQLite, concurrent and killed
# writers, migrations racing, restarts, a backend that stops answering,
# every error class, the roles of contrib/postgresql/mta-sts-report.sql
# run as it is) and the summary's table of cases on it
# (test_tlsrpt_summary); then mta-sts-report itself through libpq's own
# conventions, as a provider runs it: the roles' config over TLS
# (sslmode=verify-full) with the passwords in a password file, migrate
# as the owner, the summary's world copied from SQLite into PostgreSQL
# and back with the same list -j and summary golden files, prune only
# for the owner, and the one-line errors of a wrong CA, a host name the
# certificate does not name, no password and a server that is down.
. tests/lib/suite.sh
. tests/lib/summary.sh
. tests/lib/pg.sh
REPORT=${REPORT:-$TOP/${O:-build}/mta-sts-report}
UNIT=$TOP/${O:-build}/tests/unit
FILL=${FILL:-$TOP/${O:-build}/tests/tools/report-fill}
need "$REPORT" "$FILL" "$UNIT/test_tlsrpt_pg" "$UNIT/test_tlsrpt_summary"
[ -x "$PG_BIN/initdb" ] || {
	notok "$PG_BIN/initdb is missing (scripts/deps.sh installs postgresql-15)"
	exit 1
}

PGD=$(mktemp -d "${TMPDIR:-/tmp}/mta-sts-pg.XXXXXX")
trap 'pg_stop "$PGD"; cleanup' EXIT
port=$(free_port)
if pg_start "$PGD" "$port" tls >/dev/null; then
	ok "a PostgreSQL cluster of the suite's own, TLS on port $port"
else
	notok "the suite's PostgreSQL cluster starts"
	exit 1
fi
# libpq's environment: every connection below without a host in its
# string goes to the cluster's socket, as postgres.
export PGHOST=$PGD PGPORT=$port PGUSER=postgres
unset PGDATABASE PGSERVICE PGPASSWORD PGSSLMODE PGOPTIONS

# The administrator's setup, literally, with the two roles' passwords.
owner_pw=owner-$RANDOM$RANDOM
receiver_pw=receiver-$RANDOM$RANDOM
if pg_sql -d postgres -v owner_password="$owner_pw" \
    -v receiver_password="$receiver_pw" \
    -f "$TOP/contrib/postgresql/mta-sts-report.sql" >"$SCRATCH/setup" 2>&1 &&
    pg_sql -d postgres -c "CREATE DATABASE mta_sts_test" >>"$SCRATCH/setup" 2>&1
then
	ok "contrib/postgresql/mta-sts-report.sql runs as it is"
else
	notok "contrib/postgresql/mta-sts-report.sql runs as it is"
	sed 's/^/#   /' "$SCRATCH/setup"
	exit 1
fi

# The unit cases: their own lines, and their exit status.
export MTA_STS_TEST_DATABASE=postgresql:///mta_sts_test
export MTA_STS_TEST_PG_STOP="runuser -u postgres -- $PG_CTL -w -t $((30 * SCALE)) stop >/dev/null -m"
export MTA_STS_TEST_PG_START="runuser -u postgres -- $PG_CTL -l $PGD/log -w -t $((30 * SCALE)) start >/dev/null"
export MTA_STS_TEST_OWNER=postgresql://mta_sts_owner@/mta_sts
export MTA_STS_TEST_RECEIVER=postgresql://mta_sts_report@/mta_sts
export MTA_STS_TEST_ROLES_DATABASE=postgresql:///mta_sts
for t in test_tlsrpt_pg test_tlsrpt_summary; do
	timeout -s KILL $((300 * SCALE)) "$UNIT/$t" 2>&1 ||
	    notok "$t exited with status $?"
done
unset MTA_STS_TEST_DATABASE MTA_STS_TEST_OWNER MTA_STS_TEST_RECEIVER \
    MTA_STS_TEST_ROLES_DATABASE

# The provider's setup: over TCP, TLS with the server's name checked
# against the test's CA, the passwords in a password file.
tls="sslmode=verify-full&sslrootcert=$PGD/ca.crt"
recv_db="postgresql://mta_sts_report@localhost:$port/mta_sts?$tls"
owner_db="postgresql://mta_sts_owner@localhost:$port/mta_sts?$tls"
printf 'localhost:%s:mta_sts:mta_sts_report:%s\nlocalhost:%s:mta_sts:mta_sts_owner:%s\n' \
    "$port" "$receiver_pw" "$port" "$owner_pw" >"$SCRATCH/pgpass"
chmod 0600 "$SCRATCH/pgpass"
export PGPASSFILE=$SCRATCH/pgpass

w=$SCRATCH/w
mkdir -p "$w"
if summary_world "$w" "$FILL" >/dev/null; then
	ok "the summary's world in SQLite ($(find "$w/reports" -type f | wc -l) reports)"
else
	notok "the summary's world in SQLite"
	exit 1
fi
# conf_for NAME DATABASE: now.ini with that database.
conf_for() {
	sed "/^database = /d" "$w/now.ini" >"$SCRATCH/$1.ini"
	printf 'database = %s\n' "$2" >>"$SCRATCH/$1.ini"
}
conf_for recv "$recv_db"
conf_for owner "$owner_db"

# run NAME WANT_STATUS WANT_FIRST_LINE ARGS...: mta-sts-report with a
# deadline, its status and the first line of stderr (or of stdout).
run() {
	local name=$1 want=$2 line=$3 rc
	shift 3
	timeout -s KILL $((60 * SCALE)) "$REPORT" "$@" >"$SCRATCH/out" \
	    2>"$SCRATCH/err" </dev/null
	rc=$?
	check_eq "$name: exit status" "$want" "$rc"
	check_eq "$name: message" "$line" \
	    "$(grep -v ': warning: ' "$SCRATCH/err" | cat - "$SCRATCH/out" | head -1)"
}

run "the receivers' role may not create the store" 74 \
    "mta-sts-report: $recv_db: cannot create the store: permission denied for schema mta_sts (this role may not: the role that owns schema mta_sts must run \`mta-sts-report migrate\` once)" \
    -c "$SCRATCH/recv.ini" migrate
run "migrate as the owner, over TLS" 0 \
    "PostgreSQL store at schema version 2" -c "$SCRATCH/owner.ini" migrate
run "migrate again: nothing to do" 0 \
    "PostgreSQL store at schema version 2" -c "$SCRATCH/owner.ini" migrate
run "copy SQLite to PostgreSQL as the receivers' role" 0 \
    "copied 518 reports (0 already there) and 10 served policies, SQLite to PostgreSQL" \
    copy "$w/reports.db" "$recv_db"
run "copy again: every report there already" 0 \
    "copied 0 reports (518 already there) and 0 served policies, SQLite to PostgreSQL" \
    copy "$w/reports.db" "$recv_db"
run "copy back into a new SQLite store" 0 \
    "copied 518 reports (0 already there) and 10 served policies, PostgreSQL to SQLite" \
    copy "$recv_db" "$SCRATCH/back.db"
conf_for back "$SCRATCH/back.db"

# The same answers from the three stores: list -j, and summary's golden
# files of tests/report/run-summary.sh.
for c in sqlite:now recv back; do
	f=$SCRATCH/${c#*:}.ini
	[ "$c" = sqlite:now ] && f=$w/now.ini
	"$REPORT" -c "$f" list -j >"$SCRATCH/list.${c#*:}" 2>/dev/null
done
check_eq "list -j: 518 reports' policies" 518 "$(wc -l <"$SCRATCH/list.now")"
check_file "list -j: PostgreSQL as SQLite" "$SCRATCH/list.now" "$SCRATCH/list.recv"
check_file "list -j: copied back, as before" "$SCRATCH/list.now" "$SCRATCH/list.back"
EXP=$TOP/tests/report/summary/expected
for g in "all.txt 2" "digest.txt 2 -a" "json.txt 2 -j" \
    "weekly.txt 1 -a -s 2024-04-01 stale.example Silent.Example." \
    "hostile.txt 1 hostile.example"; do
	# shellcheck disable=SC2086 # the golden file, status and arguments
	set -- $g
	name=$1 want=$2
	shift 2
	for c in recv back; do
		timeout -s KILL $((60 * SCALE)) "$REPORT" -c "$SCRATCH/$c.ini" \
		    summary -u "$SUMMARY_UNTIL" "$@" >"$SCRATCH/out" \
		    2>"$SCRATCH/err"
		check_eq "summary $* ($c): exit status" "$want" "$?"
		check_file "summary $* ($c): the lines of $name" "$EXP/$name" \
		    "$SCRATCH/out"
	done
done

run "prune: not for the receivers' role" 74 \
    "mta-sts-report: $recv_db: cannot prune the store: permission denied for table reports (a privilege the role lacks: contrib/postgresql/mta-sts-report.sql)" \
    -c "$SCRATCH/recv.ini" prune -d 36500
"$REPORT" -c "$SCRATCH/owner.ini" prune -d 36500 >"$SCRATCH/out" 2>/dev/null
check_eq "prune: the owner's" \
    "0 deleted 0 reports that ended before $(date -u -d '-36500 days' +%Y-%m-%d)" \
    "$? $(cut -c -46 "$SCRATCH/out")"

# What a provider gets wrong, each one line and exit 74.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other-ca \
    -keyout "$SCRATCH/other.key" -out "$SCRATCH/other.crt" >/dev/null 2>&1
bad="postgresql://mta_sts_report@localhost:$port/mta_sts?sslmode=verify-full&sslrootcert=$SCRATCH/other.crt"
conf_for bad "$bad"
run "another CA: refused" 74 \
    "mta-sts-report: $bad: cannot open the store: connection to server at \"localhost\" (127.0.0.1), port $port failed: SSL error: certificate verify failed" \
    -c "$SCRATCH/bad.ini" list
bad="postgresql://mta_sts_report@127.0.0.1:$port/mta_sts?$tls"
conf_for bad "$bad"
run "an address the certificate does not name: refused" 74 \
    "mta-sts-report: $bad: cannot open the store: connection to server at \"127.0.0.1\", port $port failed: server certificate for \"localhost\" (and 1 other name) does not match host name \"127.0.0.1\"" \
    -c "$SCRATCH/bad.ini" list
PGPASSFILE=$SCRATCH/none run "no password file: refused" 74 \
    "mta-sts-report: $recv_db: cannot open the store: connection to server at \"localhost\" (127.0.0.1), port $port failed: fe_sendauth: no password supplied" \
    -c "$SCRATCH/recv.ini" list
bad="postgresql://mta_sts_report@localhost:$port/mta_sts?sslmode=disable"
conf_for bad "$bad"
run "no TLS: the server refuses" 74 \
    "mta-sts-report: $bad: cannot open the store: connection to server at \"localhost\" (127.0.0.1), port $port failed: FATAL:  no pg_hba.conf entry for host \"127.0.0.1\", user \"mta_sts_report\", database \"mta_sts\", no encryption" \
    -c "$SCRATCH/bad.ini" list

# shellcheck disable=SC2086 # PG_CTL: the program and its -D DIR
runuser -u postgres -- $PG_CTL -m fast -w stop >/dev/null 2>&1
run "the server down: one line, exit 74" 74 \
    "mta-sts-report: $recv_db: cannot open the store: connection to server at \"localhost\" (127.0.0.1), port $port failed: Connection refused" \
    -c "$SCRATCH/recv.ini" list
