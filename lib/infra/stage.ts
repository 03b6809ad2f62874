/**
 * One deployment stage as the stacks see it: the validated configuration plus the settings of the
 * stage chosen with `cdk deploy -c stage=<name>`. Every stack takes this object, so a value such as
 * log retention or "is this production" is read in one place.
 */
import { createHash } from 'node:crypto';
import { RemovalPolicy } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { LinkoutConfig } from '#core/config';

type StageSettings = LinkoutConfig['stages'][string];

export interface LinkoutStage {
  name: string;
  config: LinkoutConfig;
  settings: StageSettings;
}

export function resolveStage(config: LinkoutConfig, stageName: string): LinkoutStage {
  const settings = config.stages[stageName];
  if (!settings) {
    const known = Object.keys(config.stages).join(', ') || '(none)';
    throw new Error(`Unknown stage "${stageName}". The configuration defines: ${known}. Deploy with -c stage=<name>.`);
  }
  return { name: stageName, config, settings };
}

/**
 * The configuration the Lambdas load at cold start. Stage settings are deployment-time facts the
 * functions never read, so they are left out to stay well inside Lambda's 4 KB environment limit.
 */
export function runtimeConfig(config: LinkoutConfig): LinkoutConfig {
  return { ...config, stages: {} };
}

/** Changes whenever anything that shapes the Stripe portal configurations changes. */
export function portalConfigHash(config: LinkoutConfig): string {
  const relevant = { app: config.app, catalog: config.catalog, portal: config.portal };
  return createHash('sha256').update(JSON.stringify(relevant)).digest('hex');
}

/** CloudWatch Logs accepts only these retention periods (days). */
const ALLOWED_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/** The shortest allowed retention that keeps logs at least as long as the stage asks. */
export function logRetention(days: number): RetentionDays {
  const allowed = ALLOWED_RETENTION_DAYS.find((candidate) => candidate >= days) ?? ALLOWED_RETENTION_DAYS.at(-1)!;
  return allowed as RetentionDays;
}

/** Stateful resources survive stack deletion in production and are disposable elsewhere. */
export function statefulRemovalPolicy(stage: LinkoutStage): RemovalPolicy {
  return stage.settings.production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
}
