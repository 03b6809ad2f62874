/**
 * Setup intents: saving a payment method for later payments, with the statuses Stripe moves through:
 *
 *   requires_payment_method -> requires_confirmation -> confirm ->
 *     succeeded                      (a card that needs nothing more)
 *     requires_action                (3D Secure cards, redirect wallets such as Amazon Pay: the customer
 *                                     approves or declines on the hosted page at next_action's URL)
 *     requires_payment_method + 402  (a declining card: setup_intent.setup_failed, last_setup_error)
 *   canceled                         (cancel, from any status before success)
 *
 * Success attaches the payment method to the intent's customer (payment_method.attached) and, when
 * mandate_data was given, creates a mandate. Each confirmation is a setup attempt (GET /v1/setup_attempts).
 * The approval operations are exported for the hosted redirect page and for other flows (Checkout).
 */
import type { EmulatorContext, RequestMeta, ResourceModule } from '../context';
import { docUrl, invalidParameter, invalidRequest, missingParameter, noSuch, StripeApiError } from '../errors';
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
} from '../params';
import { listRoute, retrieveRoute } from '../routes';
import { clone, newId, type StripeObject } from '../store';
import { expand } from '../wire';
import { DYNAMIC_PAYMENT_METHOD_TYPES, MANDATE_DATA } from './payment-intents';
import {
  assertAttachable,
  attachPaymentMethod,
  BILLING_DETAILS,
  cardError,
  createPaymentMethod,
  markSetUpForFuturePayments,
  REDIRECT_TYPES,
  requiresAuthenticationOnSetup,
  resolvePaymentMethod,
  verificationDecline,
} from './payment-methods';

/** Where the hosted approval page lives: `<base>/r/setup_intent/<client_secret>`. */
export const SETUP_INTENT_APPROVAL_PREFIX = '/r/setup_intent/';

const USAGES = ['on_session', 'off_session'] as const;
const CANCELLATION_REASONS = ['abandoned', 'requested_by_customer', 'duplicate'] as const;
const REQUEST_THREE_D_SECURE = ['any', 'automatic', 'challenge'] as const;
const FLOW_DIRECTIONS = ['inbound', 'outbound'] as const;
/** Types a setup intent may list: cards and the redirect wallets, plus Link, which Stripe lists beside cards. */
const LISTABLE_TYPES = ['card', ...REDIRECT_TYPES, 'link'];
const CONFIRMABLE = ['requires_payment_method', 'requires_confirmation', 'requires_action'];

const PAYMENT_METHOD_DATA: ParamSpec = {
  type: 'value',
  allow_redisplay: 'value',
  billing_details: BILLING_DETAILS,
  metadata: 'map',
  radar_options: { session: 'value' },
  ...Object.fromEntries(REDIRECT_TYPES.map((type) => [type, {}])),
};
const PAYMENT_METHOD_OPTIONS: ParamSpec = {
  card: {
    mandate_options: {
      amount: 'value',
      amount_type: 'value',
      currency: 'value',
      description: 'value',
      end_date: 'value',
      interval: 'value',
      interval_count: 'value',
      reference: 'value',
      start_date: 'value',
      supported_types: ['value'],
    },
    moto: 'value',
    network: 'value',
    request_three_d_secure: 'value',
    setup_credential_usage: 'value',
  },
  amazon_pay: {},
  paypal: { billing_agreement_id: 'value' },
  revolut_pay: {},
};

const WRITABLE: Record<string, ParamSpec> = {
  // `payment_method_types` is the name the CLI and older integrations send; this API version calls it allowed_…
  allowed_payment_method_types: ['value'],
  payment_method_types: ['value'],
  attach_to_self: 'value',
  customer: 'value',
  customer_account: 'value',
  description: 'value',
  excluded_payment_method_types: ['value'],
  flow_directions: ['value'],
  metadata: 'map',
  payment_method: 'value',
  payment_method_configuration: 'value',
  payment_method_data: PAYMENT_METHOD_DATA,
  payment_method_options: PAYMENT_METHOD_OPTIONS,
};

const CONFIRMING: Record<string, ParamSpec> = {
  confirmation_token: 'value',
  mandate_data: MANDATE_DATA,
  return_url: 'value',
  use_stripe_sdk: 'value',
};

const CREATE: Record<string, ParamSpec> = {
  ...WRITABLE,
  ...CONFIRMING,
  automatic_payment_methods: { allow_redirects: 'value', enabled: 'value' },
  confirm: 'value',
  on_behalf_of: 'value',
  single_use: { amount: 'value', currency: 'value' },
  usage: 'value',
};

