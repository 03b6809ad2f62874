/** Customers: create, retrieve, update, delete, list (email filter) and search (Stripe's query language, the common subset). */

import type { EmulatorContext, RequestMeta, ResourceModule } from '../context';
import { invalidParameter, type StripeApiError } from '../errors';
import { requireObject } from '../lookup';
import { ADDRESS, checkParams, expandPaths, mergeMetadata, optionalEnum, optionalString, type ParamSpec, type Params, required } from '../params';
import { newId, type StripeObject } from '../store';
import { emitIfChanged, expand, matchesCreated, newestFirst, paginate, searchPage } from '../wire';
import { assertRedeemable, attachCustomerDiscount, customerDiscountSource, setCustomerDiscount } from './coupons';
import { replaceDefaultSource, requireCustomerSource, saveCardSource, sourceTokenNumber } from './customer-sources';
import { assertAttachable, attachPaymentMethod, notAttachedError, requireAttachedPaymentMethod, resolvePaymentMethod } from './payment-methods';
import { cancelSubscription } from './subscriptions';

const WRITABLE: Record<string, ParamSpec> = {
  address: ADDRESS,
  description: 'value',
  email: 'value',
  invoice_settings: { custom_fields: [{ name: 'value', value: 'value' }], default_payment_method: 'value', footer: 'value', rendering_options: 'map' },
  metadata: 'map',
  name: 'value',
  phone: 'value',
  // Older API versions (the CLI's fixtures) set the customer's discount from a coupon or promotion code.
  coupon: 'value',
  promotion_code: 'value',
  preferred_locales: ['value'],
  shipping: { address: ADDRESS, name: 'value', phone: 'value' },
  tax_exempt: 'value',
};

const TAX_EXEMPT = ['exempt', 'none', 'reverse'] as const;

const LIST: Record<string, ParamSpec> = {
  email: 'value',
  created: 'map',
  limit: 'value',
  starting_after: 'value',
  ending_before: 'value',
  test_clock: 'value',
};

export function updateCustomer(context: EmulatorContext, customer: StripeObject, params: Params, meta: RequestMeta): StripeObject {
  // Payment references are checked first, so a refused request leaves the customer as it was.
  const requestedDefault = params.invoice_settings?.default_payment_method;
  const defaultPaymentMethod = requestedDefault
    ? requireAttachedPaymentMethod(context, customer.id, String(requestedDefault), 'invoice_settings[default_payment_method]')
    : null;
  const sourceNumber = params.source ? sourceTokenNumber(params.source) : undefined;
  const defaultSource = optionalString(params.default_source, 'default_source');
  if (defaultSource) requireCustomerSource(context, customer, defaultSource, 'default_source');
  const discountSource = customerDiscountSource(params);
  if (discountSource) assertRedeemable(context, discountSource);
  optionalEnum(params.tax_exempt, 'tax_exempt', TAX_EXEMPT);
  const shipping = params.shipping ? shippingOf(params.shipping) : params.shipping;
  const before = structuredClone(customer);
  if (discountSource !== undefined) setCustomerDiscount(context, customer, discountSource, meta);
  for (const field of ['description', 'email', 'name', 'phone', 'tax_exempt'] as const) {
    if (params[field] !== undefined) customer[field] = params[field] === '' ? null : String(params[field]);
  }
  if (params.address !== undefined) customer.address = params.address === '' ? null : { ...emptyAddress(), ...params.address };
  if (shipping !== undefined) customer.shipping = shipping || null;
  if (params.preferred_locales !== undefined) customer.preferred_locales = params.preferred_locales === '' ? [] : Object.values(params.preferred_locales);
  if (requestedDefault !== undefined) customer.invoice_settings.default_payment_method = defaultPaymentMethod;
  if (sourceNumber) replaceDefaultSource(context, customer, sourceNumber, meta);
  if (defaultSource) customer.default_source = defaultSource;
  if (params.invoice_settings?.footer !== undefined) customer.invoice_settings.footer = params.invoice_settings.footer || null;
  customer.metadata = mergeMetadata(customer.metadata, params.metadata);
  emitIfChanged(context, 'customer.updated', before, customer, meta);
  return customer;
}

