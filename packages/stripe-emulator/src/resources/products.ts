/**
 * Products, prices and plans. The catalog is seeded from Linkout's configuration (product ids kept,
 * prices found by lookup key); the API creates, updates, lists and (for products and plans) deletes.
 *
 * A plan is the legacy face of a recurring price: both share one id, `/v1/plans` reads and writes the
 * same stored price, and plan changes emit both the `plan.*` and the `price.*` event, as in Stripe.
 * Prices themselves cannot be deleted; deleting a plan is the one way a price goes away.
 */
import type { EmulatorContext, RequestMeta, ResourceModule } from '../context';
import { invalidParameter, invalidRequest, noSuch } from '../errors';
import { requireObject } from '../lookup';
import {
  arrayOf,
  checkParams,
  expandPaths,
  mergeMetadata,
  optionalBoolean,
  optionalDecimal,
  optionalEnum,
  optionalInteger,
  optionalString,
  type ParamSpec,
  type Params,
  required,
} from '../params';
import { listRoute, retrieveRoute } from '../routes';
import { newId, type Store, type StripeObject } from '../store';
import { emitIfChanged, expand, previousAttributes } from '../wire';

const INTERVALS = ['day', 'week', 'month', 'year'] as const;
type Interval = (typeof INTERVALS)[number];
/** Stripe's longest billing interval is three years, counted in the interval's own unit. */
const MAX_INTERVAL_COUNT: Record<Interval, number> = { day: 1095, week: 156, month: 36, year: 3 };
const TAX_BEHAVIORS = ['exclusive', 'inclusive', 'unspecified'] as const;
const USAGE_TYPES = ['licensed', 'metered'] as const;
const PRODUCT_TYPES = ['good', 'service'] as const;

const TAX_DETAILS: ParamSpec = { performance_location: 'value', tax_code: 'value' };
const PACKAGE_DIMENSIONS: ParamSpec = { height: 'value', length: 'value', weight: 'value', width: 'value' };
const RECURRING: ParamSpec = { interval: 'value', interval_count: 'value', meter: 'value', trial_period_days: 'value', usage_type: 'value' };

/** An inline product (`product_data` of a price, `product` of a plan). */
const INLINE_PRODUCT: Record<string, ParamSpec> = {
  id: 'value',
  name: 'value',
  active: 'value',
  metadata: 'map',
  statement_descriptor: 'value',
  tax_code: 'value',
  tax_details: TAX_DETAILS,
  unit_label: 'value',
};

const PRODUCT_CREATE: Record<string, ParamSpec> = {
  ...INLINE_PRODUCT,
  default_price_data: {
    currency: 'value',
    unit_amount: 'value',
    recurring: { interval: 'value', interval_count: 'value' },
    metadata: 'map',
    tax_behavior: 'value',
  },
  description: 'value',
  images: ['value'],
  marketing_features: [{ name: 'value' }],
  package_dimensions: PACKAGE_DIMENSIONS,
  shippable: 'value',
  type: 'value',
  url: 'value',
};

const PRODUCT_UPDATE: Record<string, ParamSpec> = {
  active: 'value',
  default_price: 'value',
  description: 'value',
  images: ['value'],
  marketing_features: [{ name: 'value' }],
  metadata: 'map',
  name: 'value',
  package_dimensions: PACKAGE_DIMENSIONS,
  shippable: 'value',
  statement_descriptor: 'value',
  tax_code: 'value',
  tax_details: TAX_DETAILS,
  unit_label: 'value',
  url: 'value',
};

const PRICE_CREATE: Record<string, ParamSpec> = {
  active: 'value',
  billing_scheme: 'value',
  currency: 'value',
  lookup_key: 'value',
  metadata: 'map',
  nickname: 'value',
  product: 'value',
  product_data: INLINE_PRODUCT,
  recurring: RECURRING,
  tax_behavior: 'value',
  transfer_lookup_key: 'value',
  unit_amount: 'value',
};

const PRICE_UPDATE: Record<string, ParamSpec> = {
  active: 'value',
  lookup_key: 'value',
  metadata: 'map',
  nickname: 'value',
  tax_behavior: 'value',
  transfer_lookup_key: 'value',
};

