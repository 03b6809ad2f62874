/**
 * The app's pause and resume (functions/core/pausing.ts) over in-memory ports: role, bounds,
 * ownership and state rules (each refused before any write), idempotency, the exact Stripe and
 * schedule calls of both modes, and that the answer already shows the change. The same flows through
 * HTTP against DynamoDB and the Stripe emulator are in test/integration/pausing.test.ts.
 */
import { loadConfig } from '#adapters/config';
import type { SubscriptionSnapshot, SubscriptionStatus } from '#core/billing-events';
import type { LinkoutConfig, RolePause } from '#core/config';
import { AppError } from '#core/errors';
import { addDuration } from '#core/pause-policy';
import { resumeIdempotencyKey } from '#core/pause-resumer';
import { type PausingPorts, parsePauseRequest, parseSubscriptionId, pauseSubscription, resumeSubscription } from '#core/pausing';
import { InMemoryAccountLinks } from '../fakes/account-links';
import { CallLog } from '../fakes/call-log';
import { InMemoryEntitlementStore } from '../fakes/entitlement-store';
import { InMemoryPausableSubscriptions } from '../fakes/pausable-subscriptions';
import { InMemoryResumeSchedule } from '../fakes/resume-schedule';

const exampleConfig = loadConfig({ LINKOUT_CONFIG_FILE: 'config/linkout.example.json' });
const NOW = 1_800_000_000;
const DAY = 86_400;
const OWNER = { accountId: 'acct_1', role: 'owner' };
const THREE_MONTHS = addDuration(NOW, { interval: 'month', count: 3 });

/** The example configuration with the owner's pause replaced (undefined: the owner may not pause). */
function configWith(ownerPause: Partial<RolePause> | undefined): LinkoutConfig {
  const config = structuredClone(exampleConfig);
  const owner = config.portal.roles.owner!;
  owner.pause = ownerPause === undefined ? undefined : { ...owner.pause!, ...ownerPause };
  return config;
}

function snapshot(status: SubscriptionStatus, overrides: Partial<SubscriptionSnapshot> = {}): SubscriptionSnapshot {
  return {
    id: 'sub_1',
    customerId: 'cus_1',
    status,
    created: NOW - 10 * DAY,
    items: [{ priceId: 'price_sp_m', productId: 'prod_stock_photos', lookupKey: 'stock_photos_monthly', currentPeriodEnd: NOW + 20 * DAY }],
    cancelAtPeriodEnd: false,
    cancelAt: null,
    pauseCollection: null,
    ...overrides,
  };
}

/** acct_1 linked to cus_1 owning sub_1 (active) in "Stripe", stored as the webhooks left it. */
async function world({ config = exampleConfig, stripeHas = [snapshot('active')], linked = true } = {}) {
  const log = new CallLog();
  const store = new InMemoryEntitlementStore(log);
  const links = new InMemoryAccountLinks(log);
  const stripe = new InMemoryPausableSubscriptions(log);
  const schedule = new InMemoryResumeSchedule(log);
  const clock = { now: NOW };
  let ids = 0;
  for (const subscription of stripeHas) {
    stripe.add(subscription);
    await store.putSubscription({ eventId: `evt_${subscription.id}`, created: NOW - 100 }, subscription);
  }
  if (linked) await links.link('acct_1', 'cus_1');
  log.clear();
  const ports: PausingPorts = { config, links, store, subscriptions: stripe, schedule, now: () => clock.now, randomId: () => `r${++ids}` };
  const writes = () => log.calls.filter((call) => call.startsWith('stripe.') && call !== 'stripe.retrieve');
  const scheduleCalls = () => log.calls.filter((call) => call.startsWith('schedule.') || call === 'store.setScheduledResume');
  return { log, store, links, stripe, schedule, clock, ports, writes, scheduleCalls };
}

const rejection = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
};

describe('parsePauseRequest and parseSubscriptionId', () => {
  it.each([
    [undefined, {}],
    ['', {}],
    ['{}', {}],
    ['{"resumesAt":"2027-01-15T00:00:00Z"}', { resumesAt: Date.UTC(2027, 0, 15) / 1000 }],
    ['{"resumesAt":"2027-01-15T02:00:00+02:00"}', { resumesAt: Date.UTC(2027, 0, 15) / 1000 }],
  ])('accepts %j', (body, expected) => {
    expect(parsePauseRequest(body)).toEqual(expected);
  });

  it.each([
    ['not json', 'invalid_json'],
    ['{"resumesAt":"tomorrow"}', 'invalid_request'],
    ['{"resumesAt":1800000000}', 'invalid_request'],
    ['{"resumesAt":null}', 'invalid_request'],
    ['{"resumesAt":"2027-01-15T00:00:00Z","mode":"collection"}', 'invalid_request'],
  ])('refuses %j with 400 %s', (body, code) => {
    expect(() => parsePauseRequest(body)).toThrow(expect.objectContaining({ kind: 'invalid_request', code }));
  });

  it.each([undefined, '', 'cus_1', 'sub_', 'sub_1/../x', `sub_${'a'.repeat(251)}`])('refuses the subscription id %j with 400', (id) => {
    expect(() => parseSubscriptionId(id)).toThrow(expect.objectContaining({ kind: 'invalid_request', code: 'invalid_subscription_id' }));
  });
});

