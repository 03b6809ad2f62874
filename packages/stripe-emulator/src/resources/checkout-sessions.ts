/**
 * Checkout Sessions in `payment` and `subscription` mode: create, retrieve, update (metadata), list,
 * list line items, expire. A session is paid on the hosted page at its `url` (pages/checkout.ts) or
 * through the payment page API that Stripe.js and the Stripe CLI call (GET /v1/payment_pages/:id,
 * POST /v1/payment_pages/:id/confirm); both go through `payCheckoutSession`, so they create the same
 * customer, payment method, subscription or payment intent and emit the same events.
 *
 * An open session whose `expires_at` has passed on the emulator clock expires the next time anything
 * reads sessions (checkout.session.expired, once), since the emulator runs no background timers.
 */
import { type EmulatorContext, NO_REQUEST, type RequestMeta, type ResourceModule } from '../context';
import { invalidParameter, invalidRequest, missingParameter, type StripeApiError } from '../errors';
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
  required,
} from '../params';
import { clone, newId, type StripeObject } from '../store';
import { emitIfChanged, expand, matchesCreated, newestFirst, paginate } from '../wire';
import { customers } from './customers';
import {
  chargeBehaviour,
  confirmPaymentIntent,
  createPaymentIntent,
  DELAYED_PAYMENT_METHOD_TYPES,
  DYNAMIC_PAYMENT_METHOD_TYPES,
  declineError,
  SHIPPING,
  settleProcessingPayment,
} from './payment-intents';
import { attachPaymentMethod, type CardDecline, cardError, resolvePaymentMethod } from './payment-methods';
import { products } from './products';
import { createSubscription } from './subscriptions';

const MODES = ['payment', 'subscription', 'setup'] as const;
const UI_MODES = ['hosted_page', 'embedded_page', 'elements', 'form'] as const;
const LOCALES = [
  'auto',
  'bg',
  'cs',
  'da',
  'de',
  'el',
  'en',
  'en-GB',
  'es',
  'es-419',
  'et',
  'fi',
  'fil',
  'fr',
  'fr-CA',
  'hi-IN',
  'hr',
  'hu',
  'id',
  'it',
  'ja',
  'ko',
  'lt',
  'lv',
  'ms',
  'mt',
  'nb',
  'nl',
  'pl',
  'pt',
  'pt-BR',
  'ro',
  'ru',
  'sk',
  'sl',
  'sv',
  'th',
  'tr',
  'vi',
  'zh',
  'zh-HK',
  'zh-TW',
] as const;
/** Payment method types a Checkout Session may list (stripe-node's AllowedPaymentMethodType). */
const SESSION_PAYMENT_METHOD_TYPES: readonly string[] = [
  'acss_debit',
  'affirm',
  'afterpay_clearpay',
  'alipay',
  'alma',
  'amazon_pay',
  'au_becs_debit',
  'bacs_debit',
  'bancontact',
  'billie',
  'bizum',
  'blik',
  'boleto',
  'card',
  'cashapp',
  'crypto',
  'customer_balance',
  'eps',
  'fpx',
  'giropay',
  'grabpay',
  'ideal',
  'kakao_pay',
  'klarna',
  'konbini',
  'kr_card',
  'link',
  'mb_way',
  'mobilepay',
  'multibanco',
  'naver_pay',
  'nz_bank_account',
  'oxxo',
  'p24',
  'pay_by_bank',
  'payco',
  'paynow',
  'paypal',
  'paypay',
  'payto',
  'pix',
  'promptpay',
  'revolut_pay',
  'samsung_pay',
  'satispay',
  'scalapay',
  'sepa_debit',
  'sequra',
  'sofort',
  'sunbit',
  'swish',
  'twint',
  'upi',
  'us_bank_account',
  'wechat_pay',
  'zip',
];
/** Bank debits pay in one currency only. */
const ONLY_CURRENCY: Record<string, string> = { sepa_debit: 'eur', us_bank_account: 'usd', bacs_debit: 'gbp', au_becs_debit: 'aud', acss_debit: 'cad' };

/** By default a session stays open 24 hours; it may be set between 30 minutes and 24 hours ahead. */
const DEFAULT_LIFETIME_SECONDS = 24 * 3600;
const MINIMUM_LIFETIME_SECONDS = 30 * 60;

const LINE_ITEM: ParamSpec = {
  price: 'value',
  quantity: 'value',
  metadata: 'map',
  adjustable_quantity: { enabled: 'value', maximum: 'value', minimum: 'value' },
  price_data: {
    currency: 'value',
    product: 'value',
    product_data: { name: 'value', description: 'value', images: ['value'], metadata: 'map', tax_code: 'value', unit_label: 'value' },
    recurring: { interval: 'value', interval_count: 'value' },
    tax_behavior: 'value',
    unit_amount: 'value',
    unit_amount_decimal: 'value',
  },
};

const PAYMENT_INTENT_DATA: ParamSpec = {
  capture_method: 'value',
  description: 'value',
  metadata: 'map',
  receipt_email: 'value',
  setup_future_usage: 'value',
  shipping: SHIPPING,
  statement_descriptor: 'value',
  statement_descriptor_suffix: 'value',
  transfer_group: 'value',
};

/** What Checkout passes on to the subscription it creates. */
const SUBSCRIPTION_DATA: ParamSpec = {
  billing_cycle_anchor: 'value',
  description: 'value',
  metadata: 'map',
  proration_behavior: 'value',
  trial_end: 'value',
  trial_period_days: 'value',
  trial_settings: { end_behavior: { missing_payment_method: 'value' } },
};

