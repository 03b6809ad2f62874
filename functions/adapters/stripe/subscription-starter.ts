/**
 * Stripe behind the SubscriptionStarter port: the second of the Amazon Pay guide's two calls. Once
 * the customer approved the SetupIntent, the subscription is created with its payment method as the
 * default and `off_session` (the customer is no longer there to approve anything).
 */
import type Stripe from 'stripe';
import { AppError } from '#core/errors';
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
    ).catch(rateLimitAsUnavailable);
    return { subscriptionId: subscription.id, status: subscription.status };
  }
}

/**
 * The webhook (setup_intent.succeeded) is this call's main caller, and a webhook's 4xx tells Stripe and
 * Linkout's metrics "refused, not worth delivering again": Stripe's rate limit is transient, so it
 * answers 503 (same code, same Retry-After) and the event is delivered again.
 */
function rateLimitAsUnavailable(error: unknown): never {
  if (error instanceof AppError && error.kind === 'throttled') throw new AppError('unavailable', error.code, error.message, error.options);
  throw error;
}
