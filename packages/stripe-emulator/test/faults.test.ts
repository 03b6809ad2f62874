import Stripe from 'stripe';
import { EMULATOR_API_VERSION, type Fault, startStripeEmulator } from '../src';
import { TEST_SECRET_KEY, useStripeEmulator } from './harness';

const CLIENT_TIMEOUT_MS = 400;

/** stripe-node with a short timeout (a held request must end quickly) and the given retries. */
function client(url: string, maxNetworkRetries = 0): Stripe {
  const target = new URL(url);
  return new Stripe(TEST_SECRET_KEY, {
    apiVersion: EMULATOR_API_VERSION as Stripe.LatestApiVersion,
    host: target.hostname,
    port: Number(target.port),
    protocol: 'http',
    maxNetworkRetries,
    timeout: CLIENT_TIMEOUT_MS,
    telemetry: false,
  });
}

describe('Stripe emulator: injected faults', () => {
  const harness = useStripeEmulator();
  afterEach(() => harness.emulator.clearFaults());

  async function customersWith(email: string): Promise<number> {
    return (await harness.stripe.customers.list({ email })).data.length;
  }

  // stripe-node retries a closed connection once even with maxNetworkRetries 0 (RequestSender._shouldRetry),
  // so a reset the client is to see takes two uses: the request and that built-in retry.
  it.each<[string, Fault, string, number, number]>([
    // fault, the error stripe-node throws, requests the emulator saw, customers that exist afterwards
    ['429', { status: 429 }, 'StripeRateLimitError', 1, 0],
    ['500', { status: 500 }, 'StripeAPIError', 1, 0],
    ['timeout before handling', { kind: 'timeout' }, 'StripeConnectionError', 1, 0],
    ['reset before handling', { kind: 'reset', count: 2 }, 'StripeConnectionError', 2, 0],
    ['timeout after handling', { kind: 'timeout', afterHandling: true }, 'StripeConnectionError', 1, 1],
    ['reset after handling', { kind: 'reset', afterHandling: true, count: 2 }, 'StripeConnectionError', 2, 1],
  ])(
    '%s: the typed error, the requests seen, the customers that exist; the same key then gives exactly one customer',
    async (label, fault, errorType, requests, created) => {
      const { emulator } = harness;
      const email = `fault-${label.replaceAll(' ', '-')}@example.com`;
      const stripe = client(emulator.url);
      const requestsBefore = emulator.requests().length;
      emulator.injectFault({ ...fault, path: '/v1/customers', method: 'POST' });
      const idempotencyKey = `key-${label}`;

      const error = await stripe.customers.create({ email }, { idempotencyKey }).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ type: errorType });
      const seen = emulator.requests().slice(requestsBefore);
      expect(seen).toHaveLength(requests);
      for (const request of seen) expect(request).toMatchObject({ method: 'POST', path: '/v1/customers', idempotencyKey, fault: fault.kind ?? 'status' });
      expect(await customersWith(email)).toBe(created);

      // The fault is used up: the retry under the same key answers, and never creates a second customer.
      const retried = await stripe.customers.create({ email }, { idempotencyKey });
      expect(retried.email).toBe(email);
      expect(await customersWith(email)).toBe(1);
    },
  );

  it("a single reset is healed by stripe-node's built-in retry of a closed connection, under the same key", async () => {
    const { emulator } = harness;
    emulator.injectFault({ kind: 'reset', afterHandling: true, path: '/v1/customers', method: 'POST' });
    const requestsBefore = emulator.requests().length;
    const customer = await client(emulator.url, 0).customers.create({ email: 'single-reset@example.com' });
    const seen = emulator.requests().slice(requestsBefore);
    expect(seen.map((request) => request.fault)).toEqual(['reset', undefined]);
    expect(seen[1]!.idempotencyKey).toBe(seen[0]!.idempotencyKey);
    expect(await customersWith('single-reset@example.com')).toBe(1);
    expect(customer.email).toBe('single-reset@example.com');
  });

  it.each<Fault['kind']>(['timeout', 'reset'])(
    'a %s after handling, retried by stripe-node itself (maxNetworkRetries, its own idempotency key), leaves exactly one object',
    async (kind) => {
      const { emulator } = harness;
      const email = `auto-retry-${kind}@example.com`;
      emulator.injectFault({ kind, afterHandling: true, path: '/v1/customers', method: 'POST' });
      const requestsBefore = emulator.requests().length;
      const customer = await client(emulator.url, 2).customers.create({ email });
      const seen = emulator.requests().slice(requestsBefore);
      expect(seen).toHaveLength(2);
      expect(seen[0]!.idempotencyKey).toBeTruthy();
      expect(seen[1]!.idempotencyKey).toBe(seen[0]!.idempotencyKey);
      expect(await customersWith(email)).toBe(1);
      expect(customer.email).toBe(email);
    },
  );

  it('count, path and method select which requests fail', async () => {
    const { emulator } = harness;
    const stripe = client(emulator.url);
    emulator.injectFault({ kind: 'reset', count: 4, path: '/v1/customers', method: 'GET' });
    const customer = await stripe.customers.create({ email: 'selective@example.com' });
    await expect(stripe.customers.retrieve(customer.id)).rejects.toMatchObject({ type: 'StripeConnectionError' });
    await expect(stripe.customers.list({ limit: 1 })).rejects.toMatchObject({ type: 'StripeConnectionError' });
    expect((await stripe.customers.retrieve(customer.id)).id).toBe(customer.id);
  });

  it.each<[string, Record<string, string>, number]>([
    ['a timeout', { kind: 'timeout', afterHandling: 'true', path: '/v1/customers' }, 200],
    ['a reset', { kind: 'reset' }, 200],
    ['a status', { status: '503' }, 200],
    ['a status without its code', { kind: 'status' }, 400],
    ['a reset with a status', { kind: 'reset', status: '500' }, 400],
    ['afterHandling on a status', { status: '500', afterHandling: 'true' }, 400],
    ['an unknown kind', { kind: 'slow' }, 400],
    ['a zero count', { kind: 'reset', count: '0' }, 400],
  ])('the HTTP control accepts or refuses %s', async (_label, form, expected) => {
    const { emulator } = harness;
    const answer = await fetch(`${emulator.url}/_emulator/faults`, { method: 'POST', body: new URLSearchParams(form) });
    expect(answer.status).toBe(expected);
    expect((await fetch(`${emulator.url}/_emulator/faults`, { method: 'DELETE' })).status).toBe(200);
    // Nothing refused was planned, and DELETE forgot the rest.
    expect((await client(emulator.url).customers.create({ email: 'after-control@example.com' })).id).toMatch(/^cus_/);
  });
});

describe('Stripe emulator: closing with a request held by a timeout fault', () => {
  it('close() ends the held connection at once instead of waiting for an answer that never comes', async () => {
    const emulator = await startStripeEmulator({ port: 0 });
    emulator.injectFault({ kind: 'timeout' });
    const target = new URL(emulator.url);
    const patient = new Stripe(TEST_SECRET_KEY, {
      host: target.hostname,
      port: Number(target.port),
      protocol: 'http',
      maxNetworkRetries: 0,
      timeout: 60_000,
      telemetry: false,
    });
    const pending = patient.customers.create({}).catch((caught: unknown) => caught);
    await waitFor(() => emulator.requests().length === 1);
    const started = Date.now();
    await emulator.close();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await pending).toMatchObject({ type: 'StripeConnectionError' });
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let tries = 0; tries < 200 && !condition(); tries++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!condition()) throw new Error('condition not met within 2 s');
}
