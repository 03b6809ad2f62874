/**
 * The v1 entitlements response (README "GET /v1/entitlements"), computed at read time from what the
 * webhooks stored for the account's Stripe customer, the catalog and the access rules.
 */
import { type PauseKind, pausedUntil, pauseKind, type StoredInvoiceSignal, subscriptionAccess } from './access';
import type { SubscriptionItemSnapshot, SubscriptionSnapshot, SubscriptionStatus } from './billing-events';
import type { LinkoutConfig } from './config';

/** One subscription as stored: the newest snapshot and the newest invoice signal, if any. */
export interface StoredSubscription {
  snapshot: SubscriptionSnapshot;
  /** `created` of the event the snapshot belongs to. */
  snapshotCreated: number;
  invoice?: StoredInvoiceSignal;
  /** When Linkout last changed the record (ISO). */
  updatedAt: string;
  /** Unix seconds: when Linkout's resumer resumes a subscription the app paused (EntitlementStore.setScheduledResume). */
  scheduledResumeAt?: number;
}

/** Everything stored for one Stripe customer. */
export interface CustomerRecords {
  subscriptions: StoredSubscription[];
  /** The customer was deleted in Stripe: nothing it had grants access any more. */
  deleted: boolean;
  /** Keys from Stripe Entitlements' active summary, for accounts that use that feature. */
  entitlementSummary?: { lookupKeys: string[]; updatedAt: string };
}

interface EntitlementView {
  key: string;
  expiresAt: string | null;
  willRenew: boolean;
  billingIssue: boolean;
  subscriptionId: string | null;
}

interface SubscriptionView {
  id: string;
  status: SubscriptionStatus;
  productId: string | null;
  priceId: string | null;
  currentPeriodEnd: string | null;
  cancelAtPeriodEnd: boolean;
  collectionPaused: boolean;
  pauseResumesAt: string | null;
  /** How the subscription is paused now, if it is: Stripe's status `paused` or a collection pause. */
  pauseKind: PauseKind | null;
  /** Until when it is paused, when known (a portal pause resumes by Stripe's own duration: null). */
  pausedUntil: string | null;
  grantsAccess: boolean;
}

export interface EntitlementsResponse {
  account: string;
  customerId: string | null;
  active: boolean;
  entitlements: EntitlementView[];
  subscriptions: SubscriptionView[];
  updatedAt: string | null;
}

/** `now` in Unix seconds. */
export function entitlementsResponse(
  account: string,
  customerId: string | undefined,
  records: CustomerRecords | undefined,
  config: Pick<LinkoutConfig, 'access' | 'catalog'>,
  now: number,
): EntitlementsResponse {
  if (!customerId || !records) {
    return { account, customerId: customerId ?? null, active: false, entitlements: [], subscriptions: [], updatedAt: null };
  }
  const byKey = new Map<string, EntitlementView>();
  const subscriptions = [...records.subscriptions]
    .sort((a, b) => b.snapshot.created - a.snapshot.created || a.snapshot.id.localeCompare(b.snapshot.id))
    .map((stored) => {
      const { snapshot } = stored;
      const access = subscriptionAccess(snapshot, config.access, now, stored.invoice, stored.snapshotCreated);
      const grantsAccess = access.grantsAccess && !records.deleted;
      if (grantsAccess) {
        for (const key of entitlementKeys(snapshot.items, config.catalog)) {
          const candidate: EntitlementView = {
            key,
            expiresAt: isoOrNull(access.expiresAt),
            willRenew: access.willRenew,
            billingIssue: access.billingIssue,
            subscriptionId: snapshot.id,
          };
          const current = byKey.get(key);
          if (!current || better(candidate, current)) byKey.set(key, candidate);
        }
      }
      const first = snapshot.items[0];
      const view: SubscriptionView = {
        id: snapshot.id,
        status: snapshot.status,
        productId: first?.productId ?? null,
        priceId: first?.priceId ?? null,
        currentPeriodEnd: isoOrNull(access.currentPeriodEnd),
        cancelAtPeriodEnd: snapshot.cancelAtPeriodEnd,
        collectionPaused: access.collectionPaused,
        pauseResumesAt: isoOrNull(access.pauseResumesAt),
        pauseKind: pauseKind(snapshot, now),
        pausedUntil: isoOrNull(pausedUntil(snapshot, stored.scheduledResumeAt, now)),
        grantsAccess,
      };
      return view;
    });

  if (records.entitlementSummary && !records.deleted) {
    for (const key of records.entitlementSummary.lookupKeys) {
      if (!byKey.has(key)) byKey.set(key, { key, expiresAt: null, willRenew: true, billingIssue: false, subscriptionId: null });
    }
  }
  const entitlements = [...byKey.values()].sort((a, b) => a.key.localeCompare(b.key));
  const stamps = [...records.subscriptions.map((s) => s.updatedAt), records.entitlementSummary?.updatedAt].filter((stamp): stamp is string => Boolean(stamp));
  return {
    account,
    customerId,
    active: entitlements.length > 0 || subscriptions.some((s) => s.grantsAccess),
    entitlements,
    subscriptions,
    updatedAt: stamps.length > 0 ? stamps.sort().at(-1)! : null,
  };
}

/**
 * The entitlement keys a subscription's items grant: the catalog product's keys (matched by product
 * id) and the catalog price's keys (matched by lookup key, which also brings its product's keys);
 * an item the catalog does not know grants its product id.
 */
export function entitlementKeys(items: readonly SubscriptionItemSnapshot[], catalog: LinkoutConfig['catalog']): string[] {
  const keys = new Set<string>();
  for (const item of items) {
    const found: string[] = [];
    for (const product of catalog.products) {
      const price = item.lookupKey ? product.prices.find((p) => p.lookupKey === item.lookupKey) : undefined;
      if (product.id !== item.productId && !price) continue;
      found.push(...(product.entitlements.length > 0 ? product.entitlements : [product.id]));
      if (price) found.push(...price.entitlements);
    }
    for (const key of found.length > 0 ? found : [item.productId]) keys.add(key);
  }
  return [...keys];
}

/** When two subscriptions grant one key, show the one that serves the customer best. */
function better(a: EntitlementView, b: EntitlementView): boolean {
  if (a.billingIssue !== b.billingIssue) return !a.billingIssue;
  if (a.willRenew !== b.willRenew) return a.willRenew;
  if (a.expiresAt === b.expiresAt) return false;
  if (a.expiresAt === null) return true;
  if (b.expiresAt === null) return false;
  return a.expiresAt > b.expiresAt;
}

const isoOrNull = (seconds: number | null) => (seconds === null ? null : new Date(seconds * 1000).toISOString());
