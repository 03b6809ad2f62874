/**
 * Payment intents: create, retrieve, update, confirm, capture, cancel, list. Confirming charges the
 * payment method as its test behaviour says: a card succeeds, declines (402 card_error, status back to
 * requires_payment_method) or needs 3D Secure (requires_action, finished on the emulator's test
 * authentication page); bank debits (sepa_debit, us_bank_account) answer `processing` and then settle
 * right after the response, as Stripe's test accounts do within seconds (`settleProcessingPayment`).
 * Each step emits Stripe's events and stores a charge (`latest_charge`), so expanding it gives a real
 * charge object.
 */
import type { EmulatorContext, RequestMeta, ResourceModule } from '../context';
import { docUrl, invalidParameter, invalidRequest, StripeApiError, type StripeErrorBody } from '../errors';
import { requireObject } from '../lookup';
import {
  ADDRESS,
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
import { listRoute, objectActionRoute, retrieveRoute } from '../routes';
import { clone, newId, type StripeObject } from '../store';
import { expand } from '../wire';
import {
  attachPaymentMethod,
  BILLING_DETAILS,
  type CardDecline,
  type CardErrorBody,
  type ChargeOutcome,
  chargeOutcome,
  createPaymentMethod,
  fingerprintOf,
  resolvePaymentMethod,
} from './payment-methods';

/** What the emulated account accepts when the caller lets Stripe choose (automatic payment methods, Checkout). */
export const DYNAMIC_PAYMENT_METHOD_TYPES = ['card', 'amazon_pay'] as const;
/** Payment methods whose outcome the bank reports later: the intent waits in `processing`. */
export const DELAYED_PAYMENT_METHOD_TYPES = ['sepa_debit', 'us_bank_account', 'bacs_debit', 'au_becs_debit', 'acss_debit'] as const;

const CAPTURE_METHODS = ['automatic', 'automatic_async', 'manual'] as const;
const CANCELLATION_REASONS = ['abandoned', 'duplicate', 'fraudulent', 'requested_by_customer'] as const;
const SETUP_FUTURE_USAGES = ['off_session', 'on_session'] as const;
const CANCELABLE = ['requires_payment_method', 'requires_capture', 'requires_confirmation', 'requires_action', 'processing'];
const CONFIRMABLE = ['requires_payment_method', 'requires_confirmation', 'requires_action'];

/** Smallest chargeable amounts (Stripe's minimums) for the common currencies. */
const MINIMUM_AMOUNTS: Record<string, [number, string]> = {
  usd: [50, '$0.50'],
  eur: [50, '€0.50'],
  gbp: [30, '£0.30'],
  cad: [50, '$0.50'],
  aud: [50, '$0.50'],
};

export const SHIPPING: ParamSpec = { address: ADDRESS, carrier: 'value', name: 'value', phone: 'value', tracking_number: 'value' };
/** A customer's acceptance of a mandate, as payment and setup intents take it. */
export const MANDATE_DATA: ParamSpec = {
  customer_acceptance: { accepted_at: 'value', offline: {}, online: { ip_address: 'value', user_agent: 'value' }, type: 'value' },
};
const TYPE_OPTIONS: ParamSpec = {
  capture_method: 'value',
  setup_future_usage: 'value',
  request_three_d_secure: 'value',
  network: 'value',
  mandate_options: 'map',
  target_date: 'value',
  verification_method: 'value',
  financial_connections: { permissions: ['value'], prefetch: ['value'], return_url: 'value' },
};
const PAYMENT_METHOD_OPTIONS: ParamSpec = {
  card: TYPE_OPTIONS,
  amazon_pay: TYPE_OPTIONS,
  sepa_debit: TYPE_OPTIONS,
  us_bank_account: TYPE_OPTIONS,
  link: TYPE_OPTIONS,
};

const WRITABLE: Record<string, ParamSpec> = {
  amount: 'value',
  currency: 'value',
  customer: 'value',
  description: 'value',
  metadata: 'map',
  payment_method: 'value',
  payment_method_types: ['value'],
  allowed_payment_method_types: ['value'],
  payment_method_options: PAYMENT_METHOD_OPTIONS,
  receipt_email: 'value',
  setup_future_usage: 'value',
  shipping: SHIPPING,
  statement_descriptor: 'value',
  statement_descriptor_suffix: 'value',
  capture_method: 'value',
  transfer_group: 'value',
};

const PAYMENT_METHOD_DATA: ParamSpec = {
  type: 'value',
  allow_redisplay: 'value',
  billing_details: BILLING_DETAILS,
  metadata: 'map',
  card: { token: 'value', number: 'value', exp_month: 'value', exp_year: 'value', cvc: 'value' },
  amazon_pay: {},
  paypal: {},
  revolut_pay: {},
};

const CONFIRM_ONLY: Record<string, ParamSpec> = {
  error_on_requires_action: 'value',
  mandate: 'value',
  mandate_data: MANDATE_DATA,
  off_session: 'value',
  payment_method_data: PAYMENT_METHOD_DATA,
  return_url: 'value',
  use_stripe_sdk: 'value',
};

const CREATE: Record<string, ParamSpec> = {
  ...WRITABLE,
  ...CONFIRM_ONLY,
  automatic_payment_methods: { enabled: 'value', allow_redirects: 'value' },
  confirm: 'value',
  confirmation_method: 'value',
  excluded_payment_method_types: ['value'],
};

const CONFIRM: Record<string, ParamSpec> = {
  ...CONFIRM_ONLY,
  payment_method: 'value',
  payment_method_options: PAYMENT_METHOD_OPTIONS,
  receipt_email: 'value',
  setup_future_usage: 'value',
  shipping: SHIPPING,
  capture_method: 'value',
};

/** How charging a payment method goes: test cards and wallets as payment-methods.ts says, bank debits later. */
export type ChargeBehaviour = ChargeOutcome | { kind: 'delayed'; settles: 'succeeds' | 'fails' };

/**
 * Stripe's failing test bank accounts, known by fingerprint (payment-methods.ts fingerprints an IBAN, and
 * a US account as `routing:account`): SEPA AT861904300235473202 (fails at once) and AT051904300235473205
 * (fails later), and IT60X0542811101000000123456, which the Stripe CLI's
 * checkout.session.async_payment_failed trigger pays with; ACH 110000000 / 000111111116 and 000222222227.
 */
const FAILING_BANK_ACCOUNTS = new Set(
  ['AT861904300235473202', 'AT051904300235473205', 'IT60X0542811101000000123456', '110000000:000111111116', '110000000:000222222227'].map(fingerprintOf),
);

export function chargeBehaviour(paymentMethod: StripeObject): ChargeBehaviour {
  const type = paymentMethod.type as string;
  if ((DELAYED_PAYMENT_METHOD_TYPES as readonly string[]).includes(type)) {
    return { kind: 'delayed', settles: FAILING_BANK_ACCOUNTS.has(paymentMethod[type]?.fingerprint) ? 'fails' : 'succeeds' };
  }
  return chargeOutcome(paymentMethod);
}

// ---------- objects ----------

function clientSecret(id: string): string {
  return `${id}_secret_${newId('x', 25).slice(2)}`;
}

function shippingOf(value: unknown): StripeObject['shipping'] {
  if (value === undefined || value === '') return null;
  const shipping = value as Params;
  return {
    address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null, ...shipping.address },
    carrier: shipping.carrier ?? null,
    name: required(optionalString(shipping.name, 'shipping[name]'), 'shipping[name]'),
    phone: shipping.phone ?? null,
    tracking_number: shipping.tracking_number ?? null,
  };
}

