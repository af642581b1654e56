"""Issue 12, point 8: small things operators asked for, through the real binaries.

CORS for the origins of [http] cors_origins (preflight without a token, real requests
still need one, unlisted origins get nothing, a cached answer never carries another
origin's header); `query --csv` and `export` (RFC 4180, the formula guard, JSON lines,
--output renamed into place, memory flat whatever the size); the process_* metrics of
/metrics; a warning for secret files other users may read; quoted INI values refused."""

import csv
import hashlib
import http.client
import io
import json
import os
import re
import resource
import signal
import sqlite3
import subprocess
import time
import unittest

from tmfinv_testlib import BIN, Serve, TestCase, main

READ_TOKEN = "ops-read-token-0123456789"
WRITE_TOKEN = "ops-write-token-9876543210"
RESOURCES = "/tmf-api/resourceInventoryManagement/v4/resource"


def sha256(text):
    return hashlib.sha256(text.encode()).hexdigest()


def request(base, method, path, headers=None):
    host, port = base[len("http://"):].rsplit(":", 1)
    con = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        con.request(method, path, headers=headers or {})
        r = con.getresponse()
        return r.status, r.headers, r.read()
    finally:
        con.close()


def cors_headers(headers):
    return {k.lower(): v for k, v in headers.items() if k.lower().startswith("access-control-")}


