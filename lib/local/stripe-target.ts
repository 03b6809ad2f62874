/**
 * Decides which Stripe the local stack talks to, following the environment contract (GUIDE §7):
 *   STRIPE_API_URL set                 -> that server (the emulator elsewhere, stripe-mock, ...)
 *   a real STRIPE_SECRET_KEY, no URL   -> real Stripe (test mode only)
 *   neither                            -> the embedded Stripe emulator
 */
import type { LinkoutConfig } from '../../functions/core/config';
import { startStripeEmulator, type StripeEmulator } from '@linkout/stripe-emulator';

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

export type RunningEmulator = StripeEmulator;

export interface EmulatorOptions {
  port: number;
  host?: string;
  config: LinkoutConfig;
  webhookUrl: string;
  webhookSecret: string;
}

/** Starts the embedded emulator seeded with the configured catalog, delivering events to the stack's webhook route. */
export function startEmbeddedEmulator(options: EmulatorOptions): Promise<RunningEmulator> {
  return startStripeEmulator({
    port: options.port,
    host: options.host ?? '127.0.0.1',
    catalog: options.config.catalog.products,
    webhookUrl: options.webhookUrl,
    webhookSecret: options.webhookSecret,
    accountName: options.config.app.name,
  });
}
