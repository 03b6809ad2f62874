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

/**
 * Per attempt. A call that never answers costs two attempts (maxNetworkRetries 1) plus stripe-node's
 * 0.5 s backoff: 8.5 s, inside the API Lambdas' 10 s timeout, so the caller gets 503
 * stripe_unreachable rather than the gateway's bare timeout (test/adversarial/stripe-faults.test.ts).
 */
const DEFAULT_TIMEOUT_MS = 4000;

export function createStripeClient(options: StripeClientOptions): Stripe {
  const target = options.apiUrl ? new URL(options.apiUrl) : undefined;
  return new Stripe(options.secretKey, {
    apiVersion: STRIPE_API_VERSION as Stripe.LatestApiVersion,
    maxNetworkRetries: options.maxNetworkRetries ?? 1,
    timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    telemetry: false,
    ...(target && {
      host: target.hostname,
      port: Number(target.port || (target.protocol === 'https:' ? 443 : 80)),
      protocol: target.protocol.replace(':', '') as 'http' | 'https',
    }),
  });
}
