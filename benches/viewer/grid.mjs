// Viewer benchmark (issue 23), in Debian's headless Chromium against `lakefeed view` on a 100k-row image table:
// the grid's first paint (navigation to 60 thumbnails decoded), each further page while scrolling (fetch and
// render), and filters: a WHERE on a plain column, a facet click, and a BM25 search through the full-text index.
// usage: node benches/viewer/grid.mjs LAKEFEED_BIN STORE TABLE [ROUNDS]   (STORE made by scripts/bench.sh viewer)
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { chromium } = createRequire(path.join(root, 'viewer/package.json'))('playwright-core');
const [bin, store, table, roundsArg] = process.argv.slice(2);
const rounds = Number(roundsArg || 5);
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const max = (v) => Math.max(...v);

const child = spawn(bin, ['--store', store, 'view', '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, LAKEFEED_LOG: 'warn' } });
const url = await new Promise((resolve) => {
  let out = '';
  child.stdout.on('data', (d) => { out += d; const m = out.match(/viewer on (http:\/\/\S+)/); if (m) resolve(m[1]); });
});
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

/** Milliseconds from navigation start to 60 thumbnails decoded. */
async function firstPaint() {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${url}#/w/local/t/${table}`);
  await page.waitForFunction(() => document.querySelectorAll('.grid .card img').length >= 60);
  const ms = await page.evaluate(async () => {
    await Promise.all([...document.querySelectorAll('.grid .card img')].slice(0, 60).map((i) => i.decode()));
    return performance.now();
  });
  return { page, ms };
}

/** Each further page's fetch and render, scrolling `pages` pages down. */
async function scrolling(page, pages) {
  for (let i = 0; i < pages; i++) {
    const loaded = await page.evaluate(() => Number(document.querySelector('.results').dataset.loaded));
    await page.evaluate(() => scrollTo(0, document.body.scrollHeight));
    await page.waitForFunction((n) => Number(document.querySelector('.results').dataset.loaded) > n, loaded);
  }
  return page.evaluate(() => performance.getEntriesByName('lakefeed:page').filter((m) => m.detail.offset > 0).map((m) => m.duration));
}

/** Milliseconds from a route change to its first page rendered. */
async function routed(page, hash) {
  return page.evaluate(async (h) => {
    const before = performance.getEntriesByName('lakefeed:first-page').length;
    const t0 = performance.now();
    location.hash = h;
    while (performance.getEntriesByName('lakefeed:first-page').length === before) await new Promise((r) => setTimeout(r, 2));
    return performance.getEntriesByName('lakefeed:first-page').at(-1).startTime - t0;
  }, hash);
}

const first = [], pages = [], where = [], facet = [], search = [];
for (let r = 0; r < rounds; r++) {
  const { page, ms } = await firstPaint();
  first.push(ms);
  pages.push(...(await scrolling(page, 10)));
  where.push(await routed(page, `#/w/local/t/${table}?where=${encodeURIComponent("label = 'cat'")}`));
  facet.push(await routed(page, `#/w/local/t/${table}?where=${encodeURIComponent("label = 'dog'")}`));
  search.push(await routed(page, `#/w/local/t/${table}?q=${encodeURIComponent('shiny cat')}`));
  await page.close();
}
await browser.close();
child.kill('SIGTERM');
const f = (v) => v.toFixed(0);
console.log(`| measure (${rounds} rounds) | median ms | max ms | goal ms |`);
console.log('|---|---|---|---|');
console.log(`| grid first paint (navigation → 60 thumbnails decoded) | ${f(median(first))} | ${f(max(first))} | 1000 |`);
console.log(`| each further page (fetch + render, ${pages.length} pages) | ${f(median(pages))} | ${f(max(pages))} | 150 |`);
console.log(`| WHERE label = 'cat' (no index), first page | ${f(median(where))} | ${f(max(where))} | — |`);
console.log(`| another WHERE (a facet value), first page | ${f(median(facet))} | ${f(max(facet))} | — |`);
console.log(`| BM25 search through the full-text index, 60 results | ${f(median(search))} | ${f(max(search))} | 300 |`);
