/**
 * Errors in Stripe's wire envelope: `{"error": {"type", "code", "message", "param"}}` with the HTTP
 * status Stripe uses, so that stripe-node raises the same typed errors it raises against Stripe.
 */

export interface StripeErrorBody {
  type: 'invalid_request_error' | 'api_error' | 'card_error' | 'idempotency_error' | 'authentication_error';
  code?: string;
  message: string;
  param?: string;
  doc_url?: string;
}

export class StripeApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: StripeErrorBody,
  ) {
    super(body.message);
    this.name = 'StripeApiError';
  }

  toJSON(): { error: StripeErrorBody } {
    return { error: this.body };
  }
}

/** The page of Stripe's error code list that an error with this code links to. */
export function docUrl(code: string): string {
  return `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}`;
}

function withDocUrl(body: StripeErrorBody): StripeErrorBody {
  return body.code ? { ...body, doc_url: docUrl(body.code) } : body;
}

/** A retrieved object that does not exist (404), or a parameter naming one that does not (400). */
export function noSuch(kind: string, id: string, param?: string): StripeApiError {
  return new StripeApiError(
    param ? 400 : 404,
    withDocUrl({ type: 'invalid_request_error', code: 'resource_missing', message: `No such ${kind}: '${id}'`, ...(param && { param }) }),
  );
}

export function unknownParameter(param: string): StripeApiError {
  return new StripeApiError(
    400,
    withDocUrl({ type: 'invalid_request_error', code: 'parameter_unknown', message: `Received unknown parameter: ${param}`, param }),
  );
}

export function missingParameter(param: string): StripeApiError {
  return new StripeApiError(400, withDocUrl({ type: 'invalid_request_error', code: 'parameter_missing', message: `Missing required param: ${param}.`, param }));
}

/**
 * A parameter whose value Stripe refuses. Stripe sends a code for some cases only (e.g.
 * `parameter_invalid_integer`); a value outside an enum or a non-boolean comes without one.
 */
export function invalidParameter(param: string, message: string, code?: string): StripeApiError {
  return new StripeApiError(400, withDocUrl({ type: 'invalid_request_error', ...(code && { code }), message, param }));
}

/** A request that is well formed but not allowed in the current state. */
export function invalidRequest(message: string, param?: string): StripeApiError {
  return new StripeApiError(400, { type: 'invalid_request_error', message, ...(param && { param }) });
}

export function authenticationError(message: string): StripeApiError {
  return new StripeApiError(401, { type: 'invalid_request_error', message });
}

export function unrecognizedUrl(method: string, path: string): StripeApiError {
  return new StripeApiError(404, {
    type: 'invalid_request_error',
    message: `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
  });
}