describe('role', () => {
  it.each<[string, 'ok' | 403, LinkoutConfig, string | undefined]>([
    ['owner, subscription mode, app allowed', 'ok', exampleConfig, 'owner'],
    ['owner, collection mode, app allowed', 'ok', configWith({ mode: 'collection', portal: false }), 'owner'],
    ['member (no pause configured)', 403, exampleConfig, 'member'],
    ['unknown role (least privileged: member)', 403, exampleConfig, 'admin'],
    ['no role claim', 403, exampleConfig, undefined],
    ['owner whose pause has app: false', 403, configWith({ app: false }), 'owner'],
    ['owner without pause', 403, configWith(undefined), 'owner'],
  ])('%s -> %s, on pause and on resume', async (_, expected, config, role) => {
    for (const act of ['pause', 'resume'] as const) {
      const w = await world({ config });
      const caller = { accountId: 'acct_1', role };
      const run = act === 'pause' ? pauseSubscription(caller, 'sub_1', {}, w.ports) : resumeSubscription(caller, 'sub_1', w.ports);
      if (expected === 'ok') {
        await expect(run).resolves.toMatchObject({ account: 'acct_1' });
      } else {
        expect(await rejection(run)).toMatchObject({ kind: 'forbidden', code: 'pause_not_allowed' });
        expect(w.log.calls).toEqual([]);
      }
    }
  });
});

describe('bounds of resumesAt (the role maximum: 3 months)', () => {
  it.each<[string, number | undefined, number | string]>([
    ['absent: the maximum', undefined, THREE_MONTHS],
    ['a day ahead', NOW + DAY, NOW + DAY],
    ['exactly the maximum', THREE_MONTHS, THREE_MONTHS],
    ['one second ahead', NOW + 1, NOW + 1],
    ['the maximum plus one second', THREE_MONTHS + 1, 'pause_too_long'],
    ['now', NOW, 'resumes_at_not_in_future'],
    ['in the past', NOW - DAY, 'resumes_at_not_in_future'],
  ])('%s', async (_, resumesAt, expected) => {
    for (const mode of ['subscription', 'collection'] as const) {
      const w = await world({ config: configWith({ mode, portal: false }) });
      const run = pauseSubscription(OWNER, 'sub_1', resumesAt === undefined ? {} : { resumesAt }, w.ports);
      if (typeof expected === 'number') {
        const response = await run;
        expect(response.subscriptions[0]!.pausedUntil).toBe(new Date(expected * 1000).toISOString());
      } else {
        const error = await rejection(run);
        expect(error).toMatchObject({ kind: 'invalid_request', code: expected });
        if (expected === 'pause_too_long') expect(error.message).toContain('3 months');
        expect(w.log.calls).toEqual([]);
      }
    }
  });
});

describe('ownership', () => {
  it.each([
    ['the account has no customer', { linked: false }, 'sub_1'],
    ["another customer's subscription", { stripeHas: [snapshot('active', { customerId: 'cus_2' })] }, 'sub_1'],
    ['a subscription Stripe does not know', {}, 'sub_404'],
  ])('%s: 404 subscription_not_found, nothing written', async (_, options, subscriptionId) => {
    for (const act of ['pause', 'resume'] as const) {
      const w = await world(options);
      const run = act === 'pause' ? pauseSubscription(OWNER, subscriptionId, {}, w.ports) : resumeSubscription(OWNER, subscriptionId, w.ports);
      expect(await rejection(run)).toMatchObject({ kind: 'not_found', code: 'subscription_not_found' });
      expect(w.writes()).toEqual([]);
      expect(w.scheduleCalls()).toEqual([]);
      expect(w.log.calls.filter((call) => call.startsWith('store.put'))).toEqual([]);
    }
  });

  it('an account without a customer costs no Stripe call', async () => {
    const w = await world({ linked: false });
    await rejection(pauseSubscription(OWNER, 'sub_1', {}, w.ports));
    expect(w.log.calls).toEqual(['links.customerForAccount']);
  });
});

