/**
 * The benchmark's DynamoDB server, run as a child process (./bench-stack.ts starts it): dynalite with
 * Linkout's table, behind the counting proxy (./dynamo-counter.ts).
 *
 * Why a process of its own: in the local stack's process, dynalite shares one thread with the
 * gateway, the handlers and the load generator, so "the raw write rate" would measure how much CPU
 * the rest leaves it, not what the server can do. Here it is the separate server it is on AWS, and
 * the webhook's throughput is compared with a limit that does not move with the handlers' cost.
 *
 * Protocol: prints one JSON line {direct, counted} when ready; exits when its stdin closes (the
 * parent ended, however it ended), so it never outlives the benchmark.
 */
import { ensureTable, localDynamoClient, startLocalDynamo } from '#local/dynamodb';
import { startDynamoCounter } from './dynamo-counter';
import { stopWhenStdinCloses } from './measure';

async function main() {
  const tableName = process.argv[2];
  if (!tableName) throw new Error('usage: dynamo-server.ts <table name>');
  const dynamo = await startLocalDynamo();
  const client = localDynamoClient(dynamo.endpoint);
  await ensureTable(client, tableName);
  client.destroy();
  const counter = await startDynamoCounter(dynamo.endpoint);
  const stop = async () => {
    await counter.close();
    await dynamo.close();
    process.exit(0);
  };
  stopWhenStdinCloses(stop);
  process.on('SIGTERM', stop);
  process.stdout.write(`${JSON.stringify({ direct: dynamo.endpoint, counted: counter.endpoint })}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
