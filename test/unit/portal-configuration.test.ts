import { readFileSync } from 'node:fs';
import { DEFAULT_CONFIG_FILE } from '#adapters/config';
import { parseConfig } from '#core/config-validation';
import { type PortalConfigurationSnapshot, portalConfigurationDrift } from '#core/portal-drift';
import { type PortalConfigurationParams, portalConfigurationParams, portalParamsProblems } from '#core/portal-stripe-params';

const example = () => JSON.parse(readFileSync(DEFAULT_CONFIG_FILE, 'utf8'));
const config = parseConfig(example());
const priceIds = new Map([
  ['stock_photos_monthly', 'price_monthly'],
  ['stock_photos_yearly', 'price_yearly'],
  ['stock_photos_pro_monthly', 'price_pro_monthly'],
]);

describe('portal definitions are validated when the configuration loads', () => {
  const elevenProducts = (c: any) => {
    const products = Array.from({ length: 11 }, (_, i) => ({
      id: `prod_extra_${i}`,
      name: `Extra ${i}`,
      prices: [{ lookupKey: `extra_${i}`, unitAmount: 100, currency: 'usd', interval: 'month' }],
    }));
    c.catalog.products.push(...products);
    c.portal.roles.owner.features.subscriptionUpdate.products = products.map((p) => p.id);
  };
  it.each([
    ['more than 10 products offered for updates', elevenProducts, 'at most 10 products'],
    [
      'a product with two monthly USD prices',
      (c: any) => c.catalog.products[0].prices.push({ lookupKey: 'stock_photos_monthly_b', unitAmount: 1200, currency: 'usd', interval: 'month' }),
      'same interval and currency (month/usd)',
    ],
    [
      'an offered product missing from the catalog',
      (c: any) => c.portal.roles.owner.features.subscriptionUpdate.products.push('prod_unknown'),
      'not a catalog product',
    ],
    ['updates enabled without products', (c: any) => (c.portal.roles.owner.features.subscriptionUpdate.products = []), 'offers no products'],
    ['no privacy policy while owners may cancel', (c: any) => delete c.portal.businessProfile.privacyPolicyUrl, 'privacyPolicyUrl'],
    ['no terms while owners may cancel', (c: any) => delete c.portal.businessProfile.termsOfServiceUrl, 'termsOfServiceUrl'],
    ['customer updates without fields', (c: any) => (c.portal.roles.owner.features.customerUpdate.allowedUpdates = []), 'allows no field'],
    ['a headline over 60 characters', (c: any) => (c.portal.businessProfile.headline = 'h'.repeat(61)), '60 characters'],
    [
      'a maximum pause over three years',
      (c: any) => (c.portal.roles.owner.pause.maxDuration = { interval: 'month', count: 37 }),
      'a pause of 37 months is longer than the three years Stripe allows',
    ],
    ['a pause duration of zero', (c: any) => (c.portal.roles.owner.pause.portalDurations = [{ interval: 'week', count: 0 }]), 'portalDurations'],
    ['no portal durations at all', (c: any) => (c.portal.roles.owner.pause.portalDurations = []), 'portalDurations'],
  ])('rejects %s', (_name, mutate, message) => {
    const raw = example();
    mutate(raw);
    expect(() => parseConfig(raw)).toThrow(message);
  });

  it.each([
    ['two prices with the same currency but different intervals (the example)', () => undefined],
    [
      'the same interval in two currencies',
      (c: any) => c.catalog.products[0].prices.push({ lookupKey: 'm_eur', unitAmount: 1400, currency: 'eur', interval: 'month' }),
    ],
    [
      'no privacy/terms when every role only sees invoices',
      (c: any) => {
        delete c.portal.businessProfile.privacyPolicyUrl;
        delete c.portal.businessProfile.termsOfServiceUrl;
        c.portal.roles = { member: c.portal.roles.member };
        c.checkout.roles = []; // the only buying role is gone with the owner
      },
    ],
    [
      'exactly 10 products',
      (c: any) => {
        elevenProducts(c);
        c.portal.roles.owner.features.subscriptionUpdate.products.pop();
      },
    ],
    [
      'pause durations of exactly three years',
      (c: any) =>
        (c.portal.roles.owner.pause = {
          mode: 'subscription',
          maxDuration: { interval: 'year', count: 3 },
          portal: true,
          portalDurations: [
            { interval: 'day', count: 1095 },
            { interval: 'week', count: 156 },
            { interval: 'year', count: 3 },
          ],
        }),
    ],
    [
      'a collection pause for the app only',
      (c: any) => (c.portal.roles.owner.pause = { mode: 'collection', collectionBehavior: 'keep_as_draft', maxDuration: { interval: 'week', count: 2 } }),
    ],
  ])('accepts %s', (_name, mutate) => {
    const raw = example();
    mutate(raw);
    expect(() => parseConfig(raw)).not.toThrow();
  });
});

