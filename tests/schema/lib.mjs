/* lib.mjs: what the schema tests share — where the programs and the official specifications
 * are, a validator of one definition of a specification (ajv, draft-04, formats on), and
 * starting and stopping a program that announces itself on its first line. */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Ajv from "ajv-draft-04";
import addFormats from "ajv-formats";

const here = path.dirname(fileURLToPath(import.meta.url));
export const BIN = process.env.TMFINV_BIN || path.join(here, "../../build/tmfinv");
export const SIM = process.env.TMFINV_SIM || path.join(here, "../../build/tmfinv-sim");
export const SPEC_DIR = process.env.TMFINV_SPECS || path.join(here, "../../data/tmf");

const specs = new Map();
const validators = new Map();

/* The parsed specification file `file` of SPEC_DIR (read once). */
export function spec(file) {
  if (!specs.has(file)) specs.set(file, JSON.parse(readFileSync(path.join(SPEC_DIR, file), "utf8")));
  return specs.get(file);
}

/* A validator of `definition` of the specification `file` (compiled once), or null when the
 * file has no such definition. */
export function validator(file, definition) {
  const key = file + "#" + definition;
  if (!validators.has(key)) {
    const definitions = spec(file).definitions;
    if (!definitions[definition]) return null;
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
    addFormats(ajv);
    ajv.addFormat("base64", /^[A-Za-z0-9+/]*={0,2}$/); // used by Attachment.content; ajv-formats lacks it
    validators.set(key, ajv.compile({ $ref: "#/definitions/" + definition, definitions }));
  }
  return validators.get(key);
}

/* The same, failing when the definition is missing. */
export function compile(file, definition) {
  const validate = validator(file, definition);
  if (!validate) throw new Error(`${file} has no definition ${definition}`);
  return validate;
}

/* Starts a program and resolves with the child and the match of `pattern` on the first line
 * it prints; rejects when it exits first, prints something else, or says nothing for 60 s. */
export function start(bin, args, pattern) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
    let text = "";
    let errors = "";
    const timer = setTimeout(() => reject(new Error(bin + " did not start")), 60000);
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`${bin} exited with ${code}: ${errors}`)));
    child.stderr.on("data", (chunk) => {
      if (errors.length < 4096) errors += chunk;
    });
    child.stdout.on("data", (chunk) => {
      text += chunk;
      const newline = text.indexOf("\n");
      if (newline < 0) return;
      clearTimeout(timer);
      const match = pattern.exec(text.slice(0, newline));
      if (!match) reject(new Error("unexpected first line: " + text.slice(0, newline)));
      else resolve({ child, match });
    });
  });
}

/* Stops a child started by start() with SIGTERM; resolves with its exit code. */
export function stop(child) {
  return new Promise((resolve) => {
    child.removeAllListeners("exit");
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.on("exit", (code) => resolve(code));
    child.kill("SIGTERM");
  });
}
