"""Black-box tests of the TMF638/TMF639 v4 API of `tmfinv serve` (docs/api-tmf.md).

One simulator and one daemon serve the whole class (setUpClass waits for the first
complete sync); what the API answers is compared with what the simulator serves,
filtered and sorted here in Python from the documented rules, not from tmfinv's code.
Tests that change the store (PATCH) use items no other test looks at by value. A second
daemon with a tokens file checks the roles. Each daemon is stopped with SIGTERM and must
exit 0."""

import collections
import hashlib
import json
import os
import re
import random
import signal
import sqlite3
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tmfinv_testlib import BIN, EXCLUDED_TYPES, Serve, Sim, Workspace, main  # noqa: E402

SERVICE = "/tmf-api/serviceInventory/v4/service"
RESOURCE = "/tmf-api/resourceInventoryManagement/v4/resource"
JSON_TYPE = "application/json;charset=utf-8"


class Server(Serve):
    """A running `tmfinv -c CONFIG serve` for the workspace `ws`."""

    def __init__(self, ws):
        super().__init__(ws.config, os.path.join(ws.dir, "serve.log"))
        self.ws = ws

    def wait_synced(self, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            p = self.ws.run("runs", "--json")
            if p.returncode == 0:
                runs = [json.loads(x) for x in p.stdout.splitlines() if x.strip()]
                if any(r.get("complete") is True for r in runs):
                    return
            time.sleep(0.2)
        raise AssertionError("no complete sync within %d s" % timeout)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.raw = body
        self.json = json.loads(body) if body else None

    def header(self, name):
        return self.headers.get(name)


def request(url, method="GET", body=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return Response(r.status, r.headers, r.read())
    except urllib.error.HTTPError as e:
        return Response(e.code, e.headers, e.read())


def links(resp):
    """rel -> URL of the Link header."""
    out = {}
    for part in (resp.header("Link") or "").split(", "):
        m = re.match(r'^<([^>]*)>; rel="([a-z]+)"$', part)
        if m:
            out[m.group(2)] = m.group(1)
    return out


# ---- the documented semantics, in Python --------------------------------------------------

def expand(v):
    return v if isinstance(v, list) else [v]


def values_at(item, path):
    """Every value at a dotted path; an array on the way or at the end stands for each element."""
    current = [item]
    for step in path.split("."):
        nxt = []
        for c in current:
            for e in expand(c):
                if isinstance(e, dict) and step in e:
                    nxt.append(e[step])
        current = nxt
    return [e for c in current for e in expand(c)]


def is_number(s):
    try:
        float(s)
        return True
    except ValueError:
        return False


def compare(v, op, w):
    if op == "eq":
        if isinstance(v, bool):
            return w == ("true" if v else "false")
        if isinstance(v, (int, float)):
            return is_number(w) and float(w) == v
        return isinstance(v, str) and v == w
    if re.match(r"^\d{4}-\d\d-\d\dT", w):
        if not (isinstance(v, str) and re.match(r"^\d{4}-\d\d-\d\dT", v)):
            return False
        a, b = instant(v), instant(w)
    elif is_number(w):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return False
        a, b = v, float(w)
    else:
        if not isinstance(v, str):
            return False
        a, b = v, w
    return {"gt": a > b, "gte": a >= b, "lt": a < b, "lte": a <= b}[op]


def instant(s):
    from datetime import datetime
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def matches(item, filters):
    """filters: list of (path, op, [values]) AND-ed; values OR-ed."""
    return all(any(compare(v, op, w) for v in values_at(item, path) for w in values)
               for path, op, values in filters)


class TmfApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = Sim()
        cls.ws = Workspace()
        cls.write_config(cls.ws, cls.sim, "default_limit = 50\nmax_limit = 200\nmax_body = 1024\n")
        cls.server = Server(cls.ws)
        cls.server.wait_synced()
        cls.base = cls.server.base
        cls.expected = cls.compute_expected()

    @classmethod
    def tearDownClass(cls):
        rc = cls.server.stop()
        cls.sim.stop()
        cls.ws.cleanup()
        if rc != 0:
            raise AssertionError("tmfinv serve exited %d after SIGTERM" % rc)

    @staticmethod
    def write_config(ws, sim, http_extra=""):
        services = {"api": "tmf638", "url": sim.base + "/tmf638/service", "paging": "page", "page_size": "40"}
        resources = {"api": "tmf639", "url": sim.base + "/tmf639/resource", "paging": "page", "page_size": "40"}
        ws.write_config([("services", services), ("resources", resources)],
                        extra="\n[http]\nlisten = 127.0.0.1:0\n" + http_extra)

    @classmethod
    def compute_expected(cls):
        """Per collection: the stored items (first occurrence of each key in page order,
        excluded types left out) with their definition, key and removed flag."""
        out = {"service": [], "resource": []}
        seen = set()
        for item in cls.sim.collection("/tmf638/service"):
            definition = "Carrier" if item.get("@type") == "element" else "Service"
            key = item.get("externalId")
            if not key or (definition, key) in seen:
                continue
            seen.add((definition, key))
            keep = item.get("status") == "Operational" if definition == "Service" else item.get("status") != "Deprecated"
            out["service"].append({"item": item, "definition": definition, "key": key, "removed": not keep})
        for item in cls.sim.collection("/tmf639/resource"):
            key = item.get("id")
            if not key or ("Resource", key) in seen:
                continue
            seen.add(("Resource", key))
            if item.get("@type") in EXCLUDED_TYPES:
                continue
            out["resource"].append({"item": item, "definition": "Resource", "key": key,
                                    "removed": item.get("status") == "Deprecated"})
        return out

    # ---- helpers ----

    def get(self, path, **params):
        query = urllib.parse.urlencode(params)
        return request(self.base + path + ("?" + query if query else ""))

    def get_all(self, path, query=""):
        """Follows next links from the first page; returns (items, responses)."""
        url = self.base + path + ("?" + query if query else "")
        items, responses = [], []
        while url:
            r = request(url)
            self.assertIn(r.status, (200, 206), r.raw)
            responses.append(r)
            items.extend(r.json)
            url = links(r).get("next")
            self.assertLess(len(responses), 1000)
        return items, responses

    def expected_ids(self, coll, filters=(), removed=False):
        return [e["item"]["id"] for e in self.expected[coll]
                if (removed or not e["removed"]) and matches(e["item"], filters)]

    def assert_error(self, r, status, *words):
        self.assertEqual(r.status, status, r.raw)
        self.assertEqual(r.header("Content-Type"), JSON_TYPE)
        body = r.json
        for k in ("code", "reason", "message", "status"):
            self.assertIsInstance(body.get(k), str, body)
        self.assertEqual(body["status"], str(status))
        for w in words:
            self.assertIn(w, body["message"])
        return body

    def uuid_of(self, key, definition):
        shown = self.ws.json_lines("show", key, "--definition", definition, "--json")[0]
        return shown["id"]

    # ---- paging ----

    def test_every_item_once_following_next(self):
        for coll, path in (("service", SERVICE), ("resource", RESOURCE)):
            items, responses = self.get_all(path, "limit=37")
            ids = [i["id"] for i in items]
            self.assertEqual(len(ids), len(set(ids)), "an item came twice")
            self.assertEqual(sorted(ids), sorted(self.expected_ids(coll)))
            total = len(ids)
            for n, r in enumerate(responses):
                self.assertEqual(r.header("Content-Type"), JSON_TYPE)
                self.assertEqual(int(r.header("X-Total-Count")), total)
                self.assertEqual(int(r.header("X-Result-Count")), len(r.json))
                last = n == len(responses) - 1
                self.assertEqual(r.status, 200 if last else 206)
                rels = links(r)
                self.assertIn("first", rels)
                self.assertIn("last", rels)
                self.assertEqual("prev" in rels, n > 0)
                self.assertEqual("next" in rels, not last)
            # last points at the page that the next links end on
            self.assertEqual(links(responses[0])["last"], links(responses[-2])["next"])

    def test_default_and_max_limit(self):
        r = self.get(SERVICE)
        self.assertEqual(r.status, 206)
        self.assertEqual(len(r.json), 50)  # [http] default_limit
        self.assertEqual(int(r.header("X-Total-Count")), len(self.expected_ids("service")))
        self.assertEqual(len(self.get(SERVICE, limit=200).json), 200)
        for bad in ("201", "0", "-1", "abc", "1.5", ""):
            self.assert_error(self.get(SERVICE, limit=bad), 400, "limit")
        for bad in ("-1", "x", "1e3"):
            self.assert_error(self.get(RESOURCE, offset=bad), 400, "offset")

    def test_complete_answer_is_200(self):
        want = self.expected_ids("resource", [("@type", "eq", ["Modem"])])
        self.assertLess(len(want), 200)
        r = self.get(RESOURCE, **{"@type": "Modem", "limit": 200})
        self.assertEqual(r.status, 200)
        self.assertEqual(sorted(i["id"] for i in r.json), sorted(want))
        self.assertNotIn("next", links(r))
        # the tail of a collection from an offset is complete too
        r = self.get(RESOURCE, **{"@type": "Modem", "limit": 10, "offset": len(want) - 3})
        self.assertEqual((r.status, len(r.json)), (200, 3))
        r = self.get(RESOURCE, **{"@type": "Modem", "limit": len(want)})
        self.assertEqual(r.status, 200)
        r = self.get(RESOURCE, **{"@type": "Modem", "limit": len(want) - 1})
        self.assertEqual(r.status, 206)

    def test_links_keep_the_filters(self):
        r = self.get(SERVICE, **{"relatedParty.role": "Customer", "fields": "name", "sort": "-name",
                                 "offset": 5, "limit": 7})
        self.assertEqual(r.status, 206)
        rels = links(r)
        for rel, offset in (("first", 0), ("prev", 0), ("next", 12)):
            q = urllib.parse.parse_qs(urllib.parse.urlparse(rels[rel]).query)
            self.assertTrue(rels[rel].startswith(self.base + SERVICE + "?"), rels[rel])
            self.assertEqual(q["relatedParty.role"], ["Customer"])
            self.assertEqual(q["fields"], ["name"])
            self.assertEqual(q["sort"], ["-name"])
            self.assertEqual(q["offset"], [str(offset)])
            self.assertEqual(q["limit"], ["7"])
        nxt = request(rels["next"])
        self.assertEqual(set(nxt.json[0]), {"id", "href", "name"})

    def test_past_the_end_is_416(self):
        total = len(self.expected_ids("service"))
        r = self.get(SERVICE, offset=total)
        self.assert_error(r, 416)
        self.assertEqual(r.header("Content-Range"), "items */%d" % total)
        self.assertEqual(self.get(SERVICE, offset=total - 1).status, 200)
        r = self.get(SERVICE, **{"name": "no such name", "offset": 1})
        self.assert_error(r, 416)
        self.assertEqual(r.header("Content-Range"), "items */0")
        r = self.get(SERVICE, name="no such name")
        self.assertEqual((r.status, r.json, r.header("X-Total-Count")), (200, [], "0"))

    # ---- representation ----

    def test_items_are_the_source_items_with_our_href(self):
        sent = {e["item"]["id"]: e["item"] for e in self.expected["service"]}
        items, _ = self.get_all(SERVICE, "limit=200")
        for item in items:
            self.assertEqual(item["href"], self.base + SERVICE + "/" + item["id"])
            original = dict(sent[item["id"]])
            original["href"] = item["href"]
            self.assertEqual(item, original)  # PATCHed notes have no source path: not shown
        one = request(items[0]["href"])
        self.assertEqual(one.status, 200)
        self.assertEqual(one.json["id"], items[0]["id"])

    def test_fields(self):
        r = self.get(SERVICE, fields="name,state,nothing", limit=20)
        for item in r.json:
            self.assertEqual(set(item), {"id", "href", "name", "state"})
        r = self.get(RESOURCE, fields="none", limit=20)
        for item in r.json:
            self.assertEqual(set(item), {"id", "href"})
        rid = r.json[0]["id"]
        r = self.get(RESOURCE + "/" + rid, fields="name")
        self.assertEqual(set(r.json), {"id", "href", "name"})
        self.assert_error(self.get(SERVICE, fields="serviceSpecification.id"), 400, "fields")
        self.assert_error(self.get(SERVICE, fields="a,,b"), 400, "fields")

    def test_retrieve_by_tmf_id_and_uuid(self):
        e = next(x for x in self.expected["service"] if not x["removed"] and x["definition"] == "Service")
        r = self.get(SERVICE + "/" + e["item"]["id"])
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("Content-Type"), JSON_TYPE)
        self.assertEqual(r.json["externalId"], e["key"])
        uuid = self.uuid_of(e["key"], "Service")
        r2 = self.get(SERVICE + "/" + uuid)
        self.assertEqual(r2.status, 200)
        self.assertEqual(r2.json["id"], e["item"]["id"])
        # trailing slashes name the same resources
        self.assertEqual(self.get(SERVICE + "/" + e["item"]["id"] + "/").json["id"], e["item"]["id"])
        r3 = self.get(SERVICE + "/", limit=5)
        self.assertEqual([i["id"] for i in r3.json], [i["id"] for i in self.get(SERVICE, limit=5).json])
        # a resource id is not a service
        rid = next(x for x in self.expected["resource"] if not x["removed"])["item"]["id"]
        self.assert_error(self.get(SERVICE + "/" + rid), 404, rid)
        self.assert_error(self.get(RESOURCE + "/no-such-id"), 404, "no-such-id")
        self.assertEqual(self.get(RESOURCE + "/" + rid).status, 200)

    def test_removed_instances(self):
        gone = [e for e in self.expected["service"] if e["removed"]]
        self.assertTrue(gone)
        r = self.get(SERVICE, limit=200, removed="true")
        self.assertEqual(int(r.header("X-Total-Count")), len(self.expected["service"]))
        items, _ = self.get_all(SERVICE, "limit=200&removed=true")
        self.assertEqual(sorted(i["id"] for i in items), sorted(e["item"]["id"] for e in self.expected["service"]))
        gid = gone[0]["item"]["id"]
        self.assert_error(self.get(SERVICE + "/" + gid), 404, "removed=true")
        self.assertEqual(self.get(SERVICE + "/" + gid, removed="true").status, 200)
        self.assertEqual(int(self.get(SERVICE, removed="false").header("X-Total-Count")),
                         len(self.expected_ids("service")))
        self.assert_error(self.get(SERVICE, removed="yes"), 400, "removed")

    # ---- filters and sort ----

    def check_filter(self, coll, path, params, filters, minimum=1, everything_ok=False):
        query = urllib.parse.urlencode(params, doseq=True) + "&limit=200"
        items, _ = self.get_all(path, query)
        want = self.expected_ids(coll, filters)
        self.assertGreaterEqual(len(want), minimum, "the filter %r selects too little to prove anything" % params)
        if not everything_ok:
            self.assertLess(len(want), len(self.expected_ids(coll)), "the filter %r selects everything" % params)
        self.assertEqual(sorted(i["id"] for i in items), sorted(want), params)

    def test_attribute_filters(self):
        self.check_filter("service", SERVICE, {"state": "active"}, [("state", "eq", ["active"])])
        self.check_filter("service", SERVICE, {"@type": "element"}, [("@type", "eq", ["element"])])
        spec = next(e["item"]["serviceSpecification"]["id"] for e in self.expected["service"]
                    if not e["removed"] and "serviceSpecification" in e["item"])
        self.check_filter("service", SERVICE, {"serviceSpecification.id": spec},
                          [("serviceSpecification.id", "eq", [spec])])
        self.check_filter("service", SERVICE, {"relatedParty.role": "Customer"},
                          [("relatedParty.role", "eq", ["Customer"])], everything_ok=True)
        party = next(p["name"] for e in self.expected["service"] if not e["removed"]
                     for p in e["item"].get("relatedParty", []))
        self.check_filter("service", SERVICE, {"relatedParty.name": party}, [("relatedParty.name", "eq", [party])])
        self.check_filter("service", SERVICE, {"serviceRelationship.service.@referredType": "Service",
                                               "serviceRelationship.relationshipType": "reliesOn"},
                          [("serviceRelationship.service.@referredType", "eq", ["Service"]),
                           ("serviceRelationship.relationshipType", "eq", ["reliesOn"])], everything_ok=True)
        self.check_filter("service", SERVICE, {"status": "Down,Degraded"}, [("status", "eq", ["Down", "Degraded"])])
        # the same attribute repeated: OR, as with a comma
        self.check_filter("service", SERVICE, [("status", "Down"), ("status", "Degraded")],
                          [("status", "eq", ["Down", "Degraded"])])
        # different attributes: AND
        self.check_filter("service", SERVICE, [("status", "Down,Degraded"), ("@type", "element")],
                          [("status", "eq", ["Down", "Degraded"]), ("@type", "eq", ["element"])])
        self.check_filter("resource", RESOURCE, {"@type": "Modem"}, [("@type", "eq", ["Modem"])])
        self.check_filter("resource", RESOURCE, {"place.role": "InstallationSite"},
                          [("place.role", "eq", ["InstallationSite"])])
        self.check_filter("resource", RESOURCE, {"resourceCharacteristic.name": "serialNumber"},
                          [("resourceCharacteristic.name", "eq", ["serialNumber"])])
        # numbers compare as numbers, in arrays of objects
        self.check_filter("service", SERVICE, {"serviceCharacteristic.value": "200"},
                          [("serviceCharacteristic.value", "eq", ["200"])])
        self.check_filter("service", SERVICE, {"serviceCharacteristic.value.gte": "500"},
                          [("serviceCharacteristic.value", "gte", ["500"])])
        self.check_filter("service", SERVICE, {"serviceCharacteristic.value.lt": "10"},
                          [("serviceCharacteristic.value", "lt", ["10"])])
        # dates compare as instants, whatever the offset they are written with
        self.check_filter("service", SERVICE, {"startDate.gt": "2025-06-01T00:00:00Z"},
                          [("startDate", "gt", ["2025-06-01T00:00:00Z"])])
        self.check_filter("service", SERVICE, {"startDate.gte": "2025-03-01T02:00:00+02:00",
                                               "startDate.lt": "2025-09-01T00:00:00Z"},
                          [("startDate", "gte", ["2025-03-01T00:00:00Z"]), ("startDate", "lt", ["2025-09-01T00:00:00Z"])])
        self.check_filter("service", SERVICE, {"startDate.lte": "2025-03-01T00:00:00.000Z"},
                          [("startDate", "lte", ["2025-03-01T00:00:00Z"])])
        self.check_filter("service", SERVICE, {"state.eq": "active"}, [("state", "eq", ["active"])])
        # the URL forms a>=v and a<v
        items, _ = self.get_all(SERVICE, "startDate>=2025-06-01T00:00:00Z&limit=200")
        self.assertEqual(sorted(i["id"] for i in items),
                         sorted(self.expected_ids("service", [("startDate", "gte", ["2025-06-01T00:00:00Z"])])))
        items, _ = self.get_all(SERVICE, "startDate<2025-06-01T00:00:00Z&limit=200")
        self.assertEqual(sorted(i["id"] for i in items),
                         sorted(self.expected_ids("service", [("startDate", "lt", ["2025-06-01T00:00:00Z"])])))
        # nothing matches an unknown attribute or value
        self.assertEqual(self.get(SERVICE, nosuchattribute="x").json, [])
        self.assertEqual(self.get(SERVICE, **{"relatedParty.role": "Nobody"}).json, [])
        # a filter combines with removed=true
        r = self.get(SERVICE, status="Deprecated", removed="true", limit=200)
        self.assertEqual(sorted(i["id"] for i in r.json),
                         sorted(e["item"]["id"] for e in self.expected["service"]
                                if e["item"].get("status") == "Deprecated"))
        self.assertEqual(self.get(SERVICE, status="Deprecated").json, [])

    def test_bad_filters(self):
        self.assert_error(self.get(SERVICE, **{"state.ne": "active"}), 400, "state.ne", "ne")
        self.assert_error(self.get(SERVICE, **{"state.regex": "a.*"}), 400, "regex")
        self.assert_error(request(self.base + SERVICE + "?state!=active"), 400, "!")
        self.assert_error(request(self.base + SERVICE + "?=active"), 400, "empty attribute name")
        self.assert_error(self.get(SERVICE, **{".gt": "1"}), 400, "empty attribute name")
        self.assert_error(self.get(SERVICE, **{"a..b": "1"}), 400, "a..b")
        self.assert_error(self.get(SERVICE, **{"a b": "1"}), 400, "a b")
        self.assert_error(self.get(SERVICE, **{"1a": "1"}), 400, "1a")
        self.assert_error(self.get(SERVICE, **{"name'); DROP TABLE instance; --": "1"}), 400, "name')")
        self.assertEqual(self.get(SERVICE).status, 206)

    def sort_key_order(self, coll):
        # tie-break: definition then key
        return sorted((e for e in self.expected[coll] if not e["removed"]), key=lambda e: (e["definition"], e["key"]))

    def test_sort(self):
        entries = self.sort_key_order("service")
        want = sorted(entries, key=lambda e: e["item"].get("startDate", ""), reverse=True)
        items, _ = self.get_all(SERVICE, "sort=-startDate&limit=200&fields=startDate")
        self.assertEqual([i["id"] for i in items], [e["item"]["id"] for e in want])
        want = sorted(entries, key=lambda e: (e["item"].get("state", ""), e["item"].get("name", "")))
        items, _ = self.get_all(SERVICE, "sort=state,%2Bname&limit=200")
        self.assertEqual([i["id"] for i in items], [e["item"]["id"] for e in want])
        # dotted sort key; ties by definition and key
        entries = self.sort_key_order("resource")
        want = sorted(entries, key=lambda e: (e["item"].get("resourceSpecification", {}).get("name", "")))
        want = sorted(want, key=lambda e: e["item"].get("@type", ""), reverse=True)
        items, _ = self.get_all(RESOURCE, "sort=-@type,resourceSpecification.name&limit=200")
        self.assertEqual([i["id"] for i in items], [e["item"]["id"] for e in want])
        # no sort: definition then key
        items, _ = self.get_all(RESOURCE, "limit=200")
        self.assertEqual([i["id"] for i in items], [e["item"]["id"] for e in entries])
        self.assert_error(self.get(SERVICE, sort="a..b"), 400, "sort")
        self.assert_error(self.get(SERVICE, sort="-"), 400, "sort")

    # ---- PATCH ----

    def patch(self, path, body, content_type="application/merge-patch+json", raw=None):
        data = raw if raw is not None else json.dumps(body).encode()
        headers = {"Content-Type": content_type} if content_type else {}
        return request(self.base + path, method="PATCH", body=data, headers=headers)

    def test_patch_local_field(self):
        e = [x for x in self.expected["service"] if not x["removed"] and x["definition"] == "Service"][3]
        sid = e["item"]["id"]
        for ct in ("application/merge-patch+json", "application/json", "application/json; charset=UTF-8",
                   "Application/Merge-Patch+JSON;charset=\"utf-8\""):
            r = self.patch(SERVICE + "/" + sid, {"note": "checked " + ct}, ct)
            self.assertEqual(r.status, 200, r.raw)
            self.assertEqual(r.header("Content-Type"), JSON_TYPE)
            self.assertEqual(r.json["id"], sid)
            self.assertEqual(r.json["href"], self.base + SERVICE + "/" + sid)
        r = self.patch(SERVICE + "/" + sid, {"note": "checked"})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json["name"], e["item"]["name"])
        history = self.ws.json_lines("history", e["key"], "--definition", "Service", "--json")
        notes = [h for h in history if h["field"] == "note"]
        self.assertEqual(notes[-1]["after"], "checked")
        self.assertEqual(notes[-1]["run"], 0)
        self.assertEqual(len(notes), 5)
        shown = self.ws.json_lines("show", e["key"], "--definition", "Service", "--json")[0]
        self.assertEqual(shown["fields"]["note"], "checked")
        # the same value again changes nothing
        self.assertEqual(self.patch(SERVICE + "/" + sid, {"note": "checked"}).status, 200)
        self.assertEqual(len([h for h in self.ws.json_lines("history", e["key"], "--definition", "Service", "--json")
                              if h["field"] == "note"]), 5)
        # null unsets it
        self.assertEqual(self.patch(SERVICE + "/" + sid, {"note": None}).status, 200)
        shown = self.ws.json_lines("show", e["key"], "--definition", "Service", "--json")[0]
        self.assertNotIn("note", shown["fields"])
        # by instance UUID too
        uuid = self.uuid_of(e["key"], "Service")
        self.assertEqual(self.patch(SERVICE + "/" + uuid, {"note": "by uuid"}).json["id"], sid)

    def test_patch_modem_status_shows_in_the_tmf_item(self):
        modems = [x for x in self.expected["resource"] if not x["removed"] and x["item"].get("@type") == "Modem"
                  and x["item"].get("status") != "Maintenance"]
        e = modems[0]
        rid = e["item"]["id"]
        r = self.patch(RESOURCE + "/" + rid, {"status": "Maintenance"})
        self.assertEqual(r.status, 200, r.raw)
        self.assertEqual(r.json["status"], "Maintenance")
        self.assertEqual(self.get(RESOURCE + "/" + rid).json["status"], "Maintenance")
        self.assertNotEqual(self.sim.get(RESOURCE + "/" + rid)["status"], "Maintenance")
        # the filter on status sees the stored status
        ids = [i["id"] for i in self.get_all(RESOURCE, "status=Maintenance&limit=200")[0]]
        self.assertIn(rid, ids)
        ids = [i["id"] for i in self.get_all(RESOURCE, "status=%s&limit=200" % e["item"]["status"])[0]]
        self.assertNotIn(rid, ids)
        # a sync keeps it (initial field)
        self.ws.run("sync", "--once", check=0)
        self.assertEqual(self.get(RESOURCE + "/" + rid).json["status"], "Maintenance")
        history = self.ws.json_lines("history", rid, "--json")
        self.assertIn({"field": "status", "before": e["item"]["status"], "after": "Maintenance", "run": 0},
                      [{k: h[k] for k in ("field", "before", "after", "run")} for h in history])
        # invalid enum value
        self.assert_error(self.patch(RESOURCE + "/" + rid, {"status": "Broken"}), 400, "status", "Broken")

    def test_patch_refusals(self):
        e = [x for x in self.expected["service"] if not x["removed"] and x["definition"] == "Service"][5]
        sid = e["item"]["id"]
        self.assert_error(self.patch(SERVICE + "/" + sid, {"name": "x"}), 400, "'name'", "source")
        self.assert_error(self.patch(SERVICE + "/" + sid, {"note": "ok", "state": "active"}), 400, "'state'")
        self.assert_error(self.patch(SERVICE + "/" + sid, {"nosuchfield": 1}), 400, "nosuchfield")
        self.assert_error(self.patch(SERVICE + "/" + sid, {"note": 5}), 400, "note")
        self.assert_error(self.patch(SERVICE + "/" + sid, {"note": ["a"]}), 400, "note")
        self.assert_error(self.patch(SERVICE + "/" + sid, None, raw=b"[1, 2]"), 400)
        self.assert_error(self.patch(SERVICE + "/" + sid, None, raw=b"{\"note\": "), 400, "not valid JSON")
        self.assert_error(self.patch(SERVICE + "/" + sid, None, raw=b""), 400)
        for ct in ("text/plain", "application/json-patch+json", "application/json; charset=latin1", None):
            self.assert_error(self.patch(SERVICE + "/" + sid, {"note": "x"}, ct), 415)
        # a resource that is not a modem: its status is the source's
        other = next(x for x in self.expected["resource"] if not x["removed"] and x["item"].get("@type") != "Modem"
                     and x["item"].get("category") != "Modem")
        self.assert_error(self.patch(RESOURCE + "/" + other["item"]["id"], {"status": "Down"}), 400, "status",
                          "source")
        self.assert_error(self.patch(SERVICE + "/no-such-id", {"note": "x"}), 404, "no-such-id")
        # nothing was written: the refused note did not land
        shown = self.ws.json_lines("show", e["key"], "--definition", "Service", "--json")[0]
        self.assertNotIn("note", shown["fields"])
        # too large a body: 413 ([http] max_body = 1024)
        self.assert_error(self.patch(SERVICE + "/" + sid, {"note": "x" * 2000}), 413)

    def test_methods_not_allowed(self):
        # POST and DELETE exist since issue 8 (local entities, test_api_local.py); PUT does not.
        r = request(self.base + SERVICE + "/x", method="PUT", body=b"{}", headers={"Content-Type": "application/json"})
        self.assert_error(r, 405)
        self.assertIn("PATCH", r.header("Allow"))
        self.assertIn("DELETE", r.header("Allow"))
        r = request(self.base + RESOURCE, method="PUT", body=b"{}", headers={"Content-Type": "application/json"})
        self.assert_error(r, 405)
        self.assertIn("GET", r.header("Allow"))
        self.assertIn("POST", r.header("Allow"))
        self.assert_error(request(self.base + "/tmf-api/serviceInventory/v4/nothing"), 404)


