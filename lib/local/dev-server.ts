/**
 * The local stack behind `npm start`: an HTTP server that plays API Gateway (HTTP API, payload 2.0,
 * JWT authorizer) in front of the real Lambda handlers, with embedded DynamoDB (dynalite), the
 * embedded Stripe emulator (or Stripe/stripe-mock per the environment) and the universal-link site.
 *
 * `startLocalStack` runs it all in-process on any ports (0 = free), which is what the tests use;
 * bin/dev.ts is a thin CLI around it.
 */
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { once } from 'node:events';
import { loadConfig, resetConfigCache } from '../../functions/adapters/config';
import { createStripeClient } from '../../functions/adapters/stripe/client';
import { syncPortalConfigurations } from '../../functions/adapters/stripe/portal-sync';
import { DEFAULT_LOCAL_TABLE_NAME, TABLE_NAME_ENV } from '../../functions/adapters/dynamodb/table-definition';
import type { LinkoutConfig } from '../../functions/core/config';
import { apiRoutes, type ApiRoute, type HandlerName } from '../../functions/handlers/routes';
import { buildApiGatewayEvent } from './api-gateway-event';
import { devJwtSettings, jwks, loadOrCreateSigningKey, stateDirFromEnv, verifyAuthorization, type DevJwtSettings, type DevSigningKey } from './dev-jwt';
import { ensureTable, localDynamoClient, startLocalDynamo, type LocalDynamo } from './dynamodb';
import { gatewayReplies, json, lambdaContext, replyFromLambdaResult, type HttpReply } from './lambda-bridge';
import { compileRoutes } from './route-matcher';
import { siteStaticRoutes, type StaticFile, type StaticRoutes } from './static-files';
import { startEmbeddedEmulator, stripeTargetFromEnv, webhookSecretsFromEnv, type RunningEmulator, type StripeTarget } from './stripe-target';

export type LambdaHandler = (event: unknown, context: unknown) => Promise<unknown>;

export interface LocalStackOptions {
  /** Defaults to PORT from the environment, else 3000. 0 picks a free port. */
  port?: number;
  host?: string;
  /** Source of PORT, STRIPE_*, LINKOUT_* settings. Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Configuration; defaults to loadConfig() (LINKOUT_CONFIG / LINKOUT_CONFIG_FILE / the example). */
  config?: LinkoutConfig;
  /** Directory of the dev signing key; defaults to LINKOUT_STATE_DIR or `.linkout/`. */
  stateDir?: string;
  /** Keep DynamoDB data on disk in this directory; in memory when unset. */
  dataDir?: string;
  tableName?: string;
  /** The route table; defaults to functions/handlers/routes.ts (tests pass their own). */
  routes?: readonly ApiRoute[];
  /** Replaces the handler modules (tests). Return undefined for "not implemented". */
  loadHandler?: (name: HandlerName) => LambdaHandler | undefined;
  /** Extra static routes by URL path. */
  staticFiles?: Record<string, StaticFile>;
  /** Lambda timeout given to the handlers' Context; API Gateway's own limit is 30 s. */
  lambdaTimeoutMs?: number;
  /** One line per request and notable events; silent when omitted. */
  log?: (line: string) => void;
}

export interface LocalStack {
  url: string;
  port: number;
  host: string;
  config: LinkoutConfig;
  tableName: string;
  dynamoEndpoint: string;
  stripe: StripeTarget;
  /** Base URL the handlers use for Stripe; undefined for real Stripe. */
  stripeApiUrl: string | undefined;
  webhookSecrets: string[];
  /** Whether the stack synced the portal configurations itself (the embedded emulator). */
  portalSynced: boolean;
  emulator?: RunningEmulator;
  jwt: DevJwtSettings;
  close(): Promise<void>;
}

