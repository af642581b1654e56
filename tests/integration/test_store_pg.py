"""The PostgreSQL store (issue 13, docs/postgresql.md) against the SQLite store, the reference.

Needs a PostgreSQL server: TMFINV_TEST_PG_URL (a libpq URI of a superuser's database; the
password from PGPASSFILE), which `make test` provides by starting a throwaway server
(scripts/pg-test-server.sh). Without it the test is skipped with exit code 77 (ctest: skipped).

- Same results: the same simulator synced twice (an epoch between: creations, changes,
  removals) into a SQLite store and a PostgreSQL store gives the same `query --json` (but the
  instances' UUIDs and times), `summary`, `history`, `runs --json` figures, reports, the
  changes feed (filters, cursor) and a field's timeline, and the
  same object-model API answers from `serve` (instances pages with filters and sorts, summary,
  runs, rejected), and the same TMF API lists (bodies and X-Total-Count: pages, filters on
  the status and on JSON paths, sorts, fields=, removed=true, pages past the end), also on
  edge values a stub source serves (date-times SQLite's julianday() reads or refuses,
  numbers, booleans and text alike, nulls, nested arrays, objects to sort on).
- Concurrency: several `tmfinv` processes opening an empty database at the same moment all
  succeed (the schema is created under a transaction-scoped lock); on SQLite too (issue 13
  says two processes creating a new SQLite store failed with "table instance already exists").
- Configuration: `path` and `url` together, a password in the URL, a URL that is not
  PostgreSQL's: one-line errors; the password comes from PGPASSFILE.
- Retention: with the same rows aged, `purge` (and `--dry-run`) removes the same on both, and
  the changes left (earlierPurged marks included) are the same.
- A lost connection (every session killed, as in a server restart) is made again: serve
  answers again.
- What is not there yet fails with one line saying so.

`python3 test_store_pg.py --run test_sync.py` runs another test file with every Workspace on
PostgreSQL (TMFINV_TEST_STORE=pg): tests/CMakeLists.txt registers those as integration_pg_*.
"""

import json
import os
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.request

import tmfinv_testlib as t
from tmfinv_testlib import BIN, Serve, Sim, Workspace

SKIP = 77
SVC = "/tmf-api/serviceInventory/v4/service"
RES = "/tmf-api/resourceInventoryManagement/v4/resource"

# What differs between two stores synced from the same items by design: the UUIDs tmfinv
# gives instances, and the times of the writes and runs.
INSTANCE_VOLATILE = ("id", "created", "modified")


def normal_instance(o):
    return {k: v for k, v in o.items() if k not in INSTANCE_VOLATILE}


def normal_run(o):
    o = dict(o)
    for k in ("started", "ended"):
        o.pop(k, None)
    return o


class StorePgTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = Sim(services=150, carriers=60, resources=200)
        cls.lite = Workspace(backend="sqlite")
        cls.pg = Workspace(backend="pg")
        for ws in (cls.lite, cls.pg):
            ws.ses_config(cls.sim)
            with open(ws.config, "a") as f:
                f.write("\n[http]\nlisten = 127.0.0.1:0\n")
        # Run 1, then an epoch upstream (creations, changes, removals), run 2.
        for ws in (cls.lite, cls.pg):
            ws.run("sync", "--once", check=0)
        cls.sim.post("/_sim/epoch")
        for ws in (cls.lite, cls.pg):
            ws.run("sync", "--once", check=0)

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
        cls.lite.cleanup()
        cls.pg.cleanup()

    def both(self, *args):
        return [ws.run(*args, check=0).stdout for ws in (self.lite, self.pg)]

    def test_store_pg__query_summary_history_runs_and_reports_equal_sqlite(self):
        for d in ("Service", "Carrier", "Resource"):
            lite, pg = ([normal_instance(json.loads(line)) for line in out.splitlines()]
                        for out in self.both("query", d, "--json", "--all"))
            self.assertGreater(len(lite), 10, d)
            self.assertEqual(pg, lite, d)
            for where in ("status=Operational", "state=active"):
                if d == "Resource" and where.startswith("state"):
                    continue
                lite_n, pg_n = self.both("query", d, "--count", "--where", where)
                self.assertEqual(pg_n, lite_n, (d, where))
        lite, pg = self.both("query", "Service", "--count", "--where", "supportingResource=res-00000014")
        self.assertEqual(pg, lite)
        lite, pg = self.both("summary")
        self.assertEqual(pg, lite)
        self.assertIn("removed", lite, "the epoch removed instances")
        # The history of every instance that has more than its creation.
        keys = [json.loads(line)["key"] for line in self.lite.run("query", "Resource", "--json", "--all",
                                                                    check=0).stdout.splitlines()]
        changed = 0
        for key in keys:
            lite, pg = ([{k: v for k, v in json.loads(line).items() if k != "time"} for line in out.splitlines()]
                        for out in self.both("history", key, "--definition", "Resource", "--json"))
            self.assertEqual(pg, lite, key)
            changed += len(lite) > 1
        self.assertGreater(changed, 0, "the epoch changed some resources")
        lite, pg = ([normal_run(json.loads(line)) for line in out.splitlines()] for out in self.both("runs", "--json"))
        self.assertGreaterEqual(len(lite), 2)
        self.assertEqual(pg, lite)
        for kind in ("duplicate", "empty_key", "all"):
            lite, pg = ([{k: v for k, v in json.loads(line).items() if k != "time"} for line in out.splitlines()]
                        for out in self.both("rejected", "--kind", kind, "--json"))
            self.assertEqual(pg, lite, kind)
        self.assertTrue(lite, "the simulator serves duplicates and empty keys")

    def test_store_pg__changes_feed_and_timelines_equal_sqlite(self):
        def feed(out):
            return [{k: v for k, v in json.loads(line).items() if k not in ("time", "instance")}
                    for line in out.splitlines()]
        for args in (("changes", "--json"), ("changes", "--since-run", "2", "--json"),
                     ("changes", "--definition", "Resource", "--field", "status", "--json"),
                     ("changes", "--after", "100", "--limit", "50", "--json")):
            lite, pg = (feed(out) for out in self.both(*args))
            self.assertTrue(lite, args)
            self.assertEqual(pg, lite, args)
        key = next(c["key"] for c in feed(self.lite.run("changes", "--definition", "Resource", "--field", "status",
                                                         "--since-run", "2", "--json", check=0).stdout))
        lite, pg = (json.loads(out) for out in self.both("history", key, "--definition", "Resource", "--field",
                                                          "status", "--json"))
        for t in (lite, pg):
            t.pop("instance", None)
            for i in t["intervals"]:
                i.pop("from", None)
                i.pop("to", None)
        self.assertEqual(pg, lite)

    def test_store_pg__object_model_api_answers_equal_sqlite(self):
        paths = ["/api/v1/summary", "/api/v1/runs", "/api/v1/runs?limit=1&offset=1", "/api/v1/rejected?kind=all",
                 "/api/v1/definitions/Resource/instances?limit=50&offset=20",
                 "/api/v1/definitions/Resource/instances?removed=all&sort=-status,name&limit=500",
                 "/api/v1/definitions/Resource/instances?sort=usageState,-key&limit=500",
                 "/api/v1/definitions/Service/instances?status=Operational&limit=500",
                 "/api/v1/definitions/Service/instances?removed=true",
                 # The TMF API's entity by id (its lists: test_store_pg__tmf_api_lists_equal_sqlite).
                 "/tmf-api/serviceInventory/v4/service/svc-00000001",
                 "/tmf-api/serviceInventory/v4/service/svc-00000002?removed=true",
                 "/tmf-api/resourceInventoryManagement/v4/resource/res-00000003",
                 "/tmf-api/resourceInventoryManagement/v4/resource/no-such-id"]
        answers = []
        for ws in (self.lite, self.pg):
            srv = Serve(ws.config)
            try:
                # serve syncs when it starts: its run ends before the answers are compared.
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline:
                    with urllib.request.urlopen(srv.base + "/api/v1/runs", timeout=30) as r:
                        runs = json.loads(r.read())
                    items = runs.get("items", runs) if isinstance(runs, dict) else runs
                    if len(items) >= 3 and all(x.get("ended") for x in items):
                        break
                    time.sleep(0.2)
                got = {}
                for p in paths:
                    try:
                        # hrefs name the server: its address is not compared.
                        with urllib.request.urlopen(srv.base + p, timeout=30) as r:
                            got[p] = (r.status, json.loads(r.read().decode().replace(srv.base, "BASE")))
                    except urllib.error.HTTPError as e:
                        got[p] = (e.code, json.loads(e.read() or b"null"))
                answers.append(got)
            finally:
                srv.stop()
        lite, pg = answers

        def norm(v):
            if isinstance(v, dict):
                return {k: norm(x) for k, x in v.items()
                        if k not in INSTANCE_VOLATILE + ("started", "ended", "time")}
            if isinstance(v, (list, tuple)):
                return [norm(x) for x in v]
            return v
        for p in paths:
            self.assertEqual(norm(pg[p]), norm(lite[p]), p)
        self.assertEqual(lite[paths[-2]][0], 200)
        self.assertEqual(lite[paths[-1]][0], 404)

    # The TMF API's lists, each answered alike by both stores: pages, filters on the stored
    # status and on JSON paths (through arrays, numbers, date-times in any zone, text),
    # sorts, fields=, removed=true, and pages past the end.
    TMF_LISTS = [
        SVC, SVC + "?limit=20", SVC + "?limit=20&offset=20", SVC + "?limit=7&offset=137", SVC + "?offset=149",
        SVC + "?limit=50&offset=100000", SVC + "?offset=140&limit=100",
        SVC + "?status=Operational&limit=500", SVC + "?status=Operational,Deprecated&limit=30&offset=5",
        SVC + "?state=active&limit=500", SVC + "?supportingResource.id=res-00000014",
        SVC + "?supportingResource.@referredType=Antenna&limit=500",
        SVC + "?serviceCharacteristic.value.gt=100&limit=500", SVC + "?serviceCharacteristic.value=Silver,600",
        SVC + "?serviceCharacteristic.value.lte=99.7&serviceCharacteristic.name=SLA&limit=500",
        SVC + "?startDate.gt=2025-03-01T00:00:00Z&limit=500",
        SVC + "?startDate.lte=2025-03-01T02:00:00%2B02:00&startDate.gte=2024-06-01T00:00:00Z&limit=500",
        SVC + "?name.lt=M&limit=500", SVC + "?serviceSpecification.name=Aero%20Connectivity%20CFS&limit=500",
        SVC + "?sort=-name&limit=40&offset=10", SVC + "?sort=startDate,-status&limit=500",
        SVC + "?sort=serviceSpecification.version,-endDate&limit=500", SVC + "?sort=serviceCharacteristic&limit=30",
        SVC + "?fields=name,status&limit=25&offset=3", SVC + "?removed=true&limit=500&sort=-lastUpdate",
        SVC + "?removed=true&state=inactive&limit=500",
        RES + "?@type=Modem&limit=500", RES + "?@type=Modem,BandwidthSegment&usageState=busy&limit=500",
        RES + "?resourceCharacteristic.value.lt=1000&limit=500", RES + "?place.role=OrbitalSlot&limit=500",
        RES + "?relatedParty.id=org-0001&sort=-@type,name&limit=60&offset=30",
        RES + "?sort=-usageState,startOperatingDate&fields=usageState&limit=500",
        RES + "?nosuch.path=x", RES + "?startOperatingDate.lt=2025&limit=500",
        SVC + "?startDate.lt=2025-01-01t00:00:00Z", SVC + "?endDate.gte=2027-06-24T00:00:00.000Z&limit=500",
        SVC + "?serviceCharacteristic.value.gt=Silver&name.gte=S&limit=500",
        SVC + "?serviceCharacteristic.value=true,false&limit=500",
        SVC + "?lastUpdate.lt=2025-06-01T00:00:00-05:30&lastUpdate.gt=2024-12-31T23:59:59.999%2B01:00&limit=500",
    ]

    def test_store_pg__tmf_api_lists_equal_sqlite(self):
        answers = []
        for ws in (self.lite, self.pg):
            # Served without a source: nothing changes the store between the answers.
            config = os.path.join(ws.dir, "serve-tmf.ini")
            with open(config, "w") as f:
                f.write("[store]\n%s\n\n[http]\nlisten = 127.0.0.1:0\n" % ws.store_line())
            srv = Serve(config)
            got = {}
            try:
                for p in self.TMF_LISTS:
                    try:
                        with urllib.request.urlopen(srv.base + p, timeout=60) as r:
                            body = json.loads(r.read().decode().replace(srv.base, "BASE"))
                            got[p] = (r.status, r.headers.get("X-Total-Count"), body)
                    except urllib.error.HTTPError as e:
                        got[p] = (e.code, None, e.read().decode())
            finally:
                srv.stop()
            answers.append(got)
        lite, pg = answers
        def brief(a):  # status, X-Total-Count and the ids of the page, for a short failure message
            return a[:2] + ([x.get("id") for x in a[2]] if isinstance(a[2], list) else [a[2][:200]],)
        for p in self.TMF_LISTS:
            self.assertIn(lite[p][0], (200, 206, 416), (p, brief(lite[p])))
            if pg[p] != lite[p]:
                self.fail("%s: PostgreSQL %r, SQLite %r" % (p, brief(pg[p]), brief(lite[p])))
        # The filters select something (and not everything), so that they are compared.
        total = int(lite[SVC][1])
        for p in (SVC + "?supportingResource.id=res-00000014", SVC + "?serviceCharacteristic.value.gt=100&limit=500",
                  SVC + "?startDate.gt=2025-03-01T00:00:00Z&limit=500", RES + "?@type=Modem&limit=500",
                  SVC + "?startDate.lte=2025-03-01T02:00:00%2B02:00&startDate.gte=2024-06-01T00:00:00Z&limit=500"):
            self.assertTrue(0 < int(lite[p][1]) < total + 200, (p, lite[p][1]))
        self.assertEqual(lite[SVC + "?limit=50&offset=100000"][0], 416)


