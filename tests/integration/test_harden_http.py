"""Hardening of `tmfinv serve` (issue 7): slow clients and connection limits (point 5),
NUL and invalid UTF-8 in targets and bodies, JSON bodies that are one value, HEAD
(point 7), HTTPS and the refusal of plain HTTP beyond loopback (point 9), PATCH null on
an initial field (point 10).

Slow clients are plain Python sockets bound to other loopback addresses (127.0.0.2…),
so that "one client" and "another client" are two IP addresses. Every loop is bounded in
time. Python standard library only."""

import http.client
import json
import os
import re
import select
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tmfinv_testlib import BIN, Sim, Workspace, main  # noqa: E402

RESOURCE = "/tmf-api/resourceInventoryManagement/v4/resource"
SERVICE = "/tmf-api/serviceInventory/v4/service"


class Server:
    """`tmfinv -c CONFIG serve`; accepts an http:// or https:// first line."""

    def __init__(self, config, dir):
        self.log_path = os.path.join(dir, "serve-%d.log" % time.monotonic_ns())
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([BIN, "-c", config, "serve"], stdout=subprocess.PIPE, stderr=self.log,
                                     text=True)
        line = self.proc.stdout.readline().strip()
        m = re.fullmatch(r"listening on (https?)://([0-9.]+):(\d+)", line)
        if not m:
            self.stop()
            raise AssertionError("serve did not start: %r %s" % (line, self.log_text()))
        self.scheme = m.group(1)
        self.port = int(m.group(3))

    def log_text(self):
        with open(self.log_path) as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.log.close()
        return self.proc.returncode


def start_fails(config):
    """Runs serve expecting it to refuse to start; returns stderr."""
    try:
        p = subprocess.run([BIN, "-c", config, "serve"], capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired as e:
        raise AssertionError("serve started (still running after 20 s): %r" % e.stdout)
    if p.returncode != 1:
        raise AssertionError("serve exited %d, expected 1: %s %s" % (p.returncode, p.stdout, p.stderr))
    return p.stderr


def request(port, method, path, body=None, headers=None, source="127.0.0.1", timeout=10, context=None):
    """(status, headers, body) of one request on a new connection from `source`."""
    if context:
        con = http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout, context=context,
                                          source_address=(source, 0))
    else:
        con = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=(source, 0))
    try:
        con.request(method, path, body=body, headers=headers or {})
        r = con.getresponse()
        return r.status, r.headers, r.read()
    finally:
        con.close()


def slow_client(port, source):
    """A connection from `source` that has sent the start of a request and not its end."""
    s = socket.socket()
    s.bind((source, 0))
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    s.setblocking(False)
    try:
        s.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    except OSError:
        pass
    return s


def dribble(sockets):
    """Sends one more header byte on each socket; returns those the server has closed."""
    closed = []
    for s in sockets:
        try:
            r, _, _ = select.select([s], [], [], 0)
            if r and s.recv(4096) == b"":
                closed.append(s)
                continue
            s.send(b"a")
        except OSError:
            closed.append(s)
    return closed


def close_all(sockets):
    for s in sockets:
        try:
            s.close()
        except OSError:
            pass


