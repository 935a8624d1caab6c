#!/usr/bin/env bash
# Installs what the tests need (Debian packages, PostgreSQL/PostGIS, the venv), starts the test
# database server on loopback, checks the dependency rule and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
GIS_APP_TEST_PG=$(scripts/pg.sh start)
export GIS_APP_TEST_PG
export QT_QPA_PLATFORM=offscreen
echo "== dependency rule (import-linter) and lint (ruff)"
.venv/bin/lint-imports
.venv/bin/ruff check gis_app tests benchmarks
echo "== tests"
.venv/bin/python -m pytest -q -n 2 -p no:cacheprovider "$@"
