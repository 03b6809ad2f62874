/**
 * The reads the entitlement sync makes from Stripe (the source of truth): a subscription to break a
 * same-second tie, a customer's account metadata, a customer's active Stripe Entitlements.
 * Every Stripe failure becomes a 503 for the webhook, so that Stripe delivers the event again later.
 */
import type Stripe from 'stripe';
import type { SubscriptionSnapshot } from '#core/billing-events';
import type { BillingLookup } from '#core/entitlements-sync';
import { AppError } from '#core/errors';
import { accountIdFromMetadata } from './account-metadata';
import { appErrorFromStripe, isStripeResourceMissing } from './errors';
import { toSubscriptionSnapshot } from './mapping';

export class StripeBillingLookup implements BillingLookup {
  /** `stripe` is resolved per call so that a rotated secret key is picked up without a cold start. */
  constructor(private readonly stripe: () => Stripe) {}

  async subscription(subscriptionId: string): Promise<SubscriptionSnapshot | undefined> {
    const subscription = await this.call('reading the subscription', () => this.stripe().subscriptions.retrieve(subscriptionId));
    return subscription ? toSubscriptionSnapshot(subscription) : undefined;
  }

  async customerAccountId(customerId: string): Promise<string | null> {
    const customer = await this.call('reading the customer', () => this.stripe().customers.retrieve(customerId));
    if (!customer || customer.deleted) return null;
    return accountIdFromMetadata(customer.metadata);
  }

  async activeEntitlementKeys(customerId: string): Promise<string[]> {
    const keys: string[] = [];
    await this.call('listing active entitlements', () =>
      this.stripe()
        .entitlements.activeEntitlements.list({ customer: customerId, limit: 100 })
        .autoPagingEach((entitlement) => {
          keys.push(entitlement.lookup_key);
        }),
    );
    return keys;
  }

  /** Runs a read; a missing object is `undefined`, any other failure a retryable 503. */
  private async call<T>(operation: string, read: () => Promise<T>): Promise<T | undefined> {
    try {
      return await read();
    } catch (error) {
      if (isStripeResourceMissing(error)) return undefined;
      const mapped = appErrorFromStripe(error, operation);
      throw new AppError('unavailable', 'stripe_unavailable', `Stripe could not answer while ${operation}; retry later.`, {
        cause: mapped,
      });
    }
  }
}
