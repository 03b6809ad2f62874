/**
 * Invoices: the ones subscriptions create and one-off invoices built from invoice items, with Stripe's
 * lifecycle draft -> open -> paid | void | uncollectible. Totals follow the lines and the discounts'
 * coupons; there is no tax. A charge's outcome is the test card's (see payment-methods.ts).
 *
 * The lifecycle operations are exported for subscriptions and test controls. They emit the
 * transition's own events; with `announceUpdate` (the invoice endpoints) `invoice.updated` with
 * `previous_attributes` comes first, as Stripe sends for every status change.
 */
import type { EmulatorContext, RequestMeta, ResourceModule, Route } from '../context';
import { invalidParameter, invalidRequest, StripeApiError, type StripeErrorBody } from '../errors';
import { requireObject } from '../lookup';
import {
  ADDRESS,
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
import { newId, type StripeObject } from '../store';
import { emitIfChanged, expand, matchesCreated, paginate, previousAttributes } from '../wire';
import { DISCOUNT_PARAM, discountAmount, redeemDiscounts } from './coupons';
import { requireCustomerSource } from './customer-sources';
import { cardError, chargeOutcome, requireAttachedPaymentMethod } from './payment-methods';

export type BillingReason = 'subscription_create' | 'subscription_cycle' | 'subscription_update' | 'manual';

const COLLECTION_METHODS = ['charge_automatically', 'send_invoice'] as const;
const DAY = 24 * 3600;
/** Payment terms when a send_invoice invoice names none: the account default of 30 days. */
const DEFAULT_DAYS_UNTIL_DUE = 30;

export interface LifecycleOptions {
  /** Also emit invoice.updated with previous_attributes, before the transition's own events. */
  announceUpdate?: boolean;
}

interface InvoiceFields {
  customer: StripeObject | undefined;
  customerId: string;
  currency: string;
  billingReason: BillingReason;
  collectionMethod: string;
  autoAdvance: boolean;
  subscription?: StripeObject;
  periodStart: number;
  periodEnd: number;
  discounts: string[];
  dueDate: number | null;
}

function invoiceObject(context: EmulatorContext, id: string, fields: InvoiceFields): StripeObject {
  const { customer, subscription } = fields;
  return {
    id,
    object: 'invoice',
    account_country: 'US',
    account_name: context.accountName,
    account_tax_ids: null,
    amount_due: 0,
    amount_overpaid: 0,
    amount_paid: 0,
    amount_remaining: 0,
    amount_shipping: 0,
    application: null,
    attempt_count: 0,
    attempted: false,
    auto_advance: fields.autoAdvance,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null, provider: null, status: null },
    automatically_finalizes_at: null,
    billing_reason: fields.billingReason,
    collection_method: fields.collectionMethod,
    created: context.now(),
    currency: fields.currency,
    custom_fields: customer?.invoice_settings?.custom_fields ?? null,
    customer: fields.customerId,
    customer_account: null,
    customer_address: customer?.address ?? null,
    customer_email: customer?.email ?? null,
    customer_name: customer?.name ?? null,
    customer_phone: customer?.phone ?? null,
    customer_shipping: customer?.shipping ?? null,
    customer_tax_exempt: customer?.tax_exempt ?? 'none',
    customer_tax_ids: [],
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: fields.discounts,
    due_date: fields.dueDate,
    effective_at: null,
    ending_balance: null,
    footer: customer?.invoice_settings?.footer ?? null,
    from_invoice: null,
    hosted_invoice_url: null,
    invoice_pdf: null,
    issuer: { type: 'self' },
    last_finalization_error: null,
    latest_revision: null,
    lines: { object: 'list', data: [], has_more: false, url: `/v1/invoices/${id}/lines` },
    livemode: false,
    metadata: {},
    next_payment_attempt: null,
    number: null,
    on_behalf_of: null,
    parent: subscription
      ? { quote_details: null, subscription_details: { metadata: { ...subscription.metadata }, subscription: subscription.id }, type: 'subscription_details' }
      : null,
    payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
    period_end: fields.periodEnd,
    period_start: fields.periodStart,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    rendering: null,
    shipping_cost: null,
    shipping_details: null,
    starting_balance: 0,
    statement_descriptor: null,
    status: 'draft',
    status_transitions: { finalized_at: null, marked_uncollectible_at: null, paid_at: null, voided_at: null },
    subtotal: 0,
    subtotal_excluding_tax: 0,
    test_clock: null,
    total: 0,
    total_discount_amounts: [],
    total_excluding_tax: 0,
    total_pretax_credit_amounts: [],
    total_taxes: [],
    webhooks_delivered_at: null,
  };
}

