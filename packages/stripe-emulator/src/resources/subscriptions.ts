/**
 * Subscriptions (API 2026-10-28.endive: billing periods live on the items). Every change goes through
 * the exported operations, which the hosted portal page and the test controls use too, so a change
 * made anywhere emits the same events.
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
  optionalEnum,
  optionalInteger,
  optionalString,
  type ParamSpec,
  type Params,
  required,
} from '../params';
import { objectActionRoute } from '../routes';
import { newId, type StripeObject } from '../store';
import { emitIfChanged, expand, matchesCreated, newestFirst, paginate } from '../wire';
import { announceDiscountChanges, assertDiscountsRedeemable, DISCOUNT_PARAM, replaceSubscriptionDiscounts, requestedSubscriptionDiscounts } from './coupons';
import { createSubscriptionInvoice, failInvoicePayment, finalizeInvoice, payInvoice, settleWithoutPayment } from './invoices';
import { planView } from './products';

const STATUSES = ['incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'canceled', 'unpaid', 'paused'] as const;
const PAUSE_BEHAVIORS = ['keep_as_draft', 'mark_uncollectible', 'void'] as const;
const PRORATION_BEHAVIORS = ['always_invoice', 'create_prorations', 'none'] as const;
const PAYMENT_BEHAVIORS = ['allow_incomplete', 'default_incomplete', 'error_if_incomplete', 'pending_if_incomplete'] as const;

const ITEM: ParamSpec = {
  id: 'value',
  price: 'value',
  plan: 'value',
  quantity: 'value',
  deleted: 'value',
  metadata: 'map',
  clear_usage: 'value',
  discounts: ['map'],
  tax_rates: ['value'],
};
/** The reasons a customer can give for canceling (cancellation_details.feedback). */
export const CANCELLATION_FEEDBACK: readonly string[] = [
  'customer_service',
  'low_quality',
  'missing_features',
  'other',
  'switched_service',
  'too_complex',
  'too_expensive',
  'unused',
];
const CANCELLATION_DETAILS: ParamSpec = { comment: 'value', feedback: 'value', feedback_option: 'value' };
const TRIAL_SETTINGS: ParamSpec = { end_behavior: { billing_cycle_anchor: 'value', missing_payment_method: 'value' } };

const COMMON_WRITABLE: Record<string, ParamSpec> = {
  cancel_at_period_end: 'value',
  cancel_at: 'value',
  collection_method: 'value',
  days_until_due: 'value',
  default_payment_method: 'value',
  description: 'value',
  metadata: 'map',
  off_session: 'value',
  payment_behavior: 'value',
  proration_behavior: 'value',
  trial_end: 'value',
  payment_settings: 'map',
  discounts: [DISCOUNT_PARAM],
  // Older API versions' single-discount parameters.
  coupon: 'value',
  promotion_code: 'value',
  automatic_tax: { enabled: 'value' },
};

const CREATE: Record<string, ParamSpec> = {
  ...COMMON_WRITABLE,
  customer: 'value',
  items: [ITEM],
  trial_period_days: 'value',
  currency: 'value',
  backdate_start_date: 'value',
  billing_cycle_anchor: 'value',
  trial_settings: TRIAL_SETTINGS,
};

const UPDATE: Record<string, ParamSpec> = {
  ...COMMON_WRITABLE,
  items: [ITEM],
  pause_collection: { behavior: 'value', resumes_at: 'value' },
  cancellation_details: CANCELLATION_DETAILS,
  proration_date: 'value',
  billing_cycle_anchor: 'value',
  trial_settings: TRIAL_SETTINGS,
};

/** Adds `count` intervals to a unix time, in UTC calendar arithmetic. */
export function addInterval(start: number, interval: string, count: number): number {
  const date = new Date(start * 1000);
  if (interval === 'day') date.setUTCDate(date.getUTCDate() + count);
  else if (interval === 'week') date.setUTCDate(date.getUTCDate() + 7 * count);
  else if (interval === 'month') date.setUTCMonth(date.getUTCMonth() + count);
  else date.setUTCFullYear(date.getUTCFullYear() + count);
  return Math.floor(date.getTime() / 1000);
}

/** The price an item names by `price`, or by `plan` (the older name of a recurring price's id). */
function requestedPrice(context: EmulatorContext, item: Params, param: string): StripeObject | undefined {
  if (item.price !== undefined && item.plan !== undefined) throw invalidRequest('You may only specify one of these parameters: plan, price.', param);
  const field = `${param}[${item.plan !== undefined ? 'plan' : 'price'}]`;
  const id = optionalString(item.plan ?? item.price, field);
  return id ? recurringPrice(context, id, field) : undefined;
}

function recurringPrice(context: EmulatorContext, id: string, param: string): StripeObject {
  const price = requireObject(context.store, 'price', id, param);
  if (!price.recurring)
    throw invalidParameter(param, `The price specified is set to \`type=one_time\` but this field only accepts prices with \`type=recurring\`.`);
  if (!price.active) throw invalidParameter(param, `The price specified is inactive. This field only accepts active prices.`);
  return price;
}