function paymentMethodOptionsFor(types: string[], given: Params | undefined): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const type of types) {
    const requested = (given?.[type] ?? {}) as Params;
    if (type === 'card') {
      options.card = {
        installments: null,
        mandate_options: null,
        network: requested.network ?? null,
        request_three_d_secure: requested.request_three_d_secure ?? 'automatic',
        ...(requested.capture_method === 'manual' && { capture_method: 'manual' }),
        ...(requested.setup_future_usage && { setup_future_usage: requested.setup_future_usage }),
      };
    } else if (type === 'us_bank_account') {
      options.us_bank_account = { verification_method: requested.verification_method ?? 'automatic' };
    } else if (type === 'link') {
      options.link = { persistent_token: null };
    } else {
      options[type] = requested.setup_future_usage ? { setup_future_usage: requested.setup_future_usage } : {};
    }
  }
  return options;
}

function typesOf(params: Params): { listed: string[] | undefined; automatic: Params | undefined } {
  const listed = params.payment_method_types ?? params.allowed_payment_method_types;
  const automaticParam = params.automatic_payment_methods as Params | undefined;
  const automaticEnabled = automaticParam ? optionalBoolean(automaticParam.enabled, 'automatic_payment_methods[enabled]') : undefined;
  if (listed !== undefined && automaticEnabled) {
    const named = params.payment_method_types !== undefined ? 'payment_method_types' : 'allowed_payment_method_types';
    throw invalidRequest(`You may only specify one of these parameters: automatic_payment_methods, ${named}.`);
  }
  if (listed !== undefined) return { listed: arrayOf<string>(listed).map(String), automatic: undefined };
  // Since 2023-08-16 a PaymentIntent without payment_method_types uses automatic payment methods.
  if (automaticEnabled === false) return { listed: ['card'], automatic: undefined };
  return {
    listed: undefined,
    automatic: {
      allow_redirects: optionalEnum(automaticParam?.allow_redirects, 'automatic_payment_methods[allow_redirects]', ['always', 'never'] as const) ?? 'always',
      enabled: true,
    },
  };
}

