/**
 * Stripe behind the backfill's SubscriptionPages port: one request per page of the account's
 * subscriptions, every status (canceled ones too: they must be stored as canceled, not left
 * unknown), with `expand[]=data.customer` so that the page carries each customer's metadata and
 * linking costs no request per customer.
 */
import type Stripe from 'stripe';
import type { SubscriptionPage, SubscriptionPages } from '#core/backfill';
import { accountIdFromMetadata } from './account-metadata';
import { callStripe } from './errors';
import { toSubscriptionSnapshot } from './mapping';

export class StripeSubscriptionPages implements SubscriptionPages {
  constructor(private readonly stripe: () => Stripe) {}

  async page(startingAfter: string | undefined, limit: number): Promise<SubscriptionPage> {
    const list = await callStripe('listing subscriptions for the backfill', () =>
      this.stripe().subscriptions.list({
        status: 'all',
        limit,
        expand: ['data.customer'],
        ...(startingAfter !== undefined && { starting_after: startingAfter }),
      }),
    );
    const customerAccounts = new Map<string, string | null>();
    for (const subscription of list.data) {
      const customer = subscription.customer;
      // Linking from a bare id would need a request per customer: a server that ignores expand is a bug to see, not to work around.
      if (typeof customer === 'string') throw new Error(`Stripe did not expand the customer of ${subscription.id} (expand[]=data.customer).`);
      customerAccounts.set(customer.id, 'deleted' in customer && customer.deleted ? null : accountIdFromMetadata(customer.metadata));
    }
    return { subscriptions: list.data.map(toSubscriptionSnapshot), customerAccounts, hasMore: list.has_more };
  }
}
