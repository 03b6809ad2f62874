import Stripe from 'stripe';
import { useStripeEmulator } from './harness';

describe('Stripe emulator: payment intents', () => {
  const harness = useStripeEmulator();

  /** Event types emitted by `action`, in order. */
  async function eventsOf(action: () => Promise<unknown>): Promise<string[]> {
    const before = harness.emulator.events().length;
    await action();
    return harness.emulator
      .events()
      .slice(before)
      .map((event) => event.type);
  }

  async function cardError(promise: Promise<unknown>): Promise<Stripe.errors.StripeCardError> {
    const error = await promise.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(Stripe.errors.StripeCardError);
    return error as Stripe.errors.StripeCardError;
  }

  it('creates an intent awaiting a payment method, with automatic payment methods by default', async () => {
    const { stripe } = harness;
    let intent!: Stripe.PaymentIntent;
    const types = await eventsOf(async () => {
      intent = await stripe.paymentIntents.create({ amount: 2000, currency: 'usd', description: 'Lumen Photos print', metadata: { order: 'o-1' } });
    });
    expect(types).toEqual(['payment_intent.created']);
    expect(intent).toMatchObject({
      object: 'payment_intent',
      amount: 2000,
      amount_received: 0,
      currency: 'usd',
      status: 'requires_payment_method',
      capture_method: 'automatic_async',
      confirmation_method: 'automatic',
      automatic_payment_methods: { enabled: true, allow_redirects: 'always' },
      payment_method_types: ['card', 'amazon_pay'],
      allowed_payment_method_types: null,
      latest_charge: null,
      last_payment_error: null,
      metadata: { order: 'o-1' },
    });
    expect(intent.id).toMatch(/^pi_/);
    expect(intent.client_secret).toMatch(new RegExp(`^${intent.id}_secret_`));
    expect(await stripe.paymentIntents.retrieve(intent.id)).toEqual(intent);
  });

  it('confirms a test card at creation: a new payment method, a succeeded charge, payment_intent.succeeded', async () => {
    const { stripe } = harness;
    let intent!: Stripe.PaymentIntent;
    const types = await eventsOf(async () => {
      intent = await stripe.paymentIntents.create({
        amount: 100,
        currency: 'usd',
        allowed_payment_method_types: ['card'],
        payment_method: 'pm_card_visa',
        confirm: true,
      });
    });
    expect(types).toEqual(['payment_intent.created', 'charge.succeeded', 'payment_intent.succeeded']);
    expect(intent).toMatchObject({ status: 'succeeded', amount_received: 100, automatic_payment_methods: null, allowed_payment_method_types: ['card'] });
    expect(intent.payment_method).toMatch(/^pm_(?!card_)/);
    const expanded = await stripe.paymentIntents.retrieve(intent.id, { expand: ['latest_charge'] });
    const charge = expanded.latest_charge as Stripe.Charge;
    expect(charge).toMatchObject({ object: 'charge', status: 'succeeded', paid: true, captured: true, amount_captured: 100, payment_intent: intent.id });
    expect(charge.payment_method_details?.card).toMatchObject({ brand: 'visa', last4: '4242' });
  });

  it('answers a declined card with a 402 card_error and keeps the failure on the intent', async () => {
    const { stripe } = harness;
    let error!: Stripe.errors.StripeCardError;
    const types = await eventsOf(async () => {
      error = await cardError(
        stripe.paymentIntents.create({
          amount: 2000,
          currency: 'usd',
          allowed_payment_method_types: ['card'],
          payment_method: 'pm_card_chargeDeclined',
          confirm: true,
        }),
      );
    });
    expect(types).toEqual(['payment_intent.created', 'charge.failed', 'payment_intent.payment_failed']);
    expect(error).toMatchObject({ statusCode: 402, code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' });
    const failed = error.payment_intent!;
    expect(failed.status).toBe('requires_payment_method');
    const stored = await stripe.paymentIntents.retrieve(failed.id);
    expect(stored).toMatchObject({
      status: 'requires_payment_method',
      payment_method: null,
      last_payment_error: { code: 'card_declined', decline_code: 'generic_decline', type: 'card_error' },
    });
    expect(stored.latest_charge).toBe((error.raw as { charge?: string }).charge);

    const retried = await stripe.paymentIntents.confirm(failed.id, { payment_method: 'pm_card_visa' });
    expect(retried).toMatchObject({ status: 'succeeded', last_payment_error: null });
  });

  it('asks for 3D Secure on an authentication card and finishes on the test authentication page', async () => {
    const { stripe } = harness;
    const returnUrl = 'https://lumenphotos.example/paid';
    const intent = await stripe.paymentIntents.create({
      amount: 2000,
      currency: 'usd',
      allowed_payment_method_types: ['card'],
      payment_method: 'pm_card_authenticationRequired',
      confirm: true,
      return_url: returnUrl,
    });
    expect(intent.status).toBe('requires_action');
    expect(intent.next_action).toMatchObject({ type: 'redirect_to_url', redirect_to_url: { return_url: returnUrl } });
    const page = await fetch(intent.next_action!.redirect_to_url!.url!);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('data-testid="complete-authentication"');

    const types = await eventsOf(async () => {
      const answer = await fetch(`${intent.next_action!.redirect_to_url!.url}/complete`, { method: 'POST', redirect: 'manual' });
      expect(answer.status).toBe(303);
      const location = new URL(answer.headers.get('location')!);
      expect(`${location.origin}${location.pathname}`).toBe(returnUrl);
      expect(Object.fromEntries(location.searchParams)).toEqual({
        payment_intent: intent.id,
        payment_intent_client_secret: intent.client_secret,
        redirect_status: 'succeeded',
      });
    });
    expect(types).toEqual(['charge.succeeded', 'payment_intent.succeeded']);
    const charge = (await stripe.paymentIntents.retrieve(intent.id, { expand: ['latest_charge'] })).latest_charge as Stripe.Charge;
    expect(charge.payment_method_details?.card?.three_d_secure).toMatchObject({ result: 'authenticated' });
  });

  it('fails authentication back to requires_payment_method, and declines an authentication card off session', async () => {
    const { stripe } = harness;
    const intent = await stripe.paymentIntents.create({
      amount: 2000,
      currency: 'usd',
      allowed_payment_method_types: ['card'],
      payment_method: 'pm_card_threeDSecure2Required',
      confirm: true,
      return_url: 'https://lumenphotos.example/paid',
    });
    const answer = await fetch(`${intent.next_action!.redirect_to_url!.url}/fail`, { method: 'POST', redirect: 'manual' });
    expect(new URL(answer.headers.get('location')!).searchParams.get('redirect_status')).toBe('failed');
    expect(await stripe.paymentIntents.retrieve(intent.id)).toMatchObject({
      status: 'requires_payment_method',
      last_payment_error: { code: 'payment_intent_authentication_failure' },
    });

    const customer = await stripe.customers.create({ email: 'offsession@example.com' });
    const error = await cardError(
      stripe.paymentIntents.create({
        amount: 2000,
        currency: 'usd',
        customer: customer.id,
        allowed_payment_method_types: ['card'],
        payment_method: 'pm_card_authenticationRequired',
        confirm: true,
        off_session: true,
      }),
    );
    expect(error).toMatchObject({ code: 'authentication_required', decline_code: 'authentication_required' });
  });

  it('authorizes with manual capture, then captures part of it', async () => {
    const { stripe } = harness;
    let intent!: Stripe.PaymentIntent;
    const authorized = await eventsOf(async () => {
      intent = await stripe.paymentIntents.create({
        amount: 2000,
        currency: 'usd',
        capture_method: 'manual',
        allowed_payment_method_types: ['card'],
        payment_method: 'pm_card_visa',
        confirm: true,
      });
    });
    expect(authorized).toEqual(['payment_intent.created', 'charge.succeeded', 'payment_intent.amount_capturable_updated']);
    expect(intent).toMatchObject({ status: 'requires_capture', amount_capturable: 2000, amount_received: 0 });

    let captured!: Stripe.PaymentIntent;
    const capturing = await eventsOf(async () => {
      captured = await stripe.paymentIntents.capture(intent.id, { amount_to_capture: 1500 });
    });
    expect(capturing).toEqual(['charge.captured', 'payment_intent.succeeded']);
    expect(captured).toMatchObject({ status: 'succeeded', amount_capturable: 0, amount_received: 1500 });
    const charge = (await stripe.paymentIntents.retrieve(intent.id, { expand: ['latest_charge'] })).latest_charge as Stripe.Charge;
    expect(charge).toMatchObject({ captured: true, amount_captured: 1500, amount_refunded: 500 });

    await expect(stripe.paymentIntents.capture(intent.id)).rejects.toMatchObject({ statusCode: 400, code: 'payment_intent_unexpected_state' });
  });

  it('cancels an open intent once, with its reason', async () => {
    const { stripe } = harness;
    const intent = await stripe.paymentIntents.create({ amount: 2000, currency: 'usd' });
    let canceled!: Stripe.PaymentIntent;
    const types = await eventsOf(async () => {
      canceled = await stripe.paymentIntents.cancel(intent.id, { cancellation_reason: 'requested_by_customer' });
    });
    expect(types).toEqual(['payment_intent.canceled']);
    expect(canceled).toMatchObject({ status: 'canceled', cancellation_reason: 'requested_by_customer' });
    expect(canceled.canceled_at).toEqual(expect.any(Number));
    await expect(stripe.paymentIntents.cancel(intent.id)).rejects.toMatchObject({ statusCode: 400, code: 'payment_intent_unexpected_state' });
    await expect(stripe.paymentIntents.confirm(intent.id, { payment_method: 'pm_card_visa' })).rejects.toMatchObject({
      code: 'payment_intent_unexpected_state',
    });
  });

  it('updates, then confirms separately; lists by customer', async () => {
    const { stripe } = harness;
    const customer = await stripe.customers.create({ email: 'buyer@example.com' });
    const intent = await stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      customer: customer.id,
      allowed_payment_method_types: ['card'],
      setup_future_usage: 'off_session',
    });
    const updated = await stripe.paymentIntents.update(intent.id, { amount: 1200, metadata: { order: 'o-2' }, payment_method: 'pm_card_mastercard' });
    expect(updated).toMatchObject({ amount: 1200, metadata: { order: 'o-2' }, status: 'requires_confirmation' });
    const types = await eventsOf(async () => {
      const confirmed = await stripe.paymentIntents.confirm(intent.id);
      expect(confirmed).toMatchObject({ status: 'succeeded', amount_received: 1200 });
    });
    // setup_future_usage saves the card on the customer once the payment goes through.
    expect(types).toEqual(['payment_method.attached', 'charge.succeeded', 'payment_intent.succeeded']);
    const saved = await stripe.paymentMethods.retrieve(updated.payment_method as string);
    expect(saved.customer).toBe(customer.id);

    await expect(stripe.paymentIntents.update(intent.id, { amount: 5000 })).rejects.toMatchObject({ code: 'payment_intent_unexpected_state' });
    const listed = await stripe.paymentIntents.list({ customer: customer.id });
    expect(listed.data.map((candidate) => candidate.id)).toEqual([intent.id]);
  });

  it('takes a bank debit through processing to its outcome', async () => {
    const { stripe } = harness;
    const debit = async (iban: string) => {
      const method = await stripe.paymentMethods.create({
        type: 'sepa_debit',
        sepa_debit: { iban },
        billing_details: { name: 'Jenny Rosen', email: 'jenny@example.com' },
      });
      return stripe.paymentIntents.create({
        amount: 1000,
        currency: 'eur',
        allowed_payment_method_types: ['sepa_debit'],
        payment_method: method.id,
        confirm: true,
      });
    };
    let intent!: Stripe.PaymentIntent;
    const succeeding = await eventsOf(async () => {
      intent = await debit('AT611904300234573201');
    });
    expect(intent.status).toBe('processing');
    expect(succeeding).toEqual(['payment_intent.created', 'charge.pending', 'payment_intent.processing', 'charge.succeeded', 'payment_intent.succeeded']);
    expect(await stripe.paymentIntents.retrieve(intent.id)).toMatchObject({ status: 'succeeded', amount_received: 1000 });

    const failing = await eventsOf(async () => {
      intent = await debit('AT861904300235473202');
    });
    expect(failing.slice(-2)).toEqual(['charge.failed', 'payment_intent.payment_failed']);
    expect(await stripe.paymentIntents.retrieve(intent.id)).toMatchObject({
      status: 'requires_payment_method',
      last_payment_error: { code: 'insufficient_funds' },
    });
  });

  it.each([
    ['an unknown parameter', { amount: 2000, currency: 'usd', colour: 'red' }, 'colour', 'parameter_unknown'],
    ['an amount below the minimum', { amount: 20, currency: 'usd' }, 'amount', 'amount_too_small'],
    ['a missing currency', { amount: 2000 }, 'currency', 'parameter_missing'],
    [
      'a payment method of a type the intent does not allow',
      { amount: 2000, currency: 'usd', allowed_payment_method_types: ['amazon_pay'], payment_method: 'pm_card_visa' },
      'payment_method',
      'payment_intent_invalid_parameter',
    ],
  ])('refuses %s', async (_label, params, param, code) => {
    await expect(harness.stripe.paymentIntents.create(params as unknown as Stripe.PaymentIntentCreateParams)).rejects.toMatchObject({
      statusCode: 400,
      param,
      code,
    });
  });

  it('refuses automatic payment methods together with payment_method_types', async () => {
    await expect(
      harness.stripe.paymentIntents.create({
        amount: 2000,
        currency: 'usd',
        payment_method_types: ['card'],
        automatic_payment_methods: { enabled: true },
      } as unknown as Stripe.PaymentIntentCreateParams),
    ).rejects.toMatchObject({ statusCode: 400, message: expect.stringContaining('automatic_payment_methods, payment_method_types') });
  });
});
