/**
 * `npm run backfill [-- --restart] [-- --rate <requests/s>]`
 *
 * Imports every existing subscription of the Stripe account, and the account links its customers
 * name in `metadata.app_account_id` (functions/core/backfill.ts). Resumable: rerun after a failure
 * and it continues after the last completed page; once complete, a run says so and does nothing
 * unless given --restart. Safe to run twice and alongside live webhooks.
 *
 * Where it runs:
 *   AWS          TABLE_NAME (the deployed table; AWS credentials and region from the environment) and
 *                STRIPE_SECRET_KEY, optional STRIPE_API_URL;
 *   local stack  otherwise: the running `npm start`, found through its record
 *                (lib/local/running-stack.ts), or DYNAMODB_ENDPOINT when set.
 */
import { parseArgs } from 'node:util';
import { DynamoAccountLinks } from '#adapters/dynamodb/account-links';
import { DynamoBackfillProgress } from '#adapters/dynamodb/backfill-progress';
import { documentClient, dynamoFromEnv } from '#adapters/dynamodb/client';
import { DynamoEntitlementStore } from '#adapters/dynamodb/entitlement-store';
import { TABLE_NAME_ENV } from '#adapters/dynamodb/table-definition';
import { createStripeClient } from '#adapters/stripe/client';
import { StripeSubscriptionPages } from '#adapters/stripe/subscription-pages';
import { type BackfillProgress, backfillEstimate, DEFAULT_REQUESTS_PER_SECOND, intervalPacer, runBackfill } from '#core/backfill';
import { nowInUnixSeconds } from '#core/clock';
import { localStackTarget, targetsLocalStack } from '#local/running-stack';

/** Stripe's live-mode limit for read requests; nothing above it can be sustained. */
const LIVE_READ_LIMIT_PER_SECOND = 100;

const USAGE = `usage: npm run backfill [-- --restart] [-- --rate <Stripe requests per second, default ${DEFAULT_REQUESTS_PER_SECOND}>]
  AWS:         TABLE_NAME=<deployed table> STRIPE_SECRET_KEY=sk_... npm run backfill
  local stack: npm run backfill (while npm start runs)
Stripe allows 25 read requests/s in test mode and 100/s in live mode, shared with live traffic.`;

/** A wrong invocation: nothing ran, so there is nothing to continue. */
class UsageError extends Error {}

function usage<T>(find: () => T): T {
  try {
    return find();
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${USAGE}`);
  }
}

interface Target {
  description: string;
  env: NodeJS.ProcessEnv;
  tableName: string;
  stripeKey: string;
  stripeApiUrl: string | undefined;
}

function targetFromEnv(env: NodeJS.ProcessEnv): Target {
  if (targetsLocalStack(env)) {
    const local = usage(() => localStackTarget(env));
    return { description: local.description, env: local.env, tableName: local.tableName, stripeKey: local.stripeSecretKey, stripeApiUrl: local.stripeApiUrl };
  }
  const tableName = env[TABLE_NAME_ENV];
  const stripeKey = env.STRIPE_SECRET_KEY;
  if (!tableName || !stripeKey) {
    throw new UsageError(`Set STRIPE_SECRET_KEY as well as TABLE_NAME for AWS (or unset TABLE_NAME for the local stack).\n${USAGE}`);
  }
  return {
    description: `AWS: table ${tableName} in ${env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'the default region'}, Stripe ${env.STRIPE_API_URL || 'api.stripe.com'}`,
    env,
    tableName,
    stripeKey,
    stripeApiUrl: env.STRIPE_API_URL || undefined,
  };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      restart: { type: 'boolean', default: false },
      rate: { type: 'string', default: String(DEFAULT_REQUESTS_PER_SECOND) },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const rate = Number(values.rate);
  if (!Number.isFinite(rate) || rate <= 0 || rate > LIVE_READ_LIMIT_PER_SECOND) {
    throw new UsageError(`--rate must be a number of requests per second above 0 and at most ${LIVE_READ_LIMIT_PER_SECOND}, not "${values.rate}".\n${USAGE}`);
  }
  const target = targetFromEnv(process.env);
  // 5xx and connection failures are retried by stripe-node; 429s by the backfill, after Retry-After.
  const stripe = createStripeClient({ secretKey: target.stripeKey, maxNetworkRetries: 3, ...(target.stripeApiUrl && { apiUrl: target.stripeApiUrl }) });
  const db = documentClient(dynamoFromEnv(target.env));
  const startedMs = Date.now();
  const progressStore = new DynamoBackfillProgress(db, target.tableName);
  // A resumed run carries earlier counts on: its rate counts only what it reads itself.
  const earlier = values.restart ? undefined : await progressStore.load();
  const countedFrom = earlier?.completedAt === undefined ? (earlier?.subscriptions ?? 0) : 0;
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

  console.log(`Backfill against ${target.description}`);
  console.log(backfillEstimate(rate));
  const outcome = await runBackfill(
    {
      pages: new StripeSubscriptionPages(() => stripe),
      links: new DynamoAccountLinks(db, target.tableName),
      store: new DynamoEntitlementStore(db, target.tableName),
      progress: progressStore,
      pace: intervalPacer(rate, { nowMs: Date.now, sleep }),
      sleep,
      now: nowInUnixSeconds,
      onPage: (progress) => console.log(progressLine(progress, progress.subscriptions - countedFrom, startedMs)),
      onConflict: (conflict) =>
        console.log(
          `  not linked: customer ${conflict.customerId} names account ${conflict.accountId}, ` +
            (conflict.customerLinkedTo !== undefined
              ? `but the customer is linked to account ${conflict.customerLinkedTo}`
              : `but the account is linked to ${conflict.accountLinkedTo ?? 'a customer deleted in Stripe'}`),
        ),
    },
    { restart: values.restart },
  );
  if (outcome.kind === 'already_complete') {
    console.log(`Already complete (finished ${new Date(outcome.progress.completedAt! * 1000).toISOString()}): nothing read. Use --restart to import again.`);
    console.log(summary(outcome.progress));
    return 0;
  }
  console.log(`Complete${outcome.resumed ? ' (resumed from the last completed page)' : ''}.`);
  console.log(summary(outcome.progress));
  return 0;
}

function progressLine(progress: BackfillProgress, readByThisRun: number, startedMs: number): string {
  const elapsedSeconds = (Date.now() - startedMs) / 1000;
  return (
    `page ${progress.pages}: ${progress.subscriptions} subscriptions so far, ${progress.linked} customers linked, ` +
    `${elapsedSeconds.toFixed(1)} s elapsed, ${Math.round((readByThisRun / Math.max(elapsedSeconds, 0.001)) * 60)} subscriptions/minute`
  );
}

function summary(progress: BackfillProgress): string {
  return [
    `  subscriptions  ${progress.subscriptions} in ${progress.pages} pages: ${progress.written} written, ${progress.stale} already newer (a live event was first)`,
    `  customers      ${progress.linked} linked, ${progress.alreadyLinked} already linked, ${progress.conflicts} conflicts, ${progress.withoutAccount} without app_account_id`,
  ].join('\n');
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`backfill failed: ${error instanceof Error ? error.message : String(error)}`);
    if (!(error instanceof UsageError)) console.error('Rerun to continue after the last completed page.');
    process.exit(1);
  },
);
