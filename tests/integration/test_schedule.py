"""The refresh schedule: `tmfinv -c FILE sync` without --once runs a full sync at start,
then a refresh every `interval` seconds and a full reconcile every `full_interval`. A
refresh is incremental for a source with `incremental_params` (SES: updatedDaysAgo=0):
it applies upstream changes but removes nothing; only the next full run marks an item
that left upstream as removed. A source without incremental_params scans in full even in
a refresh. SIGTERM stops the schedule cleanly: promptly when idle, between pages during a
sync, leaving a consistent store and the run recorded as not complete."""

import calendar
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tmfinv_testlib import BIN, TestCase, expected_ses, main  # noqa: E402


class ScheduleTest(TestCase):
    def setUp(self):
        super().setUp()
        self.procs = []

    def tearDown(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.communicate()
        super().tearDown()

    def config(self, sim, interval, full_interval, page_size=40, concurrency=None, incremental=True):
        services = {"api": "tmf638", "url": sim.base + "/tmf638/service", "paging": "page",
                    "page_size": str(page_size)}
        resources = {"api": "tmf639", "url": sim.base + "/tmf639/resource", "paging": "page",
                     "page_size": str(page_size)}
        if incremental:
            services["incremental_params"] = "updatedDaysAgo=0"
        if concurrency:
            services["concurrency"] = resources["concurrency"] = str(concurrency)
        self.ws.write_config([("services", services), ("resources", resources)],
                             extra="\n[sync]\ninterval = %d\nfull_interval = %d\n" % (interval, full_interval))

    def start(self):
        p = subprocess.Popen([BIN, "-c", self.ws.config, "sync"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        self.procs.append(p)
        return p

    def runs(self):
        """Runs, oldest first."""
        if not os.path.exists(self.ws.db):
            return []
        p = self.ws.run("runs", "--json")
        if p.returncode != 0:
            return []
        return sorted((json.loads(line) for line in p.stdout.splitlines() if line.strip()),
                      key=lambda r: r["id"])

    def wait_for(self, predicate, timeout, what):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            runs = self.runs()
            if predicate(runs):
                return runs
            time.sleep(0.05)
        self.fail("timed out waiting for %s; runs: %s" % (what, [(r["id"], r["kind"], r["ended"]) for r in runs]))

    def stop(self, proc, within):
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
        elapsed = time.monotonic() - started
        self.assertEqual(proc.returncode, 0, err)
        self.assertLess(elapsed, within, "SIGTERM took %.2f s" % elapsed)
        self.assertIn("stopped", out)
        return out, err

    def integrity(self):
        con = sqlite3.connect(self.ws.db)
        try:
            return con.execute("PRAGMA integrity_check").fetchall()
        finally:
            con.close()

    def events(self, key):
        """(run_id, field, before, after) of an instance's history."""
        con = sqlite3.connect(self.ws.db)
        try:
            return con.execute("SELECT h.run_id, h.field, h.before, h.after FROM history h JOIN instance i"
                               " ON i.id = h.instance_id WHERE i.key = ? ORDER BY h.id", (key,)).fetchall()
        finally:
            con.close()

    def stored(self, key):
        return self.ws.json_lines("show", key, "--json")[0]

    def test_schedule__full_refresh_full_and_incremental_removes_nothing(self):
        sim = self.sim()
        self.config(sim, interval=1, full_interval=3)
        before = expected_ses(sim.collection("/tmf638/service"), sim.collection("/tmf639/resource"))[0]
        proc = self.start()
        self.wait_for(lambda rs: rs and rs[0]["ended"], 20, "the first run")
        self.assertEqual(sim.post("/_sim/epoch"), {"epoch": 1})
        # Every run listed from now on may have started before the change; later ones did not.
        last_before = max(r["id"] for r in self.runs())
        raw_services, raw_resources = sim.collection("/tmf638/service"), sim.collection("/tmf639/resource")
        recent = {i["id"] for i in sim.collection("/tmf638/service?updatedDaysAgo=0")}
        after = expected_ses(raw_services, raw_resources)[0]
        upstream_keys = {i.get("externalId") for i in raw_services}
        upstream_ids = {i.get("id") for i in raw_resources}

        def after_change(runs, kind):
            return [r for r in runs if r["id"] > last_before and r["kind"] == kind and r["ended"]]

        runs = self.wait_for(lambda rs: after_change(rs, "refresh") and after_change(rs, "full"), 20,
                             "a refresh and a full run after the change")
        self.stop(proc, within=5)
        runs = self.runs()
        kinds = [r["kind"] for r in runs]
        self.assertEqual(kinds[0], "full", kinds)
        self.assertEqual(kinds[1], "refresh", kinds)
        self.assertIn("full", kinds[2:], kinds)
        self.assertTrue(all(r["complete"] for r in runs if r["ended"] and r["id"] < runs[-1]["id"]), runs)
        # The intervals: refreshes 1 s apart, full runs 3 s apart.
        starts = [calendar.timegm(time.strptime(r["started"][:19], "%Y-%m-%dT%H:%M:%S")) +
                  float("0." + r["started"][20:23]) for r in runs]
        for i in range(1, len(runs)):
            self.assertGreaterEqual(starts[i] - starts[i - 1], 0.95, kinds)
        fulls = [s for s, r in zip(starts, runs) if r["kind"] == "full"]
        for a, b in zip(fulls, fulls[1:]):
            self.assertGreaterEqual(b - a, 2.95, kinds)
            self.assertLess(b - a, 4.5, kinds)
        by_id = {r["id"]: r for r in runs}
        first_refresh = after_change(runs, "refresh")[0]
        first_full = after_change(runs, "full")[0]

        def source(run, name):
            return next(s for s in run["sources"] if s["name"] == name)

        # Incremental refreshes of 'services' remove nothing; 'resources' has no
        # incremental_params, so even a refresh scans it in full and removes what left.
        for r in runs:
            if r["kind"] == "refresh" and r["ended"]:
                self.assertEqual(source(r, "services")["removed"], 0, r)
        self.assertLess(source(first_refresh, "services")["items"], len(raw_services))

        # A carrier whose status changed upstream (and was updated in the last 24 h).
        changed = [k for k, st in before["Carrier"].items() if k in after["Carrier"] and after["Carrier"][k] != st]
        changed = [k for k in changed if any(i.get("externalId") == k and i["id"] in recent for i in raw_services)]
        self.assertTrue(changed, "the epoch changes some carrier's status")
        for key in changed:
            status_events = [e for e in self.events(key) if e[1] == "status"]
            self.assertTrue(status_events, key)
            self.assertEqual(status_events[0][0], first_refresh["id"], (key, status_events))
            self.assertEqual(json.loads(status_events[0][3]), after["Carrier"][key])
            self.assertEqual(self.stored(key)["status"], after["Carrier"][key])
        # Services and carriers gone upstream: marked removed by the first full run, not by a refresh.
        gone = [k for d in ("Service", "Carrier") for k in before[d] if k not in upstream_keys]
        self.assertTrue(gone, "the epoch removes some services or carriers")
        for key in gone:
            removals = [e for e in self.events(key) if e[1] == "@removed" and e[3] == "true"]
            self.assertEqual(len(removals), 1, (key, self.events(key)))
            self.assertEqual(removals[0][0], first_full["id"], (key, by_id[removals[0][0]]["kind"]))
            shown = self.stored(key)
            self.assertTrue(shown["removed"], key)
            self.assertEqual(shown["removedReason"], "not seen in a complete sync")
        self.assertEqual(source(first_full, "services")["removed"], len(gone))
        # Resources gone upstream: removed by the first run after the change, a refresh.
        gone_resources = [k for k in before["Resource"] if k not in upstream_ids]
        self.assertTrue(gone_resources, "the epoch removes some resources")
        first_after = by_id[min(i for i in by_id if i > last_before)]
        for key in gone_resources:
            removals = [e for e in self.events(key) if e[1] == "@removed" and e[3] == "true"]
            self.assertEqual([e[0] for e in removals], [first_after["id"]], key)
        self.assertEqual(self.integrity(), [("ok",)])

    def test_schedule__sigterm_while_idle_stops_at_once(self):
        sim = self.sim()
        self.config(sim, interval=3600, full_interval=86400)
        proc = self.start()
        self.wait_for(lambda rs: rs and rs[0]["ended"], 20, "the first run")
        time.sleep(0.3)
        self.stop(proc, within=2)
        runs = self.runs()
        self.assertEqual([(r["kind"], r["complete"]) for r in runs], [("full", True)])
        self.assertEqual(self.integrity(), [("ok",)])

    def test_schedule__sigterm_during_a_sync_stops_between_pages(self):
        # 25 + 20 pages of 40 at 200 ms, 2 at a time: about 4.5 s without the signal.
        sim = self.sim("--latency-ms", 200, services=700, carriers=300, resources=800)
        self.config(sim, interval=3600, full_interval=86400, concurrency=2)
        proc = self.start()
        self.wait_for(lambda rs: rs and not rs[0]["ended"], 10, "the first run to start")
        time.sleep(1.2)
        self.assertIsNone(proc.poll())
        out, err = self.stop(proc, within=3)
        self.assertEqual(self.integrity(), [("ok",)])
        runs = self.runs()
        self.assertEqual(len(runs), 1, runs)
        run = runs[0]
        self.assertIn(run["complete"], (False, None), run)
        self.assertIn("INTERRUPTED", out)
        self.assertTrue(run["sources"], run)
        for s in run["sources"]:
            self.assertEqual(s["removed"], 0, s)
            if not s["complete"]:
                # Only whole pages were applied: every one of them held page_size items.
                self.assertEqual(s["items"], s["pages"] * 40, s)
                self.assertGreater(s["pages"], 0, s)
        self.assertFalse(run["sources"][-1]["complete"], run)
        # Nothing stored was marked removed by the interrupted run.
        con = sqlite3.connect(self.ws.db)
        try:
            swept = con.execute("SELECT count(*) FROM instance WHERE removed_reason = 'not seen in a complete sync'")
            self.assertEqual(swept.fetchone()[0], 0)
            stored_items = con.execute("SELECT count(*) FROM instance").fetchone()[0]
        finally:
            con.close()
        total = sum(s["items"] for s in run["sources"])
        self.assertGreater(stored_items, 0)
        self.assertLessEqual(stored_items, total)
        # The next sync converges to the whole inventory.
        self.ws.run("sync", "--once", check=0)
        self.assertTrue(self.runs()[-1]["complete"])


if __name__ == "__main__":
    main()