class CorsTest(TestCase):
    def start(self, cors="https://noc.example:443, http://X.example:8080/", sim=None):
        tokens = os.path.join(self.ws.dir, "tokens")
        with open(tokens, "w") as f:
            f.write("reader:read:%s\nwriter:write:%s\n" % (sha256(READ_TOKEN), sha256(WRITE_TOKEN)))
        os.chmod(tokens, 0o600)
        sources = []
        if sim:
            sources = [("resources", {"api": "tmf639", "url": sim.base + "/tmf639/resource", "paging": "page"})]
        self.ws.write_config(sources, extra="\n[sync]\ninterval = 3600\n[http]\nlisten = 127.0.0.1:0\n"
                             "threads = 1\ntokens_file = %s\ncors_origins = %s\n" % (tokens, cors))
        if sim:
            self.ws.run("sync", "--once", check=0)
        s = Serve(self.ws.config)
        self.addCleanup(s.stop)
        return s

    def test_cors__preflight_real_requests_unlisted_origins(self):
        sim = self.sim(services=5, carriers=2, resources=30)
        s = self.start(sim=sim)
        auth = {"Authorization": "Bearer " + READ_TOKEN}
        status, _, body = request(s.base, "GET", RESOURCES + "?limit=1", auth)
        item = "%s/%s" % (RESOURCES, json.loads(body)[0]["id"])

        # A preflight needs no token (browsers send none) and names what the routes allow.
        for origin in ("https://noc.example", "http://x.example:8080"):
            status, h, body = request(s.base, "OPTIONS", item, {
                "Origin": origin, "Access-Control-Request-Method": "PATCH",
                "Access-Control-Request-Headers": "authorization, content-type"})
            self.assertEqual(status, 204, body)
            self.assertEqual(h["Access-Control-Allow-Origin"], origin)
            self.assertEqual(h["Vary"], "Origin")
            self.assertEqual(set(re.split(r",\s*", h["Access-Control-Allow-Methods"])),
                             {"GET", "HEAD", "PATCH", "DELETE"})
            self.assertEqual(set(re.split(r",\s*", h["Access-Control-Allow-Headers"].lower())),
                             {"authorization", "content-type"})
            self.assertGreater(int(h["Access-Control-Max-Age"]), 0)
        status, h, _ = request(s.base, "OPTIONS", "/api/v1/sync", {
            "Origin": "https://noc.example", "Access-Control-Request-Method": "POST"})
        self.assertEqual((status, h["Access-Control-Allow-Methods"]), (204, "POST"))

        # An origin not listed (another scheme or port counts as another origin) gets no
        # CORS header, for a preflight or a real request.
        for origin in ("https://evil.example", "http://noc.example", "https://noc.example:8443", "null"):
            status, h, _ = request(s.base, "OPTIONS", item, {"Origin": origin,
                                                               "Access-Control-Request-Method": "GET"})
            self.assertNotEqual(status, 204)
            self.assertEqual(cors_headers(h), {})
            status, h, _ = request(s.base, "GET", RESOURCES + "?limit=2", dict(auth, Origin=origin))
            self.assertEqual(status, 206)
            self.assertEqual(cors_headers(h), {})

        # The real request still needs its token; its answer (error or not) names the origin
        # and exposes the paging headers.
        status, h, _ = request(s.base, "GET", RESOURCES + "?limit=2", {"Origin": "https://noc.example"})
        self.assertEqual(status, 401)
        self.assertEqual(h["Access-Control-Allow-Origin"], "https://noc.example")
        status, h, _ = request(s.base, "GET", RESOURCES + "?limit=2", dict(auth, Origin="https://noc.example"))
        self.assertEqual(status, 206)
        self.assertEqual(h["Access-Control-Allow-Origin"], "https://noc.example")
        self.assertIn("Origin", h["Vary"])
        exposed = set(re.split(r",\s*", h["Access-Control-Expose-Headers"]))
        self.assertTrue({"X-Total-Count", "X-Result-Count", "Link"} <= exposed, exposed)

        # The answer cache: the same target from another listed origin, then an unlisted one,
        # then none; each answer comes from the cache and carries only its own origin.
        path = RESOURCES + "?limit=3&fields=name"
        seen = []
        for origin in ("https://noc.example", "http://x.example:8080", "https://evil.example", None):
            headers = dict(auth, Origin=origin) if origin else dict(auth)
            status, h, _ = request(s.base, "GET", path, headers)
            seen.append(h.get("X-Cache"))
            self.assertEqual(h.get("Access-Control-Allow-Origin"),
                             origin if origin in ("https://noc.example", "http://x.example:8080") else None)
            self.assertLessEqual(len(h.get_all("Access-Control-Allow-Origin") or []), 1)
        self.assertEqual(seen, ["miss", "hit", "hit", "hit"])

    def test_cors__reload_says_a_restart_is_needed(self):
        s = self.start()
        with open(self.ws.config) as f:
            text = f.read()
        with open(self.ws.config, "w") as f:
            f.write(text.replace("cors_origins = https://noc.example:443,", "cors_origins = https://new.example,"))
        s.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 20
        while "configuration reloaded" not in s.log_tail(100000) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertRegex(s.log_tail(100000), r"level=warn .*cors_origins.*take effect at the next restart")
        status, h, _ = request(s.base, "OPTIONS", "/api/v1/definitions", {
            "Origin": "https://noc.example", "Access-Control-Request-Method": "GET"})
        self.assertEqual((status, h["Access-Control-Allow-Origin"]), (204, "https://noc.example"))

    def test_cors__no_origins_no_headers(self):
        self.ws.write_config([], extra="\n[http]\nlisten = 127.0.0.1:0\n")
        s = Serve(self.ws.config)
        self.addCleanup(s.stop)
        status, h, _ = request(s.base, "OPTIONS", "/api/v1/definitions", {
            "Origin": "https://noc.example", "Access-Control-Request-Method": "GET"})
        self.assertEqual(status, 405)
        self.assertEqual(cors_headers(h), {})

    def test_cors__configuration_refuses_wildcards_and_paths(self):
        for value, needle in (("*", "'*': refused"), ("https://noc.example/app", "without path"),
                              ("noc.example", "not a valid URL"), ("ftp://noc.example", "http:// or https://")):
            with self.subTest(value=value):
                self.ws.write_config([], extra="\n[http]\nlisten = 127.0.0.1:0\ncors_origins = %s\n" % value)
                p = self.ws.run("check", check=1)
                self.assertRegex(p.stderr, r"tmfinv\.ini:\d+: \[http\] cors_origins")
                self.assertIn(needle, p.stderr)
                self.assertEqual(len(p.stderr.strip().splitlines()), 1)