const PLAN_CREATE: Record<string, ParamSpec> = {
  active: 'value',
  amount: 'value',
  billing_scheme: 'value',
  currency: 'value',
  id: 'value',
  interval: 'value',
  interval_count: 'value',
  metadata: 'map',
  meter: 'value',
  nickname: 'value',
  trial_period_days: 'value',
  usage_type: 'value',
};

const PLAN_UPDATE: Record<string, ParamSpec> = { active: 'value', metadata: 'map', nickname: 'value', product: 'value', trial_period_days: 'value' };

// ---- products ----

function productObject(id: string, name: string, now: number): StripeObject {
  return {
    id,
    object: 'product',
    active: true,
    created: now,
    default_price: null,
    description: null,
    images: [],
    livemode: false,
    marketing_features: [],
    metadata: {},
    name,
    package_dimensions: null,
    shippable: null,
    statement_descriptor: null,
    tax_code: null,
    tax_details: null,
    type: 'service',
    unit_label: null,
    updated: now,
    url: null,
  };
}

/**
 * Writes the product fields present in `params` (create and update alike); `''` clears a field.
 * `param` names a field in errors, e.g. `product_data[name]` for an inline product.
 */
function applyProductParams(product: StripeObject, params: Params, param: (field: string) => string): void {
  if (params.name !== undefined) product.name = required(optionalString(params.name, param('name')), param('name'));
  for (const field of ['description', 'statement_descriptor', 'tax_code', 'unit_label', 'url'] as const) {
    if (params[field] !== undefined) product[field] = params[field] === '' ? null : optionalString(params[field], param(field));
  }
  const active = optionalBoolean(params.active, param('active'));
  if (active !== undefined) product.active = active;
  const shippable = optionalBoolean(params.shippable, param('shippable'));
  if (shippable !== undefined) product.shippable = shippable;
  if (params.images !== undefined) product.images = arrayOf<string>(params.images).map(String);
  if (params.marketing_features !== undefined) {
    product.marketing_features = arrayOf<Params>(params.marketing_features).map((feature, index) => ({
      name: required(optionalString(feature.name, param(`marketing_features[${index}][name]`)), param(`marketing_features[${index}][name]`)),
    }));
  }
  if (params.package_dimensions !== undefined) product.package_dimensions = packageDimensions(params.package_dimensions, param('package_dimensions'));
  if (params.tax_details !== undefined) {
    product.tax_details =
      params.tax_details === ''
        ? null
        : { performance_location: params.tax_details.performance_location || null, tax_code: params.tax_details.tax_code || null };
  }
  product.metadata = mergeMetadata(product.metadata, params.metadata);
}

function packageDimensions(value: Params | '', param: string): StripeObject['package_dimensions'] {
  if (value === '') return null;
  const dimension = (key: string) => {
    const name = `${param}[${key}]`;
    const number = required(optionalDecimal(value[key], name), name);
    if (number < 0) throw invalidParameter(name, 'This value must be greater than or equal to 0.');
    return number;
  };
  return { height: dimension('height'), length: dimension('length'), weight: dimension('weight'), width: dimension('width') };
}

/**
 * Stores a product made from create params (or an inline product); the caller emits product.created
 * once the request's other objects (e.g. a default price) exist. Nothing is stored when a value is refused.
 */
function createProduct(context: EmulatorContext, params: Params, param: (field: string) => string = (field) => field): StripeObject {
  const id = optionalString(params.id, param('id')) ?? newId('prod', 14);
  if (context.store.get(id) || context.store.isDeleted(id)) throw invalidParameter(param('id'), 'Product already exists.', 'resource_already_exists');
  const product = productObject(id, required(optionalString(params.name, param('name')), param('name')), context.now());
  applyProductParams(product, params, param);
  product.type = optionalEnum(params.type, param('type'), PRODUCT_TYPES) ?? 'service';
  context.store.put(product);
  return product;
}

