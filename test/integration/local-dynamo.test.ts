import { DescribeTableCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { tableDefinition } from '#adapters/dynamodb/table-definition';
import { useLocalDynamo } from '../helpers/dynamodb';

describe('embedded DynamoDB', () => {
  const db = useLocalDynamo();

  it('creates the table from the shared definition and serves reads and writes', async () => {
    const { Table } = await db.client.send(new DescribeTableCommand({ TableName: db.tableName }));
    expect(Table?.KeySchema).toEqual([
      { AttributeName: tableDefinition.partitionKey.name, KeyType: 'HASH' },
      { AttributeName: tableDefinition.sortKey.name, KeyType: 'RANGE' },
    ]);
    await db.client.send(new PutItemCommand({ TableName: db.tableName, Item: { pk: { S: 'a' }, sk: { S: 'b' }, v: { N: '1' } } }));
    const { Item } = await db.client.send(new GetItemCommand({ TableName: db.tableName, Key: { pk: { S: 'a' }, sk: { S: 'b' } } }));
    expect(Item?.v).toEqual({ N: '1' });
  });
});
