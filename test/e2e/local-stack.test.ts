/**
 * The newcomer's path, for real: `npm start` as a child process (free ports, a fresh state
 * directory), then the static site, a token from `npm run --silent token`, authorized routes, a
 * portal session against the embedded emulator, and a clean shutdown on SIGTERM.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const repoRoot = path.resolve(__dirname, '../..');
const stateDir = mkdtempSync(path.join(tmpdir(), 'linkout-e2e-'));
const env: NodeJS.ProcessEnv = {
  ...process.env,
  PORT: '0',
  STRIPE_EMULATOR_PORT: '0',
  LINKOUT_STATE_DIR: stateDir,
  STRIPE_SECRET_KEY: '',
  STRIPE_API_URL: '',
  STRIPE_WEBHOOK_SECRET: '',
  NODE_ENV: 'development',
};
delete env.LINKOUT_CONFIG;
delete env.LINKOUT_CONFIG_FILE;
delete env.TABLE_NAME;

let child: ChildProcess;
let output = '';
let apiUrl: string;
let emulatorUrl: string;
let exited: Promise<number | null>;

jest.setTimeout(120_000);

beforeAll(async () => {
  // Its own process group, so the test can tell when the whole tree has exited (and clean up if not).
  child = spawn('npm', ['start'], { cwd: repoRoot, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await waitFor(() => /Press Ctrl\+C to stop/.test(output) || child.exitCode !== null, 90_000);
  if (child.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
  apiUrl = /API\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output)![1]!;
  emulatorUrl = /embedded emulator at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)![1]!;
});

afterAll(async () => {
  if (child?.pid && processGroupAlive(child.pid)) process.kill(-child.pid, 'SIGKILL');
  rmSync(stateDir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('serves /healthz once ready', async () => {
    const response = await fetch(`${apiUrl}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('prints the webhook secret in use and how to get a token', () => {
    expect(output).toContain('whsec_linkout_local_');
    expect(output).toContain('npm run --silent token -- --sub');
  });

  it('prints no Node.js process warnings (it runs on the Node.js Lambda runs, which the AWS SDK supports)', () => {
    expect(output).toMatch(/Press Ctrl\+C to stop/);
    expect(output).not.toMatch(/\(node:\d+\) .*Warning/);
  });

  it.each([
    ['/.well-known/apple-app-site-association', 'application/json'],
    ['/apple-app-site-association', 'application/json'],
    ['/portal_redirect', 'text/html; charset=utf-8'],
    ['/checkout_redirect', 'text/html; charset=utf-8'],
  ])('serves %s as %s with 200 and no redirect', async (urlPath, contentType) => {
    const response = await fetch(`${apiUrl}${urlPath}`, { redirect: 'manual' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(contentType);
    const body = await response.text();
    if (contentType === 'application/json') {
      expect((JSON.parse(body) as { applinks: { details: Array<{ appIDs: string[] }> } }).applinks.details[0]!.appIDs).toEqual([
        'A1B2C3D4E5.com.lumenphotos.app',
      ]);
    } else {
      expect(body).toContain('Open Lumen Photos');
    }
  });

  it("serves /.well-known/assetlinks.json for the example's Android app as application/json with 200 and no redirect", async () => {
    const response = await fetch(`${apiUrl}/.well-known/assetlinks.json`, { redirect: 'manual' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const [statement] = (await response.json()) as Array<{ relation: string[]; target: { package_name: string } }>;
    expect(statement!.relation).toEqual(['delegate_permission/common.handle_all_urls']);
    expect(statement!.target.package_name).toBe('com.lumenphotos.app');
  });

  it('accepts a token from `npm run --silent token` and rejects a garbage one', async () => {
    const token = await npmToken('--sub', 'e2e_user', '--role', 'owner');
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);

    const accepted = await fetch(`${apiUrl}/v1/entitlements`, { headers: { authorization: `Bearer ${token}` } });
    expect(accepted.status).not.toBe(401);
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toMatchObject({ account: 'e2e_user' });

    const rejected = await fetch(`${apiUrl}/v1/entitlements`, { headers: { authorization: 'Bearer garbage' } });
    expect(rejected.status).toBe(401);
    expect(await rejected.json()).toEqual({ message: 'Unauthorized' });
  });

  it('opens a customer-portal session on the embedded emulator, portal configuration synced at start', async () => {
    const token = await npmToken('--sub', 'e2e_owner', '--role', 'owner');
    const response = await fetch(`${apiUrl}/v1/portal-sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(201);
    const session = (await response.json()) as { url: string };
    expect(session.url.startsWith(emulatorUrl)).toBe(true);
  });

  it('shuts down cleanly on SIGTERM, closing its ports', async () => {
    const apiPort = Number(new URL(apiUrl).port);
    const emulatorPort = Number(new URL(emulatorUrl).port);
    // Only npm's own process, as a tool that spawned `npm start` would; the signal must reach the server.
    process.kill(child.pid!, 'SIGTERM');
    await exited;
    // npm may exit first; the server's process (same group) finishes its shutdown after it.
    await waitFor(() => !processGroupAlive(child.pid!), 20_000);
    expect(output).toContain('SIGTERM: shutting down');
    await expect(isListening(apiPort)).resolves.toBe(false);
    await expect(isListening(emulatorPort)).resolves.toBe(false);
  });
});

async function npmToken(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)('npm', ['run', '--silent', 'token', '--', ...args], { cwd: repoRoot, env });
  const lines = stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out; output so far:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function processGroupAlive(groupId: number): boolean {
  try {
    process.kill(-groupId, 0);
    return true;
  } catch {
    return false;
  }
}

function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
