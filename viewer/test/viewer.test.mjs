// The viewer in a real browser (Debian's Chromium) against `lakefeed view` on a store filled from the fixtures.
// Every page is saved as a screenshot under viewer/test-output/.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fillStore, launch, newPage, shoot, sql, startViewer } from './helpers.mjs';

let store;
let viewer;
let browser;

before(async () => {
  store = fillStore();
  viewer = await startViewer(store);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  viewer?.stop();
});

const at = (path) => `${viewer.url}#/w/local${path}`;
const rowids = (rows) => rows.map((r) => String(r._rowid));

async function open(path) {
  const page = await newPage(browser);
  await page.goto(at(path));
  return page;
}

describe('tables and grid', () => {
  test('the tables page lists every table with its row count and column types', async () => {
    const page = await open('');
    const coco = page.locator('tr[data-table="coco"]');
    await coco.waitFor();
    const text = await coco.innerText();
    const [{ n }] = sql(store, 'SELECT count(*) AS n FROM coco');
    assert.match(text, new RegExp(`\\b${n}\\b`));
    assert.match(text, /image IMAGE/);
    assert.match(text, /mask SEGMENT_MASK/);
    assert.match(await page.locator('tr[data-table="media"]').innerText(), /text TEXT fts/);
    await shoot(page, 'tables');
    assert.deepEqual(page.dialogs, []);
  });

  test('the grid shows each row\'s thumbnail, in table order, and scrolls to the end', async () => {
    const page = await open('/t/coco');
    await page.locator('.grid .card').first().waitFor();
    const expected = sql(store, 'SELECT filename FROM coco').map((r) => r.filename);
    // Scroll until every row is loaded.
    for (let i = 0; i < 20 && (await page.locator('.grid .card').count()) < expected.length; i++) {
      await page.mouse.wheel(0, 4000);
      await page.waitForTimeout(150);
    }
    const cards = await page.locator('.grid .card').evaluateAll((els) => els.map((a) => {
      const img = a.querySelector('img');
      return { caption: a.querySelector('.caption').textContent, src: img?.src.slice(0, 23), w: img?.naturalWidth, h: img?.naturalHeight };
    }));
    assert.deepEqual(cards.map((c) => c.caption), expected);
    for (const c of cards) {
      assert.equal(c.src, 'data:image/jpeg;base64,');
      assert.equal(Math.max(c.w, c.h), 128, `a 128 px thumbnail for ${c.caption}`);
    }
    await page.evaluate(() => scrollTo(0, 0));
    await shoot(page, 'grid-coco');
  });
});

describe('rows', () => {
  test('a COCO row shows its mask and boxes, each category toggled from the legend', async () => {
    const [row] = sql(store, 'SELECT _rowid FROM coco WHERE num_objects >= 3 ORDER BY num_objects DESC LIMIT 1');
    const page = await open(`/t/coco/r/${row._rowid}`);
    const figure = page.locator('figure.overlaid[data-ready="true"]');
    await figure.waitFor();
    const canvas = figure.locator('canvas.overlay');
    const painted = Number(await canvas.getAttribute('data-painted'));
    assert.ok(painted > 0, 'mask pixels painted');
    assert.ok(Number(await canvas.getAttribute('data-boxes')) >= 3, 'boxes drawn');
    const legend = figure.locator('.legend li');
    assert.ok((await legend.count()) >= 1);
    await shoot(page, 'row-coco');
    await legend.first().locator('input').uncheck();
    assert.ok(Number(await canvas.getAttribute('data-painted')) < painted, 'a category turned off');
  });

  test('a panoptic row colours its segments', async () => {
    const [row] = sql(store, 'SELECT _rowid FROM pan LIMIT 1');
    const page = await open(`/t/pan/r/${row._rowid}`);
    const figure = page.locator('figure.overlaid[data-ready="true"]');
    await figure.waitFor();
    assert.ok(Number(await figure.locator('canvas').getAttribute('data-painted')) > 0);
    assert.ok((await figure.locator('.legend li').count()) >= 2, 'categories in the legend');
    await shoot(page, 'row-panoptic');
  });

  test('a PDF row shows its rendered page beside its text', async () => {
    const [row] = sql(store, "SELECT _rowid, text FROM media WHERE page_index = 1 AND length(text) > 200 LIMIT 1");
    const page = await open(`/t/media/r/${row._rowid}`);
    const img = page.locator('.media figure[data-column="image"] img');
    await img.waitFor();
    await page.waitForFunction(() => document.querySelector('.media img')?.naturalWidth > 0);
    assert.equal(await page.locator('.texts [data-column="text"] pre').textContent(), row.text);
    const [a, b] = [await img.boundingBox(), await page.locator('.texts').boundingBox()];
    assert.ok(b.x >= a.x + a.width - 1, 'the text is beside the page');
    await shoot(page, 'row-pdf');
  });

  test('a video segment plays in the page and seeks (range requests)', async () => {
    const [row] = sql(store, "SELECT _rowid FROM media WHERE video_data IS NOT NULL AND end_time > 5 LIMIT 1");
    const page = await open(`/t/media/r/${row._rowid}`);
    const ranged = [];
    page.on('response', (r) => { if (r.url().includes('/cells/video_data')) ranged.push(r.status()); });
    const video = page.locator('video');
    await video.waitFor();
    await page.evaluate(() => document.querySelector('video').play());
    await page.waitForFunction(() => document.querySelector('video').currentTime > 0.5, null, { timeout: 15000 });
    await page.evaluate(() => new Promise((resolve) => {
      const v = document.querySelector('video');
      v.pause();
      v.addEventListener('seeked', resolve, { once: true });
      v.currentTime = 4;
    }));
    const t = await page.evaluate(() => document.querySelector('video').currentTime);
    assert.ok(Math.abs(t - 4) < 0.2, `seeked to ${t}`);
    assert.ok(ranged.includes(206), `partial content served: ${ranged}`);
    await shoot(page, 'row-video');
  });

  test('a LeRobot episode plays its camera over charts that follow playback and seek it', async () => {
    const page = await open('/t/g1_episodes');
    await page.locator('a.episode-link').first().click();
    const charts = page.locator('canvas.chart');
    await charts.first().waitFor();
    assert.ok((await charts.count()) >= 2, 'state and action charts');
    const inked = await charts.first().evaluate((c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
      return n;
    });
    assert.ok(inked > 500, 'the lines are drawn');
    const video = page.locator('.cameras video').first();
    await page.waitForFunction(() => document.querySelector('.cameras video').readyState >= 2, null, { timeout: 15000 });
    await page.locator('button.play').click();
    await page.waitForFunction(() => document.querySelector('.cameras video').currentTime > 0.6, null, { timeout: 15000 });
    await page.locator('button.play').click();
    await page.waitForTimeout(200);
    const [t, cursor] = await Promise.all([
      video.evaluate((v) => v.currentTime),
      charts.first().getAttribute('data-cursor'),
    ]);
    assert.ok(Math.abs(Number(cursor) - t) < 0.15, `cursor ${cursor} follows the video at ${t}`);
    await shoot(page, 'episode');
    // Clicking the middle of a chart seeks every camera there.
    const box = await charts.first().boundingBox();
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await page.waitForTimeout(300);
    const [after, duration] = await video.evaluate((v) => [v.currentTime, v.duration]);
    assert.ok(Math.abs(after - duration / 2) < duration * 0.1, `seeked to ${after} of ${duration}`);
  });
});

