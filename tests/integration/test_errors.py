"""Black-box tests of tmfinv's error paths: bad configurations, bad command lines,
unreachable or misbehaving sources, and bad `set`/`show` requests.

Each failure must give a meaningful exit code (1 error, 2 incomplete sync, 64 bad
command line), a short message on stderr that starts with 'tmfinv: ' and names what
is wrong, and must lose nothing: a store synced before stays as it was.

Python standard library only; run through ctest or directly with TMFINV_BIN,
TMFINV_SIM and TMFINV_DATA_DIR set."""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

import json
import socket
import subprocess

from tmfinv_testlib import BIN, StubServer, TestCase, main

import re

# A sync's diagnostics are log lines (docs/configuration.md, [log]): logfmt on stderr.
LOG_LINE = re.compile(r'^time=\S+ level=(debug|info|warn|error) msg="')


def is_log_line(line, levels=("debug", "info", "warn", "error")):
    m = LOG_LINE.match(line)
    return bool(m) and m.group(1) in levels

SMALL = dict(services=60, carriers=30, resources=60)
SECRET = "s3cr3t-Pa55word-xyzzy"


def free_port():
    """A loopback port that was free a moment ago and has nothing listening on it now."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def fixed_reply(status, content_type, body):
    """A StubServer handler that answers every request with one fixed reply."""
    headers = [("Content-Type", content_type)]
    if status == 401:
        headers.append(("WWW-Authenticate", 'Basic realm="tmf"'))
    return lambda method, path, request_headers, request_body: (status, headers, body)


class ErrorTestCase(TestCase):
    def setUp(self):
        super().setUp()
        self.stubs = []

    def tearDown(self):
        for s in self.stubs:
            s.stop()
        super().tearDown()

    def stub(self, status, content_type, body):
        s = StubServer(fixed_reply(status, content_type, body))
        self.stubs.append(s)
        return s

    def write_raw(self, text):
        with open(self.ws.config, "w") as f:
            f.write(text)

    def assert_one_line(self, p, code, *needles):
        """Exit code `code`, exactly one line on stderr, starting 'tmfinv: ' (or an error log
        line), containing every needle."""
        self.assertEqual(p.returncode, code, "stdout: %r\nstderr: %r" % (p.stdout, p.stderr))
        lines = p.stderr.splitlines()
        self.assertEqual(len(lines), 1, "expected one line on stderr, got %r" % p.stderr)
        self.assertTrue(p.stderr.endswith("\n"), repr(p.stderr))
        self.assertTrue(lines[0].startswith("tmfinv: ") or is_log_line(lines[0], ("error",)), repr(lines[0]))
        for n in needles:
            self.assertIn(str(n), lines[0])
        return lines[0]

    def assert_error_line(self, p, code, *needles):
        """Exit code `code` and a stderr line, 'tmfinv: …' or an error log line, that contains
        every needle (the weaker check, made first so that later checks still run;
        assert_one_line at the end)."""
        self.assertEqual(p.returncode, code, "stdout: %r\nstderr: %r" % (p.stdout, p.stderr))
        for line in p.stderr.splitlines():
            self.assertTrue(line.startswith("tmfinv: ") or is_log_line(line), repr(line))
            if (line.startswith("tmfinv: ") or is_log_line(line, ("error",))) and all(str(n) in line for n in needles):
                return line
        self.fail("no stderr line contains all of %r: %r" % (needles, p.stderr))

    def presync(self):
        """Syncs the store from a small simulator; returns the dump and the counts."""
        sim = self.sim(**SMALL)
        self.ws.ses_config(sim)
        self.ws.run("sync", "--once", check=0)
        before = self.ws.dump()
        self.assertGreater(len(before), 50)
        return before, self.counts()

    def counts(self):
        return {d: (self.ws.count(d), self.ws.count(d, all=True)) for d in ("Service", "Carrier", "Resource")}

    def runs(self):
        return self.ws.json_lines("runs", "--json")

    def source(self, name, **keys):
        # Short back-off so that retried failures stay fast; the number of retries is the default.
        return (name, dict({"api": "tmf638", "paging": "page", "page_size": "40", "retry_delay_ms": "10"}, **keys))


# ---- 1. bad configurations ---------------------------------------------------------


class BadConfig(ErrorTestCase):
    """Each broken configuration stops every command with exit 1 and one line that names
    the file, the line and what is wrong."""

    GOOD = "[store]\npath = x.db\n\n[source svc]\napi = tmf638\nurl = http://127.0.0.1:9/tmf638/service\n"

    def check_bad(self, text, line, *needles, commands=(("check",), ("sync", "--once"), ("query", "Service"))):
        self.write_raw(text)
        for cmd in commands:
            p = self.ws.run(*cmd)
            msg = self.assert_one_line(p, 1, self.ws.config, *needles)
            if line is not None:
                self.assertIn("%s:%d" % (self.ws.config, line), msg)
        self.assertFalse(os.path.exists(os.path.join(self.ws.dir, "x.db")), "a bad config must not create a store")

    def test_good_config_is_accepted(self):
        # The base of the cases below is itself valid, so each failure is due to its one change.
        self.write_raw(self.GOOD)
        p = self.ws.run("check")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr, "")

    def test_missing_file(self):
        missing = os.path.join(self.ws.dir, "no-such-dir", "tmfinv.ini")
        for cmd in (("check",), ("sync", "--once"), ("query", "Service")):
            p = subprocess.run([BIN, "-c", missing] + list(cmd), capture_output=True, text=True, timeout=60)
            self.assert_one_line(p, 1, missing)

    def test_missing_file_from_environment(self):
        missing = os.path.join(self.ws.dir, "env.ini")
        env = dict(os.environ, TMFINV_CONFIG=missing)
        p = subprocess.run([BIN, "check"], capture_output=True, text=True, timeout=60, env=env)
        self.assert_one_line(p, 1, missing)

    def test_line_without_equals(self):
        self.check_bad(self.GOOD + "this line has no equals sign\n", 7)

    def test_unknown_key(self):
        self.check_bad(self.GOOD + "colour = blue\n", 7, "colour")

    def test_unknown_key_in_store(self):
        self.check_bad("[store]\npath = x.db\nsize = 3\n", 3, "size")

    def test_unknown_section(self):
        self.check_bad(self.GOOD + "\n[sourc svc2]\napi = tmf639\n", 8, "sourc svc2")

    def test_bad_api(self):
        self.check_bad(self.GOOD.replace("api = tmf638", "api = tmf640"), 5, "api", "tmf640")

    def test_missing_api(self):
        self.check_bad(self.GOOD.replace("api = tmf638\n", ""), 4, "api", "svc")

    def test_bad_url(self):
        self.check_bad(self.GOOD.replace("url = http://", "url = ftp://"), 6, "url", "ftp://")

    def test_bad_paging(self):
        self.check_bad(self.GOOD + "paging = cursor\n", 7, "paging", "cursor")

    def test_page_size_zero(self):
        self.check_bad(self.GOOD + "page_size = 0\n", 7, "page_size", "'0'")

    def test_page_size_not_a_number(self):
        self.check_bad(self.GOOD + "page_size = forty\n", 7, "page_size", "forty")

    def test_bad_auth(self):
        self.check_bad(self.GOOD + "auth = digest\n", 7, "auth", "digest")

    def test_basic_auth_without_password_file(self):
        # The message names the section (line 4) and the missing key.
        self.check_bad(self.GOOD + "auth = basic\nusername = noc\n", 4, "auth", "password_file", "svc")

    def test_password_file_missing(self):
        missing = "secrets/nope.txt"
        self.check_bad(self.GOOD + "auth = basic\nusername = noc\npassword_file = %s\n" % missing, 9,
                       "password_file", missing)

    def test_password_file_empty(self):
        with open(os.path.join(self.ws.dir, "empty.txt"), "w"):
            pass
        self.check_bad(self.GOOD + "auth = basic\nusername = noc\npassword_file = empty.txt\n", 9,
                       "password_file", "empty")

    def test_repeated_key(self):
        self.check_bad(self.GOOD + "url = http://127.0.0.1:9/other\n", 7, "url")

    def test_missing_store(self):
        self.check_bad(self.GOOD.replace("[store]\npath = x.db\n", ""), None, "store")

    def test_unknown_profile(self):
        # The message must point to the configuration: file, line of 'profile', the key and the value.
        self.check_bad(self.GOOD + "profile = nope\n", 7, "profile", "nope")

    def test_unknown_definition_in_source(self):
        self.check_bad(self.GOOD + "definitions = Service, Gizmo\n", None, "definitions", "Gizmo")


# ---- 2. unknown definition -----------------------------------------------------------


class UnknownDefinition(ErrorTestCase):
    def test_query_unknown_definition(self):
        sim = self.sim(**SMALL)
        self.ws.ses_config(sim)
        for cmd in (("query", "Nope"), ("query", "Nope", "--count"), ("query", "Nope", "--json")):
            p = self.ws.run(*cmd)
            msg = self.assert_one_line(p, 1, "'Nope'", "Service", "Carrier", "Resource")
            self.assertEqual(p.stdout, "")
            self.assertIn("known", msg)

    def test_show_with_unknown_definition(self):
        before, _ = self.presync()
        p = self.ws.run("show", before[0][1], "--definition", "Nope")
        self.assert_one_line(p, 1, "'Nope'", "Resource")


# ---- 3-6. sources that fail ----------------------------------------------------------


class FailingSource(ErrorTestCase):
    def sync(self):
        # --quiet: the per-source summary (an info log line) aside, a failure is one error line.
        return self.ws.run("sync", "--once", "--quiet")

    def test_unreachable_source(self):
        before, counts = self.presync()
        port = free_port()
        self.ws.write_config([self.source("services", url="http://127.0.0.1:%d/tmf638/service" % port)])
        p = self.sync()
        msg = self.assert_error_line(p, 1, "'services'", "page 1")
        self.assertIn("127.0.0.1:%d" % port, msg)
        self.assertEqual(self.ws.dump(), before)
        self.assertEqual(self.counts(), counts)
        last = self.runs()[0]
        self.assertIs(last["complete"], False)
        self.assertEqual([s["name"] for s in last["sources"]], ["services"])
        self.assertIn("page 1", last["sources"][0]["error"])
        self.assert_one_line(p, 1, "'services'", "page 1")

    def test_unreachable_source_fails_fast_with_no_retries(self):
        # retries = 0: one attempt only; still a clear failure, still nothing touched.
        before, _ = self.presync()
        port = free_port()
        self.ws.write_config([self.source("services", url="http://127.0.0.1:%d/tmf638/service" % port,
                                          retries="0")])
        p = self.sync()
        self.assert_error_line(p, 1, "'services'", "page 1")
        self.assertEqual(self.ws.dump(), before)
        self.assert_one_line(p, 1, "'services'", "page 1")

    def test_401(self):
        before, counts = self.presync()
        stub = self.stub(401, "application/json", '{"code":"401","reason":"Unauthorized"}')
        self.ws.write_config([self.source("services", url=stub.base + "/tmf638/service")])
        p = self.sync()
        self.assert_error_line(p, 1, "'services'", "page 1", "401")
        self.assertEqual(len(stub.requests), 1, "a 401 must not be retried")
        self.assertEqual(self.ws.dump(), before)
        self.assertEqual(self.counts(), counts)
        self.assertIs(self.runs()[0]["complete"], False)
        self.assert_one_line(p, 1, "'services'", "page 1", "401")

    def test_401_with_basic_auth_does_not_leak_the_password(self):
        before, _ = self.presync()
        with open(os.path.join(self.ws.dir, "password.txt"), "w") as f:
            f.write(SECRET + "\n")
        os.chmod(os.path.join(self.ws.dir, "password.txt"), 0o600)  # else tmfinv warns (others may read it)
        stub = self.stub(401, "application/json", '{"code":"401","reason":"Unauthorized"}')
        self.ws.write_config([self.source("services", url=stub.base + "/tmf638/service", auth="basic",
                                          username="noc", password_file="password.txt")])
        p = self.sync()
        self.assert_error_line(p, 1, "'services'", "page 1", "401")
        # The password was sent (so the test would notice it leaking from a real request) ...
        self.assertTrue(stub.requests)
        self.assertTrue(any("Authorization" in h for _, _, _, h in stub.requests), stub.requests)
        # ... and appears nowhere in what tmfinv printed or stored as a run.
        for out in (p.stdout, p.stderr, self.ws.run("runs", "--json", check=0).stdout,
                    self.ws.run("runs", check=0).stdout):
            self.assertNotIn(SECRET, out)
        self.assertEqual(self.ws.dump(), before)
        self.assert_one_line(p, 1, "'services'", "page 1", "401")

    def test_password_not_printed_by_check(self):
        with open(os.path.join(self.ws.dir, "password.txt"), "w") as f:
            f.write(SECRET + "\n")
        self.ws.write_config([self.source("services", url="http://127.0.0.1:9/x", auth="basic",
                                          username="noc", password_file="password.txt")])
        p = self.ws.run("check")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn(SECRET, p.stdout + p.stderr)
        # A later config error must not print it either.
        with open(self.ws.config, "a") as f:
            f.write("bogus = 1\n")
        p = self.ws.run("check")
        self.assertEqual(p.returncode, 1)
        self.assertNotIn(SECRET, p.stdout + p.stderr)

    def check_bad_body(self, content_type, body, what):
        before, counts = self.presync()
        n_runs = len(self.runs())
        stub = self.stub(200, content_type, body)
        self.ws.write_config([self.source("services", url=stub.base + "/tmf638/service", retries="1",
                                          retry_delay_ms="10")])
        p = self.sync()
        self.assertEqual(p.returncode, 2, "stdout: %r\nstderr: %r" % (p.stdout, p.stderr))
        self.assertTrue(p.stderr)
        for line in p.stderr.splitlines():
            self.assertTrue(line.startswith("tmfinv: ") or is_log_line(line), repr(line))
        self.assertIn("'services'", p.stderr)
        self.assertIn("page 1", p.stderr)
        self.assertIn(what, p.stderr)
        # Each page was tried 1 + retries times, and the scan stopped after max_failed_pages (3).
        self.assertEqual(len(stub.requests), 3 * 2, [r[2] for r in stub.requests])
        # The run is recorded as incomplete, with its failed pages.
        runs = self.runs()
        self.assertEqual(len(runs), n_runs + 1)
        last = runs[0]
        self.assertIs(last["complete"], False)
        (src,) = last["sources"]
        self.assertEqual(src["name"], "services")
        self.assertIs(src["complete"], False)
        self.assertEqual(src["failedPages"], 3)
        self.assertEqual([f["page"] for f in src["failed"]], [1, 2, 3])
        for f in src["failed"]:
            self.assertEqual(f["tries"], 2)
            self.assertEqual(f["status"], 200)
            self.assertIn(what, f["error"])
        self.assertEqual(src["removed"], 0)
        # Nothing removed, nothing changed.
        self.assertEqual(self.counts(), counts)
        self.assertEqual(self.ws.dump(), before)
        # The human-readable run list says so too.
        text = self.ws.run("runs", "--limit", "1", check=0).stdout
        self.assertIn("INCOMPLETE", text)
        self.assertIn("failed page 1", text)

    def test_body_not_json(self):
        self.check_bad_body("text/html", "<html><body><h1>Gateway says hello</h1></body></html>", "not valid JSON")

    def test_body_json_object_not_array(self):
        self.check_bad_body("application/json", '{"items": [], "count": 0}', "not an array")

    def test_failure_of_one_source_keeps_the_other_and_removes_nothing(self):
        # The resources source is live and complete, the services source is down:
        # exit 1, services untouched, resources synced normally.
        before, counts = self.presync()
        port = free_port()
        self.ws.write_config([
            self.source("services", url="http://127.0.0.1:%d/tmf638/service" % port, retries="0"),
            ("resources", {"api": "tmf639", "url": self.sims[0].base + "/tmf639/resource", "paging": "page",
                           "page_size": "40"}),
        ])
        p = self.sync()
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("'services'", p.stderr)
        self.assertNotIn("'resources' page", p.stderr)
        self.assertEqual(self.counts(), counts)
        self.assertEqual(self.ws.dump(), before)


# ---- 7. bad command lines ------------------------------------------------------------


class BadCommandLine(ErrorTestCase):
    def setUp(self):
        super().setUp()
        # A valid config, so that only the command line is at fault.
        self.ws.write_config([self.source("services", url="http://127.0.0.1:9/tmf638/service")])

    def check_usage(self, *args):
        p = self.ws.run(*args)
        self.assert_one_line(p, 64)
        self.assertEqual(p.stdout, "")
        self.assertFalse(os.path.exists(self.ws.db), "a usage error must not open the store")
        return p

    def test_no_command(self):
        self.check_usage()

    def test_no_command_no_config(self):
        p = subprocess.run([os.path.abspath(BIN)], capture_output=True, text=True, timeout=60,
                           cwd=self.ws.dir, env=dict(os.environ, TMFINV_CONFIG=""))
        self.assert_one_line(p, 64)

    def test_unknown_command(self):
        p = self.check_usage("frobnicate")
        self.assertIn("frobnicate", p.stderr)

    def test_unknown_global_option(self):
        # One line from tmfinv naming the option, not getopt's own message plus tmfinv's.
        p = subprocess.run([BIN, "--frob", "check"], capture_output=True, text=True, timeout=60)
        self.assert_one_line(p, 64, "--frob")

    def test_unknown_command_option(self):
        p = self.check_usage("query", "Service", "--bogus")
        self.assertIn("--bogus", p.stderr)

    def test_query_without_definition(self):
        self.check_usage("query")

    def test_query_two_definitions(self):
        self.check_usage("query", "Service", "Carrier")

    def test_query_bad_limit(self):
        self.check_usage("query", "Service", "--limit", "zero")

    def test_sync_extra_argument(self):
        self.check_usage("sync", "--once", "now")

    def test_set_without_assignment(self):
        self.check_usage("set", "res-00000001")

    def test_set_assignment_without_equals(self):
        p = self.check_usage("set", "res-00000001", "note")
        self.assertIn("note", p.stderr)

    def test_show_without_key(self):
        self.check_usage("show")

    def test_rejected_bad_kind(self):
        self.check_usage("rejected", "--kind", "weird")


# ---- 8-9. set and show ---------------------------------------------------------------


class SetAndShow(ErrorTestCase):
    def setUp(self):
        super().setUp()
        self.before, self.before_counts = self.presync()
        rows = self.ws.json_lines("query", "Resource", "--json")
        self.modem = next(r for r in rows if r["fields"].get("type") == "Modem")
        self.other = next(r for r in rows if r["fields"].get("type") != "Modem" and "name" in r["fields"])

    def show(self, key):
        (obj,) = self.ws.json_lines("show", key, "--json")
        return obj

    def test_set_source_field(self):
        key = self.other["key"]
        name = self.show(key)["fields"]["name"]
        p = self.ws.run("set", key, "name=Renamed by hand")
        msg = self.assert_one_line(p, 1, "'name'", "owned by the source")
        self.assertEqual(p.stdout, "")
        self.assertIn(key, msg)
        self.assertEqual(self.show(key)["fields"]["name"], name)
        self.assertEqual(self.ws.dump(), self.before)

    def test_set_source_status_of_non_modem(self):
        key = self.other["key"]
        p = self.ws.run("set", key, "status=Down")
        self.assert_one_line(p, 1, "'status'", "owned by the source")
        self.assertEqual(self.ws.dump(), self.before)

    def test_set_invalid_enum(self):
        key = self.modem["key"]
        p = self.ws.run("set", key, "status=Broken")
        msg = self.assert_one_line(p, 1, "Broken", "status")
        for allowed in ("Operational", "Degraded", "Down", "Maintenance"):
            self.assertIn(allowed, msg)
        self.assertEqual(self.show(key)["status"], self.modem["status"])
        self.assertEqual(self.ws.dump(), self.before)
        # Only its creation: the refused set recorded nothing.
        self.assertEqual([h["field"] for h in self.ws.json_lines("history", key, "--json")], ["@created"])

    def test_set_valid_enum_works(self):
        # The counterpart of the case above: the same command with an allowed value succeeds,
        # so the failure above is the validation and not something else.
        key = self.modem["key"]
        new = "Maintenance" if self.modem["status"] != "Maintenance" else "Degraded"
        p = self.ws.run("set", key, "status=" + new)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.show(key)["status"], new)

    def test_set_unknown_field(self):
        key = self.other["key"]
        p = self.ws.run("set", key, "colour=blue")
        self.assert_one_line(p, 1, "'colour'")
        self.assertEqual(self.ws.dump(), self.before)

    def test_set_unknown_key(self):
        p = self.ws.run("set", "no-such-key", "note=hello")
        self.assert_one_line(p, 1, "no-such-key")
        self.assertEqual(self.ws.dump(), self.before)

    def test_show_unknown_key(self):
        for args in (("show", "no-such-key"), ("show", "no-such-key", "--json"), ("history", "no-such-key")):
            p = self.ws.run(*args)
            self.assert_one_line(p, 1, "no-such-key")
            self.assertEqual(p.stdout, "")

    def test_show_json(self):
        key = self.modem["key"]
        p = self.ws.run("show", key, "--json", check=0)
        lines = [l for l in p.stdout.splitlines() if l.strip()]
        self.assertEqual(len(lines), 1, p.stdout)
        obj = json.loads(lines[0])
        self.assertIsInstance(obj, dict)
        for k in ("id", "definition", "key", "status", "removed", "fields"):
            self.assertIn(k, obj)
        self.assertEqual(obj["definition"], "Resource")
        self.assertEqual(obj["key"], key)
        self.assertIsInstance(obj["removed"], bool)
        self.assertIs(obj["removed"], False)
        self.assertIsInstance(obj["fields"], dict)
        self.assertEqual(obj["fields"]["id"], key)
        self.assertEqual(obj["status"], obj["fields"]["status"])
        self.assertRegex(obj["id"], r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
        # The same instance by its UUID.
        self.assertEqual(self.show(obj["id"]), obj)
        self.assertEqual(p.stderr, "")


if __name__ == "__main__":
    main()
