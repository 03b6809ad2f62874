/**
 * What the CDK app promises, checked on the synthesized templates of two stages: dev (the example
 * configuration) and prod (custom domain, alarm e-mail). Lambda bundling is skipped here to keep the
 * file fast; test/infra/synth.test.ts runs the real `npm run synth` with bundling once.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfig } from '#adapters/config';
import { STRIPE_ERROR_METRICS } from '#adapters/metric-names';
import type { LinkoutConfig } from '#core/config';
import { parseConfig } from '#core/config-validation';
import { AASA_KEYS, ASSET_LINKS_KEY, buildAppleAppSiteAssociation, buildAssetLinks } from '#core/site';
import { apiRoutes, READS_STRIPE_SECRET } from '#handlers/routes';
import { PORTAL_SESSION_THROTTLE, STALE_WEBHOOK_BURST, TABLE_ACCESS } from '#infra/api-stack';
import { buildLinkoutApp } from '#infra/linkout-app';
import { INLINE_CONFIG_LIMIT } from '#infra/linkout-function';
import { logRetention, portalConfigHash, resolveStage } from '#infra/stage';

const PROD_CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/0f5d7c1e-1111-2222-3333-444455556666';

function exampleConfig(): LinkoutConfig {
  const raw = JSON.parse(readFileSync(path.resolve(__dirname, '../../config/linkout.example.json'), 'utf8'));
  raw.stages.prod = {
    ...raw.stages.prod,
    siteDomain: raw.app.universalLinkDomain,
    siteCertificateArn: PROD_CERT,
    alarmEmail: 'ops@lumenphotos.example',
  };
  return parseConfig(raw);
}

function synthesize(config: LinkoutConfig, stageName: string, bundledStacks: string[] = []) {
  // Skipping bundling keeps this file fast; handler entry files must still exist. cdk-nag runs in
  // its own test below (synth would otherwise stop at the first finding and hide every other check).
  const app = new App({ context: { 'aws:cdk:bundling-stacks': bundledStacks } });
  const built = buildLinkoutApp(app, { config, stageName, nag: false });
  const assembly = app.synth();
  return {
    app,
    assembly,
    data: Template.fromStack(built.data),
    api: Template.fromStack(built.api),
    site: Template.fromStack(built.site),
    stacks: [built.data, built.api, built.site] as Stack[],
  };
}

type Synth = ReturnType<typeof synthesize>;
type Resource = { Type: string; Properties: Record<string, any>; DeletionPolicy?: string };

const config = exampleConfig();
let dev: Synth;
let prod: Synth;

// Keys in the deployer's environment (as when someone runs the local stack and cdk from one shell)
// must not leak into any template.
const LEAK_CANARIES = { STRIPE_SECRET_KEY: 'sk_test_canary4242', STRIPE_WEBHOOK_SECRET: 'whsec_canary4242' };

beforeAll(() => {
  const saved = { ...process.env };
  Object.assign(process.env, LEAK_CANARIES);
  try {
    dev = synthesize(config, 'dev');
    prod = synthesize(config, 'prod');
  } finally {
    process.env = saved;
  }
});

/** The site's BucketDeployments that upload objects as application/json. */
function jsonDeployments(synth: Synth): Resource[] {
  const deployments = Object.values(resourcesOf(synth.site, 'Custom::CDKBucketDeployment'));
  return deployments.filter((d) => d.Properties.SystemMetadata['content-type'] === 'application/json');
}

/** The staged file a deployment uploads at an S3 key, if any of its assets holds one. */
function stagedFile(synth: Synth, deployment: Resource, key: string): string | undefined {
  const staged = (deployment.Properties.SourceObjectKeys as string[]).map((asset) =>
    path.join(synth.assembly.directory, `asset.${asset.replace(/\.zip$/, '')}`),
  );
  return staged.map((dir) => path.join(dir, key)).find((file) => existsSync(file));
}

function resourcesOf(template: Template, type: string): Record<string, Resource> {
  return template.findResources(type) as Record<string, Resource>;
}

