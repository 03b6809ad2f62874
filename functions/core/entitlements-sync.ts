/**
 * Applies one verified Stripe event to the stored entitlement state, through ports only.
 *
 * The common path (an event in order, for a customer already known to this process) costs one
 * conditional write and no Stripe call. Stripe is asked only to break a same-second tie and, once
 * per unknown customer, to read the customer's `metadata.app_account_id`.
 */
import { statusSignalsBillingIssue } from './access';
import type { AccountLinks } from './accounts';
import type { BillingEvent, EventPosition, InvoiceSignal, ReadPosition, SubscriptionSnapshot } from './billing-events';
import { nowInMilliseconds, nowInUnixSeconds } from './clock';
import type { CustomerRecords } from './entitlements';
import type { PurchaseApplyResult, PurchaseUpdate } from './purchases';

export type WebhookOutcome = 'applied' | 'duplicate' | 'stale' | 'ignored';
/** A conditional write either lands, or tells why it did not. */
export type OrderedWriteResult = 'applied' | 'duplicate' | 'stale' | 'tie';
/** A write after a tie was decided: lands unless a newer event overtook it meanwhile. */
export type ResolvedWriteResult = 'applied' | 'stale';

/** Port: the entitlement records (functions/adapters/dynamodb/entitlement-store.ts). */
export interface EntitlementStore {
  /** From an event, or read from Stripe (a ReadPosition: the stored value remembers when it was read). */
  putSubscription(event: EventPosition | ReadPosition, subscription: SubscriptionSnapshot): Promise<OrderedWriteResult>;
  /**
   * Stripe's answer to a tie: lands while the watermark is still the tie's second and no copy read
   * later is stored ('stale' otherwise).
   */
  putResolvedSubscription(event: ReadPosition, subscription: SubscriptionSnapshot): Promise<ResolvedWriteResult>;
  putInvoiceSignal(event: EventPosition, customerId: string, subscriptionId: string, signal: InvoiceSignal): Promise<OrderedWriteResult>;
  putResolvedInvoiceSignal(event: ReadPosition, customerId: string, subscriptionId: string, signal: InvoiceSignal): Promise<ResolvedWriteResult>;
  putEntitlementSummary(event: EventPosition, customerId: string, lookupKeys: string[]): Promise<OrderedWriteResult>;
  putResolvedEntitlementSummary(event: ReadPosition, customerId: string, lookupKeys: string[]): Promise<ResolvedWriteResult>;
  markCustomerDeleted(event: EventPosition, customerId: string): Promise<'applied' | 'duplicate'>;
  /**
   * When Linkout will resume a subscription it paused (status `paused` has no resume time in Stripe);
   * null clears it. Kept beside the snapshot, untouched by event writes, shown only while paused.
   */
  setScheduledResume(customerId: string, subscriptionId: string, resumesAt: number | null): Promise<void>;
  customerRecords(customerId: string): Promise<CustomerRecords | undefined>;
  /** Whether Stripe was asked for this customer's account after `sinceSeconds` and had none. */
  customerLookedUpSince(customerId: string, sinceSeconds: number): Promise<boolean>;
  recordCustomerLookup(customerId: string, atSeconds: number): Promise<void>;
}

/** Port: reads from Stripe, the source of truth (functions/adapters/stripe/billing-lookup.ts). */
export interface BillingLookup {
  subscription(subscriptionId: string): Promise<SubscriptionSnapshot | undefined>;
  /** The customer's `metadata.app_account_id`, or null when it has none (or no longer exists). */
  customerAccountId(customerId: string): Promise<string | null>;
  activeEntitlementKeys(customerId: string): Promise<string[]>;
}

/** Port: purchase outcomes (functions/core/purchases.ts `PurchaseFulfilment`). */
export interface PurchaseEvents {
  apply(purchaseId: string, update: PurchaseUpdate): Promise<PurchaseApplyResult>;
}

export interface EntitlementSyncPorts {
  store: EntitlementStore;
  links: AccountLinks;
  billing: BillingLookup;
  purchases: PurchaseEvents;
  /** Unix seconds. */
  now?: () => number;
  /** Milliseconds: when a tie's read of Stripe began (orders concurrent resolutions of one second). */
  nowMs?: () => number;
}

/** How long a "this customer has no account" answer from Stripe is trusted before asking again. */
export const CUSTOMER_LOOKUP_TTL_SECONDS = 24 * 60 * 60;
/** The same answer kept in process memory (a warm Lambda), to spare the table read as well. */
const NEGATIVE_MEMORY_SECONDS = 5 * 60;
/** Bounds the memory of a long-lived container; forgetting only costs one read per customer. */
const MAX_REMEMBERED_CUSTOMERS = 50_000;

export class EntitlementSync {
  /** customerId -> Unix second until which no link work is needed (Infinity once linked). */
  private readonly settledCustomers = new Map<string, number>();
  private readonly now: () => number;
  private readonly nowMs: () => number;

  constructor(private readonly ports: EntitlementSyncPorts) {
    this.now = ports.now ?? nowInUnixSeconds;
    this.nowMs = ports.nowMs ?? nowInMilliseconds;
  }

