#!/usr/bin/env bash
# Starts a throw-away PostgreSQL + PostGIS server on loopback for the tests and prints its URL.
# Usage: scripts/pg.sh start|stop. Data lives in $GIS_APP_PG_DIR (default /tmp/gis-app-pg).
set -euo pipefail
PGDIR=${GIS_APP_PG_DIR:-/tmp/gis-app-pg}
PORT=${GIS_APP_PG_PORT:-54329}
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_pg() { if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }

case "${1:-start}" in
  start)
    if ! "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
      mkdir -p "$PGDIR"
      [ "$(id -u)" -eq 0 ] && chown postgres "$PGDIR"
      [ -f "$PGDIR/data/PG_VERSION" ] || as_pg "$BIN/initdb -D $PGDIR/data -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null"
      as_pg "$BIN/pg_ctl -D $PGDIR/data -l $PGDIR/server.log -w -o \"-p $PORT -k $PGDIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off\" start >/dev/null"
    fi
    echo "postgresql://postgres@127.0.0.1:$PORT/postgres"
    ;;
  stop)
    as_pg "$BIN/pg_ctl -D $PGDIR/data -m fast stop" >/dev/null 2>&1 || true
    ;;
esac
