// test_views.mjs: every view of the dashboard in chromium against a real `tmfinv serve`
// over the simulator (no tokens: loopback, both roles): each shows what the API answers,
// with no console error and no failed request; the static files' headers (CSP, nosniff,
// ETag/304), the redirect of /, bookmarkable view URLs, no path outside the listed files;
// keyboard navigation; a phone-sized viewport. Screenshots of each view go to
// TMFINV_SCREENSHOT_DIR.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launch, newPage, screenshot, startStack, until } from './harness.mjs';

let st;
let browser;

before(async () => {
  st = await startStack();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await st?.stop();
});

async function open(path, options) {
  const page = await newPage(browser, options);
  await page.goto(st.base + path);
  return page;
}

// Asserts there was no console error and no failed request, and closes the page's
// context (its kept-alive connections count against the server's per-client limit).
async function noProblems(page) {
  const problems = [...page.problems];
  await page.context().close();
  assert.deepEqual(problems, [], 'console errors or failed requests');
}

test('static files: redirect, headers, ETag, view URLs, nothing else', async () => {
  let r = await fetch(`${st.base}/`, { redirect: 'manual' });
  assert.equal(r.status, 302);
  assert.equal(r.headers.get('location'), '/ui/');
  for (const path of ['/ui/', '/ui', '/ui/carriers', '/ui/runs', '/ui/definitions/Carrier', '/ui/definitions/Carrier/X',
    '/ui/instances/00000000-0000-0000-0000-000000000000']) {
    r = await fetch(st.base + path);
    assert.equal(r.status, 200, path);
    assert.match(r.headers.get('content-type'), /^text\/html/, path);
    assert.match(await r.text(), /<script type="module" src="\/ui\/app.js">/, path);
  }
  r = await fetch(`${st.base}/ui/app.js`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/javascript/);
  const csp = r.headers.get('content-security-policy');
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(r.headers.get('cache-control'), 'no-cache');
  const etag = r.headers.get('etag');
  assert.match(etag, /^"[0-9a-f]{16}"$/);
  r = await fetch(`${st.base}/ui/app.js`, { headers: { 'If-None-Match': etag } });
  assert.equal(r.status, 304);
  assert.equal(await r.text(), '');
  assert.equal((await fetch(`${st.base}/ui/views/runs.js`)).status, 200);
  for (const path of ['/ui/nothing.js', '/ui/../openapi.json', '/ui/%2e%2e/openapi.json', '/ui/..%2fopenapi.json',
    '/ui/views/../../openapi.json', '/ui/profiles/ses.json', '/ui/carriers/x', '/ui/definitions/A/B/C']) {
    r = await fetch(st.base + path);
    assert.equal(r.status, 404, path);
  }
});

test('overview shows the counts of /api/v1/summary, the last sync and the reports', async () => {
  const page = await open('/ui/');
  await page.waitForSelector('section[aria-labelledby="h-counts"] td[data-count]');
  const summary = (await st.api('/api/v1/summary')).body;
  assert.ok(summary.length > 0);
  for (const g of summary.filter((x) => !x.removed)) {
    const cell = page.locator(`tr[data-definition="${g.definition}"][data-status="${g.status}"] td[data-count]`);
    assert.equal(await cell.getAttribute('data-count'), String(g.count), `${g.definition} ${g.status}`);
    assert.equal(await page.locator(`tr[data-definition="${g.definition}"][data-status="${g.status}"] .status`).innerText(), g.status);
  }
  const runs = (await st.api('/api/v1/runs')).body.items;
  for (const s of runs[0].sources) {
    assert.equal(await page.locator(`tr[data-source="${s.name}"] td[data-items]`).getAttribute('data-items'), String(s.items));
  }
  const rejected = (await st.api('/api/v1/rejected?kind=rejected&limit=0')).body.total;
  const duplicates = (await st.api('/api/v1/rejected?kind=duplicate&limit=0')).body.total;
  assert.equal(await page.locator('#rejected-count').innerText(), rejected.toLocaleString('en-US'));
  assert.equal(await page.locator('#duplicate-count').innerText(), duplicates.toLocaleString('en-US'));
  const changes = (await st.api('/api/v1/changes?limit=0')).body.total;
  assert.equal(await page.locator('#changes-total').getAttribute('data-total'), String(changes));
  await screenshot(page, 'overview');
  await noProblems(page);
});

