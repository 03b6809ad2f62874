/**
 * Wiring for the entitlement tests: the real webhook and entitlements handlers over dynalite and
 * the Stripe emulator, with counters for DynamoDB writes (an AWS SDK middleware) and Stripe calls
 * (stripe-node's request events), and builders for signed synthetic Stripe events.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import Stripe from 'stripe';
import { loadConfig } from '#adapters/config';
import { DynamoAccountLinks } from '#adapters/dynamodb/account-links';
import { documentClient } from '#adapters/dynamodb/client';
import { DynamoEntitlementStore } from '#adapters/dynamodb/entitlement-store';
import { DynamoPurchaseRecords } from '#adapters/dynamodb/purchase-records';
import type { HttpResponse } from '#adapters/http/response';
import { StripeBillingLookup } from '#adapters/stripe/billing-lookup';
import { createStripeClient, STRIPE_API_VERSION } from '#adapters/stripe/client';
import { StripeSubscriptionStarter } from '#adapters/stripe/subscription-starter';
import { nowInUnixSeconds } from '#core/clock';
import { type BillingLookup, EntitlementSync } from '#core/entitlements-sync';
import { PurchaseFulfilment } from '#core/purchases';
import { makeEntitlementsHandler } from '#handlers/entitlements';
import { makeWebhookHandler } from '#handlers/webhook';
import { buildApiGatewayEvent } from '#local/api-gateway-event';
import { localDynamoClient } from '#local/dynamodb';
import { TEST_SECRET_KEY } from '../helpers/stripe';

export const WEBHOOK_SECRET = 'whsec_entitlement_tests';
export const config = loadConfig({ LINKOUT_CONFIG_FILE: path.resolve(__dirname, '../../config/linkout.example.json') });

const WRITE_COMMANDS = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand', 'TransactWriteItemsCommand']);

export interface Harness {
  dynamo: DynamoDBClient;
  links: DynamoAccountLinks;
  store: DynamoEntitlementStore;
  /** The purchase records the webhook's fulfilment reads and moves. */
  purchases: DynamoPurchaseRecords;
  counts: { writes: number; reads: number; stripeCalls: number };
  /** Makes the next `times` DynamoDB commands named `commandName` fail as a throttled service would. */
  failNext(commandName: string, times?: number): void;
  deliver(payload: string, headers?: Record<string, string>, options?: { base64?: boolean }): Promise<HttpResponse>;
  deliverEvent(event: object, options?: { secret?: string; timestamp?: number }): Promise<HttpResponse>;
  getEntitlements(accountId: string): Promise<HttpResponse>;
  scan(): Promise<Record<string, unknown>[]>;
  resetCounts(): void;
  close(): void;
}

export interface HarnessOptions {
  dynamoEndpoint: string;
  tableName: string;
  /** Base URL of the Stripe emulator (or any server); the tie and customer lookups go there. */
  stripeApiUrl: string;
  webhookSecrets?: string[];
  now?: () => number;
  /** Wraps the Stripe reads, for the one the emulator does not serve (Stripe Entitlements). */
  billing?: (stripeBacked: BillingLookup) => BillingLookup;
}