function checkAmount(amount: number, currency: string): void {
  const minimum = MINIMUM_AMOUNTS[currency];
  if (amount < 1 || (minimum && amount < minimum[0])) {
    throw new StripeApiError(400, {
      type: 'invalid_request_error',
      code: 'amount_too_small',
      message: `Amount must be at least ${minimum?.[1] ?? '1'} ${currency}`,
      param: 'amount',
      doc_url: docUrl('amount_too_small'),
    });
  }
}

export function createPaymentIntent(context: EmulatorContext, params: Params, meta: RequestMeta): StripeObject {
  checkParams(params, CREATE);
  const amount = required(optionalInteger(params.amount, 'amount'), 'amount');
  const currency = required(optionalString(params.currency, 'currency'), 'currency').toLowerCase();
  checkAmount(amount, currency);
  const customer = params.customer ? requireObject(context.store, 'customer', String(params.customer), 'customer').id : null;
  const { listed, automatic } = typesOf(params);
  const types = listed ?? [...DYNAMIC_PAYMENT_METHOD_TYPES];
  const id = newId('pi');
  const intent = context.store.put<StripeObject>({
    id,
    object: 'payment_intent',
    allowed_payment_method_types: params.allowed_payment_method_types ? types : null,
    amount,
    amount_capturable: 0,
    amount_details: { tip: {} },
    amount_received: 0,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: automatic ?? null,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: optionalEnum(params.capture_method, 'capture_method', CAPTURE_METHODS) ?? 'automatic_async',
    client_secret: clientSecret(id),
    confirmation_method: optionalEnum(params.confirmation_method, 'confirmation_method', ['automatic', 'manual'] as const) ?? 'automatic',
    created: context.now(),
    currency,
    customer,
    customer_account: null,
    description: optionalString(params.description, 'description') ?? null,
    excluded_payment_method_types: params.excluded_payment_method_types ? arrayOf<string>(params.excluded_payment_method_types).map(String) : null,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    managed_payments: null,
    metadata: mergeMetadata({}, params.metadata),
    next_action: null,
    on_behalf_of: null,
    payment_method: null,
    payment_method_configuration_details: null,
    payment_method_options: paymentMethodOptionsFor(types, params.payment_method_options || undefined),
    payment_method_types: types,
    payment_record: null,
    processing: null,
    receipt_email: optionalString(params.receipt_email, 'receipt_email') ?? null,
    review: null,
    setup_future_usage: optionalEnum(params.setup_future_usage, 'setup_future_usage', SETUP_FUTURE_USAGES) ?? null,
    shipping: shippingOf(params.shipping),
    source: null,
    statement_descriptor: optionalString(params.statement_descriptor, 'statement_descriptor') ?? null,
    statement_descriptor_suffix: optionalString(params.statement_descriptor_suffix, 'statement_descriptor_suffix') ?? null,
    status: 'requires_payment_method',
    transfer_data: null,
    transfer_group: optionalString(params.transfer_group, 'transfer_group') ?? null,
  });
  // An invalid payment method fails the request before anything is announced, as in Stripe.
  applyPaymentMethod(context, intent, params);
  context.emit('payment_intent.created', intent, meta);
  if (optionalBoolean(params.confirm, 'confirm')) {
    const confirmParams = Object.fromEntries(Object.entries(params).filter(([key]) => key in CONFIRM_ONLY && key !== 'payment_method_data'));
    return confirmPaymentIntent(context, intent, confirmParams, meta);
  }
  return intent;
}

/** `payment_method` (an id) or `payment_method_data` (a new payment method made from it), if given. */
function applyPaymentMethod(context: EmulatorContext, intent: StripeObject, params: Params): void {
  if (params.payment_method) usePaymentMethod(context, intent, String(params.payment_method), 'payment_method');
  else if (params.payment_method_data && params.payment_method_data !== '') {
    usePaymentMethod(context, intent, createPaymentMethod(context, params.payment_method_data).id, 'payment_method_data[type]');
  }
}

