/**
 * `npm run stripe -- <command> [args]`: the official Stripe CLI (`@stripe/cli`, pinned in
 * package.json) against the running local stack's Stripe emulator, offline:
 *
 *   npm run stripe -- trigger customer.subscription.updated
 *   npm run stripe -- fixtures test/e2e/fixtures/customer.subscription.resumed.json
 *   npm run stripe -- customers list --limit 3
 *
 * Commands that call the API get `--api-key` and `--api-base` (the emulator of `npm start`, found the
 * way the stack finds it: STRIPE_API_URL, else 127.0.0.1:$STRIPE_EMULATOR_PORT) after a check that it
 * answers; help, version and the like pass through untouched. Every event the CLI causes reaches the
 * stack's webhook route, because the emulator delivers it — so `stripe listen` is not needed (and
 * cannot work offline).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { constants } from 'node:os';
import path from 'node:path';
import { DEFAULT_API_PORT, portFromEnv } from '#local/ports';
import { stripeTargetFromEnv } from '#local/stripe-target';

/** The CLI refuses shorter keys ("the API key provided is too short"): sk_test_1234 is the shortest it takes. */
const CLI_MIN_KEY_LENGTH = 12;

/** Global flags that take a value as the next argument (stripe --help, CLI 1.52). */
const FLAGS_WITH_VALUE = new Set(['--api-key', '--api-base', '--color', '--config', '--device-name', '--log-level', '--project-name', '-p']);

/** Commands that never call the Stripe API (or need Stripe's own servers and a login): passed through as given. */
const PASS_THROUGH = new Set([
  'help',
  'version',
  'completion',
  'config',
  'docs',
  'community',
  'feedback',
  'open',
  'login',
  'logout',
  'switch',
  'sandbox',
  'whoami',
  'agent',
  'plugin',
  'provision',
  'data',
  'apps',
  'directory',
  'generate',
  'pay',
  'projects',
  'tools',
]);

/** The platform binary the package's shim would run, started directly so that signals and exit codes pass straight through. */
export function stripeCliBinary(): string {
  const cliDir = path.dirname(require.resolve('@stripe/cli/package.json'));
  const platforms = JSON.parse(readFileSync(path.join(cliDir, 'platforms.json'), 'utf8')) as Record<string, { pkg: string; bin: string }>;
  const platform = platforms[`${process.platform}-${process.arch}`];
  if (!platform) throw new Error(`@stripe/cli has no binary for ${process.platform}-${process.arch}.`);
  try {
    return path.join(path.dirname(require.resolve(`${platform.pkg}/package.json`)), 'bin', platform.bin);
  } catch {
    throw new Error(`${platform.pkg} is not installed: run npm ci.`);
  }
}

/**
 * Each CLI run checks GitHub for a newer release (with no timeout: on a network that drops packets it
 * hangs for minutes) and posts telemetry. Against a local emulator both are noise, so the run gets a
 * proxy for HTTPS that refuses at once: those calls fail fast and quietly (they only log at debug
 * level), and nothing leaves the machine. Loopback API calls are never proxied by the CLI (Go's
 * proxy rules), so `--api-base http://127.0.0.1:…` is unaffected.
 */
export async function startRefusingProxy(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The CLI's environment for a run against an emulator; with a refusing proxy, it reaches nothing but the emulator. */
export function offlineCliEnv(base: NodeJS.ProcessEnv, refusingProxyUrl?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...base,
    STRIPE_CLI_TELEMETRY_OPTOUT: '1',
    // What the package's shim sets under `npm run`; the CLI never tries to update itself then.
    STRIPE_INSTALL_METHOD: 'npm_run',
    ...(refusingProxyUrl && {
      HTTPS_PROXY: refusingProxyUrl,
      https_proxy: refusingProxyUrl,
      // An empty value counts as unset for the CLI: no host may bypass the refusing proxy.
      NO_PROXY: '',
      no_proxy: '',
    }),
  };
  // The CLI prefers STRIPE_API_KEY over --api-key: a key from the user's shell must not win over the local one.
  delete env.STRIPE_API_KEY;
  return env;
}

/** The command word (`trigger`, `customers`, …): the first argument that is neither a flag nor a flag's value. */
function commandOf(args: readonly string[]): string | undefined {
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    if (!arg.startsWith('-')) return arg;
    if (FLAGS_WITH_VALUE.has(arg)) index++;
  }
  return undefined;
}

function hasFlag(args: readonly string[], ...names: string[]): boolean {
  return args.some((arg) => names.includes(arg) || names.some((name) => arg.startsWith(`${name}=`)));
}

