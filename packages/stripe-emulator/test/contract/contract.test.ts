/**
 * The contract: every object the emulator sends to stripe-node matches stripe-node's own declaration
 * of it for the pinned API version, generated from node_modules/stripe at test time (stripe-schemas.ts).
 * Every non-optional field is present, enums hold declared values, and no field is invented.
 *
 * Each row of CONTRACT names a wire object (its `object` value) and the declaration it must satisfy, and
 * exercises the emulator through unmodified stripe-node until it has answered with such an object.
 * Every response body stripe-node receives is recorded raw (before stripe-node turns decimal strings
 * into Decimal objects) and checked: the body, the objects nested in it, each list element, each
 * event's `data.object` against the type stripe-node declares for that event type, and each event's
 * `previous_attributes` against a Partial of it. Error bodies are checked against Stripe's envelope.
 *
 * Adding a type is adding a row. A row whose endpoint the emulator does not have yet fails, naming it.
 */
import type { ErrorObject } from 'ajv';
import Stripe from 'stripe';
import { EMULATOR_API_VERSION } from '../../src';
import { TEST_SECRET_KEY, useStripeEmulator } from '../harness';
import { type Declaration, type StripeContract, stripeContract } from './stripe-schemas';

/** What a row's exercise can use: the recording stripe-node client and the seeded catalog's price ids. */
interface World {
  stripe: Stripe;
  priceId(lookupKey: string): Promise<string>;
}

interface ContractRow {
  /** The wire object's `object` value; `<object> (deleted)` for a deletion stub; `error` for an error body. */
  key: string;
  /** The stripe-node declaration, a type expression over `Stripe`. */
  type: string;
  /** Drives the emulator (through stripe-node) until it has answered with at least one such object. */
  obtain(world: World): Promise<unknown>;
}

const CARD = { type: 'card' as const, card: { token: 'tok_visa' } };

async function subscribedCustomer({ stripe, priceId }: World, lookupKey = 'stock_photos_monthly') {
  const customer = await stripe.customers.create({
    email: 'contract@example.com',
    payment_method: 'pm_card_visa',
    invoice_settings: { default_payment_method: 'pm_card_visa' },
  });
  const subscription = await stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: await priceId(lookupKey) }],
    expand: ['latest_invoice', 'customer'],
  });
  return { customer, subscription };
}

