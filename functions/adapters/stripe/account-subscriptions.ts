/**
 * Stripe behind the AccountSubscriptions port: every subscription of a customer, whatever its
 * status. Canceled ones are included on purpose (Stripe leaves them out by default), so that a
 * cancellation whose webhook is late is seen by a refresh.
 */
import type Stripe from 'stripe';
import type { SubscriptionSnapshot } from '#core/billing-events';
import type { AccountSubscriptions } from '#core/refresh';
import { callStripe } from './errors';
import { toSubscriptionSnapshot } from './mapping';

export class StripeAccountSubscriptions implements AccountSubscriptions {
  constructor(private readonly stripe: () => Stripe) {}

  async allSubscriptions(customerId: string): Promise<SubscriptionSnapshot[]> {
    const snapshots: SubscriptionSnapshot[] = [];
    // One request per 100 subscriptions: an account holds a handful, so nearly always one request.
    await callStripe("listing the account's subscriptions", () =>
      this.stripe()
        .subscriptions.list({ customer: customerId, status: 'all', limit: 100 })
        .autoPagingEach((subscription) => {
          snapshots.push(toSubscriptionSnapshot(subscription));
        }),
    );
    return snapshots;
  }
}
