/**
 * `npm run bench`: webhook throughput and latency, and DynamoDB writes / Stripe calls per event,
 * measured through the real handler against dynalite (the embedded DynamoDB API server).
 *
 *   BENCH_EVENTS=2000 BENCH_CONCURRENCY=8 npm run bench
 *
 * Three runs: in-order events (the common path), duplicates of those events, and stale (older)
 * events. Budgets are printed next to the results; the exit code is 1 when one is missed.
 * Numbers are for this machine and dynalite, not for DynamoDB itself (single-digit ms per write).
 */
import { performance } from 'node:perf_hooks';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import Stripe from 'stripe';
import { DynamoAccountLinks } from '#adapters/dynamodb/account-links';
import { documentClient } from '#adapters/dynamodb/client';
import { DynamoEntitlementStore } from '#adapters/dynamodb/entitlement-store';
import { DynamoPurchaseRecords } from '#adapters/dynamodb/purchase-records';
import type { HttpResponse } from '#adapters/http/response';
import { StripeSubscriptionStarter } from '#adapters/stripe/subscription-starter';
import { nowInUnixSeconds } from '#core/clock';
import { type BillingLookup, EntitlementSync } from '#core/entitlements-sync';
import { PurchaseFulfilment } from '#core/purchases';
import { makeWebhookHandler } from '#handlers/webhook';
import { buildApiGatewayEvent } from '#local/api-gateway-event';
import { ensureTable, localDynamoClient, startLocalDynamo } from '#local/dynamodb';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const SUBSCRIPTIONS = Math.max(1, Math.floor(EVENTS / 10));
const SECRET = 'whsec_bench';
const TABLE = 'linkout-bench';
/** Budgets for dynalite on a small shared machine; AWS latency is lower. */
const BUDGET = { p95Ms: 100, writesPerEvent: 1, stripeCallsPerEvent: 0 };

const signer = new Stripe('sk_test_bench');
const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand', 'TransactWriteItemsCommand']);

/** Stripe must not be called on these paths; any call is counted and fails the budget. */
class CountingBilling implements BillingLookup {
  calls = 0;
  async subscription() {
    this.calls++;
    return undefined;
  }
  async customerAccountId() {
    this.calls++;
    return null;
  }
  async activeEntitlementKeys() {
    this.calls++;
    return [];
  }
}

function subscriptionEvent(i: number, created: number) {
  const sub = `sub_bench_${i % SUBSCRIPTIONS}`;
  return {
    id: `evt_bench_${i}`,
    object: 'event',
    type: 'customer.subscription.updated',
    created,
    data: {
      object: {
        id: sub,
        object: 'subscription',
        customer: `cus_bench_${i % SUBSCRIPTIONS}`,
        status: i % 7 === 0 ? 'past_due' : 'active',
        created: 1_700_000_000,
        cancel_at_period_end: false,
        cancel_at: null,
        pause_collection: null,
        items: {
          data: [{ current_period_end: 1_900_000_000, price: { id: 'price_bench', product: 'prod_stock_photos', lookup_key: 'stock_photos_monthly' } }],
        },
      },
    },
  };
}

function countWrites(client: DynamoDBClient) {
  const counter = { writes: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (WRITES.has((context as { commandName?: string }).commandName ?? '')) counter.writes++;
      return next(args);
    },
    { step: 'initialize', name: 'benchCountWrites' },
  );
  return counter;
}

