/**
 * The backfill (functions/core/backfill.ts) over in-memory ports: where a run starts (fresh, resumed,
 * restarted, already complete), how each customer's link comes out, what an interrupted page costs,
 * 429s, pacing, and that a live event newer than the read is never hidden. The same flows against
 * DynamoDB and the Stripe emulator are in test/integration/backfill.test.ts.
 */
import { type BackfillPorts, type BackfillProgress, backfillEstimate, intervalPacer, runBackfill } from '#core/backfill';
import type { SubscriptionSnapshot, SubscriptionStatus } from '#core/billing-events';
import { AppError } from '#core/errors';
import { InMemoryAccountLinks } from '../fakes/account-links';
import { type FakeStripeSubscription, InMemoryBackfillProgress, InMemorySubscriptionPages } from '../fakes/backfill-progress';
import { CallLog } from '../fakes/call-log';
import { InMemoryEntitlementStore } from '../fakes/entitlement-store';

const NOW = 1_800_000_000;

function snapshot(id: string, customerId: string, status: SubscriptionStatus = 'active'): SubscriptionSnapshot {
  return {
    id,
    customerId,
    status,
    created: NOW - 86_400,
    items: [{ priceId: 'price_sp_m', productId: 'prod_stock_photos', lookupKey: 'stock_photos_monthly', currentPeriodEnd: NOW + 86_400 }],
    cancelAtPeriodEnd: false,
    cancelAt: null,
    pauseCollection: null,
  };
}

/** `count` subscriptions sub_0.. of customers cus_0.., every customer naming account acct_<n>. */
const account = (count: number): FakeStripeSubscription[] =>
  Array.from({ length: count }, (_, n) => ({ snapshot: snapshot(`sub_${n}`, `cus_${n}`), account: `acct_${n}` }));

function world(subscriptions: FakeStripeSubscription[], stored?: BackfillProgress) {
  const log = new CallLog();
  const store = new InMemoryEntitlementStore(log);
  const links = new InMemoryAccountLinks(log);
  const pages = new InMemorySubscriptionPages(subscriptions, log);
  const progress = new InMemoryBackfillProgress(stored, log);
  const sleeps: number[] = [];
  let id = 0;
  const ports: BackfillPorts = {
    pages,
    links,
    store,
    progress,
    pace: async () => {},
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    now: () => NOW,
    randomId: () => String(++id),
  };
  const cursors = () => log.argsOf('stripe.page').map(([cursor]) => cursor);
  return { log, store, links, pages, progress, ports, sleeps, cursors };
}

const counts = (overrides: Partial<BackfillProgress> = {}): Omit<BackfillProgress, 'cursor' | 'startedAt'> => ({
  pages: 0,
  subscriptions: 0,
  written: 0,
  stale: 0,
  linked: 0,
  alreadyLinked: 0,
  conflicts: 0,
  withoutAccount: 0,
  ...overrides,
});

describe('runBackfill: where a run starts', () => {
  const afterPage1: BackfillProgress = { ...counts({ pages: 1, subscriptions: 100, written: 100, linked: 100 }), cursor: 'sub_99', startedAt: NOW - 600 };
  const complete: BackfillProgress = {
    ...counts({ pages: 3, subscriptions: 250, written: 250, linked: 250 }),
    cursor: 'sub_249',
    startedAt: NOW - 600,
    completedAt: NOW - 60,
  };

  it.each([
    {
      case: 'no record: from the start',
      stored: undefined,
      restart: false,
      kind: 'completed',
      cursors: [undefined, 'sub_99', 'sub_199'],
      pages: 3,
      resumed: false,
    },
    {
      case: 'interrupted after page 1: continues after it',
      stored: afterPage1,
      restart: false,
      kind: 'completed',
      cursors: ['sub_99', 'sub_199'],
      pages: 3,
      resumed: true,
    },
    {
      case: 'interrupted, --restart: from the start',
      stored: afterPage1,
      restart: true,
      kind: 'completed',
      cursors: [undefined, 'sub_99', 'sub_199'],
      pages: 3,
      resumed: false,
    },
    { case: 'complete: says so, reads nothing', stored: complete, restart: false, kind: 'already_complete', cursors: [], pages: 3, resumed: undefined },
    {
      case: 'complete, --restart: from the start',
      stored: complete,
      restart: true,
      kind: 'completed',
      cursors: [undefined, 'sub_99', 'sub_199'],
      pages: 3,
      resumed: false,
    },
  ])('$case', async ({ stored, restart, kind, cursors: expectedCursors, pages, resumed }) => {
    const { ports, cursors, log, progress } = world(account(250), stored);
    const outcome = await runBackfill(ports, { restart });

    expect(outcome.kind).toBe(kind);
    expect(cursors()).toEqual(expectedCursors);
    expect(outcome.progress.pages).toBe(pages);
    expect(progress.stored).toEqual(outcome.progress);
    if (outcome.kind === 'completed') {
      expect(outcome.resumed).toBe(resumed);
      expect(outcome.progress).toMatchObject({ cursor: 'sub_249', subscriptions: 250, completedAt: NOW });
      // The counts of a resumed run carry on from the record; a fresh start counts from zero.
      expect(outcome.progress.startedAt).toBe(resumed ? NOW - 600 : NOW);
    } else {
      expect(log.calls).toEqual(['progress.load']);
    }
  });

  it('an empty account completes in one request', async () => {
    const { ports, cursors } = world([]);
    const outcome = await runBackfill(ports);
    expect(cursors()).toEqual([undefined]);
    expect(outcome.progress).toMatchObject({ ...counts({ pages: 1 }), cursor: undefined, completedAt: NOW });
  });

  it('saves progress after every page, never before the page is written', async () => {
    const { ports, log } = world(account(150));
    await runBackfill(ports);
    const sequence = log.calls.filter((call) => ['stripe.page', 'store.putSubscription', 'progress.save'].includes(call));
    const collapsed = sequence.filter((call, index) => call !== sequence[index - 1]);
    expect(collapsed).toEqual(['stripe.page', 'store.putSubscription', 'progress.save', 'stripe.page', 'store.putSubscription', 'progress.save']);
  });
});

