#!/usr/bin/env bash
# `make cluster`: a cluster on this machine, to try cabled's scale-out. Starts
# Redis (pub/sub between the nodes), PostgreSQL (the shared database) and
# three cabled nodes in demo mode sharing one port (SO_REUSEPORT: the kernel
# spreads connections over them), prints what `make run` prints, and stops
# everything on Ctrl-C.
#
#   PORT=8080 HOST=127.0.0.1 NODES=3     where the nodes listen, and how many
#   CLUSTER_DIR=.cluster                 data and logs; the database is kept
#                                        between runs (rm -rf it to start over)
#
# Redis and PostgreSQL come from Debian's packages (installed by
# scripts/install-deps.sh) and listen on free loopback ports; PostgreSQL's
# data lives in $CLUSTER_DIR/postgres, owned by the postgres user when run as
# root (initdb refuses root).
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${PORT:-8080}
HOST=${HOST:-127.0.0.1}
NODES=${NODES:-3}
DIR=$(mkdir -p "${CLUSTER_DIR:-.cluster}" && cd "${CLUSTER_DIR:-.cluster}" && pwd)
BIN=${BIN:-build/cabled}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
LOGS=$DIR/logs
mkdir -p "$LOGS"

pids=()
redis_pid=
pg_started=

say() { printf 'cluster: %s\n' "$*"; }

as_postgres() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
    node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

stop_all() {
    trap - INT TERM EXIT
    say "stopping"
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    [ -n "$redis_pid" ] && { kill "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true; }
    [ -n "$pg_started" ] && as_postgres "$PG_BIN/pg_ctl" -D "$DIR/postgres" -m fast -w -s stop >/dev/null 2>&1 || true
    say "stopped (data kept in $DIR; remove it to start over)"
}
trap stop_all EXIT
trap 'exit 130' INT TERM

# ---- Redis -----------------------------------------------------------------
redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$DIR" \
    >"$LOGS/redis.log" 2>&1 &
redis_pid=$!
for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p "$redis_port" ping >/dev/null 2>&1 || { say "redis-server did not start: see $LOGS/redis.log"; exit 1; }

# ---- PostgreSQL --------------------------------------------------------------
pg_port=$(free_port)
if [ ! -f "$DIR/postgres/PG_VERSION" ]; then
    [ -x "$PG_BIN/initdb" ] || { say "$PG_BIN/initdb not found: apt-get install postgresql"; exit 1; }
    mkdir -p "$DIR/postgres"
    [ "$(id -u)" = 0 ] && chown postgres: "$DIR/postgres"
    as_postgres "$PG_BIN/initdb" -D "$DIR/postgres" -U postgres --auth=trust -E UTF8 --locale=C \
        >"$LOGS/initdb.log" 2>&1 || { say "initdb failed: see $LOGS/initdb.log"; exit 1; }
fi
mkdir -p "$DIR/pgsock"
[ "$(id -u)" = 0 ] && chown postgres: "$DIR/pgsock" && touch "$LOGS/postgres.log" && chown postgres: "$LOGS/postgres.log"
as_postgres "$PG_BIN/pg_ctl" -D "$DIR/postgres" -l "$LOGS/postgres.log" -w -t 60 -s \
    -o "-p $pg_port -k $DIR/pgsock -c listen_addresses=127.0.0.1" start >/dev/null ||
    { say "PostgreSQL did not start: see $LOGS/postgres.log"; exit 1; }
pg_started=1
as_postgres psql -h "$DIR/pgsock" -p "$pg_port" -U postgres -Atqc \
    "SELECT 1 FROM pg_database WHERE datname = 'cabled'" | grep -q 1 ||
    as_postgres psql -h "$DIR/pgsock" -p "$pg_port" -U postgres -qc "CREATE DATABASE cabled" >/dev/null

# ---- the nodes ---------------------------------------------------------------
redis_url="redis://127.0.0.1:$redis_port"
db_url="postgresql://postgres@127.0.0.1:$pg_port/cabled"
args=(--demo --listen "$HOST:$PORT" --pubsub "$redis_url" --db "$db_url")

# Wait until node $1's stdout has its listening line.
wait_listening() {
    for _ in $(seq 100); do
        grep -q '^cabled listening on' "$LOGS/node$1.out" 2>/dev/null && return 0
        kill -0 "${pids[$(($1 - 1))]}" 2>/dev/null || break
        sleep 0.1
    done
    say "node $1 did not start:"
    tail -n 20 "$LOGS/node$1.log" >&2
    return 1
}

# The first node creates the schema and the demo data; the others join it.
"$BIN" "${args[@]}" >"$LOGS/node1.out" 2>"$LOGS/node1.log" &
pids+=($!)
wait_listening 1
for n in $(seq 2 "$NODES"); do
    "$BIN" "${args[@]}" >"$LOGS/node$n.out" 2>"$LOGS/node$n.log" &
    pids+=($!)
done
for n in $(seq 2 "$NODES"); do wait_listening "$n"; done

cat "$LOGS/node1.out"
cat <<EOF

cabled cluster: $NODES nodes on $HOST:$PORT (pids ${pids[*]}), one port shared with SO_REUSEPORT
  pub/sub     $redis_url
  database    $db_url
  logs        $LOGS/node*.log, redis.log, postgres.log
Every WebSocket lands on one of the nodes; a broadcast or event produced on any
node reaches the subscribers of all of them. Ctrl-C stops everything.
EOF

# Until Ctrl-C, or a node exits on its own.
wait -n "${pids[@]}" || true
say "a node exited; see $LOGS"
