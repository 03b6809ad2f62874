import { nowInUnixSeconds } from '#core/clock';
import { DYNAMO_SERVER_KINDS, useLocalDynamo } from '../helpers/dynamodb';
import { useStripeEmulator } from '../helpers/stripe';
import { body, createHarness, type Harness, invoiceObject, sign, stripeEvent, subscriptionObject, WEBHOOK_SECRET } from './entitlement-harness';

// One fixed clock for the handlers and the signatures, so the tolerance cases sit exactly at their edge.
const NOW = nowInUnixSeconds();

// Ordering, dedupe, ties and costs rest on DynamoDB's conditional writes: every case runs on dynalite
// (fast, pure Node) and on Amazon's DynamoDB Local, which behaves like the service where dynalite does not.
describe.each(DYNAMO_SERVER_KINDS)('POST /v1/webhooks/stripe (%s)', (kind) => {
  const db = useLocalDynamo({ kind });
  // DynamoDB Local returns the blocking item with a failed conditional write (ReturnValuesOnConditionCheckFailure),
  // as DynamoDB does; dynalite does not, so there the store reads the item once.
  const readsPerConflict = kind === 'dynamodb-local' ? 0 : 1;
  const stripe = useStripeEmulator();
  let h: Harness;
  beforeAll(() => {
    h = createHarness({
      dynamoEndpoint: db.endpoint,
      tableName: db.tableName,
      stripeApiUrl: stripe.emulator.url,
      webhookSecrets: ['whsec_old', WEBHOOK_SECRET],
      now: () => NOW,
    });
  });
  afterAll(() => h.close());
  beforeEach(() => h.resetCounts());

  const created = (id: string, customer = 'cus_sig', at = NOW) =>
    stripeEvent(id, 'customer.subscription.created', at, subscriptionObject({ id: 'sub_sig', customer, status: 'active' }));

  describe('rejects what it cannot verify, and writes nothing', () => {
    const payload = JSON.stringify(created('evt_sig_1'));
    it.each([
      ['missing signature', 'missing_signature', () => h.deliver(payload)],
      ['forged signature (unknown secret)', 'invalid_signature', () => h.deliver(payload, { 'stripe-signature': sign(payload, 'whsec_attacker', NOW) })],
      [
        'tampered body',
        'invalid_signature',
        () => h.deliver(payload.replace('"active"', '"trialing"'), { 'stripe-signature': sign(payload, WEBHOOK_SECRET, NOW) }),
      ],
      ['stale timestamp (older than 300 s)', 'invalid_signature', () => h.deliver(payload, { 'stripe-signature': sign(payload, WEBHOOK_SECRET, NOW - 301) })],
      [
        'future timestamp (more than 300 s ahead)',
        'invalid_signature',
        () => h.deliver(payload, { 'stripe-signature': sign(payload, WEBHOOK_SECRET, NOW + 301) }),
      ],
      ['malformed header', 'invalid_signature', () => h.deliver(payload, { 'stripe-signature': 'v1=abc' })],
      ['signed body that is not JSON', 'invalid_payload', () => h.deliver('not json', { 'stripe-signature': sign('not json', WEBHOOK_SECRET, NOW) })],
      [
        'signed JSON that is not a Stripe event',
        'invalid_payload',
        () => h.deliver('{"hello":"world"}', { 'stripe-signature': sign('{"hello":"world"}', WEBHOOK_SECRET, NOW) }),
      ],
    ])('%s -> 400 %s', async (_case, code, send) => {
      const response = await send();
      expect(response.statusCode).toBe(400);
      expect(body(response)).toEqual({ error: { code, message: expect.any(String) } });
      expect(h.counts.writes).toBe(0);
      expect(await h.scan()).toEqual([]);
    });
  });

  it('answers 503 and writes nothing while no signing secret is configured', async () => {
    const unconfigured = createHarness({
      dynamoEndpoint: db.endpoint,
      tableName: db.tableName,
      stripeApiUrl: stripe.emulator.url,
      webhookSecrets: [],
      now: () => NOW,
    });
    try {
      const payload = JSON.stringify(created('evt_nosecret', 'cus_nosecret'));
      const response = await unconfigured.deliver(payload, { 'stripe-signature': sign(payload, WEBHOOK_SECRET, NOW) });
      expect(response.statusCode).toBe(503);
      expect(body(response).error.code).toBe('webhook_not_configured');
      expect(unconfigured.counts.writes).toBe(0);
      expect(await unconfigured.scan()).toEqual([]);
    } finally {
      unconfigured.close();
    }
  });

  describe('accepts every valid form', () => {
    it('a body signed with the previous secret while the new one rolls out', async () => {
      const event = created('evt_rot_old', 'cus_rot_a');
      const response = await h.deliverEvent(event, { secret: 'whsec_old' });
      expect(body(response)).toEqual({ received: true, outcome: 'applied' });
    });

    it('a header with several v1 signatures, one of them valid', async () => {
      const payload = JSON.stringify(created('evt_rot_multi', 'cus_rot_b'));
      const valid = sign(payload, WEBHOOK_SECRET, NOW);
      const bogus = sign(payload, 'whsec_other', NOW).split(',')[1]!;
      const response = await h.deliver(payload, { 'stripe-signature': `${valid.split(',')[0]},${bogus},${valid.split(',')[1]}` });
      expect(response.statusCode).toBe(200);
      expect(body(response).outcome).toBe('applied');
    });

    it('a timestamp exactly at the 300 s tolerance, either side', async () => {
      const old = JSON.stringify(created('evt_edge_old', 'cus_edge_a'));
      const ahead = JSON.stringify(created('evt_edge_new', 'cus_edge_b'));
      expect((await h.deliver(old, { 'stripe-signature': sign(old, WEBHOOK_SECRET, NOW - 300) })).statusCode).toBe(200);
      expect((await h.deliver(ahead, { 'stripe-signature': sign(ahead, WEBHOOK_SECRET, NOW + 300) })).statusCode).toBe(200);
    });

    it('a base64-encoded body (API Gateway binary payload)', async () => {
      const payload = JSON.stringify(created('evt_b64', 'cus_b64'));
      const response = await h.deliver(payload, { 'stripe-signature': sign(payload, WEBHOOK_SECRET, NOW) }, { base64: true });
      expect(response.statusCode).toBe(200);
      expect(body(response).outcome).toBe('applied');
    });
  });

  describe('outcomes', () => {
    const sub = (status: 'active' | 'past_due' | 'canceled', extra = {}) => subscriptionObject({ id: 'sub_out', customer: 'cus_out', status, ...extra });

    it('applied, duplicate, stale, ignored', async () => {
      await h.links.link('acct_out', 'cus_out');
      const first = stripeEvent('evt_out_1', 'customer.subscription.created', NOW - 10, sub('active'));
      const second = stripeEvent('evt_out_2', 'customer.subscription.updated', NOW - 5, sub('past_due'));
      expect(body(await h.deliverEvent(first)).outcome).toBe('applied');
      expect(body(await h.deliverEvent(second)).outcome).toBe('applied');
      expect(body(await h.deliverEvent(second)).outcome).toBe('duplicate');
      expect(body(await h.deliverEvent(first)).outcome).toBe('stale');
      expect(body(await h.deliverEvent(stripeEvent('evt_out_3', 'charge.refunded', NOW, { id: 'ch_1', object: 'charge' }))).outcome).toBe('ignored');
      const view = body(await h.getEntitlements('acct_out'));
      expect(view.subscriptions).toEqual([expect.objectContaining({ id: 'sub_out', status: 'past_due', grantsAccess: true })]);
      expect(view.entitlements).toEqual([expect.objectContaining({ key: 'stock_photos', billingIssue: true })]);
    });

    it('never resurrects a canceled subscription with a late event', async () => {
      const canceled = stripeEvent(
        'evt_cx_2',
        'customer.subscription.deleted',
        NOW - 20,
        subscriptionObject({ id: 'sub_cx', customer: 'cus_out', status: 'canceled' }),
      );
      const lateActive = stripeEvent(
        'evt_cx_1',
        'customer.subscription.updated',
        NOW - 30,
        subscriptionObject({ id: 'sub_cx', customer: 'cus_out', status: 'active' }),
      );
      expect(body(await h.deliverEvent(canceled)).outcome).toBe('applied');
      expect(body(await h.deliverEvent(lateActive)).outcome).toBe('stale');
      const view = body(await h.getEntitlements('acct_out'));
      expect(view.subscriptions).toContainEqual(expect.objectContaining({ id: 'sub_cx', status: 'canceled', grantsAccess: false }));
    });

    it('a failed invoice newer than the snapshot raises billingIssue, a paid one clears it', async () => {
      await h.links.link('acct_inv', 'cus_inv');
      const sub = subscriptionObject({ id: 'sub_inv', customer: 'cus_inv', status: 'active' });
      await h.deliverEvent(stripeEvent('evt_inv_0', 'customer.subscription.created', NOW - 50, sub));
      const failed = stripeEvent('evt_inv_1', 'invoice.payment_failed', NOW - 40, invoiceObject('in_1', 'cus_inv', 'sub_inv'));
      expect(body(await h.deliverEvent(failed)).outcome).toBe('applied');
      expect(body(await h.getEntitlements('acct_inv')).entitlements[0].billingIssue).toBe(true);
      const paid = stripeEvent('evt_inv_2', 'invoice.paid', NOW - 30, invoiceObject('in_1', 'cus_inv', 'sub_inv'));
      expect(body(await h.deliverEvent(paid)).outcome).toBe('applied');
      expect(body(await h.deliverEvent(failed)).outcome).toBe('stale');
      expect(body(await h.getEntitlements('acct_inv')).entitlements[0].billingIssue).toBe(false);
    });

    it('customer.deleted ends access for good', async () => {
      await h.links.link('acct_del', 'cus_del');
      await h.deliverEvent(
        stripeEvent('evt_del_0', 'customer.subscription.created', NOW - 50, subscriptionObject({ id: 'sub_del', customer: 'cus_del', status: 'active' })),
      );
      expect(body(await h.getEntitlements('acct_del')).active).toBe(true);
      const deleted = stripeEvent('evt_del_1', 'customer.deleted', NOW - 10, { id: 'cus_del', object: 'customer', deleted: true });
      expect(body(await h.deliverEvent(deleted)).outcome).toBe('applied');
      expect(body(await h.deliverEvent(deleted)).outcome).toBe('duplicate');
      expect(body(await h.getEntitlements('acct_del'))).toMatchObject({ active: false, entitlements: [] });
    });

    it('Stripe Entitlements summaries are kept in order', async () => {
      await h.links.link('acct_sum', 'cus_sum');
      const summary = (keys: string[]) => ({
        object: 'entitlements.active_entitlement_summary',
        customer: 'cus_sum',
        livemode: false,
        entitlements: { object: 'list', data: keys.map((lookup_key) => ({ lookup_key })) },
      });
      const type = 'entitlements.active_entitlement_summary.updated';
      expect(body(await h.deliverEvent(stripeEvent('evt_sum_2', type, NOW - 5, summary(['raw_export'])))).outcome).toBe('applied');
      expect(body(await h.deliverEvent(stripeEvent('evt_sum_1', type, NOW - 9, summary([])))).outcome).toBe('stale');
      expect(body(await h.getEntitlements('acct_sum')).entitlements.map((e: { key: string }) => e.key)).toEqual(['raw_export']);
    });

    it('summaries the emulator emits itself: a feature on a catalog product, a subscription, its cancellation', async () => {
      const client = stripe.stripe;
      const feature = await client.entitlements.features.create({ lookup_key: 'lightroom_presets', name: 'Lightroom presets' });
      await client.products.createFeature('prod_stock_photos', { entitlement_feature: feature.id });
      const customer = await client.customers.create({ email: 'entitled@example.com' });
      await h.links.link('acct_emu_sum', customer.id);
      const [price] = (await client.prices.list({ lookup_keys: ['stock_photos_monthly'] })).data;
      const subscription = await client.subscriptions.create({ customer: customer.id, items: [{ price: price!.id }] });
      const summaries = () =>
        stripe.emulator
          .events()
          .filter(
            (event) => event.type === 'entitlements.active_entitlement_summary.updated' && (event.data.object as { customer: string }).customer === customer.id,
          );
      const keys = async () => body(await h.getEntitlements('acct_emu_sum')).entitlements.map((e: { key: string }) => e.key);

      expect(summaries()).toHaveLength(1);
      expect(body(await h.deliverEvent(summaries()[0]!)).outcome).toBe('applied');
      expect(await keys()).toEqual(['lightroom_presets']);

      await client.subscriptions.cancel(subscription.id);
      expect(summaries()).toHaveLength(2);
      expect(body(await h.deliverEvent(summaries()[1]!)).outcome).toBe('applied');
      expect(await keys()).toEqual([]);
    });
  });

  describe('costs', () => {
    it('an in-order event for a known customer costs exactly one DynamoDB write and no Stripe call', async () => {
      await h.links.link('acct_cost', 'cus_cost');
      const states = ['active', 'past_due', 'active', 'canceled'] as const;
      for (const [i, status] of states.entries()) {
        // The first event of a customer in this process reads its link once; prime that outside the count.
        if (i === 1) h.resetCounts();
        const event = stripeEvent(
          `evt_cost_${i}`,
          'customer.subscription.updated',
          NOW - 100 + i,
          subscriptionObject({ id: 'sub_cost', customer: 'cus_cost', status }),
        );
        expect(body(await h.deliverEvent(event)).outcome).toBe('applied');
      }
      expect(h.counts).toMatchObject({ writes: 3, stripeCalls: 0, reads: 0 });
    });

    it(`a duplicate costs one (failed) conditional write, ${readsPerConflict} read(s) and no Stripe call`, async () => {
      const event = stripeEvent(
        'evt_cost_3',
        'customer.subscription.updated',
        NOW - 97,
        subscriptionObject({ id: 'sub_cost', customer: 'cus_cost', status: 'canceled' }),
      );
      h.resetCounts();
      expect(body(await h.deliverEvent(event)).outcome).toBe('duplicate');
      expect(h.counts).toEqual({ writes: 1, reads: readsPerConflict, stripeCalls: 0 });
    });

    it(`a stale event costs one (failed) conditional write, ${readsPerConflict} read(s) and no Stripe call`, async () => {
      const event = stripeEvent(
        'evt_cost_1',
        'customer.subscription.updated',
        NOW - 99,
        subscriptionObject({ id: 'sub_cost', customer: 'cus_cost', status: 'past_due' }),
      );
      h.resetCounts();
      expect(body(await h.deliverEvent(event)).outcome).toBe('stale');
      expect(h.counts).toEqual({ writes: 1, reads: readsPerConflict, stripeCalls: 0 });
    });
  });

  describe('same-second tie', () => {
    it('asks Stripe for the subscription and stores what it says', async () => {
      const customer = await stripe.stripe.customers.create({ metadata: { app_account_id: 'acct_tie' } });
      const price = (await stripe.stripe.prices.list({ lookup_keys: ['stock_photos_monthly'] })).data[0]!;
      const sub = await stripe.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
      const current = await stripe.stripe.subscriptions.update(sub.id, { cancel_at_period_end: true });
      const second = NOW - 3;
      // Two different events in the same second, the older one (by Stripe's truth) delivered last.
      const newer = stripeEvent('evt_tie_b', 'customer.subscription.updated', second, current);
      const older = stripeEvent('evt_tie_a', 'customer.subscription.created', second, sub);
      expect(body(await h.deliverEvent(newer)).outcome).toBe('applied');
      h.resetCounts();
      expect(body(await h.deliverEvent(older)).outcome).toBe('applied');
      expect(h.counts.stripeCalls).toBe(1);
      // Both ids are now known in that second: their copies are duplicates, with no further Stripe call.
      expect(body(await h.deliverEvent(older)).outcome).toBe('duplicate');
      expect(body(await h.deliverEvent(newer)).outcome).toBe('duplicate');
      expect(h.counts.stripeCalls).toBe(1);
      const view = body(await h.getEntitlements('acct_tie'));
      expect(view.customerId).toBe(customer.id);
      expect(view.subscriptions).toEqual([expect.objectContaining({ id: sub.id, cancelAtPeriodEnd: true, grantsAccess: true })]);
      expect(view.entitlements).toEqual([expect.objectContaining({ key: 'stock_photos', willRenew: false })]);
    });
  });

  describe('same-second invoice events', () => {
    it('let the subscription’s status in Stripe decide the billing issue', async () => {
      const customer = await stripe.stripe.customers.create({ metadata: { app_account_id: 'acct_inv_tie' } });
      const price = (await stripe.stripe.prices.list({ lookup_keys: ['stock_photos_monthly'] })).data[0]!;
      const sub = await stripe.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
      const failCharge = await fetch(`${stripe.emulator.url}/_emulator/subscriptions/${sub.id}/payment_failed`, { method: 'POST' });
      expect(failCharge.status).toBe(200);
      expect((await stripe.stripe.subscriptions.retrieve(sub.id)).status).toBe('past_due');
      await h.deliverEvent(stripeEvent('evt_it_0', 'customer.subscription.created', NOW - 30, sub));
      const second = NOW - 10;
      expect(body(await h.deliverEvent(stripeEvent('evt_it_paid', 'invoice.paid', second, invoiceObject('in_a', customer.id, sub.id)))).outcome).toBe(
        'applied',
      );
      h.resetCounts();
      expect(
        body(await h.deliverEvent(stripeEvent('evt_it_failed', 'invoice.payment_failed', second, invoiceObject('in_b', customer.id, sub.id)))).outcome,
      ).toBe('applied');
      expect(h.counts.stripeCalls).toBe(1);
      const view = body(await h.getEntitlements('acct_inv_tie'));
      // The stored snapshot (from the older event) still says active; the tie-settled signal says the payment failed.
      expect(view.entitlements).toEqual([expect.objectContaining({ key: 'stock_photos', billingIssue: true })]);
    });
  });

  describe('same-second entitlement summaries', () => {
    it('store the active entitlements Stripe lists now', async () => {
      // The emulator has no Stripe Entitlements API: this one read answers from a fixed list.
      const listed: string[] = [];
      const withEntitlements = createHarness({
        dynamoEndpoint: db.endpoint,
        tableName: db.tableName,
        stripeApiUrl: stripe.emulator.url,
        now: () => NOW,
        billing: (real) => ({
          subscription: (id) => real.subscription(id),
          customerAccountId: (id) => real.customerAccountId(id),
          activeEntitlementKeys: async (customerId) => {
            listed.push(customerId);
            return ['raw_export', 'team_library'];
          },
        }),
      });
      try {
        await withEntitlements.links.link('acct_sum_tie', 'cus_sum_tie');
        const summary = (keys: string[]) => ({
          object: 'entitlements.active_entitlement_summary',
          customer: 'cus_sum_tie',
          livemode: false,
          entitlements: { object: 'list', data: keys.map((lookup_key) => ({ lookup_key })) },
        });
        const type = 'entitlements.active_entitlement_summary.updated';
        expect(body(await withEntitlements.deliverEvent(stripeEvent('evt_st_1', type, NOW - 4, summary([]))))).toMatchObject({ outcome: 'applied' });
        expect(body(await withEntitlements.deliverEvent(stripeEvent('evt_st_2', type, NOW - 4, summary(['raw_export']))))).toMatchObject({
          outcome: 'applied',
        });
        expect(listed).toEqual(['cus_sum_tie']);
        const keys = body(await withEntitlements.getEntitlements('acct_sum_tie')).entitlements.map((e: { key: string }) => e.key);
        expect(keys).toEqual(['raw_export', 'team_library']);
      } finally {
        withEntitlements.close();
      }
    });
  });

  describe('customers Linkout has not seen', () => {
    it('links through metadata.app_account_id, asking Stripe once', async () => {
      const customer = await stripe.stripe.customers.create({ metadata: { app_account_id: 'acct_meta' } });
      const event = (i: number, status: 'active' | 'past_due') =>
        stripeEvent(`evt_meta_${i}`, 'customer.subscription.updated', NOW - 20 + i, subscriptionObject({ id: 'sub_meta', customer: customer.id, status }));
      expect(body(await h.deliverEvent(event(0, 'active'))).outcome).toBe('applied');
      expect(h.counts.stripeCalls).toBe(1);
      expect(await h.links.customerForAccount('acct_meta')).toBe(customer.id);
      h.resetCounts();
      expect(body(await h.deliverEvent(event(1, 'past_due'))).outcome).toBe('applied');
      expect(h.counts).toMatchObject({ writes: 1, stripeCalls: 0 });
      expect(body(await h.getEntitlements('acct_meta')).subscriptions[0].status).toBe('past_due');
    });

    it('stores events of a customer without an account and shows them once the account is linked', async () => {
      const customer = await stripe.stripe.customers.create({ email: 'nobody@example.com' });
      const event = (i: number) =>
        stripeEvent(
          `evt_orphan_${i}`,
          'customer.subscription.updated',
          NOW - 20 + i,
          subscriptionObject({ id: 'sub_orphan', customer: customer.id, status: 'active' }),
        );
      expect(body(await h.deliverEvent(event(0))).outcome).toBe('applied');
      expect(body(await h.deliverEvent(event(1))).outcome).toBe('applied');
      expect(h.counts.stripeCalls).toBe(1); // the "no account" answer is remembered
      expect(body(await h.getEntitlements('acct_later'))).toMatchObject({ customerId: null, active: false });
      await h.links.link('acct_later', customer.id);
      expect(body(await h.getEntitlements('acct_later'))).toMatchObject({ customerId: customer.id, active: true });
    });

    it('keeps an account’s first customer when another customer names the same account', async () => {
      const first = await stripe.stripe.customers.create({ metadata: { app_account_id: 'acct_first' } });
      const second = await stripe.stripe.customers.create({ metadata: { app_account_id: 'acct_first' } });
      await h.links.link('acct_first', first.id);
      const event = (i: number) =>
        stripeEvent(
          `evt_second_${i}`,
          'customer.subscription.updated',
          NOW - 20 + i,
          subscriptionObject({ id: 'sub_second', customer: second.id, status: 'active' }),
        );
      h.resetCounts();
      expect(body(await h.deliverEvent(event(0))).outcome).toBe('applied');
      expect(body(await h.deliverEvent(event(1))).outcome).toBe('applied');
      expect(h.counts.stripeCalls).toBe(1);
      expect(await h.links.customerForAccount('acct_first')).toBe(first.id);
      expect(await h.links.accountForCustomer(second.id)).toBeUndefined();
    });

    it('links from a customer.updated event that carries the account', async () => {
      const event = stripeEvent('evt_cu_1', 'customer.updated', NOW, { id: 'cus_from_event', object: 'customer', metadata: { app_account_id: 'acct_ev' } });
      expect(body(await h.deliverEvent(event)).outcome).toBe('applied');
      expect(await h.links.customerForAccount('acct_ev')).toBe('cus_from_event');
      h.resetCounts();
      const again = stripeEvent('evt_cu_2', 'customer.updated', NOW, { id: 'cus_from_event', object: 'customer', metadata: { app_account_id: 'acct_ev' } });
      expect(body(await h.deliverEvent(again)).outcome).toBe('duplicate');
      expect(h.counts.writes).toBe(0);
    });
  });

  describe('transient failures', () => {
    it('a DynamoDB failure answers 503 and the redelivery converges', async () => {
      await h.links.link('acct_fault', 'cus_fault');
      const event = stripeEvent(
        'evt_fault_1',
        'customer.subscription.created',
        NOW - 5,
        subscriptionObject({ id: 'sub_fault', customer: 'cus_fault', status: 'active' }),
      );
      h.failNext('UpdateItemCommand');
      const failed = await h.deliverEvent(event);
      expect(failed.statusCode).toBe(503);
      expect(body(failed).error.code).toBe('storage_unavailable');
      expect(body(await h.getEntitlements('acct_fault')).subscriptions).toEqual([]);
      const retried = await h.deliverEvent(event);
      expect(body(retried)).toEqual({ received: true, outcome: 'applied' });
      expect(body(await h.getEntitlements('acct_fault')).active).toBe(true);
    });

    it('Stripe unreachable during a tie answers 503, nothing is guessed', async () => {
      const offline = createHarness({ dynamoEndpoint: db.endpoint, tableName: db.tableName, stripeApiUrl: 'http://127.0.0.1:9', now: () => NOW });
      try {
        await offline.links.link('acct_off', 'cus_off');
        const a = stripeEvent(
          'evt_off_a',
          'customer.subscription.created',
          NOW - 5,
          subscriptionObject({ id: 'sub_off', customer: 'cus_off', status: 'active' }),
        );
        const b = stripeEvent(
          'evt_off_b',
          'customer.subscription.updated',
          NOW - 5,
          subscriptionObject({ id: 'sub_off', customer: 'cus_off', status: 'canceled' }),
        );
        expect(body(await offline.deliverEvent(a)).outcome).toBe('applied');
        const response = await offline.deliverEvent(b);
        expect(response.statusCode).toBe(503);
        expect(body(response).error.code).toBe('stripe_unavailable');
        expect(body(await offline.getEntitlements('acct_off')).subscriptions[0].status).toBe('active');
      } finally {
        offline.close();
      }
    });
  });
});
