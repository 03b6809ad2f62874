/**
 * Payment methods: cards (from Stripe's test tokens `tok_visa`, test ids `pm_card_visa`, or a number typed
 * on a hosted page) and redirect wallets (Amazon Pay, PayPal, Revolut Pay). They are created unattached,
 * then attached to a customer (payment_method.attached), updated (payment_method.updated) and detached
 * (payment_method.detached).
 *
 * As in Stripe's test mode, a test card's number decides what happens when it is verified or charged:
 * `chargeOutcome` and `verificationDecline` tell the other resources (invoices, payment and setup intents)
 * without any field on the wire object.
 */
import { createHash } from 'node:crypto';
import type { EmulatorContext, RequestMeta, ResourceModule } from '../context';
import { docUrl, invalidParameter, invalidRequest, missingParameter, noSuch, StripeApiError, type StripeErrorBody } from '../errors';
import { requireObject } from '../lookup';
import { ADDRESS, checkParams, expandPaths, mergeMetadata, optionalEnum, optionalInteger, optionalString, type ParamSpec, type Params } from '../params';
import { listRoute, retrieveRoute } from '../routes';
import { clone, newId, type StripeObject } from '../store';
import { emitIfChanged, expand } from '../wire';

/** A card as a hosted page reads it; the number decides brand, last4 and test behaviour, nothing is charged. */
export interface CardDetails {
  number: string;
  expMonth?: number;
  expYear?: number;
}

export type BillingDetails = {
  address?: Record<string, string | null> | null;
  email?: string | null;
  name?: string | null;
  phone?: string | null;
  tax_id?: string | null;
};

/** What a charge (or an off-session payment) on a payment method does; a decline says which card error follows. */
export type ChargeOutcome = { kind: 'succeeds' } | { kind: 'declines'; decline: CardDecline } | { kind: 'requires_authentication' };

/** The card error Stripe answers for a declined card. */
export interface CardDecline {
  code: string;
  decline_code: string;
  message: string;
}

/** A card error body: Stripe adds the decline code and the objects concerned to the envelope. */
export interface CardErrorBody extends StripeErrorBody {
  decline_code?: string;
  payment_method?: StripeObject;
  setup_intent?: StripeObject;
  payment_intent?: StripeObject;
}

// Stripe's test card numbers by the name used in `tok_<name>` and `pm_card_<name>`.
const TEST_CARDS: Record<string, string> = {
  visa: '4242424242424242',
  visa_debit: '4000056655665556',
  mastercard: '5555555555554444',
  mastercard_debit: '5200828282828210',
  mastercard_prepaid: '5105105105105100',
  amex: '378282246310005',
  discover: '6011111111111117',
  diners: '3056930009020004',
  jcb: '3566002020360505',
  unionpay: '6200000000000005',
  chargeCustomerFail: '4000000000000341',
  chargeDeclined: '4000000000000002',
  chargeDeclinedInsufficientFunds: '4000000000009995',
  chargeDeclinedLostCard: '4000000000009987',
  chargeDeclinedStolenCard: '4000000000009979',
  chargeDeclinedExpiredCard: '4000000000000069',
  chargeDeclinedIncorrectCvc: '4000000000000127',
  chargeDeclinedProcessingError: '4000000000000119',
  authenticationRequired: '4000002760003184',
  authenticationRequiredOnSetup: '4000002500003155',
  threeDSecure2Required: '4000000000003220',
  threeDSecureRequired: '4000000000003063',
};

const FUNDING: Record<string, string> = { '4000056655665556': 'debit', '5200828282828210': 'debit', '5105105105105100': 'prepaid' };

