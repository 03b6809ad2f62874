/**
 * Refusals across endpoints, as Stripe answers them: a 400 `invalid_request_error` naming the
 * parameter, with Stripe's code where Stripe sends one:
 * - an undeclared parameter, also nested (`items[0][colour]`): `parameter_unknown`;
 * - a value outside an enum: no code, "Invalid <param>: must be one of a, b, or c";
 * - a non-integer where an integer is expected: `parameter_invalid_integer`, "Invalid integer: <value>";
 * - a non-boolean: no code, "Invalid boolean: <value>";
 * - a hash where a string is expected, or a string where a hash or an array is expected: no code.
 * Values of the wrong type are sent through stripe-node as it encodes them (its types are bypassed).
 */
import Stripe from 'stripe';
import { useStripeEmulator } from './harness';

interface Refusal {
  /** What is sent, and to which endpoint. */
  name: string;
  send(stripe: Stripe, ids: Ids): Promise<unknown>;
  param: string;
  /** Stripe's error code, or undefined where Stripe sends none. */
  code: string | undefined;
  message?: RegExp;
}

interface Ids {
  customer: string;
  subscription: string;
  item: string;
  price: string;
}

/** Bypasses stripe-node's parameter types, to send what a mistyped integration would send. */
const loose = <T>(value: unknown) => value as T;

const UNKNOWN = 'parameter_unknown';
const INTEGER = 'parameter_invalid_integer';