const CUSTOM_TEXT_MESSAGE: ParamSpec = { message: 'value' };

const CREATE: Record<string, ParamSpec> = {
  adaptive_pricing: { enabled: 'value' },
  allow_promotion_codes: 'value',
  allowed_payment_method_types: ['value'],
  automatic_tax: { enabled: 'value', liability: { type: 'value', account: 'value' } },
  billing_address_collection: 'value',
  cancel_url: 'value',
  client_reference_id: 'value',
  consent_collection: { payment_method_reuse_agreement: { position: 'value' }, promotions: 'value', terms_of_service: 'value' },
  currency: 'value',
  custom_text: {
    after_submit: CUSTOM_TEXT_MESSAGE,
    shipping_address: CUSTOM_TEXT_MESSAGE,
    submit: CUSTOM_TEXT_MESSAGE,
    terms_of_service_acceptance: CUSTOM_TEXT_MESSAGE,
  },
  customer: 'value',
  customer_creation: 'value',
  customer_email: 'value',
  excluded_payment_method_types: ['value'],
  expires_at: 'value',
  line_items: [LINE_ITEM],
  locale: 'value',
  metadata: 'map',
  mode: 'value',
  origin_context: 'value',
  payment_intent_data: PAYMENT_INTENT_DATA,
  payment_method_collection: 'value',
  // Renamed allowed_payment_method_types in 2026, still sent by older integrations and the Stripe CLI.
  payment_method_types: ['value'],
  phone_number_collection: { enabled: 'value' },
  redirect_on_completion: 'value',
  return_url: 'value',
  submit_type: 'value',
  subscription_data: SUBSCRIPTION_DATA,
  success_url: 'value',
  tax_id_collection: { enabled: 'value', required: 'value' },
  ui_mode: 'value',
};

const LIST_FILTERS: Record<string, ParamSpec> = {
  customer: 'value',
  customer_account: 'value',
  customer_details: { email: 'value' },
  payment_intent: 'value',
  payment_link: 'value',
  status: 'value',
  subscription: 'value',
  created: 'map',
  limit: 'value',
  starting_after: 'value',
  ending_before: 'value',
};

/**
 * The emulator's private record of a session (never on the wire): the secret in the hosted page URL,
 * the line items, and the data Checkout hands to the payment intent or subscription it creates.
 */
export interface CheckoutRecord extends StripeObject {
  object: 'emulator.checkout_session';
  /** The secret in the page URL. */
  secret: string;
  session: string;
  lineItems: StripeObject[];
  paymentIntentData: Params;
  subscriptionData: Params;
}

// ---------- creation ----------

/** A requested line item: a stored price, or price_data to create one once the whole request is valid. */
interface RequestedItem {
  param: string;
  price?: StripeObject;
  priceData?: Params;
  currency: string;
  recurring: boolean;
  unitAmount: number;
  quantity: number;
  metadata: Record<string, string>;
  adjustable: StripeObject['adjustable_quantity'];
}

/**
 * Builds an inline price (and its product from product_data) through the products API, so it is stored
 * and announced exactly as the API does.
 */
function inlinePrice(context: EmulatorContext, data: Params, param: string, meta: RequestMeta): StripeObject {
  const routes = products(context);
  let product = optionalString(data.product, `${param}[product]`);
  if (!product) {
    const productData = data.product_data as Params;
    product = (callRoute(routes, '/v1/products', productData, meta) as StripeObject).id;
  }
  const priceParams: Params = {
    product,
    currency: data.currency,
    unit_amount: data.unit_amount,
    ...(data.recurring && { recurring: data.recurring }),
    ...(data.tax_behavior && { tax_behavior: data.tax_behavior }),
  };
  const created = callRoute(routes, '/v1/prices', priceParams, meta) as StripeObject;
  return requireObject(context.store, 'price', created.id);
}

type RouteList = ReturnType<ResourceModule>;

function callRoute(routes: RouteList, path: string, params: Params, meta: RequestMeta): unknown {
  const route = routes.find((candidate) => candidate.method === 'POST' && candidate.path === path)!;
  return route.handle({ method: 'POST', path, pathParams: {}, params, meta });
}

/** price_data checked up front, so that a refused request creates no product or price. */
function checkPriceData(context: EmulatorContext, data: Params, param: string): { currency: string; recurring: boolean; unitAmount: number } {
  const currency = required(optionalString(data.currency, `${param}[currency]`), `${param}[currency]`).toLowerCase();
  const unitAmount = required(optionalInteger(data.unit_amount, `${param}[unit_amount]`), `${param}[unit_amount]`);
  const product = optionalString(data.product, `${param}[product]`);
  if (product) requireObject(context.store, 'product', product, `${param}[product]`);
  else required(optionalString((data.product_data as Params | undefined)?.name, `${param}[product_data][name]`), `${param}[product_data][name]`);
  if (data.recurring)
    required(
      optionalEnum(data.recurring.interval, `${param}[recurring][interval]`, ['day', 'week', 'month', 'year'] as const),
      `${param}[recurring][interval]`,
    );
  return { currency, recurring: Boolean(data.recurring), unitAmount };
}

