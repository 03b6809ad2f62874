/**
 * Chaos replay against the local stack (issue 12, "Adversarial suites"): thousands of real emulator
 * events over hundreds of subscriptions, delivered duplicated, fully shuffled and concurrently while
 * DynamoDB keeps failing for moments (the handler answers 5xx and the delivery is retried, as Stripe
 * does), with a stretch during which the webhook endpoint is down and nothing arrives. Reconciliation
 * then heals what was missed. The result must match Stripe exactly: zero mismatches.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type Stripe from 'stripe';
import { documentClient } from '#adapters/dynamodb/client';
import { DynamoEntitlementStore } from '#adapters/dynamodb/entitlement-store';
import { createStripeClient } from '#adapters/stripe/client';
import { HANDLED_EVENT_TYPES } from '#adapters/stripe/mapping';
import type { EntitlementsResponse } from '#core/entitlements';
import { issueDevToken, loadOrCreateSigningKey } from '#local/dev-jwt';
import { type LocalStack, startLocalStack } from '#local/dev-server';
import { localDynamoClient } from '#local/dynamodb';
import { seededRandom } from '../integration/entitlement-harness';
import { type DynamoFaultProxy, startDynamoFaultProxy } from './chaos/dynamo-fault-proxy';
import { type Comparison, compareWithGroundTruth, type Mismatch, subscriptionOf } from './chaos/ground-truth';
import { liveSubscriptionLives } from './chaos/subscription-lives';
import { deliver, planDeliveries } from './chaos/webhook-deliveries';

const SEED = 20261121;
const CUSTOMERS = 102;
const SUBSCRIPTIONS_PER_CUSTOMER = 5;
const DUPLICATE_SHARE = 0.2;
/** The stretch of the shuffled deliveries lost while the webhook endpoint was down. */
const DOWN_SHARE = 0.1;
const CONCURRENCY = 16;
/** Stripe retries for days; the harness gives each delivery this many attempts, backing off up to 2 s. */
const MAX_ATTEMPTS = 8;
/** A DynamoDB outage starts every this many deliveries ... */
const OUTAGE_EVERY = 1_000;
/** ... and lasts longer than the handlers' SDK retries (3 attempts), so that handlers answer 5xx. */
const OUTAGE_MS = 1_500;

