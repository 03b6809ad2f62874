/**
 * The app's paths through the local stack (gateway with its JWT check → handler → DynamoDB and the
 * Stripe emulator): latency against the time of the call each one wraps, made directly (Linkout's
 * overhead as a ratio), and DynamoDB reads/writes and Stripe calls per request for an account that
 * is already linked to a Stripe customer and for one seen for the first time.
 *
 * Requests are sent one at a time, so a latency is one request's and not a queue's. Each handler is
 * warmed first (module load, the portal-configuration and price caches): these are warm-container
 * numbers; cold starts are measured by ./cold-start.ts.
 */
import { randomUUID } from 'node:crypto';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '#adapters/dynamodb/client';
import { localDynamoClient } from '#local/dynamodb';
import type { BenchStack, Reply } from './bench-stack';
import { countsBetween } from './dynamo-counter';
import { type Latency, latencyOf, round, runSequential, tally, tallyStripeRequests } from './measure';

export const APP_PATHS = ['POST /v1/portal-sessions', 'POST /v1/checkout-sessions', 'GET /v1/entitlements'] as const;
export type AppPath = (typeof APP_PATHS)[number];
export type AccountState = 'linked' | 'first-time';

export interface AppRequestCost {
  path: AppPath;
  account: AccountState;
  requests: number;
  statuses: Record<string, number>;
  readsPerRequest: number;
  readUnitsPerRequest: number;
  writesPerRequest: number;
  stripeCallsPerRequest: number;
  /** DynamoDB operations and Stripe requests of the whole phase, by kind (to see what a count is made of). */
  dynamoOperations: Record<string, number>;
  stripeRequests: Record<string, number>;
  latency: Latency;
}

export interface AppPathTiming {
  path: AppPath;
  /** Linked account, warm handler. */
  latency: Latency;
  /** What the wrapped call takes on its own, made straight from stripe-node (or the DynamoDB client). */
  anchor: string;
  anchorLatency: Latency;
  /** p50 / anchor p50: Linkout's overhead (gateway, JWT check, handler, DynamoDB). */
  ratioP50: number;
}

const CHECKOUT_BODY = { priceId: 'stock_photos_monthly' };

function request(bench: BenchStack, path: AppPath, token: string): Promise<Reply> {
  const [method, url] = path.split(' ') as [string, string];
  return bench.call(method, url, token, path === 'POST /v1/checkout-sessions' ? CHECKOUT_BODY : path === 'GET /v1/entitlements' ? undefined : {});
}

/** Sends `path` once for each account (one at a time) and returns the cost and latency per request. */
async function costOf(bench: BenchStack, path: AppPath, account: AccountState, accounts: string[]): Promise<AppRequestCost> {
  const tokens = await Promise.all(accounts.map((a) => bench.token(a)));
  const dynamoBefore = await bench.dynamo();
  const stripeBefore = bench.stripeCalls();
  const answered: number[] = [];
  const { latencies } = await runSequential(tokens, async (token) => {
    answered.push((await request(bench, path, token)).status);
  });
  const dynamo = countsBetween(dynamoBefore, await bench.dynamo());
  const per = (total: number) => round(total / accounts.length, 3);
  return {
    path,
    account,
    requests: accounts.length,
    statuses: tally(answered),
    readsPerRequest: per(dynamo.reads),
    readUnitsPerRequest: per(dynamo.readUnits),
    writesPerRequest: per(dynamo.writes + dynamo.multiItem),
    stripeCallsPerRequest: per(bench.stripeCalls() - stripeBefore),
    dynamoOperations: dynamo.byOperation,
    stripeRequests: tallyStripeRequests(bench.stripeRequestsSince(stripeBefore)),
    latency: latencyOf(latencies),
  };
}

/**
 * Per path: `requests` first-time accounts, then the same accounts again (now linked; for the
 * entitlements read, accounts that also hold a subscription snapshot).
 */
export async function measureAppPathCosts(bench: BenchStack, requests = 20, namespace = randomUUID().slice(0, 8)): Promise<AppRequestCost[]> {
  const accounts = (prefix: string) => Array.from({ length: requests }, (_, i) => `acct_${namespace}_${prefix}_${i}`);
  // Warm each handler (module load, configuration and price caches) outside the counts.
  for (const path of APP_PATHS) await request(bench, path, await bench.token(`acct_${namespace}_warm`));

  const rows: AppRequestCost[] = [];
  const portalAccounts = accounts('portal');
  rows.push(await costOf(bench, 'POST /v1/portal-sessions', 'first-time', portalAccounts));
  rows.push(await costOf(bench, 'POST /v1/portal-sessions', 'linked', portalAccounts));
  rows.push(await costOf(bench, 'POST /v1/checkout-sessions', 'first-time', accounts('checkout')));
  // Linked by their portal sessions above, with no subscription yet: a purchase is allowed.
  rows.push(await costOf(bench, 'POST /v1/checkout-sessions', 'linked', portalAccounts));
  rows.push(await costOf(bench, 'GET /v1/entitlements', 'first-time', accounts('entitlements')));
  const subscribed = await subscribedAccounts(bench, accounts('subscribed'));
  rows.push(await costOf(bench, 'GET /v1/entitlements', 'linked', subscribed));
  return rows;
}

