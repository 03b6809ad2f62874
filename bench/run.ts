/**
 * `npm run bench`: one run on the local stack that measures Linkout against its anchors and
 * physical limits, prints the tables and budgets, and writes a JSON report.
 *
 *   npm run bench -- [--events 2000] [--concurrency 8] [--webhook-workers 0] [--app-requests 100] [--json <file>]
 *   (or BENCH_EVENTS, BENCH_CONCURRENCY, BENCH_WEBHOOK_WORKERS, BENCH_APP_REQUESTS; the report defaults
 *   to .linkout/bench/report.json)
 *
 * --webhook-workers n serves the timed webhook runs from n worker processes (./webhook-worker.ts)
 * instead of the stack's own thread, as Lambda gives concurrent invocations containers of their own:
 * on a machine with cores to spare this measures the design rather than one thread.
 *
 * The load generator, gateway, handlers and Stripe emulator share one Node process; DynamoDB
 * (dynalite behind the counting proxy) runs in a second one (./dynamo-server.ts). Throughput and
 * latency are relative figures for comparing runs and ratios on this machine, not AWS numbers. The
 * counts (DynamoDB units, Stripe calls) are exact and gate the exit code.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type AttributeValue, ScanCommand } from '@aws-sdk/client-dynamodb';
import { READS_STRIPE_SECRET } from '#handlers/routes';
import { localDynamoClient } from '#local/dynamodb';
import { type AppPathTiming, type AppRequestCost, measureAppPathCosts, measureAppPathTimings } from './app-paths';
import { type BenchStack, startBenchStack } from './bench-stack';
import { type ColdStartRow, measureColdStarts } from './cold-start';
import { type CostAssumptions, type CostRow, configuredMemoryMb, costMarkdown, costPerMillion } from './cost';
import { round } from './measure';
import { PRICES, priceRows } from './prices';
import {
  type EventKindCost,
  measureEventKindCosts,
  measureRawConditionalWrites,
  measureWebhookThroughput,
  type RawWriteRate,
  type WebhookThroughput,
} from './webhook';

const DEFAULT_REPORT = path.join(__dirname, '../.linkout/bench/report.json');
/** bench/cold-start.ts: each handler's cold import against a bundle of its hot path's clients. */
const COLD_IMPORT_RATIO_BUDGET = 1.3;
const THROUGHPUT_RATIO_BUDGET = 0.6;

interface Options {
  events: number;
  concurrency: number;
  webhookWorkers: number;
  appRequests: number;
  json: string;
}

interface Budget {
  budget: string;
  measured: string;
  status: 'PASS' | 'FAIL';
  /** Deterministic budgets set the exit code; timing budgets are printed only. */
  gates: boolean;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      events: { type: 'string' },
      concurrency: { type: 'string' },
      'webhook-workers': { type: 'string' },
      'app-requests': { type: 'string' },
      json: { type: 'string' },
    },
  });
  const whole = (name: string, raw: string | undefined, fallback: number, least: number) => {
    const value = Number(raw ?? fallback);
    if (!Number.isInteger(value) || value < least) throw new Error(`${name} must be a whole number of at least ${least}, not "${raw}"`);
    return value;
  };
  const positive = (name: string, raw: string | undefined, fallback: number) => whole(name, raw, fallback, 1);
  return {
    events: positive('--events / BENCH_EVENTS', values.events ?? process.env.BENCH_EVENTS, 2000),
    concurrency: positive('--concurrency / BENCH_CONCURRENCY', values.concurrency ?? process.env.BENCH_CONCURRENCY, 8),
    webhookWorkers: whole('--webhook-workers / BENCH_WEBHOOK_WORKERS', values['webhook-workers'] ?? process.env.BENCH_WEBHOOK_WORKERS, 0, 0),
    appRequests: positive('--app-requests / BENCH_APP_REQUESTS', values['app-requests'] ?? process.env.BENCH_APP_REQUESTS, 100),
    json: path.resolve(values.json ?? DEFAULT_REPORT),
  };
}

