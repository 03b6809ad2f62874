/**
 * Subscriptions (API 2026-10-28.endive: billing periods live on the items). Every change goes through
 * the exported operations, which the hosted portal page and the test controls use too, so a change
 * made anywhere emits the same events.
 */
import { requireObject } from '../lookup';
import type { EmulatorContext, RequestMeta, ResourceModule } from '../context';
import { invalidParameter, invalidRequest, noSuch } from '../errors';
import {
  arrayOf,
  checkParams,
  expandPaths,
  mergeMetadata,
  optionalBoolean,
  optionalEnum,
  optionalInteger,
  optionalString,
  required,
  type ParamSpec,
  type Params,
} from '../params';
import { newId, type StripeObject } from '../store';
import { expand, matchesCreated, newestFirst, paginate, previousAttributes } from '../wire';
import { createSubscriptionInvoice, failInvoicePayment, finalizeInvoice, payInvoice, settleWithoutPayment } from './invoices';

const STATUSES = ['incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'canceled', 'unpaid', 'paused'] as const;
const PAUSE_BEHAVIORS = ['keep_as_draft', 'mark_uncollectible', 'void'] as const;
const PRORATION_BEHAVIORS = ['always_invoice', 'create_prorations', 'none'] as const;
const PAYMENT_BEHAVIORS = ['allow_incomplete', 'default_incomplete', 'error_if_incomplete', 'pending_if_incomplete'] as const;

const ITEM: ParamSpec = { id: 'value', price: 'value', quantity: 'value', deleted: 'value', metadata: 'map', clear_usage: 'value', discounts: ['map'], tax_rates: ['value'] };
const CANCELLATION_DETAILS: ParamSpec = { comment: 'value', feedback: 'value' };

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
};