class SlowClients(unittest.TestCase):
    """Point 5, with the default limits unless said otherwise."""

    def setUp(self):
        self.ws = Workspace()
        self.servers, self.sockets = [], []

    def tearDown(self):
        close_all(self.sockets)
        for s in self.servers:
            s.stop()
        self.ws.cleanup()

    def serve(self, http_extra=""):
        self.ws.write_config([], extra="\n[http]\nlisten = 127.0.0.1:0\n" + http_extra)
        s = Server(self.ws.config, self.ws.dir)
        self.servers.append(s)
        return s

    def test_harden_http__slow_clients_of_one_address_leave_room_for_others(self):
        srv = self.serve()
        for _ in range(400):
            try:
                self.sockets.append(slow_client(srv.port, "127.0.0.2"))
            except OSError:
                pass        # refused at once: that is fine too
        dribble(self.sockets)
        started = time.monotonic()
        status, _, body = request(srv.port, "GET", "/healthz", timeout=5)
        self.assertEqual(status, 200, body)
        self.assertLess(time.monotonic() - started, 3)
        # At most max_client_connections (32) of them are still waiting for their request,
        # plus a few held for a 503; the others were closed.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            open_ = [s for s in self.sockets if s not in dribble(self.sockets)]
            if len(open_) <= 32:
                break
            time.sleep(0.5)
        self.assertLessEqual(len(open_), 32)
        # A whole request from that address, over its limit, is answered 503 with Retry-After.
        status, headers, body = request(srv.port, "GET", "/healthz", source="127.0.0.2", timeout=5)
        self.assertEqual(status, 503, body)
        self.assertTrue(headers.get("Retry-After"), headers)
        self.assertIn("max_client_connections", json.loads(body)["message"])

    def test_harden_http__over_max_connections_answers_503_not_a_reset(self):
        srv = self.serve("max_connections = 8\n")
        idle = []
        for i in range(8):
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=5, source_address=("127.0.0.3", 0))
            idle.append(s)
        self.sockets.extend(idle)
        time.sleep(0.5)
        status, headers, body = request(srv.port, "GET", "/healthz", timeout=5)
        self.assertEqual(status, 503, body)
        self.assertTrue(headers.get("Retry-After"), headers)
        self.assertIn("max_connections", json.loads(body)["message"])
        close_all(idle)
        deadline = time.monotonic() + 5
        while True:
            status, _, _ = request(srv.port, "GET", "/healthz", timeout=5)
            if status == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(status, 200)

    def test_harden_http__a_request_has_a_total_time_budget(self):
        # The default request_timeout is 10 s; the idle timeout (30 s) never fires for a
        # client that sends a byte every second.
        srv = self.serve()
        slow = [slow_client(srv.port, "127.0.0.4") for _ in range(3)]
        self.sockets.extend(slow)
        keep = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=5)
        started = time.monotonic()
        closed = set()
        try:
            while time.monotonic() - started < 16 and len(closed) < len(slow):
                closed.update(dribble([s for s in slow if s not in closed]))
                # a kept-alive connection asking now and then is not cut
                keep.request("GET", "/healthz")
                r = keep.getresponse()
                self.assertEqual(r.status, 200)
                r.read()
                time.sleep(1)
        finally:
            keep.close()
        self.assertEqual(len(closed), len(slow), "slow requests still open after %.0f s"
                         % (time.monotonic() - started))
        self.assertGreater(time.monotonic() - started, 5)

    def test_harden_http__config_keys(self):
        srv = self.serve("request_timeout = 2\nmax_client_connections = 2\n")
        a = slow_client(srv.port, "127.0.0.5")
        b = slow_client(srv.port, "127.0.0.5")
        self.sockets.extend([a, b])
        time.sleep(0.3)
        status, _, body = request(srv.port, "GET", "/healthz", source="127.0.0.5", timeout=5)
        self.assertEqual(status, 503, body)
        started = time.monotonic()
        closed = set()
        while time.monotonic() - started < 8 and len(closed) < 2:
            closed.update(dribble([s for s in (a, b) if s not in closed]))
            time.sleep(0.3)
        self.assertEqual(len(closed), 2)
        self.assertLess(time.monotonic() - started, 6)
        status, _, _ = request(srv.port, "GET", "/healthz", source="127.0.0.5", timeout=5)
        self.assertEqual(status, 200)


