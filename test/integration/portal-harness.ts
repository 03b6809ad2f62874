/**
 * Wiring for the portal-session tests: the real handler over dynalite and the Stripe emulator,
 * with the portal configurations synced, and helpers to call it as API Gateway would.
 */
import type Stripe from 'stripe';
import { loadConfig } from '#adapters/config';
import { DynamoAccountLinks } from '#adapters/dynamodb/account-links';
import { documentClient } from '#adapters/dynamodb/client';
import type { HttpResponse } from '#adapters/http/response';
import { syncPortalConfigurations } from '#adapters/stripe/portal-sync';
import type { LinkoutConfig } from '#core/config';
import { makePortalSessionsHandler } from '#handlers/portal-sessions';
import { buildApiGatewayEvent } from '#local/api-gateway-event';
import { lambdaContext } from '#local/lambda-bridge';
import type { TestDynamo } from '../helpers/dynamodb';
import type { TestStripe } from '../helpers/stripe';

const config = loadConfig();

export type Claims = Record<string, string>;

export interface PortalReply {
  status: number;
  headers: Record<string, string>;
  body: any;
}

export interface PortalHarness {
  links: DynamoAccountLinks;
  /** bpc_ ids by role, as synced. */
  configurationIds: Record<string, string>;
  post(claims: Claims | undefined, body?: unknown, stripe?: () => Stripe, contentType?: string): Promise<PortalReply>;
  /** An account with a customer and an active monthly subscription, created through the API. */
  subscribedAccount(accountId: string, lookupKey?: string): Promise<{ customerId: string; subscription: Stripe.Subscription }>;
  sessionsCreated(): number;
  /** The Stripe session object of the latest billing_portal.session.created event. */
  lastSession(): Stripe.BillingPortal.Session;
  priceId(lookupKey: string): Promise<string>;
}

export const owner = (account: string, user = `${account}-owner`): Claims => ({ sub: user, account, role: 'owner' });
export const member = (account: string, user = `${account}-member`): Claims => ({ sub: user, account, role: 'member' });

/** The tests use a separate account claim so that owner and member can share one billing account. */
export const teamConfig: LinkoutConfig = { ...config, auth: { ...config.auth, accountClaim: 'account' } };

/** Calls a portal-sessions handler as API Gateway would (payload 2.0 event, verified claims). */
export async function invokePortal(
  handler: ReturnType<typeof makePortalSessionsHandler>,
  claims: Claims | undefined,
  body?: unknown,
  contentType = 'application/json',
): Promise<PortalReply> {
  const event = buildApiGatewayEvent({
    method: 'POST',
    url: '/v1/portal-sessions',
    routeKey: 'POST /v1/portal-sessions',
    headers: { 'content-type': contentType },
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    ...(claims && { claims }),
  });
  const result = (await handler(event, lambdaContext({ functionName: 'linkout-portal-sessions-test', timeoutMs: 20_000 }))) as HttpResponse;
  return { status: result.statusCode, headers: result.headers, body: JSON.parse(String(result.body)) };
}

export function usePortalHarness(db: TestDynamo, emu: TestStripe): PortalHarness {
  const harness = { configurationIds: {} } as PortalHarness;
  let handler: ReturnType<typeof makePortalSessionsHandler>;
  const handlers = new Map<() => Stripe, ReturnType<typeof makePortalSessionsHandler>>();

  beforeAll(async () => {
    const report = await syncPortalConfigurations(emu.stripe, teamConfig);
    for (const { role, configurationId } of [...report.created, ...report.unchanged]) harness.configurationIds[role] = configurationId!;
    harness.links = new DynamoAccountLinks(documentClient(db.client), db.tableName);
    handler = makePortalSessionsHandler({ config: teamConfig, links: harness.links, stripe: () => emu.stripe });
  });

  harness.post = async (claims, body, stripe, contentType = 'application/json') => {
    let target = handler;
    if (stripe) {
      target = handlers.get(stripe) ?? makePortalSessionsHandler({ config: teamConfig, links: harness.links, stripe });
      handlers.set(stripe, target);
    }
    return invokePortal(target, claims, body, contentType);
  };

  harness.priceId = async (lookupKey) => {
    const prices = await emu.stripe.prices.list({ lookup_keys: [lookupKey] });
    return prices.data[0]!.id;
  };

  harness.subscribedAccount = async (accountId, lookupKey = 'stock_photos_monthly') => {
    const opened = await harness.post(owner(accountId));
    if (opened.status !== 201) throw new Error(`opening the portal failed: ${JSON.stringify(opened.body)}`);
    const customerId = (await harness.links.customerForAccount(accountId))!;
    const subscription = await emu.stripe.subscriptions.create({ customer: customerId, items: [{ price: await harness.priceId(lookupKey) }] });
    return { customerId, subscription };
  };

  const sessions = () => emu.emulator.events().filter((event) => event.type === 'billing_portal.session.created');
  harness.sessionsCreated = () => sessions().length;
  harness.lastSession = () => sessions().at(-1)!.data.object as Stripe.BillingPortal.Session;
  return harness;
}