class ExportTest(TestCase):
    def out(self, *args):
        """Standard output as written (bytes decoded, line ends kept)."""
        p = subprocess.run([BIN, "-c", self.ws.config] + list(args), capture_output=True, timeout=300)
        self.assertEqual(p.returncode, 0, (args, p.stderr))
        return p.stdout.decode()

    def setUp(self):
        super().setUp()
        self.sim_ = self.sim(services=60, carriers=20, resources=120)
        self.ws.ses_config(self.sim_)
        self.ws.run("sync", "--once", check=0)

    def csv_rows(self, text):
        return list(csv.reader(io.StringIO(text, newline="")))

    def definition_fields(self, name):
        d = [d for d in self.ws.json_lines("definitions", "--json") if d["name"] == name][0]
        return [f["name"] for s in d["sections"] for f in s["fields"]]

    def test_export__csv_rfc4180_and_formula_guard(self):
        keys = [json.loads(l)["key"] for l in self.ws.run("query", "Service", "--json", check=0).stdout.splitlines()]
        tricky = {keys[0]: "=HYPERLINK(\"http://x\",\"y\")", keys[1]: "a,b \"c\"\r\nd", keys[2]: "@SUM(1)",
                  keys[3]: "-2+3", keys[4]: "+1 555", keys[5]: "plain text"}
        for key, note in tricky.items():
            self.ws.run("set", key, "note=" + note, "--definition", "Service", check=0)
        for args in (["export", "Service"], ["export", "Service", "--format", "csv"], ["query", "Service", "--csv"]):
            with self.subTest(args=args):
                text = self.out(*args)
                self.assertTrue(all(line.endswith("\r") for line in text.split("\n")[:-1]))
                rows = self.csv_rows(text)
                self.assertEqual(rows[0], ["_id", "_key", "_status", "_removed", "_modified"]
                                 + self.definition_fields("Service"))
                body = rows[1:]
                self.assertEqual(len(body), self.ws.count("Service"))
                by_key = {r[1]: dict(zip(rows[0], r)) for r in body}
                self.assertEqual(sorted(by_key), sorted(keys))
                for key, note in tricky.items():
                    guarded = note[0] in "=+-@"
                    self.assertEqual(by_key[key]["note"], ("'" if guarded else "") + note)
                self.assertTrue('"a,b ""c""\r\nd"' in text)
                # Each row agrees with query --json: scalars as text, lists as JSON text.
                for line in self.ws.run("query", "Service", "--json", check=0).stdout.splitlines():
                    inst = json.loads(line)
                    row = by_key[inst["key"]]
                    self.assertEqual((row["_id"], row["_status"], row["_removed"], row["_modified"]),
                                     (inst["id"], inst["status"], "false", inst["modified"]))
                    for name, value in inst["fields"].items():
                        if name == "serviceCharacteristic":
                            # A characteristic list: name=value;... (a value that is not text as JSON).
                            cell = ";".join("%s=%s" % (c["name"], c["value"] if isinstance(c["value"], str)
                                                       else json.dumps(c["value"], separators=(",", ":")))
                                            for c in value)
                            self.assertEqual(row[name], ("'" if cell[:1] in "=+-@" else "") + cell)
                        elif isinstance(value, list):
                            self.assertEqual(json.loads(row[name]), value)
                        elif isinstance(value, str) and name != "note":
                            self.assertEqual(row[name], ("'" if value[:1] in ("=", "+", "-", "@") else "") + value)
                        elif isinstance(value, (int, float)) and not isinstance(value, bool):
                            self.assertEqual(float(row[name]), value)

    def test_export__jsonl_all_and_output_file(self):
        p = self.ws.run("export", "Resource", "--format", "jsonl", check=0)
        self.assertEqual(p.stdout, self.ws.run("query", "Resource", "--json", check=0).stdout)
        # Remove some instances (a narrower source), then --all brings them in.
        all_before = self.ws.count("Resource", all=True)
        con = sqlite3.connect(self.ws.db)
        with con:
            con.execute("UPDATE instance SET removed = 1, removed_reason = 'test' WHERE definition = 'Resource'"
                        " AND key IN (SELECT key FROM instance WHERE definition = 'Resource' ORDER BY key LIMIT 7)")
        con.close()
        active = self.ws.run("export", "Resource", "--format", "jsonl", check=0).stdout.splitlines()
        everything = self.ws.run("export", "Resource", "--format", "jsonl", "--all", check=0).stdout.splitlines()
        removed_before = all_before - len(p.stdout.splitlines())
        self.assertEqual((len(active), len(everything)), (all_before - removed_before - 7, all_before))
        self.assertEqual(sum(json.loads(l)["removed"] for l in everything), removed_before + 7)
        rows = self.csv_rows(self.out("export", "Resource", "--all"))[1:]
        self.assertEqual(sum(r[3] == "true" for r in rows), removed_before + 7)

        out = os.path.join(self.ws.dir, "out", "resources.csv")
        os.makedirs(os.path.dirname(out))
        with open(out, "w") as f:
            f.write("previous\n")
        p = self.ws.run("export", "Resource", "--output", out, check=0)
        self.assertEqual(p.stdout, "")
        self.assertEqual(os.listdir(os.path.dirname(out)), ["resources.csv"])
        with open(out, newline="") as f:
            self.assertTrue(f.read() == self.out("export", "Resource"))
        # A failed export (the store cannot be read) leaves the previous file and no temp file.
        with open(out, "w") as f:
            f.write("previous\n")
        os.rename(self.ws.db, self.ws.db + ".away")
        with open(self.ws.db, "w") as f:
            f.write("not a database" * 100)
        p = self.ws.run("export", "Resource", "--output", out)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual(os.listdir(os.path.dirname(out)), ["resources.csv"])
        with open(out) as f:
            self.assertEqual(f.read(), "previous\n")
        os.replace(self.ws.db + ".away", self.ws.db)
        p = self.ws.run("export", "Resource", "--output", os.path.join(self.ws.dir, "missing", "x.csv"))
        self.assertEqual(p.returncode, 1)
        self.assertIn("missing", p.stderr)
        for args, needle in ((["export"], "exactly one DEFINITION"),
                             (["export", "Resource", "--format", "xml"], "expected csv or jsonl"),
                             (["query", "Resource", "--csv", "--json"], "--csv"),
                             (["query", "Resource", "--csv", "--count"], "--csv")):
            p = self.ws.run(*args)
            self.assertEqual(p.returncode, 64, args)
            self.assertIn(needle, p.stderr)
        p = self.ws.run("export", "Nope")
        self.assertEqual(p.returncode, 1)
        self.assertIn("unknown definition 'Nope'", p.stderr)

    def max_rss_kib(self, *args):
        # Under AddressSanitizer freed memory waits in a quarantine (256 MiB) before reuse:
        # memory would grow with what was allocated, not with what is held. Not here.
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS"), "quarantine_size_mb=0",
                                                     "thread_local_quarantine_size_kb=0"]))
        with open(os.devnull, "w") as devnull:
            proc = subprocess.Popen([BIN, "-c", self.ws.config] + list(args), stdout=devnull, env=env)
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
        self.assertEqual(proc.returncode, 0, args)
        return usage.ru_maxrss

    def test_export__memory_flat_whatever_the_size(self):
        """The same export from a store 16 times larger, written far past SQLite's caches,
        takes no more memory: rows go out as they are read."""
        small = {fmt: self.max_rss_kib("export", "Resource", "--format", fmt) for fmt in ("csv", "jsonl")}
        small_csv = self.max_rss_kib("query", "Resource", "--csv")
        small_size = len(self.ws.run("export", "Resource", "--format", "jsonl", check=0).stdout)
        con = sqlite3.connect(self.ws.db)
        cols = [r[1] for r in con.execute("PRAGMA table_info(instance)")]
        with con:
            for copy in range(1, 16):
                exprs = ["lower(hex(randomblob(16)))" if c == "id" else "key || '-copy%d'" % copy if c == "key"
                         else c for c in cols]
                con.execute("INSERT INTO instance (%s) SELECT %s FROM instance WHERE definition = 'Resource'"
                            " AND key NOT LIKE '%%-copy%%'" % (", ".join(cols), ", ".join(exprs)))
        con.close()
        # Pad each item so that the export is far larger than the caches (24 + 8 MiB).
        con = sqlite3.connect(self.ws.db)
        with con:
            con.execute("UPDATE instance SET fields = json_set(fields, '$.note', hex(randomblob(60000)))"
                        " WHERE definition = 'Resource'")
        con.close()
        big_size = 0
        p = subprocess.Popen([BIN, "-c", self.ws.config, "export", "Resource", "--format", "jsonl"],
                             stdout=subprocess.PIPE)
        with p.stdout:
            first = p.stdout.readline()
            self.assertTrue(first.startswith(b"{"))
            big_size = len(first)
            while True:
                chunk = p.stdout.read(1 << 20)
                if not chunk:
                    break
                big_size += len(chunk)
        self.assertEqual(p.wait(), 0)
        self.assertGreater(big_size, 90 * 1024 * 1024)
        self.assertGreater(big_size, 16 * small_size)
        for fmt in ("csv", "jsonl"):
            big = self.max_rss_kib("export", "Resource", "--format", fmt)
            self.assertLess(big - small[fmt], 40 * 1024, "export --format %s: %d KiB then %d KiB" % (fmt, small[fmt], big))
        big = self.max_rss_kib("query", "Resource", "--csv")
        self.assertLess(big - small_csv, 40 * 1024, "query --csv: %d KiB then %d KiB" % (small_csv, big))


