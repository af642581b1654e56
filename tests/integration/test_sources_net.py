"""Issue 8, points 5 (profiles) and 6 (network) of real sources.

Network: a source's `proxy` sends every page (and the OAuth2 token request) through a
forward proxy — a tiny one of the test's own that handles absolute-URI requests over
plain HTTP and counts them; `no_proxy` naming the source's host sends none through it;
`proxy =` left empty ignores the environment's http_proxy, which otherwise applies as
before. `check` refuses a bad proxy URL (and one with credentials) naming file:line.

Profiles: a tmf638 source with profile `ses` and a tmf639 source with profile `tmf`
sync (they feed different definitions); two sources feeding one definition from profiles
that define it differently are refused naming both configuration lines, both profile
files, the definition and the first difference."""

import http.client
import http.server
import json
import os
import re
import threading
import urllib.parse

from tmfinv_testlib import TestCase, Workspace, main

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
DATA = os.environ.get("TMFINV_DATA_DIR", os.path.join(TOP, "data"))
PROXY_ENV = ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy",
             "NO_PROXY")
CLIENT_SECRET = "cs-8f3a1c"


class ForwardProxy:
    """A plain-HTTP forward proxy on 127.0.0.1:0: takes `GET http://host:port/path`
    (and POST), forwards it, and records (method, absolute URL) in `requests`."""

    def __init__(self):
        self.requests = []
        self.lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def answer(self):
                length = int(self.headers.get("Content-Length", "0") or 0)
                body = self.rfile.read(length) if length else None
                with proxy.lock:
                    proxy.requests.append((self.command, self.path))
                url = urllib.parse.urlsplit(self.path)
                if url.scheme != "http" or not url.netloc:
                    self.send_error(400, "not an absolute http URI")
                    return
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("proxy-connection", "connection", "host", "keep-alive")}
                conn = http.client.HTTPConnection(url.netloc, timeout=30)
                try:
                    target = url.path + ("?" + url.query if url.query else "")
                    conn.request(self.command, target or "/", body=body, headers=headers)
                    r = conn.getresponse()
                    data = r.read()
                    self.send_response(r.status)
                    for k, v in r.getheaders():
                        if k.lower() not in ("transfer-encoding", "connection", "content-length", "keep-alive"):
                            self.send_header(k, v)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                finally:
                    conn.close()

            do_GET = do_POST = answer

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def count(self, method="GET"):
        with self.lock:
            return sum(1 for m, _ in self.requests if m == method)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


