// The seed's Node examples (Quick Reference, Ingestion, Querying, Table Management), with only the import line
// changed, against the local store and against `lakefeed serve`.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';

import lakefeed from '../index.js';
import { ROOT, clientKinds } from './helpers.mjs';

const { ManagedClient } = lakefeed;
const FILES = path.join(ROOT, 'examples', 'files');

const kinds = clientKinds(ManagedClient);

for (const [kind, make] of Object.entries(kinds)) {
  describe(`quick reference (${kind})`, () => {
    test('files, column data, fluent and raw queries, table management', async () => {
      const client = make();
      const files = await client.ingest('videos', { path: [path.join(FILES, 'testsrc.mp4'), path.join(FILES, 'notes.md')] }, { schema: { path: 'FILE' } });
      assert.equal(files.table_name, 'videos');
      assert.ok(files.row_count > 2, JSON.stringify(files));

      const emb = await client.ingest('embeddings', {
        text: ['doc1 about robots', 'doc2 about lidar'],
        embedding: [[0.1, 0.2], [0.3, 0.4]],
      }, { index: ['text'] });
      assert.equal(emb.row_count, 2);

      const results = await client.table('videos')
        .select('id', 'text').where('file_id = $1', 'nope').limit(10).execute();
      assert.deepEqual(results, []);
      const some = await client.table('videos').select('id').orderBy('id').limit(2).offset(1).execute();
      assert.equal(some.length, 2);

      const rows = await client.query('SELECT * FROM embeddings ORDER BY text LIMIT 10');
      assert.deepEqual(rows.map((r) => r.text), ['doc1 about robots', 'doc2 about lidar']);
      const near = await client.query(
        'SELECT text, embedding <#> $1 AS similarity FROM embeddings ORDER BY similarity DESC LIMIT 1',
        [[0.3, 0.4]],
      );
      assert.equal(near[0].text, 'doc2 about lidar');
      const bm25 = await client.query("SELECT text FROM embeddings WHERE text @> 'lidar'");
      assert.deepEqual(bm25.map((r) => r.text), ['doc2 about lidar']);

      assert.deepEqual((await client.listTables()).filter((t) => t !== 'thumbnails'), ['embeddings', 'videos']);
      await client.createIndex('embeddings', 'embedding');
      await client.dropTable('embeddings');
      await client.dropTable('embeddings'); // ifExists defaults to true
      assert.ok(!(await client.listTables()).includes('embeddings'));
    });
  });
}
