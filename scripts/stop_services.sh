#!/usr/bin/env bash
# Stops the PostgreSQL and Redis that scripts/services.sh started, and nothing else.
set -uo pipefail
cd "$(dirname "$0")/.."
if [ -f var/redis.owned ] && [ -f var/redis/redis.pid ]; then
  kill "$(cat var/redis/redis.pid)" 2>/dev/null && echo "==> stopped project Redis"
  rm -f var/redis.owned
fi
if [ -f var/pg.owned ]; then
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  RUNAS=(); [ "$(id -u)" -eq 0 ] && RUNAS=(runuser -u postgres --)
  "${RUNAS[@]}" "$PGBIN/pg_ctl" -s -D "$(cat var/pg.owned)/data" stop -m fast && echo "==> stopped project PostgreSQL"
  rm -f var/pg.owned
fi
