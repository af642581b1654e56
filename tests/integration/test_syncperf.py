"""Sync speed work (issue 11, points 2 and 3): what the faster write path must keep.

- Group commit: several whole pages go into one write transaction, never part of one. After a
  `kill -9` at random moments of a first sync at zero latency (where groups form), each
  source's instances are exactly those of its first `pages` pages as the figures committed
  with them say (the items of a whole prefix of pages, no more, no less), and the next sync
  converges to the store of one uninterrupted sync.
- References restricted to active instances: a first load re-evaluates, at its end, only
  the instances written before a service they reference became active (each of them then
  changes); it used to re-evaluate every carrier and service that references any service.
"""

import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tmfinv_testlib import BIN, TestCase, Workspace, main  # noqa: E402

PAGE_SIZE = 40
SOURCES = {"services": "/tmf638/service", "resources": "/tmf639/resource"}


def ids_by_source(path):
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        out = {name: set() for name in SOURCES}
        for source, tmf_id in con.execute("SELECT source, json_extract(raw, '$.id') FROM instance"):
            out.setdefault(source, set()).add(tmf_id)
        return out
    finally:
        con.close()


def without_times(rows):
    return [tuple(r[:6]) for r in rows]


class GroupCommitTest(TestCase):
    maxDiff = None

    def test_group_commit__a_killed_first_sync_holds_whole_pages_only_and_the_next_converges(self):
        sim = self.sim(seed=23, services=2400, carriers=800, resources=3200)
        pages = {name: sim.collection(path) for name, path in SOURCES.items()}
        ref = Workspace()
        try:
            ref.ses_config(sim)
            started = time.monotonic()
            ref.run("sync", "--once", check=0)
            fresh_s = time.monotonic() - started
            expected = without_times(ref.dump())
            ref_ids = ids_by_source(ref.db)
        finally:
            ref.cleanup()

        self.ws.ses_config(sim)
        rng = random.Random(20261130)
        killed = partial = 0
        for i in range(12):
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(self.ws.db + suffix):
                    os.remove(self.ws.db + suffix)
            p = subprocess.Popen([BIN, "-c", self.ws.config, "sync", "--once"], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True)
            time.sleep(rng.uniform(0.05, 0.95) * fresh_s)
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
            _, err = p.communicate(timeout=120)
            if p.returncode != -signal.SIGKILL:
                self.assertEqual(p.returncode, 0, err)
                continue
            killed += 1
            if not os.path.exists(self.ws.db):
                continue
            con = sqlite3.connect("file:%s?mode=ro" % self.ws.db, uri=True)
            try:
                self.assertEqual(con.execute("PRAGMA integrity_check").fetchall(), [("ok",)])
                tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
                figures = {}
                if "run_source" in tables:
                    figures = {r[0]: r[1:] for r in con.execute("SELECT source, pages, items, complete"
                                                                " FROM run_source")}
            finally:
                con.close()
            have = ids_by_source(self.ws.db) if "instance" in tables else {name: set() for name in SOURCES}
            for name in SOURCES:
                n_pages, items, complete = figures.get(name, (0, 0, 0))
                served = pages[name][:n_pages * PAGE_SIZE]
                context = "kill %d, source %s: %d pages committed" % (i, name, n_pages)
                self.assertEqual(items, len(served), context)
                want = ref_ids[name] & {item["id"] for item in served}
                self.assertEqual(have.get(name, set()), want, context)
                if 0 < n_pages and not complete:
                    partial += 1
        self.assertGreaterEqual(killed, 6, "most kills landed during a sync")
        self.assertGreater(partial, 0, "some kill landed in the middle of a source")

        self.ws.run("sync", "--once", check=0)
        self.assertEqual(without_times(self.ws.dump()), expected)


class ReferencesFirstLoadTest(TestCase):
    def test_first_load__re_evaluates_only_what_was_written_before_its_services(self):
        sim = self.sim(seed=5, services=1200, carriers=600, resources=600)
        self.ws.ses_config(sim)
        with open(self.ws.config, "a") as f:
            f.write("\n[log]\nlevel = debug\n")
        p = self.ws.run("sync", "--once", check=0)
        m = re.search(r"references: (\d+) keys or TMF ids of referenced instances became or stopped being active;"
                      r" (\d+) instances that may reference them re-evaluated, (\d+) changed", p.stderr)
        self.assertIsNotNone(m, p.stderr[-2000:])
        noted, checked, changed = map(int, m.groups())
        self.assertGreater(noted, 0)
        self.assertGreater(changed, 0, "some carrier or service came before a service it references")
        # On a first load a service only ever becomes active: an instance written after it
        # already holds it, one written before changes. So every instance checked changes.
        self.assertEqual(checked, changed, m.group(0))
        # And the store is the one the re-evaluation of everything gave: a second sync of the
        # same items writes nothing.
        run = self.ws.run("sync", "--once", check=0)
        self.assertIn("0 created, 0 updated", run.stderr)
        writes = sum(s["writes"] for s in self.ws.json_lines("runs", "--json")[0]["sources"])
        self.assertEqual(writes, 0)


if __name__ == "__main__":
    main()