function newItem(
  context: EmulatorContext,
  subscriptionId: string,
  price: StripeObject,
  quantity: number,
  periodStart: number,
  periodEnd: number,
  metadata: Record<string, string> = {},
): StripeObject {
  return {
    id: newId('si', 14),
    object: 'subscription_item',
    billing_thresholds: null,
    created: context.now(),
    current_period_end: periodEnd,
    current_period_start: periodStart,
    current_trial: null,
    discounts: [],
    metadata,
    plan: planView(price),
    price: structuredClone(price),
    quantity,
    subscription: subscriptionId,
    tax_rates: [],
  };
}

function periodEndOf(subscription: StripeObject): number {
  return Math.max(...subscription.items.data.map((item: StripeObject) => item.current_period_end as number));
}

function quantityOf(value: unknown, param: string): number {
  const quantity = optionalInteger(value, param) ?? 1;
  if (quantity < 0) throw invalidParameter(param, 'Invalid quantity: must be a positive integer.', 'parameter_invalid_integer');
  return quantity;
}

/** `schedule`: the subscription schedule creating this subscription (subscription-schedules.ts). */
export function createSubscription(context: EmulatorContext, params: Params, meta: RequestMeta, options: { schedule?: string } = {}): StripeObject {
  checkParams(params, CREATE);
  const customer = requireObject(context.store, 'customer', required(optionalString(params.customer, 'customer'), 'customer'), 'customer');
  const itemParams = arrayOf(params.items);
  if (itemParams.length === 0) throw invalidParameter('items', 'Missing required param: items.', 'parameter_missing');
  const prices = itemParams.map((item, index) => required(requestedPrice(context, item, `items[${index}]`), `items[${index}][price]`));
  const currencies = new Set(prices.map((price) => price.currency));
  if (currencies.size > 1) throw invalidParameter('items', 'All prices on a subscription must have the same `currency`.');
  const paymentBehavior = optionalEnum(params.payment_behavior, 'payment_behavior', PAYMENT_BEHAVIORS) ?? 'allow_incomplete';
  const trialDays = optionalInteger(params.trial_period_days, 'trial_period_days');
  const trialEndParam = params.trial_end === 'now' ? undefined : optionalInteger(params.trial_end, 'trial_end');
  const now = context.now();
  const trialEnd = trialEndParam ?? (trialDays ? now + trialDays * 24 * 3600 : null);
  const discounts = requestedSubscriptionDiscounts(params);
  if (discounts !== undefined) assertDiscountsRedeemable(context, discounts);
  const id = newId('sub');
  const items = itemParams.map((item, index) => {
    const price = prices[index]!;
    const end = trialEnd ?? addInterval(now, price.recurring.interval, price.recurring.interval_count);
    return newItem(context, id, price, quantityOf(item.quantity, `items[${index}][quantity]`), now, end, mergeMetadata({}, item.metadata));
  });
  const subscription = context.store.put<StripeObject>({
    id,
    object: 'subscription',
    application: null,
    application_fee_percent: null,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null },
    billing_cycle_anchor: trialEnd ?? now,
    billing_cycle_anchor_config: null,
    // `updated_at` is only sent once the billing mode has been migrated, which the emulator never does.
    billing_mode: { flexible: null, type: 'classic' },
    billing_schedules: [],
    billing_thresholds: null,
    cancel_at: null,
    cancel_at_period_end: false,
    canceled_at: null,
    cancellation_details: { ...NO_CANCELLATION },
    collection_method: optionalEnum(params.collection_method, 'collection_method', ['charge_automatically', 'send_invoice'] as const) ?? 'charge_automatically',
    created: now,
    currency: prices[0]!.currency,
    customer: customer.id,
    customer_account: null,
    days_until_due: optionalInteger(params.days_until_due, 'days_until_due') ?? null,
    default_payment_method: optionalString(params.default_payment_method, 'default_payment_method') ?? null,
    default_source: null,
    default_tax_rates: [],
    description: optionalString(params.description, 'description') ?? null,
    discounts: [],
    ended_at: null,
    invoice_settings: { account_tax_ids: null, custom_fields: null, description: null, footer: null, issuer: { type: 'self' } },
    items: { object: 'list', data: items, has_more: false, url: `/v1/subscription_items?subscription=${id}` },
    latest_invoice: null,
    livemode: false,
    managed_payments: null,
    metadata: mergeMetadata({}, params.metadata),
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null,
    pause_collection: null,
    payment_settings: { payment_method_options: null, payment_method_types: null, save_default_payment_method: 'off' },
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: options.schedule ?? null,
    start_date: now,
    status: 'active',
    test_clock: null,
    transfer_data: null,
    trial_end: trialEnd,
    trial_settings: trialSettingsOf(params.trial_settings, null),
    trial_start: trialEnd ? now : null,
  });
  if (optionalBoolean(params.cancel_at_period_end, 'cancel_at_period_end')) {
    subscription.cancel_at_period_end = true;
    subscription.cancel_at = periodEndOf(subscription);
    subscription.canceled_at = now;
  }
  // The emulator's customers always pay: the first invoice is paid at once unless the caller asks
  // for an incomplete start (default_incomplete), as a client-confirmed payment would leave it.
  const incomplete = paymentBehavior === 'default_incomplete' && !trialEnd;
  subscription.status = incomplete ? 'incomplete' : trialEnd ? 'trialing' : 'active';
  const discountChanges = discounts !== undefined ? replaceSubscriptionDiscounts(context, subscription, discounts) : undefined;
  // Stripe announces the subscription (already pointing at its first invoice) before the invoice.
  const invoice = createSubscriptionInvoice(context, subscription, 'subscription_create', meta, { announce: false, ...(trialEnd && { amountOverride: 0 }) });
  subscription.latest_invoice = invoice.id;
  context.emit('customer.subscription.created', subscription, meta);
  if (discountChanges) announceDiscountChanges(context, discountChanges, meta);
  context.emit('invoice.created', invoice, meta);
  finalizeInvoice(context, invoice, meta);
  if (!incomplete) payInvoice(context, invoice, meta);
  announceTrialEnding(context, subscription, undefined, now, meta);
  return subscription;
}

