/**
 * The backfill: imports every subscription a Stripe account already has, and the account links its
 * customers name in `metadata.app_account_id`, when Linkout is deployed on an existing account
 * (customers who subscribed before have no events for the webhook to apply).
 *
 * - One page of Stripe's subscription list (100, every status, customers expanded) per request;
 *   each page's snapshots are written through the ordered path as a read taken just before that
 *   page's request (read-snapshots.ts), so a live webhook delivered before or after the write is
 *   never hidden: the backfill may run alongside live traffic, and twice.
 * - Resumable: after each page, the progress record keeps the page's last subscription id (Stripe's
 *   `starting_after` cursor) and the counts. A rerun continues after the last completed page; a page
 *   that failed halfway is read again, which is harmless (its writes are idempotent).
 * - A completed backfill is not repeated by accident: a new run says it is complete and reads
 *   nothing, unless asked to restart.
 * - Paced: each request waits for the pacer (a request budget per second), and a rate-limited
 *   request (429) is retried after Stripe's Retry-After, a few times, before the run gives up
 *   (resumable, so giving up loses nothing).
 *
 * Subscriptions created while the backfill runs sort before its cursor (Stripe lists newest first),
 * so it does not read them: their own webhooks bring them.
 */
import type { AccountLinks } from './accounts';
import type { SubscriptionSnapshot } from './billing-events';
import type { EntitlementStore, OrderedWriteResult } from './entitlements-sync';
import { readPosition, readStart, writeReadSnapshots } from './read-snapshots';
import { retryWhileThrottled } from './throttling';

/** Stripe's largest page: the fewest requests for an account. */
const BACKFILL_PAGE_SIZE = 100;
/** Stripe's test mode allows 25 read requests per second; 20 leaves room for live traffic. */
export const DEFAULT_REQUESTS_PER_SECOND = 20;
/** 429 answers in a row on one page before the run stops (and can be resumed). */
const MAX_THROTTLED_RETRIES = 5;

/** One page of Stripe's subscription list, with what each customer's metadata says. */
export interface SubscriptionPage {
  subscriptions: SubscriptionSnapshot[];
  /** Every customer of the page: the account its metadata names, or null (none, or a deleted customer). */
  customerAccounts: ReadonlyMap<string, string | null>;
  hasMore: boolean;
}

/** Port: Stripe's subscription list (functions/adapters/stripe/subscription-pages.ts). */
export interface SubscriptionPages {
  /** The page after subscription `startingAfter` (the first page when undefined), newest first. */
  page(startingAfter: string | undefined, limit: number): Promise<SubscriptionPage>;
}

interface BackfillCounts {
  pages: number;
  subscriptions: number;
  /** Snapshots the store took (new, or newer than what it held). */
  written: number;
  /** Snapshots the store already had a newer state of (a live event landed first): left as they were. */
  stale: number;
  /** Customers linked to the account their metadata names by this backfill. */
  linked: number;
  /** Customers whose link was already there (a live event, a purchase, an earlier run). */
  alreadyLinked: number;
  /** Customers not linked because the account or the customer is tied to another one (first link wins). */
  conflicts: number;
  /** Customers whose metadata names no account. */
  withoutAccount: number;
}

export interface BackfillProgress extends BackfillCounts {
  /** The last subscription id of the last completed page: where the next page starts. */
  cursor: string | undefined;
  /** Unix seconds. */
  startedAt: number;
  /** Unix seconds; set once the last page is done. */
  completedAt?: number;
}

/** Port: the progress record (functions/adapters/dynamodb/backfill-progress.ts). */
export interface BackfillProgressStore {
  load(): Promise<BackfillProgress | undefined>;
  /**
   * Saves `progress` if the stored record is still `previous` (compared by page count and start), so
   * two backfills running at once cannot both advance it: the second one gets a conflict.
   */
  save(progress: BackfillProgress, previous: BackfillProgress | undefined): Promise<void>;
}

/** A link the backfill could not make, for the operator to look at. */
interface LinkConflict {
  customerId: string;
  accountId: string;
  /** The customer the account is linked to instead (undefined when the account's customer was deleted in Stripe). */
  accountLinkedTo?: string;
  /** The account the customer is linked to instead. */
  customerLinkedTo?: string;
}

export interface BackfillPorts {
  pages: SubscriptionPages;
  links: Pick<AccountLinks, 'link' | 'accountForCustomer'>;
  store: Pick<EntitlementStore, 'putSubscription' | 'putResolvedSubscription'>;
  progress: BackfillProgressStore;
  /** Waits until the request budget allows the next Stripe request. */
  pace: () => Promise<void>;
  sleep: (milliseconds: number) => Promise<void>;
  /** Unix seconds: positions the written snapshots (read just before each page's request). */
  now: () => number;
  randomId?: () => string;
  onPage?: (progress: BackfillProgress) => void;
  onConflict?: (conflict: LinkConflict) => void;
}

export type BackfillOutcome =
  /** Every page done by this run (possibly after earlier, interrupted runs). */
  | { kind: 'completed'; progress: BackfillProgress; resumed: boolean }
  /** Done before this run: nothing read, nothing written. */
  | { kind: 'already_complete'; progress: BackfillProgress };