class TmfEdgeValuesTest(unittest.TestCase):
    """The TMF lists on values the simulator never sends: date-times in every form SQLite's
    julianday() reads or refuses, numbers, booleans and text of one value, nulls, arrays
    and nested arrays on a path, objects to sort on."""

    WHEN = ["2024-01-01T00:00:00Z", "2024-02-30T00:00:00Z", "2024-01-01T00:00:00+14:59", "2024-01-01T 00:00Z",
            "2024-01-01TT00:00Z", "2024-01-01t00:00:00Z", "2024-01-01T24:30Z", "2024-01-01T00:00",
            "2024-01-01T00:00:00.0005Z", "2024-01-01T00:00:00.12-01:00", "2024-01-01T", "2024-01-01T00:00:60Z",
            "not a date", 20240101, None, ["2023-12-31T23:00:00-02:00", "x"], {"at": "2024-01-01T00:00:00Z"}]
    V = [5, 5.0, "5", True, False, None, [1, "1", True], {"z": 1, "a": [1, 2]}, 1e3, -0.5, "abc", "ABC",
         "\u00e9", "", {"a": {"b": "x y"}}, [[1, 2], 3]]
    N = [{"a": [{"b": 1}, {"b": [2, 3]}, [{"b": 4}]]}, {"a": {"b": 2}}, {"a": [{"b": "2"}]}, {"a": None}, [{"a": {"b": 3}}]]

    def test_store_pg__tmf_lists_on_edge_values_equal_sqlite(self):
        src = t.PagedSource()
        items = []
        for i in range(max(len(self.WHEN), len(self.V), len(self.N))):
            item = {"id": "s-%02d" % i, "@type": "Service", "state": "active"}
            for name, values in (("when", self.WHEN), ("v", self.V), ("n", self.N)):
                if i < len(values):
                    item[name] = values[i]
            items.append(item)
        src.services = items
        src.resources = [{"id": "r-1", "@type": "Antenna"}]
        filters = ["when.gt=2024-01-01T00:00:00Z", "when.lte=2024-01-01T10:00:00%2B10:00",
                   "when.gte=2024-01-01t00:00:00Z", "when=2024-01-01T00:00:00Z", "when.lt=m", "when.gt=20240100",
                   "when.lt=2024-01-02T00:00:00.000Z&when.gt=2023-12-31T00:00:00Z", "v=5", "v=true", "v=false",
                   "v=abc,ABC", "v.gt=4", "v.lt=abc", "v.gte=A", "v=1", "v=1000", "v.lt=0", "n.a.b=2", "n.a.b.gt=1",
                   "n.a.b=4", "n.a.b.lte=2", "sort=v", "sort=-v", "sort=when", "sort=-when,v", "sort=n.a",
                   "sort=n.a.b", "v.gt=4&sort=-v", "fields=v&sort=v&offset=3&limit=4"]
        wss = [Workspace(backend="sqlite"), Workspace(backend="pg")]
        answers = []
        try:
            for ws in wss:
                ws.write_config([(n, {"api": api, "url": src.stub.base + path, "paging": "page", "page_size": "40",
                                      "profile": "tmf"})
                                 for n, api, path in (("services", "tmf638", "/tmf638/service"),
                                                      ("resources", "tmf639", "/tmf639/resource"))])
                ws.run("sync", "--once", check=0)
                config = os.path.join(ws.dir, "serve-tmf.ini")
                with open(config, "w") as f:
                    f.write("[store]\n%s\n\n[http]\nlisten = 127.0.0.1:0\n" % ws.store_line())
                srv = Serve(config)
                got = {}
                try:
                    for q in filters:
                        try:
                            with urllib.request.urlopen(srv.base + SVC + "?" + q, timeout=60) as r:
                                body = json.loads(r.read().decode().replace(srv.base, "BASE"))
                                got[q] = (r.status, r.headers.get("X-Total-Count"), [x.get("id") for x in body],
                                          body)
                        except urllib.error.HTTPError as e:
                            got[q] = (e.code, None, e.read().decode()[:300], None)
                finally:
                    srv.stop()
                answers.append(got)
        finally:
            src.stop()
            for ws in wss:
                ws.cleanup()
        lite, pg = answers
        self.assertEqual(lite["v=5"][0], 200, lite["v=5"])
        self.assertEqual(lite["sort=v"][1], str(len(items)))
        for q in filters:
            self.assertEqual(pg[q][:3], lite[q][:3], q)
            self.assertEqual(pg[q], lite[q], q)


