/**
 * A Stripe emulator: an HTTP server speaking Stripe's wire protocol (form bodies in bracket notation,
 * JSON responses, Stripe's error envelope and statuses), stateful and in memory, so that unmodified
 * stripe-node works against it through `host/port/protocol`. Every state change emits an event that is
 * listed at GET /v1/events and delivered, signed, to the configured webhook URL. Browser-facing flows
 * (the customer portal, Checkout, redirect approvals) are hosted pages (see pages/).
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import qs from 'qs';
import type Stripe from 'stripe';
import type { ApiRequest, EmulatorContext, RequestMeta } from './context';
import { testControls } from './controls';
import { type DeliveryOptions, type DeliveryRecord, WebhookDelivery, type WebhookTarget } from './delivery';
import { authenticationError, StripeApiError, unrecognizedUrl } from './errors';
import { type Fault, type FaultKind, FaultPlan } from './faults';
import { PAGES } from './pages';
import type { Params } from './params';
import { RESOURCES } from './resources';
import { type SeedProduct, seedCatalog } from './resources/products';
import { Router } from './router';
import { clone, newId, Store, type StripeObject } from './store';

export type { DeliveryOptions } from './delivery';
export type { Fault, FaultKind } from './faults';
export type { SeedPrice, SeedProduct } from './resources/products';

export const EMULATOR_API_VERSION = '2026-10-28.endive';
/** Used to sign deliveries when a webhook URL is given without a secret. */
export const DEFAULT_WEBHOOK_SECRET = 'whsec_linkout_stripe_emulator';
const IDEMPOTENCY_WINDOW_SECONDS = 24 * 3600;
const QS_OPTIONS = { depth: 10, arrayLimit: 1000, parameterLimit: 10_000 } as const;

export interface StripeEmulatorOptions {
  /** 0 = a free port (tests); the local stack passes 12111 / STRIPE_EMULATOR_PORT. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Seeds products (with these ids) and their prices (lookup_key, unit_amount, currency, recurring). */
  catalog?: readonly SeedProduct[];
  /** Every event is POSTed here, signed; none = events are only stored. */
  webhookUrl?: string;
  /** whsec_... used to sign deliveries; of a comma-separated list, the first signs. */
  webhookSecret?: string;
  delivery?: DeliveryOptions;
  /** The clock in unix seconds (default: the system clock). */
  now?: () => number;
  /** Business name the hosted portal page shows ("Return to <accountName>"). */
  accountName?: string;
}

export interface StripeEmulator {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  setDelivery(options: DeliveryOptions): void;
  /** Delivers everything queued or in flight and waits for the receiver's answers (retries included). */
  flushDeliveries(): Promise<void>;
  /** Points deliveries at another receiver (or none). */
  setWebhook(url: string | undefined, secret?: string): void;
  /** Makes the next matching API request(s) fail: a status in Stripe's envelope, a timeout or a reset (see faults.ts). */
  injectFault(fault: Fault): void;
  clearFaults(): void;
  /** Every API request received so far (test controls and hosted pages excluded), oldest first. */
  requests(): ApiRequestRecord[];
  /** Every event so far, oldest first. */
  events(): Stripe.Event[];
  deliveries(): DeliveryRecord[];
  close(): Promise<void>;
}

export interface ApiRequestRecord {
  method: string;
  path: string;
  idempotencyKey: string | null;
  /** The injected fault this request suffered, if any. */
  fault?: FaultKind;
}

interface IdempotentResult {
  method: string;
  path: string;
  fingerprint: string;
  status: number;
  body: string;
  storedAt: number;
}

