/**
 * Drift: where a billing-portal configuration as Stripe holds it differs from the parameters Linkout
 * would send for the role (portal-stripe-params.ts). The sync updates a configuration that drifted
 * and a dry run reports the fields. Pure.
 */
import type { PauseIntervalOption, PortalConfigurationParams } from './portal-stripe-params';

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

export interface PortalDrift {
  field: string;
  expected: unknown;
  actual: unknown;
}

type Compare = (field: string, expected: unknown, actual: unknown) => void;
type DesiredFeatures = PortalConfigurationParams['features'];
type ActualFeatures = PortalConfigurationSnapshot['features'];

/**
 * Where a Stripe configuration differs from the parameters Linkout would send. Fields of a
 * disabled feature are not compared (Stripe keeps their old values around harmlessly).
 */
export function portalConfigurationDrift(desired: PortalConfigurationParams, actual: PortalConfigurationSnapshot): PortalDrift[] {
  const drift: PortalDrift[] = [];
  const compare: Compare = (field, expected, found) => {
    if (JSON.stringify(expected) !== JSON.stringify(found)) drift.push({ field, expected, actual: found });
  };
  compareProfile(compare, desired, actual);
  compareSimpleFeatures(compare, desired.features, actual.features);
  compareCancel(compare, desired.features.subscription_cancel, actual.features.subscription_cancel);
  compareUpdate(compare, desired.features.subscription_update, actual.features.subscription_update);
  comparePause(compare, desired.features.subscription_pause, actual.features.subscription_pause);
  for (const [key, value] of Object.entries(desired.metadata)) compare(`metadata.${key}`, value, actual.metadata?.[key] ?? null);
  return drift;
}

function compareProfile(compare: Compare, desired: PortalConfigurationParams, actual: PortalConfigurationSnapshot): void {
  const profile = actual.business_profile;
  compare('active', true, actual.active);
  compare('name', desired.name, actual.name ?? null);
  compare('business_profile.headline', desired.business_profile.headline || null, profile?.headline || null);
  compare('business_profile.privacy_policy_url', desired.business_profile.privacy_policy_url ?? null, profile?.privacy_policy_url ?? null);
  compare('business_profile.terms_of_service_url', desired.business_profile.terms_of_service_url ?? null, profile?.terms_of_service_url ?? null);
  compare('default_return_url', desired.default_return_url, actual.default_return_url ?? null);
  compare('login_page.enabled', desired.login_page.enabled, actual.login_page?.enabled ?? false);
}

function compareSimpleFeatures(compare: Compare, desired: DesiredFeatures, actual: ActualFeatures): void {
  compare('features.customer_update.enabled', desired.customer_update.enabled, actual.customer_update?.enabled ?? false);
  if (desired.customer_update.enabled) {
    compare('features.customer_update.allowed_updates', sorted(desired.customer_update.allowed_updates), sorted(actual.customer_update?.allowed_updates));
  }
  compare('features.invoice_history.enabled', desired.invoice_history.enabled, actual.invoice_history?.enabled ?? false);
  compare('features.payment_method_update.enabled', desired.payment_method_update.enabled, actual.payment_method_update?.enabled ?? false);
}

function compareCancel(compare: Compare, desired: DesiredFeatures['subscription_cancel'], actual: ActualFeatures['subscription_cancel']): void {
  compare('features.subscription_cancel.enabled', desired.enabled, actual?.enabled ?? false);
  if (!desired.enabled) return;
  compare('features.subscription_cancel.mode', desired.mode, actual?.mode ?? null);
  compare('features.subscription_cancel.proration_behavior', desired.proration_behavior, actual?.proration_behavior ?? null);
  const reasons = desired.cancellation_reason;
  compare('features.subscription_cancel.cancellation_reason.enabled', reasons?.enabled ?? false, actual?.cancellation_reason?.enabled ?? false);
  if (reasons?.enabled) {
    compare('features.subscription_cancel.cancellation_reason.options', sorted(reasons.options), sorted(actual?.cancellation_reason?.options));
  }
}

function compareUpdate(compare: Compare, desired: DesiredFeatures['subscription_update'], actual: ActualFeatures['subscription_update']): void {
  compare('features.subscription_update.enabled', desired.enabled, actual?.enabled ?? false);
  if (!desired.enabled) return;
  compare('features.subscription_update.default_allowed_updates', sorted(desired.default_allowed_updates), sorted(actual?.default_allowed_updates));
  compare('features.subscription_update.proration_behavior', desired.proration_behavior, actual?.proration_behavior ?? null);
  compare('features.subscription_update.products', normalizedProducts(desired.products), normalizedProducts(actual?.products));
}

function comparePause(compare: Compare, desired: DesiredFeatures['subscription_pause'], actual: ActualFeatures['subscription_pause']): void {
  compare('features.subscription_pause.enabled', desired.enabled, actual?.enabled ?? false);
  if (desired.enabled) {
    compare('features.subscription_pause.duration', normalizedPauseDuration(desired.duration), normalizedPauseDuration(actual?.duration));
  }
}

const sorted = (values: readonly string[] | null | undefined) => [...(values ?? [])].sort();

function normalizedProducts(products: ReadonlyArray<{ product: string; prices: readonly string[] }> | null | undefined) {
  return [...(products ?? [])].map((p) => ({ product: p.product, prices: sorted(p.prices) })).sort((a, b) => a.product.localeCompare(b.product));
}

/** A duration compared by type and, for preset options, by the set of options (Stripe echoes `interval_options: []` when indefinite). */
function normalizedPauseDuration(duration: { type: string; interval_options?: readonly PauseIntervalOption[] | null } | null | undefined) {
  if (!duration) return null;
  if (duration.type !== 'interval_options') return { type: duration.type };
  return { type: duration.type, options: sorted((duration.interval_options ?? []).map((option) => `${option.interval_count} ${option.interval}`)) };
}
