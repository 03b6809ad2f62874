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
    if (cached?.key !== key) cached = { key, client: createStripeClient({ secretKey: key, apiUrl: env.STRIPE_API_URL || undefined }) };
    return cached.client;
  };
}
