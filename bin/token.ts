/**
 * `npm run --silent token -- --sub <id> [--role <role>] [--account <id>] [--ttl 3600]`
 * Prints one JWT that the running local stack accepts (same key file, issuer and audience).
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '#adapters/config';
import { devJwtSettings, issueDevToken, loadOrCreateSigningKey } from '#local/dev-jwt';

const USAGE = 'usage: npm run --silent token -- --sub <user id> [--role <role>] [--account <billing account id>] [--ttl <seconds>]';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sub: { type: 'string' },
      role: { type: 'string' },
      account: { type: 'string' },
      ttl: { type: 'string', default: '3600' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!values.sub) throw new Error(`--sub is required\n${USAGE}`);
  const ttlSeconds = Number(values.ttl);
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) throw new Error(`--ttl must be a positive number of seconds\n${USAGE}`);

  const config = loadConfig();
  const settings = devJwtSettings(config);
  if (values.account !== undefined && settings.accountClaim === 'sub') {
    console.error(`note: the configured account claim is "sub", so the billing account is the --sub value; --account is ignored.`);
  }
  const token = await issueDevToken(await loadOrCreateSigningKey(), settings, {
    sub: values.sub,
    ...(values.role !== undefined && { role: values.role }),
    ...(values.account !== undefined && { account: values.account }),
    ttlSeconds,
  });
  process.stdout.write(`${token}\n`);
}

main().catch((error: unknown) => {
  console.error((error as Error).message);
  process.exit(1);
});
