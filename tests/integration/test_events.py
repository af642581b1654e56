"""Events (issue 9, points 2-4): the outbox, webhooks and tmfinv's own TMF hubs, against real
HTTP receivers started here.

- the events a webhook and two hub subscribers get for an epoch advance equal the differences
  between the store before and after, computed here under the documented rules
  (docs/events.md): a new instance → Create, a removal → Delete, a restoration → Create, the
  status field → StateChange, other fields → one AttributeValueChange listing them; signed
  with HMAC-SHA256; hub events at callback + the spec's listener path, filtered by query;
- a receiver that fails for a while (500, then 503 with Retry-After) gets every event once it
  recovers, in outbox order; one that never recovers ends in the dead letters and --retry
  (and POST /api/v1/events/{id}/retry) delivers them;
- a receiver that hangs slows neither the sync nor another receiver;
- kill -9 of serve before delivery: the event is delivered after the restart;
- `set` and PATCH make events; the bodies are kept for the schema test
  (tests/schema/test_events_schema.mjs) when TMFINV_EVENTS_DUMP names a file."""

import hashlib
import hmac
import json
import os
import signal
import socket
import sqlite3
import sys
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tmfinv_testlib import BIN, Serve, StubServer, TestCase, main  # noqa: E402

SECRET = "webhook-secret-1"
DUMP = os.environ.get("TMFINV_EVENTS_DUMP")


class Receiver:
    """A webhook or hub subscriber: records every POST it accepts; `fail` decides the answer."""

    def __init__(self):
        self.accepted = []      # (path, headers, body bytes, json)
        self.tries = []         # (monotonic time, path, status)
        self.lock = threading.Lock()
        self.fail = None        # None: 200; else a function(n) -> (status, headers) or None
        self.hang = 0           # seconds to hold each request before answering
        self.stub = StubServer(self.handle)
        self.base = self.stub.base

    def handle(self, method, path, headers, body):
        if self.hang:
            time.sleep(self.hang)
        with self.lock:
            n = len(self.tries)
            answer = self.fail(n) if self.fail else None
            status = answer[0] if answer else 200
            self.tries.append((time.monotonic(), path, status))
            if status < 300:
                self.accepted.append((path, dict(headers), body, json.loads(body)))
        return status, answer[1] if answer else [], b""

    def events(self):
        with self.lock:
            return [a[3] for a in self.accepted]

    def stop(self):
        self.stub.stop()


