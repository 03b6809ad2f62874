import Stripe from 'stripe';
import { chargeOutcome } from '../src/resources/payment-methods';
import type { StripeObject } from '../src/store';
import { useStripeEmulator } from './harness';

/** A payment method as the emulator's modules see it (the wire shape, untyped). */
const stored = (method: Stripe.PaymentMethod) => method as unknown as StripeObject;

type Emulator = ReturnType<typeof useStripeEmulator>['emulator'];

/** Types of the events about `id` recorded since `from`, oldest first. */
function eventsAbout(emulator: Emulator, id: string, from = 0): Stripe.Event[] {
  return emulator
    .events()
    .slice(from)
    .filter((event) => (event.data.object as { id?: string }).id === id);
}

describe('Stripe emulator: payment methods', () => {
  const harness = useStripeEmulator();

  it('creates a card from a test token, attaches, updates and detaches it with the events Stripe sends', async () => {
    const { stripe, emulator } = harness;
    const customer = await stripe.customers.create({ email: 'pm-life@example.com' });
    const before = emulator.events().length;
    const card = await stripe.paymentMethods.create({
      type: 'card',
      card: { token: 'tok_mastercard' },
      billing_details: { name: 'Ada Lovelace', email: 'ada@example.com', address: { country: 'GB', postal_code: 'W1' } },
      metadata: { source: 'test' },
    });
    expect(card.id).toMatch(/^pm_[A-Za-z0-9]{24}$/);
    expect(card).toMatchObject({
      object: 'payment_method',
      type: 'card',
      customer: null,
      customer_account: null,
      metadata: { source: 'test' },
      card: { brand: 'mastercard', last4: '4444', funding: 'credit', display_brand: 'mastercard' },
      billing_details: { name: 'Ada Lovelace', email: 'ada@example.com', phone: null, address: { country: 'GB', postal_code: 'W1', city: null, line1: null } },
    });
    expect(emulator.events().length).toBe(before);

    // Stripe only updates saved payment methods.
    await expect(stripe.paymentMethods.update(card.id, { metadata: { a: 'b' } })).rejects.toMatchObject({
      statusCode: 400,
      message: 'You must save this PaymentMethod to a customer before you can update it.',
    });

    const attached = await stripe.paymentMethods.attach(card.id, { customer: customer.id });
    expect(attached.customer).toBe(customer.id);

    const updated = await stripe.paymentMethods.update(card.id, {
      billing_details: { name: 'Ada King' },
      card: { exp_month: 3, exp_year: 2031 },
      metadata: { nickname: 'work' },
    });
    expect(updated).toMatchObject({
      billing_details: { name: 'Ada King', email: 'ada@example.com' },
      card: { exp_month: 3, exp_year: 2031 },
      metadata: { source: 'test', nickname: 'work' },
    });

    const listed = await stripe.paymentMethods.list({ customer: customer.id, type: 'card' });
    expect(listed.data.map((method) => method.id)).toEqual([card.id]);
    expect((await stripe.paymentMethods.list({ customer: customer.id, type: 'amazon_pay' })).data).toEqual([]);
    expect((await stripe.customers.listPaymentMethods(customer.id)).data.map((method) => method.id)).toEqual([card.id]);
    expect((await stripe.customers.retrievePaymentMethod(customer.id, card.id)).id).toBe(card.id);

    await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: card.id } });
    const detached = await stripe.paymentMethods.detach(card.id);
    expect(detached.customer).toBeNull();
    // The default that named the card is cleared with it.
    const after = (await stripe.customers.retrieve(customer.id)) as Stripe.Customer;
    expect(after.invoice_settings.default_payment_method).toBeNull();
    await expect(stripe.customers.retrievePaymentMethod(customer.id, card.id)).rejects.toMatchObject({ statusCode: 404, code: 'resource_missing' });
    await expect(stripe.paymentMethods.detach(card.id)).rejects.toMatchObject({
      statusCode: 400,
      message: 'The payment method you provided is not attached to a customer so detachment is impossible.',
    });

    const types = eventsAbout(emulator, card.id, before).map((event) => event.type);
    expect(types).toEqual(['payment_method.attached', 'payment_method.updated', 'payment_method.detached']);
    const updatedEvent = eventsAbout(emulator, card.id, before)[1]!;
    expect(updatedEvent.data.previous_attributes).toMatchObject({
      metadata: { source: 'test' },
      billing_details: { name: 'Ada Lovelace' },
      card: { exp_month: 12 },
    });
    const customerEvents = eventsAbout(emulator, customer.id, before).map((event) => event.type);
    expect(customerEvents).toEqual(['customer.updated', 'customer.updated']);
  });

  it('makes a fresh payment method each time a test id such as pm_card_visa is attached', async () => {
    const { stripe, emulator } = harness;
    const customer = await stripe.customers.create({ email: 'pm-testid@example.com' });
    const first = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    const second = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    expect(first.id).toMatch(/^pm_[A-Za-z0-9]{24}$/);
    expect(second.id).not.toBe(first.id);
    expect(first).toMatchObject({ customer: customer.id, card: { brand: 'visa', last4: '4242' } });
    expect(first.card!.fingerprint).toBe(second.card!.fingerprint);
    const attachedEvents = emulator
      .events()
      .filter((event) => event.type === 'payment_method.attached' && [first.id, second.id].includes((event.data.object as { id: string }).id));
    expect(attachedEvents).toHaveLength(2);
    await expect(stripe.paymentMethods.retrieve('pm_card_visa')).rejects.toMatchObject({ statusCode: 404, message: "No such PaymentMethod: 'pm_card_visa'" });
    await expect(stripe.paymentMethods.attach('pm_card_nosuchcard', { customer: customer.id })).rejects.toMatchObject({
      statusCode: 404,
      code: 'resource_missing',
    });
  });

  it('refuses to attach a declining card (402) but attaches chargeCustomerFail, which fails only when charged', async () => {
    const { stripe } = harness;
    const customer = await stripe.customers.create({ email: 'pm-decline@example.com' });
    const declined = await stripe.paymentMethods.attach('pm_card_chargeDeclinedInsufficientFunds', { customer: customer.id }).catch((error: unknown) => error);
    expect(declined).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(declined).toMatchObject({
      statusCode: 402,
      code: 'card_declined',
      decline_code: 'insufficient_funds',
      message: 'Your card has insufficient funds.',
    });
    expect((await stripe.customers.listPaymentMethods(customer.id)).data).toHaveLength(0);

    const failsLater = await stripe.paymentMethods.attach('pm_card_chargeCustomerFail', { customer: customer.id });
    expect(failsLater).toMatchObject({ customer: customer.id, card: { last4: '0341' } });
    expect(chargeOutcome(stored(failsLater))).toEqual({
      kind: 'declines',
      decline: { code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' },
    });
  });

  it("tells other resources what charging a test card does, from the card's number", async () => {
    const { stripe } = harness;
    const outcome = async (token: string) => chargeOutcome(stored(await stripe.paymentMethods.create({ type: 'card', card: { token } }))).kind;
    expect(await outcome('tok_visa')).toBe('succeeds');
    expect(await outcome('tok_amex')).toBe('succeeds');
    expect(await outcome('tok_chargeCustomerFail')).toBe('declines');
    expect(await outcome('tok_chargeDeclined')).toBe('declines');
    expect(await outcome('tok_threeDSecure2Required')).toBe('requires_authentication');
    expect(await outcome('tok_authenticationRequired')).toBe('requires_authentication');
    const amazon = await stripe.paymentMethods.create({ type: 'amazon_pay' });
    expect(chargeOutcome(stored(amazon))).toEqual({ kind: 'succeeds' });
  });

  it('creates wallets and bank debits, and answers bad requests as Stripe does', async () => {
    const { stripe } = harness;
    const amazon = await stripe.paymentMethods.create({ type: 'amazon_pay', billing_details: { email: 'buyer@example.com' } });
    expect(amazon).toMatchObject({ type: 'amazon_pay', amazon_pay: {}, billing_details: { email: 'buyer@example.com' } });
    expect(amazon).not.toHaveProperty('card');

    const sepa = await stripe.paymentMethods.create({
      type: 'sepa_debit',
      sepa_debit: { iban: 'AT611904300234573201' },
      billing_details: { name: 'Bob', email: 'bob@example.com' },
    });
    expect(sepa.sepa_debit).toEqual({
      bank_code: '19043',
      branch_code: null,
      country: 'AT',
      fingerprint: expect.any(String),
      generated_from: null,
      last4: '3201',
    });

    const bank = await stripe.paymentMethods.create({
      type: 'us_bank_account',
      us_bank_account: { account_number: '000123456789', routing_number: '110000000', account_holder_type: 'individual' },
    });
    expect(bank.us_bank_account).toMatchObject({ last4: '6789', routing_number: '110000000', account_holder_type: 'individual', account_type: 'checking' });

    await expect(stripe.paymentMethods.create({ card: { token: 'tok_visa' } } as Stripe.PaymentMethodCreateParams)).rejects.toMatchObject({
      code: 'parameter_missing',
      param: 'type',
    });
    await expect(stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_bogus' } })).rejects.toMatchObject({
      statusCode: 400,
      code: 'resource_missing',
      param: 'card[token]',
    });
    await expect(stripe.paymentMethods.create({ type: 'card' })).rejects.toMatchObject({ code: 'parameter_missing', param: 'card' });
    await expect(
      stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_visa' }, bogus: 1 } as Stripe.PaymentMethodCreateParams),
    ).rejects.toMatchObject({
      code: 'parameter_unknown',
      param: 'bogus',
    });
    await expect(stripe.paymentMethods.create({ type: 'sepa_debit', sepa_debit: { iban: 'nope' } })).rejects.toMatchObject({ param: 'sepa_debit[iban]' });
    // Without a customer Stripe lists nothing: unattached payment methods are not listable.
    expect((await stripe.paymentMethods.list()).data).toEqual([]);
  });

  it('copies a payment method given as payment_method, unattached; an attached one needs its customer', async () => {
    const { stripe } = harness;
    const customer = await stripe.customers.create({ email: 'pm-clone@example.com' });
    const original = await stripe.paymentMethods.attach('pm_card_amex', { customer: customer.id });
    await expect(stripe.paymentMethods.create({ payment_method: original.id })).rejects.toMatchObject({ statusCode: 400, param: 'customer' });
    const copy = await stripe.paymentMethods.create({ payment_method: original.id, customer: customer.id });
    expect(copy.id).not.toBe(original.id);
    expect(copy).toMatchObject({ customer: null, card: { brand: 'amex', last4: '0005', fingerprint: original.card!.fingerprint } });
    expect((await stripe.paymentMethods.create({ payment_method: 'pm_card_mastercard' })).card).toMatchObject({ brand: 'mastercard', last4: '4444' });
    await expect(stripe.paymentMethods.create({ customer: customer.id } as Stripe.PaymentMethodCreateParams)).rejects.toMatchObject({
      code: 'parameter_missing',
      param: 'payment_method',
    });
  });

  it('keeps a payment method with its customer: another customer cannot take it', async () => {
    const { stripe } = harness;
    const owner = await stripe.customers.create({ email: 'pm-owner@example.com' });
    const other = await stripe.customers.create({ email: 'pm-other@example.com' });
    const card = await stripe.paymentMethods.attach('pm_card_visa', { customer: owner.id });
    await expect(stripe.paymentMethods.attach(card.id, { customer: other.id })).rejects.toMatchObject({
      statusCode: 400,
      message: 'The payment method you provided has already been attached to a customer.',
    });
    expect((await stripe.paymentMethods.retrieve(card.id)).customer).toBe(owner.id);
  });
});

