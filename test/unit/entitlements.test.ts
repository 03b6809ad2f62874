import { loadConfig } from '#adapters/config';
import type { SubscriptionSnapshot } from '#core/billing-events';
import { type CustomerRecords, entitlementKeys, entitlementsResponse, type StoredSubscription } from '#core/entitlements';

const config = loadConfig({ LINKOUT_CONFIG_FILE: 'config/linkout.example.json' });
const NOW = 1_800_000_000;
const iso = (s: number) => new Date(s * 1000).toISOString();

function stored(overrides: Partial<SubscriptionSnapshot>, updatedAt = '2027-01-01T00:00:00.000Z'): StoredSubscription {
  return {
    snapshot: {
      id: 'sub_1',
      customerId: 'cus_1',
      status: 'active',
      created: NOW - 100,
      items: [{ priceId: 'price_m', productId: 'prod_stock_photos', lookupKey: 'stock_photos_monthly', currentPeriodEnd: NOW + 1000 }],
      cancelAtPeriodEnd: false,
      cancelAt: null,
      pauseCollection: null,
      ...overrides,
    },
    snapshotCreated: NOW - 100,
    updatedAt,
  };
}

describe('entitlementKeys: catalog lookup', () => {
  const item = (productId: string, lookupKey: string | null) => [{ priceId: 'price_x', productId, lookupKey, currentPeriodEnd: null }];
  it.each([
    ['catalog product by id', item('prod_stock_photos', null), ['stock_photos']],
    ['catalog product with several keys', item('prod_stock_photos_pro', null), ['stock_photos', 'pro_editing']],
    [
      'price lookup key when the product id differs (another Stripe account)',
      item('prod_other_id', 'stock_photos_pro_monthly'),
      ['stock_photos', 'pro_editing'],
    ],
    ['unknown product falls back to its id', item('prod_unknown', 'nope'), ['prod_unknown']],
  ] as const)('%s', (_case, items, keys) => {
    expect(entitlementKeys(items, config.catalog).sort()).toEqual([...keys].sort());
  });

  it('adds a price’s own keys and falls back to the product id for a product without keys', () => {
    const catalog = {
      products: [
        {
          id: 'prod_a',
          name: 'A',
          entitlements: [],
          prices: [{ lookupKey: 'a_monthly', unitAmount: 1, currency: 'usd', interval: 'month' as const, intervalCount: 1, entitlements: ['extra'] }],
        },
      ],
    };
    expect(entitlementKeys([{ priceId: 'p', productId: 'prod_a', lookupKey: 'a_monthly', currentPeriodEnd: null }], catalog).sort()).toEqual([
      'extra',
      'prod_a',
    ]);
  });
});

