/**
 * Linkout's own resumption of app pauses in `subscription` mode. Stripe's pause endpoint takes no
 * resume time (the pinned API's `subscriptions.pause` has only bill_for, invoicing_behavior and type),
 * so a pause the app asked to end at `resumesAt` is resumed by Linkout's scheduled resumer. (The
 * portal's preset durations are resumed by Stripe itself, and `collection` mode uses Stripe's
 * `pause_collection.resumes_at`.)
 *
 * The schedule is an index of due resumptions; the subscription's own record holds the truth
 * (EntitlementStore.setScheduledResume), so an entry left behind by a pause that was resumed or
 * re-scheduled meanwhile is recognised as obsolete and dropped, never acted on.
 */

export interface ScheduledResume {
  accountId: string;
  customerId: string;
  subscriptionId: string;
  /** Unix seconds. */
  resumesAt: number;
}

/** Port: the due-resumption index (functions/adapters/dynamodb/resume-schedule.ts). */
export interface ResumeSchedule {
  schedule(entry: ScheduledResume): Promise<void>;
  cancel(entry: Pick<ScheduledResume, 'subscriptionId' | 'resumesAt'>): Promise<void>;
  /** Entries whose `resumesAt` is at or before `nowSeconds`, oldest first, at most `limit`. */
  due(nowSeconds: number, limit: number): Promise<ScheduledResume[]>;
}
