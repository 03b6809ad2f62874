/**
 * Per-test-file DynamoDB: a fresh dynalite on a free port with Linkout's table created.
 * Use `const db = useLocalDynamo()` at the top of a describe block.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTable, localDynamoClient, startLocalDynamo, type LocalDynamo } from '../../lib/local/dynamodb';

export interface TestDynamo {
  endpoint: string;
  tableName: string;
  client: DynamoDBClient;
}

export function useLocalDynamo(tableName = 'linkout-test'): TestDynamo {
  const handle = { tableName } as TestDynamo;
  let server: LocalDynamo;
  beforeAll(async () => {
    server = await startLocalDynamo();
    handle.endpoint = server.endpoint;
    handle.client = localDynamoClient(server.endpoint);
    await ensureTable(handle.client, tableName);
  });
  afterAll(async () => {
    handle.client?.destroy();
    await server?.close();
  });
  return handle;
}
