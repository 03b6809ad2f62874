/**
 * The refresh on return (functions/core/refresh.ts) over in-memory ports: the per-account bound, the
 * ordered write of what was read (never over a newer event), the purchase read back and fulfilled by
 * the webhook's own fulfilment, and exactly which Stripe calls each refresh costs. The same flows
 * against DynamoDB and the Stripe emulator are in test/integration/refresh.test.ts.
 */
import { loadConfig } from '#adapters/config';
import type { SubscriptionSnapshot, SubscriptionStatus } from '#core/billing-events';
import { EntitlementSync } from '#core/entitlements-sync';
import { AppError } from '#core/errors';
import { type Purchase, PurchaseFulfilment } from '#core/purchases';
import { parsePurchaseId, parseRefreshRequest, REFRESH_INTERVAL_SECONDS, type RefreshPorts, refreshAccount, refreshPurchase } from '#core/refresh';
import { InMemoryAccountLinks } from '../fakes/account-links';
import { InMemoryBillingLookup } from '../fakes/billing-lookup';
import { CallLog } from '../fakes/call-log';
import { InMemoryEntitlementStore } from '../fakes/entitlement-store';
import { InMemoryPurchaseRecords, InMemorySubscriptionStarter } from '../fakes/purchases';
import { InMemoryRefreshBound, InMemoryStripePurchases } from '../fakes/refresh';

const config = loadConfig({ LINKOUT_CONFIG_FILE: 'config/linkout.example.json' });
const NOW = 1_800_000_000;
/** The position a refresh at NOW writes under: one second before its read began. */
const POSITION = NOW - 1;

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

function purchase(overrides: Partial<Purchase> = {}): Purchase {
  return {
    id: 'cs_test_1',
    kind: 'checkout_session',
    accountId: 'acct_1',
    customerId: 'cus_1',
    priceId: 'price_sp_m',
    status: 'pending',
    reason: null,
    subscriptionId: null,
    createdAt: NOW - 60,
    updatedAt: NOW - 60,
    ...overrides,
  };
}

/** The ports in memory with one shared call log and a settable clock; acct_1 is linked to cus_1 unless told otherwise. */
async function world({ linked = true } = {}) {
  const log = new CallLog();
  const store = new InMemoryEntitlementStore(log);
  const links = new InMemoryAccountLinks(log);
  const records = new InMemoryPurchaseRecords(log);
  const starter = new InMemorySubscriptionStarter(log);
  const bound = new InMemoryRefreshBound(log);
  const stripe = new InMemoryStripePurchases(log);
  const clock = { now: NOW };
  const fulfilment = new PurchaseFulfilment({ records, starter, now: () => clock.now });
  let ids = 0;
  const ports: RefreshPorts = {
    config,
    bound,
    links,
    store,
    purchases: records,
    purchaseLookup: stripe,
    fulfilment,
    subscriptions: stripe,
    now: () => clock.now,
    randomId: () => `r${++ids}`,
  };
  const webhooks = new EntitlementSync({ store, links, billing: new InMemoryBillingLookup(log), purchases: fulfilment, now: () => clock.now });
  if (linked) await links.link('acct_1', 'cus_1');
  log.clear();
  const stripeCalls = () => log.calls.filter((call) => call.startsWith('stripe.') || call.startsWith('starter.') || call.startsWith('billing.'));
  const storedStatus = async () => (await store.customerRecords('cus_1')).subscriptions.map((s) => s.snapshot.status);
  return { log, store, links, records, starter, bound, stripe, clock, ports, webhooks, stripeCalls, storedStatus };
}

const subscriptionEvent = (eventId: string, created: number, subscription: SubscriptionSnapshot) =>
  ({ eventId, type: 'customer.subscription.updated', created, kind: 'subscription', subscription }) as const;

const rejection = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
};

describe('refreshAccount: an account with no customer', () => {
  it('answers the unlinked entitlements, as GET /v1/entitlements does, with no Stripe call', async () => {
    const w = await world({ linked: false });
    const response = await refreshAccount('acct_1', undefined, w.ports);
    expect(response).toEqual({ account: 'acct_1', customerId: null, active: false, entitlements: [], subscriptions: [], updatedAt: null });
    expect(w.stripeCalls()).toEqual([]);
    expect(w.log.calls).toEqual(['bound.acquire', 'links.customerForAccount']);
  });
});