test('definition table: the API page, sort, status and field filters, paging, key search', async () => {
  const page = await open('/ui/definitions/Carrier?limit=25');
  await page.waitForSelector('#instances tbody tr[data-id]');
  let api = (await st.api('/api/v1/definitions/Carrier/instances?offset=0&limit=25')).body;
  const keys = () => page.locator('#instances tbody tr[data-id]').evaluateAll((rows) => rows.map((r) => r.dataset.key));
  assert.deepEqual(await keys(), api.items.map((i) => i.key));
  assert.equal(await page.locator('#range').getAttribute('data-total'), String(api.total));
  await screenshot(page, 'definition');

  // next page, by keyboard
  await page.getByRole('button', { name: 'Next →' }).focus();
  await page.keyboard.press('Enter');
  await until(async () => (await page.url()).includes('offset=25'), 10000, 'page 2');
  await page.waitForFunction(() => document.querySelector('#range')?.textContent.startsWith('26'));
  api = (await st.api('/api/v1/definitions/Carrier/instances?offset=25&limit=25')).body;
  assert.deepEqual(await keys(), api.items.map((i) => i.key));

  // sort on a column: descending after two clicks
  await page.goto(`${st.base}/ui/definitions/Carrier?limit=25`);
  await page.waitForSelector('#instances tbody tr[data-id]');
  await page.getByRole('button', { name: 'uplinkFrequency' }).or(page.locator('th button.sort').nth(2)).first().click();
  await page.waitForFunction(() => location.search.includes('sort='));
  await page.locator('th[aria-sort="ascending"] button').click();
  await page.waitForFunction(() => location.search.includes('sort=-'));
  const sort = new URL(page.url()).searchParams.get('sort');
  await page.waitForSelector('th[aria-sort="descending"]');
  await page.waitForSelector('#instances tbody tr[data-id]');
  api = (await st.api(`/api/v1/definitions/Carrier/instances?sort=${encodeURIComponent(sort)}&offset=0&limit=25`)).body;
  await until(async () => JSON.stringify(await keys()) === JSON.stringify(api.items.map((i) => i.key)), 10000, 'sorted rows');

  // status filter and a field filter through the form
  const some = api.items[0];
  await page.selectOption('#f-status', some.status);
  await page.selectOption('#f-field', 'polarisation');
  await page.fill('#f-value', some.fields.polarisation);
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.waitForFunction(() => location.search.includes('f.polarisation'));
  await page.waitForSelector('#instances tbody tr[data-id]');
  api = (await st.api(`/api/v1/definitions/Carrier/instances?status=${encodeURIComponent(some.status)}&polarisation=${encodeURIComponent(some.fields.polarisation)}&sort=${encodeURIComponent(sort)}&offset=0&limit=25`)).body;
  await until(async () => JSON.stringify(await keys()) === JSON.stringify(api.items.map((i) => i.key)), 10000, 'filtered rows');
  assert.ok(api.total >= 1);

  // the key search shows the keys starting with what was typed, as the API gives them
  const prefix = some.key.slice(0, -1);
  const found = (await st.api(`/api/v1/definitions/Carrier/instances?search=${encodeURIComponent(prefix)}&limit=25`)).body;
  assert.ok(found.items.some((i) => i.key === some.key));
  await page.goto(`${st.base}/ui/definitions/Carrier?search=${encodeURIComponent(prefix)}`);
  await page.waitForSelector('#instances tbody tr[data-id]');
  assert.deepEqual(await keys(), found.items.map((i) => i.key));
  for (const k of await keys()) assert.ok(k.startsWith(prefix), k);
  // a bad filter value shows the API's message instead of failing silently
  await noProblems(page);
});

test('definition table: the columns are tableFields, a capped total reads "more than" and Next still works', async () => {
  const def = (await st.api('/api/v1/definitions/Carrier')).body;
  assert.ok(Array.isArray(def.tableFields) && def.tableFields.length > 0);
  const page = await open('/ui/definitions/Carrier?limit=25');
  await page.waitForSelector('#instances tbody tr[data-id]');
  const heads = await page.locator('#instances th button.sort').evaluateAll((b) => b.map((x) => x.textContent.trim()));
  assert.deepEqual(heads, [def.key, ...def.tableFields, 'modified']);
  assert.deepEqual(await page.locator('#instances th').evaluateAll((t) => t.map((x) => x.textContent.trim())),
    [def.key, 'status', ...def.tableFields, 'modified']);
  const offered = await page.locator('#f-field option').evaluateAll((o) => o.map((x) => x.value));
  assert.deepEqual(offered, def.tableFields);
  // A list whose total no index answers (a store past 10,000 matches): the API says
  // totalCapped; the page answered here is the real one with that flag set.
  await page.route('**/api/v1/definitions/Carrier/instances?*', async (route) => {
    const response = await route.fetch();
    const body = await response.json();
    await route.fulfill({ response, json: { ...body, total: 10000, totalCapped: true } });
  });
  await page.goto(`${st.base}/ui/definitions/Carrier?status=Active&f.polarisation=H&limit=25`);
  await page.waitForSelector('#range');
  const rows = await page.locator('#instances tbody tr[data-id]').count();
  const range = page.locator('#range');
  assert.equal(await range.getAttribute('data-capped'), 'true');
  assert.equal(await range.innerText(), `${rows ? 1 : 0}–${rows} of more than 10,000`);
  assert.equal(await page.getByRole('button', { name: 'Next →' }).isDisabled(), rows < 25);
  await page.goto(`${st.base}/ui/definitions/Carrier?limit=25`);
  await page.waitForSelector('#instances tbody tr[data-id]');
  assert.equal(await range.innerText(), '1–25 of more than 10,000');
  await page.getByRole('button', { name: 'Next →' }).click();
  await until(async () => (await page.url()).includes('offset=25'), 10000, 'next page of a capped list');
  await page.waitForFunction(() => /^26–\d+ of more than 10,000$/.test(document.querySelector('#range')?.textContent));
  await noProblems(page);
});