const CONFIRM: Record<string, ParamSpec> = {
  ...CONFIRMING,
  allowed_payment_method_types: ['value'],
  payment_method: 'value',
  payment_method_data: PAYMENT_METHOD_DATA,
  payment_method_options: PAYMENT_METHOD_OPTIONS,
};

/** What the intent keeps that Stripe does not show on the object: the return URL and the mandate terms. */
interface Pending {
  returnUrl?: string;
  useStripeSdk?: boolean;
  mandateData?: Params;
  singleUse?: { amount: number; currency: string };
}
const pendingOf = new WeakMap<StripeObject, Pending>();

function pending(intent: StripeObject): Pending {
  let found = pendingOf.get(intent);
  if (!found) {
    found = {};
    pendingOf.set(intent, found);
  }
  return found;
}

// ---------- reading parameters ----------

function paymentMethodTypes(params: Params, automatic: boolean, allowRedirects: string): { listed: string[] | null; effective: string[] } {
  const legacy = params.payment_method_types !== undefined ? arrayOf<string>(params.payment_method_types).map(String) : undefined;
  const allowed = params.allowed_payment_method_types !== undefined ? arrayOf<string>(params.allowed_payment_method_types).map(String) : undefined;
  const given = allowed ?? legacy;
  if (given) {
    const param = allowed ? 'allowed_payment_method_types' : 'payment_method_types';
    for (const type of given) {
      if (!LISTABLE_TYPES.includes(type))
        throw invalidParameter(param, `The payment method type "${type}" is invalid. The emulator supports: ${LISTABLE_TYPES.join(', ')}.`);
    }
    return { listed: allowed ?? null, effective: given };
  }
  // Automatic payment methods: what the emulated account accepts, redirect wallets only when redirects are allowed.
  const dynamic: string[] = [...DYNAMIC_PAYMENT_METHOD_TYPES];
  const excluded = arrayOf<string>(params.excluded_payment_method_types);
  const redirectsAllowed = !(automatic && allowRedirects === 'never');
  const effective = dynamic.filter((type) => !excluded.includes(type) && (redirectsAllowed || !REDIRECT_TYPES.includes(type)));
  return { listed: null, effective };
}

function automaticPaymentMethods(params: Params): { enabled: boolean; allow_redirects: string } | null {
  const typesParam = ['allowed_payment_method_types', 'payment_method_types'].find((name) => params[name] !== undefined);
  const hasTypes = typesParam !== undefined;
  const given = params.automatic_payment_methods;
  const enabled = optionalBoolean(given?.enabled, 'automatic_payment_methods[enabled]');
  const allowRedirects = optionalEnum(given?.allow_redirects, 'automatic_payment_methods[allow_redirects]', ['always', 'never'] as const) ?? 'always';
  if (enabled && hasTypes) throw invalidRequest(`You may only specify one of these parameters: automatic_payment_methods, ${typesParam}.`);
  // Since 2023-08-16 an intent without payment method types uses automatic payment methods.
  if (enabled === false || (enabled === undefined && hasTypes)) return null;
  return { enabled: true, allow_redirects: allowRedirects };
}

type Fields = Record<string, unknown>;

function cardOptions(params: Params, current?: Fields): Fields {
  const card = params.payment_method_options?.card;
  const base = current ?? { mandate_options: null, network: null, request_three_d_secure: 'automatic' };
  if (!card) return base;
  return {
    ...base,
    network: optionalString(card.network, 'payment_method_options[card][network]') ?? base.network,
    request_three_d_secure:
      optionalEnum(card.request_three_d_secure, 'payment_method_options[card][request_three_d_secure]', REQUEST_THREE_D_SECURE) ?? base.request_three_d_secure,
    mandate_options: card.mandate_options ? cardMandateOptions(card.mandate_options) : base.mandate_options,
  };
}

function cardMandateOptions(options: Params): Record<string, unknown> {
  const param = (name: string) => `payment_method_options[card][mandate_options][${name}]`;
  const integer = (name: string) => optionalInteger(options[name], param(name)) ?? null;
  return {
    amount: integer('amount'),
    amount_type: optionalEnum(options.amount_type, param('amount_type'), ['fixed', 'maximum'] as const) ?? null,
    currency: optionalString(options.currency, param('currency')) ?? null,
    description: optionalString(options.description, param('description')) ?? null,
    end_date: integer('end_date'),
    interval: optionalEnum(options.interval, param('interval'), ['day', 'month', 'sporadic', 'week', 'year'] as const) ?? null,
    interval_count: integer('interval_count'),
    reference: optionalString(options.reference, param('reference')) ?? null,
    start_date: integer('start_date'),
    supported_types: options.supported_types ? arrayOf<string>(options.supported_types) : null,
  };
}