export async function startStripeEmulator(options: StripeEmulatorOptions = {}): Promise<StripeEmulator> {
  const host = options.host ?? '127.0.0.1';
  const systemClock = options.now ?? (() => Math.floor(Date.now() / 1000));
  let clockOffset = 0;
  let webhook: WebhookTarget | undefined = options.webhookUrl
    ? { url: options.webhookUrl, secret: options.webhookSecret ?? DEFAULT_WEBHOOK_SECRET }
    : undefined;
  let baseUrl = '';
  const store = new Store();
  const eventLog: Stripe.Event[] = [];
  const idempotency = new Map<string, IdempotentResult>();
  const delivery = new WebhookDelivery(() => webhook);
  const faults = new FaultPlan();
  const requestLog: ApiRequestRecord[] = [];
  delivery.setOptions(options.delivery ?? {});
  const eventListeners: ((event: Stripe.Event) => void)[] = [];

  const context: EmulatorContext = {
    store,
    accountName: options.accountName ?? 'the app',
    now: () => systemClock() + clockOffset,
    advanceClockTo(unixSeconds) {
      const now = systemClock() + clockOffset;
      if (unixSeconds > now) clockOffset += unixSeconds - now;
    },
    emit(type, object, meta, previous) {
      const event = {
        id: newId('evt'),
        object: 'event',
        api_version: EMULATOR_API_VERSION,
        created: context.now(),
        data: { object: clone(object), ...(previous && { previous_attributes: clone(previous) }) },
        livemode: false,
        pending_webhooks: webhook ? 1 : 0,
        request: { id: meta.requestId, idempotency_key: meta.idempotencyKey },
        type,
      } as unknown as Stripe.Event;
      store.put(event as unknown as StripeObject);
      eventLog.push(event);
      delivery.enqueue(event);
      for (const listener of eventListeners) listener(event);
      return event;
    },
    onEvent(listener) {
      eventListeners.push(listener);
    },
    baseUrl: () => baseUrl,
  };

  const seed = () => seedCatalog(store, options.catalog ?? [], context.now());
  seed();
  const reset = () => {
    store.clear();
    eventLog.length = 0;
    idempotency.clear();
    faults.clear();
    requestLog.length = 0;
    clockOffset = 0;
    seed();
  };
  const router = new Router([...RESOURCES, testControls(reset, faults)].flatMap((module) => module(context)));

  async function handleApi(request: IncomingMessage, response: ServerResponse, url: URL, body: string): Promise<void> {
    const method = request.method ?? 'GET';
    const requestId = newId('req', 14);
    const apiKey = bearerKey(request.headers.authorization);
    const idempotencyKey = header(request, 'idempotency-key');
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'request-id': requestId,
      'stripe-version': header(request, 'stripe-version') ?? EMULATOR_API_VERSION,
    };
    // Set when a timeout or reset fault takes this request: whatever it would answer is lost instead.
    let lostAnswer: FaultKind | undefined;
    const respond = (status: number, payload: string, extra: Record<string, string> = {}) => {
      if (lostAnswer) {
        loseAnswer(lostAnswer, response);
        return;
      }
      response.writeHead(status, { ...headers, ...extra });
      response.end(payload);
    };
    try {
      const isControl = url.pathname.startsWith('/_emulator/');
      if (!isControl) authenticate(request.headers.authorization);
      const matched = router.match(method, url.pathname);
      if (!matched) throw unrecognizedUrl(method, url.pathname);
      const fault = isControl ? undefined : faults.take(method, url.pathname);
      if (!isControl) requestLog.push({ method, path: url.pathname, idempotencyKey: idempotencyKey ?? null, ...(fault && { fault: fault.kind }) });
      if (fault?.kind === 'status') throw fault.error;
      if (fault) {
        lostAnswer = fault.kind;
        if (!fault.afterHandling) {
          loseAnswer(fault.kind, response);
          return;
        }
      }
      const params: Params = { ...qs.parse(url.search.slice(1), QS_OPTIONS), ...(body ? qs.parse(body, QS_OPTIONS) : {}) };
      const replayKey = method === 'POST' && idempotencyKey && !isControl ? `${apiKey}:${idempotencyKey}` : undefined;
      const fingerprint = JSON.stringify(params);
      if (replayKey) {
        const stored = idempotency.get(replayKey);
        if (stored && context.now() - stored.storedAt < IDEMPOTENCY_WINDOW_SECONDS) {
          if (stored.method !== method || stored.path !== url.pathname || stored.fingerprint !== fingerprint) {
            throw new StripeApiError(400, {
              type: 'idempotency_error',
              message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
            });
          }
          respond(stored.status, stored.body, { 'idempotent-replayed': 'true' });
          return;
        }
      }
      const meta: RequestMeta = { requestId, idempotencyKey: idempotencyKey ?? null };
      const apiRequest: ApiRequest = { method, path: url.pathname, pathParams: matched.pathParams, params, meta };
      let status = 200;
      let payload: string;
      try {
        payload = JSON.stringify(await matched.route.handle(apiRequest), null, 2);
      } catch (error) {
        // A request that reached its endpoint keeps its outcome under its idempotency key, errors included.
        if (!(error instanceof StripeApiError) || ![402, 404].includes(error.status)) throw error;
        status = error.status;
        payload = JSON.stringify(error.toJSON(), null, 2);
      }
      if (replayKey) idempotency.set(replayKey, { method, path: url.pathname, fingerprint, status, body: payload, storedAt: context.now() });
      respond(status, payload);
    } catch (error) {
      if (error instanceof StripeApiError) {
        respond(error.status, JSON.stringify(error.toJSON(), null, 2));
        return;
      }
      console.error('stripe emulator: unexpected error', error);
      respond(500, JSON.stringify({ error: { type: 'api_error', message: 'An unexpected error occurred in the Stripe emulator.' } }, null, 2));
    }
  }

  const server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://emulator.invalid');
      const body = await readBody(request);
      const hosted = PAGES.find((candidate) => url.pathname.startsWith(candidate.prefix));
      if (hosted) {
        const page = hosted.handle(context, request.method ?? 'GET', url, body ? (qs.parse(body, QS_OPTIONS) as Params) : {});
        response.writeHead(page.status, page.headers);
        response.end(page.body);
        return;
      }
      await handleApi(request, response, url, body);
    })().catch((error: unknown) => {
      console.error('stripe emulator: request failed', error);
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  server.keepAliveTimeout = 1000;
  server.listen(options.port ?? 0, host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://${host}:${port}`;

  return {
    url: baseUrl,
    port,
    setDelivery: (next) => delivery.setOptions(next),
    flushDeliveries: () => delivery.flush(),
    setWebhook(url, secret) {
      webhook = url ? { url, secret: secret ?? webhook?.secret ?? options.webhookSecret ?? DEFAULT_WEBHOOK_SECRET } : undefined;
    },
    injectFault: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    requests: () => requestLog.map((record) => ({ ...record })),
    events: () => eventLog.map((event) => clone(event)),
    deliveries: () => delivery.deliveries(),
    async close() {
      await delivery.close();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

/**
 * A reset destroys the connection at once; a timeout leaves the request unanswered until the client
 * gives up (and destroys its socket) or close() closes every connection, held ones included.
 */
function loseAnswer(kind: FaultKind, response: ServerResponse): void {
  if (kind === 'reset') response.socket?.destroy();
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function bearerKey(authorization: string | undefined): string {
  if (!authorization) return '';
  if (authorization.startsWith('Bearer ')) return authorization.slice(7).trim();
  if (authorization.startsWith('Basic ')) return Buffer.from(authorization.slice(6), 'base64').toString('utf8').split(':')[0] ?? '';
  return '';
}

/** Any test-mode key works, as with stripe-mock; anything else gets Stripe's 401. */
function authenticate(authorization: string | undefined): void {
  const key = bearerKey(authorization);
  if (!key) {
    throw authenticationError(
      "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
    );
  }
  if (!/^(sk|rk)_test_\w+$/.test(key)) {
    throw authenticationError(`Invalid API Key provided: ${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}`);
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