class Input(unittest.TestCase):
    """Points 7 and 10 over a store synced once from the simulator."""

    @classmethod
    def setUpClass(cls):
        cls.ws = Workspace()
        cls.sim = Sim(services=30, carriers=10, resources=200)
        cls.ws.ses_config(cls.sim)
        cls.ws.run("sync", "--once", check=0)
        # serve the synced store without syncing again
        cls.ws.write_config([], extra="\n[http]\nlisten = 127.0.0.1:0\n")
        cls.srv = Server(cls.ws.config, cls.ws.dir)
        status, _, body = request(cls.srv.port, "GET", RESOURCE + "?limit=1000")
        cls.resources = json.loads(body)
        status, _, body = request(cls.srv.port, "GET", SERVICE + "?limit=1000")
        cls.services = json.loads(body)

    @classmethod
    def tearDownClass(cls):
        rc = cls.srv.stop()
        cls.sim.stop()
        cls.ws.cleanup()
        assert rc == 0, rc

    def patch(self, path, body, ct="application/merge-patch+json"):
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
        status, _, data = request(self.srv.port, "PATCH", path, body=body, headers={"Content-Type": ct})
        return status, json.loads(data)

    def show(self, key, definition):
        return self.ws.json_lines("show", key, "--definition", definition, "--json")[0]

    def service(self, n):
        return [s for s in self.services if s.get("@type") != "element"][n]

    def test_harden_http__patch_refuses_invalid_utf8_naming_the_field(self):
        svc = self.service(0)
        for raw in (b'{"note": "caf\xe9"}', b'{"note": "\xed\xa0\x80"}', b'{"note": "\xc0\xaf"}'):
            with self.subTest(raw):
                status, body = self.patch(SERVICE + "/" + svc["id"], raw)
                self.assertEqual(status, 400, body)
                self.assertIn("'note'", body["message"])
                self.assertIn("UTF-8", body["message"])
        self.assertNotIn("note", self.show(svc["externalId"], "Service")["fields"])

    def test_harden_http__patch_refuses_nul_naming_the_field(self):
        svc = self.service(1)
        status, body = self.patch(SERVICE + "/" + svc["id"], b'{"note": "before\\u0000after"}')
        self.assertEqual(status, 400, body)
        self.assertIn("'note'", body["message"])
        self.assertIn("NUL", body["message"])
        self.assertNotIn("note", self.show(svc["externalId"], "Service")["fields"])
        # an escaped backslash followed by "u0000" is text, not a NUL
        status, body = self.patch(SERVICE + "/" + svc["id"], b'{"note": "a\\\\u0000b"}')
        self.assertEqual(status, 200, body)
        self.assertEqual(self.show(svc["externalId"], "Service")["fields"]["note"], "a\\u0000b")

    def test_harden_http__patch_body_is_one_json_value(self):
        svc = self.service(2)
        for raw in (b'{"note": "x"} trailing', b'{"note": "x"}{"note": "y"}', b'{"note": "x"}\x00',
                    b'{"note": "x"},'):
            with self.subTest(raw):
                status, body = self.patch(SERVICE + "/" + svc["id"], raw)
                self.assertEqual(status, 400, body)
        self.assertNotIn("note", self.show(svc["externalId"], "Service")["fields"])
        status, body = self.patch(SERVICE + "/" + svc["id"], b' {"note": "x"} \r\n\t')
        self.assertEqual(status, 200, body)

    def test_harden_http__nul_in_the_path_is_400(self):
        for path in (RESOURCE + "/%00", RESOURCE + "/%00/", SERVICE + "/x%00y"):
            with self.subTest(path):
                status, _, body = request(self.srv.port, "GET", path)
                self.assertEqual(status, 400, body[:200])
                self.assertIn("NUL", json.loads(body)["message"])
        status, _, body = request(self.srv.port, "GET", RESOURCE + "/%ff")
        self.assertEqual(status, 400, body[:200])
        self.assertIn("UTF-8", json.loads(body)["message"])

    def test_harden_http__nul_or_bad_utf8_in_the_query_is_400_naming_it(self):
        for query, name, word in (("fields=na%00me", "fields", "NUL"), ("na%00me=x", "na%00me", "NUL"),
                                  ("name=a%00", "name", "NUL"), ("name=%ff", "name", "UTF-8"),
                                  ("sort=%c0%af", "sort", "UTF-8")):
            with self.subTest(query):
                status, _, body = request(self.srv.port, "GET", RESOURCE + "?" + query)
                self.assertEqual(status, 400, body[:200])
                message = json.loads(body)["message"]
                self.assertIn("'%s'" % name, message)
                self.assertIn(word, message)
        # valid UTF-8 still filters
        status, _, body = request(self.srv.port, "GET", RESOURCE + "?name=%C3%A9t%C3%A9&limit=1")
        self.assertEqual(status, 200, body[:200])

    def test_harden_http__a_host_header_with_a_cr_does_not_reach_the_answer(self):
        # Found by fuzz_http_request: Host goes into hrefs and Link; a bare CR in it made
        # libmicrohttpd drop the whole Link header. Such a Host is now ignored.
        s = socket.create_connection(("127.0.0.1", self.srv.port), timeout=10)
        try:
            s.sendall(b"GET " + RESOURCE.encode() + b"?limit=1 HTTP/1.1\r\nHost: evil\rSet-Cookie:a=b\r\n"
                      b"Connection: close\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        finally:
            s.close()
        head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
        self.assertTrue(head.startswith("HTTP/1.1 20"), head)
        self.assertIn("\r\nLink: <http://127.0.0.1:%d/" % self.srv.port, head)
        self.assertNotIn("evil", head)
        self.assertNotIn("Set-Cookie", head)

    def test_harden_http__head_gives_the_length_get_would(self):
        rid = self.resources[0]["id"]
        for path in (RESOURCE + "?limit=5", RESOURCE + "/" + rid, "/healthz", "/api/v1/definitions"):
            with self.subTest(path):
                _, get_headers, get_body = request(self.srv.port, "GET", path)
                status, headers, body = request(self.srv.port, "HEAD", path)
                self.assertIn(status, (200, 206))
                self.assertEqual(body, b"")
                self.assertEqual(int(headers["Content-Length"]), len(get_body))
                self.assertGreater(len(get_body), 0)
                self.assertEqual(headers.get("X-Total-Count"), get_headers.get("X-Total-Count"))

    def test_harden_http__patch_null_gives_an_initial_field_back_to_the_source(self):
        modems = [r for r in self.resources if r.get("@type") == "Modem" and r.get("status") != "Maintenance"]
        self.assertTrue(modems, "the simulator has no modem")
        rid, source_status = modems[0]["id"], self.sim.get(RESOURCE + "/" + modems[0]["id"])["status"]
        status, body = self.patch(RESOURCE + "/" + rid, {"status": "Maintenance"})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["status"], "Maintenance")
        status, body = self.patch(RESOURCE + "/" + rid, {"status": None})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["status"], source_status)
        self.assertEqual(self.show(rid, "Resource")["fields"].get("status"), source_status)
        history = [h for h in self.ws.json_lines("history", rid, "--json") if h["field"] == "status"]
        self.assertEqual((history[-1]["before"], history[-1]["after"], history[-1]["run"]),
                         ("Maintenance", source_status, 0))
        # a local field still unsets with null
        svc = self.service(3)
        self.assertEqual(self.patch(SERVICE + "/" + svc["id"], {"note": "n"})[0], 200)
        self.assertEqual(self.patch(SERVICE + "/" + svc["id"], {"note": None})[0], 200)
        self.assertNotIn("note", self.show(svc["externalId"], "Service")["fields"])


