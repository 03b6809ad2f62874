/**
 * The Amazon Pay use case (POST /v1/subscriptions): the first of the guide's two calls. Linkout
 * creates and confirms a SetupIntent for Amazon Pay, records the purchase and hands the app Amazon's
 * approval URL; the subscription itself is created when `setup_intent.succeeded` arrives
 * (functions/core/purchases.ts PurchaseFulfilment). The refusals are Checkout's, from the same code,
 * and all of them happen before anything is written in Stripe or DynamoDB.
 */
import * as z from 'zod/mini';
import { amazonPayReturnUrl, assertMayPurchase, parsePurchaseRequest } from './checkout-policy';
import { type CatalogPrices, type CustomerSubscriptions, dedupeWindowStart, pendingPurchase, preparePurchase } from './checkout-sessions';
import type { LinkoutConfig } from './config';
import { invalidRequest } from './errors';
import type { BillingCustomers } from './portal-sessions';
import type { PurchaseRecords } from './purchases';

/**
 * A double tap gives one SetupIntent within this window. Much shorter than Checkout's: a declined
 * SetupIntent is finished (a Checkout Session stays open after a cancel), so a customer who declines
 * and tries again a few seconds later must get a new one, not Stripe's replay of the declined one.
 */
export const AMAZON_PAY_DEDUPE_WINDOW_SECONDS = 10;

/** POST /v1/subscriptions body. Strict, like Checkout's: a customer id or a payment method id from the client is a 400. */
export const SubscriptionRequestSchema = z.strictObject({
  /** A catalog price: its Stripe id (price_...) or its lookup key from the configuration. */
  priceId: z.string().check(z.minLength(1), z.maxLength(250)),
  /** The one payment method this route starts; named so that another one can be added without a new route. */
  paymentMethod: z.enum(['amazon_pay']),
  returnPath: z.optional(z.string().check(z.maxLength(200))),
});

/** What the customer agreed to, as Stripe's mandate wants it: taken from the request, never from the body. */
export interface CustomerAcceptance {
  ipAddress: string;
  userAgent: string;
}

export interface AmazonPaySetupParams {
  accountId: string;
  customerId: string;
  priceId: string;
  /** Where Amazon returns the customer to (Stripe appends setup_intent and redirect_status). */
  returnUrl: string;
  acceptance: CustomerAcceptance;
  /** Start of the dedupe window (Unix seconds): part of the idempotency key, so a double tap gives one SetupIntent. */
  dedupeWindow: number;
}

export interface AmazonPaySetup {
  id: string;
  status: string;
  /** Amazon's approval page, when the SetupIntent waits for the customer (requires_action). */
  redirectUrl: string | null;
}

/** Port: Stripe's SetupIntents, created and confirmed for Amazon Pay in one call. */
export interface AmazonPaySetups {
  createAndConfirm(params: AmazonPaySetupParams): Promise<AmazonPaySetup>;
}

export interface SubscriptionPurchasePorts {
  customers: BillingCustomers;
  prices: CatalogPrices;
  subscriptions: CustomerSubscriptions;
  setups: AmazonPaySetups;
  purchases: PurchaseRecords;
  /** Unix seconds. */
  now: () => number;
}

export interface SubscriptionPurchaseResult {
  setupIntentId: string;
  status: string;
  redirectUrl: string | null;
}

export async function createAmazonPaySubscription(
  config: Pick<LinkoutConfig, 'app' | 'portal' | 'checkout' | 'catalog' | 'access'>,
  caller: { accountId: string; role: string | undefined },
  request: { body: string | undefined; acceptance: CustomerAcceptance },
  ports: SubscriptionPurchasePorts,
): Promise<SubscriptionPurchaseResult> {
  const body = parsePurchaseRequest(request.body, SubscriptionRequestSchema);
  assertMayPurchase(config, caller.role);
  const returnUrl = amazonPayReturnUrl(config, body.returnPath);
  // Stripe refuses an online mandate without them; API Gateway always fills both for a real device.
  if (!request.acceptance.ipAddress || !request.acceptance.userAgent) {
    throw invalidRequest('user_agent_required', 'The request must carry a User-Agent header: Amazon Pay records it as the customer acceptance of the mandate.');
  }
  const { priceId, customerId } = await preparePurchase(config, caller.accountId, body.priceId, ports);

  const now = ports.now();
  const setup = await ports.setups.createAndConfirm({
    accountId: caller.accountId,
    customerId,
    priceId,
    returnUrl,
    acceptance: request.acceptance,
    dedupeWindow: dedupeWindowStart(now, AMAZON_PAY_DEDUPE_WINDOW_SECONDS),
  });
  // Recorded once the SetupIntent exists; setup_intent.succeeded finds the price and account here.
  await ports.purchases.create(pendingPurchase({ id: setup.id, kind: 'setup_intent', accountId: caller.accountId, customerId, priceId }, now));
  return { setupIntentId: setup.id, status: setup.status, redirectUrl: setup.redirectUrl };
}
