/**
 * Stripe failing under every route that calls it, injected in the embedded emulator of the local
 * stack (one stack for this module): 429, 500, a request never answered (timeout) and a dropped
 * connection (reset), and for creating calls a reset or timeout AFTER Stripe ran the request (the
 * object exists, Linkout never heard).
 *
 * Each row proves, for one route × fault: the status and error code the caller gets (the webhook
 * answers 5xx so that Stripe delivers again), how many requests reached Stripe (stripe-node's one
 * retry where it is safe: 5xx and network errors under the same idempotency key; a 429 is not
 * retried), and how many objects exist afterwards. Then the fault is gone and the same request
 * succeeds, and a creating route still has exactly one customer / Checkout Session / SetupIntent /
 * subscription.
 *
 * The handlers' Stripe timeout is shortened through STRIPE_TIMEOUT_MS (read once, in
 * functions/adapters/stripe/lazy-client.ts) so that a timeout costs 2 × 600 ms here.
 */
import type { Fault } from '@linkout/stripe-emulator';
import Stripe from 'stripe';
import { createStripeClient } from '#adapters/stripe/client';
import { CHECKOUT_DEDUPE_WINDOW_SECONDS } from '#core/checkout-sessions';
import { AMAZON_PAY_DEDUPE_WINDOW_SECONDS } from '#core/subscription-purchases';
import { usePortalStack } from '../e2e/portal-stack';

// Short enough to keep the suite quick, long enough that a loaded CI machine never times out a healthy emulator call.
const TEST_STRIPE_TIMEOUT_MS = 600;
// Before any handler loads: the handlers build their Stripe client on first use, from the environment.
process.env.STRIPE_TIMEOUT_MS = String(TEST_STRIPE_TIMEOUT_MS);

/** The Lambda timeout of every API function (lib/infra/linkout-function.ts). */
const LAMBDA_TIMEOUT_MS = 10_000;
const MONTHLY = 'stock_photos_monthly';
const AMAZON_PAY = { priceId: MONTHLY, paymentMethod: 'amazon_pay' };

type FaultName = '429' | '500' | 'timeout' | 'reset' | 'timeout after handling' | 'reset after handling';

/**
 * Each fault hits both attempts stripe-node makes (maxNetworkRetries 1; a dropped connection is
 * retried once anyway), so the caller sees it. `requests`: what reaches Stripe's faulted endpoint.
 */
const FAULTS: Record<FaultName, { fault: Fault; requests: number; status: number; code: string }> = {
  '429': { fault: { status: 429, count: 2 }, requests: 1, status: 429, code: 'stripe_rate_limited' },
  '500': { fault: { status: 500, count: 2 }, requests: 2, status: 502, code: 'stripe_failed' },
  timeout: { fault: { kind: 'timeout', count: 2 }, requests: 2, status: 503, code: 'stripe_unreachable' },
  reset: { fault: { kind: 'reset', count: 2 }, requests: 2, status: 503, code: 'stripe_unreachable' },
  'timeout after handling': { fault: { kind: 'timeout', afterHandling: true, count: 2 }, requests: 2, status: 503, code: 'stripe_unreachable' },
  'reset after handling': { fault: { kind: 'reset', afterHandling: true, count: 2 }, requests: 2, status: 503, code: 'stripe_unreachable' },
};
const READ_FAULTS: FaultName[] = ['429', '500', 'timeout', 'reset'];
const CREATE_FAULTS: FaultName[] = [...READ_FAULTS, 'timeout after handling', 'reset after handling'];

interface Reply {
  status: number;
  headers: Headers;
  body: any;
}

interface Prepared {
  account: string;
  token?: string;
  [key: string]: unknown;
}

