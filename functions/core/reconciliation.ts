/**
 * Reconciliation of missed webhooks: lists the Stripe events created since a checkpoint and applies
 * each through exactly the webhook's code path (`EntitlementSync.process` of the event as the
 * webhook maps it), so a run and live delivery can race harmlessly: both go through the same
 * conditional writes, deduplication and ordering, and whichever comes second is a `duplicate` or
 * `stale`.
 *
 * - Window: from the checkpoint minus OVERLAP_SECONDS (events of the last seconds may be listed late)
 *   to now, never older than Stripe's 30-day event retention (clamped, and said so in the report).
 *   The first run, with no checkpoint, looks back the whole 30 days.
 * - Listed in slices of at most SLICE_SECONDS, each slice applied oldest first: one slice is held in
 *   memory at a time, and the checkpoint advances after each slice, so a large backlog makes progress.
 * - A failure (storage or Stripe down) stops the run. The checkpoint advances only over events that
 *   were all applied: up to the second of the failed event, so the next run retries it.
 * - Events rendered in another API version than the pinned one are skipped and reported, never
 *   mis-read: the API renders a listed event's `data` in the version of its creation.
 * - Malformed events (the webhook answers them 400 and Stripe gives up) are counted as `rejected`.
 *
 * `delivery_success=false` is deliberately NOT used: it means "not delivered to every endpoint", so
 * (1) with several endpoints an event another endpoint failed is listed anyway, (2) worse, an event
 * counts as delivered when some endpoint answered 2xx without applying it: an old or wrong stage's
 * endpoint, a proxy, or a table restored from a backup since; and events created while Linkout's
 * endpoint was disabled (Stripe disables it after 3 days of failures) are never attempted to it.
 * Listing every handled event is cheap instead: an already applied one costs one refused
 * conditional write (`duplicate`).
 */
import type { BillingEvent } from './billing-events';
import type { WebhookOutcome } from './entitlements-sync';
import { AppError } from './errors';

/** Stripe keeps events listable for 30 days. */
export const STRIPE_EVENT_RETENTION_SECONDS = 30 * 24 * 60 * 60;
/** Re-listed seconds before the checkpoint: Stripe may list an event of a past second a little late. */
export const OVERLAP_SECONDS = 5 * 60;
/** At most this much time is listed and held in memory at once. */
export const SLICE_SECONDS = 24 * 60 * 60;
/** Event ids named in the report per kind of skip (the counts are complete). */
const REPORTED_IDS = 20;

/** One listed event: what the run needs to know before decoding it, and the webhook's own mapping. */
export interface ListedEvent {
  id: string;
  type: string;
  /** Unix seconds. */
  created: number;
  /** The API version `data` is rendered in (null for very old events). */
  apiVersion: string | null;
  /** The webhook's mapping (toBillingEvent); throws an invalid_request AppError on a malformed payload. */
  toBillingEvent(): BillingEvent;
}

export interface EventPage {
  /** Newest first, as Stripe lists. */
  events: ListedEvent[];
  hasMore: boolean;
}

/** Port: Stripe's event list, filtered to the handled types (functions/adapters/stripe/event-source.ts). */
export interface EventSource {
  /**
   * One page of events with `from <= created < until` (no upper bound when `until` is undefined),
   * newest first, continuing after the event `startingAfter` (Stripe's cursor).
   */
  page(query: { from: number; until?: number; startingAfter?: string }): Promise<EventPage>;
}

/** Port: the checkpoint in the table (functions/adapters/dynamodb/reconcile-checkpoint.ts). */
export interface ReconcileCheckpoint {
  /** Unix seconds up to which every event was applied, or undefined before the first run. */
  read(): Promise<number | undefined>;
  /** Moves it forward only: false when it already is at or beyond `seconds` (another run got further). */
  advance(seconds: number): Promise<boolean>;
}

/** Port: the webhook's EntitlementSync. */
export interface EventApplier {
  process(event: BillingEvent): Promise<WebhookOutcome>;
}

export interface ReconcilePorts {
  events: EventSource;
  checkpoint: ReconcileCheckpoint;
  sync: EventApplier;
  /** The API version Linkout parses (STRIPE_API_VERSION). */
  apiVersion: string;
  /** Unix seconds. */
  now: () => number;
  /** Told about each page listed (the command prints progress). */
  onPage?: (progress: { pages: number; listed: number; sliceFrom: number; sliceUntil: number | undefined }) => void;
  /** Told about the failure that stopped the run (the handler logs it and counts Stripe's). */
  onFailure?: (eventId: string | null, error: unknown) => void;
}

