/**
 * Purchases fulfilled exactly once from webhooks: the real webhook handler, PurchaseFulfilment over
 * DynamoPurchaseRecords (dynalite) and StripeSubscriptionStarter against the Stripe emulator. The
 * SetupIntent is created by Linkout's own adapter and approved on the emulator's Amazon Pay page;
 * the events delivered are the ones the emulator emitted, signed as Stripe signs them.
 */
import type Stripe from 'stripe';
import { StripeAmazonPaySetups } from '#adapters/stripe/setup-intents';
import { pendingPurchase } from '#core/checkout-sessions';
import type { PurchaseKind } from '#core/purchases';
import { useLocalDynamo } from '../helpers/dynamodb';
import { useStripeEmulator } from '../helpers/stripe';
import { createHarness, type Harness } from './entitlement-harness';

const NOW = Math.floor(Date.now() / 1000);

describe('purchase webhooks (handler + dynalite + Stripe emulator)', () => {
  const db = useLocalDynamo();
  const emu = useStripeEmulator();
  let h: Harness;
  beforeAll(() => {
    h = createHarness({ dynamoEndpoint: db.endpoint, tableName: db.tableName, stripeApiUrl: emu.emulator.url, now: () => NOW });
  });
  afterAll(() => h.close());

  const priceId = async () => (await emu.stripe.prices.list({ lookup_keys: ['stock_photos_monthly'] })).data[0]!.id;
  const subscriptionsOf = async (customer: string) => (await emu.stripe.subscriptions.list({ customer, status: 'all' })).data;
  /** The latest event of `type` about the object, as the emulator emitted it. */
  const emitted = (type: string, objectId: string): Stripe.Event => {
    const event = emu.emulator
      .events()
      .filter((candidate) => candidate.type === type && (candidate.data.object as { id: string }).id === objectId)
      .at(-1);
    if (!event) throw new Error(`the emulator emitted no ${type} for ${objectId}`);
    return event;
  };
  const outcomesOf = async (deliveries: Promise<{ statusCode: number; body?: string }>[]) =>
    (await Promise.all(deliveries)).map((reply) => {
      expect(reply.statusCode).toBe(200);
      return JSON.parse(String(reply.body)).outcome as string;
    });

  async function record(id: string, kind: PurchaseKind, account: string, customerId: string, price: string) {
    await h.purchases.create(pendingPurchase({ id, kind, accountId: account, customerId, priceId: price }, NOW));
  }

  /** A customer's Amazon Pay SetupIntent, created by Linkout's adapter and answered on the emulator's approval page. */
  async function amazonPaySetup(account: string, answer: 'approve' | 'decline', recorded = true) {
    const customer = await emu.stripe.customers.create({ metadata: { app_account_id: account } });
    const price = await priceId();
    const setup = await new StripeAmazonPaySetups(() => emu.stripe).createAndConfirm({
      accountId: account,
      customerId: customer.id,
      priceId: price,
      returnUrl: 'https://links.lumenphotos.example/checkout_redirect/return',
      acceptance: { ipAddress: '203.0.113.9', userAgent: 'LumenPhotos/3.1' },
      dedupeWindow: NOW,
    });
    expect(setup.status).toBe('requires_action');
    if (recorded) await record(setup.id, 'setup_intent', account, customer.id, price);
    const intent = await emu.stripe.setupIntents.retrieve(setup.id);
    const page = await fetch(`${emu.emulator.url}/r/setup_intent/${intent.client_secret}/${answer}`, { method: 'POST', redirect: 'manual' });
    expect(page.status).toBe(303);
    return { customerId: customer.id, setupIntentId: setup.id, priceId: price };
  }

  it('setup_intent.succeeded delivered 3 times, then 5 times at once, starts exactly one subscription', async () => {
    const { customerId, setupIntentId, priceId: price } = await amazonPaySetup('acct-amazon-once', 'approve');
    const event = emitted('setup_intent.succeeded', setupIntentId);

    const sequential: string[] = [];
    for (let i = 0; i < 3; i++) sequential.push(...(await outcomesOf([h.deliverEvent(event)])));
    const concurrent = await outcomesOf(Array.from({ length: 5 }, () => h.deliverEvent(event)));

    expect(sequential).toEqual(['applied', 'duplicate', 'duplicate']);
    expect(concurrent).toEqual(Array(5).fill('duplicate'));
    const subscriptions = await subscriptionsOf(customerId);
    expect(subscriptions).toHaveLength(1);
    const intent = await emu.stripe.setupIntents.retrieve(setupIntentId);
    expect(subscriptions[0]).toMatchObject({ default_payment_method: intent.payment_method, metadata: { app_account_id: 'acct-amazon-once' } });
    expect(subscriptions[0]!.items.data[0]!.price.id).toBe(price);
    expect(await h.purchases.get(setupIntentId)).toMatchObject({ status: 'completed', reason: null, subscriptionId: subscriptions[0]!.id });
  });

  it('5 concurrent first deliveries: one applied, the rest duplicates, one subscription', async () => {
    const { customerId, setupIntentId } = await amazonPaySetup('acct-amazon-rush', 'approve');
    const event = emitted('setup_intent.succeeded', setupIntentId);
    const outcomes = await outcomesOf(Array.from({ length: 5 }, () => h.deliverEvent(event)));
    expect(outcomes.filter((outcome) => outcome === 'applied')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome === 'duplicate')).toHaveLength(4);
    expect(await subscriptionsOf(customerId)).toHaveLength(1);
    expect((await h.purchases.get(setupIntentId))!.status).toBe('completed');
  });

  it('setup_intent.setup_failed (declined on the Amazon Pay page) fails the purchase: authentication_failed, no subscription', async () => {
    const { customerId, setupIntentId } = await amazonPaySetup('acct-amazon-declined', 'decline');
    expect(await outcomesOf([h.deliverEvent(emitted('setup_intent.setup_failed', setupIntentId))])).toEqual(['applied']);
    expect(await h.purchases.get(setupIntentId)).toMatchObject({ status: 'failed', reason: 'authentication_failed', subscriptionId: null });
    expect(await subscriptionsOf(customerId)).toEqual([]);
  });

  it('a SetupIntent Linkout did not record is ignored, and nothing is created', async () => {
    const { customerId, setupIntentId } = await amazonPaySetup('acct-amazon-foreign', 'approve', false);
    expect(await outcomesOf([h.deliverEvent(emitted('setup_intent.succeeded', setupIntentId))])).toEqual(['ignored']);
    expect(await subscriptionsOf(customerId)).toEqual([]);
    expect(await h.purchases.get(setupIntentId)).toBeUndefined();
  });

  it('checkout.session.completed delivered twice, and twice at once, completes the purchase once', async () => {
    const customer = await emu.stripe.customers.create({ metadata: { app_account_id: 'acct-checkout-once' } });
    const price = await priceId();
    const session = await emu.stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: customer.id,
      line_items: [{ price, quantity: 1 }],
      success_url: 'https://links.lumenphotos.example/checkout_redirect/success?session_id={CHECKOUT_SESSION_ID}',
    });
    await record(session.id, 'checkout_session', 'acct-checkout-once', customer.id, price);
    const method = await emu.stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_visa' } });
    await emu.stripe.rawRequest('POST', `/v1/payment_pages/${session.id}/confirm`, { payment_method: method.id, email: 'buyer@example.com' });
    const event = emitted('checkout.session.completed', session.id);

    const outcomes = [...(await outcomesOf([h.deliverEvent(event)])), ...(await outcomesOf([h.deliverEvent(event)]))];
    outcomes.push(...(await outcomesOf([h.deliverEvent(event), h.deliverEvent(event)])));
    expect(outcomes).toEqual(['applied', 'duplicate', 'duplicate', 'duplicate']);
    const paid = await emu.stripe.checkout.sessions.retrieve(session.id);
    expect(await h.purchases.get(session.id)).toMatchObject({ status: 'completed', subscriptionId: paid.subscription });
    expect(await subscriptionsOf(customer.id)).toHaveLength(1);
  });

  it('checkout.session.expired expires the purchase with checkout_expired', async () => {
    const customer = await emu.stripe.customers.create({ metadata: { app_account_id: 'acct-checkout-expired' } });
    const price = await priceId();
    const session = await emu.stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: customer.id,
      line_items: [{ price, quantity: 1 }],
      success_url: 'https://links.lumenphotos.example/checkout_redirect/success',
    });
    await record(session.id, 'checkout_session', 'acct-checkout-expired', customer.id, price);
    await emu.stripe.checkout.sessions.expire(session.id);
    expect(await outcomesOf([h.deliverEvent(emitted('checkout.session.expired', session.id))])).toEqual(['applied']);
    expect(await h.purchases.get(session.id)).toMatchObject({ status: 'expired', reason: 'checkout_expired', subscriptionId: null });
  });
});
