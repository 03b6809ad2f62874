/**
 * Amazon Pay end to end through the local stack (`npm start`) and real Chromium: the app's
 * POST /v1/subscriptions, the emulator's Amazon Pay approval page, the return to the stack's own
 * /checkout_redirect/return, Stripe's webhooks, then GET /v1/purchases/{id} and GET /v1/entitlements
 * as the app reads them after the redirect.
 */
import { type Browser, chromium } from 'playwright-core';
import { SubscriptionRequestSchema } from '#core/subscription-purchases';
import { contractProblems, doc, validatorAt } from '../integration/portal-contract';
import { usePortalStack } from './portal-stack';

const BUY = { priceId: 'stock_photos_monthly', paymentMethod: 'amazon_pay' };

describe('the documented Amazon Pay request', () => {
  it.each<[string, unknown]>([
    ['every documented example', undefined],
    ['a lookup key', BUY],
    ['with a return path', { ...BUY, returnPath: '/checkout_redirect' }],
    ['no payment method', { priceId: 'price_1' }],
    ['another payment method', { priceId: 'price_1', paymentMethod: 'card' }],
    ['a customer id', { ...BUY, customer: 'cus_1' }],
    ['a payment method id', { ...BUY, paymentMethodId: 'pm_1' }],
    ['an empty price', { ...BUY, priceId: '' }],
  ])('agrees with the handler on %s', (_name, body) => {
    const bodies = body === undefined ? doc.components.schemas.SubscriptionRequest.examples : [body];
    expect(bodies.length).toBeGreaterThan(0);
    for (const candidate of bodies) {
      expect({ body: candidate, openapi: validatorAt('components', 'schemas', 'SubscriptionRequest')(candidate) }).toEqual({
        body: candidate,
        openapi: SubscriptionRequestSchema.safeParse(candidate).success,
      });
    }
  });
});

