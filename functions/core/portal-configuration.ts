/**
 * Portal configurations as code: the declarative per-role definition in the Linkout configuration
 * becomes the parameters of one Stripe billing-portal configuration per role. Everything is checked
 * here, before anything is sent to Stripe, and drift between the definition and what Stripe holds
 * is computed here too. Pure: the Stripe calls live in functions/adapters/stripe/portal-sync.ts.
 */
import type { CatalogProduct, LinkoutConfig, PortalRole } from './config';

/** Metadata keys that tie a Stripe configuration to one role of one app (how sync and sessions find it). */
export const PORTAL_ROLE_METADATA_KEY = 'linkout_role';
export const PORTAL_APP_METADATA_KEY = 'linkout_app';

/** Stripe's limits the definitions must respect. */
export const MAX_PORTAL_HEADLINE_LENGTH = 60;
export const MAX_PORTAL_UPDATE_PRODUCTS = 10;
/** A portal pause lasts at most three years: the largest count per interval. */
export const MAX_PAUSE_INTERVAL_COUNT: Readonly<Record<string, number>> = { day: 3 * 365, week: 3 * 52, month: 3 * 12, year: 3 };

/** Stripe's pause duration choice: `interval` for `interval_count` of them. */
export interface PauseIntervalOption {
  interval: string;
  interval_count: number;
}

/** The Stripe create/update parameters Linkout manages (a subset of Stripe's, in Stripe's field names). */
export interface PortalConfigurationParams {
  name: string;
  business_profile: { headline: string; privacy_policy_url?: string; terms_of_service_url?: string };
  default_return_url: string;
  features: {
    customer_update: { enabled: boolean; allowed_updates?: string[] };
    invoice_history: { enabled: boolean };
    payment_method_update: { enabled: boolean };
    subscription_cancel: {
      enabled: boolean;
      mode?: string;
      proration_behavior?: string;
      cancellation_reason?: { enabled: boolean; options?: string[] };
    };
    subscription_update: {
      enabled: boolean;
      default_allowed_updates?: string[];
      proration_behavior?: string;
      products?: Array<{ product: string; prices: string[] }>;
    };
    subscription_pause: {
      enabled: boolean;
      duration?: { type: 'indefinite' } | { type: 'interval_options'; interval_options: PauseIntervalOption[] };
    };
  } & Record<string, unknown>;
  login_page: { enabled: boolean };
  metadata: Record<string, string>;
}

/** What Linkout reads back from a Stripe configuration to detect drift (structurally Stripe's object). */
export interface PortalConfigurationSnapshot {
  id: string;
  active: boolean;
  name?: string | null;
  created?: number;
  business_profile?: { headline?: string | null; privacy_policy_url?: string | null; terms_of_service_url?: string | null } | null;
  default_return_url?: string | null;
  features: {
    customer_update?: { enabled: boolean; allowed_updates?: string[] | null } | null;
    invoice_history?: { enabled: boolean } | null;
    payment_method_update?: { enabled: boolean } | null;
    subscription_cancel?: {
      enabled: boolean;
      mode?: string | null;
      proration_behavior?: string | null;
      cancellation_reason?: { enabled: boolean; options?: string[] | null } | null;
    } | null;
    subscription_update?: {
      enabled: boolean;
      default_allowed_updates?: string[] | null;
      proration_behavior?: string | null;
      products?: Array<{ product: string; prices: string[] }> | null;
    } | null;
    subscription_pause?: {
      enabled: boolean;
      duration?: { type: string; interval_options?: PauseIntervalOption[] | null } | null;
    } | null;
  };
  login_page?: { enabled: boolean } | null;
  metadata?: Record<string, string> | null;
}

export interface ConfigurationProblem {
  path: (string | number)[];
  message: string;
}

/** The https return URL for a path on the universal-link domain. */
export function universalLinkUrl(config: Pick<LinkoutConfig, 'app'>, path: string): string {
  return `https://${config.app.universalLinkDomain}${path}`;
}

const contractChangesEnabled = (role: PortalRole) =>
  role.features.subscriptionCancel.enabled ||
  role.features.subscriptionUpdate.enabled ||
  role.features.subscriptionPause.enabled ||
  role.features.customerUpdate.enabled;

/** "4 years" when a pause duration exceeds Stripe's three-year limit. */
function tooLongPause(interval: string, count: number): string | undefined {
  const max = MAX_PAUSE_INTERVAL_COUNT[interval];
  return max === undefined || count > max ? `${count} ${interval}s` : undefined;
}

/**
 * Rules on the declarative definition that Stripe would otherwise reject (or that make no sense),
 * with paths into the configuration. Used by the configuration schema, so a bad file never loads.
 */
