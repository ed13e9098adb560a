#!/usr/bin/env bash
# tests/services/postgres.sh: a throwaway PostgreSQL 15 cluster for the tests,
# from Debian's binaries (/usr/lib/postgresql/15/bin), on a free loopback port.
#
#   postgres.sh start   create and start the cluster if it is not running; print its URL
#   postgres.sh stop    stop it and remove every file it had (nothing left behind)
#   postgres.sh down    stop the server but keep its data (an outage, for tests)
#   postgres.sh up      start it again after `down`, on the same port
#   postgres.sh url     print the URL of the running cluster; exit 1 when there is none
#
# Every command is idempotent. The cluster lives in one directory,
# $CABLED_PG_HOME (default /tmp/cabled-pg-<hash of this checkout's path>, so two
# checkouts never share one): data/, the unix socket in sock/, the log, and the
# port. The server listens on 127.0.0.1 only, trusts local connections (user
# postgres, no password) and runs with fsync off: it holds test data only.
# initdb refuses to run as root, so as root the server runs as the postgres user.
set -euo pipefail

BIN=${CABLED_PG_BIN:-/usr/lib/postgresql/15/bin}
repo=$(cd "$(dirname "$0")/../.." && pwd)
HOME_DIR=${CABLED_PG_HOME:-/tmp/cabled-pg-$(printf %s "$repo" | md5sum | cut -c1-8)}
DATA=$HOME_DIR/data
SOCK=$HOME_DIR/sock
LOG=$HOME_DIR/postgres.log

die() { echo "postgres.sh: $*" >&2; exit 1; }

as_owner() { # run a server binary as the cluster's owner
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

url() { echo "postgresql://postgres@127.0.0.1:$(cat "$HOME_DIR/port")/postgres"; }

running() {
    [ -f "$DATA/postmaster.pid" ] && as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

port_free() { # nothing accepts on 127.0.0.1:$1
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

server_start() { # start on the port in $HOME_DIR/port; 0 when it is up
    as_owner "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 -s \
        -o "-p $(cat "$HOME_DIR/port") -k $SOCK -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 -c shared_buffers=32MB" \
        start >/dev/null
}

cmd_start() {
    if running; then url; return; fi
    [ -x "$BIN/initdb" ] || die "$BIN/initdb not found: apt-get install postgresql"
    rm -rf "$HOME_DIR"
    mkdir -p "$DATA" "$SOCK"
    chmod 755 "$HOME_DIR"
    [ "$(id -u)" = 0 ] && chown postgres: "$DATA" "$SOCK" "$HOME_DIR"
    as_owner "$BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C \
        --no-sync >"$HOME_DIR/initdb.log" 2>&1 || die "initdb failed: $(tail -n 5 "$HOME_DIR/initdb.log")"
    # A free port, found by trying: another process may take one between the
    # look and the bind, so a failed start tries another.
    for _ in 1 2 3 4 5 6 7 8; do
        local port=$((20000 + RANDOM % 40000))
        port_free "$port" || continue
        echo "$port" >"$HOME_DIR/port"
        [ "$(id -u)" = 0 ] && chown postgres: "$HOME_DIR/port"
        if server_start; then url; return; fi
    done
    die "the server did not start: $(tail -n 5 "$LOG" 2>/dev/null)"
}

cmd_stop() {
    [ -d "$HOME_DIR" ] || return 0
    if running; then as_owner "$BIN/pg_ctl" -D "$DATA" -m immediate -w -s stop >/dev/null 2>&1 || true; fi
    rm -rf "$HOME_DIR"
}

cmd_down() {
    [ -f "$HOME_DIR/port" ] || die "no cluster: run start first"
    running || return 0
    # Fast: sessions are ended with 57P01, as in a real restart.
    as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w -s stop >/dev/null
}

cmd_up() {
    [ -f "$HOME_DIR/port" ] || die "no cluster: run start first"
    running && return 0
    server_start || die "the server did not start again: $(tail -n 5 "$LOG" 2>/dev/null)"
}

case ${1:-} in
start) cmd_start ;;
stop) cmd_stop ;;
down) cmd_down ;;
up) cmd_up ;;
url) [ -f "$HOME_DIR/port" ] && running || exit 1; url ;;
*) echo "usage: $0 start|stop|down|up|url" >&2; exit 2 ;;
esac
