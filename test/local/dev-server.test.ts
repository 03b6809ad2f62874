/**
 * The local API Gateway in front of handlers: authorizer, event and result translation, static
 * site, health and errors. Handlers are injected recorders here (the real ones have their own
 * tests); DynamoDB is a real dynalite. These tests never call Stripe, so STRIPE_API_URL points at
 * a placeholder instead of starting the emulator.
 */

import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { loadConfig } from '#adapters/config';
import type { HttpEvent } from '#adapters/http/middleware';
import { parseConfig } from '#core/config-validation';
import { buildAppleAppSiteAssociation, buildAssetLinks, SITE_CONTENT_SECURITY_POLICY } from '#core/site';
import type { ApiRoute, HandlerName } from '#handlers/routes';
import { devJwtSettings, issueDevToken, loadOrCreateSigningKey } from '#local/dev-jwt';
import { type LambdaHandler, type LocalStack, PortInUseError, startLocalStack } from '#local/dev-server';
import { localDynamoClient } from '#local/dynamodb';
import { createGatewayServer, gatewayState } from '#local/gateway';
import { siteStaticRoutes } from '#local/static-files';
import { liveModeKey } from '../helpers/live-keys';

const config = loadConfig({});
const routes: ApiRoute[] = [
  { method: 'POST', path: '/v1/webhooks/stripe', handler: 'webhook', authorized: false },
  { method: 'GET', path: '/v1/entitlements', handler: 'entitlements', authorized: true },
  { method: 'POST', path: '/v1/subscriptions/{id}/pause', handler: 'portal-sessions', authorized: true },
];

interface Invocation {
  event: HttpEvent;
  context: Record<string, unknown> & { getRemainingTimeInMillis(): number };
}
const invocations: Invocation[] = [];
/** What the recorder handler answers next; by default it echoes the event. */
let nextResult: ((event: HttpEvent) => unknown) | undefined;
const recorder: LambdaHandler = async (event, context) => {
  invocations.push({ event: event as HttpEvent, context: context as Invocation['context'] });
  if (nextResult) return nextResult(event as HttpEvent);
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ echoed: true }) };
};
const implemented = new Set<HandlerName>(['webhook', 'entitlements']);

let stack: LocalStack;
let stateDir: string;
const token = async (claims: Record<string, unknown> = {}) =>
  issueDevToken(
    await loadOrCreateSigningKey(stateDir),
    { issuer: config.auth.issuer, audience: config.auth.audience, accountClaim: 'sub', roleClaim: 'role' },
    { sub: 'user_1', role: 'owner', claims },
  );

beforeAll(async () => {
  stateDir = mkdtempSync(path.join(tmpdir(), 'linkout-dev-'));
  stack = await startLocalStack({
    port: 0,
    env: { STRIPE_API_URL: 'http://127.0.0.1:9' },
    config,
    stateDir,
    routes,
    loadHandler: (name) => (implemented.has(name) ? recorder : undefined),
  });
});
afterAll(async () => {
  await stack?.close();
  rmSync(stateDir, { recursive: true, force: true });
});
beforeEach(() => {
  invocations.length = 0;
  nextResult = undefined;
});

const call = (pathAndQuery: string, init: RequestInit = {}) => fetch(`${stack.url}${pathAndQuery}`, { redirect: 'manual', ...init });

describe('health and unknown routes', () => {
  it('answers /healthz with 200 ok once ready', async () => {
    const response = await call('/healthz');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it.each([
    ['GET', '/v1/nothing-here'],
    ['DELETE', '/v1/entitlements'],
    ['GET', '/v1/webhooks/stripe'],
  ])('%s %s -> 404 route_not_found in the v1 error shape', async (method, urlPath) => {
    const response = await call(urlPath, { method });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: 'route_not_found', message: expect.stringContaining(urlPath) } });
  });

  it('answers 501 not_implemented for a route whose handler module does not exist yet', async () => {
    const response = await call('/v1/subscriptions/sub_1/pause', { method: 'POST', headers: { authorization: `Bearer ${await token()}` } });
    expect(response.status).toBe(501);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('not_implemented');
  });
});

