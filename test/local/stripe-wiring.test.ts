/**
 * Which Stripe the local stack talks to (its environment contract, README "The local stack"), and the embedded emulator
 * wired into a running stack: catalog seeded, portal configurations synced, signed events delivered
 * to the stack's own webhook route and accepted there.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '#adapters/config';
import { createStripeClient } from '#adapters/stripe/client';
import { type LocalStack, PortInUseError, startLocalStack } from '#local/dev-server';
import { LOCAL_SECRET_KEY, LOCAL_WEBHOOK_SECRET, stripeTargetFromEnv, webhookSecretsFromEnv } from '#local/stripe-target';
import { liveModeKey } from '../helpers/live-keys';

describe('stripe target from the environment', () => {
  it.each([
    ['nothing set: the embedded emulator on 12111', {}, { kind: 'emulator', port: 12111, secretKey: LOCAL_SECRET_KEY }],
    ['an emulator port', { STRIPE_EMULATOR_PORT: '0' }, { kind: 'emulator', port: 0, secretKey: LOCAL_SECRET_KEY }],
    [
      'STRIPE_API_URL wins over a real key',
      { STRIPE_API_URL: 'http://127.0.0.1:12111/', STRIPE_SECRET_KEY: 'sk_test_abc' },
      { kind: 'url', apiUrl: 'http://127.0.0.1:12111', secretKey: 'sk_test_abc' },
    ],
    ['STRIPE_API_URL with the local key', { STRIPE_API_URL: 'http://127.0.0.1:9' }, { kind: 'url', apiUrl: 'http://127.0.0.1:9', secretKey: LOCAL_SECRET_KEY }],
    ['a real test key alone: real Stripe', { STRIPE_SECRET_KEY: 'sk_test_51abc' }, { kind: 'real', secretKey: 'sk_test_51abc' }],
    [
      'empty values count as unset',
      { STRIPE_SECRET_KEY: '', STRIPE_API_URL: '', STRIPE_EMULATOR_PORT: '' },
      { kind: 'emulator', port: 12111, secretKey: LOCAL_SECRET_KEY },
    ],
  ])('%s', (_name, env, expected) => {
    expect(stripeTargetFromEnv(env)).toEqual(expected);
  });

  it.each([
    ['a live secret key', { STRIPE_SECRET_KEY: liveModeKey('abc') }, /live-mode key/],
    ['a live restricted key', { STRIPE_SECRET_KEY: liveModeKey('abc', 'rk') }, /live-mode key/],
    ['a bad emulator port', { STRIPE_EMULATOR_PORT: 'twelve' }, /STRIPE_EMULATOR_PORT must be a port number/],
  ])('refuses %s', (_name, env, message) => {
    expect(() => stripeTargetFromEnv(env)).toThrow(message);
  });

  it.each([
    [undefined, [LOCAL_WEBHOOK_SECRET]],
    ['whsec_a', ['whsec_a']],
    ['whsec_a, whsec_b,', ['whsec_a', 'whsec_b']],
  ])('webhook secrets from %j', (value, expected) => {
    expect(webhookSecretsFromEnv(value === undefined ? {} : { STRIPE_WEBHOOK_SECRET: value })).toEqual(expected);
  });
});

describe('an emulator port that is taken', () => {
  it('fails the start with a message naming STRIPE_EMULATOR_PORT', async () => {
    const blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const { port } = blocker.address() as AddressInfo;
    const stateDir = mkdtempSync(path.join(tmpdir(), 'linkout-port-'));
    try {
      const attempt = startLocalStack({ port: 0, env: { STRIPE_EMULATOR_PORT: String(port) }, config: loadConfig({}), stateDir });
      await expect(attempt).rejects.toThrow(PortInUseError);
      await expect(attempt).rejects.toThrow(`STRIPE_EMULATOR_PORT=${port + 1}`);
    } finally {
      blocker.close();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});

describe('a stack with the embedded emulator', () => {
  const config = loadConfig({});
  let stack: LocalStack;
  let stateDir: string;

  beforeAll(async () => {
    stateDir = mkdtempSync(path.join(tmpdir(), 'linkout-wiring-'));
    stack = await startLocalStack({ port: 0, env: { STRIPE_EMULATOR_PORT: '0', STRIPE_WEBHOOK_SECRET: 'whsec_wiring_test' }, config, stateDir });
  });
  afterAll(async () => {
    await stack?.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('points the handlers at the emulator with the local key', () => {
    expect(stack.stripe.kind).toBe('emulator');
    expect(stack.emulator).toBeDefined();
    expect(stack.stripeApiUrl).toBe(stack.emulator!.url.replace(/\/+$/, ''));
    expect(process.env.STRIPE_API_URL).toBe(stack.stripeApiUrl);
    expect(process.env.STRIPE_SECRET_KEY).toBe(LOCAL_SECRET_KEY);
    expect(process.env.STRIPE_WEBHOOK_SECRET).toBe('whsec_wiring_test');
  });

  it('seeds the catalog and syncs one portal configuration per role', async () => {
    const stripe = createStripeClient({ secretKey: LOCAL_SECRET_KEY, apiUrl: stack.stripeApiUrl! });
    const prices = await stripe.prices.list({ lookup_keys: ['stock_photos_monthly'] });
    expect(prices.data.map((p) => [p.product, p.unit_amount, p.currency])).toEqual([['prod_stock_photos', 1500, 'usd']]);
    const configurations = await stripe.billingPortal.configurations.list({ limit: 100 });
    expect(configurations.data.map((c) => c.metadata?.linkout_role).sort()).toEqual(Object.keys(config.portal.roles).sort());
    expect(stack.portalSynced).toBe(true);
  });

  it("delivers the emulator's signed events to its own webhook route, which accepts them", async () => {
    const stripe = createStripeClient({ secretKey: LOCAL_SECRET_KEY, apiUrl: stack.stripeApiUrl! });
    const customer = await stripe.customers.create({ email: 'wiring@example.com' });
    await stack.emulator!.flushDeliveries();
    const delivery = stack.emulator!.deliveries().find((d) => d.type === 'customer.created' && d.status !== 'error');
    expect(delivery).toMatchObject({ status: 200 });
    expect(stack.emulator!.events().some((e) => e.type === 'customer.created' && (e.data.object as { id: string }).id === customer.id)).toBe(true);
  });

  it('closes the emulator with the stack', async () => {
    const emulatorUrl = stack.emulator!.url;
    await stack.close();
    await expect(fetch(`${emulatorUrl}/v1/customers`)).rejects.toThrow();
    await expect(fetch(`${stack.url}/healthz`)).rejects.toThrow();
  });
});
