/**
 * What ops get from the handlers in AWS, read from the real Powertools output on stdout, with the
 * environment a LinkoutFunction has (log level, service, metrics namespace):
 *  - every log line carries the Lambda request id and the cold-start flag, the custom resource's too;
 *  - a webhook's log lines carry its verified Stripe event id, and the next invocation's do not;
 *  - each webhook outcome and each Stripe error class is one EMF count, named as the alarms expect;
 *  - an invocation that counted nothing prints no metrics and no warning.
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import Stripe from 'stripe';
import type { HttpEvent } from '#adapters/http/middleware';
import { STRIPE_ERROR_METRICS, type WebhookMetricOutcome } from '#adapters/metric-names';
import type { EntitlementSync, WebhookOutcome } from '#core/entitlements-sync';
import { buildApiGatewayEvent } from '#local/api-gateway-event';
import { lambdaContext } from '#local/lambda-bridge';

const AWS_ENV = {
  AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
  LOG_LEVEL: 'INFO',
  POWERTOOLS_SERVICE_NAME: 'linkout',
  POWERTOOLS_METRICS_NAMESPACE: 'Linkout/LinkoutApi-test',
};
const WEBHOOK_SECRET = 'whsec_observability';
const NOW = 1_790_000_000;

type Modules = {
  middleware: typeof import('#adapters/http/middleware');
  response: typeof import('#adapters/http/response');
  stripeErrors: typeof import('#adapters/stripe/errors');
  webhook: typeof import('#handlers/webhook');
  portalConfigResource: typeof import('#handlers/portal-config-resource');
};
let modules: Modules;
const savedEnv = { ...process.env };

// The logger and the metrics read their settings when their modules load: load them with AWS's.
beforeAll(() => {
  Object.assign(process.env, AWS_ENV);
  jest.isolateModules(() => {
    modules = {
      middleware: require('#adapters/http/middleware'),
      response: require('#adapters/http/response'),
      stripeErrors: require('#adapters/stripe/errors'),
      webhook: require('#handlers/webhook'),
      portalConfigResource: require('#handlers/portal-config-resource'),
    };
  });
});

afterAll(() => {
  process.env = savedEnv;
});

type Line = Record<string, any>;

/** Runs one invocation and returns the JSON lines it printed (logs and EMF). */
async function printed<T>(
  run: () => Promise<T>,
): Promise<{ result: T; logs: Line[]; counts: Array<{ namespace: string; service: string; name: string; value: number }> }> {
  const chunks: string[] = [];
  const capture = ((chunk: unknown) => chunks.push(String(chunk)) > 0) as never;
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  let result: T;
  try {
    result = await run();
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
  const lines: Line[] = chunks
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line));
  const counts = lines
    .filter((line) => line._aws)
    .flatMap((line) =>
      line._aws.CloudWatchMetrics.flatMap((set: Line) =>
        set.Metrics.map((metric: Line) => ({ namespace: set.Namespace, service: line.service, name: metric.Name, value: line[metric.Name] })),
      ),
    );
  return { result, logs: lines.filter((line) => !line._aws), counts };
}

const context = (name = 'linkout-webhook-test') => lambdaContext({ functionName: name, timeoutMs: 10_000 });
const signer = new Stripe('sk_test_signer_only', { telemetry: false });

function delivery(eventId: string, secret = WEBHOOK_SECRET): HttpEvent {
  const payload = JSON.stringify({
    id: eventId,
    object: 'event',
    type: 'product.created',
    created: NOW,
    data: { object: { id: 'prod_1', object: 'product' } },
  });
  return buildApiGatewayEvent({
    method: 'POST',
    url: '/v1/webhooks/stripe',
    routeKey: 'POST /v1/webhooks/stripe',
    headers: { 'content-type': 'application/json', 'stripe-signature': signer.webhooks.generateTestHeaderString({ payload, secret, timestamp: NOW }) },
    body: payload,
  });
}

/** The webhook handler with a sync that answers `outcome` (or fails): the handler's own work is under test. */
function webhookAnswering(outcome: WebhookOutcome | Error) {
  const sync = { process: async () => (outcome instanceof Error ? Promise.reject(outcome) : outcome) } as unknown as EntitlementSync;
  return modules.webhook.makeWebhookHandler({ sync, secrets: () => ({ secretKey: '', webhookSecrets: [WEBHOOK_SECRET] }), now: () => NOW });
}

const count = (name: string) => ({ namespace: AWS_ENV.POWERTOOLS_METRICS_NAMESPACE, service: 'linkout', name, value: 1 });

describe('log lines', () => {
  it("carry the request id and the cold-start flag: true for the container's first invocation only", async () => {
    const handler = webhookAnswering('applied');
    const first = context();
    const second = context();
    const cold = await printed(() => handler(delivery('evt_first'), first));
    const warm = await printed(() => handler(delivery('evt_second'), second));
    expect(cold.logs.map((line) => [line.function_request_id, line.cold_start])).toEqual([[first.awsRequestId, true]]);
    expect(warm.logs.map((line) => [line.function_request_id, line.cold_start])).toEqual([[second.awsRequestId, false]]);
  });

  it("of a webhook carry its verified event id, and the next invocation's do not", async () => {
    const handler = webhookAnswering(new Error('DynamoDB is down'));
    const failed = await printed(() => handler(delivery('evt_correlated'), context()));
    expect(failed.result.statusCode).toBe(500);
    expect(failed.logs).toEqual([expect.objectContaining({ message: 'request failed', stripeEventId: 'evt_correlated', stripeEventType: 'product.created' })]);

    const forged = await printed(() => handler(delivery('evt_forged', 'whsec_wrong'), context()));
    expect(forged.result.statusCode).toBe(400);
    expect(forged.logs).toEqual([expect.objectContaining({ message: 'request rejected', code: 'invalid_signature' })]);
    expect(forged.logs[0]).not.toHaveProperty('stripeEventId');
  });

  it('of the custom resource carry the request id too', async () => {
    const event = {
      RequestType: 'Delete',
      PhysicalResourceId: 'linkout-portal-configurations',
      StackId: 'stack/LinkoutApi-test/1',
    } as CloudFormationCustomResourceEvent;
    const invocation = context('linkout-portal-config-test');
    const { result, logs } = await printed(() => modules.portalConfigResource.handler(event, invocation));
    expect(result).toEqual({ PhysicalResourceId: 'linkout-portal-configurations' });
    expect(logs).toEqual([
      expect.objectContaining({
        message: 'portal configuration request',
        requestType: 'Delete',
        function_request_id: invocation.awsRequestId,
        cold_start: expect.any(Boolean),
      }),
    ]);
  });
});

