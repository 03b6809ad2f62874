/**
 * Reconciliation's rules (functions/core/reconciliation.ts) with in-memory ports: the window and its
 * 30-day clamp, oldest-first application, the checkpoint's advance and hold, the API-version skip,
 * malformed events, paging across slices, and the report's counts.
 */

import { HANDLED_EVENT_TYPES } from '#adapters/stripe/mapping';
import type { BillingEvent } from '#core/billing-events';
import type { WebhookOutcome } from '#core/entitlements-sync';
import { AppError } from '#core/errors';
import {
  type EventApplier,
  OVERLAP_SECONDS,
  type ReconcileReport,
  reconcileMissedEvents,
  SLICE_SECONDS,
  STRIPE_EVENT_RETENTION_SECONDS,
} from '#core/reconciliation';
import { type FakeEventInput, InMemoryEventSource, InMemoryReconcileCheckpoint, PINNED_VERSION } from '../fakes/event-source';

const NOW = 1_800_000_000;
const DAY = 24 * 60 * 60;

/** The webhook's EntitlementSync as seen by the run: an outcome per event id, or a failure. */
class ScriptedSync implements EventApplier {
  readonly processed: string[] = [];
  constructor(private readonly script: Record<string, WebhookOutcome | 'fail' | 'reject'> = {}) {}
  async process(event: BillingEvent): Promise<WebhookOutcome> {
    const step = this.script[event.eventId] ?? 'applied';
    if (step === 'fail') throw new Error('storage unavailable');
    if (step === 'reject') throw new AppError('invalid_request', 'invalid_payload', 'bad');
    this.processed.push(event.eventId);
    return step;
  }
}

const event = (id: string, created: number, extra: Partial<FakeEventInput> = {}): FakeEventInput => ({
  id,
  created,
  billing: { kind: 'ignored', eventId: id, type: 'customer.subscription.updated', created },
  ...extra,
});

async function run(options: {
  checkpoint?: number;
  events?: FakeEventInput[];
  script?: ConstructorParameters<typeof ScriptedSync>[0];
  pageSize?: number;
  failOnPage?: number;
}) {
  const source = new InMemoryEventSource(() => NOW, options.pageSize);
  source.add(...(options.events ?? []));
  source.failOnPage = options.failOnPage;
  const checkpoint = new InMemoryReconcileCheckpoint(options.checkpoint);
  const sync = new ScriptedSync(options.script);
  const failures: Array<string | null> = [];
  const report = await reconcileMissedEvents({
    events: source,
    checkpoint,
    sync,
    apiVersion: PINNED_VERSION,
    now: () => NOW,
    onFailure: (eventId) => failures.push(eventId),
  });
  return { report, source, checkpoint, sync, failures };
}

describe('the window', () => {
  it.each([
    ['no checkpoint: the whole 30 days', undefined, NOW - STRIPE_EVENT_RETENTION_SECONDS, false],
    ['a recent checkpoint: from it minus the overlap', NOW - 900, NOW - 900 - OVERLAP_SECONDS, false],
    ['a checkpoint older than 30 days: clamped, and said so', NOW - 40 * DAY, NOW - STRIPE_EVENT_RETENTION_SECONDS, true],
    [
      'a checkpoint at exactly 30 days plus the overlap: not clamped',
      NOW - STRIPE_EVENT_RETENTION_SECONDS + OVERLAP_SECONDS,
      NOW - STRIPE_EVENT_RETENTION_SECONDS,
      false,
    ],
  ] as const)('%s', async (_name, checkpoint, from, clamped) => {
    const { report, source } = await run({ ...(checkpoint !== undefined && { checkpoint }) });
    expect(report.window).toEqual({ from, until: NOW, clamped });
    expect(source.queries[0]!.from).toBe(from);
  });

  it('lists a 30-day backlog in day slices, the last one unbounded, and advances the checkpoint after each', async () => {
    const { report, source, checkpoint } = await run({});
    const slices = Math.ceil(STRIPE_EVENT_RETENTION_SECONDS / SLICE_SECONDS);
    expect(source.queries).toHaveLength(slices + 1);
    expect(source.queries.at(-1)!.until).toBeUndefined();
    for (const query of source.queries.slice(0, -1)) expect(query.until! - query.from).toBe(SLICE_SECONDS);
    expect(checkpoint.advances.at(-1)).toBe(NOW);
    expect(report).toMatchObject({ complete: true, pages: slices + 1, stripeCalls: slices + 1, checkpoint: { previous: null, next: NOW, advanced: true } });
  });
});

