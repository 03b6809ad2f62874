/**
 * The refresh on return against the real parts: the refresh handler and the webhook handler over one
 * dynalite table, Stripe's state in the emulator, webhooks delivered by hand with the `created`
 * second each test chooses, so a refresh can be raced against older, newer and same-second events.
 * Then the capability route over HTTP through the local stack, as the fallback page calls it.
 */
import type Stripe from 'stripe';
import { documentClient } from '#adapters/dynamodb/client';
import { DynamoPurchaseRecords } from '#adapters/dynamodb/purchase-records';
import { DynamoRefreshBound } from '#adapters/dynamodb/refresh-bound';
import type { HttpResponse } from '#adapters/http/response';
import { createStripeClient } from '#adapters/stripe/client';
import type { Purchase } from '#core/purchases';
import { parseRefreshRequest, REFRESH_INTERVAL_SECONDS } from '#core/refresh';
import { makeEntitlementsRefreshHandler } from '#handlers/entitlements-refresh';
import { buildApiGatewayEvent } from '#local/api-gateway-event';
import { localDynamoClient } from '#local/dynamodb';
import { usePortalStack } from '../e2e/portal-stack';
import { useLocalDynamo } from '../helpers/dynamodb';
import { TEST_SECRET_KEY, useStripeEmulator } from '../helpers/stripe';
import { body, config, createHarness, type Harness, stripeEvent } from './entitlement-harness';
import { contractProblems, doc, validatorAt } from './portal-contract';

const T0 = 1_900_000_000;

