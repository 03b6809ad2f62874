/**
 * `npm run reconcile`: one reconciliation run (functions/core/reconciliation.ts), the same logic the
 * scheduled Lambda runs every 15 minutes, with progress and the report printed.
 *
 * Target:
 * - AWS: TABLE_NAME and AWS credentials/region in the environment, STRIPE_SECRET_KEY (the key the
 *   deployment uses), no DYNAMODB_ENDPOINT.
 * - The running local stack (`npm start`) otherwise, found through the record it keeps
 *   (lib/local/running-stack.ts), or DYNAMODB_ENDPOINT when set.
 * Options: --json prints the report as JSON only.
 * Exit codes: 0 every listed event handled, 1 the run stopped on a failure (the next run retries).
 */
import { parseArgs } from 'node:util';
import { TABLE_NAME_ENV } from '#adapters/dynamodb/table-definition';
import { logger } from '#adapters/logger';
import type { ReconcileReport } from '#core/reconciliation';
import { makeReconciler, reconcilerPortsFromEnv } from '#handlers/reconciler';
import { localStackTarget, targetsLocalStack } from '#local/running-stack';

const USAGE =
  'usage: npm run reconcile [-- --json]\n' +
  '  local stack: npm run reconcile (while npm start runs)\n' +
  '  AWS:         TABLE_NAME=<table> STRIPE_SECRET_KEY=<key> AWS_REGION=<region> npm run reconcile';

/** The handler environment for the target: AWS as given, or the running local stack's parts. */
export function reconcileEnv(env: NodeJS.ProcessEnv): { env: NodeJS.ProcessEnv; target: string } {
  if (!targetsLocalStack(env)) {
    if (!env.STRIPE_SECRET_KEY) throw new Error(`STRIPE_SECRET_KEY is not set\n${USAGE}`);
    return { env, target: `table ${env[TABLE_NAME_ENV]} in ${env.AWS_REGION ?? 'the default region'}` };
  }
  const target = localStackTarget(env);
  return { env: target.env, target: target.description };
}

function reportText(report: ReconcileReport): string {
  const time = (seconds: number | null) => (seconds === null ? 'none' : new Date(seconds * 1000).toISOString());
  const { outcomes } = report;
  return [
    `Reconciliation ${report.complete ? 'complete' : `STOPPED at ${report.failure?.eventId ?? 'listing'}: ${report.failure?.message}`}`,
    `  window           ${time(report.window.from)} .. ${time(report.window.until)}${report.window.clamped ? "  (clamped to Stripe's 30 days: older events are gone, run the backfill)" : ''}`,
    `  listed           ${report.listed} events in ${report.pages} pages, ${report.stripeCalls} Stripe list calls`,
    `  applied          ${outcomes.applied}`,
    `  duplicate        ${outcomes.duplicate}`,
    `  stale            ${outcomes.stale}`,
    `  ignored          ${outcomes.ignored}`,
    `  rejected         ${report.rejected.count}${report.rejected.count ? ` (${report.rejected.eventIds.join(', ')})` : ''}`,
    `  other API version ${report.skippedApiVersion.count}${report.skippedApiVersion.count ? ` (${report.skippedApiVersion.versions.join(', ')}: ${report.skippedApiVersion.eventIds.join(', ')})` : ''}`,
    `  checkpoint       ${time(report.checkpoint.previous)} -> ${time(report.checkpoint.next)}${report.checkpoint.advanced ? '' : ' (unchanged)'}`,
  ].join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } }, strict: true });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const { env, target } = reconcileEnv(process.env);
  // The handler modules read their settings from process.env (as in a Lambda).
  Object.assign(process.env, env);
  // The report is printed below; the handler's JSON log lines only for warnings, unless LOG_LEVEL asks.
  if (!process.env.LOG_LEVEL) logger.setLogLevel('WARN');
  if (!values.json) console.error(`Reconciling against ${target}`);
  const onPage = values.json
    ? undefined
    : ({ pages, listed, sliceFrom }: { pages: number; listed: number; sliceFrom: number }) =>
        console.error(`  page ${pages}: ${listed} events listed so far (slice from ${new Date(sliceFrom * 1000).toISOString()})`);
  const report = await makeReconciler(reconcilerPortsFromEnv(process.env), onPage)();
  console.log(values.json ? JSON.stringify(report, null, 2) : reportText(report));
  return report.complete ? 0 : 1;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`reconcile failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
