/**
 * customer.subscription.paused and .resumed through the webhook handler, DynamoDB (dynalite) and the
 * Stripe emulator: the events are the emulator's own (Stripe sends `.paused`/`.resumed` and an
 * `.updated` in the same second), delivered in order, twice, out of order and in one second, and
 * GET /v1/entitlements must follow: no access while the status is `paused`, access again once resumed.
 * The same rules over in-memory fakes are in test/unit/entitlements-sync.test.ts.
 */
import type Stripe from 'stripe';
import { nowInUnixSeconds } from '#core/clock';
import { useLocalDynamo } from '../helpers/dynamodb';
import { useStripeEmulator } from '../helpers/stripe';
import { body, createHarness, type Harness } from './entitlement-harness';

/**
 * The emulator's clock, moved by hand so each Stripe action lands in a known second. It starts in
 * the recent past, so event timestamps stay plausible next to the handler's real clock.
 */
const clock = { now: nowInUnixSeconds() - 3_600 };

describe('customer.subscription.paused / .resumed (webhook + dynalite + Stripe emulator)', () => {
  const db = useLocalDynamo();
  const emu = useStripeEmulator(() => ({ now: () => clock.now }));
  let h: Harness;
  beforeAll(() => {
    h = createHarness({ dynamoEndpoint: db.endpoint, tableName: db.tableName, stripeApiUrl: emu.emulator.url });
  });
  afterAll(() => h.close());

  /** A customer that names its account, with an active monthly subscription, one minute on the clock later. */
  async function subscribed(accountId: string): Promise<Stripe.Subscription> {
    const customer = await emu.stripe.customers.create({ metadata: { app_account_id: accountId } });
    const price = (await emu.stripe.prices.list({ lookup_keys: ['stock_photos_monthly'] })).data[0]!;
    const subscription = await emu.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    clock.now += 60;
    return subscription;
  }

  /** The subscription's events of `type` so far, oldest first (Stripe's own payloads). */
  const eventsOf = (subscriptionId: string, type: string) =>
    emu.emulator.events().filter((event) => event.type === type && (event.data.object as { id: string }).id === subscriptionId);
  const only = (subscriptionId: string, type: string) => {
    const events = eventsOf(subscriptionId, type);
    expect(events).toHaveLength(1);
    return events[0]!;
  };
  /** The `.updated` event Stripe sent in the same second as `event`. */
  const updatedAlongside = (event: Stripe.Event) => {
    const id = (event.data.object as { id: string }).id;
    const found = eventsOf(id, 'customer.subscription.updated').filter((candidate) => candidate.created === event.created);
    expect(found).toHaveLength(1);
    return found[0]!;
  };
  const outcome = async (event: Stripe.Event) => {
    const response = await h.deliverEvent(event);
    expect(response.statusCode).toBe(200);
    return body(response).outcome as string;
  };
  const subscriptionView = async (accountId: string) => {
    const view = body(await h.getEntitlements(accountId));
    expect(view.subscriptions).toHaveLength(1);
    return { active: view.active as boolean, keys: view.entitlements.map((e: { key: string }) => e.key), ...view.subscriptions[0] };
  };

  it('in order, each delivered twice: copies are duplicates; access goes off while paused and comes back once resumed', async () => {
    const subscription = await subscribed('acct_pause_order');
    expect(await outcome(only(subscription.id, 'customer.subscription.created'))).toBe('applied');
    expect(await subscriptionView('acct_pause_order')).toMatchObject({ status: 'active', grantsAccess: true, active: true });

    await emu.stripe.subscriptions.pause(subscription.id, {});
    const paused = only(subscription.id, 'customer.subscription.paused');
    expect(await outcome(paused)).toBe('applied');
    expect(await outcome(paused)).toBe('duplicate');
    expect(await subscriptionView('acct_pause_order')).toMatchObject({
      status: 'paused',
      grantsAccess: false,
      active: false,
      keys: [],
      pauseKind: 'subscription',
      pausedUntil: null,
    });
    // Stripe's .updated of the same second is a tie: settled by reading Stripe, which still says paused.
    h.resetCounts();
    expect(await outcome(updatedAlongside(paused))).toBe('applied');
    expect(h.counts.stripeCalls).toBe(1);
    expect(await subscriptionView('acct_pause_order')).toMatchObject({ status: 'paused', grantsAccess: false });

    clock.now += 60;
    await emu.stripe.subscriptions.resume(subscription.id, {});
    const resumed = only(subscription.id, 'customer.subscription.resumed');
    expect(await outcome(resumed)).toBe('applied');
    expect(await outcome(resumed)).toBe('duplicate');
    // A copy of the pause arriving now is older than what is stored: stale, it cannot pause again.
    expect(await outcome(paused)).toBe('stale');
    expect(await subscriptionView('acct_pause_order')).toMatchObject({
      status: 'active',
      grantsAccess: true,
      active: true,
      keys: ['stock_photos'],
      pauseKind: null,
      pausedUntil: null,
    });
  });

  it('resumed delivered before paused: the paused events are stale and access stays on', async () => {
    const subscription = await subscribed('acct_pause_reorder');
    await emu.stripe.subscriptions.pause(subscription.id, {});
    clock.now += 60;
    await emu.stripe.subscriptions.resume(subscription.id, {});
    const paused = only(subscription.id, 'customer.subscription.paused');
    const resumed = only(subscription.id, 'customer.subscription.resumed');

    expect(await outcome(only(subscription.id, 'customer.subscription.created'))).toBe('applied');
    expect(await outcome(resumed)).toBe('applied');
    h.resetCounts();
    expect(await outcome(paused)).toBe('stale');
    expect(await outcome(updatedAlongside(paused))).toBe('stale');
    // Late events never cost a Stripe read.
    expect(h.counts.stripeCalls).toBe(0);
    expect(await subscriptionView('acct_pause_reorder')).toMatchObject({ status: 'active', grantsAccess: true, active: true });
  });

  it.each([
    ['pause and resume: Stripe says active', ['pause', 'resume'], 'active', true],
    ['pause, resume and pause again: Stripe says paused', ['pause', 'resume', 'pause'], 'paused', false],
  ] as const)('in one second, %s: whatever arrives last, the stored state is Stripe’s', async (_case, actions, status, grantsAccess) => {
    const account = `acct_pause_tie_${actions.length}`;
    const subscription = await subscribed(account);
    expect(await outcome(only(subscription.id, 'customer.subscription.created'))).toBe('applied');
    for (const action of actions) {
      if (action === 'pause') await emu.stripe.subscriptions.pause(subscription.id, {});
      else await emu.stripe.subscriptions.resume(subscription.id, {});
    }
    const sameSecond = emu.emulator
      .events()
      .filter((event) => event.type.startsWith('customer.subscription.') && (event.data.object as { id: string }).id === subscription.id)
      .filter((event) => event.created === clock.now);
    expect(sameSecond.length).toBe(2 * actions.length);

    // Newest first, so a naive "last delivered wins" would store the oldest snapshot.
    const outcomes = [];
    for (const event of [...sameSecond].reverse()) outcomes.push(await outcome(event));
    expect(outcomes).toEqual(Array(sameSecond.length).fill('applied'));
    expect((await emu.stripe.subscriptions.retrieve(subscription.id)).status).toBe(status);
    expect(await subscriptionView(account)).toMatchObject({ status, grantsAccess, active: grantsAccess, pauseKind: grantsAccess ? null : 'subscription' });

    // Copies of events already settled in that second are duplicates and ask Stripe nothing.
    h.resetCounts();
    for (const event of sameSecond) expect(await outcome(event)).toBe('duplicate');
    expect(h.counts.stripeCalls).toBe(0);
  });
});