describe('refreshAccount: the per-account bound', () => {
  it.each([
    // [seconds after the first refresh, 429 with Retry-After, or null when the second refresh runs]
    [0, REFRESH_INTERVAL_SECONDS],
    [1, REFRESH_INTERVAL_SECONDS - 1],
    [REFRESH_INTERVAL_SECONDS - 1, 1],
    [REFRESH_INTERVAL_SECONDS, null],
    [REFRESH_INTERVAL_SECONDS + 60, null],
  ])('a second refresh %i s after the first: Retry-After %p', async (elapsed, retryAfter) => {
    const w = await world();
    w.stripe.subscriptions.set('sub_1', snapshot('active'));
    await refreshAccount('acct_1', undefined, w.ports);
    const before = await w.store.customerRecords('cus_1');
    w.stripe.subscriptions.set('sub_1', snapshot('past_due'));
    w.clock.now = NOW + elapsed;
    w.log.clear();

    const second = refreshAccount('acct_1', undefined, w.ports);
    if (retryAfter === null) {
      await expect(second).resolves.toMatchObject({ account: 'acct_1' });
      expect(w.stripeCalls()).toEqual(['stripe.subscriptions']);
      return;
    }
    const error = await rejection(second);
    expect(error).toMatchObject({ kind: 'throttled', code: 'refresh_too_soon', options: { retryAfterSeconds: retryAfter } });
    expect(error.message).toContain(`Retry after ${retryAfter} seconds`);
    // Refused before anything else: no Stripe call, no write, the bound itself unchanged.
    expect(w.log.calls).toEqual(['bound.acquire']);
    expect(w.bound.refreshedAt.get('acct_1')).toBe(NOW);
    expect(await w.store.customerRecords('cus_1')).toEqual(before);
  });

  it('bounds each account on its own', async () => {
    const w = await world();
    await w.links.link('acct_2', 'cus_2');
    await refreshAccount('acct_1', undefined, w.ports);
    await expect(refreshAccount('acct_2', undefined, w.ports)).resolves.toMatchObject({ account: 'acct_2', customerId: 'cus_2' });
  });
});

describe('refreshAccount: writes what it read through the ordered path', () => {
  it.each([
    // [case, stored by a webhook before the refresh (second, status) or none, Stripe now, stored after, store calls]
    ['nothing stored: applied', undefined, 'active', 'active', ['store.putSubscription']],
    ['an older stored event: applied', [NOW - 10, 'active'], 'canceled', 'canceled', ['store.putSubscription']],
    ['a newer stored event (created after the read began): the refresh is stale', [NOW, 'past_due'], 'active', 'past_due', ['store.putSubscription']],
    [
      'a stored event in the position second: a tie, resolved with the snapshot just read',
      [POSITION, 'active'],
      'past_due',
      'past_due',
      ['store.putSubscription', 'store.putResolvedSubscription'],
    ],
  ] as const)('%s', async (_case, stored, stripeNow, expected, storeWrites) => {
    const w = await world();
    if (stored) await w.webhooks.process(subscriptionEvent('evt_stored', stored[0], snapshot(stored[1])));
    w.stripe.subscriptions.set('sub_1', snapshot(stripeNow));
    w.log.clear();

    const response = await refreshAccount('acct_1', undefined, w.ports);

    expect(await w.storedStatus()).toEqual([expected]);
    expect(response.subscriptions.map((s) => s.status)).toEqual([expected]);
    expect(w.log.calls.filter((call) => call.startsWith('store.put'))).toEqual(storeWrites);
    // One list, and never a second read for the tie: the list's snapshot is the tie's answer.
    expect(w.stripeCalls()).toEqual(['stripe.subscriptions']);
    expect(w.log.argsOf('store.putSubscription')[0]![0]).toEqual({ eventId: 'refresh_r1', created: POSITION, readAtMs: expect.any(Number) });
  });

  it('writes every subscription of the customer, canceled ones included', async () => {
    const w = await world();
    w.stripe.subscriptions.set('sub_old', snapshot('canceled', { id: 'sub_old', created: NOW - 90 * 86_400 }));
    w.stripe.subscriptions.set('sub_1', snapshot('active'));
    const response = await refreshAccount('acct_1', undefined, w.ports);
    expect(response.subscriptions.map((s) => [s.id, s.status])).toEqual([
      ['sub_1', 'active'],
      ['sub_old', 'canceled'],
    ]);
    expect(response.active).toBe(true);
  });

  it('never overtakes a webhook: an event created during the read lands after it, an older one delivered late is stale', async () => {
    const w = await world();
    w.stripe.subscriptions.set('sub_1', snapshot('active'));
    // The customer cancels in the portal while the refresh is reading; Stripe stamps the event NOW.
    w.stripe.whileNextList(async () => {
      w.stripe.subscriptions.set('sub_1', snapshot('canceled'));
    });
    await refreshAccount('acct_1', undefined, w.ports);
    expect(await w.storedStatus()).toEqual(['active']);

    expect(await w.webhooks.process(subscriptionEvent('evt_cancel', NOW, snapshot('canceled')))).toBe('applied');
    expect(await w.webhooks.process(subscriptionEvent('evt_older', NOW - 30, snapshot('active')))).toBe('stale');
    expect(await w.storedStatus()).toEqual(['canceled']);
  });

  it('a later refresh over a refresh applies; an event older than the refresh position is stale', async () => {
    const w = await world();
    w.stripe.subscriptions.set('sub_1', snapshot('active', { cancelAtPeriodEnd: true }));
    await refreshAccount('acct_1', undefined, w.ports);
    expect(await w.webhooks.process(subscriptionEvent('evt_late', NOW - 2, snapshot('active')))).toBe('stale');
    w.clock.now = NOW + REFRESH_INTERVAL_SECONDS;
    w.stripe.subscriptions.set('sub_1', snapshot('past_due'));
    await refreshAccount('acct_1', undefined, w.ports);
    expect(await w.storedStatus()).toEqual(['past_due']);
  });
});