/** Accounts linked in the table whose customer holds one stored subscription snapshot (delivered as a webhook). */
async function subscribedAccounts(bench: BenchStack, accounts: string[]): Promise<string[]> {
  const created = Math.floor(Date.now() / 1000) - 60;
  for (const [i, account] of accounts.entries()) {
    const customer = `cus_${account}`;
    await bench.links.link(account, customer);
    const event = {
      id: `evt_${account}`,
      object: 'event',
      type: 'customer.subscription.updated',
      created,
      data: {
        object: {
          id: `sub_${account}`,
          object: 'subscription',
          customer,
          status: 'active',
          created: created - 30 * 86_400,
          cancel_at_period_end: false,
          cancel_at: null,
          pause_collection: null,
          items: {
            data: [{ current_period_end: created + 86_400, price: { id: `price_${i}`, product: 'prod_stock_photos', lookup_key: 'stock_photos_monthly' } }],
          },
        },
      },
    };
    const reply = await bench.deliver(event);
    if (reply.body?.outcome !== 'applied') throw new Error(`seeding ${account}: ${JSON.stringify(reply.body)}`);
  }
  return accounts;
}

/**
 * Latency of each path for linked accounts against its anchor: the Stripe call it wraps, made
 * directly from stripe-node to the emulator (portal and checkout sessions), or the DynamoDB reads it
 * wraps, made directly through the same proxy (entitlements, which never calls Stripe).
 */
export async function measureAppPathTimings(bench: BenchStack, requests = 100): Promise<AppPathTiming[]> {
  const namespace = randomUUID().slice(0, 8);
  const accounts = Array.from({ length: requests }, (_, i) => `acct_${namespace}_t_${i}`);
  const tokens = await Promise.all(accounts.map((a) => bench.token(a)));
  // First requests link every account; the timed ones below are all for linked accounts.
  for (const token of tokens) await request(bench, 'POST /v1/portal-sessions', token);
  await subscribedAccounts(
    bench,
    accounts.map((a) => `${a}_sub`),
  );
  const subscribedTokens = await Promise.all(accounts.map((a) => bench.token(`${a}_sub`)));

  const timeOf = async (path: AppPath, list: string[]) =>
    latencyOf((await runSequential(list, async (token) => void (await request(bench, path, token)))).latencies);
  const customers = await Promise.all(accounts.map(async (a) => (await bench.links.customerForAccount(a))!));
  const [configuration] = (await bench.stripe.billingPortal.configurations.list({ limit: 1 })).data;
  const [price] = (await bench.stripe.prices.list({ lookup_keys: ['stock_photos_monthly'] })).data;
  const returnUrl = `${bench.stack.url}/return`;

  const portal = await timeOf('POST /v1/portal-sessions', tokens);
  const portalAnchor = latencyOf(
    (
      await runSequential(customers, async (customer) => {
        await bench.stripe.billingPortal.sessions.create({ customer, configuration: configuration!.id, return_url: returnUrl });
      })
    ).latencies,
  );
  const checkout = await timeOf('POST /v1/checkout-sessions', tokens);
  const checkoutAnchor = latencyOf(
    (
      await runSequential(customers, async (customer) => {
        await bench.stripe.checkout.sessions.create({
          mode: 'subscription',
          customer,
          line_items: [{ price: price!.id, quantity: 1 }],
          success_url: returnUrl,
          cancel_url: returnUrl,
        });
      })
    ).latencies,
  );
  const entitlements = await timeOf('GET /v1/entitlements', subscribedTokens);
  const client = localDynamoClient(bench.countedDynamoEndpoint);
  const db = documentClient(client);
  let entitlementsAnchor: Latency;
  try {
    entitlementsAnchor = latencyOf(
      (
        await runSequential(accounts, async (account) => {
          const table = bench.stack.tableName;
          await db.send(new GetCommand({ TableName: table, Key: { pk: `ACCOUNT#${account}_sub`, sk: 'CUSTOMER' } }));
          await db.send(
            new QueryCommand({
              TableName: table,
              KeyConditionExpression: 'pk = :pk',
              ExpressionAttributeValues: { ':pk': `CUSTOMER#cus_${account}_sub` },
              ConsistentRead: true,
            }),
          );
        })
      ).latencies,
    );
  } finally {
    client.destroy();
  }
  const row = (path: AppPath, latency: Latency, anchor: string, anchorLatency: Latency): AppPathTiming => ({
    path,
    latency,
    anchor,
    anchorLatency,
    ratioP50: round(latency.p50Ms / Math.max(anchorLatency.p50Ms, 0.1), 2),
  });
  return [
    row('POST /v1/portal-sessions', portal, 'stripe.billingPortal.sessions.create', portalAnchor),
    row('POST /v1/checkout-sessions', checkout, 'stripe.checkout.sessions.create', checkoutAnchor),
    row('GET /v1/entitlements', entitlements, 'DynamoDB GetItem (link) + Query (customer)', entitlementsAnchor),
  ];
}
