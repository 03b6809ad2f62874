/**
 * What a Checkout Session or SetupIntent says about its purchase (functions/core/purchases.ts). One
 * mapping for both ways Linkout learns it: the webhook event's object and the object read back from
 * Stripe by a refresh, so the two can never disagree.
 */
import type Stripe from 'stripe';
import type { PurchaseFailureReason, PurchaseUpdate } from '#core/purchases';

type IdOrObject = string | { id: string } | null | undefined;
const idOf = (value: IdOrObject): string | null => (typeof value === 'string' ? value : (value?.id ?? null));

export function checkoutSessionUpdate(session: Pick<Stripe.Checkout.Session, 'status' | 'subscription'>): PurchaseUpdate {
  const subscriptionId = idOf(session.subscription as IdOrObject);
  if (session.status === 'complete' && subscriptionId) return { status: 'completed', subscriptionId };
  if (session.status === 'expired') return { status: 'expired' };
  return { status: 'pending' };
}

export function setupIntentUpdate(intent: Pick<Stripe.SetupIntent, 'status' | 'payment_method' | 'last_setup_error'>): PurchaseUpdate {
  const paymentMethodId = idOf(intent.payment_method as IdOrObject);
  if (intent.status === 'succeeded' && paymentMethodId) return { status: 'setup_succeeded', paymentMethodId };
  if (intent.status === 'canceled') return { status: 'failed', reason: 'canceled' };
  if (intent.status === 'requires_payment_method' && intent.last_setup_error) return { status: 'failed', reason: setupFailureReason(intent.last_setup_error) };
  return { status: 'pending' };
}

/** Stripe's error code, reduced to a reason the app can explain; Stripe's own message never reaches the app. */
function setupFailureReason(error: Pick<Stripe.SetupIntent.LastSetupError, 'code' | 'decline_code'>): PurchaseFailureReason {
  if (error.code === 'setup_intent_authentication_failure') return 'authentication_failed';
  if (error.decline_code || error.code === 'card_declined' || error.code === 'payment_method_provider_decline') return 'payment_method_declined';
  return 'setup_failed';
}