describe('refreshAccount with a purchase', () => {
  it.each([
    // [case, stored purchase, Stripe calls of one refresh]
    ['a pending Checkout Session: read back, then the list', purchase(), ['stripe.purchase', 'stripe.subscriptions']],
    ['a completed purchase: only the list', purchase({ status: 'completed', subscriptionId: 'sub_1' }), ['stripe.subscriptions']],
    ['an expired Checkout Session: only the list', purchase({ status: 'expired', reason: 'checkout_expired' }), ['stripe.subscriptions']],
    [
      'a failed SetupIntent (the customer may still complete it): read back, then the list',
      purchase({ id: 'seti_1', kind: 'setup_intent', status: 'failed', reason: 'payment_method_declined' }),
      ['stripe.purchase', 'stripe.subscriptions'],
    ],
    [
      'a SetupIntent whose subscription exists but whose first payment failed: only the list',
      purchase({ id: 'seti_2', kind: 'setup_intent', status: 'failed', reason: 'first_payment_failed', subscriptionId: 'sub_1' }),
      ['stripe.subscriptions'],
    ],
  ])('%s', async (_case, stored, stripeCalls) => {
    const w = await world();
    await w.records.create(stored);
    w.log.clear();
    const response = await refreshAccount('acct_1', stored.id, w.ports);
    expect(w.stripeCalls()).toEqual(stripeCalls);
    expect(response.purchase).toMatchObject({ id: stored.id, status: stored.status });
  });

  it('moves a Checkout Session that Stripe completed, before the webhook, and the webhook is then a duplicate', async () => {
    const w = await world();
    await w.records.create(purchase());
    w.stripe.updates.set('cs_test_1', { status: 'completed', subscriptionId: 'sub_1' });
    w.stripe.subscriptions.set('sub_1', snapshot('active'));

    const response = await refreshAccount('acct_1', 'cs_test_1', w.ports);
    expect(response.purchase).toMatchObject({ status: 'completed', subscriptionId: 'sub_1', reason: null });
    expect(response.active).toBe(true);

    const late = await w.webhooks.process({
      eventId: 'evt_cs',
      type: 'checkout.session.completed',
      created: NOW - 2,
      kind: 'purchase',
      purchaseId: 'cs_test_1',
      update: { status: 'completed', subscriptionId: 'sub_1' },
    });
    expect(late).toBe('duplicate');
  });

  it.each([
    ['refresh first, then the webhook', ['refresh', 'webhook'] as const],
    ['the webhook first, then the refresh', ['webhook', 'refresh'] as const],
  ])('an Amazon Pay SetupIntent that succeeded starts one subscription: %s', async (_case, order) => {
    const w = await world();
    await w.records.create(purchase({ id: 'seti_1', kind: 'setup_intent' }));
    w.stripe.updates.set('seti_1', { status: 'setup_succeeded', paymentMethodId: 'pm_amazon' });
    // What Stripe lists once the starter created the subscription (the fake starter names it sub_from_<SetupIntent>).
    w.stripe.subscriptions.set('sub_from_seti_1', snapshot('active', { id: 'sub_from_seti_1' }));
    const outcomes: string[] = [];
    for (const step of order) {
      w.clock.now += REFRESH_INTERVAL_SECONDS;
      if (step === 'refresh') outcomes.push((await refreshAccount('acct_1', 'seti_1', w.ports)).purchase!.status);
      else {
        outcomes.push(
          await w.webhooks.process({
            eventId: 'evt_seti',
            type: 'setup_intent.succeeded',
            created: NOW,
            kind: 'purchase',
            purchaseId: 'seti_1',
            update: { status: 'setup_succeeded', paymentMethodId: 'pm_amazon' },
          }),
        );
      }
    }
    expect(outcomes).toEqual(order[0] === 'refresh' ? ['completed', 'duplicate'] : ['applied', 'completed']);
    expect(w.log.calls.filter((call) => call === 'starter.startFromSetupIntent')).toHaveLength(1);
    expect(await w.records.get('seti_1')).toMatchObject({ status: 'completed', subscriptionId: 'sub_from_seti_1' });
    // The refresh after the webhook had nothing to read back about the purchase.
    if (order[0] === 'webhook') expect(w.log.calls).not.toContain('stripe.purchase');
  });

  it.each([
    ['another account’s purchase', purchase({ accountId: 'acct_2' })],
    ['no such purchase', undefined],
  ])('%s: 404 purchase_not_found, no Stripe call, nothing written', async (_case, stored) => {
    const w = await world();
    if (stored) await w.records.create(stored);
    w.log.clear();
    const error = await rejection(refreshAccount('acct_1', 'cs_test_1', w.ports));
    expect(error).toMatchObject({ kind: 'not_found', code: 'purchase_not_found' });
    expect(w.stripeCalls()).toEqual([]);
    expect(w.log.calls.filter((call) => call.startsWith('store.') || call.startsWith('purchases.transition'))).toEqual([]);
  });
});

