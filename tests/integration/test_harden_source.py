"""Issue 7, the source side: what a source hands us cannot take our credentials elsewhere
or keep a scan going for ever.

Point 1 — credentials only go to the origin of the source's `url` (scheme, host, port):
- a `Link: rel="next"` to another origin (a second stub server on another port) stops the
  source with an error naming the source and that origin; the foreign server never gets a
  request, let alone an Authorization header (basic and bearer); nothing is removed;
- with that origin in `allowed_origins` the same scan completes;
- redirects are never followed, to another origin or to our own, and say so; the token
  endpoint's redirects neither (the client secret stays home).

Point 4 — paging that never ends stops by a rule, never by the deadline (the tests set
`[sync] deadline = 0`, none, and bound their own runtime):
- an offset source repeating the same full page (tmfinv-sim --repeat-page);
- a `Link` pointing at itself or at a page seen before (--link-loop N);
- a source making up new items for ever: by the budget from its own X-Total-Count
  (--endless), or by `max_pages` when it sends no total (--no-total-count);
- a legitimate scan that needs exactly `max_pages` pages is not cut short.

Point 10 (minor) — `check` refuses `url = http://` and `rate_limit = 1e-300`, naming
file and line.

Every run here is checked in the run record: incomplete, the reason, nothing removed."""

import base64
import json
import os
import subprocess
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tmfinv_testlib import BIN, StubServer, TestCase, main  # noqa: E402

SIZES = {"services": 200, "carriers": 100, "resources": 300}
TMF639 = "/tmf-api/resourceInventoryManagement/v4/resource"
NO_DEADLINE = "[sync]\ndeadline = 0\n"
RUN_LIMIT_S = 120  # a run that goes on longer than this never stopped by itself


def resources(first, n):
    return [{"id": "r%d" % i, "@type": "Antenna", "status": "Operational", "name": "antenna %d" % i}
            for i in range(first, first + n)]


class Origin(StubServer):
    """One origin of a link-paged TMF639 collection: page `cursor` of `pages` (a list of item
    lists), with the next page's link pointing wherever `next_base(n)` says. Requests are
    recorded (StubServer.requests) whatever they carry; with `require` only that exact
    Authorization header gets data."""

    def __init__(self, pages, next_base=None, require=None, redirect=None):
        self.pages = pages
        self.next_base = next_base
        self.require = require
        self.redirect = redirect

        def answer(method, path, headers, body):
            if self.redirect:
                return 302, [("Location", self.redirect), ("Content-Type", "text/plain")], b"moved"
            if self.require and headers.get("Authorization", "") != self.require:
                return 401, [("Content-Type", "application/json")], b'{"code":"401"}'
            query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(path).query))
            n = int(query.get("cursor", 0))
            extra = []
            if n + 1 < len(self.pages):
                extra.append(("Link", '<%s/api/resource?cursor=%d>; rel="next"' % (self.next_base(n + 1), n + 1)))
            return 200, extra + [("Content-Type", "application/json")], json.dumps(self.pages[n])

        super().__init__(answer)

    def authorizations(self):
        with self.lock:
            return [h.get("Authorization") for _, _, _, h in self.requests]


