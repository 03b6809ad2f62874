/**
 * What the Lambda bundles contain, read from esbuild's metafile (deterministic; timings are the
 * benchmark's job, bench/cold-start.ts): each handler loads only what its hot path needs.
 *  - The bundles are built with lib/infra/bundling.ts, and that is what CDK builds (checked once,
 *    byte for byte, against a LinkoutFunction synthesized with real bundling).
 *  - entitlements and purchases read no Stripe secret: no Secrets Manager client, no stripe-node.
 *  - The webhook reaches stripe-node only through the lazy client's require, never from its entry's
 *    load-time import graph (Stripe is asked only on a tie or for an unknown customer).
 *  - No handler evaluates the zod configuration schema when it loads: a deployed Lambda trusts the
 *    configuration CDK validated at synth (LINKOUT_CONFIG_SHA256), and the schema is reachable only
 *    through the config adapter's require, for a process without that hash. Request bodies and
 *    Stripe payloads are checked with zod/mini, so classic zod is not evaluated at load either.
 *  - Every bundle loads in a fresh Node process.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { build, type Metafile } from 'esbuild';
import { loadConfig } from '#adapters/config';
import { type HandlerName, READS_STRIPE_SECRET } from '#handlers/routes';
import { BUNDLE_FILE, esbuildOptions, handlerEntry, PROJECT_ROOT } from '#infra/bundling';
import { LinkoutFunction } from '#infra/linkout-function';
import { resolveStage } from '#infra/stage';

const HANDLERS = Object.keys(READS_STRIPE_SECRET) as HandlerName[];
const LAZY_CLIENT = 'functions/adapters/stripe/lazy-client.ts';
const SECRETS_MIDDLEWARE = 'functions/adapters/http/secrets-middleware.ts';
const CONFIG_ADAPTER = 'functions/adapters/config.ts';
const CONFIG_SCHEMA_MODULES = ['functions/core/config.ts', 'functions/core/config-validation.ts'];
/** Modules whose require() calls load a module on first use (esbuild wraps it in an initializer), not at load. */
const LAZY_LOADERS = new Set([LAZY_CLIENT, CONFIG_ADAPTER]);

const workDir = mkdtempSync(path.join(tmpdir(), 'linkout-bundles-'));
const metafiles = new Map<HandlerName, Metafile>();
const bundleFile = (handler: string) => path.join(workDir, handler, BUNDLE_FILE);

beforeAll(async () => {
  await Promise.all(
    HANDLERS.map(async (handler) => {
      const result = await build({ ...esbuildOptions(handlerEntry(handler), path.dirname(bundleFile(handler))), metafile: true, logLevel: 'silent' });
      metafiles.set(handler, result.metafile);
    }),
  );
}, 60_000);

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const inputs = (handler: HandlerName) => Object.keys(metafiles.get(handler)!.inputs);
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
  it('CDK bundles a LinkoutFunction exactly as lib/infra/bundling.ts builds it', () => {
    const app = new App({ outdir: path.join(workDir, 'cdk.out') });
    const stack = new Stack(app, 'BundleCheck');
    new LinkoutFunction(stack, 'Entitlements', {
      handlerName: 'entitlements',
      stage: resolveStage(loadConfig(), 'dev'),
      stripeSecret: new Secret(stack, 'StripeSecret'),
    });
    const assembly = app.synth();
    const assets = readdirSync(assembly.directory).filter((name) => name.startsWith('asset.'));
    expect(assets).toHaveLength(1);
    const cdkBundle = readFileSync(path.join(assembly.directory, assets[0]!, BUNDLE_FILE), 'utf8');
    expect(cdkBundle).toBe(readFileSync(bundleFile('entitlements'), 'utf8'));
  }, 60_000);

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

  it("the webhook loads stripe-node only through the lazy client, on Stripe's first call", () => {
    const metafile = metafiles.get('webhook')!;
    const entry = path.relative(PROJECT_ROOT, handlerEntry('webhook'));
    // Still bundled, for a tie or an unknown customer …
    expect(inputs('webhook').some(fromPackage('stripe'))).toBe(true);
    expect(metafile.inputs[LAZY_CLIENT]?.imports).toContainEqual(
      expect.objectContaining({ kind: 'require-call', path: 'functions/adapters/stripe/client.ts' }),
    );
    // … but not evaluated when the bundle loads.
    const loaded = [...loadTimeGraph(metafile, entry)];
    expect(loaded).toContain(LAZY_CLIENT);
    expect(loaded.filter(fromPackage('stripe'))).toEqual([]);
  });

  it.each(HANDLERS)('%s does not evaluate the zod configuration schema when it loads', (handler) => {
    const metafile = metafiles.get(handler)!;
    const entry = path.relative(PROJECT_ROOT, handlerEntry(handler));
    // The full validation is still bundled, for a process without the synth-time hash …
    expect(metafile.inputs[CONFIG_ADAPTER]?.imports).toContainEqual(
      expect.objectContaining({ kind: 'require-call', path: 'functions/core/config-validation.ts' }),
    );
    expect(inputs(handler)).toEqual(expect.arrayContaining(CONFIG_SCHEMA_MODULES));
    // … but neither the schema nor anything that imports it runs at load.
    const loaded = [...loadTimeGraph(metafile, entry)];
    expect(loaded).toContain(CONFIG_ADAPTER);
    expect(loaded.filter((input) => CONFIG_SCHEMA_MODULES.includes(input))).toEqual([]);
    // Classic zod (its method-chaining classes) only behind that require: bodies and payloads use zod/mini.
    expect(loaded.filter((input) => input.includes('node_modules/zod/v4/classic/'))).toEqual([]);
  });

  it('every bundle loads in a fresh Node process and exports its handler', () => {
    const script = `for (const file of process.argv.slice(1)) if (typeof require(file).handler !== 'function') throw new Error(file + ' exports no handler');`;
    const loaded = spawnSync(process.execPath, ['-e', script, ...HANDLERS.map(bundleFile)], { encoding: 'utf8', timeout: 30_000 });
    expect(loaded.stderr).toBe('');
    expect(loaded.status).toBe(0);
  });
});