function requestedItems(context: EmulatorContext, params: Params): RequestedItem[] {
  return arrayOf(params.line_items).map((item, index) => {
    const param = `line_items[${index}]`;
    if (item.price && item.price_data) throw invalidRequest(`You may only specify one of these parameters: ${param}[price], ${param}[price_data].`);
    const quantity = optionalInteger(item.quantity, `${param}[quantity]`);
    if (quantity === undefined) throw invalidParameter(`${param}[quantity]`, `Quantity is required. Add \`quantity\` to \`${param}\``, 'parameter_missing');
    if (quantity < 1) throw invalidParameter(`${param}[quantity]`, 'Quantity must be greater than 0.', 'parameter_invalid_integer');
    const adjustable = item.adjustable_quantity
      ? {
          enabled: optionalBoolean(item.adjustable_quantity.enabled, `${param}[adjustable_quantity][enabled]`) ?? false,
          maximum: optionalInteger(item.adjustable_quantity.maximum, `${param}[adjustable_quantity][maximum]`) ?? null,
          minimum: optionalInteger(item.adjustable_quantity.minimum, `${param}[adjustable_quantity][minimum]`) ?? null,
        }
      : null;
    const common = { param, quantity, metadata: mergeMetadata({}, item.metadata), adjustable };
    if (item.price_data) return { ...common, priceData: item.price_data as Params, ...checkPriceData(context, item.price_data, `${param}[price_data]`) };
    const price = requireObject(context.store, 'price', required(optionalString(item.price, `${param}[price]`), `${param}[price]`), `${param}[price]`);
    if (!price.active) throw invalidParameter(`${param}[price]`, 'The price specified is inactive. This field only accepts active prices.');
    return { ...common, price, currency: price.currency as string, recurring: Boolean(price.recurring), unitAmount: price.unit_amount as number };
  });
}

function checkItemsForMode(items: RequestedItem[], mode: string): void {
  const recurring = items.filter((item) => item.recurring);
  if (mode === 'payment' && recurring.length > 0) {
    throw invalidParameter(
      'line_items',
      'You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.',
    );
  }
  if (mode === 'subscription' && recurring.length === 0) {
    throw invalidParameter('line_items', 'You must provide at least one recurring price in `subscription` mode when using prices.');
  }
  // The subscription is created with createSubscription, which bills recurring prices only.
  if (mode === 'subscription' && recurring.length < items.length) {
    throw invalidParameter(
      'line_items',
      'One-time prices in `subscription` mode are not supported by the Stripe emulator; use `payment` mode for one-time purchases.',
    );
  }
}

function currencyOf(items: RequestedItem[], given: string | undefined): string | null {
  const currencies = new Set(items.map((item) => item.currency));
  if (given) currencies.add(given.toLowerCase());
  if (currencies.size > 1) throw invalidParameter('line_items', 'All line items and the session must use the same currency.');
  return [...currencies][0] ?? null;
}

function paymentMethodTypesOf(params: Params, currency: string | null, mode: string): { types: string[]; allowed: string[] | null } {
  const given = params.allowed_payment_method_types ?? params.payment_method_types;
  const param = params.allowed_payment_method_types !== undefined ? 'allowed_payment_method_types' : 'payment_method_types';
  if (given === undefined) {
    const excluded = arrayOf<string>(params.excluded_payment_method_types).map(String);
    return { types: DYNAMIC_PAYMENT_METHOD_TYPES.filter((type) => !excluded.includes(type)), allowed: null };
  }
  const types = arrayOf<string>(given).map(String);
  if (types.length === 0) throw invalidParameter(param, `Invalid ${param}: must contain at least one payment method type.`);
  types.forEach((type, index) => {
    if (!SESSION_PAYMENT_METHOD_TYPES.includes(type))
      throw invalidParameter(`${param}[${index}]`, `Invalid ${param}[${index}]: must be one of ${SESSION_PAYMENT_METHOD_TYPES.join(', ')}`);
    const only = ONLY_CURRENCY[type];
    if (only && currency && currency !== only) {
      throw invalidParameter(
        param,
        `The currency provided (${currency}) is invalid for one or more payment method types on this Checkout Session. The payment method type ${type} supports: ${only}.`,
      );
    }
    // Subscriptions are billed by createSubscription, which collects at once; a bank debit settles later.
    if (mode === 'subscription' && (DELAYED_PAYMENT_METHOD_TYPES as readonly string[]).includes(type)) {
      throw invalidParameter(param, `The Stripe emulator supports ${type} in \`payment\` mode only.`);
    }
  });
  return { types, allowed: params.allowed_payment_method_types !== undefined ? types : null };
}

function expiresAtOf(value: unknown, now: number): number {
  const expiresAt = optionalInteger(value, 'expires_at');
  if (expiresAt === undefined) return now + DEFAULT_LIFETIME_SECONDS;
  if (expiresAt > now + DEFAULT_LIFETIME_SECONDS) {
    throw invalidParameter('expires_at', 'The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.', 'parameter_invalid_integer');
  }
  if (expiresAt < now + MINIMUM_LIFETIME_SECONDS) {
    throw invalidParameter('expires_at', 'The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.', 'parameter_invalid_integer');
  }
  return expiresAt;
}

function checkUrls(params: Params, uiMode: string): void {
  const hosted = uiMode === 'hosted_page';
  if (!hosted && params.success_url !== undefined) {
    throw invalidParameter('success_url', `You cannot use \`success_url\` with \`ui_mode=${uiMode}\`. Use \`return_url\` instead.`);
  }
  if (hosted && params.return_url !== undefined) {
    throw invalidParameter('return_url', 'You cannot use `return_url` with `ui_mode=hosted_page`. Use `success_url` instead.');
  }
  if (!hosted && params.cancel_url !== undefined) throw invalidParameter('cancel_url', `You cannot use \`cancel_url\` with \`ui_mode=${uiMode}\`.`);
  if (!hosted && params.return_url === undefined && params.redirect_on_completion !== 'never') throw missingParameter('return_url');
  for (const name of ['success_url', 'cancel_url', 'return_url']) {
    const url = optionalString(params[name], name);
    if (url !== undefined && !/^https?:\/\/\S+$/.test(url)) throw invalidParameter(name, 'Not a valid URL', 'url_invalid');
  }
}