export const customers: ResourceModule = (context) => {
  const { store } = context;
  return [
    {
      method: 'POST',
      path: '/v1/customers',
      handle({ params, meta }) {
        checkParams(params, { ...WRITABLE, payment_method: 'value', source: 'value', test_clock: 'value' });
        // Checked before the customer exists, so a refused request creates nothing.
        const paymentMethod = params.payment_method ? resolvePaymentMethod(context, String(params.payment_method), 'payment_method') : undefined;
        if (paymentMethod) assertAttachable(paymentMethod, undefined);
        const defaultPaymentMethod = defaultPaymentMethodOnCreate(params, paymentMethod);
        const sourceNumber = params.source ? sourceTokenNumber(params.source) : undefined;
        const discountSource = customerDiscountSource(params);
        if (discountSource) assertRedeemable(context, discountSource);
        const taxExempt = optionalEnum(params.tax_exempt, 'tax_exempt', TAX_EXEMPT) ?? 'none';
        const shipping = params.shipping ? shippingOf(params.shipping) : null;
        const customer = store.put<StripeObject>({
          id: newId('cus', 14),
          object: 'customer',
          address: params.address ? { ...emptyAddress(), ...params.address } : null,
          balance: 0,
          created: context.now(),
          currency: null,
          default_source: null,
          delinquent: false,
          description: optionalString(params.description, 'description') ?? null,
          discount: null,
          email: optionalString(params.email, 'email') ?? null,
          invoice_prefix: newId('x', 8).slice(2).toUpperCase(),
          invoice_settings: {
            custom_fields: null,
            default_payment_method: defaultPaymentMethod,
            footer: params.invoice_settings?.footer ?? null,
            rendering_options: null,
          },
          livemode: false,
          metadata: mergeMetadata({}, params.metadata),
          name: optionalString(params.name, 'name') ?? null,
          next_invoice_sequence: 1,
          phone: optionalString(params.phone, 'phone') ?? null,
          preferred_locales: params.preferred_locales ? Object.values(params.preferred_locales) : [],
          shipping,
          tax_exempt: taxExempt,
          test_clock: null,
        });
        // The card is saved first so that customer.created already names it as default_source.
        const card = sourceNumber ? saveCardSource(context, customer, sourceNumber) : undefined;
        const discount = discountSource ? attachCustomerDiscount(context, customer, discountSource) : undefined;
        context.emit('customer.created', customer, meta);
        if (discount) context.emit('customer.discount.created', discount, meta);
        if (paymentMethod) attachPaymentMethod(context, paymentMethod, customer.id, meta);
        if (card) context.emit('customer.source.created', card, meta);
        return expand(customer, expandPaths(params), store);
      },
    },
    {
      method: 'GET',
      path: '/v1/customers/search',
      handle({ params }) {
        checkParams(params, { query: 'value', limit: 'value', page: 'value' });
        const query = optionalString(params.query, 'query');
        if (!query) throw invalidParameter('query', 'Missing required param: query.', 'parameter_missing');
        const matches = compileSearch(query);
        const found = newestFirst(store.all('customer')).filter(matches);
        return expand(searchPage(found, params, '/v1/customers/search'), expandPaths(params), store);
      },
    },
    {
      method: 'GET',
      path: '/v1/customers/:id',
      handle({ pathParams, params }) {
        checkParams(params, {});
        if (store.isDeleted(pathParams.id!)) return { id: pathParams.id, object: 'customer', deleted: true };
        return expand(requireObject(context.store, 'customer', pathParams.id!), expandPaths(params), store);
      },
    },
    {
      method: 'POST',
      path: '/v1/customers/:id',
      handle({ pathParams, params, meta }) {
        checkParams(params, { ...WRITABLE, default_source: 'value', source: 'value' });
        const customer = updateCustomer(context, requireObject(context.store, 'customer', pathParams.id!), params, meta);
        return expand(customer, expandPaths(params), store);
      },
    },
    {
      method: 'DELETE',
      path: '/v1/customers/:id',
      handle({ pathParams, params, meta }) {
        checkParams(params, {});
        const customer = requireObject(context.store, 'customer', pathParams.id!);
        // Deleting a customer cancels its subscriptions immediately, as in Stripe.
        for (const subscription of store.all('subscription')) {
          if (subscription.customer === customer.id && subscription.status !== 'canceled') cancelSubscription(context, subscription, meta);
        }
        store.markDeleted(customer.id);
        context.emit('customer.deleted', customer, meta);
        return { id: customer.id, object: 'customer', deleted: true };
      },
    },
    {
      method: 'GET',
      path: '/v1/customers',
      handle({ params }) {
        checkParams(params, LIST);
        const email = optionalString(params.email, 'email');
        const found = newestFirst(store.all('customer')).filter(
          (customer) => (email === undefined || customer.email === email) && matchesCreated(customer.created, params.created),
        );
        return expand(paginate(found, params, '/v1/customers'), expandPaths(params), store);
      },
    },
  ];
};

