/**
 * The scheduled resumer against the real parts: the handler's run (functions/handlers/pause-resumer.ts)
 * over the DynamoDB adapters on dynalite and the Stripe adapter against the emulator, whose clock is
 * the test's, so that the emulator's own events carry the seconds each test chooses. A subscription
 * is paused through the emulator's API and scheduled as the pause endpoint leaves it; once the clock
 * passes `resumesAt` the run resumes it in Stripe, GET /v1/entitlements grants access again at once,
 * and the webhooks Stripe sends about it afterwards (and late ones from before) never move it back.
 */
import { documentClient } from '#adapters/dynamodb/client';
import { DynamoResumeSchedule } from '#adapters/dynamodb/resume-schedule';
import { createStripeClient } from '#adapters/stripe/client';
import { StripePausableSubscriptions } from '#adapters/stripe/pausable-subscriptions';
import type { ResumeReport } from '#core/pause-resumer';
import { handler, makePauseResumer } from '#handlers/pause-resumer';
import { lambdaContext } from '#local/lambda-bridge';
import { useLocalDynamo } from '../helpers/dynamodb';
import { TEST_SECRET_KEY, useStripeEmulator } from '../helpers/stripe';
import { body, createHarness, type Harness, stripeEvent } from './entitlement-harness';

const T0 = 1_900_000_000;
const DAY = 86_400;

