/**
 * POST /v1/subscriptions — "Subscribe with Amazon Pay". Thin: identity from the verified JWT claims,
 * the customer's acceptance (IP, user agent) from API Gateway's request context, the rules in
 * functions/core/subscription-purchases.ts, Stripe and DynamoDB behind ports.
 */

import type Stripe from 'stripe';
import { loadConfig } from '#adapters/config';
import { DynamoAccountLinks } from '#adapters/dynamodb/account-links';
import { documentClient, dynamoFromEnv, tableNameFromEnv } from '#adapters/dynamodb/client';
import { DynamoPurchaseRecords } from '#adapters/dynamodb/purchase-records';
import { callerFrom } from '#adapters/http/auth';
import { buildOnFirstCall, httpHandler } from '#adapters/http/middleware';
import { rawBody } from '#adapters/http/request';
import { jsonResponse } from '#adapters/http/response';
import { awsStripeSecrets } from '#adapters/http/secrets-middleware';
import { StripeCatalogPrices, StripeCustomerSubscriptions } from '#adapters/stripe/checkout';
import { StripeBillingCustomers } from '#adapters/stripe/customers';
import { lazyStripeClient } from '#adapters/stripe/lazy-client';
import { StripeAmazonPaySetups } from '#adapters/stripe/setup-intents';
import type { AccountLinks } from '#core/accounts';
import { nowInUnixSeconds } from '#core/clock';
import type { LinkoutConfig } from '#core/config';
import type { PurchaseRecords } from '#core/purchases';
import { createAmazonPaySubscription, type SubscriptionPurchasePorts } from '#core/subscription-purchases';

export interface SubscriptionsDeps {
  config: LinkoutConfig;
  links: AccountLinks;
  purchases: PurchaseRecords;
  /** The Stripe client for this invocation (the secret may have been rotated since cold start). */
  stripe: () => Stripe;
  /** Unix seconds; the double-tap window is measured on it. */
  now?: () => number;
}

export function makeSubscriptionsHandler(deps: SubscriptionsDeps) {
  // Built once per container: the price cache lives as long as the container.
  const ports: SubscriptionPurchasePorts = {
    customers: new StripeBillingCustomers(deps.stripe, deps.links),
    prices: new StripeCatalogPrices(deps.stripe, deps.config.catalog),
    subscriptions: new StripeCustomerSubscriptions(deps.stripe),
    setups: new StripeAmazonPaySetups(deps.stripe),
    purchases: deps.purchases,
    now: deps.now ?? nowInUnixSeconds,
  };
  return httpHandler(
    async (event) => {
      const caller = callerFrom(event, deps.config.auth);
      const body = rawBody(event).toString('utf8');
      // API Gateway's view of the connection, not a header the client could set for another device.
      const acceptance = { ipAddress: event.requestContext.http.sourceIp, userAgent: event.requestContext.http.userAgent };
      const purchase = await createAmazonPaySubscription(deps.config, caller, { body, acceptance }, ports);
      return jsonResponse(201, purchase);
    },
    ...awsStripeSecrets(),
  );
}

function subscriptionsDepsFromEnv(): SubscriptionsDeps {
  const db = documentClient(dynamoFromEnv());
  const tableName = tableNameFromEnv();
  return {
    config: loadConfig(),
    links: new DynamoAccountLinks(db, tableName),
    purchases: new DynamoPurchaseRecords(db, tableName),
    stripe: lazyStripeClient(),
  };
}

export const handler = buildOnFirstCall(() => makeSubscriptionsHandler(subscriptionsDepsFromEnv()));