/** On creation the only payment method the customer can have is the one `payment_method` attaches. */
function defaultPaymentMethodOnCreate(params: Params, attaching: StripeObject | undefined): string | null {
  const param = 'invoice_settings[default_payment_method]';
  const requested = optionalString(params.invoice_settings?.default_payment_method, param);
  if (!requested) return null;
  if (attaching && (requested === params.payment_method || requested === attaching.id)) return attaching.id;
  throw notAttachedError(requested, param);
}

function emptyAddress() {
  return { city: null, country: null, line1: null, line2: null, postal_code: null, state: null };
}

/** Stripe requires a shipping name and address, and returns every address field (null when not given) and the phone or null. */
function shippingOf(shipping: Params) {
  const address = required<Params>(shipping.address, 'shipping[address]');
  const name = required(optionalString(shipping.name, 'shipping[name]'), 'shipping[name]');
  return { address: { ...emptyAddress(), ...address }, name, phone: optionalString(shipping.phone, 'shipping[phone]') || null };
}

/**
 * Stripe's search query language, the part Linkout needs: clauses `field:'value'` (exact),
 * `field~'value'` (substring), `-field:'value'` (negation), `metadata['key']:'value'`, joined by AND or
 * by OR (not both, as in Stripe), over email, name, phone, description and metadata.
 */
function compileSearch(query: string): (customer: StripeObject) => boolean {
  const clause = /^\s*(-)?(metadata\[['"]([^'"]+)['"]\]|[a-z_]+)\s*(:|~)\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\s*/i;
  const tests: Array<(customer: StripeObject) => boolean> = [];
  const joiners = new Set<string>();
  let rest = query;
  for (;;) {
    const match = clause.exec(rest);
    if (!match) throw badQuery(query);
    const [whole, negate, field, metadataKey, operator, single, double] = match;
    const expected = (single ?? double ?? '').replace(/\\(.)/g, '$1');
    if (!metadataKey && !['email', 'name', 'phone', 'description'].includes(field!)) {
      throw invalidParameter('query', `Field \`${field}\` is an unsupported search field for resource \`customers\`.`);
    }
    const read = (customer: StripeObject): unknown => (metadataKey ? customer.metadata?.[metadataKey] : customer[field!]);
    tests.push((customer) => {
      const actual = read(customer);
      const hit =
        typeof actual === 'string' &&
        (operator === ':' ? actual.toLowerCase() === expected.toLowerCase() : actual.toLowerCase().includes(expected.toLowerCase()));
      return negate ? !hit : hit;
    });
    rest = rest.slice(whole!.length);
    if (rest.trim() === '') break;
    const joiner = /^(AND|OR)\s+/.exec(rest);
    if (!joiner) throw badQuery(query);
    joiners.add(joiner[1]!);
    rest = rest.slice(joiner[0].length);
  }
  if (joiners.size > 1) throw invalidParameter('query', 'Queries cannot mix AND and OR.');
  return joiners.has('OR') ? (customer) => tests.some((test) => test(customer)) : (customer) => tests.every((test) => test(customer));
}

function badQuery(query: string): StripeApiError {
  return invalidParameter('query', `The query \`${query}\` is not a valid search query.`);
}
