"""Push from the source's TMF hub (issue 9, point 5): `tmfinv serve` with `hub = true` sources
against the simulator's hub.

A status change reaches the store, and a webhook receiver ([webhook] with events = state), within
2 s of the epoch advance with no poll in between (the schedule is an hour long: the runs list
shows only push runs after the first sync); Create and
Delete are applied; what pushes leave equals what a full scan makes of the same epoch (a full
sync afterwards changes nothing); duplicated events change nothing more; dropped events are
repaired by the next scheduled full reconcile; a push arriving during a sync is applied after
it, not lost; serve unsubscribes on SIGTERM, subscribes again on restart and, after a kill -9,
deletes the subscription it left behind, and subscribes again at the next full reconcile when
the source forgot its subscription; an event without the
callback's secret, or with a wrong one, is refused and changes nothing; hub = true without
[http] public_url fails naming file and line."""

import http.server
import json
import os
import signal
import socket
import sqlite3
import subprocess
import threading
import time
import urllib.error
import urllib.request

from tmfinv_testlib import BIN, Serve, TestCase, main


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def request(method, url, body=None, timeout=10):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            text = r.read()
            return r.status, json.loads(text) if text else None
    except urllib.error.HTTPError as e:
        text = e.read()
        return e.code, json.loads(text) if text else None


