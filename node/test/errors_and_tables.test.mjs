// The SDK's error classes with instanceof, Arrow batches and row objects from openTable, and a Promise API that
// leaves the event loop free while the engine works.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import lakefeed from '../index.js';
import { tmp } from './helpers.mjs';

const { ManagedClient, ManagedServiceError, TableError, IngestError, AuthError } = lakefeed;

test('errors are the SDK classes', async () => {
  const client = new ManagedClient({ store: tmp() });
  await assert.rejects(client.query('SELECT * FROM missing'), (e) => e instanceof TableError
    && e instanceof ManagedServiceError && e.notFound === true && /missing/.test(e.message));
  await assert.rejects(client.ingest('t', null), IngestError);
  await assert.rejects(client.ingest('t', { a: [1] }, { schema: { a: 'NOPE' } }), IngestError);
  await assert.rejects(client.ingest('t', null, { format: 'coco', formatOptions: { images_dir: '/no/such/dir' } }),
    (e) => e instanceof IngestError && /no\/such\/dir/.test(e.message));
  const bad = new ManagedClient({ token: 'not-a-jwt', apiUrl: 'http://127.0.0.1:9' });
  await assert.rejects(bad.listTables(), (e) => e instanceof ManagedServiceError);
  assert.ok(new AuthError('x') instanceof ManagedServiceError);
});

test('openTable gives Arrow batches and row objects', async () => {
  const client = new ManagedClient({ store: tmp() });
  const n = 25000;
  await client.ingest('t', { id: Array.from({ length: n }, (_, i) => i), text: Array.from({ length: n }, (_, i) => `row ${i}`) });
  const table = await client.openTable('t');
  assert.equal(await table.count(), n);
  let rows = 0;
  for await (const batch of table.batches(10000)) {
    assert.ok(batch.numRows <= 10000);
    assert.deepEqual(batch.schema.fields.map((f) => f.name), ['id', 'text']);
    rows += batch.numRows;
  }
  assert.equal(rows, n);
  const first = [];
  for await (const r of table.select('text').rows(5)) {
    first.push(r);
    if (first.length === 3) break;
  }
  assert.deepEqual(first, [{ text: 'row 0' }, { text: 'row 1' }, { text: 'row 2' }]);
});

test('a long ingest leaves the event loop free', async () => {
  const client = new ManagedClient({ store: tmp() });
  const n = 300000;
  const data = { id: Array.from({ length: n }, (_, i) => i), text: Array.from({ length: n }, (_, i) => `document ${i}`) };
  let ticks = 0;
  const timer = setInterval(() => { ticks++; }, 5);
  const started = Date.now();
  await client.ingest('big', data);
  const ms = Date.now() - started;
  clearInterval(timer);
  // Blocked, the timer would fire about once in all; free, it fires on most 5 ms turns.
  assert.ok(ticks >= Math.floor(ms / 50), `${ticks} ticks in ${ms} ms`);
});
