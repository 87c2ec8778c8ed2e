#!/usr/bin/env bash
# Makes sure the services the integration tests need are running on this machine:
# PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379. Starts a stopped local
# install (Debian packages) and waits until each answers; never touches a running one.
set -euo pipefail

wait_for() { # name, check command...
  local name=$1; shift
  for _ in $(seq 1 60); do
    if "$@" >/dev/null 2>&1; then echo "services: $name is up"; return 0; fi
    sleep 0.5
  done
  echo "services: $name did not come up" >&2
  return 1
}

pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q; }
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping | grep -q PONG; }

if ! pg_up; then
  echo "services: starting PostgreSQL…"
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    for version in /etc/postgresql/*; do
      pg_ctlcluster --skip-systemctl-redirect "$(basename "$version")" main start || true
    done
  else
    echo "services: PostgreSQL is not running and no local cluster was found; set TEST_DATABASE_URL" >&2
  fi
fi
wait_for PostgreSQL pg_up

if ! redis_up; then
  echo "services: starting Redis…"
  if command -v redis-server >/dev/null; then
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log
  else
    echo "services: Redis is not running and redis-server is not installed; set TEST_REDIS_URL" >&2
  fi
fi
wait_for Redis redis_up
