/**
 * The webhook path through the local stack's full HTTP path (gateway → signature check → handler →
 * DynamoDB): what each kind of event costs, the throughput and latency at a given concurrency, and
 * the raw rate of conditional writes on the same DynamoDB server (the physical limit).
 *
 * Synthetic customers are linked straight in the table, as a customer linked by an earlier portal
 * session would be; the kinds that need Stripe (a same-second tie, an unknown customer) use real
 * customers and subscriptions in the emulator.
 */
import { randomUUID } from 'node:crypto';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type Stripe from 'stripe';
import { documentClient } from '#adapters/dynamodb/client';
import { localDynamoClient } from '#local/dynamodb';
import type { BenchStack, Reply } from './bench-stack';
import { countsBetween } from './dynamo-counter';
import { type Latency, latencyOf, processCpuMs, round, runPool, tally, tallyStripeRequests, WORKER_CPU_PATH } from './measure';

export const EVENT_KINDS = ['in-order', 'duplicate', 'stale', 'same-second tie', 'unknown customer', 'first of a known customer'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export interface EventKindCost {
  kind: EventKind;
  events: number;
  /** Outcome → count, as the handler answered. */
  outcomes: Record<string, number>;
  writesPerEvent: number;
  readsPerEvent: number;
  readUnitsPerEvent: number;
  stripeCallsPerEvent: number;
  /** DynamoDB operations and Stripe requests of the whole phase, by kind (to see what a count is made of). */
  dynamoOperations: Record<string, number>;
  stripeRequests: Record<string, number>;
}

const PRICE = { id: 'price_bench', product: 'prod_stock_photos', lookup_key: 'stock_photos_monthly' };

/** A subscription event as Stripe sends it, for a synthetic customer that Stripe is never asked about. */
function syntheticSubscriptionEvent(id: string, created: number, customer: string, subscription: string, status = 'active') {
  return {
    id,
    object: 'event',
    type: 'customer.subscription.updated',
    created,
    data: {
      object: {
        id: subscription,
        object: 'subscription',
        customer,
        status,
        created: 1_700_000_000,
        cancel_at_period_end: false,
        cancel_at: null,
        pause_collection: null,
        items: { data: [{ current_period_end: 1_900_000_000, price: PRICE }] },
      },
    },
  };
}

function realSubscriptionEvent(id: string, created: number, subscription: Stripe.Subscription) {
  return { id, object: 'event', type: 'customer.subscription.updated', created, data: { object: subscription } };
}

/** The handler's outcome in a webhook answer; any answer but 200 stops the phase. */
function outcomeOf(reply: Reply, what: string): string {
  if (reply.status !== 200) throw new Error(`${what}: HTTP ${reply.status} ${JSON.stringify(reply.body)}`);
  return String(reply.body?.outcome);
}

/** Delivers `events` one at a time and returns what they cost together, per event. */
async function costOf(bench: BenchStack, kind: EventKind, events: object[]): Promise<EventKindCost> {
  const dynamoBefore = await bench.dynamo();
  const stripeBefore = bench.stripeCalls();
  const answered: string[] = [];
  for (const event of events) answered.push(outcomeOf(await bench.deliver(event), kind));
  const outcomes = tally(answered);
  const dynamo = countsBetween(dynamoBefore, await bench.dynamo());
  const per = (total: number) => round(total / events.length, 3);
  return {
    kind,
    events: events.length,
    outcomes,
    writesPerEvent: per(dynamo.writes + dynamo.multiItem),
    readsPerEvent: per(dynamo.reads),
    readUnitsPerEvent: per(dynamo.readUnits),
    stripeCallsPerEvent: per(bench.stripeCalls() - stripeBefore),
    dynamoOperations: dynamo.byOperation,
    stripeRequests: tallyStripeRequests(bench.stripeRequestsSince(stripeBefore)),
  };
}

/** Customers in the emulator (with the account in their metadata, as Linkout creates them) and an active subscription each. */
async function realSubscriptions(bench: BenchStack, accounts: string[]): Promise<Stripe.Subscription[]> {
  const [price] = (await bench.stripe.prices.list({ lookup_keys: ['stock_photos_monthly'] })).data;
  if (!price) throw new Error('the emulator has no stock_photos_monthly price');
  const subscriptions: Stripe.Subscription[] = [];
  for (const account of accounts) {
    const customer = await bench.stripe.customers.create({ metadata: { app_account_id: account } });
    subscriptions.push(await bench.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] }));
  }
  return subscriptions;
}

/**
 * What one event of each kind costs, over `perKind` events of each (deterministic counts; the
 * timings are measured separately). `namespace` keeps the ids of two calls on one stack apart.
 */
