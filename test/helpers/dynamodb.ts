/**
 * Per-test-file DynamoDB: a fresh server on a free port with Linkout's table created.
 * Use `const db = useLocalDynamo()` at the top of a describe block; dynalite by default, or
 * `useLocalDynamo({ kind: 'dynamodb-local' })` for Amazon's DynamoDB Local (a JVM: seconds to start, so
 * once per file). A plain string is the table name, as before.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTable, type LocalDynamo, localDynamoClient, startLocalDynamo } from '#local/dynamodb';
import { startDynamoDbLocal } from '#local/dynamodb-local';

export type DynamoServerKind = 'dynalite' | 'dynamodb-local';

/** Every kind, for `describe.each(DYNAMO_SERVER_KINDS)` over behaviour that depends on DynamoDB semantics. */
export const DYNAMO_SERVER_KINDS: readonly DynamoServerKind[] = ['dynalite', 'dynamodb-local'];

export interface TestDynamo {
  kind: DynamoServerKind;
  endpoint: string;
  tableName: string;
  client: DynamoDBClient;
}

const starters: Record<DynamoServerKind, () => Promise<LocalDynamo>> = {
  dynalite: () => startLocalDynamo(),
  'dynamodb-local': () => startDynamoDbLocal(),
};

export interface LocalDynamoChoice {
  kind?: DynamoServerKind;
  tableName?: string;
}

export function useLocalDynamo(choice: string | LocalDynamoChoice = {}): TestDynamo {
  const { kind = 'dynalite', tableName = 'linkout-test' } = typeof choice === 'string' ? { tableName: choice } : choice;
  const handle = { kind, tableName } as TestDynamo;
  let server: LocalDynamo;
  beforeAll(async () => {
    server = await starters[kind]();
    handle.endpoint = server.endpoint;
    handle.client = localDynamoClient(server.endpoint);
    await ensureTable(handle.client, tableName);
  }, 90_000);
  afterAll(async () => {
    handle.client?.destroy();
    await server?.close();
  });
  return handle;
}