describe('webhook outcome metrics', () => {
  it.each<[string, WebhookMetricOutcome, WebhookOutcome | Error, number]>([
    ['an applied event', 'applied', 'applied', 200],
    ['a duplicate', 'duplicate', 'duplicate', 200],
    ['an older event', 'stale', 'stale', 200],
    ['an event Linkout does not use', 'ignored', 'ignored', 200],
    ['a transient failure (Stripe retries)', 'failed', new Error('DynamoDB is down'), 500],
  ])('%s counts webhook_%s', async (_name, outcome, answer, status) => {
    const { result, counts } = await printed(() => webhookAnswering(answer)(delivery('evt_counted'), context()));
    expect(result.statusCode).toBe(status);
    expect(counts).toEqual([count(`webhook_${outcome}`)]);
  });

  it('a delivery with a wrong signature counts webhook_rejected', async () => {
    const { result, counts } = await printed(() => webhookAnswering('applied')(delivery('evt_forged', 'whsec_wrong'), context()));
    expect(result.statusCode).toBe(400);
    expect(counts).toEqual([count('webhook_rejected')]);
  });
});

describe('Stripe error metrics', () => {
  const stripeError = (raw: { type: string; statusCode?: number }) => Stripe.errors.StripeError.generate({ message: 'boom', ...raw } as never);

  const failingWithStripe = (error: unknown) =>
    modules.middleware.httpHandler(async () => {
      throw modules.stripeErrors.appErrorFromStripe(error, 'testing');
    });
  const request = () => buildApiGatewayEvent({ method: 'POST', url: '/v1/portal-sessions', routeKey: 'POST /v1/portal-sessions' });

  it.each([
    ['a rate limit (429)', 'stripe_rate_limited', stripeError({ type: 'rate_limit_error', statusCode: 429 }), 429],
    ['no connection', 'stripe_unreachable', new Stripe.errors.StripeConnectionError({ message: 'ECONNRESET' }), 503],
    ['a Stripe server error (500)', 'stripe_failed', stripeError({ type: 'api_error', statusCode: 500 }), 502],
    ['a revoked key (401)', 'stripe_rejected_credentials', stripeError({ type: 'authentication_error', statusCode: 401 }), 502],
    ['an invalid request (400)', 'stripe_rejected', stripeError({ type: 'invalid_request_error', statusCode: 400 }), 502],
  ])('%s counts %s', async (_name, metric, error, status) => {
    const { result, counts } = await printed(() => failingWithStripe(error)(request(), context('linkout-portal-sessions-test')));
    expect(result.statusCode).toBe(status);
    expect(counts).toEqual([count(metric)]);
  });

  it('every metric the alarms watch is one the mapping can produce', () => {
    const produced = [
      stripeError({ type: 'rate_limit_error', statusCode: 429 }),
      new Stripe.errors.StripeConnectionError({ message: 'ECONNRESET' }),
      stripeError({ type: 'api_error', statusCode: 500 }),
      stripeError({ type: 'authentication_error', statusCode: 401 }),
      stripeError({ type: 'invalid_request_error', statusCode: 400 }),
    ].map((error) => (modules.stripeErrors.appErrorFromStripe(error, 'testing') as { code: string }).code);
    expect([...produced].sort()).toEqual([...STRIPE_ERROR_METRICS].sort());
  });

  it('an invocation that counted nothing prints no metrics and no warning', async () => {
    const quiet = modules.middleware.httpHandler(async () => modules.response.jsonResponse(200, { ok: true }));
    const { result, counts, logs } = await printed(() => quiet(request(), context('linkout-entitlements-test')));
    expect(result.statusCode).toBe(200);
    expect(counts).toEqual([]);
    expect(logs).toEqual([]);
  });
});

describe('outside AWS (no metrics namespace: the local stack, the tests)', () => {
  it('counts are dropped, not printed', async () => {
    const { POWERTOOLS_METRICS_NAMESPACE: _aws, ...local } = AWS_ENV;
    process.env = { ...savedEnv, ...local };
    let webhook!: Modules['webhook'];
    jest.isolateModules(() => {
      webhook = require('#handlers/webhook');
    });
    const sync = { process: async () => 'stale' } as unknown as EntitlementSync;
    const handler = webhook.makeWebhookHandler({ sync, secrets: () => ({ secretKey: '', webhookSecrets: [WEBHOOK_SECRET] }), now: () => NOW });
    const { result, counts, logs } = await printed(() => handler(delivery('evt_local'), context()));
    expect(result.statusCode).toBe(200);
    expect(logs).toEqual([expect.objectContaining({ message: 'stripe event', outcome: 'stale' })]);
    expect(counts).toEqual([]);
  });
});
