/**
 * The backfill end to end: dynalite, and the Stripe emulator holding an account Linkout knows
 * nothing about (250 subscriptions, three pages, created with webhook delivery off), read with
 * stripe-node over HTTP. One scenario in order: an interrupted run and its resume, a second run
 * (already complete, then --restart), and a restart alongside live webhooks.
 */
import type Stripe from 'stripe';
import { DynamoAccountLinks } from '#adapters/dynamodb/account-links';
import { DynamoBackfillProgress } from '#adapters/dynamodb/backfill-progress';
import { documentClient } from '#adapters/dynamodb/client';
import { DynamoEntitlementStore } from '#adapters/dynamodb/entitlement-store';
import { createStripeClient } from '#adapters/stripe/client';
import { toSubscriptionSnapshot } from '#adapters/stripe/mapping';
import { StripeSubscriptionPages } from '#adapters/stripe/subscription-pages';
import { type BackfillPorts, runBackfill, type SubscriptionPages } from '#core/backfill';
import type { SubscriptionSnapshot } from '#core/billing-events';
import { nowInUnixSeconds } from '#core/clock';
import { useLocalDynamo } from '../helpers/dynamodb';
import { TEST_SECRET_KEY, useStripeEmulator } from '../helpers/stripe';
import { body, createHarness, type Harness } from './entitlement-harness';

const SUBSCRIPTIONS = 250;
const CUSTOMERS = 60;
/** Customers 0..39 name an account in their metadata; 40..59 name none. */
const WITH_ACCOUNT = 40;
const CANCELED_EVERY = 25;

