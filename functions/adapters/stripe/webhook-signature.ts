/**
 * Verifies a Stripe webhook on its raw body and returns the event. Every configured signing secret
 * is tried (several are live while one is being rolled); a header may also carry several `v1`
 * signatures. Anything unverifiable is a 400 with a precise code, before anything is written.
 */
import Stripe from 'stripe';
import { AppError, invalidRequest } from '#core/errors';

/** Stripe's default: a signed timestamp older (or further in the future) than this is refused. */
const SIGNATURE_TOLERANCE_SECONDS = 300;

// Verification is local HMAC work: this instance never talks to Stripe.
const verifier = new Stripe('sk_verify_only', { telemetry: false });

export interface VerifyInput {
  rawBody: Buffer;
  signatureHeader: string | undefined;
  secrets: readonly string[];
  /** Unix seconds. */
  now: number;
}

export function verifyStripeEvent({ rawBody, signatureHeader, secrets, now }: VerifyInput): Stripe.Event {
  if (secrets.length === 0) {
    throw new AppError('unavailable', 'webhook_not_configured', 'No webhook signing secret is configured yet.');
  }
  if (!signatureHeader) throw invalidRequest('missing_signature', 'The Stripe-Signature header is missing.');
  const timestamp = signedTimestamp(signatureHeader);
  if (timestamp === undefined) throw invalidRequest('invalid_signature', 'The Stripe-Signature header is malformed.');
  // stripe-node only refuses old timestamps; a timestamp from the future is just as suspicious.
  if (Math.abs(now - timestamp) > SIGNATURE_TOLERANCE_SECONDS) {
    throw invalidRequest('invalid_signature', 'The signature timestamp is outside the accepted tolerance.');
  }
  for (const secret of secrets) {
    let event: unknown;
    try {
      event = verifier.webhooks.constructEvent(rawBody, signatureHeader, secret, SIGNATURE_TOLERANCE_SECONDS, undefined, now * 1000);
    } catch (error) {
      if (error instanceof Stripe.errors.StripeSignatureVerificationError) continue;
      // The signature matched but the signed body is not JSON.
      throw invalidRequest('invalid_payload', 'The body is not JSON.');
    }
    return asEvent(event);
  }
  throw invalidRequest('invalid_signature', 'The Stripe signature does not match the body.');
}

/**
 * The header's one `t`. Stripe sends exactly one; with several, stripe-node signs-checks one copy
 * while a naive tolerance check reads another, so a header with two is refused outright.
 */
function signedTimestamp(header: string): number | undefined {
  const timestamps = header
    .split(',')
    .map((part) => part.trim().split('='))
    .filter(([key]) => key === 't')
    .map(([, value]) => value);
  if (timestamps.length > 1) throw invalidRequest('invalid_signature', 'The Stripe-Signature header carries more than one timestamp (t=).');
  const [t] = timestamps;
  return t !== undefined && /^\d+$/.test(t) ? Number(t) : undefined;
}

function asEvent(parsed: unknown): Stripe.Event {
  const event = parsed as Partial<Stripe.Event> | null;
  const looksLikeEvent =
    typeof event === 'object' &&
    event !== null &&
    event.object === 'event' &&
    typeof event.id === 'string' &&
    typeof event.type === 'string' &&
    typeof event.created === 'number' &&
    typeof event.data === 'object' &&
    event.data !== null &&
    typeof event.data.object === 'object' &&
    event.data.object !== null;
  if (!looksLikeEvent) throw invalidRequest('invalid_payload', 'The body is not a Stripe event.');
  return event as Stripe.Event;
}