function subscriptionLine(context: EmulatorContext, invoiceId: string, subscription: StripeObject, item: StripeObject, amountOverride?: number): StripeObject {
  const product = context.store.get(item.price.product, 'product');
  const amount = amountOverride ?? item.price.unit_amount * item.quantity;
  return {
    id: newId('il'),
    object: 'line_item',
    amount,
    currency: item.price.currency,
    description: `${item.quantity} × ${product?.name ?? item.price.product} (at ${formatAmount(item.price.unit_amount, item.price.currency)} / ${item.price.recurring?.interval ?? 'once'})`,
    discount_amounts: [],
    discountable: true,
    discounts: [],
    invoice: invoiceId,
    livemode: false,
    metadata: {},
    parent: {
      invoice_item_details: null,
      subscription_item_details: {
        invoice_item: null,
        proration: false,
        proration_details: { credited_items: null },
        subscription: subscription.id,
        subscription_item: item.id,
      },
      type: 'subscription_item_details',
    },
    period: { end: item.current_period_end, start: item.current_period_start },
    pretax_credit_amounts: [],
    pricing: {
      price_details: { price: item.price.id, product: item.price.product },
      type: 'price_details',
      unit_amount_decimal: String(item.price.unit_amount),
    },
    quantity: item.quantity,
    quantity_decimal: String(item.quantity),
    subscription: subscription.id,
    subtotal: amount,
    taxes: [],
  };
}

function invoiceItemLine(invoiceId: string, item: StripeObject, id: string): StripeObject {
  const subscription: string | null = item.parent?.subscription_details?.subscription ?? null;
  return {
    id,
    object: 'line_item',
    amount: item.amount,
    currency: item.currency,
    description: item.description,
    discount_amounts: [],
    discountable: item.discountable,
    discounts: [],
    invoice: invoiceId,
    livemode: false,
    metadata: { ...item.metadata },
    parent: {
      invoice_item_details: { invoice_item: item.id, proration: item.proration, proration_details: { credited_items: null }, subscription },
      subscription_item_details: null,
      type: 'invoice_item_details',
    },
    period: { ...item.period },
    pretax_credit_amounts: [],
    pricing: structuredClone(item.pricing),
    quantity: item.quantity,
    quantity_decimal: item.quantity_decimal,
    subscription,
    subtotal: item.amount,
    taxes: [],
  };
}

/**
 * Rebuilds the invoice-item lines from the items attached to the invoice (keeping each line's id)
 * and recomputes the totals; subscription lines stay as they were made.
 */
export function syncInvoiceLines(context: EmulatorContext, invoice: StripeObject): void {
  const lines: StripeObject[] = invoice.lines.data;
  const lineOfItem = new Map(
    lines.filter((line) => line.parent?.invoice_item_details).map((line) => [line.parent.invoice_item_details.invoice_item as string, line.id as string]),
  );
  const items = context.store.all('invoiceitem').filter((item) => item.invoice === invoice.id);
  invoice.lines.data = [
    ...lines.filter((line) => !line.parent?.invoice_item_details),
    ...items.map((item) => invoiceItemLine(invoice.id, item, lineOfItem.get(item.id) ?? newId('il'))),
  ];
  refreshTotals(context, invoice);
}

/** Subtotal, discounts (each on what the previous ones left), total and the amounts still due. */
function refreshTotals(context: EmulatorContext, invoice: StripeObject): void {
  const lines: StripeObject[] = invoice.lines.data;
  const subtotal = lines.reduce((sum, line) => sum + line.amount, 0);
  const discountable = lines.filter((line) => line.discountable && line.amount > 0);
  let remaining = discountable.reduce((sum, line) => sum + line.amount, 0);
  const totals = (invoice.discounts as string[]).map((discount) => {
    const amount = discountAmount(context, discount, remaining, invoice.currency);
    remaining -= amount;
    return { amount, discount };
  });
  for (const line of lines) line.discount_amounts = [];
  for (const total of totals) spreadOverLines(discountable, total);
  const discounted = totals.reduce((sum, total) => sum + total.amount, 0);
  invoice.subtotal = subtotal;
  invoice.subtotal_excluding_tax = subtotal;
  invoice.total_discount_amounts = totals;
  invoice.total = subtotal - discounted;
  invoice.total_excluding_tax = invoice.total;
  invoice.amount_due = Math.max(0, invoice.total);
  invoice.amount_remaining = Math.max(0, invoice.amount_due - invoice.amount_paid);
}

