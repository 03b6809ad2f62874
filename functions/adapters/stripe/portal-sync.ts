/**
 * Keeps Stripe's billing-portal configurations equal to the per-role definitions in the Linkout
 * configuration: one Stripe configuration per role, found by its metadata (linkout_role +
 * linkout_app), created when missing, updated when it drifted, never duplicated.
 *
 * Used by `npm run portal:sync`, by the local stack at start, and by the deploy-time custom
 * resource. Everything is validated before the first write, so a bad definition changes nothing.
 */
import { createHash } from 'node:crypto';
import type Stripe from 'stripe';
import type { LinkoutConfig } from '#core/config';
import { portalConfigurationDrift } from '#core/portal-drift';
import { offeredLookupKeys, type PortalConfigurationParams, portalConfigurationParams, portalParamsProblems } from '#core/portal-stripe-params';
import { callStripe } from './errors';
import { listManagedConfigurations } from './managed-portal-configurations';

interface SyncedConfiguration {
  role: string;
  /** The Stripe configuration id; null for a configuration a dry run would create. */
  configurationId: string | null;
}

interface PortalSyncDrift {
  role: string;
  configurationId: string | null;
  /** Dotted Stripe field name; "configuration" when it is missing, "duplicate" for extra copies. */
  field: string;
  expected: unknown;
  actual: unknown;
}

export interface PortalSyncReport {
  dryRun: boolean;
  created: SyncedConfiguration[];
  updated: SyncedConfiguration[];
  unchanged: SyncedConfiguration[];
  drift: PortalSyncDrift[];
}

export class PortalSyncError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PortalSyncError';
  }
}

export async function syncPortalConfigurations(stripe: Stripe, config: LinkoutConfig, options: { dryRun?: boolean } = {}): Promise<PortalSyncReport> {
  const dryRun = options.dryRun ?? false;
  const report: PortalSyncReport = { dryRun, created: [], updated: [], unchanged: [], drift: [] };

  const priceIds = await resolveCatalogPrices(stripe, config);
  const desiredByRole = new Map<string, PortalConfigurationParams>();
  for (const role of Object.keys(config.portal.roles)) {
    const params = portalConfigurationParams(config, role, priceIds);
    const problems = portalParamsProblems(params);
    if (problems.length > 0) throw new PortalSyncError(`Portal configuration for role "${role}" is invalid:\n- ${problems.join('\n- ')}`);
    desiredByRole.set(role, params);
  }

  const existingByRole = await listManagedConfigurations(stripe, config.app.bundleId);
  for (const [role, desired] of desiredByRole) {
    const [current, ...duplicates] = existingByRole.get(role) ?? [];
    for (const duplicate of duplicates) {
      report.drift.push({ role, configurationId: duplicate.id, field: 'duplicate', expected: current?.id, actual: duplicate.id });
    }
    if (!current) {
      report.drift.push({ role, configurationId: null, field: 'configuration', expected: 'present', actual: 'missing' });
      if (dryRun) {
        report.created.push({ role, configurationId: null });
        continue;
      }
      const created = await callStripe(`creating the portal configuration for role "${role}"`, () =>
        stripe.billingPortal.configurations.create(desired as Stripe.BillingPortal.ConfigurationCreateParams, {
          // Two syncs racing (local start + a deploy) create one configuration, not two.
          idempotencyKey: `linkout-portal-${digest(config.app.bundleId, role, JSON.stringify(desired))}`,
        }),
      );
      report.created.push({ role, configurationId: created.id });
      continue;
    }
    const drift = portalConfigurationDrift(desired, current);
    if (drift.length === 0) {
      report.unchanged.push({ role, configurationId: current.id });
      continue;
    }
    report.drift.push(...drift.map((d) => ({ role, configurationId: current.id, ...d })));
    if (!dryRun) {
      await callStripe(`updating the portal configuration for role "${role}"`, () =>
        stripe.billingPortal.configurations.update(current.id, {
          ...(desired as Stripe.BillingPortal.ConfigurationUpdateParams),
          active: true,
        }),
      );
    }
    report.updated.push({ role, configurationId: current.id });
  }
  return report;
}

/** Stripe price ids for every catalog price a role offers, found by lookup key. */
async function resolveCatalogPrices(stripe: Stripe, config: LinkoutConfig): Promise<Map<string, string>> {
  const wanted = [...new Set(Object.values(config.portal.roles).flatMap((role) => offeredLookupKeys(config, role)))];
  const productByLookupKey = new Map(config.catalog.products.flatMap((product) => product.prices.map((price) => [price.lookupKey, product.id] as const)));
  const found = new Map<string, string>();
  // Stripe filters by at most 10 lookup keys per request.
  for (let i = 0; i < wanted.length; i += 10) {
    const lookupKeys = wanted.slice(i, i + 10);
    const page = await callStripe('looking up catalog prices', () => stripe.prices.list({ lookup_keys: lookupKeys, active: true, limit: 100 }));
    for (const price of page.data) {
      if (!price.lookup_key) continue;
      const product = typeof price.product === 'string' ? price.product : price.product.id;
      if (product !== productByLookupKey.get(price.lookup_key)) {
        throw new PortalSyncError(`Stripe price ${price.id} ("${price.lookup_key}") belongs to ${product}, not ${productByLookupKey.get(price.lookup_key)}`);
      }
      found.set(price.lookup_key, price.id);
    }
  }
  const missing = wanted.filter((key) => !found.has(key));
  if (missing.length > 0) {
    throw new PortalSyncError(
      `These catalog prices do not exist in Stripe (by lookup key): ${missing.join(', ')}. Create the catalog's products and prices first.`,
    );
  }
  return found;
}

function digest(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}
