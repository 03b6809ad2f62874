/**
 * Issue 12, adversarial suite "Signature attacks": POST /v1/webhooks/stripe on the local stack with the
 * body of a real event (a customer.subscription.updated of a real emulator subscription, newer than
 * anything stored, so that a correctly signed copy WOULD write). Every attack is refused with a 4xx
 * and an error body, and writes nothing: the whole table is scanned before and after and the item
 * sets compared. The positive controls at the end show that the same body, correctly signed, does
 * change the table, so the "nothing written" check can fail.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type Stripe from 'stripe';
import { usePortalStack } from '../e2e/portal-stack';
import { tableItems as scanTable } from '../helpers/table-scan';

const portal = usePortalStack();
/** Stripe's default tolerance, which the handler applies in both directions. */
const TOLERANCE_SECONDS = 300;
const WRONG_SECRET = `whsec_${randomBytes(16).toString('hex')}`;

let secret: string;
let subscription: Stripe.Subscription;

const nowSeconds = () => Math.floor(Date.now() / 1000);
const hmac = (key: string, t: number, payload: string | Buffer) => createHmac('sha256', key).update(`${t}.`).update(payload).digest('hex');
/** A Stripe-Signature header as Stripe builds it: one timestamp, one v1 HMAC over `t.body`. */
const signed = (payload: string | Buffer, t = nowSeconds(), key = secret) => `t=${t},v1=${hmac(key, t, payload)}`;

/** A customer.subscription.updated of the real subscription, newer than every stored event. */
function eventBody(suffix: string, secondsAhead: number): string {
  return JSON.stringify({
    id: `evt_sigattack_${suffix}_${randomBytes(6).toString('hex')}`,
    object: 'event',
    api_version: '2025-03-31.basil',
    created: nowSeconds() + secondsAhead,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type: 'customer.subscription.updated',
    data: { object: subscription, previous_attributes: {} },
  });
}

/** Every item of the stack's table (test/helpers/table-scan.ts), to compare as sets. */
const tableItems = () => scanTable(portal.stack.dynamoEndpoint, portal.stack.tableName);

interface Delivery {
  body: string | Buffer;
  signature?: string;
  contentType?: string;
}

