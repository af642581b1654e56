"""Source authentication against the simulator's own auth (tmfinv-sim --require-auth):
Basic, bearer (token from a file and from the environment), OAuth2 password and
client-credentials grants at the simulator's token endpoint. A sync succeeds with the
right credentials; wrong ones give exit 1 and one line naming the source (and the token
endpoint) without the secret; OAuth2 tokens are renewed before they expire and once on a
401 in the middle of a run, and the run still completes with the whole inventory. The
secrets test runs every kind of auth, failing ones included, and searches every output,
report and the raw bytes of the database files for every secret, including the tokens
the simulator issued (recorded by a small proxy in front of its token endpoint)."""

import base64
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tmfinv_testlib import BIN, StubServer, TestCase, Workspace, main  # noqa: E402

# Secrets the test controls; letters, digits and '-' only, so they look the same URL-encoded.
PW_BASIC = "pw-basic-Zq81xVt3"
PW_BASIC_WRONG = "pw-wrong-Hc20mLa9"
TOKEN_FILE = "tok-file-Rk55nBw7Jd"
TOKEN_ENV = "tok-env-Pp73dGs1Qe"
TOKEN_WRONG = "tok-wrong-Yx18cNf4"
PW_OAUTH = "pw-oauth-Lm42sKd8"
PW_OAUTH_WRONG = "pw-oauth-wrong-Ef66"
CLIENT_SECRET = "cs-secret-Tu93wQr2"
CLIENT_SECRET_WRONG = "cs-wrong-Bv07hJy5"
ENV_NAME = "TMFINV_TEST_BEARER_TOKEN"

# A token as the simulator issues them: 32 hex digits standing alone.
SIM_TOKEN_SHAPE = re.compile(rb"(?<![0-9A-Za-z])[0-9a-f]{32}(?![0-9A-Za-z])")


class TokenProxy(StubServer):
    """Forwards POSTs to the simulator's token endpoint and records the tokens it hands out."""

    def __init__(self, target):
        self.tokens = set()

        def answer(method, path, headers, body):
            forwarded = {k: v for k, v in headers.items() if k.lower() in ("content-type", "authorization", "accept")}
            req = urllib.request.Request(target, data=body, headers=forwarded, method="POST")
            try:
                with urllib.request.urlopen(req, timeout=30) as r:
                    status, data = r.status, r.read()
            except urllib.error.HTTPError as e:
                status, data = e.code, e.read()
            try:
                doc = json.loads(data)
                for k in ("access_token", "refresh_token"):
                    if isinstance(doc, dict) and doc.get(k):
                        self.tokens.add(doc[k])
            except ValueError:
                pass
            return status, [("Content-Type", "application/json")], data

        super().__init__(answer)
        self.url = self.base + "/oauth_token.do"


