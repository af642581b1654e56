"""Issue 12, points 4, 5 and 6: logs, progress, runs in progress, restarts.

- Logs: `sync` and `serve` write one format on stderr: logfmt (`time=… level=… msg="…"
  key=value…`) or JSON lines with `[log] format = json`; `[log] level` filters; under systemd
  ($JOURNAL_STREAM names stderr) lines carry journald priorities and no time stamp; probes
  are debug lines; a request line names the client; SIGTERM is info, not error.
- Progress: `sync --once --progress=1` off a terminal writes progress lines with pages,
  items, total, items/s, retries and the time left; `--quiet` writes none and no info.
- A run in progress is `running` in `tmfinv runs` and `/api/v1/runs` (with its figures so
  far), and `interrupted` once its process is killed.
- Restarts: `serve` started again refreshes instead of scanning in full while the last
  complete full sync is younger than full_interval."""

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tmfinv_testlib import BIN, Serve, TestCase, main  # noqa: E402

LOGFMT = re.compile(r'^time=(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) level=(debug|info|warn|error) msg="((?:[^"\\]|\\.)*)"(.*)$')
FIELD = re.compile(r' ([A-Za-z_]+)=("(?:[^"\\]|\\.)*"|\S*)')


def parse_logfmt(line, stamped=True):
    """{'time', 'level', 'msg', fields…} of a logfmt line, or None when it is not one."""
    if not stamped:
        line = "time=2000-01-01T00:00:00.000Z " + line
    m = LOGFMT.match(line)
    if not m:
        return None
    entry = {"time": m.group(1), "level": m.group(2), "msg": json.loads('"%s"' % m.group(3))}
    rest = m.group(4)
    pos = 0
    while pos < len(rest):
        f = FIELD.match(rest, pos)
        if not f:
            return None
        value = f.group(2)
        entry[f.group(1)] = json.loads(value) if value.startswith('"') else value
        pos = f.end()
    return entry


class LogTestBase(TestCase):
    def config(self, sim, extra="", **overrides):
        services = {"api": "tmf638", "url": sim.base + "/tmf638/service", "paging": "page", "page_size": "40"}
        services.update(overrides)
        self.ws.write_config([("services", services)], extra=extra)

    def sync(self, *args, env=None):
        return subprocess.run([BIN, "-c", self.ws.config, "sync", "--once"] + list(args), capture_output=True,
                              text=True, timeout=120, env=env)

    def logfmt_lines(self, text):
        entries = []
        for line in text.splitlines():
            e = parse_logfmt(line)
            self.assertIsNotNone(e, "not a logfmt line: %r" % line)
            entries.append(e)
        return entries

    def json_lines(self, text):
        entries = []
        for line in text.splitlines():
            e = json.loads(line)
            self.assertEqual(list(e)[:3], ["time", "level", "msg"], line)
            entries.append(e)
        return entries


