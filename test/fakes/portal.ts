/**
 * The portal-session ports in memory, with the semantics of the Stripe adapters
 * (functions/adapters/stripe/customers.ts and portal.ts) that the use case relies on:
 *
 * - BillingCustomers reads the account's link for `existingCustomerId` and never creates anything
 *   there; `customerIdForAccount` creates a customer only for an account without one and links it
 *   (first link wins);
 * - a role whose configuration is not synced is a 503 `portal_not_configured`;
 * - a subscription Stripe does not know is `undefined`.
 *
 * Calls are recorded in the CallLog as "customers.<method>", "configurations.<method>",
 * "subscriptions.<method>" and "sessions.<method>". What the fakes created (customers, sessions) is
 * kept for the test to read.
 */
import type { AccountLinks } from '#core/accounts';
import { AppError } from '#core/errors';
import type {
  BillingCustomers,
  PortalConfigurationRef,
  PortalConfigurations,
  PortalSessionParams,
  PortalSessions,
  SubscriptionRef,
  Subscriptions,
} from '#core/portal-sessions';
import { CallLog } from './call-log';

export class InMemoryBillingCustomers implements BillingCustomers {
  /** Ids of the customers created, oldest first. */
  readonly created: string[] = [];

  /** `links` is the adapter's own store of the account links: its calls are not the use case's. */
  constructor(
    private readonly links: AccountLinks,
    readonly log = new CallLog(),
  ) {}

  existingCustomerId(accountId: string): Promise<string | undefined> {
    this.log.record('customers.existingCustomerId', [accountId]);
    return this.links.customerForAccount(accountId);
  }

  async customerIdForAccount(accountId: string): Promise<string> {
    this.log.record('customers.customerIdForAccount', [accountId]);
    const linked = await this.links.customerForAccount(accountId);
    if (linked) return linked;
    const customerId = `cus_created_${this.created.length + 1}`;
    this.created.push(customerId);
    const winner = await this.links.link(accountId, customerId);
    if (!winner) throw new AppError('conflict', 'customer_deleted', "The billing account's Stripe customer was just deleted; retry.");
    return winner;
  }
}

export class InMemoryPortalConfigurations implements PortalConfigurations {
  constructor(
    private readonly byRole: Record<string, PortalConfigurationRef>,
    readonly log = new CallLog(),
  ) {}

  async configurationForRole(role: string): Promise<PortalConfigurationRef> {
    this.log.record('configurations.configurationForRole', [role]);
    const found = Object.hasOwn(this.byRole, role) ? this.byRole[role] : undefined;
    if (!found) throw new AppError('unavailable', 'portal_not_configured', `The portal configuration for role "${role}" has not been synced to Stripe yet.`);
    return structuredClone(found);
  }
}

export class InMemorySubscriptions implements Subscriptions {
  /** Subscriptions as Stripe holds them, by id. */
  readonly byId = new Map<string, SubscriptionRef>();

  constructor(readonly log = new CallLog()) {}

  add(...subscriptions: SubscriptionRef[]): this {
    for (const subscription of subscriptions) this.byId.set(subscription.id, subscription);
    return this;
  }

  async find(subscriptionId: string): Promise<SubscriptionRef | undefined> {
    this.log.record('subscriptions.find', [subscriptionId]);
    return structuredClone(this.byId.get(subscriptionId));
  }
}

export class InMemoryPortalSessions implements PortalSessions {
  /** The parameters of every session created, oldest first. */
  readonly created: PortalSessionParams[] = [];

  constructor(readonly log = new CallLog()) {}

  async create(params: PortalSessionParams): Promise<{ id: string; url: string }> {
    this.log.record('sessions.create', [params]);
    this.created.push(structuredClone(params));
    const id = `bps_fake_${this.created.length}`;
    return { id, url: `https://billing.stripe.test/p/session/${id}` };
  }
}
