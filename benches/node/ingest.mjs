// Node package benchmark (issue 22): (a) the fixture files ingested from Node vs the CLI, in the same run, with
// fresh stores each time; (b) 1M rows (id, text) streamed back through openTable().batches() vs the CLI reading
// the Rust client reading the same table through the Python package (`open_table().to_batches()`, timed inside
// Python) and the CLI (`query "SELECT id, text FROM t" --output csv`, which also formats every row).
// usage: node benches/node/ingest.mjs LAKEFEED_BIN FIXTURES [RUNS]
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { ManagedClient } = require('../../node/index.js');
const [bin, fixtures, runsArg] = process.argv.slice(2);
const runs = Number(runsArg || 5);
const dirs = ['image', 'pdf', 'text', 'video'].map((k) => path.join(fixtures, 'files', k));
const tmp = () => mkdtempSync(path.join(tmpdir(), 'lf-bench-'));
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

const cli = [], node = [];
for (let r = 0; r < runs; r++) {
  let t = performance.now();
  const o = spawnSync(bin, ['--store', tmp(), 'ingest', 'media', ...dirs], { env: { ...process.env, LAKEFEED_LOG: 'warn' } });
  if (o.status !== 0) throw new Error(String(o.stderr));
  cli.push((performance.now() - t) / 1000);
  const client = new ManagedClient({ store: tmp() });
  await client.listTables(); // opened before timing, as the CLI's store is opened inside its run
  t = performance.now();
  await client.ingest('media', { path: dirs }, { schema: { path: 'FILE' } });
  node.push((performance.now() - t) / 1000);
}
const c = median(cli), n = median(node);
console.log(`| fixture files (${runs} runs) | seconds (median) | vs CLI |\n|---|---|---|`);
console.log(`| lakefeed CLI (process, store opened inside) | ${c.toFixed(3)} | 1.00 |`);
console.log(`| Node ManagedClient.ingest | ${n.toFixed(3)} | ${(n / c).toFixed(2)} |`);

const rows = 1_000_000;
const store = tmp();
const client = new ManagedClient({ store });
const ids = Array.from({ length: rows }, (_, i) => i);
const texts = ids.map((i) => `document number ${i} about robots`);
await client.ingest('t', { id: ids, text: texts });
const py = process.env.LAKEFEED_PYVENV ? path.join(process.env.LAKEFEED_PYVENV, 'bin', 'python') : 'python3';
const pyScan = 'import sys, time, lakefeed\n'
  + 't = time.perf_counter(); n = sum(b.num_rows for b in lakefeed.Client(store=sys.argv[1]).open_table("t").to_batches(10000))\n'
  + 'print(time.perf_counter() - t, n)';
const scanNode = [], scanCli = [], scanRust = [];
for (let r = 0; r < 3; r++) {
  let t = performance.now();
  let seen = 0;
  for await (const b of (await client.openTable('t')).batches(10000)) seen += b.numRows;
  if (seen !== rows) throw new Error(`read ${seen}`);
  scanNode.push((performance.now() - t) / 1000);
  t = performance.now();
  const o = spawnSync(bin, ['--store', store, 'query', 'SELECT id, text FROM t', '--output', 'csv'], { maxBuffer: 1 << 30 });
  if (o.status !== 0) throw new Error(String(o.stderr));
  scanCli.push((performance.now() - t) / 1000);
  const p = spawnSync(py, ['-c', pyScan, store], { encoding: 'utf8' });
  if (p.status !== 0) throw new Error(p.stderr);
  scanRust.push(Number(p.stdout.split(' ')[0]));
}
console.log(`\n| ${rows} rows (id, text) read back | seconds (median of 3) | rows/s |\n|---|---|---|`);
console.log(`| Node openTable().batches(10000) (apache-arrow RecordBatches) | ${median(scanNode).toFixed(3)} | ${(rows / median(scanNode)).toFixed(0)} |`);
console.log(`| Rust client through the Python package, open_table().to_batches(10000) (pyarrow) | ${median(scanRust).toFixed(3)} | ${(rows / median(scanRust)).toFixed(0)} |`);
console.log(`| lakefeed CLI query → CSV | ${median(scanCli).toFixed(3)} | ${(rows / median(scanCli)).toFixed(0)} |`);