const GENERIC_DECLINE: CardDecline = { code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' };

// Stripe's special test cards are all Visa numbers; their last four digits identify them.
const DECLINES_BY_LAST4: Record<string, CardDecline> = {
  '0002': GENERIC_DECLINE,
  '0341': GENERIC_DECLINE,
  '9995': { code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' },
  '9987': { code: 'card_declined', decline_code: 'lost_card', message: 'Your card was declined.' },
  '9979': { code: 'card_declined', decline_code: 'stolen_card', message: 'Your card was declined.' },
  '0069': { code: 'expired_card', decline_code: 'expired_card', message: 'Your card has expired.' },
  '0127': { code: 'incorrect_cvc', decline_code: 'incorrect_cvc', message: "Your card's security code is incorrect." },
  '0119': { code: 'processing_error', decline_code: 'processing_error', message: 'An error occurred while processing your card. Try again in a little bit.' },
};
/** chargeCustomerFail: attaching and setting up succeed, only charges fail. */
const DECLINES_ONLY_CHARGES = '0341';
/** 3184, 3220, 3063 ask for authentication on every payment; 3155 only until it is set up with a SetupIntent. */
const ALWAYS_AUTHENTICATES = ['3184', '3220', '3063'];
const AUTHENTICATES_UNTIL_SET_UP = '3155';

/** Wallet types the emulator creates and how their details look (all are redirect-based). */
const WALLET_DETAILS: Record<string, () => Record<string, unknown>> = {
  amazon_pay: () => ({}),
  paypal: () => ({ country: null, payer_email: null, payer_id: null }),
  revolut_pay: () => ({}),
};
export const REDIRECT_TYPES: readonly string[] = Object.keys(WALLET_DETAILS);
/** Bank debits made from account details (their outcome is the payment intents' business). */
const BANK_DEBIT_TYPES = ['sepa_debit', 'us_bank_account'];
const PAYMENT_METHOD_TYPES: readonly string[] = ['card', ...REDIRECT_TYPES, ...BANK_DEBIT_TYPES];

// Not on the wire: ids of cards set up for future payments by a SetupIntent (ids are unique, so the set
// needs no reset), and the test id a card came from (`pm_card_visa` keeps naming the card made from it
// for the customer it was attached to).
const setUpForFuturePayments = new Set<string>();
const testIdOrigin = new WeakMap<StripeObject, string>();

export const BILLING_DETAILS: ParamSpec = { address: ADDRESS, email: 'value', name: 'value', phone: 'value', tax_id: 'value' };
const CARD_NETWORKS: ParamSpec = { preferred: 'value' };

const CREATE: Record<string, ParamSpec> = {
  type: 'value',
  allow_redisplay: 'value',
  billing_details: BILLING_DETAILS,
  card: { cvc: 'value', exp_month: 'value', exp_year: 'value', networks: CARD_NETWORKS, number: 'value', token: 'value' },
  customer: 'value',
  metadata: 'map',
  payment_method: 'value',
  radar_options: { session: 'value' },
  sepa_debit: { iban: 'value' },
  us_bank_account: {
    account_holder_type: 'value',
    account_number: 'value',
    account_type: 'value',
    financial_connections_account: 'value',
    routing_number: 'value',
  },
  ...Object.fromEntries(REDIRECT_TYPES.map((type) => [type, {}])),
};

const UPDATE: Record<string, ParamSpec> = {
  allow_redisplay: 'value',
  billing_details: BILLING_DETAILS,
  card: { exp_month: 'value', exp_year: 'value', networks: CARD_NETWORKS },
  metadata: 'map',
  us_bank_account: { account_holder_type: 'value', account_type: 'value' },
};

const ACCOUNT_HOLDER_TYPES = ['company', 'individual'] as const;
const ACCOUNT_TYPES = ['checking', 'savings'] as const;

const ALLOW_REDISPLAY = ['always', 'limited', 'unspecified'] as const;
const LIST_FILTERS: Record<string, ParamSpec> = { type: 'value', allow_redisplay: 'value' };

// ---------- test cards and their behaviour ----------

function cardBrand(number: string): string {
  if (number.startsWith('4')) return 'visa';
  if (/^(5[1-5]|2[2-7])/.test(number)) return 'mastercard';
  if (/^3[47]/.test(number)) return 'amex';
  if (/^(6011|64[4-9]|65)/.test(number)) return 'discover';
  if (/^3(0[0-5]|[68])/.test(number)) return 'diners';
  if (/^35/.test(number)) return 'jcb';
  if (/^62/.test(number)) return 'unionpay';
  return 'unknown';
}

const DISPLAY_BRANDS: Record<string, string> = { amex: 'american_express', diners: 'diners_club', unionpay: 'union_pay' };

/** The card number behind a test token (`tok_visa`), or Stripe's `resource_missing` naming `param`. */
export function testTokenNumber(token: string, param: string): string {
  const number = /^tok_(\w+)$/.exec(token) && TEST_CARDS[token.slice(4)];
  if (!number) throw noSuch('token', token, param);
  return number;
}

/** Brand, last4 and visa-ness of a card payment method or a card source. */
function cardOf(method: StripeObject): { brand: string; last4: string } | undefined {
  const card = method.object === 'card' ? method : method.card;
  return card ? { brand: String(card.brand).toLowerCase(), last4: String(card.last4) } : undefined;
}

function specialLast4(method: StripeObject): string | undefined {
  const card = cardOf(method);
  return card?.brand === 'visa' ? card.last4 : undefined;
}

/** The decline a charge on this card meets, if any (chargeCustomerFail included). */
function cardDecline(method: StripeObject): CardDecline | undefined {
  const last4 = specialLast4(method);
  return last4 ? DECLINES_BY_LAST4[last4] : undefined;
}

/** The decline met when the card is verified: on attach and on setup (chargeCustomerFail passes both). */
export function verificationDecline(method: StripeObject): CardDecline | undefined {
  return specialLast4(method) === DECLINES_ONLY_CHARGES ? undefined : cardDecline(method);
}

/** Whether setting this card up asks the customer to authenticate (3D Secure). */
export function requiresAuthenticationOnSetup(method: StripeObject): boolean {
  const last4 = specialLast4(method);
  return last4 !== undefined && (ALWAYS_AUTHENTICATES.includes(last4) || last4 === AUTHENTICATES_UNTIL_SET_UP);
}

/** Records that a SetupIntent set this payment method up, so later off-session payments pass without authentication. */
export function markSetUpForFuturePayments(method: StripeObject): void {
  setUpForFuturePayments.add(method.id);
}

/** What charging this payment method (or card source) does, following Stripe's test cards. */
export function chargeOutcome(method: StripeObject): ChargeOutcome {
  const decline = cardDecline(method);
  if (decline) return { kind: 'declines', decline };
  const last4 = specialLast4(method);
  const authenticates =
    last4 !== undefined && (ALWAYS_AUTHENTICATES.includes(last4) || (last4 === AUTHENTICATES_UNTIL_SET_UP && !setUpForFuturePayments.has(method.id)));
  return { kind: authenticates ? 'requires_authentication' : 'succeeds' };
}

/** Stripe's 402 for a declined card, with the decline code and any objects it concerns. */
export function cardError(decline: CardDecline, extra: Partial<CardErrorBody> = {}): StripeApiError {
  const body: CardErrorBody = {
    type: 'card_error',
    code: decline.code,
    decline_code: decline.decline_code,
    message: decline.message,
    doc_url: docUrl(decline.code),
    ...extra,
  };
  return new StripeApiError(402, body);
}

// ---------- creation ----------

function billingDetails(billing: BillingDetails): Record<string, unknown> {
  return {
    address: billing.address ? { ...emptyAddress(), ...billing.address } : null,
    email: billing.email ?? null,
    name: billing.name ?? null,
    phone: billing.phone ?? null,
    tax_id: billing.tax_id ?? null,
  };
}

function emptyAddress() {
  return { city: null, country: null, line1: null, line2: null, postal_code: null, state: null };
}

function paymentMethodObject(context: EmulatorContext, type: string, details: Record<string, unknown>, billing: BillingDetails): StripeObject {
  return {
    id: newId('pm'),
    object: 'payment_method',
    allow_redisplay: 'unspecified',
    billing_details: billingDetails(billing),
    created: context.now(),
    customer: null,
    customer_account: null,
    livemode: false,
    metadata: {},
    type,
    [type]: details,
  };
}

/** Stores a new, unattached card payment method (no event: Stripe emits none on creation). */
export function createCardPaymentMethod(context: EmulatorContext, card: CardDetails, billing: BillingDetails = {}): StripeObject {
  const number = card.number.replace(/\s+/g, '');
  const brand = cardBrand(number);
  return context.store.put(
    paymentMethodObject(
      context,
      'card',
      {
        brand,
        checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
        country: 'US',
        display_brand: DISPLAY_BRANDS[brand] ?? brand,
        exp_month: card.expMonth ?? 12,
        exp_year: card.expYear ?? new Date(context.now() * 1000).getUTCFullYear() + 3,
        fingerprint: fingerprintOf(number),
        funding: FUNDING[number] ?? 'credit',
        generated_from: null,
        last4: number.slice(-4),
        networks: { available: [brand], preferred: null },
        regulated_status: 'unregulated',
        three_d_secure_usage: { supported: true },
        wallet: null,
      },
      billing,
    ),
  );
}

/** The same number always has the same fingerprint, as in Stripe (apps use it to spot duplicate cards). */
export function fingerprintOf(number: string): string {
  return createHash('sha256')
    .update(number)
    .digest('base64')
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 16);
}

/** Stores a new, unattached Amazon Pay payment method. */
export function createAmazonPayPaymentMethod(context: EmulatorContext, billing: BillingDetails = {}): StripeObject {
  return createWalletPaymentMethod(context, 'amazon_pay', billing);
}

/** Stores a new, unattached redirect-wallet payment method (amazon_pay, paypal, revolut_pay). */
function createWalletPaymentMethod(context: EmulatorContext, type: string, billing: BillingDetails = {}): StripeObject {
  const details = WALLET_DETAILS[type];
  if (!details) throw invalidParameter('type', `Invalid type: must be one of ${PAYMENT_METHOD_TYPES.join(', ')}`);
  return context.store.put(paymentMethodObject(context, type, details(), billing));
}

// Where the bank and branch codes sit in an IBAN after the country and check digits, for common SEPA countries.
const IBAN_CODES: Record<string, { bank: [number, number]; branch?: [number, number] }> = {
  AT: { bank: [4, 9] },
  BE: { bank: [4, 7] },
  DE: { bank: [4, 12] },
  ES: { bank: [4, 8], branch: [8, 12] },
  FR: { bank: [4, 9], branch: [9, 14] },
  IT: { bank: [5, 10], branch: [10, 15] },
  NL: { bank: [4, 8] },
};

function sepaDebitDetails(params: Params | undefined): Record<string, unknown> {
  const iban = optionalString(params?.iban, 'sepa_debit[iban]')?.replace(/\s+/g, '').toUpperCase();
  if (!iban) throw missingParameter('sepa_debit[iban]');
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$/.test(iban))
    throw invalidParameter('sepa_debit[iban]', 'The IBAN you provided appears to be invalid.', 'invalid_bank_account_iban');
  const country = iban.slice(0, 2);
  const codes = IBAN_CODES[country];
  return {
    bank_code: codes ? iban.slice(...codes.bank) : null,
    branch_code: codes?.branch ? iban.slice(...codes.branch) : null,
    country,
    fingerprint: fingerprintOf(iban),
    generated_from: null,
    last4: iban.slice(-4),
  };
}