const progress = (line: string) => console.log(`… ${line}`);

/** The largest item in the table, as DynamoDB JSON on the wire (an upper bound of its billed size). */
async function largestItemBytes(bench: BenchStack): Promise<number> {
  const client = localDynamoClient(bench.directDynamoEndpoint);
  let largest = 0;
  try {
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await client.send(new ScanCommand({ TableName: bench.stack.tableName, ExclusiveStartKey: startKey }));
      for (const item of page.Items ?? []) largest = Math.max(largest, Buffer.byteLength(JSON.stringify(item)));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  } finally {
    client.destroy();
  }
  return largest;
}

function budgets(
  kinds: EventKindCost[],
  throughput: WebhookThroughput,
  rawRate: number,
  app: AppRequestCost[],
  largestItem: number,
  cold: ColdStartRow[],
): Budget[] {
  const kind = (name: EventKindCost['kind']) => kinds.find((k) => k.kind === name)!;
  const portalLinked = app.find((r) => r.path === 'POST /v1/portal-sessions' && r.account === 'linked')!;
  const ratio = round(throughput.eventsPerSecond / rawRate, 2);
  const row = (budget: string, measured: string, pass: boolean, gates = true): Budget => ({ budget, measured, status: pass ? 'PASS' : 'FAIL', gates });
  const eventBudget = (k: EventKindCost) =>
    row(
      `${k.kind} event: 1 DynamoDB write, 0 Stripe calls`,
      `${k.writesPerEvent} write(s), ${k.stripeCallsPerEvent} Stripe call(s)`,
      k.writesPerEvent === 1 && k.stripeCallsPerEvent === 0,
    );
  return [
    eventBudget(kind('in-order')),
    eventBudget(kind('duplicate')),
    row(
      `throughput run (${throughput.events} in-order events): 1 write, 0 Stripe calls per event`,
      `${throughput.writesPerEvent} write(s), ${throughput.stripeCallsPerEvent} Stripe call(s)`,
      throughput.writesPerEvent === 1 && throughput.stripeCallsPerEvent === 0,
    ),
    row(
      'portal session, linked account: ≤ 1 DynamoDB read, ≤ 1 Stripe call',
      `${portalLinked.readsPerRequest} read(s), ${portalLinked.stripeCallsPerRequest} Stripe call(s)`,
      portalLinked.readsPerRequest <= 1 && portalLinked.stripeCallsPerRequest <= 1,
    ),
    row('every item ≤ 1 KB (1 write unit per write)', `largest ${largestItem} bytes`, largestItem <= 1024),
    row(
      `webhook throughput ≥ ${THROUGHPUT_RATIO_BUDGET}x raw conditional writes (timing: printed, not gating)`,
      `${throughput.eventsPerSecond} / ${rawRate} = ${ratio}x`,
      ratio >= THROUGHPUT_RATIO_BUDGET,
      false,
    ),
    ...cold
      .filter((r) => r.kind === 'handler' && r.importVsHotPath !== undefined)
      .map((r) =>
        row(
          `${r.bundle}: cold import ≤ ${COLD_IMPORT_RATIO_BUDGET}x its hot-path-clients bundle (timing: printed, not gating)`,
          `${r.importVsHotPath}x`,
          r.importVsHotPath! <= COLD_IMPORT_RATIO_BUDGET,
          false,
        ),
      ),
  ];
}

const servedBy = (workers: number) => (workers === 0 ? "the stack's one thread" : `${workers} worker process(es)`);

/**
 * The most the webhook path can reach on this machine with the CPU it measurably needs per event:
 * the handlers share one thread per server (at most threads × 1000 / their ms per event), and all
 * processes share the cores (at most cores × 1000 / the sum). Says whether a missed ratio is the code
 * or the machine.
 */
