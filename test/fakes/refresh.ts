/**
 * The refresh's own ports in memory (functions/core/refresh.ts), with the semantics of their adapters:
 *
 * - InMemoryRefreshBound: one claim per account per interval, as the conditional write in
 *   functions/adapters/dynamodb/refresh-bound.ts; a refused claim changes nothing and answers the
 *   seconds left;
 * - InMemoryStripePurchases: what "Stripe" says about each Checkout Session or SetupIntent now, and
 *   every subscription of each customer, canceled ones included (status 'all', as
 *   functions/adapters/stripe/account-subscriptions.ts asks).
 *
 * Every call is recorded in the CallLog as "bound.acquire", "stripe.purchase" and "stripe.subscriptions",
 * so a test can count the Stripe calls of one refresh.
 */
import type { SubscriptionSnapshot } from '#core/billing-events';
import type { Purchase, PurchaseUpdate } from '#core/purchases';
import type { AccountSubscriptions, PurchaseLookup, RefreshBound, RefreshBoundResult } from '#core/refresh';
import { CallLog } from './call-log';

export class InMemoryRefreshBound implements RefreshBound {
  /** accountId -> the second of its last successful claim. */
  readonly refreshedAt = new Map<string, number>();

  constructor(readonly log = new CallLog()) {}

  async acquire(accountId: string, nowSeconds: number, intervalSeconds: number): Promise<RefreshBoundResult> {
    this.log.record('bound.acquire', [accountId, nowSeconds, intervalSeconds]);
    const last = this.refreshedAt.get(accountId);
    if (last !== undefined && last > nowSeconds - intervalSeconds) return { acquired: false, retryAfterSeconds: last + intervalSeconds - nowSeconds };
    this.refreshedAt.set(accountId, nowSeconds);
    return { acquired: true };
  }
}

export class InMemoryStripePurchases implements PurchaseLookup, AccountSubscriptions {
  /** Purchase id -> what reading its Stripe object back maps to now (default: still pending). */
  readonly updates = new Map<string, PurchaseUpdate>();
  /** Subscription id -> the subscription as Stripe holds it now. */
  readonly subscriptions = new Map<string, SubscriptionSnapshot>();
  private duringNextList: (() => Promise<void>) | undefined;

  constructor(readonly log = new CallLog()) {}

  /** Runs while the next subscription list is under way, before it answers: something that happens meanwhile elsewhere. */
  whileNextList(happening: () => Promise<void>): void {
    this.duringNextList = happening;
  }

  async currentUpdate(purchase: Purchase): Promise<PurchaseUpdate> {
    this.log.record('stripe.purchase', [purchase.id]);
    return structuredClone(this.updates.get(purchase.id) ?? { status: 'pending' });
  }

  async allSubscriptions(customerId: string): Promise<SubscriptionSnapshot[]> {
    this.log.record('stripe.subscriptions', [customerId]);
    const answer = structuredClone([...this.subscriptions.values()].filter((subscription) => subscription.customerId === customerId));
    const happening = this.duringNextList;
    this.duringNextList = undefined;
    await happening?.();
    return answer;
  }
}