function checkCustomer(context: EmulatorContext, params: Params, mode: string): StripeObject | undefined {
  if (params.customer !== undefined && params.customer_email !== undefined) {
    throw invalidRequest('You may only specify one of these parameters: customer, customer_email.');
  }
  if (params.customer_creation !== undefined && mode === 'subscription') {
    throw invalidParameter('customer_creation', '`customer_creation` can only be used in `payment` and `setup` mode.');
  }
  if (params.customer_creation !== undefined && params.customer !== undefined) {
    throw invalidParameter('customer_creation', '`customer_creation` can only be used when `customer` is not set.');
  }
  if (params.payment_intent_data !== undefined && mode !== 'payment') {
    throw invalidParameter('payment_intent_data', '`payment_intent_data` can only be used in `payment` mode.');
  }
  if (params.subscription_data !== undefined && mode !== 'subscription') {
    throw invalidParameter('subscription_data', '`subscription_data` can only be used in `subscription` mode.');
  }
  return params.customer !== undefined ? requireObject(context.store, 'customer', String(params.customer), 'customer') : undefined;
}

/** The session's line item for a requested item, creating its inline price now that the request is valid. */
function lineItemObject(context: EmulatorContext, item: RequestedItem, meta: RequestMeta): StripeObject {
  const price = item.price ?? inlinePrice(context, item.priceData!, `${item.param}[price_data]`, meta);
  const amount = price.unit_amount * item.quantity;
  const product = context.store.get(price.product, 'product');
  return {
    id: newId('li'),
    object: 'item',
    adjustable_quantity: item.adjustable,
    amount_discount: 0,
    amount_subtotal: amount,
    amount_tax: 0,
    amount_total: amount,
    currency: price.currency,
    description: product?.name ?? null,
    metadata: item.metadata,
    price: structuredClone(price),
    quantity: item.quantity,
  };
}

/** The amount due today: the line items, or nothing while a subscription starts with a trial. */
function amountDueNow(items: RequestedItem[], mode: string, subscriptionData: Params): number {
  const trial = mode === 'subscription' && (subscriptionData.trial_period_days !== undefined || subscriptionData.trial_end !== undefined);
  return trial ? 0 : items.reduce((sum, item) => sum + item.unitAmount * item.quantity, 0);
}

function customerDetailsOf(customer: StripeObject): StripeObject['customer_details'] {
  return {
    address: customer.address ?? null,
    business_name: null,
    email: customer.email ?? null,
    individual_name: null,
    name: customer.name ?? null,
    phone: customer.phone ?? null,
    tax_exempt: customer.tax_exempt ?? 'none',
    tax_ids: [],
  };
}

