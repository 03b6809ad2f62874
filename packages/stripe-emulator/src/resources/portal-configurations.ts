/**
 * Billing portal configurations: create, update, retrieve, list; validated as Stripe validates them
 * (unknown features are rejected, headline <= 60 characters, at most 10 products for updates, one
 * price per interval and currency per product, pause durations of at most three years).
 */

import type { EmulatorContext, RequestMeta, ResourceModule } from '../context';
import { invalidParameter, invalidRequest, missingParameter, noSuch } from '../errors';
import { requireObject } from '../lookup';
import {
  arrayOf,
  checkParams,
  expandPaths,
  mergeMetadata,
  optionalBoolean,
  optionalEnum,
  optionalInteger,
  optionalString,
  type ParamSpec,
  type Params,
  requireMaxLength,
} from '../params';
import { listRoute, retrieveRoute } from '../routes';
import { newId, type StripeObject } from '../store';
import { expand, previousAttributes } from '../wire';

const CUSTOMER_UPDATES = ['address', 'email', 'name', 'phone', 'shipping', 'tax_id'] as const;
const CANCELLATION_REASONS = [
  'customer_service',
  'low_quality',
  'missing_features',
  'other',
  'switched_service',
  'too_complex',
  'too_expensive',
  'unused',
] as const;
const PRORATION_BEHAVIORS = ['always_invoice', 'create_prorations', 'none'] as const;
const UPDATABLE = ['price', 'promotion_code', 'quantity'] as const;
const MAX_UPDATE_PRODUCTS = 10;
const MAX_HEADLINE = 60;
const PAUSE_INTERVALS = ['day', 'week', 'month', 'year'] as const;
/** Stripe's limit on a pause duration (three years), per interval unit. */
const MAX_PAUSE_COUNT: Record<(typeof PAUSE_INTERVALS)[number], number> = { day: 3 * 365, week: 3 * 52, month: 3 * 12, year: 3 };

const FEATURES: ParamSpec = {
  customer_update: { allowed_updates: ['value'], enabled: 'value' },
  invoice_history: { enabled: 'value' },
  payment_method_update: { enabled: 'value', payment_method_configuration: 'value' },
  subscription_cancel: {
    cancellation_reason: { enabled: 'value', options: ['value'] },
    enabled: 'value',
    mode: 'value',
    proration_behavior: 'value',
  },
  subscription_pause: {
    enabled: 'value',
    duration: { type: 'value', interval_options: [{ interval: 'value', interval_count: 'value' }] },
  },
  subscription_update: {
    default_allowed_updates: ['value'],
    enabled: 'value',
    products: [{ product: 'value', prices: ['value'], adjustable_quantity: { enabled: 'value', maximum: 'value', minimum: 'value' } }],
    proration_behavior: 'value',
    schedule_at_period_end: { conditions: [{ type: 'value' }] },
    billing_cycle_anchor: 'value',
    trial_update_behavior: 'value',
  },
};

const WRITABLE: Record<string, ParamSpec> = {
  business_profile: { headline: 'value', privacy_policy_url: 'value', terms_of_service_url: 'value' },
  default_return_url: 'value',
  features: FEATURES,
  login_page: { enabled: 'value' },
  metadata: 'map',
  name: 'value',
};

function emptyFeatures(): StripeObject['features'] {
  return {
    customer_update: { allowed_updates: [], enabled: false },
    invoice_history: { enabled: false },
    payment_method_update: { enabled: false, payment_method_configuration: null },
    subscription_cancel: {
      cancellation_reason: { enabled: false, feedback_options: null, options: [] },
      enabled: false,
      mode: 'at_period_end',
      proration_behavior: 'none',
    },
    // Stripe's default when none is given: disabled, with a single one-month option.
    subscription_pause: { duration: { interval_options: [{ interval: 'month', interval_count: 1 }], type: 'interval_options' }, enabled: false },
    subscription_update: {
      billing_cycle_anchor: null,
      default_allowed_updates: [],
      enabled: false,
      products: [],
      proration_behavior: 'none',
      schedule_at_period_end: { conditions: [] },
      trial_update_behavior: 'end_trial',
    },
  };
}

/** The account's default configuration, created on first use (Stripe's comes from the Dashboard). */
export function defaultConfiguration(context: EmulatorContext, meta: RequestMeta): StripeObject {
  const existing = context.store.all('billing_portal.configuration').find((configuration) => configuration.is_default);
  if (existing) return existing;
  const features = emptyFeatures();
  features.customer_update = { allowed_updates: ['email', 'address'], enabled: true };
  features.invoice_history.enabled = true;
  features.payment_method_update.enabled = true;
  features.subscription_cancel.enabled = true;
  return createConfiguration(context, { features }, meta, true);
}

