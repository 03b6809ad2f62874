import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '#adapters/config';
import { PortalSyncError, syncPortalConfigurations } from '#adapters/stripe/portal-sync';
import type { LinkoutConfig } from '#core/config';
import { useStripeEmulator } from '../helpers/stripe';

const baseConfig = loadConfig();
const withChanges = (mutate: (config: LinkoutConfig) => void): LinkoutConfig => {
  const config = structuredClone(baseConfig);
  mutate(config);
  return config;
};

async function managedConfigurations(stripe: ReturnType<typeof useStripeEmulator>['stripe']) {
  const all = await stripe.billingPortal.configurations.list({ limit: 100 });
  return all.data.filter((c) => c.metadata?.linkout_app === baseConfig.app.bundleId);
}

describe('syncPortalConfigurations against the Stripe emulator', () => {
  const emu = useStripeEmulator();

  it('dry run on an empty account reports both roles missing and writes nothing', async () => {
    const report = await syncPortalConfigurations(emu.stripe, baseConfig, { dryRun: true });
    expect(report.created).toEqual([
      { role: 'owner', configurationId: null },
      { role: 'member', configurationId: null },
    ]);
    expect(report.drift.map((d) => [d.role, d.field])).toEqual([
      ['owner', 'configuration'],
      ['member', 'configuration'],
    ]);
    expect(await managedConfigurations(emu.stripe)).toHaveLength(0);
  });

  it('creates one configuration per role with the catalog prices, then is idempotent', async () => {
    const first = await syncPortalConfigurations(emu.stripe, baseConfig);
    expect(first.created.map((c) => c.role)).toEqual(['owner', 'member']);
    expect(first.created.every((c) => c.configurationId?.startsWith('bpc_'))).toBe(true);

    const owner = await emu.stripe.billingPortal.configurations.retrieve(first.created[0]!.configurationId!);
    const prices = await emu.stripe.prices.list({ lookup_keys: ['stock_photos_monthly', 'stock_photos_yearly'] });
    expect(owner.features.subscription_cancel.enabled).toBe(true);
    expect(owner.features.subscription_update.products?.[0]).toMatchObject({
      product: 'prod_stock_photos',
      prices: expect.arrayContaining(prices.data.map((p) => p.id)),
    });
    expect(owner.default_return_url).toBe('https://links.lumenphotos.example/portal_redirect');
    const member = await emu.stripe.billingPortal.configurations.retrieve(first.created[1]!.configurationId!);
    expect(member.features).toMatchObject({
      invoice_history: { enabled: true },
      payment_method_update: { enabled: false },
      subscription_cancel: { enabled: false },
      subscription_update: { enabled: false },
    });

    const second = await syncPortalConfigurations(emu.stripe, baseConfig);
    expect(second).toEqual({ dryRun: false, created: [], updated: [], unchanged: first.created, drift: [] });
    expect(await managedConfigurations(emu.stripe)).toHaveLength(2);
  });

  it('updates changed fields in place and reports them as drift', async () => {
    const changed = withChanges((c) => {
      c.portal.businessProfile.headline = 'Lumen: your plan';
      c.portal.roles.member!.features.paymentMethodUpdate.enabled = true;
    });
    const dry = await syncPortalConfigurations(emu.stripe, changed, { dryRun: true });
    expect(dry.drift.map((d) => [d.role, d.field])).toEqual([
      ['owner', 'business_profile.headline'],
      ['member', 'business_profile.headline'],
      ['member', 'features.payment_method_update.enabled'],
    ]);
    expect((await managedConfigurations(emu.stripe)).every((c) => c.business_profile.headline !== 'Lumen: your plan')).toBe(true);

    const applied = await syncPortalConfigurations(emu.stripe, changed);
    expect(applied.updated.map((u) => u.role)).toEqual(['owner', 'member']);
    const after = await managedConfigurations(emu.stripe);
    expect(after).toHaveLength(2);
    expect(after.map((c) => c.business_profile.headline)).toEqual(['Lumen: your plan', 'Lumen: your plan']);
    expect(after.find((c) => c.metadata?.linkout_role === 'member')!.features.payment_method_update.enabled).toBe(true);
    expect((await syncPortalConfigurations(emu.stripe, changed)).drift).toEqual([]);
  });

  it('repairs a configuration changed or deactivated outside the code', async () => {
    const [member] = (await managedConfigurations(emu.stripe)).filter((c) => c.metadata?.linkout_role === 'member');
    await emu.stripe.billingPortal.configurations.update(member!.id, { active: false, features: { subscription_cancel: { enabled: true } } });
    const report = await syncPortalConfigurations(emu.stripe, baseConfig);
    expect(report.drift.filter((d) => d.role === 'member').map((d) => d.field)).toEqual(
      expect.arrayContaining(['active', 'features.subscription_cancel.enabled']),
    );
    const repaired = await emu.stripe.billingPortal.configurations.retrieve(member!.id);
    expect(repaired.active).toBe(true);
    expect(repaired.features.subscription_cancel.enabled).toBe(false);
    expect(await managedConfigurations(emu.stripe)).toHaveLength(2);
  });

  it('two syncs racing on an empty account create one configuration per role', async () => {
    const otherApp = withChanges((c) => (c.app.bundleId = 'com.lumenphotos.race'));
    const reports = await Promise.all([syncPortalConfigurations(emu.stripe, otherApp), syncPortalConfigurations(emu.stripe, otherApp)]);
    const all = await emu.stripe.billingPortal.configurations.list({ limit: 100 });
    const raced = all.data.filter((c) => c.metadata?.linkout_app === 'com.lumenphotos.race');
    expect(raced).toHaveLength(2);
    expect(reports[0]!.created).toEqual(reports[1]!.created);
  });

  it('refuses to sync, writing nothing, when a catalog price does not exist in Stripe', async () => {
    const before = (await emu.stripe.billingPortal.configurations.list({ limit: 100 })).data.length;
    const unknownPrice = withChanges((c) => {
      c.app.bundleId = 'com.lumenphotos.missing';
      c.catalog.products[1]!.prices[0]!.lookupKey = 'not_in_stripe';
    });
    await expect(syncPortalConfigurations(emu.stripe, unknownPrice)).rejects.toThrow(PortalSyncError);
    await expect(syncPortalConfigurations(emu.stripe, unknownPrice)).rejects.toThrow('not_in_stripe');
    expect((await emu.stripe.billingPortal.configurations.list({ limit: 100 })).data.length).toBe(before);
  });

  it('refuses parameters Stripe would reject before sending anything (headline over 60 characters)', async () => {
    const before = (await emu.stripe.billingPortal.configurations.list({ limit: 100 })).data.length;
    // Bypasses the schema on purpose: the sync must not trust its input blindly.
    const tooLong = withChanges((c) => {
      c.app.bundleId = 'com.lumenphotos.long';
      c.portal.businessProfile.headline = 'x'.repeat(61);
    });
    await expect(syncPortalConfigurations(emu.stripe, tooLong)).rejects.toThrow('headline');
    expect((await emu.stripe.billingPortal.configurations.list({ limit: 100 })).data.length).toBe(before);
  });

  describe('npm run portal:sync (bin/portal-sync.ts)', () => {
    const run = async (args: string[], bundleId: string) => {
      const config = withChanges((c) => (c.app.bundleId = bundleId));
      try {
        const { stdout } = await promisify(execFile)(
          process.execPath,
          [require.resolve('tsx/cli'), path.resolve(__dirname, '../../bin/portal-sync.ts'), ...args],
          {
            env: { PATH: process.env.PATH, STRIPE_SECRET_KEY: 'sk_test_cli', STRIPE_API_URL: emu.emulator.url, LINKOUT_CONFIG: JSON.stringify(config) },
          },
        );
        return { code: 0, stdout };
      } catch (error) {
        const failed = error as { code: number; stdout: string; stderr: string };
        return { code: failed.code, stdout: failed.stdout + failed.stderr };
      }
    };

    it('reports drift on a dry run (exit 2), syncs, then finds none (exit 0)', async () => {
      const dry = await run(['--dry-run', '--json'], 'com.lumenphotos.cli');
      expect(dry.code).toBe(2);
      expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, created: [{ role: 'owner' }, { role: 'member' }] });

      const applied = await run([], 'com.lumenphotos.cli');
      expect(applied.code).toBe(0);
      expect(applied.stdout).toMatch(/created\s+owner \(bpc_\w+\), member \(bpc_\w+\)/);

      const again = await run(['--dry-run'], 'com.lumenphotos.cli');
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(/drift\s+none/);
    });

    it('fails with exit 1 and a clear message without a secret key', async () => {
      const { stdout, code } = await promisify(execFile)(process.execPath, [require.resolve('tsx/cli'), path.resolve(__dirname, '../../bin/portal-sync.ts')], {
        env: { PATH: process.env.PATH },
      }).then(
        (ok) => ({ ...ok, code: 0 }),
        (error: { code: number; stdout: string; stderr: string }) => ({ stdout: error.stderr, code: error.code }),
      );
      expect(code).toBe(1);
      expect(stdout).toContain('STRIPE_SECRET_KEY is not set');
    });
  });
});
