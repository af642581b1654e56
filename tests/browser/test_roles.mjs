// test_roles.mjs: tokens and edits in chromium against a real serve with a tokens file:
// without a token the dashboard asks for one (and no request fails); a wrong token is
// refused; a write token gets editors only for local and initial fields (never for a
// source's field), its edit of a local field (note) shows after a reload, in the API and
// in the history; a read token sees no edit control and its PATCH is refused (403).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launch, newPage, screenshot, startStack } from './harness.mjs';

const WRITE = 'write-token-for-the-browser';
const READ = 'read-token-for-the-browser';
let st;
let browser;

before(async () => {
  st = await startStack({ tokens: { writer: ['write', WRITE], reader: ['read', READ] } });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await st?.stop();
});

async function done(page) {
  const problems = [...page.problems];
  await page.context().close();
  assert.deepEqual(problems, [], 'console errors or failed requests');
}

test('sign in: asked for a token, a wrong one refused, a good one shows the overview', async () => {
  const page = await newPage(browser);
  await page.goto(`${st.base}/ui/`);
  await page.waitForSelector('form.signin');
  await page.fill('#token', 'not-a-token');
  await page.keyboard.press('Enter');
  await page.waitForSelector('form.signin .error');
  await page.fill('#token', READ);
  await page.keyboard.press('Enter');
  await page.waitForSelector('td[data-count]');
  assert.match(await page.locator('#who').innerText(), /reader · read only/);
  await done(page);
});

test('a write token edits a local field; the edit persists', async () => {
  const carrier = (await st.api('/api/v1/definitions/Carrier/instances?limit=1')).body.items[0];
  const page = await newPage(browser, { token: WRITE });
  await page.goto(`${st.base}/ui/instances/${carrier.id}`);
  await page.waitForSelector('table.fields');
  // only local and initial fields have an editor
  const editable = await page.locator('form.edit').evaluateAll((f) => f.map((x) => x.dataset.field));
  const detail = (await st.api(`/api/v1/instances/${carrier.id}`)).body;
  const owners = Object.fromEntries(detail.sections.flatMap((s) => s.fields).map((f) => [f.name, f.owner]));
  assert.ok(editable.includes('note'));
  for (const f of editable) assert.notEqual(owners[f], 'source', f);
  assert.equal(await page.locator('form.edit[data-field="name"]').count(), 0);

  await page.fill('#edit-note', 'checked by the NOC');
  await page.locator('form.edit[data-field="note"] button').click();
  await page.waitForSelector('tr[data-field="note"] td.value:has-text("checked by the NOC")');
  await screenshot(page, 'instance-edit');
  await page.reload();
  await page.waitForSelector('table.fields');
  assert.match(await page.locator('tr[data-field="note"] td.value').innerText(), /checked by the NOC/);
  const after = (await st.api(`/api/v1/instances/${carrier.id}`)).body;
  assert.equal(after.fields.note, 'checked by the NOC');
  const history = (await st.api(`/api/v1/instances/${carrier.id}/history`)).body;
  assert.ok(history.some((h) => h.field === 'note' && h.after === 'checked by the NOC'));
  await done(page);
});

test('a read token sees no edit control, and its PATCH is refused', async () => {
  const carrier = (await st.api('/api/v1/definitions/Carrier/instances?limit=1')).body.items[0];
  const page = await newPage(browser, { token: READ });
  await page.goto(`${st.base}/ui/instances/${carrier.id}`);
  await page.waitForSelector('table.fields');
  assert.equal(await page.locator('form.edit').count(), 0);
  assert.equal(await page.locator('main button:has-text("Save")').count(), 0);
  await page.goto(`${st.base}/ui/runs`);
  await page.waitForSelector('section.run');
  assert.equal(await page.locator('#sync-now').count(), 0);
  const problems = [...page.problems];
  // the server refuses it whatever the page shows
  const status = await page.evaluate(async ([id, token]) => (await fetch(`/tmf-api/serviceInventory/v4/service/${id}`, {
    method: 'PATCH', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/merge-patch+json' },
    body: JSON.stringify({ note: 'from a read token' }),
  })).status, [carrier.id, READ]);
  assert.equal(status, 403);
  assert.notEqual((await st.api(`/api/v1/instances/${carrier.id}`)).body.fields.note, 'from a read token');
  await page.context().close();
  assert.deepEqual(problems, []);
});
