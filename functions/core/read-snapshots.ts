/**
 * Subscriptions read from Stripe (not received as events) written through the ordered path
 * (functions/core/ordering.ts), shared by the refresh on return, the app's pause and resume, and
 * the scheduled resumer, so each of them shows its change at once without ever hiding a newer event.
 */
import type { ReadPosition, SubscriptionSnapshot } from './billing-events';
import { nowInMilliseconds } from './clock';
import type { EntitlementStore } from './entitlements-sync';

/** When a read of Stripe began: the (injectable) clock's second, and real milliseconds to order reads. */
export interface ReadStart {
  /** Unix seconds. */
  second: number;
  readAtMs: number;
}

/** Take it JUST BEFORE the Stripe call whose answer will be written. */
export function readStart(now: () => number, nowMs: () => number = nowInMilliseconds): ReadStart {
  return { second: now(), readAtMs: nowMs() };
}

/**
 * The position of snapshots read from Stripe: one second before the read (or write) began.
 * - an event Stripe creates after the read has `created` >= that second, so it applies, or ties
 *   and the tie re-reads Stripe: the written snapshot never hides it;
 * - an event older than the position is already reflected in the read, so it is rightly stale when
 *   it arrives late;
 * - the second of slack covers clock skew between this Lambda and Stripe; an event inside the slack
 *   ties (resolved with what Stripe says) or lands, and the tie rule corrects it either way;
 * - `readAtMs` lets a later read of the same second win over this one, never the reverse.
 *
 * @param kind names the writer in the event id (e.g. `refresh`, `pause`), for the record's history.
 */
export function readPosition(start: ReadStart, randomId: () => string = defaultRandomId, kind = 'refresh'): ReadPosition {
  return { eventId: `${kind}_${randomId()}`, created: start.second - 1, readAtMs: start.readAtMs };
}

/** Writes snapshots just read from Stripe at `position` (see readPosition). */
export async function writeReadSnapshots(
  store: Pick<EntitlementStore, 'putSubscription' | 'putResolvedSubscription'>,
  snapshots: readonly SubscriptionSnapshot[],
  position: ReadPosition,
): Promise<void> {
  for (const snapshot of snapshots) {
    const written = await store.putSubscription(position, snapshot);
    // The snapshot was just read from Stripe: it is the tie's answer, no second read needed.
    if (written === 'tie') await store.putResolvedSubscription(position, snapshot);
  }
}

const defaultRandomId = (): string => globalThis.crypto.randomUUID().replace(/-/g, '');
