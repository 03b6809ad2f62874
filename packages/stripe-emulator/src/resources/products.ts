/** Products and prices: seeded from Linkout's catalog (product ids kept, prices found by lookup key), plus create/retrieve/list. */
import type { EmulatorContext, ResourceModule } from '../context';
import { invalidParameter, invalidRequest, noSuch } from '../errors';
import { arrayOf, checkParams, expandPaths, mergeMetadata, optionalBoolean, optionalEnum, optionalInteger, optionalString, required, type Params } from '../params';
import { listRoute, retrieveRoute } from '../routes';
import { newId, type StripeObject, type Store } from '../store';
import { expand } from '../wire';

const INTERVALS = ['day', 'week', 'month', 'year'] as const;

function productObject(fields: { id: string; name: string; description?: string | null; metadata?: Record<string, string>; active?: boolean }, now: number): StripeObject {
  return {
    id: fields.id,
    object: 'product',
    active: fields.active ?? true,
    created: now,
    default_price: null,
    description: fields.description ?? null,
    images: [],
    livemode: false,
    marketing_features: [],
    metadata: fields.metadata ?? {},
    name: fields.name,
    package_dimensions: null,
    shippable: null,
    statement_descriptor: null,
    tax_code: null,
    type: 'service',
    unit_label: null,
    updated: now,
    url: null,
  };
}

interface PriceFields {
  product: string;
  currency: string;
  unitAmount: number;
  lookupKey?: string | null;
  nickname?: string | null;
  recurring?: { interval: string; intervalCount: number } | null;
  metadata?: Record<string, string>;
  active?: boolean;
}

function priceObject(fields: PriceFields, now: number): StripeObject {
  return {
    id: newId('price'),
    object: 'price',
    active: fields.active ?? true,
    billing_scheme: 'per_unit',
    created: now,
    currency: fields.currency,
    custom_unit_amount: null,
    livemode: false,
    lookup_key: fields.lookupKey ?? null,
    metadata: fields.metadata ?? {},
    nickname: fields.nickname ?? null,
    product: fields.product,
    recurring: fields.recurring
      ? { interval: fields.recurring.interval, interval_count: fields.recurring.intervalCount, meter: null, trial_period_days: null, usage_type: 'licensed' }
      : null,
    tax_behavior: 'unspecified',
    tiers_mode: null,
    transform_quantity: null,
    type: fields.recurring ? 'recurring' : 'one_time',
    unit_amount: fields.unitAmount,
    unit_amount_decimal: String(fields.unitAmount),
  };
}

/** A price to seed: found again by its lookup key, since seeded price ids are random as in Stripe. */
export interface SeedPrice {
  lookupKey: string;
  unitAmount: number;
  currency: string;
  interval: 'day' | 'week' | 'month' | 'year';
  intervalCount?: number;
}

/** A product to seed, with its own id (Stripe accepts caller-chosen product ids). */
export interface SeedProduct {
  id: string;
  name: string;
  description?: string;
  prices: readonly SeedPrice[];
}

/** Puts the catalog's products (with their ids) and prices (with their lookup keys) in the store; no events, it is pre-existing state. */
export function seedCatalog(store: Store, catalog: readonly SeedProduct[], now: number): void {
  for (const product of catalog) {
    const stored = store.put(productObject({ id: product.id, name: product.name, description: product.description ?? null }, now));
    for (const price of product.prices) {
      const created = store.put(
        priceObject(
          {
            product: product.id,
            currency: price.currency,
            unitAmount: price.unitAmount,
            lookupKey: price.lookupKey,
            recurring: { interval: price.interval, intervalCount: price.intervalCount ?? 1 },
          },
          now,
        ),
      );
      stored.default_price ??= created.id;
    }
  }
}

