/**
 * Replays a large, shuffled, duplicated event history and checks that what is stored is exactly what
 * the newest event of every subscription implies, whatever the delivery order; one subscription's
 * newest two events share a second (a tie) and must be settled by the Stripe API, not by guessing.
 */
import type Stripe from 'stripe';
import { toSubscriptionSnapshot } from '#adapters/stripe/mapping';
import { nowInUnixSeconds } from '#core/clock';
import { useLocalDynamo } from '../helpers/dynamodb';
import { useStripeEmulator } from '../helpers/stripe';
import { body, createHarness, type Harness, invoiceObject, type SubscriptionState, seededRandom, stripeEvent, subscriptionObject } from './entitlement-harness';

const SUBSCRIPTIONS = 200;
const CUSTOMERS = 100;
const EVENTS_PER_SUBSCRIPTION = 10;
const DUPLICATE_SHARE = 0.2;
const CONCURRENCY = 8;
const NOW = nowInUnixSeconds();
const BASE = NOW - 200_000;

const PLANS = [
  { productId: 'prod_stock_photos', priceId: 'price_sp_m', lookupKey: 'stock_photos_monthly' },
  { productId: 'prod_stock_photos', priceId: 'price_sp_y', lookupKey: 'stock_photos_yearly' },
  { productId: 'prod_stock_photos_pro', priceId: 'price_pro_m', lookupKey: 'stock_photos_pro_monthly' },
];

interface History {
  subscriptionId: string;
  customerId: string;
  events: Stripe.Event[];
}

