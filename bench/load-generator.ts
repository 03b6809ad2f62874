/**
 * The webhook's load generator, run as a child process (./bench-stack.ts `postAll` starts it): it
 * posts signed events to the local stack with a fixed number in flight and reports each answer and
 * latency.
 *
 * Why a process of its own: on AWS the sender is Stripe, not Linkout's CPU. In the stack's process
 * the client side of every request (building it, parsing the answer) would take turns with the
 * gateway and the handler on one thread, and the throughput would measure both. node:http with
 * keep-alive, one socket per request in flight, as a delivery service holds them.
 *
 * Import its types only (`import type`): importing the module runs it.
 *
 * Protocol: one JSON document on stdin ({urls, concurrency, events: [{payload, signature}]}); one on
 * stdout ({seconds, latencies, replies: [{status, body}]}) when every event has been answered.
 */
import { Agent, request } from 'node:http';
import type { Reply, SignedEvent } from './bench-stack';
import { processCpuMs, runPool } from './measure';

export interface LoadRequest {
  /** Event i goes to urls[i % urls.length], as API Gateway spreads requests over containers. */
  urls: string[];
  concurrency: number;
  events: SignedEvent[];
}

export interface LoadResult {
  seconds: number;
  latencies: number[];
  /** In the order of `events`. */
  replies: Reply[];
  /** CPU time (user + system, ms) the sender spent on the run. */
  cpuMs: number;
}

function post(agent: Agent, url: URL, event: SignedEvent): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(event.payload), 'stripe-signature': event.signature },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(event.payload);
  });
}

async function generateLoad(input: LoadRequest): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: input.concurrency });
  const urls = input.urls.map((url) => new URL(url));
  const replies: Reply[] = new Array(input.events.length);
  const cpuBefore = process.cpuUsage();
  try {
    const indexes = input.events.map((_, i) => i);
    const { latencies, seconds } = await runPool(indexes, input.concurrency, async (i) => {
      replies[i] = await post(agent, urls[i % urls.length]!, input.events[i]!);
    });
    return { seconds, latencies, replies, cpuMs: processCpuMs(cpuBefore) };
  } finally {
    agent.destroy();
  }
}

async function main() {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as LoadRequest;
  const result = await generateLoad(input);
  process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
