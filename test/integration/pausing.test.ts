/**
 * The app's pause and resume through HTTP, DynamoDB (dynalite) and the Stripe emulator:
 *
 * - the ResumeSchedule adapter against dynalite (entries, due order and limit, the padded keys);
 * - collection mode and a pause racing webhooks, through the handler with the emulator's own events
 *   delivered by the webhook handler (the emulator's clock moved by hand, so each event lands in a
 *   known second);
 * - subscription mode end to end on the local stack (`npm start`): access off at once, still off
 *   after the webhooks, on again at once after the resume and after its webhooks; role and ownership.
 *
 * The rules over in-memory fakes are in test/unit/pausing.test.ts.
 */
import type Stripe from 'stripe';
import { documentClient } from '#adapters/dynamodb/client';
import { DynamoResumeSchedule } from '#adapters/dynamodb/resume-schedule';
import type { HttpResponse } from '#adapters/http/response';
import { createStripeClient } from '#adapters/stripe/client';
import { nowInUnixSeconds } from '#core/clock';
import type { LinkoutConfig } from '#core/config';
import { addDuration } from '#core/pause-policy';
import { makeSubscriptionPauseHandler, RESUME_ROUTE_KEY } from '#handlers/subscription-pause';
import { buildApiGatewayEvent } from '#local/api-gateway-event';
import { usePortalStack } from '../e2e/portal-stack';
import { useLocalDynamo } from '../helpers/dynamodb';
import { TEST_SECRET_KEY, useStripeEmulator } from '../helpers/stripe';
import { body, config, createHarness, type Harness } from './entitlement-harness';
import { contractProblems } from './portal-contract';

const DAY = 86_400;
const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

describe('ResumeSchedule (DynamoDB adapter, dynalite)', () => {
  const db = useLocalDynamo('linkout-resume-schedule');
  let schedule: DynamoResumeSchedule;
  beforeAll(() => {
    schedule = new DynamoResumeSchedule(
      documentClient(createHarness({ dynamoEndpoint: db.endpoint, tableName: db.tableName, stripeApiUrl: 'http://127.0.0.1:9' }).dynamo),
      db.tableName,
    );
  });
  const entry = (subscriptionId: string, resumesAt: number) => ({
    accountId: `acct_${subscriptionId}`,
    customerId: `cus_${subscriptionId}`,
    subscriptionId,
    resumesAt,
  });

  it('answers due entries oldest first (9 before 10: the keys are padded), at most `limit`, and cancels them', async () => {
    await schedule.schedule(entry('sub_ten', 10));
    await schedule.schedule(entry('sub_nine', 9));
    await schedule.schedule(entry('sub_hundred', 100));
    await schedule.schedule(entry('sub_later', 1_800_000_000));
    await schedule.schedule(entry('sub_also_ten', 10));

    expect(await schedule.due(8, 10)).toEqual([]);
    expect(await schedule.due(10, 10)).toEqual([entry('sub_nine', 9), entry('sub_also_ten', 10), entry('sub_ten', 10)]);
    expect(await schedule.due(100, 2)).toEqual([entry('sub_nine', 9), entry('sub_also_ten', 10)]);
    expect((await schedule.due(1_800_000_000, 10)).map((e) => e.subscriptionId)).toEqual(['sub_nine', 'sub_also_ten', 'sub_ten', 'sub_hundred', 'sub_later']);

    await schedule.cancel({ subscriptionId: 'sub_nine', resumesAt: 9 });
    await schedule.cancel({ subscriptionId: 'sub_ten', resumesAt: 11 }); // not this entry: a no-op
    expect((await schedule.due(100, 10)).map((e) => e.subscriptionId)).toEqual(['sub_also_ten', 'sub_ten', 'sub_hundred']);
  });

  it('keeps one entry per subscription and time: scheduling it again overwrites, another time is another entry', async () => {
    await schedule.schedule(entry('sub_twice', 50));
    await schedule.schedule(entry('sub_twice', 50));
    await schedule.schedule(entry('sub_twice', 60));
    expect((await schedule.due(60, 100)).filter((e) => e.subscriptionId === 'sub_twice').map((e) => e.resumesAt)).toEqual([50, 60]);
  });
});

/** The emulator's clock, moved by hand; it starts in the recent past so timestamps stay plausible. */
const clock = { now: nowInUnixSeconds() - 3_600 };

