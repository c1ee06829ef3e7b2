#!/usr/bin/env bash
# Makes sure PostgreSQL (with PostGIS) and Redis answer at DATABASE_URL and
# CELERY_BROKER_URL. Uses what already runs there; otherwise starts a project-local
# PostgreSQL cluster in var/pg and a Redis in var/redis, and records their pids in var/
# so scripts/run.sh can stop exactly what it started. It never touches the machine's own
# services.
set -euo pipefail
cd "$(dirname "$0")/.."

DATABASE_URL=${DATABASE_URL:-postgis://postgres@127.0.0.1:5432/wangge}
CELERY_BROKER_URL=${CELERY_BROKER_URL:-redis://127.0.0.1:6379/0}
eval "$(.venv/bin/python scripts/parse_urls.py "$DATABASE_URL" "$CELERY_BROKER_URL")"

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
mkdir -p var

if ! "$PGBIN/pg_isready" -q -h "$PGHOST" -p "$PGPORT"; then
  echo "==> nothing answers at $PGHOST:$PGPORT: starting a project PostgreSQL in var/pg"
  source scripts/pg_local.sh
  mkdir -p "$PGLOCAL"
  if [ ! -f "$PGLOCAL/data/PG_VERSION" ]; then
    "${RUNAS[@]}" "$PGBIN/initdb" -D "$PGLOCAL/data" -U "$PGUSER" --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  "${RUNAS[@]}" "$PGBIN/pg_ctl" -s -w -D "$PGLOCAL/data" -l "$PGLOCAL/server.log" \
    -o "-h $PGHOST -p $PGPORT -k $PGLOCAL" start
  echo "$PGLOCAL" > var/pg.owned
fi

if ! psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -tAc "select 1 from pg_database where datname='$PGDATABASE'" | grep -q 1; then
  psql -q -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -c "CREATE DATABASE \"$PGDATABASE\""
fi
psql -q -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d "$PGDATABASE" -c "CREATE EXTENSION IF NOT EXISTS postgis" 2>&1 | grep -v "already exists" || true

if ! redis-cli -h "$REDISHOST" -p "$REDISPORT" ping >/dev/null 2>&1; then
  echo "==> nothing answers at $REDISHOST:$REDISPORT: starting a project Redis in var/redis"
  mkdir -p var/redis
  redis-server --daemonize yes --bind "$REDISHOST" --port "$REDISPORT" --dir "$(pwd)/var/redis" \
    --save "" --appendonly no --pidfile "$(pwd)/var/redis/redis.pid" --logfile "$(pwd)/var/redis/redis.log"
  for _ in $(seq 50); do redis-cli -h "$REDISHOST" -p "$REDISPORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  echo started > var/redis.owned
fi