function webhookCeiling(run: WebhookThroughput, rawRate: number) {
  const cores = availableParallelism();
  const cpu = run.cpuMsPerEvent;
  const total = cpu.benchProcess + cpu.dynamoServer + (cpu.sender ?? 0);
  const handlerThreads = Math.max(1, run.workers);
  const eventsPerSecond = Math.round(Math.min((handlerThreads * 1000) / cpu.benchProcess, (cores * 1000) / total));
  const ratio = round(eventsPerSecond / rawRate, 2);
  return {
    cores,
    eventsPerSecond,
    ratio,
    explanation:
      `The webhook run needed ${round(total, 2)} ms of CPU per event in all (${cpu.benchProcess} in ${servedBy(run.workers)}); with ${cores} core(s) that caps this machine at ` +
      `${eventsPerSecond} events/s (${ratio}x the raw rate) however fast the rest is.`,
  };
}

async function main(): Promise<number> {
  const opts = options();
  const started = Date.now();
  progress('starting the local stack (gateway, handlers, dynalite behind a counting proxy, Stripe emulator)');
  const bench = await startBenchStack();
  let kinds: EventKindCost[];
  let rawBefore: RawWriteRate;
  let rawAfter: RawWriteRate;
  let throughput: WebhookThroughput;
  let oneAtATime: WebhookThroughput;
  let appCosts: AppRequestCost[];
  let appTimings: AppPathTiming[];
  let largestItem: number;
  try {
    progress('webhook: cost of each kind of event (10 of each)');
    kinds = await measureEventKindCosts(bench, 10);
    // Untimed: fresh processes run their first few thousand calls unoptimised (measured: the first
    // two raw runs of 2,000 at 0.55x and 0.65x of the third), so both paths are warm before either is timed.
    progress('webhook: warming up both paths (4,000 raw writes and 1,000 events, untimed)');
    await measureRawConditionalWrites(bench, { writes: 4000, concurrency: opts.concurrency });
    await measureWebhookThroughput(bench, { events: 1000, concurrency: opts.concurrency, workers: opts.webhookWorkers });
    progress(`webhook: raw conditional writes on the same dynalite (${opts.events} at concurrency ${opts.concurrency})`);
    rawBefore = await measureRawConditionalWrites(bench, { writes: opts.events, concurrency: opts.concurrency });
    progress(`webhook: ${opts.events} in-order events through the HTTP path at concurrency ${opts.concurrency}, served by ${servedBy(opts.webhookWorkers)}`);
    throughput = await measureWebhookThroughput(bench, { events: opts.events, concurrency: opts.concurrency, workers: opts.webhookWorkers });
    progress('webhook: raw conditional writes again (the limit is the mean of the two runs around the webhook run)');
    rawAfter = await measureRawConditionalWrites(bench, { writes: opts.events, concurrency: opts.concurrency });
    progress('webhook: 200 in-order events one at a time (the duration one Lambda invocation takes, for the cost)');
    oneAtATime = await measureWebhookThroughput(bench, { events: 200, concurrency: 1 });
    progress('app paths: cost per request, first-time and linked accounts (10 each)');
    appCosts = await measureAppPathCosts(bench, 10);
    progress(`app paths: latency of ${opts.appRequests} requests per path, and of the calls they wrap`);
    appTimings = await measureAppPathTimings(bench, opts.appRequests);
    largestItem = await largestItemBytes(bench);
  } finally {
    await bench.close();
  }
  progress('cold starts (bench/cold-start.ts)');
  const cold = await measureColdStarts();

  const rawRate = Math.round((rawBefore.writesPerSecond + rawAfter.writesPerSecond) / 2);
  const ceiling = webhookCeiling(throughput, rawRate);
  const assumptions: CostAssumptions = { memoryMb: configuredMemoryMb(), warmContainers: 2, requestsPerMonth: 1_000_000, secretCacheSeconds: 300 };
  const inOrder = kinds.find((k) => k.kind === 'in-order')!;
  const linked = (p: AppRequestCost['path']) => appCosts.find((r) => r.path === p && r.account === 'linked')!;
  const timing = (p: AppPathTiming['path']) => appTimings.find((t) => t.path === p)!;
  const costs: CostRow[] = [
    costPerMillion(
      {
        name: 'webhook events (in-order)',
        p50Ms: oneAtATime.latency.p50Ms,
        writeUnits: inOrder.writesPerEvent,
        readUnits: inOrder.readUnitsPerEvent,
        readsSecret: READS_STRIPE_SECRET.webhook,
      },
      assumptions,
    ),
    costPerMillion(
      {
        name: 'portal sessions (linked account)',
        p50Ms: timing('POST /v1/portal-sessions').latency.p50Ms,
        writeUnits: linked('POST /v1/portal-sessions').writesPerRequest,
        readUnits: linked('POST /v1/portal-sessions').readUnitsPerRequest,
        readsSecret: READS_STRIPE_SECRET['portal-sessions'],
      },
      assumptions,
    ),
    costPerMillion(
      {
        name: 'entitlement reads',
        p50Ms: timing('GET /v1/entitlements').latency.p50Ms,
        writeUnits: linked('GET /v1/entitlements').writesPerRequest,
        readUnits: linked('GET /v1/entitlements').readUnitsPerRequest,
        readsSecret: READS_STRIPE_SECRET.entitlements,
      },
      assumptions,
    ),
  ];
  const budgetRows = budgets(kinds, throughput, rawRate, appCosts, largestItem, cold);

  console.log('\nWebhook path (local stack: HTTP gateway → signature check → handler → dynalite)');
  console.table([
    ...[rawBefore, rawAfter].map((raw, i) => ({
      run: `raw conditional UpdateItem, run ${i + 1}`,
      concurrency: raw.concurrency,
      perSecond: raw.writesPerSecond,
      p50Ms: raw.latency.p50Ms,
      p99Ms: raw.latency.p99Ms,
      cpuMsBench: raw.cpuMsPerWrite.benchProcess,
      cpuMsDynamo: raw.cpuMsPerWrite.dynamoServer,
      cpuMsSender: '',
    })),
    ...[throughput, oneAtATime].map((run) => ({
      run: `webhook events, in order`,
      concurrency: run.concurrency,
      perSecond: run.eventsPerSecond,
      p50Ms: run.latency.p50Ms,
      p99Ms: run.latency.p99Ms,
      cpuMsBench: run.cpuMsPerEvent.benchProcess,
      cpuMsDynamo: run.cpuMsPerEvent.dynamoServer,
      cpuMsSender: run.cpuMsPerEvent.sender ?? '',
    })),
  ]);
  console.log(
    `webhook / raw write rate (mean of the two raw runs, ${rawRate}/s) at concurrency ${opts.concurrency}: ${round(throughput.eventsPerSecond / rawRate, 2)}x`,
  );
  console.log(
    `CPU per operation by process (cpuMs*): bench = the local stack in a webhook run, the DynamoDB client in a raw run; sender = the load generator. ${ceiling.explanation}`,
  );
  console.log('\nCost per webhook event, by kind (DynamoDB calls counted on the wire; reads in units: ½ eventually, 1 strongly consistent per 4 KB)');
  console.table(
    kinds.map((k) => ({
      kind: k.kind,
      events: k.events,
      outcomes: JSON.stringify(k.outcomes),
      writes: k.writesPerEvent,
      reads: k.readsPerEvent,
      readUnits: k.readUnitsPerEvent,
      stripeCalls: k.stripeCallsPerEvent,
    })),
  );
  console.log(
    'dynalite does not return the blocking item with a failed conditional write, so a duplicate or stale event reads it once here; DynamoDB (ReturnValuesOnConditionCheckFailure) saves that read.',
  );
  console.log('\nApp paths: cost per request');
  console.table(
    appCosts.map((r) => ({
      path: r.path,
      account: r.account,
      statuses: JSON.stringify(r.statuses),
      reads: r.readsPerRequest,
      readUnits: r.readUnitsPerRequest,
      writes: r.writesPerRequest,
      stripeCalls: r.stripeCallsPerRequest,
    })),
  );
  console.log(`\nApp paths: latency, linked account, warm handler, ${opts.appRequests} requests one at a time`);
  console.table(
    appTimings.map((t) => ({
      path: t.path,
      p50Ms: t.latency.p50Ms,
      p99Ms: t.latency.p99Ms,
      anchor: t.anchor,
      anchorP50Ms: t.anchorLatency.p50Ms,
      anchorP99Ms: t.anchorLatency.p99Ms,
      overhead: `${t.ratioP50}x`,
    })),
  );
  console.log('The emulator answers in a millisecond or two; Stripe itself takes hundreds, so on AWS the same overhead is a far smaller ratio.');
  console.log('\nCold start: Lambda bundles built as CDK builds them, each imported and invoked once in a fresh Node process (medians)');
  console.table(
    cold.map((r) => ({
      bundle: r.bundle,
      KB: round(r.bytes / 1024, 0),
      stripeBesideKB: r.stripeModuleBytes ? round(r.stripeModuleBytes / 1024, 0) : '',
      importMs: r.importMs,
      firstCallMs: r.firstInvocationMs,
      processMs: r.processMs,
      importVsHotPath: r.importVsHotPath ?? '',
      coldVsHotPath: r.coldVsHotPath ?? '',
      processVsEmpty: r.processVsEmpty ?? '',
    })),
  );
  for (const r of cold) console.log(`  ${r.bundle}: ${r.contents.map((c) => `${c.name} ${round(c.bytes / 1024, 0)} KB`).join(', ')}`);
  console.log(`\nAWS prices used (${PRICES.region}, list prices taken ${PRICES.takenOn})`);
  console.table(priceRows());
  console.log(
    `Cost per million requests, from the counts above. Assumptions: Lambda arm64 at ${assumptions.memoryMb} MB (lib/infra/linkout-function.ts), billed for the measured local p50 duration of one request at a time (webhook: the concurrency-1 run);` +
      ` 1 write unit per write (items ≤ 1 KB); Secrets Manager refreshes every ${assumptions.secretCacheSeconds} s in each of ${assumptions.warmContainers} warm containers per function all month, spread over ${assumptions.requestsPerMonth.toLocaleString('en-US')} requests a month;` +
      ' logs, alarms and Stripe fees not included.',
  );
  console.table(costs);
  console.log(`\n${costMarkdown(costs, assumptions)}\n`);
  console.log('Budgets (counts gate the exit code; timings are only reported, since this machine is shared and noisy)');
  console.table(budgetRows.map(({ gates, ...b }) => ({ ...b, gates: gates ? 'exit code' : 'report only' })));

  const failed = budgetRows.filter((b) => b.gates && b.status === 'FAIL');
  const report = {
    takenAt: new Date().toISOString(),
    seconds: round((Date.now() - started) / 1000, 1),
    node: process.version,
    options: { events: opts.events, concurrency: opts.concurrency, webhookWorkers: opts.webhookWorkers, appRequests: opts.appRequests },
    webhook: {
      rawConditionalWrites: { runs: [rawBefore, rawAfter], meanPerSecond: rawRate },
      throughput,
      oneAtATime,
      ratio: round(throughput.eventsPerSecond / rawRate, 2),
      ceilingOnThisMachine: { eventsPerSecond: ceiling.eventsPerSecond, ratio: ceiling.ratio, cores: ceiling.cores },
      kinds,
    },
    appPaths: { costs: appCosts, timings: appTimings },
    coldStart: cold,
    largestItemBytes: largestItem,
    cost: { prices: PRICES, assumptions, perMillion: costs, markdown: costMarkdown(costs, assumptions) },
    budgets: budgetRows,
  };
  mkdirSync(path.dirname(opts.json), { recursive: true });
  writeFileSync(opts.json, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`report: ${opts.json} (${report.seconds} s)`);
  console.log(failed.length ? `budget missed: ${failed.map((b) => b.budget).join('; ')}` : 'deterministic budgets met');
  return failed.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