interface RouteCase {
  /** The Stripe request the fault hits: method and path (prefix). */
  target: (prepared: Prepared) => { method: 'GET' | 'POST'; path: string };
  faults: FaultName[];
  /** A fresh account (and whatever state the route needs) per row. */
  prepare: (account: string) => Promise<Prepared>;
  call: (prepared: Prepared) => Promise<Reply>;
  /** Status of the request once Stripe answers again. */
  succeeds: number;
  /** Answers that differ from FAULTS for this route (status, code). */
  answers?: Partial<Record<FaultName, { status: number; code: string }>>;
  /** The objects that must exist exactly once after recovery (and `created` times right after the fault). */
  objects?: (prepared: Prepared) => Promise<number>;
  /** Whether `objects` counts what the faulted request itself creates (else: created by an earlier call, or none yet). */
  objectsCreatedBy?: 'target';
  /** Seconds the route refuses a repeat after a failure (the refresh's per-account bound). */
  repeatAfterSeconds?: number;
  /** The route's idempotency keys change every this many seconds (a double tap within one window gets one object). */
  dedupeWindowSeconds?: number;
  /** Stripe's webhook, not the app: no Retry-After expected. */
  webhook?: true;
}

/** Seconds one row needs from its fault to its repeat (two timed-out attempts, backoff, handlers). */
const WORST_ROW_SECONDS = 4;

/** Waits, if need be, for the next dedupe window so that `seconds` from now still fall in the same one. */
async function startOfFreshWindow(windowSeconds: number, seconds: number): Promise<void> {
  const now = Date.now() / 1000;
  const left = windowSeconds - (now % windowSeconds);
  if (left < seconds) await new Promise((resolve) => setTimeout(resolve, left * 1000 + 50));
}

