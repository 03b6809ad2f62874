/**
 * The entitlement records in Linkout's single table (README "Entitlements" has the full model).
 *
 *   pk = CUSTOMER#<customerId>  sk = SUB#<subscriptionId>    newest snapshot + watermark; newest invoice signal + its watermark;
 *                                                            scheduledResumeAt when Linkout will resume an app pause
 *   pk = CUSTOMER#<customerId>  sk = ENTITLEMENT_SUMMARY     Stripe Entitlements' active lookup keys + watermark
 *   pk = CUSTOMER#<customerId>  sk = DELETED                 the customer was deleted in Stripe
 *   pk = CUSTOMER#<customerId>  sk = LOOKUP                  Stripe named no account for the customer (ttl)
 *
 * Records are keyed by customer, not account, so a customer linked to an account later needs no
 * migration, and one Query reads everything the entitlements endpoint needs.
 *
 * Every event is ONE conditional UpdateItem whose condition is the `apply` branch of the ordering
 * rule (functions/core/ordering.ts). Only when it fails is the item read (a GetItem, or the item
 * DynamoDB returns with the failure) to tell duplicate, stale and tie apart.
 */
import { type DynamoDBDocumentClient, GetCommand, type NativeAttributeValue, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  type EventPosition,
  type InvoiceSignal,
  isTerminal,
  type ReadPosition,
  type SubscriptionSnapshot,
  type SubscriptionStatus,
  TERMINAL_STATUSES,
} from '#core/billing-events';
import type { CustomerRecords, StoredSubscription } from '#core/entitlements';
import { CUSTOMER_LOOKUP_TTL_SECONDS, type EntitlementStore, type OrderedWriteResult, type ResolvedWriteResult } from '#core/entitlements-sync';
import { orderEvent, type Watermark } from '#core/ordering';
import { conditionalWrite } from './conditional-write';
import { guardStorage, storageUnavailable } from './storage-errors';

type Item = Record<string, NativeAttributeValue>;
type Key = { pk: string; sk: string };

const customerPk = (customerId: string) => `CUSTOMER#${customerId}`;
const subscriptionKey = (customerId: string, subscriptionId: string): Key => ({
  pk: customerPk(customerId),
  sk: `SUB#${subscriptionId}`,
});
const entitlementSummaryKey = (customerId: string): Key => ({ pk: customerPk(customerId), sk: 'ENTITLEMENT_SUMMARY' });
const customerDeletedKey = (customerId: string): Key => ({ pk: customerPk(customerId), sk: 'DELETED' });
const customerLookupKey = (customerId: string): Key => ({ pk: customerPk(customerId), sk: 'LOOKUP' });

/** Which attributes hold one ordered value's watermark (an item may hold several, independently ordered). */
interface OrderedGroup {
  watermark: string;
  eventIds: string;
  /** When the stored value was read from Stripe (ms), absent when it came from an event. */
  readAt: string;
  /** Attribute with the subscription status, when terminal states must not be overwritten. */
  status?: string;
}
const SNAPSHOT: OrderedGroup = { watermark: 'watermark', eventIds: 'eventIds', readAt: 'readAt', status: 'status' };
const INVOICE: OrderedGroup = { watermark: 'invoiceWatermark', eventIds: 'invoiceEventIds', readAt: 'invoiceReadAt' };
const SUMMARY: OrderedGroup = { watermark: 'watermark', eventIds: 'eventIds', readAt: 'readAt' };

