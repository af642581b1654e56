// Validates every item tmfinv-sim serves against the official TMF v4 schemas.
//
// Services and carriers (TMF638 collection) against definitions.Service of
// TMF638-ServiceInventory-v4.0.0.swagger.json; resources against definitions.Resource of BOTH
// TMF639 v4 files (TMF639-ResourceInventory-v4.0.0.swagger.json and
// TMF639_Resource_Inventory_Management_API_v4.0.0_swagger.json), at epochs 0 and 1, fetched
// through both paging dialects. Swagger 2.0 definitions are draft-04 JSON Schema, so the
// validator is ajv-draft-04 with ajv-formats (date-time, uri); strict mode is off because the
// swagger files carry keywords JSON Schema does not know (discriminator...).
// Negative checks prove the validator is active: broken copies of items must fail.
// Environment: TMFINV_SIM (the simulator binary), TMFINV_SPECS (the TMF specs, default data/tmf).
// Prints "N passed, M failed" and exits non-zero on any failure.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Ajv from "ajv-draft-04";
import addFormats from "ajv-formats";

const here = path.dirname(fileURLToPath(import.meta.url));
const SIM = process.env.TMFINV_SIM || path.join(here, "../../build/tmfinv-sim");
const SPEC_DIR = process.env.TMFINV_SPECS || path.join(here, "../../data/tmf");
const SPECS = {
  "638v4": "TMF638-ServiceInventory-v4.0.0.swagger.json",
  "639v4a": "TMF639-ResourceInventory-v4.0.0.swagger.json",
  "639v4b": "TMF639_Resource_Inventory_Management_API_v4.0.0_swagger.json",
};
const SIZES = ["--seed", "20260101", "--services", "300", "--carriers", "150", "--resources", "400"];

let passed = 0;
let failed = 0;

function fail(message) {
  failed++;
  if (failed <= 25) console.error("FAIL " + message);
}

function compile(file, definition) {
  const spec = JSON.parse(readFileSync(path.join(SPEC_DIR, file), "utf8"));
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  ajv.addFormat("base64", /^[A-Za-z0-9+/]*={0,2}$/); // used by Attachment.content; ajv-formats lacks it
  return ajv.compile({ $ref: "#/definitions/" + definition, definitions: spec.definitions });
}

function startSim(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(SIM, ["--listen", "127.0.0.1:0", ...args], { stdio: ["ignore", "pipe", "inherit"] });
    let text = "";
    const timer = setTimeout(() => reject(new Error("simulator did not start")), 60000);
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error("simulator exited with " + code)));
    child.stdout.on("data", (chunk) => {
      text += chunk;
      const newline = text.indexOf("\n");
      if (newline < 0) return;
      clearTimeout(timer);
      const match = /^listening on 127\.0\.0\.1:(\d+)$/.exec(text.slice(0, newline));
      if (!match) reject(new Error("unexpected first line: " + text.slice(0, newline)));
      else resolve({ child, base: "http://127.0.0.1:" + match[1] });
    });
  });
}

async function getJson(url, init) {
  const response = await fetch(url, init);
  if (response.status !== 200) throw new Error(url + ": HTTP " + response.status);
  return response.json();
}

async function fetchAll(base, collPath, pageParams) {
  const items = [];
  for (let page = 1; ; page++) {
    const batch = await getJson(base + collPath + pageParams(page));
    items.push(...batch);
    if (batch.length < 100) return items;
  }
}

async function fetchInventory(base) {
  const ses = (p) => `?page=${p}&recordsPerPage=100`;
  const tmf = (p) => `?offset=${(p - 1) * 100}&limit=100`;
  const services = await fetchAll(base, "/tmf638/service", ses);
  const resources = await fetchAll(base, "/tmf639/resource", ses);
  const servicesTmf = await fetchAll(base, "/tmf-api/serviceInventory/v4/service", tmf);
  const resourcesTmf = await fetchAll(base, "/tmf-api/resourceInventoryManagement/v4/resource", tmf);
  if (JSON.stringify(services) !== JSON.stringify(servicesTmf)) fail("dialects differ (services)");
  if (JSON.stringify(resources) !== JSON.stringify(resourcesTmf)) fail("dialects differ (resources)");
  return { services, resources };
}

function check(validate, specName, item, label) {
  if (validate(item)) {
    passed++;
    return;
  }
  fail(`${label} ${item.id} vs ${specName}: ${JSON.stringify(validate.errors.slice(0, 3))}`);
}

function expectInvalid(validate, specName, item, label) {
  if (validate(item)) fail(`negative check "${label}" passed ${specName}: validator is not active`);
  else passed++;
}