describe('pause and resume through the handler with the emulator\u2019s webhooks (collection mode, races)', () => {
  const db = useLocalDynamo('linkout-pausing');
  const emu = useStripeEmulator(() => ({ now: () => clock.now }));
  let h: Harness;
  let stripe: Stripe;
  beforeAll(() => {
    h = createHarness({ dynamoEndpoint: db.endpoint, tableName: db.tableName, stripeApiUrl: emu.emulator.url, now: () => clock.now });
    stripe = createStripeClient({ secretKey: TEST_SECRET_KEY, apiUrl: emu.emulator.url, maxNetworkRetries: 0 });
  });
  afterAll(() => h.close());

  const withOwnerPause = (pause: NonNullable<LinkoutConfig['portal']['roles'][string]['pause']>): LinkoutConfig => {
    const changed = structuredClone(config);
    changed.portal.roles.owner!.pause = pause;
    return changed;
  };
  const collectionConfig = withOwnerPause({
    mode: 'collection',
    collectionBehavior: 'void',
    maxDuration: { interval: 'month', count: 2 },
    app: true,
    portal: false,
  });

  const call = async (pauseConfig: LinkoutConfig, action: 'pause' | 'resume', accountId: string, subscriptionId: string, requestBody?: unknown) => {
    const handler = makeSubscriptionPauseHandler({
      config: pauseConfig,
      links: h.links,
      store: h.store,
      schedule: new DynamoResumeSchedule(documentClient(h.dynamo), db.tableName),
      stripe: () => stripe,
      now: () => clock.now,
    });
    const routeKey = action === 'resume' ? RESUME_ROUTE_KEY : 'POST /v1/subscriptions/{id}/pause';
    const response = (await handler(
      buildApiGatewayEvent({
        method: 'POST',
        url: `/v1/subscriptions/${subscriptionId}/${action}`,
        routeKey,
        pathParameters: { id: subscriptionId },
        headers: { 'content-type': 'application/json' },
        ...(requestBody !== undefined && { body: JSON.stringify(requestBody) }),
        claims: { sub: accountId, role: 'owner' },
      }),
      {} as never,
    )) as HttpResponse;
    return { status: response.statusCode, body: body(response) };
  };

  /** A subscribed account whose creation webhook was delivered, one minute on the clock later. */
  async function subscribed(accountId: string): Promise<Stripe.Subscription> {
    const customer = await stripe.customers.create({ metadata: { app_account_id: accountId } });
    const price = (await stripe.prices.list({ lookup_keys: ['stock_photos_monthly'] })).data[0]!;
    const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    for (const event of eventsOf(subscription.id)) await h.deliverEvent(event);
    clock.now += 60;
    return subscription;
  }
  const eventsOf = (subscriptionId: string, since = 0) =>
    emu.emulator.events().filter((event) => event.created >= since && (event.data.object as { id?: string }).id === subscriptionId);
  const deliverAll = async (events: Stripe.Event[]) => {
    const outcomes: string[] = [];
    for (const event of events) {
      const response = await h.deliverEvent(event);
      expect(response.statusCode).toBe(200);
      outcomes.push(body(response).outcome);
    }
    return outcomes;
  };
  const view = async (accountId: string) => {
    const entitlements = body(await h.getEntitlements(accountId));
    return { active: entitlements.active, ...entitlements.subscriptions[0] };
  };

  it('collection mode: pause_collection with resumesAt, access off at once and after the webhooks; resume brings it back', async () => {
    const subscription = await subscribed('acct_collection');
    const resumesAt = clock.now + 7 * DAY;
    const pausedAt = clock.now;
    const paused = await call(collectionConfig, 'pause', 'acct_collection', subscription.id, { resumesAt: iso(resumesAt) });
    expect(paused.status).toBe(200);
    const expectedPaused = {
      grantsAccess: false,
      pauseKind: 'collection',
      pausedUntil: iso(resumesAt),
      collectionPaused: true,
      pauseResumesAt: iso(resumesAt),
    };
    expect(paused.body.active).toBe(false);
    expect(paused.body.subscriptions[0]).toMatchObject(expectedPaused);
    expect((await stripe.subscriptions.retrieve(subscription.id)).pause_collection).toEqual(
      expect.objectContaining({ behavior: 'void', resumes_at: resumesAt }),
    );
    expect(await view('acct_collection')).toMatchObject({ active: false, ...expectedPaused });

    const pauseEvents = eventsOf(subscription.id, pausedAt);
    expect(pauseEvents.length).toBeGreaterThan(0);
    await deliverAll(pauseEvents);
    await deliverAll(pauseEvents); // copies
    expect(await view('acct_collection')).toMatchObject({ active: false, ...expectedPaused });

    // Pausing again: the same answer, no Stripe write (no new event).
    clock.now += 10;
    const again = await call(collectionConfig, 'pause', 'acct_collection', subscription.id);
    expect(again.status).toBe(200);
    expect(again.body.subscriptions[0]).toMatchObject(expectedPaused);
    expect(eventsOf(subscription.id, clock.now)).toEqual([]);

    clock.now += 10;
    const resumedAt = clock.now;
    const resumed = await call(collectionConfig, 'resume', 'acct_collection', subscription.id);
    expect(resumed.status).toBe(200);
    expect(resumed.body.active).toBe(true);
    expect(resumed.body.subscriptions[0]).toMatchObject({ grantsAccess: true, pauseKind: null, pausedUntil: null, collectionPaused: false });
    await deliverAll(eventsOf(subscription.id, resumedAt));
    expect(await view('acct_collection')).toMatchObject({ active: true, grantsAccess: true, pauseKind: null });
  });

  it('bounds and ownership through HTTP: too long 400, past 400, member 403, another account 404; nothing changes in Stripe', async () => {
    const subscription = await subscribed('acct_bounds');
    const other = await subscribed('acct_other');
    const tooLong = addDuration(clock.now, { interval: 'month', count: 2 }) + 1;
    expect(await call(collectionConfig, 'pause', 'acct_bounds', subscription.id, { resumesAt: iso(tooLong) })).toMatchObject({
      status: 400,
      body: { error: { code: 'pause_too_long' } },
    });
    expect(await call(collectionConfig, 'pause', 'acct_bounds', subscription.id, { resumesAt: iso(clock.now - 1) })).toMatchObject({
      status: 400,
      body: { error: { code: 'resumes_at_not_in_future' } },
    });
    expect(await call(collectionConfig, 'pause', 'acct_bounds', other.id)).toMatchObject({ status: 404, body: { error: { code: 'subscription_not_found' } } });
    expect(await call(collectionConfig, 'pause', 'acct_bounds', 'sub_doesnotexist')).toMatchObject({
      status: 404,
      body: { error: { code: 'subscription_not_found' } },
    });
    const memberOnly = withOwnerPause({
      mode: 'collection',
      collectionBehavior: 'void',
      maxDuration: { interval: 'month', count: 2 },
      app: false,
      portal: false,
    });
    expect(await call(memberOnly, 'pause', 'acct_bounds', subscription.id)).toMatchObject({ status: 403, body: { error: { code: 'pause_not_allowed' } } });
    expect((await stripe.subscriptions.retrieve(subscription.id)).pause_collection).toBeNull();
    expect((await stripe.subscriptions.retrieve(other.id)).pause_collection).toBeNull();
  });

  it('a pause racing a webhook: an older event delivered after the pause is stale, the paused event never regresses it', async () => {
    const subscription = await subscribed('acct_race');
    // A change Stripe made before the pause, whose webhook is still on its way.
    await stripe.subscriptions.update(subscription.id, { metadata: { note: 'before the pause' } });
    const before = eventsOf(subscription.id, clock.now);
    expect(before.map((e) => e.type)).toContain('customer.subscription.updated');
    clock.now += 5;
    const pausedAt = clock.now;
    const paused = await call(config, 'pause', 'acct_race', subscription.id, { resumesAt: iso(clock.now + DAY) });
    expect(paused.status).toBe(200);
    expect(paused.body.subscriptions[0]).toMatchObject({ status: 'paused', grantsAccess: false, pauseKind: 'subscription', pausedUntil: iso(clock.now + DAY) });

    expect(await deliverAll(before)).toEqual(before.map(() => 'stale'));
    expect(await view('acct_race')).toMatchObject({ status: 'paused', active: false });

    // Stripe's own events of the pause (the `.paused` and `.updated` of that second): never a regression.
    const pauseEvents = eventsOf(subscription.id, pausedAt);
    expect(pauseEvents.map((e) => e.type)).toContain('customer.subscription.paused');
    const outcomes = await deliverAll(pauseEvents);
    for (const outcome of outcomes) expect(['applied', 'duplicate', 'stale']).toContain(outcome);
    expect(await deliverAll(pauseEvents)).toEqual(pauseEvents.map(() => 'duplicate'));
    expect(await view('acct_race')).toMatchObject({ status: 'paused', active: false, pauseKind: 'subscription', pausedUntil: iso(pausedAt + DAY) });

    clock.now += 5;
    const resumedAt = clock.now;
    const resumed = await call(config, 'resume', 'acct_race', subscription.id);
    expect(resumed.body.subscriptions[0]).toMatchObject({ status: 'active', grantsAccess: true, pauseKind: null, pausedUntil: null });
    // The paused events once more, late: the resume is newer, so they are stale now.
    expect(await deliverAll(pauseEvents)).toEqual(pauseEvents.map(() => 'stale'));
    await deliverAll(eventsOf(subscription.id, resumedAt));
    expect(await view('acct_race')).toMatchObject({ status: 'active', active: true, pauseKind: null });
  });
});