const API_GATEWAY_TIMEOUT_MS = 30_000;
const MAX_BODY_BYTES = 10 * 1024 * 1024; // API Gateway's payload limit
const HANDLERS_DIR = path.resolve(__dirname, '../../functions/handlers');

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  const config = options.config ?? loadConfig(env);
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? portFromEnv(env);
  const stripe = stripeTargetFromEnv(env);
  const webhookSecrets = webhookSecretsFromEnv(env);
  const jwtSettings = devJwtSettings(config, env);
  const signingKey = await loadOrCreateSigningKey(options.stateDir ?? stateDirFromEnv(env));
  const tableName = options.tableName ?? env[TABLE_NAME_ENV] ?? DEFAULT_LOCAL_TABLE_NAME;
  const staticRoutes = siteStaticRoutes(config, {
    '/.well-known/jwks.json': { contentType: 'application/json', body: JSON.stringify(jwks(signingKey)), cacheControl: 'no-store' },
    ...options.staticFiles,
  });

  const modules = handlerModules();
  const state: GatewayState = {
    ready: false,
    apiReady: false,
    staticRoutes,
    matchRoute: compileRoutes(options.routes ?? apiRoutes),
    signingKey,
    jwtSettings,
    loadHandler: options.loadHandler ?? modules.load,
    lambdaTimeoutMs: options.lambdaTimeoutMs ?? API_GATEWAY_TIMEOUT_MS,
    log,
  };
  const server = createServer((req, res) => {
    handleRequest(state, req, res).catch((error: unknown) => {
      log(`unexpected server error: ${(error as Error).stack ?? String(error)}`);
      if (!res.headersSent) send(res, json(500, { message: 'Internal Server Error' }), false);
      else res.destroy();
    });
  });
  // The server listens first (answering 503 until ready) because the emulator needs its URL for webhooks.
  await listen(server, port, host, 'PORT');
  const actualPort = (server.address() as AddressInfo).port;
  const url = `http://${host}:${actualPort}`;

  const cleanups: Array<() => Promise<void>> = [async () => modules.unload(), () => closeServer(server)];
  const close = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((error: unknown) => log(`shutdown: ${(error as Error).message}`));
    }
  };
  try {
    const dynamo = await startLocalDynamo({ ...(options.dataDir && { path: options.dataDir }) });
    cleanups.push(() => dynamo.close());
    await createTable(dynamo, tableName);

    let emulator: RunningEmulator | undefined;
    let stripeApiUrl: string | undefined;
    let portalSynced = false;
    if (stripe.kind === 'emulator') {
      emulator = await startEmulatorClearly(stripe.port, config, `${url}/v1/webhooks/stripe`, webhookSecrets[0]!);
      cleanups.push(() => emulator!.close());
      stripeApiUrl = emulator.url.replace(/\/+$/, '');
    } else if (stripe.kind === 'url') {
      stripeApiUrl = stripe.apiUrl;
    }

    // Handlers read their settings from the environment at cold start: set it before any handler loads.
    const restoreEnv = applyHandlerEnv({
      [TABLE_NAME_ENV]: tableName,
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      AWS_REGION: env.AWS_REGION ?? 'local',
      STRIPE_SECRET_KEY: stripe.secretKey,
      STRIPE_WEBHOOK_SECRET: webhookSecrets.join(','),
      STRIPE_API_URL: stripeApiUrl,
      // The handlers see exactly the configuration the stack was started with.
      LINKOUT_CONFIG: JSON.stringify(config),
    });
    cleanups.push(async () => restoreEnv());
    // The API is usable from here on: the sync below makes the emulator deliver webhooks to it.
    state.apiReady = true;

    if (emulator) {
      // The emulator starts empty: give it the per-role portal configurations the handlers look up.
      // (Against real Stripe or another server that stays an explicit `npm run portal:sync`.)
      portalSynced = await syncPortalInto(createStripeClient({ secretKey: stripe.secretKey, apiUrl: stripeApiUrl! }), config, log);
    }
    state.ready = true;
    log(`local stack ready at ${url}`);
    return {
      url,
      port: actualPort,
      host,
      config,
      tableName,
      dynamoEndpoint: dynamo.endpoint,
      stripe,
      stripeApiUrl,
      webhookSecrets,
      portalSynced,
      ...(emulator && { emulator }),
      jwt: jwtSettings,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

interface GatewayState {
  /** Everything is up: /healthz answers 200. */
  ready: boolean;
  /** Handlers have their environment: requests are served (webhooks arrive during the start-up sync). */
  apiReady: boolean;
  staticRoutes: StaticRoutes;
  matchRoute: ReturnType<typeof compileRoutes<ApiRoute>>;
  signingKey: DevSigningKey;
  jwtSettings: DevJwtSettings;
  loadHandler: (name: HandlerName) => LambdaHandler | undefined;
  lambdaTimeoutMs: number;
  log: (line: string) => void;
}

async function handleRequest(state: GatewayState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = Date.now();
  const method = (req.method ?? 'GET').toUpperCase();
  const rawUrl = req.url ?? '/';
  const pathname = new URL(rawUrl, 'http://localhost').pathname;
  const reply = await answer(state, req, method, rawUrl, pathname);
  send(res, reply, method === 'HEAD');
  state.log(`${method} ${pathname} -> ${reply.statusCode} (${Date.now() - started} ms)`);
}

async function answer(state: GatewayState, req: IncomingMessage, method: string, rawUrl: string, pathname: string): Promise<HttpReply> {
  if (pathname === '/healthz') return state.ready ? json(200, { status: 'ok' }) : json(503, { status: 'starting' });
  if (!state.apiReady) return json(503, { error: { code: 'starting', message: 'The local stack is still starting.' } }, { 'retry-after': '1' });

  const file = state.staticRoutes.get(pathname);
  if (file && (method === 'GET' || method === 'HEAD')) {
    return {
      statusCode: 200,
      headers: { ...file.headers, 'content-type': file.contentType, ...(file.cacheControl && { 'cache-control': file.cacheControl }) },
      body: Buffer.isBuffer(file.body) ? file.body : Buffer.from(file.body),
    };
  }

  const match = state.matchRoute(method, pathname);
  if (!match) {
    return json(404, { error: { code: 'route_not_found', message: `No route matches ${method} ${pathname}.` } });
  }
  const body = await readBody(req);
  if (body === 'too_large') return json(413, { message: 'Request Entity Too Large' });

  let claims: Record<string, string> | undefined;
  if (match.route.authorized) {
    const verdict = await verifyAuthorization(headerValue(req, 'authorization'), state.signingKey, state.jwtSettings);
    if (!verdict.ok) {
      state.log(`401 for ${match.routeKey}: ${verdict.reason}`);
      return gatewayReplies.unauthorized(verdict.reason);
    }
    claims = verdict.claims;
  }

  let handler: LambdaHandler | undefined;
  try {
    handler = state.loadHandler(match.route.handler);
  } catch (error) {
    state.log(`handler "${match.route.handler}" failed to load: ${(error as Error).stack ?? String(error)}`);
    return gatewayReplies.internalError();
  }
  if (!handler) {
    return json(501, {
      error: {
        code: 'not_implemented',
        message: `${match.routeKey} is routed to functions/handlers/${match.route.handler}.ts, which does not export a handler yet.`,
      },
    });
  }

  const event = buildApiGatewayEvent({
    method,
    url: rawUrl,
    routeKey: match.routeKey,
    ...(match.pathParameters && { pathParameters: match.pathParameters }),
    headers: req.headers,
    ...(body.length > 0 && { body }),
    ...(claims && { claims }),
    sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
  });
  const context = lambdaContext({ functionName: `linkout-${match.route.handler}-local`, timeoutMs: state.lambdaTimeoutMs });
  return invoke(state, handler, event, context, match.routeKey);
}

async function invoke(state: GatewayState, handler: LambdaHandler, event: unknown, context: unknown, routeKey: string): Promise<HttpReply> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), state.lambdaTimeoutMs);
  });
  try {
    const result = await Promise.race([handler(event, context), timedOut]);
    if (result === 'timeout') {
      state.log(`${routeKey}: the handler did not answer within ${state.lambdaTimeoutMs} ms`);
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

/**
 * Loads functions/handlers/<name>.ts on first use (undefined while the module does not exist), as a
 * Lambda cold start would. `unload` drops the modules again so that a later stack in the same
 * process gets fresh cold starts with its own environment (under jest, which keeps its own module
 * registry, run one stack with real handlers per test file).
 */
function handlerModules(): { load: (name: HandlerName) => LambdaHandler | undefined; unload: () => void } {
  const loaded = new Map<HandlerName, { file: string; handler: LambdaHandler }>();
  return {
    load(name) {
      const cached = loaded.get(name);
      if (cached) return cached.handler;
      const file = path.join(HANDLERS_DIR, `${name}.ts`);
      if (!existsSync(file)) return undefined;
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const handler = (require(file) as { handler?: LambdaHandler }).handler;
      if (typeof handler !== 'function') return undefined;
      loaded.set(name, { file, handler });
      return handler;
    },
    unload() {
      for (const { file } of loaded.values()) delete require.cache[require.resolve(file)];
      loaded.clear();
    },
  };
}

function readBody(req: IncomingMessage): Promise<Buffer | 'too_large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
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

function portFromEnv(env: NodeJS.ProcessEnv): number {
  if (env.PORT === undefined || env.PORT === '') return 3000;
  const port = Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, not "${env.PORT}"`);
  return port;
}

async function listen(server: Server, port: number, host: string, variable: string): Promise<void> {
  server.listen(port, host);
  try {
    await once(server, 'listening');
  } catch (error) {
    throw portError(error, port, host, variable);
  }
}

export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    variable: string,
  ) {
    super(`Port ${port} is already in use (is another \`npm start\` running?). Stop that process or choose another port, e.g. ${variable}=${port + 1}.`);
    this.name = 'PortInUseError';
  }
}

function portError(error: unknown, port: number, host: string, variable: string): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return new PortInUseError(port, variable);
  if (code === 'EACCES') return new Error(`Not allowed to listen on ${host}:${port}; choose a port above 1023 with ${variable}.`);
  return error as Error;
}

