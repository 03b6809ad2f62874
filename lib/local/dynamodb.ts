/**
 * Embedded DynamoDB for the local stack and the tests: dynalite, a pure-Node server that speaks the
 * real DynamoDB wire API, in memory by default or on disk when a directory is given.
 * The table is created from the same definition the CDK stack uses.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, type DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import { dynamoFromEnv } from '#adapters/dynamodb/client';
import { createTableInput } from '#adapters/dynamodb/table-definition';

// dynalite ships no types: required, with the one signature used here.
const dynalite = require('dynalite') as (options: Record<string, unknown>) => import('node:net').Server;

export interface LocalDynamo {
  endpoint: string;
  close(): Promise<void>;
}

export interface LocalDynamoOptions {
  port?: number;
  host?: string;
  /** Directory for a persistent database; in memory when unset. */
  path?: string;
}

export async function startLocalDynamo(options: LocalDynamoOptions = {}): Promise<LocalDynamo> {
  const host = options.host ?? '127.0.0.1';
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(options.path && { path: options.path }) });
  server.listen(options.port ?? 0, host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://${host}:${port}`,
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}

/** A DynamoDB client for a local endpoint, configured exactly as the handlers configure theirs. */
export function localDynamoClient(endpoint: string): DynamoDBClient {
  return dynamoFromEnv({ DYNAMODB_ENDPOINT: endpoint });
}

/** Creates Linkout's table unless it exists (a persistent local database keeps it across starts). */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new CreateTableCommand(createTableInput(tableName)));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
}