export class DynamoEntitlementStore implements EntitlementStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  putSubscription(event: EventPosition | ReadPosition, subscription: SubscriptionSnapshot): Promise<OrderedWriteResult> {
    const key = subscriptionKey(subscription.customerId, subscription.id);
    return this.orderedWrite(key, SNAPSHOT, event, this.snapshotValues(subscription), isTerminal(subscription.status));
  }

  putResolvedSubscription(event: ReadPosition, subscription: SubscriptionSnapshot): Promise<ResolvedWriteResult> {
    const key = subscriptionKey(subscription.customerId, subscription.id);
    return this.resolvedWrite(key, SNAPSHOT, event, this.snapshotValues(subscription));
  }

  putInvoiceSignal(event: EventPosition, customerId: string, subscriptionId: string, signal: InvoiceSignal): Promise<OrderedWriteResult> {
    const values = this.invoiceValues(customerId, subscriptionId, signal);
    return this.orderedWrite(subscriptionKey(customerId, subscriptionId), INVOICE, event, values, false);
  }

  putResolvedInvoiceSignal(event: ReadPosition, customerId: string, subscriptionId: string, signal: InvoiceSignal): Promise<ResolvedWriteResult> {
    const values = this.invoiceValues(customerId, subscriptionId, signal);
    return this.resolvedWrite(subscriptionKey(customerId, subscriptionId), INVOICE, event, values);
  }

  putEntitlementSummary(event: EventPosition, customerId: string, lookupKeys: string[]): Promise<OrderedWriteResult> {
    return this.orderedWrite(entitlementSummaryKey(customerId), SUMMARY, event, this.summaryValues(customerId, lookupKeys), false);
  }

  putResolvedEntitlementSummary(event: ReadPosition, customerId: string, lookupKeys: string[]): Promise<ResolvedWriteResult> {
    return this.resolvedWrite(entitlementSummaryKey(customerId), SUMMARY, event, this.summaryValues(customerId, lookupKeys));
  }

  async markCustomerDeleted(event: EventPosition, customerId: string): Promise<'applied' | 'duplicate'> {
    const result = await conditionalWrite(
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...customerDeletedKey(customerId),
            customerId,
            eventId: event.eventId,
            deletedAt: event.created,
            updatedAt: this.stamp(),
          },
          // A deleted customer stays deleted: any later copy changes nothing.
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    return result.written ? 'applied' : 'duplicate';
  }

  async setScheduledResume(customerId: string, subscriptionId: string, resumesAt: number | null): Promise<void> {
    // Its own attribute: the ordered writes SET only theirs, so an event never clears the schedule.
    const update =
      resumesAt === null
        ? { UpdateExpression: 'REMOVE scheduledResumeAt' }
        : { UpdateExpression: 'SET scheduledResumeAt = :at', ExpressionAttributeValues: { ':at': resumesAt } };
    await guardStorage(this.db.send(new UpdateCommand({ TableName: this.tableName, Key: subscriptionKey(customerId, subscriptionId), ...update })));
  }

  async customerRecords(customerId: string): Promise<CustomerRecords> {
    const records: CustomerRecords = { subscriptions: [], deleted: false };
    let startKey: Item | undefined;
    do {
      const page = await guardStorage(
        this.db.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': customerPk(customerId) },
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      for (const item of page.Items ?? []) addRecord(records, item);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return records;
  }

  async customerLookedUpSince(customerId: string, sinceSeconds: number): Promise<boolean> {
    const { Item } = await guardStorage(this.db.send(new GetCommand({ TableName: this.tableName, Key: customerLookupKey(customerId) })));
    return typeof Item?.checkedAt === 'number' && Item.checkedAt >= sinceSeconds;
  }

  async recordCustomerLookup(customerId: string, atSeconds: number): Promise<void> {
    await guardStorage(
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          // `ttl` lets DynamoDB delete the marker once it no longer matters.
          Item: { ...customerLookupKey(customerId), checkedAt: atSeconds, ttl: atSeconds + CUSTOMER_LOOKUP_TTL_SECONDS },
        }),
      ),
    );
  }

  /**
   * The one conditional write of the common path. A value read from Stripe keeps when it was read,
   * a value from an event clears it (see resolvedWrite).
   */
  private async orderedWrite(
    key: Key,
    group: OrderedGroup,
    event: EventPosition | ReadPosition,
    values: Item,
    incomingTerminal: boolean,
  ): Promise<OrderedWriteResult> {
    const readAtMs = 'readAtMs' in event ? event.readAtMs : undefined;
    const set: Item = { ...values, [group.watermark]: event.created, [group.eventIds]: [event.eventId] };
    if (readAtMs !== undefined) set[group.readAt] = readAtMs;
    const update = updateExpression(set);
    if (readAtMs === undefined) {
      update.names['#ra'] = group.readAt;
      update.expression += ' REMOVE #ra';
    }
    update.names['#wm'] = group.watermark;
    update.values[':created'] = event.created;
    let condition = 'attribute_not_exists(#wm) OR #wm < :created';
    if (group.status && !incomingTerminal) {
      // Never resurrect a terminal subscription (ordering.ts explains why the timestamp is not enough).
      update.names['#st'] = group.status;
      for (const [i, status] of TERMINAL_STATUSES.entries()) update.values[`:terminal${i}`] = status;
      const terminalList = TERMINAL_STATUSES.map((_, i) => `:terminal${i}`).join(', ');
      // Read as `attribute_not_exists(#wm) OR (#wm < :created AND NOT (#st IN (…)))`: DynamoDB ranks IN
      // over NOT over AND over OR. Written without the parentheses because the local DynamoDB
      // (dynalite) parses grouped conditions about 3x slower, and this is the write of every event.
      condition = `attribute_not_exists(#wm) OR #wm < :created AND NOT #st IN (${terminalList})`;
    }
    const result = await conditionalWrite(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: update.expression,
          ConditionExpression: condition,
          ExpressionAttributeNames: update.names,
          ExpressionAttributeValues: update.values,
          // Real DynamoDB returns the blocking item with the failure and saves the read below.
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    );
    if (result.written) return 'applied';
    const stored = result.blockingItem ?? (await this.read(key));
    const decision = orderEvent(watermarkOf(stored, group), { ...event, terminal: incomingTerminal });
    // 'apply' cannot follow a failed condition (watermarks only grow); report it as a transient fault.
    if (decision === 'apply') throw storageUnavailable(new Error('ordering condition failed but the stored state allows the event'));
    return decision;
  }

  /**
   * After a tie: store Stripe's answer unless a newer event moved the watermark meanwhile, or a
   * copy read from Stripe later is already stored. Ties of one second resolve concurrently, and
   * their reads may land in any order: without the second guard an older copy could land last and
   * stay until the subscription's next event, which may be a month away.
   */
  private async resolvedWrite(key: Key, group: OrderedGroup, event: ReadPosition, values: Item): Promise<ResolvedWriteResult> {
    const update = updateExpression({ ...values, [group.readAt]: event.readAtMs });
    update.names['#wm'] = group.watermark;
    update.names['#ids'] = group.eventIds;
    update.names['#ra'] = group.readAt;
    update.values[':created'] = event.created;
    update.values[':ids'] = [event.eventId];
    update.values[':readAt'] = event.readAtMs;
    const result = await conditionalWrite(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: `${update.expression}, #ids = list_append(#ids, :ids)`,
          ConditionExpression: '#wm = :created AND (attribute_not_exists(#ra) OR #ra < :readAt)',
          ExpressionAttributeNames: update.names,
          ExpressionAttributeValues: update.values,
        }),
      ),
    );
    return result.written ? 'applied' : 'stale';
  }

  private async read(key: Key): Promise<Item | undefined> {
    const { Item } = await guardStorage(this.db.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true })));
    return Item;
  }

  private snapshotValues(subscription: SubscriptionSnapshot): Item {
    return {
      customerId: subscription.customerId,
      subscriptionId: subscription.id,
      status: subscription.status,
      snapshot: subscription,
      updatedAt: this.stamp(),
    };
  }

  private invoiceValues(customerId: string, subscriptionId: string, signal: InvoiceSignal): Item {
    return { customerId, subscriptionId, invoice: signal, updatedAt: this.stamp() };
  }

  private summaryValues(customerId: string, lookupKeys: string[]): Item {
    return { customerId, lookupKeys, updatedAt: this.stamp() };
  }

  private stamp(): string {
    return this.clock().toISOString();
  }
}

