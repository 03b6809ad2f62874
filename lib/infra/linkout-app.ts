/**
 * The whole deployed system for one stage, split by lifecycle:
 *   LinkoutData-<stage>  DynamoDB table + Stripe secret (stateful, retained in production)
 *   LinkoutApi-<stage>   HTTP API, Lambdas, alarms, portal configuration sync (stateless)
 *   LinkoutSite-<stage>  S3 + CloudFront universal-link site (regenerated from configuration)
 * Stacks are environment-agnostic unless the stage pins account/region, so synth needs no credentials.
 */
import { type App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { LinkoutConfig } from '#core/config';
import { ApiStack } from './api-stack';
import { DataStack } from './data-stack';
import { SiteStack } from './site-stack';
import { resolveStage } from './stage';

const CROSS_STACK_REFERENCES = '@aws-cdk/core:defaultCrossStackReferences';

export interface LinkoutAppOptions {
  config: LinkoutConfig;
  stageName: string;
  /** Also serve the API under the site's domain at /v1/* (default true). */
  apiOnSiteDomain?: boolean;
  /** Run the cdk-nag AwsSolutions checks at synth (default true). */
  nag?: boolean;
}

export function buildLinkoutApp(app: App, options: LinkoutAppOptions) {
  const stage = resolveStage(options.config, options.stageName);
  // Today's behaviour, stated explicitly: an export in use cannot be removed by accident.
  if (app.node.tryGetContext(CROSS_STACK_REFERENCES) === undefined) app.node.setContext(CROSS_STACK_REFERENCES, 'strong');
  const { account, region } = stage.settings;
  const env = account || region ? { account, region } : undefined;

  const data = new DataStack(app, `LinkoutData-${stage.name}`, {
    stage,
    env,
    description: `Linkout data: entitlements table and Stripe secret (${stage.name})`,
    terminationProtection: stage.settings.production,
  });
  const api = new ApiStack(app, `LinkoutApi-${stage.name}`, {
    stage,
    env,
    description: `Linkout API: HTTP API, Lambdas, alarms (${stage.name})`,
    table: data.table,
    stripeSecret: data.stripeSecret,
  });
  const site = new SiteStack(app, `LinkoutSite-${stage.name}`, {
    stage,
    env,
    description: `Linkout universal-link site: AASA and fallback pages (${stage.name})`,
    apiEndpoint: options.apiOnSiteDomain === false ? undefined : api.api.apiEndpoint,
  });

  Tags.of(app).add('project', 'linkout');
  Tags.of(app).add('linkout:stage', stage.name);
  if (options.nag !== false) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { stage, data, api, site };
}