describe('chaos replay against the local stack', () => {
  let stack: LocalStack;
  let proxy: DynamoFaultProxy;
  let stripe: Stripe;
  let stateDir: string;

  beforeAll(async () => {
    stateDir = mkdtempSync(path.join(tmpdir(), 'linkout-chaos-'));
    stack = await startLocalStack({
      port: 0,
      // No pause resumer: nothing but the replay and reconciliation may write.
      env: { STRIPE_EMULATOR_PORT: '0', LINKOUT_RESUME_INTERVAL_SECONDS: '0' },
      stateDir,
      handlerDynamoEndpoint: async (endpoint) => {
        proxy = await startDynamoFaultProxy(endpoint);
        return proxy.endpoint;
      },
    });
    // Stripe's own delivery stays off: the test delivers every event itself, as hostilely as it likes.
    stack.emulator!.setDelivery({ paused: true });
    stripe = createStripeClient({ secretKey: stack.stripe.secretKey, apiUrl: stack.stripeApiUrl!, maxNetworkRetries: 0 });
  }, 60_000);

  afterAll(async () => {
    await stack?.close();
    await proxy?.close();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  it('ends with zero mismatches against Stripe after duplicates, shuffling, ties, DynamoDB faults and an outage healed by reconciliation', async () => {
    const started = Date.now();
    const emulator = stack.emulator!;
    const alreadyEmitted = emulator.events().length;

    // 1. Real lives in the emulator; every event it emits is kept (paused delivery).
    const lives = await liveSubscriptionLives(stripe, stack.emulator!.url, SEED, {
      customers: CUSTOMERS,
      subscriptionsPerCustomer: SUBSCRIPTIONS_PER_CUSTOMER,
      steps: { min: 2, max: 8 },
      cancelShare: 0.15,
      concurrency: 8,
    });
    // What Stripe sends to Linkout's endpoint: the event types it is registered for (README, deployment step 6).
    const events = emulator
      .events()
      .slice(alreadyEmitted)
      .filter((event) => HANDLED_EVENT_TYPES.includes(event.type));
    const subscriptionIds = lives.accounts.flatMap((account) => account.subscriptionIds);
    const ties = tieGroups(events);
    const generatedAt = Date.now();

    expect(events.length).toBeGreaterThanOrEqual(5_000);
    expect(new Set(subscriptionIds).size).toBeGreaterThanOrEqual(500);
    expect(ties.twoOrMore).toBeGreaterThan(0);
    expect(ties.threeOrMore).toBeGreaterThan(0);

    // 2. Hostile delivery: duplicates, a full shuffle, 16 at a time, DynamoDB outages, and a stretch never delivered.
    const random = seededRandom(SEED);
    const plan = planDeliveries(events, random, { duplicateShare: DUPLICATE_SHARE, downShare: DOWN_SHARE });
    const secret = stack.webhookSecrets[0]!;
    const stats = await deliver(plan, {
      url: `${stack.url}/v1/webhooks/stripe`,
      sign: (payload) => stripe.webhooks.generateTestHeaderString({ payload, secret }),
      concurrency: CONCURRENCY,
      maxAttempts: MAX_ATTEMPTS,
      beforeDelivery: (index) => {
        if (index % OUTAGE_EVERY === OUTAGE_EVERY / 2) proxy.outage(OUTAGE_MS);
      },
    });
    const deliveredAt = Date.now();
    const delivered = new Set(plan.deliveries.filter((_, index) => index < plan.down.from || index >= plan.down.to).map((event) => event.id));
    const undelivered = events.filter((event) => !delivered.has(event.id));

    expect(stats.rejected).toEqual([]);
    expect(stats.gaveUp).toEqual([]);
    expect(proxy.faults).toBeGreaterThan(0);
    expect(stats.serverErrors).toBeGreaterThan(0);
    expect(stats.retried).toBeGreaterThan(0);
    expect(undelivered.length).toBeGreaterThan(0);

    const sources = groundTruthSources(events);
    // The outage must have mattered: something is wrong before reconciliation runs.
    const before = await compareWithGroundTruth(lives.accounts, sources);
    expect(before.mismatches.length).toBeGreaterThan(0);

    // 3. Reconciliation heals the outage.
    const reconcileStarted = Date.now();
    const report = await stack.reconcile();
    const reconciledAt = Date.now();
    const after = await compareWithGroundTruth(lives.accounts, sources);
    expect(report.complete).toBe(true);

    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(
      [
        `chaos replay: ${events.length} events over ${subscriptionIds.length} subscriptions (${lives.accounts.length} accounts), ` +
          `${plan.duplicates} duplicates, ${ties.twoOrMore} tie groups (≥3: ${ties.threeOrMore}), ` +
          `${proxy.faults} DynamoDB faults → ${stats.retried} retried deliveries, ` +
          `${undelivered.length} undelivered healed by reconciliation, ${after.mismatches.length} mismatches in ${seconds} s`,
        `  lives: ${JSON.stringify(lives.steps)}`,
        `  deliveries: ${stats.deliveries} made (${stats.attempts} attempts, ${stats.serverErrors} answered 5xx), ` +
          `${plan.down.to - plan.down.from} lost while the endpoint was down; outcomes ${JSON.stringify(stats.outcomes)}`,
        `  before reconciliation: ${describeComparison(before)}`,
        `  reconcile report: ${JSON.stringify(report)}`,
        `  after reconciliation: ${describeComparison(after)}`,
        `  time: generate ${seconds1(generatedAt - started)} s, deliver ${seconds1(deliveredAt - generatedAt)} s, ` +
          `reconcile ${seconds1(reconciledAt - reconcileStarted)} s, compare twice ${seconds1(reconcileStarted - deliveredAt + Date.now() - reconciledAt)} s`,
      ].join('\n'),
    );
    if (after.mismatches.length > 0) console.log(explainMismatches(after.mismatches, events, plan.deliveries, plan.down));
    expect(after.mismatches).toEqual([]);
  }, 600_000);

  function groundTruthSources(events: Stripe.Event[]) {
    const store = new DynamoEntitlementStore(documentClient(localDynamoClient(stack.dynamoEndpoint)), stack.tableName);
    return {
      stripe,
      events,
      config: stack.config,
      records: (customerId: string) => store.customerRecords(customerId),
      entitlements: async (accountId: string): Promise<EntitlementsResponse> => {
        const token = await issueDevToken(await loadOrCreateSigningKey(stateDir), stack.jwt, { sub: accountId });
        const response = await fetch(`${stack.url}/v1/entitlements`, { headers: { authorization: `Bearer ${token}` } });
        if (response.status !== 200) throw new Error(`GET /v1/entitlements for ${accountId} answered ${response.status}: ${await response.text()}`);
        // Parsed in this realm: fetch's own json() builds objects of Node's realm, which deep equality tells apart.
        return JSON.parse(await response.text()) as EntitlementsResponse;
      },
    };
  }
});

/** Groups of subscription events of one subscription in one second (the ties the store must settle). */
function tieGroups(events: Stripe.Event[]): { twoOrMore: number; threeOrMore: number } {
  const groups = new Map<string, number>();
  for (const event of events) {
    if (!event.type.startsWith('customer.subscription.')) continue;
    const key = `${subscriptionOf(event)}@${event.created}`;
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  const sizes = [...groups.values()];
  return { twoOrMore: sizes.filter((size) => size >= 2).length, threeOrMore: sizes.filter((size) => size >= 3).length };
}

function describeComparison(comparison: Comparison): string {
  const byKind: Record<string, number> = {};
  for (const mismatch of comparison.mismatches) byKind[mismatch.what] = (byKind[mismatch.what] ?? 0) + 1;
  return `${comparison.mismatches.length} mismatches over ${comparison.subscriptions} subscriptions and ${comparison.accounts} accounts ${JSON.stringify(byKind)}`;
}

/** For a failure: the exact scenario of the first few mismatched subscriptions (events, seconds, delivery order). */
function explainMismatches(mismatches: Mismatch[], events: Stripe.Event[], deliveries: Stripe.Event[], down: { from: number; to: number }): string {
  const lines: string[] = [];
  const subscriptionIds = [...new Set(mismatches.flatMap((m) => (m.subscriptionId ? [m.subscriptionId] : [])))].slice(0, 5);
  for (const subscriptionId of subscriptionIds) {
    lines.push(`mismatch ${subscriptionId}:`);
    for (const mismatch of mismatches.filter((m) => m.subscriptionId === subscriptionId)) {
      lines.push(`  ${mismatch.what}: expected ${JSON.stringify(mismatch.expected)}, stored ${JSON.stringify(mismatch.actual)}`);
    }
    for (const event of events.filter(
      (e) => subscriptionOf(e) === subscriptionId && /^(customer\.subscription\.|invoice\.paid|invoice\.payment_failed)/.test(e.type),
    )) {
      const positions = deliveries.flatMap((candidate, index) =>
        candidate.id === event.id ? [index < down.from || index >= down.to ? `${index}` : `${index}(down)`] : [],
      );
      lines.push(`  ${event.id} ${event.type} created ${event.created} delivered at ${positions.join(', ')}`);
    }
  }
  const others = mismatches.filter((m) => !m.subscriptionId).slice(0, 3);
  for (const mismatch of others) lines.push(`${mismatch.accountId} ${mismatch.what}: ${differences(mismatch.expected, mismatch.actual).join('; ')}`);
  return lines.join('\n');
}

/** Where two JSON values differ, as `path: expected → actual` lines. */
function differences(expected: unknown, actual: unknown, at = ''): string[] {
  if (isDeepStrictEqual(expected, actual)) return [];
  if (typeof expected === 'object' && expected !== null && typeof actual === 'object' && actual !== null) {
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
    const missing = [...keys].filter((key) => !(key in expected) || !(key in actual)).map((key) => `${at}.${key}: present on one side only`);
    if (missing.length > 0) return missing;
    return [...keys].flatMap((key) => differences((expected as Record<string, unknown>)[key], (actual as Record<string, unknown>)[key], `${at}.${key}`));
  }
  return [`${at || '.'}: ${JSON.stringify(expected)} → ${JSON.stringify(actual)}`];
}

const seconds1 = (ms: number) => (ms / 1000).toFixed(1);