async function run(
  name: string,
  payloads: string[],
  handler: ReturnType<typeof makeWebhookHandler>,
  now: number,
  counter: { writes: number },
  billing: CountingBilling,
) {
  const latencies: number[] = [];
  const outcomes: Record<string, number> = {};
  const writesBefore = counter.writes;
  const callsBefore = billing.calls;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < payloads.length) {
        const payload = payloads[next++]!;
        const event = buildApiGatewayEvent({
          method: 'POST',
          url: '/v1/webhooks/stripe',
          headers: {
            'content-type': 'application/json',
            'stripe-signature': signer.webhooks.generateTestHeaderString({ payload, secret: SECRET, timestamp: now }),
          },
          body: payload,
        });
        const t0 = performance.now();
        const response = (await handler(event, {} as never)) as HttpResponse;
        latencies.push(performance.now() - t0);
        if (response.statusCode !== 200) throw new Error(`${name}: HTTP ${response.statusCode} ${response.body}`);
        const outcome = (JSON.parse(response.body ?? '{}') as { outcome: string }).outcome;
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;
  const result = {
    run: name,
    events: payloads.length,
    eventsPerSecond: Math.round(payloads.length / seconds),
    p50Ms: +pct(50).toFixed(1),
    p95Ms: +pct(95).toFixed(1),
    p99Ms: +pct(99).toFixed(1),
    writesPerEvent: +((counter.writes - writesBefore) / payloads.length).toFixed(3),
    stripeCallsPerEvent: +((billing.calls - callsBefore) / payloads.length).toFixed(3),
    outcomes: JSON.stringify(outcomes),
  };
  return result;
}

async function main() {
  const dynamo = await startLocalDynamo();
  const client = localDynamoClient(dynamo.endpoint);
  try {
    await ensureTable(client, TABLE);
    const counter = countWrites(client);
    const db = documentClient(client);
    const links = new DynamoAccountLinks(db, TABLE);
    for (let s = 0; s < SUBSCRIPTIONS; s++) await links.link(`acct_bench_${s}`, `cus_bench_${s}`);
    const billing = new CountingBilling();
    const now = nowInUnixSeconds();
    // The bench's events are subscription events only: purchases never reach Stripe here.
    const purchases = new PurchaseFulfilment({
      records: new DynamoPurchaseRecords(db, TABLE),
      starter: new StripeSubscriptionStarter(() => undefined as never),
      now: () => now,
    });
    const sync = new EntitlementSync({ store: new DynamoEntitlementStore(db, TABLE), links, billing, purchases, now: () => now });
    const handler = makeWebhookHandler({ sync, secrets: () => ({ secretKey: '', webhookSecrets: [SECRET] }), now: () => now });

    // Event i of subscription s is created at base + i: strictly in order per subscription.
    const base = now - 100_000;
    const inOrder = Array.from({ length: EVENTS }, (_, i) => JSON.stringify(subscriptionEvent(i, base + Math.floor(i / SUBSCRIPTIONS) * 2 + 2)));
    const stale = Array.from({ length: Math.floor(EVENTS / 2) }, (_, i) => JSON.stringify(subscriptionEvent(EVENTS + i, base + 1)));

    const results = [
      await run('in-order', inOrder, handler, now, counter, billing),
      // Redeliveries of the newest event of every subscription: the `duplicate` outcome.
      await run('duplicates', inOrder.slice(-SUBSCRIPTIONS), handler, now, counter, billing),
      await run('stale', stale, handler, now, counter, billing),
    ];
    console.table(results);
    const common = results[0]!;
    const misses = [
      common.p95Ms > BUDGET.p95Ms && `p95 ${common.p95Ms} ms > ${BUDGET.p95Ms} ms`,
      common.writesPerEvent !== BUDGET.writesPerEvent && `writes/event ${common.writesPerEvent} != ${BUDGET.writesPerEvent}`,
      results.some((r) => r.stripeCallsPerEvent !== BUDGET.stripeCallsPerEvent) && 'a Stripe call on a path that needs none',
      results.some((r) => r.writesPerEvent > 1) && 'more than one write per event',
    ].filter(Boolean);
    console.log(
      misses.length ? `budget missed: ${misses.join('; ')}` : `budgets met (in-order p95 <= ${BUDGET.p95Ms} ms, 1 write and 0 Stripe calls per event)`,
    );
    process.exitCode = misses.length ? 1 : 0;
  } finally {
    client.destroy();
    await dynamo.close();
  }
}

void main();