export function createHarness(options: HarnessOptions): Harness {
  const counts = { writes: 0, reads: 0, stripeCalls: 0 };
  const faults = new Map<string, number>();
  const dynamo = localDynamoClient(options.dynamoEndpoint);
  dynamo.middlewareStack.add(
    (next, context) => async (args) => {
      const name = (context as { commandName?: string }).commandName ?? '';
      const pending = faults.get(name) ?? 0;
      if (pending > 0) {
        faults.set(name, pending - 1);
        throw Object.assign(new Error('Throughput exceeds the current capacity of your table.'), {
          name: 'ProvisionedThroughputExceededException',
          $fault: 'client',
        });
      }
      if (WRITE_COMMANDS.has(name)) counts.writes++;
      else counts.reads++;
      return next(args);
    },
    { step: 'initialize', name: 'countAndInjectFaults' },
  );
  const db = documentClient(dynamo);
  const links = new DynamoAccountLinks(db, options.tableName);
  const store = new DynamoEntitlementStore(db, options.tableName);
  const stripe = createStripeClient({ secretKey: TEST_SECRET_KEY, apiUrl: options.stripeApiUrl, maxNetworkRetries: 0 });
  stripe.on('request', () => counts.stripeCalls++);
  const now = options.now ?? nowInUnixSeconds;
  const secrets = options.webhookSecrets ?? [WEBHOOK_SECRET];
  const purchases = new DynamoPurchaseRecords(db, options.tableName);
  const sync = new EntitlementSync({
    store,
    links,
    billing: (options.billing ?? ((b) => b))(new StripeBillingLookup(() => stripe)),
    purchases: new PurchaseFulfilment({ records: purchases, starter: new StripeSubscriptionStarter(() => stripe), now }),
    now,
  });
  const webhook = makeWebhookHandler({ sync, secrets: () => ({ secretKey: TEST_SECRET_KEY, webhookSecrets: secrets }), now });
  const entitlements = makeEntitlementsHandler({ config, links, store, now });
  const invoke = async (handler: typeof webhook, event: ReturnType<typeof buildApiGatewayEvent>) => (await handler(event, {} as never)) as HttpResponse;

  return {
    dynamo,
    links,
    store,
    purchases,
    counts,
    failNext(commandName, times = 1) {
      faults.set(commandName, times);
    },
    deliver(payload, headers = {}, { base64 = false } = {}) {
      return invoke(
        webhook,
        buildApiGatewayEvent({
          method: 'POST',
          url: '/v1/webhooks/stripe',
          routeKey: 'POST /v1/webhooks/stripe',
          // API Gateway base64-encodes bodies whose content type it does not take for text.
          headers: { 'content-type': base64 ? 'application/octet-stream' : 'application/json; charset=utf-8', ...headers },
          body: payload,
        }),
      );
    },
    deliverEvent(event, { secret = secrets[0]!, timestamp = now() } = {}) {
      const payload = JSON.stringify(event);
      return this.deliver(payload, { 'stripe-signature': sign(payload, secret, timestamp) });
    },
    getEntitlements(accountId) {
      return invoke(
        entitlements,
        buildApiGatewayEvent({
          method: 'GET',
          url: '/v1/entitlements',
          routeKey: 'GET /v1/entitlements',
          claims: { sub: accountId, role: 'owner' },
        }),
      );
    },
    async scan() {
      const { Items } = await db.send(new ScanCommand({ TableName: options.tableName }));
      return Items ?? [];
    },
    resetCounts() {
      counts.writes = 0;
      counts.reads = 0;
      counts.stripeCalls = 0;
    },
    close() {
      dynamo.destroy();
    },
  };
}

const signer = new Stripe('sk_test_signer');
export function sign(payload: string, secret: string, timestamp: number): string {
  return signer.webhooks.generateTestHeaderString({ payload, secret, timestamp });
}

const fixture = (name: string) => JSON.parse(readFileSync(path.resolve(__dirname, '../fixtures/stripe', `${name}.json`), 'utf8'));
const SUBSCRIPTION_FIXTURE = fixture('subscription');
const INVOICE_FIXTURE = fixture('invoice');

export interface SubscriptionState {
  id: string;
  customer: string;
  status: Stripe.Subscription.Status;
  productId?: string;
  priceId?: string;
  lookupKey?: string | null;
  currentPeriodEnd?: number;
  cancelAtPeriodEnd?: boolean;
  pauseResumesAt?: number | null;
  paused?: boolean;
}

/** A Stripe subscription object shaped like the fixture, with the fields the rules read set. */
export function subscriptionObject(state: SubscriptionState): Stripe.Subscription {
  const periodEnd = state.currentPeriodEnd ?? 1_900_000_000;
  const item = SUBSCRIPTION_FIXTURE.items.data[0];
  return {
    ...SUBSCRIPTION_FIXTURE,
    id: state.id,
    customer: state.customer,
    status: state.status,
    created: 1_700_000_000,
    cancel_at_period_end: state.cancelAtPeriodEnd ?? false,
    cancel_at: state.cancelAtPeriodEnd ? periodEnd : null,
    pause_collection: state.paused ? { behavior: 'void', resumes_at: state.pauseResumesAt ?? null } : null,
    items: {
      ...SUBSCRIPTION_FIXTURE.items,
      data: [
        {
          ...item,
          id: `si_${state.id}`,
          subscription: state.id,
          current_period_end: periodEnd,
          current_period_start: periodEnd - 30 * 86_400,
          price: {
            ...item.price,
            id: state.priceId ?? 'price_stock_photos_monthly',
            product: state.productId ?? 'prod_stock_photos',
            lookup_key: state.lookupKey === undefined ? 'stock_photos_monthly' : state.lookupKey,
          },
        },
      ],
    },
  } as Stripe.Subscription;
}

export function stripeEvent(id: string, type: string, created: number, object: unknown): Stripe.Event {
  return {
    id,
    object: 'event',
    api_version: STRIPE_API_VERSION,
    created,
    data: { object },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
  } as unknown as Stripe.Event;
}

export function invoiceObject(id: string, customer: string, subscription: string): Stripe.Invoice {
  return {
    ...INVOICE_FIXTURE,
    id,
    customer,
    parent: { type: 'subscription_details', quote_details: null, subscription_details: { metadata: null, subscription } },
  } as Stripe.Invoice;
}

export const body = (response: HttpResponse) => JSON.parse(response.body ?? 'null');

/** A small seeded PRNG (mulberry32), so that random orders are reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
