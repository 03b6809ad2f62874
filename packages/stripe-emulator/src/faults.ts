/**
 * Injected failures, for testing how callers handle Stripe being unavailable or refusing: the next
 * `count` matching API requests answer with the given status in Stripe's envelope, without running.
 * Note that stripe-node retries 409, 429 and 5xx answers up to its maxNetworkRetries.
 */
import { StripeApiError, type StripeErrorBody } from './errors';

export interface Fault {
  /** 402, 409, 429, 500, 502, 503... */
  status: number;
  /** How many requests fail (default 1). */
  count?: number;
  /** Only requests whose path starts with this, e.g. /v1/billing_portal/sessions. */
  path?: string;
  /** Only this method. */
  method?: 'GET' | 'POST' | 'DELETE';
}

export class FaultPlan {
  private faults: Array<Required<Pick<Fault, 'status' | 'count'>> & Fault> = [];

  add(fault: Fault): void {
    if (!Number.isInteger(fault.status) || fault.status < 400 || fault.status > 599) throw new Error(`A fault needs a 4xx or 5xx status, not ${fault.status}`);
    this.faults.push({ ...fault, count: fault.count ?? 1 });
  }

  clear(): void {
    this.faults = [];
  }

  /** The error a request must answer with, consuming one use of the first matching fault. */
  take(method: string, path: string): StripeApiError | undefined {
    const fault = this.faults.find((candidate) => (!candidate.method || candidate.method === method) && (!candidate.path || path.startsWith(candidate.path)));
    if (!fault) return undefined;
    fault.count -= 1;
    if (fault.count <= 0) this.faults = this.faults.filter((candidate) => candidate !== fault);
    return new StripeApiError(fault.status, envelopeFor(fault.status));
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
