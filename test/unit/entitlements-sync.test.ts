/**
 * The entitlement sync (functions/core/entitlements-sync.ts) over in-memory ports: which outcome each
 * event gets, what ends up stored, and exactly which port calls it costs. The same rules against
 * DynamoDB and the Stripe emulator, with signatures and HTTP, are in test/integration/webhook.test.ts.
 */

import { readFileSync } from 'node:fs';
import { DEFAULT_CONFIG_FILE } from '#adapters/config';
import type { BillingEvent, SubscriptionSnapshot, SubscriptionStatus } from '#core/billing-events';
import { parseConfig } from '#core/config-validation';
import { entitlementsResponse } from '#core/entitlements';
import { CUSTOMER_LOOKUP_TTL_SECONDS, EntitlementSync, type WebhookOutcome } from '#core/entitlements-sync';
import { PurchaseFulfilment } from '#core/purchases';
import { InMemoryAccountLinks } from '../fakes/account-links';
import { InMemoryBillingLookup } from '../fakes/billing-lookup';
import { CallLog } from '../fakes/call-log';
import { InMemoryEntitlementStore } from '../fakes/entitlement-store';
import { InMemoryPurchaseRecords, InMemorySubscriptionStarter } from '../fakes/purchases';

const NOW = 1_800_000_000;
/** A second of an event's `created`, relative to a fixed past moment. */
const second = (n: number) => NOW - 1000 + n;
/** How long this process remembers "no account" without reading the table again (entitlements-sync.ts). */
const NEGATIVE_MEMORY_SECONDS = 5 * 60;

function snapshot(status: SubscriptionStatus, overrides: Partial<SubscriptionSnapshot> = {}): SubscriptionSnapshot {
  return {
    id: 'sub_1',
    customerId: 'cus_1',
    status,
    created: NOW - 86_400,
    items: [{ priceId: 'price_sp_m', productId: 'prod_stock_photos', lookupKey: 'stock_photos_monthly', currentPeriodEnd: NOW + 30 * 86_400 }],
    cancelAtPeriodEnd: false,
    cancelAt: null,
    pauseCollection: null,
    ...overrides,
  };
}

const subscriptionEvent = (eventId: string, created: number, subscription: SubscriptionSnapshot): BillingEvent => ({
  eventId,
  type: 'customer.subscription.updated',
  created,
  kind: 'subscription',
  subscription,
});

const invoiceEvent = (eventId: string, created: number, invoiceId: string, paymentFailed: boolean): BillingEvent => ({
  eventId,
  type: paymentFailed ? 'invoice.payment_failed' : 'invoice.paid',
  created,
  kind: 'invoice',
  customerId: 'cus_1',
  subscriptionId: 'sub_1',
  invoice: { invoiceId, paymentFailed },
});

const summaryEvent = (eventId: string, created: number, lookupKeys: string[]): BillingEvent => ({
  eventId,
  type: 'entitlements.active_entitlement_summary.updated',
  created,
  kind: 'entitlement_summary',
  customerId: 'cus_1',
  lookupKeys,
});

const customerEvent = (eventId: string, customerId: string, accountId: string | null): BillingEvent => ({
  eventId,
  type: 'customer.updated',
  created: second(500),
  kind: 'customer',
  customerId,
  accountId,
});

const customerDeleted = (eventId: string, customerId: string): BillingEvent => ({
  eventId,
  type: 'customer.deleted',
  created: second(600),
  kind: 'customer_deleted',
  customerId,
});

