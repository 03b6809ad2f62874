/**
 * Rules on the declarative per-role portal definitions that Stripe would otherwise reject at sync
 * time (or that make no sense), with paths into the configuration. Used by parseConfig
 * (config-validation.ts), so a bad file never loads.
 */
import type { CatalogProduct, LinkoutConfig, PortalRole } from './config';
import { describeDuration, durationWithin } from './pause-policy';
import { MAX_PORTAL_UPDATE_PRODUCTS, pauseBeyondLimit } from './portal-limits';

export interface ConfigurationProblem {
  path: (string | number)[];
  message: string;
}

type PortalDefinitions = Pick<LinkoutConfig, 'portal' | 'catalog'>;

export function portalDefinitionProblems(config: PortalDefinitions): ConfigurationProblem[] {
  const problems = Object.entries(config.portal.roles).flatMap(([roleName, role]) => [
    ...subscriptionUpdateProblems(config, roleName, role),
    ...pauseProblems(roleName, role),
    ...customerUpdateProblems(roleName, role),
    ...businessProfileProblems(config, roleName, role),
  ]);
  return dedupe(problems);
}

function subscriptionUpdateProblems(config: PortalDefinitions, roleName: string, role: PortalRole): ConfigurationProblem[] {
  const update = role.features.subscriptionUpdate;
  const at = (...rest: (string | number)[]) => ['portal', 'roles', roleName, 'features', 'subscriptionUpdate', ...rest];
  const problems: ConfigurationProblem[] = [];
  if (update.products.length > MAX_PORTAL_UPDATE_PRODUCTS) {
    problems.push({
      path: at('products'),
      message: `Stripe offers at most ${MAX_PORTAL_UPDATE_PRODUCTS} products for subscription updates (role "${roleName}" lists ${update.products.length})`,
    });
  }
  if (update.enabled && update.products.length === 0) {
    problems.push({ path: at('products'), message: `role "${roleName}" enables subscription updates but offers no products to switch to` });
  }
  if (update.enabled && update.defaultAllowedUpdates.length === 0) {
    problems.push({ path: at('defaultAllowedUpdates'), message: `role "${roleName}" enables subscription updates but allows no kind of update` });
  }
  update.products.forEach((productId, index) => {
    const product = config.catalog.products.find((p) => p.id === productId);
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
  return problems;
}

function pauseProblems(roleName: string, role: PortalRole): ConfigurationProblem[] {
  const { pause } = role;
  if (!pause) return [];
  const at = (...rest: (string | number)[]) => ['portal', 'roles', roleName, 'pause', ...rest];
  const problems: ConfigurationProblem[] = [];
  const maxTooLong = pauseBeyondLimit(pause.maxDuration.interval, pause.maxDuration.count);
  if (maxTooLong) problems.push({ path: at('maxDuration'), message: `a pause of ${maxTooLong} is longer than the three years Stripe allows` });
  if (pause.portal && pause.mode === 'collection') {
    problems.push({
      path: at('portal'),
      message: `role "${roleName}" pauses payment collection, but Stripe's portal can only pause the subscription itself; use mode "subscription" or set portal to false`,
    });
  }
  if (!pause.app && !pause.portal) {
    problems.push({ path: at(), message: `role "${roleName}" configures pausing but allows it neither in the app nor in the portal` });
  }
  (pause.portalDurations ?? []).forEach((duration, index) => {
    if (!durationWithin(duration, pause.maxDuration)) {
      problems.push({
        path: at('portalDurations', index),
        message: `${describeDuration(duration)} is longer than the role's maxDuration of ${describeDuration(pause.maxDuration)}`,
      });
    }
  });
  return problems;
}

function customerUpdateProblems(roleName: string, role: PortalRole): ConfigurationProblem[] {
  const { customerUpdate } = role.features;
  if (!customerUpdate.enabled || customerUpdate.allowedUpdates.length > 0) return [];
  return [
    {
      path: ['portal', 'roles', roleName, 'features', 'customerUpdate', 'allowedUpdates'],
      message: `role "${roleName}" enables customer updates but allows no field to be updated`,
    },
  ];
}

/** Stripe requires the privacy policy and terms once customers may change their contract in the portal. */
function businessProfileProblems(config: PortalDefinitions, roleName: string, role: PortalRole): ConfigurationProblem[] {
  if (!contractChangesEnabled(role)) return [];
  const { businessProfile } = config.portal;
  return (['privacyPolicyUrl', 'termsOfServiceUrl'] as const)
    .filter((field) => !businessProfile[field])
    .map((field) => ({
      path: ['portal', 'businessProfile', field],
      message: `required because role "${roleName}" lets customers change their subscription or details in the portal`,
    }));
}

const contractChangesEnabled = (role: PortalRole) =>
  role.features.subscriptionCancel.enabled || role.features.subscriptionUpdate.enabled || Boolean(role.pause?.portal) || role.features.customerUpdate.enabled;

/** "month/usd" when a product has two prices with the same interval and currency. */
function duplicateIntervalAndCurrency(product: Pick<CatalogProduct, 'prices'>): string | undefined {
  const seen = new Set<string>();
  for (const price of product.prices) {
    const key = `${price.interval}/${price.currency}`;
    if (seen.has(key)) return key;
    seen.add(key);
  }
  return undefined;
}

/** Each problem once, in the order found. */
function dedupe(problems: ConfigurationProblem[]): ConfigurationProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path.join('.')}|${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