/** Where the local stack's Stripe lives and which key it uses, by the same rules as `npm start`. */
function localStripe(env: NodeJS.ProcessEnv): { apiBase: string; apiKey: string } {
  const target = stripeTargetFromEnv(env);
  if (target.kind === 'real') {
    throw new Error(
      'STRIPE_SECRET_KEY is a real test key and STRIPE_API_URL is unset, so the local stack talks to real Stripe.\n' +
        'Run the Stripe CLI itself for that (npx stripe login, npx stripe listen --forward-to localhost:3000/v1/webhooks/stripe).',
    );
  }
  if (target.kind === 'emulator' && target.port === 0) {
    throw new Error('STRIPE_EMULATOR_PORT=0 picks a free port at start: set STRIPE_API_URL to the emulator URL the banner of npm start printed.');
  }
  if (target.secretKey.length < CLI_MIN_KEY_LENGTH) {
    throw new Error(
      `The Stripe CLI refuses API keys shorter than ${CLI_MIN_KEY_LENGTH} characters, and STRIPE_SECRET_KEY is "${target.secretKey}". ` +
        'Use a longer test key such as sk_test_1234 (stripe-mock accepts it too: three parts separated by "_").',
    );
  }
  const apiBase = target.kind === 'url' ? target.apiUrl : `http://127.0.0.1:${target.port}`;
  return { apiBase, apiKey: target.secretKey };
}

/** Fails with the next step to take when nothing (or something else) answers at the emulator's address. */
async function assertEmulatorAnswers(apiBase: string, apiKey: string): Promise<void> {
  let status: number;
  try {
    const response = await fetch(`${apiBase}/v1/customers?limit=1`, { headers: { authorization: `Bearer ${apiKey}` }, signal: AbortSignal.timeout(3000) });
    await response.arrayBuffer();
    status = response.status;
  } catch {
    throw new Error(
      `No Stripe emulator answers at ${apiBase}: start the local stack first with npm start ` +
        '(or point STRIPE_API_URL / STRIPE_EMULATOR_PORT at the one that runs).',
    );
  }
  if (status === 401)
    throw new Error(`The Stripe server at ${apiBase} refused the key ${apiKey.slice(0, 8)}…: set STRIPE_SECRET_KEY to the key the local stack uses.`);
  if (status !== 200) throw new Error(`GET ${apiBase}/v1/customers answered ${status}: is that a Stripe emulator?`);
}

function listenMessage(env: NodeJS.ProcessEnv): string {
  const stackUrl = `http://127.0.0.1:${portFromEnv(env, 'PORT', DEFAULT_API_PORT)}`;
  return [
    "stripe listen relays events from Stripe's servers over a websocket: it cannot work offline, and the local stack does not need it.",
    `The local stack's Stripe emulator signs every event with the stack's webhook secret and delivers it to ${stackUrl}/v1/webhooks/stripe itself.`,
    '',
    '  Cause events:   npm run stripe -- trigger customer.subscription.updated',
    '  See them:       npm run stripe -- events list --limit 5',
    '',
    'With real Stripe test mode (a real STRIPE_SECRET_KEY and no STRIPE_API_URL), run the CLI directly:',
    `  npx stripe listen --forward-to ${stackUrl}/v1/webhooks/stripe`,
  ].join('\n');
}

const LOGS_MESSAGE =
  "stripe logs tail streams request logs from Stripe's servers and cannot work offline. The emulator's record of what happened is its event list:\n" +
  '  npm run stripe -- events list --limit 10';

/**
 * Runs the CLI with inherited stdio, in the directory `npm run` was called from (so that a relative
 * fixture path means what the user typed), and resolves with its exit code (a signal becomes 128 + its
 * number, as in a shell).
 */
function run(binary: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const child = spawn(binary, args, { stdio: 'inherit', env, cwd: env.INIT_CWD || process.cwd() });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward).on('SIGTERM', forward);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
  });
}

async function main(args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const command = commandOf(args);
  if (command === 'listen') {
    console.error(listenMessage(env));
    return 1;
  }
  if (command === 'logs') {
    console.error(LOGS_MESSAGE);
    return 1;
  }
  const binary = stripeCliBinary();
  // Help, version and such need no server; an explicit --api-base means the caller chose one.
  if (command === undefined || PASS_THROUGH.has(command) || hasFlag(args, '--help', '-h', '--api-base')) return run(binary, args, env);

  const { apiBase, apiKey } = localStripe(env);
  await assertEmulatorAnswers(apiBase, apiKey);
  const extra = [...(hasFlag(args, '--api-key') ? [] : ['--api-key', apiKey]), '--api-base', apiBase];
  const proxy = isLoopback(apiBase) ? await startRefusingProxy() : undefined;
  try {
    return await run(binary, [...args, ...extra], offlineCliEnv(env, proxy?.url));
  } finally {
    await proxy?.close();
  }
}

/** Only a loopback API base is safe behind the refusing proxy (the CLI never proxies loopback addresses). */
function isLoopback(apiBase: string): boolean {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(apiBase).hostname);
}

if (require.main === module) {
  main(process.argv.slice(2), process.env).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error((error as Error).message);
      process.exit(1);
    },
  );
}
