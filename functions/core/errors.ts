/**
 * Failures the domain can name. Handlers and adapters throw these; the one HTTP error mapper
 * (functions/adapters/http/error-mapper.ts) turns them into status codes and the v1 error body.
 */
export type AppErrorKind =
  | 'invalid_request' // 400: the caller sent something wrong; nothing changed
  | 'unauthorized' // 401: no or invalid credentials
  | 'forbidden' // 403: authenticated, but the role may not do this
  | 'not_found' // 404: does not exist or is not the caller's
  | 'conflict' // 409: the state does not allow it now
  | 'throttled' // 429: slow down (retryAfterSeconds)
  | 'upstream_failed' // 502: Stripe rejected or failed a call
  | 'unavailable'; // 503: a transient failure; retrying later is expected to succeed

export class AppError extends Error {
  constructor(
    readonly kind: AppErrorKind,
    /** snake_case code for clients, e.g. "invalid_signature". */
    readonly code: string,
    message: string,
    readonly options: { retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
  }
}

export const invalidRequest = (code: string, message: string) => new AppError('invalid_request', code, message);
export const notFound = (code: string, message: string) => new AppError('not_found', code, message);
export const forbidden = (code: string, message: string) => new AppError('forbidden', code, message);
export const unauthorized = (message = 'A valid bearer token is required.') => new AppError('unauthorized', 'unauthorized', message);
