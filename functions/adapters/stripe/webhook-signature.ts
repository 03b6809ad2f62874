/**
 * Verifies a Stripe webhook on its raw body and returns the event. Every configured signing secret
 * is tried (several are live while one is being rolled); a header may also carry several `v1`
 * signatures. Anything unverifiable is a 400 with a precise code, before anything is written.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type Stripe from 'stripe';
import { AppError, invalidRequest } from '#core/errors';

/** Stripe's default: a signed timestamp older (or further in the future) than this is refused. */
const SIGNATURE_TOLERANCE_SECONDS = 300;

/** The header's signature scheme Stripe signs with (HMAC-SHA256); others (e.g. v0 test signatures) are ignored. */
const EXPECTED_SCHEME = 'v1';

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
  // Decoded as stripe-node decodes it (TextDecoder: a leading BOM dropped, invalid UTF-8 replaced), so the
  // signed content is byte for byte what Stripe's own verifier would check.
  const payload = new TextDecoder('utf8').decode(rawBody);
  if (!secrets.some((secret) => signatureMatches(payload, signatureHeader, secret, now))) {
    throw invalidRequest('invalid_signature', 'The Stripe signature does not match the body.');
  }
  let event: unknown;
  try {
    event = JSON.parse(payload);
  } catch {
    // The signature matched but the signed body is not JSON.
    throw invalidRequest('invalid_payload', 'The body is not JSON.');
  }
  return asEvent(event);
}

/**
 * stripe-node's `webhooks.constructEvent` check, done here with node:crypto so that the webhook's
 * common path never loads stripe-node (cold start): the header parsed the same way (no trimming,
 * `t` read with parseInt), HMAC-SHA256 of `${t}.${payload}` in hex compared in constant time with
 * every `v1` signature, and the signed timestamp at most the tolerance old.
 */
function signatureMatches(payload: string, header: string, secret: string, now: number): boolean {
  if (!secret || /^[ \t\r\n\f\v]*$/.test(secret)) return false;
  let timestamp = -1;
  const signatures: string[] = [];
  for (const item of header.split(',')) {
    const [key, value] = item.split('=');
    if (key === 't') timestamp = Number.parseInt(value ?? '', 10);
    if (key === EXPECTED_SCHEME && value) signatures.push(value);
  }
  if (timestamp === -1 || signatures.length === 0) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(`${timestamp}.${payload}`, 'utf8').digest('hex'));
  const found = signatures.some((signature) => {
    const candidate = Buffer.from(signature);
    return candidate.length === expected.length && timingSafeEqual(candidate, expected);
  });
  return found && now - timestamp <= SIGNATURE_TOLERANCE_SECONDS;
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
