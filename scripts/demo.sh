#!/bin/sh
# make demo: start the simulator at a realistic size on loopback, run one full sync
# with tmfinv, print a summary per definition and status, then run `tmfinv serve` (the
# sync schedule and the HTTP API) in the foreground and print the URLs to open; Ctrl-C
# stops it and the simulator. demo/tmfinv.ini and demo/tmfinv.db stay for the README's
# tour. DEMO_SERVE=0 stops after the summary; DEMO_PORT picks the API port (8080).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
demo="$top/demo"
bin="$top/build/tmfinv"
sim="$top/build/tmfinv-sim"
services=${DEMO_SERVICES:-4000}
carriers=${DEMO_CARRIERS:-2000}
resources=${DEMO_RESOURCES:-6000}

mkdir -p "$demo"
rm -f "$demo/tmfinv.db" "$demo/tmfinv.db-wal" "$demo/tmfinv.db-shm" "$demo/sim.out"

"$sim" --listen 127.0.0.1:0 --seed 42 --services "$services" --carriers "$carriers" \
    --resources "$resources" >"$demo/sim.out" 2>"$demo/sim.err" &
sim_pid=$!
trap 'kill $sim_pid 2>/dev/null || true' EXIT INT TERM

address=""
for _ in $(seq 1 100); do
    address=$(sed -n 's/^listening on //p' "$demo/sim.out" 2>/dev/null || true)
    [ -n "$address" ] && break
    sleep 0.1
done
if [ -z "$address" ]; then
    echo "demo: the simulator did not start:" >&2
    cat "$demo/sim.err" >&2
    exit 1
fi

cat >"$demo/tmfinv.ini" <<INI
# Written by make demo. The simulator that served it ($address) is stopped when the
# demo ends; the store below stays for the tour (query, show, set, runs, rejected).
[store]
path = tmfinv.db

# Services and carriers: TMF638 in the SES gateway dialect (page + recordsPerPage).
[source services]
api = tmf638
url = http://$address/tmf638/service
paging = page
page_size = 40
profile = ses

# Resources: TMF639 in the standard TMF v4 dialect (offset + limit).
[source resources]
api = tmf639
url = http://$address/tmf-api/resourceInventoryManagement/v4/resource
paging = offset
page_size = 40
profile = ses
INI

echo "== simulator: $services services, $carriers carriers, $resources resources at http://$address"
echo "== tmfinv -c demo/tmfinv.ini sync --once"
start=$(date +%s.%N)
set +e
"$bin" -c "$demo/tmfinv.ini" sync --once
rc=$?
set -e
end=$(date +%s.%N)
echo "== sync exit code $rc, $(echo "$end - $start" | bc 2>/dev/null || echo "?") s wall time"
echo "== tmfinv -c demo/tmfinv.ini summary"
"$bin" -c "$demo/tmfinv.ini" summary
if [ "${DEMO_SERVE:-1}" = "0" ]; then
    cat <<TOUR

Try next (see README.md, "A five-minute tour"):
  build/tmfinv -c demo/tmfinv.ini query Carrier --where status=Degraded
  build/tmfinv -c demo/tmfinv.ini show res-00000000
  build/tmfinv -c demo/tmfinv.ini runs
TOUR
    exit "$rc"
fi

# The daemon: the sync schedule and the HTTP API, on the same store, until Ctrl-C.
port=${DEMO_PORT:-8080}
cat >>"$demo/tmfinv.ini" <<INI

[http]
listen = 127.0.0.1:$port

[sync]
interval = 60
INI
cat <<TOUR

== tmfinv -c demo/tmfinv.ini serve   (Ctrl-C stops it and the simulator)
Dashboard:
  http://127.0.0.1:$port/
Open:
  http://127.0.0.1:$port/tmf-api/serviceInventory/v4/service?limit=5
  http://127.0.0.1:$port/tmf-api/resourceInventoryManagement/v4/resource?@type=Modem&limit=5&fields=name,status
  http://127.0.0.1:$port/api/v1/definitions
  http://127.0.0.1:$port/api/v1/runs
  http://127.0.0.1:$port/api/v1/openapi.json
  http://127.0.0.1:$port/metrics
  http://127.0.0.1:$port/readyz
Meanwhile, in another terminal (see README.md, "A five-minute tour"):
  build/tmfinv -c demo/tmfinv.ini query Carrier --where status=Degraded
  build/tmfinv -c demo/tmfinv.ini show res-00000000
TOUR
"$bin" -c "$demo/tmfinv.ini" serve || true