class HubPushTest(TestCase):
    def start(self, *sim_args, full_interval=7200, hub=True, public_url=True, webhook=None):
        self.simulator = self.sim(*sim_args, services=150, carriers=80, resources=250)
        self.port = free_port()
        services = {"api": "tmf638", "url": self.simulator.base + "/tmf638/service", "paging": "page",
                    "page_size": "40", "hub": "true" if hub else "false"}
        resources = {"api": "tmf639", "url": self.simulator.base + "/tmf-api/resourceInventoryManagement/v4/resource",
                     "paging": "offset", "page_size": "40", "hub": "true" if hub else "false"}
        extra = "\n[sync]\ninterval = 3600\nfull_interval = %d\n\n[http]\nlisten = 127.0.0.1:%d\n" % (
            full_interval, self.port)
        if public_url:
            extra += "public_url = http://127.0.0.1:%d/\n" % self.port
        if webhook:
            extra += "\n[webhook noc]\nurl = %s\ndefinitions = Resource\nevents = state\n" % webhook
        self.ws.write_config([("services", services), ("resources", resources)], extra=extra)
        return self.serve()

    def serve(self):
        server = Serve(self.ws.config, os.path.join(self.ws.dir, "serve.log"))
        self.addCleanup(lambda: server.proc.poll() is None and server.stop())
        self.wait(lambda: any(r["kind"] == "full" and not r["running"] for r in self.runs()), "the first sync")
        self.wait(lambda: len(self.hub()["subscriptions"]) == 2, "two subscriptions at the simulator")
        return server

    def wait(self, predicate, what, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if predicate():
                return
            time.sleep(0.05)
        self.fail("timed out waiting for " + what)

    def hub(self):
        return self.simulator.get("/_sim/hub")

    def runs(self):
        p = subprocess.run([BIN, "-c", self.ws.config, "runs", "--json"], capture_output=True, text=True)
        return [json.loads(line) for line in p.stdout.splitlines() if line.strip()]

    def row(self, definition, key):
        con = sqlite3.connect("file:%s?mode=ro" % self.ws.db, uri=True)
        try:
            return con.execute("SELECT status, removed, removed_reason FROM instance WHERE definition = ? AND key = ?",
                               (definition, key)).fetchone()
        finally:
            con.close()

    def resources(self):
        return {i["id"]: i for i in self.simulator.collection("/tmf639/resource")}

    def status_change(self, before, after):
        """A resource whose status changed between two non-Deprecated statuses (the simulator
        guarantees one per epoch among the kept resources other than modems; a modem's status
        is the one it was created with, under push as under a scan)."""
        for rid, item in after.items():
            if rid in before and before[rid]["status"] != item["status"] and item["@type"] not in (
                    "Modem", "Card", "BandwidthSegment", "LogicalPort", "Multicast", "Slot", "Port", "Circuit") and \
                    "Deprecated" not in (item["status"], before[rid]["status"]):
                return rid, item["status"]
        self.fail("no status change between two kept statuses in this epoch")

    def settle(self):
        """Waits until the simulator has delivered every event and serve applied them."""
        self.wait(lambda: self.hub()["pending"] == 0, "the simulator's deliveries")
        time.sleep(0.3)

    def full_sync_changes_nothing(self, base):
        last = max(r["id"] for r in self.runs())
        status, _ = request("POST", base + "/api/v1/sync")
        self.assertEqual(status, 202)
        self.wait(lambda: any(r["id"] > last and r["kind"] == "full" and not r["running"] for r in self.runs()),
                  "the full sync asked for")
        run = [r for r in self.runs() if r["id"] > last and r["kind"] == "full"][0]
        for s in run["sources"]:
            self.assertTrue(s["complete"], s)
            self.assertEqual((s["created"], s["updated"], s["removed"]), (0, 0, 0),
                             "a full scan found what the pushes had not applied: %s" % s)

    def test_hub_push__status_change_within_2s_without_poll(self):
        received = []

        class Hook(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                received.append((time.time(), self.rfile.read(int(self.headers["Content-Length"])).decode()))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        hook = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
        threading.Thread(target=hook.serve_forever, daemon=True).start()
        self.addCleanup(hook.server_close)
        self.addCleanup(hook.shutdown)
        server = self.start(webhook="http://127.0.0.1:%d/hooks/tmfinv" % hook.server_port)
        first = max(r["id"] for r in self.runs())
        before = self.resources()
        self.simulator.post("/_sim/epoch")
        advanced = time.time()
        after = self.resources()
        rid, status = self.status_change(before, after)
        self.wait(lambda: self.row("Resource", rid)[0] == status, "the pushed status", timeout=2)
        self.assertLess(time.time() - advanced, 2.0)
        # ... and the webhook receiver has its StateChange event within the same 2 s.
        self.wait(lambda: any('"ResourceStateChangeEvent"' in body and '"%s"' % rid in body for _, body in received),
                  "the webhook's event", timeout=max(0.1, 2.0 - (time.time() - advanced)))
        when = min(at for at, body in received if '"ResourceStateChangeEvent"' in body and '"%s"' % rid in body)
        self.assertLess(when - advanced, 2.0)
        event = json.loads([body for _, body in received if '"%s"' % rid in body][0])
        self.assertEqual(event["eventType"], "ResourceStateChangeEvent")
        self.settle()
        later = [r for r in self.runs() if r["id"] > first]
        self.assertTrue(later, "no push run")
        self.assertEqual({r["kind"] for r in later}, {"push"}, "a sync ran between the advance and the check")
        # Create and Delete: a new resource is there, a removed one is removed with the hub's reason.
        created = [k for k in after if k not in before and after[k]["@type"] not in ("Card", "BandwidthSegment",
                   "LogicalPort", "Multicast", "Slot", "Port", "Circuit") and after[k]["status"] != "Deprecated"]
        gone = [k for k in before if k not in after and before[k]["@type"] not in ("Card", "BandwidthSegment",
                "LogicalPort", "Multicast", "Slot", "Port", "Circuit") and before[k]["status"] != "Deprecated"]
        for k in created:
            self.assertEqual(self.row("Resource", k)[:2], (after[k]["status"], 0), k)
        for k in gone:
            self.assertEqual(self.row("Resource", k)[1:], (1, "deleted at the source (hub event)"), k)
        self.assertTrue(created or gone, "the epoch made neither a new resource nor a removed one")
        # The same rules as a scan: a full sync of the same epoch finds nothing to change.
        self.full_sync_changes_nothing(server.base)
        self.assertEqual(server.stop(), 0)

    def test_hub_push__duplicated_events_change_nothing_more(self):
        server = self.start("--hub-duplicate", "1")
        before = self.resources()
        self.simulator.post("/_sim/epoch")
        after = self.resources()
        rid, status = self.status_change(before, after)
        self.wait(lambda: self.row("Resource", rid)[0] == status, "the pushed status", timeout=5)
        self.settle()
        self.assertGreater(self.hub()["duplicated"], 0)
        con = sqlite3.connect("file:%s?mode=ro" % self.ws.db, uri=True)
        try:
            changes = con.execute("SELECT count(*) FROM history h JOIN instance i ON i.id = h.instance_id"
                                  " WHERE i.key = ? AND h.field = 'status'", (rid,)).fetchone()[0]
        finally:
            con.close()
        self.assertEqual(changes, 1, "the duplicated event recorded the change again")
        pushes = [r for r in self.runs() if r["kind"] == "push"]
        self.assertTrue(any(s["unchanged"] for r in pushes for s in r["sources"]), "no duplicate was seen unchanged")
        self.full_sync_changes_nothing(server.base)
        self.assertEqual(server.stop(), 0)

    def test_hub_push__dropped_events_are_repaired_by_the_next_full_reconcile(self):
        server = self.start("--hub-drop", "1", full_interval=6)
        first_full = max(r["id"] for r in self.runs() if r["kind"] == "full")
        before = self.resources()
        self.simulator.post("/_sim/epoch")
        after = self.resources()
        rid, status = self.status_change(before, after)
        self.settle()
        self.assertGreater(self.hub()["dropped"], 0)
        self.assertEqual(self.hub()["delivered"], 0)
        if any(r["kind"] == "full" and r["id"] > first_full for r in self.runs()):
            self.skipTest("the scheduled reconcile came before the check (a slow machine)")
        self.assertEqual(self.row("Resource", rid)[0], before[rid]["status"], "a dropped event was applied")
        self.wait(lambda: any(r["kind"] == "full" and r["id"] > first_full and not r["running"] for r in self.runs()),
                  "the scheduled full reconcile", timeout=30)
        self.assertEqual(self.row("Resource", rid)[0], status)
        self.assertEqual(server.stop(), 0)

    def test_hub_push__unsubscribe_on_sigterm_subscribe_again_on_restart(self):
        server = self.start()
        ids = {s["id"] for s in self.hub()["subscriptions"]}
        self.assertEqual(server.stop(), 0)
        self.assertEqual(self.hub()["subscriptions"], [], "serve left its subscriptions behind on SIGTERM")
        server = self.serve()
        again = {s["id"] for s in self.hub()["subscriptions"]}
        self.assertEqual(len(again), 2)
        self.assertFalse(ids & again)
        # A kill -9 leaves them; the next start deletes them (state file) and subscribes anew.
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait()
        server.stdout_closed = server.proc.stdout.close()
        server.log.close()
        self.assertEqual({s["id"] for s in self.hub()["subscriptions"]}, again)
        server = self.serve()
        now = {s["id"] for s in self.hub()["subscriptions"]}
        self.assertEqual(len(now), 2, "the subscriptions of the killed serve are still there")
        self.assertFalse(now & again)
        self.assertEqual(server.stop(), 0)

    def test_hub_push__subscribes_again_when_the_source_forgot(self):
        server = self.start(full_interval=4)
        first_full = max(r["id"] for r in self.runs() if r["kind"] == "full")
        for s in self.hub()["subscriptions"]:     # the source forgets (a restart without persistence)
            self.assertEqual(request("DELETE", self.simulator.base + s["path"] + "/" + s["id"])[0], 204)
        self.assertEqual(self.hub()["subscriptions"], [])
        self.wait(lambda: any(r["kind"] == "full" and r["id"] > first_full for r in self.runs()),
                  "the scheduled full reconcile")
        self.wait(lambda: len(self.hub()["subscriptions"]) == 2, "the subscriptions renewed")
        with open(os.path.join(self.ws.dir, "serve.log")) as f:
            self.assertIn("the source had forgotten subscription", f.read())
        # Renewed, the push works again.
        before = self.resources()
        self.simulator.post("/_sim/epoch")
        rid, status = self.status_change(before, self.resources())
        self.wait(lambda: self.row("Resource", rid)[0] == status, "the pushed status", timeout=5)
        self.assertEqual(server.stop(), 0)

    def test_hub_push__a_push_during_a_sync_waits_for_its_end(self):
        server = self.start("--latency-ms", "400")
        last = max(r["id"] for r in self.runs())
        before = self.resources()
        self.assertEqual(request("POST", server.base + "/api/v1/sync")[0], 202)
        self.wait(lambda: any(r["id"] > last and r["running"] for r in self.runs()), "the sync to start")
        self.simulator.post("/_sim/epoch")
        self.assertTrue(any(r["id"] > last and r["running"] for r in self.runs()), "the sync ended before the advance")
        after = self.resources()
        rid, status = self.status_change(before, after)
        self.wait(lambda: self.row("Resource", rid)[0] == status, "the change", timeout=30)
        self.settle()
        self.wait(lambda: any(r["id"] > last and r["kind"] == "push" for r in self.runs()), "the push runs")
        runs = sorted((r for r in self.runs() if r["id"] > last), key=lambda r: r["id"])
        self.assertEqual(runs[0]["kind"], "full")
        pushes = [r for r in runs if r["kind"] == "push"]
        self.assertTrue(pushes, "the events were lost")
        self.assertGreaterEqual(min(p["started"] for p in pushes), runs[0]["ended"],
                                "a push was applied while the sync ran")
        self.full_sync_changes_nothing(server.base)
        self.assertEqual(server.stop(), 0)

    def test_hub_push__forged_events_are_refused(self):
        server = self.start()
        callback = [s["callback"] for s in self.hub()["subscriptions"] if "/resources/" in s["callback"]][0]
        path, secret = callback.split("?secret=")
        rid = sorted(k for k, v in self.resources().items() if v["status"] == "Operational"
                     and v["@type"] == "Antenna")[0]
        item = self.simulator.get("/tmf639/resource/" + rid)
        item["status"] = "Down"
        event = {"eventId": "x", "eventType": "ResourceStateChangeEvent", "event": {"resource": item}}
        self.assertEqual(request("POST", path, event)[0], 401)
        self.assertEqual(request("POST", path + "?secret=" + "0" * 64, event)[0], 403)
        self.assertEqual(request("POST", path + "?secret=" + secret[:-1], event)[0], 403)
        self.assertEqual(request("POST", path.replace("/resources/", "/nosuch/") + "?secret=" + secret, event)[0], 404)
        self.assertEqual(request("POST", callback, {"eventType": "ServiceStateChangeEvent",
                                                    "event": {"service": item}})[0], 400)
        time.sleep(0.5)
        self.assertEqual(self.row("Resource", rid)[0], "Operational", "a forged event was applied")
        self.assertEqual({r["kind"] for r in self.runs()}, {"full"})
        # The same event with the callback's secret is taken (so the refusals above were the secret's).
        self.assertEqual(request("POST", callback, event)[0], 201)
        self.wait(lambda: self.row("Resource", rid)[0] == "Down", "the event sent with the secret", timeout=5)
        with open(os.path.join(self.ws.dir, "serve.log")) as f:
            self.assertNotIn(secret, f.read(), "the callback's secret is in the log")
        self.assertEqual(server.stop(), 0)

    def test_hub_push__hub_needs_public_url(self):
        self.simulator = self.sim()
        self.ws.write_config([("services", {"api": "tmf638", "url": self.simulator.base + "/tmf638/service",
                                            "paging": "page", "hub": "true"})])
        p = self.ws.run("check")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("tmfinv.ini:8: [source services] hub = true needs [http] public_url", p.stderr)
        self.ws.write_config([("services", {"api": "tmf638", "url": self.simulator.base + "/tmf638/service",
                                            "paging": "page", "hub": "maybe"})])
        p = self.ws.run("check")
        self.assertIn("hub = 'maybe': expected true or false", p.stderr)
        for bad in ("http://127.0.0.1:1/x?secret=1", "ftp://127.0.0.1/", "http://user:s3cr3tpw@127.0.0.1/", "127.0.0.1"):
            self.ws.write_config([("services", {"api": "tmf638", "url": self.simulator.base + "/tmf638/service",
                                                "paging": "page", "hub": "true"})],
                                 extra="\n[http]\npublic_url = %s\n" % bad)
            p = self.ws.run("check")
            self.assertNotEqual(p.returncode, 0, bad)
            if "@" in bad:
                self.assertIn("[http] public_url: no user or password", p.stderr)
                self.assertNotIn("s3cr3tpw", p.stderr)
            else:
                self.assertIn("[http] public_url = '%s'" % bad, p.stderr)
        self.ws.write_config([("services", {"api": "tmf638", "url": self.simulator.base + "/tmf638/service",
                                            "paging": "page", "hub": "true"})],
                             extra="\n[http]\npublic_url = https://tmfinv.example/prefix/\n")
        self.ws.run("check", check=0)


if __name__ == "__main__":
    main()