describe('a refresh racing webhooks (refresh + webhook handlers, dynalite, Stripe emulator)', () => {
  const db = useLocalDynamo();
  const emu = useStripeEmulator();
  let h: Harness;
  let clock = T0;
  let refreshCalls: string[] = [];
  let refreshHandler: ReturnType<typeof makeEntitlementsRefreshHandler>;
  let purchases: DynamoPurchaseRecords;
  let priceId: string;

  beforeAll(async () => {
    h = createHarness({ dynamoEndpoint: db.endpoint, tableName: db.tableName, stripeApiUrl: emu.emulator.url, now: () => clock });
    const documents = documentClient(h.dynamo);
    purchases = new DynamoPurchaseRecords(documents, db.tableName);
    // The refresh's own Stripe client, so that each test counts exactly the refresh's calls.
    const stripe = createStripeClient({ secretKey: TEST_SECRET_KEY, apiUrl: emu.emulator.url, maxNetworkRetries: 0 });
    stripe.on('request', (request: { method: string; path: string }) => refreshCalls.push(`${request.method} ${request.path.split('?')[0]}`));
    refreshHandler = makeEntitlementsRefreshHandler({
      config,
      links: h.links,
      store: h.store,
      purchases,
      bound: new DynamoRefreshBound(documents, db.tableName),
      stripe: () => stripe,
      now: () => clock,
    });
    const [price] = (await emu.stripe.prices.list({ lookup_keys: ['stock_photos_monthly'] })).data;
    priceId = price!.id;
  });
  afterAll(() => h.close());
  beforeEach(() => {
    refreshCalls = [];
  });

  const refresh = async (account: string, requestBody?: unknown) => {
    const event = buildApiGatewayEvent({
      method: 'POST',
      url: '/v1/entitlements/refresh',
      routeKey: 'POST /v1/entitlements/refresh',
      claims: { sub: account, role: 'owner' },
      ...(requestBody !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(requestBody) }),
    });
    return (await refreshHandler(event, {} as never)) as HttpResponse;
  };
  /** A linked account with one subscription in Stripe, its creation delivered (created 100 s before T0). */
  const subscribed = async (account: string) => {
    const customer = await emu.stripe.customers.create({ metadata: { app_account_id: account } });
    await h.links.link(account, customer.id);
    const subscription = await emu.stripe.subscriptions.create({ customer: customer.id, items: [{ price: priceId }] });
    const created = await h.deliverEvent(stripeEvent(`evt_${account}_created`, 'customer.subscription.created', T0 - 100, subscription));
    expect(body(created).outcome).toBe('applied');
    return { customer, subscription };
  };
  const deliver = async (id: string, created: number, object: Stripe.Subscription) =>
    body(await h.deliverEvent(stripeEvent(id, 'customer.subscription.updated', created, object))).outcome as string;
  const stored = async (account: string) => body(await h.getEntitlements(account)).subscriptions[0];

  it('shows a portal change at once, then neither the older event nor the newer one moves it back', async () => {
    clock = T0;
    const { subscription } = await subscribed('acct_race');
    const ending = await emu.stripe.subscriptions.update(subscription.id, { cancel_at_period_end: true });

    const reply = await refresh('acct_race');
    expect(reply.statusCode).toBe(200);
    expect(body(reply).subscriptions[0]).toMatchObject({ id: subscription.id, status: 'active', cancelAtPeriodEnd: true });
    expect(refreshCalls).toEqual(['GET /v1/subscriptions']);

    // The creation's state, delivered late with an older second: stale, the refresh's state stays.
    expect(await deliver('evt_race_old', T0 - 50, subscription)).toBe('stale');
    expect(await stored('acct_race')).toMatchObject({ cancelAtPeriodEnd: true });
    // The change's own event, created after the read began: it lands and says the same.
    expect(await deliver('evt_race_new', T0, ending)).toBe('applied');
    expect(await stored('acct_race')).toMatchObject({ cancelAtPeriodEnd: true });
    expect(await deliver('evt_race_new', T0, ending)).toBe('duplicate');
  });

  it('a webhook in the same second as the refresh position ties, and the tie stores what Stripe says', async () => {
    clock = T0 + 1000;
    const { subscription } = await subscribed('acct_tie');
    const ending = await emu.stripe.subscriptions.update(subscription.id, { cancel_at_period_end: true });
    expect(body(await refresh('acct_tie')).subscriptions[0]).toMatchObject({ cancelAtPeriodEnd: true });
    // The customer resumes right away; an event in the refresh position's second carries the older state.
    await emu.stripe.subscriptions.update(subscription.id, { cancel_at_period_end: false });
    h.resetCounts();
    expect(await deliver('evt_tie', clock - 1, ending)).toBe('applied');
    expect(h.counts.stripeCalls).toBe(1); // the tie read the subscription from Stripe
    expect(await stored('acct_tie')).toMatchObject({ cancelAtPeriodEnd: false });
  });

  it('sees a cancellation whose webhook is late (canceled subscriptions are listed too)', async () => {
    clock = T0 + 2000;
    const { subscription } = await subscribed('acct_cancel');
    expect(body(await h.getEntitlements('acct_cancel')).active).toBe(true);
    await emu.stripe.subscriptions.cancel(subscription.id);

    const refreshed = body(await refresh('acct_cancel'));
    expect(refreshed).toMatchObject({ active: false, entitlements: [] });
    expect(refreshed.subscriptions[0]).toMatchObject({ id: subscription.id, status: 'canceled' });
    // An update from before the cancellation, delivered late, cannot revive it.
    expect(await deliver('evt_cancel_late', clock + 5, subscription)).toBe('stale');
    expect(body(await h.getEntitlements('acct_cancel')).active).toBe(false);
  });

  it('bounds each account: a second refresh within the interval is 429 with Retry-After, no Stripe call, nothing changed', async () => {
    clock = T0 + 3000;
    await subscribed('acct_bound');
    expect((await refresh('acct_bound')).statusCode).toBe(200);
    const before = await h.scan();
    refreshCalls = [];
    clock += 2;
    const throttled = await refresh('acct_bound');
    expect(throttled.statusCode).toBe(429);
    expect(body(throttled).error.code).toBe('refresh_too_soon');
    expect(throttled.headers?.['retry-after']).toBe(String(REFRESH_INTERVAL_SECONDS - 2));
    expect(refreshCalls).toEqual([]);
    expect(await h.scan()).toEqual(before);
    clock += REFRESH_INTERVAL_SECONDS - 2;
    expect((await refresh('acct_bound')).statusCode).toBe(200);
  });

  it('completes a pending Checkout Session read back from Stripe: one read of the session, one list', async () => {
    clock = T0 + 4000;
    const { customer } = await subscribed('acct_buy');
    const session = await emu.stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: customer.id,
      line_items: [{ price: priceId, quantity: 1 }],
      success_url: 'https://links.example/checkout_redirect/success',
      cancel_url: 'https://links.example/checkout_redirect/cancel',
    });
    await purchases.create(pendingPurchase(session.id, 'acct_buy', customer.id));

    const reply = body(await refresh('acct_buy', { purchaseId: session.id }));
    expect(reply.purchase).toMatchObject({ id: session.id, status: 'pending', reason: null });
    expect(refreshCalls).toEqual([`GET /v1/checkout/sessions/${session.id}`, 'GET /v1/subscriptions']);

    clock += REFRESH_INTERVAL_SECONDS;
    refreshCalls = [];
    const other = await refresh('acct_race', { purchaseId: session.id });
    expect(other.statusCode).toBe(404);
    expect(body(other).error.code).toBe('purchase_not_found');
    expect(refreshCalls).toEqual([]);
  });

  it('an approved Amazon Pay SetupIntent: the refresh and a concurrent setup_intent.succeeded start exactly one subscription', async () => {
    clock = T0 + 5000;
    const customer = await emu.stripe.customers.create({ metadata: { app_account_id: 'acct_amazon' } });
    await h.links.link('acct_amazon', customer.id);
    const intent = await emu.stripe.setupIntents.create({
      customer: customer.id,
      allowed_payment_method_types: ['amazon_pay'],
      payment_method_data: { type: 'amazon_pay' },
      confirm: true,
      usage: 'off_session',
      mandate_data: { customer_acceptance: { type: 'online', online: { ip_address: '203.0.113.7', user_agent: 'LinkoutTest/1' } } },
      return_url: 'https://links.example/checkout_redirect/success',
    });
    await purchases.create({ ...pendingPurchase(intent.id, 'acct_amazon', customer.id), kind: 'setup_intent' });
    // The customer approves on Amazon Pay's page (the emulator's), then comes back to the app.
    const approval = await fetch(`${intent.next_action!.redirect_to_url!.url}/approve`, { method: 'POST', redirect: 'manual' });
    expect(approval.status).toBe(303);
    const succeeded = await emu.stripe.setupIntents.retrieve(intent.id);
    expect(succeeded.status).toBe('succeeded');

    const [refreshed, delivered] = await Promise.all([
      refresh('acct_amazon', { purchaseId: intent.id }),
      h.deliverEvent(stripeEvent('evt_seti_succeeded', 'setup_intent.succeeded', clock, succeeded)),
    ]);
    expect(refreshed.statusCode).toBe(200);
    expect(delivered.statusCode).toBe(200);
    const subscriptions = (await emu.stripe.subscriptions.list({ customer: customer.id, status: 'all' })).data;
    expect(subscriptions).toHaveLength(1);
    expect(await purchases.get(intent.id)).toMatchObject({ status: 'completed', subscriptionId: subscriptions[0]!.id });
    // Whichever started it, the subscription existed before the refresh listed: the app sees it at once.
    expect(body(refreshed).purchase).toMatchObject({ status: 'completed', subscriptionId: subscriptions[0]!.id });
    expect(body(refreshed).subscriptions.map((sub: { id: string }) => sub.id)).toEqual([subscriptions[0]!.id]);
    // One read of the SetupIntent, at most one creation (replayed by its idempotency key if both raced), one list.
    expect(refreshCalls.filter((call) => call === `GET /v1/setup_intents/${intent.id}`)).toHaveLength(1);
    expect(refreshCalls.filter((call) => call === 'GET /v1/subscriptions')).toHaveLength(1);
    expect(refreshCalls.filter((call) => call === 'POST /v1/subscriptions').length).toBeLessThanOrEqual(1);
    // The same delivery again changes nothing.
    expect(body(await h.deliverEvent(stripeEvent('evt_seti_succeeded', 'setup_intent.succeeded', clock, succeeded))).outcome).toBe('duplicate');
    expect((await emu.stripe.subscriptions.list({ customer: customer.id, status: 'all' })).data).toHaveLength(1);
  });

  function pendingPurchase(id: string, accountId: string, customerId: string): Purchase {
    return {
      id,
      kind: 'checkout_session',
      accountId,
      customerId,
      priceId,
      status: 'pending',
      reason: null,
      subscriptionId: null,
      createdAt: clock,
      updatedAt: clock,
    };
  }
});

