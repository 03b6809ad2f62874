/**
 * The reconciliation checkpoint (functions/core/reconciliation.ts) in the table, one item:
 *
 *   pk = RECONCILE  sk = CHECKPOINT  { appliedThrough: <unix seconds>, updatedAt: <unix seconds> }
 *
 * Moved forward only, by a conditional update: two runs that overlap (a slow run and the next
 * scheduled one, or `npm run reconcile` beside the Lambda) can never move it back.
 */
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { nowInUnixSeconds } from '#core/clock';
import type { ReconcileCheckpoint } from '#core/reconciliation';
import { conditionalWrite } from './conditional-write';
import { guardStorage } from './storage-errors';

const CHECKPOINT_KEY = { pk: 'RECONCILE', sk: 'CHECKPOINT' } as const;

export class DynamoReconcileCheckpoint implements ReconcileCheckpoint {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** Unix seconds, for `updatedAt` (what ops look at to see when a run last got through). */
    private readonly now: () => number = nowInUnixSeconds,
  ) {}

  async read(): Promise<number | undefined> {
    const { Item } = await guardStorage(this.db.send(new GetCommand({ TableName: this.tableName, Key: CHECKPOINT_KEY, ConsistentRead: true })));
    return typeof Item?.appliedThrough === 'number' ? Item.appliedThrough : undefined;
  }

  async advance(seconds: number): Promise<boolean> {
    const result = await conditionalWrite(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: CHECKPOINT_KEY,
          UpdateExpression: 'SET appliedThrough = :seconds, updatedAt = :now',
          ConditionExpression: 'attribute_not_exists(appliedThrough) OR appliedThrough < :seconds',
          ExpressionAttributeValues: { ':seconds': seconds, ':now': this.now() },
        }),
      ),
    );
    return result.written;
  }
}
