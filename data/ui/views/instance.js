// instance.js: /ui/instances/{uuid} and /ui/definitions/{D}/{key} — one instance: its
// fields by section with their owners, references as links, the item as the source sent
// it, its history and status timeline. A token with the write role can edit the local
// and initial fields through the TMF PATCH (the same rules and errors as any client);
// a read token sees no edit control.
import { ApiError, api, badge, canWrite, clear, definition, el, errorBox, fmtTime, fmtValue, link, setTitle } from '../lib.js';

function valueNode(field, value, def) {
  if (value === null || value === undefined) return el('span', { class: 'muted' }, '–');
  if (field && field.type === 'reference' && field.references) {
    const one = (v) => link(`/ui/definitions/${encodeURIComponent(field.references)}/${encodeURIComponent(v)}`, v);
    if (Array.isArray(value)) return el('span', { class: 'refs' }, value.map((v, i) => [i ? ', ' : '', one(v)]));
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
        el('section', { class: 'card wide', 'aria-labelledby': 'h-history' }, el('h2', { id: 'h-history' }, 'History'),
          historyNode(history, def)),
        el('section', { class: 'card wide', 'aria-labelledby': 'h-raw' }, el('h2', { id: 'h-raw' }, 'Item as the source sent it'),
          el('details', {}, el('summary', {}, 'Show the JSON'), el('pre', { id: 'raw' }, JSON.stringify(inst.raw, null, 2))))));
  };
  await rerender();
}
