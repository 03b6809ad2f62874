/**
 * Items (single table, see README "Data model"):
 *   pk = PURCHASE#<purchaseId>  sk = PURCHASE   { accountId, kind, customerId, priceId, status, reason, subscriptionId, createdAt, updatedAt, ttl }
 *
 * Keyed by the Stripe object's id, because that is what webhooks and the app's return link carry;
 * the account is an attribute that GET /v1/purchases/{id} compares with the caller's. A status moves
 * only with a condition on the status it was read in (functions/core/purchases.ts `mayMove`), so
 * concurrent deliveries cannot both move it.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Purchase, PurchaseOutcome, PurchaseRecords, PurchaseStatus } from '#core/purchases';
import { conditionalWrite } from './conditional-write';
import { guardStorage } from './storage-errors';

/** Purchases matter for the redirect and a little after it; DynamoDB deletes the record after this. */
const PURCHASE_RETENTION_SECONDS = 90 * 24 * 60 * 60;

const purchaseKey = (purchaseId: string) => ({ pk: `PURCHASE#${purchaseId}`, sk: 'PURCHASE' });

export class DynamoPurchaseRecords implements PurchaseRecords {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(purchase: Purchase): Promise<void> {
    // A repeated create (Stripe replayed the same session for a double tap) keeps the first record and its progress.
    await conditionalWrite(
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...purchaseKey(purchase.id), ...purchase, ttl: purchase.createdAt + PURCHASE_RETENTION_SECONDS },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }

  async get(purchaseId: string): Promise<Purchase | undefined> {
    const { Item } = await guardStorage(this.db.send(new GetCommand({ TableName: this.tableName, Key: purchaseKey(purchaseId), ConsistentRead: true })));
    if (!Item) return undefined;
    const { pk: _pk, sk: _sk, ttl: _ttl, ...purchase } = Item;
    return purchase as Purchase;
  }

  async transition(purchaseId: string, from: PurchaseStatus, outcome: PurchaseOutcome, atSeconds: number): Promise<boolean> {
    const result = await conditionalWrite(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: purchaseKey(purchaseId),
          UpdateExpression: 'SET #status = :to, #reason = :reason, subscriptionId = :subscriptionId, updatedAt = :at',
          ConditionExpression: '#status = :from',
          ExpressionAttributeNames: { '#status': 'status', '#reason': 'reason' },
          ExpressionAttributeValues: {
            ':from': from,
            ':to': outcome.status,
            ':reason': outcome.reason,
            ':subscriptionId': outcome.subscriptionId,
            ':at': atSeconds,
          },
        }),
      ),
    );
    return result.written;
  }
}