export function portalDefinitionProblems(config: Pick<LinkoutConfig, 'portal' | 'catalog'>): ConfigurationProblem[] {
  const problems: ConfigurationProblem[] = [];
  const productsById = new Map(config.catalog.products.map((p) => [p.id, p]));
  const { businessProfile } = config.portal;

  for (const [roleName, role] of Object.entries(config.portal.roles)) {
    const update = role.features.subscriptionUpdate;
    const at = (...rest: (string | number)[]) => ['portal', 'roles', roleName, 'features', 'subscriptionUpdate', ...rest];
    if (update.products.length > MAX_PORTAL_UPDATE_PRODUCTS) {
      problems.push({ path: at('products'), message: `Stripe offers at most ${MAX_PORTAL_UPDATE_PRODUCTS} products for subscription updates (role "${roleName}" lists ${update.products.length})` });
    }
    if (update.enabled && update.products.length === 0) {
      problems.push({ path: at('products'), message: `role "${roleName}" enables subscription updates but offers no products to switch to` });
    }
    if (update.enabled && update.defaultAllowedUpdates.length === 0) {
      problems.push({ path: at('defaultAllowedUpdates'), message: `role "${roleName}" enables subscription updates but allows no kind of update` });
    }
    update.products.forEach((productId, index) => {
      const product = productsById.get(productId);
      if (!product) {
        problems.push({ path: at('products', index), message: `"${productId}" is not a catalog product` });
        return;
      }
      const clash = duplicateIntervalAndCurrency(product);
      if (clash) {
        problems.push({
          path: at('products', index),
          message: `product "${productId}" offers two prices with the same interval and currency (${clash}); Stripe's portal cannot offer both`,
        });
      }
    });
    role.features.subscriptionPause.durations.forEach(({ interval, count }, index) => {
      const tooLong = tooLongPause(interval, count);
      if (tooLong) {
        problems.push({
          path: ['portal', 'roles', roleName, 'features', 'subscriptionPause', 'durations', index],
          message: `a pause of ${tooLong} is longer than the three years Stripe allows`,
        });
      }
    });
    if (role.features.customerUpdate.enabled && role.features.customerUpdate.allowedUpdates.length === 0) {
      problems.push({
        path: ['portal', 'roles', roleName, 'features', 'customerUpdate', 'allowedUpdates'],
        message: `role "${roleName}" enables customer updates but allows no field to be updated`,
      });
    }
    if (contractChangesEnabled(role)) {
      for (const field of ['privacyPolicyUrl', 'termsOfServiceUrl'] as const) {
        if (!businessProfile[field]) {
          problems.push({
            path: ['portal', 'businessProfile', field],
            message: `required because role "${roleName}" lets customers change their subscription or details in the portal`,
          });
        }
      }
    }
  }
  return dedupe(problems);
}

/** "month/usd" when a product has two prices with the same interval and currency. */
export function duplicateIntervalAndCurrency(product: Pick<CatalogProduct, 'prices'>): string | undefined {
  const seen = new Set<string>();
  for (const price of product.prices) {
    const key = `${price.interval}/${price.currency}`;
    if (seen.has(key)) return key;
    seen.add(key);
  }
  return undefined;
}

/** A catalog price id in Stripe, by lookup key (resolved by the sync before building parameters). */
export type PriceIdsByLookupKey = ReadonlyMap<string, string>;

/** The lookup keys of every price a role offers for subscription updates. */
export function offeredLookupKeys(config: Pick<LinkoutConfig, 'catalog'>, role: PortalRole): string[] {
  if (!role.features.subscriptionUpdate.enabled) return [];
  return role.features.subscriptionUpdate.products.flatMap(
    (productId) => config.catalog.products.find((p) => p.id === productId)?.prices.map((price) => price.lookupKey) ?? [],
  );
}

