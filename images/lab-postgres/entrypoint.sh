#!/bin/bash
# Entrypoint of aperture/lab-postgres: initdb into $PGDATA on the first start, then PostgreSQL in the
# foreground, logging to stderr.
#
# Environment (all optional):
#   PGDATA             data directory (default /var/lib/postgresql/data/pgdata); a subdirectory of
#                      the volume, because initdb refuses a mount point's root (lost+found)
#   POSTGRES_USER      superuser made by initdb (default: student, the shell's user, so that `psql`
#                      in the lab's shell needs no options)
#   POSTGRES_DB        a database made on the first start (default: the superuser's name)
#   POSTGRES_PASSWORD  set: TCP connections need this password (scram-sha-256);
#                      unset: TCP connections are trusted (the lab's network is private to it)
# Further arguments are passed to postgres (e.g. `-c max_connections=20`).
set -euo pipefail

PGDATA=${PGDATA:-/var/lib/postgresql/data/pgdata}
POSTGRES_USER=${POSTGRES_USER:-student}
POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}
export PGDATA

log() { printf 'lab-postgres: %s\n' "$*" >&2; }

if [[ ! -s $PGDATA/PG_VERSION ]]; then
  log "initializing a new cluster in $PGDATA"
  mkdir -p "$PGDATA"
  chmod 0700 "$PGDATA"
  pwfile=()
  if [[ -n ${POSTGRES_PASSWORD:-} ]]; then
    printf '%s\n' "$POSTGRES_PASSWORD" >/tmp/.pgpass-init
    pwfile=(--pwfile=/tmp/.pgpass-init)
  fi
  initdb --username="$POSTGRES_USER" "${pwfile[@]}" --encoding=UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host="$([[ -n ${POSTGRES_PASSWORD:-} ]] && echo scram-sha-256 || echo trust)" \
    >/tmp/initdb.log 2>&1 || {
    cat /tmp/initdb.log >&2
    exit 1
  }
  rm -f /tmp/.pgpass-init
  # Every address, not only 127.0.0.1: the lab's shell connects over its Service (PGHOST=db).
  cat >>"$PGDATA/pg_hba.conf" <<HBA

# lab-postgres: the lab's other components (its network is private to the lab).
host all all 0.0.0.0/0 $([[ -n ${POSTGRES_PASSWORD:-} ]] && echo scram-sha-256 || echo trust)
host all all ::/0 $([[ -n ${POSTGRES_PASSWORD:-} ]] && echo scram-sha-256 || echo trust)
HBA
  if [[ $POSTGRES_DB != postgres ]]; then
    postgres --single -D "$PGDATA" -c listen_addresses= postgres >/dev/null <<SQL
CREATE DATABASE "$POSTGRES_DB";
SQL
  fi
  log "cluster ready (superuser $POSTGRES_USER, database $POSTGRES_DB)"
fi

exec postgres -D "$PGDATA" \
  -c listen_addresses='*' -c port=5432 \
  -c unix_socket_directories=/run/postgresql,/tmp \
  -c logging_collector=off -c log_destination=stderr \
  "$@"
