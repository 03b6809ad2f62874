/**
 * The ordering rule between what is stored for one object (a subscription, its invoice signal, a
 * customer's entitlement summary) and an incoming event about it.
 *
 * The stored watermark is the `created` second of the newest event applied, plus the ids of every
 * event already applied in that second. `event.created` has one-second resolution, so neither `<`
 * nor `<=` is enough on its own: a different event in the watermark's second is a tie, and a tie is
 * decided by asking Stripe for the current object, never by guessing.
 *
 * The DynamoDB adapter expresses the `apply` branch as its condition expression (one write) and
 * calls this function only when that condition fails, to tell the other outcomes apart.
 */
import type { EventPosition } from './billing-events';

export interface Watermark {
  created: number;
  /** Ids of the events applied in the `created` second. */
  eventIds: readonly string[];
  /** The stored object is in a terminal state (a canceled subscription). */
  terminal: boolean;
}

export type OrderingDecision = 'apply' | 'duplicate' | 'stale' | 'tie';

export function orderEvent(stored: Watermark | undefined, incoming: EventPosition & { terminal: boolean }): OrderingDecision {
  if (!stored) return 'apply';
  if (stored.eventIds.includes(incoming.eventId)) return 'duplicate';
  // Stripe never revives a canceled subscription, so a non-terminal snapshot after a terminal one
  // can only be an old event delivered late, whatever its timestamp says.
  if (stored.terminal && !incoming.terminal) return 'stale';
  if (incoming.created > stored.created) return 'apply';
  if (incoming.created < stored.created) return 'stale';
  return 'tie';
}