class MetricsTest(TestCase):
    def test_metrics__process_figures(self):
        self.ws.write_config([], extra="\n[http]\nlisten = 127.0.0.1:0\n")
        before = time.time()
        s = Serve(self.ws.config)
        self.addCleanup(s.stop)
        status, _, body = request(s.base, "GET", "/metrics")
        self.assertEqual(status, 200)
        text = body.decode()
        values = {}
        for name, kind in (("process_cpu_seconds_total", "counter"), ("process_resident_memory_bytes", "gauge"),
                           ("process_virtual_memory_bytes", "gauge"), ("process_open_fds", "gauge"),
                           ("process_max_fds", "gauge"), ("process_start_time_seconds", "gauge")):
            self.assertIn("# TYPE %s %s\n" % (name, kind), text)
            self.assertIn("# HELP %s " % name, text)
            m = re.search(r"(?m)^%s ([0-9.e+]+)$" % name, text)
            self.assertTrue(m, name)
            values[name] = float(m.group(1))
        with open("/proc/%d/status" % s.proc.pid) as f:
            vm_rss = int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1)) * 1024
        fds = len(os.listdir("/proc/%d/fd" % s.proc.pid))
        self.assertGreater(values["process_resident_memory_bytes"], 1 << 20)
        self.assertLess(abs(values["process_resident_memory_bytes"] - vm_rss), 32 << 20)
        self.assertGreaterEqual(values["process_virtual_memory_bytes"], values["process_resident_memory_bytes"])
        self.assertLessEqual(abs(values["process_open_fds"] - fds), 4)
        self.assertEqual(values["process_max_fds"], resource.getrlimit(resource.RLIMIT_NOFILE)[0])
        self.assertGreaterEqual(values["process_start_time_seconds"], before - 2)
        self.assertLessEqual(values["process_start_time_seconds"], time.time() + 1)
        self.assertGreaterEqual(values["process_cpu_seconds_total"], 0)
        # The CPU counter grows as the server works; the start time never moves.
        for _ in range(300):
            request(s.base, "GET", "/metrics")
        text = request(s.base, "GET", "/metrics")[2].decode()
        self.assertGreater(float(re.search(r"(?m)^process_cpu_seconds_total (\S+)$", text).group(1)),
                           values["process_cpu_seconds_total"])
        self.assertEqual(float(re.search(r"(?m)^process_start_time_seconds (\S+)$", text).group(1)),
                         values["process_start_time_seconds"])


