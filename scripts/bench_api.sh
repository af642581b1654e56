#!/usr/bin/env bash
# bench_api.sh: the HTTP API benchmark of issue 4 point 7 (run by `make bench`; not part of `make test`).
#
# Builds a store of N items (default 100000) with one `tmfinv sync --once` from build/tmfinv-sim,
# serves it with `tmfinv serve` (no source: no sync runs during the measurement), and measures with
# wrk on loopback:
#   (1) GET one resource by id            .../resource/{id}
#   (2) GET a page of 40 resources        .../resource?offset=1000&limit=40
#   (3) the same page of 40 from nginx, as a static file holding exactly the body tmfinv returned,
#       with the same Content-Type (the reference; target: (2) >= 30% of (3) in requests/s)
# and for issue 11, point 4 (the answer cache missed: random offsets over the whole collection):
#   pages of 40 at random offsets (target >= 25% of (3)), GET by id against nginx serving that
#   item's body (target >= 60%; one id, as issue 4 measured it, and random ids, which miss the
#   answer cache), filtered pages (status=, @type=) and fields= projections at
#   random offsets, and random pages in the first and the last tenth of the collection (deep
#   offsets must not cost in proportion to the offset).
# then prints a table and writes bench/results/RESULTS-API-<date>-<host>.{md,json}; and before those, on the idle
# server, issue 9 point 6's impact measure (scripts/bench_impact.py: GET .../instances/{id}/impact for
# BENCH_IMPACT_REQUESTS random instances, default 1000, and the worst cases; target <= 50 ms), written to
# bench/results/RESULTS-IMPACT-<date>-<host>.{md,json}.
#
# Usage: scripts/bench_api.sh [--items N] [--duration S] [--connections C] [--threads T] [--out DIR]
#                             [--store PATH]
#   --store PATH                measure a copy of that store (and its -wal) instead of syncing one;
#                               it must hold the simulator's inventory for --items (seed 42)
#   BENCH_ITEMS=N               inventory size (default 100000)
#   BENCH_API_DURATION=S        seconds of each wrk measurement (default 10; plus a 2 s warm-up)
#   BENCH_API_CONNECTIONS=C     wrk connections (default 32)
#   BENCH_API_THREADS=T         wrk threads (default 2)
# Needs wrk and nginx (Debian packages wrk and nginx-light; installed with apt-get when run as
# root and missing), curl and python3.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=${TMFINV_BIN:-$TOP/build/tmfinv}
SIM=${TMFINV_SIM:-$TOP/build/tmfinv-sim}
OUT=$TOP/bench/results
ITEMS=${BENCH_ITEMS:-100000}
DURATION=${BENCH_API_DURATION:-10}
CONNECTIONS=${BENCH_API_CONNECTIONS:-32}
WRK_THREADS=${BENCH_API_THREADS:-2}
SEED=42
OFFSET=1000
LIMIT=40
STORE=

while [ $# -gt 0 ]; do
    case "$1" in
    --items) ITEMS=$2; shift ;;
    --items=*) ITEMS=${1#--items=} ;;
    --duration) DURATION=$2; shift ;;
    --duration=*) DURATION=${1#--duration=} ;;
    --connections) CONNECTIONS=$2; shift ;;
    --connections=*) CONNECTIONS=${1#--connections=} ;;
    --threads) WRK_THREADS=$2; shift ;;
    --threads=*) WRK_THREADS=${1#--threads=} ;;
    --store) STORE=$2; shift ;;
    --store=*) STORE=${1#--store=} ;;
    --out) OUT=$2; shift ;;
    --out=*) OUT=${1#--out=} ;;
    -h|--help) sed -n '2,31p' "$0"; exit 0 ;;
    *) echo "bench_api.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
for v in ITEMS DURATION CONNECTIONS WRK_THREADS; do
    case "${!v}" in ''|*[!0-9]*|0) echo "bench_api.sh: $v '${!v}': expected a positive whole number" >&2; exit 2 ;; esac