class ConcurrentOpenTest(unittest.TestCase):
    """Processes starting at the same moment on a store that does not exist yet."""

    ROUNDS = 5
    PROCESSES = 4

    def race(self, backend):
        for i in range(self.ROUNDS):
            ws = Workspace(backend=backend)
            try:
                ws.write_config([("a", {"api": "tmf638", "url": "http://127.0.0.1:9/x"})])
                procs = [subprocess.Popen([BIN, "-c", ws.config, "summary"], stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE, text=True) for _ in range(self.PROCESSES)]
                for p in procs:
                    out, err = p.communicate(timeout=120)
                    self.assertEqual(p.returncode, 0, "%s round %d: %s" % (backend, i, err))
                    self.assertIn("DEFINITION", out)
            finally:
                ws.cleanup()

    def test_store_pg__processes_opening_an_empty_database_at_once_all_succeed(self):
        self.race("pg")

    def test_store_pg__processes_creating_a_sqlite_store_at_once_all_succeed(self):
        self.race("sqlite")


class RetentionTest(unittest.TestCase):
    OLD = "2000-01-01T00:00:00.000Z"

    def test_store_pg__purge_removes_what_it_removes_on_sqlite(self):
        sim = Sim(services=60, carriers=20, resources=80)
        stores = [Workspace(backend="sqlite"), Workspace(backend="pg")]
        try:
            for ws in stores:
                ws.ses_config(sim)
                ws.run("sync", "--once", check=0)
            sim.post("/_sim/epoch")
            for ws in stores:
                ws.run("sync", "--once", check=0)
            # A local field set twice: two rows of one field, the older of which goes.
            key = json.loads(stores[0].run("query", "Resource", "--json", "--limit", "1", check=0).stdout)["key"]
            for ws in stores:
                for value in ("first", "second"):
                    ws.run("set", key, "--definition", "Resource", "note=" + value, check=0)
            # Every change and the removed instances age past the retention (the order of the
            # rows, by id, stays).
            age = ("UPDATE history SET time = '%s';"
                   " UPDATE instance SET modified = '%s' WHERE removed = 1" % (self.OLD, self.OLD))
            lite, pg = stores
            con = t.sqlite3.connect(lite.db)
            con.executescript(age)
            con.commit()
            con.close()
            t.psql(pg.pg_url, age)
            outs = []
            for ws in stores:
                # The cutoffs are computed from the clock: not compared.
                dry, done = ({k: v for k, v in json.loads(ws.run(*args, check=0).stdout).items()
                              if k not in ("removedBefore", "historyBefore")}
                             for args in (("purge", "--dry-run", "--json"), ("purge", "--json")))
                feed = [{k: v for k, v in json.loads(line).items() if k not in ("time", "instance")}
                        for line in ws.run("changes", "--json", check=0).stdout.splitlines()]
                outs.append((dry, done, feed, ws.run("summary", check=0).stdout))
            self.assertGreater(outs[0][1]["instances"], 0)
            self.assertGreater(outs[0][1]["changes"], 0)
            self.assertTrue(any(c.get("earlierPurged") for c in outs[0][2]))
            self.assertEqual(outs[1], outs[0])
        finally:
            for ws in stores:
                ws.cleanup()
            sim.stop()