async function startEmulatorClearly(port: number, config: LinkoutConfig, webhookUrl: string, webhookSecret: string): Promise<RunningEmulator> {
  try {
    return await startEmbeddedEmulator({ port, host: '127.0.0.1', config, webhookUrl, webhookSecret });
  } catch (error) {
    throw portError(error, port, '127.0.0.1', 'STRIPE_EMULATOR_PORT');
  }
}

async function syncPortalInto(stripe: ReturnType<typeof createStripeClient>, config: LinkoutConfig, log: (line: string) => void): Promise<boolean> {
  try {
    const report = await syncPortalConfigurations(stripe, config);
    log(`portal configurations synced: ${report.created.length} created, ${report.updated.length} updated, ${report.unchanged.length} unchanged`);
    return true;
  } catch (error) {
    // The rest of the stack is still useful; portal sessions will answer portal_not_configured.
    log(`portal configuration sync failed: ${(error as Error).message}`);
    return false;
  }
}

async function createTable(dynamo: LocalDynamo, tableName: string): Promise<void> {
  const client = localDynamoClient(dynamo.endpoint);
  try {
    await ensureTable(client, tableName);
  } finally {
    client.destroy();
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    // Idle keep-alive connections would otherwise hold close() open.
    server.closeAllConnections();
  });
}

/** Sets the handlers' environment and returns a function that puts the previous values back. */
function applyHandlerEnv(values: Record<string, string | undefined>): () => void {
  const previous = new Map<string, string | undefined>();
  for (const [name, value] of Object.entries(values)) {
    previous.set(name, process.env[name]);
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  resetConfigCache();
  return () => {
    for (const [name, value] of previous) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    resetConfigCache();
  };
}