done
[ "$ITEMS" -ge 5000 ] || { echo "bench_api.sh: at least 5000 items (the page is at offset $OFFSET of the resources)" >&2; exit 2; }

for f in "$BIN" "$SIM"; do
    [ -x "$f" ] || { echo "bench_api.sh: $f is missing: run 'make build' first" >&2; exit 1; }
done
for c in python3 curl; do
    command -v "$c" >/dev/null || { echo "bench_api.sh: $c is needed" >&2; exit 1; }
done

# wrk and nginx: Debian packages, installed when missing and we are root.
NGINX=$(command -v nginx || true)
[ -z "$NGINX" ] && [ -x /usr/sbin/nginx ] && NGINX=/usr/sbin/nginx
missing=
command -v wrk >/dev/null || missing="$missing wrk"
[ -n "$NGINX" ] || missing="$missing nginx-light"
if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "bench_api.sh: installing$missing" >&2
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >/dev/null ||
            { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >/dev/null; }
        NGINX=$(command -v nginx || echo /usr/sbin/nginx)
    else
        echo "bench_api.sh: missing:$missing ('apt-get install$missing' as root)" >&2
        exit 1
    fi
fi

NPROC=$(nproc 2>/dev/null || echo 2)
SERVE_THREADS=$NPROC
[ "$SERVE_THREADS" -ge 2 ] || SERVE_THREADS=2
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tmfinv-bench-api.XXXXXX")
SIM_PID=
SERVE_PID=
NGINX_PID=
stop_pid() { # stop_pid PID: SIGTERM, then wait for it
    if [ -n "$1" ]; then kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; fi
}
cleanup() {
    stop_pid "$SIM_PID"
    stop_pid "$SERVE_PID"
    stop_pid "$NGINX_PID"
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_first_line FILE PID WHAT: the first line of FILE once PID printed it.
wait_first_line() {
    local line i
    for i in $(seq 1 1200); do
        line=$(head -n 1 "$1" 2>/dev/null || true)
        case "$line" in "listening on "*) echo "${line#listening on }"; return 0 ;; esac
        kill -0 "$2" 2>/dev/null || break
        sleep 0.05
    done
    echo "bench_api.sh: $3 did not start: $(cat "$1.err" 2>/dev/null)" >&2
    return 1
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

echo "tmfinv API bench: $ITEMS items, wrk -t$WRK_THREADS -c$CONNECTIONS -d${DURATION}s, $SERVE_THREADS server threads" >&2

# 1. The store: one full sync from the simulator (services 40%, carriers 20%, resources 40%),
# or a copy of the store given by --store (its -wal too), left as it was.
if [ -n "$STORE" ]; then
    echo "  copying the store $STORE ..." >&2
    cp "$STORE" "$WORK/tmfinv.db"
    [ -f "$STORE-wal" ] && cp "$STORE-wal" "$WORK/tmfinv.db-wal"
    printf '[store]\npath = %s\n' "$WORK/tmfinv.db" >"$WORK/sync.ini"
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
"$BIN" -c "$WORK/sync.ini" sync --once >"$WORK/sync.out" 2>"$WORK/sync.err" ||
    { echo "bench_api.sh: sync failed:" >&2; cat "$WORK/sync.err" >&2; exit 1; }
stop_pid "$SIM_PID"
SIM_PID=
fi
# Instances stored and not removed (what the TMF lists serve).
STORED=$("$BIN" -c "$WORK/sync.ini" summary --json | python3 -c '
import json, sys
print(sum(r["count"] for r in map(json.loads, filter(str.strip, sys.stdin)) if not r["removed"]))')

# 2. tmfinv serve on that store: no source, so no sync runs during the measurement.
cat >"$WORK/serve.ini" <<EOF
[store]
path = $WORK/tmfinv.db

[http]
listen = 127.0.0.1:0
threads = $SERVE_THREADS
max_connections = 1024
# wrk's connections all come from 127.0.0.1; a warm-up's may still be closing when the
# measurement opens its own.
max_client_connections = 1024
EOF
"$BIN" -c "$WORK/serve.ini" serve >"$WORK/serve.out" 2>"$WORK/serve.out.err" &
SERVE_PID=$!
TMFINV_BASE=$(wait_first_line "$WORK/serve.out" "$SERVE_PID" "tmfinv serve")
# Impact (issue 9, point 6), on the idle server before any wrk run; its own results file.
mkdir -p "$OUT"
python3 "$TOP/scripts/bench_impact.py" "$TMFINV_BASE" "$WORK/tmfinv.db" \
    "$OUT/RESULTS-IMPACT-$(date -u +%Y-%m-%d)-$(uname -n)" "${BENCH_IMPACT_REQUESTS:-1000}" \
    "$(git -C "$TOP" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
PAGE_PATH="/tmf-api/resourceInventoryManagement/v4/resource?offset=$OFFSET&limit=$LIMIT"
PAGE_URL=$TMFINV_BASE$PAGE_PATH
mkdir -p "$WORK/www"
status=$(curl -s -o "$WORK/www/page.json" -D "$WORK/page.headers" -w '%{http_code}' "$PAGE_URL")
case "$status" in 200|206) ;; *)
    echo "bench_api.sh: GET $PAGE_PATH answered $status: $(head -c 300 "$WORK/www/page.json")" >&2; exit 1 ;;
