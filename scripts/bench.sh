#!/usr/bin/env bash
# bench.sh: the sync benchmarks of issues 11 and 3 (`make bench`; not part of `make test`).
#
# Issue 11, against ONE simulator process at BENCH_ITEMS items and zero latency:
#   tmfinv at its default concurrency (fresh store), its unchanged resync, and the two
#   baselines of bench/baselines (Python: requests + sqlite3; Node: fetch + better-sqlite3),
#   each into a fresh file; prints items/s, the ratios tmfinv/Python and tmfinv/Node, the
#   resync ratio, bytes per instance against the bytes of the items as served, and peak RSS.
# Issue 3, runs build/tmfinv against build/tmfinv-sim on loopback and measures:
#   (a) items/s of a full sync at zero latency, concurrency 4 and 8   (target >= 50k items/s)
#   (b) wall time at 50 ms page latency, concurrency 1, 4, 8, 16      (target: c8 >= 6x faster than c1)
#   (c) peak RSS of `tmfinv sync --once` at 20k, 100k (and 1M) items (target <= 64 MB at 1M)
#   (d) time and rows written of a second, unchanged sync             (target <= 1/2 the first, 0 rows)
# then prints a table and writes bench/results/RESULTS-<date>-<host>[-1M].{md,json}.
#
# Usage: scripts/bench.sh [--million] [--items N] [--out DIR]
#   BENCH_ITEMS=N         inventory size of issue 11's runs, (a) and (d) (default 100000; --million sets 1000000)
#   BENCH_LATENCY_ITEMS=N inventory size of the latency series (b) (default 20000)
# The baselines need python3-requests and bench/baselines/node_modules (scripts/install-deps.sh --bench).
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=${TMFINV_BIN:-$TOP/build/tmfinv}
SIM=${TMFINV_SIM:-$TOP/build/tmfinv-sim}
OUT=$TOP/bench/results
ITEMS=${BENCH_ITEMS:-100000}
LAT_ITEMS=${BENCH_LATENCY_ITEMS:-20000}
LATENCY_MS=50
PAGE_SIZE=40
SEED=42

while [ $# -gt 0 ]; do
    case "$1" in
    --million) ITEMS=1000000 ;;
    --items) ITEMS=$2; shift ;;
    --items=*) ITEMS=${1#--items=} ;;
    --out) OUT=$2; shift ;;
    --out=*) OUT=${1#--out=} ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "bench.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
case "$ITEMS" in ''|*[!0-9]*) echo "bench.sh: items '$ITEMS': expected a whole number" >&2; exit 2 ;; esac
[ "$ITEMS" -ge 1000 ] || { echo "bench.sh: at least 1000 items" >&2; exit 2; }

for f in "$BIN" "$SIM"; do
    [ -x "$f" ] || { echo "bench.sh: $f is missing: run 'make build' first" >&2; exit 1; }
done
command -v python3 >/dev/null || { echo "bench.sh: python3 is needed to read tmfinv's JSON" >&2; exit 1; }

# The baselines (issue 11): Debian's python3 with python3-requests when there, else any python3
# with requests; node with better-sqlite3 built in bench/baselines (install-deps.sh --bench).
BASELINES=$TOP/bench/baselines
BL_PYTHON=
for p in /usr/bin/python3 python3; do
    if "$p" -c 'import requests' 2>/dev/null; then BL_PYTHON=$(command -v "$p"); break; fi
done
[ -n "$BL_PYTHON" ] || { echo "bench.sh: no python3 with requests: run scripts/install-deps.sh --bench" >&2; exit 1; }
command -v node >/dev/null && [ -d "$BASELINES/node_modules/better-sqlite3" ] ||
    { echo "bench.sh: node or better-sqlite3 missing: run scripts/install-deps.sh --bench" >&2; exit 1; }

