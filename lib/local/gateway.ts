/**
 * The local API Gateway (HTTP API, payload format 2.0): one request -> the static site or a route ->
 * the JWT authorizer -> an API Gateway v2 event -> the Lambda handler -> the HTTP response API
 * Gateway would send, including its own answers when the integration fails.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ApiRoute } from '#handlers/routes';
import { buildApiGatewayEvent } from './api-gateway-event';
import { type Claims, type DevJwtSettings, type DevSigningKey, verifyAuthorization } from './dev-jwt';
import { handlerForRoute, type LambdaHandler, type LoadHandler } from './handler-loader';
import { gatewayReplies, type HttpReply, json, lambdaContext, replyFromLambdaResult } from './lambda-bridge';
import { compileRoutes, type RouteMatch } from './route-matcher';
import type { StaticFile, StaticRoutes } from './static-files';

/** API Gateway's request limit; beyond it API Gateway answers 413 before anything runs. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;
/**
 * Lambda's synchronous invocation payload limit (6 MB): API Gateway accepts a request up to 10 MB,
 * but an event larger than this fails the invoke and the caller gets 413 "Request Too Long", so a
 * webhook that AWS would refuse is refused locally too.
 */
const MAX_EVENT_BYTES = 6 * 1024 * 1024;

export interface GatewayState {
  /** Everything is up: /healthz answers 200. */
  ready: boolean;
  /** Handlers have their environment: requests are served (webhooks arrive during the start-up sync). */
  apiReady: boolean;
  staticRoutes: StaticRoutes;
  matchRoute: (method: string, pathname: string) => RouteMatch | undefined;
  signingKey: DevSigningKey;
  jwtSettings: DevJwtSettings;
  loadHandler: LoadHandler;
  lambdaTimeoutMs: number;
  log: (line: string) => void;
}

export interface GatewaySettings extends Omit<GatewayState, 'ready' | 'apiReady' | 'matchRoute'> {
  routes: readonly ApiRoute[];
}

/** The gateway's initial state: not ready, answering 503 until the stack sets `apiReady` and `ready`. */
export function gatewayState(settings: GatewaySettings): GatewayState {
  const { routes, ...rest } = settings;
  return { ...rest, ready: false, apiReady: false, matchRoute: compileRoutes(routes) };
}

export function createGatewayServer(state: GatewayState): Server {
  return createServer(gatewayListener(state));
}

/** The gateway as a request listener, for a server that also answers something else (the bench's webhook workers). */
export function gatewayListener(state: GatewayState): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handleRequest(state, req, res).catch((error: unknown) => {
      state.log(`unexpected server error: ${(error as Error).stack ?? String(error)}`);
      if (!res.headersSent) send(res, gatewayReplies.internalError(), false);
      else res.destroy();
    });
  };
}

interface GatewayRequest {
  req: IncomingMessage;
  method: string;
  /** Path and query as received. */
  rawUrl: string;
  pathname: string;
}

async function handleRequest(state: GatewayState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = Date.now();
  const rawUrl = req.url ?? '/';
  const method = (req.method ?? 'GET').toUpperCase();
  const pathname = pathnameOf(rawUrl);
  if (pathname === undefined) {
    // An unparseable request target is the client's mistake: API Gateway answers its own 400.
    send(res, json(400, { message: 'Bad Request' }), method === 'HEAD');
    state.log(`${method} <unparseable target> -> 400 (${Date.now() - started} ms)`);
    return;
  }
  const request: GatewayRequest = { req, method, rawUrl, pathname };
  const reply = await replyTo(state, request);
  send(res, reply, request.method === 'HEAD');
  state.log(`${request.method} ${request.pathname} -> ${reply.statusCode} (${Date.now() - started} ms)`);
}

/** The request target's path, decodable as the route matcher and the event need it; undefined when it is not. */
function pathnameOf(rawUrl: string): string | undefined {
  try {
    const { pathname } = new URL(rawUrl, 'http://localhost');
    decodeURIComponent(pathname);
    return pathname;
  } catch {
    return undefined;
  }
}

