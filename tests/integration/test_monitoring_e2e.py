"""Issue 9, the first "Done when": monitoring end to end.

One `serve` (ses profile) over a simulator, a [webhook] receiver and a TMF hub subscriber (both
real HTTP servers started here). Sync epoch 0, advance the simulator to epoch 1, sync; then
compute the differences between the two epochs from the items the simulator serves over HTTP
(never from tmfinv's store), under the ses rules written again here from the profile's data
(data/profiles/ses.json) and its documentation: classification by @type, key externalId (services,
carriers) or id (resources), first key wins, excluded resource types, Services kept only when
Operational, Deprecated carriers and resources not kept, a modem's status an initial field,
`supportingService` the supporting services active at the end of the run. Check that

1. the changes feed (`/api/v1/changes?sinceRun=RUN`) holds exactly those changes (key, field,
   before, after);
2. the status timelines of the changed instances end with the new value from the run's time;
3. the webhook and the hub subscriber each received exactly the expected events per instance
   (Create, Delete, StateChange, AttributeValueChange with the changed fields in fieldPath),
   in outbox order;
4. every body received validates against the official v4 event schemas
   (tests/schema/validate_events.mjs).

The store model the expectations follow: every first item of a key is stored, an item whose
status is not kept as removed (a restoration when it is kept again: a Create event, its field
changes in the feed), an excluded resource type never; changes of a removed instance are in
the feed but make no event. Three seeds: 7 (creations, removals, status and field changes),
17 (a service and a resource restored) and 24 (a carrier restored; a key whose first item is
removed, so that a later item with the same externalId becomes the instance)."""

import json
import os
import shutil
import subprocess
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_events as ev  # noqa: E402  (Receiver, post_json, get_json, wait_for; its tests are not loaded here)
from tmfinv_testlib import TOP, Serve, TestCase, main  # noqa: E402

with open(os.path.join(TOP, "data", "profiles", "ses.json")) as _f:
    PROFILE = {d["name"]: d for d in json.load(_f)["definitions"]}
API = {name: d["api"] for name, d in PROFILE.items()}
EXCLUDED = set(PROFILE["Resource"]["exclude"]["types"])
for _canon, _names in PROFILE["Resource"].get("type_synonyms", {}).items():
    if _canon in EXCLUDED:
        EXCLUDED |= set(_names)
MODEM_TYPES = {"Modem"} | set(PROFILE["Resource"]["type_synonyms"].get("Modem", []))


def fields_of(definition):
    return [f for s in PROFILE[definition]["sections"] for f in s["fields"]]


def walk(value, path):
    """The values at a profile path (`a.b`, `a[k=v].b`, `a[0]`, `a[*].b`) of an item, in order."""
    values = [value]
    for seg in path.split("."):
        name, sel = seg, None
        if "[" in seg:
            name, sel = seg[:seg.index("[")], seg[seg.index("[") + 1:-1]
        out = []
        for v in values:
            x = v.get(name) if isinstance(v, dict) else None
            if x is None:
                continue
            if sel is None:
                out.append(x)
            elif not isinstance(x, list):
                continue
            elif sel == "*":
                out.extend(x)
            elif sel.isdigit():
                out.extend(x[int(sel):int(sel) + 1])
            else:
                k, want = sel.split("=", 1)
                out.extend(e for e in x if isinstance(e, dict) and str(e.get(k)) == want)
        values = out
    return values


def field_value(item, field):
    """A field's value as the feed shows it: a list field's list (None when empty), another
    field's first value (None when absent); alternatives in order, the first that yields."""
    paths = field["from"] if isinstance(field["from"], list) else [field["from"]]
    for p in paths:
        got = walk(item, p)
        if got:
            return got if field.get("list") else got[0]
    return None


def is_modem(item):
    return item.get("@type") in MODEM_TYPES or item.get("category") == "Modem"


def canonical_status(definition, status):
    for canon, names in PROFILE[definition].get("status_synonyms", {}).items():
        if status in names:
            return canon
    return status


def epoch_state(services, resources):
    """{(definition, key): (item, kept)} of the first item of each key, and the TMF ids of the
    active services (for supportingService)."""
    state = {}
    for item in services:
        definition = "Carrier" if item.get("@type") == "element" else "Service"
        key = item.get("externalId")
        if not key or (definition, key) in state:
            continue  # no key: not stored; a repeated key: the first item wins
        status = canonical_status(definition, item.get("status"))
        d = PROFILE[definition]
        kept = status in d["keep_statuses"] if "keep_statuses" in d else status not in d.get("drop_statuses", [])
        state[(definition, key)] = (item, kept)
    for item in resources:
        key = item.get("id")
        if not key or ("Resource", key) in state or item.get("@type") in EXCLUDED:
            continue  # an excluded type is never stored (a dropped status is, as removed)
        kept = canonical_status("Resource", item.get("status")) not in \
            PROFILE["Resource"].get("drop_statuses", [])
        state[("Resource", key)] = (item, kept)
    active_services = {item.get("id") for (d, _), (item, kept) in state.items() if d == "Service" and kept}
    return state, active_services


