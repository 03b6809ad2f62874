/**
 * The deploy-time portal sync (functions/core/portal-configuration-sync.ts) against in-memory ports:
 * which CloudFormation request reads the secret, which syncs, and what the deployment gets back.
 * The same use case against the Stripe emulator and a Secrets Manager stand-in is in
 * test/infra/aws-runtime.test.ts.
 */
import {
  type DeployRequest,
  type DeploySyncPorts,
  PORTAL_CONFIGURATIONS_RESOURCE_ID,
  type PortalSyncChanges,
  syncPortalConfigurationsOnDeploy,
} from '#core/portal-configuration-sync';
import { liveModeKey } from '../helpers/live-keys';

const SECRET_NAME = 'linkout/dev/stripe';

/** The secret holds `storedKey`; Stripe answers every sync with `changes`. Records what was asked. */
function fakePorts(storedKey: string, changes: PortalSyncChanges) {
  const calls = { secretReads: 0, syncedWith: [] as string[] };
  const ports: DeploySyncPorts = {
    stripeSecretKey: async () => {
      calls.secretReads++;
      return storedKey;
    },
    syncConfigurations: async (secretKey) => {
      calls.syncedWith.push(secretKey);
      return changes;
    },
  };
  return { ports, calls };
}

const firstDeploy: PortalSyncChanges = {
  created: [
    { role: 'owner', configurationId: 'bpc_owner' },
    { role: 'member', configurationId: 'bpc_member' },
  ],
  updated: [],
  unchanged: [],
};
const laterDeploy: PortalSyncChanges = {
  created: [],
  updated: [{ role: 'owner', configurationId: 'bpc_owner' }],
  unchanged: [{ role: 'member', configurationId: 'bpc_member' }],
};
const bothRoles = { owner: 'bpc_owner', member: 'bpc_member' };

describe('syncPortalConfigurationsOnDeploy', () => {
  it.each<[string, DeployRequest, string, PortalSyncChanges, { resourceId: string; configurationIds: Record<string, string> }]>([
    [
      'Create with a test secret key',
      { type: 'Create' },
      'sk_test_123',
      firstDeploy,
      { resourceId: PORTAL_CONFIGURATIONS_RESOURCE_ID, configurationIds: bothRoles },
    ],
    [
      'Create with a live restricted key',
      { type: 'Create' },
      liveModeKey('123', 'rk'),
      firstDeploy,
      { resourceId: PORTAL_CONFIGURATIONS_RESOURCE_ID, configurationIds: bothRoles },
    ],
    [
      'Update of a drifted configuration',
      { type: 'Update', resourceId: PORTAL_CONFIGURATIONS_RESOURCE_ID },
      liveModeKey('123'),
      laterDeploy,
      { resourceId: PORTAL_CONFIGURATIONS_RESOURCE_ID, configurationIds: bothRoles },
    ],
  ])('%s syncs with the stored key and returns role -> configuration id', async (_name, request, storedKey, changes, expected) => {
    const { ports, calls } = fakePorts(storedKey, changes);
    const result = await syncPortalConfigurationsOnDeploy(request, ports, SECRET_NAME);
    expect(result).toEqual({ ...expected, changes });
    expect(calls.syncedWith).toEqual([storedKey]);
  });

  it('gives a role whose configuration has no id an empty id, so Data stays string-valued', async () => {
    const { ports } = fakePorts('sk_test_123', { created: [{ role: 'owner', configurationId: null }], updated: [], unchanged: [] });
    const result = await syncPortalConfigurationsOnDeploy({ type: 'Create' }, ports, SECRET_NAME);
    expect(result.configurationIds).toEqual({ owner: '' });
  });

  it('leaves Stripe alone on Delete and does not even read the secret', async () => {
    const { ports, calls } = fakePorts('sk_test_123', firstDeploy);
    const result = await syncPortalConfigurationsOnDeploy({ type: 'Delete', resourceId: 'linkout-portal-configurations' }, ports, SECRET_NAME);
    expect(result).toEqual({ resourceId: 'linkout-portal-configurations' });
    expect(calls).toEqual({ secretReads: 0, syncedWith: [] });
  });

  it.each([
    ['the deploy-time placeholder (empty)', ''],
    ['a publishable key', 'pk_test_123'],
    ['a webhook signing secret', 'whsec_123'],
    ['a key without its mode', 'sk_123'],
  ])('fails the deployment with instructions, touching nothing, when the secret holds %s', async (_name, storedKey) => {
    const { ports, calls } = fakePorts(storedKey, firstDeploy);
    await expect(syncPortalConfigurationsOnDeploy({ type: 'Create' }, ports, SECRET_NAME)).rejects.toThrow(
      /linkout\/dev\/stripe has no Stripe secret key yet.*put-secret-value --secret-id linkout\/dev\/stripe/,
    );
    expect(calls.syncedWith).toEqual([]);
  });
});
