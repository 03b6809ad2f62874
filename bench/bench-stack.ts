/**
 * The local stack as the benchmark (and test/integration/cost-counts.test.ts) drives it: the real
 * gateway, handler modules and embedded Stripe emulator, with the handlers' DynamoDB in a process of
 * its own (./dynamo-server.ts: dynalite behind the counting proxy of ./dynamo-counter.ts), and the
 * emulator's request log as the count of Stripe calls. Timed webhook runs send from a process of
 * their own (./load-generator.ts), optionally to webhook worker processes (./webhook-worker.ts).
 *
 * The emulator's webhook deliveries are switched off once the stack is up: the benchmark posts its
 * own signed events, and a delivery arriving in the middle of a measured phase would be counted
 * against it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Stripe from 'stripe';
import { loadConfig } from '#adapters/config';
import { DynamoAccountLinks } from '#adapters/dynamodb/account-links';
import { documentClient } from '#adapters/dynamodb/client';
import { createStripeClient } from '#adapters/stripe/client';
import type { LinkoutConfig } from '#core/config';
import { issueDevToken, loadOrCreateSigningKey } from '#local/dev-jwt';
import { type LocalStack, startLocalStack } from '#local/dev-server';
import { localDynamoClient } from '#local/dynamodb';
import { COUNTS_PATH, type DynamoCounts } from './dynamo-counter';
import type { LoadRequest, LoadResult } from './load-generator';

export interface Reply {
  status: number;
  /** The parsed JSON answer (every Linkout answer is an object). */
  body: Record<string, unknown> | undefined;
}

export interface SignedEvent {
  payload: string;
  signature: string;
}

export interface BenchStack {
  stack: LocalStack;
  /** stripe-node straight at the emulator: setup and the anchor timings, never through Linkout. */
  stripe: Stripe;
  /** Account links written straight to the table (setup, not counted). */
  links: DynamoAccountLinks;
  /** DynamoDB calls the counting proxy has seen so far (take differences). */
  dynamo(): Promise<DynamoCounts>;
  /** The counting proxy's endpoint: what the handlers use, so raw writes through it pay the same hop. */
  countedDynamoEndpoint: string;
  /** The DynamoDB server itself, for setup and inspection that must not be counted. */
  directDynamoEndpoint: string;
  /** Stripe API requests the emulator has received so far (setup calls included: take differences). */
  stripeCalls(): number;
  /** "METHOD /path" of the emulator's requests from index `from` on (ids in paths kept). */
  stripeRequestsSince(from: number): string[];
  /** An owner's token for `account` (the configuration reads the account from the `account` claim). */
  token(account: string): Promise<string>;
  call(method: string, urlPath: string, token?: string, body?: unknown): Promise<Reply>;
  /** POSTs `event` to the webhook route, signed with the stack's webhook secret now. */
  deliver(event: object): Promise<Reply>;
  /** Serialises and signs `event` now, as Stripe does before it sends: timed runs sign ahead, outside the clock. */
  sign(event: object): SignedEvent;
  /** POSTs an event signed by `sign` (within Stripe's 5-minute tolerance of signing). */
  post(signed: SignedEvent): Promise<Reply>;
  /**
   * Where webhooks are served: `0` → the local stack itself (its handlers share one thread); `n` → n
   * worker processes (./webhook-worker.ts) with the same handler, table and secrets, as Lambda runs
   * concurrent invocations in containers of their own. Workers start on first use and stop at close.
   */
  webhookUrls(workers: number): Promise<string[]>;
  /**
   * POSTs every event with `concurrency` in flight from a load generator in its own process
   * (./load-generator.ts): timed runs, where the sender must not take the handlers' CPU. Requests go
   * round-robin over `urls` (base URLs from `webhookUrls`; default the stack's).
   */
  postAll(events: SignedEvent[], concurrency: number, urls?: string[]): Promise<LoadResult>;
  close(): Promise<void>;
}

/** One billing account per team, named by an `account` claim, as test/e2e/portal-stack.ts does. */
function teamConfig(): LinkoutConfig {
  const config = loadConfig();
  return { ...config, auth: { ...config.auth, accountClaim: 'account' } };
}

const TABLE_NAME = 'linkout-bench';

/** A script of bench/ in a child process under tsx and this process's Node; stdin and stdout are pipes to it. */
function spawnBenchScript(script: string, args: string[] = []): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, script), ...args], {
    cwd: path.join(__dirname, '..'),
    stdio: ['pipe', 'pipe', 'inherit'],
  });
}

/**
 * A bench script in a child process (tsx, this project's Node) that prints one JSON line when it is
 * ready; resolves with that line. Closing its stdin is its signal to stop (`stopChild`), so it never
 * outlives the benchmark, however the benchmark ended.
 */
async function startChild<T>(script: string, args: string[] = []): Promise<{ child: ChildProcess; ready: T }> {
  const child = spawnBenchScript(script, args);
  let output = '';
  const ready = new Promise<T>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const line = output.split('\n')[0];
      if (output.includes('\n') && line) resolve(JSON.parse(line) as T);
    });
    child.once('exit', (code) => reject(new Error(`the bench's ${script} exited (${code}) before it was ready`)));
  });
  return { child, ready: await ready };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.stdin!.end();
  await exited;
}