/** Applies an update (API parameters) and emits customer.subscription.updated with previous_attributes. */
export function updateSubscription(context: EmulatorContext, subscription: StripeObject, params: Params, meta: RequestMeta): StripeObject {
  checkParams(params, UPDATE);
  if (subscription.status === 'canceled') {
    const allowed = new Set(['metadata', 'cancellation_details', 'expand']);
    if (Object.keys(params).some((key) => !allowed.has(key))) {
      throw invalidRequest('A canceled subscription can only update its cancellation_details and metadata.');
    }
  }
  const discounts = requestedSubscriptionDiscounts(params);
  if (discounts !== undefined) assertDiscountsRedeemable(context, discounts);
  const answers = cancellationAnswers(params.cancellation_details);
  const before = structuredClone(subscription);
  const now = context.now();
  let invoiceReason: 'subscription_update' | undefined;

  if (params.items !== undefined) invoiceReason = applyItemChanges(context, subscription, arrayOf(params.items)) ? 'subscription_update' : undefined;
  const proration = optionalEnum(params.proration_behavior, 'proration_behavior', PRORATION_BEHAVIORS);
  if (proration === 'always_invoice' && params.items !== undefined) invoiceReason = 'subscription_update';

  const cancelAtPeriodEnd = optionalBoolean(params.cancel_at_period_end, 'cancel_at_period_end');
  if (cancelAtPeriodEnd !== undefined) {
    subscription.cancel_at_period_end = cancelAtPeriodEnd;
    subscription.cancel_at = cancelAtPeriodEnd ? periodEndOf(subscription) : null;
    subscription.canceled_at = cancelAtPeriodEnd ? now : null;
    subscription.cancellation_details = { ...NO_CANCELLATION, reason: cancelAtPeriodEnd ? 'cancellation_requested' : null };
  }
  if (params.cancel_at !== undefined) {
    const cancelAt = optionalInteger(params.cancel_at, 'cancel_at') ?? null;
    subscription.cancel_at = cancelAt;
    subscription.canceled_at = cancelAt ? now : null;
    subscription.cancel_at_period_end = cancelAt !== null && cancelAt === periodEndOf(subscription);
  }
  subscription.cancellation_details = { ...subscription.cancellation_details, ...answers };
  if (params.pause_collection !== undefined) subscription.pause_collection = pauseCollectionOf(params.pause_collection);
  if (params.default_payment_method !== undefined) subscription.default_payment_method = params.default_payment_method || null;
  if (params.description !== undefined) subscription.description = params.description || null;
  if (params.trial_settings !== undefined) subscription.trial_settings = trialSettingsOf(params.trial_settings, subscription.trial_settings);
  const trialEnded = params.trial_end !== undefined && applyTrialEnd(subscription, params.trial_end, now);
  const missingPaymentMethod = trialEnded ? missingPaymentMethodBehavior(context, subscription) : undefined;
  if (trialEnded && !missingPaymentMethod) subscription.status = 'active';
  if (missingPaymentMethod === 'pause') markPaused(subscription, 'trial_end_without_payment_method', now);
  subscription.metadata = mergeMetadata(subscription.metadata, params.metadata);
  if (discounts !== undefined) announceDiscountChanges(context, replaceSubscriptionDiscounts(context, subscription, discounts), meta);

  // A paused subscription generates no invoices until it resumes.
  if (invoiceReason && subscription.status !== 'paused') {
    const invoice = createSubscriptionInvoice(context, subscription, invoiceReason, meta);
    subscription.latest_invoice = invoice.id;
    finalizeInvoice(context, invoice, meta);
    payInvoice(context, invoice, meta);
  }
  if (missingPaymentMethod === 'pause') context.emit('customer.subscription.paused', subscription, meta);
  emitUpdated(context, before, subscription, meta);
  if (missingPaymentMethod === 'cancel') cancelSubscription(context, subscription, meta);
  if (subscription.trial_end !== before.trial_end) announceTrialEnding(context, subscription, undefined, now, meta);
  return subscription;
}