/** A line's share of an invoice discount is proportional to its amount; the last line takes the rounding. */
function spreadOverLines(lines: StripeObject[], total: { amount: number; discount: string }): void {
  const base = lines.reduce((sum, line) => sum + line.amount, 0);
  let left = total.amount;
  lines.forEach((line, index) => {
    const share = index === lines.length - 1 ? left : Math.round((total.amount * line.amount) / base);
    left -= share;
    line.discount_amounts.push({ amount: share, discount: total.discount });
  });
}

/** The customer's pending invoice items in the invoice's currency that `belongs` accepts move onto the invoice. */
function claimPendingItems(context: EmulatorContext, invoice: StripeObject, belongs: (itemSubscription: string | null) => boolean): void {
  for (const item of context.store.all('invoiceitem')) {
    const itemSubscription: string | null = item.parent?.subscription_details?.subscription ?? null;
    if (item.invoice === null && item.customer === invoice.customer && item.currency === invoice.currency && belongs(itemSubscription))
      item.invoice = invoice.id;
  }
}

function customerDiscounts(customer: StripeObject | undefined): string[] {
  return customer?.discount ? [customer.discount.id] : [];
}

/**
 * Creates a draft invoice for the subscription's items over their current periods (plus pending
 * invoice items) and emits invoice.created, unless `announce` is false (the caller emits it after its
 * own event).
 */
export function createSubscriptionInvoice(
  context: EmulatorContext,
  subscription: StripeObject,
  reason: BillingReason,
  meta: RequestMeta,
  options: { amountOverride?: number; announce?: boolean } = {},
): StripeObject {
  const customer = context.store.get(subscription.customer, 'customer');
  const id = newId('in');
  const now = context.now();
  const first = subscription.items.data[0];
  const invoice = invoiceObject(context, id, {
    customer,
    customerId: subscription.customer,
    currency: subscription.currency,
    billingReason: reason,
    collectionMethod: subscription.collection_method,
    autoAdvance: true,
    subscription,
    periodStart: first?.current_period_start ?? now,
    periodEnd: first?.current_period_start ?? now,
    discounts: subscription.discounts.length > 0 ? [...subscription.discounts] : customerDiscounts(customer),
    dueDate: subscription.collection_method === 'send_invoice' ? now + (subscription.days_until_due ?? DEFAULT_DAYS_UNTIL_DUE) * DAY : null,
  });
  invoice.lines.data = subscription.items.data.map((item: StripeObject) => subscriptionLine(context, id, subscription, item, options.amountOverride));
  context.store.put(invoice);
  // A subscription's invoice also collects the customer's items that belong to no subscription.
  claimPendingItems(context, invoice, (itemSubscription) => itemSubscription === null || itemSubscription === subscription.id);
  syncInvoiceLines(context, invoice);
  if (options.announce !== false) context.emit('invoice.created', invoice, meta);
  return invoice;
}

/** Runs a change of the invoice and emits its events (after invoice.updated when asked to announce it). */
function transition(context: EmulatorContext, invoice: StripeObject, meta: RequestMeta, options: LifecycleOptions, events: string[], change: () => void): void {
  const before = structuredClone(invoice);
  change();
  if (options.announceUpdate) {
    emitIfChanged(context, 'invoice.updated', before, invoice, meta);
  }
  for (const type of events) context.emit(type, invoice, meta);
}

/** draft -> open: the invoice gets its number and can no longer change its lines. */
export function finalizeInvoice(context: EmulatorContext, invoice: StripeObject, meta: RequestMeta, options: LifecycleOptions = {}): void {
  if (invoice.status !== 'draft') throw invalidRequest(`This invoice is already finalized, you can't re-finalize a non-draft invoice.`);
  const customer = context.store.get(invoice.customer, 'customer');
  transition(context, invoice, meta, options, ['invoice.finalized'], () => {
    invoice.status = 'open';
    invoice.effective_at ??= context.now();
    invoice.status_transitions.finalized_at = context.now();
    invoice.ending_balance = invoice.starting_balance;
    if (customer && invoice.number === null) invoice.number = `${customer.invoice_prefix}-${String(customer.next_invoice_sequence++).padStart(4, '0')}`;
  });
}