function paymentMethodOptions(types: string[], params: Params, current?: { card?: Fields } | null): Fields | null {
  if (!types.includes('card')) return null;
  return { card: cardOptions(params, current?.card) };
}

function flowDirections(value: unknown): string[] | null {
  if (value === undefined || value === '') return null;
  return arrayOf<string>(value).map((direction, index) => optionalEnum(direction, `flow_directions[${index}]`, FLOW_DIRECTIONS)!);
}

/** The payment method a create/update/confirm request names, by id or by `payment_method_data`. */
function paymentMethodFromParams(context: EmulatorContext, params: Params): StripeObject | undefined {
  const id = optionalString(params.payment_method, 'payment_method');
  if (id && params.payment_method_data !== undefined) {
    throw invalidRequest('You may only specify one of these parameters: payment_method, payment_method_data.');
  }
  if (params.confirmation_token !== undefined) {
    // The emulator has no Stripe.js to mint confirmation tokens, so none exists.
    throw noSuch('confirmationtoken', String(params.confirmation_token), 'confirmation_token');
  }
  if (id) return resolvePaymentMethod(context, id, 'payment_method');
  const data = params.payment_method_data;
  if (data === undefined || data === '') return undefined;
  if (!data.type) throw missingParameter('payment_method_data[type]');
  if (data.type === 'card') {
    throw invalidParameter(
      'payment_method_data[type]',
      'Card details cannot be sent with payment_method_data; create the card with a token (tok_visa) or use a test payment method such as pm_card_visa.',
    );
  }
  return createPaymentMethod(context, data);
}

function checkPaymentMethodFits(intent: StripeObject, paymentMethod: StripeObject): void {
  if (!intent.payment_method_types.includes(paymentMethod.type)) {
    throw invalidParameter(
      'payment_method',
      `The PaymentMethod provided (${paymentMethod.type}) is not allowed for this SetupIntent. Please attach a PaymentMethod of one of the following types: ${intent.payment_method_types.join(', ')}. Alternatively, update the allowed payment_method_types for this SetupIntent to include "${paymentMethod.type}".`,
      'setup_intent_invalid_parameter',
    );
  }
  if (paymentMethod.customer && intent.customer && paymentMethod.customer !== intent.customer) {
    throw invalidParameter(
      'payment_method',
      'The provided PaymentMethod is attached to another customer. Use a PaymentMethod attached to the customer of this SetupIntent.',
      'setup_intent_invalid_parameter',
    );
  }
  if (paymentMethod.customer && !intent.customer) {
    throw invalidParameter(
      'customer',
      'The provided PaymentMethod belongs to a Customer, but you did not provide the Customer ID. Please include the Customer ID in the `customer` parameter.',
      'setup_intent_invalid_parameter',
    );
  }
}

function unexpectedState(action: string, intent: StripeObject): StripeApiError {
  return new StripeApiError(400, {
    type: 'invalid_request_error',
    code: 'setup_intent_unexpected_state',
    message: `You cannot ${action} this SetupIntent because it has a status of ${intent.status}.`,
    doc_url: docUrl('setup_intent_unexpected_state'),
  });
}

// ---------- operations ----------

