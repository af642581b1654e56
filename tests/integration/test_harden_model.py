"""Hardening of the text tmfinv stores (issue 7, point 7, for source items and `tmfinv set`).

Every string tmfinv stores and serves is valid UTF-8 without NUL. A source item with a
string that breaks the rule (raw bytes that are not UTF-8, or an escaped NUL, which cJSON
would decode into the end of a C string: "before\\u0000after" read as "before") is rejected
and reported naming the field that maps it, or its JSON path when no field does (the item
as sent is stored and served too), and the previous version of the instance stays. An
escaped backslash before "u0000" is text, not a NUL, and is kept. `tmfinv set` refuses a
value that is not UTF-8 with one line naming the field, exit 1.

The source is a StubServer playing a SES gateway (page dialect) whose bodies are written
byte by byte, since a JSON encoder would never produce them."""

import json
import os
import sqlite3
import subprocess
import sys
from urllib.parse import parse_qs, urlparse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tmfinv_testlib import BIN, StubServer, TestCase, main  # noqa: E402

PAGE = 40


def service(n, name=None, element_type="modem"):
    return {"id": "svc-%05d" % n, "@type": "Service", "externalId": "CFS-%05d" % n,
            "name": name or "service %d" % n, "status": "Operational", "state": "active",
            "serviceCharacteristic": [{"name": "elementType", "value": element_type}],
            "relatedParty": [{"id": "org-%d" % n, "name": "customer %d" % n, "role": "Customer"}]}


class Gateway:
    """Serves `body` (bytes: a whole page) for page 1 and [] after it."""

    def __init__(self, items):
        self.body = json.dumps(items).encode()
        self.stub = StubServer(self.handle)

    def handle(self, method, path, headers, body):
        page = int(parse_qs(urlparse(path).query).get("page", ["1"])[0])
        return 200, [("Content-Type", "application/json")], self.body if page == 1 else b"[]"

    def stop(self):
        self.stub.stop()


def raw(items, replace):
    """The JSON text of `items` with each placeholder of `replace` put in as raw bytes."""
    text = json.dumps(items, ensure_ascii=False).encode()
    for placeholder, data in replace.items():
        assert placeholder.encode() in text, placeholder
        text = text.replace(placeholder.encode(), data)
    return text