/** The ports in memory, one shared call log, a settable clock; `startProcess` is a fresh Lambda container. */
function world() {
  const log = new CallLog();
  const store = new InMemoryEntitlementStore(log);
  const links = new InMemoryAccountLinks(log);
  const billing = new InMemoryBillingLookup(log);
  /** `ms` only orders reads of Stripe; every read takes the next millisecond. */
  const clock = { now: NOW, ms: 0 };
  const purchases = new InMemoryPurchaseRecords(log);
  const starter = new InMemorySubscriptionStarter(log);
  const fulfilment = new PurchaseFulfilment({ records: purchases, starter, now: () => clock.now });
  const startProcess = () => new EntitlementSync({ store, links, billing, purchases: fulfilment, now: () => clock.now, nowMs: () => ++clock.ms });
  const sync = startProcess();
  const deliver = async (events: BillingEvent[], process = sync): Promise<WebhookOutcome[]> => {
    const outcomes: WebhookOutcome[] = [];
    for (const event of events) outcomes.push(await process.process(event));
    return outcomes;
  };
  const stored = async (customerId = 'cus_1') => store.customerRecords(customerId);
  const stripeReads = () => log.calls.filter((call) => call.startsWith('billing.'));
  return { log, store, links, billing, purchases, starter, clock, sync, startProcess, deliver, stored, stripeReads };
}

/** A world whose customer cus_1 is already linked to acct_1, so that only ordering is at stake. */
async function linkedWorld() {
  const w = world();
  await w.links.link('acct_1', 'cus_1');
  w.log.clear();
  return w;
}