const UPDATE: Record<string, ParamSpec> = {
  ...COMMON_WRITABLE,
  items: [ITEM],
  pause_collection: { behavior: 'value', resumes_at: 'value' },
  cancellation_details: CANCELLATION_DETAILS,
  proration_date: 'value',
  billing_cycle_anchor: 'value',
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

function planOf(price: StripeObject): StripeObject {
  return {
    id: price.id,
    object: 'plan',
    active: price.active,
    amount: price.unit_amount,
    amount_decimal: price.unit_amount_decimal,
    billing_scheme: price.billing_scheme,
    created: price.created,
    currency: price.currency,
    interval: price.recurring?.interval,
    interval_count: price.recurring?.interval_count,
    livemode: false,
    metadata: price.metadata,
    meter: null,
    nickname: price.nickname,
    product: price.product,
    tiers_mode: null,
    transform_usage: null,
    trial_period_days: null,
    usage_type: 'licensed',
  };
}

function recurringPrice(context: EmulatorContext, id: string, param: string): StripeObject {
  const price = requireObject(context.store, 'price', id, param);
  if (!price.recurring) throw invalidParameter(param, `The price specified is set to \`type=one_time\` but this field only accepts prices with \`type=recurring\`.`);
  if (!price.active) throw invalidParameter(param, `The price specified is inactive. This field only accepts active prices.`);
  return price;
}

function newItem(context: EmulatorContext, subscriptionId: string, price: StripeObject, quantity: number, periodStart: number, periodEnd: number, metadata: Record<string, string> = {}): StripeObject {
  return {
    id: newId('si', 14),
    object: 'subscription_item',
    billing_thresholds: null,
    created: context.now(),
    current_period_end: periodEnd,
    current_period_start: periodStart,
    discounts: [],
    metadata,
    plan: planOf(price),
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

export function createSubscription(context: EmulatorContext, params: Params, meta: RequestMeta): StripeObject {
  checkParams(params, CREATE);
  const customer = requireObject(context.store, 'customer', required(optionalString(params.customer, 'customer'), 'customer'), 'customer');
  const itemParams = arrayOf(params.items);
  if (itemParams.length === 0) throw invalidParameter('items', 'Missing required param: items.', 'parameter_missing');
  const prices = itemParams.map((item, index) => recurringPrice(context, required(optionalString(item.price, `items[${index}][price]`), `items[${index}][price]`), `items[${index}][price]`));
  const currencies = new Set(prices.map((price) => price.currency));
  if (currencies.size > 1) throw invalidParameter('items', 'All prices on a subscription must have the same `currency`.');
  const paymentBehavior = optionalEnum(params.payment_behavior, 'payment_behavior', PAYMENT_BEHAVIORS) ?? 'allow_incomplete';
  const trialDays = optionalInteger(params.trial_period_days, 'trial_period_days');
  const trialEndParam = params.trial_end === 'now' ? undefined : optionalInteger(params.trial_end, 'trial_end');
  const now = context.now();
  const trialEnd = trialEndParam ?? (trialDays ? now + trialDays * 24 * 3600 : null);
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
    billing_mode: { flexible: null, type: 'classic', updated_at: null },
    billing_thresholds: null,
    cancel_at: null,
    cancel_at_period_end: false,
    canceled_at: null,
    cancellation_details: { comment: null, feedback: null, reason: null },
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
    invoice_settings: { account_tax_ids: null, issuer: { type: 'self' } },
    items: { object: 'list', data: items, has_more: false, total_count: items.length, url: `/v1/subscription_items?subscription=${id}` },
    latest_invoice: null,
    livemode: false,
    metadata: mergeMetadata({}, params.metadata),
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null,
    pause_collection: null,
    payment_settings: { payment_method_options: null, payment_method_types: null, save_default_payment_method: 'off' },
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: null,
    start_date: now,
    status: 'active',
    test_clock: null,
    transfer_data: null,
    trial_end: trialEnd,
    trial_settings: { end_behavior: { missing_payment_method: 'create_invoice' } },
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
  // Stripe announces the subscription (already pointing at its first invoice) before the invoice.
  const invoice = createSubscriptionInvoice(context, subscription, 'subscription_create', meta, { announce: false, ...(trialEnd && { amountOverride: 0 }) });
  subscription.latest_invoice = invoice.id;
  context.emit('customer.subscription.created', subscription, meta);
  context.emit('invoice.created', invoice, meta);
  finalizeInvoice(context, invoice, meta);
  if (!incomplete) payInvoice(context, invoice, meta);
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
    subscription.cancellation_details = { comment: null, feedback: null, reason: cancelAtPeriodEnd ? 'cancellation_requested' : null };
  }
  if (params.cancel_at !== undefined) {
    const cancelAt = optionalInteger(params.cancel_at, 'cancel_at') ?? null;
    subscription.cancel_at = cancelAt;
    subscription.canceled_at = cancelAt ? now : null;
    subscription.cancel_at_period_end = cancelAt !== null && cancelAt === periodEndOf(subscription);
  }
  if (params.cancellation_details !== undefined && params.cancellation_details !== '') {
    subscription.cancellation_details = {
      ...subscription.cancellation_details,
      ...(params.cancellation_details.comment !== undefined && { comment: params.cancellation_details.comment || null }),
      ...(params.cancellation_details.feedback !== undefined && { feedback: params.cancellation_details.feedback || null }),
    };
  }
  if (params.pause_collection !== undefined) subscription.pause_collection = pauseCollectionOf(params.pause_collection);
  if (params.default_payment_method !== undefined) subscription.default_payment_method = params.default_payment_method || null;
  if (params.description !== undefined) subscription.description = params.description || null;
  if (params.trial_end !== undefined) applyTrialEnd(subscription, params.trial_end, now);
  subscription.metadata = mergeMetadata(subscription.metadata, params.metadata);

  if (invoiceReason) {
    const invoice = createSubscriptionInvoice(context, subscription, invoiceReason, meta);
    subscription.latest_invoice = invoice.id;
    finalizeInvoice(context, invoice, meta);
    payInvoice(context, invoice, meta);
  }
  emitUpdated(context, before, subscription, meta);
  return subscription;
}

function emitUpdated(context: EmulatorContext, before: StripeObject, subscription: StripeObject, meta: RequestMeta): void {
  const previous = previousAttributes(before, subscription);
  if (Object.keys(previous).length > 0) context.emit('customer.subscription.updated', subscription, meta, previous);
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
    const price = change.price ? recurringPrice(context, String(change.price), `${param}[price]`) : undefined;
    if (price && price.currency !== subscription.currency) throw invalidParameter(`${param}[price]`, 'All prices on a subscription must have the same `currency`.');
    if (item) {
      if (price) {
        const oldInterval = `${item.price.recurring.interval}/${item.price.recurring.interval_count}`;
        item.price = structuredClone(price);
        item.plan = planOf(price);
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
      newItem(context, subscription.id, price, quantityOf(change.quantity, `${param}[quantity]`), first?.current_period_start ?? now, first?.current_period_end ?? addInterval(now, price.recurring.interval, price.recurring.interval_count), mergeMetadata({}, change.metadata)),
    );
  });
  if (subscription.items.data.length === 0) throw invalidParameter('items', 'A subscription must have at least one active item.');
  subscription.items.total_count = subscription.items.data.length;
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

function applyTrialEnd(subscription: StripeObject, value: unknown, now: number): void {
  const end = value === 'now' ? now : optionalInteger(value, 'trial_end');
  if (end === undefined) return;
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
  if (end === now && subscription.status === 'trialing') subscription.status = 'active';
}

/** Cancels now: status canceled, ended_at set; emits customer.subscription.deleted. */
export function cancelSubscription(context: EmulatorContext, subscription: StripeObject, meta: RequestMeta, details?: Params): StripeObject {
  if (subscription.status === 'canceled') throw invalidRequest(`This subscription is already canceled: '${subscription.id}'`);
  const now = context.now();
  subscription.status = 'canceled';
  subscription.canceled_at ??= now;
  subscription.ended_at = now;
  subscription.cancel_at ??= null;
  subscription.cancellation_details = {
    comment: details?.comment || subscription.cancellation_details?.comment || null,
    feedback: details?.feedback || subscription.cancellation_details?.feedback || null,
    reason: 'cancellation_requested',
  };
  context.emit('customer.subscription.deleted', subscription, meta);
  return subscription;
}

/** Moves the clock to the end of the current period and renews (or ends) the subscription there. */
export function advancePeriod(context: EmulatorContext, subscription: StripeObject, meta: RequestMeta): StripeObject {
  if (subscription.status === 'canceled') throw invalidRequest(`This subscription is already canceled: '${subscription.id}'`);
  const periodEnd = periodEndOf(subscription);
  context.advanceClockTo(periodEnd);
  if (subscription.cancel_at !== null && subscription.cancel_at <= periodEnd) {
    const ended = cancelSubscription(context, subscription, meta);
    ended.ended_at = periodEnd;
    return ended;
  }
  const before = structuredClone(subscription);
  for (const item of subscription.items.data) {
    item.current_period_start = periodEnd;
    item.current_period_end = addInterval(periodEnd, item.price.recurring.interval, item.price.recurring.interval_count);
  }
  if (subscription.status === 'trialing') subscription.status = 'active';
  if (subscription.pause_collection?.resumes_at && subscription.pause_collection.resumes_at <= periodEnd) subscription.pause_collection = null;
  const invoice = createSubscriptionInvoice(context, subscription, 'subscription_cycle', meta);
  subscription.latest_invoice = invoice.id;
  if (subscription.pause_collection) settleWithoutPayment(context, invoice, subscription.pause_collection.behavior, meta);
  else {
    finalizeInvoice(context, invoice, meta);
    payInvoice(context, invoice, meta);
  }
  emitUpdated(context, before, subscription, meta);
  return subscription;
}

/** A failed charge of a new invoice: status past_due, invoice.payment_failed, customer.subscription.updated. */
export function failPayment(context: EmulatorContext, subscription: StripeObject, meta: RequestMeta): StripeObject {
  if (subscription.status === 'canceled') throw invalidRequest(`This subscription is already canceled: '${subscription.id}'`);
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
  if (!invoice || invoice.status !== 'open') throw invalidRequest(`Subscription '${subscription.id}' has no open invoice to pay.`);
  const before = structuredClone(subscription);
  payInvoice(context, invoice, meta);
  subscription.status = 'active';
  emitUpdated(context, before, subscription, meta);
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
    {
      method: 'POST',
      path: '/v1/subscriptions/:id',
      handle({ pathParams, params, meta }) {
        const subscription = requireObject(context.store, 'subscription', pathParams.id!);
        return expand(updateSubscription(context, subscription, params, meta), expandPaths(params), store);
      },
    },
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
        checkParams(params, { customer: 'value', price: 'value', status: 'value', collection_method: 'value', created: 'map', current_period_end: 'map', current_period_start: 'map', limit: 'value', starting_after: 'value', ending_before: 'value', test_clock: 'value', automatic_tax: 'map' });
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