function lambdaFunctions(template: Template): Record<string, Resource> {
  // Our functions carry the Powertools service name; CDK's own helpers (Provider framework, BucketDeployment) do not.
  return Object.fromEntries(
    Object.entries(resourcesOf(template, 'AWS::Lambda::Function')).filter(([, r]) => r.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME),
  );
}

describe('stages', () => {
  it('names the known stages when an unknown one is asked for', () => {
    expect(() => resolveStage(config, 'staging')).toThrow(/Unknown stage "staging".*dev, prod/);
  });

  it.each([
    [1, 1],
    [14, 14],
    [15, 30],
    [90, 90],
    [91, 120],
    [5000, 3653],
  ])('rounds a retention of %i days up to the allowed %i', (asked, allowed) => {
    expect(logRetention(asked)).toBe(allowed);
  });

  it('pins the stacks to an account and region only when the stage says so', () => {
    const pinned = structuredClone(config);
    pinned.stages.dev = { ...pinned.stages.dev!, account: '123456789012', region: 'eu-west-1' };
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const built = buildLinkoutApp(app, { config: pinned, stageName: 'dev', nag: false });
    for (const stack of [built.data, built.api, built.site]) expect([stack.account, stack.region]).toEqual(['123456789012', 'eu-west-1']);
    expect(Stack.of(dev.stacks[0]!).environment).toBe('aws://unknown-account/unknown-region');
  });

  it('re-syncs portal configurations exactly when the portal-relevant configuration changes', () => {
    const headline = structuredClone(config);
    headline.portal.businessProfile.headline = 'Another headline';
    const price = structuredClone(config);
    price.catalog.products[0]!.prices[0]!.unitAmount += 100;
    const stages = structuredClone(config);
    stages.stages.dev!.logRetentionDays = 365;
    expect(portalConfigHash(headline)).not.toBe(portalConfigHash(config));
    expect(portalConfigHash(price)).not.toBe(portalConfigHash(config));
    expect(portalConfigHash(stages)).toBe(portalConfigHash(config));
  });
});

describe('data stack', () => {
  it.each([
    ['dev', 'Delete', false, () => dev],
    ['prod', 'Retain', true, () => prod],
  ] as const)('%s table: on demand, PITR on, TTL on "ttl", removal %s, deletion protection %s', (_stage, policy, protectedTable, synth) => {
    const tables = Object.values(resourcesOf(synth().data, 'AWS::DynamoDB::GlobalTable'));
    expect(tables).toHaveLength(1);
    const table = tables[0]!;
    expect(table.DeletionPolicy).toBe(policy);
    expect(table.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
    });
    expect(table.Properties.Replicas[0]).toMatchObject({
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: protectedTable,
    });
  });

  it('creates the Stripe secret with an empty placeholder and keeps it on stack deletion', () => {
    for (const synth of [dev, prod]) {
      const secrets = Object.values(resourcesOf(synth.data, 'AWS::SecretsManager::Secret'));
      expect(secrets).toHaveLength(1);
      expect(secrets[0]!.DeletionPolicy).toBe('Retain');
      expect(secrets[0]!.Properties).not.toHaveProperty('SecretString');
      expect(JSON.parse(secrets[0]!.Properties.GenerateSecretString.SecretStringTemplate)).toEqual({ secretKey: '', webhookSecrets: '' });
    }
  });

  it('exports the secret name and ARN for ops', () => {
    dev.data.hasOutput('StripeSecretName', {});
    dev.data.hasOutput('StripeSecretArn', {});
  });
});