const REFUSALS: readonly Refusal[] = [
  // unknown parameters, top level and nested, in bodies and query strings
  {
    name: 'POST /v1/customers colour',
    send: (s) => s.customers.create(loose({ colour: 'red' })),
    param: 'colour',
    code: UNKNOWN,
    message: /^Received unknown parameter: colour$/,
  },
  {
    name: 'POST /v1/customers address[colour]',
    send: (s) => s.customers.create(loose({ address: { line1: 'x', colour: 'red' } })),
    param: 'address[colour]',
    code: UNKNOWN,
  },
  { name: 'GET /v1/customers colour', send: (s) => s.customers.list(loose({ colour: 'red' })), param: 'colour', code: UNKNOWN },
  { name: 'GET /v1/customers/:id colour', send: (s, ids) => s.customers.retrieve(ids.customer, loose({ colour: 'red' })), param: 'colour', code: UNKNOWN },
  {
    name: 'POST /v1/subscriptions items[0][colour]',
    send: (s, ids) => s.subscriptions.create(loose({ customer: ids.customer, items: [{ price: ids.price, colour: 'red' }] })),
    param: 'items[0][colour]',
    code: UNKNOWN,
    message: /^Received unknown parameter: items\[0\]\[colour\]$/,
  },
  {
    name: 'POST /v1/subscriptions/:id items[0][colour]',
    send: (s, ids) => s.subscriptions.update(ids.subscription, loose({ items: [{ id: ids.item, colour: 'red' }] })),
    param: 'items[0][colour]',
    code: UNKNOWN,
  },
  {
    name: 'POST /v1/prices recurring[colour]',
    send: (s) => s.prices.create(loose({ currency: 'usd', unit_amount: 100, product_data: { name: 'X' }, recurring: { interval: 'month', colour: 'red' } })),
    param: 'recurring[colour]',
    code: UNKNOWN,
  },
  { name: 'POST /v1/products colour', send: (s) => s.products.create(loose({ name: 'X', colour: 'red' })), param: 'colour', code: UNKNOWN },
  { name: 'GET /v1/events colour', send: (s) => s.events.list(loose({ colour: 'red' })), param: 'colour', code: UNKNOWN },
  { name: 'GET /v1/invoices colour', send: (s) => s.invoices.list(loose({ colour: 'red' })), param: 'colour', code: UNKNOWN },
  {
    name: 'POST /v1/payment_methods card[colour]',
    send: (s) => s.paymentMethods.create(loose({ type: 'card', card: { token: 'tok_visa', colour: 'red' } })),
    param: 'card[colour]',
    code: UNKNOWN,
  },
  {
    name: 'POST /v1/setup_intents colour',
    send: (s, ids) => s.setupIntents.create(loose({ customer: ids.customer, colour: 'red' })),
    param: 'colour',
    code: UNKNOWN,
  },
  {
    name: 'POST /v1/checkout/sessions line_items[0][colour]',
    send: (s, ids) =>
      s.checkout.sessions.create(
        loose({ mode: 'subscription', success_url: 'https://app.example.com/ok', line_items: [{ price: ids.price, quantity: 1, colour: 'red' }] }),
      ),
    param: 'line_items[0][colour]',
    code: UNKNOWN,
  },
  {
    name: 'POST /v1/billing_portal/sessions flow_data[colour]',
    send: (s, ids) => s.billingPortal.sessions.create(loose({ customer: ids.customer, flow_data: { type: 'payment_method_update', colour: 'red' } })),
    param: 'flow_data[colour]',
    code: UNKNOWN,
  },
  {
    name: 'POST /v1/billing_portal/configurations features[invoice_history][colour]',
    send: (s) => s.billingPortal.configurations.create(loose({ features: { invoice_history: { enabled: true, colour: 'red' } } })),
    param: 'features[invoice_history][colour]',
    code: UNKNOWN,
  },

  // values outside an enum
  {
    name: 'POST /v1/customers tax_exempt',
    send: (s) => s.customers.create(loose({ tax_exempt: 'sometimes' })),
    param: 'tax_exempt',
    code: undefined,
    message: /^Invalid tax_exempt: must be one of exempt, none, or reverse$/,
  },
  {
    name: 'POST /v1/subscriptions collection_method',
    send: (s, ids) => s.subscriptions.create(loose({ customer: ids.customer, items: [{ price: ids.price }], collection_method: 'by_pigeon' })),
    param: 'collection_method',
    code: undefined,
    message: /^Invalid collection_method: must be one of charge_automatically or send_invoice$/,
  },
  {
    name: 'POST /v1/subscriptions/:id proration_behavior',
    send: (s, ids) => s.subscriptions.update(ids.subscription, loose({ proration_behavior: 'sometimes' })),
    param: 'proration_behavior',
    code: undefined,
    message: /^Invalid proration_behavior: must be one of /,
  },
  {
    name: 'POST /v1/prices recurring[interval]',
    send: (s) => s.prices.create(loose({ currency: 'usd', unit_amount: 100, product_data: { name: 'X' }, recurring: { interval: 'fortnight' } })),
    param: 'recurring[interval]',
    code: undefined,
    message: /^Invalid recurring\[interval\]: must be one of day, week, month, or year$/,
  },
  { name: 'GET /v1/prices type', send: (s) => s.prices.list(loose({ type: 'sometimes' })), param: 'type', code: undefined },
  {
    name: 'POST /v1/setup_intents usage',
    send: (s, ids) => s.setupIntents.create(loose({ customer: ids.customer, usage: 'forever' })),
    param: 'usage',
    code: undefined,
  },
  {
    name: 'POST /v1/checkout/sessions mode',
    send: (s, ids) =>
      s.checkout.sessions.create(loose({ mode: 'rental', success_url: 'https://app.example.com/ok', line_items: [{ price: ids.price, quantity: 1 }] })),
    param: 'mode',
    code: undefined,
  },
  {
    name: 'POST /v1/billing_portal/sessions locale',
    send: (s, ids) => s.billingPortal.sessions.create(loose({ customer: ids.customer, locale: 'klingon' })),
    param: 'locale',
    code: undefined,
  },
  {
    name: 'POST /v1/billing_portal/sessions flow_data[type]',
    send: (s, ids) => s.billingPortal.sessions.create(loose({ customer: ids.customer, flow_data: { type: 'teleport' } })),
    param: 'flow_data[type]',
    code: undefined,
  },
  {
    name: 'POST /v1/billing_portal/configurations features[subscription_cancel][mode]',
    send: (s) => s.billingPortal.configurations.create(loose({ features: { subscription_cancel: { enabled: true, mode: 'eventually' } } })),
    param: 'features[subscription_cancel][mode]',
    code: undefined,
  },

  // values of the wrong type
  {
    name: 'POST /v1/prices unit_amount as a word',
    send: (s) => s.prices.create(loose({ currency: 'usd', unit_amount: 'ten', product_data: { name: 'X' } })),
    param: 'unit_amount',
    code: INTEGER,
    message: /^Invalid integer: ten$/,
  },
  {
    name: 'GET /v1/customers limit as a word',
    send: (s) => s.customers.list(loose({ limit: 'ten' })),
    param: 'limit',
    code: INTEGER,
    message: /^Invalid integer: ten$/,
  },
  {
    name: 'POST /v1/subscriptions items[0][quantity] as a word',
    send: (s, ids) => s.subscriptions.create(loose({ customer: ids.customer, items: [{ price: ids.price, quantity: 'two' }] })),
    param: 'items[0][quantity]',
    code: INTEGER,
  },
  {
    name: 'POST /v1/subscriptions/:id cancel_at_period_end as a word',
    send: (s, ids) => s.subscriptions.update(ids.subscription, loose({ cancel_at_period_end: 'maybe' })),
    param: 'cancel_at_period_end',
    code: undefined,
    message: /^Invalid boolean: maybe$/,
  },
  {
    name: 'GET /v1/products active as a word',
    send: (s) => s.products.list(loose({ active: 'maybe' })),
    param: 'active',
    code: undefined,
    message: /^Invalid boolean: maybe$/,
  },
  {
    name: 'POST /v1/customers email as a hash',
    send: (s) => s.customers.create(loose({ email: { address: 'a@example.com' } })),
    param: 'email',
    code: undefined,
  },
  { name: 'POST /v1/customers name as a list', send: (s) => s.customers.create(loose({ name: ['Ada', 'Lovelace'] })), param: 'name', code: undefined },
  { name: 'POST /v1/customers metadata as a string', send: (s) => s.customers.create(loose({ metadata: 'plan=pro' })), param: 'metadata', code: undefined },
  {
    name: 'POST /v1/customers metadata[plan] as a hash',
    send: (s) => s.customers.create(loose({ metadata: { plan: { tier: 'pro' } } })),
    param: 'metadata[plan]',
    code: undefined,
  },
  {
    name: 'POST /v1/subscriptions items as a string',
    send: (s, ids) => s.subscriptions.create(loose({ customer: ids.customer, items: ids.price })),
    param: 'items',
    code: undefined,
  },
  {
    name: 'POST /v1/billing_portal/sessions flow_data as a string',
    send: (s, ids) => s.billingPortal.sessions.create(loose({ customer: ids.customer, flow_data: 'payment_method_update' })),
    param: 'flow_data',
    code: undefined,
  },
];