def values(definition, item, active_services):
    """{field: value} of the fields the source decides, as the store keeps them."""
    out = {}
    for f in fields_of(definition):
        if f.get("owner") == "local":
            continue
        v = field_value(item, f)
        if f.get("active_only"):
            # Derived by tmfinv at the end of the run from the store's active services; the
            # same rule computed here from the simulator's items of the same epoch.
            v = [x for x in (v or []) if x in active_services] if v is not None else None
        out[f["name"]] = v
    return out


def canon(value):
    """A value as comparable text (an object's members in any order)."""
    return json.dumps(value, sort_keys=True)


def expected_changes(before, after):
    """The feed rows (definition, key, field, before, after) and the events per instance
    {(definition, key): [(eventType, fieldPath)]} of the step from `before` to `after`."""
    (old, old_active), (new, new_active) = before, after
    rows, events = set(), {}
    for k in set(old) | set(new):
        definition, key = k
        entity = "Resource" if API[definition] == "tmf639" else "Service"
        status_field = "status"
        o, n = old.get(k), new.get(k)
        was, now = bool(o and o[1]), bool(n and n[1])
        changed = []
        if o is None:
            if n is not None:
                rows.add((definition, key, "@created", None, "services" if entity == "Service" else "resources"))
                if not now:
                    rows.add((definition, key, "@removed", False, True))
        else:
            # Every first item of a key is stored, kept or not (not kept: as removed). Gone from
            # the source, the instance keeps its last item; the end-of-run evaluation of
            # references still runs over it, so its active-only references follow the actives.
            item = n[0] if n is not None else o[0]
            ov, nv = values(definition, o[0], old_active), values(definition, item, new_active)
            for f in fields_of(definition):
                name = f["name"]
                if name not in ov or ov[name] == nv[name]:
                    continue
                if n is None and not f.get("active_only"):
                    continue
                if definition == "Resource" and name == "status" and is_modem(o[0]):
                    continue  # a modem's status is taken at creation and kept (owner initial)
                rows.add((definition, key, name, canon(ov[name]), canon(nv[name])))
                changed.append(name)
            if was != now:
                rows.add((definition, key, "@removed", not was, not now))
        ev_list = []
        if now and not was:
            ev_list.append((entity + "CreateEvent", None))  # new, or restored
        elif was and not now:
            ev_list.append((entity + "DeleteEvent", None))
        elif now:
            if status_field in changed:
                ev_list.append((entity + "StateChangeEvent", None))
            rest = [c for c in changed if c != status_field]
            if rest:
                ev_list.append((entity + "AttributeValueChangeEvent", ",".join(rest)))
        if ev_list:
            events[k] = ev_list
    return rows, events


