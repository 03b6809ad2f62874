/**
 * Issue 12, adversarial suite "Authorization matrix", on the local stack (the gateway's JWT authorizer
 * and the real handlers). The rows come from the route table (functions/handlers/routes.ts): a new
 * route without a row fails the suite.
 *
 * - Every JWT-guarded route, with a token that is forged (another RSA key, the same kid and claims),
 *   expired, not yet valid, for another audience, from another issuer, `alg: none`, malformed, or
 *   absent: 401 with `Cache-Control: no-store`, and nothing written.
 * - Every JWT-guarded route, with another account's valid token aimed at the victim's data (its
 *   subscription id, its purchase id, a portal flow naming its subscription, a customer id in the
 *   body): a 4xx for actions on the victim, no victim id anywhere in any answer, and the victim's
 *   records (table scan) and Stripe objects (retrieved) unchanged.
 * - The tokenless routes are listed with the reason they need no token.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateKeyPair, type JWTPayload } from 'jose';
import type Stripe from 'stripe';
import { loadConfig } from '#adapters/config';
import { createStripeClient } from '#adapters/stripe/client';
import { apiRoutes } from '#handlers/routes';
import { type DevSigningKey, issueDevToken, loadOrCreateSigningKey } from '#local/dev-jwt';
import { type LocalStack, startLocalStack } from '#local/dev-server';
import { canonical, tableItems as scanTable } from '../helpers/table-scan';
import { captureLog } from '../setup/log-sink';

/**
 * The local stack as test/e2e/portal-stack.ts starts it (billing account from an `account` claim),
 * started here because the suite needs the stack's signing key itself, to mint tokens that are
 * correctly signed yet expired or for another audience, and the gateway's log, captured for the scan.
 */
const portal = {} as { stack: LocalStack; stripe: Stripe; key: DevSigningKey };
let stateDir: string;

beforeAll(async () => {
  stateDir = mkdtempSync(path.join(tmpdir(), 'linkout-authz-'));
  const config = loadConfig();
  portal.stack = await startLocalStack({
    port: 0,
    env: { STRIPE_EMULATOR_PORT: '0' },
    config: { ...config, auth: { ...config.auth, accountClaim: 'account' } },
    stateDir,
    log: captureLog,
  });
  portal.key = await loadOrCreateSigningKey(stateDir);
  portal.stripe = createStripeClient({ secretKey: portal.stack.stripe.secretKey, apiUrl: portal.stack.stripeApiUrl!, maxNetworkRetries: 0 });
}, 60_000);

