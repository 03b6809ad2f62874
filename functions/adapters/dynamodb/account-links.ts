/**
 * Items (single table, see README "Data model"):
 *   pk = ACCOUNT#<accountId>   sk = CUSTOMER   { customerId, linkedAt }   account -> customer
 *   pk = CUSTOMER#<customerId> sk = ACCOUNT    { accountId, linkedAt }    customer -> account
 * The account item is written with a condition so that concurrent first requests agree on one
 * customer; the reverse item is idempotent and may be rewritten freely.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AccountLinks } from '../../core/accounts';

export const accountKey = (accountId: string) => ({ pk: `ACCOUNT#${accountId}`, sk: 'CUSTOMER' });
export const customerKey = (customerId: string) => ({ pk: `CUSTOMER#${customerId}`, sk: 'ACCOUNT' });

export class DynamoAccountLinks implements AccountLinks {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async customerForAccount(accountId: string): Promise<string | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: accountKey(accountId) }));
    return Item?.customerId as string | undefined;
  }

  async accountForCustomer(customerId: string): Promise<string | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: customerKey(customerId) }));
    return Item?.accountId as string | undefined;
  }

  async link(accountId: string, customerId: string): Promise<string> {
    const linkedAt = new Date().toISOString();
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...accountKey(accountId), customerId, linkedAt },
          ConditionExpression: 'attribute_not_exists(pk) OR customerId = :customerId',
          ExpressionAttributeValues: { ':customerId': customerId },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const existing = await this.customerForAccount(accountId);
      if (!existing) throw error;
      return existing;
    }
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: { ...customerKey(customerId), accountId, linkedAt } }));
    return customerId;
  }
}