  async process(event: BillingEvent): Promise<WebhookOutcome> {
    const { store } = this.ports;
    switch (event.kind) {
      case 'subscription': {
        const written = await store.putSubscription(event, event.subscription);
        const outcome = written === 'tie' ? await this.resolveSubscriptionTie(event, event.subscription.id) : written;
        await this.ensureAccountLink(event.subscription.customerId);
        return outcome;
      }
      case 'invoice': {
        const written = await store.putInvoiceSignal(event, event.customerId, event.subscriptionId, event.invoice);
        const outcome = written === 'tie' ? await this.resolveInvoiceTie(event) : written;
        await this.ensureAccountLink(event.customerId);
        return outcome;
      }
      case 'entitlement_summary': {
        const written = await store.putEntitlementSummary(event, event.customerId, event.lookupKeys);
        const outcome = written === 'tie' ? await this.resolveSummaryTie(event) : written;
        await this.ensureAccountLink(event.customerId);
        return outcome;
      }
      case 'customer_deleted': {
        const outcome = await store.markCustomerDeleted(event, event.customerId);
        // Free the account so that its next portal session creates a new customer (idempotent).
        await this.ports.links.unlinkDeletedCustomer(event.customerId);
        this.settledCustomers.delete(event.customerId);
        return outcome;
      }
      case 'customer':
        if (!event.accountId) return 'ignored';
        // Links never change once made (first link wins), so a known link needs no write.
        if (this.settledCustomers.get(event.customerId) === Infinity) return 'duplicate';
        return (await this.link(event.accountId, event.customerId)) ? 'applied' : 'ignored';
      case 'purchase':
        // A succeeded SetupIntent starts its subscription here; that subscription's own events follow.
        return this.ports.purchases.apply(event.purchaseId, event.update);
      case 'ignored':
        return 'ignored';
    }
  }

  /** Two events of one subscription in one second: store what Stripe says now. */
  private async resolveSubscriptionTie(event: EventPosition, subscriptionId: string): Promise<WebhookOutcome> {
    const read = this.readStartingNow(event);
    const current = await this.ports.billing.subscription(subscriptionId);
    if (!current) return 'stale';
    return this.ports.store.putResolvedSubscription(read, current);
  }

  /** The tie's position, stamped with when its read of Stripe begins (taken before the call). */
  private readStartingNow(event: EventPosition): ReadPosition {
    return { eventId: event.eventId, created: event.created, readAtMs: this.nowMs() };
  }

  /** Two entitlement summaries of one customer in one second: Stripe's current list decides. */
  private async resolveSummaryTie(event: Extract<BillingEvent, { kind: 'entitlement_summary' }>): Promise<WebhookOutcome> {
    const read = this.readStartingNow(event);
    const keys = await this.ports.billing.activeEntitlementKeys(event.customerId);
    return this.ports.store.putResolvedEntitlementSummary(read, event.customerId, keys);
  }

  /** Two invoice events of one subscription in one second: the subscription's status decides. */
  private async resolveInvoiceTie(event: Extract<BillingEvent, { kind: 'invoice' }>): Promise<WebhookOutcome> {
    const read = this.readStartingNow(event);
    const current = await this.ports.billing.subscription(event.subscriptionId);
    if (!current) return 'stale';
    return this.ports.store.putResolvedInvoiceSignal(read, event.customerId, event.subscriptionId, {
      invoiceId: event.invoice.invoiceId,
      paymentFailed: statusSignalsBillingIssue(current.status),
    });
  }

  /**
   * Makes sure a customer seen in an event is linked to its billing account when Stripe names one.
   * Records are keyed by customer, so an unlinked customer's data is already in place and becomes
   * visible the moment a link appears; this only creates that link from the customer's metadata.
   */
  private async ensureAccountLink(customerId: string): Promise<void> {
    const now = this.now();
    if ((this.settledCustomers.get(customerId) ?? 0) > now) return;
    if (this.settledCustomers.size >= MAX_REMEMBERED_CUSTOMERS) this.settledCustomers.clear();
    const { links, store, billing } = this.ports;
    if (await links.accountForCustomer(customerId)) {
      this.settledCustomers.set(customerId, Infinity);
      return;
    }
    if (await store.customerLookedUpSince(customerId, now - CUSTOMER_LOOKUP_TTL_SECONDS)) {
      this.settledCustomers.set(customerId, now + NEGATIVE_MEMORY_SECONDS);
      return;
    }
    const accountId = await billing.customerAccountId(customerId);
    if (accountId && (await this.link(accountId, customerId))) return;
    // No account named, or the account is already tied to another customer: remember the answer
    // so that the next events of this customer do not ask Stripe again.
    await store.recordCustomerLookup(customerId, now);
    this.settledCustomers.set(customerId, now + NEGATIVE_MEMORY_SECONDS);
  }

  /** First link wins: false when the account is already tied to another customer (see AccountLinks). */
  private async link(accountId: string, customerId: string): Promise<boolean> {
    const linked = (await this.ports.links.link(accountId, customerId)) === customerId;
    if (linked) this.settledCustomers.set(customerId, Infinity);
    return linked;
  }
}
