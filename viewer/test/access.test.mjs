// Who may look: `lakefeed serve` serves the viewer behind its tokens (a sign-in that keeps the token in an
// HttpOnly cookie, never in a URL or a log line); `lakefeed view` answers loopback host names only.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bin, cli, launch, newPage, shoot, startViewer } from './helpers.mjs';

const secret = 'viewer-test-secret-0123456789';
let root;
let server;
let serverLog = '';
let browser;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'lakefeed-serve-'));
  const rows = join(root, 'rows.jsonl');
  writeFileSync(rows, ['{"id": "a", "n": 1}', '{"id": "b", "n": 2}', '{"id": "c", "n": 3}'].join('\n'));
  cli(join(root, 'acme', 'team'), 'ingest', 'notes', '--rows', rows);
  const child = spawn(bin, ['--store', root, 'serve', '--jwt-secret', secret, '--listen', '127.0.0.1:0'],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LAKEFEED_LOG: 'info' } });
  child.stderr.on('data', (d) => { serverLog += d; });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => { out += d; const m = out.match(/listening on (http:\/\/\S+)/); if (m) resolve(m[1]); });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${serverLog}`)));
  });
  server = { url, child };
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.child.kill('SIGTERM');
});

test('lakefeed serve: the viewer asks for a token, keeps it in an HttpOnly cookie and shows the org\'s tables', async () => {
  const token = cli(root, 'token', '--org', 'acme', '--jwt-secret', secret).trim();
  const unauthorised = await fetch(`${server.url}/view/api/ws/team/tables`);
  assert.equal(unauthorised.status, 401);

  const page = await newPage(browser);
  await page.goto(`${server.url}/view/`);
  const input = page.locator('input[name="token"]');
  await input.fill('not-a-token');
  await page.locator('form.signin button').click();
  await page.locator('.error').waitFor();
  await input.fill(token);
  await page.locator('form.signin button').click();
  await page.getByRole('link', { name: 'team' }).click();
  const row = page.locator('tr[data-table="notes"]');
  await row.waitFor();
  assert.match(await row.innerText(), /\b3\b/);
  await shoot(page, 'serve-tables');

  const [cookie] = (await page.context().cookies()).filter((c) => c.name === 'lakefeed_token');
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Strict');
  assert.equal(await page.evaluate(() => document.cookie), '', 'scripts cannot read the token');
  assert.ok(!page.url().includes(token), 'the token is not in the URL');
  assert.ok(!serverLog.includes(token), 'the token is not in the log');
  assert.match(serverLog, /\/view\/api\/ws\/team\/tables/, 'requests are logged');
});

test('lakefeed view answers loopback host names only', async () => {
  const store = mkdtempSync(join(tmpdir(), 'lakefeed-view-'));
  const viewer = await startViewer(store);
  try {
    const get = (host) => new Promise((resolve, reject) => {
      const u = new URL('/view/api/session', viewer.url);
      http.get({ host: u.hostname, port: u.port, path: u.pathname, headers: { host } }, (r) => { r.resume(); resolve(r.statusCode); }).on('error', reject);
    });
    assert.equal(await get(`localhost:${new URL(viewer.url).port}`), 200);
    assert.equal(await get('attacker.example'), 403, 'a rebound DNS name is refused');
  } finally {
    viewer.stop();
  }
});
