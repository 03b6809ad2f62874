/**
 * The AWS-only runtime pieces, driven through the real AWS SDK over HTTP:
 *  - the Stripe secrets middleware that `awsStripeSecrets()` adds when STRIPE_SECRET_ARN is set, and its
 *    Secrets Manager reader (Powertools Parameters with stale-on-failure);
 *  - the deploy-time custom resource that syncs portal configurations (against the Stripe emulator).
 * Secrets Manager is a small local server speaking its JSON wire protocol (GetSecretValue only).
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { httpHandler } from '#adapters/http/middleware';
import { jsonResponse } from '#adapters/http/response';
import { awsStripeSecrets } from '#adapters/http/secrets-middleware';
import { currentStripeSecrets, requireSecretKey } from '#adapters/secrets';
import { parseStoredStripeSecret, secretsManagerStripeSecrets } from '#adapters/secrets-manager';
import { handler, secretNameFromArn } from '#handlers/portal-config-resource';
import { buildApiGatewayEvent } from '#local/api-gateway-event';
import { lambdaContext } from '#local/lambda-bridge';
import { liveModeKey } from '../helpers/live-keys';
import { TEST_SECRET_KEY, useStripeEmulator } from '../helpers/stripe';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:linkout/dev/stripe-AbC123';

/** A Secrets Manager stand-in: answers GetSecretValue from `state`, counts calls. */
function fakeSecretsManager() {
  const state = {
    secretString: undefined as string | undefined,
    failure: undefined as undefined | { status: number; type: string },
    requests: [] as Array<{ target: string; secretId: string }>,
  };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target']);
      const { SecretId } = JSON.parse(body || '{}');
      state.requests.push({ target, secretId: SecretId });
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      if (state.failure) {
        res.statusCode = state.failure.status;
        res.end(JSON.stringify({ __type: state.failure.type, message: 'injected' }));
        return;
      }
      res.end(JSON.stringify({ ARN: SecretId, Name: 'linkout/dev/stripe', SecretString: state.secretString, VersionId: 'v1' }));
    });
  });
  return { server, state };
}

const fake = fakeSecretsManager();
let endpoint: string;
const savedEnv = { ...process.env };

beforeAll(async () => {
  fake.server.listen(0, '127.0.0.1');
  await once(fake.server, 'listening');
  endpoint = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
  // What a Lambda has in AWS, with the SDK pointed at the local server.
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint,
  });
});

afterAll(async () => {
  process.env = savedEnv;
  fake.server.close();
  await once(fake.server, 'close');
});

beforeEach(() => {
  fake.state.requests = [];
  fake.state.failure = undefined;
  delete process.env.STRIPE_SECRET_KEY;
  delete process.env.STRIPE_WEBHOOK_SECRET;
});

const stored = (secretKey: string, webhookSecrets: string) => JSON.stringify({ secretKey, webhookSecrets });

/** A route that shows what the handler sees through `currentStripeSecrets()`. */
function echoSecretsHandler() {
  return httpHandler(
    async () => {
      const secrets = currentStripeSecrets();
      return jsonResponse(200, { secretKey: requireSecretKey(secrets), webhookSecrets: secrets.webhookSecrets });
    },
    ...awsStripeSecrets(),
  );
}

async function invoke(handler: ReturnType<typeof echoSecretsHandler>) {
  const event = buildApiGatewayEvent({ method: 'GET', url: '/v1/entitlements', routeKey: 'GET /v1/entitlements' });
  const result = await handler(event, {} as never);
  return { status: result.statusCode, body: JSON.parse(String(result.body)) };
}