function createCheckoutSession(context: EmulatorContext, params: Params, meta: RequestMeta): StripeObject {
  checkParams(params, CREATE);
  const mode = required(optionalEnum(params.mode, 'mode', MODES), 'mode');
  // Setup mode needs SetupIntents, which Checkout in the emulator does not create.
  if (mode === 'setup') throw invalidParameter('mode', 'The Stripe emulator supports Checkout in `payment` and `subscription` mode.');
  const uiMode = optionalEnum(params.ui_mode, 'ui_mode', UI_MODES) ?? 'hosted_page';
  checkUrls(params, uiMode);
  const customer = checkCustomer(context, params, mode);
  if (optionalBoolean(params.automatic_tax?.enabled, 'automatic_tax[enabled]')) {
    throw invalidParameter(
      'automatic_tax[enabled]',
      'Stripe Tax has not been activated on your account. Please visit https://stripe.com/docs/tax/set-up to get started.',
    );
  }
  if (params.line_items === undefined || params.line_items === '') throw missingParameter('line_items');
  const expiresAt = expiresAtOf(params.expires_at, context.now());
  const items = requestedItems(context, params);
  checkItemsForMode(items, mode);
  const currency = currencyOf(items, optionalString(params.currency, 'currency'));
  const { types, allowed } = paymentMethodTypesOf(params, currency, mode);
  const subscriptionData = (params.subscription_data || {}) as Params;
  const amount = amountDueNow(items, mode, subscriptionData);
  const id = newId('cs_test', 58);
  const secret = newId('cspage', 32);
  const hosted = uiMode === 'hosted_page';
  const session: StripeObject = {
    id,
    object: 'checkout.session',
    adaptive_pricing: { enabled: optionalBoolean(params.adaptive_pricing?.enabled, 'adaptive_pricing[enabled]') ?? false },
    after_expiration: null,
    allow_promotion_codes: optionalBoolean(params.allow_promotion_codes, 'allow_promotion_codes') ?? null,
    allowed_payment_method_types: allowed,
    amount_subtotal: amount,
    amount_total: amount,
    automatic_tax: { enabled: false, liability: null, provider: null, status: null },
    billing_address_collection: optionalEnum(params.billing_address_collection, 'billing_address_collection', ['auto', 'required'] as const) ?? null,
    cancel_url: optionalString(params.cancel_url, 'cancel_url') ?? null,
    client_reference_id: clientReferenceOf(params.client_reference_id),
    client_secret: hosted ? null : `${id}_secret_${newId('x', 24).slice(2)}`,
    collected_information: null,
    consent: null,
    consent_collection: consentCollectionOf(params.consent_collection),
    created: context.now(),
    currency,
    currency_conversion: null,
    custom_fields: [],
    custom_text: customTextOf(params.custom_text),
    customer: customer?.id ?? null,
    customer_account: null,
    customer_creation:
      mode === 'payment' ? (optionalEnum(params.customer_creation, 'customer_creation', ['always', 'if_required'] as const) ?? 'if_required') : null,
    customer_details: customer ? customerDetailsOf(customer) : null,
    customer_email: optionalString(params.customer_email, 'customer_email') ?? null,
    discounts: [],
    expires_at: expiresAt,
    integration_identifier: null,
    invoice: null,
    invoice_creation:
      mode === 'payment'
        ? {
            enabled: false,
            invoice_data: { account_tax_ids: null, custom_fields: null, description: null, footer: null, issuer: null, metadata: {}, rendering_options: null },
          }
        : null,
    livemode: false,
    locale: optionalEnum(params.locale, 'locale', LOCALES) ?? null,
    managed_payments: null,
    metadata: mergeMetadata({}, params.metadata),
    mode,
    origin_context: optionalEnum(params.origin_context, 'origin_context', ['mobile_app', 'web'] as const) ?? null,
    payment_intent: null,
    payment_link: null,
    payment_method_collection:
      mode === 'subscription'
        ? (optionalEnum(params.payment_method_collection, 'payment_method_collection', ['always', 'if_required'] as const) ?? 'always')
        : 'if_required',
    payment_method_configuration_details: null,
    payment_method_options: {},
    payment_method_types: types,
    payment_status: amount === 0 ? 'no_payment_required' : 'unpaid',
    permissions: null,
    phone_number_collection: { enabled: optionalBoolean(params.phone_number_collection?.enabled, 'phone_number_collection[enabled]') ?? false },
    recovered_from: null,
    saved_payment_method_options: customer ? { allow_redisplay_filters: ['always'], payment_method_remove: null, payment_method_save: null } : null,
    setup_intent: null,
    shipping_address_collection: null,
    shipping_cost: null,
    shipping_options: [],
    status: 'open',
    submit_type: optionalEnum(params.submit_type, 'submit_type', ['auto', 'book', 'donate', 'pay', 'subscribe'] as const) ?? null,
    subscription: null,
    success_url: optionalString(params.success_url, 'success_url') ?? null,
    tax_id_collection: {
      enabled: optionalBoolean(params.tax_id_collection?.enabled, 'tax_id_collection[enabled]') ?? false,
      required: params.tax_id_collection?.required ?? 'never',
    },
    total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
    ui_mode: uiMode,
    url: hosted ? `${context.baseUrl()}/c/pay/${secret}` : null,
    wallet_options: null,
    ...(params.excluded_payment_method_types && { excluded_payment_method_types: arrayOf<string>(params.excluded_payment_method_types).map(String) }),
    ...(!hosted && {
      redirect_on_completion: optionalEnum(params.redirect_on_completion, 'redirect_on_completion', ['always', 'if_required', 'never'] as const) ?? 'always',
    }),
    ...(params.return_url !== undefined && { return_url: String(params.return_url) }),
  };
  // Inline prices are created only now that every parameter is known to be valid.
  const lineItems = items.map((item) => lineItemObject(context, item, meta));
  context.store.put(session);
  context.store.put<CheckoutRecord>({
    id: `${id}_record`,
    object: 'emulator.checkout_session',
    secret,
    session: id,
    lineItems,
    paymentIntentData: (params.payment_intent_data || {}) as Params,
    subscriptionData,
  });
  // Stripe announces no event when a session is created.
  return session;
}

function clientReferenceOf(value: unknown): string | null {
  const reference = optionalString(value, 'client_reference_id');
  if (reference !== undefined && reference.length > 200)
    throw invalidParameter('client_reference_id', 'Invalid client_reference_id: must be at most 200 characters.');
  return reference ?? null;
}

function customTextOf(value: unknown): StripeObject['custom_text'] {
  const text = (value || {}) as Params;
  const message = (part: unknown) => (part && (part as Params).message ? { message: String((part as Params).message) } : null);
  return {
    after_submit: message(text.after_submit),
    shipping_address: message(text.shipping_address),
    submit: message(text.submit),
    terms_of_service_acceptance: message(text.terms_of_service_acceptance),
  };
}

function consentCollectionOf(value: unknown): StripeObject['consent_collection'] {
  if (!value) return null;
  const consent = value as Params;
  return {
    payment_method_reuse_agreement: consent.payment_method_reuse_agreement ? { position: consent.payment_method_reuse_agreement.position ?? 'auto' } : null,
    promotions: consent.promotions ?? null,
    terms_of_service: consent.terms_of_service ?? null,
  };
}

// ---------- reading ----------

function checkoutRecord(context: EmulatorContext, session: StripeObject): CheckoutRecord {
  return context.store.get(`${session.id}_record`, 'emulator.checkout_session') as CheckoutRecord;
}

/** The open or finished session behind a hosted page secret (expired first if its time has passed). */
export function findSessionBySecret(context: EmulatorContext, secret: string): { session: StripeObject; record: CheckoutRecord } | undefined {
  expireDueSessions(context);
  const record = (context.store.all('emulator.checkout_session') as CheckoutRecord[]).find((candidate) => candidate.secret === secret);
  const session = record && context.store.get(record.session, 'checkout.session');
  return record && session ? { session, record } : undefined;
}

export function lineItemsOf(context: EmulatorContext, session: StripeObject): StripeObject[] {
  return checkoutRecord(context, session).lineItems;
}

/** The session as the API answers it; `expand[]=line_items` adds the line item list. */
function present(context: EmulatorContext, session: StripeObject, paths: string[]): StripeObject {
  const wantsItems = paths.some((path) => path === 'line_items' || path.startsWith('line_items.'));
  const shown = wantsItems ? { ...session, line_items: lineItemList(context, session, {}) } : session;
  return expand(
    shown,
    paths.filter((path) => path !== 'line_items'),
    context.store,
  );
}

