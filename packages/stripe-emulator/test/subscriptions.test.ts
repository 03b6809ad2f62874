import type Stripe from 'stripe';
import { useStripeEmulator } from './harness';

describe('Stripe emulator: catalog and subscriptions', () => {
  const clock = 1_800_000_000;
  const harness = useStripeEmulator({ now: () => clock });

  async function priceId(lookupKey: string): Promise<string> {
    const prices = await harness.stripe.prices.list({ lookup_keys: [lookupKey] });
    expect(prices.data).toHaveLength(1);
    return prices.data[0]!.id;
  }

  async function subscribedCustomer(lookupKey = 'stock_photos_monthly', extra: Partial<Stripe.SubscriptionCreateParams> = {}) {
    const customer = await harness.stripe.customers.create({ email: 'sub@example.com' });
    const subscription = await harness.stripe.subscriptions.create({ customer: customer.id, items: [{ price: await priceId(lookupKey) }], ...extra });
    return { customer, subscription };
  }

  function eventTypesFor(id: string): string[] {
    return harness.emulator
      .events()
      .filter((event) => {
        const object = event.data.object as { id?: string; parent?: { subscription_details?: { subscription?: string } } };
        return object.id === id || object.parent?.subscription_details?.subscription === id;
      })
      .map((event) => event.type);
  }

  it('seeds the catalog: products keep their ids, prices carry lookup keys, amounts and intervals', async () => {
    const { stripe } = harness;
    const product = await stripe.products.retrieve('prod_stock_photos');
    expect(product).toMatchObject({ object: 'product', name: 'Stock Photos', active: true });
    const monthly = await stripe.prices.retrieve(await priceId('stock_photos_monthly'));
    expect(monthly).toMatchObject({
      product: 'prod_stock_photos',
      unit_amount: 1500,
      currency: 'usd',
      type: 'recurring',
      recurring: { interval: 'month', interval_count: 1 },
    });
    const ofProduct = await stripe.prices.list({ product: 'prod_stock_photos', active: true });
    expect(ofProduct.data.map((price) => price.lookup_key).sort()).toEqual(['stock_photos_monthly', 'stock_photos_yearly']);
  });

  it('creates products and prices; a taken lookup key needs transfer_lookup_key', async () => {
    const { stripe } = harness;
    const product = await stripe.products.create({ name: 'Extra Storage' });
    const price = await stripe.prices.create({
      product: product.id,
      unit_amount: 500,
      currency: 'usd',
      recurring: { interval: 'month' },
      lookup_key: 'storage_monthly',
    });
    expect(price).toMatchObject({ lookup_key: 'storage_monthly', unit_amount: 500, product: product.id });
    await expect(stripe.prices.create({ product: product.id, unit_amount: 600, currency: 'usd', lookup_key: 'storage_monthly' })).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      param: 'lookup_key',
    });
    const moved = await stripe.prices.create({
      product: product.id,
      unit_amount: 600,
      currency: 'usd',
      recurring: { interval: 'month' },
      lookup_key: 'storage_monthly',
      transfer_lookup_key: true,
    });
    expect((await stripe.prices.list({ lookup_keys: ['storage_monthly'] })).data.map((p) => p.id)).toEqual([moved.id]);
  });

  it('creates an active subscription with periods on its items and a paid latest invoice', async () => {
    const { subscription, customer } = await subscribedCustomer('stock_photos_monthly', { metadata: { app_account_id: 'acct-1' } });
    expect(subscription).toMatchObject({
      object: 'subscription',
      status: 'active',
      customer: customer.id,
      cancel_at_period_end: false,
      pause_collection: null,
      metadata: { app_account_id: 'acct-1' },
    });
    expect(subscription.id).toMatch(/^sub_/);
    const [item] = subscription.items.data;
    expect(item).toMatchObject({
      object: 'subscription_item',
      quantity: 1,
      current_period_start: clock,
      price: { lookup_key: 'stock_photos_monthly', unit_amount: 1500 },
    });
    expect(item!.id).toMatch(/^si_/);
    expect(new Date(item!.current_period_end * 1000).getUTCMonth()).toBe((new Date(clock * 1000).getUTCMonth() + 1) % 12);

    const expanded = await harness.stripe.subscriptions.retrieve(subscription.id, { expand: ['latest_invoice', 'customer'] });
    expect(expanded.latest_invoice).toMatchObject({ object: 'invoice', status: 'paid', amount_paid: 1500, billing_reason: 'subscription_create' });
    expect(expanded.customer).toMatchObject({ id: customer.id, object: 'customer' });
    expect(eventTypesFor(subscription.id)).toEqual([
      'customer.subscription.created',
      'invoice.created',
      'invoice.finalized',
      'invoice.paid',
      'invoice.payment_succeeded',
    ]);
  });

  it('starts a trial with trial_period_days', async () => {
    const { subscription } = await subscribedCustomer('stock_photos_monthly', { trial_period_days: 14 });
    expect(subscription).toMatchObject({ status: 'trialing', trial_start: clock, trial_end: clock + 14 * 86400 });
    expect(subscription.items.data[0]!.current_period_end).toBe(clock + 14 * 86400);
  });

  it('rejects a subscription for a missing customer or price', async () => {
    const { stripe } = harness;
    await expect(stripe.subscriptions.create({ customer: 'cus_missing', items: [{ price: await priceId('stock_photos_monthly') }] })).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      statusCode: 400,
      code: 'resource_missing',
      param: 'customer',
    });
    const customer = await stripe.customers.create({});
    await expect(stripe.subscriptions.create({ customer: customer.id, items: [{ price: 'price_missing' }] })).rejects.toMatchObject({
      code: 'resource_missing',
      param: 'items[0][price]',
    });
    expect((await stripe.subscriptions.list({ customer: customer.id })).data).toHaveLength(0);
  });

  it('takes items[][plan] as the id of a recurring price, but not together with price', async () => {
    const { stripe } = harness;
    const monthly = await priceId('stock_photos_monthly');
    const customer = await stripe.customers.create({});
    const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ plan: monthly, quantity: 2 }] });
    expect(subscription.items.data[0]).toMatchObject({
      quantity: 2,
      price: { id: monthly },
      plan: { object: 'plan', id: monthly, amount: 1500, interval: 'month' },
    });

    const pro = await priceId('stock_photos_pro_monthly');
    const added = await stripe.subscriptions.update(subscription.id, { items: [{ plan: pro }] });
    expect(added.items.data.map((item) => item.plan.id)).toEqual([monthly, pro]);
    await expect(stripe.subscriptions.update(subscription.id, { items: [{ plan: 'price_missing' }] })).rejects.toMatchObject({
      code: 'resource_missing',
      param: 'items[0][plan]',
    });
    await expect(stripe.subscriptions.create({ customer: customer.id, items: [{ plan: monthly, price: monthly }] })).rejects.toMatchObject({
      statusCode: 400,
      param: 'items[0]',
    });
  });

  it('updates price, cancel_at_period_end, pause_collection and metadata with previous_attributes', async () => {
    const { stripe } = harness;
    const { subscription } = await subscribedCustomer();
    const item = subscription.items.data[0]!;

    const switched = await stripe.subscriptions.update(subscription.id, {
      items: [{ id: item.id, price: await priceId('stock_photos_pro_monthly') }],
      proration_behavior: 'create_prorations',
    });
    expect(switched.items.data).toHaveLength(1);
    expect(switched.items.data[0]).toMatchObject({ id: item.id, price: { product: 'prod_stock_photos_pro', unit_amount: 3000 } });

    const ending = await stripe.subscriptions.update(subscription.id, { cancel_at_period_end: true });
    expect(ending).toMatchObject({ status: 'active', cancel_at_period_end: true, cancel_at: item.current_period_end, canceled_at: clock });

    const paused = await stripe.subscriptions.update(subscription.id, {
      cancel_at_period_end: false,
      pause_collection: { behavior: 'void', resumes_at: clock + 86400 },
    });
    expect(paused).toMatchObject({ cancel_at_period_end: false, cancel_at: null, pause_collection: { behavior: 'void', resumes_at: clock + 86400 } });
    const resumed = await stripe.subscriptions.update(subscription.id, { pause_collection: '', metadata: { note: 'x' } });
    expect(resumed).toMatchObject({ pause_collection: null, metadata: { note: 'x' } });

    const updates = harness.emulator
      .events()
      .filter((event) => event.type === 'customer.subscription.updated' && (event.data.object as Stripe.Subscription).id === subscription.id);
    expect(updates).toHaveLength(4);
    expect(updates[1]!.data.previous_attributes).toMatchObject({ cancel_at_period_end: false, cancel_at: null });
    expect(updates[3]!.data.previous_attributes).toMatchObject({ pause_collection: { behavior: 'void' }, metadata: {} });
  });

  it('invoices at once when an update changes the billing interval', async () => {
    const { subscription } = await subscribedCustomer();
    const yearly = await harness.stripe.subscriptions.update(subscription.id, {
      items: [{ id: subscription.items.data[0]!.id, price: await priceId('stock_photos_yearly') }],
    });
    expect(yearly.latest_invoice).not.toBe(subscription.latest_invoice);
    const invoice = await harness.stripe.invoices.retrieve(yearly.latest_invoice as string);
    expect(invoice).toMatchObject({ billing_reason: 'subscription_update', status: 'paid', amount_paid: 15000 });
  });

  it('rejects an invalid update and changes nothing', async () => {
    const { subscription } = await subscribedCustomer();
    await expect(harness.stripe.subscriptions.update(subscription.id, { pause_collection: { behavior: 'sometimes' as 'void' } })).rejects.toMatchObject({
      statusCode: 400,
      param: 'pause_collection[behavior]',
    });
    await expect(
      harness.stripe.subscriptions.update(subscription.id, {
        pause_collection: { behavior: 'void' },
        subscription_pause: true,
      } as Stripe.SubscriptionUpdateParams),
    ).rejects.toMatchObject({ code: 'parameter_unknown', param: 'subscription_pause' });
    expect((await harness.stripe.subscriptions.retrieve(subscription.id)).pause_collection).toBeNull();
  });

  it('cancels immediately and lists by customer and status', async () => {
    const { stripe } = harness;
    const { customer, subscription } = await subscribedCustomer();
    const second = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: await priceId('stock_photos_pro_monthly') }] });
    await expect(stripe.subscriptions.cancel(subscription.id, { cancellation_details: { feedback: 'too_pricey' as 'too_expensive' } })).rejects.toMatchObject({
      statusCode: 400,
      param: 'cancellation_details[feedback]',
    });
    const canceled = await stripe.subscriptions.cancel(subscription.id, { cancellation_details: { feedback: 'too_expensive', feedback_option: 'fbo_price' } });
    expect(canceled).toMatchObject({ status: 'canceled', canceled_at: clock, ended_at: clock });
    expect(canceled.cancellation_details).toEqual({ comment: null, feedback: 'too_expensive', feedback_option: 'fbo_price', reason: 'cancellation_requested' });
    expect(eventTypesFor(subscription.id)).toContain('customer.subscription.deleted');

    expect((await stripe.subscriptions.list({ customer: customer.id })).data.map((s) => s.id)).toEqual([second.id]);
    expect((await stripe.subscriptions.list({ customer: customer.id, status: 'all' })).data.map((s) => s.id)).toEqual([second.id, subscription.id]);
    expect((await stripe.subscriptions.list({ customer: customer.id, status: 'canceled' })).data.map((s) => s.id)).toEqual([subscription.id]);
    await expect(stripe.subscriptions.update(subscription.id, { cancel_at_period_end: true })).rejects.toMatchObject({ statusCode: 400 });
  });

  it('test controls: a failed payment makes it past_due, a retried one active, a period end renews or ends it', async () => {
    const { subscription } = await subscribedCustomer();
    const control = (path: string) => fetch(`${harness.emulator.url}/_emulator/subscriptions/${subscription.id}/${path}`, { method: 'POST' });

    expect((await control('payment_failed')).status).toBe(200);
    expect(await harness.stripe.subscriptions.retrieve(subscription.id)).toMatchObject({ status: 'past_due' });
    expect(eventTypesFor(subscription.id)).toEqual(expect.arrayContaining(['invoice.payment_failed', 'customer.subscription.updated']));
    expect((await control('payment_succeeded')).status).toBe(200);
    expect(await harness.stripe.subscriptions.retrieve(subscription.id)).toMatchObject({ status: 'active' });

    const periodEnd = subscription.items.data[0]!.current_period_end;
    const renewed = (await (await control('advance_period')).json()) as Stripe.Subscription;
    expect(renewed.items.data[0]).toMatchObject({ current_period_start: periodEnd });
    expect(renewed.items.data[0]!.current_period_end).toBeGreaterThan(periodEnd);
    expect(await harness.stripe.invoices.retrieve(renewed.latest_invoice as string)).toMatchObject({ billing_reason: 'subscription_cycle', status: 'paid' });

    await harness.stripe.subscriptions.update(subscription.id, { cancel_at_period_end: true });
    const ended = (await (await control('advance_period')).json()) as Stripe.Subscription;
    expect(ended).toMatchObject({ status: 'canceled', ended_at: renewed.items.data[0]!.current_period_end });
  });
});
