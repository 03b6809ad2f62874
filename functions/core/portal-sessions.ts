/**
 * The portal-session use case: from a verified caller and a request body to a Stripe portal URL.
 * Order matters: everything that can be refused without side effects (body, role, flow, return
 * URL, catalog) is checked before the first write, and a subscription flow never creates a
 * customer, so a refused request changes nothing.
 */
import { isTerminal } from './billing-events';
import type { LinkoutConfig } from './config';
import { AppError, invalidRequest, notFound } from './errors';
import { assertFlowAllowed, type PortalFlowRequest, type PortalFlowType, parsePortalSessionRequest, portalReturnUrl, portalRoleFor } from './portal-policy';

/** Port: the account's Stripe customer (get-or-create exactly once per account). */
export interface BillingCustomers {
  existingCustomerId(accountId: string): Promise<string | undefined>;
  customerIdForAccount(accountId: string): Promise<string>;
}

/** A synced Stripe portal configuration for one role. */
export interface PortalConfigurationRef {
  id: string;
  /** Price ids the configuration offers for subscription updates. */
  priceIds: string[];
}

/** Port: role -> the Stripe configuration synced for it (throws 503 when not synced yet). */
export interface PortalConfigurations {
  configurationForRole(role: string): Promise<PortalConfigurationRef>;
}

export interface SubscriptionRef {
  id: string;
  customerId: string;
  status: string;
  items: Array<{ id: string; priceId: string; quantity: number }>;
}

/** Port: subscriptions as Stripe holds them. */
export interface Subscriptions {
  find(subscriptionId: string): Promise<SubscriptionRef | undefined>;
}

type PortalFlowData =
  | { type: 'payment_method_update' }
  | { type: 'subscription_cancel'; subscriptionId: string }
  | { type: 'subscription_pause'; subscriptionId: string }
  | { type: 'subscription_update'; subscriptionId: string }
  | { type: 'subscription_update_confirm'; subscriptionId: string; item: { id: string; price: string; quantity: number } };

export interface PortalSessionParams {
  customerId: string;
  configurationId: string;
  returnUrl: string;
  locale?: string;
  /** After the flow completes, Stripe redirects to returnUrl. */
  flow?: PortalFlowData;
}

/** Port: Stripe's portal sessions. */
export interface PortalSessions {
  create(params: PortalSessionParams): Promise<{ id: string; url: string }>;
}

export interface PortalPorts {
  customers: BillingCustomers;
  configurations: PortalConfigurations;
  subscriptions: Subscriptions;
  sessions: PortalSessions;
}

export interface PortalSessionResult {
  url: string;
  id: string;
  configuration: string;
  returnUrl: string;
  flow: PortalFlowType | null;
}

export async function createPortalSession(
  config: Pick<LinkoutConfig, 'app' | 'portal'>,
  caller: { accountId: string; role: string | undefined },
  body: string | undefined,
  ports: PortalPorts,
): Promise<PortalSessionResult> {
  const request = parsePortalSessionRequest(body);
  const role = portalRoleFor(config.portal, caller.role);
  if (request.flow) assertFlowAllowed(config.portal, role, request.flow.type);
  const returnUrl = portalReturnUrl(config, request.returnPath);
  const configuration = await ports.configurations.configurationForRole(role);
  if (request.flow?.type === 'subscription_update_confirm' && !configuration.priceIds.includes(request.flow.priceId)) {
    throw invalidRequest('price_not_offered', `The price ${request.flow.priceId} is not offered by your portal configuration.`);
  }

  let customerId: string;
  let subscription: SubscriptionRef | undefined;
  if (request.flow && 'subscriptionId' in request.flow) {
    subscription = await callersSubscription(caller.accountId, request.flow.subscriptionId, ports);
    if (request.flow.type === 'subscription_pause') assertPausableInPortal(subscription);
    customerId = subscription.customerId;
  } else {
    customerId = await ports.customers.customerIdForAccount(caller.accountId);
  }
  const flow = request.flow && flowData(request.flow, subscription);

  const session = await ports.sessions.create({
    customerId,
    configurationId: configuration.id,
    returnUrl,
    ...(request.locale && { locale: request.locale }),
    ...(flow && { flow }),
  });
  return { url: session.url, id: session.id, configuration: configuration.id, returnUrl, flow: request.flow?.type ?? null };
}

/**
 * The subscription, provided it is the caller's. An account without a customer owns no
 * subscription, so nothing is created on the way to the 404.
 */
async function callersSubscription(accountId: string, subscriptionId: string, ports: PortalPorts): Promise<SubscriptionRef> {
  const missing = () => notFound('subscription_not_found', `No subscription ${subscriptionId} belongs to your account.`);
  const customerId = await ports.customers.existingCustomerId(accountId);
  if (!customerId) throw missing();
  const subscription = await ports.subscriptions.find(subscriptionId);
  if (!subscription || subscription.customerId !== customerId) throw missing();
  if (isTerminal(subscription.status)) {
    throw new AppError('conflict', 'subscription_ended', `The subscription ${subscriptionId} has ended (${subscription.status}).`);
  }
  return subscription;
}

/** The statuses Stripe's portal pauses from; it refuses the flow for any other (a paused one included). */
const PORTAL_PAUSABLE_STATUSES = ['active', 'trialing'];

/**
 * Refused here with a clear 409 rather than as Stripe's generic 400 on the session: a paused
 * subscription is resumed from the portal home (or POST /v1/subscriptions/{id}/resume), and a past-due
 * or unpaid one has to be paid first.
 */
function assertPausableInPortal(subscription: SubscriptionRef): void {
  if (PORTAL_PAUSABLE_STATUSES.includes(subscription.status)) return;
  throw new AppError(
    'conflict',
    'subscription_not_pausable',
    `The subscription ${subscription.id} cannot be paused in the portal while its status is ${subscription.status}.`,
  );
}

function flowData(flow: PortalFlowRequest, subscription: SubscriptionRef | undefined): PortalFlowData {
  if (flow.type !== 'subscription_update_confirm') return flow;
  const items = subscription?.items ?? [];
  if (items.length !== 1) {
    throw invalidRequest(
      'ambiguous_subscription_item',
      `The subscription ${flow.subscriptionId} has ${items.length} items; a confirmed update needs exactly one.`,
    );
  }
  return {
    type: 'subscription_update_confirm',
    subscriptionId: flow.subscriptionId,
    item: { id: items[0]!.id, price: flow.priceId, quantity: flow.quantity },
  };
}