function updateProduct(context: EmulatorContext, product: StripeObject, params: Params, meta: RequestMeta): StripeObject {
  const defaultPrice = optionalString(params.default_price, 'default_price');
  if (defaultPrice) requireOwnPrice(context.store, product, defaultPrice);
  // Changes are made on a copy, so that a refused value leaves the product as it was.
  const next = structuredClone(product);
  applyProductParams(next, params, (field) => field);
  if (defaultPrice !== undefined) next.default_price = defaultPrice || null;
  const previous = previousAttributes(product, next);
  if (Object.keys(previous).length === 0) return product;
  next.updated = context.now();
  const before = product.updated;
  Object.assign(product, next);
  context.emit('product.updated', product, meta, { ...previous, updated: before });
  return product;
}

function requireOwnPrice(store: Store, product: StripeObject, priceId: string): StripeObject {
  const price = requireObject(store, 'price', priceId, 'default_price');
  if (price.product !== product.id) {
    throw invalidParameter('default_price', `The price \`${priceId}\` does not belong to the product \`${product.id}\`.`);
  }
  if (!price.active) throw invalidParameter('default_price', `The price \`${priceId}\` is inactive and cannot be the default price of a product.`);
  return price;
}

/** Stripe keeps a product's prices forever, so a product with any price cannot be deleted (archive it instead). */
function deleteProduct(context: EmulatorContext, product: StripeObject, meta: RequestMeta): { id: string; object: 'product'; deleted: true } {
  if (context.store.all('price').some((price) => price.product === product.id)) {
    throw invalidRequest('This product cannot be deleted because it has one or more user-created prices.');
  }
  context.store.markDeleted(product.id);
  context.emit('product.deleted', product, meta);
  return { id: product.id, object: 'product', deleted: true };
}

// ---- prices ----

interface RecurringFields {
  interval: Interval;
  intervalCount: number;
  usageType?: (typeof USAGE_TYPES)[number];
  meter?: string | null;
  trialPeriodDays?: number | null;
}

interface PriceFields {
  id?: string;
  product: string;
  currency: string;
  unitAmount: number;
  lookupKey?: string | null;
  nickname?: string | null;
  recurring?: RecurringFields | null;
  metadata?: Record<string, string>;
  active?: boolean;
  taxBehavior?: (typeof TAX_BEHAVIORS)[number];
}

function priceObject(fields: PriceFields, now: number): StripeObject {
  return {
    id: fields.id ?? newId('price'),
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
      ? {
          interval: fields.recurring.interval,
          interval_count: fields.recurring.intervalCount,
          meter: fields.recurring.meter ?? null,
          trial_period_days: fields.recurring.trialPeriodDays ?? null,
          usage_type: fields.recurring.usageType ?? 'licensed',
        }
      : null,
    tax_behavior: fields.taxBehavior ?? 'unspecified',
    tiers_mode: null,
    transform_quantity: null,
    type: fields.recurring ? 'recurring' : 'one_time',
    unit_amount: fields.unitAmount,
    unit_amount_decimal: String(fields.unitAmount),
  };
}

/** Prices here are per unit; tiered pricing (tiers, tiers_mode) is not modelled, so it is refused rather than ignored. */
function requirePerUnit(value: unknown): void {
  const scheme = optionalEnum(value, 'billing_scheme', ['per_unit', 'tiered'] as const);
  if (scheme === 'tiered') throw invalidParameter('billing_scheme', 'The Stripe emulator does not model tiered prices; use billing_scheme=per_unit.');
}

function currencyOf(value: unknown): string {
  const currency = required(optionalString(value, 'currency'), 'currency').toLowerCase();
  if (!/^[a-z]{3}$/.test(currency)) throw invalidParameter('currency', `Invalid currency: ${currency}.`);
  return currency;
}

function amountOf(value: unknown, param: string): number {
  const amount = required(optionalInteger(value, param), param);
  if (amount < 0) throw invalidParameter(param, `Invalid ${param}: must be greater than or equal to 0`, 'parameter_invalid_integer');
  return amount;
}