export interface ReconcileReport {
  window: {
    /** Unix seconds: listed from here... */
    from: number;
    /** ...up to here (the run's start). */
    until: number;
    /** True when the checkpoint was older than Stripe's 30 days: events in between may be lost for good (run the backfill). */
    clamped: boolean;
  };
  /** Events listed (overlap and duplicates included). */
  listed: number;
  /** What EntitlementSync said, as the webhook would have answered. */
  outcomes: Record<WebhookOutcome, number>;
  /** Malformed events (the webhook answers 400 invalid_payload): skipped. */
  rejected: { count: number; eventIds: string[] };
  /** Events rendered in another API version than the pinned one: skipped, never mis-read. */
  skippedApiVersion: { count: number; eventIds: string[]; versions: string[] };
  pages: number;
  /** Calls to Stripe's event list (one per page; stripe-node's own retries of a 429 or 5xx not included). */
  stripeCalls: number;
  checkpoint: { previous: number | null; next: number | null; advanced: boolean };
  /** Whether every listed event was handled; false when a failure stopped the run (the next run retries). */
  complete: boolean;
  /** The event the run stopped at, and why. */
  failure?: { eventId: string | null; message: string };
}

export async function reconcileMissedEvents(ports: ReconcilePorts): Promise<ReconcileReport> {
  const until = ports.now();
  const previous = await ports.checkpoint.read();
  const oldestListable = until - STRIPE_EVENT_RETENTION_SECONDS;
  const wanted = previous === undefined ? oldestListable : previous - OVERLAP_SECONDS;
  const from = Math.max(wanted, oldestListable);
  const report: ReconcileReport = {
    window: { from, until, clamped: previous !== undefined && wanted < oldestListable },
    listed: 0,
    outcomes: { applied: 0, duplicate: 0, stale: 0, ignored: 0 },
    rejected: { count: 0, eventIds: [] },
    skippedApiVersion: { count: 0, eventIds: [], versions: [] },
    pages: 0,
    stripeCalls: 0,
    checkpoint: { previous: previous ?? null, next: previous ?? null, advanced: false },
    complete: false,
  };

  const advanceTo = async (seconds: number) => {
    if (seconds <= (report.checkpoint.next ?? -1)) return;
    if (await ports.checkpoint.advance(seconds)) {
      report.checkpoint.next = seconds;
      report.checkpoint.advanced = true;
    }
  };

  for (let sliceFrom = from; sliceFrom <= until; sliceFrom += SLICE_SECONDS) {
    // The last slice has no upper bound: whatever Stripe lists up to now (and a little after) is applied.
    const sliceUntil = sliceFrom + SLICE_SECONDS > until ? undefined : sliceFrom + SLICE_SECONDS;
    let events: ListedEvent[];
    try {
      events = await listSlice(ports, report, sliceFrom, sliceUntil);
    } catch (error) {
      report.failure = { eventId: null, message: messageOf(error) };
      ports.onFailure?.(null, error);
      return report;
    }
    // Oldest first, like Stripe sent them; Stripe lists the newest first.
    for (const event of events.reverse()) {
      try {
        await applyOne(event, ports, report);
      } catch (error) {
        report.failure = { eventId: event.id, message: messageOf(error) };
        ports.onFailure?.(event.id, error);
        // Every event of an earlier second is applied: the next run starts at this one's second.
        await advanceTo(event.created);
        return report;
      }
    }
    await advanceTo(sliceUntil ?? until);
  }
  report.complete = true;
  return report;
}

async function listSlice(ports: ReconcilePorts, report: ReconcileReport, sliceFrom: number, sliceUntil: number | undefined): Promise<ListedEvent[]> {
  const events: ListedEvent[] = [];
  let startingAfter: string | undefined;
  for (;;) {
    report.stripeCalls += 1;
    const page = await ports.events.page({ from: sliceFrom, ...(sliceUntil !== undefined && { until: sliceUntil }), ...(startingAfter && { startingAfter }) });
    report.pages += 1;
    events.push(...page.events);
    report.listed += page.events.length;
    ports.onPage?.({ pages: report.pages, listed: report.listed, sliceFrom, sliceUntil });
    const last = page.events.at(-1);
    if (!page.hasMore || !last) return events;
    startingAfter = last.id;
  }
}

async function applyOne(event: ListedEvent, ports: ReconcilePorts, report: ReconcileReport): Promise<void> {
  if (event.apiVersion !== ports.apiVersion) {
    const skipped = report.skippedApiVersion;
    skipped.count += 1;
    if (skipped.eventIds.length < REPORTED_IDS) skipped.eventIds.push(event.id);
    const version = event.apiVersion ?? 'none';
    if (!skipped.versions.includes(version)) skipped.versions.push(version);
    return;
  }
  let billingEvent: BillingEvent;
  try {
    billingEvent = event.toBillingEvent();
  } catch (error) {
    if (!isRejection(error)) throw error;
    noteRejected(report, event);
    return;
  }
  try {
    report.outcomes[await ports.sync.process(billingEvent)] += 1;
  } catch (error) {
    // What the webhook answers 4xx (Stripe gives up on it) is skipped here too; anything else is retried.
    if (!isRejection(error)) throw error;
    noteRejected(report, event);
  }
}

function noteRejected(report: ReconcileReport, event: ListedEvent): void {
  report.rejected.count += 1;
  if (report.rejected.eventIds.length < REPORTED_IDS) report.rejected.eventIds.push(event.id);
}

/** The webhook's 400: the event itself is wrong, so retrying cannot help. */
function isRejection(error: unknown): boolean {
  return error instanceof AppError && error.kind === 'invalid_request';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