# GNU time gives the peak RSS ("Maximum resident set size", %M in KiB).
TIME=/usr/bin/time
if ! "$TIME" -f %M true >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "bench.sh: installing GNU time (Debian package 'time')" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q time >/dev/null ||
            { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q time >/dev/null; }
    else
        echo "bench.sh: GNU time (/usr/bin/time) is missing: 'apt-get install time' as root" >&2
        exit 1
    fi
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tmfinv-bench.XXXXXX")
SIM_PID=
cleanup() {
    if [ -n "$SIM_PID" ]; then kill "$SIM_PID" 2>/dev/null || true; wait "$SIM_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_sim ITEMS [sim options...]: starts the simulator (services 40%, carriers 20%,
# resources 40% of ITEMS) on a free port; sets SIM_PID and SIM_BASE.
start_sim() {
    local n=$1 line i
    shift
    "$SIM" --listen 127.0.0.1:0 --seed "$SEED" --services $((n * 2 / 5)) --carriers $((n / 5)) \
        --resources $((n - n * 2 / 5 - n / 5)) "$@" >"$WORK/sim.out" 2>"$WORK/sim.err" &
    SIM_PID=$!
    for i in $(seq 1 600); do
        line=$(head -n 1 "$WORK/sim.out" 2>/dev/null || true)
        case "$line" in "listening on "*) SIM_BASE="http://${line#listening on }"; return 0 ;; esac
        kill -0 "$SIM_PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "bench.sh: tmfinv-sim did not start: $(cat "$WORK/sim.err")" >&2
    exit 1
}

stop_sim() {
    kill "$SIM_PID" 2>/dev/null || true
    wait "$SIM_PID" 2>/dev/null || true
    SIM_PID=
}

# write_config DIR CONCURRENCY: a store in DIR fed by the SES services and resources collections;
# CONCURRENCY "default" leaves the key out (tmfinv's default applies).
write_config() {
    local conc="concurrency = $2"
    [ "$2" = default ] && conc="# concurrency: tmfinv's default"
    cat >"$1/tmfinv.ini" <<EOF
[store]
path = $1/tmfinv.db

[source services]
api = tmf638
url = $SIM_BASE/tmf638/service
paging = page
page_size = $PAGE_SIZE
$conc

[source resources]
api = tmf639
url = $SIM_BASE/tmf639/resource
paging = page
page_size = $PAGE_SIZE
$conc
EOF
}

# sync_once DIR: one `tmfinv sync --once` under GNU time; prints "wall_s rss_kib items writes complete".
sync_once() {
    local dir=$1
    if ! "$TIME" -f '%e %M' -o "$dir/time.txt" "$BIN" -c "$dir/tmfinv.ini" sync --once \
        >"$dir/sync.out" 2>"$dir/sync.err"; then
        echo "bench.sh: sync failed in $dir:" >&2
        cat "$dir/sync.err" >&2
        exit 1
    fi
    "$BIN" -c "$dir/tmfinv.ini" runs --json --limit 1 >"$dir/run.json"
    python3 - "$dir/time.txt" "$dir/run.json" <<'EOF'
import json, sys
wall, rss = open(sys.argv[1]).read().split()[-2:]
run = json.loads(open(sys.argv[2]).readline())
items = sum(s["items"] for s in run["sources"])
writes = sum(s.get("writes", 0) for s in run["sources"])
print(wall, rss, items, writes, "true" if run["complete"] else "false")
EOF
}

# fresh DIRNAME CONCURRENCY: a new store directory with its configuration; prints its path.
fresh() {
    local dir=$WORK/$1
    rm -rf "$dir"
    mkdir -p "$dir"
    write_config "$dir" "$2"
    echo "$dir"
}

# store_size DIR: bytes of the store (file + WAL, as left after the sync's final checkpoint;
# the -shm index is not counted) and its instances; prints "bytes instances".
store_size() {
    python3 - "$1/tmfinv.db" <<'EOF'
import os, sqlite3, sys
db = sys.argv[1]
size = sum(os.path.getsize(db + s) for s in ("", "-wal") if os.path.exists(db + s))
con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
print(size, con.execute("SELECT count(*) FROM instance").fetchone()[0])
con.close()
EOF
}

# baseline NAME CMD...: runs one baseline under GNU time into a fresh file against the running
# simulator; appends its JSON line, with wall_s, rss_kib and the file's bytes, to $BASELINE_RUNS.
baseline() {
    local name=$1 dir=$WORK/baseline-$1
    shift
    rm -rf "$dir"
    mkdir -p "$dir"
    if ! "$TIME" -f '%e %M' -o "$dir/time.txt" "$@" --base "$SIM_BASE" --db "$dir/baseline.db" \
        >"$dir/out.json" 2>"$dir/err.txt"; then
        echo "bench.sh: the $name baseline failed:" >&2
        cat "$dir/err.txt" >&2
        exit 1
    fi
    python3 - "$dir" "$name" >>"$BASELINE_RUNS" <<'EOF'
import json, os, sys
d, name = sys.argv[1:3]
out = json.loads(open(os.path.join(d, "out.json")).read().strip().splitlines()[-1])
wall, rss = open(os.path.join(d, "time.txt")).read().split()[-2:]
db = os.path.join(d, "baseline.db")
out.update({"name": name, "wall_s": float(wall), "rss_kib": int(rss),
            "store_bytes": sum(os.path.getsize(db + s) for s in ("", "-wal") if os.path.exists(db + s))})
print(json.dumps(out))
EOF
}