class SecretModeTest(TestCase):
    def config_with_secret(self, mode, tokens_mode=0o600, key_mode=0o600):
        secret = os.path.join(self.ws.dir, "password")
        with open(secret, "w") as f:
            f.write("s3cret\n")
        os.chmod(secret, mode)
        tokens = os.path.join(self.ws.dir, "tokens")
        with open(tokens, "w") as f:
            f.write("reader:read:%s\n" % sha256(READ_TOKEN))
        os.chmod(tokens, tokens_mode)
        return secret, tokens

    def warnings(self, stderr):
        return [l for l in stderr.splitlines() if "level=warn" in l and "open to other users" in l]

    def test_secret_mode__warned_at_check_sync_and_serve(self):
        sim = self.sim(services=5, carriers=2, resources=5)
        for mode, tokens_mode, expected in ((0o644, 0o600, ["password_file"]), (0o604, 0o640, ["password_file"]),
                                            (0o640, 0o600, []), (0o600, 0o644, ["tokens_file"]),
                                            (0o400, 0o602, ["tokens_file"])):
            with self.subTest(mode=oct(mode), tokens_mode=oct(tokens_mode)):
                secret, tokens = self.config_with_secret(mode, tokens_mode)
                keys = {"api": "tmf639", "url": sim.base + "/tmf639/resource", "paging": "page", "auth": "basic",
                        "username": "user", "password_file": secret}
                self.ws.write_config([("resources", keys)], extra="\n[sync]\ninterval = 3600\n[http]\nlisten = "
                                     "127.0.0.1:0\ntokens_file = %s\n" % tokens)
                for args in (["check"], ["sync", "--once"], ["sync", "--once", "--quiet"]):
                    p = self.ws.run(*args, check=0)
                    lines = self.warnings(p.stderr)
                    self.assertEqual(len(lines), len(expected), (args, p.stderr))
                    for line, key in zip(lines, expected):
                        path = secret if key == "password_file" else tokens
                        self.assertIn("%s: %s is open to other users (mode %04o)" % (key, path, os.stat(path).st_mode
                                                                                    & 0o7777), line)
                s = Serve(self.ws.config)
                s.proc.send_signal(signal.SIGHUP)
                deadline = time.monotonic() + 20
                while "configuration reloaded" not in s.log_tail(100000) and time.monotonic() < deadline:
                    time.sleep(0.05)
                s.stop()
                # Once at the start, once at the reload.
                self.assertEqual(len(self.warnings(s.log_tail(100000))), 2 * len(expected))
                os.unlink(s.log_path)
                # The sync and the warning do not disturb a query's output.
                self.assertEqual(self.ws.run("query", "Resource", "--count", check=0).stderr, "")

    def test_secret_mode__tls_key(self):
        cert, key = (os.path.join(self.ws.dir, n) for n in ("cert.pem", "key.pem"))
        for path in (cert, key):
            with open(path, "w") as f:
                f.write("-----BEGIN NOTHING-----\n")
            os.chmod(path, 0o644)
        self.ws.write_config([], extra="\n[http]\nlisten = 127.0.0.1:0\ntls_cert = %s\ntls_key = %s\n" % (cert, key))
        lines = self.warnings(self.ws.run("check", check=0).stderr)
        self.assertEqual(len(lines), 1)
        self.assertIn("tls_key: %s is open to other users (mode 0644)" % key, lines[0])


class QuotedValueTest(TestCase):
    def test_ini__quoted_value_refused_naming_file_line_and_key(self):
        for line in ('path = "tmfinv.db"', "path = 'tmfinv.db'"):
            with open(self.ws.config, "w") as f:
                f.write("# store\n[store]\n%s\n" % line)
            p = self.ws.run("check", check=1)
            self.assertIn("tmfinv.ini:3: the value of 'path' is in quotes; remove them", p.stderr)
            self.assertEqual(len(p.stderr.strip().splitlines()), 1)
            self.assertFalse([n for n in os.listdir(self.ws.dir) if "db" in n])
        with open(self.ws.config, "w") as f:
            f.write('[store]\npath = tmfinv.db\n[source s]\napi = tmf639\nurl = http://127.0.0.1:1/r\n'
                    'params = filter="a"\n')
        self.ws.run("check", check=0)


if __name__ == "__main__":
    main()
