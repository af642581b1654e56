#!/usr/bin/env node
// The Node.js baseline of `make bench` (issue 11): the script a user would write in an
// afternoon instead of tmfinv. fetch (built into Node) + JSON.parse + better-sqlite3.
//
// Walks the SES gateway's two collections (/tmf638/service, /tmf639/resource) page after
// page, 40 items a page, sequentially over one keep-alive connection (fetch's default
// agent keeps it alive); the first item with a key wins (services and carriers by
// externalId, resources by id, the keys of tmfinv's `ses` profile; the resource types the
// SES connector excludes are skipped, items without a key too); each page is one
// `INSERT ... ON CONFLICT DO UPDATE` transaction into the table
// `item (key, source, name, status, type, body)` with one extra index on (source, status).
//
// Usage: node sync_node.mjs --base http://HOST:PORT --db FILE [--page-size 40]
// Prints one JSON line: items, pages, seconds, rows (in the table at the end), upserts,
// bytes (bodies as received), skipped (duplicates, no key, excluded).
import Database from 'better-sqlite3';

const SOURCES = [['services', '/tmf638/service', 'externalId'], ['resources', '/tmf639/resource', 'id']];
const EXCLUDED_TYPES = new Set(['Card', 'BandwidthSegment', 'LogicalPort', 'Multicast', 'Slot', 'Port', 'Circuit']);

function parseArgs(argv) {
  const args = { pageSize: 40 };
  for (let i = 0; i < argv.length; i++) {
    const [name, inline] = argv[i].split(/=(.*)/s, 2);
    const value = inline !== undefined ? inline : argv[++i];
    if (name === '--base') args.base = value;
    else if (name === '--db') args.db = value;
    else if (name === '--page-size') args.pageSize = Number(value);
    else throw new Error(`unknown option '${name}'`);
  }
  if (!args.base || !args.db || !(args.pageSize > 0)) throw new Error('usage: sync_node.mjs --base URL --db FILE [--page-size N]');
  return args;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const start = performance.now();
  const db = new Database(args.db);
  // The two settings every SQLite guide recommends (and tmfinv's store uses).
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`CREATE TABLE IF NOT EXISTS item (
    key TEXT NOT NULL, source TEXT NOT NULL, name TEXT, status TEXT, type TEXT, body TEXT NOT NULL,
    PRIMARY KEY (source, key));
    CREATE INDEX IF NOT EXISTS item_by_status ON item (source, status);`);
  const upsert = db.prepare(`INSERT INTO item (key, source, name, status, type, body) VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (source, key) DO UPDATE SET name = excluded.name, status = excluded.status,
    type = excluded.type, body = excluded.body`);
  const storePage = db.transaction((rows) => { for (const r of rows) upsert.run(r); });

  let items = 0, pages = 0, upserts = 0, bytes = 0, skipped = 0;
  for (const [source, path, keyField] of SOURCES) {
    const seen = new Set();
    for (let page = 1; ; page++) {
      const res = await fetch(`${args.base}${path}?page=${page}&recordsPerPage=${args.pageSize}`);
      if (!res.ok) throw new Error(`${path} page ${page}: HTTP ${res.status}`);
      const text = await res.text();
      bytes += Buffer.byteLength(text);
      const batch = JSON.parse(text);
      pages++;
      items += batch.length;
      const rows = [];
      for (const it of batch) {
        const key = typeof it[keyField] === 'string' ? it[keyField].trim() : '';
        if (!key || seen.has(key) || EXCLUDED_TYPES.has(it['@type'])) { skipped++; continue; }
        seen.add(key);
        rows.push([key, source, it.name ?? null, it.status ?? null, it['@type'] ?? null, JSON.stringify(it)]);
      }
      storePage(rows);
      upserts += rows.length;
      if (batch.length < args.pageSize) break;
    }
  }
  const rowsInTable = db.prepare('SELECT count(*) AS n FROM item').get().n;
  db.close();
  console.log(JSON.stringify({
    baseline: 'node', items, pages, seconds: Math.round(performance.now() - start) / 1000,
    rows: rowsInTable, upserts, bytes, skipped,
  }));
}

main().catch((err) => { console.error(`sync_node: ${err.message}`); process.exit(1); });
