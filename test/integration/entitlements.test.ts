import type { HttpResponse } from '#adapters/http/response';
import { nowInUnixSeconds } from '#core/clock';
import { makeEntitlementsHandler } from '#handlers/entitlements';
import { buildApiGatewayEvent } from '#local/api-gateway-event';
import { useLocalDynamo } from '../helpers/dynamodb';
import { body, config, createHarness, type Harness, stripeEvent, subscriptionObject } from './entitlement-harness';

const NOW = nowInUnixSeconds();

describe('GET /v1/entitlements', () => {
  const db = useLocalDynamo();
  let clock = NOW;
  let h: Harness;
  beforeAll(() => {
    h = createHarness({ dynamoEndpoint: db.endpoint, tableName: db.tableName, stripeApiUrl: 'http://127.0.0.1:9', now: () => clock }); // the read path never calls Stripe
  });
  afterAll(() => h.close());
  beforeEach(() => (clock = NOW));

  it('answers 401 without verified claims', async () => {
    const handler = makeEntitlementsHandler({ config, links: h.links, store: h.store });
    const response = (await handler(buildApiGatewayEvent({ method: 'GET', url: '/v1/entitlements' }), {} as never)) as HttpResponse;
    expect(response.statusCode).toBe(401);
    expect(body(response).error.code).toBe('unauthorized');
  });

  it('answers an account without a customer with active:false and empty lists, never cached', async () => {
    const response = await h.getEntitlements('acct_new');
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(body(response)).toEqual({ account: 'acct_new', customerId: null, active: false, entitlements: [], subscriptions: [], updatedAt: null });
  });

  it('takes the account from the token, never from the request', async () => {
    await h.links.link('acct_victim', 'cus_victim');
    await h.deliverEvent(
      stripeEvent('evt_v1', 'customer.subscription.created', NOW - 5, subscriptionObject({ id: 'sub_victim', customer: 'cus_victim', status: 'active' })),
    );
    const handler = makeEntitlementsHandler({ config, links: h.links, store: h.store });
    const response = (await handler(
      buildApiGatewayEvent({
        method: 'GET',
        url: '/v1/entitlements?account=acct_victim&customerId=cus_victim',
        headers: { 'x-account-id': 'acct_victim' },
        claims: { sub: 'acct_attacker' },
      }),
      {} as never,
    )) as HttpResponse;
    expect(body(response)).toMatchObject({ account: 'acct_attacker', customerId: null, active: false, subscriptions: [] });
  });

  it('applies expiry and pause resumption at read time, with no event', async () => {
    await h.links.link('acct_time', 'cus_time');
    const ending = subscriptionObject({ id: 'sub_ending', customer: 'cus_time', status: 'active', cancelAtPeriodEnd: true, currentPeriodEnd: NOW + 100 });
    const paused = subscriptionObject({
      id: 'sub_paused',
      customer: 'cus_time',
      status: 'active',
      paused: true,
      pauseResumesAt: NOW + 50,
      productId: 'prod_stock_photos_pro',
      lookupKey: 'stock_photos_pro_monthly',
    });
    await h.deliverEvent(stripeEvent('evt_t1', 'customer.subscription.updated', NOW - 10, ending));
    await h.deliverEvent(stripeEvent('evt_t2', 'customer.subscription.paused', NOW - 10, paused));

    const before = body(await h.getEntitlements('acct_time'));
    expect(before.entitlements).toEqual([
      { key: 'stock_photos', expiresAt: new Date((NOW + 100) * 1000).toISOString(), willRenew: false, billingIssue: false, subscriptionId: 'sub_ending' },
    ]);
    expect(before.subscriptions).toContainEqual(
      expect.objectContaining({ id: 'sub_paused', collectionPaused: true, pauseResumesAt: new Date((NOW + 50) * 1000).toISOString(), grantsAccess: false }),
    );

    clock = NOW + 60; // the pause is over
    const resumed = body(await h.getEntitlements('acct_time'));
    expect(resumed.entitlements.map((e: { key: string }) => e.key)).toEqual(['pro_editing', 'stock_photos']);
    expect(resumed.subscriptions).toContainEqual(
      expect.objectContaining({ id: 'sub_paused', collectionPaused: false, pauseResumesAt: null, grantsAccess: true }),
    );

    clock = NOW + 101; // the canceled subscription's period is over too
    const later = body(await h.getEntitlements('acct_time'));
    expect(later.subscriptions).toContainEqual(expect.objectContaining({ id: 'sub_ending', grantsAccess: false }));
    expect(later.entitlements.find((e: { key: string }) => e.key === 'stock_photos').subscriptionId).toBe('sub_paused');
  });

  it.each(['GetItemCommand', 'QueryCommand'])('answers 503 when DynamoDB fails (%s)', async (command) => {
    await h.links.link('acct_q', 'cus_q');
    h.failNext(command);
    const response = await h.getEntitlements('acct_q');
    expect(response.statusCode).toBe(503);
    expect(body(response).error.code).toBe('storage_unavailable');
  });
});