def strings(value):
    """Every string of a decoded JSON value, member names included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


class HardenModelTest(TestCase):
    def setUp(self):
        super().setUp()
        self.items = [service(i) for i in range(10)]
        self.gw = Gateway(self.items)
        self.ws.write_config([("services", {
            "api": "tmf638", "url": self.gw.stub.base + "/tmf638/service", "paging": "page",
            "page_size": str(PAGE), "retries": "0", "retry_delay_ms": "0"})])
        self.sync(0)

    def tearDown(self):
        self.gw.stop()
        super().tearDown()

    def cli(self, *args):
        """Runs tmfinv with byte arguments; output as bytes (it may hold anything)."""
        return subprocess.run([BIN.encode(), b"-c", self.ws.config.encode()] +
                              [a if isinstance(a, bytes) else str(a).encode() for a in args],
                              capture_output=True, timeout=300)

    def sync(self, expect):
        p = self.cli("sync", "--once")
        for marker in (b"Sanitizer", b"runtime error:", b"Assertion"):
            self.assertNotIn(marker, p.stderr)
        self.assertEqual(p.returncode, expect, p)
        return p

    def fields(self, key):
        p = self.cli("show", key, "--json")
        self.assertEqual(p.returncode, 0, p)
        return json.loads(p.stdout)["fields"]

    def rejected(self):
        p = self.cli("rejected", "--json")
        self.assertEqual(p.returncode, 0, p)
        return {r["key"] or r["itemId"]: r for r in map(json.loads, p.stdout.decode().splitlines())}

    def assert_store_text_clean(self):
        """Every text of every table is valid UTF-8 without NUL, nor an escaped one in JSON."""
        con = sqlite3.connect(self.ws.db)
        con.text_factory = bytes
        try:
            for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
                for row in con.execute("SELECT * FROM \"%s\"" % table.decode()).fetchall():
                    for value in row:
                        if isinstance(value, bytes):
                            text = value.decode("utf-8")  # raises on bytes that are not UTF-8
                            self.assertNotIn("\x00", text, (table, row))
                            if text[:1] in ("{", "[", '"'):
                                for s in strings(json.loads(text)):
                                    self.assertNotIn("\x00", s, (table, row))
        finally:
            con.close()

    def test_harden_model__bad_text_in_source_items_is_rejected_naming_the_field(self):
        items = [service(i) for i in range(10)]
        items[1]["name"] = "bad @FF@ name"                         # raw byte, mapped field
        items[2]["name"] = "before@NUL@after"                      # escaped NUL, mapped field
        items[3]["serviceCharacteristic"][0]["value"] = "mo@C3@"   # truncated sequence in a characteristic
        items[4]["serviceCharacteristic"][0]["value"] = "mo@NUL@dem"
        items[5]["x-remark"] = "@ED@@A0@@80@"                      # a surrogate in a member no field maps
        items[6]["@BADNAME@"] = "value"                            # a member name that is not UTF-8
        items[7]["externalId"] = "CFS-00000@NUL@"                  # would read as the key of item 0
        items[8]["name"] = "@LITERAL@"                             # "\\u0000" is text: kept
        items[9]["name"] = "caf\u00e9 \U0001F600"                  # valid UTF-8: stored
        self.gw.body = raw(items, {
            "@FF@": b"\xff", "@NUL@": b"\\u0000", "@C3@": b"\xc3", "@ED@": b"\xed", "@A0@": b"\xa0",
            "@80@": b"\x80", "@BADNAME@": b"x-\xc0\xaf", "@LITERAL@": b"lit \\\\u0000 eral"})
        # The item whose key cannot be read makes the scan incomplete: nothing removed.
        p = self.sync(2)
        self.assertIn(b"could not be identified", p.stderr)

        rejected = self.rejected()
        expect = {"CFS-00001": ("name", "not valid UTF-8"), "CFS-00002": ("name", "NUL"),
                  "CFS-00003": ("serviceCharacteristic", "not valid UTF-8"),
                  "CFS-00004": ("serviceCharacteristic", "NUL"),
                  "CFS-00005": ("x-remark", "not valid UTF-8"), "CFS-00006": ("x-??", "not valid UTF-8")}
        for key, (field, reason) in expect.items():
            self.assertIn(key, rejected, rejected)
            self.assertEqual(rejected[key]["field"], field, rejected[key])
            self.assertIn(reason, rejected[key]["reason"], rejected[key])
        # The key with a NUL is refused as a key: item 0 keeps its own instance.
        by_id = [r for r in rejected.values() if r["itemId"] == "svc-00007"]
        self.assertEqual(len(by_id), 1, rejected)
        self.assertEqual(by_id[0]["field"], "externalId", by_id[0])
        self.assertIn("NUL", by_id[0]["reason"], by_id[0])
        self.assertEqual(self.fields("CFS-00000")["name"], "service 0")
        self.assertEqual(len(rejected), 7, rejected)

        # The previous good versions stay.
        for n in range(1, 8):
            f = self.fields("CFS-%05d" % n)
            self.assertEqual(f["name"], "service %d" % n, f)
            self.assertEqual(f["serviceCharacteristic"], [{"name": "elementType", "value": "modem"}], f)
        self.assertEqual(self.fields("CFS-00008")["name"], "lit \\u0000 eral")
        self.assertEqual(self.fields("CFS-00009")["name"], "caf\u00e9 \U0001F600")
        self.assert_store_text_clean()

    def test_harden_model__a_bad_page_costs_only_its_bad_items(self):
        """Items after a bad one on the same page are applied as usual."""
        items = [service(i, name="renamed %d" % i) for i in range(10)]
        items[0]["name"] = "x@NUL@"
        self.gw.body = raw(items, {"@NUL@": b"\\u0000"})
        self.sync(0)
        self.assertEqual(self.fields("CFS-00000")["name"], "service 0")
        for n in range(1, 10):
            self.assertEqual(self.fields("CFS-%05d" % n)["name"], "renamed %d" % n)
        self.assertEqual(list(self.rejected()), ["CFS-00000"])

    def test_harden_model__set_refuses_text_that_is_not_utf8(self):
        for value in (b"\xff", b"ok\xc3", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf4\x90\x80\x80"):
            p = self.cli("set", "CFS-00000", b"note=" + value)
            self.assertEqual(p.returncode, 1, p)
            self.assertEqual(p.stdout, b"")
            lines = p.stderr.splitlines()
            self.assertEqual(len(lines), 1, p.stderr)
            self.assertIn(b"'note'", lines[0])
            self.assertIn(b"not valid UTF-8", lines[0])
            self.assertNotIn(value, lines[0])
            self.assertNotIn("note", self.fields("CFS-00000"))
        p = self.cli("set", "CFS-00000", "note=caf\u00e9")
        self.assertEqual(p.returncode, 0, p)
        self.assertEqual(self.fields("CFS-00000")["note"], "caf\u00e9")
        self.assert_store_text_clean()


if __name__ == "__main__":
    main()