function recurringOf(params: Params, param: (field: string) => string): RecurringFields {
  const interval = required(optionalEnum(params.interval, param('interval'), INTERVALS), param('interval'));
  const intervalCount = optionalInteger(params.interval_count, param('interval_count')) ?? 1;
  if (intervalCount < 1 || intervalCount > MAX_INTERVAL_COUNT[interval]) {
    throw invalidParameter(
      param('interval_count'),
      'The maximum billing interval is three years (3 years, 36 months, 156 weeks or 1095 days); the minimum is one interval.',
    );
  }
  const trialPeriodDays = optionalInteger(params.trial_period_days, param('trial_period_days'));
  if (trialPeriodDays !== undefined && trialPeriodDays < 0)
    throw invalidParameter(param('trial_period_days'), 'Invalid trial_period_days: must be at least 0', 'parameter_invalid_integer');
  return {
    interval,
    intervalCount,
    usageType: optionalEnum(params.usage_type, param('usage_type'), USAGE_TYPES),
    meter: optionalString(params.meter, param('meter')) ?? null,
    trialPeriodDays: trialPeriodDays ?? null,
  };
}

/** Stores a new price and emits price.created; the product must exist. */
function createPrice(context: EmulatorContext, fields: PriceFields, meta: RequestMeta): StripeObject {
  const price = context.store.put(priceObject(fields, context.now()));
  context.emit('price.created', price, meta);
  return price;
}

/** A price's product: an existing id, or `product_data` made into a new product (with its own product.created). */
function productForPrice(context: EmulatorContext, params: Params, meta: RequestMeta): string {
  if (params.product && params.product_data) throw invalidRequest('You may only specify one of these parameters: product, product_data.');
  if (params.product_data) {
    const product = createProduct(context, params.product_data, (field) => `product_data[${field}]`);
    context.emit('product.created', product, meta);
    return product.id;
  }
  const id = required(optionalString(params.product, 'product'), 'product');
  requireObject(context.store, 'product', id, 'product');
  return id;
}

/**
 * The other price holding `lookupKey`, if any. A lookup key names one price: taking it over needs
 * transfer_lookup_key=true, as in Stripe. Checked before any change; released with releaseLookupKey.
 */
function lookupKeyHolder(context: EmulatorContext, lookupKey: string, transfer: boolean, except?: StripeObject): StripeObject | undefined {
  const holder = context.store.all('price').find((price) => price.lookup_key === lookupKey && price !== except);
  if (holder && !transfer) {
    throw invalidParameter('lookup_key', `A price (\`${holder.id}\`) already uses that lookup key.`, 'resource_already_exists');
  }
  return holder;
}

function releaseLookupKey(context: EmulatorContext, holder: StripeObject, meta: RequestMeta): void {
  const before = { lookup_key: holder.lookup_key };
  holder.lookup_key = null;
  context.emit('price.updated', holder, meta, before);
}

function updatePrice(context: EmulatorContext, price: StripeObject, params: Params, meta: RequestMeta): StripeObject {
  const active = optionalBoolean(params.active, 'active');
  if (active === false && context.store.get(price.product, 'product')?.default_price === price.id) {
    throw invalidParameter('active', 'This price cannot be archived because it is the default price of its product. Set another default price first.');
  }
  const taxBehavior = optionalEnum(params.tax_behavior, 'tax_behavior', TAX_BEHAVIORS);
  if (taxBehavior && price.tax_behavior !== 'unspecified' && taxBehavior !== price.tax_behavior) {
    throw invalidParameter('tax_behavior', 'The tax_behavior of a price cannot be changed once it is `inclusive` or `exclusive`.');
  }
  const lookupKey = optionalString(params.lookup_key, 'lookup_key');
  const holder = lookupKey
    ? lookupKeyHolder(context, lookupKey, optionalBoolean(params.transfer_lookup_key, 'transfer_lookup_key') ?? false, price)
    : undefined;
  if (holder) releaseLookupKey(context, holder, meta);
  const before = structuredClone(price);
  if (active !== undefined) price.active = active;
  if (taxBehavior) price.tax_behavior = taxBehavior;
  if (lookupKey !== undefined) price.lookup_key = lookupKey || null;
  if (params.nickname !== undefined) price.nickname = optionalString(params.nickname, 'nickname') || null;
  price.metadata = mergeMetadata(price.metadata, params.metadata);
  emitIfChanged(context, 'price.updated', before, price, meta);
  return price;
}

