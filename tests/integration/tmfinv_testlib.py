"""Shared helpers for the black-box tests: start tmfinv-sim on a free loopback port,
write configurations, run the real tmfinv binary, read its JSON output.

Paths come from the environment that ctest sets: TMFINV_BIN, TMFINV_SIM,
TMFINV_DATA_DIR, TMFINV_SPECS. Python standard library only."""

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
import unittest
import urllib.request
from urllib.parse import parse_qs, urlparse

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
BIN = os.environ.get("TMFINV_BIN", os.path.join(TOP, "build", "tmfinv"))
SIM = os.environ.get("TMFINV_SIM", os.path.join(TOP, "build", "tmfinv-sim"))


class Sim:
    """A running tmfinv-sim; use as a context manager or call stop()."""

    def __init__(self, *args, seed=7, services=200, carriers=100, resources=300):
        cmd = [SIM, "--listen", "127.0.0.1:0", "--seed", str(seed), "--services", str(services),
               "--carriers", str(carriers), "--resources", str(resources)] + [str(a) for a in args]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("listening on "):
            self.stop()
            raise RuntimeError("tmfinv-sim did not start: %r %s" % (line, self.proc.stderr.read()))
        self.address = line[len("listening on "):]
        self.base = "http://" + self.address

    def get(self, path):
        with urllib.request.urlopen(self.base + path, timeout=30) as r:
            return json.loads(r.read())

    def post(self, path):
        req = urllib.request.Request(self.base + path, data=b"", method="POST")
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    def collection(self, path, per_page=500):
        """Every item of a collection in the SES page dialect, in page order."""
        items, page = [], 1
        sep = "&" if "?" in path else "?"
        while True:
            batch = self.get("%s%spage=%d&recordsPerPage=%d" % (path, sep, page, per_page))
            items.extend(batch)
            if len(batch) < per_page:
                return items
            page += 1

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for f in (self.proc.stdout, self.proc.stderr):
            if f:
                f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


# The store the Workspaces use: SQLite (default), or PostgreSQL with TMFINV_TEST_STORE=pg and
# the server of TMFINV_TEST_PG_URL (make test starts one: scripts/pg-test-server.sh; libpq
# reads the password from PGPASSFILE). docs/postgresql.md, docs/testing.md.
STORE = os.environ.get("TMFINV_TEST_STORE", "sqlite")
PG_URL = os.environ.get("TMFINV_TEST_PG_URL", "")


def psql(url, sql):
    """Runs SQL with psql on url; its output (unaligned, no headers) as text."""
    p = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql],
                       capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise RuntimeError("psql failed: %s" % p.stderr.strip())
    return p.stdout


def pg_database_url(url, name):
    """url with its database replaced by name (the query, e.g. sslmode, kept)."""
    u = urlparse(url)
    return u._replace(path="/" + name).geturl()


class Workspace:
    """A temporary folder with a config file and a store: a SQLite file, or with
    backend="pg" (the default under TMFINV_TEST_STORE=pg) a database of its own,
    CREATE DATABASE t_<random> on TMFINV_TEST_PG_URL's server, dropped by cleanup()."""

    def __init__(self, backend=None):
        self.backend = backend or STORE
        self.dir = tempfile.mkdtemp(prefix="tmfinv-it-")
        self.config = os.path.join(self.dir, "tmfinv.ini")
        self._db = os.path.join(self.dir, "tmfinv.db")
        self.pg_url = None
        if self.backend == "pg":
            if not PG_URL:
                shutil.rmtree(self.dir, ignore_errors=True)
                raise unittest.SkipTest("TMFINV_TEST_STORE=pg needs TMFINV_TEST_PG_URL (make test starts a server)")
            name = "t_" + os.urandom(8).hex()
            psql(PG_URL, "CREATE DATABASE %s" % name)
            self.pg_db = name
            self.pg_url = pg_database_url(PG_URL, name)

    @property
    def db(self):
        """The SQLite file. A test that reads or writes it directly cannot run on the
        PostgreSQL store: there it is skipped, with the reason."""
        if self.backend == "pg":
            raise unittest.SkipTest("reads the SQLite store file directly: not on the PostgreSQL store")
        return self._db

    @property
    def location(self):
        """The store as the configuration names it: the file, or the PostgreSQL URL."""
        return self.pg_url if self.backend == "pg" else self._db

    def store_line(self):
        """The [store] line that selects this Workspace's store."""
        return "url = %s" % self.pg_url if self.backend == "pg" else "path = %s" % self._db

    def write_config(self, sources, extra=""):
        """sources: list of (name, dict of keys)."""
        lines = ["[store]", self.store_line(), ""]
        for name, keys in sources:
            lines.append("[source %s]" % name)
            lines.extend("%s = %s" % kv for kv in keys.items())
            lines.append("")
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + extra)

    def ses_config(self, sim, **overrides):
        services = {"api": "tmf638", "url": sim.base + "/tmf638/service", "paging": "page", "page_size": "40"}
        resources = {"api": "tmf639", "url": sim.base + "/tmf639/resource", "paging": "page", "page_size": "40"}
        services.update(overrides)
        resources.update(overrides)
        self.write_config([("services", services), ("resources", resources)])

    def run(self, *args, check=None):
        p = subprocess.run([BIN, "-c", self.config] + [str(a) for a in args], capture_output=True, text=True,
                           timeout=300)
        if check is not None and p.returncode != check:
            raise AssertionError("tmfinv %s exited %d, expected %d\nstdout: %s\nstderr: %s"
                                 % (" ".join(map(str, args)), p.returncode, check, p.stdout, p.stderr))
        return p

    def json_lines(self, *args):
        p = self.run(*args, check=0)
        return [json.loads(line) for line in p.stdout.splitlines() if line.strip()]

    def count(self, definition, *where, all=False):
        args = ["query", definition, "--count"]
        for w in where:
            args += ["--where", w]
        if all:
            args.append("--all")
        return int(self.run(*args, check=0).stdout.strip())

    def dump(self):
        """The instance table as rows, for comparing stores."""
        if self.backend == "pg":
            out = psql(self.pg_url, "SELECT coalesce(json_agg(json_build_array(definition, key, status, removed,"
                                    " fields, raw, content_hash, modified) ORDER BY definition, key), '[]')"
                                    " FROM instance")
            return [tuple(row) for row in json.loads(out)]
        con = sqlite3.connect(self.db)
        try:
            return con.execute("SELECT definition, key, status, removed, fields, raw, content_hash, modified"
                               " FROM instance ORDER BY definition, key").fetchall()
        finally:
            con.close()

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)
        if self.pg_url:
            try:
                psql(PG_URL, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.pg_db)
            except (RuntimeError, OSError, subprocess.TimeoutExpired):
                pass
            self.pg_url = None