async function replyTo(state: GatewayState, request: GatewayRequest): Promise<HttpReply> {
  const { method, pathname } = request;
  if (pathname === '/healthz') return state.ready ? json(200, { status: 'ok' }) : json(503, { status: 'starting' });
  if (!state.apiReady) return json(503, { error: { code: 'starting', message: 'The local stack is still starting.' } }, { 'retry-after': '1' });

  const file = state.staticRoutes.get(pathname);
  if (file && (method === 'GET' || method === 'HEAD')) return staticReply(file);

  const match = state.matchRoute(method, pathname);
  if (!match) return json(404, { error: { code: 'route_not_found', message: `No route matches ${method} ${pathname}.` } });
  return routeReply(state, request, match);
}

function staticReply(file: StaticFile): HttpReply {
  return {
    statusCode: 200,
    headers: { ...file.headers, 'content-type': file.contentType, ...(file.cacheControl && { 'cache-control': file.cacheControl }) },
    body: Buffer.isBuffer(file.body) ? file.body : Buffer.from(file.body),
  };
}

/**
 * A matched API route: the authorizer on the headers alone (an unauthenticated caller never gets a
 * body read), then API Gateway's 10 MB limit, then Lambda's 6 MB event limit, then the integration.
 */
async function routeReply(state: GatewayState, request: GatewayRequest, match: RouteMatch): Promise<HttpReply> {
  let claims: Claims | undefined;
  if (match.route.authorized) {
    const verdict = await verifyAuthorization(headerValue(request.req, 'authorization'), state.signingKey, state.jwtSettings);
    if (!verdict.ok) {
      state.log(`401 for ${match.routeKey}: ${verdict.reason}`);
      const refused = gatewayReplies.unauthorized(verdict.reason);
      // Shared caches and browsers must not keep a refusal: the next request may carry a valid token.
      return { ...refused, headers: { ...refused.headers, 'cache-control': 'no-store' } };
    }
    claims = verdict.claims;
  }

  const body = await readBody(request.req);
  if (body === 'too_large') return json(413, { message: 'Request Entity Too Large' });

  const handler = handlerForRoute(state.loadHandler, match, state.log);
  if (typeof handler !== 'function') return handler;

  const event = buildApiGatewayEvent({
    method: request.method,
    url: request.rawUrl,
    routeKey: match.routeKey,
    ...(match.pathParameters && { pathParameters: match.pathParameters }),
    headers: request.req.headers,
    ...(body.length > 0 && { body }),
    ...(claims && { claims }),
    sourceIp: request.req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
  });
  if (Buffer.byteLength(JSON.stringify(event)) > MAX_EVENT_BYTES) {
    state.log(`${match.routeKey}: the event exceeds Lambda's ${MAX_EVENT_BYTES}-byte invocation payload limit`);
    return json(413, { message: 'Request Too Long' });
  }
  const context = lambdaContext({ functionName: `linkout-${match.route.handler}-local`, timeoutMs: state.lambdaTimeoutMs });
  return invoke(state, handler, event, context, match.routeKey);
}

/** One invocation with the Lambda timeout: a result becomes API Gateway's response, a failure its bare 5xx. */
async function invoke(state: GatewayState, handler: LambdaHandler, event: unknown, context: unknown, routeKey: string): Promise<HttpReply> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), state.lambdaTimeoutMs);
  });
  try {
    const result = await Promise.race([handler(event, context), timedOut]);
    if (result === 'timeout') {
      state.log(`${routeKey}: the handler did not return within ${state.lambdaTimeoutMs} ms`);
      return gatewayReplies.timeout();
    }
    return replyFromLambdaResult(result);
  } catch (error) {
    // A thrown error is a failed invocation: API Gateway answers a bare 500 and the details stay in the log.
    state.log(`${routeKey}: handler threw: ${(error as Error).stack ?? String(error)}`);
    return gatewayReplies.internalError();
  } finally {
    clearTimeout(timer);
  }
}

function readBody(req: IncomingMessage): Promise<Buffer | 'too_large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    const declared = Number(req.headers['content-length']);
    if (declared > MAX_BODY_BYTES) {
      // Refused on the declared length alone, without reading 10 MB first.
      resolve('too_large');
      return;
    }
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? 'too_large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function send(res: ServerResponse, reply: HttpReply, headOnly: boolean): void {
  res.writeHead(reply.statusCode, { ...reply.headers, 'content-length': String(reply.body.length) });
  res.end(headOnly ? undefined : reply.body);
}
