"""Black-box tests of tmfinv-sim, the source simulator.

Starts the real binary ($TMFINV_SIM) on 127.0.0.1 with port 0, reads the "listening on" line
and drives it over HTTP with the standard library only. Every process started is killed in
tearDown. Covers: the command line, determinism, both paging dialects, paging headers, filters,
GET by id, errors, fault injection (--fail-page, --latency-ms), epochs and their guarantees,
and the shape and distributions of the generated data.
"""
import datetime
import http.client
import json
import os
import re
import select
import signal
import subprocess
import threading
import time
import unittest

SIM = os.environ.get("TMFINV_SIM", "build/tmfinv-sim")

TMF_SERVICE = "/tmf-api/serviceInventory/v4/service"
TMF_RESOURCE = "/tmf-api/resourceInventoryManagement/v4/resource"
SES_SERVICE = "/tmf638/service"
SES_RESOURCE = "/tmf639/resource"

SES_STATUSES = {"Operational", "Degraded", "Down", "Planned", "Maintenance", "Deprecated"}
KEPT_TYPES = {"Modem", "Antenna", "Gateway", "Satellite", "Transponder", "Beam"}
EXCLUDED_TYPES = {"Card", "BandwidthSegment", "LogicalPort", "Multicast", "Slot", "Port", "Circuit"}
SERVICE_STATES = {"feasibilityChecked", "designed", "reserved", "inactive", "active", "terminated"}
BASE_CLOCK = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)

SMALL = ["--seed", "42", "--services", "200", "--carriers", "100", "--resources", "300"]


def clock(epoch):
    return BASE_CLOCK + datetime.timedelta(days=epoch)


