/**
 * Webhook delivery as Stripe does it: asynchronous (the API call answers first), signed with
 * `Stripe-Signature: t=<unix>,v1=<HMAC-SHA256("<t>.<body>")>`, retried with a short bounded backoff on
 * non-2xx answers and network errors. Switches make the awkward parts of real delivery happen on
 * demand: duplicates, delays, reordering within a batch, and pausing until a flush.
 */
import { createHmac } from 'node:crypto';
import type Stripe from 'stripe';

export interface DeliveryOptions {
  /** true: every event twice; a number in [0, 1]: the probability that an event is sent twice. */
  duplicate?: boolean | number;
  /** Wait this long before sending each batch. */
  delayMs?: number;
  /** Shuffle each batch (the events of one API call, or everything released by a flush). */
  reorder?: boolean;
  /** Queue deliveries until flushDeliveries() or until unpaused. */
  paused?: boolean;
  /** Attempts per delivery including the first (default 4). */
  maxAttempts?: number;
}

export interface DeliveryRecord {
  eventId: string;
  type: string;
  status: number | 'error';
  attempt: number;
}

export interface WebhookTarget {
  url: string;
  secret: string;
}

const RETRY_BASE_MS = 50;
const REQUEST_TIMEOUT_MS = 10_000;

function signatureHeader(payload: string, secret: string, timestamp = Math.floor(Date.now() / 1000)): string {
  const signature = createHmac('sha256', secret).update(`${timestamp}.${payload}`, 'utf8').digest('hex');
  return `t=${timestamp},v1=${signature}`;
}

/** The first secret of a comma-separated list (the one Stripe signs with while a secret is rolled). */
function signingSecret(secrets: string): string {
  return secrets.split(',')[0]!.trim();
}

export class WebhookDelivery {
  private options: DeliveryOptions = {};
  private queue: Stripe.Event[] = [];
  private chain: Promise<void> = Promise.resolve();
  private readonly pending = new Set<Promise<void>>();
  private readonly records: DeliveryRecord[] = [];
  private dispatchScheduled = false;
  private closed = false;

  constructor(private readonly target: () => WebhookTarget | undefined) {}

  setOptions(options: DeliveryOptions): void {
    this.options = { ...options };
    if (!this.options.paused) this.scheduleDispatch();
  }

  enqueue(event: Stripe.Event): void {
    if (!this.target() || this.closed) return;
    this.queue.push(event);
    if (this.shouldDuplicate()) this.queue.push(event);
    this.scheduleDispatch();
  }

  deliveries(): DeliveryRecord[] {
    return this.records.map((record) => ({ ...record }));
  }

  /** Sends everything queued (even while paused) and waits until every attempt, retries included, is answered. */
  async flush(): Promise<void> {
    this.dispatch();
    while (this.pending.size > 0) {
      await Promise.all([...this.pending]);
      this.dispatch();
    }
  }

  /** Stops new deliveries and waits for the ones under way. */
  async close(): Promise<void> {
    this.closed = true;
    this.queue = [];
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private shouldDuplicate(): boolean {
    const { duplicate } = this.options;
    if (duplicate === true) return true;
    return typeof duplicate === 'number' && Math.random() < duplicate;
  }

  private scheduleDispatch(): void {
    if (this.options.paused || this.dispatchScheduled) return;
    this.dispatchScheduled = true;
    // After the current tick, so that the events of one API call form one batch and the call answers first.
    setImmediate(() => {
      this.dispatchScheduled = false;
      if (!this.options.paused) this.dispatch();
    });
  }

  private dispatch(): void {
    if (this.queue.length === 0) return;
    const batch = this.queue.splice(0);
    if (this.options.reorder) reorder(batch);
    const delayMs = this.options.delayMs ?? 0;
    this.chain = this.chain.then(async () => {
      if (delayMs > 0) await sleep(delayMs);
      for (const event of batch) await this.attempt(event, 1);
    });
    this.track(this.chain);
  }

  private async attempt(event: Stripe.Event, attempt: number): Promise<void> {
    const target = this.target();
    if (!target || this.closed) return;
    const status = await send(event, target);
    this.records.push({ eventId: event.id, type: event.type, status, attempt });
    const succeeded = typeof status === 'number' && status >= 200 && status < 300;
    if (succeeded || attempt >= (this.options.maxAttempts ?? 4)) return;
    // Retry later, outside the chain: other events keep flowing meanwhile, as with Stripe.
    this.track(sleep(RETRY_BASE_MS * 2 ** (attempt - 1)).then(() => this.attempt(event, attempt + 1)));
  }

  private track(promise: Promise<void>): void {
    const tracked = promise.catch(() => undefined).finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }
}

async function send(event: Stripe.Event, target: WebhookTarget): Promise<number | 'error'> {
  const payload = JSON.stringify(event, null, 2);
  try {
    const response = await fetch(target.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        'stripe-signature': signatureHeader(payload, signingSecret(target.secret)),
      },
      body: payload,
      redirect: 'manual',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 'error';
  }
}

/** Shuffles in place and never leaves a batch of two or more in its original order (so reordering is observable). */
function reorder<T>(batch: T[]): void {
  if (batch.length < 2) return;
  const original = [...batch];
  for (let i = batch.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [batch[i], batch[j]] = [batch[j]!, batch[i]!];
  }
  if (batch.every((item, index) => item === original[index])) batch.reverse();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