describe('runBackfill: customer links', () => {
  it.each([
    { case: 'metadata names no account', metadata: null, before: () => {}, outcome: 'withoutAccount', linkedTo: undefined },
    { case: 'a free account: linked', metadata: 'acct_a', before: () => {}, outcome: 'linked', linkedTo: 'cus_x' },
    {
      case: 'already linked to this customer (a live event, an earlier run)',
      metadata: 'acct_a',
      before: (links: InMemoryAccountLinks) => links.link('acct_a', 'cus_x'),
      outcome: 'alreadyLinked',
      linkedTo: 'cus_x',
    },
    {
      case: 'the account is tied to another customer: first link wins, reported',
      metadata: 'acct_a',
      before: (links: InMemoryAccountLinks) => links.link('acct_a', 'cus_other'),
      outcome: 'conflicts',
      linkedTo: 'cus_other',
      conflict: { customerId: 'cus_x', accountId: 'acct_a', accountLinkedTo: 'cus_other' },
    },
    {
      case: 'the customer is linked to another account: left alone, reported',
      metadata: 'acct_a',
      before: (links: InMemoryAccountLinks) => links.link('acct_b', 'cus_x'),
      outcome: 'conflicts',
      linkedTo: undefined,
      conflict: { customerId: 'cus_x', accountId: 'acct_a', customerLinkedTo: 'acct_b' },
    },
    {
      case: "the account's deleted customer (its reverse item stays): counted as already linked, not linked again",
      metadata: 'acct_a',
      before: async (links: InMemoryAccountLinks) => {
        await links.link('acct_a', 'cus_x');
        await links.unlinkDeletedCustomer('cus_x');
      },
      outcome: 'alreadyLinked',
      linkedTo: undefined,
    },
  ])('$case', async ({ metadata, before, outcome, linkedTo, conflict }) => {
    const { ports, links } = world([{ snapshot: snapshot('sub_1', 'cus_x'), account: metadata }]);
    await before(links);
    const conflicts: unknown[] = [];
    const result = await runBackfill({ ...ports, onConflict: (c) => conflicts.push(c) });

    expect(result.progress).toMatchObject(counts({ pages: 1, subscriptions: 1, written: 1, [outcome]: 1 }));
    expect(await links.customerForAccount('acct_a')).toBe(linkedTo);
    expect(conflicts).toEqual(conflict ? [conflict] : []);
  });

  it('links a customer with several subscriptions on one page once', async () => {
    const { ports, log } = world([
      { snapshot: snapshot('sub_1', 'cus_x'), account: 'acct_a' },
      { snapshot: snapshot('sub_2', 'cus_x'), account: 'acct_a' },
    ]);
    const result = await runBackfill(ports);
    expect(log.argsOf('links.link')).toEqual([['acct_a', 'cus_x']]);
    expect(result.progress).toMatchObject(counts({ pages: 1, subscriptions: 2, written: 2, linked: 1 }));
  });
});