function createConfiguration(
  context: EmulatorContext,
  fields: { features: StripeObject['features'] } & Params,
  meta: RequestMeta,
  isDefault: boolean,
): StripeObject {
  const now = context.now();
  const configuration = context.store.put<StripeObject>({
    id: newId('bpc'),
    object: 'billing_portal.configuration',
    active: true,
    application: null,
    business_profile: { headline: null, privacy_policy_url: null, terms_of_service_url: null, ...fields.business_profile },
    created: now,
    default_return_url: fields.default_return_url ?? null,
    features: fields.features,
    is_default: isDefault,
    livemode: false,
    login_page: { enabled: false, url: null },
    metadata: fields.metadata ?? {},
    name: fields.name ?? null,
    updated: now,
  });
  applyLoginPage(context, configuration, fields.login_page);
  context.emit('billing_portal.configuration.created', configuration, meta);
  return configuration;
}

function applyLoginPage(context: EmulatorContext, configuration: StripeObject, loginPage: Params | undefined): void {
  const enabled = optionalBoolean(loginPage?.enabled, 'login_page[enabled]');
  if (enabled === undefined) return;
  configuration.login_page = { enabled, url: enabled ? `${context.baseUrl()}/p/login/${newId('x', 24).slice(2)}` : null };
}

function applyBusinessProfile(target: StripeObject, profile: Params | undefined): void {
  if (profile === undefined) return;
  for (const field of ['headline', 'privacy_policy_url', 'terms_of_service_url'] as const) {
    const value = optionalString(profile[field], `business_profile[${field}]`);
    if (value === undefined) continue;
    if (field === 'headline') requireMaxLength(value, 'business_profile[headline]', MAX_HEADLINE);
    if (field !== 'headline' && value !== '') requireUrl(value, `business_profile[${field}]`);
    target.business_profile[field] = value === '' ? null : value;
  }
}

export function requireUrl(value: string, param: string): void {
  try {
    const url = new URL(value);
    if (!/^https?:$/.test(url.protocol)) throw new Error('scheme');
  } catch {
    throw invalidParameter(param, 'Not a valid URL', 'url_invalid');
  }
}

/** Merges feature parameters into `features` (partial updates keep the rest), validating each value. */
function applyFeatures(context: EmulatorContext, features: StripeObject['features'], params: Params | '' | undefined): void {
  if (params === undefined || params === '') return;
  if (params.customer_update) {
    const target = features.customer_update;
    target.enabled = optionalBoolean(params.customer_update.enabled, 'features[customer_update][enabled]') ?? target.enabled;
    if (params.customer_update.allowed_updates !== undefined) {
      target.allowed_updates = arrayOf<string>(params.customer_update.allowed_updates).map((value, index) =>
        optionalEnum(value, `features[customer_update][allowed_updates][${index}]`, CUSTOMER_UPDATES),
      );
    }
  }
  if (params.invoice_history)
    features.invoice_history.enabled =
      optionalBoolean(params.invoice_history.enabled, 'features[invoice_history][enabled]') ?? features.invoice_history.enabled;
  if (params.payment_method_update) {
    features.payment_method_update.enabled =
      optionalBoolean(params.payment_method_update.enabled, 'features[payment_method_update][enabled]') ?? features.payment_method_update.enabled;
  }
  if (params.subscription_cancel) applyCancelFeature(features.subscription_cancel, params.subscription_cancel);
  if (params.subscription_pause) applyPauseFeature(features.subscription_pause, params.subscription_pause);
  if (params.subscription_update) applyUpdateFeature(context, features.subscription_update, params.subscription_update);
  validateFeatures(features);
}

function applyCancelFeature(target: StripeObject['features']['subscription_cancel'], params: Params): void {
  const prefix = 'features[subscription_cancel]';
  target.enabled = optionalBoolean(params.enabled, `${prefix}[enabled]`) ?? target.enabled;
  target.mode = optionalEnum(params.mode, `${prefix}[mode]`, ['at_period_end', 'immediately'] as const) ?? target.mode;
  target.proration_behavior = optionalEnum(params.proration_behavior, `${prefix}[proration_behavior]`, PRORATION_BEHAVIORS) ?? target.proration_behavior;
  if (params.cancellation_reason) {
    const reason = params.cancellation_reason;
    target.cancellation_reason.enabled = optionalBoolean(reason.enabled, `${prefix}[cancellation_reason][enabled]`) ?? target.cancellation_reason.enabled;
    if (reason.options !== undefined) {
      target.cancellation_reason.options = arrayOf<string>(reason.options).map((value, index) =>
        optionalEnum(value, `${prefix}[cancellation_reason][options][${index}]`, CANCELLATION_REASONS),
      );
    }
    if (target.cancellation_reason.enabled && target.cancellation_reason.options.length === 0) {
      throw missingParameter(`${prefix}[cancellation_reason][options]`);
    }
  }
}

