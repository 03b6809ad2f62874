/**
 * A billing account outlives its Stripe customer: when the customer is deleted in Stripe (by support,
 * or in the dashboard), access ends, late events cannot revive the link, and the account's next
 * portal session gets a fresh customer instead of failing on the deleted one.
 * Through the local stack: emulator -> signed delivery -> webhook Lambda -> DynamoDB -> app requests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type Stripe from 'stripe';
import { loadConfig } from '../../functions/adapters/config';
import { createStripeClient } from '../../functions/adapters/stripe/client';
import { issueDevToken, loadOrCreateSigningKey } from '../../lib/local/dev-jwt';
import { startLocalStack, type LocalStack } from '../../lib/local/dev-server';

const config = loadConfig({ LINKOUT_CONFIG_FILE: path.resolve(__dirname, '../../config/linkout.example.json') });
const ACCOUNT = 'user_e2e_customer_deletion';

describe('a deleted Stripe customer', () => {
  let stack: LocalStack;
  let stateDir: string;
  let stripe: Stripe;
  let token: string;

  beforeAll(async () => {
    stateDir = mkdtempSync(path.join(tmpdir(), 'linkout-deletion-'));
    stack = await startLocalStack({ port: 0, config, stateDir, env: { STRIPE_EMULATOR_PORT: '0' } });
    stripe = createStripeClient({ secretKey: stack.stripe.secretKey, apiUrl: stack.stripeApiUrl, maxNetworkRetries: 0 });
    token = await issueDevToken(await loadOrCreateSigningKey(stateDir), stack.jwt, { sub: ACCOUNT, role: 'owner' });
  }, 60_000);

  afterAll(async () => {
    await stack?.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  async function call(method: 'GET' | 'POST', route: string) {
    await stack.emulator!.flushDeliveries();
    const response = await fetch(`${stack.url}${route}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(method === 'POST' && { body: '{}' }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  }

  /** Sends an event again, signed as Stripe would, as a late retry of a delivery. */
  async function redeliver(event: Stripe.Event) {
    const payload = JSON.stringify(event);
    const signature = stripe.webhooks.generateTestHeaderString({ payload, secret: stack.webhookSecrets[0]! });
    const response = await fetch(`${stack.url}/v1/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      body: payload,
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  }

  const customersOfAccount = async () =>
    (await stripe.customers.search({ query: `metadata['app_account_id']:'${ACCOUNT}'` })).data.map((c) => c.id);

  it('ends access, and the next portal session gets a new customer', async () => {
    const first = await call('POST', '/v1/portal-sessions');
    expect(first.status).toBe(201);
    const { customerId: firstCustomer } = (await call('GET', '/v1/entitlements')).body;
    expect(firstCustomer).toMatch(/^cus_/);
    const price = (await stripe.prices.list({ lookup_keys: ['stock_photos_monthly'] })).data[0]!.id;
    await stripe.subscriptions.create({ customer: firstCustomer, items: [{ price }] });
    expect((await call('GET', '/v1/entitlements')).body.active).toBe(true);

    await stripe.customers.del(firstCustomer);
    expect((await call('GET', '/v1/entitlements')).body).toMatchObject({ customerId: null, active: false, subscriptions: [] });

    // Late copies of the deleted customer's events change nothing.
    const late = (await stripe.events.list({ limit: 100 })).data.filter(
      (e) => (e.data.object as { customer?: string; id?: string }).customer === firstCustomer || (e.data.object as { id?: string }).id === firstCustomer,
    );
    expect(late.length).toBeGreaterThan(2);
    for (const event of late.reverse()) {
      const outcome = await redeliver(event);
      expect(outcome.status).toBe(200);
      expect(['duplicate', 'stale', 'ignored']).toContain(outcome.body.outcome);
    }
    expect((await call('GET', '/v1/entitlements')).body).toMatchObject({ customerId: null, active: false });

    const second = await call('POST', '/v1/portal-sessions');
    expect(second.status).toBe(201);
    const { customerId: secondCustomer } = (await call('GET', '/v1/entitlements')).body;
    expect(secondCustomer).toMatch(/^cus_/);
    expect(secondCustomer).not.toBe(firstCustomer);
    expect(await customersOfAccount()).toEqual([secondCustomer]);

    // And the new customer is stable: a further session reuses it.
    expect((await call('POST', '/v1/portal-sessions')).status).toBe(201);
    expect((await call('GET', '/v1/entitlements')).body.customerId).toBe(secondCustomer);
  });
});
