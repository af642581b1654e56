#!/usr/bin/env python3
"""bench_ui.py: the timing and the report of scripts/bench_ui.sh (standard library only).

Usage: bench_ui.py BASE_URL SERVE_LOG STORE RESULT_BASE ITEMS REPEAT COMMIT SYNC_S [SERVE_START_S [COPIED_FROM]]

SYNC_S -1: the store was copied from COPIED_FROM (bench_ui.sh --store), not synced.

Asks the dashboard table's pages of /api/v1/definitions/{D}/instances, one request at a time,
each at its own offset (so the answer cache misses), reads each request's server time (`ms`)
from serve's JSON request log, and writes RESULT_BASE.md and RESULT_BASE.json.
"""
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request

TARGET_MS = 300.0
LIMIT = 50  # the table's default page size (data/ui/views/table.js)


def get(base, path):
    """GET base+path: (decoded JSON, seconds on the client)."""
    t = time.monotonic()
    with urllib.request.urlopen(base + path, timeout=600) as r:
        body = r.read()
    return json.loads(body), time.monotonic() - t


def data(answer):
    return answer["data"] if isinstance(answer, dict) and "data" in answer else answer


def log_ms(log, target, seen):
    """The `ms` of the request log's first line for target not yet read (the log may lag)."""
    for _ in range(200):
        with open(log) as f:
            for n, line in enumerate(f):
                if n in seen or not line.startswith("{"):
                    continue
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                if rec.get("target") == target and "ms" in rec:
                    seen.add(n)
                    return float(rec["ms"])
        time.sleep(0.05)
    raise SystemExit("bench_ui.py: no request log line for %s" % target)


def sql_of(d, page):
    """The page's count and its rowid query as store_sqlite_om.c writes them (for EXPLAIN QUERY
    PLAN); the page's rows are then read by rowid, 50 lookups."""
    lit = lambda v: v if isinstance(v, (int, float)) else "'%s'" % str(v).replace("'", "''")
    where = ["definition = %s" % lit(d)]
    if page.get("search"):
        p = page["search"]
        where.append("key >= %s AND key < %s" % (lit(p), lit(p[:-1] + chr(ord(p[-1]) + 1))))
    where.append("removed = 0")
    if page.get("status"):
        where.append("status = %s" % lit(page["status"]))
    # The definition again as a literal (the partial indexes of the table's columns need it).
    where.append("definition = %s" % lit(d))
    for f, v in page.get("filters", []):
        where.append("json_extract(fields, '$.\"%s\"') = %s" % (f, lit(v)))
    order = []
    last = "ASC"
    for s in filter(None, page.get("sort", "").split(",")):
        desc = s.startswith("-")
        name = s.lstrip("+-")
        col = name if name in ("key", "status", "created", "modified", "id", "source", "definition") \
            else "json_extract(fields, '$.\"%s\"')" % name
        last = "DESC" if desc else "ASC"
        order.append("%s %s" % (col, last))
    order.append("definition %s, key %s" % (last, last))
    w = " AND ".join(where)
    return ("SELECT count(*) FROM instance WHERE %s" % w,
            "SELECT rowid FROM instance WHERE %s ORDER BY %s LIMIT %d OFFSET %d" % (w, ", ".join(order), LIMIT,
                                                                                  page["offset"]))


def plan(store, sql):
    if not shutil.which("sqlite3"):
        return "(sqlite3 not installed)"
    r = subprocess.run(["sqlite3", "-readonly", store, "EXPLAIN QUERY PLAN " + sql], capture_output=True, text=True)
    return (r.stdout + r.stderr).strip()


def sql_ms(store, sql):
    """Wall time of sql run alone by the sqlite3 shell on the store (warm cache), in ms."""
    if not shutil.which("sqlite3"):
        return None
    t = time.monotonic()
    r = subprocess.run(["sqlite3", "-readonly", store, sql], capture_output=True, text=True)
    return (time.monotonic() - t) * 1000.0 if r.returncode == 0 else None