function usBankAccountDetails(params: Params | undefined): Record<string, unknown> {
  const param = (name: string) => `us_bank_account[${name}]`;
  const linked = optionalString(params?.financial_connections_account, param('financial_connections_account'));
  // Financial Connections accounts come from Stripe's bank-login flow, which the emulator does not have.
  if (linked) throw noSuch('financial_connections.account', linked, param('financial_connections_account'));
  const accountNumber = optionalString(params?.account_number, param('account_number'));
  const routingNumber = optionalString(params?.routing_number, param('routing_number'));
  if (!accountNumber) throw missingParameter(param('account_number'));
  if (!routingNumber) throw missingParameter(param('routing_number'));
  if (!/^\d{9}$/.test(routingNumber)) throw invalidParameter(param('routing_number'), 'Routing number must have 9 digits.', 'routing_number_invalid');
  if (!/^\d{4,17}$/.test(accountNumber))
    throw invalidParameter(param('account_number'), 'Your account number must be between 4 and 17 digits.', 'account_number_invalid');
  return {
    account_holder_type: optionalEnum(params?.account_holder_type, param('account_holder_type'), ACCOUNT_HOLDER_TYPES) ?? null,
    account_type: optionalEnum(params?.account_type, param('account_type'), ACCOUNT_TYPES) ?? 'checking',
    bank_name: 'STRIPE TEST BANK',
    financial_connections_account: null,
    fingerprint: fingerprintOf(`${routingNumber}:${accountNumber}`),
    last4: accountNumber.slice(-4),
    networks: { preferred: 'ach', supported: ['ach'] },
    routing_number: routingNumber,
    status_details: null,
  };
}