function applyPauseFeature(target: StripeObject['features']['subscription_pause'], params: Params): void {
  const prefix = 'features[subscription_pause]';
  target.enabled = optionalBoolean(params.enabled, `${prefix}[enabled]`) ?? target.enabled;
  if (params.duration === undefined || params.duration === '') return;
  const type = optionalEnum(params.duration.type, `${prefix}[duration][type]`, ['indefinite', 'interval_options'] as const);
  if (!type) throw missingParameter(`${prefix}[duration][type]`);
  const options = arrayOf(params.duration.interval_options).map((option, index) =>
    pauseIntervalOption(option, `${prefix}[duration][interval_options][${index}]`),
  );
  if (type === 'interval_options' && options.length === 0) throw missingParameter(`${prefix}[duration][interval_options]`);
  if (type === 'indefinite' && options.length > 0) {
    throw invalidParameter(`${prefix}[duration][interval_options]`, '`interval_options` can only be set when `duration[type]` is `interval_options`.');
  }
  target.duration = { interval_options: options, type };
}

function pauseIntervalOption(option: Params, param: string): { interval: string; interval_count: number } {
  const interval = optionalEnum(option.interval, `${param}[interval]`, PAUSE_INTERVALS);
  if (!interval) throw missingParameter(`${param}[interval]`);
  const count = optionalInteger(option.interval_count, `${param}[interval_count]`) ?? 1;
  if (count < 1) throw invalidParameter(`${param}[interval_count]`, 'Invalid interval_count: must be at least 1.', 'parameter_invalid_integer');
  if (count > MAX_PAUSE_COUNT[interval]) {
    throw invalidParameter(
      `${param}[interval_count]`,
      `A pause can last at most three years (${MAX_PAUSE_COUNT[interval]} ${interval}s); got ${count} ${interval}s.`,
      'parameter_invalid_integer',
    );
  }
  return { interval, interval_count: count };
}

function applyUpdateFeature(context: EmulatorContext, target: StripeObject['features']['subscription_update'], params: Params): void {
  const prefix = 'features[subscription_update]';
  target.enabled = optionalBoolean(params.enabled, `${prefix}[enabled]`) ?? target.enabled;
  target.proration_behavior = optionalEnum(params.proration_behavior, `${prefix}[proration_behavior]`, PRORATION_BEHAVIORS) ?? target.proration_behavior;
  if (params.default_allowed_updates !== undefined) {
    target.default_allowed_updates = arrayOf<string>(params.default_allowed_updates).map((value, index) =>
      optionalEnum(value, `${prefix}[default_allowed_updates][${index}]`, UPDATABLE),
    );
  }
  if (params.trial_update_behavior !== undefined) {
    target.trial_update_behavior = optionalEnum(params.trial_update_behavior, `${prefix}[trial_update_behavior]`, ['continue_trial', 'end_trial'] as const);
  }
  if (params.schedule_at_period_end !== undefined) {
    target.schedule_at_period_end = {
      conditions: arrayOf(params.schedule_at_period_end.conditions).map((condition, index) => ({
        type: optionalEnum(condition.type, `${prefix}[schedule_at_period_end][conditions][${index}][type]`, [
          'decreasing_item_amount',
          'shortening_interval',
        ] as const),
      })),
    };
  }
  if (params.products !== undefined) target.products = updateProducts(context, arrayOf(params.products), `${prefix}[products]`);
}

