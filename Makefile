.PHONY: setup run test lint bench services audit
SHELL := /bin/bash

setup:
	@bash scripts/setup.sh

services: setup
	@bash scripts/services.sh

run: setup
	@bash scripts/run.sh

test: setup
	@bash scripts/test.sh

lint: setup
	.venv/bin/ruff check .
	.venv/bin/mypy
	.venv/bin/lint-imports --no-logo

# bandit over the apps, pip-audit over requirements.txt (docs/security-findings.md).
audit: setup
	@bash scripts/audit.sh

bench: setup services
	.venv/bin/python bench/locate.py
	.venv/bin/python bench/cells_layer.py