/** Stores a new, unattached bank-debit payment method from account details. */
function createBankDebitPaymentMethod(context: EmulatorContext, type: string, params: Params): StripeObject {
  const details = type === 'sepa_debit' ? sepaDebitDetails(params.sepa_debit) : usBankAccountDetails(params.us_bank_account);
  return context.store.put(paymentMethodObject(context, type, details, {}));
}

/** A fresh card payment method made from a test id such as `pm_card_visa`, as Stripe makes one per use. */
function fromTestId(context: EmulatorContext, id: string): StripeObject | undefined {
  const name = /^pm_card_(\w+)$/.exec(id)?.[1];
  const number = name ? TEST_CARDS[name] : undefined;
  if (!number) return undefined;
  const method = createCardPaymentMethod(context, { number });
  testIdOrigin.set(method, id);
  return method;
}

/**
 * The payment method a request names: a test id (`pm_card_visa`) gives a new card payment method each
 * time, as in Stripe; any other id must exist.
 */
export function resolvePaymentMethod(context: EmulatorContext, id: string, param: string): StripeObject {
  return fromTestId(context, id) ?? requireObject(context.store, 'payment_method', id, param);
}

function readBilling(params: Params): BillingDetails {
  const billing = params.billing_details;
  if (!billing || billing === '') return {};
  const text = (value: unknown) => (value === undefined || value === '' ? null : String(value));
  return {
    address: billing.address && billing.address !== '' ? (billing.address as Record<string, string>) : null,
    email: text(billing.email),
    name: text(billing.name),
    phone: text(billing.phone),
    tax_id: text(billing.tax_id),
  };
}

