/**
 * Linkout pins one Stripe API version (functions/adapters/stripe/client.ts) and parses webhooks in
 * that version's shapes. The emulator is a standalone package with its own constant; the local stack
 * and the tests are only meaningful while it speaks the same version.
 */
import { EMULATOR_API_VERSION } from '@linkout/stripe-emulator';
import { STRIPE_API_VERSION } from '#adapters/stripe/client';

it('the Stripe emulator speaks the API version Linkout pins', () => {
  expect(EMULATOR_API_VERSION).toBe(STRIPE_API_VERSION);
});
