/**
 * The refresh on return: when the app (or the universal-link fallback page) comes back from Stripe,
 * Linkout reads the account's subscriptions and the purchase back from Stripe at once instead of
 * waiting for webhooks, and writes what it read through the same ordered path as webhooks
 * (functions/core/ordering.ts), so a refresh never overtakes a newer event.
 *
 * Bounded per account (REFRESH_INTERVAL_SECONDS): a client that refreshes in a loop costs one
 * conditional write per call and no Stripe call, so it cannot exhaust Stripe's rate limit.
 */
import * as z from 'zod/mini';
import type { AccountLinks } from './accounts';
import type { SubscriptionSnapshot } from './billing-events';
import type { LinkoutConfig } from './config';
import { type EntitlementsResponse, entitlementsResponse } from './entitlements';
import type { EntitlementStore, PurchaseEvents } from './entitlements-sync';
import { AppError, invalidRequest, notFound } from './errors';
import { type Purchase, type PurchaseRecords, type PurchaseUpdate, type PurchaseView, purchaseView } from './purchases';
import { readPosition, readStart, writeReadSnapshots } from './read-snapshots';
import { parseJsonBody } from './request-body';

/** At most one refresh (and so one round of Stripe reads) per account in this many seconds. */
export const REFRESH_INTERVAL_SECONDS = 5;

export type RefreshBoundResult = { acquired: true } | { acquired: false; retryAfterSeconds: number };

/** Port: the per-account refresh bound (functions/adapters/dynamodb/refresh-bound.ts). */
export interface RefreshBound {
  /** Claims the account's refresh at `nowSeconds` unless the last claim is less than `intervalSeconds` old. */
  acquire(accountId: string, nowSeconds: number, intervalSeconds: number): Promise<RefreshBoundResult>;
}

/** Port: a purchase's Stripe object read back now (functions/adapters/stripe/purchase-lookup.ts). */
export interface PurchaseLookup {
  currentUpdate(purchase: Purchase): Promise<PurchaseUpdate>;
}

/** Port: every subscription of a customer as Stripe holds it now, canceled ones included (functions/adapters/stripe/account-subscriptions.ts). */
export interface AccountSubscriptions {
  allSubscriptions(customerId: string): Promise<SubscriptionSnapshot[]>;
}

export interface RefreshPorts {
  config: Pick<LinkoutConfig, 'access' | 'catalog'>;
  bound: RefreshBound;
  links: Pick<AccountLinks, 'customerForAccount'>;
  store: Pick<EntitlementStore, 'putSubscription' | 'putResolvedSubscription' | 'customerRecords'>;
  purchases: Pick<PurchaseRecords, 'get'>;
  purchaseLookup: PurchaseLookup;
  /** The same fulfilment the webhook uses (functions/core/purchases.ts `PurchaseFulfilment`). */
  fulfilment: PurchaseEvents;
  subscriptions: AccountSubscriptions;
  /** Unix seconds. */
  now: () => number;
  /** A unique suffix for the refresh's event id. */
  randomId?: () => string;
}

export type RefreshResponse = EntitlementsResponse & { purchase?: PurchaseView };

/** What the unauthenticated capability route may show: the purchase's outcome, nothing about the account. */
export type PurchaseRefreshResponse = Pick<PurchaseView, 'id' | 'status' | 'reason'>;

/**
 * Checkout Session and SetupIntent ids as Stripe issues them. Anything else is refused before any
 * lookup, so a malformed id costs nothing and never reaches Stripe or a table key.
 */
const PURCHASE_ID = /^(cs|seti)_[A-Za-z0-9_]+$/;
const MAX_PURCHASE_ID_LENGTH = 255;

export function parsePurchaseId(raw: unknown): string {
  if (typeof raw !== 'string' || raw.length > MAX_PURCHASE_ID_LENGTH || !PURCHASE_ID.test(raw)) {
    throw invalidRequest('invalid_purchase_id', 'The purchase id must be a Checkout Session id (cs_...) or a SetupIntent id (seti_...).');
  }
  return raw;
}

const RefreshRequestSchema = z.strictObject({ purchaseId: z.optional(z.string()) });

