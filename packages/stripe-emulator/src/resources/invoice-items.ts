/**
 * Invoice items: charges (or credits) waiting for a customer's next invoice, or added to a draft
 * invoice. They can change or go only while pending or on a draft; a draft shows them as lines.
 */
import type { EmulatorContext, RequestMeta, ResourceModule } from '../context';
import { invalidParameter, invalidRequest } from '../errors';
import { requireObject } from '../lookup';
import {
  checkParams,
  expandPaths,
  mergeMetadata,
  optionalBoolean,
  optionalDecimal,
  optionalInteger,
  optionalString,
  type ParamSpec,
  type Params,
  required,
} from '../params';
import { listRoute, objectActionRoute, retrieveRoute } from '../routes';
import { newId, type StripeObject } from '../store';
import { emitIfChanged, expand } from '../wire';
import { syncInvoiceLines } from './invoices';

const PRICE_DATA: ParamSpec = { currency: 'value', product: 'value', unit_amount: 'value', unit_amount_decimal: 'value' };

const WRITABLE: Record<string, ParamSpec> = {
  amount: 'value',
  description: 'value',
  discountable: 'value',
  metadata: 'map',
  period: { start: 'value', end: 'value' },
  price_data: PRICE_DATA,
  pricing: { price: 'value' },
  quantity: 'value',
  unit_amount_decimal: 'value',
};

const CREATE: Record<string, ParamSpec> = { ...WRITABLE, currency: 'value', customer: 'value', invoice: 'value', subscription: 'value' };

/** The ways to price an item; exactly one is given. */
const PRICING_PARAMS = ['amount', 'pricing', 'price_data', 'unit_amount_decimal'] as const;

interface Priced {
  currency: string;
  /** Per unit, in the currency's minor unit; may have decimals. */
  unitAmount: number;
  /** Set when the item follows a Price. */
  price?: StripeObject;
  /** Set when `amount` gave the total rather than a unit amount. */
  total?: number;
}

function pricingOf(context: EmulatorContext, params: Params, currencyParam: string | undefined): Priced {
  const given = PRICING_PARAMS.filter((name) => params[name] !== undefined && params[name] !== '');
  if (given.length > 1) throw invalidRequest(`You may only specify one of these parameters: ${given.join(', ')}.`);
  if (given.length === 0)
    throw invalidRequest('You must specify either `amount`, `pricing[price]`, `price_data` or `unit_amount_decimal` for an invoice item.');
  if (params.pricing !== undefined) return pricedByPrice(context, required(optionalString(params.pricing.price, 'pricing[price]'), 'pricing[price]'));
  if (params.price_data !== undefined) return pricedByData(context, params.price_data as Params);
  const currency = required(currencyParam, 'currency');
  if (params.amount !== undefined) {
    const total = required(optionalInteger(params.amount, 'amount'), 'amount');
    return { currency, unitAmount: total, total };
  }
  return { currency, unitAmount: required(optionalDecimal(params.unit_amount_decimal, 'unit_amount_decimal'), 'unit_amount_decimal') };
}

function pricedByPrice(context: EmulatorContext, id: string): Priced {
  const price = requireObject(context.store, 'price', id, 'pricing[price]');
  if (price.type === 'recurring') {
    throw invalidParameter('pricing[price]', 'The price specified is set to `type=recurring` but this field only accepts prices with `type=one_time`.');
  }
  if (!price.active) throw invalidParameter('pricing[price]', 'The price specified is inactive. This field only accepts active prices.');
  return { currency: price.currency, unitAmount: price.unit_amount, price };
}

function pricedByData(context: EmulatorContext, data: Params): Priced {
  requireObject(context.store, 'product', required(optionalString(data.product, 'price_data[product]'), 'price_data[product]'), 'price_data[product]');
  const currency = required(optionalString(data.currency, 'price_data[currency]'), 'price_data[currency]').toLowerCase();
  const unitAmount =
    optionalInteger(data.unit_amount, 'price_data[unit_amount]') ?? optionalDecimal(data.unit_amount_decimal, 'price_data[unit_amount_decimal]');
  return { currency, unitAmount: required(unitAmount, 'price_data[unit_amount]') };
}