// ---- plans: recurring prices seen through the legacy Plan shape ----

/** A recurring price as a Plan (the /v1/plans endpoints, and the `plan` of a subscription item). */
export function planView(price: StripeObject): StripeObject {
  return {
    id: price.id,
    object: 'plan',
    active: price.active,
    amount: price.unit_amount,
    amount_decimal: price.unit_amount_decimal,
    billing_scheme: price.billing_scheme,
    created: price.created,
    currency: price.currency,
    interval: price.recurring.interval,
    interval_count: price.recurring.interval_count,
    livemode: false,
    metadata: { ...price.metadata },
    meter: price.recurring.meter,
    nickname: price.nickname,
    product: price.product,
    tiers_mode: null,
    transform_usage: null,
    trial_period_days: price.recurring.trial_period_days,
    usage_type: price.recurring.usage_type,
  };
}

function requirePlan(store: Store, id: string): StripeObject {
  const price = store.get(id, 'price');
  if (!price?.recurring) throw noSuch('plan', id);
  return price;
}

/** `product` is a product id or an inline product, so its shape is known only from the value. */
function checkPlanParams(params: Params, spec: Record<string, ParamSpec>): void {
  const productSpec: ParamSpec = params.product !== null && typeof params.product === 'object' ? INLINE_PRODUCT : 'value';
  checkParams(params, { ...spec, product: productSpec });
}

function createPlan(context: EmulatorContext, params: Params, meta: RequestMeta): StripeObject {
  requirePerUnit(params.billing_scheme);
  const id = optionalString(params.id, 'id');
  if (id && (context.store.get(id) || context.store.isDeleted(id))) throw invalidParameter('id', 'Plan already exists.', 'resource_already_exists');
  const fields = {
    ...(id && { id }),
    currency: currencyOf(params.currency),
    unitAmount: amountOf(params.amount, 'amount'),
    recurring: recurringOf(params, (field) => field),
    nickname: optionalString(params.nickname, 'nickname') ?? null,
    metadata: mergeMetadata({}, params.metadata),
    active: optionalBoolean(params.active, 'active') ?? true,
  };
  const product = planProduct(context, params.product, meta);
  const price = context.store.put(priceObject({ ...fields, product }, context.now()));
  context.emit('plan.created', planView(price), meta);
  context.emit('price.created', price, meta);
  return price;
}

function planProduct(context: EmulatorContext, value: unknown, meta: RequestMeta): string {
  if (value !== null && typeof value === 'object') {
    const product = createProduct(context, value as Params, (field) => `product[${field}]`);
    context.emit('product.created', product, meta);
    return product.id;
  }
  const id = required(optionalString(value, 'product'), 'product');
  requireObject(context.store, 'product', id, 'product');
  return id;
}

function updatePlan(context: EmulatorContext, price: StripeObject, params: Params, meta: RequestMeta): StripeObject {
  const product = optionalString(params.product, 'product');
  if (product && product !== price.product) {
    requireObject(context.store, 'product', product, 'product');
    if (context.store.all('subscription').some((subscription) => subscription.items.data.some((item: StripeObject) => item.price.id === price.id))) {
      throw invalidParameter('product', 'The product of a plan cannot be changed once the plan is used in a subscription.');
    }
  }
  const trialPeriodDays = optionalInteger(params.trial_period_days, 'trial_period_days');
  const active = optionalBoolean(params.active, 'active');
  const before = structuredClone(price);
  if (product) price.product = product;
  if (trialPeriodDays !== undefined) price.recurring.trial_period_days = trialPeriodDays;
  if (active !== undefined) price.active = active;
  if (params.nickname !== undefined) price.nickname = optionalString(params.nickname, 'nickname') || null;
  price.metadata = mergeMetadata(price.metadata, params.metadata);
  emitIfChanged(context, 'plan.updated', planView(before), planView(price), meta);
  emitIfChanged(context, 'price.updated', before, price, meta);
  return price;
}

/** Deleting a plan deletes its price too; subscriptions keep their copies and go on billing. */
function deletePlan(context: EmulatorContext, price: StripeObject, meta: RequestMeta): { id: string; object: 'plan'; deleted: true } {
  context.store.markDeleted(price.id);
  context.emit('plan.deleted', planView(price), meta);
  context.emit('price.deleted', price, meta);
  return { id: price.id, object: 'plan', deleted: true };
}

