/**
 * The Stripe secrets of the current invocation, and the one accessor handlers and the Stripe client
 * read them through. In AWS (STRIPE_SECRET_ARN set) they come from Secrets Manager only: the secrets
 * middleware loads them before each invocation (functions/adapters/http/secrets-middleware.ts) and
 * hands them over here, never through process.env. The local stack and the tests have no ARN and set
 * STRIPE_SECRET_KEY / STRIPE_WEBHOOK_SECRET instead. Never log these values.
 */
import { AppError } from '#core/errors';
import { STRIPE_SECRET_ARN_ENV, STRIPE_SECRET_KEY_ENV, STRIPE_WEBHOOK_SECRET_ENV } from './environment';

export interface StripeSecrets {
  secretKey: string;
  /** Every webhook signing secret currently accepted (several while one is being rolled). */
  webhookSecrets: string[];
}

/** "whsec_a, whsec_b," -> ["whsec_a", "whsec_b"]: how a list of secrets is written in one string. */
export function parseSecretList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The local stack's secrets, from its environment. */
function stripeSecretsFromEnv(env: NodeJS.ProcessEnv = process.env): StripeSecrets {
  return {
    secretKey: env[STRIPE_SECRET_KEY_ENV] ?? '',
    webhookSecrets: parseSecretList(env[STRIPE_WEBHOOK_SECRET_ENV] ?? ''),
  };
}

// One Lambda container runs one invocation at a time, so the last loaded secrets are this invocation's.
let loaded: StripeSecrets | undefined;

/** Called by the secrets middleware with what it loaded for the invocation about to run. */
export function setInvocationStripeSecrets(secrets: StripeSecrets): void {
  loaded = secrets;
}

/** The Stripe secrets for the running invocation: Secrets Manager's in AWS, the environment's locally. */
export function currentStripeSecrets(env: NodeJS.ProcessEnv = process.env): StripeSecrets {
  if (!env[STRIPE_SECRET_ARN_ENV]) return stripeSecretsFromEnv(env);
  if (!loaded) throw new AppError('unavailable', 'secrets_unavailable', 'The service is starting up. Please retry.');
  return loaded;
}

export function requireSecretKey(secrets: StripeSecrets): string {
  if (!secrets.secretKey) {
    throw new AppError('unavailable', 'stripe_not_configured', 'The Stripe secret key is not configured yet.');
  }
  return secrets.secretKey;
}