RESULTS=$WORK/results.txt
BASELINE_RUNS=$WORK/baselines.jsonl
: >"$RESULTS"
: >"$BASELINE_RUNS"
record() { echo "$*" >>"$RESULTS"; }
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)

echo "tmfinv bench: $ITEMS items (latency series: $LAT_ITEMS items at $LATENCY_MS ms), page size $PAGE_SIZE" >&2

start_sim "$ITEMS"
# Issue 11: tmfinv at its default concurrency, its unchanged resync, then both baselines, all
# against this one simulator process (zero latency, a fresh store or file each).
dir=$(fresh "i11-tmfinv" default)
echo "  issue 11: tmfinv full sync, $ITEMS items, zero latency, default concurrency ..." >&2
read -r wall rss items writes complete < <(sync_once "$dir")
record i11 0 "$ITEMS" "$wall" "$rss" "$items" "$writes" "$complete"
read -r STORE_BYTES INSTANCES < <(store_size "$dir")
echo "  issue 11: tmfinv unchanged resync ..." >&2
read -r wall rss items writes complete < <(sync_once "$dir")
record i11resync 0 "$ITEMS" "$wall" "$rss" "$items" "$writes" "$complete"
echo "  issue 11: Python baseline ($BL_PYTHON) ..." >&2
baseline python "$BL_PYTHON" "$BASELINES/sync_python.py"
echo "  issue 11: Node baseline (node $(node --version)) ..." >&2
baseline node node "$BASELINES/sync_node.mjs"
rm -rf "$dir" "$WORK"/baseline-*

# (a) + (d) + (c) at ITEMS: zero latency, concurrency 4 and 8; the second sync is unchanged.
for c in 4 8; do
    dir=$(fresh "zero-c$c" "$c")
    echo "  full sync, $ITEMS items, zero latency, concurrency $c ..." >&2
    read -r wall rss items writes complete < <(sync_once "$dir")
    record zero "$c" "$ITEMS" "$wall" "$rss" "$items" "$writes" "$complete"
    echo "  unchanged resync, concurrency $c ..." >&2
    read -r wall rss items writes complete < <(sync_once "$dir")
    record resync "$c" "$ITEMS" "$wall" "$rss" "$items" "$writes" "$complete"
done
stop_sim

# (c) peak RSS at the other sizes (zero latency, concurrency 4).
for n in 20000 100000 1000000; do
    [ "$n" -eq "$ITEMS" ] && continue
    [ "$n" -gt "$ITEMS" ] && continue
    start_sim "$n"
    dir=$(fresh "rss-$n" 4)
    echo "  peak RSS, $n items ..." >&2
    read -r wall rss items writes complete < <(sync_once "$dir")
    record zero 4 "$n" "$wall" "$rss" "$items" "$writes" "$complete"
    stop_sim
done

# (b) the latency series.
start_sim "$LAT_ITEMS" --latency-ms "$LATENCY_MS"
for c in 1 4 8 16; do
    dir=$(fresh "lat-c$c" "$c")
    echo "  full sync, $LAT_ITEMS items, $LATENCY_MS ms latency, concurrency $c ..." >&2
    read -r wall rss items writes complete < <(sync_once "$dir")
    record latency "$c" "$LAT_ITEMS" "$wall" "$rss" "$items" "$writes" "$complete"
done
stop_sim

# The report.
mkdir -p "$OUT"
HOST=$(uname -n)
DATE=$(date -u +%Y-%m-%d)
SUFFIX=
[ "$ITEMS" -ge 1000000 ] && SUFFIX=-1M
BASE=$OUT/RESULTS-$DATE-$HOST$SUFFIX
COMMIT=$(git -C "$TOP" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$TOP" status --porcelain --untracked-files=no -- src 2>/dev/null)" ]; then
    COMMIT="$COMMIT (with uncommitted changes in src/)"
