// Validates what `tmfinv serve` answers on its TMF API against the official TMF v4 schemas.
//
// Starts tmfinv-sim and `tmfinv -c CONFIG serve` (listen 127.0.0.1:0), waits for a complete
// sync, then validates:
// - every item of GET /tmf-api/serviceInventory/v4/service (followed through the Link next
//   pages) against definitions.Service of TMF638-ServiceInventory-v4.0.0.swagger.json;
// - every item of GET /tmf-api/resourceInventoryManagement/v4/resource against
//   definitions.Resource of the reference TMF639 file
//   (TMF639_Resource_Inventory_Management_API_v4.0.0_swagger.json) and of the other v4 file
//   (TMF639-ResourceInventory-v4.0.0.swagger.json);
// - items retrieved one by one (…/{id}) and the item a PATCH answers, the same way;
// - projected items (fields=a,b and fields=none) against the same, unmodified schemas: the
//   only top-level `required` members (id and href, TMF639) are kept by every projection, and
//   nested objects are kept whole, so no `required` list needs relaxing; each projected item
//   must also be the subset of the full item with the same id (same values);
// - error bodies (400, 404, 405, 415, 416) against definitions.Error of both specs.
// Negative checks prove the validators are active: broken copies of served bodies must fail.
// Swagger 2.0 definitions are draft-04 JSON Schema: ajv-draft-04 with ajv-formats, strict
// mode off (the swagger files carry keywords JSON Schema does not know).
// Environment: TMFINV_BIN, TMFINV_SIM, TMFINV_SPECS (the TMF specs, default data/tmf).
// Prints "N passed, M failed", exits non-zero on any failure.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { BIN, SIM, SPEC_DIR, compile, start, stop } from "./lib.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const SPECS = {
  "638v4": "TMF638-ServiceInventory-v4.0.0.swagger.json",
  "639v4a": "TMF639-ResourceInventory-v4.0.0.swagger.json",
  "639v4b": "TMF639_Resource_Inventory_Management_API_v4.0.0_swagger.json",
};
const SERVICE = "/tmf-api/serviceInventory/v4/service";
const RESOURCE = "/tmf-api/resourceInventoryManagement/v4/resource";
const JSON_TYPE = "application/json;charset=utf-8";

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

async function get(url, init) {
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}

function nextLink(headers) {
  for (const part of (headers.get("link") || "").split(", ")) {
    const m = /^<([^>]*)>; rel="next"$/.exec(part);
    if (m) return m[1];
  }
  return null;
}

/* Every item of a collection query, following next links; checks statuses and headers. */
async function getAll(url) {
  const items = [];
  for (let n = 0; url && n < 1000; n++) {
    const r = await get(url);
    ok(r.status === 200 || r.status === 206, `${url}: HTTP ${r.status}`);
    ok(r.headers.get("content-type") === JSON_TYPE, `${url}: content type ${r.headers.get("content-type")}`);
    ok(Array.isArray(r.body), `${url}: body is not an array`);
    items.push(...r.body);
    url = nextLink(r.headers);
  }
  return items;
}

function check(validate, specName, body, label) {
  if (validate(body)) {
    passed++;
    return;
  }
  fail(`${label} ${body && body.id} vs ${specName}: ${JSON.stringify(validate.errors.slice(0, 3))}`);
}

function expectInvalid(validate, specName, body, label) {
  if (validate(body)) fail(`negative check "${label}" passed ${specName}: validator is not active`);
  else passed++;
}

const clone = (value) => JSON.parse(JSON.stringify(value));

function waitSynced(config) {
  const deadline = Date.now() + 120000;
  while (Date.now() < deadline) {
    const p = spawnSync(BIN, ["-c", config, "runs", "--json"], { encoding: "utf8" });
    if (p.status === 0 && p.stdout.split("\n").some((l) => l.trim() && JSON.parse(l).complete === true)) return;
    spawnSync("sleep", ["0.2"]);
  }
  throw new Error("no complete sync within 120 s");
}