describe('Stripe secrets middleware in httpHandler', () => {
  beforeEach(() => {
    process.env.STRIPE_SECRET_ARN = SECRET_ARN;
  });
  afterEach(() => {
    delete process.env.STRIPE_SECRET_ARN;
  });

  it('hands the secret loaded by ARN to currentStripeSecrets(), once per cache period, and never to process.env', async () => {
    fake.state.secretString = stored('sk_test_fromsecrets', 'whsec_current, whsec_previous');
    const handler = echoSecretsHandler();
    const first = await invoke(handler);
    const second = await invoke(handler);
    expect(first).toEqual({ status: 200, body: { secretKey: 'sk_test_fromsecrets', webhookSecrets: ['whsec_current', 'whsec_previous'] } });
    expect(second).toEqual(first);
    expect(fake.state.requests).toEqual([{ target: 'secretsmanager.GetSecretValue', secretId: SECRET_ARN }]);
    expect(process.env).not.toHaveProperty('STRIPE_SECRET_KEY');
    expect(process.env).not.toHaveProperty('STRIPE_WEBHOOK_SECRET');
    expect(JSON.stringify(process.env)).not.toContain('fromsecrets');
  });

  it('ignores Stripe keys in the environment: in AWS only Secrets Manager counts', async () => {
    fake.state.secretString = stored('sk_test_fromsecrets', 'whsec_current');
    process.env.STRIPE_SECRET_KEY = 'sk_test_from_env';
    const { body } = await invoke(echoSecretsHandler());
    expect(body.secretKey).toBe('sk_test_fromsecrets');
  });

  it('answers 503 stripe_not_configured while the secret is still the deploy-time placeholder', async () => {
    fake.state.secretString = JSON.stringify({ secretKey: '', webhookSecrets: '', placeholder: 'Xy12' });
    const { status, body } = await invoke(echoSecretsHandler());
    expect(status).toBe(503);
    expect(body.error.code).toBe('stripe_not_configured');
  });

  it('answers 503 without echoing the stored value when the secret is not JSON', async () => {
    fake.state.secretString = liveModeKey('pasted_raw');
    const { status, body } = await invoke(echoSecretsHandler());
    expect(status).toBe(503);
    expect(body.error.code).toBe('stripe_secret_misconfigured');
    expect(JSON.stringify(body)).not.toContain('sk_live');
  });

  it('answers 503 (so Stripe retries) when Secrets Manager cannot be read', async () => {
    fake.state.failure = { status: 400, type: 'ResourceNotFoundException' };
    const { status, body } = await invoke(echoSecretsHandler());
    expect(status).toBe(503);
    expect(body.error.code).toBe('secrets_unavailable');
  });

  it('is off without STRIPE_SECRET_ARN: the local stack keeps its environment', async () => {
    delete process.env.STRIPE_SECRET_ARN;
    process.env.STRIPE_SECRET_KEY = 'sk_test_local';
    const { status, body } = await invoke(echoSecretsHandler());
    expect(status).toBe(200);
    expect(body.secretKey).toBe('sk_test_local');
    expect(fake.state.requests).toHaveLength(0);
  });
});

describe('Secrets Manager reader', () => {
  // One attempt: a failure shows at once instead of after the SDK's retries.
  const provider = () => new SecretsProvider({ clientConfig: { endpoint, maxAttempts: 1 } });
  let started: number;
  /** Powertools' cache compares expiry with Date.now(): move that clock only. */
  const at = (secondsLater: number) => jest.spyOn(Date, 'now').mockReturnValue(started + secondsLater * 1000);
  beforeEach(() => {
    started = Date.now();
  });
  afterEach(() => jest.restoreAllMocks());

  it('refetches after the cache period, so a rolled webhook secret arrives without a deploy', async () => {
    const load = secretsManagerStripeSecrets({ secretId: SECRET_ARN, provider: provider(), cacheSeconds: 300 });
    fake.state.secretString = stored('sk_test_a', 'whsec_old');
    expect((await load()).webhookSecrets).toEqual(['whsec_old']);
    fake.state.secretString = stored('sk_test_a', 'whsec_new,whsec_old');
    at(299);
    expect((await load()).webhookSecrets).toEqual(['whsec_old']);
    at(301);
    expect((await load()).webhookSecrets).toEqual(['whsec_new', 'whsec_old']);
    expect(fake.state.requests).toHaveLength(2);
  });

  it('keeps serving the last secrets when a refresh fails, and asks again on the next call', async () => {
    const load = secretsManagerStripeSecrets({ secretId: SECRET_ARN, provider: provider(), cacheSeconds: 60 });
    fake.state.secretString = stored('sk_test_kept', 'whsec_kept');
    await load();
    fake.state.failure = { status: 500, type: 'InternalServiceError' };
    at(120);
    expect(await load()).toEqual({ secretKey: 'sk_test_kept', webhookSecrets: ['whsec_kept'] });
    fake.state.failure = undefined;
    fake.state.secretString = stored('sk_test_back', 'whsec_back');
    expect(await load()).toEqual({ secretKey: 'sk_test_back', webhookSecrets: ['whsec_back'] });
    expect(fake.state.requests).toHaveLength(3);
  });

  it('reads Secrets Manager on every call with a cache period of 0 (the deploy-time sync)', async () => {
    const load = secretsManagerStripeSecrets({ secretId: SECRET_ARN, provider: provider(), cacheSeconds: 0 });
    fake.state.secretString = stored('sk_test_a', 'whsec_a');
    await load();
    await load();
    expect(fake.state.requests).toHaveLength(2);
  });

  it.each([
    ['comma list with spaces', stored('sk_test_1', ' whsec_a , whsec_b ,'), { secretKey: 'sk_test_1', webhookSecrets: ['whsec_a', 'whsec_b'] }],
    ['array of secrets', JSON.stringify({ secretKey: 'sk_test_2', webhookSecrets: ['whsec_c'] }), { secretKey: 'sk_test_2', webhookSecrets: ['whsec_c'] }],
    ['placeholder', JSON.stringify({ secretKey: '', webhookSecrets: '', placeholder: 'x' }), { secretKey: '', webhookSecrets: [] }],
    ['missing fields', '{}', { secretKey: '', webhookSecrets: [] }],
  ])('parses the stored JSON: %s', (_name, secretString, expected) => {
    expect(parseStoredStripeSecret(secretString)).toEqual(expected);
  });

  it.each([
    ['not JSON', 'sk_test_raw'],
    ['a JSON string', '"sk_test_raw"'],
    ['a numeric key', '{"secretKey": 42}'],
  ])('rejects a stored secret that is %s', (_name, secretString) => {
    expect(() => parseStoredStripeSecret(secretString)).toThrow(expect.objectContaining({ code: 'stripe_secret_misconfigured' }));
  });
});

