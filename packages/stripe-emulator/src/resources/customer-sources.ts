/**
 * Customer sources (the older Sources/Cards API): a card made from a test token (`tok_visa`) and saved on
 * a customer, as `source=tok_visa` on customer create/update and POST /v1/customers/:id/sources do.
 * The customer's first source becomes its `default_source`. Events: customer.source.created / .updated /
 * .deleted, and customer.updated when the default changes.
 */
import type { EmulatorContext, RequestMeta, ResourceModule } from '../context';
import { noSuch } from '../errors';
import { requireObject } from '../lookup';
import { checkParams, expandPaths, mergeMetadata, optionalInteger, optionalString, type ParamSpec, type Params, required } from '../params';
import { listRoute } from '../routes';
import { clone, newId, type StripeObject } from '../store';
import { emitIfChanged, expand } from '../wire';
import { fingerprintOf, testTokenNumber } from './payment-methods';

// Sources name brands the way the old Charges API did.
const SOURCE_BRANDS: Record<string, string> = {
  '4': 'Visa',
  '5': 'MasterCard',
  '2': 'MasterCard',
  '34': 'American Express',
  '37': 'American Express',
  '6011': 'Discover',
  '65': 'Discover',
  '30': 'Diners Club',
  '36': 'Diners Club',
  '35': 'JCB',
  '62': 'UnionPay',
};

const UPDATE: Record<string, ParamSpec> = {
  address_city: 'value',
  address_country: 'value',
  address_line1: 'value',
  address_line2: 'value',
  address_state: 'value',
  address_zip: 'value',
  exp_month: 'value',
  exp_year: 'value',
  metadata: 'map',
  name: 'value',
};

function sourceBrand(number: string): string {
  const prefix = Object.keys(SOURCE_BRANDS)
    .sort((a, b) => b.length - a.length)
    .find((candidate) => number.startsWith(candidate));
  return prefix ? SOURCE_BRANDS[prefix]! : 'Unknown';
}

/** Checks a `source` parameter before anything changes; returns the card number it stands for. */
export function sourceTokenNumber(token: unknown, param = 'source'): string {
  return testTokenNumber(required(optionalString(token, param), param), param);
}

function cardSource(context: EmulatorContext, customerId: string, number: string, metadata: Record<string, string>): StripeObject {
  return context.store.put({
    id: newId('card'),
    object: 'card',
    address_city: null,
    address_country: null,
    address_line1: null,
    address_line1_check: null,
    address_line2: null,
    address_state: null,
    address_zip: null,
    address_zip_check: null,
    allow_redisplay: 'unspecified',
    brand: sourceBrand(number),
    country: 'US',
    customer: customerId,
    cvc_check: 'pass',
    dynamic_last4: null,
    exp_month: 12,
    exp_year: new Date(context.now() * 1000).getUTCFullYear() + 3,
    fingerprint: fingerprintOf(number),
    funding: 'credit',
    last4: number.slice(-4),
    metadata,
    name: null,
    regulated_status: 'unregulated',
    tokenization_method: null,
  });
}

/** The customer's saved cards, oldest first. */
function customerSources(context: EmulatorContext, customerId: string): StripeObject[] {
  return context.store.all('card').filter((card) => card.customer === customerId);
}

/** Stores a card from a test token on the customer; the customer's first source becomes its default. No event. */
export function saveCardSource(context: EmulatorContext, customer: StripeObject, number: string, metadata: Record<string, string> = {}): StripeObject {
  const card = cardSource(context, customer.id, number, metadata);
  if (!customer.default_source) customer.default_source = card.id;
  return card;
}

/** Saves a card on the customer and emits customer.source.created; the caller reports a changed default. */
function addCardSource(
  context: EmulatorContext,
  customer: StripeObject,
  number: string,
  meta: RequestMeta,
  metadata: Record<string, string> = {},
): StripeObject {
  const card = saveCardSource(context, customer, number, metadata);
  context.emit('customer.source.created', card, meta);
  return card;
}

/** `source` on customer update: the new card becomes the default and the old default is deleted, as in Stripe. */
export function replaceDefaultSource(context: EmulatorContext, customer: StripeObject, number: string, meta: RequestMeta): StripeObject {
  const previous = customer.default_source ? context.store.get(customer.default_source, 'card') : undefined;
  const card = addCardSource(context, customer, number, meta);
  customer.default_source = card.id;
  if (previous) deleteSource(context, customer, previous, meta);
  return card;
}

