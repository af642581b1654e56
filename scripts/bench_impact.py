#!/usr/bin/env python3
"""bench_impact.py: the impact measure of issue 9, point 6 (run by scripts/bench_api.sh, so by
`make bench`; not part of `make test`).

Against a running `tmfinv serve` on a store of the simulated inventory, asks
GET /api/v1/instances/{id}/impact (both directions, the default depth) for:
  - the first request, which builds the store's index of references (once per store);
  - N instances drawn at random (seed 42), one request each, one after the other (each target
    once, so the answer cache never answers);
  - the worst cases: the satellite and the transponder with the most instances naming them,
    and the five instances named by the most field values (by key or TMF id).
Prints p50/p90/p99/max and the worst cases, and writes OUT.md and OUT.json.
Target (issue 9, point 6): at most 50 ms for any instance of the 100k inventory.

Usage: bench_impact.py BASE_URL STORE_DB OUT_BASE [N] [COMMIT]"""

import datetime
import json
import os
import platform
import random
import sqlite3
import sys
import time
import urllib.request

TARGET_MS = 50.0


def ask(base, uuid):
    t0 = time.perf_counter()
    with urllib.request.urlopen("%s/api/v1/instances/%s/impact" % (base, uuid), timeout=600) as r:
        body = r.read()
    ms = (time.perf_counter() - t0) * 1000
    o = json.loads(body)
    return ms, o, len(body)


def row(ms, o, size, what):
    i = o["instance"]
    return {"what": what, "ms": round(ms, 2), "definition": i["definition"], "key": i["key"], "id": i["id"],
            "down": o["down"]["count"], "up": o["up"]["count"], "truncated": o["down"]["truncated"] or
            o["up"]["truncated"], "bytes": size}


def main():
    if len(sys.argv) < 4 or sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        return 0 if len(sys.argv) > 1 else 2
    base, db, out = sys.argv[1:4]
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
    commit = sys.argv[5] if len(sys.argv) > 5 else "unknown"
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    ids = [r[0] for r in con.execute("SELECT id FROM instance ORDER BY id")]
    random.seed(42)
    sample = random.sample(ids, min(n, len(ids)))

    first_ms, first, first_size = ask(base, sample[0])  # builds the index (unless built already)
    results = [row(*ask(base, uuid), "random") for uuid in sample[1:]]

    worst = []
    for kind in ("Satellite", "Transponder"):
        r = con.execute("SELECT i.id, count(*) c FROM instance i JOIN edge e ON e.ref = i.key"
                        " OR e.ref = json_extract(i.raw, '$.id') WHERE i.definition = 'Resource'"
                        " AND json_extract(i.raw, '$.\"@type\"') = ? GROUP BY i.id ORDER BY c DESC LIMIT 1",
                        (kind,)).fetchone()
        if r:
            worst.append((r[0], "the %s named by most instances (%d)" % (kind.lower(), r[1])))
    for ref, count in con.execute("SELECT ref, count(*) c FROM edge GROUP BY ref ORDER BY c DESC LIMIT 5"):
        for (uuid,) in con.execute("SELECT id FROM instance WHERE key = ?1 UNION SELECT id FROM instance"
                                   " WHERE json_extract(raw, '$.id') = ?1 LIMIT 1", (ref,)):
            worst.append((uuid, "named by %d field values" % count))
    asked, worst_rows = set(), []
    for uuid, what in worst:  # each once: a second request would come from the answer cache
        if uuid not in asked:
            asked.add(uuid)
            worst_rows.append(row(*ask(base, uuid), what))

    times = sorted(r["ms"] for r in results)

    def pct(p):
        return times[min(len(times) - 1, int(len(times) * p / 100))]

    summary = {"requests": len(results), "p50_ms": pct(50), "p90_ms": pct(90), "p99_ms": pct(99), "max_ms": times[-1],
               "mean_hits": round(sum(r["down"] + r["up"] for r in results) / len(results), 1),
               "first_request_ms": round(first_ms, 1),
               "worst_case_max_ms": max(r["ms"] for r in worst_rows) if worst_rows else None}
    overall = max([summary["max_ms"]] + [r["ms"] for r in worst_rows])
    met = overall <= TARGET_MS
    slowest = sorted(results, key=lambda r: r["ms"])[-5:]
    load = " ".join(open("/proc/loadavg").read().split()[:3]) if os.path.exists("/proc/loadavg") else "unknown"

    print()
    print("impact (GET /api/v1/instances/{id}/impact, both directions, the default depth 3), %d instances stored" % len(ids))
    print("  first request (builds the index of references): %.0f ms" % first_ms)
    print("  %d random instances: p50 %.1f  p90 %.1f  p99 %.1f  max %.1f ms (mean %.0f instances reached)"
          % (len(results), summary["p50_ms"], summary["p90_ms"], summary["p99_ms"], summary["max_ms"],
             summary["mean_hits"]))
    for r in worst_rows + slowest[::-1]:
        print("  %-44s %-10s %-14s %7.1f ms  down %5d  up %4d%s" % (r["what"], r["definition"], r["key"], r["ms"],
                                                                    r["down"], r["up"],
                                                                    "  (truncated)" if r["truncated"] else ""))
    print("  slowest of all: %.1f ms (issue 9 target <= %.0f ms: %s); load average after: %s"
          % (overall, TARGET_MS, "met" if met else "NOT MET", load))

    machine = {"host": platform.node(), "nproc": os.cpu_count(), "tmfinv_commit": commit, "load_average_after": load,
               "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
    with open(out + ".json", "w") as f:
        json.dump({"machine": machine, "stored": len(ids), "summary": summary, "worst": worst_rows,
                   "slowest_random": slowest, "target_ms": TARGET_MS, "met": met}, f, indent=2)
        f.write("\n")
    md = ["# tmfinv impact benchmark, %s on %s" % (machine["date"], machine["host"]), "",
          "Produced by `make bench` (`scripts/bench_impact.py`, from `scripts/bench_api.sh`); tmfinv commit %s;"
          " %d instances stored; load average after: %s." % (commit, len(ids), load), "",
          "`GET /api/v1/instances/{id}/impact` (both directions, the default depth 3), one request at a time, each target once"
          " (the answer cache never answers).", "",
          "| measure | ms |", "|---|---|",
          "| first request (builds the index of references) | %.0f |" % first_ms,
          "| %d random instances, p50 | %.1f |" % (len(results), summary["p50_ms"]),
          "| p90 | %.1f |" % summary["p90_ms"], "| p99 | %.1f |" % summary["p99_ms"],
          "| max | %.1f |" % summary["max_ms"], "",
          "| worst case | definition | key | ms | down | up |", "|---|---|---|---|---|---|"]
    md += ["| %s | %s | %s | %.1f | %d | %d |" % (r["what"], r["definition"], r["key"], r["ms"], r["down"], r["up"])
           for r in worst_rows + slowest[::-1]]
    md += ["", "**Slowest: %.1f ms** (issue 9's target at most %.0f ms: %s)." % (overall, TARGET_MS,
                                                                              "met" if met else "NOT MET"), ""]
    with open(out + ".md", "w") as f:
        f.write("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
