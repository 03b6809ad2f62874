/**
 * Per-test-file Stripe: the emulator on a free port, seeded with a small catalog, and an unmodified
 * stripe-node client pointed at it.
 *
 *   const harness = useStripeEmulator();                // in a describe block
 *   await harness.stripe.customers.create({ ... });     // inside tests
 *   harness.emulator.events()                           // what happened
 *
 * Options may be a function, evaluated in beforeAll: useful when the webhook receiver is started by an
 * earlier beforeAll and its URL is only known then (or call `emulator.setWebhook(url, secret)`).
 */
import Stripe from 'stripe';
import { EMULATOR_API_VERSION, type SeedProduct, type StripeEmulator, type StripeEmulatorOptions, startStripeEmulator } from '../src';

export const TEST_SECRET_KEY = 'sk_test_stripe_emulator';

/** Two products, three recurring prices: enough for upgrades, interval changes and portal offers. */
const TEST_CATALOG: readonly SeedProduct[] = [
  {
    id: 'prod_stock_photos',
    name: 'Stock Photos',
    description: 'Unlimited downloads from the stock photo library.',
    prices: [
      { lookupKey: 'stock_photos_monthly', unitAmount: 1500, currency: 'usd', interval: 'month' },
      { lookupKey: 'stock_photos_yearly', unitAmount: 15000, currency: 'usd', interval: 'year' },
    ],
  },
  {
    id: 'prod_stock_photos_pro',
    name: 'Stock Photos Pro',
    description: 'Everything in Stock Photos plus 4K originals and the editing suite.',
    prices: [{ lookupKey: 'stock_photos_pro_monthly', unitAmount: 3000, currency: 'usd', interval: 'month' }],
  },
];

export interface TestStripe {
  emulator: StripeEmulator;
  stripe: Stripe;
}

/** stripe-node pointed at an emulator, with retries off so that injected faults surface at once. */
export function stripeClient(url: string, secretKey = TEST_SECRET_KEY): Stripe {
  const target = new URL(url);
  return new Stripe(secretKey, {
    apiVersion: EMULATOR_API_VERSION as Stripe.LatestApiVersion,
    host: target.hostname,
    port: Number(target.port),
    protocol: 'http',
    maxNetworkRetries: 0,
    telemetry: false,
  });
}

export function useStripeEmulator(options: StripeEmulatorOptions | (() => StripeEmulatorOptions) = {}): TestStripe {
  const handle = {} as TestStripe;
  beforeAll(async () => {
    const resolved = typeof options === 'function' ? options() : options;
    handle.emulator = await startStripeEmulator({ port: 0, catalog: TEST_CATALOG, accountName: 'Lumen Photos', ...resolved });
    handle.stripe = stripeClient(handle.emulator.url);
  });
  afterAll(async () => {
    await handle.emulator?.close();
  });
  return handle;
}
