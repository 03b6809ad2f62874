/**
 * POST /v1/webhooks/stripe — Stripe's deliveries. Verifies the signature on the raw body, maps the
 * event and applies it exactly once and in order (functions/core/entitlements-sync.ts).
 * 200 {received, outcome} for every verified event, 400 for anything unverifiable (nothing written),
 * 5xx only for transient failures so that Stripe delivers again.
 */
import { loadConfig } from '../adapters/config';
import { documentClient, dynamoFromEnv, tableNameFromEnv } from '../adapters/dynamodb/client';
import { DynamoAccountLinks } from '../adapters/dynamodb/account-links';
import { DynamoEntitlementStore } from '../adapters/dynamodb/entitlement-store';
import { buildOnFirstCall, httpHandler, type HttpEvent } from '../adapters/http/middleware';
import { jsonResponse } from '../adapters/http/response';
import { logger } from '../adapters/logger';
import { readStripeSecrets, type StripeSecrets } from '../adapters/secrets';
import { StripeBillingLookup } from '../adapters/stripe/billing-lookup';
import { lazyStripeClient } from '../adapters/stripe/lazy-client';
import { toBillingEvent } from '../adapters/stripe/mapping';
import { verifyStripeEvent } from '../adapters/stripe/webhook-signature';
import { EntitlementSync } from '../core/entitlements-sync';

export interface WebhookDeps {
  sync: EntitlementSync;
  /** Read per invocation: in AWS a middleware refreshes them from Secrets Manager. */
  secrets?: () => StripeSecrets;
  /** Unix seconds. */
  now?: () => number;
}

export function makeWebhookHandler(deps: WebhookDeps) {
  const { sync, secrets = readStripeSecrets, now = () => Math.floor(Date.now() / 1000) } = deps;
  return httpHandler(async (event) => {
    const stripeEvent = verifyStripeEvent({
      rawBody: rawBody(event),
      signatureHeader: event.headers['stripe-signature'],
      secrets: secrets().webhookSecrets,
      now: now(),
    });
    const outcome = await sync.process(toBillingEvent(stripeEvent));
    logger.info('stripe event', { eventId: stripeEvent.id, type: stripeEvent.type, outcome });
    return jsonResponse(200, { received: true, outcome });
  });
}

/** API Gateway hands over text bodies as is and others base64-encoded; the signature covers the bytes. */
export function rawBody(event: HttpEvent): Buffer {
  if (event.body === undefined || event.body === null) return Buffer.alloc(0);
  return Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
}

export function webhookDepsFromEnv(env: NodeJS.ProcessEnv = process.env): WebhookDeps {
  const db = documentClient(dynamoFromEnv(env));
  const tableName = tableNameFromEnv(env);
  loadConfig(env); // fail at cold start on an invalid configuration, not on the first tie
  return {
    sync: new EntitlementSync({
      store: new DynamoEntitlementStore(db, tableName),
      links: new DynamoAccountLinks(db, tableName),
      billing: new StripeBillingLookup(lazyStripeClient(env)),
    }),
  };
}

export const handler = buildOnFirstCall(() => makeWebhookHandler(webhookDepsFromEnv()));