describe('JWT authorizer', () => {
  const now = () => Math.floor(Date.now() / 1000);
  it.each([
    ['missing', async () => undefined],
    ['garbage', async () => 'Bearer garbage'],
    ['expired', async () => `Bearer ${await token({ exp: now() - 5, nbf: now() - 60, iat: now() - 60 })}`],
    ['from another issuer', async () => `Bearer ${await token({ iss: 'https://other.example' })}`],
    ['for another audience', async () => `Bearer ${await token({ aud: 'other-app' })}`],
    [
      'signed with another key',
      async () => {
        const foreign = await loadOrCreateSigningKey(path.join(stateDir, 'foreign'));
        return `Bearer ${await issueDevToken(foreign, { issuer: config.auth.issuer, audience: config.auth.audience, accountClaim: 'sub', roleClaim: 'role' }, { sub: 'user_1' })}`;
      },
    ],
  ])('a %s token -> 401 {"message":"Unauthorized"} without calling the handler', async (_name, header) => {
    const authorization = await header();
    const response = await call('/v1/entitlements', { headers: authorization ? { authorization } : {} });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ message: 'Unauthorized' });
    expect(invocations).toHaveLength(0);
  });

  it("passes a valid token's claims to the handler as strings, with the route key", async () => {
    const response = await call('/v1/entitlements', { headers: { authorization: `Bearer ${await token()}` } });
    expect(response.status).toBe(200);
    expect(invocations).toHaveLength(1);
    const { event } = invocations[0]!;
    expect(event.routeKey).toBe('GET /v1/entitlements');
    expect(event.requestContext.authorizer?.jwt?.claims).toMatchObject({ sub: 'user_1', role: 'owner', iss: config.auth.issuer, aud: 'lumen-photos-ios' });
    expect(typeof event.requestContext.authorizer?.jwt?.claims.exp).toBe('string');
  });

  it('does not guard the webhook route', async () => {
    const response = await call('/v1/webhooks/stripe', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(200);
    expect(invocations[0]!.event.requestContext.authorizer).toBeUndefined();
  });

  it('publishes a JWKS that verifies the tokens it accepts', async () => {
    const jwks = (await (await call('/.well-known/jwks.json')).json()) as Parameters<typeof createLocalJWKSet>[0];
    const { payload } = await jwtVerify(await token(), createLocalJWKSet(jwks), { issuer: config.auth.issuer });
    expect(payload.sub).toBe('user_1');
  });
});