/** A source the customer owns, or Stripe's resource_missing. */
export function requireCustomerSource(context: EmulatorContext, customer: StripeObject, id: string, param?: string): StripeObject {
  const card = context.store.get(id, 'card');
  if (!card || card.customer !== customer.id) throw noSuch('source', id, param);
  return card;
}

/** Removes a source (customer.source.deleted); a default that named it passes to the next card, if any. */
function deleteSource(context: EmulatorContext, customer: StripeObject, card: StripeObject, meta: RequestMeta): void {
  context.store.markDeleted(card.id);
  context.emit('customer.source.deleted', card, meta);
  if (customer.default_source === card.id) customer.default_source = customerSources(context, customer.id)[0]?.id ?? null;
}

function updateSource(context: EmulatorContext, card: StripeObject, params: Params, meta: RequestMeta): StripeObject {
  const expMonth = optionalInteger(params.exp_month, 'exp_month');
  const expYear = optionalInteger(params.exp_year, 'exp_year');
  const before = clone(card);
  for (const field of ['address_city', 'address_country', 'address_line1', 'address_line2', 'address_state', 'address_zip', 'name'] as const) {
    if (params[field] !== undefined) card[field] = params[field] === '' ? null : String(params[field]);
  }
  if (expMonth !== undefined) card.exp_month = expMonth;
  if (expYear !== undefined) card.exp_year = expYear;
  card.metadata = mergeMetadata(card.metadata, params.metadata);
  emitIfChanged(context, 'customer.source.updated', before, card, meta);
  return card;
}

/** Runs `change` on the customer and emits customer.updated if its default source moved. */
function withDefaultSourceTracking<T>(context: EmulatorContext, customer: StripeObject, meta: RequestMeta, change: () => T): T {
  const before = customer.default_source;
  const result = change();
  if (customer.default_source !== before) context.emit('customer.updated', customer, meta, { default_source: before });
  return result;
}

export const customerSourceRoutes: ResourceModule = (context) => {
  const { store } = context;
  return [
    {
      method: 'POST',
      path: '/v1/customers/:id/sources',
      handle({ pathParams, params, meta }) {
        checkParams(params, { source: 'value', metadata: 'map', validate: 'value' });
        const customer = requireObject(store, 'customer', pathParams.id!);
        const number = sourceTokenNumber(params.source);
        const card = withDefaultSourceTracking(context, customer, meta, () =>
          addCardSource(context, customer, number, meta, mergeMetadata({}, params.metadata)),
        );
        return expand(card, expandPaths(params), store);
      },
    },
    listRoute(context, '/v1/customers/:id/sources', 'card', {
      filters: { object: 'value' },
      where: (params) => {
        const object = optionalString(params.object, 'object');
        return (card) => object === undefined || card.object === object;
      },
      source: ({ id }) => customerSources(context, requireObject(store, 'customer', id!).id),
      url: (_params, { id }) => `/v1/customers/${id}/sources`,
    }),
    {
      method: 'GET',
      path: '/v1/customers/:customer/sources/:id',
      handle({ pathParams, params }) {
        checkParams(params, {});
        const customer = requireObject(store, 'customer', pathParams.customer!);
        return expand(requireCustomerSource(context, customer, pathParams.id!), expandPaths(params), store);
      },
    },
    {
      method: 'POST',
      path: '/v1/customers/:customer/sources/:id',
      handle({ pathParams, params, meta }) {
        checkParams(params, UPDATE);
        const customer = requireObject(store, 'customer', pathParams.customer!);
        const card = updateSource(context, requireCustomerSource(context, customer, pathParams.id!), params, meta);
        return expand(card, expandPaths(params), store);
      },
    },
    {
      method: 'DELETE',
      path: '/v1/customers/:customer/sources/:id',
      handle({ pathParams, params, meta }) {
        checkParams(params, {});
        const customer = requireObject(store, 'customer', pathParams.customer!);
        const card = requireCustomerSource(context, customer, pathParams.id!);
        withDefaultSourceTracking(context, customer, meta, () => deleteSource(context, customer, card, meta));
        return { id: card.id, object: 'card', deleted: true };
      },
    },
  ];
};
