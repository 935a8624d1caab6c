#!/usr/bin/env bash
# Installs everything the app and its tests need on a fresh Debian machine, then the venv.
# Idempotent: a second run only checks. Usage: scripts/setup.sh [--test]
set -euo pipefail
cd "$(dirname "$0")/.."

APT_APP=(fonts-wqy-microhei libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0
         libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0
         libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libdbus-1-3 libfontconfig1 python3-venv)
APT_TEST=(xvfb xauth x11-utils imagemagick gdal-bin postgresql postgresql-15-postgis-3 chromium poppler-utils)

want=("${APT_APP[@]}")
[ "${1:-}" = "--test" ] && want+=("${APT_TEST[@]}")
missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv"
  $PY -m venv .venv
fi
stamp=.venv/.installed-$(sha1sum pyproject.toml | cut -c1-12)$([ "${1:-}" = "--test" ] && echo -test)
if [ ! -f "$stamp" ]; then
  echo "== installing Python packages"
  .venv/bin/pip install -q --upgrade pip >/dev/null
  if [ "${1:-}" = "--test" ]; then .venv/bin/pip install -q -e ".[test]"; else .venv/bin/pip install -q -e .; fi
  touch "$stamp"
fi