/** Resolves `id` (a stored payment method or a test id like pm_card_visa) and sets it on the intent, which then awaits confirmation. */
function usePaymentMethod(context: EmulatorContext, intent: StripeObject, id: string, param: string): StripeObject {
  const paymentMethod = resolvePaymentMethod(context, id, param);
  if (!intent.payment_method_types.includes(paymentMethod.type)) {
    throw invalidParameter(
      param,
      `The PaymentMethod provided (${paymentMethod.type}) is not allowed for this PaymentIntent. Please attach a PaymentMethod of one of the following types: ${intent.payment_method_types.join(', ')}. Alternatively update the allowed payment_method_types for this PaymentIntent to include "${paymentMethod.type}".`,
      'payment_intent_invalid_parameter',
    );
  }
  if (paymentMethod.customer && intent.customer && paymentMethod.customer !== intent.customer) {
    throw invalidParameter(
      param,
      `The provided PaymentMethod belongs to a different Customer than the one on this PaymentIntent.`,
      'payment_intent_invalid_parameter',
    );
  }
  intent.payment_method = paymentMethod.id;
  intent.status = 'requires_confirmation';
  return paymentMethod;
}

function updatePaymentIntent(context: EmulatorContext, intent: StripeObject, params: Params): StripeObject {
  checkParams(params, WRITABLE);
  const settled = ['succeeded', 'canceled', 'processing', 'requires_capture'].includes(intent.status);
  const alwaysWritable = new Set(['metadata', 'description', 'receipt_email', 'shipping', 'expand']);
  if (settled && Object.keys(params).some((key) => !alwaysWritable.has(key))) {
    throw unexpectedState(intent, `You cannot update this PaymentIntent because it has a status of ${intent.status}.`);
  }
  if (params.amount !== undefined) {
    intent.amount = required(optionalInteger(params.amount, 'amount'), 'amount');
    checkAmount(intent.amount, intent.currency);
  }
  if (params.currency !== undefined) intent.currency = String(params.currency).toLowerCase();
  if (params.customer !== undefined) intent.customer = requireObject(context.store, 'customer', String(params.customer), 'customer').id;
  if (params.description !== undefined) intent.description = params.description || null;
  if (params.receipt_email !== undefined) intent.receipt_email = params.receipt_email || null;
  if (params.setup_future_usage !== undefined)
    intent.setup_future_usage = optionalEnum(params.setup_future_usage, 'setup_future_usage', SETUP_FUTURE_USAGES) ?? null;
  if (params.shipping !== undefined) intent.shipping = shippingOf(params.shipping);
  if (params.statement_descriptor !== undefined) intent.statement_descriptor = params.statement_descriptor || null;
  if (params.capture_method !== undefined) intent.capture_method = optionalEnum(params.capture_method, 'capture_method', CAPTURE_METHODS);
  const listed = params.payment_method_types ?? params.allowed_payment_method_types;
  if (listed !== undefined) {
    intent.payment_method_types = arrayOf<string>(listed).map(String);
    intent.automatic_payment_methods = null;
    intent.payment_method_options = paymentMethodOptionsFor(intent.payment_method_types, params.payment_method_options || undefined);
  }
  intent.metadata = mergeMetadata(intent.metadata, params.metadata);
  if (params.payment_method !== undefined) usePaymentMethod(context, intent, String(params.payment_method), 'payment_method');
  return intent;
}

// ---------- confirmation and its outcomes ----------

/**
 * Confirms with the intent's (or the given) payment method and applies the outcome. A decline leaves
 * the intent in requires_payment_method with `last_payment_error` (callers answering an API request
 * turn that into Stripe's 402 with `declineError`).
 */
