// Shared by the tests: fresh stores, a real `lakefeed serve` on loopback with a signed token, and a client of
// either kind.
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SECRET = 'a-node-test-secret-of-some-length';

export function tmp() {
  return mkdtempSync(path.join(tmpdir(), 'lakefeed-node-'));
}

/** The CLI the Rust build made (scripts/test.sh builds it first). */
export function lakefeedBin() {
  const target = process.env.CARGO_TARGET_DIR || path.join(ROOT, 'target');
  return process.env.LAKEFEED_BIN || path.join(target, 'debug', 'lakefeed');
}

/** An HS256 JWT with the seed's OrgID claim. */
export function token(org = 'nodeorg') {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = b64({ alg: 'HS256', typ: 'JWT' });
  const body = b64({ OrgID: org, UserID: 'tester', exp: Math.floor(Date.now() / 1000) + 3600 });
  const sig = createHmac('sha256', SECRET).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

/** Starts `lakefeed serve` over a fresh root; resolves to { url, stop }. */
export async function serve() {
  const proc = spawn(lakefeedBin(), ['--store', tmp(), 'serve', '--listen', '127.0.0.1:0', '--jwt-secret', SECRET], {
    env: { ...process.env, LAKEFEED_LOG: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise((resolve, reject) => {
    createInterface({ input: proc.stdout }).once('line', resolve);
    proc.once('exit', (code) => reject(new Error(`lakefeed serve exited ${code}`)));
  });
  const url = line.replace('listening on ', '').trim();
  return { url, stop: () => new Promise((r) => { proc.once('exit', r); proc.kill('SIGTERM'); }) };
}

let workspaces = 0;

/** Starts one `lakefeed serve` for the calling test file, and returns the two kinds of client its tests run
 * against: a fresh local store, or a fresh workspace of that server. */
export function clientKinds(ManagedClient) {
  let server;
  before(async () => { server = await serve(); });
  after(async () => { await server.stop(); });
  return {
    local: () => new ManagedClient({ store: tmp() }),
    serve: () => new ManagedClient({ token: token(), workspaceId: `ws${workspaces++}`, apiUrl: server.url }),
  };
}