describe('state', () => {
  it.each<SubscriptionStatus>(['canceled', 'incomplete', 'incomplete_expired', 'unpaid'])(
    'a %s subscription: 409 subscription_not_pausable',
    async (status) => {
      const w = await world({ stripeHas: [snapshot(status)] });
      expect(await rejection(pauseSubscription(OWNER, 'sub_1', {}, w.ports))).toMatchObject({ kind: 'conflict', code: 'subscription_not_pausable' });
      expect(w.writes()).toEqual([]);
    },
  );

  it.each<[string, RolePause['mode'], SubscriptionSnapshot]>([
    ['status paused, role in collection mode', 'collection', snapshot('paused')],
    ['collection paused, role in subscription mode', 'subscription', snapshot('active', { pauseCollection: { behavior: 'void', resumesAt: null } })],
  ])('%s: 409 paused_differently on pause and on resume', async (_, mode, current) => {
    for (const act of ['pause', 'resume'] as const) {
      const w = await world({ config: configWith({ mode, portal: false }), stripeHas: [current] });
      const run = act === 'pause' ? pauseSubscription(OWNER, 'sub_1', {}, w.ports) : resumeSubscription(OWNER, 'sub_1', w.ports);
      expect(await rejection(run)).toMatchObject({ kind: 'conflict', code: 'paused_differently' });
      expect(w.writes()).toEqual([]);
      expect(w.scheduleCalls()).toEqual([]);
    }
  });
});

describe('idempotency', () => {
  it.each<[string, RolePause['mode'], 'pause' | 'resume', SubscriptionSnapshot, boolean]>([
    ['pausing a paused subscription', 'subscription', 'pause', snapshot('paused'), false],
    [
      'pausing a collection-paused subscription',
      'collection',
      'pause',
      snapshot('active', { pauseCollection: { behavior: 'void', resumesAt: NOW + DAY } }),
      false,
    ],
    ['resuming a running subscription', 'subscription', 'resume', snapshot('active'), true],
    ['resuming a running subscription (collection mode)', 'collection', 'resume', snapshot('active'), true],
    [
      'resuming one whose collection pause has already ended',
      'collection',
      'resume',
      snapshot('active', { pauseCollection: { behavior: 'void', resumesAt: NOW - 1 } }),
      true,
    ],
  ])('%s: 200 with the current state, no Stripe write, no schedule change', async (_, mode, act, current, grantsAccess) => {
    const w = await world({ config: configWith({ mode, portal: false }), stripeHas: [current] });
    const response = act === 'pause' ? await pauseSubscription(OWNER, 'sub_1', {}, w.ports) : await resumeSubscription(OWNER, 'sub_1', w.ports);
    expect(w.writes()).toEqual([]);
    expect(w.scheduleCalls()).toEqual([]);
    expect(response.subscriptions[0]).toMatchObject({ id: 'sub_1', grantsAccess });
  });
});

