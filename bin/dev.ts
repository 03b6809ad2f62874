/**
 * `npm start`: the whole of Linkout on this machine, with no AWS or Stripe account needed.
 * Options: --persist keeps DynamoDB data in .linkout/data (or LINKOUT_DATA_DIR, which implies it).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { apiRoutes } from '#handlers/routes';
import { stateDirFromEnv } from '#local/dev-jwt';
import { type LocalStack, startLocalStack } from '#local/dev-server';
import { recordRunningStack } from '#local/running-stack';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { persist: { type: 'boolean', default: false } }, strict: true });
  const dataDir = process.env.LINKOUT_DATA_DIR ? path.resolve(process.env.LINKOUT_DATA_DIR) : values.persist ? path.join(stateDirFromEnv(), 'data') : undefined;
  const stack = await startLocalStack({
    ...(dataDir && { dataDir }),
    log: (line) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`),
  });
  console.log(banner(stack, dataDir));
  // `npm run reconcile` and `npm run backfill` find this stack's DynamoDB (a free port) through the record.
  const forget = recordRunningStack(stateDirFromEnv(), {
    pid: process.pid,
    url: stack.url,
    dynamoEndpoint: stack.dynamoEndpoint,
    tableName: stack.tableName,
    ...(stack.stripeApiUrl && { stripeApiUrl: stack.stripeApiUrl }),
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: shutting down...`);
    forget();
    stack.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

function banner(stack: LocalStack, dataDir: string | undefined): string {
  const stripe =
    stack.stripe.kind === 'emulator'
      ? `embedded emulator at ${stack.stripeApiUrl} (any sk_test_ key works; webhooks go to ${stack.url}/v1/webhooks/stripe)`
      : stack.stripe.kind === 'url'
        ? `${stack.stripeApiUrl} (STRIPE_API_URL)`
        : `real Stripe, test mode (STRIPE_SECRET_KEY); forward webhooks with: stripe listen --forward-to ${stack.url}/v1/webhooks/stripe`;
  const secrets = stack.webhookSecrets.join(', ');
  const lines = [
    '',
    `Linkout local stack for "${stack.config.app.name}" is ready.`,
    '',
    `  API               ${stack.url}`,
    ...apiRoutes.map((route) => `                      ${route.method.padEnd(5)} ${route.path}${route.authorized ? '  (JWT)' : ''}`),
    `  Health            ${stack.url}/healthz`,
    `  AASA              ${stack.url}/.well-known/apple-app-site-association`,
    ...(stack.config.app.android ? [`  assetlinks.json   ${stack.url}/.well-known/assetlinks.json`] : []),
    `  Fallback pages    ${stack.url}/portal_redirect  ${stack.url}/checkout_redirect`,
    // Stripe returns buyers here (app.siteUrl is this stack); the pages settle the purchase, then open the app.
    ...[...new Set(stack.config.checkout.returnPaths)].map((returnPath) => `                    ${stack.url}${returnPath}/{success,cancel,return}`),
    `  JWKS (dev JWTs)   ${stack.url}/.well-known/jwks.json   issuer ${stack.jwt.issuer}, audience ${stack.jwt.audience[0]}`,
    `  Stripe            ${stripe}`,
    stack.portalSynced
      ? `  Customer portal   POST /v1/portal-sessions with a token returns an emulator-hosted portal URL`
      : `  Customer portal   run \`npm run portal:sync\` once against this Stripe before creating portal sessions`,
    `  Webhook secret    ${secrets}${process.env.STRIPE_WEBHOOK_SECRET ? '' : '  (default; set STRIPE_WEBHOOK_SECRET to change)'}`,
    `  DynamoDB          ${stack.dynamoEndpoint}  table ${stack.tableName}, ${dataDir ? `persisted in ${dataDir}` : 'in memory (use --persist to keep data)'}`,
    '',
    '  Get a token:      npm run --silent token -- --sub user_123 --role owner',
    `  Try it:           curl -H "Authorization: Bearer $(npm run --silent token -- --sub user_123 --role owner)" ${stack.url}/v1/entitlements`,
    '  Buy, then manage: README.md, "Five-minute walkthrough"',
    '',
    'Press Ctrl+C to stop.',
  ];
  return lines.join('\n');
}

main().catch((error: unknown) => {
  console.error(`\nnpm start failed: ${(error as Error).message}`);
  if (process.env.DEBUG) console.error((error as Error).stack);
  process.exit(1);
});
