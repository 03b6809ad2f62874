/**
 * What Linkout keeps of the billing provider's objects and events: small, stable core types. The
 * Stripe adapter (functions/adapters/stripe/mapping.ts) maps Stripe's shapes onto these; nothing here
 * knows Stripe's SDK. Times are Unix seconds, as Stripe sends them.
 */
import type { PurchaseUpdate } from './purchases';

export const SUBSCRIPTION_STATUSES = ['incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'canceled', 'unpaid', 'paused'] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

/** Statuses Stripe never leaves: a subscription in one of them is over for good. */
export const TERMINAL_STATUSES: readonly SubscriptionStatus[] = ['canceled', 'incomplete_expired'];
/** Takes any string: a status newer than this list is simply not terminal. */
export const isTerminal = (status: string) => (TERMINAL_STATUSES as readonly string[]).includes(status);

export interface SubscriptionItemSnapshot {
  priceId: string;
  productId: string;
  /** The price's lookup key, the portable handle the catalog uses. */
  lookupKey: string | null;
  /** Period dates live on the subscription items (API 2025-03-31 and later). */
  currentPeriodEnd: number | null;
}

export interface SubscriptionSnapshot {
  id: string;
  customerId: string;
  status: SubscriptionStatus;
  created: number;
  items: SubscriptionItemSnapshot[];
  cancelAtPeriodEnd: boolean;
  /** A scheduled cancellation time (set with cancel_at, or by cancel_at_period_end). */
  cancelAt: number | null;
  /** `pause_collection`: the subscription stays `active` while no payment is collected. */
  pauseCollection: { behavior: string; resumesAt: number | null } | null;
}

/** The outcome of the latest invoice event of a subscription, kept for the billing-issue flag. */
export interface InvoiceSignal {
  invoiceId: string;
  paymentFailed: boolean;
}

interface EventMeta {
  eventId: string;
  type: string;
  /** event.created: one-second resolution, so two events of one object can tie. */
  created: number;
}

export type BillingEvent =
  | (EventMeta & { kind: 'subscription'; subscription: SubscriptionSnapshot })
  | (EventMeta & { kind: 'invoice'; customerId: string; subscriptionId: string; invoice: InvoiceSignal })
  | (EventMeta & { kind: 'customer'; customerId: string; accountId: string | null })
  | (EventMeta & { kind: 'customer_deleted'; customerId: string })
  | (EventMeta & { kind: 'entitlement_summary'; customerId: string; lookupKeys: string[] })
  /** A Checkout Session or SetupIntent moved on (functions/core/purchases.ts). */
  | (EventMeta & { kind: 'purchase'; purchaseId: string; update: PurchaseUpdate })
  | (EventMeta & { kind: 'ignored' });

export type EventPosition = Pick<EventMeta, 'eventId' | 'created'>;
/**
 * The position of a state read from Stripe (a tie's answer, a refresh, a pause's answer): `readAtMs`
 * is when the read began. Of two reads written for the same second, the later read wins.
 */
export type ReadPosition = EventPosition & { readAtMs: number };
