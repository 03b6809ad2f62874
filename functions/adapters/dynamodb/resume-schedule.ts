/**
 * The ResumeSchedule (functions/core/resume-schedule.ts) in the table, one item per scheduled resume:
 *
 *   pk = RESUME_DUE  sk = <resumesAt, 10 digits zero-padded>#<subscriptionId>
 *   { accountId, customerId, subscriptionId, resumesAt }
 *
 * The padding makes the string order of `sk` the time order (9 before 10), so `due` is one Query
 * of the keys up to now, oldest first. One partition is enough: an entry is written once per app
 * pause, which is rare, and read every few minutes by the resumer.
 */
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { ResumeSchedule, ScheduledResume } from '#core/resume-schedule';
import { guardStorage } from './storage-errors';

const DUE_PK = 'RESUME_DUE';
/** Unix seconds fit 10 digits until the year 2286. */
const paddedSeconds = (seconds: number) => String(seconds).padStart(10, '0');
const entryKey = ({ subscriptionId, resumesAt }: Pick<ScheduledResume, 'subscriptionId' | 'resumesAt'>) => ({
  pk: DUE_PK,
  sk: `${paddedSeconds(resumesAt)}#${subscriptionId}`,
});

export class DynamoResumeSchedule implements ResumeSchedule {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async schedule(entry: ScheduledResume): Promise<void> {
    const { accountId, customerId, subscriptionId, resumesAt } = entry;
    await guardStorage(
      this.db.send(new PutCommand({ TableName: this.tableName, Item: { ...entryKey(entry), accountId, customerId, subscriptionId, resumesAt } })),
    );
  }

  async cancel(entry: Pick<ScheduledResume, 'subscriptionId' | 'resumesAt'>): Promise<void> {
    await guardStorage(this.db.send(new DeleteCommand({ TableName: this.tableName, Key: entryKey(entry) })));
  }

  async due(nowSeconds: number, limit: number): Promise<ScheduledResume[]> {
    const { Items = [] } = await guardStorage(
      this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          // "~" sorts after every subscription id character, so every entry of the second `now` is included.
          KeyConditionExpression: 'pk = :pk AND sk <= :last',
          ExpressionAttributeValues: { ':pk': DUE_PK, ':last': `${paddedSeconds(nowSeconds)}#~` },
          ScanIndexForward: true,
          Limit: limit,
          ConsistentRead: true,
        }),
      ),
    );
    return Items.map((item) => ({
      accountId: String(item.accountId),
      customerId: String(item.customerId),
      subscriptionId: String(item.subscriptionId),
      resumesAt: Number(item.resumesAt),
    }));
  }
}
