/**
 * Ground truth for the chaos replay: what Stripe (the emulator) says now, against what Linkout stored
 * and what it answers on GET /v1/entitlements.
 *
 * - The snapshot of every subscription must equal `stripe.subscriptions.retrieve` mapped through the
 *   production mapping, and carry the second of the subscription's newest event.
 * - The invoice signal must be the subscription's newest invoice outcome; when its newest invoice
 *   events share a second, Linkout settles the tie from the subscription's status (entitlements-sync.ts).
 * - Each account's entitlements answer must equal the answer computed from that truth.
 */
import { isDeepStrictEqual } from 'node:util';
import type Stripe from 'stripe';
import { toSubscriptionSnapshot } from '#adapters/stripe/mapping';
import { type StoredInvoiceSignal, statusSignalsBillingIssue } from '#core/access';
import type { LinkoutConfig } from '#core/config';
import { type CustomerRecords, type EntitlementsResponse, entitlementsResponse, type StoredSubscription } from '#core/entitlements';
import type { ChaosAccount } from './subscription-lives';

export interface Mismatch {
  accountId: string;
  subscriptionId?: string;
  what: string;
  expected: unknown;
  actual: unknown;
}

export interface GroundTruthSources {
  stripe: Stripe;
  /** Every event the emulator emitted. */
  events: Stripe.Event[];
  config: LinkoutConfig;
  records(customerId: string): Promise<CustomerRecords | undefined>;
  entitlements(accountId: string): Promise<EntitlementsResponse>;
}

export interface Comparison {
  mismatches: Mismatch[];
  subscriptions: number;
  accounts: number;
}

interface InvoiceTruth {
  created: number;
  /** Undefined when two or more invoice events share the newest second (a tie). */
  single?: { invoiceId: string; paymentFailed: boolean };
}

export async function compareWithGroundTruth(accounts: ChaosAccount[], sources: GroundTruthSources): Promise<Comparison> {
  const newestSubscriptionSecond = new Map<string, number>();
  const invoiceEvents = new Map<string, Stripe.Event[]>();
  for (const event of sources.events) {
    const subscriptionId = subscriptionOf(event);
    if (!subscriptionId) continue;
    if (event.type.startsWith('customer.subscription.')) {
      newestSubscriptionSecond.set(subscriptionId, Math.max(newestSubscriptionSecond.get(subscriptionId) ?? 0, event.created));
    } else {
      invoiceEvents.set(subscriptionId, [...(invoiceEvents.get(subscriptionId) ?? []), event]);
    }
  }

  const mismatches: Mismatch[] = [];
  let subscriptions = 0;
  await inParallel(accounts, 8, async (account) => {
    const records = await sources.records(account.customerId);
    const expected: StoredSubscription[] = [];
    for (const subscriptionId of account.subscriptionIds) {
      subscriptions++;
      const truth = toSubscriptionSnapshot(await sources.stripe.subscriptions.retrieve(subscriptionId));
      const invoice = invoiceTruth(invoiceEvents.get(subscriptionId) ?? []);
      const expectedInvoice: StoredInvoiceSignal | undefined = invoice && {
        invoiceId: invoice.single?.invoiceId ?? '(tie)',
        paymentFailed: invoice.single?.paymentFailed ?? statusSignalsBillingIssue(truth.status),
        created: invoice.created,
      };
      const snapshotCreated = newestSubscriptionSecond.get(subscriptionId) ?? 0;
      expected.push({ snapshot: truth, snapshotCreated, ...(expectedInvoice && { invoice: expectedInvoice }), updatedAt: '' });

      const stored = records?.subscriptions.find((candidate) => candidate.snapshot.id === subscriptionId);
      const differ = (what: string, want: unknown, got: unknown) => {
        if (!isDeepStrictEqual(want, got)) mismatches.push({ accountId: account.accountId, subscriptionId, what, expected: want, actual: got });
      };
      differ('snapshot', truth, stored?.snapshot);
      differ('snapshotCreated', snapshotCreated, stored?.snapshotCreated);
      differ('invoice.created', expectedInvoice?.created, stored?.invoice?.created);
      differ('invoice.paymentFailed', expectedInvoice?.paymentFailed, stored?.invoice?.paymentFailed);
      // Of tied invoice events either id may be kept: the outcome is what counts.
      if (invoice?.single) differ('invoice.invoiceId', invoice.single.invoiceId, stored?.invoice?.invoiceId);
    }
    const unexpected = (records?.subscriptions ?? []).map((s) => s.snapshot.id).filter((id) => !account.subscriptionIds.includes(id));
    if (unexpected.length > 0) mismatches.push({ accountId: account.accountId, what: 'unexpected subscriptions', expected: [], actual: unexpected });

    // The access decision as the app sees it, at the moment it is asked.
    const answer = await sources.entitlements(account.accountId);
    const truthRecords: CustomerRecords = { subscriptions: expected, deleted: false };
    const want = entitlementsResponse(account.accountId, account.customerId, truthRecords, sources.config, Math.floor(Date.now() / 1000));
    const { updatedAt: _wantStamp, ...wantView } = want;
    const { updatedAt: _gotStamp, ...gotView } = answer;
    if (!isDeepStrictEqual(wantView, gotView))
      mismatches.push({ accountId: account.accountId, what: 'GET /v1/entitlements', expected: wantView, actual: gotView });
  });
  return { mismatches, subscriptions, accounts: accounts.length };
}

function invoiceTruth(events: Stripe.Event[]): InvoiceTruth | undefined {
  const outcomes = events.filter((event) => event.type === 'invoice.paid' || event.type === 'invoice.payment_failed');
  if (outcomes.length === 0) return undefined;
  const created = Math.max(...outcomes.map((event) => event.created));
  const newest = outcomes.filter((event) => event.created === created);
  if (newest.length > 1) return { created };
  const [event] = newest;
  return { created, single: { invoiceId: (event!.data.object as Stripe.Invoice).id!, paymentFailed: event!.type === 'invoice.payment_failed' } };
}

/** The subscription an event is about: a subscription event's object, or an invoice's parent. */
export function subscriptionOf(event: Stripe.Event): string | undefined {
  const object = event.data.object as { object?: string; id?: string; parent?: { subscription_details?: { subscription?: string | { id: string } } } };
  if (event.type.startsWith('customer.subscription.')) return object.id;
  if (event.type.startsWith('invoice.')) {
    const subscription = object.parent?.subscription_details?.subscription;
    return typeof subscription === 'string' ? subscription : subscription?.id;
  }
  return undefined;
}

async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}