class ReconnectTest(unittest.TestCase):
    def test_store_pg__serve_answers_again_after_its_connections_are_killed(self):
        sim = Sim(services=30, carriers=10, resources=30)
        ws = Workspace(backend="pg")
        try:
            ws.ses_config(sim)
            with open(ws.config, "a") as f:
                # One HTTP thread: one store connection serves every request.
                f.write("\n[http]\nlisten = 127.0.0.1:0\nthreads = 1\n")
            ws.run("sync", "--once", check=0)
            srv = Serve(ws.config)
            try:
                def status(path):
                    try:
                        with urllib.request.urlopen(srv.base + path, timeout=30) as r:
                            return r.status
                    except urllib.error.HTTPError as e:
                        return e.code
                self.assertEqual(status("/api/v1/summary"), 200)
                # A server restart or failover, as the clients see it: every session ends.
                t.psql(t.PG_URL, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                                 " WHERE datname = '%s' AND pid <> pg_backend_pid()" % ws.pg_db)
                codes = [status(p) for p in ("/api/v1/summary", "/api/v1/definitions/Service/instances?limit=5",
                                             "/api/v1/runs") * 3]
                # The call that meets the lost connection may fail; the ones after it work.
                self.assertEqual(codes[-4:], [200] * 4, codes)
            finally:
                srv.stop()
        finally:
            ws.cleanup()
            sim.stop()


