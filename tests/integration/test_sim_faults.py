"""Black-box tests of tmfinv-sim's fault options and authentication.

Starts the real binary ($TMFINV_SIM) on 127.0.0.1 port 0 through tmfinv_testlib.Sim and talks
to it over raw sockets (one connection per request, "Connection: close"), so that a reset, a
truncated body or a slow body can be observed as such. Covers: --fault-rate (the whole mix,
convergence, Retry-After in both forms, determinism whatever the interleaving), --malformed-rate,
--bad-items, --total-count-lie, --shuffle, --rate-limit, --require-auth basic|bearer|oauth2 with
the token endpoint, token expiry, /_sim/expire-tokens, /_sim/stats, bad option values, and that
no secret ever appears in the simulator's output. Standard library only.
"""
import base64
import email.utils
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.parse

from tmfinv_testlib import SIM, Sim

TMF_SERVICE = "/tmf-api/serviceInventory/v4/service"
TMF_RESOURCE = "/tmf-api/resourceInventoryManagement/v4/resource"
SES_SERVICE = "/tmf638/service"
SES_RESOURCE = "/tmf639/resource"

SIZES = dict(seed=11, services=200, carriers=100, resources=300)


class Answer:
    """One request's outcome as seen on the socket."""

    def __init__(self, kind, status=None, headers=None, body=b"", body_seconds=0.0):
        self.kind = kind            # "ok", "reset" (no response at all) or "truncated"
        self.status = status
        self.headers = headers or {}
        self.body = body
        self.body_seconds = body_seconds    # from the first byte received to the end

    def json(self):
        return json.loads(self.body)

    def outcome(self):
        return self.kind if self.kind != "ok" else self.status


def raw(port, path, method="GET", headers=None, body=b""):
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: 127.0.0.1", "Connection: close"]
    for name, value in (headers or {}).items():
        lines.append("%s: %s" % (name, value))
    if body or method == "POST":
        lines.append("Content-Length: %d" % len(body))
    data, first = b"", None
    try:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            if first is None:
                first = time.monotonic()
            data += chunk
    except ConnectionResetError:
        pass
    finally:
        sock.close()
    end = time.monotonic()
    if not data:
        return Answer("reset")
    head, _, payload = data.partition(b"\r\n\r\n")
    head_lines = head.decode("latin-1").split("\r\n")
    status = int(head_lines[0].split()[1])
    fields = {}
    for line in head_lines[1:]:
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip()
    kind = "ok"
    if "content-length" in fields and len(payload) < int(fields["content-length"]):
        kind = "truncated"
    return Answer(kind, status, fields, payload, end - first)


def is_json(body):
    try:
        json.loads(body)
        return True
    except ValueError:
        return False


def fault_urls():
    """~150 URLs: pages of both collections in both dialects and GET by id in both."""
    urls = []
    for base in (SES_SERVICE, SES_RESOURCE):
        urls += ["%s?page=%d&recordsPerPage=40" % (base, page) for page in range(1, 9)]
    for base in (TMF_SERVICE, TMF_RESOURCE):
        urls += ["%s?offset=%d&limit=20" % (base, offset) for offset in range(0, 300, 20)]
    urls += ["%s/svc-%08d" % (TMF_SERVICE, n) for n in range(0, 200, 5)]
    urls += ["%s/res-%08d" % (TMF_RESOURCE, n) for n in range(0, 300, 8)]
    urls += ["%s/car-%08d" % (SES_SERVICE, n) for n in range(0, 100, 4)]
    return urls


class SimCase(unittest.TestCase):
    def setUp(self):
        self.sims = []
        self.tmp = tempfile.TemporaryDirectory(prefix="tmfinv-simfaults-")

    def tearDown(self):
        # a clean stop exits 0; under ASan this also catches leaks and errors reported at exit
        running = [(sim, sim.proc.poll() is None) for sim in self.sims]
        for sim, _ in running:
            sim.stop()
        self.tmp.cleanup()
        for sim, was_running in running:
            if was_running:
                self.assertEqual(sim.proc.returncode, 0, "simulator exit code after SIGTERM")

    def start(self, *args, **sizes):
        kw = dict(SIZES)
        kw.update(sizes)
        sim = Sim(*args, **kw)
        sim.port = int(sim.address.rsplit(":", 1)[1])
        self.sims.append(sim)
        return sim

    def stats(self, sim):
        answer = raw(sim.port, "/_sim/stats")
        self.assertEqual(answer.status, 200)
        return answer.json()

    def write(self, name, text):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def stop_and_read(self, sim):
        """Stops the simulator with SIGTERM; returns (exit code, stdout rest, stderr)."""
        sim.proc.send_signal(signal.SIGTERM)
        out, err = sim.proc.communicate(timeout=15)
        return sim.proc.returncode, out, err