function updateProducts(context: EmulatorContext, products: Params[], param: string): Params[] {
  if (products.length > MAX_UPDATE_PRODUCTS) {
    throw invalidParameter(param, `Invalid array: must have at most ${MAX_UPDATE_PRODUCTS} elements`);
  }
  return products.map((entry, index) => {
    const productParam = `${param}[${index}][product]`;
    const productId = optionalString(entry.product, productParam);
    if (!productId) throw missingParameter(productParam);
    if (!context.store.get(productId, 'product')) throw noSuch('product', productId, productParam);
    const priceIds = arrayOf<string>(entry.prices).map(String);
    if (priceIds.length === 0) throw missingParameter(`${param}[${index}][prices]`);
    const seen = new Set<string>();
    for (const [priceIndex, priceId] of priceIds.entries()) {
      const pricesParam = `${param}[${index}][prices][${priceIndex}]`;
      const price = context.store.get(priceId, 'price');
      if (!price) throw noSuch('price', priceId, pricesParam);
      if (price.product !== productId) throw invalidParameter(pricesParam, `The price \`${priceId}\` does not belong to the product \`${productId}\`.`);
      if (!price.recurring) throw invalidParameter(pricesParam, `The price \`${priceId}\` is not a recurring price.`);
      const slot = `${price.recurring.interval}/${price.recurring.interval_count}/${price.currency}`;
      if (seen.has(slot)) {
        throw invalidParameter(
          `${param}[${index}][prices]`,
          `The product \`${productId}\` has more than one price with the same interval and currency; only one price per interval and currency can be offered.`,
        );
      }
      seen.add(slot);
    }
    const quantity = entry.adjustable_quantity;
    return {
      adjustable_quantity: {
        enabled: optionalBoolean(quantity?.enabled, `${param}[${index}][adjustable_quantity][enabled]`) ?? false,
        maximum: optionalInteger(quantity?.maximum, `${param}[${index}][adjustable_quantity][maximum]`) ?? null,
        minimum: optionalInteger(quantity?.minimum, `${param}[${index}][adjustable_quantity][minimum]`) ?? 1,
      },
      prices: priceIds,
      product: productId,
    };
  });
}

function validateFeatures(features: StripeObject['features']): void {
  const update = features.subscription_update;
  if (update.enabled && (update.products.length === 0 || update.default_allowed_updates.length === 0)) {
    throw invalidParameter(
      'features[subscription_update]',
      'To enable subscription updates, you must set `features[subscription_update][products]` and `features[subscription_update][default_allowed_updates]`.',
      'parameter_missing',
    );
  }
}

export const portalConfigurations: ResourceModule = (context) => {
  const { store } = context;
  return [
    {
      method: 'POST',
      path: '/v1/billing_portal/configurations',
      handle({ params, meta }) {
        checkParams(params, WRITABLE);
        if (params.features === undefined || params.features === '') throw missingParameter('features');
        const features = emptyFeatures();
        applyFeatures(context, features, params.features);
        const draft = { business_profile: { headline: null, privacy_policy_url: null, terms_of_service_url: null } } as unknown as StripeObject;
        applyBusinessProfile(draft, params.business_profile);
        const returnUrl = optionalString(params.default_return_url, 'default_return_url');
        if (returnUrl) requireUrl(returnUrl, 'default_return_url');
        const configuration = createConfiguration(
          context,
          {
            features,
            business_profile: draft.business_profile,
            default_return_url: returnUrl || null,
            metadata: mergeMetadata({}, params.metadata),
            name: optionalString(params.name, 'name') || null,
            login_page: params.login_page,
          },
          meta,
          false,
        );
        return expand(configuration, expandPaths(params), store);
      },
    },
    retrieveRoute(context, '/v1/billing_portal/configurations/:id', 'billing_portal.configuration'),
    {
      method: 'POST',
      path: '/v1/billing_portal/configurations/:id',
      handle({ pathParams, params, meta }) {
        checkParams(params, { ...WRITABLE, active: 'value' });
        const configuration = requireObject(context.store, 'billing_portal.configuration', pathParams.id!);
        // Validate on a copy: a rejected update changes nothing.
        const next = structuredClone(configuration);
        applyFeatures(context, next.features, params.features);
        applyBusinessProfile(next, params.business_profile);
        if (params.default_return_url !== undefined) {
          if (params.default_return_url) requireUrl(params.default_return_url, 'default_return_url');
          next.default_return_url = params.default_return_url || null;
        }
        const active = optionalBoolean(params.active, 'active');
        if (active === false && next.is_default) throw invalidRequest('You cannot deactivate the default configuration.', 'active');
        if (active !== undefined) next.active = active;
        if (params.name !== undefined) next.name = params.name || null;
        next.metadata = mergeMetadata(next.metadata, params.metadata);
        applyLoginPage(context, next, params.login_page);
        const previous = previousAttributes(configuration, next);
        if (Object.keys(previous).length > 0) {
          next.updated = context.now();
          Object.assign(configuration, next);
          context.emit('billing_portal.configuration.updated', configuration, meta, previous);
        }
        return expand(configuration, expandPaths(params), store);
      },
    },
    listRoute(context, '/v1/billing_portal/configurations', 'billing_portal.configuration', {
      filters: { active: 'value', is_default: 'value' },
      where(params) {
        const active = optionalBoolean(params.active, 'active');
        const isDefault = optionalBoolean(params.is_default, 'is_default');
        return (configuration) =>
          (active === undefined || configuration.active === active) && (isDefault === undefined || configuration.is_default === isDefault);
      },
    }),
  ];
};