function lineItemList(context: EmulatorContext, session: StripeObject, params: Params) {
  return paginate(lineItemsOf(context, session), params, `/v1/checkout/sessions/${session.id}/line_items`);
}

// ---------- expiry ----------

/** Expires an open session: status expired, no URL; emits checkout.session.expired. */
function expireCheckoutSession(context: EmulatorContext, session: StripeObject, meta: RequestMeta): StripeObject {
  if (session.status !== 'open') {
    throw invalidRequest(`Only Checkout Sessions with a status in ["open"] can be expired. This session has status "${session.status}".`);
  }
  session.status = 'expired';
  session.url = null;
  context.emit('checkout.session.expired', session, meta);
  return session;
}

/** Expires every open session whose expires_at has passed, oldest deadline first. */
function expireDueSessions(context: EmulatorContext): void {
  const due = context.store
    .all('checkout.session')
    .filter((session) => session.status === 'open' && session.expires_at <= context.now())
    .sort((a, b) => a.expires_at - b.expires_at);
  for (const session of due) expireCheckoutSession(context, session, NO_REQUEST);
}

// ---------- paying ----------

/** Who is paying: what the page or Stripe.js collected besides the payment method. */
export interface Buyer {
  email?: string;
  name?: string;
}

export type PaymentResult =
  /** `processing`: a bank debit still to settle; the caller answers first, then calls settleAsyncPayment. */
  | { outcome: 'completed'; session: StripeObject; processing?: StripeObject }
  | { outcome: 'declined'; session: StripeObject; decline: CardDecline; error: StripeApiError }
  | { outcome: 'requires_action'; session: StripeObject; intent: StripeObject };

/**
 * Pays an open session with a new (unattached) payment method, as Checkout does: creates the customer
 * when needed, then the subscription (with that default_payment_method and subscription_data) or a
 * payment intent, and completes the session (checkout.session.completed). A declined card leaves the
 * session open; a 3D Secure card leaves it open until the buyer authenticates (`returnUrl`); a bank
 * debit completes the session unpaid and is returned as `processing` for the caller to settle
 * (settleAsyncPayment) once it has answered, as the bank's answer comes after the buyer's.
 */
export function payCheckoutSession(
  context: EmulatorContext,
  session: StripeObject,
  paymentMethod: StripeObject,
  buyer: Buyer,
  meta: RequestMeta,
  options: { returnUrl?: string } = {},
): PaymentResult {
  requireOpen(context, session);
  if (!session.payment_method_types.includes(paymentMethod.type)) {
    throw invalidParameter(
      'payment_method',
      `This Checkout Session does not accept payment method type \`${paymentMethod.type}\`. It accepts: ${session.payment_method_types.join(', ')}.`,
    );
  }
  const customer = session.customer ? context.store.get(session.customer, 'customer') : undefined;
  const email = buyer.email || paymentMethod.billing_details?.email || session.customer_email || customer?.email || session.customer_details?.email;
  if (!email) throw missingParameter('email');
  // Checkout saves the email it collected on a customer that had none.
  if (customer && !customer.email) {
    const before = clone(customer);
    customer.email = email;
    emitIfChanged(context, 'customer.updated', before, customer, meta);
  }
  const details = { email, name: buyer.name || paymentMethod.billing_details?.name || null };
  if (!paymentMethod.billing_details.email) paymentMethod.billing_details = { ...paymentMethod.billing_details, email };
  return session.mode === 'subscription'
    ? paySubscription(context, session, paymentMethod, details, meta)
    : payPayment(context, session, paymentMethod, details, meta, options.returnUrl);
}

function requireOpen(context: EmulatorContext, session: StripeObject): void {
  expireDueSessions(context);
  if (session.status === 'complete') throw invalidRequest('This Checkout Session has already been completed.');
  if (session.status === 'expired') throw invalidRequest('This Checkout Session has expired.');
}

function paySubscription(
  context: EmulatorContext,
  session: StripeObject,
  paymentMethod: StripeObject,
  buyer: { email: string; name: string | null },
  meta: RequestMeta,
): PaymentResult {
  const behaviour = chargeBehaviour(paymentMethod);
  // Checkout checks the card before it creates anything; a declined card changes nothing. A card asking
  // for 3D Secure is authenticated on Checkout's own page, so it goes on like any other card.
  if (behaviour.kind === 'declines')
    return { outcome: 'declined', session, decline: behaviour.decline, error: cardError(behaviour.decline, { payment_method: paymentMethod }) };
  const customer = session.customer ? requireObject(context.store, 'customer', session.customer) : createCustomer(context, buyer, meta);
  attachPaymentMethod(context, paymentMethod, customer.id, meta);
  const record = checkoutRecord(context, session);
  const data = record.subscriptionData;
  const subscription = createSubscription(
    context,
    {
      customer: customer.id,
      items: record.lineItems.map((item) => ({ price: item.price.id, quantity: String(item.quantity) })),
      default_payment_method: paymentMethod.id,
      ...(data.metadata && { metadata: data.metadata }),
      ...(data.description && { description: data.description }),
      ...(data.trial_period_days !== undefined && { trial_period_days: data.trial_period_days }),
      ...(data.trial_end !== undefined && { trial_end: data.trial_end }),
      ...(data.billing_cycle_anchor !== undefined && { billing_cycle_anchor: data.billing_cycle_anchor }),
      ...(data.proration_behavior !== undefined && { proration_behavior: data.proration_behavior }),
      ...(data.trial_settings !== undefined && { trial_settings: data.trial_settings }),
    },
    meta,
  );
  session.subscription = subscription.id;
  session.invoice = subscription.latest_invoice;
  complete(context, session, customer, buyer, session.amount_total === 0 ? 'no_payment_required' : 'paid', meta);
  return { outcome: 'completed', session };
}