/** A successful charge of the amount due: invoice.paid, then invoice.payment_succeeded. */
export function payInvoice(context: EmulatorContext, invoice: StripeObject, meta: RequestMeta, options: LifecycleOptions = {}): void {
  transition(context, invoice, meta, options, ['invoice.paid', 'invoice.payment_succeeded'], () => {
    invoice.attempted = true;
    invoice.attempt_count += 1;
    markPaid(context, invoice);
  });
}

function markPaid(context: EmulatorContext, invoice: StripeObject): void {
  invoice.status = 'paid';
  invoice.amount_paid = invoice.amount_due;
  invoice.amount_remaining = 0;
  invoice.next_payment_attempt = null;
  invoice.status_transitions.paid_at = context.now();
}

/** Nothing to charge: an invoice finalized with nothing due is paid at once, without an attempt. */
function settleNothingDue(context: EmulatorContext, invoice: StripeObject, meta: RequestMeta, options: LifecycleOptions = {}): void {
  if (invoice.status !== 'open' || invoice.amount_due !== 0) return;
  transition(context, invoice, meta, options, ['invoice.paid', 'invoice.payment_succeeded'], () => markPaid(context, invoice));
}

/** Paid outside Stripe: invoice.paid only, since no payment was attempted. */
function payOutOfBand(context: EmulatorContext, invoice: StripeObject, meta: RequestMeta, options: LifecycleOptions = {}): void {
  transition(context, invoice, meta, options, ['invoice.paid'], () => markPaid(context, invoice));
}

/** Automatic collection retries a declined charge later (Smart Retries' first retry, about three days on). */
function nextAttempt(context: EmulatorContext, invoice: StripeObject): number | null {
  return invoice.auto_advance !== false && invoice.collection_method === 'charge_automatically' ? context.now() + 3 * DAY : null;
}

/** A declined charge: the invoice stays open, one more attempt counted; invoice.payment_failed. */
export function failInvoicePayment(context: EmulatorContext, invoice: StripeObject, meta: RequestMeta, options: LifecycleOptions = {}): void {
  transition(context, invoice, meta, options, ['invoice.payment_failed'], () => {
    invoice.attempted = true;
    invoice.attempt_count += 1;
    invoice.next_payment_attempt = nextAttempt(context, invoice);
  });
}

/** A charge that needs the customer's authentication (3D Secure): invoice.payment_action_required. */
function requirePaymentAction(context: EmulatorContext, invoice: StripeObject, meta: RequestMeta, options: LifecycleOptions = {}): void {
  transition(context, invoice, meta, options, ['invoice.payment_action_required'], () => {
    invoice.attempted = true;
    invoice.attempt_count += 1;
  });
}

function voidInvoice(context: EmulatorContext, invoice: StripeObject, meta: RequestMeta, options: LifecycleOptions = {}): void {
  if (invoice.status !== 'open' && invoice.status !== 'uncollectible') throw notInStatus(invoice, 'void', ['open', 'uncollectible']);
  transition(context, invoice, meta, options, ['invoice.voided'], () => {
    invoice.status = 'void';
    invoice.next_payment_attempt = null;
    invoice.status_transitions.voided_at = context.now();
  });
}

function markUncollectible(context: EmulatorContext, invoice: StripeObject, meta: RequestMeta, options: LifecycleOptions = {}): void {
  if (invoice.status !== 'open') throw notInStatus(invoice, 'mark uncollectible', ['open']);
  transition(context, invoice, meta, options, ['invoice.marked_uncollectible'], () => {
    invoice.status = 'uncollectible';
    invoice.next_payment_attempt = null;
    invoice.status_transitions.marked_uncollectible_at = context.now();
  });
}

function notInStatus(invoice: StripeObject, action: string, allowed: string[]): StripeApiError {
  return invalidRequest(`You can only ${action} invoices whose status is ${allowed.join(' or ')}; this invoice is ${invoice.status}.`);
}

