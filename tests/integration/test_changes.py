"""Issue 9, point 1: the changes feed, timelines and retention.

- The feed (`tmfinv changes`, `GET /api/v1/changes`) after three simulator epochs holds exactly
  the history table, oldest first; its status changes and removals are the differences between
  the epochs computed independently from what the simulator serves (SES rules, written again
  in tmfinv_testlib.expected_ses); filters, offsets and the `after` cursor give the matching
  slices; the CLI and the API agree; bad parameters are refused naming them.
- Who made a change: `set` records `cli:USER`, a PATCH `api:TOKEN-NAME`, a sync its run.
- Timelines (`history KEY --field F`, `GET …/timeline`): for every carrier alive through the
  epochs, the intervals follow its statuses epoch by epoch, each boundary inside the run that
  saw the change, the first starting at the creation.
- Retention: in a real store whose rows the test ages with sqlite3, `purge` removes exactly the
  rows and instances the rules name (docs/decisions.md, "Retention"), in transactions of at
  most 1000 rows; timelines still start with the right value; `serve` purges after its runs;
  a purge running while a sync runs does not make the sync fail; bad [store] values are refused
  naming file and line.
- Migration: a store written by tmfinv before schema 7 (tests/data/store-v6.sql, dumped from
  one) opens, keeps its history, and records actors from then on."""

import hashlib
import json
import os
import pwd
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tmfinv_testlib import BIN, TOP, PagedSource, Serve, Sim, TestCase, Workspace, expected_ses, main  # noqa: E402

TIME_FORMAT = "%Y-%m-%dT%H:%M:%S"


def user():
    return pwd.getpwuid(os.getuid()).pw_name


def write_config(ws, sources, store="", extra=""):
    """A configuration with `store` lines added to [store] (Workspace.write_config has none)."""
    lines = ["[store]", "path = %s" % ws.db, store, ""]
    for name, keys in sources:
        lines.append("[source %s]" % name)
        lines.extend("%s = %s" % kv for kv in keys.items())
        lines.append("")
    with open(ws.config, "w") as f:
        f.write("\n".join(lines) + extra)


def sim_sources(sim):
    keys = {"paging": "page", "page_size": "40", "max_remove_fraction": "1"}
    return [("services", dict(keys, api="tmf638", url=sim.base + "/tmf638/service")),
            ("resources", dict(keys, api="tmf639", url=sim.base + "/tmf639/resource"))]


