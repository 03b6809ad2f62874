/**
 * The one way Linkout waits out a rate limit on a read it may repeat (backfill pages, reconciliation
 * event pages): on a `throttled` AppError, wait the longer of what the service asked for
 * (Retry-After) and an exponential backoff (1 s, 2 s, 4 s, …), then try again, up to `retries` times.
 * Anything else fails at once. Writes are not retried here: they have their own idempotency rules.
 */
import { AppError } from './errors';

const BASE_DELAY_MS = 1000;

export interface ThrottleRetries {
  /** Retries after the first attempt. */
  retries: number;
  sleep: (ms: number) => Promise<void>;
}

/** The wait before retry `attempt` (0-based) after `error`. */
export function throttledDelayMs(error: AppError, attempt: number): number {
  const askedMs = (error.options.retryAfterSeconds ?? 0) * 1000;
  return Math.max(askedMs, BASE_DELAY_MS * 2 ** attempt);
}

export async function retryWhileThrottled<T>(call: () => Promise<T>, { retries, sleep }: ThrottleRetries): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof AppError) || error.kind !== 'throttled' || attempt >= retries) throw error;
      await sleep(throttledDelayMs(error, attempt));
    }
  }
}