function emitUpdated(context: EmulatorContext, before: StripeObject, subscription: StripeObject, meta: RequestMeta): void {
  emitIfChanged(context, 'customer.subscription.updated', before, subscription, meta);
}

/** Returns true when the billing period restarted (an interval change), which Stripe invoices at once. */
function applyItemChanges(context: EmulatorContext, subscription: StripeObject, changes: Params[]): boolean {
  const now = context.now();
  let periodRestarted = false;
  changes.forEach((change, index) => {
    const param = `items[${index}]`;
    const id = optionalString(change.id, `${param}[id]`);
    const item = id ? subscription.items.data.find((candidate: StripeObject) => candidate.id === id) : undefined;
    if (id && !item) throw noSuch('subscription_item', id, `${param}[id]`);
    if (item && optionalBoolean(change.deleted, `${param}[deleted]`)) {
      subscription.items.data = subscription.items.data.filter((candidate: StripeObject) => candidate !== item);
      return;
    }
    const price = requestedPrice(context, change, param);
    if (price && price.currency !== subscription.currency)
      throw invalidParameter(`${param}[price]`, 'All prices on a subscription must have the same `currency`.');
    if (item) {
      if (price) {
        const oldInterval = `${item.price.recurring.interval}/${item.price.recurring.interval_count}`;
        item.price = structuredClone(price);
        item.plan = planView(price);
        if (oldInterval !== `${price.recurring.interval}/${price.recurring.interval_count}`) {
          item.current_period_start = now;
          item.current_period_end = addInterval(now, price.recurring.interval, price.recurring.interval_count);
          subscription.billing_cycle_anchor = now;
          periodRestarted = true;
        }
      }
      if (change.quantity !== undefined) item.quantity = quantityOf(change.quantity, `${param}[quantity]`);
      item.metadata = mergeMetadata(item.metadata, change.metadata);
      return;
    }
    if (!price) throw invalidParameter(`${param}[price]`, 'Missing required param: price.', 'parameter_missing');
    if (subscription.items.data.some((candidate: StripeObject) => candidate.price.id === price.id)) {
      throw invalidParameter(`${param}[price]`, 'Cannot add multiple subscription items with the same price.');
    }
    const first = subscription.items.data[0];
    subscription.items.data.push(
      newItem(
        context,
        subscription.id,
        price,
        quantityOf(change.quantity, `${param}[quantity]`),
        first?.current_period_start ?? now,
        first?.current_period_end ?? addInterval(now, price.recurring.interval, price.recurring.interval_count),
        mergeMetadata({}, change.metadata),
      ),
    );
  });
  if (subscription.items.data.length === 0) throw invalidParameter('items', 'A subscription must have at least one active item.');
  return periodRestarted;
}

function pauseCollectionOf(value: unknown): StripeObject['pause_collection'] {
  if (value === '') return null;
  const pause = value as Params;
  return {
    behavior: required(optionalEnum(pause.behavior, 'pause_collection[behavior]', PAUSE_BEHAVIORS), 'pause_collection[behavior]'),
    resumes_at: optionalInteger(pause.resumes_at, 'pause_collection[resumes_at]') ?? null,
  };
}

/** Moves the trial's end; true when that ends the trial now (the caller decides what follows). */
function applyTrialEnd(subscription: StripeObject, value: unknown, now: number): boolean {
  const end = value === 'now' ? now : optionalInteger(value, 'trial_end');
  if (end === undefined) return false;
  if (end < now) throw invalidParameter('trial_end', 'Invalid timestamp: must be an integer Unix timestamp in the future.', 'parameter_invalid_integer');
  subscription.trial_end = end;
  for (const item of subscription.items.data) {
    if (end === now) {
      item.current_period_start = now;
      item.current_period_end = addInterval(now, item.price.recurring.interval, item.price.recurring.interval_count);
    } else {
      item.current_period_end = end;
    }
  }
  return end === now && subscription.status === 'trialing';
}

function trialSettingsOf(value: unknown, current: StripeObject['trial_settings'] | null): StripeObject['trial_settings'] {
  const base = current ?? { end_behavior: { billing_cycle_anchor: null, missing_payment_method: 'create_invoice' } };
  if (value === undefined || value === '') return base;
  const behavior = required((value as Params).end_behavior, 'trial_settings[end_behavior]') as Params;
  const prefix = 'trial_settings[end_behavior]';
  return {
    end_behavior: {
      billing_cycle_anchor:
        optionalEnum(behavior.billing_cycle_anchor, `${prefix}[billing_cycle_anchor]`, ['now', 'unchanged'] as const) ?? base.end_behavior.billing_cycle_anchor,
      missing_payment_method:
        optionalEnum(behavior.missing_payment_method, `${prefix}[missing_payment_method]`, ['cancel', 'create_invoice', 'pause'] as const) ??
        base.end_behavior.missing_payment_method,
    },
  };
}