describe('secrets never reach a template or an environment variable', () => {
  const secretLike = /\b(sk|rk)_(test|live)_[A-Za-z0-9]+|\bwhsec_[A-Za-z0-9]+/;

  it('no template contains anything shaped like a Stripe key or webhook secret, even with keys in the environment', () => {
    for (const synth of [dev, prod]) {
      for (const stack of synth.stacks) {
        const template = readFileSync(path.join(synth.assembly.directory, stack.templateFile), 'utf8');
        expect(template).not.toMatch(secretLike);
        expect(template).not.toContain('canary4242');
      }
    }
  });

  it('the functions get the secret ARN and read access, not its value', () => {
    const functions = lambdaFunctions(dev.api);
    for (const fn of Object.values(functions)) {
      const variables = fn.Properties.Environment.Variables;
      expect(variables).not.toHaveProperty('STRIPE_SECRET_KEY');
      expect(variables).not.toHaveProperty('STRIPE_WEBHOOK_SECRET');
    }
    dev.api.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['secretsmanager:GetSecretValue']),
            Effect: 'Allow',
            Resource: Match.objectLike({ 'Fn::ImportValue': Match.anyValue() }),
          }),
        ]),
      },
    });
  });

  it('only the API functions whose handler reads a Stripe secret get its ARN and read access (least privilege)', () => {
    const functions = Object.entries(lambdaFunctions(dev.api));
    const policies = Object.values(resourcesOf(dev.api, 'AWS::IAM::Policy'));
    const pascal = (name: string) => name.replace(/(^|-)([a-z])/g, (_, _dash, letter: string) => letter.toUpperCase());
    const secretAccess = (roleId: string) =>
      policies
        .filter((policy) => policy.Properties.Roles.some((role: { Ref: string }) => role.Ref === roleId))
        .flatMap((policy) => policy.Properties.PolicyDocument.Statement.flatMap((s: { Action: string | string[] }) => [s.Action].flat()))
        .includes('secretsmanager:GetSecretValue');
    expect(Object.values(READS_STRIPE_SECRET)).toContain(false);
    for (const [handler, reads] of Object.entries(READS_STRIPE_SECRET)) {
      const matching = functions.filter(([id]) => id.startsWith(`${pascal(handler)}Function`));
      expect(matching).toHaveLength(1);
      const [, fn] = matching[0]!;
      expect({ handler, arn: 'STRIPE_SECRET_ARN' in fn.Properties.Environment.Variables }).toEqual({ handler, arn: reads });
      expect({ handler, grant: secretAccess(fn.Properties.Role['Fn::GetAtt'][0]) }).toEqual({ handler, grant: reads });
    }
  });
});

