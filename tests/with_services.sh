#!/usr/bin/env bash
# Run a command with a throwaway PostgreSQL 15 cluster and Redis on 127.0.0.1.
# Exports DATABASE_URL and REDIS_URL to the command; stops both and removes their data
# when the command ends, however it ends.  Usage: tests/with_services.sh CMD [ARGS...]
set -euo pipefail

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

workdir=$(mktemp -d /tmp/profiledesk-services.XXXXXX)
chmod 755 "$workdir"
pg_dir="$workdir/pg"
pg_port=$(free_port)
redis_port=$(free_port)

# PostgreSQL refuses to run as root: use the postgres account when we are root.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

cleanup() {
  status=$?
  as_pg pg_ctl -D "$pg_dir" -m immediate stop >/dev/null 2>&1 || true
  [ -f "$workdir/redis.pid" ] && kill "$(cat "$workdir/redis.pid")" 2>/dev/null || true
  rm -rf "$workdir"
  exit $status
}
trap cleanup EXIT INT TERM

mkdir -p "$pg_dir"
[ "$(id -u)" = 0 ] && chown postgres "$pg_dir"
as_pg initdb -D "$pg_dir" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$workdir/initdb.log" 2>&1 \
  || { cat "$workdir/initdb.log"; exit 1; }
# Durability off: a test cluster lives for one run.
as_pg pg_ctl -D "$pg_dir" -l "$pg_dir/server.log" -w -o \
  "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  start >/dev/null
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no \
  --daemonize yes --pidfile "$workdir/redis.pid" --logfile "$workdir/redis.log" --dir "$workdir"
for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done

export DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/postgres"
export REDIS_URL="redis://127.0.0.1:$redis_port/0"
echo "services: PostgreSQL $(as_pg postgres --version | awk '{print $3}') on :$pg_port, Redis on :$redis_port" >&2
"$@"
