/**
 * Payment methods: cards (from a number on a hosted page) and Amazon Pay, stored unattached, then
 * attached to a customer (payment_method.attached); retrievable and listable per customer.
 */
import type { EmulatorContext, RequestMeta, ResourceModule } from '../context';
import { noSuch } from '../errors';
import { requireObject } from '../lookup';
import { checkParams, expandPaths, optionalString } from '../params';
import { newId, type StripeObject } from '../store';
import { expand, newestFirst, paginate } from '../wire';

const LIST = { type: 'value', limit: 'value', starting_after: 'value', ending_before: 'value', allow_redisplay: 'value' } as const;

/** A card as a hosted page reads it; the number only decides brand and last4, the emulator charges nothing. */
export interface CardDetails {
  number: string;
  expMonth?: number;
  expYear?: number;
}

export type BillingDetails = { email?: string | null; name?: string | null };

function cardBrand(number: string): string {
  if (number.startsWith('4')) return 'visa';
  if (/^5[1-5]/.test(number)) return 'mastercard';
  if (/^3[47]/.test(number)) return 'amex';
  return 'unknown';
}

function paymentMethodObject(context: EmulatorContext, type: string, details: Record<string, unknown>, billing: BillingDetails): StripeObject {
  return {
    id: newId('pm'),
    object: 'payment_method',
    allow_redisplay: 'unspecified',
    billing_details: { address: null, email: billing.email ?? null, name: billing.name ?? null, phone: null, tax_id: null },
    created: context.now(),
    customer: null,
    livemode: false,
    metadata: {},
    type,
    [type]: details,
  };
}

/** Stores a new, unattached card payment method (no event: Stripe emits none on creation). */
export function createCardPaymentMethod(context: EmulatorContext, card: CardDetails, billing: BillingDetails = {}): StripeObject {
  const number = card.number.replace(/\s+/g, '');
  return context.store.put(
    paymentMethodObject(
      context,
      'card',
      {
        brand: cardBrand(number),
        checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
        country: 'US',
        display_brand: cardBrand(number),
        exp_month: card.expMonth ?? 12,
        exp_year: card.expYear ?? new Date(context.now() * 1000).getUTCFullYear() + 3,
        fingerprint: newId('fp', 16).slice(3),
        funding: 'credit',
        generated_from: null,
        last4: number.slice(-4),
        networks: { available: [cardBrand(number)], preferred: null },
        regulated_status: 'unregulated',
        three_d_secure_usage: { supported: true },
        wallet: null,
      },
      billing,
    ),
  );
}

/** Stores a new, unattached Amazon Pay payment method. */
export function createAmazonPayPaymentMethod(context: EmulatorContext, billing: BillingDetails = {}): StripeObject {
  return context.store.put(paymentMethodObject(context, 'amazon_pay', {}, billing));
}

/** Attaches a payment method to a customer and emits payment_method.attached. */
export function attachPaymentMethod(context: EmulatorContext, paymentMethod: StripeObject, customerId: string, meta: RequestMeta): StripeObject {
  paymentMethod.customer = customerId;
  context.emit('payment_method.attached', paymentMethod, meta);
  return paymentMethod;
}

export const paymentMethods: ResourceModule = (context) => {
  const { store } = context;
  const ofCustomer = (customer: string, type: string | undefined): StripeObject[] =>
    newestFirst(store.all('payment_method')).filter((method) => method.customer === customer && (type === undefined || method.type === type));
  return [
    {
      method: 'GET',
      path: '/v1/payment_methods/:id',
      handle({ pathParams, params }) {
        checkParams(params, {});
        const method = store.get(pathParams.id!, 'payment_method');
        if (!method) throw noSuch('PaymentMethod', pathParams.id!);
        return expand(method, expandPaths(params), store);
      },
    },
    {
      method: 'GET',
      path: '/v1/payment_methods',
      handle({ params }) {
        checkParams(params, { ...LIST, customer: 'value' });
        const customer = optionalString(params.customer, 'customer');
        const type = optionalString(params.type, 'type');
        const found = customer ? ofCustomer(requireObject(context.store, 'customer', customer, 'customer').id, type) : [];
        return expand(paginate(found, params, '/v1/payment_methods'), expandPaths(params), store);
      },
    },
    {
      method: 'GET',
      path: '/v1/customers/:id/payment_methods',
      handle({ pathParams, params }) {
        checkParams(params, LIST);
        const customer = requireObject(context.store, 'customer', pathParams.id!);
        const found = ofCustomer(customer.id, optionalString(params.type, 'type'));
        return expand(paginate(found, params, `/v1/customers/${customer.id}/payment_methods`), expandPaths(params), store);
      },
    },
  ];
};
