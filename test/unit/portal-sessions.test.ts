/**
 * The portal-session use case (functions/core/portal-sessions.ts) over in-memory ports: a refused
 * request creates nothing (no customer, no session, no link) and reads no more than it needs to
 * refuse; an accepted one creates the account's customer only when it has none. The same use case
 * through the handler, DynamoDB and the Stripe emulator is in test/integration/portal-sessions.test.ts.
 */
import { DEFAULT_CONFIG_FILE, loadConfig } from '#adapters/config';
import { createPortalSession, type SubscriptionRef } from '#core/portal-sessions';
import { InMemoryAccountLinks } from '../fakes/account-links';
import { CallLog } from '../fakes/call-log';
import { InMemoryBillingCustomers, InMemoryPortalConfigurations, InMemoryPortalSessions, InMemorySubscriptions } from '../fakes/portal';

const config = loadConfig({ LINKOUT_CONFIG_FILE: DEFAULT_CONFIG_FILE });
const RETURN_URL = `https://${config.app.universalLinkDomain}${config.portal.returnPaths[0]}`;
const MONTHLY = 'price_stock_photos_monthly';
const YEARLY = 'price_stock_photos_yearly';

const subscription = (id: string, customerId: string, overrides: Partial<SubscriptionRef> = {}): SubscriptionRef => ({
  id,
  customerId,
  status: 'active',
  items: [{ id: `si_${id}`, priceId: MONTHLY, quantity: 1 }],
  ...overrides,
});

/**
 * acct_owner has customer cus_owner with sub_owner (one item), sub_ended (canceled), sub_two_items,
 * sub_paused, sub_past_due and sub_trialing;
 * acct_other has cus_other with sub_other; acct_new has no customer yet.
 */
async function world() {
  const log = new CallLog();
  // The links sit behind BillingCustomers (as in the Stripe adapter): their calls get their own log.
  const links = new InMemoryAccountLinks();
  await links.link('acct_owner', 'cus_owner');
  await links.link('acct_other', 'cus_other');
  const ports = {
    customers: new InMemoryBillingCustomers(links, log),
    configurations: new InMemoryPortalConfigurations(
      { owner: { id: 'bpc_owner', priceIds: [MONTHLY, YEARLY] }, member: { id: 'bpc_member', priceIds: [] } },
      log,
    ),
    subscriptions: new InMemorySubscriptions(log).add(
      subscription('sub_owner', 'cus_owner'),
      subscription('sub_ended', 'cus_owner', { status: 'canceled' }),
      subscription('sub_two_items', 'cus_owner', {
        items: [
          { id: 'si_a', priceId: MONTHLY, quantity: 1 },
          { id: 'si_b', priceId: MONTHLY, quantity: 1 },
        ],
      }),
      subscription('sub_other', 'cus_other'),
      subscription('sub_paused', 'cus_owner', { status: 'paused' }),
      subscription('sub_past_due', 'cus_owner', { status: 'past_due' }),
      subscription('sub_trialing', 'cus_owner', { status: 'trialing' }),
    ),
    sessions: new InMemoryPortalSessions(log),
  };
  const open = (accountId: string, role: string | undefined, body?: unknown) =>
    createPortalSession(config, { accountId, role }, body === undefined || typeof body === 'string' ? body : JSON.stringify(body), ports);
  return { log, links, ports, open };
}