afterAll(async () => {
  await portal.stack?.close();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

const token = (account: string, claims: JWTPayload = {}, key: DevSigningKey = portal.key) =>
  issueDevToken(key, portal.stack.jwt, { sub: `${account}-owner`, account, role: 'owner', claims });

async function call(method: string, urlPath: string, bearer?: string, body?: unknown): Promise<{ status: number; headers: Headers; text: string; body: any }> {
  const response = await fetch(`${portal.stack.url}${urlPath}`, {
    method,
    redirect: 'manual',
    headers: { ...(bearer !== undefined && { authorization: `Bearer ${bearer}` }), ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: text ? JSON.parse(text) : undefined };
}

/** An owner-opened account with an active monthly subscription, webhooks delivered. */
async function subscribedAccount(account: string): Promise<{ customerId: string; subscriptionId: string }> {
  const opened = await call('POST', '/v1/portal-sessions', await token(account));
  if (opened.status !== 201) throw new Error(`opening the portal failed: ${opened.text}`);
  const [customer] = (await portal.stripe.customers.search({ query: `metadata['app_account_id']:'${account}'` })).data;
  const [price] = (await portal.stripe.prices.list({ lookup_keys: ['stock_photos_monthly'] })).data;
  const subscription = await portal.stripe.subscriptions.create({ customer: customer!.id, items: [{ price: price!.id }] });
  await portal.stack.emulator!.flushDeliveries();
  return { customerId: customer!.id, subscriptionId: subscription.id };
}

const VICTIM = 'acct_authz_victim';
const ATTACKER = 'acct_authz_attacker';
const CHECKOUT_PRICE = 'stock_photos_pro_monthly';

interface Victim {
  customerId: string;
  subscriptionId: string;
  /** A Checkout Session the victim started: a purchase record and a Stripe object. */
  purchaseId: string;
}
let victim: Victim;
let attackerSubscriptionId: string;
let attackerToken: string;

/** Every value that identifies the victim: none may appear in an answer to the attacker. */
const victimIds = () => [VICTIM, victim.customerId, victim.subscriptionId, victim.purchaseId];

beforeAll(async () => {
  // The victim's purchase first: an account that already subscribes may be refused a second Checkout.
  const started = await call('POST', '/v1/checkout-sessions', await token(VICTIM), { priceId: CHECKOUT_PRICE });
  if (started.status !== 201) throw new Error(`the victim's Checkout failed: ${started.text}`);
  const subscribed = await subscribedAccount(VICTIM);
  victim = { ...subscribed, purchaseId: started.body.id };
  attackerSubscriptionId = (await subscribedAccount(ATTACKER)).subscriptionId;
  attackerToken = await token(ATTACKER);
}, 90_000);

// ---------------------------------------------------------------------------------------------
// State: the table (whole, or the victim's part) and the victim's Stripe objects.

/** Every item of the stack's table (test/helpers/table-scan.ts), to compare as sets. */
const tableItems = () => scanTable(portal.stack.dynamoEndpoint, portal.stack.tableName);

/** The victim's records and Stripe objects, to compare before and after an attack. */
async function victimState() {
  const ids = victimIds();
  const records = (await tableItems()).filter((item) => ids.some((id) => item.includes(id)));
  const [customer, subscription, subscriptions, checkout] = await Promise.all([
    portal.stripe.customers.retrieve(victim.customerId),
    portal.stripe.subscriptions.retrieve(victim.subscriptionId),
    portal.stripe.subscriptions.list({ customer: victim.customerId, status: 'all' }),
    portal.stripe.checkout.sessions.retrieve(victim.purchaseId),
  ]);
  return { records, stripe: canonical({ customer, subscription, subscriptions: subscriptions.data, checkout }) };
}

// ---------------------------------------------------------------------------------------------
// The matrix: one row per route of functions/handlers/routes.ts.

interface Attempt {
  /** What the attacker tries. */
  name: string;
  path: () => string;
  body?: () => unknown;
  /** Acceptable statuses: a 4xx when the victim's data is named, the attacker's own answer otherwise. */
  statuses: number[];
}

interface GuardedRow {
  kind: 'guarded';
  /** A request the authorizer must refuse without a valid token (any path parameter will do). */
  samplePath: string;
  /** Another account's valid token, aimed at the victim. */
  attempts: Attempt[];
}

interface TokenlessRow {
  kind: 'tokenless';
  why: string;
}

const ownOrRefused = [200, 201, 400, 403, 404, 409];
const refused = [400, 403, 404];

const matrix: Record<string, GuardedRow | TokenlessRow> = {
  'POST /v1/webhooks/stripe': {
    kind: 'tokenless',
    why: "Stripe's signature on the raw body is the authentication (test/adversarial/signature-attacks.test.ts).",
  },
  'POST /v1/purchases/{id}/refresh': {
    kind: 'tokenless',
    why: 'The universal-link fallback page has no token: the unguessable purchase id is the capability, and the answer is only {id, status, reason}.',
  },
  'GET /v1/entitlements': {
    kind: 'guarded',
    samplePath: '/v1/entitlements',
    attempts: [{ name: "read (the account comes from the attacker's token)", path: () => '/v1/entitlements', statuses: [200] }],
  },
  'POST /v1/portal-sessions': {
    kind: 'guarded',
    samplePath: '/v1/portal-sessions',
    attempts: [
      { name: "open the attacker's own portal", path: () => '/v1/portal-sessions', statuses: [201] },
      ...(['subscription_cancel', 'subscription_update', 'subscription_pause'] as const).map((type) => ({
        name: `a ${type} flow naming the victim's subscription`,
        path: () => '/v1/portal-sessions',
        body: () => ({ flow: { type, subscriptionId: victim.subscriptionId } }),
        statuses: refused,
      })),
      {
        name: "the victim's customer id in the body",
        path: () => '/v1/portal-sessions',
        body: () => ({ customer: victim.customerId }),
        statuses: refused,
      },
    ],
  },
  'POST /v1/checkout-sessions': {
    kind: 'guarded',
    samplePath: '/v1/checkout-sessions',
    attempts: [
      { name: 'start a Checkout (for the attacker)', path: () => '/v1/checkout-sessions', body: () => ({ priceId: CHECKOUT_PRICE }), statuses: ownOrRefused },
      {
        name: "the victim's customer id in the body",
        path: () => '/v1/checkout-sessions',
        body: () => ({ priceId: CHECKOUT_PRICE, customer: victim.customerId }),
        statuses: refused,
      },
    ],
  },
  'POST /v1/subscriptions': {
    kind: 'guarded',
    samplePath: '/v1/subscriptions',
    attempts: [
      {
        name: "the victim's customer id in the body",
        path: () => '/v1/subscriptions',
        body: () => ({ priceId: 'stock_photos_monthly', paymentMethod: 'amazon_pay', customer: victim.customerId }),
        statuses: refused,
      },
      {
        name: 'subscribe with Amazon Pay (for the attacker)',
        path: () => '/v1/subscriptions',
        body: () => ({ priceId: 'stock_photos_monthly', paymentMethod: 'amazon_pay' }),
        statuses: ownOrRefused,
      },
    ],
  },
  'GET /v1/purchases/{id}': {
    kind: 'guarded',
    samplePath: '/v1/purchases/cs_test_sample',
    attempts: [{ name: "read the victim's purchase", path: () => `/v1/purchases/${victim.purchaseId}`, statuses: [404] }],
  },
  'POST /v1/entitlements/refresh': {
    kind: 'guarded',
    samplePath: '/v1/entitlements/refresh',
    attempts: [
      // First: a refresh is bounded per account, so after the attacker's own one this would be a 429 before any lookup.
      {
        name: "refresh naming the victim's purchase",
        path: () => '/v1/entitlements/refresh',
        body: () => ({ purchaseId: victim.purchaseId }),
        statuses: [404],
      },
      // 429 too: the refused refresh above already spent the attacker's per-account interval.
      { name: "refresh (the attacker's own account)", path: () => '/v1/entitlements/refresh', statuses: [200, 429] },
    ],
  },
  'POST /v1/subscriptions/{id}/pause': {
    kind: 'guarded',
    samplePath: '/v1/subscriptions/sub_sample/pause',
    attempts: [{ name: "pause the victim's subscription", path: () => `/v1/subscriptions/${victim.subscriptionId}/pause`, statuses: [403, 404] }],
  },
  'POST /v1/subscriptions/{id}/resume': {
    kind: 'guarded',
    samplePath: '/v1/subscriptions/sub_sample/resume',
    attempts: [{ name: "resume the victim's subscription", path: () => `/v1/subscriptions/${victim.subscriptionId}/resume`, statuses: [403, 404] }],
  },
};

const routeKeys = apiRoutes.map((route) => `${route.method} ${route.path}`);
const guardedRows = Object.entries(matrix).filter((entry): entry is [string, GuardedRow] => entry[1].kind === 'guarded');

describe('the authorization matrix covers the route table', () => {
  it('has exactly one row per route, and a row is guarded exactly when the route has the JWT authorizer', () => {
    expect(Object.keys(matrix).sort()).toEqual([...routeKeys].sort());
    for (const route of apiRoutes)
      expect([`${route.method} ${route.path}`, matrix[`${route.method} ${route.path}`]!.kind]).toEqual([
        `${route.method} ${route.path}`,
        route.authorized ? 'guarded' : 'tokenless',
      ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Tokens the authorizer must refuse. Each claims the victim's account: only its validity differs.

type BadToken = [name: string, make: () => Promise<string | undefined>];

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

const victimToken = (claims: JWTPayload = {}, key?: DevSigningKey) => token(VICTIM, claims, key);

const now = () => Math.floor(Date.now() / 1000);

const badTokens: BadToken[] = [
  ['no token', async () => undefined],
  ['a malformed token', async () => 'not.a.jwt'],
  [
    'a forged token (another RSA key, the same kid and claims)',
    async () => {
      const { privateKey, publicKey } = await generateKeyPair('RS256');
      return victimToken({}, { ...portal.key, privateKey, publicKey });
    },
  ],
  ['an expired token', async () => victimToken({ iat: now() - 7200, nbf: now() - 7200, exp: now() - 60 })],
  ['a token not valid yet', async () => victimToken({ nbf: now() + 3600, exp: now() + 7200 })],
  ['a token for another audience', async () => victimToken({ aud: 'some-other-app' })],
  ['a token from another issuer', async () => victimToken({ iss: 'https://issuer.attacker.example' })],
  ['a token without exp', async () => victimToken({ exp: undefined })],
  [
    'an unsigned token (alg: none)',
    async () => {
      const [, payload] = (await victimToken()).split('.');
      return `${base64url({ alg: 'none', typ: 'JWT', kid: portal.key.kid })}.${payload}.`;
    },
  ],
];

describe.each(guardedRows)('%s', (routeKey, row) => {
  const method = routeKey.split(' ')[0]!;

  it.each(badTokens)('with %s -> 401 with no-store, nothing written', async (_name, make) => {
    const before = await tableItems();
    const response = await call(method, row.samplePath, await make(), method === 'GET' ? undefined : {});
    expect([response.status, response.headers.get('cache-control'), response.body]).toEqual([401, 'no-store', { message: 'Unauthorized' }]);
    expect(await tableItems()).toEqual(before);
  });

  it.each(row.attempts.map((attempt) => [attempt.name, attempt] as const))(
    "with another account's valid token: %s -> never the victim's data, the victim unchanged",
    async (_name, attempt) => {
      const before = await victimState();
      const [requestPath, requestBody] = [attempt.path(), attempt.body?.()];
      const response = await call(method, requestPath, attackerToken, requestBody);
      expect(attempt.statuses).toContain(response.status);
      // An id the attacker sent may be echoed in the refusal; nothing else of the victim's may appear.
      const sent = `${requestPath} ${JSON.stringify(requestBody ?? null)}`;
      for (const id of victimIds().filter((id) => !sent.includes(id))) expect(response.text).not.toContain(id);
      expect(await victimState()).toEqual(before);
    },
  );
});

describe("the checks above can fail: the attacker's own data does show", () => {
  it("GET /v1/entitlements with the attacker's token names the attacker's subscription", async () => {
    const response = await call('GET', '/v1/entitlements', attackerToken);
    expect(response.status).toBe(200);
    expect(response.text).toContain(attackerSubscriptionId);
  });

  it("GET /v1/purchases/{id} with the victim's own token finds the purchase the attacker could not", async () => {
    const response = await call('GET', `/v1/purchases/${victim.purchaseId}`, await token(VICTIM));
    expect([response.status, response.body.id]).toEqual([200, victim.purchaseId]);
  });
});

describe('tokenless routes', () => {
  it('POST /v1/purchases/{id}/refresh answers only the purchase outcome: no account, customer or subscription', async () => {
    const response = await call('POST', `/v1/purchases/${victim.purchaseId}/refresh`);
    expect(response.status).toBe(200);
    expect(Object.keys(response.body).sort()).toEqual(expect.arrayContaining(['id', 'status']));
    for (const key of Object.keys(response.body)) expect(['id', 'status', 'reason']).toContain(key);
    for (const id of [VICTIM, victim.customerId, victim.subscriptionId]) expect(response.text).not.toContain(id);
  });

  // The site files (static pages, the JWKS) are public by nature: nothing account-specific, and the JWKS only the public key.
  it('the published JWKS carries the public key only', async () => {
    const response = await call('GET', '/.well-known/jwks.json');
    expect(response.status).toBe(200);
    for (const key of response.body.keys) for (const privatePart of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key).not.toHaveProperty(privatePart);
  });
});