function cardNumberFromParams(card: Params | undefined): string {
  if (!card) throw missingParameter('card');
  const token = optionalString(card.token, 'card[token]');
  if (token) return testTokenNumber(token, 'card[token]');
  const number = optionalString(card.number, 'card[number]')?.replace(/\s+/g, '');
  if (!number) throw missingParameter('card[number]');
  if (!/^\d{12,19}$/.test(number)) {
    throw new StripeApiError(402, { type: 'card_error', code: 'incorrect_number', message: 'Your card number is incorrect.', param: 'number' });
  }
  return number;
}

/**
 * POST /v1/payment_methods: a card (token, number or test id) or a wallet, or with `payment_method` a
 * copy of an existing one. Exported for `payment_method_data` on intents.
 */
export function createPaymentMethod(context: EmulatorContext, params: Params): StripeObject {
  const source = optionalString(params.payment_method, 'payment_method');
  const owner = optionalString(params.customer, 'customer');
  if (owner && !source) throw missingParameter('payment_method');
  const type = source ? undefined : optionalEnum(params.type, 'type', PAYMENT_METHOD_TYPES);
  if (!source && !type) throw missingParameter('type');
  const allowRedisplay = optionalEnum(params.allow_redisplay, 'allow_redisplay', ALLOW_REDISPLAY);
  const billing = readBilling(params);
  let method: StripeObject;
  if (source) method = copyOf(context, source, owner);
  else if (type === 'card') {
    const number = cardNumberFromParams(params.card);
    method = createCardPaymentMethod(context, {
      number,
      expMonth: optionalInteger(params.card?.exp_month, 'card[exp_month]'),
      expYear: optionalInteger(params.card?.exp_year, 'card[exp_year]'),
    });
  } else if (BANK_DEBIT_TYPES.includes(type!)) method = createBankDebitPaymentMethod(context, type!, params);
  else method = createWalletPaymentMethod(context, type!);
  if (params.billing_details !== undefined) method.billing_details = billingDetails(billing);
  if (allowRedisplay) method.allow_redisplay = allowRedisplay;
  method.metadata = mergeMetadata(method.metadata, params.metadata);
  return method;
}

