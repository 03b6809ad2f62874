/**
 * How the commands that work on the local stack's data (`npm run reconcile`, `npm run backfill`)
 * find the running `npm start`: its DynamoDB listens on a free port, so `npm start` records where
 * everything is in `<state dir>/local-stack.json` and removes the file when it stops. No secret is
 * written: the Stripe key comes from the command's environment, as it does for `npm start`.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_LOCAL_TABLE_NAME, TABLE_NAME_ENV } from '#adapters/dynamodb/table-definition';
import { STRIPE_SECRET_KEY_ENV } from '#adapters/environment';
import { stateDirFromEnv } from './dev-jwt';
import { stripeTargetFromEnv } from './stripe-target';

const FILE_NAME = 'local-stack.json';

export interface RunningStackRecord {
  pid: number;
  url: string;
  dynamoEndpoint: string;
  tableName: string;
  /** The Stripe API the stack talks to; absent for real Stripe (test mode). */
  stripeApiUrl?: string;
}

/** Records the stack for the commands; the returned function removes the record (at stop). */
export function recordRunningStack(stateDir: string, record: RunningStackRecord): () => void {
  const file = path.join(stateDir, FILE_NAME);
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
  return () => rmSync(file, { force: true });
}

/** The recorded stack, if its process is still alive (a crash leaves a stale file behind). */
export function findRunningStack(stateDir: string): RunningStackRecord | undefined {
  let record: RunningStackRecord;
  try {
    record = JSON.parse(readFileSync(path.join(stateDir, FILE_NAME), 'utf8')) as RunningStackRecord;
  } catch {
    return undefined;
  }
  return isAlive(record.pid) ? record : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface LocalTarget {
  /** The handler environment for the local stack's table and Stripe. */
  env: NodeJS.ProcessEnv;
  tableName: string;
  stripeSecretKey: string;
  stripeApiUrl: string | undefined;
  description: string;
}

/** Whether a command targets the local stack: a DynamoDB endpoint is given, or no deployed table is named. */
export function targetsLocalStack(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.DYNAMODB_ENDPOINT) || !env[TABLE_NAME_ENV];
}

/**
 * The running local stack as a handler environment: DYNAMODB_ENDPOINT (and the other parts) as given,
 * else as `npm start` recorded them; a clear error when neither says where the stack is.
 */
export function localStackTarget(env: NodeJS.ProcessEnv): LocalTarget {
  const recorded = env.DYNAMODB_ENDPOINT ? undefined : findRunningStack(stateDirFromEnv(env));
  const dynamoEndpoint = env.DYNAMODB_ENDPOINT || recorded?.dynamoEndpoint;
  if (!dynamoEndpoint) {
    throw new Error('No running local stack found: start it with `npm start` (in this folder), or set DYNAMODB_ENDPOINT to the DynamoDB line of its banner.');
  }
  const stripe = stripeTargetFromEnv(env);
  const stripeApiUrl = stripe.kind === 'url' ? stripe.apiUrl : (recorded?.stripeApiUrl ?? (stripe.kind === 'emulator' ? emulatorUrl(stripe.port) : undefined));
  const tableName = env[TABLE_NAME_ENV] || recorded?.tableName || DEFAULT_LOCAL_TABLE_NAME;
  return {
    env: {
      ...env,
      DYNAMODB_ENDPOINT: dynamoEndpoint,
      [TABLE_NAME_ENV]: tableName,
      AWS_REGION: env.AWS_REGION ?? 'local',
      [STRIPE_SECRET_KEY_ENV]: stripe.secretKey,
      ...(stripeApiUrl && { STRIPE_API_URL: stripeApiUrl }),
    },
    tableName,
    stripeSecretKey: stripe.secretKey,
    stripeApiUrl,
    description: `local stack: DynamoDB ${dynamoEndpoint} table ${tableName}, Stripe ${stripeApiUrl ?? 'api.stripe.com (test mode)'}`,
  };
}

function emulatorUrl(port: number): string {
  if (port === 0) throw new Error('STRIPE_EMULATOR_PORT=0: set STRIPE_API_URL to the emulator URL the banner of npm start printed.');
  return `http://127.0.0.1:${port}`;
}