describe('EntitlementSync: the order of one subscription’s events', () => {
  const active = snapshot('active');
  const pastDue = snapshot('past_due');
  const canceled = snapshot('canceled');
  const ending = snapshot('active', { cancelAtPeriodEnd: true, cancelAt: NOW + 30 * 86_400 });

  it.each([
    // [case, deliveries, the subscription in Stripe now (breaks ties), outcomes, stored snapshot, Stripe reads]
    [
      'in order',
      [subscriptionEvent('evt_1', second(1), active), subscriptionEvent('evt_2', second(2), pastDue)],
      undefined,
      ['applied', 'applied'],
      pastDue,
      0,
    ],
    [
      'the same event twice',
      [subscriptionEvent('evt_1', second(1), active), subscriptionEvent('evt_1', second(1), active)],
      undefined,
      ['applied', 'duplicate'],
      active,
      0,
    ],
    [
      'an older event after a newer one',
      [subscriptionEvent('evt_2', second(2), pastDue), subscriptionEvent('evt_1', second(1), active)],
      undefined,
      ['applied', 'stale'],
      pastDue,
      0,
    ],
    [
      'a late non-terminal event after cancellation, whatever its timestamp',
      [subscriptionEvent('evt_2', second(2), canceled), subscriptionEvent('evt_3', second(9), active)],
      undefined,
      ['applied', 'stale'],
      canceled,
      0,
    ],
    [
      'a same-second tie: what Stripe holds now is stored',
      [subscriptionEvent('evt_b', second(5), active), subscriptionEvent('evt_a', second(5), pastDue)],
      ending,
      ['applied', 'applied'],
      ending,
      1,
    ],
    [
      'copies of both tie events: duplicates, with no further Stripe read',
      [
        subscriptionEvent('evt_b', second(5), active),
        subscriptionEvent('evt_a', second(5), pastDue),
        subscriptionEvent('evt_a', second(5), pastDue),
        subscriptionEvent('evt_b', second(5), active),
      ],
      ending,
      ['applied', 'applied', 'duplicate', 'duplicate'],
      ending,
      1,
    ],
    [
      'a tie about a subscription Stripe no longer has: stale, nothing guessed',
      [subscriptionEvent('evt_b', second(5), active), subscriptionEvent('evt_a', second(5), pastDue)],
      undefined,
      ['applied', 'stale'],
      active,
      1,
    ],
    [
      'the second after a tie applies as usual',
      [subscriptionEvent('evt_b', second(5), active), subscriptionEvent('evt_a', second(5), pastDue), subscriptionEvent('evt_c', second(6), canceled)],
      ending,
      ['applied', 'applied', 'applied'],
      canceled,
      1,
    ],
  ] as const)('%s', async (_case, deliveries, inStripe, outcomes, expected, stripeReads) => {
    const w = await linkedWorld();
    if (inStripe) w.billing.subscriptions.set('sub_1', inStripe);
    expect(await w.deliver([...deliveries])).toEqual(outcomes);
    expect((await w.stored()).subscriptions.map((s) => s.snapshot)).toEqual([expected]);
    expect(w.stripeReads()).toEqual(Array(stripeReads).fill('billing.subscription'));
  });

  it('a tie’s answer is refused when a newer event lands while Stripe is asked', async () => {
    const w = await linkedWorld();
    w.billing.subscriptions.set('sub_1', ending);
    await w.deliver([subscriptionEvent('evt_b', second(5), active)]);
    // Another container applies the next second's event during the tie's Stripe read.
    w.billing.whileNextRead(async () => {
      await w.deliver([subscriptionEvent('evt_c', second(6), canceled)], w.startProcess());
    });
    expect(await w.deliver([subscriptionEvent('evt_a', second(5), pastDue)])).toEqual(['stale']);
    expect((await w.stored()).subscriptions.map((s) => s.snapshot)).toEqual([canceled]);
  });

  it('three events in one second: a tie whose answer comes back last cannot replace a copy read after it', async () => {
    const w = await linkedWorld();
    // customer.subscription.created, .updated and invoice.paid of a Checkout purchase, in one second.
    const incomplete = snapshot('incomplete');
    await w.deliver([subscriptionEvent('evt_created', second(5), incomplete)]);
    w.billing.subscriptions.set('sub_1', incomplete);
    // The .updated tie reads Stripe while the payment is still under way; its answer is slow to come back.
    // Meanwhile the payment succeeds and the next tie, in another container, reads and stores `active`.
    w.billing.whileNextAnswerTravels(async () => {
      w.billing.subscriptions.set('sub_1', active);
      expect(await w.deliver([subscriptionEvent('evt_paid', second(5), active)], w.startProcess())).toEqual(['applied']);
    });
    expect(await w.deliver([subscriptionEvent('evt_updated', second(5), incomplete)])).toEqual(['stale']);
    expect((await w.stored()).subscriptions.map((s) => s.snapshot)).toEqual([active]);
    expect(w.stripeReads()).toEqual(['billing.subscription', 'billing.subscription']);
  });

  it('Stripe unreachable during a tie: the event fails (to be redelivered) and the stored state stays', async () => {
    const w = await linkedWorld();
    await w.deliver([subscriptionEvent('evt_b', second(5), active)]);
    w.billing.goOffline();
    await expect(w.deliver([subscriptionEvent('evt_a', second(5), pastDue)])).rejects.toMatchObject({ kind: 'unavailable', code: 'stripe_unavailable' });
    expect(w.log.calls).not.toContain('store.putResolvedSubscription');
    expect((await w.stored()).subscriptions.map((s) => s.snapshot)).toEqual([active]);
  });
});

describe('EntitlementSync: same-second invoice events', () => {
  it.each([
    ['past_due', true],
    ['unpaid', true],
    ['active', false],
    ['trialing', false],
  ] as const)('the subscription %s in Stripe -> paymentFailed %s', async (status, paymentFailed) => {
    const w = await linkedWorld();
    w.billing.subscriptions.set('sub_1', snapshot(status));
    await w.deliver([subscriptionEvent('evt_s', second(1), snapshot('active'))]);
    const outcomes = await w.deliver([invoiceEvent('evt_paid', second(5), 'in_a', false), invoiceEvent('evt_failed', second(5), 'in_b', true)]);
    expect(outcomes).toEqual(['applied', 'applied']);
    expect((await w.stored()).subscriptions[0]!.invoice).toEqual({ invoiceId: 'in_b', paymentFailed, created: second(5) });
    expect(w.stripeReads()).toEqual(['billing.subscription']);
  });

  it('an invoice tie about a subscription Stripe no longer has is stale', async () => {
    const w = await linkedWorld();
    await w.deliver([subscriptionEvent('evt_s', second(1), snapshot('active'))]);
    const outcomes = await w.deliver([invoiceEvent('evt_paid', second(5), 'in_a', false), invoiceEvent('evt_failed', second(5), 'in_b', true)]);
    expect(outcomes).toEqual(['applied', 'stale']);
    expect((await w.stored()).subscriptions[0]!.invoice).toEqual({ invoiceId: 'in_a', paymentFailed: false, created: second(5) });
  });

  it('invoice signals and snapshots are ordered independently', async () => {
    const w = await linkedWorld();
    const outcomes = await w.deliver([
      invoiceEvent('evt_i2', second(8), 'in_b', true),
      subscriptionEvent('evt_s1', second(1), snapshot('active')),
      invoiceEvent('evt_i1', second(4), 'in_a', false),
    ]);
    expect(outcomes).toEqual(['applied', 'applied', 'stale']);
    expect((await w.stored()).subscriptions[0]).toMatchObject({ snapshot: snapshot('active'), invoice: { invoiceId: 'in_b', paymentFailed: true } });
  });
});

