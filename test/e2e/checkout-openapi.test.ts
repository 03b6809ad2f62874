/**
 * POST /v1/checkout-sessions against the OpenAPI document: the request schema accepts exactly what
 * the handler's zod schema accepts, and every answer of the real handler (through the local stack,
 * JWT authorizer included) matches the documented status, headers and body schema.
 */
import { CheckoutSessionRequestSchema } from '#core/checkout-policy';
import { contractProblems, doc, validatorAt } from '../integration/portal-contract';
import { usePortalStack } from './portal-stack';

describe('the documented checkout request', () => {
  const requestSchema = () => validatorAt('components', 'schemas', 'CheckoutSessionRequest');
  it.each<[string, unknown]>([
    ['every documented example', undefined],
    ['a price id', { priceId: 'price_123' }],
    ['a lookup key with a return path', { priceId: 'stock_photos_monthly', returnPath: '/checkout_redirect' }],
    ['an empty body', {}],
    ['an empty price', { priceId: '' }],
    ['a numeric price', { priceId: 7 }],
    ['an unknown field', { priceId: 'price_1', customer: 'cus_1' }],
    ['a quantity', { priceId: 'price_1', quantity: 2 }],
    ['a numeric return path', { priceId: 'price_1', returnPath: 7 }],
    ['an over-long price', { priceId: 'p'.repeat(251) }],
  ])('agrees with the handler on %s', (_name, body) => {
    const bodies = body === undefined ? doc.components.schemas.CheckoutSessionRequest.examples : [body];
    expect(bodies.length).toBeGreaterThan(0);
    for (const candidate of bodies) {
      expect({ body: candidate, openapi: requestSchema()(candidate) }).toEqual({
        body: candidate,
        openapi: CheckoutSessionRequestSchema.safeParse(candidate).success,
      });
    }
  });
});

describe('the real checkout handler answers as documented (local stack)', () => {
  const portal = usePortalStack();

  it('POST /v1/checkout-sessions: 201, 400, 401, 403, 409', async () => {
    const expectContract = async (token: string | undefined, body: unknown, status: number) => {
      const reply = await portal.call('POST', '/v1/checkout-sessions', token, body);
      expect({ status: reply.status, problems: contractProblems('POST', '/v1/checkout-sessions', reply) }).toEqual({ status, problems: [] });
      return reply;
    };
    const buyer = await portal.token('team-checkout-contract', 'owner');
    const created = await expectContract(buyer, { priceId: 'stock_photos_monthly' }, 201);
    expect(created.body.url).toMatch(/^http:\/\//);
    await expectContract(buyer, { priceId: 'price_not_ours' }, 400);
    await expectContract(buyer, '{not json', 400);
    await expectContract(undefined, { priceId: 'stock_photos_monthly' }, 401);
    await expectContract(await portal.token('team-checkout-contract', 'member'), { priceId: 'stock_photos_monthly' }, 403);
    await portal.subscribedAccount('team-checkout-subscribed');
    await expectContract(await portal.token('team-checkout-subscribed', 'owner'), { priceId: 'stock_photos_yearly' }, 409);
  });
});