class SyncLogTest(LogTestBase):
    def test_logs__sync_text(self):
        sim = self.sim(services=100, carriers=10, resources=10)
        self.config(sim)
        p = self.sync()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "run 1: complete\n")
        entries = self.logfmt_lines(p.stderr)
        summary = [e for e in entries if e["msg"].startswith("source 'services': complete")]
        self.assertEqual(len(summary), 1, p.stderr)
        self.assertEqual(summary[0]["level"], "info")
        self.assertEqual(summary[0]["source"], "services")
        self.assertIn("pages", summary[0]["msg"])

    def test_logs__sync_json_and_levels(self):
        sim = self.sim("--fail-page", "2", services=100, carriers=10, resources=10)
        self.config(sim, extra="\n[log]\nformat = json\n", retries="0")
        p = self.sync()
        self.assertEqual(p.returncode, 2, p.stderr)
        entries = self.json_lines(p.stderr)
        levels = {e["level"] for e in entries}
        self.assertEqual(levels, {"info", "error"}, p.stderr)
        failed = [e for e in entries if e["level"] == "error"]
        self.assertIn("page 2", failed[0]["msg"])
        self.assertEqual(failed[0]["source"], "services")
        # [log] level = warn: the info summary is left out; --quiet does the same.
        self.config(sim, extra="\n[log]\nformat = json\nlevel = warn\n", retries="0")
        p = self.sync()
        self.assertEqual({e["level"] for e in self.json_lines(p.stderr)}, {"error"}, p.stderr)
        self.config(sim, retries="0")
        p = self.sync("--quiet")
        self.assertEqual({e["level"] for e in self.logfmt_lines(p.stderr)}, {"error"}, p.stderr)

    def test_logs__journald_priorities_without_time(self):
        sim = self.sim("--fail-page", "2", services=100, carriers=10, resources=10)
        self.config(sim, retries="0")
        path = os.path.join(self.ws.dir, "journal")
        with open(path, "w") as err:
            st = os.fstat(err.fileno())
            env = dict(os.environ, JOURNAL_STREAM="%d:%d" % (st.st_dev, st.st_ino))
            p = subprocess.run([BIN, "-c", self.ws.config, "sync", "--once"], stdout=subprocess.PIPE, stderr=err,
                               text=True, timeout=120, env=env)
        self.assertEqual(p.returncode, 2)
        with open(path) as f:
            lines = f.read().splitlines()
        self.assertTrue(lines)
        for line in lines:
            m = re.match(r"^<([3467])>(.*)$", line)
            self.assertTrue(m, line)
            self.assertNotIn("time=", line)
            e = parse_logfmt(m.group(2), stamped=False)
            self.assertIsNotNone(e, line)
            self.assertEqual(m.group(1), {"error": "3", "warn": "4", "info": "6", "debug": "7"}[e["level"]])
        # The variable naming another file (stderr redirected elsewhere): plain lines again.
        env = dict(os.environ, JOURNAL_STREAM="1:1")
        p = self.sync(env=env)
        self.logfmt_lines(p.stderr)


class ProgressTest(LogTestBase):
    def test_progress__lines_off_a_terminal(self):
        # 800 services + 20 carriers, 40 a page, one page at a time, 150 ms a page: ~3 s.
        sim = self.sim("--latency-ms", "150", services=800, carriers=20, resources=10)
        self.config(sim, concurrency="1")
        p = self.sync("--progress=1")
        self.assertEqual(p.returncode, 0, p.stderr)
        progress = [e for e in self.logfmt_lines(p.stderr) if e["msg"] == "progress"]
        self.assertGreaterEqual(len(progress), 1, p.stderr)
        for e in progress:
            self.assertEqual(e["level"], "info")
            self.assertEqual(e["source"], "services")
            self.assertEqual(e["total"], "820")
            for key in ("pages", "items", "items_per_s", "retries", "elapsed_s", "eta_s"):
                self.assertRegex(e[key], r"^\d+(\.\d+)?$", key)
            self.assertLessEqual(int(e["items"]), 40 * int(e["pages"]))
            self.assertGreater(int(e["items"]), 40 * (int(e["pages"]) - 1))
        self.assertLess(int(progress[0]["items"]), 820)
        self.assertGreater(int(progress[0]["eta_s"]), 0)
        # Without --progress off a terminal, and with --quiet: no progress line.
        p = self.sync()
        self.assertNotIn('msg="progress"', p.stderr)
        p = self.sync("--quiet")
        self.assertEqual(p.stderr, "")
        self.assertEqual(self.sync("--quiet", "--progress").returncode, 64)


class TerminalProgressTest(LogTestBase):
    def test_progress__status_line_redrawn_on_a_terminal(self):
        import pty
        sim = self.sim("--latency-ms", "100", services=600, carriers=20, resources=10)
        self.config(sim, concurrency="1")
        master, slave = pty.openpty()
        try:
            proc = subprocess.Popen([BIN, "-c", self.ws.config, "sync", "--once"], stdout=subprocess.PIPE,
                                    stderr=slave, text=True)
            os.close(slave)
            slave = None
            out = b""
            while True:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the terminal's last writer is gone
                    break
                if not chunk:
                    break
                out += chunk
            self.assertEqual(proc.wait(60), 0)
            self.assertEqual(proc.stdout.read(), "run 1: complete\n")
            proc.stdout.close()
        finally:
            os.close(master)
            if slave is not None:
                os.close(slave)
        text = out.decode()
        # Redrawn in place: carriage return and erase-line, then the figures, several times.
        draws = re.findall(r"\r\x1b\[Kservices: (\d+) pages, (\d+)/620 items, \d+ items/s, \d+ retries", text)
        self.assertGreaterEqual(len(draws), 3, repr(text[:2000]))
        self.assertLess(int(draws[0][1]), 620)
        # The log lines stay whole lines: the summary comes after the status line is wiped.
        lines = [l.split("\x1b[K")[-1] for l in text.replace("\r\n", "\n").split("\n") if l]
        self.assertTrue(any(l.startswith("time=") and "source 'services': complete" in l for l in lines), lines)
        # At the end the status line is wiped and the summary is the last line.
        self.assertRegex(text, r"\r\x1b\[Ktime=\S+ level=info msg=\"source 'services': complete[^\n]*source=services\r\n$")