describe('declarative role -> Stripe configuration parameters', () => {
  it('builds the owner configuration with the catalog prices, return URL and metadata', () => {
    const params = portalConfigurationParams(config, 'owner', priceIds);
    expect(params).toEqual({
      name: 'Lumen Photos — account owners',
      business_profile: {
        headline: 'Lumen Photos: manage your subscription',
        privacy_policy_url: 'https://lumenphotos.example/privacy',
        terms_of_service_url: 'https://lumenphotos.example/terms',
      },
      default_return_url: 'https://links.lumenphotos.example/portal_redirect',
      features: {
        customer_update: { enabled: true, allowed_updates: ['email', 'address', 'tax_id'] },
        invoice_history: { enabled: true },
        payment_method_update: { enabled: true },
        subscription_cancel: {
          enabled: true,
          mode: 'at_period_end',
          proration_behavior: 'none',
          cancellation_reason: { enabled: true, options: ['too_expensive', 'missing_features', 'unused', 'other'] },
        },
        subscription_update: {
          enabled: true,
          default_allowed_updates: ['price'],
          proration_behavior: 'create_prorations',
          products: [
            { product: 'prod_stock_photos', prices: ['price_monthly', 'price_yearly'] },
            { product: 'prod_stock_photos_pro', prices: ['price_pro_monthly'] },
          ],
        },
        subscription_pause: {
          enabled: true,
          duration: {
            type: 'interval_options',
            interval_options: [
              { interval: 'month', interval_count: 1 },
              { interval: 'month', interval_count: 3 },
            ],
          },
        },
      },
      login_page: { enabled: false },
      metadata: { linkout_role: 'owner', linkout_app: 'com.lumenphotos.app' },
    });
    expect(portalParamsProblems(params)).toEqual([]);
  });

  it('builds the member configuration with invoices only', () => {
    const { features } = portalConfigurationParams(config, 'member', priceIds);
    expect(features).toEqual({
      customer_update: { enabled: false },
      invoice_history: { enabled: true },
      payment_method_update: { enabled: false },
      subscription_cancel: { enabled: false },
      subscription_update: { enabled: false },
      subscription_pause: { enabled: false },
    });
  });

  it("maps the role's portal pause onto features.subscription_pause with its preset durations (default: the maximum alone)", () => {
    const raw = example();
    raw.portal.roles.member.pause = { mode: 'subscription', maxDuration: { interval: 'week', count: 2 }, portal: true };
    const pausing = parseConfig(raw);
    const owner = portalConfigurationParams(pausing, 'owner', priceIds);
    expect(owner.features.subscription_pause).toEqual({
      enabled: true,
      duration: {
        type: 'interval_options',
        interval_options: [
          { interval: 'month', interval_count: 1 },
          { interval: 'month', interval_count: 3 },
        ],
      },
    });
    expect(portalParamsProblems(owner)).toEqual([]);
    expect(portalConfigurationParams(pausing, 'member', priceIds).features.subscription_pause).toEqual({
      enabled: true,
      duration: { type: 'interval_options', interval_options: [{ interval: 'week', interval_count: 2 }] },
    });
    // App-only pausing leaves the portal without it.
    raw.portal.roles.member.pause.portal = false;
    expect(portalConfigurationParams(parseConfig(raw), 'member', priceIds).features.subscription_pause).toEqual({ enabled: false });
  });

  it('refuses to build when a catalog price has no Stripe id yet', () => {
    expect(() => portalConfigurationParams(config, 'owner', new Map())).toThrow('stock_photos_monthly');
  });
});