const CONTRACT: readonly ContractRow[] = [
  {
    key: 'customer',
    type: 'Stripe.Customer',
    async obtain({ stripe }) {
      const customer = await stripe.customers.create({
        email: 'ada@example.com',
        name: 'Ada',
        address: { line1: '1 Main St', city: 'Berlin', country: 'DE', postal_code: '10115' },
        shipping: { name: 'Ada', address: { line1: '1 Main St', country: 'DE' } },
        preferred_locales: ['de'],
        metadata: { app_account_id: 'acct-contract' },
      });
      await stripe.customers.update(customer.id, { name: 'Ada Lovelace', invoice_settings: { footer: 'Thanks' } });
      await stripe.customers.retrieve(customer.id);
    },
  },
  {
    key: 'customer (deleted)',
    type: 'Stripe.DeletedCustomer',
    async obtain({ stripe }) {
      const customer = await stripe.customers.create({ email: 'gone@example.com' });
      await stripe.customers.del(customer.id);
      await stripe.customers.retrieve(customer.id);
    },
  },
  {
    key: 'product',
    type: 'Stripe.Product',
    async obtain({ stripe }) {
      const product = await stripe.products.create({ name: 'Contract Product', metadata: { tier: 'gold' } });
      await stripe.products.retrieve(product.id);
      await stripe.products.list({ limit: 5 });
    },
  },
  {
    key: 'price',
    type: 'Stripe.Price',
    async obtain({ stripe }) {
      await stripe.prices.create({ product_data: { name: 'Contract Add-on' }, unit_amount: 700, currency: 'usd', recurring: { interval: 'month' } });
      await stripe.prices.list({ limit: 5, expand: ['data.product'] });
    },
  },
  {
    key: 'subscription',
    type: 'Stripe.Subscription',
    async obtain(world) {
      const { subscription } = await subscribedCustomer(world);
      await world.stripe.subscriptions.update(subscription.id, { cancel_at_period_end: true, metadata: { note: 'leaving' } });
      await world.stripe.subscriptions.list({ limit: 3 });
    },
  },
  {
    key: 'subscription_item',
    type: 'Stripe.SubscriptionItem',
    async obtain(world) {
      const { subscription } = await subscribedCustomer(world, 'stock_photos_yearly');
      await world.stripe.subscriptions.retrieve(subscription.id, { expand: ['items.data.price.product'] });
    },
  },
  {
    key: 'invoice',
    type: 'Stripe.Invoice',
    async obtain(world) {
      const { customer } = await subscribedCustomer(world);
      const invoices = await world.stripe.invoices.list({ customer: customer.id });
      await world.stripe.invoices.retrieve(invoices.data[0]!.id);
    },
  },
  {
    key: 'payment_method',
    type: 'Stripe.PaymentMethod',
    async obtain({ stripe }) {
      const customer = await stripe.customers.create({ email: 'pm@example.com' });
      const method = await stripe.paymentMethods.create(CARD);
      await stripe.paymentMethods.attach(method.id, { customer: customer.id });
      await stripe.customers.listPaymentMethods(customer.id);
    },
  },
  {
    key: 'setup_intent',
    type: 'Stripe.SetupIntent',
    async obtain({ stripe }) {
      const customer = await stripe.customers.create({ email: 'seti@example.com' });
      const intent = await stripe.setupIntents.create({ customer: customer.id, usage: 'off_session' });
      await stripe.setupIntents.confirm(intent.id, { payment_method: 'pm_card_visa' });
    },
  },
  {
    key: 'payment_intent',
    type: 'Stripe.PaymentIntent',
    obtain: ({ stripe }) => stripe.paymentIntents.create({ amount: 1200, currency: 'usd', payment_method: 'pm_card_visa', confirm: true }),
  },
  {
    key: 'charge',
    type: 'Stripe.Charge',
    obtain: ({ stripe }) =>
      stripe.paymentIntents.create({ amount: 900, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, expand: ['latest_charge'] }),
  },
  {
    key: 'checkout.session',
    type: 'Stripe.Checkout.Session',
    async obtain({ stripe, priceId }) {
      const session = await stripe.checkout.sessions.create({
        mode: 'subscription',
        line_items: [{ price: await priceId('stock_photos_monthly'), quantity: 1 }],
        success_url: 'https://app.example.com/done',
        cancel_url: 'https://app.example.com/cancel',
      });
      await stripe.checkout.sessions.retrieve(session.id);
    },
  },
  {
    key: 'billing_portal.configuration',
    type: 'Stripe.BillingPortal.Configuration',
    async obtain({ stripe }) {
      await stripe.billingPortal.configurations.create({
        business_profile: { headline: 'Contract' },
        features: { invoice_history: { enabled: true }, subscription_cancel: { enabled: true, mode: 'at_period_end' } },
      });
      await stripe.billingPortal.configurations.list({ limit: 3 });
    },
  },
  {
    key: 'billing_portal.session',
    type: 'Stripe.BillingPortal.Session',
    async obtain({ stripe }) {
      const customer = await stripe.customers.create({ email: 'portal@example.com' });
      await stripe.billingPortal.sessions.create({ customer: customer.id, return_url: 'https://app.example.com/account' });
    },
  },
  {
    key: 'entitlements.active_entitlement',
    type: 'Stripe.Entitlements.ActiveEntitlement',
    async obtain(world) {
      const customer = await entitledCustomer(world, 'contract_exports');
      await world.stripe.entitlements.activeEntitlements.list({ customer });
    },
  },
  {
    key: 'entitlements.active_entitlement_summary',
    type: 'Stripe.Entitlements.ActiveEntitlementSummary',
    async obtain(world) {
      await entitledCustomer(world, 'contract_reports');
      // Stripe has no endpoint for summaries: they only travel in this event.
      await world.stripe.events.list({ type: 'entitlements.active_entitlement_summary.updated', limit: 1 });
    },
  },
  {
    key: 'entitlements.feature',
    type: 'Stripe.Entitlements.Feature',
    async obtain({ stripe }) {
      await stripe.entitlements.features.create({ name: 'Contract export', lookup_key: 'contract_feature' });
      await stripe.entitlements.features.list({ limit: 3 });
    },
  },
  {
    key: 'product_feature',
    type: 'Stripe.ProductFeature',
    async obtain({ stripe }) {
      const feature = await stripe.entitlements.features.create({ name: 'Contract listing', lookup_key: 'contract_listing' });
      const product = await stripe.products.create({ name: 'Contract featured product' });
      await stripe.products.createFeature(product.id, { entitlement_feature: feature.id });
      await stripe.products.listFeatures(product.id);
    },
  },
  {
    key: 'coupon',
    type: 'Stripe.Coupon',
    obtain: ({ stripe }) => stripe.coupons.create({ percent_off: 20, duration: 'once', name: 'Contract' }),
  },
  {
    key: 'promotion_code',
    type: 'Stripe.PromotionCode',
    async obtain({ stripe }) {
      const coupon = await stripe.coupons.create({ amount_off: 500, currency: 'usd', duration: 'forever' });
      await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id }, code: 'CONTRACT5' });
    },
  },
  {
    key: 'discount',
    type: 'Stripe.Discount',
    async obtain(world) {
      const coupon = await world.stripe.coupons.create({ percent_off: 10, duration: 'forever' });
      const { customer } = await subscribedCustomer(world);
      await world.stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: await world.priceId('stock_photos_pro_monthly') }],
        discounts: [{ coupon: coupon.id }],
        expand: ['discounts'],
      });
    },
  },
  {
    key: 'invoiceitem',
    type: 'Stripe.InvoiceItem',
    async obtain({ stripe }) {
      const customer = await stripe.customers.create({ email: 'item@example.com' });
      await stripe.invoiceItems.create({ customer: customer.id, amount: 300, currency: 'usd', description: 'Setup fee' });
    },
  },
  {
    key: 'plan',
    type: 'Stripe.Plan',
    obtain: ({ stripe }) => stripe.plans.create({ amount: 900, currency: 'usd', interval: 'month', product: { name: 'Contract Plan' } }),
  },
  {
    key: 'subscription_schedule',
    type: 'Stripe.SubscriptionSchedule',
    async obtain(world) {
      const { subscription } = await subscribedCustomer(world);
      await world.stripe.subscriptionSchedules.create({ from_subscription: subscription.id });
    },
  },
  {
    key: 'card',
    type: 'Stripe.Card',
    async obtain({ stripe }) {
      const customer = await stripe.customers.create({ email: 'source@example.com' });
      await stripe.customers.createSource(customer.id, { source: 'tok_visa' });
    },
  },
  // Envelopes after the objects, so that they see the lists nested in them too.
  {
    key: 'list',
    type: 'Stripe.ApiList<{ [key: string]: unknown }>',
    obtain: ({ stripe }) => stripe.customers.list({ limit: 3 }),
  },
  {
    key: 'search_result',
    type: 'Stripe.ApiSearchResult<{ [key: string]: unknown }>',
    obtain: ({ stripe }) => stripe.customers.search({ query: "metadata['app_account_id']:'acct-contract'" }),
  },
  {
    key: 'error',
    // StripeRawError also carries what stripe-node adds on its side (headers, statusCode, …). Its `code`
    // is a plain string; Stripe's list of API error codes is the type of an API error object's code.
    type: "{ error: Omit<Stripe.StripeRawError, 'headers' | 'statusCode' | 'requestId' | 'detail' | 'exception' | 'code'> & { code?: Stripe.Invoice.LastFinalizationError.Code } }",
    async obtain({ stripe }) {
      const refusals = [
        stripe.customers.retrieve('cus_doesnotexist'),
        stripe.customers.create({ colour: 'red' } as Stripe.CustomerCreateParams),
        stripe.paymentIntents.create({ amount: 500, currency: 'usd', payment_method: 'pm_card_chargeDeclined', confirm: true }),
      ];
      for (const refusal of refusals) await refusal.catch(() => undefined);
    },
  },
  // Last: every event the rows above caused, each data.object checked against its event type's declaration.
  {
    key: 'event',
    type: "Omit<Stripe.EventBase, 'data'> & { data: { object: { [key: string]: unknown }; previous_attributes?: { [key: string]: unknown } } }",
    obtain: ({ stripe }) => stripe.events.list({ limit: 100 }).autoPagingToArray({ limit: 10_000 }),
  },
];

