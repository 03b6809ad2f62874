/**
 * EntitlementStore in memory, with the semantics of the DynamoDB adapter
 * (functions/adapters/dynamodb/entitlement-store.ts) that the entitlement sync relies on:
 *
 * - an ordered write lands only when nothing is stored or the stored watermark is older, and never
 *   over a terminal subscription with a non-terminal snapshot (the adapter's condition expression);
 *   when it does not land, the stored watermark is classified with the core's ordering rule;
 * - a resolved write (after a tie) lands only while the watermark is still the tie's second and no
 *   copy read from Stripe later is stored, and adds the event id to that second's ids;
 * - a value read from Stripe (a ReadPosition) remembers when it was read; a value from an event does not;
 * - a subscription item holds two independently ordered values, the snapshot and the invoice signal;
 *   an invoice signal without a snapshot is kept but not shown;
 * - a customer, once marked deleted, stays deleted; writes about it still land, as in the table.
 *
 * Every call is recorded in the CallLog as "store.<method>", the failed conditional writes included.
 */

import { type EventPosition, type InvoiceSignal, isTerminal, type ReadPosition, type SubscriptionSnapshot } from '#core/billing-events';
import type { CustomerRecords, StoredSubscription } from '#core/entitlements';
import type { EntitlementStore, OrderedWriteResult, ResolvedWriteResult } from '#core/entitlements-sync';
import { orderEvent } from '#core/ordering';
import { CallLog } from './call-log';

/** A value with the watermark it was written under. */
interface Watermarked<T> {
  value: T;
  created: number;
  eventIds: string[];
  /** When the value was read from Stripe (ms); absent when it came from an event. */
  readAtMs?: number;
}

interface SubscriptionItem {
  snapshot?: Watermarked<SubscriptionSnapshot>;
  invoice?: Watermarked<InvoiceSignal>;
  updatedAt: string;
  scheduledResumeAt?: number;
}

interface CustomerItems {
  subscriptions: Map<string, SubscriptionItem>;
  summary?: Watermarked<string[]> & { updatedAt: string };
  deleted: boolean;
  lookupCheckedAt?: number;
}

type Ordered<T> = { result: OrderedWriteResult; stored: Watermarked<T> | undefined };

export class InMemoryEntitlementStore implements EntitlementStore {
  private readonly customers = new Map<string, CustomerItems>();

  constructor(
    readonly log = new CallLog(),
    private readonly clock: () => Date = () => new Date('2026-01-01T00:00:00Z'),
  ) {}

  async putSubscription(event: EventPosition | ReadPosition, subscription: SubscriptionSnapshot): Promise<OrderedWriteResult> {
    this.log.record('store.putSubscription', [event, subscription]);
    const item = this.subscriptionItem(subscription.customerId, subscription.id);
    const incomingTerminal = isTerminal(subscription.status);
    const { result, stored } = orderedWrite(item.snapshot, event, subscription, incomingTerminal, (s) => isTerminal(s.status));
    if (result === 'applied') this.update(item, { snapshot: stored });
    return result;
  }

  async putResolvedSubscription(event: ReadPosition, subscription: SubscriptionSnapshot): Promise<ResolvedWriteResult> {
    this.log.record('store.putResolvedSubscription', [event, subscription]);
    const item = this.subscriptionItem(subscription.customerId, subscription.id);
    const stored = resolvedWrite(item.snapshot, event, subscription);
    if (!stored) return 'stale';
    this.update(item, { snapshot: stored });
    return 'applied';
  }

  async putInvoiceSignal(event: EventPosition, customerId: string, subscriptionId: string, signal: InvoiceSignal): Promise<OrderedWriteResult> {
    this.log.record('store.putInvoiceSignal', [event, customerId, subscriptionId, signal]);
    const item = this.subscriptionItem(customerId, subscriptionId);
    const { result, stored } = orderedWrite(item.invoice, event, signal, false, () => false);
    if (result === 'applied') this.update(item, { invoice: stored });
    return result;
  }

  async putResolvedInvoiceSignal(event: ReadPosition, customerId: string, subscriptionId: string, signal: InvoiceSignal): Promise<ResolvedWriteResult> {
    this.log.record('store.putResolvedInvoiceSignal', [event, customerId, subscriptionId, signal]);
    const item = this.subscriptionItem(customerId, subscriptionId);
    const stored = resolvedWrite(item.invoice, event, signal);
    if (!stored) return 'stale';
    this.update(item, { invoice: stored });
    return 'applied';
  }

  async putEntitlementSummary(event: EventPosition, customerId: string, lookupKeys: string[]): Promise<OrderedWriteResult> {
    this.log.record('store.putEntitlementSummary', [event, customerId, lookupKeys]);
    const customer = this.customer(customerId);
    const { result, stored } = orderedWrite(customer.summary, event, lookupKeys, false, () => false);
    if (result === 'applied') customer.summary = { ...stored!, updatedAt: this.stamp() };
    return result;
  }

