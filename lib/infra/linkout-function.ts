/**
 * Every Linkout Lambda, with the defaults fixed once: Node.js 22 on arm64, esbuild bundling with the
 * AWS SDK inside (no dependence on the runtime's copy; faster cold start; options in ./bundling.ts,
 * shared with the cold-start benchmark) and stripe-node beside it for the functions that talk to
 * Stripe, source maps, a log group with the stage's retention,
 * Powertools logging and metrics settings, the configuration, and — in one call — the table and secret
 * grants the handler needs, nothing more.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { CONFIG_SHA256_ENV, sha256Hex } from '#adapters/config';
import { TABLE_NAME_ENV } from '#adapters/dynamodb/table-definition';
import { METRICS_NAMESPACE_ENV, SERVICE_NAME, SERVICE_NAME_ENV, STRIPE_SECRET_ARN_ENV } from '#adapters/environment';
import { METRIC_NAMESPACE } from '#adapters/metric-names';
import { READS_STRIPE_SECRET } from '#handlers/routes';
import { builtStripeModule, handlerEntry, LAMBDA_NODE_OPTIONS, lambdaBundling, PROJECT_ROOT, stripeModuleFile } from './bundling';
import { type LinkoutStage, logRetention, runtimeConfig, statefulRemovalPolicy } from './stage';

/** Lambda allows 4 KB of environment in total; above this the configuration ships as a file instead. */
export const INLINE_CONFIG_LIMIT = 3000;
const BUNDLED_CONFIG_FILE = 'linkout-config.json';

/** Read, read and write, or exactly these DynamoDB actions (for a function that needs less than read-write). */
export type TableAccess = 'read' | 'read-write' | { actions: readonly string[] };

export interface LinkoutFunctionProps {
  /** Module in functions/handlers/ whose `handler` export this Lambda runs. */
  handlerName: string;
  stage: LinkoutStage;
  /** Omit for a function that never touches DynamoDB. */
  table?: { table: ITable; access: TableAccess };
  /**
   * The Stripe secret; the function receives its ARN and read permission, never its value — unless the
   * route table says its handler reads no Stripe secret (READS_STRIPE_SECRET): least privilege.
   */
  stripeSecret: ISecret;
  description?: string;
  timeout?: Duration;
  memorySize?: number;
}

export class LinkoutFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: LinkoutFunctionProps) {
    const config = JSON.stringify(runtimeConfig(props.stage.config));
    const configInline = Buffer.byteLength(config) <= INLINE_CONFIG_LIMIT;
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: logRetention(props.stage.settings.logRetentionDays),
      removalPolicy: statefulRemovalPolicy(props.stage),
    });
    // An own role instead of AWSLambdaBasicExecutionRole: it may write to this log group only.
    const role = new Role(scope, `${id}Role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);
    const readsStripeSecret = handlerReadsStripeSecret(props.handlerName);

    super(scope, id, {
      entry: handlerEntry(props.handlerName),
      handler: 'handler',
      description: props.description ?? `Linkout ${props.handlerName} (${props.stage.name})`,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      // 512 MB buys enough CPU for a fast cold start of a bundle that carries stripe and the AWS SDK.
      memorySize: props.memorySize ?? 512,
      // Well under Stripe's webhook timeout and API Gateway's 30 s integration limit.
      timeout: props.timeout ?? Duration.seconds(10),
      logGroup,
      role,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      bundling: {
        ...cdkBundling(),
        ...afterBundling([...(configInline ? [] : [bundledConfigFile(config)]), ...(readsStripeSecret ? [stripeModuleBeside] : [])]),
      },
      environment: {
        NODE_OPTIONS: LAMBDA_NODE_OPTIONS,
        [SERVICE_NAME_ENV]: SERVICE_NAME,
        [METRICS_NAMESPACE_ENV]: metricNamespace(scope),
        LOG_LEVEL: 'INFO',
        ...(readsStripeSecret && { [STRIPE_SECRET_ARN_ENV]: props.stripeSecret.secretArn }),
        ...(props.table && { [TABLE_NAME_ENV]: props.table.table.tableName }),
        ...(configInline ? { LINKOUT_CONFIG: config } : { LINKOUT_CONFIG_FILE: `/var/task/${BUNDLED_CONFIG_FILE}` }),
        // stage.config was validated at synth (loadConfig); the hash of exactly these bytes lets the cold start skip the zod schema.
        [CONFIG_SHA256_ENV]: sha256Hex(config),
      },
    });

    Validations.of(this).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'Pinned to Node.js 22 (LTS, supported by Lambda into 2027), the version the project is built and tested against.',
    });
    if (readsStripeSecret) props.stripeSecret.grantRead(this);
    if (props.table?.access === 'read') props.table.table.grantReadData(this);
    if (props.table?.access === 'read-write') props.table.table.grantReadWriteData(this);
    if (typeof props.table?.access === 'object') props.table.table.grant(this, ...props.table.access.actions);
  }
}

/**
 * API handlers say so in the route table; every other function (scheduled, custom resource) talks to
 * Stripe. A function that reads the secret talks to Stripe, so it also gets stripe-node beside its
 * bundle (test/infra/bundles.test.ts checks this against what each bundle requires).
 */
export function handlerReadsStripeSecret(handlerName: string): boolean {
  return (READS_STRIPE_SECRET as Record<string, boolean | undefined>)[handlerName] ?? true;
}

/** ./bundling.ts in CDK's terms (the benchmark passes the same settings to esbuild directly). */
function cdkBundling(): BundlingOptions {
  const { format, externalModules, mainFields, define, ...rest } = lambdaBundling;
  return {
    ...rest,
    externalModules: [...externalModules],
    define: { ...define },
    ...(mainFields && { mainFields: [...mainFields] }),
    format: format === 'esm' ? OutputFormat.ESM : OutputFormat.CJS,
  };
}

/** The namespace of the stack's own metrics (the alarms in api-stack.ts read the same one). */
export function metricNamespace(scope: Construct): string {
  return `${METRIC_NAMESPACE}/${Stack.of(scope).stackName}`;
}

/** Shell commands CDK runs in a bundle's output directory once esbuild has written it. */
type AfterBundling = (outputDir: string) => string[];

function afterBundling(steps: AfterBundling[]): Pick<BundlingOptions, 'commandHooks'> {
  if (steps.length === 0) return {};
  return {
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (_inputDir: string, outputDir: string) => steps.flatMap((step) => step(outputDir)),
    },
  };
}

/** Copies the validated configuration next to the bundle when it is too large for the environment. */
function bundledConfigFile(config: string): AfterBundling {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'linkout-config-')), BUNDLED_CONFIG_FILE);
  writeFileSync(file, config);
  return (outputDir) => [`cp "${file}" "${path.join(outputDir, BUNDLED_CONFIG_FILE)}"`];
}

/**
 * Copies stripe-node (./bundling.ts STRIPE_PACKAGE) beside the bundle; built from the installed package
 * once per synth, and only when CDK really bundles (not when a test skips bundling).
 */
const stripeModuleBeside: AfterBundling = (outputDir) => {
  const target = stripeModuleFile(outputDir);
  return [`mkdir -p "${path.dirname(target)}"`, `cp "${builtStripeModule()}" "${target}"`];
};
