#!/bin/sh
# The CDR database of the compose topology: sbcx-postgres DATA_DIR SERVER_OPTIONS...
# A fresh cluster in the run's shared directory, then the server in the background: the container
# outlives a stop of the database (GEN-05's outage scenario stops it and starts it again from the runner).
set -eu
data=$1
shift
PG=/usr/lib/postgresql/15/bin
mkdir -p "$data"
chown postgres:postgres "$data"
chmod 700 "$data"
# The socket directory follows -k in the options.
sock=$(echo "$@" | sed -n 's/.*-k \([^ ]*\).*/\1/p')
[ -n "$sock" ] && mkdir -p "$sock" && chown postgres:postgres "$sock"
runuser -u postgres -- "$PG/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
printf 'local all all trust\nhost all all 10.20.0.0/24 md5\nhost all all 127.0.0.1/32 trust\n' >"$data/pg_hba.conf"
runuser -u postgres -- "$PG/postgres" -D "$data" "$@" &
trap 'kill -INT $! 2>/dev/null; exit 0' TERM INT
while :; do sleep 3600 & wait $! || true; done
