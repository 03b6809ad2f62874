/**
 * The in-memory fakes (test/fakes) answer like the DynamoDB adapters wherever the core relies on it:
 * the same script of calls runs against both, on dynalite (the entitlement store also on DynamoDB
 * Local), and must give the same, specified answers.
 * The unit tests of the core use the fakes, so this is what keeps them honest.
 */
import { DynamoAccountLinks } from '#adapters/dynamodb/account-links';
import { documentClient } from '#adapters/dynamodb/client';
import { DynamoEntitlementStore } from '#adapters/dynamodb/entitlement-store';
import { DynamoResumeSchedule } from '#adapters/dynamodb/resume-schedule';
import type { AccountLinks } from '#core/accounts';
import type { SubscriptionSnapshot, SubscriptionStatus } from '#core/billing-events';
import type { EntitlementStore } from '#core/entitlements-sync';
import type { ResumeSchedule } from '#core/resume-schedule';
import { InMemoryAccountLinks } from '../fakes/account-links';
import { InMemoryEntitlementStore } from '../fakes/entitlement-store';
import { InMemoryResumeSchedule } from '../fakes/resume-schedule';
import { useLocalDynamo } from '../helpers/dynamodb';

const STAMP = new Date('2026-03-01T12:00:00Z');
const clock = () => STAMP;

const snapshot = (customerId: string, status: SubscriptionStatus, cancelAtPeriodEnd = false): SubscriptionSnapshot => ({
  id: 'sub_1',
  customerId,
  status,
  created: 1_700_000_000,
  items: [{ priceId: 'price_1', productId: 'prod_1', lookupKey: 'monthly', currentPeriodEnd: 1_900_000_000 }],
  cancelAtPeriodEnd,
  cancelAt: null,
  pauseCollection: null,
});
const at = (eventId: string, created: number) => ({ eventId, created });
/** A position read from Stripe at `readAtMs`; the ms are small on purpose, only their order matters. */
const read = (eventId: string, created: number, readAtMs = 1) => ({ eventId, created, readAtMs });

