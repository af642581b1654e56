"""Black-box tests of `tmfinv sync --once` under faults (issue 3, points 1 to 3), against
the real tmfinv and the real tmfinv-sim (or, where the simulator has no such behaviour, a
tiny stub server) over loopback:

- transient faults (--fault-rate, --malformed-rate) converge to the fault-free store, and
  the retries are counted by kind as the simulator injected them;
- Retry-After is honoured (at least the announced waits, for the whole source), and a
  source kept under the server's rate limit is never limited;
- persistent faults (--fail-page) give an incomplete run that removes nothing; items of
  the wrong shape (--bad-items) are rejected with their reason and the stored good version
  stays;
- a lying X-Total-Count neither ends a scan early nor makes it run away;
- a collection that moves under an offset scan (--shuffle) makes the run incomplete;
- concurrency 1, 8 and 16 give the same store, duplicates reports included, and the first
  occurrence in page order wins;
- the link dialect follows rel="next" (relative and absolute) and stops without one;
- a run deadline stops the run, removes nothing and says so.

The expectations are computed from the simulator's own responses (or a fault-free
simulator with the same seed, sizes and epoch, which serves the same inventory), never
from tmfinv's code."""

import http.client
import json
import os
import re
import sys
import threading
import time
import urllib.parse
from collections import Counter
from email.utils import formatdate

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tmfinv_testlib import EXCLUDED_TYPES, Sim, StubServer, TestCase, Workspace, main  # noqa: E402

SIZES = {"services": 200, "carriers": 100, "resources": 300}
PATHS = {
    "page": ("/tmf638/service", "/tmf639/resource"),
    "offset": ("/tmf-api/serviceInventory/v4/service", "/tmf-api/resourceInventoryManagement/v4/resource"),
}
FAST_RETRIES = {"retry_delay_ms": "5", "retry_max_delay_ms": "50"}


def without_times(rows):
    """Workspace.dump() rows without content_hash and modified: definition, key, status,
    removed, fields, raw."""
    return [tuple(r[:6]) for r in rows]


def write_sources(ws, base, dialect="page", page_size=40, only=None, extra="", **keys):
    """Both SES sources (or `only` one of them) of the simulator at `base`, with fast retries."""
    sources = []
    for name, api, path in (("services", "tmf638", PATHS[dialect][0]), ("resources", "tmf639", PATHS[dialect][1])):
        if only and name != only:
            continue
        s = {"api": api, "url": base + path, "paging": dialect, "page_size": str(page_size)}
        s.update(FAST_RETRIES)
        s.update(keys)
        sources.append((name, s))
    ws.write_config(sources, extra)


def http_get(address, path):
    """(status, headers, body) of one GET, or (None, None, None) when the transfer broke
    (reset, truncated body)."""
    host, port = address.rsplit(":", 1)
    conn = http.client.HTTPConnection(host.strip("[]"), int(port), timeout=30)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.headers, r.read()
    except (OSError, http.client.HTTPException):
        return None, None, None
    finally:
        conn.close()


def json_list(body):
    try:
        v = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return v if isinstance(v, list) else None


class Stub(StubServer):
    """A StubServer whose handler(path) -> (status, [(header, value)], body bytes) serves
    JSON; `log` lists the requests as (monotonic time, path with query)."""

    def __init__(self, handler):
        def answer(method, path, headers, body):
            status, extra, data = handler(path)
            return status, list(extra) + [("Content-Type", "application/json;charset=utf-8")], data

        super().__init__(answer)

    @property
    def log(self):
        with self.lock:
            return [(t, path) for t, _, path, _ in self.requests]


def query_of(path):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(path).query))


RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def expected_rejections(services, resources):
    """(source, item id, field) of every item of the wrong shape that the SES rules, applied
    in their documented order (key, de-duplication, exclusion, status rules, validation),
    must reject. Non-object items have field "" and the id they carry (a string item is its
    id; an array wraps the item)."""
    out = []
    seen = {"Service": set(), "Carrier": set(), "Resource": set()}
    for source, items in (("services", services), ("resources", resources)):
        for item in items:
            if not isinstance(item, dict):
                ident = item if isinstance(item, str) else next(
                    (i.get("id") for i in item if isinstance(i, dict)), None) if isinstance(item, list) else None
                out.append((source, ident, ""))
                continue
            if source == "services":
                definition = "Carrier" if item.get("@type") == "element" else "Service"
                key = item.get("externalId")
                if key is not None and not isinstance(key, str):
                    out.append((source, item["id"], "externalId"))
                    continue
                if not key:
                    continue  # an empty key, not a wrong shape
            else:
                definition, key = "Resource", item.get("id")
            if key in seen[definition]:
                continue  # the first occurrence wins
            seen[definition].add(key)
            if definition == "Resource" and item.get("@type") in EXCLUDED_TYPES:
                continue
            status = item.get("status")
            if "status" in item and not isinstance(status, str):
                out.append((source, item["id"], "status"))
                continue
            kept = status == "Operational" if definition == "Service" else status != "Deprecated"
            if not kept:
                continue  # dropped by the status rules before validation
            chars = "serviceCharacteristic" if source == "services" else "resourceCharacteristic"
            if "externalId" in item and not isinstance(item["externalId"], str):
                out.append((source, item["id"], "externalId"))
            elif "lastUpdate" in item and not (isinstance(item["lastUpdate"], str)
                                               and RFC3339.match(item["lastUpdate"])):
                out.append((source, item["id"], "lastUpdate"))
            elif chars in item and not isinstance(item[chars], list):
                out.append((source, item["id"], chars))
    return out


def wrong_shape_ids(items):
    """Ids of the items of the wrong shape in a list as served (any of the simulator's six)."""
    ids = set()
    for item in items:
        if isinstance(item, str):
            ids.add(item)
        elif isinstance(item, list):
            ids.update(i.get("id") for i in item if isinstance(i, dict))
        elif isinstance(item, dict):
            lu = item.get("lastUpdate")
            if (("status" in item and not isinstance(item["status"], str))
                    or ("externalId" in item and not isinstance(item["externalId"], str))
                    or (lu is not None and not (isinstance(lu, str) and RFC3339.match(lu)))
                    or any(k in item and not isinstance(item[k], list)
                           for k in ("serviceCharacteristic", "resourceCharacteristic"))):
                ids.add(item["id"])
    return ids