/** A customer subscribed to a product that grants the feature `lookupKey`. */
async function entitledCustomer({ stripe }: World, lookupKey: string): Promise<string> {
  const feature = await stripe.entitlements.features.create({ name: lookupKey, lookup_key: lookupKey });
  const product = await stripe.products.create({ name: `Product with ${lookupKey}` });
  await stripe.products.createFeature(product.id, { entitlement_feature: feature.id });
  const price = await stripe.prices.create({ product: product.id, unit_amount: 1000, currency: 'usd', recurring: { interval: 'month' } });
  const customer = await stripe.customers.create({
    email: `${lookupKey}@example.com`,
    payment_method: 'pm_card_visa',
    invoice_settings: { default_payment_method: 'pm_card_visa' },
  });
  await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
  return customer.id;
}

// ---- recording what stripe-node receives ----

interface Recorded {
  request: string;
  status: number;
  body: unknown;
}

/** stripe-node's own HTTP client, keeping a copy of each JSON body before stripe-node reads it. */
function recordingHttpClient(recorded: Recorded[]): Stripe.HttpClient {
  const inner = Stripe.createNodeHttpClient();
  return {
    getClientName: () => inner.getClientName(),
    async makeRequest(host, port, path, method, headers, requestData, protocol, timeout) {
      const response = await inner.makeRequest(host, port, path, method, headers, requestData, protocol, timeout);
      return {
        getStatusCode: () => response.getStatusCode(),
        getHeaders: () => response.getHeaders(),
        getRawResponse: () => response.getRawResponse(),
        toStream: (done) => response.toStream(done),
        dispose: () => response.dispose?.(),
        async toJSON() {
          const body: unknown = await response.toJSON();
          recorded.push({ request: `${method} ${path.split('?')[0]}`, status: response.getStatusCode(), body: structuredClone(body) });
          return body;
        },
      };
    },
  };
}

