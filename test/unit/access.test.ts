import { type AccessRules, subscriptionAccess } from '#core/access';
import { SUBSCRIPTION_STATUSES, type SubscriptionSnapshot } from '#core/billing-events';

const NOW = 1_800_000_000;
const DAY = 86_400;
const defaults: AccessRules = { pastDueGrantsAccess: true, pausedCollectionSuspendsAccess: true };

function subscription(overrides: Partial<SubscriptionSnapshot> = {}): SubscriptionSnapshot {
  return {
    id: 'sub_1',
    customerId: 'cus_1',
    status: 'active',
    created: NOW - 30 * DAY,
    items: [{ priceId: 'price_1', productId: 'prod_stock_photos', lookupKey: 'stock_photos_monthly', currentPeriodEnd: NOW + 10 * DAY }],
    cancelAtPeriodEnd: false,
    cancelAt: null,
    pauseCollection: null,
    ...overrides,
  };
}

describe('subscriptionAccess: every status', () => {
  it.each([
    ['active', true, false, true],
    ['trialing', true, false, true],
    ['past_due', true, true, true],
    ['unpaid', false, true, false],
    ['canceled', false, false, false],
    ['incomplete', false, false, false],
    ['incomplete_expired', false, false, false],
    ['paused', false, false, false],
  ] as const)('%s grants=%s billingIssue=%s willRenew=%s', (status, grants, billingIssue, willRenew) => {
    const access = subscriptionAccess(subscription({ status }), defaults, NOW);
    expect(access).toMatchObject({ grantsAccess: grants, billingIssue, willRenew, collectionPaused: false });
  });

  it('covers every Stripe status', () => {
    expect([...SUBSCRIPTION_STATUSES].sort()).toEqual(
      ['active', 'canceled', 'incomplete', 'incomplete_expired', 'past_due', 'paused', 'trialing', 'unpaid'].sort(),
    );
  });
});

describe('subscriptionAccess: flags and switches', () => {
  const periodEnd = NOW + 10 * DAY;
  it.each([
    [
      'past_due with pastDueGrantsAccess off',
      subscription({ status: 'past_due' }),
      { ...defaults, pastDueGrantsAccess: false },
      { grantsAccess: false, billingIssue: true },
    ],
    [
      'cancel_at_period_end keeps access until the period end without renewal',
      subscription({ cancelAtPeriodEnd: true, cancelAt: periodEnd }),
      defaults,
      { grantsAccess: true, willRenew: false, expiresAt: periodEnd },
    ],
    [
      'cancel_at_period_end after the period end: access ends without an event',
      subscription({ cancelAtPeriodEnd: true, items: [{ priceId: 'p', productId: 'prod_x', lookupKey: null, currentPeriodEnd: NOW - 1 }] }),
      defaults,
      { grantsAccess: false, willRenew: false },
    ],
    ['a scheduled cancel_at in the future', subscription({ cancelAt: NOW + DAY }), defaults, { grantsAccess: true, willRenew: false, expiresAt: NOW + DAY }],
    ['a scheduled cancel_at that has passed', subscription({ cancelAt: NOW - 5 }), defaults, { grantsAccess: false }],
    [
      'a renewing subscription expires at its period end',
      subscription(),
      defaults,
      { grantsAccess: true, willRenew: true, expiresAt: periodEnd, currentPeriodEnd: periodEnd },
    ],
    [
      'the latest period end across items',
      subscription({
        items: [
          { priceId: 'a', productId: 'prod_a', lookupKey: null, currentPeriodEnd: NOW + DAY },
          { priceId: 'b', productId: 'prod_b', lookupKey: null, currentPeriodEnd: NOW + 3 * DAY },
        ],
      }),
      defaults,
      { currentPeriodEnd: NOW + 3 * DAY },
    ],
    ['no items: no period end', subscription({ items: [] }), defaults, { currentPeriodEnd: null, expiresAt: null, grantsAccess: true }],
    [
      'pause_collection without resumes_at suspends access',
      subscription({ pauseCollection: { behavior: 'void', resumesAt: null } }),
      defaults,
      { grantsAccess: false, collectionPaused: true, pauseResumesAt: null },
    ],
    [
      'pause_collection until a future date suspends access',
      subscription({ pauseCollection: { behavior: 'keep_as_draft', resumesAt: NOW + DAY } }),
      defaults,
      { grantsAccess: false, collectionPaused: true, pauseResumesAt: NOW + DAY },
    ],
    [
      'pause_collection whose resumes_at has passed: access is back without an event',
      subscription({ pauseCollection: { behavior: 'void', resumesAt: NOW - 1 } }),
      defaults,
      { grantsAccess: true, collectionPaused: false, pauseResumesAt: null },
    ],
    [
      'pause_collection with pausedCollectionSuspendsAccess off',
      subscription({ pauseCollection: { behavior: 'mark_uncollectible', resumesAt: null } }),
      { ...defaults, pausedCollectionSuspendsAccess: false },
      { grantsAccess: true, collectionPaused: true },
    ],
    ['a trial grants access and renews', subscription({ status: 'trialing' }), defaults, { grantsAccess: true, willRenew: true, billingIssue: false }],
  ] as const)('%s', (_case, snapshot, rules, expected) => {
    expect(subscriptionAccess(snapshot, rules, NOW)).toMatchObject(expected);
  });
});

describe('subscriptionAccess: invoice signals', () => {
  it.each([
    ['a failed payment newer than the snapshot raises the billing issue', 'active', { created: 200, paymentFailed: true }, 100, true],
    ['a failed payment in the snapshot second raises it too', 'active', { created: 100, paymentFailed: true }, 100, true],
    ['a paid invoice newer than a past_due snapshot clears it', 'past_due', { created: 200, paymentFailed: false }, 100, false],
    ['an older failed payment does not override a newer active snapshot', 'active', { created: 50, paymentFailed: true }, 100, false],
    ['an older paid invoice does not hide a newer past_due snapshot', 'past_due', { created: 50, paymentFailed: false }, 100, true],
  ] as const)('%s', (_case, status, invoice, snapshotCreated, billingIssue) => {
    const access = subscriptionAccess(subscription({ status }), defaults, NOW, { invoiceId: 'in_1', ...invoice }, snapshotCreated);
    expect(access.billingIssue).toBe(billingIssue);
  });
});
