/**
 * The "done when", through the local stack: a subscription created in the Stripe emulator,
 * then updated, paused and canceled through it, shows up correctly in GET /v1/entitlements for the
 * account's token after each step. Events travel the real way: emulator -> signed HTTP delivery ->
 * local API Gateway -> webhook Lambda -> DynamoDB, then the app's request through the JWT authorizer.
 */
import { usePortalStack } from './portal-stack';

const ACCOUNT = 'user_e2e_entitlements';

describe('entitlement sync through the local stack', () => {
  const e2e = usePortalStack();

  /** GET /v1/entitlements as the account's owner, after every pending webhook has been delivered. */
  async function entitlements() {
    await e2e.stack.emulator!.flushDeliveries();
    const response = await e2e.call('GET', '/v1/entitlements', await e2e.token(ACCOUNT, 'owner'));
    expect(response.status).toBe(200);
    return response.body as {
      customerId: string | null;
      active: boolean;
      entitlements: Array<{ key: string; willRenew: boolean; subscriptionId: string }>;
      subscriptions: Array<Record<string, unknown>>;
    };
  }

  const priceId = async (lookupKey: string) => (await e2e.stripe.prices.list({ lookup_keys: [lookupKey] })).data[0]!.id;

  it('follows create, update, pause and cancel', async () => {
    expect(await entitlements()).toMatchObject({ customerId: null, active: false, entitlements: [], subscriptions: [] });

    const customer = await e2e.stripe.customers.create({ email: 'e2e@lumenphotos.example', metadata: { app_account_id: ACCOUNT } });
    const subscription = await e2e.stripe.subscriptions.create({ customer: customer.id, items: [{ price: await priceId('stock_photos_monthly') }] });
    const created = await entitlements();
    expect(created).toMatchObject({ customerId: customer.id, active: true });
    expect(created.entitlements).toEqual([expect.objectContaining({ key: 'stock_photos', willRenew: true, subscriptionId: subscription.id })]);
    expect(created.subscriptions).toEqual([
      expect.objectContaining({ id: subscription.id, status: 'active', productId: 'prod_stock_photos', grantsAccess: true }),
    ]);

    // Upgrade to Pro: the same subscription, a new price.
    await e2e.stripe.subscriptions.update(subscription.id, {
      items: [{ id: subscription.items.data[0]!.id, price: await priceId('stock_photos_pro_monthly') }],
    });
    const upgraded = await entitlements();
    expect(upgraded.entitlements.map((e) => e.key)).toEqual(['pro_editing', 'stock_photos']);
    expect(upgraded.subscriptions).toEqual([expect.objectContaining({ productId: 'prod_stock_photos_pro' })]);

    await e2e.stripe.subscriptions.update(subscription.id, { pause_collection: { behavior: 'void' } });
    const paused = await entitlements();
    expect(paused.active).toBe(false);
    expect(paused.subscriptions).toEqual([expect.objectContaining({ status: 'active', collectionPaused: true, grantsAccess: false })]);

    await e2e.stripe.subscriptions.update(subscription.id, { pause_collection: '' });
    expect((await entitlements()).active).toBe(true);

    await e2e.stripe.subscriptions.update(subscription.id, { cancel_at_period_end: true });
    const ending = await entitlements();
    expect(ending.active).toBe(true);
    expect(ending.entitlements.every((e) => e.willRenew === false)).toBe(true);
    expect(ending.subscriptions).toEqual([expect.objectContaining({ cancelAtPeriodEnd: true, grantsAccess: true })]);

    await e2e.stripe.subscriptions.cancel(subscription.id);
    const canceled = await entitlements();
    expect(canceled).toMatchObject({ customerId: customer.id, active: false, entitlements: [] });
    expect(canceled.subscriptions).toEqual([expect.objectContaining({ id: subscription.id, status: 'canceled', grantsAccess: false })]);

    // Every delivery was acknowledged: nothing left for Stripe to retry.
    expect(e2e.stack.emulator!.deliveries().filter((d) => d.status !== 200)).toEqual([]);
  }, 60_000);
});
