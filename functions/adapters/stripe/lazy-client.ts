/**
 * A Stripe client built on first use and rebuilt only when the secret key changes (rotation), so
 * handlers neither build a client per request nor keep using a revoked key.
 */
import type Stripe from 'stripe';
import { currentStripeSecrets, requireSecretKey } from '../secrets';
import { createStripeClient } from './client';

export function lazyStripeClient(env: NodeJS.ProcessEnv = process.env): () => Stripe {
  let cached: { key: string; client: Stripe } | undefined;
  return () => {
    const key = requireSecretKey(currentStripeSecrets(env));
    if (cached?.key !== key) {
      cached = { key, client: createStripeClient({ secretKey: key, apiUrl: env.STRIPE_API_URL || undefined, timeoutMs: timeoutFromEnv(env) }) };
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
