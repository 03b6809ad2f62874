/**
 * A tiny webhook receiver for the emulator's tests: a node:http server on a free port that verifies
 * each delivery with stripe-node's constructEvent (the check a real endpoint makes) and records it.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

interface ReceivedDelivery {
  event: Stripe.Event;
  signature: string;
  /** performance.now() when the delivery's request reached the receiver. */
  arrivedAt: number;
}

export interface WebhookReceiver {
  url: string;
  secret: string;
  received: ReceivedDelivery[];
  /** Deliveries whose signature failed verification (should stay empty). */
  rejected: string[];
  /** Decides the status answered to each delivery (default 200). */
  respondWith(status: (event: Stripe.Event, attempt: number) => number): void;
  clear(): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(secret = 'whsec_test_receiver_secret'): Promise<WebhookReceiver> {
  const verifier = new Stripe('sk_test_unused');
  const received: ReceivedDelivery[] = [];
  const rejected: string[] = [];
  const attempts = new Map<string, number>();
  let decide: (event: Stripe.Event, attempt: number) => number = () => 200;
  const server = createServer((request, response) => {
    const arrivedAt = performance.now();
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const signature = String(request.headers['stripe-signature'] ?? '');
      try {
        const event = verifier.webhooks.constructEvent(body, signature, secret);
        const attempt = (attempts.get(event.id) ?? 0) + 1;
        attempts.set(event.id, attempt);
        received.push({ event, signature, arrivedAt });
        response.writeHead(decide(event, attempt), { 'content-type': 'application/json' });
        response.end('{"received":true}');
      } catch (error) {
        rejected.push((error as Error).message);
        response.writeHead(400);
        response.end();
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/webhooks/stripe`,
    secret,
    received,
    rejected,
    respondWith: (status) => (decide = status),
    clear: () => {
      received.length = 0;
      rejected.length = 0;
      attempts.clear();
    },
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
