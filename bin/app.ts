/**
 * The CDK app (cdk.json "app"). Pick the stage with `-c stage=<name>` (default: dev) and the
 * configuration with LINKOUT_CONFIG_FILE (default: config/linkout.example.json).
 *   npx cdk synth -c stage=prod
 *   npx cdk deploy --all -c stage=prod
 */
import { App } from 'aws-cdk-lib';
import { loadConfig } from '#adapters/config';
import { buildLinkoutApp } from '#infra/linkout-app';

const app = new App();
buildLinkoutApp(app, {
  config: loadConfig(),
  stageName: String(app.node.tryGetContext('stage') ?? 'dev'),
  apiOnSiteDomain: String(app.node.tryGetContext('apiOnSiteDomain') ?? 'true') !== 'false',
});
app.synth();
