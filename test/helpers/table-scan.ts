/**
 * Every item of a table, each canonically serialised (keys sorted) and the list sorted, so that two
 * scans compare as sets: "nothing written" is `expect(after).toEqual(before)`.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { localDynamoClient } from '#local/dynamodb';

export async function tableItems(endpoint: string, tableName: string): Promise<string[]> {
  const client = localDynamoClient(endpoint);
  const items: string[] = [];
  let startKey: Record<string, unknown> | undefined;
  try {
    do {
      const page = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: startKey as never }));
      for (const item of page.Items ?? []) items.push(canonical(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  } finally {
    client.destroy();
  }
  return items.sort();
}

/** JSON with object keys sorted. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  // stripe-node gives some integers as BigInt, which JSON.stringify refuses.
  return typeof value === 'bigint' ? `${value}n` : JSON.stringify(value);
}
