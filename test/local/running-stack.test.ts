/**
 * How `npm run reconcile` and `npm run backfill` find the running `npm start` (lib/local/running-stack.ts):
 * through the record it keeps while it runs, never a dead one, and with DYNAMODB_ENDPOINT taking precedence.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findRunningStack, localStackTarget, recordRunningStack, targetsLocalStack } from '#local/running-stack';

describe('the running local stack record', () => {
  let stateDir: string;
  beforeEach(() => {
    stateDir = mkdtempSync(path.join(tmpdir(), 'linkout-running-stack-'));
  });
  afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

  const record = (pid: number) => ({
    pid,
    url: 'http://127.0.0.1:3000',
    dynamoEndpoint: 'http://127.0.0.1:45000',
    tableName: 'linkout-local',
    stripeApiUrl: 'http://127.0.0.1:12999',
  });

  it('is found while its process lives, and gone once removed', () => {
    const forget = recordRunningStack(stateDir, record(process.pid));
    expect(findRunningStack(stateDir)).toEqual(record(process.pid));
    forget();
    expect(existsSync(path.join(stateDir, 'local-stack.json'))).toBe(false);
    expect(findRunningStack(stateDir)).toBeUndefined();
  });

  it('a record left by a process that died is ignored', () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    recordRunningStack(stateDir, record(dead));
    expect(findRunningStack(stateDir)).toBeUndefined();
  });

  it('gives the handler environment of the recorded stack: its DynamoDB, table and emulator', () => {
    recordRunningStack(stateDir, record(process.pid));
    const target = localStackTarget({ LINKOUT_STATE_DIR: stateDir });
    expect(target.env).toMatchObject({
      DYNAMODB_ENDPOINT: 'http://127.0.0.1:45000',
      TABLE_NAME: 'linkout-local',
      STRIPE_API_URL: 'http://127.0.0.1:12999',
      AWS_REGION: 'local',
    });
    expect(target.stripeSecretKey).toMatch(/^sk_test_/);
  });

  it('DYNAMODB_ENDPOINT and STRIPE_API_URL, when set, win over the record', () => {
    recordRunningStack(stateDir, record(process.pid));
    const target = localStackTarget({ LINKOUT_STATE_DIR: stateDir, DYNAMODB_ENDPOINT: 'http://127.0.0.1:1', STRIPE_API_URL: 'http://127.0.0.1:2' });
    expect(target.env.DYNAMODB_ENDPOINT).toBe('http://127.0.0.1:1');
    expect(target.stripeApiUrl).toBe('http://127.0.0.1:2');
  });

  it.each([
    ['nothing set', {}, true],
    ['a DynamoDB endpoint', { DYNAMODB_ENDPOINT: 'http://127.0.0.1:1' }, true],
    ['a deployed table', { TABLE_NAME: 'linkout-prod' }, false],
    ['a table and an endpoint', { TABLE_NAME: 'linkout-local', DYNAMODB_ENDPOINT: 'http://127.0.0.1:1' }, true],
  ])('commands target the local stack with %s: %s', (_case, env, local) => {
    expect(targetsLocalStack(env)).toBe(local);
  });

  it('without a running stack or DYNAMODB_ENDPOINT, says to start one', () => {
    expect(() => localStackTarget({ LINKOUT_STATE_DIR: stateDir })).toThrow(/No running local stack found: start it with `npm start`/);
  });
});
