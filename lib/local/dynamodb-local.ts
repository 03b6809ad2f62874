/**
 * Amazon's DynamoDB Local (the Java server shipped inside the npm package amplify-dynamodb-simulator),
 * started directly with `java -jar`. dynalite is faster to start, but DynamoDB Local behaves like the
 * service in the places Linkout's ordering depends on, e.g. it returns the stored item with a failed
 * conditional write (ReturnValuesOnConditionCheckFailure), which dynalite does not.
 * Returns the same `LocalDynamo` shape as lib/local/dynamodb.ts.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { type AddressInfo, createServer } from 'node:net';
import path from 'node:path';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { type LocalDynamo, localDynamoClient } from './dynamodb';

export interface DynamoDbLocalOptions {
  /** The java executable; `java` on the PATH by default. */
  java?: string;
  /** How long the JVM may take to answer its first ListTables. */
  startTimeoutMs?: number;
}

const HOST = '127.0.0.1';

/** The folder holding DynamoDBLocal.jar and its native libraries. */
function dynamoDbLocalFolder(): string {
  return path.join(path.dirname(require.resolve('amplify-dynamodb-simulator/package.json')), 'emulator');
}

export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<LocalDynamo> {
  const java = options.java ?? 'java';
  assertJavaAvailable(java);
  const folder = dynamoDbLocalFolder();
  const port = await freePort();
  const child = spawn(
    java,
    [
      `-Djava.library.path=${path.join(folder, 'DynamoDBLocal_lib')}`,
      '-jar',
      path.join(folder, 'DynamoDBLocal.jar'),
      '-inMemory',
      '-sharedDb',
      '-disableTelemetry',
      '-port',
      String(port),
    ],
    // Its own process group, so that close() can end the JVM and anything it starts.
    { cwd: folder, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const endpoint = `http://${HOST}:${port}`;
  try {
    await waitUntilAnswering(endpoint, child, options.startTimeoutMs ?? 60_000, () => output);
  } catch (error) {
    await killTree(child);
    throw error;
  }
  return { endpoint, close: () => killTree(child) };
}

function assertJavaAvailable(java: string): void {
  const probe = spawnSync(java, ['-version'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `DynamoDB Local needs Java (17 or newer), but \`${java} -version\` failed` +
        `${probe.error ? ` (${probe.error.message})` : ''}. Install it, e.g. \`apt-get install -y default-jre-headless\`.`,
    );
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, HOST);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitUntilAnswering(endpoint: string, child: ChildProcess, timeoutMs: number, output: () => string): Promise<void> {
  const client = localDynamoClient(endpoint);
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`DynamoDB Local exited (${child.exitCode ?? child.signalCode}) before answering:\n${output()}`);
      }
      try {
        await client.send(new ListTablesCommand({}));
        return;
      } catch {
        // Not listening yet: the JVM takes a few seconds to start.
      }
      if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${timeoutMs} ms:\n${output()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    client.destroy();
  }
}

async function killTree(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = once(child, 'exit');
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // The group is already gone.
    }
  };
  signalGroup('SIGTERM');
  const forced = setTimeout(() => signalGroup('SIGKILL'), 5_000);
  try {
    await exited;
  } finally {
    clearTimeout(forced);
  }
}
