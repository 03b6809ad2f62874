/**
 * Stripe behind the PurchaseLookup port: a refresh reads the purchase's Checkout Session or
 * SetupIntent back and maps it with the webhook's own mapping (purchase-mapping.ts), so a refresh
 * and a webhook can never disagree about what happened.
 */
import type Stripe from 'stripe';
import type { Purchase, PurchaseUpdate } from '#core/purchases';
import type { PurchaseLookup } from '#core/refresh';
import { callStripe } from './errors';
import { checkoutSessionUpdate, setupIntentUpdate } from './purchase-mapping';

export class StripePurchaseLookup implements PurchaseLookup {
  constructor(private readonly stripe: () => Stripe) {}

  async currentUpdate(purchase: Purchase): Promise<PurchaseUpdate> {
    if (purchase.kind === 'checkout_session') {
      const session = await callStripe('reading the Checkout Session', () => this.stripe().checkout.sessions.retrieve(purchase.id));
      return checkoutSessionUpdate(session);
    }
    const intent = await callStripe('reading the SetupIntent', () => this.stripe().setupIntents.retrieve(purchase.id));
    return setupIntentUpdate(intent);
  }
}