class TestCase(unittest.TestCase):
    def setUp(self):
        self.ws = Workspace()
        self.sims = []

    def tearDown(self):
        for s in self.sims:
            s.stop()
        self.ws.cleanup()

    def sim(self, *args, **kw):
        s = Sim(*args, **kw)
        self.sims.append(s)
        return s


# The SES profile's rules, written again here from the documentation (not from
# tmfinv's code) so that the test computes what the store must hold from what the
# simulator actually serves.
EXCLUDED_TYPES = {"Card", "BandwidthSegment", "LogicalPort", "Multicast", "Slot", "Port", "Circuit"}


def expected_ses(services_items, resource_items):
    """Active keys per definition and status, duplicates and empty keys, under the ses rules."""
    result = {"Service": {}, "Carrier": {}, "Resource": {}}
    seen = {"Service": set(), "Carrier": set(), "Resource": set()}
    stats = {"duplicates": 0, "empty_keys": 0, "excluded": 0, "dropped": 0}
    for item in services_items:
        definition = "Carrier" if item.get("@type") == "element" else "Service"
        key = item.get("externalId")
        if not key:
            stats["empty_keys"] += 1
            continue
        if key in seen[definition]:
            stats["duplicates"] += 1
            continue
        seen[definition].add(key)
        status = item.get("status")
        keep = status == "Operational" if definition == "Service" else status != "Deprecated"
        if not keep:
            stats["dropped"] += 1
            continue
        result[definition][key] = status
    for item in resource_items:
        key = item.get("id")
        if not key:
            stats["empty_keys"] += 1
            continue
        if key in seen["Resource"]:
            stats["duplicates"] += 1
            continue
        seen["Resource"].add(key)
        if item.get("@type") in EXCLUDED_TYPES:
            stats["excluded"] += 1
            continue
        if item.get("status") == "Deprecated":
            stats["dropped"] += 1
            continue
        result["Resource"][key] = item.get("status")
    return result, stats


def main():
    unittest.main(verbosity=2)


class StubServer:
    """A small threaded HTTP server on 127.0.0.1:0 for sources the simulator cannot play.

    `handler(method, path, headers, body)` returns (status, [(name, value), ...], body
    bytes); Content-Length is added. Every request is recorded in `requests` as
    (monotonic time, method, path, headers dict)."""

    def __init__(self, handler):
        import http.server
        import threading

        self.requests = []
        self.lock = threading.Lock()
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def answer(self):
                length = int(self.headers.get("Content-Length", "0") or 0)
                body = self.rfile.read(length) if length else b""
                with stub.lock:
                    stub.requests.append((time.monotonic(), self.command, self.path, dict(self.headers)))
                status, headers, data = handler(self.command, self.path, self.headers, body)
                if isinstance(data, str):
                    data = data.encode()
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = answer

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

class PagedSource:
    """A source of the test's own in the SES page dialect: serves the lists `services` at
    /tmf638/service and `resources` at /tmf639/resource, `page`/`recordsPerPage` at a time,
    with X-Total-Count; the test changes the lists between syncs."""

    def __init__(self, page_size=40):
        self.services = []
        self.resources = []
        self.page_size = page_size
        self.stub = StubServer(self.handle)

    def handle(self, method, path, headers, body):
        url = urlparse(path)
        q = parse_qs(url.query)
        page = int(q.get("page", ["1"])[0])
        size = int(q.get("recordsPerPage", [str(self.page_size)])[0])
        items = self.services if url.path.startswith("/tmf638") else self.resources
        return (200, [("Content-Type", "application/json"), ("X-Total-Count", str(len(items)))],
                json.dumps(items[(page - 1) * size:page * size]))

    def stop(self):
        self.stub.stop()



class Serve:
    """A running `tmfinv -c CONFIG serve`; its request log goes to a file (a pipe nobody
    reads would fill up and block the server)."""

    def __init__(self, config, log_path=None):
        self.log_path = log_path or config + ".log"
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen([BIN, "-c", config, "serve"], stdout=subprocess.PIPE, stderr=self.log,
                                     text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith(("listening on http://", "listening on https://")):
            self.proc.kill()
            self.proc.wait()
            self.log.close()
            raise RuntimeError("tmfinv serve did not start: %r %s" % (line, self.log_tail()))
        self.base = line[len("listening on "):]

    def log_tail(self, n=3000):
        with open(self.log_path) as f:
            return f.read()[-n:]

    def stop(self):
        """SIGTERM; returns the exit code (and prints the log's end when it is not 0)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.log.close()
        if self.proc.returncode != 0:
            import sys
            sys.stderr.write("serve exited %d; its log ends with:\n%s\n" % (self.proc.returncode, self.log_tail()))
        return self.proc.returncode
