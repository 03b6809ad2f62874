/**
 * The resumer's ports in memory (functions/core/pause-resumer.ts), with the semantics of their adapters:
 *
 * - InMemoryResumeSchedule: entries keyed by resumesAt and subscription id, as the table's
 *   `RESUME_DUE` / `<resumesAt>#<subscriptionId>` items; `due` answers oldest first, at most
 *   `limit`; `cancel` of a missing entry is a no-op, as a DeleteItem is;
 * - InMemoryResumableSubscriptions: what "Stripe" holds now; `resume` refuses a subscription that
 *   is not paused (as Stripe does, a 4xx) and answers a repeated idempotency key with the first
 *   answer without resuming again; `unreachable` makes every call fail like a network error.
 *
 * Calls are recorded in the CallLog as "schedule.<method>" and "stripe.<method>".
 */
import type { SubscriptionSnapshot } from '#core/billing-events';
import type { ResumableSubscriptions } from '#core/pause-resumer';
import type { ResumeSchedule, ScheduledResume } from '#core/resume-schedule';
import { CallLog } from './call-log';

const entryKey = (entry: Pick<ScheduledResume, 'subscriptionId' | 'resumesAt'>) => `${String(entry.resumesAt).padStart(10, '0')}#${entry.subscriptionId}`;

export class InMemoryResumeSchedule implements ResumeSchedule {
  private readonly entries = new Map<string, ScheduledResume>();

  constructor(readonly log = new CallLog()) {}

  async schedule(entry: ScheduledResume): Promise<void> {
    this.log.record('schedule.schedule', [entry]);
    this.entries.set(entryKey(entry), structuredClone(entry));
  }

  async cancel(entry: Pick<ScheduledResume, 'subscriptionId' | 'resumesAt'>): Promise<void> {
    this.log.record('schedule.cancel', [{ subscriptionId: entry.subscriptionId, resumesAt: entry.resumesAt }]);
    this.entries.delete(entryKey(entry));
  }

  async due(nowSeconds: number, limit: number): Promise<ScheduledResume[]> {
    this.log.record('schedule.due', [nowSeconds, limit]);
    return [...this.entries.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([, entry]) => entry)
      .filter((entry) => entry.resumesAt <= nowSeconds)
      .slice(0, limit)
      .map((entry) => structuredClone(entry));
  }

  /** Every entry, due or not, oldest first. */
  all(): ScheduledResume[] {
    return [...this.entries.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, entry]) => structuredClone(entry));
  }
}

/** A Stripe failure the adapter would raise for a refused request (4xx). */
class StripeRefusal extends Error {}

export class InMemoryResumableSubscriptions implements ResumableSubscriptions {
  /** Subscription id -> the subscription as Stripe holds it now. */
  readonly subscriptions = new Map<string, SubscriptionSnapshot>();
  /** Resumes that changed a subscription (a repeated idempotency key does not count). */
  resumeCount = 0;
  /** While true, every call fails as if Stripe could not be reached. */
  unreachable = false;
  private readonly answered = new Map<string, SubscriptionSnapshot>();

  constructor(
    readonly log = new CallLog(),
    /** Unix seconds: the time Stripe stamps on a resumed subscription's period. */
    private readonly clock: () => number = () => 0,
  ) {}

  async retrieve(subscriptionId: string): Promise<SubscriptionSnapshot | undefined> {
    this.log.record('stripe.retrieve', [subscriptionId]);
    this.failIfUnreachable();
    const subscription = this.subscriptions.get(subscriptionId);
    return subscription && structuredClone(subscription);
  }

  async resume(subscriptionId: string, idempotencyKey: string): Promise<SubscriptionSnapshot> {
    this.log.record('stripe.resume', [subscriptionId, idempotencyKey]);
    this.failIfUnreachable();
    const replay = this.answered.get(idempotencyKey);
    if (replay) return structuredClone(replay);
    const subscription = this.subscriptions.get(subscriptionId);
    if (!subscription) throw new StripeRefusal(`No such subscription: '${subscriptionId}'`);
    if (subscription.status !== 'paused') throw new StripeRefusal(`Subscription '${subscriptionId}' is not paused`);
    const resumed: SubscriptionSnapshot = {
      ...subscription,
      status: 'active',
      items: subscription.items.map((item) => ({ ...item, currentPeriodEnd: this.clock() + 30 * 86_400 })),
    };
    this.subscriptions.set(subscriptionId, resumed);
    this.answered.set(idempotencyKey, resumed);
    this.resumeCount += 1;
    return structuredClone(resumed);
  }

  private failIfUnreachable(): void {
    if (this.unreachable) throw new Error('connect ECONNREFUSED (Stripe unreachable)');
  }
}