class ConfigTest(unittest.TestCase):
    def setUp(self):
        self.ws = Workspace(backend="pg")

    def tearDown(self):
        self.ws.cleanup()

    def config(self, store):
        with open(self.ws.config, "w") as f:
            f.write("[store]\n%s\n\n[source a]\napi = tmf638\nurl = http://127.0.0.1:9/x\n" % store)

    def test_store_pg__path_and_url_together_is_an_error_naming_both(self):
        self.config("path = %s/x.db\nurl = %s" % (self.ws.dir, self.ws.pg_url))
        p = self.ws.run("summary")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("'path'", p.stderr)
        self.assertIn("'url'", p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)

    def test_store_pg__password_in_url_is_refused_and_never_echoed(self):
        url = self.ws.pg_url.replace("://", "://", 1)
        user_host = url.split("://", 1)[1]
        user, rest = user_host.split("@", 1)
        for bad in ("postgresql://%s:s3cretpw@%s" % (user, rest), self.ws.pg_url + "?password=s3cretpw"):
            self.config("url = %s" % bad)
            p = self.ws.run("summary")
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("password", p.stderr)
            self.assertIn("PGPASSFILE", p.stderr)
            self.assertNotIn("s3cretpw", p.stderr)

    def test_store_pg__url_must_be_postgresql(self):
        self.config("url = mysql://u@h/db")
        p = self.ws.run("summary")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("PostgreSQL URI", p.stderr)

    def test_store_pg__password_comes_from_pgpassfile(self):
        self.config("url = %s" % self.ws.pg_url)
        self.ws.run("summary", check=0)
        # The same without a password file (and an empty home, no PGPASSWORD): refused by the
        # server, one line naming the store.
        env = {k: v for k, v in os.environ.items() if k not in ("PGPASSFILE", "PGPASSWORD")}
        env["HOME"] = self.ws.dir
        p = subprocess.run([BIN, "-c", self.ws.config, "summary"], capture_output=True, text=True, env=env,
                           timeout=60)
        if p.returncode == 0:
            self.skipTest("the server lets this user in without a password")
        self.assertIn("cannot connect", p.stderr)
        self.assertIn(self.ws.pg_url, p.stderr)

    def test_store_pg__what_is_not_there_yet_says_so(self):
        self.config("url = %s" % self.ws.pg_url)
        for args in (("events",), ("impact", "x", "--definition", "Service")):
            p = self.ws.run(*args)
            self.assertNotEqual(p.returncode, 0, args)
            self.assertIn("not available on the PostgreSQL store yet", p.stderr)
            self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)


def run_file(name):
    """Runs another integration test file with every Workspace on PostgreSQL."""
    env = dict(os.environ, TMFINV_TEST_STORE="pg")
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), name)
    return subprocess.call([sys.executable, path], env=env)


if __name__ == "__main__":
    if not t.PG_URL:
        print("skipped: no PostgreSQL server (TMFINV_TEST_PG_URL unset; make test starts one with"
              " scripts/pg-test-server.sh)")
        sys.exit(SKIP)
    if len(sys.argv) == 3 and sys.argv[1] == "--run":
        sys.exit(run_file(sys.argv[2]))
    t.main()
