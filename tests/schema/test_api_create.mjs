// POST of local entities (docs/api-tmf.md, "POST"), checked with bodies built from the official
// TMF v4 specifications' create rules, not from tmfinv's code.
//
// Starts tmfinv-sim and `tmfinv -c CONFIG serve` (listen 127.0.0.1:0, profile ses), waits for a
// complete sync, then for Service_Create (TMF638) and Resource_Create (TMF639):
// - builds a valid body from the definition: every `required` member with a value generated
//   from its schema (`$ref`, `allOf`, `type`, `enum`, `format`, nested `required`), plus every
//   top-level member of a plain type (string, boolean, date-time), plus what the SES profile
//   needs to take it (a key, a kept status, a type it does not exclude);
// - POSTs it: 201, `Location` equal to the answer's `href`, the answer validated against the
//   spec's `Service` / `Resource` (both TMF639 files) with ajv, the posted members as sent;
//   GET of the Location answers the same entity;
// - for each required member, the body without it, then with a value of the wrong JSON type
//   (or outside its enum): 400 naming the member, answered as a valid TMF Error;
// - for each top-level member of a plain type, a value of the wrong type: 400 naming it;
// - `id` and `href` in the body: 400.
// Negative checks prove ajv is active (a broken copy of an answer must fail).
// Environment: TMFINV_BIN, TMFINV_SIM, TMFINV_SPECS (the TMF specs, default data/tmf).
// Prints "N passed, M failed", exits non-zero on any failure.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { BIN, SIM, SPEC_DIR, compile, spec, start, stop } from "./lib.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const SPECS = {
  "638v4": "TMF638-ServiceInventory-v4.0.0.swagger.json",
  "639v4a": "TMF639-ResourceInventory-v4.0.0.swagger.json",
  "639v4b": "TMF639_Resource_Inventory_Management_API_v4.0.0_swagger.json",
};
const SERVICE = "/tmf-api/serviceInventory/v4/service";
const RESOURCE = "/tmf-api/resourceInventoryManagement/v4/resource";

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

const specs = {};
function check(validate, name, body, label) {
  if (validate(body)) passed++;
  else fail(`${label} vs ${name}: ${JSON.stringify(validate.errors.slice(0, 3))}`);
}

function expectInvalid(validate, name, body, label) {
  if (validate(body)) fail(`negative check "${label}" passed ${name}: validator is not active`);
  else passed++;
}

const clone = (value) => JSON.parse(JSON.stringify(value));

/* The schema a `$ref` names, and `allOf` flattened into one { required, properties }. */
function resolve(definitions, schema) {
  if (schema.$ref) return resolve(definitions, definitions[schema.$ref.replace("#/definitions/", "")]);
  if (!schema.allOf) return schema;
  const out = { type: "object", required: [...(schema.required || [])], properties: { ...(schema.properties || {}) } };
  for (const part of schema.allOf) {
    const r = resolve(definitions, part);
    out.required.push(...(r.required || []));
    Object.assign(out.properties, r.properties || {});
  }
  return out;
}

/* A value that satisfies `schema`: required members only, arrays with minItems elements. */
function generate(definitions, schema, depth = 0) {
  const s = resolve(definitions, schema);
  if (depth > 8) throw new Error("schema too deep to generate");
  if (s.enum) return s.enum[0];
  if (s.format === "date-time") return "2026-03-04T05:06:07Z";
  if (s.format === "uri") return "https://example.com/schemas/Generated.json";
  switch (s.type) {
    case "integer": return 1;
    case "number": return 1.5;
    case "boolean": return true;
    case "array": return Array.from({ length: s.minItems || 0 }, () => generate(definitions, s.items, depth + 1));
    case "string": return "generated";
    default: {
      const out = {};
      for (const name of s.required || []) out[name] = generate(definitions, s.properties[name], depth + 1);
      return out;
    }
  }
}

/* A value of the wrong JSON type for `schema` (or outside its enum). */
function wrong(definitions, schema) {
  const s = resolve(definitions, schema);
  if (s.enum) return "not-one-of-the-values";
  if (s.format === "date-time" || s.format === "uri") return "not such a string";
  if (s.type === "string") return 7;
  return "a string";
}

/* The top-level members of a create definition whose schema is a plain type. */
function plainMembers(create) {
  return Object.entries(create.properties).filter(([, s]) => !s.$ref && ["string", "boolean"].includes(s.type))
    .map(([name]) => name);
}

