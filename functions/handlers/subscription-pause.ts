/**
 * Two routes, one use case (functions/core/pausing.ts), both JWT-guarded:
 *
 * - POST /v1/subscriptions/{id}/pause: body optional, `{"resumesAt"?: ISO 8601}` (default: the
 *   role's maximum);
 * - POST /v1/subscriptions/{id}/resume: no body.
 *
 * The account and role come from the verified token's claims; the customer from the account's link,
 * never from the request. Both answer the account's entitlements as GET /v1/entitlements does.
 */
import type Stripe from 'stripe';
import { loadConfig } from '#adapters/config';
import { DynamoAccountLinks } from '#adapters/dynamodb/account-links';
import { documentClient, dynamoFromEnv, tableNameFromEnv } from '#adapters/dynamodb/client';
import { DynamoEntitlementStore } from '#adapters/dynamodb/entitlement-store';
import { DynamoResumeSchedule } from '#adapters/dynamodb/resume-schedule';
import { callerFrom } from '#adapters/http/auth';
import { buildOnFirstCall, httpHandler } from '#adapters/http/middleware';
import { rawBody } from '#adapters/http/request';
import { jsonResponse } from '#adapters/http/response';
import { awsStripeSecrets } from '#adapters/http/secrets-middleware';
import { lazyStripeClient } from '#adapters/stripe/lazy-client';
import { StripePausableSubscriptions } from '#adapters/stripe/pausable-subscriptions';
import type { AccountLinks } from '#core/accounts';
import { nowInUnixSeconds } from '#core/clock';
import type { LinkoutConfig } from '#core/config';
import type { EntitlementStore } from '#core/entitlements-sync';
import { type PausingPorts, parsePauseRequest, parseSubscriptionId, pauseSubscription, resumeSubscription } from '#core/pausing';
import type { ResumeSchedule } from '#core/resume-schedule';

/** The resume route's key, as API Gateway (and the local stack) name it in `routeKey`. */
export const RESUME_ROUTE_KEY = 'POST /v1/subscriptions/{id}/resume';

export interface SubscriptionPauseDeps {
  config: LinkoutConfig;
  links: AccountLinks;
  store: EntitlementStore;
  schedule: ResumeSchedule;
  /** The Stripe client for this invocation (the secret may have been rotated since cold start). */
  stripe: () => Stripe;
  /** Unix seconds. */
  now?: () => number;
}

export function makeSubscriptionPauseHandler(deps: SubscriptionPauseDeps) {
  const ports: PausingPorts = {
    config: deps.config,
    links: deps.links,
    store: deps.store,
    schedule: deps.schedule,
    subscriptions: new StripePausableSubscriptions(deps.stripe),
    now: deps.now ?? nowInUnixSeconds,
  };
  return httpHandler(
    async (event) => {
      const caller = callerFrom(event, deps.config.auth);
      const subscriptionId = parseSubscriptionId(event.pathParameters?.id);
      if (event.routeKey === RESUME_ROUTE_KEY) return jsonResponse(200, await resumeSubscription(caller, subscriptionId, ports));
      const request = parsePauseRequest(rawBody(event).toString('utf8'));
      return jsonResponse(200, await pauseSubscription(caller, subscriptionId, request, ports));
    },
    ...awsStripeSecrets(),
  );
}

function subscriptionPauseDepsFromEnv(): SubscriptionPauseDeps {
  const db = documentClient(dynamoFromEnv());
  const tableName = tableNameFromEnv();
  return {
    config: loadConfig(),
    links: new DynamoAccountLinks(db, tableName),
    store: new DynamoEntitlementStore(db, tableName),
    schedule: new DynamoResumeSchedule(db, tableName),
    stripe: lazyStripeClient(),
  };
}

export const handler = buildOnFirstCall(() => makeSubscriptionPauseHandler(subscriptionPauseDepsFromEnv()));