def get(base, path, token=None):
    """(status, JSON body) of GET base+path."""
    req = urllib.request.Request(base + path, headers={"Authorization": "Bearer " + token} if token else {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def history_rows(db):
    """The history table as the feed must show it, oldest first."""
    con = sqlite3.connect(db)
    try:
        rows = con.execute("SELECT h.id, h.instance_id, i.key, i.definition, h.field, h.before, h.after, h.time,"
                           " h.run_id, h.actor FROM history h JOIN instance i ON i.id = h.instance_id"
                           " ORDER BY h.id").fetchall()
    finally:
        con.close()
    out = []
    for r in rows:
        out.append({"id": r[0], "instance": r[1], "key": r[2], "definition": r[3], "field": r[4],
                    "before": json.loads(r[5]) if r[5] is not None else None,
                    "after": json.loads(r[6]) if r[6] is not None else None, "time": r[7],
                    "run": r[8] or None, "actor": r[9]})
    return out


def collapse(values):
    out = []
    for v in values:
        if not out or out[-1] != v:
            out.append(v)
    return out


class FeedTest(TestCase):
    """One store, four syncs over epochs 0..3 of one simulator (built once for the class)."""

    EPOCHS = 3

    @classmethod
    def setUpClass(cls):
        cls.ws = Workspace()
        cls.sim = Sim(services=80, carriers=60, resources=80)
        write_config(cls.ws, sim_sources(cls.sim))
        cls.snapshots = []  # per epoch: expected active {definition: {key: status}}
        cls.runs = []       # per epoch: the run record
        for epoch in range(cls.EPOCHS + 1):
            if epoch:
                cls.sim.post("/_sim/epoch")
            expected, _ = expected_ses(cls.sim.collection("/tmf638/service"), cls.sim.collection("/tmf639/resource"))
            cls.snapshots.append(expected)
            cls.ws.run("sync", "--once", check=0)
            cls.runs.append(cls.ws.json_lines("runs", "--json", "--limit", "1")[0])

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
        cls.ws.cleanup()

    def setUp(self):
        pass

    def tearDown(self):
        pass

    def feed(self, *args):
        return self.ws.json_lines("changes", "--json", *args)

    def test_changes__feed_is_the_history_oldest_first(self):
        feed = self.feed()
        self.assertGreater(len(feed), 50)
        self.assertEqual(feed, history_rows(self.ws.db))
        self.assertEqual([c["id"] for c in feed], sorted(c["id"] for c in feed))
        # Every change comes from a run (the first load's only from references resolved at its end).
        self.assertLessEqual({c["run"] for c in feed}, {r["id"] for r in self.runs})
        self.assertLessEqual({r["id"] for r in self.runs[1:]}, {c["run"] for c in feed})
        # One instance's slice is its history.
        some = feed[len(feed) // 2]
        history = self.ws.json_lines("history", some["instance"], "--json")
        mine = [c for c in feed if c["instance"] == some["instance"]]
        self.assertEqual([(h["field"], h["before"], h["after"], h["time"], h["actor"]) for h in history],
                         [(c["field"], c["before"], c["after"], c["time"], c["actor"]) for c in mine])

    def test_changes__status_changes_and_removals_are_the_epochs_differences(self):
        feed = self.feed()
        first = [c for c in feed if c["run"] == self.runs[0]["id"] and c["field"] == "@created"]
        for definition in ("Service", "Carrier", "Resource"):
            # The first load created every instance: each active one has its @created row.
            self.assertLessEqual(set(self.snapshots[0][definition]),
                                 {c["key"] for c in first if c["definition"] == definition})
        self.assertEqual({(c["before"], c["after"]) for c in first}, {(None, "services"), (None, "resources")})
        for epoch in range(1, self.EPOCHS + 1):
            run = self.runs[epoch]["id"]
            before, after = self.snapshots[epoch - 1], self.snapshots[epoch]
            of_run = [c for c in feed if c["run"] == run]
            for definition in ("Service", "Carrier", "Resource"):
                with self.subTest(epoch=epoch, definition=definition):
                    gone = set(before[definition]) - set(after[definition])
                    removed = {c["key"] for c in of_run if c["definition"] == definition and c["field"] == "@removed"
                               and c["after"] is True}
                    self.assertEqual(removed, gone)
                    back = {c["key"] for c in of_run if c["definition"] == definition and c["field"] == "@removed"
                            and c["after"] is False}
                    self.assertLessEqual(back, set(after[definition]) - set(before[definition]))
                    # Creations are changes too (@created, as POST records them): with the
                    # restorations they are exactly the keys that became active.
                    created = {c["key"] for c in of_run if c["definition"] == definition and c["field"] == "@created"}
                    self.assertEqual((created | back) & set(after[definition]),
                                     set(after[definition]) - set(before[definition]))
                    self.assertEqual({c["after"] for c in of_run if c["field"] == "@created"} - {"services", "resources"},
                                     set())
                    if definition == "Resource":
                        continue  # a modem's status is an initial field: the source's changes do not show
                    both = set(before[definition]) & set(after[definition])
                    expected = {(k, before[definition][k], after[definition][k]) for k in both
                                if before[definition][k] != after[definition][k]}
                    seen = {(c["key"], c["before"], c["after"]) for c in of_run
                            if c["definition"] == definition and c["field"] == "status" and c["key"] in both}
                    self.assertEqual(seen, expected)
                    if definition == "Carrier":
                        self.assertTrue(expected, "the simulator changes at least one carrier's status per epoch")

    def test_changes__filters_and_cursor(self):
        feed = self.feed()
        self.assertEqual(self.feed("--definition", "Carrier"), [c for c in feed if c["definition"] == "Carrier"])
        self.assertEqual(self.feed("--field", "status"), [c for c in feed if c["field"] == "status"])
        self.assertEqual(self.feed("--field", "@removed", "--definition", "Service"),
                         [c for c in feed if c["field"] == "@removed" and c["definition"] == "Service"])
        last = self.runs[-1]
        self.assertEqual(self.feed("--since-run", last["id"]), [c for c in feed if c["run"] == last["id"]])
        self.assertEqual(self.feed("--since", last["started"]), [c for c in feed if c["time"] >= last["started"]])
        self.assertEqual(self.feed("--since", "1d"), feed)
        self.assertEqual(self.feed("--since", "2999-01-01"), [])
        self.assertEqual(self.feed("--limit", "5"), feed[:5])
        # The cursor: pages of 7 chained by the last id give the whole feed once.
        got, after = [], 0
        while True:
            page = self.feed("--after", after, "--limit", "7")
            if not page:
                break
            got.extend(page)
            after = page[-1]["id"]
        self.assertEqual(got, feed)
        text = self.ws.run("changes", "--definition", "Carrier", check=0).stdout.splitlines()
        self.assertEqual(len(text), len(self.feed("--definition", "Carrier")))
        self.assertIn("(run %d)" % self.runs[1]["id"], "\n".join(text))

    def test_changes__bad_arguments_are_one_line_exit_64(self):
        for args, word in ((["--since", "yesterday"], "--since"), (["--since-run", "x"], "--since-run"),
                           (["--since-run", "999"], "999"), (["--limit", "0"], "--limit"), (["--after", "-1"], "--after"),
                           (["--since", "1d", "--since-run", "1"], "not both"), (["--field", "nosuch"], "nosuch"),
                           (["--definition", "Carrier", "--field", "serviceType"], "serviceType"),
                           (["--bogus"], "--bogus"), (["extra"], "extra")):
            with self.subTest(args=args):
                p = self.ws.run("changes", *args)
                self.assertEqual(p.returncode, 64, p.stderr)
                self.assertIn(word, p.stderr)
                self.assertEqual(len(p.stderr.splitlines()), 1)
                self.assertEqual(p.stdout, "")
        p = self.ws.run("changes", "--definition", "Nothing")
        self.assertEqual(p.returncode, 1)
        self.assertIn("Nothing", p.stderr)

    def timeline(self, key, field="status", definition="Carrier"):
        return self.ws.json_lines("history", key, "--definition", definition, "--field", field, "--json")[0]

    def test_changes__timelines_follow_the_epochs(self):
        alive = set.intersection(*(set(s["Carrier"]) for s in self.snapshots))
        self.assertGreater(len(alive), 20)
        changed = 0
        for key in sorted(alive):
            with self.subTest(key=key):
                t = self.timeline(key)
                statuses = collapse([s["Carrier"][key] for s in self.snapshots])
                self.assertEqual([i["value"] for i in t["intervals"]], statuses)
                self.assertTrue(t["complete"])
                created = self.ws.json_lines("show", key, "--definition", "Carrier", "--json")[0]["created"]
                self.assertEqual(t["intervals"][0]["from"], created)
                self.assertIsNone(t["intervals"][-1]["to"])
                for a, b in zip(t["intervals"], t["intervals"][1:]):
                    self.assertEqual(a["to"], b["from"])
                # Each boundary lies inside the run of the epoch whose snapshot first shows the new value.
                values = [s["Carrier"][key] for s in self.snapshots]
                boundaries = [e for e in range(1, len(values)) if values[e] != values[e - 1]]
                self.assertEqual(len(boundaries), len(t["intervals"]) - 1)
                for e, interval in zip(boundaries, t["intervals"][1:]):
                    run = self.runs[e]
                    self.assertTrue(run["started"] <= interval["from"] <= run["ended"], (run, interval))
                changed += len(boundaries) > 0
        self.assertGreater(changed, 0)

    def test_changes__timeline_of_a_removal_and_of_an_unchanged_instance(self):
        gone = sorted(set(self.snapshots[0]["Carrier"]) - set(self.snapshots[1]["Carrier"]))[0]
        t = self.timeline(gone, "@removed")
        self.assertEqual([i["value"] for i in t["intervals"]], [False, True])
        self.assertTrue(self.runs[1]["started"] <= t["intervals"][1]["from"] <= self.runs[1]["ended"])
        calm = next(k for k in sorted(self.snapshots[0]["Service"])
                    if all(s["Service"].get(k) == self.snapshots[0]["Service"][k] for s in self.snapshots))
        t = self.timeline(calm, definition="Service")
        shown = self.ws.json_lines("show", calm, "--definition", "Service", "--json")[0]
        self.assertEqual(t["intervals"], [{"value": shown["status"], "from": shown["created"], "to": None}])
        p = self.ws.run("history", calm, "--definition", "Service", "--field", "nosuch")
        self.assertEqual(p.returncode, 64)
        self.assertIn("nosuch", p.stderr)
        text = self.ws.run("history", gone, "--definition", "Carrier", "--field", "@removed", check=0).stdout
        self.assertIn("false", text)
        self.assertIn("true", text)

    def test_changes__api_agrees_with_the_cli(self):
        with open(self.ws.config, "a") as f:
            f.write("\n[sync]\ninterval = 3600\n\n[http]\nlisten = 127.0.0.1:0\ndefault_limit = 10\n")
        serve = Serve(self.ws.config, os.path.join(self.ws.dir, "serve.log"))
        try:
            feed = self.feed()
            status, page = get(serve.base, "/api/v1/changes?limit=10000")
            self.assertEqual(status, 200)
            # serve's own first run (a refresh of an unchanged epoch) changes nothing.
            self.assertEqual(page["items"], feed)
            self.assertEqual(page["total"], len(feed))
            self.assertEqual(page["nextAfter"], feed[-1]["id"])
            status, page = get(serve.base, "/api/v1/changes")
            self.assertEqual((page["limit"], page["items"]), (10, feed[:10]))  # [http] default_limit
            for query, args in (("definition=Carrier&field=status", ["--definition", "Carrier", "--field", "status"]),
                                ("sinceRun=%d" % self.runs[2]["id"], ["--since-run", self.runs[2]["id"]]),
                                ("since=" + urllib.parse.quote(self.runs[3]["started"]),
                                 ["--since", self.runs[3]["started"]])):
                with self.subTest(query=query):
                    status, page = get(serve.base, "/api/v1/changes?limit=10000&" + query)
                    self.assertEqual(status, 200)
                    self.assertEqual(page["items"], self.feed(*args))
            # Offsets and the cursor.
            status, page = get(serve.base, "/api/v1/changes?offset=5&limit=3")
            self.assertEqual((page["items"], page["total"]), (feed[5:8], len(feed)))
            got, after = [], 0
            while True:
                status, page = get(serve.base, "/api/v1/changes?limit=9&after=%d" % after)
                self.assertEqual(status, 200)
                got.extend(page["items"])
                if page["nextAfter"] is None:
                    break
                after = page["nextAfter"]
            self.assertEqual(got, feed)
            status, page = get(serve.base, "/api/v1/changes?limit=0")
            self.assertEqual((page["items"], page["total"]), ([], len(feed)))
            for query, word in (("since=nonsense", "since"), ("sinceRun=abc", "sinceRun"), ("sinceRun=999", "999"),
                                ("definition=Nothing", "definition"), ("field=nosuch", "field"),
                                ("after=-2", "after"), ("limit=-1", "limit"), ("offset=x", "offset"),
                                ("bogus=1", "bogus"), ("since=1d&sinceRun=1", "sinceRun")):
                with self.subTest(query=query):
                    status, body = get(serve.base, "/api/v1/changes?" + query)
                    self.assertEqual(status, 400)
                    self.assertIn(word, body["reason"] + body.get("message", ""))
            # Timelines.
            key = sorted(set.intersection(*(set(s["Carrier"]) for s in self.snapshots)))[0]
            cli = self.timeline(key)
            status, t = get(serve.base, "/api/v1/instances/%s/timeline?field=status" % cli["instance"])
            self.assertEqual((status, t), (200, cli))
            status, t = get(serve.base, "/api/v1/instances/%s/timeline" % cli["instance"])  # status by default
            self.assertEqual((status, t), (200, cli))
            status, t = get(serve.base, "/api/v1/definitions/Carrier/instances/%s/timeline?field=@removed"
                            % urllib.parse.quote(key))
            self.assertEqual((status, t), (200, self.timeline(key, "@removed")))
            self.assertEqual(get(serve.base, "/api/v1/instances/nope/timeline")[0], 404)
            self.assertEqual(get(serve.base, "/api/v1/instances/%s/timeline?field=nosuch" % cli["instance"])[0], 400)
            self.assertEqual(get(serve.base, "/api/v1/instances/%s/timeline?x=1" % cli["instance"])[0], 400)
        finally:
            self.assertEqual(serve.stop(), 0)


def sha256(text):
    return hashlib.sha256(text.encode()).hexdigest()


def service(key, status):
    return {"id": "svc-" + key, "@type": "Service", "externalId": key, "name": "service " + key, "status": status}


class ActorTest(TestCase):
    def test_changes__set_and_patch_record_who(self):
        sim = self.sim(services=20, carriers=10, resources=20)
        tokens = os.path.join(self.ws.dir, "tokens")
        with open(tokens, "w") as f:
            f.write("viewer:read:%s\nnoc-ops:write:%s\n" % (sha256("read-secret-1"), sha256("write-secret-1")))
        write_config(self.ws, sim_sources(sim),
                     extra="\n[sync]\ninterval = 3600\n\n[http]\nlisten = 127.0.0.1:0\ntokens_file = %s\n" % tokens)
        self.ws.run("sync", "--once", check=0)
        carrier = self.ws.json_lines("query", "Carrier", "--json")[0]
        self.ws.run("set", carrier["key"], "note=from the cli", check=0)
        last = self.ws.json_lines("changes", "--json")[-1]
        self.assertEqual((last["key"], last["field"], last["after"], last["run"], last["actor"]),
                         (carrier["key"], "note", "from the cli", None, "cli:" + user()))
        history = self.ws.json_lines("history", carrier["key"], "--json")
        self.assertEqual(history[-1]["actor"], "cli:" + user())
        self.assertIn("cli:" + user(), self.ws.run("changes", check=0).stdout)
        service_item = self.ws.json_lines("query", "Service", "--json")[0]
        tmf_id = json.loads(subprocess.run([BIN, "-c", self.ws.config, "show", service_item["key"], "--definition",
                                            "Service", "--json"], capture_output=True, text=True).stdout)["raw"]["id"]
        serve = Serve(self.ws.config, os.path.join(self.ws.dir, "serve.log"))
        try:
            req = urllib.request.Request(serve.base + "/tmf-api/serviceInventory/v4/service/" + tmf_id,
                                         data=json.dumps({"note": "from the api"}).encode(), method="PATCH",
                                         headers={"Content-Type": "application/merge-patch+json",
                                                  "Authorization": "Bearer write-secret-1"})
            with urllib.request.urlopen(req, timeout=30) as r:
                self.assertEqual(r.status, 200)
            status, page = get(serve.base, "/api/v1/changes?field=note", token="read-secret-1")
            self.assertEqual(status, 200)
            self.assertEqual([(c["key"], c["after"], c["run"], c["actor"]) for c in page["items"]],
                             [(carrier["key"], "from the cli", None, "cli:" + user()),
                              (service_item["key"], "from the api", None, "api:noc-ops")])
            self.assertEqual(get(serve.base, "/api/v1/changes")[0], 401)
        finally:
            self.assertEqual(serve.stop(), 0)
        for secret in ("write-secret-1", "read-secret-1"):
            self.assertNotIn(secret, self.ws.run("changes", "--json", check=0).stdout)


class RetentionTest(TestCase):
    def setUp(self):
        super().setUp()
        self.src = PagedSource(40)

    def tearDown(self):
        self.src.stop()
        super().tearDown()

    def configure(self, store=""):
        keys = {"paging": "page", "page_size": "40", "retries": "0", "max_remove_fraction": "1"}
        write_config(self.ws, [("services", dict(keys, api="tmf638", url=self.src.stub.base + "/tmf638/service")),
                               ("resources", dict(keys, api="tmf639", url=self.src.stub.base + "/tmf639/resource"))],
                     store=store)

    def sync(self):
        self.ws.run("sync", "--once", check=0)

    def sql(self, query, *args):
        con = sqlite3.connect(self.ws.db)
        try:
            with con:
                return con.execute(query, args).fetchall()
        finally:
            con.close()

    @staticmethod
    def days_ago(days):
        return time.strftime(TIME_FORMAT, time.gmtime(time.time() - days * 86400)) + ".000Z"

    def build(self):
        """Services A..E: A changes status three times, B is removed, C is removed then aged,
        D unchanged; returns nothing (the store is the fixture)."""
        self.configure()
        self.src.services = [service("A", "Operational"), service("B", "Operational"), service("C", "Operational"),
                             service("D", "Operational")]
        self.sync()
        for status in ("Degraded", "Down", "Operational"):
            self.src.services[0] = service("A", status)
            self.src.services[0]["name"] = "A in " + status  # a second field changing with it
            self.sync()
        self.src.services = [s for s in self.src.services if s["externalId"] not in ("B", "C")]
        self.sync()

    def test_changes__purge_removes_exactly_what_retention_names(self):
        self.build()
        a, b, c, d = (self.sql("SELECT id FROM instance WHERE key = ?", k)[0][0] for k in "ABCD")
        # Age: A's first two status/name changes 500 days ago, the third 300; C removed 100 days
        # ago; B removed 10 days ago; D (active) last written 200 days ago.
        rows = self.sql("SELECT id FROM history WHERE instance_id = ? AND field IN ('status', 'name') ORDER BY id", a)
        self.assertEqual(len(rows), 6)
        for (rid,), days in zip(rows, (500, 500, 499, 499, 300, 300)):
            self.sql("UPDATE history SET time = ? WHERE id = ?", self.days_ago(days), rid)
        self.sql("UPDATE instance SET modified = ? WHERE id = ?", self.days_ago(100), c)
        self.sql("UPDATE history SET time = ? WHERE instance_id = ?", self.days_ago(100), c)
        self.sql("UPDATE instance SET modified = ? WHERE id = ?", self.days_ago(10), b)
        self.sql("UPDATE instance SET modified = ?, created = ? WHERE id = ?", self.days_ago(200), self.days_ago(600), d)
        self.sql("UPDATE instance SET created = ? WHERE id = ?", self.days_ago(600), a)
        before = {r[0]: r for r in self.sql("SELECT id, instance_id, field, time FROM history")}
        cutoff = self.days_ago(400)
        # What the rules say must go: C and its rows; of the rest, a row older than 400 days
        # with a newer row of its instance and field also older than 400 days.
        expected_gone = {r for r, row in before.items() if row[1] == c}
        for r, (rid, inst, field, t) in before.items():
            if inst != c and t < cutoff and any(o[1] == inst and o[2] == field and o[0] > rid and o[3] < cutoff
                                                for o in before.values()):
                expected_gone.add(r)
        self.assertEqual(len(expected_gone - {r for r, row in before.items() if row[1] == c}), 2)  # A's first status and name
        self.configure(store="history_days = 400\nremoved_days = 90")
        dry = self.ws.json_lines("purge", "--dry-run", "--json")[0]
        self.assertEqual((dry["dryRun"], dry["instances"], dry["instanceChanges"], dry["changes"]),
                         (True, 1, len([r for r in before.values() if r[1] == c]), 2))
        self.assertEqual(set(before), {r[0] for r in self.sql("SELECT id FROM history")})  # nothing went
        done = self.ws.json_lines("purge", "--json")[0]
        self.assertEqual((done["instances"], done["instanceChanges"], done["changes"]),
                         (dry["instances"], dry["instanceChanges"], dry["changes"]))
        after = {r[0] for r in self.sql("SELECT id FROM history")}
        self.assertEqual(after, set(before) - expected_gone)
        self.assertEqual({r[0] for r in self.sql("SELECT key FROM instance")}, {"A", "B", "D"})
        # The rows kept in place of purged ones say so; the timeline starts with the newest old one.
        kept = self.sql("SELECT field, after FROM history WHERE earlier_purged = 1 ORDER BY field")
        self.assertEqual(kept, [("name", '"A in Down"'), ("status", '"Down"')])
        t = self.ws.json_lines("history", "A", "--definition", "Service", "--field", "status", "--json")[0]
        self.assertFalse(t["complete"])
        self.assertEqual([i["value"] for i in t["intervals"]], ["Down", "Operational"])
        self.assertEqual(t["intervals"][0]["from"], self.days_ago(499)[:10] + t["intervals"][0]["from"][10:])
        text = self.ws.run("history", "A", "--definition", "Service", "--field", "status", check=0).stdout
        self.assertIn("purged", text)
        feed = self.ws.json_lines("changes", "--json", "--definition", "Service", "--field", "status")
        self.assertEqual([c.get("earlierPurged", False) for c in feed if c["key"] == "A"], [True, False])
        # D's timeline is complete and untouched; a second purge has nothing left to do.
        t = self.ws.json_lines("history", "D", "--definition", "Service", "--field", "status", "--json")[0]
        self.assertTrue(t["complete"])
        again = self.ws.json_lines("purge", "--json")[0]
        self.assertEqual((again["instances"], again["changes"]), (0, 0))
        self.assertIn("purged 0 removed instances", self.ws.run("purge", check=0).stdout)

    def test_changes__purge_removes_delivered_events_of_that_age_only(self):
        # `tmfinv purge` purges the outbox as serve's events thread does: an event older than
        # history_days that every receiver is past and that no dead letter names goes; an
        # undelivered one, a dead letter's and a recent one stay.
        self.build()
        a = self.sql("SELECT id FROM instance WHERE key = 'A'")[0][0]
        old, new = self.days_ago(500), self.days_ago(1)
        for eid, t in ((1, old), (2, old), (3, old), (4, new)):
            self.sql("INSERT INTO outbox (id, time, type, instance_id, definition, key, raw, field_values, removed)"
                     " VALUES (?, ?, 'ServiceStateChangeEvent', ?, 'Service', 'A', '{}', '{}', 0)", eid, t, a)
        self.sql("INSERT INTO receiver (name, kind, created, cursor) VALUES ('r', 'webhook', ?, 3)", old)
        self.sql("INSERT INTO dead_letter (receiver, event_id, state, tries) VALUES ('r', 1, 'dead', 5)")
        self.sql("UPDATE receiver SET cursor = 2")
        self.configure(store="history_days = 400")
        dry = self.ws.json_lines("purge", "--dry-run", "--json")[0]
        self.assertNotIn("events", dry)
        self.assertEqual([r[0] for r in self.sql("SELECT id FROM outbox ORDER BY id")], [1, 2, 3, 4])
        done = self.ws.json_lines("purge", "--json")[0]
        self.assertEqual(done["events"], 1)
        self.assertEqual([r[0] for r in self.sql("SELECT id FROM outbox ORDER BY id")], [1, 3, 4])
        # The receiver moves past event 3: the next purge takes it, and says so.
        self.sql("UPDATE receiver SET cursor = 4")
        self.assertIn("purged 1 delivered events", self.ws.run("purge", check=0).stdout)
        self.assertEqual([r[0] for r in self.sql("SELECT id FROM outbox ORDER BY id")], [1, 4])

    def test_changes__purge_runs_in_batches_of_1000_rows(self):
        self.build()
        a = self.sql("SELECT id FROM instance WHERE key = 'A'")[0][0]
        old = self.days_ago(500)
        con = sqlite3.connect(self.ws.db)
        with con:
            con.executemany("INSERT INTO history (instance_id, run_id, time, field, before, after) VALUES (?, 0, ?, ?, ?, ?)",
                            [(a, old, "note", json.dumps(str(i)), json.dumps(str(i + 1))) for i in range(2600)])
        con.close()
        self.configure(store="history_days = 400")
        done = self.ws.json_lines("purge", "--json")[0]
        self.assertEqual(done["changes"], 2599)
        self.assertGreaterEqual(done["transactions"], 4)  # 1 for removed instances, >= 3 of at most 1000 rows
        self.assertEqual(self.sql("SELECT after, earlier_purged FROM history WHERE field = 'note'"), [('"2600"', 1)])

    def test_changes__a_purge_during_a_sync_does_not_fail_it(self):
        # busy_timeout = 1 s: a purge holding the write lock for longer (one big transaction)
        # would fail the sync; batches of 1000 rows never do.
        sim = self.sim("--latency-ms", "30", services=200, carriers=100, resources=200)
        write_config(self.ws, sim_sources(sim), store="history_days = 1\nbusy_timeout = 1")
        self.ws.run("sync", "--once", check=0)
        inst = self.sql("SELECT id FROM instance LIMIT 1")[0][0]
        old = self.days_ago(30)
        con = sqlite3.connect(self.ws.db)
        with con:
            con.executemany("INSERT INTO history (instance_id, run_id, time, field, before, after) VALUES (?, 0, ?, ?, ?, ?)",
                            [(inst, old, "f%d" % (i % 50), "1", "2") for i in range(120000)])
        con.close()
        sim.post("/_sim/epoch")
        results = {}

        def run(name, *args):
            results[name] = self.ws.run(*args)

        sync = threading.Thread(target=run, args=("sync", "sync", "--once"))
        sync.start()
        deadline = time.time() + 30
        while time.time() < deadline and not any(r.get("running") for r in self.ws.json_lines("runs", "--json")):
            time.sleep(0.05)
        self.assertTrue(any(r.get("running") for r in self.ws.json_lines("runs", "--json")), "the sync is running")
        purge = threading.Thread(target=run, args=("purge", "purge", "--json"))
        purge.start()
        sync.join(300)
        purge.join(300)
        self.assertEqual(results["sync"].returncode, 0, results["sync"].stderr)
        self.assertEqual(results["purge"].returncode, 0, results["purge"].stderr)
        self.assertEqual(json.loads(results["purge"].stdout)["changes"], 120000 - 50)
        self.assertGreater(json.loads(results["purge"].stdout)["transactions"], 100)
        run_record = self.ws.json_lines("runs", "--json", "--limit", "1")[0]
        self.assertTrue(run_record["complete"])
        self.assertEqual(self.sql("PRAGMA integrity_check"), [("ok",)])
        self.assertGreater(len(self.ws.json_lines("changes", "--json", "--since-run", run_record["id"])), 0)

    def test_changes__serve_purges_after_its_runs(self):
        self.build()
        c = self.sql("SELECT id FROM instance WHERE key = 'C'")[0][0]
        self.sql("UPDATE instance SET modified = ? WHERE id = ?", self.days_ago(100), c)
        self.configure(store="removed_days = 90")
        with open(self.ws.config, "a") as f:
            f.write("\n[sync]\ninterval = 3600\n\n[http]\nlisten = 127.0.0.1:0\n")
        serve = Serve(self.ws.config, os.path.join(self.ws.dir, "serve.log"))
        try:
            deadline = time.time() + 60
            while time.time() < deadline and self.sql("SELECT count(*) FROM instance WHERE id = ?", c)[0][0]:
                time.sleep(0.2)
            self.assertEqual(self.sql("SELECT count(*) FROM instance WHERE id = ?", c)[0][0], 0)
            self.assertEqual(self.sql("SELECT count(*) FROM history WHERE instance_id = ?", c)[0][0], 0)
            self.assertEqual({r[0] for r in self.sql("SELECT key FROM instance")}, {"A", "B", "D"})
        finally:
            self.assertEqual(serve.stop(), 0)
        self.assertIn("purge", serve.log_tail())

    def test_changes__bad_retention_values_name_file_and_line(self):
        for line in ("history_days = 0", "history_days = -3", "history_days = 1.5", "removed_days = ten",
                     "removed_days = 0", "removed_days = 36501"):
            with self.subTest(line=line):
                self.configure(store=line)
                p = self.ws.run("check")
                self.assertEqual(p.returncode, 1)
                self.assertIn("%s:3:" % self.ws.config, p.stderr)
                self.assertIn(line.split()[0], p.stderr)
                self.assertEqual(len(p.stderr.splitlines()), 1)
        self.configure(store="history_days = 30\nremoved_days = 7")
        self.assertEqual(self.ws.run("check").returncode, 0)


class MigrationTest(TestCase):
    def test_changes__a_store_of_schema_6_migrates(self):
        with open(os.path.join(TOP, "tests", "data", "store-v6.sql")) as f:
            dump = f.read()
        con = sqlite3.connect(self.ws.db)
        con.executescript(dump)
        con.close()
        before = self.ws.dump()
        old = sqlite3.connect(self.ws.db).execute("SELECT id, instance_id, run_id, time, field, before, after"
                                                  " FROM history ORDER BY id").fetchall()
        self.assertEqual(len(old), 29)
        self.ws.write_config([])
        feed = self.ws.json_lines("changes", "--json")
        self.assertGreaterEqual(sqlite3.connect(self.ws.db).execute("PRAGMA user_version").fetchone()[0], 7)
        self.assertEqual([(c["id"], c["instance"], c["time"], c["field"]) for c in feed],
                         [(r[0], r[1], r[3], r[4]) for r in old])
        self.assertEqual([c["actor"] for c in feed], [None] * len(old))
        self.assertEqual(feed[-1]["field"], "note")
        self.assertIsNone(feed[-1]["run"])  # a `set` before schema 7: no run, no actor known
        self.assertEqual(self.ws.dump(), before)
        self.ws.run("set", "CAR-200005", "note=after-7", check=0)
        last = self.ws.json_lines("changes", "--json", "--after", feed[-1]["id"])
        self.assertEqual([(c["before"], c["after"], c["actor"]) for c in last], [("before-7", "after-7", "cli:" + user())])
        t = self.ws.json_lines("history", "CAR-200005", "--field", "note", "--json")[0]
        self.assertEqual([i["value"] for i in t["intervals"]], [None, "before-7", "after-7"])


if __name__ == "__main__":
    main()