/** POST /v1/setup_intents: setup_intent.created, then (with confirm=true) whatever confirming does. */
function createSetupIntent(context: EmulatorContext, params: Params, meta: RequestMeta): StripeObject {
  const { store } = context;
  const customerId = optionalString(params.customer, 'customer');
  if (customerId) requireObject(store, 'customer', customerId, 'customer');
  if (params.payment_method_configuration !== undefined) {
    // Payment method configurations are a Dashboard feature the emulator does not have.
    throw noSuch('payment_method_configuration', String(params.payment_method_configuration), 'payment_method_configuration');
  }
  const confirm = optionalBoolean(params.confirm, 'confirm') ?? false;
  const automatic = automaticPaymentMethods(params);
  const types = paymentMethodTypes(params, automatic !== null, automatic?.allow_redirects ?? 'always');
  const usage = optionalEnum(params.usage, 'usage', USAGES) ?? 'off_session';
  const returnUrl = optionalString(params.return_url, 'return_url');
  for (const name of ['mandate_data', 'return_url', 'use_stripe_sdk'] as const) {
    if (params[name] !== undefined && !confirm) throw invalidParameter(name, `You can only pass \`${name}\` when \`confirm\` is true.`);
  }
  const singleUse = singleUseFrom(params);
  const draft: StripeObject = {
    id: newId('seti'),
    object: 'setup_intent',
    allowed_payment_method_types: types.listed,
    application: null,
    automatic_payment_methods: automatic,
    cancellation_reason: null,
    client_secret: '',
    created: context.now(),
    customer: customerId ?? null,
    customer_account: optionalString(params.customer_account, 'customer_account') ?? null,
    description: optionalString(params.description, 'description') ?? null,
    excluded_payment_method_types: params.excluded_payment_method_types ? arrayOf<string>(params.excluded_payment_method_types) : null,
    flow_directions: flowDirections(params.flow_directions),
    last_setup_error: null,
    latest_attempt: null,
    livemode: false,
    mandate: null,
    metadata: mergeMetadata({}, params.metadata),
    next_action: null,
    on_behalf_of: optionalString(params.on_behalf_of, 'on_behalf_of') ?? null,
    payment_method: null,
    payment_method_configuration_details: null,
    payment_method_options: paymentMethodOptions(types.effective, params),
    payment_method_types: types.effective,
    single_use_mandate: null,
    status: 'requires_payment_method',
    usage,
  };
  draft.client_secret = `${draft.id}_secret_${newId('x', 25).slice(2)}`;
  const attachToSelf = optionalBoolean(params.attach_to_self, 'attach_to_self');
  if (attachToSelf !== undefined) draft.attach_to_self = attachToSelf;
  const paymentMethod = paymentMethodFromParams(context, params);
  if (paymentMethod) {
    checkPaymentMethodFits(draft, paymentMethod);
    draft.payment_method = paymentMethod.id;
    draft.status = 'requires_confirmation';
  }
  if (confirm) checkConfirmable(draft, paymentMethod, returnUrl);
  const intent = store.put(draft);
  Object.assign(pending(intent), { returnUrl, singleUse });
  context.emit('setup_intent.created', intent, meta);
  if (!confirm) return intent;
  return confirmSetupIntent(context, intent, pick(params, ['mandate_data', 'return_url', 'use_stripe_sdk']), meta);
}

function singleUseFrom(params: Params): Pending['singleUse'] {
  const given = params.single_use;
  if (given === undefined || given === '') return undefined;
  const amount = optionalInteger(given.amount, 'single_use[amount]');
  const currency = optionalString(given.currency, 'single_use[currency]');
  if (amount === undefined) throw missingParameter('single_use[amount]');
  if (!currency) throw missingParameter('single_use[currency]');
  return { amount, currency: currency.toLowerCase() };
}

function pick(params: Params, names: string[]): Params {
  return Object.fromEntries(names.filter((name) => params[name] !== undefined).map((name) => [name, params[name]]));
}

/** POST /v1/setup_intents/:id: fields before success; a new payment method needs a new confirmation. */
function updateSetupIntent(context: EmulatorContext, intent: StripeObject, params: Params): StripeObject {
  if (intent.status === 'succeeded' || intent.status === 'canceled') throw unexpectedState('update', intent);
  const customerId = optionalString(params.customer, 'customer');
  if (customerId) requireObject(context.store, 'customer', customerId, 'customer');
  if (params.payment_method_configuration !== undefined) {
    throw noSuch('payment_method_configuration', String(params.payment_method_configuration), 'payment_method_configuration');
  }
  const hasTypes = params.payment_method_types !== undefined || params.allowed_payment_method_types !== undefined;
  const types = hasTypes ? paymentMethodTypes(params, false, 'always') : undefined;
  const next = clone(intent);
  if (customerId) next.customer = customerId;
  if (types) {
    next.allowed_payment_method_types = types.listed;
    next.payment_method_types = types.effective;
    next.automatic_payment_methods = null;
  }
  if (params.description !== undefined) next.description = params.description || null;
  if (params.flow_directions !== undefined) next.flow_directions = flowDirections(params.flow_directions);
  if (params.excluded_payment_method_types !== undefined) next.excluded_payment_method_types = arrayOf<string>(params.excluded_payment_method_types);
  const attachToSelf = optionalBoolean(params.attach_to_self, 'attach_to_self');
  if (attachToSelf !== undefined) next.attach_to_self = attachToSelf;
  next.metadata = mergeMetadata(intent.metadata, params.metadata);
  next.payment_method_options = paymentMethodOptions(next.payment_method_types, params, intent.payment_method_options);
  const paymentMethod = paymentMethodFromParams(context, params);
  if (paymentMethod) {
    checkPaymentMethodFits(next, paymentMethod);
    abandonLatestAttempt(context, intent);
    Object.assign(next, { payment_method: paymentMethod.id, status: 'requires_confirmation', next_action: null });
  }
  return Object.assign(intent, next);
}

