/**
 * The configuration at a Lambda's cold start: CDK validated it at synth and ships it with
 * LINKOUT_CONFIG_SHA256, the hash of exactly the shipped bytes. With a matching hash the JSON is used
 * as shipped, without loading the zod schema; a different hash (edited in the console, or a stale
 * file) stops the cold start; without the hash the full validation runs (local stack, tests, scripts),
 * except in a Lambda bundle, which carries no schema and refuses to start.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type * as ConfigAdapter from '#adapters/config';
import { DEFAULT_CONFIG_FILE, loadConfig } from '#adapters/config';
import { runtimeConfig } from '#infra/stage';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
/** What CDK ships: the validated configuration (defaults filled in), serialized once. */
const shipped = JSON.stringify(runtimeConfig(loadConfig({ LINKOUT_CONFIG_FILE: DEFAULT_CONFIG_FILE })));
const CHANGED_AFTER_DEPLOY = /the configuration was changed after deploy: redeploy with cdk deploy/;

const workDir = mkdtempSync(path.join(tmpdir(), 'linkout-config-hash-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** The config adapter in a fresh module registry where loading the zod schema modules throws. */
function adapterWithoutSchema(): typeof ConfigAdapter {
  let adapter: typeof ConfigAdapter | undefined;
  jest.isolateModules(() => {
    jest.doMock('#core/config-validation', () => {
      throw new Error('the zod configuration schema was loaded');
    });
    adapter = require('#adapters/config') as typeof ConfigAdapter;
  });
  return adapter!;
}

afterEach(() => jest.dontMock('#core/config-validation'));

describe('configuration hash at cold start', () => {
  it('with a matching hash uses the shipped JSON as it is, without loading the schema', () => {
    const { loadConfig: load } = adapterWithoutSchema();
    expect(load({ LINKOUT_CONFIG: shipped, LINKOUT_CONFIG_SHA256: sha256(shipped) })).toEqual(JSON.parse(shipped));
    // The same registry without the hash does reach for the schema: the mock above would have caught it.
    expect(() => load({ LINKOUT_CONFIG: shipped })).toThrow('the zod configuration schema was loaded');
  });

  it('with a matching hash reads the bundled file the same way', () => {
    const file = path.join(workDir, 'linkout-config.json');
    writeFileSync(file, shipped);
    const { loadConfig: load } = adapterWithoutSchema();
    expect(load({ LINKOUT_CONFIG_FILE: file, LINKOUT_CONFIG_SHA256: sha256(readFileSync(file, 'utf8')) })).toEqual(JSON.parse(shipped));
  });

  it.each([
    ['an edited inline configuration', { LINKOUT_CONFIG: shipped.replace('"sub"', '"uid"'), LINKOUT_CONFIG_SHA256: sha256(shipped) }],
    ['a hash of another configuration', { LINKOUT_CONFIG: shipped, LINKOUT_CONFIG_SHA256: sha256(`${shipped} `) }],
  ])('refuses %s with a clear error', (_name, env) => {
    expect(() => adapterWithoutSchema().loadConfig(env)).toThrow(CHANGED_AFTER_DEPLOY);
  });

  it('without a hash validates fully: defaults are filled in and an invalid configuration is refused', () => {
    const raw = JSON.parse(readFileSync(DEFAULT_CONFIG_FILE, 'utf8'));
    delete raw.auth.accountClaim;
    expect(loadConfig({ LINKOUT_CONFIG: JSON.stringify(raw) }).auth.accountClaim).toBe('sub');
    raw.app.teamId = 'not-a-team';
    expect(() => loadConfig({ LINKOUT_CONFIG: JSON.stringify(raw) })).toThrow(/Invalid Linkout configuration:[\s\S]*app\.teamId/);
  });

  it('in a Lambda bundle (LINKOUT_LAMBDA_BUNDLE, defined at build time) no hash is refused with a clear error, without the schema', () => {
    const previous = process.env.LINKOUT_LAMBDA_BUNDLE;
    process.env.LINKOUT_LAMBDA_BUNDLE = 'true';
    try {
      expect(() => adapterWithoutSchema().loadConfig({ LINKOUT_CONFIG: shipped })).toThrow(
        /LINKOUT_CONFIG_SHA256 is not set\. A deployed function runs only the configuration CDK validated at synth: redeploy with cdk deploy/,
      );
    } finally {
      if (previous === undefined) delete process.env.LINKOUT_LAMBDA_BUNDLE;
      else process.env.LINKOUT_LAMBDA_BUNDLE = previous;
    }
  });

  it('an empty hash counts as no hash: the invalid configuration is still refused', () => {
    const raw = JSON.parse(shipped);
    raw.portal.leastPrivilegedRole = 'nobody';
    expect(() => loadConfig({ LINKOUT_CONFIG: JSON.stringify(raw), LINKOUT_CONFIG_SHA256: '' })).toThrow(/is not one of the portal roles/);
  });
});
