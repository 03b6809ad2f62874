/**
 * What the Lambda bundles contain, read from esbuild's metafile (deterministic; timings are the
 * benchmark's job, bench/cold-start.ts): each handler loads only what its hot path needs.
 *  - The bundles are built with lib/infra/bundling.ts, and that is what CDK builds (checked once,
 *    byte for byte, against a LinkoutFunction synthesized with real bundling).
 *  - entitlements and purchases read no Stripe secret: no Secrets Manager client, no stripe-node.
 *  - stripe-node is not in any bundle: it ships beside the bundles of the functions that talk to
 *    Stripe (node_modules/stripe/index.js, checked byte for byte against CDK's asset too), and is
 *    reached only through the lazy client's require, never from an entry's load-time import graph
 *    (the webhook asks Stripe only on a tie or for an unknown customer).
 *  - No bundle carries the zod configuration schema: a deployed Lambda runs only the configuration
 *    CDK validated at synth (LINKOUT_CONFIG_SHA256), and the config adapter's require of the schema
 *    is a dead branch in a Lambda bundle (LINKOUT_LAMBDA_BUNDLE). Request bodies and Stripe payloads
 *    are checked with zod/mini, so no bundle carries classic zod either.
 *  - Every bundle loads in a fresh Node process.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { build, type Metafile } from 'esbuild';
import { loadConfig } from '#adapters/config';
import { type HandlerName, READS_STRIPE_SECRET } from '#handlers/routes';
import {
  BUNDLE_FILE,
  esbuildOptions,
  handlerEntry,
  PROJECT_ROOT,
  requiresStripeModule,
  STRIPE_PACKAGE,
  stripeModuleFile,
  stripeModuleOptions,
} from '#infra/bundling';
import { handlerReadsStripeSecret, LinkoutFunction } from '#infra/linkout-function';
import { resolveStage } from '#infra/stage';

const HANDLERS = Object.keys(READS_STRIPE_SECRET) as HandlerName[];
/** Every Lambda's handler module: the API handlers and the scheduled and custom-resource ones. */
const LAMBDAS = readdirSync(path.join(PROJECT_ROOT, 'functions/handlers'))
  .filter((file) => file.endsWith('.ts') && file !== 'routes.ts')
  .map((file) => file.slice(0, -'.ts'.length));
const LAZY_CLIENT = 'functions/adapters/stripe/lazy-client.ts';
const STRIPE_CLIENT = 'functions/adapters/stripe/client.ts';
const SECRETS_MIDDLEWARE = 'functions/adapters/http/secrets-middleware.ts';
const CONFIG_ADAPTER = 'functions/adapters/config.ts';
const CONFIG_SCHEMA_MODULES = ['functions/core/config.ts', 'functions/core/config-validation.ts'];
/** Modules whose require() calls load a module on first use (esbuild wraps it in an initializer), not at load. */
const LAZY_LOADERS = new Set([LAZY_CLIENT]);

const workDir = mkdtempSync(path.join(tmpdir(), 'linkout-bundles-'));
const metafiles = new Map<string, Metafile>();
const bundleFile = (handler: string) => path.join(workDir, handler, BUNDLE_FILE);

beforeAll(async () => {
  // stripe-node built here, apart from CDK's own build of it, and copied beside each bundle that talks to Stripe.
  const stripeDir = path.join(workDir, 'stripe');
  const [, ...results] = await Promise.all([
    build({ ...stripeModuleOptions(stripeDir), logLevel: 'silent' }),
    ...LAMBDAS.map((handler) => build({ ...esbuildOptions(handlerEntry(handler), path.dirname(bundleFile(handler))), metafile: true, logLevel: 'silent' })),
  ]);
  for (const [i, handler] of LAMBDAS.entries()) {
    metafiles.set(handler, results[i]!.metafile);
    if (!handlerReadsStripeSecret(handler)) continue;
    const beside = stripeModuleFile(path.dirname(bundleFile(handler)));
    mkdirSync(path.dirname(beside), { recursive: true });
    copyFileSync(stripeModuleFile(stripeDir), beside);
  }
}, 60_000);

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const inputs = (handler: string) => Object.keys(metafiles.get(handler)!.inputs);
const fromPackage = (name: string) => (input: string) => input.includes(`node_modules/${name}/`);

/**
 * The inputs evaluated when the bundle loads: every import edge from the entry except the lazy
 * loaders' requires — the Stripe client's on the first Stripe call, the configuration schema's
 * only without LINKOUT_CONFIG_SHA256 (esbuild wraps a require()d ES module in an initializer called
 * there, not at load).
 */
function loadTimeGraph(metafile: Metafile, entry: string): Set<string> {
  const seen = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const input = pending.pop()!;
    if (seen.has(input)) continue;
    seen.add(input);
    for (const edge of metafile.inputs[input]?.imports ?? []) {
      if (edge.external) continue;
      if (LAZY_LOADERS.has(input) && edge.kind === 'require-call') continue;
      pending.push(edge.path);
    }
  }
  return seen;
}

