"""The dashboard table's pages at size (issue 10, decision 81), black-box against the simulator
and a real `tmfinv serve`:

- schema 12 adds the index (definition, modified, key, removed): a store taken back to schema 10
  (as the tmfinv before it wrote it) is migrated on open, the sync's reference lookup by TMF id
  still seeking instance_by_tmf_id; a store with the first (unreleased) form of schema 11 gets
  the new instance_by_modified;
- `serve` makes one partial index per table column (`tableFields` of each definition in
  /api/v1/definitions: enumerations first, at most 3, never the key or the status) and drops
  those of columns no longer listed;
- pages sorted by a table field and by -modified, put together across page boundaries, are
  exactly the instances in the documented order (ties by key in the direction of the sort),
  computed here from every instance;
- the total of a filter on one table field is exact (with X-Total-Count); a total no index
  answers (status and a field) is exact up to 10,000 and past it capped: total 10000,
  totalCapped true, no X-Total-Count, and the pages after it are still served.

No timing: speed is `make bench` (scripts/bench_ui.sh)."""

import json
import os
import sqlite3
import sys
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tmfinv_testlib import Serve, TestCase, main  # noqa: E402

TABLE_FIELDS = {"Resource": ["operationalState", "resourceStatus", "name"],
                "Carrier": ["state", "polarisation", "id"],
                "Service": ["state", "id", "name"]}


