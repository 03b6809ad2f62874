/**
 * The purchase rules of functions/core/purchases.ts with in-memory records and starter: which status
 * may follow which, what each Stripe report does to each stored status, and that duplicated or
 * concurrent reports of a succeeded SetupIntent start exactly one subscription.
 */
import { mayMove, type Purchase, PurchaseFulfilment, type PurchaseKind, type PurchaseStatus, type PurchaseUpdate, purchaseView } from '#core/purchases';
import { CallLog } from '../fakes/call-log';
import { InMemoryPurchaseRecords, InMemorySubscriptionStarter } from '../fakes/purchases';

const NOW = 1_900_000_000;
const STATUSES: PurchaseStatus[] = ['pending', 'completed', 'failed', 'expired'];

function purchase(kind: PurchaseKind, status: PurchaseStatus = 'pending'): Purchase {
  const id = kind === 'setup_intent' ? 'seti_1' : 'cs_1';
  return {
    id,
    kind,
    accountId: 'acct_1',
    customerId: 'cus_1',
    priceId: 'price_1',
    status,
    reason: null,
    subscriptionId: null,
    createdAt: NOW - 60,
    updatedAt: NOW - 60,
  };
}

function world(stored?: Purchase) {
  const log = new CallLog();
  const records = new InMemoryPurchaseRecords(log);
  const starter = new InMemorySubscriptionStarter(log);
  if (stored) records.purchases.set(stored.id, { ...stored });
  const fulfilment = new PurchaseFulfilment({ records, starter, now: () => NOW });
  return { log, records, starter, fulfilment };
}

describe('mayMove: which status may replace which', () => {
  const allowed = new Set(['pending>completed', 'pending>failed', 'pending>expired', 'failed>completed']);
  it.each(STATUSES.flatMap((from) => STATUSES.map((to) => [from, to] as const)))('%s -> %s', (from, to) => {
    expect(mayMove(from, to)).toBe(allowed.has(`${from}>${to}`));
  });
});

describe('apply: each report on each stored status', () => {
  const reports: Array<[string, PurchaseUpdate, Pick<Purchase, 'status' | 'reason' | 'subscriptionId'>]> = [
    ['completed', { status: 'completed', subscriptionId: 'sub_checkout' }, { status: 'completed', reason: null, subscriptionId: 'sub_checkout' }],
    ['failed', { status: 'failed', reason: 'authentication_failed' }, { status: 'failed', reason: 'authentication_failed', subscriptionId: null }],
    ['expired', { status: 'expired' }, { status: 'expired', reason: 'checkout_expired', subscriptionId: null }],
    ['setup_succeeded', { status: 'setup_succeeded', paymentMethodId: 'pm_amazon' }, { status: 'completed', reason: null, subscriptionId: 'sub_from_seti_1' }],
  ];
  const cases = reports.flatMap(([name, update, outcome]) => STATUSES.map((stored) => [name, stored, update, outcome] as const));

  it.each(cases)('%s on a stored %s purchase', async (_name, stored, update, outcome) => {
    const before = purchase('setup_intent', stored);
    const { fulfilment, records, starter } = world(before);
    const target = update.status === 'setup_succeeded' ? 'completed' : update.status;
    const moves = mayMove(stored, target);

    expect(await fulfilment.apply(before.id, update)).toBe(moves ? 'applied' : 'duplicate');
    expect(records.purchases.get(before.id)).toEqual(moves ? { ...before, ...outcome, updatedAt: NOW } : before);
    // The subscription is started only when the outcome can still land.
    expect(starter.started.size).toBe(moves && update.status === 'setup_succeeded' ? 1 : 0);
  });

  it.each(STATUSES)('pending reported on a stored %s purchase changes nothing', async (stored) => {
    const before = purchase('checkout_session', stored);
    const { fulfilment, records, log } = world(before);
    expect(await fulfilment.apply(before.id, { status: 'pending' })).toBe('duplicate');
    expect(records.purchases.get(before.id)).toEqual(before);
    expect(log.calls).toEqual(['purchases.get']);
  });

  it('setup_succeeded on a Checkout purchase is not a SetupIntent Linkout started: ignored, no subscription', async () => {
    const { fulfilment, records, starter } = world(purchase('checkout_session'));
    expect(await fulfilment.apply('cs_1', { status: 'setup_succeeded', paymentMethodId: 'pm_1' })).toBe('ignored');
    expect(records.purchases.get('cs_1')!.status).toBe('pending');
    expect(starter.started.size).toBe(0);
  });

  it('a purchase Linkout did not record is ignored, and nothing is started or written', async () => {
    const { fulfilment, log } = world();
    expect(await fulfilment.apply('seti_unknown', { status: 'setup_succeeded', paymentMethodId: 'pm_1' })).toBe('ignored');
    expect(log.calls).toEqual(['purchases.get']);
  });

  it('a subscription that starts incomplete (first off-session payment failed) fails the purchase with its subscription id', async () => {
    const { fulfilment, records, starter } = world(purchase('setup_intent'));
    starter.nextStatus = 'incomplete';
    expect(await fulfilment.apply('seti_1', { status: 'setup_succeeded', paymentMethodId: 'pm_1' })).toBe('applied');
    expect(records.purchases.get('seti_1')).toMatchObject({ status: 'failed', reason: 'first_payment_failed', subscriptionId: 'sub_from_seti_1' });
  });

  it('the subscription is started with the recorded customer, price and account and the reported payment method', async () => {
    const { fulfilment, starter } = world(purchase('setup_intent'));
    await fulfilment.apply('seti_1', { status: 'setup_succeeded', paymentMethodId: 'pm_amazon' });
    expect(starter.started.get('seti_1')!.params).toEqual({
      setupIntentId: 'seti_1',
      accountId: 'acct_1',
      customerId: 'cus_1',
      priceId: 'price_1',
      paymentMethodId: 'pm_amazon',
    });
  });
});