/** Whether Stripe could charge the subscription: a default payment method (or source) on it or on its customer. */
function hasPaymentMethod(context: EmulatorContext, subscription: StripeObject): boolean {
  if (subscription.default_payment_method || subscription.default_source) return true;
  const customer = context.store.get(subscription.customer, 'customer');
  return Boolean(customer?.invoice_settings?.default_payment_method || customer?.default_source);
}

/** What a trial ending now leads to when no payment method is on file: `pause`, `cancel`, or nothing special (create_invoice). */
function missingPaymentMethodBehavior(context: EmulatorContext, subscription: StripeObject): 'pause' | 'cancel' | undefined {
  if (hasPaymentMethod(context, subscription)) return undefined;
  const behavior = subscription.trial_settings?.end_behavior?.missing_payment_method;
  return behavior === 'pause' || behavior === 'cancel' ? behavior : undefined;
}

/** Stripe notifies three days before a trial ends, and at once for a trial that ends sooner. */
const TRIAL_NOTICE_SECONDS = 3 * 24 * 3600;

/**
 * customer.subscription.trial_will_end when the trial's notice time falls in (`from`, `to`]; with no
 * `from` (a trial just set), when it is already due. The clock moves to the notice time first.
 */
function announceTrialEnding(context: EmulatorContext, subscription: StripeObject, from: number | undefined, to: number, meta: RequestMeta): void {
  if (subscription.status !== 'trialing' || subscription.trial_end === null) return;
  const noticeAt = subscription.trial_end - TRIAL_NOTICE_SECONDS;
  if ((from !== undefined && noticeAt <= from) || noticeAt > to) return;
  context.advanceClockTo(noticeAt);
  context.emit('customer.subscription.trial_will_end', subscription, meta);
}

interface CancellationDetails {
  comment: string | null;
  feedback: string | null;
  /** The id of a custom feedback option (Billing.FeedbackOption). */
  feedback_option: string | null;
  reason: 'cancellation_requested' | null;
}

const NO_CANCELLATION: CancellationDetails = { comment: null, feedback: null, feedback_option: null, reason: null };

/** The customer's answers given in `cancellation_details` ('' clears one), read before anything changes. */
function cancellationAnswers(given: Params | '' | undefined): Partial<CancellationDetails> {
  if (given === undefined || given === '') return {};
  const answers: Partial<CancellationDetails> = {};
  if (given.comment !== undefined) answers.comment = optionalString(given.comment, 'cancellation_details[comment]') || null;
  if (given.feedback !== undefined) answers.feedback = optionalEnum(given.feedback, 'cancellation_details[feedback]', CANCELLATION_FEEDBACK) ?? null;
  if (given.feedback_option !== undefined) answers.feedback_option = optionalString(given.feedback_option, 'cancellation_details[feedback_option]') || null;
  return answers;
}

/** Cancels now: status canceled, ended_at set; emits customer.subscription.deleted. */
export function cancelSubscription(context: EmulatorContext, subscription: StripeObject, meta: RequestMeta, details?: Params): StripeObject {
  if (subscription.status === 'canceled') throw invalidRequest(`This subscription is already canceled: '${subscription.id}'`);
  const answers = cancellationAnswers(details);
  const now = context.now();
  subscription.status = 'canceled';
  delete subscription.status_details;
  subscription.canceled_at ??= now;
  subscription.ended_at = now;
  subscription.cancel_at ??= null;
  subscription.cancellation_details = { ...subscription.cancellation_details, ...answers, reason: 'cancellation_requested' };
  context.emit('customer.subscription.deleted', subscription, meta);
  return subscription;
}

/**
 * How another resource takes part as a subscription's clock reaches its period end (subscription
 * schedules announce their end and enter their next phase). Handlers register per emulator with
 * onPeriodEnd, so that subscriptions need not know the resources that follow them.
 */
export interface PeriodEndHandler {
  /** Before the clock moves on to `periodEnd`: notices due until then. */
  approaching(subscription: StripeObject, periodEnd: number, meta: RequestMeta): void;
  /** At the period end, before the subscription renews; true when the subscription ended there. */
  reached(subscription: StripeObject, meta: RequestMeta): boolean;
}

const periodEndHandlers = new WeakMap<EmulatorContext, PeriodEndHandler[]>();

export function onPeriodEnd(context: EmulatorContext, handler: PeriodEndHandler): void {
  periodEndHandlers.set(context, [...(periodEndHandlers.get(context) ?? []), handler]);
}

