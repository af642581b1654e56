// overview.js: /ui/ — instances per definition and status (/api/v1/summary, the same
// groups as `tmfinv summary`), the last sync of each source with its figures, the counts
// of rejected items and duplicates, and the recent changes.
import { api, badge, clear, el, fmtNumber, fmtTime, fmtValue, link, setTitle, state } from '../lib.js';

function countsSection(groups) {
  const section = el('section', { 'aria-labelledby': 'h-counts', class: 'card wide' }, el('h2', { id: 'h-counts' }, 'Instances'));
  const grid = el('div', { class: 'defs' });
  for (const d of state.definitions) {
    const mine = groups.filter((g) => g.definition === d.name);
    const active = mine.filter((g) => !g.removed);
    const removed = mine.filter((g) => g.removed).reduce((n, g) => n + g.count, 0);
    const total = active.reduce((n, g) => n + g.count, 0);
    const base = `/ui/definitions/${encodeURIComponent(d.name)}`;
    const rows = active.map((g) => el('tr', { 'data-definition': d.name, 'data-status': g.status ?? '' },
      el('th', { scope: 'row' }, link(`${base}?status=${encodeURIComponent(g.status ?? '')}`, badge(g.status))),
      el('td', { class: 'num', 'data-count': g.count }, fmtNumber(g.count)),
      el('td', { class: 'num' }, g.stale ? `${fmtNumber(g.stale)} stale` : '')));
    grid.append(el('div', { class: 'def', 'data-definition': d.name },
      el('h3', {}, link(base, d.name), ' ', el('span', { class: 'muted', 'data-total': total }, `${fmtNumber(total)} active`)),
      el('table', {},
        el('caption', { class: 'sr-only' }, `${d.name} by status`),
        el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Status'), el('th', { scope: 'col', class: 'num' }, 'Count'),
          el('th', { scope: 'col', class: 'num' }, el('span', { class: 'sr-only' }, 'Stale')))),
        el('tbody', {}, rows.length ? rows : el('tr', {}, el('td', { colspan: 3, class: 'muted' }, 'none')))),
      el('p', { class: 'muted small' }, link(`${base}?removed=true`, `${fmtNumber(removed)} removed`))));
  }
  section.append(grid);
  return section;
}

// The newest run that has each source, newest first.
function lastSyncSection(runs) {
  const seen = new Map();
  for (const r of runs) for (const s of r.sources || []) if (!seen.has(s.name)) seen.set(s.name, { run: r, s });
  const rows = [...seen.values()].map(({ run, s }) => el('tr', { 'data-source': s.name },
    el('th', { scope: 'row' }, s.name),
    el('td', {}, link('/ui/runs', `#${run.id}`), ' ', run.kind),
    el('td', {}, fmtTime(run.ended || run.started)),
    el('td', {}, outcome(run, s)),
    el('td', { class: 'num', 'data-items': s.items }, fmtNumber(s.items)),
    el('td', { class: 'num' }, fmtNumber(s.created)),
    el('td', { class: 'num' }, fmtNumber(s.updated)),
    el('td', { class: 'num' }, fmtNumber(s.removed)),
    el('td', { class: 'num' }, fmtNumber(s.rejected)),
    el('td', { class: 'num' }, fmtNumber(s.failedPages))));
  return el('section', { 'aria-labelledby': 'h-sync', class: 'card wide' }, el('h2', { id: 'h-sync' }, 'Last sync per source'),
    rows.length ? el('div', { class: 'scroll' }, el('table', {},
      el('thead', {}, el('tr', {}, ...['Source', 'Run', 'Ended', 'Outcome', 'Items', 'Created', 'Updated', 'Removed', 'Rejected', 'Failed pages']
        .map((h, i) => el('th', { scope: 'col', class: i >= 4 ? 'num' : null }, h)))),
      el('tbody', {}, rows))) : el('p', { class: 'muted' }, 'No sync has run yet.'));
}

export function outcome(run, s) {
  if (run.running) return badge('running', 'status-info');
  if (s && s.error) return el('span', {}, badge('failed', 'status-bad'), ' ', el('span', { class: 'small' }, s.error));
  const complete = s ? s.complete : run.complete;
  if (complete === true) return badge('complete', 'status-good');
  if (complete === false) return badge('incomplete', 'status-warn');
  return badge('interrupted', 'status-bad');
}

function reportsSection(rejected, duplicates) {
  return el('section', { 'aria-labelledby': 'h-reports', class: 'card' }, el('h2', { id: 'h-reports' }, 'Items not stored as sent'),
    el('dl', { class: 'figures' },
      el('dt', {}, 'Rejected'), el('dd', { id: 'rejected-count' }, fmtNumber(rejected)),
      el('dt', {}, 'Duplicates'), el('dd', { id: 'duplicate-count' }, fmtNumber(duplicates))),
    el('p', { class: 'muted small' }, 'Listed by tmfinv rejected and /api/v1/rejected.'));
}

// Recent changes: the newest entries of the changes feed (/api/v1/changes), newest first.
function changesSection(changes, total) {
  const rows = [...changes].reverse().map((c) => el('tr', { 'data-change': c.id },
    el('td', {}, fmtTime(c.time)),
    el('td', {}, link(`/ui/instances/${encodeURIComponent(c.instance)}`, `${c.definition} ${c.key}`)),
    el('td', {}, c.field), el('td', {}, fmtValue(c.before)), el('td', {}, fmtValue(c.after)),
    el('td', { class: 'small' }, c.run ? `run #${c.run}` : c.actor || '')));
  return el('section', { 'aria-labelledby': 'h-changes', class: 'card wide' },
    el('h2', { id: 'h-changes' }, 'Recent changes ', el('span', { class: 'muted small', id: 'changes-total', 'data-total': total }, `${fmtNumber(total)} in all`)),
    rows.length ? el('div', { class: 'scroll' }, el('table', { id: 'changes' }, el('thead', {}, el('tr', {},
      ...['Time', 'Instance', 'Field', 'Before', 'After', 'By'].map((h) => el('th', { scope: 'col' }, h)))), el('tbody', {}, rows)))
      : el('p', { class: 'muted' }, 'No change recorded yet.'));
}

const RECENT = 10;

export async function overview(main) {
  setTitle('Overview');
  const [summary, runs, rejected, duplicates, count] = await Promise.all([
    api('/summary'), api('/runs?limit=20'), api('/rejected?kind=rejected&limit=0'), api('/rejected?kind=duplicate&limit=0'),
    api('/changes?limit=0')]);
  const changes = await api(`/changes?offset=${Math.max(0, count.total - RECENT)}&limit=${RECENT}`);
  clear(main, el('h1', {}, 'Overview'),
    el('div', { class: 'cards' }, countsSection(summary.data), lastSyncSection(runs.data.items),
      reportsSection(rejected.total, duplicates.total), changesSection(changes.data.items, count.total)));
}
