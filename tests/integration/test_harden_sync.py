"""Hardening of the sync engine's removal and upsert rules (issue 7, points 2 and 8).

Point 2: a source that lies must not empty the mirror. A complete scan removes the
instances it did not see only with evidence: not when its first page was empty while the
store holds instances of the source, not when it got fewer items than the source's own
X-Total-Count, not when it would remove more than max_remove_fraction (default 0.1) of the
source's active instances. Such a run removes nothing, says why in its run record (`tmfinv
runs`, /api/v1/runs), exits 2, and `sync --once --allow-mass-remove` confirms the removal.

Point 8: once a page of a scan has failed, a later item does not overwrite an instance that
an item with another TMF id wrote (it may not be the first of its key: that one may have
been on the failed page); it is reported as a deferred duplicate and the next complete scan
decides.

Each source here is a StubServer playing a SES gateway (page dialect) that serves exactly
the lie under test."""

import json
import os
import sys
import time
import urllib.request
from urllib.parse import parse_qs, urlparse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tmfinv_testlib import Serve, StubServer, TestCase, main  # noqa: E402

PAGE = 40


def service(n, customer=None, key=None, item_id=None, name=None):
    return {"id": item_id or "svc-%05d" % n, "@type": "Service", "externalId": key or "CFS-%05d" % n,
            "name": name or "service %d" % n, "status": "Operational", "state": "active",
            "relatedParty": [{"id": "org-%d" % n, "name": customer or "customer %d" % n, "role": "Customer"}]}


class Gateway:
    """What the stub serves: `items` in pages of `page_size`; `pages` overrides a page's
    items (1-based), `totals` its X-Total-Count (None: no header; default: the truth),
    `failing` pages answer 500."""

    def __init__(self, items):
        self.items = items
        self.pages = {}
        self.totals = {}
        self.failing = set()
        self.stub = StubServer(self.handle)

    def handle(self, method, path, headers, body):
        q = parse_qs(urlparse(path).query)
        page = int(q.get("page", ["1"])[0])
        size = int(q.get("recordsPerPage", [str(PAGE)])[0])
        if page in self.failing:
            return 500, [("Content-Type", "application/json")], '{"code":"500","reason":"down"}'
        items = self.pages.get(page, self.items[(page - 1) * size:page * size])
        total = self.totals.get(page, len(self.items))
        headers = [("Content-Type", "application/json")]
        if total is not None:
            headers.append(("X-Total-Count", str(total)))
        return 200, headers, json.dumps(items)

    def lie(self, pages=None, totals=None):
        self.pages = pages or {}
        self.totals = totals or {}

    def stop(self):
        self.stub.stop()