class HardenSourceTest(TestCase):
    maxDiff = None

    def setUp(self):
        super().setUp()
        self.stubs = []

    def tearDown(self):
        for s in self.stubs:
            s.stop()
        super().tearDown()

    def stub(self, *args, **kw):
        s = Origin(*args, **kw)
        self.stubs.append(s)
        return s

    def secret(self, name, text):
        path = os.path.join(self.ws.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return name

    def sync(self, expect):
        """`sync --once`, which must end by itself within RUN_LIMIT_S."""
        try:
            p = subprocess.run([BIN, "-c", self.ws.config, "sync", "--once"], capture_output=True, text=True,
                               timeout=RUN_LIMIT_S)
        except subprocess.TimeoutExpired:
            self.fail("sync --once still running after %d s: the scan never stopped by itself" % RUN_LIMIT_S)
        for marker in ("Sanitizer", "runtime error:"):
            self.assertNotIn(marker, p.stderr)
        if expect is not None:
            self.assertEqual(p.returncode, expect, "stdout: %s\nstderr: %s" % (p.stdout, p.stderr))
        return p

    def last_sources(self):
        return {s["name"]: s for s in self.ws.json_lines("runs", "--json")[0]["sources"]}

    # ---- point 1: credentials stay with the origin ------------------------------------

    def test_harden_source__next_link_to_another_origin_gets_no_credentials(self):
        kinds = {
            "basic": ({"auth": "basic", "username": "alice", "password_file": "pw"},
                      "Basic " + base64.b64encode(b"alice:pw-secret").decode()),
            "bearer": ({"auth": "bearer", "token_file": "tok"}, "Bearer tok-secret"),
        }
        for kind, (keys, header) in kinds.items():
            with self.subTest(auth=kind):
                self.ws.cleanup()
                os.makedirs(self.ws.dir)
                self.secret("pw", "pw-secret\n")
                self.secret("tok", "tok-secret\n")
                pages = [resources(0, 3), resources(3, 3)]
                foreign = self.stub(pages, require=header)
                home = self.stub(pages, next_base=lambda n: foreign.base, require=header)
                source = {"api": "tmf639", "url": home.base + "/api/resource", "paging": "link", "page_size": "3",
                          **keys}
                self.ws.write_config([("resources", source)], NO_DEADLINE)
                p = self.sync(expect=None)
                self.assertEqual(foreign.authorizations(), [], "the foreign origin got a request")
                self.assertEqual(p.returncode, 1, p.stderr)
                self.assertEqual(home.authorizations(), [header])
                self.assertIn("source 'resources'", p.stderr)
                self.assertIn("another origin, " + foreign.base, p.stderr)
                self.assertNotIn("secret", p.stderr + p.stdout)
                s = self.last_sources()["resources"]
                self.assertFalse(s["complete"])
                self.assertIn("another origin, " + foreign.base, s["error"])
                self.assertEqual(s["removed"], 0)

                # Listed in allowed_origins, the same scan follows the link and completes.
                self.ws.write_config([("resources", dict(source, allowed_origins=foreign.base))], NO_DEADLINE)
                self.sync(expect=0)
                self.assertEqual(foreign.authorizations(), [header])
                self.assertTrue(self.last_sources()["resources"]["complete"])
                self.assertEqual(self.ws.count("Resource"), 6)

                # Not listed again: stops at the link, and the items of the foreign page stay.
                self.ws.write_config([("resources", source)], NO_DEADLINE)
                self.sync(expect=1)
                self.assertEqual(len(foreign.authorizations()), 1, "the foreign origin got another request")
                self.assertEqual(self.last_sources()["resources"]["removed"], 0)
                self.assertEqual(self.ws.count("Resource"), 6)

    def test_harden_source__origin_is_scheme_host_and_port(self):
        # The same host on another port is another origin, and allowing https://host:port
        # does not allow http://host:port (a downgrade); the unit tests of
        # tmfinv_config_url_origin cover the spellings of one origin.
        pages = [resources(0, 2), resources(2, 2)]
        other = self.stub(pages)
        home = self.stub(pages, next_base=lambda n: other.base)
        for url, allowed in ((home.base + "/api/resource", None),
                             (home.base + "/api/resource", "https://127.0.0.1:%d" % other.server.server_address[1])):
            with self.subTest(allowed=allowed):
                source = {"api": "tmf639", "url": url, "paging": "link", "page_size": "2",
                          "auth": "bearer", "token_file": self.secret("tok", "t0k\n")}
                if allowed:
                    source["allowed_origins"] = allowed  # https://same-host:port is not http://same-host:port
                self.ws.write_config([("resources", source)], NO_DEADLINE)
                p = self.sync(expect=1)
                self.assertIn("another origin, " + other.base, p.stderr)
        self.assertEqual(other.authorizations(), [])

    def test_harden_source__redirects_are_not_followed(self):
        target = self.stub([resources(0, 2)])
        header = "Bearer t0k"
        for where in ("foreign", "home"):
            with self.subTest(redirect=where):
                home = self.stub([resources(0, 2)], require=header)
                home.redirect = (target.base if where == "foreign" else home.base) + "/api/resource?cursor=0"
                self.ws.write_config([("resources", {"api": "tmf639", "url": home.base + "/api/resource",
                                                     "paging": "offset", "page_size": "2", "auth": "bearer",
                                                     "token_file": self.secret("tok", "t0k\n")})], NO_DEADLINE)
                p = self.sync(expect=1)
                self.assertIn("redirect to " + home.redirect, p.stderr)
                self.assertIn("not followed", p.stderr)
                if where == "foreign":
                    self.assertIn("another origin, " + target.base, p.stderr)
                self.assertEqual(len(home.authorizations()), 1, "one request, no second hop")
                s = self.last_sources()["resources"]
                self.assertFalse(s["complete"])
                self.assertIn("not followed", s["error"])
        self.assertEqual(target.authorizations(), [], "a redirect target got a request")

    def test_harden_source__token_endpoint_redirect_keeps_the_client_secret_home(self):
        target = self.stub([[]])
        token = self.stub([[]], redirect=None)
        token.redirect = target.base + "/oauth_token.do"
        data = self.stub([resources(0, 2)])
        self.ws.write_config([("resources", {
            "api": "tmf639", "url": data.base + "/api/resource", "page_size": "2", "auth": "oauth2",
            "grant": "client_credentials", "client_id": "cid", "client_secret_file": self.secret("cs", "cs-secret\n"),
            "token_url": token.base + "/oauth_token.do"})], NO_DEADLINE)
        p = self.sync(expect=1)
        self.assertIn("redirect, not followed", p.stderr)
        self.assertEqual(target.authorizations(), [], "the redirect target of the token endpoint got a request")
        self.assertEqual(data.authorizations(), [], "no token, so no data request")
        self.assertNotIn("cs-secret", p.stderr + p.stdout)

    # ---- point 4: paging that never ends -----------------------------------------------

    def sim_config(self, sim, dialect="offset", extra="", **keys):
        src = {"api": "tmf639", "url": sim.base + TMF639, "paging": dialect, "page_size": "40", **keys}
        self.ws.write_config([("resources", src)], NO_DEADLINE + extra)

    def assert_stopped(self, reason, pages):
        s = self.last_sources()["resources"]
        self.assertFalse(s["complete"])
        self.assertIn(reason, s["error"] or "")
        self.assertEqual(s["pages"], pages, s["error"])
        self.assertEqual(s["removed"], 0)
        return s

    def test_harden_source__repeated_page_stops_the_scan(self):
        sim = self.sim("--repeat-page", **SIZES)
        for concurrency in ("1", "4"):
            with self.subTest(concurrency=concurrency):
                self.sim_config(sim, concurrency=concurrency)
                p = self.sync(expect=2)
                self.assertIn("brought no new item", p.stderr)
                s = self.assert_stopped("page 2 brought no new item (all 40 already seen in this scan)", 2)
                self.assertEqual(s["items"], 80)

    def test_harden_source__link_loop_stops_the_scan(self):
        for loop_at in (1, 3):
            with self.subTest(link_loop=loop_at):
                sim = self.sim("--link-loop", loop_at, **SIZES)
                self.sim_config(sim, "link")
                p = self.sync(expect=2)
                self.assertIn("was already visited in this scan", p.stderr)
                self.assert_stopped("the next link of page %d" % loop_at, loop_at)

    def test_harden_source__endless_source_stops_at_the_budget_from_its_total(self):
        sim = self.sim("--endless", **SIZES)
        self.sim_config(sim, concurrency="4")
        p = self.sync(expect=2)
        self.assertIn("page budget is spent", p.stderr)
        # 300 items announced, pages of 40: 300 // 40 + 2 = 9 pages would do; twice that and 10.
        self.assert_stopped("X-Total-Count", 2 * 9 + 10)

    def test_harden_source__endless_source_without_total_stops_at_max_pages(self):
        sim = self.sim("--endless", "--no-total-count", **SIZES)
        self.sim_config(sim, max_pages="15")
        p = self.sync(expect=2)
        self.assertIn("page budget is spent", p.stderr)
        self.assert_stopped("max_pages = 15", 15)

    def test_harden_source__scan_needing_exactly_max_pages_completes(self):
        sim = self.sim("--no-total-count", **SIZES)
        # 300 resources in pages of 40: 8 pages, the last one short.
        self.sim_config(sim, max_pages="8")
        self.sync(expect=0)
        s = self.last_sources()["resources"]
        self.assertTrue(s["complete"], s["error"])
        self.assertEqual((s["pages"], s["items"]), (8, 300))
        self.sim_config(sim, max_pages="7")
        self.sync(expect=2)
        self.assert_stopped("max_pages = 7", 7)

    # ---- point 10: malformed URLs and tiny rates -----------------------------------------

    def test_harden_source__check_refuses_hostless_urls_and_tiny_rates(self):
        cases = (({"url": "http://"}, ":6: [source a] url = 'http://'"),
                 ({"url": "http://h/x", "rate_limit": "1e-300"}, ":7: [source a] rate_limit = '1e-300'"))
        for keys, message in cases:
            with self.subTest(**keys):
                self.ws.write_config([("a", {"api": "tmf638", **keys})])
                p = self.ws.run("check")
                self.assertNotEqual(p.returncode, 0, p.stdout)
                self.assertIn(self.ws.config + message, p.stderr)
                self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)


if __name__ == "__main__":
    main()