function quantityOf(value: unknown): number {
  const quantity = optionalInteger(value, 'quantity') ?? 1;
  if (quantity < 0) throw invalidParameter('quantity', 'Invalid quantity: must be a positive integer.', 'parameter_invalid_integer');
  return quantity;
}

/** Sets amount, quantity and pricing from a pricing and a quantity. */
function applyPricing(item: StripeObject, priced: Priced, quantity: number): void {
  item.quantity = quantity;
  item.quantity_decimal = String(quantity);
  item.amount = priced.total ?? Math.round(priced.unitAmount * quantity);
  const unit = priced.total !== undefined ? (quantity > 0 ? priced.total / quantity : priced.total) : priced.unitAmount;
  item.pricing = {
    ...(priced.price && { price_details: { price: priced.price.id, product: priced.price.product } }),
    type: 'price_details',
    unit_amount_decimal: String(unit),
  };
}

function periodOf(value: Params | undefined, now: number): { start: number; end: number } {
  if (!value) return { start: now, end: now };
  const start = required(optionalInteger(value.start, 'period[start]'), 'period[start]');
  const end = required(optionalInteger(value.end, 'period[end]'), 'period[end]');
  if (end < start) throw invalidParameter('period[end]', 'The period end must be after the period start.');
  return { start, end };
}

/** The draft an item is added to: the customer's, in the item's currency. */
function draftFor(context: EmulatorContext, id: string, customer: string, currency: string): StripeObject {
  const invoice = requireObject(context.store, 'invoice', id, 'invoice');
  if (invoice.customer !== customer) throw invalidParameter('invoice', `The invoice '${id}' belongs to a different customer.`);
  if (invoice.status !== 'draft') throw invalidParameter('invoice', `Invoice items can only be added to draft invoices; '${id}' is ${invoice.status}.`);
  if (invoice.currency !== currency)
    throw invalidParameter('currency', `The currency '${currency}' does not match the invoice's currency '${invoice.currency}'.`);
  return invoice;
}

/** Re-reads the lines of the draft an item sits on and announces the change (invoice.updated). */
function refreshDraft(context: EmulatorContext, invoiceId: string | null, meta: RequestMeta): void {
  const invoice = invoiceId ? context.store.get(invoiceId, 'invoice') : undefined;
  if (invoice?.status !== 'draft') return;
  const before = structuredClone(invoice);
  syncInvoiceLines(context, invoice);
  emitIfChanged(context, 'invoice.updated', before, invoice, meta);
}

function createInvoiceItem(context: EmulatorContext, params: Params, meta: RequestMeta): StripeObject {
  checkParams(params, CREATE);
  const customer = requireObject(context.store, 'customer', required(optionalString(params.customer, 'customer'), 'customer'), 'customer');
  const priced = pricingOf(context, params, optionalString(params.currency, 'currency')?.toLowerCase());
  const invoiceId = optionalString(params.invoice, 'invoice');
  const invoice = invoiceId ? draftFor(context, invoiceId, customer.id, priced.currency) : undefined;
  const subscriptionId = optionalString(params.subscription, 'subscription');
  const subscription = subscriptionId ? requireObject(context.store, 'subscription', subscriptionId, 'subscription') : undefined;
  if (subscription && subscription.customer !== customer.id)
    throw invalidParameter('subscription', `The subscription '${subscription.id}' belongs to a different customer.`);
  const now = context.now();
  const item: StripeObject = {
    id: newId('ii'),
    object: 'invoiceitem',
    amount: 0,
    currency: priced.currency,
    customer: customer.id,
    customer_account: null,
    date: now,
    description: optionalString(params.description, 'description') ?? productName(context, priced) ?? null,
    discountable: optionalBoolean(params.discountable, 'discountable') ?? true,
    discounts: [],
    invoice: invoice?.id ?? null,
    livemode: false,
    metadata: mergeMetadata({}, params.metadata),
    parent: subscription ? { subscription_details: { subscription: subscription.id }, type: 'subscription_details' } : null,
    period: periodOf(params.period, now),
    pricing: null,
    proration: false,
    quantity: 1,
    quantity_decimal: '1',
    tax_rates: [],
    test_clock: null,
  };
  applyPricing(item, priced, quantityOf(params.quantity));
  context.store.put(item);
  context.emit('invoiceitem.created', item, meta);
  refreshDraft(context, item.invoice, meta);
  return item;
}