// ---- seeding ----

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
  for (const seed of catalog) {
    const product = store.put(productObject(seed.id, seed.name, now));
    product.description = seed.description ?? null;
    for (const price of seed.prices) {
      const created = store.put(
        priceObject(
          {
            product: seed.id,
            currency: price.currency,
            unitAmount: price.unitAmount,
            lookupKey: price.lookupKey,
            recurring: { interval: price.interval, intervalCount: price.intervalCount ?? 1 },
          },
          now,
        ),
      );
      product.default_price ??= created.id;
    }
  }
}

// ---- routes ----

export const products: ResourceModule = (context) => {
  const { store } = context;
  return [
    {
      method: 'POST',
      path: '/v1/products',
      handle({ params, meta }) {
        checkParams(params, PRODUCT_CREATE);
        return expand(createProductWithDefaultPrice(context, params, meta), expandPaths(params), store);
      },
    },
    retrieveRoute(context, '/v1/products/:id', 'product'),
    {
      method: 'POST',
      path: '/v1/products/:id',
      handle({ pathParams, params, meta }) {
        checkParams(params, PRODUCT_UPDATE);
        const product = requireObject(store, 'product', pathParams.id!);
        return expand(updateProduct(context, product, params, meta), expandPaths(params), store);
      },
    },
    {
      method: 'DELETE',
      path: '/v1/products/:id',
      handle({ pathParams, params, meta }) {
        checkParams(params, {});
        return deleteProduct(context, requireObject(store, 'product', pathParams.id!), meta);
      },
    },
    listRoute(context, '/v1/products', 'product', {
      filters: { active: 'value', ids: ['value'], shippable: 'value', type: 'value', url: 'value' },
      where(params) {
        const active = optionalBoolean(params.active, 'active');
        const shippable = optionalBoolean(params.shippable, 'shippable');
        const type = optionalEnum(params.type, 'type', PRODUCT_TYPES);
        const url = optionalString(params.url, 'url');
        const ids = arrayOf<string>(params.ids);
        return (product) =>
          (active === undefined || product.active === active) &&
          (shippable === undefined || product.shippable === shippable) &&
          (type === undefined || product.type === type) &&
          (url === undefined || product.url === url) &&
          (ids.length === 0 || ids.includes(product.id));
      },
    }),
    {
      method: 'POST',
      path: '/v1/prices',
      handle({ params, meta }) {
        checkParams(params, PRICE_CREATE);
        return expand(createPriceFromParams(context, params, meta), expandPaths(params), store);
      },
    },
    retrieveRoute(context, '/v1/prices/:id', 'price'),
    {
      method: 'POST',
      path: '/v1/prices/:id',
      handle({ pathParams, params, meta }) {
        checkParams(params, PRICE_UPDATE);
        const price = requireObject(store, 'price', pathParams.id!);
        return expand(updatePrice(context, price, params, meta), expandPaths(params), store);
      },
    },
    listRoute(context, '/v1/prices', 'price', {
      filters: {
        active: 'value',
        currency: 'value',
        lookup_keys: ['value'],
        product: 'value',
        type: 'value',
        recurring: { interval: 'value', meter: 'value', usage_type: 'value' },
      },
      where(params) {
        const active = optionalBoolean(params.active, 'active');
        const lookupKeys = arrayOf<string>(params.lookup_keys);
        const product = optionalString(params.product, 'product');
        const type = optionalEnum(params.type, 'type', ['one_time', 'recurring'] as const);
        const interval = optionalEnum(params.recurring?.interval, 'recurring[interval]', INTERVALS);
        const usageType = optionalEnum(params.recurring?.usage_type, 'recurring[usage_type]', USAGE_TYPES);
        const meter = optionalString(params.recurring?.meter, 'recurring[meter]');
        return (price) =>
          (active === undefined || price.active === active) &&
          (lookupKeys.length === 0 || lookupKeys.includes(price.lookup_key)) &&
          (product === undefined || price.product === product) &&
          (type === undefined || price.type === type) &&
          (params.currency === undefined || price.currency === params.currency) &&
          (interval === undefined || price.recurring?.interval === interval) &&
          (usageType === undefined || price.recurring?.usage_type === usageType) &&
          (meter === undefined || price.recurring?.meter === meter);
      },
    }),
    {
      method: 'POST',
      path: '/v1/plans',
      handle({ params, meta }) {
        checkPlanParams(params, PLAN_CREATE);
        return expand(planView(createPlan(context, params, meta)), expandPaths(params), store);
      },
    },
    {
      method: 'GET',
      path: '/v1/plans/:id',
      handle({ pathParams, params }) {
        checkParams(params, {});
        return expand(planView(requirePlan(store, pathParams.id!)), expandPaths(params), store);
      },
    },
    {
      method: 'POST',
      path: '/v1/plans/:id',
      handle({ pathParams, params, meta }) {
        checkParams(params, PLAN_UPDATE);
        return expand(planView(updatePlan(context, requirePlan(store, pathParams.id!), params, meta)), expandPaths(params), store);
      },
    },
    {
      method: 'DELETE',
      path: '/v1/plans/:id',
      handle({ pathParams, params, meta }) {
        checkParams(params, {});
        return deletePlan(context, requirePlan(store, pathParams.id!), meta);
      },
    },
    listRoute(context, '/v1/plans', 'plan', {
      filters: { active: 'value', product: 'value' },
      source: () =>
        store
          .all('price')
          .filter((price) => price.recurring)
          .map(planView),
      where(params) {
        const active = optionalBoolean(params.active, 'active');
        const product = optionalString(params.product, 'product');
        return (plan) => (active === undefined || plan.active === active) && (product === undefined || plan.product === product);
      },
    }),
  ];
};