describe('refreshPurchase: the capability route', () => {
  it('refreshes the purchase’s own account and answers only {id, status, reason}', async () => {
    const w = await world();
    await w.records.create(purchase({ id: 'seti_1', kind: 'setup_intent' }));
    w.stripe.updates.set('seti_1', { status: 'failed', reason: 'payment_method_declined' });
    w.stripe.subscriptions.set('sub_1', snapshot('active'));
    w.log.clear();

    const response = await refreshPurchase('seti_1', w.ports);
    expect(response).toEqual({
      id: 'seti_1',
      status: 'failed',
      reason: { code: 'payment_method_declined', message: expect.stringContaining('declined') },
    });
    expect(w.log.argsOf('bound.acquire')[0]![0]).toBe('acct_1');
    expect(w.stripeCalls()).toEqual(['stripe.purchase', 'stripe.subscriptions']);
    expect(await w.storedStatus()).toEqual(['active']);
  });

  it('an unknown purchase: 404 before the bound and before any Stripe call', async () => {
    const w = await world();
    const error = await rejection(refreshPurchase('cs_test_unknown', w.ports));
    expect(error).toMatchObject({ kind: 'not_found', code: 'purchase_not_found' });
    expect(w.log.calls).toEqual(['purchases.get']);
  });

  it('shares the account’s bound with the account route', async () => {
    const w = await world();
    await w.records.create(purchase());
    await refreshAccount('acct_1', undefined, w.ports);
    w.clock.now = NOW + 2;
    const error = await rejection(refreshPurchase('cs_test_1', w.ports));
    expect(error).toMatchObject({ kind: 'throttled', options: { retryAfterSeconds: REFRESH_INTERVAL_SECONDS - 2 } });
  });
});

describe('request parsing', () => {
  it.each([
    // [case, id, valid]
    ['a Checkout Session id', 'cs_test_a1B2c3', true],
    ['a SetupIntent id', 'seti_1Nv0ABC_def', true],
    ['255 characters', `cs_${'a'.repeat(252)}`, true],
    ['256 characters', `cs_${'a'.repeat(253)}`, false],
    ['a subscription id', 'sub_1', false],
    ['a bare prefix', 'cs_', false],
    ['a dash', 'cs_abc-def', false],
    ['a path', 'cs_abc/../x', false],
    ['an upper-case prefix', 'CS_abc', false],
    ['empty', '', false],
    ['a number', 42, false],
    ['missing', undefined, false],
  ])('purchase id: %s, valid: %p', (_case, raw, valid) => {
    if (valid) expect(parsePurchaseId(raw)).toBe(raw);
    else expect(() => parsePurchaseId(raw)).toThrow(expect.objectContaining({ kind: 'invalid_request', code: 'invalid_purchase_id' }));
  });

  it.each([
    [undefined, {}],
    ['', {}],
    ['{}', {}],
    ['{"purchaseId":"cs_test_1"}', { purchaseId: 'cs_test_1' }],
  ])('body %p is %p', (body, expected) => {
    expect(parseRefreshRequest(body)).toEqual(expected);
  });

  it.each([
    ['not json', 'invalid_json'],
    ['[]', 'invalid_request'],
    ['{"purchaseId":"cs_1","accountId":"acct_2"}', 'invalid_request'],
    ['{"customerId":"cus_1"}', 'invalid_request'],
    ['{"purchaseId":7}', 'invalid_request'],
    ['{"purchaseId":"sub_1"}', 'invalid_purchase_id'],
  ])('body %p is refused: %s', (body, code) => {
    expect(() => parseRefreshRequest(body)).toThrow(expect.objectContaining({ kind: 'invalid_request', code }));
  });
});