describe('Amazon Pay through the local stack (Chromium)', () => {
  const portal = usePortalStack();
  let browser: Browser;

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** Starts the purchase as the app does, answers on Amazon's page, and returns where the browser was sent back to. */
  async function buyAndAnswer(account: string, answer: 'approve' | 'decline') {
    const token = await portal.token(account, 'owner');
    const started = await portal.call('POST', '/v1/subscriptions', token, BUY);
    expect(started.status).toBe(201);
    expect(started.body).toEqual({
      setupIntentId: expect.stringMatching(/^seti_/),
      status: 'requires_action',
      redirectUrl: expect.stringMatching(/^http:\/\//),
    });
    expect(await portal.call('GET', `/v1/purchases/${started.body.setupIntentId}`, token)).toMatchObject({
      status: 200,
      body: { status: 'pending', kind: 'setup_intent' },
    });

    const page = await browser.newPage();
    try {
      expect((await page.goto(started.body.redirectUrl))?.status()).toBe(200);
      const returnPage = `${portal.stack.url}/checkout_redirect/return?`;
      // The return page is another helper's; what matters here is where Stripe sends the browser.
      const returned = page.waitForURL((url) => url.href.startsWith(returnPage));
      await page.getByTestId(`${answer}-redirect`).click();
      await returned;
      const url = new URL(page.url());
      await portal.stack.emulator!.flushDeliveries();
      return { token, setupIntentId: started.body.setupIntentId as string, url };
    } finally {
      await page.close();
    }
  }

  it('approve: back on the stack, then the webhook starts one off-session subscription with the Amazon Pay method as default', async () => {
    const { token, setupIntentId, url } = await buyAndAnswer('amazon-approve', 'approve');
    expect(url.searchParams.get('setup_intent')).toBe(setupIntentId);
    expect(url.searchParams.get('redirect_status')).toBe('succeeded');

    const purchase = await portal.call('GET', `/v1/purchases/${setupIntentId}`, token);
    expect(purchase.status).toBe(200);
    expect(purchase.body).toMatchObject({
      id: setupIntentId,
      kind: 'setup_intent',
      status: 'completed',
      reason: null,
      subscriptionId: expect.stringMatching(/^sub_/),
    });
    const entitlements = await portal.call('GET', '/v1/entitlements', token);
    expect(entitlements.body.active).toBe(true);
    expect(entitlements.body.subscriptions.map((subscription: { id: string }) => subscription.id)).toEqual([purchase.body.subscriptionId]);

    const intent = await portal.stripe.setupIntents.retrieve(setupIntentId);
    const subscription = await portal.stripe.subscriptions.retrieve(purchase.body.subscriptionId);
    expect(subscription.default_payment_method).toBe(intent.payment_method);
    expect(intent).toMatchObject({ usage: 'off_session', status: 'succeeded', mandate: expect.stringMatching(/^mandate_/) });
    // The emulator does not show off_session on the subscription; the creating request is the starter's
    // (its idempotency key derives from the SetupIntent), which always sends off_session: true.
    const created = portal.stack
      .emulator!.events()
      .find((event) => event.type === 'customer.subscription.created' && (event.data.object as { id: string }).id === subscription.id);
    expect(created?.request?.idempotency_key).toBe(`linkout-subscription-from-${setupIntentId}`);
  });

  it('decline: the purchase fails with authentication_failed and no subscription is created', async () => {
    const { token, setupIntentId, url } = await buyAndAnswer('amazon-decline', 'decline');
    expect(url.searchParams.get('redirect_status')).toBe('failed');
    const purchase = await portal.call('GET', `/v1/purchases/${setupIntentId}`, token);
    expect(purchase.body).toMatchObject({ status: 'failed', reason: { code: 'authentication_failed' }, subscriptionId: null });
    const [customer] = (await portal.stripe.customers.search({ query: "metadata['app_account_id']:'amazon-decline'" })).data;
    expect((await portal.stripe.subscriptions.list({ customer: customer!.id, status: 'all' })).data).toEqual([]);
    expect((await portal.call('GET', '/v1/entitlements', token)).body.active).toBe(false);
  });

  it("another account's token gets 404 for the purchase, the same answer as an unknown id; a malformed id is 400", async () => {
    const token = await portal.token('amazon-owner-of-purchase', 'owner');
    const started = await portal.call('POST', '/v1/subscriptions', token, BUY);
    const stranger = await portal.token('amazon-stranger', 'owner');
    const foreign = await portal.call('GET', `/v1/purchases/${started.body.setupIntentId}`, stranger);
    const unknown = await portal.call('GET', '/v1/purchases/seti_doesnotexist', stranger);
    expect([foreign.status, foreign.body.error.code]).toEqual([404, 'purchase_not_found']);
    expect(foreign.body.error.message.replace(started.body.setupIntentId, 'ID')).toBe(unknown.body.error.message.replace('seti_doesnotexist', 'ID'));
    expect((await portal.call('GET', '/v1/purchases/pi_123', stranger)).status).toBe(400);
    expect((await portal.call('GET', `/v1/purchases/seti_${'x'.repeat(260)}`, stranger)).status).toBe(400);
    expect((await portal.call('GET', `/v1/purchases/${started.body.setupIntentId}`)).status).toBe(401);
  });

  it('a double tap (two concurrent POSTs) gives one SetupIntent', async () => {
    const token = await portal.token('amazon-double-tap', 'owner');
    const [first, second] = await Promise.all([portal.call('POST', '/v1/subscriptions', token, BUY), portal.call('POST', '/v1/subscriptions', token, BUY)]);
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.body.setupIntentId).toBe(first.body.setupIntentId);
    const [customer] = (await portal.stripe.customers.search({ query: "metadata['app_account_id']:'amazon-double-tap'" })).data;
    expect((await portal.stripe.setupIntents.list({ customer: customer!.id })).data).toHaveLength(1);
  });

  it('every answer matches the OpenAPI document', async () => {
    const expectContract = async (method: string, path: string, documented: string, token: string | undefined, body: unknown, status: number) => {
      const reply = await portal.call(method, path, token, body);
      expect({ status: reply.status, problems: contractProblems(method, documented, reply) }).toEqual({ status, problems: [] });
      return reply;
    };
    const buyer = await portal.token('amazon-contract', 'owner');
    const created = await expectContract('POST', '/v1/subscriptions', '/v1/subscriptions', buyer, BUY, 201);
    await expectContract('POST', '/v1/subscriptions', '/v1/subscriptions', buyer, { priceId: 'price_not_ours', paymentMethod: 'amazon_pay' }, 400);
    await expectContract('POST', '/v1/subscriptions', '/v1/subscriptions', undefined, BUY, 401);
    await expectContract('POST', '/v1/subscriptions', '/v1/subscriptions', await portal.token('amazon-contract', 'member'), BUY, 403);
    await portal.subscribedAccount('amazon-contract-subscribed');
    await expectContract('POST', '/v1/subscriptions', '/v1/subscriptions', await portal.token('amazon-contract-subscribed', 'owner'), BUY, 409);
    const purchasePath = `/v1/purchases/${created.body.setupIntentId}`;
    await expectContract('GET', purchasePath, '/v1/purchases/{id}', buyer, undefined, 200);
    await expectContract('GET', purchasePath, '/v1/purchases/{id}', await portal.token('amazon-contract-other', 'owner'), undefined, 404);
    await expectContract('GET', '/v1/purchases/pi_1', '/v1/purchases/{id}', buyer, undefined, 400);
  });

  it('a member may not buy: 403 and no SetupIntent', async () => {
    const reply = await portal.call('POST', '/v1/subscriptions', await portal.token('amazon-member', 'member'), BUY);
    expect([reply.status, reply.body.error.code]).toEqual([403, 'purchase_not_allowed']);
    expect((await portal.stripe.customers.search({ query: "metadata['app_account_id']:'amazon-member'" })).data).toEqual([]);
  });
});
