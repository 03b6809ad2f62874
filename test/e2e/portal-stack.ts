/**
 * The local stack (`npm start`) for the portal end-to-end tests: a free port, the embedded Stripe
 * emulator on a free port with the portal configurations synced at start, a throw-away key
 * directory, and a configuration whose billing account comes from an `account` claim so that an
 * owner and a member can share one account.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type Stripe from 'stripe';
import { loadConfig } from '#adapters/config';
import { createStripeClient } from '#adapters/stripe/client';
import type { LinkoutConfig } from '#core/config';
import { issueDevToken, loadOrCreateSigningKey } from '#local/dev-jwt';
import { type LocalStack, startLocalStack } from '#local/dev-server';
import { captureLog } from '../setup/log-sink';

const teamConfig: LinkoutConfig = (() => {
  const config = loadConfig();
  return { ...config, auth: { ...config.auth, accountClaim: 'account' } };
})();

export interface PortalStack {
  stack: LocalStack;
  stripe: Stripe;
  token(account: string, role?: string, user?: string): Promise<string>;
  call(method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; headers: Headers; body: any }>;
  /** An owner-opened account with an active monthly subscription; webhooks delivered. */
  subscribedAccount(account: string): Promise<{ customerId: string; subscriptionId: string }>;
}

/** `adjust` changes the team configuration for one suite (e.g. another pause mode). */
export function usePortalStack(adjust: (config: LinkoutConfig) => LinkoutConfig = (config) => config): PortalStack {
  const handle = {} as PortalStack;
  let stateDir: string;
  beforeAll(async () => {
    stateDir = mkdtempSync(path.join(tmpdir(), 'linkout-portal-e2e-'));
    // The gateway's request log goes into the captured logs that are scanned for secrets (test/setup/).
    handle.stack = await startLocalStack({ port: 0, env: { STRIPE_EMULATOR_PORT: '0' }, config: adjust(teamConfig), stateDir, log: captureLog });
    if (!handle.stack.portalSynced) throw new Error('the local stack did not sync the portal configurations');
    handle.stripe = createStripeClient({ secretKey: handle.stack.stripe.secretKey, apiUrl: handle.stack.stripeApiUrl!, maxNetworkRetries: 0 });
  });
  afterAll(async () => {
    await handle.stack?.close();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  handle.token = async (account, role, user = `${account}-${role ?? 'norole'}`) =>
    issueDevToken(await loadOrCreateSigningKey(stateDir), handle.stack.jwt, { sub: user, account, ...(role && { role }) });

  handle.call = async (method, urlPath, token, body) => {
    const response = await fetch(`${handle.stack.url}${urlPath}`, {
      method,
      redirect: 'manual',
      headers: { ...(token && { authorization: `Bearer ${token}` }), ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  };

  handle.subscribedAccount = async (account) => {
    const opened = await handle.call('POST', '/v1/portal-sessions', await handle.token(account, 'owner'));
    if (opened.status !== 201) throw new Error(`opening the portal failed: ${JSON.stringify(opened.body)}`);
    const [customer] = (await handle.stripe.customers.search({ query: `metadata['app_account_id']:'${account}'` })).data;
    const [price] = (await handle.stripe.prices.list({ lookup_keys: ['stock_photos_monthly'] })).data;
    const subscription = await handle.stripe.subscriptions.create({ customer: customer!.id, items: [{ price: price!.id }] });
    await handle.stack.emulator!.flushDeliveries();
    return { customerId: customer!.id, subscriptionId: subscription.id };
  };
  return handle;
}