function productName(context: EmulatorContext, priced: Priced): string | undefined {
  return priced.price ? context.store.get(priced.price.product, 'product')?.name : undefined;
}

/** Items on a finalized invoice are part of a document the customer has seen; they no longer change. */
function requireEditable(context: EmulatorContext, item: StripeObject): void {
  const invoice = item.invoice ? context.store.get(item.invoice, 'invoice') : undefined;
  if (invoice && invoice.status !== 'draft') {
    throw invalidRequest(`The invoice item '${item.id}' is on invoice '${invoice.id}', which is no longer a draft, so it can't be changed or deleted.`);
  }
}

function updateInvoiceItem(context: EmulatorContext, item: StripeObject, params: Params, meta: RequestMeta): StripeObject {
  checkParams(params, WRITABLE);
  requireEditable(context, item);
  const repriced = PRICING_PARAMS.some((name) => params[name] !== undefined);
  if (repriced || params.quantity !== undefined) {
    const priced = repriced ? pricingOf(context, params, item.currency) : currentPricing(context, item);
    if (priced.currency !== item.currency) throw invalidParameter('currency', `The invoice item's currency is '${item.currency}' and can't change.`);
    applyPricing(item, priced, params.quantity !== undefined ? quantityOf(params.quantity) : item.quantity);
  }
  if (params.description !== undefined) item.description = optionalString(params.description, 'description') || null;
  const discountable = optionalBoolean(params.discountable, 'discountable');
  if (discountable !== undefined) item.discountable = discountable;
  if (params.period !== undefined) item.period = periodOf(params.period, context.now());
  item.metadata = mergeMetadata(item.metadata, params.metadata);
  refreshDraft(context, item.invoice, meta);
  return item;
}

/** A quantity change keeps the item's unit price (or its Price). */
function currentPricing(context: EmulatorContext, item: StripeObject): Priced {
  const priceId = item.pricing?.price_details?.price;
  const price = priceId ? context.store.get(priceId, 'price') : undefined;
  return { currency: item.currency, unitAmount: Number(item.pricing?.unit_amount_decimal ?? item.amount), ...(price && { price }) };
}

function deleteInvoiceItem(context: EmulatorContext, item: StripeObject, meta: RequestMeta): { id: string; object: 'invoiceitem'; deleted: true } {
  requireEditable(context, item);
  context.store.markDeleted(item.id);
  context.emit('invoiceitem.deleted', item, meta);
  refreshDraft(context, item.invoice, meta);
  return { id: item.id, object: 'invoiceitem', deleted: true };
}

export const invoiceItems: ResourceModule = (context) => {
  const { store } = context;
  return [
    {
      method: 'POST',
      path: '/v1/invoiceitems',
      handle: ({ params, meta }) => expand(createInvoiceItem(context, params, meta), expandPaths(params), store),
    },
    retrieveRoute(context, '/v1/invoiceitems/:id', 'invoiceitem'),
    objectActionRoute(context, '/v1/invoiceitems/:id', 'invoiceitem', updateInvoiceItem),
    {
      method: 'DELETE',
      path: '/v1/invoiceitems/:id',
      handle({ pathParams, params, meta }) {
        checkParams(params, {});
        return deleteInvoiceItem(context, requireObject(store, 'invoiceitem', pathParams.id!), meta);
      },
    },
    listRoute(context, '/v1/invoiceitems', 'invoiceitem', {
      filters: { customer: 'value', customer_account: 'value', invoice: 'value', pending: 'value' },
      where(params) {
        const customer = optionalString(params.customer, 'customer');
        const invoice = optionalString(params.invoice, 'invoice');
        const pending = optionalBoolean(params.pending, 'pending');
        return (item) =>
          (customer === undefined || item.customer === customer) &&
          (invoice === undefined || item.invoice === invoice) &&
          (pending === undefined || (item.invoice === null) === pending);
      },
    }),
  ];
};
