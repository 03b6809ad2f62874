/**
 * Stripe's own webhook-testing workflow, offline: the official Stripe CLI (`@stripe/cli`, the binary
 * `npm run stripe` runs) triggers events against the local stack's embedded emulator, one CLI process
 * per event, and every webhook delivery those events cause must be answered 2xx by Linkout's handler.
 *
 * A trigger passes when the CLI exits 0, the emulator's event log holds the named event (the CLI does
 * not notice every failed step, and an endpoint that answers without doing anything would otherwise
 * pass), and each event it caused was delivered and acknowledged with 2xx on the first attempt.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { StripeEmulator } from '@linkout/stripe-emulator';
import type Stripe from 'stripe';
import { startRefusingProxy } from '#bin/stripe';
import { type LocalStack, startLocalStack } from '#local/dev-server';
import { type CliTarget, reportedFailure, runStripeCli, runUserCommand } from './stripe-cli';

const TRIGGERS = [
  'customer.created',
  'customer.updated',
  'customer.deleted',
  'customer.discount.created',
  'customer.discount.updated',
  'customer.discount.deleted',
  'customer.source.created',
  'customer.source.updated',
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'customer.subscription.paused',
  'customer.subscription.trial_will_end',
  'invoice.created',
  'invoice.finalized',
  'invoice.paid',
  'invoice.payment_failed',
  'invoice.payment_succeeded',
  'invoice.payment_action_required',
  'invoice.updated',
  'invoice.voided',
  'invoice.marked_uncollectible',
  'payment_method.attached',
  'payment_method.detached',
  'payment_method.updated',
  'setup_intent.created',
  'setup_intent.succeeded',
  'setup_intent.setup_failed',
  'setup_intent.canceled',
  'setup_intent.requires_action',
  'checkout.session.completed',
  'checkout.session.expired',
  'checkout.session.async_payment_succeeded',
  'checkout.session.async_payment_failed',
  'billing_portal.configuration.created',
  'billing_portal.configuration.updated',
  'billing_portal.session.created',
  'price.created',
  'product.created',
  'payment_intent.created',
  'payment_intent.succeeded',
  'subscription_schedule.created',
  'subscription_schedule.canceled',
];

interface CliCase {
  event: string;
  args: string[];
}

const CASES: CliCase[] = [
  ...TRIGGERS.map((event) => ({ event, args: ['trigger', event] })),
  // CLI 1.52 has no trigger for it: a fixture file in the CLI's own format pauses and resumes a subscription.
  { event: 'customer.subscription.resumed', args: ['fixtures', path.join(__dirname, 'fixtures', 'customer.subscription.resumed.json')] },
];

type DeliveryRecord = ReturnType<StripeEmulator['deliveries']>[number];

const isSuccess = (record: DeliveryRecord) => typeof record.status === 'number' && record.status >= 200 && record.status < 300;

jest.setTimeout(60_000);

describe('the official Stripe CLI against the local stack', () => {
  let stack: LocalStack;
  let target: CliTarget;
  let closeProxy: () => Promise<void>;
  let stateDir: string;
  const passed = new Set<string>();
  const allDeliveries: DeliveryRecord[] = [];

  beforeAll(async () => {
    stateDir = mkdtempSync(path.join(tmpdir(), 'linkout-stripe-cli-'));
    stack = await startLocalStack({ port: 0, env: { STRIPE_EMULATOR_PORT: '0' }, stateDir });
    // The portal configurations synced at start are delivered first, so that each trigger sees only its own.
    await stack.emulator!.flushDeliveries();
    const proxy = await startRefusingProxy();
    closeProxy = proxy.close;
    target = { apiBase: stack.stripeApiUrl!, apiKey: stack.stripe.secretKey, refusingProxyUrl: proxy.url, configDir: stateDir };
  });

  afterAll(async () => {
    const failed = allDeliveries.filter((record) => !isSuccess(record)).length;
    console.log(
      `stripe trigger: ${passed.size}/${CASES.length} passed, ${allDeliveries.length} webhook deliveries, ` +
        `${failed === 0 ? 'all 2xx' : `${failed} not 2xx`}`,
    );
    await closeProxy?.();
    await stack?.close();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  it.each(CASES)('$event', async ({ event, args }) => {
    const emulator = stack.emulator!;
    const eventsBefore = emulator.events().length;
    const deliveriesBefore = emulator.deliveries().length;

    const run = await runStripeCli(args, target);
    await emulator.flushDeliveries();
    const events: Stripe.Event[] = emulator.events().slice(eventsBefore);
    const deliveries = emulator.deliveries().slice(deliveriesBefore);
    allDeliveries.push(...deliveries);

    expect({ exitCode: run.code, failure: reportedFailure(run) }).toEqual({ exitCode: 0, failure: null });
    expect(events.map((caused) => caused.type)).toContain(event);
    expect(deliveries.filter((record) => !isSuccess(record))).toEqual([]);
    expect(new Set(deliveries.map((record) => record.eventId))).toEqual(new Set(events.map((caused) => caused.id)));
    passed.add(event);
  });

  describe('npm run stripe (bin/stripe.ts)', () => {
    const userEnv = () => ({ HOME: stateDir, XDG_CONFIG_HOME: stateDir, STRIPE_API_URL: stack.stripeApiUrl });

    it('runs a trigger against the emulator with the local key and api base added', async () => {
      const emulator = stack.emulator!;
      const before = emulator.events().length;
      const run = await runUserCommand(['trigger', 'customer.created'], userEnv());
      expect({ exitCode: run.code, failure: reportedFailure(run) }).toEqual({ exitCode: 0, failure: null });
      expect(
        emulator
          .events()
          .slice(before)
          .map((caused) => caused.type),
      ).toEqual(['customer.created']);
    });

    it('says how to start the stack when no emulator answers', async () => {
      const run = await runUserCommand(['trigger', 'customer.created'], { ...userEnv(), STRIPE_API_URL: `http://127.0.0.1:${await closedPort()}` });
      expect(run.code).toBe(1);
      expect(run.output).toContain('start the local stack first with npm start');
    });

    it('explains instead of running stripe listen', async () => {
      const run = await runUserCommand(['listen', '--forward-to', 'localhost:3000/v1/webhooks/stripe'], { ...userEnv(), PORT: '3999' });
      expect(run.code).toBe(1);
      expect(run.output).toContain('delivers it to http://127.0.0.1:3999/v1/webhooks/stripe itself');
      expect(run.output).not.toContain('Checking for new versions');
    });
  });
});

/** A port nothing listens on (just released by the OS). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
