/**
 * In AWS, loads the Stripe secrets before each invocation (cached, see ../secrets-manager.ts) and
 * hands them to `currentStripeSecrets()`. `httpHandler` adds it only when STRIPE_SECRET_ARN is set:
 * the local stack has no Secrets Manager and sets the secrets in its environment instead.
 */
import type { MiddlewareObj } from '@middy/core';
import { type StripeSecrets, setInvocationStripeSecrets } from '../secrets';

export function stripeSecretsMiddleware(load: () => Promise<StripeSecrets>): MiddlewareObj {
  return {
    before: async () => {
      setInvocationStripeSecrets(await load());
    },
  };
}
