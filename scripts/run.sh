#!/usr/bin/env bash
# `make run`: services, migrations, the Wuxi demo (once), then the web UI, a Celery worker
# and Celery beat under honcho. Ctrl-C stops all of them, and any PostgreSQL/Redis this
# script started.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh
trap 'bash scripts/stop_services.sh' EXIT
.venv/bin/python manage.py migrate --noinput -v 0
.venv/bin/python manage.py sync_scopes
.venv/bin/python manage.py load_demo_city --if-empty
.venv/bin/python manage.py score_risk
.venv/bin/python manage.py demo_accounts
echo "==> serving http://127.0.0.1:${PORT:-8000}/ (Ctrl-C stops everything)"
PORT=${PORT:-8000} .venv/bin/honcho -f Procfile start