class OptionTest(SimCase):
    def test_bad_values_exit_2_with_one_line_naming_the_option(self):
        good = ["--listen", "127.0.0.1:0", "--seed", "1", "--services", "1", "--carriers", "1",
                "--resources", "1"]
        missing = os.path.join(self.tmp.name, "no-such-file")
        creds = self.write("creds", "user:pw\n")
        cases = [
            (["--fault-rate", "1.5"], "--fault-rate"),
            (["--fault-rate", "-0.1"], "--fault-rate"),
            (["--fault-rate", "abc"], "--fault-rate"),
            (["--malformed-rate", "2"], "--malformed-rate"),
            (["--bad-items", "0.5x"], "--bad-items"),
            (["--rate-limit", "0"], "--rate-limit"),
            (["--shuffle-every", "0"], "--shuffle-every"),
            (["--retry-after", "x"], "--retry-after"),
            (["--slow-ms", "-1"], "--slow-ms"),
            (["--token-ttl", "0"], "--token-ttl"),
            (["--total-count-lie=1"], "--total-count-lie"),
            (["--repeat-page=1"], "--repeat-page"),
            (["--endless=yes"], "--endless"),
            (["--no-total-count=1"], "--no-total-count"),
            (["--link-loop", "0"], "--link-loop"),
            (["--link-loop", "x"], "--link-loop"),
            (["--require-auth", "digest", "--auth-file", creds], "--require-auth"),
            (["--require-auth", "basic"], "--auth-file"),
            (["--auth-file", creds], "--auth-file"),
            (["--require-auth", "basic", "--auth-file", missing], "--auth-file"),
        ]
        for extra, option in cases:
            with self.subTest(extra=extra):
                result = subprocess.run([SIM] + good + extra, capture_output=True, timeout=30)
                self.assertEqual(result.returncode, 2, result.stderr)
                lines = result.stderr.decode().splitlines()
                self.assertEqual(len(lines), 1, result.stderr)
                self.assertIn(option, lines[0])
                self.assertEqual(result.stdout, b"")

    def test_good_values_are_accepted(self):
        sim = self.start("--fault-rate", "0", "--malformed-rate", ".25", "--bad-items", "1.0",
                         "--total-count-lie", "--shuffle", "--shuffle-every", "7",
                         "--rate-limit", "1000", "--retry-after", "0", "--slow-ms", "0")
        self.assertEqual(raw(sim.port, "/_sim/epoch").status, 200)

    def test_bad_auth_file_line_is_reported_without_its_content(self):
        path = self.write("creds", "# comment\n\ngood:pw\nnocolon-SECRET-4711\n")
        result = subprocess.run([SIM, "--listen", "127.0.0.1:0", "--seed", "1", "--services", "1",
                                 "--carriers", "1", "--resources", "1", "--require-auth", "basic",
                                 "--auth-file", path], capture_output=True, timeout=30)
        self.assertEqual(result.returncode, 2)
        self.assertIn(b"line 4", result.stderr)
        self.assertNotIn(b"SECRET-4711", result.stderr + result.stdout)


