/**
 * Loads the Linkout configuration once per process (Lambda cold start, dev server start, CDK synth).
 *
 * Sources, first match wins:
 *   LINKOUT_CONFIG       the configuration as inline JSON
 *   LINKOUT_CONFIG_FILE  a path to a JSON file (absolute, or relative to the working directory)
 *   config/linkout.example.json in this repository (the fictional example app)
 *
 * A deployed Lambda also gets LINKOUT_CONFIG_SHA256 (lib/infra/linkout-function.ts): CDK validated the
 * configuration at synth and ships it with the hash of exactly those bytes. With a matching hash the
 * JSON is used as it is, without evaluating the zod schema (about 40 ms of the entitlements import);
 * without the hash (local stack, tests, scripts) the full validation runs.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { LinkoutConfig } from '#core/config';

export const DEFAULT_CONFIG_FILE = path.resolve(__dirname, '../../config/linkout.example.json');
/** The sha256 (hex) of the configuration JSON as CDK validated and shipped it. */
export const CONFIG_SHA256_ENV = 'LINKOUT_CONFIG_SHA256';

let cached: LinkoutConfig | undefined;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): LinkoutConfig {
  if (env === process.env && cached) return cached;
  const source = readConfigSource(env);
  const expectedSha256 = env[CONFIG_SHA256_ENV]?.trim();
  const config = expectedSha256 ? validatedAtSynth(source, expectedSha256) : loadConfigValidation().parseConfig(JSON.parse(source));
  if (env === process.env) cached = config;
  return config;
}

/** The configuration CDK validated at synth, provided it is byte for byte what CDK shipped. */
function validatedAtSynth(source: string, expectedSha256: string): LinkoutConfig {
  const actual = sha256Hex(source);
  if (actual !== expectedSha256.toLowerCase()) {
    throw new Error(
      `Invalid Linkout configuration: its sha256 ${actual} is not the ${CONFIG_SHA256_ENV} ${expectedSha256} it was deployed with, so the configuration was changed after deploy: redeploy with cdk deploy`,
    );
  }
  return JSON.parse(source) as LinkoutConfig;
}

/** The hash CDK ships next to the configuration; the same function checks it at cold start. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

type ConfigValidationModule = typeof import('#core/config-validation');

/**
 * A require, not an import, and none at all in a Lambda bundle: lib/infra/bundling.ts defines
 * LINKOUT_LAMBDA_BUNDLE for the bundles, esbuild drops the dead branch with its require, and a
 * deployed function, whose configuration CDK validated and hashed at synth, carries neither the zod
 * schema nor the classic zod it is written in (test/infra/bundles.test.ts holds that).
 */
function loadConfigValidation(): ConfigValidationModule {
  if (process.env.LINKOUT_LAMBDA_BUNDLE === 'true') {
    throw new Error(
      `Invalid Linkout configuration: ${CONFIG_SHA256_ENV} is not set. A deployed function runs only the configuration CDK validated at synth: redeploy with cdk deploy`,
    );
  } else {
    return require('../core/config-validation') as ConfigValidationModule;
  }
}

function readConfigSource(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LINKOUT_CONFIG) return env.LINKOUT_CONFIG;
  const file = env.LINKOUT_CONFIG_FILE ? path.resolve(env.LINKOUT_CONFIG_FILE) : DEFAULT_CONFIG_FILE;
  return readFileSync(file, 'utf8');
}

/** Forgets the cached configuration (tests that change the environment). */
export function resetConfigCache(): void {
  cached = undefined;
}