describe('entitlementsResponse', () => {
  it('answers an account with no customer with active:false and empty lists', () => {
    expect(entitlementsResponse('acct_1', undefined, undefined, config, NOW)).toEqual({
      account: 'acct_1',
      customerId: null,
      active: false,
      entitlements: [],
      subscriptions: [],
      updatedAt: null,
    });
  });

  it('builds the v1 response for an active subscription', () => {
    const records: CustomerRecords = { subscriptions: [stored({})], deleted: false };
    expect(entitlementsResponse('acct_1', 'cus_1', records, config, NOW)).toEqual({
      account: 'acct_1',
      customerId: 'cus_1',
      active: true,
      entitlements: [{ key: 'stock_photos', expiresAt: iso(NOW + 1000), willRenew: true, billingIssue: false, subscriptionId: 'sub_1' }],
      subscriptions: [
        {
          id: 'sub_1',
          status: 'active',
          productId: 'prod_stock_photos',
          priceId: 'price_m',
          currentPeriodEnd: iso(NOW + 1000),
          cancelAtPeriodEnd: false,
          collectionPaused: false,
          pauseResumesAt: null,
          pauseKind: null,
          pausedUntil: null,
          grantsAccess: true,
        },
      ],
      updatedAt: '2027-01-01T00:00:00.000Z',
    });
  });

  it('lists a canceled subscription without granting anything', () => {
    const records: CustomerRecords = { subscriptions: [stored({ status: 'canceled' })], deleted: false };
    const response = entitlementsResponse('acct_1', 'cus_1', records, config, NOW);
    expect(response.active).toBe(false);
    expect(response.entitlements).toEqual([]);
    expect(response.subscriptions[0]).toMatchObject({ status: 'canceled', grantsAccess: false });
  });

  it('keeps the best subscription per key and the newest updatedAt', () => {
    const records: CustomerRecords = {
      deleted: false,
      subscriptions: [
        stored({ id: 'sub_ending', cancelAtPeriodEnd: true }, '2027-01-01T00:00:00.000Z'),
        stored(
          { id: 'sub_pro', items: [{ priceId: 'price_p', productId: 'prod_stock_photos_pro', lookupKey: null, currentPeriodEnd: NOW + 50 }] },
          '2027-02-01T00:00:00.000Z',
        ),
      ],
    };
    const response = entitlementsResponse('acct_1', 'cus_1', records, config, NOW);
    expect(response.entitlements).toEqual([
      { key: 'pro_editing', expiresAt: iso(NOW + 50), willRenew: true, billingIssue: false, subscriptionId: 'sub_pro' },
      { key: 'stock_photos', expiresAt: iso(NOW + 50), willRenew: true, billingIssue: false, subscriptionId: 'sub_pro' },
    ]);
    expect(response.updatedAt).toBe('2027-02-01T00:00:00.000Z');
  });

  it('grants nothing once the customer is deleted', () => {
    const records: CustomerRecords = { subscriptions: [stored({})], deleted: true, entitlementSummary: { lookupKeys: ['x'], updatedAt: 'z' } };
    const response = entitlementsResponse('acct_1', 'cus_1', records, config, NOW);
    expect(response.active).toBe(false);
    expect(response.entitlements).toEqual([]);
  });

  it('adds Stripe Entitlements summary keys', () => {
    const records: CustomerRecords = {
      subscriptions: [],
      deleted: false,
      entitlementSummary: { lookupKeys: ['raw_export'], updatedAt: '2027-03-01T00:00:00.000Z' },
    };
    const response = entitlementsResponse('acct_1', 'cus_1', records, config, NOW);
    expect(response.active).toBe(true);
    expect(response.entitlements).toEqual([{ key: 'raw_export', expiresAt: null, willRenew: true, billingIssue: false, subscriptionId: null }]);
  });
});

describe('entitlementsResponse: pauseKind and pausedUntil', () => {
  const withSchedule = (subscription: StoredSubscription, scheduledResumeAt: number): StoredSubscription => ({ ...subscription, scheduledResumeAt });
  it.each<[string, StoredSubscription, { grantsAccess: boolean; pauseKind: string | null; pausedUntil: string | null; collectionPaused: boolean }]>([
    ['active', stored({}), { grantsAccess: true, pauseKind: null, pausedUntil: null, collectionPaused: false }],
    [
      'collection paused until a time ahead',
      stored({ pauseCollection: { behavior: 'void', resumesAt: NOW + 60 } }),
      { grantsAccess: false, pauseKind: 'collection', pausedUntil: iso(NOW + 60), collectionPaused: true },
    ],
    [
      'collection paused without resumes_at',
      stored({ pauseCollection: { behavior: 'void', resumesAt: null } }),
      { grantsAccess: false, pauseKind: 'collection', pausedUntil: null, collectionPaused: true },
    ],
    [
      'collection pause whose resumes_at has passed (Stripe resumed it, its event still on the way)',
      stored({ pauseCollection: { behavior: 'void', resumesAt: NOW - 1 } }),
      { grantsAccess: true, pauseKind: null, pausedUntil: null, collectionPaused: false },
    ],
    [
      'status paused by the app, resume scheduled',
      withSchedule(stored({ status: 'paused' }), NOW + 3600),
      { grantsAccess: false, pauseKind: 'subscription', pausedUntil: iso(NOW + 3600), collectionPaused: false },
    ],
    [
      'status paused by the portal (Stripe resumes it; no schedule)',
      stored({ status: 'paused' }),
      { grantsAccess: false, pauseKind: 'subscription', pausedUntil: null, collectionPaused: false },
    ],
    [
      'resumed, a stale scheduledResumeAt left behind',
      withSchedule(stored({}), NOW + 3600),
      { grantsAccess: true, pauseKind: null, pausedUntil: null, collectionPaused: false },
    ],
  ])('%s', (_, subscription, expected) => {
    const response = entitlementsResponse('acct_1', 'cus_1', { subscriptions: [subscription], deleted: false }, config, NOW);
    expect(response.subscriptions[0]).toMatchObject(expected);
    expect(response.active).toBe(expected.grantsAccess);
  });
});
