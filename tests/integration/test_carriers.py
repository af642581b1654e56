"""Issue 8, point 4: carriers in full. A small source of the test's own (PagedSource) serves
services and carriers; the test checks that a carrier has its service specification, every
characteristic (name, value as sent, valueType as sent or absent) and the typed ones, and that
supportingService follows the Operational status of the referenced service across syncs
(dropped and recorded in the history with the run, back again), whatever the page order, and
that an unchanged resync writes nothing. One run against the simulator checks that its carriers
reference real CFS services. Fails against the baseline tmfinv (no characteristic type, no
service specification on Carrier, references copied as sent)."""

import csv
import io
import json
import sqlite3

from tmfinv_testlib import PagedSource, TestCase, main


def service(n, status, **extra):
    item = {"id": "svc-%d" % n, "@type": "Service", "externalId": "CFS-%d" % n, "category": "CFS",
            "name": "service %d" % n, "status": status}
    item.update(extra)
    return item


CHARS = [
    {"name": "elementType", "value": "Carrier", "valueType": "string"},
    {"name": "uplinkFrequency", "value": 14018.5, "valueType": "number"},
    {"name": "downlinkFrequency", "value": "11718.5"},  # a number sent as text, no valueType
    {"name": "occupiedBandwidth", "value": 36, "valueType": "number"},
    {"name": "band", "value": "Ku", "valueType": "string"},
    {"name": "polarisation", "value": "V", "valueType": "string"},
    {"name": "shape", "value": {"rollOff": 0.2, "pilots": True}, "valueType": "object"},
    {"name": "redundant", "value": False, "valueType": "boolean", "id": "c-9", "@type": "Characteristic"},
]


def carrier(n, refs):
    return {"id": "car-%d" % n, "@type": "element", "externalId": "CAR-%d" % n, "name": "carrier %d" % n,
            "status": "Operational",
            "serviceSpecification": {"id": "ssp-carrier-05", "name": "DVB-S2X Broadcast Carrier", "version": "1.4"},
            "serviceCharacteristic": CHARS,
            "supportingService": [{"id": r, "@referredType": "Service"} for r in refs]}


