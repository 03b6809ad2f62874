/**
 * Validates raw configuration: the per-field schema (config.ts), then the rules that span several
 * fields — the least privileged role must be a configured role, and the portal definitions must be
 * something Stripe accepts (portal-rules.ts) — so an invalid file stops start-up, synth and cold
 * start with one message listing every problem.
 */
// A namespace import, not { z }: esbuild then drops what the schema does not use (zod's 40-odd locales, ~150 KB of every bundle).
import * as z from 'zod';
import { type LinkoutConfig, LinkoutConfigSchema } from './config';
import { type ConfigurationProblem, portalDefinitionProblems } from './portal-rules';

const ValidatedConfigSchema = LinkoutConfigSchema.superRefine((config, ctx) => {
  for (const problem of crossFieldProblems(config)) {
    ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
  }
});

/** Validates raw configuration and explains every problem in one message. */
export function parseConfig(raw: unknown): LinkoutConfig {
  const result = ValidatedConfigSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(z.prettifyError(result.error));
  }
  return result.data;
}

class ConfigError extends Error {
  constructor(details: string) {
    super(`Invalid Linkout configuration:\n${details}`);
    this.name = 'ConfigError';
  }
}

function crossFieldProblems(config: LinkoutConfig): ConfigurationProblem[] {
  const problems: ConfigurationProblem[] = [];
  if (!(config.portal.leastPrivilegedRole in config.portal.roles)) {
    problems.push({
      path: ['portal', 'leastPrivilegedRole'],
      message: `"${config.portal.leastPrivilegedRole}" is not one of the portal roles`,
    });
  }
  for (const [index, role] of config.checkout.roles.entries()) {
    if (!(role in config.portal.roles)) {
      problems.push({ path: ['checkout', 'roles', index], message: `"${role}" is not one of the portal roles, so no caller could ever have it` });
    }
  }
  // Portal rules Stripe would reject at sync time: caught when the configuration loads instead.
  return [...problems, ...portalDefinitionProblems(config)];
}