esac
CONTENT_TYPE=$(sed -n 's/^[Cc]ontent-[Tt]ype: *//p' "$WORK/page.headers" | tr -d '\r')
# The first item's id, and the most frequent status and @type of the page (for the filters).
read -r PAGE_ITEMS ITEM_ID ITEM_STATUS ITEM_TYPE < <(python3 -c '
import collections, json, sys, urllib.parse
items = json.load(open(sys.argv[1]))
q = lambda v: urllib.parse.quote(v, safe="")
top = lambda k: collections.Counter(i[k] for i in items).most_common(1)[0][0]
print(len(items), q(items[0]["id"]), q(top("status")), q(top("@type")))' "$WORK/www/page.json")
[ "$PAGE_ITEMS" = "$LIMIT" ] || { echo "bench_api.sh: the page holds $PAGE_ITEMS items, not $LIMIT" >&2; exit 1; }
ITEM_URL=$TMFINV_BASE/tmf-api/resourceInventoryManagement/v4/resource/$ITEM_ID
status=$(curl -s -o "$WORK/item.json" -w '%{http_code}' "$ITEM_URL")
[ "$status" = 200 ] || { echo "bench_api.sh: GET by id answered $status" >&2; exit 1; }
PAGE_BYTES=$(wc -c <"$WORK/www/page.json")
ITEM_BYTES=$(wc -c <"$WORK/item.json")
cp "$WORK/item.json" "$WORK/www/item.json"

# 3. nginx serving the same body as a static file, same Content-Type, no access log.
NGINX_PORT=$(free_port)
mkdir -p "$WORK/nginx"
chmod 755 "$WORK" "$WORK/www"
chmod 644 "$WORK/www/page.json" "$WORK/www/item.json"
NGINX_USER=
[ "$(id -u)" = 0 ] && NGINX_USER="user nobody nogroup;"
cat >"$WORK/nginx/nginx.conf" <<EOF
$NGINX_USER
daemon off;
worker_processes $SERVE_THREADS;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_body_temp_path $WORK/nginx/body;
    proxy_temp_path $WORK/nginx/proxy;
    fastcgi_temp_path $WORK/nginx/fastcgi;
    uwsgi_temp_path $WORK/nginx/uwsgi;
    scgi_temp_path $WORK/nginx/scgi;
    types { }
    default_type "$CONTENT_TYPE";
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $WORK/www;
        location = /page { try_files /page.json =404; }
        location = /item { try_files /item.json =404; }
    }
}
EOF
"$NGINX" -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" -e "$WORK/nginx/error.log" >"$WORK/nginx/stdout" 2>&1 &
NGINX_PID=$!
NGINX_URL=http://127.0.0.1:$NGINX_PORT/page
for i in $(seq 1 200); do
    curl -s -o /dev/null "$NGINX_URL" && break
    kill -0 "$NGINX_PID" 2>/dev/null || { echo "bench_api.sh: nginx did not start: $(cat "$WORK/nginx/error.log")" >&2; exit 1; }
    sleep 0.05
