#!/usr/bin/env bash
# bench_ui.sh: the dashboard's table pages at size (issue 10, "Done when": each table page under
# 300 ms server time at 1M instances). Run by `make bench`; not part of `make test`.
#
# Builds a store of N items (default 100000; BENCH_ITEMS=1000000 for 1M) with one `tmfinv sync
# --once` from build/tmfinv-sim (ses profile: services 40%, carriers 20%, resources 40%), serves
# it with `tmfinv serve` (no source, JSON request log) and asks, for the definition with the most
# instances, the pages /ui/definitions/{D} asks of /api/v1/definitions/{D}/instances (50 a page,
# the table's default): the first page, a deep offset (nine tenths in), a status filter, a field
# filter (field=value), a sort by a field, a sort by modified (newest first) and a key search
# (search=prefix). Each page is asked BENCH_UI_REPEAT times (default 5), one request at a time,
# each at its own offset so that the answer cache never holds it. The server time is the `ms`
# of serve's request log (the router's measure from the request's arrival to its answer); curl's
# time_total on loopback is reported beside it. The SQL plan of each page (EXPLAIN QUERY PLAN,
# written as src/lib/store/store_sqlite_om.c writes it) goes into the report.
# Writes bench/results/RESULTS-UI-<date>-<host>[-<N>].{md,json}: each page's median and worst
# server time, met / NOT MET against 300 ms (the worst of the repeats counts).
#
# Usage: scripts/bench_ui.sh [--items N] [--repeat R] [--out DIR] [--store PATH]
#   BENCH_ITEMS=N        inventory size (default 100000)
#   BENCH_UI_REPEAT=R    requests per page (default 5)
#   --store PATH         no sync: copy the store PATH (and its PATH-wal, if any) into the work
#                        folder and serve the copy (PATH is never written; serve migrates the
#                        copy at its start, timed as "serve start" in the report). --items N
#                        then only names the size PATH was built with (the result's -1M suffix).
# Needs curl, python3 and sqlite3 (the plans; left out when missing).
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=${TMFINV_BIN:-$TOP/build/tmfinv}
SIM=${TMFINV_SIM:-$TOP/build/tmfinv-sim}
OUT=$TOP/bench/results
ITEMS=${BENCH_ITEMS:-100000}
REPEAT=${BENCH_UI_REPEAT:-5}
SEED=42
STORE=

while [ $# -gt 0 ]; do
    case "$1" in
    --items) ITEMS=$2; shift ;;
    --items=*) ITEMS=${1#--items=} ;;
    --repeat) REPEAT=$2; shift ;;
    --repeat=*) REPEAT=${1#--repeat=} ;;
    --out) OUT=$2; shift ;;
    --out=*) OUT=${1#--out=} ;;
    --store) STORE=$2; shift ;;
    --store=*) STORE=${1#--store=} ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "bench_ui.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
for v in ITEMS REPEAT; do
    case "${!v}" in ''|*[!0-9]*|0) echo "bench_ui.sh: $v '${!v}': expected a positive whole number" >&2; exit 2 ;; esac
done
[ "$ITEMS" -ge 1000 ] || { echo "bench_ui.sh: at least 1000 items" >&2; exit 2; }
[ -z "$STORE" ] || [ -f "$STORE" ] || { echo "bench_ui.sh: --store '$STORE': no such file" >&2; exit 2; }
for f in "$BIN" "$SIM"; do
    [ -x "$f" ] || { echo "bench_ui.sh: $f is missing: run 'make build' first" >&2; exit 1; }
