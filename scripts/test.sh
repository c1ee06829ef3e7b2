#!/usr/bin/env bash
# `make test`: services, lint (ruff, mypy, import contracts, bandit), then the whole pytest suite against real PostGIS.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh
trap 'bash scripts/stop_services.sh' EXIT
.venv/bin/ruff check .
.venv/bin/mypy
# The import direction of docs/architecture.md (contracts in pyproject.toml).
.venv/bin/lint-imports --no-logo
# Offline and a few seconds; pip-audit needs a vulnerability service, so only `make audit` runs it.
.venv/bin/bandit -r governance grids access cases geo risk oversight demo -c pyproject.toml -q
.venv/bin/python -m pytest "$@"