/** ./load-generator.ts in a child process: sends `request` on its stdin, resolves with what it prints. */
async function runLoadGenerator(request: LoadRequest): Promise<LoadResult> {
  const child = spawnBenchScript('load-generator.ts');
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const exited = once(child, 'exit') as Promise<[number | null]>;
  child.stdin!.end(JSON.stringify(request));
  const [code] = await exited;
  if (code !== 0) throw new Error(`the bench's load generator exited with ${code}`);
  return JSON.parse(output) as LoadResult;
}

export async function startBenchStack(options: { log?: (line: string) => void } = {}): Promise<BenchStack> {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'linkout-bench-'));
  let server: { child: ChildProcess; ready: { direct: string; counted: string } } | undefined;
  let stack: LocalStack;
  try {
    server = await startChild<{ direct: string; counted: string }>('dynamo-server.ts', [TABLE_NAME]);
    const counted = server.ready.counted;
    stack = await startLocalStack({
      port: 0,
      tableName: TABLE_NAME,
      // 0 disables the pause resumer, whose timer would add its own DynamoDB calls to a phase.
      env: { STRIPE_EMULATOR_PORT: '0', LINKOUT_RESUME_INTERVAL_SECONDS: '0' },
      config: teamConfig(),
      stateDir,
      // The handlers use the bench's own DynamoDB server (a process of its own, see dynamo-server.ts), through its counting proxy.
      handlerDynamoEndpoint: () => counted,
      ...(options.log && { log: options.log }),
    });
  } catch (error) {
    if (server) await stopChild(server.child);
    rmSync(stateDir, { recursive: true, force: true });
    throw error;
  }
  const emulator = stack.emulator;
  if (!emulator || !stack.portalSynced) {
    await stack.close();
    await stopChild(server.child);
    rmSync(stateDir, { recursive: true, force: true });
    throw new Error('the bench needs the embedded Stripe emulator with the portal configurations synced');
  }
  await emulator.flushDeliveries();
  emulator.setWebhook(undefined);

  const stripe = createStripeClient({ secretKey: stack.stripe.secretKey, apiUrl: stack.stripeApiUrl!, maxNetworkRetries: 0 });
  const dynamoServer = { child: server.child, ...server.ready };
  const setupClient = localDynamoClient(dynamoServer.direct);
  const workers: ChildProcess[] = [];
  let workerUrls: string[] = [];
  const signingKey = await loadOrCreateSigningKey(stateDir);
  const signer = new Stripe('sk_test_bench_signer');
  const webhookSecret = stack.webhookSecrets[0]!;

  const call = async (method: string, urlPath: string, token?: string, body?: unknown): Promise<Reply> => {
    const response = await fetch(`${stack.url}${urlPath}`, {
      method,
      redirect: 'manual',
      headers: { ...(token && { authorization: `Bearer ${token}` }), ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };

  function sign(event: object): SignedEvent {
    const payload = JSON.stringify(event);
    return { payload, signature: signer.webhooks.generateTestHeaderString({ payload, secret: webhookSecret, timestamp: Math.floor(Date.now() / 1000) }) };
  }
  async function post(signed: SignedEvent): Promise<Reply> {
    const response = await fetch(`${stack.url}/v1/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': signed.signature },
      body: signed.payload,
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  return {
    stack,
    stripe,
    links: new DynamoAccountLinks(documentClient(setupClient), stack.tableName),
    dynamo: async () => (await (await fetch(`${dynamoServer.counted}${COUNTS_PATH}`)).json()) as DynamoCounts,
    countedDynamoEndpoint: dynamoServer.counted,
    directDynamoEndpoint: dynamoServer.direct,
    stripeCalls: () => emulator.requests().length,
    stripeRequestsSince: (from) =>
      emulator
        .requests()
        .slice(from)
        .map((r) => `${r.method} ${r.path.split('?')[0]}`),
    token: (account) => issueDevToken(signingKey, stack.jwt, { sub: `${account}-owner`, account, role: 'owner' }),
    call,
    sign,
    post,
    async webhookUrls(count) {
      if (count === 0) return [stack.url];
      // Started on first use and kept: a worker's first events are its cold start, as a container's are.
      while (workers.length < count) {
        const worker = await startChild<{ url: string }>('webhook-worker.ts');
        workers.push(worker.child);
        workerUrls.push(worker.ready.url);
      }
      return workerUrls.slice(0, count);
    },
    postAll: (events, concurrency, urls = [stack.url]) => runLoadGenerator({ urls: urls.map((url) => `${url}/v1/webhooks/stripe`), concurrency, events }),
    deliver: (event) => post(sign(event)),
    async close() {
      setupClient.destroy();
      await Promise.all(workers.map(stopChild));
      workerUrls = [];
      await stack.close();
      await stopChild(dynamoServer.child);
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
