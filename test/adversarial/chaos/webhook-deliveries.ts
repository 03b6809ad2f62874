/**
 * Stripe's side of webhook delivery, done by the test so that it can be made as hostile as the issue
 * asks: the emulator's own events (the exact payload its delivery would send), duplicated, fully
 * shuffled by a seeded random, signed with the stack's webhook secret, POSTed concurrently to the
 * local stack, and retried with a bounded backoff when the answer is 5xx, as Stripe does. A slice of
 * the deliveries can be dropped (the endpoint was down and Stripe gave up).
 */
import type Stripe from 'stripe';

export interface DeliveryPlan {
  /** Every delivery in order: each event once, plus the duplicates, shuffled. */
  deliveries: Stripe.Event[];
  duplicates: number;
  /** [from, to): deliveries never made (the webhook endpoint was down). */
  down: { from: number; to: number };
}

export function planDeliveries(events: Stripe.Event[], random: () => number, options: { duplicateShare: number; downShare: number }): DeliveryPlan {
  const duplicates = events.filter(() => random() < options.duplicateShare);
  const deliveries = shuffle([...events, ...duplicates], random);
  const length = Math.floor(deliveries.length * options.downShare);
  // Anywhere but the very start or end, so that deliveries on both sides of the outage interleave with it.
  const from = Math.floor(deliveries.length * (0.2 + random() * 0.5));
  return { deliveries, duplicates: duplicates.length, down: { from, to: from + length } };
}

export interface DeliveryStats {
  /** Deliveries attempted (the down window excluded). */
  deliveries: number;
  attempts: number;
  serverErrors: number;
  retried: number;
  /** Events whose every attempt failed: Stripe would give up on them too. */
  gaveUp: string[];
  /** Final answers that were neither 2xx nor 5xx (there should be none: every event here is valid). */
  rejected: Array<{ eventId: string; status: number; body: string }>;
  outcomes: Record<string, number>;
  /** Event ids never delivered because of the down window (some may have a copy delivered elsewhere). */
  skipped: string[];
}

export interface DeliveryOptions {
  url: string;
  sign: (payload: string) => string;
  concurrency: number;
  maxAttempts: number;
  /** Called before a delivery's first attempt, with its position (fault injection hooks in here). */
  beforeDelivery?: (index: number) => void;
}

const RETRY_BASE_MS = 100;
const RETRY_MAX_MS = 2_000;

export async function deliver(plan: DeliveryPlan, options: DeliveryOptions): Promise<DeliveryStats> {
  const stats: DeliveryStats = { deliveries: 0, attempts: 0, serverErrors: 0, retried: 0, gaveUp: [], rejected: [], outcomes: {}, skipped: [] };
  let next = 0;
  const deliverOne = async (event: Stripe.Event) => {
    // The same bytes the emulator's own delivery would send (packages/stripe-emulator/src/delivery.ts).
    const payload = JSON.stringify(event, null, 2);
    for (let attempt = 1; attempt <= options.maxAttempts; attempt++) {
      if (attempt > 1) {
        stats.retried++;
        await sleep(Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (attempt - 2)));
      }
      stats.attempts++;
      const { status, body } = await post(options.url, payload, options.sign(payload));
      if (status >= 200 && status < 300) {
        const { outcome } = JSON.parse(body) as { outcome: string };
        stats.outcomes[outcome] = (stats.outcomes[outcome] ?? 0) + 1;
        return;
      }
      if (status < 500 && status !== 0) {
        stats.rejected.push({ eventId: event.id, status, body });
        return;
      }
      stats.serverErrors++;
    }
    stats.gaveUp.push(event.id);
  };
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < plan.deliveries.length) {
        const index = next++;
        const event = plan.deliveries[index]!;
        if (index >= plan.down.from && index < plan.down.to) {
          stats.skipped.push(event.id);
          continue;
        }
        stats.deliveries++;
        options.beforeDelivery?.(index);
        await deliverOne(event);
      }
    }),
  );
  return stats;
}

/** status 0: the connection failed (counted like a 5xx: Stripe retries both). */
async function post(url: string, payload: string, signature: string): Promise<{ status: number; body: string }> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        'stripe-signature': signature,
      },
      body: payload,
      signal: AbortSignal.timeout(30_000),
    });
    return { status: response.status, body: await response.text() };
  } catch {
    return { status: 0, body: '' };
  }
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