describe('Stripe faults on every route that calls Stripe (local stack, emulator faults)', () => {
  const portal = usePortalStack();
  const emulator = () => portal.stack.emulator!;
  let signer: Stripe;

  beforeAll(() => {
    signer = new Stripe('sk_test_signer_only');
    // Webhooks wait for an explicit flush: no delivery may run into a fault injected for another request.
    emulator().setDelivery({ paused: true });
  });
  afterAll(() => {
    delete process.env.STRIPE_TIMEOUT_MS;
  });
  afterEach(() => emulator().clearFaults());

  const customerOf = async (account: string) => (await portal.stripe.customers.search({ query: `metadata['app_account_id']:'${account}'` })).data;
  const customerIdOf = async (account: string) => {
    const [customer] = await customerOf(account);
    return customer?.id;
  };

  /** A signed delivery of `event` to the stack's webhook, as Stripe sends it. */
  const deliver = async (event: Stripe.Event): Promise<Reply> => {
    const payload = JSON.stringify(event);
    const response = await fetch(`${portal.stack.url}/v1/webhooks/stripe`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'stripe-signature': signer.webhooks.generateTestHeaderString({ payload, secret: portal.stack.webhookSecrets[0]! }),
      },
      body: payload,
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  };

  /** An owner of a new account who started an Amazon Pay purchase and approved it on the redirect page (webhooks held). */
  const approvedAmazonPurchase = async (account: string): Promise<Prepared> => {
    const token = await portal.token(account, 'owner');
    const started = await portal.call('POST', '/v1/subscriptions', token, AMAZON_PAY);
    if (started.status !== 201) throw new Error(`starting Amazon Pay failed: ${JSON.stringify(started.body)}`);
    const approved = await fetch(`${started.body.redirectUrl}/approve`, { method: 'POST', redirect: 'manual' });
    if (approved.status !== 303) throw new Error(`approving the SetupIntent failed: ${approved.status}`);
    const succeeded = emulator()
      .events()
      .find((event) => event.type === 'setup_intent.succeeded' && (event.data.object as { id: string }).id === started.body.setupIntentId);
    if (!succeeded) throw new Error('no setup_intent.succeeded event');
    return { account, token, setupIntentId: started.body.setupIntentId, event: succeeded };
  };

  const ROUTES: Record<string, RouteCase> = {
    'POST /v1/portal-sessions, first time (creating the customer)': {
      target: () => ({ method: 'POST', path: '/v1/customers' }),
      faults: CREATE_FAULTS,
      prepare: async (account) => ({ account, token: await portal.token(account, 'owner') }),
      call: (p) => portal.call('POST', '/v1/portal-sessions', p.token),
      succeeds: 201,
      objects: async (p) => (await customerOf(p.account)).length,
      objectsCreatedBy: 'target',
    },
    'POST /v1/portal-sessions (creating the session)': {
      target: () => ({ method: 'POST', path: '/v1/billing_portal/sessions' }),
      faults: READ_FAULTS,
      prepare: async (account) => ({ account, token: await portal.token(account, 'owner') }),
      call: (p) => portal.call('POST', '/v1/portal-sessions', p.token),
      succeeds: 201,
      objects: async (p) => (await customerOf(p.account)).length,
    },
    'POST /v1/checkout-sessions': {
      target: () => ({ method: 'POST', path: '/v1/checkout/sessions' }),
      faults: CREATE_FAULTS,
      prepare: async (account) => ({ account, token: await portal.token(account, 'owner') }),
      call: (p) => portal.call('POST', '/v1/checkout-sessions', p.token, { priceId: MONTHLY }),
      succeeds: 201,
      objectsCreatedBy: 'target',
      dedupeWindowSeconds: CHECKOUT_DEDUPE_WINDOW_SECONDS,
      objects: async (p) => {
        const customerId = await customerIdOf(p.account);
        return customerId ? (await portal.stripe.checkout.sessions.list({ customer: customerId })).data.length : 0;
      },
    },
    'POST /v1/subscriptions (Amazon Pay SetupIntent)': {
      target: () => ({ method: 'POST', path: '/v1/setup_intents' }),
      faults: CREATE_FAULTS,
      prepare: async (account) => ({ account, token: await portal.token(account, 'owner') }),
      call: (p) => portal.call('POST', '/v1/subscriptions', p.token, AMAZON_PAY),
      succeeds: 201,
      objectsCreatedBy: 'target',
      dedupeWindowSeconds: AMAZON_PAY_DEDUPE_WINDOW_SECONDS,
      objects: async (p) => {
        const customerId = await customerIdOf(p.account);
        return customerId ? (await portal.stripe.setupIntents.list({ customer: customerId })).data.length : 0;
      },
    },
    'POST /v1/entitlements/refresh': {
      target: () => ({ method: 'GET', path: '/v1/subscriptions' }),
      faults: READ_FAULTS,
      prepare: async (account) => {
        await portal.subscribedAccount(account);
        return { account, token: await portal.token(account, 'owner') };
      },
      call: (p) => portal.call('POST', '/v1/entitlements/refresh', p.token, {}),
      succeeds: 200,
      repeatAfterSeconds: 5,
    },
    'POST /v1/subscriptions/{id}/pause': {
      target: (p) => ({ method: 'POST', path: `/v1/subscriptions/${p.subscriptionId}/pause` }),
      faults: CREATE_FAULTS,
      prepare: async (account) => {
        const { subscriptionId } = await portal.subscribedAccount(account);
        return { account, token: await portal.token(account, 'owner'), subscriptionId };
      },
      call: (p) => portal.call('POST', `/v1/subscriptions/${p.subscriptionId}/pause`, p.token, {}),
      succeeds: 200,
    },
    'POST /v1/subscriptions/{id}/resume': {
      target: (p) => ({ method: 'POST', path: `/v1/subscriptions/${p.subscriptionId}/resume` }),
      faults: CREATE_FAULTS,
      prepare: async (account) => {
        const { subscriptionId } = await portal.subscribedAccount(account);
        const token = await portal.token(account, 'owner');
        const paused = await portal.call('POST', `/v1/subscriptions/${subscriptionId}/pause`, token, {});
        if (paused.status !== 200) throw new Error(`pausing failed: ${JSON.stringify(paused.body)}`);
        return { account, token, subscriptionId };
      },
      call: (p) => portal.call('POST', `/v1/subscriptions/${p.subscriptionId}/resume`, p.token, {}),
      succeeds: 200,
    },
    'POST /v1/purchases/{id}/refresh': {
      target: (p) => ({ method: 'GET', path: `/v1/checkout/sessions/${p.sessionId}` }),
      faults: READ_FAULTS,
      prepare: async (account) => {
        const token = await portal.token(account, 'owner');
        const started = await portal.call('POST', '/v1/checkout-sessions', token, { priceId: MONTHLY });
        if (started.status !== 201) throw new Error(`starting Checkout failed: ${JSON.stringify(started.body)}`);
        return { account, token, sessionId: started.body.id };
      },
      call: (p) => portal.call('POST', `/v1/purchases/${p.sessionId}/refresh`),
      succeeds: 200,
      repeatAfterSeconds: 5,
    },
    'POST /v1/webhooks/stripe, a same-second tie read': {
      target: (p) => ({ method: 'GET', path: `/v1/subscriptions/${p.subscriptionId}` }),
      faults: READ_FAULTS,
      prepare: async (account) => {
        const { subscriptionId } = await portal.subscribedAccount(account);
        const latest = emulator()
          .events()
          .filter((event) => event.type.startsWith('customer.subscription.') && (event.data.object as { id: string }).id === subscriptionId)
          .at(-1)!;
        // Another event of the same subscription in the same second as the stored one: only Stripe can order them.
        return { account, subscriptionId, event: { ...latest, id: `${latest.id}tie` } };
      },
      call: (p) => deliver(p.event as Stripe.Event),
      succeeds: 200,
      webhook: true,
      answers: Object.fromEntries(READ_FAULTS.map((fault) => [fault, { status: 503, code: 'stripe_unavailable' }])),
    },
    'POST /v1/webhooks/stripe, Amazon Pay fulfilment (setup_intent.succeeded)': {
      target: () => ({ method: 'POST', path: '/v1/subscriptions' }),
      faults: CREATE_FAULTS,
      prepare: approvedAmazonPurchase,
      call: (p) => deliver(p.event as Stripe.Event),
      succeeds: 200,
      webhook: true,
      // A webhook's 4xx means "refused, do not deliver again" to Linkout's metrics: Stripe's rate limit is transient, so 5xx.
      answers: { '429': { status: 503, code: 'stripe_rate_limited' } },
      objectsCreatedBy: 'target',
      objects: async (p) => {
        const customerId = (await customerIdOf(p.account))!;
        return (await portal.stripe.subscriptions.list({ customer: customerId, status: 'all' })).data.length;
      },
    },
  };

  const rows = Object.entries(ROUTES).flatMap(([route, spec]) => spec.faults.map((fault) => ({ route, fault, spec })));
  /** Rows whose immediate repeat the route refuses (the refresh bound): their recovery waits, below. */
  const deferred = new Map<string, { prepared: Prepared; notBefore: number }>();
  const rowKey = (route: string, fault: string) => `${route} × ${fault}`;

  it.each(rows.map((row) => [rowKey(row.route, row.fault), row] as const))(
    '%s: status, requests reaching Stripe, objects; then the same request succeeds',
    async (key, { route, fault, spec }) => {
      const account = `sf-${Object.keys(ROUTES).indexOf(route)}-${fault.replaceAll(' ', '-')}`;
      const prepared = await spec.prepare(account);
      // The fault and the repeat must fall in one dedupe window, as a real double tap does.
      if (spec.dedupeWindowSeconds) await startOfFreshWindow(spec.dedupeWindowSeconds, WORST_ROW_SECONDS);
      const target = spec.target(prepared);
      const plan = FAULTS[fault];
      const expected = spec.answers?.[fault] ?? { status: plan.status, code: plan.code };
      const seenBefore = emulator().requests().length;

      emulator().injectFault({ ...plan.fault, ...target });
      const reply = await spec.call(prepared);
      const seen = emulator()
        .requests()
        .slice(seenBefore)
        .filter((request) => request.method === target.method && request.path === target.path);
      emulator().clearFaults();

      expect({ status: reply.status, code: reply.body?.error?.code }).toEqual(expected);
      // The app is told when to retry; Stripe ignores Retry-After on webhooks and redelivers on its own schedule.
      if (!spec.webhook && (expected.status === 429 || expected.status === 503)) expect(Number(reply.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(seen.map((request) => request.fault)).toEqual(Array(plan.requests).fill(plan.fault.kind ?? 'status'));
      // stripe-node's retry of a creating call carries the first attempt's idempotency key: Stripe replays, never creates twice.
      if (target.method === 'POST') {
        expect(seen[0]!.idempotencyKey).toBeTruthy();
        expect(new Set(seen.map((request) => request.idempotencyKey)).size).toBe(1);
      }
      const ranFirst = plan.fault.afterHandling === true;
      // A lost answer leaves what Stripe created; a refused or unanswered request created nothing.
      if (spec.objects && spec.objectsCreatedBy === 'target') expect(await spec.objects(prepared)).toBe(ranFirst ? 1 : 0);

      // The app taps again at once (Stripe delivers the event again): the same request, now answered.
      const repeated = await spec.call(prepared);
      if (spec.repeatAfterSeconds) {
        expect({ status: repeated.status, code: repeated.body?.error?.code }).toEqual({ status: 429, code: 'refresh_too_soon' });
        deferred.set(key, { prepared, notBefore: Date.now() + spec.repeatAfterSeconds * 1000 });
        return;
      }
      expect({ status: repeated.status, error: repeated.body?.error }).toEqual({ status: spec.succeeds, error: undefined });
      if (spec.objects) expect(await spec.objects(prepared)).toBe(1);
    },
  );

  it.each(rows.filter((row) => row.spec.repeatAfterSeconds).map((row) => [rowKey(row.route, row.fault), row] as const))(
    '%s: succeeds once the per-account bound has passed',
    async (key, { spec }) => {
      const state = deferred.get(key);
      if (!state) throw new Error('the fault phase of this row did not complete');
      const wait = state.notBefore - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const reply = await spec.call(state.prepared);
      expect({ status: reply.status, error: reply.body?.error }).toEqual({ status: spec.succeeds, error: undefined });
    },
  );

  it("a single failure is absorbed by stripe-node's retry (same idempotency key): one customer, and the caller never sees it", async () => {
    for (const fault of [{ status: 500 }, { kind: 'timeout' }, { kind: 'reset', afterHandling: true }] as Fault[]) {
      const account = `sf-absorbed-${fault.kind ?? fault.status}`;
      const token = await portal.token(account, 'owner');
      emulator().injectFault({ ...fault, method: 'POST', path: '/v1/customers', count: 1 });
      const reply = await portal.call('POST', '/v1/portal-sessions', token);
      expect({ fault, status: reply.status }).toEqual({ fault, status: 201 });
      expect(await customerOf(account)).toHaveLength(1);
    }
  });
});

describe('the Stripe client fits inside the Lambda', () => {
  it('a call that times out on every attempt ends (timeout × attempts + backoff) well before the Lambda timeout', () => {
    const client = createStripeClient({ secretKey: 'sk_test_budget' }) as unknown as {
      getApiField(name: 'timeout'): number;
      getMaxNetworkRetries(): number;
      getInitialNetworkRetryDelay(): number;
    };
    const attempts = client.getMaxNetworkRetries() + 1;
    // stripe-node's first retry waits at least its initial delay (seconds); later ones are capped by the max delay.
    const worstCaseMs = client.getApiField('timeout') * attempts + client.getInitialNetworkRetryDelay() * 1000 * (attempts - 1);
    // Room left for DynamoDB and one more Stripe call, so the caller gets 503 stripe_unreachable, not the gateway's bare timeout.
    expect(worstCaseMs).toBeLessThanOrEqual(LAMBDA_TIMEOUT_MS * 0.9);
  });
});
