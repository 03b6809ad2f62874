/**
 * Waiting out a rate limit on a repeatable read (backfill and reconciliation pages): the longer of
 * Retry-After and an exponential backoff, a bounded number of times, and nothing else retried.
 */
import { AppError } from '#core/errors';
import { retryWhileThrottled, throttledDelayMs } from '#core/throttling';

const throttled = (retryAfterSeconds?: number) =>
  new AppError('throttled', 'stripe_rate_limited', 'Slow down.', retryAfterSeconds === undefined ? {} : { retryAfterSeconds });

describe('the wait before a retry', () => {
  it.each([
    ['no Retry-After, first retry', undefined, 0, 1000],
    ['no Retry-After, fourth retry', undefined, 3, 8000],
    ['Retry-After longer than the backoff', 3, 0, 3000],
    ['Retry-After longer than the backoff, second retry', 3, 1, 3000],
    ['backoff longer than Retry-After', 2, 2, 4000],
  ] as const)('%s', (_name, retryAfterSeconds, attempt, expectedMs) => {
    expect(throttledDelayMs(throttled(retryAfterSeconds), attempt)).toBe(expectedMs);
  });
});

describe('retryWhileThrottled', () => {
  /** A call that fails with each of `failures` in turn, then answers 'page'. */
  function flaky(failures: unknown[]) {
    let calls = 0;
    const call = async () => {
      calls += 1;
      const failure = failures.shift();
      if (failure) throw failure;
      return 'page';
    };
    return { call, calls: () => calls };
  }
  const sleeps: number[] = [];
  const sleep = async (ms: number) => {
    sleeps.push(ms);
  };
  beforeEach(() => sleeps.splice(0));

  it('waits out each 429 and answers with the first success', async () => {
    const { call, calls } = flaky([throttled(), throttled(5), throttled()]);
    await expect(retryWhileThrottled(call, { retries: 3, sleep })).resolves.toBe('page');
    expect(calls()).toBe(4);
    expect(sleeps).toEqual([1000, 5000, 4000]);
  });

  it('gives up after `retries` retries with the last 429', async () => {
    const { call, calls } = flaky([throttled(), throttled(), throttled()]);
    await expect(retryWhileThrottled(call, { retries: 2, sleep })).rejects.toMatchObject({ kind: 'throttled' });
    expect(calls()).toBe(3);
    expect(sleeps).toEqual([1000, 2000]);
  });

  it.each([
    ['an unavailable Stripe', new AppError('unavailable', 'stripe_unreachable', 'Down.', { retryAfterSeconds: 2 })],
    ['a plain error', new Error('boom')],
  ])('does not retry %s', async (_name, failure) => {
    const { call, calls } = flaky([failure]);
    await expect(retryWhileThrottled(call, { retries: 3, sleep })).rejects.toBe(failure);
    expect(calls()).toBe(1);
    expect(sleeps).toEqual([]);
  });
});
