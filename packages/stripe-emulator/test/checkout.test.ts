import type Stripe from 'stripe';
import { type TestStripe, useStripeEmulator } from './harness';

const SUCCESS_URL = 'https://links.lumenphotos.example/checkout_redirect/success?session_id={CHECKOUT_SESSION_ID}';
const CANCEL_URL = 'https://links.lumenphotos.example/checkout_redirect/cancel';

function postForm(url: string, fields: Record<string, string> = {}) {
  return fetch(url, { method: 'POST', body: new URLSearchParams(fields), redirect: 'manual' });
}

/** Event types emitted by `action`, in order. */
async function eventsOf(harness: TestStripe, action: () => Promise<unknown>): Promise<string[]> {
  const before = harness.emulator.events().length;
  await action();
  return harness.emulator
    .events()
    .slice(before)
    .map((event) => event.type);
}

async function priceByKey(stripe: Stripe, key: string): Promise<Stripe.Price> {
  return (await stripe.prices.list({ lookup_keys: [key] })).data[0]!;
}

describe('Stripe emulator: Checkout Sessions and the hosted checkout page', () => {
  const harness = useStripeEmulator();
  let monthly: Stripe.Price;
  let print: Stripe.Price;

  beforeAll(async () => {
    monthly = await priceByKey(harness.stripe, 'stock_photos_monthly');
    const product = await harness.stripe.products.create({ name: 'Framed print' });
    print = await harness.stripe.prices.create({ product: product.id, unit_amount: 2500, currency: 'usd' });
  });

  function subscriptionSession(params: Partial<Stripe.Checkout.SessionCreateParams> = {}) {
    return harness.stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: monthly.id, quantity: 1 }],
      success_url: SUCCESS_URL,
      cancel_url: CANCEL_URL,
      ...params,
    });
  }

  function paymentSession(params: Partial<Stripe.Checkout.SessionCreateParams> = {}) {
    return harness.stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price: print.id, quantity: 2 }],
      success_url: SUCCESS_URL,
      cancel_url: CANCEL_URL,
      customer_email: 'buyer@lumenphotos.example',
      ...params,
    });
  }

  describe('creating and reading sessions', () => {
    it('creates an open subscription session for the link-out flow, with a hosted URL and a 24-hour expiry', async () => {
      const { stripe, emulator } = harness;
      const customer = await stripe.customers.create({ email: 'owner@lumenphotos.example' });
      const types = await eventsOf(harness, async () => {
        const session = await subscriptionSession({
          customer: customer.id,
          client_reference_id: 'acct-42',
          origin_context: 'mobile_app',
          metadata: { app_account_id: 'acct-42' },
          subscription_data: { metadata: { app_account_id: 'acct-42' } },
          locale: 'en',
        });
        expect(session).toMatchObject({
          object: 'checkout.session',
          mode: 'subscription',
          status: 'open',
          payment_status: 'unpaid',
          customer: customer.id,
          customer_email: null,
          customer_creation: null,
          customer_details: { email: 'owner@lumenphotos.example' },
          client_reference_id: 'acct-42',
          origin_context: 'mobile_app',
          metadata: { app_account_id: 'acct-42' },
          amount_subtotal: 1500,
          amount_total: 1500,
          currency: 'usd',
          payment_method_types: ['card', 'amazon_pay'],
          payment_method_collection: 'always',
          payment_intent: null,
          subscription: null,
          invoice: null,
          ui_mode: 'hosted_page',
          client_secret: null,
          success_url: SUCCESS_URL,
          cancel_url: CANCEL_URL,
          livemode: false,
        });
        expect(session.id).toMatch(/^cs_test_/);
        expect(session.url).toMatch(new RegExp(`^${emulator.url}/c/pay/`));
        expect(session.expires_at).toBe(session.created + 24 * 3600);
        expect(await stripe.checkout.sessions.retrieve(session.id)).toEqual(session);
      });
      // Creating a session announces nothing.
      expect(types).toEqual([]);
    });

    it('lists the line items and expands them on the session', async () => {
      const { stripe } = harness;
      const session = await paymentSession();
      const items = await stripe.checkout.sessions.listLineItems(session.id);
      expect(items.data).toHaveLength(1);
      expect(items.data[0]).toMatchObject({
        object: 'item',
        quantity: 2,
        amount_subtotal: 5000,
        amount_total: 5000,
        currency: 'usd',
        description: 'Framed print',
        price: { id: print.id },
      });
      expect(items.url).toBe(`/v1/checkout/sessions/${session.id}/line_items`);
      const expanded = await stripe.checkout.sessions.retrieve(session.id, { expand: ['line_items'] });
      expect(expanded.line_items?.data.map((item) => item.id)).toEqual(items.data.map((item) => item.id));
      expect(session).toMatchObject({ amount_total: 5000, customer_creation: 'if_required', customer_details: null, payment_status: 'unpaid' });
    });

    it('creates inline prices from price_data', async () => {
      const { stripe } = harness;
      const session = await paymentSession({
        line_items: [{ price_data: { currency: 'usd', unit_amount: 999, product_data: { name: 'Gift card' } }, quantity: 1 }],
      });
      expect(session.amount_total).toBe(999);
      const [item] = (await stripe.checkout.sessions.listLineItems(session.id)).data;
      expect(item).toMatchObject({ description: 'Gift card', price: { unit_amount: 999, type: 'one_time' } });

      // A refused request creates no product or price.
      let error: unknown;
      const refused = await eventsOf(harness, async () => {
        const request = paymentSession({
          locale: 'xx',
          line_items: [{ price_data: { currency: 'usd', unit_amount: 999, product_data: { name: 'Gift card' } }, quantity: 1 }],
        });
        error = await request.then(
          () => undefined,
          (caught: unknown) => caught,
        );
      });
      expect(error).toMatchObject({ statusCode: 400, param: 'locale' });
      expect(refused).toEqual([]);
    });

    it.each([
      ['a recurring price in payment mode', { mode: 'payment' }, 'line_items', 'subscription'],
      ['a one-time price in subscription mode', { line_items: [{ price: 'PRINT', quantity: 1 }] }, 'line_items', 'recurring'],
      ['customer together with customer_email', { customer: 'CUSTOMER', customer_email: 'a@example.com' }, undefined, 'customer, customer_email'],
      ['an expiry more than 24 hours ahead', { expires_at: 'FAR' }, 'expires_at', '24 hours'],
      ['a missing mode', { mode: undefined }, 'mode', 'mode'],
      ['an unknown parameter', { colour: 'red' }, 'colour', 'colour'],
    ])('refuses %s', async (_label, overrides, param, message) => {
      const { stripe } = harness;
      const customer = await stripe.customers.create({ email: 'refused@example.com' });
      const replace = (value: unknown) =>
        value === 'PRINT' ? print.id : value === 'CUSTOMER' ? customer.id : value === 'FAR' ? Math.floor(Date.now() / 1000) + 25 * 3600 : value;
      const params: Record<string, unknown> = { mode: 'subscription', line_items: [{ price: monthly.id, quantity: 1 }], success_url: SUCCESS_URL };
      for (const [key, value] of Object.entries(overrides)) {
        params[key] = Array.isArray(value) ? value.map((item) => ({ ...item, price: replace(item.price) })) : replace(value);
      }
      const error = await stripe.checkout.sessions.create(params as unknown as Stripe.Checkout.SessionCreateParams).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError', message: expect.stringContaining(message) });
      if (param) expect(error).toMatchObject({ param });
    });

    it('lists sessions by customer, status, subscription and payment intent', async () => {
      const { stripe } = harness;
      const customer = await stripe.customers.create({ email: 'lister@example.com' });
      const open = await subscriptionSession({ customer: customer.id });
      const paid = await subscriptionSession({ customer: customer.id });
      await postForm(`${paid.url}/card`, { card_number: '4242424242424242', exp_month: '12', exp_year: '2040' });
      const completed = await stripe.checkout.sessions.retrieve(paid.id);

      const ids = async (params: Stripe.Checkout.SessionListParams) => (await stripe.checkout.sessions.list(params)).data.map((session) => session.id);
      expect(await ids({ customer: customer.id })).toEqual([paid.id, open.id]);
      expect(await ids({ customer: customer.id, status: 'open' })).toEqual([open.id]);
      expect(await ids({ subscription: completed.subscription as string })).toEqual([paid.id]);

      const payment = await paymentSession();
      await postForm(`${payment.url}/card`, { email: 'buyer@lumenphotos.example', card_number: '4242424242424242', exp_month: '12', exp_year: '2040' });
      const intent = (await stripe.checkout.sessions.retrieve(payment.id)).payment_intent as string;
      expect(await ids({ payment_intent: intent })).toEqual([payment.id]);
    });
  });

  describe('the hosted page', () => {
    it('shows the order and the ways to pay; the email field only without a customer', async () => {
      const { stripe } = harness;
      const customer = await stripe.customers.create({ email: 'page@lumenphotos.example' });
      const withCustomer = await (await fetch((await subscriptionSession({ customer: customer.id })).url!)).text();
      expect(withCustomer).toContain('Stock Photos');
      expect(withCustomer).toMatch(/data-testid="total">\$15\.00/);
      expect(withCustomer).toContain('data-testid="pay-card"');
      expect(withCustomer).toContain('value="4242 4242 4242 4242"');
      expect(withCustomer).toContain('data-testid="pay-amazon-pay"');
      expect(withCustomer).toContain('data-testid="cancel-checkout"');
      expect(withCustomer).not.toContain('data-testid="email"');

      const cardOnly = await (
        await fetch((await paymentSession({ payment_method_types: ['card'] } as Partial<Stripe.Checkout.SessionCreateParams>)).url!)
      ).text();
      expect(cardOnly).toContain('data-testid="email"');
      expect(cardOnly).toContain('value="buyer@lumenphotos.example" readonly');
      expect(cardOnly).not.toContain('data-testid="pay-amazon-pay"');
      expect(cardOnly).toMatch(/data-testid="total">\$50\.00/);
    });

    it('subscribes with a test card: subscription with the card and subscription_data, session complete, 303 to success_url', async () => {
      const { stripe } = harness;
      const customer = await stripe.customers.create({ email: 'subscriber@lumenphotos.example' });
      const session = await subscriptionSession({
        customer: customer.id,
        subscription_data: { metadata: { app_account_id: 'acct-7' }, description: 'Lumen Photos monthly' },
      });
      let response!: Response;
      const types = await eventsOf(harness, async () => {
        response = await postForm(`${session.url}/card`, { card_number: '4242 4242 4242 4242', exp_month: '12', exp_year: '2040', cvc: '123' });
      });
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe(`https://links.lumenphotos.example/checkout_redirect/success?session_id=${session.id}`);
      expect(types).toEqual([
        'payment_method.attached',
        'customer.subscription.created',
        'invoice.created',
        'invoice.finalized',
        'invoice.paid',
        'invoice.payment_succeeded',
        'checkout.session.completed',
      ]);

      const completed = await stripe.checkout.sessions.retrieve(session.id, { expand: ['subscription'] });
      expect(completed).toMatchObject({
        status: 'complete',
        payment_status: 'paid',
        url: null,
        customer: customer.id,
        customer_details: { email: 'subscriber@lumenphotos.example' },
      });
      const subscription = completed.subscription as Stripe.Subscription;
      expect(subscription).toMatchObject({
        status: 'active',
        customer: customer.id,
        metadata: { app_account_id: 'acct-7' },
        description: 'Lumen Photos monthly',
      });
      expect(completed.invoice).toBe(subscription.latest_invoice);
      const card = await stripe.paymentMethods.retrieve(subscription.default_payment_method as string);
      expect(card).toMatchObject({ type: 'card', customer: customer.id, card: { last4: '4242', exp_year: 2040 } });
      const completedEvent = harness.emulator
        .events()
        .find((event) => event.type === 'checkout.session.completed' && (event.data.object as { id: string }).id === session.id)!;
      expect(completedEvent.data.object).toMatchObject({ status: 'complete', subscription: subscription.id });

      const after = await fetch(session.url!);
      expect(await after.text()).toContain('data-testid="session-complete"');
      const again = await eventsOf(harness, () => postForm(`${session.url}/card`, { card_number: '4242424242424242', exp_month: '12', exp_year: '2040' }));
      expect(again).toEqual([]);
    });

    it('asks a customer without an email for one, and saves it on the customer (customer.updated)', async () => {
      const { stripe } = harness;
      const customer = await stripe.customers.create({ metadata: { app_account_id: 'acct-no-email' } });
      const session = await subscriptionSession({ customer: customer.id });
      const page = await (await fetch(session.url!)).text();
      expect(page).toContain('data-testid="email"');
      expect(page).not.toContain('data-testid="customer-email"');
      const card = { card_number: '4242 4242 4242 4242', exp_month: '12', exp_year: '2040', cvc: '123' };
      const types = await eventsOf(harness, async () => {
        expect((await postForm(`${session.url}/card`, { ...card, email: 'new@lumenphotos.example' })).status).toBe(303);
      });
      expect(types).toContain('customer.updated');
      expect((await stripe.customers.retrieve(customer.id)) as Stripe.Customer).toMatchObject({ email: 'new@lumenphotos.example' });
      expect(await stripe.checkout.sessions.retrieve(session.id)).toMatchObject({ status: 'complete', customer_details: { email: 'new@lumenphotos.example' } });
    });

    it('creates the customer when there is none and pays with Amazon Pay', async () => {
      const { stripe } = harness;
      const session = await subscriptionSession({ customer_email: 'amazon@lumenphotos.example', subscription_data: { trial_period_days: 14 } });
      expect(session).toMatchObject({ amount_total: 0, payment_status: 'no_payment_required' });
      let response!: Response;
      const types = await eventsOf(harness, async () => {
        response = await postForm(`${session.url}/amazon_pay`, { email: 'amazon@lumenphotos.example' });
      });
      expect(response.status).toBe(303);
      expect(types.slice(0, 3)).toEqual(['customer.created', 'payment_method.attached', 'customer.subscription.created']);
      expect(types.at(-1)).toBe('checkout.session.completed');
      const completed = await stripe.checkout.sessions.retrieve(session.id, { expand: ['subscription', 'customer'] });
      expect(completed).toMatchObject({ status: 'complete', payment_status: 'no_payment_required', customer: { email: 'amazon@lumenphotos.example' } });
      const subscription = completed.subscription as Stripe.Subscription;
      expect(subscription.status).toBe('trialing');
      expect(await stripe.paymentMethods.retrieve(subscription.default_payment_method as string)).toMatchObject({ type: 'amazon_pay' });
    });

    it('shows the decline and keeps the session open; the next card pays through the same payment intent', async () => {
      const { stripe } = harness;
      const session = await paymentSession();
      let declined!: Response;
      const declining = await eventsOf(harness, async () => {
        declined = await postForm(`${session.url}/card`, {
          email: 'buyer@lumenphotos.example',
          card_number: '4000 0000 0000 0002',
          exp_month: '12',
          exp_year: '2040',
        });
      });
      expect(declined.status).toBe(402);
      expect(await declined.text()).toMatch(/data-testid="payment-error">Your card was declined\./);
      expect(declining).toEqual(['payment_intent.created', 'charge.failed', 'payment_intent.payment_failed']);
      const open = await stripe.checkout.sessions.retrieve(session.id);
      expect(open).toMatchObject({ status: 'open', payment_status: 'unpaid' });
      expect(open.payment_intent).toMatch(/^pi_/);

      let paid!: Response;
      const paying = await eventsOf(harness, async () => {
        paid = await postForm(`${session.url}/card`, {
          email: 'buyer@lumenphotos.example',
          card_number: '4242424242424242',
          exp_month: '12',
          exp_year: '2040',
        });
      });
      expect(paid.status).toBe(303);
      expect(paid.headers.get('location')).toContain(`session_id=${session.id}`);
      expect(paying).toEqual(['charge.succeeded', 'payment_intent.succeeded', 'checkout.session.completed']);
      const completed = await stripe.checkout.sessions.retrieve(session.id, { expand: ['payment_intent'] });
      expect(completed).toMatchObject({ status: 'complete', payment_status: 'paid', customer: null, customer_details: { email: 'buyer@lumenphotos.example' } });
      expect(completed.payment_intent).toMatchObject({
        id: open.payment_intent,
        status: 'succeeded',
        amount_received: 5000,
        receipt_email: 'buyer@lumenphotos.example',
      });
    });

    it('saves the card for later on one customer, even across a declined attempt (setup_future_usage)', async () => {
      const { stripe } = harness;
      const session = await paymentSession({ payment_intent_data: { setup_future_usage: 'off_session' } });
      const card = (number: string) =>
        postForm(`${session.url}/card`, { email: 'buyer@lumenphotos.example', card_number: number, exp_month: '12', exp_year: '2040' });
      const types = await eventsOf(harness, async () => {
        expect((await card('4000000000009995')).status).toBe(402);
        expect((await card('4242424242424242')).status).toBe(303);
      });
      expect(types.filter((type) => type === 'customer.created')).toHaveLength(1);
      expect(types.slice(-4)).toEqual(['payment_method.attached', 'charge.succeeded', 'payment_intent.succeeded', 'checkout.session.completed']);
      const completed = await stripe.checkout.sessions.retrieve(session.id, { expand: ['payment_intent'] });
      const intent = completed.payment_intent as Stripe.PaymentIntent;
      expect(intent).toMatchObject({ customer: completed.customer, setup_future_usage: 'off_session' });
      expect(await stripe.paymentMethods.retrieve(intent.payment_method as string)).toMatchObject({ customer: completed.customer });
    });

    it('authenticates a 3D Secure card on the test page before completing', async () => {
      const { stripe } = harness;
      const session = await paymentSession({ customer_creation: 'always' });
      const paying = await postForm(`${session.url}/card`, {
        email: 'buyer@lumenphotos.example',
        card_number: '4000002760003184',
        exp_month: '12',
        exp_year: '2040',
      });
      expect(paying.status).toBe(303);
      const authenticate = paying.headers.get('location')!;
      expect(authenticate).toContain('/c/authenticate/');
      expect((await stripe.checkout.sessions.retrieve(session.id)).status).toBe('open');

      const types = await eventsOf(harness, async () => {
        const back = await postForm(`${authenticate}/complete`);
        expect(back.status).toBe(303);
        const finish = await fetch(back.headers.get('location')!, { redirect: 'manual' });
        expect(finish.status).toBe(303);
        expect(finish.headers.get('location')).toContain(`session_id=${session.id}`);
      });
      expect(types).toEqual(['charge.succeeded', 'payment_intent.succeeded', 'checkout.session.completed']);
      expect(await stripe.checkout.sessions.retrieve(session.id)).toMatchObject({
        status: 'complete',
        payment_status: 'paid',
        customer: expect.stringMatching(/^cus_/),
      });
    });

    it('sends the buyer to cancel_url and keeps the session open', async () => {
      const { stripe } = harness;
      const session = await subscriptionSession();
      const types = await eventsOf(harness, async () => {
        const response = await postForm(`${session.url}/cancel`);
        expect(response.status).toBe(303);
        expect(response.headers.get('location')).toBe(CANCEL_URL);
      });
      expect(types).toEqual([]);
      expect((await stripe.checkout.sessions.retrieve(session.id)).status).toBe('open');
    });

    it('answers 404 for an unknown link', async () => {
      const response = await fetch(`${harness.emulator.url}/c/pay/nosuchsecret`);
      expect(response.status).toBe(404);
    });
  });

  describe('expiry', () => {
    it('expires an open session once through the API, and its page says so', async () => {
      const { stripe } = harness;
      const session = await subscriptionSession();
      let expired!: Stripe.Checkout.Session;
      const types = await eventsOf(harness, async () => {
        expired = await stripe.checkout.sessions.expire(session.id);
      });
      expect(types).toEqual(['checkout.session.expired']);
      expect(expired).toMatchObject({ status: 'expired', url: null, payment_status: 'unpaid' });
      await expect(stripe.checkout.sessions.expire(session.id)).rejects.toMatchObject({ statusCode: 400 });
      const page = await fetch(session.url!);
      expect(page.status).toBe(410);
      expect(await page.text()).toContain('data-testid="session-expired"');
      const paying = await postForm(`${session.url}/card`, { card_number: '4242424242424242', exp_month: '12', exp_year: '2040' });
      expect(paying.status).toBe(410);
    });
  });

  describe('the payment page API (Stripe.js and the Stripe CLI)', () => {
    it('reads the page and confirms it with a card payment method', async () => {
      const { stripe } = harness;
      const session = await paymentSession({ customer_email: undefined, payment_intent_data: { metadata: { order: 'o-9' } } });
      const page = await stripe.rawRequest('GET', `/v1/payment_pages/${session.id}`);
      expect(page).toMatchObject({ id: session.id, amount_total: 5000, status: 'open', line_items: { data: [{ quantity: 2 }] } });
      const method = await stripe.paymentMethods.create({
        type: 'card',
        card: { token: 'tok_visa' },
        billing_details: { email: 'cli@example.com', name: 'Jenny Rosen' },
      });

      await expect(
        stripe.rawRequest('POST', `/v1/payment_pages/${session.id}/confirm`, { payment_method: method.id, expected_amount: 4000 }),
      ).rejects.toMatchObject({ statusCode: 400, param: 'expected_amount' });
      const types = await eventsOf(harness, async () => {
        const confirmed = await stripe.rawRequest('POST', `/v1/payment_pages/${session.id}/confirm`, { payment_method: method.id, expected_amount: 5000 });
        expect(confirmed).toMatchObject({ id: session.id, status: 'complete', payment_status: 'paid' });
      });
      expect(types).toEqual(['payment_intent.created', 'charge.succeeded', 'payment_intent.succeeded', 'checkout.session.completed']);
      const completed = await stripe.checkout.sessions.retrieve(session.id, { expand: ['payment_intent'] });
      expect(completed.customer_details).toMatchObject({ email: 'cli@example.com', name: 'Jenny Rosen' });
      expect(completed.payment_intent).toMatchObject({ status: 'succeeded', metadata: { order: 'o-9' }, payment_method: method.id });
    });

    it('answers a declined card with 402 and leaves the session open', async () => {
      const { stripe } = harness;
      const session = await paymentSession();
      const method = await stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_chargeDeclined' } });
      await expect(stripe.rawRequest('POST', `/v1/payment_pages/${session.id}/confirm`, { payment_method: method.id })).rejects.toMatchObject({
        statusCode: 402,
        code: 'card_declined',
      });
      expect((await stripe.checkout.sessions.retrieve(session.id)).status).toBe('open');
    });

    it.each([
      ['AT611904300234573201', 'checkout.session.async_payment_succeeded', 'paid', 'succeeded'],
      ['AT861904300235473202', 'checkout.session.async_payment_failed', 'unpaid', 'requires_payment_method'],
    ])('completes a SEPA Debit session unpaid, then settles it (%s)', async (iban, asyncEvent, finalStatus, intentStatus) => {
      const { stripe } = harness;
      const product = await stripe.products.create({ name: 'Euro print' });
      const price = await stripe.prices.create({ product: product.id, unit_amount: 1500, currency: 'eur' });
      const session = await stripe.checkout.sessions.create({
        mode: 'payment',
        success_url: SUCCESS_URL,
        line_items: [{ price: price.id, quantity: 2 }],
        payment_method_types: ['sepa_debit'],
      } as Stripe.Checkout.SessionCreateParams);
      expect(session.payment_method_types).toEqual(['sepa_debit']);
      expect(await (await fetch(session.url!)).text()).toContain('can be paid on this page');
      const method = await stripe.paymentMethods.create({
        type: 'sepa_debit',
        sepa_debit: { iban },
        billing_details: { email: 'sepa@example.com', name: 'Jenny Rosen' },
      });
      let confirmed!: Stripe.Checkout.Session;
      const types = await eventsOf(harness, async () => {
        confirmed = await stripe.rawRequest('POST', `/v1/payment_pages/${session.id}/confirm`, { payment_method: method.id, expected_amount: 3000 });
      });
      expect(confirmed).toMatchObject({ status: 'complete', payment_status: 'unpaid' });
      expect(types.slice(0, 4)).toEqual(['payment_intent.created', 'charge.pending', 'payment_intent.processing', 'checkout.session.completed']);
      expect(types.at(-1)).toBe(asyncEvent);
      const completedEvent = harness.emulator
        .events()
        .find((event) => event.type === 'checkout.session.completed' && (event.data.object as { id: string }).id === session.id)!;
      expect(completedEvent.data.object).toMatchObject({ payment_status: 'unpaid' });
      const settled = await stripe.checkout.sessions.retrieve(session.id, { expand: ['payment_intent'] });
      expect(settled.payment_status).toBe(finalStatus);
      expect((settled.payment_intent as Stripe.PaymentIntent).status).toBe(intentStatus);
    });
  });
});

