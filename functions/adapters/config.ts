/**
 * Loads the Linkout configuration once per process (Lambda cold start, dev server start, CDK synth).
 *
 * Sources, first match wins:
 *   LINKOUT_CONFIG       the configuration as inline JSON
 *   LINKOUT_CONFIG_FILE  a path to a JSON file (absolute, or relative to the working directory)
 *   config/linkout.example.json in this repository (the fictional example app)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { LinkoutConfig } from '#core/config';
import { parseConfig } from '#core/config-validation';

export const DEFAULT_CONFIG_FILE = path.resolve(__dirname, '../../config/linkout.example.json');

let cached: LinkoutConfig | undefined;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): LinkoutConfig {
  if (env === process.env && cached) return cached;
  const config = parseConfig(JSON.parse(readConfigSource(env)));
  if (env === process.env) cached = config;
  return config;
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
