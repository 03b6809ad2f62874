/**
 * A counting HTTP proxy in front of the local DynamoDB server (dynalite): the local stack hands it to
 * the handlers (`handlerDynamoEndpoint`), so every call a handler makes is seen on the wire, exactly
 * as AWS would bill it, without touching the handlers' code.
 *
 * Why a proxy and not consumed capacity: dynalite ignores ReturnConsumedCapacity, so units are
 * derived from the operation (the X-Amz-Target header) and sizes, by DynamoDB's published rules:
 *   - a write of an item up to 1 KB is 1 write unit, failed conditional writes included;
 *   - a read up to 4 KB is 1 read unit when strongly consistent, ½ when eventually consistent
 *     (a Query is billed on the summed size of what it returns; the response size stands in for it,
 *     which can only overestimate).
 * Items are checked to stay within 1 KB separately (`largestItemBytes`), so "1 unit per write" holds.
 */
import { Agent, createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { processCpuMs } from './measure';

const WRITE_OPERATIONS = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);
const READ_OPERATIONS = new Set(['GetItem', 'Query', 'Scan']);
/** Operations whose unit cost the simple rules above do not cover; any of them is reported as is. */
const MULTI_ITEM_OPERATIONS = new Set(['BatchWriteItem', 'BatchGetItem', 'TransactWriteItems', 'TransactGetItems']);

export interface DynamoCounts {
  /** Write calls (each 1 write unit for items up to 1 KB). */
  writes: number;
  /** Read calls of any consistency. */
  reads: number;
  /** Read units by the rules above. */
  readUnits: number;
  /** Batch and transaction calls, which the per-call rules do not price; the budgets expect none. */
  multiItem: number;
  /** Calls by operation name, e.g. { UpdateItem: 3, GetItem: 1 }. */
  byOperation: Record<string, number>;
  /** CPU time (user + system, ms) of the process serving DynamoDB and this proxy: what the server spent. */
  serverCpuMs: number;
}

export interface DynamoCounter {
  endpoint: string;
  counts(): DynamoCounts;
  close(): Promise<void>;
}

/** GET on this path answers the counts so far, as JSON (the proxy runs in its own process). */
export const COUNTS_PATH = '/__bench/counts';

export function emptyCounts(): DynamoCounts {
  return { writes: 0, reads: 0, readUnits: 0, multiItem: 0, byOperation: {}, serverCpuMs: 0 };
}

/** `after - before`, for the calls of one phase. */
export function countsBetween(before: DynamoCounts, after: DynamoCounts): DynamoCounts {
  const byOperation: Record<string, number> = {};
  for (const [operation, calls] of Object.entries(after.byOperation)) {
    const delta = calls - (before.byOperation[operation] ?? 0);
    if (delta) byOperation[operation] = delta;
  }
  return {
    writes: after.writes - before.writes,
    reads: after.reads - before.reads,
    readUnits: after.readUnits - before.readUnits,
    multiItem: after.multiItem - before.multiItem,
    byOperation,
    serverCpuMs: after.serverCpuMs - before.serverCpuMs,
  };
}

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

function readUnitsOf(requestBody: Buffer, responseBytes: number): number {
  let consistent = false;
  try {
    consistent = (JSON.parse(requestBody.toString('utf8')) as { ConsistentRead?: boolean }).ConsistentRead === true;
  } catch {
    // Not JSON: DynamoDB would refuse it; count it as the cheaper read.
  }
  const blocks = Math.max(1, Math.ceil(responseBytes / 4096));
  return (consistent ? 1 : 0.5) * blocks;
}

/** Starts the proxy on a free port in front of `target` (http://host:port). */
export async function startDynamoCounter(target: string): Promise<DynamoCounter> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const counts = emptyCounts();
  const server = createServer(async (req, res) => {
    if (req.method === 'GET' && req.url === COUNTS_PATH) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ...counts, serverCpuMs: processCpuMs() }));
      return;
    }
    try {
      const body = await readAll(req);
      const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? 'unknown';
      const upstreamResponse = await new Promise<IncomingMessage>((resolve, reject) => {
        const forwarded = httpRequest(
          { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent },
          resolve,
        );
        forwarded.on('error', reject);
        forwarded.end(body);
      });
      const answer = await readAll(upstreamResponse);
      counts.byOperation[operation] = (counts.byOperation[operation] ?? 0) + 1;
      if (WRITE_OPERATIONS.has(operation)) counts.writes++;
      if (READ_OPERATIONS.has(operation)) {
        counts.reads++;
        counts.readUnits += readUnitsOf(body, answer.length);
      }
      if (MULTI_ITEM_OPERATIONS.has(operation)) counts.multiItem++;
      res.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
      res.end(answer);
    } catch (error) {
      res.writeHead(502, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify({ __type: 'BenchProxyError', message: (error as Error).message }));
    }
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts: () => ({ ...counts, byOperation: { ...counts.byOperation }, serverCpuMs: processCpuMs() }),
    close: () =>
      new Promise((resolve) => {
        agent.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
