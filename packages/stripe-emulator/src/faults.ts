/**
 * Injected failures, for testing how callers handle Stripe being unavailable, refusing, or the network
 * losing an answer. The next `count` matching API requests fail in one of three ways:
 *
 *   kind 'status' (default)  answer `status` in Stripe's envelope, without running the request
 *   kind 'timeout'           accept the request and never answer (the client's own timeout ends it;
 *                            the server's close() still closes the held connection)
 *   kind 'reset'             destroy the connection without an answer (the client sees ECONNRESET)
 *
 * With `afterHandling: true` a timeout or reset happens AFTER the request ran (and its result was
 * stored under its idempotency key): the object exists but the client never heard. That is the case
 * that makes a blind retry create a duplicate unless the retry carries the same idempotency key.
 * Note that stripe-node retries 409, 429, 5xx and connection errors up to its maxNetworkRetries.
 */
import { StripeApiError, type StripeErrorBody } from './errors';

export const FAULT_KINDS = ['status', 'timeout', 'reset'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Fault {
  /** 'status' (default), 'timeout' or 'reset'. */
  kind?: FaultKind;
  /** For kind 'status': 402, 409, 429, 500, 502, 503... */
  status?: number;
  /** For 'timeout' and 'reset': run the request first, then lose its answer. */
  afterHandling?: boolean;
  /** How many requests fail (default 1). */
  count?: number;
  /** Only requests whose path starts with this, e.g. /v1/billing_portal/sessions. */
  path?: string;
  /** Only this method. */
  method?: 'GET' | 'POST' | 'DELETE';
}

/** What the server must do with a request a fault matched. */
export type TakenFault = { kind: 'status'; error: StripeApiError } | { kind: 'timeout' | 'reset'; afterHandling: boolean };

type PlannedFault = Fault & { kind: FaultKind; count: number };

export class FaultPlan {
  private faults: PlannedFault[] = [];

  add(fault: Fault): void {
    const kind = fault.kind ?? 'status';
    if (!FAULT_KINDS.includes(kind)) throw new Error(`A fault's kind is one of ${FAULT_KINDS.join(', ')}, not ${String(kind)}`);
    if (kind === 'status') {
      const status = fault.status;
      if (status === undefined || !Number.isInteger(status) || status < 400 || status > 599)
        throw new Error(`A status fault needs a 4xx or 5xx status, not ${status}`);
      if (fault.afterHandling) throw new Error('afterHandling applies to timeout and reset faults only (a status fault never runs the request)');
    } else if (fault.status !== undefined) {
      throw new Error(`A ${kind} fault has no status: nothing is answered`);
    }
    const count = fault.count ?? 1;
    if (!Number.isInteger(count) || count < 1) throw new Error(`A fault's count is a positive integer, not ${count}`);
    this.faults.push({ ...fault, kind, count });
  }

  clear(): void {
    this.faults = [];
  }

  /** What a request must suffer, consuming one use of the first matching fault. */
  take(method: string, path: string): TakenFault | undefined {
    const fault = this.faults.find((candidate) => (!candidate.method || candidate.method === method) && (!candidate.path || path.startsWith(candidate.path)));
    if (!fault) return undefined;
    fault.count -= 1;
    if (fault.count <= 0) this.faults = this.faults.filter((candidate) => candidate !== fault);
    if (fault.kind === 'status') return { kind: 'status', error: new StripeApiError(fault.status!, envelopeFor(fault.status!)) };
    return { kind: fault.kind, afterHandling: fault.afterHandling ?? false };
  }
}

function envelopeFor(status: number): StripeErrorBody & Record<string, unknown> {
  if (status === 402) return { type: 'card_error', code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' };
  if (status === 429) {
    return {
      type: 'invalid_request_error',
      code: 'rate_limit',
      message: 'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.',
    };
  }
  if (status === 409)
    return {
      type: 'invalid_request_error',
      code: 'lock_timeout',
      message: 'This object cannot be accessed right now because another API request or Stripe process is currently accessing it.',
    };
  if (status >= 500) return { type: 'api_error', message: 'An unknown error occurred. Please try again.' };
  return { type: 'invalid_request_error', message: `Injected failure (${status}).` };
}
