import { createStripeClient } from '#adapters/stripe/client';
import { syncPortalConfigurations } from '#adapters/stripe/portal-sync';
import { makePortalSessionsHandler } from '#handlers/portal-sessions';
import { useLocalDynamo } from '../helpers/dynamodb';
import { TEST_SECRET_KEY, useStripeEmulator } from '../helpers/stripe';
import { type Claims, invokePortal, member, owner, teamConfig, usePortalHarness } from './portal-harness';

const RETURN_URL = 'https://links.lumenphotos.example/portal_redirect';

describe('POST /v1/portal-sessions (handler + dynalite + Stripe emulator)', () => {
  const db = useLocalDynamo();
  const emu = useStripeEmulator();
  const portal = usePortalHarness(db, emu);

  describe('role matrix x flows', () => {
    let subscriptionId: string;
    let yearlyPrice: string;
    beforeAll(async () => {
      ({
        subscription: { id: subscriptionId },
      } = await portal.subscribedAccount('team-matrix'));
      yearlyPrice = await portal.priceId('stock_photos_yearly');
    });

    const roles: Array<[string, (account: string) => Claims, 'owner' | 'member']> = [
      ['owner', (a) => owner(a), 'owner'],
      ['member', (a) => member(a), 'member'],
      ['an unknown role', (a) => ({ sub: `${a}-x`, account: a, role: 'billing_admin' }), 'member'],
      ['no role claim', (a) => ({ sub: `${a}-y`, account: a }), 'member'],
    ];
    const flows = [
      ['no flow', () => undefined],
      ['payment_method_update', () => ({ type: 'payment_method_update' })],
      ['subscription_cancel', () => ({ type: 'subscription_cancel', subscriptionId })],
      ['subscription_pause', () => ({ type: 'subscription_pause', subscriptionId })],
      ['subscription_update', () => ({ type: 'subscription_update', subscriptionId })],
      ['subscription_update_confirm', () => ({ type: 'subscription_update_confirm', subscriptionId, priceId: yearlyPrice, quantity: 2 })],
    ] as const;
    const cases = roles.flatMap(([roleName, claims, configuration]) =>
      flows.map(([flowName, flow]) => {
        const allowed = configuration === 'owner' || flowName === 'no flow';
        return [roleName, flowName, claims, flow, configuration, allowed] as const;
      }),
    );

    it.each(cases)('%s, %s', async (_role, flowName, claims, flow, configuration, allowed) => {
      const before = portal.sessionsCreated();
      const requestFlow = flow();
      const reply = await portal.post(claims('team-matrix'), requestFlow ? { flow: requestFlow } : undefined);
      expect(reply.headers['cache-control']).toBe('no-store');
      if (!allowed) {
        expect(reply.status).toBe(403);
        expect(reply.body).toEqual({ error: { code: 'flow_not_allowed', message: expect.stringContaining(flowName) } });
        expect(portal.sessionsCreated()).toBe(before);
        return;
      }
      expect(reply.status).toBe(201);
      expect(reply.body).toEqual({
        url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/p\/session\//),
        id: expect.stringMatching(/^bps_/),
        configuration: portal.configurationIds[configuration],
        returnUrl: RETURN_URL,
        flow: requestFlow?.type ?? null,
      });
      const session = portal.lastSession();
      expect(session).toMatchObject({ id: reply.body.id, configuration: portal.configurationIds[configuration], return_url: RETURN_URL });
      if (requestFlow) {
        expect(session.flow).toMatchObject({ type: requestFlow.type, after_completion: { type: 'redirect', redirect: { return_url: RETURN_URL } } });
      } else {
        expect(session.flow).toBeNull();
      }
      if (requestFlow?.type === 'subscription_pause') {
        expect(session.flow!.subscription_pause).toEqual({ subscription: subscriptionId });
      }
      if (requestFlow?.type === 'subscription_update_confirm') {
        const [item] = (await emu.stripe.subscriptions.retrieve(subscriptionId)).items.data;
        expect(session.flow!.subscription_update_confirm!.items).toEqual([{ id: item!.id, price: yearlyPrice, quantity: 2 }]);
      }
    });
  });

  describe('ownership', () => {
    it("another account's subscription is a 404, and nothing is created", async () => {
      const { subscription } = await portal.subscribedAccount('team-victim');
      const customersBefore = (await emu.stripe.customers.list({ limit: 100 })).data.length;
      const sessionsBefore = portal.sessionsCreated();

      // A brand-new account: no customer, so no customer must appear on the way to the 404.
      const fresh = await portal.post(owner('team-intruder'), { flow: { type: 'subscription_cancel', subscriptionId: subscription.id } });
      expect(fresh.status).toBe(404);
      expect(fresh.body.error.code).toBe('subscription_not_found');
      expect(await portal.links.customerForAccount('team-intruder')).toBeUndefined();

      // An account with its own customer.
      await portal.subscribedAccount('team-neighbour');
      const customersWithNeighbour = (await emu.stripe.customers.list({ limit: 100 })).data.length;
      expect(customersWithNeighbour).toBe(customersBefore + 1);
      const sessionsWithNeighbour = portal.sessionsCreated();
      const neighbour = await portal.post(owner('team-neighbour'), {
        flow: { type: 'subscription_update_confirm', subscriptionId: subscription.id, priceId: await portal.priceId('stock_photos_yearly') },
      });
      expect(neighbour.status).toBe(404);
      expect(portal.sessionsCreated()).toBe(sessionsWithNeighbour);
      expect(sessionsWithNeighbour).toBe(sessionsBefore + 1);
      expect((await emu.stripe.customers.list({ limit: 100 })).data.length).toBe(customersWithNeighbour);
    });

    it('a subscription id that does not exist is a 404', async () => {
      await portal.subscribedAccount('team-typo');
      const reply = await portal.post(owner('team-typo'), { flow: { type: 'subscription_cancel', subscriptionId: 'sub_doesnotexist' } });
      expect([reply.status, reply.body.error.code]).toEqual([404, 'subscription_not_found']);
    });

    it("the pause deep link for another account's subscription is a 404, and nothing is created", async () => {
      const { subscription } = await portal.subscribedAccount('team-pause-victim');
      await portal.subscribedAccount('team-pause-neighbour');
      const sessionsBefore = portal.sessionsCreated();
      const reply = await portal.post(owner('team-pause-neighbour'), { flow: { type: 'subscription_pause', subscriptionId: subscription.id } });
      expect([reply.status, reply.body.error.code]).toEqual([404, 'subscription_not_found']);
      expect(portal.sessionsCreated()).toBe(sessionsBefore);
      expect((await emu.stripe.subscriptions.retrieve(subscription.id)).status).toBe('active');
    });

    it('the pause deep link for a subscription already paused is a 409 subscription_not_pausable', async () => {
      const { subscription } = await portal.subscribedAccount('team-paused-already');
      await emu.stripe.subscriptions.pause(subscription.id, {});
      const sessionsBefore = portal.sessionsCreated();
      const reply = await portal.post(owner('team-paused-already'), { flow: { type: 'subscription_pause', subscriptionId: subscription.id } });
      expect([reply.status, reply.body.error.code]).toEqual([409, 'subscription_not_pausable']);
      expect(portal.sessionsCreated()).toBe(sessionsBefore);
    });

    it('a canceled subscription is a 409', async () => {
      const { subscription } = await portal.subscribedAccount('team-gone');
      await emu.stripe.subscriptions.cancel(subscription.id);
      const reply = await portal.post(owner('team-gone'), { flow: { type: 'subscription_cancel', subscriptionId: subscription.id } });
      expect([reply.status, reply.body.error.code]).toEqual([409, 'subscription_ended']);
    });
  });

  describe('customer get-or-create', () => {
    it('concurrent first requests of one account create exactly one customer', async () => {
      const replies = await Promise.all(Array.from({ length: 8 }, (_, i) => portal.post(owner('team-rush', `rush-user-${i}`))));
      expect(replies.map((r) => r.status)).toEqual(Array(8).fill(201));
      const customers = await emu.stripe.customers.search({ query: "metadata['app_account_id']:'team-rush'" });
      expect(customers.data).toHaveLength(1);
      expect(await portal.links.customerForAccount('team-rush')).toBe(customers.data[0]!.id);
      expect(await portal.links.accountForCustomer(customers.data[0]!.id)).toBe('team-rush');
    });

    it('reuses a customer whose link was lost (found by metadata) instead of creating another', async () => {
      const orphan = await emu.stripe.customers.create({ metadata: { app_account_id: 'team-orphan' } });
      expect((await portal.post(owner('team-orphan'))).status).toBe(201);
      expect(await portal.links.customerForAccount('team-orphan')).toBe(orphan.id);
      expect(portal.lastSession().customer).toBe(orphan.id);
    });

    it('escapes quotes in the account id when searching Stripe', async () => {
      const account = "team-o'neil\\x";
      const orphan = await emu.stripe.customers.create({ metadata: { app_account_id: account } });
      expect((await portal.post(owner(account))).status).toBe(201);
      expect(await portal.links.customerForAccount(account)).toBe(orphan.id);
    });

    it('owner and member of one account share the customer', async () => {
      await portal.post(owner('team-shared'));
      await portal.post(member('team-shared'));
      const customerId = await portal.links.customerForAccount('team-shared');
      expect(portal.lastSession().customer).toBe(customerId);
      const customers = await emu.stripe.customers.search({ query: "metadata['app_account_id']:'team-shared'" });
      expect(customers.data.map((c) => c.id)).toEqual([customerId]);
    });
  });

  describe('request validation', () => {
    it.each([
      ['a return path outside the allowlist', { returnPath: '/elsewhere' }, 'return_path_not_allowed'],
      ['an absolute return URL', { returnPath: 'https://evil.example/portal_redirect' }, 'return_path_not_allowed'],
      ['a customer id from the client', { customer: 'cus_someone_else' }, 'invalid_request'],
      ['an unsupported locale', { locale: 'tlh' }, 'invalid_request'],
      ['malformed JSON', '{"flow": ', 'invalid_json'],
    ])('%s -> 400 %s, nothing created', async (_name, body, code) => {
      const account = `team-bad-${code}-${Math.random().toString(36).slice(2)}`;
      const sessionsBefore = portal.sessionsCreated();
      const reply = await portal.post(owner(account), body);
      expect([reply.status, reply.body.error.code]).toEqual([400, code]);
      expect(await portal.links.customerForAccount(account)).toBeUndefined();
      expect(portal.sessionsCreated()).toBe(sessionsBefore);
    });

    it('passes an allowed return path and a locale to Stripe', async () => {
      const reply = await portal.post(member('team-locale'), { returnPath: '/portal_redirect', locale: 'fr-CA' });
      expect(reply.status).toBe(201);
      expect(portal.lastSession()).toMatchObject({ locale: 'fr-CA', return_url: RETURN_URL });
    });

    it('refuses a price the configuration does not offer with 400 price_not_offered', async () => {
      const { subscription } = await portal.subscribedAccount('team-offcatalog');
      const stray = await emu.stripe.prices.create({ product: 'prod_stock_photos', currency: 'usd', unit_amount: 999, recurring: { interval: 'week' } });
      const reply = await portal.post(owner('team-offcatalog'), {
        flow: { type: 'subscription_update_confirm', subscriptionId: subscription.id, priceId: stray.id },
      });
      expect([reply.status, reply.body.error.code]).toEqual([400, 'price_not_offered']);
    });

    it('reads a body API Gateway delivered base64-encoded (no JSON content type)', async () => {
      const reply = await portal.post(member('team-base64'), { locale: 'ja' }, undefined, 'application/octet-stream');
      expect(reply.status).toBe(201);
      expect(portal.lastSession().locale).toBe('ja');
    });

    it('a request without verified claims is a 401', async () => {
      const reply = await portal.post(undefined);
      expect([reply.status, reply.body.error.code]).toEqual([401, 'unauthorized']);
    });
  });

  describe('configuration resolution', () => {
    it('answers 503 until the role is synced, then picks it up without a restart and caches it', async () => {
      const late = { ...teamConfig, app: { ...teamConfig.app, bundleId: 'com.lumenphotos.late' } };
      const client = createStripeClient({ secretKey: TEST_SECRET_KEY, apiUrl: emu.emulator.url, maxNetworkRetries: 0 });
      const lists: string[] = [];
      client.on('request', (request: { method: string; path: string }) => {
        if (request.path.startsWith('/v1/billing_portal/configurations')) lists.push(request.path);
      });
      const handler = makePortalSessionsHandler({ config: late, links: portal.links, stripe: () => client });

      const early = await invokePortal(handler, member('team-late'));
      expect([early.status, early.body.error.code]).toEqual([503, 'portal_not_configured']);
      expect(await portal.links.customerForAccount('team-late')).toBeUndefined();

      const report = await syncPortalConfigurations(emu.stripe, late);
      const memberConfiguration = report.created.find((c) => c.role === 'member')!.configurationId;
      const first = await invokePortal(handler, member('team-late'));
      expect([first.status, first.body.configuration]).toEqual([201, memberConfiguration]);
      const listsAfterFirst = lists.length;
      expect(listsAfterFirst).toBeGreaterThan(0);
      const second = await invokePortal(handler, member('team-late'));
      expect([second.status, second.body.configuration]).toEqual([201, memberConfiguration]);
      expect(lists.length).toBe(listsAfterFirst);
    });

    it('serves the configuration the sync keeps, and only an active one', async () => {
      const spare = { ...teamConfig, app: { ...teamConfig.app, bundleId: 'com.lumenphotos.spare' } };
      await syncPortalConfigurations(emu.stripe, spare);
      await emu.stripe.billingPortal.configurations.create({
        features: { invoice_history: { enabled: true } },
        metadata: { linkout_role: 'member', linkout_app: spare.app.bundleId },
      });
      const { drift } = await syncPortalConfigurations(emu.stripe, spare, { dryRun: true });
      const duplicate = drift.find((d) => d.role === 'member' && d.field === 'duplicate')!;
      const [kept, copy] = [duplicate.expected as string, duplicate.configurationId!];
      // A new handler each time: no cached resolution from the previous request.
      const configurationServed = async () => {
        const handler = makePortalSessionsHandler({ config: spare, links: portal.links, stripe: () => emu.stripe });
        const reply = await invokePortal(handler, member('team-spare'));
        return reply.status === 201 ? reply.body.configuration : reply.body.error.code;
      };

      expect(await configurationServed()).toBe(kept);
      await emu.stripe.billingPortal.configurations.update(kept, { active: false });
      expect(await configurationServed()).toBe(copy);
      await emu.stripe.billingPortal.configurations.update(copy, { active: false });
      expect(await configurationServed()).toBe('portal_not_configured');
    });
  });
});
