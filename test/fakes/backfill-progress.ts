/**
 * BackfillProgressStore in memory, with the semantics of the DynamoDB adapter
 * (functions/adapters/dynamodb/backfill-progress.ts): a save lands only over the record the run last
 * saw (same page count and start), otherwise it fails as a concurrent run would make it fail.
 *
 * Every call is recorded in the CallLog as "progress.<method>". InMemorySubscriptionPages below is
 * the backfill's other Stripe-side port.
 */
import type { BackfillProgress, BackfillProgressStore, SubscriptionPage, SubscriptionPages } from '#core/backfill';
import type { SubscriptionSnapshot } from '#core/billing-events';
import { AppError } from '#core/errors';
import { CallLog } from './call-log';

export class InMemoryBackfillProgress implements BackfillProgressStore {
  constructor(
    public stored: BackfillProgress | undefined = undefined,
    readonly log = new CallLog(),
  ) {}

  async load(): Promise<BackfillProgress | undefined> {
    this.log.record('progress.load', []);
    return this.stored && { ...this.stored };
  }

  async save(progress: BackfillProgress, previous: BackfillProgress | undefined): Promise<void> {
    this.log.record('progress.save', [progress, previous]);
    const current = this.stored;
    const unchanged = previous === undefined ? current === undefined : current?.pages === previous.pages && current.startedAt === previous.startedAt;
    if (!unchanged) throw new AppError('conflict', 'backfill_running', 'Another backfill saved progress meanwhile.');
    this.stored = { ...progress };
  }
}

/** One subscription of the fake Stripe account, with what its customer's metadata says. */
export interface FakeStripeSubscription {
  snapshot: SubscriptionSnapshot;
  /** The account in the customer's `metadata.app_account_id`; null when none. */
  account: string | null;
}

/**
 * Stripe's subscription list in memory (the SubscriptionPages port): newest first as given, pages
 * after a `starting_after` id, and failures queued per request. Every request is recorded as
 * "stripe.page" with its cursor, the failed ones included.
 */
export class InMemorySubscriptionPages implements SubscriptionPages {
  /** Failures for the next requests, in order; undefined lets a request through. */
  readonly failures: (Error | undefined)[] = [];

  constructor(
    readonly subscriptions: FakeStripeSubscription[],
    readonly log = new CallLog(),
  ) {}

  async page(startingAfter: string | undefined, limit: number): Promise<SubscriptionPage> {
    this.log.record('stripe.page', [startingAfter]);
    const failure = this.failures.shift();
    if (failure) throw failure;
    const start = startingAfter === undefined ? 0 : this.subscriptions.findIndex((s) => s.snapshot.id === startingAfter) + 1;
    if (start === 0 && startingAfter !== undefined) throw new Error(`No such subscription: ${startingAfter}`);
    const data = this.subscriptions.slice(start, start + limit);
    return {
      subscriptions: data.map((s) => s.snapshot),
      customerAccounts: new Map(data.map((s) => [s.snapshot.customerId, s.account])),
      hasMore: start + limit < this.subscriptions.length,
    };
  }
}