/** What confirming would refuse (400), checked before anything changes. */
function checkConfirmable(intent: StripeObject, paymentMethod: StripeObject | undefined, returnUrl: string | undefined): void {
  if (!paymentMethod) {
    throw new StripeApiError(400, {
      type: 'invalid_request_error',
      code: 'setup_intent_unexpected_state',
      message:
        "You cannot confirm this SetupIntent because it's missing a payment method. Update the SetupIntent with a payment method and then confirm it again.",
    });
  }
  if (!REDIRECT_TYPES.includes(paymentMethod.type)) return;
  if (intent.automatic_payment_methods?.allow_redirects === 'never') {
    throw invalidRequest(
      `The PaymentMethod provided (${paymentMethod.type}) requires a redirect, but this SetupIntent was created with automatic_payment_methods[allow_redirects]=never.`,
    );
  }
  if (!returnUrl) {
    const message = intent.automatic_payment_methods
      ? 'This SetupIntent is configured to accept payment methods enabled in your Dashboard. Because some of these payment methods might redirect your customer off of your page, you must provide a `return_url`.'
      : `You must provide a \`return_url\` when confirming a SetupIntent with the payment method type ${paymentMethod.type}.`;
    throw invalidParameter('return_url', message, 'parameter_missing');
  }
}

function mandateDataFrom(params: Params): Params | undefined {
  const data = params.mandate_data;
  if (data === undefined || data === '') return undefined;
  const acceptance = data.customer_acceptance;
  const type = optionalEnum(acceptance?.type, 'mandate_data[customer_acceptance][type]', ['online', 'offline'] as const);
  if (!type) throw missingParameter('mandate_data[customer_acceptance][type]');
  if (type === 'online' && !acceptance.online) throw missingParameter('mandate_data[customer_acceptance][online]');
  optionalInteger(acceptance.accepted_at, 'mandate_data[customer_acceptance][accepted_at]');
  return data;
}

/**
 * POST /v1/setup_intents/:id/confirm. Outcomes: succeeded (setup_intent.succeeded, the payment method
 * attached), requires_action (setup_intent.requires_action, next_action to the approval page), or a
 * declined card: setup_intent.setup_failed and Stripe's 402 card_error carrying the intent.
 */
function confirmSetupIntent(context: EmulatorContext, intent: StripeObject, params: Params, meta: RequestMeta): StripeObject {
  if (!CONFIRMABLE.includes(intent.status)) throw unexpectedState('confirm', intent);
  const state = pending(intent);
  const returnUrl = optionalString(params.return_url, 'return_url') ?? state.returnUrl;
  const useStripeSdk = optionalBoolean(params.use_stripe_sdk, 'use_stripe_sdk');
  const mandateData = mandateDataFrom(params);
  const types = params.allowed_payment_method_types !== undefined ? paymentMethodTypes(params, false, 'always') : undefined;
  const probe = types ? { ...intent, payment_method_types: types.effective } : intent;
  const fromParams = paymentMethodFromParams(context, params);
  if (fromParams) checkPaymentMethodFits(probe, fromParams);
  const paymentMethod = fromParams ?? (intent.payment_method ? context.store.get(intent.payment_method, 'payment_method') : undefined);
  checkConfirmable(probe, paymentMethod, returnUrl);
  if (types) Object.assign(intent, { allowed_payment_method_types: types.listed, payment_method_types: types.effective });
  if (params.payment_method_options !== undefined)
    intent.payment_method_options = paymentMethodOptions(intent.payment_method_types, params, intent.payment_method_options);
  Object.assign(state, { returnUrl, ...(useStripeSdk !== undefined && { useStripeSdk }), ...(mandateData && { mandateData }) });
  Object.assign(intent, { payment_method: paymentMethod!.id, last_setup_error: null, next_action: null });
  return runAttempt(context, intent, paymentMethod!, meta);
}