class HardenSyncTest(TestCase):
    def setUp(self):
        super().setUp()
        self.gateways = []

    def tearDown(self):
        for g in self.gateways:
            g.stop()
        super().tearDown()

    def gateway(self, items, **source_keys):
        g = Gateway(items)
        self.gateways.append(g)
        keys = {"api": "tmf638", "url": g.stub.base + "/tmf638/service", "paging": "page",
                "page_size": str(PAGE), "retries": "0", "retry_delay_ms": "0", "concurrency": "2",
                "max_failed_pages": "5"}
        keys.update(source_keys)
        self.sources = [("services", keys)]
        self.extra = ""
        self.ws.write_config(self.sources)
        return g

    def config(self, extra):
        self.extra = extra
        self.ws.write_config(self.sources, extra=extra)

    def sync(self, *args, expect):
        p = self.ws.run("sync", "--once", *args)
        for marker in ("Sanitizer", "runtime error:", "Assertion"):
            self.assertNotIn(marker, p.stderr)
        self.assertEqual(p.returncode, expect, "stdout: %s\nstderr: %s" % (p.stdout, p.stderr))
        return p

    def last_source(self):
        run = self.ws.json_lines("runs", "--json")[0]
        return run, run["sources"][0]

    def active(self):
        return self.ws.count("Service")

    def assert_withheld(self, would, active, mentions):
        """The last run removed nothing and its record says why, with the counts."""
        run, src = self.last_source()
        self.assertFalse(run["complete"], run)
        self.assertFalse(src["complete"], src)
        self.assertEqual(src["removed"], 0, src)
        self.assertIn("removal withheld", src["error"] or "", src)
        self.assertIn("%d of %d active instances" % (would, active), src["error"], src)
        self.assertIn(mentions, src["error"], src)
        self.assertIn("--allow-mass-remove", src["error"], src)
        human = self.ws.run("runs", "--limit", "1", check=0).stdout
        self.assertIn("removal withheld", human)
        self.assertEqual(self.active(), active)
        return src

    # ---- point 2: removals need evidence ----------------------------------------------

    def test_harden_sync__empty_first_page_with_a_total_removes_nothing(self):
        g = self.gateway([service(i) for i in range(900)])
        self.sync(expect=0)
        self.assertEqual(self.active(), 900)
        g.lie(pages={1: []}, totals={1: 900})
        p = self.sync(expect=2)
        self.assertIn("removals withheld", p.stdout)
        self.assertIn("removal withheld", p.stderr)
        self.assert_withheld(900, 900, "the first page was empty")
        # The operator looked and confirms: now the mass goes.
        self.sync("--allow-mass-remove", expect=0)
        _, src = self.last_source()
        self.assertEqual(src["removed"], 900, src)
        self.assertTrue(src["complete"], src)
        self.assertEqual(self.active(), 0)
        shown = json.loads(self.ws.run("show", "CFS-00005", "--definition", "Service", "--json", check=0).stdout)
        self.assertEqual(shown["removedReason"], "not seen in a complete sync")

    def test_harden_sync__empty_first_page_without_a_total_removes_nothing(self):
        # Even with a fraction that allows removing everything: an empty first page is no evidence.
        g = self.gateway([service(i) for i in range(100)], max_remove_fraction="1")
        self.sync(expect=0)
        g.lie(pages={1: []}, totals={1: None})
        self.sync(expect=2)
        self.assert_withheld(100, 100, "the first page was empty")

    def test_harden_sync__short_page_contradicted_by_the_total_removes_nothing(self):
        g = self.gateway([service(i) for i in range(900)])
        self.sync(expect=0)
        # Page 2 is short (ends the scan) while the source still says 900.
        g.lie(pages={2: [service(i) for i in range(40, 69)]}, totals={1: 900, 2: 900})
        self.sync(expect=2)
        self.assert_withheld(900 - 69, 900, "announced 900 items (X-Total-Count) while the scan got 69")
        self.sync("--allow-mass-remove", expect=0)
        self.assertEqual(self.active(), 69)

    def test_harden_sync__more_than_max_remove_fraction_is_withheld(self):
        items = [service(i) for i in range(100)]
        g = self.gateway(items)
        self.sync(expect=0)
        # 20 of 100 gone, the totals agree: 20 % is more than the default 10 %.
        g.items = items[:30] + items[50:]
        self.sync(expect=2)
        self.assert_withheld(20, 100, "more than max_remove_fraction = 0.1")
        self.sync("--allow-mass-remove", expect=0)
        _, src = self.last_source()
        self.assertEqual(src["removed"], 20, src)
        self.assertEqual(self.active(), 80)

    def test_harden_sync__a_few_removals_go_ahead(self):
        items = [service(i) for i in range(100)]
        g = self.gateway(items)
        self.sync(expect=0)
        g.items = items[:10] + items[13:]
        p = self.sync(expect=0)
        self.assertIn("complete", p.stdout)
        run, src = self.last_source()
        self.assertTrue(run["complete"], run)
        self.assertEqual((src["removed"], src["error"]), (3, None), src)
        self.assertEqual(self.active(), 97)
        for n in (10, 11, 12):
            shown = json.loads(self.ws.run("show", "CFS-%05d" % n, "--definition", "Service", "--json",
                                           check=0).stdout)
            self.assertTrue(shown["removed"])

    def test_harden_sync__max_remove_fraction_per_source_and_in_sync(self):
        items = [service(i) for i in range(100)]
        g = self.gateway(items, max_remove_fraction="0.25")
        self.sync(expect=0)
        g.items = items[20:]
        self.sync(expect=0)
        self.assertEqual(self.active(), 80)
        # The [sync] default applies to sources without their own, wherever it stands in the file.
        del self.sources[0][1]["max_remove_fraction"]
        self.config("\n[sync]\nmax_remove_fraction = 0.5\n")
        g.items = items[20:70]
        self.sync(expect=0)
        self.assertEqual(self.active(), 50)
        self.config("\n[sync]\nmax_remove_fraction = 0\n")
        g.items = items[20:69]
        self.sync(expect=2)
        self.assert_withheld(1, 50, "more than max_remove_fraction = 0")

    def test_harden_sync__bad_values_and_usage(self):
        self.gateway([service(0)], max_remove_fraction="1.5")
        p = self.ws.run("check")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("max_remove_fraction", p.stderr)
        del self.sources[0][1]["max_remove_fraction"]
        for bad in ("-0.1", "nan", "0.5x"):
            self.config("\n[sync]\nmax_remove_fraction = %s\n" % bad)
            p = self.ws.run("check")
            self.assertEqual(p.returncode, 1, (bad, p.stderr))
            self.assertIn("max_remove_fraction", p.stderr)
        self.config("")
        p = self.ws.run("sync", "--allow-mass-remove")
        self.assertEqual(p.returncode, 64, p.stderr)
        self.assertIn("--once", p.stderr)

    def test_harden_sync__withheld_removal_shows_in_the_api(self):
        g = self.gateway([service(i) for i in range(100)])
        self.sync(expect=0)
        g.lie(pages={1: []}, totals={1: 900})
        self.config("\n[http]\nlisten = 127.0.0.1:0\n[sync]\ninterval = 3600\n")
        server = Serve(self.ws.config)
        try:
            deadline = time.time() + 60
            while True:
                with urllib.request.urlopen(server.base + "/api/v1/runs", timeout=30) as r:
                    runs = json.loads(r.read())["items"]
                if len(runs) >= 2 and runs[0]["ended"]:
                    break
                self.assertLess(time.time(), deadline, runs)
                time.sleep(0.1)
        finally:
            self.assertEqual(server.stop(), 0)
        src = runs[0]["sources"][0]
        self.assertFalse(runs[0]["complete"], runs[0])
        self.assertEqual(src["removed"], 0, src)
        self.assertIn("removal withheld: 100 of 100 active instances", src["error"], src)
        self.assertEqual(self.active(), 100)

    # ---- point 8: an incomplete run does not write the wrong item ---------------------

    def shown(self, key):
        return json.loads(self.ws.run("show", key, "--definition", "Service", "--json", check=0).stdout)

    def history(self, key):
        return self.ws.json_lines("history", key, "--definition", "Service", "--json")

    def test_harden_sync__failed_page_does_not_let_a_later_duplicate_win(self):
        items = [service(i) for i in range(200)]
        # Page 3 holds Alpha's service, page 5 another customer's item with the same externalId.
        items[90] = service(90, customer="Alpha", key="SHARED-1", item_id="svc-alpha")
        items[170] = service(170, customer="Beta", key="SHARED-1", item_id="svc-beta")
        # Page 4 holds an item that changes in the incomplete run: same TMF id, so it applies.
        g = self.gateway(items)
        self.sync(expect=0)
        self.assertEqual(self.shown("SHARED-1")["fields"]["customer"], "Alpha")
        before = self.history("SHARED-1")

        g.items = list(items)
        g.items[130] = service(130, name="renamed 130")
        g.failing = {3}
        p = self.sync(expect=2)
        run, src = self.last_source()
        shown = self.shown("SHARED-1")
        self.assertEqual(shown["fields"]["customer"], "Alpha", "a later item overwrote the instance")
        self.assertEqual(shown["raw"]["id"], "svc-alpha")
        self.assertEqual(self.history("SHARED-1"), before, "the wrong item was recorded in history")
        # The same item changed on a later page is still applied.
        self.assertEqual(self.shown("CFS-00130")["fields"]["name"], "renamed 130")
        # The deferred item is reported, with its TMF id and why.
        reports = self.ws.json_lines("rejected", "--kind", "duplicate", "--json")
        deferred = [r for r in reports if r["run"] == run["id"] and r["itemId"] == "svc-beta"]
        self.assertEqual(len(deferred), 1, reports)
        self.assertEqual(deferred[0]["key"], "SHARED-1")
        self.assertIn("deferred", deferred[0]["reason"])
        self.assertIn("next complete scan", deferred[0]["reason"])
        self.assertIn("1 items not applied", p.stderr)

        # The next complete scan decides: Alpha's item still comes first...
        g.failing = set()
        self.sync(expect=0)
        self.assertEqual(self.shown("SHARED-1")["fields"]["customer"], "Alpha")
        # ...and when Alpha's item has gone, Beta's is the first (and only) one: it is written.
        g.items = items[:90] + items[91:]
        self.sync(expect=0)
        shown = self.shown("SHARED-1")
        self.assertEqual((shown["fields"]["customer"], shown["raw"]["id"]), ("Beta", "svc-beta"))

    def test_harden_sync__failed_page_does_not_let_a_later_excluded_item_remove(self):
        # An item of an excluded type with another TMF id must not remove the instance either.
        items = [service(i) for i in range(200)]
        items[90] = service(90, customer="Alpha", key="SHARED-2", item_id="svc-alpha")
        other = service(170, customer="Beta", key="SHARED-2", item_id="svc-beta")
        other["@type"] = "Gone"
        items[170] = other
        g = self.gateway(items, exclude_types="Gone")
        self.sync(expect=0)
        g.failing = {3}
        self.sync(expect=2)
        shown = self.shown("SHARED-2")
        self.assertFalse(shown["removed"], shown)
        self.assertEqual(shown["fields"]["customer"], "Alpha")


if __name__ == "__main__":
    main()