/** An invoice that will not be charged (paused collection): left as draft, marked uncollectible or voided. */
export function settleWithoutPayment(context: EmulatorContext, invoice: StripeObject, behavior: string, meta: RequestMeta): void {
  if (behavior === 'keep_as_draft') return;
  finalizeInvoice(context, invoice, meta);
  if (behavior === 'void') voidInvoice(context, invoice, meta);
  else markUncollectible(context, invoice, meta);
}

export function formatAmount(amount: number, currency: string): string {
  return new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() }).format(amount / 100);
}

// ---- one-off invoices: the API ----

const CUSTOM_FIELDS: ParamSpec = [{ name: 'value', value: 'value' }];
const SHIPPING_DETAILS: ParamSpec = { address: ADDRESS, name: 'value', phone: 'value' };

const WRITABLE: Record<string, ParamSpec> = {
  auto_advance: 'value',
  collection_method: 'value',
  custom_fields: CUSTOM_FIELDS,
  days_until_due: 'value',
  default_payment_method: 'value',
  default_source: 'value',
  description: 'value',
  discounts: [DISCOUNT_PARAM],
  due_date: 'value',
  effective_at: 'value',
  footer: 'value',
  metadata: 'map',
  number: 'value',
  shipping_details: SHIPPING_DETAILS,
  statement_descriptor: 'value',
};

const CREATE: Record<string, ParamSpec> = { ...WRITABLE, currency: 'value', customer: 'value', pending_invoice_items_behavior: 'value', subscription: 'value' };

/** What can still change once an invoice is finalized: nothing that moves money or collection. */
const EDITABLE_WHEN_FINALIZED = new Set([
  'auto_advance',
  'custom_fields',
  'default_payment_method',
  'default_source',
  'description',
  'footer',
  'metadata',
  'statement_descriptor',
  'expand',
]);

function createInvoice(context: EmulatorContext, params: Params, meta: RequestMeta): StripeObject {
  checkParams(params, CREATE);
  const customer = requireObject(context.store, 'customer', required(optionalString(params.customer, 'customer'), 'customer'), 'customer');
  const subscriptionId = optionalString(params.subscription, 'subscription');
  const subscription = subscriptionId ? requireObject(context.store, 'subscription', subscriptionId, 'subscription') : undefined;
  if (subscription && subscription.customer !== customer.id)
    throw invalidParameter('subscription', `The subscription '${subscription.id}' does not belong to the customer '${customer.id}'.`);
  const includePending =
    (optionalEnum(params.pending_invoice_items_behavior, 'pending_invoice_items_behavior', ['exclude', 'include'] as const) ?? 'exclude') === 'include';
  const collectionMethod = optionalEnum(params.collection_method, 'collection_method', COLLECTION_METHODS) ?? 'charge_automatically';
  const now = context.now();
  const id = newId('in');
  const invoice = invoiceObject(context, id, {
    customer,
    customerId: customer.id,
    currency: invoiceCurrency(context, params, customer),
    billingReason: 'manual',
    collectionMethod,
    autoAdvance: optionalBoolean(params.auto_advance, 'auto_advance') ?? false,
    subscription,
    periodStart: now,
    periodEnd: now,
    // Without `discounts`, an invoice inherits its customer's discount; '' opts out.
    discounts: [],
    dueDate: dueDateOf(params, collectionMethod, now),
  });
  applyWritable(context, invoice, params);
  invoice.discounts =
    params.discounts === undefined ? customerDiscounts(customer) : redeemDiscounts(context, params.discounts, { customer: customer.id, invoice: id });
  context.store.put(invoice);
  if (includePending) claimPendingItems(context, invoice, (itemSubscription) => itemSubscription === (subscription?.id ?? null));
  syncInvoiceLines(context, invoice);
  context.emit('invoice.created', invoice, meta);
  return invoice;
}

function invoiceCurrency(context: EmulatorContext, params: Params, customer: StripeObject): string {
  const pending = context.store.all('invoiceitem').find((item) => item.customer === customer.id && item.invoice === null);
  return (optionalString(params.currency, 'currency') ?? customer.currency ?? pending?.currency ?? 'usd').toLowerCase();
}