describe('Lambdas', () => {
  const handlerNames = [...new Set(apiRoutes.map((route) => route.handler))];
  /** Scheduled functions, each tested on its own (test/infra/pause-resumer.test.ts, test/infra/reconciler.test.ts). */
  const SCHEDULED = ['PauseResumer', 'Reconciler'];
  /** The API's functions, without the scheduled ones. */
  const routeFunctions = (template: Template) =>
    Object.fromEntries(Object.entries(lambdaFunctions(template)).filter(([id]) => !SCHEDULED.some((prefix) => id.startsWith(prefix))));

  it('has one function per handler of the route table, plus the portal configuration sync, the pause resumer and the reconciler', () => {
    const functions = Object.keys(lambdaFunctions(dev.api));
    expect(functions).toHaveLength(handlerNames.length + 1 + SCHEDULED.length);
    for (const prefix of SCHEDULED) expect(functions.filter((id) => id.startsWith(prefix))).toHaveLength(1);
  });

  it.each([
    ['dev', logRetention(config.stages.dev!.logRetentionDays), () => dev],
    ['prod', logRetention(config.stages.prod!.logRetentionDays), () => prod],
  ] as const)("%s: Node.js 22 on arm64, own log group kept %i days, Powertools settings, timeouts under Stripe's", (stage, days, synth) => {
    const template = synth().api;
    const functions = lambdaFunctions(template);
    const logGroups = resourcesOf(template, 'AWS::Logs::LogGroup');
    for (const fn of Object.values(functions)) {
      expect(fn.Properties.Runtime).toBe('nodejs22.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      expect(fn.Properties.Environment.Variables).toMatchObject({
        POWERTOOLS_SERVICE_NAME: 'linkout',
        POWERTOOLS_METRICS_NAMESPACE: `Linkout/LinkoutApi-${stage}`,
        LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      });
      expect(fn.Properties.MemorySize).toBeGreaterThanOrEqual(256);
      expect(fn.Properties.MemorySize).toBeLessThanOrEqual(512);
      const logGroupId = fn.Properties.LoggingConfig.LogGroup.Ref as string;
      expect(logGroups[logGroupId]!.Properties.RetentionInDays).toBe(days);
    }
    const apiFunctions = Object.values(routeFunctions(template)).filter((fn) => 'TABLE_NAME' in fn.Properties.Environment.Variables);
    expect(apiFunctions).toHaveLength(handlerNames.length);
    for (const fn of apiFunctions) expect(fn.Properties.Timeout).toBeLessThanOrEqual(10);
  });

  it("passes the validated configuration inline, within Lambda's environment limit", () => {
    for (const fn of Object.values(lambdaFunctions(dev.api))) {
      const inline = fn.Properties.Environment.Variables.LINKOUT_CONFIG as string;
      expect(Buffer.byteLength(inline)).toBeLessThanOrEqual(INLINE_CONFIG_LIMIT);
      // The functions trust it at cold start only with the hash of exactly these bytes …
      expect(fn.Properties.Environment.Variables.LINKOUT_CONFIG_SHA256).toBe(createHash('sha256').update(inline).digest('hex'));
      // … so it must be what the one schema accepts (validated without the hash).
      expect(loadConfig({ LINKOUT_CONFIG: inline }).app.bundleId).toBe(config.app.bundleId);
    }
  });

  it('ships a configuration too large for the environment as a bundled file instead', () => {
    const big = structuredClone(config);
    big.app.universalLinkPaths = Array.from({ length: 200 }, (_, i) => `/campaign/${i}`);
    // Bundled for real (esbuild is quick): the file must land next to index.js in every asset.
    const synth = synthesize(big, 'dev', ['LinkoutApi-dev']);
    for (const fn of Object.values(lambdaFunctions(synth.api))) {
      const variables = fn.Properties.Environment.Variables;
      expect(variables).not.toHaveProperty('LINKOUT_CONFIG');
      expect(variables.LINKOUT_CONFIG_FILE).toBe('/var/task/linkout-config.json');
      const assetDir = path.join(synth.assembly.directory, `asset.${String(fn.Properties.Code.S3Key).replace(/\.zip$/, '')}`);
      const shippedFile = path.join(assetDir, 'linkout-config.json');
      expect(variables.LINKOUT_CONFIG_SHA256).toBe(createHash('sha256').update(readFileSync(shippedFile)).digest('hex'));
      const shipped = loadConfig({ LINKOUT_CONFIG_FILE: shippedFile, LINKOUT_CONFIG_SHA256: variables.LINKOUT_CONFIG_SHA256 });
      expect(shipped.app.universalLinkPaths).toHaveLength(200);
      expect(existsSync(path.join(assetDir, 'index.js'))).toBe(true);
    }
  }, 120_000);

  it('grants table access per handler: entitlements may only read', () => {
    const policies = Object.values(resourcesOf(dev.api, 'AWS::IAM::Policy'));
    const functions = lambdaFunctions(dev.api);
    const roleOf = (handler: string) => {
      const entry = Object.entries(functions).find(([id]) => id.toLowerCase().startsWith(handler.replace('-', '')));
      return entry![1].Properties.Role['Fn::GetAtt'][0] as string;
    };
    const actionsFor = (handler: string) =>
      policies
        .filter((policy) => policy.Properties.Roles.some((role: { Ref: string }) => role.Ref === roleOf(handler)))
        .flatMap((policy) => policy.Properties.PolicyDocument.Statement.flatMap((s: { Action: string | string[] }) => s.Action));
    expect(TABLE_ACCESS.entitlements).toBe('read');
    expect(actionsFor('entitlements')).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query']));
    expect(actionsFor('entitlements')).not.toEqual(expect.arrayContaining(['dynamodb:PutItem']));
    expect(actionsFor('webhook')).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem']));
  });
});

