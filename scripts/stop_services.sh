#!/usr/bin/env bash
# Stops the PostgreSQL and Redis that scripts/services.sh started for the same
# DATABASE_URL / CELERY_BROKER_URL, and nothing else.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/addresses.sh
if [ -f "var/redis-$REDISPORT.owned" ]; then
  dir=$(cat "var/redis-$REDISPORT.owned")
  [ -f "$dir/redis.pid" ] && kill "$(cat "$dir/redis.pid")" 2>/dev/null && echo "==> stopped project Redis on $REDISPORT"
  rm -f "var/redis-$REDISPORT.owned"
fi
if [ -f "var/pg-$PGPORT.owned" ]; then
  RUNAS=(); [ "$(id -u)" -eq 0 ] && RUNAS=(runuser -u postgres --)
  "${RUNAS[@]}" "$PGBIN/pg_ctl" -s -D "$(cat "var/pg-$PGPORT.owned")/data" stop -m fast \
    && echo "==> stopped project PostgreSQL on $PGPORT"
  rm -f "var/pg-$PGPORT.owned"
fi