describe('Stripe emulator: Checkout Sessions expire on the emulator clock', () => {
  let clock = Math.floor(Date.now() / 1000);
  const harness = useStripeEmulator(() => ({ now: () => clock }));

  it('expires a session whose expires_at has passed when it is next read, announcing it once', async () => {
    const { stripe, emulator } = harness;
    const [price] = (await stripe.prices.list({ lookup_keys: ['stock_photos_monthly'] })).data;
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: price!.id, quantity: 1 }],
      success_url: SUCCESS_URL,
      expires_at: clock + 45 * 60,
    });
    clock += 44 * 60;
    expect((await stripe.checkout.sessions.retrieve(session.id)).status).toBe('open');
    expect(emulator.events().filter((event) => event.type === 'checkout.session.expired')).toEqual([]);

    clock += 2 * 60;
    const listed = await stripe.checkout.sessions.list({ status: 'expired' });
    expect(listed.data.map((candidate) => candidate.id)).toEqual([session.id]);
    expect(await stripe.checkout.sessions.retrieve(session.id)).toMatchObject({ status: 'expired', url: null });
    const page = await fetch(session.url!);
    expect(page.status).toBe(410);
    const expiredEvents = emulator.events().filter((event) => event.type === 'checkout.session.expired');
    expect(expiredEvents).toHaveLength(1);
    expect(expiredEvents[0]!.data.object).toMatchObject({ id: session.id, status: 'expired' });
  });
});