class FaultRateTest(SimCase):
    def test_mix_converges_to_the_fault_free_bytes(self):
        plain = self.start()
        faulty = self.start("--fault-rate", "0.5", "--slow-ms", "200", "--retry-after", "2")
        seen = {}
        retry_forms = set()
        slow_bodies = 0
        for url in fault_urls():
            expected = raw(plain.port, url)
            self.assertEqual(expected.kind, "ok")
            for attempt in range(1, 5):
                answer = raw(faulty.port, url)
                outcome = answer.outcome()
                if answer.kind == "ok" and answer.status == expected.status and \
                        answer.body == expected.body:
                    if answer.body_seconds >= 0.15:
                        slow_bodies += 1
                    break
                seen[outcome] = seen.get(outcome, 0) + 1
                if answer.kind == "ok":
                    self.assertIn(answer.status, (429, 500, 502, 503), url)
                    error = answer.json()
                    self.assertEqual(error["status"], str(answer.status))
                    if answer.status == 429:
                        value = answer.headers["retry-after"]
                        if value.isdigit():
                            self.assertEqual(value, "2")
                            retry_forms.add("seconds")
                        else:
                            when = email.utils.parsedate_to_datetime(value).timestamp()
                            self.assertTrue(time.time() <= when <= time.time() + 4, value)
                            retry_forms.add("date")
                    if answer.status == 503 and "retry-after" in answer.headers:
                        self.assertEqual(answer.headers["retry-after"], "2")
            else:
                self.fail("%s did not answer the fault-free bytes within 4 attempts" % url)
        for outcome in (429, 500, 502, 503, "reset", "truncated"):
            self.assertIn(outcome, seen, "fault %s never occurred: %s" % (outcome, seen))
        self.assertEqual(retry_forms, {"seconds", "date"})
        self.assertGreater(slow_bodies, 0, "no slow body observed")
        faults = self.stats(faulty)["faults"]
        for name in ("429", "500", "502", "503", "reset", "slowBody", "truncatedBody"):
            self.assertGreater(faults[name], 0, name)
        self.assertEqual(faults["429"], seen[429])
        self.assertEqual(faults["reset"], seen["reset"])
        self.assertEqual(faults["truncatedBody"], seen["truncated"])
        self.assertEqual(faults["malformedBody"], 0)

    def test_every_attempt_after_three_faults_is_good(self):
        always = self.start("--fault-rate", "1", "--slow-ms", "0")
        plain = self.start()
        url = SES_SERVICE + "?page=2"
        expected = raw(plain.port, url).body
        outcomes = []
        for _ in range(8):
            answer = raw(always.port, url)
            outcomes.append(answer.kind == "ok" and answer.status == 200 and
                            answer.body == expected)
        # with P=1, attempts 1-3 are faulted (slow bodies have good bytes, so they may look
        # good here), attempt 4 is never faulted, and the cycle repeats
        self.assertTrue(outcomes[3] and outcomes[7], outcomes)
        stats = self.stats(always)
        self.assertEqual(sum(stats["faults"].values()), 6)

    def test_deterministic_whatever_the_interleaving(self):
        urls = fault_urls()[::3]
        a = self.start("--fault-rate", "0.5", "--slow-ms", "0")
        b = self.start("--fault-rate", "0.5", "--slow-ms", "0")
        other = self.start("--fault-rate", "0.5", "--slow-ms", "0", seed=12)
        # a: each URL four times in a row; b: all URLs, four rounds (another interleaving)
        by_url_a = {url: [raw(a.port, url).outcome() for _ in range(4)] for url in urls}
        by_url_b = {url: [] for url in urls}
        for _ in range(4):
            for url in reversed(urls):
                by_url_b[url].append(raw(b.port, url).outcome())
        self.assertEqual(by_url_a, by_url_b)
        self.assertTrue(any(o != 200 for seq in by_url_a.values() for o in seq))
        by_url_other = {url: [raw(other.port, url).outcome() for _ in range(4)] for url in urls}
        self.assertNotEqual(by_url_a, by_url_other, "the seed does not change the faults")

    def test_control_endpoints_are_never_faulted(self):
        sim = self.start("--fault-rate", "1", "--malformed-rate", "1")
        for _ in range(10):
            self.assertEqual(raw(sim.port, "/_sim/epoch").status, 200)
            self.assertEqual(raw(sim.port, "/_sim/stats").status, 200)


