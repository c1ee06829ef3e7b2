#!/usr/bin/env bash
# Makes sure PostgreSQL (with PostGIS) and Redis answer at DATABASE_URL and
# CELERY_BROKER_URL. Uses what already runs there; otherwise starts a project-local
# PostgreSQL cluster (var/pg-PORT) and Redis (var/redis-PORT), and marks them as ours so
# scripts/stop_services.sh stops exactly what was started here. The machine's own services
# are never touched.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/addresses.sh

if ! "$PGBIN/pg_isready" -q -h "$PGHOST" -p "$PGPORT"; then
  echo "==> nothing answers at $PGHOST:$PGPORT: starting a project PostgreSQL"
  source scripts/pg_local.sh
  if [ ! -f "$PGLOCAL/data/PG_VERSION" ]; then
    "${RUNAS[@]}" "$PGBIN/initdb" -D "$PGLOCAL/data" -U "$PGUSER" --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  "${RUNAS[@]}" "$PGBIN/pg_ctl" -s -w -D "$PGLOCAL/data" -l "$PGLOCAL/server.log" \
    -o "-h $PGHOST -p $PGPORT -k $PGLOCAL" start
  echo "$PGLOCAL" > "var/pg-$PGPORT.owned"
fi

if ! psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -tAc "select 1 from pg_database where datname='$PGDATABASE'" | grep -q 1; then
  psql -q -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -c "CREATE DATABASE \"$PGDATABASE\""
fi
psql -q -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d "$PGDATABASE" -c "CREATE EXTENSION IF NOT EXISTS postgis" 2>&1 | grep -v "already exists" || true

if ! redis-cli -h "$REDISHOST" -p "$REDISPORT" ping >/dev/null 2>&1; then
  echo "==> nothing answers at $REDISHOST:$REDISPORT: starting a project Redis"
  dir="$(pwd)/var/redis-$REDISPORT"
  mkdir -p "$dir"
  redis-server --daemonize yes --bind "$REDISHOST" --port "$REDISPORT" --dir "$dir" \
    --save "" --appendonly no --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
  for _ in $(seq 50); do redis-cli -h "$REDISHOST" -p "$REDISPORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  echo "$dir" > "var/redis-$REDISPORT.owned"
fi
