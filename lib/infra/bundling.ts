/**
 * How every Linkout Lambda is bundled, written once: LinkoutFunction hands these settings to CDK's
 * NodejsFunction, and the cold-start benchmark (bench/cold-start.ts) and the bundle tests
 * (test/infra/bundles.test.ts) build the same bundles through esbuild's API with `esbuildOptions`,
 * which translates them exactly as CDK translates them into esbuild arguments (aws-lambda-nodejs
 * Bundling.buildEsbuildArgs), so what is measured and tested is what is deployed.
 *
 * Free of CDK imports: the benchmark and the tests load it without the CDK library.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BuildOptions, buildSync, type Metafile } from 'esbuild';

export const PROJECT_ROOT = path.resolve(__dirname, '../..');
const HANDLERS_DIR = path.join(PROJECT_ROOT, 'functions/handlers');

/** The Lambdas' NODE_OPTIONS: stack traces in the logs point into the TypeScript sources. */
export const LAMBDA_NODE_OPTIONS = '--enable-source-maps';

/** The file CDK names a CommonJS bundle; the Lambda handler string `index.handler` points into it. */
export const BUNDLE_FILE = 'index.js';

export interface LambdaBundling {
  minify: boolean;
  sourceMap: boolean;
  sourcesContent: boolean;
  target: string;
  format: 'cjs' | 'esm';
  /** Unset: esbuild's default for node (main, then module). */
  mainFields?: readonly string[];
  externalModules: readonly string[];
  /** Expressions esbuild replaces with constants at build time (dead branches and their requires drop out). */
  define: Readonly<Record<string, string>>;
  tsconfig: string;
}

/**
 * stripe-node is shipped beside the bundle, as one minified file at node_modules/stripe/index.js
 * (built from the installed package, no network), not inside it: handlers require it on their first
 * Stripe call (functions/adapters/stripe/lazy-client.ts), and the webhook's common path never makes
 * one. Inside the bundle its 250 KB were parsed at every cold start all the same (about 20 ms).
 */
export const STRIPE_PACKAGE = 'stripe';

// Each choice measured with bench/cold-start.ts (fresh Node 22 processes, medians of round-robin runs).
export const lambdaBundling: LambdaBundling = {
  // Unminified bundles import 1.12-1.19x slower (2.4 MB instead of 0.96 MB for the webhook).
  minify: true,
  // With LAMBDA_NODE_OPTIONS the map costs about 8% of the webhook's import: kept for readable stack traces.
  sourceMap: true,
  sourcesContent: false,
  target: 'node22',
  format: 'cjs',
  // ES modules first: esbuild tree-shakes only those, and the AWS SDK's dist-es drops about 200 KB of
  // its dist-cjs (each package's one CommonJS file carries every command). Measured with
  // bench/cold-start.ts: import about 0.75x of main-first; part of the gain moves to the first call.
  mainFields: ['module', 'main'],
  // The AWS SDK inside the bundle: the versions tested here, not whatever the runtime ships, and
  // its import is 1.10-1.27x slower when required from node_modules file by file. stripe-node beside
  // it instead (stripeModuleOptions): see STRIPE_PACKAGE.
  externalModules: [STRIPE_PACKAGE],
  // A deployed function runs only the configuration CDK validated and hashed at synth
  // (functions/adapters/config.ts): the bundles leave out the zod schema and classic zod (measured:
  // webhook -49 KB, entitlements -72 KB, and fewer zod constructors evaluated at the webhook's load).
  define: { 'process.env.LINKOUT_LAMBDA_BUNDLE': '"true"' },
  tsconfig: path.join(PROJECT_ROOT, 'tsconfig.json'),
};

/** Where Node's require('stripe') in a bundle at `outdir` finds stripe-node. */
export function stripeModuleFile(outdir: string): string {
  return path.join(outdir, 'node_modules', STRIPE_PACKAGE, BUNDLE_FILE);
}

/** Whether a bundle requires stripe-node from beside it (the import esbuild left external), by its metafile. */
export function requiresStripeModule(metafile: Metafile): boolean {
  return Object.values(metafile.inputs).some((input) => input.imports.some((edge) => edge.external && edge.path === STRIPE_PACKAGE));
}

/** esbuild's options for stripe-node beside a bundle at `outdir`: the bundles' settings, without a source map (none of its frames are ours). */
export function stripeModuleOptions(outdir: string): BuildOptions {
  return { ...targetOptions(), entryPoints: [STRIPE_PACKAGE], outfile: stripeModuleFile(outdir) };
}

let stripeModuleBuild: string | undefined;

/**
 * stripe-node built once per process (stripeModuleOptions), for copying beside every bundle that talks
 * to Stripe: by LinkoutFunction's after-bundling step and by the cold-start benchmark alike.
 */
export function builtStripeModule(): string {
  if (!stripeModuleBuild) {
    const dir = mkdtempSync(path.join(tmpdir(), 'linkout-stripe-'));
    buildSync({ ...stripeModuleOptions(dir), logLevel: 'warning' });
    stripeModuleBuild = stripeModuleFile(dir);
  }
  return stripeModuleBuild;
}

/** The handler module's source file for a name in functions/handlers/. */
export function handlerEntry(handlerName: string): string {
  return path.join(HANDLERS_DIR, `${handlerName}.ts`);
}

/** esbuild's options for one Lambda bundle, as CDK passes them on its command line (no write, no metafile: callers add those). */
export function esbuildOptions(entry: string, outdir: string): BuildOptions {
  return {
    ...targetOptions(),
    entryPoints: [entry],
    outfile: path.join(outdir, BUNDLE_FILE),
    sourcemap: lambdaBundling.sourceMap,
    sourcesContent: lambdaBundling.sourcesContent,
    external: [...lambdaBundling.externalModules],
    define: { ...lambdaBundling.define },
    tsconfig: lambdaBundling.tsconfig,
  };
}

/** What every build of code for the Lambdas shares: the runtime it targets and how it is packed. */
function targetOptions(): BuildOptions {
  return {
    bundle: true,
    target: lambdaBundling.target,
    platform: 'node',
    format: lambdaBundling.format,
    minify: lambdaBundling.minify,
    ...(lambdaBundling.mainFields && { mainFields: [...lambdaBundling.mainFields] }),
    absWorkingDir: PROJECT_ROOT,
  };
}