function updateExpression(values: Item): { expression: string; names: Record<string, string>; values: Item } {
  const names: Record<string, string> = {};
  const placeholders: Item = {};
  const parts = Object.entries(values).map(([name, value], i) => {
    names[`#a${i}`] = name;
    placeholders[`:v${i}`] = value;
    return `#a${i} = :v${i}`;
  });
  return { expression: `SET ${parts.join(', ')}`, names, values: placeholders };
}

function watermarkOf(item: Item | undefined, group: OrderedGroup): Watermark | undefined {
  if (!item || typeof item[group.watermark] !== 'number') return undefined;
  const status = group.status ? (item[group.status] as SubscriptionStatus | undefined) : undefined;
  return {
    created: item[group.watermark] as number,
    eventIds: (item[group.eventIds] as string[] | undefined) ?? [],
    terminal: status !== undefined && isTerminal(status),
  };
}

function addRecord(records: CustomerRecords, item: Item): void {
  const sk = item.sk as string;
  if (sk.startsWith('SUB#')) {
    if (!item.snapshot) return; // an invoice signal that arrived before any snapshot
    const stored: StoredSubscription = {
      snapshot: item.snapshot as SubscriptionSnapshot,
      snapshotCreated: item.watermark as number,
      updatedAt: item.updatedAt as string,
    };
    if (item.invoice) stored.invoice = { ...(item.invoice as InvoiceSignal), created: item.invoiceWatermark as number };
    if (typeof item.scheduledResumeAt === 'number') stored.scheduledResumeAt = item.scheduledResumeAt;
    records.subscriptions.push(stored);
  } else if (sk === 'ENTITLEMENT_SUMMARY') {
    records.entitlementSummary = { lookupKeys: (item.lookupKeys as string[]) ?? [], updatedAt: item.updatedAt as string };
  } else if (sk === 'DELETED') {
    records.deleted = true;
  }
}
