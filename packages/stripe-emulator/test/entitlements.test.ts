import Stripe from 'stripe';
import { useStripeEmulator } from './harness';

const SUMMARY_UPDATED = 'entitlements.active_entitlement_summary.updated';

describe('Stripe emulator: entitlements', () => {
  const harness = useStripeEmulator();
  const prices: Record<string, string> = {};

  beforeAll(async () => {
    const listed = await harness.stripe.prices.list({ lookup_keys: ['stock_photos_monthly', 'stock_photos_pro_monthly'] });
    for (const price of listed.data) prices[price.lookup_key!] = price.id;
  });

  describe('features and product features', () => {
    it('creates, retrieves, updates and lists features; a lookup_key is unique', async () => {
      const { stripe } = harness;
      const feature = await stripe.entitlements.features.create({ lookup_key: 'hd_downloads', name: 'HD downloads', metadata: { tier: 'basic' } });
      expect(feature).toEqual({
        id: expect.stringMatching(/^feat_/),
        object: 'entitlements.feature',
        active: true,
        livemode: false,
        lookup_key: 'hd_downloads',
        metadata: { tier: 'basic' },
        name: 'HD downloads',
      });
      expect(await stripe.entitlements.features.retrieve(feature.id)).toEqual(feature);
      const duplicate = await stripe.entitlements.features.create({ lookup_key: 'hd_downloads', name: 'Again' }).catch((caught: unknown) => caught);
      expect(duplicate).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(duplicate).toMatchObject({ statusCode: 400, param: 'lookup_key' });
      await expect(stripe.entitlements.features.create({ lookup_key: 'x'.repeat(81), name: 'Long' })).rejects.toMatchObject({ param: 'lookup_key' });
      await expect(stripe.entitlements.features.create({ name: 'No key' } as Stripe.Entitlements.FeatureCreateParams)).rejects.toMatchObject({
        code: 'parameter_missing',
        param: 'lookup_key',
      });

      const renamed = await stripe.entitlements.features.update(feature.id, { name: 'Full-HD downloads', metadata: { tier: '' } });
      expect(renamed).toMatchObject({ name: 'Full-HD downloads', metadata: {} });

      const retired = await stripe.entitlements.features.create({ lookup_key: 'legacy_export', name: 'Legacy export' });
      await stripe.entitlements.features.update(retired.id, { active: false });
      await expect(stripe.entitlements.features.update(retired.id, { active: true })).rejects.toMatchObject({ statusCode: 400, param: 'active' });
      const listed = (await stripe.entitlements.features.list({ limit: 100 })).data.map((candidate) => candidate.id);
      expect(listed).toContain(feature.id);
      expect(listed).not.toContain(retired.id);
      expect((await stripe.entitlements.features.list({ archived: true })).data.map((candidate) => candidate.id)).toEqual([retired.id]);
      expect((await stripe.entitlements.features.list({ lookup_key: 'hd_downloads' })).data.map((candidate) => candidate.id)).toEqual([feature.id]);
      await expect(stripe.entitlements.features.retrieve('feat_missing')).rejects.toMatchObject({ statusCode: 404, code: 'resource_missing' });
    });

    it('attaches, lists, retrieves and detaches product features', async () => {
      const { stripe } = harness;
      const feature = await stripe.entitlements.features.create({ lookup_key: 'color_grading', name: 'Color grading' });
      const attached = await stripe.products.createFeature('prod_stock_photos_pro', { entitlement_feature: feature.id });
      expect(attached).toEqual({ id: expect.stringMatching(/^prodft_/), object: 'product_feature', entitlement_feature: feature, livemode: false });
      expect((await stripe.products.listFeatures('prod_stock_photos_pro')).data.map((candidate) => candidate.id)).toContain(attached.id);
      expect((await stripe.products.listFeatures('prod_stock_photos')).data.map((candidate) => candidate.id)).not.toContain(attached.id);
      expect(await stripe.products.retrieveFeature('prod_stock_photos_pro', attached.id)).toEqual(attached);
      await expect(stripe.products.retrieveFeature('prod_stock_photos', attached.id)).rejects.toMatchObject({ statusCode: 404 });

      await stripe.entitlements.features.update(feature.id, { name: 'Colour grading' });
      expect((await stripe.products.retrieveFeature('prod_stock_photos_pro', attached.id)).entitlement_feature.name).toBe('Colour grading');

      await expect(stripe.products.createFeature('prod_stock_photos_pro', { entitlement_feature: feature.id })).rejects.toMatchObject({
        statusCode: 400,
        param: 'entitlement_feature',
      });
      await expect(stripe.products.createFeature('prod_stock_photos_pro', { entitlement_feature: 'feat_missing' })).rejects.toMatchObject({
        code: 'resource_missing',
        param: 'entitlement_feature',
      });
      await expect(stripe.products.createFeature('prod_missing', { entitlement_feature: feature.id })).rejects.toMatchObject({ statusCode: 404 });
      const retired = await stripe.entitlements.features.create({ lookup_key: 'retired_feature', name: 'Retired' });
      await stripe.entitlements.features.update(retired.id, { active: false });
      await expect(stripe.products.createFeature('prod_stock_photos_pro', { entitlement_feature: retired.id })).rejects.toMatchObject({
        param: 'entitlement_feature',
      });

      expect(await stripe.products.deleteFeature('prod_stock_photos_pro', attached.id)).toEqual({ id: attached.id, object: 'product_feature', deleted: true });
      await expect(stripe.products.retrieveFeature('prod_stock_photos_pro', attached.id)).rejects.toMatchObject({ statusCode: 404 });
      expect((await stripe.products.listFeatures('prod_stock_photos_pro')).data.map((candidate) => candidate.id)).not.toContain(attached.id);
    });
  });

  describe('active entitlements follow subscriptions', () => {
    let library: Stripe.Entitlements.Feature;
    let originals: Stripe.Entitlements.Feature;

    beforeAll(async () => {
      const { stripe } = harness;
      library = await stripe.entitlements.features.create({ lookup_key: 'photo_library', name: 'Photo library' });
      originals = await stripe.entitlements.features.create({ lookup_key: 'originals_4k', name: '4K originals' });
      await stripe.products.createFeature('prod_stock_photos', { entitlement_feature: library.id });
      await stripe.products.createFeature('prod_stock_photos_pro', { entitlement_feature: library.id });
      await stripe.products.createFeature('prod_stock_photos_pro', { entitlement_feature: originals.id });
    });

    function summariesOf(customer: string): Stripe.Event[] {
      return harness.emulator.events().filter((event) => event.type === SUMMARY_UPDATED && (event.data.object as { customer: string }).customer === customer);
    }

    const keysOf = (event: Stripe.Event) =>
      (event.data.object as Stripe.Entitlements.ActiveEntitlementSummary).entitlements.data.map((entitlement) => entitlement.lookup_key);
    const activeKeys = async (customer: string) =>
      (await harness.stripe.entitlements.activeEntitlements.list({ customer })).data.map((entitlement) => entitlement.lookup_key).sort();

    it('a subscription grants its product’s features; changes emit one summary each, with previous_attributes', async () => {
      const { stripe } = harness;
      const customer = await stripe.customers.create({ email: 'entitled@example.com' });
      expect(await activeKeys(customer.id)).toEqual([]);
      const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: prices.stock_photos_monthly! }] });
      const [created] = summariesOf(customer.id);
      expect(summariesOf(customer.id)).toHaveLength(1);
      expect(created!.data.object).toEqual({
        object: 'entitlements.active_entitlement_summary',
        customer: customer.id,
        livemode: false,
        entitlements: {
          object: 'list',
          data: [
            {
              id: expect.stringMatching(/^ent_/),
              object: 'entitlements.active_entitlement',
              feature: library.id,
              livemode: false,
              lookup_key: 'photo_library',
            },
          ],
          has_more: false,
          url: expect.any(String),
        },
      });
      expect(created!.data.previous_attributes).toMatchObject({ entitlements: { data: [] } });
      const events = harness.emulator.events().map((event) => event.type);
      expect(events.lastIndexOf(SUMMARY_UPDATED)).toBeGreaterThan(events.lastIndexOf('customer.subscription.created'));

      const [entitlement] = (await stripe.entitlements.activeEntitlements.list({ customer: customer.id })).data;
      expect(await stripe.entitlements.activeEntitlements.retrieve(entitlement!.id)).toEqual(entitlement);

      await stripe.subscriptions.update(subscription.id, { items: [{ id: subscription.items.data[0]!.id, price: prices.stock_photos_pro_monthly! }] });
      const upgraded = summariesOf(customer.id)[1]!;
      expect(keysOf(upgraded)).toEqual(['photo_library', 'originals_4k']);
      expect(
        (upgraded.data.previous_attributes as { entitlements: Stripe.ApiList<Stripe.Entitlements.ActiveEntitlement> }).entitlements.data.map(
          (e) => e.lookup_key,
        ),
      ).toEqual(['photo_library']);
      // An entitlement that stays keeps its id.
      expect((upgraded.data.object as Stripe.Entitlements.ActiveEntitlementSummary).entitlements.data[0]!.id).toBe(entitlement!.id);
      expect(await activeKeys(customer.id)).toEqual(['originals_4k', 'photo_library']);

      await stripe.subscriptions.update(subscription.id, { metadata: { note: 'no change in access' } });
      expect(summariesOf(customer.id)).toHaveLength(2);

      await stripe.subscriptions.cancel(subscription.id);
      expect(summariesOf(customer.id)).toHaveLength(3);
      expect(keysOf(summariesOf(customer.id)[2]!)).toEqual([]);
      expect(await activeKeys(customer.id)).toEqual([]);
      await expect(stripe.entitlements.activeEntitlements.retrieve(entitlement!.id)).rejects.toMatchObject({ statusCode: 404 });
    });

    it('pausing removes the entitlements and resuming restores them', async () => {
      const { stripe } = harness;
      const customer = await stripe.customers.create({});
      const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: prices.stock_photos_pro_monthly! }] });
      await stripe.subscriptions.pause(subscription.id);
      expect(keysOf(summariesOf(customer.id).at(-1)!)).toEqual([]);
      expect(await activeKeys(customer.id)).toEqual([]);
      await stripe.subscriptions.resume(subscription.id);
      expect(summariesOf(customer.id)).toHaveLength(3);
      expect(await activeKeys(customer.id)).toEqual(['originals_4k', 'photo_library']);
    });

    it('trialing and past_due grant; an incomplete subscription does not; a feature granted twice stays until both end', async () => {
      const { stripe, emulator } = harness;
      const customer = await stripe.customers.create({});
      await stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: prices.stock_photos_pro_monthly! }],
        payment_behavior: 'default_incomplete',
      });
      expect(summariesOf(customer.id)).toHaveLength(0);

      const trial = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: prices.stock_photos_monthly! }], trial_period_days: 14 });
      expect(trial.status).toBe('trialing');
      expect(await activeKeys(customer.id)).toEqual(['photo_library']);

      const pro = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: prices.stock_photos_pro_monthly! }] });
      expect(await fetch(`${emulator.url}/_emulator/subscriptions/${pro.id}/payment_failed`, { method: 'POST' }).then((response) => response.status)).toBe(200);
      expect((await stripe.subscriptions.retrieve(pro.id)).status).toBe('past_due');
      expect(await activeKeys(customer.id)).toEqual(['originals_4k', 'photo_library']);

      const count = summariesOf(customer.id).length;
      await stripe.subscriptions.cancel(trial.id);
      expect(summariesOf(customer.id)).toHaveLength(count);
      await stripe.subscriptions.cancel(pro.id);
      expect(keysOf(summariesOf(customer.id).at(-1)!)).toEqual([]);
    });

    it('lists active entitlements of one existing customer only', async () => {
      await expect(harness.stripe.entitlements.activeEntitlements.list({} as Stripe.Entitlements.ActiveEntitlementListParams)).rejects.toMatchObject({
        code: 'parameter_missing',
        param: 'customer',
      });
      await expect(harness.stripe.entitlements.activeEntitlements.list({ customer: 'cus_missing' })).rejects.toMatchObject({
        code: 'resource_missing',
        param: 'customer',
      });
      await expect(harness.stripe.entitlements.activeEntitlements.retrieve('ent_missing')).rejects.toMatchObject({ statusCode: 404 });
    });
  });
});
