#!/bin/sh
# make demo: start the simulator at a realistic size on loopback, run one full sync
# with tmfinv, print a summary per definition and status, and leave demo/tmfinv.ini and
# demo/tmfinv.db for the README's tour. The simulator is stopped at the end; the
# stored mirror stays.
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
cat <<TOUR

Try next (see README.md, "A five-minute tour"):
  build/tmfinv -c demo/tmfinv.ini query Carrier --where status=Degraded
  build/tmfinv -c demo/tmfinv.ini query Resource --where type=Modem --count
  build/tmfinv -c demo/tmfinv.ini show res-00000000
  build/tmfinv -c demo/tmfinv.ini set res-00000000 note="checked by NOC"
  build/tmfinv -c demo/tmfinv.ini runs
  build/tmfinv -c demo/tmfinv.ini rejected --kind all | head
TOUR
exit "$rc"
