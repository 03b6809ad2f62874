/**
 * The local stack behind `npm start`: the local API Gateway (./gateway.ts) in front of the real
 * Lambda handlers (./handler-loader.ts), with embedded DynamoDB (dynalite), the embedded Stripe
 * emulator (or Stripe/stripe-mock per the environment) and the universal-link site.
 *
 * This module is its lifecycle: start everything in order, hand the handlers their environment, and
 * close it all again. `startLocalStack` runs it in-process on any ports (0 = free), which is what the
 * tests use; bin/dev.ts is a thin CLI around it that prints the banner.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig, resetConfigCache } from '#adapters/config';
import { DEFAULT_LOCAL_TABLE_NAME, TABLE_NAME_ENV } from '#adapters/dynamodb/table-definition';
import { STRIPE_SECRET_KEY_ENV, STRIPE_WEBHOOK_SECRET_ENV } from '#adapters/environment';
import { createStripeClient } from '#adapters/stripe/client';
import { syncPortalConfigurations } from '#adapters/stripe/portal-sync';
import type { LinkoutConfig } from '#core/config';
import type { ResumeReport } from '#core/pause-resumer';
import type { ReconcileReport } from '#core/reconciliation';
import { makeReconciler, reconcilerPortsFromEnv } from '#handlers/reconciler';
import { type ApiRoute, apiRoutes } from '#handlers/routes';
import { type DevJwtSettings, devJwtSettings, jwks, loadOrCreateSigningKey, stateDirFromEnv } from './dev-jwt';
import { ensureTable, type LocalDynamo, localDynamoClient, startLocalDynamo } from './dynamodb';
import { createGatewayServer, gatewayState } from './gateway';
import { handlerModules, type LoadHandler, type LoadScheduledHandler } from './handler-loader';
import { lambdaContext } from './lambda-bridge';
import { DEFAULT_API_PORT, listen, portFromEnv } from './ports';
import { type StaticFile, siteStaticRoutes } from './static-files';
import { type RunningEmulator, type StripeTarget, startEmbeddedEmulator, stripeTargetFromEnv, webhookSecretsFromEnv } from './stripe-target';

export type { LambdaHandler } from './handler-loader';
export { PortInUseError } from './ports';

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
  loadHandler?: LoadHandler;
  /** Replaces the scheduled handler modules (tests); the pause resumer runs every LINKOUT_RESUME_INTERVAL_SECONDS. */
  loadScheduledHandler?: LoadScheduledHandler;
  /** Extra static routes by URL path. */
  staticFiles?: Record<string, StaticFile>;
  /** Lambda timeout given to the handlers' Context; API Gateway's own limit is 30 s. */
  lambdaTimeoutMs?: number;
  /**
   * The DynamoDB endpoint handed to the handlers, given the embedded one (default: that one). Lets a
   * test put a fault-injecting proxy between the handlers and the table; the stack itself and
   * `dynamoEndpoint` keep the direct one.
   */
  handlerDynamoEndpoint?: (endpoint: string) => string | Promise<string>;
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
  /**
   * One reconciliation run now (functions/handlers/reconciler.ts), in-process against this stack's
   * table and Stripe, through the webhook's own code path; AWS runs it every 15 minutes.
   */
  reconcile(): Promise<ReconcileReport>;
  close(): Promise<void>;
}

const API_GATEWAY_TIMEOUT_MS = 30_000;

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  const configured = options.config ?? loadConfig(env);
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? portFromEnv(env, 'PORT', DEFAULT_API_PORT);
  const stripe = stripeTargetFromEnv(env);
  const webhookSecrets = webhookSecretsFromEnv(env);
  const jwtSettings = devJwtSettings(configured, env);
  const signingKey = await loadOrCreateSigningKey(options.stateDir ?? stateDirFromEnv(env));
  const tableName = options.tableName ?? env[TABLE_NAME_ENV] ?? DEFAULT_LOCAL_TABLE_NAME;
  const resumeInterval = resumeIntervalSeconds(env);

  const modules = handlerModules();
  const gateway = gatewayState({
    staticRoutes: siteStaticRoutes(configured, {
      '/.well-known/jwks.json': { contentType: 'application/json', body: JSON.stringify(jwks(signingKey)), cacheControl: 'no-store' },
      ...options.staticFiles,
    }),
    routes: options.routes ?? apiRoutes,
    signingKey,
    jwtSettings,
    loadHandler: options.loadHandler ?? modules.load,
    lambdaTimeoutMs: options.lambdaTimeoutMs ?? API_GATEWAY_TIMEOUT_MS,
    log,
  });
  const server = createGatewayServer(gateway);
  // The server listens first (answering 503 until ready) because the emulator needs its URL for webhooks.
  await listen(server, port, host, 'PORT');
  const actualPort = (server.address() as AddressInfo).port;
  const url = `http://${host}:${actualPort}`;
  // Stripe sends customers back to this stack's own pages unless the configuration names a site.
  const config: LinkoutConfig = { ...configured, app: { ...configured.app, siteUrl: configured.app.siteUrl ?? url } };

  const cleanups = cleanupStack(log);
  cleanups.push(
    async () => modules.unload(),
    () => closeServer(server),
  );
  try {
    const dynamo = await startLocalDynamo({ ...(options.dataDir && { path: options.dataDir }) });
    cleanups.push(() => dynamo.close());
    await createTable(dynamo, tableName);

    const emulator =
      stripe.kind === 'emulator'
        ? await startEmbeddedEmulator({ port: stripe.port, config, webhookUrl: `${url}/v1/webhooks/stripe`, webhookSecret: webhookSecrets[0]! })
        : undefined;
    if (emulator) cleanups.push(() => emulator.close());
    const stripeApiUrl = emulator ? emulator.url.replace(/\/+$/, '') : stripe.kind === 'url' ? stripe.apiUrl : undefined;

    // Handlers read their settings from the environment at cold start: set it before any handler loads.
    const restoreEnv = applyHandlerEnv({
      [TABLE_NAME_ENV]: tableName,
      DYNAMODB_ENDPOINT: options.handlerDynamoEndpoint ? await options.handlerDynamoEndpoint(dynamo.endpoint) : dynamo.endpoint,
      AWS_REGION: env.AWS_REGION ?? 'local',
      [STRIPE_SECRET_KEY_ENV]: stripe.secretKey,
      [STRIPE_WEBHOOK_SECRET_ENV]: webhookSecrets.join(','),
      STRIPE_API_URL: stripeApiUrl,
      // The handlers see exactly the configuration the stack was started with.
      LINKOUT_CONFIG: JSON.stringify(config),
    });
    cleanups.push(async () => restoreEnv());
    // The API is usable from here on: the sync below makes the emulator deliver webhooks to it.
    gateway.apiReady = true;

    // The emulator starts empty: give it the per-role portal configurations the handlers look up.
    // (Against real Stripe or another server that stays an explicit `npm run portal:sync`.)
    const portalSynced = emulator
      ? await trySyncPortalConfigurations(createStripeClient({ secretKey: stripe.secretKey, apiUrl: stripeApiUrl! }), config, log)
      : false;
    gateway.ready = true;
    // AWS runs the resumer of app pauses on a schedule; here a timer runs the same handler module.
    const resumer = startPauseResumerTimer(options.loadScheduledHandler ?? modules.load, resumeInterval, log);
    cleanups.push(() => resumer.stop());
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
      reconcile: reconcilerFor(stripeApiUrl),
      close: cleanups.runAll,
    };
  } catch (error) {
    await cleanups.runAll();
    throw error;
  }
}