describe('filter and search', () => {
  test('a BM25 search returns the rows SQL returns', async () => {
    const page = await open('/t/media?q=image%20data');
    await page.locator('.results [data-rowid]').first().waitFor();
    const shown = await page.locator('.results [data-rowid]').evaluateAll((rows) => rows.map((r) => r.dataset.rowid));
    const expected = rowids(sql(store, "SELECT _rowid, text <#> 'image data' AS s FROM media ORDER BY s DESC LIMIT 60"));
    assert.ok(expected.length > 0);
    assert.deepEqual(shown, expected);
    await shoot(page, 'search-bm25');
  });

  test('"more like this" and the hybrid return the rows SQL returns', async () => {
    const [row] = sql(store, "SELECT _rowid, embedding FROM docs WHERE id = 'doc4'");
    const page = await open(`/t/docs/r/${row._rowid}`);
    await page.getByText('More like this').click();
    await page.locator('table.rows tbody tr').first().waitFor();
    const shown = await page.locator('table.rows tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.rowid));
    assert.deepEqual(shown, rowids(sql(store, 'SELECT _rowid, embedding <#> $1 AS s FROM docs ORDER BY s DESC LIMIT 60', row.embedding)));
    await shoot(page, 'search-like');
    await page.locator('input[name="q"]').fill('lidar');
    await page.locator('form.search button[type="submit"]').click();
    await page.waitForFunction(() => /deeplake_hybrid_record/.test(document.querySelector('.sql code')?.textContent || ''));
    const hybrid = await page.locator('table.rows tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.rowid));
    assert.deepEqual(hybrid, rowids(sql(store,
      "SELECT _rowid, (embedding, text)::deeplake_hybrid_record <#> deeplake_hybrid_record($1, 'lidar', 0.5, 0.5) AS s FROM docs ORDER BY s DESC LIMIT 60",
      row.embedding)));
    await shoot(page, 'search-hybrid');
  });

  test('a WHERE filters, facets count, and a typo shows the error', async () => {
    const page = await open('/t/docs');
    await page.locator('.facet[data-column="topic"] li').first().waitFor();
    await page.locator('.facet[data-column="topic"] button').first().click();
    await page.waitForFunction(() => /match/.test(document.querySelector('.count')?.textContent || ''));
    const [{ n }] = sql(store, "SELECT count(*) AS n FROM docs WHERE topic = 'a'");
    assert.match(await page.locator('.count').textContent(), new RegExp(`^${n} rows match`));
    await shoot(page, 'filter-facet');
    await page.locator('input[name="where"]').fill("topik = 'a'");
    await page.locator('form.where button[type="submit"]').click();
    const error = page.locator('.errors .error');
    await error.waitFor();
    assert.match(await error.textContent(), /topik/);
    await shoot(page, 'filter-typo');
  });
});

describe('data is text, never markup', () => {
  test('a file named like markup and a chunk holding a script render as text', async () => {
    const page = await open('/t/hostile');
    const caption = page.locator('.grid .card .caption');
    await caption.first().waitFor();
    assert.ok((await caption.allTextContents()).includes('<img src=x onerror=alert(1)>.jpg'));
    assert.equal(await page.locator('img[src="x"]').count(), 0);
    await shoot(page, 'hostile-grid');
    const [chunk] = sql(store, "SELECT _rowid, text FROM hostile WHERE text LIKE '%<script>%'");
    await page.goto(at(`/t/hostile/r/${chunk._rowid}`));
    const pre = page.locator('.texts pre');
    await pre.waitFor();
    assert.equal(await pre.textContent(), chunk.text);
    assert.equal(await page.locator('main script, main img[src="x"]').count(), 0);
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
    await shoot(page, 'hostile-row');
    assert.deepEqual(page.dialogs, []);
    assert.deepEqual(page.errors, []);
  });
});