/** send_invoice invoices are due `days_until_due` days from `from`, or on `due_date`; charged invoices have no due date. */
function dueDateOf(params: Params, collectionMethod: string, from: number): number | null {
  const days = optionalInteger(params.days_until_due, 'days_until_due');
  const dueDate = optionalInteger(params.due_date, 'due_date');
  if (collectionMethod !== 'send_invoice') {
    for (const [param, value] of [
      ['days_until_due', days],
      ['due_date', dueDate],
    ] as const) {
      if (value !== undefined) throw invalidParameter(param, `The \`${param}\` parameter can only be set when \`collection_method\` is \`send_invoice\`.`);
    }
    return null;
  }
  if (days !== undefined && dueDate !== undefined) throw invalidRequest('You may only specify one of these parameters: days_until_due, due_date.');
  return dueDate ?? from + (days ?? DEFAULT_DAYS_UNTIL_DUE) * DAY;
}

/** The fields every writable invoice parameter sets (discounts and due dates are handled by the caller). */
function applyWritable(context: EmulatorContext, invoice: StripeObject, params: Params): void {
  const autoAdvance = optionalBoolean(params.auto_advance, 'auto_advance');
  if (autoAdvance !== undefined) invoice.auto_advance = autoAdvance;
  for (const field of ['description', 'footer', 'statement_descriptor', 'number'] as const) {
    if (params[field] !== undefined) invoice[field] = optionalString(params[field], field) || null;
  }
  for (const field of ['default_payment_method', 'default_source'] as const) {
    if (params[field] !== undefined) invoice[field] = params[field] ? ownedPaymentMethod(context, invoice, String(params[field]), field).id : null;
  }
  if (params.custom_fields !== undefined)
    invoice.custom_fields =
      params.custom_fields === '' ? null : Object.values(params.custom_fields as Params).map((field: Params) => ({ name: field.name, value: field.value }));
  if (params.shipping_details !== undefined) invoice.shipping_details = params.shipping_details || null;
  if (params.effective_at !== undefined) invoice.effective_at = optionalInteger(params.effective_at, 'effective_at') ?? null;
  invoice.metadata = mergeMetadata(invoice.metadata, params.metadata);
}

function updateInvoice(context: EmulatorContext, invoice: StripeObject, params: Params, meta: RequestMeta): StripeObject {
  checkParams(params, WRITABLE);
  if (invoice.status !== 'draft') {
    const locked = Object.keys(params).find((key) => !EDITABLE_WHEN_FINALIZED.has(key));
    if (locked) throw invalidParameter(locked, `Finalized invoices can't be updated in this way: \`${locked}\` can only be changed on a draft invoice.`);
  }
  const before = structuredClone(invoice);
  const collectionMethod = optionalEnum(params.collection_method, 'collection_method', COLLECTION_METHODS);
  if (collectionMethod) invoice.collection_method = collectionMethod;
  if (params.days_until_due !== undefined || params.due_date !== undefined) invoice.due_date = dueDateOf(params, invoice.collection_method, invoice.created);
  else if (collectionMethod)
    invoice.due_date = collectionMethod === 'send_invoice' ? (invoice.due_date ?? dueDateOf({}, collectionMethod, invoice.created)) : null;
  applyWritable(context, invoice, params);
  if (params.discounts !== undefined) invoice.discounts = redeemDiscounts(context, params.discounts, { customer: invoice.customer, invoice: invoice.id });
  if (invoice.status === 'draft') refreshTotals(context, invoice);
  emitIfChanged(context, 'invoice.updated', before, invoice, meta);
  return invoice;
}

/** Deletes a one-off draft: its invoice items become pending again; invoice.deleted. */
function deleteInvoice(context: EmulatorContext, invoice: StripeObject, meta: RequestMeta): { id: string; object: 'invoice'; deleted: true } {
  if (invoice.status !== 'draft') throw invalidRequest('You can only delete draft invoices. Finalized invoices can be voided instead.');
  if (invoice.parent?.subscription_details) throw invalidRequest(`You can't delete an invoice created by a subscription; void it once it is finalized.`);
  for (const item of context.store.all('invoiceitem')) if (item.invoice === invoice.id) item.invoice = null;
  context.store.markDeleted(invoice.id);
  context.emit('invoice.deleted', invoice, meta);
  return { id: invoice.id, object: 'invoice', deleted: true };
}

