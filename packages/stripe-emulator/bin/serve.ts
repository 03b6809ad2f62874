/**
 * Runs the emulator on its own: `npx tsx packages/stripe-emulator/bin/serve.ts [--port 12111]
 * [--webhook-url URL] [--webhook-secret whsec_…]`. Prints the base URL; Ctrl+C stops it.
 */
import { parseArgs } from 'node:util';
import { startStripeEmulator } from '../src';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '12111' },
    host: { type: 'string', default: '127.0.0.1' },
    'webhook-url': { type: 'string' },
    'webhook-secret': { type: 'string' },
  },
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be a port number, not "${values.port}"`);
  process.exit(2);
}

void startStripeEmulator({
  port,
  host: values.host,
  webhookUrl: values['webhook-url'],
  webhookSecret: values['webhook-secret'],
}).then((emulator) => {
  console.log(`Stripe emulator listening on ${emulator.url} (any sk_test_… key)`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void emulator.close().then(() => process.exit(0)));
  }
});
