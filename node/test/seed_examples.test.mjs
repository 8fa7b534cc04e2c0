// The seed's Ingestion, Querying and Table Management examples and its decision trees' Node branches, with only
// the import line changed, against the local store and against `lakefeed serve`.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

import lakefeed from '../index.js';
import { ROOT, clientKinds } from './helpers.mjs';

const { ManagedClient, TableError } = lakefeed;
const FIXTURES = path.join(ROOT, '..', 'shared', 'fixtures');
const FILES = path.join(ROOT, 'examples', 'files');

const kinds = clientKinds(ManagedClient);

for (const [kind, make] of Object.entries(kinds)) {
  describe(`seed examples (${kind})`, () => {
    test('ingestion branches: files with chunking, explicit schema, HuggingFace, formats by name', async () => {
      const client = make();
      const small = await client.ingest('docs', { path: [path.join(FILES, 'notes.md')] },
        { schema: { path: 'FILE' }, chunkSize: 200, chunkOverlap: 50 });
      const large = await client.ingest('docs_big', { path: [path.join(FILES, 'notes.md')] }, { schema: { path: 'FILE' } });
      assert.ok(small.row_count > large.row_count, `${small.row_count} vs ${large.row_count}`);

      await client.ingest('people', { name: ['Alice', 'Bob'], count: [30, 25], vector: [[1, 0], [0, 1]] },
        { schema: { name: 'TEXT', count: 'INT64', vector: 'EMBEDDING' } });
      assert.deepEqual(await client.query('SELECT name, count FROM people ORDER BY count'),
        [{ name: 'Bob', count: 25 }, { name: 'Alice', count: 30 }]);

      const hf = path.join(FIXTURES, 'huggingface', 'coco_mini_captions_hub_parquet');
      if (existsSync(hf)) {
        const out = await client.ingest('captions', { _huggingface: hf });
        assert.ok(out.row_count > 0);
      }
      const lerobot = path.join(FIXTURES, 'lerobot-v21', 'g1_pick_bottle_partial');
      if (existsSync(lerobot)) {
        const tasks = await client.ingest('tasks', null, { format: 'lerobot-tasks', formatOptions: { dataset_dir: lerobot } });
        assert.ok(tasks.row_count >= 1);
        const frames = await client.ingest('frames', null,
          { format: { name: 'lerobot-frames', options: { dataset_dir: lerobot, chunk_start: 0, chunk_end: 0 } } });
        assert.ok(frames.row_count > 100);
      }
    });

    test('querying branches: vector, text, hybrid search and streaming', async () => {
      const client = make();
      const documents = ['the gripper holds the cup', 'lidar maps the room', 'the gripper drops the cup'];
      const embeddings = [[1, 0, 0], [0, 1, 0], [0.9, 0.1, 0]];
      await client.ingest('search_index', { text: documents, embedding: embeddings }, { index: ['embedding', 'text'] });
      await client.createIndex('search_index', 'text');
      const vec = await client.query(
        'SELECT *, embedding <#> $1 AS score FROM search_index ORDER BY score DESC LIMIT 10', [[0, 1, 0]]);
      assert.equal(vec[0].text, 'lidar maps the room');
      const text = await client.query('SELECT * FROM search_index WHERE text @> $1', ['gripper']);
      assert.equal(text.length, 2);
      const hybrid = await client.query(
        `SELECT *, (embedding, text)::deeplake_hybrid_record <#>
           deeplake_hybrid_record($1, $2, 0.7, 0.3) AS score
         FROM search_index ORDER BY score DESC LIMIT 10`, [[1, 0, 0], 'gripper cup']);
      assert.equal(hybrid[0].text, 'the gripper holds the cup');
      const fluent = await client.table('search_index').select('text').limit(100).execute();
      assert.equal(fluent.length, 3);
      let n = 0;
      for await (const batch of (await client.openTable('search_index')).batches(2)) n += batch.numRows;
      assert.equal(n, 3);
      await assert.rejects(client.query('SELECT * FROM nope'), TableError);
    });
  });
}
