/**
 * POST /v1/subscriptions' use case with in-memory ports: what a purchase costs in port calls, and
 * that every refusal happens before anything is written (no customer, no SetupIntent, no record).
 */
import { readFileSync } from 'node:fs';
import { DEFAULT_CONFIG_FILE } from '#adapters/config';
import type { SubscriptionSnapshot } from '#core/billing-events';
import type { CatalogPrices, CustomerSubscriptions } from '#core/checkout-sessions';
import { parseConfig } from '#core/config-validation';
import { AppError } from '#core/errors';
import type { AmazonPaySetup, AmazonPaySetupParams, AmazonPaySetups, CustomerAcceptance } from '#core/subscription-purchases';
import { AMAZON_PAY_DEDUPE_WINDOW_SECONDS, createAmazonPaySubscription } from '#core/subscription-purchases';
import { InMemoryAccountLinks } from '../fakes/account-links';
import { CallLog } from '../fakes/call-log';
import { InMemoryBillingCustomers } from '../fakes/portal';
import { InMemoryPurchaseRecords } from '../fakes/purchases';

const config = parseConfig(JSON.parse(readFileSync(DEFAULT_CONFIG_FILE, 'utf8')));
const NOW = 1_900_000_020;
const ACCEPTANCE: CustomerAcceptance = { ipAddress: '203.0.113.7', userAgent: 'LumenPhotos/3.1 iOS/19' };
const PRICES = new Map([
  ['stock_photos_monthly', 'price_monthly'],
  ['stock_photos_yearly', 'price_yearly'],
]);

/** Stripe's prices by lookup key; the adapter's cache is modelled by listing only once. */
class FakeCatalogPrices implements CatalogPrices {
  private cached: ReadonlyMap<string, string> | undefined;
  constructor(private readonly log: CallLog) {}
  async priceIdsByLookupKey(): Promise<ReadonlyMap<string, string>> {
    if (!this.cached) {
      this.log.record('prices.list', []);
      this.cached = PRICES;
    }
    return this.cached;
  }
}

class FakeCustomerSubscriptions implements CustomerSubscriptions {
  readonly byCustomer = new Map<string, SubscriptionSnapshot[]>();
  constructor(private readonly log: CallLog) {}
  async currentSubscriptions(customerId: string): Promise<SubscriptionSnapshot[]> {
    this.log.record('subscriptions.currentSubscriptions', [customerId]);
    return this.byCustomer.get(customerId) ?? [];
  }
}

/** One SetupIntent per distinct request and window, as Stripe's idempotency key gives. */
class FakeAmazonPaySetups implements AmazonPaySetups {
  readonly created = new Map<string, AmazonPaySetup>();
  constructor(private readonly log: CallLog) {}
  async createAndConfirm(params: AmazonPaySetupParams): Promise<AmazonPaySetup> {
    this.log.record('setups.createAndConfirm', [params]);
    const key = JSON.stringify(params);
    if (!this.created.has(key)) {
      const id = `seti_${this.created.size + 1}`;
      this.created.set(key, { id, status: 'requires_action', redirectUrl: `https://amazon.example/approve/${id}` });
    }
    return this.created.get(key)!;
  }
}

function world() {
  const log = new CallLog();
  const links = new InMemoryAccountLinks();
  const clock = { now: NOW };
  const ports = {
    customers: new InMemoryBillingCustomers(links, log),
    prices: new FakeCatalogPrices(log),
    subscriptions: new FakeCustomerSubscriptions(log),
    setups: new FakeAmazonPaySetups(log),
    purchases: new InMemoryPurchaseRecords(log),
    now: () => clock.now,
  };
  const buy = (body: unknown, caller: { accountId: string; role: string | undefined } = { accountId: 'acct_1', role: 'owner' }, acceptance = ACCEPTANCE) =>
    createAmazonPaySubscription(config, caller, { body: typeof body === 'string' ? body : JSON.stringify(body), acceptance }, ports);
  return { log, links, ports, buy, clock };
}

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected an AppError');
}

const WRITES = ['customers.customerIdForAccount', 'setups.createAndConfirm', 'purchases.create'];

