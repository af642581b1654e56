"""Unknown values never freeze data (issue 8, point 2).

A StubServer of the test's own plays a SES gateway (page dialect) serving TMF638 carriers
and services and TMF639 resources with statuses the shipped `ses` profile does not declare
(`In Service`, `Retired`, `Suspended`). Such a status is stored as sent; the definition's
`unknown_status` rule decides whether the item is kept (Carrier, Resource: keep; Service:
drop, as only Operational is kept); the value is reported once per run as `unknown_value`,
naming definition, field and value, however many items carry it. Only an item that cannot
be stored at all is rejected; then the instance's last stored version is marked stale (show,
/api/v1, summary) until a good version is stored again, also in a store made by the previous
schema version."""

import json
import os
import sqlite3
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tmfinv_testlib import Serve, PagedSource, TestCase, main  # noqa: E402

PAGE = 50


def carrier(key, status, **extra):
    item = {"id": "car-" + key, "@type": "element", "externalId": key, "name": "carrier " + key, "status": status}
    item.update(extra)
    return item


def service(key, status, **extra):
    item = {"id": "svc-" + key, "@type": "Service", "externalId": key, "name": "service " + key, "status": status}
    item.update(extra)
    return item


def resource(rid, type_, status):
    return {"id": rid, "@type": type_, "name": "resource " + rid, "status": status}


