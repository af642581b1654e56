#!/bin/sh
# A throwaway PostgreSQL server for the tests (docs/postgresql.md, docs/testing.md).
#
#   scripts/pg-test-server.sh start DIR     creates a cluster in DIR and starts it; prints the URL
#   scripts/pg-test-server.sh url DIR       the connection URL (postgresql://tmfinv@127.0.0.1:PORT/postgres)
#   scripts/pg-test-server.sh passfile DIR  the password file libpq reads (PGPASSFILE)
#   scripts/pg-test-server.sh stop DIR      stops the server and removes DIR
#
# DIR must not exist before start (a folder of its own, under $TMPDIR for instance: the server's
# user must be able to reach it, which a folder inside /root would not allow).
# The server listens on 127.0.0.1 only, on a free port, with its socket in DIR; it runs as the
# calling user, or, when that is root (CI), as the system user tmfinv-test (created when
# missing), since PostgreSQL refuses to run as root. Connections need the superuser `tmfinv`'s
# password, a random one written to DIR/pgpass (mode 0600, owned by the caller): the URL holds
# no password, libpq reads it from PGPASSFILE, as tmfinv's own configuration requires.
# Needs Debian 12's postgresql package (scripts/install-deps.sh --test installs it).
set -eu

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
TEST_USER=tmfinv-test

usage() {
    echo "usage: $0 start|stop|url|passfile DIR" >&2
    exit 2
}

[ $# -eq 2 ] || usage
cmd=$1
dir=$2

# Runs a command as the server's user.
as_server() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u "$TEST_USER" -- "$@"
    else
        "$@"
    fi
}

# A TCP port free on 127.0.0.1 at this moment (the kernel's choice).
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start() {
    if [ -e "$dir" ]; then
        echo "pg-test-server: $dir already exists (stop it first, or choose another folder)" >&2
        exit 1
    fi
    if [ ! -x "$PGBIN/pg_ctl" ]; then
        echo "pg-test-server: $PGBIN/pg_ctl not found: install Debian's postgresql (scripts/install-deps.sh --test)" >&2
        exit 1
    fi
    if [ "$(id -u)" -eq 0 ] && ! id "$TEST_USER" >/dev/null 2>&1; then
        useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$TEST_USER"
    fi
    mkdir "$dir"
    dir=$(cd "$dir" && pwd)
    chmod 0755 "$dir"
    mkdir "$dir/data" "$dir/run"
    # The password: 32 hex characters from the kernel's random source.
    pass=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
    umask 077
    printf '%s\n' "$pass" >"$dir/pwfile"
    umask 022
    if [ "$(id -u)" -eq 0 ]; then
        chown "$TEST_USER" "$dir/data" "$dir/run" "$dir/pwfile"
    fi
    as_server "$PGBIN/initdb" -D "$dir/data" -U tmfinv --pwfile="$dir/pwfile" --auth=scram-sha-256 \
        -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        exit 1
    }
    rm -f "$dir/pwfile"
    tries=0
    while :; do
        port=$(free_port)
        if as_server "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/run/server.log" -w -t 60 \
            -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir/run -c fsync=off" \
            start >/dev/null 2>&1; then
            break
        fi
        tries=$((tries + 1))
        # Another process may have taken the port between the choice and the start.
        if [ "$tries" -ge 5 ]; then
            echo "pg-test-server: the server did not start; its log:" >&2
            cat "$dir/run/server.log" >&2 || true
            exit 1
        fi
    done
    umask 077
    printf '127.0.0.1:%s:*:tmfinv:%s\n' "$port" "$pass" >"$dir/pgpass"
    umask 022
    printf 'postgresql://tmfinv@127.0.0.1:%s/postgres\n' "$port" >"$dir/url"
    cat "$dir/url"
}

stop() {
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_server "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w -t 60 stop >/dev/null 2>&1 || true
    fi
    # Only a folder this script made (it holds initdb.log) is removed.
    if [ -f "$dir/initdb.log" ]; then
        rm -rf "$dir"
    fi
}

case "$cmd" in
start) start ;;
stop) stop ;;
url) cat "$dir/url" ;;
passfile) echo "$(cd "$dir" && pwd)/pgpass" ;;
*) usage ;;
esac
