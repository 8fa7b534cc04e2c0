// Custom JS formats (the Python SDK's Format interface: normalize(), pgSchema(), imageColumns()), registered
// formats by name, and onProgress.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import lakefeed from '../index.js';
import { ROOT, tmp } from './helpers.mjs';

const { ManagedClient, IngestError } = lakefeed;
const FILES = path.join(ROOT, 'examples', 'files');

test('a custom format with an IMAGE column gets thumbnails', async () => {
  const png = readFileSync(path.join(FILES, 'checker.png'));
  const jpg = readFileSync(path.join(FILES, 'frame.jpg'));
  const format = {
    async *normalize() {
      yield { id: ['a', 'b'], image: [png, jpg], score: [0.5, 1.5] };
      yield { id: ['c'], image: [png], score: [2] };
    },
    schema: () => ({ score: 'FLOAT64' }),
    pgSchema: () => ({ id: 'TEXT' }),
    imageColumns: () => ['image'],
  };
  const client = new ManagedClient({ store: tmp() });
  const seen = [];
  const out = await client.ingest('pics', null, { format, onProgress: (n) => seen.push(n) });
  assert.equal(out.row_count, 3);
  assert.equal(out.report.rows.thumbnails, 12);
  const rows = await client.query('SELECT id, score FROM pics ORDER BY id');
  assert.deepEqual(rows, [{ id: 'a', score: 0.5 }, { id: 'b', score: 1.5 }, { id: 'c', score: 2 }]);
  const thumbs = await client.query("SELECT count(*) AS n FROM thumbnails WHERE column_name = 'image'");
  assert.equal(thumbs[0].n, 12);
  assert.equal(seen.at(-1), 3);
});

test('an exception in normalize() rejects the ingest with its message', async () => {
  const client = new ManagedClient({ store: tmp() });
  const format = {
    *normalize() {
      yield { x: [1, 2] };
      throw new Error('the camera feed went away');
    },
  };
  await assert.rejects(client.ingest('t', null, { format }),
    (e) => e instanceof IngestError && /the camera feed went away/.test(e.message));
});

test('registered formats by name, with progress', async () => {
  const client = new ManagedClient({ store: tmp() });
  const calls = [];
  const out = await client.ingest('rows', null, {
    format: 'rows', formatOptions: { path: path.join(ROOT, 'examples', 'rows.jsonl') },
    onProgress: (n, total) => calls.push([n, total]),
  });
  assert.equal(out.row_count, 12);
  assert.ok(calls.length >= 1 && calls.at(-1)[0] === 12, JSON.stringify(calls));
});