export const products: ResourceModule = (context) => {
  const { store } = context;
  return [
    {
      method: 'POST',
      path: '/v1/products',
      handle({ params, meta }) {
        checkParams(params, { id: 'value', name: 'value', description: 'value', active: 'value', metadata: 'map', default_price_data: 'map', images: ['value'], url: 'value', unit_label: 'value', tax_code: 'value', statement_descriptor: 'value' });
        const id = optionalString(params.id, 'id') ?? newId('prod', 14);
        if (store.get(id)) throw invalidParameter('id', `Product already exists.`, 'resource_already_exists');
        const product = store.put(
          productObject(
            {
              id,
              name: required(optionalString(params.name, 'name'), 'name'),
              description: optionalString(params.description, 'description') ?? null,
              metadata: mergeMetadata({}, params.metadata),
              active: optionalBoolean(params.active, 'active') ?? true,
            },
            context.now(),
          ),
        );
        context.emit('product.created', product, meta);
        return expand(product, expandPaths(params), store);
      },
    },
    retrieveRoute(context, '/v1/products/:id', 'product'),
    listRoute(context, '/v1/products', 'product', {
      filters: { active: 'value', ids: ['value'], shippable: 'value', url: 'value' },
      where(params) {
        const active = optionalBoolean(params.active, 'active');
        const ids = arrayOf<string>(params.ids);
        return (product) => (active === undefined || product.active === active) && (ids.length === 0 || ids.includes(product.id));
      },
    }),
    {
      method: 'POST',
      path: '/v1/prices',
      handle({ params, meta }) {
        checkParams(params, {
          currency: 'value',
          unit_amount: 'value',
          product: 'value',
          product_data: { name: 'value', active: 'value', metadata: 'map', statement_descriptor: 'value', tax_code: 'value', unit_label: 'value' },
          recurring: { interval: 'value', interval_count: 'value', usage_type: 'value', meter: 'value' },
          lookup_key: 'value',
          transfer_lookup_key: 'value',
          nickname: 'value',
          metadata: 'map',
          active: 'value',
          tax_behavior: 'value',
          billing_scheme: 'value',
        });
        const currency = required(optionalString(params.currency, 'currency'), 'currency').toLowerCase();
        const unitAmount = required(optionalInteger(params.unit_amount, 'unit_amount'), 'unit_amount');
        const productId = productFor(context, params, meta);
        const lookupKey = optionalString(params.lookup_key, 'lookup_key') ?? null;
        if (lookupKey) releaseLookupKey(context, lookupKey, optionalBoolean(params.transfer_lookup_key, 'transfer_lookup_key') ?? false, meta);
        const recurring = params.recurring
          ? {
              interval: required(optionalEnum(params.recurring.interval, 'recurring[interval]', INTERVALS), 'recurring[interval]'),
              intervalCount: optionalInteger(params.recurring.interval_count, 'recurring[interval_count]') ?? 1,
            }
          : null;
        const price = store.put(
          priceObject(
            {
              product: productId,
              currency,
              unitAmount,
              lookupKey,
              nickname: optionalString(params.nickname, 'nickname') ?? null,
              recurring,
              metadata: mergeMetadata({}, params.metadata),
              active: optionalBoolean(params.active, 'active') ?? true,
            },
            context.now(),
          ),
        );
        context.emit('price.created', price, meta);
        return expand(price, expandPaths(params), store);
      },
    },
    retrieveRoute(context, '/v1/prices/:id', 'price'),
    listRoute(context, '/v1/prices', 'price', {
      filters: { active: 'value', currency: 'value', lookup_keys: ['value'], product: 'value', type: 'value', recurring: 'map' },
      where(params) {
        const active = optionalBoolean(params.active, 'active');
        const lookupKeys = arrayOf<string>(params.lookup_keys);
        const product = optionalString(params.product, 'product');
        const type = optionalEnum(params.type, 'type', ['one_time', 'recurring'] as const);
        const interval = params.recurring?.interval as string | undefined;
        return (price) =>
          (active === undefined || price.active === active) &&
          (lookupKeys.length === 0 || lookupKeys.includes(price.lookup_key)) &&
          (product === undefined || price.product === product) &&
          (type === undefined || price.type === type) &&
          (params.currency === undefined || price.currency === params.currency) &&
          (interval === undefined || price.recurring?.interval === interval);
      },
    }),
  ];
};

function productFor(context: EmulatorContext, params: Params, meta: Parameters<EmulatorContext['emit']>[2]): string {
  if (params.product && params.product_data) throw invalidRequest('You may only specify one of these parameters: product, product_data.');
  if (params.product_data) {
    const product = context.store.put(
      productObject({ id: newId('prod', 14), name: required(optionalString(params.product_data.name, 'product_data[name]'), 'product_data[name]') }, context.now()),
    );
    context.emit('product.created', product, meta);
    return product.id;
  }
  const id = required(optionalString(params.product, 'product'), 'product');
  if (!context.store.get(id, 'product')) throw noSuch('product', id, 'product');
  return id;
}

/** A lookup key names one price; reusing it needs transfer_lookup_key=true, as in Stripe. */
function releaseLookupKey(context: EmulatorContext, lookupKey: string, transfer: boolean, meta: Parameters<EmulatorContext['emit']>[2]): void {
  const holder = context.store.all('price').find((price) => price.lookup_key === lookupKey);
  if (!holder) return;
  if (!transfer) {
    throw invalidParameter('lookup_key', `A price (\`${holder.id}\`) already uses that lookup key.`, 'lookup_key_already_exists');
  }
  const before = { lookup_key: holder.lookup_key };
  holder.lookup_key = null;
  context.emit('price.updated', holder, meta, before);
}