describe('HTTP API', () => {
  it('checks JWTs against the configured issuer and audience', () => {
    dev.api.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: config.auth.issuer, Audience: config.auth.audience },
    });
  });

  it.each(apiRoutes.map((route) => [`${route.method} ${route.path}`, route.authorized] as const))(
    '%s: guarded by the JWT authorizer: %s',
    (routeKey, authorized) => {
      const routes = Object.values(resourcesOf(dev.api, 'AWS::ApiGatewayV2::Route')).filter((r) => r.Properties.RouteKey === routeKey);
      expect(routes).toHaveLength(1);
      const route = routes[0]!.Properties;
      if (authorized) {
        expect(route.AuthorizationType).toBe('JWT');
        expect(route.AuthorizerId).toBeDefined();
      } else {
        expect(route.AuthorizationType).toBe('NONE');
        expect(route.AuthorizerId).toBeUndefined();
      }
    },
  );

  it('the webhook route has no authorizer', () => {
    const webhook = Object.values(resourcesOf(dev.api, 'AWS::ApiGatewayV2::Route')).find((r) => r.Properties.RouteKey === 'POST /v1/webhooks/stripe');
    expect(webhook?.Properties.AuthorizationType).toBe('NONE');
  });

  it("throttles portal sessions under Stripe's 25 requests per second per endpoint, and logs access as JSON", () => {
    const stages = Object.values(resourcesOf(dev.api, 'AWS::ApiGatewayV2::Stage'));
    expect(stages).toHaveLength(1);
    const stage = stages[0]!.Properties;
    const portal = stage.RouteSettings['POST /v1/portal-sessions'];
    expect(portal.ThrottlingRateLimit).toBe(PORTAL_SESSION_THROTTLE.rateLimit);
    expect(portal.ThrottlingRateLimit).toBeLessThan(25);
    expect(portal.ThrottlingBurstLimit).toBeLessThanOrEqual(25);
    expect(stage.DefaultRouteSettings.ThrottlingRateLimit).toBeGreaterThan(0);
    expect(stage.AccessLogSettings.DestinationArn['Fn::GetAtt'][1]).toBe('Arn');
    const sample = stage.AccessLogSettings.Format.replace('$context.status', '502');
    expect(JSON.parse(sample)).toMatchObject({ routeKey: '$context.routeKey', status: 502 });
  });

  it('outputs the API URL and the webhook URL to paste into Stripe', () => {
    const outputs = dev.api.findOutputs('*');
    expect(outputs.ApiUrl).toBeDefined();
    expect(JSON.stringify(outputs.WebhookUrl!.Value)).toContain('/v1/webhooks/stripe');
  });
});

