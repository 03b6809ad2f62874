/**
 * POST /v1/checkout-sessions — the app's "Subscribe" button. Thin: identity from the verified JWT
 * claims, the rules in functions/core/checkout-sessions.ts, Stripe and DynamoDB behind ports.
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
import { StripeCatalogPrices, StripeCheckoutSessions, StripeCustomerSubscriptions } from '#adapters/stripe/checkout';
import { StripeBillingCustomers } from '#adapters/stripe/customers';
import { lazyStripeClient } from '#adapters/stripe/lazy-client';
import type { AccountLinks } from '#core/accounts';
import { type CheckoutPorts, createCheckoutSession } from '#core/checkout-sessions';
import { nowInUnixSeconds } from '#core/clock';
import type { LinkoutConfig } from '#core/config';
import type { PurchaseRecords } from '#core/purchases';

export interface CheckoutSessionsDeps {
  config: LinkoutConfig;
  links: AccountLinks;
  purchases: PurchaseRecords;
  /** The Stripe client for this invocation (the secret may have been rotated since cold start). */
  stripe: () => Stripe;
  /** Unix seconds; the double-tap window is measured on it. */
  now?: () => number;
}

export function makeCheckoutSessionsHandler(deps: CheckoutSessionsDeps) {
  // Built once per container: the price cache lives as long as the container.
  const ports: CheckoutPorts = {
    customers: new StripeBillingCustomers(deps.stripe, deps.links),
    prices: new StripeCatalogPrices(deps.stripe, deps.config.catalog),
    subscriptions: new StripeCustomerSubscriptions(deps.stripe),
    sessions: new StripeCheckoutSessions(deps.stripe),
    purchases: deps.purchases,
    now: deps.now ?? nowInUnixSeconds,
  };
  return httpHandler(
    async (event) => {
      const caller = callerFrom(event, deps.config.auth);
      const body = rawBody(event).toString('utf8');
      const session = await createCheckoutSession(deps.config, caller, body, ports);
      return jsonResponse(201, session);
    },
    ...awsStripeSecrets(),
  );
}

function checkoutSessionsDepsFromEnv(): CheckoutSessionsDeps {
  const db = documentClient(dynamoFromEnv());
  const tableName = tableNameFromEnv();
  return {
    config: loadConfig(),
    links: new DynamoAccountLinks(db, tableName),
    purchases: new DynamoPurchaseRecords(db, tableName),
    stripe: lazyStripeClient(),
  };
}

export const handler = buildOnFirstCall(() => makeCheckoutSessionsHandler(checkoutSessionsDepsFromEnv()));