/**
 * `payment_method=<id>` on create: a test id makes a fresh card; an existing one is copied, unattached
 * (Stripe's clone flow, where `customer` names the customer the original is attached to).
 */
function copyOf(context: EmulatorContext, id: string, owner: string | undefined): StripeObject {
  const fresh = fromTestId(context, id);
  if (fresh) return fresh;
  const original = requireObject(context.store, 'payment_method', id, 'payment_method');
  if (owner) requireObject(context.store, 'customer', owner, 'customer');
  if (owner && original.customer !== owner) throw invalidParameter('customer', `The PaymentMethod ${id} is not attached to the customer ${owner}.`);
  if (!owner && original.customer)
    throw invalidParameter('customer', 'To clone a PaymentMethod attached to a customer, pass that customer as `customer`.', 'parameter_missing');
  return context.store.put({ ...clone(original), id: newId('pm'), created: context.now(), customer: null, metadata: {} });
}

// ---------- attach, detach, update ----------

/**
 * Attaches a payment method to a customer and emits payment_method.attached. Like Stripe, a card that
 * declines verification is refused (402), and one attached to another customer cannot move.
 */
export function attachPaymentMethod(context: EmulatorContext, paymentMethod: StripeObject, customerId: string, meta: RequestMeta): StripeObject {
  assertAttachable(paymentMethod, customerId);
  if (paymentMethod.customer === customerId) return paymentMethod;
  paymentMethod.customer = customerId;
  context.emit('payment_method.attached', paymentMethod, meta);
  return paymentMethod;
}

/** Throws what attaching would answer, before anything changes. */
export function assertAttachable(paymentMethod: StripeObject, customerId: string | undefined): void {
  if (paymentMethod.customer && paymentMethod.customer !== customerId) {
    throw invalidRequest('The payment method you provided has already been attached to a customer.');
  }
  const decline = verificationDecline(paymentMethod);
  if (decline) throw cardError(decline, { param: '' });
}

/** Detaches a payment method (payment_method.detached); a customer default that named it is cleared (customer.updated). */
function detachPaymentMethod(context: EmulatorContext, paymentMethod: StripeObject, meta: RequestMeta): StripeObject {
  if (!paymentMethod.customer) {
    throw invalidRequest('The payment method you provided is not attached to a customer so detachment is impossible.');
  }
  const customer = context.store.get(paymentMethod.customer, 'customer');
  paymentMethod.customer = null;
  context.emit('payment_method.detached', paymentMethod, meta);
  if (customer?.invoice_settings?.default_payment_method === paymentMethod.id) {
    const before = clone(customer.invoice_settings);
    customer.invoice_settings.default_payment_method = null;
    context.emit('customer.updated', customer, meta, { invoice_settings: before });
  }
  return paymentMethod;
}