export async function measureEventKindCosts(bench: BenchStack, perKind = 10, namespace = randomUUID().slice(0, 8)): Promise<EventKindCost[]> {
  const base = Math.floor(Date.now() / 1000) - 10_000;
  const ids = Array.from({ length: perKind }, (_, k) => k);
  const customer = (k: number) => `cus_${namespace}_${k}`;
  const subscription = (k: number) => `sub_${namespace}_${k}`;
  for (const k of ids) await bench.links.link(`acct_${namespace}_${k}`, customer(k));
  const event = (name: string, k: number, created: number) =>
    syntheticSubscriptionEvent(`evt_${namespace}_${name}_${k}`, created, customer(k), subscription(k));

  const first = await costOf(
    bench,
    'first of a known customer',
    ids.map((k) => event('first', k, base + 2)),
  );
  const inOrderEvents = ids.map((k) => event('next', k, base + 4));
  const inOrder = await costOf(bench, 'in-order', inOrderEvents);
  const duplicate = await costOf(bench, 'duplicate', inOrderEvents);
  const stale = await costOf(
    bench,
    'stale',
    ids.map((k) => event('older', k, base + 1)),
  );

  // A tie: a second event for the subscription in the same second as the stored one; Stripe settles it.
  const tied = await realSubscriptions(
    bench,
    ids.map((k) => `acct_${namespace}_tie_${k}`),
  );
  for (const [k, sub] of tied.entries()) await bench.links.link(`acct_${namespace}_tie_${k}`, String(sub.customer));
  await costOf(
    bench,
    'in-order',
    tied.map((sub, k) => realSubscriptionEvent(`evt_${namespace}_tie_a_${k}`, base + 2, sub)),
  );
  const tie = await costOf(
    bench,
    'same-second tie',
    tied.map((sub, k) => realSubscriptionEvent(`evt_${namespace}_tie_b_${k}`, base + 2, sub)),
  );

  // An unknown customer: no link in the table, so Linkout asks Stripe whose customer it is.
  const unknown = await realSubscriptions(
    bench,
    ids.map((k) => `acct_${namespace}_new_${k}`),
  );
  const firstUnknown = await costOf(
    bench,
    'unknown customer',
    unknown.map((sub, k) => realSubscriptionEvent(`evt_${namespace}_new_${k}`, base + 2, sub)),
  );
  return [inOrder, duplicate, stale, tie, firstUnknown, first];
}

/**
 * CPU time (ms) per event or write, by process: where a run's time went. On a machine with fewer
 * cores than busy processes, the rate is bounded by the sum over the cores, whatever the code does.
 */
export interface CpuPerOperation {
  /** The benchmark's own process: the local stack (gateway, handlers) in a webhook run, with its webhook workers if any; the DynamoDB client in a raw run. */
  benchProcess: number;
  /** dynalite and the counting proxy (./dynamo-server.ts). */
  dynamoServer: number;
  /** The load generator (./load-generator.ts); none in a raw run, whose client is the bench process. */
  sender?: number;
}

export interface WebhookThroughput {
  events: number;
  concurrency: number;
  /** 0: served by the local stack's own thread; n: by n worker processes (BenchStack.webhookUrls). */
  workers: number;
  eventsPerSecond: number;
  latency: Latency;
  outcomes: Record<string, number>;
  writesPerEvent: number;
  stripeCallsPerEvent: number;
  cpuMsPerEvent: CpuPerOperation;
}

/**
 * In-order events for `events / 10` linked customers, `concurrency` in flight, served by the stack
 * itself (`workers` 0) or by that many worker processes. Each customer's first event is delivered to
 * every server before the clock starts (a container reads the link once): what is timed is the
 * common path.
 */