function needsCustomerAction(intent: StripeObject, paymentMethod: StripeObject): boolean {
  if (REDIRECT_TYPES.includes(paymentMethod.type)) return true;
  const requested = intent.payment_method_options?.card?.request_three_d_secure;
  return requiresAuthenticationOnSetup(paymentMethod) || requested === 'any' || requested === 'challenge';
}

function runAttempt(context: EmulatorContext, intent: StripeObject, paymentMethod: StripeObject, meta: RequestMeta): StripeObject {
  abandonLatestAttempt(context, intent);
  const attempt = newAttempt(context, intent, paymentMethod);
  intent.latest_attempt = attempt.id;
  const decline = paymentMethod.type === 'card' ? verificationDecline(paymentMethod) : undefined;
  if (decline) {
    const error = { type: 'card_error', code: decline.code, decline_code: decline.decline_code, message: decline.message, doc_url: docUrl(decline.code) };
    failSetup(context, intent, attempt, paymentMethod, error, meta);
    throw cardError(decline, { payment_method: clone(paymentMethod), setup_intent: clone(intent) });
  }
  if (needsCustomerAction(intent, paymentMethod)) {
    Object.assign(intent, { status: 'requires_action', next_action: nextAction(context, intent, paymentMethod) });
    context.emit('setup_intent.requires_action', intent, meta);
    return intent;
  }
  return succeed(context, intent, attempt, paymentMethod, meta);
}

/** The approval page for this intent (redirect wallets and 3D Secure alike). */
function approvalUrl(context: EmulatorContext, intent: StripeObject): string {
  return `${context.baseUrl()}${SETUP_INTENT_APPROVAL_PREFIX}${intent.client_secret}`;
}

function nextAction(context: EmulatorContext, intent: StripeObject, paymentMethod: StripeObject): Fields {
  const state = pending(intent);
  const url = approvalUrl(context, intent);
  // Cards authenticate in Stripe.js unless the integration asked for a redirect by giving a return_url.
  const inSdk = paymentMethod.type === 'card' && (state.useStripeSdk === true || !state.returnUrl);
  if (inSdk) return { type: 'use_stripe_sdk', use_stripe_sdk: { type: 'three_d_secure_redirect', stripe_js: url } };
  return { type: 'redirect_to_url', redirect_to_url: { url, return_url: state.returnUrl ?? null } };
}

function succeed(context: EmulatorContext, intent: StripeObject, attempt: StripeObject, paymentMethod: StripeObject, meta: RequestMeta): StripeObject {
  if (intent.customer) {
    assertAttachable(paymentMethod, intent.customer);
    attachPaymentMethod(context, paymentMethod, intent.customer, meta);
  }
  markSetUpForFuturePayments(paymentMethod);
  const mandate = createMandate(context, intent, paymentMethod);
  if (mandate) intent[mandate.type === 'single_use' ? 'single_use_mandate' : 'mandate'] = mandate.id;
  attempt.status = 'succeeded';
  Object.assign(intent, { status: 'succeeded', next_action: null, last_setup_error: null });
  context.emit('setup_intent.succeeded', intent, meta);
  return intent;
}

function failSetup(
  context: EmulatorContext,
  intent: StripeObject,
  attempt: StripeObject,
  paymentMethod: StripeObject,
  error: Record<string, unknown>,
  meta: RequestMeta,
): void {
  Object.assign(attempt, { status: 'failed', setup_error: { ...error, payment_method: clone(paymentMethod) } });
  Object.assign(intent, {
    status: 'requires_payment_method',
    payment_method: null,
    next_action: null,
    last_setup_error: { ...error, payment_method: clone(paymentMethod) },
  });
  context.emit('setup_intent.setup_failed', intent, meta);
}

/** The payment method and attempt of an intent that waited for the customer, the attempt's card authentication settled as `action` says. */
function concludeAction(context: EmulatorContext, intent: StripeObject, action: 'approve' | 'decline'): { paymentMethod: StripeObject; attempt: StripeObject } {
  if (intent.status !== 'requires_action') throw unexpectedState(action, intent);
  const paymentMethod = requireObject(context.store, 'payment_method', intent.payment_method);
  const attempt = requireObject(context.store, 'setup_attempt', intent.latest_attempt);
  if (paymentMethod.type === 'card') attempt.payment_method_details.card.three_d_secure = threeDSecure(action === 'approve' ? 'authenticated' : 'failed');
  return { paymentMethod, attempt };
}

/** The customer approved on the redirect (or 3D Secure) page: the setup succeeds. */
export function approveSetupIntentAction(context: EmulatorContext, intent: StripeObject, meta: RequestMeta): StripeObject {
  const { paymentMethod, attempt } = concludeAction(context, intent, 'approve');
  return succeed(context, intent, attempt, paymentMethod, meta);
}

