// carriers.js: /ui/carriers — every carrier as a tile coloured by its status and labelled
// with it, grouped by satellite or gateway. The board reads the carriers again every few
// seconds (the API's answer cache makes an unchanged read cheap) and changes the tiles in
// place, so a sync or an edit shows without reloading the page.
import { api, badge, clear, definition, el, errorBox, fieldsOf, fmtTime, link, setTitle, state, statusKind } from '../lib.js';

const POLL_MS = 3000;
const PAGE = 1000;

function carrierDefinition() {
  return definition('Carrier') || state.definitions.find((d) => /carrier/i.test(d.name)) || null;
}

async function allInstances(def) {
  const out = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await api(`/definitions/${encodeURIComponent(def.name)}/instances?sort=key&offset=${offset}&limit=${PAGE}`);
    out.push(...page.data.items);
    if (out.length >= page.data.total || page.data.items.length === 0) return out;
  }
}

export async function carrierBoard(main) {
  setTitle('Carriers');
  const def = carrierDefinition();
  if (!def) {
    clear(main, el('h1', {}, 'Carriers'), el('p', {}, 'No Carrier definition in this configuration.'));
    return null;
  }
  const names = new Set(fieldsOf(def).map((f) => f.name));
  const groupable = ['satellite', 'gateway'].filter((g) => names.has(g));
  let groupBy = new URLSearchParams(location.search).get('group') || groupable[0] || '';
  if (!groupable.includes(groupBy)) groupBy = groupable[0] || '';
  const select = el('select', {
    id: 'group-by', onchange: () => {
      groupBy = select.value;
      history.replaceState(null, '', `/ui/carriers?group=${encodeURIComponent(groupBy)}`);
      tiles.clear();
      clear(board);
      refresh();
    },
  }, groupable.map((g) => el('option', { value: g, selected: g === groupBy }, g)));
  const stamp = el('p', { class: 'muted small', id: 'board-updated', role: 'status' });
  const legend = el('ul', { class: 'legend', 'aria-label': 'Status counts' });
  const board = el('div', { class: 'board', id: 'board' });
  clear(main, el('h1', {}, 'Carrier status board'),
    el('div', { class: 'toolbar' }, el('label', { for: 'group-by' }, 'Group by'), select, stamp), legend, board);

  const tiles = new Map(); // id -> tile element
  const groups = new Map(); // group name -> list element
  let timer = null;
  let stopped = false;

  function groupList(name) {
    let ul = groups.get(name);
    if (!ul) {
      ul = el('ul', { class: 'tiles' });
      const section = el('section', { class: 'group', 'data-group': name }, el('h2', {}, `${groupBy}: ${name}`), ul);
      const after = [...board.children].find((s) => s.dataset.group > name);
      board.insertBefore(section, after || null);
      groups.set(name, ul);
    }
    return ul;
  }

  function paint(tile, c) {
    const kind = statusKind(c.status);
    tile.className = `tile status-${kind}`;
    tile.dataset.status = c.status ?? '';
    const label = tile.querySelector('.status');
    label.replaceWith(badge(c.status));
  }

  function apply(carriers) {
    groups.clear();
    for (const section of board.children) groups.set(section.dataset.group, section.querySelector('ul'));
    const seen = new Set();
    const counts = new Map();
    for (const c of carriers) {
      seen.add(c.id);
      counts.set(c.status ?? '(none)', (counts.get(c.status ?? '(none)') || 0) + 1);
      const g = String(c.fields[groupBy] ?? '(none)');
      let tile = tiles.get(c.id);
      if (!tile) {
        tile = el('li', { class: 'tile', 'data-id': c.id, 'data-key': c.key },
          link(`/ui/instances/${encodeURIComponent(c.id)}`, el('span', { class: 'key' }, c.key),
            el('span', { class: 'name' }, c.fields.name || ''), badge(c.status)));
        tiles.set(c.id, tile);
      }
      if (tile.dataset.status !== (c.status ?? '') || !tile.className.includes('status-')) {
        if (tile.dataset.status !== undefined && tile.isConnected) tile.classList.add('changed');
        paint(tile, c);
      }
      const ul = groupList(g);
      if (tile.parentNode !== ul) ul.append(tile);
    }
    for (const [id, tile] of tiles) {
      if (!seen.has(id)) {
        tile.remove();
        tiles.delete(id);
      }
    }
    for (const section of [...board.children]) if (!section.querySelector('.tile')) section.remove();
    for (const section of board.children) groups.set(section.dataset.group, section.querySelector('ul'));
    clear(legend, [...counts.entries()].sort().map(([s, n]) => el('li', {}, badge(s), ` ${n}`)));
  }

  async function refresh() {
    if (stopped) return;
    try {
      apply(await allInstances(def));
      clear(stamp, `${tiles.size} carriers · updated ${fmtTime(new Date().toISOString())}`);
    } catch (err) {
      clear(stamp, errorBox(err));
    }
    if (!stopped) timer = setTimeout(refresh, POLL_MS);
  }

  await refresh();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
