import Stripe from 'stripe';
import { useStripeEmulator } from './harness';

const DAY = 24 * 3600;

describe('Stripe emulator: pausing subscriptions', () => {
  const harness = useStripeEmulator({ now: () => 1_800_000_000 });
  let monthly: string;

  beforeAll(async () => {
    monthly = (await harness.stripe.prices.list({ lookup_keys: ['stock_photos_monthly'] })).data[0]!.id;
  });

  async function subscribed(extra: Partial<Stripe.SubscriptionCreateParams> = {}) {
    const customer = await harness.stripe.customers.create({ email: 'pause@example.com' });
    const subscription = await harness.stripe.subscriptions.create({ customer: customer.id, items: [{ price: monthly }], ...extra });
    return { customer, subscription };
  }

  /** Events about one subscription (its own and its invoices'), oldest first. */
  function eventsOf(subscriptionId: string): Stripe.Event[] {
    return harness.emulator.events().filter((event) => {
      const object = event.data.object as { id?: string; parent?: { subscription_details?: { subscription?: string } } };
      return object.id === subscriptionId || object.parent?.subscription_details?.subscription === subscriptionId;
    });
  }

  /** Event types after the first `count`, without trial_will_end (which the clock passing a trial's last days adds). */
  function typesSince(subscriptionId: string, count: number): string[] {
    return eventsOf(subscriptionId)
      .slice(count)
      .map((event) => event.type)
      .filter((type) => type !== 'customer.subscription.trial_will_end');
  }

  const advancePeriod = (id: string) => fetch(`${harness.emulator.url}/_emulator/subscriptions/${id}/advance_period`, { method: 'POST' });
  const invoiceCount = async (customer: string) => (await harness.stripe.invoices.list({ customer, limit: 100 })).data.length;

  describe('pause and resume through the API', () => {
    it('pauses an active subscription: status paused with status_details, paused then updated events', async () => {
      const { subscription } = await subscribed();
      const seen = eventsOf(subscription.id).length;
      const paused = await harness.stripe.subscriptions.pause(subscription.id);
      expect(paused.status).toBe('paused');
      expect(paused.status_details).toEqual({
        paused: { subscription: { type: 'pause_requested' }, transitioned_at: expect.any(Number), type: 'subscription' },
      });
      expect(await harness.stripe.subscriptions.retrieve(subscription.id)).toEqual(paused);
      expect((await harness.stripe.subscriptions.list({ status: 'paused' })).data.map((candidate) => candidate.id)).toContain(subscription.id);

      expect(typesSince(subscription.id, seen)).toEqual(['customer.subscription.paused', 'customer.subscription.updated']);
      const updated = eventsOf(subscription.id).at(-1)!;
      expect(updated.data.previous_attributes).toMatchObject({ status: 'active' });
    });

    it('a paused subscription neither invoices nor advances; resuming starts a new, charged period', async () => {
      const { customer, subscription } = await subscribed();
      await harness.stripe.subscriptions.pause(subscription.id);
      const invoices = await invoiceCount(customer.id);

      const refused = await advancePeriod(subscription.id);
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/paused/);
      const stillPaused = await harness.stripe.subscriptions.retrieve(subscription.id);
      expect(stillPaused.items.data[0]!.current_period_end).toBe(subscription.items.data[0]!.current_period_end);
      expect(await invoiceCount(customer.id)).toBe(invoices);

      const seen = eventsOf(subscription.id).length;
      const resumed = await harness.stripe.subscriptions.resume(subscription.id, { billing_cycle_anchor: { type: 'now' } });
      expect(resumed.status).toBe('active');
      expect(resumed.status_details).toBeUndefined();
      expect(resumed.latest_invoice).not.toBe(subscription.latest_invoice);
      const invoice = await harness.stripe.invoices.retrieve(resumed.latest_invoice as string);
      expect(invoice).toMatchObject({ status: 'paid', billing_reason: 'subscription_update', amount_paid: 1500 });
      const item = resumed.items.data[0]!;
      expect(item.current_period_start).toBe(invoice.created);
      expect(resumed.billing_cycle_anchor).toBe(item.current_period_start);
      expect(await invoiceCount(customer.id)).toBe(invoices + 1);

      const types = typesSince(subscription.id, seen);
      expect(types.slice(-2)).toEqual(['customer.subscription.resumed', 'customer.subscription.updated']);
      expect(types).toContain('invoice.paid');
      expect(types.indexOf('invoice.paid')).toBeLessThan(types.indexOf('customer.subscription.resumed'));
      expect(eventsOf(subscription.id).at(-1)!.data.previous_attributes).toMatchObject({
        status: 'paused',
        status_details: { paused: { type: 'subscription' } },
      });
    });

    it('resumes on the unchanged cycle without an invoice', async () => {
      const { customer, subscription } = await subscribed();
      await harness.stripe.subscriptions.pause(subscription.id);
      const invoices = await invoiceCount(customer.id);
      const resumed = await harness.stripe.subscriptions.resume(subscription.id, { billing_cycle_anchor: { type: 'unchanged' }, proration_behavior: 'none' });
      expect(resumed.status).toBe('active');
      expect(resumed.items.data[0]!.current_period_end).toBe(subscription.items.data[0]!.current_period_end);
      expect(resumed.latest_invoice).toBe(subscription.latest_invoice);
      expect(await invoiceCount(customer.id)).toBe(invoices);
    });

    it('refuses to pause a paused or canceled subscription and to resume one that is not paused', async () => {
      const { subscription } = await subscribed();
      const notPaused = await harness.stripe.subscriptions.resume(subscription.id).catch((caught: unknown) => caught);
      expect(notPaused).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(notPaused).toMatchObject({ statusCode: 400, message: expect.stringMatching(/is not paused/) });

      await harness.stripe.subscriptions.pause(subscription.id);
      await expect(harness.stripe.subscriptions.pause(subscription.id)).rejects.toMatchObject({
        statusCode: 400,
        message: expect.stringMatching(/already paused/),
      });

      const { subscription: other } = await subscribed();
      await harness.stripe.subscriptions.cancel(other.id);
      const events = harness.emulator.events().length;
      await expect(harness.stripe.subscriptions.pause(other.id)).rejects.toMatchObject({
        statusCode: 400,
        message: expect.stringMatching(/status is 'canceled'/),
      });
      expect(harness.emulator.events().length).toBe(events);
    });

    it('validates the pause and resume parameters', async () => {
      const { subscription } = await subscribed();
      await expect(harness.stripe.subscriptions.pause(subscription.id, { type: 'forever' as 'subscription' })).rejects.toMatchObject({
        statusCode: 400,
        param: 'type',
      });
      await expect(harness.stripe.subscriptions.pause(subscription.id, { bill_for: { unused_time_from: { type: 'later' as 'now' } } })).rejects.toMatchObject({
        param: 'bill_for[unused_time_from][type]',
      });
      await expect(harness.stripe.subscriptions.pause(subscription.id, { resumes_at: 1 } as Stripe.SubscriptionPauseParams)).rejects.toMatchObject({
        code: 'parameter_unknown',
        param: 'resumes_at',
      });
      expect((await harness.stripe.subscriptions.retrieve(subscription.id)).status).toBe('active');

      const paused = await harness.stripe.subscriptions.pause(subscription.id, {
        invoicing_behavior: 'pending_invoice_item',
        bill_for: { unused_time_from: { type: 'now' } },
      });
      expect(paused.status).toBe('paused');
      await expect(harness.stripe.subscriptions.resume(subscription.id, { billing_cycle_anchor: { type: 'someday' as 'now' } })).rejects.toMatchObject({
        param: 'billing_cycle_anchor[type]',
      });
      expect((await harness.stripe.subscriptions.retrieve(subscription.id)).status).toBe('paused');
    });

    it('keeps pause_collection working as before: status stays active and invoices are still created', async () => {
      const { customer, subscription } = await subscribed();
      await harness.stripe.subscriptions.update(subscription.id, { pause_collection: { behavior: 'void' } });
      const invoices = await invoiceCount(customer.id);
      const renewed = (await (await advancePeriod(subscription.id)).json()) as Stripe.Subscription;
      expect(renewed).toMatchObject({ status: 'active', pause_collection: { behavior: 'void' } });
      expect(renewed.status_details).toBeUndefined();
      expect(await invoiceCount(customer.id)).toBe(invoices + 1);
      expect((await harness.stripe.invoices.retrieve(renewed.latest_invoice as string)).status).toBe('void');
    });
  });

  describe('trial_settings.end_behavior.missing_payment_method', () => {
    const trial = (missing: 'cancel' | 'create_invoice' | 'pause'): Partial<Stripe.SubscriptionCreateParams> => ({
      trial_period_days: 7,
      trial_settings: { end_behavior: { missing_payment_method: missing } },
    });

    it('is returned on the subscription, and create_invoice is the default', async () => {
      const { subscription } = await subscribed(trial('pause'));
      expect(subscription).toMatchObject({
        status: 'trialing',
        trial_settings: { end_behavior: { billing_cycle_anchor: null, missing_payment_method: 'pause' } },
      });
      const plain = (await subscribed()).subscription;
      expect(plain.trial_settings).toEqual({ end_behavior: { billing_cycle_anchor: null, missing_payment_method: 'create_invoice' } });
      const changed = await harness.stripe.subscriptions.update(subscription.id, { trial_settings: { end_behavior: { missing_payment_method: 'cancel' } } });
      expect(changed.trial_settings!.end_behavior.missing_payment_method).toBe('cancel');
      await expect(
        harness.stripe.subscriptions.update(subscription.id, { trial_settings: { end_behavior: { missing_payment_method: 'ignore' as 'cancel' } } }),
      ).rejects.toMatchObject({ param: 'trial_settings[end_behavior][missing_payment_method]' });
    });

    it('pause: the trial ends (advance_period) into status paused without an invoice', async () => {
      const { customer, subscription } = await subscribed(trial('pause'));
      const invoices = await invoiceCount(customer.id);
      const seen = eventsOf(subscription.id).length;
      const ended = (await (await advancePeriod(subscription.id)).json()) as Stripe.Subscription;
      expect(ended).toMatchObject({
        status: 'paused',
        status_details: { paused: { subscription: { type: 'trial_end_without_payment_method' }, type: 'subscription' } },
      });
      expect(ended.items.data[0]!.current_period_end).toBe(subscription.trial_end);
      expect(await invoiceCount(customer.id)).toBe(invoices);
      expect(typesSince(subscription.id, seen)).toEqual(['customer.subscription.paused', 'customer.subscription.updated']);
      expect(eventsOf(subscription.id).at(-1)!.data.previous_attributes).toMatchObject({ status: 'trialing' });
    });

    it('pause: ending the trial with trial_end=now pauses too (the CLI fixture of customer.subscription.paused)', async () => {
      const { subscription } = await subscribed(trial('pause'));
      const ended = await harness.stripe.subscriptions.update(subscription.id, { trial_end: 'now' });
      expect(ended.status).toBe('paused');
      expect(ended.status_details?.paused.subscription.type).toBe('trial_end_without_payment_method');
      expect(typesSince(subscription.id, 2)).toEqual(expect.arrayContaining(['customer.subscription.paused', 'customer.subscription.updated']));
    });

    it('cancel: the trial ends into a canceled subscription', async () => {
      const { customer, subscription } = await subscribed(trial('cancel'));
      const invoices = await invoiceCount(customer.id);
      const seen = eventsOf(subscription.id).length;
      const ended = (await (await advancePeriod(subscription.id)).json()) as Stripe.Subscription;
      expect(ended).toMatchObject({ status: 'canceled', ended_at: subscription.trial_end });
      expect(typesSince(subscription.id, seen)).toEqual(['customer.subscription.deleted']);
      expect(await invoiceCount(customer.id)).toBe(invoices);
    });

    it('create_invoice, or a payment method on file: the trial ends into an active, invoiced period', async () => {
      const { subscription } = await subscribed(trial('create_invoice'));
      const renewed = (await (await advancePeriod(subscription.id)).json()) as Stripe.Subscription;
      expect(renewed.status).toBe('active');
      expect((await harness.stripe.invoices.retrieve(renewed.latest_invoice as string)).billing_reason).toBe('subscription_cycle');

      // A default payment method (saved here through the hosted portal) makes `pause` irrelevant.
      const withCard = await subscribed(trial('pause'));
      const configuration = await harness.stripe.billingPortal.configurations.create({ features: { payment_method_update: { enabled: true } } });
      const session = await harness.stripe.billingPortal.sessions.create({ customer: withCard.customer.id, configuration: configuration.id });
      expect((await fetch(`${session.url}/payment_method`, { method: 'POST', body: new URLSearchParams({ card_number: '4242424242424242' }) })).status).toBe(
        200,
      );
      const charged = (await (await advancePeriod(withCard.subscription.id)).json()) as Stripe.Subscription;
      expect(charged.status).toBe('active');
      expect((await harness.stripe.invoices.retrieve(charged.latest_invoice as string)).status).toBe('paid');
    });
  });
});