describe('EntitlementSync: same-second entitlement summaries', () => {
  it('store the active entitlements Stripe lists now', async () => {
    const w = await linkedWorld();
    w.billing.entitlementKeys.set('cus_1', ['raw_export', 'team_library']);
    const outcomes = await w.deliver([summaryEvent('evt_1', second(4), []), summaryEvent('evt_2', second(4), ['raw_export'])]);
    expect(outcomes).toEqual(['applied', 'applied']);
    expect((await w.stored()).entitlementSummary?.lookupKeys).toEqual(['raw_export', 'team_library']);
    expect(w.stripeReads()).toEqual(['billing.activeEntitlementKeys']);
  });

  it('an older summary after a newer one is stale', async () => {
    const w = await linkedWorld();
    expect(await w.deliver([summaryEvent('evt_2', second(5), ['raw_export']), summaryEvent('evt_1', second(4), [])])).toEqual(['applied', 'stale']);
    expect((await w.stored()).entitlementSummary?.lookupKeys).toEqual(['raw_export']);
    expect(w.stripeReads()).toEqual([]);
  });
});

describe('EntitlementSync: linking a customer to its account', () => {
  const event = (n: number, customerId: string) => subscriptionEvent(`evt_${customerId}_${n}`, second(n), snapshot('active', { customerId }));
  /** The calls of an event whose customer this process does not know yet, up to the Stripe read. */
  const firstSight = ['store.putSubscription', 'links.accountForCustomer', 'store.customerLookedUpSince'];

  it('a known link costs one read once per process, then each in-order event one write and nothing else', async () => {
    const w = await linkedWorld();
    await w.deliver([event(1, 'cus_1')]);
    expect(w.log.calls).toEqual(['store.putSubscription', 'links.accountForCustomer']);
    w.log.clear();
    await w.deliver([event(2, 'cus_1'), event(3, 'cus_1')]);
    expect(w.log.calls).toEqual(['store.putSubscription', 'store.putSubscription']);
  });

  it('a customer that names its account in Stripe is linked on its first event, asking Stripe once', async () => {
    const w = world();
    w.billing.customerAccounts.set('cus_new', 'acct_new');
    expect(await w.deliver([event(1, 'cus_new')])).toEqual(['applied']);
    expect(w.log.calls).toEqual([...firstSight, 'billing.customerAccountId', 'links.link']);
    expect(await w.links.customerForAccount('acct_new')).toBe('cus_new');
    w.log.clear();
    await w.deliver([event(2, 'cus_new')]);
    expect(w.log.calls).toEqual(['store.putSubscription']);
  });

  it('a customer without an account: Stripe is asked once, the answer kept in this process and in the table', async () => {
    const w = world();
    expect(await w.deliver([event(1, 'cus_orphan')])).toEqual(['applied']);
    expect(w.log.calls).toEqual([...firstSight, 'billing.customerAccountId', 'store.recordCustomerLookup']);
    expect(w.log.argsOf('store.recordCustomerLookup')).toEqual([['cus_orphan', NOW]]);

    w.log.clear();
    w.clock.now = NOW + NEGATIVE_MEMORY_SECONDS - 1;
    await w.deliver([event(2, 'cus_orphan')]);
    expect(w.log.calls).toEqual(['store.putSubscription']);

    // Once this process forgets, the table's marker still spares the Stripe call.
    w.log.clear();
    w.clock.now = NOW + NEGATIVE_MEMORY_SECONDS;
    await w.deliver([event(3, 'cus_orphan')]);
    expect(w.log.calls).toEqual(firstSight);
    expect(w.log.argsOf('store.customerLookedUpSince')).toEqual([['cus_orphan', NOW + NEGATIVE_MEMORY_SECONDS - CUSTOMER_LOOKUP_TTL_SECONDS]]);
  });

  it.each([
    ['a minute', false, 60],
    ['exactly the cache time', false, CUSTOMER_LOOKUP_TTL_SECONDS],
    ['longer than the cache time', true, CUSTOMER_LOOKUP_TTL_SECONDS + 1],
  ])('another process, %s after the "no account" answer, asks Stripe again: %s', async (_case, asksStripe, age) => {
    const w = world();
    await w.deliver([event(1, 'cus_orphan')]);
    w.clock.now = NOW + age;
    w.log.clear();
    await w.deliver([event(2, 'cus_orphan')], w.startProcess());
    expect(w.log.calls).toEqual(asksStripe ? [...firstSight, 'billing.customerAccountId', 'store.recordCustomerLookup'] : firstSight);
  });

  it('a customer named in Stripe after the cached answer expired is linked then', async () => {
    const w = world();
    await w.deliver([event(1, 'cus_later')]);
    w.billing.customerAccounts.set('cus_later', 'acct_later');
    w.clock.now = NOW + CUSTOMER_LOOKUP_TTL_SECONDS + 1;
    await w.deliver([event(2, 'cus_later')], w.startProcess());
    expect(await w.links.customerForAccount('acct_later')).toBe('cus_later');
  });

  it('an account already tied to another customer keeps it, and the refusal is remembered like "no account"', async () => {
    const w = world();
    await w.links.link('acct_first', 'cus_first');
    w.billing.customerAccounts.set('cus_second', 'acct_first');
    w.log.clear();
    expect(await w.deliver([event(1, 'cus_second')])).toEqual(['applied']);
    expect(w.log.calls).toEqual([...firstSight, 'billing.customerAccountId', 'links.link', 'store.recordCustomerLookup']);
    expect(await w.links.customerForAccount('acct_first')).toBe('cus_first');
    expect(await w.links.accountForCustomer('cus_second')).toBeUndefined();
    w.log.clear();
    await w.deliver([event(2, 'cus_second')]);
    expect(w.log.calls).toEqual(['store.putSubscription']);
  });
});