describe('subscription mode', () => {
  it("pause: Stripe's pause, one schedule entry and the record's resume time; the answer already shows access off", async () => {
    const w = await world();
    const response = await pauseSubscription(OWNER, 'sub_1', { resumesAt: NOW + 7 * DAY }, w.ports);
    expect(w.writes()).toEqual(['stripe.pause']);
    expect(w.log.argsOf('stripe.pause')).toEqual([['sub_1', `linkout-pause-sub_1-${Math.floor(NOW / 10)}`]]);
    expect(w.scheduleCalls()).toEqual(['schedule.schedule', 'store.setScheduledResume']);
    expect(w.schedule.all()).toEqual([{ accountId: 'acct_1', customerId: 'cus_1', subscriptionId: 'sub_1', resumesAt: NOW + 7 * DAY }]);
    expect(response.active).toBe(false);
    expect(response.entitlements).toEqual([]);
    expect(response.subscriptions[0]).toMatchObject({
      status: 'paused',
      grantsAccess: false,
      pauseKind: 'subscription',
      pausedUntil: new Date((NOW + 7 * DAY) * 1000).toISOString(),
      collectionPaused: false,
    });
    // Written through the ordered path one second before the call.
    expect(w.log.argsOf('store.putSubscription').at(-1)![0]).toEqual({ eventId: 'pause_r1', created: NOW - 1, readAtMs: expect.any(Number) });
  });

  it('resume: Stripe resume with the resumer key, record cleared, entry cancelled; the answer already shows access on', async () => {
    const w = await world();
    await pauseSubscription(OWNER, 'sub_1', { resumesAt: NOW + 7 * DAY }, w.ports);
    w.log.clear();
    w.clock.now = NOW + DAY;
    const response = await resumeSubscription(OWNER, 'sub_1', w.ports);
    expect(w.writes()).toEqual(['stripe.resume']);
    expect(w.log.argsOf('stripe.resume')).toEqual([['sub_1', resumeIdempotencyKey({ subscriptionId: 'sub_1', resumesAt: NOW + 7 * DAY })]]);
    expect(w.scheduleCalls()).toEqual(['store.setScheduledResume', 'schedule.cancel']);
    expect(w.schedule.all()).toEqual([]);
    expect(response.active).toBe(true);
    expect(response.subscriptions[0]).toMatchObject({ status: 'active', grantsAccess: true, pauseKind: null, pausedUntil: null });
  });

  it('resume of a portal pause (nothing scheduled): Stripe resume only, no entry to cancel', async () => {
    const w = await world({ stripeHas: [snapshot('paused')] });
    const response = await resumeSubscription(OWNER, 'sub_1', w.ports);
    expect(w.writes()).toEqual(['stripe.resume']);
    expect(w.log.argsOf('stripe.resume')).toEqual([['sub_1', `linkout-resume-sub_1-${Math.floor(NOW / 10)}`]]);
    expect(w.scheduleCalls()).toEqual(['store.setScheduledResume']);
    expect(response.subscriptions[0]).toMatchObject({ grantsAccess: true, pauseKind: null });
  });

  it('a double tap pauses once: the second request finds it paused', async () => {
    const w = await world();
    const first = await pauseSubscription(OWNER, 'sub_1', {}, w.ports);
    const second = await pauseSubscription(OWNER, 'sub_1', {}, w.ports);
    expect(w.writes()).toEqual(['stripe.pause']);
    expect(w.schedule.all()).toHaveLength(1);
    expect(second.subscriptions).toEqual(first.subscriptions);
  });
});

describe('collection mode', () => {
  const collection = configWith({ mode: 'collection', collectionBehavior: 'keep_as_draft', portal: false });

  it('pause: pause_collection with the role behaviour and resumesAt, no schedule; the answer already shows access off', async () => {
    const w = await world({ config: collection });
    const response = await pauseSubscription(OWNER, 'sub_1', { resumesAt: NOW + 7 * DAY }, w.ports);
    expect(w.writes()).toEqual(['stripe.pauseCollection']);
    expect(w.log.argsOf('stripe.pauseCollection')).toEqual([
      ['sub_1', 'keep_as_draft', NOW + 7 * DAY, `linkout-pause-collection-sub_1-${NOW + 7 * DAY}-${Math.floor(NOW / 10)}`],
    ]);
    expect(w.scheduleCalls()).toEqual([]);
    expect(response.active).toBe(false);
    const iso = new Date((NOW + 7 * DAY) * 1000).toISOString();
    expect(response.subscriptions[0]).toMatchObject({
      status: 'active',
      grantsAccess: false,
      pauseKind: 'collection',
      pausedUntil: iso,
      collectionPaused: true,
      pauseResumesAt: iso,
    });
  });

  it('resume: pause_collection cleared, no schedule; the answer already shows access on', async () => {
    const w = await world({ config: collection, stripeHas: [snapshot('active', { pauseCollection: { behavior: 'void', resumesAt: null } })] });
    const response = await resumeSubscription(OWNER, 'sub_1', w.ports);
    expect(w.writes()).toEqual(['stripe.clearPauseCollection']);
    expect(w.scheduleCalls()).toEqual([]);
    expect(response.active).toBe(true);
    expect(response.subscriptions[0]).toMatchObject({ grantsAccess: true, pauseKind: null, pausedUntil: null, collectionPaused: false });
  });
});

describe('the ordered path', () => {
  it("a resume in the same second as the pause's stored webhook still answers active (the answer ties, never goes stale)", async () => {
    const w = await world({ stripeHas: [snapshot('paused')] });
    await w.store.putSubscription({ eventId: 'evt_paused', created: NOW }, snapshot('paused'));
    const response = await resumeSubscription(OWNER, 'sub_1', w.ports);
    expect(response.subscriptions[0]).toMatchObject({ status: 'active', grantsAccess: true });
    expect(w.log.calls).toContain('store.putResolvedSubscription');
  });

  it('a webhook older than the pause arrives stale; the pause stands', async () => {
    const w = await world();
    await pauseSubscription(OWNER, 'sub_1', {}, w.ports);
    const stale = await w.store.putSubscription({ eventId: 'evt_old', created: NOW - 2 }, snapshot('active'));
    expect(stale).toBe('stale');
    expect((await w.store.customerRecords('cus_1')).subscriptions[0]!.snapshot.status).toBe('paused');
  });
});
