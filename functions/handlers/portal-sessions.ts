/**
 * POST /v1/portal-sessions — the app's "Manage subscription" button. Thin: identity from the
 * verified JWT claims, the rules in functions/core/portal-sessions.ts, Stripe and DynamoDB behind
 * ports.
 */
import type Stripe from 'stripe';
import { loadConfig } from '#adapters/config';
import { DynamoAccountLinks } from '#adapters/dynamodb/account-links';
import { documentClient, dynamoFromEnv, tableNameFromEnv } from '#adapters/dynamodb/client';
import { callerFrom } from '#adapters/http/auth';
import { buildOnFirstCall, httpHandler } from '#adapters/http/middleware';
import { rawBody } from '#adapters/http/request';
import { jsonResponse } from '#adapters/http/response';
import { awsStripeSecrets } from '#adapters/http/secrets-middleware';
import { StripeBillingCustomers } from '#adapters/stripe/customers';
import { lazyStripeClient } from '#adapters/stripe/lazy-client';
import { StripePortalConfigurations, StripePortalSessions, StripeSubscriptions } from '#adapters/stripe/portal';
import type { AccountLinks } from '#core/accounts';
import type { LinkoutConfig } from '#core/config';
import { createPortalSession, type PortalPorts } from '#core/portal-sessions';

export interface PortalSessionsDeps {
  config: LinkoutConfig;
  links: AccountLinks;
  /** The Stripe client for this invocation (the secret may have been rotated since cold start). */
  stripe: () => Stripe;
}

export function makePortalSessionsHandler(deps: PortalSessionsDeps) {
  // Built once per container: the configuration cache lives as long as the container.
  const ports: PortalPorts = {
    customers: new StripeBillingCustomers(deps.stripe, deps.links),
    configurations: new StripePortalConfigurations(deps.stripe, deps.config.app.bundleId),
    subscriptions: new StripeSubscriptions(deps.stripe),
    sessions: new StripePortalSessions(deps.stripe),
  };
  return httpHandler(
    async (event) => {
      const caller = callerFrom(event, deps.config.auth);
      const body = rawBody(event).toString('utf8');
      const session = await createPortalSession(deps.config, caller, body, ports);
      return jsonResponse(201, session);
    },
    ...awsStripeSecrets(),
  );
}

export function portalSessionsDepsFromEnv(): PortalSessionsDeps {
  return {
    config: loadConfig(),
    links: new DynamoAccountLinks(documentClient(dynamoFromEnv()), tableNameFromEnv()),
    stripe: lazyStripeClient(),
  };
}

export const handler = buildOnFirstCall(() => makePortalSessionsHandler(portalSessionsDepsFromEnv()));
