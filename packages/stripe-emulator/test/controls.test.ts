import Stripe from 'stripe';
import { useStripeEmulator } from './harness';

describe('Stripe emulator: test controls', () => {
  const harness = useStripeEmulator();

  it.each([
    [429, Stripe.errors.StripeRateLimitError],
    [500, Stripe.errors.StripeAPIError],
    [402, Stripe.errors.StripeCardError],
  ])('an injected %i fails the next matching request with the typed error and changes nothing', async (status, errorClass) => {
    const { stripe, emulator } = harness;
    const events = emulator.events().length;
    emulator.injectFault({ status, path: '/v1/customers', method: 'POST' });
    const error = await stripe.customers.create({ email: `fault-${status}@example.com` }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(errorClass);
    expect(error).toMatchObject({ statusCode: status });
    expect(emulator.events().length).toBe(events);
    expect((await stripe.customers.list({ email: `fault-${status}@example.com` })).data).toHaveLength(0);
    expect((await stripe.customers.create({ email: `fault-${status}@example.com` })).id).toMatch(/^cus_/);
  });

  it('faults can be injected and cleared over HTTP, only for the given path', async () => {
    const { stripe, emulator } = harness;
    const inject = await fetch(`${emulator.url}/_emulator/faults`, {
      method: 'POST',
      body: new URLSearchParams({ status: '503', count: '2', path: '/v1/billing_portal/sessions' }),
    });
    expect(inject.status).toBe(200);
    const customer = await stripe.customers.create({});
    await expect(stripe.billingPortal.sessions.create({ customer: customer.id })).rejects.toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect((await fetch(`${emulator.url}/_emulator/faults`, { method: 'DELETE' })).status).toBe(200);
    expect((await stripe.billingPortal.sessions.create({ customer: customer.id })).id).toMatch(/^bps_/);
  });

  it('reset forgets customers and events but keeps the catalog', async () => {
    const { stripe, emulator } = harness;
    const customer = await stripe.customers.create({ email: 'reset@example.com' });
    expect((await fetch(`${emulator.url}/_emulator/reset`, { method: 'POST' })).status).toBe(200);
    await expect(stripe.customers.retrieve(customer.id)).rejects.toMatchObject({ statusCode: 404 });
    expect(emulator.events()).toEqual([]);
    expect((await stripe.prices.list({ lookup_keys: ['stock_photos_monthly'] })).data).toHaveLength(1);
  });
});
