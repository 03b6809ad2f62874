/**
 * PausableSubscriptions in memory (functions/core/pausing.ts), with the semantics of Stripe behind
 * the adapter: `retrieve` of an unknown id answers undefined; `pause` and `resume` refuse a
 * subscription in the wrong state (Stripe's 4xx); a repeated idempotency key answers the first
 * answer again without changing anything. Calls are recorded as "stripe.<method>".
 */
import type { SubscriptionSnapshot } from '#core/billing-events';
import type { CollectionBehavior, PausableSubscriptions } from '#core/pausing';
import { CallLog } from './call-log';

/** A Stripe failure the adapter would raise for a refused request (4xx). */
class StripeRefusal extends Error {}

export class InMemoryPausableSubscriptions implements PausableSubscriptions {
  /** Subscription id -> the subscription as Stripe holds it now. */
  readonly subscriptions = new Map<string, SubscriptionSnapshot>();
  private readonly answered = new Map<string, SubscriptionSnapshot>();

  constructor(readonly log = new CallLog()) {}

  add(subscription: SubscriptionSnapshot): void {
    this.subscriptions.set(subscription.id, structuredClone(subscription));
  }

  async retrieve(subscriptionId: string): Promise<SubscriptionSnapshot | undefined> {
    this.log.record('stripe.retrieve', [subscriptionId]);
    const subscription = this.subscriptions.get(subscriptionId);
    return subscription && structuredClone(subscription);
  }

  pauseCollection(subscriptionId: string, behavior: CollectionBehavior, resumesAt: number, idempotencyKey: string): Promise<SubscriptionSnapshot> {
    this.log.record('stripe.pauseCollection', [subscriptionId, behavior, resumesAt, idempotencyKey]);
    return this.change(subscriptionId, idempotencyKey, (s) => ({ ...s, pauseCollection: { behavior, resumesAt } }));
  }

  clearPauseCollection(subscriptionId: string, idempotencyKey: string): Promise<SubscriptionSnapshot> {
    this.log.record('stripe.clearPauseCollection', [subscriptionId, idempotencyKey]);
    return this.change(subscriptionId, idempotencyKey, (s) => ({ ...s, pauseCollection: null }));
  }

  pause(subscriptionId: string, idempotencyKey: string): Promise<SubscriptionSnapshot> {
    this.log.record('stripe.pause', [subscriptionId, idempotencyKey]);
    return this.change(subscriptionId, idempotencyKey, (s) => {
      if (s.status !== 'active' && s.status !== 'trialing' && s.status !== 'past_due') throw new StripeRefusal(`Subscription ${s.id} cannot be paused`);
      return { ...s, status: 'paused' };
    });
  }

  resume(subscriptionId: string, idempotencyKey: string): Promise<SubscriptionSnapshot> {
    this.log.record('stripe.resume', [subscriptionId, idempotencyKey]);
    return this.change(subscriptionId, idempotencyKey, (s) => {
      if (s.status !== 'paused') throw new StripeRefusal(`Subscription ${s.id} is not paused`);
      return { ...s, status: 'active' };
    });
  }

  private async change(
    subscriptionId: string,
    idempotencyKey: string,
    apply: (s: SubscriptionSnapshot) => SubscriptionSnapshot,
  ): Promise<SubscriptionSnapshot> {
    const replay = this.answered.get(idempotencyKey);
    if (replay) return structuredClone(replay);
    const subscription = this.subscriptions.get(subscriptionId);
    if (!subscription) throw new StripeRefusal(`No such subscription: '${subscriptionId}'`);
    const changed = apply(subscription);
    this.subscriptions.set(subscriptionId, changed);
    this.answered.set(idempotencyKey, changed);
    return structuredClone(changed);
  }
}
