import Stripe from 'stripe';
import { useStripeEmulator } from './harness';

describe('Stripe emulator: products, prices and plans', () => {
  const clock = 1_800_000_000;
  const harness = useStripeEmulator({ now: () => clock });

  /** Events about this object (by id), oldest first. */
  function eventsFor(id: string): Stripe.Event[] {
    return harness.emulator.events().filter((event) => (event.data.object as { id?: string }).id === id);
  }

  async function rejection(promise: Promise<unknown>): Promise<Stripe.errors.StripeError> {
    const error = await promise.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(Stripe.errors.StripeError);
    return error as Stripe.errors.StripeError;
  }

  describe('products', () => {
    it('creates a product with every writable field and the shape of Stripe.Product', async () => {
      const product = await harness.stripe.products.create({
        name: 'Photo Books',
        description: 'Printed albums',
        images: ['https://example.com/book.png'],
        marketing_features: [{ name: 'Hardcover' }],
        package_dimensions: { height: 1.5, length: 12, weight: 30, width: 9 },
        shippable: true,
        statement_descriptor: 'LUMEN BOOKS',
        tax_details: { tax_code: 'txcd_99999999' },
        type: 'good',
        unit_label: 'book',
        url: 'https://example.com/books',
        metadata: { line: 'print' },
      });
      expect(product).toEqual({
        id: expect.stringMatching(/^prod_[A-Za-z0-9]{14}$/),
        object: 'product',
        active: true,
        created: clock,
        default_price: null,
        description: 'Printed albums',
        images: ['https://example.com/book.png'],
        livemode: false,
        marketing_features: [{ name: 'Hardcover' }],
        metadata: { line: 'print' },
        name: 'Photo Books',
        package_dimensions: { height: 1.5, length: 12, weight: 30, width: 9 },
        shippable: true,
        statement_descriptor: 'LUMEN BOOKS',
        tax_code: null,
        tax_details: { performance_location: null, tax_code: 'txcd_99999999' },
        type: 'good',
        unit_label: 'book',
        updated: clock,
        url: 'https://example.com/books',
      });
      expect(eventsFor(product.id).map((event) => event.type)).toEqual(['product.created']);
    });

    it('keeps caller-chosen ids unique', async () => {
      await harness.stripe.products.create({ id: 'prod_unique_books', name: 'Books' });
      const error = await rejection(harness.stripe.products.create({ id: 'prod_unique_books', name: 'Books again' }));
      expect(error).toMatchObject({ statusCode: 400, code: 'resource_already_exists', param: 'id' });
    });

    it('creates the default price from default_price_data, product event first', async () => {
      const product = await harness.stripe.products.create(
        { name: 'Cloud Backup', default_price_data: { currency: 'USD', unit_amount: 299, recurring: { interval: 'month' } } },
        undefined,
      );
      const price = await harness.stripe.prices.retrieve(product.default_price as string);
      expect(price).toMatchObject({
        product: product.id,
        currency: 'usd',
        unit_amount: 299,
        type: 'recurring',
        recurring: { interval: 'month', interval_count: 1, usage_type: 'licensed' },
      });
      const expanded = await harness.stripe.products.retrieve(product.id, { expand: ['default_price'] });
      expect((expanded.default_price as Stripe.Price).id).toBe(price.id);
      const types = harness.emulator
        .events()
        .filter((event) => [product.id, price.id].includes((event.data.object as { id: string }).id))
        .map((event) => event.type);
      expect(types).toEqual(['product.created', 'price.created']);
    });

    it('leaves nothing behind when default_price_data is refused', async () => {
      const before = (await harness.stripe.products.list({ limit: 100 })).data.length;
      const error = await rejection(
        harness.stripe.products.create({
          name: 'Broken',
          default_price_data: { currency: 'usd', unit_amount: 100, recurring: { interval: 'fortnight' as 'week' } },
        }),
      );
      expect(error).toMatchObject({ statusCode: 400, param: 'default_price_data[recurring][interval]' });
      expect((await harness.stripe.products.list({ limit: 100 })).data).toHaveLength(before);
    });

    it('updates fields, clears with empty values, and reports previous attributes', async () => {
      const product = await harness.stripe.products.create({ name: 'Prints', description: 'Glossy', metadata: { a: '1', b: '2' } });
      const updated = await harness.stripe.products.update(product.id, { name: 'Fine Prints', description: '', metadata: { b: '', c: '3' }, active: false });
      expect(updated).toMatchObject({ name: 'Fine Prints', description: null, metadata: { a: '1', c: '3' }, active: false });

      const refused = await rejection(harness.stripe.products.update(product.id, { description: 'half-applied?', name: '' }));
      expect(refused).toMatchObject({ code: 'parameter_missing', param: 'name' });
      const unchanged = await harness.stripe.products.update(product.id, { name: 'Fine Prints' });
      expect(unchanged.description).toBeNull();
      expect(unchanged.name).toBe('Fine Prints');
      const events = eventsFor(product.id);
      expect(events.map((event) => event.type)).toEqual(['product.created', 'product.updated']);
      expect(events[1]!.data.previous_attributes).toEqual({
        name: 'Prints',
        description: 'Glossy',
        metadata: { a: '1', b: '2' },
        active: true,
        updated: clock,
      });
      expect((await harness.stripe.products.list({ active: false, ids: [product.id] })).data.map((listed) => listed.id)).toEqual([product.id]);
      expect((await harness.stripe.products.list({ active: true, ids: [product.id] })).data).toEqual([]);
    });

    it('sets the default price only to an active price of the same product', async () => {
      const product = await harness.stripe.products.create({ name: 'Albums' });
      const other = await harness.stripe.products.create({ name: 'Other' });
      const own = await harness.stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 900 });
      const foreign = await harness.stripe.prices.create({ product: other.id, currency: 'usd', unit_amount: 900 });

      expect(await rejection(harness.stripe.products.update(product.id, { default_price: foreign.id }))).toMatchObject({
        statusCode: 400,
        param: 'default_price',
      });
      expect(await rejection(harness.stripe.products.update(product.id, { default_price: 'price_missing' }))).toMatchObject({
        statusCode: 400,
        code: 'resource_missing',
        param: 'default_price',
      });
      expect((await harness.stripe.products.update(product.id, { default_price: own.id })).default_price).toBe(own.id);
    });

    it('refuses to delete a product with prices, deletes one without', async () => {
      const withPrice = await harness.stripe.products.create({ name: 'Priced' });
      await harness.stripe.prices.create({ product: withPrice.id, currency: 'usd', unit_amount: 100 });
      const refused = await rejection(harness.stripe.products.del(withPrice.id));
      expect(refused).toMatchObject({
        statusCode: 400,
        type: 'StripeInvalidRequestError',
        message: 'This product cannot be deleted because it has one or more user-created prices.',
      });
      expect((await harness.stripe.products.retrieve(withPrice.id)).id).toBe(withPrice.id);

      const bare = await harness.stripe.products.create({ name: 'Bare' });
      expect(await harness.stripe.products.del(bare.id)).toEqual({ id: bare.id, object: 'product', deleted: true });
      expect(await rejection(harness.stripe.products.retrieve(bare.id))).toMatchObject({ statusCode: 404, code: 'resource_missing' });
      expect(eventsFor(bare.id).map((event) => event.type)).toEqual(['product.created', 'product.deleted']);
      expect((eventsFor(bare.id)[1]!.data.object as Stripe.Product).name).toBe('Bare');
      expect(await rejection(harness.stripe.products.create({ id: bare.id, name: 'Reborn' }))).toMatchObject({ code: 'resource_already_exists' });
    });

    it('refuses a seeded catalog product with prices too', async () => {
      expect(await rejection(harness.stripe.products.del('prod_stock_photos'))).toMatchObject({ statusCode: 400 });
    });
  });

  describe('prices', () => {
    it('creates a price with an inline product and recurring details', async () => {
      const price = await harness.stripe.prices.create({
        currency: 'eur',
        unit_amount: 1200,
        nickname: 'Quarterly',
        tax_behavior: 'exclusive',
        recurring: { interval: 'month', interval_count: 3, trial_period_days: 14 },
        product_data: { name: 'Inline Product', unit_label: 'seat', metadata: { source: 'inline' } },
      });
      expect(price).toEqual({
        id: expect.stringMatching(/^price_/),
        object: 'price',
        active: true,
        billing_scheme: 'per_unit',
        created: clock,
        currency: 'eur',
        custom_unit_amount: null,
        livemode: false,
        lookup_key: null,
        metadata: {},
        nickname: 'Quarterly',
        product: expect.stringMatching(/^prod_/),
        recurring: { interval: 'month', interval_count: 3, meter: null, trial_period_days: 14, usage_type: 'licensed' },
        tax_behavior: 'exclusive',
        tiers_mode: null,
        transform_quantity: null,
        type: 'recurring',
        unit_amount: 1200,
        // stripe-node turns decimal strings into its Decimal type.
        unit_amount_decimal: expect.anything(),
      });
      expect(String(price.unit_amount_decimal)).toBe('1200');
      const product = await harness.stripe.products.retrieve(price.product as string);
      expect(product).toMatchObject({ name: 'Inline Product', unit_label: 'seat', metadata: { source: 'inline' } });
      expect(eventsFor(product.id).map((event) => event.type)).toEqual(['product.created']);
      expect(eventsFor(price.id).map((event) => event.type)).toEqual(['price.created']);
    });

    it.each([
      [{ currency: 'usd', unit_amount: 100, product: 'prod_stock_photos', recurring: { interval: 'month', interval_count: 37 } }, 'recurring[interval_count]'],
      [{ currency: 'usd', unit_amount: 100, product: 'prod_stock_photos', billing_scheme: 'tiered' }, 'billing_scheme'],
      [{ currency: 'usd', unit_amount: 100, product: 'prod_stock_photos', tiers: [{ up_to: 'inf', unit_amount: 1 }] }, 'tiers'],
      [{ currency: 'usd', unit_amount: -1, product: 'prod_stock_photos' }, 'unit_amount'],
      [{ currency: 'usd', unit_amount: 100 }, 'product'],
      [{ currency: 'usd', unit_amount: 100, product: 'prod_missing' }, 'product'],
      [{ currency: 'usd', unit_amount: 100, product_data: { unit_label: 'seat' } }, 'product_data[name]'],
    ] as Array<[Record<string, unknown>, string]>)('refuses %j naming %s', async (params, param) => {
      const error = await rejection(harness.stripe.prices.create(params as unknown as Stripe.PriceCreateParams));
      expect(error).toMatchObject({ statusCode: 400, param });
    });

    it('refuses product together with product_data', async () => {
      const error = await rejection(
        harness.stripe.prices.create({ currency: 'usd', unit_amount: 1, product: 'prod_stock_photos', product_data: { name: 'x' } }),
      );
      expect(error.message).toBe('You may only specify one of these parameters: product, product_data.');
    });

    it('updates nickname, metadata and active with previous attributes', async () => {
      const price = await harness.stripe.prices.create({ product: 'prod_stock_photos', currency: 'usd', unit_amount: 100, metadata: { a: '1' } });
      const updated = await harness.stripe.prices.update(price.id, { nickname: 'Legacy', metadata: { b: '2' }, active: false });
      expect(updated).toMatchObject({ nickname: 'Legacy', metadata: { a: '1', b: '2' }, active: false, unit_amount: 100 });
      const events = eventsFor(price.id);
      expect(events.map((event) => event.type)).toEqual(['price.created', 'price.updated']);
      expect(events[1]!.data.previous_attributes).toEqual({ nickname: null, metadata: { a: '1' }, active: true });
      expect((await harness.stripe.prices.list({ product: 'prod_stock_photos', active: false })).data.map((listed) => listed.id)).toContain(price.id);
    });

    it('moves a lookup key on update only with transfer_lookup_key', async () => {
      const first = await harness.stripe.prices.create({ product: 'prod_stock_photos', currency: 'usd', unit_amount: 100, lookup_key: 'moving_key' });
      const second = await harness.stripe.prices.create({ product: 'prod_stock_photos', currency: 'usd', unit_amount: 200 });
      const error = await rejection(harness.stripe.prices.update(second.id, { lookup_key: 'moving_key', nickname: 'should not stick' }));
      expect(error).toMatchObject({ code: 'resource_already_exists', param: 'lookup_key' });
      expect((await harness.stripe.prices.retrieve(second.id)).nickname).toBeNull();

      await harness.stripe.prices.update(second.id, { lookup_key: 'moving_key', transfer_lookup_key: true });
      expect((await harness.stripe.prices.list({ lookup_keys: ['moving_key'] })).data.map((price) => price.id)).toEqual([second.id]);
      expect(eventsFor(first.id).at(-1)).toMatchObject({ type: 'price.updated', data: { previous_attributes: { lookup_key: 'moving_key' } } });
    });

    it('refuses to archive the default price of its product', async () => {
      const product = await harness.stripe.products.create({ name: 'Defaulted', default_price_data: { currency: 'usd', unit_amount: 500 } });
      const error = await rejection(harness.stripe.prices.update(product.default_price as string, { active: false }));
      expect(error).toMatchObject({ statusCode: 400, param: 'active' });
      expect((await harness.stripe.prices.retrieve(product.default_price as string)).active).toBe(true);
    });

    it('locks tax_behavior once it is inclusive or exclusive', async () => {
      const price = await harness.stripe.prices.create({ product: 'prod_stock_photos', currency: 'usd', unit_amount: 100 });
      expect((await harness.stripe.prices.update(price.id, { tax_behavior: 'inclusive' })).tax_behavior).toBe('inclusive');
      expect(await rejection(harness.stripe.prices.update(price.id, { tax_behavior: 'exclusive' }))).toMatchObject({ param: 'tax_behavior' });
    });

    it('refuses parameters prices cannot change', async () => {
      const error = await rejection(harness.stripe.prices.update('price_x', { unit_amount: 5 } as Stripe.PriceUpdateParams));
      expect(error).toMatchObject({ code: 'parameter_unknown', param: 'unit_amount' });
    });
  });

  describe('plans', () => {
    it('creates a plan with an inline product: a recurring price under the same id', async () => {
      const plan = await harness.stripe.plans.create({
        currency: 'usd',
        interval: 'month',
        amount: 2000,
        product: { name: 'Plan Product' },
        trial_period_days: 7,
        nickname: 'Monthly',
      });
      expect(plan).toEqual({
        id: expect.stringMatching(/^price_/),
        object: 'plan',
        active: true,
        amount: 2000,
        amount_decimal: expect.anything(),
        billing_scheme: 'per_unit',
        created: clock,
        currency: 'usd',
        interval: 'month',
        interval_count: 1,
        livemode: false,
        metadata: {},
        meter: null,
        nickname: 'Monthly',
        product: expect.stringMatching(/^prod_/),
        tiers_mode: null,
        transform_usage: null,
        trial_period_days: 7,
        usage_type: 'licensed',
      });
      expect(String(plan.amount_decimal)).toBe('2000');
      const price = await harness.stripe.prices.retrieve(plan.id);
      expect(price).toMatchObject({ type: 'recurring', unit_amount: 2000, product: plan.product, recurring: { trial_period_days: 7 } });
      expect(eventsFor(plan.id).map((event) => event.type)).toEqual(['plan.created', 'price.created']);
      expect(eventsFor(plan.product as string).map((event) => event.type)).toEqual(['product.created']);
      expect((await harness.stripe.plans.retrieve(plan.id, { expand: ['product'] })).product).toMatchObject({ name: 'Plan Product' });
      expect((await harness.stripe.plans.list({ product: plan.product as string })).data.map((listed) => listed.id)).toEqual([plan.id]);
    });

    it('takes a caller-chosen id and an existing product', async () => {
      const plan = await harness.stripe.plans.create({ id: 'gold_yearly', currency: 'usd', interval: 'year', amount: 9900, product: 'prod_stock_photos_pro' });
      expect(plan).toMatchObject({ id: 'gold_yearly', product: 'prod_stock_photos_pro', interval: 'year' });
      expect(
        await rejection(harness.stripe.plans.create({ id: 'gold_yearly', currency: 'usd', interval: 'year', amount: 1, product: 'prod_stock_photos_pro' })),
      ).toMatchObject({
        code: 'resource_already_exists',
      });
      expect(await rejection(harness.stripe.plans.create({ currency: 'usd', interval: 'year', amount: 1, product: 'prod_nope' }))).toMatchObject({
        code: 'resource_missing',
        param: 'product',
      });
    });

    it('lists the seeded recurring prices as plans, and a one-time price is no plan', async () => {
      const plans = await harness.stripe.plans.list({ product: 'prod_stock_photos', limit: 100 });
      const seeded = (await harness.stripe.prices.list({ lookup_keys: ['stock_photos_monthly'] })).data[0]!;
      expect(plans.data.map((plan) => plan.id)).toContain(seeded.id);
      const oneTime = await harness.stripe.prices.create({ product: 'prod_stock_photos', currency: 'usd', unit_amount: 100 });
      expect(plans.data.map((plan) => plan.id)).not.toContain(oneTime.id);
      expect(await rejection(harness.stripe.plans.retrieve(oneTime.id))).toMatchObject({ statusCode: 404, message: `No such plan: '${oneTime.id}'` });
    });

    it('updates a plan: both plan.updated and price.updated, each with its own previous attributes', async () => {
      const plan = await harness.stripe.plans.create({ currency: 'usd', interval: 'week', amount: 300, product: { name: 'Weekly' } });
      const updated = await harness.stripe.plans.update(plan.id, { metadata: { foo: 'bar' }, trial_period_days: 3 });
      expect(updated).toMatchObject({ metadata: { foo: 'bar' }, trial_period_days: 3 });
      const [, , planUpdated, priceUpdated] = eventsFor(plan.id);
      expect(planUpdated).toMatchObject({ type: 'plan.updated', data: { previous_attributes: { metadata: {}, trial_period_days: null } } });
      expect(priceUpdated).toMatchObject({ type: 'price.updated', data: { previous_attributes: { metadata: {}, recurring: { trial_period_days: null } } } });
    });

    it('keeps the product of a plan in use by a subscription', async () => {
      const plan = await harness.stripe.plans.create({ currency: 'usd', interval: 'month', amount: 500, product: { name: 'Used' } });
      const customer = await harness.stripe.customers.create({ email: 'plan@example.com' });
      await harness.stripe.subscriptions.create({ customer: customer.id, items: [{ price: plan.id }] });
      const error = await rejection(harness.stripe.plans.update(plan.id, { product: 'prod_stock_photos_pro' }));
      expect(error).toMatchObject({ statusCode: 400, param: 'product' });
    });

    it('deletes a plan and its price; then its product can go too', async () => {
      const plan = await harness.stripe.plans.create({ currency: 'usd', interval: 'month', amount: 700, product: { name: 'Short-lived' } });
      expect(await harness.stripe.plans.del(plan.id)).toEqual({ id: plan.id, object: 'plan', deleted: true });
      expect(eventsFor(plan.id).map((event) => event.type)).toEqual(['plan.created', 'price.created', 'plan.deleted', 'price.deleted']);
      expect(await rejection(harness.stripe.plans.retrieve(plan.id))).toMatchObject({ statusCode: 404 });
      expect(await rejection(harness.stripe.prices.retrieve(plan.id))).toMatchObject({ statusCode: 404 });
      expect(await harness.stripe.products.del(plan.product as string)).toMatchObject({ deleted: true });
    });
  });
});