export function confirmPaymentIntent(context: EmulatorContext, intent: StripeObject, params: Params, meta: RequestMeta): StripeObject {
  checkParams(params, CONFIRM);
  if (!CONFIRMABLE.includes(intent.status)) {
    throw unexpectedState(intent, `You cannot confirm this PaymentIntent because it has a status of ${intent.status}.`);
  }
  applyPaymentMethod(context, intent, params);
  if (!intent.payment_method) {
    throw invalidRequest(
      "You cannot confirm this PaymentIntent because it's missing a payment method. To confirm the PaymentIntent with " +
        `${intent.customer ?? 'a customer'}, specify a payment method attached to this customer along with the customer ID.`,
    );
  }
  if (params.receipt_email !== undefined) intent.receipt_email = params.receipt_email || null;
  if (params.shipping !== undefined) intent.shipping = shippingOf(params.shipping);
  if (params.setup_future_usage !== undefined) intent.setup_future_usage = params.setup_future_usage || null;
  if (params.capture_method !== undefined) intent.capture_method = optionalEnum(params.capture_method, 'capture_method', CAPTURE_METHODS);
  const offSession = params.off_session !== undefined && params.off_session !== 'false' && params.off_session !== false;
  const returnUrl = optionalString(params.return_url, 'return_url');
  const paymentMethod = requireObject(context.store, 'payment_method', intent.payment_method, 'payment_method');
  const behaviour = chargeBehaviour(paymentMethod);
  intent.last_payment_error = null;
  intent.next_action = null;

  if (behaviour.kind === 'declines') return decline(context, intent, paymentMethod, behaviour.decline, meta);
  if (behaviour.kind === 'requires_authentication' && intent.status !== 'requires_action') {
    if (offSession || optionalBoolean(params.error_on_requires_action, 'error_on_requires_action')) {
      const code = 'authentication_required';
      return decline(
        context,
        intent,
        paymentMethod,
        { code, decline_code: code, message: 'Your card was declined. This transaction requires authentication.' },
        meta,
      );
    }
    return requireAuthentication(context, intent, returnUrl, meta);
  }
  if (behaviour.kind === 'delayed') return startProcessing(context, intent, paymentMethod, meta);
  return authorize(context, intent, paymentMethod, behaviour.kind === 'requires_authentication', meta);
}

function requireAuthentication(context: EmulatorContext, intent: StripeObject, returnUrl: string | undefined, meta: RequestMeta): StripeObject {
  const url = `${context.baseUrl()}/c/authenticate/${intent.client_secret}`;
  intent.status = 'requires_action';
  intent.next_action = returnUrl
    ? { redirect_to_url: { return_url: returnUrl, url }, type: 'redirect_to_url' }
    : { type: 'use_stripe_sdk', use_stripe_sdk: { type: 'three_d_secure_redirect', stripe_js: url, source: newId('src') } };
  context.emit('payment_intent.requires_action', intent, meta);
  return intent;
}

/** The buyer's answer on the 3D Secure page: the payment goes through, or fails authentication. */
export function finishAuthentication(context: EmulatorContext, intent: StripeObject, passed: boolean, meta: RequestMeta): StripeObject {
  if (intent.status !== 'requires_action') throw unexpectedState(intent, `This PaymentIntent does not require authentication; its status is ${intent.status}.`);
  const paymentMethod = requireObject(context.store, 'payment_method', intent.payment_method, 'payment_method');
  intent.next_action = null;
  if (passed) return authorize(context, intent, paymentMethod, true, meta);
  intent.status = 'requires_payment_method';
  intent.payment_method = null;
  intent.last_payment_error = {
    code: 'payment_intent_authentication_failure',
    doc_url: docUrl('payment_intent_authentication_failure'),
    message:
      'The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.',
    payment_method: clone(paymentMethod),
    type: 'invalid_request_error',
  };
  context.emit('payment_intent.payment_failed', intent, meta);
  return intent;
}

function authorize(context: EmulatorContext, intent: StripeObject, paymentMethod: StripeObject, authenticated: boolean, meta: RequestMeta): StripeObject {
  const manual = intent.capture_method === 'manual' || intent.payment_method_options?.[paymentMethod.type]?.capture_method === 'manual';
  const charge = storeCharge(context, intent, paymentMethod, manual ? 'uncaptured' : 'succeeded', { authenticated });
  intent.latest_charge = charge.id;
  saveForFutureUse(context, intent, paymentMethod, meta);
  context.emit('charge.succeeded', charge, meta);
  if (manual) {
    intent.status = 'requires_capture';
    intent.amount_capturable = intent.amount;
    context.emit('payment_intent.amount_capturable_updated', intent, meta);
    return intent;
  }
  intent.status = 'succeeded';
  intent.amount_received = intent.amount;
  context.emit('payment_intent.succeeded', intent, meta);
  return intent;
}

function decline(context: EmulatorContext, intent: StripeObject, paymentMethod: StripeObject, failure: CardDecline, meta: RequestMeta): StripeObject {
  return recordPaymentFailure(context, intent, storeCharge(context, intent, paymentMethod, 'failed', { failure }), paymentMethod, failure, meta);
}