/** Moves the clock to the end of the current period and renews (or ends) the subscription there. */
export function advancePeriod(context: EmulatorContext, subscription: StripeObject, meta: RequestMeta): StripeObject {
  if (subscription.status === 'canceled') throw invalidRequest(`This subscription is already canceled: '${subscription.id}'`);
  if (subscription.status === 'paused') return advanceToScheduledResume(context, subscription, meta);
  const periodEnd = periodEndOf(subscription);
  const handlers = periodEndHandlers.get(context) ?? [];
  announceTrialEnding(context, subscription, context.now(), periodEnd, meta);
  for (const handler of handlers) handler.approaching(subscription, periodEnd, meta);
  context.advanceClockTo(periodEnd);
  resumeDuePausedSubscriptions(context, meta);
  if (subscription.cancel_at !== null && subscription.cancel_at <= periodEnd) {
    const ended = cancelSubscription(context, subscription, meta);
    ended.ended_at = periodEnd;
    return ended;
  }
  if (subscription.status === 'trialing' && endTrialWithoutPaymentMethod(context, subscription, meta)) return subscription;
  if (handlers.some((handler) => handler.reached(subscription, meta))) return subscription;
  const before = structuredClone(subscription);
  for (const item of subscription.items.data) {
    item.current_period_start = periodEnd;
    item.current_period_end = addInterval(periodEnd, item.price.recurring.interval, item.price.recurring.interval_count);
  }
  if (subscription.status === 'trialing') subscription.status = 'active';
  if (subscription.pause_collection?.resumes_at && subscription.pause_collection.resumes_at <= periodEnd) subscription.pause_collection = null;
  const invoice = createSubscriptionInvoice(context, subscription, 'subscription_cycle', meta);
  subscription.latest_invoice = invoice.id;
  collectInvoice(context, subscription, invoice, meta);
  emitUpdated(context, before, subscription, meta);
  return subscription;
}

/** Finalizes and pays a new invoice, or settles it without payment while collection is paused. */
function collectInvoice(context: EmulatorContext, subscription: StripeObject, invoice: StripeObject, meta: RequestMeta): void {
  if (subscription.pause_collection) settleWithoutPayment(context, invoice, subscription.pause_collection.behavior, meta);
  else {
    finalizeInvoice(context, invoice, meta);
    payInvoice(context, invoice, meta);
  }
}

/** A failed charge of a new invoice: status past_due, invoice.payment_failed, customer.subscription.updated. */
export function failPayment(context: EmulatorContext, subscription: StripeObject, meta: RequestMeta): StripeObject {
  if (subscription.status === 'canceled') throw invalidRequest(`This subscription is already canceled: '${subscription.id}'`);
  if (subscription.status === 'paused')
    throw invalidRequest(`Subscription '${subscription.id}' is paused: a paused subscription creates no invoices to charge.`);
  const before = structuredClone(subscription);
  const invoice = createSubscriptionInvoice(context, subscription, 'subscription_cycle', meta);
  finalizeInvoice(context, invoice, meta);
  failInvoicePayment(context, invoice, meta);
  subscription.latest_invoice = invoice.id;
  subscription.status = 'past_due';
  emitUpdated(context, before, subscription, meta);
  return subscription;
}

/** Pays the open latest invoice (a retried charge that succeeds): status back to active. */
export function recoverPayment(context: EmulatorContext, subscription: StripeObject, meta: RequestMeta): StripeObject {
  const invoice = subscription.latest_invoice ? context.store.get(subscription.latest_invoice, 'invoice') : undefined;
  if (invoice?.status !== 'open') throw invalidRequest(`Subscription '${subscription.id}' has no open invoice to pay.`);
  const before = structuredClone(subscription);
  payInvoice(context, invoice, meta);
  subscription.status = 'active';
  emitUpdated(context, before, subscription, meta);
  return subscription;
}

// ---------- pausing: status `paused` creates no invoices and starts no new periods until it resumes ----------

const PAUSE: Record<string, ParamSpec> = {
  bill_for: { outstanding_usage_through: { type: 'value' }, unused_time_from: { type: 'value' } },
  invoicing_behavior: 'value',
  type: 'value',
};
const RESUME: Record<string, ParamSpec> = {
  billing_cycle_anchor: { type: 'value' },
  payment_behavior: 'value',
  proration_behavior: 'value',
  proration_date: 'value',
};
const PAUSABLE_STATUSES = ['active', 'trialing'];

type PauseReason = 'pause_requested' | 'trial_end_without_payment_method';

/** The emulator's private record of when a pause with a chosen duration (the portal's) ends. */
interface ScheduledResume extends StripeObject {
  object: 'emulator.scheduled_resume';
  subscription: string;
  resumesAt: number;
}

export function isPausable(subscription: StripeObject): boolean {
  return PAUSABLE_STATUSES.includes(subscription.status) && !subscription.schedule;
}

function markPaused(subscription: StripeObject, reason: PauseReason, now: number): void {
  subscription.status = 'paused';
  subscription.status_details = { paused: { subscription: { type: reason }, transitioned_at: now, type: 'subscription' } };
}

function requirePausable(subscription: StripeObject): void {
  const { id, status } = subscription;
  if (status === 'paused') throw invalidRequest(`Subscription '${id}' is already paused.`);
  if (!PAUSABLE_STATUSES.includes(status)) {
    throw invalidRequest(`Subscription '${id}' cannot be paused because its status is '${status}'; only active and trialing subscriptions can be paused.`);
  }
  if (subscription.schedule)
    throw invalidRequest(`Subscription '${id}' is managed by the subscription schedule '${subscription.schedule}' and cannot be paused.`);
}

