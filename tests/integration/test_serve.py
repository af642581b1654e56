"""`tmfinv -c FILE serve` as a black box: start-up and shutdown (SIGTERM, SIGINT, also in the
middle of a sync), configuration errors, SIGHUP with a good and a bad configuration, bearer
tokens and roles, every limit of the HTTP server, the request log, and a daemon that syncs
from the simulator on its schedule while clients read (reads never see a half-applied page).

The daemon is started as a subprocess on an ephemeral loopback port; its first stdout line
says where it listens, its log goes to stderr (read by a thread while it runs)."""

import hashlib
import http.client
import json
import os
import queue
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tmfinv_testlib import BIN, TestCase, main  # noqa: E402

RESOURCES = "/tmf-api/resourceInventoryManagement/v4/resource"
SERVICES = "/tmf-api/serviceInventory/v4/service"
JSON_TYPE = "application/json;charset=utf-8"


def sha256(text):
    return hashlib.sha256(text.encode()).hexdigest()


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers          # http.client.HTTPMessage: case-insensitive
        self.body = body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "<%d %r>" % (self.status, self.body[:300])


class Server:
    """A running `tmfinv serve`: its address, its stderr log so far, requests, signals."""

    def __init__(self, config, startup_timeout=20):
        self.proc = subprocess.Popen([BIN, "-c", config, "serve"], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self._lines = []
        self._lock = threading.Lock()
        self._stdout = queue.Queue()
        self._threads = [threading.Thread(target=self._read_stderr, daemon=True),
                         threading.Thread(target=self._read_stdout, daemon=True)]
        for t in self._threads:
            t.start()
        try:
            self.first_line = self._stdout.get(timeout=startup_timeout)
        except queue.Empty:
            self.kill()
            raise AssertionError("tmfinv serve printed nothing in %d s; log: %s" % (startup_timeout, self.log()))
        m = re.fullmatch(r"listening on http://([0-9.]+|\[[0-9a-fA-F:]+\]):(\d+)", self.first_line or "")
        if not m:
            self.proc.wait(10)
            raise AssertionError("unexpected first line %r (exit %s); log: %s"
                                 % (self.first_line, self.proc.returncode, self.log()))
        self.host, self.port = m.group(1).strip("[]"), int(m.group(2))
        self.base = "http://%s:%d" % (m.group(1), self.port)

    def _read_stderr(self):
        for line in self.proc.stderr:
            with self._lock:
                self._lines.append(line.rstrip("\n"))

    def _read_stdout(self):
        first = True
        for line in self.proc.stdout:
            if first:
                self._stdout.put(line.rstrip("\n"))
                first = False
        if first:
            self._stdout.put(None)

    def log(self):
        with self._lock:
            return "\n".join(self._lines)

    def log_lines(self):
        with self._lock:
            return list(self._lines)

    def wait_log(self, pattern, timeout=10, after=0):
        """The first stderr line (from index `after`) matching `pattern`; fails after `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.log_lines()[after:]:
                if re.search(pattern, line):
                    return line
            time.sleep(0.05)
        raise AssertionError("no log line matching %r in %d s; log:\n%s" % (pattern, timeout, self.log()))

    def request(self, method, path, token=None, body=None, headers=None, timeout=30):
        h = dict(headers or {})
        if token is not None:
            h["Authorization"] = "Bearer " + token
        if body is not None and not isinstance(body, bytes):
            body = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/merge-patch+json")
        con = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            con.request(method, path, body=body, headers=h)
            r = con.getresponse()
            return Response(r.status, r.headers, r.read())
        finally:
            con.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def send(self, signo):
        self.proc.send_signal(signo)

    def stop(self, signo=signal.SIGTERM, timeout=30):
        """Sends `signo`, waits for the exit; returns (exit code, seconds it took)."""
        started = time.monotonic()
        self.proc.send_signal(signo)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("tmfinv serve did not stop within %d s; log:\n%s" % (timeout, self.log()))
        elapsed = time.monotonic() - started
        self._close()
        return rc, elapsed

    def _close(self):
        for t in self._threads:
            t.join(5)
        for f in (self.proc.stdout, self.proc.stderr):
            if f and not f.closed:
                f.close()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._close()


def raw_exchange(host, port, data, timeout=10):
    """Sends raw bytes and reads until the server closes or `timeout`: the bytes received."""
    s = socket.create_connection((host, port), timeout=timeout)
    try:
        s.sendall(data)
        chunks = []
        while True:
            try:
                b = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not b:
                break
            chunks.append(b)
        return b"".join(chunks)
    finally:
        s.close()


def status_of(raw):
    m = re.match(rb"HTTP/1\.[01] (\d{3})", raw)
    return int(m.group(1)) if m else None


class ServeTestBase(TestCase):
    def setUp(self):
        super().setUp()
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            s.kill()
        super().tearDown()

    def serve(self, **kw):
        s = Server(self.ws.config, **kw)
        self.servers.append(s)
        return s

    def http_section(self, **keys):
        keys.setdefault("listen", "127.0.0.1:0")
        return "\n[http]\n" + "".join("%s = %s\n" % kv for kv in keys.items())

    def sources(self, sim, resources_only=False, **overrides):
        services = {"api": "tmf638", "url": sim.base + "/tmf638/service", "paging": "page", "page_size": "40"}
        resources = {"api": "tmf639", "url": sim.base + "/tmf639/resource", "paging": "page", "page_size": "40"}
        services.update(overrides)
        resources.update(overrides)
        return [("resources", resources)] if resources_only else [("services", services), ("resources", resources)]

    def runs(self):
        """The store's runs, oldest first (read with the CLI, concurrently with the daemon)."""
        if not os.path.exists(self.ws.db):
            return []
        p = self.ws.run("runs", "--json")
        if p.returncode != 0:
            return []
        return sorted((json.loads(line) for line in p.stdout.splitlines() if line.strip()), key=lambda r: r["id"])

    def wait_runs(self, predicate, timeout, what):
        deadline = time.monotonic() + timeout
        runs = []
        while time.monotonic() < deadline:
            runs = self.runs()
            if predicate(runs):
                return runs
            time.sleep(0.05)
        self.fail("timed out waiting for %s; runs: %s" % (what, [(r["id"], r["kind"], r["ended"]) for r in runs]))

    def integrity(self):
        con = sqlite3.connect(self.ws.db)
        try:
            return con.execute("PRAGMA integrity_check").fetchall()
        finally:
            con.close()

    def assertTmfError(self, r, status):
        self.assertEqual(r.status, status, r)
        self.assertEqual(r.headers.get("Content-Type"), JSON_TYPE, r)
        e = r.json()
        for k in ("code", "reason", "message", "status"):
            self.assertIsInstance(e.get(k), str, (k, e))
        self.assertEqual(e["status"], str(status), e)
        return e

    def start_fails(self, expected_rc=1):
        """Runs `serve` expecting it to exit at once; returns its stderr."""
        p = subprocess.run([BIN, "-c", self.ws.config, "serve"], capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, expected_rc, p.stderr)
        self.assertEqual(p.stdout, "", "nothing announced on stdout")
        return p.stderr


class StartStopTest(ServeTestBase):
    def test_serve__first_line_says_where_it_listens(self):
        self.ws.write_config([], extra=self.http_section())
        s = self.serve()
        self.assertEqual(s.host, "127.0.0.1")
        self.assertGreater(s.port, 0)
        r = s.get("/healthz")
        self.assertEqual(r.status, 200, r)
        rc, _ = s.stop()
        self.assertEqual(rc, 0, s.log())

    def test_serve__sigterm_and_sigint_while_idle_exit_0_at_once(self):
        sim = self.sim(services=40, carriers=20, resources=40)
        self.ws.write_config(self.sources(sim), extra="\n[sync]\ninterval = 3600\n" + self.http_section())
        for signo in (signal.SIGTERM, signal.SIGINT):
            with self.subTest(signal=signo.name):
                s = self.serve()
                s.wait_log(r"run \d+: complete", timeout=20)
                self.assertEqual(s.get("/healthz").status, 200)
                rc, elapsed = s.stop(signo)
                self.assertEqual(rc, 0, s.log())
                self.assertLess(elapsed, 3, "%s took %.2f s" % (signo.name, elapsed))
                self.assertRegex(s.log(), r'(?m)^time=\S+ level=info msg="stopped"$')
                # A requested stop is no error.
                self.assertRegex(s.log(), r'(?m)^time=\S+ level=info msg="SIG(TERM|INT): stopping"$')
        self.assertEqual(self.integrity(), [("ok",)])

    def test_serve__stop_signal_during_a_sync_leaves_whole_pages(self):
        """SIGTERM or SIGINT in the middle of a slow first sync: exit 0 within a few seconds, the
        store passes integrity_check, the run is recorded as not complete, and every source that
        did not finish holds whole pages only (items == pages x page_size, 40)."""
        # 30 + 40 pages of 40 at 150 ms, two at a time: ~5 s without the signal.
        sim = self.sim("--latency-ms", 150, services=800, carriers=400, resources=1600)
        for signo in (signal.SIGTERM, signal.SIGINT):
            with self.subTest(signal=signo.name):
                self.ws.cleanup()
                os.makedirs(self.ws.dir)
                self.ws.write_config(self.sources(sim, concurrency="2"),
                                     extra="\n[sync]\ninterval = 3600\n" + self.http_section())
                s = self.serve()
                self.wait_runs(lambda rs: rs and not rs[0]["ended"], 10, "the first run to start")
                time.sleep(1.2)
                self.assertIsNone(s.proc.poll(), s.log())
                self.assertEqual(s.get("/healthz").status, 200)
                rc, elapsed = s.stop(signo)
                self.assertEqual(rc, 0, s.log())
                self.assertLess(elapsed, 4, "%s took %.2f s" % (signo.name, elapsed))
                self.assertIn("INTERRUPTED", s.log())
                self.assertEqual(self.integrity(), [("ok",)])
                runs = self.runs()
                self.assertEqual(len(runs), 1, runs)
                self.assertIn(runs[0]["complete"], (False, None), runs[0])
                self.assertFalse(all(src["complete"] for src in runs[0]["sources"]), runs[0])
                for src in runs[0]["sources"]:
                    self.assertEqual(src["removed"], 0, src)
                    if not src["complete"]:
                        self.assertEqual(src["items"], src["pages"] * 40, src)

    def test_serve__bad_config_exits_1_naming_file_and_line(self):
        cases = [
            ("syntax", "[store]\npath = %s\n\n[http\nlisten = 127.0.0.1:0\n", 4),
            ("bad number", "[store]\npath = %s\n\n[http]\nlisten = 127.0.0.1:0\nmax_body = lots\n", 6),
            ("unknown key", "[store]\npath = %s\n\n[http]\nlisten = 127.0.0.1:0\nmax_bodies = 10\n", 6),
            ("bad listen", "[store]\npath = %s\n\n[http]\nlisten = nonsense\n", 5),
        ]
        for what, text, line in cases:
            with self.subTest(what):
                with open(self.ws.config, "w") as f:
                    f.write(text % self.ws.db)
                err = self.start_fails()
                lines = err.strip().splitlines()
                self.assertEqual(len(lines), 1, err)
                self.assertIn("%s:%d" % (os.path.basename(self.ws.config), line), lines[0])

    def test_serve__non_loopback_without_tokens_is_refused(self):
        for listen in ("0.0.0.0:0", "[::]:0", "192.0.2.1:0"):
            with self.subTest(listen):
                self.ws.write_config([], extra=self.http_section(listen=listen))
                err = self.start_fails()
                self.assertEqual(len(err.strip().splitlines()), 1, err)
                self.assertIn(listen, err)
                self.assertIn("loopback", err)
                self.assertIn("tokens_file", err)

    def test_serve__other_loopback_address_with_tokens(self):
        tokens = os.path.join(self.ws.dir, "tokens")
        with open(tokens, "w") as f:
            f.write("reader:read:%s\n" % sha256("r-token-1"))
        self.ws.write_config([], extra=self.http_section(listen="127.0.0.2:0", tokens_file=tokens))
        s = self.serve()
        # The announced URL is the one that answers.
        self.assertEqual(s.host, "127.0.0.2", s.first_line)
        self.assertEqual(s.get("/healthz").status, 200)
        rc, _ = s.stop()
        self.assertEqual(rc, 0)

    def test_serve__port_in_use_exits_1_with_a_clear_message(self):
        holder = socket.socket()
        try:
            holder.bind(("127.0.0.1", 0))
            holder.listen(1)
            port = holder.getsockname()[1]
            self.ws.write_config([], extra=self.http_section(listen="127.0.0.1:%d" % port))
            err = self.start_fails()
            self.assertEqual(len(err.strip().splitlines()), 1, err)
            self.assertIn("127.0.0.1:%d" % port, err)
            self.assertRegex(err, r"in use|cannot listen|cannot bind")
        finally:
            holder.close()


class ReloadTest(ServeTestBase):
    def test_serve__sighup_good_config_is_applied(self):
        """A new [http] default_limit is the page size of the next TMF list."""
        sim = self.sim(services=40, carriers=20, resources=60)
        sources = self.sources(sim, resources_only=True)
        self.ws.write_config(sources, extra="\n[sync]\ninterval = 3600\n" + self.http_section())
        s = self.serve()
        self.wait_runs(lambda rs: rs and rs[-1]["ended"], 20, "the first run")
        r = s.get(RESOURCES)
        self.assertEqual(r.status, 200, r)
        total = int(r.headers["X-Total-Count"])
        self.assertGreater(total, 5)
        self.assertEqual(len(r.json()), total)
        self.ws.write_config(sources, extra="\n[sync]\ninterval = 3600\n" + self.http_section(default_limit=5))
        mark = len(s.log_lines())
        s.send(signal.SIGHUP)
        s.wait_log(r"configuration reloaded", after=mark)
        r = s.get(RESOURCES)
        self.assertEqual(r.status, 206, r)
        self.assertEqual(len(r.json()), 5)
        self.assertEqual(r.headers["X-Result-Count"], "5")
        self.assertEqual(int(r.headers["X-Total-Count"]), total)
        rc, _ = s.stop()
        self.assertEqual(rc, 0, s.log())

    def test_serve__sighup_shorter_interval_takes_effect_at_once(self):
        """The schedule does not wait out the old interval (one hour) once a reload set 1 s."""
        sim = self.sim(services=40, carriers=20, resources=60)
        sources = self.sources(sim, resources_only=True)
        self.ws.write_config(sources, extra="\n[sync]\ninterval = 3600\n" + self.http_section())
        s = self.serve()
        self.wait_runs(lambda rs: rs and rs[-1]["ended"], 20, "the first run")
        self.ws.write_config(sources, extra="\n[sync]\ninterval = 1\n" + self.http_section())
        mark = len(s.log_lines())
        s.send(signal.SIGHUP)
        s.wait_log(r"configuration reloaded", after=mark)
        self.wait_runs(lambda rs: len(rs) >= 3 and rs[-1]["ended"], 15, "runs on the new 1 s interval")
        rc, _ = s.stop()
        self.assertEqual(rc, 0, s.log())

    def test_serve__sighup_bad_config_keeps_the_old(self):
        sim = self.sim(services=40, carriers=20, resources=60)
        sources = self.sources(sim, resources_only=True)
        self.ws.write_config(sources, extra="\n[sync]\ninterval = 3600\n" + self.http_section(default_limit=7))
        s = self.serve()
        self.wait_runs(lambda rs: rs and rs[-1]["ended"], 20, "the first run")
        r = s.get(RESOURCES)
        self.assertEqual(r.status, 206, r)
        self.assertEqual(len(r.json()), 7)
        good = open(self.ws.config).read()
        for what, text in (("syntax error", good.replace("[http]", "[http")),
                           ("bad value", good.replace("default_limit = 7", "default_limit = seven"))):
            with self.subTest(what):
                with open(self.ws.config, "w") as f:
                    f.write(text)
                bad_line = [i + 1 for i, line in enumerate(text.splitlines())
                            if line.startswith("[http") or line.startswith("default_limit")]
                mark = len(s.log_lines())
                s.send(signal.SIGHUP)
                line = s.wait_log(re.escape(os.path.basename(self.ws.config)) + r":\d+", after=mark)
                self.assertTrue(any("%s:%d" % (os.path.basename(self.ws.config), n) in line for n in bad_line), line)
                self.assertNotIn("configuration reloaded", "\n".join(s.log_lines()[mark:]))
                self.assertIsNone(s.proc.poll())
                self.assertEqual(s.get("/healthz").status, 200)
                r = s.get(RESOURCES)
                self.assertEqual(r.status, 206, r)
                self.assertEqual(len(r.json()), 7, "the old default_limit still applies")
        # A good configuration is taken again afterwards.
        with open(self.ws.config, "w") as f:
            f.write(good.replace("default_limit = 7", "default_limit = 3"))
        mark = len(s.log_lines())
        s.send(signal.SIGHUP)
        s.wait_log(r"configuration reloaded", after=mark)
        self.assertEqual(len(s.get(RESOURCES).json()), 3)
        rc, _ = s.stop()
        self.assertEqual(rc, 0, s.log())


READ_TOKEN = "rd-7f3c9a1e5b2d4c6e8a0b"
WRITE_TOKEN = "wr-1a2b3c4d5e6f7a8b9c0d"


class AuthTest(ServeTestBase):
    def start_with_tokens(self, sim=None):
        tokens = os.path.join(self.ws.dir, "tokens")
        with open(tokens, "w") as f:
            f.write("# name:role:sha256\nreader:read:%s\nwriter:write:%s\n" % (sha256(READ_TOKEN),
                                                                                sha256(WRITE_TOKEN).upper()))
        sources = self.sources(sim, resources_only=True) if sim else []
        self.ws.write_config(sources, extra="\n[sync]\ninterval = 3600\n" + self.http_section(tokens_file=tokens))
        s = self.serve()
        if sim:
            self.wait_runs(lambda rs: rs and rs[-1]["ended"], 20, "the first run")
        return s

    def test_serve__tokens_and_roles(self):
        sim = self.sim(services=20, carriers=10, resources=40)
        s = self.start_with_tokens(sim)
        some_id = s.get(RESOURCES + "?limit=1", token=READ_TOKEN).json()[0]["id"]
        item = "%s/%s" % (RESOURCES, urllib.parse.quote(some_id, safe=""))
        # No token, a wrong one, another scheme: 401 with a Bearer challenge and a TMF Error.
        for name, headers in (("none", {}), ("wrong", {"Authorization": "Bearer nope"}),
                              ("a hash", {"Authorization": "Bearer " + sha256(READ_TOKEN)}),
                              ("basic", {"Authorization": "Basic cmVhZGVyOnJlYWRlcg=="})):
            for method, path in (("GET", RESOURCES), ("GET", item), ("GET", SERVICES), ("GET", "/api/v1/definitions"),
                                 ("PATCH", item), ("POST", "/api/v1/sync")):
                with self.subTest(token=name, method=method, path=path):
                    r = s.request(method, path, headers=headers, body={"note": "x"} if method == "PATCH" else None)
                    self.assertTmfError(r, 401)
                    self.assertTrue(r.headers.get("WWW-Authenticate", "").startswith("Bearer"), r.headers)
        # The read role reads, and is refused writes with 403.
        for path in (RESOURCES, item, SERVICES, "/api/v1/definitions", "/api/v1/runs"):
            with self.subTest(read=path):
                r = s.get(path, token=READ_TOKEN)
                self.assertEqual(r.status, 200, r)
        with self.subTest("read PATCH"):
            self.assertTmfError(s.request("PATCH", item, token=READ_TOKEN, body={"note": "x"}), 403)
        with self.subTest("read POST sync"):
            self.assertTmfError(s.request("POST", "/api/v1/sync", token=READ_TOKEN), 403)
        # The write role does both.
        with self.subTest("write PATCH"):
            r = s.request("PATCH", item, token=WRITE_TOKEN, body={"note": "checked by test_serve"})
            self.assertEqual(r.status, 200, r)
            self.assertEqual(s.get(item, token=WRITE_TOKEN).status, 200)
        with self.subTest("write POST sync"):
            r = s.request("POST", "/api/v1/sync", token=WRITE_TOKEN)
            self.assertIn(r.status, (202, 409), r)
        # Health needs no token.
        self.assertEqual(s.get("/healthz").status, 200)
        rc, _ = s.stop()
        self.assertEqual(rc, 0)
        log = s.log()
        for secret in (READ_TOKEN, WRITE_TOKEN, "cmVhZGVyOnJlYWRlcg=="):
            self.assertNotIn(secret, log)
        self.assertRegex(log, r"method=GET target=\S+ status=200 ms=[0-9.]+ client=127\.0\.0\.1 principal=reader")

    def test_serve__malformed_tokens_file_exits_1_naming_file_and_line(self):
        tokens = os.path.join(self.ws.dir, "tokens")
        good = "reader:read:%s" % sha256("x")
        cases = [("bad role", "%s\nadmin:admin:%s\n" % (good, sha256("y")), 2),
                 ("short hash", "# c\n\n%s\nw:write:%s\n" % (good, sha256("y")[:63]), 4),
                 ("not hex", "w:write:%s\n" % ("g" * 64), 1),
                 ("no fields", "%s\njust-a-name\n" % good, 2)]
        self.ws.write_config([], extra=self.http_section(tokens_file=tokens))
        for what, text, line in cases:
            with self.subTest(what):
                with open(tokens, "w") as f:
                    f.write(text)
                os.chmod(tokens, 0o600)  # else tmfinv warns first that others may read it
                err = self.start_fails()
                self.assertEqual(len(err.strip().splitlines()), 1, err)
                self.assertIn("%s:%d" % (tokens, line), err)
        with self.subTest("missing file"):
            os.unlink(tokens)
            err = self.start_fails()
            self.assertIn(tokens, err)


class LimitsTest(ServeTestBase):
    def test_serve__request_limits(self):
        sim = self.sim(services=20, carriers=10, resources=40)
        self.ws.write_config(self.sources(sim, resources_only=True),
                             extra="\n[sync]\ninterval = 3600\n" +
                             self.http_section(max_body=1024, max_url=256, max_headers=8, max_limit=100,
                                               default_limit=50))
        s = self.serve()
        self.wait_runs(lambda rs: rs and rs[-1]["ended"], 20, "the first run")
        some_id = s.get(RESOURCES + "?limit=1").json()[0]["id"]
        item = "%s/%s" % (RESOURCES, urllib.parse.quote(some_id, safe=""))
        with self.subTest("body"):
            self.assertEqual(s.request("PATCH", item, body={"note": "n" * 900}).status, 200)
            self.assertTmfError(s.request("PATCH", item, body={"note": "n" * 1100}), 413)
            self.assertTmfError(s.request("POST", "/api/v1/sync", body=b"x" * 5000,
                                          headers={"Content-Type": "application/json"}), 413)
        with self.subTest("url"):
            self.assertEqual(s.get("/healthz?x=" + "a" * 200).status, 200)
            self.assertTmfError(s.get("/healthz?x=" + "a" * 300), 414)
            self.assertTmfError(s.get(RESOURCES + "?name=" + "a" * 300), 414)
        with self.subTest("headers"):
            # http.client adds Host and Accept-Encoding: 2 + 4 = 6 headers pass, 2 + 9 do not.
            self.assertEqual(s.get("/healthz", headers={"X-A%d" % i: "1" for i in range(4)}).status, 200)
            self.assertTmfError(s.get("/healthz", headers={"X-A%d" % i: "1" for i in range(9)}), 431)
        with self.subTest("limit"):
            self.assertIn(s.get(RESOURCES + "?limit=100").status, (200, 206))
            e = self.assertTmfError(s.get(RESOURCES + "?limit=101"), 400)
            self.assertIn("limit", e["message"])
            e = self.assertTmfError(s.get(SERVICES + "?limit=100000"), 400)
            self.assertIn("limit", e["message"])
        self.assertEqual(s.get("/healthz").status, 200)
        rc, _ = s.stop()
        self.assertEqual(rc, 0, s.log())

    def test_serve__connection_limit(self):
        """With one server thread the limit is exact: of max_connections + 3 keep-alive
        connections, the first max_connections are served and the others refused or closed
        without an answer; once they are closed the server answers again."""
        self.ws.write_config([], extra=self.http_section(max_connections=4, threads=1, timeout=30))
        s = self.serve()
        socks, served, refused = [], 0, 0
        try:
            for _ in range(7):
                c = socket.create_connection((s.host, s.port), timeout=5)
                socks.append(c)
                try:
                    c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                    data = c.recv(4096)
                except (ConnectionResetError, BrokenPipeError, socket.timeout):
                    data = b""
                if status_of(data) == 200:
                    served += 1
                else:
                    refused += 1
            self.assertEqual(served, 4)
            self.assertEqual(refused, 3)
        finally:
            for c in socks:
                c.close()
        deadline = time.monotonic() + 5
        while True:
            try:
                if s.get("/healthz", timeout=2).status == 200:
                    break
            except OSError:
                pass
            self.assertLess(time.monotonic(), deadline, "the server does not answer after the burst")
            time.sleep(0.1)
        self.assertIsNone(s.proc.poll())
        rc, _ = s.stop()
        self.assertEqual(rc, 0, s.log())

    def test_serve__slow_client_is_dropped_others_are_served(self):
        self.ws.write_config([], extra=self.http_section(timeout=2, threads=2))
        s = self.serve()
        slow = socket.create_connection((s.host, s.port), timeout=15)
        try:
            slow.sendall(b"GET /hea")
            started = time.monotonic()
            answered = 0
            result = {}

            def wait_close():
                try:
                    result["data"] = slow.recv(4096)
                except (ConnectionResetError, socket.timeout) as e:
                    result["error"] = e
                result["at"] = time.monotonic() - started

            waiter = threading.Thread(target=wait_close)
            waiter.start()
            while waiter.is_alive() and time.monotonic() - started < 12:
                self.assertEqual(s.get("/healthz", timeout=5).status, 200)
                answered += 1
                time.sleep(0.2)
            waiter.join(15)
            self.assertNotIn("error", result, "the slow client was not closed in time")
            self.assertEqual(result.get("data"), b"", result)
            self.assertGreaterEqual(result["at"], 1.0, "closed before [http] timeout")
            self.assertLess(result["at"], 10, result)
            self.assertGreater(answered, 3, "other clients were served meanwhile")
        finally:
            slow.close()
        rc, _ = s.stop()
        self.assertEqual(rc, 0, s.log())


class RequestLogTest(ServeTestBase):
    # logfmt (docs/configuration.md, [log]); probes (/healthz) are debug lines.
    LINE = re.compile(r'^time=\S+ level=(?:info|debug) msg="request" route=\S+ method=(GET|POST|PATCH|PUT|DELETE|HEAD)'
                      r' target=("(?:[^"\\]|\\.)*"|\S+) status=(\d{3}) ms=([0-9.]+) client=127\.0\.0\.1 ')

    def test_serve__one_line_per_request_without_secrets(self):
        tokens = os.path.join(self.ws.dir, "tokens")
        with open(tokens, "w") as f:
            f.write("reader:read:%s\n" % sha256(READ_TOKEN))
        self.ws.write_config([], extra=self.http_section(tokens_file=tokens) + "\n[log]\nlevel = debug\n")
        s = self.serve()
        reqs = [("GET", "/healthz", None, 200),
                ("GET", "/healthz?token=s3cretQ1&x=1", None, 200),
                ("GET", "/healthz?x=2&access_token=s3cretQ2&Password=s3cretQ3&api_key=s3cretQ4", None, 200),
                ("GET", "/no/such/thing", READ_TOKEN, 404),
                ("POST", "/healthz", READ_TOKEN, 405),
                ("GET", RESOURCES + "?limit=1", "Zz-invalid-s3cretQ5", 401)]
        for method, path, token, status in reqs:
            self.assertEqual(s.request(method, path, token=token).status, status, (method, path))
        rc, _ = s.stop()
        self.assertEqual(rc, 0)
        log = s.log()
        entries = [m.groups() for m in map(self.LINE.match, s.log_lines()) if m]
        self.assertEqual(len(entries), len(reqs), log)
        self.assertEqual([(e[0], e[2]) for e in entries], [(m, str(st)) for m, _, _, st in reqs])
        targets = [e[1][1:-1] if e[1].startswith('"') else e[1] for e in entries]
        self.assertEqual(targets[0], "/healthz")
        self.assertEqual(targets[1], "/healthz?token=***&x=1")
        self.assertEqual(targets[2], "/healthz?x=2&access_token=***&Password=***&api_key=***")
        self.assertEqual(targets[3], "/no/such/thing")
        for secret in ("s3cretQ", READ_TOKEN, sha256(READ_TOKEN)):
            self.assertNotIn(secret, log)


class DaemonUnderLoadTest(ServeTestBase):
    def test_serve__reads_never_see_a_half_applied_page(self):
        """`serve` syncs one TMF639 source (page size 40, one page in flight, 60 ms a page) on
        a 1 s schedule while four client threads read the TMF lists for ~10 s; the simulator
        moves to its next epoch half-way, and POST /api/v1/sync asks for a run.

        Every response must be a 200 with valid JSON whose X-Total-Count equals the items it
        holds (the count and the items come from one snapshot). Beyond that, two checks that
        depend on no timing:

        1. First sync, into an empty store. Pages are applied in order, so after k whole pages
           the Resource list is S(k) = {id in R0 : position(id) < 40k}, R0 being the list once
           that run completed and position the item's place in the source collection. Every
           complete read taken before the epoch moves must equal S(k) for some k: a read that
           holds part of a page's kept items but not all of them saw a half-applied page.
        2. Epoch change. Let U be the items whose lastUpdate in the final list R1 differs from
           R0 (changed or added upstream). A page of the new epoch, applied, shows all of its
           U items at their R1 lastUpdate; a page of the old epoch changes none of them (a scan
           that straddles the epoch change applies old pages, then new ones). So in every read,
           for each new-epoch page, its U items are either all new or all old.
        The service list is read as well: consistent counts, never decreasing during the first
        sync (no removals in it)."""
        sim = self.sim("--latency-ms", 60, seed=11, services=300, carriers=100, resources=1600)
        sources = self.sources(sim, concurrency="1")
        self.ws.write_config(sources, extra="\n[sync]\ninterval = 1\nfull_interval = 1\n" +
                             self.http_section(max_limit=10000, threads=4))
        order0 = [i["id"] for i in sim.collection("/tmf639/resource", per_page=40)]
        pos0 = {rid: n for n, rid in enumerate(order0)}
        s = self.serve()
        stop = threading.Event()
        reads = []           # (finished_at, "resource"|"service", {id: lastUpdate})
        counts = []          # (thread, finished_at, path, X-Total-Count)
        problems = []
        lock = threading.Lock()

        def full_reader(path, kind):
            while not stop.is_set():
                try:
                    r = s.get(path + "?limit=10000")
                    items = r.json()
                    ok = (r.status == 200 and isinstance(items, list) and
                          int(r.headers["X-Total-Count"]) == len(items) == int(r.headers["X-Result-Count"]) and
                          len({i["id"] for i in items}) == len(items))
                    if not ok:
                        raise AssertionError("%s: %d, X-Total-Count %s, X-Result-Count %s, %s items"
                                             % (path, r.status, r.headers.get("X-Total-Count"),
                                                r.headers.get("X-Result-Count"),
                                                len(items) if isinstance(items, list) else "no"))
                    for i in items:
                        if not i.get("href", "").endswith("/" + urllib.parse.quote(i["id"], safe="")) and \
                           not i.get("href", "").endswith("/" + i["id"]):
                            raise AssertionError("%s: href %r of id %r" % (path, i.get("href"), i["id"]))
                    snap = {i["id"]: i.get("lastUpdate") for i in items}
                    with lock:
                        reads.append((time.monotonic(), kind, snap))
                except Exception as e:  # noqa: BLE001 - every failure is reported by the test
                    with lock:
                        problems.append("%s: %r" % (path, e))
                    time.sleep(0.05)

        def count_reader(name):
            n = 0
            while not stop.is_set():
                path = (RESOURCES, SERVICES)[n % 2]
                n += 1
                try:
                    r = s.get(path + "?limit=1")
                    items = r.json()
                    total = int(r.headers["X-Total-Count"])
                    expected = 206 if total > 1 else 200
                    if r.status != expected or len(items) != min(1, total):
                        raise AssertionError("%s?limit=1: %d with %d items of %d" % (path, r.status, len(items), total))
                    with lock:
                        counts.append((name, time.monotonic(), path, total))
                except Exception as e:  # noqa: BLE001
                    with lock:
                        problems.append("%s?limit=1: %r" % (path, e))
                    time.sleep(0.05)

        threads = [threading.Thread(target=full_reader, args=(RESOURCES, "resource")),
                   threading.Thread(target=full_reader, args=(RESOURCES, "resource")),
                   threading.Thread(target=full_reader, args=(SERVICES, "service")),
                   threading.Thread(target=count_reader, args=("counts",))]
        for t in threads:
            t.start()
        try:
            self.wait_runs(lambda rs: rs and rs[0]["ended"], 60, "the first run")
            runs = self.runs()
            self.assertTrue(runs[0]["complete"], runs[0])
            r0 = {i["id"]: i.get("lastUpdate") for i in s.get(RESOURCES + "?limit=10000").json()}
            time.sleep(1.5)      # no-op refreshes run under the readers
            epoch_sent = time.monotonic()
            self.assertEqual(sim.post("/_sim/epoch"), {"epoch": 1})
            last = max(r["id"] for r in self.runs())
            order1 = [i["id"] for i in sim.collection("/tmf639/resource", per_page=40)]
            # Run last+1 started after the epoch moved: once it completes the store is at epoch 1.
            self.wait_runs(lambda rs: any(r["id"] == last + 1 and r["ended"] for r in rs), 60,
                           "a run after the epoch change")
            r = s.request("POST", "/api/v1/sync")
            self.assertIn(r.status, (202, 409), r)
            self.assertTrue(next(r for r in self.runs() if r["id"] == last + 1)["complete"])
            r1 = {i["id"]: i.get("lastUpdate") for i in s.get(RESOURCES + "?limit=10000").json()}
            time.sleep(1.0)
        finally:
            stop.set()
            for t in threads:
                t.join(60)
        rc, _ = s.stop()
        self.assertEqual(rc, 0, s.log())
        self.assertEqual(problems[:10], [])
        self.assertEqual(self.integrity(), [("ok",)])
        self.assertIn("/api/v1/sync", s.log())

        # 1. Reads during the first sync: S(k) for some k.
        self.assertTrue(set(r0) <= set(pos0), "list ids are the source's ids")
        first = [snap for at, kind, snap in reads if kind == "resource" and at < epoch_sent]
        partial = 0
        for snap in first:
            ids = set(snap)
            self.assertTrue(ids <= set(r0), sorted(ids - set(r0))[:5])
            if not ids:
                continue
            pages = max(pos0[i] for i in ids) // 40 + 1
            expected = {i for i in r0 if pos0[i] < 40 * pages}
            self.assertEqual(sorted(expected - ids)[:5], [], "a read holds part of page %d only" % pages)
            partial += len(ids) < len(r0)
        res_counts = [total for _, at, path, total in counts if path == RESOURCES and at < epoch_sent]
        svc_counts = [total for _, at, path, total in counts if path == SERVICES and at < epoch_sent]
        for seq in (res_counts, svc_counts):
            self.assertEqual(seq, sorted(seq), "a count went down during the first sync")
        whole = {len([i for i in r0 if pos0[i] < 40 * k]) for k in range(len(order0) // 40 + 2)}
        self.assertEqual(sorted(set(res_counts) - whole), [], "counts of a half-applied page")

        # 2. Reads around the epoch change: per new-epoch page, all of its U items or none.
        pos1 = {rid: n for n, rid in enumerate(order1)}
        changed = {i for i, lu in r1.items() if r0.get(i, object()) != lu}
        by_page = {}
        for i in changed:
            by_page.setdefault(pos1[i] // 40, set()).add(i)
        checked_pages = {p: u for p, u in by_page.items() if len(u) >= 2}
        self.assertTrue(checked_pages, "the epoch changes at least two items of one page (else check 2 is void)")
        mixed = 0
        for at, kind, snap in reads:
            if kind != "resource":
                continue
            self.assertTrue(set(snap) <= set(r0) | set(r1))
            new = {i for i in changed if snap.get(i, object()) == r1[i]}
            for p, u in checked_pages.items():
                self.assertIn(len(u & new), (0, len(u)), "page %d of epoch 1 half applied: %s"
                              % (p + 1, sorted(u - new)))
            mixed += 0 < len(new) < len(changed)
        # What the readers saw, for whoever reads the test log (not asserted: timing).
        print("reads: %d resource lists (%d mid first sync, %d mid epoch change), %d counts; %d pages checked"
              % (len([1 for r in reads if r[1] == "resource"]), partial, mixed, len(counts), len(checked_pages)),
              file=sys.stderr)


if __name__ == "__main__":
    main()
