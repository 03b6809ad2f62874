/**
 * In AWS, loads the Stripe secrets before each invocation (cached, see ../secrets-manager.ts) and
 * hands them to `currentStripeSecrets()`. Only the handlers that read a Stripe secret add it
 * (`httpHandler(route, ...awsStripeSecrets())`; functions/handlers/routes.ts READS_STRIPE_SECRET says
 * which): importing this module bundles the Secrets Manager client, which the others must not pay
 * for at cold start. It is added only when STRIPE_SECRET_ARN is set: the local stack has no Secrets
 * Manager and sets the secrets in its environment instead.
 */
import type { MiddlewareObj } from '@middy/core';
import { STRIPE_SECRET_ARN_ENV } from '../environment';
import { type StripeSecrets, setInvocationStripeSecrets } from '../secrets';
import { secretsManagerStripeSecrets } from '../secrets-manager';

function stripeSecretsMiddleware(load: () => Promise<StripeSecrets>): MiddlewareObj {
  return {
    before: async () => {
      setInvocationStripeSecrets(await load());
    },
  };
}

/** The secrets middleware when the function runs in AWS (its ARN is set), else nothing; for HTTP and scheduled handlers alike. */
export function awsStripeSecrets(env: NodeJS.ProcessEnv = process.env): MiddlewareObj[] {
  const secretArn = env[STRIPE_SECRET_ARN_ENV];
  return secretArn ? [stripeSecretsMiddleware(secretsManagerStripeSecrets({ secretId: secretArn }))] : [];
}