const clone = (value) => JSON.parse(JSON.stringify(value));

async function main() {
  const validators = {
    "638v4": compile(SPECS["638v4"], "Service"),
    "639v4a": compile(SPECS["639v4a"], "Resource"),
    "639v4b": compile(SPECS["639v4b"], "Resource"),
  };
  const { child, base } = await startSim(SIZES);
  let inventories;
  try {
    const epoch0 = await fetchInventory(base);
    const posted = await getJson(base + "/_sim/epoch", { method: "POST" });
    if (posted.epoch !== 1) fail("POST /_sim/epoch answered " + JSON.stringify(posted));
    const epoch1 = await fetchInventory(base);
    inventories = [epoch0, epoch1];
  } finally {
    child.removeAllListeners("exit");
    child.kill("SIGTERM");
  }

  let services = 0;
  let resources = 0;
  inventories.forEach((inventory, epoch) => {
    if (inventory.services.length < 400 || inventory.resources.length < 350)
      fail(`epoch ${epoch}: too few items (${inventory.services.length}, ${inventory.resources.length})`);
    for (const item of inventory.services) {
      check(validators["638v4"], "TMF638 v4", item, `epoch ${epoch} service`);
      services++;
    }
    for (const item of inventory.resources) {
      check(validators["639v4a"], "TMF639 v4 (ResourceInventory)", item, `epoch ${epoch} resource`);
      check(validators["639v4b"], "TMF639 v4 (Resource_Inventory_Management_API)", item,
        `epoch ${epoch} resource`);
      resources++;
    }
  });

  // Negative checks: each broken copy must fail the named validators.
  const [{ services: svcItems, resources: resItems }] = inventories;
  const service = svcItems.find((s) => s["@type"] === "Service");
  const carrier = svcItems.find((s) => s["@type"] === "element");
  const resource = resItems.find((r) => r.resourceRelationship && r.resourceRelationship.length);
  const serviceBreaks = {
    "relatedParty without @referredType": (s) => delete s.relatedParty[0]["@referredType"],
    "relatedParty without id": (s) => delete s.relatedParty[0].id,
    "state not in the enum": (s) => (s.state = "running"),
    "place without role": (s) => delete s.place[0].role,
    "serviceSpecification without id": (s) => delete s.serviceSpecification.id,
    "characteristic without value": (s) => delete s.serviceCharacteristic[0].value,
    "startDate not a date-time": (s) => (s.startDate = "2026-01-01 10:00"),
    "supportingResource without id": (s) => delete s.supportingResource[0].id,
    "serviceRelationship without service": (s) => delete s.serviceRelationship[0].service,
  };
  for (const [label, breakIt] of Object.entries(serviceBreaks)) {
    for (const original of [service, carrier]) {
      const broken = clone(original);
      breakIt(broken);
      expectInvalid(validators["638v4"], "TMF638 v4", broken, label);
    }
  }
  const resourceBreaks = {
    "operationalState not in the enum": [(r) => (r.operationalState = "enabled"), ["639v4a", "639v4b"]],
    "resourceStatus not in the enum": [(r) => (r.resourceStatus = "Operational"), ["639v4a", "639v4b"]],
    "no id": [(r) => delete r.id, ["639v4a", "639v4b"]],
    "place without role": [(r) => delete r.place.role, ["639v4a", "639v4b"]],
    "resourceSpecification without id": [(r) => delete r.resourceSpecification.id, ["639v4a", "639v4b"]],
    "resourceSpecification without href": [(r) => delete r.resourceSpecification.href, ["639v4a"]],
    "place without href": [(r) => delete r.place.href, ["639v4a"]],
    "relatedParty without @referredType": [(r) => delete r.relatedParty[0]["@referredType"], ["639v4a", "639v4b"]],
    "resourceRelationship without resource": [(r) => delete r.resourceRelationship[0].resource, ["639v4b"]],
    "resourceRelationship resource without href": [(r) => delete r.resourceRelationship[0].resource.href, ["639v4b"]],
    "lastOperatingDate format": [(r) => (r.startOperatingDate = "yesterday"), ["639v4a", "639v4b"]],
  };
  for (const [label, [breakIt, specs]] of Object.entries(resourceBreaks)) {
    const broken = clone(resource);
    breakIt(broken);
    for (const spec of specs) expectInvalid(validators[spec], spec, broken, label);
  }

  console.log(`validated ${services} service/carrier items and ${resources} resources (x2 TMF639 files)`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((error) => {
  console.error("ERROR " + (error && error.stack ? error.stack : error));
  console.log(`${passed} passed, ${failed + 1} failed`);
  process.exit(1);
});
