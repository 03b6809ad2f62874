/**
 * POST /v1/checkout-sessions through the real handler, over dynalite and the Stripe emulator. Every
 * handler here talks to Stripe through its own client whose requests are logged, so each test can
 * say exactly which Stripe calls one purchase costs.
 */
import type Stripe from 'stripe';
import { documentClient } from '#adapters/dynamodb/client';
import { DynamoPurchaseRecords } from '#adapters/dynamodb/purchase-records';
import type { HttpResponse } from '#adapters/http/response';
import { createStripeClient } from '#adapters/stripe/client';
import { CHECKOUT_DEDUPE_WINDOW_SECONDS } from '#core/checkout-sessions';
import { makeCheckoutSessionsHandler } from '#handlers/checkout-sessions';
import { buildApiGatewayEvent } from '#local/api-gateway-event';
import { lambdaContext } from '#local/lambda-bridge';
import { useLocalDynamo } from '../helpers/dynamodb';
import { TEST_SECRET_KEY, useStripeEmulator } from '../helpers/stripe';
import { type Claims, member, owner, type PortalReply, teamConfig, usePortalHarness } from './portal-harness';

const SUCCESS_URL = 'https://links.lumenphotos.example/checkout_redirect/success?session_id={CHECKOUT_SESSION_ID}';
const CANCEL_URL = 'https://links.lumenphotos.example/checkout_redirect/cancel';
/** Two minutes into a dedupe window, so T0 + 60 s is still inside it. */
const T0 = 1_900_000_020;

