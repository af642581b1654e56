"""Black-box tests of local TMF entities (issue 8, point 7; docs/api-tmf.md, "Local entities").

A small source of the test's own (PagedSource, SES profile) feeds a few services and
resources; `tmfinv serve` with a tokens file (a reader and a writer) mirrors them. The tests
create entities with POST (TMF v4 Service_Create / Resource_Create bodies), read them back,
let the source send an item with the same key, delete them, patch them, and check that
nothing is stored after a refused body."""

import hashlib
import json
import os
import re
import sqlite3
import sys
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tmfinv_testlib import PagedSource, Serve, Workspace, main  # noqa: E402

SERVICE = "/tmf-api/serviceInventory/v4/service"
RESOURCE = "/tmf-api/resourceInventoryManagement/v4/resource"
READ, WRITE = "read-secret", "write-secret"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.raw = body
        self.json = json.loads(body) if body else None


def synced_service(key, name, status="Operational"):
    return {"id": "src-" + key, "externalId": key, "@type": "Service", "name": name, "status": status,
            "state": "active", "serviceSpecification": {"id": "spec-1", "name": "Internet"}}


def service_create(key, name, **extra):
    """A Service_Create body the SES profile takes as a Service."""
    body = {"externalId": key, "@type": "Service", "name": name, "status": "Operational", "state": "active",
            "serviceSpecification": {"id": "spec-9", "name": "Backhaul"},
            "startDate": "2026-01-02T03:04:05Z"}
    body.update(extra)
    return body


