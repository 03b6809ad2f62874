/**
 * Who may buy what through Checkout, where Checkout returns to, and what the request body may say.
 * Pure rules, table-tested in test/unit/checkout-policy.test.ts.
 */
import * as z from 'zod/mini';
import type { CheckoutSettings, LinkoutConfig } from './config';
import { forbidden, invalidRequest } from './errors';
import { portalRoleFor } from './portal-policy';
import { parseJsonBody } from './request-body';
import { siteUrl } from './site';

/** POST /v1/checkout-sessions body. Strict: an unknown field (a customer id, a quantity) is a client bug worth a 400. */
export const CheckoutSessionRequestSchema = z.strictObject({
  /** A catalog price: its Stripe id (price_...) or its lookup key from the configuration. */
  priceId: z.string().check(z.minLength(1), z.maxLength(250)),
  returnPath: z.optional(z.string().check(z.maxLength(200))),
});
export type CheckoutSessionRequest = z.infer<typeof CheckoutSessionRequestSchema>;

export function parseCheckoutSessionRequest(body: string | undefined): CheckoutSessionRequest {
  return parsePurchaseRequest(body, CheckoutSessionRequestSchema);
}

/** A purchase request body (Checkout or Amazon Pay): JSON, then the route's strict schema; 400 otherwise. */
export function parsePurchaseRequest<T>(body: string | undefined, schema: z.ZodMiniType<T>): T {
  return parseJsonBody(body, schema, { example: '{"priceId": "price_..."}' });
}

/** Buying needs a role the configuration lists; an unknown or missing role gets the portal's least privileged one. */
export function assertMayPurchase(config: Pick<LinkoutConfig, 'portal' | 'checkout'>, claimedRole: string | undefined): void {
  const role = portalRoleFor(config.portal, claimedRole);
  if (!config.checkout.roles.includes(role)) {
    throw forbidden('purchase_not_allowed', 'Your role in this account may not start a subscription; ask the account owner.');
  }
}

/** Every lookup key of the configured catalog: the only prices Checkout may sell. */
export function catalogLookupKeys(catalog: LinkoutConfig['catalog']): string[] {
  return catalog.products.flatMap((product) => product.prices.map((price) => price.lookupKey));
}

/**
 * The Stripe price id of the requested catalog price. The app may send the price id (as Stripe and
 * GET /v1/entitlements show it) or the lookup key (portable between test and live mode); anything
 * that is not a catalog price is refused, so the app can never sell an arbitrary Stripe price.
 *
 * @param resolved catalog lookup key -> Stripe price id, for the catalog prices that exist in Stripe
 */
export function catalogPriceId(requested: string, resolved: ReadonlyMap<string, string>): string | undefined {
  if (resolved.has(requested)) return resolved.get(requested);
  return [...resolved.values()].find((priceId) => priceId === requested);
}

export const priceNotInCatalog = (requested: string) =>
  invalidRequest('price_not_in_catalog', `"${requested}" is not a price of this app's catalog; send a catalog price id or lookup key.`);

/**
 * Checkout's success and cancel URLs on the universal-link domain. The client only picks a path from
 * the allowlist, never a URL, so Checkout cannot be turned into an open redirect. `{CHECKOUT_SESSION_ID}`
 * is Stripe's template: Stripe puts the session id there, so the app can follow the purchase.
 */
export function checkoutUrls(
  config: { app: Pick<LinkoutConfig['app'], 'universalLinkDomain' | 'siteUrl'>; checkout: CheckoutSettings },
  returnPath?: string,
): { successUrl: string; cancelUrl: string } {
  const base = siteUrl(config.app, allowedReturnPath(config.checkout, returnPath));
  return { successUrl: `${base}/success?session_id={CHECKOUT_SESSION_ID}`, cancelUrl: `${base}/cancel` };
}

/** The requested return path when the allowlist has it, else the first allowed one when none was asked for; 400 otherwise. */
function allowedReturnPath(checkout: CheckoutSettings, returnPath?: string): string {
  const path = returnPath ?? checkout.returnPaths[0]!;
  if (!checkout.returnPaths.includes(path)) {
    throw invalidRequest('return_path_not_allowed', `"${path}" is not an allowed return path; use one of: ${checkout.returnPaths.join(', ')}.`);
  }
  return path;
}

/**
 * Where Amazon Pay returns after the customer approved or declined on Amazon's page. Stripe appends
 * setup_intent, setup_intent_client_secret and redirect_status, so the page knows which purchase to follow.
 */
export function amazonPayReturnUrl(
  config: { app: Pick<LinkoutConfig['app'], 'universalLinkDomain' | 'siteUrl'>; checkout: CheckoutSettings },
  returnPath?: string,
): string {
  return siteUrl(config.app, `${allowedReturnPath(config.checkout, returnPath)}/return`);
}