async function request(url, method, body) {
  const init = { method: method || "GET" };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { "Content-Type": "application/json" };
  }
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}

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
  const error = compile(SPECS["638v4"], "Error");
  const kinds = [
    {
      name: "service", path: SERVICE, file: SPECS["638v4"], create: "Service_Create",
      entity: [["TMF638 v4 Service", compile(SPECS["638v4"], "Service")]],
      // What the SES profile needs beyond the spec: the key, a kept status, a Service type.
      profile: (n) => ({ externalId: "create-" + n, status: "Operational", "@type": "Service" }),
    },
    {
      name: "resource", path: RESOURCE, file: SPECS["639v4a"], create: "Resource_Create",
      entity: [["TMF639 v4 Resource (ResourceInventory file)", compile(SPECS["639v4a"], "Resource")],
        ["TMF639 v4 Resource (reference file)", compile(SPECS["639v4b"], "Resource")]],
      profile: () => ({ status: "Operational", "@type": "Satellite" }),
    },
  ];
  const dir = mkdtempSync(path.join(os.tmpdir(), "tmfinv-create-"));
  const sim = await start(SIM, ["--listen", "127.0.0.1:0", "--seed", "20260101", "--services", "20", "--carriers",
    "10", "--resources", "30"], /^listening on (127\.0\.0\.1:\d+)$/);
  const config = path.join(dir, "tmfinv.ini");
  writeFileSync(config, [
    "[store]", `path = ${path.join(dir, "tmfinv.db")}`, "",
    "[source services]", "api = tmf638", `url = http://${sim.match[1]}/tmf638/service`, "paging = page", "",
    "[source resources]", "api = tmf639", `url = http://${sim.match[1]}/tmf639/resource`, "paging = page", "",
    "[sync]", "interval = 3600", "",
    "[http]", "listen = 127.0.0.1:0", "",
  ].join("\n"));
  let server = null;
  let n = 0;
  try {
    server = await start(BIN, ["-c", config, "serve"], /^listening on (http:\/\/127\.0\.0\.1:\d+)$/);
    const base = server.match[1];
    waitSynced(config);
    for (const k of kinds) {
      const definitions = spec(k.file).definitions;
      const create = resolve(definitions, definitions[k.create]);
      ok((create.required || []).length > 0, `${k.create} has required members`);
      const valid = () => {
        const body = generate(definitions, definitions[k.create]);
        for (const name of plainMembers(create)) {
          if (!(name in body)) body[name] = generate(definitions, create.properties[name]);
        }
        return Object.assign(body, k.profile(n++));
      };

      // A valid body: 201, Location, the entity as the spec's entity schema says.
      const body = valid();
      const r = await request(base + k.path, "POST", body);
      ok(r.status === 201, `${k.name} valid POST: HTTP ${r.status} ${JSON.stringify(r.body)}`);
      if (r.status === 201) {
        for (const [name, validate] of k.entity) check(validate, name, r.body, `${k.name} POST answer`);
        ok(r.headers.get("location") === r.body.href, `${k.name} Location ${r.headers.get("location")}`);
        ok(r.body.href === base + k.path + "/" + r.body.id, `${k.name} href ${r.body.href}`);
        for (const [name, value] of Object.entries(body)) {
          ok(JSON.stringify(r.body[name]) === JSON.stringify(value), `${k.name} answer member ${name}`);
        }
        const got = await request(r.headers.get("location"));
        ok(got.status === 200 && JSON.stringify(got.body) === JSON.stringify(r.body), `${k.name} GET Location`);
        const broken = clone(r.body);
        broken.href = 5;
        for (const [name, validate] of k.entity) expectInvalid(validate, name, broken, "href as a number");
      }

      // Each required member missing, then of the wrong type: 400 naming it.
      const bad = [];
      for (const name of create.required || []) {
        const without = valid();
        delete without[name];
        bad.push([`without ${name}`, without, name]);
        const mistyped = valid();
        mistyped[name] = wrong(definitions, create.properties[name]);
        bad.push([`${name} of the wrong type`, mistyped, name]);
      }
      for (const name of plainMembers(create)) {
        const mistyped = valid();
        mistyped[name] = 7;
        bad.push([`${name} of the wrong type`, mistyped, name]);
        if (create.properties[name].format) {
          const misformatted = valid();
          misformatted[name] = wrong(definitions, create.properties[name]);
          bad.push([`${name} not a ${create.properties[name].format}`, misformatted, name]);
        }
      }
      for (const name of ["id", "href"]) bad.push([`with ${name}`, Object.assign(valid(), { [name]: "mine" }), name]);
      for (const [label, b, name] of bad) {
        const e = await request(base + k.path, "POST", b);
        ok(e.status === 400, `${k.name} ${label}: HTTP ${e.status}`);
        check(error, "TMF638 v4 Error", e.body, `${k.name} ${label} error`);
        ok(e.body && typeof e.body.message === "string" && e.body.message.startsWith(name + ":"),
          `${k.name} ${label}: message ${e.body && e.body.message}`);
      }
    }
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

main().catch((e) => {
  console.error("ERROR " + (e && e.stack ? e.stack : e));
  console.log(`${passed} passed, ${failed + 1} failed`);
  process.exit(1);
});
