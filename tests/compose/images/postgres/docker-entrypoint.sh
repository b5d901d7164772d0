#!/bin/sh
# initdb on first start (takes PG_INIT_SECONDS), then answer on 5432 until SIGTERM.
set -e
if [ -n "$POSTGRES_PASSWORD_FILE" ] && [ ! -r "$POSTGRES_PASSWORD_FILE" ]; then
  echo "cannot read POSTGRES_PASSWORD_FILE=$POSTGRES_PASSWORD_FILE" >&2
  exit 1
fi
if [ ! -f "$PGDATA/PG_VERSION" ]; then
  echo "initdb: creating database ${POSTGRES_DB:-postgres} for ${POSTGRES_USER:-postgres}"
  sleep "${PG_INIT_SECONDS:-2}"
  echo 15 > "$PGDATA/PG_VERSION"
fi
echo "$(date) started" >> "$PGDATA/starts.log"
trap 'echo "database system is shut down"; exit 0' TERM INT
nc -ll -p 5432 -e echo "postgres stand-in" &
echo "database system is ready to accept connections"
wait
