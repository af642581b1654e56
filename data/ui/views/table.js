// table.js: /ui/definitions/{D} — the instances of one definition, a page at a time from
// /api/v1/definitions/{D}/instances (filters, sort and paging all on the server, so it
// stays fast at any size). The whole state is in the address (search, status, removed,
// f.FIELD filters, sort, offset, limit), so a filtered page can be bookmarked.
import { api, badge, clear, definition, el, errorBox, fieldsOf, fmtTime, fmtValue, link, setTitle } from '../lib.js';

const PAGE_SIZES = [25, 50, 100, 250];

function readParams() {
  const p = new URLSearchParams(location.search);
  const filters = [];
  for (const [k, v] of p) if (k.startsWith('f.')) filters.push([k.slice(2), v]);
  return {
    search: p.get('search') || '',
    status: p.get('status') ?? '',
    removed: p.get('removed') || 'false',
    sort: p.get('sort') || '',
    offset: Math.max(0, Number(p.get('offset')) || 0),
    limit: PAGE_SIZES.includes(Number(p.get('limit'))) ? Number(p.get('limit')) : 50,
    filters,
  };
}

function uiQuery(s) {
  const p = new URLSearchParams();
  if (s.search) p.set('search', s.search);
  if (s.status) p.set('status', s.status);
  if (s.removed !== 'false') p.set('removed', s.removed);
  for (const [k, v] of s.filters) p.append(`f.${k}`, v);
  if (s.sort) p.set('sort', s.sort);
  if (s.offset) p.set('offset', String(s.offset));
  if (s.limit !== 50) p.set('limit', String(s.limit));
  const q = p.toString();
  return q ? `?${q}` : '';
}

function apiQuery(s) {
  const p = new URLSearchParams();
  if (s.search) p.set('search', s.search);
  if (s.status) p.set('status', s.status);
  if (s.removed !== 'false') p.set('removed', s.removed);
  for (const [k, v] of s.filters) p.append(k, v);
  if (s.sort) p.set('sort', s.sort);
  p.set('offset', String(s.offset));
  p.set('limit', String(s.limit));
  return `?${p}`;
}

// The fields the server made table columns (`tableFields`: each has an index, so sorting and
// filtering on it stay fast at 1M instances; docs/dashboard.md). An older server without
// them: the first scalar fields.
function tableFieldsOf(def) {
  const all = fieldsOf(def);
  if (Array.isArray(def.tableFields)) return def.tableFields.map((n) => all.find((f) => f.name === n)).filter(Boolean);
  const skip = new Set([def.key, def.status]);
  return all.filter((f) => !skip.has(f.name) && !f.list && f.type !== 'characteristic' &&
    ['string', 'enum', 'double', 'integer', 'reference', 'boolean'].includes(f.type)).slice(0, 3);
}

// The columns: key, status, the table fields, modified. Each sorts from an index but the
// status (filtered, not sorted: no index orders a definition by status then key).
function columnsOf(def) {
  return [{ name: 'key', label: def.key }, { name: 'status', label: 'status', unsorted: true },
    ...tableFieldsOf(def).map((f) => ({ name: f.name, label: f.name, field: f })), { name: 'modified', label: 'modified' }];
}

function cell(inst, col) {
  if (col.name === 'key') return link(`/ui/instances/${encodeURIComponent(inst.id)}`, inst.key);
  if (col.name === 'status') return badge(inst.status);
  if (col.name === 'modified') return fmtTime(inst.modified);
  const v = inst.fields[col.name];
  if (col.field && col.field.type === 'reference' && typeof v === 'string' && col.field.references)
    return link(`/ui/definitions/${encodeURIComponent(col.field.references)}/${encodeURIComponent(v)}`, v);
  return fmtValue(v);
}

