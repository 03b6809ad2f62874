/**
 * The Stripe secret in Secrets Manager, read through Powertools Parameters, whose cache makes at most
 * one GetSecretValue call per cache period: a rotated key or webhook secret arrives within that
 * period without a deploy, and a request does not pay for a Secrets Manager call.
 *
 * The stored value is JSON: {"secretKey": "sk_...", "webhookSecrets": "whsec_a,whsec_b"}.
 * Powertools throws when a refresh fails; the loader adds the one thing it lacks, stale-on-failure:
 * it keeps serving the last good secrets while Secrets Manager cannot be read.
 */
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { AppError } from '#core/errors';
import { logger } from './logger';
import { parseSecretList, type StripeSecrets } from './secrets';

const SECRET_CACHE_SECONDS = 300;

export interface StripeSecretSource {
  /** The secret's ARN or name. */
  secretId: string;
  /** 0 reads Secrets Manager on every call (the deploy-time sync runs once per deploy). */
  cacheSeconds?: number;
  /** Tests pass a provider with their own client settings. */
  provider?: SecretsProvider;
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
  return {
    secretKey: (secretKey ?? '').trim(),
    webhookSecrets: Array.isArray(webhookSecrets) ? webhookSecrets.map((s) => String(s).trim()).filter(Boolean) : parseSecretList(String(webhookSecrets ?? '')),
  };
}

/** A reader of the Stripe secrets: cached by Powertools, the last good value when a refresh fails. */
export function secretsManagerStripeSecrets(source: StripeSecretSource): () => Promise<StripeSecrets> {
  const provider = source.provider ?? new SecretsProvider();
  const maxAge = source.cacheSeconds ?? SECRET_CACHE_SECONDS;
  let lastGood: StripeSecrets | undefined;

  return async () => {
    let stored: unknown;
    try {
      stored = await provider.get(source.secretId, { maxAge });
    } catch (error) {
      if (!lastGood) {
        throw new AppError('unavailable', 'secrets_unavailable', 'The service is starting up. Please retry.', { cause: error });
      }
      logger.warn('refreshing the Stripe secrets failed; using the last ones', { error: failureName(error) });
      return lastGood;
    }
    // A secret that is not valid JSON is ops' mistake, not an outage: it is reported, not papered over.
    lastGood = parseStoredStripeSecret(typeof stored === 'string' ? stored : undefined);
    return lastGood;
  };
}

/** Powertools wraps the SDK's error; its name (e.g. AccessDeniedException) is what ops need. */
function failureName(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? cause.name : (error as Error).name;
}

function secretMisconfigured(): AppError {
  return new AppError(
    'unavailable',
    'stripe_secret_misconfigured',
    // Ops see the code in the logs; the expected shape is in the README's deploy section.
    'The payment provider is not configured correctly yet.',
  );
}
