/**
 * The billing-portal configurations Linkout manages for one app, found by their metadata
 * (linkout_role + linkout_app) and grouped by role. The sync and the portal sessions both read them
 * here, so they agree on which configuration serves a role.
 */
import type Stripe from 'stripe';
import type { PortalConfigurationSnapshot } from '#core/portal-drift';
import { PORTAL_APP_METADATA_KEY, PORTAL_ROLE_METADATA_KEY } from '#core/portal-stripe-params';
import { callStripe } from './errors';

/**
 * Configurations this app manages, by role: active ones first, then the oldest, so the same one is
 * kept every time and later copies are reported as duplicates.
 */
export async function listManagedConfigurations(stripe: Stripe, bundleId: string): Promise<Map<string, PortalConfigurationSnapshot[]>> {
  const byRole = new Map<string, PortalConfigurationSnapshot[]>();
  await callStripe('listing portal configurations', async () => {
    for await (const configuration of stripe.billingPortal.configurations.list({ limit: 100 })) {
      const metadata = configuration.metadata ?? {};
      const role = metadata[PORTAL_ROLE_METADATA_KEY];
      if (!role || metadata[PORTAL_APP_METADATA_KEY] !== bundleId) continue;
      byRole.set(role, [...(byRole.get(role) ?? []), configuration as unknown as PortalConfigurationSnapshot]);
    }
  });
  for (const list of byRole.values()) {
    list.sort((a, b) => Number(b.active) - Number(a.active) || (a.created ?? 0) - (b.created ?? 0) || a.id.localeCompare(b.id));
  }
  return byRole;
}

/** The configuration that serves a role: the first in the lister's order, if it is active. */
export function servingConfiguration(configurations: readonly PortalConfigurationSnapshot[] | undefined): PortalConfigurationSnapshot | undefined {
  const [first] = configurations ?? [];
  return first?.active ? first : undefined;
}
