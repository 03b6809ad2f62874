/**
 * A real HTTP proxy between the handlers and the embedded DynamoDB that, on demand, answers every
 * request with DynamoDB's own transient errors for a while (an outage window), the way the service
 * does when a partition is hot or a node fails. The handlers' SDK client retries a few times by
 * itself; a window longer than those retries makes the handler answer 5xx, which is what the chaos
 * replay needs (Stripe then delivers the event again).
 */
import { once } from 'node:events';
import { Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** DynamoDB's JSON protocol error shapes for the two transient failures the SDK retries. */
const FAULTS = [
  { status: 500, type: 'InternalServerError', message: 'Internal server error (injected by the chaos replay)' },
  { status: 400, type: 'ThrottlingException', message: 'Rate of requests exceeds the allowed throughput (injected by the chaos replay)' },
] as const;

export interface DynamoFaultProxy {
  endpoint: string;
  /** Every request fails until `ms` from now; alternates between the two kinds of failure. */
  outage(ms: number): void;
  /** Requests answered with an injected failure so far. */
  readonly faults: number;
  /** Requests passed through to DynamoDB so far. */
  readonly forwarded: number;
  close(): Promise<void>;
}

export async function startDynamoFaultProxy(target: string): Promise<DynamoFaultProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  let failUntil = 0;
  let outages = 0;
  let faults = 0;
  let forwarded = 0;

  const fail = (response: ServerResponse) => {
    const fault = FAULTS[outages % FAULTS.length]!;
    faults++;
    const body = JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${fault.type}`, message: fault.message });
    response.writeHead(fault.status, {
      'content-type': 'application/x-amz-json-1.0',
      'x-amzn-requestid': `chaos-${faults}`,
      'content-length': Buffer.byteLength(body),
    });
    response.end(body);
  };

  const forward = (incoming: IncomingMessage, response: ServerResponse, body: Buffer) => {
    forwarded++;
    const outgoing = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: incoming.method, path: incoming.url, headers: incoming.headers, agent },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    outgoing.on('error', () => {
      if (!response.headersSent) response.writeHead(502);
      response.end();
    });
    outgoing.end(body);
  };

  const server = createServer((incoming, response) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      // Decided when the request is complete, as a failing service would: a request that arrives during the window fails.
      if (Date.now() < failUntil) fail(response);
      else forward(incoming, response, Buffer.concat(chunks));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    outage(ms) {
      outages++;
      failUntil = Date.now() + ms;
    },
    get faults() {
      return faults;
    },
    get forwarded() {
      return forwarded;
    },
    async close() {
      failUntil = 0;
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
      agent.destroy();
    },
  };
}