class MalformedTest(SimCase):
    def test_transient_invalid_bodies_of_every_kind(self):
        plain = self.start()
        sim = self.start("--malformed-rate", "0.5")
        kinds = set()
        for url in fault_urls():
            expected = raw(plain.port, url).body
            for attempt in range(1, 5):
                answer = raw(sim.port, url)
                self.assertEqual(answer.kind, "ok")
                self.assertEqual(answer.status, 200)
                if answer.body == expected:
                    self.assertTrue(answer.headers["content-type"].startswith("application/json"))
                    break
                self.assertFalse(is_json(answer.body), answer.body[:200])
                body = answer.body
                if answer.headers["content-type"].startswith("text/html"):
                    self.assertIn(b"<html>", body)
                    kinds.add("html")
                elif body == expected[:len(expected) // 2]:
                    kinds.add("cut")
                elif body == expected[:-1]:
                    kinds.add("closing bracket removed")
                elif len(body) == len(expected) + 1 and any(
                        body[:i] + body[i + 1:] == expected for i in range(len(body))):
                    kinds.add("stray byte")
                else:
                    self.fail("unexpected corruption of %s: %r" % (url, body[:200]))
            else:
                self.fail("%s still malformed after 4 attempts" % url)
        self.assertEqual(kinds, {"html", "cut", "closing bracket removed", "stray byte"})
        self.assertGreater(self.stats(sim)["faults"]["malformedBody"], 0)

    def test_errors_are_not_malformed(self):
        sim = self.start("--malformed-rate", "1")
        for _ in range(5):
            answer = raw(sim.port, TMF_SERVICE + "/svc-99999999")
            self.assertEqual(answer.status, 404)
            self.assertTrue(is_json(answer.body))


class BadItemsTest(SimCase):
    def collection(self, sim, base):
        items = []
        for page in range(1, 100):
            batch = raw(sim.port, "%s?page=%d&recordsPerPage=50" % (base, page)).json()
            items += batch
            if len(batch) < 50:
                return items
        raise AssertionError("too many pages")

    def shape(self, good, bad):
        if isinstance(bad, str):
            self.assertEqual(bad, good["id"])
            return "string"
        if isinstance(bad, list):
            self.assertEqual(bad, [good])
            return "array"
        self.assertEqual(bad["id"], good["id"])
        diff = {k for k in set(good) | set(bad) if good.get(k) != bad.get(k)}
        self.assertEqual(len(diff), 1, diff)
        key = diff.pop()
        if key == "status":
            self.assertIsInstance(bad["status"], int)
            return "status"
        if key == "externalId":
            self.assertEqual(bad["externalId"], {"value": good["externalId"]})
            return "externalId"
        if key == "lastUpdate":
            t = good["lastUpdate"]
            self.assertEqual(bad["lastUpdate"], "%s/%s/%s %s" % (t[8:10], t[5:7], t[0:4], t[11:19]))
            return "lastUpdate"
        self.assertIn(key, ("serviceCharacteristic", "resourceCharacteristic"))
        self.assertEqual(bad[key], good[key][0])
        return "characteristic"

    def test_wrong_shapes_are_the_same_on_every_request(self):
        plain = self.start()
        sim = self.start("--bad-items", "0.2")
        shapes = {}
        for base, tmf in ((SES_SERVICE, TMF_SERVICE), (SES_RESOURCE, TMF_RESOURCE)):
            good = self.collection(plain, base)
            bad = self.collection(sim, base)
            self.assertEqual(bad, self.collection(sim, base), "bad items change between requests")
            self.assertEqual(len(good), len(bad))
            for g, b in zip(good, bad):
                if g == b:
                    continue
                kind = self.shape(g, b)
                shapes[kind] = shapes.get(kind, 0) + 1
                # GET by id serves the same wrong shape
                self.assertEqual(raw(sim.port, "%s/%s" % (tmf, g["id"])).json(), b)
        self.assertEqual(set(shapes), {"string", "array", "status", "externalId", "lastUpdate",
                                       "characteristic"}, shapes)
        total = 600
        self.assertTrue(0.1 * total < sum(shapes.values()) < 0.3 * total, shapes)


class TotalCountLieTest(SimCase):
    def test_headers_lie_bodies_do_not(self):
        plain = self.start()
        sim = self.start("--total-count-lie")
        lies = []
        url_values = []
        for page in range(1, 6):
            for base in (SES_SERVICE, SES_RESOURCE):
                url = "%s?page=%d&recordsPerPage=40" % (base, page)
                truth = raw(plain.port, url)
                for _ in range(3):
                    answer = raw(sim.port, url)
                    self.assertEqual(answer.body, truth.body)
                    self.assertEqual(answer.headers["x-result-count"],
                                     truth.headers["x-result-count"])
                    told = int(answer.headers["x-total-count"])
                    real = int(truth.headers["x-total-count"])
                    self.assertNotEqual(told, real)
                    lies.append((told, real))
                    url_values.append((url, told))
        self.assertTrue(any(told >= 2 * real for told, real in lies), "never much too large")
        self.assertTrue(any(told <= real // 2 for told, real in lies), "never too small")
        per_url = {}
        for url, told in url_values:
            per_url.setdefault(url, set()).add(told)
        self.assertTrue(any(len(values) > 1 for values in per_url.values()),
                        "never changes between requests of one URL")


class EndlessPagingTest(SimCase):
    """The sources that never end (issue 7, point 4): --repeat-page, --link-loop N, --endless,
    --no-total-count."""

    def test_repeat_page_answers_the_first_page_whatever_is_asked(self):
        plain = self.start()
        sim = self.start("--repeat-page")
        for base, first, later in ((TMF_RESOURCE, "?offset=0&limit=40", "?offset=80&limit=40"),
                                   (SES_SERVICE, "?page=1&recordsPerPage=40", "?page=3&recordsPerPage=40")):
            truth = raw(plain.port, base + first)
            self.assertEqual(raw(sim.port, base + later).body, truth.body)
            self.assertNotEqual(raw(plain.port, base + later).body, truth.body)
            self.assertEqual(raw(sim.port, base + later).headers["x-total-count"],
                             truth.headers["x-total-count"])

    def test_link_loop_links_to_the_next_page_and_back_to_the_first(self):
        sim = self.start("--link-loop", "3")
        links = [raw(sim.port, TMF_RESOURCE + "?offset=%d&limit=40" % (40 * n)).headers.get("link")
                 for n in range(8)]
        nxt = '<%s?offset=%%d&limit=40>; rel="next"' % TMF_RESOURCE
        self.assertEqual(links[:3], [nxt % 40, nxt % 80, nxt % 0])
        self.assertEqual(links[3:7], [nxt % (40 * n) for n in range(4, 8)])
        self.assertIsNone(links[7], "the last (short) page has no next link")
        self.assertEqual(raw(sim.port, TMF_RESOURCE + "?offset=0&limit=1").headers["link"],
                         '<%s?offset=1&limit=1>; rel="next"' % TMF_RESOURCE)
        self.assertIsNone(raw(sim.port, SES_RESOURCE + "?page=1").headers.get("link"), "TMF v4 paths only")
        self.assertEqual(raw(self.start("--link-loop", "1").port, TMF_RESOURCE + "?offset=0&limit=40")
                         .headers["link"], nxt % 0)

    def test_endless_makes_up_new_items_past_the_end(self):
        plain = self.start()
        sim = self.start("--endless")
        seen = set()
        for n in range(12):
            url = TMF_RESOURCE + "?offset=%d&limit=40" % (40 * n)
            answer = raw(sim.port, url)
            items = answer.json()
            self.assertEqual(len(items), 40, "a full page at offset %d" % (40 * n))
            self.assertEqual(answer.headers["x-total-count"], "300", "the total stays the real one")
            ids = [i["id"] for i in items]
            self.assertFalse(seen & set(ids), "an id came again")
            seen |= set(ids)
            if n < 7:
                self.assertEqual(answer.body, raw(plain.port, url).body, "the real items are unchanged")
        self.assertEqual(raw(sim.port, TMF_RESOURCE + "?offset=400&limit=40").body,
                         raw(sim.port, TMF_RESOURCE + "?offset=400&limit=40").body, "deterministic")

    def test_no_total_count_leaves_the_header_out(self):
        sim = self.start("--no-total-count")
        answer = raw(sim.port, SES_RESOURCE + "?page=1")
        self.assertEqual(answer.status, 200)
        self.assertNotIn("x-total-count", answer.headers)
        self.assertEqual(answer.headers["x-result-count"], "40")


class ShuffleTest(SimCase):
    def offset_scan(self, sim, base, limit=20):
        items, offset = [], 0
        while True:
            batch = raw(sim.port, "%s?offset=%d&limit=%d" % (base, offset, limit)).json()
            items += batch
            if len(batch) < limit:
                return items
            offset += limit

    def test_offset_scan_sees_a_duplicate_and_misses_an_item(self):
        plain = self.start()
        sim = self.start("--shuffle", "--shuffle-every", "5")
        for base in (TMF_SERVICE, TMF_RESOURCE):
            truth = self.offset_scan(plain, base)
            scanned = self.offset_scan(sim, base)
            ids = [item["id"] for item in scanned]
            truth_ids = {item["id"] for item in truth}
            self.assertEqual(len(scanned), len(truth), "the collection size changed")
            self.assertLess(len(set(ids)), len(ids), "no duplicate seen")
            missed = truth_ids - set(ids)
            self.assertTrue(missed, "no item missed")
            self.assertLessEqual(set(ids), truth_ids)
            # the set and the bodies are unchanged: every item still the same by id
            by_id = {item["id"]: item for item in truth}
            for item in scanned:
                self.assertEqual(item, by_id[item["id"]])
            for item_id in missed:
                self.assertEqual(raw(sim.port, "%s/%s" % (base, item_id)).json(), by_id[item_id])

    def test_rotation_moves_the_last_item_to_the_front_and_resets_with_the_epoch(self):
        plain = self.start()
        sim = self.start("--shuffle-every", "2")
        url = TMF_RESOURCE + "?limit=300"
        truth = raw(plain.port, url).json()
        first = [raw(sim.port, url).json() for _ in range(5)]
        self.assertEqual(first[0], truth)
        self.assertEqual(first[1], truth)
        self.assertEqual(first[2], truth[-1:] + truth[:-1])
        self.assertEqual(first[4], truth[-2:] + truth[:-2])
        raw(plain.port, "/_sim/epoch", "POST")
        raw(sim.port, "/_sim/epoch", "POST")
        self.assertEqual(raw(sim.port, url).json(), raw(plain.port, url).json())


class RateLimitTest(SimCase):
    def test_burst_is_limited_and_spaced_requests_are_not(self):
        sim = self.start("--rate-limit", "5")
        answers = [raw(sim.port, SES_SERVICE + "?recordsPerPage=1") for _ in range(15)]
        limited = [a for a in answers if a.status == 429]
        self.assertTrue(limited, "no 429 in a burst of 15 requests at --rate-limit 5")
        for answer in limited:
            self.assertEqual(answer.headers["retry-after"], "1")
            self.assertEqual(answer.headers["x-ratelimit-limit"], "5")
            body = answer.json()
            self.assertEqual(body["status"], "failure")
            self.assertEqual(body["error"]["message"], "Rate limit exceeded")
            self.assertIsInstance(body["error"]["detail"], str)
        self.assertEqual(self.stats(sim)["rateLimited"], len(limited))
        time.sleep(1.5)     # the bucket refills
        for _ in range(6):
            self.assertEqual(raw(sim.port, SES_SERVICE + "?recordsPerPage=1").status, 200)
            time.sleep(0.5)
        for _ in range(20):  # control endpoints are not limited
            self.assertEqual(raw(sim.port, "/_sim/stats").status, 200)


def basic(user, password):
    return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


class AuthTest(SimCase):
    SECRETS = ["pw-basic-Q81x", "tok-bearer-77aZ", "client-secret-Z9k", "user-pw-H3v"]

    def assert_no_secret_in_output(self, sim, extra=()):
        code, out, err = self.stop_and_read(sim)
        self.assertEqual(code, 0)
        for secret in self.SECRETS + list(extra):
            self.assertNotIn(secret, out)
            self.assertNotIn(secret, err)

    def test_basic(self):
        path = self.write("basic", "# users\n\nalice:pw-basic-Q81x\n  bob:other:colon  \n")
        sim = self.start("--require-auth", "basic", "--auth-file", path)
        url = SES_SERVICE + "?recordsPerPage=2"
        for headers in ({}, {"Authorization": basic("alice", "wrong")},
                        {"Authorization": basic("mallory", "pw-basic-Q81x")},
                        {"Authorization": "Bearer pw-basic-Q81x"},
                        {"Authorization": "Basic !!!"}):
            answer = raw(sim.port, url, headers=headers)
            self.assertEqual(answer.status, 401, headers)
            self.assertTrue(answer.headers["www-authenticate"].startswith('Basic realm="'))
            error = answer.json()
            self.assertEqual(error["status"], "401")
            self.assertIn(error["code"], ("40", "41"))
        self.assertEqual(raw(sim.port, url, headers={"Authorization": basic("alice", "pw-basic-Q81x")}).status, 200)
        self.assertEqual(raw(sim.port, url, headers={"Authorization": basic("bob", "other:colon")}).status, 200)
        self.assertEqual(raw(sim.port, "/_sim/epoch").status, 200)     # control: no auth
        self.assertEqual(self.stats(sim)["unauthorized"], 5)
        self.assert_no_secret_in_output(sim)

    def test_bearer(self):
        path = self.write("tokens", "tok-bearer-77aZ\n# old: tok-revoked\nsecond-token\n")
        sim = self.start("--require-auth", "bearer", "--auth-file", path)
        url = TMF_RESOURCE + "/res-00000001"
        self.assertEqual(raw(sim.port, url, headers={"Authorization": "Bearer tok-bearer-77aZ"}).status, 200)
        self.assertEqual(raw(sim.port, url, headers={"Authorization": "bearer second-token"}).status, 200)
        missing = raw(sim.port, url)
        self.assertEqual(missing.status, 401)
        self.assertEqual(missing.headers["www-authenticate"], 'Bearer realm="tmfinv-sim"')
        for token in ("tok-revoked", "tok-bearer-77a", "tok-bearer-77aZZ"):
            answer = raw(sim.port, url, headers={"Authorization": "Bearer " + token})
            self.assertEqual(answer.status, 401)
            self.assertIn('error="invalid_token"', answer.headers["www-authenticate"])
        self.assert_no_secret_in_output(sim)

    def oauth_sim(self, *extra):
        path = self.write("oauth", "# clients and users\ntmfinv-client:client-secret-Z9k\n"
                                   "svc-user:user-pw-H3v\n")
        return self.start("--require-auth", "oauth2", "--auth-file", path, *extra)

    def token(self, sim, fields, path="/oauth_token.do", headers=None):
        hdrs = {"Content-Type": "application/x-www-form-urlencoded"}
        hdrs.update(headers or {})
        return raw(sim.port, path, "POST", hdrs, urllib.parse.urlencode(fields).encode())

    def test_oauth2_grants_and_errors(self):
        sim = self.oauth_sim("--token-ttl", "600")
        url = SES_RESOURCE + "?recordsPerPage=3"
        client = {"client_id": "tmfinv-client", "client_secret": "client-secret-Z9k"}
        answer = self.token(sim, dict(client, grant_type="password", username="svc-user",
                                      password="user-pw-H3v"))
        self.assertEqual(answer.status, 200, answer.body)
        grant = answer.json()
        self.assertEqual(grant["token_type"], "Bearer")
        self.assertEqual(grant["expires_in"], 600)
        self.assertEqual(grant["scope"], "useraccount")
        self.assertNotEqual(grant["access_token"], grant["refresh_token"])
        bearer = {"Authorization": "Bearer " + grant["access_token"]}
        self.assertEqual(raw(sim.port, url, headers=bearer).status, 200)
        missing = raw(sim.port, url)
        self.assertEqual(missing.status, 401)
        self.assertTrue(missing.headers["www-authenticate"].startswith("Bearer"))
        # client credentials, in the body and in a Basic header, on both paths
        cc = self.token(sim, dict(client, grant_type="client_credentials"), "/oauth/token")
        self.assertEqual(cc.status, 200, cc.body)
        cc2 = self.token(sim, {"grant_type": "client_credentials"},
                         headers={"Authorization": basic("tmfinv-client", "client-secret-Z9k")})
        self.assertEqual(cc2.status, 200, cc2.body)
        tokens = {grant["access_token"], cc.json()["access_token"], cc2.json()["access_token"]}
        self.assertEqual(len(tokens), 3, "tokens are not unique")
        for t in tokens:
            self.assertEqual(raw(sim.port, url, headers={"Authorization": "Bearer " + t}).status, 200)
        # refresh
        refreshed = self.token(sim, dict(client, grant_type="refresh_token",
                                         refresh_token=grant["refresh_token"]))
        self.assertEqual(refreshed.status, 200, refreshed.body)
        self.assertNotIn(refreshed.json()["access_token"], tokens)
        self.assertEqual(raw(sim.port, url, headers={
            "Authorization": "Bearer " + refreshed.json()["access_token"]}).status, 200)
        # errors
        bad = [
            (dict(client, grant_type="password", username="svc-user", password="nope"), 400,
             "invalid_grant"),
            (dict(client_id="tmfinv-client", client_secret="nope", grant_type="client_credentials"),
             401, "invalid_client"),
            ({"grant_type": "client_credentials"}, 401, "invalid_client"),
            (dict(client, grant_type="refresh_token", refresh_token="0" * 32), 400, "invalid_grant"),
            (dict(client, grant_type="refresh_token", refresh_token=grant["access_token"]), 400,
             "invalid_grant"),
            (dict(client, grant_type="authorization_code"), 400, "unsupported_grant_type"),
        ]
        for fields, status, error in bad:
            answer = self.token(sim, fields)
            self.assertEqual(answer.status, status, fields)
            self.assertEqual(answer.json()["error"], error)
            self.assertIsInstance(answer.json()["error_description"], str)
        self.assertEqual(raw(sim.port, "/oauth_token.do").status, 405)
        too_large = raw(sim.port, "/oauth_token.do", "POST",
                        {"Content-Type": "application/x-www-form-urlencoded"},
                        b"grant_type=client_credentials&pad=" + b"x" * 70000)
        self.assertEqual(too_large.status, 413)
        # a user pair is not a client pair of another line: both halves must match one line
        mixed = self.token(sim, dict(client_id="tmfinv-client", client_secret="user-pw-H3v",
                                     grant_type="client_credentials"))
        self.assertEqual(mixed.status, 401)
        stats = self.stats(sim)
        self.assertEqual(stats["tokenRequests"], 4 + len(bad) + 3)
        self.assertEqual(stats["unauthorized"], 1)
        self.assert_no_secret_in_output(sim, [grant["access_token"], grant["refresh_token"]])

    def test_oauth2_tokens_expire_and_refresh(self):
        sim = self.oauth_sim("--token-ttl", "1")
        url = SES_SERVICE + "?recordsPerPage=1"
        client = {"client_id": "tmfinv-client", "client_secret": "client-secret-Z9k"}
        grant = self.token(sim, dict(client, grant_type="password", username="svc-user",
                                     password="user-pw-H3v")).json()
        self.assertEqual(grant["expires_in"], 1)
        bearer = {"Authorization": "Bearer " + grant["access_token"]}
        self.assertEqual(raw(sim.port, url, headers=bearer).status, 200)
        time.sleep(1.3)
        expired = raw(sim.port, url, headers=bearer)
        self.assertEqual(expired.status, 401)
        self.assertIn('error="invalid_token"', expired.headers["www-authenticate"])
        self.assertEqual(expired.json()["code"], "42")
        refreshed = self.token(sim, dict(client, grant_type="refresh_token",
                                         refresh_token=grant["refresh_token"]))
        self.assertEqual(refreshed.status, 200)
        self.assertEqual(raw(sim.port, url, headers={
            "Authorization": "Bearer " + refreshed.json()["access_token"]}).status, 200)

    def test_expire_tokens_endpoint(self):
        sim = self.oauth_sim()
        url = SES_SERVICE + "?recordsPerPage=1"
        client = {"client_id": "tmfinv-client", "client_secret": "client-secret-Z9k"}
        grant = self.token(sim, dict(client, grant_type="client_credentials")).json()
        bearer = {"Authorization": "Bearer " + grant["access_token"]}
        self.assertEqual(raw(sim.port, url, headers=bearer).status, 200)
        self.assertEqual(raw(sim.port, "/_sim/expire-tokens", "POST").status, 200)
        self.assertEqual(raw(sim.port, url, headers=bearer).status, 401)
        # a client that refreshes once on the 401 gets going again
        refreshed = self.token(sim, dict(client, grant_type="refresh_token",
                                         refresh_token=grant["refresh_token"])).json()
        self.assertEqual(raw(sim.port, url, headers={
            "Authorization": "Bearer " + refreshed["access_token"]}).status, 200)
        stats = self.stats(sim)
        self.assertEqual(stats["tokenRequests"], 2)
        self.assertEqual(stats["unauthorized"], 1)
        self.assertEqual(stats["requests"], 5)

    def test_faults_apply_after_auth(self):
        path = self.write("basic", "alice:pw-basic-Q81x\n")
        sim = self.start("--require-auth", "basic", "--auth-file", path, "--fault-rate", "1",
                         "--slow-ms", "0")
        for _ in range(3):
            self.assertEqual(raw(sim.port, SES_SERVICE).status, 401)


if __name__ == "__main__":
    unittest.main(verbosity=2)
