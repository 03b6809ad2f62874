/**
 * Maps Stripe's objects and events onto Linkout's core types (functions/core/billing-events.ts).
 * Only the fields the access rules need are kept; everything else in Stripe's payload is ignored.
 */
import type Stripe from 'stripe';
import * as z from 'zod/mini';
import { type BillingEvent, SUBSCRIPTION_STATUSES, type SubscriptionSnapshot, type SubscriptionStatus } from '#core/billing-events';
import { invalidRequest } from '#core/errors';
import { accountIdFromMetadata } from './account-metadata';
import { checkoutSessionUpdate, setupIntentUpdate } from './purchase-mapping';

const SUBSCRIPTION_EVENTS = new Set([
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'customer.subscription.paused',
  'customer.subscription.resumed',
  'customer.subscription.pending_update_applied',
  'customer.subscription.pending_update_expired',
  'customer.subscription.trial_will_end',
]);

/**
 * Every event type toBillingEvent acts on; any other type maps to `ignored` before its payload is read.
 * Reconciliation lists exactly these (functions/adapters/stripe/event-source.ts; Stripe's `types[]`
 * takes at most 20), so adding a case below without listing it here would leave it unreconciled.
 */
export const HANDLED_EVENT_TYPES: readonly string[] = [
  ...SUBSCRIPTION_EVENTS,
  'invoice.paid',
  'invoice.payment_failed',
  'customer.created',
  'customer.updated',
  'customer.deleted',
  'entitlements.active_entitlement_summary.updated',
  'checkout.session.completed',
  'checkout.session.expired',
  'setup_intent.succeeded',
  'setup_intent.setup_failed',
  'setup_intent.canceled',
];
const HANDLED = new Set(HANDLED_EVENT_TYPES);

type IdOrObject = string | { id: string } | null | undefined;
const idOf = (value: IdOrObject): string | null => (typeof value === 'string' ? value : (value?.id ?? null));

/*
 * The parts of Stripe's payloads that Linkout reads, checked before anything is mapped: a signed but
 * malformed event is the sender's mistake (400 invalid_payload, which Stripe does not retry for days),
 * never a 5xx or a write under a key like CUSTOMER#undefined. Objects stay loose: Stripe adds fields.
 */
/** Stripe ids are at most 255 characters: a longer one is no id (nor fits a DynamoDB key). */
const id = z.string().check(z.minLength(1), z.maxLength(255));
const idOrObject = z.nullish(z.union([id, z.looseObject({ id })]));
/** Unix seconds that fit a Date and a DynamoDB number: 1e300, -1 or 1.5 are not timestamps. */
const unixSeconds = z.number().check(z.int(), z.nonnegative(), z.maximum(253_402_300_799));

// The payload schemas are built on first use (z.lazy): an event builds only the schema of its kind,
// and the webhook's cold import builds none (measured with bench/cold-start.ts: import about 0.94x).
const subscriptionSchema = z.lazy(() =>
  z.looseObject({
    id,
    customer: idOrObject,
    status: z.string(),
    created: unixSeconds,
    items: z.nullish(
      z.looseObject({
        data: z.array(
          z.looseObject({
            price: z.looseObject({ id, product: idOrObject, lookup_key: z.nullish(z.string()) }),
            current_period_end: z.nullish(unixSeconds),
          }),
        ),
      }),
    ),
    cancel_at_period_end: z.nullish(z.boolean()),
    cancel_at: z.nullish(unixSeconds),
    pause_collection: z.nullish(z.looseObject({ behavior: z.string(), resumes_at: z.nullish(unixSeconds) })),
  }),
);
const eventSchema = z.looseObject({ id, type: z.string(), created: unixSeconds });
const invoiceSchema = z.lazy(() =>
  z.looseObject({
    id: z.nullish(id),
    customer: idOrObject,
    parent: z.nullish(z.looseObject({ subscription_details: z.nullish(z.looseObject({ subscription: idOrObject })) })),
  }),
);
/** Stripe's metadata values are strings of at most 500 characters; the account id becomes a DynamoDB key. */
const customerSchema = z.lazy(() =>
  z.looseObject({ id, metadata: z.nullish(z.looseObject({ app_account_id: z.nullish(z.string().check(z.maxLength(500))) })) }),
);
const entitlementSummarySchema = z.lazy(() =>
  z.looseObject({
    customer: id,
    entitlements: z.nullish(z.looseObject({ data: z.array(z.looseObject({ lookup_key: z.string() })) })),
  }),
);

const checkoutSessionSchema = z.lazy(() => z.looseObject({ id, status: z.nullish(z.string()), subscription: idOrObject }));
const setupIntentSchema = z.lazy(() =>
  z.looseObject({
    id,
    status: z.string(),
    payment_method: idOrObject,
    last_setup_error: z.nullish(z.looseObject({ code: z.nullish(z.string()), decline_code: z.nullish(z.string()) })),
  }),
);

