import { readFileSync } from 'node:fs';
import path from 'node:path';
import type Stripe from 'stripe';
import { toBillingEvent, toSubscriptionSnapshot } from '#adapters/stripe/mapping';

const fixture = <T>(name: string): T => JSON.parse(readFileSync(path.join(__dirname, '../fixtures/stripe', `${name}.json`), 'utf8')) as T;

function event(type: string, object: unknown): Stripe.Event {
  return { id: 'evt_1', object: 'event', type, created: 1_700_000_000, data: { object } } as unknown as Stripe.Event;
}

describe('Stripe -> core mapping', () => {
  const subscription = fixture<Stripe.Subscription>('subscription');

  it('takes the period end from the subscription items', () => {
    const snapshot = toSubscriptionSnapshot(subscription);
    expect(snapshot).toMatchObject({
      id: 'sub_1Pgc6rB7WZ01zgkWNy0Cn5nw',
      customerId: 'cus_QXg1o8vcGmoR32',
      status: 'active',
      cancelAtPeriodEnd: true,
      cancelAt: 1234567890,
      pauseCollection: { behavior: 'mark_uncollectible', resumesAt: null },
      items: [{ priceId: 'price_1PgafmB7WZ01zgkW6dKueIc5', productId: 'prod_QXg1hqf4jFNsqG', lookupKey: null, currentPeriodEnd: 976287773 }],
    });
  });

  it.each([
    'customer.subscription.created',
    'customer.subscription.updated',
    'customer.subscription.deleted',
    'customer.subscription.paused',
    'customer.subscription.resumed',
    'customer.subscription.pending_update_applied',
    'customer.subscription.pending_update_expired',
    'customer.subscription.trial_will_end',
  ])('%s carries a subscription snapshot', (type) => {
    expect(toBillingEvent(event(type, subscription))).toMatchObject({ kind: 'subscription', eventId: 'evt_1', created: 1_700_000_000 });
  });

  it('reads the subscription of an invoice from parent.subscription_details', () => {
    const invoice = { ...fixture<Stripe.Invoice>('invoice'), parent: { type: 'subscription_details', subscription_details: { subscription: 'sub_9' } } };
    expect(toBillingEvent(event('invoice.payment_failed', invoice))).toMatchObject({
      kind: 'invoice',
      customerId: 'cus_QXg1o8vcGmoR32',
      subscriptionId: 'sub_9',
      invoice: { invoiceId: 'in_1Pgc6tB7WZ01zgkWu9fdqL6I', paymentFailed: true },
    });
    expect(toBillingEvent(event('invoice.paid', invoice))).toMatchObject({ invoice: { paymentFailed: false } });
  });

  it('ignores an invoice without a subscription', () => {
    const invoice = { ...fixture<Stripe.Invoice>('invoice'), parent: null };
    expect(toBillingEvent(event('invoice.paid', invoice)).kind).toBe('ignored');
  });

  it('reads no subscription from the top-level field that API versions before 2025-03-31 sent', () => {
    const invoice = { ...fixture<Stripe.Invoice>('invoice'), parent: null, subscription: 'sub_legacy' };
    expect(toBillingEvent(event('invoice.paid', invoice)).kind).toBe('ignored');
  });

  it('maps customers, deletions and entitlement summaries', () => {
    const customer = fixture<Stripe.Customer>('customer');
    expect(toBillingEvent(event('customer.updated', { ...customer, metadata: { app_account_id: 'acct_7' } }))).toMatchObject({
      kind: 'customer',
      customerId: 'cus_QXg1o8vcGmoR32',
      accountId: 'acct_7',
    });
    expect(toBillingEvent(event('customer.created', customer))).toMatchObject({ kind: 'customer', accountId: null });
    expect(toBillingEvent(event('customer.deleted', customer))).toMatchObject({ kind: 'customer_deleted', customerId: 'cus_QXg1o8vcGmoR32' });
    const summary = {
      object: 'entitlements.active_entitlement_summary',
      customer: 'cus_1',
      livemode: false,
      entitlements: { object: 'list', data: [{ lookup_key: 'raw_export' }] },
    };
    expect(toBillingEvent(event('entitlements.active_entitlement_summary.updated', summary))).toMatchObject({
      kind: 'entitlement_summary',
      customerId: 'cus_1',
      lookupKeys: ['raw_export'],
    });
  });

  it('ignores event types it does not act on', () => {
    expect(toBillingEvent(fixture<Stripe.Event>('event')).kind).toBe('ignored');
  });
});
