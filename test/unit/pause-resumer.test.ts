/**
 * The scheduled resumer of app pauses (functions/core/pause-resumer.ts) over in-memory ports: which
 * entries it resumes, which it only drops, what it leaves for the next run, and that overlapping
 * runs resume a subscription once. The same flow against DynamoDB and the Stripe emulator is in
 * test/integration/pause-resumer.test.ts.
 */
import type { SubscriptionSnapshot, SubscriptionStatus } from '#core/billing-events';
import { type PauseResumerPorts, resumeDuePauses, resumeIdempotencyKey } from '#core/pause-resumer';
import type { ScheduledResume } from '#core/resume-schedule';
import { CallLog } from '../fakes/call-log';
import { InMemoryEntitlementStore } from '../fakes/entitlement-store';
import { InMemoryResumableSubscriptions, InMemoryResumeSchedule } from '../fakes/resume-schedule';

const NOW = 1_800_000_000;
const RESUMES_AT = NOW - 60;

function snapshot(id: string, status: SubscriptionStatus): SubscriptionSnapshot {
  return {
    id,
    customerId: 'cus_1',
    status,
    created: NOW - 86_400,
    items: [{ priceId: 'price_sp_m', productId: 'prod_stock_photos', lookupKey: 'stock_photos_monthly', currentPeriodEnd: NOW + 86_400 }],
    cancelAtPeriodEnd: false,
    cancelAt: null,
    pauseCollection: null,
  };
}

const entry = (subscriptionId: string, resumesAt = RESUMES_AT): ScheduledResume => ({ accountId: 'acct_1', customerId: 'cus_1', subscriptionId, resumesAt });

/**
 * One customer with app-paused subscriptions as the pause endpoint leaves them: stored paused (at
 * an event an hour old), `scheduledResumeAt` on the record, an entry in the schedule, paused in Stripe.
 */
async function world() {
  const log = new CallLog();
  const store = new InMemoryEntitlementStore(log);
  const schedule = new InMemoryResumeSchedule(log);
  const stripe = new InMemoryResumableSubscriptions(log, () => NOW);
  let id = 0;
  const ports: PauseResumerPorts = { schedule, store, subscriptions: stripe, now: () => NOW, randomId: () => String(++id) };
  const pause = async (subscriptionId: string, resumesAt = RESUMES_AT) => {
    const paused = snapshot(subscriptionId, 'paused');
    await store.putSubscription({ eventId: `evt_pause_${subscriptionId}`, created: NOW - 3600 }, paused);
    stripe.subscriptions.set(subscriptionId, paused);
    await store.setScheduledResume('cus_1', subscriptionId, resumesAt);
    await schedule.schedule(entry(subscriptionId, resumesAt));
  };
  const stored = async (subscriptionId: string) => (await store.customerRecords('cus_1')).subscriptions.find((s) => s.snapshot.id === subscriptionId);
  return { log, store, schedule, stripe, ports, pause, stored };
}

