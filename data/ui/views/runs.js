// runs.js: /ui/runs — sync runs, newest first, each source's figures and its failed
// pages; a token with the write role can start a full sync.
import { api, canWrite, clear, el, errorBox, fmtNumber, fmtTime, setTitle } from '../lib.js';
import { outcome } from './overview.js';

const LIMIT = 20;
const FIGURES = ['pages', 'items', 'created', 'updated', 'unchanged', 'removed', 'dropped', 'duplicates', 'rejected', 'failedPages'];

function failedNode(s) {
  if (!s.failed || !s.failed.length) return null;
  return el('details', {}, el('summary', {}, `${s.failed.length} failed page${s.failed.length > 1 ? 's' : ''}`),
    el('table', {}, el('thead', {}, el('tr', {}, ['Page', 'URL', 'Status', 'Tries', 'Error'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, s.failed.map((f) => el('tr', {}, el('td', {}, f.page), el('td', {}, el('code', {}, f.url)),
        el('td', {}, f.status), el('td', {}, f.tries), el('td', {}, f.error || ''))))));
}

function runNode(r) {
  const seconds = r.ended && r.started ? Math.round((new Date(r.ended) - new Date(r.started)) / 100) / 10 : null;
  return el('section', { class: 'card wide run', 'data-run': r.id, 'aria-labelledby': `run-${r.id}` },
    el('h2', { id: `run-${r.id}` }, `Run #${r.id} · ${r.kind} `, outcome(r, null)),
    el('p', { class: 'muted small' }, `started ${fmtTime(r.started)} · ended ${fmtTime(r.ended)}`, seconds !== null ? ` · ${seconds} s` : ''),
    el('div', { class: 'scroll' }, el('table', {},
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Source'), el('th', { scope: 'col' }, 'Outcome'),
        FIGURES.map((f) => el('th', { scope: 'col', class: 'num' }, f)))),
      el('tbody', {}, (r.sources || []).map((s) => el('tr', { 'data-source': s.name },
        el('th', { scope: 'row' }, s.name), el('td', {}, outcome(r, s), failedNode(s)),
        FIGURES.map((f) => el('td', { class: 'num', 'data-figure': f }, fmtNumber(s[f])))))))));
}

export async function runsView(main) {
  setTitle('Runs');
  const offset = Math.max(0, Number(new URLSearchParams(location.search).get('offset')) || 0);
  const page = await api(`/runs?offset=${offset}&limit=${LIMIT}`);
  const msg = el('p', { role: 'status', class: 'small' });
  const go = (o) => document.dispatchEvent(new CustomEvent('tmfinv:navigate', { detail: `/ui/runs${o ? `?offset=${o}` : ''}` }));
  const sync = canWrite() ? el('button', {
    type: 'button', id: 'sync-now', onclick: async () => {
      try {
        await api('/sync', { method: 'POST' });
        clear(msg, 'A full sync was started; it shows here when it begins.');
      } catch (err) {
        clear(msg, errorBox(err));
      }
    },
  }, 'Start a full sync') : null;
  clear(main, el('h1', {}, 'Sync runs'), el('div', { class: 'toolbar' }, sync, msg),
    page.data.items.length ? page.data.items.map(runNode) : el('p', { class: 'muted' }, 'No run yet.'),
    el('nav', { class: 'pager', 'aria-label': 'Pages' },
      el('button', { type: 'button', disabled: offset === 0, onclick: () => go(Math.max(0, offset - LIMIT)) }, '← Newer'),
      el('span', {}, `${page.data.items.length ? offset + 1 : 0}–${offset + page.data.items.length} of ${page.data.total}`),
      el('button', { type: 'button', disabled: offset + LIMIT >= page.data.total, onclick: () => go(offset + LIMIT) }, 'Older →')));
}
