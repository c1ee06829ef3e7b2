#!/usr/bin/env bash
# `make test`: services, lint, then the whole pytest suite against real PostGIS.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh
trap 'bash scripts/stop_services.sh' EXIT
.venv/bin/ruff check .
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
