-- SPDX-License-Identifier: ISC
-- Stand-in for contrib/postgresql/mta-sts-report.sql until it is on
-- main: the owner of schema mta_sts (migrate, prune), the receivers'
-- role (read and insert), the database (-v database=NAME, default
-- mta_sts).  Run by the superuser.
\if :{?database}
\else
\set database mta_sts
\endif
CREATE ROLE mta_sts_owner LOGIN;
CREATE ROLE mta_sts_report LOGIN;
CREATE DATABASE :"database" ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'
    TEMPLATE template0;
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"database" TO mta_sts_owner, mta_sts_report;
\connect :"database"
REVOKE ALL ON SCHEMA public FROM PUBLIC;
CREATE SCHEMA mta_sts AUTHORIZATION mta_sts_owner;
GRANT USAGE ON SCHEMA mta_sts TO mta_sts_report;
ALTER DEFAULT PRIVILEGES FOR ROLE mta_sts_owner IN SCHEMA mta_sts
    GRANT SELECT, INSERT ON TABLES TO mta_sts_report;
ALTER DEFAULT PRIVILEGES FOR ROLE mta_sts_owner IN SCHEMA mta_sts
    GRANT USAGE ON SEQUENCES TO mta_sts_report;