class CarrierTest(TestCase):
    def setUp(self):
        super().setUp()
        self.src = PagedSource(page_size=2)
        self.ws.write_config([("services", {"api": "tmf638", "url": self.src.stub.base + "/tmf638/service",
                                            "paging": "page", "page_size": "2", "profile": "ses",
                                            "max_remove_fraction": "1"})])

    def tearDown(self):
        self.src.stop()
        super().tearDown()

    def sync(self):
        self.ws.run("sync", "--once", check=0)
        con = sqlite3.connect(self.ws.db)
        try:
            return con.execute("SELECT max(id) FROM run").fetchone()[0]
        finally:
            con.close()

    def show(self, key):
        return json.loads(self.ws.run("show", key, "--json", check=0).stdout)

    def history(self, key):
        return [json.loads(line) for line in self.ws.run("history", key, "--json", check=0).stdout.splitlines()
                if line.strip()]

    def writes(self, run):
        con = sqlite3.connect(self.ws.db)
        try:
            return con.execute("SELECT sum(writes) FROM run_source WHERE run_id = ?", (run,)).fetchone()[0]
        finally:
            con.close()

    def test_carrier_in_full(self):
        # The carrier comes FIRST in page order: its services are not stored yet when it is written.
        self.src.services = [carrier(1, ["svc-10", "svc-11", "svc-12", "CFS-13"]),
                             service(10, "Operational"), service(11, "Degraded"),
                             service(13, "Operational")]  # svc-12 does not exist; CFS-13 by key
        run1 = self.sync()
        c = self.show("CAR-1")
        f = c["fields"]
        self.assertEqual(f["serviceSpecification"], "DVB-S2X Broadcast Carrier")
        self.assertEqual(f["serviceSpecificationId"], "ssp-carrier-05")
        # Every characteristic, value as sent (number, text, object, boolean), valueType as sent
        # or absent, other members left to the raw item.
        expected = [{k: v for k, v in ch.items() if k in ("name", "value", "valueType")} for ch in CHARS]
        self.assertEqual(f["serviceCharacteristic"], expected)
        self.assertNotIn("valueType", f["serviceCharacteristic"][2])
        self.assertEqual(f["uplinkFrequency"], 14018.5)
        self.assertEqual(f["downlinkFrequency"], 11718.5)
        self.assertEqual(f["occupiedBandwidth"], 36)
        self.assertEqual(f["band"], "Ku")
        # Only the Operational services (Degraded ones are stored removed in ses), by TMF id or key.
        self.assertEqual(f["supportingService"], ["svc-10", "CFS-13"])
        # The raw item keeps every reference as sent.
        self.assertEqual([s["id"] for s in c["raw"]["supportingService"]], ["svc-10", "svc-11", "svc-12", "CFS-13"])

        # Readable in show, name=value in CSV, as a filter.
        text = self.ws.run("show", "CAR-1", check=0).stdout
        self.assertIn("uplinkFrequency = 14018.5 (number)", text)
        self.assertIn("downlinkFrequency = 11718.5\n", text)
        self.assertIn('shape = {"rollOff":0.2,"pilots":true} (object)', text)
        rows = list(csv.DictReader(io.StringIO(self.ws.run("query", "Carrier", "--csv", check=0).stdout)))
        self.assertEqual(rows[0]["serviceCharacteristic"].split(";")[:2], ["elementType=Carrier",
                                                                          "uplinkFrequency=14018.5"])
        self.assertEqual(self.ws.count("Carrier", "serviceCharacteristic=band=Ku"), 1)
        self.assertEqual(self.ws.count("Carrier", "serviceCharacteristic=band=Ka"), 0)
        self.assertEqual(self.ws.count("Carrier", "serviceCharacteristic=occupiedBandwidth=36"), 1)

        # An unchanged resync writes nothing.
        run2 = self.sync()
        self.assertEqual(self.writes(run2), 0)
        self.assertEqual(self.show("CAR-1")["modified"], c["modified"])

        # svc-10 leaves Operational: the carrier drops it, the history says so with the run.
        self.src.services[1] = service(10, "Down")
        run3 = self.sync()
        c3 = self.show("CAR-1")
        self.assertEqual(c3["fields"]["supportingService"], ["CFS-13"])
        h = [e for e in self.history("CAR-1") if e["field"] == "supportingService"]
        self.assertEqual(h[-1]["run"], run3)
        self.assertEqual(h[-1]["before"], ["svc-10", "CFS-13"])
        self.assertEqual(h[-1]["after"], ["CFS-13"])
        self.assertGreater(c3["modified"], c["modified"])

        # svc-11 becomes Operational, svc-10 comes back: both return.
        self.src.services[1] = service(10, "Operational")
        self.src.services[2] = service(11, "Operational")
        run4 = self.sync()
        self.assertEqual(self.show("CAR-1")["fields"]["supportingService"], ["svc-10", "svc-11", "CFS-13"])
        h = [e for e in self.history("CAR-1") if e["field"] == "supportingService"]
        self.assertEqual((h[-1]["run"], h[-1]["after"]), (run4, ["svc-10", "svc-11", "CFS-13"]))

        # A service no longer served is removed by the sweep: the carrier drops it too.
        del self.src.services[3]
        run5 = self.sync()
        self.assertEqual(self.show("CAR-1")["fields"]["supportingService"], ["svc-10", "svc-11"])
        self.assertEqual([e for e in self.history("CAR-1") if e["field"] == "supportingService"][-1]["run"], run5)

        # And nothing more when nothing changes; the TMF id of a service is what the carrier names.
        run6 = self.sync()
        self.assertEqual(self.writes(run6), 0)

    def test_service_supporting_service_and_bad_characteristics(self):
        self.src.services = [service(1, "Operational", supportingService=[{"id": "svc-2"}]),
                             service(2, "Operational"),
                             service(3, "Operational", serviceCharacteristic=[{"name": "CIR", "value": 10000},
                                                                              "not an object"]),
                             service(4, "Operational", serviceCharacteristic=[{"value": 1}])]
        self.sync()
        self.assertEqual(self.show("CFS-1")["fields"]["supportingService"], ["svc-2"])
        rejected = {r["key"]: r for r in self.ws.json_lines("rejected", "--json")}
        self.assertIn("serviceCharacteristic[1]", rejected["CFS-3"]["reason"])
        self.assertIn("serviceCharacteristic[0] has no name", rejected["CFS-4"]["reason"])


class SimulatorCarrierTest(TestCase):
    def test_simulator_carriers_reference_real_services(self):
        sim = self.sim(services=200, carriers=100, resources=50)
        self.ws.write_config([("services", {"api": "tmf638", "url": sim.base + "/tmf638/service",
                                            "paging": "page", "page_size": "40"})])
        self.ws.run("sync", "--once", check=0)
        items = sim.collection("/tmf638/service")
        status = {i["id"]: i.get("status") for i in items if i.get("@type") == "Service"}
        con = sqlite3.connect(self.ws.db)
        try:
            active = {r[0] for r in con.execute("SELECT json_extract(raw, '$.id') FROM instance"
                                                " WHERE definition = 'Service' AND removed = 0")}
            rows = con.execute("SELECT key, fields, raw FROM instance WHERE definition = 'Carrier'"
                               " AND removed = 0").fetchall()
        finally:
            con.close()
        self.assertTrue(rows)
        nonempty = 0
        for key, fields, raw in rows:
            refs = [s["id"] for s in json.loads(raw)["supportingService"]]
            self.assertTrue(all(r in status for r in refs), "%s references services the simulator does not serve"
                            % key)
            kept = json.loads(fields)["supportingService"]
            self.assertEqual(kept, [r for r in refs if r in active])
            self.assertTrue(all(status[r] == "Operational" for r in kept))
            nonempty += bool(kept)
            f = json.loads(fields)
            self.assertIn("serviceSpecification", f)
            self.assertIn("band", f)
            self.assertTrue(any(ch["name"] == "occupiedBandwidth" for ch in f["serviceCharacteristic"]))
        self.assertGreater(nonempty, len(rows) // 2)


if __name__ == "__main__":
    main()