function payPayment(
  context: EmulatorContext,
  session: StripeObject,
  paymentMethod: StripeObject,
  buyer: { email: string; name: string | null },
  meta: RequestMeta,
  returnUrl: string | undefined,
): PaymentResult {
  const customer = paymentCustomer(context, session, buyer, meta);
  const intent = sessionIntent(context, session, customer, buyer, meta);
  confirmPaymentIntent(context, intent, { payment_method: paymentMethod.id, ...(returnUrl && { return_url: returnUrl }) }, meta);
  if (intent.status === 'requires_payment_method') {
    const decline: CardDecline = {
      code: intent.last_payment_error.code,
      decline_code: intent.last_payment_error.decline_code,
      message: intent.last_payment_error.message,
    };
    return { outcome: 'declined', session, decline, error: declineError(intent) };
  }
  if (intent.status === 'requires_action') return { outcome: 'requires_action', session, intent };
  return completePayment(context, session, intent, customer, buyer, meta);
}

/**
 * Who pays in payment mode: the session's customer, the one an earlier (declined) attempt created, or a
 * new one when `customer_creation` is `always` or the payment method is saved for later (setup_future_usage).
 */
function paymentCustomer(
  context: EmulatorContext,
  session: StripeObject,
  buyer: { email: string; name: string | null },
  meta: RequestMeta,
): StripeObject | undefined {
  if (session.customer) return requireObject(context.store, 'customer', session.customer);
  const earlier = session.payment_intent ? context.store.get(session.payment_intent, 'payment_intent')?.customer : undefined;
  if (earlier) return requireObject(context.store, 'customer', earlier);
  const needsCustomer = session.customer_creation === 'always' || Boolean(checkoutRecord(context, session).paymentIntentData.setup_future_usage);
  return needsCustomer ? createCustomer(context, buyer, meta) : undefined;
}

/** The session's payment intent: made on the first attempt, reused by the next ones (as Checkout does). */
function sessionIntent(
  context: EmulatorContext,
  session: StripeObject,
  customer: StripeObject | undefined,
  buyer: { email: string },
  meta: RequestMeta,
): StripeObject {
  const existing = session.payment_intent ? context.store.get(session.payment_intent, 'payment_intent') : undefined;
  if (existing && existing.status === 'requires_payment_method') {
    if (customer && !existing.customer) existing.customer = customer.id;
    return existing;
  }
  const data = checkoutRecord(context, session).paymentIntentData;
  const intent = createPaymentIntent(
    context,
    {
      amount: String(session.amount_total),
      currency: session.currency,
      payment_method_types: session.payment_method_types,
      ...(customer && { customer: customer.id }),
      ...(data.description && { description: data.description }),
      ...(data.metadata && { metadata: data.metadata }),
      ...(data.capture_method && { capture_method: data.capture_method }),
      ...(data.setup_future_usage && customer && { setup_future_usage: data.setup_future_usage }),
      ...(data.shipping && { shipping: data.shipping }),
      ...(data.statement_descriptor && { statement_descriptor: data.statement_descriptor }),
      ...(data.statement_descriptor_suffix && { statement_descriptor_suffix: data.statement_descriptor_suffix }),
      ...(data.transfer_group && { transfer_group: data.transfer_group }),
      receipt_email: data.receipt_email ?? buyer.email,
    },
    meta,
  );
  session.payment_intent = intent.id;
  return intent;
}

/** After the payment intent went through (or started processing): the session is complete. */
function completePayment(
  context: EmulatorContext,
  session: StripeObject,
  intent: StripeObject,
  customer: StripeObject | undefined,
  buyer: { email: string; name: string | null },
  meta: RequestMeta,
): PaymentResult {
  complete(context, session, customer, buyer, intent.status === 'succeeded' ? 'paid' : 'unpaid', meta);
  return intent.status === 'processing' ? { outcome: 'completed', session, processing: intent } : { outcome: 'completed', session };
}

/**
 * The bank's answer for a session paid by bank debit: the intent settles, then
 * checkout.session.async_payment_succeeded (payment_status paid) or _failed (stays unpaid).
 */
export function settleAsyncPayment(context: EmulatorContext, session: StripeObject, intent: StripeObject, meta: RequestMeta): void {
  if (settleProcessingPayment(context, intent, meta)) {
    session.payment_status = 'paid';
    context.emit('checkout.session.async_payment_succeeded', session, meta);
  } else {
    context.emit('checkout.session.async_payment_failed', session, meta);
  }
}

/** Completes the session of an intent whose 3D Secure authentication just passed, if it belongs to one. */
export function completeAuthenticatedCheckout(context: EmulatorContext, intent: StripeObject, meta: RequestMeta): StripeObject | undefined {
  const session = context.store.all('checkout.session').find((candidate) => candidate.payment_intent === intent.id);
  if (session?.status !== 'open' || !['succeeded', 'requires_capture'].includes(intent.status)) return session;
  const customer = intent.customer ? context.store.get(intent.customer, 'customer') : undefined;
  const paymentMethod = context.store.get(intent.payment_method, 'payment_method');
  const buyer = { email: paymentMethod?.billing_details?.email ?? session.customer_email, name: paymentMethod?.billing_details?.name ?? null };
  completePayment(context, session, intent, customer, buyer, meta);
  return session;
}

