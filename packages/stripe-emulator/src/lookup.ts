/**
 * The one way to find an object a request names: the live object of that type, or Stripe's
 * `resource_missing` (404 for a path id, 400 naming the parameter otherwise).
 */
import { noSuch } from './errors';
import type { Store, StripeObject } from './store';

/** How Stripe's "No such …" messages name an object type, where that differs from `object`. */
const MESSAGE_NAMES: Record<string, string> = {
  payment_method: 'PaymentMethod',
  'billing_portal.configuration': 'configuration',
  setup_intent: 'setupintent',
  payment_intent: 'payment_intent',
  'checkout.session': 'checkout.session',
};

export function requireObject(store: Store, type: string, id: string, param?: string): StripeObject {
  const found = store.get(id, type);
  if (!found) throw noSuch(MESSAGE_NAMES[type] ?? type, id, param);
  return found;
}