describe('POST /v1/checkout-sessions (handler + dynalite + Stripe emulator)', () => {
  const db = useLocalDynamo();
  const emu = useStripeEmulator();
  const portal = usePortalHarness(db, emu);

  /** A fresh handler (empty price cache) with its own Stripe client, clock and call log. */
  function checkout(options: { now?: number } = {}) {
    const calls: string[] = [];
    const client = createStripeClient({ secretKey: TEST_SECRET_KEY, apiUrl: emu.emulator.url, maxNetworkRetries: 0 });
    client.on('request', (request: { method: string; path: string }) => calls.push(`${request.method} ${request.path.split('?')[0]}`));
    const clock = { now: options.now ?? T0 };
    const handler = makeCheckoutSessionsHandler({
      config: teamConfig,
      links: portal.links,
      purchases: purchases(),
      stripe: () => client,
      now: () => clock.now,
    });
    const post = async (claims: Claims | undefined, body?: unknown): Promise<PortalReply> => {
      const event = buildApiGatewayEvent({
        method: 'POST',
        url: '/v1/checkout-sessions',
        routeKey: 'POST /v1/checkout-sessions',
        headers: { 'content-type': 'application/json' },
        ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
        ...(claims && { claims }),
      });
      const result = (await handler(event, lambdaContext({ functionName: 'linkout-checkout-sessions-test', timeoutMs: 20_000 }))) as HttpResponse;
      return { status: result.statusCode, headers: result.headers, body: JSON.parse(String(result.body)) };
    };
    return { post, calls, clock };
  }

  const purchases = () => new DynamoPurchaseRecords(documentClient(db.client), db.tableName);
  const customersOf = async (account: string) => (await emu.stripe.customers.search({ query: `metadata['app_account_id']:'${account}'` })).data;
  const sessionsOf = async (customer: string) => (await emu.stripe.checkout.sessions.list({ customer, limit: 100 })).data;

  describe('a first purchase', () => {
    it('answers 201 {url, id, expiresAt} for a Checkout Session that names the account everywhere', async () => {
      const { post, calls } = checkout();
      const priceId = await portal.priceId('stock_photos_monthly');
      const reply = await post(owner('buy-first'), { priceId });

      expect(reply.status).toBe(201);
      expect(reply.headers['cache-control']).toBe('no-store');
      expect(reply.body).toEqual({
        url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\//),
        id: expect.stringMatching(/^cs_/),
        expiresAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/),
      });
      const [customer] = await customersOf('buy-first');
      const session = await emu.stripe.checkout.sessions.retrieve(reply.body.id, { expand: ['line_items'] });
      expect(session).toMatchObject({
        url: reply.body.url,
        mode: 'subscription',
        status: 'open',
        customer: customer!.id,
        success_url: SUCCESS_URL,
        cancel_url: CANCEL_URL,
        client_reference_id: 'buy-first',
        metadata: { app_account_id: 'buy-first' },
        origin_context: 'mobile_app',
      });
      expect(new Date(reply.body.expiresAt).getTime()).toBe(session.expires_at * 1000);
      expect(session.line_items!.data.map((item) => [item.price!.id, item.quantity])).toEqual([[priceId, 1]]);
      expect(await portal.links.customerForAccount('buy-first')).toBe(customer!.id);
      // The app follows the purchase by the session id Stripe puts into the success URL.
      expect(await purchases().get(reply.body.id)).toEqual({
        id: reply.body.id,
        kind: 'checkout_session',
        accountId: 'buy-first',
        customerId: customer!.id,
        priceId,
        status: 'pending',
        reason: null,
        subscriptionId: null,
        createdAt: T0,
        updatedAt: T0,
      });

      // Stripe calls of a first purchase: the catalog (once per container), the customer (search
      // for a lost link, then create), the 409 check, the session.
      expect(calls).toEqual(['GET /v1/prices', 'GET /v1/customers/search', 'POST /v1/customers', 'GET /v1/subscriptions', 'POST /v1/checkout/sessions']);
    });

    it('costs two Stripe calls once the account has a customer and the prices are cached', async () => {
      const { post, calls } = checkout();
      expect((await post(owner('buy-second'), { priceId: 'stock_photos_monthly' })).status).toBe(201);
      calls.length = 0;
      expect((await post(owner('buy-second'), { priceId: 'stock_photos_yearly' })).status).toBe(201);
      expect(calls).toEqual(['GET /v1/subscriptions', 'POST /v1/checkout/sessions']);
    });

    it('the subscription Checkout creates names the account in its metadata too', async () => {
      const { post } = checkout();
      const reply = await post(owner('buy-paid'), { priceId: 'stock_photos_monthly' });
      const session = await emu.stripe.checkout.sessions.retrieve(reply.body.id);
      // The subscription_data Stripe received is only visible on the subscription it creates; pay on the hosted page's API.
      const paid = await payOnHostedPage(emu.stripe, session);
      const subscription = await emu.stripe.subscriptions.retrieve(paid);
      expect(subscription.metadata).toEqual({ app_account_id: 'buy-paid' });
    });
  });

  describe('one customer per account, shared with portal sessions', () => {
    it('a purchase creates the customer the portal then uses', async () => {
      const { post } = checkout();
      expect((await post(owner('buy-shared'), { priceId: 'stock_photos_monthly' })).status).toBe(201);
      expect((await portal.post(member('buy-shared'))).status).toBe(201);
      const customers = await customersOf('buy-shared');
      expect(customers).toHaveLength(1);
      expect(portal.lastSession().customer).toBe(customers[0]!.id);
    });

    it("a purchase after the portal uses the portal's customer", async () => {
      await portal.post(member('buy-after-portal'));
      const customerId = await portal.links.customerForAccount('buy-after-portal');
      const { post } = checkout();
      const reply = await post(owner('buy-after-portal'), { priceId: 'stock_photos_monthly' });
      expect((await emu.stripe.checkout.sessions.retrieve(reply.body.id)).customer).toBe(customerId);
      expect(await customersOf('buy-after-portal')).toHaveLength(1);
    });

    it('concurrent first purchases and portal sessions of one account create exactly one customer', async () => {
      const { post } = checkout();
      const replies = await Promise.all([
        ...Array.from({ length: 4 }, (_, i) => post(owner('buy-rush', `rush-${i}`), { priceId: 'stock_photos_monthly' })),
        ...Array.from({ length: 4 }, (_, i) => portal.post(owner('buy-rush', `rush-portal-${i}`))),
      ]);
      expect(replies.map((reply) => reply.status)).toEqual(Array(8).fill(201));
      const customers = await customersOf('buy-rush');
      expect(customers).toHaveLength(1);
      expect(await portal.links.customerForAccount('buy-rush')).toBe(customers[0]!.id);
    });
  });

  describe('a double tap', () => {
    it('concurrent identical requests answer one session', async () => {
      const { post } = checkout();
      await post(owner('buy-tap'), { priceId: 'stock_photos_yearly' }); // the customer exists: the taps race only on the session
      const customerId = (await portal.links.customerForAccount('buy-tap'))!;
      const before = (await sessionsOf(customerId)).length;
      const { post: tap } = checkout({ now: T0 + 60 });
      const [first, second] = await Promise.all([
        tap(owner('buy-tap'), { priceId: 'stock_photos_monthly' }),
        tap(owner('buy-tap'), { priceId: 'stock_photos_monthly' }),
      ]);
      expect([first.status, second.status]).toEqual([201, 201]);
      expect(second.body).toEqual(first.body);
      expect((await sessionsOf(customerId)).length).toBe(before + 1);
    });

    it('a tap by another user of the account, or with the price id instead of its lookup key, is the same request', async () => {
      const { post } = checkout();
      const first = await post(owner('buy-team-tap', 'alice'), { priceId: 'stock_photos_monthly' });
      const second = await post(owner('buy-team-tap', 'bob'), { priceId: await portal.priceId('stock_photos_monthly') });
      expect(second.body.id).toBe(first.body.id);
    });

    it('the same request in a later window, or for another price, is a new session', async () => {
      const { post, clock } = checkout();
      const first = await post(owner('buy-later'), { priceId: 'stock_photos_monthly' });
      const otherPrice = await post(owner('buy-later'), { priceId: 'stock_photos_yearly' });
      clock.now += CHECKOUT_DEDUPE_WINDOW_SECONDS;
      const later = await post(owner('buy-later'), { priceId: 'stock_photos_monthly' });
      expect(new Set([first.body.id, otherPrice.body.id, later.body.id]).size).toBe(3);
    });
  });

  describe('who may buy', () => {
    it.each([
      ['a member', member('buy-team')],
      ['an unknown role', { sub: 'buy-team-x', account: 'buy-team', role: 'billing_admin' }],
      ['no role claim', { sub: 'buy-team-y', account: 'buy-team' }],
    ])('%s gets 403 purchase_not_allowed, before any Stripe call', async (_name, claims) => {
      const { post, calls } = checkout();
      const reply = await post(claims, { priceId: 'stock_photos_monthly' });
      expect([reply.status, reply.body.error.code]).toEqual([403, 'purchase_not_allowed']);
      expect(calls).toEqual([]);
      expect(await portal.links.customerForAccount('buy-team')).toBeUndefined();
    });

    it('a request without verified claims is a 401', async () => {
      const reply = await checkout().post(undefined, { priceId: 'stock_photos_monthly' });
      expect([reply.status, reply.body.error.code]).toEqual([401, 'unauthorized']);
    });
  });

  describe('what may be bought', () => {
    it('a Stripe price outside the catalog is a 400, and nothing is created', async () => {
      const stray = await emu.stripe.prices.create({ product: 'prod_stock_photos', currency: 'usd', unit_amount: 999, recurring: { interval: 'week' } });
      const { post, calls } = checkout();
      const reply = await post(owner('buy-stray'), { priceId: stray.id });
      expect([reply.status, reply.body.error.code]).toEqual([400, 'price_not_in_catalog']);
      expect(calls).toEqual(['GET /v1/prices']);
      expect(await portal.links.customerForAccount('buy-stray')).toBeUndefined();
    });

    it.each([
      ['an unknown lookup key', { priceId: 'stock_photos_lifetime' }, 'price_not_in_catalog'],
      ['a return path outside the allowlist', { priceId: 'stock_photos_monthly', returnPath: '/portal_redirect' }, 'return_path_not_allowed'],
      ['a customer id from the client', { priceId: 'stock_photos_monthly', customer: 'cus_someone_else' }, 'invalid_request'],
      ['no price', {}, 'invalid_request'],
      ['malformed JSON', '{"priceId": ', 'invalid_json'],
      ['no body', undefined, 'invalid_json'],
    ])('%s -> 400 %s, no customer created', async (_name, body, code) => {
      const account = `buy-bad-${code}-${Math.random().toString(36).slice(2)}`;
      const reply = await checkout().post(owner(account), body);
      expect([reply.status, reply.body.error.code]).toEqual([400, code]);
      expect(await portal.links.customerForAccount(account)).toBeUndefined();
    });

    it('a catalog price created in Stripe after the container started is found without a restart', async () => {
      const { post, calls } = checkout();
      const oldPrice = await portal.priceId('stock_photos_yearly');
      await emu.stripe.prices.update(oldPrice, { lookup_key: 'stock_photos_yearly_retired' });
      try {
        expect((await post(owner('buy-late-price'), { priceId: 'stock_photos_yearly' })).body.error.code).toBe('price_not_synced');
        const fresh = await emu.stripe.prices.create({
          product: 'prod_stock_photos',
          currency: 'usd',
          unit_amount: 15000,
          recurring: { interval: 'year' },
          lookup_key: 'stock_photos_yearly',
          transfer_lookup_key: true,
        });
        calls.length = 0;
        const reply = await post(owner('buy-late-price'), { priceId: 'stock_photos_yearly' });
        expect(reply.status).toBe(201);
        expect(calls[0]).toBe('GET /v1/prices');
        expect((await emu.stripe.checkout.sessions.listLineItems(reply.body.id)).data[0]!.price!.id).toBe(fresh.id);
      } finally {
        await emu.stripe.prices.update(oldPrice, { lookup_key: 'stock_photos_yearly', transfer_lookup_key: true });
      }
    });
  });

  describe('an account that is already subscribed', () => {
    it('gets 409 already_subscribed while a subscription grants access, and may buy again once it ended', async () => {
      const { subscription } = await portal.subscribedAccount('buy-subscribed');
      const { post, calls } = checkout();
      const refused = await post(owner('buy-subscribed'), { priceId: 'stock_photos_yearly' });
      expect([refused.status, refused.body.error.code]).toEqual([409, 'already_subscribed']);
      expect(refused.body.error.message).toContain(subscription.id);
      expect(calls.filter((call) => call.includes('checkout'))).toEqual([]);

      await emu.stripe.subscriptions.cancel(subscription.id);
      expect((await post(owner('buy-subscribed'), { priceId: 'stock_photos_yearly' })).status).toBe(201);
    });

    it('a subscription whose collection is paused does not count (access rules)', async () => {
      const { subscription } = await portal.subscribedAccount('buy-paused');
      await emu.stripe.subscriptions.update(subscription.id, { pause_collection: { behavior: 'void' } });
      expect((await checkout().post(owner('buy-paused'), { priceId: 'stock_photos_monthly' })).status).toBe(201);
    });
  });

  describe('Stripe failures', () => {
    it.each([
      [429, 429, 'stripe_rate_limited'],
      [500, 502, 'stripe_failed'],
    ])('Stripe %i on the session -> %i %s', async (stripeStatus, status, code) => {
      const { post } = checkout();
      await post(owner(`buy-fault-${stripeStatus}`), { priceId: 'stock_photos_yearly' });
      emu.emulator.injectFault({ status: stripeStatus, path: '/v1/checkout/sessions', method: 'POST' });
      const reply = await post(owner(`buy-fault-${stripeStatus}`), { priceId: 'stock_photos_monthly' });
      expect([reply.status, reply.body.error.code]).toEqual([status, code]);
    });
  });
});

/** Pays a session through the payment page API (as Stripe.js does) and returns the subscription it created. */
async function payOnHostedPage(stripe: Stripe, session: Stripe.Checkout.Session): Promise<string> {
  const method = await stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_visa' } });
  await stripe.rawRequest('POST', `/v1/payment_pages/${session.id}/confirm`, { payment_method: method.id, email: 'buyer@example.com' });
  const paid = await stripe.checkout.sessions.retrieve(session.id);
  return paid.subscription as string;
}
