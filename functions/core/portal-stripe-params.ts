/**
 * Portal configurations as code: a role's declarative definition in the Linkout configuration
 * becomes the parameters of its Stripe billing-portal configuration, checked once more against
 * Stripe's limits before anything is sent. Pure: the Stripe calls live in
 * functions/adapters/stripe/portal-sync.ts.
 */
import type { CatalogProduct, LinkoutConfig, PauseDuration, PortalRole } from './config';
import { LOOPBACK_HTTP_URL } from './config-constants';
import { portalPauseDurations } from './pause-policy';
import { MAX_PORTAL_HEADLINE_LENGTH, MAX_PORTAL_UPDATE_PRODUCTS, pauseBeyondLimit } from './portal-limits';
import { portalReturnUrl } from './portal-policy';

/** Metadata keys that tie a Stripe configuration to one role of one app (how sync and sessions find it). */
export const PORTAL_ROLE_METADATA_KEY = 'linkout_role';
export const PORTAL_APP_METADATA_KEY = 'linkout_app';

/** Stripe's pause duration choice: `interval` for `interval_count` of them. */
export interface PauseIntervalOption {
  interval: string;
  interval_count: number;
}

type Features = PortalRole['features'];

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

type ParamFeatures = PortalConfigurationParams['features'];

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
  const { customerUpdate, invoiceHistory, paymentMethodUpdate, subscriptionCancel, subscriptionUpdate } = role.features;
  const profile = config.portal.businessProfile;
  return {
    name: role.name ?? `${config.app.name} — ${roleName}`,
    business_profile: {
      // An empty headline clears one set earlier (Stripe's "emptyable" convention).
      headline: profile.headline ?? '',
      ...(profile.privacyPolicyUrl && { privacy_policy_url: profile.privacyPolicyUrl }),
      ...(profile.termsOfServiceUrl && { terms_of_service_url: profile.termsOfServiceUrl }),
    },
    default_return_url: portalReturnUrl(config),
    features: {
      customer_update: customerUpdate.enabled ? { enabled: true, allowed_updates: [...customerUpdate.allowedUpdates] } : { enabled: false },
      invoice_history: { enabled: invoiceHistory.enabled },
      payment_method_update: { enabled: paymentMethodUpdate.enabled },
      subscription_cancel: cancelFeature(subscriptionCancel),
      subscription_update: updateFeature(config, subscriptionUpdate, priceIds),
      subscription_pause: role.pause?.portal ? { enabled: true, duration: pauseDuration(portalPauseDurations(role.pause)) } : { enabled: false },
    },
    login_page: { enabled: role.loginPage.enabled },
    metadata: { [PORTAL_ROLE_METADATA_KEY]: roleName, [PORTAL_APP_METADATA_KEY]: config.app.bundleId },
  };
}

function cancelFeature(cancel: Features['subscriptionCancel']): ParamFeatures['subscription_cancel'] {
  if (!cancel.enabled) return { enabled: false };
  return {
    enabled: true,
    mode: cancel.mode,
    proration_behavior: cancel.prorationBehavior,
    cancellation_reason: cancel.cancellationReasons.length > 0 ? { enabled: true, options: [...cancel.cancellationReasons] } : { enabled: false },
  };
}

function updateFeature(
  config: Pick<LinkoutConfig, 'catalog'>,
  update: Features['subscriptionUpdate'],
  priceIds: PriceIdsByLookupKey,
): ParamFeatures['subscription_update'] {
  if (!update.enabled) return { enabled: false };
  return {
    enabled: true,
    default_allowed_updates: [...update.defaultAllowedUpdates],
    proration_behavior: update.prorationBehavior,
    products: update.products.map((productId) => ({
      product: productId,
      prices: catalogProduct(config, productId).prices.map((price) => {
        const id = priceIds.get(price.lookupKey);
        if (!id) throw new Error(`The catalog price "${price.lookupKey}" has no Stripe price id`);
        return id;
      }),
    })),
  };
}

/** The portal offers the role's preset lengths; Stripe resumes the subscription when the chosen one ends. */
function pauseDuration(durations: PauseDuration[]): ParamFeatures['subscription_pause']['duration'] {
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
  const headline = params.business_profile.headline;
  return [
    ...(headline.length > MAX_PORTAL_HEADLINE_LENGTH
      ? [`business_profile.headline is ${headline.length} characters; Stripe allows ${MAX_PORTAL_HEADLINE_LENGTH}`]
      : []),
    ...pauseParamsProblems(params.features.subscription_pause),
    ...updateParamsProblems(params.features.subscription_update),
    ...businessProfileParamsProblems(params),
  ];
}

function pauseParamsProblems(pause: ParamFeatures['subscription_pause']): string[] {
  const duration = pause.duration;
  if (duration?.type !== 'interval_options') return [];
  const problems: string[] = [];
  if (duration.interval_options.length === 0) problems.push('features.subscription_pause offers interval_options without any option');
  for (const { interval, interval_count: count } of duration.interval_options) {
    const tooLong = pauseBeyondLimit(interval, count);
    if (tooLong) problems.push(`features.subscription_pause offers a pause of ${tooLong}; Stripe allows at most three years`);
  }
  return problems;
}

function updateParamsProblems(update: ParamFeatures['subscription_update']): string[] {
  const problems: string[] = [];
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
  return problems;
}

function businessProfileParamsProblems(params: PortalConfigurationParams): string[] {
  const problems: string[] = [];
  const { features, business_profile: profile } = params;
  const changesContract =
    features.subscription_cancel.enabled || features.subscription_update.enabled || features.subscription_pause.enabled || features.customer_update.enabled;
  if (changesContract && (!profile.privacy_policy_url || !profile.terms_of_service_url)) {
    problems.push('business_profile.privacy_policy_url and terms_of_service_url are required when customers may change their subscription or details');
  }
  for (const url of [params.default_return_url, profile.privacy_policy_url, profile.terms_of_service_url]) {
    if (url !== undefined && !url.startsWith('https://') && !LOOPBACK_HTTP_URL.test(url)) problems.push(`${url} is not an https URL`);
  }
  return problems;
}
