/**
 * A billing account outlives its Stripe customer: when the customer is deleted in Stripe (by support,
 * or in the dashboard), access ends, late events cannot revive the link, and the account's next
 * portal session gets a fresh customer instead of failing on the deleted one.
 * Through the local stack: emulator -> signed delivery -> webhook Lambda -> DynamoDB -> app requests.
 */
import type Stripe from 'stripe';
import { usePortalStack } from './portal-stack';

const ACCOUNT = 'acct_e2e_customer_deletion';

describe('a deleted Stripe customer', () => {
  const e2e = usePortalStack();

  /** An app request as the account's owner, after every pending webhook has been delivered. */
  async function call(method: 'GET' | 'POST', route: string) {
    await e2e.stack.emulator!.flushDeliveries();
    return e2e.call(method, route, await e2e.token(ACCOUNT, 'owner'), method === 'POST' ? {} : undefined);
  }

  /** Sends an event again, signed as Stripe would, as a late retry of a delivery. */
  async function redeliver(event: Stripe.Event) {
    const payload = JSON.stringify(event);
    const signature = e2e.stripe.webhooks.generateTestHeaderString({ payload, secret: e2e.stack.webhookSecrets[0]! });
    const response = await fetch(`${e2e.stack.url}/v1/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      body: payload,
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  }

  const customersOfAccount = async () => (await e2e.stripe.customers.search({ query: `metadata['app_account_id']:'${ACCOUNT}'` })).data.map((c) => c.id);

  it('ends access, and the next portal session gets a new customer', async () => {
    const { customerId: firstCustomer } = await e2e.subscribedAccount(ACCOUNT);
    expect((await call('GET', '/v1/entitlements')).body).toMatchObject({ customerId: firstCustomer, active: true });

    await e2e.stripe.customers.del(firstCustomer);
    expect((await call('GET', '/v1/entitlements')).body).toMatchObject({ customerId: null, active: false, subscriptions: [] });

    // Late copies of the deleted customer's events change nothing.
    const late = (await e2e.stripe.events.list({ limit: 100 })).data.filter(
      (e) => (e.data.object as { customer?: string; id?: string }).customer === firstCustomer || (e.data.object as { id?: string }).id === firstCustomer,
    );
    expect(late.length).toBeGreaterThan(2);
    for (const event of late.reverse()) {
      const outcome = await redeliver(event);
      expect(outcome.status).toBe(200);
      expect(['duplicate', 'stale', 'ignored']).toContain(outcome.body.outcome);
    }
    expect((await call('GET', '/v1/entitlements')).body).toMatchObject({ customerId: null, active: false });

    expect((await call('POST', '/v1/portal-sessions')).status).toBe(201);
    const { customerId: secondCustomer } = (await call('GET', '/v1/entitlements')).body;
    expect(secondCustomer).toMatch(/^cus_/);
    expect(secondCustomer).not.toBe(firstCustomer);
    expect(await customersOfAccount()).toEqual([secondCustomer]);

    // And the new customer is stable: a further session reuses it.
    expect((await call('POST', '/v1/portal-sessions')).status).toBe(201);
    expect((await call('GET', '/v1/entitlements')).body.customerId).toBe(secondCustomer);
  });
});