/** The intent goes back to requires_payment_method with the failed charge's error: charge.failed, payment_intent.payment_failed. */
function recordPaymentFailure(
  context: EmulatorContext,
  intent: StripeObject,
  charge: StripeObject,
  paymentMethod: StripeObject,
  failure: CardDecline,
  meta: RequestMeta,
): StripeObject {
  intent.latest_charge = charge.id;
  intent.status = 'requires_payment_method';
  intent.payment_method = null;
  intent.last_payment_error = {
    charge: charge.id,
    code: failure.code,
    decline_code: failure.decline_code,
    doc_url: docUrl(failure.code),
    message: failure.message,
    payment_method: clone(paymentMethod),
    type: 'card_error',
  };
  context.emit('charge.failed', charge, meta);
  context.emit('payment_intent.payment_failed', intent, meta);
  return intent;
}

function startProcessing(context: EmulatorContext, intent: StripeObject, paymentMethod: StripeObject, meta: RequestMeta): StripeObject {
  const charge = storeCharge(context, intent, paymentMethod, 'pending', {});
  intent.latest_charge = charge.id;
  intent.status = 'processing';
  context.emit('charge.pending', charge, meta);
  context.emit('payment_intent.processing', intent, meta);
  return intent;
}

/**
 * The bank's answer for a processing debit: charge and intent succeed, or fail back to
 * requires_payment_method. Returns whether the payment succeeded.
 */
export function settleProcessingPayment(context: EmulatorContext, intent: StripeObject, meta: RequestMeta): boolean {
  if (intent.status !== 'processing') throw unexpectedState(intent, `This PaymentIntent is not processing; its status is ${intent.status}.`);
  const paymentMethod = requireObject(context.store, 'payment_method', intent.payment_method, 'payment_method');
  const charge = requireObject(context.store, 'charge', intent.latest_charge);
  const behaviour = chargeBehaviour(paymentMethod);
  if (behaviour.kind === 'delayed' && behaviour.settles === 'fails') {
    const failure: CardDecline = {
      code: 'insufficient_funds',
      decline_code: 'insufficient_funds',
      message: "The customer's account has insufficient funds to cover this payment.",
    };
    Object.assign(charge, { status: 'failed', failure_code: failure.code, failure_message: failure.message, outcome: outcomeOf('failed', failure) });
    recordPaymentFailure(context, intent, charge, paymentMethod, failure, meta);
    return false;
  }
  Object.assign(charge, { status: 'succeeded', paid: true, captured: true, amount_captured: charge.amount, outcome: outcomeOf('succeeded') });
  intent.status = 'succeeded';
  intent.amount_received = intent.amount;
  saveForFutureUse(context, intent, paymentMethod, meta);
  context.emit('charge.succeeded', charge, meta);
  context.emit('payment_intent.succeeded', intent, meta);
  return true;
}

/** setup_future_usage with a customer attaches the payment method once the payment goes through, as Stripe does. */
function saveForFutureUse(context: EmulatorContext, intent: StripeObject, paymentMethod: StripeObject, meta: RequestMeta): void {
  if (intent.setup_future_usage && intent.customer && !paymentMethod.customer) attachPaymentMethod(context, paymentMethod, intent.customer, meta);
}

function capturePaymentIntent(context: EmulatorContext, intent: StripeObject, params: Params, meta: RequestMeta): StripeObject {
  checkParams(params, {
    amount_to_capture: 'value',
    application_fee_amount: 'value',
    final_capture: 'value',
    metadata: 'map',
    statement_descriptor: 'value',
    statement_descriptor_suffix: 'value',
  });
  if (intent.status !== 'requires_capture') {
    throw unexpectedState(
      intent,
      `This PaymentIntent could not be captured because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.`,
    );
  }
  const amount = optionalInteger(params.amount_to_capture, 'amount_to_capture') ?? intent.amount_capturable;
  if (amount > intent.amount_capturable || amount < 1) {
    throw invalidParameter(
      'amount_to_capture',
      `The amount to capture must be between 1 and the capturable amount (${intent.amount_capturable}).`,
      'amount_too_large',
    );
  }
  const charge = requireObject(context.store, 'charge', intent.latest_charge);
  Object.assign(charge, { captured: true, amount_captured: amount, amount_refunded: intent.amount - amount, balance_transaction: null });
  intent.amount_received = amount;
  intent.amount_capturable = 0;
  intent.status = 'succeeded';
  intent.metadata = mergeMetadata(intent.metadata, params.metadata);
  context.emit('charge.captured', charge, meta);
  context.emit('payment_intent.succeeded', intent, meta);
  return intent;
}