describe('the documented refresh request', () => {
  it.each<[string, unknown]>([
    ['every documented example', undefined],
    ['a Checkout Session', { purchaseId: 'cs_test_1' }],
    ['a SetupIntent', { purchaseId: 'seti_1' }],
    ['a subscription id', { purchaseId: 'sub_1' }],
    ['an account', { accountId: 'acct_2' }],
    ['a customer', { purchaseId: 'cs_test_1', customerId: 'cus_1' }],
    ['a numeric id', { purchaseId: 7 }],
  ])('agrees with the handler on %s', (_name, requestBody) => {
    const bodies = requestBody === undefined ? doc.components.schemas.EntitlementsRefreshRequest.examples : [requestBody];
    expect(bodies.length).toBeGreaterThan(0);
    const accepted = (candidate: unknown) => {
      try {
        parseRefreshRequest(JSON.stringify(candidate));
        return true;
      } catch {
        return false;
      }
    };
    for (const candidate of bodies) {
      expect({ body: candidate, openapi: validatorAt('components', 'schemas', 'EntitlementsRefreshRequest')(candidate) }).toEqual({
        body: candidate,
        openapi: accepted(candidate),
      });
    }
  });
});

describe('both refresh routes through the local stack, checked against the OpenAPI document', () => {
  const portal = usePortalStack();
  const CAPABILITY = '/v1/purchases/{id}/refresh';
  const expectDocumented = (path: string, reply: { status: number; headers: Headers; body: unknown }) =>
    expect(contractProblems('POST', path, reply)).toEqual([]);

  it('POST /v1/entitlements/refresh: 200 for an account without a customer, 400, 401, 429', async () => {
    const token = await portal.token('acct_stack_new', 'owner');
    const first = await portal.call('POST', '/v1/entitlements/refresh', token);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ account: 'acct_stack_new', customerId: null, active: false });
    expectDocumented('/v1/entitlements/refresh', first);
    const throttled = await portal.call('POST', '/v1/entitlements/refresh', token, {});
    expect(throttled.status).toBe(429);
    expectDocumented('/v1/entitlements/refresh', throttled);
    const refused = await portal.call('POST', '/v1/entitlements/refresh', await portal.token('acct_stack_other', 'owner'), { customerId: 'cus_1' });
    expect(refused.status).toBe(400);
    expectDocumented('/v1/entitlements/refresh', refused);
    expect((await portal.call('POST', '/v1/entitlements/refresh')).status).toBe(401);
  });

  it('answers 400 for a malformed id and 404 for an unknown one', async () => {
    const malformed = await portal.call('POST', '/v1/purchases/sub_123/refresh');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('invalid_purchase_id');
    expectDocumented(CAPABILITY, malformed);
    const unknown = await portal.call('POST', '/v1/purchases/cs_test_unknown/refresh');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('purchase_not_found');
    expectDocumented(CAPABILITY, unknown);
  });

  it('answers only {id, status, reason} for a known purchase, and 429 with Retry-After on a second call', async () => {
    const { customerId } = await portal.subscribedAccount('acct_fallback');
    const stripe = portal.stripe;
    const [price] = (await stripe.prices.list({ lookup_keys: ['stock_photos_monthly'] })).data;
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: customerId,
      line_items: [{ price: price!.id, quantity: 1 }],
      success_url: `${portal.stack.url}/checkout_redirect/success`,
      cancel_url: `${portal.stack.url}/checkout_redirect/cancel`,
    });
    const now = Math.floor(Date.now() / 1000);
    const records = new DynamoPurchaseRecords(documentClient(localDynamoClient(portal.stack.dynamoEndpoint)), portal.stack.tableName);
    await records.create({
      id: session.id,
      kind: 'checkout_session',
      accountId: 'acct_fallback',
      customerId,
      priceId: price!.id,
      status: 'pending',
      reason: null,
      subscriptionId: null,
      createdAt: now,
      updatedAt: now,
    });

    const first = await portal.call('POST', `/v1/purchases/${session.id}/refresh`);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ id: session.id, status: 'pending', reason: null });
    expectDocumented(CAPABILITY, first);

    const second = await portal.call('POST', `/v1/purchases/${session.id}/refresh`);
    expect(second.status).toBe(429);
    expect(second.body.error.code).toBe('refresh_too_soon');
    expectDocumented(CAPABILITY, second);
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(second.headers.get('retry-after'))).toBeLessThanOrEqual(REFRESH_INTERVAL_SECONDS);
  });
});
