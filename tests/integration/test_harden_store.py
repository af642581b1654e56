"""Hardening of the store (issue 7, points 3, 6 and 10), with real processes.

- Point 3, "database is locked": two `sync --once` on one store at once, and `serve`
  answering PATCH requests in a loop during a `sync --once`, all succeed and give the store
  one sync gives; a write lock held (from Python's sqlite3) past `[store] busy_timeout`
  fails the sync with one line naming the store and how long it waited, exit 1, the store
  intact and the run ended.
- Point 6, 500 for input the docs allow: every documented maximum of the TMF API (16-step
  and 255-byte attribute paths, 1000 filter values, 64 filters, 8 sort keys) works and gives
  what the documented semantics compute here in Python; one past each answers 400 naming
  the limit. /api/v1: 8 sort keys, 256 query parameters.
- Point 10, read-only store: the reading commands work on a store whose file and folder
  the user may only read; the writing commands fail with one line naming the store. As
  root (permissions do not apply), the commands run as `nobody` through setpriv."""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tmfinv_testlib import BIN, EXCLUDED_TYPES, TOP, Serve, Sim, StubServer, TestCase, Workspace, main  # noqa: E402
from test_api_tmf import matches  # noqa: E402  (the documented filter semantics)

RESOURCE = "/tmf-api/resourceInventoryManagement/v4/resource"
SERVICE = "/tmf-api/serviceInventory/v4/service"


