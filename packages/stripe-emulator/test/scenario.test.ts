/**
 * The foundation issue's done-when, as one scenario: stripe-node against the emulator creates a
 * customer, subscribes it, opens a portal session, cancels through the hosted page, and a receiver at
 * the configured webhook URL gets a correctly signed event for each change (verified with constructEvent).
 */
import type Stripe from 'stripe';
import { useStripeEmulator } from './harness';
import { startWebhookReceiver, type WebhookReceiver } from './receiver';

describe('Stripe emulator: subscribe, open the portal, cancel there, receive signed events', () => {
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await startWebhookReceiver('whsec_scenario_secret');
  });
  afterAll(() => receiver.close());
  const harness = useStripeEmulator(() => ({ webhookUrl: receiver.url, webhookSecret: receiver.secret }));

  it('delivers a verified event for every change, ending with the cancellation made in the portal', async () => {
    const { stripe, emulator } = harness;

    const customer = await stripe.customers.create({ email: 'owner@lumenphotos.example', metadata: { app_account_id: 'acct-scenario' } });
    const [price] = (await stripe.prices.list({ lookup_keys: ['stock_photos_monthly'] })).data;
    const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price!.id }] });
    expect(subscription.status).toBe('active');

    const configuration = await stripe.billingPortal.configurations.create({
      features: { invoice_history: { enabled: true }, subscription_cancel: { enabled: true, mode: 'immediately' } },
    });
    const session = await stripe.billingPortal.sessions.create({
      customer: customer.id,
      configuration: configuration.id,
      return_url: 'https://links.lumenphotos.example/portal_redirect',
    });

    const portal = await fetch(session.url);
    expect(portal.status).toBe(200);
    const html = await portal.text();
    expect(html).toContain('data-testid="cancel-subscription"');
    expect(html).not.toContain('data-testid="switch-price"');

    const canceled = await fetch(`${session.url}/cancel`, { method: 'POST', body: new URLSearchParams({ subscription: subscription.id }) });
    expect(canceled.status).toBe(200);
    expect(await canceled.text()).toContain('href="https://links.lumenphotos.example/portal_redirect"');
    expect(await stripe.subscriptions.retrieve(subscription.id)).toMatchObject({ status: 'canceled' });

    await emulator.flushDeliveries();
    const emitted = emulator.events();
    expect(emitted.map((event) => event.type)).toEqual([
      'customer.created',
      'customer.subscription.created',
      'invoice.created',
      'invoice.finalized',
      'invoice.paid',
      'invoice.payment_succeeded',
      'billing_portal.configuration.created',
      'billing_portal.session.created',
      'customer.subscription.deleted',
    ]);
    expect(receiver.rejected).toEqual([]);
    const delivered = receiver.received.map((delivery) => delivery.event);
    expect(delivered.map((event) => event.id)).toEqual(emitted.map((event) => event.id));
    const last = delivered.at(-1)!;
    expect(last.type).toBe('customer.subscription.deleted');
    expect(last.data.object as Stripe.Subscription).toMatchObject({ id: subscription.id, status: 'canceled', customer: customer.id });
    expect((await stripe.events.list({ type: 'customer.subscription.deleted' })).data.map((event) => event.id)).toEqual([last.id]);
  });
});