describe('Stripe emulator: pausing in the billing portal', () => {
  const harness = useStripeEmulator({ now: () => 1_800_000_000 });
  let monthly: string;

  beforeAll(async () => {
    monthly = (await harness.stripe.prices.list({ lookup_keys: ['stock_photos_monthly'] })).data[0]!.id;
  });

  async function subscribed() {
    const customer = await harness.stripe.customers.create({ email: 'portal-pause@example.com', name: 'Ada' });
    const subscription = await harness.stripe.subscriptions.create({ customer: customer.id, items: [{ price: monthly }] });
    return { customer, subscription };
  }

  const pauseFeature = (duration: Stripe.BillingPortal.ConfigurationCreateParams.Features.SubscriptionPause.Duration) => ({
    invoice_history: { enabled: true },
    subscription_pause: { enabled: true, duration },
  });

  function testIds(html: string): string[] {
    return [...new Set([...html.matchAll(/data-testid="([a-z-]+)"/g)].map((match) => match[1]!))].sort();
  }

  const postForm = (url: string, fields: Record<string, string>) => fetch(url, { method: 'POST', body: new URLSearchParams(fields), redirect: 'manual' });
  const advancePeriod = (id: string) => fetch(`${harness.emulator.url}/_emulator/subscriptions/${id}/advance_period`, { method: 'POST' });

  describe('configuration', () => {
    it('returns subscription_pause as declared, with Stripe’s default when not given', async () => {
      const plain = await harness.stripe.billingPortal.configurations.create({ features: { invoice_history: { enabled: true } } });
      expect(plain.features.subscription_pause).toEqual({
        enabled: false,
        duration: { type: 'interval_options', interval_options: [{ interval: 'month', interval_count: 1 }] },
      });

      const created = await harness.stripe.billingPortal.configurations.create({
        features: pauseFeature({ type: 'interval_options', interval_options: [{ interval: 'week', interval_count: 2 }, { interval: 'month' }] }),
      });
      expect(created.features.subscription_pause).toEqual({
        enabled: true,
        duration: {
          type: 'interval_options',
          interval_options: [
            { interval: 'week', interval_count: 2 },
            { interval: 'month', interval_count: 1 },
          ],
        },
      });
      const updated = await harness.stripe.billingPortal.configurations.update(created.id, {
        features: { subscription_pause: { duration: { type: 'indefinite' } } },
      });
      expect(updated.features.subscription_pause).toEqual({ enabled: true, duration: { type: 'indefinite', interval_options: [] } });
      const event = harness.emulator.events().at(-1)!;
      expect(event.type).toBe('billing_portal.configuration.updated');
      expect(event.data.previous_attributes).toMatchObject({ features: { subscription_pause: { duration: { type: 'interval_options' } } } });
    });

    it.each([
      [
        'exactly three years',
        {
          type: 'interval_options',
          interval_options: [
            { interval: 'year', interval_count: 3 },
            { interval: 'day', interval_count: 1095 },
          ],
        },
        undefined,
      ],
      [
        '156 weeks and one more',
        { type: 'interval_options', interval_options: [{ interval: 'week', interval_count: 157 }] },
        'features[subscription_pause][duration][interval_options][0][interval_count]',
      ],
      [
        'four years',
        { type: 'interval_options', interval_options: [{ interval: 'month' }, { interval: 'year', interval_count: 4 }] },
        'features[subscription_pause][duration][interval_options][1][interval_count]',
      ],
      [
        'options with an indefinite pause',
        { type: 'indefinite', interval_options: [{ interval: 'month' }] },
        'features[subscription_pause][duration][interval_options]',
      ],
      [
        'an unknown interval',
        { type: 'interval_options', interval_options: [{ interval: 'decade' }] },
        'features[subscription_pause][duration][interval_options][0][interval]',
      ],
      ['no duration type', { interval_options: [{ interval: 'month' }] }, 'features[subscription_pause][duration][type]'],
    ])('%s', async (_name, duration, param) => {
      const result = await harness.stripe.billingPortal.configurations
        .create({ features: pauseFeature(duration as Stripe.BillingPortal.ConfigurationCreateParams.Features.SubscriptionPause.Duration) })
        .catch((caught: unknown) => caught);
      if (param === undefined) expect(result).toMatchObject({ object: 'billing_portal.configuration' });
      else expect(result).toMatchObject({ statusCode: 400, param });
    });
  });

  describe('sessions', () => {
    it('accepts subscription_pause and customer_update flows only where the configuration enables them', async () => {
      const { customer, subscription } = await subscribed();
      const member = await harness.stripe.billingPortal.configurations.create({ features: { invoice_history: { enabled: true } } });
      const pausing = await harness.stripe.billingPortal.configurations.create({
        features: { ...pauseFeature({ type: 'indefinite' }), customer_update: { enabled: true, allowed_updates: ['email', 'name'] } },
      });
      for (const flow_data of [
        { type: 'subscription_pause' as const, subscription_pause: { subscription: subscription.id } },
        { type: 'customer_update' as const },
      ]) {
        const error = await harness.stripe.billingPortal.sessions
          .create({ customer: customer.id, configuration: member.id, flow_data })
          .catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
        expect(error).toMatchObject({ statusCode: 400, param: 'flow_data[type]' });
      }
      const pause = await harness.stripe.billingPortal.sessions.create({
        customer: customer.id,
        configuration: pausing.id,
        flow_data: { type: 'subscription_pause', subscription_pause: { subscription: subscription.id } },
      });
      expect(pause.flow).toMatchObject({
        type: 'subscription_pause',
        subscription_pause: { subscription: subscription.id },
        customer_update: null,
        subscription_cancel: null,
      });
      const update = await harness.stripe.billingPortal.sessions.create({
        customer: customer.id,
        configuration: pausing.id,
        flow_data: { type: 'customer_update' },
      });
      expect(update.flow).toMatchObject({ type: 'customer_update', customer_update: {}, subscription_pause: null });
      await expect(
        harness.stripe.billingPortal.sessions.create({ customer: customer.id, configuration: pausing.id, flow_data: { type: 'subscription_pause' } }),
      ).rejects.toMatchObject({ code: 'parameter_missing', param: 'flow_data[subscription_pause][subscription]' });

      await harness.stripe.subscriptions.pause(subscription.id);
      await expect(
        harness.stripe.billingPortal.sessions.create({
          customer: customer.id,
          configuration: pausing.id,
          flow_data: { type: 'subscription_pause', subscription_pause: { subscription: subscription.id } },
        }),
      ).rejects.toMatchObject({ statusCode: 400, param: 'flow_data[subscription_pause][subscription]' });
    });

    it('stores after_expiration, null when not given', async () => {
      const { customer } = await subscribed();
      const plain = await harness.stripe.billingPortal.sessions.create({ customer: customer.id });
      expect(plain.after_expiration).toBeNull();
      const expiresAt = ((await harness.stripe.customers.retrieve(customer.id)) as Stripe.Customer).created + 7 * DAY;
      const recoverable = await harness.stripe.billingPortal.sessions.create({
        customer: customer.id,
        after_expiration: { type: 'customer_login', customer_login: { expires_at: expiresAt } },
      });
      expect(recoverable.after_expiration).toEqual({ type: 'customer_login', customer_login: { expires_at: expiresAt } });
      const open = await harness.stripe.billingPortal.sessions.create({ customer: customer.id, after_expiration: { type: 'customer_login' } });
      expect(open.after_expiration).toEqual({ type: 'customer_login', customer_login: { expires_at: null } });
      await expect(
        harness.stripe.billingPortal.sessions.create({
          customer: customer.id,
          after_expiration: { type: 'customer_login', customer_login: { expires_at: 1_000 } },
        }),
      ).rejects.toMatchObject({ param: 'after_expiration[customer_login][expires_at]' });
      await expect(
        harness.stripe.billingPortal.sessions.create({ customer: customer.id, after_expiration: { type: 'magic_link' as 'customer_login' } }),
      ).rejects.toMatchObject({
        param: 'after_expiration[type]',
      });
    });
  });

  describe('hosted page', () => {
    it('offers Pause with the configured durations; a duration resumes by itself when advance_period passes it', async () => {
      const { customer, subscription } = await subscribed();
      const configuration = await harness.stripe.billingPortal.configurations.create({
        features: pauseFeature({
          type: 'interval_options',
          interval_options: [
            { interval: 'month', interval_count: 1 },
            { interval: 'month', interval_count: 3 },
          ],
        }),
      });
      const session = await harness.stripe.billingPortal.sessions.create({ customer: customer.id, configuration: configuration.id });
      const home = await (await fetch(session.url)).text();
      expect(testIds(home)).toEqual(expect.arrayContaining(['pause-duration', 'pause-subscription']));
      expect(testIds(home)).not.toContain('resume-subscription');
      expect([...home.matchAll(/<option value="([a-z0-9_]+)"/g)].map((match) => match[1])).toEqual(['month_1', 'month_3']);

      expect((await postForm(`${session.url}/pause`, { subscription: subscription.id, duration: 'month_12' })).status).toBe(400);
      expect((await harness.stripe.subscriptions.retrieve(subscription.id)).status).toBe('active');

      const response = await postForm(`${session.url}/pause`, { subscription: subscription.id, duration: 'month_3' });
      expect(response.status).toBe(200);
      expect(testIds(await response.text())).toContain('confirmation');
      const paused = await harness.stripe.subscriptions.retrieve(subscription.id);
      expect(paused).toMatchObject({ status: 'paused', status_details: { paused: { subscription: { type: 'pause_requested' } } } });
      const pausedAt = paused.status_details!.paused.transitioned_at;
      const threeMonthsLater = new Date(pausedAt * 1000);
      threeMonthsLater.setUTCMonth(threeMonthsLater.getUTCMonth() + 3);
      const resumesAt = threeMonthsLater.getTime() / 1000;

      const pausedHome = await (await fetch(session.url)).text();
      expect(testIds(pausedHome)).toContain('resume-subscription');
      expect(testIds(pausedHome)).not.toContain('pause-subscription');
      expect(pausedHome).toContain('Paused until');

      const before = harness.emulator.events().length;
      const resumed = (await (await advancePeriod(subscription.id)).json()) as Stripe.Subscription;
      expect(resumed.status).toBe('active');
      expect(resumed.items.data[0]!.current_period_start).toBe(resumesAt);
      const types = harness.emulator
        .events()
        .slice(before)
        .map((event) => event.type);
      expect(types).toContain('customer.subscription.resumed');
      expect(types.at(-1)).toBe('customer.subscription.updated');
      const again = await advancePeriod(subscription.id);
      expect(((await again.json()) as Stripe.Subscription).items.data[0]!.current_period_start).toBe(resumed.items.data[0]!.current_period_end);
    });

    it('an indefinite pause waits for Resume; the page resumes through the same operation', async () => {
      const { customer, subscription } = await subscribed();
      const configuration = await harness.stripe.billingPortal.configurations.create({ features: pauseFeature({ type: 'indefinite' }) });
      const session = await harness.stripe.billingPortal.sessions.create({ customer: customer.id, configuration: configuration.id });
      expect([...(await (await fetch(session.url)).text()).matchAll(/<option value="([a-z0-9_]+)"/g)].map((match) => match[1])).toEqual(['indefinite']);
      expect((await postForm(`${session.url}/pause`, { subscription: subscription.id, duration: 'indefinite' })).status).toBe(200);
      expect((await advancePeriod(subscription.id)).status).toBe(400);
      expect((await harness.stripe.subscriptions.retrieve(subscription.id)).status).toBe('paused');

      const before = harness.emulator.events().length;
      expect((await postForm(`${session.url}/resume`, { subscription: subscription.id })).status).toBe(200);
      expect((await harness.stripe.subscriptions.retrieve(subscription.id)).status).toBe('active');
      expect(
        harness.emulator
          .events()
          .slice(before)
          .map((event) => event.type)
          .slice(-2),
      ).toEqual(['customer.subscription.resumed', 'customer.subscription.updated']);
    });

    it('refuses pausing where the configuration does not enable it, and follows the pause flow', async () => {
      const { customer, subscription } = await subscribed();
      const member = await harness.stripe.billingPortal.configurations.create({ features: { invoice_history: { enabled: true } } });
      const memberSession = await harness.stripe.billingPortal.sessions.create({ customer: customer.id, configuration: member.id });
      expect(testIds(await (await fetch(memberSession.url)).text())).not.toContain('pause-subscription');
      expect((await postForm(`${memberSession.url}/pause`, { subscription: subscription.id, duration: 'month_1' })).status).toBe(403);
      expect((await harness.stripe.subscriptions.retrieve(subscription.id)).status).toBe('active');

      const pausing = await harness.stripe.billingPortal.configurations.create({
        features: pauseFeature({ type: 'interval_options', interval_options: [{ interval: 'week' }] }),
      });
      const returnUrl = 'https://links.lumenphotos.example/portal_redirect?done=pause';
      const flow = await harness.stripe.billingPortal.sessions.create({
        customer: customer.id,
        configuration: pausing.id,
        flow_data: {
          type: 'subscription_pause',
          subscription_pause: { subscription: subscription.id },
          after_completion: { type: 'redirect', redirect: { return_url: returnUrl } },
        },
      });
      const page = await (await fetch(flow.url)).text();
      expect(page).toContain('Pause your subscription');
      expect(testIds(page)).toContain('pause-subscription');
      const response = await postForm(`${flow.url}/pause`, { subscription: subscription.id, duration: 'week_1' });
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe(returnUrl);
      expect((await harness.stripe.subscriptions.retrieve(subscription.id)).status).toBe('paused');
    });

    it('the customer_update flow edits the allowed details and emits customer.updated', async () => {
      const { customer } = await subscribed();
      const configuration = await harness.stripe.billingPortal.configurations.create({
        features: { customer_update: { enabled: true, allowed_updates: ['email', 'address'] } },
      });
      const session = await harness.stripe.billingPortal.sessions.create({
        customer: customer.id,
        configuration: configuration.id,
        flow_data: { type: 'customer_update' },
      });
      const page = await (await fetch(session.url)).text();
      expect(testIds(page)).toContain('update-customer');
      expect(page).toContain('name="email"');
      expect(page).not.toContain('name="name"');
      expect((await postForm(`${session.url}/customer`, { email: 'not-an-email' })).status).toBe(400);
      expect((await postForm(`${session.url}/customer`, { email: 'ada@lumenphotos.example', name: 'Mallory' })).status).toBe(303);
      expect(await harness.stripe.customers.retrieve(customer.id)).toMatchObject({ email: 'ada@lumenphotos.example', name: 'Ada' });
      const event = harness.emulator.events().at(-1)!;
      expect(event).toMatchObject({ type: 'customer.updated', data: { previous_attributes: { email: 'portal-pause@example.com' } } });
    });
  });
});