class MonitoringTest(TestCase):
    maxDiff = None

    def setUp(self):
        super().setUp()
        self.receivers = []
        self.srv = None

    def tearDown(self):
        if self.srv and self.srv.proc.poll() is None:
            self.srv.stop()
        for r in self.receivers:
            r.stop()
        super().tearDown()

    def receiver(self):
        r = ev.Receiver()
        self.receivers.append(r)
        return r

    def runs(self):
        return ev.get_json(self.srv.base + "/api/v1/runs")["items"]

    def wait_idle(self, at_least):
        ev.wait_for(lambda: len(self.runs()) >= at_least and all(r.get("ended") for r in self.runs()), 120,
                    "the runs to end")

    def feed(self, run):
        got, after = [], 0
        while True:
            page = ev.get_json(self.srv.base + "/api/v1/changes?sinceRun=%d&after=%d&limit=500" % (run, after))
            if not page["items"]:
                return got
            got.extend(page["items"])
            after = page["items"][-1]["id"]

    def epoch(self, sim):
        return epoch_state(sim.collection("/tmf638/service"), sim.collection("/tmf639/resource"))

    def per_instance(self, bodies):
        """The received events per instance (definition, key), from the entity they carry:
        one run writes an instance twice when the end-of-run evaluation of references changes
        its supportingService (docs/events.md), each write its own AttributeValueChange, so an
        instance's AttributeValueChange events are merged (fields united, in the definition's
        order) at the place of its first one; the other events keep their order."""
        out = {}
        for e in bodies:
            entity = e["event"].get("service") or e["event"].get("resource")
            if "service" in e["event"]:
                k = ("Carrier" if entity.get("@type") == "element" else "Service", entity.get("externalId"))
            else:
                k = ("Resource", entity.get("id"))
            lst = out.setdefault(k, [])
            if e["eventType"].endswith("AttributeValueChangeEvent"):
                names = set(e["fieldPath"].split(","))
                merged = next((i for i, x in enumerate(lst) if x[0] == e["eventType"]), None)
                if merged is not None:
                    names |= set(lst[merged][1].split(","))
                    order = [f["name"] for f in fields_of(k[0])]
                    lst[merged] = (e["eventType"], ",".join(sorted(names, key=order.index)))
                    continue
                lst.append((e["eventType"], ",".join(sorted(names, key=[f["name"] for f in fields_of(k[0])].index))))
            else:
                lst.append((e["eventType"], None))
        return out

    def check_step(self, seed, restored):
        """The whole check over a simulator of `seed`, whose step 0 -> 1 restores `restored`
        (instances stored as removed at epoch 0, kept at epoch 1)."""
        sim = self.sim(seed=seed, services=200, carriers=100, resources=300)
        hook, hub = self.receiver(), self.receiver()
        self.ws.ses_config(sim)
        with open(self.ws.config, "a") as f:
            f.write("\n[http]\nlisten = 127.0.0.1:0\n\n[sync]\ninterval = 3600\n\n[webhook noc]\nurl = %s/hook\n"
                    % hook.base)
        before = self.epoch(sim)
        self.ws.run("sync", "--once", check=0)
        self.srv = Serve(self.ws.config)
        self.wait_idle(2)
        status, sub, _ = ev.post_json(self.srv.base + "/tmf-api/serviceInventory/v4/hub",
                                      {"callback": hub.base + "/listen"})
        self.assertEqual(status, 201, sub)

        sim.post("/_sim/epoch")
        after = self.epoch(sim)
        n = len(self.runs())
        for _ in range(100):
            if ev.post_json(self.srv.base + "/api/v1/sync", None)[0] == 202:
                break
        self.wait_idle(n + 1)
        run = max(self.runs(), key=lambda r: r["id"])
        rows, events = expected_changes(before, after)
        self.assertEqual(sorted(k for k, (_, kept) in after[0].items()
                                if kept and k in before[0] and not before[0][k][1]), restored)
        kinds = {t for evs in events.values() for t, _ in evs}
        for kind in ("StateChangeEvent", "AttributeValueChangeEvent", "CreateEvent", "DeleteEvent"):
            self.assertTrue({"Service" + kind, "Resource" + kind} & kinds, kind)

        # 1. The feed of the run is exactly the differences.
        feed = self.feed(run["id"])
        got = {(c["definition"], c["key"], c["field"],
                c["before"] if c["field"].startswith("@") else canon(c["before"]),
                c["after"] if c["field"].startswith("@") else canon(c["after"])) for c in feed}
        self.assertEqual(len(got), len(feed), "one row per instance and field")
        self.assertEqual(sorted(got - rows), [], "feed rows not expected (expected but missing: %s)"
                         % sorted(rows - got)[:10])
        self.assertEqual(sorted(rows - got), [], "expected rows missing from the feed")
        self.assertEqual({c["run"] for c in feed}, {run["id"]})

        # 2. Timelines: each status change ends the instance's timeline with the new value,
        # from a time inside the run.
        status_rows = [c for c in feed if c["field"] == "status"]
        self.assertTrue(status_rows)
        for c in status_rows[:25]:
            with self.subTest(key=c["key"]):
                t = ev.get_json(self.srv.base + "/api/v1/instances/%s/timeline?field=status"
                                % urllib.parse.quote(c["instance"]))
                last = t["intervals"][-1]
                self.assertEqual((last["value"], last["to"]), (c["after"], None))
                self.assertEqual(t["intervals"][-2]["value"], c["before"])
                self.assertTrue(run["started"] <= last["from"] <= run["ended"], (run, last))

        # 3. The events: the webhook gets all, the TMF638 hub subscriber the services' and
        # carriers', each in outbox order.
        ev.wait_for(lambda: all(r["pending"] == 0 for r in ev.get_json(self.srv.base + "/api/v1/events")["receivers"]),
                    60, "the receivers' queues to empty")
        self.assertEqual(self.per_instance(hook.events()), events)
        self.assertEqual(self.per_instance(hub.events()),
                         {k: v for k, v in events.items() if API[k[0]] == "tmf638"})
        for r in (hook, hub):
            ids = [int(e["eventId"]) for e in r.events()]
            self.assertEqual(ids, sorted(set(ids)))

        # 4. Every body validates against the official v4 event schemas.
        node = shutil.which("node")
        self.assertIsNotNone(node, "node is required (scripts/install-deps.sh --test)")
        path = os.path.join(self.ws.dir, "events.jsonl")
        with open(path, "w") as f:
            for _, _, body, _ in hook.accepted + hub.accepted:
                f.write(body.decode() + "\n")
        p = subprocess.run([node, os.path.join(TOP, "tests", "schema", "validate_events.mjs"), path],
                           capture_output=True, text=True, timeout=300)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("%d passed, 0 failed" % len(hook.accepted + hub.accepted), p.stdout)
        self.assertEqual(self.srv.stop(), 0)

    def test_monitoring_e2e__epoch_step_seed_7(self):
        self.check_step(7, [])

    def test_monitoring_e2e__epoch_step_with_restorations_seed_17(self):
        self.check_step(17, [("Resource", "res-00000171"), ("Service", "CFS-100200"), ("Service", "CFS-100562")])

    def test_monitoring_e2e__epoch_step_with_a_carrier_restored_seed_24(self):
        self.check_step(24, [("Carrier", "CAR-200132"), ("Service", "CFS-100290")])


if __name__ == "__main__":
    main()
