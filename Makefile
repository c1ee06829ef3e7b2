.PHONY: setup run test lint bench services
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

bench: setup services
	.venv/bin/python bench/locate.py
	.venv/bin/python bench/cells_layer.py
