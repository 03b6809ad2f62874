/**
 * Access rules (README "GET /v1/entitlements"): what one stored subscription grants at a given
 * moment. Evaluated at read time, so an expiry or the end of a collection pause takes effect without
 * any event.
 */

import type { InvoiceSignal, SubscriptionSnapshot, SubscriptionStatus } from './billing-events';
import type { LinkoutConfig } from './config';

export type AccessRules = LinkoutConfig['access'];

export interface StoredInvoiceSignal extends InvoiceSignal {
  /** `created` of the invoice event the signal came from. */
  created: number;
}

export interface SubscriptionAccess {
  grantsAccess: boolean;
  billingIssue: boolean;
  /** A collection pause is in force now (resumes_at unset or still ahead). */
  collectionPaused: boolean;
  pauseResumesAt: number | null;
  willRenew: boolean;
  /** When access ends: the scheduled cancellation, else the end of the current period. */
  expiresAt: number | null;
  currentPeriodEnd: number | null;
}

const BILLING_ISSUE_STATUSES: readonly SubscriptionStatus[] = ['past_due', 'unpaid'];
const RENEWING_STATUSES: readonly SubscriptionStatus[] = ['trialing', 'active', 'past_due'];

/**
 * @param snapshotCreated `created` of the event that produced the snapshot; an invoice signal at
 *   least as new overrides the status-derived billing-issue flag (the subscription's own update
 *   may still be on its way).
 */
export function subscriptionAccess(
  subscription: SubscriptionSnapshot,
  rules: AccessRules,
  now: number,
  invoice?: StoredInvoiceSignal,
  snapshotCreated = 0,
): SubscriptionAccess {
  const currentPeriodEnd = latestPeriodEnd(subscription);
  const scheduledEnd = subscription.cancelAtPeriodEnd ? (currentPeriodEnd ?? subscription.cancelAt) : subscription.cancelAt;
  const pause = subscription.pauseCollection;
  const collectionPaused = collectionPauseInForce(subscription, now);

  let grantsAccess = statusGrantsAccess(subscription.status, rules);
  if (collectionPaused && rules.pausedCollectionSuspendsAccess) grantsAccess = false;
  if (scheduledEnd !== null && scheduledEnd <= now) grantsAccess = false;

  const billingIssue = invoice && invoice.created >= snapshotCreated ? invoice.paymentFailed : statusSignalsBillingIssue(subscription.status);

  return {
    grantsAccess,
    billingIssue,
    collectionPaused,
    pauseResumesAt: collectionPaused ? (pause?.resumesAt ?? null) : null,
    willRenew: RENEWING_STATUSES.includes(subscription.status) && scheduledEnd === null,
    expiresAt: scheduledEnd ?? currentPeriodEnd,
    currentPeriodEnd,
  };
}

/** How a subscription is paused (README "Pausing"): the two ways Stripe offers, which the roles' `pause.mode` name. */
export type PauseKind = 'subscription' | 'collection';

/**
 * How a subscription is paused now: Stripe's status `paused`, a collection pause in force
 * (`resumes_at` unset or still ahead), or not at all.
 */
export function pauseKind(subscription: SubscriptionSnapshot, now: number): PauseKind | null {
  if (subscription.status === 'paused') return 'subscription';
  return collectionPauseInForce(subscription, now) ? 'collection' : null;
}

/**
 * Until when a subscription is paused, when that is known: a collection pause's `resumes_at`; a
 * status pause's `scheduledResumeAt` (an app pause Linkout resumes). A portal pause has none here:
 * Stripe resumes it by the portal's duration. A schedule left on a subscription that is no longer
 * paused means nothing and is not shown.
 */
export function pausedUntil(subscription: SubscriptionSnapshot, scheduledResumeAt: number | undefined, now: number): number | null {
  switch (pauseKind(subscription, now)) {
    case 'subscription':
      return scheduledResumeAt ?? null;
    case 'collection':
      return subscription.pauseCollection?.resumesAt ?? null;
    default:
      return null;
  }
}

function collectionPauseInForce(subscription: SubscriptionSnapshot, now: number): boolean {
  const pause = subscription.pauseCollection;
  return pause !== null && (pause.resumesAt === null || pause.resumesAt > now);
}

/** A failed payment shows in the status: the app should ask for a new payment method. */
export function statusSignalsBillingIssue(status: SubscriptionStatus): boolean {
  return BILLING_ISSUE_STATUSES.includes(status);
}

function statusGrantsAccess(status: SubscriptionStatus, rules: AccessRules): boolean {
  switch (status) {
    case 'active':
    case 'trialing':
      return true;
    case 'past_due':
      return rules.pastDueGrantsAccess;
    default:
      return false;
  }
}

function latestPeriodEnd(subscription: SubscriptionSnapshot): number | null {
  const ends = subscription.items.map((item) => item.currentPeriodEnd).filter((end): end is number => end !== null);
  return ends.length > 0 ? Math.max(...ends) : null;
}