describe('a purchase with Amazon Pay', () => {
  it('creates one SetupIntent for the catalog price with the acceptance and the return page, then records the purchase', async () => {
    const { buy, log, ports } = world();
    const result = await buy({ priceId: 'stock_photos_monthly', paymentMethod: 'amazon_pay' });

    expect(result).toEqual({ setupIntentId: 'seti_1', status: 'requires_action', redirectUrl: 'https://amazon.example/approve/seti_1' });
    expect(log.calls).toEqual([
      'prices.list',
      'customers.customerIdForAccount',
      'subscriptions.currentSubscriptions',
      'setups.createAndConfirm',
      'purchases.create',
    ]);
    expect(log.argsOf('setups.createAndConfirm')).toEqual([
      [
        {
          accountId: 'acct_1',
          customerId: 'cus_created_1',
          priceId: 'price_monthly',
          returnUrl: 'https://links.lumenphotos.example/checkout_redirect/return',
          acceptance: ACCEPTANCE,
          dedupeWindow: NOW - (NOW % 10),
        },
      ],
    ]);
    expect(ports.purchases.purchases.get('seti_1')).toEqual({
      id: 'seti_1',
      kind: 'setup_intent',
      accountId: 'acct_1',
      customerId: 'cus_created_1',
      priceId: 'price_monthly',
      status: 'pending',
      reason: null,
      subscriptionId: null,
      createdAt: NOW,
      updatedAt: NOW,
    });
  });

  it('a second purchase of the account reuses its customer and the cached prices', async () => {
    const { buy, log, ports } = world();
    await buy({ priceId: 'stock_photos_monthly', paymentMethod: 'amazon_pay' });
    log.clear();
    await buy({ priceId: 'price_yearly', paymentMethod: 'amazon_pay' });
    expect(log.calls).toEqual(['customers.customerIdForAccount', 'subscriptions.currentSubscriptions', 'setups.createAndConfirm', 'purchases.create']);
    expect(ports.customers.created).toEqual(['cus_created_1']);
  });

  it('a double tap gets the same SetupIntent and keeps one record', async () => {
    const { buy, ports } = world();
    const [first, second] = await Promise.all([
      buy({ priceId: 'stock_photos_monthly', paymentMethod: 'amazon_pay' }),
      buy({ priceId: 'stock_photos_monthly', paymentMethod: 'amazon_pay' }),
    ]);
    expect(second).toEqual(first);
    expect(ports.setups.created.size).toBe(1);
    expect([...ports.purchases.purchases.keys()]).toEqual(['seti_1']);
  });

  it('a customer who declined and tries again seconds later gets a new SetupIntent, not the declined one', async () => {
    const { buy, ports, clock } = world();
    const declined = await buy({ priceId: 'stock_photos_monthly', paymentMethod: 'amazon_pay' });
    clock.now += AMAZON_PAY_DEDUPE_WINDOW_SECONDS;
    const retried = await buy({ priceId: 'stock_photos_monthly', paymentMethod: 'amazon_pay' });
    expect(retried.setupIntentId).not.toBe(declined.setupIntentId);
    expect(ports.setups.created.size).toBe(2);
  });
});

describe('refusals change nothing', () => {
  it.each([
    ['a member', { priceId: 'stock_photos_monthly', paymentMethod: 'amazon_pay' }, { role: 'member' }, 'purchase_not_allowed', 'forbidden'],
    ['no role claim', { priceId: 'stock_photos_monthly', paymentMethod: 'amazon_pay' }, { role: undefined }, 'purchase_not_allowed', 'forbidden'],
    ['a price outside the catalog', { priceId: 'price_elsewhere', paymentMethod: 'amazon_pay' }, {}, 'price_not_in_catalog', 'invalid_request'],
    ['a catalog price missing in Stripe', { priceId: 'stock_photos_pro_monthly', paymentMethod: 'amazon_pay' }, {}, 'price_not_synced', 'unavailable'],
    [
      'a return path outside the allowlist',
      { priceId: 'stock_photos_monthly', paymentMethod: 'amazon_pay', returnPath: '/portal_redirect' },
      {},
      'return_path_not_allowed',
      'invalid_request',
    ],
    ['another payment method', { priceId: 'stock_photos_monthly', paymentMethod: 'card' }, {}, 'invalid_request', 'invalid_request'],
    ['no payment method', { priceId: 'stock_photos_monthly' }, {}, 'invalid_request', 'invalid_request'],
    [
      'a customer id from the client',
      { priceId: 'stock_photos_monthly', paymentMethod: 'amazon_pay', customer: 'cus_other' },
      {},
      'invalid_request',
      'invalid_request',
    ],
    ['malformed JSON', '{"priceId":', {}, 'invalid_json', 'invalid_request'],
  ])('%s -> %s, no write', async (_name, body, callerOverride, code, kind) => {
    const { buy, log, ports } = world();
    const error = await refusal(buy(body, { accountId: 'acct_1', role: 'owner', ...callerOverride }));
    expect([error.kind, error.code]).toEqual([kind, code]);
    expect(log.calls.filter((call) => WRITES.includes(call))).toEqual([]);
    expect(ports.customers.created).toEqual([]);
    expect(ports.purchases.purchases.size).toBe(0);
  });

  it('a request without a user agent is refused before Stripe: the mandate needs it', async () => {
    const { buy, log } = world();
    const error = await refusal(buy({ priceId: 'stock_photos_monthly', paymentMethod: 'amazon_pay' }, undefined, { ipAddress: '203.0.113.7', userAgent: '' }));
    expect([error.kind, error.code]).toEqual(['invalid_request', 'user_agent_required']);
    expect(log.calls).toEqual([]);
  });

  it('an account with a subscription that grants access gets 409 already_subscribed, and no SetupIntent', async () => {
    const { buy, log, ports, links } = world();
    await links.link('acct_1', 'cus_existing');
    ports.subscriptions.byCustomer.set('cus_existing', [
      {
        id: 'sub_live',
        customerId: 'cus_existing',
        status: 'active',
        created: NOW - 86_400,
        items: [{ priceId: 'price_monthly', productId: 'prod_stock_photos', lookupKey: 'stock_photos_monthly', currentPeriodEnd: NOW + 30 * 86_400 }],
        cancelAtPeriodEnd: false,
        cancelAt: null,
        pauseCollection: null,
      },
    ]);
    const error = await refusal(buy({ priceId: 'stock_photos_yearly', paymentMethod: 'amazon_pay' }));
    expect([error.kind, error.code]).toEqual(['conflict', 'already_subscribed']);
    expect(log.calls).not.toContain('setups.createAndConfirm');
    expect(ports.purchases.purchases.size).toBe(0);
  });
});
