/**
 * The per-account refresh bound (functions/core/refresh.ts), one conditional write per refresh:
 *
 *   pk = ACCOUNT#<accountId>  sk = REFRESH   { refreshedAt, ttl }
 *
 * The write lands when the account never refreshed or its last refresh is at least the interval
 * old; otherwise DynamoDB returns the blocking item, whose `refreshedAt` says how long to wait.
 * Concurrent refreshes of one account cannot both land: the condition is checked atomically.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { RefreshBound, RefreshBoundResult } from '#core/refresh';
import { conditionalWrite } from './conditional-write';
import { guardStorage } from './storage-errors';

const refreshKey = (accountId: string) => ({ pk: `ACCOUNT#${accountId}`, sk: 'REFRESH' });

export class DynamoRefreshBound implements RefreshBound {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async acquire(accountId: string, nowSeconds: number, intervalSeconds: number): Promise<RefreshBoundResult> {
    const result = await conditionalWrite(
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          // The marker matters only for one interval; `ttl` lets DynamoDB delete it afterwards.
          Item: { ...refreshKey(accountId), refreshedAt: nowSeconds, ttl: nowSeconds + intervalSeconds },
          ConditionExpression: 'attribute_not_exists(pk) OR refreshedAt <= :cutoff',
          ExpressionAttributeValues: { ':cutoff': nowSeconds - intervalSeconds },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    );
    if (result.written) return { acquired: true };
    // Real DynamoDB returns the blocking item with the failure; dynalite does not, so read it then.
    const blocking = result.blockingItem ?? (await this.read(accountId));
    const refreshedAt = blocking?.refreshedAt;
    const retryAfterSeconds = typeof refreshedAt === 'number' ? refreshedAt + intervalSeconds - nowSeconds : intervalSeconds;
    return { acquired: false, retryAfterSeconds: Math.max(1, Math.min(intervalSeconds, retryAfterSeconds)) };
  }

  private async read(accountId: string) {
    const { Item } = await guardStorage(this.db.send(new GetCommand({ TableName: this.tableName, Key: refreshKey(accountId), ConsistentRead: true })));
    return Item;
  }
}