/** The Stripe parameters for one role's configuration. */
export function portalConfigurationParams(
  config: Pick<LinkoutConfig, 'app' | 'catalog' | 'portal'>,
  roleName: string,
  priceIds: PriceIdsByLookupKey,
): PortalConfigurationParams {
  const role = config.portal.roles[roleName];
  if (!role) throw new Error(`Unknown portal role "${roleName}"`);
  const { customerUpdate, invoiceHistory, paymentMethodUpdate, subscriptionCancel, subscriptionPause, subscriptionUpdate } = role.features;
  const profile = config.portal.businessProfile;
  return {
    name: role.name ?? `${config.app.name} — ${roleName}`,
    business_profile: {
      // An empty headline clears one set earlier (Stripe's "emptyable" convention).
      headline: profile.headline ?? '',
      ...(profile.privacyPolicyUrl && { privacy_policy_url: profile.privacyPolicyUrl }),
      ...(profile.termsOfServiceUrl && { terms_of_service_url: profile.termsOfServiceUrl }),
    },
    default_return_url: universalLinkUrl(config, config.portal.returnPaths[0]!),
    features: {
      customer_update: customerUpdate.enabled
        ? { enabled: true, allowed_updates: [...customerUpdate.allowedUpdates] }
        : { enabled: false },
      invoice_history: { enabled: invoiceHistory.enabled },
      payment_method_update: { enabled: paymentMethodUpdate.enabled },
      subscription_cancel: subscriptionCancel.enabled
        ? {
            enabled: true,
            mode: subscriptionCancel.mode,
            proration_behavior: subscriptionCancel.prorationBehavior,
            cancellation_reason:
              subscriptionCancel.cancellationReasons.length > 0
                ? { enabled: true, options: [...subscriptionCancel.cancellationReasons] }
                : { enabled: false },
          }
        : { enabled: false },
      subscription_update: subscriptionUpdate.enabled
        ? {
            enabled: true,
            default_allowed_updates: [...subscriptionUpdate.defaultAllowedUpdates],
            proration_behavior: subscriptionUpdate.prorationBehavior,
            products: subscriptionUpdate.products.map((productId) => ({
              product: productId,
              prices: catalogProduct(config, productId).prices.map((price) => {
                const id = priceIds.get(price.lookupKey);
                if (!id) throw new Error(`The catalog price "${price.lookupKey}" has no Stripe price id`);
                return id;
              }),
            })),
          }
        : { enabled: false },
      subscription_pause: subscriptionPause.enabled ? { enabled: true, duration: pauseDuration(subscriptionPause.durations) } : { enabled: false },
    },
    login_page: { enabled: role.loginPage.enabled },
    metadata: { [PORTAL_ROLE_METADATA_KEY]: roleName, [PORTAL_APP_METADATA_KEY]: config.app.bundleId },
  };
}

/** No durations means customers stay paused until they resume (Stripe's `indefinite`). */
function pauseDuration(durations: PortalRole['features']['subscriptionPause']['durations']): PortalConfigurationParams['features']['subscription_pause']['duration'] {
  if (durations.length === 0) return { type: 'indefinite' };
  return { type: 'interval_options', interval_options: durations.map(({ interval, count }) => ({ interval, interval_count: count })) };
}

function catalogProduct(config: Pick<LinkoutConfig, 'catalog'>, productId: string): CatalogProduct {
  const product = config.catalog.products.find((p) => p.id === productId);
  if (!product) throw new Error(`"${productId}" is not a catalog product`);
  return product;
}

/**
 * The last check before parameters go to Stripe: Stripe's own limits, whoever built the params.
 * Returns human-readable problems; empty means sendable.
 */
export function portalParamsProblems(params: PortalConfigurationParams): string[] {
  const problems: string[] = [];
  const headline = params.business_profile.headline;
  if (headline.length > MAX_PORTAL_HEADLINE_LENGTH) {
    problems.push(`business_profile.headline is ${headline.length} characters; Stripe allows ${MAX_PORTAL_HEADLINE_LENGTH}`);
  }
  const duration = params.features.subscription_pause.duration;
  if (duration?.type === 'interval_options') {
    if (duration.interval_options.length === 0) problems.push('features.subscription_pause offers interval_options without any option');
    for (const { interval, interval_count: count } of duration.interval_options) {
      const tooLong = tooLongPause(interval, count);
      if (tooLong) problems.push(`features.subscription_pause offers a pause of ${tooLong}; Stripe allows at most three years`);
    }
  }
  const update = params.features.subscription_update;
  const products = update.products ?? [];
  if (products.length > MAX_PORTAL_UPDATE_PRODUCTS) {
    problems.push(`features.subscription_update.products lists ${products.length} products; Stripe allows ${MAX_PORTAL_UPDATE_PRODUCTS}`);
  }
  if (update.enabled && products.length === 0) problems.push('features.subscription_update is enabled without products');
  const seenProducts = new Set<string>();
  for (const product of products) {
    if (seenProducts.has(product.product)) problems.push(`features.subscription_update.products lists ${product.product} twice`);
    seenProducts.add(product.product);
    if (product.prices.length === 0) problems.push(`features.subscription_update.products: ${product.product} has no prices`);
  }
  const changesContract =
    params.features.subscription_cancel.enabled ||
    update.enabled ||
    params.features.subscription_pause.enabled ||
    params.features.customer_update.enabled;
  if (changesContract && (!params.business_profile.privacy_policy_url || !params.business_profile.terms_of_service_url)) {
    problems.push('business_profile.privacy_policy_url and terms_of_service_url are required when customers may change their subscription or details');
  }
  for (const url of [params.default_return_url, params.business_profile.privacy_policy_url, params.business_profile.terms_of_service_url]) {
    if (url !== undefined && !url.startsWith('https://')) problems.push(`${url} is not an https URL`);
  }
  return problems;
}

export interface PortalDrift {
  field: string;
  expected: unknown;
  actual: unknown;
}