/** POST /v1/payment_methods/:id: billing details, metadata, card expiry; Stripe only updates saved ones. */
function updatePaymentMethod(context: EmulatorContext, paymentMethod: StripeObject, params: Params, meta: RequestMeta): StripeObject {
  if (!paymentMethod.customer) throw invalidRequest('You must save this PaymentMethod to a customer before you can update it.');
  if (params.card !== undefined && paymentMethod.type !== 'card') throw invalidParameter('card', 'You can only update card details on a card PaymentMethod.');
  if (params.us_bank_account !== undefined && paymentMethod.type !== 'us_bank_account') {
    throw invalidParameter('us_bank_account', 'You can only update bank account details on a us_bank_account PaymentMethod.');
  }
  const holderType = optionalEnum(params.us_bank_account?.account_holder_type, 'us_bank_account[account_holder_type]', ACCOUNT_HOLDER_TYPES);
  const accountType = optionalEnum(params.us_bank_account?.account_type, 'us_bank_account[account_type]', ACCOUNT_TYPES);
  const allowRedisplay = optionalEnum(params.allow_redisplay, 'allow_redisplay', ALLOW_REDISPLAY);
  const expMonth = optionalInteger(params.card?.exp_month, 'card[exp_month]');
  const expYear = optionalInteger(params.card?.exp_year, 'card[exp_year]');
  if (expMonth !== undefined && (expMonth < 1 || expMonth > 12)) {
    throw new StripeApiError(402, {
      type: 'card_error',
      code: 'invalid_expiry_month',
      message: "Your card's expiration month is invalid.",
      param: 'exp_month',
    });
  }
  const before = clone(paymentMethod);
  if (params.billing_details !== undefined) paymentMethod.billing_details = mergeBilling(paymentMethod.billing_details, params.billing_details);
  if (allowRedisplay) paymentMethod.allow_redisplay = allowRedisplay;
  if (expMonth !== undefined) paymentMethod.card.exp_month = expMonth;
  if (expYear !== undefined) paymentMethod.card.exp_year = expYear;
  if (params.card?.networks?.preferred !== undefined) paymentMethod.card.networks.preferred = params.card.networks.preferred || null;
  if (holderType) paymentMethod.us_bank_account.account_holder_type = holderType;
  if (accountType) paymentMethod.us_bank_account.account_type = accountType;
  paymentMethod.metadata = mergeMetadata(paymentMethod.metadata, params.metadata);
  emitIfChanged(context, 'payment_method.updated', before, paymentMethod, meta);
  return paymentMethod;
}

function mergeBilling(current: Record<string, unknown>, update: Params | ''): Record<string, unknown> {
  if (update === '') return billingDetails({});
  const next = { ...current };
  for (const key of ['email', 'name', 'phone', 'tax_id'] as const) {
    if (update[key] !== undefined) next[key] = update[key] === '' ? null : String(update[key]);
  }
  if (update.address !== undefined)
    next.address = update.address === '' ? null : { ...emptyAddress(), ...(current.address as object | null), ...update.address };
  return next;
}

/**
 * The payment method a customer's default may name: one attached to that customer. A test id such as
 * `pm_card_visa` names the card made from it for this customer (Stripe accepts `payment_method` and
 * `invoice_settings[default_payment_method]` both set to `pm_card_visa` on customer creation).
 */
export function requireAttachedPaymentMethod(context: EmulatorContext, customerId: string, id: string, param: string): string {
  const fromTest = context.store
    .all('payment_method')
    .filter((method) => method.customer === customerId && testIdOrigin.get(method) === id)
    .pop();
  if (fromTest) return fromTest.id;
  const method = requireObject(context.store, 'payment_method', id, param);
  if (method.customer !== customerId) throw notAttachedError(id, param);
  return method.id;
}