describe('Stripe emulator: refusals', () => {
  const harness = useStripeEmulator();
  const ids = {} as Ids;

  beforeAll(async () => {
    const { stripe } = harness;
    const [price] = (await stripe.prices.list({ lookup_keys: ['stock_photos_monthly'] })).data;
    const customer = await stripe.customers.create({
      email: 'refusals@example.com',
      payment_method: 'pm_card_visa',
      invoice_settings: { default_payment_method: 'pm_card_visa' },
    });
    const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price!.id }] });
    Object.assign(ids, { customer: customer.id, subscription: subscription.id, item: subscription.items.data[0]!.id, price: price!.id });
    // The first portal session creates the default portal configuration, which exists beforehand in Stripe.
    await stripe.billingPortal.sessions.create({ customer: customer.id });
  });

  it.each(REFUSALS.map((refusal) => [refusal.name, refusal] as const))('%s is refused', async (_name, refusal) => {
    const eventsBefore = harness.emulator.events().length;
    const error = await refusal.send(harness.stripe, ids).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    const { statusCode, code, param, message, rawType } = error as Stripe.errors.StripeInvalidRequestError;
    expect({ statusCode, rawType, param, code }).toEqual({ statusCode: 400, rawType: 'invalid_request_error', param: refusal.param, code: refusal.code });
    if (refusal.message) expect(message).toMatch(refusal.message);
    // A refused request changes nothing.
    expect(harness.emulator.events().length).toBe(eventsBefore);
  });
});