/** The customer declined (or failed authentication): back to requires_payment_method with last_setup_error. */
export function declineSetupIntentAction(context: EmulatorContext, intent: StripeObject, meta: RequestMeta): StripeObject {
  const { paymentMethod, attempt } = concludeAction(context, intent, 'decline');
  const code = 'setup_intent_authentication_failure';
  const error = {
    type: 'invalid_request_error',
    code,
    message: 'We are unable to authenticate your payment method. Please choose a different payment method and try again.',
    doc_url: docUrl(code),
  };
  failSetup(context, intent, attempt, paymentMethod, error, meta);
  return intent;
}

/** Where the customer goes back to after the approval page, with the query Stripe appends. */
export function returnUrlAfterAction(intent: StripeObject): string | undefined {
  const returnUrl = pending(intent).returnUrl;
  if (!returnUrl) return undefined;
  const url = new URL(returnUrl);
  url.searchParams.set('setup_intent', intent.id);
  url.searchParams.set('setup_intent_client_secret', intent.client_secret);
  url.searchParams.set('redirect_status', intent.status === 'succeeded' ? 'succeeded' : 'failed');
  return url.toString();
}

/** The intent a hosted page's URL names by its client secret. */
export function findSetupIntentBySecret(context: EmulatorContext, clientSecret: string): StripeObject | undefined {
  return context.store.all('setup_intent').find((intent) => intent.client_secret === clientSecret);
}

/** POST /v1/setup_intents/:id/cancel (setup_intent.canceled). */
function cancelSetupIntent(context: EmulatorContext, intent: StripeObject, reason: string | undefined, meta: RequestMeta): StripeObject {
  if (!CONFIRMABLE.includes(intent.status)) {
    throw new StripeApiError(400, {
      type: 'invalid_request_error',
      code: 'setup_intent_unexpected_state',
      message: `You cannot cancel this SetupIntent because it has a status of ${intent.status}. Only a SetupIntent with one of the following statuses may be canceled: ${CONFIRMABLE.join(', ')}.`,
    });
  }
  abandonLatestAttempt(context, intent);
  Object.assign(intent, { status: 'canceled', cancellation_reason: reason ?? null, next_action: null });
  context.emit('setup_intent.canceled', intent, meta);
  return intent;
}

// ---------- setup attempts and mandates ----------

/** An attempt still waiting for the customer ends when the intent is confirmed again or canceled. */
function abandonLatestAttempt(context: EmulatorContext, intent: StripeObject): void {
  const attempt = intent.latest_attempt ? context.store.get(intent.latest_attempt, 'setup_attempt') : undefined;
  if (attempt?.status === 'requires_action') attempt.status = 'abandoned';
}

function threeDSecure(result: 'authenticated' | 'failed'): Record<string, unknown> {
  return {
    authentication_flow: 'challenge',
    electronic_commerce_indicator: result === 'authenticated' ? '05' : '07',
    result,
    result_reason: result === 'failed' ? 'rejected' : null,
    transaction_id: newId('3ds', 16).slice(4),
    version: '2.2.0',
  };
}

function attemptDetails(paymentMethod: StripeObject): Record<string, unknown> {
  if (paymentMethod.type !== 'card') return { type: paymentMethod.type, [paymentMethod.type]: {} };
  const card = paymentMethod.card;
  return {
    type: 'card',
    card: {
      brand: card.brand,
      checks: card.checks,
      country: card.country,
      exp_month: card.exp_month,
      exp_year: card.exp_year,
      fingerprint: card.fingerprint,
      funding: card.funding,
      last4: card.last4,
      network: card.brand,
      three_d_secure: null,
      wallet: null,
    },
  };
}

function newAttempt(context: EmulatorContext, intent: StripeObject, paymentMethod: StripeObject): StripeObject {
  return context.store.put({
    id: newId('setatt'),
    object: 'setup_attempt',
    application: null,
    created: context.now(),
    customer: intent.customer,
    customer_account: intent.customer_account ?? null,
    flow_directions: intent.flow_directions ?? null,
    livemode: false,
    on_behalf_of: intent.on_behalf_of,
    payment_method: paymentMethod.id,
    payment_method_details: attemptDetails(paymentMethod),
    setup_error: null,
    setup_intent: intent.id,
    status: 'requires_action',
    usage: intent.usage,
  });
}