def post_json(url, body, method="POST"):
    req = urllib.request.Request(url, data=json.dumps(body).encode() if body is not None else b"", method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            data = r.read()
            return r.status, json.loads(data) if data else None, dict(r.headers)
    except urllib.error.HTTPError as e:
        data = e.read()
        return e.code, json.loads(data) if data else None, dict(e.headers)


def get_json(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.loads(r.read())


def wait_for(predicate, timeout=30, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def snapshot(db):
    """Every instance: id -> (definition, key, status, removed, fields)."""
    con = sqlite3.connect(db)
    try:
        return {r[0]: (r[1], r[2], r[3], r[4], json.loads(r[5]))
                for r in con.execute("SELECT id, definition, key, status, removed, fields FROM instance")}
    finally:
        con.close()


# The SES profile's definitions, their API and status field (data/profiles/ses.json).
API = {"Carrier": "tmf638", "Service": "tmf638", "Resource": "tmf639"}
STATUS_FIELD = {"Carrier": "status", "Service": "status", "Resource": "status"}


def expected_events(before, after):
    """The events of the change from snapshot `before` to `after`, per instance key, under the
    rules of docs/events.md, as (definition, key, eventType, fieldPath or None)."""
    out = {}
    for iid, (d, key, status, removed, fields) in after.items():
        entity = "Resource" if API[d] == "tmf639" else "Service"
        old = before.get(iid)
        ev = []
        if old is None:
            if not removed:
                ev.append((d, key, entity + "CreateEvent", None))
        elif old[3] and not removed:
            ev.append((d, key, entity + "CreateEvent", None))
        elif not old[3] and not removed:
            changed = sorted(n for n in set(old[4]) | set(fields) if old[4].get(n) != fields.get(n))
            if STATUS_FIELD[d] in changed:
                ev.append((d, key, entity + "StateChangeEvent", None))
            rest = [n for n in changed if n != STATUS_FIELD[d]]
            if rest:
                ev.append((d, key, entity + "AttributeValueChangeEvent", ",".join(rest)))
        elif not old[3] and removed:
            ev.append((d, key, entity + "DeleteEvent", None))
        if ev:
            out[(d, key)] = ev
    return out


ORDER = ("CreateEvent", "StateChangeEvent", "AttributeValueChangeEvent", "DeleteEvent")


def normalise(k, events):
    d, key = k
    fields = set()
    out = []
    for e in events:
        if e["eventType"].endswith("AttributeValueChangeEvent"):
            fields |= set(e["fieldPath"].split(","))
        elif (d, key, e["eventType"], None) not in out:
            out.append((d, key, e["eventType"], None))
    if fields:
        entity = "Resource" if API[d] == "tmf639" else "Service"
        out.append((d, key, entity + "AttributeValueChangeEvent", ",".join(sorted(fields))))
    return sorted(out, key=lambda e: [i for i, o in enumerate(ORDER) if e[2].endswith(o)][0])


class EventsTest(TestCase):
    maxDiff = None

    def setUp(self):
        super().setUp()
        self.receivers = []
        self.serves = []

    def tearDown(self):
        for s in self.serves:
            if s.proc.poll() is None:
                s.stop()
        for r in self.receivers:
            r.stop()
        super().tearDown()

    def receiver(self):
        r = Receiver()
        self.receivers.append(r)
        return r

    def setup_store(self, sim, webhooks, extra=""):
        """The configuration with sim's sources and the webhooks (name, url, extra keys)."""
        with open(os.path.join(self.ws.dir, "secret"), "w") as f:
            f.write(SECRET + "\n")
        text = "\n[http]\nlisten = 127.0.0.1:0\n\n[sync]\ninterval = 3600\n" + extra
        for name, url, keys in webhooks:
            text += "\n[webhook %s]\nurl = %s\nsecret_file = secret\nretry_delay = 20\nretry_max_delay = 200\n" % (
                name, url)
            text += "".join("%s = %s\n" % kv for kv in keys.items())
        self.ws.ses_config(sim)
        with open(self.ws.config, "a") as f:
            f.write(text)

    def serve(self):
        s = Serve(self.ws.config)
        self.serves.append(s)
        return s

    def drained(self, srv):
        """Waits until every receiver's queue is empty (each event delivered, skipped or dead)."""
        wait_for(lambda: all(r["pending"] == 0 for r in get_json(srv.base + "/api/v1/events")["receivers"]), 60,
                 "the receivers' queues to empty")
        time.sleep(0.3)

    def runs(self, srv):
        return get_json(srv.base + "/api/v1/runs")["items"]

    def wait_idle(self, srv, runs_at_least):
        def done():
            items = self.runs(srv)
            return len(items) >= runs_at_least and all(r.get("ended") for r in items)
        wait_for(done, 120, "the runs to end")

    def sync_now(self, srv):
        n = len(self.runs(srv))
        for _ in range(100):
            status, _, _ = post_json(srv.base + "/api/v1/sync", None)
            if status == 202:
                break
            time.sleep(0.1)
        self.wait_idle(srv, n + 1)

    def tmf_ids(self):
        """(api, TMF id) -> (definition, key), from the store's items."""
        con = sqlite3.connect(self.ws.db)
        try:
            return {(API[d], str(json.loads(raw).get("id") or iid)): (d, key)
                    for iid, d, key, raw in con.execute("SELECT id, definition, key, raw FROM instance")}
        finally:
            con.close()

    def per_instance(self, events):
        """The events per instance, normalised as expected_events() computes them: one run may
        write an instance twice (its page, then the end-of-run evaluation of references), each
        write its own AttributeValueChange, so an instance's AttributeValueChange events are
        merged (their fields united) and its events put in the order Create, StateChange,
        AttributeValueChange, Delete. The order of the events themselves is checked apart (by
        their ids)."""
        ids = self.tmf_ids()
        raw = {}
        for e in events:
            api = "tmf638" if "service" in e["event"] else "tmf639"
            entity = e["event"]["service" if api == "tmf638" else "resource"]
            raw.setdefault(ids[(api, entity["id"])], []).append(e)
        return {k: normalise(k, v) for k, v in raw.items()}

    def dump(self, events):
        if DUMP:
            with open(DUMP, "a") as f:
                for e in events:
                    f.write(json.dumps(e) + "\n")

    # ---- the events of an epoch equal the store's differences ----

    def test_events__epoch_advance_equals_the_store_differences(self):
        sim = self.sim()
        hook = self.receiver()
        hub_services = self.receiver()
        hub_states = self.receiver()
        self.setup_store(sim, [("noc", hook.base + "/hooks/tmfinv", {})])
        self.ws.run("sync", "--once", check=0)
        srv = self.serve()
        self.wait_idle(srv, 2)
        status, sub, headers = post_json(srv.base + "/tmf-api/serviceInventory/v4/hub",
                                         {"callback": hub_services.base + "/listen"})
        self.assertEqual(status, 201, sub)
        self.assertEqual(set(sub), {"id", "callback"})
        self.assertTrue(headers["Location"].endswith("/tmf-api/serviceInventory/v4/hub/" + sub["id"]))
        status, sub2, _ = post_json(srv.base + "/tmf-api/resourceInventoryManagement/v4/hub",
                                    {"callback": hub_states.base, "query": "eventType=ResourceStateChangeEvent"})
        self.assertEqual((status, sub2["query"]), (201, "eventType=ResourceStateChangeEvent"))
        self.assertEqual(post_json(srv.base + "/tmf-api/resourceInventoryManagement/v4/hub", {"query": "x=1"})[0],
                         400)
        self.assertEqual(post_json(srv.base + "/tmf-api/resourceInventoryManagement/v4/hub",
                                   {"callback": "ftp://x"})[0], 400)
        # The resync after `sync --once` changed nothing: nobody got anything.
        time.sleep(0.5)
        self.assertEqual((hook.events(), hub_services.events(), hub_states.events()), ([], [], []))

        before = snapshot(self.ws.db)
        sim.post("/_sim/epoch")
        self.sync_now(srv)
        after = snapshot(self.ws.db)
        expected = expected_events(before, after)
        self.assertTrue(any(e[2].endswith("StateChangeEvent") for evs in expected.values() for e in evs), expected)
        self.assertTrue(any(e[2].endswith("CreateEvent") for evs in expected.values() for e in evs), expected)
        self.assertTrue(any(e[2].endswith("DeleteEvent") for evs in expected.values() for e in evs), expected)
        total = sum(len(v) for v in expected.values())
        self.drained(srv)
        self.assertEqual(self.per_instance(hook.events()), expected)

        # The hub subscribers: the TMF638 one gets the services' and carriers' events, the
        # TMF639 one only ResourceStateChangeEvent.
        want_services = {k: v for k, v in expected.items() if API[k[0]] == "tmf638"}
        want_states = {k: [e for e in v if e[2] == "ResourceStateChangeEvent"] for k, v in expected.items()}
        want_states = {k: v for k, v in want_states.items() if v}
        self.assertEqual(self.per_instance(hub_services.events()), want_services)
        self.assertEqual(self.per_instance(hub_states.events()), want_states)

        # Where and how they came: the webhook's URL as configured, signed; a hub subscriber's
        # callback plus the listener path of the event type (TMF630: the listener API).
        for path, headers, body, e in hook.accepted:
            self.assertEqual(path, "/hooks/tmfinv")
            self.assertTrue(headers["Content-Type"].startswith("application/json"))
            want = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            self.assertEqual(headers["X-Tmfinv-Signature"], want)
            self.assertEqual(headers["X-Tmfinv-Event-Id"], e["eventId"])
        for path, headers, body, e in hub_services.accepted:
            self.assertEqual(path, "/listen/listener/" + e["eventType"][0].lower() + e["eventType"][1:])
            self.assertNotIn("X-Tmfinv-Signature", headers)
        ids = [int(e["eventId"]) for e in hook.events()]
        self.assertEqual(ids, sorted(ids))
        # The entity is what the TMF API serves after the change.
        for e in hook.events():
            if e["eventType"].endswith("DeleteEvent"):
                continue
            entity = e["event"].get("service") or e["event"].get("resource")
            coll = "service" if "service" in e["event"] else "resource"
            api = "serviceInventory" if coll == "service" else "resourceInventoryManagement"
            served = get_json(srv.base + "/tmf-api/%s/v4/%s/%s" % (api, coll, urllib.request.quote(entity["id"])))
            self.assertEqual(entity, served)
            break
        self.dump(hook.events() + hub_services.events() + hub_states.events())

        # DELETE …/hub/{id}: 204, then 404; the subscriber gets nothing more.
        req = urllib.request.Request(srv.base + "/tmf-api/serviceInventory/v4/hub/" + sub["id"], method="DELETE")
        with urllib.request.urlopen(req, timeout=10) as r:
            self.assertEqual(r.status, 204)
        self.assertEqual(post_json(srv.base + "/tmf-api/serviceInventory/v4/hub/" + sub["id"], None, "DELETE")[0], 404)
        self.assertEqual(post_json(srv.base + "/tmf-api/resourceInventoryManagement/v4/hub/" + sub["id"], None,
                                   "DELETE")[0], 404)
        n = len(hub_services.events())
        sim.post("/_sim/epoch")
        self.sync_now(srv)
        time.sleep(1.5)
        self.assertEqual(len(hub_services.events()), n)
        metrics = urllib.request.urlopen(srv.base + "/metrics", timeout=10).read().decode()
        self.assertIn('tmfinv_events_delivered_total{receiver="webhook:noc"}', metrics)
        self.assertIn('tmfinv_events_queue_depth{receiver="webhook:noc"}', metrics)
        self.assertEqual(srv.stop(), 0)

    # ---- failures, retries, dead letters ----

    def test_events__receiver_failing_then_recovering_gets_all_in_order(self):
        sim = self.sim()
        hook = self.receiver()
        # 500 for the first 6 tries, then 503 with Retry-After: 1, then good.
        hook.fail = lambda n: (500, []) if n < 6 else (503, [("Retry-After", "1")]) if n == 6 else None
        self.setup_store(sim, [("flaky", hook.base, {"max_tries": "100"})])
        self.ws.run("sync", "--once", check=0)
        srv = self.serve()
        self.wait_idle(srv, 2)
        before = snapshot(self.ws.db)
        sim.post("/_sim/epoch")
        self.sync_now(srv)
        after = snapshot(self.ws.db)
        expected = expected_events(before, after)
        total = sum(len(v) for v in expected.values())
        self.drained(srv)
        self.assertEqual(self.per_instance(hook.events()), expected)
        ids = [int(e["eventId"]) for e in hook.events()]
        self.assertEqual(ids, sorted(set(ids)))  # each once, in outbox order
        # The first event was tried 8 times; Retry-After was honoured (>= 1 s before try 8).
        first = [t for t in hook.tries[:8]]
        self.assertEqual([t[2] for t in first], [500] * 6 + [503, 200])
        self.assertGreaterEqual(first[7][0] - first[6][0], 0.95)
        self.assertEqual(get_json(srv.base + "/api/v1/events?state=dead")["total"], 0)
        self.assertEqual(srv.stop(), 0)

    def test_events__dead_letters_and_retry(self):
        sim = self.sim(services=60, carriers=30, resources=60)
        hook = self.receiver()
        hook.fail = lambda n: (500, [])
        self.setup_store(sim, [("down", hook.base, {"max_tries": "2", "definitions": "Carrier",
                                                    "events": "state, change"})])
        self.ws.run("sync", "--once", check=0)
        srv = self.serve()
        self.wait_idle(srv, 2)
        before = snapshot(self.ws.db)
        sim.post("/_sim/epoch")
        sim.post("/_sim/epoch")
        self.sync_now(srv)
        after = snapshot(self.ws.db)
        expected = {k: [e for e in v if e[2] in ("ServiceStateChangeEvent", "ServiceAttributeValueChangeEvent")]
                    for k, v in expected_events(before, after).items() if k[0] == "Carrier"}
        expected = {k: v for k, v in expected.items() if v}
        self.assertTrue(expected)
        self.drained(srv)
        dead = get_json(srv.base + "/api/v1/events?state=dead")
        total = dead["total"]
        self.assertGreaterEqual(total, sum(len(v) for v in expected.values()))
        self.assertEqual({d["receiver"] for d in dead["items"]}, {"webhook:down"})
        self.assertEqual({d["tries"] for d in dead["items"]}, {2})
        self.assertEqual({d["error"] for d in dead["items"]}, {"HTTP status 500"})
        cli = self.ws.json_lines("events", "--dead", "--json")
        self.assertEqual([c["id"] for c in cli], [d["id"] for d in dead["items"]])
        self.assertEqual(self.ws.json_lines("events", "--json")[0]["dead"], total)

        # Recovered: one by the API, the rest by the CLI.
        hook.fail = None
        first = dead["items"][0]["id"]
        status, body, _ = post_json(srv.base + "/api/v1/events/%d/retry" % first, None)
        self.assertEqual((status, body["state"]), (202, "retry"))
        self.assertEqual(post_json(srv.base + "/api/v1/events/999999/retry", None)[0], 404)
        wait_for(lambda: len(hook.events()) == 1, 30, "the retried dead letter")
        self.assertEqual(self.ws.run("events", "--retry", "999999").returncode, 1)
        p = self.ws.run("events", "--retry-all", check=0)
        self.assertIn("%d dead letters" % (total - 1), p.stdout)
        wait_for(lambda: len(hook.events()) == total, 30, "the retried dead letters")
        self.assertEqual(self.per_instance(hook.events()), expected)
        wait_for(lambda: get_json(srv.base + "/api/v1/events?state=dead")["total"] == 0, 10, "no dead letters")
        self.assertEqual(self.ws.run("events", "--dead").stdout, "")
        self.assertEqual(srv.stop(), 0)

    def test_events__hanging_receiver_slows_neither_the_sync_nor_another(self):
        sim = self.sim()
        stuck = self.receiver()
        stuck.hang = 3600
        good = self.receiver()
        self.setup_store(sim, [("stuck", stuck.base, {"timeout": "3600"}), ("good", good.base, {})])
        self.ws.run("sync", "--once", check=0)
        srv = self.serve()
        self.wait_idle(srv, 2)
        for _ in range(3):
            good.accepted.clear()
            before = snapshot(self.ws.db)
            sim.post("/_sim/epoch")
            started = time.monotonic()
            self.sync_now(srv)  # completes although `stuck` holds its first POST
            after = snapshot(self.ws.db)
            expected = expected_events(before, after)
            total = sum(len(v) for v in expected.values())
            wait_for(lambda: len(good.events()) >= total, 60, "the good receiver")
            wait_for(lambda: self.per_instance(good.events()) == expected, 30, "every event")
            self.assertLess(time.monotonic() - started, 60)
            self.assertEqual(self.per_instance(good.events()), expected)
        self.assertEqual(len(stuck.tries), 0)  # still holding the first request
        receivers = {r["name"]: r for r in get_json(srv.base + "/api/v1/events")["receivers"]}
        self.assertEqual(receivers["webhook:stuck"]["delivered"], 0)
        self.assertGreater(receivers["webhook:stuck"]["pending"], 0)
        started = time.monotonic()
        self.assertEqual(srv.stop(), 0)  # a stop cuts the hanging POST
        self.assertLess(time.monotonic() - started, 10)

    def test_events__kill9_before_delivery_then_delivered_after_restart(self):
        sim = self.sim(services=60, carriers=30, resources=60)
        # A port nobody listens on yet: connection refused.
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        self.setup_store(sim, [("late", "http://127.0.0.1:%d/hook" % port, {"max_tries": "1000"})])
        self.ws.run("sync", "--once", check=0)
        srv = self.serve()
        self.wait_idle(srv, 2)
        before = snapshot(self.ws.db)
        sim.post("/_sim/epoch")
        self.sync_now(srv)
        after = snapshot(self.ws.db)
        expected = expected_events(before, after)
        self.assertTrue(expected)
        srv.proc.send_signal(signal.SIGKILL)
        srv.proc.wait()
        srv.stop()
        con = sqlite3.connect(self.ws.db)
        pending = con.execute("SELECT count(*) FROM outbox WHERE id > (SELECT cursor FROM receiver"
                              " WHERE name = 'webhook:late')").fetchone()[0]
        con.close()
        self.assertGreaterEqual(pending, sum(len(v) for v in expected.values()))
        # The receiver comes up on that port; serve restarts and delivers.
        import http.server
        got = []

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                got.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
        t = threading.Thread(target=server.serve_forever, daemon=True)
        t.start()
        try:
            srv2 = self.serve()
            wait_for(lambda: len(got) >= pending, 60, "delivery after the restart")
            self.wait_idle(srv2, 3)
            time.sleep(0.5)
            self.assertEqual(self.per_instance(got), expected)
            self.assertEqual(srv2.stop(), 0)
        finally:
            server.shutdown()
            server.server_close()

    def test_events__set_and_patch_make_events(self):
        sim = self.sim(services=20, carriers=10, resources=20)
        hook = self.receiver()
        self.setup_store(sim, [("all", hook.base, {})])
        self.ws.run("sync", "--once", check=0)
        srv = self.serve()
        self.wait_idle(srv, 2)
        resource = self.ws.json_lines("query", "Resource", "--json")[0]
        carrier = self.ws.json_lines("query", "Carrier", "--json")[0]
        self.ws.run("set", resource["id"], "note=checked", check=0)
        self.ws.run("set", resource["id"], "status=Maintenance", check=0)
        raw = json.loads(self.ws.run("show", carrier["key"], "--definition", "Carrier", "--json", check=0).stdout)
        status, body, _ = post_json(srv.base + "/tmf-api/serviceInventory/v4/service/" + raw["raw"]["id"],
                                    {"note": "from the api"}, method="PATCH")
        self.assertEqual(status, 200, body)
        wait_for(lambda: len(hook.events()) >= 3, 30, "the events of set and PATCH")
        time.sleep(0.5)
        got = [(e["eventType"], e.get("fieldPath")) for e in hook.events()]
        self.assertEqual(got, [("ResourceAttributeValueChangeEvent", "note"), ("ResourceStateChangeEvent", None),
                               ("ServiceAttributeValueChangeEvent", "note")])
        self.assertEqual(hook.events()[1]["event"]["resource"]["status"], "Maintenance")
        self.dump(hook.events())
        self.assertEqual(srv.stop(), 0)

    def test_events__hub_callbacks_only_to_the_listed_origins(self):
        # [http] hub_callback_origins: a subscription whose callback names another origin is
        # refused (403, nothing stored); one of a listed origin is taken and gets its events.
        sim = self.sim(services=5, carriers=5, resources=5)
        hook = self.receiver()
        self.setup_store(sim, [])
        with open(self.ws.config) as f:
            text = f.read()
        with open(self.ws.config, "w") as f:
            f.write(text.replace("listen = 127.0.0.1:0\n", "listen = 127.0.0.1:0\nhub_callback_origins = "
                                 "https://noc.example, %s\n" % hook.base, 1))
        self.ws.run("sync", "--once", check=0)
        srv = self.serve()
        hub = srv.base + "/tmf-api/serviceInventory/v4/hub"
        for callback in ("http://10.0.0.1:8080/listen", "https://noc.example:8443/x",
                         hook.base.replace("127.0.0.1", "localhost") + "/x"):
            status, body, _ = post_json(hub, {"callback": callback})
            self.assertEqual(status, 403, callback)
            self.assertIn("hub_callback_origins", body["reason"] + body.get("message", ""))
        self.assertEqual(get_json(srv.base + "/api/v1/events")["receivers"], [])
        for callback in (hook.base + "/listen", "https://noc.example/tmf/listener"):
            self.assertEqual(post_json(hub, {"callback": callback})[0], 201, callback)
        self.assertEqual(sorted(r["callback"] for r in get_json(srv.base + "/api/v1/events")["receivers"]),
                         sorted([hook.base + "/listen", "https://noc.example/tmf/listener"]))
        # A bad origin in the list is a configuration error naming the file, line and key.
        with open(self.ws.config) as f:
            text = f.read()
        with open(self.ws.config, "w") as f:
            f.write(text.replace("https://noc.example,", "https://noc.example/path,", 1))
        p = self.ws.run("check")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("hub_callback_origins", p.stderr)
        self.assertIn(self.ws.config + ":", p.stderr)
        self.assertEqual(srv.stop(), 0)

    def test_events__config_errors_name_file_and_line(self):
        sim = self.sim(services=5, carriers=5, resources=5)
        for keys, message in (({}, "needs 'url"),
                              ({"url": "ftp://x"}, "url = 'ftp://x'"),
                              ({"url": "http://x", "events": "state, boom"}, "'boom' is not one of"),
                              ({"url": "http://x", "max_tries": "0"}, "max_tries = '0'"),
                              ({"url": "http://x", "secret_file": "missing"}, "secret_file"),
                              ({"url": "http://x", "colour": "red"}, "unknown key 'colour'")):
            self.ws.ses_config(sim)
            with open(self.ws.config, "a") as f:
                f.write("\n[webhook bad]\n" + "".join("%s = %s\n" % kv for kv in keys.items()))
            p = self.ws.run("check")
            self.assertNotEqual(p.returncode, 0, keys)
            self.assertIn(self.ws.config + ":", p.stderr)
            self.assertIn(message, p.stderr)


if __name__ == "__main__":
    main()