describe('applying', () => {
  it('applies oldest first, across pages, including events of the overlap, and counts each outcome', async () => {
    const start = NOW - 600;
    const events = [
      event('evt_overlap', start - 60),
      event('evt_a', start + 1),
      event('evt_b', start + 2),
      event('evt_c', start + 2),
      event('evt_d', start + 3),
      event('evt_e', start + 4),
    ];
    const { report, sync } = await run({
      checkpoint: start,
      events,
      pageSize: 2,
      script: { evt_overlap: 'duplicate', evt_b: 'stale', evt_e: 'ignored' },
    });
    // Stripe lists the newest first; the run applies in creation order (same second: as created).
    expect(sync.processed).toEqual(['evt_overlap', 'evt_a', 'evt_b', 'evt_c', 'evt_d', 'evt_e']);
    expect(report.outcomes).toEqual({ applied: 3, duplicate: 1, stale: 1, ignored: 1 });
    expect(report).toMatchObject({ listed: 6, pages: 3, stripeCalls: 3, complete: true });
  });

  it.each([
    ['another API version', 'skippedApiVersion', { apiVersion: '2024-06-20' }],
    ['no API version at all', 'skippedApiVersion', { apiVersion: null }],
    ['a malformed payload (the webhook answers 400)', 'rejected', { billing: 'malformed' as const }],
  ] as const)('skips and reports an event with %s, applies the rest and advances past it', async (_name, field, extra) => {
    const { report, sync, checkpoint } = await run({
      checkpoint: NOW - 600,
      events: [event('evt_before', NOW - 300), event('evt_odd', NOW - 200, extra), event('evt_after', NOW - 100)],
    });
    expect(sync.processed).toEqual(['evt_before', 'evt_after']);
    expect(report[field]).toMatchObject({ count: 1, eventIds: ['evt_odd'] });
    expect(report.complete).toBe(true);
    expect(checkpoint.value).toBe(NOW);
  });

  it('names the versions it skipped', async () => {
    const { report } = await run({
      checkpoint: NOW - 600,
      events: [event('evt_1', NOW - 10, { apiVersion: '2024-06-20' }), event('evt_2', NOW - 9, { apiVersion: null })],
    });
    expect(report.skippedApiVersion).toEqual({ count: 2, eventIds: ['evt_1', 'evt_2'], versions: ['2024-06-20', 'none'] });
  });

  it('treats what EntitlementSync refuses as invalid (4xx) as rejected, not as a failure', async () => {
    const { report } = await run({ checkpoint: NOW - 600, events: [event('evt_1', NOW - 10)], script: { evt_1: 'reject' } });
    expect(report).toMatchObject({ complete: true, rejected: { count: 1, eventIds: ['evt_1'] } });
  });
});

describe('the checkpoint', () => {
  const previous = NOW - 3 * DAY;
  const firstSliceEnd = previous - OVERLAP_SECONDS + SLICE_SECONDS;

  it.each<[string, Parameters<typeof run>[0], Partial<ReconcileReport['checkpoint']> & { complete: boolean; processed: string[] }]>([
    ['all applied: moves to the run start', { events: [event('evt_1', NOW - 10)] }, { next: NOW, advanced: true, complete: true, processed: ['evt_1'] }],
    [
      'a failure in the first slice: moves to the failed event second only if later, holds otherwise',
      { events: [event('evt_1', previous + 10), event('evt_2', previous + 20), event('evt_3', previous + 30)], script: { evt_2: 'fail' } },
      { next: previous + 20, advanced: true, complete: false, processed: ['evt_1'] },
    ],
    [
      'a failure on an event of the overlap: holds',
      { events: [event('evt_1', previous - 10)], script: { evt_1: 'fail' } },
      { next: previous, advanced: false, complete: false, processed: [] },
    ],
    [
      'a failure in a later slice: keeps the slices done',
      { events: [event('evt_1', previous + 10), event('evt_2', NOW - 10)], script: { evt_2: 'fail' } },
      { next: NOW - 10, advanced: true, complete: false, processed: ['evt_1'] },
    ],
    [
      'Stripe failing on the second list call: keeps the first slice',
      { events: [event('evt_1', previous + 10)], failOnPage: 2 },
      { next: firstSliceEnd, advanced: true, complete: false, processed: ['evt_1'] },
    ],
    [
      'Stripe failing on the first list call: holds',
      { events: [event('evt_1', previous + 10)], failOnPage: 1 },
      { next: previous, advanced: false, complete: false, processed: [] },
    ],
  ])('%s', async (_name, options, expected) => {
    const { report, sync, checkpoint, failures } = await run({ checkpoint: previous, ...options });
    expect(sync.processed).toEqual(expected.processed);
    expect(report.complete).toBe(expected.complete);
    expect(report.checkpoint).toEqual({ previous, next: expected.next, advanced: expected.advanced });
    expect(checkpoint.value).toBe(expected.next);
    expect(failures).toHaveLength(expected.complete ? 0 : 1);
    if (!expected.complete) expect(report.failure?.message).toMatch(/storage unavailable|Stripe is unreachable/);
  });

  it('never moves back when another run got further meanwhile', async () => {
    const checkpoint = new InMemoryReconcileCheckpoint(NOW - 600);
    const source = new InMemoryEventSource(() => NOW);
    // Another run advances beyond this run's start while this one lists.
    const racing = {
      page: async (query: Parameters<typeof source.page>[0]) => {
        await checkpoint.advance(NOW + 60);
        return source.page(query);
      },
    };
    const report = await reconcileMissedEvents({ events: racing, checkpoint, sync: new ScriptedSync(), apiVersion: PINNED_VERSION, now: () => NOW });
    expect(checkpoint.value).toBe(NOW + 60);
    expect(report.checkpoint).toEqual({ previous: NOW - 600, next: NOW - 600, advanced: false });
  });
});

describe('the handled event types', () => {
  it('fit one Stripe list call (at most 20 types[]) and name no type twice', () => {
    expect(HANDLED_EVENT_TYPES.length).toBeLessThanOrEqual(20);
    expect(new Set(HANDLED_EVENT_TYPES).size).toBe(HANDLED_EVENT_TYPES.length);
  });
});
