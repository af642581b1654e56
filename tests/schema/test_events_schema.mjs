// Validates every event body tmfinv POSTs against the official TMF v4 event schemas.
//
// Starts tmfinv-sim and `tmfinv -c CONFIG serve` with a [webhook] pointing at a receiver
// started here, and subscribes two more receivers to tmfinv's TMF hubs (TMF638 and TMF639).
// The first sync creates every instance (Create events); three epoch advances with a sync
// each bring StateChange, AttributeValueChange and Delete events; `tmfinv set` one more
// AttributeValueChange. Every body received is validated against definitions.<eventType> of
// TMF638-ServiceInventory-v4.0.0.swagger.json (Service…Event) or of both TMF639 files
// (Resource…Event); each kind of event must have been seen. Negative checks prove the
// validators are active. Environment: TMFINV_BIN, TMFINV_SIM, TMFINV_SPECS.
// Prints "N passed, M failed", exits non-zero on any failure.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { BIN, SIM, SPEC_DIR, start, stop, validator } from "./lib.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const SPEC638 = "TMF638-ServiceInventory-v4.0.0.swagger.json";
const SPEC639 = ["TMF639-ResourceInventory-v4.0.0.swagger.json",
  "TMF639_Resource_Inventory_Management_API_v4.0.0_swagger.json"];

let passed = 0;
let failed = 0;

function fail(message) {
  failed++;
  if (failed <= 25) console.error("FAIL " + message);
}

function ok(condition, message) {
  if (condition) passed++;
  else fail(message);
}

/* The specs an event type belongs to. */
function specsOf(type) {
  return type.startsWith("Service") ? [SPEC638] : SPEC639;
}

function validate(body, label) {
  const type = body && body.eventType;
  ok(typeof type === "string" && /^(Service|Resource)(Create|AttributeValueChange|StateChange|Delete)Event$/.test(type),
    `${label}: eventType ${type}`);
  for (const file of specsOf(type || "")) {
    const v = validator(file, type);
    if (!v) {
      fail(`${label}: ${file} has no definition ${type}`);
      continue;
    }
    if (v(body)) passed++;
    else fail(`${label} ${body.eventId} (${type}) vs ${file}: ${JSON.stringify(v.errors.slice(0, 3))}`);
  }
  const entity = body.event && (body.event.service || body.event.resource);
  ok(entity && typeof entity.id === "string" && typeof entity.href === "string", `${label}: the entity has id and href`);
  if (type && type.endsWith("AttributeValueChangeEvent"))
    ok(typeof body.fieldPath === "string" && body.fieldPath.length > 0, `${label}: fieldPath`);
}