class LocalEntitiesTest(unittest.TestCase):
    def setUp(self):
        self.src = PagedSource(40)
        self.src.services = [synced_service("SYN-1", "synced one"), synced_service("SYN-2", "synced two")]
        self.src.resources = [{"id": "R-1", "@type": "Satellite", "name": "sat one", "status": "Operational"}]
        self.ws = Workspace()
        tokens = os.path.join(self.ws.dir, "tokens")
        with open(tokens, "w") as f:
            f.write("reader:read:%s\n" % hashlib.sha256(READ.encode()).hexdigest())
            f.write("writer:write:%s\n" % hashlib.sha256(WRITE.encode()).hexdigest())
        keys = {"paging": "page", "page_size": "40", "retries": "0", "profile": "ses"}
        self.ws.write_config([("services", dict(keys, api="tmf638", url=self.src.stub.base + "/tmf638/service")),
                              ("resources", dict(keys, api="tmf639", url=self.src.stub.base + "/tmf639/resource"))],
                             extra="\n[sync]\ninterval = 3600\n\n[http]\nlisten = 127.0.0.1:0\ntokens_file = %s\n"
                             % tokens)
        self.server = Serve(self.ws.config, os.path.join(self.ws.dir, "serve.log"))
        self.base = self.server.base
        self.wait_runs(1)

    def tearDown(self):
        rc = self.server.stop()
        self.src.stop()
        with open(os.path.join(self.ws.dir, "serve.log")) as f:
            log = f.read()
        self.ws.cleanup()
        for marker in ("Sanitizer", "runtime error:"):
            self.assertNotIn(marker, log)
        self.assertEqual(rc, 0)

    # ---- helpers ----------------------------------------------------------------------

    def request(self, path, method="GET", body=None, token=WRITE, content_type="application/json"):
        headers = {}
        if token:
            headers["Authorization"] = "Bearer " + token
        if body is not None:
            if not isinstance(body, bytes):
                body = json.dumps(body).encode()
            headers["Content-Type"] = content_type
        url = path if path.startswith("http") else self.base + path
        req = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return Response(r.status, r.headers, r.read())
        except urllib.error.HTTPError as e:
            return Response(e.code, e.headers, e.read())

    def runs(self):
        return self.request("/api/v1/runs", token=READ).json["items"]

    def wait_runs(self, n, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            r = self.request("/api/v1/runs", token=READ)
            if r.status == 200:
                done = [x for x in r.json["items"] if x.get("ended")]
                if len(done) >= n:
                    return done[0]
            time.sleep(0.1)
        raise AssertionError("fewer than %d runs ended within %d s" % (n, timeout))

    def sync(self):
        n = len([x for x in self.runs() if x.get("ended")])
        self.assertEqual(self.request("/api/v1/sync", "POST").status, 202)
        return self.wait_runs(n + 1)

    def assert_error(self, r, status, *words):
        self.assertEqual(r.status, status, r.raw)
        for member in ("code", "reason", "message", "status"):
            self.assertIn(member, r.json)
        self.assertEqual(r.json["status"], str(status))
        for w in words:
            self.assertIn(w, r.json["message"])
        return r.json["message"]

    def rows(self):
        con = sqlite3.connect(self.ws.db)
        try:
            return (con.execute("SELECT count(*) FROM instance").fetchone()[0],
                    con.execute("SELECT count(*) FROM history").fetchone()[0])
        finally:
            con.close()

    # ---- tests ------------------------------------------------------------------------

    def test_local__create_answers_201_with_location_and_the_entity(self):
        body = service_create("LOC-1", "local one")
        r = self.request(SERVICE, "POST", body)
        self.assertEqual(r.status, 201, r.raw)
        created = r.json
        self.assertRegex(created["id"], UUID)
        self.assertEqual(created["href"], self.base + SERVICE + "/" + created["id"])
        self.assertEqual(r.headers.get("Location"), created["href"])
        for name, value in body.items():
            self.assertEqual(created[name], value, name)
        # GET after, with the read role: the same entity.
        got = self.request(created["href"], token=READ)
        self.assertEqual(got.status, 200)
        self.assertEqual(got.json, created)
        # The list shows it.
        listed = self.request(SERVICE + "?externalId=LOC-1", token=READ)
        self.assertEqual([i["id"] for i in listed.json], [created["id"]])
        # The object model: a Service of source @local, history records the creation.
        inst = self.request("/api/v1/instances/" + created["id"], token=READ).json
        self.assertEqual((inst["definition"], inst["key"], inst["source"]), ("Service", "LOC-1", "@local"))
        self.assertEqual(inst["fields"]["name"], "local one")
        history = self.request("/api/v1/instances/%s/history" % created["id"], token=READ).json
        history = history["items"] if isinstance(history, dict) else history
        self.assertEqual([h["field"] for h in history], ["@created"], history)
        self.assertEqual(history[0].get("actor"), "api:writer", history)
        # A resource: the SES key of resources is the TMF id, which the server assigns.
        r = self.request(RESOURCE, "POST", {"name": "local sat", "@type": "Satellite", "status": "Operational"})
        self.assertEqual(r.status, 201, r.raw)
        self.assertEqual(r.headers.get("Location"), self.base + RESOURCE + "/" + r.json["id"])
        inst = self.request("/api/v1/instances/" + r.json["id"], token=READ).json
        self.assertEqual((inst["definition"], inst["key"], inst["source"]), ("Resource", r.json["id"], "@local"))

    def test_local__bad_bodies_answer_400_naming_what_and_store_nothing(self):
        before = self.rows()
        cases = [
            (service_create("B-1", "x", state=None) | {"state": None}, "state"),
            ({k: v for k, v in service_create("B-2", "x").items() if k != "state"}, "state"),
            ({k: v for k, v in service_create("B-3", "x").items() if k != "serviceSpecification"},
             "serviceSpecification"),
            (service_create("B-4", "x", state="sleeping"), "state"),
            (service_create("B-5", "x", startDate="yesterday"), "startDate"),
            (service_create("B-6", "x", serviceSpecification="Backhaul"), "serviceSpecification"),
            (service_create("B-7", "x", note=[{"date": "2026-01-01T00:00:00Z", "author": "me", "text": 5}]), "note[0].text"),
            (service_create("B-7b", "x", note=[{"author": "me", "text": "no date"}]), "note[0].date"),
            (service_create("B-8", "x", id="mine"), "id"),
            (service_create("B-9", "x", href="http://x/y"), "href"),
            ({k: v for k, v in service_create("B-10", "x").items() if k != "externalId"}, "externalId"),
            (service_create("  ", "x"), "externalId"),
            (service_create("B-11", "x", status="Down"), "status"),
            (service_create("B-12", "x", status="bogus"), "status"),
            (service_create("B-13", "x", isBundle="yes"), "isBundle"),
        ]
        for body, word in cases:
            with self.subTest(word=word, body=body):
                self.assert_error(self.request(SERVICE, "POST", body), 400, word)
        self.assert_error(self.request(SERVICE, "POST", b"[1, 2]"), 400, "object")
        self.assert_error(self.request(SERVICE, "POST", b"{\"name\": "), 400)
        self.assert_error(self.request(RESOURCE, "POST", {"@type": "Satellite"}), 400, "name")
        r = self.request(SERVICE, "POST", service_create("B-14", "x"), content_type="text/plain")
        self.assert_error(r, 415)
        self.assertEqual(self.rows(), before)

    def test_local__duplicate_key_answers_409(self):
        self.assertEqual(self.request(SERVICE, "POST", service_create("DUP-1", "first")).status, 201)
        before = self.rows()
        self.assert_error(self.request(SERVICE, "POST", service_create("DUP-1", "second")), 409, "DUP-1")
        # The key of a synced instance is taken too.
        self.assert_error(self.request(SERVICE, "POST", service_create("SYN-1", "mine")), 409, "SYN-1")
        self.assertEqual(self.rows(), before)

    def test_local__roles(self):
        before = self.rows()
        self.assert_error(self.request(SERVICE, "POST", service_create("ROLE-1", "x"), token=READ), 403)
        self.assert_error(self.request(SERVICE, "POST", service_create("ROLE-1", "x"), token=None), 401)
        self.assertEqual(self.rows(), before)
        r = self.request(SERVICE, "POST", service_create("ROLE-1", "x"))
        self.assertEqual(r.status, 201)
        self.assert_error(self.request(SERVICE + "/" + r.json["id"], "DELETE", token=READ), 403)

    def test_local__no_sync_removes_or_overwrites_it(self):
        created = self.request(SERVICE, "POST", service_create("LOC-S", "local sync")).json
        # A complete sync in which the source does not send it: not removed.
        run = self.sync()
        self.assertTrue(run["complete"], run)
        got = self.request(SERVICE + "/" + created["id"], token=READ)
        self.assertEqual(got.status, 200)
        self.assertEqual(got.json, created)
        # The source sends an item with the same key: skipped, counted, reported once.
        self.src.services.append(synced_service("LOC-S", "the source's version"))
        for _ in range(2):
            run = self.sync()
            self.assertTrue(run["complete"], run)
            figures = next(s for s in run["sources"] if s["name"] == "services")
            self.assertEqual(figures["rejected"], 1, figures)
        got = self.request(SERVICE + "/" + created["id"], token=READ)
        self.assertEqual(got.json, created)
        inst = self.request("/api/v1/instances/" + created["id"], token=READ).json
        self.assertEqual((inst["source"], inst["removed"], inst["fields"]["name"]), ("@local", False, "local sync"))
        reports = self.ws.json_lines("rejected", "--kind", "local_conflict", "--json")
        self.assertEqual(len(reports), 1, reports)
        self.assertEqual((reports[0]["key"], reports[0]["source"], reports[0]["definition"]),
                         ("LOC-S", "services", "Service"))
        self.assertIn("@local", reports[0]["reason"])
        # The synced ones are as they were.
        self.assertEqual(self.request(SERVICE + "?externalId=SYN-1", token=READ).json[0]["name"], "synced one")

    def test_local__delete_a_local_entity_then_404(self):
        created = self.request(SERVICE, "POST", service_create("DEL-1", "to delete")).json
        url = SERVICE + "/" + created["id"]
        r = self.request(url, "DELETE")
        self.assertEqual(r.status, 204, r.raw)
        self.assertEqual(r.raw, b"")
        self.assert_error(self.request(url, token=READ), 404)
        self.assert_error(self.request(url, "DELETE"), 404)
        self.assertEqual(self.request(SERVICE + "?externalId=DEL-1", token=READ).json, [])
        inst = self.request("/api/v1/instances/" + created["id"], token=READ).json
        self.assertEqual((inst["removed"], inst["removedReason"]), (True, "deleted through the API"))
        history = self.request("/api/v1/instances/%s/history" % created["id"], token=READ).json
        history = history["items"] if isinstance(history, dict) else history
        self.assertEqual([(h["field"], h["after"], h.get("actor")) for h in history if h["field"] == "@removed"],
                         [("@removed", True, "api:writer")], history)
        # The key is free again: a new entity takes the removed one's place.
        r = self.request(SERVICE, "POST", service_create("DEL-1", "again"))
        self.assertEqual(r.status, 201, r.raw)
        self.assertEqual(self.request(r.headers.get("Location"), token=READ).json["name"], "again")

    def test_local__delete_a_synced_entity_is_refused(self):
        synced = self.request(SERVICE + "?externalId=SYN-2", token=READ).json[0]
        before = self.rows()
        msg = self.assert_error(self.request(SERVICE + "/" + synced["id"], "DELETE"), 409, "services")
        self.assertIn("sync", msg)
        self.assert_error(self.request(SERVICE + "/no-such-id", "DELETE"), 404)
        self.assertEqual(self.request(SERVICE + "/" + synced["id"], token=READ).status, 200)
        self.assertEqual(self.rows(), before)

    def test_local__patch_changes_any_field_of_a_local_entity(self):
        created = self.request(SERVICE, "POST", service_create("PAT-1", "before")).json
        url = SERVICE + "/" + created["id"]
        ct = "application/merge-patch+json"
        # name is owned by the source for synced services: here it may change.
        r = self.request(url, "PATCH", {"name": "after", "endDate": "2027-01-01T00:00:00Z"}, content_type=ct)
        self.assertEqual(r.status, 200, r.raw)
        self.assertEqual((r.json["name"], r.json["endDate"]), ("after", "2027-01-01T00:00:00Z"))
        self.assertEqual(self.request(url, token=READ).json, r.json)
        inst = self.request("/api/v1/instances/" + created["id"], token=READ).json
        self.assertEqual(inst["fields"]["name"], "after")
        history = self.request("/api/v1/instances/%s/history" % created["id"], token=READ).json
        history = history["items"] if isinstance(history, dict) else history
        self.assertTrue(any(h["field"] == "name" and h["after"] == "after" for h in history), history)
        # Same validation as before: a bad value is refused and changes nothing.
        self.assert_error(self.request(url, "PATCH", {"endDate": "soon"}, content_type=ct), 400, "endDate")
        self.assert_error(self.request(url, "PATCH", {"externalId": "PAT-2"}, content_type=ct), 400, "externalId")
        self.assertEqual(self.request(url, token=READ).json, r.json)
        # On a synced one the rules stay: name belongs to the source.
        synced = self.request(SERVICE + "?externalId=SYN-1", token=READ).json[0]
        self.assert_error(self.request(SERVICE + "/" + synced["id"], "PATCH", {"name": "x"}, content_type=ct),
                          400, "owned by the source")


class SpecsMissingTest(unittest.TestCase):
    """serve loads the two specifications at start: a missing or bad one stops it in one line
    naming the file."""

    def test_local__serve_needs_the_specifications(self):
        import shutil
        import subprocess
        from tmfinv_testlib import BIN
        data = os.environ.get("TMFINV_DATA_DIR") or os.path.join(os.path.dirname(__file__), "../../data")
        ws = Workspace()
        try:
            copy = os.path.join(ws.dir, "data")
            shutil.copytree(data, copy)
            ws.write_config([], extra="[http]\nlisten = 127.0.0.1:0\n")
            env = dict(os.environ, TMFINV_DATA_DIR=copy)
            for name, damage in (("TMF638-ServiceInventory-v4.0.0.swagger.json", None),
                                 ("TMF639-ResourceInventory-v4.0.0.swagger.json", "{not json"),
                                 ("TMF639-ResourceInventory-v4.0.0.swagger.json", '{"swagger": "2.0"}')):
                shutil.rmtree(os.path.join(copy, "tmf"))
                shutil.copytree(os.path.join(data, "tmf"), os.path.join(copy, "tmf"))
                path = os.path.join(copy, "tmf", name)
                if damage is None:
                    os.unlink(path)
                else:
                    with open(path, "w") as f:
                        f.write(damage)
                p = subprocess.run([BIN, "-c", ws.config, "serve"], capture_output=True, text=True, timeout=60, env=env)
                self.assertNotEqual(p.returncode, 0)
                self.assertEqual(p.stdout, "")
                lines = p.stderr.strip().splitlines()
                self.assertEqual(len(lines), 1, p.stderr)
                self.assertIn(path, lines[0])
        finally:
            ws.cleanup()


if __name__ == "__main__":
    main()