describe('in-memory fakes answer like the DynamoDB adapters', () => {
  const db = useLocalDynamo();
  // The condition expressions also against Amazon's DynamoDB Local, which evaluates them like the service.
  const amazonDb = useLocalDynamo({ kind: 'dynamodb-local' });
  let unique = 0;
  /** A fresh customer id per run, so that runs never see each other's items in the shared table. */
  const freshCustomer = () => `cus_contract_${++unique}`;

  const stores: Array<[string, () => EntitlementStore]> = [
    ['InMemoryEntitlementStore', () => new InMemoryEntitlementStore(undefined, clock)],
    ['DynamoEntitlementStore', () => new DynamoEntitlementStore(documentClient(db.client), db.tableName, clock)],
    ['DynamoEntitlementStore on DynamoDB Local', () => new DynamoEntitlementStore(documentClient(amazonDb.client), amazonDb.tableName, clock)],
  ];

  describe.each(stores)('%s', (_name, makeStore) => {
    it('orders subscription snapshots: apply, duplicate, stale, tie, and no revival after a terminal state', async () => {
      const store = makeStore();
      const c = freshCustomer();
      const answers = [
        await store.putSubscription(at('evt_2', 200), snapshot(c, 'active')),
        await store.putSubscription(at('evt_2', 200), snapshot(c, 'active')),
        await store.putSubscription(at('evt_1', 100), snapshot(c, 'trialing')),
        await store.putSubscription(at('evt_3', 200), snapshot(c, 'past_due')),
        await store.putSubscription(at('evt_4', 300), snapshot(c, 'canceled')),
        await store.putSubscription(at('evt_5', 400), snapshot(c, 'active')),
        await store.putSubscription(at('evt_6', 300), snapshot(c, 'incomplete_expired')),
        await store.putSubscription(at('evt_7', 500), snapshot(c, 'incomplete_expired')),
      ];
      expect(answers).toEqual(['applied', 'duplicate', 'stale', 'tie', 'applied', 'stale', 'tie', 'applied']);
      expect((await store.customerRecords(c))?.subscriptions).toEqual([
        { snapshot: snapshot(c, 'incomplete_expired'), snapshotCreated: 500, updatedAt: STAMP.toISOString() },
      ]);
    });

    it('a resolved write lands only in the tie’s second, and makes both events duplicates', async () => {
      const store = makeStore();
      const c = freshCustomer();
      const answers = [
        await store.putResolvedSubscription(read('evt_0', 100), snapshot(c, 'active')),
        await store.putSubscription(at('evt_a', 200), snapshot(c, 'active')),
        await store.putSubscription(at('evt_b', 200), snapshot(c, 'past_due')),
        await store.putResolvedSubscription(read('evt_b', 200), snapshot(c, 'active', true)),
        await store.putSubscription(at('evt_a', 200), snapshot(c, 'active')),
        await store.putSubscription(at('evt_b', 200), snapshot(c, 'past_due')),
        await store.putResolvedSubscription(read('evt_x', 199), snapshot(c, 'unpaid')),
      ];
      expect(answers).toEqual(['stale', 'applied', 'tie', 'applied', 'duplicate', 'duplicate', 'stale']);
      expect((await store.customerRecords(c))?.subscriptions.map((s) => s.snapshot)).toEqual([snapshot(c, 'active', true)]);
    });

    it('three ties of one second resolved out of order: the copy read last stays, whatever lands last', async () => {
      const store = makeStore();
      const c = freshCustomer();
      const answers = [
        await store.putSubscription(at('evt_created', 200), snapshot(c, 'incomplete')),
        await store.putSubscription(at('evt_updated', 200), snapshot(c, 'active')),
        await store.putSubscription(at('evt_paid', 200), snapshot(c, 'active')),
        // The invoice.paid tie read Stripe last but lands first; the .updated tie's older copy lands after it.
        await store.putResolvedSubscription(read('evt_paid', 200, 2_000), snapshot(c, 'active', true)),
        await store.putResolvedSubscription(read('evt_updated', 200, 1_000), snapshot(c, 'incomplete')),
        // A read of the same second that began later still lands; an event of the next second replaces it and forgets the read.
        await store.putResolvedSubscription(read('evt_late_read', 200, 3_000), snapshot(c, 'past_due')),
        await store.putSubscription(at('evt_next', 201), snapshot(c, 'active')),
        await store.putSubscription(at('evt_next_tie', 201), snapshot(c, 'active')),
        await store.putResolvedSubscription(read('evt_next_tie', 201, 1), snapshot(c, 'unpaid')),
      ];
      expect(answers).toEqual(['applied', 'tie', 'tie', 'applied', 'stale', 'applied', 'applied', 'tie', 'applied']);
      expect((await store.customerRecords(c))?.subscriptions.map((s) => s.snapshot.status)).toEqual(['unpaid']);
    });

    it('a snapshot read from Stripe and written in order keeps its read time against later resolutions', async () => {
      const store = makeStore();
      const c = freshCustomer();
      const answers = [
        await store.putSubscription(read('refresh_1', 300, 5_000), snapshot(c, 'active', true)),
        await store.putSubscription(at('evt_same_second', 300), snapshot(c, 'active')),
        await store.putResolvedSubscription(read('evt_same_second', 300, 4_000), snapshot(c, 'active')),
        await store.putResolvedSubscription(read('evt_same_second', 300, 6_000), snapshot(c, 'past_due')),
      ];
      expect(answers).toEqual(['applied', 'tie', 'stale', 'applied']);
      expect((await store.customerRecords(c))?.subscriptions.map((s) => s.snapshot.status)).toEqual(['past_due']);
    });

    it('three invoice ties and three summary ties keep the copy read last', async () => {
      const store = makeStore();
      const c = freshCustomer();
      const answers = [
        await store.putSubscription(at('evt_s', 100), snapshot(c, 'active')),
        await store.putInvoiceSignal(at('evt_i1', 300), c, 'sub_1', { invoiceId: 'in_1', paymentFailed: true }),
        await store.putInvoiceSignal(at('evt_i2', 300), c, 'sub_1', { invoiceId: 'in_2', paymentFailed: true }),
        await store.putResolvedInvoiceSignal(read('evt_i2', 300, 20), c, 'sub_1', { invoiceId: 'in_2', paymentFailed: false }),
        await store.putResolvedInvoiceSignal(read('evt_i3', 300, 10), c, 'sub_1', { invoiceId: 'in_3', paymentFailed: true }),
        await store.putEntitlementSummary(at('evt_e1', 400), c, ['a']),
        await store.putResolvedEntitlementSummary(read('evt_e2', 400, 20), c, ['a', 'b']),
        await store.putResolvedEntitlementSummary(read('evt_e3', 400, 10), c, []),
      ];
      expect(answers).toEqual(['applied', 'applied', 'tie', 'applied', 'stale', 'applied', 'applied', 'stale']);
      const records = await store.customerRecords(c);
      expect(records?.subscriptions[0]?.invoice).toEqual({ invoiceId: 'in_2', paymentFailed: false, created: 300 });
      expect(records?.entitlementSummary?.lookupKeys).toEqual(['a', 'b']);
    });

    it('orders invoice signals apart from snapshots, and shows them only with a snapshot', async () => {
      const store = makeStore();
      const c = freshCustomer();
      const answers = [
        await store.putInvoiceSignal(at('evt_i2', 300), c, 'sub_1', { invoiceId: 'in_2', paymentFailed: true }),
        await store.putInvoiceSignal(at('evt_i1', 250), c, 'sub_1', { invoiceId: 'in_1', paymentFailed: false }),
      ];
      const beforeSnapshot = (await store.customerRecords(c))?.subscriptions;
      answers.push(
        await store.putSubscription(at('evt_s', 100), snapshot(c, 'active')),
        await store.putInvoiceSignal(at('evt_i3', 300), c, 'sub_1', { invoiceId: 'in_3', paymentFailed: false }),
        await store.putResolvedInvoiceSignal(read('evt_i3', 300), c, 'sub_1', { invoiceId: 'in_3', paymentFailed: false }),
      );
      expect(answers).toEqual(['applied', 'stale', 'applied', 'tie', 'applied']);
      expect(beforeSnapshot).toEqual([]);
      expect((await store.customerRecords(c))?.subscriptions).toEqual([
        {
          snapshot: snapshot(c, 'active'),
          snapshotCreated: 100,
          invoice: { invoiceId: 'in_3', paymentFailed: false, created: 300 },
          updatedAt: STAMP.toISOString(),
        },
      ]);
    });

    it('orders entitlement summaries, settles their ties, and keeps a deleted customer deleted', async () => {
      const store = makeStore();
      const c = freshCustomer();
      const answers = [
        await store.putEntitlementSummary(at('evt_1', 100), c, ['a']),
        await store.putEntitlementSummary(at('evt_0', 90), c, []),
        await store.putEntitlementSummary(at('evt_2', 100), c, ['b']),
        await store.putResolvedEntitlementSummary(read('evt_2', 100), c, ['a', 'b']),
        await store.markCustomerDeleted(at('evt_del', 120), c),
        await store.markCustomerDeleted(at('evt_del_again', 130), c),
      ];
      expect(answers).toEqual(['applied', 'stale', 'tie', 'applied', 'applied', 'duplicate']);
      expect(await store.customerRecords(c)).toEqual({
        subscriptions: [],
        deleted: true,
        entitlementSummary: { lookupKeys: ['a', 'b'], updatedAt: STAMP.toISOString() },
      });
    });

    it('remembers when Stripe named no account for a customer', async () => {
      const store = makeStore();
      const c = freshCustomer();
      const before = await store.customerLookedUpSince(c, 0);
      await store.recordCustomerLookup(c, 1_000);
      const answers = await Promise.all([999, 1_000, 1_001].map((since) => store.customerLookedUpSince(c, since)));
      expect([before, ...answers]).toEqual([false, true, true, false]);
    });

    it('keeps a scheduled resume beside the snapshot: event writes leave it, null clears it', async () => {
      const store = makeStore();
      const c = freshCustomer();
      await store.putSubscription(at('evt_1', 100), snapshot(c, 'paused'));
      await store.setScheduledResume(c, 'sub_1', 1_800_000_000);
      const scheduled = (await store.customerRecords(c))?.subscriptions[0]?.scheduledResumeAt;
      await store.putSubscription(at('evt_2', 200), snapshot(c, 'paused'));
      const afterEvent = (await store.customerRecords(c))?.subscriptions[0]?.scheduledResumeAt;
      await store.setScheduledResume(c, 'sub_1', null);
      const cleared = (await store.customerRecords(c))?.subscriptions[0];
      expect([scheduled, afterEvent, cleared?.scheduledResumeAt, cleared?.snapshot.status]).toEqual([1_800_000_000, 1_800_000_000, undefined, 'paused']);
    });
  });

  const schedules: Array<[string, () => ResumeSchedule]> = [
    ['InMemoryResumeSchedule', () => new InMemoryResumeSchedule()],
    ['DynamoResumeSchedule', () => new DynamoResumeSchedule(documentClient(db.client), db.tableName)],
  ];

  describe.each(schedules)('%s', (_name, makeSchedule) => {
    it('answers due entries oldest first by time (9 before 10), at most the limit; cancel removes one entry only', async () => {
      const schedule = makeSchedule();
      const entry = (subscriptionId: string, resumesAt: number) => ({ accountId: 'acct_1', customerId: 'cus_1', subscriptionId, resumesAt });
      // Far in the past of any other test's entries in the shared table, so only these are due.
      const scheduled = [entry('sub_ten', 10), entry('sub_nine', 9), entry('sub_eleven', 11), entry('sub_a_ten', 10)];
      for (const one of scheduled) await schedule.schedule(one);
      const first = await schedule.due(10, 10);
      const limited = await schedule.due(11, 2);
      await schedule.cancel({ subscriptionId: 'sub_ten', resumesAt: 10 });
      await schedule.cancel({ subscriptionId: 'sub_eleven', resumesAt: 12 });
      const after = await schedule.due(11, 10);
      for (const e of after) await schedule.cancel(e);
      expect([first, limited, after].map((list) => list.map((e) => e.subscriptionId))).toEqual([
        ['sub_nine', 'sub_a_ten', 'sub_ten'],
        ['sub_nine', 'sub_a_ten'],
        ['sub_nine', 'sub_a_ten', 'sub_eleven'],
      ]);
      expect(first[0]).toEqual(entry('sub_nine', 9));
    });
  });

  const linkStores: Array<[string, () => AccountLinks]> = [
    ['InMemoryAccountLinks', () => new InMemoryAccountLinks()],
    ['DynamoAccountLinks', () => new DynamoAccountLinks(documentClient(db.client), db.tableName)],
  ];

  describe.each(linkStores)('%s', (_name, makeLinks) => {
    it('the first link of an account wins', async () => {
      const links = makeLinks();
      const [account, first, second] = [`acct_${++unique}`, freshCustomer(), freshCustomer()];
      const answers = [await links.link(account, first), await links.link(account, first), await links.link(account, second)];
      expect(answers).toEqual([first, first, first]);
      expect([await links.customerForAccount(account), await links.accountForCustomer(first), await links.accountForCustomer(second)]).toEqual([
        first,
        account,
        undefined,
      ]);
    });

    it('a deleted customer frees its account for good', async () => {
      const links = makeLinks();
      const [account, deleted, next, unknown] = [`acct_${++unique}`, freshCustomer(), freshCustomer(), freshCustomer()];
      await links.link(account, deleted);
      const answers = [
        await links.unlinkDeletedCustomer(deleted),
        await links.unlinkDeletedCustomer(deleted),
        await links.unlinkDeletedCustomer(unknown),
        await links.customerForAccount(account),
        await links.deletedCustomerOf(account),
        await links.link(account, deleted),
        await links.link(account, next),
        await links.unlinkDeletedCustomer(deleted),
        await links.customerForAccount(account),
        await links.accountForCustomer(deleted),
      ];
      expect(answers).toEqual([account, account, undefined, undefined, deleted, undefined, next, account, next, account]);
    });
  });
});
