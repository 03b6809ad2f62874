/**
 * The shape of Linkout's single DynamoDB table, written once and used by the CDK stack, the local
 * stack (dynalite / DynamoDB Local) and the test harness, so they can never disagree.
 */
export const TABLE_NAME_ENV = 'TABLE_NAME';
export const DEFAULT_LOCAL_TABLE_NAME = 'linkout-local';

export const tableDefinition = {
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  /** Epoch seconds; DynamoDB's TTL deletes items whose value is in the past. */
  timeToLiveAttribute: 'ttl',
} as const;

/** The CreateTable input for the local stack and tests (on-demand, like the deployed table). */
export function createTableInput(tableName: string) {
  return {
    TableName: tableName,
    AttributeDefinitions: [
      { AttributeName: tableDefinition.partitionKey.name, AttributeType: tableDefinition.partitionKey.type },
      { AttributeName: tableDefinition.sortKey.name, AttributeType: tableDefinition.sortKey.type },
    ],
    KeySchema: [
      { AttributeName: tableDefinition.partitionKey.name, KeyType: 'HASH' as const },
      { AttributeName: tableDefinition.sortKey.name, KeyType: 'RANGE' as const },
    ],
    BillingMode: 'PAY_PER_REQUEST' as const,
  };
}