describe('request -> API Gateway v2 event', () => {
  it('keeps a binary body byte for byte (base64-encoded in the event)', async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255, 10, 13]);
    await call('/v1/webhooks/stripe', { method: 'POST', body: bytes, headers: { 'content-type': 'application/octet-stream' } });
    const { event } = invocations[0]!;
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body!, 'base64').equals(bytes)).toBe(true);
  });

  it('passes a JSON body as text, verbatim (signatures depend on it)', async () => {
    const raw = '{"id": "evt_1",  "type":"customer.created"}';
    await call('/v1/webhooks/stripe', { method: 'POST', body: raw, headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=abc' } });
    const { event } = invocations[0]!;
    expect(event.isBase64Encoded).toBe(false);
    expect(event.body).toBe(raw);
    expect(event.headers['stripe-signature']).toBe('t=1,v1=abc');
  });

  it('splits the query string as API Gateway does (repeated keys joined by commas)', async () => {
    await call('/v1/entitlements?a=1&a=2&b=x%20y', { headers: { authorization: `Bearer ${await token()}` } });
    const { event } = invocations[0]!;
    expect(event.rawQueryString).toBe('a=1&a=2&b=x%20y');
    expect(event.queryStringParameters).toEqual({ a: '1,2', b: 'x y' });
  });

  it('moves request cookies to event.cookies', async () => {
    await call('/v1/entitlements', { headers: { authorization: `Bearer ${await token()}`, cookie: 'a=1; b=2' } });
    const { event } = invocations[0]!;
    expect(event.cookies).toEqual(['a=1', 'b=2']);
    expect(event.headers.cookie).toBeUndefined();
  });

  it('matches path parameters into the route key and pathParameters', async () => {
    implemented.add('portal-sessions');
    try {
      await call('/v1/subscriptions/sub_%41BC/pause', { method: 'POST', headers: { authorization: `Bearer ${await token()}` } });
    } finally {
      implemented.delete('portal-sessions');
    }
    const { event } = invocations[0]!;
    expect(event.routeKey).toBe('POST /v1/subscriptions/{id}/pause');
    expect(event.pathParameters).toEqual({ id: 'sub_ABC' });
  });

  it('gives the handler a Lambda context with a request id and remaining time', async () => {
    await call('/v1/webhooks/stripe', { method: 'POST', body: '{}' });
    const { context } = invocations[0]!;
    expect(context.functionName).toBe('linkout-webhook-local');
    expect(context.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
  });
});

describe('handler result -> HTTP response', () => {
  const webhook = () => call('/v1/webhooks/stripe', { method: 'POST', body: '{}' });

  it('decodes a base64 body and keeps status and headers', async () => {
    nextResult = () => ({
      statusCode: 202,
      headers: { 'Content-Type': 'image/png', 'X-Extra': 7 },
      body: Buffer.from([137, 80, 78, 71]).toString('base64'),
      isBase64Encoded: true,
    });
    const response = await webhook();
    expect(response.status).toBe(202);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(response.headers.get('x-extra')).toBe('7');
    expect(Buffer.from(await response.arrayBuffer())).toEqual(Buffer.from([137, 80, 78, 71]));
  });

  it('turns cookies into one Set-Cookie header each', async () => {
    nextResult = () => ({ statusCode: 200, cookies: ['a=1; Path=/', 'b=2; HttpOnly'], body: '' });
    const response = await webhook();
    expect(response.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; HttpOnly']);
  });

  it.each([
    ['a string', 'hello', 'hello'],
    ['an object without statusCode', { ok: 1 }, '{"ok":1}'],
  ])('answers %s as a 200 JSON body, as payload format 2.0 does', async (_name, result, body) => {
    nextResult = () => result;
    const response = await webhook();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.text()).toBe(body);
  });

  it("answers a thrown error with API Gateway's bare 500", async () => {
    nextResult = () => {
      throw new Error('secret detail');
    };
    const response = await webhook();
    expect(response.status).toBe(500);
    expect(await response.text()).toBe('{"message":"Internal Server Error"}');
  });
});

describe('static site files', () => {
  it.each([
    ['/.well-known/apple-app-site-association', 'application/json'],
    ['/apple-app-site-association', 'application/json'],
    ['/.well-known/assetlinks.json', 'application/json'],
    ['/portal_redirect', 'text/html; charset=utf-8'],
    ['/checkout_redirect', 'text/html; charset=utf-8'],
    ['/checkout_redirect/success', 'text/html; charset=utf-8'],
    ['/checkout_redirect/cancel', 'text/html; charset=utf-8'],
    ['/checkout_redirect/return', 'text/html; charset=utf-8'],
  ])('%s -> 200 %s, never a redirect', async (urlPath, contentType) => {
    const response = await call(urlPath);
    expect(response.status).toBe(200);
    expect(response.headers.get('location')).toBeNull();
    expect(response.headers.get('content-type')).toBe(contentType);
    expect(response.headers.get('content-security-policy')).toBe(SITE_CONTENT_SECURITY_POLICY);
    expect((await response.text()).length).toBeGreaterThan(0);
  });

  it('serves the AASA generated from configuration', async () => {
    const aasa = (await (await call('/.well-known/apple-app-site-association')).json()) as ReturnType<typeof buildAppleAppSiteAssociation>;
    expect(aasa).toEqual(buildAppleAppSiteAssociation(config));
    expect(aasa.applinks.details[0]!.appIDs).toEqual(['A1B2C3D4E5.com.lumenphotos.app']);
  });

  it("serves assetlinks.json generated from the configuration's Android app", async () => {
    const assetLinks = (await (await call('/.well-known/assetlinks.json')).json()) as ReturnType<typeof buildAssetLinks>;
    expect(assetLinks).toEqual(buildAssetLinks(config.app.android!));
    expect(assetLinks[0]!.target.package_name).toBe('com.lumenphotos.app');
  });

  it('answers 404 at /.well-known/assetlinks.json when no Android app is configured', async () => {
    const raw = structuredClone(config) as { app: { android?: unknown } };
    delete raw.app.android;
    const withoutAndroid = parseConfig(raw);
    const state = gatewayState({
      staticRoutes: siteStaticRoutes(withoutAndroid),
      routes,
      signingKey: await loadOrCreateSigningKey(stateDir),
      jwtSettings: devJwtSettings(withoutAndroid, {}),
      loadHandler: () => recorder,
      lambdaTimeoutMs: 1000,
      log: () => {},
    });
    state.apiReady = true;
    const server = createGatewayServer(state).listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const missing = await fetch(`${base}/.well-known/assetlinks.json`, { redirect: 'manual' });
      expect(missing.status).toBe(404);
      expect(missing.headers.get('location')).toBeNull();
      // The same server still serves the AASA: only the Android file is absent.
      expect((await fetch(`${base}/.well-known/apple-app-site-association`)).status).toBe(200);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('serves the fallback page query string through to the app link (a real browser runs the page)', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await browser.newPage();
      // The page opens the app link itself; Chromium has no app for the scheme and reports the attempt as a failed request.
      const appLinkAttempt = page.waitForEvent('requestfailed', (request) => request.url().startsWith('lumenphotos:'));
      await page.goto(`${stack.url}/portal_redirect?session=bps_123&status=done`, { waitUntil: 'commit' });
      expect((await appLinkAttempt).url()).toBe('lumenphotos://portal_redirect?session=bps_123&status=done');
      await expect(page.getAttribute('#open-app', 'href')).resolves.toBe('lumenphotos://portal_redirect?session=bps_123&status=done');
      await expect(page.textContent('#open-app')).resolves.toBe('Open Lumen Photos');
      // The style sheet applied too: the policy's hashes match what the page carries.
      await expect(page.evaluate('getComputedStyle(document.getElementById("open-app")).backgroundColor')).resolves.toBe('rgb(10, 102, 255)');
    } finally {
      await browser.close();
    }
  });
});

describe('stack wiring', () => {
  it('creates the table in the embedded DynamoDB and hands its location to the handlers', async () => {
    expect(process.env.TABLE_NAME).toBe(stack.tableName);
    expect(process.env.DYNAMODB_ENDPOINT).toBe(stack.dynamoEndpoint);
    expect(process.env.STRIPE_API_URL).toBe('http://127.0.0.1:9');
    expect(process.env.STRIPE_WEBHOOK_SECRET).toMatch(/^whsec_linkout_local_/);
    // The handlers get the stack's configuration, with Stripe's return URLs on the stack itself.
    expect(JSON.parse(process.env.LINKOUT_CONFIG!)).toEqual({ ...config, app: { ...config.app, siteUrl: stack.url } });
    const client = localDynamoClient(stack.dynamoEndpoint);
    try {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: stack.tableName }));
      expect(Table?.KeySchema?.map((k) => k.AttributeName)).toEqual(['pk', 'sk']);
    } finally {
      client.destroy();
    }
  });

  it('fails with a clear message when the port is taken', async () => {
    const blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const { port } = blocker.address() as AddressInfo;
    try {
      const attempt = startLocalStack({ port, env: { STRIPE_API_URL: 'http://127.0.0.1:9' }, config, stateDir });
      await expect(attempt).rejects.toThrow(PortInUseError);
      await expect(attempt).rejects.toThrow(`Port ${port} is already in use`);
    } finally {
      blocker.close();
    }
  });

  it("answers API Gateway's 503 when a handler outlives its timeout", async () => {
    const slow = await startLocalStack({
      port: 0,
      env: { STRIPE_API_URL: 'http://127.0.0.1:9' },
      config,
      stateDir,
      routes,
      lambdaTimeoutMs: 200,
      loadHandler: () => () => new Promise(() => {}),
    });
    try {
      const response = await fetch(`${slow.url}/v1/webhooks/stripe`, { method: 'POST', body: '{}' });
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ message: 'Service Unavailable' });
    } finally {
      await slow.close();
    }
  });

  it('refuses a live-mode Stripe key', async () => {
    await expect(startLocalStack({ port: 0, env: { STRIPE_SECRET_KEY: liveModeKey('123') }, config, stateDir })).rejects.toThrow(/live-mode key/);
  });
});