/** The optional body of POST /v1/entitlements/refresh: nothing, `{}` or `{"purchaseId": "cs_..."}`. */
export function parseRefreshRequest(body: string | undefined): { purchaseId?: string } {
  const { purchaseId } = parseJsonBody(body, RefreshRequestSchema, { example: '{"purchaseId": "cs_..."}', optional: true });
  return purchaseId === undefined ? {} : { purchaseId: parsePurchaseId(purchaseId) };
}

const purchaseNotFound = () => notFound('purchase_not_found', 'No purchase with this id exists for this account.');

/** POST /v1/entitlements/refresh: the caller's account, read back from Stripe, with the purchase when one is named. */
export async function refreshAccount(accountId: string, purchaseId: string | undefined, ports: RefreshPorts): Promise<RefreshResponse> {
  await acquireBound(accountId, ports);
  let purchase: Purchase | undefined;
  if (purchaseId !== undefined) {
    purchase = await ports.purchases.get(purchaseId);
    // Another account's purchase is answered exactly like a missing one: ids must not be probed.
    if (!purchase || purchase.accountId !== accountId) throw purchaseNotFound();
  }
  return refresh(accountId, purchase, ports);
}

/**
 * POST /v1/purchases/{id}/refresh: the purchase id is the capability (only the buyer's browser
 * receives it from Stripe), so the refresh runs for the purchase's own account and answers only
 * the purchase's outcome. The lookup comes before the bound because the bound is the account's.
 */
export async function refreshPurchase(purchaseId: string, ports: RefreshPorts): Promise<PurchaseRefreshResponse> {
  const purchase = await ports.purchases.get(purchaseId);
  if (!purchase) throw notFound('purchase_not_found', 'No purchase with this id exists.');
  await acquireBound(purchase.accountId, ports);
  const refreshed = await refresh(purchase.accountId, purchase, ports);
  const { id, status, reason } = refreshed.purchase!;
  return { id, status, reason };
}

async function acquireBound(accountId: string, ports: RefreshPorts): Promise<void> {
  const bound = await ports.bound.acquire(accountId, ports.now(), REFRESH_INTERVAL_SECONDS);
  if (!bound.acquired) {
    throw new AppError(
      'throttled',
      'refresh_too_soon',
      `This account was refreshed less than ${REFRESH_INTERVAL_SECONDS} seconds ago. Retry after ${bound.retryAfterSeconds} seconds.`,
      { retryAfterSeconds: bound.retryAfterSeconds },
    );
  }
}

async function refresh(accountId: string, purchase: Purchase | undefined, ports: RefreshPorts): Promise<RefreshResponse> {
  const customerId = await ports.links.customerForAccount(accountId);
  let current = purchase;
  if (purchase && mayStillChange(purchase)) {
    const update = await ports.purchaseLookup.currentUpdate(purchase);
    // The webhook's own fulfilment: a refresh and a late setup_intent.succeeded start one subscription.
    if (update.status !== 'pending') await ports.fulfilment.apply(purchase.id, update);
    current = (await ports.purchases.get(purchase.id)) ?? purchase;
  }
  if (customerId) await writeSubscriptions(customerId, ports);
  const records = customerId ? await ports.store.customerRecords(customerId) : undefined;
  const response: RefreshResponse = entitlementsResponse(accountId, customerId, records, ports.config, ports.now());
  if (current) response.purchase = purchaseView(current);
  return response;
}

/**
 * Pending purchases, and failed SetupIntents: the customer may still complete one, and then it
 * succeeds. Not one whose subscription already exists (its first payment failed): its SetupIntent
 * has succeeded for good, and reading it again would only replay the subscription's creation.
 */
function mayStillChange(purchase: Purchase): boolean {
  if (purchase.status === 'pending') return true;
  return purchase.status === 'failed' && purchase.kind === 'setup_intent' && purchase.subscriptionId === null;
}

/**
 * Writes Stripe's current subscriptions as if they were one event, positioned one second before
 * the read began (functions/core/read-snapshots.ts says why that never hides a newer event).
 */
async function writeSubscriptions(customerId: string, ports: RefreshPorts): Promise<void> {
  const start = readStart(ports.now);
  const subscriptions = await ports.subscriptions.allSubscriptions(customerId);
  await writeReadSnapshots(ports.store, subscriptions, readPosition(start, ports.randomId));
}