class Tls(unittest.TestCase):
    """Point 9: HTTPS with [http] tls_cert and tls_key; plain HTTP beyond loopback refused."""

    @classmethod
    def setUpClass(cls):
        if not shutil.which("openssl"):
            raise AssertionError("the openssl command is needed (scripts/install-deps.sh --test)")
        cls.certs = tempfile.mkdtemp(prefix="tmfinv-tls-")
        cls.cert = os.path.join(cls.certs, "cert.pem")
        cls.key = os.path.join(cls.certs, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-keyout", cls.key, "-out", cls.cert, "-days", "2", "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                       check=True, capture_output=True, timeout=60)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.certs, ignore_errors=True)

    def setUp(self):
        self.ws = Workspace()
        self.tokens = os.path.join(self.ws.dir, "tokens")
        import hashlib
        with open(self.tokens, "w") as f:
            f.write("reader:read:%s\n" % hashlib.sha256(b"r-token-1").hexdigest())
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            self.assertEqual(s.stop(), 0, s.log_text()[-2000:])
        self.ws.cleanup()

    def config(self, http):
        self.ws.write_config([], extra="\n[http]\n" + http)

    def context(self):
        ctx = ssl.create_default_context(cafile=self.cert)
        return ctx

    def test_harden_http__https_with_the_ca_file(self):
        self.config("listen = 127.0.0.1:0\ntls_cert = %s\ntls_key = %s\n" % (self.cert, self.key))
        srv = Server(self.ws.config, self.ws.dir)
        self.servers.append(srv)
        self.assertEqual(srv.scheme, "https", "the first line names the scheme the server speaks")
        status, _, body = request(srv.port, "GET", "/healthz", context=self.context())
        self.assertEqual(status, 200, body)
        status, headers, body = request(srv.port, "GET", RESOURCE, context=self.context())
        self.assertEqual(status, 200, body)
        self.assertIn("<https://127.0.0.1:%d/" % srv.port, headers["Link"])
        # without the CA the certificate is not trusted
        with self.assertRaises(ssl.SSLError):
            request(srv.port, "GET", "/healthz", context=ssl.create_default_context())
        # plain HTTP to the TLS port gets no HTTP answer
        with self.assertRaises((http.client.HTTPException, OSError)):
            request(srv.port, "GET", "/healthz", timeout=5)

    def test_harden_http__beyond_loopback_needs_tls_or_plaintext(self):
        self.config("listen = 0.0.0.0:0\ntokens_file = %s\n" % self.tokens)
        err = start_fails(self.ws.config)
        lines = err.strip().splitlines()
        self.assertEqual(len(lines), 1, err)
        self.assertIn("0.0.0.0:0", lines[0])
        self.assertIn("tls_cert", lines[0])
        self.assertIn("plaintext", lines[0])
        # `check` says the same
        p = subprocess.run([BIN, "-c", self.ws.config, "check"], capture_output=True, text=True, timeout=30)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("plaintext", p.stderr + p.stdout)

    def test_harden_http__beyond_loopback_with_tls_or_plaintext_starts(self):
        for http_keys, ctx in (("tls_cert = %s\ntls_key = %s\n" % (self.cert, self.key), True),
                               ("plaintext = true\n", False)):
            with self.subTest(http_keys):
                self.config("listen = 0.0.0.0:0\ntokens_file = %s\n%s" % (self.tokens, http_keys))
                srv = Server(self.ws.config, self.ws.dir)
                self.servers.append(srv)
                status, _, _ = request(srv.port, "GET", RESOURCE, context=self.context() if ctx else None)
                self.assertEqual(status, 401)       # tokens still required
                status, _, _ = request(srv.port, "GET", RESOURCE, headers={"Authorization": "Bearer r-token-1"},
                                       context=self.context() if ctx else None)
                self.assertEqual(status, 200)

    def test_harden_http__bad_tls_files_are_one_line_errors(self):
        cases = [("tls_cert = %s\n" % self.cert, "tls_key"),
                 ("tls_cert = %s\ntls_key = %s\n" % (self.cert, os.path.join(self.certs, "missing.pem")),
                  "missing.pem"),
                 ("tls_cert = %s\ntls_key = %s\n" % (self.key, self.cert), "tls_cert")]
        for keys, word in cases:
            with self.subTest(keys):
                self.config("listen = 127.0.0.1:0\n" + keys)
                err = start_fails(self.ws.config)
                # The certificate given as tls_key is world-readable: that warning aside, one line.
                lines = [l for l in err.strip().splitlines() if "open to other users" not in l]
                self.assertEqual(len(lines), 1, err)
                self.assertIn(word, err)
                self.assertNotIn("PRIVATE KEY", err)


if __name__ == "__main__":
    main()
