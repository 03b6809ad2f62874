/**
 * The HTTP API's routes, written once: the CDK stack creates one Lambda per handler and one route
 * per entry; the local dev server serves the same table with the same handlers.
 */
export type HandlerName =
  | 'webhook'
  | 'entitlements'
  | 'portal-sessions'
  | 'checkout-sessions'
  | 'entitlements-refresh'
  | 'subscriptions'
  | 'purchases'
  | 'subscription-pause';

/**
 * Whether a handler reads the Stripe secret (the API key or the webhook signing secrets). Only these
 * Lambdas get the secret's ARN and read permission (lib/infra/linkout-function.ts) and load the
 * Secrets Manager client (functions/adapters/http/secrets-middleware.ts); the others bundle neither.
 */
export const READS_STRIPE_SECRET: Record<HandlerName, boolean> = {
  webhook: true,
  entitlements: false,
  'portal-sessions': true,
  'checkout-sessions': true,
  'entitlements-refresh': true,
  subscriptions: true,
  purchases: false,
  'subscription-pause': true,
};

export interface ApiRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** API Gateway route path; `{name}` marks a path parameter. */
  path: string;
  /** The module in functions/handlers/ whose `handler` export serves the route. */
  handler: HandlerName;
  /** Whether the JWT authorizer guards the route (every app route; never Stripe's webhook nor the purchase-id capability route). */
  authorized: boolean;
}

export const apiRoutes: readonly ApiRoute[] = [
  { method: 'POST', path: '/v1/webhooks/stripe', handler: 'webhook', authorized: false },
  { method: 'GET', path: '/v1/entitlements', handler: 'entitlements', authorized: true },
  { method: 'POST', path: '/v1/portal-sessions', handler: 'portal-sessions', authorized: true },
  { method: 'POST', path: '/v1/checkout-sessions', handler: 'checkout-sessions', authorized: true },
  { method: 'POST', path: '/v1/subscriptions', handler: 'subscriptions', authorized: true },
  { method: 'GET', path: '/v1/purchases/{id}', handler: 'purchases', authorized: true },
  { method: 'POST', path: '/v1/entitlements/refresh', handler: 'entitlements-refresh', authorized: true },
  { method: 'POST', path: '/v1/subscriptions/{id}/pause', handler: 'subscription-pause', authorized: true },
  { method: 'POST', path: '/v1/subscriptions/{id}/resume', handler: 'subscription-pause', authorized: true },
  // No JWT: the universal-link fallback page has no token; the purchase id is the capability (see the handler).
  { method: 'POST', path: '/v1/purchases/{id}/refresh', handler: 'entitlements-refresh', authorized: false },
];