describe('exactly once', () => {
  const succeeded: PurchaseUpdate = { status: 'setup_succeeded', paymentMethodId: 'pm_amazon' };

  it('a duplicated setup_succeeded (sequential) starts one subscription and lands one transition', async () => {
    const { fulfilment, starter, log } = world(purchase('setup_intent'));
    const outcomes = [];
    for (let i = 0; i < 3; i++) outcomes.push(await fulfilment.apply('seti_1', succeeded));
    expect(outcomes).toEqual(['applied', 'duplicate', 'duplicate']);
    expect(starter.started.size).toBe(1);
    expect(log.argsOf('starter.startFromSetupIntent')).toHaveLength(1);
    expect(log.argsOf('purchases.transition')).toHaveLength(1);
  });

  it('concurrent setup_succeeded deliveries both reach the starter, which yields one subscription; one transition lands', async () => {
    const { fulfilment, starter, records, log } = world(purchase('setup_intent'));
    const outcomes = await Promise.all([fulfilment.apply('seti_1', succeeded), fulfilment.apply('seti_1', succeeded)]);
    expect(outcomes.sort()).toEqual(['applied', 'duplicate']);
    // Both read `pending` before either wrote: the starter's idempotency is what keeps one subscription.
    expect(log.argsOf('starter.startFromSetupIntent')).toHaveLength(2);
    expect(starter.started.size).toBe(1);
    expect(records.purchases.get('seti_1')).toMatchObject({ status: 'completed', subscriptionId: 'sub_from_seti_1' });
  });

  it('a late failure after completion does not undo it', async () => {
    const { fulfilment, records } = world(purchase('setup_intent'));
    await fulfilment.apply('seti_1', succeeded);
    expect(await fulfilment.apply('seti_1', { status: 'failed', reason: 'setup_failed' })).toBe('duplicate');
    expect(records.purchases.get('seti_1')!.status).toBe('completed');
  });
});

describe('purchaseView', () => {
  it("shows Linkout's reason message and ISO times, never the account or customer", () => {
    const failed: Purchase = { ...purchase('setup_intent', 'failed'), reason: 'authentication_failed', updatedAt: NOW };
    expect(purchaseView(failed)).toEqual({
      id: 'seti_1',
      kind: 'setup_intent',
      status: 'failed',
      reason: { code: 'authentication_failed', message: 'The payment was not approved. Try again and approve it with your payment provider.' },
      priceId: 'price_1',
      subscriptionId: null,
      createdAt: new Date((NOW - 60) * 1000).toISOString(),
      updatedAt: new Date(NOW * 1000).toISOString(),
    });
  });
});
