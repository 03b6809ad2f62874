/**
 * Stripe behind the PausableSubscriptions port (functions/core/pausing.ts) and the resumer's narrow
 * part of it (functions/core/pause-resumer.ts). Every write carries the caller's idempotency key, so
 * a retried or racing request changes the subscription once and gets the first answer again.
 */
import type Stripe from 'stripe';
import type { SubscriptionSnapshot } from '#core/billing-events';
import type { CollectionBehavior, PausableSubscriptions } from '#core/pausing';
import { callStripe, isStripeResourceMissing } from './errors';
import { toSubscriptionSnapshot } from './mapping';

export class StripePausableSubscriptions implements PausableSubscriptions {
  constructor(private readonly stripe: () => Stripe) {}

  async retrieve(subscriptionId: string): Promise<SubscriptionSnapshot | undefined> {
    const subscription = await callStripe('reading the subscription', () =>
      this.stripe()
        .subscriptions.retrieve(subscriptionId)
        .catch((error: unknown) => {
          // Not Stripe's failure but an unknown id: the core answers it like another account's subscription.
          if (isStripeResourceMissing(error)) return undefined;
          throw error;
        }),
    );
    return subscription && toSubscriptionSnapshot(subscription);
  }

  pauseCollection(subscriptionId: string, behavior: CollectionBehavior, resumesAt: number, idempotencyKey: string): Promise<SubscriptionSnapshot> {
    return this.write("pausing the subscription's payment collection", (stripe) =>
      stripe.subscriptions.update(subscriptionId, { pause_collection: { behavior, resumes_at: resumesAt } }, { idempotencyKey }),
    );
  }

  clearPauseCollection(subscriptionId: string, idempotencyKey: string): Promise<SubscriptionSnapshot> {
    return this.write("resuming the subscription's payment collection", (stripe) =>
      stripe.subscriptions.update(subscriptionId, { pause_collection: '' }, { idempotencyKey }),
    );
  }

  pause(subscriptionId: string, idempotencyKey: string): Promise<SubscriptionSnapshot> {
    return this.write('pausing the subscription', (stripe) => stripe.subscriptions.pause(subscriptionId, {}, { idempotencyKey }));
  }

  resume(subscriptionId: string, idempotencyKey: string): Promise<SubscriptionSnapshot> {
    return this.write('resuming the subscription', (stripe) => stripe.subscriptions.resume(subscriptionId, {}, { idempotencyKey }));
  }

  private async write(operation: string, call: (stripe: Stripe) => Promise<Stripe.Subscription>): Promise<SubscriptionSnapshot> {
    return toSubscriptionSnapshot(await callStripe(operation, () => call(this.stripe())));
  }
}