export async function definitionTable(main, name) {
  const def = definition(name);
  if (!def) {
    clear(main, el('h1', {}, name), el('p', { class: 'error', role: 'alert' }, `No definition '${name}'.`));
    return;
  }
  setTitle(def.name);
  const s = readParams();
  const go = (next) => document.dispatchEvent(new CustomEvent('tmfinv:navigate',
    { detail: `/ui/definitions/${encodeURIComponent(def.name)}${uiQuery(next)}` }));
  const columns = columnsOf(def);
  // Filters are offered on the table fields (an index answers them); a bookmarked filter on
  // another field still applies (its total may then be capped).
  const scalar = tableFieldsOf(def);

  const search = el('input', { id: 'f-search', type: 'search', value: s.search, placeholder: 'key starts with' });
  const status = el('select', { id: 'f-status' }, el('option', { value: '' }, 'any'),
    def.statuses.map((st) => el('option', { value: st, selected: st === s.status }, st)));
  if (s.status && !def.statuses.includes(s.status)) status.append(el('option', { value: s.status, selected: true }, s.status));
  const removed = el('select', { id: 'f-removed' }, [['false', 'active'], ['true', 'removed'], ['all', 'all']]
    .map(([v, t]) => el('option', { value: v, selected: v === s.removed }, t)));
  const field = el('select', { id: 'f-field' }, scalar.map((f) => el('option', { value: f.name }, f.name)));
  const value = el('input', { id: 'f-value', type: 'text' });
  const limit = el('select', { id: 'f-limit' }, PAGE_SIZES.map((n) => el('option', { value: n, selected: n === s.limit }, n)));

  const form = el('form', {
    class: 'filters', role: 'search', onsubmit: (e) => {
      e.preventDefault();
      const filters = [...s.filters];
      if (value.value.trim()) filters.push([field.value, value.value.trim()]);
      go({ ...s, search: search.value.trim(), status: status.value, removed: removed.value, limit: Number(limit.value), filters, offset: 0 });
    },
  },
  el('label', { for: 'f-search' }, 'Key'), search,
  el('label', { for: 'f-status' }, 'Status'), status,
  el('label', { for: 'f-removed' }, 'State'), removed,
  el('label', { for: 'f-field' }, 'Field'), field,
  el('label', { for: 'f-value' }, 'equals'), value,
  el('label', { for: 'f-limit' }, 'Per page'), limit,
  el('button', { type: 'submit' }, 'Apply'));

  const chips = el('ul', { class: 'chips', 'aria-label': 'Field filters' }, s.filters.map(([k, v], i) => el('li', {},
    `${k} = ${v} `, el('button', {
      type: 'button', class: 'link', 'aria-label': `Remove filter ${k} = ${v}`,
      onclick: () => go({ ...s, offset: 0, filters: s.filters.filter((_, j) => j !== i) }),
    }, '×'))));

  const sortKey = s.sort.replace(/^[-+]/, '');
  const desc = s.sort.startsWith('-');
  const head = el('tr', {}, columns.map((c) => {
    const active = sortKey === c.name;
    const nextSort = active && !desc ? `-${c.name}` : c.name;
    if (c.unsorted && !active) return el('th', { scope: 'col' }, c.label);
    return el('th', { scope: 'col', 'aria-sort': active ? (desc ? 'descending' : 'ascending') : 'none' },
      el('button', { type: 'button', class: 'sort', onclick: () => go({ ...s, sort: nextSort, offset: 0 }) },
        c.label, active ? (desc ? ' ▼' : ' ▲') : ''));
  }));
  const body = el('tbody', {}, el('tr', {}, el('td', { colspan: columns.length, class: 'muted' }, 'Loading…')));
  const pager = el('nav', { class: 'pager', 'aria-label': 'Pages' });
  clear(main, el('h1', {}, def.name), form, chips,
    el('div', { class: 'scroll' }, el('table', { class: 'instances', id: 'instances' },
      el('caption', { class: 'sr-only' }, `${def.name} instances`), el('thead', {}, head), body)), pager);

  let page;
  try {
    page = await api(`/definitions/${encodeURIComponent(def.name)}/instances${apiQuery(s)}`);
  } catch (err) {
    clear(body, el('tr', {}, el('td', { colspan: columns.length }, errorBox(err))));
    return;
  }
  const items = page.data.items;
  clear(body, items.length ? items.map((inst) => el('tr', { 'data-id': inst.id, 'data-key': inst.key },
    columns.map((c) => el('td', {}, cell(inst, c))))) : el('tr', {}, el('td', { colspan: columns.length, class: 'muted' }, 'No instance matches.')));
  // A total no index answers is counted up to a cap: `totalCapped` says "more than total".
  const total = Number(page.data.total) || 0;
  const capped = page.data.totalCapped === true;
  const from = items.length ? s.offset + 1 : 0;
  const more = capped ? items.length === s.limit : s.offset + s.limit < total;
  const of = capped ? `more than ${total.toLocaleString('en')}` : String(total);
  clear(pager,
    el('button', { type: 'button', disabled: s.offset === 0, onclick: () => go({ ...s, offset: Math.max(0, s.offset - s.limit) }) }, '← Previous'),
    el('span', { id: 'range', 'data-total': total, 'data-capped': String(capped) }, `${from}–${s.offset + items.length} of ${of}`),
    el('button', { type: 'button', disabled: !more, onclick: () => go({ ...s, offset: s.offset + s.limit }) }, 'Next →'));
}