  async putResolvedEntitlementSummary(event: ReadPosition, customerId: string, lookupKeys: string[]): Promise<ResolvedWriteResult> {
    this.log.record('store.putResolvedEntitlementSummary', [event, customerId, lookupKeys]);
    const customer = this.customer(customerId);
    const stored = resolvedWrite(customer.summary, event, lookupKeys);
    if (!stored) return 'stale';
    customer.summary = { ...stored, updatedAt: this.stamp() };
    return 'applied';
  }

  async markCustomerDeleted(event: EventPosition, customerId: string): Promise<'applied' | 'duplicate'> {
    this.log.record('store.markCustomerDeleted', [event, customerId]);
    const customer = this.customer(customerId);
    if (customer.deleted) return 'duplicate';
    customer.deleted = true;
    return 'applied';
  }

  async setScheduledResume(customerId: string, subscriptionId: string, resumesAt: number | null): Promise<void> {
    this.log.record('store.setScheduledResume', [customerId, subscriptionId, resumesAt]);
    const item = this.subscriptionItem(customerId, subscriptionId);
    if (resumesAt === null) delete item.scheduledResumeAt;
    else item.scheduledResumeAt = resumesAt;
  }

  async customerRecords(customerId: string): Promise<CustomerRecords> {
    this.log.record('store.customerRecords', [customerId]);
    const customer = this.customers.get(customerId);
    const records: CustomerRecords = { subscriptions: [], deleted: customer?.deleted ?? false };
    for (const item of customer?.subscriptions.values() ?? []) {
      if (!item.snapshot) continue; // an invoice signal that arrived before any snapshot
      const stored: StoredSubscription = { snapshot: item.snapshot.value, snapshotCreated: item.snapshot.created, updatedAt: item.updatedAt };
      if (item.invoice) stored.invoice = { ...item.invoice.value, created: item.invoice.created };
      if (item.scheduledResumeAt !== undefined) stored.scheduledResumeAt = item.scheduledResumeAt;
      records.subscriptions.push(stored);
    }
    if (customer?.summary) records.entitlementSummary = { lookupKeys: customer.summary.value, updatedAt: customer.summary.updatedAt };
    return structuredClone(records);
  }

  async customerLookedUpSince(customerId: string, sinceSeconds: number): Promise<boolean> {
    this.log.record('store.customerLookedUpSince', [customerId, sinceSeconds]);
    const checkedAt = this.customers.get(customerId)?.lookupCheckedAt;
    return checkedAt !== undefined && checkedAt >= sinceSeconds;
  }

  async recordCustomerLookup(customerId: string, atSeconds: number): Promise<void> {
    this.log.record('store.recordCustomerLookup', [customerId, atSeconds]);
    this.customer(customerId).lookupCheckedAt = atSeconds;
  }

  private customer(customerId: string): CustomerItems {
    let customer = this.customers.get(customerId);
    if (!customer) {
      customer = { subscriptions: new Map(), deleted: false };
      this.customers.set(customerId, customer);
    }
    return customer;
  }

  private subscriptionItem(customerId: string, subscriptionId: string): SubscriptionItem {
    const { subscriptions } = this.customer(customerId);
    let item = subscriptions.get(subscriptionId);
    if (!item) {
      item = { updatedAt: this.stamp() };
      subscriptions.set(subscriptionId, item);
    }
    return item;
  }

  /** Any landed write stamps the whole item, as the adapter's `updatedAt` attribute does. */
  private update(item: SubscriptionItem, values: Partial<Pick<SubscriptionItem, 'snapshot' | 'invoice'>>): void {
    Object.assign(item, values, { updatedAt: this.stamp() });
  }

  private stamp(): string {
    return this.clock().toISOString();
  }
}

/** The adapter's one conditional write; on a failed condition, the core's rule says why. */
function orderedWrite<T>(
  stored: Watermarked<T> | undefined,
  event: EventPosition | ReadPosition,
  value: T,
  incomingTerminal: boolean,
  isTerminalValue: (value: T) => boolean,
): Ordered<T> {
  const storedTerminal = stored !== undefined && isTerminalValue(stored.value);
  const lands = !stored || (stored.created < event.created && !(storedTerminal && !incomingTerminal));
  if (lands) {
    const written: Watermarked<T> = { value: structuredClone(value), created: event.created, eventIds: [event.eventId] };
    if ('readAtMs' in event) written.readAtMs = event.readAtMs;
    return { result: 'applied', stored: written };
  }
  const decision = orderEvent({ created: stored.created, eventIds: stored.eventIds, terminal: storedTerminal }, { ...event, terminal: incomingTerminal });
  // Watermarks only grow, so a failed condition can never mean "apply" (the adapter reports it as a fault).
  if (decision === 'apply') throw new Error('ordering condition failed but the stored state allows the event');
  return { result: decision, stored };
}

/** The write after a tie: only while the watermark is still the tie's second and nothing read later is stored. */
function resolvedWrite<T>(stored: Watermarked<T> | undefined, event: ReadPosition, value: T): Watermarked<T> | undefined {
  if (!stored || stored.created !== event.created) return undefined;
  if (stored.readAtMs !== undefined && stored.readAtMs >= event.readAtMs) return undefined;
  return { value: structuredClone(value), created: stored.created, eventIds: [...stored.eventIds, event.eventId], readAtMs: event.readAtMs };
}