describe('createPortalSession: a refused request creates nothing', () => {
  const reads = {
    configuration: ['configurations.configurationForRole'],
    callersCustomer: ['configurations.configurationForRole', 'customers.existingCustomerId'],
    subscription: ['configurations.configurationForRole', 'customers.existingCustomerId', 'subscriptions.find'],
  };

  it.each([
    // [case, account, role claim, body, error, the reads made before refusing]
    ['malformed JSON', 'acct_owner', 'owner', '{"flow": ', { kind: 'invalid_request', code: 'invalid_json' }, []],
    [
      'a flow type that does not exist',
      'acct_owner',
      'owner',
      { flow: { type: 'refund_everything' } },
      { kind: 'invalid_request', code: 'invalid_request' },
      [],
    ],
    ['a customer id from the client', 'acct_new', 'owner', { customer: 'cus_other' }, { kind: 'invalid_request', code: 'invalid_request' }, []],
    ['a flow the role may not use', 'acct_owner', 'member', { flow: { type: 'payment_method_update' } }, { kind: 'forbidden', code: 'flow_not_allowed' }, []],
    [
      'a flow for an unknown role (least privileged)',
      'acct_owner',
      'billing_admin',
      { flow: { type: 'subscription_cancel', subscriptionId: 'sub_owner' } },
      { kind: 'forbidden', code: 'flow_not_allowed' },
      [],
    ],
    [
      'a flow without a role claim (least privileged)',
      'acct_new',
      undefined,
      { flow: { type: 'payment_method_update' } },
      { kind: 'forbidden', code: 'flow_not_allowed' },
      [],
    ],
    [
      'a return path outside the allowlist',
      'acct_new',
      'owner',
      { returnPath: '/elsewhere' },
      { kind: 'invalid_request', code: 'return_path_not_allowed' },
      [],
    ],
    [
      'a price the configuration does not offer',
      'acct_owner',
      'owner',
      { flow: { type: 'subscription_update_confirm', subscriptionId: 'sub_owner', priceId: 'price_stray' } },
      { kind: 'invalid_request', code: 'price_not_offered' },
      reads.configuration,
    ],
    [
      'a subscription flow from an account without a customer',
      'acct_new',
      'owner',
      { flow: { type: 'subscription_cancel', subscriptionId: 'sub_other' } },
      { kind: 'not_found', code: 'subscription_not_found' },
      reads.callersCustomer,
    ],
    [
      "another account's subscription",
      'acct_owner',
      'owner',
      { flow: { type: 'subscription_cancel', subscriptionId: 'sub_other' } },
      { kind: 'not_found', code: 'subscription_not_found' },
      reads.subscription,
    ],
    [
      'a subscription Stripe does not know',
      'acct_owner',
      'owner',
      { flow: { type: 'subscription_update', subscriptionId: 'sub_typo' } },
      { kind: 'not_found', code: 'subscription_not_found' },
      reads.subscription,
    ],
    [
      'a pause flow for a member (no pause.portal)',
      'acct_owner',
      'member',
      { flow: { type: 'subscription_pause', subscriptionId: 'sub_owner' } },
      { kind: 'forbidden', code: 'flow_not_allowed' },
      [],
    ],
    [
      "a pause flow for another account's subscription",
      'acct_owner',
      'owner',
      { flow: { type: 'subscription_pause', subscriptionId: 'sub_other' } },
      { kind: 'not_found', code: 'subscription_not_found' },
      reads.subscription,
    ],
    [
      'a pause flow from an account without a customer',
      'acct_new',
      'owner',
      { flow: { type: 'subscription_pause', subscriptionId: 'sub_owner' } },
      { kind: 'not_found', code: 'subscription_not_found' },
      reads.callersCustomer,
    ],
    [
      'a pause flow for a subscription already paused',
      'acct_owner',
      'owner',
      { flow: { type: 'subscription_pause', subscriptionId: 'sub_paused' } },
      { kind: 'conflict', code: 'subscription_not_pausable' },
      reads.subscription,
    ],
    [
      'a pause flow for a past-due subscription',
      'acct_owner',
      'owner',
      { flow: { type: 'subscription_pause', subscriptionId: 'sub_past_due' } },
      { kind: 'conflict', code: 'subscription_not_pausable' },
      reads.subscription,
    ],
    [
      'a pause flow for a subscription that has ended',
      'acct_owner',
      'owner',
      { flow: { type: 'subscription_pause', subscriptionId: 'sub_ended' } },
      { kind: 'conflict', code: 'subscription_ended' },
      reads.subscription,
    ],
    [
      'a subscription that has ended',
      'acct_owner',
      'owner',
      { flow: { type: 'subscription_cancel', subscriptionId: 'sub_ended' } },
      { kind: 'conflict', code: 'subscription_ended' },
      reads.subscription,
    ],
    [
      'a confirmed update of a subscription with two items',
      'acct_owner',
      'owner',
      { flow: { type: 'subscription_update_confirm', subscriptionId: 'sub_two_items', priceId: YEARLY } },
      { kind: 'invalid_request', code: 'ambiguous_subscription_item' },
      reads.subscription,
    ],
  ] as const)('%s', async (_case, account, role, body, error, readsBeforeRefusal) => {
    const w = await world();
    const customerBefore = await w.links.customerForAccount(account);
    await expect(w.open(account, role, body)).rejects.toMatchObject(error);
    expect(w.log.calls).toEqual(readsBeforeRefusal);
    expect(w.ports.customers.created).toEqual([]);
    expect(w.ports.sessions.created).toEqual([]);
    expect(await w.links.customerForAccount(account)).toBe(customerBefore);
  });

  it('a role whose configuration is not synced yet: 503, before any customer is created', async () => {
    const w = await world();
    const unsynced = { ...w.ports, configurations: new InMemoryPortalConfigurations({}, w.log) };
    await expect(createPortalSession(config, { accountId: 'acct_new', role: 'member' }, undefined, unsynced)).rejects.toMatchObject({
      kind: 'unavailable',
      code: 'portal_not_configured',
    });
    expect(w.log.calls).toEqual(['configurations.configurationForRole']);
    expect(w.ports.customers.created).toEqual([]);
    expect(await w.links.customerForAccount('acct_new')).toBeUndefined();
  });
});

