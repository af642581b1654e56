"""Real sources are not the simulator (issue 8, points 1 and 3): status, type and
classification values compare with case and surrounding white space ignored (a profile's
"match": "exact" opts out), profiles give synonyms, and keys are trimmed.

A StubServer of the test's own plays a SES gateway (page dialect) serving TMF638 services
and carriers and TMF639 resources written as real sources write them: `deprecated` in lower
case, `OPERATIONAL`, `@type: "Element"`, `@type: "card"`, ServiceNow class names such as
`cmdb_ci_interface_card` and `cmdb_ci_modem`, keys of only spaces and keys padded with
spaces. Each test checks what is stored (the source's spelling kept), what is excluded or
not kept, and what is reported."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tmfinv_testlib import TOP, PagedSource, TestCase, main  # noqa: E402

PAGE = 50


def carrier(key, status, type_="element", **extra):
    item = {"id": "car-" + key.strip().replace(" ", "_"), "@type": type_, "externalId": key, "name": "carrier " + key,
            "status": status}
    item.update(extra)
    return item


def service(key, status, item_id=None):
    return {"id": item_id or "svc-" + (key.strip().replace(" ", "_") or "blank"), "@type": "Service",
            "externalId": key, "name": "service " + key, "status": status}


def resource(rid, type_, status):
    return {"id": rid, "@type": type_, "name": "resource " + rid, "status": status}


class MatchingTest(TestCase):
    def setUp(self):
        super().setUp()
        self.src = PagedSource(PAGE)

    def tearDown(self):
        self.src.stop()
        super().tearDown()

    def configure(self, profile="ses"):
        keys = {"paging": "page", "page_size": str(PAGE), "retries": "0", "profile": profile}
        self.ws.write_config([("services", dict(keys, api="tmf638", url=self.src.stub.base + "/tmf638/service")),
                              ("resources", dict(keys, api="tmf639", url=self.src.stub.base + "/tmf639/resource"))])

    def profile(self, name, change):
        """A copy of the shipped SES profile, changed by `change(profile)`, as a file."""
        with open(os.path.join(TOP, "data", "profiles", "ses.json")) as f:
            prof = json.load(f)
        change(prof)
        path = os.path.join(self.ws.dir, name + ".json")
        with open(path, "w") as f:
            json.dump(prof, f, indent=2)
        return path

    def sync(self):
        p = self.ws.run("sync", "--once")
        for marker in ("Sanitizer", "runtime error:", "Assertion"):
            self.assertNotIn(marker, p.stderr)
        self.assertEqual(p.returncode, 0, "stdout: %s\nstderr: %s" % (p.stdout, p.stderr))
        return self.ws.json_lines("runs", "--json")[0]

    def show(self, key, definition):
        return self.ws.json_lines("show", key, "--definition", definition, "--json")[0]

    def reports(self, kind):
        return self.ws.json_lines("rejected", "--kind", kind, "--json")

    # ---- point 1: case and white space, shipped profiles -----------------------------

    def test_matching__case_and_space_are_ignored_and_spelling_kept(self):
        self.src.services = [
            carrier("CAR-1", "Operational", type_="Element"),
            carrier("CAR-2", "Degraded", type_=" ELEMENT "),
            service("CFS-1", "OPERATIONAL"),
            service("CFS-2", " operational "),
            service("CFS-3", "degraded"),
        ]
        self.src.resources = [
            resource("r-card", "card", "Operational"),
            resource("r-sncard", "cmdb_ci_interface_card", "Operational"),
            resource("r-modem", "MODEM", "operational"),
            resource("r-antenna", "Antenna", "Operational"),
        ]
        self.configure()
        run = self.sync()
        self.assertTrue(run["complete"], run)
        # Element in any case is a Carrier, not a Service.
        self.assertEqual(self.ws.count("Carrier"), 2)
        self.assertEqual(self.show("CAR-1", "Carrier")["fields"]["status"], "Operational")
        self.assertEqual(self.show("CAR-2", "Carrier")["raw"]["@type"], " ELEMENT ")
        # OPERATIONAL and " operational " are Operational: kept, the spelling stored as sent.
        self.assertEqual(self.ws.count("Service"), 2)
        shown = self.show("CFS-1", "Service")
        self.assertFalse(shown["removed"])
        self.assertEqual(shown["status"], "OPERATIONAL")
        self.assertEqual(shown["fields"]["status"], "OPERATIONAL")
        self.assertEqual(self.show("CFS-2", "Service")["status"], " operational ")
        # degraded is Degraded: a known status, not kept for a service; stored removed, with its data.
        shown = self.show("CFS-3", "Service")
        self.assertTrue(shown["removed"])
        self.assertEqual(shown["removedReason"], "status 'degraded' is not kept")
        self.assertEqual(shown["fields"]["name"], "service CFS-3")
        self.assertEqual(self.reports("rejected"), [])
        # card and the ServiceNow card class are excluded; nothing of them stored.
        self.assertEqual(self.ws.count("Resource", all=True), 2)
        self.assertEqual(sum(s["excluded"] for s in run["sources"]), 2, run)
        self.assertEqual(sum(s["dropped"] for s in run["sources"]), 1, run)
        # MODEM is a modem: its status is taken at creation and preserved afterwards.
        self.assertEqual(self.show("r-modem", "Resource")["status"], "operational")
        self.ws.run("set", "r-modem", "status=Maintenance", check=0)
        # The carrier goes deprecated (SES's own spelling): no longer active, kept as removed.
        self.src.services[1] = carrier("CAR-2", "deprecated", type_="element")
        self.src.resources[2] = resource("r-modem", "Modem", "Down")
        self.src.resources[3] = resource("r-antenna", "Antenna", "DEPRECATED")
        run = self.sync()
        shown = self.show("CAR-2", "Carrier")
        self.assertTrue(shown["removed"], shown)
        self.assertEqual(shown["status"], "deprecated")
        self.assertEqual(shown["removedReason"], "status 'deprecated' is not kept")
        self.assertEqual(self.ws.count("Carrier"), 1)
        self.assertTrue(self.show("r-antenna", "Resource")["removed"])
        modem = self.show("r-modem", "Resource")
        self.assertEqual(modem["fields"]["status"], "Maintenance")
        self.assertEqual(modem["raw"]["status"], "Down")
        self.assertEqual(self.reports("rejected"), [])

    # ---- point 3: keys -----------------------------------------------------------------

    def test_matching__keys_are_trimmed_and_blank_keys_are_empty(self):
        self.src.services = [
            service("   ", "Operational", item_id="svc-blank"),
            service("\t \r\n", "Operational", item_id="svc-blank2"),
            service("  CFS-10  ", "Operational", item_id="svc-10"),
            service("CFS-10", "Operational", item_id="svc-10b"),
            service("CFS 11", "Operational", item_id="svc-11"),
        ]
        self.configure()
        run = self.sync()
        src = next(s for s in run["sources"] if s["name"] == "services")
        self.assertEqual(src["emptyKeys"], 2, src)
        self.assertEqual(src["duplicates"], 1, src)
        empty = self.reports("empty_key")
        self.assertEqual(sorted(r["itemId"] for r in empty), ["svc-blank", "svc-blank2"])
        dup = self.reports("duplicate")
        self.assertEqual([(r["key"], r["itemId"]) for r in dup], [("CFS-10", "svc-10b")])
        keys = sorted(r["key"] for r in self.ws.json_lines("query", "Service", "--all", "--json"))
        self.assertEqual(keys, ["CFS 11", "CFS-10"])
        shown = self.show("CFS-10", "Service")
        self.assertEqual(shown["raw"]["id"], "svc-10")  # the first occurrence won
        self.assertEqual(shown["fields"]["externalId"], "  CFS-10  ")  # the field keeps the spelling

    # ---- point 1: synonyms -------------------------------------------------------------

    def test_matching__synonyms_count_as_their_canonical_value(self):
        def change(prof):
            for d in prof["definitions"]:
                if d["name"] == "Carrier":
                    d["status_synonyms"] = {"Deprecated": ["deprecated", "retired"], "Operational": ["In Service"]}
                if d["name"] == "Resource":
                    d["type_synonyms"] = {"Modem": ["cmdb_ci_modem"], "Card": ["cmdb_ci_interface_card"]}
        path = self.profile("synonyms", change)
        self.src.services = [carrier("CAR-1", "In Service"), carrier("CAR-2", "Retired")]
        self.src.resources = [resource("r-snmodem", "cmdb_ci_modem", "Degraded"),
                              resource("r-other", "cmdb_ci_ni_site", "Degraded")]
        self.configure(path)
        run = self.sync()
        self.assertEqual(self.reports("rejected"), [])
        shown = self.show("CAR-1", "Carrier")
        self.assertFalse(shown["removed"])
        self.assertEqual(shown["status"], "In Service")
        shown = self.show("CAR-2", "Carrier")
        self.assertTrue(shown["removed"])
        self.assertEqual(shown["status"], "Retired")
        self.assertEqual(shown["removedReason"], "status 'Retired' is not kept")
        # cmdb_ci_modem is a Modem: the status set here survives the source's next one.
        self.ws.run("set", "r-snmodem", "status=Maintenance", check=0)
        p = self.ws.run("set", "r-other", "status=Maintenance")  # not a modem: the source's
        self.assertEqual(p.returncode, 1)
        self.assertIn("owned by the source", p.stderr)
        self.src.resources = [resource("r-snmodem", "cmdb_ci_modem", "Down"),
                              resource("r-other", "cmdb_ci_ni_site", "Down")]
        self.sync()
        modem = self.show("r-snmodem", "Resource")
        self.assertEqual(modem["fields"]["type"], "cmdb_ci_modem")
        self.assertEqual(modem["fields"]["status"], "Maintenance")
        self.assertEqual(modem["raw"]["status"], "Down")
        self.assertEqual(self.show("r-other", "Resource")["fields"]["status"], "Down")

    def test_matching__shipped_profiles_know_the_servicenow_modem(self):
        # The shipped ses and tmf profiles count cmdb_ci_modem as Modem (issue 8).
        for name in ("ses", "tmf"):
            with open(os.path.join(TOP, "data", "profiles", name + ".json")) as f:
                resource_def = [d for d in json.load(f)["definitions"] if d["name"] == "Resource"][0]
            self.assertIn("cmdb_ci_modem", resource_def["type_synonyms"]["Modem"], name)
        self.src.resources = [resource("r-snmodem", "cmdb_ci_modem", "Degraded")]
        self.configure()
        self.sync()
        self.ws.run("set", "r-snmodem", "status=Maintenance", check=0)
        self.src.resources = [resource("r-snmodem", "cmdb_ci_modem", "Down")]
        self.sync()
        self.assertEqual(self.show("r-snmodem", "Resource")["fields"]["status"], "Maintenance")

    # ---- point 1: "match": "exact" -----------------------------------------------------

    def test_matching__exact_profile_compares_exactly(self):
        def change(prof):
            prof["match"] = "exact"
            for d in prof["definitions"]:
                d.pop("status_synonyms", None)
                d.pop("type_synonyms", None)
        path = self.profile("exact", change)
        self.src.services = [carrier("CAR-1", "Operational", type_="Element"), service("CFS-1", "OPERATIONAL"),
                             service("CFS-2", "Operational")]
        self.src.resources = [resource("r-card", "card", "Operational"),
                              resource("r-card2", "Card", "Operational")]
        self.configure(path)
        run = self.sync()
        # Element is not element: a Service. OPERATIONAL is not a declared status.
        self.assertEqual(self.ws.count("Carrier", all=True), 0)
        self.assertEqual(sorted(r["key"] for r in self.ws.json_lines("query", "Service", "--json")),
                         ["CAR-1", "CFS-2"])
        # An unknown status is stored as sent; Service's unknown_status rule does not keep it (point 2).
        cfs1 = self.ws.json_lines("query", "Service", "--all", "--json", "--where", "externalId=CFS-1")
        self.assertEqual([(r["status"], r["removed"]) for r in cfs1], [("OPERATIONAL", True)])
        # card is not Card: stored; Card is excluded.
        self.assertEqual([r["key"] for r in self.ws.json_lines("query", "Resource", "--json")], ["r-card"])
        self.assertEqual(sum(s["excluded"] for s in run["sources"]), 1, run)


if __name__ == "__main__":
    main()