describe('alarms', () => {
  it('alarms on webhook 5xx and rejections from the access log, and on API 5xx', () => {
    const filters = Object.values(resourcesOf(dev.api, 'AWS::Logs::MetricFilter')).map((f) => f.Properties.FilterPattern as string);
    expect(filters).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/routeKey = "POST \/v1\/webhooks\/stripe" && \$\.status >= 500/),
        expect.stringMatching(/routeKey = "POST \/v1\/webhooks\/stripe" && \$\.status >= 400 && \$\.status < 500/),
      ]),
    );
    dev.api.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'WebhookServerErrors', Threshold: 1 });
    dev.api.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: '5xx', Namespace: 'AWS/ApiGateway' });
  });

  it('alarms on errors and throttles of every function, all wired to the alarm topic', () => {
    const alarms = Object.values(resourcesOf(dev.api, 'AWS::CloudWatch::Alarm'));
    const handlerCount = new Set(apiRoutes.map((route) => route.handler)).size;
    // The scheduled functions add an errors alarm each (their other alarms are tested with them).
    expect(alarms.filter((a) => a.Properties.MetricName === 'Errors' && a.Properties.Namespace === 'AWS/Lambda')).toHaveLength(handlerCount + 2);
    expect(alarms.filter((a) => a.Properties.MetricName === 'Throttles' && a.Properties.Namespace === 'AWS/Lambda')).toHaveLength(handlerCount);
    const topicId = Object.keys(resourcesOf(dev.api, 'AWS::SNS::Topic'))[0]!;
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
  });

  it("alarms on a burst of stale webhook deliveries and on any Stripe failure, from the functions' own metrics", () => {
    const alarms = Object.values(resourcesOf(dev.api, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    const onOwnMetric = (name: string) =>
      alarms.filter((a) => a.MetricName === name && a.Namespace === 'Linkout/LinkoutApi-dev' && a.Statistic === 'Sum' && a.Period === 300);
    // The one dimension Powertools gives every metric: the alarm sees nothing without it.
    const serviceOnly = [{ Name: 'service', Value: 'linkout' }];

    expect(onOwnMetric('webhook_stale')).toEqual([expect.objectContaining({ Threshold: STALE_WEBHOOK_BURST, Dimensions: serviceOnly })]);
    expect(STALE_WEBHOOK_BURST).toBeGreaterThan(1);
    for (const code of ['stripe_unreachable', 'stripe_rate_limited', ...STRIPE_ERROR_METRICS]) {
      expect(onOwnMetric(code)).toEqual([
        expect.objectContaining({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', Dimensions: serviceOnly }),
      ]);
    }
  });

  it("subscribes the stage's alarm e-mail when one is set", () => {
    expect(Object.keys(resourcesOf(dev.api, 'AWS::SNS::Subscription'))).toHaveLength(0);
    prod.api.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@lumenphotos.example' });
  });
});

describe('portal configuration sync at deploy time', () => {
  it('runs the sync through a custom resource that changes with the portal configuration', () => {
    dev.api.hasResourceProperties('Custom::LinkoutPortalConfigurations', {
      ConfigHash: portalConfigHash(config),
      ServiceToken: Match.anyValue(),
    });
    const syncFunction = Object.values(lambdaFunctions(dev.api)).find((fn) => !('TABLE_NAME' in fn.Properties.Environment.Variables));
    expect(syncFunction?.Properties.Timeout).toBeGreaterThan(30);
  });

  it('re-runs on demand with -c portalSync=<value>, e.g. after switching Stripe accounts', () => {
    const resource = () => Object.values(resourcesOf(dev.api, 'Custom::LinkoutPortalConfigurations'))[0]!;
    expect(resource().Properties).not.toHaveProperty('ForcedSync');
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [], portalSync: '2026-11-21' } });
    const forced = Template.fromStack(buildLinkoutApp(app, { config, stageName: 'dev', nag: false }).api);
    forced.hasResourceProperties('Custom::LinkoutPortalConfigurations', { ConfigHash: portalConfigHash(config), ForcedSync: '2026-11-21' });
  });
});