/**
 * Where a Stripe configuration differs from the parameters Linkout would send. Fields of a
 * disabled feature are not compared (Stripe keeps their old values around harmlessly).
 */
export function portalConfigurationDrift(desired: PortalConfigurationParams, actual: PortalConfigurationSnapshot): PortalDrift[] {
  const drift: PortalDrift[] = [];
  const compare = (field: string, expected: unknown, found: unknown) => {
    if (JSON.stringify(expected) !== JSON.stringify(found)) drift.push({ field, expected, actual: found });
  };
  const f = actual.features;
  const d = desired.features;
  compare('active', true, actual.active);
  compare('name', desired.name, actual.name ?? null);
  compare('business_profile.headline', desired.business_profile.headline || null, actual.business_profile?.headline || null);
  compare('business_profile.privacy_policy_url', desired.business_profile.privacy_policy_url ?? null, actual.business_profile?.privacy_policy_url ?? null);
  compare('business_profile.terms_of_service_url', desired.business_profile.terms_of_service_url ?? null, actual.business_profile?.terms_of_service_url ?? null);
  compare('default_return_url', desired.default_return_url, actual.default_return_url ?? null);
  compare('login_page.enabled', desired.login_page.enabled, actual.login_page?.enabled ?? false);

  compare('features.customer_update.enabled', d.customer_update.enabled, f.customer_update?.enabled ?? false);
  if (d.customer_update.enabled) {
    compare('features.customer_update.allowed_updates', sorted(d.customer_update.allowed_updates), sorted(f.customer_update?.allowed_updates));
  }
  compare('features.invoice_history.enabled', d.invoice_history.enabled, f.invoice_history?.enabled ?? false);
  compare('features.payment_method_update.enabled', d.payment_method_update.enabled, f.payment_method_update?.enabled ?? false);

  compare('features.subscription_cancel.enabled', d.subscription_cancel.enabled, f.subscription_cancel?.enabled ?? false);
  if (d.subscription_cancel.enabled) {
    compare('features.subscription_cancel.mode', d.subscription_cancel.mode, f.subscription_cancel?.mode ?? null);
    compare('features.subscription_cancel.proration_behavior', d.subscription_cancel.proration_behavior, f.subscription_cancel?.proration_behavior ?? null);
    const reasons = d.subscription_cancel.cancellation_reason;
    compare('features.subscription_cancel.cancellation_reason.enabled', reasons?.enabled ?? false, f.subscription_cancel?.cancellation_reason?.enabled ?? false);
    if (reasons?.enabled) {
      compare('features.subscription_cancel.cancellation_reason.options', sorted(reasons.options), sorted(f.subscription_cancel?.cancellation_reason?.options));
    }
  }

  compare('features.subscription_update.enabled', d.subscription_update.enabled, f.subscription_update?.enabled ?? false);
  if (d.subscription_update.enabled) {
    compare('features.subscription_update.default_allowed_updates', sorted(d.subscription_update.default_allowed_updates), sorted(f.subscription_update?.default_allowed_updates));
    compare('features.subscription_update.proration_behavior', d.subscription_update.proration_behavior, f.subscription_update?.proration_behavior ?? null);
    compare('features.subscription_update.products', normalizedProducts(d.subscription_update.products), normalizedProducts(f.subscription_update?.products));
  }

  compare('features.subscription_pause.enabled', d.subscription_pause.enabled, f.subscription_pause?.enabled ?? false);
  if (d.subscription_pause.enabled) {
    compare('features.subscription_pause.duration', normalizedPauseDuration(d.subscription_pause.duration), normalizedPauseDuration(f.subscription_pause?.duration));
  }
  for (const [key, value] of Object.entries(desired.metadata)) compare(`metadata.${key}`, value, actual.metadata?.[key] ?? null);
  return drift;
}

const sorted = (values: readonly string[] | null | undefined) => [...(values ?? [])].sort();

function normalizedProducts(products: ReadonlyArray<{ product: string; prices: readonly string[] }> | null | undefined) {
  return [...(products ?? [])]
    .map((p) => ({ product: p.product, prices: sorted(p.prices) }))
    .sort((a, b) => a.product.localeCompare(b.product));
}

/** A duration compared by type and, for preset options, by the set of options (Stripe echoes `interval_options: []` when indefinite). */
function normalizedPauseDuration(duration: { type: string; interval_options?: readonly PauseIntervalOption[] | null } | null | undefined) {
  if (!duration) return null;
  if (duration.type !== 'interval_options') return { type: duration.type };
  return { type: duration.type, options: sorted((duration.interval_options ?? []).map((option) => `${option.interval_count} ${option.interval}`)) };
}

function dedupe(problems: ConfigurationProblem[]): ConfigurationProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path.join('.')}|${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