done
for c in python3 curl; do
    command -v "$c" >/dev/null || { echo "bench_ui.sh: $c is needed" >&2; exit 1; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tmfinv-bench-ui.XXXXXX")
SIM_PID=
SERVE_PID=
stop_pid() { # stop_pid PID: SIGTERM, then wait for it
    if [ -n "$1" ]; then kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; fi
}
cleanup() {
    stop_pid "$SIM_PID"
    stop_pid "$SERVE_PID"
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_first_line FILE PID WHAT: the address of "listening on ADDR", the first line of FILE.
wait_first_line() {
    local line i
    # Up to 20 minutes: serve builds missing table indexes before it listens (~1 min at 1M).
    for i in $(seq 1 24000); do
        line=$(head -n 1 "$1" 2>/dev/null || true)
        case "$line" in "listening on "*) echo "${line#listening on }"; return 0 ;; esac
        kill -0 "$2" 2>/dev/null || break
        sleep 0.05
    done
    echo "bench_ui.sh: $3 did not start: $(cat "$1.err" 2>/dev/null)" >&2
    return 1
}

echo "tmfinv UI table bench: $ITEMS items, $REPEAT requests a page" >&2

# 1. The store: one full sync from the simulator, or a copy of --store.
if [ -n "$STORE" ]; then
    echo "  copying $STORE into $WORK ..." >&2
    cp "$STORE" "$WORK/tmfinv.db"
    [ ! -f "$STORE-wal" ] || cp "$STORE-wal" "$WORK/tmfinv.db-wal"
    SYNC_S=-1
else
    "$SIM" --listen 127.0.0.1:0 --seed "$SEED" --services $((ITEMS * 2 / 5)) --carriers $((ITEMS / 5)) \
        --resources $((ITEMS - ITEMS * 2 / 5 - ITEMS / 5)) >"$WORK/sim.out" 2>"$WORK/sim.out.err" &
    SIM_PID=$!
    SIM_BASE=http://$(wait_first_line "$WORK/sim.out" "$SIM_PID" tmfinv-sim)
    cat >"$WORK/sync.ini" <<EOF
[store]
path = $WORK/tmfinv.db

[source services]
api = tmf638
url = $SIM_BASE/tmf638/service
paging = page
page_size = 40
concurrency = 8

[source resources]
api = tmf639
url = $SIM_BASE/tmf639/resource
paging = page
page_size = 40
concurrency = 8
EOF
    echo "  syncing $ITEMS items into a fresh store ..." >&2
    SYNC_START=$(date +%s)
    "$BIN" -c "$WORK/sync.ini" sync --once >"$WORK/sync.out" 2>"$WORK/sync.err" ||
        { echo "bench_ui.sh: sync failed:" >&2; cat "$WORK/sync.err" >&2; exit 1; }
    SYNC_S=$(( $(date +%s) - SYNC_START ))
    stop_pid "$SIM_PID"
    SIM_PID=
fi

# 2. tmfinv serve on that store: no source (no sync during the measurement), the request log in JSON.
# Its start (migrating the store and building the table's indexes when needed) is timed.
cat >"$WORK/serve.ini" <<EOF
[store]
path = $WORK/tmfinv.db

[http]
listen = 127.0.0.1:0

[log]
format = json
EOF
"$BIN" -c "$WORK/serve.ini" serve >"$WORK/serve.out" 2>"$WORK/serve.log" &
ln -s serve.log "$WORK/serve.out.err"
SERVE_PID=$!
SERVE_T0=$(date +%s.%N)
BASE_URL=$(wait_first_line "$WORK/serve.out" "$SERVE_PID" "tmfinv serve")
SERVE_START_S=$(python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$SERVE_T0" "$(date +%s.%N)")
echo "  serve started in $SERVE_START_S s" >&2

# 3. The pages, the plans and the report.
mkdir -p "$OUT"
SUFFIX=
[ "$ITEMS" -ge 1000000 ] && SUFFIX=-$((ITEMS / 1000000))M
RESULT=$OUT/RESULTS-UI-$(date -u +%Y-%m-%d)-$(uname -n)$SUFFIX
COMMIT=$(git -C "$TOP" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
[ -n "${TMFINV_BIN:-}" ] && COMMIT="$COMMIT; binary given by TMFINV_BIN: $BIN"
python3 "$TOP/scripts/bench_ui.py" "$BASE_URL" "$WORK/serve.log" "$WORK/tmfinv.db" "$RESULT" "$ITEMS" \
    "$REPEAT" "$COMMIT" "$SYNC_S" "$SERVE_START_S" "${STORE:-}"
