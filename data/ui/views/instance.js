// instance.js: /ui/instances/{uuid} and /ui/definitions/{D}/{key} — one instance: its
// fields by section with their owners, references as links, the item as the source sent
// it, its history and status timeline, and its impact (what depends on it, what it depends
// on). A token with the write role can edit the local and initial fields through the TMF
// PATCH (the same rules and errors as any client); a read token sees no edit control.
import { ApiError, api, badge, canWrite, clear, definition, el, errorBox, fmtTime, fmtValue, link, setTitle } from '../lib.js';

function valueNode(field, value, def) {
  if (value === null || value === undefined) return el('span', { class: 'muted' }, '–');
  if (field && field.type === 'reference' && field.references) {
    const one = (v) => link(`/ui/definitions/${encodeURIComponent(field.references)}/${encodeURIComponent(v)}`, v);
    if (Array.isArray(value)) return el('span', { class: 'refs' }, value.map((v, i) => [i ? ', ' : '', one(v)]).flat());
    return one(value);
  }
  if (def && field && field.name === def.status) return badge(value);
  if (typeof value === 'object') return el('code', {}, JSON.stringify(value));
  return String(value);
}

// The control that edits one field: a select for enums and booleans, else a text input.
function editor(field, value) {
  const id = `edit-${field.name}`;
  if (field.type === 'enum' || field.type === 'boolean') {
    const options = field.type === 'boolean' ? ['true', 'false'] : field.values;
    return el('select', { id, name: field.name }, el('option', { value: '' }, '(unset)'),
      options.map((o) => el('option', { value: o, selected: String(value) === o }, o)));
  }
  return el('input', { id, name: field.name, type: 'text', value: value === null || value === undefined ? '' : fmtValue(value) });
}

function typed(field, text) {
  if (text === '') return null;
  if (field.type === 'boolean') return text === 'true';
  if (field.type === 'integer' || field.type === 'double') {
    const n = Number(text);
    return Number.isNaN(n) ? text : n;
  }
  return text;
}

function patchUrl(def, inst) {
  const coll = def.api === 'tmf638' ? '/tmf-api/serviceInventory/v4/service/' : '/tmf-api/resourceInventoryManagement/v4/resource/';
  return `${coll}${encodeURIComponent(inst.id)}${inst.removed ? '?removed=true' : ''}`;
}

function editForm(def, inst, f, rerender) {
  const input = editor(f.field, f.value);
  const msg = el('p', { class: 'small', role: 'status' });
  const form = el('form', {
    class: 'edit', 'data-field': f.name, onsubmit: async (e) => {
      e.preventDefault();
      try {
        await api(patchUrl(def, inst), {
          method: 'PATCH',
          headers: { 'Content-Type': 'application/merge-patch+json' },
          body: JSON.stringify({ [f.name]: typed(f.field, input.value.trim()) }),
        });
        await rerender();
      } catch (err) {
        clear(msg, errorBox(err));
      }
    },
  }, el('label', { for: input.id, class: 'sr-only' }, `New value of ${f.name}`), input,
  el('button', { type: 'submit' }, 'Save'), msg);
  return form;
}

function sectionsNode(def, inst, rerender) {
  const write = canWrite();
  return inst.sections.map((sec) => el('section', { class: 'card wide', 'aria-labelledby': `sec-${sec.name}` },
    el('h2', { id: `sec-${sec.name}` }, sec.name),
    el('table', { class: 'fields' }, el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Field'),
      el('th', { scope: 'col' }, 'Value'), el('th', { scope: 'col' }, 'Owner'))),
    el('tbody', {}, sec.fields.map((f) => {
      const field = def ? def.sections.flatMap((s) => s.fields).find((x) => x.name === f.name) : null;
      const editable = write && field && (f.owner === 'local' || f.owner === 'initial');
      return el('tr', { 'data-field': f.name },
        el('th', { scope: 'row' }, f.name),
        el('td', { class: 'value' }, valueNode(field, f.value, def),
          editable ? editForm(def, inst, { ...f, field }, rerender) : null),
        el('td', {}, el('span', { class: `owner owner-${f.owner}` }, f.owner)));
    })))));
}