// ---- checking ----

/** A schema definition name for a row key (`customer (deleted)` -> `customer__deleted_`). */
function definitionName(key: string): string {
  return key.replace(/[^A-Za-z0-9]/g, '_');
}
const previousName = (key: string) => `${definitionName(key)}__previous`;

/** Object rows also get `Partial<type>`, the declared type of `previous_attributes` in their events. */
function declarations(rows: readonly ContractRow[]): Declaration[] {
  return rows.flatMap(({ key, type }) => {
    const own = { name: definitionName(key), type };
    return ['list', 'search_result', 'event', 'error'].includes(key) ? [own] : [own, { name: previousName(key), type: `Partial<${type}>` }];
  });
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Which row a wire object belongs to, or undefined when it has no `object` field. */
function keyOf(value: Json): string | undefined {
  if (typeof value.object !== 'string') return undefined;
  return value.deleted === true ? `${value.object} (deleted)` : value.object;
}

/** A mismatch: the row it concerns, where it was seen, and what is wrong (a problem repeats across events and lists). */
interface Failure {
  key: string;
  where: string;
  problem: string;
}

class ContractChecker {
  readonly failures: Failure[] = [];
  readonly checkedKeys = new Set<string>();
  objectsChecked = 0;
  private readonly rowKeys: Set<string>;

  constructor(
    private readonly contract: StripeContract,
    rows: readonly ContractRow[],
  ) {
    this.rowKeys = new Set(rows.map((row) => row.key));
  }

  /** Checks one response body and everything in it; returns the failures it found (also kept in `failures`). */
  checkResponse({ request, status, body }: Recorded): Failure[] {
    const before = this.failures.length;
    if (!isObject(body)) this.fail('(body)', request, 'the body is not a JSON object');
    else if (status >= 400) this.validate('error', body, `${request} (${status})`);
    else this.walk(body, `${request} ->`, true);
    return this.failures.slice(before);
  }

  /**
   * Validates every object that carries `object` and has a row. One that has none fails only where
   * it stands alone (a body, a list element, an event's object): nested ones are covered by their
   * parent's declaration.
   */
  private walk(value: unknown, where: string, standalone: boolean): void {
    if (Array.isArray(value)) {
      for (const [index, element] of value.entries()) this.walk(element, `${where}[${index}]`, standalone);
      return;
    }
    if (!isObject(value)) return;
    const key = keyOf(value);
    if (key && this.rowKeys.has(key)) this.validate(key, value, where);
    else if (key && standalone) this.fail(key, where, `no contract row for object '${key}' (add one to CONTRACT)`);
    if (key === 'event') this.checkEvent(value, where);
    const elementsStandalone = standalone && (key === 'list' || key === 'search_result');
    for (const [field, child] of Object.entries(value)) {
      if (key === 'event' && field === 'data') continue;
      this.walk(child, `${where}.${field}`, field === 'data' && elementsStandalone);
    }
  }

  /** An event's object must be what stripe-node declares for its type; previous_attributes a part of it. */
  private checkEvent(event: Json, where: string): void {
    const type = String(event.type);
    const data = isObject(event.data) ? event.data : {};
    const at = `${where} ${type}`;
    if (!isObject(data.object)) {
      this.fail('event', at, `${type}: data.object is not an object`);
      return;
    }
    const objectKey = keyOf(data.object) ?? '(no object field)';
    const problem = this.declarationProblem(type, objectKey);
    if (problem) {
      this.fail('event', at, problem);
      return;
    }
    this.walk(data.object, `${at} data.object`, true);
    if (data.previous_attributes !== undefined) this.validate(objectKey, data.previous_attributes, `${at} data.previous_attributes`, previousName(objectKey));
  }

  /** Why an event of `type` may not carry an object of `objectKey`, if it may not. */
  private declarationProblem(type: string, objectKey: string): string | undefined {
    const declared = this.contract.eventObjects[type];
    if (!declared) return `stripe-node declares no event type '${type}'`;
    const allowed = [...this.rowKeys].filter((key) => declared.requested.includes(definitionName(key)));
    if (allowed.length === 0) return `${type}: data.object is declared as Stripe.${declared.declared}, which has no contract row`;
    if (!allowed.includes(objectKey))
      return `${type}: data.object is a '${objectKey}', stripe-node declares Stripe.${declared.declared} (${allowed.join(' | ')})`;
    return undefined;
  }

  private validate(key: string, value: unknown, where: string, definition = definitionName(key)): void {
    this.objectsChecked += 1;
    this.checkedKeys.add(key);
    const id = isObject(value) && typeof value.id === 'string' ? ` ${value.id}` : '';
    const validator = this.contract.validators[definition];
    if (!validator) throw new Error(`no generated schema for ${definition}`);
    if (validator(value)) return;
    const what = definition === previousName(key) ? `previous_attributes of a ${key}` : key;
    this.fail(key, `${where}${id}`, `${what} does not match its declaration: ${describeErrors(validator.errors ?? [])}`);
  }

  private fail(key: string, where: string, problem: string): void {
    this.failures.push({ key, where, problem });
  }
}

/**
 * The errors that say what is wrong. A field typed `A | B | null` fails each alternative; a complaint
 * about its type or constant is dropped when another alternative got further (an error at the same
 * place or deeper), so `X must be null` does not hide `X/y is required`.
 */
function describeErrors(errors: ErrorObject[]): string {
  const shallow = (error: ErrorObject) =>
    ['type', 'const', 'anyOf'].includes(error.keyword) &&
    errors.some(
      (other) =>
        other !== error &&
        !['type', 'const', 'anyOf'].includes(other.keyword) &&
        (other.instancePath === error.instancePath || other.instancePath.startsWith(`${error.instancePath}/`)),
    );
  const kept = errors.filter((error) => error.keyword !== 'anyOf' && !shallow(error));
  const lines = new Set(
    (kept.length > 0 ? kept : errors).map((error) => {
      const extra = error.keyword === 'additionalProperties' ? ` '${String(error.params.additionalProperty)}' (invented field)` : '';
      const allowed =
        error.keyword === 'const' || error.keyword === 'enum' ? ` ${JSON.stringify(error.params.allowedValue ?? error.params.allowedValues)}` : '';
      return `${error.instancePath || '/'} ${error.message}${extra}${allowed}`;
    }),
  );
  return [...lines].slice(0, 12).join('; ');
}

/** One line per distinct problem, with how often and where it was first seen. */
function report(failures: Failure[]): string[] {
  const byProblem = new Map<string, Failure[]>();
  for (const failure of failures) byProblem.set(failure.problem, [...(byProblem.get(failure.problem) ?? []), failure]);
  return [...byProblem].map(([problem, seen]) => `${problem} [${seen.length}x, first at ${seen[0]!.where}]`);
}

// ---- the test ----

describe('Stripe emulator: contract with stripe-node declarations', () => {
  const harness = useStripeEmulator();
  const recorded: Recorded[] = [];
  let contract: StripeContract;
  let checker: ContractChecker;
  let world: World;

  beforeAll(() => {
    const started = Date.now();
    contract = stripeContract(declarations(CONTRACT));
    checker = new ContractChecker(contract, CONTRACT);
    console.log(`contract: schemas and validators ready in ${Date.now() - started} ms`);
    const url = new URL(harness.emulator.url);
    const stripe = new Stripe(TEST_SECRET_KEY, {
      apiVersion: EMULATOR_API_VERSION as Stripe.LatestApiVersion,
      host: url.hostname,
      port: Number(url.port),
      protocol: 'http',
      maxNetworkRetries: 0,
      telemetry: false,
      httpClient: recordingHttpClient(recorded),
    });
    world = {
      stripe,
      async priceId(lookupKey) {
        const [price] = (await stripe.prices.list({ lookup_keys: [lookupKey] })).data;
        if (!price) throw new Error(`the seeded catalog has no price ${lookupKey}`);
        return price.id;
      },
    };
  }, 180_000);

  afterAll(() => {
    if (!checker) return;
    console.log(`contract: ${CONTRACT.length} object types, ${checker.objectsChecked} objects checked, ${checker.failures.length} failures`);
  });

  it('catches invented fields, missing fields, wrong types and objects without a row', async () => {
    const probe = new ContractChecker(contract, CONTRACT);
    const from = recorded.length;
    await world.stripe.products.create({ name: 'Probe' });
    const product = recorded[from]!.body as Json;
    const problems = (body: unknown) =>
      probe
        .checkResponse({ request: 'GET /v1/probe', status: 200, body })
        .map((failure) => failure.problem)
        .join('\n');
    expect(problems(product)).toBe('');
    expect(problems({ ...product, colour: 'red' })).toContain("/ must NOT have additional properties 'colour' (invented field)");
    const { name: _name, ...nameless } = product;
    expect(problems(nameless)).toContain("/ must have required property 'name'");
    expect(problems({ ...product, metadata: { n: 1 } })).toContain('/metadata/n must be string');
    expect(problems({ ...product, description: 7 })).toContain('/description must be string');
    expect(problems({ ...product, type: 'widget' })).toContain('/type must be equal to one of the allowed values ["good","service"]');
    expect(problems({ object: 'list', data: [{ ...product, active: 'yes' }], has_more: false, url: '/v1/products' })).toContain('/active must be boolean');
    expect(problems({ object: 'widget', id: 'w' })).toContain("no contract row for object 'widget'");
  });

  // A row fails for its own objects, wherever they were seen so far; the last test fails for any.
  it.each(CONTRACT.map((row) => [row.key, row] as const))('%s matches its stripe-node declaration', async (_key, row) => {
    const from = recorded.length;
    await row.obtain(world).catch((error: unknown) => {
      if (error instanceof Stripe.errors.StripeError && error.message.startsWith('Unrecognized request URL')) {
        throw new Error(`'${row.key}': the emulator has no endpoint for ${/\((\w+: [^)]+)\)/.exec(error.message)?.[1] ?? error.message} yet`);
      }
      throw error;
    });
    for (const response of recorded.slice(from)) checker.checkResponse(response);
    expect(report(checker.failures.filter((failure) => failure.key === row.key))).toEqual([]);
    expect({ key: row.key, obtained: checker.checkedKeys.has(row.key) }).toEqual({ key: row.key, obtained: true });
  });

  it('every response the emulator gave matches its declaration', () => {
    expect(report(checker.failures)).toEqual([]);
  });
});