describe('EntitlementSync: customer events', () => {
  it.each([
    // [case, outcome, the account's customer beforehand, the event's account, calls]
    ['naming no account', 'ignored', undefined, null, []],
    ['naming a free account', 'applied', undefined, 'acct_c', ['links.link']],
    ['naming an account tied to another customer', 'ignored', 'cus_other', 'acct_c', ['links.link']],
    ['naming the account it is already linked to (unknown to this process)', 'applied', 'cus_c', 'acct_c', ['links.link']],
  ] as const)('%s -> %s', async (_case, outcome, linkedBefore, accountId, calls) => {
    const w = world();
    if (linkedBefore) await w.links.link('acct_c', linkedBefore);
    w.log.clear();
    expect(await w.sync.process(customerEvent('evt_c', 'cus_c', accountId))).toBe(outcome);
    expect(w.log.calls).toEqual(calls);
    expect(await w.links.customerForAccount('acct_c')).toBe(linkedBefore ?? (accountId ? 'cus_c' : undefined));
  });

  it('a link this process made is not written again: the repeat is a duplicate that calls nothing', async () => {
    const w = world();
    expect(await w.sync.process(customerEvent('evt_c1', 'cus_c', 'acct_c'))).toBe('applied');
    w.log.clear();
    expect(await w.sync.process(customerEvent('evt_c2', 'cus_c', 'acct_c'))).toBe('duplicate');
    expect(w.log.calls).toEqual([]);
  });

  it('an event Linkout does not handle is ignored and calls nothing', async () => {
    const w = world();
    expect(await w.sync.process({ eventId: 'evt_x', type: 'charge.refunded', created: NOW, kind: 'ignored' })).toBe('ignored');
    expect(w.log.calls).toEqual([]);
  });
});

