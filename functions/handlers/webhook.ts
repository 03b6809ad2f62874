/**
 * POST /v1/webhooks/stripe — Stripe's deliveries. Verifies the signature on the raw body, maps the
 * event and applies it exactly once and in order (functions/core/entitlements-sync.ts).
 * 200 {received, outcome} for every verified event, 400 for anything unverifiable (nothing written),
 * 5xx only for transient failures so that Stripe delivers again. Every delivery counts one
 * `webhook_<outcome>` metric, and its log lines carry the Stripe event id once it is verified.
 */
import { loadConfig } from '#adapters/config';
import { DynamoAccountLinks } from '#adapters/dynamodb/account-links';
import { documentClient, dynamoFromEnv, tableNameFromEnv } from '#adapters/dynamodb/client';
import { DynamoEntitlementStore } from '#adapters/dynamodb/entitlement-store';
import { DynamoPurchaseRecords } from '#adapters/dynamodb/purchase-records';
import { isServerError } from '#adapters/http/error-mapper';
import { buildOnFirstCall, type HttpMiddleware, httpHandler } from '#adapters/http/middleware';
import { rawBody } from '#adapters/http/request';
import { jsonResponse } from '#adapters/http/response';
import { awsStripeSecrets } from '#adapters/http/secrets-middleware';
import { logger } from '#adapters/logger';
import { countWebhookOutcome } from '#adapters/metrics';
import { currentStripeSecrets, type StripeSecrets } from '#adapters/secrets';
import { StripeBillingLookup } from '#adapters/stripe/billing-lookup';
import { lazyStripeClient } from '#adapters/stripe/lazy-client';
import { toBillingEvent } from '#adapters/stripe/mapping';
import { StripeSubscriptionStarter } from '#adapters/stripe/subscription-starter';
import { verifyStripeEvent } from '#adapters/stripe/webhook-signature';
import { nowInUnixSeconds } from '#core/clock';
import { EntitlementSync } from '#core/entitlements-sync';
import { PurchaseFulfilment } from '#core/purchases';

export interface WebhookDeps {
  sync: EntitlementSync;
  /** Read per invocation: in AWS the secrets middleware refreshes them from Secrets Manager. */
  secrets?: () => StripeSecrets;
  /** Unix seconds. */
  now?: () => number;
}

export function makeWebhookHandler(deps: WebhookDeps) {
  const { sync, secrets = currentStripeSecrets, now = nowInUnixSeconds } = deps;
  return httpHandler(
    async (event) => {
      const stripeEvent = verifyStripeEvent({
        rawBody: rawBody(event),
        signatureHeader: event.headers['stripe-signature'],
        secrets: secrets().webhookSecrets,
        now: now(),
      });
      // Only a verified id: an unsigned body could put anything into the logs. Reset after the invocation.
      logger.appendKeys({ stripeEventId: stripeEvent.id, stripeEventType: stripeEvent.type });
      const outcome = await sync.process(toBillingEvent(stripeEvent));
      countWebhookOutcome(outcome);
      logger.info('stripe event', { outcome });
      return jsonResponse(200, { received: true, outcome });
    },
    countFailedDeliveries(),
    ...awsStripeSecrets(),
  );
}

/** Deliveries that end in an error: refused (4xx, Stripe gives up) or failed (5xx, Stripe delivers again). */
function countFailedDeliveries(): HttpMiddleware {
  return {
    onError: async ({ error }) => {
      countWebhookOutcome(isServerError(error) ? 'failed' : 'rejected');
    },
  };
}

export function webhookDepsFromEnv(env: NodeJS.ProcessEnv = process.env): WebhookDeps {
  return { sync: entitlementSyncFromEnv(env) };
}

/**
 * The one composition of the webhook's EntitlementSync: reconciliation (functions/handlers/reconciler.ts)
 * applies missed events through this same code path, so the two can race harmlessly.
 */
export function entitlementSyncFromEnv(env: NodeJS.ProcessEnv = process.env): EntitlementSync {
  const db = documentClient(dynamoFromEnv(env));
  const tableName = tableNameFromEnv(env);
  loadConfig(env); // fail at cold start on an invalid configuration, not on the first tie
  const stripe = lazyStripeClient(env);
  return new EntitlementSync({
    store: new DynamoEntitlementStore(db, tableName),
    links: new DynamoAccountLinks(db, tableName),
    billing: new StripeBillingLookup(stripe),
    purchases: new PurchaseFulfilment({
      records: new DynamoPurchaseRecords(db, tableName),
      starter: new StripeSubscriptionStarter(stripe),
      now: nowInUnixSeconds,
    }),
  });
}

export const handler = buildOnFirstCall(() => makeWebhookHandler(webhookDepsFromEnv()));