async function main() {
  const v = {
    service: compile(SPECS["638v4"], "Service"),
    resourceA: compile(SPECS["639v4a"], "Resource"),
    resourceB: compile(SPECS["639v4b"], "Resource"),
    error638: compile(SPECS["638v4"], "Error"),
    error639: compile(SPECS["639v4b"], "Error"),
  };
  const checkService = (item, label) => check(v.service, "TMF638 v4", item, label);
  const checkResource = (item, label) => {
    check(v.resourceB, "TMF639 v4 (reference file)", item, label);
    check(v.resourceA, "TMF639 v4 (ResourceInventory file)", item, label);
  };
  const checkError = (r, status, label) => {
    ok(r.status === status, `${label}: HTTP ${r.status}, expected ${status}`);
    ok(r.headers.get("content-type") === JSON_TYPE, `${label}: content type ${r.headers.get("content-type")}`);
    check(v.error638, "TMF638 v4 Error", r.body, label);
    check(v.error639, "TMF639 v4 Error", r.body, label);
    ok(r.body && r.body.status === String(status), `${label}: Error.status ${r.body && r.body.status}`);
  };

  const dir = mkdtempSync(path.join(os.tmpdir(), "tmfinv-schema-"));
  const sim = await start(SIM, ["--listen", "127.0.0.1:0", "--seed", "20260101", "--services", "300", "--carriers",
    "150", "--resources", "400"], /^listening on (127\.0\.0\.1:\d+)$/);
  const simBase = "http://" + sim.match[1];
  const config = path.join(dir, "tmfinv.ini");
  writeFileSync(config, [
    "[store]", `path = ${path.join(dir, "tmfinv.db")}`, "",
    "[source services]", "api = tmf638", `url = ${simBase}/tmf638/service`, "paging = page", "",
    "[source resources]", "api = tmf639", `url = ${simBase}/tmf639/resource`, "paging = page", "",
    "[http]", "listen = 127.0.0.1:0", "",
  ].join("\n"));
  let server = null;
  try {
    server = await start(BIN, ["-c", config, "serve"], /^listening on (http:\/\/127\.0\.0\.1:\d+)$/);
    const base = server.match[1];
    waitSynced(config);

    // Full collections, through the next links.
    const services = await getAll(base + SERVICE + "?limit=100");
    const resources = await getAll(base + RESOURCE + "?limit=100");
    ok(services.length >= 300, `too few services: ${services.length}`);
    ok(resources.length >= 250, `too few resources: ${resources.length}`);
    services.forEach((item) => checkService(item, "service list item"));
    resources.forEach((item) => checkResource(item, "resource list item"));
    const removed = await getAll(base + SERVICE + "?limit=200&removed=true");
    ok(removed.length > services.length, "removed=true shows no more items");
    removed.forEach((item) => checkService(item, "service list item (removed=true)"));

    // One by one.
    for (const item of services.slice(0, 25)) {
      const r = await get(base + SERVICE + "/" + encodeURIComponent(item.id));
      ok(r.status === 200, `GET service ${item.id}: HTTP ${r.status}`);
      checkService(r.body, "service item");
    }
    for (const item of resources.slice(0, 25)) {
      const r = await get(base + RESOURCE + "/" + encodeURIComponent(item.id));
      ok(r.status === 200, `GET resource ${item.id}: HTTP ${r.status}`);
      checkResource(r.body, "resource item");
    }

    // Projections: valid under the same schemas, and subsets of the full items.
    const fullById = new Map([...services, ...resources].map((i) => [i.id, i]));
    const projections = [
      [SERVICE, "fields=name,state,serviceSpecification,relatedParty", checkService],
      [SERVICE, "fields=none", checkService],
      [RESOURCE, "fields=name,resourceStatus,place,resourceRelationship", checkResource],
      [RESOURCE, "fields=none", checkResource],
    ];
    for (const [coll, query, checker] of projections) {
      const items = await getAll(`${base}${coll}?limit=200&${query}`);
      ok(items.length > 0, `${query}: no items`);
      const allowed = query === "fields=none" ? [] : query.slice(7).split(",");
      for (const item of items) {
        checker(item, `${coll} ${query} item`);
        const full = fullById.get(item.id);
        const extra = Object.keys(item).filter((k) => !["id", "href", ...allowed].includes(k));
        ok(extra.length === 0, `${query}: unexpected members ${extra}`);
        ok(full && Object.keys(item).every((k) => JSON.stringify(item[k]) === JSON.stringify(full[k])),
          `${query}: item ${item.id} is not a subset of the full item`);
      }
      const one = await get(`${base}${coll}/${encodeURIComponent(items[0].id)}?${query}`);
      checker(one.body, `${coll}/{id} ${query}`);
    }

    // PATCH answers the item: a modem's preserved status.
    const modem = resources.find((r) => r["@type"] === "Modem");
    const patched = await get(base + RESOURCE + "/" + encodeURIComponent(modem.id), {
      method: "PATCH",
      headers: { "Content-Type": "application/merge-patch+json" },
      body: JSON.stringify({ status: "Maintenance" }),
    });
    ok(patched.status === 200 && patched.body.status === "Maintenance", `PATCH modem: HTTP ${patched.status}`);
    checkResource(patched.body, "PATCH resource answer");
    const service = services.find((s) => s["@type"] === "Service");
    const noted = await get(base + SERVICE + "/" + encodeURIComponent(service.id), {
      method: "PATCH",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ note: "schema test" }),
    });
    ok(noted.status === 200, `PATCH service: HTTP ${noted.status}`);
    checkService(noted.body, "PATCH service answer");

    // Errors.
    checkError(await get(base + SERVICE + "/no-such-id"), 404, "404 service");
    checkError(await get(base + RESOURCE + "/no-such-id"), 404, "404 resource");
    checkError(await get(base + SERVICE + "?limit=abc"), 400, "400 limit");
    checkError(await get(base + RESOURCE + "?state.ne=x"), 400, "400 operator");
    checkError(await get(base + RESOURCE + "?offset=100000"), 416, "416");
    checkError(await get(base + SERVICE + "/x", { method: "PUT" }), 405, "405");
    checkError(await get(base + SERVICE + "/x", { method: "DELETE" }), 404, "404 delete");
    checkError(await get(base + SERVICE + "/" + encodeURIComponent(service.id), {
      method: "PATCH", headers: { "Content-Type": "text/plain" }, body: "{}",
    }), 415, "415");
    checkError(await get(base + SERVICE + "/" + encodeURIComponent(service.id), {
      method: "PATCH", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name: "x" }),
    }), 400, "400 source field");

    // Negative checks: broken copies of served bodies must fail.
    const carrier = services.find((s) => s["@type"] === "element");
    const serviceBreaks = {
      "state not in the enum": (s) => (s.state = "running"),
      "relatedParty without @referredType": (s) => delete s.relatedParty[0]["@referredType"],
      "serviceSpecification without id": (s) => delete s.serviceSpecification.id,
      "href not a string": (s) => (s.href = 5),
      "startDate not a date-time": (s) => (s.startDate = "2026-01-01 10:00"),
    };
    for (const [label, breakIt] of Object.entries(serviceBreaks)) {
      for (const original of [service, carrier]) {
        const broken = clone(original);
        breakIt(broken);
        expectInvalid(v.service, "TMF638 v4", broken, label);
      }
    }
    const resourceBreaks = {
      "operationalState not in the enum": (r) => (r.operationalState = "enabled"),
      "no href": (r) => delete r.href,
      "no id": (r) => delete r.id,
      "place without role": (r) => delete r.place.role,
    };
    const withPlace = resources.find((r) => r.place && r.place.role);
    for (const [label, breakIt] of Object.entries(resourceBreaks)) {
      const broken = clone(withPlace);
      breakIt(broken);
      expectInvalid(v.resourceA, "639v4a", broken, label);
      expectInvalid(v.resourceB, "639v4b", broken, label);
    }
    const projected = { id: "x" }; // a projection that lost href would fail TMF639
    expectInvalid(v.resourceB, "639v4b", projected, "projection without href");
    const error = (await get(base + SERVICE + "/no-such-id")).body;
    const noReason = clone(error);
    delete noReason.reason;
    expectInvalid(v.error638, "TMF638 v4 Error", noReason, "Error without reason");
    const numericCode = clone(error);
    numericCode.code = 60;
    expectInvalid(v.error639, "TMF639 v4 Error", numericCode, "Error with a numeric code");

    console.log(`validated ${services.length} services/carriers and ${resources.length} resources`);
  } finally {
    if (server) {
      const code = await stop(server.child);
      ok(code === 0, `tmfinv serve exited ${code} after SIGTERM`);
    }
    await stop(sim.child);
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((error) => {
  console.error("ERROR " + (error && error.stack ? error.stack : error));
  console.log(`${passed} passed, ${failed + 1} failed`);
  process.exit(1);
});
