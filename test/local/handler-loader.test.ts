/**
 * Route table -> handler modules: a module is loaded on first use, once, as a Lambda cold start; a
 * route whose module is missing answers 501 not_implemented; a module that throws while loading
 * answers API Gateway's bare 500.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ApiRoute } from '#handlers/routes';
import { handlerForRoute, handlerModules, type LambdaHandler } from '#local/handler-loader';
import type { HttpReply } from '#local/lambda-bridge';
import type { RouteMatch } from '#local/route-matcher';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'linkout-handlers-'));
  // Counts its evaluations in a global, so a test can tell a cached module from a second cold start.
  writeFileSync(path.join(dir, 'webhook.ts'), 'globalThis.webhookLoads = (globalThis.webhookLoads ?? 0) + 1;\nexports.handler = async () => "from webhook";\n');
  writeFileSync(path.join(dir, 'entitlements.ts'), 'exports.somethingElse = 1;\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const match = (handler: ApiRoute['handler']): RouteMatch => ({
  route: { method: 'POST', path: `/v1/${handler}`, handler, authorized: false },
  routeKey: `POST /v1/${handler}`,
  pathParameters: undefined,
});
const body = (reply: LambdaHandler | HttpReply) => JSON.parse((reply as HttpReply).body.toString()) as unknown;

describe('handlerModules', () => {
  it('loads functions/handlers/<name>.ts once and serves its handler export', async () => {
    const modules = handlerModules(dir);
    const first = modules.load('webhook');
    expect(modules.load('webhook')).toBe(first);
    await expect(first!({}, {})).resolves.toBe('from webhook');
    expect((globalThis as { webhookLoads?: number }).webhookLoads).toBe(1);
  });

  it('has no handler for a missing module or one without a handler export', () => {
    const modules = handlerModules(dir);
    expect(modules.load('portal-sessions')).toBeUndefined();
    expect(modules.load('entitlements')).toBeUndefined();
  });
});

describe('handlerForRoute', () => {
  it('gives the loaded handler', () => {
    const handler: LambdaHandler = async () => 'ok';
    expect(
      handlerForRoute(
        () => handler,
        match('webhook'),
        () => {},
      ),
    ).toBe(handler);
  });

  it('answers 501 not_implemented naming the module while it is missing', () => {
    const reply = handlerForRoute(
      () => undefined,
      match('portal-sessions'),
      () => {},
    ) as HttpReply;
    expect(reply.statusCode).toBe(501);
    expect(body(reply)).toEqual({
      error: {
        code: 'not_implemented',
        message: 'POST /v1/portal-sessions is routed to functions/handlers/portal-sessions.ts, which does not export a handler yet.',
      },
    });
  });

  it("answers API Gateway's bare 500 when the module throws while loading, and logs why", () => {
    const lines: string[] = [];
    const reply = handlerForRoute(
      () => {
        throw new Error('LINKOUT_CONFIG is invalid');
      },
      match('webhook'),
      (line) => lines.push(line),
    ) as HttpReply;
    expect(reply.statusCode).toBe(500);
    expect(body(reply)).toEqual({ message: 'Internal Server Error' });
    expect(lines.join('\n')).toContain('handler "webhook" failed to load: Error: LINKOUT_CONFIG is invalid');
  });
});
