"""The simulator's TMF hub (issue 9, point 5): subscriptions on the TMF and SES paths of both
collections (201, 204, 404, 405, 400, the collections' auth), the events of an epoch advance equal
to the differences of the two epochs computed here from what the simulator serves (types, order,
bodies), the query filter, --hub-drop and --hub-duplicate (seeded: the same deliveries on two
runs), and that a slow subscriber never slows serving nor a stop."""

import http.server
import json
import os
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

from tmfinv_testlib import SIM, Sim, TestCase, main

HUBS = {"/tmf-api/serviceInventory/v4/hub": "service", "/tmf-api/resourceInventoryManagement/v4/hub": "resource",
        "/tmf638/hub": "service", "/tmf639/hub": "resource"}


class Receiver:
    """An HTTP server recording the JSON bodies POSTed to it, in arrival order."""

    def __init__(self, delay=0.0):
        self.events = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if delay:
                    time.sleep(delay)
                receiver.events.append((self.path, json.loads(body)))
                self.send_response(201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def call(base, method, path, body=None, headers=None):
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            text = r.read()
            return r.status, json.loads(text) if text else None
    except urllib.error.HTTPError as e:
        text = e.read()
        return e.code, json.loads(text) if text else None


def expected_events(before, after, entity):
    """The events of one step, computed from the two snapshots as served: walking the previous
    collection, Delete for an item gone, StateChange for a status change, AttributeValueChange
    for another change; then Create for each new item, in collection order."""
    now = {i["id"]: i for i in after}
    was = {i["id"] for i in before}
    events = []
    for item in before:
        if item["id"] not in now:
            events.append((entity + "DeleteEvent", item))
        elif now[item["id"]]["status"] != item["status"]:
            events.append((entity + "StateChangeEvent", now[item["id"]]))
        elif now[item["id"]] != item:
            events.append((entity + "AttributeValueChangeEvent", now[item["id"]]))
    events.extend((entity + "CreateEvent", i) for i in after if i["id"] not in was)
    return events


class SimHubTest(TestCase):
    def receiver(self, delay=0.0):
        r = Receiver(delay)
        self.addCleanup(r.stop)
        return r

    def wait_delivered(self, sim):
        deadline = time.time() + 30
        while time.time() < deadline:
            if sim.get("/_sim/hub")["pending"] == 0:
                return sim.get("/_sim/hub")
            time.sleep(0.05)
        self.fail("the hub did not deliver in time")

    def test_sim_hub__subscriptions_on_every_path(self):
        sim = self.sim()
        r = self.receiver()
        ids = []
        for path in HUBS:
            status, body = call(sim.base, "POST", path, {"callback": r.url + "/cb", "query": "eventType=X"})
            self.assertEqual(status, 201, path)
            self.assertEqual((body["callback"], body["query"]), (r.url + "/cb", "eventType=X"))
            ids.append(body["id"])
        self.assertEqual(len(set(ids)), 4)
        self.assertEqual([s["path"] for s in sim.get("/_sim/hub")["subscriptions"]], list(HUBS))
        # A subscription belongs to its collection's hub.
        self.assertEqual(call(sim.base, "DELETE", "/tmf639/hub/" + ids[0])[0], 404)
        self.assertEqual(call(sim.base, "DELETE", "/tmf638/hub/" + ids[0])[0], 204)
        self.assertEqual(call(sim.base, "DELETE", "/tmf638/hub/" + ids[0])[0], 404)
        self.assertEqual(len(sim.get("/_sim/hub")["subscriptions"]), 3)
        self.assertEqual(call(sim.base, "GET", "/tmf638/hub")[0], 405)
        self.assertEqual(call(sim.base, "POST", "/tmf638/hub/" + ids[1])[0], 405)
        for bad in ({}, {"callback": 3}, {"callback": "ftp://x/"}, {"callback": "http://x/" + "a" * 3000},
                    {"callback": "http://x/", "query": 1}):
            status, body = call(sim.base, "POST", "/tmf638/hub", bad)
            self.assertEqual((status, body["code"]), (400, "28"), bad)
        self.assertEqual(call(sim.base, "POST", "/tmf638/hub", b"{not json")[0], 400)

    def test_sim_hub__same_auth_as_the_collections(self):
        with tempfile.NamedTemporaryFile("w", suffix=".auth", delete=False) as f:
            f.write("s3cret-token\n")
        self.addCleanup(os.unlink, f.name)
        sim = self.sim("--require-auth", "bearer", "--auth-file", f.name)
        r = self.receiver()
        self.assertEqual(call(sim.base, "POST", "/tmf638/hub", {"callback": r.url})[0], 401)
        self.assertEqual(call(sim.base, "DELETE", "/tmf638/hub/1")[0], 401)
        ok = {"Authorization": "Bearer s3cret-token"}
        status, body = call(sim.base, "POST", "/tmf638/hub", {"callback": r.url}, ok)
        self.assertEqual(status, 201)
        self.assertEqual(call(sim.base, "DELETE", "/tmf638/hub/" + body["id"], None, ok)[0], 204)

    def test_sim_hub__events_are_the_differences_of_the_epochs(self):
        sim = self.sim(services=300, carriers=150, resources=400)
        services, resources = self.receiver(), self.receiver()
        call(sim.base, "POST", "/tmf-api/serviceInventory/v4/hub", {"callback": services.url + "/svc"})
        call(sim.base, "POST", "/tmf639/hub", {"callback": resources.url + "/res"})
        for _ in range(2):
            before = (sim.collection("/tmf638/service"), sim.collection("/tmf639/resource"))
            services.events.clear()
            resources.events.clear()
            epoch = sim.post("/_sim/epoch")["epoch"]
            after = (sim.collection("/tmf638/service"), sim.collection("/tmf639/resource"))
            self.wait_delivered(sim)
            for got, entity, key, old, new in ((services, "Service", "service", before[0], after[0]),
                                               (resources, "Resource", "resource", before[1], after[1])):
                want = expected_events(old, new, entity)
                self.assertGreater(len(want), 3)
                self.assertEqual([(e["eventType"], e["event"][key]["id"]) for _, e in got.events],
                                 [(t, i["id"]) for t, i in want])
                for (_, e), (_, item) in zip(got.events, want):
                    self.assertEqual(e["event"][key], item, "the event's entity is not the item as served")
                    self.assertEqual(e["eventTime"][:10], "2026-01-%02d" % (1 + epoch))
                self.assertEqual(len({e["eventId"] for _, e in got.events}), len(got.events))
                self.assertEqual({p for p, _ in got.events}, {"/svc" if key == "service" else "/res"})
            types = {e["eventType"] for _, e in services.events + resources.events}
            self.assertTrue({"ServiceCreateEvent", "ServiceDeleteEvent", "ServiceStateChangeEvent",
                             "ResourceCreateEvent", "ResourceDeleteEvent", "ResourceStateChangeEvent"} <= types, types)

    def test_sim_hub__query_filters_event_types(self):
        sim = self.sim()
        r = self.receiver()
        call(sim.base, "POST", "/tmf638/hub", {"callback": r.url, "query": "eventType=ServiceCreateEvent,"
                                                                          "ServiceDeleteEvent"})
        sim.post("/_sim/epoch")
        self.wait_delivered(sim)
        self.assertTrue(r.events)
        self.assertEqual({e["eventType"] for _, e in r.events}, {"ServiceCreateEvent", "ServiceDeleteEvent"})

    def deliveries(self, *args):
        sim = Sim(*args)
        self.sims.append(sim)
        r = self.receiver()
        call(sim.base, "POST", "/tmf638/hub", {"callback": r.url})
        sim.post("/_sim/epoch")
        return sim, r, self.wait_delivered(sim)

    def test_sim_hub__drop_and_duplicate_faults(self):
        sim, r, stats = self.deliveries("--hub-drop", "1")
        self.assertEqual((r.events, stats["delivered"]), ([], 0))
        self.assertEqual(stats["dropped"], stats["events"])
        self.assertGreater(stats["events"], 0)
        sim, r, stats = self.deliveries("--hub-duplicate", "1")
        ids = [e["eventId"] for _, e in r.events]
        self.assertEqual(len(ids), 2 * stats["events"])
        self.assertEqual(ids[0::2], ids[1::2], "a duplicate does not follow its event")
        self.assertEqual(stats["duplicated"], stats["events"])
        # Seeded: two simulators with the same seed drop and duplicate the same deliveries.
        runs = []
        for _ in range(2):
            sim, r, stats = self.deliveries("--hub-drop", "0.3", "--hub-duplicate", "0.3")
            runs.append([e["eventId"] for _, e in r.events])
        self.assertEqual(runs[0], runs[1])
        self.assertLess(len(set(runs[0])), stats["events"])
        self.assertGreater(len(runs[0]), len(set(runs[0])))

    def test_sim_hub__a_slow_subscriber_never_slows_serving(self):
        sim = self.sim()
        r = self.receiver(delay=1.0)
        call(sim.base, "POST", "/tmf638/hub", {"callback": r.url})
        started = time.time()
        sim.post("/_sim/epoch")
        sim.get("/tmf638/service?page=1&recordsPerPage=40")
        sim.post("/_sim/epoch")
        self.assertLess(time.time() - started, 1.0, "serving waited for the subscriber")
        self.assertGreater(sim.get("/_sim/hub")["pending"], 0)
        # A stop does not wait for the queue either.
        started = time.time()
        sim.proc.terminate()
        self.assertEqual(sim.proc.wait(10), 0)
        self.assertLess(time.time() - started, 5.0)

    def test_sim_hub__options(self):
        for args in (["--hub-drop", "2"], ["--hub-duplicate", "-1"], ["--hub-drop"]):
            p = subprocess.run([SIM, "--listen", "127.0.0.1:0", "--seed", "1", "--services", "1", "--carriers", "1",
                                "--resources", "1"] + args, capture_output=True, text=True, timeout=10)
            self.assertEqual(p.returncode, 2, args)
            self.assertIn(args[0], p.stderr)
        p = subprocess.run([SIM, "--help"], capture_output=True, text=True)
        self.assertIn("--hub-drop P", p.stdout)


if __name__ == "__main__":
    main()
