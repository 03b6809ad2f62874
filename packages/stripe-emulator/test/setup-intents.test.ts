import Stripe from 'stripe';
import { chargeOutcome } from '../src/resources/payment-methods';
import type { StripeObject } from '../src/store';
import { useStripeEmulator } from './harness';

type Emulator = ReturnType<typeof useStripeEmulator>['emulator'];

const RETURN_URL = 'https://app.example.com/payment-setup/return?flow=amazon';
const ACCEPTANCE = { customer_acceptance: { type: 'online' as const, online: { ip_address: '203.0.113.7', user_agent: 'Mozilla/5.0 (iPhone)' } } };

/** Types of the events about the given objects recorded since `from`, oldest first. */
function eventTypes(emulator: Emulator, ids: string[], from: number): string[] {
  return emulator
    .events()
    .slice(from)
    .filter((event) => ids.includes((event.data.object as { id: string }).id))
    .map((event) => event.type);
}

/** A browser's form POST: the page answers with a 303 that we do not follow. */
async function submit(url: string): Promise<Response> {
  return fetch(url, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
}

describe('Stripe emulator: setup intents', () => {
  const harness = useStripeEmulator();

  it('sets up a card for a customer in one call: attached, setup_intent.succeeded, a setup attempt', async () => {
    const { stripe, emulator } = harness;
    const customer = await stripe.customers.create({ email: 'seti-card@example.com' });
    const before = emulator.events().length;
    const intent = await stripe.setupIntents.create({
      customer: customer.id,
      payment_method: 'pm_card_visa',
      confirm: true,
      usage: 'off_session',
      metadata: { plan: 'pro' },
    });
    expect(intent.id).toMatch(/^seti_[A-Za-z0-9]{24}$/);
    expect(intent.client_secret).toMatch(new RegExp(`^${intent.id}_secret_[A-Za-z0-9]+$`));
    expect(intent).toMatchObject({
      object: 'setup_intent',
      status: 'succeeded',
      customer: customer.id,
      usage: 'off_session',
      next_action: null,
      last_setup_error: null,
      mandate: null,
      metadata: { plan: 'pro' },
      automatic_payment_methods: { enabled: true, allow_redirects: 'always' },
      payment_method_types: ['card', 'amazon_pay'],
      payment_method_options: { card: { request_three_d_secure: 'automatic', network: null, mandate_options: null } },
    });
    const paymentMethodId = intent.payment_method as string;
    expect(paymentMethodId).toMatch(/^pm_[A-Za-z0-9]{24}$/);
    expect((await stripe.paymentMethods.retrieve(paymentMethodId)).customer).toBe(customer.id);
    expect(eventTypes(emulator, [intent.id, paymentMethodId], before)).toEqual(['setup_intent.created', 'payment_method.attached', 'setup_intent.succeeded']);

    const attempts = await stripe.setupAttempts.list({ setup_intent: intent.id });
    expect(attempts.data).toHaveLength(1);
    expect(attempts.data[0]).toMatchObject({
      id: intent.latest_attempt,
      object: 'setup_attempt',
      status: 'succeeded',
      payment_method: paymentMethodId,
      payment_method_details: { type: 'card', card: { brand: 'visa', last4: '4242', three_d_secure: null } },
    });
    expect((await stripe.setupIntents.retrieve(intent.id, { client_secret: intent.client_secret! })).status).toBe('succeeded');
    await expect(stripe.setupIntents.retrieve(intent.id, { client_secret: 'seti_wrong_secret_x' })).rejects.toMatchObject({
      statusCode: 400,
      param: 'client_secret',
    });
    await expect(stripe.setupIntents.confirm(intent.id)).rejects.toMatchObject({
      statusCode: 400,
      code: 'setup_intent_unexpected_state',
      message: 'You cannot confirm this SetupIntent because it has a status of succeeded.',
    });
    await expect(stripe.setupIntents.cancel(intent.id)).rejects.toMatchObject({ code: 'setup_intent_unexpected_state' });
  });

  it('moves requires_payment_method -> requires_confirmation -> succeeded across create, update and confirm', async () => {
    const { stripe, emulator } = harness;
    const customer = await stripe.customers.create({ email: 'seti-steps@example.com' });
    const before = emulator.events().length;
    const intent = await stripe.setupIntents.create({ customer: customer.id, allowed_payment_method_types: ['card'], description: 'Save a card' });
    expect(intent).toMatchObject({
      status: 'requires_payment_method',
      payment_method: null,
      automatic_payment_methods: null,
      allowed_payment_method_types: ['card'],
      payment_method_types: ['card'],
    });
    await expect(stripe.setupIntents.confirm(intent.id)).rejects.toMatchObject({ statusCode: 400, code: 'setup_intent_unexpected_state' });

    const card = await stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_visa' } });
    const updated = await stripe.setupIntents.update(intent.id, { payment_method: card.id, metadata: { step: '2' } });
    expect(updated).toMatchObject({ status: 'requires_confirmation', payment_method: card.id, metadata: { step: '2' } });
    const amazon = await stripe.paymentMethods.create({ type: 'amazon_pay' });
    await expect(stripe.setupIntents.update(intent.id, { payment_method: amazon.id })).rejects.toMatchObject({ statusCode: 400, param: 'payment_method' });

    const confirmed = await stripe.setupIntents.confirm(intent.id);
    expect(confirmed.status).toBe('succeeded');
    expect(eventTypes(emulator, [intent.id, card.id], before)).toEqual(['setup_intent.created', 'payment_method.attached', 'setup_intent.succeeded']);
    await expect(stripe.setupIntents.update(intent.id, { description: 'late' })).rejects.toMatchObject({ code: 'setup_intent_unexpected_state' });

    // The older name the CLI and earlier integrations send still works, without setting allowed_….
    const legacy = await stripe.setupIntents.create({ payment_method_types: ['card', 'amazon_pay'] } as Stripe.SetupIntentCreateParams);
    expect(legacy).toMatchObject({ allowed_payment_method_types: null, payment_method_types: ['card', 'amazon_pay'], automatic_payment_methods: null });

    const listed = await stripe.setupIntents.list({ customer: customer.id });
    expect(listed.data.map((item) => item.id)).toEqual([intent.id]);
    expect((await stripe.setupIntents.list({ payment_method: card.id })).data.map((item) => item.id)).toEqual([intent.id]);
  });

  it('fails setup with a declining card: 402 carrying the intent, last_setup_error, setup_intent.setup_failed', async () => {
    const { stripe, emulator } = harness;
    const before = emulator.events().length;
    const error = await stripe.setupIntents
      .create({ payment_method: 'pm_card_chargeDeclined', allowed_payment_method_types: ['card'], confirm: true })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Stripe.errors.StripeCardError);
    const cardError = error as Stripe.errors.StripeCardError;
    expect(cardError).toMatchObject({ statusCode: 402, code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' });
    const failed = cardError.setup_intent!;
    expect(failed).toMatchObject({ status: 'requires_payment_method', payment_method: null });

    const stored = await stripe.setupIntents.retrieve(failed.id);
    expect(stored.status).toBe('requires_payment_method');
    expect(stored.last_setup_error).toMatchObject({
      type: 'card_error',
      code: 'card_declined',
      decline_code: 'generic_decline',
      message: 'Your card was declined.',
    });
    expect(stored.last_setup_error!.payment_method).toMatchObject({ object: 'payment_method', card: { last4: '0002' } });
    expect(eventTypes(emulator, [failed.id], before)).toEqual(['setup_intent.created', 'setup_intent.setup_failed']);
    const setupFailed = emulator
      .events()
      .find((event) => event.type === 'setup_intent.setup_failed' && (event.data.object as { id: string }).id === failed.id)!;
    expect((setupFailed.data.object as Stripe.SetupIntent).last_setup_error).toMatchObject({ code: 'card_declined' });
    expect((await stripe.setupAttempts.list({ setup_intent: failed.id })).data[0]).toMatchObject({ status: 'failed', setup_error: { code: 'card_declined' } });

    // Setting up chargeCustomerFail succeeds: it only declines when charged.
    const customerFail = await stripe.setupIntents.create({ payment_method: 'pm_card_chargeCustomerFail', confirm: true });
    expect(customerFail.status).toBe('succeeded');
  });

  it('asks for 3D Secure on cards that require it, in Stripe.js or by redirect, and completes on the page', async () => {
    const { stripe, emulator } = harness;
    const customer = await stripe.customers.create({ email: 'seti-3ds@example.com' });
    const inSdk = await stripe.setupIntents.create({ customer: customer.id, payment_method: 'pm_card_authenticationRequiredOnSetup', confirm: true });
    expect(inSdk.status).toBe('requires_action');
    expect(inSdk.next_action).toEqual({
      type: 'use_stripe_sdk',
      use_stripe_sdk: { type: 'three_d_secure_redirect', stripe_js: `${emulator.url}/r/setup_intent/${inSdk.client_secret}` },
    });
    const card = await stripe.paymentMethods.retrieve(inSdk.payment_method as string);
    expect(card.customer).toBeNull();
    expect(chargeOutcome(card as unknown as StripeObject)).toEqual({ kind: 'requires_authentication' });

    const before = emulator.events().length;
    const done = await submit(`${emulator.url}/r/setup_intent/${inSdk.client_secret}/approve`);
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('data-testid="redirect-result" data-status="succeeded"');
    const succeeded = await stripe.setupIntents.retrieve(inSdk.id);
    expect(succeeded).toMatchObject({ status: 'succeeded', next_action: null });
    expect(eventTypes(emulator, [inSdk.id, card.id], before)).toEqual(['payment_method.attached', 'setup_intent.succeeded']);
    // Once set up, off-session payments on this card no longer need authentication.
    expect(chargeOutcome((await stripe.paymentMethods.retrieve(card.id)) as unknown as StripeObject)).toEqual({ kind: 'succeeds' });
    const attempt = (await stripe.setupAttempts.list({ setup_intent: inSdk.id })).data[0]!;
    expect(attempt.payment_method_details.card!.three_d_secure).toMatchObject({ result: 'authenticated', version: '2.2.0' });

    const byRedirect = await stripe.setupIntents.create({ payment_method: 'pm_card_threeDSecure2Required', confirm: true, return_url: RETURN_URL });
    expect(byRedirect.next_action).toEqual({
      type: 'redirect_to_url',
      redirect_to_url: { url: `${emulator.url}/r/setup_intent/${byRedirect.client_secret}`, return_url: RETURN_URL },
    });
    const failed = await submit(`${emulator.url}/r/setup_intent/${byRedirect.client_secret}/decline`);
    expect(failed.status).toBe(303);
    expect(new URL(failed.headers.get('location')!).searchParams.get('redirect_status')).toBe('failed');
    expect((await stripe.setupIntents.retrieve(byRedirect.id)).last_setup_error).toMatchObject({ code: 'setup_intent_authentication_failure' });
  });

  it('cancels an intent that has not succeeded (setup_intent.canceled) and refuses everything after', async () => {
    const { stripe, emulator } = harness;
    const intent = await stripe.setupIntents.create({ allowed_payment_method_types: ['card'] });
    const before = emulator.events().length;
    const canceled = await stripe.setupIntents.cancel(intent.id, { cancellation_reason: 'requested_by_customer' });
    expect(canceled).toMatchObject({ status: 'canceled', cancellation_reason: 'requested_by_customer', next_action: null });
    expect(eventTypes(emulator, [intent.id], before)).toEqual(['setup_intent.canceled']);
    await expect(stripe.setupIntents.cancel(intent.id)).rejects.toMatchObject({ statusCode: 400, code: 'setup_intent_unexpected_state' });
    await expect(stripe.setupIntents.confirm(intent.id, { payment_method: 'pm_card_visa' })).rejects.toMatchObject({ code: 'setup_intent_unexpected_state' });
    await expect(stripe.setupIntents.cancel(intent.id, { cancellation_reason: 'bored' as 'abandoned' })).rejects.toMatchObject({
      param: 'cancellation_reason',
    });
  });

  it('answers bad requests as Stripe does and creates nothing', async () => {
    const { stripe, emulator } = harness;
    const before = emulator.events().length;
    await expect(stripe.setupIntents.create({ customer: 'cus_missing' })).rejects.toMatchObject({
      statusCode: 400,
      code: 'resource_missing',
      param: 'customer',
    });
    await expect(stripe.setupIntents.create({ payment_method: 'pm_card_visa', payment_method_data: { type: 'amazon_pay' } })).rejects.toMatchObject({
      statusCode: 400,
    });
    await expect(stripe.setupIntents.create({ allowed_payment_method_types: ['card'], automatic_payment_methods: { enabled: true } })).rejects.toMatchObject({
      message: 'You may only specify one of these parameters: automatic_payment_methods, allowed_payment_method_types.',
    });
    await expect(stripe.setupIntents.create({ usage: 'sometimes' as 'on_session' })).rejects.toMatchObject({ param: 'usage' });
    await expect(stripe.setupIntents.create({ bogus: 'x' } as Stripe.SetupIntentCreateParams)).rejects.toMatchObject({
      code: 'parameter_unknown',
      param: 'bogus',
    });
    // A redirect wallet needs a return_url to come back to.
    await expect(
      stripe.setupIntents.create({ allowed_payment_method_types: ['amazon_pay'], payment_method_data: { type: 'amazon_pay' }, confirm: true }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'return_url' });
    await expect(
      stripe.setupIntents.create({ automatic_payment_methods: { enabled: true, allow_redirects: 'never' }, payment_method_data: { type: 'amazon_pay' } }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'payment_method' });
    expect(
      emulator
        .events()
        .slice(before)
        .filter((event) => event.type.startsWith('setup_intent.')),
    ).toEqual([]);
  });
});

describe('Stripe emulator: Amazon Pay setup with the hosted approval page', () => {
  const harness = useStripeEmulator();

  async function amazonPaySetup(email: string) {
    const { stripe } = harness;
    const customer = await stripe.customers.create({ email });
    const intent = await stripe.setupIntents.create({
      customer: customer.id,
      allowed_payment_method_types: ['amazon_pay'],
      payment_method_data: { type: 'amazon_pay' },
      confirm: true,
      usage: 'off_session',
      return_url: RETURN_URL,
      mandate_data: ACCEPTANCE,
    });
    return { customer, intent };
  }

  it('approves: 303 back to the return_url with Stripe query, intent succeeded, payment method attached, mandate', async () => {
    const { stripe, emulator } = harness;
    const before = emulator.events().length;
    const { customer, intent } = await amazonPaySetup('amazon-approve@example.com');
    expect(intent).toMatchObject({
      status: 'requires_action',
      customer: customer.id,
      mandate: null,
      payment_method_types: ['amazon_pay'],
      payment_method_options: null,
    });
    const approvalUrl = `${emulator.url}/r/setup_intent/${intent.client_secret}`;
    expect(intent.next_action).toEqual({ type: 'redirect_to_url', redirect_to_url: { url: approvalUrl, return_url: RETURN_URL } });
    const paymentMethodId = intent.payment_method as string;
    expect(await stripe.paymentMethods.retrieve(paymentMethodId)).toMatchObject({ type: 'amazon_pay', amazon_pay: {}, customer: null });

    const page = await fetch(approvalUrl);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('data-testid="approve-redirect"');
    expect(html).toContain('data-testid="decline-redirect"');
    expect(html).toContain('Amazon Pay');
    expect(html).toContain('Lumen Photos');
    expect(html).toContain('amazon-approve@example.com');

    const approved = await submit(`${approvalUrl}/approve`);
    expect(approved.status).toBe(303);
    const location = new URL(approved.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe('https://app.example.com/payment-setup/return');
    expect(Object.fromEntries(location.searchParams)).toEqual({
      flow: 'amazon',
      setup_intent: intent.id,
      setup_intent_client_secret: intent.client_secret,
      redirect_status: 'succeeded',
    });

    const succeeded = await stripe.setupIntents.retrieve(intent.id, { expand: ['mandate'] });
    expect(succeeded).toMatchObject({ status: 'succeeded', next_action: null, payment_method: paymentMethodId });
    expect(succeeded.mandate).toMatchObject({
      object: 'mandate',
      type: 'multi_use',
      status: 'active',
      payment_method: paymentMethodId,
      payment_method_details: { type: 'amazon_pay', amazon_pay: {} },
      customer_acceptance: { type: 'online', online: { ip_address: '203.0.113.7', user_agent: 'Mozilla/5.0 (iPhone)' } },
    });
    expect((await stripe.mandates.retrieve((succeeded.mandate as Stripe.Mandate).id)).id).toMatch(/^mandate_/);
    expect((await stripe.paymentMethods.retrieve(paymentMethodId)).customer).toBe(customer.id);
    expect(eventTypes(emulator, [intent.id, paymentMethodId], before)).toEqual([
      'setup_intent.created',
      'setup_intent.requires_action',
      'payment_method.attached',
      'setup_intent.succeeded',
    ]);
    // The approved wallet can now be the customer's default for subscriptions.
    const updated = await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: paymentMethodId } });
    expect(updated.invoice_settings.default_payment_method).toBe(paymentMethodId);

    // No second answer: the page says the authorisation is closed and refuses to act again.
    const eventCount = emulator.events().length;
    const again = await fetch(approvalUrl);
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('This authorisation has already been approved.');
    expect((await submit(`${approvalUrl}/decline`)).status).toBe(409);
    expect((await submit(`${approvalUrl}/approve`)).status).toBe(409);
    expect(emulator.events().length).toBe(eventCount);
  });

  it('declines: 303 with redirect_status=failed, setup_intent.setup_failed, and a new confirmation works', async () => {
    const { stripe, emulator } = harness;
    const { intent } = await amazonPaySetup('amazon-decline@example.com');
    const paymentMethodId = intent.payment_method as string;
    const before = emulator.events().length;
    const declined = await submit(`${emulator.url}/r/setup_intent/${intent.client_secret}/decline`);
    expect(declined.status).toBe(303);
    const location = new URL(declined.headers.get('location')!);
    expect(location.searchParams.get('redirect_status')).toBe('failed');
    expect(location.searchParams.get('setup_intent')).toBe(intent.id);

    const failed = await stripe.setupIntents.retrieve(intent.id);
    expect(failed).toMatchObject({ status: 'requires_payment_method', payment_method: null, next_action: null, mandate: null });
    expect(failed.last_setup_error).toMatchObject({
      type: 'invalid_request_error',
      code: 'setup_intent_authentication_failure',
      payment_method: { id: paymentMethodId, type: 'amazon_pay' },
    });
    expect((await stripe.paymentMethods.retrieve(paymentMethodId)).customer).toBeNull();
    expect(eventTypes(emulator, [intent.id, paymentMethodId], before)).toEqual(['setup_intent.setup_failed']);

    // The customer tries again: a fresh confirmation gets a fresh answer.
    const retried = await stripe.setupIntents.confirm(intent.id, { payment_method_data: { type: 'amazon_pay' }, mandate_data: ACCEPTANCE });
    expect(retried).toMatchObject({ status: 'requires_action', last_setup_error: null });
    expect(retried.payment_method).not.toBe(paymentMethodId);
    const approved = await submit(`${emulator.url}/r/setup_intent/${intent.client_secret}/approve`);
    expect(approved.status).toBe(303);
    expect(new URL(approved.headers.get('location')!).searchParams.get('redirect_status')).toBe('succeeded');
    expect((await stripe.setupIntents.retrieve(intent.id)).status).toBe('succeeded');
    const attempts = await stripe.setupAttempts.list({ setup_intent: intent.id });
    expect(attempts.data.map((attempt) => attempt.status)).toEqual(['succeeded', 'failed']);
  });

  it('closes the page of a canceled intent, and answers 404 for an unknown link', async () => {
    const { stripe, emulator } = harness;
    const { intent } = await amazonPaySetup('amazon-cancel@example.com');
    await stripe.setupIntents.cancel(intent.id, { cancellation_reason: 'abandoned' });
    const approvalUrl = `${emulator.url}/r/setup_intent/${intent.client_secret}`;
    const page = await fetch(approvalUrl);
    expect(await page.text()).toContain('This authorisation was canceled by the merchant.');
    expect((await submit(`${approvalUrl}/approve`)).status).toBe(409);
    expect((await stripe.setupIntents.retrieve(intent.id)).status).toBe('canceled');
    expect((await fetch(`${emulator.url}/r/setup_intent/seti_unknown_secret_x`)).status).toBe(404);
  });
});
