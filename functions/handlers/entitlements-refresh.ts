/**
 * Two routes, one use case (functions/core/refresh.ts):
 *
 * - POST /v1/entitlements/refresh (JWT): the caller's account re-read from Stripe; body optional,
 *   `{"purchaseId"?}`. The account comes from the verified token's claims, never from the request.
 * - POST /v1/purchases/{id}/refresh (no JWT): the universal-link fallback page, in a browser with
 *   no token. The purchase id is the capability; the answer is only `{id, status, reason}`.
 */
import type Stripe from 'stripe';
import { loadConfig } from '#adapters/config';
import { DynamoAccountLinks } from '#adapters/dynamodb/account-links';
import { documentClient, dynamoFromEnv, tableNameFromEnv } from '#adapters/dynamodb/client';
import { DynamoEntitlementStore } from '#adapters/dynamodb/entitlement-store';
import { DynamoPurchaseRecords } from '#adapters/dynamodb/purchase-records';
import { DynamoRefreshBound } from '#adapters/dynamodb/refresh-bound';
import { callerFrom } from '#adapters/http/auth';
import { buildOnFirstCall, httpHandler } from '#adapters/http/middleware';
import { rawBody } from '#adapters/http/request';
import { jsonResponse } from '#adapters/http/response';
import { awsStripeSecrets } from '#adapters/http/secrets-middleware';
import { StripeAccountSubscriptions } from '#adapters/stripe/account-subscriptions';
import { lazyStripeClient } from '#adapters/stripe/lazy-client';
import { StripePurchaseLookup } from '#adapters/stripe/purchase-lookup';
import { StripeSubscriptionStarter } from '#adapters/stripe/subscription-starter';
import type { AccountLinks } from '#core/accounts';
import { nowInUnixSeconds } from '#core/clock';
import type { LinkoutConfig } from '#core/config';
import type { EntitlementStore } from '#core/entitlements-sync';
import { PurchaseFulfilment, type PurchaseRecords } from '#core/purchases';
import { parsePurchaseId, parseRefreshRequest, type RefreshBound, type RefreshPorts, refreshAccount, refreshPurchase } from '#core/refresh';

/** The capability route's key, as API Gateway (and the local stack) name it in `routeKey`. */
export const PURCHASE_REFRESH_ROUTE_KEY = 'POST /v1/purchases/{id}/refresh';

export interface EntitlementsRefreshDeps {
  config: LinkoutConfig;
  links: AccountLinks;
  store: EntitlementStore;
  purchases: PurchaseRecords;
  bound: RefreshBound;
  /** The Stripe client for this invocation (the secret may have been rotated since cold start). */
  stripe: () => Stripe;
  /** Unix seconds. */
  now?: () => number;
}

export function makeEntitlementsRefreshHandler(deps: EntitlementsRefreshDeps) {
  const now = deps.now ?? nowInUnixSeconds;
  const ports: RefreshPorts = {
    config: deps.config,
    bound: deps.bound,
    links: deps.links,
    store: deps.store,
    purchases: deps.purchases,
    purchaseLookup: new StripePurchaseLookup(deps.stripe),
    fulfilment: new PurchaseFulfilment({ records: deps.purchases, starter: new StripeSubscriptionStarter(deps.stripe), now }),
    subscriptions: new StripeAccountSubscriptions(deps.stripe),
    now,
  };
  return httpHandler(
    async (event) => {
      if (event.routeKey === PURCHASE_REFRESH_ROUTE_KEY) {
        const purchaseId = parsePurchaseId(event.pathParameters?.id);
        return jsonResponse(200, await refreshPurchase(purchaseId, ports));
      }
      const caller = callerFrom(event, deps.config.auth);
      const request = parseRefreshRequest(rawBody(event).toString('utf8'));
      return jsonResponse(200, await refreshAccount(caller.accountId, request.purchaseId, ports));
    },
    ...awsStripeSecrets(),
  );
}

function entitlementsRefreshDepsFromEnv(): EntitlementsRefreshDeps {
  const db = documentClient(dynamoFromEnv());
  const tableName = tableNameFromEnv();
  return {
    config: loadConfig(),
    links: new DynamoAccountLinks(db, tableName),
    store: new DynamoEntitlementStore(db, tableName),
    purchases: new DynamoPurchaseRecords(db, tableName),
    bound: new DynamoRefreshBound(db, tableName),
    stripe: lazyStripeClient(),
  };
}

export const handler = buildOnFirstCall(() => makeEntitlementsRefreshHandler(entitlementsRefreshDepsFromEnv()));