class TmfApiRolesTest(unittest.TestCase):
    """With a tokens file: reads need a token, PATCH needs the write role."""

    def setUp(self):
        self.sim = Sim(services=20, carriers=10, resources=30)
        self.ws = Workspace()
        tokens = os.path.join(self.ws.dir, "tokens")
        with open(tokens, "w") as f:
            f.write("reader:read:%s\n" % hashlib.sha256(b"read-secret").hexdigest())
            f.write("writer:write:%s\n" % hashlib.sha256(b"write-secret").hexdigest())
        TmfApiTest.write_config(self.ws, self.sim, "tokens_file = %s\n" % tokens)
        self.server = Server(self.ws)
        self.server.wait_synced()

    def tearDown(self):
        rc = self.server.stop()
        self.sim.stop()
        self.ws.cleanup()
        self.assertEqual(rc, 0)

    def test_roles(self):
        base = self.server.base
        auth = lambda t: {"Authorization": "Bearer " + t}  # noqa: E731
        self.assertEqual(request(base + SERVICE).status, 401)
        r = request(base + SERVICE, headers=auth("read-secret"))
        self.assertEqual(r.status, 200)
        sid = next(i["id"] for i in r.json if i.get("@type") == "Service")
        body = json.dumps({"note": "by writer"}).encode()
        ct = {"Content-Type": "application/merge-patch+json"}
        r = request(base + SERVICE + "/" + sid, "PATCH", body, dict(ct, **auth("read-secret")))
        self.assertEqual(r.status, 403)
        self.assertEqual(r.json["status"], "403")
        r = request(base + SERVICE + "/" + sid, "PATCH", body, ct)
        self.assertEqual(r.status, 401)
        r = request(base + SERVICE + "/" + sid, "PATCH", body, dict(ct, **auth("write-secret")))
        self.assertEqual(r.status, 200, r.raw)
        self.assertEqual(r.json["id"], sid)