test('instance view: sections, owners, references as links, raw item, history', async () => {
  const list = (await st.api('/api/v1/definitions/Carrier/instances?limit=1')).body.items[0];
  const inst = (await st.api(`/api/v1/instances/${list.id}`)).body;
  const page = await open(`/ui/instances/${inst.id}`);
  await page.waitForSelector('table.fields');
  for (const sec of inst.sections) {
    for (const f of sec.fields) {
      const row = page.locator(`tr[data-field="${f.name}"]`).first();
      assert.equal(await row.locator('.owner').innerText(), f.owner, f.name);
    }
  }
  const ref = inst.sections.flatMap((s) => s.fields).find((f) => f.name === 'satellite' && f.value);
  if (ref) {
    const a = page.locator('tr[data-field="satellite"] td.value a').first();
    assert.equal(await a.innerText(), ref.value);
    await a.click();
    await page.waitForFunction(() => location.pathname.startsWith('/ui/definitions/Resource/'));
    await page.waitForSelector('table.fields');
    const res = (await st.api(`/api/v1/definitions/Resource/instances/${encodeURIComponent(ref.value)}`)).body;
    assert.match(await page.locator('h1').innerText(), new RegExp(res.key));
    await page.goBack();
    await page.waitForSelector(`text=${inst.key}`);
  }
  // A list of references: each value a link, separated by commas (not the text of an array).
  const refs = inst.sections.flatMap((s) => s.fields).find((f) => f.name === 'supportingService' && Array.isArray(f.value) && f.value.length);
  assert.ok(refs, 'the first carrier (seed 7) has supporting services');
  const cell = page.locator('tr[data-field="supportingService"] td.value .refs');
  assert.equal(await cell.innerText(), refs.value.join(', '));
  assert.deepEqual(await cell.locator('a').evaluateAll((as) => as.map((a) => a.textContent)), refs.value);
  await page.waitForSelector('#impact[aria-busy="false"]');
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, 'instance');
  const timeline = (await st.api(`/api/v1/instances/${inst.id}/timeline`)).body;
  assert.deepEqual(await page.locator('#timeline li').evaluateAll((li) => li.map((x) => x.dataset.value)),
    timeline.intervals.map((t) => t.value ?? ''));
  await page.locator('details summary').click();
  assert.deepEqual(JSON.parse(await page.locator('#raw').innerText()), inst.raw);
  await noProblems(page);
});

// The rows of one direction of the impact card, as the page shows them: id, definition,
// key, status text (and its colour class), depth, path; then the cycles and dangling lines.
async function shownImpact(page, dir) {
  return page.evaluate((d) => ({
    hits: [...document.querySelectorAll(`#impact-${d} tbody tr`)].map((tr) => {
      const td = tr.querySelectorAll('td');
      return { id: tr.dataset.id, depth: Number(td[0].textContent), definition: td[1].textContent,
        key: td[2].textContent, href: td[2].querySelector('a')?.getAttribute('href'),
        status: td[3].querySelector('.status').textContent, coloured: /status-\w/.test(td[3].querySelector('.status').className),
        removed: td[3].querySelectorAll('.status').length > 1, path: td[4].textContent,
        pathLinks: [...td[4].querySelectorAll('a')].map((a) => a.getAttribute('href')) };
    }),
    count: document.querySelector(`#impact-${d}-count`)?.textContent,
    cycles: [...document.querySelectorAll(`#impact-${d}-cycles li`)].map((li) => li.textContent),
    dangling: [...document.querySelectorAll(`#impact-${d}-dangling li`)].map((li) => li.textContent),
  }), dir);
}

function pathText(path) {
  return path.map((st, i) => (i ? ` ${st.fieldOf === st.id ? `<-${st.field}-` : `-${st.field}->`} ` : '') + st.key).join('');
}

