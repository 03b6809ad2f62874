/**
 * The backfill's progress record (functions/core/backfill.ts), one item for the table:
 *
 *   pk = BACKFILL  sk = PROGRESS  { cursor?, startedAt, completedAt?, pages, subscriptions, written,
 *                                   stale, linked, alreadyLinked, conflicts, withoutAccount, updatedAt }
 *
 * Each save is conditional on the record the run last saw (its page count and start), so a second
 * backfill started while one runs cannot move the cursor under it: it fails with a conflict instead.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { BackfillProgress, BackfillProgressStore } from '#core/backfill';
import { AppError } from '#core/errors';
import { conditionalWrite } from './conditional-write';
import { guardStorage } from './storage-errors';

const PROGRESS_KEY = { pk: 'BACKFILL', sk: 'PROGRESS' };
const COUNT_FIELDS = ['pages', 'subscriptions', 'written', 'stale', 'linked', 'alreadyLinked', 'conflicts', 'withoutAccount'] as const;

export class DynamoBackfillProgress implements BackfillProgressStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async load(): Promise<BackfillProgress | undefined> {
    const { Item } = await guardStorage(this.db.send(new GetCommand({ TableName: this.tableName, Key: PROGRESS_KEY, ConsistentRead: true })));
    if (!Item) return undefined;
    const progress = { cursor: Item.cursor as string | undefined, startedAt: Number(Item.startedAt) } as BackfillProgress;
    for (const field of COUNT_FIELDS) progress[field] = Number(Item[field] ?? 0);
    if (typeof Item.completedAt === 'number') progress.completedAt = Item.completedAt;
    return progress;
  }

  async save(progress: BackfillProgress, previous: BackfillProgress | undefined): Promise<void> {
    const result = await conditionalWrite(
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...PROGRESS_KEY, ...progress, updatedAt: new Date().toISOString() },
          ...(previous
            ? {
                ConditionExpression: 'pages = :pages AND startedAt = :startedAt',
                ExpressionAttributeValues: { ':pages': previous.pages, ':startedAt': previous.startedAt },
              }
            : { ConditionExpression: 'attribute_not_exists(pk)' }),
        }),
      ),
    );
    if (!result.written) {
      throw new AppError('conflict', 'backfill_running', 'Another backfill saved progress meanwhile: run one backfill at a time (rerun to continue).');
    }
  }
}
