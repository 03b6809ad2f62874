/**
 * The checkout-session use case: from a verified caller and a request body to a Stripe Checkout URL
 * that starts the account's subscription. Everything that can be refused without side effects
 * (body, role, return path, catalog) is checked before the customer is looked up or created, so a
 * refused request changes nothing.
 */
import { subscriptionAccess } from './access';
import type { SubscriptionSnapshot } from './billing-events';
import { assertMayPurchase, catalogLookupKeys, catalogPriceId, checkoutUrls, parseCheckoutSessionRequest, priceNotInCatalog } from './checkout-policy';
import type { LinkoutConfig } from './config';
import { AppError } from './errors';
import type { BillingCustomers } from './portal-sessions';
import type { Purchase, PurchaseKind, PurchaseRecords } from './purchases';

/**
 * Double taps arrive milliseconds apart; within one window the same request gets the same Checkout
 * Session back (Stripe replays the first answer for a repeated idempotency key). Short, so that a
 * customer who comes back later with another intent is never handed a stale answer.
 */
export const CHECKOUT_DEDUPE_WINDOW_SECONDS = 5 * 60;

/** Port: the catalog's prices as they exist in Stripe (lookup key -> price id), cached by the adapter. */
export interface CatalogPrices {
  priceIdsByLookupKey(lookupKeys: readonly string[]): Promise<ReadonlyMap<string, string>>;
}

/** Port: the subscriptions Stripe holds for a customer that may still grant access (not yet ended). */
export interface CustomerSubscriptions {
  currentSubscriptions(customerId: string): Promise<SubscriptionSnapshot[]>;
}

export interface CheckoutSessionParams {
  accountId: string;
  customerId: string;
  priceId: string;
  successUrl: string;
  cancelUrl: string;
  /** Start of the dedupe window (Unix seconds): part of the idempotency key. */
  dedupeWindow: number;
}

/** Port: Stripe's Checkout Sessions. */
export interface CheckoutSessions {
  create(params: CheckoutSessionParams): Promise<{ id: string; url: string; expiresAt: number }>;
}

export interface CheckoutPorts {
  customers: BillingCustomers;
  prices: CatalogPrices;
  subscriptions: CustomerSubscriptions;
  sessions: CheckoutSessions;
  /** Where the app follows the purchase (GET /v1/purchases/{id}) and webhooks record its outcome. */
  purchases: PurchaseRecords;
  /** Unix seconds. */
  now: () => number;
}

export interface CheckoutSessionResult {
  url: string;
  id: string;
  /** ISO 8601: when Stripe expires the unpaid session. */
  expiresAt: string;
}

export async function createCheckoutSession(
  config: Pick<LinkoutConfig, 'app' | 'portal' | 'checkout' | 'catalog' | 'access'>,
  caller: { accountId: string; role: string | undefined },
  body: string | undefined,
  ports: CheckoutPorts,
): Promise<CheckoutSessionResult> {
  const request = parseCheckoutSessionRequest(body);
  assertMayPurchase(config, caller.role);
  const { successUrl, cancelUrl } = checkoutUrls(config, request.returnPath);
  const { priceId, customerId } = await preparePurchase(config, caller.accountId, request.priceId, ports);

  const now = ports.now();
  const session = await ports.sessions.create({
    accountId: caller.accountId,
    customerId,
    priceId,
    successUrl,
    cancelUrl,
    dedupeWindow: dedupeWindowStart(now),
  });
  // After the session exists: a refused or failed request leaves no record. A double tap gets the
  // same session back, and the second create keeps the first record.
  await ports.purchases.create(pendingPurchase({ id: session.id, kind: 'checkout_session', accountId: caller.accountId, customerId, priceId }, now));
  return { url: session.url, id: session.id, expiresAt: new Date(session.expiresAt * 1000).toISOString() };
}

/** Start of the dedupe window `now` (Unix seconds) falls in: part of the idempotency key of a purchase's Stripe object. */
export function dedupeWindowStart(now: number, windowSeconds = CHECKOUT_DEDUPE_WINDOW_SECONDS): number {
  return now - (now % windowSeconds);
}

/** The record of a purchase Linkout just started in Stripe: pending until Stripe reports its outcome. */
export function pendingPurchase(started: { id: string; kind: PurchaseKind; accountId: string; customerId: string; priceId: string }, now: number): Purchase {
  return { ...started, status: 'pending', reason: null, subscriptionId: null, createdAt: now, updatedAt: now };
}

/**
 * What every purchase (Checkout, Amazon Pay) settles before Stripe creates anything for it: the
 * catalog price, the account's one customer (the same get-or-create as portal sessions, whichever
 * comes first) and that the account has no subscription granting access yet.
 */
export async function preparePurchase(
  config: Pick<LinkoutConfig, 'catalog' | 'access'>,
  accountId: string,
  requestedPrice: string,
  ports: Pick<CheckoutPorts, 'prices' | 'customers' | 'subscriptions' | 'now'>,
): Promise<{ priceId: string; customerId: string }> {
  const priceId = await resolveCatalogPrice(config.catalog, requestedPrice, ports.prices);
  const customerId = await ports.customers.customerIdForAccount(accountId);
  await assertNotSubscribed(config.access, customerId, ports);
  return { priceId, customerId };
}

/** The Stripe price id of a catalog price named by id or lookup key: 400 outside the catalog, 503 when Stripe lacks it. */
async function resolveCatalogPrice(catalog: LinkoutConfig['catalog'], requested: string, prices: CatalogPrices): Promise<string> {
  const lookupKeys = catalogLookupKeys(catalog);
  const priceId = catalogPriceId(requested, await prices.priceIdsByLookupKey(lookupKeys));
  if (priceId) return priceId;
  if (lookupKeys.includes(requested)) {
    throw new AppError(
      'unavailable',
      'price_not_synced',
      `The catalog price "${requested}" does not exist in Stripe yet; create the catalog's products and prices first.`,
    );
  }
  throw priceNotInCatalog(requested);
}

/** One subscription that grants access is enough; plan changes go through the portal, not a second subscription. */
async function assertNotSubscribed(
  rules: LinkoutConfig['access'],
  customerId: string,
  ports: { subscriptions: CustomerSubscriptions; now: () => number },
): Promise<void> {
  const now = ports.now();
  const subscriptions = await ports.subscriptions.currentSubscriptions(customerId);
  const granting = subscriptions.find((subscription) => subscriptionAccess(subscription, rules, now).grantsAccess);
  if (granting) {
    throw new AppError(
      'conflict',
      'already_subscribed',
      `The account already has the subscription ${granting.id}; change it in the customer portal (POST /v1/portal-sessions).`,
    );
  }
}
