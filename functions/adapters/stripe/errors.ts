/**
 * The one translation of stripe-node's typed errors into AppError, so that every handler answers
 * Stripe's failures the same way (the HTTP error mapper then picks the status code):
 *
 *   429 rate limit                     -> throttled (429, Retry-After)
 *   connection failure or timeout      -> unavailable (503): nothing reached Stripe or we gave up
 *   Stripe 5xx (StripeAPIError)        -> upstream_failed (502)
 *   Stripe 4xx (invalid request, auth) -> upstream_failed (502), unless the caller translates it
 *                                         into the caller's own mistake first (e.g. 404 for a
 *                                         subscription id that does not exist)
 *
 * Errors that are not Stripe's pass through unchanged (the mapper turns them into a 500).
 */
import { AppError } from '#core/errors';
import { logger } from '../logger';

/** The fields of stripe-node's StripeError that the mapping reads (duck-typed: robust across copies of the SDK). */
export interface StripeErrorLike {
  type: string;
  statusCode?: number;
  code?: string;
  message: string;
  headers?: Record<string, string>;
  /** Stripe's id of the failed request (`req_…`). */
  requestId?: string;
}

/** Seconds to wait when Stripe rate-limits us without saying how long. */
const DEFAULT_RETRY_AFTER_SECONDS = 2;

export function isStripeError(error: unknown): error is StripeErrorLike {
  const type = error instanceof Error ? (error as unknown as { type?: unknown }).type : undefined;
  return typeof type === 'string' && type.startsWith('Stripe');
}

/** A Stripe "resource_missing" answer (404), e.g. a subscription id that does not exist. */
export function isStripeResourceMissing(error: unknown): boolean {
  return isStripeError(error) && (error.statusCode === 404 || error.code === 'resource_missing');
}

/**
 * Turns a Stripe failure into the AppError the API answers with. `operation` names what Linkout was
 * doing ("creating the portal session") so the message is clear without leaking Stripe internals.
 */
export function appErrorFromStripe(error: unknown, operation: string): unknown {
  if (error instanceof AppError || !isStripeError(error)) return error;
  const status = error.statusCode;
  if (error.type === 'StripeRateLimitError' || status === 429) {
    return new AppError('throttled', 'stripe_rate_limited', `Stripe is rate limiting requests while ${operation}. Retry shortly.`, {
      retryAfterSeconds: retryAfterSeconds(error.headers),
      cause: error,
    });
  }
  if (error.type === 'StripeConnectionError' || status === undefined) {
    return new AppError('unavailable', 'stripe_unreachable', `Stripe could not be reached while ${operation}. Retry shortly.`, {
      retryAfterSeconds: DEFAULT_RETRY_AFTER_SECONDS,
      cause: error,
    });
  }
  if (status >= 500 || error.type === 'StripeAPIError') {
    return new AppError('upstream_failed', 'stripe_failed', `Stripe failed while ${operation}. Retry later.`, { cause: error });
  }
  if (error.type === 'StripeAuthenticationError' || error.type === 'StripePermissionError') {
    return new AppError('upstream_failed', 'stripe_rejected_credentials', `Stripe rejected Linkout's API key while ${operation}.`, {
      cause: withoutKeyQuote(error),
    });
  }
  // Stripe's own wording names parameters and ids of Linkout's request: it goes to the log (with
  // Stripe's request id, to find the call in Stripe's dashboard), never to the app.
  logger.warn('Stripe rejected a request', {
    operation,
    stripeStatus: status,
    stripeType: error.type,
    stripeCode: error.code,
    stripeMessage: error.message,
    stripeRequestId: error.requestId,
  });
  return new AppError('upstream_failed', 'stripe_rejected', `Stripe rejected Linkout's request while ${operation}.`, { cause: error });
}

/**
 * A rejected key's error without Stripe's message, which quotes the key ("Invalid API Key provided:
 * sk_…"; Stripe masks it, a proxy or a test double may not) and would reach the log as the cause.
 * It stays a Stripe error of the same type, status, code and request id, for the metrics and the log.
 */
function withoutKeyQuote(error: StripeErrorLike): Error & StripeErrorLike {
  const message = `${error.type} (${error.statusCode ?? 'no status'}); Stripe's message is left out because it quotes the API key`;
  return Object.assign(new Error(message), { name: error.type, type: error.type, statusCode: error.statusCode, code: error.code, requestId: error.requestId });
}

/**
 * Runs one Stripe call and translates its failure. `translate` lets the caller claim the errors
 * that are really the client's (return an AppError) before the generic mapping applies.
 */
export async function callStripe<T>(operation: string, call: () => Promise<T>, translate?: (error: StripeErrorLike) => AppError | undefined): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (translate && isStripeError(error)) {
      const own = translate(error);
      if (own) throw own;
    }
    throw appErrorFromStripe(error, operation);
  }
}

function retryAfterSeconds(headers: Record<string, string> | undefined): number {
  const raw = headers?.['retry-after'] ?? headers?.['Retry-After'];
  const seconds = raw === undefined ? NaN : Number(raw);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.ceil(seconds) : DEFAULT_RETRY_AFTER_SECONDS;
}
