/**
 * The one place that turns failures into HTTP answers: `{"error": {"code", "message"}}`.
 * Unknown errors become 500 with a generic message; their details go to the log, never the client.
 */
import { AppError, type AppErrorKind } from '#core/errors';
import { STRIPE_ERROR_METRICS, type StripeErrorMetric } from '../metric-names';
import { isStripeError } from '../stripe/errors';
import { type HttpResponse, jsonResponse } from './response';

const STATUS_BY_KIND: Record<AppErrorKind, number> = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  throttled: 429,
  upstream_failed: 502,
  unavailable: 503,
};

export function errorResponse(error: unknown): HttpResponse {
  if (error instanceof AppError) {
    const headers: Record<string, string> = {};
    if (error.options.retryAfterSeconds !== undefined) headers['retry-after'] = String(error.options.retryAfterSeconds);
    return jsonResponse(STATUS_BY_KIND[error.kind], { error: { code: error.code, message: error.message } }, headers);
  }
  return jsonResponse(500, { error: { code: 'internal_error', message: 'Something went wrong on our side. Please retry.' } });
}

export function isServerError(error: unknown): boolean {
  return !(error instanceof AppError) || STATUS_BY_KIND[error.kind] >= 500;
}

/** The Stripe error class behind a failure (its AppError code), or undefined when Stripe did not fail. */
export function stripeErrorClass(error: unknown): StripeErrorMetric | undefined {
  if (!(error instanceof AppError) || !isStripeError(error.options.cause)) return undefined;
  return STRIPE_ERROR_METRICS.find((code) => code === error.code);
}
