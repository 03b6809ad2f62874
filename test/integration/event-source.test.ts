/**
 * The reconciliation's Stripe event source against the emulator: the handled types and the time
 * window as Stripe's list parameters, and a 429 waited out (Retry-After, else backoff) before the
 * same page is read again.
 */
import { StripeEventSource } from '#adapters/stripe/event-source';
import { useStripeEmulator } from '../helpers/stripe';

describe('StripeEventSource (emulator)', () => {
  const stripe = useStripeEmulator();
  const sleeps: number[] = [];
  const source = () =>
    new StripeEventSource(() => stripe.stripe, {
      pageIntervalMs: 0,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
  beforeEach(() => sleeps.splice(0));
  afterEach(() => stripe.emulator.clearFaults());

  it('lists the handled events of the window, oldest cursor first', async () => {
    const from = Math.floor(Date.now() / 1000) - 5;
    const customer = await stripe.stripe.customers.create({ metadata: { app_account_id: 'acct_event_source' } });
    const page = await source().page({ from });
    const listed = page.events.find((event) => event.type === 'customer.created' && event.toBillingEvent().kind === 'customer');
    expect(listed?.toBillingEvent()).toMatchObject({ kind: 'customer', customerId: customer.id, accountId: 'acct_event_source' });
    expect(page.events.every((event) => event.created >= from)).toBe(true);
  });

  it('waits out 429s and reads the same page again', async () => {
    const from = Math.floor(Date.now() / 1000) - 5;
    await stripe.stripe.customers.create({ metadata: { app_account_id: 'acct_event_source_429' } });
    const before = stripe.emulator.requests().length;
    stripe.emulator.injectFault({ status: 429, count: 2, method: 'GET', path: '/v1/events' });
    const page = await source().page({ from });
    expect(page.events.length).toBeGreaterThan(0);
    const listCalls = stripe.emulator
      .requests()
      .slice(before)
      .filter((request) => request.path.startsWith('/v1/events'));
    expect(listCalls).toHaveLength(3);
    // The emulator's 429 names no Retry-After: Linkout's default (2 s) against the backoff (1 s, 2 s).
    expect(sleeps).toEqual([2000, 2000]);
  });

  it('gives up after four retries with the rate limit as a throttled error', async () => {
    stripe.emulator.injectFault({ status: 429, count: 10, method: 'GET', path: '/v1/events' });
    await expect(source().page({ from: Math.floor(Date.now() / 1000) - 5 })).rejects.toMatchObject({ kind: 'throttled', code: 'stripe_rate_limited' });
    expect(sleeps).toEqual([2000, 2000, 4000, 8000]);
  });
});