def main():
    base, log, store, result, items, repeat, commit, sync_s = sys.argv[1:9]
    serve_start_s = float(sys.argv[9]) if len(sys.argv) > 9 else None
    copied_from = sys.argv[10] if len(sys.argv) > 10 and sys.argv[10] else None
    repeat = int(repeat)
    summary = data(get(base, "/api/v1/summary")[0])
    counts = {}
    for row in summary:
        if not row.get("removed"):
            counts[row["definition"]] = counts.get(row["definition"], 0) + row["count"]
    d = max(counts, key=counts.get)
    defs = data(get(base, "/api/v1/definitions")[0])
    defs = defs.get("items", defs) if isinstance(defs, dict) else defs
    dfn = next(x for x in defs if x["name"] == d)
    # The untimed look at the first page is asked with removed=false spelt out, so that its URL
    # is none of the timed ones (a timed request must never come from the answer cache). Its
    # server time, the first page asked of this serve, is reported apart ("cold first page").
    warm_path = "/api/v1/definitions/%s/instances?removed=false&offset=0&limit=%d" % (urllib.parse.quote(d), LIMIT)
    first = data(get(base, warm_path)[0])
    cold_first_ms = log_ms(log, warm_path, set())
    total = first["total"]
    statuses = {}
    for row in summary:
        if row["definition"] == d and not row.get("removed") and row.get("status"):
            statuses[row["status"]] = statuses.get(row["status"], 0) + row["count"]
    status = max(statuses, key=statuses.get) if statuses else None
    # A scalar field of the definition (not its key or status) that the first page's items hold:
    # the field filter takes the most frequent value on that page, the field sort the field.
    skip = {dfn.get("key"), dfn.get("status")}
    scalar = [f["name"] for s in dfn["sections"] for f in s["fields"]
              if f["name"] not in skip and not f.get("list") and f.get("type") in ("string", "enum", "double",
                                                                                   "integer", "reference", "boolean")]
    types = {f["name"]: f.get("type") for s in dfn["sections"] for f in s["fields"]}
    held = [f for f in scalar if sum(1 for i in first["items"] if f in i["fields"]) >= len(first["items"]) // 2]
    # An enum first (a filter a NOC person uses: many matches), else any field the page holds.
    field = next((f for f in held if types[f] == "enum"), held[0] if held else (scalar[0] if scalar else None))
    values = [i["fields"][field] for i in first["items"] if field in i["fields"]] if field else []
    value = max(set(map(json.dumps, values)), key=[json.dumps(v) for v in values].count) if values else None
    value = json.loads(value) if value is not None else None
    # The key search: the first key's prefix without its last four characters (a range of ~1/10^4).
    # The key search: the longest prefix of a key in the middle of the table that finds at least
    # 100 instances (what typing the first characters of a key gives).
    key0 = data(get(base, "/api/v1/definitions/%s/instances?offset=%d&limit=1" % (urllib.parse.quote(d),
                                                                                 total // 2))[0])["items"][0]["key"]
    prefix = key0[:1]
    for n in range(len(key0), 0, -1):
        q = urllib.parse.urlencode([("search", key0[:n]), ("limit", "0")])
        if data(get(base, "/api/v1/definitions/%s/instances?%s" % (urllib.parse.quote(d), q))[0])["total"] >= 100:
            prefix = key0[:n]
            break
    deep = (total * 9 // 10) // LIMIT * LIMIT
    pages = [
        {"name": "first page", "offset": 0},
        {"name": "deep offset (nine tenths in)", "offset": deep},
        {"name": "status filter", "offset": 0, "status": status},
        {"name": "field filter", "offset": 0, "filters": [(field, value)] if field else []},
        {"name": "sort by a field", "offset": 0, "sort": field or "status"},
        {"name": "sort by modified, newest first", "offset": 0, "sort": "-modified"},
        {"name": "key search", "offset": 0, "search": prefix},
    ]
    # Only the lines written from here on are timed requests (log_ms takes the first unread
    # line naming the target: an earlier untimed request for the same URL must not count).
    with open(log) as f:
        seen = set(range(sum(1 for _ in f)))
    results = []
    for page in pages:
        runs = []
        for r in range(repeat):
            q = []
            if page.get("search"):
                q.append(("search", page["search"]))
            if page.get("status"):
                q.append(("status", page["status"]))
            for f, v in page.get("filters", []):
                q.append((f, v if isinstance(v, str) else json.dumps(v)))
            if page.get("sort"):
                q.append(("sort", page["sort"]))
            # Each repeat its own offset: a new URL, never in the answer cache.
            q += [("offset", str(page["offset"] + r)), ("limit", str(LIMIT))]
            path = "/api/v1/definitions/%s/instances?%s" % (urllib.parse.quote(d), urllib.parse.urlencode(q))
            ans, client_s = get(base, path)
            runs.append({"server_ms": log_ms(log, path, seen), "client_ms": client_s * 1000.0,
                         "total": data(ans)["total"], "items": len(data(ans)["items"])})
        count_sql, page_sql = sql_of(d, page)
        server = [x["server_ms"] for x in runs]
        res = {"page": page["name"], "example": path, "total": runs[0]["total"], "items": runs[0]["items"],
               "server_ms_median": statistics.median(server), "server_ms_max": max(server),
               "client_ms_median": statistics.median(x["client_ms"] for x in runs),
               "met": max(server) < TARGET_MS, "runs": runs,
               "plan_count": plan(store, count_sql), "plan_page": plan(store, page_sql), "sql_page": page_sql,
               # The count and the page run alone (sqlite3 shell, one process each): which of
               # the two a slow page spends its time on.
               "sqlite3_count_ms": sql_ms(store, count_sql),
               "sqlite3_page_ms": sql_ms(store, page_sql.replace("SELECT rowid", "SELECT count(*) FROM (SELECT rowid", 1) + ")")}
        results.append(res)
        print("  %-34s total %8d  server ms median %8.1f max %8.1f  %s" % (
            page["name"], res["total"], res["server_ms_median"], res["server_ms_max"],
            "met" if res["met"] else "NOT MET"), file=sys.stderr)

    machine = {"host": platform.node(), "nproc": os.cpu_count(), "kernel": platform.release(),
               "tmfinv_commit": commit,
               "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
    try:
        machine["load_average_after"] = " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        pass
    all_met = all(r["met"] for r in results)
    md = ["# tmfinv dashboard table pages, %s on %s" % (machine["date"], machine["host"]), "",
          "Produced by `make bench` (`scripts/bench_ui.sh`). See `bench/README.md` for what is measured.", "",
          ("- Store: %s items simulated (`tmfinv-sim --seed 42`), synced once in %s s; the table of **%s**: "
           "%d active instances." % (items, sync_s, d, total) if not copied_from else
           "- Store: a copy of `%s` (%s items simulated, `tmfinv-sim --seed 42`; `bench_ui.sh --store`); the "
           "table of **%s**: %d active instances." % (copied_from, items, d, total)),
          "- `tmfinv serve` started (store opened and migrated, the table's indexes built when missing) in "
          "%s s; the first page it served (untimed, before the measure: cold caches) took %.1f ms of server "
          "time." % ("?" if serve_start_s is None else "%.1f" % serve_start_s, cold_first_ms),
          "- %d requests a page, one at a time, each at its own offset (the answer cache misses); server time: "
          "the `ms` of serve's request log; client: urllib on loopback." % repeat,
          "- tmfinv commit: %s; %s CPUs; load average after: %s." % (commit, machine["nproc"],
                                                                    machine.get("load_average_after", "?")),
          "", "| page | matches | server ms median | server ms max | client ms median | < %d ms | "
          "sqlite3: count ms | sqlite3: page ms |" % TARGET_MS,
          "|---|---|---|---|---|---|---|---|"]
    fmt = lambda v: "–" if v is None else "%.0f" % v
    for r in results:
        md.append("| %s | %d | %.1f | %.1f | %.1f | %s | %s | %s |" % (
            r["page"], r["total"], r["server_ms_median"], r["server_ms_max"], r["client_ms_median"],
            "met" if r["met"] else "**NOT MET**", fmt(r["sqlite3_count_ms"]), fmt(r["sqlite3_page_ms"])))
    md += ["", "The last two columns: the page's count and its page query run alone by the `sqlite3` shell "
           "(a process each, so ~5-10 ms of start-up included), to tell which of the two a slow page spends on."]
    md += ["", "**All pages under %d ms: %s.**" % (TARGET_MS, "met" if all_met else "NOT MET"), "",
           "## Requests and plans", ""]
    for r in results:
        md += ["### %s" % r["page"], "", "`GET %s`" % r["example"], "", "```", r["sql_page"], "", "-- count:",
               r["plan_count"], "-- page:", r["plan_page"], "```", ""]
    with open(result + ".md", "w") as f:
        f.write("\n".join(md))
    with open(result + ".json", "w") as f:
        json.dump({"machine": machine, "items": int(items), "definition": d, "active": total, "repeat": repeat,
                   "sync_s": int(sync_s), "copied_from": copied_from, "serve_start_s": serve_start_s,
                   "cold_first_page_ms": cold_first_ms,
                   "target_ms": TARGET_MS, "met": all_met, "pages": results}, f, indent=2)
        f.write("\n")
    print("wrote %s.md and %s.json" % (result, result), file=sys.stderr)


if __name__ == "__main__":
    main()
