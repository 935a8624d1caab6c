#!/usr/bin/env bash
# Installs the app (Debian packages, the venv) and opens it on the bundled sample county.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/gis-app "$@"