describe('Stripe emulator: customer payment defaults and sources', () => {
  const harness = useStripeEmulator();

  it('accepts a default payment method attached to the customer and refuses one that is not', async () => {
    const { stripe, emulator } = harness;
    const customer = await stripe.customers.create({ email: 'default-pm@example.com', name: 'Before' });
    const loose = await stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_visa' } });
    const before = emulator.events().length;
    const refused = await stripe.customers
      .update(customer.id, { name: 'After', invoice_settings: { default_payment_method: loose.id } })
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({
      statusCode: 400,
      code: 'resource_missing',
      param: 'invoice_settings[default_payment_method]',
      message: `The customer does not have a payment method with the ID ${loose.id}. The payment method must be attached to the customer.`,
    });
    // A refused update changes nothing.
    expect(((await stripe.customers.retrieve(customer.id)) as Stripe.Customer).name).toBe('Before');
    expect(emulator.events().length).toBe(before);
    await expect(stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: 'pm_missing' } })).rejects.toMatchObject({
      code: 'resource_missing',
      message: "No such PaymentMethod: 'pm_missing'",
    });

    await stripe.paymentMethods.attach(loose.id, { customer: customer.id });
    const updated = await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: loose.id } });
    expect(updated.invoice_settings.default_payment_method).toBe(loose.id);
    const cleared = await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: '' } });
    expect(cleared.invoice_settings.default_payment_method).toBeNull();
  });

  it('creates a customer with payment_method=pm_card_visa as its default, as the CLI fixtures do', async () => {
    const { stripe, emulator } = harness;
    const before = emulator.events().length;
    const customer = await stripe.customers.create({ payment_method: 'pm_card_visa', invoice_settings: { default_payment_method: 'pm_card_visa' } });
    const defaultId = customer.invoice_settings.default_payment_method as string;
    expect(defaultId).toMatch(/^pm_[A-Za-z0-9]{24}$/);
    expect(await stripe.paymentMethods.retrieve(defaultId)).toMatchObject({ customer: customer.id, card: { last4: '4242' } });
    expect(
      emulator
        .events()
        .slice(before)
        .map((event) => event.type),
    ).toEqual(['customer.created', 'payment_method.attached']);

    const someoneElses = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    const countBefore = (await stripe.customers.list({ limit: 100 })).data.length;
    await expect(stripe.customers.create({ invoice_settings: { default_payment_method: someoneElses.id } })).rejects.toMatchObject({
      code: 'resource_missing',
      param: 'invoice_settings[default_payment_method]',
    });
    await expect(stripe.customers.create({ payment_method: 'pm_card_chargeDeclined' })).rejects.toBeInstanceOf(Stripe.errors.StripeCardError);
    expect((await stripe.customers.list({ limit: 100 })).data.length).toBe(countBefore);
  });

  it('saves a card source from source=tok_visa and manages sources with customer.source.* events', async () => {
    const { stripe, emulator } = harness;
    const before = emulator.events().length;
    const customer = await stripe.customers.create({ email: 'sources@example.com', source: 'tok_visa' });
    const firstId = customer.default_source as string;
    expect(firstId).toMatch(/^card_/);
    const first = (await stripe.customers.retrieveSource(customer.id, firstId)) as Stripe.Card;
    expect(first).toMatchObject({ object: 'card', brand: 'Visa', last4: '4242', customer: customer.id, metadata: {}, funding: 'credit', address_zip: null });
    expect(
      emulator
        .events()
        .slice(before)
        .map((event) => event.type),
    ).toEqual(['customer.created', 'customer.source.created']);

    const second = (await stripe.customers.createSource(customer.id, { source: 'tok_amex', metadata: { role: 'backup' } })) as Stripe.Card;
    expect(second).toMatchObject({ brand: 'American Express', last4: '0005', metadata: { role: 'backup' } });
    expect(((await stripe.customers.retrieve(customer.id)) as Stripe.Customer).default_source).toBe(firstId);
    const listed = await stripe.customers.listSources(customer.id, { object: 'card' });
    expect(listed.data.map((source) => source.id)).toEqual([second.id, firstId]);

    const renamed = (await stripe.customers.updateSource(customer.id, second.id, {
      name: 'Ada',
      exp_year: '2032',
      metadata: { role: 'primary' },
    })) as Stripe.Card;
    expect(renamed).toMatchObject({ name: 'Ada', exp_year: 2032, metadata: { role: 'primary' } });
    const sourceUpdated = emulator
      .events()
      .filter((event) => event.type === 'customer.source.updated')
      .pop()!;
    expect(sourceUpdated.data.previous_attributes).toMatchObject({ name: null, metadata: { role: 'backup' } });

    const switched = await stripe.customers.update(customer.id, { default_source: second.id });
    expect(switched.default_source).toBe(second.id);
    await expect(stripe.customers.update(customer.id, { default_source: 'card_unknown' })).rejects.toMatchObject({
      code: 'resource_missing',
      param: 'default_source',
    });

    // `source` on update replaces the default: the new card becomes default and the old default goes.
    const mark = emulator.events().length;
    const replaced = await stripe.customers.update(customer.id, { source: 'tok_mastercard' });
    expect(replaced.default_source).not.toBe(second.id);
    expect(
      emulator
        .events()
        .slice(mark)
        .map((event) => event.type),
    ).toEqual(['customer.source.created', 'customer.source.deleted', 'customer.updated']);
    await expect(stripe.customers.retrieveSource(customer.id, second.id)).rejects.toMatchObject({ statusCode: 404 });

    const deleted = await stripe.customers.deleteSource(customer.id, firstId);
    expect(deleted).toMatchObject({ id: firstId, deleted: true });
    expect((await stripe.customers.listSources(customer.id)).data.map((source) => source.id)).toEqual([replaced.default_source]);
    await expect(stripe.customers.createSource(customer.id, { source: 'tok_nope' })).rejects.toMatchObject({ code: 'resource_missing', param: 'source' });
  });
});
