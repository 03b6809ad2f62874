/**
 * Stripe's event list behind the EventSource port (functions/core/reconciliation.ts): only the types
 * the webhook acts on (HANDLED_EVENT_TYPES, at most the 20 `types[]` Stripe takes), `created[gte]`
 * (and `created[lt]` for a bounded slice), 100 per page, paged with Stripe's `starting_after` cursor
 * exactly as stripe-node's auto-paging does (manual here, so the run can count and pace its pages).
 *
 * Rate limits: reads are safe to repeat, so each list call lets stripe-node retry connection errors,
 * 409 and 5xx up to LIST_NETWORK_RETRIES times, and a 429 (which stripe-node retries only when
 * Stripe says `Stripe-Should-Retry: true`) is waited out as the backfill waits it out
 * (#core/throttling: Retry-After, else exponential backoff). Pages after
 * the first are spaced by `pageIntervalMs`, so one run never bursts against the account's limit
 * that the live API traffic shares.
 */
import type Stripe from 'stripe';
import type { EventPage, EventSource, ListedEvent } from '#core/reconciliation';
import { retryWhileThrottled } from '#core/throttling';
import { callStripe } from './errors';
import { HANDLED_EVENT_TYPES, toBillingEvent } from './mapping';

const PAGE_SIZE = 100;
const LIST_NETWORK_RETRIES = 3;
const RATE_LIMIT_RETRIES = 4;
/** Ten pages a second at most: far below Stripe's read limit (100/s live, 25/s test mode). */
const DEFAULT_PAGE_INTERVAL_MS = 100;

export interface StripeEventSourceOptions {
  pageIntervalMs?: number;
  /** Replaces the waits between pages and 429 retries (tests). */
  sleep?: (ms: number) => Promise<void>;
}

export class StripeEventSource implements EventSource {
  private lastPageAt: number | undefined;
  private readonly pageIntervalMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly stripe: () => Stripe,
    options: StripeEventSourceOptions = {},
  ) {
    if (HANDLED_EVENT_TYPES.length > 20) throw new Error('Stripe filters events by at most 20 types: split the list calls.');
    this.pageIntervalMs = options.pageIntervalMs ?? DEFAULT_PAGE_INTERVAL_MS;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async page(query: { from: number; until?: number; startingAfter?: string }): Promise<EventPage> {
    await this.pace();
    const params: Stripe.EventListParams = {
      types: [...HANDLED_EVENT_TYPES],
      created: { gte: query.from, ...(query.until !== undefined && { lt: query.until }) },
      limit: PAGE_SIZE,
      ...(query.startingAfter && { starting_after: query.startingAfter }),
    };
    const list = await retryWhileThrottled(
      () => callStripe('listing events', () => this.stripe().events.list(params, { maxNetworkRetries: LIST_NETWORK_RETRIES })),
      { retries: RATE_LIMIT_RETRIES, sleep: this.sleep },
    );
    return { events: list.data.map(toListedEvent), hasMore: list.has_more };
  }

  private async pace(): Promise<void> {
    const now = Date.now();
    if (this.lastPageAt !== undefined) {
      const wait = this.lastPageAt + this.pageIntervalMs - now;
      if (wait > 0) await this.sleep(wait);
    }
    this.lastPageAt = Date.now();
  }
}

function toListedEvent(event: Stripe.Event): ListedEvent {
  return {
    id: event.id,
    type: event.type,
    created: event.created,
    apiVersion: event.api_version ?? null,
    // Exactly the webhook's mapping: the same checks, the same BillingEvent.
    toBillingEvent: () => toBillingEvent(event),
  };
}