def indexes(db):
    con = sqlite3.connect(db)
    try:
        return {name: sql for name, sql in con.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'instance'")}
    finally:
        con.close()


def index_columns(db, name):
    con = sqlite3.connect(db)
    try:
        return [r[2] for r in con.execute("PRAGMA index_info(%s)" % json.dumps(name))]
    finally:
        con.close()


class TableTestCase(TestCase):
    def setUp(self):
        super().setUp()
        self.server = None

    def tearDown(self):
        try:
            if self.server:
                self.assertEqual(self.server.stop(), 0, "serve did not exit 0 on SIGTERM")
        finally:
            super().tearDown()

    def sync(self, **sim):
        s = self.sim(**sim)
        self.ws.ses_config(s)
        self.ws.run("sync", "--once", check=0)
        s.stop()

    def serve(self):
        with open(self.ws.config, "a") as f:
            f.write("\n[http]\nlisten = 127.0.0.1:0\n")
        self.server = Serve(self.ws.config)

    def get(self, path):
        with urllib.request.urlopen(self.server.base + path, timeout=120) as r:
            return json.loads(r.read()), dict(r.headers)

    def instances(self, definition, query):
        return self.get("/api/v1/definitions/%s/instances?%s" % (definition, query))

    def page_all(self, definition, query, limit):
        items, offset = [], 0
        while True:
            page = self.instances(definition, "%s&offset=%d&limit=%d" % (query, offset, limit))[0]
            items.extend(page["items"])
            offset += limit
            if offset >= page["total"]:
                return items


# The sync's lookup of an active reference by TMF id (store_sqlite_refs.c): it must stay a
# seek of instance_by_tmf_id whatever indexes the table adds (a first form of schema 11 drew
# the planner to a scan of the definition: a sync of 10k items took minutes instead of seconds).
REF_BY_TMF_ID = ("EXPLAIN QUERY PLAN SELECT EXISTS (SELECT 1 FROM instance WHERE definition = ?1"
                 " AND json_extract(raw, '$.id') = ?2 AND removed = 0)")


class Migration(TableTestCase):
    def check_schema_12(self, plan_too=True):
        con = sqlite3.connect(self.ws.db)
        self.assertEqual(con.execute("PRAGMA user_version").fetchone()[0], 12)
        plan = " ".join(r[3] for r in con.execute(REF_BY_TMF_ID, ("Service", "x")))
        con.close()
        if plan_too:
            self.assertIn("instance_by_tmf_id", plan)
        self.assertEqual(index_columns(self.ws.db, "instance_by_modified"), ["definition", "modified", "key", "removed"])

    def test_schema_10_store_gets_the_indexes(self):
        self.sync(services=60, carriers=30, resources=90)
        # Back to schema 10, as the tmfinv before this one left a store (its other indexes as
        # they were: the order they were made in breaks the planner's ties).
        con = sqlite3.connect(self.ws.db)
        con.executescript("DROP INDEX instance_by_modified; PRAGMA user_version = 10;")
        con.close()
        self.assertNotIn("instance_by_modified", indexes(self.ws.db))
        self.ws.run("summary", check=0)
        self.check_schema_12()
        self.assertEqual(index_columns(self.ws.db, "instance_by_status"), ["definition", "removed", "status"])

    def test_first_schema_11_is_put_right(self):
        self.sync(services=60, carriers=30, resources=90)
        con = sqlite3.connect(self.ws.db)
        con.executescript("DROP INDEX IF EXISTS instance_by_modified; DROP INDEX instance_by_status;"
                          " CREATE INDEX instance_by_modified ON instance (definition, removed, modified, key);"
                          " CREATE INDEX instance_by_status ON instance (definition, removed, status, key);"
                          " PRAGMA user_version = 11;")
        plan = " ".join(r[3] for r in con.execute(REF_BY_TMF_ID, ("Service", "x")))
        con.close()
        self.assertNotIn("instance_by_tmf_id", plan, "SQLite's planner changed: the repaired case is not shown")
        self.ws.run("summary", check=0)
        # Its wider instance_by_status stays (the sync's lookup says +removed since).
        self.check_schema_12(plan_too=False)


class Pages(TableTestCase):
    def test_columns_sorted_pages_and_totals(self):
        self.sync(services=200, carriers=100, resources=300)
        # An index of a column no longer listed (an older profile) is dropped by serve.
        con = sqlite3.connect(self.ws.db)
        con.execute("CREATE INDEX \"instance_col:Resource:category\" ON instance"
                    " (removed, json_extract(fields, '$.\"category\"'), key) WHERE definition = 'Resource'")
        con.commit()
        con.close()
        self.serve()
        defs = self.get("/api/v1/definitions")[0]
        self.assertEqual({d["name"]: d["tableFields"] for d in defs}, TABLE_FIELDS)
        made = {n: sql for n, sql in indexes(self.ws.db).items() if n.startswith("instance_col:")}
        self.assertEqual(sorted(made), sorted("instance_col:%s:%s" % (d, f) for d in TABLE_FIELDS
                                              for f in TABLE_FIELDS[d]))
        self.assertIn("json_extract(fields, '$.\"operationalState\"'), key) WHERE definition = 'Resource'",
                      made["instance_col:Resource:operationalState"])

        every = {}
        for d in TABLE_FIELDS:
            every[d] = self.instances(d, "limit=10000")[0]["items"]
            self.assertGreater(len(every[d]), 20, d)

        def by(field, desc):
            """The documented order: the field's value (absent first ascending), then the key,
            both in the direction of the sort."""
            rows = every[d]
            value = (lambda i: i[field]) if field == "modified" else (lambda i: i["fields"].get(field))
            ordered = sorted(rows, key=lambda i: (value(i) is not None, value(i) or "", i["key"]))
            return [i["key"] for i in (reversed(ordered) if desc else ordered)]

        for d, field in (("Resource", "operationalState"), ("Resource", "name"), ("Carrier", "polarisation"),
                         ("Service", "state"), ("Resource", "modified"), ("Service", "modified")):
            for desc in (False, True):
                sort = ("-" if desc else "") + field
                got = [i["key"] for i in self.page_all(d, "sort=" + sort, limit=7)]
                self.assertEqual(got, by(field, desc), "%s sort=%s" % (d, sort))
        # -modified has ties (one run writes many instances at the same time): the test means something.
        mods = [i["modified"] for i in every["Resource"]]
        self.assertLess(len(set(mods)), len(mods))

        # A filter on one table field: exact total, X-Total-Count, not capped.
        d = "Resource"
        for value in ("enable", "disable"):
            want = sorted(i["key"] for i in every[d] if i["fields"].get("operationalState") == value)
            page, headers = self.instances(d, "operationalState=%s&limit=10000" % value)
            self.assertEqual(page["total"], len(want))
            self.assertIs(page["totalCapped"], False)
            self.assertEqual(headers.get("X-Total-Count"), str(len(want)))
            self.assertEqual([i["key"] for i in page["items"]], want)
        # Status and a field (no index answers the count): exact below the cap.
        status = every[d][0]["status"]
        want = [i["key"] for i in every[d] if i["status"] == status and i["fields"].get("operationalState") == "enable"]
        page, headers = self.instances(d, "status=%s&operationalState=enable&limit=0" % urllib.parse.quote(status))
        self.assertEqual((page["total"], page["totalCapped"]), (len(want), False))
        self.assertEqual(headers.get("X-Total-Count"), str(len(want)))
        # The unfiltered list says totalCapped false too.
        page = self.instances(d, "limit=1")[0]
        self.assertEqual((page["total"], page["totalCapped"]), (len(every[d]), False))


class Capped(TableTestCase):
    def test_total_past_the_cap(self):
        self.sync(services=10, carriers=10, resources=16000)
        self.serve()
        con = sqlite3.connect(self.ws.db)
        matching = con.execute("SELECT count(*) FROM instance WHERE definition = 'Resource' AND removed = 0"
                               " AND status = 'Operational'"
                               " AND json_extract(fields, '$.operationalState') = 'enable'").fetchone()[0]
        single = con.execute("SELECT count(*) FROM instance WHERE definition = 'Resource' AND removed = 0"
                             " AND json_extract(fields, '$.operationalState') = 'enable'").fetchone()[0]
        con.close()
        self.assertGreater(matching, 10000, "the simulator gives fewer matches than the cap: the test is void")
        q = "status=Operational&operationalState=enable"
        page, headers = self.instances("Resource", q + "&limit=50")
        self.assertEqual((page["total"], page["totalCapped"]), (10000, True))
        self.assertNotIn("X-Total-Count", headers)
        self.assertEqual(len(page["items"]), 50)
        # Next still works past the cap, up to the last match.
        tail = self.instances("Resource", q + "&offset=%d&limit=50" % (matching - 10))[0]
        self.assertEqual(len(tail["items"]), 10)
        self.assertIs(tail["totalCapped"], True)
        for i in tail["items"]:
            self.assertEqual((i["status"], i["fields"]["operationalState"]), ("Operational", "enable"))
        # One table field alone: counted exactly whatever the size.
        page, headers = self.instances("Resource", "operationalState=enable&limit=1")
        self.assertEqual((page["total"], page["totalCapped"]), (single, False))
        self.assertEqual(headers.get("X-Total-Count"), str(single))


if __name__ == "__main__":
    main()