function cancelPaymentIntent(context: EmulatorContext, intent: StripeObject, reason: string | undefined, meta: RequestMeta): StripeObject {
  if (!CANCELABLE.includes(intent.status)) {
    throw unexpectedState(
      intent,
      `You cannot cancel this PaymentIntent because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be canceled: ${CANCELABLE.join(', ')}.`,
    );
  }
  if (intent.status === 'requires_capture') releaseAuthorization(context, intent, meta);
  intent.status = 'canceled';
  intent.canceled_at = context.now();
  intent.cancellation_reason = reason ?? null;
  intent.amount_capturable = 0;
  intent.next_action = null;
  context.emit('payment_intent.canceled', intent, meta);
  return intent;
}

/** Canceling an authorized payment gives the held amount back: the charge is refunded in full. */
function releaseAuthorization(context: EmulatorContext, intent: StripeObject, meta: RequestMeta): void {
  const charge = context.store.get(intent.latest_charge, 'charge');
  if (!charge) return;
  Object.assign(charge, { refunded: true, amount_refunded: charge.amount });
  context.emit('charge.refunded', charge, meta);
}

function unexpectedState(intent: StripeObject, message: string): StripeApiError {
  const body = {
    type: 'invalid_request_error',
    code: 'payment_intent_unexpected_state',
    message,
    doc_url: docUrl('payment_intent_unexpected_state'),
    payment_intent: clone(intent),
  } as StripeErrorBody;
  return new StripeApiError(400, body);
}

/** Stripe's 402 for a declined confirmation, carrying the intent and the failed charge. */
export function declineError(intent: StripeObject): StripeApiError {
  const error = intent.last_payment_error;
  const body: CardErrorBody & { charge: string } = {
    type: 'card_error',
    code: error.code,
    message: error.message,
    doc_url: error.doc_url,
    charge: error.charge,
    decline_code: error.decline_code,
    payment_intent: clone(intent),
    payment_method: error.payment_method,
  };
  return new StripeApiError(402, body);
}

// ---------- charges ----------

type ChargeState = 'succeeded' | 'uncaptured' | 'failed' | 'pending';

function outcomeOf(state: 'succeeded' | 'failed' | 'pending', failure?: CardDecline): StripeObject['outcome'] {
  if (state === 'pending') return null;
  const failed = state === 'failed';
  return {
    advice_code: null,
    network_advice_code: null,
    network_decline_code: null,
    network_status: failed ? 'declined_by_network' : 'approved_by_network',
    reason: failed ? (failure?.decline_code ?? 'generic_decline') : null,
    risk_level: 'normal',
    seller_message: failed ? 'The bank did not return any further details with this decline.' : 'Payment complete.',
    type: failed ? 'issuer_declined' : 'authorized',
  };
}

function paymentMethodDetails(intent: StripeObject, paymentMethod: StripeObject, authenticated: boolean): Record<string, unknown> {
  const type = paymentMethod.type as string;
  const own = (paymentMethod[type] ?? {}) as Params;
  if (type === 'card') {
    return {
      type,
      card: {
        amount_authorized: intent.amount,
        authorization_code: null,
        brand: own.brand ?? null,
        checks: own.checks ?? null,
        country: own.country ?? null,
        electronic_commerce_indicator: authenticated ? '05' : null,
        exp_month: own.exp_month,
        exp_year: own.exp_year,
        fingerprint: own.fingerprint ?? null,
        funding: own.funding ?? null,
        installments: null,
        last4: own.last4 ?? null,
        mandate: null,
        network: own.brand ?? null,
        network_transaction_id: null,
        regulated_status: own.regulated_status ?? 'unregulated',
        three_d_secure: authenticated
          ? {
              authentication_flow: 'challenge',
              electronic_commerce_indicator: '05',
              exemption_indicator: null,
              result: 'authenticated',
              result_reason: null,
              transaction_id: null,
              version: '2.2.0',
            }
          : null,
        transaction_link_id: null,
        wallet: null,
      },
    };
  }
  if (type === 'sepa_debit') {
    return {
      type,
      sepa_debit: {
        bank_code: own.bank_code ?? null,
        branch_code: own.branch_code ?? null,
        country: own.country ?? null,
        fingerprint: own.fingerprint ?? null,
        last4: own.last4 ?? null,
        mandate: null,
      },
    };
  }
  if (type === 'us_bank_account') {
    return {
      type,
      us_bank_account: {
        account_holder_type: own.account_holder_type ?? null,
        account_type: own.account_type ?? null,
        bank_name: own.bank_name ?? null,
        fingerprint: own.fingerprint ?? null,
        last4: own.last4 ?? null,
        payment_reference: null,
        routing_number: own.routing_number ?? null,
      },
    };
  }
  if (type === 'amazon_pay') return { type, amazon_pay: { transaction_id: null } };
  return { type, [type]: {} };
}