class SourcesNetTest(TestCase):
    def setUp(self):
        super().setUp()
        self.saved_env = {k: os.environ.pop(k) for k in PROXY_ENV if k in os.environ}
        self.proxy = ForwardProxy()

    def tearDown(self):
        self.proxy.stop()
        for k in PROXY_ENV:
            os.environ.pop(k, None)
        os.environ.update(self.saved_env)
        super().tearDown()

    def sources(self, sim, **keys):
        out = []
        for name, api, path in (("services", "tmf638", "/tmf638/service"), ("resources", "tmf639", "/tmf639/resource")):
            s = {"api": api, "url": sim.base + path, "paging": "page", "page_size": "40"}
            s.update(keys)
            out.append((name, s))
        return out

    def sync(self):
        self.ws.run("sync", "--once", check=0)
        run = self.ws.json_lines("runs", "--json")[0]
        self.assertTrue(run["complete"], run)
        return run

    def test_sources_net__proxy_carries_every_page(self):
        sim = self.sim(services=120, carriers=40, resources=90)
        # With `proxy` set the environment does not decide, not even its no_proxy.
        os.environ["no_proxy"] = "127.0.0.1,localhost"
        self.ws.write_config(self.sources(sim, proxy=self.proxy.url))
        run = self.sync()
        pages = sum(s["pages"] for s in run["sources"]) if "pages" in run["sources"][0] else None
        self.assertGreater(self.proxy.count(), 0, "no page went through the proxy")
        if pages is not None:
            self.assertEqual(self.proxy.count(), pages, run)
        self.assertTrue(all(u.startswith(sim.base + "/tmf63") for _, u in self.proxy.requests), self.proxy.requests)
        self.assertGreater(self.ws.count("Service"), 0)

    def test_sources_net__no_proxy_bypasses_the_proxy(self):
        sim = self.sim(services=60, carriers=20, resources=30)
        self.ws.write_config(self.sources(sim, proxy=self.proxy.url, no_proxy="example.org, 127.0.0.1"))
        self.sync()
        self.assertEqual(self.proxy.requests, [])
        self.assertGreater(self.ws.count("Service"), 0)

    def test_sources_net__environment_proxy_and_empty_proxy(self):
        sim = self.sim(services=60, carriers=20, resources=30)
        os.environ["http_proxy"] = self.proxy.url
        # Without `proxy`, libcurl's environment applies as before.
        self.ws.write_config(self.sources(sim))
        self.sync()
        self.assertGreater(self.proxy.count(), 0)
        # `proxy =` empty: no proxy at all, not even the environment's.
        before = len(self.proxy.requests)
        self.ws.write_config(self.sources(sim, proxy=""))
        self.sync()
        self.assertEqual(len(self.proxy.requests), before, self.proxy.requests[before:])

    def test_sources_net__oauth2_token_request_goes_through_the_proxy(self):
        path = os.path.join(self.ws.dir, "sim-oauth2.auth")
        with open(path, "w") as f:
            f.write("# accepted credentials\nclient-1:%s\n" % CLIENT_SECRET)
        sim = self.sim("--require-auth", "oauth2", "--auth-file", path, services=40, carriers=10, resources=20)
        secret = os.path.join(self.ws.dir, "cs.txt")
        with open(secret, "w") as f:
            f.write(CLIENT_SECRET + "\n")
        os.chmod(secret, 0o600)
        self.ws.write_config(self.sources(sim, proxy=self.proxy.url, auth="oauth2", grant="client_credentials",
                                          client_id="client-1", client_secret_file="cs.txt",
                                          token_url=sim.base + "/oauth_token.do"))
        self.sync()
        self.assertEqual(self.proxy.count("POST"), 2, self.proxy.requests)
        self.assertIn(("POST", sim.base + "/oauth_token.do"), self.proxy.requests)
        self.assertGreater(self.proxy.count("GET"), 0)

    def test_sources_net__check_refuses_bad_proxies_naming_the_line(self):
        cases = [("ftp://127.0.0.1:3128", "expected http://"),
                 ("127.0.0.1:3128", "expected http://"),
                 ("http://:3128", "no host"),
                 ("http://127.0.0.1:99999", "port"),
                 ("http://127.0.0.1:3128/some/path", "without a path"),
                 ("http://alice:s3cret@127.0.0.1:3128", "credentials")]
        for value, why in cases:
            with self.subTest(value=value):
                self.ws.write_config([("services", {"api": "tmf638", "url": "http://127.0.0.1:1/tmf638/service",
                                                    "proxy": value})])
                p = self.ws.run("check")
                self.assertNotEqual(p.returncode, 0, p.stdout)
                self.assertIn("%s:7: [source services] proxy" % self.ws.config, p.stderr)
                self.assertIn(why, p.stderr)
                self.assertNotIn("s3cret", p.stderr + p.stdout)
        for value in ("http://127.0.0.1:3128", "socks5h://proxy.example:1080", "http://[::1]:8080", ""):
            with self.subTest(value=value):
                self.ws.write_config([("services", {"api": "tmf638", "url": "http://127.0.0.1:1/tmf638/service",
                                                    "proxy": value, "no_proxy": "*"})])
                p = self.ws.run("check")
                self.assertEqual(p.returncode, 0, p.stderr)

    # Profiles (point 5).

    def test_sources_net__profiles_mix_across_apis(self):
        sim = self.sim(services=50, carriers=20, resources=30)
        src = self.sources(sim)
        src[0][1]["profile"] = "ses"
        src[1][1]["profile"] = "tmf"
        self.ws.write_config(src)
        p = self.ws.run("check")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.sync()
        self.assertGreater(self.ws.count("Service"), 0)
        self.assertGreater(self.ws.count("Resource"), 0)

    def test_sources_net__profile_conflict_names_both_lines_files_and_field(self):
        sim = self.sim(services=20, carriers=5, resources=5)
        with open(os.path.join(DATA, "profiles", "ses.json")) as f:
            profile = json.load(f)
        service = next(d for d in profile["definitions"] if d["name"] == "Service")
        # A copy of the ses profile whose Service reads `category` from elsewhere.
        changed = next(f for sec in service["sections"] for f in sec["fields"] if f["name"] == "category")
        changed["from"] = "serviceCategory"
        mine = os.path.join(self.ws.dir, "mine.json")
        with open(mine, "w") as f:
            json.dump(profile, f, indent=1)
        self.ws.write_config([
            ("a", {"api": "tmf638", "url": sim.base + "/tmf638/service", "paging": "page", "profile": "ses",
                   "definitions": "Service"}),
            ("b", {"api": "tmf638", "url": sim.base + "/tmf638/service", "paging": "page", "profile": "mine.json",
                   "definitions": "Service"})])
        p = self.ws.run("check")
        self.assertNotEqual(p.returncode, 0)
        err = p.stderr
        self.assertIn("%s:8" % self.ws.config, err)   # [source a] profile
        self.assertIn("%s:15" % self.ws.config, err)  # [source b] profile
        self.assertIn("ses.json", err)
        self.assertIn(mine, err)
        self.assertIn("'Service'", err)
        self.assertIn("category", err)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        # A rule that differs is named as a rule.
        service["keep_statuses"] = list(service["keep_statuses"]) + [s for s in service["statuses"]
                                                                    if s not in service["keep_statuses"]][:1]
        changed["from"] = "category"
        with open(mine, "w") as f:
            json.dump(profile, f, indent=1)
        p = self.ws.run("check")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("first in rule 'keep_statuses'", p.stderr)
        # Feeding different definitions of the same API from the two files is fine.
        self.ws.write_config([
            ("a", {"api": "tmf638", "url": sim.base + "/tmf638/service", "paging": "page", "profile": "ses",
                   "definitions": "Carrier"}),
            ("b", {"api": "tmf638", "url": sim.base + "/tmf638/service", "paging": "page", "profile": "mine.json",
                   "definitions": "Service"})])
        p = self.ws.run("check")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertFalse(re.search(r"differ", p.stderr), p.stderr)


if __name__ == "__main__":
    main()
