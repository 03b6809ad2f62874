/** Invoices: created by subscriptions (a minimal but real-shaped invoice object), retrievable and listable. */
import type { EmulatorContext, RequestMeta, ResourceModule } from '../context';
import { optionalString } from '../params';
import { listRoute, retrieveRoute } from '../routes';
import { newId, type StripeObject } from '../store';

export type BillingReason = 'subscription_create' | 'subscription_cycle' | 'subscription_update' | 'manual';

/**
 * Creates a draft invoice for the subscription's items over their current periods and emits
 * invoice.created, unless `announce` is false (the caller emits it after its own event).
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
  const lines = subscription.items.data.map((item: StripeObject) => {
    const product = context.store.get(item.price.product, 'product');
    const amount = options.amountOverride ?? item.price.unit_amount * item.quantity;
    return {
      id: newId('il'),
      object: 'line_item',
      amount,
      currency: item.price.currency,
      description: `${item.quantity} × ${product?.name ?? item.price.product} (at ${formatAmount(item.price.unit_amount, item.price.currency)} / ${item.price.recurring?.interval ?? 'once'})`,
      discount_amounts: [],
      discountable: true,
      discounts: [],
      invoice: id,
      livemode: false,
      metadata: {},
      parent: {
        invoice_item_details: null,
        subscription_item_details: { invoice_item: null, proration: false, proration_details: { credited_items: null }, subscription: subscription.id, subscription_item: item.id },
        type: 'subscription_item_details',
      },
      period: { end: item.current_period_end, start: item.current_period_start },
      pretax_credit_amounts: [],
      pricing: { price_details: { price: item.price.id, product: item.price.product }, type: 'price_details', unit_amount_decimal: String(item.price.unit_amount) },
      quantity: item.quantity,
      taxes: [],
    };
  });
  const total = lines.reduce((sum: number, line: { amount: number }) => sum + line.amount, 0);
  const first = subscription.items.data[0];
  const invoice = context.store.put<StripeObject>({
    id,
    object: 'invoice',
    account_country: 'US',
    account_name: context.accountName,
    account_tax_ids: null,
    amount_due: total,
    amount_overpaid: 0,
    amount_paid: 0,
    amount_remaining: total,
    amount_shipping: 0,
    application: null,
    attempt_count: 0,
    attempted: false,
    auto_advance: true,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null, provider: null, status: null },
    automatically_finalizes_at: null,
    billing_reason: reason,
    collection_method: subscription.collection_method,
    created: now,
    currency: subscription.currency,
    custom_fields: null,
    customer: subscription.customer,
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
    discounts: [],
    due_date: null,
    effective_at: null,
    ending_balance: null,
    footer: null,
    from_invoice: null,
    hosted_invoice_url: null,
    invoice_pdf: null,
    issuer: { type: 'self' },
    last_finalization_error: null,
    latest_revision: null,
    lines: { object: 'list', data: lines, has_more: false, total_count: lines.length, url: `/v1/invoices/${id}/lines` },
    livemode: false,
    metadata: {},
    next_payment_attempt: null,
    number: null,
    on_behalf_of: null,
    parent: {
      quote_details: null,
      subscription_details: { metadata: { ...subscription.metadata }, subscription: subscription.id },
      type: 'subscription_details',
    },
    payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
    period_end: first?.current_period_start ?? now,
    period_start: first?.current_period_start ?? now,
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
    subscription: subscription.id,
    subtotal: total,
    subtotal_excluding_tax: total,
    test_clock: null,
    total,
    total_discount_amounts: [],
    total_excluding_tax: total,
    total_pretax_credit_amounts: [],
    total_taxes: [],
    webhooks_delivered_at: null,
  });
  if (options.announce !== false) context.emit('invoice.created', invoice, meta);
  return invoice;
}

export function finalizeInvoice(context: EmulatorContext, invoice: StripeObject, meta: RequestMeta): void {
  const customer = context.store.get(invoice.customer, 'customer');
  const before = { status: invoice.status, number: invoice.number, status_transitions: { ...invoice.status_transitions }, effective_at: invoice.effective_at };
  invoice.status = 'open';
  invoice.effective_at = context.now();
  invoice.status_transitions.finalized_at = context.now();
  if (customer) invoice.number = `${customer.invoice_prefix}-${String(customer.next_invoice_sequence++).padStart(4, '0')}`;
  context.emit('invoice.finalized', invoice, meta, before);
}

export function payInvoice(context: EmulatorContext, invoice: StripeObject, meta: RequestMeta): void {
  const before = { status: invoice.status, amount_paid: invoice.amount_paid, amount_remaining: invoice.amount_remaining, attempted: invoice.attempted, attempt_count: invoice.attempt_count };
  invoice.status = 'paid';
  invoice.amount_paid = invoice.amount_due;
  invoice.amount_remaining = 0;
  invoice.attempted = true;
  invoice.attempt_count += 1;
  invoice.next_payment_attempt = null;
  invoice.status_transitions.paid_at = context.now();
  context.emit('invoice.paid', invoice, meta, before);
  context.emit('invoice.payment_succeeded', invoice, meta, before);
}

export function failInvoicePayment(context: EmulatorContext, invoice: StripeObject, meta: RequestMeta): void {
  const before = { attempted: invoice.attempted, attempt_count: invoice.attempt_count, next_payment_attempt: invoice.next_payment_attempt };
  invoice.attempted = true;
  invoice.attempt_count += 1;
  invoice.next_payment_attempt = context.now() + 3 * 24 * 3600;
  context.emit('invoice.payment_failed', invoice, meta, before);
}

/** An invoice that will not be charged (paused collection): left as draft, marked uncollectible or voided. */
export function settleWithoutPayment(context: EmulatorContext, invoice: StripeObject, behavior: string, meta: RequestMeta): void {
  if (behavior === 'keep_as_draft') return;
  finalizeInvoice(context, invoice, meta);
  const before = { status: invoice.status };
  if (behavior === 'void') {
    invoice.status = 'void';
    invoice.status_transitions.voided_at = context.now();
    context.emit('invoice.voided', invoice, meta, before);
  } else {
    invoice.status = 'uncollectible';
    invoice.status_transitions.marked_uncollectible_at = context.now();
    context.emit('invoice.marked_uncollectible', invoice, meta, before);
  }
}

export function formatAmount(amount: number, currency: string): string {
  return new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() }).format(amount / 100);
}

export const invoices: ResourceModule = (context) => [
  retrieveRoute(context, '/v1/invoices/:id', 'invoice'),
  listRoute(context, '/v1/invoices', 'invoice', {
    filters: { customer: 'value', subscription: 'value', status: 'value', collection_method: 'value', due_date: 'map' },
    where(params) {
      const customer = optionalString(params.customer, 'customer');
      const subscription = optionalString(params.subscription, 'subscription');
      const status = optionalString(params.status, 'status');
      return (invoice) =>
        (customer === undefined || invoice.customer === customer) &&
        (subscription === undefined || invoice.subscription === subscription) &&
        (status === undefined || invoice.status === status);
    },
  }),
];
