#!/usr/bin/env bash
# `make audit`: bandit over the apps (offline, also part of `make test`), then pip-audit
# over the pinned requirements (needs a vulnerability service; see scripts/pip_audit.py).
# Accepted findings and why: docs/security-findings.md.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "==> bandit"
.venv/bin/bandit -r governance grids access cases geo risk oversight demo -c pyproject.toml -q
echo "bandit: no issues"
echo "==> pip-audit"
.venv/bin/python scripts/pip_audit.py
