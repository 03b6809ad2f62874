/**
 * Stripe behind the AmazonPaySetups port: the first of the Amazon Pay guide's two calls, a
 * SetupIntent created and confirmed at once, with the customer's acceptance of the off-session mandate.
 */
import { createHash } from 'node:crypto';
import type Stripe from 'stripe';
import type { AmazonPaySetup, AmazonPaySetupParams, AmazonPaySetups } from '#core/subscription-purchases';
import { accountMetadata } from './account-metadata';
import { callStripe } from './errors';

export class StripeAmazonPaySetups implements AmazonPaySetups {
  constructor(private readonly stripe: () => Stripe) {}

  async createAndConfirm(params: AmazonPaySetupParams): Promise<AmazonPaySetup> {
    const request = setupIntentCreateParams(params);
    const intent = await callStripe('creating the Amazon Pay SetupIntent', () =>
      this.stripe().setupIntents.create(request, { idempotencyKey: setupIntentIdempotencyKey(request, params.dedupeWindow) }),
    );
    return { id: intent.id, status: intent.status, redirectUrl: intent.next_action?.redirect_to_url?.url ?? null };
  }
}

function setupIntentCreateParams(params: AmazonPaySetupParams): Stripe.SetupIntentCreateParams {
  return {
    customer: params.customerId,
    // This API version's name for the guide's `payment_method_types[]=amazon_pay`.
    allowed_payment_method_types: ['amazon_pay'],
    payment_method_data: { type: 'amazon_pay' },
    confirm: true,
    // The subscription charges the payment method later, without the customer.
    usage: 'off_session',
    mandate_data: {
      customer_acceptance: { type: 'online', online: { ip_address: params.acceptance.ipAddress, user_agent: params.acceptance.userAgent } },
    },
    return_url: params.returnUrl,
    // The price travels with the SetupIntent too, so it can be read back from Stripe alone.
    metadata: { ...accountMetadata(params.accountId), linkout_price_id: params.priceId },
  };
}

/**
 * As for Checkout: the same request within one dedupe window gets the same key, so a double tap gets
 * the first SetupIntent back instead of a second approval; any other parameter gives a new key.
 */
function setupIntentIdempotencyKey(request: Stripe.SetupIntentCreateParams, dedupeWindow: number): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([request, dedupeWindow]))
    .digest('hex');
  return `linkout-amazon-pay-${digest}`;
}
