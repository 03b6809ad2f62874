/**
 * Reconciliation against real parts: the local stack (real handler modules, dynalite) and the
 * embedded Stripe emulator over HTTP, run in-process with `stack.reconcile()`.
 *
 * Scenarios: events whose webhooks were dropped (endpoint gone) or are still held back are applied
 * by a run; a second run applies nothing and writes nothing but the checkpoint; a run racing live
 * delivery converges on what Stripe holds. Stripe calls are counted per run from the emulator's own
 * request log.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type Stripe from 'stripe';
import { loadConfig } from '#adapters/config';
import { DynamoAccountLinks } from '#adapters/dynamodb/account-links';
import { documentClient } from '#adapters/dynamodb/client';
import { DynamoEntitlementStore } from '#adapters/dynamodb/entitlement-store';
import { createStripeClient } from '#adapters/stripe/client';
import { HANDLED_EVENT_TYPES } from '#adapters/stripe/mapping';
import type { ReconcileReport } from '#core/reconciliation';
import { type LocalStack, startLocalStack } from '#local/dev-server';
import { localDynamoClient } from '#local/dynamodb';

jest.setTimeout(60_000);

let stack: LocalStack;
let stripe: Stripe;
let stateDir: string;
let store: DynamoEntitlementStore;
let links: DynamoAccountLinks;
let db: ReturnType<typeof documentClient>;

beforeAll(async () => {
  stateDir = mkdtempSync(path.join(tmpdir(), 'linkout-reconcile-'));
  stack = await startLocalStack({ port: 0, env: { STRIPE_EMULATOR_PORT: '0', LINKOUT_RESUME_INTERVAL_SECONDS: '0' }, config: loadConfig(), stateDir });
  stripe = createStripeClient({ secretKey: stack.stripe.secretKey, apiUrl: stack.stripeApiUrl!, maxNetworkRetries: 0 });
  db = documentClient(localDynamoClient(stack.dynamoEndpoint));
  store = new DynamoEntitlementStore(db, stack.tableName);
  links = new DynamoAccountLinks(db, stack.tableName);
});

afterAll(async () => {
  await stack?.close();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

const emulator = () => stack.emulator!;
const webhookUrl = () => `${stack.url}/v1/webhooks/stripe`;

/** One run, with the Stripe requests it made (from the emulator's log). */
async function reconcile(): Promise<{ report: ReconcileReport; stripeRequests: string[] }> {
  const before = emulator().requests().length;
  const report = await stack.reconcile();
  const stripeRequests = emulator()
    .requests()
    .slice(before)
    .map((request) => `${request.method} ${request.path}`);
  return { report, stripeRequests };
}

async function scanTable(): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(new ScanCommand({ TableName: stack.tableName, ConsistentRead: true, ...(start && { ExclusiveStartKey: start }) }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items.sort((a, b) => `${a.pk}|${a.sk}`.localeCompare(`${b.pk}|${b.sk}`));
}

const withoutCheckpoint = (items: Array<Record<string, unknown>>) => items.filter((item) => item.pk !== 'RECONCILE');

async function subscribe(account: string): Promise<{ customerId: string; subscriptionId: string }> {
  const customer = await stripe.customers.create({ metadata: { app_account_id: account } });
  const [price] = (await stripe.prices.list({ lookup_keys: ['stock_photos_monthly'] })).data;
  const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price!.id }] });
  return { customerId: customer.id, subscriptionId: subscription.id };
}

async function storedStatus(customerId: string, subscriptionId: string) {
  const records = await store.customerRecords(customerId);
  const stored = records?.subscriptions.find((subscription) => subscription.snapshot.id === subscriptionId)?.snapshot;
  return stored && { status: stored.status, cancelAtPeriodEnd: stored.cancelAtPeriodEnd };
}