describe('EntitlementSync: customer_deleted', () => {
  /** cus_d linked to acct_d, with an active subscription this process has seen. */
  async function deletedCustomerWorld() {
    const w = world();
    await w.links.link('acct_d', 'cus_d');
    await w.deliver([subscriptionEvent('evt_d_1', second(1), snapshot('active', { id: 'sub_d', customerId: 'cus_d' }))]);
    w.log.clear();
    return w;
  }

  it('marks the customer deleted and frees its account, asking Stripe nothing; a copy is a duplicate', async () => {
    const w = await deletedCustomerWorld();
    expect(await w.sync.process(customerDeleted('evt_del', 'cus_d'))).toBe('applied');
    expect(w.log.calls).toEqual(['store.markCustomerDeleted', 'links.unlinkDeletedCustomer']);
    expect((await w.stored('cus_d')).deleted).toBe(true);
    expect(await w.links.customerForAccount('acct_d')).toBeUndefined();
    expect(await w.links.deletedCustomerOf('acct_d')).toBe('cus_d');
    expect(await w.sync.process(customerDeleted('evt_del', 'cus_d'))).toBe('duplicate');
    expect((await w.stored('cus_d')).deleted).toBe(true);
  });

  it('a customer that was never linked is marked deleted all the same', async () => {
    const w = world();
    expect(await w.sync.process(customerDeleted('evt_del', 'cus_unlinked'))).toBe('applied');
    expect(w.log.calls).toEqual(['store.markCustomerDeleted', 'links.unlinkDeletedCustomer']);
    expect((await w.stored('cus_unlinked')).deleted).toBe(true);
  });

  it('later subscription events are still ordered and stored, but the customer stays deleted and unlinked', async () => {
    const w = await deletedCustomerWorld();
    await w.sync.process(customerDeleted('evt_del', 'cus_d'));
    w.billing.customerAccounts.set('cus_d', 'acct_d');
    w.log.clear();
    const canceled = snapshot('canceled', { id: 'sub_d', customerId: 'cus_d' });
    const outcomes = await w.deliver([
      subscriptionEvent('evt_d_2', second(700), canceled),
      subscriptionEvent('evt_d_1', second(1), snapshot('active', { id: 'sub_d', customerId: 'cus_d' })),
    ]);
    expect(outcomes).toEqual(['applied', 'stale']);
    expect(await w.stored('cus_d')).toMatchObject({ deleted: true, subscriptions: [expect.objectContaining({ snapshot: canceled })] });
    expect(w.stripeReads()).toEqual([]);
    expect(await w.links.customerForAccount('acct_d')).toBeUndefined();
  });

  it('a late customer event cannot link the deleted customer again, even in the process that knew the link', async () => {
    const w = await deletedCustomerWorld();
    await w.sync.process(customerDeleted('evt_del', 'cus_d'));
    expect(await w.sync.process(customerEvent('evt_late', 'cus_d', 'acct_d'))).toBe('ignored');
    expect(await w.links.customerForAccount('acct_d')).toBeUndefined();
  });

  it('the account’s next customer is linked as usual', async () => {
    const w = await deletedCustomerWorld();
    await w.sync.process(customerDeleted('evt_del', 'cus_d'));
    expect(await w.sync.process(customerEvent('evt_next', 'cus_next', 'acct_d'))).toBe('applied');
    expect(await w.links.customerForAccount('acct_d')).toBe('cus_next');
  });
});

