#!/bin/sh
# Installs what tmfinv needs to build, run its demo and run its tests on Debian 12.
# Idempotent: does nothing when everything is already there. Needs root (or sudo) only
# when something is missing.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)

# Debian packages: build tools, the libraries tmfinv links (libsystemd: sd_notify for the
# service; libpq: the PostgreSQL store), and what the tests run (openssl: throwaway certificates for the HTTPS tests;
# make deb and tests/integration/test_install.py use cpack, dpkg-deb and systemd-analyze).
debs="build-essential cmake pkg-config libcurl4-openssl-dev libcjson-dev libsqlite3-dev
libmicrohttpd-dev libssl-dev libsystemd-dev libcmocka-dev libpq-dev python3 nodejs npm sqlite3 openssl"
# The tests also check the unit with systemd-analyze (package systemd), and run the Python
# baseline of make bench (requests: python3-requests) against tmfinv's store, and drive the
# dashboard in Debian's chromium (tests/browser); the PostgreSQL store's tests start a server of
# their own from Debian's postgresql (scripts/pg-test-server.sh, run as a non-root user).
if [ "${1:-}" = "--test" ]; then
    debs="$debs systemd python3-requests chromium postgresql"
fi
# make bench only (--bench): the Python baseline (python3-requests), GNU time for peak RSS,
# wrk and nginx for the API figures, and the Node baseline's better-sqlite3 (below).
if [ "${1:-}" = "--bench" ]; then
    debs="$debs python3-requests time wrk nginx-light"
fi
# make fuzz only (--fuzz): clang and its libFuzzer runtime (compiler-rt; Debian 12's clang
# only recommends it).
if [ "${1:-}" = "--fuzz" ]; then
    debs="$debs clang libclang-rt-14-dev"
fi

missing=""
for p in $debs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
# npm may come from outside Debian (a newer Node.js): accept any working npm.
case " $missing " in *" npm "*) command -v npm >/dev/null 2>&1 && missing=$(echo "$missing" | sed 's/ npm//');; esac
case " $missing " in *" nodejs "*) command -v node >/dev/null 2>&1 && missing=$(echo "$missing" | sed 's/ nodejs//');; esac

if [ -n "$missing" ]; then
    echo "install-deps: installing Debian packages:$missing"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing
fi

# npm packages for the JSON Schema validation test (tests/schema), pinned by package-lock.json.
if [ "${1:-}" = "--test" ] && [ ! -d "$top/tests/schema/node_modules/ajv" ]; then
    echo "install-deps: installing npm packages for tests/schema"
    (cd "$top/tests/schema" && npm ci --no-audit --no-fund --loglevel=error)
fi
# The browser tests' driver (tests/browser): playwright-core, pinned by package-lock.json; it
# drives the chromium installed above and downloads no browser of its own.
if [ "${1:-}" = "--test" ] && [ ! -d "$top/tests/browser/node_modules/playwright-core" ]; then
    echo "install-deps: installing npm packages for tests/browser"
    (cd "$top/tests/browser" && npm ci --no-audit --no-fund --loglevel=error)
fi
# make bench's Node baseline (bench/baselines): better-sqlite3, pinned by package-lock.json and
# compiled from source against the installed Node.js headers (bench/baselines/.npmrc:
# build-from-source, nodedir=/usr), never a prebuilt binary. About a minute on two cores.
if [ "${1:-}" = "--bench" ] && [ ! -f "$top/bench/baselines/node_modules/better-sqlite3/build/Release/better_sqlite3.node" ]; then
    echo "install-deps: building better-sqlite3 for bench/baselines (from source)"
    (cd "$top/bench/baselines" && npm ci --no-audit --no-fund --loglevel=error)
fi
exit 0
