-- The role the service runs as (README, "Trust boundaries"): it logs in and owns nothing. The owner,
-- the container's superuser POSTGRES_USER (MIGRATION_DATABASE_URL), gives it its privileges after
-- every migration run: SELECT and INSERT only on the audit tables, so it cannot rewrite the trail.
--
-- The postgres image runs this on the first start of an empty volume (docker-compose.yml mounts it
-- into /docker-entrypoint-initdb.d), as POSTGRES_USER in POSTGRES_DB. On a volume of an earlier
-- release, run it once by hand (the container has SSO_APP_PASSWORD in its environment):
--   docker compose up -d postgres
--   docker compose exec postgres psql -U sso -d sso -f /docker-entrypoint-initdb.d/10-runtime-role.sql
-- It may run again: it only sets the password once the role exists.
\set ON_ERROR_STOP on
\getenv app_password SSO_APP_PASSWORD
SELECT NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sso_app') AS missing \gset
\if :missing
CREATE ROLE sso_app;
\endif
ALTER ROLE sso_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'app_password';
