/**
 * The Stripe client, pinned to one API version, pointed at real Stripe or at any Stripe-compatible
 * server (the embedded emulator, stripe-mock) through STRIPE_API_URL.
 */
import Stripe from 'stripe';

export const STRIPE_API_VERSION = '2026-10-28.endive' as const;

export interface StripeClientOptions {
  secretKey: string;
  /** Base URL such as http://127.0.0.1:12111; unset means api.stripe.com. */
  apiUrl?: string;
  maxNetworkRetries?: number;
  timeoutMs?: number;
}

export function createStripeClient(options: StripeClientOptions): Stripe {
  const target = options.apiUrl ? new URL(options.apiUrl) : undefined;
  return new Stripe(options.secretKey, {
    apiVersion: STRIPE_API_VERSION as Stripe.LatestApiVersion,
    maxNetworkRetries: options.maxNetworkRetries ?? 1,
    timeout: options.timeoutMs ?? 8000,
    telemetry: false,
    ...(target && {
      host: target.hostname,
      port: Number(target.port || (target.protocol === 'https:' ? 443 : 80)),
      protocol: target.protocol.replace(':', '') as 'http' | 'https',
    }),
  });
}