function complete(
  context: EmulatorContext,
  session: StripeObject,
  customer: StripeObject | undefined,
  buyer: { email: string; name: string | null },
  paymentStatus: string,
  meta: RequestMeta,
): void {
  session.status = 'complete';
  session.payment_status = paymentStatus;
  session.url = null;
  session.customer = customer?.id ?? null;
  session.customer_details = {
    ...(customer ? customerDetailsOf(customer) : { address: null, business_name: null, individual_name: null, phone: null, tax_exempt: 'none', tax_ids: [] }),
    email: buyer.email,
    name: buyer.name ?? customer?.name ?? null,
  };
  session.collected_information = { business_name: null, individual_name: null, shipping_details: null };
  context.emit('checkout.session.completed', session, meta);
}

/** Creates the customer through the customers API, so it is stored and announced exactly as the API does. */
function createCustomer(context: EmulatorContext, buyer: { email: string; name: string | null }, meta: RequestMeta): StripeObject {
  const created = callRoute(customers(context), '/v1/customers', { email: buyer.email, ...(buyer.name && { name: buyer.name }) }, meta) as StripeObject;
  return requireObject(context.store, 'customer', created.id);
}

// ---------- routes ----------

export const checkoutSessions: ResourceModule = (context) => {
  const { store } = context;
  const sessionOf = (id: string) => {
    expireDueSessions(context);
    return requireObject(store, 'checkout.session', id);
  };
  return [
    {
      method: 'POST',
      path: '/v1/checkout/sessions',
      handle: ({ params, meta }) => present(context, createCheckoutSession(context, params, meta), expandPaths(params)),
    },
    {
      method: 'GET',
      path: '/v1/checkout/sessions/:id',
      handle({ pathParams, params }) {
        checkParams(params, {});
        return present(context, sessionOf(pathParams.id!), expandPaths(params));
      },
    },
    {
      method: 'POST',
      path: '/v1/checkout/sessions/:id',
      handle({ pathParams, params }) {
        checkParams(params, { metadata: 'map' });
        const session = sessionOf(pathParams.id!);
        session.metadata = mergeMetadata(session.metadata, params.metadata);
        return present(context, session, expandPaths(params));
      },
    },
    {
      method: 'POST',
      path: '/v1/checkout/sessions/:id/expire',
      handle({ pathParams, params, meta }) {
        checkParams(params, {});
        return present(context, expireCheckoutSession(context, sessionOf(pathParams.id!), meta), expandPaths(params));
      },
    },
    {
      method: 'GET',
      path: '/v1/checkout/sessions/:id/line_items',
      handle({ pathParams, params }) {
        checkParams(params, { limit: 'value', starting_after: 'value', ending_before: 'value' });
        return expand(lineItemList(context, sessionOf(pathParams.id!), params), expandPaths(params), store);
      },
    },
    {
      method: 'GET',
      path: '/v1/checkout/sessions',
      handle({ params }) {
        checkParams(params, LIST_FILTERS);
        expireDueSessions(context);
        const keep = listFilter(params);
        const found = newestFirst(store.all('checkout.session')).filter((session) => keep(session) && matchesCreated(session.created, params.created));
        const paths = expandPaths(params);
        const page = paginate(found, params, '/v1/checkout/sessions');
        const itemPaths = paths.filter((path) => path.startsWith('data.')).map((path) => path.slice('data.'.length));
        return { ...page, data: page.data.map((session) => present(context, session, itemPaths)) };
      },
    },
    {
      method: 'GET',
      path: '/v1/payment_pages/:id',
      handle({ pathParams, params }) {
        checkParams(params, {});
        return present(context, sessionOf(pathParams.id!), ['line_items']);
      },
    },
    {
      method: 'POST',
      path: '/v1/payment_pages/:id/confirm',
      handle({ pathParams, params, meta }) {
        checkParams(params, { payment_method: 'value', expected_amount: 'value', expected_payment_method_type: 'value', email: 'value', return_url: 'value' });
        const session = sessionOf(pathParams.id!);
        requireOpen(context, session);
        const expected = optionalInteger(params.expected_amount, 'expected_amount');
        if (expected !== undefined && expected !== session.amount_total) {
          throw invalidParameter(
            'expected_amount',
            `The expected amount (${expected}) does not match the amount due for this Checkout Session (${session.amount_total}).`,
          );
        }
        const paymentMethod = resolvePaymentMethod(
          context,
          required(optionalString(params.payment_method, 'payment_method'), 'payment_method'),
          'payment_method',
        );
        const result = payCheckoutSession(context, session, paymentMethod, { email: optionalString(params.email, 'email') }, meta, {
          returnUrl: optionalString(params.return_url, 'return_url'),
        });
        if (result.outcome === 'declined') throw result.error;
        const answer = present(context, result.session, ['line_items']);
        if (result.outcome === 'completed' && result.processing) settleAsyncPayment(context, result.session, result.processing, meta);
        return answer;
      },
    },
  ];
};

function listFilter(params: Params): (session: StripeObject) => boolean {
  const status = optionalEnum(params.status, 'status', ['open', 'complete', 'expired'] as const);
  const fields = ['customer', 'payment_intent', 'payment_link', 'subscription', 'customer_account'].map(
    (name) => [name, optionalString(params[name], name)] as const,
  );
  const email = optionalString(params.customer_details?.email, 'customer_details[email]');
  return (session) =>
    (status === undefined || session.status === status) &&
    fields.every(([name, value]) => value === undefined || session[name] === value) &&
    (email === undefined || session.customer_details?.email === email);
}