def request(url, method="GET", body=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def comparable(rows):
    """dump() rows without the modification time (two stores are written at other times)."""
    return [row[:7] for row in rows]


def runs_of(db):
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT id, ended, complete FROM run ORDER BY id").fetchall()
    finally:
        con.close()


# ---- point 3: concurrent writers ---------------------------------------------------------------

class ConcurrentWritersTest(TestCase):
    def setUp(self):
        super().setUp()
        self.ref = Workspace()

    def tearDown(self):
        self.ref.cleanup()
        super().tearDown()

    def reference(self, sim):
        """The instances a store that got one sync per epoch holds, after a sync of this epoch."""
        self.ref.ses_config(sim)
        self.ref.run("sync", "--once", check=0)
        return comparable(self.ref.dump())

    def start_sync(self):
        return subprocess.Popen([BIN, "-c", self.ws.config, "sync", "--once"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def test_two_syncs_at_once(self):
        # Latency makes each sync take about a second, so that their page transactions
        # interleave; the store is new, so that both also open (and migrate) it at once.
        sim = self.sim("--latency-ms", "25")
        self.ws.ses_config(sim)
        for epoch in range(2):
            procs = [self.start_sync(), self.start_sync()]
            for p in procs:
                out, err = p.communicate(timeout=300)
                self.assertEqual(p.returncode, 0, "epoch %d: %s" % (epoch, err))
            self.assertTrue(comparable(self.ws.dump()) == self.reference(sim), "epoch %d: stores differ" % epoch)
            runs = runs_of(self.ws.db)
            self.assertEqual(len(runs), 2 * (epoch + 1))
            self.assertTrue(all(ended and complete == 1 for _, ended, complete in runs), runs)
            sim.post("/_sim/epoch")

    def test_patch_during_a_sync(self):
        sim = self.sim("--latency-ms", "25")
        self.ws.ses_config(sim)
        with open(self.ws.config, "a") as f:
            f.write("\n[http]\nlisten = 127.0.0.1:0\n")
        server = Serve(self.ws.config, os.path.join(self.ws.dir, "serve.log"))
        try:
            deadline = time.time() + 120
            while not any(r[1] and r[2] == 1 for r in runs_of(self.ws.db)) and time.time() < deadline:
                time.sleep(0.1)
            ids = [i["id"] for i in self.ws.json_lines("query", "Service", "--json", "--limit", "5")]
            self.assertEqual(len(ids), 5)
            sim.post("/_sim/epoch")
            sync = self.start_sync()
            answers, n = [], 0
            while sync.poll() is None:
                sid = ids[n % len(ids)]
                status, body = request(server.base + SERVICE + "/" + sid, "PATCH",
                                       json.dumps({"note": "patch %d" % n}).encode(),
                                       {"Content-Type": "application/merge-patch+json"})
                answers.append((status, body[:200]))
                n += 1
            out, err = sync.communicate()
            self.assertEqual(sync.returncode, 0, err)
            self.assertGreater(n, 5, "the PATCH loop did not overlap the sync")
            self.assertEqual([a for a in answers if a[0] != 200], [])
            # the last note of each instance is the one last sent
            for k, uuid in enumerate(ids[:n]):
                last = max(i for i in range(n) if i % len(ids) == k)
                shown = self.ws.json_lines("show", uuid, "--json")[0]
                self.assertEqual(shown["fields"].get("note"), "patch %d" % last)
            self.assertTrue(all(ended for _, ended, _ in runs_of(self.ws.db)))
        finally:
            self.assertEqual(server.stop(), 0)

    def test_lock_held_past_the_busy_timeout(self):
        sim = self.sim("--latency-ms", "40")
        self.ws.ses_config(sim)
        self.ws.run("sync", "--once", check=0)
        self.reference(sim)
        with open(self.ws.config) as f:
            text = f.read().replace("[store]\n", "[store]\nbusy_timeout = 2\n", 1)
        with open(self.ws.config, "w") as f:
            f.write(text)
        sim.post("/_sim/epoch")
        sync = self.start_sync()
        deadline = time.time() + 60
        while len(runs_of(self.ws.db)) < 2 and time.time() < deadline:
            time.sleep(0.01)
        holder = sqlite3.connect(self.ws.db, isolation_level=None, timeout=30)
        holder.execute("BEGIN IMMEDIATE")
        held = time.monotonic()
        try:
            # reads go on while the lock is held (WAL)
            self.assertEqual(self.ws.run("summary", check=0).returncode, 0)
            # Held 3 s: the sync's next page waits 2 s and fails; ending its run (when the
            # store closes) waits again and gets the lock once it is released.
            time.sleep(max(0.0, 3.0 - (time.monotonic() - held)))
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        out, err = sync.communicate(timeout=60)
        self.assertEqual(sync.returncode, 1, err)
        lines = err.strip().splitlines()
        self.assertEqual(len(lines), 1, err)
        self.assertIn("store %s" % self.ws.db, lines[0])
        self.assertRegex(lines[0], r"waited 2\.\d s for another writer's lock \(\[store\] busy_timeout = 2 s\)")
        con = sqlite3.connect(self.ws.db)
        try:
            self.assertEqual(con.execute("PRAGMA integrity_check").fetchone()[0], "ok")
        finally:
            con.close()
        runs = runs_of(self.ws.db)
        self.assertEqual(len(runs), 2)
        self.assertIsNotNone(runs[1][1], "the failed run was left not ended")
        self.assertEqual(runs[1][2], 0)
        # whole pages only: the next sync converges to the store one sync gives
        self.ws.run("sync", "--once", check=0)
        self.assertTrue(comparable(self.ws.dump()) == self.reference(sim), "stores differ")

    def test_serve_ends_a_run_that_failed_on_the_lock(self):
        """In serve the store stays open after a failed run: the engine itself must end the
        run (incomplete), or runs and /api/v1/runs would show it going on until a restart."""
        sim = self.sim("--latency-ms", "40")
        self.ws.ses_config(sim)
        with open(self.ws.config) as f:
            text = f.read().replace("[store]\n", "[store]\nbusy_timeout = 1\n", 1)
        with open(self.ws.config, "w") as f:
            f.write(text + "\n[http]\nlisten = 127.0.0.1:0\n")
        serve = Serve(self.ws.config)
        try:
            deadline = time.time() + 60
            while not runs_of(self.ws.db) and time.time() < deadline:
                time.sleep(0.01)
            # Held 1.6 s: the sync's next write gives up after 1 s and fails the run; ending
            # the run waits again and gets the lock when it is released (a lock held for
            # ever leaves the run to be ended by the next run or at close).
            holder = sqlite3.connect(self.ws.db, isolation_level=None, timeout=30)
            holder.execute("BEGIN IMMEDIATE")
            try:
                time.sleep(1.6)
            finally:
                holder.execute("ROLLBACK")
                holder.close()
            deadline = time.time() + 30
            while time.time() < deadline and runs_of(self.ws.db)[0][1] is None:
                time.sleep(0.05)
            run = runs_of(self.ws.db)[0]
            self.assertIsNotNone(run[1], "the failed run is left not ended while serve runs: " + serve.log_tail())
            self.assertEqual(run[2], 0)
            status, body = request(serve.base + "/api/v1/runs")
            self.assertEqual(status, 200)
            listed = {r["id"]: r for r in json.loads(body)["items"]}
            self.assertIsNotNone(listed[run[0]]["ended"])
            self.assertFalse(listed[run[0]]["complete"])
            self.assertEqual(request(serve.base + "/healthz")[0], 200)
        finally:
            self.assertEqual(serve.stop(), 0)


# ---- point 6: documented limits of the query APIs ------------------------------------------------

STEP_NAMES = ["s%02d" % i + "x" * 12 for i in range(1, 17)]  # 15 bytes each: 16 steps = 255 bytes
LONG_PATH = ".".join(STEP_NAMES)
DEEP_PATH = ".".join(["deep"] + ["l%d" % i for i in range(2, 17)])  # 16 steps


def nest(names, value, array_at):
    """{names[0]: {names[1]: ... value}}, with an array [decoy, real] at depth array_at."""
    inner = value
    for depth in range(len(names) - 1, -1, -1):
        node = {names[depth]: inner}
        if depth == array_at:
            node = [{"decoy": True}, node]
        inner = node
    return inner


def deep_value(n):
    """Values of several kinds at the end of the deep paths, by item number."""
    kind = n % 5
    if kind == 0:
        return "v%d" % n
    if kind == 1:
        return n
    if kind == 2:
        return n % 2 == 0
    if kind == 3:
        return ["v%d" % n, n]
    return "2025-%02d-01T00:00:00Z" % (n % 12 + 1)


def deepen(item, n):
    item = dict(item)
    item["deep"] = nest(["l%d" % i for i in range(2, 17)], deep_value(n), array_at=2 + n % 3)
    item[STEP_NAMES[0]] = nest(STEP_NAMES[1:], "long%d" % (n % 7), array_at=-1)
    item["extra"] = {"k%02d" % j: n + j for j in range(16)}
    return item


class LimitsTest(unittest.TestCase):
    """A simulator behind a stub source that adds deep attributes to every resource."""

    @classmethod
    def setUpClass(cls):
        cls.sim = Sim(services=60, carriers=20, resources=150)

        def handler(method, path, headers, body):
            with urllib.request.urlopen(cls.sim.base + path, timeout=30) as r:
                items = json.loads(r.read())
                total = r.headers.get("X-Total-Count")
            q = urllib.parse.parse_qs(urllib.parse.urlparse(path).query)
            first = (int(q["page"][0]) - 1) * int(q["recordsPerPage"][0]) if "page" in q else 0
            items = [deepen(it, first + i) for i, it in enumerate(items)]
            extra = [("X-Total-Count", total)] if total else []
            return 200, [("Content-Type", "application/json")] + extra, json.dumps(items)

        cls.stub = StubServer(handler)
        cls.ws = Workspace()
        services = {"api": "tmf638", "url": cls.sim.base + "/tmf638/service", "paging": "page", "page_size": "40"}
        resources = {"api": "tmf639", "url": cls.stub.base + "/tmf639/resource", "paging": "page",
                     "page_size": "40"}
        cls.ws.write_config([("services", services), ("resources", resources)],
                            extra="\n[http]\nlisten = 127.0.0.1:0\nmax_url = 65536\nmax_limit = 1000\n")
        cls.ws.run("sync", "--once", check=0)
        cls.server = Serve(cls.ws.config, os.path.join(cls.ws.dir, "serve.log"))
        cls.base = cls.server.base
        cls.items = cls.stored_resources()

    @classmethod
    def tearDownClass(cls):
        rc = cls.server.stop()
        cls.stub.stop()
        cls.sim.stop()
        cls.ws.cleanup()
        if rc != 0:
            raise AssertionError("tmfinv serve exited %d" % rc)

    @classmethod
    def stored_resources(cls):
        """The active resources as the source sent them (first of each id, types kept)."""
        items, seen, page = [], set(), 1
        while True:
            with urllib.request.urlopen("%s/tmf639/resource?page=%d&recordsPerPage=40" % (cls.stub.base, page)) as r:
                batch = json.loads(r.read())
            for it in batch:
                if it.get("id") and it["id"] not in seen:
                    seen.add(it["id"])
                    if it.get("@type") not in EXCLUDED_TYPES and it.get("status") != "Deprecated":
                        items.append(it)
            if len(batch) < 40:
                return items
            page += 1

    def get(self, query, path=RESOURCE):
        status, body = request(self.base + path + "?" + query)
        return status, json.loads(body) if body else None

    def check(self, filters, query):
        """The API's answer to `query` is the items `filters` select (documented semantics)."""
        status, body = self.get(query + "&limit=1000&fields=id")
        self.assertEqual(status, 200, body)
        expected = sorted(it["id"] for it in self.items if matches(it, filters))
        self.assertEqual(sorted(i["id"] for i in body), expected, query[:200])
        return expected

    def assert_limit(self, query, *words, path=RESOURCE):
        status, body = self.get(query, path)
        self.assertEqual(status, 400, body)
        self.assertEqual(body["@type"] if path != "/api/v1/definitions/Resource/instances" else "Error", "Error")
        for w in words:
            self.assertIn(w, body["message"])

    def test_sixteen_step_filters(self):
        found = []
        for value in ("v10", "11", "true", "false", "v13", "13", "v25", "2025-06-01T00:00:00Z"):
            found += self.check([(DEEP_PATH, "eq", [value])], "%s=%s" % (DEEP_PATH, value))
        self.assertTrue(found)
        self.check([(DEEP_PATH, "gte", ["2025-06-01T00:00:00Z"])], DEEP_PATH + ".gte=2025-06-01T00:00:00Z")
        self.check([(DEEP_PATH, "lt", ["50"])], DEEP_PATH + ".lt=50")
        self.assert_limit(DEEP_PATH + ".l17=x", "17 steps", "16")
        self.assert_limit(DEEP_PATH + ".l17.gt=x", "17 steps", "16")

    def test_255_byte_paths(self):
        self.assertEqual(len(LONG_PATH), 255)
        found = self.check([(LONG_PATH, "eq", ["long3"])], LONG_PATH + "=long3")
        self.assertTrue(found)
        status, body = self.get("sort=-" + LONG_PATH + "&limit=1000&fields=id")
        self.assertEqual(status, 200, body)
        self.assert_limit(LONG_PATH + "x=long3", "255 bytes")
        self.assert_limit("sort=" + LONG_PATH + "x", "255 bytes")

    def test_thousand_values(self):
        ids = [it["id"] for it in self.items]
        values = (ids + ["true"] + [str(i) for i in range(300)] + ["v%d" % i for i in range(1000)])[:1000]
        self.assertEqual(len(values), 1000)
        self.check([("id", "eq", values)], "id=" + ",".join(values))
        self.check([(DEEP_PATH, "eq", values)], DEEP_PATH + "=" + ",".join(values))
        # the same values as 50 repeated parameters of 20 values each
        self.check([(DEEP_PATH, "eq", values)], "&".join(DEEP_PATH + "=" + ",".join(values[i:i + 20])
                                                          for i in range(0, 1000, 20)))
        # ordering: any of the values
        mixed = ["%d" % (i * 3 + 40) for i in range(500)] + ["2025-%02d-15T00:00:00Z" % (i % 12 + 1)
                                                            for i in range(499)] + ["v5"]
        for op in ("gt", "gte", "lt", "lte"):
            self.check([(DEEP_PATH, op, mixed)], "%s.%s=%s" % (DEEP_PATH, op, ",".join(mixed)))
        self.assert_limit("id=" + ",".join(values + ["x"]), "1000")

    def test_sixty_four_filters(self):
        # 16 numeric attributes x 4 operators: 64 distinct (path, operator) filters.
        filters, query = [], []
        for j in range(16):
            for op, value in (("gt", "-1"), ("gte", "0"), ("lt", "1000000"), ("lte", "1000000")):
                if (j, op) == (0, "lt"):
                    value = "100"
                filters.append(("extra.k%02d" % j, op, [value]))
                query.append("extra.k%02d.%s=%s" % (j, op, value))
        self.assertEqual(len(set((p, o) for p, o, _ in filters)), 64)
        found = self.check(filters, "&".join(query))
        self.assertTrue(0 < len(found) < len(self.items), len(found))
        self.assert_limit("&".join(query + ["name.gt=a"]), "64 filters")

    def test_sort_keys(self):
        keys = ["-" + DEEP_PATH, "resourceCharacteristic.name", "name", "-@type", "id",
                STEP_NAMES[0], "place.role", "-" + LONG_PATH]
        status, body = self.get("sort=" + ",".join(keys) + "&limit=1000&fields=id,name")
        self.assertEqual(status, 200, body)
        self.assertEqual(len(body), len(self.items))
        status, body = self.get("sort=name&limit=1000&fields=name")
        names = [i.get("name") for i in body]
        self.assertEqual(names, sorted(names, key=lambda n: (n is not None, n or "")))
        self.assert_limit("sort=" + ",".join(keys + ["name"]), "8 keys")
        self.assert_limit("sort=" + DEEP_PATH + ".l17", "17 steps", "16")

    def test_api_v1_limits(self):
        path = "/api/v1/definitions/Resource/instances"
        status, body = self.get("sort=" + ",".join(["-key", "status", "created", "modified", "id", "source",
                                                    "key", "-status"]), path)
        self.assertEqual(status, 200, body)
        status, body = self.get("sort=" + ",".join(["key"] * 9), path)
        self.assertEqual(status, 400, body)
        self.assertIn("8 keys", body["message"])
        # 256 query parameters (the server's limit), every one a filter
        status, body = self.get("&".join(["status=Operational"] * 255 + ["limit=0"]), path)
        self.assertEqual(status, 200, body)
        active = body["total"]
        self.assertGreater(active, 0)


# ---- point 10: a store the user may only read ----------------------------------------------------

READING = [("summary", "--json"), ("runs", "--json"), ("query", "Resource", "--json"),
           ("show", "res-00000001", "--json"), ("history", "res-00000001", "--json"),
           ("rejected", "--kind", "all", "--json"), ("query", "Service", "--count")]


class ReadOnlyStoreTest(TestCase):
    @classmethod
    def setUpClass(cls):
        # `nobody` must be able to run the binary and read the profiles wherever the tree
        # lies (a clone under /root is closed to it): a copy of both in a folder it may read.
        cls.reader_dir = tempfile.mkdtemp(prefix="tmfinv-reader-")
        os.chmod(cls.reader_dir, 0o755)
        cls.reader_bin = os.path.join(cls.reader_dir, "tmfinv")
        shutil.copy2(BIN, cls.reader_bin)
        cls.reader_data = os.path.join(cls.reader_dir, "data")
        shutil.copytree(os.environ.get("TMFINV_DATA_DIR", os.path.join(TOP, "data")), cls.reader_data)
        for root, dirs, files in os.walk(cls.reader_dir):
            for d in dirs:
                os.chmod(os.path.join(root, d), 0o755)
            for f in files:
                os.chmod(os.path.join(root, f), 0o755 if f == "tmfinv" else 0o644)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.reader_dir, ignore_errors=True)

    def as_reader(self, *args):
        cmd = [self.reader_bin, "-c", self.ws.config] + list(args)
        if os.geteuid() == 0:
            cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + cmd
        env = dict(os.environ, TMFINV_DATA_DIR=self.reader_data)
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)

    def setUp(self):
        super().setUp()
        if os.geteuid() == 0 and not shutil.which("setpriv"):
            self.skipTest("running as root without setpriv: permissions would not apply")
        sim = self.sim(services=40, carriers=10, resources=60)
        self.ws.ses_config(sim)
        self.ws.run("sync", "--once", check=0)
        self.ws.run("set", "res-00000001", "note=kept", check=0)
        self.expected = {a: self.ws.run(*a, check=0).stdout for a in READING}
        os.chmod(self.ws.config, 0o644)

    def tearDown(self):
        os.chmod(self.ws.dir, 0o700)
        super().tearDown()

    def digest(self):
        with open(self.ws.db, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()

    def check_reading_and_writing(self):
        before = self.digest()
        for args in READING:
            p = self.as_reader(*args)
            self.assertEqual(p.returncode, 0, "%s: %s" % (args, p.stderr))
            self.assertEqual(p.stdout, self.expected[args], args)
        for args in (("set", "res-00000001", "note=changed"), ("sync", "--once")):
            p = self.as_reader(*args)
            self.assertEqual(p.returncode, 1, "%s: %s" % (args, p.stderr))
            lines = p.stderr.strip().splitlines()
            self.assertEqual(len(lines), 1, p.stderr)
            self.assertIn("store %s is read-only" % self.ws.db, lines[0])
        self.assertEqual(self.digest(), before)

    def test_read_only_file_and_folder(self):
        # No -wal or -shm: a process that may not create them reads the file as immutable.
        self.assertEqual(sorted(os.listdir(self.ws.dir)), ["tmfinv.db", "tmfinv.ini"])
        os.chmod(self.ws.db, 0o444)
        os.chmod(self.ws.dir, 0o555)
        self.check_reading_and_writing()
        self.assertEqual(sorted(os.listdir(self.ws.dir)), ["tmfinv.db", "tmfinv.ini"])

    def test_read_only_while_a_writer_has_it_open(self):
        # A writer (another user) keeps -wal and -shm; the reader shares them read-only.
        writer = sqlite3.connect(self.ws.db, isolation_level=None)
        try:
            writer.execute("PRAGMA journal_mode = WAL")
            writer.execute("SELECT count(*) FROM instance").fetchone()
            self.assertIn("tmfinv.db-shm", os.listdir(self.ws.dir))
            for name in ("tmfinv.db", "tmfinv.db-wal", "tmfinv.db-shm"):
                os.chmod(os.path.join(self.ws.dir, name), 0o644)
            os.chmod(self.ws.dir, 0o755)
            self.check_reading_and_writing()
        finally:
            writer.close()

    def test_read_only_file_in_a_writable_folder(self):
        os.chmod(self.ws.db, 0o444)
        os.chmod(self.ws.dir, 0o777)
        self.check_reading_and_writing()


if __name__ == "__main__":
    main()
