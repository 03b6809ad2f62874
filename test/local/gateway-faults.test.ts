/**
 * Issue 12, F6, F7 and the gateway "also" item: what the local API Gateway answers before any
 * handler runs, as API Gateway would. Handlers are an injected recorder; no Stripe, no DynamoDB.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ApiRoute } from '#handlers/routes';
import { type DevJwtSettings, issueDevToken, loadOrCreateSigningKey } from '#local/dev-jwt';
import { createGatewayServer, gatewayState } from '#local/gateway';

const routes: ApiRoute[] = [
  { method: 'POST', path: '/v1/webhooks/stripe', handler: 'webhook', authorized: false },
  { method: 'POST', path: '/v1/portal-sessions', handler: 'portal-sessions', authorized: true },
];
const jwtSettings: DevJwtSettings = { issuer: 'https://issuer.test', audience: ['linkout-test'], accountClaim: 'sub', roleClaim: 'role' };
let invocations = 0;
let server: Server;
let port: number;
let stateDir: string;
let validToken: string;

beforeAll(async () => {
  stateDir = mkdtempSync(path.join(tmpdir(), 'linkout-gateway-faults-'));
  const signingKey = await loadOrCreateSigningKey(stateDir);
  validToken = await issueDevToken(signingKey, jwtSettings, { sub: 'user_1', role: 'owner' });
  const state = gatewayState({
    staticRoutes: new Map(),
    routes,
    signingKey,
    jwtSettings,
    loadHandler: () => async () => {
      invocations += 1;
      return { statusCode: 200, body: '{}' };
    },
    lambdaTimeoutMs: 5_000,
    log: () => undefined,
  });
  state.ready = true;
  state.apiReady = true;
  server = createGatewayServer(state);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(stateDir, { recursive: true, force: true });
});
beforeEach(() => {
  invocations = 0;
});

/** A raw HTTP/1.1 request, so the request target reaches the gateway exactly as written. */
function rawRequest(target: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    });
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString();
    });
    socket.on('end', () => resolve({ status: Number(text.split(' ')[1]), text }));
    socket.on('error', reject);
  });
}

function post(
  pathname: string,
  body: Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: pathname, method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.on('data', (chunk) => {
        text += chunk.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    // The gateway may answer and close before the whole body is sent: that is the point of some cases.
    req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error)));
    req.end(body);
  });
}

describe('F6: an unparseable request target', () => {
  it.each(['http://%zz/', '/%zz', '/v1/webhooks/%zz'])('%s -> 400 in API Gateway style, not 500', async (target) => {
    const response = await rawRequest(target);
    expect(response.status).toBe(400);
    expect(response.text).toContain('{"message":"Bad Request"}');
    expect(invocations).toBe(0);
  });
});

describe("F7: the authorizer's 401", () => {
  it('carries Cache-Control: no-store', async () => {
    const response = await post('/v1/portal-sessions', Buffer.from('{}'));
    expect(response.status).toBe(401);
    expect(response.headers['cache-control']).toBe('no-store');
  });
});

describe('body limits and order', () => {
  it('refuses an unauthenticated caller with 401 before reading its body', async () => {
    // 9 MB announced, 1 KB sent and the rest held back: only a gateway that answers on the headers replies.
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port, path: '/v1/portal-sessions', method: 'POST', headers: { 'content-length': String(9 * 1024 * 1024) } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
          req.destroy();
        },
      );
      req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? undefined : reject(error)));
      req.write(Buffer.alloc(1024, 0x20));
    });
    expect(status).toBe(401);
    expect(invocations).toBe(0);
  }, 5_000);

  it("refuses a 6.5 MB webhook with 413, as Lambda's 6 MB invocation limit would", async () => {
    const response = await post('/v1/webhooks/stripe', Buffer.alloc(6.5 * 1024 * 1024, 0x20));
    expect([response.status, JSON.parse(response.text)]).toEqual([413, { message: 'Request Too Long' }]);
    expect(invocations).toBe(0);
  });

  it("refuses more than API Gateway's 10 MB with 413", async () => {
    const response = await post('/v1/webhooks/stripe', Buffer.alloc(10 * 1024 * 1024 + 1, 0x20));
    expect(response.status).toBe(413);
    expect(invocations).toBe(0);
  });

  it('still passes a small webhook and an authorized request to the handler', async () => {
    expect((await post('/v1/webhooks/stripe', Buffer.from('{}'))).status).toBe(200);
    expect((await post('/v1/portal-sessions', Buffer.from('{}'), { authorization: `Bearer ${validToken}` })).status).toBe(200);
    expect(invocations).toBe(2);
  });
});
