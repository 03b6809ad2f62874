/**
 * Stripe behind the checkout-session ports: the catalog's prices (by lookup key, cached per
 * container), the customer's current subscriptions, and Checkout Sessions.
 */
import { createHash } from 'node:crypto';
import type Stripe from 'stripe';
import type { SubscriptionSnapshot } from '#core/billing-events';
import type { CatalogPrices, CheckoutSessionParams, CheckoutSessions, CustomerSubscriptions } from '#core/checkout-sessions';
import type { LinkoutConfig } from '#core/config';
import { accountMetadata } from './account-metadata';
import { callStripe } from './errors';
import { toSubscriptionSnapshot } from './mapping';

/** How long a container trusts resolved price ids before listing again (as for portal configurations). */
const PRICE_CACHE_MS = 5 * 60 * 1000;
/** Stripe filters prices by at most 10 lookup keys per request. */
const LOOKUP_KEYS_PER_LIST = 10;

export class StripeCatalogPrices implements CatalogPrices {
  private cache: { at: number; byLookupKey: Map<string, string> } | undefined;

  constructor(
    private readonly stripe: () => Stripe,
    private readonly catalog: LinkoutConfig['catalog'],
    private readonly now: () => number = Date.now,
  ) {}

  async priceIdsByLookupKey(lookupKeys: readonly string[]): Promise<ReadonlyMap<string, string>> {
    const fresh = this.cache && this.now() - this.cache.at < PRICE_CACHE_MS;
    // A configured price missing from the cache lists again, so a price created after this container
    // started is picked up; the keys come from the configuration, never from the client.
    if (!fresh || lookupKeys.some((key) => !this.cache!.byLookupKey.has(key))) {
      this.cache = { at: this.now(), byLookupKey: await this.list(lookupKeys) };
    }
    return this.cache!.byLookupKey;
  }

  private async list(lookupKeys: readonly string[]): Promise<Map<string, string>> {
    const productByLookupKey = new Map(this.catalog.products.flatMap((product) => product.prices.map((price) => [price.lookupKey, product.id] as const)));
    const found = new Map<string, string>();
    for (let i = 0; i < lookupKeys.length; i += LOOKUP_KEYS_PER_LIST) {
      const batch = lookupKeys.slice(i, i + LOOKUP_KEYS_PER_LIST);
      const page = await callStripe('looking up catalog prices', () => this.stripe().prices.list({ lookup_keys: batch, active: true, limit: 100 }));
      for (const price of page.data) {
        const product = typeof price.product === 'string' ? price.product : price.product.id;
        // A price that took over a lookup key from another product is not the catalog's price.
        if (price.lookup_key && product === productByLookupKey.get(price.lookup_key)) found.set(price.lookup_key, price.id);
      }
    }
    return found;
  }
}

export class StripeCustomerSubscriptions implements CustomerSubscriptions {
  constructor(private readonly stripe: () => Stripe) {}

  async currentSubscriptions(customerId: string): Promise<SubscriptionSnapshot[]> {
    // Stripe lists every subscription that is not canceled by default; an account holds a handful.
    const page = await callStripe("listing the account's subscriptions", () => this.stripe().subscriptions.list({ customer: customerId, limit: 100 }));
    return page.data.map(toSubscriptionSnapshot);
  }
}

export class StripeCheckoutSessions implements CheckoutSessions {
  constructor(private readonly stripe: () => Stripe) {}

  async create(params: CheckoutSessionParams): Promise<{ id: string; url: string; expiresAt: number }> {
    const request = checkoutSessionCreateParams(params);
    const session = await callStripe('creating the Checkout Session', () =>
      this.stripe().checkout.sessions.create(request, { idempotencyKey: checkoutIdempotencyKey(request, params.dedupeWindow) }),
    );
    return { id: session.id, url: session.url!, expiresAt: session.expires_at };
  }
}

function checkoutSessionCreateParams(params: CheckoutSessionParams): Stripe.Checkout.SessionCreateParams {
  const metadata = accountMetadata(params.accountId);
  return {
    mode: 'subscription',
    customer: params.customerId,
    line_items: [{ price: params.priceId, quantity: 1 }],
    success_url: params.successUrl,
    cancel_url: params.cancelUrl,
    client_reference_id: params.accountId,
    metadata,
    // The subscription names its account too, so its webhooks map to the account on their own.
    subscription_data: { metadata },
    origin_context: 'mobile_app',
  };
}

/**
 * The same request within one dedupe window gets the same key, so Stripe answers a double tap with
 * the first session instead of a second one. The key covers every parameter: a request that differs
 * in anything (another price, a changed configuration) gets a new session rather than Stripe's
 * idempotency error for a reused key with other parameters.
 */
function checkoutIdempotencyKey(request: Stripe.Checkout.SessionCreateParams, dedupeWindow: number): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([request, dedupeWindow]))
    .digest('hex');
  return `linkout-checkout-${digest}`;
}