describe('last check before sending to Stripe', () => {
  const owner = () => structuredClone(portalConfigurationParams(config, 'owner', priceIds));
  it.each<[string, (p: PortalConfigurationParams) => void, string]>([
    ['a long headline', (p) => (p.business_profile.headline = 'x'.repeat(61)), 'headline'],
    [
      'a pause over three years',
      (p) =>
        (p.features.subscription_pause = {
          enabled: true,
          duration: { type: 'interval_options', interval_options: [{ interval: 'year', interval_count: 4 }] },
        }),
      'a pause of 4 years; Stripe allows at most three years',
    ],
    [
      'preset pause durations without any',
      (p) => (p.features.subscription_pause = { enabled: true, duration: { type: 'interval_options', interval_options: [] } }),
      'interval_options without any option',
    ],
    [
      '11 products',
      (p) => (p.features.subscription_update.products = Array.from({ length: 11 }, (_, i) => ({ product: `prod_${i}`, prices: ['price_x'] }))),
      '11 products',
    ],
    ['updates without products', (p) => (p.features.subscription_update.products = []), 'without products'],
    ['a product listed twice', (p) => p.features.subscription_update.products!.push({ product: 'prod_stock_photos', prices: ['price_z'] }), 'twice'],
    ['missing terms', (p) => delete p.business_profile.terms_of_service_url, 'terms_of_service_url'],
    ['an http return URL', (p) => (p.default_return_url = 'http://links.example/portal_redirect'), 'not an https URL'],
  ])('flags %s', (_name, mutate, message) => {
    const params = owner();
    mutate(params);
    expect(portalParamsProblems(params).join('\n')).toContain(message);
  });
});

describe('drift between the definition and Stripe', () => {
  const desired = portalConfigurationParams(config, 'owner', priceIds);
  // What Stripe echoes back for the desired parameters, in Stripe's shape (nulls, reordered arrays).
  const stripeCopy = (): PortalConfigurationSnapshot => ({
    id: 'bpc_1',
    active: true,
    name: desired.name,
    business_profile: { ...desired.business_profile },
    default_return_url: desired.default_return_url,
    features: {
      customer_update: { enabled: true, allowed_updates: ['tax_id', 'email', 'address'] },
      invoice_history: { enabled: true },
      payment_method_update: { enabled: true },
      subscription_cancel: {
        ...desired.features.subscription_cancel,
        cancellation_reason: { enabled: true, options: ['other', 'unused', 'missing_features', 'too_expensive'] },
      } as never,
      subscription_update: { ...desired.features.subscription_update, products: [...desired.features.subscription_update.products!].reverse() } as never,
      subscription_pause: {
        enabled: true,
        duration: {
          type: 'interval_options',
          interval_options: [
            { interval: 'month', interval_count: 3 },
            { interval: 'month', interval_count: 1 },
          ],
        },
      },
    },
    login_page: { enabled: false },
    metadata: { ...desired.metadata, unrelated: 'kept' },
  });

  it('finds none when only order and extra metadata differ', () => {
    expect(portalConfigurationDrift(desired, stripeCopy())).toEqual([]);
  });

  it('compares pause durations as a set, and indefinite by type only', () => {
    const pausing = structuredClone(desired);
    pausing.features.subscription_pause = {
      enabled: true,
      duration: {
        type: 'interval_options',
        interval_options: [
          { interval: 'week', interval_count: 2 },
          { interval: 'month', interval_count: 1 },
        ],
      },
    };
    const echoed = stripeCopy();
    echoed.features.subscription_pause = {
      enabled: true,
      duration: {
        type: 'interval_options',
        interval_options: [
          { interval: 'month', interval_count: 1 },
          { interval: 'week', interval_count: 2 },
        ],
      },
    };
    expect(portalConfigurationDrift(pausing, echoed)).toEqual([]);
    echoed.features.subscription_pause.duration!.interval_options = [{ interval: 'month', interval_count: 1 }];
    expect(portalConfigurationDrift(pausing, echoed).map((d) => d.field)).toEqual(['features.subscription_pause.duration']);

    pausing.features.subscription_pause = { enabled: true, duration: { type: 'indefinite' } };
    echoed.features.subscription_pause = { enabled: true, duration: { type: 'indefinite', interval_options: [] } };
    expect(portalConfigurationDrift(pausing, echoed)).toEqual([]);
  });

  it.each<[string, (s: PortalConfigurationSnapshot) => void, string]>([
    ['an inactive configuration', (s) => (s.active = false), 'active'],
    ['a changed headline', (s) => (s.business_profile!.headline = 'Old headline'), 'business_profile.headline'],
    ['cancel disabled in the dashboard', (s) => (s.features.subscription_cancel!.enabled = false), 'features.subscription_cancel.enabled'],
    [
      'a removed price',
      (s) => (s.features.subscription_update!.products = [{ product: 'prod_stock_photos', prices: ['price_monthly'] }]),
      'features.subscription_update.products',
    ],
    ['another return URL', (s) => (s.default_return_url = 'https://elsewhere.example/'), 'default_return_url'],
    ['pausing disabled in the dashboard', (s) => (s.features.subscription_pause!.enabled = false), 'features.subscription_pause.enabled'],
  ])('reports %s', (_name, mutate, field) => {
    const snapshot = stripeCopy();
    mutate(snapshot);
    expect(portalConfigurationDrift(desired, snapshot).map((d) => d.field)).toEqual([field]);
  });
});
