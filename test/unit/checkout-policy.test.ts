import { readFileSync } from 'node:fs';
import { DEFAULT_CONFIG_FILE } from '#adapters/config';
import { amazonPayReturnUrl, assertMayPurchase, catalogLookupKeys, catalogPriceId, checkoutUrls, parseCheckoutSessionRequest } from '#core/checkout-policy';
import { parseConfig } from '#core/config-validation';
import { AppError } from '#core/errors';

const raw = JSON.parse(readFileSync(DEFAULT_CONFIG_FILE, 'utf8'));
const config = parseConfig(raw);

function appError(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected an AppError');
}

describe('who may buy (deny by default)', () => {
  it.each([
    ['owner', true],
    ['member', false],
    ['admin', false],
    ['OWNER', false],
    [undefined, false],
    ['', false],
    ['__proto__', false],
  ])('role claim %p may buy: %s', (claim, allowed) => {
    const check = () => assertMayPurchase(config, claim as string | undefined);
    if (allowed) expect(check).not.toThrow();
    else expect([appError(check).kind, appError(check).code]).toEqual(['forbidden', 'purchase_not_allowed']);
  });

  it('nobody may buy when the configuration names no checkout roles', () => {
    const closed = parseConfig({ ...raw, checkout: undefined });
    expect(closed.checkout).toEqual({ roles: [], returnPaths: ['/checkout_redirect'] });
    expect(appError(() => assertMayPurchase(closed, 'owner')).code).toBe('purchase_not_allowed');
  });

  it('an unknown role claim gets the least privileged role, so listing that role opens buying to everyone', () => {
    const open = parseConfig({ ...raw, checkout: { roles: ['member'] } });
    expect(() => assertMayPurchase(open, 'billing_admin')).not.toThrow();
    expect(() => assertMayPurchase(open, undefined)).not.toThrow();
    expect(appError(() => assertMayPurchase(open, 'owner')).code).toBe('purchase_not_allowed');
  });

  it('refuses a checkout role that is not a portal role (a typo would deny everyone silently)', () => {
    expect(() => parseConfig({ ...raw, checkout: { roles: ['owners'] } })).toThrow(/"owners" is not one of the portal roles[\s\S]*at checkout\.roles\[0\]/);
  });
});

describe('the catalog', () => {
  const resolved = new Map([
    ['stock_photos_monthly', 'price_monthly'],
    ['stock_photos_yearly', 'price_yearly'],
  ]);

  it('lists every configured lookup key', () => {
    expect(catalogLookupKeys(config.catalog)).toEqual(['stock_photos_monthly', 'stock_photos_yearly', 'stock_photos_pro_monthly']);
  });

  it.each([
    ['a catalog price id', 'price_yearly', 'price_yearly'],
    ['a catalog lookup key', 'stock_photos_monthly', 'price_monthly'],
    ['a price id outside the catalog', 'price_elsewhere', undefined],
    ['an unknown lookup key', 'stock_photos_lifetime', undefined],
    ['a lookup key not resolved in Stripe', 'stock_photos_pro_monthly', undefined],
    ['an object property name', 'constructor', undefined],
  ])('%s', (_name, requested, expected) => {
    expect(catalogPriceId(requested, resolved)).toBe(expected);
  });
});

describe('the request body', () => {
  it.each([
    ['a price id', '{"priceId":"price_1"}', { priceId: 'price_1' }],
    [
      'a lookup key and return path',
      '{"priceId":"stock_photos_monthly","returnPath":"/checkout_redirect"}',
      { priceId: 'stock_photos_monthly', returnPath: '/checkout_redirect' },
    ],
  ])('accepts %s', (_name, body, expected) => {
    expect(parseCheckoutSessionRequest(body)).toEqual(expected);
  });

  it.each([
    ['no body', undefined, 'invalid_json'],
    ['an empty body', '', 'invalid_json'],
    ['malformed JSON', '{"priceId":', 'invalid_json'],
    ['no price', '{}', 'invalid_request'],
    ['an empty price', '{"priceId":""}', 'invalid_request'],
    ['a numeric price', '{"priceId":7}', 'invalid_request'],
    ['a customer id from the client', '{"priceId":"price_1","customer":"cus_1"}', 'invalid_request'],
    ['a quantity', '{"priceId":"price_1","quantity":2}', 'invalid_request'],
    ['a JSON array', '[]', 'invalid_request'],
  ])('refuses %s with 400 %s', (_name, body, code) => {
    const error = appError(() => parseCheckoutSessionRequest(body));
    expect([error.kind, error.code]).toEqual(['invalid_request', code]);
  });
});

describe('success and cancel URLs', () => {
  it("default to /checkout_redirect on the universal-link domain, with Stripe's session id template", () => {
    expect(checkoutUrls(config)).toEqual({
      successUrl: 'https://links.lumenphotos.example/checkout_redirect/success?session_id={CHECKOUT_SESSION_ID}',
      cancelUrl: 'https://links.lumenphotos.example/checkout_redirect/cancel',
    });
  });

  it('follow an allowed return path', () => {
    const custom = parseConfig({ ...raw, checkout: { roles: ['owner'], returnPaths: ['/checkout_redirect', '/buy_redirect'] } });
    expect(checkoutUrls(custom, '/buy_redirect').cancelUrl).toBe('https://links.lumenphotos.example/buy_redirect/cancel');
  });

  it.each(['/portal_redirect', 'https://evil.example/checkout_redirect', '/checkout_redirect/../admin', ''])('refuse the return path %p', (path) => {
    expect(appError(() => checkoutUrls(config, path)).code).toBe('return_path_not_allowed');
  });
});

describe('the Amazon Pay return URL', () => {
  it.each([
    ['the default return path', config, undefined, 'https://links.lumenphotos.example/checkout_redirect/return'],
    [
      'an allowed return path',
      parseConfig({ ...raw, checkout: { roles: ['owner'], returnPaths: ['/checkout_redirect', '/buy_redirect'] } }),
      '/buy_redirect',
      'https://links.lumenphotos.example/buy_redirect/return',
    ],
    [
      "the local stack's own site",
      { ...config, app: { ...config.app, siteUrl: 'http://127.0.0.1:3000/' } },
      undefined,
      'http://127.0.0.1:3000/checkout_redirect/return',
    ],
  ])('%s', (_name, settings, path, expected) => {
    expect(amazonPayReturnUrl(settings, path)).toBe(expected);
  });

  it.each(['/portal_redirect', 'https://evil.example/checkout_redirect', ''])('refuses the return path %p, as Checkout does', (path) => {
    expect(appError(() => amazonPayReturnUrl(config, path)).code).toBe('return_path_not_allowed');
  });
});
