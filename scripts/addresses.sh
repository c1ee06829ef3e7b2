# Sourced: PGHOST/PGPORT/PGUSER/PGDATABASE and REDISHOST/REDISPORT from the environment's
# URLs (same defaults as governance/settings.py), and PGBIN.
DATABASE_URL=${DATABASE_URL:-postgis://postgres@127.0.0.1:5432/wangge}
CELERY_BROKER_URL=${CELERY_BROKER_URL:-redis://127.0.0.1:6379/0}
eval "$(.venv/bin/python scripts/parse_urls.py "$DATABASE_URL" "$CELERY_BROKER_URL")"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
mkdir -p var
