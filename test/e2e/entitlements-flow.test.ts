/**
 * The issue's "done when", through the local stack: a subscription created in the Stripe emulator,
 * then updated, paused and canceled through it, shows up correctly in GET /v1/entitlements for the
 * account's token after each step. Events travel the real way: emulator -> signed HTTP delivery ->
 * local API Gateway -> webhook Lambda -> DynamoDB, then the app's request through the JWT authorizer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type Stripe from 'stripe';
import { loadConfig } from '../../functions/adapters/config';
import { createStripeClient } from '../../functions/adapters/stripe/client';
import { startLocalStack, type LocalStack } from '../../lib/local/dev-server';
import { issueDevToken, loadOrCreateSigningKey } from '../../lib/local/dev-jwt';

const config = loadConfig({ LINKOUT_CONFIG_FILE: path.resolve(__dirname, '../../config/linkout.example.json') });
const ACCOUNT = 'user_e2e_entitlements';

describe('entitlement sync through the local stack', () => {
  let stack: LocalStack;
  let stateDir: string;
  let stripe: Stripe;
  let token: string;

  beforeAll(async () => {
    stateDir = mkdtempSync(path.join(tmpdir(), 'linkout-entitlements-'));
    stack = await startLocalStack({ port: 0, config, stateDir, env: { STRIPE_EMULATOR_PORT: '0' } });
    stripe = createStripeClient({ secretKey: stack.stripe.secretKey, apiUrl: stack.stripeApiUrl, maxNetworkRetries: 0 });
    token = await issueDevToken(await loadOrCreateSigningKey(stateDir), stack.jwt, { sub: ACCOUNT, role: 'owner' });
  }, 60_000);

  afterAll(async () => {
    await stack?.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  async function entitlements() {
    await stack.emulator!.flushDeliveries();
    const response = await fetch(`${stack.url}/v1/entitlements`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    return (await response.json()) as {
      customerId: string | null;
      active: boolean;
      entitlements: Array<{ key: string; willRenew: boolean; subscriptionId: string }>;
      subscriptions: Array<Record<string, unknown>>;
    };
  }

  const priceId = async (lookupKey: string) => (await stripe.prices.list({ lookup_keys: [lookupKey] })).data[0]!.id;

  it('follows create, update, pause and cancel', async () => {
    expect(await entitlements()).toMatchObject({ customerId: null, active: false, entitlements: [], subscriptions: [] });

    const customer = await stripe.customers.create({ email: 'e2e@lumenphotos.example', metadata: { app_account_id: ACCOUNT } });
    const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: await priceId('stock_photos_monthly') }] });
    const created = await entitlements();
    expect(created).toMatchObject({ customerId: customer.id, active: true });
    expect(created.entitlements).toEqual([expect.objectContaining({ key: 'stock_photos', willRenew: true, subscriptionId: subscription.id })]);
    expect(created.subscriptions).toEqual([expect.objectContaining({ id: subscription.id, status: 'active', productId: 'prod_stock_photos', grantsAccess: true })]);

    // Upgrade to Pro: the same subscription, a new price.
    await stripe.subscriptions.update(subscription.id, {
      items: [{ id: subscription.items.data[0]!.id, price: await priceId('stock_photos_pro_monthly') }],
    });
    const upgraded = await entitlements();
    expect(upgraded.entitlements.map((e) => e.key)).toEqual(['pro_editing', 'stock_photos']);
    expect(upgraded.subscriptions).toEqual([expect.objectContaining({ productId: 'prod_stock_photos_pro' })]);

    await stripe.subscriptions.update(subscription.id, { pause_collection: { behavior: 'void' } });
    const paused = await entitlements();
    expect(paused.active).toBe(false);
    expect(paused.subscriptions).toEqual([expect.objectContaining({ status: 'active', collectionPaused: true, grantsAccess: false })]);

    await stripe.subscriptions.update(subscription.id, { pause_collection: '' });
    expect((await entitlements()).active).toBe(true);

    await stripe.subscriptions.update(subscription.id, { cancel_at_period_end: true });
    const ending = await entitlements();
    expect(ending.active).toBe(true);
    expect(ending.entitlements.every((e) => e.willRenew === false)).toBe(true);
    expect(ending.subscriptions).toEqual([expect.objectContaining({ cancelAtPeriodEnd: true, grantsAccess: true })]);

    await stripe.subscriptions.cancel(subscription.id);
    const canceled = await entitlements();
    expect(canceled).toMatchObject({ customerId: customer.id, active: false, entitlements: [] });
    expect(canceled.subscriptions).toEqual([expect.objectContaining({ id: subscription.id, status: 'canceled', grantsAccess: false })]);

    // Every delivery was acknowledged: nothing left for Stripe to retry.
    expect(stack.emulator!.deliveries().filter((d) => d.status !== 200)).toEqual([]);
  }, 60_000);
});