fi
[ -n "${TMFINV_BIN:-}" ] && COMMIT="$COMMIT; binary given by TMFINV_BIN: $BIN"
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
BL_PYTHON_VERSION=$("$BL_PYTHON" -c 'import platform, requests, sqlite3; print("Python %s, requests %s, SQLite %s" % (platform.python_version(), requests.__version__, sqlite3.sqlite_version))')
BL_NODE_VERSION=$(cd "$BASELINES" && node -e 'const D = require("better-sqlite3"); const v = require("better-sqlite3/package.json").version; console.log(`Node ${process.version}, better-sqlite3 ${v}, SQLite ${new D(":memory:").prepare("select sqlite_version() v").get().v}`)')
python3 - "$RESULTS" "$BASE" "$COMMIT" "$ITEMS" "$LAT_ITEMS" "$LATENCY_MS" "$PAGE_SIZE" "$BASELINE_RUNS" \
    "$STORE_BYTES" "$INSTANCES" "$LOAD_BEFORE" "$LOAD_AFTER" "$BL_PYTHON_VERSION" "$BL_NODE_VERSION" <<'EOF'
import datetime, json, os, platform, subprocess, sys

results, base, commit, items, lat_items, latency, page_size = sys.argv[1:8]
baseline_runs, store_bytes, instances, load_before, load_after, py_version, node_version = sys.argv[8:15]
items, lat_items, store_bytes, instances = int(items), int(lat_items), int(store_bytes), int(instances)
rows = []
for line in open(results):
    kind, c, n, wall, rss, got, writes, complete = line.split()
    rows.append({"kind": kind, "concurrency": int(c), "inventory": int(n), "wall_s": float(wall),
                 "rss_kib": int(rss), "items": int(got), "writes": int(writes), "complete": complete == "true"})
baselines = {}
for line in open(baseline_runs):
    b = json.loads(line)
    b["items_per_s"] = b["items"] / b["wall_s"] if b["wall_s"] > 0 else float("inf")
    baselines[b["name"]] = b
baselines["python"]["runtime"] = py_version
baselines["node"]["runtime"] = node_version


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def mem_total():
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal:"):
                return "%.1f GiB" % (int(line.split()[1]) / 1048576)
    except OSError:
        pass
    return "unknown"


def debian():
    try:
        return open("/etc/debian_version").read().strip()
    except OSError:
        return "unknown"


machine = {"host": platform.node(), "nproc": os.cpu_count(), "cpu": cpu_model(), "memory": mem_total(),
           "kernel": platform.release(), "debian": debian(), "tmfinv_commit": commit,
           "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
           "load_average_before": load_before, "load_average_after": load_after}


def find(kind, c=None, n=None):
    for r in rows:
        if r["kind"] == kind and (c is None or r["concurrency"] == c) and (n is None or r["inventory"] == n):
            return r
    return None


def mib(kib):
    return kib / 1024.0


figures = []  # (what, value text, target text, met: True/False/None)

# Issue 11: one simulator process, tmfinv at its default concurrency and both baselines.
first, again = find("i11"), find("i11resync")
rate = first["items"] / first["wall_s"] if first["wall_s"] > 0 else float("inf")
first["items_per_s"] = rate
py, node = baselines["python"], baselines["node"]
figures.append(("[11] tmfinv full sync, %d items, zero latency, default concurrency" % items,
                "%.0f items/s (%d items in %.2f s)" % (rate, first["items"], first["wall_s"]), ">= 50000 items/s",
                rate >= 50000))
for name, b, target in (("Python", py, 3.0), ("Node", node, 2.0)):
    ratio = rate / b["items_per_s"] if b["items_per_s"] > 0 else float("inf")
    b["tmfinv_ratio"] = ratio
    figures.append(("[11] tmfinv / %s baseline, items/s" % name,
                    "%.2fx (%s: %.0f items/s, %d items in %.2f s)" % (ratio, name, b["items_per_s"], b["items"],
                                                                      b["wall_s"]),
                    ">= %.0fx" % target, ratio >= target))