class AuthFlowsTest(TestCase):
    def setUp(self):
        super().setUp()
        self.proxies = []
        os.environ.pop(ENV_NAME, None)

    def tearDown(self):
        os.environ.pop(ENV_NAME, None)
        for p in self.proxies:
            p.stop()
        super().tearDown()

    # ---- helpers --------------------------------------------------------------------------

    def secret_file(self, name, text):
        path = os.path.join(self.ws.dir, name)
        with open(path, "w") as f:
            f.write(text + "\n")
        os.chmod(path, 0o600)  # as a secret should be (else tmfinv warns that others may read it)
        return name

    def auth_sim(self, kind, lines, *args, **kw):
        path = os.path.join(self.ws.dir, "sim-%s.auth" % kind)
        with open(path, "w") as f:
            f.write("# accepted credentials\n" + "\n".join(lines) + "\n")
        return self.sim("--require-auth", kind, "--auth-file", path, *args, **kw)

    def sources(self, sim, auth, page_size=40, concurrency=None, **keys):
        """The SES services and resources collections of `sim`, both with the same auth keys."""
        out = []
        for name, api, path in (("services", "tmf638", "/tmf638/service"), ("resources", "tmf639", "/tmf639/resource")):
            s = {"api": api, "url": sim.base + path, "paging": "page", "page_size": str(page_size), "auth": auth}
            if concurrency:
                s["concurrency"] = str(concurrency)
            s.update(keys)
            out.append((name, s))
        return out

    def oauth_keys(self, sim, grant, token_url=None, password="pw-oauth.txt", secret="cs.txt"):
        keys = {"token_url": token_url or sim.base + "/oauth_token.do", "grant": grant, "client_id": "client-1",
                "client_secret_file": secret}
        if grant == "password":
            keys.update({"username": "alice", "password_file": password})
        return keys

    def oauth_sim(self, *args, **kw):
        return self.auth_sim("oauth2", ["alice:" + PW_OAUTH, "client-1:" + CLIENT_SECRET], *args, **kw)

    def reference_dump(self, **sizes):
        """The store a sync without auth gives for the same inventory (seed and sizes)."""
        sim = self.sim(**sizes)
        other = Workspace()
        try:
            other.ses_config(sim)
            other.run("sync", "--once", check=0)
            return [row[:7] for row in other.dump()]
        finally:
            other.cleanup()

    def assert_complete_run(self):
        run = self.ws.json_lines("runs", "--json")[0]
        self.assertTrue(run["complete"], run)
        self.assertTrue(all(s["complete"] and s["items"] > 0 for s in run["sources"]), run)
        return run

    def assert_one_line_error(self, p, *needles, secrets=()):
        self.assertEqual(p.returncode, 1, p.stderr)
        # One error line; the info lines of the log (the source's summary) aside.
        lines = [l for l in p.stderr.strip().splitlines() if " level=info " not in l]
        self.assertEqual(len(lines), 1, p.stderr)
        for n in needles:
            self.assertIn(n, lines[0])
        for s in secrets:
            self.assertNotIn(s, p.stdout + p.stderr)

    # ---- each kind of auth -----------------------------------------------------------------

    def test_auth_flows__basic(self):
        sim = self.auth_sim("basic", ["alice:" + PW_BASIC])
        self.secret_file("pw.txt", PW_BASIC)
        self.secret_file("wrong.txt", PW_BASIC_WRONG)
        self.ws.write_config(self.sources(sim, "basic", username="alice", password_file="pw.txt"))
        self.ws.run("sync", "--once", check=0)
        self.assert_complete_run()
        self.assertEqual(sim.get("/_sim/stats")["unauthorized"], 0)
        # One failing source, one line (each failing source has its own).
        self.ws.write_config(self.sources(sim, "basic", username="alice", password_file="wrong.txt")[:1])
        p = self.ws.run("sync", "--once")
        self.assert_one_line_error(p, "source 'services'", "HTTP 401", secrets=(PW_BASIC, PW_BASIC_WRONG))

    def test_auth_flows__bearer_token_file_and_env(self):
        sim = self.auth_sim("bearer", [TOKEN_FILE, TOKEN_ENV])
        self.secret_file("token.txt", TOKEN_FILE)
        self.ws.write_config(self.sources(sim, "bearer", token_file="token.txt"))
        self.ws.run("sync", "--once", check=0)
        self.assert_complete_run()
        os.environ[ENV_NAME] = TOKEN_ENV
        self.ws.write_config(self.sources(sim, "bearer", token_env=ENV_NAME))
        self.ws.run("sync", "--once", check=0)
        self.assert_complete_run()
        self.assertEqual(sim.get("/_sim/stats")["unauthorized"], 0)
        os.environ[ENV_NAME] = TOKEN_WRONG
        self.ws.write_config(self.sources(sim, "bearer", token_env=ENV_NAME)[:1])
        p = self.ws.run("sync", "--once")
        self.assert_one_line_error(p, "source 'services'", "HTTP 401", secrets=(TOKEN_FILE, TOKEN_ENV, TOKEN_WRONG))

    def test_auth_flows__oauth2_password_and_client_credentials(self):
        sim = self.oauth_sim()
        self.secret_file("pw-oauth.txt", PW_OAUTH)
        self.secret_file("cs.txt", CLIENT_SECRET)
        for grant in ("password", "client_credentials"):
            before = sim.get("/_sim/stats")["tokenRequests"]
            self.ws.write_config(self.sources(sim, "oauth2", **self.oauth_keys(sim, grant)))
            self.ws.run("sync", "--once", check=0)
            run = self.assert_complete_run()
            # One token per source, cached for all its pages.
            self.assertEqual(sim.get("/_sim/stats")["tokenRequests"] - before, 2, grant)
            self.assertEqual(sum(s["tokenFetches"] for s in run["sources"]), 2, run)
        self.assertEqual(sim.get("/_sim/stats")["unauthorized"], 0)

    def test_auth_flows__oauth2_wrong_credentials(self):
        sim = self.oauth_sim()
        self.secret_file("pw-oauth.txt", PW_OAUTH)
        self.secret_file("pw-wrong.txt", PW_OAUTH_WRONG)
        self.secret_file("cs.txt", CLIENT_SECRET)
        self.secret_file("cs-wrong.txt", CLIENT_SECRET_WRONG)
        token_url = sim.base + "/oauth_token.do"
        secrets = (PW_OAUTH, PW_OAUTH_WRONG, CLIENT_SECRET, CLIENT_SECRET_WRONG)
        cases = [("client_credentials", {"secret": "cs-wrong.txt"}, "invalid_client"),
                 ("password", {"secret": "cs-wrong.txt"}, "invalid_client"),
                 ("password", {"password": "pw-wrong.txt"}, "invalid_grant")]
        for grant, files, error in cases:
            with self.subTest(grant=grant, files=files):
                srcs = self.sources(sim, "oauth2", **self.oauth_keys(sim, grant, **files))
                self.ws.write_config(srcs[:1])
                p = self.ws.run("sync", "--once")
                self.assert_one_line_error(p, "source 'services'", "token endpoint " + token_url, error,
                                           secrets=secrets)
        self.assertEqual(self.ws.count("Service"), 0)

    def test_auth_flows__oauth2_token_renewed_before_expiry(self):
        # Tokens live 2 s; 30 pages of 10 at 150 ms each, one at a time: the sync lasts > 4 s.
        sim = self.oauth_sim("--token-ttl", 2, "--latency-ms", 150, services=200, carriers=100, resources=0)
        self.secret_file("cs.txt", CLIENT_SECRET)
        srcs = self.sources(sim, "oauth2", page_size=10, concurrency=1,
                            **self.oauth_keys(sim, "client_credentials"))
        self.ws.write_config(srcs[:1])
        started = time.monotonic()
        self.ws.run("sync", "--once", check=0)
        self.assertGreater(time.monotonic() - started, 3.0)
        self.assert_complete_run()
        stats = sim.get("/_sim/stats")
        self.assertGreater(stats["tokenRequests"], 1, stats)
        # Renewed before expiry: the source never had to be told its token had expired.
        self.assertEqual(stats["unauthorized"], 0, stats)

    def test_auth_flows__oauth2_401_mid_run_renews_once_and_completes(self):
        sizes = {"services": 400, "carriers": 100, "resources": 300}
        expected = self.reference_dump(**sizes)
        sim = self.oauth_sim("--latency-ms", 100, **sizes)
        self.secret_file("pw-oauth.txt", PW_OAUTH)
        self.secret_file("cs.txt", CLIENT_SECRET)
        # 80 pages of 10 at 100 ms, 2 at a time: about 4 s.
        self.ws.write_config(self.sources(sim, "oauth2", page_size=10, concurrency=2,
                                          **self.oauth_keys(sim, "password")))
        proc = subprocess.Popen([BIN, "-c", self.ws.config, "sync", "--once"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            time.sleep(1.0)
            self.assertIsNone(proc.poll(), "the sync ended before the tokens could be expired")
            before = sim.get("/_sim/stats")["tokenRequests"]
            self.assertEqual(sim.post("/_sim/expire-tokens"), {"expired": True})
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        self.assertEqual(proc.returncode, 0, err)
        stats = sim.get("/_sim/stats")
        self.assertGreater(stats["tokenRequests"], before, stats)
        self.assertGreaterEqual(stats["unauthorized"], 1, stats)
        self.assert_complete_run()
        self.assertEqual([row[:7] for row in self.ws.dump()], expected)

    # ---- the secrets test ----------------------------------------------------------------

    def test_auth_flows__secrets_never_appear_in_output_reports_or_database(self):
        basic = self.auth_sim("basic", ["alice:" + PW_BASIC], "--bad-items", "0.05")
        bearer = self.auth_sim("bearer", [TOKEN_FILE, TOKEN_ENV], "--bad-items", "0.05")
        # Tokens of 1 s and slow pages: access tokens are renewed with the refresh token too.
        oauth = self.oauth_sim("--bad-items", "0.05", "--token-ttl", 1, "--latency-ms", 60)
        proxy = TokenProxy(oauth.base + "/oauth_token.do")
        self.proxies.append(proxy)
        files = {"pw.txt": PW_BASIC, "pw-wrong.txt": PW_BASIC_WRONG, "token.txt": TOKEN_FILE,
                 "token-wrong.txt": TOKEN_WRONG, "pw-oauth.txt": PW_OAUTH, "pw-oauth-wrong.txt": PW_OAUTH_WRONG,
                 "cs.txt": CLIENT_SECRET, "cs-wrong.txt": CLIENT_SECRET_WRONG}
        for name, text in files.items():
            self.secret_file(name, text)
        os.environ[ENV_NAME] = TOKEN_ENV
        slow = {"page_size": 20, "concurrency": 1}
        configs = [
            (0, self.sources(basic, "basic", username="alice", password_file="pw.txt")),
            (0, self.sources(bearer, "bearer", token_file="token.txt")),
            (0, self.sources(bearer, "bearer", token_env=ENV_NAME)),
            (0, self.sources(oauth, "oauth2", **slow, **self.oauth_keys(oauth, "password", proxy.url))),
            (0, self.sources(oauth, "oauth2", **slow, **self.oauth_keys(oauth, "client_credentials", proxy.url))),
            (1, self.sources(basic, "basic", username="alice", password_file="pw-wrong.txt")),
            (1, self.sources(bearer, "bearer", token_file="token-wrong.txt")),
            (1, self.sources(oauth, "oauth2", **self.oauth_keys(oauth, "password", proxy.url,
                                                              password="pw-oauth-wrong.txt"))),
            (1, self.sources(oauth, "oauth2", **self.oauth_keys(oauth, "client_credentials", proxy.url,
                                                              secret="cs-wrong.txt"))),
        ]
        texts = []
        for expected_rc, srcs in configs:
            self.ws.write_config(srcs)
            with open(self.ws.config) as f:
                texts.append(("config", f.read()))
            argv = [BIN, "-c", self.ws.config, "sync", "--once"]
            proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            # The command line the system sees while the sync runs.
            try:
                with open("/proc/%d/cmdline" % proc.pid, "rb") as f:
                    texts.append(("cmdline", f.read().decode("latin-1")))
            except OSError:
                pass
            texts.append(("argv", " ".join(argv)))
            out, err = proc.communicate(timeout=120)
            if expected_rc == 0:
                # Authenticated and read; the wrong-shape items (--bad-items) that cannot be
                # identified may make the run incomplete (exit 2), which is not an auth matter.
                self.assertIn(proc.returncode, (0, 2), err)
                self.assertNotIn("401", err)
                self.assertNotIn("token endpoint", err)
            else:
                self.assertEqual(proc.returncode, expected_rc, err)
            texts += [("sync stdout", out), ("sync stderr", err)]
        # Renewals did happen (refresh grant included), so there were several tokens to leak.
        self.assertGreaterEqual(len(proxy.tokens), 4, proxy.tokens)
        self.assertTrue(all(re.fullmatch("[0-9a-f]{32}", t) for t in proxy.tokens), proxy.tokens)
        for args in (("runs", "--json"), ("rejected", "--kind", "all", "--json"),
                     ("query", "Service", "--all", "--json"), ("query", "Resource", "--all", "--json")):
            texts.append((" ".join(args), self.ws.run(*args, check=0).stdout))
        self.assertGreater(len(self.ws.json_lines("rejected", "--kind", "rejected", "--json")), 0)
        for definition in ("Service", "Carrier", "Resource"):
            key = self.ws.json_lines("query", definition, "--json")[0]["key"]
            texts.append(("show " + key, self.ws.run("show", key, "--json", check=0).stdout))
            texts.append(("history " + key, self.ws.run("history", key, "--json", check=0).stdout))
        blobs = [(name, text.encode()) for name, text in texts]
        for suffix in ("", "-wal", "-shm", "-journal"):
            if os.path.exists(self.ws.db + suffix):
                with open(self.ws.db + suffix, "rb") as f:
                    blobs.append(("database" + suffix, f.read()))
        basic_header = base64.b64encode(("alice:" + PW_BASIC).encode())
        secrets = [s.encode() for s in files.values()] + [TOKEN_ENV.encode(), basic_header]
        secrets += [t.encode() for t in proxy.tokens]
        for name, blob in blobs:
            for secret in secrets:
                self.assertNotIn(secret, blob, "a secret appears in %s" % name)
            # The simulator's tokens (32 hex digits) never appear, even ones the proxy missed.
            self.assertIsNone(SIM_TOKEN_SHAPE.search(blob), "a token-shaped string appears in %s" % name)
        # The configurations name files and variables only.
        for name, text in texts:
            if name in ("config", "cmdline", "argv"):
                self.assertNotIn(ENV_NAME + "=", text)


if __name__ == "__main__":
    main()