def parse_time(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc)


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class Sim:
    """One running simulator process."""

    def __init__(self, args):
        self.proc = subprocess.Popen(
            [SIM, "--listen", "127.0.0.1:0"] + list(args),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        ready, _, _ = select.select([self.proc.stdout], [], [], 60)
        if not ready:
            self.stop()
            raise AssertionError("simulator did not print its listening line")
        self.first_line = self.proc.stdout.readline().decode().rstrip("\n")
        match = re.fullmatch(r"listening on 127\.0\.0\.1:(\d+)", self.first_line)
        if not match:
            self.stop()
            raise AssertionError("unexpected first line: %r" % self.first_line)
        self.port = int(match.group(1))
        self.conn = None

    def request(self, path, method="GET"):
        """Returns (status, headers dict with lower-case names, body bytes); keeps the connection."""
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.conn.request(method, path)
                response = self.conn.getresponse()
                body = response.read()
                headers = {k.lower(): v for k, v in response.getheaders()}
                return response.status, headers, body
            except (ConnectionError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def get_json(self, path, expect=200):
        status, headers, body = self.request(path)
        if status != expect:
            raise AssertionError("%s: status %d, body %r" % (path, status, body[:300]))
        return json.loads(body), headers, body

    def fetch_all(self, coll, dialect="ses", size=None, query=""):
        """Pages through a whole collection; returns the list of parsed items."""
        items = []
        if dialect == "ses":
            base = SES_SERVICE if coll == "service" else SES_RESOURCE
            size = size or 40
            page = 1
            while True:
                batch, headers, _ = self.get_json(
                    "%s?page=%d&recordsPerPage=%d%s" % (base, page, size, query))
                items.extend(batch)
                if len(batch) < size:
                    return items
                page += 1
        base = TMF_SERVICE if coll == "service" else TMF_RESOURCE
        size = size or 100
        offset = 0
        while True:
            batch, headers, _ = self.get_json(
                "%s?offset=%d&limit=%d%s" % (base, offset, size, query))
            items.extend(batch)
            if len(batch) < size:
                return items
            offset += size

    def stop(self, sig=signal.SIGTERM):
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream:
                stream.close()
        return self.proc.returncode


class SimTestCase(unittest.TestCase):
    def setUp(self):
        self.sims = []

    def tearDown(self):
        # SIGTERM every process still running; a clean stop exits 0 (under ASan this also
        # catches leaks and errors reported at exit). stop() kills what does not stop in time.
        codes = [(sim.proc.poll() is None, sim.stop()) for sim in self.sims]
        for was_running, code in codes:
            if was_running:
                self.assertEqual(code, 0, "simulator exit code after SIGTERM")

    def start(self, *args):
        sim = Sim(args)
        self.sims.append(sim)
        return sim

    def assert_tmf_error(self, body, status):
        error = json.loads(body)
        for key in ("code", "reason", "message", "status"):
            self.assertIsInstance(error.get(key), str, "error body lacks %s: %r" % (key, error))
        self.assertEqual(error["status"], str(status))


class CommandLineTest(SimTestCase):
    def test_listening_line_and_clean_exit_on_sigterm_and_sigint(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            sim = self.start(*SMALL)
            self.assertNotEqual(sim.port, 0)
            status, _, _ = sim.request(SES_SERVICE)
            self.assertEqual(status, 200)
            self.assertEqual(sim.stop(sig), 0, "exit code after %s" % sig)

    def test_help(self):
        result = subprocess.run([SIM, "--help"], capture_output=True, timeout=30)
        self.assertEqual(result.returncode, 0)
        self.assertIn(b"--listen", result.stdout)

    def test_bad_options_exit_2_with_one_line_naming_the_option(self):
        good = ["--listen", "127.0.0.1:0"] + SMALL
        cases = [
            (["--listen", "127.0.0.1:0", "--services", "1", "--carriers", "1", "--resources", "1"],
             "--seed"),
            (good + ["--services", "abc"], "--services"),
            (good + ["--carriers", "-3"], "--carriers"),
            (good + ["--resources", "99999999999"], "--resources"),
            (good + ["--latency-ms", "x"], "--latency-ms"),
            (good + ["--fail-page", "0"], "--fail-page"),
            (good + ["--epoch", "1.5"], "--epoch"),
            (["--listen", "nonsense"] + SMALL, "--listen"),
            (["--listen", "127.0.0.1:70000"] + SMALL, "--listen"),
            (good + ["--bogus", "1"], "--bogus"),
            (good + ["--seed"], "--seed"),
        ]
        for args, option in cases:
            with self.subTest(args=args):
                result = subprocess.run([SIM] + args, capture_output=True, timeout=30)
                self.assertEqual(result.returncode, 2)
                lines = result.stderr.decode().splitlines()
                self.assertEqual(len(lines), 1, result.stderr)
                self.assertIn(option, lines[0])
                self.assertEqual(result.stdout, b"")


class ServingTest(SimTestCase):
    def setUp(self):
        super().setUp()
        self.sim = self.start(*SMALL)

    def test_content_type_and_paging_headers(self):
        items, headers, _ = self.sim.get_json(SES_SERVICE + "?page=2&recordsPerPage=40")
        self.assertEqual(headers["content-type"], "application/json;charset=utf-8")
        self.assertEqual(headers["x-total-count"], "300")
        self.assertEqual(headers["x-result-count"], "40")
        self.assertEqual(len(items), 40)
        # short last page: 300 = 7 * 40 + 20
        items, headers, _ = self.sim.get_json(SES_SERVICE + "?page=8&recordsPerPage=40")
        self.assertEqual(len(items), 20)
        self.assertEqual(headers["x-result-count"], "20")
        self.assertEqual(headers["x-total-count"], "300")
        items, headers, _ = self.sim.get_json(SES_SERVICE + "?page=9&recordsPerPage=40")
        self.assertEqual(items, [])
        self.assertEqual(headers["x-result-count"], "0")
        items, headers, _ = self.sim.get_json(TMF_RESOURCE + "?offset=280&limit=50")
        self.assertEqual(len(items), 20)
        self.assertEqual((headers["x-total-count"], headers["x-result-count"]), ("300", "20"))
        items, headers, _ = self.sim.get_json(TMF_RESOURCE + "?offset=5000")
        self.assertEqual(items, [])
        self.assertEqual(headers["x-total-count"], "300")

    def test_defaults(self):
        items, _, _ = self.sim.get_json(SES_SERVICE)
        self.assertEqual(len(items), 40)
        items, _, _ = self.sim.get_json(TMF_SERVICE)
        self.assertEqual(len(items), 100)

    def test_both_dialects_serve_the_same_items_in_the_same_order(self):
        for coll in ("service", "resource"):
            ses = self.sim.fetch_all(coll, "ses", 40)
            tmf = self.sim.fetch_all(coll, "tmf", 100)
            self.assertEqual(len(ses), 300)
            self.assertEqual(ses, tmf)
            self.assertEqual(len({item["id"] for item in ses}), 300, "ids are unique")
        # same bytes for the same window
        _, _, a = self.sim.request(SES_SERVICE + "?page=3&recordsPerPage=40")
        _, _, b = self.sim.request(TMF_SERVICE + "?offset=80&limit=40")
        self.assertEqual(a, b)

    def test_get_by_id_and_404(self):
        for coll, base in (("service", TMF_SERVICE), ("resource", TMF_RESOURCE)):
            items = self.sim.fetch_all(coll)
            for item in items[::37]:
                got, _, body = self.sim.get_json(base + "/" + item["id"])
                self.assertEqual(got, item)
                self.assertEqual(item["href"], base + "/" + item["id"])
                self.assertNotIn(b"\n", body)
            status, _, body = self.sim.request(base + "/nope-00000001")
            self.assertEqual(status, 404)
            self.assert_tmf_error(body, 404)
        status, _, body = self.sim.request(TMF_SERVICE + "/res-00000001")
        self.assertEqual(status, 404)

    def test_unknown_path_and_wrong_method(self):
        status, _, body = self.sim.request("/tmf-api/nothing/v4/thing")
        self.assertEqual(status, 404)
        self.assert_tmf_error(body, 404)
        for path in (TMF_SERVICE, SES_RESOURCE, TMF_RESOURCE + "/res-00000001"):
            status, headers, body = self.sim.request(path, "DELETE")
            self.assertEqual(status, 405)
            self.assert_tmf_error(body, 405)
            self.assertIn("GET", headers.get("allow", ""))

    def test_bad_paging_and_filter_values_are_400(self):
        for query in (TMF_SERVICE + "?limit=-1", TMF_SERVICE + "?limit=abc",
                      TMF_RESOURCE + "?offset=x", TMF_RESOURCE + "?offset=-5",
                      SES_SERVICE + "?page=0", SES_SERVICE + "?page=two",
                      SES_RESOURCE + "?recordsPerPage=0", SES_RESOURCE + "?recordsPerPage=1e3",
                      SES_SERVICE + "?updatedDaysAgo=-1", SES_SERVICE + "?status=7"):
            with self.subTest(query=query):
                status, headers, body = self.sim.request(query)
                self.assertEqual(status, 400)
                self.assertEqual(headers["content-type"], "application/json;charset=utf-8")
                self.assert_tmf_error(body, 400)

    def test_filters_match_unfiltered_data(self):
        services = self.sim.fetch_all("service")
        resources = self.sim.fetch_all("resource")
        now = clock(0)

        def recent(item, days):
            return now - datetime.timedelta(days=days + 1) < parse_time(item["lastUpdate"]) <= now

        cases = [
            ("service", "&status=1", [i for i in services if i["status"] == "Operational"]),
            ("resource", "&status=1", [i for i in resources if i["status"] == "Operational"]),
            ("service", "&@type=element", [i for i in services if i["@type"] == "element"]),
            ("service", "&%40type=element", [i for i in services if i["@type"] == "element"]),
            ("resource", "&@type=Modem", [i for i in resources if i["@type"] == "Modem"]),
            ("service", "&@type=nothing", []),
            ("service", "&updatedDaysAgo=0", [i for i in services if recent(i, 0)]),
            ("service", "&updatedDaysAgo=30", [i for i in services if recent(i, 30)]),
            ("resource", "&updatedDaysAgo=2", [i for i in resources if recent(i, 2)]),
            ("service", "&status=1&@type=element&updatedDaysAgo=90",
             [i for i in services if i["status"] == "Operational" and i["@type"] == "element"
              and recent(i, 90)]),
        ]
        for coll, query, expected in cases:
            with self.subTest(coll=coll, query=query):
                for dialect in ("ses", "tmf"):
                    got = self.sim.fetch_all(coll, dialect, 40, query)
                    self.assertEqual([i["id"] for i in got], [i["id"] for i in expected])
                    self.assertEqual(got, expected)
        # the filters select something and leave something out on this data
        carriers = [i for i in services if i["@type"] == "element"]
        self.assertTrue(0 < len(carriers) < len(services))
        self.assertTrue(0 < len([i for i in services if recent(i, 0)]) < len(services))
        self.assertTrue(0 < len([i for i in services if i["status"] == "Operational"]) < 300)
        _, headers, _ = self.sim.get_json(SES_SERVICE + "?@type=element&recordsPerPage=5")
        self.assertEqual(headers["x-total-count"], str(len(carriers)))
        self.assertEqual(headers["x-result-count"], "5")

    def test_keep_alive_and_parallel_requests(self):
        errors = []

        def worker():
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.sim.port, timeout=60)
                for page in range(1, 9):
                    conn.request("GET", "%s?page=%d" % (SES_RESOURCE, page))
                    response = conn.getresponse()
                    body = response.read()
                    if response.status != 200 or not body.startswith(b"["):
                        errors.append(response.status)
                conn.close()
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(repr(exc))

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        self.assertEqual(errors, [])


class DeterminismTest(SimTestCase):
    def test_same_options_give_byte_identical_responses(self):
        a = self.start(*SMALL)
        b = self.start(*SMALL)
        paths = [SES_SERVICE + "?page=%d" % p for p in range(1, 9)]
        paths += [SES_RESOURCE + "?page=%d&recordsPerPage=100" % p for p in range(1, 4)]
        paths += [TMF_SERVICE + "?offset=0&limit=300", TMF_RESOURCE + "?offset=17&limit=200",
                  SES_SERVICE + "?status=1&@type=element", TMF_SERVICE + "/svc-00000005",
                  TMF_RESOURCE + "/res-00000007"]
        for path in paths:
            ra, rb = a.request(path), b.request(path)
            self.assertEqual(ra[0], 200, path)
            self.assertEqual(ra[2], rb[2], path)
            self.assertEqual(ra[1]["x-total-count" if "?" in path else "content-type"],
                             rb[1]["x-total-count" if "?" in path else "content-type"])

    def test_another_seed_gives_other_data(self):
        a = self.start(*SMALL)
        b = self.start("--seed", "43", "--services", "200", "--carriers", "100",
                       "--resources", "300")
        self.assertNotEqual(a.request(SES_SERVICE)[2], b.request(SES_SERVICE)[2])


class LimitTest(SimTestCase):
    def test_limit_1000_honoured_and_capped_at_5000(self):
        sim = self.start("--seed", "5", "--services", "900", "--carriers", "300",
                         "--resources", "6000")
        items, headers, _ = sim.get_json(TMF_SERVICE + "?limit=1000")
        self.assertEqual(len(items), 1000)
        self.assertEqual(headers["x-result-count"], "1000")
        self.assertEqual(headers["x-total-count"], "1200")
        items, headers, _ = sim.get_json(SES_SERVICE + "?recordsPerPage=1000&page=2")
        self.assertEqual(len(items), 200)
        items, headers, _ = sim.get_json(TMF_RESOURCE + "?limit=6000")
        self.assertEqual(len(items), 5000)
        self.assertEqual(headers["x-total-count"], "6000")
        items, _, _ = sim.get_json(SES_RESOURCE + "?recordsPerPage=9000")
        self.assertEqual(len(items), 5000)


class FaultTest(SimTestCase):
    def test_fail_page_gives_504_on_that_page_only(self):
        plain = self.start(*SMALL)
        faulty = self.start(*(SMALL + ["--fail-page", "2"]))
        for base in (SES_SERVICE, SES_RESOURCE):
            for _ in range(2):
                status, _, body = faulty.request(base + "?page=2")
                self.assertEqual(status, 504)
                self.assert_tmf_error(body, 504)
            for page in (1, 3, 8):
                path = "%s?page=%d" % (base, page)
                self.assertEqual(faulty.request(path)[2], plain.request(path)[2], path)
        for base in (TMF_SERVICE, TMF_RESOURCE):
            for offset in (40, 79):     # page 2 of limit 40 (offset / limit + 1)
                status, _, body = faulty.request("%s?offset=%d&limit=40" % (base, offset))
                self.assertEqual(status, 504)
                self.assert_tmf_error(body, 504)
            for offset in (0, 39, 80, 200):
                path = "%s?offset=%d&limit=40" % (base, offset)
                status, _, body = faulty.request(path)
                self.assertEqual(status, 200, path)
                self.assertEqual(body, plain.request(path)[2], path)
        # the fault does not change the inventory: GET by id still works for page 2 items
        item = json.loads(plain.request(SES_SERVICE + "?page=2")[2])[0]
        self.assertEqual(json.loads(faulty.request(TMF_SERVICE + "/" + item["id"])[2]), item)

    def test_latency_delays_but_does_not_change_bodies(self):
        plain = self.start(*SMALL)
        slow = self.start(*(SMALL + ["--latency-ms", "300"]))
        for path in (SES_SERVICE + "?page=2", TMF_RESOURCE + "?limit=10",
                     TMF_SERVICE + "/svc-00000003"):
            started = time.monotonic()
            status, _, body = slow.request(path)
            elapsed = time.monotonic() - started
            self.assertEqual(status, 200)
            self.assertGreaterEqual(elapsed, 0.3, path)
            self.assertEqual(body, plain.request(path)[2])

    def test_latency_applies_to_each_parallel_request(self):
        slow = self.start(*(SMALL + ["--latency-ms", "200"]))
        elapsed = []

        def worker():
            conn = http.client.HTTPConnection("127.0.0.1", slow.port, timeout=60)
            started = time.monotonic()
            conn.request("GET", SES_RESOURCE)
            conn.getresponse().read()
            elapsed.append(time.monotonic() - started)
            conn.close()

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        self.assertEqual(len(elapsed), 4)
        for value in elapsed:
            self.assertGreaterEqual(value, 0.2)


class EpochTest(SimTestCase):
    def snapshot(self, sim):
        return {coll: sim.fetch_all(coll, "ses", 100) for coll in ("service", "resource")}

    def test_epoch_endpoint(self):
        sim = self.start(*SMALL)
        self.assertEqual(sim.get_json("/_sim/epoch")[0], {"epoch": 0})
        status, _, body = sim.request("/_sim/epoch", "POST")
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body), {"epoch": 1})
        self.assertEqual(sim.get_json("/_sim/epoch")[0], {"epoch": 1})
        later = self.start(*(SMALL + ["--epoch", "4"]))
        self.assertEqual(later.get_json("/_sim/epoch")[0], {"epoch": 4})
        self.assertEqual(sim.request("/_sim/epoch", "DELETE")[0], 405)

    def test_start_epoch_equals_posts(self):
        stepped = self.start(*SMALL)
        for epoch in (1, 3):
            while stepped.get_json("/_sim/epoch")[0]["epoch"] < epoch:
                stepped.request("/_sim/epoch", "POST")
            direct = self.start(*(SMALL + ["--epoch", str(epoch)]))
            for path in (SES_SERVICE + "?recordsPerPage=5000", SES_RESOURCE + "?recordsPerPage=5000",
                         TMF_SERVICE + "?offset=40&limit=40", SES_SERVICE + "?updatedDaysAgo=0"):
                a, b = stepped.request(path), direct.request(path)
                self.assertEqual(a[0], 200)
                self.assertEqual(a[2], b[2], "epoch %d %s" % (epoch, path))
                self.assertEqual(a[1]["x-total-count"], b[1]["x-total-count"])

    def check_step(self, sim, epoch):
        """Checks the guarantees of the step epoch-1 -> epoch (the sim is at epoch - 1)."""
        before = self.snapshot(sim)
        self.assertEqual(json.loads(sim.request("/_sim/epoch", "POST")[2]), {"epoch": epoch})
        after = self.snapshot(sim)
        new_clock = iso(clock(epoch))
        changed_kinds = set()
        for coll in ("service", "resource"):
            old = {i["id"]: i for i in before[coll]}
            new = {i["id"]: i for i in after[coll]}
            removed = set(old) - set(new)
            added = set(new) - set(old)
            prefixes = ("svc-", "car-") if coll == "service" else ("res-",)
            for prefix in prefixes:
                self.assertTrue(any(i.startswith(prefix) for i in removed), "removed " + prefix)
                self.assertTrue(any(i.startswith(prefix) for i in added), "added " + prefix)
            base = TMF_SERVICE if coll == "service" else TMF_RESOURCE
            for item_id in sorted(removed)[:5]:
                self.assertEqual(sim.request(base + "/" + item_id)[0], 404)
            for item_id in added:
                self.assertEqual(new[item_id]["lastUpdate"], new_clock)
            # kept items keep their relative order; added ones keep ids unique
            kept_order = [i["id"] for i in after[coll] if i["id"] in old]
            self.assertEqual(kept_order, [i["id"] for i in before[coll] if i["id"] in new])
            for item_id in set(old) & set(new):
                a, b = old[item_id], new[item_id]
                if a == b:
                    continue
                # only the status (and what follows from it) and lastUpdate may change
                self.assertEqual(b["lastUpdate"], new_clock, item_id)
                self.assertNotEqual(a["status"], b["status"], item_id)
                varying = {"status", "lastUpdate", "state", "operationalState", "resourceStatus",
                           "administrativeState", "usageState"}
                self.assertEqual({k: v for k, v in a.items() if k not in varying},
                                 {k: v for k, v in b.items() if k not in varying}, item_id)
                if coll == "resource":
                    self.assertEqual(b["operationalState"],
                                     "enable" if b["status"] in ("Operational", "Degraded")
                                     else "disable")
                kept = a["status"] != "Deprecated" and b["status"] != "Deprecated"
                if b["@type"] == "element":
                    changed_kinds.add("carrier")
                elif b["@type"] == "Modem" and kept:
                    changed_kinds.add("modem-kept")
                elif b["@type"] in KEPT_TYPES and b["@type"] != "Modem":
                    changed_kinds.add("resource")
            unchanged = [i for i in set(old) & set(new) if old[i] == new[i]]
            self.assertGreater(len(unchanged), len(new) // 2)
            for item_id in unchanged[:10]:
                self.assertNotEqual(new[item_id]["lastUpdate"], new_clock)
        self.assertEqual(changed_kinds, {"carrier", "modem-kept", "resource"})
        # unchanged items are byte-identical (via GET by id)
        return before, after

    def test_epoch_guarantees(self):
        sim = self.start(*SMALL)
        plain = self.start(*SMALL)
        self.check_step(sim, 1)
        self.check_step(sim, 2)
        # untouched items are byte-identical across epochs
        items = plain.fetch_all("service")
        same = 0
        for item in items[:60]:
            status, _, body_now = sim.request(TMF_SERVICE + "/" + item["id"])
            if status == 200 and json.loads(body_now) == item:
                self.assertEqual(body_now, plain.request(TMF_SERVICE + "/" + item["id"])[2])
                same += 1
        self.assertGreater(same, 30)
        # updatedDaysAgo=0 at epoch 2 holds exactly what changed or appeared at epoch 2
        recent = sim.fetch_all("service", "ses", 40, "&updatedDaysAgo=0")
        self.assertTrue(recent)
        for item in recent:
            self.assertEqual(item["lastUpdate"], iso(clock(2)))


class DataTest(SimTestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = Sim(["--seed", "1234", "--services", "2000", "--carriers", "1000",
                       "--resources", "3000"])
        try:
            cls.services = cls.sim.fetch_all("service", "ses", 1000)
            cls.resources = cls.sim.fetch_all("resource", "ses", 1000)
        finally:
            cls.sim.stop()

    def test_sizes_and_interleaving(self):
        self.assertEqual(len(self.services), 3000)
        self.assertEqual(len(self.resources), 3000)
        kinds = [i["@type"] for i in self.services]
        self.assertEqual(kinds.count("element"), 1000)
        self.assertEqual(kinds.count("Service"), 2000)
        first = kinds[:300]
        self.assertIn("element", first)
        self.assertIn("Service", first)
        last = kinds[-300:]
        self.assertIn("element", last)
        self.assertIn("Service", last)

    def test_services_and_carriers_shape(self):
        for item in self.services:
            for key in ("serviceRelationship", "supportingService", "supportingResource",
                        "relatedParty", "place"):
                self.assertIsInstance(item.get(key), list, (item["id"], key))
                self.assertTrue(item[key], (item["id"], key))
            self.assertIn(item["status"], SES_STATUSES)
            self.assertIn(item["state"], SERVICE_STATES)
            self.assertLess(parse_time(item["startDate"]), parse_time(item["endDate"]))
            self.assertLessEqual(parse_time(item["lastUpdate"]), clock(0))
            self.assertEqual(item["href"], TMF_SERVICE + "/" + item["id"])
            for party in item["relatedParty"]:
                self.assertTrue(party["id"] and party["@referredType"])
            for place in item["place"]:
                self.assertTrue(place["role"])
            self.assertTrue(item["serviceSpecification"]["id"])
            for rel in item["serviceRelationship"]:
                self.assertTrue(rel["relationshipType"] and rel["service"]["id"])
            for char in item["serviceCharacteristic"]:
                self.assertIn("name", char)
                self.assertIn("value", char)
            if item["@type"] == "element":
                self.assertEqual(item["category"], "carrier")
                names = {c["name"]: c for c in item["serviceCharacteristic"]}
                for name in ("elementType", "type", "uplinkAlias", "downlinkAlias",
                             "uplinkFrequency", "downlinkFrequency", "symbolRate", "modcod",
                             "polarisation"):
                    self.assertIn(name, names)
                self.assertTrue(1 <= names["symbolRate"]["value"] <= 45)
                self.assertIn(names["polarisation"]["value"], {"H", "V", "LHCP", "RHCP"})
                uplink = names["uplinkFrequency"]["value"]
                self.assertTrue(14000 <= uplink <= 14500 or 5925 <= uplink <= 6425
                                or 27500 <= uplink <= 31000, uplink)
                self.assertEqual({p["role"] for p in item["place"]}, {"Gateway", "Terminal"})
                self.assertEqual({r["@referredType"] for r in item["supportingResource"]},
                                 {"Satellite", "Transponder"})
                self.assertIn(item["serviceRelationship"][0]["relationshipType"],
                              {"parent", "child"})
            else:
                self.assertEqual(item["@type"], "Service")
                self.assertEqual(item["category"], "CFS")
                self.assertEqual(item["relatedParty"][0]["role"], "Customer")
                self.assertEqual(item["place"][0]["role"], "Site")

    def test_references_point_to_existing_resources(self):
        ids = {r["id"]: r for r in self.resources}
        refs = [ref for item in self.services for ref in item["supportingResource"]]
        found = [ref for ref in refs if ref["id"] in ids]
        self.assertGreater(len(found), 0.95 * len(refs))
        for ref in found:
            self.assertEqual(ids[ref["id"]]["@type"], ref["@referredType"])

    def test_duplicates_and_empty_external_ids(self):
        seen = {}
        duplicates = empty = 0
        for position, item in enumerate(self.services):
            ext = item.get("externalId")
            if not ext:
                empty += 1
                continue
            if ext in seen:
                duplicates += 1
                first = self.services[seen[ext]]
                self.assertLess(seen[ext], position)
                self.assertNotEqual(first["id"], item["id"])
                self.assertNotEqual(first["name"], item["name"])
            else:
                seen[ext] = position
        total = len(self.services)
        self.assertTrue(0.015 * total <= duplicates <= 0.05 * total, duplicates)
        self.assertTrue(0.003 * total <= empty <= 0.02 * total, empty)
        self.assertTrue(any("externalId" not in i for i in self.services))
        self.assertTrue(any(i.get("externalId") == "" for i in self.services))
        # duplicates of carriers happen too
        carrier_ext = [i.get("externalId") for i in self.services if i["@type"] == "element"]
        carrier_ext = [e for e in carrier_ext if e]
        self.assertLess(len(set(carrier_ext)), len(carrier_ext))

    def test_status_distribution(self):
        operational = sum(1 for i in self.services if i["status"] == "Operational")
        self.assertTrue(0.7 <= operational / len(self.services) <= 0.9)
        self.assertTrue(any(i["status"] == "Deprecated" for i in self.services
                            if i["@type"] == "element"))
        self.assertGreater(len({i["state"] for i in self.services}), 2)

    def test_resources_shape_and_distribution(self):
        types = [r["@type"] for r in self.resources]
        self.assertTrue(set(types) <= KEPT_TYPES | EXCLUDED_TYPES)
        self.assertEqual(set(types), KEPT_TYPES | EXCLUDED_TYPES)
        modems = types.count("Modem") / len(types)
        excluded = sum(1 for t in types if t in EXCLUDED_TYPES) / len(types)
        self.assertTrue(0.3 <= modems <= 0.42, modems)
        self.assertTrue(0.1 <= excluded <= 0.16, excluded)
        self.assertTrue(any(r["status"] == "Deprecated" for r in self.resources))
        for r in self.resources:
            self.assertEqual(r["category"], r["@type"])
            self.assertEqual(r["href"], TMF_RESOURCE + "/" + r["id"])
            self.assertIn(r["status"], SES_STATUSES)
            self.assertEqual(r["operationalState"],
                             "enable" if r["status"] in ("Operational", "Degraded") else "disable")
            self.assertIn(r["resourceStatus"],
                          {"standby", "alarm", "available", "reserved", "unknown", "suspended"})
            self.assertIn(r["administrativeState"], {"locked", "unlocked", "shutdown"})
            self.assertIn(r["usageState"], {"idle", "active", "busy"})
            self.assertIsInstance(r["place"], dict)
            for key in ("id", "href", "role"):
                self.assertTrue(r["place"][key])
            self.assertTrue(r["resourceSpecification"]["id"] and r["resourceSpecification"]["href"])
            for rel in r.get("resourceRelationship", []):
                self.assertTrue(rel["relationshipType"])
                self.assertTrue(rel["resource"]["id"] and rel["resource"]["href"])
            for party in r["relatedParty"]:
                self.assertTrue(party["id"] and party["@referredType"])
            parse_time(r["startOperatingDate"])
            parse_time(r["lastUpdate"])
        by_id = {r["id"]: r for r in self.resources}
        for r in self.resources:
            if r["@type"] == "Modem" and r.get("resourceRelationship"):
                parent = by_id.get(r["resourceRelationship"][0]["resource"]["id"])
                self.assertEqual(parent["@type"], "Antenna")
            if r["@type"] == "Transponder" and r.get("resourceRelationship"):
                parent = by_id.get(r["resourceRelationship"][0]["resource"]["id"])
                self.assertEqual(parent["@type"], "Satellite")


if __name__ == "__main__":
    unittest.main()
