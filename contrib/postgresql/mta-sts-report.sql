-- SPDX-License-Identifier: ISC
--
-- mta-sts-report's store in PostgreSQL: the roles, the database and the
-- schema, made once by a superuser, so that the receivers may do no more
-- than they need.
--
--   psql -U postgres -f mta-sts-report.sql
--   psql -U postgres -v owner=ROLE -v receiver=ROLE -v database=NAME \
--       -f mta-sts-report.sql
--
-- Two roles:
--
--   owner     owns schema mta_sts and so its tables: it creates them and
--             upgrades them when a new mta-sts-report needs a newer
--             schema (`mta-sts-report migrate`, run once per upgrade with
--             a config whose database connects as this role), and it is
--             the role of `mta-sts-report prune` (DELETE).  It logs in
--             for those two commands only.
--   receiver  the role of every host's receivers and imports, and of
--             summary, html, metrics and mta-sts-check -r: it may read
--             and insert rows (and use the id sequences), nothing else:
--             no UPDATE, no DELETE, no DDL.  What it writes is only ever
--             appended.  What PostgreSQL gives any role with these
--             rights stays: the locks of reading and inserting (enough
--             to make a migration wait) and advisory locks; and since
--             it may insert, it may add rows of its own making.  Its
--             password belongs on the receiving hosts only
--             (mta-sts-report(8), SECURITY CONSIDERATIONS).
--
-- Neither password is set here, since a command line is seen by every
-- user of the host: set them afterwards in psql (\password ROLE) and put
-- them in the password file of the Unix user that connects
-- (~/.pgpass, or PGPASSFILE; mode 0600), never in the config: a
-- [reports] database string with a password in it is refused.
--   hostname:5432:mta_sts:mta_sts_report:PASSWORD
-- A password may still be given as -v owner_password=... or
-- -v receiver_password=... (the tests do).
--
-- The database is UTF8 (reports are UTF-8: mta-sts-report refuses any
-- other encoding) with the C locale (the store compares strings byte by
-- byte whatever the locale).  The receivers' config then names it:
--   [reports]
--   database = postgresql://mta_sts_report@db.example.net/mta_sts?sslmode=verify-full
-- (sslmode=verify-full: TLS, and the server's certificate checked against
-- the CA in ~/.postgresql/root.crt or sslrootcert=, for its host name).
-- Then, once, as the owner (a config naming postgresql://mta_sts_owner@…):
--   mta-sts-report -c /etc/mta-sts-report-owner.ini migrate

\set ON_ERROR_STOP on
\if :{?owner}
\else
\set owner mta_sts_owner
\endif
\if :{?receiver}
\else
\set receiver mta_sts_report
\endif
\if :{?database}
\else
\set database mta_sts
\endif

CREATE ROLE :"owner" LOGIN;
CREATE ROLE :"receiver" LOGIN;
\if :{?owner_password}
ALTER ROLE :"owner" PASSWORD :'owner_password';
\endif
\if :{?receiver_password}
ALTER ROLE :"receiver" PASSWORD :'receiver_password';
\endif

CREATE DATABASE :"database" ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'
    TEMPLATE template0;
-- Only these two roles connect, and neither may create schemas or
-- temporary tables in it.
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"database" TO :"owner", :"receiver";

\connect :"database"
REVOKE ALL ON SCHEMA public FROM PUBLIC;
CREATE SCHEMA mta_sts AUTHORIZATION :"owner";
GRANT USAGE ON SCHEMA mta_sts TO :"receiver";
-- The tables and sequences the owner creates, now and in every later
-- migration, are the receivers' to read and append to.
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA mta_sts
    GRANT SELECT, INSERT ON TABLES TO :"receiver";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA mta_sts
    GRANT USAGE ON SEQUENCES TO :"receiver";
-- Tables made before those defaults were set (none, here): run these two
-- again if the owner ever created some before this file was run.
GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA mta_sts TO :"receiver";
GRANT USAGE ON ALL SEQUENCES IN SCHEMA mta_sts TO :"receiver";
