/**
 * CloudFormation custom resource (Provider framework onEvent handler) that syncs Stripe's portal
 * configurations with the deployed configuration. Thin: the rules are the use case in
 * functions/core/portal-configuration-sync.ts; the Stripe secret comes from Secrets Manager.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import type Stripe from 'stripe';
import { loadConfig } from '#adapters/config';
import { STRIPE_SECRET_ARN_ENV } from '#adapters/environment';
import { logger } from '#adapters/logger';
import type { StripeSecrets } from '#adapters/secrets';
import { secretsManagerStripeSecrets } from '#adapters/secrets-manager';
import { createStripeClient } from '#adapters/stripe/client';
import { syncPortalConfigurations } from '#adapters/stripe/portal-sync';
import type { LinkoutConfig } from '#core/config';
import { type DeployRequest, type DeploySyncPorts, syncPortalConfigurationsOnDeploy } from '#core/portal-configuration-sync';

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
  const ports: DeploySyncPorts = {
    stripeSecretKey: async () => (await deps.loadSecrets()).secretKey,
    syncConfigurations: (secretKey) => syncPortalConfigurations(deps.stripeFor(secretKey), deps.config),
  };
  return async (event: CloudFormationCustomResourceEvent): Promise<ProviderResponse> => {
    logger.info('portal configuration request', { requestType: event.RequestType, stackId: event.StackId });
    const result = await syncPortalConfigurationsOnDeploy(deployRequest(event), ports, deps.secretName);
    if (result.changes) {
      const { created, updated, unchanged } = result.changes;
      logger.info('portal configurations synced', { created: created.length, updated: updated.length, unchanged: unchanged.length });
    }
    return { PhysicalResourceId: result.resourceId, ...(result.configurationIds && { Data: result.configurationIds }) };
  };
}

function deployRequest(event: CloudFormationCustomResourceEvent): DeployRequest {
  return event.RequestType === 'Create' ? { type: 'Create' } : { type: event.RequestType, resourceId: event.PhysicalResourceId };
}

function depsFromEnv(env: NodeJS.ProcessEnv = process.env): PortalConfigResourceDeps {
  const secretId = env[STRIPE_SECRET_ARN_ENV] ?? '';
  return {
    config: loadConfig(),
    // A deploy is a single invocation: nothing to cache across requests.
    loadSecrets: secretsManagerStripeSecrets({ secretId, cacheSeconds: 0 }),
    stripeFor: (secretKey) => createStripeClient({ secretKey, apiUrl: env.STRIPE_API_URL, maxNetworkRetries: 3, timeoutMs: 20000 }),
    secretName: secretNameFromArn(secretId),
  };
}

/** arn:aws:secretsmanager:region:acct:secret:linkout/prod/stripe-AbCdEf -> linkout/prod/stripe */
export function secretNameFromArn(arn: string): string {
  const name = arn.split(':secret:')[1] ?? arn;
  return name.replace(/-[A-Za-z0-9]{6}$/, '');
}

let syncOnDeploy: ReturnType<typeof makePortalConfigResourceHandler> | undefined;

export const handler = middy<CloudFormationCustomResourceEvent, ProviderResponse, Error, Context>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler((event) => {
    syncOnDeploy ??= makePortalConfigResourceHandler(depsFromEnv());
    return syncOnDeploy(event);
  });
