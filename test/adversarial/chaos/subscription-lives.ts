/**
 * Drives the Stripe emulator through stripe-node (and its `/_emulator/*` controls for what only time
 * or a bank causes) to give every subscription a seeded random life: price changes, cancellation at
 * period end on and off, collection pauses, status pauses and resumptions, failed and recovered
 * payments, renewals, and an immediate cancellation at the end for some. Every step is a real API
 * call, so every event is one the emulator emitted itself. Steps of one subscription follow each other
 * within milliseconds, so many of its events share a second (the ties the replay must settle).
 */
import type Stripe from 'stripe';
import { seededRandom } from '../../integration/entitlement-harness';

export interface ChaosAccount {
  accountId: string;
  customerId: string;
  subscriptionIds: string[];
}

export interface LivesOptions {
  customers: number;
  subscriptionsPerCustomer: number;
  /** Steps after creation, drawn uniformly in [min, max]. */
  steps: { min: number; max: number };
  /** Share of subscriptions cancelled immediately at the end of their life. */
  cancelShare: number;
  /** Subscriptions living their lives at the same time (each life is sequential). */
  concurrency: number;
}

export interface Lives {
  accounts: ChaosAccount[];
  /** Steps taken, by kind; `refused` counts steps the emulator declined (nothing changed, no event). */
  steps: Record<string, number>;
}

const LOOKUP_KEYS = ['stock_photos_monthly', 'stock_photos_yearly', 'stock_photos_pro_monthly'];
const COLLECTION_PAUSE_BEHAVIORS = ['void', 'keep_as_draft', 'mark_uncollectible'] as const;
const DAY = 86_400;

type Step = (subscription: Stripe.Subscription) => Promise<Stripe.Subscription>;

/** `seed` decides every life; each subscription draws from its own stream, so concurrency does not change what happens. */
export async function liveSubscriptionLives(stripe: Stripe, emulatorUrl: string, seed: number, options: LivesOptions): Promise<Lives> {
  const prices = await Promise.all(LOOKUP_KEYS.map(async (key) => (await stripe.prices.list({ lookup_keys: [key] })).data[0]!.id));
  const steps: Record<string, number> = {};
  const count = (kind: string) => {
    steps[kind] = (steps[kind] ?? 0) + 1;
  };

  const control = async (subscription: Stripe.Subscription, action: 'advance_period' | 'payment_failed' | 'payment_succeeded') => {
    const response = await fetch(`${emulatorUrl}/_emulator/subscriptions/${subscription.id}/${action}`, { method: 'POST' });
    const body = (await response.json()) as Stripe.Subscription & { error?: { message: string } };
    if (response.status === 400) throw new RefusedStep(body.error?.message ?? action);
    if (!response.ok) throw new Error(`${action} answered ${response.status}: ${JSON.stringify(body)}`);
    return body;
  };

  /** The steps that make sense for the subscription as it is now; drawn by the seeded random. */
  const choices = (subscription: Stripe.Subscription, random: () => number): Array<[string, Step]> => {
    const pick = picker(random);
    const item = subscription.items.data[0]!;
    if (subscription.status === 'canceled') return [];
    if (subscription.status === 'paused') {
      return [
        ['resume', (s) => stripe.subscriptions.resume(s.id, {})],
        ['resume', (s) => stripe.subscriptions.resume(s.id, {})],
        ['cancel_at_period_end', (s) => stripe.subscriptions.update(s.id, { cancel_at_period_end: !s.cancel_at_period_end })],
      ];
    }
    const list: Array<[string, Step]> = [
      ['price_change', (s) => stripe.subscriptions.update(s.id, { items: [{ id: item.id, price: pick(prices.filter((price) => price !== item.price.id)) }] })],
      ['cancel_at_period_end', (s) => stripe.subscriptions.update(s.id, { cancel_at_period_end: !s.cancel_at_period_end })],
      [
        'collection_pause',
        (s) =>
          stripe.subscriptions.update(s.id, {
            pause_collection: s.pause_collection
              ? ''
              : {
                  behavior: pick(COLLECTION_PAUSE_BEHAVIORS),
                  ...(random() < 0.5 && { resumes_at: item.current_period_end + (7 + Math.floor(random() * 60)) * DAY }),
                },
          }),
      ],
      ['payment_failed', (s) => control(s, 'payment_failed')],
    ];
    if (subscription.status === 'active' || subscription.status === 'trialing') list.push(['pause', (s) => stripe.subscriptions.pause(s.id, {})]);
    if (subscription.status === 'past_due')
      list.push(['payment_succeeded', (s) => control(s, 'payment_succeeded')], ['payment_succeeded', (s) => control(s, 'payment_succeeded')]);
    // Renewals move the emulator's one clock forward for everybody: rarer than the rest.
    if (random() < 0.35) list.push(['advance_period', (s) => control(s, 'advance_period')]);
    return list;
  };

  const live = async (customerId: string, random: () => number): Promise<string> => {
    const pick = picker(random);
    let subscription: Stripe.Subscription = await stripe.subscriptions.create({ customer: customerId, items: [{ price: pick(prices) }] });
    count('create');
    const length = options.steps.min + Math.floor(random() * (options.steps.max - options.steps.min + 1));
    for (let i = 0; i < length; i++) {
      const available = choices(subscription, random);
      if (available.length === 0) break;
      const [kind, step] = pick(available);
      try {
        subscription = await step(subscription);
        count(kind);
      } catch (error) {
        if (!(error instanceof RefusedStep) && (error as { statusCode?: number }).statusCode !== 400) throw error;
        count('refused');
      }
    }
    if (subscription.status !== 'canceled' && random() < options.cancelShare) {
      await stripe.subscriptions.cancel(subscription.id);
      count('cancel_now');
    }
    return subscription.id;
  };

  const accounts: ChaosAccount[] = [];
  for (let c = 0; c < options.customers; c++) {
    const accountId = `acct_chaos_${c}`;
    const customer = await stripe.customers.create({ email: `chaos-${c}@example.test`, metadata: { app_account_id: accountId } });
    accounts.push({ accountId, customerId: customer.id, subscriptionIds: [] });
  }
  const work = accounts.flatMap((account) => Array.from({ length: options.subscriptionsPerCustomer }, () => account));
  const randoms = work.map((_, index) => seededRandom(seed * 1_000 + index));
  let next = 0;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < work.length) {
        const index = next++;
        const account = work[index]!;
        account.subscriptionIds.push(await live(account.customerId, randoms[index]!));
      }
    }),
  );
  return { accounts, steps };
}

class RefusedStep extends Error {}

const picker =
  (random: () => number) =>
  <T>(items: readonly T[]): T =>
    items[Math.floor(random() * items.length)]!;
