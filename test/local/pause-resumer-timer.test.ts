/**
 * The local stack's stand-in for EventBridge Scheduler: it runs the `pause-resumer` handler every
 * LINKOUT_RESUME_INTERVAL_SECONDS once the stack is ready, invoked like a Lambda, one run at a
 * time, logs a run that did something, and stops on close. The handler is an injected recorder here
 * (the real one is tested in test/integration/pause-resumer.test.ts); DynamoDB is a real dynalite,
 * Stripe a placeholder that is never called.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '#adapters/config';
import type { ResumeReport } from '#core/pause-resumer';
import { type LambdaHandler, RESUME_INTERVAL_ENV, startLocalStack } from '#local/dev-server';

const config = loadConfig({});
const INTERVAL_SECONDS = 0.05;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let stateDir: string;
beforeEach(() => {
  stateDir = mkdtempSync(path.join(tmpdir(), 'linkout-resumer-'));
});
afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

async function stackWith(handler: LambdaHandler | undefined, interval: string | undefined, lines: string[] = []) {
  const names: string[] = [];
  const stack = await startLocalStack({
    port: 0,
    env: { STRIPE_API_URL: 'http://127.0.0.1:9', ...(interval !== undefined && { [RESUME_INTERVAL_ENV]: interval }) },
    config,
    stateDir,
    routes: [],
    loadHandler: () => undefined,
    loadScheduledHandler: (name) => {
      names.push(name);
      return handler;
    },
    log: (line) => lines.push(line),
  });
  return { stack, names, lines };
}

describe('the local pause resumer timer', () => {
  it('runs the pause-resumer handler again and again with a Lambda context, logs a run that did something, and stops on close', async () => {
    const contexts: Array<{ functionName: string; getRemainingTimeInMillis(): number }> = [];
    let inFlight = 0;
    let overlapped = false;
    const handler: LambdaHandler = async (_event, context) => {
      overlapped ||= inFlight > 0;
      inFlight += 1;
      contexts.push(context as (typeof contexts)[number]);
      await sleep(10);
      inFlight -= 1;
      const report: ResumeReport = contexts.length === 2 ? { resumed: 1, obsolete: 0, failed: 0 } : { resumed: 0, obsolete: 0, failed: 0 };
      return report;
    };
    const { stack, names, lines } = await stackWith(handler, String(INTERVAL_SECONDS));
    try {
      await waitFor(() => contexts.length >= 3);
    } finally {
      await stack.close();
    }
    expect(new Set(names)).toEqual(new Set(['pause-resumer']));
    expect(contexts[0]!.functionName).toBe('linkout-pause-resumer-local');
    expect(contexts[0]!.getRemainingTimeInMillis()).toBeGreaterThan(0);
    expect(overlapped).toBe(false);
    // Only the run that resumed something is logged.
    expect(lines.filter((line) => line.startsWith('pause resumer'))).toEqual(['pause resumer: 1 resumed, 0 obsolete, 0 left for the next run']);

    const runsAtClose = contexts.length;
    await sleep(INTERVAL_SECONDS * 1000 * 5);
    expect(contexts.length).toBe(runsAtClose);
  });

  it('waits on close for a run under way to finish', async () => {
    let finished = false;
    let started = false;
    const handler: LambdaHandler = async () => {
      started = true;
      await sleep(200);
      finished = true;
      return { resumed: 0, obsolete: 0, failed: 0 };
    };
    const { stack } = await stackWith(handler, String(INTERVAL_SECONDS));
    await waitFor(() => started);
    await stack.close();
    expect(finished).toBe(true);
  });

  it('logs a failing run and keeps running', async () => {
    let runs = 0;
    const handler: LambdaHandler = async () => {
      runs += 1;
      throw new Error('table unreachable');
    };
    const { stack, lines } = await stackWith(handler, String(INTERVAL_SECONDS));
    try {
      await waitFor(() => runs >= 2);
    } finally {
      await stack.close();
    }
    expect(lines).toContain('pause resumer failed: table unreachable');
  });

  it('does not run at all with an interval of 0', async () => {
    let runs = 0;
    const { stack } = await stackWith(async () => {
      runs += 1;
      return { resumed: 0, obsolete: 0, failed: 0 };
    }, '0');
    await sleep(200);
    await stack.close();
    expect(runs).toBe(0);
  });

  it('refuses an interval that is not a number of seconds before starting anything', async () => {
    await expect(stackWith(undefined, 'often')).rejects.toThrow(`${RESUME_INTERVAL_ENV} must be a number of seconds`);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}
