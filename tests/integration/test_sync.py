"""Black-box tests of `tmfinv sync --once` against the real simulator over loopback:
the SES rules (keys, de-duplication, exclusion, status rules) give exactly the active
instances computed here from the simulator's own responses; both paging dialects give
the same store; a failed page makes the run incomplete and removes nothing; removals
upstream are applied after a complete sync; a modem's status is preserved while other
resources' changes are applied; local values survive syncs."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tmfinv_testlib import TestCase, expected_ses, main  # noqa: E402


def by_key(rows):
    return {r["key"]: r for r in rows}


class SyncTest(TestCase):
    def fetch_all(self, sim):
        return sim.collection("/tmf638/service"), sim.collection("/tmf639/resource")

    def stored(self, definition, all=False):
        args = ["query", definition, "--json"] + (["--all"] if all else [])
        return by_key(self.ws.json_lines(*args))

    def test_sync__active_instances_follow_the_ses_rules(self):
        sim = self.sim()
        services, resources = self.fetch_all(sim)
        expected, stats = expected_ses(services, resources)
        self.ws.ses_config(sim)
        self.ws.run("sync", "--once", check=0)
        for definition in ("Service", "Carrier", "Resource"):
            stored = self.stored(definition)
            self.assertEqual(set(stored), set(expected[definition]), definition)
            for key, status in expected[definition].items():
                self.assertEqual(stored[key]["status"], status, key)
                self.assertFalse(stored[key]["removed"])
            self.assertEqual(self.ws.count(definition), len(expected[definition]))
        # The simulator does serve the cases the rules are about.
        self.assertGreater(stats["duplicates"], 0)
        self.assertGreater(stats["excluded"], 0)
        self.assertGreater(stats["dropped"], 0)
        # Duplicates and empty keys are counted and reported.
        run = self.ws.json_lines("runs", "--json")[0]
        self.assertTrue(run["complete"])
        totals = {k: sum(s[k] for s in run["sources"]) for k in ("duplicates", "emptyKeys", "excluded", "dropped")}
        self.assertEqual(totals["duplicates"], stats["duplicates"])
        self.assertEqual(totals["emptyKeys"], stats["empty_keys"])
        self.assertEqual(totals["excluded"], stats["excluded"])
        self.assertEqual(totals["dropped"], stats["dropped"])
        reports = self.ws.json_lines("rejected", "--kind", "duplicate", "--json")
        self.assertEqual(len(reports), stats["duplicates"])
        self.assertTrue(all(r["reason"] and r["key"] for r in reports))
        self.assertEqual(len(self.ws.json_lines("rejected", "--kind", "empty_key", "--json")), stats["empty_keys"])
        # Excluded types are absent, even with removed instances included.
        for t in ("Card", "BandwidthSegment", "LogicalPort", "Multicast", "Slot", "Port", "Circuit"):
            self.assertEqual(self.ws.count("Resource", "type=" + t, all=True), 0, t)
        # Items not kept by status are kept as removed, with their data.
        deprecated = [i for i in resources if i.get("status") == "Deprecated" and i.get("@type") not in
                      ("Card", "BandwidthSegment", "LogicalPort", "Multicast", "Slot", "Port", "Circuit")]
        self.assertTrue(deprecated, "the simulator serves Deprecated resources")
        shown = self.ws.json_lines("show", deprecated[0]["id"], "--json")[0]
        self.assertTrue(shown["removed"])
        self.assertEqual(shown["removedReason"], "status 'Deprecated' is not kept")
        self.assertEqual(shown["fields"]["name"], deprecated[0]["name"])

    def test_sync__first_occurrence_wins(self):
        sim = self.sim()
        services, _ = self.fetch_all(sim)
        first = {}
        for item in services:
            key = item.get("externalId")
            if key and key not in first:
                first[key] = item
        repeated = [k for k in first if sum(1 for i in services if i.get("externalId") == k) > 1]
        self.assertTrue(repeated, "the simulator serves repeated externalIds")
        self.ws.ses_config(sim)
        self.ws.run("sync", "--once", check=0)
        for key in repeated:
            item = first[key]
            definition = "Carrier" if item.get("@type") == "element" else "Service"
            rows = self.ws.json_lines("query", definition, "--all", "--json", "--where", "externalId=" + key)
            self.assertEqual(len(rows), 1)
            self.assertEqual(rows[0]["fields"]["id"], item["id"], key)

    def test_sync__offset_and_page_dialects_give_the_same_store(self):
        sim = self.sim()
        self.ws.ses_config(sim)
        self.ws.run("sync", "--once", check=0)
        page_store = [(d, k, s, r, f, raw) for d, k, s, r, f, raw, _, _ in self.ws.dump()]
        other = type(self.ws)()
        try:
            other.write_config([
                ("services", {"api": "tmf638", "url": sim.base + "/tmf-api/serviceInventory/v4/service",
                              "paging": "offset", "page_size": "40"}),
                ("resources", {"api": "tmf639", "url": sim.base + "/tmf-api/resourceInventoryManagement/v4/resource",
                               "paging": "offset", "page_size": "25"})])
            other.run("sync", "--once", check=0)
            offset_store = [(d, k, s, r, f, raw) for d, k, s, r, f, raw, _, _ in other.dump()]
        finally:
            other.cleanup()
        self.assertEqual(len(page_store), len(offset_store))
        self.assertEqual(page_store, offset_store)

    def test_sync__unchanged_resync_writes_nothing(self):
        sim = self.sim()
        self.ws.ses_config(sim)
        self.ws.run("sync", "--once", check=0)
        before = self.ws.dump()
        self.ws.run("sync", "--once", check=0)
        self.assertEqual(self.ws.dump(), before)
        run = self.ws.json_lines("runs", "--json")[0]
        for s in run["sources"]:
            self.assertEqual((s["created"], s["updated"], s["removed"]), (0, 0, 0), s["name"])
            self.assertGreater(s["unchanged"], 0)

    def test_sync__failed_page_is_incomplete_and_removes_nothing(self):
        sim = self.sim()
        self.ws.ses_config(sim, retries="1", retry_delay_ms="10")
        self.ws.run("sync", "--once", check=0)
        active = {d: set(self.stored(d)) for d in ("Service", "Carrier", "Resource")}
        sim.post("/_sim/epoch")
        upstream = {i.get("externalId") for i in sim.collection("/tmf638/service")}
        upstream |= {i["id"] for i in sim.collection("/tmf639/resource")}
        gone = {d: {k for k in keys if k not in upstream} for d, keys in active.items()}
        self.assertTrue(any(gone.values()), "epoch 1 removes items upstream")
        sim.stop()
        # The next epoch removes items upstream, and page 2 of every collection fails.
        failing = self.sim("--epoch", "1", "--fail-page", "2")
        self.ws.ses_config(failing, retries="1", retry_delay_ms="10")
        p = self.ws.run("sync", "--once", check=2)
        self.assertIn("page 2", p.stderr)
        self.assertIn("504", p.stderr)
        for line in p.stderr.strip().splitlines():
            # Log lines (logfmt), each about a source.
            self.assertRegex(line, r'^time=\S+ level=(info|warn|error) msg="source \'', line)
        run = self.ws.json_lines("runs", "--json")[0]
        self.assertFalse(run["complete"])
        for s in run["sources"]:
            self.assertFalse(s["complete"])
            self.assertEqual(s["removed"], 0)
            self.assertEqual([f["page"] for f in s["failed"]], [2])
            self.assertEqual(s["failed"][0]["status"], 504)
        for d, keys in gone.items():
            # Items no longer served are not removed on partial evidence.
            stored = self.stored(d)
            for k in keys:
                self.assertIn(k, stored, k)
        # The same epoch without the failing page completes and removes them.
        failing.stop()
        good = self.sim("--epoch", "1")
        self.ws.ses_config(good)
        self.ws.run("sync", "--once", check=0)
        for d, keys in gone.items():
            stored = self.stored(d, all=True)
            for k in keys:
                self.assertTrue(stored[k]["removed"], k)

    def test_sync__epoch_changes_are_applied(self):
        sim = self.sim()
        old_services, old_resources = self.fetch_all(sim)
        self.ws.ses_config(sim)
        self.ws.run("sync", "--once", check=0)
        before = self.stored("Resource")
        sim.post("/_sim/epoch")
        new_services, new_resources = self.fetch_all(sim)
        old_by_id = {i["id"]: i for i in old_resources}
        new_by_id = {i["id"]: i for i in new_resources}
        removed = [i for i in old_by_id if i not in new_by_id and i in before]
        added = [i for i in new_by_id if i not in old_by_id]
        changed = [i for i in new_by_id if i in old_by_id and i in before and
                   new_by_id[i]["status"] != old_by_id[i]["status"] and new_by_id[i]["status"] != "Deprecated"]
        modems = [i for i in changed if new_by_id[i]["@type"] == "Modem"]
        others = [i for i in changed if new_by_id[i]["@type"] != "Modem"]
        self.assertTrue(removed and added and modems and others,
                        "epoch 1 removes, adds and changes modems and other resources")
        self.ws.run("sync", "--once", check=0)
        after = self.stored("Resource", all=True)
        for key in removed:
            self.assertTrue(after[key]["removed"], key)
            self.assertEqual(after[key]["removedReason"], "not seen in a complete sync")
        for key in added:
            item = new_by_id[key]
            if item["@type"] not in ("Card", "BandwidthSegment", "LogicalPort", "Multicast", "Slot", "Port",
                                     "Circuit") and item["status"] != "Deprecated":
                self.assertFalse(after[key]["removed"], key)
        for key in modems:
            # The modem's status is the one it had when created; the rest follows the source.
            self.assertEqual(after[key]["status"], old_by_id[key]["status"], key)
            self.assertEqual(after[key]["fields"]["status"], old_by_id[key]["status"], key)
            self.assertEqual(after[key]["fields"]["operationalState"], new_by_id[key]["operationalState"], key)
        for key in others:
            self.assertEqual(after[key]["status"], new_by_id[key]["status"], key)
        # Carriers: removals and status changes follow the source.
        old_car = {i["externalId"]: i for i in old_services if i.get("@type") == "element" and i.get("externalId")}
        expected, _ = expected_ses(new_services, new_resources)
        stored = self.stored("Carrier")
        self.assertEqual(set(stored), set(expected["Carrier"]))
        self.assertTrue(any(old_car.get(k, {}).get("status") not in (None, s) for k, s in expected["Carrier"].items()),
                        "some carrier changed status")
        for key, status in expected["Carrier"].items():
            self.assertEqual(stored[key]["status"], status)
        # History records the change of a non-modem resource.
        hist = self.ws.json_lines("history", others[0], "--json")
        self.assertTrue(any(h["field"] == "status" and h["after"] == new_by_id[others[0]]["status"] for h in hist))

    def test_sync__local_values_survive_syncs(self):
        sim = self.sim()
        # Look ahead (same seed, epochs 1 and 2) for a modem that is still served, not
        # Deprecated, and whose status changes upstream: its set status must survive.
        future = []
        for epoch in (1, 2):
            with type(sim)("--epoch", epoch) as ahead:
                future.append({i["id"]: i for i in ahead.collection("/tmf639/resource")})
        now = {i["id"]: i for i in sim.collection("/tmf639/resource")}
        candidates = [k for k, i in now.items() if i["@type"] == "Modem" and i["status"] != "Deprecated"
                      and all(k in f and f[k]["status"] != "Deprecated" for f in future)]
        changing = [k for k in candidates if future[1][k]["status"] != now[k]["status"]]
        self.assertTrue(changing, "some modem changes status upstream within two epochs")
        key = changing[0]
        self.ws.ses_config(sim)
        self.ws.run("sync", "--once", check=0)
        new_status = next(s for s in ("Maintenance", "Down", "Planned")
                          if s not in (now[key]["status"], future[1][key]["status"]))
        self.ws.run("set", key, "status=" + new_status, check=0)
        carrier = self.ws.json_lines("query", "Carrier", "--json")[0]
        self.ws.run("set", carrier["key"], "note=checked by NOC", check=0)
        for _ in range(2):
            sim.post("/_sim/epoch")
            self.ws.run("sync", "--once", check=0)
        shown = self.ws.json_lines("show", key, "--json")[0]
        self.assertFalse(shown["removed"])
        self.assertEqual(shown["status"], new_status)
        self.assertEqual(shown["fields"]["status"], new_status)
        # The rest of the modem follows the source.
        self.assertEqual(shown["raw"]["status"], future[1][key]["status"])
        self.assertEqual(shown["fields"]["operationalState"], future[1][key]["operationalState"])
        shown = self.ws.json_lines("show", carrier["key"], "--definition", "Carrier", "--json")[0]
        self.assertEqual(shown["fields"]["note"], "checked by NOC")
        # A source field cannot be set.
        p = self.ws.run("set", carrier["key"], "name=x")
        self.assertEqual(p.returncode, 1)
        self.assertIn("owned by the source", p.stderr)


if __name__ == "__main__":
    main()
