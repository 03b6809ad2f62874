/**
 * Items (single table, see README "Data model"):
 *   pk = ACCOUNT#<accountId>   sk = CUSTOMER   { customerId?, deletedCustomerId?, linkedAt }   account -> customer
 *   pk = CUSTOMER#<customerId> sk = ACCOUNT    { accountId, linkedAt }                          customer -> account
 * The account item is written with a condition so that concurrent first requests agree on one
 * customer; the reverse item is idempotent and may be rewritten freely. When Stripe deletes the
 * customer, the account item drops `customerId` and remembers it as `deletedCustomerId`, so the
 * account can get a new customer while late events can never link the deleted one again.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import type { AccountLinks } from '#core/accounts';
import { conditionalWrite } from './conditional-write';
import { guardStorage } from './storage-errors';

const accountKey = (accountId: string) => ({ pk: `ACCOUNT#${accountId}`, sk: 'CUSTOMER' });
const customerKey = (customerId: string) => ({ pk: `CUSTOMER#${customerId}`, sk: 'ACCOUNT' });

export class DynamoAccountLinks implements AccountLinks {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async customerForAccount(accountId: string): Promise<string | undefined> {
    return (await this.accountItem(accountId))?.customerId as string | undefined;
  }

  async deletedCustomerOf(accountId: string): Promise<string | undefined> {
    return (await this.accountItem(accountId))?.deletedCustomerId as string | undefined;
  }

  async accountForCustomer(customerId: string): Promise<string | undefined> {
    const { Item } = await guardStorage(this.db.send(new GetCommand({ TableName: this.tableName, Key: customerKey(customerId) })));
    return Item?.accountId as string | undefined;
  }

  async link(accountId: string, customerId: string): Promise<string | undefined> {
    const linkedAt = new Date().toISOString();
    const linked = await this.updateAccountIf(accountId, {
      UpdateExpression: 'SET customerId = :customerId, linkedAt = if_not_exists(linkedAt, :linkedAt)',
      // Free (never linked, or its customer was deleted) or already this customer; never the deleted one.
      ConditionExpression:
        '(attribute_not_exists(customerId) OR customerId = :customerId) AND (attribute_not_exists(deletedCustomerId) OR deletedCustomerId <> :customerId)',
      ExpressionAttributeValues: { ':customerId': customerId, ':linkedAt': linkedAt },
    });
    if (!linked) return this.customerForAccount(accountId);
    await guardStorage(this.db.send(new PutCommand({ TableName: this.tableName, Item: { ...customerKey(customerId), accountId, linkedAt } })));
    return customerId;
  }

  async unlinkDeletedCustomer(customerId: string): Promise<string | undefined> {
    const accountId = await this.accountForCustomer(customerId);
    if (!accountId) return undefined;
    // A failed condition means already unlinked (a duplicate delivery) or the account moved on.
    await this.updateAccountIf(accountId, {
      UpdateExpression: 'REMOVE customerId SET deletedCustomerId = :customerId',
      ConditionExpression: 'customerId = :customerId',
      ExpressionAttributeValues: { ':customerId': customerId },
    });
    return accountId;
  }

  /** A conditional update of the account item; false when the condition did not hold. */
  private async updateAccountIf(
    accountId: string,
    update: Pick<UpdateCommandInput, 'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeValues'>,
  ): Promise<boolean> {
    const result = await conditionalWrite(this.db.send(new UpdateCommand({ TableName: this.tableName, Key: accountKey(accountId), ...update })));
    return result.written;
  }

  private async accountItem(accountId: string) {
    const { Item } = await guardStorage(this.db.send(new GetCommand({ TableName: this.tableName, Key: accountKey(accountId) })));
    return Item;
  }
}
