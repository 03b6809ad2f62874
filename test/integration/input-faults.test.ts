import { createHmac } from 'node:crypto';
import { nowInUnixSeconds } from '#core/clock';
import { useLocalDynamo } from '../helpers/dynamodb';
import { useStripeEmulator } from '../helpers/stripe';
import { body, createHarness, type Harness, sign, stripeEvent, subscriptionObject, WEBHOOK_SECRET } from './entitlement-harness';

// Issue 12, F1, F3 and F4: signed webhooks that must be refused with 400 before anything is written.
const NOW = nowInUnixSeconds();

describe('POST /v1/webhooks/stripe refuses signed but faulty deliveries', () => {
  const db = useLocalDynamo();
  const stripe = useStripeEmulator();
  let h: Harness;
  beforeAll(() => {
    h = createHarness({
      dynamoEndpoint: db.endpoint,
      tableName: db.tableName,
      stripeApiUrl: stripe.emulator.url,
      webhookSecrets: [WEBHOOK_SECRET],
      now: () => NOW,
    });
  });
  afterAll(() => h.close());
  beforeEach(() => h.resetCounts());

  const subscription = (overrides: Record<string, unknown> = {}) => ({
    ...subscriptionObject({ id: 'sub_faulty', customer: 'cus_faulty', status: 'active' }),
    ...overrides,
  });
  const items = (data: unknown) => subscription({ items: { object: 'list', data } });
  const subscriptionEvent = (object: unknown, created = NOW) => stripeEvent('evt_faulty', 'customer.subscription.updated', created, object);
  const summaryEvent = (object: unknown) => stripeEvent('evt_faulty', 'entitlements.active_entitlement_summary.updated', NOW, object);
  const { id: _noId, ...subscriptionWithoutId } = subscription();

  /** A v1 signature over `t.payload` for one timestamp, the way Stripe signs. */
  const v1 = (payload: string, timestamp: number) => createHmac('sha256', WEBHOOK_SECRET).update(`${timestamp}.${payload}`).digest('hex');

  it.each([
    ['items.data of [{}]', subscriptionEvent(items([{}]))],
    ['items.data of [null]', subscriptionEvent(items([null]))],
    ['items.data of "x"', subscriptionEvent(items('x'))],
    ['a subscription without id', subscriptionEvent(subscriptionWithoutId)],
    ['event created 1e300', subscriptionEvent(subscription(), 1e300)],
    ['event created not an integer', subscriptionEvent(subscription(), NOW + 0.5)],
    ['event created negative', subscriptionEvent(subscription(), -1)],
    ['subscription created 1e300', subscriptionEvent(subscription({ created: 1e300 }))],
    [
      'an entitlement summary whose entitlements.data is not a list',
      summaryEvent({ object: 'entitlements.active_entitlement_summary', customer: 'cus_faulty', entitlements: { data: 'x' } }),
    ],
    ['an entitlement summary without customer', summaryEvent({ object: 'entitlements.active_entitlement_summary', entitlements: { data: [] } })],
    ['customer.deleted without id (F4)', stripeEvent('evt_faulty', 'customer.deleted', NOW, { object: 'customer', deleted: true })],
  ])('%s -> 400 invalid_payload, nothing written', async (_case, event) => {
    const response = await h.deliverEvent(event);
    expect([response.statusCode, body(response).error.code]).toEqual([400, 'invalid_payload']);
    expect(h.counts.writes).toBe(0);
    expect(await h.scan()).toEqual([]);
  });

  it.each([
    ['a future t first, the valid t last', NOW + 3_600, NOW],
    ['the valid t first, a future t last', NOW, NOW + 3_600],
  ])('a Stripe-Signature with two t= values (%s) -> 400 invalid_signature (F1)', async (_case, first, last) => {
    const payload = JSON.stringify(subscriptionEvent(subscription()));
    // Signatures for both timestamps, so whichever t a verifier picks, an HMAC matches it.
    const header = `t=${first},t=${last},v1=${v1(payload, first)},v1=${v1(payload, last)}`;
    const response = await h.deliver(payload, { 'stripe-signature': header });
    expect([response.statusCode, body(response).error.code]).toEqual([400, 'invalid_signature']);
    expect(body(response).error.message).toMatch(/more than one timestamp/);
    expect(h.counts.writes).toBe(0);
  });

  it('still applies a well-formed event (200)', async () => {
    const payload = JSON.stringify(subscriptionEvent(subscription()));
    const response = await h.deliver(payload, { 'stripe-signature': sign(payload, WEBHOOK_SECRET, NOW) });
    expect(response.statusCode).toBe(200);
    expect(h.counts.writes).toBeGreaterThan(0);
  });
});