class TmfApiPagingTest(unittest.TestCase):
    """Issue 11, point 4: pages far from the start (the key order remembered as rowids),
    filtered pages and items written from the stored text, against the store itself read
    here with sqlite3: the active instances in key order, each item the stored one with
    the stored value of an initial field (a modem's status) and our href."""

    @classmethod
    def setUpClass(cls):
        cls.sim = Sim(seed=11, services=300, carriers=100, resources=2600)
        cls.ws = Workspace()
        try:
            TmfApiTest.write_config(cls.ws, cls.sim, "default_limit = 40\nmax_limit = 500\n")
            cls.server = Server(cls.ws)
        except BaseException:
            # tearDownClass does not run when setUpClass fails: leave no simulator behind
            cls.sim.stop()
            cls.ws.cleanup()
            raise
        cls.server.wait_synced()
        cls.base = cls.server.base

    @classmethod
    def tearDownClass(cls):
        rc = cls.server.stop()
        cls.sim.stop()
        cls.ws.cleanup()
        if rc != 0:
            raise AssertionError("tmfinv serve exited %d after SIGTERM" % rc)

    def stored(self):
        """The active resources in key order as GET must serve them."""
        db = sqlite3.connect("file:%s?mode=ro" % self.ws.db, uri=True)
        try:
            rows = db.execute("SELECT key, raw, fields FROM instance WHERE definition = 'Resource' AND removed = 0").fetchall()
        finally:
            db.close()
        out = []
        for key, raw, fields in sorted(rows, key=lambda r: r[0].encode()):
            item, values = json.loads(raw), json.loads(fields)
            if values.get("type") == "Modem" or values.get("category") == "Modem":
                # status is an initial field for modems: the stored value is shown
                if "status" in values:
                    item["status"] = values["status"]
                else:
                    item.pop("status", None)
            item["href"] = self.base + RESOURCE + "/" + urllib.parse.quote(item["id"], safe="")
            out.append(item)
        return out

    def page(self, query, offset, limit=40):
        r = request(self.base + RESOURCE + "?" + query + ("&" if query else "") + "offset=%d&limit=%d" % (offset, limit))
        self.assertIn(r.status, (200, 206), r.raw)
        return r

    def check_offsets(self, expected, query="", offsets=()):
        total = len(expected)
        self.assertGreater(total, 50, query)
        rng = random.Random(len(expected))
        for offset in list(offsets) + [0, total - 1, total - 40] + [rng.randrange(total) for _ in range(12)]:
            if offset < 0 or offset >= total:
                continue
            r = self.page(query, offset)
            self.assertEqual(r.header("X-Total-Count"), str(total), (query, offset))
            self.assertEqual(r.json, expected[offset:offset + 40], (query, offset))
        self.assert_error_416(query, total)

    def assert_error_416(self, query, total):
        r = request(self.base + RESOURCE + "?" + query + ("&" if query else "") + "offset=%d&limit=40" % total)
        self.assertEqual(r.status, 416, r.raw)
        self.assertEqual(r.header("Content-Range"), "items */%d" % total)

    def test_offsets_across_a_store_change(self):
        before = self.stored()
        self.assertGreater(len(before), 1200)  # deep offsets (>= 1000) take the remembered order
        offsets = (999, 1000, 1001, 1039, len(before) // 2, len(before) - 41)
        self.check_offsets(before, offsets=offsets)
        # another process changes the store: the order remembered by serve's connections
        # (and the answers it cached) must not be used any more
        for _ in range(3):
            self.sim.post("/_sim/epoch")
            self.ws.run("sync", "--once", check=0)
            after = self.stored()
            if [i["id"] for i in after] != [i["id"] for i in before]:
                break
        self.assertNotEqual([i["id"] for i in after], [i["id"] for i in before], "the epoch changed no resource")
        self.check_offsets(after, offsets=offsets)

    def test_filters_by_status_and_type(self):
        items = self.stored()
        # most frequent first: the first selects more than 1040, so that its deep pages come
        # from the remembered key order and its shallow ones from SQL
        count = lambda k: collections.Counter(i.get(k) for i in items if isinstance(i.get(k), str))  # noqa: E731
        statuses = [v for v, _ in count("status").most_common()]
        types = [v for v, _ in count("@type").most_common()]
        self.assertGreater(len(statuses), 1)
        self.assertGreater(len(types), 1)
        self.assertGreater(count("status")[statuses[0]], 1040)
        for status in statuses[:3]:
            expected = [i for i in items if i.get("status") == status]
            if len(expected) > 50:
                self.check_offsets(expected, "status=" + urllib.parse.quote(status),
                                   offsets=(999, 1000, len(expected) - 41))
            r = self.page("status=" + urllib.parse.quote(status), 0, 500)
            self.assertEqual(r.header("X-Total-Count"), str(len(expected)))
            self.assertEqual(r.json, expected[:500])
        for t in types:
            expected = [i for i in items if i.get("@type") == t]
            query = "%40type=" + urllib.parse.quote(t)
            if len(expected) > 50:
                self.check_offsets(expected, query)
            r = self.page(query, 0, 500)
            self.assertEqual(r.header("X-Total-Count"), str(len(expected)), t)
            self.assertEqual(r.json, expected[:500], t)
        # both at once, and two values of one
        two = statuses[:2]
        expected = [i for i in items if i.get("status") in two and i.get("@type") == types[0]]
        r = self.page("status=%s&%%40type=%s" % (",".join(map(urllib.parse.quote, two)), urllib.parse.quote(types[0])),
                      0, 500)
        self.assertEqual((r.header("X-Total-Count"), r.json), (str(len(expected)), expected[:500]))

    def test_items_from_the_stored_text_equal_the_parsed_ones(self):
        items = self.stored()
        modems = [i for i in items if i.get("@type") == "Modem" and i.get("status") != "Maintenance"]
        self.assertTrue(modems)
        rid = modems[len(modems) // 2]["id"]
        # PATCH answers through cJSON (parse, overlay, print); GET writes the stored text
        patched = request(self.base + RESOURCE + "/" + rid, method="PATCH",
                          body=json.dumps({"status": "Maintenance"}).encode(),
                          headers={"Content-Type": "application/merge-patch+json"})
        self.assertEqual(patched.status, 200, patched.raw)
        self.assertEqual(patched.json["status"], "Maintenance")
        got = request(self.base + RESOURCE + "/" + rid)
        self.assertEqual(got.status, 200)
        self.assertEqual(got.json, patched.json)
        self.assertEqual(got.header("Content-Type"), JSON_TYPE)
        items = self.stored()
        at = [i["id"] for i in items].index(rid)
        self.assertEqual(items[at]["status"], "Maintenance")
        r = self.page("", at, 1)
        self.assertEqual(r.json, [patched.json])
        # every item: a source href replaced by ours, each member as stored
        for offset in range(0, len(items), 500):
            r = self.page("", offset, 500)
            self.assertEqual(r.json, items[offset:offset + 500])
        self.assertTrue(all(i["href"].startswith(self.base) for i in r.json))
        # by TMF id and by instance UUID, the same item
        for item in items[:3] + items[-3:] + [items[at]]:
            self.assertEqual(request(self.base + RESOURCE + "/" + item["id"]).json, item)

    def test_projection(self):
        items = self.stored()
        names = ("name", "status", "nothing", "href")
        expected = [{k: v for k, v in i.items() if k in names or k == "id"} for i in items]
        self.check_offsets(expected, "fields=" + ",".join(names), offsets=(1000, len(items) - 100))
        r = self.page("fields=none", 1000, 5)
        self.assertEqual(r.json, [{"id": i["id"], "href": i["href"]} for i in items[1000:1005]])
        rid = items[1200]["id"]
        r = request(self.base + RESOURCE + "/" + rid + "?fields=name")
        self.assertEqual(r.json, {"id": rid, "href": items[1200]["href"], "name": items[1200]["name"]})

    def test_unknown_id_is_404(self):
        r = request(self.base + RESOURCE + "/no-such-resource")
        self.assertEqual(r.status, 404)
        r = request(self.base + SERVICE + "/no-such-service")
        self.assertEqual(r.status, 404)


if __name__ == "__main__":
    main()
