"""Basic auth per source: each source sends its own credentials, read from its own
password file, and the source sees exactly them (a stub TMF server that checks the
Authorization header and serves a small inventory only to the right user)."""

import base64
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tmfinv_testlib import StubServer, TestCase, main  # noqa: E402


class AuthServer(StubServer):
    """Serves /svc (TMF638) to alice:pw-a and /res (TMF639) to bob:pw-b, offset paging."""

    def __init__(self):
        services = [{"id": "s%d" % i, "externalId": "CFS-%d" % i, "@type": "Service", "status": "Operational",
                     "name": "service %d" % i} for i in range(7)]
        resources = [{"id": "r%d" % i, "@type": "Antenna", "status": "Operational", "name": "ant %d" % i}
                     for i in range(5)]
        routes = {"/svc": ("alice", "pw-a", services), "/res": ("bob", "pw-b", resources)}

        def answer(method, full_path, headers, body):
            path, _, query = full_path.partition("?")
            params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
            user, password, items = routes.get(path, (None, None, []))
            expected = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
            if headers.get("Authorization", "") != expected:
                return 401, [("Content-Type", "application/json")], b'{"code":"401","reason":"Unauthorized"}'
            offset, limit = int(params.get("offset", 0)), int(params.get("limit", 100))
            return 200, [("Content-Type", "application/json;charset=utf-8")], json.dumps(items[offset:offset + limit])

        super().__init__(answer)

    @property
    def seen(self):
        """(path without query, Authorization header) of each request."""
        with self.lock:
            return [(path.partition("?")[0], h.get("Authorization", "")) for _, _, path, h in self.requests]


class AuthTest(TestCase):
    def test_auth__each_source_sends_its_own_credentials(self):
        server = AuthServer()
        try:
            for name, secret in (("a.pw", "pw-a\n"), ("b.pw", "pw-b")):
                with open(os.path.join(self.ws.dir, name), "w") as f:
                    f.write(secret)
                os.chmod(os.path.join(self.ws.dir, name), 0o600)  # else tmfinv warns (others may read it)
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
            # One error line; the info lines of the log (the source's summary) aside.
            self.assertEqual(len([l for l in p.stderr.strip().splitlines() if " level=info " not in l]), 1, p.stderr)
            self.assertIn("source 'services' page 1: HTTP 401", p.stderr)
            self.assertEqual(self.ws.count("Service"), 7)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