done
curl -s -o "$WORK/nginx-page.json" -D "$WORK/nginx.headers" "$NGINX_URL"
cmp -s "$WORK/nginx-page.json" "$WORK/www/page.json" ||
    { echo "bench_api.sh: nginx does not serve the same body" >&2; exit 1; }
NGINX_TYPE=$(sed -n 's/^[Cc]ontent-[Tt]ype: *//p' "$WORK/nginx.headers" | tr -d '\r')
[ "$NGINX_TYPE" = "$CONTENT_TYPE" ] ||
    { echo "bench_api.sh: nginx Content-Type '$NGINX_TYPE' is not '$CONTENT_TYPE'" >&2; exit 1; }
NGINX_ITEM_URL=http://127.0.0.1:$NGINX_PORT/item
curl -s -o "$WORK/nginx-item.json" "$NGINX_ITEM_URL"
cmp -s "$WORK/nginx-item.json" "$WORK/item.json" ||
    { echo "bench_api.sh: nginx does not serve the item's body" >&2; exit 1; }

# 4. wrk: a 2 s warm-up, then the measurement.
RESULTS=$WORK/results.txt
: >"$RESULTS"
measure() { # measure NAME URL
    echo "  wrk $1 ..." >&2
    wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d2s "$2" >/dev/null
    wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$2" >"$WORK/wrk-$1.txt"
    echo "$1 $WORK/wrk-$1.txt" >>"$RESULTS"
}
measure tmfinv_by_id "$ITEM_URL"
measure nginx_by_id "$NGINX_ITEM_URL"
measure tmfinv_page40 "$PAGE_URL"
measure nginx_page40 "$NGINX_URL"
# Pages of 40 at random offsets: the answer cache of the server (64 answers per thread)
# rarely holds the page, so these are the uncached costs. random_pages NAME QUERY FROM TO [any]:
# offsets drawn from pages FROM..TO tenths of the collection that QUERY selects; with "any",
# any offset in that range rather than a multiple of 40 (a tenth of the collection has too few
# pages to miss the cache: ~100 at 100k items).
RES_PATH=/tmf-api/resourceInventoryManagement/v4/resource
random_pages() {
    local name=$1 query=$2 from=$3 to=$4 step=$LIMIT total= pages lo hi i
    # Right after a wrk run the server may still be closing its connections (and answer 503).
    for i in $(seq 1 50); do
        total=$(curl -s -D - -o /dev/null "$TMFINV_BASE$RES_PATH?${query}offset=0&limit=1" |
            sed -n 's/^[Xx]-[Tt]otal-[Cc]ount: *//p' | tr -d '\r')
        [ -n "$total" ] && break
        sleep 0.2
    done
    pages=$(( total / LIMIT ))
    [ "$pages" -ge 10 ] || { echo "bench_api.sh: $name: only $total items for '$query'" >&2; exit 1; }
    lo=$(( pages * from / 10 ))
    hi=$(( pages * to / 10 - 1 ))
    if [ "${5:-}" = any ]; then lo=$(( lo * LIMIT )); hi=$(( hi * LIMIT )); step=1; fi
    cat >"$WORK/$name.lua" <<LUA
math.randomseed(42)
local path = "$RES_PATH?${query//%/%%}offset=%d&limit=$LIMIT"
request = function()
    return wrk.format("GET", string.format(path, math.random($lo, $hi) * $step))
end
LUA
    echo "  wrk $name ($query offsets $lo..$hi x $step, $pages pages) ..." >&2
    wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d2s -s "$WORK/$name.lua" "$PAGE_URL" >/dev/null
    wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$WORK/$name.lua" "$PAGE_URL" \
        >"$WORK/wrk-$name.txt"
    echo "$name $WORK/wrk-$name.txt" >>"$RESULTS"
    echo "$name $total $query" >>"$WORK/random.txt"
}
: >"$WORK/random.txt"
random_pages tmfinv_page40_random "" 0 10
random_pages tmfinv_page40_status "status=$ITEM_STATUS&" 0 10 any
random_pages tmfinv_page40_type "%40type=$ITEM_TYPE&" 0 10 any
random_pages tmfinv_page40_fields "fields=id,name,status&" 0 10 any
random_pages tmfinv_page40_first_tenth "" 0 1 any
random_pages tmfinv_page40_last_tenth "" 9 10 any
# GET by id with the answer cache missed: random ids among the active resources (ids of
# every page are many more than the 64 answers a thread's cache holds).
python3 - "$WORK/tmfinv.db" "$WORK/by_id_random.lua" "$RES_PATH" <<'PY'
import sqlite3, sys, urllib.parse
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
ids = [r[0] for r in db.execute("SELECT json_extract(raw, '$.id') FROM instance"
                                " WHERE definition = 'Resource' AND removed = 0 ORDER BY key")]
