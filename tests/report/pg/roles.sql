-- SPDX-License-Identifier: ISC
-- Stand-in for contrib/postgresql/mta-sts-report.sql until it exists:
-- the owner of the schema (migrate), the receivers' role (insert and
-- read), the database.  Run by the superuser.
CREATE ROLE mta_sts_owner LOGIN;
CREATE ROLE mta_sts_receiver LOGIN;
CREATE DATABASE mta_sts OWNER mta_sts_owner;
\connect mta_sts
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO mta_sts_receiver;
GRANT ALL ON SCHEMA public TO mta_sts_owner;
ALTER DEFAULT PRIVILEGES FOR ROLE mta_sts_owner IN SCHEMA public
    GRANT SELECT, INSERT ON TABLES TO mta_sts_receiver;
ALTER DEFAULT PRIVILEGES FOR ROLE mta_sts_owner IN SCHEMA public
    GRANT USAGE ON SEQUENCES TO mta_sts_receiver;
