// test_carriers.mjs: the carrier status board in chromium against a real serve over the
// simulator: a tile per carrier, coloured by status and labelled with it, grouped by
// satellite (or gateway); after the simulator moves to its next epoch and serve syncs, a
// carrier whose status changed changes colour and label on the open page, without a
// reload. No console error, no failed request.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launch, newPage, screenshot, startStack, until } from './harness.mjs';

let st;
let browser;

before(async () => {
  st = await startStack({ carriers: 60 });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await st?.stop();
});

const KIND = { Operational: 'good', Degraded: 'warn', Maintenance: 'warn', Down: 'bad', Planned: 'info' };

async function carriers() {
  return (await st.api('/api/v1/definitions/Carrier/instances?limit=1000')).body.items;
}

async function tiles(page) {
  return page.locator('#board li.tile').evaluateAll((els) => Object.fromEntries(els.map((t) =>
    [t.dataset.id, { status: t.dataset.status, cls: t.className, label: t.querySelector('.status')?.textContent,
      group: t.closest('section')?.dataset.group }])));
}

test('the board changes a tile when a sync changes its status, without reloading', async () => {
  const page = await newPage(browser);
  await page.goto(`${st.base}/ui/carriers`);
  await page.waitForSelector('#board li.tile');
  let api = await carriers();
  let board = await tiles(page);
  assert.equal(Object.keys(board).length, api.length);
  for (const c of api) {
    const t = board[c.id];
    assert.ok(t, c.key);
    assert.equal(t.status, c.status);
    assert.equal(t.label, c.status, 'the status is written, not only coloured');
    assert.match(t.cls, new RegExp(`status-${KIND[c.status] || 'none'}`), `${c.key} ${c.status}`);
    assert.equal(t.group, String(c.fields.satellite ?? '(none)'));
  }
  await screenshot(page, 'carriers');
  await page.evaluate(() => { window.stillHere = true; });

  // Next epochs until a carrier's status changes (the simulator changes a few per epoch).
  const before = Object.fromEntries(api.map((c) => [c.id, c.status]));
  let changed = [];
  for (let epoch = 0; epoch < 10 && changed.length === 0; epoch++) {
    const runs = (await st.api('/api/v1/runs?limit=100')).body.items.length;
    assert.equal((await fetch(`${st.simBase}/_sim/epoch`, { method: 'POST' })).status, 200);
    assert.equal((await st.api('/api/v1/sync', { method: 'POST' })).status, 202);
    await st.waitRuns(runs + 1);
    api = await carriers();
    changed = api.filter((c) => before[c.id] !== undefined && before[c.id] !== c.status);
  }
  assert.ok(changed.length > 0, 'no carrier changed status in 10 epochs');
  const c = changed[0];
  await until(async () => (await tiles(page))[c.id]?.status === c.status, 15000, `tile ${c.key} to say ${c.status}`);
  board = await tiles(page);
  assert.equal(board[c.id].label, c.status);
  assert.match(board[c.id].cls, new RegExp(`status-${KIND[c.status] || 'none'}`));
  if ((KIND[c.status] || 'none') !== (KIND[before[c.id]] || 'none'))
    assert.doesNotMatch(board[c.id].cls, new RegExp(`status-${KIND[before[c.id]] || 'none'}`));
  assert.equal(await page.evaluate(() => window.stillHere), true, 'the page was reloaded');

  // grouped by gateway on request
  await page.selectOption('#group-by', 'gateway');
  await until(async () => {
    const t = await tiles(page);
    return api.every((x) => t[x.id] && t[x.id].group === String(x.fields.gateway ?? '(none)'));
  }, 10000, 'tiles grouped by gateway');
  const problems = [...page.problems];
  await page.context().close();
  assert.deepEqual(problems, []);
});
