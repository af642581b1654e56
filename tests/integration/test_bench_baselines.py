"""The baselines of `make bench` (issue 11, bench/baselines/) do the same work as tmfinv:
run against the same simulator, the table each one writes holds exactly the keys tmfinv's
store holds after the same sync (first key wins, items without a key and the excluded
resource types left out), with the same status and the same item. No timing here: speed
is measured by `make bench` only.

The Python baseline needs requests (Debian package python3-requests, installed by
`scripts/install-deps.sh --test`). The Node one needs better-sqlite3, compiled from source
by `scripts/install-deps.sh --bench` (over a minute on two cores, so `make test` does not
build it): without bench/baselines/node_modules its case is skipped, saying so."""

import json
import sqlite3
import os
import subprocess
import sys
import tempfile

import tmfinv_testlib as t

BASELINES = os.path.join(t.TOP, "bench", "baselines")
PAGE_SIZE = 40


def python_with_requests():
    """An interpreter that can import requests: this one, else Debian's."""
    for exe in (sys.executable, "/usr/bin/python3"):
        if exe and os.path.exists(exe) and subprocess.run([exe, "-c", "import requests"],
                                                          capture_output=True).returncode == 0:
            return exe
    return None


class BaselinesTest(t.TestCase):
    @classmethod
    def setUpClass(cls):
        # 500 items; seed 42 at these sizes serves duplicate keys and an item without a key,
        # so "first key wins" and "no key, no row" are exercised (checked below).
        cls.simulator = t.Sim(seed=42, services=200, carriers=100, resources=200)
        cls.ws0 = t.Workspace()
        try:
            cls.ws0.ses_config(cls.simulator)
            cls.ws0.run("sync", "--once", check=0)
            con = sqlite3.connect(cls.ws0.db)
            try:
                cls.store = {(source, key): (status, json.loads(raw)) for source, key, status, raw in
                             con.execute("SELECT source, key, status, raw FROM instance")}
            finally:
                con.close()
            cls.served = {"services": cls.simulator.collection("/tmf638/service", PAGE_SIZE),
                          "resources": cls.simulator.collection("/tmf639/resource", PAGE_SIZE)}
        except BaseException:
            # tearDownClass does not run when setUpClass fails: leave no simulator behind.
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.simulator.stop()
        cls.ws0.cleanup()

    def test_the_data_has_duplicates_and_a_missing_key(self):
        keys = [it.get("externalId") for it in self.served["services"]]
        self.assertLess(len(set(k for k in keys if k)), len([k for k in keys if k]), "no duplicate keys served")
        self.assertIn(None, [k or None for k in keys], "no item without a key served")
        self.assertGreater(len(self.store), 400)

    def run_baseline(self, cmd):
        d = tempfile.mkdtemp(prefix="tmfinv-bl-")
        db = os.path.join(d, "baseline.db")
        p = subprocess.run(cmd + ["--base", self.simulator.base, "--db", db], capture_output=True, text=True,
                           timeout=300)
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.splitlines()
        self.assertEqual(len(lines), 1, p.stdout)
        out = json.loads(lines[0])
        con = sqlite3.connect(db)
        try:
            table = {(source, key): (status, json.loads(body)) for source, key, status, body in
                     con.execute("SELECT source, key, status, body FROM item")}
            indexes = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'index' "
                                                 "AND tbl_name = 'item' AND sql IS NOT NULL")]
            journal = con.execute("PRAGMA journal_mode").fetchone()[0]
        finally:
            con.close()
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(db + suffix):
                    os.unlink(db + suffix)
            os.rmdir(d)
        return out, table, indexes, journal

    def check(self, out, table, indexes, journal):
        n_items = sum(len(v) for v in self.served.values())
        # Pages of 40 until a short one: n // 40 + 1 per collection.
        pages = sum(len(v) // PAGE_SIZE + 1 for v in self.served.values())
        self.assertEqual(out["items"], n_items)
        self.assertEqual(out["pages"], pages)
        self.assertEqual(out["rows"], len(self.store))
        self.assertEqual(out["upserts"], len(self.store))
        self.assertEqual(out["skipped"], n_items - len(self.store))
        self.assertGreater(out["bytes"], 0)
        self.assertEqual(len(indexes), 1, indexes)  # the one extra index on (source, status)
        self.assertEqual(journal, "wal")
        self.assertEqual(sorted(table), sorted(self.store), "not the keys tmfinv stores")
        for k, (status, item) in self.store.items():
            self.assertEqual(table[k][0], status, k)
            self.assertEqual(table[k][1], item, "%s: not the first item with that key" % (k,))

    def test_python_baseline_writes_the_keys_tmfinv_stores(self):
        exe = python_with_requests()
        self.assertIsNotNone(exe, "no python3 with requests: run scripts/install-deps.sh --test "
                                  "(Debian package python3-requests)")
        self.check(*self.run_baseline([exe, os.path.join(BASELINES, "sync_python.py")]))

    def test_node_baseline_writes_the_keys_tmfinv_stores(self):
        if not os.path.isdir(os.path.join(BASELINES, "node_modules", "better-sqlite3")):
            self.skipTest("better-sqlite3 not built: scripts/install-deps.sh --bench builds it")
        self.check(*self.run_baseline(["node", os.path.join(BASELINES, "sync_node.mjs")]))


if __name__ == "__main__":
    t.main()
