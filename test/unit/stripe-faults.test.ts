/**
 * Issue 12, F2 and the `stripe_rejected` item: the customer idempotency key cannot be forged by an
 * account id, and Stripe's own error text stays in the log, out of the app's answer.
 */
import Stripe from 'stripe';
import { logger } from '#adapters/logger';
import { customerIdempotencyKey } from '#adapters/stripe/customers';
import { appErrorFromStripe } from '#adapters/stripe/errors';
import type { AppError } from '#core/errors';

describe('customerIdempotencyKey', () => {
  it('keeps apart an account whose id embeds "\\n<cus_id>" and the account whose deleted customer that is', () => {
    expect(customerIdempotencyKey('acct_a\ncus_x')).not.toBe(customerIdempotencyKey('acct_a', 'cus_x'));
    expect(customerIdempotencyKey('["acct_a","cus_x"]')).not.toBe(customerIdempotencyKey('acct_a', 'cus_x'));
    expect(customerIdempotencyKey('acct_a\ncus_x', 'cus_y')).not.toBe(customerIdempotencyKey('acct_a', 'cus_x\ncus_y'));
  });

  it.each([
    ['first customer', 'acct_a', undefined],
    ['after a deleted customer', 'acct_a', 'cus_x'],
  ])('is stable for the same inputs (%s)', (_case, account, deleted) => {
    expect(customerIdempotencyKey(account, deleted)).toBe(customerIdempotencyKey(account, deleted));
    expect(customerIdempotencyKey(account, deleted)).toMatch(/^linkout-customer-/);
  });

  it('gives a new key per customer generation', () => {
    expect(customerIdempotencyKey('acct_a', 'cus_x')).not.toBe(customerIdempotencyKey('acct_a'));
    expect(customerIdempotencyKey('acct_a', 'cus_x')).not.toBe(customerIdempotencyKey('acct_a', 'cus_y'));
  });
});

describe('stripe_rejected', () => {
  afterEach(() => jest.restoreAllMocks());

  it("answers Linkout's message naming the operation and logs Stripe's message and request id", () => {
    const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    const rejected = Stripe.errors.StripeError.generate({
      type: 'invalid_request_error',
      statusCode: 400,
      code: 'parameter_invalid',
      message: 'No such price: price_secret_internal',
      requestId: 'req_123',
    } as never);
    const mapped = appErrorFromStripe(rejected, 'creating the portal session') as AppError;
    expect(mapped.code).toBe('stripe_rejected');
    expect(mapped.message).toBe("Stripe rejected Linkout's request while creating the portal session.");
    expect(mapped.message).not.toContain('price_secret_internal');
    expect(warn).toHaveBeenCalledWith(
      'Stripe rejected a request',
      expect.objectContaining({ operation: 'creating the portal session', stripeMessage: 'No such price: price_secret_internal', stripeRequestId: 'req_123' }),
    );
  });
});
