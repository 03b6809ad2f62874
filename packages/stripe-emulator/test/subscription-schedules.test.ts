import type Stripe from 'stripe';
import { useStripeEmulator } from './harness';

const DAY = 86400;

/** `iterations` left stripe-node's phase type, but Stripe (and the CLI's fixtures) still send it. */
type PhaseWithIterations = Stripe.SubscriptionScheduleCreateParams.Phase & { iterations?: number };

describe('Stripe emulator: subscription schedules and trial notices', () => {
  const clock = 1_800_000_000; // 2027-01-15T08:00:00Z
  const harness = useStripeEmulator({ now: () => clock });
  const at = (year: number, month: number, day: number) => Date.UTC(year, month - 1, day, 8) / 1000;

  // advance_period moves the emulator's clock; each test starts again from `clock`.
  beforeEach(async () => {
    expect((await fetch(`${harness.emulator.url}/_emulator/reset`, { method: 'POST' })).status).toBe(200);
  });

  function eventsSince(from: number): Stripe.Event[] {
    return harness.emulator.events().slice(from);
  }

  /** Events about these objects (by id, or invoices by their subscription), as [type, object id]. */
  function timeline(from: number, ...ids: string[]): string[][] {
    return eventsSince(from)
      .filter((event) => {
        const object = event.data.object as { id: string; parent?: { subscription_details?: { subscription?: string } } };
        return ids.includes(object.id) || ids.includes(object.parent?.subscription_details?.subscription ?? '');
      })
      .map((event) => [event.type, (event.data.object as { object: string }).object]);
  }

  async function advancePeriod(subscriptionId: string): Promise<Stripe.Subscription> {
    const response = await fetch(`${harness.emulator.url}/_emulator/subscriptions/${subscriptionId}/advance_period`, { method: 'POST' });
    expect(response.status).toBe(200);
    return (await response.json()) as Stripe.Subscription;
  }

  async function monthlyPrice(): Promise<string> {
    return (await harness.stripe.prices.list({ lookup_keys: ['stock_photos_monthly'] })).data[0]!.id;
  }

  async function twoPhaseSchedule(extra: Partial<Stripe.SubscriptionScheduleCreateParams> = {}) {
    const customer = await harness.stripe.customers.create({ email: 'schedule@example.com' });
    const price = await monthlyPrice();
    const schedule = await harness.stripe.subscriptionSchedules.create({
      customer: customer.id,
      start_date: 'now',
      phases: [
        { iterations: 1, items: [{ price, quantity: 1 }] },
        { duration: { interval: 'month' }, items: [{ price, quantity: 2 }] },
      ] as PhaseWithIterations[],
      ...extra,
    });
    return { customer, price, schedule, subscription: await harness.stripe.subscriptions.retrieve(schedule.subscription as string) };
  }

  describe('schedules', () => {
    it('starting now creates the subscription (schedule set), then subscription_schedule.created', async () => {
      const from = harness.emulator.events().length;
      const { schedule, subscription, price } = await twoPhaseSchedule({ metadata: { plan: 'ramp' } });
      expect(schedule).toMatchObject({
        object: 'subscription_schedule',
        status: 'active',
        end_behavior: 'release',
        metadata: { plan: 'ramp' },
        current_phase: { start_date: clock, end_date: at(2027, 2, 15) },
        released_subscription: null,
        canceled_at: null,
      });
      expect(schedule.id).toMatch(/^sub_sched_/);
      expect(schedule.phases.map((phase) => [phase.start_date, phase.end_date, phase.items[0]!.quantity])).toEqual([
        [clock, at(2027, 2, 15), 1],
        [at(2027, 2, 15), at(2027, 3, 15), 2],
      ]);
      expect(schedule.phases[0]!.items[0]).toMatchObject({ price, plan: price });
      expect(subscription).toMatchObject({ status: 'active', schedule: schedule.id, items: { data: [{ quantity: 1 }] } });
      expect(timeline(from, schedule.id, subscription.id)).toEqual([
        ['customer.subscription.created', 'subscription'],
        ['invoice.created', 'invoice'],
        ['invoice.finalized', 'invoice'],
        ['invoice.paid', 'invoice'],
        ['invoice.payment_succeeded', 'invoice'],
        ['subscription_schedule.created', 'subscription_schedule'],
      ]);
      const created = eventsSince(from).find((event) => event.type === 'customer.subscription.created')!;
      expect(created.data.object).toMatchObject({ schedule: schedule.id });
    });

    it('advance_period enters the next phase, then completes (expiring first) and releases the subscription', async () => {
      const { stripe } = harness;
      const { schedule, subscription } = await twoPhaseSchedule();
      let from = harness.emulator.events().length;
      const second = await advancePeriod(subscription.id);
      expect(second.items.data[0]).toMatchObject({ quantity: 2, current_period_start: at(2027, 2, 15) });
      expect(await stripe.invoices.retrieve(second.latest_invoice as string)).toMatchObject({ amount_paid: 3000, billing_reason: 'subscription_cycle' });
      const entered = await stripe.subscriptionSchedules.retrieve(schedule.id);
      expect(entered.current_phase).toEqual({ start_date: at(2027, 2, 15), end_date: at(2027, 3, 15) });
      const phaseEvent = eventsSince(from).find((event) => event.type === 'subscription_schedule.updated')!;
      expect(phaseEvent.data.previous_attributes).toEqual({ current_phase: { start_date: clock, end_date: at(2027, 2, 15) } });

      from = harness.emulator.events().length;
      const released = await advancePeriod(subscription.id);
      expect(released).toMatchObject({ status: 'active', schedule: null, items: { data: [{ quantity: 2, current_period_start: at(2027, 3, 15) }] } });
      expect(await stripe.subscriptionSchedules.retrieve(schedule.id)).toMatchObject({
        status: 'completed',
        completed_at: at(2027, 3, 15),
        current_phase: null,
        subscription: null,
        released_subscription: subscription.id,
      });
      const types = timeline(from, schedule.id, subscription.id).map(([type]) => type);
      expect(types[0]).toBe('subscription_schedule.expiring');
      expect(types[1]).toBe('subscription_schedule.completed');
      expect(types.at(-1)).toBe('customer.subscription.updated');
      const expiring = eventsSince(from).find((event) => event.type === 'subscription_schedule.expiring')!;
      expect(expiring.created).toBe(at(2027, 3, 15) - 7 * DAY);
    });

    it('end_behavior cancel ends the subscription with the last phase', async () => {
      const customer = await harness.stripe.customers.create({});
      const schedule = await harness.stripe.subscriptionSchedules.create({
        customer: customer.id,
        start_date: 'now',
        end_behavior: 'cancel',
        phases: [{ items: [{ price: await monthlyPrice() }] }],
      });
      const from = harness.emulator.events().length;
      const ended = await advancePeriod(schedule.subscription as string);
      expect(ended).toMatchObject({ status: 'canceled' });
      expect(timeline(from, schedule.id, ended.id).map(([type]) => type)).toEqual([
        'subscription_schedule.expiring',
        'customer.subscription.deleted',
        'subscription_schedule.completed',
      ]);
      expect(await harness.stripe.subscriptionSchedules.retrieve(schedule.id)).toMatchObject({ status: 'completed', subscription: ended.id });
    });

    it('a future start waits (not_started, no subscription) and can be canceled', async () => {
      const { stripe } = harness;
      const customer = await stripe.customers.create({});
      const start = clock + 30 * DAY;
      const schedule = await stripe.subscriptionSchedules.create({
        customer: customer.id,
        start_date: start,
        phases: [{ items: [{ price: await monthlyPrice(), quantity: 1 }] }],
      });
      expect(schedule).toMatchObject({ status: 'not_started', subscription: null, current_phase: null, phases: [{ start_date: start }] });
      expect((await stripe.subscriptions.list({ customer: customer.id, status: 'all' })).data).toEqual([]);
      expect((await stripe.subscriptionSchedules.list({ customer: customer.id, scheduled: true })).data.map((listed) => listed.id)).toEqual([schedule.id]);

      const from = harness.emulator.events().length;
      expect(await stripe.subscriptionSchedules.cancel(schedule.id, { invoice_now: false, prorate: false })).toMatchObject({
        status: 'canceled',
        canceled_at: clock,
      });
      expect(timeline(from, schedule.id).map(([type]) => type)).toEqual(['subscription_schedule.canceled']);
      await expect(stripe.subscriptionSchedules.cancel(schedule.id)).rejects.toMatchObject({ statusCode: 400 });
      expect((await stripe.subscriptionSchedules.list({ customer: customer.id, scheduled: true })).data).toEqual([]);
    });

    it('cancel: the subscription ends first (customer.subscription.deleted), then subscription_schedule.canceled', async () => {
      const { schedule, subscription } = await twoPhaseSchedule();
      const from = harness.emulator.events().length;
      await harness.stripe.subscriptionSchedules.cancel(schedule.id);
      expect(await harness.stripe.subscriptions.retrieve(subscription.id)).toMatchObject({ status: 'canceled' });
      expect(timeline(from, schedule.id, subscription.id).map(([type]) => type)).toEqual(['customer.subscription.deleted', 'subscription_schedule.canceled']);
    });

    it('release: the subscription keeps running without a schedule', async () => {
      const { stripe } = harness;
      const { schedule, subscription } = await twoPhaseSchedule();
      const from = harness.emulator.events().length;
      const released = await stripe.subscriptionSchedules.release(schedule.id);
      expect(released).toMatchObject({
        status: 'released',
        released_at: clock,
        released_subscription: subscription.id,
        subscription: null,
        current_phase: null,
      });
      expect(await stripe.subscriptions.retrieve(subscription.id)).toMatchObject({ status: 'active', schedule: null });
      expect(timeline(from, schedule.id, subscription.id).map(([type]) => type)).toEqual(['subscription_schedule.released', 'customer.subscription.updated']);
      expect(eventsSince(from)[1]!.data.previous_attributes).toEqual({ schedule: schedule.id });
      await expect(stripe.subscriptionSchedules.update(schedule.id, { metadata: { a: 'b' } })).rejects.toMatchObject({ statusCode: 400 });
      await expect(stripe.subscriptionSchedules.release(schedule.id)).rejects.toMatchObject({ statusCode: 400 });
    });

    it('update: metadata and phases (the current phase moves the subscription) with subscription_schedule.updated', async () => {
      const { stripe } = harness;
      const { schedule, subscription, price } = await twoPhaseSchedule();
      let from = harness.emulator.events().length;
      const tagged = await stripe.subscriptionSchedules.update(schedule.id, { metadata: { foo: 'bar' } });
      expect(tagged.metadata).toEqual({ foo: 'bar' });
      expect(eventsSince(from).map((event) => [event.type, event.data.previous_attributes])).toEqual([['subscription_schedule.updated', { metadata: {} }]]);

      from = harness.emulator.events().length;
      const reshaped = await stripe.subscriptionSchedules.update(schedule.id, {
        phases: [{ start_date: schedule.phases[0]!.start_date, items: [{ price, quantity: 3 }], duration: { interval: 'month', interval_count: 2 } }],
        end_behavior: 'cancel',
      });
      expect(reshaped).toMatchObject({
        end_behavior: 'cancel',
        phases: [{ end_date: at(2027, 3, 15), items: [{ quantity: 3 }] }],
        current_phase: { end_date: at(2027, 3, 15) },
      });
      expect(reshaped.phases).toHaveLength(1);
      expect((await stripe.subscriptions.retrieve(subscription.id)).items.data[0]).toMatchObject({ quantity: 3 });
      expect(timeline(from, schedule.id, subscription.id).map(([type]) => type)).toEqual(['customer.subscription.updated', 'subscription_schedule.updated']);
    });

    it('from_subscription: one phase over the current period; the subscription names its schedule', async () => {
      const { stripe } = harness;
      const customer = await stripe.customers.create({});
      const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: await monthlyPrice(), quantity: 2 }] });
      const from = harness.emulator.events().length;
      const schedule = await stripe.subscriptionSchedules.create({ from_subscription: subscription.id });
      expect(schedule).toMatchObject({
        status: 'active',
        customer: customer.id,
        subscription: subscription.id,
        end_behavior: 'release',
        phases: [{ start_date: clock, end_date: at(2027, 2, 15), items: [{ quantity: 2 }] }],
      });
      expect(await stripe.subscriptions.retrieve(subscription.id)).toMatchObject({ schedule: schedule.id });
      expect(timeline(from, schedule.id, subscription.id).map(([type]) => type)).toEqual(['subscription_schedule.created', 'customer.subscription.updated']);
      await expect(stripe.subscriptionSchedules.create({ from_subscription: subscription.id })).rejects.toMatchObject({ param: 'from_subscription' });
      await expect(stripe.subscriptionSchedules.create({ from_subscription: subscription.id, phases: [] })).rejects.toMatchObject({ statusCode: 400 });
    });

    it('canceling the subscription itself cancels its schedule', async () => {
      const { schedule, subscription } = await twoPhaseSchedule();
      const from = harness.emulator.events().length;
      await harness.stripe.subscriptions.cancel(subscription.id);
      expect(await harness.stripe.subscriptionSchedules.retrieve(schedule.id)).toMatchObject({ status: 'canceled', canceled_at: clock });
      expect(timeline(from, schedule.id, subscription.id).map(([type]) => type)).toEqual(['customer.subscription.deleted', 'subscription_schedule.canceled']);
    });

    it('refuses schedules without a customer or phases, and unknown prices', async () => {
      const { stripe } = harness;
      const customer = await stripe.customers.create({});
      await expect(stripe.subscriptionSchedules.create({ phases: [{ items: [{ price: await monthlyPrice() }] }] })).rejects.toMatchObject({
        code: 'parameter_missing',
        param: 'customer',
      });
      await expect(stripe.subscriptionSchedules.create({ customer: customer.id })).rejects.toMatchObject({ code: 'parameter_missing', param: 'phases' });
      await expect(stripe.subscriptionSchedules.create({ customer: customer.id, phases: [{ items: [{ price: 'price_missing' }] }] })).rejects.toMatchObject({
        code: 'resource_missing',
        param: 'phases[0][items][0][price]',
      });
      expect((await stripe.subscriptions.list({ customer: customer.id, status: 'all' })).data).toEqual([]);
    });
  });

  describe('customer.subscription.trial_will_end', () => {
    it('is sent at once for a trial ending within three days', async () => {
      const customer = await harness.stripe.customers.create({});
      const from = harness.emulator.events().length;
      const subscription = await harness.stripe.subscriptions.create({ customer: customer.id, items: [{ price: await monthlyPrice() }], trial_period_days: 1 });
      const types = timeline(from, subscription.id).map(([type]) => type);
      expect(types[0]).toBe('customer.subscription.created');
      expect(types.at(-1)).toBe('customer.subscription.trial_will_end');
      expect(types.filter((type) => type === 'customer.subscription.trial_will_end')).toHaveLength(1);
    });

    it('is sent three days before a longer trial ends, when advance_period passes that point', async () => {
      const customer = await harness.stripe.customers.create({});
      const subscription = await harness.stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: await monthlyPrice() }],
        trial_period_days: 14,
      });
      const from = harness.emulator.events().length;
      expect(timeline(0, subscription.id).map(([type]) => type)).not.toContain('customer.subscription.trial_will_end');
      const renewed = await advancePeriod(subscription.id);
      expect(renewed.status).toBe('active');
      const events = eventsSince(from).filter((event) => (event.data.object as { id: string }).id === subscription.id);
      expect(events[0]).toMatchObject({
        type: 'customer.subscription.trial_will_end',
        created: subscription.trial_end! - 3 * DAY,
        data: { object: { status: 'trialing' } },
      });
      expect(events.at(-1)!.type).toBe('customer.subscription.updated');
    });

    it('is sent when an update moves the trial end to within three days', async () => {
      const customer = await harness.stripe.customers.create({});
      const subscription = await harness.stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: await monthlyPrice() }],
        trial_period_days: 30,
      });
      const from = harness.emulator.events().length;
      await harness.stripe.subscriptions.update(subscription.id, { trial_end: harness.emulator.events().at(-1)!.created + 2 * DAY });
      expect(timeline(from, subscription.id).map(([type]) => type)).toEqual(['customer.subscription.updated', 'customer.subscription.trial_will_end']);
      await harness.stripe.subscriptions.update(subscription.id, { metadata: { note: 'x' } });
      expect(timeline(from, subscription.id).map(([type]) => type)).toEqual([
        'customer.subscription.updated',
        'customer.subscription.trial_will_end',
        'customer.subscription.updated',
      ]);
    });
  });
});