function storeCharge(
  context: EmulatorContext,
  intent: StripeObject,
  paymentMethod: StripeObject,
  state: ChargeState,
  details: { authenticated?: boolean; failure?: CardDecline },
): StripeObject {
  const captured = state === 'succeeded';
  return context.store.put<StripeObject>({
    id: newId('ch'),
    object: 'charge',
    amount: intent.amount,
    amount_captured: captured ? intent.amount : 0,
    amount_refunded: 0,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: null,
    billing_details: clone(paymentMethod.billing_details),
    calculated_statement_descriptor: (intent.statement_descriptor ?? context.accountName).toUpperCase().slice(0, 22),
    captured,
    created: context.now(),
    currency: intent.currency,
    customer: intent.customer,
    description: intent.description,
    disputed: false,
    failure_balance_transaction: null,
    failure_code: details.failure?.code ?? null,
    failure_message: details.failure?.message ?? null,
    fraud_details: {},
    livemode: false,
    metadata: { ...intent.metadata },
    on_behalf_of: null,
    outcome: outcomeOf(state === 'uncaptured' ? 'succeeded' : state, details.failure),
    paid: state === 'succeeded' || state === 'uncaptured',
    payment_intent: intent.id,
    payment_method: paymentMethod.id,
    payment_method_details: paymentMethodDetails(intent, paymentMethod, details.authenticated ?? false),
    receipt_email: intent.receipt_email,
    receipt_number: null,
    receipt_url: null,
    refunded: false,
    review: null,
    shipping: clone(intent.shipping),
    source: null,
    source_transfer: null,
    statement_descriptor: intent.statement_descriptor,
    statement_descriptor_suffix: intent.statement_descriptor_suffix,
    status: state === 'uncaptured' ? 'succeeded' : state,
    transfer_data: null,
    transfer_group: intent.transfer_group,
  });
}

// ---------- routes ----------

export const paymentIntents: ResourceModule = (context) => {
  const { store } = context;
  const intentOf = (id: string) => requireObject(store, 'payment_intent', id);
  /**
   * What a confirming request answers: a decline is Stripe's 402 (the intent keeps the failure); a
   * bank debit answers `processing` and then settles at once, as Stripe's test accounts do shortly after.
   */
  const answerConfirmation = (intent: StripeObject, params: Params, meta: RequestMeta) => {
    if (intent.status === 'requires_payment_method' && intent.last_payment_error) throw declineError(intent);
    const response = expand(intent, expandPaths(params), store);
    if (intent.status === 'processing') settleProcessingPayment(context, intent, meta);
    return response;
  };
  return [
    {
      method: 'POST',
      path: '/v1/payment_intents',
      handle: ({ params, meta }) => answerConfirmation(createPaymentIntent(context, params, meta), params, meta),
    },
    retrieveRoute(context, '/v1/payment_intents/:id', 'payment_intent'),
    objectActionRoute(context, '/v1/payment_intents/:id', 'payment_intent', updatePaymentIntent),
    {
      method: 'POST',
      path: '/v1/payment_intents/:id/confirm',
      handle: ({ pathParams, params, meta }) => answerConfirmation(confirmPaymentIntent(context, intentOf(pathParams.id!), params, meta), params, meta),
    },
    objectActionRoute(context, '/v1/payment_intents/:id/capture', 'payment_intent', capturePaymentIntent),
    {
      method: 'POST',
      path: '/v1/payment_intents/:id/cancel',
      handle({ pathParams, params, meta }) {
        checkParams(params, { cancellation_reason: 'value' });
        const reason = optionalEnum(params.cancellation_reason, 'cancellation_reason', CANCELLATION_REASONS);
        return expand(cancelPaymentIntent(context, intentOf(pathParams.id!), reason, meta), expandPaths(params), store);
      },
    },
    listRoute(context, '/v1/payment_intents', 'payment_intent', {
      filters: { customer: 'value', customer_account: 'value' },
      where(params) {
        const customer = optionalString(params.customer, 'customer');
        return (intent) => customer === undefined || intent.customer === customer;
      },
    }),
  ];
};