ids = [i for i in ids if isinstance(i, str)][::max(1, len(ids) // 5000)]
with open(sys.argv[2], "w") as f:
    f.write("math.randomseed(42)\nlocal ids = {%s}\n" % ",".join('"%s"' % urllib.parse.quote(i, safe="") for i in ids))
    f.write("request = function()\n    return wrk.format(\"GET\", \"%s/\" .. ids[math.random(#ids)])\nend\n" % sys.argv[3])
PY
echo "  wrk tmfinv_by_id_random ..." >&2
wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d2s -s "$WORK/by_id_random.lua" "$PAGE_URL" >/dev/null
wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$WORK/by_id_random.lua" "$PAGE_URL" \
    >"$WORK/wrk-tmfinv_by_id_random.txt"
echo "tmfinv_by_id_random $WORK/wrk-tmfinv_by_id_random.txt" >>"$RESULTS"

# 5. The report.
mkdir -p "$OUT"
HOST=$(uname -n)
DATE=$(date -u +%Y-%m-%d)
BASE=$OUT/RESULTS-API-$DATE-$HOST
COMMIT=$(git -C "$TOP" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$TOP" status --porcelain --untracked-files=no -- src 2>/dev/null)" ]; then
    COMMIT="$COMMIT (with uncommitted changes in src/)"
fi
[ -n "${TMFINV_BIN:-}" ] && COMMIT="$COMMIT; binary given by TMFINV_BIN: $BIN"
python3 - "$RESULTS" "$BASE" "$COMMIT" "$ITEMS" "$STORED" "$DURATION" "$CONNECTIONS" "$WRK_THREADS" \
    "$SERVE_THREADS" "$PAGE_PATH" "$PAGE_BYTES" "$ITEM_BYTES" "$CONTENT_TYPE" "$(wrk --version 2>&1 | head -n 1)" \
    "$("$NGINX" -v 2>&1 | head -n 1)" "$WORK/random.txt" "$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)" "$STORE" <<'EOF'
import datetime, json, os, platform, re, sys

(results, base, commit, items, stored, duration, connections, wrk_threads, serve_threads, page_path, page_bytes,
 item_bytes, content_type, wrk_version, nginx_version, random_txt, load, store) = sys.argv[1:19]
random_sets = {}
for line in open(random_txt):
    name, total, query = (line.rstrip("\n").split(" ", 2) + [""])[:3]
    random_sets[name] = (int(total), query.rstrip("&"))


def ms(text):
    m = re.fullmatch(r"([0-9.]+)(us|ms|s|m)", text)
    if not m:
        raise ValueError("latency %r" % text)
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[m.group(2)]


def parse(path):
    text = open(path).read()
    r = {"raw": text}
    m = re.search(r"Requests/sec:\s+([0-9.]+)", text)
    r["requests_per_s"] = float(m.group(1))
    m = re.search(r"^\s+(\d+) requests in ([0-9.]+\w+)", text, re.M)
    r["requests"] = int(m.group(1))
    for pct in ("50", "75", "90", "99"):
        m = re.search(r"^\s+%s%%\s+([0-9.]+\w+)" % pct, text, re.M)
        r["p%s_ms" % pct] = ms(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    r["non_2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: (.*)", text)
    r["socket_errors"] = m.group(1).strip() if m else ""
    return r


runs = {}
for line in open(results):
    name, path = line.split()
    runs[name] = parse(path)


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
           "wrk": wrk_version, "nginx": nginx_version, "load_average_after": load,
           "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
labels = {"tmfinv_by_id": "tmfinv GET resource by id (%s bytes)" % item_bytes,
          "nginx_by_id": "nginx static item (same %s bytes)" % item_bytes,
          "tmfinv_page40": "tmfinv GET page of 40 (%s bytes)" % page_bytes,
          "nginx_page40": "nginx static page of 40 (same %s bytes)" % page_bytes,
          "tmfinv_by_id_random": "tmfinv GET resource by id, random ids (answer cache missed)"}
for name, (total, query) in random_sets.items():
    what = {"tmfinv_page40_first_tenth": ", first tenth", "tmfinv_page40_last_tenth": ", last tenth"}.get(name, "")
    labels[name] = "tmfinv GET page of 40, random offsets%s%s (%d items)" % (
        " (%s)" % query if query else "", what, total)
ORDER = ["tmfinv_by_id", "tmfinv_by_id_random", "nginx_by_id", "tmfinv_page40", "nginx_page40"] + list(random_sets)
ratio = runs["tmfinv_page40"]["requests_per_s"] / runs["nginx_page40"]["requests_per_s"]
met = ratio >= 0.30
errors = [n for n, r in runs.items() if r["non_2xx"] or r["socket_errors"]]
rps = {n: r["requests_per_s"] for n, r in runs.items()}

# Issue 11, point 4: (what, ratio, target text, met or None)
issue11 = [("random pages of 40 / nginx page of 40", rps["tmfinv_page40_random"] / rps["nginx_page40"],
            ">= 25%", rps["tmfinv_page40_random"] / rps["nginx_page40"] >= 0.25),
           ("GET by id (one id: answer cache) / nginx item", rps["tmfinv_by_id"] / rps["nginx_by_id"], ">= 60%",
            rps["tmfinv_by_id"] / rps["nginx_by_id"] >= 0.60),
           ("GET by id, random ids (answer cache missed) / nginx item",
            rps["tmfinv_by_id_random"] / rps["nginx_by_id"], ">= 60%",
            rps["tmfinv_by_id_random"] / rps["nginx_by_id"] >= 0.60)]
for name in ("tmfinv_page40_status", "tmfinv_page40_type", "tmfinv_page40_fields"):
    issue11.append(("random pages %s / nginx page of 40" % random_sets[name][1], rps[name] / rps["nginx_page40"],
                    "reported", None))
deep = rps["tmfinv_page40_last_tenth"] / rps["tmfinv_page40_first_tenth"]
# Not in proportion to the offset: the last tenth at least 80% of the first tenth's rate
# (in proportion, it would be about a tenth of it).
issue11.append(("random pages, last tenth / first tenth (deep offsets)", deep, ">= 80%", deep >= 0.80))


def verdict(m):
    return "-" if m is None else ("met" if m else "NOT MET")


print()
print("%-78s  %12s  %9s  %9s" % ("measure", "requests/s", "p50 ms", "p99 ms"))
for name in ORDER:
    r = runs[name]
    print("%-78s  %12.0f  %9.3f  %9.3f" % (labels[name], r["requests_per_s"], r["p50_ms"], r["p99_ms"]))
print("%-78s  %11.1f%%  (issue 4 target >= 30%%: %s)" % ("tmfinv / nginx, page of 40 (answer cache)", 100 * ratio,
                                                          "met" if met else "NOT MET"))
for what, value, target, m in issue11:
    print("%-78s  %11.1f%%  (issue 11 target %s: %s)" % (what, 100 * value, target, verdict(m)))
if errors:
    print("WARNING: errors or non-2xx responses in: %s" % ", ".join(errors))
print()

md = ["# tmfinv API benchmark, %s on %s" % (machine["date"], machine["host"]), "",
      "Produced by `make bench` (`scripts/bench_api.sh`). See `bench/README.md` for what is measured.", "",
      "## Machine", "", "| | |", "|---|---|"]
for k, label in (("host", "host"), ("nproc", "CPUs (nproc)"), ("cpu", "CPU model"), ("memory", "memory"),
                 ("kernel", "kernel"), ("debian", "Debian"), ("tmfinv_commit", "tmfinv commit"), ("wrk", "wrk"),
                 ("nginx", "nginx")):
    md.append("| %s | %s |" % (label, machine[k]))
md += ["", "## Setup", "",
       "- Store: %s items simulated (`tmfinv-sim --seed 42`: services 40%%, carriers 20%%, resources 40%%), "
       "%s; %s instances stored." % (items, "synced once with `tmfinv sync --once`" if not store else
                                     "a copy of the store `%s` (`--store`)" % store, stored),
       "- `tmfinv serve` on that store with no source (no sync during the measurement), `[http] threads = %s`; "
       "nginx with `worker_processes %s`, no access log, serving the body tmfinv returned for `%s` as a static "
       "file with the same Content-Type (`%s`)." % (serve_threads, serve_threads, page_path, content_type),
       "- Load: `wrk -t%s -c%s -d%ss --latency` on loopback, each after a 2 s warm-up; the load generator "
       "shares the machine's CPUs with the server." % (wrk_threads, connections, duration), "",
       "## Results", "",
       "| measure | requests/s | p50 ms | p99 ms | requests | errors |", "|---|---|---|---|---|---|"]
for name in ORDER:
    r = runs[name]
    md.append("| %s | %.0f | %.3f | %.3f | %d | %s |" % (labels[name], r["requests_per_s"], r["p50_ms"], r["p99_ms"],
                                                       r["requests"], (("%d non-2xx " % r["non_2xx"]) if r["non_2xx"]
                                                                       else "") + r["socket_errors"] or "none"))
md += ["", "**tmfinv / nginx for the page of 40: %.1f%%** (issue 4's target at least 30%%: %s)."
       % (100 * ratio, "met" if met else "NOT MET"),
       "", "### Issue 11, point 4 (the answer cache missed)", "",
       "| measure | result | target | |", "|---|---|---|---|"]
md += ["| %s | %.1f%% | %s | %s |" % (w, 100 * v, t, verdict(m)) for w, v, t, m in issue11]
md += ["", "Load average (1, 5, 15 min) after the measurements: %s." % load]
if errors:
    md += ["", "**Warning:** errors or non-2xx responses in %s; the figures are not comparable." % ", ".join(errors)]
md += ["", "## wrk output", ""]
for name in ORDER:
    md += ["### %s" % labels[name], "", "```", runs[name]["raw"].rstrip(), "```", ""]
with open(base + ".md", "w") as f:
    f.write("\n".join(md))
with open(base + ".json", "w") as f:
    json.dump({"machine": machine, "items": int(items), "stored": int(stored) if stored.isdigit() else None,
               "wrk": {"threads": int(wrk_threads), "connections": int(connections), "duration_s": int(duration)},
               "server_threads": int(serve_threads), "page_path": page_path, "page_bytes": int(page_bytes),
               "item_bytes": int(item_bytes), "content_type": content_type,
               "runs": {n: {k: v for k, v in r.items() if k != "raw"} for n, r in runs.items()},
               "ratio_page40": ratio, "target_ratio": 0.30, "met": met,
               "issue11": [{"measure": w, "ratio": v, "target": t, "met": m} for w, v, t, m in issue11]},
              f, indent=2)
    f.write("\n")
print("wrote %s.md and %s.json" % (base, base))
EOF
