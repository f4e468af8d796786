#!/usr/bin/env bash
# Starts (or stops) a throwaway PostgreSQL cluster on loopback for the test suite.
#   eval "$(scripts/pg-test-cluster.sh start)"   # exports VPCEP_TEST_DATABASE_URL and PG_TEST_DIR
#   scripts/pg-test-cluster.sh stop "$PG_TEST_DIR"
# It runs as the postgres user when started as root, since initdb refuses root.
set -euo pipefail

bin_dir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$d" ] || { echo "no PostgreSQL server binaries under /usr/lib/postgresql" >&2; exit 1; }
  echo "$d"
}

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    BIN=$(bin_dir)
    DIR=$(mktemp -d /tmp/vpcep-pg.XXXXXX)
    [ "$(id -u)" = 0 ] && chown postgres "$DIR"
    PORT=${PG_TEST_PORT:-$(( 20000 + RANDOM % 20000 ))}
    as_pg "$BIN/initdb" -D "$DIR/data" -A trust -U postgres --no-sync >/dev/null
    as_pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c fsync=off -c max_connections=200" start >/dev/null
    echo "export VPCEP_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:$PORT/postgres"
    echo "export PG_TEST_DIR=$DIR"
    ;;
  stop)
    DIR=${2:?usage: stop DIR}
    BIN=$(bin_dir)
    as_pg "$BIN/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$DIR"
    ;;
  *)
    echo "usage: $0 start | stop DIR" >&2
    exit 2
    ;;
esac
