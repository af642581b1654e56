"""Issue 9, point 6: `tmfinv impact` and GET /api/v1/instances/{id}/impact.

The answers are checked against the simulator's topology computed here, independently of
tmfinv, from the items the simulator serves over HTTP, with the rules of
docs/commands/impact.md written again: a service depends on its supporting resources and
services and on the services of its serviceRelationship (its carrier); a carrier on its
supporting resources (satellite, transponder), its supporting services and its parent, and its
child depends on it; a resource on the resources of its resourceRelationship. The `tmf`
profile keys every instance by its TMF id, so the sets compare by id."""

import json
import os
import sqlite3
import urllib.error
import urllib.request
from collections import deque

from tmfinv_testlib import EXCLUDED_TYPES, PagedSource, Serve, TestCase, main


def get(base, path):
    try:
        with urllib.request.urlopen(base + path, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def topology(services, resources):
    """depends[x] = {y: x depends on y}, over the items the tmf profile stores (ids)."""
    stored = {i["id"] for i in services} | {r["id"] for r in resources if r.get("@type") not in EXCLUDED_TYPES}
    depends = {x: set() for x in stored}

    def add(x, y):
        if x in stored and y in stored:
            depends[x].add(y)

    for item in services:
        x = item["id"]
        for ref in item.get("supportingResource", []):
            add(x, ref["id"])
        for ref in item.get("supportingService", []):
            add(x, ref["id"])
        for rel in item.get("serviceRelationship", []):
            target = rel["service"]["id"]
            if item.get("@type") == "element" and rel.get("relationshipType") == "child":
                add(target, x)  # the child carrier depends on this one
            else:
                add(x, target)
    for item in resources:
        for rel in item.get("resourceRelationship", []):
            add(item["id"], rel["resource"]["id"])
    return depends


def closure(graph, start, depth):
    """{node: distance} of the nodes reached from start in at most `depth` steps."""
    seen, todo = {start: 0}, deque([start])
    while todo:
        x = todo.popleft()
        if seen[x] == depth:
            continue
        for y in sorted(graph.get(x, ())):
            if y not in seen:
                seen[y] = seen[x] + 1
                todo.append(y)
    del seen[start]
    return seen


def hits_by_key(direction):
    return {h["key"]: h["depth"] for h in direction["hits"]}


def tmf_sources(base):
    return [("services", {"api": "tmf638", "url": base + "/tmf638/service", "paging": "page", "page_size": "40",
                          "profile": "tmf"}),
            ("resources", {"api": "tmf639", "url": base + "/tmf639/resource", "paging": "page", "page_size": "40",
                           "profile": "tmf"})]


class TestImpact(TestCase):
    def serve(self):
        """`serve` on the workspace's store, without sources (no sync while it answers)."""
        path = os.path.join(self.ws.dir, "serve.ini")
        with open(path, "w") as f:
            f.write("[store]\npath = %s\n\n[http]\nlisten = 127.0.0.1:0\n" % self.ws.db)
        return Serve(path, os.path.join(self.ws.dir, "serve.log"))

    def sync_sim(self, **sizes):
        sim = self.sim(seed=11, **sizes)
        self.ws.write_config(tmf_sources(sim.base))
        self.ws.run("sync", "--once", check=0)
        return sim

    def ids(self):
        con = sqlite3.connect(self.ws.db)
        try:
            return dict(con.execute("SELECT key, id FROM instance"))
        finally:
            con.close()

    def check_path(self, answer, hit, depends, down):
        """The path runs from the instance asked to the hit, one reference a step, each
        reference held by the instance the documentation says."""
        path = hit["path"]
        self.assertEqual(path[0]["id"], answer["instance"]["id"])
        self.assertEqual(path[-1]["id"], hit["id"])
        self.assertEqual(len(path), hit["depth"] + 1)
        for a, b in zip(path, path[1:]):
            dependent, dependency = (b, a) if down else (a, b)
            self.assertIn(dependency["key"], depends[dependent["key"]], (a, b))
            self.assertIn(b["fieldOf"], (a["id"], b["id"]))
            self.assertTrue(b["field"])

    def test_impact__answers_equal_the_simulators_topology(self):
        sim = self.sync_sim(services=120, carriers=60, resources=200)
        services = sim.collection("/tmf638/service")
        resources = sim.collection("/tmf639/resource")
        depends = topology(services, resources)
        dependents = {x: set() for x in depends}
        for x, ys in depends.items():
            for y in ys:
                dependents[y].add(x)
        ids = self.ids()
        self.assertEqual(set(ids), set(depends))
        serve = self.serve()
        try:
            for key in sorted(depends):
                for depth in (1, 2, 16):
                    status, answer = get(serve.base, "/api/v1/instances/%s/impact?depth=%d" % (ids[key], depth))
                    self.assertEqual(status, 200, answer)
                    self.assertEqual(answer["instance"]["key"], key)
                    self.assertEqual((answer["direction"], answer["depth"]), ("both", depth))
                    self.assertEqual(hits_by_key(answer["down"]), closure(dependents, key, depth), (key, depth, "down"))
                    self.assertEqual(hits_by_key(answer["up"]), closure(depends, key, depth), (key, depth, "up"))
                    for direction in ("down", "up"):
                        self.assertFalse(answer[direction]["truncated"])
                        self.assertEqual(answer[direction]["dangling"], [])
                        self.assertEqual(answer[direction]["count"], len(answer[direction]["hits"]))
                        for hit in answer[direction]["hits"]:
                            self.assertEqual((hit["removed"], hit["id"]), (False, ids[hit["key"]]))
                            self.check_path(answer, hit, depends, direction == "down")
            # The cases the issue names: a transponder takes its carriers and their services
            # down with it; a service depends on its carrier, the carrier's transponder and
            # satellite.
            transponders = [r for r in resources if r["@type"] == "Transponder"]
            busiest = max(transponders, key=lambda t: len(dependents[t["id"]]))
            carriers = {c for c in dependents[busiest["id"]] if c.startswith("car-")}
            self.assertTrue(carriers)
            relying = {s["id"] for s in services if s["@type"] != "element"
                       and any(r["service"]["id"] in carriers for r in s["serviceRelationship"])}
            status, answer = get(serve.base, "/api/v1/instances/%s/impact?direction=down&depth=2" % ids[busiest["id"]])
            self.assertNotIn("up", answer)
            down = hits_by_key(answer["down"])
            self.assertTrue(carriers <= {k for k, d in down.items() if d == 1})
            self.assertTrue(relying <= set(down), relying - set(down))
            service = next(s for s in services if s["@type"] != "element")
            carrier = service["serviceRelationship"][0]["service"]["id"]
            item = next(c for c in services if c["id"] == carrier)
            chain = {r["id"] for r in item["supportingResource"]}
            status, answer = get(serve.base, "/api/v1/instances/%s/impact?direction=up&depth=2" % ids[service["id"]])
            up = hits_by_key(answer["up"])
            self.assertEqual(up[carrier], 1)
            self.assertTrue(chain <= set(up), (chain, up))
        finally:
            self.assertEqual(serve.stop(), 0)

    def test_impact__ses_keys_differ_from_the_ids_references_use(self):
        """ses keys services and carriers by externalId while references carry TMF ids: each
        name of an instance is looked for (down), each value resolved by key then TMF id (up);
        a reference to an item whose externalId an earlier item took names nothing stored."""
        sim = self.sim(seed=5, services=80, carriers=40, resources=120)
        self.ws.ses_config(sim)
        self.ws.run("sync", "--once", check=0)
        services = sim.collection("/tmf638/service")
        stored, seen = {}, set()  # TMF id -> (definition, key), under the ses rules
        for item in services:
            definition = "Carrier" if item.get("@type") == "element" else "Service"
            key = (item.get("externalId") or "").strip()
            if key and (definition, key) not in seen:
                seen.add((definition, key))
                stored[item["id"]] = (definition, key)
        ids = {(d, k): i for d, k, i in sqlite3.connect(self.ws.db).execute(
            "SELECT definition, key, id FROM instance")}
        serve = self.serve()
        dangling_seen = 0
        try:
            for item in services:
                if stored.get(item["id"], ("", ""))[0] != "Service":
                    continue
                key = stored[item["id"]][1]
                status, answer = get(serve.base, "/api/v1/instances/%s/impact?direction=up&depth=1"
                                     % ids[("Service", key)])
                self.assertEqual(status, 200)
                carriers = [r["service"]["id"] for r in item["serviceRelationship"]]
                want = {stored[c][1] for c in carriers if stored.get(c, ("",))[0] == "Carrier"}
                self.assertEqual({h["key"] for h in answer["up"]["hits"] if h["definition"] == "Carrier"}, want, key)
                lost = {c for c in carriers if c not in stored}
                self.assertEqual({d["ref"] for d in answer["up"]["dangling"] if d["field"] == "serviceRelationship"},
                                 lost, key)
                dangling_seen += len(lost)
            for tmf_id, (definition, key) in stored.items():
                if definition != "Carrier":
                    continue
                status, answer = get(serve.base, "/api/v1/instances/%s/impact?direction=down&depth=1"
                                     % ids[("Carrier", key)])
                want = {stored[s["id"]][1] for s in services if stored.get(s["id"], ("",))[0] == "Service"
                        and any(r["service"]["id"] == tmf_id for r in s["serviceRelationship"])}
                got = {h["key"] for h in answer["down"]["hits"] if h["definition"] == "Service"}
                self.assertEqual(got, want, key)
        finally:
            self.assertEqual(serve.stop(), 0)
        self.assertGreater(dangling_seen, 0)  # the simulator's repeated externalIds make some

    def test_impact__cli_equals_api_and_directions(self):
        sim = self.sync_sim(services=40, carriers=20, resources=200)
        resources = sim.collection("/tmf639/resource")
        satellite = next(r["id"] for r in resources if r["@type"] == "Satellite")
        ids = self.ids()
        serve = self.serve()
        try:
            for key in (satellite, "car-00000000", "car-00000001", "svc-00000000"):
                for args, query in (([], ""), (["--down"], "?direction=down"), (["--up", "--depth", "3"],
                                                                                "?direction=up&depth=3"),
                                    (["--up", "--down", "--depth", "1"], "?direction=both&depth=1")):
                    cli = self.ws.json_lines("impact", key, "--json", *args)
                    self.assertEqual(len(cli), 1)
                    status, api = get(serve.base, "/api/v1/instances/%s/impact%s" % (ids[key], query))
                    self.assertEqual(status, 200)
                    self.assertEqual(cli[0], api, (key, args))
            # By UUID too, and the text form names the hits.
            by_uuid = self.ws.json_lines("impact", ids[satellite], "--json")[0]
            self.assertEqual(by_uuid["instance"]["key"], satellite)
            text = self.ws.run("impact", satellite, check=0).stdout
            self.assertIn("down: ", text)
            self.assertIn("up: ", text)
            for hit in by_uuid["down"]["hits"]:
                self.assertIn(hit["key"], text)
            only_down = self.ws.run("impact", satellite, "--down", check=0).stdout
            self.assertNotIn("\nup: ", only_down)
        finally:
            self.assertEqual(serve.stop(), 0)

    def test_impact__bad_arguments(self):
        self.sync_sim(services=10, carriers=6, resources=20)
        for args, word in ((["car-00000000", "--depth", "0"], "--depth"),
                           (["car-00000000", "--depth", "17"], "--depth"),
                           (["car-00000000", "--depth", "x"], "--depth"),
                           (["car-00000000", "--sideways"], "sideways"),
                           ([], "KEY"),
                           (["car-00000000", "extra"], "extra")):
            p = self.ws.run("impact", *args)
            self.assertEqual(p.returncode, 64, (args, p.stderr))
            self.assertIn(word, p.stderr)
            self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        p = self.ws.run("impact", "no-such-key")
        self.assertEqual(p.returncode, 1)
        self.assertIn("no-such-key", p.stderr)
        ids = self.ids()
        serve = self.serve()
        try:
            base = "/api/v1/instances/%s/impact" % ids["car-00000000"]
            for query, word in (("?depth=0", "depth"), ("?depth=17", "depth"), ("?depth=two", "depth"),
                                ("?direction=sideways", "direction"), ("?hops=2", "hops")):
                status, body = get(serve.base, base + query)
                self.assertEqual(status, 400, query)
                self.assertIn(word, body["message"])
            status, body = get(serve.base, "/api/v1/instances/00000000-0000-0000-0000-000000000000/impact")
            self.assertEqual(status, 404)
        finally:
            self.assertEqual(serve.stop(), 0)

    def test_impact__cycles_dangling_and_parent_child(self):
        src = PagedSource()
        try:
            def svc(i, *rels, **extra):
                item = {"id": i, "@type": "Service", "state": "active",
                        "serviceRelationship": [{"relationshipType": t, "service": {"id": r}} for t, r in rels]}
                item.update(extra)
                return item
            src.services = [
                svc("svc-A", ("reliesOn", "svc-B")),
                svc("svc-B", ("reliesOn", "svc-A")),
                svc("svc-C", ("reliesOn", "svc-A"), supportingResource=[{"id": "res-missing"}, {"id": "res-1"}]),
                svc("car-P", ("child", "car-K"), **{"@type": "element"}),
                svc("car-K", ("parent", "car-P"), **{"@type": "element"}),
                svc("car-Q", ("child", "car-L"), **{"@type": "element"}),  # only the parent names the link
                svc("car-L", **{"@type": "element"}),
            ]
            src.resources = [{"id": "res-1", "@type": "Antenna", "resourceStatus": "available"}]
            self.ws.write_config([(n, dict(k, url=src.stub.base + k["url"][len("BASE"):]))
                                  for n, k in tmf_sources("BASE")])
            self.ws.run("sync", "--once", check=0)
            a = self.ws.json_lines("impact", "svc-A", "--json")[0]
            self.assertEqual(hits_by_key(a["down"]), {"svc-B": 1, "svc-C": 1})
            self.assertEqual(hits_by_key(a["up"]), {"svc-B": 1})
            for direction in ("down", "up"):
                self.assertEqual(a[direction]["cycleCount"], 1, a[direction])
                cycle = [step["key"] for step in a[direction]["cycles"][0]["path"]]
                self.assertEqual(cycle, ["svc-A", "svc-B", "svc-A"])
            c = self.ws.json_lines("impact", "svc-C", "--up", "--json")[0]
            self.assertEqual(hits_by_key(c["up"]), {"svc-A": 1, "svc-B": 2, "res-1": 1})
            self.assertEqual(c["up"]["danglingCount"], 1)
            self.assertEqual([(d["from"]["key"], d["field"], d["ref"]) for d in c["up"]["dangling"]],
                             [("svc-C", "supportingResource", "res-missing")])
            self.assertIn("dangling: Service svc-C field supportingResource names 'res-missing'",
                          self.ws.run("impact", "svc-C", check=0).stdout)
            # A child carrier depends on its parent, whichever of the two holds the link.
            for parent, child in (("car-P", "car-K"), ("car-Q", "car-L")):
                p = self.ws.json_lines("impact", parent, "--json")[0]
                self.assertEqual((hits_by_key(p["down"]), hits_by_key(p["up"])), ({child: 1}, {}))
                k = self.ws.json_lines("impact", child, "--json")[0]
                self.assertEqual((hits_by_key(k["down"]), hits_by_key(k["up"])), ({}, {parent: 1}))
                self.assertEqual((p["down"]["cycleCount"], k["up"]["cycleCount"]), (0, 0))
            # Depth limits.
            self.assertEqual(hits_by_key(self.ws.json_lines("impact", "svc-C", "--up", "--depth", "1", "--json")[0]
                                         ["up"]), {"svc-A": 1, "res-1": 1})
        finally:
            src.stop()

    def test_impact__removed_instances_and_the_index_kept_by_writes(self):
        sim = self.sync_sim(services=60, carriers=30, resources=100)
        ids = self.ids()
        self.ws.run("impact", "car-00000000", check=0)  # builds the index
        con = sqlite3.connect(self.ws.db)
        edges_before = con.execute("SELECT count(*) FROM edge").fetchone()[0]
        self.assertGreater(edges_before, 0)
        # An unchanged resync writes nothing, index included.
        self.ws.run("sync", "--once", check=0)
        run = self.ws.json_lines("runs", "--json", "--limit", "1")[0]
        self.assertEqual([s["writes"] for s in run["sources"]], [0, 0], run)
        self.assertEqual(con.execute("SELECT count(*) FROM edge").fetchone()[0], edges_before)
        self.assertEqual(con.execute("SELECT count(*) FROM edge_dirty").fetchone()[0], 0)
        # The writes of runs are noted (an instance written twice too: two epochs, and the
        # end-of-run evaluation of references), and the next impact brings the index up to date.
        for _ in range(2):
            sim.post("/_sim/epoch")
            self.ws.run("sync", "--once", check=0)
            run = self.ws.json_lines("runs", "--json", "--limit", "1")[0]
            self.assertTrue(run["complete"], run)
        # One instance written twice before the next impact (a trigger's OR IGNORE gives way to
        # the upsert's ABORT: the second write failed, UNIQUE constraint on edge_dirty).
        self.ws.run("set", "svc-00000001", "note=one", check=0)
        self.ws.run("set", "svc-00000001", "note=two", check=0)
        self.assertGreater(con.execute("SELECT count(*) FROM edge_dirty").fetchone()[0], 0)
        self.ws.run("impact", "car-00000000", check=0)
        self.assertEqual(con.execute("SELECT count(*) FROM edge_dirty").fetchone()[0], 0)
        # Every instance's rows are exactly the values of its reference fields.
        fields = dict(con.execute("SELECT definition || '.' || field, 1 FROM edge_field"))
        want = set()
        for iid, definition, values in con.execute("SELECT id, definition, fields FROM instance"):
            for name, value in json.loads(values).items():
                if definition + "." + name in fields:
                    for v in value if isinstance(value, list) else [value]:
                        if isinstance(v, str):
                            want.add((v, iid, name))
        self.assertEqual(set(con.execute("SELECT ref, src, field FROM edge")), want)
        removed = con.execute("SELECT key, json_extract(fields, '$.transponder') FROM instance"
                              " WHERE definition = 'Carrier' AND removed = 1").fetchall()
        con.close()
        self.assertTrue(removed)
        for key, transponder in removed:
            answer = self.ws.json_lines("impact", transponder, "--down", "--depth", "1", "--json")[0]
            hit = next(h for h in answer["down"]["hits"] if h["key"] == key)
            self.assertEqual((hit["removed"], hit["id"]), (True, ids[key]))
            self.assertIn("[removed]", self.ws.run("impact", transponder, "--down", "--depth", "1", check=0).stdout)


if __name__ == "__main__":
    main()