class FaultTest(TestCase):
    maxDiff = None

    def sync(self, ws=None, expect=None):
        """`sync --once`; asserts the process ended by itself with a documented exit code."""
        p = (ws or self.ws).run("sync", "--once")
        self.assertIn(p.returncode, (0, 1, 2), "tmfinv crashed or was killed: exit %d\nstderr: %s"
                      % (p.returncode, p.stderr))
        for marker in ("Sanitizer", "runtime error:", "Assertion"):
            self.assertNotIn(marker, p.stderr)
        if expect is not None:
            self.assertEqual(p.returncode, expect, "stdout: %s\nstderr: %s" % (p.stdout, p.stderr))
        return p

    def last_run(self, ws=None):
        return (ws or self.ws).json_lines("runs", "--json")[0]

    def reference(self, *sim_args, dialect="page", page_size=40, only=None, **sizes):
        """The store (without times) of a fault-free sync of a simulator with these options
        into a fresh database."""
        ws = Workspace()
        try:
            with Sim(*sim_args, **(sizes or SIZES)) as sim:
                write_sources(ws, sim.base, dialect, page_size, only)
                self.sync(ws, expect=0)
            return without_times(ws.dump())
        finally:
            ws.cleanup()

    def active(self, ws=None):
        return {(r[0], r[1]) for r in without_times((ws or self.ws).dump()) if not r[3]}

    def gone_upstream(self, epoch, sizes=None):
        """Active keys of an epoch-0 store that epoch `epoch` no longer serves."""
        with Sim("--epoch", epoch, **(sizes or SIZES)) as later:
            upstream = {i.get("externalId") for i in later.collection("/tmf638/service")}
            upstream |= {i["id"] for i in later.collection("/tmf639/resource")}
        gone = {k for k in self.active() if k[1] not in upstream}
        self.assertTrue(gone, "epoch %d removes items upstream" % epoch)
        return gone

    # ---- 1. transient faults converge -------------------------------------------------

    def test_faults__transient_faults_converge_to_the_fault_free_store(self):
        expected = self.reference()
        for args in (("--fault-rate", "0.3"), ("--malformed-rate", "0.3"),
                     ("--fault-rate", "0.3", "--malformed-rate", "0.3", "--retry-after", "1")):
            with self.subTest(args=args):
                ws = Workspace()
                try:
                    sim = self.sim(*args, **SIZES)
                    write_sources(ws, sim.base)
                    self.sync(ws, expect=0)
                    self.assertEqual(without_times(ws.dump()), expected)
                    run = self.last_run(ws)
                    self.assertTrue(run["complete"])
                    faults = sim.get("/_sim/stats")["faults"]
                    retries = sum(s["retries"] for s in run["sources"])
                    by_status = {k: sum(s["retriesByStatus"][k] for s in run["sources"])
                                 for k in ("429", "500", "502", "503", "504", "other")}
                    self.assertGreater(retries, 0)
                    self.assertEqual(retries, sum(by_status.values()), by_status)
                    # Every injected status fault was retried once, and counted under its status.
                    for k in ("429", "500", "502", "503"):
                        self.assertEqual(by_status[k], faults[k], "retries by %s: %s vs %s" % (k, by_status, faults))
                    self.assertEqual(by_status["504"], 0)
                    # Truncated and malformed bodies are retried; a reset is too, unless libcurl
                    # retried it by itself on a reused connection.
                    broken = faults["truncatedBody"] + faults["malformedBody"]
                    self.assertGreaterEqual(by_status["other"], broken, (by_status, faults))
                    self.assertLessEqual(by_status["other"], broken + faults["reset"], (by_status, faults))
                    if "--malformed-rate" in args:
                        self.assertGreater(faults["malformedBody"], 0)
                    if "--fault-rate" in args:
                        self.assertGreater(sum(faults[k] for k in ("429", "500", "502", "503")), 0)
                finally:
                    ws.cleanup()

    # ---- 2. Retry-After and rate limits ---------------------------------------------

    def test_faults__retry_after_waits_are_honoured(self):
        # With --fault-rate 1 every URL fails 3 times (or answers a slow body) before a good
        # answer. A second simulator with the same options answers the same sequence, so
        # replaying the requests tmfinv makes tells which Retry-After values it was given.
        args = ("--fault-rate", "1", "--retry-after", "1")
        sizes = {"seed": 7, "services": 10, "carriers": 5, "resources": 10}
        announced = 0
        with Sim(*args, **sizes) as twin:
            for path in PATHS["page"]:
                for _ in range(10):
                    status, headers, body = http_get(twin.address, path + "?page=1&recordsPerPage=40")
                    if status == 200 and json_list(body) is not None:
                        break
                    ra = headers.get("Retry-After") if headers else None
                    if ra and ra.isdigit():
                        announced += int(ra)  # HTTP-date values are left out: a lower bound
        self.assertGreaterEqual(announced, 2, "the seed gives Retry-After answers")
        sim = self.sim(*args, **sizes)
        write_sources(self.ws, sim.base)
        started = time.monotonic()
        self.sync(expect=0)
        elapsed = time.monotonic() - started
        self.assertGreaterEqual(elapsed, announced, "retried before the announced Retry-After")
        self.assertEqual(without_times(self.ws.dump()), self.reference(**sizes))
        self.assertGreater(sum(s["retries"] for s in self.last_run()["sources"]), 0)

    def test_faults__rate_limited_source_waits_and_converges(self):
        sim = self.sim("--rate-limit", "5", **SIZES)
        write_sources(self.ws, sim.base, only="services", concurrency="4")
        started = time.monotonic()
        self.sync(expect=0)
        elapsed = time.monotonic() - started
        limited = sim.get("/_sim/stats")["rateLimited"]
        self.assertGreater(limited, 0, "the server rate-limited the source")
        run = self.last_run()
        self.assertEqual(run["sources"][0]["retriesByStatus"]["429"], limited)
        # Each 429 says Retry-After: 1; the source pauses for it.
        self.assertGreaterEqual(elapsed, 1.0)
        self.assertEqual(without_times(self.ws.dump()), self.reference(only="services"))

    def test_faults__source_rate_limit_below_the_server_limit_is_never_limited(self):
        sim = self.sim("--rate-limit", "20", **SIZES)
        write_sources(self.ws, sim.base, concurrency="8", rate_limit="10")
        started = time.monotonic()
        self.sync(expect=0)
        elapsed = time.monotonic() - started
        self.assertEqual(sim.get("/_sim/stats")["rateLimited"], 0)
        run = self.last_run()
        for s in run["sources"]:
            self.assertEqual(s["retriesByStatus"]["429"], 0, s["name"])
        # 10 requests per second per source, one source after the other.
        min_time = sum(s["requests"] - 1 for s in run["sources"]) / 10.0
        self.assertGreaterEqual(elapsed, min_time)
        self.assertEqual(without_times(self.ws.dump()), self.reference())

    def test_faults__retry_after_pauses_the_whole_source(self):
        # A stub serving the simulator's resources in the offset dialect answers the first
        # request for page 3 with 429 Retry-After: 1 (seconds) and the first for page 6 with
        # 503 and an HTTP-date two seconds ahead.
        with Sim(**SIZES) as sim:
            items = sim.collection("/tmf639/resource")
        sent = {}
        lock = threading.Lock()

        def handler(path):
            q = query_of(path)
            offset, limit = int(q.get("offset", 0)), int(q.get("limit", 100))
            page = offset // limit + 1
            with lock:
                first = page not in sent
                if page in (3, 6) and first:
                    now = time.time()
                    sent[page] = (time.monotonic(), now)
                    if page == 3:
                        return 429, [("Retry-After", "1")], b'{"code":"429","reason":"slow down"}'
                    return 503, [("Retry-After", formatdate(int(now) + 2, usegmt=True))], b'{"code":"503"}'
                sent.setdefault(page, None)
            body = json.dumps(items[offset:offset + limit]).encode()
            return 200, [("X-Total-Count", str(len(items)))], body

        stub = Stub(handler)
        try:
            self.ws.write_config([("resources", {"api": "tmf639", "url": stub.base + "/resource", "paging": "offset",
                                                 "page_size": "40", "concurrency": "4", **FAST_RETRIES})])
            self.sync(expect=0)
        finally:
            stub.stop()
        log = stub.log
        for page, least in ((3, 1.0), (6, None)):
            t_sent, wall = sent[page]
            if least is None:
                least = int(wall) + 2 - wall - 0.01  # the date, read in whole seconds
            retries = [t for t, p in log if query_of(p).get("offset") == str((page - 1) * 40) and t > t_sent]
            self.assertTrue(retries, "page %d was tried again" % page)
            self.assertGreaterEqual(min(retries) - t_sent, least, "page %d retried too early" % page)
            # The whole source waits: no request at all starts during the pause (requests
            # already on their way when the answer arrived are allowed a short grace).
            during = [p for t, p in log if t_sent + 0.25 < t < t_sent + least]
            self.assertEqual(during, [], "requests during the Retry-After pause of page %d" % page)
        self.assertEqual(without_times(self.ws.dump()), self.reference(only="resources"))

    # ---- 3. persistent faults ---------------------------------------------------------

    def test_faults__failing_page_is_incomplete_and_removes_nothing(self):
        sim = self.sim(**SIZES)
        write_sources(self.ws, sim.base)
        self.sync(expect=0)
        sim.stop()
        before = self.active()
        gone = self.gone_upstream(1)
        failing = self.sim("--epoch", "1", "--fail-page", "2", **SIZES)
        write_sources(self.ws, failing.base, retries="2")
        p = self.sync(expect=2)
        self.assertIn("page 2", p.stderr)
        run = self.last_run()
        self.assertFalse(run["complete"])
        self.assertEqual(len(run["sources"]), 2)
        for s in run["sources"]:
            self.assertFalse(s["complete"], s["name"])
            self.assertEqual(s["removed"], 0, s["name"])
            self.assertEqual([(f["page"], f["status"], f["tries"]) for f in s["failed"]], [(2, 504, 3)], s["name"])
            self.assertIn("page=2", s["failed"][0]["url"])
        # retries = 2: three tries of page 2 in each collection, no more.
        self.assertEqual(failing.get("/_sim/stats")["faults"]["failPage"], 6)
        after = self.active()
        self.assertEqual(gone - after, set(), "items gone upstream were removed on partial evidence")
        # Nothing active before is lost except by the status rules applied to pages read.
        lost = before - after
        with Sim("--epoch", "1", **SIZES) as later:
            served = {i.get("externalId"): i for i in later.collection("/tmf638/service")}
            served.update({i["id"]: i for i in later.collection("/tmf639/resource")})
        for d, k in lost:
            item = served.get(k)
            self.assertIsNotNone(item, (d, k))
            self.assertNotEqual(item.get("status"), "Operational", (d, k))

    def test_faults__wrong_shaped_items_are_rejected_with_their_reason(self):
        sim = self.sim("--bad-items", "0.05", **SIZES)
        # What the simulator serves, read through its own HTTP answers.
        services = sim.collection("/tmf638/service")
        resources = sim.collection("/tmf639/resource")
        expected = expected_rejections(services, resources)
        shapes = {f for _, _, f in expected}
        self.assertTrue({"", "status", "lastUpdate", "externalId"} <= shapes, shapes)
        write_sources(self.ws, sim.base)
        # Items that cannot be identified (not objects, keys of the wrong shape) make the
        # scan unable to tell what is gone: it is incomplete and removes nothing.
        p = self.sync(expect=2)
        self.assertIn("could not be identified", p.stderr)
        run = self.last_run()
        self.assertFalse(run["complete"])
        for s in run["sources"]:
            self.assertEqual(s["failedPages"], 0, s["name"])
            self.assertEqual(s["removed"], 0, s["name"])
        reports = self.ws.json_lines("rejected", "--json")
        for r in reports:
            self.assertTrue(r["reason"], r)
        # Items that are objects: each one reported, by its id, with the member that is wrong
        # (characteristics may be named by any field mapped from them).
        expected_objects = {(s, i): f for s, i, f in expected if f}
        got_objects = {(r["source"], r["itemId"]): r["field"] for r in reports if r["field"]}
        self.assertEqual(sorted(got_objects, key=str), sorted(expected_objects, key=str),
                         "items rejected vs items of the wrong shape served")
        for k, field in expected_objects.items():
            if not field.endswith("Characteristic"):
                self.assertEqual(got_objects[k], field, k)
        # Items that are not objects: one report each.
        expected_others = Counter(s for s, _, f in expected if not f)
        got_others = Counter(r["source"] for r in reports if not r["field"])
        self.assertEqual(got_others, expected_others, "reports of items that are not objects")
        self.assertEqual(sum(s["rejected"] for s in run["sources"]), len(expected))

    def test_faults__wrong_shaped_items_keep_the_stored_good_version(self):
        sim = self.sim(**SIZES)
        write_sources(self.ws, sim.base)
        self.sync(expect=0)
        before = without_times(self.ws.dump())
        sim.stop()
        bad = self.sim("--bad-items", "0.05", **SIZES)
        ids = wrong_shape_ids(bad.collection("/tmf638/service")) | wrong_shape_ids(bad.collection("/tmf639/resource"))
        stored_bad = [r for r in before if json.loads(r[5]).get("id") in ids]
        self.assertTrue(stored_bad, "some item stored before has a wrong shape now")
        write_sources(self.ws, bad.base)
        self.sync(expect=2)
        after = without_times(self.ws.dump())
        # The same inventory: nothing may change, least of all the good versions of the bad items.
        changed = sorted({(r[0], r[1]) for r in set(before) ^ set(after)})
        self.assertEqual(changed, [], "instances changed by a sync that served them with a wrong shape")
        self.assertEqual(after, before)

    # ---- 4. lying X-Total-Count -------------------------------------------------------

    def test_faults__lying_total_count_neither_stops_early_nor_runs_away(self):
        sizes = {"services": 400, "carriers": 200, "resources": 600}
        for dialect in ("page", "offset"):
            with self.subTest(dialect=dialect):
                expected = self.reference(dialect=dialect, **sizes)
                ws = Workspace()
                try:
                    sim = self.sim("--total-count-lie", **sizes)
                    write_sources(ws, sim.base, dialect, concurrency="4")
                    self.sync(ws, expect=0)
                    self.assertEqual(without_times(ws.dump()), expected)
                    for s in self.last_run(ws)["sources"]:
                        self.assertEqual(s["items"], 600, s["name"])
                        needed = 600 // 40 + 1  # the last page is empty
                        self.assertEqual(s["pages"], needed, s["name"])
                        self.assertLessEqual(s["requests"], needed + 4 + 2, s["name"])
                finally:
                    ws.cleanup()

    # ---- 5. a collection moving under an offset scan ---------------------------------

    def test_faults__shuffled_offset_scan_is_incomplete_and_removes_nothing(self):
        sim = self.sim(**SIZES)
        write_sources(self.ws, sim.base, "offset")
        self.sync(expect=0)
        sim.stop()
        gone = self.gone_upstream(1)
        shuffled = self.sim("--epoch", "1", "--shuffle", **SIZES)
        write_sources(self.ws, shuffled.base, "offset")
        p = self.sync(expect=2)
        self.assertIn("collection changed", p.stderr)
        run = self.last_run()
        self.assertFalse(run["complete"])
        for s in run["sources"]:
            self.assertFalse(s["complete"], s["name"])
            self.assertIn("changed during the scan", s["error"] or "", s["name"])
            self.assertEqual(s["removed"], 0, s["name"])
        self.assertEqual(gone - self.active(), set(), "items gone upstream were removed on partial evidence")
        # A later fault-free sync converges to what an undisturbed history gives.
        shuffled.stop()
        good = self.sim("--epoch", "1", **SIZES)
        write_sources(self.ws, good.base, "offset")
        self.sync(expect=0)
        ref = Workspace()
        try:
            with Sim(**SIZES) as s0:
                write_sources(ref, s0.base, "offset")
                self.sync(ref, expect=0)
            with Sim("--epoch", "1", **SIZES) as s1:
                write_sources(ref, s1.base, "offset")
                self.sync(ref, expect=0)
            self.assertEqual(without_times(self.ws.dump()), without_times(ref.dump()))
        finally:
            ref.cleanup()

    # ---- 6. parallel = sequential ----------------------------------------------------

    def test_faults__parallel_fetching_gives_the_sequential_store(self):
        with Sim(**SIZES) as plain:
            served = plain.collection("/tmf638/service")
        first = {}
        for item in served:
            key = item.get("externalId")
            if key and (item.get("@type") == "element", key) not in first:
                first[(item.get("@type") == "element", key)] = item["id"]
        sim = self.sim("--latency-ms", "2", "--fault-rate", "0.2", "--retry-after", "1", **SIZES)
        for dialect, page_size in (("offset", 25), ("page", 40)):
            results = {}
            for concurrency in (1, 8, 16):
                ws = Workspace()
                try:
                    write_sources(ws, sim.base, dialect, page_size, concurrency=str(concurrency))
                    self.sync(ws, expect=0)
                    dups = sorted((r["source"], r["definition"], r["key"], r["itemId"], r["page"])
                                  for r in ws.json_lines("rejected", "--kind", "duplicate", "--json"))
                    results[concurrency] = (without_times(ws.dump()), dups)
                finally:
                    ws.cleanup()
            with self.subTest(dialect=dialect):
                store, dups = results[1]
                self.assertTrue(dups, "the simulator serves duplicates")
                # Duplicates are reported on the page where the repeat is, in page order.
                expected_dups = []
                for index, item in enumerate(served):
                    key = item.get("externalId")
                    d = "Carrier" if item.get("@type") == "element" else "Service"
                    if key and first[(d == "Carrier", key)] != item["id"]:
                        expected_dups.append(("services", d, key, item["id"], index // page_size + 1))
                self.assertEqual(dups, sorted(expected_dups))
                for concurrency in (8, 16):
                    self.assertEqual(results[concurrency][0], store, "store at concurrency %d" % concurrency)
                    self.assertEqual(results[concurrency][1], dups, "duplicates at concurrency %d" % concurrency)
                # The first occurrence in page order is the one stored.
                for definition, key, _, _, _, raw in store:
                    if definition in ("Service", "Carrier"):
                        self.assertEqual(json.loads(raw)["id"], first[(definition == "Carrier", key)], key)

    # ---- 7. the link dialect ---------------------------------------------------------

    def test_faults__link_dialect_follows_next_links_to_the_end(self):
        with Sim(**SIZES) as sim:
            items = sim.collection("/tmf639/resource")
        per_page = 30  # fewer than page_size: in this dialect only the links decide
        pages = [items[i:i + per_page] for i in range(0, len(items), per_page)]
        stub_box = {}

        def link_to(n):
            # Absolute, absolute-path and relative references, in turn.
            forms = (stub_box["base"] + "/api/resource?cursor=%d", "/api/resource?cursor=%d", "resource?cursor=%d")
            return forms[n % 3] % n

        def handler(path):
            split = urllib.parse.urlsplit(path)
            if split.path != "/api/resource":
                return 404, [], b'{"code":"60"}'
            n = int(query_of(path).get("cursor", 0))
            links = ['<%s>; rel="first"' % link_to(0)]
            if n > 0:
                links.append('<%s>; rel="prev"' % link_to(n - 1))
            if n + 1 < len(pages):
                links.append('<%s>; rel="next"' % link_to(n + 1))
            links.append('<%s>; rel="last"' % link_to(len(pages) - 1))
            status = 206 if n + 1 < len(pages) else 200
            return status, [("Link", ", ".join(links))], json.dumps(pages[n]).encode()

        stub = Stub(handler)
        stub_box["base"] = stub.base
        try:
            self.ws.write_config([("resources", {"api": "tmf639", "url": stub.base + "/api/resource",
                                                 "paging": "link", "page_size": "40", **FAST_RETRIES})])
            self.sync(expect=0)
        finally:
            stub.stop()
        cursors = [int(query_of(p).get("cursor", 0)) for _, p in stub.log]
        self.assertEqual(cursors, list(range(len(pages))), "each page once, in order, none after the last")
        self.assertTrue(all(urllib.parse.urlsplit(p).path == "/api/resource" for _, p in stub.log), stub.log)
        s = self.last_run()["sources"][0]
        self.assertTrue(s["complete"])
        self.assertEqual((s["pages"], s["items"]), (len(pages), len(items)))
        self.assertEqual(without_times(self.ws.dump()), self.reference(only="resources"))

    # ---- 8. run deadline -------------------------------------------------------------

    def test_faults__deadline_stops_the_run_and_removes_nothing(self):
        sim = self.sim(**SIZES)
        write_sources(self.ws, sim.base)
        self.sync(expect=0)
        sim.stop()
        gone = self.gone_upstream(1)
        slow = self.sim("--epoch", "1", "--latency-ms", "300", **SIZES)
        write_sources(self.ws, slow.base, concurrency="1", extra="[sync]\ndeadline = 1\n")
        p = self.sync(expect=2)
        self.assertIn("deadline exceeded", p.stderr)
        run = self.last_run()
        self.assertFalse(run["complete"])
        self.assertTrue(run["sources"])
        self.assertIn("deadline exceeded", run["sources"][0]["error"] or "")
        for s in run["sources"]:
            self.assertFalse(s["complete"], s["name"])
            self.assertEqual(s["removed"], 0, s["name"])
        # 8 pages of 0.3 s each for the first source alone: it was cut short.
        self.assertLess(sum(s["pages"] for s in run["sources"]), 8)
        self.assertEqual(gone - self.active(), set(), "items gone upstream were removed on partial evidence")


if __name__ == "__main__":
    main()
