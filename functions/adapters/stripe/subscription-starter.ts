/**
 * Stripe behind the SubscriptionStarter port: the second of the Amazon Pay guide's two calls. Once
 * the customer approved the SetupIntent, the subscription is created with its payment method as the
 * default and `off_session` (the customer is no longer there to approve anything).
 */
import type Stripe from 'stripe';
import type { StartSubscriptionParams, SubscriptionStarter } from '#core/purchases';
import { accountMetadata } from './account-metadata';
import { callStripe } from './errors';

export class StripeSubscriptionStarter implements SubscriptionStarter {
  constructor(private readonly stripe: () => Stripe) {}

  async startFromSetupIntent(params: StartSubscriptionParams): Promise<{ subscriptionId: string; status: string }> {
    const subscription = await callStripe('starting the subscription', () =>
      this.stripe().subscriptions.create(
        {
          customer: params.customerId,
          items: [{ price: params.priceId, quantity: 1 }],
          default_payment_method: params.paymentMethodId,
          off_session: true,
          // The subscription names its account, so its own webhooks map to the account.
          metadata: { ...accountMetadata(params.accountId), linkout_setup_intent: params.setupIntentId },
        },
        // Duplicated, concurrent or late deliveries of setup_intent.succeeded replay this one creation.
        { idempotencyKey: `linkout-subscription-from-${params.setupIntentId}` },
      ),
    );
    return { subscriptionId: subscription.id, status: subscription.status };
  }
}