/** POST /v1/products: the product, and with `default_price_data` its first price, made its default. */
function createProductWithDefaultPrice(context: EmulatorContext, params: Params, meta: RequestMeta): StripeObject {
  const priceData = params.default_price_data as Params | undefined;
  // Read before anything is stored, so that a bad price leaves no product behind.
  const priceFields = priceData && {
    currency: currencyOf(priceData.currency),
    unitAmount: amountOf(priceData.unit_amount, 'default_price_data[unit_amount]'),
    recurring: priceData.recurring ? recurringOf(priceData.recurring, (field) => `default_price_data[recurring][${field}]`) : null,
    metadata: mergeMetadata({}, priceData.metadata),
    taxBehavior: optionalEnum(priceData.tax_behavior, 'default_price_data[tax_behavior]', TAX_BEHAVIORS),
  };
  const product = createProduct(context, params);
  const price = priceFields && context.store.put(priceObject({ ...priceFields, product: product.id }, context.now()));
  if (price) product.default_price = price.id;
  context.emit('product.created', product, meta);
  if (price) context.emit('price.created', price, meta);
  return product;
}

/** POST /v1/prices: validates everything before the inline product (if any) is created. */
function createPriceFromParams(context: EmulatorContext, params: Params, meta: RequestMeta): StripeObject {
  requirePerUnit(params.billing_scheme);
  const fields = {
    currency: currencyOf(params.currency),
    unitAmount: amountOf(params.unit_amount, 'unit_amount'),
    recurring: params.recurring ? recurringOf(params.recurring, (field) => `recurring[${field}]`) : null,
    nickname: optionalString(params.nickname, 'nickname') ?? null,
    metadata: mergeMetadata({}, params.metadata),
    active: optionalBoolean(params.active, 'active') ?? true,
    taxBehavior: optionalEnum(params.tax_behavior, 'tax_behavior', TAX_BEHAVIORS),
  };
  const lookupKey = optionalString(params.lookup_key, 'lookup_key') || null;
  const holder = lookupKey ? lookupKeyHolder(context, lookupKey, optionalBoolean(params.transfer_lookup_key, 'transfer_lookup_key') ?? false) : undefined;
  const product = productForPrice(context, params, meta);
  if (holder) releaseLookupKey(context, holder, meta);
  return createPrice(context, { ...fields, lookupKey, product }, meta);
}