/** Seconds between two runs of the pause resumer in the local stack; 0 disables it. */
export const RESUME_INTERVAL_ENV = 'LINKOUT_RESUME_INTERVAL_SECONDS';
const DEFAULT_RESUME_INTERVAL_SECONDS = 60;
/** The resumer's Lambda has minutes; locally a run is one dynalite query and a few emulator calls. */
const RESUMER_TIMEOUT_MS = 120_000;

function resumeIntervalSeconds(env: NodeJS.ProcessEnv): number {
  const raw = env[RESUME_INTERVAL_ENV]?.trim();
  if (!raw) return DEFAULT_RESUME_INTERVAL_SECONDS;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0) throw new Error(`${RESUME_INTERVAL_ENV} must be a number of seconds (0 disables the resumer), not "${raw}"`);
  return seconds;
}

/**
 * EventBridge Scheduler's part in the local stack: the `pause-resumer` handler module, invoked like a
 * Lambda every interval. One run at a time (the next is timed from the end of the last), and `stop`
 * waits for a run under way so that the table and the emulator are not closed beneath it.
 */
function startPauseResumerTimer(load: LoadScheduledHandler, intervalSeconds: number, log: (line: string) => void): { stop(): Promise<void> } {
  if (intervalSeconds === 0) return { stop: async () => {} };
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const run = async () => {
    try {
      const handler = load('pause-resumer');
      if (!handler) return;
      const context = lambdaContext({ functionName: 'linkout-pause-resumer-local', timeoutMs: RESUMER_TIMEOUT_MS });
      const report = (await handler({ source: 'linkout.local-stack' }, context)) as ResumeReport | undefined;
      if (report && report.resumed + report.obsolete + report.failed > 0) {
        log(`pause resumer: ${report.resumed} resumed, ${report.obsolete} obsolete, ${report.failed} left for the next run`);
      }
    } catch (error) {
      log(`pause resumer failed: ${(error as Error).message}`);
    }
  };
  const next = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = run().finally(() => {
        running = undefined;
        next();
      });
    }, intervalSeconds * 1000);
    // Never the reason the process stays up: the server is.
    timer.unref();
  };
  next();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

/**
 * The stack's reconciler, built on the first run from the handler environment set above, like a
 * Lambda cold start, and kept warm. Pages are not paced against the local emulator.
 */
function reconcilerFor(stripeApiUrl: string | undefined): () => Promise<ReconcileReport> {
  let run: (() => Promise<ReconcileReport>) | undefined;
  return () => {
    run ??= makeReconciler(reconcilerPortsFromEnv(process.env, { pageIntervalMs: stripeApiUrl ? 0 : undefined }));
    return run();
  };
}

/** What to undo, in reverse order of start; a failing step is logged and the rest still run. */
function cleanupStack(log: (line: string) => void): { push(...steps: Array<() => Promise<void>>): void; runAll(): Promise<void> } {
  const steps: Array<() => Promise<void>> = [];
  return {
    push: (...added) => steps.push(...added),
    async runAll() {
      for (const step of steps.splice(0).reverse()) {
        await step().catch((error: unknown) => log(`shutdown: ${(error as Error).message}`));
      }
    },
  };
}

/** Returns whether the sync succeeded: a failed sync leaves the rest of the stack useful (portal sessions answer portal_not_configured). */
async function trySyncPortalConfigurations(
  stripe: ReturnType<typeof createStripeClient>,
  config: LinkoutConfig,
  log: (line: string) => void,
): Promise<boolean> {
  try {
    const report = await syncPortalConfigurations(stripe, config);
    log(`portal configurations synced: ${report.created.length} created, ${report.updated.length} updated, ${report.unchanged.length} unchanged`);
    return true;
  } catch (error) {
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
    setEnv(name, value);
  }
  resetConfigCache();
  return () => {
    for (const [name, value] of previous) setEnv(name, value);
    resetConfigCache();
  };
}

function setEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
