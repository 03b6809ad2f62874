/**
 * CloudFormation custom resource (Provider framework onEvent handler) that syncs Stripe's portal
 * configurations with the deployed configuration, so one `cdk deploy` leaves a working portal.
 *
 * Create/Update run the same idempotent sync; Delete leaves Stripe alone (configurations may still
 * be referenced by live sessions, and Stripe cannot delete them anyway). A Stripe secret that is
 * still the deploy-time placeholder fails the deployment with instructions instead of half-working.
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import type Stripe from 'stripe';
import { loadConfig } from '../adapters/config';
import { logger } from '../adapters/logger';
import { cachedStripeSecrets, STRIPE_SECRET_ARN_ENV } from '../adapters/http/secrets-middleware';
import type { StripeSecrets } from '../adapters/secrets';
import { createStripeClient } from '../adapters/stripe/client';
import { syncPortalConfigurations } from '../adapters/stripe/portal-sync';
import type { LinkoutConfig } from '../core/config';

export const PHYSICAL_RESOURCE_ID = 'linkout-portal-configurations';

export interface PortalConfigResourceDeps {
  config: LinkoutConfig;
  loadSecrets: () => Promise<StripeSecrets>;
  stripeFor: (secretKey: string) => Stripe;
  /** Where ops set the secret, named in the failure message. */
  secretName: string;
}

export interface ProviderResponse {
  PhysicalResourceId: string;
  Data?: Record<string, string>;
}

export function makePortalConfigResourceHandler(deps: PortalConfigResourceDeps) {
  return async (event: CloudFormationCustomResourceEvent): Promise<ProviderResponse> => {
    if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };

    const { secretKey } = await deps.loadSecrets();
    if (!/^(sk|rk)_(test|live)_/.test(secretKey)) {
      throw new Error(
        `The Stripe secret ${deps.secretName} has no Stripe secret key yet. Set it with ` +
          `\`aws secretsmanager put-secret-value --secret-id ${deps.secretName} --secret-string file://stripe.json\` ` +
          '(see the README, deploy section), then deploy again.',
      );
    }
    const report = await syncPortalConfigurations(deps.stripeFor(secretKey), deps.config);
    const synced = [...report.created, ...report.updated, ...report.unchanged];
    logger.info('portal configurations synced', {
      created: report.created.length,
      updated: report.updated.length,
      unchanged: report.unchanged.length,
    });
    // Role -> configuration id, readable with Fn::GetAtt (Data stays far below the 4 KB limit).
    const data = Object.fromEntries(synced.map(({ role, configurationId }) => [role, configurationId ?? '']));
    return { PhysicalResourceId: PHYSICAL_RESOURCE_ID, Data: data };
  };
}

function depsFromEnv(env: NodeJS.ProcessEnv = process.env): PortalConfigResourceDeps {
  const secretId = env[STRIPE_SECRET_ARN_ENV] ?? '';
  return {
    config: loadConfig(),
    // A deploy is a single invocation: nothing to cache across requests.
    loadSecrets: cachedStripeSecrets({ secretId, cacheSeconds: 0 }),
    stripeFor: (secretKey) => createStripeClient({ secretKey, apiUrl: env.STRIPE_API_URL, maxNetworkRetries: 3, timeoutMs: 20000 }),
    secretName: secretNameFromArn(secretId),
  };
}

/** arn:aws:secretsmanager:region:acct:secret:linkout/prod/stripe-AbCdEf -> linkout/prod/stripe */
export function secretNameFromArn(arn: string): string {
  const name = arn.split(':secret:')[1] ?? arn;
  return name.replace(/-[A-Za-z0-9]{6}$/, '');
}

let cold: ReturnType<typeof makePortalConfigResourceHandler> | undefined;

export const handler = (event: CloudFormationCustomResourceEvent) => {
  cold ??= makePortalConfigResourceHandler(depsFromEnv());
  return cold(event);
};