describe('backfill of an existing Stripe account', () => {
  const db = useLocalDynamo();
  const emu = useStripeEmulator();
  let h: Harness;
  let stripe: Stripe;
  let stripeRequests = 0;
  const customerIds: string[] = [];

  beforeAll(async () => {
    h = createHarness({ dynamoEndpoint: db.endpoint, tableName: db.tableName, stripeApiUrl: emu.emulator.url });
    // The backfill's own client, counted; no retries so that each injected fault is one failed request.
    stripe = createStripeClient({ secretKey: TEST_SECRET_KEY, apiUrl: emu.emulator.url, maxNetworkRetries: 0 });
    stripe.on('request', () => stripeRequests++);

    const [price] = (await emu.stripe.prices.list({ lookup_keys: ['stock_photos_monthly'] })).data;
    for (let n = 0; n < CUSTOMERS; n++) {
      const customer = await emu.stripe.customers.create(n < WITH_ACCOUNT ? { metadata: { app_account_id: `acct_${n}` } } : {});
      customerIds.push(customer.id);
    }
    for (let n = 0; n < SUBSCRIPTIONS; n++) {
      const subscription = await emu.stripe.subscriptions.create({ customer: customerIds[n % CUSTOMERS]!, items: [{ price: price!.id }] });
      if (n % CANCELED_EVERY === 0) await emu.stripe.subscriptions.cancel(subscription.id);
    }
  }, 60_000);
  afterAll(() => h?.close());

  const dynamo = () => documentClient(h.dynamo);
  function ports(overrides: Partial<BackfillPorts> = {}): BackfillPorts {
    return {
      pages: new StripeSubscriptionPages(() => stripe),
      links: new DynamoAccountLinks(dynamo(), db.tableName),
      store: new DynamoEntitlementStore(dynamo(), db.tableName),
      progress: new DynamoBackfillProgress(dynamo(), db.tableName),
      pace: async () => {},
      sleep: async () => {},
      now: nowInUnixSeconds,
      ...overrides,
    };
  }

  async function stripeSnapshots(): Promise<Map<string, SubscriptionSnapshot>> {
    const all = new Map<string, SubscriptionSnapshot>();
    for await (const subscription of emu.stripe.subscriptions.list({ status: 'all', limit: 100 }))
      all.set(subscription.id, toSubscriptionSnapshot(subscription));
    return all;
  }

  async function storedSnapshots(): Promise<Map<string, SubscriptionSnapshot>> {
    const all = new Map<string, SubscriptionSnapshot>();
    for (const customerId of customerIds) {
      for (const stored of (await h.store.customerRecords(customerId))?.subscriptions ?? []) all.set(stored.snapshot.id, stored.snapshot);
    }
    return all;
  }

  it('is interrupted by a Stripe failure on page 2, and the rerun completes without reading page 1 again', async () => {
    expect(await storedSnapshots()).toEqual(new Map());
    stripeRequests = 0;
    const failAfterFirstPage = ports({
      onPage: (progress) => {
        if (progress.pages === 1) emu.emulator.injectFault({ status: 500, path: '/v1/subscriptions', method: 'GET' });
      },
    });
    await expect(runBackfill(failAfterFirstPage)).rejects.toMatchObject({ code: 'stripe_failed' });
    expect(stripeRequests).toBe(2);
    expect(await new DynamoBackfillProgress(dynamo(), db.tableName).load()).toMatchObject({ pages: 1, subscriptions: 100 });

    const outcome = await runBackfill(ports());
    // Pages 2 and 3 only: the failed page once more, nothing before it.
    expect(stripeRequests).toBe(4);
    expect(outcome).toMatchObject({
      kind: 'completed',
      resumed: true,
      progress: { pages: 3, subscriptions: SUBSCRIPTIONS, written: SUBSCRIPTIONS, stale: 0, linked: WITH_ACCOUNT, conflicts: 0 },
    });
    // Each customer is counted once per page it is on: all 60 on pages 1 and 2, customers 0-49 on the last page of 50.
    expect(outcome.progress.linked + outcome.progress.alreadyLinked + outcome.progress.withoutAccount).toBe(CUSTOMERS + CUSTOMERS + 50);

    expect(await storedSnapshots()).toEqual(await stripeSnapshots());
    for (let n = 0; n < WITH_ACCOUNT; n++) expect(await h.links.customerForAccount(`acct_${n}`)).toBe(customerIds[n]);
    for (let n = WITH_ACCOUNT; n < CUSTOMERS; n++) expect(await h.links.accountForCustomer(customerIds[n]!)).toBeUndefined();

    // The app sees access at once: GET /v1/entitlements of an account Linkout never had an event for.
    const entitlements = body(await h.getEntitlements('acct_7'));
    expect(entitlements).toMatchObject({ account: 'acct_7', customerId: customerIds[7], active: true });
    expect(entitlements.subscriptions.length).toBeGreaterThan(0);
  });

  it('run twice: a complete backfill reads and writes nothing; --restart changes nothing and links nobody again', async () => {
    const before = await storedSnapshots();
    stripeRequests = 0;
    h.resetCounts();
    const again = await runBackfill(ports());
    expect(again.kind).toBe('already_complete');
    expect(stripeRequests).toBe(0);
    expect(h.counts.writes).toBe(0);

    const restarted = await runBackfill(ports(), { restart: true });
    expect(stripeRequests).toBe(3);
    expect(restarted.progress).toMatchObject({ pages: 3, subscriptions: SUBSCRIPTIONS, linked: 0, conflicts: 0, alreadyLinked: 3 * WITH_ACCOUNT });
    // One ordered write per subscription and one progress save per page: no link was written.
    expect(h.counts.writes).toBe(SUBSCRIPTIONS + 3);
    expect(await storedSnapshots()).toEqual(before);
  });

  it('alongside live webhooks: a change made after the read wins, delivered before or after the backfill writes', async () => {
    let deliverAfter: Stripe.Event | undefined;
    const pages = new StripeSubscriptionPages(() => stripe);
    const racingPages: SubscriptionPages = {
      async page(startingAfter, limit) {
        const page = await pages.page(startingAfter, limit);
        if (startingAfter !== undefined) return page;
        // After the first page was read: two of its subscriptions are canceled in Stripe.
        const [early, late] = page.subscriptions.filter((s) => s.status === 'active');
        await emu.stripe.subscriptions.cancel(early!.id);
        await emu.stripe.subscriptions.cancel(late!.id);
        const deleted = (id: string) =>
          emu.emulator.events().find((e) => e.type === 'customer.subscription.deleted' && (e.data.object as { id: string }).id === id)!;
        // One webhook arrives before the backfill writes the page, the other after.
        expect((await h.deliverEvent(deleted(early!.id))).statusCode).toBe(200);
        deliverAfter = deleted(late!.id);
        return page;
      },
    };
    const outcome = await runBackfill(ports({ pages: racingPages }), { restart: true });
    // The read copy of the subscription whose cancellation landed first was refused as older.
    expect(outcome.progress).toMatchObject({ subscriptions: SUBSCRIPTIONS, stale: 1, written: SUBSCRIPTIONS - 1 });
    expect((await h.deliverEvent(deliverAfter!)).statusCode).toBe(200);

    const stored = await storedSnapshots();
    const truth = await stripeSnapshots();
    expect([...stored.values()].filter((s) => s.status === 'canceled')).toHaveLength([...truth.values()].filter((s) => s.status === 'canceled').length);
    expect(stored).toEqual(truth);
  });
});