class UnknownValuesTest(TestCase):
    def setUp(self):
        super().setUp()
        self.src = PagedSource(PAGE)

    def tearDown(self):
        self.src.stop()
        super().tearDown()

    def configure(self, extra=""):
        keys = {"paging": "page", "page_size": str(PAGE), "retries": "0", "profile": "ses"}
        self.ws.write_config([("services", dict(keys, api="tmf638", url=self.src.stub.base + "/tmf638/service")),
                              ("resources", dict(keys, api="tmf639", url=self.src.stub.base + "/tmf639/resource"))],
                             extra=extra)

    def sync(self):
        p = self.ws.run("sync", "--once")
        for marker in ("Sanitizer", "runtime error:", "Assertion"):
            self.assertNotIn(marker, p.stderr)
        self.assertEqual(p.returncode, 0, "stdout: %s\nstderr: %s" % (p.stdout, p.stderr))
        return self.ws.json_lines("runs", "--json")[0], p.stderr

    def show(self, key, definition):
        return self.ws.json_lines("show", key, "--definition", definition, "--json")[0]

    def reports(self, kind):
        return self.ws.json_lines("rejected", "--kind", kind, "--json")

    def test_unknown_values__stored_as_sent_kept_by_rule_reported_once(self):
        self.src.services = [
            carrier("CAR-1", "In Service"),
            carrier("CAR-2", "In Service"),
            carrier("CAR-3", "In Service"),
            carrier("CAR-4", "Operational"),
            service("CFS-1", "Operational"),
            service("CFS-2", "Suspended"),
        ]
        self.src.resources = [resource("r-1", "Antenna", "Retired"), resource("r-2", "Antenna", "Operational")]
        self.configure()
        run, log = self.sync()
        self.assertTrue(run["complete"], run)
        # Nothing rejected: an unknown status is no reason to refuse an item.
        self.assertEqual(self.reports("rejected"), [])
        self.assertEqual(sum(s["rejected"] for s in run["sources"]), 0, run)
        # Carriers: kept (unknown_status keep), the status stored as sent.
        self.assertEqual(self.ws.count("Carrier"), 4)
        shown = self.show("CAR-2", "Carrier")
        self.assertFalse(shown["removed"], shown)
        self.assertEqual(shown["status"], "In Service")
        self.assertEqual(shown["fields"]["status"], "In Service")
        # Services: not kept (unknown_status drop), stored removed with its data.
        shown = self.show("CFS-2", "Service")
        self.assertTrue(shown["removed"], shown)
        self.assertEqual(shown["status"], "Suspended")
        self.assertEqual(shown["removedReason"], "status 'Suspended' is not kept")
        self.assertEqual(shown["fields"]["name"], "service CFS-2")
        self.assertEqual(self.ws.count("Service"), 1)
        services = next(s for s in run["sources"] if s["name"] == "services")
        self.assertEqual(services["dropped"], 1, services)
        # Resources: kept.
        shown = self.show("r-1", "Resource")
        self.assertFalse(shown["removed"], shown)
        self.assertEqual(shown["fields"]["status"], "Retired")
        # Reported once per distinct value: three carriers carry In Service, one report.
        unknown = self.reports("unknown_value")
        got = sorted((r["definition"], r["field"], r["source"]) for r in unknown)
        self.assertEqual(got, [("Carrier", "status", "services"), ("Resource", "status", "resources"),
                               ("Service", "status", "services")], unknown)
        by_def = {r["definition"]: r for r in unknown}
        self.assertIn("'In Service'", by_def["Carrier"]["reason"])
        self.assertIn("kept", by_def["Carrier"]["reason"])
        self.assertIn("'Suspended'", by_def["Service"]["reason"])
        self.assertIn("not kept", by_def["Service"]["reason"])
        self.assertIn("'Retired'", by_def["Resource"]["reason"])
        self.assertEqual(self.ws.json_lines("rejected", "--kind", "all", "--json"), unknown)
        # A warning in the log, once per value per run.
        self.assertEqual(log.count("'In Service'"), 1, log)
        # The next run reports it again (in its log), still one report row per value.
        run, log = self.sync()
        self.assertEqual(log.count("'In Service'"), 1, log)
        self.assertEqual(len(self.reports("unknown_value")), 3)
        # The carrier leaves the unknown status for a known one: updated as any change.
        self.src.services[0] = carrier("CAR-1", "Deprecated")
        self.sync()
        self.assertTrue(self.show("CAR-1", "Carrier")["removed"])
        # The API lists the kind too.
        self.configure(extra="\n[http]\nlisten = 127.0.0.1:0\n\n[sync]\ninterval = 3600\n")
        server = Serve(self.ws.config)
        try:
            with urllib.request.urlopen(server.base + "/api/v1/rejected?kind=unknown_value", timeout=60) as r:
                body = json.loads(r.read())
            with urllib.request.urlopen(server.base + "/api/v1/definitions/Service", timeout=60) as r:
                self.assertEqual(json.loads(r.read())["unknownStatus"], "drop")
        finally:
            self.assertEqual(server.stop(), 0)
        self.assertEqual(sorted(i["definition"] for i in body["items"]), ["Carrier", "Resource", "Service"], body)

    def summary_stale(self, definition):
        return sum(g["stale"] for g in self.ws.json_lines("summary", "--json") if g["definition"] == definition)

    def test_unknown_values__unstorable_item_marks_the_last_version_stale(self):
        good = carrier("CAR-9", "Operational", description="first")
        self.src.services = [good, carrier("CAR-8", "Operational")]
        self.configure()
        self.sync()
        shown = self.show("CAR-9", "Carrier")
        self.assertFalse(shown["stale"], shown)
        self.assertNotIn("staleReason", shown)
        self.assertEqual(self.summary_stale("Carrier"), 0)
        # The store as the previous schema version left it (no stale column): migrated on open.
        # What later migrations added is undone too, or replaying them would fail (schema 7's
        # history columns and indexes, schema 8's ref_pending).
        con = sqlite3.connect(self.ws.db)
        try:
            con.execute("ALTER TABLE instance DROP COLUMN stale")
            for sql in ("ALTER TABLE history DROP COLUMN actor", "ALTER TABLE history DROP COLUMN earlier_purged",
                        "DROP INDEX history_by_field", "DROP INDEX history_by_time", "DROP INDEX instance_removed_since",
                        "CREATE INDEX history_by_instance ON history (instance_id, id)",
                        "DROP TABLE IF EXISTS ref_pending"):
                con.execute(sql)
            con.execute("PRAGMA user_version = 5")
            con.commit()
        finally:
            con.close()
        # The source's next version of CAR-9 cannot be stored: a name that is an object.
        self.src.services[0] = carrier("CAR-9", "Degraded", name={"text": "not a string"})
        run, _ = self.sync()
        self.assertEqual(sum(s["rejected"] for s in run["sources"]), 1, run)
        rejected = self.reports("rejected")
        self.assertEqual([(r["key"], r["field"]) for r in rejected], [("CAR-9", "name")], rejected)
        shown = self.show("CAR-9", "Carrier")
        self.assertTrue(shown["stale"], shown)
        self.assertIn("rejected", shown["staleReason"])
        self.assertIn("name", shown["staleReason"])
        self.assertEqual(shown["status"], "Operational")  # the last version stored, not presented as new
        self.assertFalse(self.show("CAR-8", "Carrier")["stale"])
        text = self.ws.run("show", "CAR-9", "--definition", "Carrier", check=0).stdout
        self.assertIn("STALE", text)
        self.assertEqual(self.summary_stale("Carrier"), 1)
        self.assertIn("STALE", self.ws.run("summary", check=0).stdout.splitlines()[0])
        history = self.ws.json_lines("history", "CAR-9", "--definition", "Carrier", "--json")
        self.assertIn("@stale", [h["field"] for h in history])
        # The same rejected item again: still stale, nothing more written.
        self.sync()
        self.assertTrue(self.show("CAR-9", "Carrier")["stale"])
        # /api/v1 says so in the instance representation.
        self.configure(extra="\n[http]\nlisten = 127.0.0.1:0\n\n[sync]\ninterval = 3600\n")
        server = Serve(self.ws.config)
        try:
            uuid = shown["id"]
            with urllib.request.urlopen(server.base + "/api/v1/instances/" + uuid, timeout=60) as r:
                body = json.loads(r.read())
            with urllib.request.urlopen(server.base + "/api/v1/definitions/Carrier/instances?limit=10",
                                        timeout=60) as r:
                listed = json.loads(r.read())
        finally:
            self.assertEqual(server.stop(), 0)
        self.assertTrue(body["stale"], body)
        self.assertIn("rejected", body["staleReason"])
        self.assertEqual({i["key"]: i["stale"] for i in listed["items"]}, {"CAR-8": False, "CAR-9": True})
        # The very version it was stored from comes back: a good version again, no longer stale.
        self.configure()
        self.src.services[0] = good
        self.sync()
        shown = self.show("CAR-9", "Carrier")
        self.assertFalse(shown["stale"], shown)
        self.assertNotIn("staleReason", shown)
        self.assertEqual(self.summary_stale("Carrier"), 0)
        history = self.ws.json_lines("history", "CAR-9", "--definition", "Carrier", "--json")
        self.assertEqual([(h["before"], h["after"]) for h in history if h["field"] == "@stale"],
                         [(False, True), (True, False)], history)


if __name__ == "__main__":
    main()
