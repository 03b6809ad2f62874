/**
 * Stripe failures as the app sees them. A small proxy in front of the emulator answers chosen
 * requests with the failure (a real HTTP response, so stripe-node raises its real typed errors);
 * everything else reaches the emulator.
 */
import { once } from 'node:events';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Stripe from 'stripe';
import { createStripeClient } from '#adapters/stripe/client';
import { useLocalDynamo } from '../helpers/dynamodb';
import { TEST_SECRET_KEY, useStripeEmulator } from '../helpers/stripe';
import { contractProblems } from './portal-contract';
import { owner, usePortalHarness } from './portal-harness';

interface Fault {
  method: string;
  path: RegExp;
  /** 'hang' never answers (a timeout); 'reset' drops the connection. */
  reply: { status: number; body: unknown; headers?: Record<string, string> } | 'hang' | 'reset';
}

function faultProxy(upstream: () => string) {
  let fault: Fault | undefined;
  let server: Server;
  const handle = { url: '', inject: (next: Fault | undefined) => (fault = next) };
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (fault && req.method === fault.method && fault.path.test(req.url ?? '')) {
        if (fault.reply === 'hang') return;
        if (fault.reply === 'reset') return void req.socket.destroy();
        res.writeHead(fault.reply.status, { 'content-type': 'application/json', ...fault.reply.headers });
        return void res.end(JSON.stringify(fault.reply.body));
      }
      const target = new URL(req.url ?? '/', upstream());
      const forward = httpRequest(target, { method: req.method, headers: req.headers }, (upstream) => {
        res.writeHead(upstream.statusCode ?? 502, upstream.headers);
        upstream.pipe(res);
      });
      req.pipe(forward);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    handle.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(() => handle.inject(undefined));
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return handle;
}

describe('Stripe failures map to clear API errors', () => {
  const db = useLocalDynamo();
  const emu = useStripeEmulator();
  const portal = usePortalHarness(db, emu);
  const proxy = faultProxy(() => emu.emulator.url);
  let viaProxy: () => Stripe;
  beforeAll(() => {
    // No retries and a short timeout: the tests see each failure once.
    const client = createStripeClient({ secretKey: TEST_SECRET_KEY, apiUrl: proxy.url, maxNetworkRetries: 0, timeoutMs: 500 });
    viaProxy = () => client;
  });

  const sessionCreate = { method: 'POST', path: /^\/v1\/billing_portal\/sessions/ };
  const stripeError = (type: string, message: string, code?: string) => ({ error: { type, message, ...(code && { code }) } });

  it.each([
    [
      'a 429 rate limit -> 429 with Retry-After',
      { status: 429, body: stripeError('invalid_request_error', 'Too many requests', 'rate_limit'), headers: { 'retry-after': '7' } },
      429,
      'stripe_rate_limited',
      '7',
    ],
    [
      'a 429 without Retry-After -> 429 with a default Retry-After',
      { status: 429, body: stripeError('invalid_request_error', 'Too many requests', 'rate_limit') },
      429,
      'stripe_rate_limited',
      '2',
    ],
    ['a 500 -> 502', { status: 500, body: stripeError('api_error', 'Internal error') }, 502, 'stripe_failed', undefined],
    ['a 503 -> 502', { status: 503, body: stripeError('api_error', 'Service unavailable') }, 502, 'stripe_failed', undefined],
    [
      "a 400 Stripe rejected -> 502 with Linkout's message, Stripe's in the log",
      { status: 400, body: stripeError('invalid_request_error', 'No such configuration', 'resource_missing') },
      502,
      'stripe_rejected',
      undefined,
    ],
    [
      'a 401 bad API key -> 502',
      { status: 401, body: stripeError('invalid_request_error', 'Invalid API Key provided') },
      502,
      'stripe_rejected_credentials',
      undefined,
    ],
    ['a timeout -> 503', 'hang' as const, 503, 'stripe_unreachable', '2'],
    ['a dropped connection -> 503', 'reset' as const, 503, 'stripe_unreachable', '2'],
  ])('%s', async (_name, reply, status, code, retryAfter) => {
    await portal.post(owner('team-faults'), undefined, viaProxy); // customer and configuration cache warm
    proxy.inject({ ...sessionCreate, reply });
    const response = await portal.post(owner('team-faults'), undefined, viaProxy);
    expect(response.status).toBe(status);
    expect(response.body).toEqual({ error: { code, message: expect.stringContaining('creating the portal session') } });
    expect(response.headers['retry-after']).toBe(retryAfter);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(contractProblems('POST', '/v1/portal-sessions', response)).toEqual([]);
  });

  it('never leaks the API key in an error message', async () => {
    proxy.inject({ ...sessionCreate, reply: { status: 401, body: stripeError('invalid_request_error', `Invalid API Key provided: ${TEST_SECRET_KEY}`) } });
    const response = await portal.post(owner('team-faults'), undefined, viaProxy);
    expect(response.status).toBe(502);
    expect(JSON.stringify(response.body)).not.toContain(TEST_SECRET_KEY);
  });

  it('a configuration that is not synced yet -> 503 portal_not_configured', async () => {
    proxy.inject({
      method: 'GET',
      path: /^\/v1\/billing_portal\/configurations/,
      reply: { status: 200, body: { object: 'list', data: [], has_more: false, url: '/v1/billing_portal/configurations' } },
    });
    // A fresh handler: its per-container cache is empty.
    const fresh = createStripeClient({ secretKey: TEST_SECRET_KEY, apiUrl: proxy.url, maxNetworkRetries: 0 });
    const response = await portal.post(owner('team-faults'), undefined, () => fresh);
    expect(response.status).toBe(503);
    expect(response.body.error).toEqual({ code: 'portal_not_configured', message: expect.stringContaining('npm run portal:sync') });
    expect(contractProblems('POST', '/v1/portal-sessions', response)).toEqual([]);
  });

  it('a rate-limited customer creation -> 429, and the retry creates one customer', async () => {
    proxy.inject({
      method: 'POST',
      path: /^\/v1\/customers$/,
      reply: { status: 429, body: stripeError('invalid_request_error', 'Too many requests', 'rate_limit') },
    });
    const throttled = await portal.post(owner('team-throttled'), undefined, viaProxy);
    expect([throttled.status, throttled.body.error.code]).toEqual([429, 'stripe_rate_limited']);
    expect(await portal.links.customerForAccount('team-throttled')).toBeUndefined();
    proxy.inject(undefined);
    expect((await portal.post(owner('team-throttled'), undefined, viaProxy)).status).toBe(201);
    const customers = await emu.stripe.customers.search({ query: "metadata['app_account_id']:'team-throttled'" });
    expect(customers.data).toHaveLength(1);
  });
});