describe('universal-link site', () => {
  it('keeps the bucket private, encrypted and TLS-only', () => {
    dev.site.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
    });
    dev.site.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
    const policy = JSON.stringify(resourcesOf(dev.site, 'AWS::S3::BucketPolicy'));
    expect(policy).not.toMatch(/"Principal":"\*","Action":"s3:GetObject"/);
    expect(policy).toContain('cloudfront.amazonaws.com');
  });

  it('serves the bucket through CloudFront with origin access control, HTTPS and no error rewrite', () => {
    dev.site.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    const distribution = Object.values(resourcesOf(dev.site, 'AWS::CloudFront::Distribution'))[0]!.Properties.DistributionConfig;
    const s3Origin = distribution.Origins.find((origin: Record<string, unknown>) => 'S3OriginConfig' in origin);
    expect(s3Origin.OriginAccessControlId).toBeDefined();
    expect(s3Origin.S3OriginConfig.OriginAccessIdentity).toBe('');
    expect(distribution.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(distribution).not.toHaveProperty('CustomErrorResponses');
    expect(distribution).not.toHaveProperty('DefaultRootObject');
    expect(distribution.DefaultCacheBehavior).not.toHaveProperty('FunctionAssociations');
  });

  it('routes /v1/* to the API on the same domain, uncached and HTTPS only', () => {
    const distribution = Object.values(resourcesOf(dev.site, 'AWS::CloudFront::Distribution'))[0]!.Properties.DistributionConfig;
    const api = distribution.CacheBehaviors.find((behavior: { PathPattern: string }) => behavior.PathPattern === '/v1/*');
    expect(api).toMatchObject({
      ViewerProtocolPolicy: 'https-only',
      CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad', // Managed-CachingDisabled
      OriginRequestPolicyId: 'b689b0a8-53d0-40ab-baf2-68738e2966ac', // Managed-AllViewerExceptHostHeader
    });
    expect(api.AllowedMethods).toEqual(expect.arrayContaining(['POST']));
    // API Gateway's JWT authorizer answers 401 without Cache-Control; the CDN adds no-store where a response has none.
    const policyId = api.ResponseHeadersPolicyId.Ref as string;
    const policy = resourcesOf(dev.site, 'AWS::CloudFront::ResponseHeadersPolicy')[policyId]!.Properties.ResponseHeadersPolicyConfig;
    expect(policy.CustomHeadersConfig.Items).toEqual([{ Header: 'Cache-Control', Value: 'no-store', Override: false }]);
    expect(policy.SecurityHeadersConfig.StrictTransportSecurity.Override).toBe(true);
  });

  it('keeps the API off the site domain with apiOnSiteDomain: false', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const site = Template.fromStack(buildLinkoutApp(app, { config, stageName: 'dev', apiOnSiteDomain: false, nag: false }).site);
    const distribution = Object.values(resourcesOf(site, 'AWS::CloudFront::Distribution'))[0]!.Properties.DistributionConfig;
    expect(distribution).not.toHaveProperty('CacheBehaviors');
    expect(distribution.Origins).toHaveLength(1);
  });

  it("adds security headers, with a CSP that allows only the pages' own inline script", () => {
    const policies = Object.entries(resourcesOf(dev.site, 'AWS::CloudFront::ResponseHeadersPolicy'));
    const policy = policies.find(([id]) => id.startsWith('SecurityHeaders'))![1].Properties.ResponseHeadersPolicyConfig;
    const headers = policy.SecurityHeadersConfig;
    expect(headers.StrictTransportSecurity.AccessControlMaxAgeSec).toBeGreaterThanOrEqual(31536000);
    expect(headers.ContentTypeOptions.Override).toBe(true);
    expect(headers.FrameOptions.FrameOption).toBe('DENY');
    expect(headers.ContentSecurityPolicy.ContentSecurityPolicy).toMatch(/default-src 'none'; script-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(headers.ContentSecurityPolicy.ContentSecurityPolicy).not.toContain('unsafe-inline');
  });

  it('uploads both AASA objects and assetlinks.json as application/json with the documents generated from configuration', () => {
    const json = jsonDeployments(dev);
    expect(json).toHaveLength(1);
    expect(json[0]!.Properties.DistributionPaths).toEqual([...AASA_KEYS, ASSET_LINKS_KEY].map((key) => `/${key}`));
    expect(json[0]!.Properties.Prune).toBe(false);

    // The staged assets of that deployment hold exactly the generated documents.
    const expected: Array<[string, unknown]> = [
      ...AASA_KEYS.map((key): [string, unknown] => [key, buildAppleAppSiteAssociation(config)]),
      [ASSET_LINKS_KEY, buildAssetLinks(config.app.android!)],
    ];
    for (const [key, document] of expected) {
      const file = stagedFile(dev, json[0]!, key);
      expect(file).toBeDefined();
      expect(JSON.parse(readFileSync(file!, 'utf8'))).toEqual(document);
    }
    expect(dev.site.findOutputs('AssetLinksUrl').AssetLinksUrl).toBeDefined();
  });

  it('uploads no assetlinks.json when no Android app is configured', () => {
    const raw = structuredClone(config) as { app: { android?: unknown } };
    delete raw.app.android;
    const withoutAndroid = synthesize(parseConfig(raw), 'dev');
    const json = jsonDeployments(withoutAndroid);
    expect(json).toHaveLength(1);
    expect(json[0]!.Properties.DistributionPaths).toEqual(AASA_KEYS.map((key) => `/${key}`));
    expect(stagedFile(withoutAndroid, json[0]!, ASSET_LINKS_KEY)).toBeUndefined();
    expect(stagedFile(withoutAndroid, json[0]!, AASA_KEYS[0])).toBeDefined();
    expect(withoutAndroid.site.findOutputs('AssetLinksUrl')).toEqual({});
  });

  it('uploads the fallback pages as HTML, never the AASA', () => {
    const deployments = Object.values(resourcesOf(dev.site, 'Custom::CDKBucketDeployment'));
    const html = deployments.filter((d) => String(d.Properties.SystemMetadata['content-type']).startsWith('text/html'));
    // The checkout return pages live under /checkout_redirect: a file and a folder of one name need separate deployments.
    expect(html.map((d) => d.Properties.DistributionPaths)).toEqual([
      ['/portal_redirect', '/checkout_redirect'],
      ['/checkout_redirect/success', '/checkout_redirect/cancel', '/checkout_redirect/return'],
    ]);
    expect(stagedFile(dev, html[1]!, 'checkout_redirect/success')).toBeDefined();
    expect(deployments.every((d) => d.Properties.Prune === false)).toBe(true);
  });

  it('without a custom domain outputs the CloudFront domain; with one uses it, its certificate and TLS 1.2', () => {
    const devDistribution = Object.values(resourcesOf(dev.site, 'AWS::CloudFront::Distribution'))[0]!.Properties.DistributionConfig;
    expect(devDistribution).not.toHaveProperty('Aliases');
    expect(JSON.stringify(dev.site.findOutputs('SiteDomain'))).toContain('DomainName');

    const prodDistribution = Object.values(resourcesOf(prod.site, 'AWS::CloudFront::Distribution'))[0]!.Properties.DistributionConfig;
    expect(prodDistribution.Aliases).toEqual([config.app.universalLinkDomain]);
    expect(prodDistribution.ViewerCertificate).toMatchObject({
      AcmCertificateArn: PROD_CERT,
      MinimumProtocolVersion: 'TLSv1.2_2021',
      SslSupportMethod: 'sni-only',
    });
    expect(prod.site.findOutputs('SiteDomain').SiteDomain!.Value).toBe(config.app.universalLinkDomain);
  });

  it('refuses a custom domain without its certificate', () => {
    const broken = structuredClone(config);
    broken.stages.dev!.siteDomain = 'links.example.com';
    expect(() => buildLinkoutApp(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), { config: broken, stageName: 'dev' })).toThrow(/siteCertificateArn/);
  });
});

describe('cdk-nag AwsSolutions', () => {
  it.each([
    ['dev', () => dev],
    ['prod', () => prod],
  ] as const)('%s: no unacknowledged finding, no warning or error annotation', (_stage, synth) => {
    const report = new AwsSolutionsChecks().validateScope(synth().app);
    const findings = report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
    expect(findings).toEqual([]);
    for (const stack of synth().stacks) {
      const annotations = Annotations.fromStack(stack);
      expect(annotations.findError('*', Match.anyValue())).toEqual([]);
      expect(annotations.findWarning('*', Match.anyValue())).toEqual([]);
    }
  });

  it('every acknowledgement carries a written reason', () => {
    const reasons: string[] = [];
    const visit = (node: App | Stack | import('constructs').IConstruct) => {
      for (const entry of node.node.metadata) {
        if (entry.type === 'aws:cdk:acknowledged-rules') reasons.push(...Object.values(entry.data as Record<string, string>));
      }
      node.node.children.forEach(visit);
    };
    visit(dev.app);
    expect(reasons.length).toBeGreaterThan(5);
    for (const reason of reasons) expect(reason.length).toBeGreaterThan(30);
  });
});