function checked<T>(schema: z.ZodMiniType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
  throw invalidRequest('invalid_payload', `The ${what} is malformed${where}.`);
}

export function toSubscriptionSnapshot(unchecked: Stripe.Subscription): SubscriptionSnapshot {
  checked(subscriptionSchema, unchecked, 'subscription');
  const subscription = unchecked;
  const customerId = idOf(subscription.customer as IdOrObject);
  if (!customerId) throw invalidRequest('invalid_payload', 'The subscription has no customer.');
  return {
    id: subscription.id,
    customerId,
    status: toStatus(subscription.status),
    created: subscription.created,
    items: (subscription.items?.data ?? []).map((item) => ({
      priceId: item.price.id,
      productId: idOf(item.price.product as IdOrObject) ?? '',
      lookupKey: item.price.lookup_key ?? null,
      currentPeriodEnd: typeof item.current_period_end === 'number' ? item.current_period_end : null,
    })),
    cancelAtPeriodEnd: Boolean(subscription.cancel_at_period_end),
    cancelAt: subscription.cancel_at ?? null,
    pauseCollection: subscription.pause_collection
      ? { behavior: subscription.pause_collection.behavior, resumesAt: subscription.pause_collection.resumes_at ?? null }
      : null,
  };
}

/** Turns a verified event into the core's view of it; types Linkout does not act on become `ignored`. */
export function toBillingEvent(event: Stripe.Event): BillingEvent {
  checked(eventSchema, event, 'event');
  const meta = { eventId: event.id, type: event.type, created: event.created };
  if (!HANDLED.has(event.type)) return { ...meta, kind: 'ignored' };
  const object = event.data.object as unknown as Record<string, unknown>;
  if (SUBSCRIPTION_EVENTS.has(event.type)) {
    return { ...meta, kind: 'subscription', subscription: toSubscriptionSnapshot(object as unknown as Stripe.Subscription) };
  }
  switch (event.type) {
    case 'invoice.paid':
    case 'invoice.payment_failed': {
      checked(invoiceSchema, object, 'invoice');
      const invoice = object as unknown as Stripe.Invoice;
      const subscriptionId = invoiceSubscriptionId(invoice);
      const customerId = idOf(invoice.customer as IdOrObject);
      // One-off invoices carry no subscription: nothing to entitle.
      if (!subscriptionId || !customerId) return { ...meta, kind: 'ignored' };
      return {
        ...meta,
        kind: 'invoice',
        customerId,
        subscriptionId,
        invoice: { invoiceId: invoice.id ?? '', paymentFailed: event.type === 'invoice.payment_failed' },
      };
    }
    case 'customer.created':
    case 'customer.updated': {
      checked(customerSchema, object, 'customer');
      const customer = object as unknown as Stripe.Customer;
      return { ...meta, kind: 'customer', customerId: customer.id, accountId: accountIdFromMetadata(customer.metadata) };
    }
    case 'customer.deleted':
      return { ...meta, kind: 'customer_deleted', customerId: checked(customerSchema, object, 'deleted customer').id };
    case 'entitlements.active_entitlement_summary.updated': {
      checked(entitlementSummarySchema, object, 'entitlement summary');
      const summary = object as unknown as Stripe.Entitlements.ActiveEntitlementSummary;
      return {
        ...meta,
        kind: 'entitlement_summary',
        customerId: summary.customer,
        lookupKeys: (summary.entitlements?.data ?? []).map((entitlement) => entitlement.lookup_key),
      };
    }
    case 'checkout.session.completed':
    case 'checkout.session.expired': {
      checked(checkoutSessionSchema, object, 'checkout session');
      const session = object as unknown as Stripe.Checkout.Session;
      return { ...meta, kind: 'purchase', purchaseId: session.id, update: checkoutSessionUpdate(session) };
    }
    case 'setup_intent.succeeded':
    case 'setup_intent.setup_failed':
    case 'setup_intent.canceled': {
      checked(setupIntentSchema, object, 'setup intent');
      const intent = object as unknown as Stripe.SetupIntent;
      return { ...meta, kind: 'purchase', purchaseId: intent.id, update: setupIntentUpdate(intent) };
    }
    default:
      return { ...meta, kind: 'ignored' };
  }
}

/**
 * An invoice names its subscription under parent.subscription_details (API 2025-03-31 and later; the
 * webhook endpoint is pinned to the version Linkout parses, so the older top-level field never comes).
 */
function invoiceSubscriptionId(invoice: Stripe.Invoice): string | null {
  return idOf(invoice.parent?.subscription_details?.subscription as IdOrObject);
}

function toStatus(status: string): SubscriptionStatus {
  if ((SUBSCRIPTION_STATUSES as readonly string[]).includes(status)) return status as SubscriptionStatus;
  throw invalidRequest('invalid_payload', `Unknown subscription status "${status}".`);
}