export async function measureWebhookThroughput(
  bench: BenchStack,
  options: { events: number; concurrency: number; workers?: number },
): Promise<WebhookThroughput> {
  const workers = options.workers ?? 0;
  const urls = await bench.webhookUrls(workers);
  const namespace = `tp${randomUUID().slice(0, 6)}`;
  const customers = Math.max(1, Math.floor(options.events / 10));
  const base = Math.floor(Date.now() / 1000) - 100_000;
  for (let c = 0; c < customers; c++) await bench.links.link(`acct_${namespace}_${c}`, `cus_${namespace}_${c}`);
  // Event i belongs to customer i % customers and is 2 s newer than that customer's previous one, so
  // every customer's events arrive strictly in order (those in flight together are all different customers).
  const event = (i: number) =>
    bench.sign(
      syntheticSubscriptionEvent(
        `evt_${namespace}_${i}`,
        base + Math.floor(i / customers) * 2 + 2,
        `cus_${namespace}_${i % customers}`,
        `sub_${namespace}_${i % customers}`,
        i % 7 === 0 ? 'past_due' : 'active',
      ),
    );
  // Round r primes every customer on server r (events r·customers … (r+1)·customers − 1).
  for (const [round, url] of urls.entries()) {
    const primers = Array.from({ length: customers }, (_, c) => event(round * customers + c));
    const primed = await bench.postAll(primers, options.concurrency, [url]);
    if (primed.replies.some((reply) => reply.status !== 200)) throw new Error(`webhook: priming ${url} failed`);
  }
  // Signed ahead, as Stripe signs before it sends: the timed loop is Linkout's work, not the sender's.
  const events = Array.from({ length: options.events }, (_, i) => event(urls.length * customers + i));
  const dynamoBefore = await bench.dynamo();
  const stripeBefore = bench.stripeCalls();
  const cpuBefore = process.cpuUsage();
  const workersBefore = await workerCpuMs(bench, workers);
  const { latencies, seconds, replies, cpuMs: senderCpuMs } = await bench.postAll(events, options.concurrency, urls);
  const benchCpuMs = processCpuMs(cpuBefore) + ((await workerCpuMs(bench, workers)) - workersBefore);
  const outcomes = tally(replies.map((reply) => outcomeOf(reply, 'webhook')));
  const dynamo = countsBetween(dynamoBefore, await bench.dynamo());
  return {
    events: events.length,
    concurrency: options.concurrency,
    workers,
    eventsPerSecond: Math.round(events.length / seconds),
    latency: latencyOf(latencies),
    outcomes,
    writesPerEvent: round((dynamo.writes + dynamo.multiItem) / events.length, 3),
    stripeCallsPerEvent: round((bench.stripeCalls() - stripeBefore) / events.length, 3),
    cpuMsPerEvent: {
      benchProcess: round(benchCpuMs / events.length, 2),
      dynamoServer: round(dynamo.serverCpuMs / events.length, 2),
      sender: round(senderCpuMs / events.length, 2),
    },
  };
}

/** The CPU time the webhook workers have used so far, summed (0 without workers). */
async function workerCpuMs(bench: BenchStack, workers: number): Promise<number> {
  const urls = workers > 0 ? await bench.webhookUrls(workers) : [];
  const used = await Promise.all(urls.map(async (url) => ((await (await fetch(`${url}${WORKER_CPU_PATH}`)).json()) as { cpuMs: number }).cpuMs));
  return used.reduce((sum, ms) => sum + ms, 0);
}

export interface RawWriteRate {
  writes: number;
  concurrency: number;
  writesPerSecond: number;
  latency: Latency;
  cpuMsPerWrite: CpuPerOperation;
}

/**
 * The physical limit: conditional UpdateItem calls ("apply if newer", like the store's ordered
 * write, on an item of about the same size) on the same DynamoDB server, through the same counting
 * proxy the handlers use, with the same concurrency. Nothing else: no HTTP gateway, no handler.
 */
export async function measureRawConditionalWrites(bench: BenchStack, options: { writes: number; concurrency: number }): Promise<RawWriteRate> {
  const client = localDynamoClient(bench.countedDynamoEndpoint);
  const db = documentClient(client);
  const namespace = randomUUID().slice(0, 8);
  const items = Math.max(1, Math.floor(options.writes / 10));
  // The same write, with the position, id and item varied per call.
  const write = async (i: number) => {
    await db.send(
      new UpdateCommand({
        TableName: bench.stack.tableName,
        Key: { pk: `BENCH#${namespace}#${i % items}`, sk: 'SUBSCRIPTION#sub_bench' },
        UpdateExpression: 'SET #wm = :created, eventId = :id, #status = :status, customerId = :customer, priceIds = :prices, periodEnd = :end',
        ConditionExpression: 'attribute_not_exists(#wm) OR #wm < :created',
        ExpressionAttributeNames: { '#wm': 'watermark', '#status': 'status' },
        ExpressionAttributeValues: {
          ':created': 1_700_000_000 + i,
          ':id': `evt_${namespace}_${i}`,
          ':status': 'active',
          ':customer': `cus_${namespace}_${i % items}`,
          ':prices': ['stock_photos_monthly'],
          ':end': 1_900_000_000,
        },
      }),
    );
  };
  try {
    const dynamoBefore = await bench.dynamo();
    const cpuBefore = process.cpuUsage();
    const { latencies, seconds } = await runPool(
      Array.from({ length: options.writes }, (_, i) => i),
      options.concurrency,
      write,
    );
    const benchCpuMs = processCpuMs(cpuBefore);
    const dynamo = countsBetween(dynamoBefore, await bench.dynamo());
    return {
      writes: options.writes,
      concurrency: options.concurrency,
      writesPerSecond: Math.round(options.writes / seconds),
      latency: latencyOf(latencies),
      cpuMsPerWrite: { benchProcess: round(benchCpuMs / options.writes, 2), dynamoServer: round(dynamo.serverCpuMs / options.writes, 2) },
    };
  } finally {
    client.destroy();
  }
}