/** Sends an invoice to its customer (finalizing a draft first): invoice.sent. */
function sendInvoice(context: EmulatorContext, invoice: StripeObject, meta: RequestMeta): StripeObject {
  if (invoice.status === 'draft') finalizeInvoice(context, invoice, meta, { announceUpdate: true });
  if (invoice.status !== 'open') throw notInStatus(invoice, 'send', ['open']);
  context.emit('invoice.sent', invoice, meta);
  return invoice;
}

// ---- paying an invoice ----

const ACTION_REQUIRED: StripeErrorBody = {
  type: 'card_error',
  code: 'invoice_payment_intent_requires_action',
  message:
    'This payment requires additional user action before it can be completed successfully. Payment can be completed using the PaymentIntent associated with the invoice. For more information see https://docs.stripe.com/billing/subscriptions/overview#requires-action',
};

/** A payment method (test ids such as pm_card_visa included) or card source the invoice's customer owns. */
function ownedPaymentMethod(context: EmulatorContext, invoice: StripeObject, id: string, param: string): StripeObject {
  const customer = requireObject(context.store, 'customer', invoice.customer);
  if (id.startsWith('card_') || id.startsWith('src_')) return requireCustomerSource(context, customer, id, param);
  return context.store.get(requireAttachedPaymentMethod(context, customer.id, id, param), 'payment_method')!;
}

/** Stripe's order: the one given, the invoice's defaults, the subscription's, then the customer's. */
function paymentMethodToCharge(context: EmulatorContext, invoice: StripeObject, params: Params): StripeObject {
  const requestedMethod = optionalString(params.payment_method, 'payment_method');
  if (requestedMethod) return ownedPaymentMethod(context, invoice, requestedMethod, 'payment_method');
  const requestedSource = optionalString(params.source, 'source');
  if (requestedSource) return ownedPaymentMethod(context, invoice, requestedSource, 'source');
  const subscriptionId = invoice.parent?.subscription_details?.subscription;
  const subscription = subscriptionId ? context.store.get(subscriptionId, 'subscription') : undefined;
  const customer = context.store.get(invoice.customer, 'customer');
  const candidates = [
    invoice.default_payment_method,
    invoice.default_source,
    subscription?.default_payment_method,
    subscription?.default_source,
    customer?.invoice_settings?.default_payment_method,
    customer?.default_source,
  ];
  const chosen = candidates.map((id) => (id ? context.store.get(id) : undefined)).find((found) => found !== undefined);
  if (!chosen) {
    throw invalidRequest(
      'This customer has no attached payment source or default payment method. Please consider adding a default payment method. For more information, visit https://docs.stripe.com/billing/subscriptions/payment-methods-setting#payment-method-priority.',
    );
  }
  return chosen;
}

/**
 * POST /v1/invoices/:id/pay: finalizes a draft, then charges the payment method (or records an
 * out-of-band payment). A declined or unauthenticated charge answers 402 like Stripe, after its events.
 */
function chargeInvoice(context: EmulatorContext, invoice: StripeObject, params: Params, meta: RequestMeta): StripeObject {
  if (invoice.status === 'paid') throw invalidRequest('Invoice is already paid');
  if (invoice.status === 'void') throw invalidRequest('This invoice has been voided and can no longer be paid.');
  const announce = { announceUpdate: true };
  if (invoice.status === 'draft') finalizeInvoice(context, invoice, meta, announce);
  if (optionalBoolean(params.paid_out_of_band, 'paid_out_of_band')) {
    payOutOfBand(context, invoice, meta, announce);
    return invoice;
  }
  if (invoice.amount_due === 0) {
    settleNothingDue(context, invoice, meta, announce);
    return invoice;
  }
  const paymentMethod = paymentMethodToCharge(context, invoice, params);
  const outcome = chargeOutcome(paymentMethod);
  if (outcome.kind === 'declines') {
    failInvoicePayment(context, invoice, meta, announce);
    throw cardError(outcome.decline);
  }
  if (outcome.kind === 'requires_authentication') {
    requirePaymentAction(context, invoice, meta, announce);
    throw new StripeApiError(402, { ...ACTION_REQUIRED });
  }
  payInvoice(context, invoice, meta, announce);
  reactivateSubscription(context, invoice, meta);
  return invoice;
}

