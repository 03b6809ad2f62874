import type Stripe from 'stripe';
import { useStripeEmulator } from './harness';
import { startWebhookReceiver, type WebhookReceiver } from './receiver';

describe('Stripe emulator: events and signed webhook delivery', () => {
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await startWebhookReceiver('whsec_current');
  });
  afterAll(() => receiver.close());
  // A secret being rolled: the emulator signs with the first of the list, as Stripe does.
  const harness = useStripeEmulator(() => ({ webhookUrl: receiver.url, webhookSecret: 'whsec_current,whsec_old' }));

  beforeEach(async () => {
    harness.emulator.setDelivery({});
    // Deliveries a previous test left under way must not land in this one.
    await harness.emulator.flushDeliveries();
    receiver.clear();
    receiver.respondWith(() => 200);
  });

  const idsOf = (events: Stripe.Event[]) => events.map((event) => event.id);

  it('delivers every event once, signed so that constructEvent accepts it', async () => {
    const before = harness.emulator.events().length;
    const customer = await harness.stripe.customers.create({ email: 'hook@example.com' });
    await harness.stripe.customers.update(customer.id, { name: 'Hook' });
    await harness.emulator.flushDeliveries();
    const emitted = harness.emulator.events().slice(before);
    expect(emitted.map((event) => event.type)).toEqual(['customer.created', 'customer.updated']);
    expect(receiver.rejected).toEqual([]);
    expect(idsOf(receiver.received.map((delivery) => delivery.event))).toEqual(idsOf(emitted));
    expect(receiver.received[0]!.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(receiver.received[1]!.event).toMatchObject({
      object: 'event',
      api_version: '2026-10-28.endive',
      livemode: false,
      pending_webhooks: 1,
      data: { previous_attributes: { name: null } },
    });
    expect(receiver.received[1]!.event.request?.id).toMatch(/^req_/);
  });

  it('retries a delivery the receiver refuses, with a bounded number of attempts', async () => {
    receiver.respondWith((_event, attempt) => (attempt < 3 ? 500 : 200));
    const customer = await harness.stripe.customers.create({ email: 'retry@example.com' });
    await harness.emulator.flushDeliveries();
    const created = harness.emulator.events().find((event) => event.type === 'customer.created' && (event.data.object as Stripe.Customer).id === customer.id)!;
    const attempts = harness.emulator.deliveries().filter((delivery) => delivery.eventId === created.id);
    expect(attempts.map((delivery) => [delivery.attempt, delivery.status])).toEqual([
      [1, 500],
      [2, 500],
      [3, 200],
    ]);

    receiver.respondWith(() => 503);
    harness.emulator.setDelivery({ maxAttempts: 2 });
    const failing = await harness.stripe.customers.create({ email: 'never@example.com' });
    await harness.emulator.flushDeliveries();
    expect(receiver.received.filter((delivery) => (delivery.event.data.object as Stripe.Customer).id === failing.id)).toHaveLength(2);
  });

  it('duplicates every event when asked', async () => {
    harness.emulator.setDelivery({ duplicate: true });
    await harness.stripe.customers.create({ email: 'twice@example.com' });
    await harness.emulator.flushDeliveries();
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received[0]!.event.id).toBe(receiver.received[1]!.event.id);
  });

  it('holds deliveries while paused, then reorders the batch a flush releases', async () => {
    harness.emulator.setDelivery({ paused: true, reorder: true });
    const before = harness.emulator.events().length;
    const customer = await harness.stripe.customers.create({ email: 'late@example.com' });
    await harness.stripe.customers.update(customer.id, { name: 'One' });
    await harness.stripe.customers.update(customer.id, { name: 'Two' });
    expect(receiver.received).toHaveLength(0);

    const releasedAt = performance.now();
    await harness.emulator.flushDeliveries();
    const emitted = idsOf(harness.emulator.events().slice(before));
    const delivered = idsOf(receiver.received.map((delivery) => delivery.event));
    expect(Math.min(...receiver.received.map((delivery) => delivery.arrivedAt))).toBeGreaterThanOrEqual(releasedAt);
    expect([...delivered].sort()).toEqual([...emitted].sort());
    // Unpaused, each call's event would have gone out alone, in the order of the calls.
    expect(delivered).not.toEqual(emitted);
  });

  describe('timing', () => {
    const DELAY_MS = 200;
    // Node's timers count whole milliseconds of the event loop's clock: one may fire up to 1 ms before
    // its delay has passed as performance.now() measures it.
    const TIMER_GRANULARITY_MS = 1;

    /** One API call and its one delivery: when it arrived, counted from the call and from its answer. */
    async function timeOneDelivery() {
      const calledAt = performance.now();
      await harness.stripe.customers.create({ email: 'timed@example.com' });
      const answeredAt = performance.now();
      await harness.emulator.flushDeliveries();
      expect(receiver.received).toHaveLength(1);
      const { arrivedAt } = receiver.received[0]!;
      return { sinceCall: arrivedAt - calledAt, sinceAnswer: arrivedAt - answeredAt };
    }

    it('answers the API call first, then delivers without waiting', async () => {
      const { sinceCall, sinceAnswer } = await timeOneDelivery();
      expect(sinceAnswer).toBeGreaterThanOrEqual(0);
      expect(sinceCall).toBeLessThan(DELAY_MS);
    });

    it('waits delayMs before delivering when asked', async () => {
      harness.emulator.setDelivery({ delayMs: DELAY_MS });
      const { sinceCall } = await timeOneDelivery();
      expect(sinceCall).toBeGreaterThanOrEqual(DELAY_MS - TIMER_GRANULARITY_MS);
    });
  });

  it('lists events newest first, filtered by type, types[] with wildcards and created', async () => {
    const customer = await harness.stripe.customers.create({ email: 'events@example.com' });
    await harness.stripe.customers.update(customer.id, { name: 'Events' });
    const latest = await harness.stripe.events.list({ limit: 2 });
    expect(latest.data.map((event) => event.type)).toEqual(['customer.updated', 'customer.created']);
    expect(latest.has_more).toBe(true);

    const updated = await harness.stripe.events.list({ type: 'customer.updated', limit: 100 });
    expect(updated.data.every((event) => event.type === 'customer.updated')).toBe(true);
    const wildcard = await harness.stripe.events.list({ types: ['customer.*'], limit: 100 });
    expect(wildcard.data.length).toBeGreaterThan(updated.data.length);
    const future = await harness.stripe.events.list({ created: { gt: latest.data[0]!.created + 3600 } });
    expect(future.data).toEqual([]);
    expect(await harness.stripe.events.retrieve(latest.data[0]!.id)).toMatchObject({ id: latest.data[0]!.id, type: 'customer.updated' });
  });
});
