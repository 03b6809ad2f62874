/**
 * BillingLookup in memory: what "Stripe" holds now, set by the test. Like the Stripe adapter
 * (functions/adapters/stripe/billing-lookup.ts), an object Stripe does not know is `undefined`
 * (or `null` for a customer's account), and an unreachable Stripe is a retryable 503 AppError.
 *
 * Every call is recorded in the CallLog as "billing.<method>".
 */

import type { SubscriptionSnapshot } from '#core/billing-events';
import type { BillingLookup } from '#core/entitlements-sync';
import { AppError } from '#core/errors';
import { CallLog } from './call-log';

export class InMemoryBillingLookup implements BillingLookup {
  /** Subscriptions as Stripe returns them now, by id. */
  readonly subscriptions = new Map<string, SubscriptionSnapshot>();
  /** Each customer's `metadata.app_account_id` (null: the customer names no account). */
  readonly customerAccounts = new Map<string, string | null>();
  /** Each customer's active Stripe Entitlements (lookup keys). */
  readonly entitlementKeys = new Map<string, string[]>();
  private reachable = true;
  private duringNextRead: (() => Promise<void>) | undefined;
  private afterNextAnswer: (() => Promise<void>) | undefined;

  constructor(readonly log = new CallLog()) {}

  /** Every later read fails as an unreachable Stripe does. */
  goOffline(): void {
    this.reachable = false;
  }

  /** Runs while the next read is under way, before it answers: something that happens meanwhile elsewhere. */
  whileNextRead(happening: () => Promise<void>): void {
    this.duringNextRead = happening;
  }

  /**
   * Runs after the next subscription read has taken Stripe's answer and before the caller gets it:
   * an answer that is slow to come back, while others read (and write) newer state.
   */
  whileNextAnswerTravels(happening: () => Promise<void>): void {
    this.afterNextAnswer = happening;
  }

  async subscription(subscriptionId: string): Promise<SubscriptionSnapshot | undefined> {
    await this.read('billing.subscription', [subscriptionId]);
    const answer = structuredClone(this.subscriptions.get(subscriptionId));
    const happening = this.afterNextAnswer;
    this.afterNextAnswer = undefined;
    await happening?.();
    return answer;
  }

  async customerAccountId(customerId: string): Promise<string | null> {
    await this.read('billing.customerAccountId', [customerId]);
    return this.customerAccounts.get(customerId) ?? null;
  }

  async activeEntitlementKeys(customerId: string): Promise<string[]> {
    await this.read('billing.activeEntitlementKeys', [customerId]);
    return [...(this.entitlementKeys.get(customerId) ?? [])];
  }

  private async read(call: string, args: unknown[]): Promise<void> {
    this.log.record(call, args);
    if (!this.reachable) throw new AppError('unavailable', 'stripe_unavailable', 'Stripe could not answer; retry later.');
    const happening = this.duringNextRead;
    this.duringNextRead = undefined;
    await happening?.();
  }
}