/** Paying the latest invoice of an incomplete or past-due subscription makes it active again, as in Stripe. */
function reactivateSubscription(context: EmulatorContext, invoice: StripeObject, meta: RequestMeta): void {
  const subscriptionId = invoice.parent?.subscription_details?.subscription;
  const subscription = subscriptionId ? context.store.get(subscriptionId, 'subscription') : undefined;
  if (!subscription || subscription.latest_invoice !== invoice.id || !['incomplete', 'past_due', 'unpaid'].includes(subscription.status)) return;
  const before = structuredClone(subscription);
  subscription.status = 'active';
  context.emit('customer.subscription.updated', subscription, meta, previousAttributes(before, subscription));
}

export const invoices: ResourceModule = (context) => {
  const { store } = context;
  const invoiceAt = (id: string) => requireObject(store, 'invoice', id);
  /** POST /v1/invoices/:id/<action>: one lifecycle step, answering the invoice. */
  const lifecycle = (action: string, act: (invoice: StripeObject, params: Params, meta: RequestMeta) => void, spec: Record<string, ParamSpec> = {}): Route => ({
    method: 'POST',
    path: `/v1/invoices/:id/${action}`,
    handle({ pathParams, params, meta }) {
      checkParams(params, spec);
      const invoice = invoiceAt(pathParams.id!);
      act(invoice, params, meta);
      return expand(invoice, expandPaths(params), store);
    },
  });
  return [
    {
      method: 'POST',
      path: '/v1/invoices',
      handle: ({ params, meta }) => expand(createInvoice(context, params, meta), expandPaths(params), store),
    },
    retrieveRoute(context, '/v1/invoices/:id', 'invoice'),
    objectActionRoute(context, '/v1/invoices/:id', 'invoice', updateInvoice),
    {
      method: 'DELETE',
      path: '/v1/invoices/:id',
      handle({ pathParams, params, meta }) {
        checkParams(params, {});
        return deleteInvoice(context, invoiceAt(pathParams.id!), meta);
      },
    },
    lifecycle(
      'finalize',
      (invoice, params, meta) => {
        const autoAdvance = optionalBoolean(params.auto_advance, 'auto_advance');
        if (autoAdvance !== undefined) invoice.auto_advance = autoAdvance;
        finalizeInvoice(context, invoice, meta, { announceUpdate: true });
        settleNothingDue(context, invoice, meta, { announceUpdate: true });
      },
      { auto_advance: 'value' },
    ),
    lifecycle('pay', (invoice, params, meta) => chargeInvoice(context, invoice, params, meta), {
      forgive: 'value',
      mandate: 'value',
      off_session: 'value',
      paid_out_of_band: 'value',
      payment_method: 'value',
      source: 'value',
    }),
    lifecycle('void', (invoice, _params, meta) => voidInvoice(context, invoice, meta, { announceUpdate: true })),
    lifecycle('mark_uncollectible', (invoice, _params, meta) => markUncollectible(context, invoice, meta, { announceUpdate: true })),
    lifecycle('send', (invoice, _params, meta) => sendInvoice(context, invoice, meta)),
    {
      method: 'GET',
      path: '/v1/invoices/:id/lines',
      handle({ pathParams, params }) {
        checkParams(params, { limit: 'value', starting_after: 'value', ending_before: 'value' });
        const invoice = invoiceAt(pathParams.id!);
        return expand(paginate(invoice.lines.data, params, invoice.lines.url), expandPaths(params), store);
      },
    },
    listRoute(context, '/v1/invoices', 'invoice', {
      filters: { customer: 'value', customer_account: 'value', subscription: 'value', status: 'value', collection_method: 'value', due_date: 'map' },
      where(params) {
        const customer = optionalString(params.customer, 'customer');
        const subscription = optionalString(params.subscription, 'subscription');
        const status = optionalEnum(params.status, 'status', ['draft', 'open', 'paid', 'uncollectible', 'void'] as const);
        const collectionMethod = optionalEnum(params.collection_method, 'collection_method', COLLECTION_METHODS);
        return (invoice) =>
          (customer === undefined || invoice.customer === customer) &&
          (subscription === undefined || invoice.parent?.subscription_details?.subscription === subscription) &&
          (status === undefined || invoice.status === status) &&
          (collectionMethod === undefined || invoice.collection_method === collectionMethod) &&
          (params.due_date === undefined || (invoice.due_date !== null && matchesCreated(invoice.due_date, params.due_date)));
      },
    }),
  ];
};
