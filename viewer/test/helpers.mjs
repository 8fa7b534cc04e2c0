// What the viewer's browser tests share: the lakefeed binary, a store filled from the shared fixtures, a
// running `lakefeed view`, and Debian's Chromium driven by playwright-core.

import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir, homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, '../..');
export const fixtures = resolve(root, '../shared/fixtures');
const target = process.env.CARGO_TARGET_DIR || join(homedir(), '.cache/lakefeed/target');
export const bin = process.env.LAKEFEED_BIN || join(target, 'debug/lakefeed');
/** Where screenshots go, for a person to look at. */
export const shots = process.env.LAKEFEED_VIEWER_SHOTS || join(root, 'viewer/test-output');

/** Runs the CLI on `store`; its stdout. */
export function cli(store, ...args) {
  return execFileSync(bin, ['--store', store, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A query's rows as objects. */
export function sql(store, query, ...params) {
  const args = ['query', query, '--output', 'json'];
  for (const p of params) args.push('--param', typeof p === 'string' ? p : JSON.stringify(p));
  return JSON.parse(cli(store, ...args));
}

/** Hostile names and text: a file named like markup and a text file holding a script. */
function hostileFiles(dir) {
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(fixtures, 'files/image/hf-datasets_test_image_rgb.jpg'), join(dir, '<img src=x onerror=alert(1)>.jpg'));
  writeFileSync(join(dir, 'notes.txt'),
    'Release notes.\n\n<script>window.__pwned = 1; alert("pwned")</script>\n\n<img src=x onerror="window.__pwned = 2">\nThe end.\n');
}

/** Vectors near one of three directions, with text, so vector, BM25 and hybrid searches have answers. */
function docsFile(path) {
  const words = ['gripper camera calibration', 'lidar point cloud', 'robot arm trajectory', 'camera lidar fusion'];
  const lines = [];
  for (let i = 0; i < 48; i++) {
    const axis = i % 3;
    const v = Array.from({ length: 8 }, (_, k) => (k === axis ? 1 : 0) + Math.sin(i * 7 + k) * 0.2);
    lines.push(JSON.stringify({ id: `doc${i}`, text: `${words[i % 4]} note ${i}`, topic: ['a', 'b', 'c'][axis], embedding: v }));
  }
  writeFileSync(path, lines.join('\n') + '\n');
}

/** A store holding the fixtures: media (images, PDF pages, text, video), coco, panoptic, a LeRobot dataset, docs
 * with vectors and a full-text index, and hostile files. */
export function fillStore() {
  const dir = mkdtempSync(join(tmpdir(), 'lakefeed-viewer-'));
  const store = join(dir, 'store');
  const f = fixtures;
  cli(store, 'ingest', 'media', `${f}/files/image`, `${f}/files/pdf`, `${f}/files/text`, `${f}/files/video`, '--opt', 'pdf_dpi=72');
  cli(store, 'index', 'media', 'text');
  cli(store, 'ingest', 'coco', '--format', 'coco', '--opt', `images_dir=${f}/coco/val2017`);
  cli(store, 'ingest', 'pan', '--format', 'coco-panoptic', '--opt', `images_dir=${f}/coco-panoptic/input_images`,
    '--opt', `masks_dir=${f}/coco-panoptic/panoptic_examples`, '--opt', `annotations=${f}/coco-panoptic/panoptic_examples.json`);
  cli(store, 'ingest', '--format', 'lerobot', `${f}/lerobot-v21/g1_pick_bottle_partial`, '--prefix', 'g1');
  docsFile(join(dir, 'docs.jsonl'));
  cli(store, 'ingest', 'docs', '--rows', join(dir, 'docs.jsonl'), '--schema', 'embedding=EMBEDDING(8)', '--index', 'text');
  hostileFiles(join(dir, 'hostile'));
  cli(store, 'ingest', 'hostile', join(dir, 'hostile'));
  return store;
}

/** Starts `lakefeed view` on `store`; `{url, stop}`. */
export async function startViewer(store) {
  const child = spawn(bin, ['--store', store, 'view', '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/viewer on (http:\/\/\S+)/);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`lakefeed view exited (${code}): ${err}`)));
  });
  return { url, stop: () => child.kill('SIGTERM'), log: () => err };
}

/** Debian's Chromium, headless, with nothing reaching past loopback. */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
  });
}

/** A new page that records every dialog (none may open) and page error. */
export async function newPage(browser) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.dialogs = [];
  page.errors = [];
  page.on('dialog', (d) => { page.dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  page.on('pageerror', (e) => page.errors.push(String(e)));
  return page;
}

/** Saves a screenshot of the page as `{name}.png` under [`shots`]. */
export async function shoot(page, name) {
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}
