/**
 * Stripe secrets as the handlers see them. Locally they come from the environment; in AWS a middy
 * middleware loads them from Secrets Manager (cached) into the same variables before the handler
 * runs, so handler code is identical in both places. Never log these values.
 */
import { AppError } from '../core/errors';

export interface StripeSecrets {
  secretKey: string;
  /** Every webhook signing secret currently accepted (several while one is being rolled). */
  webhookSecrets: string[];
}

export function readStripeSecrets(env: NodeJS.ProcessEnv = process.env): StripeSecrets {
  return {
    secretKey: env.STRIPE_SECRET_KEY ?? '',
    webhookSecrets: (env.STRIPE_WEBHOOK_SECRET ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  };
}

export function requireSecretKey(secrets: StripeSecrets): string {
  if (!secrets.secretKey) {
    throw new AppError('unavailable', 'stripe_not_configured', 'The Stripe secret key is not configured yet.');
  }
  return secrets.secretKey;
}
