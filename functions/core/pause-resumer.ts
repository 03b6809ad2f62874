/**
 * The scheduled resumer of app pauses in `subscription` mode (why Linkout resumes them itself:
 * ./resume-schedule.ts). Runs every few minutes (EventBridge Scheduler in AWS, a timer in the local
 * stack) and handles each due entry of the ResumeSchedule on its own:
 *
 * - the subscription's record no longer holds this `scheduledResumeAt` (resumed or re-scheduled
 *   meanwhile): the entry is obsolete and only deleted, Stripe is not called;
 * - Stripe says the subscription is not paused any more (resumed in the portal, canceled, gone):
 *   nothing to resume; what Stripe said is written, the schedule cleared and the entry deleted;
 * - otherwise it is resumed with an idempotency key from the subscription and `resumesAt`, so two
 *   overlapping runs (or a retry after a lost answer) resume it once; Stripe's answer is written
 *   through the ordered path, the schedule cleared and the entry deleted, in that order, so a
 *   failure anywhere leaves the entry for the next run.
 *
 * Paced: at most `limit` entries per run, one after the other, so one run never bursts against
 * Stripe's rate limit; the rest are due in the next run.
 */
import type { SubscriptionSnapshot } from './billing-events';
import type { EntitlementStore } from './entitlements-sync';
import { type ReadStart, readPosition, readStart, writeReadSnapshots } from './read-snapshots';
import type { ResumeSchedule, ScheduledResume } from './resume-schedule';

/** Entries handled per run: two Stripe calls each, well inside a run's time and Stripe's rate limit. */
export const RESUMES_PER_RUN = 50;

/**
 * Port: the subscription calls the resumer makes. The narrow part of the Stripe adapter's
 * PausableSubscriptions (functions/adapters/stripe/pausable-subscriptions.ts), same method names.
 */
export interface ResumableSubscriptions {
  /** The subscription as Stripe holds it now; undefined when Stripe does not know it. */
  retrieve(subscriptionId: string): Promise<SubscriptionSnapshot | undefined>;
  /** Resumes a paused subscription; the same key answers the first call's result again. */
  resume(subscriptionId: string, idempotencyKey: string): Promise<SubscriptionSnapshot>;
}

export interface PauseResumerPorts {
  schedule: Pick<ResumeSchedule, 'due' | 'cancel'>;
  store: Pick<EntitlementStore, 'customerRecords' | 'setScheduledResume' | 'putSubscription' | 'putResolvedSubscription'>;
  subscriptions: ResumableSubscriptions;
  /** Unix seconds: the clock the ordered writes are positioned by (read just before each Stripe call). */
  now: () => number;
  /** A unique suffix for the written snapshots' event ids. */
  randomId?: () => string;
  /** Told about each entry left for the next run, with why (the handler logs it). */
  onFailure?: (entry: ScheduledResume, error: unknown) => void;
}

export interface ResumeReport {
  /** Resumed in Stripe by this run (or by an overlapping run with the same idempotency key). */
  resumed: number;
  /** Entries with nothing left to do: re-scheduled, resumed or gone meanwhile; deleted. */
  obsolete: number;
  /** Entries left for the next run (Stripe or storage failed). */
  failed: number;
}

/** The idempotency key of one scheduled resumption: one resume per pause, whoever runs it. */
export const resumeIdempotencyKey = (entry: Pick<ScheduledResume, 'subscriptionId' | 'resumesAt'>): string =>
  `linkout-resume-${entry.subscriptionId}-${entry.resumesAt}`;

export async function resumeDuePauses(nowSeconds: number, ports: PauseResumerPorts, { limit = RESUMES_PER_RUN } = {}): Promise<ResumeReport> {
  const report: ResumeReport = { resumed: 0, obsolete: 0, failed: 0 };
  const due = await ports.schedule.due(nowSeconds, limit);
  for (const entry of due) {
    try {
      report[await resumeOne(entry, ports)] += 1;
    } catch (error) {
      report.failed += 1;
      ports.onFailure?.(entry, error);
    }
  }
  return report;
}

async function resumeOne(entry: ScheduledResume, ports: PauseResumerPorts): Promise<'resumed' | 'obsolete'> {
  const { customerId, subscriptionId } = entry;
  const records = await ports.store.customerRecords(customerId);
  const stored = records?.subscriptions.find((subscription) => subscription.snapshot.id === subscriptionId);
  // The record holds the truth: an entry it does not name is a pause resumed or re-scheduled since.
  if (stored?.scheduledResumeAt !== entry.resumesAt) {
    await ports.schedule.cancel(entry);
    return 'obsolete';
  }

  const readAt = readStart(ports.now);
  const current = await ports.subscriptions.retrieve(subscriptionId);
  if (current?.status !== 'paused') return finishWithoutResume(entry, current, readAt, ports);

  const resumeAt = readStart(ports.now);
  let resumed: SubscriptionSnapshot;
  try {
    resumed = await ports.subscriptions.resume(subscriptionId, resumeIdempotencyKey(entry));
  } catch (error) {
    // Stripe refuses to resume a subscription that is not paused (4xx). Whether that is what
    // happened, a second read tells, whatever the adapter made of the error; if Stripe is down,
    // the read fails too and the entry stays for the next run.
    const after = await ports.subscriptions.retrieve(subscriptionId);
    if (after?.status === 'paused') throw error;
    return finishWithoutResume(entry, after, resumeAt, ports);
  }
  await writeSnapshot(resumed, resumeAt, ports);
  await clear(entry, ports);
  return 'resumed';
}

async function finishWithoutResume(
  entry: ScheduledResume,
  current: SubscriptionSnapshot | undefined,
  readAt: ReadStart,
  ports: PauseResumerPorts,
): Promise<'obsolete'> {
  // What Stripe said is news too (e.g. a portal resume whose webhook is late): store it now.
  if (current) await writeSnapshot(current, readAt, ports);
  await clear(entry, ports);
  return 'obsolete';
}

/** Record first, entry last: if the run dies in between, the next run finds the entry obsolete. */
async function clear(entry: ScheduledResume, ports: PauseResumerPorts): Promise<void> {
  await ports.store.setScheduledResume(entry.customerId, entry.subscriptionId, null);
  await ports.schedule.cancel(entry);
}

/** Stripe's answer through the ordered path, one second before the call (./read-snapshots.ts: it never hides a newer event). */
function writeSnapshot(snapshot: SubscriptionSnapshot, beforeTheCall: ReadStart, ports: PauseResumerPorts): Promise<void> {
  return writeReadSnapshots(ports.store, [snapshot], readPosition(beforeTheCall, ports.randomId, 'resume'));
}