/* A receiver on 127.0.0.1:0 collecting every body POSTed to it. */
function receiver() {
  const bodies = [];
  const server = http.createServer((req, res) => {
    let data = "";
    req.on("data", (c) => (data += c));
    req.on("end", () => {
      try {
        bodies.push({ path: req.url, body: JSON.parse(data) });
      } catch (e) {
        fail("a body that is not JSON: " + data.slice(0, 200));
      }
      res.writeHead(200);
      res.end();
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () =>
    resolve({ server, bodies, base: "http://127.0.0.1:" + server.address().port })));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function json(url, init) {
  const r = await fetch(url, init);
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

async function runs(base) {
  return (await json(base + "/api/v1/runs")).body.items;
}

async function syncNow(base) {
  const n = (await runs(base)).length;
  for (let i = 0; i < 100 && (await json(base + "/api/v1/sync", { method: "POST" })).status !== 202; i++)
    await sleep(100);
  for (let i = 0; i < 1200; i++) {
    const items = await runs(base);
    if (items.length > n && items.every((r) => r.ended)) return;
    await sleep(100);
  }
  throw new Error("the sync did not end");
}

async function drained(base) {
  for (let i = 0; i < 1200; i++) {
    const r = (await json(base + "/api/v1/events")).body;
    if (r.receivers.length && r.receivers.every((x) => x.pending === 0)) return;
    await sleep(100);
  }
  throw new Error("events not delivered");
}

async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tmfinv-events-schema-"));
  const hook = await receiver();
  const hub638 = await receiver();
  const hub639 = await receiver();
  const sim = await start(SIM, ["--listen", "127.0.0.1:0", "--seed", "20260101", "--services", "200", "--carriers",
    "100", "--resources", "300"], /^listening on (127\.0\.0\.1:\d+)$/);
  const simBase = "http://" + sim.match[1];
  const config = path.join(dir, "tmfinv.ini");
  writeFileSync(config, [
    "[store]", `path = ${path.join(dir, "tmfinv.db")}`, "",
    "[source services]", "api = tmf638", `url = ${simBase}/tmf638/service`, "paging = page", "",
    "[source resources]", "api = tmf639", `url = ${simBase}/tmf639/resource`, "paging = page", "",
    "[http]", "listen = 127.0.0.1:0", "", "[sync]", "interval = 3600", "",
    "[webhook schema]", `url = ${hook.base}/hook`, "",
  ].join("\n"));
  let server = null;
  try {
    server = await start(BIN, ["-c", config, "serve"], /^listening on (http:\/\/127\.0\.0\.1:\d+)$/);
    const base = server.match[1];
    for (const [api, r] of [["serviceInventory", hub638], ["resourceInventoryManagement", hub639]]) {
      const s = await json(`${base}/tmf-api/${api}/v4/hub`, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ callback: r.base }),
      });
      ok(s.status === 201, `hub ${api}: HTTP ${s.status}`);
      const sub = validator(api === "serviceInventory" ? SPEC638 : SPEC639[1], "EventSubscription");
      ok(sub(s.body), `hub ${api}: the answer is an EventSubscription: ${JSON.stringify(sub.errors)}`);
    }
    for (let i = 0; i < 3; i++) {
      await json(simBase + "/_sim/epoch", { method: "POST" });
      await syncNow(base);
    }
    const resource = spawnSync(BIN, ["-c", config, "query", "Resource", "--json", "--limit", "1"], { encoding: "utf8" });
    const id = JSON.parse(resource.stdout.split("\n")[0]).id;
    ok(spawnSync(BIN, ["-c", config, "set", id, "note=schema"], { encoding: "utf8" }).status === 0, "set");
    await drained(base);

    const all = [...hook.bodies, ...hub638.bodies, ...hub639.bodies];
    const kinds = new Set(all.map((b) => b.body.eventType));
    for (const k of ["Create", "AttributeValueChange", "StateChange", "Delete"])
      for (const e of ["Service", "Resource"])
        ok(kinds.has(e + k + "Event"), `no ${e}${k}Event was received (got ${[...kinds].join(", ")})`);
    ok(hub638.bodies.every((b) => b.body.eventType.startsWith("Service")), "the TMF638 hub got only Service events");
    ok(hub639.bodies.every((b) => b.body.eventType.startsWith("Resource")), "the TMF639 hub got only Resource events");
    hook.bodies.forEach((b, i) => validate(b.body, `webhook event ${i}`));
    hub638.bodies.forEach((b, i) => validate(b.body, `hub 638 event ${i}`));
    hub639.bodies.forEach((b, i) => validate(b.body, `hub 639 event ${i}`));

    // Negative checks: broken copies must fail.
    const one = hook.bodies.find((b) => b.body.eventType === "ServiceStateChangeEvent").body;
    const v = validator(SPEC638, "ServiceStateChangeEvent");
    ok(!v({ ...one, eventTime: "soon" }), "negative check: a bad eventTime passed");
    ok(!v({ ...one, event: { service: { ...one.event.service, startDate: "yesterday" } } }),
      "negative check: a bad entity date passed");
  } finally {
    if (server) await stop(server.child);
    await stop(sim.child);
    for (const r of [hook, hub638, hub639]) r.server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
