import Stripe from 'stripe';
import { useStripeEmulator } from './harness';

const RETURN_URL = 'https://links.lumenphotos.example/portal_redirect';

describe('Stripe emulator: billing portal', () => {
  const harness = useStripeEmulator();
  let monthly: Stripe.Price;
  let yearly: Stripe.Price;
  let pro: Stripe.Price;

  beforeAll(async () => {
    const prices = await harness.stripe.prices.list({ lookup_keys: ['stock_photos_monthly', 'stock_photos_yearly', 'stock_photos_pro_monthly'] });
    const byKey = (key: string) => prices.data.find((price) => price.lookup_key === key)!;
    [monthly, yearly, pro] = [byKey('stock_photos_monthly'), byKey('stock_photos_yearly'), byKey('stock_photos_pro_monthly')];
  });

  const ownerFeatures = (): Stripe.BillingPortal.ConfigurationCreateParams.Features => ({
    invoice_history: { enabled: true },
    payment_method_update: { enabled: true },
    subscription_cancel: { enabled: true, mode: 'at_period_end', cancellation_reason: { enabled: true, options: ['too_expensive', 'other'] } },
    subscription_update: {
      enabled: true,
      default_allowed_updates: ['price'],
      proration_behavior: 'create_prorations',
      products: [
        { product: 'prod_stock_photos', prices: [monthly.id, yearly.id] },
        { product: 'prod_stock_photos_pro', prices: [pro.id] },
      ],
    },
  });
  const memberFeatures = (): Stripe.BillingPortal.ConfigurationCreateParams.Features => ({ invoice_history: { enabled: true } });

  async function subscribed() {
    const customer = await harness.stripe.customers.create({ email: 'portal@example.com' });
    const subscription = await harness.stripe.subscriptions.create({ customer: customer.id, items: [{ price: monthly.id }] });
    return { customer, subscription };
  }

  function testIds(html: string): string[] {
    return [...new Set([...html.matchAll(/data-testid="([a-z-]+)"/g)].map((match) => match[1]!))].sort();
  }

  function postForm(url: string, fields: Record<string, string>) {
    return fetch(url, { method: 'POST', body: new URLSearchParams(fields), redirect: 'manual' });
  }

  describe('configurations', () => {
    it('creates, retrieves, updates and lists configurations', async () => {
      const { stripe, emulator } = harness;
      const created = await stripe.billingPortal.configurations.create({
        features: ownerFeatures(),
        business_profile: { headline: 'Lumen Photos: manage your subscription', privacy_policy_url: 'https://lumenphotos.example/privacy' },
        metadata: { role: 'owner' },
      });
      expect(created).toMatchObject({
        object: 'billing_portal.configuration',
        active: true,
        is_default: false,
        livemode: false,
        business_profile: { headline: 'Lumen Photos: manage your subscription', terms_of_service_url: null },
        features: { subscription_cancel: { enabled: true, mode: 'at_period_end' }, customer_update: { enabled: false } },
      });
      expect(created.id).toMatch(/^bpc_/);
      expect(await stripe.billingPortal.configurations.retrieve(created.id)).toEqual(created);

      const updated = await stripe.billingPortal.configurations.update(created.id, {
        features: { subscription_cancel: { mode: 'immediately' } },
        active: false,
      });
      expect(updated.features.subscription_cancel).toMatchObject({ enabled: true, mode: 'immediately' });
      expect(updated.features.subscription_update.enabled).toBe(true);
      expect(updated.active).toBe(false);

      const inactive = await stripe.billingPortal.configurations.list({ active: false });
      expect(inactive.data.map((configuration) => configuration.id)).toContain(created.id);
      const types = emulator
        .events()
        .filter((event) => (event.data.object as { id?: string }).id === created.id)
        .map((event) => event.type);
      expect(types).toEqual(['billing_portal.configuration.created', 'billing_portal.configuration.updated']);
    });

    it.each([
      [
        'a pause duration over three years',
        {
          features: {
            subscription_pause: { enabled: true, duration: { type: 'interval_options', interval_options: [{ interval: 'month', interval_count: 37 }] } },
          },
        },
        'features[subscription_pause][duration][interval_options][0][interval_count]',
      ],
      [
        'pause interval options without any option',
        { features: { subscription_pause: { enabled: true, duration: { type: 'interval_options' } } } },
        'features[subscription_pause][duration][interval_options]',
      ],
      ['an unknown portal feature', { features: { subscription_skip: { enabled: true } } }, 'features[subscription_skip]'],
      ['a headline over 60 characters', { business_profile: { headline: 'x'.repeat(61) } }, 'business_profile[headline]'],
      [
        'more than 10 update products',
        {
          features: {
            subscription_update: {
              enabled: true,
              default_allowed_updates: ['price'],
              products: Array.from({ length: 11 }, () => ({ product: 'prod_stock_photos', prices: ['price_x'] })),
            },
          },
        },
        'features[subscription_update][products]',
      ],
      ['an invalid cancel mode', { features: { subscription_cancel: { enabled: true, mode: 'whenever' } } }, 'features[subscription_cancel][mode]'],
      [
        'updates enabled without products',
        { features: { subscription_update: { enabled: true, default_allowed_updates: ['price'] } } },
        'features[subscription_update]',
      ],
      [
        'a missing product',
        {
          features: {
            subscription_update: { enabled: true, default_allowed_updates: ['price'], products: [{ product: 'prod_missing', prices: ['price_x'] }] },
          },
        },
        'features[subscription_update][products][0][product]',
      ],
    ])('rejects %s with a 400 naming the parameter', async (_name, params, param) => {
      const before = (await harness.stripe.billingPortal.configurations.list({ limit: 100 })).data.length;
      const error = await harness.stripe.billingPortal.configurations
        .create({ features: { invoice_history: { enabled: true } }, ...params } as unknown as Stripe.BillingPortal.ConfigurationCreateParams)
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(error).toMatchObject({ statusCode: 400, param });
      expect((await harness.stripe.billingPortal.configurations.list({ limit: 100 })).data.length).toBe(before);
    });

    it('rejects a product offered with two prices of the same interval and currency', async () => {
      const second = await harness.stripe.prices.create({ product: 'prod_stock_photos', unit_amount: 1700, currency: 'usd', recurring: { interval: 'month' } });
      const features = ownerFeatures();
      features.subscription_update!.products = [{ product: 'prod_stock_photos', prices: [monthly.id, second.id] }];
      await expect(harness.stripe.billingPortal.configurations.create({ features })).rejects.toMatchObject({
        statusCode: 400,
        param: 'features[subscription_update][products][0][prices]',
      });
    });
  });

  describe('sessions', () => {
    it('creates a session honouring configuration, return_url and locale; its URL opens the hosted page', async () => {
      const { customer } = await subscribed();
      const configuration = await harness.stripe.billingPortal.configurations.create({ features: memberFeatures() });
      const session = await harness.stripe.billingPortal.sessions.create({
        customer: customer.id,
        configuration: configuration.id,
        return_url: RETURN_URL,
        locale: 'fr',
      });
      expect(session).toMatchObject({
        object: 'billing_portal.session',
        customer: customer.id,
        configuration: configuration.id,
        return_url: RETURN_URL,
        locale: 'fr',
        flow: null,
        livemode: false,
      });
      expect(session.id).toMatch(/^bps_/);
      expect(session.url.startsWith(`${harness.emulator.url}/p/session/`)).toBe(true);
      expect(
        harness.emulator.events().some((event) => event.type === 'billing_portal.session.created' && (event.data.object as { id: string }).id === session.id),
      ).toBe(true);
    });

    it('falls back to a default configuration created on demand', async () => {
      const { customer } = await subscribed();
      const session = await harness.stripe.billingPortal.sessions.create({ customer: customer.id });
      const configuration = await harness.stripe.billingPortal.configurations.retrieve(session.configuration as string);
      expect(configuration.is_default).toBe(true);
      expect((await harness.stripe.billingPortal.configurations.list({ is_default: true })).data.map((c) => c.id)).toEqual([configuration.id]);
    });

    it('rejects a missing customer, a missing configuration and a bad locale', async () => {
      const { customer } = await subscribed();
      await expect(harness.stripe.billingPortal.sessions.create({ customer: 'cus_missing' })).rejects.toMatchObject({
        code: 'resource_missing',
        param: 'customer',
      });
      await expect(harness.stripe.billingPortal.sessions.create({ customer: customer.id, configuration: 'bpc_missing' })).rejects.toMatchObject({
        code: 'resource_missing',
        param: 'configuration',
      });
      await expect(harness.stripe.billingPortal.sessions.create({ customer: customer.id, locale: 'xx' as 'fr' })).rejects.toMatchObject({
        statusCode: 400,
        param: 'locale',
      });
    });

    it('rejects a flow whose feature the configuration disables', async () => {
      const { customer, subscription } = await subscribed();
      const member = await harness.stripe.billingPortal.configurations.create({ features: memberFeatures() });
      for (const flow_data of [
        { type: 'payment_method_update' as const },
        { type: 'subscription_cancel' as const, subscription_cancel: { subscription: subscription.id } },
        { type: 'subscription_update' as const, subscription_update: { subscription: subscription.id } },
      ]) {
        const error = await harness.stripe.billingPortal.sessions
          .create({ customer: customer.id, configuration: member.id, flow_data })
          .catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
        expect(error).toMatchObject({ statusCode: 400, param: 'flow_data[type]' });
      }
    });

    it('validates flow_data: subscription ownership, confirm items, after_completion', async () => {
      const { customer, subscription } = await subscribed();
      const stranger = await subscribed();
      const owner = await harness.stripe.billingPortal.configurations.create({ features: ownerFeatures() });
      const create = (flow_data: Stripe.BillingPortal.SessionCreateParams.FlowData) =>
        harness.stripe.billingPortal.sessions.create({ customer: customer.id, configuration: owner.id, flow_data });
      await expect(create({ type: 'subscription_cancel', subscription_cancel: { subscription: stranger.subscription.id } })).rejects.toMatchObject({
        param: 'flow_data[subscription_cancel][subscription]',
      });
      await expect(create({ type: 'subscription_cancel' })).rejects.toMatchObject({ code: 'parameter_missing' });
      await expect(
        create({
          type: 'subscription_update_confirm',
          subscription_update_confirm: { subscription: subscription.id, items: [{ id: 'si_other', price: pro.id }] },
        }),
      ).rejects.toMatchObject({ param: 'flow_data[subscription_update_confirm][items][0][id]' });
      await expect(create({ type: 'payment_method_update', after_completion: { type: 'redirect' } })).rejects.toMatchObject({
        code: 'parameter_missing',
        param: 'flow_data[after_completion][redirect][return_url]',
      });

      const confirm = await create({
        type: 'subscription_update_confirm',
        subscription_update_confirm: { subscription: subscription.id, items: [{ id: subscription.items.data[0]!.id, price: pro.id, quantity: 1 }] },
        after_completion: { type: 'hosted_confirmation', hosted_confirmation: { custom_message: 'Welcome to Pro' } },
      });
      expect(confirm.flow).toMatchObject({
        type: 'subscription_update_confirm',
        subscription_cancel: null,
        subscription_update_confirm: { subscription: subscription.id, items: [{ id: subscription.items.data[0]!.id, price: pro.id, quantity: 1 }] },
        after_completion: { type: 'hosted_confirmation', hosted_confirmation: { custom_message: 'Welcome to Pro' }, redirect: null },
      });
    });
  });

  describe('hosted page', () => {
    it('offers exactly what the configuration enables', async () => {
      const { customer } = await subscribed();
      const owner = await harness.stripe.billingPortal.configurations.create({ features: ownerFeatures() });
      const member = await harness.stripe.billingPortal.configurations.create({ features: memberFeatures() });
      const ownerPage = await (
        await fetch((await harness.stripe.billingPortal.sessions.create({ customer: customer.id, configuration: owner.id, return_url: RETURN_URL })).url)
      ).text();
      const memberPage = await (
        await fetch((await harness.stripe.billingPortal.sessions.create({ customer: customer.id, configuration: member.id, return_url: RETURN_URL })).url)
      ).text();
      const actions = ['cancel-subscription', 'invoice-history', 'return-link', 'switch-price', 'update-payment-method'];
      expect(testIds(ownerPage).filter((id) => actions.includes(id))).toEqual(actions);
      expect(testIds(memberPage).filter((id) => actions.includes(id))).toEqual(['invoice-history', 'return-link']);
      expect(ownerPage).toContain('Stock Photos');
      expect(ownerPage).toContain('$15.00 per month');
      expect(ownerPage).toContain(`href="${RETURN_URL}"`);
      expect(ownerPage).toContain('Return to Lumen Photos');
    });

    it("cancels at period end through the form, emitting the API's event; a disabled action is refused", async () => {
      const { customer, subscription } = await subscribed();
      const owner = await harness.stripe.billingPortal.configurations.create({ features: ownerFeatures() });
      const member = await harness.stripe.billingPortal.configurations.create({ features: memberFeatures() });
      const memberSession = await harness.stripe.billingPortal.sessions.create({ customer: customer.id, configuration: member.id });
      expect((await postForm(`${memberSession.url}/cancel`, { subscription: subscription.id })).status).toBe(403);
      expect((await harness.stripe.subscriptions.retrieve(subscription.id)).cancel_at_period_end).toBe(false);

      const session = await harness.stripe.billingPortal.sessions.create({ customer: customer.id, configuration: owner.id, return_url: RETURN_URL });
      const response = await postForm(`${session.url}/cancel`, { subscription: subscription.id, reason: 'too_expensive' });
      expect(response.status).toBe(200);
      const html = await response.text();
      expect(testIds(html)).toEqual(expect.arrayContaining(['confirmation', 'return-link']));
      const canceled = await harness.stripe.subscriptions.retrieve(subscription.id);
      expect(canceled).toMatchObject({ status: 'active', cancel_at_period_end: true, cancellation_details: { feedback: 'too_expensive' } });
      const update = harness.emulator
        .events()
        .find((event) => event.type === 'customer.subscription.updated' && (event.data.object as Stripe.Subscription).id === subscription.id);
      expect(update?.data.previous_attributes).toMatchObject({ cancel_at_period_end: false });

      const home = await (await fetch(session.url)).text();
      expect(testIds(home)).toContain('renew-subscription');
      expect(testIds(home)).not.toContain('cancel-subscription');
      expect((await postForm(`${session.url}/renew`, { subscription: subscription.id })).status).toBe(200);
      expect(await harness.stripe.subscriptions.retrieve(subscription.id)).toMatchObject({ cancel_at_period_end: false, cancel_at: null });
    });

    it('switches price and records a new default payment method', async () => {
      const { customer, subscription } = await subscribed();
      const owner = await harness.stripe.billingPortal.configurations.create({ features: ownerFeatures() });
      const session = await harness.stripe.billingPortal.sessions.create({ customer: customer.id, configuration: owner.id });
      expect((await postForm(`${session.url}/switch`, { subscription: subscription.id, price: 'price_not_offered' })).status).toBe(400);
      expect((await postForm(`${session.url}/switch`, { subscription: subscription.id, price: pro.id })).status).toBe(200);
      expect((await harness.stripe.subscriptions.retrieve(subscription.id)).items.data[0]!.price.id).toBe(pro.id);

      expect((await postForm(`${session.url}/payment_method`, { card_number: '1234' })).status).toBe(400);
      expect((await postForm(`${session.url}/payment_method`, { card_number: '4242 4242 4242 4242', exp_month: '12', exp_year: '2030' })).status).toBe(200);
      const updated = (await harness.stripe.customers.retrieve(customer.id)) as Stripe.Customer;
      expect(updated.invoice_settings.default_payment_method).toMatch(/^pm_/);
      const card = await harness.stripe.paymentMethods.retrieve(updated.invoice_settings.default_payment_method as string);
      expect(card).toMatchObject({ object: 'payment_method', type: 'card', customer: customer.id, card: { brand: 'visa', last4: '4242', exp_year: 2030 } });
      expect((await harness.stripe.customers.listPaymentMethods(customer.id)).data.map((method) => method.id)).toEqual([card.id]);
    });

    it('opens directly on a flow and follows after_completion', async () => {
      const { customer, subscription } = await subscribed();
      const owner = await harness.stripe.billingPortal.configurations.create({ features: ownerFeatures() });
      const redirectTo = `${RETURN_URL}?done=cancel`;
      const session = await harness.stripe.billingPortal.sessions.create({
        customer: customer.id,
        configuration: owner.id,
        return_url: RETURN_URL,
        flow_data: {
          type: 'subscription_cancel',
          subscription_cancel: { subscription: subscription.id },
          after_completion: { type: 'redirect', redirect: { return_url: redirectTo } },
        },
      });
      const flowPage = await (await fetch(session.url)).text();
      expect(flowPage).toContain('Cancel your subscription');
      expect(testIds(flowPage)).not.toContain('switch-price');
      const response = await postForm(`${session.url}/cancel`, { subscription: subscription.id });
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe(redirectTo);
      expect((await harness.stripe.subscriptions.retrieve(subscription.id)).cancel_at_period_end).toBe(true);

      const confirmSession = await harness.stripe.billingPortal.sessions.create({
        customer: customer.id,
        configuration: owner.id,
        flow_data: {
          type: 'subscription_update_confirm',
          subscription_update_confirm: { subscription: subscription.id, items: [{ id: subscription.items.data[0]!.id, price: yearly.id }] },
          after_completion: { type: 'hosted_confirmation', hosted_confirmation: { custom_message: 'Enjoy the yearly plan' } },
        },
      });
      const confirmPage = await (await fetch(confirmSession.url)).text();
      expect(testIds(confirmPage)).toContain('update-confirmation');
      const confirmed = await postForm(`${confirmSession.url}/switch`, {
        subscription: subscription.id,
        item: subscription.items.data[0]!.id,
        price: yearly.id,
      });
      expect(await confirmed.text()).toContain('Enjoy the yearly plan');
      expect((await harness.stripe.subscriptions.retrieve(subscription.id)).items.data[0]!.price.id).toBe(yearly.id);
    });

    it('answers an unknown session with 404', async () => {
      expect((await fetch(`${harness.emulator.url}/p/session/nosuchsecret`)).status).toBe(404);
    });
  });
});

describe('Stripe emulator: portal session lifetime', () => {
  let clock = 1_800_000_000;
  const harness = useStripeEmulator({ now: () => clock });

  it('an unopened URL expires after 5 minutes; an opened one lasts the visit', async () => {
    const customer = await harness.stripe.customers.create({});
    const unopened = await harness.stripe.billingPortal.sessions.create({ customer: customer.id });
    const opened = await harness.stripe.billingPortal.sessions.create({ customer: customer.id });
    expect((await fetch(opened.url)).status).toBe(200);
    clock += 5 * 60 + 1;
    expect((await fetch(unopened.url)).status).toBe(404);
    expect((await fetch(opened.url)).status).toBe(200);
    clock += 60 * 60;
    expect((await fetch(opened.url)).status).toBe(404);
  });
});