describe('runBackfill: failures, pacing and live events', () => {
  it('an interrupted run keeps its completed pages; the rerun reads only the failed page again', async () => {
    const { ports, pages, cursors, progress } = world(account(250));
    pages.failures.push(undefined, new AppError('upstream_failed', 'stripe_failed', 'Stripe failed.'));

    await expect(runBackfill(ports)).rejects.toMatchObject({ code: 'stripe_failed' });
    expect(progress.stored).toMatchObject({ pages: 1, cursor: 'sub_99', subscriptions: 100 });
    expect(progress.stored?.completedAt).toBeUndefined();

    const outcome = await runBackfill(ports);
    expect(cursors()).toEqual([undefined, 'sub_99', 'sub_99', 'sub_199']);
    expect(outcome).toMatchObject({ kind: 'completed', resumed: true, progress: { pages: 3, subscriptions: 250, written: 250, linked: 250 } });
  });

  it('waits out a 429 for Retry-After and reads the same page again', async () => {
    const { ports, pages, sleeps, cursors } = world(account(150));
    const throttled = new AppError('throttled', 'stripe_rate_limited', 'Slow down.', { retryAfterSeconds: 3 });
    pages.failures.push(undefined, throttled, throttled);

    const outcome = await runBackfill(ports);
    expect(sleeps).toEqual([3000, 3000]);
    expect(cursors()).toEqual([undefined, 'sub_99', 'sub_99', 'sub_99']);
    expect(outcome.progress).toMatchObject({ pages: 2, subscriptions: 150 });
  });

  it('gives up after repeated 429s, resumable', async () => {
    const { ports, pages, progress } = world(account(150));
    pages.failures.push(...Array.from({ length: 6 }, () => new AppError('throttled', 'stripe_rate_limited', 'Slow down.')));
    await expect(runBackfill(ports)).rejects.toMatchObject({ kind: 'throttled' });
    expect(progress.stored).toBeUndefined();
  });

  it('asks the pacer before every request, retries included', async () => {
    const { ports, pages, log } = world(account(250));
    pages.failures.push(undefined, new AppError('throttled', 'stripe_rate_limited', 'Slow down.'));
    let paced = 0;
    const pace = async () => {
      paced += 1;
    };
    await runBackfill({ ...ports, pace });
    expect(paced).toBe(log.argsOf('stripe.page').length);
    expect(paced).toBe(4);
  });

  it('a second backfill running at once cannot move the cursor: it fails with a conflict', async () => {
    const { ports, progress } = world(account(150));
    const interloper: BackfillProgress = { ...counts({ pages: 5 }), cursor: 'sub_0', startedAt: NOW - 1 };
    let saves = 0;
    const racing = {
      load: () => progress.load(),
      save: async (next: BackfillProgress, previous: BackfillProgress | undefined) => {
        if (++saves === 2) progress.stored = interloper;
        return progress.save(next, previous);
      },
    };
    // The first save lands; before the second, another run saved its own record.
    await expect(runBackfill({ ...ports, progress: racing })).rejects.toMatchObject({ code: 'backfill_running' });
    expect(progress.stored).toEqual(interloper);
  });

  it('writes each page as a read taken just before its request: a newer live event is never hidden', async () => {
    const { ports, store, log } = world([
      { snapshot: snapshot('sub_live', 'cus_1'), account: 'acct_1' },
      { snapshot: snapshot('sub_quiet', 'cus_2'), account: 'acct_2' },
    ]);
    // A cancellation delivered before the backfill's write, created after its read began.
    await store.putSubscription({ eventId: 'evt_cancel', created: NOW }, snapshot('sub_live', 'cus_1', 'canceled'));

    const outcome = await runBackfill(ports);
    expect(outcome.progress).toMatchObject({ written: 1, stale: 1 });
    expect((await store.customerRecords('cus_1'))?.subscriptions[0]?.snapshot.status).toBe('canceled');
    expect((await store.customerRecords('cus_2'))?.subscriptions[0]?.snapshot.status).toBe('active');
    // One second before the read, named for the record's history.
    const [position] = log.argsOf('store.putSubscription').at(-1) as [{ eventId: string; created: number }];
    expect(position).toMatchObject({ eventId: expect.stringMatching(/^backfill_/), created: NOW - 1 });

    // A later event (delivered after the write) still applies.
    expect(await store.putSubscription({ eventId: 'evt_later', created: NOW }, snapshot('sub_quiet', 'cus_2', 'past_due'))).toBe('applied');
  });
});

describe('intervalPacer', () => {
  it.each([
    { case: 'back to back at 20/s: 50 ms apart', rate: 20, workMs: [0, 0, 0], sleeps: [50, 50] },
    { case: 'work slower than the budget: no wait', rate: 20, workMs: [80, 80, 80], sleeps: [] },
    { case: 'partly covered by the work', rate: 10, workMs: [30, 30], sleeps: [70] },
  ])('$case', async ({ rate, workMs, sleeps: expected }) => {
    let clock = 0;
    const sleeps: number[] = [];
    const pace = intervalPacer(rate, {
      nowMs: () => clock,
      sleep: async (ms) => {
        sleeps.push(ms);
        clock += ms;
      },
    });
    for (const work of workMs) {
      await pace();
      clock += work;
    }
    expect(sleeps).toEqual(expected);
  });

  it.each([0, -1, Number.NaN])('refuses a rate of %p', (rate) => {
    expect(() => intervalPacer(rate, { nowMs: () => 0, sleep: async () => {} })).toThrow(/above 0/);
  });
});

describe('backfillEstimate', () => {
  it.each([
    { rate: 20, text: 'at most 120,000 subscriptions/minute (100,000 subscriptions: under a minute of Stripe requests)' },
    { rate: 1, text: 'at most 6,000 subscriptions/minute (100,000 subscriptions: at least 17 minutes of Stripe requests)' },
  ])('at $rate requests/s', ({ rate, text }) => {
    expect(backfillEstimate(rate)).toContain(text);
  });
});
