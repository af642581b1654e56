"""Crash safety (issue 3, point 6): `kill -9` of `tmfinv sync --once` at random moments,
a few dozen times in a row on the same store, against the real simulator over loopback.

After every kill the store, opened read-only once the process is gone, passes
`PRAGMA integrity_check`, holds no half-written page (a source's figures are committed
with each page, so a source still being scanned has applied whole pages only: items ==
pages * page_size, or the whole collection when the last, short page made it), and has no
instance, history or report row pointing to a run that does not exist. At the end a
normal sync completes and the store equals the one built by one uninterrupted sync into a
fresh database; `runs` shows the killed runs as interrupted.

The kill moments come from a seeded generator (reproducible) and are scaled by the measured
duration of an uninterrupted sync, so the test keeps its shape under sanitizers."""

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tmfinv_testlib import BIN, TestCase, Workspace, main  # noqa: E402

SIZES = {"seed": 11, "services": 1500, "carriers": 500, "resources": 2000}
PAGE_SIZE = 40
KILLS = 30
TABLES = {"instance", "history", "run", "run_source", "report"}


def write_sources(ws, sim):
    ws.write_config([
        ("services", {"api": "tmf638", "url": sim.base + "/tmf638/service", "paging": "page",
                      "page_size": str(PAGE_SIZE), "concurrency": "4"}),
        ("resources", {"api": "tmf639", "url": sim.base + "/tmf639/resource", "paging": "page",
                       "page_size": str(PAGE_SIZE), "concurrency": "4"})])


def without_times(rows):
    return [tuple(r[:6]) for r in rows]


class CrashTest(TestCase):
    maxDiff = None

    def timed_sync(self, ws):
        started = time.monotonic()
        ws.run("sync", "--once", check=0)
        return time.monotonic() - started

    def check_store(self, path, totals, context):
        """The invariants that must hold whenever the writer died."""
        con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
        try:
            self.assertEqual(con.execute("PRAGMA integrity_check").fetchall(), [("ok",)], context)
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not tables:
                return  # killed before the schema was committed: an empty database
            self.assertTrue(TABLES <= tables, "half a schema: %s (%s)" % (sorted(tables), context))
            # Whole pages only: a source still being scanned has its figures of whole pages.
            rows = con.execute("SELECT rs.run_id, rs.source, rs.pages, rs.items, rs.complete FROM run_source rs"
                               " JOIN run r ON r.id = rs.run_id WHERE r.complete IS NULL").fetchall()
            for run_id, source, pages, items, complete in rows:
                if complete:
                    continue  # this source had finished before the kill
                self.assertTrue(items == pages * PAGE_SIZE or items == totals[source],
                                "run %d source %s: %d items in %d pages (%s)" % (run_id, source, items, pages,
                                                                                 context))
            # Nothing points to a run that was never recorded.
            for table in ("instance", "history", "report"):
                orphans = con.execute("SELECT count(*) FROM %s WHERE run_id IS NULL OR run_id NOT IN"
                                      " (SELECT id FROM run)" % table).fetchone()[0]
                self.assertEqual(orphans, 0, "%s rows without a run (%s)" % (table, context))
            # An interrupted run was never ended.
            self.assertEqual(con.execute("SELECT count(*) FROM run WHERE complete IS NULL AND ended IS NOT NULL")
                             .fetchone()[0], 0, context)
        finally:
            con.close()

    def test_crash__kill_9_at_random_moments_leaves_a_sound_store_that_converges(self):
        sim = self.sim("--latency-ms", "3", **SIZES)
        # The uninterrupted result, and how long a first sync and a resync take.
        ref = Workspace()
        try:
            write_sources(ref, sim)
            fresh_s = self.timed_sync(ref)
            resync_s = self.timed_sync(ref)
            expected = without_times(ref.dump())
            run = ref.json_lines("runs", "--json")[0]
            totals = {s["name"]: s["items"] for s in run["sources"]}
        finally:
            ref.cleanup()
        self.assertEqual(totals, {"services": SIZES["services"] + SIZES["carriers"], "resources": SIZES["resources"]})

        write_sources(self.ws, sim)
        rng = random.Random(20260101)
        killed = completed = 0
        for i in range(KILLS):
            # A moment within the sync this process is about to run: a first sync until one
            # has completed, a resync (faster: nothing to write) afterwards.
            window = fresh_s if completed == 0 else resync_s
            p = subprocess.Popen([BIN, "-c", self.ws.config, "sync", "--once"], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True)
            time.sleep(rng.uniform(0, window))
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
            _, err = p.communicate(timeout=120)
            if p.returncode == -signal.SIGKILL:
                killed += 1
            else:
                self.assertEqual(p.returncode, 0, "sync %d: %s" % (i, err))
                completed += 1
            if os.path.exists(self.ws.db):
                self.check_store(self.ws.db, totals, "after sync %d" % i)
        self.assertGreaterEqual(killed, KILLS // 2, "most kills landed during a sync")

        # The next sync completes and gives the uninterrupted result.
        self.ws.run("sync", "--once", check=0)
        self.check_store(self.ws.db, totals, "after the final sync")
        self.assertEqual(without_times(self.ws.dump()), expected)

        runs = self.ws.json_lines("runs", "--json")
        states = [r["complete"] for r in runs]
        self.assertEqual(states[0], True, "the final run is complete")
        # A kill can land after a run was recorded complete, before the process exited.
        self.assertGreaterEqual(states.count(True), completed + 1, states)
        self.assertEqual(states.count(False), 0, states)
        self.assertGreater(states.count(None), 0, "killed runs are shown as interrupted")
        self.assertLessEqual(states.count(None), killed, states)
        self.assertLessEqual(len(runs), KILLS + 1)
        for r in runs:
            if r["complete"] is None:
                self.assertIsNone(r["ended"], r)
        text = self.ws.run("runs", check=0).stdout
        self.assertEqual(text.count("interrupted"), states.count(None), text)


if __name__ == "__main__":
    main()
