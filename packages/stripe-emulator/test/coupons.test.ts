import type Stripe from 'stripe';
import { useStripeEmulator } from './harness';

/** The customer-discount parameters of older API versions, which the Stripe CLI's fixtures still send. */
type WithCoupon<T> = T & { coupon?: string; promotion_code?: string };

describe('Stripe emulator: coupons, promotion codes and discounts', () => {
  const clock = 1_800_000_000;
  const harness = useStripeEmulator({ now: () => clock });

  function eventsSince(from: number): Stripe.Event[] {
    return harness.emulator.events().slice(from);
  }

  const createCustomer = (params: WithCoupon<Stripe.CustomerCreateParams>) => harness.stripe.customers.create(params as Stripe.CustomerCreateParams);
  const updateCustomer = (id: string, params: WithCoupon<Stripe.CustomerUpdateParams>) =>
    harness.stripe.customers.update(id, params as Stripe.CustomerUpdateParams);

  describe('coupons', () => {
    it('are created, updated, listed and deleted with coupon.* events', async () => {
      const { stripe } = harness;
      const from = harness.emulator.events().length;
      const coupon = await stripe.coupons.create({ percent_off: 20, metadata: { campaign: 'spring' } });
      expect(coupon).toMatchObject({
        object: 'coupon',
        percent_off: 20,
        amount_off: null,
        currency: null,
        duration: 'once',
        duration_in_months: null,
        times_redeemed: 0,
        valid: true,
        created: clock,
        name: null,
      });
      expect(coupon.id).toMatch(/^[A-Za-z0-9]{8}$/);
      const named = await stripe.coupons.create({ id: 'WELCOME10', amount_off: 1000, currency: 'USD', duration: 'repeating', duration_in_months: 3 });
      expect(named).toMatchObject({ id: 'WELCOME10', amount_off: 1000, currency: 'usd', duration: 'repeating', duration_in_months: 3 });

      const updated = await stripe.coupons.update(coupon.id, { name: 'Spring', metadata: { campaign: '' } });
      expect(updated).toMatchObject({ name: 'Spring', metadata: {} });
      expect((await stripe.coupons.list({ limit: 100 })).data.map((listed) => listed.id)).toEqual(expect.arrayContaining([coupon.id, 'WELCOME10']));

      expect(await stripe.coupons.del(coupon.id)).toEqual(expect.objectContaining({ id: coupon.id, object: 'coupon', deleted: true }));
      await expect(stripe.coupons.retrieve(coupon.id)).rejects.toMatchObject({ statusCode: 404, code: 'resource_missing' });

      const events = eventsSince(from);
      expect(events.map((event) => event.type)).toEqual(['coupon.created', 'coupon.created', 'coupon.updated', 'coupon.deleted']);
      expect(events[2]!.data.previous_attributes).toEqual({ name: null, metadata: { campaign: 'spring' } });
    });

    it('refuse what Stripe refuses', async () => {
      const { stripe } = harness;
      await expect(stripe.coupons.create({ duration: 'forever' })).rejects.toMatchObject({ statusCode: 400 });
      await expect(stripe.coupons.create({ percent_off: 10, amount_off: 100, currency: 'usd' })).rejects.toMatchObject({ statusCode: 400 });
      await expect(stripe.coupons.create({ amount_off: 100 })).rejects.toMatchObject({ param: 'currency' });
      await expect(stripe.coupons.create({ percent_off: 150 })).rejects.toMatchObject({ param: 'percent_off' });
      await expect(stripe.coupons.create({ percent_off: 10, duration: 'repeating' })).rejects.toMatchObject({ param: 'duration_in_months' });
      await stripe.coupons.create({ id: 'TAKEN', percent_off: 5 });
      await expect(stripe.coupons.create({ id: 'TAKEN', percent_off: 5 })).rejects.toMatchObject({ param: 'id', code: 'resource_already_exists' });
      await expect(stripe.coupons.update('TAKEN', { percent_off: 6 } as Stripe.CouponUpdateParams)).rejects.toMatchObject({
        code: 'parameter_unknown',
        param: 'percent_off',
      });
    });
  });

  describe('customer discounts', () => {
    it('a coupon on a new customer: customer.created, then customer.discount.created', async () => {
      const coupon = await harness.stripe.coupons.create({ percent_off: 20 });
      const from = harness.emulator.events().length;
      const customer = await createCustomer({ coupon: coupon.id, description: 'with coupon' });
      expect(customer.discount).toMatchObject({
        object: 'discount',
        customer: customer.id,
        source: { coupon: coupon.id, type: 'coupon' },
        start: clock,
        end: null,
        subscription: null,
        promotion_code: null,
      });
      expect(customer.discount!.id).toMatch(/^di_/);
      const events = eventsSince(from);
      expect(events.map((event) => event.type)).toEqual(['customer.created', 'customer.discount.created']);
      expect(events[0]!.data.object).toMatchObject({ discount: { id: customer.discount!.id } });
      expect(events[1]!.data.object).toMatchObject({ id: customer.discount!.id, customer: customer.id });
      expect(await harness.stripe.coupons.retrieve(coupon.id)).toMatchObject({ times_redeemed: 1 });
    });

    it('another coupon updates the discount, an empty one deletes it (with customer.updated)', async () => {
      const { stripe } = harness;
      const first = await stripe.coupons.create({ percent_off: 20 });
      const second = await stripe.coupons.create({ percent_off: 30, duration: 'repeating', duration_in_months: 2 });
      const customer = await createCustomer({ coupon: first.id });
      let from = harness.emulator.events().length;
      const switched = await updateCustomer(customer.id, { coupon: second.id });
      expect(switched.discount).toMatchObject({ id: customer.discount!.id, source: { coupon: second.id }, end: Date.UTC(2027, 2, 15, 8, 0, 0) / 1000 });
      let events = eventsSince(from);
      expect(events.map((event) => event.type)).toEqual(['customer.discount.updated', 'customer.updated']);
      expect(events[0]!.data.previous_attributes).toMatchObject({ source: { coupon: first.id, type: 'coupon' }, end: null });

      from = harness.emulator.events().length;
      const removed = await updateCustomer(customer.id, { coupon: '' });
      expect(removed.discount).toBeNull();
      events = eventsSince(from);
      expect(events.map((event) => event.type)).toEqual(['customer.discount.deleted', 'customer.updated']);
      expect(events[0]!.data.object).toMatchObject({ id: customer.discount!.id, source: { coupon: second.id } });
      expect(events[1]!.data.previous_attributes).toMatchObject({ discount: { id: customer.discount!.id } });
    });

    it('DELETE /v1/customers/:id/discount answers the deleted discount; without one it is 404', async () => {
      const { stripe } = harness;
      const coupon = await stripe.coupons.create({ percent_off: 10 });
      const customer = await createCustomer({ coupon: coupon.id });
      const deleted = await stripe.customers.deleteDiscount(customer.id);
      expect(deleted).toMatchObject({ id: customer.discount!.id, object: 'discount', deleted: true, customer: customer.id });
      expect(deleted).not.toHaveProperty('end');
      expect((await stripe.customers.retrieve(customer.id)) as Stripe.Customer).toMatchObject({ discount: null });
      await expect(stripe.customers.deleteDiscount(customer.id)).rejects.toMatchObject({ statusCode: 404 });
    });

    it('an unknown or used-up coupon fails the request before anything is created', async () => {
      const { stripe } = harness;
      const before = (await stripe.customers.list({ limit: 100 })).data.length;
      await expect(createCustomer({ coupon: 'NOPE' })).rejects.toMatchObject({ statusCode: 400, code: 'resource_missing', param: 'coupon' });
      const single = await stripe.coupons.create({ percent_off: 50, max_redemptions: 1 });
      await createCustomer({ coupon: single.id });
      await expect(createCustomer({ coupon: single.id })).rejects.toMatchObject({ statusCode: 400, code: 'coupon_expired', param: 'coupon' });
      expect((await stripe.customers.list({ limit: 100 })).data.length).toBe(before + 1);
      expect(await stripe.coupons.retrieve(single.id)).toMatchObject({ times_redeemed: 1, valid: false });
    });
  });

  describe('promotion codes', () => {
    it('name a coupon, are redeemed by code id and stop when inactive', async () => {
      const { stripe } = harness;
      const coupon = await stripe.coupons.create({ percent_off: 15 });
      const code = await stripe.promotionCodes.create({ promotion: { coupon: coupon.id, type: 'coupon' }, code: 'SPRING15', max_redemptions: 5 });
      expect(code).toMatchObject({
        object: 'promotion_code',
        code: 'SPRING15',
        active: true,
        promotion: { coupon: coupon.id, type: 'coupon' },
        times_redeemed: 0,
        restrictions: { first_time_transaction: false, minimum_amount: null },
      });
      const customer = await createCustomer({ promotion_code: code.id });
      expect(customer.discount).toMatchObject({ promotion_code: code.id, source: { coupon: coupon.id } });
      expect(await stripe.promotionCodes.retrieve(code.id)).toMatchObject({ times_redeemed: 1 });
      expect((await stripe.promotionCodes.list({ code: 'SPRING15' })).data.map((listed) => listed.id)).toEqual([code.id]);

      const from = harness.emulator.events().length;
      expect(await stripe.promotionCodes.update(code.id, { active: false })).toMatchObject({ active: false });
      expect(eventsSince(from).map((event) => [event.type, event.data.previous_attributes])).toEqual([['promotion_code.updated', { active: true }]]);
      await expect(createCustomer({ promotion_code: code.id })).rejects.toMatchObject({ statusCode: 400, param: 'promotion_code' });
    });
  });

  describe('subscription discounts', () => {
    async function monthlyPrice(): Promise<string> {
      return (await harness.stripe.prices.list({ lookup_keys: ['stock_photos_monthly'] })).data[0]!.id;
    }

    it('discounts[] on a new subscription: redeemed after customer.subscription.created, applied to its invoices', async () => {
      const { stripe } = harness;
      const coupon = await stripe.coupons.create({ amount_off: 500, currency: 'usd', duration: 'forever' });
      const customer = await stripe.customers.create({});
      const from = harness.emulator.events().length;
      const subscription = await stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: await monthlyPrice() }],
        discounts: [{ coupon: coupon.id }],
      });
      expect(subscription.discounts).toEqual([expect.stringMatching(/^di_/)]);
      const types = eventsSince(from).map((event) => event.type);
      expect(types.slice(0, 3)).toEqual(['customer.subscription.created', 'customer.discount.created', 'invoice.created']);
      const discountEvent = eventsSince(from)[1]!;
      expect(discountEvent.data.object).toMatchObject({
        id: subscription.discounts[0],
        subscription: subscription.id,
        customer: customer.id,
        source: { coupon: coupon.id },
      });
      expect(await stripe.invoices.retrieve(subscription.latest_invoice as string)).toMatchObject({
        subtotal: 1500,
        total: 1000,
        amount_paid: 1000,
        discounts: subscription.discounts,
      });
    });

    it("a subscription without its own discount uses the customer's", async () => {
      const { stripe } = harness;
      const coupon = await stripe.coupons.create({ percent_off: 10, duration: 'forever' });
      const customer = await createCustomer({ coupon: coupon.id });
      const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: await monthlyPrice() }] });
      expect(subscription.discounts).toEqual([]);
      expect(await stripe.invoices.retrieve(subscription.latest_invoice as string)).toMatchObject({ total: 1350, discounts: [customer.discount!.id] });
    });

    it('are replaced by update and removed by deleteDiscount (customer.discount.deleted, customer.subscription.updated)', async () => {
      const { stripe } = harness;
      const first = await stripe.coupons.create({ percent_off: 10, duration: 'forever' });
      const second = await stripe.coupons.create({ percent_off: 20, duration: 'forever' });
      const customer = await stripe.customers.create({});
      const subscription = await stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: await monthlyPrice() }],
        discounts: [{ coupon: first.id }],
      });
      let from = harness.emulator.events().length;
      const replaced = await stripe.subscriptions.update(subscription.id, { discounts: [{ coupon: second.id }] });
      expect(replaced.discounts).toHaveLength(1);
      expect(replaced.discounts[0]).not.toBe(subscription.discounts[0]);
      expect(eventsSince(from).map((event) => event.type)).toEqual(['customer.discount.deleted', 'customer.discount.created', 'customer.subscription.updated']);

      from = harness.emulator.events().length;
      const deleted = await stripe.subscriptions.deleteDiscount(subscription.id);
      expect(deleted).toMatchObject({ id: replaced.discounts[0], deleted: true, subscription: subscription.id });
      expect(eventsSince(from).map((event) => event.type)).toEqual(['customer.discount.deleted', 'customer.subscription.updated']);
      expect((await stripe.subscriptions.retrieve(subscription.id)).discounts).toEqual([]);
      await expect(stripe.subscriptions.deleteDiscount(subscription.id)).rejects.toMatchObject({ statusCode: 404 });
      await expect(stripe.subscriptions.update(subscription.id, { discounts: [{ coupon: 'MISSING' }] })).rejects.toMatchObject({
        param: 'discounts[0][coupon]',
        code: 'resource_missing',
      });
    });
  });
});
