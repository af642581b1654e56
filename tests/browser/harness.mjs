// harness.mjs: what the browser tests share: a real tmfinv-sim on a free port, a
// workspace with a configuration, a real `tmfinv serve` synced from the simulator, and
// Debian's chromium driven by playwright-core (headless; --no-sandbox only as root, where
// chromium refuses to start without it). Every page records its console errors, page
// errors and failed requests, so a test can assert there were none.
//
// Paths come from ctest's environment: TMFINV_BIN, TMFINV_SIM, TMFINV_DATA_DIR;
// screenshots go to TMFINV_SCREENSHOT_DIR (default: ./screenshots).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const top = join(here, '..', '..');
export const BIN = process.env.TMFINV_BIN || join(top, 'build', 'tmfinv');
export const SIM = process.env.TMFINV_SIM || join(top, 'build', 'tmfinv-sim');
export const SHOTS = process.env.TMFINV_SCREENSHOT_DIR || join(process.cwd(), 'screenshots');
export const CHROMIUM = process.env.TMFINV_CHROMIUM || '/usr/bin/chromium';

// Starts `cmd args` and resolves with the process and the rest of its first stdout line
// after `prefix` (the address it listens on).
function startListening(cmd, args, prefix, stderrFile) {
  return new Promise((resolve, reject) => {
    const err = stderrFile ? openSync(stderrFile, 'a') : 'ignore';
    const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', err] });
    const lines = createInterface({ input: proc.stdout });
    const timer = setTimeout(() => reject(new Error(`${cmd} did not start in 30 s`)), 30000);
    proc.on('error', (e) => { clearTimeout(timer); reject(e); });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${cmd} exited ${code} before listening`)); });
    lines.once('line', (line) => {
      clearTimeout(timer);
      if (!line.startsWith(prefix)) {
        proc.kill('SIGKILL');
        reject(new Error(`${cmd}: unexpected first line ${JSON.stringify(line)}`));
        return;
      }
      proc.removeAllListeners('exit');
      lines.on('line', () => {}); // keep draining stdout
      resolve({ proc, address: line.slice(prefix.length).trim() });
    });
  });
}

async function stop(proc) {
  if (!proc || proc.exitCode !== null) return;
  const done = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  const t = setTimeout(() => proc.kill('SIGKILL'), 20000);
  await done;
  clearTimeout(t);
}

export function sha256(text) {
  return createHash('sha256').update(text).digest('hex');
}

// The simulator, a synced `tmfinv serve` over it, and helpers to ask the API.
// tokens: {name: [role, token]} for a tokens file; none: no tokens (loopback, both roles).
export async function startStack({ tokens = null, carriers = 40, services = 60, resources = 80 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tmfinv-browser-'));
  const st = { dir, token: null };
  const sim = await startListening(SIM, ['--listen', '127.0.0.1:0', '--seed', '7', '--services', String(services),
    '--carriers', String(carriers), '--resources', String(resources)], 'listening on ', join(dir, 'sim.log'));
  st.sim = sim.proc;
  st.simBase = `http://${sim.address}`;
  let http = 'listen = 127.0.0.1:0\n';
  if (tokens) {
    const lines = Object.entries(tokens).map(([name, [role, token]]) => `${name}:${role}:${sha256(token)}`);
    writeFileSync(join(dir, 'tokens'), `${lines.join('\n')}\n`, { mode: 0o600 });
    http += `tokens_file = ${join(dir, 'tokens')}\n`;
    st.token = Object.values(tokens).find(([role]) => role === 'write')?.[1] ?? null;
  }
  const config = join(dir, 'tmfinv.ini');
  writeFileSync(config, [
    '[store]', `path = ${join(dir, 'tmfinv.db')}`, '',
    '[source services]', 'api = tmf638', `url = ${st.simBase}/tmf638/service`, 'paging = page', 'page_size = 40', '',
    '[source resources]', 'api = tmf639', `url = ${st.simBase}/tmf639/resource`, 'paging = page', 'page_size = 40', '',
    '[http]', http, '[sync]', 'interval = 3600', ''].join('\n'));
  st.config = config;
  let serve;
  try {
    serve = await startListening(BIN, ['-c', config, 'serve'], 'listening on ', join(dir, 'serve.log'));
  } catch (err) {
    await stop(st.sim);
    throw new Error(`${err.message}: ${readFileSync(join(dir, 'serve.log'), 'utf8').slice(-1000)}`);
  }
  st.serve = serve.proc;
  st.base = serve.address;

  st.api = async (path, { token = st.token, method = 'GET', body, headers = {} } = {}) => {
    const h = { ...headers };
    if (token) h.Authorization = `Bearer ${token}`;
    const r = await fetch(st.base + path, { method, headers: h, body });
    const text = await r.text();
    return { status: r.status, headers: r.headers, body: text ? JSON.parse(text) : null };
  };
  // Waits until `n` runs have ended.
  st.waitRuns = async (n) => {
    for (let i = 0; i < 600; i++) {
      const r = await st.api('/api/v1/runs?limit=100');
      if (r.status === 200 && r.body.items.filter((x) => x.ended).length >= n) return r.body.items;
      await new Promise((res) => setTimeout(res, 100));
    }
    throw new Error(`fewer than ${n} runs ended in 60 s: ${readFileSync(join(dir, 'serve.log'), 'utf8').slice(-2000)}`);
  };
  st.stop = async () => {
    await stop(st.serve);
    await stop(st.sim);
    rmSync(dir, { recursive: true, force: true });
  };
  await st.waitRuns(1);
  return st;
}

export async function launch() {
  const args = typeof process.getuid === 'function' && process.getuid() === 0 ? ['--no-sandbox'] : [];
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args });
}

// A new page (in its own context, so sessionStorage is its own) that records problems:
// console errors and warnings, uncaught errors, failed requests and HTTP errors.
export async function newPage(browser, { viewport = { width: 1366, height: 768 }, token = null, ...rest } = {}) {
  const context = await browser.newContext({ viewport, ...rest });
  if (token) await context.addInitScript((t) => sessionStorage.setItem('tmfinv.token', t), token);
  const page = await context.newPage();
  page.problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') page.problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
  // A request the browser cancels because the page went elsewhere (a link followed, a reload,
  // another view) before it was answered is not a failure; any other failure is, and so is a
  // cancellation on a page that stayed where it was.
  let navigations = 0;
  const startedAt = new WeakMap();
  page.on('framenavigated', (f) => {
    if (f === page.mainFrame()) navigations++;
  });
  page.on('request', (r) => {
    // A new document is asked for before the old one's requests are cancelled.
    if (r.isNavigationRequest() && r.frame() === page.mainFrame()) navigations++;
    else startedAt.set(r, navigations);
  });
  page.on('requestfailed', (r) => {
    const error = r.failure()?.errorText;
    if (error === 'net::ERR_ABORTED' && startedAt.get(r) !== navigations) return;
    page.problems.push(`request failed: ${r.url()} ${error}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) page.problems.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
  });
  return page;
}

export async function screenshot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
}

// Polls `fn` (async, truthy when done) every 100 ms for up to `ms`.
export async function until(fn, ms = 20000, what = 'condition') {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
