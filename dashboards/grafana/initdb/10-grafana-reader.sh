#!/usr/bin/env bash
# Run once by the PostgreSQL image when the timescaledb volume is first created
# (/docker-entrypoint-initdb.d). Creates the role Grafana connects as: it may read, not write,
# because Grafana runs whatever SQL a dashboard holds.
#
# The gateway creates its tables later, at its first start, as POSTGRES_USER: default privileges
# give the reader SELECT on each of them as they appear. That includes the auth tables, which
# hold only hashes of passwords, keys and tokens.
set -e

if [ -z "${GRAFANA_DB_USER:-}" ]; then
  echo "GRAFANA_DB_USER is empty: no Grafana reader role created"
  exit 0
fi

# Values go in as psql variables (:"ident", :'literal'), so psql quotes them; the quoted
# here-document keeps the shell from expanding anything inside.
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  --set=reader="$GRAFANA_DB_USER" --set=reader_password="${GRAFANA_DB_PASSWORD:-}" \
  --set=owner="$POSTGRES_USER" --set=db="$POSTGRES_DB" <<'EOSQL'
CREATE ROLE :"reader" LOGIN PASSWORD :'reader_password';
GRANT CONNECT ON DATABASE :"db" TO :"reader";
GRANT USAGE ON SCHEMA public TO :"reader";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public GRANT SELECT ON TABLES TO :"reader";
-- A heavy dashboard query must not hold the database that ingest writes to.
ALTER ROLE :"reader" SET default_transaction_read_only = on;
ALTER ROLE :"reader" SET statement_timeout = '30s';
EOSQL