describe('createPortalSession: the account’s customer', () => {
  const withoutSubscription = ['configurations.configurationForRole', 'customers.customerIdForAccount', 'sessions.create'];

  it.each([
    ['no flow', undefined],
    ['payment_method_update', { flow: { type: 'payment_method_update' } }],
  ])('a first-time account (%s) gets one customer, created once and reused by the next session', async (_case, body) => {
    const w = await world();
    await w.open('acct_new', 'owner', body);
    await w.open('acct_new', 'owner', body);
    expect(w.log.calls).toEqual([...withoutSubscription, ...withoutSubscription]);
    expect(w.ports.customers.created).toEqual(['cus_created_1']);
    expect(await w.links.customerForAccount('acct_new')).toBe('cus_created_1');
    expect(w.ports.sessions.created.map((session) => session.customerId)).toEqual(['cus_created_1', 'cus_created_1']);
  });

  it('a linked account’s session is for its customer, and no customer is created', async () => {
    const w = await world();
    const result = await w.open('acct_owner', 'member');
    expect(w.log.calls).toEqual(withoutSubscription);
    expect(w.ports.customers.created).toEqual([]);
    expect(w.ports.sessions.created).toEqual([{ customerId: 'cus_owner', configurationId: 'bpc_member', returnUrl: RETURN_URL }]);
    expect(result).toEqual({
      url: 'https://billing.stripe.test/p/session/bps_fake_1',
      id: 'bps_fake_1',
      configuration: 'bpc_member',
      returnUrl: RETURN_URL,
      flow: null,
    });
  });

  it.each([
    ['subscription_cancel', { type: 'subscription_cancel', subscriptionId: 'sub_owner' }, { type: 'subscription_cancel', subscriptionId: 'sub_owner' }],
    ['subscription_update', { type: 'subscription_update', subscriptionId: 'sub_owner' }, { type: 'subscription_update', subscriptionId: 'sub_owner' }],
    ['subscription_pause', { type: 'subscription_pause', subscriptionId: 'sub_owner' }, { type: 'subscription_pause', subscriptionId: 'sub_owner' }],
    [
      'subscription_pause (trialing)',
      { type: 'subscription_pause', subscriptionId: 'sub_trialing' },
      { type: 'subscription_pause', subscriptionId: 'sub_trialing' },
    ],
    [
      'subscription_update_confirm',
      { type: 'subscription_update_confirm', subscriptionId: 'sub_owner', priceId: YEARLY, quantity: 2 },
      { type: 'subscription_update_confirm', subscriptionId: 'sub_owner', item: { id: 'si_sub_owner', price: YEARLY, quantity: 2 } },
    ],
  ] as const)('a %s flow is for the subscription’s customer and never creates one', async (_case, flow, expectedFlow) => {
    const w = await world();
    const result = await w.open('acct_owner', 'owner', { flow, locale: 'fr-CA' });
    expect(w.log.calls).toEqual(['configurations.configurationForRole', 'customers.existingCustomerId', 'subscriptions.find', 'sessions.create']);
    expect(w.ports.customers.created).toEqual([]);
    expect(w.ports.sessions.created).toEqual([
      { customerId: 'cus_owner', configurationId: 'bpc_owner', returnUrl: RETURN_URL, locale: 'fr-CA', flow: expectedFlow },
    ]);
    expect(result).toMatchObject({ configuration: 'bpc_owner', flow: flow.type });
  });
});
