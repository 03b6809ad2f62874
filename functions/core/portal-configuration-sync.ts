/**
 * The deploy-time portal sync as a use case: what one CloudFormation request for the
 * Custom::LinkoutPortalConfigurations resource does, so that one `cdk deploy` leaves a working
 * portal (functions/handlers/portal-config-resource.ts is its thin Lambda entry).
 *
 * Create and Update run the same idempotent sync; Delete leaves Stripe alone (configurations may
 * still be referenced by live sessions, and Stripe cannot delete them anyway). A Stripe secret that
 * is still the deploy-time placeholder fails the deployment with instructions instead of half-working.
 */

/** One id whatever the sync does: an Update never looks like a replacement, so CloudFormation never sends a Delete for it. */
export const PORTAL_CONFIGURATIONS_RESOURCE_ID = 'linkout-portal-configurations';

export type DeployRequest = { type: 'Create' } | { type: 'Update' | 'Delete'; resourceId: string };

interface RoleConfiguration {
  role: string;
  configurationId: string | null;
}

export interface PortalSyncChanges {
  created: RoleConfiguration[];
  updated: RoleConfiguration[];
  unchanged: RoleConfiguration[];
}

/** Ports of the deploy-time sync. */
export interface DeploySyncPorts {
  /** The Stripe key stored in the deployment's secret; empty while it still holds the placeholder. */
  stripeSecretKey(): Promise<string>;
  /** Creates or updates one Stripe portal configuration per role, using that key. */
  syncConfigurations(secretKey: string): Promise<PortalSyncChanges>;
}

export interface DeploySyncResult {
  resourceId: string;
  /** Role -> Stripe configuration id, for Fn::GetAtt; only after a sync. */
  configurationIds?: Record<string, string>;
  changes?: PortalSyncChanges;
}

/** Secret (sk_) and restricted (rk_) keys can manage portal configurations; publishable keys and webhook secrets cannot. */
const STRIPE_SECRET_KEY = /^(sk|rk)_(test|live)_/;

/** `secretName` is where ops set the key; the failure message names it. */
export async function syncPortalConfigurationsOnDeploy(request: DeployRequest, ports: DeploySyncPorts, secretName: string): Promise<DeploySyncResult> {
  if (request.type === 'Delete') return { resourceId: request.resourceId };

  const secretKey = await ports.stripeSecretKey();
  if (!STRIPE_SECRET_KEY.test(secretKey)) throw new Error(missingKeyInstructions(secretName));
  const changes = await ports.syncConfigurations(secretKey);
  const synced = [...changes.created, ...changes.updated, ...changes.unchanged];
  return {
    resourceId: PORTAL_CONFIGURATIONS_RESOURCE_ID,
    configurationIds: Object.fromEntries(synced.map(({ role, configurationId }) => [role, configurationId ?? ''])),
    changes,
  };
}

function missingKeyInstructions(secretName: string): string {
  return (
    `The Stripe secret ${secretName} has no Stripe secret key yet. Set it with ` +
    `\`aws secretsmanager put-secret-value --secret-id ${secretName} --secret-string file://stripe.json\` ` +
    '(see the README, deploy section), then deploy again.'
  );
}
