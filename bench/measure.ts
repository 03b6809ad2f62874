/** Timing helpers shared by the benchmark's phases. */
import { performance } from 'node:perf_hooks';

export interface Latency {
  p50Ms: number;
  p99Ms: number;
}

/** Nearest-rank percentiles of `samples` (milliseconds), rounded to 0.1 ms. */
export function latencyOf(samples: number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
  return { p50Ms: round(at(50), 1), p99Ms: round(at(99), 1) };
}

export function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/**
 * Runs `work` on every item with `concurrency` workers, as a client holding that many requests in
 * flight would. Returns each item's latency and the wall time of the whole run.
 */
export async function runPool<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<{ latencies: number[]; seconds: number }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next++]!;
        const t0 = performance.now();
        await work(item);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { latencies, seconds: (performance.now() - started) / 1000 };
}

/** Runs `work` once per item, one at a time: app requests are timed without queueing behind each other. */
export function runSequential<T>(items: readonly T[], work: (item: T) => Promise<void>) {
  return runPool(items, 1, work);
}

/** "GET /v1/customers/cus_123" → "GET /v1/customers/{id}", counted: which Stripe calls a phase made. */
export function tallyStripeRequests(requests: string[]): Record<string, number> {
  return tally(requests.map((request) => request.replace(/\/(cus|sub|bps|cs|price|prod|bpc|in|pi|evt|si)_[A-Za-z0-9]+/g, '/{id}')));
}

/** How often each value occurs, e.g. ['applied', 'applied', 'stale'] → { applied: 2, stale: 1 }. */
export function tally(values: readonly (string | number)[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

/** CPU time (user + system, ms, all threads) this process has used so far, or since `before`. */
export function processCpuMs(before?: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(before);
  return (user + system) / 1000;
}

/** GET on this path of a webhook worker (./webhook-worker.ts) answers {cpuMs}: its processCpuMs() so far. */
export const WORKER_CPU_PATH = '/__bench/cpu';

/**
 * For a bench child started by ./bench-stack.ts: runs `stop` when its stdin closes, which is how the
 * parent says so, and what happens however the parent ended, so the child never outlives it.
 */
export function stopWhenStdinCloses(stop: () => void): void {
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.stdin.resume();
}