describe('subscription mode end to end on the local stack', () => {
  const portal = usePortalStack();

  it('owner pauses: access off at once and after the webhooks; resumes: access back at once and after the webhooks', async () => {
    const { subscriptionId } = await portal.subscribedAccount('acct_e2e_pause');
    const owner = await portal.token('acct_e2e_pause', 'owner');
    const resumesAt = nowInUnixSeconds() + 14 * DAY;

    const paused = await portal.call('POST', `/v1/subscriptions/${subscriptionId}/pause`, owner, { resumesAt: iso(resumesAt) });
    expect(paused.status).toBe(200);
    const pausedView = { id: subscriptionId, status: 'paused', grantsAccess: false, pauseKind: 'subscription', pausedUntil: iso(resumesAt) };
    expect(paused.body).toMatchObject({ active: false, entitlements: [], subscriptions: [pausedView] });
    expect((await portal.stripe.subscriptions.retrieve(subscriptionId)).status).toBe('paused');
    const entitlements = await portal.call('GET', '/v1/entitlements', owner);
    expect(entitlements.body).toMatchObject({ active: false, subscriptions: [pausedView] });
    expect(contractProblems('POST', '/v1/subscriptions/{id}/pause', paused)).toEqual([]);
    expect(contractProblems('GET', '/v1/entitlements', entitlements)).toEqual([]);

    await portal.stack.emulator!.flushDeliveries();
    expect((await portal.call('GET', '/v1/entitlements', owner)).body).toMatchObject({ active: false, subscriptions: [pausedView] });

    const again = await portal.call('POST', `/v1/subscriptions/${subscriptionId}/pause`, owner);
    expect(again).toMatchObject({ status: 200, body: { active: false, subscriptions: [pausedView] } });

    const resumed = await portal.call('POST', `/v1/subscriptions/${subscriptionId}/resume`, owner);
    expect(resumed.status).toBe(200);
    const activeView = { id: subscriptionId, status: 'active', grantsAccess: true, pauseKind: null, pausedUntil: null };
    expect(resumed.body).toMatchObject({ active: true, subscriptions: [activeView] });
    expect(contractProblems('POST', '/v1/subscriptions/{id}/resume', resumed)).toEqual([]);
    await portal.stack.emulator!.flushDeliveries();
    expect((await portal.call('GET', '/v1/entitlements', owner)).body).toMatchObject({ active: true, subscriptions: [activeView] });
  });

  it('a member may not pause (403), another account gets 404, a malformed body 400; the subscription stays active', async () => {
    const { subscriptionId } = await portal.subscribedAccount('acct_e2e_rules');
    const member = await portal.token('acct_e2e_rules', 'member');
    const stranger = await portal.token('acct_e2e_stranger', 'owner');
    const owner = await portal.token('acct_e2e_rules', 'owner');
    const pausePath = `/v1/subscriptions/${subscriptionId}/pause`;
    const refusals: Array<[string, Awaited<ReturnType<typeof portal.call>>, number, string]> = [
      ['/v1/subscriptions/{id}/pause', await portal.call('POST', pausePath, member), 403, 'pause_not_allowed'],
      ['/v1/subscriptions/{id}/resume', await portal.call('POST', `/v1/subscriptions/${subscriptionId}/resume`, member), 403, 'pause_not_allowed'],
      ['/v1/subscriptions/{id}/pause', await portal.call('POST', pausePath, stranger), 404, 'subscription_not_found'],
      ['/v1/subscriptions/{id}/pause', await portal.call('POST', pausePath, owner, '{"resumesAt":'), 400, 'invalid_json'],
      ['/v1/subscriptions/{id}/pause', await portal.call('POST', pausePath, owner, { resumesAt: '2000-01-01T00:00:00Z' }), 400, 'resumes_at_not_in_future'],
      ['/v1/subscriptions/{id}/pause', await portal.call('POST', pausePath, owner, { resumesAt: '2099-01-01T00:00:00Z' }), 400, 'pause_too_long'],
    ];
    for (const [documentedPath, reply, status, code] of refusals) {
      expect(reply).toMatchObject({ status, body: { error: { code } } });
      expect(contractProblems('POST', documentedPath, reply)).toEqual([]);
    }
    expect(await portal.call('POST', `/v1/subscriptions/${subscriptionId}/pause`)).toMatchObject({ status: 401 });
    expect((await portal.stripe.subscriptions.retrieve(subscriptionId)).status).toBe('active');
  });
});