const MANDATE_DETAILS: Record<string, Record<string, unknown>> = {
  card: {},
  amazon_pay: {},
  paypal: { billing_agreement_id: null, payer_id: null },
  revolut_pay: {},
};

/** A mandate when the customer accepted terms (mandate_data); single_use when the intent is for one payment. */
function createMandate(context: EmulatorContext, intent: StripeObject, paymentMethod: StripeObject): StripeObject | undefined {
  const state = pending(intent);
  const acceptance = state.mandateData?.customer_acceptance;
  if (!acceptance) return undefined;
  const { singleUse } = state;
  const type = acceptance.type as 'online' | 'offline';
  return context.store.put({
    id: newId('mandate'),
    object: 'mandate',
    customer_acceptance: {
      accepted_at: optionalInteger(acceptance.accepted_at, 'mandate_data[customer_acceptance][accepted_at]') ?? context.now(),
      ...(type === 'online'
        ? { online: { ip_address: acceptance.online?.ip_address ?? null, user_agent: acceptance.online?.user_agent ?? null } }
        : { offline: {} }),
      type,
    },
    livemode: false,
    ...(singleUse ? { single_use: singleUse } : { multi_use: {} }),
    payment_method: paymentMethod.id,
    payment_method_details: { type: paymentMethod.type, [paymentMethod.type]: MANDATE_DETAILS[paymentMethod.type] ?? {} },
    status: 'active',
    type: singleUse ? 'single_use' : 'multi_use',
  });
}

// ---------- routes ----------

export const setupIntents: ResourceModule = (context) => {
  const { store } = context;
  const intentOf = (id: string) => requireObject(store, 'setup_intent', id);
  return [
    {
      method: 'POST',
      path: '/v1/setup_intents',
      handle({ params, meta }) {
        checkParams(params, CREATE);
        return expand(createSetupIntent(context, params, meta), expandPaths(params), store);
      },
    },
    {
      method: 'GET',
      path: '/v1/setup_intents/:id',
      handle({ pathParams, params }) {
        checkParams(params, { client_secret: 'value' });
        const intent = intentOf(pathParams.id!);
        const secret = optionalString(params.client_secret, 'client_secret');
        if (secret !== undefined && secret !== intent.client_secret) {
          throw invalidParameter('client_secret', 'The client_secret provided does not match the client_secret associated with the SetupIntent.');
        }
        return expand(intent, expandPaths(params), store);
      },
    },
    {
      method: 'POST',
      path: '/v1/setup_intents/:id',
      handle({ pathParams, params }) {
        checkParams(params, WRITABLE);
        return expand(updateSetupIntent(context, intentOf(pathParams.id!), params), expandPaths(params), store);
      },
    },
    {
      method: 'POST',
      path: '/v1/setup_intents/:id/confirm',
      handle({ pathParams, params, meta }) {
        checkParams(params, CONFIRM);
        return expand(confirmSetupIntent(context, intentOf(pathParams.id!), params, meta), expandPaths(params), store);
      },
    },
    {
      method: 'POST',
      path: '/v1/setup_intents/:id/cancel',
      handle({ pathParams, params, meta }) {
        checkParams(params, { cancellation_reason: 'value' });
        const reason = optionalEnum(params.cancellation_reason, 'cancellation_reason', CANCELLATION_REASONS);
        return expand(cancelSetupIntent(context, intentOf(pathParams.id!), reason, meta), expandPaths(params), store);
      },
    },
    listRoute(context, '/v1/setup_intents', 'setup_intent', {
      filters: { customer: 'value', customer_account: 'value', payment_method: 'value', attach_to_self: 'value' },
      where: (params) => {
        const customer = optionalString(params.customer, 'customer');
        const paymentMethod = optionalString(params.payment_method, 'payment_method');
        const attachToSelf = optionalBoolean(params.attach_to_self, 'attach_to_self');
        return (intent) =>
          (customer === undefined || intent.customer === customer) &&
          (paymentMethod === undefined || intent.payment_method === paymentMethod) &&
          (attachToSelf === undefined || (intent.attach_to_self ?? false) === attachToSelf);
      },
    }),
    listRoute(context, '/v1/setup_attempts', 'setup_attempt', {
      filters: { setup_intent: 'value' },
      where: (params) => {
        const intent = optionalString(params.setup_intent, 'setup_intent');
        if (!intent) throw missingParameter('setup_intent');
        return (attempt) => attempt.setup_intent === intent;
      },
    }),
    retrieveRoute(context, '/v1/mandates/:id', 'mandate'),
  ];
};
