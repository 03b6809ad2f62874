/**
 * Per-test-file Stripe: the emulator on a free port, seeded with the example catalog, and a
 * stripe-node client pointed at it through the project's own client factory.
 *
 *   const stripe = useStripeEmulator();                 // in a describe block
 *   await stripe.stripe.customers.create({ ... });      // inside tests
 *   stripe.emulator.events()                            // what happened
 *
 * Options may be a function, evaluated in beforeAll: useful when the webhook receiver is started by an
 * earlier beforeAll and its URL is only known then (or call `emulator.setWebhook(url, secret)`).
 */

import { type StripeEmulator, type StripeEmulatorOptions, startStripeEmulator } from '@linkout/stripe-emulator';
import type Stripe from 'stripe';
import { loadConfig } from '#adapters/config';
import { createStripeClient } from '#adapters/stripe/client';
import { emulatorSeed } from '#local/stripe-target';

export const TEST_SECRET_KEY = 'sk_test_linkout_emulator';

export interface TestStripe {
  emulator: StripeEmulator;
  stripe: Stripe;
}

export function useStripeEmulator(options: StripeEmulatorOptions | (() => StripeEmulatorOptions) = {}): TestStripe {
  const handle = {} as TestStripe;
  beforeAll(async () => {
    const resolved = typeof options === 'function' ? options() : options;
    handle.emulator = await startStripeEmulator({ port: 0, ...emulatorSeed(loadConfig()), ...resolved });
    handle.stripe = createStripeClient({ secretKey: TEST_SECRET_KEY, apiUrl: handle.emulator.url, maxNetworkRetries: 0 });
  });
  afterAll(async () => {
    await handle.emulator?.close();
  });
  return handle;
}