/**
 * Pauses an active or trialing subscription (customer.subscription.paused, then .updated). `resumesAt`
 * (a duration chosen in the portal) schedules the automatic resumption. The emulator bills neither
 * prorations nor metered usage, so `bill_for` and `invoicing_behavior` leave nothing to invoice.
 */
export function pauseSubscription(context: EmulatorContext, subscription: StripeObject, params: Params, meta: RequestMeta, resumesAt?: number): StripeObject {
  checkParams(params, PAUSE);
  optionalEnum(params.type, 'type', ['subscription'] as const);
  optionalEnum(params.invoicing_behavior, 'invoicing_behavior', ['invoice', 'pending_invoice_item'] as const);
  optionalEnum(params.bill_for?.outstanding_usage_through?.type, 'bill_for[outstanding_usage_through][type]', ['none', 'now'] as const);
  optionalEnum(params.bill_for?.unused_time_from?.type, 'bill_for[unused_time_from][type]', ['item_current_period_start', 'none', 'now'] as const);
  requirePausable(subscription);
  const before = structuredClone(subscription);
  markPaused(subscription, 'pause_requested', context.now());
  if (resumesAt !== undefined) {
    context.store.put({ id: newId('sresume'), object: 'emulator.scheduled_resume', subscription: subscription.id, resumesAt } satisfies ScheduledResume);
  }
  context.emit('customer.subscription.paused', subscription, meta);
  emitUpdated(context, before, subscription, meta);
  return subscription;
}

/** A trial ending with no payment method and `missing_payment_method` pause or cancel; true when it was handled here. */
function endTrialWithoutPaymentMethod(context: EmulatorContext, subscription: StripeObject, meta: RequestMeta): boolean {
  const behavior = missingPaymentMethodBehavior(context, subscription);
  if (behavior === 'cancel') cancelSubscription(context, subscription, meta);
  if (behavior !== 'pause') return behavior === 'cancel';
  const before = structuredClone(subscription);
  markPaused(subscription, 'trial_end_without_payment_method', context.now());
  context.emit('customer.subscription.paused', subscription, meta);
  emitUpdated(context, before, subscription, meta);
  return true;
}

/**
 * Resumes a paused subscription (customer.subscription.resumed, then .updated). With
 * `billing_cycle_anchor` now (the default) a new period starts and its invoice is charged; with
 * unchanged the old cycle goes on, skipping the periods that passed while paused, without an invoice.
 */
export function resumeSubscription(context: EmulatorContext, subscription: StripeObject, params: Params, meta: RequestMeta): StripeObject {
  // Older API versions sent the anchor as a bare string; stripe-node 23 sends billing_cycle_anchor[type].
  const anchorParam = params.billing_cycle_anchor;
  const normalized = typeof anchorParam === 'string' && anchorParam !== '' ? { ...params, billing_cycle_anchor: { type: anchorParam } } : params;
  checkParams(normalized, RESUME);
  const anchor = optionalEnum(normalized.billing_cycle_anchor?.type, 'billing_cycle_anchor[type]', ['now', 'unchanged'] as const) ?? 'now';
  optionalEnum(params.payment_behavior, 'payment_behavior', ['resume_on_payment_attempt', 'resume_on_payment_success'] as const);
  optionalEnum(params.proration_behavior, 'proration_behavior', PRORATION_BEHAVIORS);
  optionalInteger(params.proration_date, 'proration_date');
  if (subscription.status !== 'paused') {
    throw invalidRequest(
      `Subscription '${subscription.id}' is not paused (its status is '${subscription.status}'); only a paused subscription can be resumed.`,
    );
  }
  if (subscription.collection_method !== 'charge_automatically') {
    throw invalidRequest('Resuming a subscription is only available for subscriptions with `collection_method=charge_automatically`.');
  }
  return resumeAt(context, subscription, anchor, context.now(), meta);
}

function resumeAt(context: EmulatorContext, subscription: StripeObject, anchor: 'now' | 'unchanged', at: number, meta: RequestMeta): StripeObject {
  const before = structuredClone(subscription);
  forgetScheduledResume(context, subscription);
  subscription.status = 'active';
  delete subscription.status_details;
  if (anchor === 'now') {
    for (const item of subscription.items.data) {
      item.current_period_start = at;
      item.current_period_end = addInterval(at, item.price.recurring.interval, item.price.recurring.interval_count);
    }
    subscription.billing_cycle_anchor = at;
    const invoice = createSubscriptionInvoice(context, subscription, 'subscription_update', meta);
    subscription.latest_invoice = invoice.id;
    collectInvoice(context, subscription, invoice, meta);
  } else {
    for (const item of subscription.items.data) {
      while (item.current_period_end <= at) {
        item.current_period_start = item.current_period_end;
        item.current_period_end = addInterval(item.current_period_start, item.price.recurring.interval, item.price.recurring.interval_count);
      }
    }
  }
  context.emit('customer.subscription.resumed', subscription, meta);
  emitUpdated(context, before, subscription, meta);
  return subscription;
}