describe('reconciliation of missed webhooks', () => {
  let dropped: { customerId: string; subscriptionId: string };
  let held: { customerId: string; subscriptionId: string };

  it('applies events whose deliveries were dropped or are held back, with one list call per slice', async () => {
    // The endpoint is gone: these events are never delivered.
    emulator().setWebhook(undefined);
    dropped = await subscribe('acct_dropped');
    await stripe.subscriptions.update(dropped.subscriptionId, { cancel_at_period_end: true });
    emulator().setWebhook(webhookUrl(), stack.webhookSecrets[0]);
    // Delivery stalls: these are queued but not delivered before the run.
    emulator().setDelivery({ paused: true });
    held = await subscribe('acct_held');

    expect(await storedStatus(dropped.customerId, dropped.subscriptionId)).toBeUndefined();
    expect(await links.customerForAccount('acct_dropped')).toBeUndefined();

    const { report, stripeRequests } = await reconcile();

    expect(await storedStatus(dropped.customerId, dropped.subscriptionId)).toEqual({ status: 'active', cancelAtPeriodEnd: true });
    expect(await storedStatus(held.customerId, held.subscriptionId)).toEqual({ status: 'active', cancelAtPeriodEnd: false });
    // The customers' account links came from the events' customer metadata, as with live delivery.
    expect(await links.customerForAccount('acct_dropped')).toBe(dropped.customerId);
    expect(await links.customerForAccount('acct_held')).toBe(held.customerId);

    const handled = emulator()
      .events()
      .filter((event) => HANDLED_EVENT_TYPES.includes(event.type));
    expect(report.listed).toBe(handled.length);
    expect(report.outcomes.applied).toBeGreaterThanOrEqual(4);
    expect(report.outcomes.applied + report.outcomes.duplicate + report.outcomes.stale + report.outcomes.ignored).toBe(handled.length);
    expect(report).toMatchObject({ complete: true, rejected: { count: 0 }, skippedApiVersion: { count: 0 }, checkpoint: { previous: null, advanced: true } });
    expect(report.window.clamped).toBe(false);
    // First run: 30 days in day slices, one page each (the emulator's events all fit in one page).
    const listCalls = stripeRequests.filter((request) => request === 'GET /v1/events');
    expect(listCalls).toHaveLength(report.stripeCalls);
    expect(report.stripeCalls).toBe(report.pages);
    expect(report.stripeCalls).toBeLessThanOrEqual(32);
    process.stdout.write(
      `first run: ${JSON.stringify(report.outcomes)}, ${report.pages} pages, ${stripeRequests.length} Stripe requests (${listCalls.length} list calls)\n`,
    );

    // The held deliveries arrive late: every one is a duplicate now (or stale), nothing changes.
    emulator().setDelivery({});
    await emulator().flushDeliveries();
    expect(await storedStatus(held.customerId, held.subscriptionId)).toEqual({ status: 'active', cancelAtPeriodEnd: false });
  });

  it('a second run applies nothing new and writes nothing but the checkpoint', async () => {
    const before = await scanTable();
    const { report, stripeRequests } = await reconcile();
    const after = await scanTable();

    expect(report.outcomes.applied).toBe(0);
    expect(report.complete).toBe(true);
    expect(withoutCheckpoint(after)).toEqual(withoutCheckpoint(before));
    // One list call: the window is the few minutes since the checkpoint plus the overlap; no other Stripe call.
    expect(stripeRequests).toEqual(['GET /v1/events']);
    expect(report.checkpoint.previous).not.toBeNull();
    expect(report.window.from).toBe(report.checkpoint.previous! - 5 * 60);
    process.stdout.write(`second run: ${JSON.stringify(report.outcomes)}, ${stripeRequests.length} Stripe request\n`);
  });

  it('a run racing live delivery converges on what Stripe holds', async () => {
    const racer = await subscribe('acct_racer');
    const changes = (async () => {
      await stripe.subscriptions.update(racer.subscriptionId, { cancel_at_period_end: true });
      await stripe.subscriptions.update(racer.subscriptionId, { cancel_at_period_end: false });
      await stripe.subscriptions.update(dropped.subscriptionId, { cancel_at_period_end: false });
    })();
    // Deliveries and a run overlap: both go through the same conditional writes.
    const [{ report }] = await Promise.all([reconcile(), changes]);
    await emulator().flushDeliveries();
    const { report: settling } = await reconcile();
    await emulator().flushDeliveries();

    for (const { customerId, subscriptionId } of [racer, dropped, held]) {
      const truth = await stripe.subscriptions.retrieve(subscriptionId);
      expect(await storedStatus(customerId, subscriptionId)).toEqual({ status: truth.status, cancelAtPeriodEnd: truth.cancel_at_period_end });
    }
    expect(report.complete).toBe(true);
    expect(settling.complete).toBe(true);
    const failedDeliveries = emulator()
      .deliveries()
      .filter((delivery) => delivery.status !== 200);
    expect(failedDeliveries).toEqual([]);

    // Once everything settled, a further run changes nothing.
    const before = await scanTable();
    const { report: last } = await reconcile();
    expect(last.outcomes.applied).toBe(0);
    expect(withoutCheckpoint(await scanTable())).toEqual(withoutCheckpoint(before));
  });
});
