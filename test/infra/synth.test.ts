/**
 * `npm run synth` as ops and CI run it: the real CDK CLI, real esbuild bundling of every Lambda,
 * the cdk-nag checks at synthesis, and no AWS credentials at all.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const STACKS = ['LinkoutData-dev', 'LinkoutApi-dev', 'LinkoutSite-dev'];

/** The environment minus anything that could reach an AWS account. */
function offlineEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_') && !name.startsWith('CDK_')));
  return {
    ...env,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
    AWS_CONFIG_FILE: '/nonexistent',
    CDK_DISABLE_VERSION_CHECK: 'true',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
  };
}

let outDir: string;
let result: ReturnType<typeof spawnSync>;

beforeAll(() => {
  outDir = mkdtempSync(path.join(tmpdir(), 'linkout-synth-'));
  result = spawnSync('npm', ['run', '--silent', 'synth', '--', '--output', outDir, '--no-notices'], {
    cwd: ROOT,
    env: offlineEnv(),
    encoding: 'utf8',
    timeout: 280_000,
  });
}, 300_000);

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

function template(stack: string) {
  return JSON.parse(readFileSync(path.join(outDir, `${stack}.template.json`), 'utf8'));
}

it('synthesizes all three stacks offline, with cdk-nag passing', () => {
  const output = `${result.stdout}\n${result.stderr}`;
  expect({ status: result.status, output: result.status === 0 ? '' : output }).toEqual({ status: 0, output: '' });
  expect(output).not.toMatch(/AwsSolutions-/);
  for (const stack of STACKS) expect(existsSync(path.join(outDir, `${stack}.template.json`))).toBe(true);
});

it('leaves the stacks environment-agnostic (no account or region looked up)', () => {
  const manifest = JSON.parse(readFileSync(path.join(outDir, 'manifest.json'), 'utf8'));
  for (const stack of STACKS) expect(manifest.artifacts[stack].environment).toBe('aws://unknown-account/unknown-region');
});

it('bundles every Lambda with esbuild: minified, with a source map and the AWS SDK inside', () => {
  const functions = Object.values(template('LinkoutApi-dev').Resources as Record<string, any>).filter(
    (r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.STRIPE_SECRET_ARN,
  );
  expect(functions.length).toBeGreaterThanOrEqual(4);
  for (const fn of functions) {
    const assetDir = path.join(outDir, `asset.${String(fn.Properties.Code.S3Key).replace(/\.zip$/, '')}`);
    const code = readFileSync(path.join(assetDir, 'index.js'), 'utf8');
    expect(existsSync(path.join(assetDir, 'index.js.map'))).toBe(true);
    // The clients are inside the bundle (the SDK's optional SigV4a probe may stay a guarded require).
    expect(code).not.toMatch(/require\(["']@aws-sdk\/(client-|lib-)/);
    expect(code).toContain('GetSecretValue');
    // Minified: the code is one long line (only the license comments keep line breaks).
    expect(Math.max(...code.split('\n').map((line) => line.length))).toBeGreaterThan(50_000);
  }
});
