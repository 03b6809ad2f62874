/**
 * Runs the official Stripe CLI binary (the one `npm run stripe` runs) as a child process for the
 * end-to-end tests: no TTY, CI=true, a throw-away config directory, internet calls refused (see
 * startRefusingProxy in bin/stripe.ts), and a hard timeout so that a prompt or a hang fails the test.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { offlineCliEnv, stripeCliBinary } from '#bin/stripe';

export interface CliRun {
  args: string[];
  code: number | null;
  timedOut: boolean;
  output: string;
  ms: number;
}

export interface CliTarget {
  apiBase: string;
  apiKey: string;
  /** URL of a proxy that refuses every connection (startRefusingProxy). */
  refusingProxyUrl: string;
  /** HOME and XDG_CONFIG_HOME of the CLI, so that no user profile or key store is read. */
  configDir: string;
}

export function runStripeCli(args: readonly string[], target: CliTarget, timeoutMs = 30_000): Promise<CliRun> {
  const fullArgs = [...args, '--api-key', target.apiKey, '--api-base', target.apiBase];
  const base = { PATH: process.env.PATH, HOME: target.configDir, XDG_CONFIG_HOME: target.configDir, CI: 'true', NO_COLOR: '1' };
  return runProcess(stripeCliBinary(), fullArgs, offlineCliEnv(base, target.refusingProxyUrl), timeoutMs);
}

/** Runs a command without a TTY (stdin closed), collecting stdout and stderr together; SIGKILL after the timeout. */
function runProcess(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number, cwd?: string): Promise<CliRun> {
  const started = Date.now();
  const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ args, code, timedOut, output, ms: Date.now() - started });
    });
  });
}

/**
 * The step and API call the CLI reports as failed, in one line, e.g.
 * `invoiceitem: 404 Unrecognized request URL (POST: /v1/invoiceitems)`; null when it reports none.
 */
export function reportedFailure(run: CliRun): string | null {
  if (run.timedOut) return `no exit within the timeout; output so far:\n${run.output}`;
  const request = /Request failed, status=(\d+), body=([\s\S]*)$/.exec(run.output);
  if (request) {
    const step = [...run.output.matchAll(/^Running fixture for: (\S+)/gm)].at(-1)?.[1] ?? '?';
    const message = /"message":\s*"((?:[^"\\]|\\.)*)"/.exec(request[2]!)?.[1] ?? request[2]!.trim();
    return `${step}: ${request[1]} ${message.replace(/\. Please see https:\/\/stripe\.com\/docs.*$/, '')}`;
  }
  return run.code === 0 ? null : `exit ${run.code}: ${run.output.trim()}`;
}

const REPO_ROOT = path.resolve(__dirname, '../..');

/** `npm run stripe -- <args>` without npm: bin/stripe.ts under tsx, with only the given environment. */
export function runUserCommand(args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<CliRun> {
  const tsx = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
  return runProcess(tsx, ['bin/stripe.ts', ...args], { PATH: process.env.PATH, CI: 'true', NO_COLOR: '1', ...env }, timeoutMs, REPO_ROOT);
}