resync_ratio = again["wall_s"] / first["wall_s"] if first["wall_s"] > 0 else float("inf")
again["ratio_to_first"] = resync_ratio
figures.append(("[11] unchanged resync, %d items, default concurrency" % items,
                "%.2fx the first (%.2f s / %.2f s), %d rows written" % (resync_ratio, again["wall_s"], first["wall_s"],
                                                                       again["writes"]),
                "<= 0.4x the first, 0 rows", resync_ratio <= 0.4 and again["writes"] == 0))
# The bytes of the items as served: every page body the Python baseline received (the Node
# one receives the same), so a stored instance is compared with the average item as sent.
per_instance = store_bytes / instances if instances else float("inf")
per_item_sent = py["bytes"] / py["items"] if py["items"] else float("inf")
size_ratio = per_instance / per_item_sent
store = {"store_bytes": store_bytes, "instances": instances, "bytes_per_instance": per_instance,
         "bytes_served": py["bytes"], "items_served": py["items"], "bytes_per_item_sent": per_item_sent,
         "ratio": size_ratio}
figures.append(("[11] store size per instance (file + WAL after the final checkpoint)",
                "%.0f B/instance = %.2fx the %.0f B of an item as sent (%.1f MiB, %d instances)"
                % (per_instance, size_ratio, per_item_sent, store_bytes / 1048576.0, instances),
                "<= 1.5x", size_ratio <= 1.5))
figures.append(("[11] peak RSS of that sync, %d items" % items, "%.1f MiB" % mib(first["rss_kib"]),
                "<= 64 MiB at 1M items", mib(first["rss_kib"]) <= 64 if items >= 1000000 else None))
for c in (4, 8):
    r = find("zero", c, items)
    rate = r["items"] / r["wall_s"] if r["wall_s"] > 0 else float("inf")
    r["items_per_s"] = rate
    figures.append(("(a) full sync, %d items, zero latency, concurrency %d" % (items, c),
                    "%.0f items/s (%d items in %.2f s)" % (rate, r["items"], r["wall_s"]), ">= 50000 items/s",
                    rate >= 50000))
lat = {c: find("latency", c) for c in (1, 4, 8, 16)}
for c in (1, 4, 8, 16):
    r = lat[c]
    speedup = lat[1]["wall_s"] / r["wall_s"] if r["wall_s"] > 0 else float("inf")
    r["speedup_vs_c1"] = speedup
    figures.append(("(b) %d items, page size %s, %s ms latency, concurrency %d" % (lat_items, page_size, latency, c),
                    "%.2f s (%.1fx vs concurrency 1)" % (r["wall_s"], speedup),
                    ">= 6x vs concurrency 1" if c == 8 else "-", speedup >= 6 if c == 8 else None))
for n in (20000, 100000, 1000000):
    r = find("zero", 4, n)
    if not r:
        continue
    figures.append(("(c) peak RSS of sync --once, %d items (concurrency 4)" % n, "%.1f MiB" % mib(r["rss_kib"]),
                    "<= 64 MiB at 1M items" if n == 1000000 else "(should not grow with size)",
                    mib(r["rss_kib"]) <= 64 if n == 1000000 else None))
for c in (4, 8):
    first, second = find("zero", c, items), find("resync", c, items)
    ratio = second["wall_s"] / first["wall_s"] if first["wall_s"] > 0 else float("inf")
    second["ratio_to_first"] = ratio
    figures.append(("(d) unchanged resync, %d items, concurrency %d" % (items, c),
                    "%.2f s (%.0f%% of the first %.2f s), %d rows written"
                    % (second["wall_s"], 100 * ratio, first["wall_s"], second["writes"]),
                    "<= 50% of the first, 0 rows", ratio <= 0.5 and second["writes"] == 0))
incomplete = [r for r in rows if not r["complete"]]


def met(m):
    return "-" if m is None else ("met" if m else "NOT MET")


width = max(len(f[0]) for f in figures)
vwidth = max(len(f[1]) for f in figures)
print()
print("%-*s  %-*s  %-28s  %s" % (width, "measure", vwidth, "result", "target", ""))
for what, value, target, m in figures:
    print("%-*s  %-*s  %-28s  %s" % (width, what, vwidth, value, target, met(m)))
print()

