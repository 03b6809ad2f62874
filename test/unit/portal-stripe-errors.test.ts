/**
 * The one Stripe -> AppError mapping, fed with stripe-node's own error classes (as its request layer
 * builds them from Stripe's error envelope). The HTTP behaviour is covered end to end in
 * test/integration/portal-stripe-errors.test.ts.
 */
import Stripe from 'stripe';
import { appErrorFromStripe, callStripe, isStripeResourceMissing } from '#adapters/stripe/errors';
import { AppError, forbidden } from '#core/errors';

const stripeError = (raw: { type: string; statusCode?: number; code?: string; message?: string; headers?: Record<string, string> }) =>
  Stripe.errors.StripeError.generate({ message: 'boom', ...raw } as never);

describe('appErrorFromStripe', () => {
  it.each([
    ['rate limit (429)', { type: 'invalid_request_error', statusCode: 429, code: 'rate_limit' }, 'throttled', 'stripe_rate_limited'],
    ['rate limit error type', { type: 'rate_limit_error' as never, statusCode: 429 }, 'throttled', 'stripe_rate_limited'],
    ['connection failure', { type: 'StripeConnectionError' }, 'unavailable', 'stripe_unreachable'],
    ['api error (500)', { type: 'api_error', statusCode: 500 }, 'upstream_failed', 'stripe_failed'],
    ['bad gateway (502)', { type: 'api_error', statusCode: 502 }, 'upstream_failed', 'stripe_failed'],
    ['invalid request (400)', { type: 'invalid_request_error', statusCode: 400, code: 'parameter_invalid' }, 'upstream_failed', 'stripe_rejected'],
    ['missing resource (404)', { type: 'invalid_request_error', statusCode: 404, code: 'resource_missing' }, 'upstream_failed', 'stripe_rejected'],
    ['idempotency conflict (400)', { type: 'idempotency_error', statusCode: 400 }, 'upstream_failed', 'stripe_rejected'],
    ['bad API key (401)', { type: 'authentication_error' as never, statusCode: 401 }, 'upstream_failed', 'stripe_rejected_credentials'],
    ['restricted key (403)', { type: 'invalid_request_error', statusCode: 403 }, 'upstream_failed', 'stripe_rejected_credentials'],
  ])('%s', (_name, raw, kind, code) => {
    const generated = raw.type === 'StripeConnectionError' ? new Stripe.errors.StripeConnectionError({ message: 'ECONNRESET' }) : stripeError(raw as never);
    const mapped = appErrorFromStripe(generated, 'doing something');
    expect(mapped).toBeInstanceOf(AppError);
    expect([(mapped as AppError).kind, (mapped as AppError).code]).toEqual([kind, code]);
    expect((mapped as AppError).message).toContain('doing something');
    if (code === 'stripe_rejected_credentials') {
      // Same type and status, without Stripe's message (it quotes the key): see the test below.
      expect((mapped as AppError).cause).toMatchObject({ type: (generated as { type: string }).type, statusCode: (raw as { statusCode?: number }).statusCode });
      expect(((mapped as AppError).cause as Error).message).not.toContain('boom');
    } else expect((mapped as AppError).cause).toBe(generated);
  });

  // Found by the log scan (test/setup/scan-logs.ts): the cause of a logged 5xx carried Stripe's message with the key.
  it.each([
    ['a rejected key (401)', { type: 'authentication_error' as never, statusCode: 401 }],
    ['a restricted key (403)', { type: 'invalid_request_error', statusCode: 403 }],
  ])('%s: nothing in the mapped error (and so in its log line) quotes the key', (_name, raw) => {
    const key = 'sk_test_51FullKeyAsAProxyMightEchoIt0123456789';
    const mapped = appErrorFromStripe(stripeError({ ...raw, message: `Invalid API Key provided: ${key}` } as never), 'doing something') as AppError;
    const cause = mapped.cause as Error;
    expect([mapped.code, cause.message, cause.stack, JSON.stringify(cause)].join('\n')).not.toContain(key);
  });

  it.each([
    [{ 'retry-after': '9' }, 9],
    [{ 'retry-after': '0.2' }, 1],
    [{ 'retry-after': 'soon' }, 2],
    [undefined, 2],
  ])('Retry-After %p -> %d seconds', (headers, seconds) => {
    const mapped = appErrorFromStripe(stripeError({ type: 'invalid_request_error', statusCode: 429, ...(headers && { headers }) }), 'x') as AppError;
    expect(mapped.options.retryAfterSeconds).toBe(seconds);
  });

  it('leaves AppErrors and non-Stripe errors alone', () => {
    const own = forbidden('nope', 'No.');
    const bug = new TypeError('undefined is not a function');
    expect(appErrorFromStripe(own, 'x')).toBe(own);
    expect(appErrorFromStripe(bug, 'x')).toBe(bug);
  });

  it("lets the caller claim errors that are really the client's", async () => {
    const missing = stripeError({ type: 'invalid_request_error', statusCode: 404, code: 'resource_missing' });
    expect(isStripeResourceMissing(missing)).toBe(true);
    await expect(
      callStripe(
        'looking',
        () => Promise.reject(missing),
        (error) => (error.code === 'resource_missing' ? forbidden('mine', 'Mine.') : undefined),
      ),
    ).rejects.toMatchObject({ kind: 'forbidden', code: 'mine' });
    await expect(
      callStripe(
        'looking',
        () => Promise.reject(missing),
        () => undefined,
      ),
    ).rejects.toMatchObject({ code: 'stripe_rejected' });
    await expect(callStripe('looking', () => Promise.resolve(42))).resolves.toBe(42);
  });
});