class RunningRunTest(LogTestBase):
    def runs(self):
        p = subprocess.run([BIN, "-c", self.ws.config, "runs", "--json"], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        return [json.loads(line) for line in p.stdout.splitlines()]

    def wait(self, predicate, what, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.1)
        self.fail("timed out waiting for " + what)

    def test_runs__a_sync_going_on_is_running_then_interrupted_when_killed(self):
        sim = self.sim("--latency-ms", "200", services=2000, carriers=10, resources=10)
        self.config(sim, concurrency="1")
        proc = subprocess.Popen([BIN, "-c", self.ws.config, "sync", "--once"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            run = self.wait(lambda: next((r for r in self.runs() if r["sources"] and r["sources"][0]["pages"] >= 2),
                                         None), "a run with pages")
            self.assertIs(run["running"], True, run)
            self.assertIsNone(run["ended"])
            text = subprocess.run([BIN, "-c", self.ws.config, "runs"], capture_output=True, text=True,
                                  timeout=60).stdout
            self.assertRegex(text, r"(?m)^run 1  full  \S+ \.\. \(not ended\)  running$")
            self.assertRegex(text, r"(?m)^  services\s+so far\s+pages=\d+ items=\d+")
        finally:
            proc.kill()
            proc.wait()
        run = self.runs()[0]
        self.assertIs(run["running"], False)
        self.assertIsNone(run["complete"])
        self.assertRegex(subprocess.run([BIN, "-c", self.ws.config, "runs"], capture_output=True, text=True,
                                        timeout=60).stdout, r"(?m)^run 1 .*  interrupted$")

    def test_runs__api_shows_the_run_serve_is_doing(self):
        sim = self.sim("--latency-ms", "200", services=2000, carriers=10, resources=10)
        self.config(sim, extra="\n[http]\nlisten = 127.0.0.1:0\n", concurrency="1")
        server = Serve(self.ws.config, os.path.join(self.ws.dir, "serve.log"))
        try:
            def api_run():
                with urllib.request.urlopen(server.base + "/api/v1/runs", timeout=10) as r:
                    items = json.loads(r.read())["items"]
                return next((r for r in items if r["sources"] and r["sources"][0]["pages"] >= 2), None)

            run = self.wait(api_run, "a run with pages in /api/v1/runs")
            self.assertIs(run["running"], True, run)
            self.assertIsNone(run["ended"])
            self.assertIs(self.runs()[0]["running"], True)
        finally:
            self.assertEqual(server.stop(), 0)
        log = server.log_tail(100000)
        entries = self.logfmt_lines(log)
        self.assertIn("SIGTERM: stopping", [e["msg"] for e in entries if e["level"] == "info"])
        self.assertEqual([e for e in entries if e["level"] == "error"], [], log)


class ServeLogTest(LogTestBase):
    def serve_log(self, extra):
        sim = self.sim(services=20, carriers=2, resources=2)
        self.config(sim, extra="\n[http]\nlisten = 127.0.0.1:0\n" + extra)
        server = Serve(self.ws.config, os.path.join(self.ws.dir, "serve-%d.log" % time.monotonic_ns()))
        try:
            for path in ("/healthz", "/metrics", "/api/v1/definitions?x=%22q%0A"):
                try:
                    urllib.request.urlopen(server.base + path, timeout=10).read()
                except urllib.error.HTTPError:
                    pass
        finally:
            self.assertEqual(server.stop(), 0)
        return server.log_tail(1000000)

    def test_logs__serve_text(self):
        entries = self.logfmt_lines(self.serve_log("\n[log]\nlevel = debug\n"))
        requests = [e for e in entries if e["msg"] == "request"]
        self.assertEqual([e["route"] for e in requests], ["healthz", "metrics", "om_definitions"], entries)
        self.assertEqual([e["level"] for e in requests[:3]], ["debug", "debug", "info"])
        for e in requests:
            self.assertEqual(e["client"], "127.0.0.1")
            self.assertRegex(e["ms"], r"^\d+\.\d$")
        self.assertEqual(requests[2]["target"], '/api/v1/definitions?x=%22q%0A')
        msgs = [(e["level"], e["msg"]) for e in entries]
        self.assertIn(("info", "SIGTERM: stopping"), msgs)
        self.assertIn(("info", "stopped"), msgs)
        self.assertFalse([m for m in msgs if m[0] == "error"], msgs)
        # At info, probes and scrapes are left out; the other requests stay.
        entries = self.logfmt_lines(self.serve_log(""))
        routes = [e.get("route") for e in entries if e["msg"] == "request"]
        self.assertEqual(len(routes), 1, routes)
        self.assertNotIn("healthz", routes)

    def test_logs__serve_json(self):
        entries = self.json_lines(self.serve_log("\n[log]\nformat = json\nlevel = debug\n"))
        requests = [e for e in entries if e["msg"] == "request"]
        self.assertEqual(len(requests), 3)
        self.assertEqual(requests[0]["client"], "127.0.0.1")
        self.assertEqual(requests[0]["status"], 200)
        self.assertEqual(requests[0]["level"], "debug")
        self.assertTrue(any(e["msg"].startswith("source 'services'") and e["source"] == "services" for e in entries))
        self.assertIn("SIGTERM: stopping", [e["msg"] for e in entries if e["level"] == "info"])


class RestartTest(LogTestBase):
    def kinds(self):
        p = subprocess.run([BIN, "-c", self.ws.config, "runs", "--json"], capture_output=True, text=True, timeout=60)
        return [(r["kind"], r["complete"]) for r in sorted(map(json.loads, p.stdout.splitlines()), key=lambda r: r["id"])]

    def serve_once(self, name):
        server = Serve(self.ws.config, os.path.join(self.ws.dir, name))
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and "run " not in server.log_tail(100000):
                time.sleep(0.05)
        finally:
            self.assertEqual(server.stop(), 0)
        return server.log_tail(100000)

    def test_restart__serve_refreshes_when_the_last_full_sync_is_young(self):
        sim = self.sim(services=100, carriers=10, resources=10)
        self.config(sim, extra="\n[http]\nlisten = 127.0.0.1:0\n[sync]\ninterval = 3600\nfull_interval = 3600\n",
                    incremental_params="updatedDaysAgo=0")
        self.serve_once("serve1.log")
        self.assertEqual(self.kinds(), [("full", True)])
        log = self.serve_once("serve2.log")
        self.assertEqual(self.kinds(), [("full", True), ("refresh", True)], log)
        self.assertRegex(log, r'msg="last complete full sync ended \d+ s ago \(full_interval 3600 s\): refresh now')
        # Older than full_interval: a full sync again.
        self.config(sim, extra="\n[http]\nlisten = 127.0.0.1:0\n[sync]\ninterval = 3600\nfull_interval = 1\n",
                    incremental_params="updatedDaysAgo=0")
        time.sleep(1.2)
        self.serve_once("serve3.log")
        self.assertEqual(self.kinds()[-1], ("full", True))

    def test_restart__an_incomplete_full_sync_does_not_count(self):
        sim = self.sim("--fail-page", "2", services=100, carriers=10, resources=10)
        self.config(sim, extra="\n[http]\nlisten = 127.0.0.1:0\n[sync]\ninterval = 3600\nfull_interval = 3600\n",
                    retries="0")
        self.serve_once("serve1.log")
        self.serve_once("serve2.log")
        self.assertEqual(self.kinds(), [("full", False), ("full", False)])


if __name__ == "__main__":
    main()
