/**
 * Decides which Stripe the local stack talks to, following its environment contract (README, "The local stack"):
 *   STRIPE_API_URL set                 -> that server (the emulator elsewhere, stripe-mock, ...)
 *   a real STRIPE_SECRET_KEY, no URL   -> real Stripe (test mode only)
 *   neither                            -> the embedded Stripe emulator
 */

import { type StripeEmulator, type StripeEmulatorOptions, startStripeEmulator } from '@linkout/stripe-emulator';
import { parseSecretList } from '#adapters/secrets';
import type { LinkoutConfig } from '#core/config';
import { portError, portFromEnv } from './ports';

export const LOCAL_SECRET_KEY = 'sk_test_linkout_local';
/** Fixed so that a receiver or `stripe listen` set up once keeps verifying after restarts. */
export const LOCAL_WEBHOOK_SECRET = 'whsec_linkout_local_0123456789abcdefghijklmnopqrstuv';
const DEFAULT_EMULATOR_PORT = 12111;

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
  return { kind: 'emulator', port: portFromEnv(env, 'STRIPE_EMULATOR_PORT', DEFAULT_EMULATOR_PORT), secretKey };
}

/** Webhook signing secrets the handlers accept (comma list); the first one signs emulator events. */
export function webhookSecretsFromEnv(env: NodeJS.ProcessEnv): string[] {
  const listed = parseSecretList(env.STRIPE_WEBHOOK_SECRET ?? '');
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

/** What an emulator for this configuration starts with: its catalog, under the app's name. */
export function emulatorSeed(config: LinkoutConfig): Pick<StripeEmulatorOptions, 'catalog' | 'accountName'> {
  return { catalog: config.catalog.products, accountName: config.app.name };
}

/**
 * Starts the embedded emulator seeded with the configured catalog, delivering events to the stack's
 * webhook route. A port that is taken fails with a message naming STRIPE_EMULATOR_PORT.
 */
export async function startEmbeddedEmulator(options: EmulatorOptions): Promise<RunningEmulator> {
  const host = options.host ?? '127.0.0.1';
  try {
    return await startStripeEmulator({
      ...emulatorSeed(options.config),
      port: options.port,
      host,
      webhookUrl: options.webhookUrl,
      webhookSecret: options.webhookSecret,
    });
  } catch (error) {
    throw portError(error, options.port, host, 'STRIPE_EMULATOR_PORT');
  }
}
