#!/usr/bin/env python3
"""The Python baseline of `make bench` (issue 11): the script a user would write in an
afternoon instead of tmfinv. requests + json + sqlite3, nothing else.

Walks the SES gateway's two collections (/tmf638/service, /tmf639/resource) page after
page, 40 items a page, sequentially over one keep-alive connection; the first item with a
key wins (services and carriers by externalId, resources by id, the keys of tmfinv's `ses`
profile; the resource types the SES connector excludes are skipped, items without a key
too); each page is one `INSERT ... ON CONFLICT DO UPDATE` transaction into the table
`item (key, source, name, status, type, body)` with one extra index on (source, status).

Usage: sync_python.py --base http://HOST:PORT --db FILE [--page-size 40]
Prints one JSON line: items, pages, seconds, rows (in the table at the end), upserts,
bytes (bodies as received), skipped (duplicates, no key, excluded)."""

import argparse
import json
import sqlite3
import sys
import time

import requests

SOURCES = [("services", "/tmf638/service", "externalId"), ("resources", "/tmf639/resource", "id")]
EXCLUDED_TYPES = {"Card", "BandwidthSegment", "LogicalPort", "Multicast", "Slot", "Port", "Circuit"}

SCHEMA = """
CREATE TABLE IF NOT EXISTS item (
  key TEXT NOT NULL, source TEXT NOT NULL, name TEXT, status TEXT, type TEXT, body TEXT NOT NULL,
  PRIMARY KEY (source, key));
CREATE INDEX IF NOT EXISTS item_by_status ON item (source, status);
"""
UPSERT = ("INSERT INTO item (key, source, name, status, type, body) VALUES (?, ?, ?, ?, ?, ?) "
          "ON CONFLICT (source, key) DO UPDATE SET name = excluded.name, status = excluded.status, "
          "type = excluded.type, body = excluded.body")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", required=True)
    ap.add_argument("--db", required=True)
    ap.add_argument("--page-size", type=int, default=40)
    args = ap.parse_args()

    start = time.monotonic()
    con = sqlite3.connect(args.db)
    # The two settings every SQLite guide recommends (and tmfinv's store uses).
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA synchronous = NORMAL")
    con.executescript(SCHEMA)
    http = requests.Session()
    items = pages = upserts = nbytes = skipped = 0
    for source, path, key_field in SOURCES:
        seen = set()
        page = 1
        while True:
            r = http.get(args.base + path, params={"page": page, "recordsPerPage": args.page_size}, timeout=60)
            r.raise_for_status()
            nbytes += len(r.content)
            batch = r.json()
            pages += 1
            items += len(batch)
            rows = []
            for it in batch:
                key = (it.get(key_field) or "").strip()
                if not key or key in seen or it.get("@type") in EXCLUDED_TYPES:
                    skipped += 1
                    continue
                seen.add(key)
                rows.append((key, source, it.get("name"), it.get("status"), it.get("@type"), json.dumps(it)))
            with con:
                con.executemany(UPSERT, rows)
            upserts += len(rows)
            if len(batch) < args.page_size:
                break
            page += 1
    rows_in_table = con.execute("SELECT count(*) FROM item").fetchone()[0]
    con.close()
    print(json.dumps({"baseline": "python", "items": items, "pages": pages,
                      "seconds": round(time.monotonic() - start, 3), "rows": rows_in_table, "upserts": upserts,
                      "bytes": nbytes, "skipped": skipped}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
