import Stripe from 'stripe';
import { useStripeEmulator } from './harness';

describe('Stripe emulator: invoices and invoice items', () => {
  const clock = 1_800_000_000;
  const harness = useStripeEmulator({ now: () => clock });

  /** Types of the events about `id` (the object itself) recorded since `from`, oldest first. */
  function typesAbout(id: string, from = 0): string[] {
    return harness.emulator
      .events()
      .slice(from)
      .filter((event) => (event.data.object as { id?: string }).id === id)
      .map((event) => event.type);
  }

  function lastEvent(type: string, id: string): Stripe.Event {
    const found = harness.emulator.events().filter((event) => event.type === type && (event.data.object as { id?: string }).id === id);
    expect(found.length).toBeGreaterThan(0);
    return found.at(-1)!;
  }

  async function customerWithCard(card = 'pm_card_visa') {
    const customer = await harness.stripe.customers.create({ email: 'billing@example.com' });
    const paymentMethod = await harness.stripe.paymentMethods.attach(card, { customer: customer.id });
    return { customer, paymentMethod };
  }

  async function draftWithItem(customer: string, amount = 2000, extra: Partial<Stripe.InvoiceCreateParams> = {}) {
    const item = await harness.stripe.invoiceItems.create({ customer, amount, currency: 'usd', description: 'Print credits' });
    const invoice = await harness.stripe.invoices.create({ customer, pending_invoice_items_behavior: 'include', ...extra });
    return { item, invoice };
  }

  describe('invoice items', () => {
    it('stay pending until an invoice includes them; the default is to exclude them', async () => {
      const { stripe, emulator } = harness;
      const customer = await stripe.customers.create({});
      const from = emulator.events().length;
      const item = await stripe.invoiceItems.create({
        customer: customer.id,
        amount: 2000,
        currency: 'usd',
        description: 'Print credits',
        metadata: { order: '7' },
      });
      expect(item).toMatchObject({
        object: 'invoiceitem',
        amount: 2000,
        currency: 'usd',
        customer: customer.id,
        invoice: null,
        parent: null,
        quantity: 1,
        proration: false,
        date: clock,
        period: { start: clock, end: clock },
        pricing: { type: 'price_details' },
        metadata: { order: '7' },
      });
      // stripe-node turns decimal strings into its Decimal class.
      expect(String(item.pricing!.unit_amount_decimal)).toBe('2000');
      expect(item.id).toMatch(/^ii_/);
      expect(typesAbout(item.id, from)).toEqual(['invoiceitem.created']);

      const excluded = await stripe.invoices.create({ customer: customer.id });
      expect(excluded).toMatchObject({ status: 'draft', total: 0, lines: { data: [] } });
      expect((await stripe.invoiceItems.list({ customer: customer.id, pending: true })).data.map((pending) => pending.id)).toEqual([item.id]);

      const included = await stripe.invoices.create({ customer: customer.id, pending_invoice_items_behavior: 'include' });
      expect(included).toMatchObject({
        subtotal: 2000,
        total: 2000,
        amount_due: 2000,
        amount_remaining: 2000,
        billing_reason: 'manual',
        collection_method: 'charge_automatically',
        auto_advance: false,
      });
      expect(included.lines.data).toHaveLength(1);
      expect(included.lines.data[0]).toMatchObject({
        object: 'line_item',
        amount: 2000,
        description: 'Print credits',
        invoice: included.id,
        parent: {
          type: 'invoice_item_details',
          invoice_item_details: { invoice_item: item.id, proration: false, subscription: null },
          subscription_item_details: null,
        },
        subtotal: 2000,
      });
      expect(await stripe.invoiceItems.retrieve(item.id)).toMatchObject({ invoice: included.id });
      expect((await stripe.invoiceItems.list({ customer: customer.id, pending: true })).data).toEqual([]);
      expect((await stripe.invoiceItems.list({ invoice: included.id })).data.map((listed) => listed.id)).toEqual([item.id]);
    });

    it('are priced by a one-time price (times the quantity) or by price_data; recurring prices are refused', async () => {
      const { stripe } = harness;
      const customer = await stripe.customers.create({});
      const oneTime = await stripe.prices.create({ product: 'prod_stock_photos', unit_amount: 700, currency: 'usd' });
      const byPrice = await stripe.invoiceItems.create({ customer: customer.id, pricing: { price: oneTime.id }, quantity: 3 });
      expect(byPrice).toMatchObject({
        amount: 2100,
        currency: 'usd',
        quantity: 3,
        description: 'Stock Photos',
        pricing: { price_details: { price: oneTime.id, product: 'prod_stock_photos' } },
      });
      expect(String(byPrice.pricing!.unit_amount_decimal)).toBe('700');
      const byData = await stripe.invoiceItems.create({
        customer: customer.id,
        price_data: { currency: 'usd', product: 'prod_stock_photos', unit_amount: 250 },
        quantity: 2,
      });
      expect(byData).toMatchObject({ amount: 500, quantity: 2 });

      const monthly = (await stripe.prices.list({ lookup_keys: ['stock_photos_monthly'] })).data[0]!;
      await expect(stripe.invoiceItems.create({ customer: customer.id, pricing: { price: monthly.id } })).rejects.toMatchObject({
        statusCode: 400,
        param: 'pricing[price]',
      });
      await expect(stripe.invoiceItems.create({ customer: customer.id, amount: 100 })).rejects.toMatchObject({ code: 'parameter_missing', param: 'currency' });
      await expect(stripe.invoiceItems.create({ customer: customer.id, currency: 'usd' })).rejects.toMatchObject({ statusCode: 400 });
      await expect(stripe.invoiceItems.create({ customer: 'cus_missing', amount: 100, currency: 'usd' })).rejects.toMatchObject({
        code: 'resource_missing',
        param: 'customer',
      });
    });

    it('change and go while on a draft (invoice.updated follows the totals), not once the invoice is finalized', async () => {
      const { stripe, emulator } = harness;
      const customer = await stripe.customers.create({});
      const { item, invoice } = await draftWithItem(customer.id);
      const added = await stripe.invoiceItems.create({ customer: customer.id, invoice: invoice.id, amount: 500, currency: 'usd' });
      expect(await stripe.invoices.retrieve(invoice.id)).toMatchObject({ total: 2500, lines: { data: [{ amount: 2000 }, { amount: 500 }] } });
      expect(lastEvent('invoice.updated', invoice.id).data.previous_attributes).toMatchObject({ total: 2000, amount_due: 2000 });

      const from = emulator.events().length;
      const updated = await stripe.invoiceItems.update(item.id, { amount: 3000, description: 'More credits' });
      expect(updated).toMatchObject({ amount: 3000, description: 'More credits' });
      expect(await stripe.invoices.retrieve(invoice.id)).toMatchObject({
        total: 3500,
        lines: { data: [{ amount: 3000, description: 'More credits' }, { amount: 500 }] },
      });
      expect(typesAbout(invoice.id, from)).toEqual(['invoice.updated']);

      const deleted = await stripe.invoiceItems.del(added.id);
      expect(deleted).toEqual(expect.objectContaining({ id: added.id, object: 'invoiceitem', deleted: true }));
      expect(typesAbout(added.id, from)).toEqual(['invoiceitem.deleted']);
      await expect(stripe.invoiceItems.retrieve(added.id)).rejects.toMatchObject({ statusCode: 404 });
      expect(await stripe.invoices.retrieve(invoice.id)).toMatchObject({ total: 3000, lines: { data: [{ amount: 3000 }] } });

      await stripe.invoices.finalizeInvoice(invoice.id);
      await expect(stripe.invoiceItems.update(item.id, { amount: 1 })).rejects.toMatchObject({ statusCode: 400 });
      await expect(stripe.invoiceItems.del(item.id)).rejects.toMatchObject({ statusCode: 400 });
      await expect(stripe.invoiceItems.create({ customer: customer.id, invoice: invoice.id, amount: 1, currency: 'usd' })).rejects.toMatchObject({
        param: 'invoice',
      });
    });
  });

  describe('one-off invoices', () => {
    it('update a draft with invoice.updated and previous_attributes; a finalized invoice keeps its money terms', async () => {
      const { stripe } = harness;
      const customer = await stripe.customers.create({});
      const { invoice } = await draftWithItem(customer.id);
      expect(invoice).toMatchObject({ object: 'invoice', status: 'draft', number: null, customer: customer.id, parent: null, due_date: null });

      const updated = await stripe.invoices.update(invoice.id, {
        metadata: { foo: 'bar' },
        description: 'Thanks',
        collection_method: 'send_invoice',
        days_until_due: 14,
      });
      expect(updated).toMatchObject({
        metadata: { foo: 'bar' },
        description: 'Thanks',
        collection_method: 'send_invoice',
        due_date: invoice.created + 14 * 86400,
      });
      expect(lastEvent('invoice.updated', invoice.id).data.previous_attributes).toEqual({
        metadata: {},
        description: null,
        collection_method: 'charge_automatically',
        due_date: null,
      });

      await stripe.invoices.finalizeInvoice(invoice.id);
      await expect(stripe.invoices.update(invoice.id, { collection_method: 'charge_automatically' })).rejects.toMatchObject({
        statusCode: 400,
        param: 'collection_method',
      });
      expect(await stripe.invoices.update(invoice.id, { footer: 'See you' })).toMatchObject({ footer: 'See you', collection_method: 'send_invoice' });
      await expect(stripe.invoices.create({ customer: customer.id, days_until_due: 3 })).rejects.toMatchObject({ param: 'days_until_due' });
    });

    it('finalize: a number, status open, invoice.updated then invoice.finalized; only once', async () => {
      const { stripe, emulator } = harness;
      const customer = await stripe.customers.create({});
      const { invoice } = await draftWithItem(customer.id);
      const from = emulator.events().length;
      const open = await stripe.invoices.finalizeInvoice(invoice.id, { auto_advance: true });
      expect(open).toMatchObject({ status: 'open', auto_advance: true, effective_at: clock, ending_balance: 0, status_transitions: { finalized_at: clock } });
      expect(open.number).toMatch(new RegExp(`^${customer.invoice_prefix}-0001$`));
      expect(typesAbout(invoice.id, from)).toEqual(['invoice.updated', 'invoice.finalized']);
      expect(lastEvent('invoice.updated', invoice.id).data.previous_attributes).toMatchObject({ status: 'draft', number: null });
      expect(lastEvent('invoice.finalized', invoice.id).data.previous_attributes).toBeUndefined();
      await expect(stripe.invoices.finalizeInvoice(invoice.id)).rejects.toMatchObject({ statusCode: 400 });
    });

    it('finalize: an invoice with nothing due is paid at once, without a payment attempt', async () => {
      const { stripe, emulator } = harness;
      const customer = await stripe.customers.create({});
      const { invoice } = await draftWithItem(customer.id, 0);
      const from = emulator.events().length;
      expect(await stripe.invoices.finalizeInvoice(invoice.id)).toMatchObject({
        status: 'paid',
        amount_paid: 0,
        attempt_count: 0,
        status_transitions: { paid_at: clock },
      });
      expect(typesAbout(invoice.id, from)).toEqual(['invoice.updated', 'invoice.finalized', 'invoice.updated', 'invoice.paid', 'invoice.payment_succeeded']);
    });

    it("with `subscription`, includes only that subscription's pending items", async () => {
      const { stripe } = harness;
      const customer = await stripe.customers.create({});
      const price = (await stripe.prices.list({ lookup_keys: ['stock_photos_monthly'] })).data[0]!;
      const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
      const loose = await stripe.invoiceItems.create({ customer: customer.id, amount: 100, currency: 'usd' });
      const owned = await stripe.invoiceItems.create({ customer: customer.id, amount: 200, currency: 'usd', subscription: subscription.id });
      expect(owned.parent).toEqual({ type: 'subscription_details', subscription_details: { subscription: subscription.id } });
      const invoice = await stripe.invoices.create({ customer: customer.id, subscription: subscription.id, pending_invoice_items_behavior: 'include' });
      expect(invoice).toMatchObject({ total: 200, parent: { type: 'subscription_details', subscription_details: { subscription: subscription.id } } });
      expect(invoice.lines.data[0]).toMatchObject({
        subscription: subscription.id,
        parent: { invoice_item_details: { invoice_item: owned.id, subscription: subscription.id } },
      });
      expect(await stripe.invoiceItems.retrieve(loose.id)).toMatchObject({ invoice: null });
    });

    it('pay: charges the given card; the invoice is paid (invoice.paid, invoice.payment_succeeded)', async () => {
      const { stripe, emulator } = harness;
      const { customer, paymentMethod } = await customerWithCard();
      const { invoice } = await draftWithItem(customer.id);
      const from = emulator.events().length;
      const paid = await stripe.invoices.pay(invoice.id, { payment_method: paymentMethod.id });
      expect(paid).toMatchObject({
        status: 'paid',
        amount_paid: 2000,
        amount_remaining: 0,
        attempted: true,
        attempt_count: 1,
        status_transitions: { paid_at: clock },
      });
      expect(paid).not.toHaveProperty('charge');
      expect(paid).not.toHaveProperty('payment_intent');
      expect(typesAbout(invoice.id, from)).toEqual(['invoice.updated', 'invoice.finalized', 'invoice.updated', 'invoice.paid', 'invoice.payment_succeeded']);
      expect(lastEvent('invoice.updated', invoice.id).data.previous_attributes).toMatchObject({ status: 'open', amount_paid: 0, amount_remaining: 2000 });
      await expect(stripe.invoices.pay(invoice.id)).rejects.toMatchObject({ statusCode: 400, message: 'Invoice is already paid' });
    });

    it("pay: uses the customer's default payment method; without one it is refused", async () => {
      const { stripe } = harness;
      const { customer, paymentMethod } = await customerWithCard();
      const { invoice } = await draftWithItem(customer.id);
      await expect(stripe.invoices.pay(invoice.id)).rejects.toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError' });
      await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: paymentMethod.id } });
      expect(await stripe.invoices.pay(invoice.id)).toMatchObject({ status: 'paid' });

      const stranger = await stripe.customers.create({});
      const { invoice: other } = await draftWithItem(stranger.id);
      await expect(stripe.invoices.pay(other.id, { payment_method: paymentMethod.id })).rejects.toMatchObject({ statusCode: 400, param: 'payment_method' });
    });

    it('pay: a declined card answers 402 card_declined, counts the attempt and emits invoice.payment_failed; out of band then settles it', async () => {
      const { stripe, emulator } = harness;
      const { customer, paymentMethod } = await customerWithCard('pm_card_chargeCustomerFail');
      const { invoice } = await draftWithItem(customer.id);
      const from = emulator.events().length;
      const error = await stripe.invoices.pay(invoice.id, { payment_method: paymentMethod.id }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(Stripe.errors.StripeCardError);
      expect(error).toMatchObject({ statusCode: 402, code: 'card_declined', decline_code: 'generic_decline' });
      expect(await stripe.invoices.retrieve(invoice.id)).toMatchObject({
        status: 'open',
        attempted: true,
        attempt_count: 1,
        amount_paid: 0,
        next_payment_attempt: null,
      });
      expect(typesAbout(invoice.id, from)).toEqual(['invoice.updated', 'invoice.finalized', 'invoice.updated', 'invoice.payment_failed']);

      const settled = emulator.events().length;
      expect(await stripe.invoices.pay(invoice.id, { paid_out_of_band: true })).toMatchObject({ status: 'paid', amount_paid: 2000, attempt_count: 1 });
      expect(typesAbout(invoice.id, settled)).toEqual(['invoice.updated', 'invoice.paid']);
    });

    it('pay: a card that needs 3D Secure answers 402 and emits invoice.payment_action_required', async () => {
      const { stripe, emulator } = harness;
      const { customer, paymentMethod } = await customerWithCard('pm_card_threeDSecure2Required');
      const { invoice } = await draftWithItem(customer.id);
      await stripe.invoices.finalizeInvoice(invoice.id);
      const from = emulator.events().length;
      const error = await stripe.invoices.pay(invoice.id, { payment_method: paymentMethod.id }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(Stripe.errors.StripeCardError);
      expect(error).toMatchObject({ statusCode: 402, code: 'invoice_payment_intent_requires_action' });
      expect(typesAbout(invoice.id, from)).toEqual(['invoice.updated', 'invoice.payment_action_required']);
      expect(await stripe.invoices.retrieve(invoice.id)).toMatchObject({ status: 'open', attempt_count: 1 });
    });

    it('void and mark_uncollectible move open invoices; drafts and void invoices refuse them', async () => {
      const { stripe, emulator } = harness;
      const customer = await stripe.customers.create({});
      const { invoice: draft } = await draftWithItem(customer.id);
      await expect(stripe.invoices.voidInvoice(draft.id)).rejects.toMatchObject({ statusCode: 400 });
      await expect(stripe.invoices.markUncollectible(draft.id)).rejects.toMatchObject({ statusCode: 400 });

      await stripe.invoices.finalizeInvoice(draft.id);
      let from = emulator.events().length;
      expect(await stripe.invoices.markUncollectible(draft.id)).toMatchObject({
        status: 'uncollectible',
        status_transitions: { marked_uncollectible_at: clock },
      });
      expect(typesAbout(draft.id, from)).toEqual(['invoice.updated', 'invoice.marked_uncollectible']);
      expect(lastEvent('invoice.updated', draft.id).data.previous_attributes).toMatchObject({ status: 'open' });

      from = emulator.events().length;
      expect(await stripe.invoices.voidInvoice(draft.id)).toMatchObject({ status: 'void', status_transitions: { voided_at: clock } });
      expect(typesAbout(draft.id, from)).toEqual(['invoice.updated', 'invoice.voided']);
      await expect(stripe.invoices.voidInvoice(draft.id)).rejects.toMatchObject({ statusCode: 400 });
      await expect(stripe.invoices.pay(draft.id, { paid_out_of_band: true })).rejects.toMatchObject({ statusCode: 400 });
      expect((await stripe.invoices.list({ customer: customer.id, status: 'void' })).data.map((listed) => listed.id)).toEqual([draft.id]);
    });

    it('send: finalizes a send_invoice draft and emits invoice.sent; the due date follows days_until_due', async () => {
      const { stripe, emulator } = harness;
      const customer = await stripe.customers.create({ email: 'bob@example.com' });
      const { invoice } = await draftWithItem(customer.id, 2000, { collection_method: 'send_invoice', days_until_due: 7 });
      expect(invoice.due_date).toBe(clock + 7 * 86400);
      const from = emulator.events().length;
      expect(await stripe.invoices.sendInvoice(invoice.id)).toMatchObject({ status: 'open', collection_method: 'send_invoice' });
      expect(typesAbout(invoice.id, from)).toEqual(['invoice.updated', 'invoice.finalized', 'invoice.sent']);
    });

    it('delete: only a draft; its items become pending again and the invoice is gone', async () => {
      const { stripe, emulator } = harness;
      const customer = await stripe.customers.create({});
      const { item, invoice } = await draftWithItem(customer.id);
      const from = emulator.events().length;
      expect(await stripe.invoices.del(invoice.id)).toEqual(expect.objectContaining({ id: invoice.id, object: 'invoice', deleted: true }));
      expect(typesAbout(invoice.id, from)).toEqual(['invoice.deleted']);
      await expect(stripe.invoices.retrieve(invoice.id)).rejects.toMatchObject({ statusCode: 404, code: 'resource_missing' });
      expect(await stripe.invoiceItems.retrieve(item.id)).toMatchObject({ invoice: null });

      const { invoice: open } = await draftWithItem(customer.id);
      await stripe.invoices.finalizeInvoice(open.id);
      await expect(stripe.invoices.del(open.id)).rejects.toMatchObject({ statusCode: 400 });
    });

    it("inherits the customer's discount unless told otherwise; the total shows it", async () => {
      const { stripe } = harness;
      const coupon = await stripe.coupons.create({ percent_off: 25 });
      const customer = await stripe.customers.create({ coupon: coupon.id } as Stripe.CustomerCreateParams);
      const { invoice } = await draftWithItem(customer.id, 2000);
      expect(invoice.discounts).toEqual([customer.discount!.id]);
      expect(invoice).toMatchObject({
        subtotal: 2000,
        total: 1500,
        amount_due: 1500,
        total_discount_amounts: [{ amount: 500, discount: customer.discount!.id }],
      });
      expect(invoice.lines.data[0]).toMatchObject({ amount: 2000, discount_amounts: [{ amount: 500, discount: customer.discount!.id }] });

      await stripe.invoiceItems.create({ customer: customer.id, amount: 1000, currency: 'usd' });
      const undiscounted = await stripe.invoices.create({ customer: customer.id, pending_invoice_items_behavior: 'include', discounts: '' });
      expect(undiscounted).toMatchObject({ discounts: [], total: 1000, total_discount_amounts: [] });

      const fixedOff = await stripe.coupons.create({ amount_off: 300, currency: 'usd' });
      const withOwn = await stripe.invoices.update(undiscounted.id, { discounts: [{ coupon: fixedOff.id }] });
      expect(withOwn).toMatchObject({ total: 700, total_discount_amounts: [{ amount: 300, discount: withOwn.discounts[0] }] });
      expect(withOwn.discounts).toEqual([expect.stringMatching(/^di_/)]);
      expect(await stripe.coupons.retrieve(fixedOff.id)).toMatchObject({ times_redeemed: 1 });
    });

    it('lists by customer, status and subscription, and pages through lines', async () => {
      const { stripe } = harness;
      const customer = await stripe.customers.create({});
      await stripe.invoiceItems.create({ customer: customer.id, amount: 100, currency: 'usd' });
      await stripe.invoiceItems.create({ customer: customer.id, amount: 200, currency: 'usd' });
      const invoice = await stripe.invoices.create({ customer: customer.id, pending_invoice_items_behavior: 'include' });
      const firstPage = await stripe.invoices.listLineItems(invoice.id, { limit: 1 });
      expect(firstPage).toMatchObject({ has_more: true, url: `/v1/invoices/${invoice.id}/lines` });
      const secondPage = await stripe.invoices.listLineItems(invoice.id, { limit: 1, starting_after: firstPage.data[0]!.id });
      expect([...firstPage.data, ...secondPage.data].map((line) => line.amount)).toEqual([100, 200]);

      expect((await stripe.invoices.list({ customer: customer.id, status: 'draft' })).data.map((listed) => listed.id)).toEqual([invoice.id]);
      expect((await stripe.invoices.list({ customer: customer.id, status: 'open' })).data).toEqual([]);
      const price = (await stripe.prices.list({ lookup_keys: ['stock_photos_monthly'] })).data[0]!;
      const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
      expect((await stripe.invoices.list({ subscription: subscription.id })).data.map((listed) => listed.id)).toEqual([subscription.latest_invoice]);
    });
  });

  describe('with subscriptions', () => {
    it("a subscription's first invoice takes the customer's pending items with it", async () => {
      const { stripe } = harness;
      const customer = await stripe.customers.create({});
      const item = await stripe.invoiceItems.create({ customer: customer.id, amount: 500, currency: 'usd', description: 'Setup fee' });
      const price = (await stripe.prices.list({ lookup_keys: ['stock_photos_monthly'] })).data[0]!;
      const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
      const invoice = await stripe.invoices.retrieve(subscription.latest_invoice as string);
      expect(invoice).toMatchObject({
        status: 'paid',
        total: 2000,
        amount_paid: 2000,
        billing_reason: 'subscription_create',
        parent: { type: 'subscription_details', subscription_details: { subscription: subscription.id } },
      });
      expect(invoice.lines.data.map((line) => line.parent?.type)).toEqual(['subscription_item_details', 'invoice_item_details']);
      expect(await stripe.invoiceItems.retrieve(item.id)).toMatchObject({ invoice: invoice.id });
    });

    it('paying the open first invoice of an incomplete subscription makes it active', async () => {
      const { stripe, emulator } = harness;
      const { customer, paymentMethod } = await customerWithCard();
      const price = (await stripe.prices.list({ lookup_keys: ['stock_photos_monthly'] })).data[0]!;
      const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], payment_behavior: 'default_incomplete' });
      expect(subscription.status).toBe('incomplete');
      const from = emulator.events().length;
      await stripe.invoices.pay(subscription.latest_invoice as string, { payment_method: paymentMethod.id });
      expect(await stripe.subscriptions.retrieve(subscription.id)).toMatchObject({ status: 'active' });
      expect(typesAbout(subscription.id, from)).toEqual(['customer.subscription.updated']);
      expect(lastEvent('customer.subscription.updated', subscription.id).data.previous_attributes).toEqual({ status: 'incomplete' });
    });
  });
});