describe('the pause resumer (handler run, dynalite, Stripe emulator)', () => {
  let clock = T0;
  const db = useLocalDynamo();
  const emu = useStripeEmulator(() => ({ now: () => clock }));
  let h: Harness;
  let schedule: DynamoResumeSchedule;
  let stripeCalls: string[] = [];
  let run: () => Promise<ResumeReport>;
  let priceId: string;

  beforeAll(async () => {
    h = createHarness({ dynamoEndpoint: db.endpoint, tableName: db.tableName, stripeApiUrl: emu.emulator.url, now: () => clock });
    schedule = new DynamoResumeSchedule(documentClient(h.dynamo), db.tableName);
    // The resumer's own Stripe client, so that each test sees exactly the resumer's calls.
    const stripe = createStripeClient({ secretKey: TEST_SECRET_KEY, apiUrl: emu.emulator.url, maxNetworkRetries: 0 });
    stripe.on('request', (request: { method: string; path: string }) => stripeCalls.push(`${request.method} ${request.path.split('?')[0]}`));
    run = makePauseResumer({ ports: { schedule, store: h.store, subscriptions: new StripePausableSubscriptions(() => stripe), now: () => clock } });
    const [price] = (await emu.stripe.prices.list({ lookup_keys: ['stock_photos_monthly'] })).data;
    priceId = price!.id;
  });
  afterAll(() => h.close());
  beforeEach(() => {
    stripeCalls = [];
  });

  const entitlements = async (account: string) => body(await h.getEntitlements(account));
  const eventsOf = (subscriptionId: string, type: string) =>
    emu.emulator.events().filter((event) => event.type === type && (event.data.object as { id: string }).id === subscriptionId);

  /**
   * A linked account whose subscription was paused from the app at `clock`, to resume at `resumesAt`:
   * paused in Stripe, the paused snapshot stored, `scheduledResumeAt` on the record and the schedule entry,
   * exactly what the pause endpoint leaves behind.
   */
  const pausedFromTheApp = async (account: string, resumesAt: number) => {
    const customer = await emu.stripe.customers.create({ metadata: { app_account_id: account } });
    await h.links.link(account, customer.id);
    const subscription = await emu.stripe.subscriptions.create({ customer: customer.id, items: [{ price: priceId }] });
    const created = await h.deliverEvent(stripeEvent(`evt_${account}_created`, 'customer.subscription.created', clock - 100, subscription));
    expect(body(created).outcome).toBe('applied');
    const paused = await emu.stripe.subscriptions.pause(subscription.id, {});
    expect(paused.status).toBe('paused');
    const [pausedEvent] = eventsOf(subscription.id, 'customer.subscription.paused');
    expect(body(await h.deliverEvent(pausedEvent!)).outcome).toBe('applied');
    await h.store.setScheduledResume(customer.id, subscription.id, resumesAt);
    await schedule.schedule({ accountId: account, customerId: customer.id, subscriptionId: subscription.id, resumesAt });
    expect(await entitlements(account)).toMatchObject({ active: false, subscriptions: [{ status: 'paused', grantsAccess: false }] });
    return { customer, subscription };
  };

  it('resumes a due pause in Stripe, shows access at once, and the later webhooks never move it back', async () => {
    clock = T0;
    const resumesAt = T0 + 30 * DAY;
    const { customer, subscription } = await pausedFromTheApp('acct_due', resumesAt);

    // Not due yet: nothing happens.
    clock = resumesAt - 1;
    expect(await run()).toEqual({ resumed: 0, obsolete: 0, failed: 0 });
    expect(stripeCalls).toEqual([]);

    clock = resumesAt + 120;
    expect(await run()).toEqual({ resumed: 1, obsolete: 0, failed: 0 });
    expect(stripeCalls).toEqual([`GET /v1/subscriptions/${subscription.id}`, `POST /v1/subscriptions/${subscription.id}/resume`]);
    expect((await emu.stripe.subscriptions.retrieve(subscription.id)).status).toBe('active');
    expect(await entitlements('acct_due')).toMatchObject({ active: true, subscriptions: [{ id: subscription.id, status: 'active', grantsAccess: true }] });
    const [record] = (await h.store.customerRecords(customer.id)).subscriptions;
    expect(record!.scheduledResumeAt).toBeUndefined();
    expect(await schedule.due(clock + DAY, 10)).toEqual([]);

    // A paused event (a copy with a new id) from the very second the resumer wrote at ties; the tie reads Stripe: active.
    const [pausedEvent] = eventsOf(subscription.id, 'customer.subscription.paused');
    const pausedObject = pausedEvent!.data.object as object;
    expect(body(await h.deliverEvent(stripeEvent('evt_paused_tie', 'customer.subscription.paused', clock - 1, pausedObject))).outcome).toBe('applied');
    expect(await entitlements('acct_due')).toMatchObject({ active: true, subscriptions: [{ status: 'active' }] });

    // Stripe's own events of the resumption arrive afterwards: newer than the resumer's write, and they agree.
    const after = [...eventsOf(subscription.id, 'customer.subscription.resumed'), ...eventsOf(subscription.id, 'customer.subscription.updated')];
    expect(after.map((event) => event.created)).toContain(clock);
    for (const event of after) {
      expect(['applied', 'duplicate', 'stale']).toContain(body(await h.deliverEvent(event)).outcome);
      expect(await entitlements('acct_due')).toMatchObject({ active: true, subscriptions: [{ status: 'active' }] });
    }
    // The paused event redelivered, and an older copy delivered late, are stale.
    expect(body(await h.deliverEvent(pausedEvent!)).outcome).toBe('stale');
    expect(body(await h.deliverEvent(stripeEvent('evt_paused_older', 'customer.subscription.paused', clock - 60, pausedObject))).outcome).toBe('stale');
    expect(await entitlements('acct_due')).toMatchObject({ active: true, subscriptions: [{ status: 'active', grantsAccess: true }] });

    // The next run has nothing to do.
    stripeCalls = [];
    expect(await run()).toEqual({ resumed: 0, obsolete: 0, failed: 0 });
    expect(stripeCalls).toEqual([]);
  });

  it('resumes once when two runs overlap (one idempotency key), and leaves consistent state', async () => {
    clock = T0 + 100 * DAY;
    const resumesAt = clock + DAY;
    const { customer, subscription } = await pausedFromTheApp('acct_overlap', resumesAt);

    clock = resumesAt + 10;
    const reports = await Promise.all([run(), run()]);
    expect(reports.map((report) => report.failed)).toEqual([0, 0]);
    expect(eventsOf(subscription.id, 'customer.subscription.resumed')).toHaveLength(1);
    expect((await emu.stripe.subscriptions.retrieve(subscription.id)).status).toBe('active');
    expect(await entitlements('acct_overlap')).toMatchObject({ active: true, subscriptions: [{ status: 'active' }] });
    expect((await h.store.customerRecords(customer.id)).subscriptions[0]!.scheduledResumeAt).toBeUndefined();
    expect(await schedule.due(clock, 10)).toEqual([]);
  });

  it('drops an entry the record no longer names without calling Stripe: the pause lasts until its new time, then resumes', async () => {
    clock = T0 + 200 * DAY;
    const resumesAt = clock + DAY;
    const { customer, subscription } = await pausedFromTheApp('acct_rescheduled', resumesAt);
    // Paused again with a later end: the record names the new time (its entry is not due yet).
    await h.store.setScheduledResume(customer.id, subscription.id, resumesAt + 10 * DAY);
    await schedule.schedule({ accountId: 'acct_rescheduled', customerId: customer.id, subscriptionId: subscription.id, resumesAt: resumesAt + 10 * DAY });

    clock = resumesAt + 10;
    expect(await run()).toEqual({ resumed: 0, obsolete: 1, failed: 0 });
    expect(stripeCalls).toEqual([]);
    expect((await emu.stripe.subscriptions.retrieve(subscription.id)).status).toBe('paused');
    expect((await schedule.due(resumesAt + 10 * DAY, 10)).map((entry) => entry.resumesAt)).toEqual([resumesAt + 10 * DAY]);

    // At its new time it is resumed.
    clock = resumesAt + 10 * DAY + 10;
    expect(await run()).toEqual({ resumed: 1, obsolete: 0, failed: 0 });
    expect((await emu.stripe.subscriptions.retrieve(subscription.id)).status).toBe('active');
  });

  it('finds a pause already resumed in the portal: clears it without resuming again', async () => {
    clock = T0 + 300 * DAY;
    const resumesAt = clock + DAY;
    const { customer, subscription } = await pausedFromTheApp('acct_portal', resumesAt);
    await emu.stripe.subscriptions.resume(subscription.id, {});

    clock = resumesAt + 10;
    expect(await run()).toEqual({ resumed: 0, obsolete: 1, failed: 0 });
    expect(stripeCalls).toEqual([`GET /v1/subscriptions/${subscription.id}`]);
    expect(eventsOf(subscription.id, 'customer.subscription.resumed')).toHaveLength(1);
    expect(await entitlements('acct_portal')).toMatchObject({ active: true, subscriptions: [{ status: 'active' }] });
    expect((await h.store.customerRecords(customer.id)).subscriptions[0]!.scheduledResumeAt).toBeUndefined();
  });

  it('leaves the entry when Stripe fails, and the next run resumes it', async () => {
    clock = T0 + 400 * DAY;
    const resumesAt = clock + DAY;
    const { subscription } = await pausedFromTheApp('acct_outage', resumesAt);

    clock = resumesAt + 10;
    emu.emulator.injectFault({ status: 500, count: 1, path: `/v1/subscriptions/${subscription.id}/resume`, method: 'POST' });
    expect(await run()).toEqual({ resumed: 0, obsolete: 0, failed: 1 });
    expect((await emu.stripe.subscriptions.retrieve(subscription.id)).status).toBe('paused');
    expect(await schedule.due(clock, 10)).toHaveLength(1);

    clock += 300;
    expect(await run()).toEqual({ resumed: 1, obsolete: 0, failed: 0 });
    expect(await entitlements('acct_outage')).toMatchObject({ active: true, subscriptions: [{ status: 'active' }] });
  });

  it('runs as a Lambda: the entry builds its ports from the environment (table, Stripe) and answers the report', async () => {
    clock = T0 + 500 * DAY;
    // The Lambda's own clock is the real one: a pause whose time it has passed.
    const resumesAt = Math.floor(Date.now() / 1000) - 60;
    const { subscription } = await pausedFromTheApp('acct_lambda', resumesAt);
    const saved = { ...process.env };
    Object.assign(process.env, {
      TABLE_NAME: db.tableName,
      DYNAMODB_ENDPOINT: db.endpoint,
      AWS_REGION: 'local',
      STRIPE_SECRET_KEY: TEST_SECRET_KEY,
      STRIPE_API_URL: emu.emulator.url,
    });
    delete process.env.STRIPE_SECRET_ARN;
    try {
      const report = await handler({ source: 'aws.scheduler' }, lambdaContext({ functionName: 'linkout-pause-resumer-test', timeoutMs: 60_000 }));
      expect(report).toEqual({ resumed: 1, obsolete: 0, failed: 0 });
    } finally {
      process.env = saved;
    }
    expect((await emu.stripe.subscriptions.retrieve(subscription.id)).status).toBe('active');
  });
});
