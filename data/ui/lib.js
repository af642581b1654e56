// lib.js: what every view of the dashboard shares: the API client (the token from
// sessionStorage as a bearer token), DOM building without innerHTML (no markup from data
// is ever parsed), status badges (colour AND text), and formatting.

export const state = {
  token: sessionStorage.getItem('tmfinv.token') || '',
  principal: '',
  roles: [],
  definitions: [],
};

export function canWrite() {
  return state.roles.includes('write');
}

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

// Fetches `path` (under /api/v1 unless it starts with /tmf-api) and answers
// {data, total}; a non-2xx answer throws an ApiError carrying the TMF Error's message.
export async function api(path, options = {}) {
  const headers = { Accept: 'application/json', ...(options.headers || {}) };
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  const url = path.startsWith('/tmf-api/') ? path : `/api/v1${path}`;
  const r = await fetch(url, { ...options, headers, cache: 'no-store' });
  let data = null;
  const text = await r.text();
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!r.ok) throw new ApiError(r.status, data);
  const total = r.headers.get('X-Total-Count');
  return { data, total: total === null ? null : Number(total) };
}

// el('a', {href: '/x', class: 'c', onclick: fn}, 'text', child…): attributes set one by
// one, text as text nodes.
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
    else if (k === 'class') e.className = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (v === true) e.setAttribute(k, '');
    else e.setAttribute(k, String(v));
  }
  append(e, children);
  return e;
}

function append(e, children) {
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// A link that the router follows without reloading the page.
export function link(href, ...children) {
  return el('a', { href, 'data-nav': true }, ...children);
}

export function clear(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

// The class of a status: good, warn, bad, info or none; the colour is never the only
// signal, the badge always says the status.
export function statusKind(status) {
  const s = String(status ?? '').trim().toLowerCase();
  if (!s) return 'none';
  if (/^(operational|active|available|in ?service|up|running|enabled|normal|ok|live|installed)$/.test(s)) return 'good';
  if (/(degrad|maint|suspend|standby|warn|test|pending|reserved)/.test(s)) return 'warn';
  if (/(down|fail|fault|error|outage|alarm|disabled|terminat|inactive)/.test(s)) return 'bad';
  if (/(plan|design|feasib|order)/.test(s)) return 'info';
  return 'none';
}

export function badge(status, extra = '') {
  const text = status === null || status === undefined || status === '' ? '(none)' : String(status);
  const kind = /\bstatus-/.test(extra) ? '' : `status-${statusKind(status)}`;
  return el('span', { class: `status ${kind} ${extra}`.replace(/\s+/g, ' ').trim() }, text);
}

export function fmtTime(t) {
  if (!t) return '–';
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return String(t);
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z').replace(/Z$/, ' UTC');
}

export function fmtValue(v) {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function fmtNumber(n) {
  return n === null || n === undefined ? '–' : Number(n).toLocaleString('en-US');
}

// An error box for a failed request (role=alert, so a screen reader says it).
export function errorBox(err) {
  const msg = err instanceof ApiError ? `${err.status}: ${err.message}` : String(err && err.message ? err.message : err);
  return el('p', { class: 'error', role: 'alert' }, msg);
}

// The definition named `name` from the cached list (loaded at start).
export function definition(name) {
  return state.definitions.find((d) => d.name === name) || null;
}

export function fieldsOf(def) {
  return def ? def.sections.flatMap((s) => s.fields) : [];
}

export function setTitle(text) {
  document.title = text ? `${text} · tmfinv` : 'tmfinv';
}
