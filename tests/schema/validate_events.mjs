// A command-line validator of event bodies against the official TMF v4 event schemas, for the
// Python tests (tests/integration/test_monitoring_e2e.py): `node validate_events.mjs FILE`, FILE
// holding one event body (JSON) a line. Each body is validated against definitions.<eventType>
// of TMF638-ServiceInventory-v4.0.0.swagger.json (Service…Event) or of both TMF639 files
// (Resource…Event), the same rules as test_events_schema.mjs. Two broken copies of the first
// body must fail (proof the validator is active). Prints "N passed, M failed" and one line per
// failure (at most 25); exits 1 on any failure, 2 on bad usage. Environment: TMFINV_SPECS.
// Not a test of its own: the file name does not start with test_, so ctest does not run it.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { SPEC_DIR, validator } from "./lib.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const SPEC638 = "TMF638-ServiceInventory-v4.0.0.swagger.json";
const SPEC639 = ["TMF639-ResourceInventory-v4.0.0.swagger.json",
  "TMF639_Resource_Inventory_Management_API_v4.0.0_swagger.json"];
const TYPE = /^(Service|Resource)(Create|AttributeValueChange|StateChange|Delete)Event$/;

let passed = 0;
let failed = 0;

function fail(message) {
  failed++;
  if (failed <= 25) console.log("FAIL " + message);
}

/* True when body is a valid event of its type in every spec of its API. */
function check(body, label, quiet) {
  const type = body && body.eventType;
  if (typeof type !== "string" || !TYPE.test(type)) {
    if (!quiet) fail(`${label}: eventType ${type}`);
    return false;
  }
  let good = true;
  for (const file of type.startsWith("Service") ? [SPEC638] : SPEC639) {
    const v = validator(file, type);
    if (!v) {
      if (!quiet) fail(`${label}: ${file} has no definition ${type}`);
      good = false;
    } else if (!v(body)) {
      if (!quiet) fail(`${label} ${body.eventId} (${type}) vs ${file}: ${JSON.stringify(v.errors.slice(0, 3))}`);
      good = false;
    }
  }
  const entity = body.event && (body.event.service || body.event.resource);
  if (!entity || typeof entity.id !== "string" || typeof entity.href !== "string") {
    if (!quiet) fail(`${label}: the entity has no id or href`);
    good = false;
  }
  if (type.endsWith("AttributeValueChangeEvent") && !(typeof body.fieldPath === "string" && body.fieldPath.length)) {
    if (!quiet) fail(`${label}: no fieldPath`);
    good = false;
  }
  if (good && !quiet) passed++;
  return good;
}

if (process.argv.length !== 3) {
  console.error("usage: node validate_events.mjs FILE");
  process.exit(2);
}
const lines = readFileSync(process.argv[2], "utf8").split("\n").filter((l) => l.trim());
const bodies = [];
lines.forEach((line, i) => {
  try {
    bodies.push(JSON.parse(line));
  } catch (e) {
    fail(`line ${i + 1}: not JSON: ${line.slice(0, 200)}`);
  }
});
bodies.forEach((b, i) => check(b, `line ${i + 1}`, false));
if (bodies.length) {
  const one = bodies[0];
  const entityKey = one.event && one.event.service ? "service" : "resource";
  if (check({ ...one, eventTime: "soon" }, "negative", true)) fail("negative check: a bad eventTime passed");
  if (check({ ...one, event: { [entityKey]: { ...(one.event || {})[entityKey], href: 42 } } }, "negative", true))
    fail("negative check: a bad entity href passed");
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed || !bodies.length ? 1 : 0);
