/**
 * Stripe behind the portal-session ports: the synced configuration of a role (found by metadata,
 * cached per container), subscriptions, and portal sessions.
 */
import type Stripe from 'stripe';
import { AppError } from '#core/errors';
import type { PortalConfigurationRef, PortalConfigurations, PortalSessionParams, PortalSessions, SubscriptionRef, Subscriptions } from '#core/portal-sessions';
import { appErrorFromStripe, callStripe, isStripeResourceMissing } from './errors';
import { listManagedConfigurations, servingConfiguration } from './managed-portal-configurations';

/** How long a container trusts a resolved configuration id before listing again (re-syncs change prices). */
const CONFIGURATION_CACHE_MS = 5 * 60 * 1000;

export class StripePortalConfigurations implements PortalConfigurations {
  private cache: { at: number; byRole: Map<string, PortalConfigurationRef> } | undefined;

  constructor(
    private readonly stripe: () => Stripe,
    private readonly bundleId: string,
    private readonly now: () => number = Date.now,
  ) {}

  async configurationForRole(role: string): Promise<PortalConfigurationRef> {
    const fresh = this.cache && this.now() - this.cache.at < CONFIGURATION_CACHE_MS;
    let found = fresh ? this.cache!.byRole.get(role) : undefined;
    if (!found) {
      // A miss lists again, so a configuration synced after this container started is picked up.
      this.cache = { at: this.now(), byRole: await this.listByRole() };
      found = this.cache.byRole.get(role);
    }
    if (!found) {
      throw new AppError(
        'unavailable',
        'portal_not_configured',
        `The portal configuration for role "${role}" has not been synced to Stripe yet (run npm run portal:sync).`,
      );
    }
    return found;
  }

  private async listByRole(): Promise<Map<string, PortalConfigurationRef>> {
    const byRole = new Map<string, PortalConfigurationRef>();
    for (const [role, configurations] of await listManagedConfigurations(this.stripe(), this.bundleId)) {
      const serving = servingConfiguration(configurations);
      if (!serving) continue;
      const offered = serving.features.subscription_update?.products ?? [];
      byRole.set(role, { id: serving.id, priceIds: offered.flatMap((product) => product.prices) });
    }
    return byRole;
  }
}

export class StripeSubscriptions implements Subscriptions {
  constructor(private readonly stripe: () => Stripe) {}

  async find(subscriptionId: string): Promise<SubscriptionRef | undefined> {
    let subscription: Stripe.Subscription;
    try {
      subscription = await this.stripe().subscriptions.retrieve(subscriptionId);
    } catch (error) {
      // An id Stripe does not know is answered like someone else's subscription: not found.
      if (isStripeResourceMissing(error)) return undefined;
      throw appErrorFromStripe(error, 'looking up the subscription');
    }
    return {
      id: subscription.id,
      customerId: typeof subscription.customer === 'string' ? subscription.customer : subscription.customer.id,
      status: subscription.status,
      items: subscription.items.data.map((item) => ({ id: item.id, priceId: item.price.id, quantity: item.quantity ?? 1 })),
    };
  }
}

export class StripePortalSessions implements PortalSessions {
  constructor(private readonly stripe: () => Stripe) {}

  async create(params: PortalSessionParams): Promise<{ id: string; url: string }> {
    const session = await callStripe('creating the portal session', () =>
      this.stripe().billingPortal.sessions.create({
        customer: params.customerId,
        configuration: params.configurationId,
        return_url: params.returnUrl,
        ...(params.locale && { locale: params.locale as Stripe.BillingPortal.SessionCreateParams.Locale }),
        ...(params.flow && { flow_data: flowData(params.flow, params.returnUrl) }),
      }),
    );
    return { id: session.id, url: session.url };
  }
}

function flowData(flow: NonNullable<PortalSessionParams['flow']>, returnUrl: string): Stripe.BillingPortal.SessionCreateParams.FlowData {
  // After the flow, Stripe sends the customer straight back to the app through the universal link.
  const after_completion = { type: 'redirect' as const, redirect: { return_url: returnUrl } };
  switch (flow.type) {
    case 'payment_method_update':
      return { type: flow.type, after_completion };
    case 'subscription_cancel':
      return { type: flow.type, after_completion, subscription_cancel: { subscription: flow.subscriptionId } };
    case 'subscription_pause':
      return { type: flow.type, after_completion, subscription_pause: { subscription: flow.subscriptionId } };
    case 'subscription_update':
      return { type: flow.type, after_completion, subscription_update: { subscription: flow.subscriptionId } };
    case 'subscription_update_confirm':
      return {
        type: flow.type,
        after_completion,
        subscription_update_confirm: { subscription: flow.subscriptionId, items: [flow.item] },
      };
  }
}
