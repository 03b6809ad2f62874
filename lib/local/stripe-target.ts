/**
 * Decides which Stripe the local stack talks to, following the environment contract (GUIDE §7):
 *   STRIPE_API_URL set                 -> that server (the emulator elsewhere, stripe-mock, ...)
 *   a real STRIPE_SECRET_KEY, no URL   -> real Stripe (test mode only)
 *   neither                            -> the embedded Stripe emulator
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { LinkoutConfig } from '../../functions/core/config';

export const LOCAL_SECRET_KEY = 'sk_test_linkout_local';
/** Fixed so that a receiver or `stripe listen` set up once keeps verifying after restarts. */
export const LOCAL_WEBHOOK_SECRET = 'whsec_linkout_local_0123456789abcdefghijklmnopqrstuv';
export const DEFAULT_EMULATOR_PORT = 12111;

export type StripeTarget =
  | { kind: 'url'; apiUrl: string; secretKey: string }
  | { kind: 'real'; secretKey: string }
  | { kind: 'emulator'; port: number; secretKey: string };

export function stripeTargetFromEnv(env: NodeJS.ProcessEnv): StripeTarget {
  const secretKey = env.STRIPE_SECRET_KEY?.trim() || LOCAL_SECRET_KEY;
  if (/^(sk|rk)_live_/.test(secretKey)) {
    throw new Error('STRIPE_SECRET_KEY is a live-mode key; the local stack only talks to Stripe test mode. Use an sk_test_ key.');
  }
  if (env.STRIPE_API_URL?.trim()) return { kind: 'url', apiUrl: env.STRIPE_API_URL.trim().replace(/\/+$/, ''), secretKey };
  if (secretKey !== LOCAL_SECRET_KEY) return { kind: 'real', secretKey };
  const port = env.STRIPE_EMULATOR_PORT === undefined || env.STRIPE_EMULATOR_PORT === '' ? DEFAULT_EMULATOR_PORT : Number(env.STRIPE_EMULATOR_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`STRIPE_EMULATOR_PORT must be a port number, not "${env.STRIPE_EMULATOR_PORT}"`);
  return { kind: 'emulator', port, secretKey };
}

/** Webhook signing secrets the handlers accept (comma list); the first one signs emulator events. */
export function webhookSecretsFromEnv(env: NodeJS.ProcessEnv): string[] {
  const listed = (env.STRIPE_WEBHOOK_SECRET ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return listed.length > 0 ? listed : [LOCAL_WEBHOOK_SECRET];
}

/** What the embedded emulator hands back (lib/local/stripe-emulator/index.ts). */
export interface RunningEmulator {
  url: string;
  port: number;
  close(): Promise<void>;
  [more: string]: unknown;
}

export interface EmulatorOptions {
  port: number;
  host?: string;
  catalog: LinkoutConfig['catalog'];
  webhookUrl: string;
  webhookSecret: string;
}

const EMULATOR_MODULE = path.resolve(__dirname, 'stripe-emulator/index.ts');

/** Starts the embedded emulator, loaded on demand so the rest of the stack works without it. */
export async function startEmbeddedEmulator(options: EmulatorOptions): Promise<RunningEmulator> {
  if (!existsSync(EMULATOR_MODULE)) {
    throw new Error(
      'The embedded Stripe emulator (lib/local/stripe-emulator) is not available in this checkout. ' +
        'Set STRIPE_API_URL to a Stripe-compatible server (e.g. stripe-mock) or STRIPE_SECRET_KEY to a Stripe test key.',
    );
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const emulator = require(EMULATOR_MODULE) as { startStripeEmulator(options: EmulatorOptions): Promise<RunningEmulator> };
  return emulator.startStripeEmulator(options);
}