describe('Lambda bundles', () => {
  it('CDK bundles a LinkoutFunction exactly as lib/infra/bundling.ts builds it, with stripe-node beside it when it talks to Stripe', () => {
    // Asset metadata names each function's asset directory in the template.
    const app = new App({ outdir: path.join(workDir, 'cdk.out'), context: { 'aws:cdk:enable-asset-metadata': true } });
    const stack = new Stack(app, 'BundleCheck');
    const stage = resolveStage(loadConfig(), 'dev');
    const stripeSecret = new Secret(stack, 'StripeSecret');
    const functions = ['entitlements', 'webhook'].map((handlerName) => ({
      handlerName,
      fn: new LinkoutFunction(stack, `Fn-${handlerName}`, { handlerName, stage, stripeSecret }),
    }));
    const assembly = app.synth();
    const template = JSON.parse(readFileSync(path.join(assembly.directory, 'BundleCheck.template.json'), 'utf8')) as {
      Resources: Record<string, { Type: string; Metadata?: Record<string, string> }>;
    };
    for (const { handlerName, fn } of functions) {
      const logicalId = stack.getLogicalId(fn.node.defaultChild as never);
      const assetDir = path.join(assembly.directory, template.Resources[logicalId]!.Metadata!['aws:asset:path']!);
      expect({ handlerName, bundle: readFileSync(path.join(assetDir, BUNDLE_FILE), 'utf8') === readFileSync(bundleFile(handlerName), 'utf8') }).toEqual({
        handlerName,
        bundle: true,
      });
      const shipped = stripeModuleFile(assetDir);
      expect({ handlerName, stripeBeside: existsSync(shipped) }).toEqual({ handlerName, stripeBeside: handlerName === 'webhook' });
      if (existsSync(shipped)) expect(readFileSync(shipped, 'utf8')).toBe(readFileSync(stripeModuleFile(path.dirname(bundleFile(handlerName))), 'utf8'));
    }
  }, 90_000);

  it.each(LAMBDAS)('%s requires stripe-node exactly when CDK ships it beside the bundle', (handler) => {
    expect(inputs(handler).filter(fromPackage('stripe'))).toEqual([]);
    expect(requiresStripeModule(metafiles.get(handler)!)).toBe(handlerReadsStripeSecret(handler));
  });

  it('only the handlers that read a Stripe secret bundle the secrets middleware and the Secrets Manager client', () => {
    for (const handler of HANDLERS) {
      const bundled = inputs(handler);
      expect({ handler, middleware: bundled.includes(SECRETS_MIDDLEWARE) }).toEqual({ handler, middleware: READS_STRIPE_SECRET[handler] });
      expect({ handler, client: bundled.some(fromPackage('@aws-sdk/client-secrets-manager')) }).toEqual({
        handler,
        client: READS_STRIPE_SECRET[handler],
      });
    }
  });

  it.each(['entitlements', 'purchases'] as const)('%s bundles neither stripe-node nor the Secrets Manager client', (handler) => {
    expect(inputs(handler).filter(fromPackage('stripe'))).toEqual([]);
    expect(inputs(handler).filter(fromPackage('@aws-sdk/client-secrets-manager'))).toEqual([]);
  });

  it.each(HANDLERS.filter((handler) => READS_STRIPE_SECRET[handler]))(
    "%s loads stripe-node only through the lazy client, on Stripe's first call",
    (handler) => {
      const metafile = metafiles.get(handler)!;
      const entry = path.relative(PROJECT_ROOT, handlerEntry(handler));
      expect(metafile.inputs[LAZY_CLIENT]?.imports).toContainEqual(
        expect.objectContaining({ kind: 'require-call', path: 'functions/adapters/stripe/client.ts' }),
      );
      expect(metafile.inputs[STRIPE_CLIENT]?.imports).toContainEqual(expect.objectContaining({ path: STRIPE_PACKAGE, external: true }));
      // Not evaluated when the bundle loads: the lazy client requires the module that requires stripe-node.
      const loaded = [...loadTimeGraph(metafile, entry)];
      expect(loaded).toContain(LAZY_CLIENT);
      expect(loaded).not.toContain(STRIPE_CLIENT);
    },
  );

  it.each(LAMBDAS)('%s bundles neither the zod configuration schema nor classic zod', (handler) => {
    // The configuration adapter is bundled, but its require of the schema is a dead branch in a Lambda bundle …
    expect(inputs(handler)).toContain(CONFIG_ADAPTER);
    expect(metafiles.get(handler)!.inputs[CONFIG_ADAPTER]?.imports.map((edge) => edge.path)).not.toContain('functions/core/config-validation.ts');
    // … so neither the schema nor the classic zod it is written in ships: bodies and payloads use zod/mini.
    expect(inputs(handler).filter((input) => CONFIG_SCHEMA_MODULES.includes(input))).toEqual([]);
    expect(inputs(handler).filter((input) => input.includes('node_modules/zod/v4/classic/'))).toEqual([]);
  });

  it('every bundle loads in a fresh Node process and exports its handler; stripe-node beside it builds a client', () => {
    const script = [
      `const { createRequire } = require('node:module');`,
      `for (const file of process.argv.slice(1)) {`,
      `  if (typeof require(file).handler !== 'function') throw new Error(file + ' exports no handler');`,
      // Resolved from the bundle's directory, outside the project: only the copy beside the bundle can answer.
      `  let stripe; try { stripe = createRequire(file)('stripe'); } catch { continue; }`,
      `  const Stripe = stripe.default ?? stripe;`,
      `  if (typeof new Stripe('sk_test_bundle_check').customers.retrieve !== 'function') throw new Error(file + ': no Stripe client');`,
      `  console.log(file);`,
      `}`,
    ].join('\n');
    const loaded = spawnSync(process.execPath, ['-e', script, ...LAMBDAS.map(bundleFile)], { encoding: 'utf8', timeout: 30_000 });
    expect(loaded.stderr).toBe('');
    expect(loaded.status).toBe(0);
    expect(loaded.stdout.trim().split('\n').sort()).toEqual(LAMBDAS.filter(handlerReadsStripeSecret).map(bundleFile).sort());
  });
});
