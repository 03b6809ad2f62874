/**
 * Loads the Stripe secrets from Secrets Manager in AWS and hands them to the handlers through the
 * same environment variables the local stack sets (STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET), so
 * handler code reads them with `readStripeSecrets()` in both places.
 *
 * The secret holds JSON: {"secretKey": "sk_...", "webhookSecrets": "whsec_a,whsec_b"}. Values are
 * cached per container for a few minutes: a rotated webhook secret is picked up without a deploy,
 * and a Secrets Manager call is not paid on every request. Never log the values.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { MiddlewareObj } from '@middy/core';
import { AppError } from '../../core/errors';
import { logger } from '../logger';
import type { StripeSecrets } from '../secrets';

/** The environment variable that carries the secret's ARN (never its value). */
export const STRIPE_SECRET_ARN_ENV = 'STRIPE_SECRET_ARN';

export const DEFAULT_SECRET_CACHE_SECONDS = 300;

export interface StripeSecretSource {
  secretId: string;
  client?: SecretsManagerClient;
  cacheSeconds?: number;
  /** Clock for tests of cache expiry. */
  now?: () => number;
}

/** Turns the stored JSON into secrets; an unset placeholder yields empty values, never an error. */
export function parseStoredStripeSecret(secretString: string | undefined): StripeSecrets {
  let stored: unknown;
  try {
    stored = JSON.parse(secretString ?? '');
  } catch {
    throw secretMisconfigured();
  }
  if (typeof stored !== 'object' || stored === null) throw secretMisconfigured();
  const { secretKey, webhookSecrets } = stored as { secretKey?: unknown; webhookSecrets?: unknown };
  if (secretKey !== undefined && typeof secretKey !== 'string') throw secretMisconfigured();
  const webhookList = Array.isArray(webhookSecrets) ? webhookSecrets : String(webhookSecrets ?? '').split(',');
  return {
    secretKey: (secretKey ?? '').trim(),
    webhookSecrets: webhookList.map((s) => String(s).trim()).filter(Boolean),
  };
}

export async function fetchStripeSecrets(client: SecretsManagerClient, secretId: string): Promise<StripeSecrets> {
  const result = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  return parseStoredStripeSecret(result.SecretString);
}

/** A cached reader: fetches at most once per cache period; serves the last value if a refresh fails. */
export function cachedStripeSecrets(source: StripeSecretSource): () => Promise<StripeSecrets> {
  const client = source.client ?? new SecretsManagerClient({});
  const ttlMs = (source.cacheSeconds ?? DEFAULT_SECRET_CACHE_SECONDS) * 1000;
  const now = source.now ?? Date.now;
  let cached: { secrets: StripeSecrets; fetchedAt: number } | undefined;

  return async () => {
    if (cached && now() - cached.fetchedAt < ttlMs) return cached.secrets;
    try {
      cached = { secrets: await fetchStripeSecrets(client, source.secretId), fetchedAt: now() };
      return cached.secrets;
    } catch (error) {
      if (error instanceof AppError) throw error;
      if (cached) {
        logger.warn('refreshing the Stripe secrets failed; using the cached ones', { error: (error as Error).name });
        return cached.secrets;
      }
      throw new AppError('unavailable', 'secrets_unavailable', 'The service is starting up. Please retry.', { cause: error });
    }
  };
}

/** Writes the secrets where `readStripeSecrets()` looks for them. */
export function exportStripeSecrets(secrets: StripeSecrets, env: NodeJS.ProcessEnv = process.env): void {
  env.STRIPE_SECRET_KEY = secrets.secretKey;
  env.STRIPE_WEBHOOK_SECRET = secrets.webhookSecrets.join(',');
}

export function stripeSecretsMiddleware(source: StripeSecretSource): MiddlewareObj {
  const load = cachedStripeSecrets(source);
  return {
    before: async () => {
      exportStripeSecrets(await load());
    },
  };
}

function secretMisconfigured(): AppError {
  return new AppError(
    'unavailable',
    'stripe_secret_misconfigured',
    // Ops see the code in the logs; the expected shape is in the README's deploy section.
    'The payment provider is not configured correctly yet.',
  );
}
