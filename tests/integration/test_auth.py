"""Basic auth per source: each source sends its own credentials, read from its own
password file, and the source sees exactly them (a stub TMF server that checks the
Authorization header and serves a small inventory only to the right user)."""

import base64
import http.server
import json
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tmfinv_testlib import TestCase, main  # noqa: E402


class AuthServer:
    """Serves /svc (TMF638) to alice:pw-a and /res (TMF639) to bob:pw-b, offset paging."""

    def __init__(self):
        self.seen = []
        services = [{"id": "s%d" % i, "externalId": "CFS-%d" % i, "@type": "Service", "status": "Operational",
                     "name": "service %d" % i} for i in range(7)]
        resources = [{"id": "r%d" % i, "@type": "Antenna", "status": "Operational", "name": "ant %d" % i}
                     for i in range(5)]
        routes = {"/svc": ("alice", "pw-a", services), "/res": ("bob", "pw-b", resources)}
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                path, _, query = self.path.partition("?")
                params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
                user, password, items = routes.get(path, (None, None, []))
                auth = self.headers.get("Authorization", "")
                outer.seen.append((path, auth))
                expected = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
                if auth != expected:
                    body, status = b'{"code":"401","reason":"Unauthorized"}', 401
                else:
                    offset, limit = int(params.get("offset", 0)), int(params.get("limit", 100))
                    body, status = json.dumps(items[offset:offset + limit]).encode(), 200
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class AuthTest(TestCase):
    def test_auth__each_source_sends_its_own_credentials(self):
        server = AuthServer()
        try:
            for name, secret in (("a.pw", "pw-a\n"), ("b.pw", "pw-b")):
                with open(os.path.join(self.ws.dir, name), "w") as f:
                    f.write(secret)
            self.ws.write_config([
                ("services", {"api": "tmf638", "url": server.base + "/svc", "page_size": "3", "auth": "basic",
                              "username": "alice", "password_file": "a.pw", "concurrency": "1"}),
                ("resources", {"api": "tmf639", "url": server.base + "/res", "page_size": "3", "auth": "basic",
                               "username": "bob", "password_file": "b.pw", "concurrency": "1"})])
            p = self.ws.run("sync", "--once", check=0)
            self.assertEqual(self.ws.count("Service"), 7)
            self.assertEqual(self.ws.count("Resource"), 5)
            # Pages of 3: 7 services take 3 pages, 5 resources 2.
            self.assertEqual(len([s for s in server.seen if s[0] == "/svc"]), 3)
            self.assertEqual(len([s for s in server.seen if s[0] == "/res"]), 2)
            for text in (p.stdout, p.stderr, open(self.ws.db, "rb").read().decode("latin-1")):
                self.assertNotIn("pw-a", text)
                self.assertNotIn("pw-b", text)
            # Swapped credentials are refused by the server: a one-line error, exit 1.
            self.ws.write_config([
                ("services", {"api": "tmf638", "url": server.base + "/svc", "page_size": "3", "auth": "basic",
                              "username": "alice", "password_file": "b.pw"})])
            p = self.ws.run("sync", "--once", check=1)
            self.assertEqual(len(p.stderr.strip().splitlines()), 1)
            self.assertIn("source 'services' page 1: HTTP 401", p.stderr)
            self.assertEqual(self.ws.count("Service"), 7)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
