"""The object-model API (/api/v1/) and the operations endpoints (/healthz, /readyz,
/metrics) of `tmfinv serve`, black-box: the simulator, the real daemon on an ephemeral
loopback port, and the CLI's JSON output as the reference for what the store holds.

Every endpoint and parameter, every error with its status and TMF Error body, POST
/api/v1/sync (202, then 409 while a run is going on), /readyz before and after a complete
sync and after [http] ready_max_age, /metrics against `tmfinv runs --json` and `summary
--json`, bearer-token roles on these routes."""

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tmfinv_testlib import BIN, Serve, TestCase, main  # noqa: E402

JSON_TYPE = "application/json;charset=utf-8"


class ApiTestCase(TestCase):
    """Starts a simulator and `serve`; tearDown stops serve and asserts exit 0."""

    token = None
    sim_args = ()

    def setUp(self):
        super().setUp()
        self.server = None

    def tearDown(self):
        try:
            if self.server:
                self.assertEqual(self.server.stop(), 0, "serve did not exit 0 on SIGTERM")
        finally:
            super().tearDown()

    def start(self, sim=None, http="", sync="[sync]\ninterval = 3600\n", sources=None, wait=True, **source_keys):
        self.s = sim or self.sim(*self.sim_args)
        if sources is None:
            services = {"api": "tmf638", "url": self.s.base + "/tmf638/service", "paging": "page", "page_size": "40"}
            resources = {"api": "tmf639", "url": self.s.base + "/tmf639/resource", "paging": "page",
                         "page_size": "40"}
            services.update(source_keys)
            resources.update(source_keys)
            sources = [("services", services), ("resources", resources)]
        self.ws.write_config(sources, extra="\n[http]\nlisten = 127.0.0.1:0\n" + http + "\n" + sync)
        self.server = Serve(self.ws.config)
        if wait:
            self.wait_runs(1)

    def request(self, method, path, token=None, data=None):
        """(status, headers, body bytes) of a request to the server."""
        headers = {}
        token = token if token is not None else self.token
        if token:
            headers["Authorization"] = "Bearer " + token
        req = urllib.request.Request(self.server.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            body = e.read()
            e.close()
            return e.code, e.headers, body

    def get(self, path, status=200, **kw):
        code, headers, body = self.request("GET", path, **kw)
        self.assertEqual(code, status, "GET %s: %s" % (path, body[:400]))
        if headers.get("Content-Type", "").startswith("application/json"):
            self.assertEqual(headers["Content-Type"], JSON_TYPE)
            return json.loads(body), headers
        return body.decode(), headers

    def error(self, method, path, status, mentions=None, **kw):
        """Asserts a TMF Error answer with `status` whose message mentions `mentions`."""
        code, headers, body = self.request(method, path, **kw)
        self.assertEqual(code, status, "%s %s: %s" % (method, path, body[:400]))
        self.assertEqual(headers["Content-Type"], JSON_TYPE)
        e = json.loads(body)
        self.assertIsInstance(e.get("code"), str)
        self.assertIsInstance(e.get("reason"), str)
        self.assertEqual(e.get("status"), str(status))
        if mentions:
            self.assertIn(mentions, e.get("message", ""), e)
        return e

    def wait_runs(self, n, complete_only=False, timeout=60):
        """Waits until n runs have ended (read through the API)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            code, _, body = self.request("GET", "/api/v1/runs")
            if code == 200:
                runs = json.loads(body)["items"]
                ended = [r for r in runs if r["ended"] and (r["complete"] or not complete_only)]
                if len(ended) >= n:
                    return runs
            time.sleep(0.1)
        self.fail("fewer than %d runs ended within %d s" % (n, timeout))

    def wait_until(self, condition, what, timeout=30):
        deadline = time.time() + timeout
        while not condition():
            if time.time() > deadline:
                self.fail("timed out waiting for " + what)
            time.sleep(0.05)

    def page_all(self, path, limit=37):
        """Every item of a paged list, page by page."""
        items, offset = [], 0
        sep = "&" if "?" in path else "?"
        while True:
            page, headers = self.get("%s%soffset=%d&limit=%d" % (path, sep, offset, limit))
            self.assertEqual(int(headers["X-Total-Count"]), page["total"])
            self.assertEqual((page["offset"], page["limit"]), (offset, limit))
            items.extend(page["items"])
            offset += limit
            if offset >= page["total"]:
                self.assertEqual(len(items), page["total"])
                return items


class ObjectModelApi(ApiTestCase):
    def test_definitions(self):
        self.start()
        defs, _ = self.get("/api/v1/definitions")
        cli = self.ws.json_lines("definitions", "--json")
        self.assertEqual([d["name"] for d in defs], [d["name"] for d in cli])
        for d, c in zip(defs, cli):
            for k in ("profile", "api", "key", "status", "statuses"):
                self.assertEqual(d[k], c[k], k)
            self.assertEqual([s["name"] for s in d["sections"]], [s["name"] for s in c["sections"]])
            for s, cs in zip(d["sections"], c["sections"]):
                for f, cf in zip(s["fields"], cs["fields"]):
                    for k in ("name", "type", "list", "required", "owner"):
                        self.assertEqual(f[k], cf[k])
                    if "from" in cf:
                        self.assertEqual(f["from"][0], cf["from"])
                    else:
                        self.assertEqual(f["from"], [])
            one, _ = self.get("/api/v1/definitions/" + d["name"])
            self.assertEqual(one, d)
        by_name = {d["name"]: d for d in defs}
        # The ses rules, as docs/object-model.md states them.
        self.assertEqual(by_name["Service"]["keepStatuses"], ["Operational"])
        self.assertEqual(by_name["Carrier"]["dropStatuses"], ["Deprecated"])
        self.assertEqual(by_name["Carrier"]["match"], {"path": "@type", "values": ["element"], "negate": False})
        self.assertIn("Card", by_name["Resource"]["exclude"]["types"])
        status = [f for s in by_name["Resource"]["sections"] for f in s["fields"] if f["name"] == "status"][0]
        self.assertEqual(status["ownerWhen"][0]["owner"], "initial")
        polar = [f for s in by_name["Carrier"]["sections"] for f in s["fields"] if f["name"] == "polarisation"][0]
        self.assertEqual(polar["type"], "enum")
        self.assertIn("LHCP", polar["values"])
        self.error("GET", "/api/v1/definitions/Nothing", 404, "Nothing")

    def test_instances_match_cli_query(self):
        self.start(http="default_limit = 25\nmax_limit = 100\n")
        for d in ("Service", "Carrier", "Resource"):
            api = self.page_all("/api/v1/definitions/%s/instances" % d)
            self.assertEqual(api, self.ws.json_lines("query", d, "--json"), d)
            self.assertEqual(len(api), self.ws.count(d))
        page, headers = self.get("/api/v1/definitions/Resource/instances")
        self.assertEqual((page["limit"], len(page["items"]), page["offset"]), (25, 25, 0))
        self.assertEqual(int(headers["X-Total-Count"]), self.ws.count("Resource"))
        page, _ = self.get("/api/v1/definitions/Resource/instances?limit=0")
        self.assertEqual((page["items"], page["total"]), ([], self.ws.count("Resource")))
        page, _ = self.get("/api/v1/definitions/Resource/instances?offset=100000")
        self.assertEqual(page["items"], [])
        self.get("/api/v1/definitions/Resource/instances?limit=100")
        for bad, name in (("limit=101", "limit"), ("limit=-1", "limit"), ("limit=ten", "limit"),
                          ("offset=-1", "offset"), ("offset=x", "offset"), ("removed=maybe", "removed"),
                          ("sort=nosuch", "nosuch"), ("sort=", "sort"), ("sort=key,", "sort"),
                          ("nosuch=1", "nosuch"), ("uplinkFrequency=abc", "uplinkFrequency")):
            self.error("GET", "/api/v1/definitions/Carrier/instances?" + bad, 400, name)
        self.error("GET", "/api/v1/definitions/Nothing/instances", 404, "Nothing")

    def test_filters(self):
        self.start()
        carriers = self.ws.json_lines("query", "Carrier", "--json")
        c = [i for i in carriers if i["fields"].get("supportingService") and "uplinkFrequency" in i["fields"]][0]
        c = c["fields"]
        cases = [
            ("polarisation=LHCP", ["polarisation=LHCP"]),
            ("uplinkFrequency=%s" % c["uplinkFrequency"], ["uplinkFrequency=%s" % c["uplinkFrequency"]]),
            ("supportingService=%s" % c["supportingService"][0], ["supportingService=%s" % c["supportingService"][0]]),
            ("status=Down", ["status=Down"]),
            ("polarisation=LHCP&status=Operational", ["polarisation=LHCP", "status=Operational"]),
        ]
        for query, wheres in cases:
            args = ["query", "Carrier", "--json"]
            for w in wheres:
                args += ["--where", w]
            expected = self.ws.json_lines(*args)
            self.assertTrue(expected, query)
            got = self.page_all("/api/v1/definitions/Carrier/instances?" + query, limit=1000)
            self.assertEqual(got, expected, query)
        # A list field "contains"; a typed value that matches nothing is an empty page.
        for item in self.page_all("/api/v1/definitions/Carrier/instances?supportingService=" +
                                  c["supportingService"][0]):
            self.assertIn(c["supportingService"][0], item["fields"]["supportingService"])
        page, _ = self.get("/api/v1/definitions/Carrier/instances?uplinkFrequency=1.5")
        self.assertEqual(page["total"], 0)
        self.error("GET", "/api/v1/definitions/Carrier/instances?polarisation=Sideways", 400, "polarisation")

    def test_search_is_a_key_prefix(self):
        self.start()
        keys = [i["key"] for i in self.ws.json_lines("query", "Carrier", "--json")]
        self.assertGreater(len(keys), 10)
        for prefix in (keys[0][:-1], keys[0][:-2], keys[len(keys) // 2], keys[0][:1]):
            got = [i["key"] for i in self.page_all("/api/v1/definitions/Carrier/instances?search=" +
                                                   urllib.parse.quote(prefix), limit=1000)]
            self.assertEqual(got, sorted(k for k in keys if k.startswith(prefix)), prefix)
            self.assertTrue(got, prefix)
        # Byte for byte: another case, or a prefix past every key, finds nothing.
        for prefix in (keys[0].lower(), keys[0] + "\u00e9", "\U0010ffff"):
            page, _ = self.get("/api/v1/definitions/Carrier/instances?search=" + urllib.parse.quote(prefix))
            self.assertEqual(page["total"], 0, prefix)

    def test_sort(self):
        self.start()
        base = "/api/v1/definitions/Carrier/instances?limit=1000"
        by_key = self.get(base)[0]["items"]
        self.assertEqual([i["key"] for i in by_key], sorted(i["key"] for i in by_key))
        desc = self.get(base + "&sort=-key")[0]["items"]
        self.assertEqual([i["key"] for i in desc], [i["key"] for i in reversed(by_key)])
        got = self.get(base + "&sort=-uplinkFrequency")[0]["items"]
        # Ties by key in the direction of the last sort key (descending here): one index
        # read backwards serves the whole order (decision 81).
        expected = sorted(by_key, key=lambda i: i["key"], reverse=True)
        expected.sort(key=lambda i: -i["fields"].get("uplinkFrequency", float("-inf")))
        self.assertEqual([i["key"] for i in got], [i["key"] for i in expected])
        got = self.get(base + "&sort=status,%2Bpolarisation")[0]["items"]
        expected = sorted(by_key, key=lambda i: (i["status"], i["fields"].get("polarisation", ""), i["key"]))
        self.assertEqual([i["key"] for i in got], [i["key"] for i in expected])
        # Pages of a sorted list put together are the whole list.
        paged = self.page_all("/api/v1/definitions/Carrier/instances?sort=-modified,status", limit=9)
        whole = self.get(base + "&sort=-modified,status")[0]["items"]
        self.assertEqual(paged, whole)
        self.assertEqual(sorted(i["key"] for i in whole), [i["key"] for i in by_key])

    def test_instance_and_history(self):
        self.start()
        inst = self.ws.json_lines("query", "Resource", "--json", "--where", "type=Modem")[0]
        shown = self.ws.json_lines("show", inst["id"], "--json")[0]
        one, _ = self.get("/api/v1/instances/" + inst["id"])
        by_key, _ = self.get("/api/v1/definitions/Resource/instances/" + inst["key"])
        self.assertEqual(one, by_key)
        sections = one.pop("sections")
        self.assertEqual(one, shown)
        definition, _ = self.get("/api/v1/definitions/Resource")
        self.assertEqual([s["name"] for s in sections], [s["name"] for s in definition["sections"]])
        for s, ds in zip(sections, definition["sections"]):
            self.assertEqual([f["name"] for f in s["fields"]], [f["name"] for f in ds["fields"]])
            for f in s["fields"]:
                self.assertEqual(f["value"], shown["fields"].get(f["name"]))
        owners = {f["name"]: f["owner"] for s in sections for f in s["fields"]}
        self.assertEqual(owners["status"], "initial")  # a modem's status
        self.assertEqual(owners["note"], "local")
        self.assertEqual(owners["name"], "source")

        # A synced instance's history starts with its creation (@created, the source's name).
        history, _ = self.get("/api/v1/instances/%s/history" % inst["id"])
        self.assertEqual([(h["field"], h["before"], h["after"]) for h in history], [("@created", None, inst["source"])])
        self.ws.run("set", inst["id"], "note=checked by the API test", check=0)
        self.ws.run("set", inst["id"], "status=Maintenance", check=0)
        history, _ = self.get("/api/v1/instances/%s/history" % inst["id"])
        self.assertEqual(history, self.ws.json_lines("history", inst["id"], "--json"))
        self.assertEqual([(h["field"], h["after"]) for h in history],
                         [("@created", inst["source"]), ("note", "checked by the API test"), ("status", "Maintenance")])
        self.assertEqual(self.get("/api/v1/definitions/Resource/instances/%s/history" % inst["key"])[0], history)
        one, _ = self.get("/api/v1/instances/" + inst["id"])
        self.assertEqual(one["status"], "Maintenance")

        self.error("GET", "/api/v1/instances/00000000-0000-0000-0000-000000000000", 404, "00000000")
        self.error("GET", "/api/v1/instances/nope/history", 404, "nope")
        self.error("GET", "/api/v1/definitions/Resource/instances/no-such-key", 404, "no-such-key")
        self.error("GET", "/api/v1/definitions/Resource/instances/no-such-key/history", 404, "no-such-key")
        self.error("GET", "/api/v1/definitions/Nothing/instances/x", 404, "Nothing")

    def test_removed_instances(self):
        self.start()
        self.s.post("/_sim/epoch")
        code, _, body = self.request("POST", "/api/v1/sync")
        self.assertEqual((code, json.loads(body)), (202, {"status": "started"}))
        self.wait_runs(2)
        for d in ("Service", "Carrier", "Resource"):
            active = self.get("/api/v1/definitions/%s/instances?limit=0" % d)[0]["total"]
            everything = self.page_all("/api/v1/definitions/%s/instances?removed=all" % d, limit=500)
            removed = self.page_all("/api/v1/definitions/%s/instances?removed=true" % d, limit=500)
            self.assertEqual(active, self.ws.count(d))
            self.assertEqual(everything, self.ws.json_lines("query", d, "--all", "--json"))
            self.assertEqual(len(everything), active + len(removed))
            self.assertTrue(all(i["removed"] and i["removedReason"] for i in removed))
            self.assertEqual(self.get("/api/v1/definitions/%s/instances?removed=false&limit=0" % d)[0]["total"],
                             active)
        self.assertTrue(self.page_all("/api/v1/definitions/Resource/instances?removed=true"))

    def test_rejected(self):
        self.start(sim=self.sim("--bad-items", "0.05"))
        for kind in ("rejected", "duplicate", "empty_key", "all"):
            expected = self.ws.json_lines("rejected", "--kind", kind, "--json")
            self.assertTrue(expected, kind)
            self.assertEqual(self.page_all("/api/v1/rejected?kind=" + kind, limit=7), expected, kind)
        default, headers = self.get("/api/v1/rejected")
        self.assertEqual(default["items"], self.ws.json_lines("rejected", "--json"))
        self.assertEqual(int(headers["X-Total-Count"]), len(default["items"]))
        self.assertEqual(self.get("/api/v1/rejected?kind=all&limit=0")[0]["items"], [])
        self.error("GET", "/api/v1/rejected?kind=odd", 400, "kind")
        self.error("GET", "/api/v1/rejected?limit=x", 400, "limit")
        self.error("GET", "/api/v1/rejected?offset=-2", 400, "offset")
        self.error("GET", "/api/v1/rejected?colour=red", 400, "colour")

    def test_runs(self):
        self.start()
        self.assertEqual(self.request("POST", "/api/v1/sync")[0], 202)
        self.wait_runs(2)
        cli = self.ws.json_lines("runs", "--json")
        self.assertEqual(len(cli), 2)
        self.assertEqual(self.page_all("/api/v1/runs", limit=1), cli)
        page, headers = self.get("/api/v1/runs")
        self.assertEqual((page["items"], page["total"], headers["X-Total-Count"]), (cli, 2, "2"))
        for run in cli:
            self.assertEqual(self.get("/api/v1/runs/%d" % run["id"])[0], run)
        self.error("GET", "/api/v1/runs/99", 404, "99")
        self.error("GET", "/api/v1/runs/abc", 400, "abc")
        self.error("GET", "/api/v1/runs/0", 400, "0")
        self.error("GET", "/api/v1/runs?limit=100001", 400, "limit")
        self.error("GET", "/api/v1/runs?kind=full", 400, "kind")

    def test_sync_conflict(self):
        # About 16 pages at 250 ms each, one at a time: the first run lasts seconds.
        self.start(sim=self.sim("--latency-ms", "250"), wait=False, concurrency="1")
        self.wait_until(lambda: self.get("/api/v1/runs")[0]["total"] == 1, "the first run to begin")
        e = self.error("POST", "/api/v1/sync", 409, "running")
        self.assertEqual(e["reason"], "Conflict")
        runs = self.wait_runs(1)
        self.assertEqual(len(runs), 1)
        code, _, body = self.request("POST", "/api/v1/sync")
        self.assertEqual((code, json.loads(body)), (202, {"status": "started"}))
        self.error("POST", "/api/v1/sync", 409)
        self.wait_until(lambda: "tmfinv_sync_running 1\n" in self.get("/metrics")[0], "the second run to start")
        runs = self.wait_runs(2)
        self.assertEqual([r["kind"] for r in runs], ["full", "full"])
        self.assertTrue(runs[0]["complete"])
        self.error("GET", "/api/v1/sync", 405)

    def test_openapi_document(self):
        self.start()
        doc, headers = self.get("/api/v1/openapi.json")
        self.assertTrue(doc["openapi"].startswith("3.0."))
        self.assertEqual(doc["servers"], [{"url": self.server.base + "/api/v1"}])
        for path in ("/definitions", "/definitions/{name}", "/definitions/{name}/instances",
                     "/definitions/{name}/instances/{key}", "/definitions/{name}/instances/{key}/history",
                     "/instances/{id}", "/instances/{id}/history", "/rejected", "/runs", "/runs/{id}", "/sync",
                     "/openapi.json"):
            self.assertIn(path, doc["paths"])
        self.assertEqual(doc["components"]["securitySchemes"]["bearerAuth"]["scheme"], "bearer")
        self.assertIn("Error", doc["components"]["schemas"])


class Operations(ApiTestCase):
    def test_healthz(self):
        self.start()
        body, headers = self.get("/healthz")
        self.assertEqual(body, "ok\n")

    def test_readyz_before_and_after_complete_sync(self):
        # Page 1 of every collection fails: no run can be complete.
        failing = self.sim("--fail-page", "1")
        self.start(sim=failing, retries="0")
        self.wait_runs(1)
        code, headers, body = self.request("GET", "/readyz")
        self.assertEqual(code, 503, body)
        self.assertEqual(headers["Content-Type"], JSON_TYPE)
        r = json.loads(body)
        self.assertFalse(r["ready"])
        self.assertTrue(r["store"]["ok"])
        self.assertFalse(r["sync"]["ok"])
        self.assertIn("no complete sync", r["sync"]["message"])
        self.assertEqual(self.server.stop(), 0)
        # Same store, a good source, a short ready_max_age.
        self.server = None
        self.start(http="ready_max_age = 2\n")
        runs = self.wait_runs(1, complete_only=True)
        r, _ = self.get("/readyz")
        self.assertTrue(r["ready"] and r["store"]["ok"] and r["sync"]["ok"], r)
        self.assertEqual(r["sync"]["maxAgeSeconds"], 2)
        self.assertTrue(r["sync"]["lastComplete"].startswith(runs[0]["ended"][:19]))
        time.sleep(3.2)
        code, _, body = self.request("GET", "/readyz")
        r = json.loads(body)
        self.assertEqual(code, 503, body)
        self.assertTrue(r["store"]["ok"])
        self.assertFalse(r["sync"]["ok"])
        self.assertIn("old", r["sync"]["message"])
        self.assertGreaterEqual(r["sync"]["ageSeconds"], 3)

    def test_readyz_survives_a_restart(self):
        self.start()
        self.assertEqual(self.server.stop(), 0)
        # The only source now fails: readiness comes from the complete run in the store.
        self.server = None
        failing = self.sim("--fail-page", "1")
        self.start(sim=failing, retries="0")
        r, _ = self.get("/readyz")
        self.assertTrue(r["ready"], r)

    def test_metrics(self):
        self.start(sim=self.sim("--bad-items", "0.05", "--fault-rate", "0.2", "--retry-after", "0"),
                   retry_delay_ms="1")
        self.assertEqual(self.request("POST", "/api/v1/sync")[0], 202)
        self.wait_runs(2)
        text, headers = self.get("/metrics")
        self.assertEqual(headers["Content-Type"], "text/plain; version=0.0.4; charset=utf-8")
        samples, types = parse_prometheus(self, text)
        runs = self.ws.json_lines("runs", "--json")
        for source in ("services", "resources"):
            figures = [s for r in runs for s in r["sources"] if s["name"] == source]

            def total(k):
                return sum(f[k] for f in figures)

            def value(name, **labels):
                labels["source"] = source
                return samples[(name, tuple(sorted(labels.items())))]

            self.assertEqual(value("tmfinv_source_runs_total", outcome="complete"),
                             sum(1 for f in figures if f["complete"]))
            self.assertEqual(value("tmfinv_source_runs_total", outcome="incomplete") +
                             value("tmfinv_source_runs_total", outcome="error"),
                             sum(1 for f in figures if not f["complete"]))
            self.assertEqual(value("tmfinv_source_pages_total"), total("pages"))
            self.assertEqual(value("tmfinv_source_failed_pages_total"), total("failedPages"))
            self.assertEqual(value("tmfinv_source_items_received_total"), total("items"))
            self.assertEqual(value("tmfinv_source_requests_total"), total("requests"))
            for outcome, key in (("created", "created"), ("updated", "updated"), ("unchanged", "unchanged"),
                                 ("removed", "removed"), ("dropped", "dropped"), ("duplicate", "duplicates"),
                                 ("empty_key", "emptyKeys"), ("excluded", "excluded"), ("rejected", "rejected")):
                self.assertEqual(value("tmfinv_source_items_total", outcome=outcome), total(key), outcome)
            for status in ("429", "500", "502", "503", "504", "other"):
                self.assertEqual(value("tmfinv_source_retries_total", status=status),
                                 sum(f["retriesByStatus"][status] for f in figures), status)
            self.assertEqual(sum(value("tmfinv_source_retries_total", status=s)
                                 for s in ("429", "500", "502", "503", "504", "other")), total("retries"))
            if any(f["complete"] for f in figures):
                self.assertGreater(value("tmfinv_source_last_success_timestamp_seconds"), time.time() - 120)
            self.assertGreaterEqual(value("tmfinv_source_last_run_duration_seconds"), 0)
        self.assertGreater(sum(v for (n, _), v in samples.items() if n == "tmfinv_source_retries_total"), 0)
        self.assertGreater(sum(v for (n, l), v in samples.items()
                               if n == "tmfinv_source_items_total" and ("outcome", "rejected") in l), 0)
        for g in self.ws.json_lines("summary", "--json"):
            name = "tmfinv_instances_removed" if g["removed"] else "tmfinv_instances"
            key = (name, tuple(sorted({"definition": g["definition"], "status": g["status"] or ""}.items())))
            self.assertEqual(samples[key], g["count"], key)
        self.assertEqual(samples[("tmfinv_sync_running", ())], 0)
        self.assertEqual(types["tmfinv_source_runs_total"], "counter")
        self.assertEqual(types["tmfinv_instances"], "gauge")
        self.assertEqual(types["tmfinv_http_request_duration_seconds"], "histogram")

        def requests_of(route):
            s, _ = parse_prometheus(self, self.get("/metrics")[0])
            return sum(v for (n, l), v in s.items()
                       if n == "tmfinv_http_requests_total" and ("route", route) in l and ("status", "200") in l)

        before = requests_of("om_definitions")
        for _ in range(3):
            self.get("/api/v1/definitions")
        self.assertEqual(requests_of("om_definitions"), before + 3)
        self.error("GET", "/api/v1/definitions/Nothing", 404)
        s, _ = parse_prometheus(self, self.get("/metrics")[0])
        self.assertGreaterEqual(s[("tmfinv_http_requests_total", (("route", "om_definition"), ("status", "404")))], 1)


def parse_prometheus(test, text):
    """Parses the text format 0.0.4: {(name, sorted labels): value}, {family: type}.
    Checks every sample belongs to a family declared by # HELP and # TYPE before it."""
    samples, types, helps = {}, {}, set()
    for line in text.splitlines():
        if not line:
            continue
        if line.startswith("# HELP "):
            helps.add(line.split(" ")[2])
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            test.assertIn(kind, ("counter", "gauge", "histogram"))
            test.assertIn(name, helps)
            types[name] = kind
            continue
        test.assertFalse(line.startswith("#"), line)
        if "{" in line:
            name, rest = line.split("{", 1)
            label_text, value = rest.rsplit("} ", 1)
            labels = []
            while label_text:
                k, rest = label_text.split("=\"", 1)
                v, i = "", 0
                while rest[i] != "\"":
                    if rest[i] == "\\":
                        i += 1
                    v += rest[i]
                    i += 1
                labels.append((k, v))
                label_text = rest[i + 1:].lstrip(",")
        else:
            name, value = line.split(" ")
            labels = []
        # Ours, or the standard process_* family every Prometheus client exports.
        test.assertTrue(name.startswith(("tmfinv_", "process_")), name)
        family = name
        for suffix in ("_bucket", "_sum", "_count"):
            if name.endswith(suffix) and name[:-len(suffix)] in types:
                family = name[:-len(suffix)]
        test.assertIn(family, types, "sample before its # TYPE: " + line)
        key = (name, tuple(sorted(labels)))
        test.assertNotIn(key, samples, "sample repeated: " + line)
        samples[key] = float(value)
    return samples, types


class Roles(ApiTestCase):
    """With a tokens file: /healthz and /readyz are open, the rest needs a token."""

    def test_roles(self):
        tokens = os.path.join(self.ws.dir, "tokens")
        with open(tokens, "w") as f:
            for name, role, token in (("reader", "read", "read-token-1"), ("writer", "write", "write-token-1")):
                f.write("%s:%s:%s\n" % (name, role, hashlib.sha256(token.encode()).hexdigest()))
        self.token = "read-token-1"
        self.start(http="tokens_file = %s\n" % tokens)
        self.assertEqual(self.request("GET", "/healthz", token="")[0], 200)
        self.assertEqual(self.request("GET", "/readyz", token="")[0], 200)
        for path in ("/metrics", "/api/v1/definitions", "/api/v1/runs", "/api/v1/openapi.json",
                     "/api/v1/definitions/Service/instances"):
            self.error("GET", path, 401, token="")
            self.error("GET", path, 401, token="wrong")
            self.get(path)
        self.error("POST", "/api/v1/sync", 401, token="")
        self.error("POST", "/api/v1/sync", 403, "write", token="read-token-1")
        self.assertEqual(self.request("POST", "/api/v1/sync", token="write-token-1")[0], 202)
        self.wait_runs(2)


if __name__ == "__main__":
    main()