function expectedImpact(dir) {
  return {
    hits: dir.hits.map((h) => ({ id: h.id, depth: h.depth, definition: h.definition, key: h.key,
      href: `/ui/instances/${encodeURIComponent(h.id)}`, status: h.status ?? '(none)', coloured: true, removed: h.removed,
      path: pathText(h.path), pathLinks: h.path.map((st) => `/ui/instances/${encodeURIComponent(st.id)}`) })),
    count: `${dir.count} instance${dir.count === 1 ? '' : 's'}${dir.truncated ? ' (truncated: the first 5000)' : ''}`,
    cycles: dir.cycles.map((c) => pathText(c.path)),
    dangling: dir.dangling.map((x) => `${x.from.key} (${x.from.definition}) ${x.field} → ${x.ref} names no stored instance`),
  };
}

test('instance view: impact down from a transponder and up from a service equal the API', async () => {
  // A transponder: what a carrier's transponder field names.
  const carriers = (await st.api('/api/v1/definitions/Carrier/instances?limit=100')).body.items;
  const tkey = carriers.map((c) => c.fields.transponder).find((t) => typeof t === 'string' && t);
  assert.ok(tkey, 'a carrier names a transponder');
  const transponder = (await st.api(`/api/v1/definitions/Resource/instances/${encodeURIComponent(tkey)}`)).body;
  // A service with something above it.
  const services = (await st.api('/api/v1/definitions/Service/instances?limit=100')).body.items;
  let service = null;
  let serviceImpact = null;
  for (const s of services) {
    const r = (await st.api(`/api/v1/instances/${s.id}/impact`)).body;
    if (r.up.count > 0) { service = s; serviceImpact = r; break; }
  }
  assert.ok(service, 'a service depends on something');
  const cases = [[transponder, 'down', (await st.api(`/api/v1/instances/${transponder.id}/impact`)).body],
    [service, 'up', serviceImpact]];
  for (const [inst, dir, answer] of cases) {
    assert.ok(answer[dir].count > 0, `${inst.key}: ${dir} is not empty`);
    const page = await open(`/ui/instances/${inst.id}`);
    await page.waitForSelector('#impact[aria-busy="false"]');
    assert.equal(await page.locator('#impact .error').count(), 0);
    for (const d of ['down', 'up']) {
      assert.deepEqual(await shownImpact(page, d), expectedImpact(answer[d]), `${inst.key} ${d}`);
    }
    if (dir === 'down') {
      await page.locator('#h-impact').scrollIntoViewIfNeeded();
      await page.evaluate(() => document.querySelector('#h-impact').scrollIntoView());
      await screenshot(page, 'instance-impact');
      // A hit's key leads to its own view.
      const first = answer.down.hits[0];
      await page.locator(`#impact-down tr[data-id="${first.id}"] td:nth-child(3) a`).click();
      await page.waitForFunction((id) => location.pathname === `/ui/instances/${id}`, first.id);
      await page.waitForSelector('#impact[aria-busy="false"]');
      assert.match(await page.locator('h1').innerText(), new RegExp(first.key));
    }
    await noProblems(page);
  }
});

test('runs view shows each run and source with its figures', async () => {
  const page = await open('/ui/runs');
  await page.waitForSelector('section.run');
  const runs = (await st.api('/api/v1/runs?limit=20')).body.items;
  assert.equal(await page.locator('section.run').count(), runs.length);
  for (const s of runs[0].sources) {
    for (const f of ['pages', 'items', 'created', 'rejected', 'failedPages']) {
      const cell = page.locator(`section[data-run="${runs[0].id}"] tr[data-source="${s.name}"] td[data-figure="${f}"]`);
      assert.equal(await cell.innerText(), Number(s[f]).toLocaleString('en-US'), `${s.name} ${f}`);
    }
  }
  await screenshot(page, 'runs');
  await noProblems(page);
});

test('keyboard: the skip link and the navigation work without a mouse', async () => {
  const page = await open('/ui/');
  await page.waitForSelector('td[data-count]');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to content');
  // Tab to the "Runs" link of the navigation and follow it with Enter.
  for (let i = 0; i < 20; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(() => document.activeElement.textContent === 'Runs')) break;
  }
  await page.keyboard.press('Enter');
  await page.waitForSelector('section.run');
  assert.equal(new URL(page.url()).pathname, '/ui/runs');
  await noProblems(page);
});

test('a phone-sized screen: no horizontal scrolling of the page', async () => {
  for (const path of ['/ui/', '/ui/carriers', '/ui/definitions/Service']) {
    const page = await open(path, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await page.waitForSelector('main h1');
    await page.waitForLoadState('networkidle');
    const wide = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(wide <= 1, `${path}: the page is ${wide}px wider than the screen`);
    if (path === '/ui/') await screenshot(page, 'overview-phone');
    await noProblems(page);
    await page.context().close();
  }
});
