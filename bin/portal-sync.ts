/**
 * `npm run portal:sync [-- --dry-run] [-- --json]`
 *
 * Creates or updates one Stripe billing-portal configuration per role of the Linkout configuration
 * (LINKOUT_CONFIG / LINKOUT_CONFIG_FILE / the example). Stripe: STRIPE_SECRET_KEY, and
 * STRIPE_API_URL for the emulator or stripe-mock (unset = real Stripe).
 * Exit codes: 0 done (or no drift on a dry run), 1 failure, 2 a dry run found drift.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '#adapters/config';
import { createStripeClient } from '#adapters/stripe/client';
import { type PortalSyncReport, syncPortalConfigurations } from '#adapters/stripe/portal-sync';

const USAGE = 'usage: npm run portal:sync [-- --dry-run] [-- --json]   (env: STRIPE_SECRET_KEY, optional STRIPE_API_URL)';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      'dry-run': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const secretKey = process.env.STRIPE_SECRET_KEY;
  if (!secretKey) throw new Error(`STRIPE_SECRET_KEY is not set\n${USAGE}`);
  const apiUrl = process.env.STRIPE_API_URL;
  const stripe = createStripeClient({ secretKey, ...(apiUrl && { apiUrl }) });
  const report = await syncPortalConfigurations(stripe, loadConfig(), { dryRun: values['dry-run'] });
  console.log(values.json ? JSON.stringify(report, null, 2) : reportText(report, apiUrl ?? 'api.stripe.com'));
  return report.dryRun && report.drift.length > 0 ? 2 : 0;
}

function reportText(report: PortalSyncReport, target: string): string {
  const verb = report.dryRun ? 'would be ' : '';
  const line = (label: string, items: PortalSyncReport['created']) =>
    `  ${label.padEnd(16)} ${items.length === 0 ? '-' : items.map((i) => `${i.role}${i.configurationId ? ` (${i.configurationId})` : ''}`).join(', ')}`;
  const drift = report.drift.map(
    (d) => `    ${d.role}: ${d.field}: Stripe has ${JSON.stringify(d.actual)}, the configuration says ${JSON.stringify(d.expected)}`,
  );
  return [
    `Portal configurations on ${target}${report.dryRun ? ' (dry run: nothing changed)' : ''}:`,
    line(`${verb}created`.trim(), report.created),
    line(`${verb}updated`.trim(), report.updated),
    line('unchanged', report.unchanged),
    `  drift      ${report.drift.length === 0 ? 'none' : ''}`,
    ...drift,
  ].join('\n');
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`portal:sync failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