function historyNode(history, def) {
  if (!history.length) return el('p', { class: 'muted' }, 'No change recorded since it was created.');
  return el('div', { class: 'scroll' }, el('table', { id: 'history' },
    el('thead', {}, el('tr', {}, ['Time', 'Run', 'Field', 'Before', 'After'].map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, history.map((h) => el('tr', {},
      el('td', {}, fmtTime(h.time)), el('td', {}, h.run ? `#${h.run}` : h.actor || 'local edit'), el('td', {}, h.field),
      el('td', {}, h.field === def?.status ? badge(h.before) : fmtValue(h.before)),
      el('td', {}, h.field === def?.status ? badge(h.after) : fmtValue(h.after)))))));
}

// The status over time (GET …/timeline): each interval's value, from when, until when.
function timelineNode(timeline) {
  const items = timeline.intervals.map((t) => el('li', { 'data-value': t.value ?? '' }, badge(t.value), ' ',
    el('time', {}, fmtTime(t.from)), ' → ', t.to ? el('time', {}, fmtTime(t.to)) : 'now'));
  return el('div', {}, el('ol', { class: 'timeline', id: 'timeline' }, items),
    timeline.complete ? null : el('p', { class: 'muted small' }, 'Older changes were purged ([store] history_days).'));
}

// One path of the impact: the instance asked, then each step's key as a link, the reference
// between two steps written as the CLI writes it (`A <-field- B` when B holds the field naming
// A, `A -field-> B` when A holds it).
function pathNode(path) {
  return el('span', { class: 'path' }, path.map((st, i) => [
    i ? ` ${st.fieldOf === st.id ? `<-${st.field}-` : `-${st.field}->`} ` : '',
    link(`/ui/instances/${encodeURIComponent(st.id)}`, st.key)]).flat());
}

// One direction of GET /api/v1/instances/{id}/impact: its hits (definition, key, status,
// depth, path), then its cycles and dangling references as the API lists them.
function impactDirection(dir, name, title) {
  const hits = dir.hits.length ? el('div', { class: 'scroll' }, el('table', { class: 'impact', id: `impact-${name}` },
    el('caption', { class: 'sr-only' }, title),
    el('thead', {}, el('tr', {}, ['Depth', 'Definition', 'Key', 'Status', 'Path'].map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, dir.hits.map((h) => el('tr', { 'data-id': h.id, 'data-depth': h.depth },
      el('td', {}, String(h.depth)), el('td', {}, h.definition),
      el('td', {}, link(`/ui/instances/${encodeURIComponent(h.id)}`, h.key)),
      el('td', {}, badge(h.status), h.removed ? [' ', badge('removed', 'status-bad')] : null),
      el('td', {}, pathNode(h.path)))))))
    : el('p', { class: 'muted', id: `impact-${name}` }, 'None.');
  const count = `${dir.count} instance${dir.count === 1 ? '' : 's'}${dir.truncated ? ' (truncated: the first 5000)' : ''}`;
  const cycles = dir.cycleCount ? [el('h4', {}, `Cycles (${dir.cycleCount}${dir.cycles.length < dir.cycleCount ? `, the first ${dir.cycles.length}` : ''})`),
    el('ul', { class: 'cycles', id: `impact-${name}-cycles` }, dir.cycles.map((c) => el('li', {}, pathNode(c.path))))] : null;
  const dangling = dir.danglingCount ? [el('h4', {}, `Dangling references (${dir.danglingCount}${dir.dangling.length < dir.danglingCount ? `, the first ${dir.dangling.length}` : ''})`),
    el('ul', { class: 'dangling', id: `impact-${name}-dangling` }, dir.dangling.map((d) => el('li', {},
      link(`/ui/instances/${encodeURIComponent(d.from.id)}`, d.from.key), ` (${d.from.definition}) ${d.field} → `,
      el('code', {}, d.ref), ' names no stored instance')))] : null;
  return el('div', { class: 'impact-dir', 'data-direction': name },
    el('h3', {}, title, ' ', el('span', { class: 'muted small', id: `impact-${name}-count` }, count)), hits, cycles, dangling);
}

// Filled when the answer comes: the store's first impact request builds its reference index
// (about 2 s at 100k instances), which must not hold back the rest of the view.
async function impactFill(node, inst) {
  try {
    const r = (await api(`/instances/${encodeURIComponent(inst.id)}/impact`)).data;
    clear(node, impactDirection(r.down, 'down', 'What depends on it'), impactDirection(r.up, 'up', 'What it depends on'),
      el('p', { class: 'muted small' }, `Up to ${r.depth} references away (docs/commands/impact.md).`));
  } catch (err) {
    clear(node, errorBox(err));
  }
  node.setAttribute('aria-busy', 'false');
}

export async function instanceView(main, where) {
  const path = where.id ? `/instances/${encodeURIComponent(where.id)}`
    : `/definitions/${encodeURIComponent(where.definition)}/instances/${encodeURIComponent(where.key)}`;
  const rerender = async () => {
    let inst, history, timeline;
    try {
      [inst, history, timeline] = await Promise.all([api(path).then((r) => r.data), api(`${path}/history`).then((r) => r.data),
        api(`${path}/timeline`).then((r) => r.data)]);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        clear(main, el('h1', {}, where.key || where.id), errorBox(err));
        return;
      }
      throw err;
    }
    const def = definition(inst.definition);
    setTitle(`${inst.definition} ${inst.key}`);
    const flags = [inst.removed ? badge(`removed: ${inst.removedReason || ''}`, 'status-bad') : null,
      inst.stale ? badge(`stale: ${inst.staleReason || ''}`, 'status-warn') : null];
    const impactBody = el('div', { id: 'impact', 'aria-busy': 'true' }, el('p', { class: 'muted' }, 'Loading…'));
    const impact = el('section', { class: 'card wide', 'aria-labelledby': 'h-impact' }, el('h2', { id: 'h-impact' }, 'Impact'), impactBody);
    clear(main,
      el('p', { class: 'crumbs' }, link(`/ui/definitions/${encodeURIComponent(inst.definition)}`, inst.definition), ' / ', inst.key),
      el('h1', {}, `${inst.definition} ${inst.key} `, badge(inst.status, 'big'), ...flags),
      el('dl', { class: 'meta' },
        el('dt', {}, 'UUID'), el('dd', {}, el('code', {}, inst.id)),
        el('dt', {}, 'Source'), el('dd', {}, inst.source),
        el('dt', {}, 'Created'), el('dd', {}, fmtTime(inst.created)),
        el('dt', {}, 'Modified'), el('dd', {}, fmtTime(inst.modified))),
      el('div', { class: 'cards' }, sectionsNode(def, inst, rerender),
        el('section', { class: 'card', 'aria-labelledby': 'h-timeline' }, el('h2', { id: 'h-timeline' }, 'Status timeline'),
          timelineNode(timeline)),
        impact,
        el('section', { class: 'card wide', 'aria-labelledby': 'h-history' }, el('h2', { id: 'h-history' }, 'History'),
          historyNode(history, def)),
        el('section', { class: 'card wide', 'aria-labelledby': 'h-raw' }, el('h2', { id: 'h-raw' }, 'Item as the source sent it'),
          el('details', {}, el('summary', {}, 'Show the JSON'), el('pre', { id: 'raw' }, JSON.stringify(inst.raw, null, 2))))));
    await impactFill(impactBody, inst);
  };
  await rerender();
}