describe('portal configuration custom resource', () => {
  const emu = useStripeEmulator();
  const portalConfigResource = (event: CloudFormationCustomResourceEvent) =>
    handler(event, lambdaContext({ functionName: 'linkout-portal-config-test', timeoutMs: 120_000 }));

  const cfnEvent = (RequestType: 'Create' | 'Update' | 'Delete') =>
    ({
      RequestType,
      ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:provider',
      ResponseURL: 'https://cloudformation-custom-resource-response.example/',
      StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/LinkoutApi-dev/1',
      RequestId: `request-${RequestType}`,
      LogicalResourceId: 'PortalConfigurations',
      ResourceType: 'Custom::LinkoutPortalConfigurations',
      ResourceProperties: { ServiceToken: 'x', ConfigHash: 'abc', Stage: 'dev' },
      ...(RequestType !== 'Create' && { PhysicalResourceId: 'linkout-portal-configurations', OldResourceProperties: {} }),
    }) as CloudFormationCustomResourceEvent;

  beforeAll(() => {
    process.env.STRIPE_SECRET_ARN = SECRET_ARN;
    process.env.STRIPE_API_URL = emu.emulator.url;
  });

  async function managedConfigurationIds() {
    const list = await emu.stripe.billingPortal.configurations.list({ limit: 100 });
    return list.data
      .filter((c) => c.metadata?.linkout_role)
      .map((c) => c.id)
      .sort();
  }

  it('fails the deployment with instructions while the Stripe secret is unset, touching nothing', async () => {
    fake.state.secretString = JSON.stringify({ secretKey: '', webhookSecrets: '', placeholder: 'Qw12' });
    await expect(portalConfigResource(cfnEvent('Create'))).rejects.toThrow(
      /linkout\/dev\/stripe has no Stripe secret key yet.*put-secret-value --secret-id linkout\/dev\/stripe/,
    );
    expect(await managedConfigurationIds()).toEqual([]);
  });

  it('creates one configuration per role, and an update leaves the same ones', async () => {
    fake.state.secretString = stored(TEST_SECRET_KEY, 'whsec_deploy');
    const created = await portalConfigResource(cfnEvent('Create'));
    expect(created.PhysicalResourceId).toBe('linkout-portal-configurations');
    expect(Object.keys(created.Data!).sort()).toEqual(['member', 'owner']);
    expect(Object.values(created.Data!).every((id) => id.startsWith('bpc_'))).toBe(true);

    const updated = await portalConfigResource(cfnEvent('Update'));
    expect(updated).toEqual(created);
    expect(await managedConfigurationIds()).toEqual(Object.values(created.Data!).sort());
  });

  it('leaves Stripe alone on delete and does not even read the secret', async () => {
    const before = await managedConfigurationIds();
    fake.state.requests = [];
    const deleted = await portalConfigResource(cfnEvent('Delete'));
    expect(deleted).toEqual({ PhysicalResourceId: 'linkout-portal-configurations' });
    expect(fake.state.requests).toHaveLength(0);
    expect(await managedConfigurationIds()).toEqual(before);
  });

  it.each([
    [SECRET_ARN, 'linkout/dev/stripe'],
    ['linkout/prod/stripe', 'linkout/prod/stripe'],
  ])('names the secret %s as %s in its instructions', (arn, name) => {
    expect(secretNameFromArn(arn)).toBe(name);
  });
});