describe('EntitlementSync: customer.subscription.paused and .resumed', () => {
  const config = parseConfig(JSON.parse(readFileSync(DEFAULT_CONFIG_FILE, 'utf8')));
  const active = snapshot('active');
  const paused = snapshot('paused');
  const pausedEvent = (eventId: string, created: number, subscription = paused): BillingEvent => ({
    ...subscriptionEvent(eventId, created, subscription),
    type: 'customer.subscription.paused',
  });
  const resumedEvent = (eventId: string, created: number, subscription = active): BillingEvent => ({
    ...subscriptionEvent(eventId, created, subscription),
    type: 'customer.subscription.resumed',
  });

  it.each([
    // [case, deliveries, the subscription in Stripe now (breaks ties), outcomes, stored status, access, Stripe reads]
    ['paused', [pausedEvent('evt_p', second(2))], undefined, ['applied'], 'paused', false, 0],
    ['paused, then resumed', [pausedEvent('evt_p', second(2)), resumedEvent('evt_r', second(3))], undefined, ['applied', 'applied'], 'active', true, 0],
    [
      'a paused event delivered twice',
      [pausedEvent('evt_p', second(2)), pausedEvent('evt_p', second(2))],
      undefined,
      ['applied', 'duplicate'],
      'paused',
      false,
      0,
    ],
    [
      'a resumed event delivered twice',
      [pausedEvent('evt_p', second(2)), resumedEvent('evt_r', second(3)), resumedEvent('evt_r', second(3))],
      undefined,
      ['applied', 'applied', 'duplicate'],
      'active',
      true,
      0,
    ],
    [
      'resumed delivered before paused',
      [resumedEvent('evt_r', second(3)), pausedEvent('evt_p', second(2))],
      undefined,
      ['applied', 'stale'],
      'active',
      true,
      0,
    ],
    [
      'paused and resumed in the same second, Stripe now active',
      [pausedEvent('evt_p', second(5)), resumedEvent('evt_r', second(5))],
      active,
      ['applied', 'applied'],
      'active',
      true,
      1,
    ],
    [
      'resumed and paused in the same second, Stripe now paused',
      [resumedEvent('evt_r', second(5)), pausedEvent('evt_p', second(5))],
      paused,
      ['applied', 'applied'],
      'paused',
      false,
      1,
    ],
    [
      'an update after the pause (same status) is ordered like any other',
      [pausedEvent('evt_p', second(2)), subscriptionEvent('evt_u', second(4), paused), resumedEvent('evt_r', second(3))],
      undefined,
      ['applied', 'applied', 'stale'],
      'paused',
      false,
      0,
    ],
  ] as const)('%s', async (_case, deliveries, inStripe, outcomes, status, grantsAccess, stripeReads) => {
    const w = await linkedWorld();
    await w.deliver([subscriptionEvent('evt_start', second(1), active)]);
    if (inStripe) w.billing.subscriptions.set('sub_1', inStripe);
    expect(await w.deliver([...deliveries])).toEqual(outcomes);
    const records = await w.stored();
    expect(records.subscriptions.map((s) => s.snapshot.status)).toEqual([status]);
    const view = entitlementsResponse('acct_1', 'cus_1', records, config, NOW);
    expect([view.active, view.subscriptions[0]!.grantsAccess]).toEqual([grantsAccess, grantsAccess]);
    expect(view.subscriptions[0]!.pauseKind).toBe(status === 'paused' ? 'subscription' : null);
    expect(view.entitlements.length > 0).toBe(grantsAccess);
    expect(w.stripeReads()).toEqual(Array(stripeReads).fill('billing.subscription'));
  });
});
