/**
 * A Stripe client built on first use and rebuilt only when the secret key changes (rotation), so
 * handlers neither build a client per request nor keep using a revoked key.
 *
 * stripe-node itself is loaded on first use too: the webhook's common path never asks Stripe, and
 * evaluating stripe-node costs its cold start tens of milliseconds. Nothing else may import
 * ./client (or stripe) by value on such a path; test/infra/bundles.test.ts holds that.
 */
import type Stripe from 'stripe';
import { currentStripeSecrets, requireSecretKey } from '../secrets';

type ClientModule = typeof import('./client');
let clientModule: ClientModule | undefined;

/**
 * A require, not `await import()`: the getter stays synchronous for every Stripe adapter, and esbuild
 * (CommonJS, no splitting) turns it into a module wrapper evaluated on the first call, not at load.
 */
function loadClientModule(): ClientModule {
  clientModule ??= require('./client') as ClientModule;
  return clientModule;
}

export function lazyStripeClient(env: NodeJS.ProcessEnv = process.env): () => Stripe {
  let cached: { key: string; client: Stripe } | undefined;
  return () => {
    const key = requireSecretKey(currentStripeSecrets(env));
    if (cached?.key !== key) {
      cached = {
        key,
        client: loadClientModule().createStripeClient({ secretKey: key, apiUrl: env.STRIPE_API_URL || undefined, timeoutMs: timeoutFromEnv(env) }),
      };
    }
    return cached.client;
  };
}

/** STRIPE_TIMEOUT_MS overrides the per-request timeout (tests shorten it to exercise timeouts quickly); unset = the client's default. */
function timeoutFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env.STRIPE_TIMEOUT_MS?.trim();
  if (!raw) return undefined;
  const milliseconds = Number(raw);
  if (!Number.isInteger(milliseconds) || milliseconds <= 0) throw new Error(`STRIPE_TIMEOUT_MS must be a positive whole number of milliseconds, not "${raw}"`);
  return milliseconds;
}