describe('resumeDuePauses', () => {
  it('resumes a due pause once: Stripe resume with the idempotency key, the answer stored, the schedule cleared, the entry deleted', async () => {
    const { log, schedule, stripe, ports, pause, stored } = await world();
    await pause('sub_1');
    log.clear();

    expect(await resumeDuePauses(NOW, ports, { limit: 10 })).toEqual({ resumed: 1, obsolete: 0, failed: 0 });

    expect(log.argsOf('stripe.resume')).toEqual([['sub_1', resumeIdempotencyKey(entry('sub_1'))]]);
    expect(resumeIdempotencyKey(entry('sub_1'))).toBe(`linkout-resume-sub_1-${RESUMES_AT}`);
    expect(stripe.resumeCount).toBe(1);
    const record = await stored('sub_1');
    expect(record?.snapshot.status).toBe('active');
    // Positioned one second before the call, like a refresh.
    expect(record?.snapshotCreated).toBe(NOW - 1);
    expect(log.argsOf('store.putSubscription').map(([position]) => position)).toEqual([
      { eventId: 'resume_1', created: NOW - 1, readAtMs: expect.any(Number) },
    ]);
    expect(record?.scheduledResumeAt).toBeUndefined();
    expect(schedule.all()).toEqual([]);
  });

  it('leaves an entry that is not due yet untouched', async () => {
    const { log, schedule, ports, pause, stored } = await world();
    await pause('sub_1', NOW + 1);
    log.clear();

    expect(await resumeDuePauses(NOW, ports)).toEqual({ resumed: 0, obsolete: 0, failed: 0 });
    expect(log.calls).toEqual(['schedule.due']);
    expect(schedule.all()).toEqual([entry('sub_1', NOW + 1)]);
    expect((await stored('sub_1'))?.scheduledResumeAt).toBe(NOW + 1);
  });

  it.each([
    ['re-scheduled to another time', NOW + 3600],
    ['resumed meanwhile (nothing scheduled)', null],
  ])('drops an obsolete entry without calling Stripe: the record was %s', async (_case, recordResumesAt) => {
    const { log, store, schedule, stripe, ports, pause, stored } = await world();
    await pause('sub_1');
    await store.setScheduledResume('cus_1', 'sub_1', recordResumesAt);
    log.clear();

    expect(await resumeDuePauses(NOW, ports)).toEqual({ resumed: 0, obsolete: 1, failed: 0 });
    expect(log.calls.filter((call) => call.startsWith('stripe.'))).toEqual([]);
    expect(stripe.subscriptions.get('sub_1')?.status).toBe('paused');
    expect(schedule.all()).toEqual([]);
    expect((await stored('sub_1'))?.scheduledResumeAt).toBe(recordResumesAt ?? undefined);
  });

  it('drops an entry whose subscription has no record at all without calling Stripe', async () => {
    const { log, schedule, ports } = await world();
    await schedule.schedule(entry('sub_unknown'));
    log.clear();

    expect(await resumeDuePauses(NOW, ports)).toEqual({ resumed: 0, obsolete: 1, failed: 0 });
    expect(log.calls).toEqual(['schedule.due', 'store.customerRecords', 'schedule.cancel']);
  });

  it.each<[string, SubscriptionStatus | 'missing']>([
    ['already active (resumed in the portal)', 'active'],
    ['canceled', 'canceled'],
    ['gone from Stripe', 'missing'],
  ])('does not resume a subscription %s: stores what Stripe said, clears and deletes', async (_case, status) => {
    const { log, schedule, stripe, ports, pause, stored } = await world();
    await pause('sub_1');
    if (status === 'missing') stripe.subscriptions.delete('sub_1');
    else stripe.subscriptions.set('sub_1', snapshot('sub_1', status));
    log.clear();

    expect(await resumeDuePauses(NOW, ports)).toEqual({ resumed: 0, obsolete: 1, failed: 0 });
    expect(log.argsOf('stripe.resume')).toEqual([]);
    expect(schedule.all()).toEqual([]);
    const record = await stored('sub_1');
    expect(record?.scheduledResumeAt).toBeUndefined();
    expect(record?.snapshot.status).toBe(status === 'missing' ? 'paused' : status);
  });

  it('treats a refused resume of a subscription that stopped being paused meanwhile as nothing to do', async () => {
    const { stripe, schedule, ports, pause, stored } = await world();
    await pause('sub_1');
    // Resumed in the portal between the resumer's read and its resume call: Stripe answers 4xx.
    const retrieve = stripe.retrieve.bind(stripe);
    let reads = 0;
    stripe.retrieve = async (id) => {
      const answer = await retrieve(id);
      if (++reads === 1) stripe.subscriptions.set('sub_1', snapshot('sub_1', 'active'));
      return answer;
    };

    expect(await resumeDuePauses(NOW, ports)).toEqual({ resumed: 0, obsolete: 1, failed: 0 });
    expect(stripe.resumeCount).toBe(0);
    expect(schedule.all()).toEqual([]);
    expect((await stored('sub_1'))?.snapshot.status).toBe('active');
  });

  it('keeps the entry when Stripe is unreachable, counts it failed, and the next run resumes it', async () => {
    const { stripe, schedule, pause, stored, ports } = await world();
    await pause('sub_1');
    const failures: string[] = [];
    stripe.unreachable = true;

    expect(await resumeDuePauses(NOW, { ...ports, onFailure: (e) => failures.push(e.subscriptionId) })).toEqual({ resumed: 0, obsolete: 0, failed: 1 });
    expect(failures).toEqual(['sub_1']);
    expect(schedule.all()).toEqual([entry('sub_1')]);
    expect(await stored('sub_1')).toMatchObject({ scheduledResumeAt: RESUMES_AT, snapshot: { status: 'paused' } });

    stripe.unreachable = false;
    expect(await resumeDuePauses(NOW + 300, ports)).toEqual({ resumed: 1, obsolete: 0, failed: 0 });
    expect(schedule.all()).toEqual([]);
    expect((await stored('sub_1'))?.snapshot.status).toBe('active');
  });

  it('keeps the entry when the resume call itself fails while the subscription is still paused', async () => {
    const { stripe, schedule, pause, ports } = await world();
    await pause('sub_1');
    stripe.resume = async () => {
      throw new Error('Stripe answered 500');
    };

    expect(await resumeDuePauses(NOW, ports)).toEqual({ resumed: 0, obsolete: 0, failed: 1 });
    expect(schedule.all()).toEqual([entry('sub_1')]);
  });

  it('goes on with the other entries after one fails', async () => {
    const { stripe, pause, ports } = await world();
    await pause('sub_1', RESUMES_AT - 1);
    await pause('sub_2');
    const retrieve = stripe.retrieve.bind(stripe);
    stripe.retrieve = async (id) => {
      if (id === 'sub_1') throw new Error('timeout');
      return retrieve(id);
    };

    expect(await resumeDuePauses(NOW, ports)).toEqual({ resumed: 1, obsolete: 0, failed: 1 });
    expect(stripe.subscriptions.get('sub_2')?.status).toBe('active');
  });

  it('resumes once when two runs overlap: same idempotency key, consistent state', async () => {
    const { stripe, schedule, ports, pause, stored } = await world();
    await pause('sub_1');

    const reports = await Promise.all([resumeDuePauses(NOW, ports), resumeDuePauses(NOW, ports)]);

    expect(stripe.resumeCount).toBe(1);
    expect(reports.map((r) => r.failed)).toEqual([0, 0]);
    expect(reports.reduce((sum, r) => sum + r.resumed + r.obsolete, 0)).toBe(2);
    expect(schedule.all()).toEqual([]);
    expect(await stored('sub_1')).toMatchObject({ snapshot: { status: 'active' } });
    expect((await stored('sub_1'))?.scheduledResumeAt).toBeUndefined();
  });

  it('handles at most `limit` entries per run, oldest first; the rest wait for the next run', async () => {
    const { log, schedule, ports, pause } = await world();
    await pause('sub_c', RESUMES_AT);
    await pause('sub_a', RESUMES_AT - 20);
    await pause('sub_b', RESUMES_AT - 10);
    log.clear();

    expect(await resumeDuePauses(NOW, ports, { limit: 2 })).toEqual({ resumed: 2, obsolete: 0, failed: 0 });
    expect(log.argsOf('schedule.due')).toEqual([[NOW, 2]]);
    expect(log.argsOf('stripe.resume').map(([id]) => id)).toEqual(['sub_a', 'sub_b']);
    expect(schedule.all().map((e) => e.subscriptionId)).toEqual(['sub_c']);

    expect(await resumeDuePauses(NOW, ports, { limit: 2 })).toEqual({ resumed: 1, obsolete: 0, failed: 0 });
  });

  it('never hides a newer event: a paused event stored after the resume call wins over the resumed answer', async () => {
    const { store, ports, pause, stored } = await world();
    await pause('sub_1');
    // A webhook from after the call (a new pause) is already stored when the answer is written.
    await store.putSubscription({ eventId: 'evt_paused_again', created: NOW + 5 }, snapshot('sub_1', 'paused'));

    expect(await resumeDuePauses(NOW, ports)).toEqual({ resumed: 1, obsolete: 0, failed: 0 });
    expect((await stored('sub_1'))?.snapshot.status).toBe('paused');
  });
});