md = ["# tmfinv benchmark, %s on %s" % (machine["date"], machine["host"]), "",
      "Produced by `make bench` (`scripts/bench.sh`%s). See `bench/README.md` for what is measured."
      % (" --items %d" % items if items != 100000 else ""), "",
      "## Machine", "",
      "| | |", "|---|---|",
      "| host | %s |" % machine["host"],
      "| CPUs (nproc) | %s |" % machine["nproc"],
      "| CPU model | %s |" % machine["cpu"],
      "| memory | %s |" % machine["memory"],
      "| kernel | %s |" % machine["kernel"],
      "| Debian | %s |" % machine["debian"],
      "| tmfinv commit | %s |" % machine["tmfinv_commit"], "",
      "## Setup", "",
      "- Simulator `tmfinv-sim --seed 42` on the same machine (it shares the CPUs with tmfinv), loopback, "
      "SES page dialect, two sources (services+carriers: 60%%, resources: 40%%), page size %s." % page_size,
      "- (a), (c), (d): zero latency, %d items (services 40%%, carriers 20%%, resources 40%%), concurrency 4 "
      "and 8, a fresh store each; (d) is the second sync into the same store right after (a)." % items,
      "- (b): to keep the bench short, %d items at page size %s with `--latency-ms %s`, so %d pages per "
      "sequential scan." % (lat_items, page_size, latency, -(-lat_items * 3 // 5 // int(page_size)) +
                            -(-lat_items * 2 // 5 // int(page_size))),
      "- Wall time and peak RSS come from GNU time around `tmfinv -c FILE sync --once`; items and rows "
      "written from `tmfinv runs --json` (sum of `sources[].items` and `sources[].writes`).", "",
      "- [11]: issue 11's runs, against one simulator process at %d items, zero latency, one after the other: "
      "tmfinv at its default concurrency into a fresh store, its unchanged resync, then the Python and the "
      "Node baseline of `bench/baselines/` (sequential, one keep-alive connection, page size %s, first key wins, "
      "one upsert transaction per page), each into a fresh file; items/s = items served / wall time of the "
      "whole process (GNU time), the same for all three." % (items, page_size),
      "- Load average (1, 5, 15 min) before the bench: %s; after: %s." % (load_before, load_after), "",
      "## Results", "",
      "| measure | result | target | |", "|---|---|---|---|"]
for what, value, target, m in figures:
    md.append("| %s | %s | %s | %s |" % (what, value, target, met(m)))
md += ["", "## Baselines (issue 11)", "",
       "| baseline | runtime | wall s | items/s | peak RSS MiB | pages | rows | file MiB | bytes/row | bytes served |",
       "|---|---|---|---|---|---|---|---|---|---|"]
for b in (py, node):
    md.append("| %s | %s | %.2f | %.0f | %.1f | %d | %d | %.1f | %.0f | %d |"
              % (b["name"], b["runtime"], b["wall_s"], b["items_per_s"], mib(b["rss_kib"]), b["pages"], b["rows"],
                 b["store_bytes"] / 1048576.0, b["store_bytes"] / b["rows"] if b["rows"] else 0, b["bytes"]))
md.append("")
md.append("tmfinv's store: %d bytes for %d instances (%.0f B each); items as served: %d bytes for %d items "
          "(%.0f B each)." % (store_bytes, instances, per_instance, py["bytes"], py["items"], per_item_sent))
md += ["", "## Every run", "",
       "| run | concurrency | inventory | wall s | peak RSS MiB | items | rows written | complete |",
       "|---|---|---|---|---|---|---|---|"]
for r in rows:
    md.append("| %s | %s | %d | %.2f | %.1f | %d | %d | %s |" % (r["kind"], r["concurrency"] or "default",
                                                                r["inventory"],
                                                                r["wall_s"], mib(r["rss_kib"]), r["items"],
                                                                r["writes"], "yes" if r["complete"] else "NO"))
if incomplete:
    md += ["", "**Warning:** %d run(s) were not complete; their figures are not comparable." % len(incomplete)]
with open(base + ".md", "w") as f:
    f.write("\n".join(md) + "\n")
with open(base + ".json", "w") as f:
    json.dump({"machine": machine, "items": items, "latency_items": lat_items, "latency_ms": int(latency),
               "page_size": int(page_size), "runs": rows, "baselines": [py, node], "store": store,
               "figures": [{"measure": w, "result": v, "target": t, "met": m} for w, v, t, m in figures]},
              f, indent=2)
    f.write("\n")
print("wrote %s.md and %s.json" % (base, base))
EOF