/** A plausible life of one subscription: strictly increasing seconds, terminal only at the end. */
function generateHistory(index: number, random: () => number): History {
  const subscriptionId = `sub_replay_${index}`;
  const customerId = `cus_replay_${index % CUSTOMERS}`;
  const events: Stripe.Event[] = [];
  let at = BASE + Math.floor(random() * 1000);
  const plan = () => PLANS[Math.floor(random() * PLANS.length)]!;
  let state: SubscriptionState = { id: subscriptionId, customer: customerId, status: 'active', ...plan(), currentPeriodEnd: NOW + 30 * 86_400 };
  const length = EVENTS_PER_SUBSCRIPTION;
  for (let i = 0; i < length; i++) {
    at += 1 + Math.floor(random() * 60);
    const last = i === length - 1;
    const roll = random();
    if (i === 0) {
      events.push(stripeEvent(`evt_r${index}_${i}`, 'customer.subscription.created', at, subscriptionObject(state)));
      continue;
    }
    if (roll < 0.25) {
      const failed = random() < 0.5;
      events.push(
        stripeEvent(
          `evt_r${index}_${i}`,
          failed ? 'invoice.payment_failed' : 'invoice.paid',
          at,
          invoiceObject(`in_r${index}_${i}`, customerId, subscriptionId),
        ),
      );
      continue;
    }
    if (last && roll > 0.7) {
      state = { ...state, status: 'canceled', cancelAtPeriodEnd: false, paused: false };
      events.push(stripeEvent(`evt_r${index}_${i}`, 'customer.subscription.deleted', at, subscriptionObject(state)));
      continue;
    }
    const change = random();
    if (change < 0.25) state = { ...state, status: random() < 0.5 ? 'past_due' : 'active' };
    else if (change < 0.5) state = { ...state, cancelAtPeriodEnd: !state.cancelAtPeriodEnd };
    else if (change < 0.75) state = { ...state, paused: !state.paused, pauseResumesAt: random() < 0.5 ? null : NOW + 86_400 };
    else state = { ...state, ...plan(), currentPeriodEnd: (state.currentPeriodEnd ?? NOW) + 86_400 };
    events.push(
      stripeEvent(`evt_r${index}_${i}`, state.paused ? 'customer.subscription.paused' : 'customer.subscription.updated', at, subscriptionObject(state)),
    );
  }
  return { subscriptionId, customerId, events };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

const newest = (events: Stripe.Event[], kind: 'subscription' | 'invoice') =>
  events.filter((e) => e.type.startsWith(kind === 'subscription' ? 'customer.subscription.' : 'invoice.')).sort((a, b) => b.created - a.created)[0];

/** The invoice signal the newest invoice event implies; none without invoice events. */
function expectedInvoiceSignal(events: Stripe.Event[]) {
  const invoice = newest(events, 'invoice');
  if (!invoice) return undefined;
  return { invoiceId: (invoice.data.object as Stripe.Invoice).id, paymentFailed: invoice.type === 'invoice.payment_failed', created: invoice.created };
}

describe('replay: 2,000+ events, shuffled, 20% duplicates', () => {
  const db = useLocalDynamo();
  const stripe = useStripeEmulator();
  let h: Harness;
  beforeAll(() => {
    h = createHarness({ dynamoEndpoint: db.endpoint, tableName: db.tableName, stripeApiUrl: stripe.emulator.url, now: () => NOW });
  });
  afterAll(() => h.close());

  it('stores exactly the state implied by the newest event of every subscription', async () => {
    const random = seededRandom(20261121);
    const histories = Array.from({ length: SUBSCRIPTIONS }, (_, i) => generateHistory(i, random));

    // The tie: a real subscription whose newest two events share one second.
    const customer = await stripe.stripe.customers.create({ metadata: { app_account_id: 'acct_replay_tie' } });
    const price = (await stripe.stripe.prices.list({ lookup_keys: ['stock_photos_pro_monthly'] })).data[0]!;
    const created = await stripe.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    const paused = await stripe.stripe.subscriptions.update(created.id, { pause_collection: { behavior: 'void' } });
    const truth = await stripe.stripe.subscriptions.update(created.id, { cancel_at_period_end: true });
    const tieSecond = BASE + 5_000;
    histories.push({
      subscriptionId: created.id,
      customerId: customer.id,
      events: [
        stripeEvent('evt_tie_0', 'customer.subscription.created', tieSecond - 60, created),
        stripeEvent('evt_tie_1', 'customer.subscription.paused', tieSecond, paused),
        stripeEvent('evt_tie_2', 'customer.subscription.updated', tieSecond, truth),
      ],
    });

    for (let c = 0; c < CUSTOMERS; c++) await h.links.link(`acct_replay_${c}`, `cus_replay_${c}`);
    await h.links.link('acct_replay_tie', customer.id);

    const unique = histories.flatMap((history) => history.events);
    const duplicates = unique.filter(() => random() < DUPLICATE_SHARE);
    // The tie's two events arrive first, together, and again in the shuffled order: the tie is
    // settled at once, and every later copy of either event must be a duplicate, not a second Stripe call.
    const tieEvents = histories.at(-1)!.events.filter((event) => event.created === tieSecond);
    const deliveries = [...tieEvents, ...shuffle([...unique, ...duplicates], random)];
    expect(unique.length).toBeGreaterThanOrEqual(2000);
    expect(new Set(histories.map((history) => history.subscriptionId)).size).toBeGreaterThanOrEqual(200);
    expect(duplicates.length / unique.length).toBeGreaterThan(0.15);
    expect(histories.filter((history) => newest(history.events, 'invoice')).length).toBeGreaterThan(0);
    expect(histories.filter((history) => !newest(history.events, 'invoice')).length).toBeGreaterThan(0);

    // Two copies of one tie event handled at the same moment would both (rightly) ask Stripe; the
    // copies of each tie event are kept well apart so that the counts below are exact.
    expect(tieEvents.map((event) => event.id)).toEqual(['evt_tie_1', 'evt_tie_2']);
    for (const { id } of tieEvents) {
      const positions = deliveries.flatMap((event, index) => (event.id === id ? [index] : []));
      expect(positions).toHaveLength(2);
      expect(positions[1]! - positions[0]!).toBeGreaterThan(CONCURRENCY * 4);
    }

    h.resetCounts();
    const outcomes: Record<string, number> = {};
    await inParallel(deliveries, CONCURRENCY, async (event) => {
      const response = await h.deliverEvent(event);
      expect(response.statusCode).toBe(200);
      const { outcome } = body(response) as { outcome: string };
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    });

    // One conditional write per delivery, plus the single write that settles the tie.
    expect(h.counts.writes).toBe(deliveries.length + 1);
    expect(h.counts.stripeCalls).toBe(1);
    expect(outcomes.duplicate! + outcomes.stale!).toBeGreaterThanOrEqual(duplicates.length + tieEvents.length);
    expect(outcomes.applied).toBeGreaterThanOrEqual(histories.length);

    for (const history of histories) {
      const records = await h.store.customerRecords(history.customerId);
      const stored = records.subscriptions.find((s) => s.snapshot.id === history.subscriptionId);
      const expectedObject = history.subscriptionId === created.id ? truth : (newest(history.events, 'subscription')!.data.object as Stripe.Subscription);
      expect(stored?.snapshot).toEqual(toSubscriptionSnapshot(expectedObject));
      expect(stored?.invoice).toEqual(expectedInvoiceSignal(history.events));
    }

    const tieView = body(await h.getEntitlements('acct_replay_tie'));
    expect(tieView.subscriptions).toEqual([expect.objectContaining({ id: created.id, cancelAtPeriodEnd: true, collectionPaused: true, grantsAccess: false })]);
    // dynalite on a busy two-core machine is the bottleneck here; the time budget lives in `npm run bench`.
  }, 120_000);
});