async function deliver({ body, signature, contentType = 'application/json' }: Delivery): Promise<{ status: number; body: any }> {
  const response = await fetch(`${portal.stack.url}/v1/webhooks/stripe`, {
    method: 'POST',
    headers: { 'content-type': contentType, ...(signature !== undefined && { 'stripe-signature': signature }) },
    body,
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // A non-JSON refusal is reported as text; the assertions below then fail with it in view.
  }
  return { status: response.status, body: parsed };
}

beforeAll(async () => {
  secret = portal.stack.webhookSecrets[0]!;
  const { subscriptionId } = await portal.subscribedAccount('acct_signature_victim');
  subscription = await portal.stripe.subscriptions.retrieve(subscriptionId);
}, 60_000);

type Attack = [name: string, build: () => Delivery];

/** Refused with 400 and a signature or payload error code. */
const signatureAttacks: Attack[] = [
  ['no Stripe-Signature header', () => ({ body: eventBody('a', 5) })],
  ['an empty Stripe-Signature header', () => ({ body: eventBody('a', 5), signature: '' })],
  ['garbage instead of a header', () => ({ body: eventBody('a', 5), signature: 'not a signature at all' })],
  [
    'no t=',
    () => {
      const body = eventBody('a', 5);
      return { body, signature: signed(body).replace(/^t=\d+,/, '') };
    },
  ],
  ['no v1=', () => ({ body: eventBody('a', 5), signature: `t=${nowSeconds()}` })],
  [
    'a non-numeric t=',
    () => {
      const body = eventBody('a', 5);
      return { body, signature: `t=${nowSeconds()}abc,v1=${hmac(secret, nowSeconds(), body)}` };
    },
  ],
  [
    'a fractional t=',
    () => {
      const body = eventBody('a', 5);
      return { body, signature: `t=${nowSeconds()}.5,v1=${hmac(secret, nowSeconds(), body)}` };
    },
  ],
  ['a forged v1 (random hex)', () => ({ body: eventBody('a', 5), signature: `t=${nowSeconds()},v1=${randomBytes(32).toString('hex')}` })],
  [
    'signed with the wrong secret',
    () => {
      const body = eventBody('a', 5);
      return { body, signature: signed(body, nowSeconds(), WRONG_SECRET) };
    },
  ],
  [
    'a timestamp beyond the tolerance in the past',
    () => {
      const body = eventBody('a', 5);
      return { body, signature: signed(body, nowSeconds() - TOLERANCE_SECONDS - 60) };
    },
  ],
  [
    'a timestamp beyond the tolerance in the future',
    () => {
      const body = eventBody('a', 5);
      return { body, signature: signed(body, nowSeconds() + TOLERANCE_SECONDS + 60) };
    },
  ],
  [
    'two t= with the future one first (F1)',
    () => {
      const body = eventBody('a', 5);
      const [now, future] = [nowSeconds(), nowSeconds() + 3600];
      return { body, signature: `t=${future},t=${now},v1=${hmac(secret, future, body)},v1=${hmac(secret, now, body)}` };
    },
  ],
  [
    'two t= with the future one last (F1)',
    () => {
      const body = eventBody('a', 5);
      const [now, future] = [nowSeconds(), nowSeconds() + 3600];
      return { body, signature: `t=${now},t=${future},v1=${hmac(secret, now, body)},v1=${hmac(secret, future, body)}` };
    },
  ],
  [
    'one byte of the body changed after signing',
    () => {
      const body = eventBody('a', 5);
      const at = body.indexOf(subscription.id) + subscription.id.length - 1;
      const tampered = `${body.slice(0, at)}${body[at] === 'x' ? 'y' : 'x'}${body.slice(at + 1)}`;
      return { body: tampered, signature: signed(body) };
    },
  ],
  [
    'whitespace appended to the body after signing',
    () => {
      const body = eventBody('a', 5);
      return { body: `${body}\n`, signature: signed(body) };
    },
  ],
  [
    'the body re-serialised (same JSON, other bytes) after signing',
    () => {
      const body = eventBody('a', 5);
      return { body: JSON.stringify(JSON.parse(body), null, 2), signature: signed(body) };
    },
  ],
  [
    'the body sent base64-encoded as text, signature over the raw body',
    () => {
      const body = eventBody('a', 5);
      return { body: Buffer.from(body).toString('base64'), signature: signed(body), contentType: 'text/plain' };
    },
  ],
  [
    'the body sent base64-encoded as binary, signature over the raw body',
    () => {
      const body = eventBody('a', 5);
      return { body: Buffer.from(body).toString('base64'), signature: signed(body), contentType: 'application/octet-stream' };
    },
  ],
  [
    'the signature over the base64 text while the raw body is sent',
    () => {
      const body = eventBody('a', 5);
      return { body, signature: signed(Buffer.from(body).toString('base64')) };
    },
  ],
  [
    'only a v0 signature (Stripe test-mode scheme, never accepted)',
    () => {
      const body = eventBody('a', 5);
      const t = nowSeconds();
      return { body, signature: `t=${t},v0=${hmac(secret, t, body)}` };
    },
  ],
  [
    'the scheme in upper case (V1=)',
    () => {
      const body = eventBody('a', 5);
      const t = nowSeconds();
      return { body, signature: `t=${t},V1=${hmac(secret, t, body)}` };
    },
  ],
  [
    'the timestamp key in upper case (T=)',
    () => {
      const body = eventBody('a', 5);
      const t = nowSeconds();
      return { body, signature: `T=${t},v1=${hmac(secret, t, body)}` };
    },
  ],
];

/** Bigger than Lambda's 6 MB invocation payload, correctly signed: refused before the handler runs. */
function hugeDelivery(bytes: number): Delivery {
  const event = JSON.parse(eventBody('huge', 5));
  event.data.object.metadata = { padding: 'x'.repeat(bytes) };
  const body = JSON.stringify(event);
  return { body, signature: signed(body) };
}

describe('POST /v1/webhooks/stripe refuses every signature attack and writes nothing', () => {
  it.each(signatureAttacks)('%s -> 400 with an error code, zero writes', async (_name, build) => {
    const before = await tableItems();
    const response = await deliver(build());
    expect(response.status).toBe(400);
    expect(response.body.error.code).toMatch(/^(missing_signature|invalid_signature|invalid_payload)$/);
    expect(await tableItems()).toEqual(before);
  });

  // The documented refusal (README, lib/local/gateway.ts): what AWS answers, 413, before any handler runs.
  it.each([
    ['a correctly signed 6.5 MB body (over Lambda’s 6 MB payload limit)', 6.5 * 1024 * 1024, 'Request Too Long'],
    ['a correctly signed 11 MB body (over API Gateway’s 10 MB limit)', 11 * 1024 * 1024, 'Request Entity Too Large'],
  ])('%s -> 413, zero writes', async (_name, bytes, message) => {
    const before = await tableItems();
    const response = await deliver(hugeDelivery(bytes));
    expect([response.status, response.body.message]).toEqual([413, message]);
    expect(await tableItems()).toEqual(before);
  });

  // Positive controls, last because they write: the same kind of body, correctly signed, changes the table.
  it.each([
    ['as JSON text', 'application/json', 10],
    ['as a binary body (API Gateway base64-encodes it for the handler)', 'application/octet-stream', 20],
  ])('control: the body correctly signed %s is accepted and changes the table', async (_name, contentType, secondsAhead) => {
    const before = await tableItems();
    const body = eventBody('control', secondsAhead);
    const response = await deliver({ body, signature: signed(body), contentType });
    expect([response.status, response.body.received]).toEqual([200, true]);
    expect(await tableItems()).not.toEqual(before);
  });
});