/** Stripe's answer when a customer's default names a payment method attached to someone else, or to no one. */
export function notAttachedError(id: string, param: string): StripeApiError {
  return invalidParameter(
    param,
    `The customer does not have a payment method with the ID ${id}. The payment method must be attached to the customer.`,
    'resource_missing',
  );
}

// ---------- routes ----------

export const paymentMethods: ResourceModule = (context) => {
  const { store } = context;
  const ofCustomer = (customer: string) => store.all('payment_method').filter((method) => method.customer === customer);
  const matching = (params: Params) => {
    const type = optionalString(params.type, 'type');
    const allowRedisplay = optionalEnum(params.allow_redisplay, 'allow_redisplay', ALLOW_REDISPLAY);
    return (method: StripeObject) =>
      (type === undefined || method.type === type) && (allowRedisplay === undefined || method.allow_redisplay === allowRedisplay);
  };
  return [
    {
      method: 'POST',
      path: '/v1/payment_methods',
      handle({ params }) {
        checkParams(params, CREATE);
        return expand(createPaymentMethod(context, params), expandPaths(params), store);
      },
    },
    retrieveRoute(context, '/v1/payment_methods/:id', 'payment_method'),
    {
      method: 'POST',
      path: '/v1/payment_methods/:id',
      handle({ pathParams, params, meta }) {
        checkParams(params, UPDATE);
        const method = updatePaymentMethod(context, requireObject(store, 'payment_method', pathParams.id!), params, meta);
        return expand(method, expandPaths(params), store);
      },
    },
    {
      method: 'POST',
      path: '/v1/payment_methods/:id/attach',
      handle({ pathParams, params, meta }) {
        checkParams(params, { customer: 'value', customer_account: 'value' });
        const customerId = optionalString(params.customer, 'customer');
        if (!customerId) throw missingParameter('customer');
        const customer = requireObject(store, 'customer', customerId, 'customer');
        const method = fromTestId(context, pathParams.id!) ?? requireObject(store, 'payment_method', pathParams.id!);
        return expand(attachPaymentMethod(context, method, customer.id, meta), expandPaths(params), store);
      },
    },
    {
      method: 'POST',
      path: '/v1/payment_methods/:id/detach',
      handle({ pathParams, params, meta }) {
        checkParams(params, {});
        const method = detachPaymentMethod(context, requireObject(store, 'payment_method', pathParams.id!), meta);
        return expand(method, expandPaths(params), store);
      },
    },
    listRoute(context, '/v1/payment_methods', 'payment_method', {
      filters: { ...LIST_FILTERS, customer: 'value', customer_account: 'value' },
      // Without a customer Stripe lists nothing here (unattached payment methods are not listable).
      where: (params) => {
        const customer = optionalString(params.customer, 'customer');
        if (customer) requireObject(store, 'customer', customer, 'customer');
        const keep = matching(params);
        return (method) => customer !== undefined && method.customer === customer && keep(method);
      },
    }),
    listRoute(context, '/v1/customers/:id/payment_methods', 'payment_method', {
      filters: LIST_FILTERS,
      where: matching,
      source: ({ id }) => ofCustomer(requireObject(store, 'customer', id!).id),
      url: (_params, { id }) => `/v1/customers/${id}/payment_methods`,
    }),
    {
      method: 'GET',
      path: '/v1/customers/:customer/payment_methods/:id',
      handle({ pathParams, params }) {
        checkParams(params, {});
        const customer = requireObject(store, 'customer', pathParams.customer!);
        const method = store.get(pathParams.id!, 'payment_method');
        if (!method || method.customer !== customer.id) throw noSuch('PaymentMethod', pathParams.id!);
        return expand(method, expandPaths(params), store);
      },
    },
  ];
};