export async function runBackfill(ports: BackfillPorts, { restart = false, pageSize = BACKFILL_PAGE_SIZE } = {}): Promise<BackfillOutcome> {
  const stored = await ports.progress.load();
  if (stored?.completedAt !== undefined && !restart) return { kind: 'already_complete', progress: stored };

  const resumed = stored !== undefined && !restart;
  let previous = stored;
  let progress: BackfillProgress = resumed ? { ...stored } : { ...emptyCounts(), cursor: undefined, startedAt: ports.now() };
  for (;;) {
    const { page, position } = await readPage(ports, progress.cursor, pageSize);
    const counts = await importPage(ports, page, position);
    const next: BackfillProgress = {
      ...addCounts(progress, counts),
      cursor: page.subscriptions.at(-1)?.id ?? progress.cursor,
      ...(!page.hasMore && { completedAt: ports.now() }),
    };
    await ports.progress.save(next, previous);
    previous = next;
    progress = next;
    ports.onPage?.(progress);
    if (!page.hasMore) return { kind: 'completed', progress, resumed };
  }
}

/** One request, paced, with the read position taken just before it; 429s wait and retry (./throttling.ts). */
async function readPage(ports: BackfillPorts, cursor: string | undefined, pageSize: number) {
  return retryWhileThrottled(
    async () => {
      await ports.pace();
      const position = readPosition(readStart(ports.now), ports.randomId, 'backfill');
      return { page: await ports.pages.page(cursor, pageSize), position };
    },
    { retries: MAX_THROTTLED_RETRIES, sleep: ports.sleep },
  );
}

async function importPage(ports: BackfillPorts, page: SubscriptionPage, position: ReturnType<typeof readPosition>): Promise<BackfillCounts> {
  const counts: BackfillCounts = { ...emptyCounts(), pages: 1, subscriptions: page.subscriptions.length };
  // Links first: once a subscription is stored, the account's entitlements show it at once.
  for (const [customerId, accountId] of page.customerAccounts) {
    counts[await linkCustomer(ports, customerId, accountId)] += 1;
  }
  // The store's answer per snapshot, counted on the way through the shared ordered write.
  const countingStore: BackfillPorts['store'] = {
    putSubscription: async (event, snapshot) => {
      const result = await ports.store.putSubscription(event, snapshot);
      if (result !== 'tie') counts[writeOutcome(result)] += 1;
      return result;
    },
    putResolvedSubscription: async (event, snapshot) => {
      const result = await ports.store.putResolvedSubscription(event, snapshot);
      counts[result === 'applied' ? 'written' : 'stale'] += 1;
      return result;
    },
  };
  await writeReadSnapshots(countingStore, page.subscriptions, position);
  return counts;
}

/** A duplicate cannot happen here (every read has a fresh id); it would mean nothing changed, like stale. */
const writeOutcome = (result: Exclude<OrderedWriteResult, 'tie'>): 'written' | 'stale' => (result === 'applied' ? 'written' : 'stale');

async function linkCustomer(
  ports: BackfillPorts,
  customerId: string,
  accountId: string | null,
): Promise<'linked' | 'alreadyLinked' | 'conflicts' | 'withoutAccount'> {
  if (!accountId) return 'withoutAccount';
  const customerLinkedTo = await ports.links.accountForCustomer(customerId);
  if (customerLinkedTo === accountId) return 'alreadyLinked';
  // The customer already belongs to another account (its metadata changed since): the stored link stays.
  if (customerLinkedTo !== undefined) {
    ports.onConflict?.({ customerId, accountId, customerLinkedTo });
    return 'conflicts';
  }
  const linkedTo = await ports.links.link(accountId, customerId);
  if (linkedTo === customerId) return 'linked';
  ports.onConflict?.({ customerId, accountId, ...(linkedTo !== undefined && { accountLinkedTo: linkedTo }) });
  return 'conflicts';
}

function emptyCounts(): BackfillCounts {
  return { pages: 0, subscriptions: 0, written: 0, stale: 0, linked: 0, alreadyLinked: 0, conflicts: 0, withoutAccount: 0 };
}

function addCounts(progress: BackfillProgress, counts: BackfillCounts): BackfillProgress {
  const sum = { ...progress };
  for (const key of Object.keys(counts) as (keyof BackfillCounts)[]) sum[key] += counts[key];
  return sum;
}

/**
 * A pacer that spaces requests at least 1/`requestsPerSecond` apart (the time of the work between
 * them counts), so a run never bursts above the budget.
 */
export function intervalPacer(requestsPerSecond: number, clock: { nowMs: () => number; sleep: (ms: number) => Promise<void> }): () => Promise<void> {
  if (!(requestsPerSecond > 0)) throw new Error(`The request rate must be above 0, not ${requestsPerSecond}.`);
  const intervalMs = 1000 / requestsPerSecond;
  let nextAt = Number.NEGATIVE_INFINITY;
  return async () => {
    const wait = nextAt - clock.nowMs();
    if (wait > 0) await clock.sleep(wait);
    nextAt = Math.max(clock.nowMs(), nextAt) + intervalMs;
  };
}

/**
 * What a large account will take at `requestsPerSecond`, before the run starts. Stripe bounds it at
 * one page of 100 per request; the writes (one or two DynamoDB requests per subscription and per new
 * customer, one after the other) usually bound it lower, so the progress lines show the real rate.
 */
export function backfillEstimate(requestsPerSecond: number, pageSize = BACKFILL_PAGE_SIZE): string {
  const perMinute = Math.round(requestsPerSecond * pageSize * 60);
  const minutesFor100k = 100_000 / perMinute;
  return (
    `Pace: ${requestsPerSecond} Stripe requests/s x ${pageSize} subscriptions per request = at most ${perMinute.toLocaleString('en-US')} subscriptions/minute ` +
    `(100,000 subscriptions: ${minutesFor100k < 1 ? 'under a minute' : `at least ${Math.ceil(minutesFor100k)} minutes`} of Stripe requests). ` +
    'DynamoDB writes one subscription at a time (plus a read and two writes per new customer link), typically a few hundred per second, ' +
    'so expect roughly 10,000-20,000 subscriptions/minute against AWS; the progress lines show the actual rate.'
  );
}
