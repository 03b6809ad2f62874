/**
 * Reconciliation's ports in memory (functions/core/reconciliation.ts), with the semantics of their
 * adapters:
 *
 * - InMemoryEventSource: Stripe's event list: `from <= created < until`, newest first (a later-added
 *   event first within one second, as Stripe lists), `pageSize` per page, `startingAfter` cursor;
 *   events older than 30 days before `now()` are gone, as in Stripe. `failOnPage` makes that page
 *   (1-based, counted over the source's life) fail like Stripe being down.
 * - InMemoryReconcileCheckpoint: forward only, as the conditional update.
 */
import { STRIPE_API_VERSION } from '#adapters/stripe/client';
import type { BillingEvent } from '#core/billing-events';
import { AppError } from '#core/errors';
import { type EventPage, type EventSource, type ListedEvent, type ReconcileCheckpoint, STRIPE_EVENT_RETENTION_SECONDS } from '#core/reconciliation';

/** The version Linkout parses: listed events in it are applied, others skipped. */
export const PINNED_VERSION = STRIPE_API_VERSION;

export interface FakeEventInput {
  id: string;
  created: number;
  type?: string;
  apiVersion?: string | null;
  /** The mapped event; a malformed payload throws an invalid_request AppError, as toBillingEvent does. */
  billing?: BillingEvent | 'malformed';
}

export class InMemoryEventSource implements EventSource {
  private readonly events: FakeEventInput[] = [];
  readonly queries: Array<{ from: number; until?: number; startingAfter?: string }> = [];
  failOnPage: number | undefined;

  constructor(
    private readonly now: () => number,
    private readonly pageSize = 100,
  ) {}

  add(...events: FakeEventInput[]): void {
    this.events.push(...events);
  }

  async page(query: { from: number; until?: number; startingAfter?: string }): Promise<EventPage> {
    this.queries.push(query);
    if (this.failOnPage === this.queries.length) throw new Error('Stripe is unreachable');
    const oldest = this.now() - STRIPE_EVENT_RETENTION_SECONDS;
    const listed = this.events
      .map((event, index) => ({ event, index }))
      .filter(({ event }) => event.created >= Math.max(query.from, oldest) && (query.until === undefined || event.created < query.until))
      .sort((a, b) => b.event.created - a.event.created || b.index - a.index)
      .map(({ event }) => event);
    const start = query.startingAfter ? listed.findIndex((event) => event.id === query.startingAfter) + 1 : 0;
    const page = listed.slice(start, start + this.pageSize);
    return { events: page.map(toListed), hasMore: start + this.pageSize < listed.length };
  }
}

function toListed(input: FakeEventInput): ListedEvent {
  return {
    id: input.id,
    type: input.type ?? 'customer.subscription.updated',
    created: input.created,
    apiVersion: input.apiVersion === undefined ? PINNED_VERSION : input.apiVersion,
    toBillingEvent: () => {
      if (input.billing === 'malformed') throw new AppError('invalid_request', 'invalid_payload', 'The subscription is malformed.');
      return input.billing ?? { kind: 'ignored', eventId: input.id, type: input.type ?? 'customer.subscription.updated', created: input.created };
    },
  };
}

export class InMemoryReconcileCheckpoint implements ReconcileCheckpoint {
  readonly advances: number[] = [];

  constructor(public value: number | undefined = undefined) {}

  async read(): Promise<number | undefined> {
    return this.value;
  }

  async advance(seconds: number): Promise<boolean> {
    if (this.value !== undefined && this.value >= seconds) return false;
    this.value = seconds;
    this.advances.push(seconds);
    return true;
  }
}