function scheduledResume(context: EmulatorContext, subscription: StripeObject): ScheduledResume | undefined {
  return context.store.all('emulator.scheduled_resume').find((record) => record.subscription === subscription.id) as ScheduledResume | undefined;
}

/** When a paused subscription resumes by itself (a duration chosen in the portal), if it does. */
export function scheduledResumeAt(context: EmulatorContext, subscription: StripeObject): number | undefined {
  return subscription.status === 'paused' ? scheduledResume(context, subscription)?.resumesAt : undefined;
}

function forgetScheduledResume(context: EmulatorContext, subscription: StripeObject): void {
  const record = scheduledResume(context, subscription);
  if (record) context.store.markDeleted(record.id);
}

/** Resumes, at their scheduled time, the paused subscriptions whose pause the emulator's clock has passed. */
function resumeDuePausedSubscriptions(context: EmulatorContext, meta: RequestMeta): void {
  const due = (context.store.all('emulator.scheduled_resume') as ScheduledResume[])
    .filter((record) => record.resumesAt <= context.now())
    .sort((a, b) => a.resumesAt - b.resumesAt);
  for (const record of due) {
    const subscription = context.store.get(record.subscription, 'subscription');
    if (subscription?.status === 'paused') resumeAt(context, subscription, 'now', record.resumesAt, meta);
    else context.store.markDeleted(record.id);
  }
}

/** advance_period on a paused subscription: time moves on to its scheduled resumption, if it has one. */
function advanceToScheduledResume(context: EmulatorContext, subscription: StripeObject, meta: RequestMeta): StripeObject {
  const resumesAt = scheduledResumeAt(context, subscription);
  if (resumesAt === undefined) {
    throw invalidRequest(
      `Subscription '${subscription.id}' is paused: it starts no new period until it is resumed (POST /v1/subscriptions/${subscription.id}/resume).`,
    );
  }
  context.advanceClockTo(resumesAt);
  resumeDuePausedSubscriptions(context, meta);
  return subscription;
}

export const subscriptions: ResourceModule = (context) => {
  const { store } = context;
  return [
    {
      method: 'POST',
      path: '/v1/subscriptions',
      handle({ params, meta }) {
        return expand(createSubscription(context, params, meta), expandPaths(params), store);
      },
    },
    {
      method: 'GET',
      path: '/v1/subscriptions/:id',
      handle({ pathParams, params }) {
        checkParams(params, {});
        return expand(requireObject(context.store, 'subscription', pathParams.id!), expandPaths(params), store);
      },
    },
    objectActionRoute(context, '/v1/subscriptions/:id', 'subscription', updateSubscription),
    objectActionRoute(context, '/v1/subscriptions/:id/pause', 'subscription', pauseSubscription),
    objectActionRoute(context, '/v1/subscriptions/:id/resume', 'subscription', resumeSubscription),
    {
      method: 'DELETE',
      path: '/v1/subscriptions/:id',
      handle({ pathParams, params, meta }) {
        checkParams(params, { invoice_now: 'value', prorate: 'value', cancellation_details: CANCELLATION_DETAILS });
        const subscription = requireObject(context.store, 'subscription', pathParams.id!);
        return expand(cancelSubscription(context, subscription, meta, params.cancellation_details || undefined), expandPaths(params), store);
      },
    },
    {
      method: 'GET',
      path: '/v1/subscriptions',
      handle({ params }) {
        checkParams(params, {
          customer: 'value',
          price: 'value',
          status: 'value',
          collection_method: 'value',
          created: 'map',
          current_period_end: 'map',
          current_period_start: 'map',
          limit: 'value',
          starting_after: 'value',
          ending_before: 'value',
          test_clock: 'value',
          automatic_tax: 'map',
        });
        const customer = optionalString(params.customer, 'customer');
        const price = optionalString(params.price, 'price');
        const status = optionalEnum(params.status, 'status', [...STATUSES, 'all', 'ended'] as const);
        const found = newestFirst(store.all('subscription')).filter(
          (subscription) =>
            (customer === undefined || subscription.customer === customer) &&
            (price === undefined || subscription.items.data.some((item: StripeObject) => item.price.id === price)) &&
            statusMatches(subscription.status, status) &&
            matchesCreated(subscription.created, params.created),
        );
        return expand(paginate(found, params, '/v1/subscriptions'), expandPaths(params), store);
      },
    },
  ];
};

/** Stripe lists every status but canceled by default; 'all' includes it, 'ended' means canceled or incomplete_expired. */
function statusMatches(actual: string, filter: string | undefined): boolean {
  if (filter === undefined) return actual !== 'canceled';
  if (filter === 'all') return true;
  if (filter === 'ended') return actual === 'canceled' || actual === 'incomplete_expired';
  return actual === filter;
}
