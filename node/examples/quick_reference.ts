// The seed's Node Quick Reference, with only the import line changed (checked by `tsc --noEmit`).
import { ManagedClient, TableError, type Format } from 'lakefeed';

async function main(): Promise<void> {
  const client = new ManagedClient({ token: 'dl_xxx', workspaceId: 'my-workspace' });

  // Ingest files (FILE schema)
  await client.ingest('videos', { path: ['video1.mp4'] }, { schema: { path: 'FILE' } });

  // Ingest structured data
  await client.ingest('embeddings', {
    text: ['doc1', 'doc2'],
    embedding: [[0.1, 0.2], [0.3, 0.4]],
  });

  // Ingest with format object
  const myFormat: Format = {
    *normalize() { yield { id: ['a'], image: [new Uint8Array([1, 2, 3])] }; },
    imageColumns: () => ['image'],
  };
  await client.ingest('table', null, { format: myFormat, onProgress: (n, total) => console.log(n, total) });

  // Fluent query (use .execute())
  const results = await client.table('videos')
    .select('id', 'text').where('file_id = $1', 'abc').limit(10).execute();
  console.log(results.length);

  // Raw SQL
  const rows = await client.query('SELECT * FROM videos LIMIT 10');
  const near = await client.query('SELECT id, embedding <#> $1 AS s FROM embeddings ORDER BY s DESC LIMIT 5', [[0.1, 0.2]]);
  console.log(rows, near);

  // Table management
  await client.listTables();
  await client.dropTable('old_table');
  await client.createIndex('embeddings', 'embedding');

  // Streaming for training
  const table = await client.openTable('embeddings');
  for await (const batch of table.batches(32)) console.log(batch.numRows);

  try {
    await client.query('SELECT * FROM missing');
  } catch (e) {
    if (e instanceof TableError) console.log(e.message);
  }
}

void main();
